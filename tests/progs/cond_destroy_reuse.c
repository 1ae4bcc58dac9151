/*
 * A condvar may be destroyed, and its memory reused, as soon as the
 * thread that woke its waiters has signalled and unlocked: the waiters
 * have not run yet, or have not even parked (glibc's tst-cond20). Here
 * the memory is cleared to zero after each round, which puts the
 * sequence word back where a waiter that has not parked yet read it, and
 * set up again once every waiter is past. A waiter that read the cleared
 * word would sleep for ever: the watchdog fails the test.
 */
#include <pthread.h>
#include <string.h>

#include "check.h"

#define N      6
#define ROUNDS 3000

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_in = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t mut = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t past;
static int count;

static void *waiter(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		CHECK(pthread_mutex_lock(&mut) == 0, "lock");
		if (++count == N)
			pthread_cond_signal(&all_in);
		CHECK(pthread_cond_wait(&cond, &mut) == 0, "cond_wait");
		CHECK(pthread_mutex_unlock(&mut) == 0, "unlock");
		pthread_barrier_wait(&past);
		pthread_barrier_wait(&past);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	int i, j;

	watchdog(60);
	CHECK(pthread_barrier_init(&past, NULL, N + 1) == 0, "barrier_init");
	CHECK(pthread_mutex_lock(&mut) == 0, "lock");
	for (i = 0; i < N; i++)
		CHECK(pthread_create(&t[i], NULL, waiter, NULL) == 0,
		      "pthread_create");
	for (i = 0; i < ROUNDS; i++) {
		while (count != N)
			pthread_cond_wait(&all_in, &mut);
		/* Unlock before or after waking, signal each or broadcast. */
		if (i & 1)
			CHECK(pthread_mutex_unlock(&mut) == 0, "unlock");
		if (i & 2)
			pthread_cond_broadcast(&cond);
		else
			for (j = 0; j < N; j++)
				pthread_cond_signal(&cond);
		if (!(i & 1))
			CHECK(pthread_mutex_unlock(&mut) == 0, "unlock");
		CHECK(pthread_cond_destroy(&cond) == 0, "cond_destroy");
		memset(&cond, 0, sizeof(cond));
		pthread_barrier_wait(&past);
		CHECK(pthread_mutex_lock(&mut) == 0, "lock");
		pthread_barrier_wait(&past);
		count = 0;
		CHECK(pthread_cond_init(&cond, NULL) == 0, "cond_init");
	}
	for (i = 0; i < N; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	return 0;
}
