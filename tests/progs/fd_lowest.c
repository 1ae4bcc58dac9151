/*
 * Proves that the fds a program opens are the lowest free ones, as POSIX
 * says, while its threads wait on pipes: with 0 to 2 open, a copy of
 * stdout at 3, a pipe (fds 4 and 5) and a thread blocked reading it,
 * 50 ms later open() of /dev/null must return 6, and after close(1) the
 * next open() must
 * return 1 (the idiom that redirects standard output). Run under the
 * shim, the wait starts its netpoller, whose own fds must not take those
 * numbers.
 */
#include <pthread.h>

#include "check.h"

static int pfd[2];

static void *reader(void *arg)
{
	char c;

	(void)arg;
	CHECK(read(pfd[0], &c, 1) == 1, "read: %s", strerror(errno));
	return NULL;
}

int main(void)
{
	struct timespec ts = { 0, 50 * (long)MS };
	pthread_t t;
	int fd, out;

	watchdog(30);
	for (fd = 3; fd < 64; fd++)
		close(fd); /* whatever the caller left open */
	out = dup(1);	   /* fd 3: the real stdout, for the result */
	CHECK(out == 3, "dup: %d", out);
	CHECK(pipe(pfd) == 0 && pfd[0] == 4 && pfd[1] == 5, "pipe: %d %d (%s)",
	      pfd[0], pfd[1], strerror(errno));
	CHECK(pthread_create(&t, NULL, reader, NULL) == 0, "pthread_create");
	nanosleep(&ts, NULL);

	fd = open("/dev/null", O_RDONLY);
	CHECK(fd == 6, "open returned %d, want 6 (the lowest free)", fd);
	close(1);
	fd = open("/dev/null", O_WRONLY);
	CHECK(fd == 1, "open after close(1) returned %d, want 1", fd);

	CHECK(write(pfd[1], "x", 1) == 1, "write: %s", strerror(errno));
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	dprintf(out, "fd_lowest: open() took the lowest free fds\n");
	return 0;
}
