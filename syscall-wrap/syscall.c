// SPDX-License-Identifier: MIT
/*
 * Futexes through libc's syscall() (libstdc++'s atomic waits, Rust's
 * std, hand-made locks). A wait on a futex private to the process parks
 * the G in the wait table, keyed by the address, as the shim's own
 * primitives do; a wake wakes parked Gs first and then, for what is left,
 * waiters in the kernel (threads the shim did not create, and locked Gs,
 * which wait there). A shared futex may be woken by another process:
 * its waits go to the kernel with the P handed off.
 *
 * Requeue and wake-op calls go to the kernel, and every G parked on the
 * addresses they name is woken: a futex waiter must expect to wake without
 * cause, and a G cannot be moved to a kernel queue. A wake made with a raw
 * system call instruction, past syscall(), never reaches a parked G; a
 * library that waits through syscall() wakes through it too.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wrap.h"
#include "../shim/sync.h"
#include "../arch/x86_64/sys.h"

static long kernel(const long a[6], bool block)
{
	return BLOCKING(
		LONG_IF(block), long,
		REAL(syscall)(SYS_futex, a[0], a[1], a[2], a[3], a[4], a[5]));
}

static long fail(int err)
{
	errno = err;
	return -1;
}

static long futex_wait(const long a[6], int cmd, int op)
{
	const struct timespec *ts = (const struct timespec *)a[3];
	int64_t deadline = NO_DEADLINE;
	int err;

	if (!(op & FUTEX_PRIVATE_FLAG) || (a[0] & 3) ||
	    (cmd == FUTEX_WAIT_BITSET &&
	     (uint32_t)a[5] != FUTEX_BITSET_MATCH_ANY))
		return kernel(a, true);
	if (ts) {
		if (!ts_valid(ts))
			return fail(EINVAL);
		if (cmd == FUTEX_WAIT) {
			int64_t now = nanotime();
			deadline =
				ts->tv_sec >= (INT64_MAX - now) / 1000000000 - 1
					? NO_DEADLINE
					: now + ts->tv_sec * 1000000000 +
						  ts->tv_nsec;
		} else if (deadline_of(ts,
				       op & FUTEX_CLOCK_REALTIME
					       ? CLOCK_REALTIME
					       : CLOCK_MONOTONIC,
				       &deadline)) {
			return fail(EINVAL);
		}
	}
	g_waitfor(GW_FUTEX, (const void *)a[0], deadline);
	err = wt_futex_wait((const _Atomic uint32_t *)a[0], (uint32_t)a[2],
			    deadline);
	return err ? fail(err) : 0;
}

static long futex_wake(const long a[6])
{
	int n = (int)a[2], woken = 0;
	long k;
	long b[6] = { a[0], a[1], 0, a[3], a[4], a[5] };

	if (n > 0)
		woken = wt_futex_wake((const void *)a[0], n);
	if (woken == n)
		return woken;
	b[2] = n - woken;
	k = kernel(b, false);
	if (k < 0)
		return woken ? woken : k;
	return woken + k;
}

long futex_call(const long a[6])
{
	struct g *gp = getg();
	int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
	long r;

	if (!gp || (gp->flags & G_KERNEL_WAITS))
		return REAL(syscall)(SYS_futex, a[0], a[1], a[2], a[3], a[4],
				     a[5]);
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		return futex_wait(a, cmd, op);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		return futex_wake(a);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_WAKE_OP:
		r = kernel(a, false);
		if (r >= 0) {
			r += wt_futex_wake((const void *)a[0], INT_MAX);
			if (cmd == FUTEX_WAKE_OP)
				r += wt_futex_wake((const void *)a[4], INT_MAX);
		}
		return r;
	default: /* priority-inheritance locks and the rest */
		return kernel(a, false);
	}
}

