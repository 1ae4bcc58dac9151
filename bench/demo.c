/*
 * demo - a thread-heavy program: many threads alive at once, each doing a
 * little work per round and yielding between rounds.
 *
 * Creates `threads` threads; each announces itself on an atomic counter and
 * waits (sched_yield loop) until main has seen all of them start and
 * releases them. Each thread then runs `rounds` rounds of WORK iterations of
 * an integer hash seeded by its id, calling sched_yield() between rounds.
 * Main joins all threads and checks the combined checksum against the same
 * computation done serially.
 *
 * demo_wall is the wall time from the first pthread_create to the last
 * pthread_join, in ms.
 *
 * Usage: demo [threads] [rounds]   (defaults 20000 and 50)
 * Exits 1 if the checksum is wrong.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define DEFAULT_THREADS 20000
#define DEFAULT_ROUNDS	50
#define WORK		200

struct worker {
	pthread_t tid;
	uint64_t id;
	uint64_t sum;
};

static atomic_long started;
static atomic_bool go;
static long rounds;

/* One round of work: WORK steps of a 64-bit mix function (splitmix64). */
static uint64_t work(uint64_t id, long round)
{
	uint64_t x = id * 0x9e3779b97f4a7c15ULL + (uint64_t)round;
	int i;

	for (i = 0; i < WORK; i++) {
		x += 0x9e3779b97f4a7c15ULL;
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		x ^= x >> 31;
	}
	return x;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t sum = 0;
	long r;

	atomic_fetch_add(&started, 1);
	while (!atomic_load(&go))
		sched_yield();
	for (r = 0; r < rounds; r++) {
		sum += work(w->id, r);
		sched_yield();
	}
	w->sum = sum;
	return NULL;
}

static long parse_count(const char *s, const char *what)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "demo: %s must be a positive integer\n", what);
		fprintf(stderr, "usage: demo [threads] [rounds]\n");
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long nthreads =
		argc > 1 ? parse_count(argv[1], "threads") : DEFAULT_THREADS;
	uint64_t got = 0, want = 0;
	struct worker *w;
	double t0, wall;
	long i, r;
	int err;

	rounds = argc > 2 ? parse_count(argv[2], "rounds") : DEFAULT_ROUNDS;
	w = calloc(nthreads, sizeof(*w));
	if (!w) {
		fprintf(stderr, "demo: out of memory\n");
		return 1;
	}

	t0 = now_ns();
	for (i = 0; i < nthreads; i++) {
		w[i].id = i;
		err = pthread_create(&w[i].tid, NULL, run, &w[i]);
		if (err) {
			fprintf(stderr, "demo: pthread_create #%ld: %s\n", i,
				strerror(err));
			return 1;
		}
	}
	while (atomic_load(&started) < nthreads)
		sched_yield();
	atomic_store(&go, true);
	for (i = 0; i < nthreads; i++) {
		err = pthread_join(w[i].tid, NULL);
		if (err) {
			fprintf(stderr, "demo: pthread_join #%ld: %s\n", i,
				strerror(err));
			return 1;
		}
		got += w[i].sum;
	}
	wall = (now_ns() - t0) / 1e6;

	for (i = 0; i < nthreads; i++)
		for (r = 0; r < rounds; r++)
			want += work(i, r);

	printf("metric demo_wall %.1f ms\n", wall);
	printf("metric demo_threads %ld threads\n", nthreads);
	if (got != want) {
		fprintf(stderr, "checksum BAD: got %016llx want %016llx\n",
			(unsigned long long)got, (unsigned long long)want);
		return 1;
	}
	printf("checksum ok\n");
	return 0;
}
