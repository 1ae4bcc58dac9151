/*
 * condvar_pingpong - cost of handing a token between two threads that block
 * on condition variables.
 *
 * Two threads share one mutex, a turn variable and one condvar each. A
 * thread waits on its condvar (pthread_cond_wait) until turn is its own,
 * then gives the turn to the other thread and signals the other condvar.
 * cond_pingpong_roundtrip is the wall time per round trip (the token went
 * to thread 1 and back to thread 0), N round trips, not counting thread
 * creation. Natively every hand-off is a futex wake and a futex wait.
 *
 * The run stops early after PHASE_LIMIT_S seconds (checked every 1024
 * round trips) and reports what was done up to then.
 *
 * Usage: condvar_pingpong [N]   (default 200000)
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define DEFAULT_N     200000
#define PHASE_LIMIT_S 15

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond[2] = { PTHREAD_COND_INITIALIZER,
				  PTHREAD_COND_INITIALIZER };
/* All under mu. turn is -1 until main starts the game. */
static int turn = -1;
static bool stop;
static long todo;
static long done;
static double deadline;
static double t_end;

static void lock(void)
{
	int err = pthread_mutex_lock(&mu);

	if (err)
		fail("pthread_mutex_lock", err);
}

static void unlock(void)
{
	int err = pthread_mutex_unlock(&mu);

	if (err)
		fail("pthread_mutex_unlock", err);
}

static void signal_cond(int id)
{
	int err = pthread_cond_signal(&cond[id]);

	if (err)
		fail("pthread_cond_signal", err);
}

/* Thread 0 counts: the k-th time it has the turn, k round trips are done. */
static bool finished(void)
{
	if (done == todo)
		return true;
	if ((done & 1023) == 0 && done > 0 && now_ns() > deadline)
		return true;
	return false;
}

static void *player(void *arg)
{
	int id = (int)(long)arg;
	int err;

	lock();
	for (;;) {
		while (turn != id && !stop) {
			err = pthread_cond_wait(&cond[id], &mu);
			if (err)
				fail("pthread_cond_wait", err);
		}
		if (stop)
			break;
		if (id == 0) {
			if (finished()) {
				t_end = now_ns();
				stop = true;
				signal_cond(1);
				break;
			}
			done++;
		}
		turn = !id;
		signal_cond(!id);
	}
	unlock();
	return NULL;
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "usage: condvar_pingpong [N]  (N > 0)\n");
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	pthread_t tid[2];
	double t0;
	long i;
	int err;

	todo = argc > 1 ? parse_count(argv[1]) : DEFAULT_N;
	for (i = 0; i < 2; i++) {
		err = pthread_create(&tid[i], NULL, player, (void *)i);
		if (err)
			fail("pthread_create", err);
	}

	lock();
	t0 = now_ns();
	deadline = t0 + PHASE_LIMIT_S * 1e9;
	turn = 0;
	signal_cond(0);
	unlock();

	for (i = 0; i < 2; i++) {
		err = pthread_join(tid[i], NULL);
		if (err)
			fail("pthread_join", err);
	}

	if (done < todo)
		fprintf(stderr,
			"condvar_pingpong: stopped after %d s: %ld of %ld\n",
			PHASE_LIMIT_S, done, todo);
	printf("metric cond_pingpong_roundtrip %.1f ns/op\n",
	       (t_end - t0) / done);
	return 0;
}
