// SPDX-License-Identifier: MIT
/*
 * Barriers. The G that completes a round resets the count, bumps the
 * generation and wakes the others, which wait for the generation to move
 * (in the wait table, or for a process-shared barrier on the kernel's
 * futex). A G of the next round arrives only after the bump, so it never
 * counts into the round before.
 *
 * pthread_barrier_destroy() waits, as glibc's does, until every G woken
 * by a completed round has left pthread_barrier_wait(): the G that
 * completes a round may then destroy and initialise the barrier again
 * (or free it) while the others of its round still wake. The completing
 * G adds the number it wakes to leaving; each counts itself out after its
 * last touch of the barrier (users_put()), which wakes a destroy that
 * waits when it is the last.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "sync.h"

SPROUT_EXPORT int pthread_barrier_init(pthread_barrier_t *barrier,
				       const pthread_barrierattr_t *attr,
				       unsigned int count)
{
	struct sync_barrier *bar = (struct sync_barrier *)barrier;
	int pshared = PTHREAD_PROCESS_PRIVATE;

	if (!shim_on())
		return REAL(pthread_barrier_init)(barrier, attr, count);
	if (count == 0 || count > INT_MAX)
		return EINVAL;
	if (attr)
		pthread_barrierattr_getpshared(attr, &pshared);
	memset(bar, 0, sizeof(*bar));
	bar->count = count;
	bar->pshared = pshared == PTHREAD_PROCESS_SHARED;
	return 0;
}

SPROUT_EXPORT int pthread_barrier_destroy(pthread_barrier_t *barrier)
{
	struct sync_barrier *bar = (struct sync_barrier *)barrier;

	if (!shim_on())
		return REAL(pthread_barrier_destroy)(barrier);
	self_g();
	users_drain(&bar->leaving, bar->pshared, GW_BARRIER, bar);
	return 0;
}

SPROUT_EXPORT int pthread_barrier_wait(pthread_barrier_t *barrier)
{
	struct sync_barrier *bar = (struct sync_barrier *)barrier;
	uint32_t gen;
	bool pshared;

	if (!shim_on())
		return REAL(pthread_barrier_wait)(barrier);
	self_g(); /* a thread not ours waits as a locked G */
	gen = atomic_load(&bar->gen);
	if (atomic_fetch_add(&bar->arrived, 1) + 1 == bar->count) {
		atomic_store(&bar->arrived, 0);
		atomic_fetch_add(&bar->leaving, bar->count - 1);
		atomic_fetch_add_explicit(&bar->gen, 1, memory_order_release);
		if (bar->pshared)
			kfutex_wake(&bar->gen, INT_MAX);
		else
			wt_futex_wake(&bar->gen, INT_MAX);
		return PTHREAD_BARRIER_SERIAL_THREAD;
	}
	pshared = bar->pshared;
	while (atomic_load_explicit(&bar->gen, memory_order_acquire) == gen) {
		g_waitfor(GW_BARRIER, bar, -1);
		if (pshared)
			kfutex_wait(&bar->gen, gen, NO_DEADLINE);
		else
			wt_futex_wait_intr(&bar->gen, gen, NO_DEADLINE);
	}
	/* The barrier may be destroyed from here on. */
	users_put(&bar->leaving, pshared);
	return 0;
}
