/*
 * Proves that a thread-per-connection TCP server and 1,000 concurrent
 * clients, all blocking in accept(), connect(), read(), write(), send() and
 * recv(), move every byte intact and finish.
 *
 * The server listens on 127.0.0.1 (port 0); one acceptor thread accepts
 * NCLIENTS connections and creates a thread (64 KiB stack) per connection,
 * which read()s and write()s back everything until EOF, then closes.
 * Before any client exists, two threads make 1,000 ping-pong round trips
 * while the acceptor is blocked in accept(), which must not return.
 *
 * Each of the NCLIENTS client threads (64 KiB stacks) connects and starts a
 * reader thread; the client send()s TOTAL bytes of pseudo-random data,
 * seeded by its index, in chunks of 1..4096 bytes, then shutdown(SHUT_WR)s.
 * The reader recv()s in chunks of 1..4096 bytes and compares every byte
 * with the client's stream regenerated from the same seed, then reads EOF
 * (the server closes on the client's EOF).  The client compares the
 * reader's running checksum of what came back with its own of what it
 * sent, and the counts, and closes.  All NCLIENTS clients and all NCLIENTS
 * server threads must succeed, within the watchdog's 120 s.
 *
 * Natively the program needs ~3,000 threads and ~3,000 descriptors: it
 * raises RLIMIT_NOFILE to its hard limit (skips below 4,096) and skips if
 * pthread_create() fails with EAGAIN; under the library (PROG_MODE=sprout)
 * that is a failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "pingpong.h"

#define NCLIENTS 1000
#define TOTAL	 (64 * 1024)
#define CHUNK	 4096
#define STACK	 (64 * 1024)

struct conn {
	int fd;
	pthread_t tid;
	size_t echoed;
};

struct client {
	int idx;
	int fd;
	pthread_t tid;
	pthread_t reader;
	size_t sent;
	uint64_t sent_sum;
	size_t received;
	uint64_t recv_sum;
};

static bool sprout;
static pthread_attr_t attr;
static int listener;
static struct sockaddr_in addr; /* the listener's */
static struct conn conns[NCLIENTS];
static struct client clients[NCLIENTS];
static atomic_int accepted, conns_done, clients_done;

static void create(pthread_t *t, void *(*fn)(void *), void *arg,
		   const char *what, int idx)
{
	int err = pthread_create(t, &attr, fn, arg);

	if (err == EAGAIN && !sprout)
		SKIP("pthread_create (%s #%d): %s", what, idx, strerror(err));
	CHECK(err == 0, "pthread_create (%s #%d): %s", what, idx,
	      strerror(err));
}

/* A 64-bit LCG; its top byte is the next byte of a stream. */
static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s;
}

static uint64_t seed(int idx, uint64_t salt)
{
	uint64_t z = (uint64_t)idx * 0x9e3779b97f4a7c15ull + salt;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* FNV-1a, the running checksum. */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

/* One connection of the server: echo until EOF, then close. */
static void *serve(void *arg)
{
	struct conn *c = arg;
	unsigned char buf[CHUNK];
	ssize_t n, w, off;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0, "server read: %s", strerror(errno));
		if (n == 0)
			break;
		for (off = 0; off < n; off += w) {
			w = write(c->fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			CHECK(w > 0, "server write: %s", strerror(errno));
		}
		c->echoed += (size_t)n;
	}
	CHECK(close(c->fd) == 0, "server close: %s", strerror(errno));
	atomic_fetch_add(&conns_done, 1);
	return NULL;
}

