// SPDX-License-Identifier: MIT
/*
 * Signal masks of Gs, signals sent to one G (pthread_kill()), and sleeps
 * they interrupt.
 *
 * Each G has its own signal mask, as a thread does: it starts as its
 * creator's, and pthread_sigmask() and sigprocmask() change the G's. The
 * kernel keeps one per M: execute() gives the M the mask of the G it
 * runs, with one system call when the two differ (Gs of a program mostly
 * share one mask, so mostly none). An idle M blocks every signal it can:
 * sysmon takes those sent to the process for the Gs that have no kernel
 * thread (below, "Routing").
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
#include "../compat/tcb.h"

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

/*
 * Real-time signals the program may use queue once per send; the others
 * merge, as glibc's two (SIGCANCEL, SIGSETXID) do here.
 */
static bool queues(int sig)
{
	return sig > LIBC_SIGSETXID;
}

/*
 * Keep info for gp's pending sig (the caller then sets its bit in
 * sigpend); with none, the signal is as pthread_kill() sends it. back:
 * the kernel gave it back (it landed where it waits again), and it goes
 * ahead of what is queued (sigq_push()). A
 * real-time signal that finds the pool used up is kept as one that
 * merges (sigq_lost). Async-signal-safe.
 */
static void sig_queue(struct g *gp, int sig, const siginfo_t *info,
		      bool process, bool back)
{
	if (info && !sigq_push(&gp->sigq, sig, info, process, back) &&
	    queues(sig))
		atomic_fetch_or(&gp->sigq_lost, sigbit(sig));
}

static void sig_send(struct g *gp, struct m *mp, int sig);

/*
 * Sent to the process, as the information shows it: by kill() or the
 * kernel (a child's end, a timer); not by tgkill() or sigqueue(), which
 * pthread_sigqueue() uses too.
 */
static bool sent_to_process(const siginfo_t *info)
{
	return info && info->si_code != SI_TKILL && info->si_code != SI_QUEUE;
}

/*
 * A signal sent on with its information (sig_send()) keeps what the
 * first send gave it. Only the thread-group leader may send a kernel's
 * or kill()'s si_code (0 and up) or tgkill()'s; so such a signal goes as
 * sigqueue() sends it, with the si_code it had in si_errno (which is 0
 * but for seccomp's), and the handler's trampoline puts it back
 * (sig_info_restore()) before anything reads it. Sent this way from
 * every kernel thread, it also tells a signal the runtime sent to a
 * kernel thread (sig_info_restore() is true) from one the process got
 * (m_kpend_take()).
 */
#define INFO_TAG	 0x53500000 /* sent to a kernel thread */
#define INFO_TAG_PROCESS 0x53510000 /* sent to the process */
#define INFO_TAG_MASK	 0xffff0000

/* The information of a signal this process sends with code. */
static void own_info(siginfo_t *si, int sig, int code)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = code;
	si->si_pid = (pid_t)sys0(SYS_getpid);
	si->si_uid = (uid_t)sys0(SYS_getuid);
}

static long queueinfo(long pid, pid_t tid, int sig, const siginfo_t *info)
{
	if (!tid)
		return sys3(SYS_rt_sigqueueinfo, pid, sig, (long)info);
	return sys4(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)info);
}

/* To kernel thread tid, or with tid 0 to the process. */
static void send_info(pid_t tid, int sig, const siginfo_t *info)
{
	long pid = sys0(SYS_getpid);
	siginfo_t si;

	if ((info->si_code < 0 && info->si_code != SI_TKILL) ||
	    info->si_errno) {
		queueinfo(pid, tid, sig, info);
		return;
	}
	si = *info;
	si.si_errno = (int)((tid ? INFO_TAG : INFO_TAG_PROCESS) |
			    (uint16_t)si.si_code);
	si.si_code = SI_QUEUE;
	queueinfo(pid, tid, sig, &si);
}

bool sig_info_restore(siginfo_t *info)
{
	uint32_t tag;

	if (!info || info->si_code != SI_QUEUE)
		return false;
	tag = (uint32_t)info->si_errno & INFO_TAG_MASK;
	if (tag != INFO_TAG && tag != INFO_TAG_PROCESS)
		return false;
	info->si_code = (int16_t)(info->si_errno & 0xffff);
	info->si_errno = 0;
	return tag == INFO_TAG;
}

