/*
 * spawn - thread create+join throughput.
 *
 * Phase 1 (create_join_seq): N times, pthread_create a thread that returns
 * immediately and pthread_join it before creating the next one.
 * Phase 2 (create_join_wave): waves of WAVE threads, all created first and
 * then all joined, for about N threads in total.
 * Both metrics are wall time per thread (create + join) in ns.
 *
 * Usage: spawn [N]   (default 20000)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define DEFAULT_N 20000
#define WAVE	  100

static void *ret_arg(void *arg)
{
	return arg;
}

static void create(pthread_t *t, uintptr_t id)
{
	int err = pthread_create(t, NULL, ret_arg, (void *)id);

	if (err)
		fail("pthread_create", err);
}

static void join(pthread_t t, uintptr_t id)
{
	void *ret;
	int err = pthread_join(t, &ret);

	if (err)
		fail("pthread_join", err);
	if ((uintptr_t)ret != id) {
		fprintf(stderr, "spawn: thread %lu returned %p\n",
			(unsigned long)id, ret);
		exit(1);
	}
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "usage: spawn [N]  (N > 0)\n");
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? parse_count(argv[1]) : DEFAULT_N;
	long waves = n / WAVE > 0 ? n / WAVE : 1;
	pthread_t wave[WAVE];
	double t0;
	long i, w;
	int k;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		pthread_t t;

		create(&t, i);
		join(t, i);
	}
	printf("metric create_join_seq %.1f ns/op\n", (now_ns() - t0) / n);
	fflush(stdout);

	t0 = now_ns();
	for (w = 0; w < waves; w++) {
		for (k = 0; k < WAVE; k++)
			create(&wave[k], k);
		for (k = 0; k < WAVE; k++)
			join(wave[k], k);
	}
	printf("metric create_join_wave %.1f ns/op\n",
	       (now_ns() - t0) / (waves * WAVE));
	return 0;
}
