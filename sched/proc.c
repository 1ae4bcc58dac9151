// SPDX-License-Identifier: MIT
/*
 * The scheduler: Go's G/M/P model (runtime/proc.go) for C threads. This
 * file holds the life of a G: its making and start (gnew(), gostart()),
 * its switch to its M's g0 (mcall()), parking and readying (gopark(),
 * goready()), yielding (gosched()), its end (goexit(), gdead()) and its
 * memory given back (gfree()), and the Gs of kernel threads the shim did
 * not create (lockedg_new()). The scheduler loop, the Ms and the Ps are in
 * sched.c; the runtime's entry and exit and blocking system calls in
 * enter.c; the child of fork() in fork.c.
 *
 * G: a green thread; M: a kernel thread; P: the right to run Gs. An M runs
 * Gs only while it holds a P, and there are nprocs Ps (SPROUT_PROCS). Each
 * M has a g0: its scheduler context, with a stack and TCB of its own. A G
 * gives up its M with mcall(fn): it saves its registers, switches to g0,
 * and g0 runs fn(g), which says what becomes of the G (parked, queued, dead)
 * and may name the G to run next; otherwise g0 looks for one in
 * findrunnable(). Doing this on g0 means a G is never queued while it still
 * runs on its stack, so another M cannot resume it too early.
 *
 * Where this differs from Go: gosched() puts the G on its own P's queue,
 * not the global one (Go's global queue keeps goroutines fair against a
 * tight loop of yields; here the local tail does that without the lock, and
 * stealing spreads the load; gosched() wakes an idle P as Go's does).
 * Timers are in timer.c and sysmon in sysmon.c. A G blocked in a system
 * call keeps its P for a moment; sysmon hands the P to another M if the
 * call lasts (entersyscall(), enter.c), or if the G's kernel thread sleeps
 * in a call the shim never saw.
 */
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"
#include "sema.h"
#include "../arch/x86_64/sys.h"
#include "../compat/tcb.h"

__thread struct g *cur_g __attribute__((tls_model("initial-exec")));

/*
 * Switch from the calling G to its M's g0 and run fn(m, g) there. fn says
 * what the G is now and returns a G to run next, or NULL. The call returns
 * when the G is resumed, on any M.
 */
void mcall(struct g *(*fn)(struct m *, struct g *))
{
	struct g *gp = getg();
	struct m *mp = gp->m;

	/* Signals sent to gp from now on wait for it in its sigpend. */
	if (unlikely(atomic_fetch_or(&gp->kick, KICK_LEAVING)))
		m_kicks_drain(gp);
	if (unlikely(atomic_load_explicit(&mp->kpend, memory_order_relaxed)))
		m_kpend_take(mp, gp);
	mp->mcall_fn = fn;
	ctx_switch(&gp->sp, mp->g0->sp, mp->g0->tcb);
}

/* The G interface. */

static void gentry(void *arg)
{
	struct g *gp = arg;

	atomic_store_explicit(&gp->fresh, false, memory_order_relaxed);
	rt_exit(); /* a G starts in the runtime, as gostart() left it */
	gp->fn(gp->arg);
	fatal("a G's function returned");
}

/*
 * A new G, not yet runnable: a stack of stack_size bytes above guard bytes,
 * or the program's stack at user_stack. NULL with *err EINVAL or EAGAIN.
 */
struct g *gnew(size_t stack_size, size_t guard, void *user_stack, int *err)
{
	struct g *gp;

	if (user_stack) {
		gp = stack_gget_user(user_stack, stack_size, err);
	} else {
		gp = stack_gget(rt_enter(), stack_size, guard, err);
		rt_exit();
	}
	if (!gp)
		return NULL;
	if (unlikely(atomic_load_explicit(&sched.single, memory_order_relaxed)))
		atomic_store(&sched.single, false);
	*(struct g **)tcb_tls_addr(gp->tcb, &cur_g) = gp;
	return gp;
}

/* Make gp run fn(arg): it runs next on the caller's P. */
void gostart(struct g *gp, void (*fn)(void *), void *arg)
{
	gp->fn = fn;
	gp->arg = arg;
	gp->sp = ctx_init(gp->stack_hi, gentry, gp);
	gp->rtdepth = 1;
	gp->sysdepth = 0;
	gp->rtsys = false;
	memset(&gp->altstack, 0, sizeof(gp->altstack));
	cputime_reset(gp);
	atomic_store_explicit(&gp->fresh, true, memory_order_relaxed);
	goready(gp);
}

