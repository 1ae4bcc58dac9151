/*
 * mutex_contention - throughput of one mutex shared by THREADS threads.
 *
 * Each thread loops: lock the shared mutex, increment a shared counter and
 * mix a shared value WORK_IN times, unlock, then mix a value of its own
 * WORK_OUT times. All threads are created first (64 KiB stacks, whatever
 * THREADS is) and wait at a barrier, so creation is not measured; main then
 * lets them run for SECONDS of wall time and raises a stop flag that every
 * thread checks once per iteration.
 *
 * mutex_T<THREADS>_ops is the total number of lock/unlock pairs per second
 * of that wall time (the at most one iteration per thread still under way
 * when the flag is raised is counted too). The run fails if the shared
 * counter differs from the sum of the per-thread counts.
 *
 * Usage: mutex_contention THREADS [SECONDS]   (default 1.0 s)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define DEFAULT_SECONDS 1.0
#define MAX_SECONDS	15.0
#define MAX_THREADS	100000
#define STACK_SIZE	(64 * 1024)
#define WORK_IN		20
#define WORK_OUT	20

struct worker {
	pthread_t tid;
	uint64_t seed;
	unsigned long count;
	uint64_t sink; /* keeps the work outside the lock alive */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static atomic_bool stop;
/* Under mu. */
static unsigned long counter;
static uint64_t shared_mix;

/* A few rounds of a 64-bit integer mix (murmur3's finaliser). */
static uint64_t mix(uint64_t x, int rounds)
{
	int i;

	for (i = 0; i < rounds; i++) {
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdULL;
		x ^= x >> 29;
	}
	return x;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned long count = 0;
	uint64_t x = w->seed;
	int err;

	err = pthread_barrier_wait(&start);
	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		fail("pthread_barrier_wait", err);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		err = pthread_mutex_lock(&mu);
		if (err)
			fail("pthread_mutex_lock", err);
		counter++;
		shared_mix = mix(shared_mix + count, WORK_IN);
		err = pthread_mutex_unlock(&mu);
		if (err)
			fail("pthread_mutex_unlock", err);
		x = mix(x + 1, WORK_OUT);
		count++;
	}
	w->count = count;
	w->sink = x;
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mutex_contention THREADS [SECONDS]  "
		"(1 <= THREADS <= %d, 0 < SECONDS <= %g)\n",
		MAX_THREADS, MAX_SECONDS);
	exit(2);
}

static long parse_threads(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1 || n > MAX_THREADS)
		usage();
	return n;
}

static double parse_seconds(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(d > 0) || d > MAX_SECONDS)
		usage();
	return d;
}

/* Sleep until now_ns() reaches the given time. */
static void sleep_until(double t)
{
	double left;

	while ((left = t - now_ns()) > 0) {
		long long ns = (long long)left + 1;
		struct timespec ts = { .tv_sec = ns / 1000000000,
				       .tv_nsec = ns % 1000000000 };

		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	long nthreads, i;
	double seconds, t0, elapsed;
	unsigned long total = 0;
	struct worker *w;
	pthread_attr_t attr;
	int err;

	if (argc < 2 || argc > 3)
		usage();
	nthreads = parse_threads(argv[1]);
	seconds = argc > 2 ? parse_seconds(argv[2]) : DEFAULT_SECONDS;

	w = calloc(nthreads, sizeof(*w));
	if (!w)
		fail("calloc", errno);
	err = pthread_barrier_init(&start, NULL, nthreads + 1);
	if (err)
		fail("pthread_barrier_init", err);
	err = pthread_attr_init(&attr);
	if (err)
		fail("pthread_attr_init", err);
	err = pthread_attr_setstacksize(&attr, STACK_SIZE);
	if (err)
		fail("pthread_attr_setstacksize", err);

	for (i = 0; i < nthreads; i++) {
		w[i].seed = i + 1;
		err = pthread_create(&w[i].tid, &attr, work, &w[i]);
		if (err)
			fail("pthread_create", err);
	}
	err = pthread_barrier_wait(&start);
	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		fail("pthread_barrier_wait", err);
	t0 = now_ns();
	sleep_until(t0 + seconds * 1e9);
	atomic_store(&stop, true);
	elapsed = now_ns() - t0;

	for (i = 0; i < nthreads; i++) {
		err = pthread_join(w[i].tid, NULL);
		if (err)
			fail("pthread_join", err);
		total += w[i].count;
	}
	if (total != counter) {
		fprintf(stderr,
			"mutex_contention: counter %lu != sum of per-thread "
			"counts %lu\n",
			counter, total);
		return 1;
	}
	printf("metric mutex_T%ld_ops %.0f ops/s\n", nthreads,
	       total / (elapsed / 1e9));

	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&start);
	free(w);
	return 0;
}
