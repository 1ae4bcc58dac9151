// SPDX-License-Identifier: MIT
/*
 * libc functions that take a pthread_t or a thread id and act on the
 * thread's kernel side: pthread_kill (for threads of libc's own),
 * pthread_sigqueue, scheduling parameters and affinity.
 *
 * A pthread_t is a G here, not libc's descriptor, so for threads of
 * libc's own (locked Gs) these hand libc the G's own TCB. libc then acts
 * correctly on the calling thread (it recognises its TCB as THREAD_SELF)
 * and on threads of its own; for another G it finds the fake kernel
 * thread id and answers ESRCH, never touching a stranger. Signals to
 * other Gs go through the runtime (sched/signal.c), and signal 0 (is the
 * thread alive?) is answered here for every G.
 *
 * A G's scheduling policy, priority, nice value and affinity are its own
 * (sched/kattr.c): set and read here with the errors glibc gives, through
 * pthread_{set,get}schedparam, pthread_setschedprio,
 * pthread_{set,get}affinity_np, and the sched_* calls, setpriority() and
 * getpriority() (PRIO_PROCESS) given a G's id (0: the caller's own; the
 * process's: the initial thread's, as the kernel reads it), and nice().
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "shim.h"
#include "../compat/tcb.h"
#include "../syscall-wrap/wrap.h"
#include "../arch/x86_64/sys.h"

static pthread_t libc_thread(pthread_t t)
{
	return tcb_pthread(g_of(t)->tcb);
}

/* A G gets its signals from the runtime (sched/signal.c). */
SPROUT_EXPORT int pthread_kill(pthread_t t, int sig)
{
	struct g *gp = g_of(t);
	uint32_t st;

	if (!shim_on())
		return REAL(pthread_kill)(t, sig);
	if (gp->flags & G_LOCKED)
		return REAL(pthread_kill)(libc_thread(t), sig);
	st = atomic_load(&gp->status);
	if (st == G_IDLE)
		return ESRCH;
	if (sig == 0 || st == G_DEAD)
		return sig < 0 || sig > 64 ? EINVAL : 0; /* as glibc */
	return g_kill(gp, sig);
}

#ifdef __GLIBC__
/* As glibc's: an ended thread's id is gone (ESRCH); libc's signals EINVAL. */
SPROUT_EXPORT int pthread_sigqueue(pthread_t t, int sig,
				   const union sigval value)
{
	struct g *gp = g_of(t);
	uint32_t st;

	if (!shim_on())
		return REAL(pthread_sigqueue)(t, sig, value);
	if (gp->flags & G_LOCKED)
		return REAL(pthread_sigqueue)(libc_thread(t), sig, value);
	st = atomic_load(&gp->status);
	if (st == G_IDLE || st == G_DEAD)
		return ESRCH;
	if (sig == LIBC_SIGCANCEL || sig == LIBC_SIGSETXID)
		return EINVAL;
	if (sig == 0)
		return 0;
	return g_sigqueue(gp, sig, value);
}
#endif

