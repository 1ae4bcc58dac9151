/*
 * The progress probe of the blocking-call tests: ROUNDS mutex + condvar
 * round trips between two new threads, which must finish within 20 s.
 * A test runs it while another thread is blocked in a call; with one
 * processor under the library it finishes only if that call handed its
 * processor off.
 */
#ifndef SPROUT_TESTS_PINGPONG_H
#define SPROUT_TESTS_PINGPONG_H

#include <pthread.h>

#include "check.h"

#define ROUNDS 1000

/* The ping-pong: side 0 passes the turn to side 1 and back, ROUNDS times. */
struct pingpong {
	pthread_mutex_t m;
	pthread_cond_t c;
	struct timespec deadline;
	int turn;
	int trips;
};

static void pp_wait_turn(struct pingpong *pp, int side)
{
	int err;

	while (pp->turn != side) {
		err = pthread_cond_timedwait(&pp->c, &pp->m, &pp->deadline);
		CHECK(err == 0 || err == ETIMEDOUT, "cond_timedwait: %d", err);
		CHECK(err == 0 || pp->turn == side,
		      "ping-pong stuck after %d round trips", pp->trips);
	}
}

static void *ping(void *arg)
{
	struct pingpong *pp = arg;
	int i;

	CHECK(pthread_mutex_lock(&pp->m) == 0, "lock");
	for (i = 0; i < ROUNDS; i++) {
		pp_wait_turn(pp, 0);
		pp->turn = 1;
		CHECK(pthread_cond_signal(&pp->c) == 0, "signal");
	}
	pp_wait_turn(pp, 0);
	CHECK(pthread_mutex_unlock(&pp->m) == 0, "unlock");
	return NULL;
}

static void *pong(void *arg)
{
	struct pingpong *pp = arg;
	int i;

	CHECK(pthread_mutex_lock(&pp->m) == 0, "lock");
	for (i = 0; i < ROUNDS; i++) {
		pp_wait_turn(pp, 1);
		pp->trips++;
		pp->turn = 0;
		CHECK(pthread_cond_signal(&pp->c) == 0, "signal");
	}
	CHECK(pthread_mutex_unlock(&pp->m) == 0, "unlock");
	return NULL;
}

/* ROUNDS round trips between two new threads, within 20 s. */
static void pingpong_run(const char *what)
{
	struct pingpong pp = { .m = PTHREAD_MUTEX_INITIALIZER,
			       .c = PTHREAD_COND_INITIALIZER };
	pthread_t a, b;

	pp.deadline = deadline_in(CLOCK_REALTIME, 20000);
	CHECK(pthread_create(&a, NULL, ping, &pp) == 0, "%s: create", what);
	CHECK(pthread_create(&b, NULL, pong, &pp) == 0, "%s: create", what);
	CHECK(pthread_join(a, NULL) == 0, "%s: join", what);
	CHECK(pthread_join(b, NULL) == 0, "%s: join", what);
	CHECK(pp.trips == ROUNDS, "%s: %d round trips, want %d", what, pp.trips,
	      ROUNDS);
}

#endif /* SPROUT_TESTS_PINGPONG_H */
