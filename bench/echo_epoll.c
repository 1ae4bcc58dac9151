/*
 * echo_epoll - the same echo service as echo_server with no threads at
 * all: one thread, one epoll set, the ceiling a server reaches on this
 * machine with the kernel's TCP doing the rest.
 *
 *	echo_epoll PORTFILE
 *
 * Same protocol as echo_server: 127.0.0.1, the port in PORTFILE, exit
 * status 0 on EOF on stdin. Connections are non-blocking and watched
 * level-triggered: each readiness costs one read and one write, the
 * fewest system calls an echo can take. A write the socket cannot take
 * whole waits, with the connection, until it can (poll()); echoes are
 * 64 bytes, so that does not happen under echo_client.
 */
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "echo.h"

#define EVENTS 256

static void write_all(int fd, const char *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EAGAIN) {
			poll(&pfd, 1, -1);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return; /* reset: the read that follows sees it */
		p += w;
		n -= (size_t)w;
	}
}

static void accept_all(int ep, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, one = 1;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN)
				return;
			fail("accept", errno);
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			fail("epoll_ctl", errno);
	}
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[EVENTS];
	char buf[4096];
	int ep, lfd, port, n, i, fd;
	ssize_t r;

	if (argc != 2) {
		fprintf(stderr, "usage: echo_epoll PORTFILE\n");
		return 2;
	}
	lfd = echo_listen(SOCK_NONBLOCK, &port);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		fail("epoll_create1", errno);
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		fail("epoll_ctl", errno);
	ev.data.fd = STDIN_FILENO;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev))
		fail("epoll_ctl stdin", errno);
	echo_write_port(argv[1], port);

	for (;;) {
		n = epoll_wait(ep, evs, EVENTS, -1);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait", errno);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				accept_all(ep, lfd);
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (fd == STDIN_FILENO) {
				if (r == 0 || (r < 0 && errno != EINTR))
					exit(0);
				continue;
			}
			if (r > 0)
				write_all(fd, buf, (size_t)r);
			else if (r == 0 || (errno != EAGAIN && errno != EINTR))
				close(fd); /* EOF or reset; epoll forgets it */
		}
	}
}
