// SPDX-License-Identifier: MIT
/*
 * The scheduler loop (Go's schedule and findrunnable, proc.go): an M runs
 * it on its g0 (g0_loop()), takes a G from its P's run queue, the global
 * queue or another P's (findrunnable()), and switches to it (execute()).
 * Here too are the lists of idle Ps and idle Ms; an M taking and giving up
 * a P (acquirep(), releasep()) or handing one on (handoffp()); Ms started,
 * woken, parked and ended (newm(), startm(), wakep(), stopm(), mstart(),
 * mexit()); and the runtime's start on the initial thread, which becomes
 * M0 (schedinit()).
 *
 * Worker thread parking and unparking follow Go's protocol. An M is
 * "spinning" while it holds a P but no G and looks for work. New work
 * (gostart(), goready()) calls wakep(), which starts a spinning M only if
 * there is an idle P and no M spinning already. A spinning M that finds work
 * calls resetspinning(), which wakes another: work arriving in bursts gets
 * Ms one by one and idle Ms cost nothing. An M that finds no work drops its
 * P, stops spinning and then checks every run queue once more before it
 * sleeps: that re-check pairs with the load of nmspinning in wakep(), so
 * either the M sees the new G or the creator of the G sees no spinning M and
 * wakes one.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>

#include "runtime.h"
#include "netpoll.h"
#include "../arch/x86_64/sys.h"
#include "../compat/tcb.h"

#define G0_STACK    (256 * 1024)
#define M_STACK	    (256 * 1024)
#define STEAL_TRIES 4
/*
 * Gs run from runnext in a row, each inheriting the slice, before the
 * Gs waiting in the local queue get a turn (findrunnable()).
 */
#define CHAIN_MAX 16
/*
 * An M idle this long exits, while more Ms than Ps and M_SPARE are alive
 * (stopm()): a burst of blocking calls leaves a handful of kernel threads.
 */
#define M_IDLE_NS (5 * 1000000000ll)
#define M_SPARE	  4

struct schedt sched = { .lock = LOCK_INIT(RANK_SCHED) };
struct p *allp;
int nprocs;

static struct m m0;
struct g g_main;
static struct tsd main_tsd;
/*
 * libc's own pthread_create, which makes Ms (and sysmon): the shim's
 * REAL(pthread_create), handed down in the runtime's configuration, since
 * sched/ never includes shim/. Not the shim's thread_create(), which makes
 * Gs.
 */
thread_create_fn os_thread_create;

/*
 * Start a runtime thread (an M, sysmon) with every signal blocked from its
 * first instruction; create is libc's pthread_create. The new thread takes
 * its creator's mask, every signal blocked for the call (libc's sigfillset()
 * leaves out libc's own signals): not glibc's pthread_attr_setsigmask_np(),
 * whose calloc() and free() would be one more time a runtime thread holds
 * malloc's lock, which the child of a _Fork() taken meanwhile inherits
 * held. musl has no such attribute anyway.
 */
int runtime_thread_create(thread_create_fn create, pthread_t *t,
			  pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8);
	fork_hold();
	r = create(t, attr, fn, arg);
	fork_unhold();
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8);
	return r;
}

static uint32_t fastrand(struct m *mp)
{
	uint32_t x = mp->rand;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return mp->rand = x;
}

/* Ps and the idle lists. */

/* Take pp, which is P_IDLE and nobody's, for mp; it is P_RUNNING then. */
void acquirep(struct m *mp, struct p *pp)
{
	uint32_t w = atomic_load(&pp->state);

	if (atomic_load(&pp->m) || P_STATE(w) != P_IDLE)
		fatal("acquirep: P is in use");
	mp->pgen = (w & ~3u) + 4;
	mp->p = pp;
	atomic_store(&pp->m, mp);
	atomic_store(&pp->state, mp->pgen | P_RUNNING);
	if (unlikely(atomic_load_explicit(&sched.sysmon_idle,
					  memory_order_relaxed)))
		sysmon_wakeup();
}

/* Give up mp's P, which it runs runtime code on. */
static struct p *releasep(struct m *mp)
{
	struct p *pp = mp->p;

	atomic_store(&pp->m, NULL);
	atomic_store(&pp->state, mp->pgen | P_IDLE);
	mp->p = NULL;
	return pp;
}

