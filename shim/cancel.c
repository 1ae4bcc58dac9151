// SPDX-License-Identifier: MIT
/*
 * Thread cancellation, as glibc does it, on glibc's own state: the bits of
 * cancelhandling in the thread's descriptor (compat/tcb.h), which every G
 * has. So glibc's pthread_setcancelstate(), pthread_setcanceltype(),
 * pthread_testcancel(), cleanup handlers and cancellable calls (those the
 * shim hands to libc between entersyscall() and exitsyscall()) work
 * unchanged; acting on a cancellation is glibc's pthread_exit() with
 * PTHREAD_CANCELED, which unwinds to the G's first frame (tcb_run()).
 *
 * pthread_cancel() marks the target; what follows depends on it:
 *  - deferred (the default): it acts at its next cancellation point. The
 *    shim's own points (condvar, semaphore, join, sleep and netpoller
 *    waits) call cancel_point() on entry; a G parked in one is woken the
 *    way a signal wakes it (g_cancel_kick()): SIGCANCEL is left for it,
 *    its wait ends, the handler below runs on it as it leaves the runtime
 *    and notes the wait as interrupted (EINTR), and the point, having put
 *    back what the program must find (a condvar wait's mutex), acts. A
 *    cancellation that comes after the entry's check, and whose handler
 *    runs before the wait begins, ends the wait as it begins
 *    (sig_wait_cancellable()).
 *  - asynchronous (the program's choice, or glibc's for the length of a
 *    cancellable system call): the handler acts wherever the G is in the
 *    program's code, a system call included, as glibc's SIGCANCEL handler
 *    does. Never inside the runtime: a signal that lands there waits for
 *    the G to leave it (sig_defer()). The shim's frames it unwinds through
 *    undo what they hold (BLOCKING()'s section, a condvar wait's mutex, a
 *    join's claim, a semaphore's waiter count) with cleanup attributes,
 *    which is why the shim is built with -fexceptions.
 *
 * The handler is installed by hand for glibc's SIGCANCEL, glibc's own
 * handler never: glibc installs it only in its pthread_cancel(), which the
 * shim replaces.
 */
#include <errno.h>
#include <ucontext.h>
#include <unistd.h>

#include "shim.h"
#include "../compat/tcb.h"
#include "../arch/x86_64/sys.h"

bool cancel_due(void)
{
	return tcb_cancel_pending() != TCB_CANCEL_NONE;
}

void cancel_point(void)
{
	if (unlikely(cancel_due()))
		thread_exit(PTHREAD_CANCELED);
}

/*
 * SIGCANCEL, sent by pthread_cancel() (g_cancel_kick(), or a tgkill to a
 * thread the shim did not create), on whichever G or thread it lands.
 */
static void cancel_handler(int sig, siginfo_t *si, void *uc)
{
	struct g *gp = getg();
	int saved = errno;

	sig_info_restore(si); /* as first sent */
	if (sig_kicked(si, uc)) {
		errno = saved;
		return;
	}
	/* As glibc's: only this process's pthread_cancel() sends it. */
	if (si->si_code != SI_TKILL || si->si_pid != sys0(SYS_getpid))
		return;
	/* g0: the G it was for keeps it in its sigpend. */
	if (!gp || (gp->flags & G_G0) || sig_defer(sig, si, uc))
		return;
	atomic_fetch_and(&gp->sigpend,
			 ~(uint64_t)(1ull << (LIBC_SIGCANCEL - 1)));
	switch (tcb_cancel_pending()) {
	case TCB_CANCEL_ASYNC:
		/*
		 * The unwind leaves the handler without sigreturn: put back
		 * the kernel thread's mask (the kernel added SIGCANCEL for
		 * the handler), which the M keeps after this G.
		 */
		sys4(SYS_rt_sigprocmask, SIG_SETMASK,
		     (long)&((ucontext_t *)uc)->uc_sigmask, 0, 8);
		thread_exit(PTHREAD_CANCELED);
	case TCB_CANCEL_DEFERRED:
		/* A wait of the G's ends (EINTR) for its point to act. */
		sig_running(false);
		break;
	case TCB_CANCEL_NONE:
		break;
	}
	errno = saved;
}

void cancel_init(void)
{
	int err = tcb_hook_cancel(cancel_handler);

	if (err)
		warn("pthread_cancel() of a blocked thread may not act: "
		     "no SIGCANCEL handler");
	else
		sig_kicks_taken();
}

SPROUT_EXPORT int pthread_cancel(pthread_t t)
{
	struct g *gp = g_of(t);
	uint32_t st;
	bool now;

	if (!shim_on())
		return REAL(pthread_cancel)(t);
	main_landing_set();
	st = atomic_load(&gp->status);
	if (st == G_IDLE)
		return ESRCH;
	if (st == G_DEAD)
		return 0; /* as glibc: its outcome is settled */
	switch (tcb_cancel(gp->tcb)) {
	case TCB_CANCEL_ASYNC:
		if (gp == getg())
			thread_exit(PTHREAD_CANCELED);
		now = true;
		break;
	case TCB_CANCEL_DEFERRED:
		if (gp == getg())
			return 0;
		now = false;
		break;
	default:
		return 0;
	}
	if (gp->flags & G_LOCKED)
		/* A kernel thread of its own: a signal ends its waits. */
		sys3(SYS_tgkill, sys0(SYS_getpid), tcb_tid(gp->tcb),
		     LIBC_SIGCANCEL);
	else
		g_cancel_kick(gp, now);
	return 0;
}

#ifndef __GLIBC__
/*
 * musl's own functions act on musl's word, which stays clear for every G
 * (compat/musl_tcb.c): these act on the shim's, as musl's do on its own.
 * Setting the state never acts; setting the asynchronous type acts on a
 * pending cancellation, as musl's pthread_setcanceltype() does.
 */
SPROUT_EXPORT int pthread_setcancelstate(int state, int *old)
{
	int was;

	if (!shim_on())
		return REAL(pthread_setcancelstate)(state, old);
	if ((unsigned int)state > 2) /* musl's PTHREAD_CANCEL_MASKED is 2 */
		return EINVAL;
	was = tcb_set_cancelstate(state != PTHREAD_CANCEL_ENABLE);
	if (old)
		*old = was;
	return 0;
}

SPROUT_EXPORT int pthread_setcanceltype(int type, int *old)
{
	int was;

	if (!shim_on())
		return REAL(pthread_setcanceltype)(type, old);
	if ((unsigned int)type > 1)
		return EINVAL;
	was = tcb_set_canceltype(type == PTHREAD_CANCEL_ASYNCHRONOUS);
	if (old)
		*old = was;
	if (type == PTHREAD_CANCEL_ASYNCHRONOUS)
		cancel_point();
	return 0;
}

SPROUT_EXPORT void pthread_testcancel(void)
{
	if (!shim_on()) {
		REAL(pthread_testcancel)();
		return;
	}
	cancel_point();
}
#endif
