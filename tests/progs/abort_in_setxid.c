/*
 * Proves that a signal a kernel thread raises at itself runs its handler
 * before the raise returns, also where glibc raises it in a handler of its
 * own that interrupted the runtime: when one thread's credentials were
 * changed behind glibc's back (a raw setresuid system call), the next
 * setresuid() finds the threads disagree and calls abort() in whichever
 * thread answers second, and the program's SIGABRT handler must run and
 * end the process as it chooses (here _exit(0)), not the default action.
 * Each round is a forked child, so the disagreeing credentials die with
 * it; 100 rounds, as the thread that aborts varies. Needs root (exits 77
 * otherwise), as glibc's tst-setuid2, which this follows.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

#define ROUNDS 100

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int changed;

static void *changer(void *arg)
{
	(void)arg;
	/* Only this thread's credentials: glibc's setresuid() is not used. */
	CHECK(syscall(SYS_setresuid, 2001, 2002, 2003) == 0,
	      "raw setresuid: %s", strerror(errno));
	pthread_mutex_lock(&mu);
	changed = 1;
	pthread_cond_broadcast(&cv);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return NULL;
}

static void on_abort(int sig)
{
	(void)sig;
	_exit(0);
}

static void round_child(void)
{
	uid_t r, e, s;
	pthread_t t;

	CHECK(pthread_create(&t, NULL, changer, NULL) == 0, "pthread_create");
	pthread_mutex_lock(&mu);
	while (!changed)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	signal(SIGABRT, on_abort);
	CHECK(setresuid(1001, 1002, 1003) == 0, "setresuid: %s",
	      strerror(errno));
	/* No abort: then every thread must have taken the change. */
	signal(SIGABRT, SIG_DFL);
	CHECK(getresuid(&r, &e, &s) == 0 && r == 1001 && e == 1002 && s == 1003,
	      "credentials after setresuid: %d %d %d", (int)r, (int)e, (int)s);
	_exit(0);
}

int main(void)
{
	if (geteuid() != 0)
		SKIP("needs root");
	for (int i = 0; i < ROUNDS; i++) {
		int st;
		pid_t pid = fork();

		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			round_child();
		CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "round %d: child %s %d", i,
		      WIFSIGNALED(st) ? "killed by signal" : "exited",
		      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
	return 0;
}
