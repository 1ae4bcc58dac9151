/*
 * Proves that thread identity is stable and distinct: in each of 16
 * threads pthread_self() is the same across 1000 yields, pthread_equal()
 * of it with the pthread_t its creator got is nonzero, and with every
 * other thread's pthread_t (and main's) it is zero.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define NTHREADS 16

static pthread_t tids[NTHREADS], main_tid;
static atomic_bool published;

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg, i;
	pthread_t self = pthread_self();

	CHECK(wait_until(atomic_load(&published), 10), "ids never published");
	CHECK(!pthread_equal(self, main_tid), "thread %d equals main", id);
	for (i = 0; i < NTHREADS; i++)
		CHECK((pthread_equal(self, tids[i]) != 0) == (i == id),
		      "thread %d: pthread_equal with thread %d wrong", id, i);
	for (i = 0; i < 1000; i++) {
		sched_yield();
		CHECK(pthread_equal(pthread_self(), self),
		      "thread %d: pthread_self changed at yield %d", id, i);
	}
	return NULL;
}

int main(void)
{
	int i, err;

	main_tid = pthread_self();
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], NULL, worker,
				     (void *)(uintptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	atomic_store(&published, true);
	for (i = 0; i < NTHREADS; i++)
		CHECK(!pthread_equal(pthread_self(), tids[i]),
		      "main equals thread %d", i);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(tids[i], NULL) == 0, "pthread_join");
	CHECK(pthread_equal(pthread_self(), main_tid), "main's id changed");
	return 0;
}
