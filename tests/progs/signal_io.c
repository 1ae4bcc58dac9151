/*
 * Proves that a signal handler ends blocking I/O as Linux's system calls
 * end for it:
 *  - poll, select and epoll_wait fail with EINTR, whatever SA_RESTART;
 *  - read of a pipe and accept fail with EINTR without SA_RESTART, and go
 *    on with it (a byte written, a connection made 100 ms after the
 *    signal is then what they return);
 *  - recv of a socket with SO_RCVTIMEO fails with EINTR even with
 *    SA_RESTART;
 *  - a blocking write to a full pipe that wrote some bytes returns their
 *    count, with SA_RESTART or without.
 * Each call runs twice for each handler: in the initial thread, with the
 * signal sent to the process (kill(getpid())) 100 ms into the call by a
 * thread that blocks it, so the kernel delivers it to the initial thread
 * (CPython's signal.alarm() around select() is this); and in a second
 * thread, with the signal sent to that thread (pthread_kill()). The
 * handler must have run when the call returns, an interrupted call must
 * end well before its own timeout of 30 s, and a call that goes on must
 * not return before the byte or the connection comes.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "check.h"

enum call { POLL, SELECT, EPOLL, READ, RECV_TIMEO, ACCEPT, WRITE, NCALLS };
static const char *const names[NCALLS] = {
	"poll",	  "select", "epoll_wait", "read", "recv with SO_RCVTIMEO",
	"accept", "write"
};

#define DELAY_MS 100
#define BIG	 (1 << 20)

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * (long)MS };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

struct job {
	enum call call;
	bool restart;		 /* the handler has SA_RESTART */
	bool to_thread;		 /* pthread_kill(caller), else kill(getpid()) */
	bool goes_on;		 /* the call must go on after the handler */
	pthread_t caller;	 /* the thread making the call */
	int fd, peer, epfd;	 /* waited on; its other end; epoll_wait's */
	struct sockaddr_un addr; /* accept's listener */
	socklen_t alen;
	long r;
	int err;
};

static void setup(struct job *j)
{
	int p[2];

	j->peer = j->epfd = -1;
	switch (j->call) {
	case RECV_TIMEO: {
		struct timeval tv = { 30, 0 };

		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0,
		      "socketpair: %s", strerror(errno));
		CHECK(setsockopt(p[0], SOL_SOCKET, SO_RCVTIMEO, &tv,
				 sizeof(tv)) == 0,
		      "SO_RCVTIMEO: %s", strerror(errno));
		j->fd = p[0];
		j->peer = p[1];
		return;
	}
	case ACCEPT:
		j->fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(j->fd >= 0, "socket: %s", strerror(errno));
		memset(&j->addr, 0, sizeof(j->addr));
		j->addr.sun_family = AF_UNIX; /* autobind: an abstract name */
		CHECK(bind(j->fd, (struct sockaddr *)&j->addr,
			   sizeof(sa_family_t)) == 0,
		      "bind: %s", strerror(errno));
		CHECK(listen(j->fd, 4) == 0, "listen: %s", strerror(errno));
		j->alen = sizeof(j->addr);
		CHECK(getsockname(j->fd, (struct sockaddr *)&j->addr,
				  &j->alen) == 0,
		      "getsockname: %s", strerror(errno));
		return;
	case WRITE: /* a small pipe: write fills it, then waits */
		CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
		fcntl(p[1], F_SETPIPE_SZ, 4096);
		j->fd = p[1];
		j->peer = p[0];
		return;
	default:
		CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
		j->fd = p[0];
		j->peer = p[1];
		if (j->call == EPOLL) {
			struct epoll_event ev = { .events = EPOLLIN };

			j->epfd = epoll_create1(0);
			CHECK(j->epfd >= 0, "epoll_create1: %s",
			      strerror(errno));
			CHECK(epoll_ctl(j->epfd, EPOLL_CTL_ADD, j->fd, &ev) ==
				      0,
			      "epoll_ctl: %s", strerror(errno));
		}
		return;
	}
}

/* Make the call that goes on return: a byte, or a connection. */
static void feed(struct job *j)
{
	int c;

	if (j->call != ACCEPT) {
		CHECK(write(j->peer, "x", 1) == 1, "feed: %s", strerror(errno));
		return;
	}
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(c >= 0, "socket: %s", strerror(errno));
	CHECK(connect(c, (struct sockaddr *)&j->addr, j->alen) == 0,
	      "connect: %s", strerror(errno));
	j->peer = c;
}

