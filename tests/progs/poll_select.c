/*
 * Proves that poll(), ppoll(), select(), pselect(), epoll_wait() and
 * epoll_pwait() keep their timeouts, results and signal masks with mixed
 * descriptors (an empty pipe, an eventfd at zero, a connected TCP socket on
 * 127.0.0.1 with nothing to read, a regular file), and that a thread
 * waiting in any of them with no timeout does not stop the others.
 *
 * (a) poll() of the three with 200 ms: 0 after >= 200 ms (< 2 s), no
 *     revents.  (b) The same while a thread writes the eventfd 100 ms
 *     later: 1, POLLIN on the eventfd only, after >= 100 ms.  (c) With a
 *     regular file: 1 at once, POLLIN on the file.  (d) Timeout 0: 0 at
 *     once; timeout -1 and a write on the pipe 100 ms later: 1, POLLIN on
 *     the pipe only.
 * (e) select() of the pipe and the socket with 150 ms: 0 after >= 150 ms,
 *     the sets cleared and, as Linux does, the timeval set to the time
 *     left, zero; woken by a write on the pipe 100 ms later: 1, only the
 *     pipe's bit, and the timeval less than the 5 s asked and no less than
 *     5 s minus the time it took.
 * (f) pselect(), ppoll() and epoll_pwait() with a mask that unblocks
 *     SIGUSR1 only during the call: pthread_kill(SIGUSR1) from another
 *     thread 100 ms later makes the call fail with EINTR after the handler
 *     ran once, on the waiting thread; SIGUSR1 is blocked again after.  A
 *     SIGUSR1 already pending when the call starts interrupts it at once.
 * (g) epoll_wait() of the pipe and the socket: 0 after >= 150 ms; woken by
 *     a write on the pipe: 1 event with the pipe's data.fd; epoll_pwait()
 *     with a NULL mask likewise, woken through the socket.
 * (h) For each of poll(-1), ppoll(NULL), select(NULL), pselect(NULL) and
 *     epoll_wait(-1) on the empty pipe: while a thread is waiting in it
 *     (entered, then 50 ms), two other threads make 1,000 ping-pong round
 *     trips and the waiter does not return; then a write wakes it, with the
 *     pipe ready.
 * (i) ppoll() and select() with timeouts of 3e18 s (past the end of a
 *     64-bit nanosecond clock) wait like no timeout: a write 100 ms later
 *     wakes them with the pipe ready, after >= 100 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "pingpong.h"

/* Milliseconds: "at once", or soon after a timeout, on a loaded machine. */
#define LATE 2000

static int pr, pw; /* the pipe */
static int efd;	   /* the eventfd */
static int sa, sb; /* the connected sockets; sa is waited on */

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

/* A thread that writes to fd ms milliseconds after it starts. */
struct delayed {
	int fd;
	long ms;
	pthread_t tid;
};

static void *delayed_write(void *arg)
{
	struct delayed *d = arg;
	uint64_t one = 1;
	ssize_t n;

	sleep_ms(d->ms);
	if (d->fd == efd)
		n = write(d->fd, &one, sizeof(one));
	else
		n = write(d->fd, "w", 1);
	CHECK(n > 0, "delayed write: %s", strerror(errno));
	return NULL;
}

static void later(struct delayed *d, int fd, long ms)
{
	int err;

	d->fd = fd;
	d->ms = ms;
	err = pthread_create(&d->tid, NULL, delayed_write, d);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
}

static void join(pthread_t t)
{
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
}

/* Reads the one byte a delayed write put in fd. */
static void drain(int fd)
{
	char c;

	CHECK(read(fd, &c, 1) == 1 && c == 'w', "drain: %s", strerror(errno));
}

static void tcp_pair(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l >= 0, "socket: %s", strerror(errno));
	CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: %s",
	      strerror(errno));
	CHECK(listen(l, 1) == 0, "listen: %s", strerror(errno));
	CHECK(getsockname(l, (struct sockaddr *)&a, &len) == 0,
	      "getsockname: %s", strerror(errno));
	sa = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(sa >= 0, "socket: %s", strerror(errno));
	CHECK(connect(sa, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s",
	      strerror(errno));
	sb = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(sb >= 0, "accept: %s", strerror(errno));
	CHECK(close(l) == 0, "close");
}

