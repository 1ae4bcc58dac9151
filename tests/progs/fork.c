/*
 * Proves that a thread other than main may fork() while other threads run,
 * and that the child, which has only that thread, can create, run and join
 * threads of its own; when that thread then calls pthread_exit(), it is the
 * last thread of the child, which exits with status 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define BUSY	 8
#define CHILDREN 4

static atomic_bool stop;

static void *busy(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		sched_yield();
	return NULL;
}

static void *square(void *arg)
{
	intptr_t v = (intptr_t)arg;

	sched_yield();
	return (void *)(v * v);
}

/* In the child: 1 + 4 + 9 + 16 = 30 from four threads. */
static int child_work(void)
{
	pthread_t t[CHILDREN];
	intptr_t sum = 0;
	void *r;
	int i;

	for (i = 0; i < CHILDREN; i++)
		if (pthread_create(&t[i], NULL, square,
				   (void *)(intptr_t)(i + 1)))
			return 1;
	for (i = 0; i < CHILDREN; i++) {
		if (pthread_join(t[i], &r))
			return 2;
		sum += (intptr_t)r;
	}
	return sum == 30 ? 0 : 3;
}

static void *forker(void *arg)
{
	int status;
	pid_t pid;

	(void)arg;
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int err = child_work();
		if (err)
			_exit(err);
		pthread_exit(NULL);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x",
	      status);
	return NULL;
}

int main(void)
{
	pthread_t b[BUSY], f;
	int i;

	for (i = 0; i < BUSY; i++)
		CHECK(pthread_create(&b[i], NULL, busy, NULL) == 0, "create");
	CHECK(pthread_create(&f, NULL, forker, NULL) == 0, "create forker");
	CHECK(pthread_join(f, NULL) == 0, "join forker");
	atomic_store(&stop, true);
	for (i = 0; i < BUSY; i++)
		CHECK(pthread_join(b[i], NULL) == 0, "join");
	return 0;
}
