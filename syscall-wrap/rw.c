// SPDX-License-Identifier: MIT
/*
 * Read and write on the netpoller: read, write, readv, writev, tried
 * non-blocking for this call only (preadv2/pwritev2 with RWF_NOWAIT;
 * recv and send on a stream socket, sock.c; where the file has no such
 * form, a zero-timeout poll first), and EAGAIN parks the G until epoll
 * says the fd is ready (fdwait.c). A blocking write writes everything,
 * as it would natively, parking as often as the buffer fills; what was
 * written is returned if a timeout or an error comes first. Files epoll
 * cannot watch (regular files, directories, block devices) are handed
 * off as in blocking.c. sendfile waits for readiness, then makes the
 * call, handed off; splice is tried without waiting, then waits.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fd.h"
#include "../arch/x86_64/sys.h"
#include "../shim/shim.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008 /* the kernel's (linux/fs.h); musl lacks it */
#endif

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
 * the caller's and is not changed: the op works on a copy, read safely
 * (EFAULT, as the kernel's, if it cannot be read).
 */
long write_all(struct op *o, const struct iovec *iov, int iovcnt)
{
	struct iovec one, *copy = &one;
	size_t total;
	long r;

	if (iovcnt > 1) {
		copy = rt_alloc((size_t)iovcnt * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
	}
	if (!copy_in(copy, iov, (size_t)iovcnt * sizeof(*copy))) {
		if (copy != &one)
			rt_free(copy, (size_t)iovcnt * sizeof(*copy));
		return -EFAULT;
	}
	total = iov_total(copy, iovcnt);
	o->iov = copy;
	o->iovcnt = iovcnt;
	for (;;) {
		r = op_run(o);
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
		rt_free(copy, (size_t)iovcnt * sizeof(*copy));
	return r;
}

static ssize_t do_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct op o = { .fd = fd,
			.mode = NP_READ,
			.call = iov_call,
			.iov = (struct iovec *)iov,
			.iovcnt = iovcnt };

	return ret(op_run(&o));
}

static ssize_t do_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct op o = { .fd = fd, .mode = NP_WRITE, .call = iov_call };

	return ret(write_all(&o, iov, iovcnt));
}

SPROUT_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	struct iovec v = { buf, n };
	int k;

	if (!shim_on_g())
		return REAL(read)(fd, buf, n);
	if (fd_hidden(fd))
		return ebadf();
	k = fd_kind(fd);
	/*
	 * 0 bytes: the kernel's answer (EINVAL for an eventfd, say), which
	 * readv's would not be; it does not wait for anything. Over INT_MAX
	 * bytes: read checks the whole buffer (EFAULT), readv and recv clamp
	 * it first, so it is the kernel's read, handed off (it may wait).
	 */
	if (n > INT_MAX)
		return BLOCKING(LONG, ssize_t, REAL(read)(fd, buf, n));
	if (k == KIND_FILE || n == 0)
		return BLOCKING(SHORT, ssize_t, REAL(read)(fd, buf, n));
	if (k == KIND_STREAM)
		return sock_recv(fd, buf, n, 0, NULL, NULL);
	return do_readv(fd, &v, 1);
}

#ifdef __GLIBC__
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
#endif

SPROUT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	struct iovec v = { (void *)buf, n };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	int k;

	if (!shim_on_g())
		return REAL(write)(fd, buf, n);
	if (fd_hidden(fd))
		return ebadf();
	k = fd_kind(fd);
	/* 0 or over INT_MAX bytes: the kernel's answer, as for read. */
	if (n > INT_MAX)
		return BLOCKING(LONG, ssize_t, REAL(write)(fd, buf, n));
	if (k == KIND_FILE || n == 0)
		return BLOCKING(SHORT, ssize_t, REAL(write)(fd, buf, n));
	if (k == KIND_STREAM)
		return sock_send(fd, &m, 0);
	return do_writev(fd, &v, 1);
}

#ifdef __GLIBC__
SPROUT_EXPORT ssize_t __write(int fd, const void *buf, size_t n)
{
	return write(fd, buf, n);
}
#endif

