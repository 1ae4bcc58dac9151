/* SPDX-License-Identifier: MIT */
/* Start the runtime in a unit test's process: its main thread is G 1. */
#ifndef SPROUT_TESTS_UNIT_RUNTIME_SETUP_H
#define SPROUT_TESTS_UNIT_RUNTIME_SETUP_H

#include <pthread.h>

#include "sched/runtime.h"

/* cmocka group setup: schedinit() with procs Ps, or -1 with a message. */
static inline int start_runtime(int procs)
{
	struct runtime_config cfg = {
		.procs = procs,
		.stack_size = 256 * 1024,
		.guard_size = 4096,
		.thread_create = pthread_create,
		.maxm = 100,
	};
	const char *why = NULL;

	if (schedinit(&cfg, &why)) {
		print_error("schedinit: %s\n", why);
		return -1;
	}
	return 0;
}

#endif
