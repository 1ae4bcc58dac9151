// SPDX-License-Identifier: MIT
/*
 * Network, pipe and event-fd I/O on the netpoller (DESIGN.md section 6,
 * class 2). A call on such an fd is tried non-blocking for this call only
 * (MSG_DONTWAIT, preadv2/pwritev2 with RWF_NOWAIT; where the file has no
 * such form, a zero-timeout poll first), and EAGAIN parks the G until
 * epoll says the fd is ready (sched/netpoll.c). The file status flags of
 * the open file description are never changed: they are shared with other
 * processes (a shell pipeline's pipe, a socket passed to a child).
 *
 * The program's own O_NONBLOCK is honoured (EAGAIN is returned as usual),
 * and so are SO_RCVTIMEO and SO_SNDTIMEO (EAGAIN when they run out). A
 * blocking write or send writes everything, as it would natively, parking
 * as often as the buffer fills; what was written is returned if a timeout
 * or an error comes first. Files epoll cannot watch (regular files,
 * directories, block devices) are handed off as in blocking.c.
 *
 * Which fds are which: fstat() once per file, remembered by the
 * netpoller until the fd number names another file; every call that makes
 * or closes an fd tells it (netpoll_fd_changed()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wrap.h"
#include "../sched/netpoll.h"
#include "../sched/arch/x86_64/sys.h"
#include "../shim/shim.h"

/*
 * KIND_STREAM: a stream socket, for which read is recv and write send.
 * NP_KIND_OURS may be added: a socket this process made (see connect()).
 */
enum { KIND_UNKNOWN, KIND_FILE, KIND_POLL, KIND_STREAM, KIND_MASK = 3 };

/* fd (if not -1) names a new file: the netpoller forgets the old one. */
static int fd_made(int fd)
{
	if (fd >= 0)
		netpoll_fd_changed(fd);
	return fd;
}

/* What fd names, found once: KIND_FILE for what epoll cannot watch. */
static int fd_kind(int fd)
{
	int k = netpoll_kind(fd), type = 0;
	socklen_t len = sizeof(type);
	struct stat st;

	if (k != KIND_UNKNOWN)
		return k & KIND_MASK;
	if (sys2(SYS_fstat, fd, (long)&st) < 0)
		return KIND_FILE; /* EBADF and the like: the call says */
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode))
		k = KIND_FILE;
	else if (S_ISSOCK(st.st_mode) &&
		 sys6(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, (long)&type,
		      (long)&len, 0) == 0 &&
		 type == SOCK_STREAM)
		k = KIND_STREAM;
	else
		k = KIND_POLL;
	netpoll_set_kind(fd, k);
	return k;
}

/*
 * A socket this process made (socket(), accept()), of kind KIND_STREAM or
 * KIND_POLL: known without fstat(), and ours (see connect()).
 */
static int sock_made(int fd, int kind)
{
	if (fd >= 0) {
		netpoll_fd_changed(fd);
		netpoll_set_kind(fd, kind | NP_KIND_OURS);
	}
	return fd;
}

/* Does fd name something epoll may watch (not a file on disk)? */
static bool pollable(int fd)
{
	return fd_kind(fd) != KIND_FILE;
}

/*
 * The file's O_NONBLOCK and socket timeouts, read once and remembered
 * until the fd changes or the program changes them through the shim
 * (fcntl F_SETFL, ioctl FIONBIO, setsockopt). Another process sharing the
 * open file description could change O_NONBLOCK unseen; programs do not.
 */
static void fd_info(int fd, struct netpoll_info *f)
{
	struct timeval tv;
	socklen_t len;
	long fl;
	int i;

	if (netpoll_info(fd, f))
		return;
	fl = sys3(SYS_fcntl, fd, F_GETFL, 0);
	f->flags = fl < 0 ? -1 : (int)fl;
	for (i = 0; i < 2; i++) {
		len = sizeof(tv);
		f->timeo[i] = 0;
		if (sys6(SYS_getsockopt, fd, SOL_SOCKET,
			 i == NP_READ ? SO_RCVTIMEO : SO_SNDTIMEO, (long)&tv,
			 (long)&len, 0) == 0)
			f->timeo[i] = (int64_t)tv.tv_sec * 1000000000 +
				      (int64_t)tv.tv_usec * 1000;
	}
	if (fl >= 0)
		netpoll_set_info(fd, f);
}

/* Did the program make fd non-blocking itself? */
static bool nonblocking(int fd)
{
	struct netpoll_info f;

	fd_info(fd, &f);
	return f.flags < 0 || (f.flags & O_NONBLOCK);
}

/* SO_RCVTIMEO or SO_SNDTIMEO of a socket as a deadline, or -1. */
static int64_t sock_deadline(int fd, int mode)
{
	struct netpoll_info f;

	fd_info(fd, &f);
	return f.timeo[mode] ? nanotime() + f.timeo[mode] : -1;
}

