// SPDX-License-Identifier: MIT
/*
 * C11 threads. glibc implements them on its pthread functions through
 * internal aliases that an interposer never sees, so each one is here too,
 * on the shim's pthread functions, with glibc's mapping of error numbers.
 */
#include <errno.h>
#include <stdint.h>

#include "shim.h"

int thread_create(pthread_t *t, const pthread_attr_t *attr, bool c11,
		  void *start, void *arg) hidden;

static int thrd_status(int err)
{
	switch (err) {
	case 0:
		return thrd_success;
	case ENOMEM:
		return thrd_nomem;
	case ETIMEDOUT:
		return thrd_timedout;
	case EBUSY:
		return thrd_busy;
	default:
		return thrd_error;
	}
}

SPROUT_EXPORT int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
	_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t");
	if (!shim_on())
		return REAL(thrd_create)(thr, func, arg);
	return thrd_status(
		thread_create((pthread_t *)thr, NULL, true, (void *)func, arg));
}

SPROUT_EXPORT int thrd_join(thrd_t thr, int *res)
{
	void *ret;
	int err = pthread_join(thr, &ret);

	if (err == 0 && res)
		*res = (int)(intptr_t)ret;
	return thrd_status(err);
}

SPROUT_EXPORT int thrd_detach(thrd_t thr)
{
	return thrd_status(pthread_detach(thr));
}

SPROUT_EXPORT void thrd_exit(int res)
{
	pthread_exit((void *)(intptr_t)res);
}

SPROUT_EXPORT thrd_t thrd_current(void)
{
	return pthread_self();
}

/* musl's <threads.h> makes thrd_equal a macro too. */
SPROUT_EXPORT int(thrd_equal)(thrd_t a, thrd_t b)
{
	return a == b;
}

SPROUT_EXPORT void thrd_yield(void)
{
	sched_yield();
}

SPROUT_EXPORT int tss_create(tss_t *key, tss_dtor_t dtor)
{
	_Static_assert(sizeof(tss_t) == sizeof(pthread_key_t), "tss_t");
	return thrd_status(pthread_key_create(key, dtor));
}

SPROUT_EXPORT void tss_delete(tss_t key)
{
	pthread_key_delete(key);
}

SPROUT_EXPORT void *tss_get(tss_t key)
{
	return pthread_getspecific(key);
}

SPROUT_EXPORT int tss_set(tss_t key, void *value)
{
	return thrd_status(pthread_setspecific(key, value));
}

SPROUT_EXPORT int mtx_init(mtx_t *m, int type)
{
	pthread_mutexattr_t attr;
	int err;

	_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t");
	if (!shim_on())
		return REAL(mtx_init)(m, type);
	pthread_mutexattr_init(&attr);
	if (type & mtx_recursive)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	err = pthread_mutex_init((pthread_mutex_t *)m, &attr);
	pthread_mutexattr_destroy(&attr);
	return thrd_status(err);
}

SPROUT_EXPORT void mtx_destroy(mtx_t *m)
{
	pthread_mutex_destroy((pthread_mutex_t *)m);
}

SPROUT_EXPORT int mtx_lock(mtx_t *m)
{
	return thrd_status(pthread_mutex_lock((pthread_mutex_t *)m));
}

SPROUT_EXPORT int mtx_trylock(mtx_t *m)
{
	return thrd_status(pthread_mutex_trylock((pthread_mutex_t *)m));
}

SPROUT_EXPORT int mtx_timedlock(mtx_t *restrict m,
				const struct timespec *restrict ts)
{
	return thrd_status(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

SPROUT_EXPORT int mtx_unlock(mtx_t *m)
{
	return thrd_status(pthread_mutex_unlock((pthread_mutex_t *)m));
}

SPROUT_EXPORT int cnd_init(cnd_t *c)
{
	_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t");
	return thrd_status(pthread_cond_init((pthread_cond_t *)c, NULL));
}

SPROUT_EXPORT void cnd_destroy(cnd_t *c)
{
	pthread_cond_destroy((pthread_cond_t *)c);
}

SPROUT_EXPORT int cnd_signal(cnd_t *c)
{
	return thrd_status(pthread_cond_signal((pthread_cond_t *)c));
}

SPROUT_EXPORT int cnd_broadcast(cnd_t *c)
{
	return thrd_status(pthread_cond_broadcast((pthread_cond_t *)c));
}

SPROUT_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
	return thrd_status(
		pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

SPROUT_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
				const struct timespec *restrict ts)
{
	return thrd_status(pthread_cond_timedwait((pthread_cond_t *)c,
						  (pthread_mutex_t *)m, ts));
}
