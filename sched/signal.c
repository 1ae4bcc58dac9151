// SPDX-License-Identifier: MIT
/*
 * Signal masks of Gs, signals sent to one G (pthread_kill()), and sleeps
 * they interrupt.
 *
 * Each G has its own signal mask, as a thread does: it starts as its
 * creator's, and pthread_sigmask() and sigprocmask() change the G's. The
 * kernel keeps one per M: execute() gives the M the mask of the G it
 * runs, with one system call when the two differ (Gs of a program mostly
 * share one mask, so mostly none). An idle M takes the initial thread's
 * mask: a signal sent to the process while no G runs is then taken, or
 * left pending, as the initial thread would have it. sysmon blocks all.
 *
 * The kernel delivers a signal to a kernel thread, and a G has one only
 * while it runs. So g_kill() sends the signal to the G's M when the G is
 * running there (in the program's code or in a system call, which the
 * signal interrupts as it would natively), and otherwise leaves it in the
 * G's sigpend: the G sends it to itself when it next leaves the runtime
 * (rt_exit()), so the handler runs on the G, on its own stack. A G parked
 * in an interruptible sleep (g_sleep()) is woken for it, and its sleep
 * returns EINTR if a handler ran, as POSIX says; a signal that is ignored
 * or blocked lets the sleep go on.
 *
 * The G's state is read without a lock: a G that stops running between the
 * check and the kernel's delivery gets the signal on the M it left, where
 * the next G to run there takes it. Process-directed signals are left to
 * the kernel, which picks an M as it would pick a thread.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "runtime.h"
#include "sema.h"
#include "arch/x86_64/sys.h"

static uint64_t sigbit(int sig)
{
	return 1ull << (sig - 1);
}

static void tgkill_m(struct m *mp, int sig)
{
	sys3(SYS_tgkill, sys0(SYS_getpid), mp->tid, sig);
}

/* Will sig run a handler on the calling kernel thread now? */
static bool runs_handler(int sig)
{
	struct {
		unsigned long handler, flags, restorer, mask;
	} act;
	unsigned long blocked = 0;

	if (sys4(SYS_rt_sigaction, sig, 0, (long)&act, 8) < 0 ||
	    act.handler == (unsigned long)SIG_DFL ||
	    act.handler == (unsigned long)SIG_IGN)
		return false;
	sys4(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&blocked, 8);
	return !(blocked & sigbit(sig));
}

/* Signals glibc keeps unblocked whatever the program asks. */
#define UNBLOCKABLE                                          \
	((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | \
	 (1ull << (32 - 1)) /* SIGCANCEL */ |                \
	 (1ull << (33 - 1)) /* SIGSETXID */)

void m_sigmask_set(struct m *mp, uint64_t mask)
{
	if (mp->sigmask == mask)
		return;
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8);
	mp->sigmask = mask;
}

/*
 * pthread_sigmask() for the calling G; 0 or an error number. Only the
 * first 64 signals exist on Linux: the rest of a sigset_t is zero.
 */
int g_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	struct g *gp = getg();
	uint64_t mask = gp->sigmask, s;

	if (set) {
		memcpy(&s, set, sizeof(s));
		switch (how) {
		case SIG_BLOCK:
			mask |= s;
			break;
		case SIG_UNBLOCK:
			mask &= ~s;
			break;
		case SIG_SETMASK:
			mask = s;
			break;
		default:
			return EINVAL;
		}
	}
	if (old) {
		sigemptyset(old);
		memcpy(old, &gp->sigmask, sizeof(gp->sigmask));
	}
	if (set) {
		gp->sigmask = mask & ~UNBLOCKABLE;
		/* Signals pending and now unblocked run before this returns. */
		m_sigmask_set(gp->m, gp->sigmask);
	}
	return 0;
}

void sigpend_deliver(struct g *gp)
{
	uint64_t set = atomic_exchange(&gp->sigpend, 0);
	int sig;

	for (sig = 1; set; sig++) {
		if (!(set & sigbit(sig)))
			continue;
		set &= ~sigbit(sig);
		if (runs_handler(sig))
			gp->sigran = true;
		tgkill_m(gp->m, sig); /* delivered before this returns */
	}
}

int g_kill(struct g *gp, int sig)
{
	struct g *self = getg();
	struct m *mp;

	if (sig < 1 || sig > 64)
		return EINVAL;
	if (gp == self) {
		tgkill_m(gp->m, sig);
		return 0;
	}
	atomic_fetch_or(&gp->sigpend, sigbit(sig));
	/* Running: the kernel interrupts it there, unless it took it. */
	mp = gp->m;
	if (atomic_load(&gp->status) == G_RUNNING && mp && mp->curg == gp) {
		if (atomic_fetch_and(&gp->sigpend, ~sigbit(sig)) & sigbit(sig))
			tgkill_m(mp, sig);
		return 0;
	}
	atomic_store(&gp->intr, 1);
	wt_futex_wake(&gp->intr, 1);
	return 0;
}

/*
 * Park the calling G until deadline (CLOCK_MONOTONIC ns; -1 none) or until
 * a signal sent with g_kill() runs a handler on it. Returns 0 or EINTR.
 */
int g_sleep(int64_t deadline)
{
	struct g *gp = getg();

	gp->sigran = false;
	for (;;) {
		atomic_store(&gp->intr, 0);
		/* Pairs with g_kill(): it sets sigpend, then intr. */
		if (atomic_load(&gp->sigpend))
			sigpend_deliver(gp);
		if (gp->sigran)
			return EINTR;
		if (wt_futex_wait(&gp->intr, 0, deadline) == ETIMEDOUT)
			return 0;
	}
}