/* Is fd ready for mode now (a poll that does not wait)? */
static bool ready_now(int fd, int mode)
{
	struct pollfd p = { fd, mode == NP_READ ? POLLIN : POLLOUT, 0 };
	struct timespec zero = { 0, 0 };

	return sys6(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 8, 0) > 0;
}

/* One operation on an fd, tried without blocking by run(). */
struct op {
	int fd, mode;
	/* The call: result or -errno; with nowait, it must not block. */
	long (*call)(struct op *o, bool nowait);
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

static long ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/*
 * netpoll_wait()'s answer for a call the kernel restarts after an
 * SA_RESTART handler (signal(7)): ERESTART is 0 (wait again), or EINTR
 * where a socket timeout applies (deadline >= 0) or bytes moved already
 * (the call then returns their count).
 */
static int restarted(int err, int64_t deadline, size_t done)
{
	if (err != ERESTART)
		return err;
	return deadline >= 0 || done ? EINTR : 0;
}

/*
 * Run o: try it; on EAGAIN, unless the program asked for non-blocking,
 * park until the fd is ready and try again.
 */
static long run(struct op *o)
{
	int64_t deadline = -2;
	long r;

	for (;;) {
		uint32_t ticket = netpoll_ticket(o->fd, o->mode);
		int err;

		r = o->call(o, true);
		if (r != -EAGAIN || nonblocking(o->fd))
			return r;
		if (deadline == -2)
			deadline = sock_deadline(o->fd, o->mode);
		err = restarted(netpoll_wait(o->fd, o->mode, ticket, deadline),
				deadline, o->done);
		if (err == ETIMEDOUT)
			return -EAGAIN;
		if (err == EBADF || err == EINTR)
			return -err;
		if (err)
			return BLOCKING(SHORT, long, o->call(o, false));
	}
}

/*
 * iovec I/O: readv or writev (by o->mode). Without blocking: RWF_NOWAIT
 * where the file has it, else a look first (ttys, eventfd writes).
 */
static long iov_call(struct op *o, bool nowait)
{
	bool rd = o->mode == NP_READ;
	long r;

	if (nowait) {
		r = sys6(rd ? SYS_preadv2 : SYS_pwritev2, o->fd, (long)o->iov,
			 o->iovcnt, -1, -1, RWF_NOWAIT);
		if (r != -EOPNOTSUPP)
			return r;
		if (!ready_now(o->fd, o->mode))
			return -EAGAIN;
		return BLOCKING(SHORT, long, iov_call(o, false));
	}
	return sys3(rd ? SYS_readv : SYS_writev, o->fd, (long)o->iov,
		    o->iovcnt);
}

/* Skip n written bytes of the iovec array (a copy of the caller's). */
static void iov_skip(struct op *o, size_t n)
{
	while (o->iovcnt > 0 && n >= o->iov->iov_len) {
		n -= o->iov->iov_len;
		o->iov++;
		o->iovcnt--;
	}
	if (o->iovcnt > 0) {
		o->iov->iov_base = (char *)o->iov->iov_base + n;
		o->iov->iov_len -= n;
	}
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;

	while (n-- > 0)
		t += iov[n].iov_len;
	return t;
}

/*
 * A blocking write writes everything: go on after a partial write until
 * all is written, or return what was if an error or timeout comes. iov is
 * the caller's and is not changed: the op works on a copy.
 */
static long write_all(struct op *o, const struct iovec *iov, int iovcnt)
{
	struct iovec one, *copy = &one;
	size_t total = iov_total(iov, iovcnt);
	long r;

	if (iovcnt > 1) {
		copy = malloc((size_t)iovcnt * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
	}
	memcpy(copy, iov, (size_t)iovcnt * sizeof(*copy));
	o->iov = copy;
	o->iovcnt = iovcnt;
	for (;;) {
		r = run(o);
		if (r < 0) {
			r = o->done ? (long)o->done : r;
			break;
		}
		o->done += (size_t)r;
		if (o->done >= total || nonblocking(o->fd)) {
			r = (long)o->done;
			break;
		}
		iov_skip(o, (size_t)r);
	}
	if (copy != &one)
		free(copy);
	return r;
}

static ssize_t do_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct op o = { .fd = fd,
			.mode = NP_READ,
			.call = iov_call,
			.iov = (struct iovec *)iov,
			.iovcnt = iovcnt };

	return ret(run(&o));
}

static ssize_t do_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct op o = { .fd = fd, .mode = NP_WRITE, .call = iov_call };

	return ret(write_all(&o, iov, iovcnt));
}

static ssize_t sock_recv(int fd, void *buf, size_t n, int flags,
			 struct sockaddr *addr, socklen_t *alen);
static ssize_t sock_send(int fd, const struct msghdr *m, int flags);