static bool blocks(long n)
{
	switch (n) {
	case SYS_read:
	case SYS_write:
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_readv:
	case SYS_writev:
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_preadv2:
	case SYS_pwritev2:
	case SYS_open:
	case SYS_openat:
	case SYS_openat2:
	case SYS_fsync:
	case SYS_fdatasync:
	case SYS_sync_file_range:
	case SYS_flock:
	case SYS_fcntl:
	case SYS_wait4:
	case SYS_waitid:
	case SYS_msgrcv:
	case SYS_msgsnd:
	case SYS_mq_timedreceive:
	case SYS_mq_timedsend:
	case SYS_rt_sigtimedwait:
	case SYS_rt_sigsuspend:
	case SYS_pause:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_accept:
	case SYS_accept4:
	case SYS_connect:
	case SYS_recvfrom:
	case SYS_sendto:
	case SYS_recvmsg:
	case SYS_sendmsg:
	case SYS_recvmmsg:
	case SYS_sendmmsg:
	case SYS_splice:
	case SYS_sendfile:
	case SYS_copy_file_range:
	case SYS_io_getevents:
	case SYS_io_uring_enter:
		return true;
	default:
		return false;
	}
}

/*
 * Forks through syscall(): SYS_fork, SYS_vfork, and SYS_clone or
 * SYS_clone3 without CLONE_VM. The child gets the runtime's reset, as
 * fork()'s child does (sched_afterfork_child()), before it leaves the
 * call's blocking section. A vfork is a fork, as vfork() is here (the
 * child would run in the parent's memory, through the shim, while the
 * parent's other Ms go on); so is a clone with CLONE_VM and CLONE_VFORK
 * on the caller's stack, which is vfork() by another name. A clone of a
 * thread (CLONE_VM otherwise, CLONE_THREAD) would run beside the Ms with
 * no M or G of its own: refused with ENOSYS, and a line saying so.
 */
struct clone3_args {
	uint64_t flags; /* the first field of the kernel's clone_args */
};

static bool copy_vm(long nr, void *local_p, void *remote_p, size_t n)
{
	struct iovec local = { local_p, n };
	struct iovec remote = { remote_p, n };
	long r = sys6(nr, sys0(SYS_getpid), (long)&local, 1, (long)&remote, 1,
		      0);

	if (r == (long)n)
		return true;
	if (r >= 0 || r == -EFAULT)
		return false; /* all or part of it is not mapped */
	/* A kernel or sandbox without the call (ENOSYS, EPERM): copy it. */
	if (nr == SYS_process_vm_readv)
		memcpy(local_p, remote_p, n);
	else
		memcpy(remote_p, local_p, n);
	return true;
}

/*
 * The initial thread's stack: the kernel put the environment's pointers
 * above main()'s frames, so from any frame of that thread up to them it
 * is mapped. Frames further below the top than this are not looked at
 * (the kernel keeps mappings 128 MiB and more below a stack's top: an
 * alternate signal stack is never within it).
 */
#define MAIN_STACK_MAX (64l << 20)
static const char *main_top;

/* At start, on the initial thread, before the program changes environ. */
void copy_init(void)
{
	extern char **environ;
	const char *sp = __builtin_frame_address(0);
	const char *top = (const char *)environ;

	if (sys0(SYS_gettid) == sys0(SYS_getpid) && top > sp &&
	    top - sp < MAIN_STACK_MAX)
		main_top = top;
}

/*
 * Is [p, p + len) in the calling G's stack slot (a struct of the caller's),
 * which is mapped whole and may be read and written without a fault, or,
 * on the initial thread, between its stack pointer and main_top? Not known
 * for a stack the program supplied or a thread the shim did not create.
 */
bool on_own_stack(const void *p, size_t len)
{
	const struct g *gp = getg();
	const char *c = p, *sp;

	if (gp == &g_main) {
		sp = __builtin_frame_address(0);
		return main_top && sp < main_top &&
		       main_top - sp < MAIN_STACK_MAX && c >= sp &&
		       c < main_top && len <= (size_t)(main_top - c);
	}
	return gp && gp->stack_lo && !(gp->flags & G_USERSTACK) &&
	       c >= gp->stack_lo && c < gp->stack_hi &&
	       len <= (size_t)(gp->stack_hi - c);
}

