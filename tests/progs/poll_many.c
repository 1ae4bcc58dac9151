/*
 * Proves that poll(), ppoll() and select() on sets of many and mixed fds
 * wait for the one that becomes ready, report each fd as the kernel does,
 * keep their timeouts and signal masks, and never fail a thread's poll()
 * because another thread makes and closes fds.
 *
 * (a) poll() of 64 empty pipes (the pollfd array on the heap) and of 3
 *     (on the stack), select() of 64: a thread writes one of them (first,
 *     middle, last) 50 ms later: 1, only that fd reported, after >= 50 ms.
 * (b) Mixed kinds: an empty pipe, a socketpair end asked for POLLIN and
 *     POLLOUT, a regular file, a closed fd number and a negative fd:
 *     at once 3, POLLOUT on the socket, POLLIN|POLLOUT on the file,
 *     POLLNVAL on the closed number, nothing for the others; fd INT_MAX
 *     beside the empty pipe: 1 at once, POLLNVAL; select() of a closed
 *     number fails with EBADF. On the initial thread and on another one
 *     (the pollfds on its stack).
 * (c) Timeouts: 0 returns 0 at once; -1 and INT_MAX wait for a write 50 ms
 *     later; poll(NULL, 0, 100) sleeps 100 ms and returns 0; a bad pollfd
 *     address fails with EFAULT.
 * (d) POLLHUP with no events asked (the write end closed 50 ms later) and
 *     POLLOUT on a full pipe (drained 50 ms later) end a wait.
 * (e) An fd closed by another thread while a thread polls it: the poll
 *     returns 1 with POLLNVAL (natively after its 300 ms, under the shim
 *     at the close), never -1, within 2 s.
 * (f) Two threads polling the same fd both return 1 with POLLIN after one
 *     write.
 * (g) ppoll() with a mask and SIGUSR1 pending (sent to the process while
 *     every thread blocks it): a mask that keeps it
 *     blocked times out (100 ms, handler not run); one that lets it in
 *     fails with EINTR at once, the handler run once. pthread_kill()
 *     during a poll() of 64 fds ends it with EINTR.
 * (h) Four thread pairs ping-pong 2,000 bytes each over pipes, each
 *     waiting in poll() before read(), while another thread makes and
 *     closes sockets: every poll() (of 20 s at most) and read() succeeds.
 *     (Under the shim each blocking poll() made and closed an epoll fd,
 *     told to the netpoller after the close: the other thread's new fd
 *     was marked changed and a poll() failed with EBADF, or hung.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

/* Milliseconds: "at once", or soon after a timeout, on a loaded machine. */
#define LATE  2000
#define NPIPE 64

static int rd[NPIPE], wr[NPIPE];

static uint64_t ms_since(uint64_t t0)
{
	return (now_ns() - t0) / MS;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	CHECK(err == 0, "pthread_create: %s", strerror(err));
	return t;
}

static void join(pthread_t t)
{
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
}

/* After 50 ms: write a byte to fd, close it, or drain it (by *action). */
struct later {
	int fd;
	char action; /* 'w', 'c', 'r' */
};

static void *act_later(void *arg)
{
	struct later *l = arg;
	char buf[4096];

	sleep_ms(50);
	if (l->action == 'w')
		CHECK(write(l->fd, "w", 1) == 1, "write: %s", strerror(errno));
	else if (l->action == 'c')
		CHECK(close(l->fd) == 0, "close: %s", strerror(errno));
	else
		while (read(l->fd, buf, sizeof(buf)) > 0)
			;
	return NULL;
}

static void drain1(int fd)
{
	char c;

	CHECK(read(fd, &c, 1) == 1, "read: %s", strerror(errno));
}

