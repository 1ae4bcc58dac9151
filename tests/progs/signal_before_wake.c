/*
 * Proves that a signal another thread sends to the process is on its way
 * to the initial thread before kill() returns: Linux makes it pending on
 * the thread-group leader when that does not block it, and a thread runs
 * its pending handlers before it goes on, whatever woke it. A helper
 * sends SIGUSR1 to the process, then wakes the initial thread, which is
 * waiting in sem_wait(), pthread_cond_wait() or read() on a pipe; once
 * awake, the initial thread must find the handler has run. CPython's
 * test_threadsignals counts on this: its handlers run on the initial
 * thread only, at its next look after the signal came.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "check.h"

#define ROUNDS 200

enum wait { SEM, COND, PIPE, NWAITS };
static const char *const names[] = { "sem_wait", "pthread_cond_wait", "read" };

static atomic_int handled;
static sem_t go, sem;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int posted;
static int pipefd[2];
static enum wait mode;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void *sender(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NWAITS * ROUNDS; i++) {
		while (sem_wait(&go) != 0)
			CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
		usleep(2000); /* the initial thread waits by now */
		CHECK(kill(getpid(), SIGUSR1) == 0, "kill: %s",
		      strerror(errno));
		switch (mode) {
		case SEM:
			CHECK(sem_post(&sem) == 0, "sem_post");
			break;
		case COND:
			pthread_mutex_lock(&mu);
			posted++;
			pthread_cond_signal(&cv);
			pthread_mutex_unlock(&mu);
			break;
		default:
			CHECK(write(pipefd[1], "x", 1) == 1, "write: %s",
			      strerror(errno));
		}
	}
	return NULL;
}

static void wait_once(int round)
{
	char c;

	switch (mode) {
	case SEM:
		while (sem_wait(&sem) != 0)
			CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
		break;
	case COND:
		pthread_mutex_lock(&mu);
		while (posted <= round)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		break;
	default:
		while (read(pipefd[0], &c, 1) != 1)
			CHECK(errno == EINTR, "read: %s", strerror(errno));
	}
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t t;
	int round, n = 0;

	watchdog(120);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	CHECK(pipe(pipefd) == 0, "pipe: %s", strerror(errno));
	sem_init(&go, 0, 0);
	sem_init(&sem, 0, 0);
	CHECK(pthread_create(&t, NULL, sender, NULL) == 0, "pthread_create");
	for (mode = SEM; mode < NWAITS; mode++)
		for (round = 0; round < ROUNDS; round++) {
			sem_post(&go);
			wait_once(round);
			n++;
			CHECK(atomic_load(&handled) == n,
			      "%s, round %d: %d handled of %d sent",
			      names[mode], round, atomic_load(&handled), n);
		}
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	return 0;
}
