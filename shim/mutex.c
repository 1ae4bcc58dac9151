// SPDX-License-Identifier: MIT
/*
 * Mutexes: normal, recursive, errorcheck and adaptive, with glibc's static
 * initializers, trylock, timedlock and clocklock. Robust and priority
 * attributes are accepted; the mutex then behaves as its base type.
 *
 * A process-private mutex is one word (Go's sync.Mutex in spirit): LOCKED
 * and WAITERS bits, Gs parked on the word's address in the wait table. A
 * failed lock spins a little while another P may release it soon, then
 * sets WAITERS and parks, under the bucket lock, so an unlock that sees
 * WAITERS finds it there. An unlock with WAITERS wakes the first waiter:
 *  - normally it releases the lock and the woken G competes for it with
 *    newcomers (a running G that takes the lock is cheaper than a switch);
 *    a G that loses waits again at the front of the queue;
 *  - once the first waiter has waited more than STARVING_NS, the unlock
 *    hands the lock over: the word stays LOCKED and the waiter wakes
 *    owning it (Go's starvation mode), so no waiter starves.
 *
 * A process-shared mutex uses the kernel's futex instead (0 free, 1 locked,
 * 2 locked with waiters), and hands the P off while its thread sleeps.
 */
#include <errno.h>
#include <string.h>

#include "sync.h"

#define M_LOCKED    1u
#define M_WAITERS   2u
#define STARVING_NS 1000000

static struct sync_mutex *mx(pthread_mutex_t *m)
{
	return (struct sync_mutex *)m;
}

static bool is_pshared(const struct sync_mutex *m)
{
	return m->kind & MUTEX_PSHARED_BIT;
}

static int kind_of(const struct sync_mutex *m)
{
	return m->kind & MUTEX_KIND_MASK;
}

static bool owned_kind(const struct sync_mutex *m)
{
	return kind_of(m) == PTHREAD_MUTEX_RECURSIVE ||
	       kind_of(m) == PTHREAD_MUTEX_ERRORCHECK;
}

static int lock_private(struct sync_mutex *m, int64_t deadline, uint64_t id)
{
	struct wt_bucket *b;
	struct waiter w;
	bool front = false;
	int spin = 0, r;
	uint32_t v;

	w.since = 0;
	for (;;) {
		v = atomic_load_explicit(&m->state, memory_order_relaxed);
		if (!(v & M_LOCKED)) {
			if (atomic_compare_exchange_weak_explicit(
				    &m->state, &v, v | M_LOCKED,
				    memory_order_acquire, memory_order_relaxed))
				return 0;
			continue;
		}
		if (!w.since && canspin(spin)) {
			spin++;
			procyield(30);
			continue;
		}
		b = wt_lock(&m->state);
		v = atomic_load(&m->state);
		if (!(v & M_LOCKED) ||
		    (!(v & M_WAITERS) &&
		     !atomic_compare_exchange_strong(&m->state, &v,
						     v | M_WAITERS))) {
			wt_unlock(b);
			continue;
		}
		if (!w.since)
			w.since = nanotime();
		w.id = id;
		r = wt_wait(b, &m->state, &w, deadline,
			    (front ? WT_FRONT : 0) | WT_INTR);
		if (r == EINTR || r == ERESTART)
			continue; /* a signal's handler ran: wait again */
		if (r)
			return r;
		if (w.token == MUTEX_HANDOFF)
			return 0;
		front = true;
	}
}

static void unlock_private(struct sync_mutex *m)
{
	struct waiter *h, *ready = NULL;
	struct wt_bucket *b;
	uint32_t v = M_LOCKED, token = 0;
	bool more;

	if (atomic_compare_exchange_strong_explicit(&m->state, &v, 0,
						    memory_order_release,
						    memory_order_relaxed))
		return;
	b = wt_lock(&m->state);
	h = wt_first(b, &m->state);
	if (!h) {
		atomic_store_explicit(&m->state, 0, memory_order_release);
		wt_unlock(b);
		return;
	}
	more = wt_next(h) != NULL;
	if (nanotime() - h->since > STARVING_NS) {
		atomic_store(&m->owner, h->id);
		atomic_store(&m->state, M_LOCKED | (more ? M_WAITERS : 0));
		token = MUTEX_HANDOFF;
	} else {
		atomic_store_explicit(&m->state, more ? M_WAITERS : 0,
				      memory_order_release);
	}
	wt_take(b, h, token, &ready);
	wt_unlock(b);
	wt_ready(ready);
}

static int lock_shared(struct sync_mutex *m, int64_t deadline)
{
	int spin = 0;

	while (canspin(spin++)) {
		uint32_t v = 0;
		procyield(30);
		if (atomic_compare_exchange_weak(&m->state, &v, 1))
			return 0;
	}
	while (atomic_exchange(&m->state, 2) != 0)
		if (kfutex_wait(&m->state, 2, deadline) == ETIMEDOUT)
			return ETIMEDOUT;
	return 0;
}

static void unlock_shared(struct sync_mutex *m)
{
	if (atomic_exchange(&m->state, 0) == 2)
		kfutex_wake(&m->state, 1);
}

/* Lock m: try only, or wait until deadline (NO_DEADLINE: forever). */
static int mutex_lock(struct sync_mutex *m, bool try, int64_t deadline)
{
	bool ps = is_pshared(m);
	uint64_t id = owner_id(ps);
	uint32_t v = 0;
	int r;

	if (m->kind < 0)
		return EINVAL; /* destroyed */
	if (owned_kind(m) && atomic_load(&m->owner) == id) {
		if (kind_of(m) == PTHREAD_MUTEX_ERRORCHECK)
			return try ? EBUSY : EDEADLK;
		if (m->count == UINT32_MAX)
			return EAGAIN;
		m->count++;
		return 0;
	}
	if (!atomic_compare_exchange_strong_explicit(&m->state, &v, M_LOCKED,
						     memory_order_acquire,
						     memory_order_relaxed)) {
		if (try)
			return EBUSY;
		r = ps ? lock_shared(m, deadline)
		       : lock_private(m, deadline, id);
		if (r)
			return r;
	}
	atomic_store_explicit(&m->owner, id, memory_order_relaxed);
	return 0;
}

