/*
 * A small threaded program for valgrind's memcheck (tests/dump/valgrind.sh):
 * threads that allocate, fill and free buffers, hand a token round a ring
 * through mutexes and condition variables, sleep, and pass bytes through
 * a pipe; with "bad", one thread reads one int past a buffer, the single
 * error memcheck must find, natively and under sprout alike.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 6
#define ROUNDS	50

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn; /* under mu: whose turn it is */
static long sum; /* under mu */
static int pfd[2];
static int bad;

static void *worker(void *arg)
{
	int me = (int)(long)arg, i, n = 100 + me;
	int *buf = malloc((size_t)n * sizeof(int));
	struct timespec ts = { 0, 100000 };
	long local = 0;

	for (i = 0; i < n; i++)
		buf[i] = i * me;
	for (i = 0; i < n; i++)
		local += buf[i];
	if (bad && me == 1)
		local += buf[n]; /* one past the end */
	free(buf);
	for (i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		while (turn != me)
			pthread_cond_wait(&cv, &mu);
		sum += local + i;
		turn = (turn + 1) % THREADS;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		if (i % 10 == 0)
			nanosleep(&ts, NULL);
	}
	if (write(pfd[1], &me, sizeof(me)) != sizeof(me))
		return (void *)1;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];
	int i, got, seen = 0;
	void *ret;

	bad = argc > 1 && !strcmp(argv[1], "bad");
	if (pipe(pfd))
		return 2;
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(long)i))
			return 2;
	for (i = 0; i < THREADS; i++) {
		if (read(pfd[0], &got, sizeof(got)) != sizeof(got))
			return 2;
		seen |= 1 << got;
	}
	for (i = 0; i < THREADS; i++)
		if (pthread_join(t[i], &ret) || ret)
			return 2;
	printf("threads %x, sum %ld\n", seen, sum);
	return seen == (1 << THREADS) - 1 ? 0 : 1;
}
