// SPDX-License-Identifier: MIT
/*
 * Thread lifecycle: create, join, detach, exit, identity, yield, names.
 *
 * A pthread_t is the address of the thread's G. Join and detach state sits
 * in the G under gp->lock:
 *
 *	detached	no one will join; the G is freed as soon as it is dead
 *	joiner		the one G in pthread_join() on this G
 *	status G_DEAD	exited and off its stack (gdead(), on g0)
 *
 * so a joiner claims the G, waits for G_DEAD (gdead() wakes it) and frees
 * it. As with glibc, a joinable thread's stack, TCB and result stay until
 * it is joined.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync.h"
#include "../sched/netpoll.h"
#include "../syscall-wrap/wrap.h"
#include "../compat/attr.h"
#include "../compat/tcb.h"
#include "../arch/x86_64/sys.h"

extern struct thread_defaults {
	size_t stack, guard;
	int detach, inheritsched;
} thread_defaults hidden;

static void *c11_body(void *arg)
{
	struct g *gp = arg;

	return (void *)(intptr_t)gp->start_c11(gp->start_arg);
}

static void thread_main(void *arg)
{
	struct g *gp = arg;
	void *ret;

	if (gp->c11)
		ret = tcb_run(c11_body, gp);
	else
		ret = tcb_run(gp->start, gp->start_arg);
	thread_finish(gp, ret);
}

/* What glibc's start_thread() does after the start routine, then die. */
void thread_finish(struct g *gp, void *retval)
{
	gp->retval = retval;
	/*
	 * No cancellation from here on: it would unwind to tcb_run(), which
	 * has returned (glibc sets this later, its landing frame still live).
	 */
	tcb_exiting(gp->tcb);
	tcb_exit();
	tsd_run_destructors(gp);
	mutex_g_exit();
	/* As glibc: the last thread to go ends the process. */
	if (atomic_fetch_sub(&sched.nlive, 1) == 1)
		exit(0);
	goexit();
}

/* The kernel thread of a locked G ended (a libc key destructor). */
void thread_end_locked(struct g *gp)
{
	tsd_run_destructors(gp);
	mutex_g_exit();
	cur_g = NULL;
	gdead(gp);
}

/*
 * A new thread's signal mask, as glibc's pthread_create() gives it: its
 * attribute's (without one, the default attribute's), or its creator's.
 * Never a signal no G blocks (g_sigmask()): an attribute's mask may hold
 * SIGKILL and SIGSTOP, which the kernel does not block.
 */
static uint64_t creation_sigmask(struct g *self, const pthread_attr_t *attr)
{
	const uint64_t never = (1ull << (SIGKILL - 1)) |
			       (1ull << (SIGSTOP - 1)) |
			       (1ull << (32 - 1)) /* SIGCANCEL */ |
			       (1ull << (33 - 1)) /* SIGSETXID */;
	sigset_t set;
	uint64_t mask;

	if (attr_sigmask(attr, &mask))
		return mask & ~never;
	if (self->flags & G_LOCKED) {
		REAL(pthread_sigmask)(SIG_BLOCK, NULL, &set);
		memcpy(&mask, &set, sizeof(mask));
		return mask & ~never;
	}
	return self->sigmask;
}

/* Start a thread: pthread_create() and thrd_create(). */
int thread_create(pthread_t *t, const pthread_attr_t *attr, bool c11,
		  void *start, void *arg) hidden;
