/*
 * Proves that thread-specific data is per thread and destructed as POSIX
 * and C11 say:
 * - 50 concurrent threads keep distinct values in the same keys across
 *   1000 sched_yield() calls, and a new thread starts with NULL values;
 * - at thread exit a destructor runs once, with the thread's value (which
 *   already reads back as NULL), and never for a NULL value;
 * - a destructor that sets its value again is called again: exactly twice
 *   if it re-sets once, between 2 and PTHREAD_DESTRUCTOR_ITERATIONS times
 *   if it always re-sets;
 * - after pthread_key_delete no destructor runs for that key, and
 *   pthread_setspecific on it fails with EINVAL;
 * - C11 tss_create/tss_set/tss_get/tss_delete with a destructor behave
 *   the same way.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <threads.h>

#include "check.h"

#define NTHREADS 50
#define NYIELDS	 1000

struct slot {
	atomic_int val_calls;
	atomic_int again_calls;
	atomic_int forever_calls;
	atomic_int tss_calls;
};

static struct slot slots[NTHREADS];
static pthread_key_t k_val, k_num, k_null, k_again, k_forever, k_del;
static tss_t t_val;
static atomic_int null_calls, del_calls, started;
static atomic_bool del_value_set, del_key_deleted;

static void dtor_val(void *p)
{
	struct slot *s = p;

	CHECK(pthread_getspecific(k_val) == NULL,
	      "value %p still set during its destructor",
	      pthread_getspecific(k_val));
	atomic_fetch_add(&s->val_calls, 1);
}

static void dtor_null(void *p)
{
	(void)p;
	atomic_fetch_add(&null_calls, 1);
}

static void dtor_again(void *p)
{
	struct slot *s = p;

	if (atomic_fetch_add(&s->again_calls, 1) == 0)
		CHECK(pthread_setspecific(k_again, s) == 0, "re-set");
}

static void dtor_forever(void *p)
{
	struct slot *s = p;

	atomic_fetch_add(&s->forever_calls, 1);
	CHECK(pthread_setspecific(k_forever, s) == 0, "re-set forever");
}

static void dtor_del(void *p)
{
	(void)p;
	atomic_fetch_add(&del_calls, 1);
}

static void dtor_tss(void *p)
{
	atomic_fetch_add((atomic_int *)p, 1);
}

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg, i;
	struct slot *s = &slots[id];
	void *num = (void *)(uintptr_t)(id * 7 + 1);

	CHECK(pthread_getspecific(k_val) == NULL &&
		      pthread_getspecific(k_num) == NULL &&
		      tss_get(t_val) == NULL,
	      "thread %d starts with values %p %p %p", id,
	      pthread_getspecific(k_val), pthread_getspecific(k_num),
	      tss_get(t_val));
	CHECK(pthread_setspecific(k_val, s) == 0, "set k_val");
	CHECK(pthread_setspecific(k_num, num) == 0, "set k_num");
	CHECK(pthread_setspecific(k_null, s) == 0, "set k_null");
	CHECK(pthread_setspecific(k_null, NULL) == 0, "clear k_null");
	CHECK(pthread_setspecific(k_again, s) == 0, "set k_again");
	CHECK(pthread_setspecific(k_forever, s) == 0, "set k_forever");
	CHECK(tss_set(t_val, &s->tss_calls) == thrd_success, "tss_set");

	atomic_fetch_add(&started, 1);
	CHECK(wait_until(atomic_load(&started) == NTHREADS, 10),
	      "only %d threads started", atomic_load(&started));
	for (i = 0; i < NYIELDS; i++) {
		sched_yield();
		CHECK(pthread_getspecific(k_val) == s &&
			      pthread_getspecific(k_num) == num &&
			      pthread_getspecific(k_null) == NULL &&
			      tss_get(t_val) == &s->tss_calls,
		      "thread %d yield %d: values %p %p %p %p", id, i,
		      pthread_getspecific(k_val), pthread_getspecific(k_num),
		      pthread_getspecific(k_null), tss_get(t_val));
	}
	return NULL;
}

static void *del_worker(void *arg)
{
	(void)arg;
	CHECK(pthread_setspecific(k_del, &del_calls) == 0, "set k_del");
	atomic_store(&del_value_set, true);
	CHECK(wait_until(atomic_load(&del_key_deleted), 10),
	      "key never deleted");
	return NULL;
}

static void test_values_and_destructors(void)
{
	pthread_t tids[NTHREADS];
	struct slot main_slot;
	int i, err;

	CHECK(pthread_setspecific(k_val, &main_slot) == 0, "main set k_val");
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], NULL, worker,
				     (void *)(uintptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(tids[i], NULL) == 0, "pthread_join");

	for (i = 0; i < NTHREADS; i++) {
		struct slot *s = &slots[i];
		int forever = atomic_load(&s->forever_calls);

		CHECK(atomic_load(&s->val_calls) == 1,
		      "thread %d: value destructor ran %d times", i,
		      atomic_load(&s->val_calls));
		CHECK(atomic_load(&s->again_calls) == 2,
		      "thread %d: re-setting destructor ran %d times", i,
		      atomic_load(&s->again_calls));
		CHECK(forever >= 2 && forever <= PTHREAD_DESTRUCTOR_ITERATIONS,
		      "thread %d: always re-setting destructor ran %d times", i,
		      forever);
		CHECK(atomic_load(&s->tss_calls) == 1,
		      "thread %d: tss destructor ran %d times", i,
		      atomic_load(&s->tss_calls));
	}
	CHECK(atomic_load(&null_calls) == 0, "destructor ran %d times for NULL",
	      atomic_load(&null_calls));
	CHECK(pthread_getspecific(k_val) == &main_slot,
	      "main's value became %p", pthread_getspecific(k_val));
	CHECK(pthread_setspecific(k_val, NULL) == 0, "main clear k_val");
}

static void test_delete(void)
{
	pthread_t tid;
	int err;

	CHECK(pthread_key_create(&k_del, dtor_del) == 0, "create k_del");
	err = pthread_create(&tid, NULL, del_worker, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(wait_until(atomic_load(&del_value_set), 10), "value never set");
	CHECK(pthread_key_delete(k_del) == 0, "delete k_del");
	err = pthread_setspecific(k_del, &del_calls);
	CHECK(err == EINVAL, "setspecific on a deleted key returned %d", err);
	atomic_store(&del_key_deleted, true);
	CHECK(pthread_join(tid, NULL) == 0, "pthread_join");
	CHECK(atomic_load(&del_calls) == 0,
	      "destructor of a deleted key ran %d times",
	      atomic_load(&del_calls));
}

int main(void)
{
	CHECK(pthread_key_create(&k_val, dtor_val) == 0, "create k_val");
	CHECK(pthread_key_create(&k_num, NULL) == 0, "create k_num");
	CHECK(pthread_key_create(&k_null, dtor_null) == 0, "create k_null");
	CHECK(pthread_key_create(&k_again, dtor_again) == 0, "create k_again");
	CHECK(pthread_key_create(&k_forever, dtor_forever) == 0,
	      "create k_forever");
	CHECK(tss_create(&t_val, dtor_tss) == thrd_success, "tss_create");

	test_values_and_destructors();
	test_delete();

	CHECK(pthread_key_delete(k_val) == 0, "delete k_val");
	CHECK(pthread_key_delete(k_num) == 0, "delete k_num");
	CHECK(pthread_key_delete(k_null) == 0, "delete k_null");
	CHECK(pthread_key_delete(k_again) == 0, "delete k_again");
	CHECK(pthread_key_delete(k_forever) == 0, "delete k_forever");
	tss_delete(t_val);
	return 0;
}