SPROUT_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	struct iovec v = { buf, n };
	int k;

	if (!shim_on_g())
		return REAL(read)(fd, buf, n);
	k = fd_kind(fd);
	if (k == KIND_FILE)
		return BLOCKING(SHORT, ssize_t, REAL(read)(fd, buf, n));
	if (k == KIND_STREAM && n > 0)
		return sock_recv(fd, buf, n, 0, NULL, NULL);
	return do_readv(fd, &v, 1);
}

SPROUT_EXPORT ssize_t __read(int fd, void *buf, size_t n)
{
	return read(fd, buf, n);
}

SPROUT_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		return REAL(__read_chk)(fd, buf, n, buflen); /* reports it */
	return read(fd, buf, n);
}

SPROUT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	struct iovec v = { (void *)buf, n };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	int k;

	if (!shim_on_g())
		return REAL(write)(fd, buf, n);
	k = fd_kind(fd);
	if (k == KIND_FILE)
		return BLOCKING(SHORT, ssize_t, REAL(write)(fd, buf, n));
	if (k == KIND_STREAM && n > 0)
		return sock_send(fd, &m, 0);
	return do_writev(fd, &v, 1);
}

SPROUT_EXPORT ssize_t __write(int fd, const void *buf, size_t n)
{
	return write(fd, buf, n);
}

SPROUT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	if (!shim_on_g())
		return REAL(readv)(fd, iov, iovcnt);
	if (!pollable(fd) || iovcnt < 0 || iovcnt > IOV_MAX)
		return BLOCKING(SHORT, ssize_t, REAL(readv)(fd, iov, iovcnt));
	return do_readv(fd, iov, iovcnt);
}

SPROUT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (!shim_on_g())
		return REAL(writev)(fd, iov, iovcnt);
	if (!pollable(fd) || iovcnt <= 0 || iovcnt > IOV_MAX)
		return BLOCKING(SHORT, ssize_t, REAL(writev)(fd, iov, iovcnt));
	return do_writev(fd, iov, iovcnt);
}

/* Sockets. */

static int dontwait(const struct op *o, bool nowait)
{
	return o->flags | (nowait ? MSG_DONTWAIT : 0);
}

static long recvfrom_call(struct op *o, bool nowait)
{
	return sys6(SYS_recvfrom, o->fd, (long)o->iov->iov_base,
		    (long)o->iov->iov_len, dontwait(o, nowait), (long)o->addr,
		    (long)o->alen);
}

static long sendmsg_call(struct op *o, bool nowait)
{
	struct msghdr m = *o->msg;

	if (o->iovcnt == 1 && !m.msg_controllen) /* sendto is cheaper */
		return sys6(SYS_sendto, o->fd, (long)o->iov->iov_base,
			    (long)o->iov->iov_len, dontwait(o, nowait),
			    (long)m.msg_name, m.msg_namelen);
	m.msg_iov = o->iov;
	m.msg_iovlen = (size_t)o->iovcnt;
	return sys3(SYS_sendmsg, o->fd, (long)&m, dontwait(o, nowait));
}

static long recvmsg_call(struct op *o, bool nowait)
{
	return sys3(SYS_recvmsg, o->fd, (long)o->msg, dontwait(o, nowait));
}

static long recvmmsg_call(struct op *o, bool nowait)
{
	return sys6(SYS_recvmmsg, o->fd, (long)o->mmsg, o->vlen,
		    dontwait(o, nowait), (long)o->tmo, 0);
}

static long sendmmsg_call(struct op *o, bool nowait)
{
	return sys4(SYS_sendmmsg, o->fd, (long)o->mmsg, o->vlen,
		    dontwait(o, nowait));
}

/* MSG_DONTWAIT from the program: its own non-blocking call. */
static bool net_direct(int fd, int flags)
{
	return !shim_on_g() || (flags & (MSG_DONTWAIT | MSG_WAITALL)) ||
	       !pollable(fd);
}

/* recvfrom and sendmsg on the netpoller, the checks made (read, write). */
static ssize_t sock_recv(int fd, void *buf, size_t n, int flags,
			 struct sockaddr *addr, socklen_t *alen)
{
	struct iovec v = { buf, n };
	struct op o = { .fd = fd,
			.mode = NP_READ,
			.call = recvfrom_call,
			.iov = &v,
			.flags = flags,
			.addr = addr,
			.alen = alen };

	return ret(run(&o));
}

static ssize_t sock_send(int fd, const struct msghdr *m, int flags)
{
	struct op o = { .fd = fd,
			.mode = NP_WRITE,
			.call = sendmsg_call,
			.msg = (struct msghdr *)m,
			.flags = flags };

	return ret(write_all(&o, m->msg_iov, (int)m->msg_iovlen));
}

SPROUT_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
			       struct sockaddr *addr, socklen_t *alen)
{
	if (net_direct(fd, flags)) {
		if (!shim_on_g())
			return REAL(recvfrom)(fd, buf, n, flags, addr, alen);
		return BLOCKING(SHORT, ssize_t,
				REAL(recvfrom)(fd, buf, n, flags, addr, alen));
	}
	return sock_recv(fd, buf, n, flags, addr, alen);
}

