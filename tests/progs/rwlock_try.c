// SPDX-License-Identifier: MIT
/*
 * The owning writer's tries of its own rwlock are busy, as glibc's are:
 * pthread_rwlock_tryrdlock and pthread_rwlock_trywrlock give EBUSY, while
 * the waiting forms (plain and timed) give EDEADLK. Checked for each kind
 * (readers preferred, writers preferred, writers preferred non-recursive)
 * private and process-shared, and for another thread's tries too.
 */
#include <pthread.h>

#include "check.h"

static pthread_rwlock_t lock;

static void *other(void *arg)
{
	(void)arg;
	CHECK(pthread_rwlock_tryrdlock(&lock) == EBUSY, "another's tryrdlock");
	CHECK(pthread_rwlock_trywrlock(&lock) == EBUSY, "another's trywrlock");
	return NULL;
}

static void check_kind(int kind, int pshared)
{
	pthread_rwlockattr_t at;
	struct timespec ts;
	pthread_t t;

	CHECK(pthread_rwlockattr_init(&at) == 0, "attr init");
	CHECK(pthread_rwlockattr_setkind_np(&at, kind) == 0, "setkind %d",
	      kind);
	CHECK(pthread_rwlockattr_setpshared(&at, pshared) == 0, "setpshared");
	CHECK(pthread_rwlock_init(&lock, &at) == 0, "init");
	CHECK(pthread_rwlockattr_destroy(&at) == 0, "attr destroy");

	CHECK(pthread_rwlock_wrlock(&lock) == 0, "wrlock");
	CHECK(pthread_rwlock_tryrdlock(&lock) == EBUSY,
	      "kind %d pshared %d: tryrdlock by the writer", kind, pshared);
	CHECK(pthread_rwlock_trywrlock(&lock) == EBUSY,
	      "kind %d pshared %d: trywrlock by the writer", kind, pshared);
	CHECK(pthread_rwlock_rdlock(&lock) == EDEADLK,
	      "kind %d pshared %d: rdlock by the writer", kind, pshared);
	CHECK(pthread_rwlock_wrlock(&lock) == EDEADLK,
	      "kind %d pshared %d: wrlock by the writer", kind, pshared);
	ts = deadline_in(CLOCK_REALTIME, 10);
	CHECK(pthread_rwlock_timedrdlock(&lock, &ts) == EDEADLK,
	      "kind %d pshared %d: timedrdlock by the writer", kind, pshared);
	CHECK(pthread_rwlock_timedwrlock(&lock, &ts) == EDEADLK,
	      "kind %d pshared %d: timedwrlock by the writer", kind, pshared);
	CHECK(pthread_create(&t, NULL, other, NULL) == 0, "pthread_create");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(pthread_rwlock_unlock(&lock) == 0, "unlock");

	/* Free again: a try takes it, and the reader blocks a writer's try. */
	CHECK(pthread_rwlock_tryrdlock(&lock) == 0, "tryrdlock, free");
	CHECK(pthread_rwlock_trywrlock(&lock) == EBUSY, "trywrlock, read");
	CHECK(pthread_rwlock_unlock(&lock) == 0, "unlock");
	CHECK(pthread_rwlock_trywrlock(&lock) == 0, "trywrlock, free");
	CHECK(pthread_rwlock_tryrdlock(&lock) == EBUSY, "tryrdlock, written");
	CHECK(pthread_rwlock_unlock(&lock) == 0, "unlock");
	CHECK(pthread_rwlock_destroy(&lock) == 0, "destroy");
}

int main(void)
{
	static const int kinds[] = {
		PTHREAD_RWLOCK_PREFER_READER_NP,
		PTHREAD_RWLOCK_PREFER_WRITER_NP,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
	};

	watchdog(30);
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		check_kind(kinds[i], PTHREAD_PROCESS_PRIVATE);
		check_kind(kinds[i], PTHREAD_PROCESS_SHARED);
	}
	return 0;
}
