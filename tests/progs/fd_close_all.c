/*
 * Proves that a program may close every fd it does not know of, as
 * daemons do, and go on working: with threads already waiting on pipes
 * (which starts a runtime's poller), close() (or syscall(SYS_close)) of
 * every number from 3 to the fd limit that the program did not open
 * fails with EBADF;
 * closefrom(3) and close_range(3, ~0U, 0) then close the program's own
 * fds; after each, new pipes carry 200 round trips between two threads
 * through poll() and read(), a poll() with nothing to read times out
 * after 50 ms, usleep() and nanosleep() return, and the fds a new pipe
 * gets are the lowest free ones (3 and 4).
 */
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define ROUNDS_TRIP 200

struct link {
	int ab[2], ba[2];
};

static void *echo(void *arg)
{
	struct link *l = arg;
	char c;
	int i;

	for (i = 0; i < ROUNDS_TRIP; i++) {
		struct pollfd p = { l->ab[0], POLLIN, 0 };

		CHECK(poll(&p, 1, 10000) == 1, "echo poll: %s",
		      strerror(errno));
		CHECK(read(l->ab[0], &c, 1) == 1, "echo read: %s",
		      strerror(errno));
		CHECK(write(l->ba[1], &c, 1) == 1, "echo write: %s",
		      strerror(errno));
	}
	return NULL;
}

/* Threads, pipes, poll, sleeps: what a daemon does after closing all. */
static void work(const char *after)
{
	struct timespec ts = { 0, 5 * (long)MS };
	struct link l;
	pthread_t t;
	uint64_t t0;
	char c = 'p';
	int i;

	CHECK(pipe(l.ab) == 0 && pipe(l.ba) == 0, "%s: pipe: %s", after,
	      strerror(errno));
	CHECK(l.ab[0] == 3 && l.ab[1] == 4, "%s: pipe gave %d %d, not 3 4",
	      after, l.ab[0], l.ab[1]);
	CHECK(pthread_create(&t, NULL, echo, &l) == 0, "pthread_create");
	for (i = 0; i < ROUNDS_TRIP; i++) {
		struct pollfd p = { l.ba[0], POLLIN, 0 };

		CHECK(write(l.ab[1], &c, 1) == 1, "%s: write: %s", after,
		      strerror(errno));
		CHECK(poll(&p, 1, 10000) == 1, "%s: poll: %s", after,
		      strerror(errno));
		CHECK(read(l.ba[0], &c, 1) == 1, "%s: read: %s", after,
		      strerror(errno));
	}
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	{
		struct pollfd p = { l.ba[0], POLLIN, 0 };

		t0 = now_ns();
		CHECK(poll(&p, 1, 50) == 0, "%s: idle poll: %s", after,
		      strerror(errno));
		CHECK(now_ns() - t0 >= 50 * MS, "%s: poll early", after);
	}
	CHECK(usleep(5000) == 0, "%s: usleep", after);
	CHECK(nanosleep(&ts, NULL) == 0, "%s: nanosleep", after);
}

static int rd[2];

static void *reader(void *arg)
{
	char c;

	(void)arg;
	CHECK(read(rd[0], &c, 1) == 1, "read: %s", strerror(errno));
	return NULL;
}

int main(void)
{
	struct timespec ts = { 0, 50 * (long)MS };
	static bool mine[4096];
	struct rlimit rl;
	pthread_t t;
	int fd, lim;

	watchdog(60);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	lim = rl.rlim_cur < 4096 ? (int)rl.rlim_cur : 4096;
	for (fd = 3; fd < lim; fd++)
		mine[fd] = fcntl(fd, F_GETFD) >= 0; /* inherited */
	CHECK(pipe(rd) == 0, "pipe: %s", strerror(errno));
	mine[rd[0]] = mine[rd[1]] = true;
	CHECK(pthread_create(&t, NULL, reader, NULL) == 0, "pthread_create");
	nanosleep(&ts, NULL); /* the reader waits */
	for (fd = 3; fd < lim; fd++) {
		int r;

		if (mine[fd])
			continue;
		errno = 0;
		r = fd % 2 ? close(fd) : (int)syscall(SYS_close, fd);
		CHECK(r == -1 && errno == EBADF,
		      "close(%d), never opened: %d (%s)", fd, r,
		      strerror(errno));
	}
	CHECK(write(rd[1], "x", 1) == 1, "write: %s", strerror(errno));
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");

	closefrom(3);
	work("closefrom(3)");
	CHECK(close_range(3, ~0U, 0) == 0, "close_range: %s", strerror(errno));
	work("close_range(3, ~0U, 0)");
	CHECK(close_range(3, ~0U, 0) == 0, "close_range: %s", strerror(errno));
	for (fd = 3; fd < lim; fd++)
		CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF,
		      "fd %d open after close_range", fd);
	return 0;
}