SPROUT_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	if (!shim_on_g())
		return REAL(recv)(fd, buf, n, flags);
	return recvfrom(fd, buf, n, flags, NULL, NULL);
}

SPROUT_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen,
				 int flags)
{
	if (n > buflen)
		return REAL(__recv_chk)(fd, buf, n, buflen, flags);
	return recv(fd, buf, n, flags);
}

SPROUT_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen,
				     int flags, struct sockaddr *addr,
				     socklen_t *alen)
{
	if (n > buflen)
		return REAL(__recvfrom_chk)(fd, buf, n, buflen, flags, addr,
					    alen);
	return recvfrom(fd, buf, n, flags, addr, alen);
}

SPROUT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (net_direct(fd, flags) || !msg || msg->msg_iovlen > IOV_MAX) {
		if (!shim_on_g())
			return REAL(sendmsg)(fd, msg, flags);
		return BLOCKING(SHORT, ssize_t, REAL(sendmsg)(fd, msg, flags));
	}
	return sock_send(fd, msg, flags);
}

SPROUT_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			     const struct sockaddr *addr, socklen_t alen)
{
	struct iovec v = { (void *)buf, n };
	struct msghdr m = { .msg_name = (void *)addr,
			    .msg_namelen = addr ? alen : 0,
			    .msg_iov = &v,
			    .msg_iovlen = 1 };

	if (!shim_on_g())
		return REAL(sendto)(fd, buf, n, flags, addr, alen);
	return sendmsg(fd, &m, flags);
}

SPROUT_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	if (!shim_on_g())
		return REAL(send)(fd, buf, n, flags);
	return sendto(fd, buf, n, flags, NULL, 0);
}

SPROUT_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct op o = { .fd = fd,
			.mode = NP_READ,
			.call = recvmsg_call,
			.msg = msg,
			.flags = flags };

	if (net_direct(fd, flags)) {
		if (!shim_on_g())
			return REAL(recvmsg)(fd, msg, flags);
		return BLOCKING(SHORT, ssize_t, REAL(recvmsg)(fd, msg, flags));
	}
	return ret(run(&o));
}

SPROUT_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int vlen,
			   int flags, struct timespec *tmo)
{
	struct op o = { .fd = fd,
			.mode = NP_READ,
			.call = recvmmsg_call,
			.mmsg = v,
			.vlen = vlen,
			.flags = flags,
			.tmo = tmo };

	if (net_direct(fd, flags)) {
		if (!shim_on_g())
			return REAL(recvmmsg)(fd, v, vlen, flags, tmo);
		return BLOCKING(SHORT, int,
				REAL(recvmmsg)(fd, v, vlen, flags, tmo));
	}
	return (int)ret(run(&o));
}

SPROUT_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen,
			   int flags)
{
	struct op o = { .fd = fd,
			.mode = NP_WRITE,
			.call = sendmmsg_call,
			.mmsg = v,
			.vlen = vlen,
			.flags = flags };

	if (net_direct(fd, flags)) {
		if (!shim_on_g())
			return REAL(sendmmsg)(fd, v, vlen, flags);
		return BLOCKING(SHORT, int, REAL(sendmmsg)(fd, v, vlen, flags));
	}
	return (int)ret(run(&o));
}

/*
 * accept has no per-call non-blocking form: wait until the listener is
 * readable, then accept. Another thread may take the connection first;
 * then the call blocks, handed off like any other.
 */
static long accept_call(struct op *o, bool nowait)
{
	if (!nowait)
		return sys4(SYS_accept4, o->fd, (long)o->addr, (long)o->alen,
			    o->flags);
	if (!ready_now(o->fd, NP_READ))
		return -EAGAIN;
	return BLOCKING(SHORT, long, accept_call(o, false));
}

/* The connection r accepted on listener fd is of the listener's kind. */
static int accepted(int r, int fd)
{
	return sock_made(r,
			 fd_kind(fd) == KIND_STREAM ? KIND_STREAM : KIND_POLL);
}

static int do_accept(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	struct op o = { .fd = fd,
			.mode = NP_READ,
			.call = accept_call,
			.addr = addr,
			.alen = alen,
			.flags = flags };
	long r = run(&o);

	accepted((int)r, fd);
	return (int)ret(r);
}

SPROUT_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
	if (!shim_on_g())
		return REAL(accept)(fd, addr, alen);
	if (!pollable(fd) || nonblocking(fd))
		return accepted(
			BLOCKING(SHORT, int, REAL(accept)(fd, addr, alen)), fd);
	return do_accept(fd, addr, alen, 0);
}

SPROUT_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *alen,
			  int flags)
{
	if (!shim_on_g())
		return REAL(accept4)(fd, addr, alen, flags);
	if (!pollable(fd) || nonblocking(fd))
		return accepted(BLOCKING(SHORT, int,
					 REAL(accept4)(fd, addr, alen, flags)),
				fd);
	return do_accept(fd, addr, alen, flags);
}

