/* SPDX-License-Identifier: MIT */
/*
 * What syscall-wrap/'s fd files share: what is known of an fd
 * (fdinfo.c), the one loop that tries a call and waits on the netpoller
 * (fdwait.c), and the making and closing of fds (fdlife.c). Read and
 * write are in rw.c, sockets in sock.c, the poll family in poll.c.
 */
#ifndef SPROUT_SYSCALL_WRAP_FD_H
#define SPROUT_SYSCALL_WRAP_FD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "wrap.h"
#include "../sched/netpoll.h"

/*
 * KIND_STREAM: a stream socket, for which read is recv and write send.
 * NP_KIND_OURS may be added: a socket this process made (see connect()).
 */
enum { KIND_UNKNOWN, KIND_FILE, KIND_POLL, KIND_STREAM, KIND_MASK = 3 };

/* fdinfo.c */
int fd_kind(int fd) hidden;
bool pollable(int fd) hidden;
void fd_info(int fd, struct netpoll_info *f) hidden;
bool nonblocking(int fd) hidden;
int64_t sock_deadline(int fd, int mode) hidden;
bool ready_now(int fd, int mode) hidden;

/* fdlife.c: fd (if not -1) names a new file, a socket of ours of kind. */
int fd_made(int fd) hidden;
int sock_made(int fd, int kind) hidden;
/* A close of an fd the shim made for itself, with a raw system call. */
void fd_close_raw(int fd) hidden;

/*
 * The runtime's own fds are not the program's: a call naming one fails
 * as for an fd that is not open.
 */
static inline bool fd_hidden(int fd)
{
	return netpoll_own_fd(fd);
}

/* -errno to libc's -1 and errno. */
static inline long ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static inline int ebadf(void)
{
	errno = EBADF;
	return -1;
}

/* One call on an fd, run by op_run(). */
struct op {
	int fd, mode;
	/*
	 * The call: its result or -errno. With nowait, it must not block,
	 * and -EAGAIN means "wait until fd is ready for mode, try again".
	 * Without, it is made blocking, handed off (the netpoller cannot
	 * watch the fd).
	 */
	long (*call)(struct op *o, bool nowait);
	/* 0: the socket timeout for mode, found on the first wait; -1: none */
	int64_t deadline;
	long timedout; /* the answer when the deadline passes; 0: -EAGAIN */
	/* arguments */
	struct iovec *iov;
	int iovcnt;
	int flags;
	struct sockaddr *addr;
	socklen_t *alen;
	struct msghdr *msg;
	struct mmsghdr *mmsg;
	unsigned int vlen;
	struct timespec *tmo;
	size_t done; /* bytes write_all() wrote already */
};

/* fdwait.c: ticket, try, wait on the netpoller, until o is done. */
long op_run(struct op *o) hidden;

/* rw.c and sock.c */
long write_all(struct op *o, const struct iovec *iov, int iovcnt) hidden;
ssize_t sock_recv(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
		  socklen_t *alen) hidden;
ssize_t sock_send(int fd, const struct msghdr *m, int flags) hidden;

#endif
