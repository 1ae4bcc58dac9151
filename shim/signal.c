// SPDX-License-Identifier: MIT
/*
 * Signals. Masks are per thread, so per G (sched/signal.c keeps the M's in
 * step); threads the shim did not create keep their own kernel thread's.
 * And handlers, below.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "../arch/x86_64/sys.h"

SPROUT_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!shim_on_g())
		return REAL(pthread_sigmask)(how, set, old);
	return g_sigmask(how, set, old);
}

SPROUT_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int err;

	if (!shim_on_g())
		return REAL(sigprocmask)(how, set, old);
	err = g_sigmask(how, set, old);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

SPROUT_EXPORT int sigpending(sigset_t *set)
{
	int err;

	if (!shim_on_g())
		return REAL(sigpending)(set);
	err = g_sigpending(set);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * A signal the initial thread sends its own process reaches it before the
 * call returns, as natively (sig_send_self()).
 */
static bool to_self(pid_t pid, int sig, int code, const union sigval *value)
{
	siginfo_t si;

	if (pid != getpid() || !shim_on_g())
		return false;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = getpid();
	si.si_uid = getuid();
	if (value)
		si.si_value = *value;
	return sig_send_self(sig, &si);
}

SPROUT_EXPORT int kill(pid_t pid, int sig)
{
	if (shim_on() && to_self(pid, sig, SI_USER, NULL))
		return 0;
	return REAL(kill)(pid, sig);
}

SPROUT_EXPORT int sigqueue(pid_t pid, int sig, const union sigval value)
{
	if (shim_on() && to_self(pid, sig, SI_QUEUE, &value))
		return 0;
	return REAL(sigqueue)(pid, sig, value);
}

/* The process fd (a pidfd, or a /proc/PID directory) stands for: PID, or -1. */
static pid_t pidfd_pid(int fd)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = sys4(SYS_readlinkat, AT_FDCWD, (long)path, (long)buf,
		 sizeof(buf) - 1);
	if (n > 6 && !strncmp(buf, "/proc/", 6)) {
		long pid;

		buf[n] = '\0';
		pid = strtol(buf + 6, &p, 10);
		return *p == '\0' ? (pid_t)pid : -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = (int)sys4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC,
		      0);
	if (f < 0)
		return -1;
	n = sys3(SYS_read, f, (long)buf, sizeof(buf) - 1);
	sys1(SYS_close, f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	return p ? (pid_t)atoi(p + 5) : -1;
}

/*
 * syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) to the calling
 * process: as kill(getpid(), sig).
 */
bool shim_pidfd_to_self(int fd, int sig, const void *info, unsigned int flags)
{
	if (info || flags || fd < 0 || getg() != &g_main)
		return false;
	return pidfd_pid(fd) == getpid() &&
	       to_self(getpid(), sig, SI_USER, NULL);
}

/* The alternate signal stack is per thread, so per G (sched/stack.c). */
SPROUT_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	int err;

	if (!shim_on_g())
		return REAL(sigaltstack)(ss, old);
	err = g_sigaltstack(ss, old);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * raise(), and its old name gsignal(): pthread_kill() of the calling
 * thread. For a G that is the runtime's, which keeps a signal the G
 * blocks for the G rather than on its kernel thread, where the next G to
 * run there would take it.
 */
static int g_raise(int sig)
{
	int err = g_kill(getg(), sig);

	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

SPROUT_EXPORT int raise(int sig)
{
	if (!shim_on_g())
		return REAL(raise)(sig);
	return g_raise(sig);
}

#ifndef __GLIBC__
/*
 * musl's abort() and assert() send SIGABRT to the descriptor's thread id,
 * which for a G is its fake one: the kill fails and abort() ends in a
 * crash (SIGSEGV). These do what musl's do, on the G and its kernel
 * thread: raise(), then the default action with nothing blocked.
 */
SPROUT_EXPORT _Noreturn void abort(void)
{
	struct kernel_sigaction dfl = { .handler = SIG_DFL };
	uint64_t all = ~0ull, abrt = 1ull << (SIGABRT - 1);

	if (!shim_on_g())
		REAL(abort)();
	g_raise(SIGABRT);
	sys4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, 8);
	sys4(SYS_rt_sigaction, SIGABRT, (long)&dfl, 0, 8);
	sys2(SYS_tkill, sys_gettid(), SIGABRT);
	sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&abrt, 0, 8);
	__builtin_trap();
}

