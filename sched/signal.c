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
 * in an interruptible sleep (g_sleep()) or on the netpoller is woken for
 * it. Every handler that runs on a G is noted in its sigran (the shim's
 * trampoline calls sig_running()), and the wait then ends as the system
 * call it stands for would: a sleep or a poll with EINTR, a read or write
 * with EINTR unless the handler has SA_RESTART (netpoll_wait()). A signal
 * that is ignored or blocked lets the wait go on.
 *
 * A signal the G blocks stays pending for the G, as for a thread: in its
 * sigpend, or on its M's kernel thread while it runs there (where its
 * sigwait() or pselect() takes it), and then it takes it along when it
 * leaves the M (m_kpend_take()). Unblocking it (g_sigmask()) delivers it.
 * A signal whose action is the default and ends or stops the process does
 * so at once, whichever G it is sent to (act_on_process()).
 *
 * The G's state is read without a lock, but a G does not leave its M
 * while a sender looks at it and sends (kill_running()): the signal
 * reaches the kernel thread while the G is still there. Process-directed
 * signals are left to
 * the kernel, which picks an M as it would pick a thread; the initial
 * thread's wait ends for them as natively (sig_arrived()).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "runtime.h"
#include "netpoll.h"
#include "sema.h"
#include "../arch/x86_64/sys.h"

static uint64_t sigbit(int sig)
{
	return 1ull << (sig - 1);
}

/* A fault, raised by the thread's own instruction? */
static bool synchronous(int sig, const siginfo_t *info)
{
	return (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
		sig == SIGILL || sig == SIGTRAP) &&
	       info->si_code > 0;
}

/*
 * Raised by this kernel thread at itself, as abort() in a handler of
 * glibc's (SIGSETXID's) that interrupted the runtime does? The kernel
 * runs the handler before that tgkill() returns: abort() counts on it.
 */
static bool raised_here(int sig, const siginfo_t *info, const void *uc)
{
	long pid;

	if (info->si_code != SI_TKILL || !uc)
		return false;
	pid = sys0(SYS_getpid);
	return info->si_pid == pid && ctx_sent_self(uc, sig, pid, sys_gettid());
}

static void tgkill_m(struct m *mp, int sig)
{
	sys3(SYS_tgkill, sys0(SYS_getpid), mp->tid, sig);
}

/* Signals glibc keeps unblocked whatever the program asks. */
#define UNBLOCKABLE                                          \
	((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | \
	 (1ull << (GLIBC_SIGCANCEL - 1)) | (1ull << (GLIBC_SIGSETXID - 1)))

void m_sigmask_set(struct m *mp, uint64_t mask)
{
	if (mp->sigmask == mask)
		return;
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8);
	mp->sigmask = mask;
}

/*
 * Routing of signals sent to the process (kill(), timers, SIGCHLD, ...),
 * which the kernel gives to a thread that does not block them. An M
 * blocks what the G it runs blocks, an idle M what the initial thread
 * blocks, and one that lands on g0 goes to the initial G (sig_defer()).
 * So a signal that only a G without a kernel thread of its own leaves
 * unblocked (parked, or waiting for a P) would stay pending for ever.
 * sysmon therefore leaves unblocked exactly the signals the initial
 * thread blocks and some other G does not (route_mask()); one that lands
 * there is taken by its handler (on_sysmon()) and handed to such a G,
 * running ones first, which wakes to run it (sig_route()). If no G is
 * left to take it, it goes back to the process, blocked on sysmon, and
 * stays pending there (sigpending() shows it) until a G unblocks it,
 * which makes sysmon look again. While the initial thread blocks nothing
 * (most programs) none of this costs anything. Only the signal's number
 * is kept, as for deferred signals.
 */
#define ROUTABLE (~UNBLOCKABLE)

static void route_dirty(void)
{
	if (!atomic_exchange(&sched.sigroute_dirty, true))
		sysmon_kick();
}

/*
 * gp's mask went from old to new (stored already, for sysmon to see): may
 * a signal now have a taker?
 */
static void route_check(const struct g *gp, uint64_t old, uint64_t new)
{
	uint64_t more = gp == &g_main ? new & ~old : old & ~new &g_main.sigmask;

	if (more & ROUTABLE)
		route_dirty();
}