int thread_create(pthread_t *t, const pthread_attr_t *attr, bool c11,
		  void *start, void *arg)
{
	struct g *self = self_g(), *gp;
	size_t stack = thread_defaults.stack, guard = thread_defaults.guard;
	void *user_stack = NULL, *lo;
	size_t size;
	uint64_t mask;
	int detach = thread_defaults.detach, err;
	int inheritsched = thread_defaults.inheritsched;
	struct kattr k;

	main_landing_set();
	netpoll_start();
	/* Scheduling and affinity the kernel would refuse fail the call. */
	err = attr_kattr(self, attr, &k);
	if (err)
		return err;
	if (attr) {
		if (attr_stacksize(attr))
			stack = attr_stacksize(attr);
		pthread_attr_getguardsize(attr, &guard);
		pthread_attr_getdetachstate(attr, &detach);
		pthread_attr_getinheritsched(attr, &inheritsched);
		if (attr_user_stack(attr, &lo, &size)) {
			user_stack = lo;
			stack = size;
		}
	}
	gp = gnew(stack, guard, user_stack, &err);
	if (!gp && err == EAGAIN) {
		/*
		 * Out of address space: the Gs queued behind this one may be
		 * about to exit and free their stacks, as threads would
		 * natively meanwhile. Let them run, then try once more.
		 */
		gosched();
		gp = gnew(stack, guard, user_stack, &err);
	}
	if (!gp)
		return err;
	gp->c11 = c11;
	gp->start = start;
	gp->start_arg = arg;
	gp->detached = detach == PTHREAD_CREATE_DETACHED;
	gp->explicit_sched = inheritsched == PTHREAD_EXPLICIT_SCHED;
	gp->sigmask = mask = creation_sigmask(self, attr);
	memcpy(gp->name, self->name, sizeof(gp->name));
	kattr_start(gp, &k);
	atomic_fetch_add(&sched.nlive, 1);
	*t = (pthread_t)gp;
	gostart(gp, thread_main, gp);
	sig_route_newg(mask);
	return 0;
}

SPROUT_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr,
				 void *(*start)(void *), void *arg)
{
	if (!shim_on())
		return REAL(pthread_create)(t, attr, start, arg);
	return thread_create(t, attr, false, (void *)start, arg);
}

enum join_mode { JOIN_BLOCK, JOIN_TRY, JOIN_TIMED };

/*
 * As glibc: claim gp as its one joiner, wait until it is dead (parked on
 * its status word, which gdead() wakes), take its result and free it. A
 * timed join that times out gives the claim back.
 */
/* The joiner gives up its claim: another thread may join gp. */
static void join_unclaim(struct g *gp)
{
	g_lock(gp);
	gp->joiner = NULL;
	g_unlock(gp);
}

/* Cancellation unwinds a join (glibc: its cleanup). */
static void join_unwound(struct g **claim)
{
	if (*claim)
		join_unclaim(*claim);
}

static int join(pthread_t t, void **ret, enum join_mode mode, clockid_t clock,
		const struct timespec *abstime)
{
	struct g *gp = g_of(t), *self = self_g();
	int64_t deadline = NO_DEADLINE;
	uint32_t st;
	int err = 0;
	TCB_UNWOUND(struct g *, claim, NULL, join_unwound);

	/* As glibc: not a deadlock once one of the two is cancelled. */
	if ((gp == self ||
	     (self->joiner == gp && !tcb_cancelled_or_exiting(gp->tcb))) &&
	    !cancel_due())
		return EDEADLK;
	g_lock(gp);
	st = atomic_load(&gp->status);
	if (st == G_IDLE)
		err = ESRCH;
	else if (gp->detached || gp->joiner)
		err = EINVAL;
	else if (st != G_DEAD && mode == JOIN_TRY)
		err = EBUSY;
	else if (st != G_DEAD && mode == JOIN_TIMED)
		err = deadline_of(abstime, clock, &deadline);
	if (!err)
		gp->joiner = self;
	g_unlock(gp);
	if (err)
		return err;
	claim = gp;
	/* A cancellation point while it waits (glibc's). */
	while ((st = atomic_load(&gp->status)) != G_DEAD) {
		cancel_point();
		/* EINTR: a signal's handler ran; wait again, as on Linux. */
		g_waitfor(GW_JOIN, gp, deadline);
		err = wt_futex_wait_cancel(&gp->status, st, deadline);
		if (err == ETIMEDOUT && atomic_load(&gp->status) != G_DEAD) {
			claim = NULL;
			join_unclaim(gp);
			return ETIMEDOUT;
		}
	}
	claim = NULL;
	if (ret)
		*ret = gp->retval;
	gfree(gp);
	return 0;
}

SPROUT_EXPORT int pthread_join(pthread_t t, void **ret)
{
	if (!shim_on())
		return REAL(pthread_join)(t, ret);
	return join(t, ret, JOIN_BLOCK, CLOCK_REALTIME, NULL);
}

SPROUT_EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
	if (!shim_on())
		return REAL(pthread_tryjoin_np)(t, ret);
	return join(t, ret, JOIN_TRY, CLOCK_REALTIME, NULL);
}

SPROUT_EXPORT int pthread_timedjoin_np(pthread_t t, void **ret,
				       const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_timedjoin_np)(t, ret, abstime);
	return join(t, ret, abstime ? JOIN_TIMED : JOIN_BLOCK, CLOCK_REALTIME,
		    abstime);
}

