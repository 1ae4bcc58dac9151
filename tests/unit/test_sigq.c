// SPDX-License-Identifier: MIT
/*
 * Queued signals (sched/sigq.c): each signal's sends come out oldest
 * first with their information, others stay queued in order, the pool
 * refuses the program's sends first (sigq_room()), then runs out cleanly
 * and is whole again once freed, and with producers
 * pushing while a consumer takes, every send comes out exactly once and
 * in order.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched/runtime.h"

#define POOL SIGQ_NODES

static void push(struct sigq *q, int sig, int value, bool process)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = value;
	assert_true(sigq_push(q, sig, &si, process, false));
}

static void push_back(struct sigq *q, int sig, int value)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_value.sival_int = value;
	assert_true(sigq_push(q, sig, &si, false, true));
}

static int count(struct sigq_node *n)
{
	int c = 0;

	for (; n; n = n->next)
		c++;
	return c;
}

static void test_order_per_signal(void **state)
{
	struct sigq q;
	struct sigq_node *n, *m;
	int i;

	(void)state;
	sigq_init(&q);
	for (i = 0; i < 6; i++)
		push(&q, 40 + i % 2, i, i == 3);
	n = sigq_take(&q, 41);
	assert_int_equal(count(n), 3);
	for (m = n, i = 1; m; m = m->next, i += 2) {
		assert_int_equal(m->info.si_signo, 41);
		assert_int_equal(m->info.si_code, SI_QUEUE);
		assert_int_equal(m->info.si_value.sival_int, i);
		assert_int_equal(m->process, i == 3);
	}
	sigq_free(n);
	assert_null(sigq_take(&q, 41));
	/* Pushed after a take: behind those left from before. */
	push(&q, 40, 6, false);
	n = sigq_take(&q, 0);
	assert_int_equal(count(n), 4);
	for (m = n, i = 0; m; m = m->next, i += 2)
		assert_int_equal(m->info.si_value.sival_int, i);
	sigq_free(n);
	assert_null(sigq_take(&q, 0));
	/* Pushed back (it came back from the kernel): ahead of the others. */
	push(&q, 42, 2, false);
	push(&q, 42, 3, false);
	push_back(&q, 42, 0);
	push_back(&q, 42, 1);
	n = sigq_take(&q, 42);
	assert_int_equal(count(n), 4);
	for (m = n, i = 0; m; m = m->next, i++)
		assert_int_equal(m->info.si_value.sival_int, i);
	sigq_free(n);
}

static void test_pool_runs_out(void **state)
{
	struct sigq q;
	struct sigq_node *n;
	siginfo_t si;
	int i;

	(void)state;
	sigq_init(&q);
	memset(&si, 0, sizeof(si));
	for (i = 0; i < POOL; i++) {
		assert_int_equal(sigq_room(), i < POOL - SIGQ_RESERVE);
		assert_true(sigq_push(&q, 35, &si, false, false));
	}
	assert_false(sigq_room());
	assert_false(sigq_push(&q, 35, &si, false, false));
	n = sigq_take(&q, 35);
	assert_int_equal(count(n), POOL);
	sigq_free(n);
	assert_true(sigq_room());
	for (i = 0; i < POOL; i++)
		assert_true(sigq_push(&q, 36, &si, false, false));
	sigq_free(sigq_take(&q, 0));
	assert_true(sigq_room());
}

#define PRODUCERS 4
#define SENDS	  20000

static struct sigq shared;
static _Atomic bool go;

static void *producer(void *arg)
{
	int sig = 40 + (int)(intptr_t)arg, i;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (!atomic_load(&go))
		;
	for (i = 0; i < SENDS; i++) {
		si.si_value.sival_int = i;
		/* The pool may be out for a moment: the consumer frees. */
		while (!sigq_push(&shared, sig, &si, false, false))
			sched_yield();
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	pthread_t t[PRODUCERS];
	int next[PRODUCERS] = { 0 }, done = 0, i;

	(void)state;
	sigq_init(&shared);
	for (i = 0; i < PRODUCERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, producer,
						(void *)(intptr_t)i),
				 0);
	atomic_store(&go, true);
	while (done < PRODUCERS * SENDS) {
		for (i = 0; i < PRODUCERS; i++) {
			struct sigq_node *n = sigq_take(&shared, 40 + i), *m;

			for (m = n; m; m = m->next) {
				assert_int_equal(m->info.si_signo, 40 + i);
				assert_int_equal(m->info.si_value.sival_int,
						 next[i]);
				next[i]++;
				done++;
			}
			sigq_free(n);
		}
	}
	for (i = 0; i < PRODUCERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(next[i], SENDS);
	}
	assert_null(sigq_take(&shared, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_per_signal),
		cmocka_unit_test(test_pool_runs_out),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
