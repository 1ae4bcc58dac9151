/*
 * Proves that abort() and a failed assert() in a thread other than the
 * initial one end the process with SIGABRT, as natively: in a forked
 * child, a new thread calls (a) abort(); (b) abort() with a SIGABRT
 * handler that returns (it runs once, then the default action); (c)
 * assert(0), whose message reaches stderr. The parent checks each
 * child's end: killed by SIGABRT, not by a crash.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "check.h"

static atomic_int handled;

static void on_abrt(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void *aborter(void *arg)
{
	int how = (int)(intptr_t)arg;

	if (how == 1)
		CHECK(signal(SIGABRT, on_abrt) != SIG_ERR, "signal");
	if (how == 2)
		assert(how == 0); /* fails */
	abort();
}

static void child(int how)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, aborter, (void *)(intptr_t)how) == 0,
	      "create");
	pthread_join(t, NULL);
	_exit(3); /* not reached */
}

int main(void)
{
	const char *what[] = { "abort()", "abort() with a handler",
			       "assert(0)" };

	watchdog(60);
	for (int how = 0; how < 3; how++) {
		int st;
		pid_t pid = fork();

		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0) {
			/* The child's stderr would show in the test's log. */
			if (how == 2)
				freopen("/dev/null", "w", stderr);
			child(how);
		}
		st = child_status(pid, what[how]);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
		      "%s in a thread: status %#x, want killed by SIGABRT",
		      what[how], st);
	}
	return 0;
}
