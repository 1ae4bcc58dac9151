/*
 * Proves that threads looping on calls that make and close fds, and never
 * block, do not keep the others from running: two threads loop on
 * socket() and close() while main sleeps 20 ms, then creates four more
 * threads that must each run once, as main sleeps 1 ms at a time: all of
 * it within 5 s (natively: milliseconds). Under sprout at one P the loopers held the P
 * for ever, main's timer never ran: their calls were no scheduling
 * points and the preemption kicks landed in libc.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "check.h"

#define LOOPERS 2
#define WORKERS 4

static atomic_int ran, stop;
static atomic_long loops;

static void *looper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		CHECK(s >= 0, "socket: %s", strerror(errno));
		CHECK(close(s) == 0, "close: %s", strerror(errno));
		atomic_fetch_add(&loops, 1);
	}
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ran, 1);
	return NULL;
}

int main(void)
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
	} while (atomic_load(&ran) < WORKERS && ms < 5000);
	CHECK(atomic_load(&ran) == WORKERS && ms < 5000,
	      "%d of %d threads ran in %ld ms beside the loopers",
	      atomic_load(&ran), WORKERS, ms);
	CHECK(atomic_load(&loops) > 0, "the loopers never ran");
	atomic_store(&stop, 1);
	for (i = 0; i < LOOPERS; i++)
		CHECK(!pthread_join(l[i], NULL), "pthread_join");
	for (i = 0; i < WORKERS; i++)
		CHECK(!pthread_join(w[i], NULL), "pthread_join");
	puts("ok");
	return 0;
}
