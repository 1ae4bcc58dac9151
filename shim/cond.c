// SPDX-License-Identifier: MIT
/*
 * Condition variables, both glibc ABIs (one unversioned definition binds
 * the GLIBC_2.2.5 and GLIBC_2.3.2 references alike), with the clock
 * attribute, timedwait and clockwait.
 *
 * The futex condvar: a waiter reads the sequence word, releases the mutex,
 * and parks on the word unless it has changed meanwhile (checked under the
 * wait-table bucket lock, so a signal between the two is never lost).
 * Signal bumps the word and wakes the first waiter; the queue is FIFO and a
 * waiter that timed out has left it, so a signal is never spent on it.
 * Spurious wakeups are possible, as POSIX allows, but not for a signal
 * handler that ran during the wait: glibc's waits on then, and so do we.
 *
 * Broadcast wakes one waiter and moves the others to the mutex's queue,
 * marking the mutex as having waiters: they then wake one by one as the
 * mutex is released instead of all at once to fight over it. A waiter
 * woken from the mutex's queue may be handed the mutex directly.
 *
 * A process-shared condvar waits on the kernel's futex and broadcast
 * wakes everyone.
 *
 * pthread_cond_destroy() waits, as glibc's does, until every waiter has
 * stopped reading the condvar: a waiter counts itself in while it holds
 * the mutex and out before it takes the mutex back, so that a thread may
 * signal, unlock, destroy and reuse the memory while the waiters it woke
 * (or that were about to park when it signalled) have yet to run.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "sync.h"

static struct sync_cond *cv(pthread_cond_t *c)
{
	return (struct sync_cond *)c;
}

/*
 * A condvar wait's hold on its mutex, given back however the wait ends,
 * and on the condvar (counted in its waiters while armed).
 */
struct cond_relock {
	struct sync_cond *c;
	struct sync_mutex *m;
	uint32_t count;
	struct waiter *w;
	bool armed;
};

/* The waiter no longer reads c: a destroy may go on. */
static void cond_leave(struct cond_relock *rl)
{
	rl->armed = false;
	users_put(&rl->c->waiters, rl->c->pshared);
}

/*
 * Cancellation unwinds the wait: the mutex is the thread's again before
 * its cleanup handlers run, as POSIX requires (handed to it by a
 * broadcast, or taken).
 */
static void cond_unwound(struct cond_relock *rl)
{
	if (!rl->armed)
		return;
	cond_leave(rl);
	mutex_relock(rl->m, rl->count, rl->w->result == 0 ? rl->w->token : 0);
}

static int cond_wait(struct sync_cond *c, struct sync_mutex *m,
		     int64_t deadline)
{
	uint32_t seq = atomic_load(&c->seq);
	struct wt_bucket *b;
	struct waiter w;
	TCB_UNWOUND(struct cond_relock, rl,
		    ((struct cond_relock){ .c = c, .m = m, .w = &w }),
		    cond_unwound);
	uint32_t token = 0; /* from the mutex's unlock, if it woke us */
	bool cancelled = false;
	int r, lr;

	cancel_point();
	atomic_store(&c->mutex, m);
	atomic_fetch_add(&c->waiters, 1);
	r = mutex_unlock_all(m, &rl.count);
	if (r) {
		users_put(&c->waiters, c->pshared);
		return r;
	}
	/*
	 * A signal's handler ran (EINTR, ERESTART): wait again while the
	 * word has not moved. glibc's condvar never returns for a handler
	 * (its tst-eintr5), and a signal or broadcast meanwhile moved the
	 * word, so none is lost. A cancellation ends the wait: the thread
	 * takes the mutex back, then acts on it, consuming no signal.
	 */
	w.id = owner_id(false);
	w.since = nanotime();
	w.result = EINTR; /* no handoff, until wt_wait() says */
	rl.armed = true;
	do {
		if (r && (cancelled = cancel_due()))
			break;
		if (c->pshared) {
			r = kfutex_wait_cancel(&c->seq, seq, deadline);
			continue;
		}
		b = wt_lock(&c->seq);
		if (atomic_load(&c->seq) != seq) {
			wt_unlock(b);
			r = 0;
			break;
		}
		g_waitfor(GW_COND, c, deadline);
		r = wt_wait(b, &c->seq, &w, deadline, WT_INTR | WT_CANCEL);
		token = r == 0 ? w.token : 0;
	} while (r == EINTR || r == ERESTART);
	cond_leave(&rl);
	/*
	 * Even after a timeout the mutex is ours again on return; as glibc,
	 * the lock's error (EOWNERDEAD of a robust one) comes first.
	 */
	lr = mutex_relock(m, rl.count, token);
	if (cancelled)
		cancel_point();
	return lr ? lr : r;
}

