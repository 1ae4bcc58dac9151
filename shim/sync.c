// SPDX-License-Identifier: MIT
/* Deadlines, owner ids and shared futexes for the synchronisation objects. */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "sync.h"
#include "../compat/tcb.h"
#include "../syscall-wrap/wrap.h"
#include "../arch/x86_64/sys.h"

int deadline_of(const struct timespec *abstime, clockid_t clock,
		int64_t *deadline)
{
	struct timespec now;
	int64_t abs_ns, now_ns;

	if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000)
		return EINVAL;
	if (abstime->tv_sec < 0) {
		*deadline = 0; /* long past */
		return 0;
	}
	if (abstime->tv_sec > INT64_MAX / 1000000000 - 1) {
		*deadline = NO_DEADLINE;
		return 0;
	}
	abs_ns = (int64_t)abstime->tv_sec * 1000000000 + abstime->tv_nsec;
	if (clock == CLOCK_MONOTONIC) {
		*deadline = abs_ns;
		return 0;
	}
	REAL(clock_gettime)(clock, &now);
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	*deadline = nanotime() + (abs_ns - now_ns);
	if (*deadline < 0)
		*deadline = 0;
	return 0;
}

/*
 * The process id, for owners of process-shared objects, with the count of
 * forks it was read after: a child of any fork path (fork, _Fork, a raw
 * fork through syscall()) reads its own.
 */
static _Atomic uint64_t pid_seen;

static pid_t cached_pid(void)
{
	uint64_t v = atomic_load_explicit(&pid_seen, memory_order_relaxed);
	unsigned int forks =
		atomic_load_explicit(&sched_forks, memory_order_relaxed);

	if (!v || (unsigned int)(v >> 32) != forks) {
		v = (uint64_t)forks << 32 | (uint32_t)getpid();
		atomic_store_explicit(&pid_seen, v, memory_order_relaxed);
	}
	return (pid_t)(uint32_t)v;
}

uint64_t owner_id(bool pshared)
{
	uint64_t id = self_g()->id;

	return pshared ? id | (uint64_t)cached_pid() << 32 : id;
}

int kfutex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t deadline)
{
	long r = BLOCKING(
		LONG, long,
		sys_futex_wait_until((uint32_t *)addr, val, deadline, false));

	/* EINTR: a handler ran, and the kernel does not restart the wait. */
	return r == -ETIMEDOUT || r == -EINTR ? (int)-r : 0;
}

static long futex_wait_cancellable(_Atomic uint32_t *addr, uint32_t val,
				   int64_t deadline)
{
	long r;
	int old;

	if (tcb_async_begin(&old))
		thread_exit(PTHREAD_CANCELED);
	r = sys_futex_wait_until((uint32_t *)addr, val, deadline, false);
	tcb_async_end(old);
	return r;
}

/*
 * kfutex_wait() that is a cancellation point (a process-shared condvar or
 * semaphore): asynchronously cancellable while it waits, as glibc's
 * cancellable futex waits are, so that pthread_cancel() interrupts it
 * and the unwind leaves the section (BLOCKING()).
 */
int kfutex_wait_cancel(_Atomic uint32_t *addr, uint32_t val, int64_t deadline)
{
	long r = BLOCKING(LONG, long,
			  futex_wait_cancellable(addr, val, deadline));

	return r == -ETIMEDOUT || r == -EINTR ? (int)-r : 0;
}

void kfutex_wake(_Atomic uint32_t *addr, int n)
{
	sys3(SYS_futex, (long)addr, FUTEX_WAKE, n);
}

void users_put(_Atomic uint32_t *users, bool pshared)
{
	if (atomic_fetch_sub(users, 1) != (USERS_DESTROY | 1))
		return;
	if (pshared)
		kfutex_wake(users, INT_MAX);
	else
		wt_futex_wake(users, INT_MAX);
}

void users_drain(_Atomic uint32_t *users, bool pshared, uint32_t what,
		 const void *obj)
{
	uint32_t n = atomic_load(users);

	while (n & ~USERS_DESTROY) {
		if (!(n & USERS_DESTROY) &&
		    !atomic_compare_exchange_weak(users, &n, n | USERS_DESTROY))
			continue;
		g_waitfor(what, obj, -1);
		if (pshared)
			kfutex_wait(users, n | USERS_DESTROY, NO_DEADLINE);
		else
			wt_futex_wait(users, n | USERS_DESTROY, NO_DEADLINE);
		n = atomic_load(users);
	}
}