#ifdef __GLIBC__
SPROUT_EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
				       const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_clockjoin_np)(t, ret, clock, abstime);
	if (!clock_ok(clock))
		return EINVAL;
	return join(t, ret, abstime ? JOIN_TIMED : JOIN_BLOCK, clock, abstime);
}
#endif

SPROUT_EXPORT int pthread_detach(pthread_t t)
{
	struct g *gp = g_of(t);
	bool dead;

	if (!shim_on())
		return REAL(pthread_detach)(t);
	g_lock(gp);
	if (atomic_load(&gp->status) == G_IDLE) {
		g_unlock(gp);
		return ESRCH;
	}
	if (gp->detached) {
		g_unlock(gp);
		return EINVAL;
	}
	if (gp->joiner) {
		/* As glibc: the joiner will free it. */
		g_unlock(gp);
		return 0;
	}
	gp->detached = true;
	dead = atomic_load(&gp->status) == G_DEAD;
	g_unlock(gp);
	if (dead)
		gfree(gp);
	return 0;
}

/*
 * pthread_exit() or cancellation of the initial thread lands here, on its
 * own stack.
 */
static void main_exit_landed(void)
{
	thread_finish(getg(), tcb_result());
}

/*
 * Make the initial thread's last landing ours, on the initial thread, once
 * main() has begun: before glibc itself can unwind it (a cancellation it
 * acts on in pthread_setcanceltype() or a cancellable call), which takes
 * a pthread_cancel() (the initial thread's own) or another thread (which
 * the initial thread creates first).
 */
void main_landing_set(void)
{
	struct g *gp = getg(); /* NULL: a thread libc made, with no G yet */
	static bool set;

	if (gp && (gp->flags & G_MAIN) && !set)
		set = tcb_redirect_exit(main_exit_landed);
}

void thread_exit(void *retval)
{
	main_landing_set();
	/* Runs cleanup handlers (and, on glibc, C++ destructors) to tcb_run. */
	tcb_unwind(retval, REAL(pthread_exit));
}

SPROUT_EXPORT void pthread_exit(void *retval)
{
	if (!shim_on())
		REAL(pthread_exit)(retval);
	thread_exit(retval);
}

SPROUT_EXPORT pthread_t pthread_self(void)
{
	if (!shim_on())
		return REAL(pthread_self)();
	return (pthread_t)self_g();
}

/* musl's <pthread.h> makes pthread_equal a macro too. */
SPROUT_EXPORT int(pthread_equal)(pthread_t a, pthread_t b)
{
	return a == b;
}

SPROUT_EXPORT int sched_yield(void)
{
	if (!shim_on() || !getg())
		return REAL(sched_yield)();
	gosched();
	return 0;
}

/* <pthread.h> redirects pthread_yield to sched_yield; libc exports both. */
SPROUT_EXPORT int yield_np(void) __asm__("pthread_yield");
#ifdef __GLIBC__
SPROUT_EXPORT int yield_np(void)
{
	return sched_yield();
}
#endif

/*
 * A thread's id: for a G the unique, stable id its TCB carries (above any
 * kernel tid; the initial thread keeps the process id), so that threads
 * told apart by gettid() stay apart. Passed to a system call that wants a
 * kernel thread, it gives ESRCH.
 */
SPROUT_EXPORT pid_t gettid(void)
{
	struct g *gp;

	if (!shim_on() || !(gp = getg()) || (gp->flags & (G_LOCKED | G_G0)))
		return REAL(gettid)();
	return tcb_tid(gp->tcb);
}

/*
 * vfork(): the child would run on the calling G's stack and in the
 * parent's memory, through the shim, while the parent's other Ms go on:
 * CPython's child resets signal actions and masks before exec, which
 * changed the parent G's recorded mask and left its M blocking every
 * signal. POSIX lets vfork() be fork(), and here it is.
 */
SPROUT_EXPORT pid_t vfork(void)
{
	return fork();
}

#ifdef __GLIBC__
SPROUT_EXPORT pid_t __vfork(void)
{
	return fork();
}
#endif

/*
 * _Fork() (glibc 2.34): fork() without the atfork handlers, the runtime's
 * reset of the child among them, so the child gets it here. libc's own
 * fork() calls its _Fork() inside libc, not through this name.
 */
