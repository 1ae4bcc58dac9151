/* SPDX-License-Identifier: MIT */
/* What libc's pthread_attr_t says beyond its public getters. */
#ifndef SPROUT_COMPAT_ATTR_H
#define SPROUT_COMPAT_ATTR_H

#include <pthread.h>
#include <stdbool.h>

/* Does attr carry a caller-supplied stack? If so, *lo and *size are it. */
bool attr_user_stack(const pthread_attr_t *attr, void **lo, size_t *size);

/*
 * The stack size set in attr, or 0 if none was: pthread_attr_getstacksize()
 * gives libc's default then, where the shim's (SPROUT_STACK) applies.
 */
size_t attr_stacksize(const pthread_attr_t *attr);

/*
 * The scheduling a thread made with attr starts with, where attr says
 * (glibc's pthread_create()): a policy and a priority, each only if
 * PTHREAD_EXPLICIT_SCHED and that one was set; a CPU set of cpussize
 * bytes if one was set (cpus NULL otherwise).
 */
struct attr_sched {
	bool has_policy, has_prio;
	int policy, prio;
	const cpu_set_t *cpus;
	size_t cpussize;
};

void attr_sched(const pthread_attr_t *attr, struct attr_sched *as);

#endif
