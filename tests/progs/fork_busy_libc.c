/*
 * Proves that the child of a fork that resets none of libc's locks
 * (_Fork(), syscall(SYS_fork)) runs when another thread of the parent's
 * was inside malloc() or pthread_create() at the fork, as long as the
 * child itself calls only async-signal-safe functions, as POSIX asks of
 * it: the child sleeps, takes a SIGALRM that ends its sleep early (in a
 * handler, with EINTR), writes to a pipe and exits with the status the
 * parent expects. Threads of the parent's allocate and free (glibc's
 * malloc with one arena, which the forker shares), and create and join
 * threads, all along. A child that does not end in 20 s fails the test.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define FORKS	  150
#define MALLOCERS 2
#define CREATORS  1

static atomic_bool stop;

static void *churn_malloc(void *arg)
{
	void *held[32] = { 0 };
	unsigned int i = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		unsigned int k = i % 32;

		free(held[k]);
		held[k] = malloc(16 + (i * 37) % 4000);
		i++;
	}
	for (i = 0; i < 32; i++)
		free(held[i]);
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

static void *churn_threads(void *arg)
{
	pthread_t t;

	(void)arg;
	while (!atomic_load(&stop)) {
		CHECK(pthread_create(&t, NULL, nothing, NULL) == 0,
		      "pthread_create");
		pthread_join(t, NULL);
	}
	return NULL;
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* The child: async-signal-safe calls only. Its exit status. */
static int child(int fd, int status)
{
	struct itimerval it = { .it_value = { 0, 20000 } };
	struct timespec nap = { 10, 0 };
	char c = (char)status;

	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		return 100;
	/* A 10 s sleep that the alarm ends early. */
	if (nanosleep(&nap, &nap) != -1 || errno != EINTR || alarms != 1)
		return 101;
	if (write(fd, &c, 1) != 1)
		return 102;
	return status;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	pthread_t t[MALLOCERS + CREATORS];
	int fd[2], i;

	watchdog(170);
#ifdef M_ARENA_MAX
	/* One arena (glibc's): every thread shares the forker's. */
	CHECK(mallopt(M_ARENA_MAX, 1) == 1, "mallopt");
#endif
	CHECK(pipe(fd) == 0, "pipe");
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
	for (i = 0; i < MALLOCERS + CREATORS; i++)
		CHECK(pthread_create(&t[i], NULL,
				     i < MALLOCERS ? churn_malloc
						   : churn_threads,
				     NULL) == 0,
		      "pthread_create");
	for (i = 0; i < FORKS; i++) {
		int status = i % 50;
		bool raw = i % 2;
		pid_t pid = raw ? (pid_t)syscall(SYS_fork) : _Fork();
		char c;

		if (pid == 0)
			_exit(child(fd[1], status));
		CHECK(pid > 0, "fork: %s", strerror(errno));
		CHECK(reap(pid, raw ? "SYS_fork" : "_Fork()") == status,
		      "the child of fork %d failed", i);
		CHECK(read(fd[0], &c, 1) == 1 && c == status,
		      "the child's byte");
	}
	atomic_store(&stop, true);
	for (i = 0; i < MALLOCERS + CREATORS; i++)
		pthread_join(t[i], NULL);
	printf("%d children of forks beside malloc() and pthread_create() "
	       "ran\n",
	       FORKS);
	return 0;
}
