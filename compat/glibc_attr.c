// SPDX-License-Identifier: MIT
#include "attr.h"

bool attr_user_stack(const pthread_attr_t *attr, void **lo, size_t *size)
{
	/*
	 * glibc keeps the top of the stack and reports top - size; with no
	 * stack set the top is NULL (nptl/pthread_attr_getstack.c).
	 */
	pthread_attr_getstack(attr, lo, size);
	return (char *)*lo + *size != (char *)0;
}

/* glibc 2.36's struct pthread_attr and its extension (internaltypes.h). */
struct glibc_attr_ext {
	cpu_set_t *cpuset;
	size_t cpusetsize;
};

struct glibc_attr {
	struct sched_param schedparam;
	int schedpolicy;
	int flags;
	size_t guardsize;
	void *stackaddr;
	size_t stacksize;
	struct glibc_attr_ext *extension;
	void *unused;
};

_Static_assert(sizeof(struct glibc_attr) <= sizeof(pthread_attr_t),
	       "glibc's struct pthread_attr fits pthread_attr_t");

size_t attr_stacksize(const pthread_attr_t *attr)
{
	return ((const struct glibc_attr *)attr)->stacksize;
}

#define ATTR_FLAG_NOTINHERITSCHED 0x0002
#define ATTR_FLAG_SCHED_SET	  0x0020
#define ATTR_FLAG_POLICY_SET	  0x0040

void attr_sched(const pthread_attr_t *attr, struct attr_sched *as)
{
	const struct glibc_attr *ia = (const struct glibc_attr *)attr;
	bool explicit = ia->flags & ATTR_FLAG_NOTINHERITSCHED;

	as->has_policy = explicit && (ia->flags & ATTR_FLAG_POLICY_SET);
	as->has_prio = explicit && (ia->flags & ATTR_FLAG_SCHED_SET);
	as->policy = ia->schedpolicy;
	as->prio = ia->schedparam.sched_priority;
	as->cpus = ia->extension ? ia->extension->cpuset : NULL;
	as->cpussize = as->cpus ? ia->extension->cpusetsize : 0;
}