/*
 * connect has no per-call non-blocking form either. On a socket this
 * process made, and so shares with nobody, it sets O_NONBLOCK for the call
 * alone and puts the flags back at once; the handshake goes on in the
 * kernel while the G waits on the netpoller for the socket to be writable
 * (connected or failed: SO_ERROR says which). SO_SNDTIMEO bounds the wait
 * as natively: EINPROGRESS when it runs out. Other sockets, and a Unix
 * socket whose listener's backlog is full (EAGAIN, which no poll reports
 * the end of), block with the P handed off.
 */
static int connect_wait(int fd, uint32_t ticket)
{
	int64_t deadline = sock_deadline(fd, NP_WRITE);
	socklen_t elen = sizeof(int);
	int err;

	while (!ready_now(fd, NP_WRITE)) {
		err = restarted(netpoll_wait(fd, NP_WRITE, ticket, deadline),
				deadline, 0);
		if (err == ETIMEDOUT)
			return -EINPROGRESS;
		if (err)
			return -err;
		ticket = netpoll_ticket(fd, NP_WRITE);
	}
	if (sys6(SYS_getsockopt, fd, SOL_SOCKET, SO_ERROR, (long)&err,
		 (long)&elen, 0) < 0)
		return -EBADF; /* closed meanwhile */
	return -err;
}

/* A blocking socket of ours: its flags, remembered, are in *f. */
static bool may_park_connect(int fd, struct netpoll_info *f)
{
	if (!(netpoll_kind(fd) & NP_KIND_OURS))
		return false;
	fd_info(fd, f);
	return f->flags >= 0 && !(f->flags & O_NONBLOCK);
}

SPROUT_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct netpoll_info f;
	uint32_t ticket;
	long r;

	if (!shim_on_g())
		return REAL(connect)(fd, addr, len);
	if (!may_park_connect(fd, &f))
		return BLOCKING(SHORT, int, REAL(connect)(fd, addr, len));
	ticket = netpoll_ticket(fd, NP_WRITE);
	if (sys3(SYS_fcntl, fd, F_SETFL, f.flags | O_NONBLOCK) < 0)
		return BLOCKING(SHORT, int, REAL(connect)(fd, addr, len));
	r = sys3(SYS_connect, fd, (long)addr, len);
	sys3(SYS_fcntl, fd, F_SETFL, f.flags);
	if (r == -EAGAIN)
		return BLOCKING(SHORT, int, REAL(connect)(fd, addr, len));
	if (r == -EINPROGRESS)
		r = connect_wait(fd, ticket);
	return (int)ret(r);
}

/*
 * splice and sendfile: wait until the socket or pipe side is ready. False,
 * with errno EINTR, if a handler without SA_RESTART ended the wait.
 */
static bool wait_ready(int fd, int mode)
{
	uint32_t ticket;
	int err;

	if (!pollable(fd) || nonblocking(fd))
		return true;
	do {
		ticket = netpoll_ticket(fd, mode);
		if (ready_now(fd, mode))
			return true;
		err = netpoll_wait(fd, mode, ticket, -1);
	} while (err == ERESTART); /* restarted(err, -1, 0) == 0 */
	if (err == EINTR) {
		errno = EINTR;
		return false;
	}
	return true;
}

SPROUT_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out,
			     size_t len, unsigned int flags)
{
	if (!shim_on_g())
		return REAL(splice)(in, off_in, out, off_out, len, flags);
	if (!(flags & SPLICE_F_NONBLOCK) &&
	    (!wait_ready(in, NP_READ) || !wait_ready(out, NP_WRITE)))
		return -1;
	return BLOCKING(SHORT, ssize_t,
			REAL(splice)(in, off_in, out, off_out, len, flags));
}

SPROUT_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	if (!shim_on_g())
		return REAL(sendfile)(out, in, off, n);
	if (!wait_ready(out, NP_WRITE))
		return -1;
	return BLOCKING(SHORT, ssize_t, REAL(sendfile)(out, in, off, n));
}

SPROUT_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
	if (!shim_on_g())
		return REAL(sendfile64)(out, in, off, n);
	if (!wait_ready(out, NP_WRITE))
		return -1;
	return BLOCKING(SHORT, ssize_t, REAL(sendfile64)(out, in, off, n));
}

/*
 * poll, select and epoll_wait of the program. A look without waiting
 * first; if nothing is ready and the program would wait, the G parks on
 * an fd that becomes readable when one of its fds is ready: the program's
 * epoll fd for epoll_wait, a short-lived epoll instance watching the set
 * for poll and select. A handler that runs on the G (pthread_kill()), or
 * for a signal sent to the process while the initial thread waits, ends
 * the wait with EINTR, as POSIX says for these calls whatever SA_RESTART.
 */