/* A new G with mask is about to run. */
void sig_route_newg(uint64_t mask)
{
	if (~mask & g_main.sigmask & ROUTABLE)
		route_dirty();
}

/* A program thread that is alive and runs on the Ps? */
static bool g_routable(const struct g *gp)
{
	uint32_t st = atomic_load_explicit(&gp->status, memory_order_relaxed);

	return (st == G_RUNNABLE || st == G_RUNNING || st == G_WAITING ||
		st == G_SYSCALL) &&
	       !(gp->flags & (G_LOCKED | G_G0));
}

static uint64_t g_mask(const struct g *gp)
{
	return __atomic_load_n(&gp->sigmask, __ATOMIC_RELAXED);
}

struct route_scan {
	uint64_t want, found; /* route_mask() */
	int sig;	      /* route_find() */
	bool running;
};

static bool scan_accepts(struct g *gp, void *arg)
{
	struct route_scan *s = arg;

	if (g_routable(gp))
		s->found |= s->want & ~g_mask(gp);
	return s->found == s->want;
}

/* On sysmon: leave unblocked what only other Gs than the initial take. */
static void route_mask(void)
{
	struct route_scan s = { .want = g_mask(&g_main) & ROUTABLE };
	uint64_t m;

	if (s.want)
		stack_find(scan_accepts, &s);
	m = ROUTABLE & ~s.found;
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8);
}

static bool scan_taker(struct g *gp, void *arg)
{
	const struct route_scan *s = arg;

	return g_routable(gp) && !(g_mask(gp) & sigbit(s->sig)) &&
	       (!s->running ||
		atomic_load_explicit(&gp->status, memory_order_relaxed) ==
			G_RUNNING);
}

/* The G to take sig, sent to the process, or NULL. */
static struct g *route_find(int sig)
{
	struct route_scan s = { .sig = sig, .running = true };
	struct g *gp;

	if (!(g_mask(&g_main) & sigbit(sig)) &&
	    atomic_load(&g_main.status) != G_DEAD)
		return &g_main;
	gp = stack_find(scan_taker, &s);
	if (!gp) {
		s.running = false;
		gp = stack_find(scan_taker, &s);
	}
	return gp;
}

/*
 * sig, sent to the process, landed on sysmon: its handler runs on the G
 * that sig_route() picks, not here. Blocked on sysmon from the handler's
 * return on, until then.
 */
static bool on_sysmon(int sig, const siginfo_t *info, void *uc)
{
	if (!info || synchronous(sig, info) || raised_here(sig, info, uc) ||
	    sys_gettid() != atomic_load(&sched.sysmon_tid))
		return false;
	sigaddset(&((ucontext_t *)uc)->uc_sigmask, sig);
	atomic_fetch_or(&sched.sigroute, sigbit(sig));
	sysmon_kick();
	return true;
}

bool sig_route_work(void)
{
	return atomic_load(&sched.sigroute) ||
	       atomic_load(&sched.sigroute_dirty);
}

/* On sysmon: hand the signals it took to their Gs; mind new takers. */
void sig_route(void)
{
	uint64_t bits = atomic_exchange(&sched.sigroute, 0), back = 0, sent;
	long pid = sys0(SYS_getpid);
	int sig;

	if (atomic_exchange(&sched.sigroute_dirty, false))
		route_mask();
	for (sig = 1; sig <= 64; sig++) {
		struct g *gp;

		if (!(bits & sigbit(sig)))
			continue;
		gp = route_find(sig);
		if (gp)
			g_kill(gp, sig);
		else
			back |= sigbit(sig);
	}
	sent = bits & ~back;
	if (sent)
		sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sent, 0, 8);
	for (sig = 1; sig <= 64; sig++)
		if (back & sigbit(sig))
			sys2(SYS_kill, pid, sig); /* pending, blocked here */
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
		uint64_t was = gp->sigmask;

		gp->sigmask = mask & ~UNBLOCKABLE;
		route_check(gp, was, gp->sigmask);
		/*
		 * Signals pending and now unblocked run before this returns:
		 * the kernel's on the M, and those left for the G. Pairs with
		 * g_kill(): it sets sigpend, then looks at the mask.
		 */
		m_sigmask_set(gp->m, gp->sigmask);
		atomic_thread_fence(memory_order_seq_cst);
		if (g_sigready(gp))
			sigpend_deliver(gp);
	}
	return 0;
}

