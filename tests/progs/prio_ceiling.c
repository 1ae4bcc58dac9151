/*
 * Proves that PTHREAD_PRIO_PROTECT mutexes keep their priority ceilings
 * and give glibc's errors:
 * - pthread_mutex_getprioceiling() returns the ceiling of the attribute
 *   the mutex was made with (the attribute's default: SCHED_FIFO's
 *   minimum), pthread_mutex_setprioceiling() returns the old one and sets
 *   the new; both give EINVAL for a mutex without the protocol, and set
 *   gives EINVAL for a ceiling outside SCHED_FIFO's range;
 * - a robust priority-protected mutex cannot be made (ENOTSUP);
 * - a thread of the default policy (SCHED_OTHER), whose priority cannot
 *   be raised to the ceiling, fails to lock one with EINVAL (lock,
 *   trylock, timedlock) and leaves it unlocked (setprioceiling, which
 *   locks it without the protocol, still works).
 *
 * Boosting a SCHED_FIFO thread to the ceiling is glibc's tst-mutexpp10's
 * (conformance): it needs a real-time policy this test does not take.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "check.h"

static pthread_mutex_t m;

static void init_pp(int type, int ceiling)
{
	pthread_mutexattr_t a;

	CHECK(pthread_mutexattr_init(&a) == 0, "attr");
	CHECK(pthread_mutexattr_settype(&a, type) == 0, "settype");
	CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT) == 0,
	      "setprotocol");
	if (ceiling)
		CHECK(pthread_mutexattr_setprioceiling(&a, ceiling) == 0,
		      "attr setprioceiling");
	CHECK(pthread_mutex_init(&m, &a) == 0, "init");
	pthread_mutexattr_destroy(&a);
}

static void *lock_one_way(void *arg)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, 1000);
	long way = (long)arg;

	return (void *)(long)(way == 0	 ? pthread_mutex_lock(&m)
			      : way == 1 ? pthread_mutex_trylock(&m)
					 : pthread_mutex_timedlock(&m, &ts));
}

int main(void)
{
	int fifo_min = sched_get_priority_min(SCHED_FIFO);
	int fifo_max = sched_get_priority_max(SCHED_FIFO);
	pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutexattr_t a;
	int c = -1, old = -1;
	pthread_t t;
	void *r;

	watchdog(30);
	CHECK(fifo_min >= 1 && fifo_max >= 10, "SCHED_FIFO %d..%d", fifo_min,
	      fifo_max);

	/* The attribute's default ceiling, then a set one. */
	init_pp(PTHREAD_MUTEX_NORMAL, 0);
	CHECK(pthread_mutex_getprioceiling(&m, &c) == 0, "get");
	CHECK(c == fifo_min, "default ceiling %d, not %d", c, fifo_min);
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
	init_pp(PTHREAD_MUTEX_NORMAL, 6);
	CHECK(pthread_mutex_getprioceiling(&m, &c) == 0 && c == 6, "ceiling %d",
	      c);
	CHECK(pthread_mutex_setprioceiling(&m, 7, &old) == 0 && old == 6,
	      "set: old %d", old);
	CHECK(pthread_mutex_getprioceiling(&m, &c) == 0 && c == 7,
	      "ceiling %d after set", c);
	CHECK(pthread_mutex_setprioceiling(&m, fifo_max + 1, &old) == EINVAL,
	      "above range");
	CHECK(pthread_mutex_setprioceiling(&m, fifo_min - 1, &old) == EINVAL,
	      "below range");
	CHECK(pthread_mutex_getprioceiling(&m, &c) == 0 && c == 7,
	      "ceiling %d after failed sets", c);

	/*
	 * A SCHED_OTHER thread cannot take it; it stays unlocked. Each way
	 * in a thread of its own: after a first failure glibc 2.36 believes
	 * the thread boosted, and a second lock succeeds.
	 */
	CHECK(sched_getscheduler(0) == SCHED_OTHER, "policy");
	for (c = 0; c < 3; c++) {
		CHECK(pthread_create(&t, NULL, lock_one_way, (void *)(long)c) ==
			      0,
		      "create");
		CHECK(pthread_join(t, &r) == 0, "join");
		CHECK((long)r == EINVAL, "way %d by SCHED_OTHER: %ld", c,
		      (long)r);
	}
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy: left locked");

	/* Without the protocol. */
	CHECK(pthread_mutex_getprioceiling(&plain, &c) == EINVAL, "get plain");
	CHECK(pthread_mutex_setprioceiling(&plain, 5, &old) == EINVAL,
	      "set plain");

	/* Robust and priority-protected: glibc refuses. */
	CHECK(pthread_mutexattr_init(&a) == 0, "attr");
	CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT) == 0,
	      "setprotocol");
	CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0,
	      "setrobust");
	CHECK(pthread_mutex_init(&m, &a) == ENOTSUP, "robust PP");
	pthread_mutexattr_destroy(&a);

	/* Another type, a ceiling change after a failed lock. */
	init_pp(PTHREAD_MUTEX_ERRORCHECK, 5);
	CHECK(pthread_create(&t, NULL, lock_one_way, NULL) == 0, "create");
	CHECK(pthread_join(t, &r) == 0 && (long)r == EINVAL, "lock errorcheck");
	CHECK(pthread_mutex_setprioceiling(&m, 8, &old) == 0 && old == 5,
	      "set: old %d", old);
	CHECK(pthread_mutex_getprioceiling(&m, &c) == 0 && c == 8, "ceiling %d",
	      c);
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
	return 0;
}