static void set3(struct pollfd *p)
{
	p[0] = (struct pollfd){ .fd = pr, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = efd, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = sa, .events = POLLIN };
}

static void test_poll(void)
{
	struct pollfd p[3];
	struct delayed d;
	uint64_t t0, v;
	FILE *tmp;
	int n, f;

	/* (a) */
	set3(p);
	t0 = now_ns();
	n = poll(p, 3, 200);
	CHECK(n == 0, "poll: %d (%s), want a timeout", n, strerror(errno));
	CHECK(ms_since(t0) >= 200, "poll timed out after %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(ms_since(t0) < LATE, "poll of 200 ms took %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(!p[0].revents && !p[1].revents && !p[2].revents,
	      "revents %#x %#x %#x after a timeout", p[0].revents, p[1].revents,
	      p[2].revents);

	/* (b) */
	set3(p);
	t0 = now_ns();
	later(&d, efd, 100);
	n = poll(p, 3, 5000);
	CHECK(n == 1, "poll: %d (%s), want the eventfd", n, strerror(errno));
	CHECK(ms_since(t0) >= 100, "poll returned after %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(p[1].revents == POLLIN && !p[0].revents && !p[2].revents,
	      "revents %#x %#x %#x, want POLLIN on the eventfd only",
	      p[0].revents, p[1].revents, p[2].revents);
	join(d.tid);
	CHECK(read(efd, &v, sizeof(v)) == sizeof(v) && v == 1,
	      "eventfd read: %s", strerror(errno));

	/* (c) */
	tmp = tmpfile();
	CHECK(tmp != NULL, "tmpfile: %s", strerror(errno));
	f = fileno(tmp);
	set3(p);
	p[1].fd = f;
	t0 = now_ns();
	n = poll(p, 3, 5000);
	CHECK(n == 1, "poll with a regular file: %d (%s)", n, strerror(errno));
	CHECK(ms_since(t0) < LATE, "poll of a ready file took %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(p[1].revents == POLLIN && !p[0].revents && !p[2].revents,
	      "revents %#x %#x %#x, want POLLIN on the file only", p[0].revents,
	      p[1].revents, p[2].revents);
	fclose(tmp);

	/* (d) */
	set3(p);
	t0 = now_ns();
	n = poll(p, 3, 0);
	CHECK(n == 0, "poll(0): %d (%s)", n, strerror(errno));
	CHECK(ms_since(t0) < LATE, "poll(0) took %llu ms",
	      (unsigned long long)ms_since(t0));
	set3(p);
	t0 = now_ns();
	later(&d, pw, 100);
	n = poll(p, 3, -1);
	CHECK(n == 1, "poll(-1): %d (%s)", n, strerror(errno));
	CHECK(ms_since(t0) >= 100, "poll(-1) returned after %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(p[0].revents == POLLIN && !p[1].revents && !p[2].revents,
	      "revents %#x %#x %#x, want POLLIN on the pipe only", p[0].revents,
	      p[1].revents, p[2].revents);
	join(d.tid);
	drain(pr);
}

static void test_select(void)
{
	struct timeval tv;
	struct delayed d;
	fd_set r;
	uint64_t t0, el, left;
	int n, nfds = (pr > sa ? pr : sa) + 1;

	FD_ZERO(&r);
	FD_SET(pr, &r);
	FD_SET(sa, &r);
	tv = (struct timeval){ 0, 150000 };
	t0 = now_ns();
	n = select(nfds, &r, NULL, NULL, &tv);
	CHECK(n == 0, "select: %d (%s), want a timeout", n, strerror(errno));
	CHECK(ms_since(t0) >= 150, "select timed out after %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(ms_since(t0) < LATE, "select of 150 ms took %llu ms",
	      (unsigned long long)ms_since(t0));
	CHECK(!FD_ISSET(pr, &r) && !FD_ISSET(sa, &r),
	      "select left bits set after a timeout");
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0,
	      "timeval after the timeout %ld.%06ld, want the time left, 0",
	      (long)tv.tv_sec, (long)tv.tv_usec);

	FD_ZERO(&r);
	FD_SET(pr, &r);
	FD_SET(sa, &r);
	tv = (struct timeval){ 5, 0 };
	t0 = now_ns();
	later(&d, pw, 100);
	n = select(nfds, &r, NULL, NULL, &tv);
	el = now_ns() - t0;
	CHECK(n == 1, "select: %d (%s), want the pipe", n, strerror(errno));
	CHECK(el >= 100 * MS, "select returned after %llu ms",
	      (unsigned long long)(el / MS));
	CHECK(FD_ISSET(pr, &r) && !FD_ISSET(sa, &r),
	      "select: pipe bit %d, socket bit %d, want only the pipe's",
	      FD_ISSET(pr, &r), FD_ISSET(sa, &r));
	left = (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000;
	CHECK(left < 5000 * MS,
	      "timeval %ld.%06ld not updated to the time left", (long)tv.tv_sec,
	      (long)tv.tv_usec);
	CHECK(left + el + 2 * MS >= 5000 * MS,
	      "timeval %ld.%06ld after %llu ms of 5 s", (long)tv.tv_sec,
	      (long)tv.tv_usec, (unsigned long long)(el / MS));
	join(d.tid);
	drain(pr);
}

/* (f) */
static atomic_int handled;
static pthread_t handled_by;

static void on_usr1(int sig)
{
	(void)sig;
	handled_by = pthread_self();
	atomic_fetch_add(&handled, 1);
}

static void *kill_later(void *arg)
{
	pthread_t *target = arg;
	int err;

	sleep_ms(100);
	err = pthread_kill(*target, SIGUSR1);
	CHECK(err == 0, "pthread_kill: %s", strerror(err));
	return NULL;
}

enum call { PSELECT, PPOLL, EPOLL_PWAIT, EPOLL_WAIT, POLL, SELECT };

static const char *const call_name[] = { "pselect",    "ppoll", "epoll_pwait",
					 "epoll_wait", "poll",	"select" };

/*
 * Waits in call on the pipe (and the socket) for up to ms milliseconds
 * (forever if ms < 0), with sigmask where the call takes one.  Returns
 * what the call returned; *ready is whether it reported the pipe (alone)
 * ready.
 */
static int wait_in(enum call call, int ep, long ms, const sigset_t *sigmask,
		   bool *ready)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
	struct timespec *tsp = ms < 0 ? NULL : &ts;
	struct pollfd p[2] = { { .fd = pr, .events = POLLIN },
			       { .fd = sa, .events = POLLIN } };
	struct epoll_event ev[4];
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };
	fd_set r;
	int n = -1, nfds = (pr > sa ? pr : sa) + 1;

	FD_ZERO(&r);
	FD_SET(pr, &r);
	FD_SET(sa, &r);
	switch (call) {
	case PSELECT:
		n = pselect(nfds, &r, NULL, NULL, tsp, sigmask);
		*ready = n == 1 && FD_ISSET(pr, &r) && !FD_ISSET(sa, &r);
		break;
	case SELECT:
		n = select(nfds, &r, NULL, NULL, ms < 0 ? NULL : &tv);
		*ready = n == 1 && FD_ISSET(pr, &r) && !FD_ISSET(sa, &r);
		break;
	case PPOLL:
		n = ppoll(p, 2, tsp, sigmask);
		*ready = n == 1 && p[0].revents == POLLIN && !p[1].revents;
		break;
	case POLL:
		n = poll(p, 2, (int)ms);
		*ready = n == 1 && p[0].revents == POLLIN && !p[1].revents;
		break;
	case EPOLL_PWAIT:
		n = epoll_pwait(ep, ev, 4, (int)ms, sigmask);
		*ready = n == 1 && ev[0].data.fd == pr &&
			 ev[0].events == EPOLLIN;
		break;
	case EPOLL_WAIT:
		n = epoll_wait(ep, ev, 4, (int)ms);
		*ready = n == 1 && ev[0].data.fd == pr &&
			 ev[0].events == EPOLLIN;
		break;
	}
	return n;
}

