/* SPDX-License-Identifier: MIT */
/*
 * Shared by the synchronisation primitives: deadlines, owner ids, and
 * waiting on a futex shared with other processes.
 */
#ifndef SPROUT_SHIM_SYNC_H
#define SPROUT_SHIM_SYNC_H

#include <time.h>

#include "shim.h"
#include "../compat/sync.h"
#include "../sched/sema.h"

#define NO_DEADLINE (-1)

/*
 * The CLOCK_MONOTONIC deadline of an absolute time on clock; EINVAL if
 * abstime's nanoseconds are out of range.
 */
int deadline_of(const struct timespec *abstime, clockid_t clock,
		int64_t *deadline) hidden;

/* Clocks a timed wait accepts (glibc's futex_abstimed_supported_clockid). */
static inline bool clock_ok(clockid_t clock)
{
	return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC;
}

/* Who holds a lock: the G, and for a process-shared object the process. */
uint64_t owner_id(bool pshared) hidden;

/*
 * Wait on a futex shared between processes: the kernel thread sleeps, so
 * the P is handed to another M meanwhile. 0 (woken, or the value differed)
 * or ETIMEDOUT.
 */
int kfutex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t deadline) hidden;
int kfutex_wait_cancel(_Atomic uint32_t *addr, uint32_t val,
		       int64_t deadline) hidden;
void kfutex_wake(_Atomic uint32_t *addr, int n) hidden;

/*
 * Users of an object that its destroy waits out, as glibc's does: the
 * barrier's woken waiters until they leave, the condvar's waiters until
 * they no longer read it. The count, with USERS_DESTROY set by a destroy
 * that sleeps until it is 0: users_put() when done (the object may be
 * gone after), users_drain() in the destroy.
 */
#define USERS_DESTROY (1u << 31)
void users_put(_Atomic uint32_t *users, bool pshared) hidden;
void users_drain(_Atomic uint32_t *users, bool pshared, uint32_t what,
		 const void *obj) hidden;

/* mutex.c: for condvars. */
int mutex_unlock_all(struct sync_mutex *m, uint32_t *count) hidden;
int mutex_relock(struct sync_mutex *m, uint32_t count, uint32_t token) hidden;
void mutex_mark_waiters(const void *state) hidden;
bool mutex_is_private(const struct sync_mutex *m) hidden;
/* The calling G ends: the robust mutexes it holds see their owner die. */
void mutex_g_exit(void) hidden;

/* Tokens of a private mutex's unlock to the waiter it wakes (mutex.c). */
#define MUTEX_HANDOFF 1 /* the mutex is the woken waiter's now */
#define MUTEX_WOKEN   2 /* the waiter is the mutex's woken G: M_WOKEN */

#endif
