// SPDX-License-Identifier: MIT
/*
 * Thread attributes. pthread_attr_t itself is libc's: its setters and
 * getters work unchanged and pthread_create() reads attributes only through
 * them. What the shim keeps is the default stack, guard and signal mask of
 * threads created without attributes, and pthread_getattr_np() of its Gs.
 * A new thread's scheduling (attr_kattr()) is its creator's, or what the
 * attribute asks for, judged as glibc and the kernel judge it.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "shim.h"
#include "../compat/attr.h"
#include "../compat/tcb.h"
#include "../arch/x86_64/sys.h"

/*
 * What a thread made without attributes gets: pthread_setattr_default_np()'s
 * stack, guard, detach state and inheritsched (glibc's pthread_create()
 * takes the whole default attribute, C11 threads included).
 */
struct thread_defaults {
	size_t stack, guard;
	int detach, inheritsched;
};

hidden struct thread_defaults thread_defaults;

/*
 * The signal mask of pthread_setattr_default_np()'s attribute, in one word
 * that a pthread_create() reads while another thread may set it: 0 if it
 * has none, else the mask with MASK_SET added. SIGCANCEL's bit is free for
 * that: pthread_attr_setsigmask_np() takes glibc's own signals out.
 */
#define MASK_SET (1ull << (32 - 1))
static _Atomic uint64_t default_sigmask;
/* pthread_setattr_default_np() has been called: its scheduling counts. */
static _Atomic bool default_set;

/* The attribute's signal mask: 0, or non-zero if it has none. */
static int getsigmask(const pthread_attr_t *attr, sigset_t *set)
{
#ifdef __GLIBC__
	return pthread_attr_getsigmask_np(attr, set);
#else
	(void)attr;
	(void)set;
	return -1; /* musl's attributes have none */
#endif
}

/*
 * Does a thread made with attr start with the attribute's signal mask?
 * If so, *mask is it. Without an attribute (C11 threads too), glibc's
 * pthread_create() takes the default attribute's.
 */
bool attr_sigmask(const pthread_attr_t *attr, uint64_t *mask)
{
	sigset_t set;
	uint64_t m;

	if (attr) {
		if (getsigmask(attr, &set))
			return false;
		memcpy(mask, &set, sizeof(*mask));
		return true;
	}
	m = atomic_load_explicit(&default_sigmask, memory_order_relaxed);
	*mask = m & ~MASK_SET;
	return m != 0;
}

/*
 * The calling kernel thread's own attributes (a thread not the shim's):
 * 0, or ENOMEM when its CPU set cannot be kept.
 */
static int kattr_kernel(struct kattr *k)
{
	cpu_set_t cpus;

	*k = kattr_default;
	if (kattr_read(k))
		return ENOMEM;
	CPU_ZERO(&cpus);
	if (sys3(SYS_sched_getaffinity, 0, sizeof(cpus), (long)&cpus) < 0)
		return 0;
	/* None of the process's CPUs (EINVAL): the process's set, as before. */
	return kattr_cpus(k, sizeof(cpus), &cpus) == ENOMEM ? ENOMEM : 0;
}

static int kattr_from(const pthread_attr_t *attr, struct kattr *k)
{
	struct attr_sched as;
	int err;

	attr_sched(attr, &as);
	if (as.has_policy)
		k->policy = as.policy;
	if (as.has_prio)
		k->prio = as.prio;
	/* The kernel's verdict on the new thread's sched_setscheduler(). */
	if (as.has_policy || as.has_prio) {
		err = kattr_check(k, k->policy, k->prio);
		if (err)
			return err;
	}
	return as.cpus ? kattr_cpus(k, as.cpussize, as.cpus) : 0;
}

/*
 * The kernel attributes of a thread that self creates with attr, as
 * glibc's pthread_create() gives them: self's (the kernel's clone()
 * inherits them), then the policy, priority and CPU set that attr (or,
 * without one, the default attribute) sets. 0, or the error
 * pthread_create() fails with: EINVAL for a policy and priority that do
 * not go together or a CPU set with no CPU of the process's, EPERM for a
 * real-time policy the process may not take.
 */