static void test_sigmask(int ep)
{
	struct sigaction act = { .sa_handler = on_usr1 };
	sigset_t usr1, during, now;
	pthread_t self = pthread_self(), killer;
	enum call call;
	uint64_t t0;
	bool ready;
	int n, err;

	sigemptyset(&act.sa_mask);
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0, "sigaction: %s",
	      strerror(errno));
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK(pthread_sigmask(SIG_BLOCK, &usr1, &during) == 0, "sigmask");
	sigdelset(&during, SIGUSR1);

	for (call = PSELECT; call <= EPOLL_PWAIT; call++) {
		const char *name = call_name[call];

		atomic_store(&handled, 0);
		t0 = now_ns();
		err = pthread_create(&killer, NULL, kill_later, &self);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
		n = wait_in(call, ep, 5000, &during, &ready);
		err = errno;
		CHECK(n == -1 && err == EINTR, "%s: %d (%s), want EINTR", name,
		      n, strerror(err));
		CHECK(atomic_load(&handled) == 1,
		      "%s: the handler ran %d times", name,
		      atomic_load(&handled));
		CHECK(pthread_equal(handled_by, self),
		      "%s: the handler ran on another thread", name);
		CHECK(ms_since(t0) >= 100, "%s: EINTR after %llu ms", name,
		      (unsigned long long)ms_since(t0));
		CHECK(ms_since(t0) < 4000, "%s: EINTR after %llu ms", name,
		      (unsigned long long)ms_since(t0));
		join(killer);
		CHECK(pthread_sigmask(SIG_BLOCK, NULL, &now) == 0, "sigmask");
		CHECK(sigismember(&now, SIGUSR1) == 1,
		      "%s: SIGUSR1 not blocked after the call", name);

		/* Pending before the call: EINTR at once. */
		atomic_store(&handled, 0);
		CHECK(pthread_kill(self, SIGUSR1) == 0, "pthread_kill");
		CHECK(atomic_load(&handled) == 0,
		      "%s: the handler ran while SIGUSR1 was blocked", name);
		t0 = now_ns();
		n = wait_in(call, ep, 5000, &during, &ready);
		err = errno;
		CHECK(n == -1 && err == EINTR,
		      "%s with SIGUSR1 pending: %d (%s), want EINTR", name, n,
		      strerror(err));
		CHECK(atomic_load(&handled) == 1,
		      "%s: the handler ran %d times for a pending signal", name,
		      atomic_load(&handled));
		CHECK(ms_since(t0) < LATE, "%s: EINTR after %llu ms", name,
		      (unsigned long long)ms_since(t0));
	}
	CHECK(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL) == 0, "sigmask");
	act.sa_handler = SIG_DFL;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0, "sigaction");
}

