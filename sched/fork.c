// SPDX-License-Identifier: MIT
/*
 * The scheduler in the child of fork() (sched_afterfork_child()): only
 * the forking thread lives on there, so the runtime forgets every other
 * M and G. It resets its lock, its run queues and its lists of idle Ms
 * and Ps, keeps the P of the forking M, has the stacks, the wait table,
 * the netpoller, signals and the TCBs reset their own state, and starts a
 * sysmon of the child's own. afterfork_child() is the atfork handler
 * schedinit() registers; sched_forks counts the forks a process's line has
 * come through. Here too is the fork gate, which keeps forks and the
 * starts of Ms apart.
 */
#include "runtime.h"
#include "netpoll.h"
#include "../arch/x86_64/sys.h"
#include "../compat/tcb.h"

/*
 * In the child of fork() only the forking kernel thread exists, and only the
 * forking thread of the program (POSIX). Forget every other M and G: the
 * run queues held threads that do not exist here, and a lock may have been
 * held by an M that is gone. Every way of forking comes here: fork() as an
 * atfork handler, after glibc's own reset of its thread lists
 * (libc_reclaimed); _Fork() and the fork-like syscall()s right after the
 * call, with glibc's lists as the parent left them.
 *
 * In the child of a raw fork, whose libc locks are as the parent's threads
 * left them, the runtime starts no M until the child makes a thread of
 * its own (sched.single): a libc pthread_create() may wait for ever there,
 * where natively a child that makes no thread takes none of those locks.
 * The forking G alone needs one M, its own; a P handed off while it
 * blocks in a system call waits idle for it (handoffp()).
 *
 * The forking M keeps the P it believes it holds, whatever the parent's
 * sysmon did with it meanwhile (took it from a blocked G, gave it to an M
 * that does not exist here), in the state its G expects: P_USER in the
 * program's code, P_SYSCALL inside a blocking section (whose exitsyscall()
 * then takes it back). The child counts its Ms from none, as a new
 * process: the parent's count would bring SPROUT_MAXM closer for Ms the
 * child never had.
 */
_Atomic unsigned int sched_forks;

/*
 * The fork gate. libc's pthread_create() takes locks of libc's (the stack
 * cache's, the dynamic linker's TLS lock, malloc's for the DTV) that a
 * fork's child inherits held if the fork came meanwhile; fork() takes
 * most of them first, _Fork() and the raw forks none. An M's start is the
 * runtime's, not the program's: natively no thread would be in there, and
 * the child's own thread starts (sysmon's first) would wait for ever. So
 * an M's start holds forks off (fork_hold()), and a fork waits for the
 * starts under way to end (fork_gate_close()) and lets new ones wait
 * until it is made; two forks go through together. The counts are
 * futex words, Dekker's pattern in sequentially consistent atomics: a
 * start counts itself, then looks for a fork; a fork counts itself, then
 * looks for starts.
 */
static _Atomic uint32_t gate_starts, gate_forks;

void fork_hold(void)
{
	uint32_t f;

	for (;;) {
		atomic_fetch_add(&gate_starts, 1);
		if (!atomic_load(&gate_forks))
			return;
		fork_unhold();
		while ((f = atomic_load(&gate_forks)))
			sys_futex_wait((uint32_t *)&gate_forks, f);
	}
}

void fork_unhold(void)
{
	if (atomic_fetch_sub(&gate_starts, 1) == 1 && atomic_load(&gate_forks))
		sys_futex_wake((uint32_t *)&gate_starts, INT32_MAX);
}

void fork_gate_close(void)
{
	uint32_t n;

	atomic_fetch_add(&gate_forks, 1);
	while ((n = atomic_load(&gate_starts)))
		sys_futex_wait((uint32_t *)&gate_starts, n);
}

/* In the parent, made or not; the child starts with the gate open. */
void fork_gate_open(void)
{
	if (atomic_fetch_sub(&gate_forks, 1) == 1)
		sys_futex_wake((uint32_t *)&gate_forks, INT32_MAX);
}

void sched_afterfork_child(bool libc_reclaimed)
{
	struct g *gp = getg();
	struct m *mp = gp && !(gp->flags & G_LOCKED) ? gp->m : NULL;
	struct p *keep = mp ? mp->p : NULL;
	int i;

	atomic_fetch_add(&sched_forks, 1);
	atomic_store(&gate_starts, 0);
	atomic_store(&gate_forks, 0);
	alloc_afterfork_child();
	lock_init(&sched.lock, RANK_SCHED);
	sched.runqhead = sched.runqtail = NULL;
	atomic_store(&sched.runqsize, 0);
	sched.midle = NULL;
	sched.mnext = 0; /* the forking M is the only one, as M0 is */
	sched.pidle = NULL;
	atomic_store(&sched.npidle, 0);
	atomic_store(&sched.nmspinning, 0);
	atomic_store(&sched.nlive, 1);
	atomic_store(&sched.timer_sleeping, false);
	atomic_store(&sched.timer_wanted, false);
	atomic_store(&sched.single, !libc_reclaimed);
	atomic_store(&sched.sleep_until, INT64_MIN);
	atomic_store(&sched.sysmon_idle, false);
	atomic_store(&sched.sysmon_wake, 0);
	atomic_store(&sched.sigwork, false);
	atomic_store(&sched.mstart_failed, false);
	atomic_store(&failing_since, 0);
	for (i = nprocs - 1; i >= 0; i--) {
		struct p *pp = &allp[i];

		atomic_store(&pp->runqhead, 0);
		atomic_store(&pp->runqtail, 0);
		atomic_store(&pp->runnext, NULL);
		atomic_store(&pp->preempt, false);
		/* Only threads that are gone here can have armed timers. */
		timers_init(pp);
		if (pp == keep)
			continue;
		atomic_store(&pp->m, NULL);
		atomic_store(&pp->state, atomic_load(&pp->state) & ~3u);
		pidleput(pp);
	}
	if (keep) {
		atomic_store(&keep->m, mp);
		atomic_store(&keep->state,
			     mp->pgen | (gp->rtdepth	? P_RUNNING
					 : gp->sysdepth ? P_SYSCALL
							: P_USER));
	}
	if (mp) {
		mp->tid = (pid_t)sys_gettid();
		mp->spinning = false;
		mp->schedlink = mp->idleprev = NULL;
		mp->idle = false;
		mp->nextp = NULL;
		tcb_set_kernel_tid(mp->g0->tcb, mp->tid);
		cputime_afterfork_child(mp, gp);
	}
	stack_afterfork_child();
	wt_afterfork_child();
	netpoll_afterfork_child();
	sig_afterfork_child(gp && !(gp->flags & G_LOCKED) ? gp : NULL);
	/* An M other than M0 runs its g0 on its own pthread stack. */
	tcb_afterfork_child(mp && !mp->g0->pool ? mp->g0->tcb : NULL,
			    stack_foreach_tcb, libc_reclaimed);
	/* sysmon takes the process's attributes, not a wired G's. */
	if (gp && (gp->flags & G_WIRED))
		kattr_apply(0, &kattr_default);
	if (libc_reclaimed ? sysmon_start(os_thread_create, 0)
			   : sysmon_start_child())
		warn("cannot start sysmon in the child of fork()");
	if (gp && (gp->flags & G_WIRED))
		kattr_apply(0, &gp->kattr);
}

/*
 * fork()'s child handler. schedinit() registers the gate's as the prepare
 * and parent handlers, first of all: the gate closes last before fork()
 * takes libc's locks, and opens first after.
 */
void afterfork_child(void)
{
	sched_afterfork_child(true);
}