/*
 * The G's mask while a system call runs with mask as the kernel thread's
 * (sigsuspend()): a handler running meanwhile is one the call lets in.
 * Returns the mask to put back with g_sigmask_end().
 */
uint64_t g_sigmask_during(const sigset_t *mask)
{
	struct g *gp = getg();
	uint64_t old = gp->sigmask, m;

	memcpy(&m, mask, sizeof(m));
	gp->sigmask = m & ~UNBLOCKABLE;
	return old;
}

void g_sigmask_end(uint64_t old)
{
	getg()->sigmask = old;
}

/*
 * Send the G's pending signals that it does not block to its M, which is
 * running it: the kernel runs their handlers on the way back from the
 * system call. Blocked ones stay in sigpend.
 */
void sigpend_deliver(struct g *gp)
{
	uint64_t set =
		atomic_fetch_and(&gp->sigpend, gp->sigmask) & ~gp->sigmask;
	int sig;

	for (sig = 1; set; sig++) {
		if (!(set & sigbit(sig)))
			continue;
		set &= ~sigbit(sig);
		tgkill_m(gp->m, sig); /* delivered before this returns */
	}
}

/*
 * A sleep's state, in gp->intr: the sleeping G parks only from SLEEP_AWAKE;
 * its timer and g_kill() each move it from SLEEP_PARKED to SLEEP_WOKEN,
 * and whichever does readies the G. Both also move it from SLEEP_AWAKE,
 * so that a G about to park does not (the timer is armed before the G
 * parks: sleep_park()).
 */
enum { SLEEP_AWAKE, SLEEP_PARKED, SLEEP_WOKEN };

struct sleep {
	struct timer t;
	struct g *g;
	bool done; /* the timer woke it */
};

static void sleep_wake(struct g *gp)
{
	uint32_t st = SLEEP_PARKED;

	if (atomic_compare_exchange_strong(&gp->intr, &st, SLEEP_WOKEN))
		goready(gp);
	else if (st == SLEEP_AWAKE)
		atomic_compare_exchange_strong(&gp->intr, &st, SLEEP_WOKEN);
}

static void sleep_timeout(struct timer *t)
{
	struct sleep *s = (struct sleep *)t;
	uint32_t st = atomic_load(&s->g->intr);

	/*
	 * Only the winner of this readies the G, and s is on its stack. Found
	 * SLEEP_AWAKE, the G is in sleep_park(), which then does not park it.
	 */
	while (st != SLEEP_WOKEN) {
		if (atomic_compare_exchange_strong(&s->g->intr, &st,
						   SLEEP_WOKEN)) {
			s->done = true;
			if (st == SLEEP_PARKED)
				goready(s->g);
			return;
		}
	}
}

/*
 * On g0, once the G is off its stack: park unless woken already. The
 * timer is armed first: once the G is SLEEP_PARKED, g_kill() may ready
 * it, and the G then disarms the timer (timer_del()), which must find it
 * in its bucket, not half-added. A timer that fires before the G is
 * parked makes it SLEEP_WOKEN, and the G does not park.
 */
static bool sleep_park(struct g *gp, void *arg)
{
	struct sleep *s = arg;
	uint32_t st = SLEEP_AWAKE;

	if (s->t.when >= 0)
		timer_add(&s->t);
	return atomic_compare_exchange_strong(&gp->intr, &st, SLEEP_PARKED);
}

/*
 * Send sig back to the process with its information, and block it on the
 * calling M from the handler's return on (in uc), so that the kernel picks
 * another thread that takes it, or keeps it pending on the process until
 * an M unblocks it. Only the initial thread may send a kernel's si_code,
 * so from another M it goes back as kill() would send it.
 */