/* Signals glibc keeps unblocked whatever the program asks. */
#define UNBLOCKABLE                                          \
	((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | \
	 (1ull << (LIBC_SIGCANCEL - 1)) | (1ull << (LIBC_SIGSETXID - 1)))

/*
 * An M's record of its kernel thread's mask when it is not known: no mask
 * (SIGKILL and SIGSTOP are never blocked), so the next change is made.
 */
#define M_SIGMASK_UNKNOWN (~0ull)

/* An idle M: every signal that can be blocked, blocked (see "Routing"). */
void m_sigmask_idle(struct m *mp)
{
	m_sigmask_set(mp, ~UNBLOCKABLE);
}

/* mp's kernel thread has a mask its record does not know (a handler's). */
void m_sigmask_unknown(struct m *mp)
{
	mp->sigmask = M_SIGMASK_UNKNOWN;
}

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
 * blocks what the G it runs blocks, an idle M all it can, and one that
 * lands on g0 goes to the initial G (sig_defer()). So a signal that only
 * a G without a kernel thread of its own leaves unblocked (parked, or
 * waiting for a P) would stay pending for ever. sysmon therefore leaves
 * unblocked exactly the signals some G does not block (route_mask());
 * one that lands there is taken by its handler (on_sysmon()) and handed
 * to such a G, the initial one first, then running ones, which wakes to
 * run it (sig_route()). If no G is left to take it, it goes back to the
 * process, blocked on sysmon, and stays pending there (sigpending() shows
 * it) until a G unblocks it, which makes sysmon look again.
 *
 * A thread that takes a signal it must send back leaves it in flight,
 * where the program sees it pending and a G that unblocks it does not
 * find it: a G that unblocked it and ended meanwhile leaves it pending
 * for ever. So no kernel thread leaves unblocked a signal the Gs it
 * stands for block: an idle M stands for none; a G that unblocks a signal
 * unblocks it on its M before it tells sysmon (g_sigmask()), so that one
 * pending on the process is its own at once; and sysmon's mask follows
 * the Gs' (route_check()), with a wait for sysmon where it may lag
 * (route_sync()): the initial G that blocks what sysmon leaves unblocked,
 * and another G that unblocks what the initial G blocks while sysmon
 * leaves it unblocked or holds one. The signal keeps its information,
 * and a real-time one each send (sigq.c), as deferred signals do.
 */
#define ROUTABLE (~UNBLOCKABLE)

/* What sysmon took (on_sysmon()), with its information. */
static struct sigq route_q = { .lock = LOCK_INIT(RANK_SIGQ) };
static _Atomic uint64_t route_q_lost; /* taken when route_q was full */

static int g_kill_info(struct g *gp, int sig, const siginfo_t *info,
		       bool process);
static void g_post(struct g *gp, int sig, const siginfo_t *info, bool process);

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
	uint64_t more = old & ~new &ROUTABLE;

	/*
	 * A signal sysmon leaves unblocked already gains nothing from another
	 * taker, unless sysmon is reading the masks now (pairs with
	 * sig_route(): it marks itself busy, then reads them).
	 */
	if ((more & ~atomic_load(&sched.sysmon_unblocked)) ||
	    (more && atomic_load(&sched.route_busy)) ||
	    (gp == &g_main && (new & ~old)))
		route_dirty();
}

/*
 * The calling G changed its mask: sysmon may hold, or be about to take, a
 * signal of bits that the change gives another thread or takes from
 * sysmon (see "Routing"). Wait until sysmon has looked again at the
 * masks and handed on what it held of bits: the initial G's newly blocked
 * signals are then pending until a G unblocks them; a newly unblocked
 * one that sysmon took for the process runs on the caller, which is
 * alive to take it. A round trip to sysmon when the initial G blocks what
 * sysmon leaves unblocked, or another G unblocks what the initial G
 * blocks and sysmon leaves unblocked or holds: programs seldom do.
 */
static void route_sync(uint64_t bits)
{
	uint64_t req;

	/*
	 * Pairs with sig_route(): it marks itself busy, then reads the masks.
	 * Either it reads the new one, or this sees it busy (perhaps with
	 * the old one) and waits for a look that began after this request.
	 */
	if (!(bits & (atomic_load(&sched.sysmon_unblocked) |
		      atomic_load(&sched.sigroute_held) |
		      atomic_load(&sched.sigroute))) &&
	    !atomic_load(&sched.route_busy))
		return;
	req = atomic_fetch_add(&sched.route_req, 1) + 1;
	route_dirty();
	while (atomic_load(&sched.route_done) < req ||
	       (bits & (atomic_load(&sched.sigroute_held) |
			atomic_load(&sched.sigroute)))) {
		sysmon_kick();
		gosched();
	}
}

/* A new G with mask is about to run. */
void sig_route_newg(uint64_t mask)
{
	if (~mask & ~atomic_load(&sched.sysmon_unblocked) & ROUTABLE)
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
	bool running, pending;
};

static bool scan_accepts(struct g *gp, void *arg)
{
	struct route_scan *s = arg;

	if (g_routable(gp))
		s->found |= s->want & ~g_mask(gp);
	return s->found == s->want;
}

/* On sysmon: leave unblocked what some G takes (the initial G's first). */
static void route_mask(void)
{
	struct route_scan s = { .want = ROUTABLE };
	uint64_t m;

	if (atomic_load(&g_main.status) != G_DEAD)
		s.found = ~g_mask(&g_main) & ROUTABLE;
	if (s.found != s.want)
		stack_find(scan_accepts, &s);
	m = ROUTABLE & ~s.found;
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8);
	atomic_store(&sched.sysmon_unblocked, s.found);
}