/* sched.lock held. */
void pidleput(struct p *pp)
{
	if (!runqempty(pp))
		fatal("pidleput: P has a non-empty run queue");
	pp->link = sched.pidle;
	sched.pidle = pp;
	atomic_fetch_add(&sched.npidle, 1);
}

/* sched.lock held. */
struct p *pidleget(void)
{
	struct p *pp = sched.pidle;

	if (pp) {
		sched.pidle = pp->link;
		atomic_fetch_sub(&sched.npidle, 1);
	}
	return pp;
}

/*
 * The idle Ms, most recently idle first: startm() wakes a warm M, and
 * those idle longest time out and exit (stopm()). sched.lock held.
 */
static void mput(struct m *mp)
{
	mp->schedlink = sched.midle;
	mp->idleprev = NULL;
	if (sched.midle)
		sched.midle->idleprev = mp;
	sched.midle = mp;
	mp->idle = true;
}

/* Take mp off the idle list. sched.lock held. */
static void mremove(struct m *mp)
{
	if (mp->idleprev)
		mp->idleprev->schedlink = mp->schedlink;
	else
		sched.midle = mp->schedlink;
	if (mp->schedlink)
		mp->schedlink->idleprev = mp->idleprev;
	mp->schedlink = mp->idleprev = NULL;
	mp->idle = false;
}

/* sched.lock held. */
static struct m *mget(void)
{
	struct m *mp = sched.midle;

	if (mp)
		mremove(mp);
	return mp;
}

/* Running Gs. */

/*
 * Run gp on mp. With inherit, gp takes the rest of the time slice of the
 * G before it (it was that G's runnext, or is that G going on): the
 * scheduler tick does not move, so that two Gs handing a lock back and
 * forth through runnext are preempted by sysmon as one, and the Gs behind
 * them in the queue run (Go's inheritTime).
 */
static void execute(struct m *mp, struct g *gp, bool inherit)
{
	mp->curg = gp;
	gp->m = mp;
	atomic_store_explicit(&gp->status, G_RUNNING, memory_order_relaxed);
	/*
	 * Signals sent from now on come to mp (kill_running() in signal.c).
	 * One left on its way out last time runs as it leaves the runtime.
	 */
	atomic_fetch_and(&gp->kick, ~(KICK_LEAVING | KICK_LEFT));
	if (!inherit) {
		atomic_store_explicit(&mp->p->schedtick, mp->p->schedtick + 1,
				      memory_order_relaxed);
		mp->p->chain = 0;
	}
	m_sigmask_set(mp, gp->sigmask);
	m_altstack_set(mp, gp);
	if (!inherit)
		atomic_store_explicit(&mp->p->preempt, false,
				      memory_order_relaxed);
	if (unlikely(atomic_load_explicit(&cputime_on, memory_order_relaxed)))
		cputime_in(mp, gp);
	ctx_switch(&mp->g0->sp, gp->sp, gp->tcb);
}

/*
 * Sleep on mp's note until startm() hands it a P or M_IDLE_NS pass.
 * Returns whether it was woken (mp->nextp is set, or about to be).
 */
static bool notesleep_idle(struct m *mp)
{
	int64_t deadline = nanotime() + M_IDLE_NS;

	while (atomic_load_explicit(&mp->park.key, memory_order_acquire) == 0)
		if (sys_futex_wait_until((uint32_t *)&mp->park.key, 0, deadline,
					 true) == -ETIMEDOUT)
			return atomic_load(&mp->park.key) != 0;
	return true;
}

/*
 * Park mp, which holds no P, until startm() hands it one; return holding
 * it. Or, once it has idled M_IDLE_NS while more than nprocs + M_SPARE Ms
 * are alive, return holding none: the M is to exit (mexit()), and its
 * caller, on g0, goes back to g0_loop(), which ends. M0 never exits.
 *
 * The race with startm(): an M is picked by being taken off the idle list
 * under sched.lock, and only then given its P and woken. So a timed-out M
 * still on the list, seen under sched.lock, has not been picked, and takes
 * itself off; one that is off the list has been picked and sleeps on until
 * the wakeup, which is on its way.
 */