static void sig_bounce(struct m *mp, int sig, const siginfo_t *info, void *uc)
{
	long pid = sys0(SYS_getpid);

	sigaddset(&((ucontext_t *)uc)->uc_sigmask, sig);
	mp->sigmask |= sigbit(sig);
	if (sys3(SYS_rt_sigqueueinfo, pid, sig, (long)info) < 0)
		sys2(SYS_kill, pid, sig);
}

/*
 * Leave sig pending for gp, which runs on this M inside the runtime (or is
 * about to): it delivers it when it leaves (rt_exit()). A sleep it is on
 * its way to does not begin. It may be on its way to another wait, past
 * its look at sigpend: KICK_LEFT has g0 end that wait once the G is
 * parked (sig_left_wake()).
 */
static void sig_leave(struct g *gp, int sig)
{
	uint32_t st = SLEEP_AWAKE;

	atomic_fetch_or(&gp->sigpend, sigbit(sig));
	atomic_compare_exchange_strong(&gp->intr, &st, SLEEP_WOKEN);
	atomic_fetch_or(&gp->kick, KICK_LEFT);
}

/*
 * Where a handler of the program may run; called by the shim's trampoline
 * before it runs one for sig. True: not here, not now; the trampoline
 * returns at once and the signal goes where it belongs.
 *
 * The invariant: a handler of the program runs only on a G, in the
 * program's code (gp->rtdepth == 0, a blocking system call included),
 * never on g0 and never in the middle of runtime code, which holds locks
 * and half-done changes a handler that calls into the shim would find.
 * So the runtime may take a signal at any instruction of its own: one
 * that lands there is left pending on its G (sig_leave()), and delivered
 * when the G leaves the runtime, as the kernel delivers at the return to
 * user mode. On g0 it is for the G the M is switching to or from (curg),
 * if any; else, sent to the process, it is the initial thread's if that
 * does not block it, as the kernel would choose it, and sysmon hands it
 * over (sig_interrupt_main()); else the kernel chooses again
 * (sig_bounce()). A fault is the faulting code's, and so is a signal the
 * kernel thread raised at itself (raised_here()): both run here and now,
 * as natively; threads the shim did not create take theirs as natively.
 *
 * Only the signal's number is kept for later: its handler then sees it as
 * sent by pthread_kill() from this process. Async-signal-safe.
 */
bool sig_defer(int sig, const siginfo_t *info, void *uc)
{
	struct g *gp = getg(), *to;
	bool thread;

	if (!gp)
		return on_sysmon(sig, info, uc);
	if ((gp->flags & G_LOCKED) || !info || synchronous(sig, info))
		return false;
	/*
	 * On a G in its own code the kernel judged the mask (a nested
	 * handler's changes to the G's are undone by the time the outer one
	 * runs).
	 */
	if (!(gp->flags & G_G0) && gp->rtdepth == 0)
		return false;
	if (raised_here(sig, info, uc))
		return false;
	thread = info->si_code == SI_TKILL;
	if (!(gp->flags & G_G0)) {
		sig_leave(gp, sig);
		return true;
	}
	to = gp->m->curg;
	if (to && (thread || !(to->sigmask & sigbit(sig)))) {
		sig_leave(to, sig);
		return true;
	}
	if (!(g_main.sigmask & sigbit(sig)) &&
	    atomic_load(&g_main.status) != G_DEAD) {
		struct m *mm = g_main.m;

		/*
		 * Running elsewhere: the kernel interrupts it there, now,
		 * as it would the initial thread (a signal the thread sends
		 * the process reaches it before its call returns).
		 */
		if (atomic_load(&g_main.status) == G_RUNNING && mm &&
		    mm != gp->m && mm->curg == &g_main) {
			tgkill_m(mm, sig);
			return true;
		}
		atomic_fetch_or(&g_main.sigpend, sigbit(sig));
		sysmon_poke();
		return true;
	}
	sig_bounce(gp->m, sig, info, uc);
	return true;
}

/*
 * The G's mask while a handler of the program runs on it, and after: the
 * kernel blocked sa_mask and sig (unless SA_NODEFER) on top of the mask
 * it saved in uc, and puts uc's back when the handler returns. The G and
 * its M keep step with it, so that a handler that parks takes its mask
 * along and leaves the M's for the next G to run there. Async-signal-safe.
 */
