/* SPDX-License-Identifier: MIT */
/* What syscall-wrap/ offers the rest of the shim. */
#ifndef SPROUT_SYSCALL_WRAP_H
#define SPROUT_SYSCALL_WRAP_H

#include <errno.h>
#include <stdbool.h>
#include <time.h>

#include "../sched/runtime.h"

/*
 * The value of expr, a call of libc's function that may block, of type
 * type, made between enter (entersyscall() for a call that is usually
 * short, entersyscallblock() for one that usually blocks long) and
 * exitsyscall(). errno is the call's.
 */
#define BLOCKING(enter, type, expr) \
	({                          \
		type r_;            \
		int saved_;         \
                                    \
		enter;              \
		r_ = (expr);        \
		saved_ = errno;     \
		exitsyscall();      \
		errno = saved_;     \
		r_;                 \
	})
#define SHORT	      entersyscall()
#define LONG	      entersyscallblock()
#define LONG_IF(cond) ((cond) ? entersyscallblock() : entersyscall())

/* syscall(SYS_futex, ...) with its six arguments (syscall.c). */
long futex_call(const long a[6]) hidden;

/* syscall(n, ...), handed off if number n is one that can block. */
long syscall_call(long n, const long a[6]) hidden;

/* A timeout or time as the kernel accepts it (else EINVAL). */
static inline bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

#endif
