// SPDX-License-Identifier: MIT
/*
 * pthread_once() and C11 call_once(). The control word takes glibc's
 * values: 0 not run, 1 running, 2 done. A caller that finds the routine
 * running yields until it is done; if the routine is cancelled or calls
 * pthread_exit(), the word goes back to 0 and another caller runs it.
 */
#include <errno.h>

#include "shim.h"

enum { ONCE_INIT, ONCE_RUNNING, ONCE_DONE };

static void once_reset(void *arg)
{
	atomic_store((_Atomic int *)arg, ONCE_INIT);
}

static void run_once(_Atomic int *st, void (*fn)(void))
{
	int v;

	for (;;) {
		v = ONCE_INIT;
		if (atomic_compare_exchange_strong(st, &v, ONCE_RUNNING)) {
			pthread_cleanup_push(once_reset, (void *)st);
			fn();
			pthread_cleanup_pop(0);
			atomic_store_explicit(st, ONCE_DONE,
					      memory_order_release);
			return;
		}
		if (v == ONCE_DONE)
			return;
		sched_yield();
		if (atomic_load_explicit(st, memory_order_acquire) == ONCE_DONE)
			return;
	}
}

SPROUT_EXPORT int pthread_once(pthread_once_t *once, void (*fn)(void))
{
	_Atomic int *st = (_Atomic int *)once;

	if (atomic_load_explicit(st, memory_order_acquire) == ONCE_DONE)
		return 0;
	if (!shim_on())
		return REAL(pthread_once)(once, fn);
	run_once(st, fn);
	return 0;
}

_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag");

SPROUT_EXPORT void call_once(once_flag *flag, void (*fn)(void))
{
	pthread_once((pthread_once_t *)flag, fn);
}
