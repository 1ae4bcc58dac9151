/*
 * Proves that pthread_mutex_destroy() refuses (EBUSY), as glibc's does, a
 * mutex that is locked (by lock or trylock, normal, recursive, errorcheck,
 * process-shared, and one whose shared lock word says it has waiters), and
 * one that a thread waiting on a condition variable will take back when
 * woken; that it succeeds once that thread has been woken and unlocked it,
 * or was cancelled in the wait and unlocked it in a cleanup handler; and
 * that a destroyed mutex's lock and unlock give EINVAL.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

static pthread_mutex_t m;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static int done;

static void unlock_m(void *arg)
{
	(void)arg;
	pthread_mutex_unlock(&m);
}

static void *waiter(void *arg)
{
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	pthread_barrier_wait(&bar);
	pthread_cleanup_push(unlock_m, NULL);
	while (!done)
		CHECK(pthread_cond_wait(&cv, &m) == 0 || arg, "cond_wait");
	pthread_cleanup_pop(1);
	return NULL;
}

static void init(int type, int pshared)
{
	pthread_mutexattr_t a;

	CHECK(pthread_mutexattr_init(&a) == 0, "attr");
	CHECK(pthread_mutexattr_settype(&a, type) == 0, "settype");
	CHECK(pthread_mutexattr_setpshared(&a, pshared) == 0, "setpshared");
	CHECK(pthread_mutex_init(&m, &a) == 0, "init");
	pthread_mutexattr_destroy(&a);
}

static void *lock_briefly(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "blocked lock");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

static void one(int type, int pshared, bool cancel)
{
	pthread_t t;
	void *r;

	init(type, pshared);
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	CHECK(pthread_mutex_destroy(&m) == EBUSY, "destroy locked");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_mutex_trylock(&m) == 0, "trylock");
	CHECK(pthread_mutex_destroy(&m) == EBUSY, "destroy trylocked");
	/* A second thread blocks on it: the word says so. */
	CHECK(pthread_create(&t, NULL, lock_briefly, NULL) == 0, "create");
	usleep(50000);
	CHECK(pthread_mutex_destroy(&m) == EBUSY, "destroy with a waiter");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_join(t, NULL) == 0, "join");

	done = 0;
	CHECK(pthread_create(&t, NULL, waiter, (void *)cancel) == 0, "create");
	pthread_barrier_wait(&bar);
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	/* Unlocked, but the condvar waiter will take it back. */
	CHECK(pthread_mutex_destroy(&m) == EBUSY,
	      "type %d pshared %d: destroy with a condvar waiter", type,
	      pshared);
	if (cancel) {
		CHECK(pthread_cancel(t) == 0, "cancel");
	} else {
		CHECK(pthread_mutex_lock(&m) == 0, "lock");
		done = 1;
		CHECK(pthread_cond_signal(&cv) == 0, "signal");
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	}
	CHECK(pthread_join(t, &r) == 0, "join");
	CHECK(r == (cancel ? PTHREAD_CANCELED : NULL), "result");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy after the wait");
	CHECK(pthread_mutex_lock(&m) == EINVAL, "lock destroyed");
	CHECK(pthread_mutex_unlock(&m) == EINVAL, "unlock destroyed");
}

int main(void)
{
	int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
			PTHREAD_MUTEX_ERRORCHECK };
	size_t i;

	watchdog(60);
	CHECK(pthread_barrier_init(&bar, NULL, 2) == 0, "barrier");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		one(types[i], PTHREAD_PROCESS_PRIVATE, false);
		one(types[i], PTHREAD_PROCESS_PRIVATE, true);
		one(types[i], PTHREAD_PROCESS_SHARED, false);
	}
	return 0;
}