/*
 * Would the call's mask let a pending signal in? Its handler then runs as
 * the call returns, and the call must say EINTR: a look with a zero
 * timeout returns its count instead.
 */
static bool lets_pending_in(const sigset_t *mask)
{
	uint64_t pend = 0, m;

	if (!mask)
		return false;
	memcpy(&m, mask, sizeof(m));
	sys2(SYS_rt_sigpending, (long)&pend, 8);
	return (pend & ~m) != 0;
}

/* Run the pending signals mask lets in (on rt_sigprocmask's return). */
static long run_pending(const sigset_t *mask)
{
	sigset_t saved;

	if (g_sigmask(SIG_SETMASK, mask, &saved) == 0)
		g_sigmask(SIG_SETMASK, &saved, NULL);
	return -EINTR;
}

/* Set the G's signal mask for the call (ppoll's, pselect's) and back. */
static bool mask_swap(const sigset_t *mask, sigset_t *saved)
{
	return mask && g_sigmask(SIG_SETMASK, mask, saved) == 0;
}

/*
 * Park until epfd is readable, the deadline passes (0 returned: time up)
 * or a signal runs a handler (EINTR). look() says whether to stop: it
 * returns > 0 (ready), < 0 (-errno) or 0.
 */
static long park_on(int epfd, int64_t deadline, long (*look)(void *), void *arg)
{
	struct g *gp = getg();
	long r;

	sig_wait_begin(gp);
	for (;;) {
		uint32_t ticket = netpoll_ticket(epfd, NP_READ);
		int err;

		r = look(arg);
		if (r != 0)
			return r;
		if (sig_wait_ran(gp))
			return -EINTR;
		if (deadline == 0)
			return 0;
		err = netpoll_wait(epfd, NP_READ, ticket, deadline);
		if (err == ETIMEDOUT)
			return look(arg);
		if (err == ERESTART) /* these calls are never restarted */
			return -EINTR;
		if (err)
			return -err;
	}
}

struct pollcall {
	struct pollfd *fds;
	nfds_t n;
	const sigset_t *mask;
};

static long poll_look(void *arg)
{
	struct pollcall *c = arg;
	struct timespec zero = { 0, 0 };

	return sys6(SYS_ppoll, (long)c->fds, (long)c->n, (long)&zero,
		    (long)c->mask, 8, 0);
}

static uint32_t epoll_events(short ev)
{
	return (ev & POLLIN ? EPOLLIN : 0) | (ev & POLLOUT ? EPOLLOUT : 0) |
	       (ev & POLLPRI ? EPOLLPRI : 0) |
	       (ev & POLLRDHUP ? EPOLLRDHUP : 0);
}

static int64_t deadline_ms(int ms)
{
	return ms < 0 ? -1 : ms == 0 ? 0 : nanotime() + (int64_t)ms * 1000000;
}

static int64_t deadline_ts(const struct timespec *ts)
{
	if (!ts)
		return -1;
	if (ts->tv_sec == 0 && ts->tv_nsec == 0)
		return 0;
	return ts_after(nanotime(), ts);
}

static long do_poll(struct pollfd *fds, nfds_t n, int64_t deadline,
		    const sigset_t *mask)
{
	struct pollcall c = { fds, n, mask };
	sigset_t saved;
	bool swapped;
	long r, ep;
	nfds_t i;

	if (lets_pending_in(mask))
		return run_pending(mask);
	r = poll_look(&c);
	if (r != 0 || deadline == 0)
		return r;
	ep = sys1(SYS_epoll_create1, EPOLL_CLOEXEC);
	if (ep < 0)
		return ep;
	fd_made((int)ep);
	for (i = 0; i < n; i++) {
		struct epoll_event ev = { .events = epoll_events(fds[i].events),
					  .data.u64 = i };
		if (fds[i].fd >= 0)
			sys4(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fds[i].fd,
			     (long)&ev);
	}
	swapped = mask_swap(mask, &saved);
	r = park_on((int)ep, deadline, poll_look, &c);
	if (swapped)
		g_sigmask(SIG_SETMASK, &saved, NULL);
	sys1(SYS_close, ep);
	fd_made((int)ep);
	return r;
}

SPROUT_EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
	if (!shim_on_g())
		return REAL(poll)(fds, n, ms);
	return (int)ret(do_poll(fds, n, deadline_ms(ms), NULL));
}

SPROUT_EXPORT int __poll(struct pollfd *fds, nfds_t n, int ms)
{
	return poll(fds, n, ms);
}

SPROUT_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int ms,
			     size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		return REAL(__poll_chk)(fds, n, ms, fdslen); /* reports it */
	return poll(fds, n, ms);
}

SPROUT_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			const sigset_t *mask)
{
	if (!shim_on_g())
		return REAL(ppoll)(fds, n, ts, mask);
	if (ts && !ts_valid(ts)) {
		errno = EINVAL;
		return -1;
	}
	return (int)ret(do_poll(fds, n, deadline_ts(ts), mask));
}

