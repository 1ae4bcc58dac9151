// SPDX-License-Identifier: MIT
/*
 * Thread attributes. pthread_attr_t itself is libc's: its setters and
 * getters work unchanged and pthread_create() reads attributes only through
 * them. What the shim keeps is the default stack, guard and signal mask of
 * threads created without attributes, and pthread_getattr_np() of its Gs.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "shim.h"
#include "../compat/tcb.h"

struct thread_defaults {
	size_t stack, guard;
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
		if (pthread_attr_getsigmask_np(attr, &set))
			return false;
		memcpy(mask, &set, sizeof(*mask));
		return true;
	}
	m = atomic_load_explicit(&default_sigmask, memory_order_relaxed);
	*mask = m & ~MASK_SET;
	return m != 0;
}

void attr_defaults_init(const struct runtime_config *cfg)
{
	thread_defaults.stack = cfg->stack_size;
	thread_defaults.guard = cfg->guard_size;
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
	if (gp->flags & (G_MAIN | G_LOCKED))
		return REAL(pthread_getattr_np)(tcb_pthread(gp->tcb), attr);
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
	uint64_t m = 0;
	sigset_t set;
	int r;

	/* libc checks the attribute and keeps it for getattr_default_np. */
	r = REAL(pthread_setattr_default_np)(attr);
	if (r || !on)
		return r;
	pthread_attr_getstacksize(attr, &thread_defaults.stack);
	pthread_attr_getguardsize(attr, &thread_defaults.guard);
	if (pthread_attr_getsigmask_np(attr, &set) == 0) {
		memcpy(&m, &set, sizeof(m));
		m |= MASK_SET;
	}
	atomic_store_explicit(&default_sigmask, m, memory_order_relaxed);
	return 0;
}
