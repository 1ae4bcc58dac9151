// SPDX-License-Identifier: MIT
/*
 * Spinlocks. A G that finds the lock taken spins briefly, then yields its
 * P: the holder may be a G queued on this very P, which a spinning G would
 * never let run.
 */
#include <errno.h>

#include "shim.h"

#define SPINS 100

static _Atomic int *sl(pthread_spinlock_t *l)
{
	return (_Atomic int *)l;
}

SPROUT_EXPORT int pthread_spin_init(pthread_spinlock_t *lock, int pshared)
{
	(void)pshared;
	atomic_store(sl(lock), 0);
	return 0;
}

SPROUT_EXPORT int pthread_spin_destroy(pthread_spinlock_t *lock)
{
	(void)lock;
	return 0;
}

SPROUT_EXPORT int pthread_spin_lock(pthread_spinlock_t *lock)
{
	int i;

	for (;;) {
		if (!atomic_exchange_explicit(sl(lock), 1,
					      memory_order_acquire))
			return 0;
		for (i = 0;
		     i < SPINS &&
		     atomic_load_explicit(sl(lock), memory_order_relaxed);
		     i++)
			__builtin_ia32_pause();
		if (atomic_load_explicit(sl(lock), memory_order_relaxed))
			sched_yield();
	}
}

SPROUT_EXPORT int pthread_spin_trylock(pthread_spinlock_t *lock)
{
	return atomic_exchange_explicit(sl(lock), 1, memory_order_acquire)
		       ? EBUSY
		       : 0;
}

SPROUT_EXPORT int pthread_spin_unlock(pthread_spinlock_t *lock)
{
	atomic_store_explicit(sl(lock), 0, memory_order_release);
	if (shim_on())
		preempt_check();
	return 0;
}