/*
 * What gp has pending, is sending itself, or blocks only while a handler
 * runs: a signal of these sent to the process goes behind them, to gp.
 */
static uint64_t g_pending(struct g *gp)
{
	return atomic_load(&gp->sigpend) | atomic_load(&gp->sigq.sending_sigs) |
	       atomic_load(&gp->sighandling);
}

static bool scan_taker(struct g *gp, void *arg)
{
	const struct route_scan *s = arg;

	if (s->pending) /* blocked now, as by a handler's mask */
		return g_routable(gp) && (g_pending(gp) & sigbit(s->sig));
	return g_routable(gp) && !(g_mask(gp) & sigbit(s->sig)) &&
	       (!s->running ||
		atomic_load_explicit(&gp->status, memory_order_relaxed) ==
			G_RUNNING);
}

/*
 * The G to take sig, sent to the process, or NULL: the initial G, a
 * running G, a parked one, or one that has it pending already or runs
 * a handler that blocks it.
 */
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
	/*
	 * None takes it now, but one has sends of it pending, or runs a
	 * handler that blocks it: this one goes behind them, as on the
	 * process's queue it would wait for the handler's return.
	 */
	if (!gp) {
		if (atomic_load(&g_main.status) != G_DEAD &&
		    (g_pending(&g_main) & sigbit(sig)))
			return &g_main;
		s.pending = true;
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
	if (!sigq_push(&route_q, sig, info, true, false))
		atomic_fetch_or(&route_q_lost, sigbit(sig));
	atomic_fetch_or(&sched.sigroute_held, sigbit(sig));
	atomic_fetch_or(&sched.sigroute, sigbit(sig));
	sysmon_kick();
	return true;
}

bool sig_route_work(void)
{
	return atomic_load(&sched.sigroute) ||
	       atomic_load(&sched.sigroute_dirty);
}

/*
 * In the child of fork(): nothing is pending in a new process, but a
 * cancellation of the forking thread stays (shim/cancel.c); no thread of
 * the parent's is sending to it. gp is the forking thread's G, if any.
 */
void sig_afterfork_child(struct g *gp)
{
	sigq_init(&route_q);
	atomic_store(&route_q_lost, 0);
	atomic_store(&sched.sigroute, 0);
	atomic_store(&sched.sigroute_held, 0);
	/* The child's sysmon starts with every signal blocked. */
	atomic_store(&sched.sysmon_unblocked, 0);
	atomic_store(&sched.route_req, 0);
	atomic_store(&sched.route_done, 0);
	atomic_store(&sched.route_busy, false);
	sigq_afterfork_child(gp ? &gp->sigq : NULL);
	if (gp) {
		atomic_fetch_and(&gp->sigpend, sigbit(LIBC_SIGCANCEL));
		atomic_store(&gp->sigq_lost, 0);
		/* Senders of the parent's counted in it are not here. */
		atomic_store(&gp->kick, 0);
	}
}

/*
 * gp has ended. What was sent to it goes with it; what was sent to the
 * process and routed to it goes back to the process, for another thread
 * to take (the kernel's retargeting of an exiting thread's share).
 * Routing may still pick it meanwhile: g_kill_info() then reroutes too.
 */
static void reroute(struct g *gp)
{
	struct sigq_node *n = sigq_take(&gp->sigq, 0), *q;

	for (q = n; q; q = q->next)
		if (q->process)
			send_info(0, q->info.si_signo, &q->info);
	sigq_free(n);
}

void sig_g_dead(struct g *gp)
{
	/* Pairs with g_kill_info(): it queues, then looks at closed. */
	atomic_store(&gp->sigq.closed, true);
	reroute(gp);
	atomic_store(&gp->sigq_lost, 0);
	/* Perhaps the last taker of a signal sysmon leaves unblocked. */
	if (~g_mask(gp) & atomic_load(&sched.sysmon_unblocked) &
	    g_mask(&g_main) & ROUTABLE)
		route_dirty();
}

