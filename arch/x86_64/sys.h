/* SPDX-License-Identifier: MIT */
/*
 * Raw Linux system calls for x86_64.
 *
 * The runtime never calls libc's syscall wrappers on its own paths: they set
 * errno (which belongs to the program's thread), some of them are interposed
 * by the shim itself, and some are cancellation points. These return the
 * kernel's result: a value >= 0, or -errno.
 *
 * This header is a leaf: every layer (shim, sched, compat) may include it.
 */
#ifndef SPROUT_ARCH_SYS_H
#define SPROUT_ARCH_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/syscall.h>
#include <linux/futex.h>

static inline long sys0(long n)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n) : "rcx", "r11", "memory");
	return r;
}

static inline long sys1(long n, long a)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long sys2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long sys4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

/* Sleep while *addr == val; private to the process. */
static inline long sys_futex_wait(uint32_t *addr, uint32_t val)
{
	return sys4(SYS_futex, (long)addr, FUTEX_WAIT_PRIVATE, val, 0);
}

/*
 * Sleep while *addr == val, until the CLOCK_MONOTONIC time deadline in
 * nanoseconds (negative: no deadline); private to the process unless not.
 * -ETIMEDOUT once the deadline has passed.
 */
static inline long sys_futex_wait_until(uint32_t *addr, uint32_t val,
					int64_t deadline, bool private)
{
	struct timespec ts = { deadline / 1000000000, deadline % 1000000000 };
	long op = FUTEX_WAIT_BITSET | (private ? FUTEX_PRIVATE_FLAG : 0);

	return sys6(SYS_futex, (long)addr, op, val,
		    deadline < 0 ? 0 : (long)&ts, 0, FUTEX_BITSET_MATCH_ANY);
}

static inline long sys_futex_wake(uint32_t *addr, int n)
{
	return sys3(SYS_futex, (long)addr, FUTEX_WAKE_PRIVATE, n);
}

static inline long sys_write(int fd, const void *buf, size_t len)
{
	return sys3(SYS_write, fd, (long)buf, (long)len);
}

static inline void *sys_mmap(void *addr, size_t len, int prot, int flags)
{
	return (void *)sys6(SYS_mmap, (long)addr, (long)len, prot, flags, -1,
			    0);
}

static inline long sys_munmap(void *addr, size_t len)
{
	return sys2(SYS_munmap, (long)addr, (long)len);
}

static inline long sys_madvise(void *addr, size_t len, int advice)
{
	return sys3(SYS_madvise, (long)addr, (long)len, advice);
}

static inline long sys_mprotect(void *addr, size_t len, int prot)
{
	return sys3(SYS_mprotect, (long)addr, (long)len, prot);
}

/* The kernel's struct sigaction (x86_64), for the raw system call. */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static inline long sys_gettid(void)
{
	return sys0(SYS_gettid);
}

/* mmap returns an address; errors are the top 4095 values. */
static inline int sys_mmap_failed(void *p)
{
	return (unsigned long)p > -4096UL;
}

#endif
