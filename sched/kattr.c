// SPDX-License-Identifier: MIT
/*
 * Kernel attributes of Gs: scheduling policy, priority, nice value and CPU
 * affinity.
 *
 * Each G has its own (gp->kattr), as a thread has: set through
 * pthread_setschedparam() and its kin on any G, inherited at creation or
 * given by the creation attribute, read back as set. The process's (those
 * the initial thread had when the runtime started, kattr_default) are
 * what every M carries. A G whose attributes are the process's runs on
 * the Ps like any other. A G that asks for anything else (a real-time
 * policy, another priority or nice value, a CPU set narrower than the
 * process's) can
 * only have it from the kernel, so it is wired (G_WIRED): its M becomes
 * its own, holding no P, as a G's in a long blocking system call does, and
 * carries its attributes; from then on the G waits and yields in the
 * kernel as a thread the shim did not create does (G_KERNEL_WAITS). Set
 * back to the process's attributes, it leaves its M to the Ps again and
 * queues for a P. So a G pinned to a CPU and spinning there holds no P,
 * and the Ps run the other Gs meanwhile.
 *
 * Who applies a change:
 *	the G itself		kattr_sync(): wires, applies to its own kernel
 *				thread (the kernel's verdict is the call's),
 *				unwires; on the way back to the program's
 *				code (rt_exit()), before it runs any of it
 *	another G, target wired	applies it to the target's kernel thread at
 *				once, under the target's lock (which the
 *				target holds to wire or unwire); a change back
 *				to the defaults unwires it at its next safe
 *				point (a yield, a change of its own, its exit)
 *	another G, not wired	records it; the target wires itself when it
 *				next leaves the runtime: a parked or runnable G
 *				before it runs again, a new G before its start
 *				routine, a running one at its next safe point
 *				(asked to yield there, as sysmon asks)
 * For another G that is not wired the kernel cannot judge the request in
 * advance; the errors are worked out here as the kernel would
 * (kattr_check(), kattr_nice(), kattr_cpus()): EINVAL for a policy or
 * priority out of range or a CPU set with no allowed CPU, EPERM for a
 * real-time policy without CAP_SYS_NICE or RLIMIT_RTPRIO room, EACCES for
 * a nice value lowered without CAP_SYS_NICE or RLIMIT_NICE room.
 *
 * A wired G that exits goes back to the Ps first (goexit()), so that its
 * M is an M as any other; Ms started from a wired G's kernel thread take
 * the process's attributes back first thing (mstart()). A fork() in a
 * wired G leaves the child's only G wired, its kernel thread carrying the
 * attributes, as natively.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "../arch/x86_64/sys.h"

/* SCHED_FLAG_UTIL_CLAMP_MIN | _MAX (linux/sched.h, beside <sched.h>) */
#define UTIL_CLAMP_FLAGS 0x60

struct kattr kattr_default;
/* The initial thread's sched_getattr(): its utilisation clamps. */
static struct kernel_sched_attr attr_default;
/* A G has been wired once: new Ms must reset what they inherit. */
_Atomic bool kattr_used;

/*
 * Values kept once and never freed, so that a G's attributes hold
 * pointers (8 bytes each in every G, not 128) and equal values are equal
 * pointers: CPU sets (a program uses a few: the process's, one per CPU it
 * pins to), and what sched_setattr() gave beyond a policy, priority and
 * nice value (a deadline's parameters, flags, utilisation clamps).
 */
struct kept {
	struct kept *next;
	size_t size;
	_Alignas(16) unsigned char v[];
};

static struct kept *_Atomic kept_list;
static struct lock kept_lock = LOCK_INIT(RANK_KEPT);

static const void *kept_find(const void *v, size_t size)
{
	struct kept *k;

	for (k = atomic_load_explicit(&kept_list, memory_order_acquire); k;
	     k = k->next)
		if (k->size == size && !memcmp(k->v, v, size))
			return k->v;
	return NULL;
}

/* The kept copy of v; NULL if memory ran out. */
static const void *keep(const void *v, size_t size)
{
	const void *found = kept_find(v, size);
	struct kept *k;

	if (found)
		return found;
	k = rt_alloc(sizeof(*k) + size);
	if (!k)
		return NULL;
	k->size = size;
	memcpy(k->v, v, size);
	lock(&kept_lock);
	found = kept_find(v, size);
	if (!found) {
		k->next =
			atomic_load_explicit(&kept_list, memory_order_relaxed);
		atomic_store_explicit(&kept_list, k, memory_order_release);
		found = k->v;
		k = NULL;
	}
	unlock(&kept_lock);
	rt_free(k, sizeof(*k) + size);
	return found;
}

