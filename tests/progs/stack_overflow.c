/*
 * Proves that overflowing a thread's stack kills the process with SIGSEGV
 * (a guard region below the stack) instead of silently corrupting memory:
 * a forked child runs a thread with a 256 KiB stack that recurses without
 * bound; the parent expects the child to die of SIGSEGV within 20 s.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static volatile int stop;

static __attribute__((noinline)) unsigned long recurse(unsigned long depth)
{
	volatile char buf[1024];

	buf[0] = (char)depth;
	buf[sizeof(buf) - 1] = (char)depth;
	if (stop)
		return depth;
	return recurse(depth + 1) + buf[0] + buf[sizeof(buf) - 1];
}

static void *overflow(void *arg)
{
	(void)arg;
	return (void *)recurse(0);
}

static __attribute__((noreturn)) void child(void)
{
	const struct rlimit no_core = { 0, 0 };
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	setrlimit(RLIMIT_CORE, &no_core);
	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, 256 * 1024) != 0) {
		fprintf(stderr, "FAIL: child: attr setup\n");
		_exit(1);
	}
	err = pthread_create(&tid, &attr, overflow, NULL);
	if (err != 0) {
		fprintf(stderr, "FAIL: child: pthread_create: %s\n",
			strerror(err));
		_exit(1);
	}
	pthread_join(tid, NULL);
	fprintf(stderr, "FAIL: child: unbounded recursion returned\n");
	_exit(1);
}

int main(void)
{
	const uint64_t deadline = now_ns() + 20 * 1000000000ull;
	int status;
	pid_t pid, got;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork: %m");
	if (pid == 0)
		child();

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
	       now_ns() < deadline)
		usleep(10000);
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CHECK(got == pid, "child still alive after 20 s (waitpid %d)", got);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "child status %#x (%s %d), expected SIGSEGV", status,
	      WIFSIGNALED(status) ? "signal" : "exit code",
	      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return 0;
}
