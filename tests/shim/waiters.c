// SPDX-License-Identifier: MIT
/*
 * waiters N: N threads each wait in waitpid() for a child of its own,
 * which exits after 300 ms. Under the shim each needs a kernel thread of
 * its own while it waits. Exits 0 when every child was reaped with status
 * 0, 1 otherwise.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *reap(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return (void *)1;
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, i, bad = 0;
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	void *r;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			usleep(300000);
			_exit(0);
		}
		if (pid < 0 ||
		    pthread_create(&t[i], NULL, reap, (void *)(intptr_t)pid)) {
			perror("waiters");
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	free(t);
	return bad != 0;
}