static void call(struct job *j)
{
	static char big[BIG];
	struct pollfd pfd = { .fd = j->fd, .events = POLLIN };
	struct timeval tv = { 30, 0 };
	struct epoll_event ev;
	fd_set rd;
	char c;

	switch (j->call) {
	case POLL:
		j->r = poll(&pfd, 1, 30000);
		break;
	case SELECT:
		FD_ZERO(&rd);
		FD_SET(j->fd, &rd);
		j->r = select(j->fd + 1, &rd, NULL, NULL, &tv);
		break;
	case EPOLL:
		j->r = epoll_wait(j->epfd, &ev, 1, 30000);
		break;
	case READ:
		j->r = read(j->fd, &c, 1);
		break;
	case RECV_TIMEO:
		j->r = recv(j->fd, &c, 1, 0);
		break;
	case ACCEPT:
		j->r = accept(j->fd, NULL, NULL);
		break;
	case WRITE:
		j->r = write(j->fd, big, sizeof(big));
		break;
	default:
		break;
	}
	j->err = errno;
}

/* The sender: the signal after DELAY_MS, then the feed if it goes on. */
static void send_and_feed(struct job *j)
{
	sleep_ms(DELAY_MS);
	if (j->to_thread)
		CHECK(pthread_kill(j->caller, SIGUSR1) == 0, "pthread_kill");
	else
		CHECK(kill(getpid(), SIGUSR1) == 0, "kill: %s",
		      strerror(errno));
	if (j->goes_on) {
		sleep_ms(DELAY_MS);
		feed(j);
	}
}

static void *sender_thread(void *arg)
{
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	send_and_feed(arg);
	return NULL;
}

static void *caller_thread(void *arg)
{
	call(arg);
	return NULL;
}

static void run(enum call c, bool restart, bool to_thread)
{
	struct sigaction sa = { .sa_handler = on_usr1,
				.sa_flags = restart ? SA_RESTART : 0 };
	struct job j = { .call = c,
			 .restart = restart,
			 .to_thread = to_thread };
	const char *how = to_thread ? "pthread_kill" : "kill";
	const char *flags = restart ? "SA_RESTART" : "no SA_RESTART";
	int before = handled;
	uint64_t t0, ms;
	pthread_t t;

	j.goes_on = restart && (c == READ || c == ACCEPT);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction: %s",
	      strerror(errno));
	setup(&j);
	t0 = now_ns();
	if (to_thread) {
		CHECK(pthread_create(&t, NULL, caller_thread, &j) == 0,
		      "pthread_create");
		j.caller = t;
		send_and_feed(&j);
		CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	} else {
		j.caller = pthread_self();
		CHECK(pthread_create(&t, NULL, sender_thread, &j) == 0,
		      "pthread_create");
		call(&j);
		CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	}
	ms = (now_ns() - t0) / MS;

	CHECK(handled > before, "%s, %s, %s: the handler did not run", names[c],
	      how, flags);
	CHECK(ms < 5000, "%s, %s, %s: returned after %llu ms", names[c], how,
	      flags, (unsigned long long)ms);
	if (j.goes_on) {
		CHECK(j.r >= 0, "%s, %s, %s: %ld (%s), want it to go on",
		      names[c], how, flags, j.r, strerror(j.err));
		CHECK(ms >= 2 * DELAY_MS - 10,
		      "%s, %s, %s: returned after %llu ms, before the feed",
		      names[c], how, flags, (unsigned long long)ms);
		if (c == ACCEPT)
			close((int)j.r);
	} else if (c == WRITE) {
		CHECK(j.r > 0 && j.r < BIG,
		      "%s, %s, %s: %ld (%s), want the bytes written", names[c],
		      how, flags, j.r, j.r < 0 ? strerror(j.err) : "");
	} else {
		CHECK(j.r == -1 && j.err == EINTR,
		      "%s, %s, %s: %ld (%s), want EINTR", names[c], how, flags,
		      j.r, j.r < 0 ? strerror(j.err) : "");
	}
	close(j.fd);
	if (j.peer >= 0)
		close(j.peer);
	if (j.epfd >= 0)
		close(j.epfd);
}

int main(void)
{
	int c, restart, to_thread;

	watchdog(120);
	for (to_thread = 0; to_thread < 2; to_thread++)
		for (restart = 0; restart < 2; restart++)
			for (c = 0; c < NCALLS; c++)
				run((enum call)c, restart, to_thread);
	printf("signal_io: %d calls ended as natively\n", 2 * 2 * NCALLS);
	return 0;
}
