/* What the echo servers share: the listener and the port file. */
#ifndef SPROUT_BENCH_ECHO_H
#define SPROUT_BENCH_ECHO_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bench.h"

#define ECHO_BACKLOG 4096

/*
 * A socket listening on 127.0.0.1 on a port the kernel picks (flags as
 * socket()'s type flags), its port in *port. Raises RLIMIT_NOFILE to the
 * hard limit and ignores SIGPIPE: a client that goes away must not kill
 * the server in write().
 */
static inline int echo_listen(int flags, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct rlimit rl;
	int lfd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (lfd < 0)
		fail("socket", errno);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)))
		fail("bind", errno);
	if (listen(lfd, ECHO_BACKLOG))
		fail("listen", errno);
	if (getsockname(lfd, (struct sockaddr *)&sa, &salen))
		fail("getsockname", errno);
	*port = ntohs(sa.sin_port);
	return lfd;
}

/* Write port to path: to path.tmp first, then renamed, never partial. */
static inline void echo_write_port(const char *path, int port)
{
	size_t len = strlen(path) + 5;
	char *tmp = malloc(len);
	FILE *f;

	if (!tmp)
		fail("malloc", ENOMEM);
	snprintf(tmp, len, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		fail(tmp, errno);
	fprintf(f, "%d\n", port);
	if (fclose(f))
		fail(tmp, errno);
	if (rename(tmp, path))
		fail(path, errno);
	free(tmp);
}

#endif