static void test_many(void)
{
	static const int which[] = { 0, NPIPE / 2, NPIPE - 1 };
	struct pollfd *p = calloc(NPIPE, sizeof(*p)), s[3];
	struct later l;
	pthread_t t;
	uint64_t t0;
	fd_set r;
	size_t k;
	int i, n, maxfd = 0;

	CHECK(p != NULL, "calloc");
	for (k = 0; k < 3; k++) {
		int w = which[k];

		for (i = 0; i < NPIPE; i++)
			p[i] = (struct pollfd){ .fd = rd[i], .events = POLLIN };
		l = (struct later){ wr[w], 'w' };
		t0 = now_ns();
		t = start(act_later, &l);
		n = poll(p, NPIPE, 5000);
		CHECK(n == 1, "poll of %d: %d (%s)", NPIPE, n, strerror(errno));
		CHECK(ms_since(t0) >= 50, "poll of %d returned after %llu ms",
		      NPIPE, (unsigned long long)ms_since(t0));
		for (i = 0; i < NPIPE; i++)
			CHECK(p[i].revents == (i == w ? POLLIN : 0),
			      "pipe %d of %d: revents %#x, pipe %d written", i,
			      NPIPE, p[i].revents, w);
		join(t);
		drain1(rd[w]);

		/* Three on the stack. */
		for (i = 0; i < 3; i++)
			s[i] = (struct pollfd){ .fd = rd[which[i]],
						.events = POLLIN };
		l = (struct later){ wr[w], 'w' };
		t0 = now_ns();
		t = start(act_later, &l);
		n = poll(s, 3, 5000);
		CHECK(n == 1, "poll of 3: %d (%s)", n, strerror(errno));
		CHECK(ms_since(t0) >= 50, "poll of 3 returned after %llu ms",
		      (unsigned long long)ms_since(t0));
		for (i = 0; i < 3; i++)
			CHECK(s[i].revents == (i == (int)k ? POLLIN : 0),
			      "pipe %d of 3: revents %#x", i, s[i].revents);
		join(t);
		drain1(rd[w]);

		FD_ZERO(&r);
		for (i = 0; i < NPIPE; i++) {
			FD_SET(rd[i], &r);
			if (rd[i] > maxfd)
				maxfd = rd[i];
		}
		l = (struct later){ wr[w], 'w' };
		t0 = now_ns();
		t = start(act_later, &l);
		n = select(maxfd + 1, &r, NULL, NULL, NULL);
		CHECK(n == 1, "select of %d: %d (%s)", NPIPE, n,
		      strerror(errno));
		CHECK(ms_since(t0) >= 50, "select returned after %llu ms",
		      (unsigned long long)ms_since(t0));
		for (i = 0; i < NPIPE; i++)
			CHECK(!FD_ISSET(rd[i], &r) == (i != w),
			      "select: pipe %d bit %d, pipe %d written", i,
			      FD_ISSET(rd[i], &r), w);
		join(t);
		drain1(rd[w]);
	}
	free(p);
}

static void *test_mixed(void *arg)
{
	struct pollfd p[5];
	uint64_t t0;
	fd_set r;
	int sv[2], f, closed, n;
	FILE *tmp = tmpfile();

	CHECK(tmp != NULL, "tmpfile: %s", strerror(errno));
	f = fileno(tmp);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
	      "socketpair: %s", strerror(errno));
	closed = dup(f);
	CHECK(closed >= 0 && close(closed) == 0, "dup, close: %s",
	      strerror(errno));
	p[0] = (struct pollfd){ .fd = rd[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = sv[0], .events = POLLIN | POLLOUT };
	p[2] = (struct pollfd){ .fd = f, .events = POLLIN | POLLOUT };
	p[3] = (struct pollfd){ .fd = closed, .events = POLLIN };
	p[4] = (struct pollfd){ .fd = -1, .events = POLLIN };
	t0 = now_ns();
	n = poll(p, 5, 5000);
	CHECK(n == 3, "poll of mixed fds: %d (%s)", n, strerror(errno));
	CHECK(ms_since(t0) < LATE, "poll of mixed fds took %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(p[0].revents == 0 && p[1].revents == POLLOUT &&
		      p[2].revents == (POLLIN | POLLOUT) &&
		      p[3].revents == POLLNVAL && p[4].revents == 0,
	      "revents %#x %#x %#x %#x %#x", p[0].revents, p[1].revents,
	      p[2].revents, p[3].revents, p[4].revents);
	/* A number no file can have (the runtime's fd table once grew for
	   ever for it). */
	p[0] = (struct pollfd){ .fd = INT_MAX, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = rd[0], .events = POLLIN };
	n = poll(p, 2, 5000);
	CHECK(n == 1 && p[0].revents == POLLNVAL && p[1].revents == 0,
	      "poll of fd INT_MAX: %d (%s), revents %#x %#x", n,
	      strerror(errno), p[0].revents, p[1].revents);

	FD_ZERO(&r);
	FD_SET(rd[0], &r);
	FD_SET(closed, &r);
	n = select((rd[0] > closed ? rd[0] : closed) + 1, &r, NULL, NULL, NULL);
	CHECK(n == -1 && errno == EBADF, "select of a closed fd: %d (%s)", n,
	      strerror(errno));
	close(sv[0]);
	close(sv[1]);
	fclose(tmp);
	return arg;
}

