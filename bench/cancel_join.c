/*
 * cancel_join - cost of cancelling a thread parked in a condvar wait and
 * joining it.
 *
 * N times: create a thread that takes a mutex, says it is parked and waits
 * on a condvar (a cleanup handler unlocks the mutex when it is cancelled);
 * main waits until the thread is inside pthread_cond_wait (it set its flag
 * under the mutex, and main can take the mutex only once the wait released
 * it), then pthread_cancel and pthread_join, which must give
 * PTHREAD_CANCELED (a join that waits 10 s fails the run).
 * cancel_join is the wall time from pthread_cancel to the return of
 * pthread_join; cancel_join_cycle the wall time of the whole cycle (create,
 * park, cancel, join), both per thread.
 *
 * The run stops early after PHASE_LIMIT_S seconds and reports what was
 * done up to then.
 *
 * Usage: cancel_join [N]   (default 10000)
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#define DEFAULT_N     10000
#define PHASE_LIMIT_S 15

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t never_cv = PTHREAD_COND_INITIALIZER;
static bool parked; /* under mu */

static void check(const char *what, int err)
{
	if (err)
		fail(what, err);
}

static void unlock_mu(void *arg)
{
	(void)arg;
	check("pthread_mutex_unlock", pthread_mutex_unlock(&mu));
}

static void *park(void *arg)
{
	(void)arg;
	check("pthread_mutex_lock", pthread_mutex_lock(&mu));
	pthread_cleanup_push(unlock_mu, NULL);
	parked = true;
	check("pthread_cond_signal", pthread_cond_signal(&parked_cv));
	for (;;)
		check("pthread_cond_wait", pthread_cond_wait(&never_cv, &mu));
	pthread_cleanup_pop(1);
	return NULL;
}

/* Returns once t is inside pthread_cond_wait. */
static void wait_parked(void)
{
	check("pthread_mutex_lock", pthread_mutex_lock(&mu));
	while (!parked)
		check("pthread_cond_wait", pthread_cond_wait(&parked_cv, &mu));
	parked = false;
	check("pthread_mutex_unlock", pthread_mutex_unlock(&mu));
}

/* Joins t, failing if it is not over in 10 s: never hangs. */
static void join(pthread_t t, void **res)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	check("pthread_timedjoin_np", pthread_timedjoin_np(t, res, &ts));
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "usage: cancel_join [N]  (N > 0)\n");
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? parse_count(argv[1]) : DEFAULT_N, done;
	double t0 = now_ns(), deadline = t0 + PHASE_LIMIT_S * 1e9;
	double in_cancel = 0, t1;
	pthread_t t;
	void *res;

	for (done = 0; done < n && now_ns() < deadline; done++) {
		check("pthread_create", pthread_create(&t, NULL, park, NULL));
		wait_parked();
		t1 = now_ns();
		check("pthread_cancel", pthread_cancel(t));
		join(t, &res);
		in_cancel += now_ns() - t1;
		if (res != PTHREAD_CANCELED) {
			fprintf(stderr,
				"cancel_join: thread %ld not cancelled\n",
				done);
			return 1;
		}
	}
	if (done < n)
		fprintf(stderr, "cancel_join: stopped after %d s: %ld of %ld\n",
			PHASE_LIMIT_S, done, n);
	printf("metric cancel_join %.1f ns/op\n", in_cancel / done);
	printf("metric cancel_join_cycle %.1f ns/op\n", (now_ns() - t0) / done);
	return 0;
}
