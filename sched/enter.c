// SPDX-License-Identifier: MIT
/*
 * The runtime's entry and exit, and blocking system calls (Go's
 * entersyscall and exitsyscall, proc.go). rt_enter() claims the calling
 * G's P back for runtime code and rt_exit() hands it back to the program's
 * code; a G whose P went elsewhere meanwhile gets another (p_lost()).
 * entersyscall() and entersyscallblock() open a blocking section, leaving
 * the P with the call or handing it off at once, and exitsyscall() closes
 * it. A G wired to a kernel thread of its own leaves the Ps and comes back
 * the same way (g_wire(), g_unwire()).
 */
#include "runtime.h"

/*
 * The runtime and the program's code. A G's P may be taken away while the
 * G runs the program's code (P_USER) or a system call (P_SYSCALL): sysmon
 * retakes it when the G's kernel thread is stuck there (sysmon.c). So the
 * runtime claims the P back on every entry: rt_enter() turns P_USER into
 * P_RUNNING with one compare-and-swap, which fails only if the P is gone;
 * the G then gets another one (p_lost()) before it touches any P state.
 * rt_exit() hands the P back to the program's code. Calls nest; a G
 * switches out of its M only from inside the runtime, and g0 is always in
 * it, so the P is P_RUNNING whenever its M is on g0.
 */

static struct g *exitsyscall0(struct m *mp, struct g *gp)
{
	struct p *pp;

	lock(&sched.lock);
	pp = pidleget();
	if (!pp) {
		atomic_store(&gp->status, G_RUNNABLE);
		globrunqput(gp);
	}
	unlock(&sched.lock);
	if (pp) {
		acquirep(mp, pp);
		return gp;
	}
	stopm(mp);
	return NULL;
}

/*
 * The calling G's M holds no P (sysmon took it, or the G handed it off):
 * take an idle P, or else queue the G globally and park the M until another
 * M runs the G (Go's exitsyscall slow path). Returns holding a P.
 */
static void p_lost(struct g *gp)
{
	struct m *mp = gp->m;
	struct p *pp;

	mp->p = NULL;
	lock(&sched.lock);
	pp = pidleget();
	unlock(&sched.lock);
	if (pp)
		acquirep(mp, pp);
	else
		mcall(exitsyscall0);
	atomic_store(&gp->status, G_RUNNING);
	/* Inside a blocking section the new P is left as its call's. */
	gp->rtsys = gp->sysdepth > 0;
}

/*
 * rt_enter() found mp's P pp in state w, not P_USER: a signal handler
 * entered the runtime while its G was in a blocking section (P_SYSCALL,
 * which the section's exitsyscall() takes back, so rt_exit() leaves it
 * so), or between the store of rt_exit()'s depth and of its state
 * (P_RUNNING, ours still). Any other state: the P is gone.
 */
static bool rt_claim(struct g *gp, struct m *mp, struct p *pp, uint32_t w)
{
	while (w == (mp->pgen | P_SYSCALL)) {
		if (atomic_compare_exchange_strong(&pp->state, &w,
						   mp->pgen | P_RUNNING)) {
			gp->rtsys = true;
			return true;
		}
	}
	return w == (mp->pgen | P_RUNNING);
}

struct p *rt_enter(void)
{
	struct g *gp = getg();
	struct m *mp;
	uint32_t w;

	if (!gp || (gp->flags & (G_LOCKED | G_WIRED)))
		return NULL;
	if ((gp->flags & G_G0) || gp->rtdepth++ > 0)
		return gp->m->p;
	/*
	 * From here on no handler runs on the G (sig_defer()); one that ran
	 * before may have moved it to another M.
	 */
	atomic_signal_fence(memory_order_seq_cst);
	mp = gp->m;
	w = mp->pgen | P_USER;
	if (likely(mp->p && atomic_compare_exchange_strong(
				    &mp->p->state, &w, mp->pgen | P_RUNNING))) {
		gp->rtsys = false;
		return mp->p;
	}
	if (mp->p && rt_claim(gp, mp, mp->p, w))
		return mp->p;
	p_lost(gp);
	return gp->m->p;
}

void rt_exit(void)
{
	struct g *gp = getg();
	struct m *mp;

	if (!gp || (gp->flags & G_KERNEL_WAITS)) {
		/* A wired G's signals left while it waited (a cancellation). */
		if (gp && (gp->flags & G_WIRED) && unlikely(g_sigready(gp)))
			sigpend_deliver(gp);
		return;
	}
	if (gp->rtdepth > 1) {
		gp->rtdepth--;
		return;
	}
	lock_assert_none("on leaving the runtime");
#ifdef SPROUT_RESCHED_ON_EXIT
	/*
	 * Debug builds (-Dresched_on_exit=true): yield at every exit, but
	 * not inside a blocking section (a handler that entered the runtime
	 * during the call), which a normal build never switches out of.
	 */
	if (gp->m->g0 && gp->m->curg == gp && !gp->sysdepth)
		mcall(gosched_m);
#endif
	/*
	 * The P goes back to the program's code before the depth does: a
	 * handler may run on the G once the depth is 0, and enter the
	 * runtime again, or park and move the G to another M.
	 */
	mp = gp->m;
	atomic_store_explicit(&mp->p->state,
			      mp->pgen | (gp->rtsys ? P_SYSCALL : P_USER),
			      memory_order_release);
	atomic_signal_fence(memory_order_seq_cst);
	gp->rtdepth = 0;
	atomic_signal_fence(memory_order_seq_cst);
	if (unlikely(g_sigready(gp)))
		sigpend_deliver(gp); /* those left while it was inside */
	/* Its kernel attributes changed: on its way to the program's code. */
	if (unlikely(gp->kattr_done !=
		     __atomic_load_n(&gp->kattr_gen, __ATOMIC_RELAXED)))
		kattr_sync(gp);
}

