// SPDX-License-Identifier: MIT
/*
 * Timers (Go's time.go, reduced to what the runtime needs: one kind of
 * timer that calls t->f(t) once its deadline has passed).
 *
 * Each P keeps its timers under its own lock in buckets, one per slot of
 * TIMER_SLACK_NS (50 us, the kernel's default timer slack): a timer is
 * due at the end of its slot, never early and at most the slack late.
 * Timers in one bucket fire in the order they were armed. A 4-ary min-heap
 * (Go's) orders the buckets, and a small hash finds the bucket of a slot.
 * Ten thousand threads sleeping 1 ms each make some twenty buckets, so
 * arming and firing a timer are list operations, and the heap stays
 * small. timer0 mirrors the first deadline so that the scheduler can tell
 * without the lock whether any timer is due. Who runs them:
 *  - an M with a P runs its own P's due timers each time it schedules;
 *  - an M about to steal runs the due timers of the P it steals from, so a
 *    P whose M is busy in a G does not hold its timers back;
 *  - when every M would sleep, one of them (the timer sleeper) sleeps only
 *    until the earliest deadline of all Ps, then takes an idle P and runs
 *    them. timer_add() wakes it when a new timer is earlier.
 *
 * A timer function runs without the timer lock (it may take a wait-table
 * bucket lock, which comes first in the lock order); timer_del() of a timer
 * that is firing waits until its function has returned, so the owner may
 * free the timer (on its stack) as soon as timer_del() returns.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime.h"
#include "netpoll.h"
#include "../arch/x86_64/sys.h"

static int clock_sys(clockid_t clk, struct timespec *ts)
{
	return (int)sys2(SYS_clock_gettime, clk, (long)ts);
}

/*
 * libc's clock_gettime(), which reads the clock in the vDSO, without a
 * system call (the shim interposes the name: runtime_config); until
 * schedinit(), the system call.
 */
static int (*clock_read)(clockid_t, struct timespec *) = clock_sys;