/* On sysmon: hand the signals it took to their Gs; mind new takers. */
void sig_route(void)
{
	uint64_t bits = atomic_exchange(&sched.sigroute, 0), sent = 0;
	long pid = sys0(SYS_getpid);
	int sig;

	if (atomic_exchange(&sched.sigroute_dirty, false)) {
		uint64_t req;

		atomic_store(&sched.route_busy, true); /* route_sync() */
		req = atomic_load(&sched.route_req);
		route_mask();
		atomic_store(&sched.route_done, req);
		atomic_store(&sched.route_busy, false);
	}
	for (sig = 1; sig <= 64; sig++) {
		struct sigq_node *n, *q;
		struct g *gp;
		bool plain;

		if (!(bits & sigbit(sig)))
			continue;
		n = sigq_take(&route_q, sig);
		/*
		 * A bit without a node went with the nodes of an earlier
		 * round: only one the pool had no room for goes bare.
		 */
		plain = atomic_fetch_and(&route_q_lost, ~sigbit(sig)) &
			sigbit(sig);
		gp = route_find(sig);
		for (q = n; q; q = q->next) {
			if (gp)
				g_kill_info(gp, sig, &q->info, true);
			else /* pending on the process, blocked here */
				send_info(0, sig, &q->info);
		}
		if (plain) {
			if (gp)
				g_kill_info(gp, sig, NULL, true);
			else
				sys2(SYS_kill, pid, sig);
		}
		sigq_free(n);
		if (gp)
			sent |= sigbit(sig);
		atomic_fetch_and(&sched.sigroute_held, ~sigbit(sig));
	}
	/*
	 * on_sysmon() blocked each on sysmon: what its mask leaves unblocked
	 * is unblocked again; the rest stays blocked until route_mask().
	 */
	sent &= atomic_load(&sched.sysmon_unblocked);
	if (sent)
		sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sent, 0, 8);
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

		mask &= ~UNBLOCKABLE;
		/*
		 * Signals pending and now unblocked run before this returns:
		 * the kernel's on the M, and those left for the G. The M's
		 * mask changes first: one pending on the process is then
		 * this thread's as the system call returns, as natively, not
		 * sysmon's, which the G's new mask may have unblock it
		 * (route_check()) and which could hand it to the G only after
		 * the G has ended. The fence pairs with g_kill() (it sets
		 * sigpend, then looks at the mask) and with sig_route() (it
		 * marks itself busy, then reads the masks).
		 */
		m_sigmask_set(gp->m, mask);
		gp->sigmask = mask;
		atomic_thread_fence(memory_order_seq_cst);
		route_check(gp, was, mask);
		route_sync(gp == &g_main ? mask & ~was
					 : was & ~mask & g_mask(&g_main));
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
 * Send gp's pending signals in want to mp, the kernel thread it runs on
 * (it stays there meanwhile: the caller is counted in its kick, or is gp
 * itself, holding its signals off as it sends, self_hold()).
 * One sender at a time, so that sends of one signal reach
 * the kernel in the order they were made: a caller that finds another
 * sending adds its want for that one to send, and returns. That one may
 * be the G itself, whose handlers run as it sends to itself, and which
 * then sends what they left when they return.
 */
static void g_deliver(struct g *gp, struct m *mp, uint64_t want)
{
	bool sent = false;

	for (;;) {
		uint64_t bits;
		int sig;

		atomic_fetch_or(&gp->sigq.more, want);
		if (atomic_exchange(&gp->sigq.sending, true))
			return;
		want = atomic_exchange(&gp->sigq.more, 0);
		bits = atomic_fetch_and(&gp->sigpend, ~want) & want;
		for (sig = 1; bits; sig++) {
			if (!(bits & sigbit(sig)))
				continue;
			bits &= ~sigbit(sig);
			sig_send(gp, mp, sig);
			sent = true;
		}
		/* Pairs with the exchange: wants added meanwhile are seen. */
		atomic_store(&gp->sigq.sending, false);
		want = atomic_load(&gp->sigq.more);
		if (!want)
			break;
	}
	if (sent && gp != getg())
		atomic_fetch_or(&gp->kick, KICK_SENT);
}

/*
 * Send the G's pending signals that it does not block to its M, which is
 * running it: the kernel runs their handlers on the way back from each
 * system call, in order. Blocked ones stay in sigpend.
 */
void sigpend_deliver(struct g *gp)
{
	g_deliver(gp, gp->m, ~gp->sigmask);
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
static void sig_leave(struct g *gp, int sig, const siginfo_t *info)
{
	uint32_t st = SLEEP_AWAKE;

	sig_queue(gp, sig, info, sent_to_process(info), true);
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
 * program's code (depth 0, no runtime lock held: !g_inside(); a blocking
 * system call included), never on g0 and never in the middle of runtime
 * code, which holds locks and half-done changes a handler that calls
 * into the shim would find.
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
 * The signal is kept with its information (sig_queue()): its handler
 * later sees what it would have seen now. Async-signal-safe.
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
	if (!(gp->flags & G_G0) && !g_inside(gp))
		return false;
	if (raised_here(sig, info, uc))
		return false;
	thread = info->si_code == SI_TKILL;
	if (!(gp->flags & G_G0)) {
		sig_leave(gp, sig, info);
		return true;
	}
	to = gp->m->curg;
	if (to && (thread || !(to->sigmask & sigbit(sig)))) {
		sig_leave(to, sig, info);
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
			send_info(mm->tid, sig, info);
			return true;
		}
		sig_queue(&g_main, sig, info, sent_to_process(info), false);
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
		      const void *uc, struct sig_masks *saved)
{
	struct g *gp = getg();
	uint64_t m, extra;

	memcpy(&m, &((const ucontext_t *)uc)->uc_sigmask, sizeof(m));
	saved->uc = m;
	saved->g = gp ? gp->sigmask : 0;
	saved->handling = 0;
	if (!gp || (gp->flags & (G_LOCKED | G_G0)))
		return;
	memcpy(&extra, sa_mask, sizeof(extra));
	m |= extra | (nodefer ? 0 : sigbit(sig));
	/* Before the mask: a sender that finds it blocked finds these. */
	extra = m & ~UNBLOCKABLE & ~saved->g;
	saved->handling = extra & ~atomic_fetch_or(&gp->sighandling, extra);
	gp->sigmask = m & ~UNBLOCKABLE;
	route_check(gp, saved->g, gp->sigmask);
	gp->m->sigmask = m;
}