SPROUT_EXPORT _Noreturn void __assert_fail(const char *expr, const char *file,
					   int line, const char *func)
{
	if (!shim_on_g())
		REAL(__assert_fail)(expr, file, line, func);
	fprintf(stderr, "Assertion failed: %s (%s: %s: %d)\n", expr, file, func,
		line);
	abort();
}
#endif

#ifdef __GLIBC__
SPROUT_EXPORT int gsignal(int sig)
{
	if (!shim_on_g())
		return REAL(gsignal)(sig);
	return g_raise(sig);
}
#endif

/*
 * The BSD and System V forms. glibc's call the kernel itself, which would
 * change the M's mask behind the G's back: dash's sigsetmask(0) after a
 * fork left its G's mask all blocked, so the sigsuspend() of its "wait"
 * never woke. A BSD mask is the first 32 signals, as glibc has it.
 */
static void bsd_to_set(int mask, sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig <= 32; sig++)
		if ((unsigned int)mask & (1u << (sig - 1)))
			sigaddset(set, sig);
}

#ifdef __GLIBC__
static int bsd_mask(int how, int mask)
{
	sigset_t set, old;
	unsigned int r = 0;

	bsd_to_set(mask, &set);
	g_sigmask(how, &set, &old);
	for (int sig = 1; sig <= 32; sig++)
		if (sigismember(&old, sig))
			r |= 1u << (sig - 1);
	return (int)r;
}

SPROUT_EXPORT int sigsetmask(int mask)
{
	if (!shim_on_g())
		return REAL(sigsetmask)(mask);
	return bsd_mask(SIG_SETMASK, mask);
}

SPROUT_EXPORT int sigblock(int mask)
{
	if (!shim_on_g())
		return REAL(sigblock)(mask);
	return bsd_mask(SIG_BLOCK, mask);
}

SPROUT_EXPORT int siggetmask(void)
{
	if (!shim_on_g())
		return REAL(siggetmask)();
	return bsd_mask(SIG_BLOCK, 0);
}
#endif

/* sig alone, for SIG_BLOCK or SIG_UNBLOCK; sets *old. EINVAL: no such. */
static int one_sig(int how, int sig, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	if (sigaddset(&set, sig) < 0)
		return -1;
	return g_sigmask(how, &set, old) ? -1 : 0;
}

SPROUT_EXPORT int sighold(int sig)
{
	sigset_t old;

	if (!shim_on_g())
		return REAL(sighold)(sig);
	return one_sig(SIG_BLOCK, sig, &old);
}

SPROUT_EXPORT int sigrelse(int sig)
{
	sigset_t old;

	if (!shim_on_g())
		return REAL(sigrelse)(sig);
	return one_sig(SIG_UNBLOCK, sig, &old);
}

/*
 * System V: SIG_HOLD blocks sig; any other disposition is installed and
 * unblocks it. Returns SIG_HOLD if sig was blocked, else the old handler.
 */
SPROUT_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
	struct sigaction act = { .sa_handler = disp }, prev;
	sigset_t old;

	if (!shim_on_g())
		return REAL(sigset)(sig, disp);
	if (disp == SIG_ERR || sig < 1 || sig >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	if (disp == SIG_HOLD) {
		if (one_sig(SIG_BLOCK, sig, &old) < 0 ||
		    sigaction(sig, NULL, &prev) < 0)
			return SIG_ERR;
	} else {
		sigemptyset(&act.sa_mask);
		if (sigaction(sig, &act, &prev) < 0 ||
		    one_sig(SIG_UNBLOCK, sig, &old) < 0)
			return SIG_ERR;
	}
	return sigismember(&old, sig) ? SIG_HOLD : prev.sa_handler;
}

