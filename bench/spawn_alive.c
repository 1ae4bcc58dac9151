/*
 * spawn_alive - creating threads that stay alive.
 *
 * ROUNDS rounds of BATCH threads: main creates BATCH threads that each
 * wait on one condvar until the round is released, then releases and
 * joins them all. Unlike spawn's create+join, BATCH threads are alive at
 * once, so a runtime cannot hand the same thread's memory to the next
 * create. The first round is a warm-up and is not counted.
 *
 *   create_alive        wall time of the BATCH creates, per thread
 *   create_alive_round  wall time of the whole round (create, wait until
 *                       all wait, release, join), per thread
 *
 * bench/go/spawn_alive.go is the same with goroutines, a channel and a
 * WaitGroup, for reference.
 *
 * Usage: spawn_alive [ROUNDS [BATCH]]   (default 50 1000)
 */
#include <pthread.h>
#include <stdint.h>

#include "bench.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_waiting = PTHREAD_COND_INITIALIZER;
static long waiting, round_no; /* under mu */

static void *waiter(void *arg)
{
	long r = (long)(intptr_t)arg;

	pthread_mutex_lock(&mu);
	if (++waiting == 0)
		abort();
	pthread_cond_signal(&all_waiting);
	while (round_no == r)
		pthread_cond_wait(&wake, &mu);
	pthread_mutex_unlock(&mu);
	return arg;
}

static long parse(const char *s, const char *what)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "spawn_alive: %s must be a count above 0\n",
			what);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? parse(argv[1], "ROUNDS") : 50;
	long batch = argc > 2 ? parse(argv[2], "BATCH") : 1000;
	pthread_t *t = calloc((size_t)batch, sizeof(*t));
	double create_ns = 0, round_ns = 0, t0, t1;
	long r, i;
	int err;

	if (!t)
		fail("calloc", ENOMEM);
	for (r = 0; r <= rounds; r++) {
		t0 = now_ns();
		for (i = 0; i < batch; i++) {
			err = pthread_create(&t[i], NULL, waiter,
					     (void *)(intptr_t)r);
			if (err)
				fail("pthread_create", err);
		}
		t1 = now_ns();
		pthread_mutex_lock(&mu);
		while (waiting < batch)
			pthread_cond_wait(&all_waiting, &mu);
		waiting = 0;
		round_no++;
		pthread_cond_broadcast(&wake);
		pthread_mutex_unlock(&mu);
		for (i = 0; i < batch; i++) {
			void *ret;

			err = pthread_join(t[i], &ret);
			if (err)
				fail("pthread_join", err);
			if ((intptr_t)ret != r) {
				fprintf(stderr,
					"spawn_alive: thread of round "
					"%ld returned %p\n",
					r, ret);
				return 1;
			}
		}
		if (r > 0) { /* round 0 warms up */
			create_ns += t1 - t0;
			round_ns += now_ns() - t0;
		}
	}
	printf("metric create_alive %.1f ns/op\n",
	       create_ns / (rounds * batch));
	printf("metric create_alive_round %.1f ns/op\n",
	       round_ns / (rounds * batch));
	free(t);
	return 0;
}