void stopm(struct m *mp)
{
	struct p *pp;

	if (mp->p)
		fatal("stopm: M holds a P");
	if (mp->spinning)
		fatal("stopm: M is spinning");
	/* Idle, it takes no signal (signal.c, "Routing"). */
	m_sigmask_idle(mp);
	lock(&sched.lock);
	/* A fork child's one G, queued while this M was on its way here. */
	if (atomic_load(&sched.single) && atomic_load(&sched.runqsize) > 0 &&
	    (pp = pidleget())) {
		unlock(&sched.lock);
		acquirep(mp, pp);
		return;
	}
	mput(mp);
	unlock(&sched.lock);
	if (mp == &m0) {
		notesleep(&mp->park);
	} else {
		while (!notesleep_idle(mp)) {
			lock(&sched.lock);
			if (mp->idle && sched.mnext + 1 > nprocs + M_SPARE) {
				mremove(mp);
				sched.mnext--;
				unlock(&sched.lock);
				return;
			}
			unlock(&sched.lock);
		}
	}
	noteclear(&mp->park);
	acquirep(mp, mp->nextp);
	mp->nextp = NULL;
}

static void *mstart(void *arg);

/*
 * Go's maxmcount, but Go then stops the program. Here nearly every M is
 * blocked in a system call, and each will come back: the Gs that wait for
 * an M stay queued until one does. Said once, the first time.
 */
static void too_many_ms(void)
{
	static _Atomic bool said;
	char n[24];

	if (atomic_exchange(&said, true))
		return;
	print("sprout: ");
	print(fmt_u(n, (unsigned long)sched.maxm, 10));
	print(" kernel threads, the most SPROUT_MAXM allows, are in use: "
	      "threads blocked in system calls hold one each; the others "
	      "wait for one of them to return\n");
}

/*
 * No M could be started for pp: it goes back to the idle list, and what
 * its run queue held goes to the global queue, which every M looks at,
 * where it waits for an M to be free (or for sysmon's next try).
 */
static void newm_failed(struct p *pp, bool spinning)
{
	struct g *gp;

	lock(&sched.lock);
	while ((gp = runqget(pp)))
		globrunqput(gp);
	pidleput(pp);
	unlock(&sched.lock);
	atomic_store(&sched.mstart_failed, true);
	if (spinning)
		atomic_fetch_sub(&sched.nmspinning, 1);
}

/*
 * When the Ms' starts began to fail, or 0. A failure is said only once
 * they have failed for M_FAIL_SAY_NS (sysmon tries again meanwhile): the
 * kernel refuses a new thread for a moment while another thread of the
 * process is in execve() (a forked shell's child, whose sysmon had just
 * started an M), and that process is gone a moment later.
 */
#define M_FAIL_SAY_NS (100 * 1000000ll)
_Atomic int64_t failing_since;

static bool m_start_fails_on(void)
{
	int64_t now = nanotime(), zero = 0;

	if (atomic_compare_exchange_strong(&failing_since, &zero, now))
		return false;
	return now - atomic_load(&failing_since) >= M_FAIL_SAY_NS;
}

/*
 * Start an M to run pp. If none can be started (SPROUT_MAXM, or libc's
 * pthread_create fails: RLIMIT_NPROC, memory), the program goes on with
 * the Ms it has: pp's work waits on the global queue (newm_failed()).
 */
static void newm(struct p *pp, bool spinning)
{
	static _Atomic bool warned;
	struct m *mp = NULL;
	pthread_attr_t attr;
	pthread_t t;
	bool full;
	int r = EAGAIN;

	lock(&sched.lock);
	full = sched.mnext + 1 >= sched.maxm;
	if (!full) {
		sched.mnext++;
		mp = sched.mfree;
		if (mp)
			sched.mfree = mp->schedlink;
	}
	unlock(&sched.lock);
	if (full) {
		too_many_ms();
		newm_failed(pp, spinning);
		return;
	}
	if (mp)
		memset(mp, 0, sizeof(*mp));
	else
		mp = rt_alloc(sizeof(*mp));
	if (mp) {
		mp->nextp = pp;
		mp->spinning = spinning;
		lock(&sched.lock);
		mp->id = ++sched.mids;
		unlock(&sched.lock);
		mp->rand = (uint32_t)mp->id * 2654435761u + 1;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, M_STACK);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		/*
		 * Every signal blocked until the M takes the mask of a G
		 * (m_sigmask_set()), and while idle: the
		 * kernel may give a signal sent to the process to any thread
		 * that lets it in, and a default action would end the
		 * program for a signal that every thread of it blocks.
		 */
		r = runtime_thread_create(os_thread_create, &t, &attr, mstart,
					  mp);
		pthread_attr_destroy(&attr);
	}
	if (r == 0) {
		atomic_store(&sched.mstart_failed, false);
		atomic_store(&failing_since, 0);
		return;
	}
	lock(&sched.lock);
	sched.mnext--;
	if (mp) {
		mp->schedlink = sched.mfree;
		sched.mfree = mp;
	}
	unlock(&sched.lock);
	if (m_start_fails_on() && !atomic_exchange(&warned, true))
		warn("cannot create another kernel thread; going on with "
		     "those there are");
	newm_failed(pp, spinning);
}