/* sigpause: sigsuspend() with a BSD mask, or with the mask less sig. */
static int pause_with(int sig_or_mask, int is_sig)
{
	sigset_t set;

	if (is_sig) {
		g_sigmask(SIG_BLOCK, NULL, &set);
		if (sigdelset(&set, sig_or_mask) < 0)
			return -1;
	} else {
		bsd_to_set(sig_or_mask, &set);
	}
	return sigsuspend(&set);
}

#ifdef __GLIBC__
SPROUT_EXPORT int __sigpause(int sig_or_mask, int is_sig)
{
	if (!shim_on_g())
		return REAL(__sigpause)(sig_or_mask, is_sig);
	return pause_with(sig_or_mask, is_sig);
}

SPROUT_EXPORT int __xpg_sigpause(int sig)
{
	return __sigpause(sig, 1);
}

/* glibc's sigpause is the BSD one, sigpause(mask); its headers name the
 * X/Open one sigpause. */
SPROUT_EXPORT int bsd_sigpause(int mask) __asm__("sigpause");
int bsd_sigpause(int mask)
{
	return __sigpause(mask, 0);
}
#else
/* musl's sigpause is the X/Open one, sigpause(sig). */
SPROUT_EXPORT int sigpause(int sig)
{
	if (!shim_on_g())
		return REAL(sigpause)(sig);
	return pause_with(sig, 1);
}
#endif

/*
 * siglongjmp() to a sigsetjmp() that saved the mask restores it: the G's,
 * then glibc's sets the kernel's to the same.
 */
static void jmp_mask(struct __jmp_buf_tag *env)
{
#ifdef __GLIBC__
	if (env->__mask_was_saved)
		g_sigmask(SIG_SETMASK, (sigset_t *)&env->__saved_mask, NULL);
#else
	/*
	 * musl's sigsetjmp() keeps its return address in __fl (0: no mask
	 * saved) and the mask in the first word of __ss; its own tail sets
	 * the kernel's after the jump.
	 */
	if (env->__fl)
		g_sigmask(SIG_SETMASK, (sigset_t *)&env->__ss[0], NULL);
#endif
}

SPROUT_EXPORT void siglongjmp(sigjmp_buf env, int val)
{
	if (shim_on_g())
		jmp_mask(env);
	REAL(siglongjmp)(env, val);
	__builtin_unreachable();
}

SPROUT_EXPORT void longjmp(jmp_buf env, int val)
{
	if (shim_on_g())
		jmp_mask(env);
	REAL(longjmp)(env, val);
	__builtin_unreachable();
}

SPROUT_EXPORT void _longjmp(jmp_buf env, int val)
{
	if (shim_on_g())
		jmp_mask(env);
	REAL(_longjmp)(env, val);
	__builtin_unreachable();
}

#ifdef __GLIBC__
SPROUT_EXPORT void __longjmp_chk(struct __jmp_buf_tag env[1], int val)
{
	if (shim_on_g())
		jmp_mask(env);
	REAL(__longjmp_chk)(env, val);
	__builtin_unreachable();
}
#endif

/*
 * Handlers: the program's handler runs from a trampoline of the shim's,
 * which tells the runtime that a handler runs on the G it interrupted
 * (sig_running()) and, after it, that a signal arrived (sig_arrived()), so
 * that a wait of that G's, and one of the initial thread's for a signal
 * sent to the process, end as the system call would natively. The
 * program sees its own action in sigaction()'s old action, and its flags
 * are the kernel's: SA_ONSTACK only where it asked, for the G's own
 * alternate stack (sigaltstack()).
 */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* the kernel's; glibc sets it */
#endif

static struct sigaction actions[NSIG];
static _Atomic bool wrapped[NSIG];