static void test_epoll(int ep)
{
	struct epoll_event ev[4];
	struct delayed d;
	uint64_t t0;
	int n, pass;

	for (pass = 0; pass < 2; pass++) {
		const char *name = pass ? "epoll_pwait" : "epoll_wait";
		int wr = pass ? sb : pw, rd = pass ? sa : pr;

		t0 = now_ns();
		n = pass ? epoll_pwait(ep, ev, 4, 150, NULL)
			 : epoll_wait(ep, ev, 4, 150);
		CHECK(n == 0, "%s: %d (%s), want a timeout", name, n,
		      strerror(errno));
		CHECK(ms_since(t0) >= 150, "%s timed out after %llu ms", name,
		      (unsigned long long)ms_since(t0));
		CHECK(ms_since(t0) < LATE, "%s of 150 ms took %llu ms", name,
		      (unsigned long long)ms_since(t0));

		t0 = now_ns();
		later(&d, wr, 100);
		n = pass ? epoll_pwait(ep, ev, 4, 5000, NULL)
			 : epoll_wait(ep, ev, 4, 5000);
		CHECK(n == 1, "%s: %d (%s), want one event", name, n,
		      strerror(errno));
		CHECK(ms_since(t0) >= 100, "%s returned after %llu ms", name,
		      (unsigned long long)ms_since(t0));
		CHECK(ev[0].data.fd == rd && ev[0].events == EPOLLIN,
		      "%s: event %#x on fd %d, want EPOLLIN on %d", name,
		      ev[0].events, ev[0].data.fd, rd);
		join(d.tid);
		drain(rd);
	}
}

