/*
 * Proves that one pthread_cond_broadcast wakes every one of 10,000
 * threads waiting on a condvar: each thread (64 KiB stack) counts itself
 * in under the mutex and waits for a new generation; main waits on a
 * second condvar (timed) until all have arrived, advances the generation
 * once, broadcasts once and joins them all; each thread must have seen the
 * new generation.  Everything is bounded by a 60 s deadline.
 */
#include <pthread.h>
#include <string.h>

#include "check.h"

#define NTHREADS 10000
#define STACK	 (64 * 1024)

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_arrived = PTHREAD_COND_INITIALIZER;
static int arrived, gen;
static int seen[NTHREADS];
static pthread_t tids[NTHREADS];

static void *waiter(void *arg)
{
	int id = (int)(intptr_t)arg;

	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	if (++arrived == NTHREADS)
		CHECK(pthread_cond_signal(&all_arrived) == 0, "signal");
	while (gen == 0)
		CHECK(pthread_cond_wait(&go, &m) == 0, "cond_wait");
	seen[id] = gen;
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

int main(void)
{
	struct timespec deadline;
	pthread_attr_t attr;
	uint64_t t0 = now_ns();
	int i, err;

	watchdog(60);
	deadline = deadline_in(CLOCK_REALTIME, 60000);

	CHECK(pthread_attr_init(&attr) == 0, "attr_init");
	CHECK(pthread_attr_setstacksize(&attr, STACK) == 0, "setstacksize");
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], &attr, waiter,
				     (void *)(intptr_t)i);
		CHECK(err == 0, "pthread_create %d: %s", i, strerror(err));
	}
	CHECK(pthread_attr_destroy(&attr) == 0, "attr_destroy");

	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	while (arrived < NTHREADS) {
		err = pthread_cond_timedwait(&all_arrived, &m, &deadline);
		CHECK(err == 0, "waiting for arrivals: %d, %d of %d arrived",
		      err, arrived, NTHREADS);
	}
	gen = 1;
	CHECK(pthread_cond_broadcast(&go) == 0, "broadcast");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");

	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(tids[i], NULL) == 0, "pthread_join %d", i);
	for (i = 0; i < NTHREADS; i++)
		CHECK(seen[i] == 1, "thread %d saw generation %d", i, seen[i]);
	printf("%d threads woken in %llu ms\n", NTHREADS,
	       (unsigned long long)((now_ns() - t0) / 1000000));
	return 0;
}
