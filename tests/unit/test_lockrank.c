// SPDX-License-Identifier: MIT
/*
 * The lock-rank checker (sched/lock.c built with SPROUT_LOCK_RANK): locks
 * taken in rank order, two wait buckets in address order, and a lock
 * released by the M's g0 for the G that parked with it pass; each wrong
 * use ends the process with SIGABRT, which a forked child shows here.
 * Also the count of locks an M holds, and the unlock that delivers what
 * was left for its G meanwhile.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sched/runtime.h"

/* The runtime's is in proc.c, which this test does not link. */
__thread struct g *cur_g __attribute__((tls_model("initial-exec")));

/* The runtime's is in signal.c: here, a count of the calls. */
static int delivered;

void sigpend_deliver(struct g *gp)
{
	(void)gp;
	delivered++;
}

static struct m m1, m2;
static struct g g1, g0_1, g2;

static void on_m(struct g *gp, struct m *mp)
{
	gp->m = mp;
	cur_g = gp;
}

static int setup(void **state)
{
	(void)state;
	memset(&m1, 0, sizeof(m1));
	memset(&m2, 0, sizeof(m2));
	on_m(&g0_1, &m1);
	g0_1.flags = G_G0;
	on_m(&g2, &m2);
	on_m(&g1, &m1);
	return 0;
}

/* Does fn, run in a child, end it with SIGABRT? */
static bool aborts(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		/* The checker's report is expected; keep the log clean. */
		close(2);
		fn();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static struct lock buckets[2] = { LOCK_INIT(RANK_BUCKET),
				  LOCK_INIT(RANK_BUCKET) };
#define bucket_lo buckets[0]
#define bucket_hi buckets[1]
static struct lock sched_l = LOCK_INIT(RANK_SCHED);
static struct lock pool_l = LOCK_INIT(RANK_POOL);
static struct lock unranked;

static void test_in_order(void **state)
{
	(void)state;
	lock(&bucket_lo);
	lock(&bucket_hi);
	lock(&sched_l);
	lock(&pool_l);
	/* Released in any order. */
	unlock(&bucket_lo);
	unlock(&pool_l);
	unlock(&sched_l);
	unlock(&bucket_hi);
	lock_assert_none("after the test");
}

static void sched_then_bucket(void)
{
	lock(&sched_l);
	lock(&bucket_lo);
}

static void buckets_backwards(void)
{
	lock(&bucket_hi);
	lock(&bucket_lo);
}

static void same_lock_twice(void)
{
	lock(&sched_l);
	lock(&sched_l);
}

static void no_rank(void)
{
	lock(&unranked);
}

static void unlock_not_held(void)
{
	unlock(&sched_l);
}

static void lock_in_sigctx(void)
{
	lock_sigctx(1);
	lock(&pool_l);
}

static void held_on_leaving(void)
{
	lock(&pool_l);
	lock_assert_none("on leaving the runtime");
}

/* Another M's G does not hold what this M's G took. */
static void unlock_on_other_m(void)
{
	lock(&sched_l);
	on_m(&g2, &m2);
	unlock(&sched_l);
}

static void test_misuse_aborts(void **state)
{
	(void)state;
	assert_true(aborts(sched_then_bucket));
	assert_true(aborts(buckets_backwards));
	assert_true(aborts(same_lock_twice));
	assert_true(aborts(no_rank));
	assert_true(aborts(unlock_not_held));
	assert_true(aborts(lock_in_sigctx));
	assert_true(aborts(held_on_leaving));
	assert_true(aborts(unlock_on_other_m));
}

/* gopark(): the G parks holding a bucket; its M's g0 releases it. */
static void test_g0_releases_parked(void **state)
{
	(void)state;
	lock(&bucket_lo);
	on_m(&g0_1, &m1);
	unlock(&bucket_lo);
	lock_assert_none("on g0");
	on_m(&g1, &m1);
	lock_assert_none("on the G");
}

/*
 * An M counts the locks its thread holds; a signal left for its G while
 * it held one outside the runtime (sig_defer()) is delivered by the
 * unlock that ends the count, on the G, at depth 0, and by no other.
 */
static void test_count_delivers(void **state)
{
	(void)state;
	delivered = 0;
	atomic_store(&g1.sigpend, 1ull << (SIGUSR1 - 1));
	lock(&bucket_lo);
	lock(&sched_l);
	assert_int_equal(m1.locks, 2);
	assert_true(g_inside(&g1));
	unlock(&sched_l);
	assert_int_equal(delivered, 0);
	unlock(&bucket_lo);
	assert_int_equal(m1.locks, 0);
	assert_false(g_inside(&g1));
	assert_int_equal(delivered, 1);

	/* Blocked: it stays pending. */
	g1.sigmask = 1ull << (SIGUSR1 - 1);
	lock(&sched_l);
	unlock(&sched_l);
	assert_int_equal(delivered, 1);
	g1.sigmask = 0;

	/* Inside the runtime: rt_exit() delivers, not the unlock. */
	g1.rtdepth = 1;
	lock(&sched_l);
	unlock(&sched_l);
	assert_int_equal(delivered, 1);
	g1.rtdepth = 0;

	/* Parked with a lock: g0 releases it, and the count, on the G's M. */
	lock(&bucket_lo);
	on_m(&g0_1, &m1);
	unlock(&bucket_lo);
	assert_int_equal(m1.locks, 0);
	assert_int_equal(delivered, 1);
	on_m(&g1, &m1);
	assert_int_equal(m2.locks, 0);
	atomic_store(&g1.sigpend, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_misuse_aborts, setup),
		cmocka_unit_test_setup(test_g0_releases_parked, setup),
		cmocka_unit_test_setup(test_count_delivers, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
