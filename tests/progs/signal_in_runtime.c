/*
 * A handler may call sem_post() (async-signal-safe) whenever a signal
 * comes, whatever the threads are doing: an interval timer sends SIGALRM
 * to the process every 50 us while two pairs of threads play semaphore
 * and condvar ping-pong, so that signals land in the middle of waits,
 * wakeups and switches. Every round trip completes, every post of the
 * handler is seen by a consumer thread (posts == takes), and nothing
 * hangs (the test's time limit; SIGALRM is the timer's here).
 */
#include <pthread.h>
#include <semaphore.h>
#include <sys/time.h>

#include "check.h"

#define ROUNDS 100000

static sem_t ticks;
static _Atomic long posted, taken;
static _Atomic bool done;

static void on_alarm(int sig)
{
	(void)sig;
	if (sem_post(&ticks) == 0)
		posted++;
}

struct sem_pair {
	sem_t ping, pong;
};

static void *sem_ponger(void *arg)
{
	struct sem_pair *p = arg;

	for (int i = 0; i < ROUNDS; i++) {
		while (sem_wait(&p->ping) != 0)
			CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
		sem_post(&p->pong);
	}
	return NULL;
}

static void *sem_pinger(void *arg)
{
	struct sem_pair *p = arg;

	for (int i = 0; i < ROUNDS; i++) {
		sem_post(&p->ping);
		while (sem_wait(&p->pong) != 0)
			CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	}
	return NULL;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: the pinger's, 1: the ponger's */

static void *cond_player(void *arg)
{
	int me = (int)(long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&m);
		while (turn != me)
			pthread_cond_wait(&c, &m);
		turn = !me;
		pthread_cond_signal(&c);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		if (sem_wait(&ticks) != 0) {
			CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
			continue;
		}
		taken++;
		if (done)
			break;
	}
	while (sem_trywait(&ticks) == 0)
		taken++;
	return NULL;
}

int main(void)
{
	struct itimerval every = { { 0, 50 }, { 0, 50 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm,
				.sa_flags = SA_RESTART };
	struct sem_pair pair;
	pthread_t t[5];
	int i;

	sem_init(&ticks, 0, 0);
	sem_init(&pair.ping, 0, 0);
	sem_init(&pair.pong, 0, 0);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
	CHECK(pthread_create(&t[0], NULL, consumer, NULL) == 0, "create");
	CHECK(pthread_create(&t[1], NULL, sem_ponger, &pair) == 0, "create");
	CHECK(pthread_create(&t[2], NULL, sem_pinger, &pair) == 0, "create");
	CHECK(pthread_create(&t[3], NULL, cond_player, (void *)0L) == 0,
	      "create");
	CHECK(pthread_create(&t[4], NULL, cond_player, (void *)1L) == 0,
	      "create");
	CHECK(setitimer(ITIMER_REAL, &every, NULL) == 0, "setitimer");
	for (i = 1; i < 5; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "join");
	CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0, "setitimer");
	usleep(200000); /* handlers under way end */
	done = true;
	sem_post(&ticks); /* ends the consumer */
	CHECK(pthread_join(t[0], NULL) == 0, "join");
	CHECK(posted + 1 == taken, "%ld posts, %ld taken", (long)posted,
	      (long)taken - 1);
	CHECK(posted > 0, "the timer's handler never ran");
	printf("%ld handler posts over %d round trips\n", (long)posted, ROUNDS);
	return 0;
}
