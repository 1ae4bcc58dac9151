/*
 * Proves that stack-protector canaries survive context switches: built
 * with -fstack-protector-all, 32 threads run 1000 rounds of three nested
 * functions with local arrays, yielding inside each level.  A canary that
 * differs between a function's entry and exit would abort the process;
 * the arrays' contents are also checked after every yield.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#ifndef __SSP_ALL__
#error "stack_protector.c must be built with -fstack-protector-all"
#endif

#define NTHREADS 32
#define NROUNDS	 1000

static atomic_int started;

static char pattern(int id, int round, int level, size_t i)
{
	return (char)(id * 131 + round * 31 + level * 7 + (int)i);
}

static void fill(volatile char *buf, size_t len, int id, int round, int level)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(id, round, level, i);
}

static void verify(volatile char *buf, size_t len, int id, int round, int level)
{
	size_t i;

	sched_yield();
	for (i = 0; i < len; i++)
		CHECK(buf[i] == pattern(id, round, level, i),
		      "thread %d round %d level %d byte %zu: %d", id, round,
		      level, i, buf[i]);
}

static __attribute__((noinline)) void level3(int id, int round)
{
	volatile char buf[256];

	fill(buf, sizeof(buf), id, round, 3);
	verify(buf, sizeof(buf), id, round, 3);
}

static __attribute__((noinline)) void level2(int id, int round)
{
	volatile char buf[128];

	fill(buf, sizeof(buf), id, round, 2);
	level3(id, round);
	verify(buf, sizeof(buf), id, round, 2);
}

static __attribute__((noinline)) void level1(int id, int round)
{
	volatile char buf[64];

	fill(buf, sizeof(buf), id, round, 1);
	verify(buf, sizeof(buf), id, round, 1);
	level2(id, round);
	verify(buf, sizeof(buf), id, round, 1);
}

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg, round;

	atomic_fetch_add(&started, 1);
	CHECK(wait_until(atomic_load(&started) == NTHREADS, 10),
	      "only %d threads started", atomic_load(&started));
	for (round = 0; round < NROUNDS; round++)
		level1(id, round);
	return NULL;
}

int main(void)
{
	pthread_t tids[NTHREADS];
	int i, err;

	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], NULL, worker,
				     (void *)(uintptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(tids[i], NULL) == 0, "pthread_join");
	return 0;
}