/*
 * The handler returns: the G's mask is again the one it had when the
 * handler began, unless the handler changed the mask in uc, which the
 * kernel puts back. Not uc's as it stands: a handler may begin where the
 * kernel's mask is not yet, or no longer, the G's (at the head of another
 * handler, or at its tail, after this, before its return), and then uc's
 * is that other handler's, which is undone by that one's return. The M's
 * kernel mask is then uc's for a while, then the other's: unknown, so its
 * next change is made (M_SIGMASK_UNKNOWN).
 */
void sig_handler_done(const void *uc, const struct sig_masks *saved)
{
	struct g *gp = getg();
	uint64_t m, was;

	if (!gp || (gp->flags & (G_LOCKED | G_G0)))
		return;
	memcpy(&m, &((const ucontext_t *)uc)->uc_sigmask, sizeof(m));
	was = gp->sigmask;
	gp->sigmask = m == saved->uc ? saved->g : m & ~UNBLOCKABLE;
	route_check(gp, was, gp->sigmask);
	gp->m->sigmask =
		(m & ~UNBLOCKABLE) == gp->sigmask ? m : M_SIGMASK_UNKNOWN;
	/* After the mask: a sender finds one or the other. */
	if (saved->handling)
		atomic_fetch_and(&gp->sighandling, ~saved->handling);
	/*
	 * What the G took along while the handler blocked it (the handler
	 * parked: m_kpend_take()) is due at the handler's return, as the
	 * kernel would deliver it: sent now, it waits on the kernel thread,
	 * still blocked, until then.
	 */
	if (g_sigready(gp))
		sigpend_deliver(gp);
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
 * sequentially consistent stores or a system call. Each of these waits is
 * a cancellation point's: see sig_wait_cancellable().
 */
void sig_wait_begin(struct g *gp)
{
	atomic_store_explicit(&gp->sigran, 0, memory_order_relaxed);
	sig_wait_cancellable(gp);
}

/*
 * A cancellation point's wait begins, its sigran just cleared: if the
 * G's cancellation is due, the wait ends at once, as if SIGCANCEL's
 * handler had run for it. It may have run already, between the point's
 * check on entry and here (on the G's way out of the runtime: a lock, a
 * wake, a preemption), and taken the signal and noted itself in the
 * sigran this wait cleared: the wait would not end for it (a cancelled
 * condvar waiter parked for good). A cancellation after this leaves
 * SIGCANCEL in sigpend, which ends the wait as any signal does.
 */
void sig_wait_cancellable(struct g *gp)
{
	if (tcb_cancel_pending() != TCB_CANCEL_NONE)
		atomic_fetch_or(&gp->sigran, ran_bits(false));
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
			g_kill_info(&g_main, sig, NULL, false); /* as kept */
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
	case LIBC_SIGCANCEL:
	case LIBC_SIGSETXID:
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
 * Send sig to gp, running on mp, with info (NULL: as tgkill() sends it).
 * The kernel then acts as for a thread:
 * it runs the handler, or a sigwait() or pselect() of the G's takes the
 * signal, or it stays pending on the kernel thread while the G blocks it;
 * in that case the G takes it along when it leaves mp (m_kpend_take()),
 * lest the next G to run there, not blocking it, get it.
 */
static void m_kill(struct g *gp, struct m *mp, int sig, const siginfo_t *info)
{
	if (gp->sigmask & sigbit(sig))
		atomic_store(&mp->kpend, true);
	if (info)
		send_info(mp->tid, sig, info);
	else
		tgkill_m(mp, sig);
}

/*
 * A G sending to itself, in the program's code, holds off every signal
 * from its look at its M to the send: a handler that ran in between
 * might park the G and have it resume on another M, and the signal would
 * go to the G's old one (glibc's raise() blocks them all likewise). What
 * it sent runs once self_release() lets it in. Returns the G's M.
 */
static struct m *self_hold(struct g *gp, int sig, uint64_t *held)
{
	uint64_t all = ~0ull;

	sys4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)held, 8);
	/*
	 * The kernel may block what the G does not (a handler has just
	 * begun, its mask not yet the G's): the signal then waits on the
	 * kernel thread, and the G takes it along if it leaves the M first.
	 */
	if (*held & sigbit(sig))
		atomic_store(&gp->m->kpend, true);
	return gp->m;
}

