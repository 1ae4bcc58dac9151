// SPDX-License-Identifier: MIT
/*
 * Runtime locks and notes on futexes (Go's lock_futex.go).
 *
 * A lock is held by whichever kernel thread took it, for a few instructions
 * to a few hundred; contention spins briefly, then sleeps in the kernel. It
 * is never held across a switch of G, except that gopark() releases the
 * lock it is given on g0, once the parking G is off its stack.
 */
#include "runtime.h"
#include "../arch/x86_64/sys.h"

enum { UNLOCKED, LOCKED, SLEEPING };

#define ACTIVE_SPIN	4
#define ACTIVE_SPIN_CNT 30

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

void lock(struct lock *l)
{
	uint32_t v, wait;
	int i, j;

	v = UNLOCKED;
	if (likely(atomic_compare_exchange_strong_explicit(
		    &l->key, &v, LOCKED, memory_order_acquire,
		    memory_order_relaxed)))
		return;
	/* Take it as SLEEPING once we have slept: others may be waiting. */
	wait = LOCKED;
	for (;;) {
		for (i = 0; i < ACTIVE_SPIN; i++) {
			while (atomic_load_explicit(&l->key,
						    memory_order_relaxed) ==
			       UNLOCKED) {
				v = UNLOCKED;
				if (atomic_compare_exchange_weak_explicit(
					    &l->key, &v, wait,
					    memory_order_acquire,
					    memory_order_relaxed))
					return;
			}
			for (j = 0; j < ACTIVE_SPIN_CNT; j++)
				cpu_relax();
		}
		v = atomic_exchange_explicit(&l->key, SLEEPING,
					     memory_order_acquire);
		if (v == UNLOCKED)
			return;
		wait = SLEEPING;
		sys_futex_wait((uint32_t *)&l->key, SLEEPING);
	}
}

void unlock(struct lock *l)
{
	if (atomic_exchange_explicit(&l->key, UNLOCKED, memory_order_release) ==
	    SLEEPING)
		sys_futex_wake((uint32_t *)&l->key, 1);
}

void notesleep(struct note *n)
{
	while (atomic_load_explicit(&n->key, memory_order_acquire) == 0)
		sys_futex_wait((uint32_t *)&n->key, 0);
}

void notewakeup(struct note *n)
{
	if (atomic_exchange_explicit(&n->key, 1, memory_order_release) != 0)
		fatal("notewakeup: double wakeup");
	sys_futex_wake((uint32_t *)&n->key, 1);
}

void noteclear(struct note *n)
{
	atomic_store_explicit(&n->key, 0, memory_order_relaxed);
}
