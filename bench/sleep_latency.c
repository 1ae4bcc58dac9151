/*
 * sleep_latency - how much longer than asked a short nanosleep() takes,
 * in an otherwise idle process.
 *
 * One thread (not main) sleeps COUNT times for each of 10 us, 100 us and
 * 1 ms, one sleep after another, after main has written to stdout (as a
 * program with any I/O, whose runtime may then wait in epoll), and
 * records how late each wakes (its
 * measured length less the length asked). Natively the kernel's timer
 * slack (50 us) bounds it; a runtime that waits in whole milliseconds
 * makes a 10 us sleep last 1 ms.
 *
 *	late_10us_p50_us	median lateness of a 10 us sleep, us
 *	late_10us_p99_us	its 99th percentile, us
 *	late_100us_p50_us	the same for 100 us
 *	late_1ms_p50_us		and for 1 ms
 *
 * Usage: sleep_latency [COUNT]   (default 500)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

#define MAX_COUNT 100000

static long count = 500;
static double *late;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sleeps count times for ns each; sorts their lateness into late. */
static void sleep_many(long ns)
{
	struct timespec ts = { 0, ns };

	for (long i = 0; i < count; i++) {
		double t = now_ns();

		if (nanosleep(&ts, NULL))
			fail("nanosleep", errno);
		late[i] = now_ns() - t - (double)ns;
	}
	qsort(late, (size_t)count, sizeof(*late), cmp);
}

static void *sleeper(void *arg)
{
	(void)arg;
	sleep_many(10000);
	printf("metric late_10us_p50_us %.1f us\n", late[count / 2] / 1e3);
	printf("metric late_10us_p99_us %.1f us\n",
	       late[count * 99 / 100] / 1e3);
	sleep_many(100000);
	printf("metric late_100us_p50_us %.1f us\n", late[count / 2] / 1e3);
	sleep_many(1000000);
	printf("metric late_1ms_p50_us %.1f us\n", late[count / 2] / 1e3);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int err;

	if (argc > 1)
		count = atol(argv[1]);
	if (count < 1 || count > MAX_COUNT) {
		fprintf(stderr, "usage: sleep_latency [COUNT] (1 to %d)\n",
			MAX_COUNT);
		return 2;
	}
	printf("sleep_latency: %ld sleeps of each length\n", count);
	fflush(stdout);
	late = malloc((size_t)count * sizeof(*late));
	if (!late)
		fail("malloc", ENOMEM);
	err = pthread_create(&t, NULL, sleeper, NULL);
	if (err)
		fail("pthread_create", err);
	pthread_join(t, NULL);
	return 0;
}
