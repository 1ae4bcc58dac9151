/*
 * The runtime's own fds never take a number the program is about to be
 * given, even while they are being made: in each of 40 fresh children,
 * one thread makes its first wait on a pipe (under sprout, the moment the
 * netpoller would make its epoll fd and eventfd) while the main thread
 * opens /dev/null 2,000 times, and every open() must return the lowest
 * free number, 5, as natively.
 */
#include <pthread.h>

#include "check.h"

#define CHILDREN 40
#define OPENS	 2000

static int pfd[2];

static void *reader(void *arg)
{
	char c;

	(void)arg;
	return (void *)(long)(read(pfd[0], &c, 1) == 1);
}

static int child(void)
{
	pthread_t t;
	void *ok;
	int i, fd, bad = 0;

	for (fd = 3; fd < 64; fd++)
		close(fd);
	if (pipe(pfd) || pfd[0] != 3 || pfd[1] != 4)
		return 2;
	if (pthread_create(&t, NULL, reader, NULL))
		return 2;
	for (i = 0; i < OPENS; i++) {
		fd = open("/dev/null", O_RDONLY);
		if (fd != 5) {
			fprintf(stderr, "open %d returned %d, want 5\n", i, fd);
			bad = 1;
			break;
		}
		close(fd);
	}
	if (write(pfd[1], "x", 1) != 1 || pthread_join(t, &ok) || !ok)
		return 2;
	return bad;
}

int main(void)
{
	int i, st;
	pid_t pid;

	watchdog(120);
	for (i = 0; i < CHILDREN; i++) {
		pid = fork();
		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(child());
		st = reap(pid, "child");
		CHECK(st == 0, "child %d: %s", i,
		      st == 1 ? "a number the program was due was taken"
			      : "setting up failed");
	}
	puts("ok");
	return 0;
}
