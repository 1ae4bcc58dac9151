// SPDX-License-Identifier: MIT
/*
 * POSIX semaphores, in glibc's layout (compat/sync.h) so that libc's own
 * sem_open(), sem_close() and sem_unlink() (not interposed) and processes
 * without the shim share named and process-shared semaphores with us: the
 * value in the low half of a 64-bit word, the number of waiters in the
 * high half. A waiter counts itself in, then sleeps while the value is 0:
 * in the wait table if the semaphore is private, on the kernel's futex
 * otherwise. sem_post() wakes one if anyone is counted.
 */
#include <errno.h>
#include <limits.h>

#include "sync.h"

static struct sync_sem *sm(sem_t *s)
{
	return (struct sync_sem *)s;
}

static bool is_shared(const struct sync_sem *s)
{
	return s->private == SEM_SHARED;
}

static void wake_one(struct sync_sem *s)
{
	if (is_shared(s))
		kfutex_wake(&s->value, 1);
	else
		wt_futex_wake(&s->value, 1);
}

/* Take one if the value allows; returns whether it did. */
static bool try_take(struct sync_sem *s)
{
	uint64_t d = atomic_load(&s->data);

	while ((uint32_t)d > 0)
		if (atomic_compare_exchange_weak(&s->data, &d, d - 1))
			return true;
	return false;
}

/* A waiter leaves without a token: pass on a post that may have come. */
static void sem_leave(struct sync_sem *s)
{
	uint64_t d;

	d = atomic_fetch_sub(&s->data, SEM_NWAITERS_ONE) - SEM_NWAITERS_ONE;
	if ((uint32_t)d > 0 && (d >> 32) > 0)
		wake_one(s);
}

/* Cancellation unwinds a wait: the waiter leaves (glibc: its cleanup). */
static void sem_unwound(struct sync_sem **waiting)
{
	if (*waiting)
		sem_leave(*waiting);
}

/* A cancellation point (sem_wait(), sem_timedwait(), sem_clockwait()). */
static int sem_wait_until(struct sync_sem *s, int64_t deadline)
{
	TCB_UNWOUND(struct sync_sem *, waiting, NULL, sem_unwound);
	uint64_t d;
	int r = 0;

	cancel_point();
	if (try_take(s))
		return 0;
	self_g();
	atomic_fetch_add(&s->data, SEM_NWAITERS_ONE);
	waiting = s;
	for (;;) {
		d = atomic_load(&s->data);
		if ((uint32_t)d > 0) {
			if (atomic_compare_exchange_weak(
				    &s->data, &d, d - 1 - SEM_NWAITERS_ONE)) {
				waiting = NULL;
				return 0;
			}
			continue;
		}
		/* A timed futex wait is never restarted after a handler. */
		if (r == ERESTART && deadline != NO_DEADLINE)
			r = EINTR;
		if (r == ETIMEDOUT || r == EINTR)
			break;
		if (r == ERESTART && cancel_due())
			break;
		g_waitfor(GW_SEM, s, deadline);
		r = is_shared(s) ? kfutex_wait_cancel(&s->value, 0, deadline)
				 : wt_futex_wait_cancel(&s->value, 0, deadline);
	}
	/*
	 * Timed out, or a signal's handler ran (as glibc's over the kernel's
	 * futex: sem_wait() is restarted after a handler with SA_RESTART,
	 * sem_timedwait() never), or the thread is cancelled: leave, then
	 * act on a cancellation.
	 */
	waiting = NULL;
	sem_leave(s);
	cancel_point();
	return r;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

SPROUT_EXPORT int sem_init(sem_t *sem, int pshared, unsigned int value)
{
	struct sync_sem *s = sm(sem);

	if (!shim_on())
		return REAL(sem_init)(sem, pshared, value);
	if (value > SEM_VALUE_MAX)
		return fail(EINVAL);
	atomic_store(&s->data, value);
	s->private = pshared ? SEM_SHARED : SEM_PRIVATE;
	s->pad = 0;
	return 0;
}

SPROUT_EXPORT int sem_destroy(sem_t *sem)
{
	if (!shim_on())
		return REAL(sem_destroy)(sem);
	return 0;
}

SPROUT_EXPORT int sem_post(sem_t *sem)
{
	struct sync_sem *s = sm(sem);
	uint64_t d;

	if (!shim_on())
		return REAL(sem_post)(sem);
	d = atomic_load(&s->data);
	do {
		if ((uint32_t)d == SEM_VALUE_MAX)
			return fail(EOVERFLOW);
	} while (!atomic_compare_exchange_weak(&s->data, &d, d + 1));
	if (d >> 32)
		wake_one(s);
	preempt_check();
	return 0;
}

SPROUT_EXPORT int sem_wait(sem_t *sem)
{
	int r;

	if (!shim_on())
		return REAL(sem_wait)(sem);
	r = sem_wait_until(sm(sem), NO_DEADLINE);
	return r ? fail(r) : 0;
}

SPROUT_EXPORT int sem_trywait(sem_t *sem)
{
	if (!shim_on())
		return REAL(sem_trywait)(sem);
	return try_take(sm(sem)) ? 0 : fail(EAGAIN);
}

static int timedwait(sem_t *sem, clockid_t clock,
		     const struct timespec *abstime)
{
	int64_t deadline;
	int r = deadline_of(abstime, clock, &deadline);

	if (!r)
		r = sem_wait_until(sm(sem), deadline);
	return r ? fail(r) : 0;
}

SPROUT_EXPORT int sem_timedwait(sem_t *sem, const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(sem_timedwait)(sem, abstime);
	return timedwait(sem, CLOCK_REALTIME, abstime);
}

#ifdef __GLIBC__
SPROUT_EXPORT int sem_clockwait(sem_t *sem, clockid_t clock,
				const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(sem_clockwait)(sem, clock, abstime);
	if (!clock_ok(clock))
		return fail(EINVAL);
	return timedwait(sem, clock, abstime);
}
#endif

SPROUT_EXPORT int sem_getvalue(sem_t *sem, int *value)
{
	if (!shim_on())
		return REAL(sem_getvalue)(sem, value);
	*value = (int)(uint32_t)atomic_load(&sm(sem)->data);
	return 0;
}
