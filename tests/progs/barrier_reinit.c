// SPDX-License-Identifier: MIT
/*
 * The thread that completes a barrier's round (PTHREAD_BARRIER_SERIAL_THREAD)
 * may destroy and initialise it again at once, while the others of its
 * round are still on their way out, as glibc's tst-barrier4 does:
 * pthread_barrier_destroy waits for them. 20 threads pass two such
 * barriers 200 times, private and then process-shared; every round must
 * have exactly one serial thread, and nobody may hang.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define N      20
#define ROUNDS 200

static pthread_barrier_t b1, b2;
static pthread_barrierattr_t battr;
static _Atomic int serial1, serial2;

static void pass(pthread_barrier_t *b, _Atomic int *serial)
{
	int r = pthread_barrier_wait(b);

	CHECK(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD,
	      "pthread_barrier_wait: %d", r);
	if (r != PTHREAD_BARRIER_SERIAL_THREAD)
		return;
	atomic_fetch_add(serial, 1);
	CHECK(pthread_barrier_destroy(b) == 0, "pthread_barrier_destroy");
	CHECK(pthread_barrier_init(b, &battr, N) == 0, "pthread_barrier_init");
}

static void *run(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pass(&b1, &serial1);
		pass(&b2, &serial2);
	}
	return NULL;
}

static void check_rounds(int pshared)
{
	pthread_t t[N - 1];

	atomic_store(&serial1, 0);
	atomic_store(&serial2, 0);
	CHECK(pthread_barrierattr_init(&battr) == 0, "attr init");
	CHECK(pthread_barrierattr_setpshared(&battr, pshared) == 0,
	      "setpshared");
	CHECK(pthread_barrier_init(&b1, &battr, N) == 0, "init b1");
	CHECK(pthread_barrier_init(&b2, &battr, N) == 0, "init b2");
	for (int i = 0; i < N - 1; i++)
		CHECK(pthread_create(&t[i], NULL, run, NULL) == 0,
		      "pthread_create");
	run(NULL);
	for (int i = 0; i < N - 1; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(atomic_load(&serial1) == ROUNDS &&
		      atomic_load(&serial2) == ROUNDS,
	      "pshared %d: %d and %d serial threads for %d rounds", pshared,
	      atomic_load(&serial1), atomic_load(&serial2), ROUNDS);
	CHECK(pthread_barrier_destroy(&b1) == 0, "destroy b1");
	CHECK(pthread_barrier_destroy(&b2) == 0, "destroy b2");
	CHECK(pthread_barrierattr_destroy(&battr) == 0, "attr destroy");
}

int main(void)
{
	watchdog(50);
	check_rounds(PTHREAD_PROCESS_PRIVATE);
	check_rounds(PTHREAD_PROCESS_SHARED);
	return 0;
}
