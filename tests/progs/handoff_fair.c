/*
 * Proves that threads handing the CPU to each other where they block do
 * not keep runnable threads waiting for ever: main creates 8 workers, each
 * of which only records that it ran (one sleeps 1 ms first), then loops
 * creating a thread that returns at once and joining it, for at most 2,000,000
 * rounds or 30 s. Every worker must have run before the loop ends, and main
 * then joins them all.
 *
 * On one processor with a run queue, the creator and the created thread
 * take turns ahead of the queue (each is the next to run when the other
 * blocks) and reach no other point where they could be preempted.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

#define NWORKERS   8
#define MAX_ROUNDS 2000000
#define MAX_NS	   (30000 * MS)

static atomic_int ran;

static void *worker(void *arg)
{
	if (arg) {
		struct timespec ms = { 0, 1000000 };

		CHECK(nanosleep(&ms, NULL) == 0, "nanosleep: %m");
	}
	atomic_fetch_add(&ran, 1);
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	pthread_t w[NWORKERS], t;
	uint64_t start = now_ns();
	long rounds = 0;
	int i;

	for (i = 0; i < NWORKERS; i++)
		CHECK(pthread_create(&w[i], NULL, worker,
				     (void *)(intptr_t)(i == 0)) == 0,
		      "create worker %d", i);
	while (atomic_load(&ran) < NWORKERS && rounds < MAX_ROUNDS &&
	       now_ns() - start < MAX_NS) {
		CHECK(pthread_create(&t, NULL, nothing, NULL) == 0, "create");
		CHECK(pthread_join(t, NULL) == 0, "join");
		rounds++;
	}
	CHECK(atomic_load(&ran) == NWORKERS,
	      "%d of %d workers ran in %ld rounds, %.1f s", atomic_load(&ran),
	      NWORKERS, rounds, (now_ns() - start) / 1e9);
	for (i = 0; i < NWORKERS; i++)
		CHECK(pthread_join(w[i], NULL) == 0, "join worker %d", i);
	printf("all %d workers ran within %ld rounds\n", NWORKERS, rounds);
	return 0;
}
