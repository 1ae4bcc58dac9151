/*
 * Proves that the C11 <threads.h> thread functions work: thrd_create and
 * thrd_join return thrd_success and pass each thread's result code
 * through; thrd_exit from a nested function ends the thread with its
 * value; thrd_detach works; thrd_current/thrd_equal identify threads; and
 * thrd_yield is usable for waiting.  (C11 tss is covered by tsd.c.)
 */
#include <stdatomic.h>
#include <threads.h>

#include "check.h"

#define NTHREADS 8

static thrd_t ids[NTHREADS];
static atomic_bool published, detached_ran, after_exit;

static int worker(void *arg)
{
	const uint64_t deadline = now_ns() + 10 * 1000000000ull;
	int id = (int)(uintptr_t)arg, i;

	while (!atomic_load(&published) && now_ns() < deadline)
		thrd_yield();
	CHECK(atomic_load(&published), "thread %d: ids never published", id);
	for (i = 0; i < NTHREADS; i++)
		CHECK((thrd_equal(thrd_current(), ids[i]) != 0) == (i == id),
		      "thread %d: thrd_equal with thread %d wrong", id, i);
	return id * 3 + 1;
}

static __attribute__((noreturn)) void exit_nested(int depth)
{
	if (depth == 0)
		thrd_exit(77);
	exit_nested(depth - 1);
}

static int exiter(void *arg)
{
	(void)arg;
	exit_nested(3);
	atomic_store(&after_exit, true);
	return 0;
}

static int detached(void *arg)
{
	(void)arg;
	atomic_store(&detached_ran, true);
	return 0;
}

int main(void)
{
	thrd_t t, self = thrd_current();
	int i, res;

	CHECK(thrd_equal(self, thrd_current()), "main not equal to itself");
	for (i = 0; i < NTHREADS; i++)
		CHECK(thrd_create(&ids[i], worker, (void *)(uintptr_t)i) ==
			      thrd_success,
		      "thrd_create #%d", i);
	atomic_store(&published, true);
	for (i = 0; i < NTHREADS; i++) {
		CHECK(!thrd_equal(self, ids[i]), "main equal to thread %d", i);
		CHECK(thrd_join(ids[i], &res) == thrd_success, "thrd_join");
		CHECK(res == i * 3 + 1, "thread %d result %d", i, res);
	}

	CHECK(thrd_create(&t, exiter, NULL) == thrd_success, "thrd_create");
	CHECK(thrd_join(t, &res) == thrd_success, "thrd_join");
	CHECK(res == 77 && !atomic_load(&after_exit),
	      "thrd_exit(77) gave %d, returned: %d", res,
	      atomic_load(&after_exit));

	CHECK(thrd_create(&t, detached, NULL) == thrd_success, "thrd_create");
	CHECK(thrd_detach(t) == thrd_success, "thrd_detach");
	CHECK(wait_until(atomic_load(&detached_ran), 10),
	      "detached thread did not run");
	return 0;
}
