/*
 * Proves that the initial thread, waiting in pause() or sigsuspend() (both
 * cancellation points), is cancelled by another thread's pthread_cancel():
 * its join gives PTHREAD_CANCELED, the cleanup handler ran, and the process
 * goes on with the other thread. Each wait in a child process of its own,
 * since the initial thread ends in each.
 */
#include <pthread.h>
#include <signal.h>

#include "check.h"

static pthread_t initial;
static volatile int cleaned;

static void *canceller(void *arg)
{
	void *r;

	(void)arg;
	usleep(100000); /* the initial thread waits by now */
	CHECK(pthread_cancel(initial) == 0, "pthread_cancel");
	CHECK(pthread_join(initial, &r) == 0, "pthread_join");
	CHECK(r == PTHREAD_CANCELED, "the initial thread was not cancelled");
	CHECK(cleaned, "its cleanup handler did not run");
	exit(0);
}

static void cleanup(void *arg)
{
	(void)arg;
	cleaned = 1;
}

static void wait_in(bool suspend)
{
	pthread_t t;
	sigset_t none;

	watchdog(20);
	initial = pthread_self();
	CHECK(pthread_create(&t, NULL, canceller, NULL) == 0, "pthread_create");
	pthread_cleanup_push(cleanup, NULL);
	if (suspend) {
		sigemptyset(&none);
		sigsuspend(&none);
	} else {
		pause();
	}
	pthread_cleanup_pop(0);
	CHECK(0, "%s returned", suspend ? "sigsuspend" : "pause");
}

int main(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		pid_t pid = fork();

		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			wait_in(i == 1);
		CHECK(reap(pid, "child") == 0, "%s: child failed",
		      i ? "sigsuspend" : "pause");
	}
	return 0;
}
