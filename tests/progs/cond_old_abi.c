/*
 * Proves that programs linked against glibc's old condvar ABI work: this
 * program binds pthread_cond_{init,destroy,wait,timedwait,signal,broadcast}
 * to their GLIBC_2.2.5 versions, as binaries built before glibc 2.3.2 do,
 * and runs a ping-pong, a broadcast to 8 waiters and a timed wait.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "check.h"

__asm__(".symver pthread_cond_init, pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver pthread_cond_destroy, pthread_cond_destroy@GLIBC_2.2.5");
__asm__(".symver pthread_cond_wait, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver pthread_cond_timedwait, pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver pthread_cond_signal, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver pthread_cond_broadcast, pthread_cond_broadcast@GLIBC_2.2.5");

#define ROUNDS	10000
#define WAITERS 8

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c;
static int turn, gen, arrived, done;

static void *ponger(void *arg)
{
	int i;

	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	for (i = 0; i < ROUNDS; i++) {
		while (turn != 1)
			CHECK(pthread_cond_wait(&c, &m) == 0, "wait");
		turn = 0;
		CHECK(pthread_cond_signal(&c) == 0, "signal");
	}
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

static void *gen_waiter(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	arrived++;
	CHECK(pthread_cond_broadcast(&c) == 0, "broadcast");
	while (gen == 0)
		CHECK(pthread_cond_wait(&c, &m) == 0, "wait");
	done++;
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

int main(void)
{
	pthread_t t, w[WAITERS];
	struct timespec ts;
	int i;

	watchdog(30);
	CHECK(pthread_cond_init(&c, NULL) == 0, "init");
	CHECK(pthread_create(&t, NULL, ponger, NULL) == 0, "create");
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	for (i = 0; i < ROUNDS; i++) {
		turn = 1;
		CHECK(pthread_cond_signal(&c) == 0, "signal");
		while (turn != 0)
			CHECK(pthread_cond_wait(&c, &m) == 0, "wait");
	}
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_join(t, NULL) == 0, "join");

	for (i = 0; i < WAITERS; i++)
		CHECK(pthread_create(&w[i], NULL, gen_waiter, NULL) == 0,
		      "create");
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	while (arrived < WAITERS)
		CHECK(pthread_cond_wait(&c, &m) == 0, "wait");
	gen = 1;
	CHECK(pthread_cond_broadcast(&c) == 0, "broadcast");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	for (i = 0; i < WAITERS; i++)
		CHECK(pthread_join(w[i], NULL) == 0, "join");
	CHECK(done == WAITERS, "%d of %d waiters woke", done, WAITERS);

	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	ts = deadline_in(CLOCK_REALTIME, 50);
	CHECK(pthread_cond_timedwait(&c, &m, &ts) == ETIMEDOUT, "timedwait");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_cond_destroy(&c) == 0, "destroy");
	return 0;
}
