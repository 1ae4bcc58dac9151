// SPDX-License-Identifier: MIT
/*
 * Run queues (Go's runqput/runqget/runqgrab/runqsteal, proc.go).
 *
 * Each P has a RUNQ_SIZE-entry ring. Only the P's owner writes runqtail and the
 * slots between tail and head; anyone may take entries from the head with a
 * CAS on runqhead, which is what makes stealing lock-free. The slot values a
 * thief reads before its CAS are valid only if the CAS succeeds: the owner
 * cannot reuse them until head moves past them. runqtail is published with
 * release order after the slot is written and read with acquire by thieves.
 *
 * runnext holds one G that a G on this P just readied; it runs before the
 * queue and inherits the rest of the time slice, which keeps a ping-pong of
 * two Gs on one P. Thieves may take it only as a last resort, and a new G
 * only after a moment's wait (runnext_wait()).
 *
 * The global run queue is a list under sched.lock; a full local ring spills
 * half of itself there.
 */
#include "runtime.h"
#include "../arch/x86_64/sys.h"

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release

static bool cas_head(struct p *pp, uint32_t h, uint32_t nh)
{
	/* Releases the slots [h, nh) back to the owner. */
	return atomic_compare_exchange_strong_explicit(
		&pp->runqhead, &h, nh, memory_order_acq_rel, RELAXED);
}

/*
 * Move half of the local queue and gp to the global queue. Owner only. Once
 * the head has moved past them, the slots are the owner's alone: no
 * stealer reads them again, and only the owner writes slots, so they are
 * linked straight from the ring (no copy on the G's stack, which may be
 * small).
 */
static bool runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t)
{
	uint32_t i, n = (t - h) / 2;
	struct g *first, *prev;

	if (n != RUNQ_SIZE / 2)
		fatal("runqputslow: queue is not full");
	if (!cas_head(pp, h, h + n))
		return false;
	first = prev = atomic_load_explicit(&pp->runq[h % RUNQ_SIZE], RELAXED);
	for (i = 1; i < n; i++) {
		struct g *next = atomic_load_explicit(
			&pp->runq[(h + i) % RUNQ_SIZE], RELAXED);
		prev->schedlink = next;
		prev = next;
	}
	prev->schedlink = gp;
	gp->schedlink = NULL;

	lock(&sched.lock);
	if (sched.runqtail)
		sched.runqtail->schedlink = first;
	else
		sched.runqhead = first;
	sched.runqtail = gp;
	atomic_fetch_add_explicit(&sched.runqsize, (int)n + 1, RELAXED);
	unlock(&sched.lock);
	return true;
}

/*
 * Put gp on pp's queue; with next, in runnext, kicking the old runnext to
 * the tail. Owner only. Returns whether the local queue took it (false: it
 * went to the global queue).
 */
bool runqput(struct p *pp, struct g *gp, bool next)
{
	uint32_t h, t;

	if (next) {
		gp = atomic_exchange_explicit(&pp->runnext, gp, RELEASE);
		if (!gp)
			return true;
	}
	for (;;) {
		h = atomic_load_explicit(&pp->runqhead, ACQUIRE);
		t = atomic_load_explicit(&pp->runqtail, RELAXED);
		if (t - h < RUNQ_SIZE) {
			atomic_store_explicit(&pp->runq[t % RUNQ_SIZE], gp,
					      RELAXED);
			atomic_store_explicit(&pp->runqtail, t + 1, RELEASE);
			return true;
		}
		if (runqputslow(pp, gp, h, t))
			return false;
		/* A thief moved head: the queue is no longer full. */
	}
}

/* Take a G from pp's local queue, runnext first. Owner only. */
struct g *runqget(struct p *pp)
{
	struct g *gp = atomic_load_explicit(&pp->runnext, RELAXED);
	uint32_t h, t;

	if (gp && atomic_compare_exchange_strong_explicit(
			  &pp->runnext, &gp, NULL, ACQUIRE, RELAXED))
		return gp;
	for (;;) {
		h = atomic_load_explicit(&pp->runqhead, ACQUIRE);
		t = atomic_load_explicit(&pp->runqtail, RELAXED);
		if (t == h)
			return NULL;
		gp = atomic_load_explicit(&pp->runq[h % RUNQ_SIZE], RELAXED);
		if (cas_head(pp, h, h + 1))
			return gp;
	}
}

bool runqempty(struct p *pp)
{
	uint32_t h, t;
	struct g *next;

	/* Read tail again to get a consistent snapshot (Go: runqempty). */
	for (;;) {
		h = atomic_load_explicit(&pp->runqhead, ACQUIRE);
		t = atomic_load_explicit(&pp->runqtail, ACQUIRE);
		next = atomic_load_explicit(&pp->runnext, ACQUIRE);
		if (t == atomic_load_explicit(&pp->runqtail, ACQUIRE))
			return h == t && !next;
	}
}