static void self_release(uint64_t held)
{
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&held, 0, 8);
}

/*
 * gp's pending sig, its bit taken from sigpend, goes to mp's kernel
 * thread as m_kill() sends it: with the information kept for it, once
 * per send kept for a real-time signal (which then goes only as kept:
 * a bit without a send kept is one a taker sent already), once for the
 * others (the kernel merges them). Not in a handler.
 */
static void sig_send(struct g *gp, struct m *mp, int sig)
{
	struct sigq_node *n, *q;
	bool self = gp == getg();
	bool lost = atomic_load(&gp->sigq_lost) & sigbit(sig);
	uint64_t held;

	if (self)
		mp = self_hold(gp, sig, &held);
	atomic_fetch_or(&gp->sigq.sending_sigs, sigbit(sig)); /* route_find() */
	n = sigq_take(&gp->sigq, sig);
	if (lost)
		lost = atomic_fetch_and(&gp->sigq_lost, ~sigbit(sig)) &
		       sigbit(sig);
	if (!n) {
		if (!queues(sig) || lost)
			m_kill(gp, mp, sig, NULL);
	} else {
		/*
		 * Copies after the first wait on the kernel thread while
		 * the first one's handler runs, which blocks the signal: if
		 * that handler parks, the G takes them along.
		 */
		if ((gp->sigmask & sigbit(sig)) || (queues(sig) && n->next) ||
		    lost)
			atomic_store(&mp->kpend, true);
		for (q = n; q; q = queues(sig) ? q->next : NULL)
			send_info(mp->tid, sig, &q->info);
		if (lost)
			tgkill_m(mp, sig);
		sigq_free(n);
	}
	atomic_fetch_and(&gp->sigq.sending_sigs, ~sigbit(sig));
	if (self)
		self_release(held);
}

/*
 * The calling G leaves mp (mcall()): signals pending on the kernel thread,
 * which blocks them, are the G's, and go into its sigpend. The kernel's
 * mask, not the G's, says which: a handler running on the G blocks its
 * signal, and a copy of a real-time signal sent after the one being
 * handled waits behind it. rt_sigtimedwait takes those sent to the
 * thread before those sent to the process.
 */
void m_kpend_take(struct m *mp, struct g *gp)
{
	const struct timespec now = { 0, 0 };
	uint64_t pend, one;
	siginfo_t si;
	int sig;

	atomic_store(&mp->kpend, false);
	/* The kernel's pending set, as sigpending() gives it: blocked only. */
	if (sys2(SYS_rt_sigpending, (long)&pend, 8) < 0)
		return;
	for (sig = 1; pend; sig++) {
		if (!(pend & sigbit(sig)))
			continue;
		pend &= ~sigbit(sig);
		one = sigbit(sig);
		while (sys4(SYS_rt_sigtimedwait, (long)&one, (long)&si,
			    (long)&now, 8) == sig) {
			/*
			 * Sent to the process and not for the G (the kernel
			 * gives those after the thread's own): back to it.
			 */
			if (!sig_info_restore(&si) && sent_to_process(&si)) {
				send_info(0, sig, &si);
				break;
			}
			sig_queue(gp, sig, &si, sent_to_process(&si), true);
			atomic_fetch_or(&gp->sigpend, sigbit(sig));
			if (!queues(sig))
				break;
		}
	}
}