/* The kept copy of set; NULL if memory ran out. */
const cpu_set_t *kattr_cpuset(const cpu_set_t *set)
{
	return keep(set, sizeof(*set));
}

/* The initial thread's attributes are the process's. */
void kattr_init(void)
{
	struct sched_param sp = { 0 };
	cpu_set_t cpus;
	long r;

	r = sys1(SYS_sched_getscheduler, 0);
	kattr_default.policy =
		r < 0 ? SCHED_OTHER : (int)r & ~SCHED_RESET_ON_FORK;
	if (sys2(SYS_sched_getparam, 0, (long)&sp) == 0)
		kattr_default.prio = sp.sched_priority;
	/* The system call answers 20 - nice (1 to 40). */
	r = sys2(SYS_getpriority, PRIO_PROCESS, 0);
	kattr_default.nice = r > 0 ? 20 - (int)r : 0;
	CPU_ZERO(&cpus);
	if (sys3(SYS_sched_getaffinity, 0, sizeof(cpus), (long)&cpus) < 0)
		fatal("sched_getaffinity of the initial thread failed");
	kattr_default.cpus = kattr_cpuset(&cpus);
	if (!kattr_default.cpus)
		fatal("out of memory for the initial thread's CPU set");
	sys4(SYS_sched_getattr, 0, (long)&attr_default, sizeof(attr_default),
	     0);
}

bool kattr_is_default(const struct kattr *k)
{
	return k->policy == kattr_default.policy &&
	       k->prio == kattr_default.prio && k->nice == kattr_default.nice &&
	       k->cpus == kattr_default.cpus && !k->ext;
}

/* Does the process have CAP_SYS_NICE in its effective set? */
static bool cap_sys_nice(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (sys2(SYS_capget, (long)&h, (long)d) < 0)
		return false;
	return d[CAP_SYS_NICE / 32].effective & (1u << (CAP_SYS_NICE % 32));
}

static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/*
 * May a thread with attributes cur take policy and prio? 0, EINVAL or
 * EPERM, as the kernel's sched_setscheduler() judges (__sched_setscheduler
 * in kernel/sched/core.c).
 */
int kattr_check(const struct kattr *cur, int policy, int prio)
{
	struct rlimit rl = { 0, 0 };

	switch (policy) {
	case SCHED_OTHER:
	case SCHED_BATCH:
	case SCHED_IDLE:
		if (prio != 0)
			return EINVAL;
		/* Leaving SCHED_IDLE takes the right to raise one's nice. */
		if (cur->policy == SCHED_IDLE && policy != SCHED_IDLE &&
		    !cap_sys_nice()) {
			sys4(SYS_prlimit64, 0, RLIMIT_NICE, 0, (long)&rl);
			if (rl.rlim_cur < 20)
				return EPERM;
		}
		return 0;
	case SCHED_FIFO:
	case SCHED_RR:
		if (prio < 1 || prio > 99)
			return EINVAL;
		if (cap_sys_nice())
			return 0;
		sys4(SYS_prlimit64, 0, RLIMIT_RTPRIO, 0, (long)&rl);
		if (policy != cur->policy && rl.rlim_cur == 0)
			return EPERM;
		if (prio > (rt_policy(cur->policy) ? cur->prio : 0) &&
		    (rlim_t)prio > rl.rlim_cur)
			return EPERM;
		return 0;
	default:
		return EINVAL;
	}
}

/*
 * k takes nice, clamped to -20..19 as the kernel's setpriority() clamps
 * it: 0, or EACCES for a lower value than k's without CAP_SYS_NICE or
 * RLIMIT_NICE room (can_nice() in kernel/sched/syscalls.c).
 */
int kattr_nice(struct kattr *k, int nice)
{
	struct rlimit rl = { 0, 0 };

	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	if (nice < k->nice && !cap_sys_nice()) {
		sys4(SYS_prlimit64, 0, RLIMIT_NICE, 0, (long)&rl);
		if (rl.rlim_cur < (rlim_t)(20 - nice))
			return EACCES;
	}
	k->nice = nice;
	return 0;
}

/*
 * k's CPUs from a set of size bytes, as the kernel's sched_setaffinity()
 * takes it: a shorter set is padded with zeros, a longer one cut (here at
 * CPU_SETSIZE), and only allowed CPUs kept (the process's, here). EINVAL
 * if none is left, ENOMEM if memory ran out.
 */
int kattr_cpus(struct kattr *k, size_t size, const cpu_set_t *set)
{
	const cpu_set_t *kept;
	cpu_set_t s;

	CPU_ZERO(&s);
	memcpy(&s, set, size < sizeof(s) ? size : sizeof(s));
	CPU_AND(&s, &s, kattr_default.cpus);
	if (!CPU_COUNT(&s))
		return EINVAL;
	kept = kattr_cpuset(&s);
	if (!kept)
		return ENOMEM;
	k->cpus = kept;
	return 0;
}