SPROUT_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
			      const struct timespec *ts, const sigset_t *mask,
			      size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		return REAL(__ppoll_chk)(fds, n, ts, mask, fdslen);
	return ppoll(fds, n, ts, mask);
}

/* select through poll: the sets become a pollfd array and back. */
static long do_select(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      int64_t deadline, const sigset_t *mask)
{
	struct pollfd *fds;
	long res, n = 0;
	int fd, i;

	if (nfds < 0 || nfds > FD_SETSIZE)
		return -EINVAL;
	fds = malloc((size_t)(nfds ? nfds : 1) * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (fd = 0; fd < nfds; fd++) {
		short ev = (r && FD_ISSET(fd, r) ? POLLIN : 0) |
			   (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
			   (e && FD_ISSET(fd, e) ? POLLPRI : 0);
		if (ev)
			fds[n++] = (struct pollfd){ fd, ev, 0 };
	}
	res = do_poll(fds, (nfds_t)n, deadline, mask);
	if (res >= 0) {
		res = 0;
		for (i = 0; i < n; i++) {
			if (fds[i].revents & POLLNVAL) {
				res = -EBADF;
				break;
			}
		}
	}
	if (res >= 0) {
		if (r)
			FD_ZERO(r);
		if (w)
			FD_ZERO(w);
		if (e)
			FD_ZERO(e);
		for (i = 0; i < n; i++) {
			short rev = fds[i].revents;
			fd = fds[i].fd;
			if (r && (rev & (POLLIN | POLLHUP | POLLERR)) &&
			    (fds[i].events & POLLIN)) {
				FD_SET(fd, r);
				res++;
			}
			if (w && (rev & (POLLOUT | POLLERR)) &&
			    (fds[i].events & POLLOUT)) {
				FD_SET(fd, w);
				res++;
			}
			if (e && (rev & POLLPRI)) {
				FD_SET(fd, e);
				res++;
			}
		}
	}
	free(fds);
	return res;
}

SPROUT_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			 struct timeval *tv)
{
	int64_t deadline = -1, left;
	long res;

	if (!shim_on_g())
		return REAL(select)(nfds, r, w, e, tv);
	if (tv) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0 ||
		    tv->tv_usec >= 1000000) {
			errno = EINVAL;
			return -1;
		}
		struct timespec ts = { tv->tv_sec, tv->tv_usec * 1000 };

		deadline = deadline_ts(&ts);
	}
	res = do_select(nfds, r, w, e, deadline, NULL);
	if (tv && deadline > 0) {
		/* Linux writes back the time left. */
		left = deadline - nanotime();
		if (left < 0)
			left = 0;
		tv->tv_sec = left / 1000000000;
		tv->tv_usec = left % 1000000000 / 1000;
	}
	return (int)ret(res);
}

SPROUT_EXPORT int __select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			   struct timeval *tv)
{
	return select(nfds, r, w, e, tv);
}

SPROUT_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
			  const struct timespec *ts, const sigset_t *mask)
{
	if (!shim_on_g())
		return REAL(pselect)(nfds, r, w, e, ts, mask);
	if (ts && !ts_valid(ts)) {
		errno = EINVAL;
		return -1;
	}
	return (int)ret(do_select(nfds, r, w, e, deadline_ts(ts), mask));
}

struct epollcall {
	int epfd;
	struct epoll_event *ev;
	int max;
	const sigset_t *mask;
};

static long epoll_look(void *arg)
{
	struct epollcall *c = arg;

	return sys6(SYS_epoll_pwait, c->epfd, (long)c->ev, c->max, 0,
		    (long)c->mask, 8);
}

static long do_epoll(int epfd, struct epoll_event *ev, int max,
		     int64_t deadline, const sigset_t *mask)
{
	struct epollcall c = { epfd, ev, max, mask };
	sigset_t saved;
	bool swapped;
	long r;

	if (lets_pending_in(mask))
		return run_pending(mask);
	r = epoll_look(&c);
	if (r != 0 || deadline == 0)
		return r;
	swapped = mask_swap(mask, &saved);
	r = park_on(epfd, deadline, epoll_look, &c);
	if (swapped)
		g_sigmask(SIG_SETMASK, &saved, NULL);
	return r;
}

SPROUT_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
	if (!shim_on_g())
		return REAL(epoll_wait)(epfd, ev, max, ms);
	return (int)ret(do_epoll(epfd, ev, max, deadline_ms(ms), NULL));
}

SPROUT_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int ms,
			      const sigset_t *mask)
{
	if (!shim_on_g())
		return REAL(epoll_pwait)(epfd, ev, max, ms, mask);
	return (int)ret(do_epoll(epfd, ev, max, deadline_ms(ms), mask));
}

