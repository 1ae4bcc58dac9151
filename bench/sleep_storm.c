/*
 * sleep_storm - many threads sleeping in short naps at once.
 *
 *	sleep_storm [THREADS [NAPS]]	(default 10000 threads x 100 naps)
 *
 * THREADS threads each sleep NAPS times for 1 ms (nanosleep). They start
 * together at a barrier; the wall time from the start to the last join is
 * compared with the ideal, NAPS ms. Reports the wall time, the ideal and
 * their ratio. Threads have 64 KiB stacks, so that 10,000 fit natively.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

static pthread_barrier_t start;
static long naps;

static void *napper(void *arg)
{
	struct timespec nap = { 0, 1000000 };
	long i;

	(void)arg;
	pthread_barrier_wait(&start);
	for (i = 0; i < naps; i++)
		nanosleep(&nap, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = argc > 1 ? atol(argv[1]) : 10000, i;
	pthread_attr_t attr;
	pthread_t *t;
	double t0, wall;
	int err;

	naps = argc > 2 ? atol(argv[2]) : 100;
	if (threads < 1 || naps < 1) {
		fprintf(stderr, "usage: sleep_storm [THREADS [NAPS]]\n");
		return 2;
	}
	t = calloc((size_t)threads, sizeof(*t));
	if (!t)
		fail("calloc", ENOMEM);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_barrier_init(&start, NULL, (unsigned int)threads + 1);
	for (i = 0; i < threads; i++) {
		err = pthread_create(&t[i], &attr, napper, NULL);
		if (err)
			fail("pthread_create", err);
	}
	t0 = now_ns();
	pthread_barrier_wait(&start);
	for (i = 0; i < threads; i++) {
		err = pthread_join(t[i], NULL);
		if (err)
			fail("pthread_join", err);
	}
	wall = (now_ns() - t0) / 1e6;
	printf("metric sleep_storm_wall %.1f ms\n", wall);
	printf("metric sleep_storm_ideal %ld ms\n", naps);
	printf("metric sleep_storm_over_ideal %.3f x\n", wall / (double)naps);
	free(t);
	return 0;
}