/*
 * Two system calls (getpid and the copy) a call, where the program's
 * argument is not on its stack: a nap of sleep_storm's spent a fifth of
 * its time in them.
 */
bool copy_in(void *dst, const void *src, size_t n)
{
	if (on_own_stack(src, n)) {
		memcpy(dst, src, n);
		return true;
	}
	return copy_vm(SYS_process_vm_readv, dst, (void *)src, n);
}

bool copy_out(void *dst, const void *src, size_t n)
{
	if (on_own_stack(dst, n)) {
		memcpy(dst, src, n);
		return true;
	}
	return copy_vm(SYS_process_vm_writev, (void *)src, dst, n);
}

/*
 * The flags of the program's clone_args at p; 0 if it cannot be read (the
 * call then fails in the kernel as natively).
 */
static uint64_t clone3_flags(const void *p)
{
	uint64_t flags = 0;

	if (!copy_in(&flags, p, sizeof(flags)))
		return 0;
	return flags;
}

static long unsupported_clone(const char *name)
{
	print("sprout: ");
	print(name);
	print(" of a thread (CLONE_VM, CLONE_THREAD) through syscall() is "
	      "not supported; failing it with ENOSYS\n");
	return fail(ENOSYS);
}

static long fork_call(long n, const long args[6])
{
	long a[6] = { args[0], args[1], args[2], args[3], args[4], args[5] };
	long r;
	int saved;

	if (n == SYS_vfork) {
		n = SYS_fork;
	} else if (n == SYS_clone) {
		unsigned long fl = (unsigned long)a[0];

		if ((fl & CLONE_VM) && (fl & CLONE_VFORK) && !a[1] &&
		    !(fl & (CLONE_THREAD | CLONE_SIGHAND | CLONE_SETTLS)))
			a[0] = (long)(fl &
				      ~(unsigned long)(CLONE_VM | CLONE_VFORK));
		else if (fl & (CLONE_VM | CLONE_THREAD))
			return unsupported_clone("SYS_clone");
	} else if (n == SYS_clone3) {
		if ((size_t)a[1] >= sizeof(struct clone3_args) &&
		    (clone3_flags((const void *)a[0]) &
		     (CLONE_VM | CLONE_THREAD)))
			return unsupported_clone("SYS_clone3");
	}
	{
		/* An asynchronous cancellation may land in the section. */
		TCB_UNWOUND(bool, in, true, blocking_unwound);

		entersyscall();
		fork_gate_close();
		r = REAL(syscall)(n, a[0], a[1], a[2], a[3], a[4], a[5]);
		saved = errno;
		/* The child's runtime is reset before it leaves the section. */
		if (r == 0)
			sched_afterfork_child(false);
		else
			fork_gate_open();
		in = false;
		exitsyscall();
		errno = saved;
	}
	return r;
}

long syscall_call(long n, const long a[6])
{
	/* The G's mask must be the call's meanwhile, as in sigsuspend(). */
	if (n == SYS_rt_sigsuspend && a[0] && a[1] == 8)
		return sigsuspend((const sigset_t *)a[0]);
	/* Closes and replaces of fds follow close()'s order (fdlife.c). */
	if (n == SYS_close || n == SYS_close_range || n == SYS_dup2 ||
	    n == SYS_dup3)
		return fd_syscall(n, a);
	if (n == SYS_fork || n == SYS_vfork || n == SYS_clone ||
	    n == SYS_clone3)
		return fork_call(n, a);
	if (!blocks(n))
		return REAL(syscall)(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	return BLOCKING(SHORT, long,
			REAL(syscall)(n, a[0], a[1], a[2], a[3], a[4], a[5]));
}
