// SPDX-License-Identifier: MIT
/*
 * What is known of an fd: which kind of file it names (fstat() once per
 * file), the program's O_NONBLOCK and socket timeouts (read once), kept by
 * the netpoller until the fd number names another file (fdlife.c) or the
 * program changes them through the shim (fcntl F_SETFL, ioctl FIONBIO,
 * setsockopt). Each fact is stored with the stamp taken before it was
 * looked up, so that what was learnt of a file closed meanwhile is
 * dropped, not kept for the file that takes its number. Another process
 * sharing the open file description could change O_NONBLOCK unseen;
 * programs do not.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fd.h"
#include "../arch/x86_64/sys.h"
#include "../shim/shim.h"

/* What fd names, found once: KIND_FILE for what epoll cannot watch. */
int fd_kind(int fd)
{
	int k = netpoll_kind(fd), type = 0;
	socklen_t len = sizeof(type);
	struct stat st;
	uint64_t stamp;

	if (k != KIND_UNKNOWN)
		return k & KIND_MASK;
	stamp = netpoll_stamp(fd);
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
	netpoll_set_kind(fd, k, stamp);
	return k;
}

/* Does fd name something epoll may watch (not a file on disk)? */
bool pollable(int fd)
{
	return fd_kind(fd) != KIND_FILE;
}

/* The file's O_NONBLOCK and socket timeouts, read once. */
void fd_info(int fd, struct netpoll_info *f)
{
	struct timeval tv;
	socklen_t len;
	uint64_t stamp;
	long fl;
	int i;

	if (netpoll_info(fd, f))
		return;
	stamp = netpoll_stamp(fd);
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
		netpoll_set_info(fd, f, stamp);
}

/* Did the program make fd non-blocking itself? */
bool nonblocking(int fd)
{
	struct netpoll_info f;

	fd_info(fd, &f);
	return f.flags < 0 || (f.flags & O_NONBLOCK);
}

/* SO_RCVTIMEO or SO_SNDTIMEO of a socket as a deadline, or -1. */
int64_t sock_deadline(int fd, int mode)
{
	struct netpoll_info f;

	fd_info(fd, &f);
	return f.timeo[mode] ? nanotime() + f.timeo[mode] : -1;
}

/* Is fd ready for mode now (a poll that does not wait)? */
bool ready_now(int fd, int mode)
{
	struct pollfd p = { fd, mode == NP_READ ? POLLIN : POLLOUT, 0 };
	struct timespec zero = { 0, 0 };

	return sys6(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 8, 0) > 0;
}

/* The program changes what fd_info() remembers. */
SPROUT_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			     socklen_t len)
{
	int r;

	if (!shim_on())
		return REAL(setsockopt)(fd, level, name, val, len);
	if (fd_hidden(fd))
		return ebadf();
	r = REAL(setsockopt)(fd, level, name, val, len);
	if (r == 0 && level == SOL_SOCKET &&
	    (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
		netpoll_info_changed(fd);
	return r;
}

#ifdef __GLIBC__
typedef unsigned long ioctl_req;
#else
typedef int ioctl_req; /* musl's POSIX type */
#endif

SPROUT_EXPORT int ioctl(int fd, ioctl_req req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!shim_on())
		return REAL(ioctl)(fd, req, arg);
	if (fd_hidden(fd))
		return ebadf();
	r = REAL(ioctl)(fd, req, arg);
	if (r == 0 && req == FIONBIO)
		netpoll_info_changed(fd);
	return r;
}