/*
 * Get an M to run pp (or an idle P, if pp is NULL): wake an idle M, else
 * the M asleep on the timers, else create one. With spinning, the caller
 * has counted the M in nmspinning.
 *
 * The timer sleeper takes an idle P when it wakes (findrunnable()), so
 * an idle P with nothing queued on it is left for it rather than a new M
 * started (the work is on the global queue, or another P's): fewer kernel
 * threads, and in the child of a fork whose one M sleeps there, no
 * pthread_create() at all for a G woken by a signal or a timer (libc's,
 * which needs locks a thread of the parent's may have held at the fork).
 * It sets timer_sleeping false before it looks for a P under sched.lock:
 * seen true under the lock here, the P put back is there when it looks.
 * In a raw fork's child whose G runs alone (sched.single), no M is
 * started at all: the one M there is that G's, running it, asleep on
 * the timers, or about to stop, and stopm() looks for queued work first.
 */
static void startm(struct p *pp, bool spinning)
{
	struct m *mp;

	lock(&sched.lock);
	if (!pp) {
		pp = pidleget();
		if (!pp) {
			unlock(&sched.lock);
			if (spinning)
				atomic_fetch_sub(&sched.nmspinning, 1);
			return;
		}
	}
	mp = mget();
	if (!mp && runqempty(pp) &&
	    (atomic_load(&sched.timer_sleeping) ||
	     atomic_load(&sched.single))) {
		pidleput(pp);
		unlock(&sched.lock);
		if (spinning)
			atomic_fetch_sub(&sched.nmspinning, 1);
		/* Before the wake: timer_sleep() looks after clearing it. */
		atomic_store(&sched.timer_wanted, true);
		wake_timer_sleeper_now();
		return;
	}
	unlock(&sched.lock);
	if (!mp) {
		newm(pp, spinning);
		return;
	}
	if (mp->spinning || mp->nextp)
		fatal("startm: idle M is spinning or holds a P");
	mp->spinning = spinning;
	mp->nextp = pp;
	notewakeup(&mp->park);
}

/* Find pp, which nobody holds now, an M if it has work, or idle it. */
void handoffp(struct p *pp)
{
	/* A fork child's one G, whose own M takes the P back (fork.c). */
	bool alone = atomic_load(&sched.single);

	/* Work for it: start an M (Go also starts one when none spins). */
	if (!runqempty(pp) || atomic_load(&sched.runqsize) > 0) {
		startm(pp, false);
		return;
	}
	if (!alone &&
	    atomic_load(&sched.nmspinning) + atomic_load(&sched.npidle) == 0) {
		int zero = 0;
		if (atomic_compare_exchange_strong(&sched.nmspinning, &zero,
						   1)) {
			startm(pp, true);
			return;
		}
	}
	/* Its timers need an M to wait for them (Go wakes the netpoller). */
	if (!alone && atomic_load(&pp->timer0) != INT64_MAX) {
		startm(pp, false);
		return;
	}
	lock(&sched.lock);
	pidleput(pp);
	unlock(&sched.lock);
}

/* Try to add one more M to run Gs: there is new work. */
void wakep(void)
{
	int zero = 0;

	/* Pairs with the re-check of the run queues in findrunnable(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&sched.npidle) == 0)
		return;
	if (atomic_load(&sched.nmspinning) != 0 ||
	    !atomic_compare_exchange_strong(&sched.nmspinning, &zero, 1))
		return;
	startm(NULL, true);
}

static void resetspinning(struct m *mp)
{
	mp->spinning = false;
	if (atomic_fetch_sub(&sched.nmspinning, 1) <= 0)
		fatal("resetspinning: negative nmspinning");
	/* We found work; there may be more: let another M look. */
	wakep();
}

static struct g *stealwork(struct m *mp)
{
	struct p *pp = mp->p;
	struct g *gp;
	int i, j, start;

