// SPDX-License-Identifier: MIT
/*
 * Signals. Masks are per thread, so per G (sched/signal.c keeps the M's in
 * step); threads the shim did not create keep their own kernel thread's.
 * And handlers, below.
 */
#include <errno.h>

#include "shim.h"

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

/*
 * Handlers: the program's handler runs from a trampoline of the shim's,
 * which then tells the runtime that a signal arrived (sig_arrived()), so
 * that a signal sent to the process ends the initial thread's sleep as it
 * would natively. The program sees its own action in sigaction()'s old
 * action. SA_ONSTACK is added: Ms have alternate signal stacks, and a G's
 * stack overflow can only be handled on one.
 */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* the kernel's; glibc sets it */
#endif

static struct sigaction actions[NSIG];
static _Atomic bool wrapped[NSIG];

static void trampoline(int sig, siginfo_t *info, void *uc)
{
	struct sigaction *a = &actions[sig];
	int flags = a->sa_flags;
	void (*handler)(int) = a->sa_handler;

	if (flags & SA_RESETHAND) /* the kernel reset it for this delivery */
		atomic_store(&wrapped[sig], false);
	if (flags & SA_SIGINFO)
		a->sa_sigaction(sig, info, uc);
	else if (handler != SIG_DFL && handler != SIG_IGN)
		handler(sig);
	sig_arrived(sig, info);
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
	if (act && has_handler(act)) {
		k = *act;
		k.sa_sigaction = trampoline;
		k.sa_flags |= SA_SIGINFO | SA_ONSTACK;
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

/* System V semantics: the handler is reset and not blocked in itself. */
SPROUT_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
	if (!shim_on())
		return REAL(sysv_signal)(sig, handler);
	return set_handler(sig, handler, SA_RESETHAND | SA_NODEFER);
}