/* Not mapped; volatile: the compiler must not see it is not a pollfd. */
static struct pollfd *volatile bad_address = (struct pollfd *)16;

static void test_timeouts(void)
{
	struct pollfd p = { .fd = rd[1], .events = POLLIN };
	static const int forever[] = { -1, INT_MAX };
	struct later l;
	pthread_t t;
	uint64_t t0;
	size_t k;
	int n;

	t0 = now_ns();
	n = poll(&p, 1, 0);
	CHECK(n == 0 && p.revents == 0, "poll(0): %d", n);
	CHECK(ms_since(t0) < LATE, "poll(0) took %llu ms",
	      (unsigned long long)ms_since(t0));
	for (k = 0; k < 2; k++) {
		p.revents = 0;
		l = (struct later){ wr[1], 'w' };
		t0 = now_ns();
		t = start(act_later, &l);
		n = poll(&p, 1, forever[k]);
		CHECK(n == 1 && p.revents == POLLIN, "poll(%d): %d %#x",
		      forever[k], n, p.revents);
		CHECK(ms_since(t0) >= 50, "poll(%d) returned after %llu ms",
		      forever[k], (unsigned long long)ms_since(t0));
		join(t);
		drain1(rd[1]);
	}
	t0 = now_ns();
	n = poll(NULL, 0, 100);
	CHECK(n == 0, "poll(NULL, 0, 100): %d (%s)", n, strerror(errno));
	CHECK(ms_since(t0) >= 100 && ms_since(t0) < 100 + LATE,
	      "poll(NULL, 0, 100) took %llu ms",
	      (unsigned long long)ms_since(t0));
	n = poll(bad_address, 1, 100);
	CHECK(n == -1 && errno == EFAULT, "poll of a bad address: %d (%s)", n,
	      strerror(errno));
}

static void test_hup_out(void)
{
	struct pollfd p;
	struct later l;
	pthread_t t;
	uint64_t t0;
	int fds[2], n;

	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	p = (struct pollfd){ .fd = fds[0], .events = 0 };
	l = (struct later){ fds[1], 'c' };
	t0 = now_ns();
	t = start(act_later, &l);
	n = poll(&p, 1, 5000);
	CHECK(n == 1 && p.revents == POLLHUP, "poll for a hangup: %d %#x", n,
	      p.revents);
	CHECK(ms_since(t0) >= 50, "poll for a hangup after %llu ms",
	      (unsigned long long)ms_since(t0));
	join(t);
	close(fds[0]);

	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	CHECK(fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0, "fcntl");
	CHECK(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0, "fcntl");
	while (write(fds[1], "xxxxxxxxxxxxxxxx", 16) > 0)
		;
	CHECK(errno == EAGAIN, "filling a pipe: %s", strerror(errno));
	p = (struct pollfd){ .fd = fds[1], .events = POLLOUT };
	l = (struct later){ fds[0], 'r' };
	t0 = now_ns();
	t = start(act_later, &l);
	n = poll(&p, 1, 5000);
	CHECK(n == 1 && p.revents == POLLOUT, "poll of a full pipe: %d %#x", n,
	      p.revents);
	CHECK(ms_since(t0) >= 50, "poll of a full pipe after %llu ms",
	      (unsigned long long)ms_since(t0));
	join(t);
	close(fds[0]);
	close(fds[1]);
}