/* A raw system call's result, as libc gives it: -1 and errno, or r. */
long sys_result(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* Has gp ended (or was it never a thread)? glibc's INVALID_TD_P. */
static bool g_gone(struct g *gp)
{
	uint32_t st = atomic_load(&gp->status);

	return st == G_IDLE || st == G_DEAD;
}

/* Is gp's scheduling the kernel's own: a thread of libc's, not a G? */
static bool kernel_owned(struct g *gp)
{
	return gp->flags & (G_LOCKED | G_G0);
}

/* A G the program can see: not freed, not ended, not an M's g0. */
bool g_alive(struct g *gp)
{
	return !kernel_owned(gp) && !g_gone(gp);
}

static bool has_tid(struct g *gp, void *tid)
{
	return g_alive(gp) && tcb_tid(gp->tcb) == *(pid_t *)tid;
}

/*
 * The G that tid names to a call that takes a thread id: 0 or its own id
 * (gettid()) for the calling G, another G's for that G, the process's
 * for the initial G. NULL for a thread not the shim's (the caller's
 * kernel thread, for 0), an ended G's id or a kernel thread's: the
 * kernel's to answer. Another G's is looked for in every slot of the
 * stack arenas; it may end as soon as it is found, as a thread may.
 */
struct g *tid_g(pid_t tid)
{
	struct g *self = getg();

	if (self && kernel_owned(self))
		self = NULL;
	if (tid == 0 || (self && tid == tcb_tid(self->tcb)))
		return self;
	if (tid == tcb_tid(g_main.tcb))
		return g_alive(&g_main) ? &g_main : NULL;
	/* Not a G's (compat/glibc_tcb.c: tcb_set_id()): a kernel thread. */
	if (tid < 0x400000)
		return NULL;
	return stack_find(has_tid, &tid);
}

/*
 * gp's affinity, in mask of size bytes, as the system call gives it: the
 * kernel judges the size on the caller's own thread (EINVAL if too small
 * for its CPUs) and says how many bytes it fills.
 */
static long g_getaffinity(struct g *gp, size_t size, cpu_set_t *mask)
{
	struct kattr k;
	long n;

	n = sys3(SYS_sched_getaffinity, 0,
		 (long)(size < INT_MAX ? size : INT_MAX), (long)mask);
	if (n < 0)
		return n;
	kattr_get(gp, &k);
	memset(mask, 0, (size_t)n);
	memcpy(mask, k.cpus,
	       (size_t)n < sizeof(*k.cpus) ? (size_t)n : sizeof(*k.cpus));
	return n;
}

static int g_setaffinity(struct g *gp, size_t size, const cpu_set_t *mask)
{
	struct kattr k;
	int err;

	kattr_get(gp, &k);
	err = kattr_cpus(&k, size, mask);
	return err ? err : kattr_set(gp, &k);
}

/* sched_{set,get}affinity of gp, as the system call answers. */
long g_affinity_call(struct g *gp, bool set, size_t size, cpu_set_t *mask)
{
	if (set)
		return -(long)g_setaffinity(gp, size, mask);
	return g_getaffinity(gp, size, mask);
}

/* gp takes policy and prio, if the kernel would let it. */
static int g_setsched(struct g *gp, int policy, int prio)
{
	struct kattr k;
	int err;

	kattr_get(gp, &k);
	err = kattr_check(&k, policy & ~SCHED_RESET_ON_FORK, prio);
	if (err)
		return err;
	k.policy = policy & ~SCHED_RESET_ON_FORK;
	k.prio = prio;
	/* What sched_setattr() set besides goes, as the classic call's. */
	k.ext = NULL;
	return kattr_set(gp, &k);
}

SPROUT_EXPORT int pthread_setschedparam(pthread_t t, int policy,
					const struct sched_param *param)
{
	struct g *gp = g_of(t);

	if (!shim_on())
		return REAL(pthread_setschedparam)(t, policy, param);
	if (kernel_owned(gp))
		return REAL(pthread_setschedparam)(libc_thread(t), policy,
						   param);
	if (g_gone(gp))
		return ESRCH;
	return g_setsched(gp, policy, param->sched_priority);
}

SPROUT_EXPORT int pthread_getschedparam(pthread_t t, int *policy,
					struct sched_param *param)
{
	struct g *gp = g_of(t);
	struct kattr k;

	if (!shim_on())
		return REAL(pthread_getschedparam)(t, policy, param);
	if (kernel_owned(gp))
		return REAL(pthread_getschedparam)(libc_thread(t), policy,
						   param);
	if (g_gone(gp))
		return ESRCH;
	kattr_get(gp, &k);
	*policy = k.policy;
	memset(param, 0, sizeof(*param));
	param->sched_priority = k.prio;
	return 0;
}

SPROUT_EXPORT int pthread_setschedprio(pthread_t t, int prio)
{
	struct g *gp = g_of(t);
	struct kattr k;

	if (!shim_on())
		return REAL(pthread_setschedprio)(t, prio);
	if (kernel_owned(gp))
		return REAL(pthread_setschedprio)(libc_thread(t), prio);
	if (g_gone(gp))
		return ESRCH;
	kattr_get(gp, &k);
	return g_setsched(gp, k.policy, prio);
}

SPROUT_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size,
					 const cpu_set_t *set)
{
	struct g *gp = g_of(t);

	if (!shim_on())
		return REAL(pthread_setaffinity_np)(t, size, set);
	if (kernel_owned(gp))
		return REAL(pthread_setaffinity_np)(libc_thread(t), size, set);
	if (g_gone(gp))
		return ESRCH;
	return g_setaffinity(gp, size, set);
}

SPROUT_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size,
					 cpu_set_t *set)
{
	struct g *gp = g_of(t);
	long n;

	if (!shim_on())
		return REAL(pthread_getaffinity_np)(t, size, set);
	if (kernel_owned(gp))
		return REAL(pthread_getaffinity_np)(libc_thread(t), size, set);
	if (g_gone(gp))
		return ESRCH;
	n = g_getaffinity(gp, size, set);
	if (n < 0)
		return (int)-n;
	/* As glibc's: what the kernel did not fill is zeroed. */
	memset((char *)set + n, 0, size - (size_t)n);
	return 0;
}

/*
 * sched_setscheduler() and sched_setparam() (keep: the G's own policy) of
 * gp, as the system calls answer: 0 or -errno.
 */
long g_sched_call(struct g *gp, bool keep, int policy,
		  const struct sched_param *param)
{
	struct kattr k;

	if (!param)
		return -EINVAL;
	if (keep) {
		kattr_get(gp, &k);
		policy = k.policy;
	}
	return -(long)g_setsched(gp, policy, param->sched_priority);
}