SPROUT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	if (!shim_on_g())
		return REAL(readv)(fd, iov, iovcnt);
	if (fd_hidden(fd))
		return ebadf();
	if (!pollable(fd) || iovcnt < 0 || iovcnt > IOV_MAX)
		return BLOCKING(SHORT, ssize_t, REAL(readv)(fd, iov, iovcnt));
	return do_readv(fd, iov, iovcnt);
}

SPROUT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (!shim_on_g())
		return REAL(writev)(fd, iov, iovcnt);
	if (fd_hidden(fd))
		return ebadf();
	if (!pollable(fd) || iovcnt <= 0 || iovcnt > IOV_MAX)
		return BLOCKING(SHORT, ssize_t, REAL(writev)(fd, iov, iovcnt));
	return do_writev(fd, iov, iovcnt);
}

/* Is the fd ready? As a call for op_run(), which waits until it is. */
static long ready_call(struct op *o, bool nowait)
{
	if (nowait && !ready_now(o->fd, o->mode))
		return -EAGAIN;
	return 0; /* ready, or one the netpoller cannot watch: the call says */
}

/*
 * splice and sendfile: wait until the socket or pipe side is ready. False,
 * with errno EINTR, if a handler without SA_RESTART ended the wait.
 */
static bool wait_ready(int fd, int mode)
{
	struct op o = {
		.fd = fd, .mode = mode, .call = ready_call, .deadline = -1
	};

	if (!pollable(fd) || nonblocking(fd))
		return true;
	if (op_run(&o) == -EINTR) {
		errno = EINTR;
		return false;
	}
	return true;
}

/* Wait for fd if it is a stream socket, which SPLICE_F_NONBLOCK leaves
   blocking. */
static bool wait_socket(int fd, int mode)
{
	return (fd_kind(fd) & KIND_MASK) != KIND_STREAM || wait_ready(fd, mode);
}

/*
 * splice moves through a pipe. Its pipe side is tried without waiting
 * (SPLICE_F_NONBLOCK) and waited for on EAGAIN, so that the kernel's own
 * answers come at once: waiting first for an empty pipe, an offset given
 * for it (ESPIPE) waited for ever (stress-ng's splice stressor). A stream
 * socket's side, which that flag does not make non-blocking, is waited
 * for first. With the flag, or a side with O_NONBLOCK (which makes the
 * kernel's pipe side non-blocking too), the call is the program's own.
 */
SPROUT_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out,
			     size_t len, unsigned int flags)
{
	ssize_t r;

	if (!shim_on_g())
		return REAL(splice)(in, off_in, out, off_out, len, flags);
	if (fd_hidden(in) || fd_hidden(out))
		return ebadf();
	if ((flags & SPLICE_F_NONBLOCK) || nonblocking(in) || nonblocking(out))
		return BLOCKING(
			SHORT, ssize_t,
			REAL(splice)(in, off_in, out, off_out, len, flags));
	for (;;) {
		if (!wait_socket(in, NP_READ) || !wait_socket(out, NP_WRITE))
			return -1;
		r = BLOCKING(SHORT, ssize_t,
			     REAL(splice)(in, off_in, out, off_out, len,
					  flags | SPLICE_F_NONBLOCK));
		if (r >= 0 || errno != EAGAIN)
			return r;
		if (!wait_ready(in, NP_READ) || !wait_ready(out, NP_WRITE))
			return -1;
	}
}

SPROUT_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	if (!shim_on_g())
		return REAL(sendfile)(out, in, off, n);
	if (fd_hidden(in) || fd_hidden(out))
		return ebadf();
	if (!wait_ready(out, NP_WRITE))
		return -1;
	return BLOCKING(SHORT, ssize_t, REAL(sendfile)(out, in, off, n));
}

#ifdef __GLIBC__
SPROUT_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
	if (!shim_on_g())
		return REAL(sendfile64)(out, in, off, n);
	if (fd_hidden(in) || fd_hidden(out))
		return ebadf();
	if (!wait_ready(out, NP_WRITE))
		return -1;
	return BLOCKING(SHORT, ssize_t, REAL(sendfile64)(out, in, off, n));
}
#endif
