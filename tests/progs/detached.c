/*
 * Proves that detached threads run to completion and are reclaimed: 20,000
 * threads, half created with a PTHREAD_CREATE_DETACHED attr and half
 * detached after creation (by the creator, or by the thread itself via
 * pthread_detach(pthread_self())), each increment a counter that main
 * waits for.  Threads are created in waves of 1000 so that not too many
 * are unfinished at once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define TOTAL 20000
#define WAVE  1000

enum how { VIA_ATTR, BY_CREATOR, BY_SELF };

static atomic_int finished;

static void *worker(void *arg)
{
	if ((enum how)(uintptr_t)arg == BY_SELF) {
		int err = pthread_detach(pthread_self());

		CHECK(err == 0, "pthread_detach(self): %s", strerror(err));
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

int main(void)
{
	const uint64_t deadline = now_ns() + 30 * 1000000000ull;
	pthread_attr_t detached;
	int i, err;

	CHECK(pthread_attr_init(&detached) == 0, "pthread_attr_init");
	err = pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	CHECK(err == 0, "setdetachstate: %s", strerror(err));

	for (i = 0; i < TOTAL; i++) {
		/* Even: attr; odd: detached by the creator or by itself. */
		enum how how = i % 2 == 0   ? VIA_ATTR
			       : i % 4 == 1 ? BY_CREATOR
					    : BY_SELF;
		pthread_t tid;

		err = pthread_create(&tid, how == VIA_ATTR ? &detached : NULL,
				     worker, (void *)(uintptr_t)how);
		CHECK(err == 0, "pthread_create #%d: %s", i, strerror(err));
		if (how == BY_CREATOR) {
			err = pthread_detach(tid);
			CHECK(err == 0, "pthread_detach #%d: %s", i,
			      strerror(err));
		}
		if ((i + 1) % WAVE == 0) {
			while (atomic_load(&finished) < i + 1 &&
			       now_ns() < deadline)
				sched_yield();
			CHECK(atomic_load(&finished) == i + 1,
			      "after 30 s only %d of %d threads finished",
			      atomic_load(&finished), i + 1);
		}
	}
	pthread_attr_destroy(&detached);
	return 0;
}
