/*
 * parked_many - N threads parked on one condvar, for `sprout dump`
 * (bench/dump.sh): prints "ready PID" once all wait, then waits for
 * SIGUSR1, lets them go and joins them.
 *
 * Usage: parked_many N
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int waiting, go; /* under mu */
static volatile sig_atomic_t done;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	waiting++;
	while (!go)
		pthread_cond_wait(&wake, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, i, w;
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, waiter, NULL)) {
			fprintf(stderr, "pthread_create %d failed\n", i);
			return 1;
		}
	}
	do {
		usleep(10000);
		pthread_mutex_lock(&mu);
		w = waiting;
		pthread_mutex_unlock(&mu);
	} while (w < n);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!done)
		pause();
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