void nanotime_init(int (*read)(clockid_t, struct timespec *))
{
	if (read)
		clock_read = read;
}

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_read(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t nanotime(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t nanotime_coarse(void)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

void timers_init(struct p *pp)
{
	lock_init(&pp->timerlock, RANK_TIMERS);
	pp->ntimers = 0;
	memset(pp->tbhash, 0, sizeof(pp->tbhash));
	atomic_store(&pp->timer0, INT64_MAX);
}

/* The heap of buckets; pp->timerlock held throughout. */

#define HEAP_D 4

static void heap_set(struct p *pp, int i, struct timer_slot e)
{
	pp->timers[i] = e;
	e.b->idx = i;
}

static void sift_up(struct p *pp, int i)
{
	struct timer_slot e = pp->timers[i];

	while (i > 0) {
		int parent = (i - 1) / HEAP_D;
		if (pp->timers[parent].when <= e.when)
			break;
		heap_set(pp, i, pp->timers[parent]);
		i = parent;
	}
	heap_set(pp, i, e);
}

static void sift_down(struct p *pp, int i)
{
	struct timer_slot e = pp->timers[i];
	int n = pp->ntimers;

	for (;;) {
		int c = HEAP_D * i + 1, best = c, j;
		if (c >= n)
			break;
		for (j = c + 1; j < c + HEAP_D && j < n; j++)
			if (pp->timers[j].when < pp->timers[best].when)
				best = j;
		if (e.when <= pp->timers[best].when)
			break;
		heap_set(pp, i, pp->timers[best]);
		i = best;
	}
	heap_set(pp, i, e);
}

static void update_timer0(struct p *pp)
{
	atomic_store(&pp->timer0, pp->ntimers ? pp->timers[0].when : INT64_MAX);
}

static struct timer_bucket **hash_slot(struct p *pp, int64_t slot)
{
	return &pp->tbhash[(uint64_t)slot % 64];
}

/* The bucket of slot, made and put in the heap if there is none. */
static struct timer_bucket *bucket_get(struct p *pp, int64_t slot)
{
	struct timer_bucket **h = hash_slot(pp, slot), *b;

	for (b = *h; b; b = b->hnext)
		if (b->slot == slot)
			return b;
	b = pp->tbfree;
	if (b)
		pp->tbfree = b->hnext;
	else if (!(b = rt_alloc(sizeof(*b))))
		fatal("out of memory for timers");
	if (pp->ntimers == pp->timerscap) {
		int cap = pp->timerscap ? 2 * pp->timerscap : 64;
		struct timer_slot *a = rt_alloc((size_t)cap * sizeof(*a));

		if (!a)
			fatal("out of memory for timers");
		if (pp->timers)
			memcpy(a, pp->timers, (size_t)pp->ntimers * sizeof(*a));
		rt_free(pp->timers, (size_t)pp->timerscap * sizeof(*a));
		pp->timers = a;
		pp->timerscap = cap;
	}
	b->slot = slot;
	b->firing = false;
	b->head = b->tail = NULL;
	b->hnext = *h;
	*h = b;
	heap_set(pp, pp->ntimers++,
		 (struct timer_slot){ slot * TIMER_SLACK_NS, b });
	sift_up(pp, b->idx);
	update_timer0(pp);
	return b;
}

/* Take b out of the heap and hash. */
static void bucket_remove(struct p *pp, struct timer_bucket *b)
{
	struct timer_bucket **h = hash_slot(pp, b->slot);
	struct timer_slot last = pp->timers[--pp->ntimers];
	int i = b->idx;

	if (i < pp->ntimers) {
		heap_set(pp, i, last);
		sift_down(pp, i);
		sift_up(pp, last.b->idx);
	}
	update_timer0(pp);
	while (*h != b)
		h = &(*h)->hnext;
	*h = b->hnext;
}

/* Free b, out of the heap and hash and with no timers. */
static void bucket_free(struct p *pp, struct timer_bucket *b)
{
	b->hnext = pp->tbfree;
	pp->tbfree = b;
}

/* Wake the timer sleeper, in a futex or in the netpoller. */
void wake_timer_sleeper_now(void)
{
	if (atomic_exchange(&sched.timer_wake, 1) == 0) {
		sys_futex_wake((uint32_t *)&sched.timer_wake, 1);
		netpoll_break();
	}
}

/* Wake the timer sleeper if a timer due at when is before it would wake. */
static void wake_timer_sleeper(int64_t when)
{
	if (when < atomic_load(&sched.sleep_until))
		wake_timer_sleeper_now();
}

/* Arm t on the caller's P. The caller must hold a P. */
void timer_add(struct timer *t)
{
	struct p *pp = getp();
	struct timer_bucket *b;
	int64_t when;

	if (!pp)
		fatal("timer_add: no P");
	t->pp = pp;
	t->next = NULL;
	atomic_store_explicit(&t->state, TIMER_ARMED, memory_order_relaxed);
	lock(&pp->timerlock);
	b = bucket_get(pp, t->when / TIMER_SLACK_NS +
				   (t->when % TIMER_SLACK_NS != 0));
	t->bucket = b;
	t->prev = b->tail;
	if (b->tail)
		b->tail->next = t;
	else
		b->head = t;
	b->tail = t;
	when = pp->timers[b->idx].when;
	unlock(&pp->timerlock);
	wake_timer_sleeper(when);
}

/*
 * Disarm t. Returns true if it was removed before it fired; false if it
 * fired, in which case its function has returned.
 */
bool timer_del(struct timer *t)
{
	struct p *pp = t->pp;
	struct timer_bucket *b;
	bool queued;

	lock(&pp->timerlock);
	b = t->bucket;
	queued = atomic_load(&t->state) == TIMER_ARMED && !b->firing;
	if (queued) {
		if (t->prev)
			t->prev->next = t->next;
		else
			b->head = t->next;
		if (t->next)
			t->next->prev = t->prev;
		else
			b->tail = t->prev;
		if (!b->head) {
			bucket_remove(pp, b);
			bucket_free(pp, b);
		}
		atomic_store(&t->state, TIMER_DONE);
	}
	unlock(&pp->timerlock);
	while (atomic_load_explicit(&t->state, memory_order_acquire) !=
	       TIMER_DONE)
		sys0(SYS_sched_yield); /* its function is short */
	return queued;
}

/*
 * Run pp's timers that are due at now. Any M; pp need not be the caller's.
 * A due bucket is taken out of the heap and marked firing under the lock;
 * its timers then run without it, while timer_del() of one of them waits
 * for it to be done; the bucket is freed after. Timers are on the stacks
 * of the Gs that armed them, each in a page of its own: each timer's line
 * is fetched while the one before runs, not when the walk reaches it.
 * Returns the next deadline, or INT64_MAX.
 */
int64_t checktimers(struct p *pp, int64_t now)
{
	struct timer *t, *next;
	int64_t first;

	if (atomic_load(&pp->timer0) > now)
		return atomic_load(&pp->timer0);
	lock(&pp->timerlock);
	while (pp->ntimers && pp->timers[0].when <= now) {
		struct timer_bucket *b = pp->timers[0].b;

		t = b->head;
		bucket_remove(pp, b);
		b->firing = true;
		unlock(&pp->timerlock);
		for (; t; t = next) {
			next = t->next; /* t may be gone once it is done */
			if (next)
				__builtin_prefetch(next, 1);
			t->f(t);
			/* Pairs with the acquire in timer_del(). */
			atomic_store_explicit(&t->state, TIMER_DONE,
					      memory_order_release);
		}
		lock(&pp->timerlock);
		bucket_free(pp, b);
	}
	first = atomic_load(&pp->timer0);
	unlock(&pp->timerlock);
	return first;
}

/* The earliest deadline of all Ps, or INT64_MAX. */
int64_t timers_next(void)
{
	int64_t next = INT64_MAX;
	int i;

	for (i = 0; i < nprocs; i++) {
		int64_t w = atomic_load(&allp[i].timer0);
		if (w < next)
			next = w;
	}
	return next;
}

/*
 * Sleep the calling M (which holds no P) until until (INT64_MAX: until
 * woken), unless another M is the timer sleeper already. Returns false at
 * once in that case. Gs readied by the netpoller meanwhile are queued.
 */
bool timer_sleep(int64_t until)
{
	if (atomic_exchange(&sched.timer_sleeping, true))
		return false;
	atomic_store(&sched.timer_wake, 0);
	atomic_store(&sched.sleep_until, until);
	/* A timer added before sleep_until was set may be earlier. */
	until = timers_next();
	atomic_store(&sched.sleep_until, until);
	/*
	 * Not if startm() left an idle P for the sleeper and woke it, maybe
	 * before timer_wake was cleared above. With Gs waiting for I/O, it
	 * sleeps in the netpoller.
	 */
	if (!atomic_exchange(&sched.timer_wanted, false)) {
		if (netpoll_inited())
			netpoll(until == INT64_MAX ? -1 : until);
		else if (atomic_load(&sched.timer_wake) == 0)
			sys_futex_wait_until((uint32_t *)&sched.timer_wake, 0,
					     until == INT64_MAX ? -1 : until,
					     true);
	}
	atomic_store(&sched.timer_wanted, false);
	atomic_store(&sched.sleep_until, INT64_MIN);
	atomic_store(&sched.timer_sleeping, false);
	return true;
}
