/*
 * echo_server - a plain thread-per-connection TCP echo server.
 *
 *	echo_server PORTFILE
 *
 * Listens on 127.0.0.1 on a port the kernel picks (backlog 4096), writes
 * the port number to PORTFILE (to PORTFILE.tmp first, then renamed, so a
 * reader never sees a partial file) and accepts forever. Each connection
 * gets its own detached thread with a 64 KiB stack, which read()s and
 * write()s back everything until EOF, then closes the connection.
 *
 * The server stops (exit status 0) when it reads EOF on stdin: echo_client
 * gives it a pipe and closes it, so the server also goes away if the client
 * dies. Run by hand from a terminal, stop it with Ctrl-D. It exits with
 * status 1 and a message on stderr if it cannot accept or create a thread.
 * It raises RLIMIT_NOFILE to the hard limit.
 */
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "echo.h"

#define STACK (64 * 1024)

static long connections;

static void *echo(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[4096];
	ssize_t n, off, w;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EOF, or the peer reset the connection */
		for (off = 0; off < n; off += w) {
			w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				goto out;
		}
	}
out:
	close(fd);
	return NULL;
}

static void *acceptor(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd, one = 1, err;
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr,
				"echo_server: accept after %ld connections: "
				"%s\n",
				connections, strerror(errno));
			exit(1);
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		err = pthread_create(&t, &attr, echo, (void *)(intptr_t)fd);
		if (err) {
			fprintf(stderr,
				"echo_server: pthread_create for connection "
				"%ld: %s\n",
				connections + 1, strerror(err));
			exit(1);
		}
		connections++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	pthread_t t;
	char buf[256];
	ssize_t n;
	int lfd, port, err;

	if (argc != 2) {
		fprintf(stderr, "usage: echo_server PORTFILE\n");
		return 2;
	}
	lfd = echo_listen(0, &port);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK);
	err = pthread_create(&t, &attr, acceptor, (void *)(intptr_t)lfd);
	if (err)
		fail("pthread_create", err);
	echo_write_port(argv[1], port);

	/* Serve until EOF (or an error) on stdin. */
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	exit(0);
}
