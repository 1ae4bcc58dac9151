// SPDX-License-Identifier: MIT
/*
 * Thread attributes. pthread_attr_t itself is libc's: its setters and
 * getters work unchanged and pthread_create() reads attributes only through
 * them. What the shim keeps is the default stack and guard of threads
 * created without attributes, and pthread_getattr_np() of its Gs.
 */
#include <errno.h>

#include "shim.h"
#include "../compat/tcb.h"

struct thread_defaults {
	size_t stack, guard;
};

hidden struct thread_defaults thread_defaults;

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
	int r;

	/* libc checks the attribute and keeps it for getattr_default_np. */
	r = REAL(pthread_setattr_default_np)(attr);
	if (r || !on)
		return r;
	pthread_attr_getstacksize(attr, &thread_defaults.stack);
	pthread_attr_getguardsize(attr, &thread_defaults.guard);
	return 0;
}
