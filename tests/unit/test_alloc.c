// SPDX-License-Identifier: MIT
/*
 * The runtime's memory (sched/alloc.c): a block of any size comes zeroed,
 * writable and aligned to its class; one given back is given again, zeroed
 * again; a block over the largest class is a mapping of its own, gone when
 * given back; and the child of a fork taken while another thread
 * allocates and frees as fast as it can finds the lists whole: after
 * alloc_afterfork_child() it allocates blocks of every class, each apart
 * from the others.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sched/runtime.h"

#define BIG (256 * 1024)

static bool all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static size_t class_size(size_t n)
{
	size_t c = 16;

	while (c < n)
		c *= 2;
	return c;
}

static void test_sizes(void **state)
{
	size_t n;

	(void)state;
	for (n = 1; n <= BIG; n = n * 3 / 2 + 1) {
		unsigned char *p = rt_alloc(n);

		assert_non_null(p);
		assert_true(all_zero(p, n));
		if (n <= 65536)
			assert_int_equal((uintptr_t)p % class_size(n), 0);
		else
			assert_int_equal((uintptr_t)p % 4096, 0);
		memset(p, 0xa5, n);
		rt_free(p, n);
	}
	rt_free(NULL, 16);
}

static void test_reuse(void **state)
{
	unsigned char *p, *q;

	(void)state;
	p = rt_alloc(100);
	assert_non_null(p);
	memset(p, 0xff, 100);
	rt_free(p, 100);
	/* The same class (128 bytes): the block just given back. */
	q = rt_alloc(120);
	assert_ptr_equal(p, q);
	assert_true(all_zero(q, 128));
	rt_free(q, 120);
}

static void test_big_unmapped(void **state)
{
	unsigned char vec[1];
	unsigned char *p;

	(void)state;
	p = rt_alloc(BIG);
	assert_non_null(p);
	assert_int_equal(mincore(p, 4096, vec), 0);
	rt_free(p, BIG);
	assert_int_equal(mincore(p, 4096, vec), -1);
	assert_int_equal(errno, ENOMEM);
}

static atomic_bool churn_stop;

/* Allocate and free blocks of every class as fast as it can. */
static void *churn(void *arg)
{
	void *held[64] = { 0 };
	unsigned int i = 0;

	(void)arg;
	while (!atomic_load(&churn_stop)) {
		size_t n = (size_t)16 << (i % 13);
		unsigned int k = i % 64;

		rt_free(held[k], (size_t)16 << (k % 13));
		held[k] = rt_alloc(n);
		if (held[k] && k % 13 != i % 13) {
			rt_free(held[k], n);
			held[k] = NULL;
		}
		i++;
	}
	for (i = 0; i < 64; i++)
		rt_free(held[i], (size_t)16 << (i % 13));
	return NULL;
}

/* In the child: blocks of every class, each written whole, none shared. */
static int child_allocates(void)
{
	unsigned char *p[13][8];
	int c, k, j;

	alloc_afterfork_child();
	for (c = 0; c < 13; c++)
		for (k = 0; k < 8; k++) {
			size_t n = (size_t)16 << c;

			p[c][k] = rt_alloc(n);
			if (!p[c][k] || !all_zero(p[c][k], n))
				return 1;
			memset(p[c][k], c * 8 + k + 1, n);
		}
	for (c = 0; c < 13; c++)
		for (k = 0; k < 8; k++)
			for (j = 0; j < 16 << c; j++)
				if (p[c][k][j] != c * 8 + k + 1)
					return 2;
	return 0;
}

static void test_fork_during_churn(void **state)
{
	pthread_t t;
	int i;

	(void)state;
	atomic_store(&churn_stop, false);
	assert_int_equal(pthread_create(&t, NULL, churn, NULL), 0);
	for (i = 0; i < 200; i++) {
		struct timespec nap = { 0, 50 * 1000 };
		int status, waited;
		pid_t pid = fork();

		if (pid == 0) {
			alarm(10);
			_exit(child_allocates());
		}
		assert_true(pid > 0);
		do
			waited = waitpid(pid, &status, 0);
		while (waited < 0 && errno == EINTR);
		assert_int_equal(waited, pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		nanosleep(&nap, NULL);
	}
	atomic_store(&churn_stop, true);
	pthread_join(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_big_unmapped),
		cmocka_unit_test(test_fork_during_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