/* (h) */
struct waiter {
	enum call call;
	int ep;
	atomic_bool entered, returned;
	int n;
	bool ready;
};

static void *waiter(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->entered, true);
	w->n = wait_in(w->call, w->ep, -1, NULL, &w->ready);
	atomic_store(&w->returned, true);
	return NULL;
}

static void test_progress(int ep)
{
	static const enum call calls[] = { POLL, PPOLL, SELECT, PSELECT,
					   EPOLL_WAIT };
	struct waiter w;
	pthread_t t;
	size_t i;
	int err;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const char *name = call_name[calls[i]];

		w = (struct waiter){ .call = calls[i], .ep = ep };
		err = pthread_create(&t, NULL, waiter, &w);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
		CHECK(wait_until(atomic_load(&w.entered), 20),
		      "%s: the waiter never ran", name);
		sleep_ms(50);
		pingpong_run(name);
		CHECK(!atomic_load(&w.returned),
		      "%s returned %d with nothing ready", name, w.n);
		CHECK(write(pw, "w", 1) == 1, "write: %s", strerror(errno));
		join(t);
		CHECK(w.n == 1 && w.ready, "%s: %d, pipe ready %d", name, w.n,
		      w.ready);
		drain(pr);
	}
}

/* (i) */
static void test_huge_timeouts(void)
{
	struct timespec ts = { 3000000000000000000, 0 };
	struct timeval tv = { 3000000000000000000, 0 };
	struct pollfd p = { pr, POLLIN, 0 };
	struct delayed d;
	uint64_t t0;
	fd_set r;
	int n;

	t0 = now_ns();
	later(&d, pw, 100);
	n = ppoll(&p, 1, &ts, NULL);
	CHECK(n == 1 && (p.revents & POLLIN), "ppoll of 3e18 s: %d (%s)", n,
	      n < 0 ? strerror(errno) : "no event");
	CHECK(ms_since(t0) >= 100, "ppoll of 3e18 s returned after %llu ms",
	      (unsigned long long)ms_since(t0));
	join(d.tid);
	drain(pr);

	FD_ZERO(&r);
	FD_SET(pr, &r);
	t0 = now_ns();
	later(&d, pw, 100);
	n = select(pr + 1, &r, NULL, NULL, &tv);
	CHECK(n == 1 && FD_ISSET(pr, &r), "select of 3e18 s: %d (%s)", n,
	      n < 0 ? strerror(errno) : "no bit");
	CHECK(ms_since(t0) >= 100, "select of 3e18 s returned after %llu ms",
	      (unsigned long long)ms_since(t0));
	join(d.tid);
	drain(pr);
}

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int p[2], ep;

	watchdog(60);
	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	pr = p[0];
	pw = p[1];
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0, "eventfd: %s", strerror(errno));
	tcp_pair();
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0, "epoll_create1: %s", strerror(errno));
	ev.data.fd = pr;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, pr, &ev) == 0, "epoll_ctl: %s",
	      strerror(errno));
	ev.data.fd = sa;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sa, &ev) == 0, "epoll_ctl: %s",
	      strerror(errno));

	test_poll();
	test_select();
	test_sigmask(ep);
	test_epoll(ep);
	test_progress(ep);
	test_huge_timeouts();
	return 0;
}