/*
 * The calling kernel thread's attributes, as the kernel has them now, in
 * k (its CPU set left as it is): 0, or ENOMEM when what sched_setattr()
 * set beyond policy, priority and nice cannot be kept. Anything of that
 * makes k->ext: a deadline policy, a flag (resetting on fork, reclaiming,
 * overrun signals), utilisation clamps other than the initial thread's.
 */
int kattr_read(struct kattr *k)
{
	struct kernel_sched_attr a = { 0 };
	long r;

	/* sched_getattr() gives a nice value for SCHED_OTHER and BATCH only. */
	r = sys2(SYS_getpriority, PRIO_PROCESS, 0);
	if (r > 0)
		k->nice = 20 - (int)r;
	k->ext = NULL;
	r = sys4(SYS_sched_getattr, 0, (long)&a, sizeof(a), 0);
	if (r < 0) {
		/* No sched_getattr() (before Linux 3.14): the classic calls. */
		struct sched_param sp = { 0 };

		r = sys1(SYS_sched_getscheduler, 0);
		if (r >= 0)
			k->policy = (int)r & ~SCHED_RESET_ON_FORK;
		if (sys2(SYS_sched_getparam, 0, (long)&sp) == 0)
			k->prio = sp.sched_priority;
		return 0;
	}
	k->policy = (int)a.sched_policy;
	k->prio = (int)a.sched_priority;
	if (a.sched_policy == SCHED_DEADLINE || a.sched_flags ||
	    a.sched_util_min != attr_default.sched_util_min ||
	    a.sched_util_max != attr_default.sched_util_max) {
		a.size = sizeof(a);
		k->ext = keep(&a, sizeof(a));
		if (!k->ext)
			return ENOMEM;
	}
	return 0;
}

/*
 * Give kernel thread tid (0: the caller's) k: all of it the kernel takes,
 * 0 or its first error. The CPU set goes on after a refused nice value:
 * unprivileged, a raised one cannot be lowered again (HACKING), and an M
 * started from such a G's thread must still leave its CPU.
 */
int kattr_apply(pid_t tid, const struct kattr *k)
{
	struct sched_param sp = { .sched_priority = k->prio };
	long r, r2;

	if (k->ext) {
		struct kernel_sched_attr a = *k->ext;

		a.sched_policy = (uint32_t)k->policy;
		a.sched_priority = (uint32_t)k->prio;
		a.sched_nice = k->nice;
		/* sched_getattr() reports clamps without their flags. */
		if (a.sched_util_min != attr_default.sched_util_min ||
		    a.sched_util_max != attr_default.sched_util_max)
			a.sched_flags |= UTIL_CLAMP_FLAGS;
		r = sys3(SYS_sched_setattr, tid, (long)&a, 0);
		/* A deadline's nice value is kept for later, as the kernel's. */
		if (r == 0 && k->policy == SCHED_DEADLINE)
			r = sys3(SYS_setpriority, PRIO_PROCESS, tid, k->nice);
	} else {
		r = sys3(SYS_sched_setscheduler, tid, k->policy, (long)&sp);
		if (r == 0)
			r = sys3(SYS_setpriority, PRIO_PROCESS, tid, k->nice);
	}
	r2 = sys3(SYS_sched_setaffinity, tid, sizeof(*k->cpus), (long)k->cpus);
	if (r == 0)
		r = r2;
	return r < 0 ? (int)-r : 0;
}

void kattr_get(struct g *gp, struct kattr *k)
{
	g_lock(gp);
	*k = gp->kattr;
	g_unlock(gp);
}

/* A new G, not yet started, gets k: wired before it starts if need be. */
void kattr_start(struct g *gp, const struct kattr *k)
{
	gp->kattr = *k;
	gp->kattr_gen = 1;
	gp->kattr_done = kattr_is_default(k) ? 1 : 0;
}

/*
 * gp, not wired, may be running the program's code on some P: ask it to
 * yield at its next safe point (preempt_check()), on whose way back it
 * takes its new attributes. Its P's struct is never freed; should the P
 * run another G by now, that one yields once for nothing.
 */
static void kattr_nudge(struct g *gp)
{
	struct m *mp = gp->m;
	struct p *pp;

	if (atomic_load(&gp->status) != G_RUNNING || !mp ||
	    (gp->flags & G_WIRED))
		return;
	pp = mp->p;
	if (pp)
		atomic_store_explicit(&pp->preempt, true, memory_order_relaxed);
}