static void *acceptor(void *arg)
{
	int i, fd;

	(void)arg;
	for (i = 0; i < NCLIENTS; i++) {
		do
			fd = accept(listener, NULL, NULL);
		while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
		CHECK(fd >= 0, "accept #%d: %s", i, strerror(errno));
		atomic_fetch_add(&accepted, 1);
		conns[i].fd = fd;
		create(&conns[i].tid, serve, &conns[i], "server", i);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct client *cl = arg;
	uint64_t data = seed(cl->idx, 1), sizes = seed(cl->idx, 2);
	unsigned char buf[CHUNK], want;
	size_t want_len;
	ssize_t n, i;

	cl->recv_sum = FNV_INIT;
	for (;;) {
		want_len = 1 + (lcg(&sizes) >> 33 & (CHUNK - 1));
		n = recv(cl->fd, buf, want_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0, "client %d: recv: %s", cl->idx, strerror(errno));
		if (n == 0)
			break;
		CHECK(cl->received + (size_t)n <= TOTAL,
		      "client %d: %zu bytes echoed, more than the %d sent",
		      cl->idx, cl->received + (size_t)n, TOTAL);
		for (i = 0; i < n; i++) {
			want = (unsigned char)(lcg(&data) >> 56);
			CHECK(buf[i] == want,
			      "client %d: echoed byte %zu is %#x, want %#x",
			      cl->idx, cl->received + (size_t)i, buf[i], want);
		}
		cl->recv_sum = fnv(cl->recv_sum, buf, (size_t)n);
		cl->received += (size_t)n;
	}
	return NULL;
}

static void *client(void *arg)
{
	struct client *cl = arg;
	uint64_t data = seed(cl->idx, 1), sizes = seed(cl->idx, 3);
	unsigned char buf[CHUNK];
	size_t k, i, off;
	ssize_t n;

	cl->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(cl->fd >= 0, "client %d: socket: %s", cl->idx, strerror(errno));
	CHECK(connect(cl->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0,
	      "client %d: connect: %s", cl->idx, strerror(errno));
	create(&cl->reader, reader, cl, "reader", cl->idx);

	cl->sent_sum = FNV_INIT;
	while (cl->sent < TOTAL) {
		k = 1 + (lcg(&sizes) >> 33 & (CHUNK - 1));
		if (k > TOTAL - cl->sent)
			k = TOTAL - cl->sent;
		for (i = 0; i < k; i++)
			buf[i] = (unsigned char)(lcg(&data) >> 56);
		cl->sent_sum = fnv(cl->sent_sum, buf, k);
		for (off = 0; off < k; off += (size_t)n) {
			n = send(cl->fd, buf + off, k - off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			CHECK(n > 0, "client %d: send: %s", cl->idx,
			      strerror(errno));
		}
		cl->sent += k;
	}
	CHECK(shutdown(cl->fd, SHUT_WR) == 0, "client %d: shutdown: %s",
	      cl->idx, strerror(errno));
	CHECK(pthread_join(cl->reader, NULL) == 0, "client %d: join reader",
	      cl->idx);
	CHECK(cl->received == TOTAL,
	      "client %d: %zu bytes echoed before EOF, "
	      "want %d",
	      cl->idx, cl->received, TOTAL);
	CHECK(cl->recv_sum == cl->sent_sum,
	      "client %d: checksum of the echo %#llx, of what was sent %#llx",
	      cl->idx, (unsigned long long)cl->recv_sum,
	      (unsigned long long)cl->sent_sum);
	CHECK(close(cl->fd) == 0, "client %d: close: %s", cl->idx,
	      strerror(errno));
	atomic_fetch_add(&clients_done, 1);
	return NULL;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit: %s",
	      strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 4096)
		SKIP("RLIMIT_NOFILE hard limit %llu < 4096",
		     (unsigned long long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s",
	      strerror(errno));
}

int main(void)
{
	const char *mode = getenv("PROG_MODE");
	socklen_t len = sizeof(addr);
	pthread_t acc;
	uint64_t t0;
	int i, err;

	sprout = mode != NULL && strcmp(mode, "sprout") == 0;
	watchdog(120);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	err = pthread_attr_setstacksize(&attr, STACK);
	CHECK(err == 0, "pthread_attr_setstacksize: %s", strerror(err));

	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(listener >= 0, "socket: %s", strerror(errno));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(listener, (struct sockaddr *)&addr, sizeof(addr)) == 0,
	      "bind: %s", strerror(errno));
	CHECK(listen(listener, NCLIENTS) == 0, "listen: %s", strerror(errno));
	CHECK(getsockname(listener, (struct sockaddr *)&addr, &len) == 0,
	      "getsockname: %s", strerror(errno));

	create(&acc, acceptor, NULL, "acceptor", 0);
	/* The acceptor is blocked in accept(); the others progress. */
	usleep(50000);
	pingpong_run("accept() blocked");
	CHECK(atomic_load(&accepted) == 0, "accept() returned with no client");

	t0 = now_ns();
	for (i = 0; i < NCLIENTS; i++) {
		clients[i].idx = i;
		create(&clients[i].tid, client, &clients[i], "client", i);
	}
	for (i = 0; i < NCLIENTS; i++)
		CHECK(pthread_join(clients[i].tid, NULL) == 0, "join client %d",
		      i);
	CHECK(pthread_join(acc, NULL) == 0, "join acceptor");
	for (i = 0; i < NCLIENTS; i++) {
		CHECK(pthread_join(conns[i].tid, NULL) == 0, "join server %d",
		      i);
		CHECK(conns[i].echoed == TOTAL,
		      "server thread %d echoed %zu bytes, want %d", i,
		      conns[i].echoed, TOTAL);
	}
	CHECK(atomic_load(&clients_done) == NCLIENTS, "%d of %d clients done",
	      atomic_load(&clients_done), NCLIENTS);
	CHECK(atomic_load(&conns_done) == NCLIENTS,
	      "%d of %d connections closed", atomic_load(&conns_done),
	      NCLIENTS);
	CHECK(close(listener) == 0, "close: %s", strerror(errno));
	printf("%d clients echoed %d KiB each in %llu ms\n", NCLIENTS,
	       TOTAL / 1024, (unsigned long long)((now_ns() - t0) / MS));
	pthread_attr_destroy(&attr);
	return 0;
}
