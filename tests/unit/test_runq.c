// SPDX-License-Identifier: MIT
/*
 * Run queues: order, runnext, spill to the global queue, and stealing, on
 * bare struct p's (no scheduler running). The concurrent test has one owner
 * putting and taking while thieves steal: every G must come out exactly once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sched/runtime.h"

#define NP 3
static struct p ps[NP];

static int setup(void **state)
{
	(void)state;
	memset(ps, 0, sizeof(ps));
	memset(&sched, 0, sizeof(sched));
	lock_init(&sched.lock, RANK_SCHED);
	allp = ps;
	nprocs = NP;
	return 0;
}

static struct g *mkgs(int n)
{
	struct g *gs = calloc((size_t)n, sizeof(*gs));
	int i;

	assert_non_null(gs);
	for (i = 0; i < n; i++)
		gs[i].id = (uint32_t)i;
	return gs;
}

static void test_fifo_and_runnext(void **state)
{
	struct g *gs = mkgs(4);

	(void)state;
	assert_true(runqempty(&ps[0]));
	assert_true(runqput(&ps[0], &gs[0], false));
	assert_true(runqput(&ps[0], &gs[1], false));
	assert_true(runqput(&ps[0], &gs[2], true));
	/* A second runnext kicks the first to the tail. */
	assert_true(runqput(&ps[0], &gs[3], true));
	assert_false(runqempty(&ps[0]));
	assert_ptr_equal(runqget(&ps[0]), &gs[3]);
	assert_ptr_equal(runqget(&ps[0]), &gs[0]);
	assert_ptr_equal(runqget(&ps[0]), &gs[1]);
	assert_ptr_equal(runqget(&ps[0]), &gs[2]);
	assert_null(runqget(&ps[0]));
	assert_true(runqempty(&ps[0]));
	free(gs);
}

static void test_spill_to_global(void **state)
{
	int n = RUNQ_SIZE + 1, i, seen = 0;
	struct g *gs = mkgs(n), *gp;
	char *taken = calloc((size_t)n, 1);

	(void)state;
	for (i = 0; i < RUNQ_SIZE; i++)
		assert_true(runqput(&ps[0], &gs[i], false));
	/* Full: half of the queue and the new G go to the global queue. */
	assert_false(runqput(&ps[0], &gs[RUNQ_SIZE], false));
	assert_int_equal(sched.runqsize, RUNQ_SIZE / 2 + 1);
	while ((gp = runqget(&ps[0])) != NULL) {
		taken[gp->id]++;
		seen++;
	}
	assert_int_equal(seen, RUNQ_SIZE / 2);
	while ((gp = globrunqget(&ps[1], 0)) != NULL) {
		taken[gp->id]++;
		seen++;
		while ((gp = runqget(&ps[1])) != NULL) {
			taken[gp->id]++;
			seen++;
		}
	}
	assert_int_equal(seen, n);
	for (i = 0; i < n; i++)
		assert_int_equal(taken[i], 1);
	assert_int_equal(sched.runqsize, 0);
	free(taken);
	free(gs);
}

static void test_steal_half(void **state)
{
	struct g *gs = mkgs(10), *gp;
	int i, n = 1;

	(void)state;
	for (i = 0; i < 10; i++)
		runqput(&ps[0], &gs[i], false);
	gp = runqsteal(&ps[1], &ps[0], false);
	assert_ptr_equal(gp, &gs[4]); /* the last of the 5 stolen */
	while (runqget(&ps[1]))
		n++;
	assert_int_equal(n, 5);
	/* runnext is taken only when asked for and nothing else is left. */
	while (runqget(&ps[0]))
		;
	runqput(&ps[0], &gs[0], true);
	assert_null(runqsteal(&ps[1], &ps[0], false));
	assert_ptr_equal(runqsteal(&ps[1], &ps[0], true), &gs[0]);
	assert_true(runqempty(&ps[0]));
	free(gs);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/*
 * Steal ps[0]'s runnext into ps[1], five times; returns the shortest
 * time one took (a thief that waits takes 3 us each time; one that does
 * not is that slow only when preempted, not five times running).
 */
static int64_t timed_steal(struct g *gp)
{
	int64_t t0, t, min = INT64_MAX;
	int i;

	for (i = 0; i < 5; i++) {
		runqput(&ps[0], gp, true);
		t0 = now_ns();
		assert_ptr_equal(runqsteal(&ps[1], &ps[0], true), gp);
		t = now_ns() - t0;
		if (t < min)
			min = t;
		assert_ptr_equal(runqget(&ps[1]), NULL);
	}
	return min;
}

/*
 * A thief waits a moment (3 us asked of the kernel) before it takes a G
 * that has never run from runnext of a P that runs the program; at once
 * if the G has run, or its P is idle.
 */
static void test_runnext_wait(void **state)
{
	struct g *gs = mkgs(1);

	(void)state;
	atomic_store(&ps[0].state, P_USER);
	atomic_store(&gs[0].fresh, true);
	assert_true(timed_steal(&gs[0]) >= 3000);
	atomic_store(&ps[0].state, P_RUNNING);
	assert_true(timed_steal(&gs[0]) >= 3000);
	atomic_store(&ps[0].state, P_IDLE);
	assert_true(timed_steal(&gs[0]) < 3000);
	atomic_store(&ps[0].state, P_USER);
	atomic_store(&gs[0].fresh, false);
	assert_true(timed_steal(&gs[0]) < 3000);
	atomic_store(&ps[0].state, P_IDLE);
	free(gs);
}

#define NG	200000
#define THIEVES 2

static struct g *cgs;
static _Atomic int taken_count[NG];
static _Atomic int total;
static _Atomic bool done;

static void take(struct g *gp)
{
	atomic_fetch_add(&taken_count[gp->id], 1);
	atomic_fetch_add(&total, 1);
}

static void *thief(void *arg)
{
	struct p *mine = arg;
	struct g *gp;

	while (!atomic_load(&done) || !runqempty(&ps[0])) {
		gp = runqsteal(mine, &ps[0], true);
		if (!gp)
			continue;
		take(gp);
		while ((gp = runqget(mine)) != NULL)
			take(gp);
	}
	return NULL;
}

static void test_concurrent_steal(void **state)
{
	pthread_t t[THIEVES];
	struct g *gp;
	int i;

	(void)state;
	cgs = mkgs(NG);
	for (i = 0; i < THIEVES; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thief, &ps[i + 1]),
				 0);
	for (i = 0; i < NG; i++) {
		runqput(&ps[0], &cgs[i], i % 7 == 0);
		if (i % 3 == 0 && (gp = runqget(&ps[0])) != NULL)
			take(gp);
	}
	while ((gp = runqget(&ps[0])) != NULL)
		take(gp);
	atomic_store(&done, true);
	for (i = 0; i < THIEVES; i++)
		pthread_join(t[i], NULL);
	while ((gp = globrunqget(&ps[0], 0)) != NULL) {
		take(gp);
		while ((gp = runqget(&ps[0])) != NULL)
			take(gp);
	}
	assert_int_equal(atomic_load(&total), NG);
	for (i = 0; i < NG; i++)
		assert_int_equal(atomic_load(&taken_count[i]), 1);
	free(cgs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fifo_and_runnext, setup),
		cmocka_unit_test_setup(test_runnext_wait, setup),
		cmocka_unit_test_setup(test_spill_to_global, setup),
		cmocka_unit_test_setup(test_steal_half, setup),
		cmocka_unit_test_setup(test_concurrent_steal, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