int attr_kattr(struct g *self, const pthread_attr_t *attr, struct kattr *k)
{
	pthread_attr_t def;
	int err = 0;

	if (self->flags & (G_LOCKED | G_G0))
		err = kattr_kernel(k);
	else
		kattr_get(self, k);
	if (!err && attr) {
		err = kattr_from(attr, k);
	} else if (!err &&
		   atomic_load_explicit(&default_set, memory_order_relaxed) &&
		   REAL(pthread_getattr_default_np)(&def) == 0) {
		err = kattr_from(&def, k);
		pthread_attr_destroy(&def);
	}
	/* Out of memory for a CPU set: pthread_create()'s word for it. */
	return err == ENOMEM ? EAGAIN : err;
}

void attr_defaults_init(const struct runtime_config *cfg)
{
	thread_defaults.stack = cfg->stack_size;
	thread_defaults.guard = cfg->guard_size;
	thread_defaults.detach = PTHREAD_CREATE_JOINABLE;
	thread_defaults.inheritsched = PTHREAD_INHERIT_SCHED;
}

/*
 * pthread_getattr_np()'s scheduling of G gp, as glibc's gives a thread's:
 * its policy and priority (where the attribute can hold them) and its
 * CPU set, its own (libc would ask the kernel thread it runs on).
 */
static void attr_kattr_fill(pthread_attr_t *attr, struct g *gp)
{
	struct sched_param sp = { 0 };
	struct kattr k;

	kattr_get(gp, &k);
	sp.sched_priority = k.prio;
	if (pthread_attr_setschedpolicy(attr, k.policy) == 0)
		pthread_attr_setschedparam(attr, &sp);
#ifdef __GLIBC__ /* musl's attributes have no CPU set */
	pthread_attr_setaffinity_np(attr, sizeof(*k.cpus), k.cpus);
#endif
}

SPROUT_EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t *attr)
{
	struct g *gp = g_of(t);
	size_t size, guard;
	void *lo;
	int r;

	if (!shim_on())
		return REAL(pthread_getattr_np)(t, attr);
	/* libc knows the initial thread's and its own threads' stacks. */
	if (gp->flags & G_LOCKED)
		return REAL(pthread_getattr_np)(tcb_pthread(gp->tcb), attr);
	if (gp->flags & G_MAIN) {
		r = REAL(pthread_getattr_np)(tcb_pthread(gp->tcb), attr);
		if (!r)
			attr_kattr_fill(attr, gp);
		return r;
	}
	r = pthread_attr_init(attr);
	if (r)
		return r;
	/* As glibc: the stack includes the TCB and TLS at its top. */
	lo = tcb_stack(gp->tcb, &size, &guard);
	pthread_attr_setstack(attr, lo, size);
	pthread_attr_setguardsize(attr, guard);
	pthread_attr_setdetachstate(attr, gp->detached
						  ? PTHREAD_CREATE_DETACHED
						  : PTHREAD_CREATE_JOINABLE);
	pthread_attr_setinheritsched(attr, gp->explicit_sched
						   ? PTHREAD_EXPLICIT_SCHED
						   : PTHREAD_INHERIT_SCHED);
	attr_kattr_fill(attr, gp);
	return 0;
}

SPROUT_EXPORT int pthread_getattr_default_np(pthread_attr_t *attr)
{
	shim_on(); /* resolves REAL() on a first call */
	return REAL(pthread_getattr_default_np)(attr);
}

SPROUT_EXPORT int pthread_setattr_default_np(const pthread_attr_t *attr)
{
	bool on = shim_on();
	/* Before libc's default changes: musl's reads as set by it. */
	size_t stack = attr_stacksize(attr);
	uint64_t m = 0;
	sigset_t set;
	int r;

	/* libc checks the attribute and keeps it for getattr_default_np. */
	r = REAL(pthread_setattr_default_np)(attr);
	if (r || !on)
		return r;
	/* As in libc, a size not set leaves the default as it was. */
	if (stack)
		thread_defaults.stack = stack;
	pthread_attr_getguardsize(attr, &thread_defaults.guard);
	pthread_attr_getdetachstate(attr, &thread_defaults.detach);
	pthread_attr_getinheritsched(attr, &thread_defaults.inheritsched);
	if (getsigmask(attr, &set) == 0) {
		memcpy(&m, &set, sizeof(m));
		m |= MASK_SET;
	}
	atomic_store_explicit(&default_sigmask, m, memory_order_relaxed);
	atomic_store_explicit(&default_set, true, memory_order_relaxed);
	return 0;
}
