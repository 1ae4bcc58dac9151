// SPDX-License-Identifier: MIT
/*
 * The netpoller's epoll side (Go's netpoll_epoll.go): one epoll instance
 * for the process, an eventfd to break a blocked epoll_wait, and
 * edge-triggered registrations made once per file, on the first wait.
 * Raw system calls only: this runs on g0, in sysmon and in the idle M.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "runtime.h"
#include "netpoll.h"
#include "../arch/x86_64/sys.h"

#define BREAK_KEY UINT64_MAX
#define NEVENTS	  128

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441 /* Linux 5.11; musl's headers may lack it */
#endif

/* epoll_pwait2() answered ENOSYS: waits are in milliseconds. */
static _Atomic bool no_pwait2;

/*
 * The runtime's fds. The program cannot close or replace them through
 * the shim (netpoll_own_fd()); a dup2() onto one moves it first, so they
 * are read once per use.
 */
static _Atomic int epfd = -1, breakfd = -1;
static _Atomic bool breaking;

/* The first of the runtime's numbers: 64 below 1024 or the fd limit. */
static long high_base(void)
{
	struct {
		unsigned long cur, max;
	} rl;

	if (sys2(SYS_getrlimit, RLIMIT_NOFILE, (long)&rl) < 0)
		return -1;
	return (long)(rl.cur < 1024 ? rl.cur : 1024) - 64;
}

/*
 * Move the runtime's fd out of the program's way, near the top of the
 * first 1024 (or of a lower RLIMIT_NOFILE): a program counts on getting the
 * lowest free number (close(1), then open() to redirect its output) and
 * may list its fds (CPython's test_subprocess). Not above 1024: the
 * kernel's fd table would grow to the limit, however high.
 */
static long fd_high(long fd)
{
	long base = high_base(), r;

	if (fd < 0 || base <= fd)
		return fd;
	r = sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, base);
	if (r < 0)
		return fd;
	sys1(SYS_close, fd);
	return r;
}

/* Is there room above the program's numbers for the runtime's fds? */
bool np_epoll_fds_go_high(void)
{
	return high_base() >= 64;
}

/*
 * Grow the fd table to the runtime's numbers: a copy of an fd at the
 * first of them, closed at once. The table never shrinks; the program
 * sees no fd.
 */
void np_epoll_grow_fdtable(void)
{
	long fd = sys1(SYS_epoll_create1, EPOLL_CLOEXEC);

	if (fd >= 0)
		sys1(SYS_close, fd_high(fd));
}

int np_epoll_init(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = BREAK_KEY };
	long e, b;

	e = fd_high(sys1(SYS_epoll_create1, EPOLL_CLOEXEC));
	if (e < 0)
		return (int)-e;
	b = fd_high(sys2(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK));
	if (b < 0 || sys4(SYS_epoll_ctl, e, EPOLL_CTL_ADD, b, (long)&ev) < 0) {
		sys1(SYS_close, e);
		if (b >= 0)
			sys1(SYS_close, b);
		return b < 0 ? (int)-b : ENOMEM;
	}
	epfd = (int)e;
	breakfd = (int)b;
	return 0;
}

bool np_epoll_own_fd(int fd)
{
	return fd >= 0 &&
	       (fd == atomic_load_explicit(&epfd, memory_order_relaxed) ||
		fd == atomic_load_explicit(&breakfd, memory_order_relaxed));
}

int np_epoll_own_fds(int fds[2])
{
	int e = atomic_load(&epfd), b = atomic_load(&breakfd);

	if (e < 0 || b < 0)
		return 0;
	fds[0] = e < b ? e : b;
	fds[1] = e < b ? b : e;
	return 2;
}

/*
 * The program dup2()s onto the runtime's fd: give the runtime a copy of
 * the file (the same epoll instance, the same eventfd) at another number,
 * high if there is room, and let the old number go. A runtime thread that
 * read the old number just before may still make one call on it.
 */
int np_epoll_own_fd_move(int fd)
{
	static struct lock movelock = LOCK_INIT(RANK_FDMOVE);
	_Atomic int *which;
	long base, r = 0;

	lock(&movelock);
	which = fd == atomic_load(&epfd)      ? &epfd
		: fd == atomic_load(&breakfd) ? &breakfd
					      : NULL;
	if (which) {
		base = high_base();
		r = sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, base < 3 ? 3 : base);
		if (r == -EMFILE)
			r = sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
		if (r >= 0)
			atomic_store(which, (int)r);
	}
	unlock(&movelock);
	return r < 0 ? (int)-r : 0;
}

/*
 * Watch fd for both directions (EPOLLPRI, urgent data or a sysfs file's
 * change, with reading); EEXIST means it is watched already.
 */
int np_epoll_arm(int fd, uint64_t key)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = key,
	};
	long r = sys4(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, fd, (long)&ev);

	if (r == -EEXIST)
		r = sys4(SYS_epoll_ctl, epfd, EPOLL_CTL_MOD, fd, (long)&ev);
	return r < 0 ? (int)-r : 0;
}

/*
 * epoll_pwait() for at most left ns (-1: no limit). epoll_pwait2() takes
 * them as they are: rounded up to a millisecond, a 10 us sleep in an idle
 * process took 1 ms and more, where natively it takes some 60 us.
 */
static long pwait(struct epoll_event *ev, int64_t left)
{
	struct timespec ts = { left / 1000000000, left % 1000000000 };
	long r;

	if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
		r = sys6(SYS_epoll_pwait2, epfd, (long)ev, NEVENTS,
			 left < 0 ? 0 : (long)&ts, 0, 8);
		if (r != -ENOSYS)
			return r;
		atomic_store(&no_pwait2, true);
	}
	return sys6(SYS_epoll_pwait, epfd, (long)ev, NEVENTS,
		    left < 0 ? -1 : (int)((left + 999999) / 1000000), 0, 8);
}

/*
 * Wait for events until the CLOCK_MONOTONIC time until (0: do not block;
 * -1: no limit) and pass each to ready(). Returns the number of events.
 */
int np_epoll_wait(int64_t until, void (*ready)(uint64_t key, uint32_t ev))
{
	struct epoll_event ev[NEVENTS];
	int64_t left = 0;
	int i, n;
	long r;

	if (until < 0)
		left = -1;
	else if (until > 0 && (left = until - nanotime()) < 0)
		left = 0;
	r = pwait(ev, left);
	if (r <= 0)
		return 0;
	n = 0;
	for (i = 0; i < r; i++) {
		if (ev[i].data.u64 == BREAK_KEY) {
			uint64_t v;
			/*
			 * Only a sleeper takes the break: it is meant for the
			 * M that blocks here, and a look that does not block
			 * must leave it (level-triggered) for that one.
			 */
			if (until == 0)
				continue;
			sys3(SYS_read, breakfd, (long)&v, sizeof(v));
			atomic_store(&breaking, false);
			continue;
		}
		ready(ev[i].data.u64, ev[i].events);
		n++;
	}
	return n;
}

/* Wake an M blocked in np_epoll_wait(). */
void np_epoll_break(void)
{
	uint64_t one = 1;

	if (!atomic_exchange(&breaking, true))
		sys3(SYS_write, breakfd, (long)&one, sizeof(one));
}

/* The child shares the parent's epoll instance: make its own. */
void np_epoll_afterfork_child(void)
{
	if (epfd < 0)
		return;
	sys1(SYS_close, epfd);
	sys1(SYS_close, breakfd);
	epfd = breakfd = -1;
	atomic_store(&breaking, false);
	if (np_epoll_init())
		fatal("cannot make an epoll instance in the child of fork()");
}
