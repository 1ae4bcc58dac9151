/* SPDX-License-Identifier: MIT */
/* What syscall-wrap/ offers the rest of the shim. */
#ifndef SPROUT_SYSCALL_WRAP_H
#define SPROUT_SYSCALL_WRAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../compat/tcb.h"
#include "../sched/runtime.h"

/* exitsyscall() for a BLOCKING() call that cancellation unwinds. */
static inline void blocking_unwound(const bool *in)
{
	if (*in)
		exitsyscall();
}

/*
 * The value of expr, a call of libc's function that may block, of type
 * type, made between enter (entersyscall() for a call that is usually
 * short, entersyscallblock() for one that usually blocks long) and
 * exitsyscall(). errno is the call's. A cancellable call that acts on a
 * cancellation unwinds from inside: the section ends on the way out
 * (shim/cancel.c).
 */
#define BLOCKING(enter, type, expr)                             \
	({                                                      \
		type r_;                                        \
		int saved_;                                     \
		TCB_UNWOUND(bool, in_, true, blocking_unwound); \
                                                                \
		enter;                                          \
		r_ = (expr);                                    \
		saved_ = errno;                                 \
		in_ = false;                                    \
		exitsyscall();                                  \
		errno = saved_;                                 \
		r_;                                             \
	})
#define SHORT	      entersyscall()
#define LONG	      entersyscallblock()
#define LONG_IF(cond) ((cond) ? entersyscallblock() : entersyscall())

/*
 * Copy n bytes of the program's at src to dst, read by the kernel
 * (process_vm_readv) so that a bad pointer is false, not a fault here: the
 * shim never dereferences a pointer the kernel would check for EFAULT
 * (syscall.c). Bytes on the calling G's own stack, mapped whole, are
 * copied directly (on_own_stack()).
 */
bool copy_in(void *dst, const void *src, size_t n) hidden;
/* And n bytes of src to the program's dst, the same way. */
bool copy_out(void *dst, const void *src, size_t n) hidden;
/* Whether [p, p + len) is in the calling G's stack slot (syscall.c). */
bool on_own_stack(const void *p, size_t len) hidden;
void copy_init(void) hidden;

/* syscall(SYS_futex, ...) with its six arguments (syscall.c). */
long futex_call(const long a[6]) hidden;

/* syscall(n, ...), handed off if number n is one that can block. */
long syscall_call(long n, const long a[6]) hidden;

/* syscall(n, ...) for n a close or a dup2/dup3 (fdlife.c). */
long fd_syscall(long n, const long a[6]) hidden;

/* now + ts in nanoseconds, or -1 (no deadline) past the end of time. */
static inline int64_t ts_after(int64_t now, const struct timespec *ts)
{
	if (ts->tv_sec >= (INT64_MAX - now) / 1000000000 - 1)
		return -1;
	return now + (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* A timeout or time as the kernel accepts it (else EINVAL). */
static inline bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

#endif