	for (i = 0; i < STEAL_TRIES; i++) {
		bool last = i == STEAL_TRIES - 1;

		start = (int)(fastrand(mp) % (uint32_t)nprocs);
		for (j = 0; j < nprocs; j++) {
			struct p *p2 = &allp[(start + j) % nprocs];
			if (p2 == pp)
				continue;
			gp = runqsteal(pp, p2, last);
			if (gp)
				return gp;
		}
	}
	return NULL;
}

/* Some P other than those idle with a non-empty queue? */
static bool any_runq_work(void)
{
	int i;

	for (i = 0; i < nprocs; i++)
		if (!runqempty(&allp[i]))
			return true;
	return false;
}

/* Run the due timers of every P; returns whether any were due. */
static bool run_all_timers(void)
{
	int64_t now = nanotime();
	bool ran = false;
	int i;

	for (i = 0; i < nprocs; i++) {
		if (atomic_load(&allp[i].timer0) <= now) {
			checktimers(&allp[i], now);
			ran = true;
		}
	}
	return ran;
}

/* Gs wait in pp's local queue, runnext aside? Owner only. */
static bool runq_waiting(struct p *pp)
{
	return atomic_load_explicit(&pp->runqhead, memory_order_relaxed) !=
	       atomic_load_explicit(&pp->runqtail, memory_order_relaxed);
}

/*
 * Find a runnable G: local queue, global queue, other Ps' queues. If there
 * is none, give up the P and sleep until startm() hands one over. Returns
 * with mp->p set.
 */
static struct g *findrunnable(struct m *mp, bool *inherit)
{
	struct p *pp;
	struct g *gp, *next;
	bool was_spinning;

top:
	pp = mp->p;
	*inherit = false;
	if (atomic_load(&pp->timer0) != INT64_MAX)
		checktimers(pp, nanotime());
	/*
	 * Now and then the global queue first, so that it is not starved.
	 * Go counts by schedtick; here a G taking its predecessor's time
	 * slice does not move the tick, and two Gs handing a lock back and
	 * forth would keep the global queue waiting for seconds.
	 */
	if (++pp->globalpoll % 61 == 0 && atomic_load(&sched.runqsize) > 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 1);
		unlock(&sched.lock);
		if (gp)
			return gp;
	}
	next = atomic_load_explicit(&pp->runnext, memory_order_relaxed);
	/*
	 * The time slice is over (sysmon set pp->preempt), or the chain of
	 * Gs run from runnext is CHAIN_MAX long while others wait in the
	 * queue: runnext goes to the back of it. Gs that hand the P to each
	 * other through runnext where they block (a create and a join, a
	 * token passed round) need reach no preemption point, and would keep
	 * the queue behind them waiting for ever, or, with sysmon's slice
	 * alone, for a slice per chain queued: 500 pairs passing a token
	 * kept a thread that slept 0.5 s waiting 6 s more for its turn.
	 */
	if (next &&
	    (atomic_load_explicit(&pp->preempt, memory_order_relaxed) ||
	     (++pp->chain > CHAIN_MAX && runq_waiting(pp))) &&
	    atomic_compare_exchange_strong(&pp->runnext, &next, NULL)) {
		runqput(pp, next, false);
		next = NULL;
	}
	gp = runqget(pp);
	if (gp) {
		*inherit = gp == next;
		return gp;
	}
	if (atomic_load(&sched.runqsize) > 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 0);
		unlock(&sched.lock);
		if (gp)
			return gp;
	}

	/* Limit spinning Ms to half the busy Ps: stealing burns CPU. */
	if (mp->spinning || 2 * atomic_load(&sched.nmspinning) <
				    nprocs - atomic_load(&sched.npidle)) {
		if (!mp->spinning) {
			mp->spinning = true;
			atomic_fetch_add(&sched.nmspinning, 1);
		}
		gp = stealwork(mp);
		if (gp)
			return gp;
	}

	/* Run every P's due timers: their Gs may be ours to run. */
	if (run_all_timers()) {
		gp = runqget(pp);
		if (gp)
			return gp;
	}

	/* Gs whose I/O is ready (readied onto this P's queue). */
	if (netpoll_waiting() && netpoll(0) > 0) {
		gp = runqget(pp);
		if (gp)
			return gp;
	}

	lock(&sched.lock);
	if (atomic_load(&sched.runqsize) > 0) {
		gp = globrunqget(pp, 0);
		unlock(&sched.lock);
		return gp;
	}
	pidleput(releasep(mp));
	unlock(&sched.lock);

	was_spinning = mp->spinning;
	if (was_spinning) {
		mp->spinning = false;
		if (atomic_fetch_sub(&sched.nmspinning, 1) <= 0)
			fatal("findrunnable: negative nmspinning");
		/* Pairs with the fence in wakep(); see the top of the file. */
		lock(&sched.lock);
		if (atomic_load(&sched.runqsize) > 0 || any_runq_work()) {
			pp = pidleget();
			unlock(&sched.lock);
			if (pp) {
				acquirep(mp, pp);
				mp->spinning = true;
				atomic_fetch_add(&sched.nmspinning, 1);
				goto top;
			}
		} else {
			unlock(&sched.lock);
		}
	}

	/*
	 * One idle M sleeps until the next timer, in the netpoller if Gs wait
	 * for I/O, then takes an idle P.
	 */
	m_sigmask_idle(mp);
	if ((timers_next() != INT64_MAX || netpoll_waiting()) &&
	    timer_sleep(timers_next())) {
		lock(&sched.lock);
		pp = pidleget();
		unlock(&sched.lock);
		if (pp) {
			acquirep(mp, pp);
			goto top;
		}
	}
	stopm(mp);
	if (!mp->p)
		return NULL; /* the M is to exit */
	goto top;
}