/*
 * sched_getscheduler() (param NULL) and sched_getparam() of gp, as the
 * system calls answer: the policy, 0, or -errno.
 */
long g_getsched(struct g *gp, bool getparam, struct sched_param *param)
{
	struct sched_param p = { 0 };
	struct kattr k;

	if (getparam && !param)
		return -EINVAL;
	kattr_get(gp, &k);
	if (!getparam)
		return k.policy;
	p.sched_priority = k.prio;
	return copy_out(param, &p, sizeof(p)) ? 0 : -EFAULT;
}

/* musl's answer ENOSYS (POSIX's are per process), and stay musl's. */
#ifdef __GLIBC__
SPROUT_EXPORT int sched_setscheduler(pid_t pid, int policy,
				     const struct sched_param *param)
{
	struct g *gp;

	if (!shim_on() || !(gp = tid_g(pid)))
		return REAL(sched_setscheduler)(pid, policy, param);
	return sys_result(g_sched_call(gp, false, policy, param)) ? -1 : 0;
}

SPROUT_EXPORT int sched_getscheduler(pid_t pid)
{
	struct g *gp;

	if (!shim_on() || !(gp = tid_g(pid)))
		return REAL(sched_getscheduler)(pid);
	return (int)g_getsched(gp, false, NULL);
}

SPROUT_EXPORT int sched_setparam(pid_t pid, const struct sched_param *param)
{
	struct g *gp;

	if (!shim_on() || !(gp = tid_g(pid)))
		return REAL(sched_setparam)(pid, param);
	return sys_result(g_sched_call(gp, true, 0, param)) ? -1 : 0;
}

SPROUT_EXPORT int sched_getparam(pid_t pid, struct sched_param *param)
{
	struct g *gp;

	if (!shim_on() || !(gp = tid_g(pid)))
		return REAL(sched_getparam)(pid, param);
	return (int)sys_result(g_getsched(gp, true, param));
}
#endif

/*
 * {get,set}priority(PRIO_PROCESS) of gp, as the system call answers:
 * getpriority's 20 - nice (1 to 40), setpriority's 0; or -errno. Linux
 * keeps the value per thread; the callers have found the G by id.
 */
long g_priority_call(struct g *gp, bool set, int nice)
{
	struct kattr k;
	int err;

	kattr_get(gp, &k);
	if (!set)
		return 20 - k.nice;
	err = kattr_nice(&k, nice);
	return -(long)(err ? err : kattr_set(gp, &k));
}

#ifdef __GLIBC__
typedef __priority_which_t prio_which_t;
#else
typedef int prio_which_t;
#endif

/* The G whose value PRIO_PROCESS of who is, or NULL: the kernel's. */
struct g *priority_g(int which, id_t who)
{
	return which == PRIO_PROCESS && who <= INT_MAX ? tid_g((pid_t)who)
						       : NULL;
}

SPROUT_EXPORT int getpriority(prio_which_t which, id_t who)
{
	struct g *gp;

	if (!shim_on() || !(gp = priority_g(which, who)))
		return REAL(getpriority)(which, who);
	return 20 - (int)g_priority_call(gp, false, 0);
}

SPROUT_EXPORT int setpriority(prio_which_t which, id_t who, int prio)
{
	struct g *gp;

	if (!shim_on() || !(gp = priority_g(which, who)))
		return REAL(setpriority)(which, who, prio);
	return sys_result(g_priority_call(gp, true, prio)) ? -1 : 0;
}

/*
 * libc's nice() calls its own getpriority() and setpriority(), not these:
 * as glibc's, on the calling G. The new value, or -1 with EPERM where the
 * kernel says EACCES.
 */
SPROUT_EXPORT int nice(int inc)
{
	int saved = errno, prio;
	long r;

	if (!shim_on())
		return REAL(nice)(inc);
	prio = 20 - (int)g_priority_call(getg(), false, 0);
	/* No overflow: the kernel clamps to -20..19 anyway. */
	inc = inc < -40 ? -40 : inc > 40 ? 40 : inc;
	r = g_priority_call(getg(), true, prio + inc);
	if (r < 0) {
		errno = r == -EACCES ? EPERM : (int)-r;
		return -1;
	}
	errno = saved;
	return 20 - (int)g_priority_call(getg(), false, 0);
}

/*
 * The CPU of the kernel thread the G runs on. A safe point too, as a
 * short system call is (it is one, through the vDSO): a G that spins
 * watching its CPU gives way when sysmon asks, as it would be preempted
 * natively.
 */
SPROUT_EXPORT int sched_getcpu(void)
{
	if (shim_on())
		preempt_check();
	return REAL(sched_getcpu)();
}