SPROUT_EXPORT pid_t _Fork(void)
{
	pid_t pid;
	int saved;

	if (!shim_on())
		return REAL(_Fork)();
	fork_gate_close();
	pid = REAL(_Fork)();
	saved = errno;
	if (pid == 0)
		sched_afterfork_child(false);
	else
		fork_gate_open();
	errno = saved;
	return pid;
}

/*
 * syscall(SYS_exit) of a G ends the G as the system call ends a kernel
 * thread natively: no thread-specific data destructors, no cleanup
 * handlers, no C++ thread_local destructors, and a joiner gets no
 * meaningful result (NULL here; glibc's join reads a field nobody set).
 * The thread's data is dropped unrun. The last thread ends the process
 * with the status given, as the kernel does.
 */
static __attribute__((noreturn)) void thread_exit_raw(struct g *gp, int code)
{
	gp->retval = NULL;
	tsd_drop(gp);
	mutex_g_exit();
	if (atomic_fetch_sub(&sched.nlive, 1) == 1)
		sys1(SYS_exit_group, code);
	goexit();
}

/*
 * libc's clone() without CLONE_VM: a fork whose child runs fn(arg) on
 * another stack. The child gets the runtime's reset before fn, inside the
 * call's blocking section as a fork through syscall() does. With CLONE_VM
 * the child shares the parent's memory (a thread of the program's own
 * making, or a spawn that only calls exec): left to libc as it is.
 */
struct clone_start {
	int (*fn)(void *);
	void *arg;
};

/*
 * When fn returns, libc's clone() ends the thread with SYS_exit, which
 * here would end the M alone: in a child whose last thread it is, sysmon
 * lived on as the process, which never ended. The G ends as that call
 * ends a thread natively.
 */
static int clone_child(void *p)
{
	struct clone_start *cs = p; /* the child's copy */

	sched_afterfork_child(false);
	exitsyscall();
	thread_exit_raw(getg(), cs->fn(cs->arg));
}

/*
 * The parent's side, inside the call's blocking section: the fork gate is
 * open again before exitsyscall(), which may wait for a P that only an M
 * being started would bring.
 */
static int clone_fork(struct clone_start *cs, void *stack, int flags,
		      pid_t *ptid, void *tls, pid_t *ctid)
{
	int r, saved;

	fork_gate_close();
	r = REAL(clone)(clone_child, stack, flags, cs, ptid, tls, ctid);
	saved = errno;
	fork_gate_open(); /* only the parent returns here */
	errno = saved;
	return r;
}

SPROUT_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg,
			...)
{
	struct clone_start cs = { fn, arg };
	pid_t *ptid, *ctid;
	va_list ap;
	void *tls;

	va_start(ap, arg);
	ptid = va_arg(ap, pid_t *);
	tls = va_arg(ap, void *);
	ctid = va_arg(ap, pid_t *);
	va_end(ap);
	if (!shim_on() || (flags & CLONE_VM))
		return REAL(clone)(fn, stack, flags, arg, ptid, tls, ctid);
	return BLOCKING(SHORT, int,
			clone_fork(&cs, stack, flags, ptid, tls, ctid));
}

/*
 * The kernel's id for a thread id the program got from gettid(): its own
 * (fake) id means the kernel thread it runs on now; any other, itself.
 */
static pid_t kernel_tid(pid_t tid)
{
	struct g *gp = getg();

	/* The kernel's own: musl's gettid() reads the descriptor's id. */
	if (gp && !(gp->flags & (G_LOCKED | G_G0)) && tid == tcb_tid(gp->tcb))
		return (pid_t)sys_gettid();
	return tid;
}

/*
 * syscall(): SYS_gettid answers as gettid() does (CPython's native thread
 * ids come from it), and so does SYS_set_tid_address, which for a G
 * changes nothing (the clear-child-tid address belongs to the M). Calls
 * that take a thread id get the kernel's for the caller's own. Futexes are
 * waited for in the wait table (syscall-wrap/futex.c); other calls that can
 * block run between entersyscall() and exitsyscall(); the rest go to libc
 * unchanged.
 */