/*
 * The scheduler loop of an M, on its g0. With from_mcall, g0 was entered by
 * mcall() of the current G and finishes that first. Returns when stopm()
 * has let the M go (it holds no P then), for mstart() to end it.
 */
static void g0_loop(struct m *mp, bool from_mcall)
{
	struct g *gp = NULL, *prev;
	bool inherit = false;

	for (;;) {
		if (from_mcall) {
			prev = mp->curg;
			if (prev->altstack.ss_sp)
				m_altstack_set(mp, NULL);
			mp->curg = NULL;
			prev->m = NULL;
			if (unlikely(atomic_load_explicit(
				    &prev->cpu_m, memory_order_relaxed)))
				cputime_out(mp, prev);
			/* prev may be running elsewhere, or freed, after this. */
			gp = mp->mcall_fn(mp, prev);
			/* The G goes on with its own time slice. */
			inherit = gp == prev;
		}
		if (!gp) {
			if (!mp->p)
				return; /* stopped in mcall_fn, to exit */
			gp = findrunnable(mp, &inherit);
			if (!gp)
				return;
			if (mp->spinning)
				resetspinning(mp);
		}
		execute(mp, gp, inherit);
		from_mcall = true;
		gp = NULL;
	}
}

/*
 * End the calling M, which stopm() has let go: it holds no P and is on no
 * list, and sched.mnext no longer counts it. Its kernel thread returns to
 * libc, which frees the thread's stack and TCB (a detached thread of its
 * own, which the M's g0 ran on; Gs never ran there) and runs libc's
 * per-thread cleanup. Its struct m, g0 included, is kept for the next M
 * (sched.mfree): Go never frees an M, and a pointer to one read a moment
 * before (sysmon's look at a P's M, a G's gp->m) must stay good to read.
 * The M's TLS is its own TCB's, so cur_g is cleared for whatever libc runs
 * in the thread on its way out (key destructors): to the shim it is then
 * a thread not its own, not the g0 of an M that another may be reusing.
 */
static void mexit(struct m *mp)
{
	/*
	 * Leave the program's signals to other threads; not glibc's own
	 * (SIGCANCEL, SIGSETXID): setuid() waits for every thread it marked
	 * to answer, and a thread that exits waits for the answer too.
	 */
	uint64_t all = ~0ull & ~(1ull << (32 - 1)) & ~(1ull << (33 - 1));

	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8);
	stack_m_exit(mp);
	cur_g = NULL;
	lock(&sched.lock);
	mp->schedlink = sched.mfree;
	sched.mfree = mp;
	unlock(&sched.lock);
}

static void *mstart(void *arg)
{
	struct m *mp = arg;
	struct g *g0 = &mp->g0_own;

	mp->tid = (pid_t)sys_gettid();
	thread_name("sprout-m", mp->id);
	sys4(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&mp->sigmask, 8);
	/* Started by a wired G's kernel thread, it took that one's. */
	if (atomic_load_explicit(&kattr_used, memory_order_relaxed))
		kattr_apply(0, &kattr_default);
	g_locks_init(g0);
	g0->flags = G_G0;
	g0->tcb = tcb_current();
	g0->tsd = &mp->g0_tsd;
	g0->m = mp;
	atomic_store(&g0->status, G_RUNNING);
	mp->g0 = g0;
	cur_g = g0;
	stack_m_init(mp);
	acquirep(mp, mp->nextp);
	mp->nextp = NULL;
	g0_loop(mp, false);
	mexit(mp);
	return NULL;
}

