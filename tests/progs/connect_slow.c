/*
 * connect_slow - blocking connect() to a listener whose accept queue is
 * full (NCONN + 1 connections nobody accepted): the kernel drops the SYN
 * and the client tries again after its retransmission timeout (1 s), so
 * the call blocks.
 *
 * (a) With SO_SNDTIMEO of 200 ms, connect() returns -1 EINPROGRESS after
 *     about that long, as Linux does.
 * (b) 32 threads connect at once; another accepts every connection as it
 *     comes, starting 300 ms later (the queue then has room for all). Every connect() returns 0 after the
 *     retransmission, the socket's flags are the ones it was made with
 *     (blocking), and data goes through each connection. Under sprout
 *     (PROG_MODE=sprout) the waiting threads wait on the netpoller: the
 *     process has at most SPROUT_PROCS + 8 kernel threads meanwhile.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "check.h"

#define NCONN 32

static struct sockaddr_in addr;
static int lfd;
static atomic_int connected;

/* A listener whose accept queue holds NCONN + 1 connections. */
static void listen_queue(void)
{
	socklen_t len = sizeof(addr);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0, "socket: %s", strerror(errno));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind");
	CHECK(listen(lfd, NCONN) == 0, "listen");
	CHECK(getsockname(lfd, (struct sockaddr *)&addr, &len) == 0, "name");
}

/* Fill the accept queue: NCONN + 1 connections nobody accepted. */
static void fill_queue(int held[NCONN + 1])
{
	for (int i = 0; i < NCONN + 1; i++) {
		held[i] = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(connect(held[i], (struct sockaddr *)&addr,
			      sizeof(addr)) == 0,
		      "connect %d: %s", i, strerror(errno));
	}
}

static void timeout_case(void)
{
	struct timeval tv = { 0, 200000 };
	int held[NCONN + 1], fd, r, i;
	uint64_t t0, ms;

	fill_queue(held);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0,
	      "SO_SNDTIMEO");
	t0 = now_ns();
	r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	ms = (now_ns() - t0) / MS;
	CHECK(r == -1 && errno == EINPROGRESS,
	      "connect with SO_SNDTIMEO: %d (%s), want EINPROGRESS", r,
	      r ? strerror(errno) : "connected");
	CHECK(ms >= 150 && ms < 900, "connect gave up after %llu ms",
	      (unsigned long long)ms);
	close(fd);
	for (i = 0; i < NCONN + 1; i++) {
		close(held[i]);
		close(accept(lfd, NULL, NULL));
	}
}

static void *client(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), fl;
	char c = (char)(intptr_t)arg, back = 0;

	CHECK(fd >= 0, "socket: %s", strerror(errno));
	CHECK(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0,
	      "connect: %s", strerror(errno));
	fl = fdinfo_flags(fd);
	CHECK(fl >= 0 && !(fl & O_NONBLOCK), "flags after connect: %#x", fl);
	atomic_fetch_add(&connected, 1);
	CHECK(write(fd, &c, 1) == 1, "write: %s", strerror(errno));
	CHECK(read(fd, &back, 1) == 1 && back == c, "echo");
	close(fd);
	return NULL;
}

/*
 * From 300 ms on, accept and echo one byte on each connection (the queue
 * fillers, closed by then, send none), until the listener is shut down.
 */
static void *acceptor(void *arg)
{
	(void)arg;
	usleep(300000);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		struct pollfd p;
		char c;

		if (fd < 0)
			break;
		p = (struct pollfd){ fd, POLLIN, 0 };
		if (poll(&p, 1, 5000) == 1 && read(fd, &c, 1) == 1)
			CHECK(write(fd, &c, 1) == 1, "write");
		close(fd);
	}
	return NULL;
}

int main(void)
{
	const char *mode = getenv("PROG_MODE");
	pthread_t cl[NCONN], acc;
	int held[NCONN + 1], i, tasks, most = 0;

	watchdog(60);
	listen_queue();
	timeout_case();

	fill_queue(held);
	for (i = 0; i < NCONN; i++)
		CHECK(pthread_create(&cl[i], NULL, client,
				     (void *)(intptr_t)(i + 1)) == 0,
		      "create");
	CHECK(pthread_create(&acc, NULL, acceptor, NULL) == 0, "create");
	/* While they wait: count kernel threads. */
	usleep(150000);
	tasks = count_tasks();
	most = tasks;
	CHECK(atomic_load(&connected) == 0, "%d connected before any accept",
	      atomic_load(&connected));
	for (i = 0; i < NCONN + 1; i++)
		close(held[i]);
	for (i = 0; i < NCONN; i++)
		pthread_join(cl[i], NULL);
	CHECK(atomic_load(&connected) == NCONN, "connected %d",
	      atomic_load(&connected));
	shutdown(lfd, SHUT_RDWR); /* ends the acceptor's accept() */
	pthread_join(acc, NULL);
	printf("connect_slow: %d kernel threads while %d connects waited\n",
	       most, NCONN);
	if (mode && !strcmp(mode, "sprout")) {
		int p = logical_procs();

		CHECK(most <= p + 8, "%d kernel threads for %d procs", most, p);
	}
	return 0;
}