SPROUT_EXPORT long syscall(long number, ...)
{
	struct g *gp;
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	/* shim_on() first: it resolves REAL(syscall) if nothing has yet. */
	if (shim_on()) {
		switch (number) {
		case SYS_gettid:
			return gettid();
		case SYS_set_tid_address:
			if (getg() && !(getg()->flags & (G_LOCKED | G_G0)))
				return gettid();
			break;
		case SYS_sched_setaffinity:
		case SYS_sched_getaffinity:
			if ((gp = tid_g((pid_t)a[0])))
				return sys_result(g_affinity_call(
					gp, number == SYS_sched_setaffinity,
					(size_t)a[1], (cpu_set_t *)a[2]));
			a[0] = kernel_tid((pid_t)a[0]);
			break;
		case SYS_sched_setattr:
			if ((gp = tid_g((pid_t)a[0])) && gp != getg())
				return sys_result(-ESRCH); /* HACKING.md */
			if (gp)
				return sys_result(kattr_setattr(
					gp, (void *)a[1], (unsigned int)a[2]));
			break;
		case SYS_sched_setscheduler:
			if ((gp = tid_g((pid_t)a[0])))
				return sys_result(g_sched_call(
					gp, false, (int)a[1],
					(struct sched_param *)a[2]));
			break;
		case SYS_sched_setparam:
			if ((gp = tid_g((pid_t)a[0])))
				return sys_result(g_sched_call(
					gp, true, 0,
					(struct sched_param *)a[1]));
			break;
		case SYS_sched_getscheduler:
		case SYS_sched_getparam:
			/*
			 * The caller's are its kernel thread's (kattr.c), with
			 * a priority-protect boost; another G's, as kept.
			 */
			if ((gp = tid_g((pid_t)a[0])) && gp != getg())
				return sys_result(g_getsched(
					gp, number == SYS_sched_getparam,
					(struct sched_param *)a[1]));
			if (gp)
				a[0] = 0;
			break;
		case SYS_sched_getattr:
			if ((gp = tid_g((pid_t)a[0])) && gp != getg())
				return sys_result(-ESRCH); /* HACKING.md */
			if (gp)
				a[0] = 0;
			break;
		case SYS_getpriority:
		case SYS_setpriority:
			if ((gp = priority_g((int)a[0], (id_t)a[1])))
				return sys_result(g_priority_call(
					gp, number == SYS_setpriority,
					(int)a[2]));
			break;
		case SYS_tkill:
			a[0] = kernel_tid((pid_t)a[0]);
			break;
		case SYS_tgkill:
			a[1] = kernel_tid((pid_t)a[1]);
			break;
		case SYS_futex:
			return futex_call(a);
		case SYS_kill:
			return kill((pid_t)a[0], (int)a[1]);
		case SYS_pidfd_send_signal:
			if (shim_pidfd_to_self((int)a[0], (int)a[1],
					       (const void *)a[2],
					       (unsigned int)a[3]))
				return 0;
			break;
		case SYS_exit:
			if (getg() && !(getg()->flags & (G_LOCKED | G_G0)))
				thread_exit_raw(getg(), (int)a[0]);
			break;
		default:
			return syscall_call(number, a);
		}
	}
	return REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

#ifdef __GLIBC__
SPROUT_EXPORT int tgkill(pid_t tgid, pid_t tid, int sig)
{
	if (!shim_on())
		return REAL(tgkill)(tgid, tid, sig);
	return REAL(tgkill)(tgid, kernel_tid(tid), sig);
}
#endif

/* The calling G's own affinity for its own id: shim/foreign.c. */
SPROUT_EXPORT int sched_setaffinity(pid_t pid, size_t size,
				    const cpu_set_t *set)
{
	struct g *gp;

	if (!shim_on())
		return REAL(sched_setaffinity)(pid, size, set);
	if ((gp = tid_g(pid)))
		return sys_result(g_affinity_call(gp, true, size,
						  (cpu_set_t *)set))
			       ? -1
			       : 0;
	return REAL(sched_setaffinity)(kernel_tid(pid), size, set);
}

SPROUT_EXPORT int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set)
{
	struct g *gp;
	long r;

	if (!shim_on())
		return REAL(sched_getaffinity)(pid, size, set);
	if ((gp = tid_g(pid))) {
		r = sys_result(g_affinity_call(gp, false, size, set));
		if (r < 0)
			return -1;
		/* As glibc's: what the kernel did not fill is zeroed. */
		memset((char *)set + r, 0, size - (size_t)r);
		return 0;
	}
	return REAL(sched_getaffinity)(kernel_tid(pid), size, set);
}

