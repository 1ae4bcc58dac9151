/*
 * Proves that pthread_once and C11 call_once run their routine exactly
 * once under a race, and that no caller returns before the routine has
 * completed: 64 threads released together call both; each routine yields
 * 100 times before publishing its value, and every caller checks the value
 * and the run count right after its call returns.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <threads.h>

#include "check.h"

#define NTHREADS 64

static pthread_once_t p_once = PTHREAD_ONCE_INIT;
static once_flag c_once = ONCE_FLAG_INIT;
static atomic_int p_runs, c_runs, p_value, c_value, ready;
static atomic_bool go;

static void p_init(void)
{
	int i;

	atomic_fetch_add(&p_runs, 1);
	for (i = 0; i < 100; i++)
		sched_yield();
	atomic_store(&p_value, 42);
}

static void c_init(void)
{
	int i;

	atomic_fetch_add(&c_runs, 1);
	for (i = 0; i < 100; i++)
		sched_yield();
	atomic_store(&c_value, 43);
}

static void *worker(void *arg)
{
	int err;

	(void)arg;
	atomic_fetch_add(&ready, 1);
	CHECK(wait_until(atomic_load(&go), 30), "never started");

	err = pthread_once(&p_once, p_init);
	CHECK(err == 0, "pthread_once: %s", strerror(err));
	CHECK(atomic_load(&p_value) == 42 && atomic_load(&p_runs) == 1,
	      "after pthread_once: value %d, runs %d", atomic_load(&p_value),
	      atomic_load(&p_runs));

	call_once(&c_once, c_init);
	CHECK(atomic_load(&c_value) == 43 && atomic_load(&c_runs) == 1,
	      "after call_once: value %d, runs %d", atomic_load(&c_value),
	      atomic_load(&c_runs));
	return NULL;
}

int main(void)
{
	pthread_t tids[NTHREADS];
	int i, err;

	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], NULL, worker, NULL);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	CHECK(wait_until(atomic_load(&ready) == NTHREADS, 30),
	      "only %d threads ready", atomic_load(&ready));
	atomic_store(&go, true);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(tids[i], NULL) == 0, "pthread_join");
	CHECK(atomic_load(&p_runs) == 1 && atomic_load(&c_runs) == 1,
	      "routines ran %d and %d times", atomic_load(&p_runs),
	      atomic_load(&c_runs));
	return 0;
}