void goready(struct g *gp)
{
	struct p *pp;

	if (gp->flags & G_KERNEL_WAITS) {
		atomic_store(&gp->status, G_RUNNABLE);
		sys_futex_wake((uint32_t *)&gp->status, 1);
		return;
	}
	atomic_store_explicit(&gp->status, G_RUNNABLE, memory_order_relaxed);
	pp = rt_enter();
	if (pp) {
		runqput(pp, gp, true);
	} else {
		lock(&sched.lock);
		globrunqput(gp);
		unlock(&sched.lock);
	}
	/*
	 * Inside the section: starting an M takes sched.lock, which a
	 * handler landing there would take again (the section defers it).
	 */
	wakep();
	rt_exit();
}

static struct g *park_m(struct m *mp, struct g *gp)
{
	bool (*unlockf)(struct g *, void *) = mp->waitunlockf;
	bool left = sig_left_take(gp);
	struct g *next = NULL;

	atomic_store_explicit(&gp->status, G_WAITING, memory_order_relaxed);
	if (unlockf) {
		mp->waitunlockf = NULL;
		if (!unlockf(gp, mp->waitlock)) {
			atomic_store(&gp->status, G_RUNNABLE);
			next = gp;
		}
	}
	if (unlikely(left) && !next)
		sig_left_wake(gp);
	return next;
}

/*
 * Park the calling G until goready(). unlockf(gp, lk) runs once the G is off
 * its stack; if it returns false the G resumes at once. A waker that finds
 * the G through whatever unlockf releases therefore never readies a G that
 * is still running. Not for a locked G, which holds no M of ours: the wait
 * table sleeps its kernel thread instead (sema.c).
 */
void gopark(bool (*unlockf)(struct g *, void *), void *lk)
{
	struct g *gp = getg();

	if (gp->rtdepth != 1)
		fatal("gopark: not entered in the runtime once");
	gp->wait.since = nanotime_coarse();
	gp->m->waitunlockf = unlockf;
	gp->m->waitlock = lk;
	mcall(park_m);
	gp->wait.what = GW_NONE; /* the next park says what it waits on */
}

struct g *gosched_m(struct m *mp, struct g *gp)
{
	atomic_store_explicit(&gp->status, G_RUNNABLE, memory_order_relaxed);
	runqput(mp->p, gp, false);
	/* Idle Ps may take some of the queue (Go's goschedImpl wakes one). */
	wakep();
	return NULL;
}

static struct g *goyield_m(struct m *mp, struct g *gp)
{
	atomic_store_explicit(&gp->status, G_RUNNABLE, memory_order_relaxed);
	runqput(mp->p, gp, false);
	return NULL;
}

/*
 * Ready gp, to which the caller has just handed a lock, and let it run
 * now on this P in the rest of the caller's time slice, the caller at
 * the back of the local queue (Go's semrelease1() handoff and goyield()).
 * No idle P is woken for it: it runs here at once, not after a kernel
 * thread was woken to steal it while the caller fails on the lock it
 * gave away. Where the caller may not be switched (in the runtime or a
 * blocking section, a wired G, g0), a plain goready().
 */
void goready_handoff(struct g *gp)
{
	struct g *me = getg();
	struct p *pp;

	if ((gp->flags & G_KERNEL_WAITS) || g_inside(me) || me->sysdepth ||
	    (me->flags & (G_G0 | G_KERNEL_WAITS))) {
		goready(gp);
		return;
	}
	pp = rt_enter();
	if (!pp) {
		rt_exit();
		goready(gp);
		return;
	}
	atomic_store_explicit(&gp->status, G_RUNNABLE, memory_order_relaxed);
	runqput(pp, gp, true);
	/*
	 * Not to be sent to the back for the chain's length (findrunnable()):
	 * the Gs there would only find the lock taken and wait again.
	 */
	pp->chain = 0;
	mcall(goyield_m);
	rt_exit();
}

/*
 * A preempted G goes to the global queue, as Go's does (gopreempt_m()):
 * Ps take from it in turn, so Gs that run long share every P, not only
 * the one they were made or stolen on (8 threads that never call libc at
 * 2 Ps: with the local queue, the spread of their work was 57 %, as the
 * first 2 steals left them).
 */
static struct g *gopreempt_m(struct m *mp, struct g *gp)
{
	(void)mp;
	atomic_store_explicit(&gp->status, G_RUNNABLE, memory_order_relaxed);
	lock(&sched.lock);
	globrunqput(gp);
	unlock(&sched.lock);
	wakep();
	return NULL;
}

/*
 * Yield the P to the other runnable Gs (through fn: to the back of the
 * local queue, or of the global one). With none queued here or globally,
 * nothing waits for this P: a preemption request is met (sysmon asks
 * again when work comes; left standing, it made every later safe point of
 * the G's a system call), and a program's sched_yield() yields the kernel
 * thread instead (kernel): a program that waits for another thread in a
 * loop of sched_yield() must let the kernel run other threads, the Ms of
 * other Ps included, or it spins out its whole time slice.
 */