SPROUT_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			       const struct timespec *ts, const sigset_t *mask)
{
	if (!shim_on_g())
		return REAL(epoll_pwait2)(epfd, ev, max, ts, mask);
	if (ts && !ts_valid(ts)) {
		errno = EINVAL;
		return -1;
	}
	return (int)ret(do_epoll(epfd, ev, max, deadline_ts(ts), mask));
}

/*
 * Calls that make, replace or close an fd tell the netpoller. A G parked
 * on an fd that is closed or replaced wakes with EBADF; shutdown() needs
 * nothing: the kernel reports the hangup, and the G's call sees it.
 */
SPROUT_EXPORT int close(int fd)
{
	int r;

	if (!shim_on())
		return REAL(close)(fd);
	r = REAL(close)(fd);
	netpoll_fd_changed(fd);
	return r;
}

SPROUT_EXPORT int __close(int fd)
{
	return close(fd);
}

SPROUT_EXPORT int dup(int fd)
{
	if (!shim_on())
		return REAL(dup)(fd);
	return fd_made(REAL(dup)(fd));
}

SPROUT_EXPORT int dup2(int fd, int fd2)
{
	if (!shim_on())
		return REAL(dup2)(fd, fd2);
	return fd_made(REAL(dup2)(fd, fd2));
}

SPROUT_EXPORT int __dup2(int fd, int fd2)
{
	return dup2(fd, fd2);
}

SPROUT_EXPORT int dup3(int fd, int fd2, int flags)
{
	if (!shim_on())
		return REAL(dup3)(fd, fd2, flags);
	return fd_made(REAL(dup3)(fd, fd2, flags));
}

SPROUT_EXPORT int socket(int domain, int type, int proto)
{
	if (!shim_on())
		return REAL(socket)(domain, type, proto);
	return sock_made(REAL(socket)(domain, type, proto),
			 (type & 0xf) == SOCK_STREAM ? KIND_STREAM : KIND_POLL);
}

SPROUT_EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
	int r;

	if (!shim_on())
		return REAL(socketpair)(domain, type, proto, sv);
	r = REAL(socketpair)(domain, type, proto, sv);
	if (r == 0) {
		fd_made(sv[0]);
		fd_made(sv[1]);
	}
	return r;
}

SPROUT_EXPORT int pipe(int fds[2])
{
	int r;

	if (!shim_on())
		return REAL(pipe)(fds);
	r = REAL(pipe)(fds);
	if (r == 0) {
		fd_made(fds[0]);
		fd_made(fds[1]);
	}
	return r;
}

SPROUT_EXPORT int __pipe(int fds[2])
{
	return pipe(fds);
}

SPROUT_EXPORT int pipe2(int fds[2], int flags)
{
	int r;

	if (!shim_on())
		return REAL(pipe2)(fds, flags);
	r = REAL(pipe2)(fds, flags);
	if (r == 0) {
		fd_made(fds[0]);
		fd_made(fds[1]);
	}
	return r;
}

SPROUT_EXPORT int eventfd(unsigned int count, int flags)
{
	if (!shim_on())
		return REAL(eventfd)(count, flags);
	return fd_made(REAL(eventfd)(count, flags));
}

SPROUT_EXPORT int timerfd_create(int clock, int flags)
{
	if (!shim_on())
		return REAL(timerfd_create)(clock, flags);
	return fd_made(REAL(timerfd_create)(clock, flags));
}

SPROUT_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	if (!shim_on())
		return REAL(signalfd)(fd, mask, flags);
	return fd < 0 ? fd_made(REAL(signalfd)(fd, mask, flags))
		      : REAL(signalfd)(fd, mask, flags);
}

SPROUT_EXPORT int inotify_init(void)
{
	if (!shim_on())
		return REAL(inotify_init)();
	return fd_made(REAL(inotify_init)());
}

SPROUT_EXPORT int inotify_init1(int flags)
{
	if (!shim_on())
		return REAL(inotify_init1)(flags);
	return fd_made(REAL(inotify_init1)(flags));
}

SPROUT_EXPORT int epoll_create(int size)
{
	if (!shim_on())
		return REAL(epoll_create)(size);
	return fd_made(REAL(epoll_create)(size));
}

SPROUT_EXPORT int epoll_create1(int flags)
{
	if (!shim_on())
		return REAL(epoll_create1)(flags);
	return fd_made(REAL(epoll_create1)(flags));
}

/* The program changes what fd_info() remembers. */
SPROUT_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			     socklen_t len)
{
	int r;

	if (!shim_on())
		return REAL(setsockopt)(fd, level, name, val, len);
	r = REAL(setsockopt)(fd, level, name, val, len);
	if (r == 0 && level == SOL_SOCKET &&
	    (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
		netpoll_info_changed(fd);
	return r;
}

SPROUT_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!shim_on())
		return REAL(ioctl)(fd, req, arg);
	r = REAL(ioctl)(fd, req, arg);
	if (r == 0 && req == FIONBIO)
		netpoll_info_changed(fd);
	return r;
}
