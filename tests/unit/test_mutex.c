// SPDX-License-Identifier: MIT
/*
 * The mutex state machine, white-box: the shim is linked in (its functions
 * replace libc's in this process, as when preloaded) and the word inside
 * the pthread_mutex_t is checked after each step: a free lock is taken
 * with LOCKED; a contended one gets WAITERS and a queued waiter; an unlock
 * releases to a waiter that has waited briefly, and hands the lock over
 * to one that has waited over a millisecond, which runs at once in the
 * unlocker's place; while a woken waiter has not run yet (WOKEN), an
 * unlock wakes no other, and the lock is free to take; a timed-out waiter
 * leaves the word usable. Run with SPROUT_PROCS=1, so that a woken G runs
 * only once the test yields.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "compat/sync.h"
#include "sched/runtime.h"
#include "sched/sema.h"

#define M_LOCKED    1u
#define M_WAITERS   2u
#define M_WOKEN	    4u
#define STARVING_NS 1000000

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static struct sync_mutex *m = (struct sync_mutex *)&mutex;
static _Atomic int got;
static _Atomic uint64_t owner_seen;

static int queued(void)
{
	struct wt_bucket *b = wt_lock(&m->state);
	struct waiter *w;
	int n = 0;

	for (w = wt_first(b, &m->state); w; w = wt_next(w))
		n++;
	wt_unlock(b);
	return n;
}

/* When the first waiter began to wait. */
static int64_t waiter_since(void)
{
	struct wt_bucket *b = wt_lock(&m->state);
	int64_t since = wt_first(b, &m->state)->since;

	wt_unlock(b);
	return since;
}

static void *locker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mutex);
	atomic_store(&owner_seen, atomic_load(&m->owner));
	atomic_fetch_add(&got, 1);
	pthread_mutex_unlock(&mutex);
	return NULL;
}

static void until(bool (*cond)(void))
{
	int i;

	for (i = 0; i < 1000000 && !cond(); i++)
		sched_yield();
	assert_true(cond());
}

static bool one_queued(void)
{
	return queued() == 1;
}

static bool locker_got_it(void)
{
	return atomic_load(&got) == 1;
}

static void test_fast_path(void **state)
{
	(void)state;
	assert_int_equal(m->state, 0);
	assert_int_equal(pthread_mutex_lock(&mutex), 0);
	assert_int_equal(m->state, M_LOCKED);
	assert_int_equal(m->owner, getg()->id);
	assert_int_equal(pthread_mutex_trylock(&mutex), EBUSY);
	assert_int_equal(pthread_mutex_unlock(&mutex), 0);
	assert_int_equal(m->state, 0);
	assert_int_equal(m->owner, 0);
}

/* Contend with one locker; hold the lock for hold_ns after it queues. */
static void contend(int64_t hold_ns, bool handed)
{
	int64_t t0, since, before, after;
	pthread_t t;

	atomic_store(&got, 0);
	assert_int_equal(pthread_mutex_lock(&mutex), 0);
	assert_int_equal(pthread_create(&t, NULL, locker, NULL), 0);
	until(one_queued);
	assert_int_equal(m->state, M_LOCKED | M_WAITERS);
	for (t0 = nanotime(); nanotime() - t0 < hold_ns;)
		;
	since = waiter_since();
	before = nanotime();
	assert_int_equal(pthread_mutex_unlock(&mutex), 0);
	after = nanotime();
	/* A busy machine may stall us past the waiter's millisecond. */
	if (!handed && before - since > STARVING_NS)
		handed = true;
	if (handed) {
		assert_true(after - since > STARVING_NS);
		/*
		 * Handed over, and the waiter ran in our place before the
		 * unlock returned: it took the lock, counted and let go.
		 */
		assert_int_equal(atomic_load(&got), 1);
		assert_int_not_equal(atomic_load(&owner_seen), getg()->id);
	} else {
		/* Released: the woken waiter competes for it, later. */
		assert_int_equal(m->state & M_LOCKED, 0);
		assert_int_equal(atomic_load(&got), 0);
	}
	until(locker_got_it);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(m->state, 0);
}

static void test_release_to_a_brief_waiter(void **state)
{
	(void)state;
	contend(0, false);
}

static void test_handoff_to_a_starving_waiter(void **state)
{
	(void)state;
	contend(3000000, true);
}

static bool three_queued(void)
{
	return queued() == 3;
}

static bool lockers_got_it(void)
{
	return atomic_load(&got) == 3;
}

/*
 * Three wait; each unlock that finds WAITERS and no WOKEN wakes one. Once
 * true: no round took longer than the first waiter's millisecond (a busy
 * machine may stall the test, and the unlock hands the lock over).
 */
static bool one_woken_round(void)
{
	pthread_t t[3];
	bool handed;
	int i;

	atomic_store(&got, 0);
	assert_int_equal(pthread_mutex_lock(&mutex), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, locker, NULL), 0);
	until(three_queued);
	assert_int_equal(m->state, M_LOCKED | M_WAITERS);
	assert_int_equal(pthread_mutex_unlock(&mutex), 0);
	/* Handed over, the waiter would have run in our place already. */
	handed = atomic_load(&got) > 0;
	if (!handed) {
		/* One woken, not run yet: released, two still queued. */
		assert_int_equal(m->state, M_WOKEN | M_WAITERS);
		assert_int_equal(queued(), 2);
		/* Taken before it runs (trylock too: free is free). */
		assert_int_equal(pthread_mutex_trylock(&mutex), 0);
		assert_int_equal(m->state, M_LOCKED | M_WOKEN | M_WAITERS);
		/* Its unlock leaves the queue to the woken one. */
		assert_int_equal(pthread_mutex_unlock(&mutex), 0);
		assert_int_equal(m->state, M_WOKEN | M_WAITERS);
		assert_int_equal(queued(), 2);
	}
	until(lockers_got_it);
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(m->state, 0);
	return !handed;
}

static void test_one_woken_at_a_time(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 20; i++)
		if (one_woken_round())
			return;
	fail_msg("every unlock handed the lock over: the test was stalled");
}

static void *timed_locker(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return (void *)(intptr_t)pthread_mutex_timedlock(&mutex, &ts);
}

static void test_timeout_leaves_it_usable(void **state)
{
	pthread_t t;
	void *r;

	(void)state;
	assert_int_equal(pthread_mutex_lock(&mutex), 0);
	assert_int_equal(pthread_create(&t, NULL, timed_locker, NULL), 0);
	assert_int_equal(pthread_join(t, &r), 0);
	assert_int_equal((intptr_t)r, ETIMEDOUT);
	assert_int_equal(queued(), 0);
	/* WAITERS may be stale: the unlock finds nobody and clears it. */
	assert_int_equal(pthread_mutex_unlock(&mutex), 0);
	assert_int_equal(m->state, 0);
	assert_int_equal(pthread_mutex_lock(&mutex), 0);
	assert_int_equal(pthread_mutex_unlock(&mutex), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_path),
		cmocka_unit_test(test_release_to_a_brief_waiter),
		cmocka_unit_test(test_handoff_to_a_starving_waiter),
		cmocka_unit_test(test_one_woken_at_a_time),
		cmocka_unit_test(test_timeout_leaves_it_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
