/*
 * Proves that no unlock is lost on a waiting reader or writer: three
 * threads take a writer-preferring rwlock (and then a default one) for
 * reading or writing at random, 100,000 times each, in rounds of three
 * fresh threads, and all of them finish. A release that misses the G
 * about to queue (glibc's bug 23861 had the same shape) leaves the
 * threads asleep on a free lock; the watchdog fails the test then.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define ROUNDS	 8
#define NTHREADS 3
#define OPS	 100000

static pthread_rwlock_t lock;
static atomic_long done_ops;

static void *run(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	int i;

	for (i = 0; i < OPS; i++) {
		int r = rand_r(&seed) & 1 ? pthread_rwlock_wrlock(&lock)
					  : pthread_rwlock_rdlock(&lock);

		CHECK(r == 0, "lock: %d", r);
		r = pthread_rwlock_unlock(&lock);
		CHECK(r == 0, "unlock: %d", r);
	}
	atomic_fetch_add(&done_ops, OPS);
	return NULL;
}

static void rounds(int kind)
{
	pthread_rwlockattr_t attr;
	pthread_t t[NTHREADS];
	int n, i;

	CHECK(pthread_rwlockattr_init(&attr) == 0, "attr");
	CHECK(pthread_rwlockattr_setkind_np(&attr, kind) == 0, "kind %d", kind);
	CHECK(pthread_rwlock_init(&lock, &attr) == 0, "init");
	atomic_store(&done_ops, 0);
	for (n = 0; n < ROUNDS; n++) {
		for (i = 0; i < NTHREADS; i++) {
			void *seed = (void *)(uintptr_t)(n * 7 + i + 1);

			CHECK(pthread_create(&t[i], NULL, run, seed) == 0,
			      "create");
		}
		for (i = 0; i < NTHREADS; i++)
			CHECK(pthread_join(t[i], NULL) == 0, "join");
	}
	CHECK(atomic_load(&done_ops) == (long)ROUNDS * NTHREADS * OPS,
	      "%ld operations", atomic_load(&done_ops));
	CHECK(pthread_rwlock_destroy(&lock) == 0, "destroy");
	pthread_rwlockattr_destroy(&attr);
}

int main(void)
{
	watchdog(50);
	rounds(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	rounds(PTHREAD_RWLOCK_PREFER_READER_NP);
	return 0;
}
