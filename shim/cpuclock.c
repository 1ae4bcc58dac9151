// SPDX-License-Identifier: MIT
/*
 * Thread CPU clocks of Gs, on the runtime's count (sched/cputime.c).
 *
 * A G's clock has the id glibc gives a thread's, the kernel's
 * MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED), made from the G's thread id
 * (gettid()). The kernel knows no such thread, or (the initial G, which
 * keeps the process id) knows the kernel thread M0, which runs other Gs
 * too; so the calls that take a clock id look for a G first:
 * clock_gettime(), clock_getres() and clock_nanosleep() (through
 * syscall-wrap/sleep.c). CLOCK_THREAD_CPUTIME_ID, and the kernel's
 * "calling thread" clock, in a G is the G's own. A clock whose G has ended
 * gives EINVAL, as a thread's does once it has gone.
 *
 * A thread the shim did not create (a locked G) has a kernel thread of its
 * own, and its clock is the kernel's. Not covered: timer_create() on a G's
 * clock (EINVAL, the kernel's answer for a thread it does not know), the
 * user-time and user-plus-system variants of a thread clock (made by hand,
 * never by glibc), and getrusage(RUSAGE_THREAD), which counts the M.
 */
#include <errno.h>
#include <time.h>

#include "shim.h"
#include "../compat/tcb.h"
#include "../syscall-wrap/wrap.h"

#define CPUCLOCK_BITS 7 /* which clock of the thread, and per-thread */

/* The calling thread, if it is a G whose clock the runtime counts. */
static struct g *self_counted(void)
{
	struct g *gp = getg();

	return gp && !(gp->flags & (G_LOCKED | G_G0)) ? gp : NULL;
}

/*
 * The G whose CPU clock clk is, or NULL if it is no G's: the kernel's to
 * answer. Every slot of the stack arenas is looked at for another G's.
 */
struct g *cpuclock_g(clockid_t clk)
{
	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return self_counted();
	if (clk >= 0 ||
	    (clk & CPUCLOCK_BITS) != (thread_cpuclock(0) & CPUCLOCK_BITS))
		return NULL;
	return tid_g((pid_t) ~(clk >> 3));
}

/*
 * Count CPU time from now on, the caller's among it (sched/cputime.c).
 * Inside the runtime, so that the caller stays on its M.
 */
static void count_from_now(void)
{
	struct g *self = self_counted();

	if (unlikely(!atomic_load_explicit(&cputime_on, memory_order_relaxed) ||
		     (self && !atomic_load_explicit(&self->cpu_m,
						    memory_order_relaxed))))
		cputime_start(self);
}

/*
 * The CPU time of gp, found by cpuclock_g(), in *ts: 0, or EINVAL if gp
 * has ended.
 */
int cpuclock_now(struct g *gp, struct timespec *ts)
{
	pid_t tid = tcb_tid(gp->tcb);
	int64_t ns;

	rt_enter(); /* the caller's own: stay on its M while it reads */
	count_from_now();
	ns = g_cputime(gp);
	rt_exit();
	/* Gone, or its slot is another thread's now. */
	if (ns < 0 || !g_alive(gp) || tcb_tid(gp->tcb) != tid)
		return EINVAL;
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
	return 0;
}

/*
 * Also a safe point (preempt_check()): a loop that waits for a time to
 * come, reading the clock, gives way when sysmon asks, where a kick would
 * land in libc's code or the vDSO's and be refused (sched/preempt.c).
 */
SPROUT_EXPORT int clock_gettime(clockid_t clk, struct timespec *ts)
{
	struct timespec now;
	struct g *gp;
	int r;

	if (!shim_on())
		return REAL(clock_gettime)(clk, ts);
	if (likely(clk >= 0 && clk != CLOCK_THREAD_CPUTIME_ID) ||
	    !(gp = cpuclock_g(clk))) {
		r = REAL(clock_gettime)(clk, ts) ? errno : 0;
	} else if (cpuclock_now(gp, &now)) {
		r = EINVAL;
	} else if (!copy_out(ts, &now, sizeof(now))) {
		r = EFAULT;
	} else {
		r = 0;
	}
	preempt_check();
	if (r > 0) {
		errno = r;
		r = -1;
	}
	return r;
}

SPROUT_EXPORT int clock_getres(clockid_t clk, struct timespec *res)
{
	/* A G's clock counts in nanoseconds, as a kernel thread's does. */
	if (shim_on() && clk < 0 && cpuclock_g(clk))
		clk = CLOCK_THREAD_CPUTIME_ID;
	return REAL(clock_getres)(clk, res);
}

SPROUT_EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t *clock)
{
	struct g *gp = g_of(t);
	int status;

	if (!shim_on())
		return REAL(pthread_getcpuclockid)(t, clock);
	status = atomic_load(&gp->status);
	if (status == G_IDLE || status == G_DEAD)
		return ESRCH;
	if (gp->flags & G_LOCKED)
		return REAL(pthread_getcpuclockid)(tcb_pthread(gp->tcb), clock);
	/* Count from now, so that the clock has counted when it is read. */
	rt_enter();
	count_from_now();
	rt_exit();
	*clock = thread_cpuclock(tcb_tid(gp->tcb));
	return 0;
}