/* M0's g0 starts when the initial thread's G first gives up M0. */
static void m0_g0_main(void *arg)
{
	g0_loop(arg, true);
	fatal("M0 left its scheduler loop");
}

/* Start-up. */

static int m0_init(void)
{
	struct g *g0;
	int err;

	m0.tid = (pid_t)sys_gettid();
	sys4(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&m0.sigmask, 8);
	m0.rand = 0x9e3779b9u;
	g0 = gnew(G0_STACK, 4096, NULL, &err);
	if (!g0)
		return -err;
	g0->flags |= G_G0;
	/*
	 * g_main's TCB names M0 for glibc only while the initial thread
	 * runs there; g0's always does (the setxid broadcast must reach M0
	 * when the initial thread calls setuid() from another M).
	 */
	tcb_set_kernel_tid(g0->tcb, m0.tid);
	g0->m = &m0;
	atomic_store(&g0->status, G_RUNNING);
	g0->sp = ctx_init(g0->stack_hi, m0_g0_main, &m0);
	m0.g0 = g0;
	stack_m_init(&m0);
	return 0;
}

/*
 * Start the runtime on the calling thread, which becomes M0 running the
 * initial thread's G with P 0. Returns 0, or -1 with *why set.
 */
int schedinit(const struct runtime_config *cfg, const char **why)
{
	int i;

	if (tcb_setup(why))
		return -1;
	nanotime_init(cfg->clock_gettime);
	wt_init();
	preempt_init();
	if (stack_setup(cfg->stack_size, cfg->guard_size)) {
		*why = "out of memory";
		return -1;
	}
	stack_overflow_setup(cfg->sigaction);
	ctx_use_wrfsbase(getauxval(AT_HWCAP2) & 2 /* HWCAP2_FSGSBASE */);
	os_thread_create = cfg->thread_create;
	kattr_init();
	nprocs = cfg->procs;
	allp = aligned_alloc(_Alignof(struct p),
			     (size_t)nprocs * sizeof(*allp));
	if (allp)
		memset(allp, 0, (size_t)nprocs * sizeof(*allp));
	if (!allp) {
		*why = "out of memory";
		return -1;
	}

	atomic_store(&sched.sleep_until, INT64_MIN);
	for (i = 0; i < nprocs; i++) {
		allp[i].id = i;
		timers_init(&allp[i]);
	}
	for (i = nprocs - 1; i > 0; i--)
		pidleput(&allp[i]);
	acquirep(&m0, &allp[0]);
	/* The initial thread goes on in the program's code. */
	atomic_store(&allp[0].state, m0.pgen | P_USER);

	g_locks_init(&g_main);
	g_main.tsd = &main_tsd;
	g_main.flags = G_MAIN;
	g_main.tcb = tcb_current();
	g_main.id = atomic_fetch_add(&sched.gnext, 1) + 1;
	g_main.m = &m0;
	g_main.kattr = kattr_default;
	sys4(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&g_main.sigmask, 8);
	atomic_store(&g_main.status, G_RUNNING);
	sys2(SYS_prctl, PR_GET_NAME, (long)g_main.name);
	cur_g = &g_main;
	if (m0_init()) {
		*why = "out of memory";
		return -1;
	}
	tcb_adopt();
	m0.curg = &g_main;
	atomic_store(&sched.nlive, 1);
	/* Each P needs an M, and one more may be blocked. */
	sched.maxm = cfg->maxm > nprocs ? cfg->maxm : nprocs + 1;
	netpoll_prepare(); /* before sysmon: while there is one thread */
	dump_init(cfg->dump_path, cfg->dumpsig, cfg->sigaction);
	if (sysmon_start(os_thread_create, cfg->schedtrace_ms)) {
		*why = "cannot start sysmon";
		return -1;
	}
	/* sysmon was the first pthread_create(): glibc's handler is in. */
	if (tcb_hook_setxid())
		warn("setuid() and the like may not return: no SIGSETXID hook");
	pthread_atfork(fork_gate_close, fork_gate_open, afterfork_child);
	return 0;
}
