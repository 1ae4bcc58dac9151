/*
 * Proves that dup2() and dup3() onto any fd number give the program that
 * number, whatever a runtime keeps there, and that threads waiting on
 * pipes go on working after: with a thread already waiting on a pipe
 * (which starts a runtime's poller), dup2() of a pipe's read end onto
 * every free number from 3 to 32 below the fd limit (at most 1024) and
 * dup3(O_CLOEXEC) onto each again return that number, and each then
 * names the pipe (same inode; FD_CLOEXEC after dup3); after closing them
 * all (close_range), two threads ping-pong 200 times through poll() and
 * read() on new pipes, and a blocked read is woken by a write.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int ab[2], ba[2];

static void *echo(void *arg)
{
	char c;
	int i;

	(void)arg;
	for (i = 0; i < 200; i++) {
		struct pollfd p = { ab[0], POLLIN, 0 };

		CHECK(poll(&p, 1, 10000) == 1, "echo poll: %s",
		      strerror(errno));
		CHECK(read(ab[0], &c, 1) == 1, "echo read: %s",
		      strerror(errno));
		CHECK(write(ba[1], &c, 1) == 1, "echo write: %s",
		      strerror(errno));
	}
	return NULL;
}

static void *reader(void *arg)
{
	char c;

	(void)arg;
	CHECK(read(ab[0], &c, 1) == 1, "read: %s", strerror(errno));
	return NULL;
}

int main(void)
{
	struct timespec ts = { 0, 50 * (long)MS };
	static bool taken[1024];
	struct stat want, st;
	struct rlimit rl;
	pthread_t t;
	int fd, top, i, r;
	char c = 'p';

	watchdog(60);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	top = (rl.rlim_cur < 1024 ? (int)rl.rlim_cur : 1024) - 32;
	CHECK(pipe(ab) == 0 && pipe(ba) == 0, "pipe: %s", strerror(errno));
	CHECK(pthread_create(&t, NULL, reader, NULL) == 0, "pthread_create");
	nanosleep(&ts, NULL); /* the reader waits */
	CHECK(fstat(ab[0], &want) == 0, "fstat");
	for (fd = 3; fd < top; fd++)
		taken[fd] = fcntl(fd, F_GETFD) >= 0;
	for (fd = 3; fd < top; fd++) {
		if (taken[fd])
			continue;
		r = dup2(ab[0], fd);
		CHECK(r == fd, "dup2(%d, %d) = %d: %s", ab[0], fd, r,
		      strerror(errno));
		r = dup3(ab[0], fd, O_CLOEXEC);
		CHECK(r == fd, "dup3(%d, %d) = %d: %s", ab[0], fd, r,
		      strerror(errno));
	}
	for (fd = 3; fd < top; fd++) {
		if (taken[fd])
			continue;
		CHECK(fstat(fd, &st) == 0 && st.st_ino == want.st_ino &&
			      st.st_dev == want.st_dev,
		      "fd %d does not name the pipe", fd);
		CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "fd %d: FD_CLOEXEC",
		      fd);
	}
	/* The blocked reader still waits, and wakes for a write. */
	CHECK(write(ab[1], &c, 1) == 1, "write: %s", strerror(errno));
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	for (fd = 3; fd < top; fd++)
		if (!taken[fd])
			CHECK(close(fd) == 0, "close(%d): %s", fd,
			      strerror(errno));
	CHECK(close_range(3, ~0U, 0) == 0, "close_range: %s", strerror(errno));

	CHECK(pipe(ab) == 0 && pipe(ba) == 0, "pipe: %s", strerror(errno));
	CHECK(pthread_create(&t, NULL, echo, NULL) == 0, "pthread_create");
	for (i = 0; i < 200; i++) {
		struct pollfd p = { ba[0], POLLIN, 0 };

		CHECK(write(ab[1], &c, 1) == 1, "write: %s", strerror(errno));
		CHECK(poll(&p, 1, 10000) == 1, "poll: %s", strerror(errno));
		CHECK(read(ba[0], &c, 1) == 1, "read: %s", strerror(errno));
	}
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	return 0;
}
