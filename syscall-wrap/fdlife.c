// SPDX-License-Identifier: MIT
/*
 * Calls that make, replace or close an fd, and the netpoller's record of
 * the fd number (sched/netpoll.c). A close changes the record before the
 * real close, and again after unless the number was given again
 * meanwhile; a call that makes an fd changes it before returning the
 * number. A G parked on an fd that is closed or replaced so wakes with
 * EBADF, and one parked on a number just given again is never woken for
 * the file that had it before. shutdown() needs nothing: the kernel
 * reports the hangup, and the G's call sees it.
 *
 * The runtime's own fds (the netpoller's) are not the program's: close()
 * of one says EBADF as for an fd that is not open, close_range() and
 * closefrom() pass over them, and dup2() onto one moves it first.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "fd.h"
#include "../arch/x86_64/sys.h"
#include "../shim/shim.h"

/*
 * The calls that make and close fds are safe points (preempt_check()),
 * after the call and the record: a thread that loops on socket() and
 * close() never blocks, and the kicks that would stop it land in libc,
 * where they are refused; it would keep its P for ever.
 */
int fd_made(int fd)
{
	if (fd >= 0)
		netpoll_fd_changed(fd);
	preempt_check();
	return fd;
}

/*
 * A socket this process made (socket(), accept()), of kind KIND_STREAM or
 * KIND_POLL: known without fstat(), and ours (see connect()).
 */
int sock_made(int fd, int kind)
{
	if (fd >= 0) {
		netpoll_fd_changed(fd);
		netpoll_set_kind(fd, kind | NP_KIND_OURS, netpoll_stamp(fd));
	}
	preempt_check();
	return fd;
}

void fd_close_raw(int fd)
{
	uint32_t seq = netpoll_fd_closing(fd);

	sys1(SYS_close, fd);
	netpoll_fd_closed(fd, seq);
}

static int do_close(int fd)
{
	uint32_t seq;
	int r;

	if (fd_hidden(fd))
		return ebadf();
	seq = netpoll_fd_closing(fd);
	r = REAL(close)(fd);
	netpoll_fd_closed(fd, seq);
	preempt_check();
	return r;
}

SPROUT_EXPORT int close(int fd)
{
	if (!shim_on())
		return REAL(close)(fd);
	cancel_point(); /* as libc's close() */
	return do_close(fd);
}

#ifdef __GLIBC__
SPROUT_EXPORT int __close(int fd)
{
	return close(fd);
}
#endif

SPROUT_EXPORT int dup(int fd)
{
	if (!shim_on())
		return REAL(dup)(fd);
	if (fd_hidden(fd))
		return ebadf();
	return fd_made(REAL(dup)(fd));
}

/*
 * dup2 and dup3 onto a live number close its file: the record changes
 * first, as for close(). A call that would fail with fd2 untouched fails
 * first, leaving fd2's waiters alone.
 */
static int dup_onto(int fd, int fd2, int flags, bool three)
{
	bool moved = false;
	uint32_t seq;
	int r, err;

	if (fd_hidden(fd))
		return ebadf();
	if (fd == fd2 || fd2 < 0 || (three && (flags & ~O_CLOEXEC)) ||
	    sys3(SYS_fcntl, fd, F_GETFD, 0) < 0)
		return three ? REAL(dup3)(fd, fd2, flags) : REAL(dup2)(fd, fd2);
	if (fd_hidden(fd2)) {
		err = netpoll_own_fd_move(fd2);
		if (err) {
			errno = err;
			return -1;
		}
		moved = true;
	}
	seq = netpoll_fd_closing(fd2);
	r = three ? REAL(dup3)(fd, fd2, flags) : REAL(dup2)(fd, fd2);
	if (r >= 0) {
		netpoll_fd_changed(fd2);
	} else {
		err = errno;
		if (moved)
			sys1(SYS_close, fd2); /* the runtime's old number */
		netpoll_fd_closed(fd2, seq);
		errno = err;
	}
	return r;
}

SPROUT_EXPORT int dup2(int fd, int fd2)
{
	if (!shim_on())
		return REAL(dup2)(fd, fd2);
	return dup_onto(fd, fd2, 0, false);
}

#ifdef __GLIBC__
SPROUT_EXPORT int __dup2(int fd, int fd2)
{
	return dup2(fd, fd2);
}
#endif

