/*
 * Proves that splice() between pipes fails, returns and waits as the
 * kernel's does:
 * (a) at once: an offset on a pipe (ESPIPE) while the pipe is empty, a
 *     pipe spliced to itself and unknown flags (EINVAL), a length of 0
 *     (0), an empty pipe with SPLICE_F_NONBLOCK or one with O_NONBLOCK
 *     (EAGAIN);
 * (b) from an empty pipe: waits for a write 50 ms later, then moves it;
 * (c) into a full pipe: waits until a reader drains it 50 ms later.
 * At once means within 1 s: a wait for the empty pipe would last until
 * the 10 s watchdog.
 */
#include <fcntl.h>
#include <pthread.h>

#include "check.h"

#define LATE 1000 /* ms: "at once" */

static int a[2], b[2];

static void *write_later(void *arg)
{
	usleep(50000);
	CHECK(write(a[1], "hello", 5) == 5, "write: %s", strerror(errno));
	return arg;
}

static void *drain_later(void *arg)
{
	char buf[4096];

	usleep(50000);
	CHECK(read(b[0], buf, sizeof(buf)) > 0, "drain: %s", strerror(errno));
	return arg;
}

static void at_once(uint64_t t0, const char *what)
{
	CHECK((now_ns() - t0) / MS < LATE, "%s took %llu ms", what,
	      (unsigned long long)((now_ns() - t0) / MS));
}

int main(void)
{
	loff_t off = 0;
	pthread_t t;
	uint64_t t0;
	char buf[8];
	ssize_t n;
	int nb[2];

	watchdog(10);
	CHECK(pipe(a) == 0 && pipe(b) == 0 && pipe(nb) == 0, "pipe: %s",
	      strerror(errno));

	/* (a) The kernel's own answers, without waiting. */
	t0 = now_ns();
	errno = 0;
	n = splice(a[0], &off, b[1], NULL, 4096, 0);
	CHECK(n == -1 && errno == ESPIPE, "offset on a pipe: %zd (%s)", n,
	      strerror(errno));
	errno = 0;
	n = splice(a[0], NULL, a[1], NULL, 4096, 0);
	CHECK(n == -1 && errno == EINVAL, "a pipe to itself: %zd (%s)", n,
	      strerror(errno));
	errno = 0;
	n = splice(a[0], NULL, b[1], NULL, 4096, 0x10000);
	CHECK(n == -1 && errno == EINVAL, "unknown flags: %zd (%s)", n,
	      strerror(errno));
	n = splice(a[0], NULL, b[1], NULL, 0, 0);
	CHECK(n == 0, "length 0: %zd (%s)", n, strerror(errno));
	errno = 0;
	n = splice(a[0], NULL, b[1], NULL, 4096, SPLICE_F_NONBLOCK);
	CHECK(n == -1 && errno == EAGAIN, "SPLICE_F_NONBLOCK: %zd (%s)", n,
	      strerror(errno));
	CHECK(fcntl(nb[0], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	errno = 0;
	n = splice(nb[0], NULL, b[1], NULL, 4096, 0);
	CHECK(n == -1 && errno == EAGAIN, "O_NONBLOCK: %zd (%s)", n,
	      strerror(errno));
	at_once(t0, "the errors");

	/* (b) An empty pipe: the splice waits for the write. */
	CHECK(pthread_create(&t, NULL, write_later, NULL) == 0, "create");
	t0 = now_ns();
	n = splice(a[0], NULL, b[1], NULL, 4096, 0);
	CHECK(n == 5, "splice from a pipe written later: %zd (%s)", n,
	      strerror(errno));
	CHECK((now_ns() - t0) / MS >= 40, "returned before the write");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(read(b[0], buf, 5) == 5 && !memcmp(buf, "hello", 5),
	      "what was moved");

	/* (c) A full pipe: the splice waits for the reader. */
	CHECK(fcntl(b[1], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	while (write(b[1], buf, sizeof(buf)) > 0)
		;
	CHECK(errno == EAGAIN, "fill: %s", strerror(errno));
	CHECK(fcntl(b[1], F_SETFL, 0) == 0, "blocking again");
	CHECK(write(a[1], "world", 5) == 5, "write");
	CHECK(pthread_create(&t, NULL, drain_later, NULL) == 0, "create");
	t0 = now_ns();
	n = splice(a[0], NULL, b[1], NULL, 4096, 0);
	CHECK(n == 5, "splice into a pipe drained later: %zd (%s)", n,
	      strerror(errno));
	CHECK((now_ns() - t0) / MS >= 40, "returned before the drain");
	CHECK(pthread_join(t, NULL) == 0, "join");
	printf("splice waits as the kernel's\n");
	return 0;
}
