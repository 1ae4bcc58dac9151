// SPDX-License-Identifier: MIT
/*
 * RLIMIT_NOFILE reached before the first blocking read: the netpoller
 * cannot make its epoll fd and eventfd, and pipe I/O between threads must
 * still work. Two threads play ping-pong over two pipes, 1,000 rounds,
 * with blocking reads, while no fd is left; a new fd fails with EMFILE as
 * natively, and once the limit is lifted one can be made again.
 */
#include <pthread.h>
#include <sys/resource.h>

#include "check.h"

#define ROUNDS 1000

static int ping[2], pong[2];

static void *ponger(void *arg)
{
	char c;
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		CHECK(read(ping[0], &c, 1) == 1, "read: %s", strerror(errno));
		CHECK(write(pong[1], &c, 1) == 1, "write: %s", strerror(errno));
	}
	return NULL;
}

int main(void)
{
	struct rlimit old, rl;
	pthread_t t;
	int i, fd, high;
	char c = 'x';

	watchdog(60);
	CHECK(pipe(ping) == 0 && pipe(pong) == 0, "pipe: %s", strerror(errno));
	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit: %s",
	      strerror(errno));
	/* The next fd the kernel would give is the one past the limit. */
	high = dup(0);
	CHECK(high >= 0, "dup: %s", strerror(errno));
	close(high);
	rl = old;
	rl.rlim_cur = (rlim_t)high;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s",
	      strerror(errno));
	CHECK(dup(0) == -1 && errno == EMFILE, "dup under the limit: %s",
	      strerror(errno));

	CHECK(pthread_create(&t, NULL, ponger, NULL) == 0, "pthread_create");
	for (i = 0; i < ROUNDS; i++) {
		CHECK(write(ping[1], &c, 1) == 1, "write: %s", strerror(errno));
		CHECK(read(pong[0], &c, 1) == 1, "read: %s", strerror(errno));
	}
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(dup(0) == -1 && errno == EMFILE, "dup under the limit: %s",
	      strerror(errno));

	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, "setrlimit: %s",
	      strerror(errno));
	fd = dup(0);
	CHECK(fd >= 0, "dup after the limit was lifted: %s", strerror(errno));
	close(fd);
	return 0;
}