SPROUT_EXPORT int dup3(int fd, int fd2, int flags)
{
	if (!shim_on())
		return REAL(dup3)(fd, fd2, flags);
	return dup_onto(fd, fd2, flags, true);
}

/*
 * fclose closes the stream's fd inside libc, unseen: the record changes
 * around it as for close(). Should the stream be on one of the runtime's
 * fds (fdopen() of a number guessed), the runtime's fd moves first.
 */
SPROUT_EXPORT int fclose(FILE *f)
{
	uint32_t seq;
	int fd, r;

	if (!shim_on() || !f || (fd = fileno(f)) < 0)
		return REAL(fclose)(f);
	if (fd_hidden(fd))
		netpoll_own_fd_move(fd);
	seq = netpoll_fd_closing(fd);
	r = REAL(fclose)(f);
	netpoll_fd_closed(fd, seq);
	return r;
}

/* The kernel's close_range(), through libc where libc has it. */
static int sys_close_range(unsigned int first, unsigned int last, int flags)
{
#ifdef __GLIBC__
	return REAL(close_range)(first, last, flags);
#else
	long r = sys3(SYS_close_range, first, last, flags);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
#endif
}

/*
 * close_range over [first, last], the runtime's fds left out: the numbers
 * the netpoller has a record of are changed before the real close, a
 * chunk at a time, and those past its table need nothing.
 */
static int close_span(unsigned int first, unsigned int last, int flags)
{
	enum { CHUNK = 256 };
	uint32_t seq[CHUNK];
	unsigned int lim = netpoll_fd_limit(), fd, end, i;
	int r;

	while (first < lim && first <= last) {
		end = last < lim - 1 ? last : lim - 1;
		if (end - first >= CHUNK)
			end = first + CHUNK - 1;
		for (fd = first, i = 0; fd <= end; fd++, i++)
			seq[i] = netpoll_fd_closing((int)fd);
		r = sys_close_range(first, end, flags);
		for (fd = first, i = 0; fd <= end; fd++, i++)
			netpoll_fd_closed((int)fd, seq[i]);
		if (r < 0 || end == last)
			return r;
		first = end + 1;
	}
	return first <= last ? sys_close_range(first, last, flags) : 0;
}

static int do_close_range(unsigned int first, unsigned int last, int flags)
{
	int own[2], n, i, r;

	if (first > last || (flags & CLOSE_RANGE_CLOEXEC))
		return sys_close_range(first, last, flags); /* none closed */
	n = netpoll_own_fds(own);
	for (i = 0; i < n; i++) {
		unsigned int o = (unsigned int)own[i];

		if (o < first || o > last)
			continue;
		if (o > first && (r = close_span(first, o - 1, flags)) < 0)
			return r;
		if (o == last)
			return 0;
		first = o + 1;
	}
	return close_span(first, last, flags);
}

#ifdef __GLIBC__
SPROUT_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	if (!shim_on())
		return REAL(close_range)(first, last, flags);
	return do_close_range(first, last, flags);
}

/*
 * glibc's closefrom calls close_range inside libc, where the shim does not
 * see it; as glibc's, it falls back to closing one at a time.
 */
SPROUT_EXPORT void closefrom(int lowfd)
{
	struct rlimit rl;
	int fd;

	if (!shim_on())
		return REAL(closefrom)(lowfd);
	if (lowfd < 0)
		lowfd = 0;
	if (do_close_range((unsigned int)lowfd, ~0U, 0) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > INT_MAX)
		rl.rlim_cur = INT_MAX;
	for (fd = lowfd; fd < (int)rl.rlim_cur; fd++)
		do_close(fd);
}
#endif

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
		int k = (type & 0xf) == SOCK_STREAM ? KIND_STREAM : KIND_POLL;

		sock_made(sv[0], k);
		sock_made(sv[1], k);
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

#ifdef __GLIBC__
SPROUT_EXPORT int __pipe(int fds[2])
{
	return pipe(fds);
}
#endif

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
	if (fd_hidden(fd))
		return ebadf();
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

long fd_syscall(long n, const long a[6])
{
	switch (n) {
	case SYS_close:
		return do_close((int)a[0]);
	case SYS_close_range:
		return do_close_range((unsigned int)a[0], (unsigned int)a[1],
				      (int)a[2]);
	case SYS_dup2:
		return dup_onto((int)a[0], (int)a[1], 0, false);
	default:
		return dup_onto((int)a[0], (int)a[1], (int)a[2], true);
	}
}