static void test_closed_meanwhile(void)
{
	struct pollfd p;
	struct later l;
	pthread_t t;
	uint64_t t0;
	int fds[2], n;

	CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	l = (struct later){ fds[0], 'c' };
	t0 = now_ns();
	t = start(act_later, &l);
	n = poll(&p, 1, 300);
	CHECK(n == 1 && p.revents == POLLNVAL,
	      "poll of an fd closed meanwhile: %d (%s) %#x", n,
	      n < 0 ? strerror(errno) : "", p.revents);
	CHECK(ms_since(t0) >= 50 && ms_since(t0) < 300 + LATE,
	      "poll of an fd closed meanwhile took %llu ms",
	      (unsigned long long)ms_since(t0));
	join(t);
	close(fds[1]);
}

struct poller {
	int fd, n;
	short revents;
	atomic_bool entered;
};

static void *poll_one(void *arg)
{
	struct poller *w = arg;
	struct pollfd p = { .fd = w->fd, .events = POLLIN };

	atomic_store(&w->entered, true);
	w->n = poll(&p, 1, 10000);
	w->revents = p.revents;
	return NULL;
}

static void test_same_fd(void)
{
	struct poller w[2] = { { .fd = rd[2] }, { .fd = rd[2] } };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		t[i] = start(poll_one, &w[i]);
	for (i = 0; i < 2; i++)
		CHECK(wait_until(atomic_load(&w[i].entered), 20),
		      "poller %d never ran", i);
	sleep_ms(50);
	CHECK(write(wr[2], "w", 1) == 1, "write: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		join(t[i]);
		CHECK(w[i].n == 1 && w[i].revents == POLLIN,
		      "poller %d of one fd: %d %#x", i, w[i].n, w[i].revents);
	}
	drain1(rd[2]);
}

static atomic_int handled;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void *kill_later(void *arg)
{
	sleep_ms(50);
	CHECK(pthread_kill(*(pthread_t *)arg, SIGUSR1) == 0, "pthread_kill");
	return NULL;
}

static void test_masks(void)
{
	struct sigaction act = { .sa_handler = on_usr1 };
	struct pollfd p = { .fd = rd[3], .events = POLLIN }, *many;
	struct timespec ts = { 0, 100 * 1000000 };
	sigset_t usr1, keep, let;
	pthread_t self = pthread_self(), t;
	uint64_t t0;
	int n, i;

	sigemptyset(&act.sa_mask);
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0, "sigaction");
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK(pthread_sigmask(SIG_BLOCK, &usr1, &let) == 0, "sigmask");
	sigdelset(&let, SIGUSR1);
	keep = let;
	sigaddset(&keep, SIGUSR1);
	CHECK(kill(getpid(), SIGUSR1) == 0, "kill: %s", strerror(errno));

	t0 = now_ns();
	n = ppoll(&p, 1, &ts, &keep);
	CHECK(n == 0, "ppoll keeping SIGUSR1 blocked: %d (%s)", n,
	      strerror(errno));
	CHECK(ms_since(t0) >= 100, "ppoll of 100 ms after %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(atomic_load(&handled) == 0, "the handler ran while blocked");

	t0 = now_ns();
	n = ppoll(&p, 1, NULL, &let);
	CHECK(n == -1 && errno == EINTR, "ppoll letting SIGUSR1 in: %d (%s)", n,
	      strerror(errno));
	CHECK(atomic_load(&handled) == 1, "the handler ran %d times",
	      atomic_load(&handled));
	CHECK(ms_since(t0) < LATE, "ppoll with SIGUSR1 pending took %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL) == 0, "sigmask");

	many = calloc(NPIPE, sizeof(*many));
	CHECK(many != NULL, "calloc");
	for (i = 0; i < NPIPE; i++)
		many[i] = (struct pollfd){ .fd = rd[i], .events = POLLIN };
	atomic_store(&handled, 0);
	t0 = now_ns();
	t = start(kill_later, &self);
	n = poll(many, NPIPE, 5000);
	CHECK(n == -1 && errno == EINTR, "poll of %d, signalled: %d (%s)",
	      NPIPE, n, strerror(errno));
	CHECK(atomic_load(&handled) == 1, "the handler ran %d times",
	      atomic_load(&handled));
	CHECK(ms_since(t0) >= 50 && ms_since(t0) < LATE,
	      "poll of %d ended by a signal after %llu ms", NPIPE,
	      (unsigned long long)ms_since(t0));
	join(t);
	free(many);
	act.sa_handler = SIG_DFL;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0, "sigaction");
}

