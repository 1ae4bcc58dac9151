/*
 * Proves that no thread starves on a busy mutex: 4 threads, started
 * together, each repeatedly lock a shared mutex, hold it for a ~2 us busy
 * loop, unlock and at once try again, for 300 ms of wall time; every
 * thread must have acquired the mutex at least 10 times.  The counts are
 * printed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

#define NTHREADS 4
#define HOLD_NS	 2000
#define RUN_NS	 300000000ull
#define MIN_ACQ	 10

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static uint64_t end_ns;
static long acquired[NTHREADS];

/* Main and the workers meet here; main has set end_ns before. */
static void start_together(void)
{
	int ret = pthread_barrier_wait(&start);

	CHECK(ret == 0 || ret == PTHREAD_BARRIER_SERIAL_THREAD,
	      "barrier_wait: %d", ret);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t t;

	start_together();
	while (now_ns() < end_ns) {
		CHECK(pthread_mutex_lock(&m) == 0, "lock");
		acquired[id]++;
		t = now_ns();
		while (now_ns() - t < HOLD_NS)
			;
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	int i, err;

	watchdog(30);

	CHECK(pthread_barrier_init(&start, NULL, NTHREADS + 1) == 0,
	      "barrier_init");
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	end_ns = now_ns() + RUN_NS;
	start_together();
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	for (i = 0; i < NTHREADS; i++)
		printf("thread %d: %ld acquisitions\n", i, acquired[i]);
	for (i = 0; i < NTHREADS; i++)
		CHECK(acquired[i] >= MIN_ACQ, "thread %d starved: %ld < %d", i,
		      acquired[i], MIN_ACQ);
	CHECK(pthread_barrier_destroy(&start) == 0, "barrier_destroy");
	return 0;
}
