/*
 * Proves that pthread barriers synchronise every round: 16 threads pass one
 * barrier 2000 times; in each round exactly one of them gets
 * PTHREAD_BARRIER_SERIAL_THREAD (the others 0), and the values every
 * thread wrote before the barrier are seen by all of them after it.  Also
 * pthread_barrier_init with count 0 fails with EINVAL.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define NTHREADS 16
#define NROUNDS	 2000

static pthread_barrier_t barrier;
static atomic_int serial[NROUNDS];
/* Round r uses data[r % 2]: nobody writes it again before all have read. */
static int data[2][NTHREADS];

static int value(int round, int id)
{
	return round * NTHREADS + id + 1;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg, r, i, ret;

	for (r = 0; r < NROUNDS; r++) {
		data[r % 2][id] = value(r, id);
		ret = pthread_barrier_wait(&barrier);
		CHECK(ret == 0 || ret == PTHREAD_BARRIER_SERIAL_THREAD,
		      "thread %d round %d: barrier_wait returned %d", id, r,
		      ret);
		if (ret == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&serial[r], 1);
		for (i = 0; i < NTHREADS; i++)
			CHECK(data[r % 2][i] == value(r, i),
			      "thread %d round %d: slot %d holds %d, want %d",
			      id, r, i, data[r % 2][i], value(r, i));
	}
	return NULL;
}

int main(void)
{
	pthread_barrier_t b0;
	pthread_t t[NTHREADS];
	int i, err;

	watchdog(30);

	err = pthread_barrier_init(&b0, NULL, 0);
	CHECK(err == EINVAL, "barrier_init with count 0: %d", err);

	CHECK(pthread_barrier_init(&barrier, NULL, NTHREADS) == 0,
	      "barrier_init");
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	for (i = 0; i < NROUNDS; i++)
		CHECK(atomic_load(&serial[i]) == 1,
		      "round %d had %d serial threads", i,
		      atomic_load(&serial[i]));
	CHECK(pthread_barrier_destroy(&barrier) == 0, "barrier_destroy");
	return 0;
}
