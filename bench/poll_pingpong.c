/*
 * poll_pingpong - cost of handing a byte between two threads that wait in
 * poll() before they read.
 *
 * Two threads and two pipes: thread 0 writes a byte into pipe a, then
 * waits in poll() on pipe b and reads its byte; thread 1 waits in poll()
 * on pipe a, reads, and writes a byte into pipe b. poll_pingpong_roundtrip
 * is the wall time per round trip (a byte to thread 1 and one back), N
 * round trips, not counting thread creation. Natively each poll() sleeps
 * in the kernel until the other thread's write wakes it; this is the
 * pattern of a thread-per-connection server (MariaDB polls its one socket
 * before each read).
 *
 * The run stops early after PHASE_LIMIT_S seconds (checked every 1024
 * round trips) and reports what was done up to then.
 *
 * Usage: poll_pingpong [N]   (default 100000)
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define DEFAULT_N     100000
#define PHASE_LIMIT_S 15

static int a[2], b[2]; /* a: thread 0 to thread 1; b: back */
static long todo;

/* Wait in poll() until fd is readable, then read its one byte. */
static int take(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int n;

	do
		n = poll(&p, 1, -1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || !(p.revents & POLLIN))
		fail("poll", n < 0 ? errno : EIO);
	n = (int)read(fd, &c, 1);
	if (n != 1)
		fail("read", n < 0 ? errno : EIO);
	return c;
}

static void give(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		fail("write", errno);
}

/* Thread 1: echo until a byte says stop. */
static void *echo(void *arg)
{
	char c;

	(void)arg;
	do {
		c = (char)take(a[0]);
		give(b[1], c);
	} while (c != 'q');
	return NULL;
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "usage: poll_pingpong [N]  (N > 0)\n");
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	double t0, t1, deadline;
	pthread_t tid;
	long done;
	int err;

	todo = argc > 1 ? parse_count(argv[1]) : DEFAULT_N;
	if (pipe(a) || pipe(b))
		fail("pipe", errno);
	err = pthread_create(&tid, NULL, echo, NULL);
	if (err)
		fail("pthread_create", err);

	t0 = now_ns();
	deadline = t0 + PHASE_LIMIT_S * 1e9;
	for (done = 0; done < todo; done++) {
		if ((done & 1023) == 0 && done > 0 && now_ns() > deadline)
			break;
		give(a[1], 'p');
		take(b[0]);
	}
	t1 = now_ns();
	give(a[1], 'q');
	take(b[0]);
	err = pthread_join(tid, NULL);
	if (err)
		fail("pthread_join", err);

	if (done < todo)
		fprintf(stderr,
			"poll_pingpong: stopped after %d s: %ld of %ld\n",
			PHASE_LIMIT_S, done, todo);
	printf("metric poll_pingpong_roundtrip %.1f ns/op\n", (t1 - t0) / done);
	return 0;
}
