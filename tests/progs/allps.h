/*
 * all_ps_run(): whether logical_procs() threads, the caller among them,
 * can run at the same time: each says it runs and then spins, calling
 * nothing that could yield, until all have said so, for at most 10 s.
 * Natively the kernel runs them all; under the shim each needs a P of its
 * own, so a P that was lost (held by nobody, or by an M that never sleeps
 * again, such as the caller's own, spinning) leaves one of them waiting in
 * a queue while the others spin, and the check fails.
 */
#ifndef SPROUT_TESTS_ALLPS_H
#define SPROUT_TESTS_ALLPS_H

#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define ALLPS_MAX 64

static atomic_int allps_arrived;
static int allps_n;

static void *allps_spin(void *arg)
{
	uint64_t end = now_ns() + 10000 * MS;

	(void)arg;
	atomic_fetch_add(&allps_arrived, 1);
	while (atomic_load(&allps_arrived) < allps_n && now_ns() < end)
		;
	return NULL;
}

static inline bool all_ps_run(void)
{
	pthread_t t[ALLPS_MAX];
	int i;

	allps_n = logical_procs();
	if (allps_n > ALLPS_MAX)
		allps_n = ALLPS_MAX;
	atomic_store(&allps_arrived, 0);
	for (i = 1; i < allps_n; i++)
		CHECK(pthread_create(&t[i], NULL, allps_spin, NULL) == 0,
		      "pthread_create");
	allps_spin(NULL);
	for (i = 1; i < allps_n; i++)
		pthread_join(t[i], NULL);
	return atomic_load(&allps_arrived) == allps_n;
}

#endif
