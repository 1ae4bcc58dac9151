/*
 * Threads that loop on calls which never block must not keep the others
 * from running (fd_loop_yield): LOOPERS threads run looper() while main
 * sleeps 20 ms, then main creates WORKERS threads that must each run once,
 * as main sleeps 1 ms at a time: all of it within 5 s (natively:
 * milliseconds). looper() loops until loopers_stop, counting its rounds
 * in loopers_loops.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define LOOPERS 2
#define WORKERS 4

static atomic_int loopers_stop, workers_ran;
static atomic_long loopers_loops;

static void *worker(void *arg)
{
	(void)arg;
	atomic_fetch_add(&workers_ran, 1);
	return NULL;
}

static int beside_loopers(void *(*looper)(void *))
{
	pthread_t l[LOOPERS], w[WORKERS];
	struct timespec t0, t1;
	long ms;
	int i;

	watchdog(60);
	for (i = 0; i < LOOPERS; i++)
		CHECK(!pthread_create(&l[i], NULL, looper, NULL),
		      "pthread_create");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	usleep(20000);
	for (i = 0; i < WORKERS; i++)
		CHECK(!pthread_create(&w[i], NULL, worker, NULL),
		      "pthread_create");
	do {
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	} while (atomic_load(&workers_ran) < WORKERS && ms < 5000);
	CHECK(atomic_load(&workers_ran) == WORKERS && ms < 5000,
	      "%d of %d threads ran in %ld ms beside the loopers",
	      atomic_load(&workers_ran), WORKERS, ms);
	CHECK(atomic_load(&loopers_loops) > 0, "the loopers never ran");
	printf("workers ran after %ld ms\n", ms);
	atomic_store(&loopers_stop, 1);
	for (i = 0; i < LOOPERS; i++)
		CHECK(!pthread_join(l[i], NULL), "pthread_join");
	for (i = 0; i < WORKERS; i++)
		CHECK(!pthread_join(w[i], NULL), "pthread_join");
	puts("ok");
	return 0;
}