/*
 * Whether a thief that found only next, in pp's runnext, is to wait a
 * moment first. Go waits before taking any G there (runqgrab()'s
 * usleep(3)): its waker may be about to block, and pp to run it warm.
 * Here only for a G that has never run, while pp runs the program: its
 * creator either waits for it soon (a create and a join: pp runs it) or
 * goes on creating, and the thief then finds half a queue to take, not
 * one G, and stays busy instead of going to sleep and being woken for
 * each new G (spawn_alive at 2 Ps: create 820 -> 598 ns, and
 * context switches a seventh). A G woken by an unlock is taken at once:
 * its waker mostly goes on running, and with Go's wait throughput of
 * mutex_contention 1000 fell from 5.0M to 2.1M ops/s.
 */
static bool runnext_wait(struct p *pp, struct g *next)
{
	uint32_t st = P_STATE(atomic_load_explicit(&pp->state, RELAXED));

	return atomic_load_explicit(&next->fresh, RELAXED) &&
	       (st == P_USER || st == P_RUNNING);
}

/* Go's usleep(3): some 50 us with the kernel's default timer slack. */
static void thief_wait(void)
{
	struct timespec ts = { 0, 3000 };

	sys2(SYS_nanosleep, (long)&ts, 0);
}

/*
 * Grab half of pp's queue into batch[head..] (a ring of RUNQ_SIZE).
 * Any thread. Returns the number grabbed.
 */
static uint32_t runqgrab(struct p *pp, _Atomic(struct g *) *batch,
			 uint32_t head, bool stealrunnext)
{
	uint32_t h, t, n, i;
	struct g *next;
	bool waited = false;

	for (;;) {
		h = atomic_load_explicit(&pp->runqhead, ACQUIRE);
		t = atomic_load_explicit(&pp->runqtail, ACQUIRE);
		n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (!stealrunnext)
				return 0;
			next = atomic_load_explicit(&pp->runnext, RELAXED);
			if (!next)
				return 0;
			if (!waited && runnext_wait(pp, next)) {
				waited = true;
				thief_wait();
				continue; /* a queue to take half of, maybe */
			}
			if (!atomic_compare_exchange_strong_explicit(
				    &pp->runnext, &next, NULL, ACQUIRE,
				    RELAXED))
				continue;
			atomic_store_explicit(&batch[head % RUNQ_SIZE], next,
					      RELAXED);
			return 1;
		}
		if (n > RUNQ_SIZE / 2)
			continue; /* h and t were read at different times */
		for (i = 0; i < n; i++)
			atomic_store_explicit(
				&batch[(head + i) % RUNQ_SIZE],
				atomic_load_explicit(
					&pp->runq[(h + i) % RUNQ_SIZE],
					RELAXED),
				RELAXED);
		if (cas_head(pp, h, h + n))
			return n;
	}
}

/*
 * Steal half of p2's queue into pp's (owned by the caller) and return one
 * of the stolen Gs, or NULL.
 */
struct g *runqsteal(struct p *pp, struct p *p2, bool stealrunnext)
{
	uint32_t t = atomic_load_explicit(&pp->runqtail, RELAXED);
	uint32_t h, n = runqgrab(p2, pp->runq, t, stealrunnext);
	struct g *gp;

	if (n == 0)
		return NULL;
	n--;
	gp = atomic_load_explicit(&pp->runq[(t + n) % RUNQ_SIZE], RELAXED);
	if (n == 0)
		return gp;
	h = atomic_load_explicit(&pp->runqhead, ACQUIRE);
	if (t - h + n >= RUNQ_SIZE)
		fatal("runqsteal: runq overflow");
	atomic_store_explicit(&pp->runqtail, t + n, RELEASE);
	return gp;
}

/* Put gp on the global queue. sched.lock must be held. */
void globrunqput(struct g *gp)
{
	gp->schedlink = NULL;
	if (sched.runqtail)
		sched.runqtail->schedlink = gp;
	else
		sched.runqhead = gp;
	sched.runqtail = gp;
	atomic_fetch_add_explicit(&sched.runqsize, 1, RELAXED);
}

/*
 * Take a fair share of the global queue (at most max if max > 0): return one
 * G and put the rest on pp's local queue. sched.lock must be held.
 */
struct g *globrunqget(struct p *pp, int max)
{
	int size = atomic_load_explicit(&sched.runqsize, RELAXED);
	int n = size / nprocs + 1;
	struct g *gp;

	if (size == 0)
		return NULL;
	if (n > size)
		n = size;
	if (max > 0 && n > max)
		n = max;
	if (n > RUNQ_SIZE / 2)
		n = RUNQ_SIZE / 2;
	atomic_fetch_sub_explicit(&sched.runqsize, n, RELAXED);

	gp = sched.runqhead;
	sched.runqhead = gp->schedlink;
	while (--n > 0) {
		struct g *g1 = sched.runqhead;
		sched.runqhead = g1->schedlink;
		runqput(pp, g1, false);
	}
	if (!sched.runqhead)
		sched.runqtail = NULL;
	return gp;
}