#define TASK_COMM_LEN 16

/*
 * The initial thread's name is also the kernel's name of the initial
 * kernel thread (M0's): gettid() of the initial G is the process id, so
 * /proc/self/task/PID/comm and ps show what it set, as natively. Set with
 * prctl() when the G runs there, else through /proc, as glibc does for
 * another thread; if that fails, the kernel keeps the name it had.
 */
static void main_comm(struct g *gp, const char *name, size_t len)
{
	pid_t pid = tcb_tid(gp->tcb);
	char path[40] = "/proc/self/task/", *p = path + strlen(path);
	char digits[12];
	int fd, n = 0;

	if (sys_gettid() == pid) {
		sys2(SYS_prctl, PR_SET_NAME, (long)name);
		return;
	}
	do
		digits[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	while (n > 0)
		*p++ = digits[--n];
	memcpy(p, "/comm", sizeof("/comm"));
	fd = (int)sys4(SYS_openat, AT_FDCWD, (long)path, O_WRONLY | O_CLOEXEC,
		       0);
	if (fd < 0)
		return;
	sys_write(fd, name, len);
	sys1(SYS_close, fd);
}

/*
 * prctl(PR_SET_NAME/PR_GET_NAME) names the calling thread: a G's name, as
 * pthread_setname_np() sets it, not its M's. The runtime's Ms carry names
 * of their own (sprout-m3), which the G would otherwise read, and a name
 * set through the M would stay with the M. The rest goes to libc.
 */
SPROUT_EXPORT int prctl(int option, ...)
{
	unsigned long a[4];
	struct g *gp;
	char name[TASK_COMM_LEN] = "";
	va_list ap;
	int i;

	va_start(ap, option);
	for (i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	/*
	 * shim_on_g() first: a first call (a library constructor's) resolves
	 * REAL() and makes the initial G.
	 */
	if (!shim_on_g() || (option != PR_SET_NAME && option != PR_GET_NAME) ||
	    (getg()->flags & G_LOCKED))
		return REAL(prctl)(option, a[0], a[1], a[2], a[3]);
	gp = getg();
	if (option == PR_GET_NAME) {
		memcpy(name, gp->name, sizeof(name));
		if (!copy_out((void *)a[0], name, sizeof(name)))
			goto fault;
		return 0;
	}
	/* As the kernel: up to 15 bytes, to the first NUL. */
	for (i = 0; i < TASK_COMM_LEN - 1; i++) {
		if (!copy_in(&name[i], (const char *)a[0] + i, 1))
			goto fault;
		if (!name[i])
			break;
	}
	name[i] = 0;
	memcpy(gp->name, name, sizeof(name));
	if (gp->flags & G_MAIN)
		main_comm(gp, name, strlen(name));
	return 0;
fault:
	errno = EFAULT;
	return -1;
}

SPROUT_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
	struct g *gp = g_of(t);
	size_t len;

	if (!shim_on())
		return REAL(pthread_setname_np)(t, name);
	len = strlen(name);
	if (len >= TASK_COMM_LEN)
		return ERANGE;
	if (gp->flags & G_LOCKED)
		return REAL(pthread_setname_np)(tcb_pthread(gp->tcb), name);
	memcpy(gp->name, name, len + 1);
	if (gp->flags & G_MAIN)
		main_comm(gp, name, len);
	return 0;
}

SPROUT_EXPORT int pthread_getname_np(pthread_t t, char *buf, size_t len)
{
	struct g *gp = g_of(t);

	if (!shim_on())
		return REAL(pthread_getname_np)(t, buf, len);
	if (len < TASK_COMM_LEN)
		return ERANGE;
	if (gp->flags & G_LOCKED)
		return REAL(pthread_getname_np)(tcb_pthread(gp->tcb), buf, len);
	memcpy(buf, gp->name, TASK_COMM_LEN);
	buf[TASK_COMM_LEN - 1] = 0;
	return 0;
}

#ifndef __GLIBC__
/*
 * musl gives the TLS of a module loaded now only to the threads on its own
 * list, which holds no G: every G's TLS vector is grown after it.
 */
SPROUT_EXPORT void *dlopen(const char *file, int mode)
{
	void *h = REAL(dlopen)(file, mode);

	if (h && shim_on())
		tcb_after_dlopen(stack_foreach_tcb);
	return h;
}
#endif
