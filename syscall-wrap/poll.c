// SPDX-License-Identifier: MIT
/*
 * poll, select and epoll_wait of the program, on the netpoller (DESIGN.md
 * section 6, class 2). A look without waiting comes first (a zero-timeout
 * ppoll or epoll_pwait); if nothing is ready and the program would wait,
 * the G waits on the netpoller's own registrations of the fds it asked
 * about (netpoll_wait_many(): a waiter per fd and direction, the first
 * event wakes it, as Go's select waits on several channels), then looks
 * again. A ticket of each (fd, direction), taken before the look, makes
 * sure that no event between the look and the park is lost. epoll_wait
 * waits so on the program's epoll fd, which is readable when one of its
 * fds is ready. What epoll cannot watch (a regular file, always ready for
 * poll) is left to the look; so is an fd closed meanwhile, which ends the
 * wait (POLLNVAL; EBADF for select).
 *
 * A handler that runs on the G (pthread_kill()), or for a signal sent to
 * the process while the initial thread waits, ends the wait with EINTR, as
 * POSIX says for these calls whatever SA_RESTART. ppoll's and pselect's
 * masks are the G's for the call.
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

/*
 * Wait until look(arg) says stop: it returns > 0 (ready), < 0 (-errno)
 * or 0. At the deadline a last look says (0: time up); a handler that
 * runs for the G makes it -EINTR. want[] are the (fd, direction) pairs
 * that may change what look() sees; their tickets are taken here.
 */
static long wait_look(struct netpoll_want *want, int nw, int64_t deadline,
		      long (*look)(void *), void *arg)
{
	struct g *gp = getg();
	long r;
	int i, err;

	sig_wait_begin(gp);
	for (;;) {
		for (i = 0; i < nw; i++)
			want[i].ticket =
				netpoll_ticket(want[i].fd, want[i].mode);
		r = look(arg);
		if (r != 0)
			return r;
		if (sig_wait_ran(gp))
			return -EINTR;
		if (deadline == 0)
			return 0;
		err = netpoll_wait_many(want, nw, deadline);
		if (err == ETIMEDOUT)
			return look(arg);
		if (err == EINTR || err == ERESTART) /* never restarted */
			return -EINTR;
		if (err)
			return -err;
	}
}

/* On the stack: the wants of a poll of up to 4 fds. */
#define WANTS_ON_STACK 8

/*
 * What a poll of fds waits for: the read side for POLLIN, POLLPRI and
 * POLLRDHUP (and for the hangup and errors reported to every fd), the
 * write side for POLLOUT. Negative fds are left out, as poll does.
 */
static int poll_wants(const struct pollfd *fds, nfds_t n,
		      struct netpoll_want *want)
{
	const short wr = POLLOUT | POLLWRNORM | POLLWRBAND;
	int nw = 0;
	nfds_t i;

	for (i = 0; i < n; i++) {
		if (fds[i].fd < 0)
			continue;
		if (fds[i].events & wr)
			want[nw++] =
				(struct netpoll_want){ fds[i].fd, NP_WRITE, 0 };
		if (fds[i].events & ~wr || !(fds[i].events & wr))
			want[nw++] =
				(struct netpoll_want){ fds[i].fd, NP_READ, 0 };
	}
	return nw;
}

/*
 * Is [p, p + len) in the calling G's stack slot (a pollfd array of the
 * caller's), which is mapped whole and may be read without a fault? Not
 * known for the initial thread's stack (the kernel's) or one the program
 * supplied.
 */
static bool on_own_stack(const void *p, size_t len)
{
	const struct g *gp = getg();
	const char *c = p;

	return gp->stack_lo && !(gp->flags & G_USERSTACK) &&
	       c >= gp->stack_lo && c < gp->stack_hi &&
	       len <= (size_t)(gp->stack_hi - c);
}

/* ours: fds is the shim's own array (select's), known to be readable. */
static long do_poll(struct pollfd *fds, nfds_t n, int64_t deadline,
		    const sigset_t *mask, bool ours)
{
	struct netpoll_want stack_want[WANTS_ON_STACK], *want = stack_want;
	struct pollcall c = { fds, n, mask };
	sigset_t saved;
	bool swapped;
	long r;

	if (lets_pending_in(mask))
		return run_pending(mask);
	if (deadline == 0)
		return poll_look(&c);
	/*
	 * The fds are read to take their tickets before the look, which
	 * checks them (a bad address is EFAULT, not a fault): a look first,
	 * unless they are select's own or on the caller's stack.
	 */
	if (!ours &&
	    (n > WANTS_ON_STACK / 2 || !on_own_stack(fds, n * sizeof(*fds)))) {
		r = poll_look(&c);
		if (r != 0)
			return r;
	}
	if (n > WANTS_ON_STACK / 2) {
		want = malloc(2 * n * sizeof(*want));
		if (!want)
			return -ENOMEM;
	}
	swapped = mask_swap(mask, &saved);
	r = wait_look(want, poll_wants(fds, n, want), deadline, poll_look, &c);
	if (swapped)
		g_sigmask(SIG_SETMASK, &saved, NULL);
	if (want != stack_want)
		free(want);
	return r;
}

SPROUT_EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
	if (!shim_on_g())
		return REAL(poll)(fds, n, ms);
	return (int)ret(do_poll(fds, n, deadline_ms(ms), NULL, false));
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
	return (int)ret(do_poll(fds, n, deadline_ts(ts), mask, false));
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
	res = do_poll(fds, (nfds_t)n, deadline, mask, true);
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
	struct netpoll_want want = { epfd, NP_READ, 0 };
	sigset_t saved;
	bool swapped;
	long r;

	if (lets_pending_in(mask))
		return run_pending(mask);
	/* Also the check of epfd, before the netpoller keeps a record of it. */
	r = epoll_look(&c);
	if (r != 0 || deadline == 0)
		return r;
	swapped = mask_swap(mask, &saved);
	r = wait_look(&want, 1, deadline, epoll_look, &c);
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