/* The calling G's pending signals in want go to its M's kernel thread. */
static void sig_push_bits(uint64_t want)
{
	struct g *gp = getg();

	g_deliver(gp, gp->m, want);
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
 * calling process: true if the runtime gave it to a thread, false if it
 * is for the kernel to send. When the initial thread sends it and does
 * not block it, the kernel gives it to the initial thread, the
 * thread-group leader, before the call returns (CPython's test_signal
 * counts on it). Here the initial G may run on any kernel thread, while
 * the leader's idles: so the signal goes straight to the calling kernel
 * thread, with the information the send to the process would carry.
 * From another thread, the kernel makes it pending on the leader if that
 * does not block it, else on a thread that does not, before the call
 * returns: the taker then runs the handler before it goes on, whatever
 * woke it (CPython's test_threadsignals sends from another thread, then
 * releases a lock the initial thread waits on, and counts on the handler
 * having run when that thread has the lock). So a taker is picked here
 * (route_find(), the initial G first) and the signal left for it at once.
 * With none, the kernel keeps it pending on the process.
 */
bool sig_send_self(int sig, const siginfo_t *info)
{
	struct g *gp = getg(), *to;

	if (sig < 1 || sig > 64)
		return false;
	if (gp == &g_main && !(gp->sigmask & sigbit(sig))) {
		send_info((pid_t)sys_gettid(), sig, info);
		return true;
	}
	if (!(ROUTABLE & sigbit(sig)))
		return false;
	/* Behind one sysmon holds (on_sysmon()), as on the process's queue. */
	if ((atomic_load(&sched.sigroute_held) | atomic_load(&sched.sigroute)) &
	    sigbit(sig))
		return false;
	to = route_find(sig);
	if (!to)
		return false;
	if (to != gp) {
		g_kill_info(to, sig, info, true);
	} else if (!(gp->sigmask & sigbit(sig))) {
		send_info((pid_t)sys_gettid(), sig, info);
	} else { /* behind those it has pending */
		sig_queue(gp, sig, info, true, false);
		atomic_fetch_or(&gp->sigpend, sigbit(sig));
	}
	return true;
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
 * On g0, gp about to park: was a signal left for it on its way here
 * (sig_leave()), maybe after it looked at sigpend? Then its wait is to
 * end once it is parked (sig_left_wake()). Nothing sets KICK_LEFT now:
 * sig_leave() is for the G an M runs, and this M runs none.
 */
bool sig_left_take(struct g *gp)
{
	if (likely(!(atomic_load_explicit(&gp->kick, memory_order_relaxed) &
		     KICK_LEFT)))
		return false;
	atomic_fetch_and(&gp->kick, ~KICK_LEFT);
	return true;
}

/*
 * gp, which sig_left_take() found a signal left for, has parked. It may
 * have been woken, run and even ended since, and its memory made a new G
 * (it stays mapped): that G's wait, if any, wakes for nothing, looks
 * again and waits on, as every wait does after a wake it did not need.
 * No hold on gp here: one that kept it from leaving its next M would
 * deadlock with a G that parks holding the bucket lock this takes.
 */
void sig_left_wake(struct g *gp)
{
	g_interrupt(gp);
}

/*
 * The kick: a G running on mp is to send itself its pending signals,
 * which then run in order, one after the other, as the kernel runs a
 * thread's (a sender's own sends would reach the kernel thread while
 * the G's are on their way, and overtake them). It is a SIGCANCEL that
 * pthread_cancel() never sends (sig_kicked()).
 */
#define KICK_VALUE    0x4b49434b
#define PREEMPT_VALUE 0x50524d54 /* the G is to yield (preempt.c) */

/*
 * Kicks are sent once the shim's SIGCANCEL handler, which takes them
 * (sig_kicked()), is in place: without it a kick would end the process
 * (the runtime alone, in a unit test; a libc whose handler could not be
 * replaced). Signals then wait for the G's next switch, and a G that runs
 * long yields only at its safe points.
 */
static _Atomic bool kicks_taken;

void sig_kicks_taken(void)
{
	atomic_store(&kicks_taken, true);
}

static void kick_value(struct m *mp, int value)
{
	siginfo_t si;

	if (!atomic_load_explicit(&kicks_taken, memory_order_relaxed))
		return;
	memset(&si, 0, sizeof(si));
	si.si_signo = LIBC_SIGCANCEL;
	si.si_code = SI_QUEUE;
	si.si_pid = (pid_t)sys0(SYS_getpid);
	si.si_value.sival_int = value;
	sys4(SYS_rt_tgsigqueueinfo, si.si_pid, mp->tid, LIBC_SIGCANCEL,
	     (long)&si);
}

static void kick(struct m *mp)
{
	kick_value(mp, KICK_VALUE);
}

/* From sysmon: the G running on mp has run long; it is to yield now. */
void sig_preempt(struct m *mp)
{
	kick_value(mp, PREEMPT_VALUE);
}

/*
 * SIGCANCEL with info, landed at uc: true if it is a kick, taken here. On a
 * G in the program's code the G sends itself its pending signals now;
 * inside the runtime it does so as it leaves (rt_exit()). A preemption
 * kick yields the P there if the G may stop (preempt_async()).
 * Async-signal-safe.
 */
bool sig_kicked(const siginfo_t *info, void *uc)
{
	struct g *gp = getg();

	if (info->si_code != SI_QUEUE || info->si_pid != sys0(SYS_getpid))
		return false;
	if (info->si_value.sival_int == PREEMPT_VALUE) {
		preempt_async(uc);
		return true;
	}
	if (info->si_value.sival_int != KICK_VALUE)
		return false;
	if (gp && !(gp->flags & (G_G0 | G_LOCKED)) && !g_inside(gp) &&
	    g_sigready(gp)) {
		/*
		 * Outside, the G holds none of the runtime's locks, even
		 * where the kick lands in the runtime's part of a handler
		 * of the program's (the shim's trampoline, before it knows
		 * what it interrupted): its own locks are free to take.
		 */
		int ctx = lock_sigctx_swap(0);

		sigpend_deliver(gp);
		lock_sigctx_swap(ctx);
	}
	return true;
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
	if (running && keep) {
		m_kill(gp, mp, sig, NULL);
		atomic_fetch_or(&gp->kick, KICK_SENT);
	} else if (running &&
		   ((gp->flags & G_WIRED) || (gp->sigmask & sigbit(sig)) ||
		    __atomic_load_n(&gp->sysdepth, __ATOMIC_RELAXED))) {
		/*
		 * The signal itself: a system call must end for it, a
		 * sigwait() take it, a wired G's own thread wait for it.
		 */
		g_deliver(gp, mp, sigbit(sig));
	} else if (running) {
		kick(mp);
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
		/*
		 * What the kernel blocks stays on the thread: a signal the G
		 * did not block when it was sent may be one the kernel did
		 * (the G's handler had just begun, and its mask was not yet
		 * the G's). mcall() takes those next (m_kpend_take()).
		 */
		atomic_store(&gp->m->kpend, true);
		sys0(SYS_getpid);
	}
}

/*
 * Send sig to gp, with info kept for it until it runs (NULL: as
 * pthread_kill() sends it); process: it was sent to the process, and
 * routed. 0, EINVAL or EAGAIN. A signal the G blocks waits in its
 * sigpend until the G unblocks it; one whose default action ends the
 * process does so at once, even if the G is parked.
 */
static int g_kill_info(struct g *gp, int sig, const siginfo_t *info,
		       bool process)
{
	if (sig < 1 || sig > 64)
		return EINVAL;
	if (!(gp->sigmask & sigbit(sig)) && acts_on_process(sig)) {
		act_on_process(sig);
		return 0;
	}
	if (gp == getg()) {
		uint64_t held;

		m_kill(gp, self_hold(gp, sig, &held), sig, info);
		self_release(held);
		return 0;
	}
	/*
	 * A real-time signal is queued once per send: with the queue full
	 * the send fails, as at the kernel's limit (RLIMIT_SIGPENDING).
	 */
	if (info && queues(sig) && !process && !sigq_room())
		return EAGAIN;
	/*
	 * Inside the runtime, handlers held off: one that parked this G while
	 * it is counted in gp's kick (kill_running()) would keep gp spinning
	 * as it leaves its M, and one that sent again would find its own
	 * sending state taken.
	 */
	rt_enter();
	g_post(gp, sig, info, process);
	rt_exit();
	return 0;
}

/* g_kill_info() of another G, its handlers held off. */
static void g_post(struct g *gp, int sig, const siginfo_t *info, bool process)
{
	sig_queue(gp, sig, info, process, false);
	atomic_fetch_or(&gp->sigpend, sigbit(sig));
	/* Pairs with g_sigmask(): it sets the mask, then looks at sigpend. */
	atomic_thread_fence(memory_order_seq_cst);
	if (process && atomic_load(&gp->sigq.closed)) {
		reroute(gp); /* it ended meanwhile */
		return;
	}
	if (kill_running(gp, sig, false))
		return;
	if (gp->sigmask & sigbit(sig))
		return; /* it waits in sigpend until unblocked */
	g_interrupt(gp);
}

/*
 * pthread_kill() of a G. A real-time signal is kept once per send, with
 * the information the kernel gives a tgkill().
 */
int g_kill(struct g *gp, int sig)
{
	siginfo_t si;

	if (!queues(sig) || sig > 64 || gp == getg())
		return g_kill_info(gp, sig, NULL, false);
	own_info(&si, sig, SI_TKILL);
	return g_kill_info(gp, sig, &si, false);
}

/* pthread_sigqueue() of a G: sig with the information sigqueue() gives. */
int g_sigqueue(struct g *gp, int sig, union sigval value)
{
	siginfo_t si;

	own_info(&si, sig, SI_QUEUE);
	si.si_value = value;
	return g_kill_info(gp, sig, &si, false);
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
	rt_enter(); /* as in g_kill_info() */
	atomic_fetch_or(&gp->sigpend, sigbit(LIBC_SIGCANCEL));
	/* Pairs with the G's publishing of its wait, as in g_kill(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (now)
		kill_running(gp, LIBC_SIGCANCEL, true);
	g_interrupt(gp);
	/*
	 * The initial G in sigsuspend() waits in the kernel on its sigran
	 * (g_sigsuspend_main()): the call ends, interrupted, for its
	 * cancellation point to act.
	 */
	if (gp == &g_main) {
		atomic_fetch_or(&gp->sigran, ran_bits(false));
		sys_futex_wake((uint32_t *)&gp->sigran, 1);
	}
	rt_exit();
}

/*
 * sigsuspend() of the initial G, a system call the caller has handed its
 * P off for. Natively a signal sent to the process that the call lets in
 * goes to the initial thread and ends the call; here the kernel may have
 * chosen another M, while the initial G was not running, and run the
 * handler there: sig_arrived() then notes it in the G's sigran (a shell's
 * wait for SIGCHLD hung). So the G waits with the call's mask in a futex
 * wait on its sigran, which a handler on this kernel thread ends (EINTR)
 * and so does sig_arrived()'s wake, or g_cancel_kick()'s. The call then
 * fails with EINTR.
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
		g_waitfor(GW_SLEEP, NULL, deadline);
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
