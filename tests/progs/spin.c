/*
 * Proves that pthread spinlocks exclude: pthread_spin_init, lock, trylock,
 * unlock and destroy work; trylock of a held lock gives EBUSY, from the
 * holder and from another thread; 8 threads x 100000 increments of a plain
 * counter under the lock end with the exact count.  Nothing here needs
 * two processors: a spinner must let the holder run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define NTHREADS 8
#define NINCS	 100000

static pthread_spinlock_t lock;
static long counter;
static atomic_int ready;

static void *trylocker(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pthread_spin_trylock(&lock);
}

static void *incrementer(void *arg)
{
	int i;

	(void)arg;
	atomic_fetch_add(&ready, 1);
	CHECK(wait_until(atomic_load(&ready) == NTHREADS, 10),
	      "only %d threads started", atomic_load(&ready));
	for (i = 0; i < NINCS; i++) {
		CHECK(pthread_spin_lock(&lock) == 0, "spin_lock");
		counter++;
		CHECK(pthread_spin_unlock(&lock) == 0, "spin_unlock");
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	void *ret;
	int i, err;

	watchdog(30);

	CHECK(pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE) == 0,
	      "spin_init");
	CHECK(pthread_spin_lock(&lock) == 0, "spin_lock");
	err = pthread_spin_trylock(&lock);
	CHECK(err == EBUSY, "trylock by the holder: %d", err);
	err = pthread_create(&t[0], NULL, trylocker, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(pthread_join(t[0], &ret) == 0, "pthread_join");
	CHECK((intptr_t)ret == EBUSY, "trylock by another thread: %d",
	      (int)(intptr_t)ret);
	CHECK(pthread_spin_unlock(&lock) == 0, "spin_unlock");
	CHECK(pthread_spin_trylock(&lock) == 0, "trylock of a free lock");
	CHECK(pthread_spin_unlock(&lock) == 0, "spin_unlock");

	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&t[i], NULL, incrementer, NULL);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(counter == (long)NTHREADS * NINCS, "counter %ld, want %ld",
	      counter, (long)NTHREADS * NINCS);
	CHECK(pthread_spin_destroy(&lock) == 0, "spin_destroy");
	return 0;
}