/*
 * Blocking system calls (Go's entersyscall/exitsyscall). entersyscall()
 * leaves the P with the M, marked P_SYSCALL: a short call costs two
 * compare-and-swaps, and sysmon retakes the P of a long one for other work.
 * entersyscallblock() is for calls known to block: it hands the P off at
 * once. Either way exitsyscall() takes the P back if it is still there, or
 * another one, or queues the G and parks the M (p_lost()). Locked Gs and
 * threads the shim does not know hold no P: nothing to do.
 *
 * Sections nest (gp->sysdepth): a wrapped call made inside another (an NSS
 * module's read() inside getaddrinfo(), a signal handler's call during a
 * blocking one) does nothing, and only the outermost hands the P over and
 * takes it back. The depth moves before the state on the way in and after
 * it on the way out, so that a handler running in between finds the
 * section open whenever the P may be P_SYSCALL. A handler that enters the
 * runtime meanwhile takes the P from P_SYSCALL (rt_claim()) and leaves it
 * so; if the P is gone it gets another one, which it also leaves as the
 * section's.
 */

static struct m *syscall_m(void)
{
	struct g *gp = getg();

	if (!gp || (gp->flags & G_KERNEL_WAITS))
		return NULL;
	/* A handler's call inside a section is nested, wherever it runs. */
	if (gp->rtdepth && !gp->sysdepth)
		fatal("a blocking system call inside the runtime");
	return gp->m;
}

/*
 * A blocking section opens or closes: runtime code, in which no handler
 * runs (the depth is held), since one that parked would move the G off
 * the M whose P this is changing. Handlers left meanwhile run after it,
 * inside the section if it opened.
 */
static struct m *section_hold(struct g *gp)
{
	gp->rtdepth++;
	atomic_signal_fence(memory_order_seq_cst);
	return gp->m;
}

static void section_release(struct g *gp)
{
	atomic_signal_fence(memory_order_seq_cst);
	gp->rtdepth--;
	atomic_signal_fence(memory_order_seq_cst);
	if (unlikely(g_sigready(gp)) && !g_inside(gp))
		sigpend_deliver(gp);
}

void entersyscall(void)
{
	struct g *gp = getg();
	struct m *mp;
	struct p *pp;
	uint32_t w;

	if (!syscall_m() || gp->sysdepth++ > 0)
		return;
	mp = section_hold(gp);
	pp = mp->p;
	w = mp->pgen | P_USER;
	if (!pp)
		; /* lost already: exitsyscall() gets another */
	else if (atomic_compare_exchange_strong(&pp->state, &w,
						mp->pgen | P_SYSCALL))
		atomic_store_explicit(&pp->syscalltick, pp->syscalltick + 1,
				      memory_order_relaxed);
	else if (w != (mp->pgen | P_SYSCALL)) /* a handler left it so */
		mp->p = NULL;		      /* sysmon took it already */
	section_release(gp);
}

/*
 * The calling G, in the program's code, gives its P (if sysmon has not
 * taken it) to another M at once: it is about to block for long.
 */
static void handoff_own_p(struct g *gp)
{
	struct m *mp;
	struct p *pp;
	uint32_t w;

	mp = section_hold(gp);
	pp = mp->p;
	if (pp) {
		mp->p = NULL;
		w = mp->pgen | P_USER;
		if (atomic_compare_exchange_strong(&pp->state, &w,
						   mp->pgen | P_IDLE)) {
			atomic_store(&pp->m, NULL);
			handoffp(pp);
		}
	}
	section_release(gp);
}

void entersyscallblock(void)
{
	struct g *gp = getg();

	if (!syscall_m() || gp->sysdepth++ > 0)
		return;
	handoff_own_p(gp);
}

void exitsyscall(void)
{
	struct g *gp = getg();
	struct m *mp;
	uint32_t w;

	if (!syscall_m())
		return;
	if (gp->sysdepth > 1) {
		gp->sysdepth--;
		return;
	}
	mp = section_hold(gp);
	w = mp->pgen | P_SYSCALL;
	if (likely(mp->p && (atomic_compare_exchange_strong(
				     &mp->p->state, &w, mp->pgen | P_USER) ||
			     w == (mp->pgen | P_USER)))) {
		gp->sysdepth = 0;
		section_release(gp);
		/*
		 * A safe point: a G that loops on short system calls (a
		 * write to /dev/null) gives way when sysmon asks, or the
		 * timers and Gs queued behind it wait for ever at one P.
		 */
		preempt_check();
		return;
	}
	/* The hold is the runtime's depth for p_lost() and rt_exit(). */
	p_lost(gp);
	gp->sysdepth = 0;
	gp->rtsys = false;
	rt_exit();
}

/*
 * A G gets a kernel thread of its own (kattr.c): its M becomes its alone,
 * holding no P, as a G's in a blocking system call does, for as long as
 * the G stays wired. The calling G is in the program's code, with
 * G_WIRED set already. Its P (if sysmon has not taken it) is handed off
 * at once, as entersyscallblock() does.
 */
void g_wire(struct g *gp)
{
	handoff_own_p(gp);
}

/*
 * The calling G, its kernel thread back to the process's attributes and
 * G_WIRED clear, goes back to the Ps: it takes an idle P, or queues for
 * one while its M parks, as exitsyscall()'s slow path does. Its M is an
 * M like any other again.
 */
void g_unwire(struct g *gp)
{
	if (gp->flags & G_WIRED)
		kattr_unwired(gp);
	section_hold(gp);
	p_lost(gp);
	gp->rtsys = false;
	rt_exit();
}