static int mutex_unlock(struct sync_mutex *m)
{
	if (owned_kind(m)) {
		if (atomic_load(&m->owner) != owner_id(is_pshared(m)))
			return EPERM;
		if (m->count) {
			m->count--;
			return 0;
		}
	}
	atomic_store_explicit(&m->owner, 0, memory_order_relaxed);
	if (is_pshared(m))
		unlock_shared(m);
	else
		unlock_private(m);
	preempt_check();
	return 0;
}

/* For condvars: release m entirely, keeping its recursion count. */
int mutex_unlock_all(struct sync_mutex *m, uint32_t *count)
{
	if (owned_kind(m) && atomic_load(&m->owner) != owner_id(is_pshared(m)))
		return EPERM;
	*count = m->count;
	m->count = 0;
	atomic_store_explicit(&m->owner, 0, memory_order_relaxed);
	if (is_pshared(m))
		unlock_shared(m);
	else
		unlock_private(m);
	return 0;
}

/* Take m back after a condvar wait; handed: an unlock gave it to us. */
int mutex_relock(struct sync_mutex *m, uint32_t count, bool handed)
{
	int r = 0;

	if (!handed) {
		r = mutex_lock(m, false, NO_DEADLINE);
		if (r)
			return r;
	}
	m->count = count;
	return 0;
}

/* A condvar moves waiters to m's queue: make its unlock look there. */
void mutex_mark_waiters(const void *state)
{
	atomic_fetch_or((_Atomic uint32_t *)state, M_WAITERS);
}

bool mutex_is_private(const struct sync_mutex *m)
{
	return !is_pshared(m);
}

SPROUT_EXPORT int pthread_mutex_init(pthread_mutex_t *mutex,
				     const pthread_mutexattr_t *attr)
{
	struct sync_mutex *m = mx(mutex);
	int type = PTHREAD_MUTEX_DEFAULT, pshared = PTHREAD_PROCESS_PRIVATE;
	int robust = PTHREAD_MUTEX_STALLED, protocol = PTHREAD_PRIO_NONE;

	if (!shim_on())
		return REAL(pthread_mutex_init)(mutex, attr);
	if (attr) {
		pthread_mutexattr_gettype(attr, &type);
		pthread_mutexattr_getpshared(attr, &pshared);
		pthread_mutexattr_getrobust(attr, &robust);
		pthread_mutexattr_getprotocol(attr, &protocol);
	}
	memset(m, 0, sizeof(*m));
	m->kind = (type & MUTEX_KIND_MASK) |
		  (pshared == PTHREAD_PROCESS_SHARED ? MUTEX_PSHARED_BIT : 0) |
		  (robust == PTHREAD_MUTEX_ROBUST ? MUTEX_ROBUST_BIT : 0) |
		  (protocol == PTHREAD_PRIO_INHERIT ? MUTEX_PRIO_INHERIT : 0) |
		  (protocol == PTHREAD_PRIO_PROTECT ? MUTEX_PRIO_PROTECT : 0);
	return 0;
}

SPROUT_EXPORT int pthread_mutex_destroy(pthread_mutex_t *mutex)
{
	struct sync_mutex *m = mx(mutex);

	if (!shim_on())
		return REAL(pthread_mutex_destroy)(mutex);
	if (atomic_load(&m->state) & M_LOCKED)
		return EBUSY;
	m->kind = -1; /* as glibc: later use fails with EINVAL */
	return 0;
}

SPROUT_EXPORT int pthread_mutex_lock(pthread_mutex_t *mutex)
{
	if (!shim_on())
		return REAL(pthread_mutex_lock)(mutex);
	return mutex_lock(mx(mutex), false, NO_DEADLINE);
}

SPROUT_EXPORT int pthread_mutex_trylock(pthread_mutex_t *mutex)
{
	if (!shim_on())
		return REAL(pthread_mutex_trylock)(mutex);
	return mutex_lock(mx(mutex), true, NO_DEADLINE);
}

static int timedlock(struct sync_mutex *m, clockid_t clock,
		     const struct timespec *abstime)
{
	int64_t deadline;
	int r;

	/*
	 * As glibc: a free mutex is taken, and an error-checking one the
	 * caller holds refused, before the time is looked at.
	 */
	r = mutex_lock(m, true, NO_DEADLINE);
	if (r != EBUSY)
		return r;
	if (kind_of(m) == PTHREAD_MUTEX_ERRORCHECK &&
	    atomic_load(&m->owner) == owner_id(is_pshared(m)))
		return EDEADLK;
	r = deadline_of(abstime, clock, &deadline);
	return r ? r : mutex_lock(m, false, deadline);
}

SPROUT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *mutex,
					  const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_mutex_timedlock)(mutex, abstime);
	return timedlock(mx(mutex), CLOCK_REALTIME, abstime);
}

SPROUT_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *mutex,
					  clockid_t clock,
					  const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_mutex_clocklock)(mutex, clock, abstime);
	if (!clock_ok(clock))
		return EINVAL;
	return timedlock(mx(mutex), clock, abstime);
}

SPROUT_EXPORT int pthread_mutex_unlock(pthread_mutex_t *mutex)
{
	if (!shim_on())
		return REAL(pthread_mutex_unlock)(mutex);
	return mutex_unlock(mx(mutex));
}