static void trampoline(int sig, siginfo_t *info, void *uc)
{
	struct sigaction *a = &actions[sig];
	struct sig_masks saved;
	int flags = a->sa_flags;
	void (*handler)(int) = a->sa_handler;
	bool deferred;

	/*
	 * Not here, not now (the runtime's code, g0): it goes where it
	 * belongs. A one-shot handler, which the kernel has reset for this
	 * delivery, runs here instead. Until it is known, this may be in the
	 * middle of the runtime: no lock (checked builds check).
	 */
	lock_sigctx(1);
	sig_info_restore(info); /* as first sent */
	deferred = !(flags & SA_RESETHAND) && sig_defer(sig, info, uc);
	lock_sigctx(-1);
	if (deferred)
		return;
	if (flags & SA_RESETHAND) /* the kernel reset it for this delivery */
		atomic_store(&wrapped[sig], false);
	else
		lock_assert_none("in a handler of the program's");
	/* Before the handler, which may leave by siglongjmp(). */
	sig_running(flags & SA_RESTART);
	sig_handler_mask(sig, &a->sa_mask, flags & SA_NODEFER, uc, &saved);
	if (flags & SA_SIGINFO)
		a->sa_sigaction(sig, info, uc);
	else if (handler != SIG_DFL && handler != SIG_IGN)
		handler(sig);
	sig_handler_done(uc, &saved);
	sig_arrived(sig, info, flags & SA_RESTART);
}

static bool has_handler(const struct sigaction *act)
{
	return (act->sa_flags & SA_SIGINFO) ||
	       (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN);
}

SPROUT_EXPORT int sigaction(int sig, const struct sigaction *act,
			    struct sigaction *old)
{
	struct sigaction k, prev;
	int r;

	if (!shim_on() || sig < 1 || sig >= NSIG)
		return REAL(sigaction)(sig, act, old);
	prev = actions[sig];
	if (sig == dump_signal()) {
		/*
		 * The runtime's while SPROUT_DEBUG=dumpsig names it: the
		 * program's action is kept to be read back, never installed.
		 */
		if (act)
			actions[sig] = *act;
		if (old)
			*old = prev;
		return 0;
	}
	if (act && has_handler(act)) {
		k = *act;
		k.sa_sigaction = trampoline;
		k.sa_flags |= SA_SIGINFO;
		if (act->sa_flags & SA_ONSTACK)
			stack_onstack_used();
		/* Before the kernel can call the trampoline with it. */
		actions[sig] = *act;
		atomic_store(&wrapped[sig], true);
		r = REAL(sigaction)(sig, &k, old);
	} else {
		r = REAL(sigaction)(sig, act, old);
		if (r == 0 && act)
			atomic_store(&wrapped[sig], false);
	}
	if (r == 0 && old && old->sa_sigaction == trampoline) {
		/* The kernel's mask and restorer, the program's handler. */
		old->sa_sigaction = prev.sa_sigaction;
		old->sa_flags = prev.sa_flags | (old->sa_flags & SA_RESTORER);
	}
	return r;
}

/* BSD semantics, as glibc's signal(): restart calls, block sig in it. */
static __sighandler_t set_handler(int sig, __sighandler_t handler, int flags)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = flags },
			 old;

	if (handler == SIG_ERR || sig < 1 || sig >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&act.sa_mask);
	if (!(flags & SA_NODEFER))
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

SPROUT_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	if (!shim_on())
		return REAL(signal)(sig, handler);
	return set_handler(sig, handler, SA_RESTART);
}

SPROUT_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
	if (!shim_on())
		return REAL(bsd_signal)(sig, handler);
	return set_handler(sig, handler, SA_RESTART);
}

#ifdef __GLIBC__
/* System V semantics: the handler is reset and not blocked in itself. */
SPROUT_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
	if (!shim_on())
		return REAL(sysv_signal)(sig, handler);
	return set_handler(sig, handler, SA_RESETHAND | SA_NODEFER);
}
#endif
