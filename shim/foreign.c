// SPDX-License-Identifier: MIT
/*
 * libc functions that take a pthread_t but that the shim does not implement
 * yet: pthread_sigqueue, scheduling parameters and affinity;
 * and pthread_kill, which is, but not for threads of libc's own. A
 * pthread_t is a G here, not libc's descriptor, so each of these hands libc
 * the G's own TCB instead. libc then acts correctly on the calling thread
 * (it recognises its TCB as THREAD_SELF) and on threads of its own (locked
 * Gs); for another G it finds the fake kernel thread id and answers ESRCH,
 * never touching a stranger. Signal 0 (is the thread alive?) is answered
 * here for every G.
 */
#include <errno.h>

#include "shim.h"
#include "../compat/tcb.h"

static pthread_t libc_thread(pthread_t t)
{
	return tcb_pthread(g_of(t)->tcb);
}

/* A G gets its signals from the runtime (sched/signal.c). */
SPROUT_EXPORT int pthread_kill(pthread_t t, int sig)
{
	struct g *gp = g_of(t);
	uint32_t st;

	if (!shim_on())
		return REAL(pthread_kill)(t, sig);
	if (gp->flags & G_LOCKED)
		return REAL(pthread_kill)(libc_thread(t), sig);
	st = atomic_load(&gp->status);
	if (st == G_IDLE)
		return ESRCH;
	if (sig == 0 || st == G_DEAD)
		return sig < 0 || sig > 64 ? EINVAL : 0; /* as glibc */
	return g_kill(gp, sig);
}

SPROUT_EXPORT int pthread_sigqueue(pthread_t t, int sig,
				   const union sigval value)
{
	if (!shim_on())
		return REAL(pthread_sigqueue)(t, sig, value);
	return REAL(pthread_sigqueue)(libc_thread(t), sig, value);
}

SPROUT_EXPORT int pthread_setschedparam(pthread_t t, int policy,
					const struct sched_param *param)
{
	if (!shim_on())
		return REAL(pthread_setschedparam)(t, policy, param);
	return REAL(pthread_setschedparam)(libc_thread(t), policy, param);
}

SPROUT_EXPORT int pthread_getschedparam(pthread_t t, int *policy,
					struct sched_param *param)
{
	if (!shim_on())
		return REAL(pthread_getschedparam)(t, policy, param);
	return REAL(pthread_getschedparam)(libc_thread(t), policy, param);
}

SPROUT_EXPORT int pthread_setschedprio(pthread_t t, int prio)
{
	if (!shim_on())
		return REAL(pthread_setschedprio)(t, prio);
	return REAL(pthread_setschedprio)(libc_thread(t), prio);
}

SPROUT_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size,
					 const cpu_set_t *set)
{
	if (!shim_on())
		return REAL(pthread_setaffinity_np)(t, size, set);
	return REAL(pthread_setaffinity_np)(libc_thread(t), size, set);
}

SPROUT_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size,
					 cpu_set_t *set)
{
	if (!shim_on())
		return REAL(pthread_getaffinity_np)(t, size, set);
	return REAL(pthread_getaffinity_np)(libc_thread(t), size, set);
}