static void yield_via(struct g *(*fn)(struct m *, struct g *), bool kernel)
{
	struct g *gp = getg();
	struct p *pp;

	if (gp->flags & G_KERNEL_WAITS) {
		sys0(SYS_sched_yield);
		/* A safe point for a wired G set back to the defaults. */
		if ((gp->flags & G_WIRED) &&
		    gp->kattr_done !=
			    __atomic_load_n(&gp->kattr_gen, __ATOMIC_RELAXED))
			kattr_sync(gp);
		return;
	}
	pp = rt_enter();
	if (runqempty(pp) && atomic_load(&sched.runqsize) == 0 &&
	    (atomic_load(&pp->timer0) == INT64_MAX ||
	     atomic_load(&pp->timer0) > nanotime())) {
		/*
		 * Cleared only here: schedule() reads the request (runnext
		 * goes to the back). One sysmon makes between the look and
		 * this store is lost until its next look.
		 */
		atomic_store_explicit(&pp->preempt, false,
				      memory_order_relaxed);
		if (kernel)
			sys0(SYS_sched_yield);
	} else {
		mcall(fn);
	}
	rt_exit();
}

/* sched_yield(): to the back of the local queue. */
void gosched(void)
{
	yield_via(gosched_m, true);
}

/* Stopped by sysmon's request, at a safe point or by its kick. */
void gopreempt(void)
{
	yield_via(gopreempt_m, false);
}

/*
 * gp->lock, for a G in the program's code: taken inside the runtime, so
 * that no handler of the program's runs on the caller while it is held
 * (one that joined or detached gp would wait for itself). A locked or
 * wired G runs its handlers where they land.
 */
void g_lock(struct g *gp)
{
	rt_enter();
	lock(&gp->lock);
}

void g_unlock(struct g *gp)
{
	unlock(&gp->lock);
	rt_exit();
}

/*
 * gp has ended and is off its stack (or, for a locked G, its kernel thread
 * is ending): wake its joiner, or free it if it is detached.
 */
void gdead(struct g *gp)
{
	bool joined, detached;

	sig_g_dead(gp);
	lock(&gp->lock);
	atomic_store(&gp->status, G_DEAD);
	joined = gp->joiner != NULL;
	detached = gp->detached;
	unlock(&gp->lock);
	if (joined)
		wt_futex_wake(&gp->status, 1);
	else if (detached)
		gfree(gp);
}

static struct g *goexit0(struct m *mp, struct g *gp)
{
	(void)mp;
	gdead(gp);
	return NULL;
}

/*
 * End the calling G. A detached G is freed at once; a joinable one stays
 * G_DEAD, with its stack and retval, until gfree() by its joiner.
 */
void goexit(void)
{
	struct g *gp = getg();

	/* A wired G dies on the Ps: its M goes back to them as it was. */
	if (gp->flags & G_WIRED)
		g_unwire(gp);
	rt_enter();
	mcall(goexit0);
	fatal("goexit: a dead G was resumed");
}

/* A locked G and its thread-specific data: the TCB's is glibc's. */
struct lockedg {
	struct g g;
	struct tsd tsd;
};

static struct g *lockedg_alloc(void)
{
	struct lockedg *lg = rt_alloc(sizeof(*lg));

	if (!lg)
		return NULL;
	g_locks_init(&lg->g);
	lg->g.tsd = &lg->tsd;
	return &lg->g;
}

void g_locks_init(struct g *gp)
{
	lock_init(&gp->lock, RANK_G);
	lock_init(&gp->sigq.lock, RANK_SIGQ);
}

/* Give back a G's memory. The G is dead, or a locked G's thread ended. */
void gfree(struct g *gp)
{
	if (gp->flags & G_LOCKED) {
		rt_free(gp, sizeof(struct lockedg));
	} else if (gp->pool) {
		stack_gput(rt_enter(), gp);
		rt_exit();
	}
}

/* A G for a kernel thread that the shim did not create. */
struct g *lockedg_new(void)
{
	struct g *gp = lockedg_alloc();

	if (!gp)
		return NULL;
	gp->flags = G_LOCKED;
	gp->tcb = tcb_current();
	gp->id = atomic_fetch_add(&sched.gnext, 1) + 1;
	atomic_store(&gp->status, G_RUNNING);
	cur_g = gp;
	return gp;
}

/*
 * Whether a G failing to take a lock should spin before it parks (Go's
 * sync_runtime_canSpin): only a few times, only if another P is running
 * (and so may release it soon), and only if nothing waits to run here.
 */
bool canspin(int i)
{
	struct p *pp = getp();

	return i < 4 && nprocs > 1 && pp &&
	       atomic_load(&sched.npidle) + atomic_load(&sched.nmspinning) + 1 <
		       nprocs &&
	       runqempty(pp);
}

void procyield(int n)
{
	while (n-- > 0)
		__builtin_ia32_pause();
}