void sig_handler_mask(int sig, const sigset_t *sa_mask, bool nodefer,
		      const void *uc)
{
	struct g *gp = getg();
	uint64_t m, extra, was;

	if (!gp || (gp->flags & (G_LOCKED | G_G0)))
		return;
	memcpy(&m, &((const ucontext_t *)uc)->uc_sigmask, sizeof(m));
	memcpy(&extra, sa_mask, sizeof(extra));
	m |= extra | (nodefer ? 0 : sigbit(sig));
	was = gp->sigmask;
	gp->sigmask = m & ~UNBLOCKABLE;
	route_check(gp, was, gp->sigmask);
	gp->m->sigmask = m;
}

void sig_handler_done(const void *uc)
{
	struct g *gp = getg();
	uint64_t m, was;

	if (!gp || (gp->flags & (G_LOCKED | G_G0)))
		return;
	memcpy(&m, &((const ucontext_t *)uc)->uc_sigmask, sizeof(m));
	was = gp->sigmask;
	gp->sigmask = m & ~UNBLOCKABLE;
	route_check(gp, was, gp->sigmask);
	gp->m->sigmask = m;
}

static uint32_t ran_bits(bool restart)
{
	return restart ? SIGRAN : SIGRAN | SIGRAN_NORESTART;
}

/*
 * Before a handler of the program runs (the shim's trampoline), on the G
 * it interrupts: a wait of the G's then ends as the system call would
 * (netpoll_wait(), g_sleep()). Async-signal-safe.
 */
void sig_running(bool restart)
{
	struct g *gp = getg();

	if (gp && !(gp->flags & G_G0))
		atomic_fetch_or_explicit(&gp->sigran, ran_bits(restart),
					 memory_order_relaxed);
}

/*
 * A wait of the G's begins (g_sleep(), netpoll_wait(), a poll's look,
 * g_sigsuspend_main()): handlers that ran before it are not its. The wait
 * publishes itself afterwards (intr, nwait, the kernel's mask) with
 * sequentially consistent stores or a system call.
 */
void sig_wait_begin(struct g *gp)
{
	atomic_store_explicit(&gp->sigran, 0, memory_order_relaxed);
}

/* The SIGRAN_* bits of the handlers that ran for the G's wait. */
uint32_t sig_wait_ran(struct g *gp)
{
	return atomic_load_explicit(&gp->sigran, memory_order_relaxed);
}

/*
 * After a handler of the program ran for sig (the shim's trampoline): a
 * signal sent to the process, not to a thread, goes natively to the
 * initial thread if it does not block it, and ends a wait of its. Here
 * the kernel chose an M, so if the initial thread is not the G running
 * the handler, sysmon ends its wait: a sleep, or I/O on the netpoller.
 * After the handler, not before: the initial thread must find what the
 * handler did when its call returns (CPython's handler sets a flag that
 * the interrupted call looks at). Async-signal-safe: only atomics and a
 * futex wake.
 */
void sig_arrived(int sig, const siginfo_t *info, bool restart)
{
	if (!info || info->si_code == SI_TKILL || getg() == &g_main ||
	    (g_main.sigmask & sigbit(sig)) || synchronous(sig, info))
		return; /* faults are the faulting thread's */
	atomic_fetch_or(&g_main.sigran, ran_bits(restart));
	sys_futex_wake((uint32_t *)&g_main.sigran, 1); /* g_sigsuspend_main */
	sysmon_poke();
}

/*
 * For sysmon, after sig_arrived() or sig_defer(): end the initial G's
 * wait, and hand it the signals left for it.
 */
void sig_interrupt_main(void)
{
	uint64_t ready = g_sigready(&g_main);
	struct npdir *nw;
	int sig;

	for (sig = 1; ready; sig++) {
		if (!(ready & sigbit(sig)))
			continue;
		ready &= ~sigbit(sig);
		if (atomic_fetch_and(&g_main.sigpend, ~sigbit(sig)) &
		    sigbit(sig))
			g_kill(&g_main, sig);
	}

	sleep_wake(&g_main);
	wt_interrupt(&g_main);
	/* Pairs with netpoll_wait(): it sets nwait, then looks at sigran. */
	nw = atomic_load(&g_main.nwait);
	if (nw)
		netpoll_interrupt(nw);
}

