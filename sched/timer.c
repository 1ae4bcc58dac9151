// SPDX-License-Identifier: MIT
/*
 * Timers (Go's time.go, reduced to what the runtime needs: one kind of
 * timer that calls t->f(t) once its deadline has passed).
 *
 * Each P has a min-heap of timers under its own lock; timer0 mirrors the
 * first deadline so that the scheduler can tell without the lock whether
 * any timer is due. Who runs them:
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
#include <time.h>

#include "runtime.h"
#include "arch/x86_64/sys.h"

int64_t nanotime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void timers_init(struct p *pp)
{
	atomic_store(&pp->timer0, INT64_MAX);
}

static void heap_set(struct p *pp, int i, struct timer *t)
{
	pp->timers[i] = t;
	t->idx = i;
}

static void sift_up(struct p *pp, int i)
{
	struct timer *t = pp->timers[i];

	while (i > 0) {
		int parent = (i - 1) / 2;
		if (pp->timers[parent]->when <= t->when)
			break;
		heap_set(pp, i, pp->timers[parent]);
		i = parent;
	}
	heap_set(pp, i, t);
}

static void sift_down(struct p *pp, int i)
{
	struct timer *t = pp->timers[i];
	int n = pp->ntimers;

	for (;;) {
		int c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && pp->timers[c + 1]->when < pp->timers[c]->when)
			c++;
		if (t->when <= pp->timers[c]->when)
			break;
		heap_set(pp, i, pp->timers[c]);
		i = c;
	}
	heap_set(pp, i, t);
}

static void update_timer0(struct p *pp)
{
	atomic_store(&pp->timer0,
		     pp->ntimers ? pp->timers[0]->when : INT64_MAX);
}

/* Remove the timer at index i. pp->timerlock held. */
static void heap_remove(struct p *pp, int i)
{
	struct timer *last = pp->timers[--pp->ntimers];

	pp->timers[i]->idx = -1;
	if (i < pp->ntimers) {
		heap_set(pp, i, last);
		sift_down(pp, i);
		sift_up(pp, last->idx);
	}
	update_timer0(pp);
}

/* Wake the timer sleeper if t is due before it would wake. */
static void wake_timer_sleeper(int64_t when)
{
	if (when >= atomic_load(&sched.sleep_until))
		return;
	if (atomic_exchange(&sched.timer_wake, 1) == 0)
		sys_futex_wake((uint32_t *)&sched.timer_wake, 1);
}

/* Arm t on the caller's P. The caller must hold a P. */
void timer_add(struct timer *t)
{
	struct p *pp = getp();

	if (!pp)
		fatal("timer_add: no P");
	lock(&pp->timerlock);
	if (pp->ntimers == pp->timerscap) {
		int cap = pp->timerscap ? 2 * pp->timerscap : 64;
		struct timer **a =
			realloc(pp->timers, (size_t)cap * sizeof(*a));
		if (!a)
			fatal("out of memory for timers");
		pp->timers = a;
		pp->timerscap = cap;
	}
	t->pp = pp;
	atomic_store(&t->state, TIMER_ARMED);
	heap_set(pp, pp->ntimers++, t);
	sift_up(pp, t->idx);
	update_timer0(pp);
	unlock(&pp->timerlock);
	wake_timer_sleeper(t->when);
}

/*
 * Disarm t. Returns true if it was removed before it fired; false if it
 * fired, in which case its function has returned.
 */
bool timer_del(struct timer *t)
{
	struct p *pp = t->pp;
	bool queued;

	lock(&pp->timerlock);
	queued = atomic_load(&t->state) == TIMER_ARMED;
	if (queued) {
		heap_remove(pp, t->idx);
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
 * Returns the next deadline, or INT64_MAX.
 */
int64_t checktimers(struct p *pp, int64_t now)
{
	int64_t next;

	if (atomic_load(&pp->timer0) > now)
		return atomic_load(&pp->timer0);
	lock(&pp->timerlock);
	while (pp->ntimers && pp->timers[0]->when <= now) {
		struct timer *t = pp->timers[0];
		heap_remove(pp, 0);
		atomic_store(&t->state, TIMER_FIRING);
		unlock(&pp->timerlock);
		t->f(t);
		/* Pairs with the acquire in timer_del(); t may be gone now. */
		atomic_store_explicit(&t->state, TIMER_DONE,
				      memory_order_release);
		lock(&pp->timerlock);
	}
	next = atomic_load(&pp->timer0);
	unlock(&pp->timerlock);
	return next;
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
 * Sleep the calling M (which holds no P) until until, unless another M is
 * the timer sleeper already. Returns false at once in that case.
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
	sys_futex_wait_until((uint32_t *)&sched.timer_wake, 0, until, true);
	atomic_store(&sched.sleep_until, INT64_MAX);
	atomic_store(&sched.timer_sleeping, false);
	return true;
}
