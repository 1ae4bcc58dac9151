/*
 * mutex_fixed - a fixed amount of work on one contended mutex.
 *
 * THREADS threads (64 KiB stacks) each lock one default mutex, increment a
 * shared counter and unlock it, OPS / THREADS times. They are created
 * first and wait behind a condvar gate, which main opens with a broadcast
 * once all are there; the time runs from the broadcast to the last join.
 *
 * mutex_fixed_T<THREADS>_ops is lock/unlock pairs per second of that time.
 * The run fails if the counter is not THREADS * (OPS / THREADS).
 *
 * Beside mutex_contention (fixed time, work inside and outside the lock),
 * the lock here is held almost all the time, and the run lasts until the
 * slowest thread is done: a thread that waits long costs the whole run.
 *
 * Usage: mutex_fixed THREADS [OPS]   (default 20,000,000)
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#define DEFAULT_OPS 20000000L
#define MAX_OPS	    1000000000L
#define MAX_THREADS 100000
#define STACK_SIZE  (64 * 1024)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter; /* under mu */
static long per_thread;

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static long waiting; /* under gate_mu, as is open */
static bool open;

static void check(const char *what, int err)
{
	if (err)
		fail(what, err);
}

static void *work(void *arg)
{
	long i;

	(void)arg;
	check("pthread_mutex_lock", pthread_mutex_lock(&gate_mu));
	waiting++;
	check("pthread_cond_broadcast", pthread_cond_broadcast(&gate_cv));
	while (!open)
		check("pthread_cond_wait",
		      pthread_cond_wait(&gate_cv, &gate_mu));
	check("pthread_mutex_unlock", pthread_mutex_unlock(&gate_mu));
	for (i = 0; i < per_thread; i++) {
		check("pthread_mutex_lock", pthread_mutex_lock(&mu));
		counter++;
		check("pthread_mutex_unlock", pthread_mutex_unlock(&mu));
	}
	return NULL;
}

static long parse(const char *s, long max)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1 || n > max) {
		fprintf(stderr,
			"usage: mutex_fixed THREADS [OPS]  (1 <= THREADS <= "
			"%d, THREADS <= OPS <= %ld)\n",
			MAX_THREADS, MAX_OPS);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long nthreads, ops, i;
	pthread_t *t;
	pthread_attr_t attr;
	double t0, elapsed;

	if (argc < 2 || argc > 3)
		parse("", 0); /* usage */
	nthreads = parse(argv[1], MAX_THREADS);
	ops = argc > 2 ? parse(argv[2], MAX_OPS) : DEFAULT_OPS;
	if (ops < nthreads)
		parse("", 0);
	per_thread = ops / nthreads;

	t = calloc(nthreads, sizeof(*t));
	if (!t)
		fail("calloc", errno);
	check("pthread_attr_init", pthread_attr_init(&attr));
	check("pthread_attr_setstacksize",
	      pthread_attr_setstacksize(&attr, STACK_SIZE));
	for (i = 0; i < nthreads; i++)
		check("pthread_create",
		      pthread_create(&t[i], &attr, work, NULL));

	check("pthread_mutex_lock", pthread_mutex_lock(&gate_mu));
	while (waiting < nthreads)
		check("pthread_cond_wait",
		      pthread_cond_wait(&gate_cv, &gate_mu));
	open = true;
	t0 = now_ns();
	check("pthread_cond_broadcast", pthread_cond_broadcast(&gate_cv));
	check("pthread_mutex_unlock", pthread_mutex_unlock(&gate_mu));
	for (i = 0; i < nthreads; i++)
		check("pthread_join", pthread_join(t[i], NULL));
	elapsed = now_ns() - t0;

	if (counter != (unsigned long)(per_thread * nthreads)) {
		fprintf(stderr, "mutex_fixed: counter %lu != %ld\n", counter,
			per_thread * nthreads);
		return 1;
	}
	printf("metric mutex_fixed_T%ld_ops %.0f ops/s\n", nthreads,
	       per_thread * nthreads / (elapsed / 1e9));
	pthread_attr_destroy(&attr);
	free(t);
	return 0;
}
