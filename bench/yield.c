/*
 * yield - sched_yield() cost.
 *
 * yield_roundtrip: two threads share an atomic turn variable; each waits
 * for its turn by calling sched_yield() until turn == me, then hands the
 * turn to the other. Reported as wall time per round trip (both threads
 * having had the turn once), N round trips.
 * yield_64: 64 threads each call sched_yield() N/16 times with no
 * coordination. Reported as total wall time / total yield calls.
 *
 * Each phase stops early after PHASE_LIMIT_S seconds (so a whole run is
 * bounded by about 60 s) and reports what was done up to then.
 *
 * Usage: yield [N]   (default 200000)
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define DEFAULT_N     200000
#define NR_CROWD      64
#define PHASE_LIMIT_S 30

struct worker {
	pthread_t tid;
	int id;
	long todo;
	long done;
};

static atomic_int turn;
static atomic_bool stop;
static atomic_bool go;
static atomic_int ready;
static double deadline;

/* True once the phase deadline passed; reads the clock every 1024 calls. */
static bool should_stop(unsigned long *tick)
{
	if (atomic_load_explicit(&stop, memory_order_relaxed))
		return true;
	if ((++*tick & 1023) == 0 && now_ns() > deadline) {
		atomic_store(&stop, true);
		return true;
	}
	return false;
}

static void *pingpong(void *arg)
{
	struct worker *w = arg;
	unsigned long tick = 0;
	long done = 0;

	while (done < w->todo && !should_stop(&tick)) {
		if (atomic_load(&turn) != w->id) {
			sched_yield();
			continue;
		}
		atomic_store(&turn, !w->id);
		done++;
	}
	w->done = done;
	return NULL;
}

static void *crowd(void *arg)
{
	struct worker *w = arg;
	unsigned long tick = 0;
	long done = 0;

	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&go))
		sched_yield();
	while (done < w->todo && !should_stop(&tick)) {
		sched_yield();
		done++;
	}
	w->done = done;
	return NULL;
}

static void start(struct worker *w, void *(*fn)(void *), int id, long todo)
{
	int err;

	w->id = id;
	w->todo = todo;
	w->done = 0;
	err = pthread_create(&w->tid, NULL, fn, w);
	if (err)
		fail("pthread_create", err);
}

static void join(struct worker *w)
{
	int err = pthread_join(w->tid, NULL);

	if (err)
		fail("pthread_join", err);
}

static void begin_phase(void)
{
	atomic_store(&stop, false);
	deadline = now_ns() + PHASE_LIMIT_S * 1e9;
}

static void report_early(const char *phase, long done, long todo)
{
	if (done < todo)
		fprintf(stderr, "yield: %s stopped after %d s: %ld of %ld\n",
			phase, PHASE_LIMIT_S, done, todo);
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 16) {
		fprintf(stderr, "usage: yield [N]  (N >= 16)\n");
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? parse_count(argv[1]) : DEFAULT_N;
	struct worker pair[2], many[NR_CROWD];
	long done, todo;
	double t0, elapsed;
	int i, ret = 0;

	begin_phase();
	t0 = now_ns();
	for (i = 0; i < 2; i++)
		start(&pair[i], pingpong, i, n);
	for (i = 0; i < 2; i++)
		join(&pair[i]);
	elapsed = now_ns() - t0;
	/* A round trip is complete once thread 1 has handed the turn back. */
	done = pair[1].done;
	report_early("yield_roundtrip", done, n);
	if (done > 0)
		printf("metric yield_roundtrip %.1f ns/op\n", elapsed / done);
	else
		ret = 1;
	fflush(stdout);

	begin_phase();
	todo = n / 16;
	for (i = 0; i < NR_CROWD; i++)
		start(&many[i], crowd, i, todo);
	while (atomic_load(&ready) < NR_CROWD)
		sched_yield();
	t0 = now_ns();
	atomic_store(&go, true);
	for (i = 0; i < NR_CROWD; i++)
		join(&many[i]);
	elapsed = now_ns() - t0;
	done = 0;
	for (i = 0; i < NR_CROWD; i++)
		done += many[i].done;
	report_early("yield_64", done, NR_CROWD * todo);
	if (done > 0)
		printf("metric yield_64 %.1f ns/op\n", elapsed / done);
	else
		ret = 1;
	return ret;
}
