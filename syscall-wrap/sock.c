// SPDX-License-Identifier: MIT
/*
 * Sockets on the netpoller: recv and send in all their forms, tried with
 * MSG_DONTWAIT for this call only; accept, which waits until the listener
 * is readable; connect, which sets O_NONBLOCK for the call alone on a
 * socket only this process has. The program's own MSG_DONTWAIT and
 * O_NONBLOCK are honoured (EAGAIN as usual); MSG_WAITALL is handed off.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>

#include "fd.h"
#include "../arch/x86_64/sys.h"
#include "../shim/shim.h"

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

/*
 * MSG_DONTWAIT from the program: its own non-blocking call. A runtime fd
 * goes direct too, to be refused there.
 */
static bool net_direct(int fd, int flags)
{
	return !shim_on_g() || (flags & (MSG_DONTWAIT | MSG_WAITALL)) ||
	       fd_hidden(fd) || !pollable(fd);
}

/* recvfrom and sendmsg on the netpoller, the checks made (read, write). */
ssize_t sock_recv(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
		  socklen_t *alen)
{
	struct iovec v = { buf, n };
	struct op o = { .fd = fd,
			.mode = NP_READ,
			.call = recvfrom_call,
			.iov = &v,
			.flags = flags,
			.addr = addr,
			.alen = alen };

	return ret(op_run(&o));
}

ssize_t sock_send(int fd, const struct msghdr *m, int flags)
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
		if (fd_hidden(fd))
			return ebadf();
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

#ifdef __GLIBC__
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
#endif

SPROUT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;

	/*
	 * The header is read safely: one that cannot be read, like one the
	 * kernel refuses, goes to the kernel, to fail there in its order
	 * (EBADF, ENOTSOCK, then EFAULT or EMSGSIZE).
	 */
	if (net_direct(fd, flags) || !msg || !copy_in(&m, msg, sizeof(m)) ||
	    m.msg_iovlen > IOV_MAX) {
		if (!shim_on_g())
			return REAL(sendmsg)(fd, msg, flags);
		if (fd_hidden(fd))
			return ebadf();
		return BLOCKING(SHORT, ssize_t, REAL(sendmsg)(fd, msg, flags));
	}
	return sock_send(fd, &m, flags);
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
		if (fd_hidden(fd))
			return ebadf();
		return BLOCKING(SHORT, ssize_t, REAL(recvmsg)(fd, msg, flags));
	}
	return ret(op_run(&o));
}

#ifdef __GLIBC__
typedef int mmsg_flags;
#else
typedef unsigned int mmsg_flags; /* musl's */
#endif

SPROUT_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int vlen,
			   mmsg_flags flags, struct timespec *tmo)
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
		if (fd_hidden(fd))
			return ebadf();
		return BLOCKING(SHORT, int,
				REAL(recvmmsg)(fd, v, vlen, flags, tmo));
	}
	return (int)ret(op_run(&o));
}

SPROUT_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen,
			   mmsg_flags flags)
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
		if (fd_hidden(fd))
			return ebadf();
		return BLOCKING(SHORT, int, REAL(sendmmsg)(fd, v, vlen, flags));
	}
	return (int)ret(op_run(&o));
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
	long r = op_run(&o);

	accepted((int)r, fd);
	return (int)ret(r);
}

SPROUT_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
	if (!shim_on_g())
		return REAL(accept)(fd, addr, alen);
	if (fd_hidden(fd))
		return ebadf();
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
	if (fd_hidden(fd))
		return ebadf();
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
static long connected_call(struct op *o, bool nowait)
{
	struct pollfd p = { o->fd, POLLOUT, 0 };

	if (nowait)
		return ready_now(o->fd, NP_WRITE) ? 0 : -EAGAIN;
	return sys6(SYS_ppoll, (long)&p, 1, 0, 0, 8, 0) < 0 ? -EINTR : 0;
}

static long connect_wait(int fd)
{
	struct op o = { .fd = fd,
			.mode = NP_WRITE,
			.call = connected_call,
			.timedout = -EINPROGRESS };
	socklen_t elen = sizeof(int);
	long r = op_run(&o);
	int err;

	if (r < 0)
		return r;
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
	long r;

	if (!shim_on_g())
		return REAL(connect)(fd, addr, len);
	cancel_point(); /* as libc's connect() */
	if (fd_hidden(fd))
		return ebadf();
	if (!may_park_connect(fd, &f))
		return BLOCKING(SHORT, int, REAL(connect)(fd, addr, len));
	if (sys3(SYS_fcntl, fd, F_SETFL, f.flags | O_NONBLOCK) < 0)
		return BLOCKING(SHORT, int, REAL(connect)(fd, addr, len));
	r = sys3(SYS_connect, fd, (long)addr, len);
	sys3(SYS_fcntl, fd, F_SETFL, f.flags);
	if (r == -EAGAIN)
		return BLOCKING(SHORT, int, REAL(connect)(fd, addr, len));
	if (r == -EINPROGRESS)
		r = connect_wait(fd);
	return (int)ret(r);
}
