// SPDX-License-Identifier: MIT
/*
 * poll, select and epoll_wait of the program on the netpoller (DESIGN.md
 * section 6, class 2). The rest of the fd calls: what is known of an fd
 * (fdinfo.c), the wait loop (fdwait.c), read and write (rw.c), sockets
 * (sock.c), making and closing fds (fdlife.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "fd.h"
#include "../sched/arch/x86_64/sys.h"
#include "../shim/shim.h"

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
	fd_close_raw((int)ep);
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
