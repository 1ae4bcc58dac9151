// SPDX-License-Identifier: MIT
/*
 * Timers with the scheduler running in this process (the test's main
 * thread is the initial G, on P 0): due timers fire in deadline order and
 * in arming order within one slack-wide slot, never early and at most the
 * slack late; a timer disarmed before its deadline never fires and empties
 * its bucket; thousands of timers due together make only a few buckets;
 * a timer function may arm and disarm timers;
 * a G that runs long beside a due timer is asked to yield, and, with no
 * handler for the runtime's kicks in the process (no shim here), is not
 * sent one; and a G's sleep ends on time (not under ASan, which cannot
 * follow a G).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sched/runtime.h"
#include "runtime_setup.h"

#define NT 4000

struct probe {
	struct timer t;
	int id;
	int64_t fired; /* nanotime() when f ran; 0: never */
};

static struct probe probes[NT];
static int order[NT], norder;

static void record(struct timer *t)
{
	struct probe *pr = (struct probe *)t;

	pr->fired = nanotime();
	order[norder++] = pr->id;
}

static int setup(void **state)
{
	(void)state;
	return start_runtime(1);
}

static void arm(int id, int64_t when)
{
	probes[id] =
		(struct probe){ .t = { .when = when, .f = record }, .id = id };
	rt_enter();
	timer_add(&probes[id].t);
	rt_exit();
}

/* Run P 0's timers until all n have fired or 2 s have passed. */
static void run_until_fired(int n)
{
	int64_t end = nanotime() + 2000000000;

	while (norder < n && nanotime() < end) {
		rt_enter();
		checktimers(getp(), nanotime());
		rt_exit();
	}
}

static void test_order_and_slack(void **state)
{
	int64_t base = nanotime() + 5000000;
	/* Deadlines out of order; 0 and 1 share a slot, 1 armed first. */
	int64_t at[5] = { base + 300000, base + 300000, base + 100000,
			  base + 2000000, base + 1000 };
	int want[5] = { 4, 2, 1, 0, 3 }, i;

	(void)state;
	norder = 0;
	arm(1, at[1]);
	arm(0, at[0]);
	arm(2, at[2]);
	arm(3, at[3]);
	arm(4, at[4]);
	run_until_fired(5);
	assert_int_equal(norder, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(order[i], want[i]);
		assert_true(probes[order[i]].fired >= at[order[i]]);
	}
	/* Not a check of lateness under load: that the slot is the slack. */
	assert_true((at[0] + TIMER_SLACK_NS - 1) / TIMER_SLACK_NS ==
		    (at[1] + TIMER_SLACK_NS - 1) / TIMER_SLACK_NS);
	assert_int_equal(atomic_load(&getp()->timer0), INT64_MAX);
}

static void test_del(void **state)
{
	int64_t base = nanotime() + 3000000;

	(void)state;
	norder = 0;
	arm(0, base);
	arm(1, base);
	arm(2, base + 500000);
	assert_true(timer_del(&probes[1].t));
	assert_true(timer_del(&probes[2].t)); /* its bucket's only timer */
	assert_int_equal(getp()->ntimers, 1);
	run_until_fired(1);
	assert_int_equal(norder, 1);
	assert_int_equal(order[0], 0);
	/* A fired timer: timer_del says so and waits for nothing. */
	assert_false(timer_del(&probes[0].t));
	assert_int_equal(probes[1].fired, 0);
	assert_int_equal(probes[2].fired, 0);
	assert_int_equal(getp()->ntimers, 0);
}

static void test_many_share_buckets(void **state)
{
	int64_t base = nanotime() + 20000000;
	int i, buckets;

	(void)state;
	norder = 0;
	/* NT timers spread over 1 ms: at most 1 ms / slack + 1 buckets. */
	for (i = 0; i < NT; i++)
		arm(i, base + (int64_t)i * 1000000 / NT);
	buckets = getp()->ntimers;
	assert_true(buckets <= 1000000 / TIMER_SLACK_NS + 1);
	run_until_fired(NT);
	assert_int_equal(norder, NT);
	for (i = 0; i < NT; i++) {
		assert_int_equal(order[i], i);
		assert_true(probes[i].fired >= probes[i].t.when);
	}
}