static void cond_signal(struct sync_cond *c, bool all)
{
	struct sync_mutex *m;

	atomic_fetch_add(&c->seq, 1);
	if (c->pshared) {
		kfutex_wake(&c->seq, all ? INT_MAX : 1);
		return;
	}
	m = atomic_load(&c->mutex);
	if (!all)
		wt_futex_wake(&c->seq, 1);
	else if (m && mutex_is_private(m))
		wt_requeue(&c->seq, &m->state, 1, mutex_mark_waiters);
	else
		wt_futex_wake(&c->seq, INT_MAX);
	preempt_check();
}

SPROUT_EXPORT int pthread_cond_init(pthread_cond_t *cond,
				    const pthread_condattr_t *attr)
{
	struct sync_cond *c = cv(cond);
	clockid_t clock = CLOCK_REALTIME;
	int pshared = PTHREAD_PROCESS_PRIVATE;

	if (!shim_on())
		return REAL(pthread_cond_init)(cond, attr);
	if (attr) {
		pthread_condattr_getclock(attr, &clock);
		pthread_condattr_getpshared(attr, &pshared);
	}
	memset(c, 0, sizeof(*c));
	c->clock = clock;
	c->pshared = pshared == PTHREAD_PROCESS_SHARED;
	return 0;
}

SPROUT_EXPORT int pthread_cond_destroy(pthread_cond_t *cond)
{
	struct sync_cond *c = cv(cond);

	if (!shim_on())
		return REAL(pthread_cond_destroy)(cond);
	self_g(); /* a thread not ours waits as a locked G */
	users_drain(&c->waiters, c->pshared, GW_COND, c);
	return 0;
}

SPROUT_EXPORT int pthread_cond_signal(pthread_cond_t *cond)
{
	if (!shim_on())
		return REAL(pthread_cond_signal)(cond);
	cond_signal(cv(cond), false);
	return 0;
}

SPROUT_EXPORT int pthread_cond_broadcast(pthread_cond_t *cond)
{
	if (!shim_on())
		return REAL(pthread_cond_broadcast)(cond);
	cond_signal(cv(cond), true);
	return 0;
}

SPROUT_EXPORT int pthread_cond_wait(pthread_cond_t *cond,
				    pthread_mutex_t *mutex)
{
	if (!shim_on())
		return REAL(pthread_cond_wait)(cond, mutex);
	return cond_wait(cv(cond), (struct sync_mutex *)mutex, NO_DEADLINE);
}

static int timedwait(struct sync_cond *c, pthread_mutex_t *mutex,
		     clockid_t clock, const struct timespec *abstime)
{
	int64_t deadline;
	int r = deadline_of(abstime, clock, &deadline);

	return r ? r : cond_wait(c, (struct sync_mutex *)mutex, deadline);
}

SPROUT_EXPORT int pthread_cond_timedwait(pthread_cond_t *cond,
					 pthread_mutex_t *mutex,
					 const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_cond_timedwait)(cond, mutex, abstime);
	return timedwait(cv(cond), mutex, cv(cond)->clock, abstime);
}

#ifdef __GLIBC__
SPROUT_EXPORT int pthread_cond_clockwait(pthread_cond_t *cond,
					 pthread_mutex_t *mutex,
					 clockid_t clock,
					 const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_cond_clockwait)(cond, mutex, clock,
						    abstime);
	if (!clock_ok(clock))
		return EINVAL;
	return timedwait(cv(cond), mutex, clock, abstime);
}
#endif
