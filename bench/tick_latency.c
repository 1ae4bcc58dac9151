/*
 * tick_latency - a periodic thread beside N CPU-bound threads: how late
 * its ticks are, and how evenly the CPU-bound threads share the CPUs.
 *
 * N threads loop on integer work without calling libc (only preemption
 * can take their CPU), counting rounds, until a stop flag is raised. One
 * more thread sleeps to absolute deadlines 1 ms apart (clock_nanosleep,
 * TIMER_ABSTIME) and records how late each wake-up is. After SECONDS of
 * wall time main raises the flag and joins them all.
 *
 *	tick_p50_us	median lateness of a tick, us
 *	tick_p99_us	99th percentile lateness, us
 *	cpu_spread	the spread of rounds over the N threads: their standard
 *			deviation over their mean, % (0: perfectly even)
 *	cpu_rounds	rounds of work per second, all N threads together
 *
 * The run fails if a thread did no round at all, or the ticker no tick.
 *
 * Usage: tick_latency N [SECONDS]   (default 1.0 s)
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

#define MAX_THREADS 10000
#define MAX_SECONDS 30.0
#define TICK_NS	    1000000
#define ROUND_WORK  1000

static atomic_bool stop;
static uint64_t *rounds;
static double *late;
static size_t nlate, maxlate;

static void *busy(void *arg)
{
	uint64_t *count = arg, x = (uintptr_t)arg, n = 0;
	int i;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (i = 0; i < ROUND_WORK; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		n++;
	}
	*count = n + (x == 42); /* keeps the work alive */
	return NULL;
}

static void *ticker(void *arg)
{
	struct timespec at;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &at);
	while (!atomic_load(&stop) && nlate < maxlate) {
		at.tv_nsec += TICK_NS;
		if (at.tv_nsec >= 1000000000) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
				       NULL))
			;
		late[nlate++] = now_ns() - (at.tv_sec * 1e9 + at.tv_nsec);
	}
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 1.0, t0, sum = 0, sq = 0, mean;
	long n = argc > 1 ? atol(argv[1]) : 0, i;
	pthread_t *t, tick;
	int r;

	if (n < 1 || n > MAX_THREADS || !(secs > 0 && secs <= MAX_SECONDS)) {
		fprintf(stderr,
			"usage: tick_latency N [SECONDS] (N 1..%d, "
			"SECONDS up to %.0f)\n",
			MAX_THREADS, MAX_SECONDS);
		return 2;
	}
	maxlate = (size_t)(secs * 1e9 / TICK_NS) + 16;
	t = calloc((size_t)n, sizeof(*t));
	rounds = calloc((size_t)n, sizeof(*rounds));
	late = calloc(maxlate, sizeof(*late));
	if (!t || !rounds || !late)
		fail("calloc", ENOMEM);
	for (i = 0; i < n; i++)
		if ((r = pthread_create(&t[i], NULL, busy, &rounds[i])))
			fail("pthread_create", r);
	if ((r = pthread_create(&tick, NULL, ticker, NULL)))
		fail("pthread_create", r);
	t0 = now_ns();
	while (now_ns() - t0 < secs * 1e9) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	pthread_join(tick, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	secs = (now_ns() - t0) / 1e9;

	for (i = 0; i < n; i++) {
		if (!rounds[i]) {
			fprintf(stderr,
				"tick_latency: thread %ld did no round\n", i);
			return 1;
		}
		sum += (double)rounds[i];
	}
	mean = sum / (double)n;
	for (i = 0; i < n; i++)
		sq += ((double)rounds[i] - mean) * ((double)rounds[i] - mean);
	if (!nlate) {
		fprintf(stderr, "tick_latency: no tick\n");
		return 1;
	}
	qsort(late, nlate, sizeof(*late), by_value);
	printf("metric tick_p50_us %.1f us\n", late[nlate / 2] / 1e3);
	printf("metric tick_p99_us %.1f us\n", late[nlate * 99 / 100] / 1e3);
	printf("metric cpu_spread %.1f %%\n",
	       100 * sqrt(sq / (double)n) / mean);
	printf("metric cpu_rounds %.0f rounds/s\n", sum / secs);
	return 0;
}