/*
 * A timer function runs with its bucket out of the heap and marked
 * firing, and the timer lock free: it may arm a timer for its own slot,
 * which goes to a new bucket and fires after its own bucket's timers,
 * and disarm one in another bucket. Probe 0 does both, on the initial G
 * (timer_add() needs a P).
 */
static void arm_and_del(struct timer *t)
{
	record(t);
	probes[3] = (struct probe){ .t = { .when = t->when, .f = record },
				    .id = 3 };
	timer_add(&probes[3].t);
	assert_true(timer_del(&probes[2].t));
}

static void test_arm_and_del_while_firing(void **state)
{
	int64_t base = nanotime() + 3000000;

	(void)state;
	norder = 0;
	arm(0, base);
	arm(1, base);
	arm(2, base + 1000000);
	probes[0].t.f = arm_and_del;
	run_until_fired(3);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1); /* its bucket's, armed before 3 */
	assert_int_equal(order[2], 3);
	assert_int_equal(probes[2].fired, 0);
	assert_int_equal(getp()->ntimers, 0);
}

/*
 * sysmon asks P 0 to yield once its G has run 10 ms beside a due timer,
 * and kicks its M 10 ms later: a SIGCANCEL that, with no handler, would
 * end the process. The shim installs the handler; here there is none.
 * On a machine so busy that the kernel leaves this thread off its CPU
 * for the 20 ms sysmon calls blocked, sysmon hands P 0 to another M
 * instead (a hidden handoff), which runs the timer: that answers too.
 */
static void test_long_run_not_kicked(void **state)
{
	struct probe pr = { .t = { .f = record } };
	int64_t start = nanotime(), asked = 0;
	uint64_t handoffs = atomic_load(&sched.hidden_handoffs);
	volatile uint64_t spins = 0;

	(void)state;
	norder = 0;
	pr.t.when = start;
	rt_enter();
	timer_add(&pr.t);
	rt_exit();
	/* Until asked, then 100 ms more: ten kicks' worth. 5 s at most. */
	while (nanotime() - start < 5000000000 &&
	       (!asked || nanotime() - asked < 100000000)) {
		spins++;
		if (!asked && (atomic_load(&getp()->preempt) ||
			       atomic_load(&sched.hidden_handoffs) != handoffs))
			asked = nanotime();
	}
	assert_true(asked != 0);
	run_until_fired(1);
	assert_int_equal(norder, 1);
}

/*
 * A request to yield with nothing queued and no timer due is met as it is
 * looked at: left standing, every later safe point of the G's (each mutex
 * unlock) went into the runtime and yielded its kernel thread.
 */
static void test_request_met_when_alone(void **state)
{
	(void)state;
	assert_int_equal(getp()->ntimers, 0);
	atomic_store(&getp()->preempt, true);
	gopreempt();
	assert_false(atomic_load(&getp()->preempt));
	atomic_store(&getp()->preempt, true);
	gosched();
	assert_false(atomic_load(&getp()->preempt));
}

static __attribute__((unused)) void test_sleep(void **state)
{
	int64_t start = nanotime();

	(void)state;
	assert_int_equal(g_sleep(start + 20000000), 0);
	assert_true(nanotime() - start >= 20000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_slack),
		cmocka_unit_test(test_del),
		cmocka_unit_test(test_many_share_buckets),
		cmocka_unit_test(test_arm_and_del_while_firing),
		cmocka_unit_test(test_long_run_not_kicked),
		cmocka_unit_test(test_request_met_when_alone),
#if !defined(__SANITIZE_ADDRESS__)
		/* A G's TLS is its own: on a parked-and-resumed G, ASan
		   finds no thread. The others run on the initial thread. */
		cmocka_unit_test(test_sleep),
#endif
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
