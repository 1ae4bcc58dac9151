/*
 * Proves that a mutex that was free at fork() works in the child however
 * its waiters stood in the parent: the parent forks just after an unlock
 * that woke a waiter, which has yet to run (with one P, it cannot have),
 * and in the child a thread that waits for the mutex is woken by its
 * unlock. A round whose waiter took the mutex before the fork (the child
 * finds it locked, as it may natively) proves nothing and is run again.
 */
#include <pthread.h>

#include "check.h"

#define ROUNDS 20

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile int got;

static void *locker(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	got = 1;
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

/* In the child: 0 if a waiter is woken, 2 if m was held at the fork. */
static int child(void)
{
	struct timespec ts;
	pthread_t t;
	int err;

	if (pthread_mutex_trylock(&m) == EBUSY)
		return 2;
	got = 0;
	CHECK(pthread_create(&t, NULL, locker, NULL) == 0, "create");
	usleep(2000); /* the thread waits for m meanwhile */
	CHECK(pthread_mutex_unlock(&m) == 0, "child's unlock");
	ts = deadline_in(CLOCK_REALTIME, 10000);
	err = pthread_timedjoin_np(t, NULL, &ts);
	CHECK(err == 0, "the child's waiter was not woken (%s)", strerror(err));
	CHECK(got, "the child's waiter did not take the mutex");
	return 0;
}

int main(void)
{
	int i, done = 0, status;
	pthread_t t;
	pid_t pid;

	watchdog(120);
	for (i = 0; i < 10 * ROUNDS && done < ROUNDS; i++) {
		CHECK(pthread_mutex_lock(&m) == 0, "lock");
		CHECK(pthread_create(&t, NULL, locker, NULL) == 0, "create");
		sched_yield(); /* the thread waits for m, briefly */
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
		pid = fork();
		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(child());
		status = reap(pid, "child");
		CHECK(status == 0 || status == 2, "child exited %d", status);
		done += status == 0;
		CHECK(pthread_join(t, NULL) == 0, "join");
	}
	CHECK(done == ROUNDS, "only %d of %d rounds found the mutex free", done,
	      ROUNDS);
	puts("fork_mutex_waker: ok");
	return 0;
}