/*
 * Is sig's action the default, and the default to end or stop the
 * process (signal(7))? Then it acts on the whole process, whichever
 * thread it is sent to.
 */
static bool acts_on_process(int sig)
{
	struct kernel_sigaction act;

	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case GLIBC_SIGCANCEL:
	case GLIBC_SIGSETXID:
		return false;
	}
	return sys4(SYS_rt_sigaction, sig, 0, (long)&act, 8) == 0 &&
	       act.handler == SIG_DFL;
}

/*
 * Take sig's default action now, on the calling kernel thread, which may
 * block it for its G: the process ends (or stops, and goes on here when
 * continued).
 */
static void act_on_process(int sig)
{
	uint64_t set = sigbit(sig), old;

	sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, (long)&old, 8);
	sys3(SYS_tgkill, sys0(SYS_getpid), sys_gettid(), sig);
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8);
}

/*
 * Send sig to gp, running on mp. The kernel then acts as for a thread:
 * it runs the handler, or a sigwait() or pselect() of the G's takes the
 * signal, or it stays pending on the kernel thread while the G blocks it;
 * in that case the G takes it along when it leaves mp (m_kpend_take()),
 * lest the next G to run there, not blocking it, get it.
 */
static void m_kill(struct g *gp, struct m *mp, int sig)
{
	if (gp->sigmask & sigbit(sig))
		atomic_store(&mp->kpend, true);
	tgkill_m(mp, sig);
}

/*
 * The calling G leaves mp (mcall()): signals pending on the kernel thread
 * that the G blocks are the G's, and go into its sigpend. rt_sigtimedwait
 * takes those sent to the thread before those sent to the process.
 */
void m_kpend_take(struct m *mp, struct g *gp)
{
	const struct timespec now = { 0, 0 };
	uint64_t pend, one;
	siginfo_t si;
	int sig;

	atomic_store(&mp->kpend, false);
	if (sys2(SYS_rt_sigpending, (long)&pend, 8) < 0)
		return;
	pend &= gp->sigmask;
	for (sig = 1; pend; sig++) {
		if (!(pend & sigbit(sig)))
			continue;
		pend &= ~sigbit(sig);
		one = sigbit(sig);
		if (sys4(SYS_rt_sigtimedwait, (long)&one, (long)&si, (long)&now,
			 8) == sig)
			atomic_fetch_or(&gp->sigpend, sigbit(sig));
	}
}

/* The calling G's pending signals in want go to its M's kernel thread. */
static void sig_push_bits(uint64_t want)
{
	struct g *gp = getg();
	uint64_t bits = atomic_fetch_and(&gp->sigpend, ~want) & want;
	int sig;

	for (sig = 1; bits; sig++) {
		if (!(bits & sigbit(sig)))
			continue;
		bits &= ~sigbit(sig);
		m_kill(gp, gp->m, sig);
	}
}

/*
 * Before a system call that takes signals from the kernel's pending set
 * (sigwait() and its kin take those in set; sigsuspend() those its mask,
 * now the G's, lets in): the G's own pending ones go there first, blocked
 * by the M's mask until the call lets them in.
 */
void sig_push(const sigset_t *set)
{
	uint64_t want;

	memcpy(&want, set, sizeof(want));
	sig_push_bits(want);
}

void sig_push_unblocked(void)
{
	sig_push_bits(~getg()->sigmask);
}

/*
 * sigpending() for the calling G: the kernel's (its M's, which it takes
 * along, and the process's) and those left for the G.
 */
int g_sigpending(sigset_t *set)
{
	uint64_t mine = atomic_load(&getg()->sigpend) & ~UNBLOCKABLE, k;
	long r = sys2(SYS_rt_sigpending, (long)set, 8);

	if (r < 0)
		return (int)-r;
	memcpy(&k, set, sizeof(k));
	k |= mine;
	memcpy(set, &k, sizeof(k));
	return 0;
}