/* (h) */
#define PAIRS 4
#define TRIPS 2000
static atomic_bool churn_stop;

struct pair {
	int ab[2], ba[2];
};

static void take(int fd, const char *who)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int n;

	n = poll(&p, 1, 20000);
	CHECK(n == 1 && p.revents == POLLIN, "%s: poll: %d (%s) %#x", who, n,
	      n < 0 ? strerror(errno) : "", p.revents);
	CHECK(read(fd, &c, 1) == 1, "%s: read: %s", who, strerror(errno));
}

static void *pair_a(void *arg)
{
	struct pair *pr = arg;
	int i;

	for (i = 0; i < TRIPS; i++) {
		CHECK(write(pr->ab[1], "p", 1) == 1, "write: %s",
		      strerror(errno));
		take(pr->ba[0], "ping");
	}
	return NULL;
}

static void *pair_b(void *arg)
{
	struct pair *pr = arg;
	int i;

	for (i = 0; i < TRIPS; i++) {
		take(pr->ab[0], "pong");
		CHECK(write(pr->ba[1], "p", 1) == 1, "write: %s",
		      strerror(errno));
	}
	return NULL;
}

static void *churn(void *arg)
{
	struct timespec pause = { 0, 50000 };
	unsigned i;
	int s;

	(void)arg;
	for (i = 0; !atomic_load(&churn_stop); i++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(s >= 0, "socket: %s", strerror(errno));
		CHECK(close(s) == 0, "close: %s", strerror(errno));
		/* One processor: let the pairs' wakes be seen. */
		if (i % 8 == 7)
			nanosleep(&pause, NULL);
	}
	return NULL;
}

static void test_churn(void)
{
	struct pair pr[PAIRS];
	pthread_t t[2 * PAIRS], c;
	int i;

	for (i = 0; i < PAIRS; i++)
		CHECK(pipe(pr[i].ab) == 0 && pipe(pr[i].ba) == 0, "pipe: %s",
		      strerror(errno));
	c = start(churn, NULL);
	for (i = 0; i < PAIRS; i++) {
		t[2 * i] = start(pair_a, &pr[i]);
		t[2 * i + 1] = start(pair_b, &pr[i]);
	}
	for (i = 0; i < 2 * PAIRS; i++)
		join(t[i]);
	atomic_store(&churn_stop, true);
	join(c);
	for (i = 0; i < PAIRS; i++) {
		close(pr[i].ab[0]);
		close(pr[i].ab[1]);
		close(pr[i].ba[0]);
		close(pr[i].ba[1]);
	}
}

int main(void)
{
	int i, fds[2];

	watchdog(120);
	for (i = 0; i < NPIPE; i++) {
		CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
		rd[i] = fds[0];
		wr[i] = fds[1];
	}
	test_many();
	test_mixed(NULL);
	join(start(test_mixed, NULL));
	test_timeouts();
	test_hup_out();
	test_closed_meanwhile();
	test_same_fd();
	test_masks();
	test_churn();
	return 0;
}