/*
 * gp (any G of the shim's) gets k. 0, or ESRCH if it has ended; for a
 * wired G other than the caller, or the caller itself, the kernel's error.
 */
int kattr_set(struct g *gp, const struct kattr *k)
{
	struct g *self = getg();
	struct kattr old;
	uint32_t st;
	int err = 0;

	g_lock(gp);
	st = atomic_load(&gp->status);
	if (st == G_IDLE || st == G_DEAD)
		err = ESRCH;
	else if (gp != self && (gp->flags & G_WIRED))
		err = kattr_apply(gp->m->tid, k);
	if (!err) {
		old = gp->kattr;
		gp->kattr = *k;
		__atomic_store_n(&gp->kattr_gen, gp->kattr_gen + 1,
				 __ATOMIC_RELEASE);
	}
	g_unlock(gp);
	if (!err && gp != self)
		kattr_nudge(gp);
	if (err || gp != self)
		return err;
	gp->kattr_err = 0;
	kattr_sync(gp);
	/* The kernel refused: the G keeps what it had. */
	g_lock(gp);
	err = gp->kattr_err;
	if (err) {
		gp->kattr = old;
		__atomic_store_n(&gp->kattr_gen, gp->kattr_gen + 1,
				 __ATOMIC_RELEASE);
	}
	g_unlock(gp);
	if (err)
		kattr_sync(gp);
	return err;
}

/*
 * The calling G brings its kernel thread in line with its attributes: it
 * wires itself and applies them, or, back at the process's, goes back to
 * the Ps. In the program's code (depth 0), outside any blocking section.
 * The kernel's verdict is left in gp->kattr_err, under gp->lock, taken
 * with signals held off (lock_nosig()): the G goes in or out of G_WIRED
 * while it holds it, so it cannot be taken inside the runtime (g_lock()).
 * sync_locked() is called with it held, and lets it go.
 */
static void sync_locked(struct g *gp, uint64_t mask)
{
	struct kattr k;
	bool wire = false, unwire = false;
	int err = 0;

	k = gp->kattr;
	gp->kattr_done = gp->kattr_gen;
	if (!kattr_is_default(&k)) {
		err = kattr_apply(0, &k);
		if (!err && !(gp->flags & G_WIRED)) {
			atomic_store(&kattr_used, true);
			gp->flags |= G_WIRED;
			wire = true;
		}
	} else if (gp->flags & G_WIRED) {
		kattr_apply(0, &kattr_default);
		gp->flags &= ~G_WIRED;
		unwire = true;
	}
	gp->kattr_err = err;
	unlock_nosig(&gp->lock, mask);
	if (wire)
		g_wire(gp);
	else if (unwire)
		g_unwire(gp);
}

void kattr_sync(struct g *gp)
{
	if (gp->sysdepth || gp->rtdepth || (gp->flags & (G_LOCKED | G_G0)))
		return;
	sync_locked(gp, lock_nosig(&gp->lock));
}

/*
 * sched_setattr() of the calling G, in the program's code (the system
 * call's, through syscall()): the kernel judges it on the G's own kernel
 * thread, as any change a G makes to itself, and the G keeps what the
 * kernel then has (kattr_read()), wired unless that is the process's.
 * Under gp->lock with signals held off, as kattr_sync(): no other G runs
 * on the kernel thread between the change and the wiring. 0 or -errno,
 * as the system call answers.
 */
long kattr_setattr(struct g *gp, const void *attr, unsigned int flags)
{
	struct kattr k;
	uint64_t mask;
	long r;

	if (gp->sysdepth || gp->rtdepth || (gp->flags & (G_LOCKED | G_G0)))
		return sys3(SYS_sched_setattr, 0, (long)attr, flags);
	mask = lock_nosig(&gp->lock);
	r = sys3(SYS_sched_setattr, 0, (long)attr, flags);
	if (r == 0) {
		k = gp->kattr;
		r = -(long)kattr_read(&k);
	}
	if (r == 0) {
		gp->kattr = k;
		__atomic_store_n(&gp->kattr_gen, gp->kattr_gen + 1,
				 __ATOMIC_RELEASE);
	} else if (r == -ENOMEM) {
		/* Not kept: the kernel thread goes back to the G's own. */
		kattr_apply(0, &gp->kattr);
	}
	sync_locked(gp, mask);
	return r;
}

/*
 * The calling G, wired, is about to go back to the Ps whatever its
 * attributes (it exits): its kernel thread takes the process's.
 */
void kattr_unwired(struct g *gp)
{
	uint64_t mask = lock_nosig(&gp->lock); /* as in kattr_sync() */

	kattr_apply(0, &kattr_default);
	gp->flags &= ~G_WIRED;
	unlock_nosig(&gp->lock, mask);
}