/*
 * kill(), sigqueue() or pidfd_send_signal() of sig, with info, to the
 * calling process: true if it went to the calling thread instead. When
 * the initial thread sends it and does not block it, the kernel gives it
 * to the initial thread, the thread-group leader, before the call
 * returns (CPython's test_signal counts on it). Here the initial G may
 * run on any kernel thread, while the leader's idles: so the signal goes
 * straight to the calling kernel thread, with the information the send
 * to the process would carry (a thread may send itself any).
 */
bool sig_send_self(int sig, const siginfo_t *info)
{
	struct g *gp = getg();

	if (gp != &g_main || sig < 1 || sig > 64 || (gp->sigmask & sigbit(sig)))
		return false;
	return sys4(SYS_rt_tgsigqueueinfo, sys0(SYS_getpid), sys_gettid(), sig,
		    (long)info) == 0;
}

/*
 * End gp's wait, if it waits where a signal ends or interrupts the wait,
 * for it to run the signals in its sigpend.
 */
static void g_interrupt(struct g *gp)
{
	struct npdir *nw;

	sleep_wake(gp);
	wt_interrupt(gp); /* sem_wait(), mutexes, ...: sema.c */
	/*
	 * Waiting for I/O: move the fd's event count on and wake its waiters,
	 * so that the G looks again (the others find nothing new and wait
	 * again) and runs its signal on the way.
	 */
	nw = atomic_load(&gp->nwait);
	if (nw)
		netpoll_interrupt(nw);
}

/*
 * On g0, gp just parked (or went on): a signal was left for it on its way
 * (sig_leave()), maybe after it looked at sigpend, so its wait ends.
 */
void sig_left_wake(struct g *gp)
{
	if (atomic_fetch_and(&gp->kick, ~KICK_LEFT) & KICK_LEFT)
		g_interrupt(gp);
}

/*
 * sig, left in gp's sigpend, goes to the kernel thread gp runs on, if it
 * runs (in the program's code or in a system call, which the signal
 * interrupts as it would natively). Not once it waits on the netpoller
 * (or is about to park there): the signal must end that wait, which a
 * handler run by the kernel on its way to park would not. True if gp
 * runs: the signal is on its way, or was taken from sigpend already.
 * With keep, it stays in sigpend too (for the G to find if it stops
 * running before the kernel interrupts it).
 *
 * The G must not leave its M between the look and the kernel's taking
 * the signal, or the signal would go to whatever runs there next. So the
 * sender counts itself in gp->kick while it looks and sends, and a G
 * leaving its M first sets KICK_LEAVING (a sender that sees it lets the
 * G's next rt_exit() deliver), then waits for the senders counted
 * (m_kicks_drain()).
 */
static bool kill_running(struct g *gp, int sig, bool keep)
{
	uint32_t k = atomic_fetch_add(&gp->kick, KICK_ONE);
	struct m *mp = gp->m;
	bool running;

	/* A wired G's kernel thread is its own, running or waiting in it. */
	running = mp && !atomic_load(&gp->nwait) &&
		  ((gp->flags & G_WIRED) ||
		   (!(k & KICK_LEAVING) &&
		    atomic_load(&gp->status) == G_RUNNING && mp->curg == gp));
	if (running && (keep || atomic_fetch_and(&gp->sigpend, ~sigbit(sig)) &
					sigbit(sig))) {
		m_kill(gp, mp, sig);
		atomic_fetch_or(&gp->kick, KICK_SENT);
	}
	atomic_fetch_sub(&gp->kick, KICK_ONE);
	return running;
}

/*
 * The calling G is leaving its M (mcall()) and found senders counted in
 * its kick: wait for them, then take what they sent while the kernel
 * thread is still the G's. A system call's return delivers it, on the G
 * inside the runtime, which leaves it in the G's sigpend (sig_defer()); a
 * signal the G blocks stays on the kernel thread for m_kpend_take().
 */
void m_kicks_drain(struct g *gp)
{
	uint32_t k;
	int spins = 0;

	while ((k = atomic_load(&gp->kick)) >= KICK_ONE) {
		if (++spins < 64)
			__builtin_ia32_pause();
		else
			sys0(SYS_sched_yield); /* the sender lost its CPU */
	}
	if (k & KICK_SENT) {
		atomic_fetch_and(&gp->kick, ~KICK_SENT);
		sys0(SYS_getpid);
	}
}

