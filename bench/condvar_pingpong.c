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
 * With "cpuclock", each thread reads its CPU clock as it starts and ends,
 * and thread_cpu is their CPU time per round trip: the cost of counting
 * each thread's own CPU time (under sprout, two more system calls at every
 * switch once a thread clock has been read).
 *
 * Usage: condvar_pingpong [N [cpuclock]]   (default 200000)
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
static bool cpuclock;
static double cpu_ns[2];

static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

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

	if (cpuclock)
		cpu_ns[id] = -thread_cpu_ns();
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
	if (cpuclock)
		cpu_ns[id] += thread_cpu_ns();
	return NULL;
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr,
			"usage: condvar_pingpong [N [cpuclock]]  (N > 0)\n");
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
	if (argc > 2) {
		if (strcmp(argv[2], "cpuclock"))
			parse_count("");
		cpuclock = true;
	}
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
	if (cpuclock)
		printf("metric thread_cpu %.1f ns/op\n",
		       (cpu_ns[0] + cpu_ns[1]) / done);
	return 0;
}