/*
 * pthread_kill() of a G: 0 or EINVAL. A signal the G blocks waits in its
 * sigpend until the G unblocks it; one whose default action ends the
 * process does so at once, even if the G is parked.
 */
int g_kill(struct g *gp, int sig)
{
	if (sig < 1 || sig > 64)
		return EINVAL;
	if (!(gp->sigmask & sigbit(sig)) && acts_on_process(sig)) {
		act_on_process(sig);
		return 0;
	}
	if (gp == getg()) {
		m_kill(gp, gp->m, sig);
		return 0;
	}
	atomic_fetch_or(&gp->sigpend, sigbit(sig));
	/* Pairs with g_sigmask(): it sets the mask, then looks at sigpend. */
	atomic_thread_fence(memory_order_seq_cst);
	if (kill_running(gp, sig, false))
		return 0;
	if (gp->sigmask & sigbit(sig))
		return 0; /* it waits in sigpend until unblocked */
	g_interrupt(gp);
	return 0;
}

/*
 * pthread_cancel() of gp (shim/cancel.c): SIGCANCEL waits in its sigpend,
 * which ends a wait of its as a signal does, and its handler, run on the
 * G as it leaves the runtime, acts on the cancellation or ends the wait
 * for the cancellation point to act. With now (asynchronous cancellation)
 * a G running on an M is interrupted there too. The bit stays until the
 * handler runs on gp: a G that stops running before the kernel interrupts
 * its M finds it when it next leaves the runtime.
 */
void g_cancel_kick(struct g *gp, bool now)
{
	atomic_fetch_or(&gp->sigpend, sigbit(GLIBC_SIGCANCEL));
	/* Pairs with the G's publishing of its wait, as in g_kill(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (now)
		kill_running(gp, GLIBC_SIGCANCEL, true);
	g_interrupt(gp);
}

/*
 * sigsuspend() of the initial G, a system call the caller has handed its
 * P off for. Natively a signal sent to the process that the call lets in
 * goes to the initial thread and ends the call; here the kernel may have
 * chosen another M, while the initial G was not running, and run the
 * handler there: sig_arrived() then notes it in the G's sigran (a shell's
 * wait for SIGCHLD hung). So the G waits with the call's mask in a futex
 * wait on its sigran, which a handler on this kernel thread ends (EINTR)
 * and so does sig_arrived()'s wake. The call then fails with EINTR.
 */
void g_sigsuspend_main(const sigset_t *mask)
{
	struct g *gp = getg();
	uint64_t m, saved;

	memcpy(&m, mask, sizeof(m));
	m &= ~UNBLOCKABLE;
	sig_wait_begin(gp);
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, (long)&saved, 8);
	while (!atomic_load(&gp->sigran) &&
	       sys_futex_wait((uint32_t *)&gp->sigran, 0) != -EINTR)
		;
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&saved, 0, 8);
}

/*
 * Park the calling G until deadline (CLOCK_MONOTONIC ns; -1 none) or until
 * a signal sent with g_kill() runs a handler on it. Returns 0 or EINTR.
 * The sleep is a timer and a park, with no wait-table queue: the one G
 * that sleeps is the one to wake.
 */
int g_sleep(int64_t deadline)
{
	struct g *gp = getg();
	struct sleep s = { .t = { .when = deadline, .f = sleep_timeout },
			   .g = gp };

	sig_wait_begin(gp);
	for (;;) {
		atomic_store(&gp->intr, SLEEP_AWAKE);
		/* Pairs with g_kill(): it sets sigpend, then intr. */
		if (g_sigready(gp))
			sigpend_deliver(gp);
		if (sig_wait_ran(gp))
			return EINTR;
		s.t.pp = NULL;
		rt_enter();
		gopark(sleep_park, &s);
		/* Woken by g_kill(): the timer may still be armed. */
		if (s.t.pp)
			timer_del(&s.t);
		rt_exit(); /* runs the signals g_kill() left */
		if (s.done)
			return 0;
	}
}
