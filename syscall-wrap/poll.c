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
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "fd.h"
#include "../arch/x86_64/sys.h"
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

/*
 * The program's mask in *copy, read safely: NULL for none; false if it
 * cannot be read (the kernel's EFAULT).
 */
static bool mask_copy(const sigset_t **mask, sigset_t *copy)
{
	if (!*mask)
		return true;
	sigemptyset(copy);
	if (!copy_in(copy, *mask, 8))
		return false;
	*mask = copy;
	return true;
}

struct pollcall {
	struct pollfd *fds;
	nfds_t n;
	const sigset_t *mask;
};

/*
 * The looks below do not wait, so an EINTR from one is a signal that
 * landed during the call: the runtime's own kick (a preemption, a signal
 * for a G), or one of the program's, whose handler runs as the G leaves
 * the runtime or ends the wait that follows. Natively that signal might
 * as well have come a moment later: they look again. (A kick made a
 * poll() of the program's fail with EINTR: fd_reuse_race, beside a CPU
 * hog.)
 */
static long poll_look(void *arg)
{
	struct pollcall *c = arg;
	struct timespec zero = { 0, 0 };
	long r;

	do
		r = sys6(SYS_ppoll, (long)c->fds, (long)c->n, (long)&zero,
			 (long)c->mask, 8, 0);
	while (r == -EINTR);
	return r;
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
 * runs for the G makes it -EINTR, a cancellation acts after a wait (the
 * callers, cancellation points, act on one on entry). want[] are the (fd, direction) pairs
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
			break;
		if (deadline == 0)
			return 0;
		err = netpoll_wait_many(want, nw, deadline);
		cancel_point(); /* cancelled while it waited */
		if (err == ETIMEDOUT)
			return look(arg);
		if (err == EINTR || err == ERESTART) /* never restarted */
			return -EINTR;
		if (err)
			return -err;
	}
	cancel_point();
	return -EINTR;
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

static long do_poll(struct pollfd *fds, nfds_t n, int64_t deadline,
		    const sigset_t *mask)
{
	struct netpoll_want stack_want[WANTS_ON_STACK], *want = stack_want;
	struct pollcall c = { fds, n, mask };
	sigset_t saved;
	bool swapped;
	long r;

	cancel_point();
	if (lets_pending_in(mask))
		return run_pending(mask);
	if (deadline == 0)
		return poll_look(&c);
	/*
	 * The fds are read to take their tickets before the look, which
	 * checks them (a bad address is EFAULT, not a fault): a look first,
	 * unless they are on the caller's stack.
	 */
	if (n > WANTS_ON_STACK / 2 || !on_own_stack(fds, n * sizeof(*fds))) {
		r = poll_look(&c);
		if (r != 0)
			return r;
	}
	if (n > WANTS_ON_STACK / 2) {
		want = rt_alloc(2 * n * sizeof(*want));
		if (!want)
			return -ENOMEM;
	}
	swapped = mask_swap(mask, &saved);
	r = wait_look(want, poll_wants(fds, n, want), deadline, poll_look, &c);
	if (swapped)
		g_sigmask(SIG_SETMASK, &saved, NULL);
	if (want != stack_want)
		rt_free(want, 2 * n * sizeof(*want));
	return r;
}

SPROUT_EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
	if (!shim_on_g())
		return REAL(poll)(fds, n, ms);
	return (int)ret(do_poll(fds, n, deadline_ms(ms), NULL));
}

#ifdef __GLIBC__
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
#endif

/*
 * ppoll's and epoll_pwait2's timeout and mask, read in the kernel's order
 * (the timeout, then the mask): the deadline in *deadline and the mask's
 * copy in *m, or -EFAULT, -EINVAL.
 */
static long ts_mask_in(const struct timespec *ts, const sigset_t **mask,
		       sigset_t *m, int64_t *deadline)
{
	struct timespec t;

	if (ts && !copy_in(&t, ts, sizeof(t)))
		return -EFAULT;
	if (ts && !ts_valid(&t))
		return -EINVAL;
	if (!mask_copy(mask, m))
		return -EFAULT;
	*deadline = deadline_ts(ts ? &t : NULL);
	return 0;
}

SPROUT_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			const sigset_t *mask)
{
	int64_t deadline;
	sigset_t m;
	long r;

	if (!shim_on_g())
		return REAL(ppoll)(fds, n, ts, mask);
	/* The kernel's order: the timeout, the mask, then the fds. */
	r = ts_mask_in(ts, &mask, &m, &deadline);
	if (r)
		return (int)ret(r);
	return (int)ret(do_poll(fds, n, deadline, mask));
}

#ifdef __GLIBC__
SPROUT_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
			      const struct timespec *ts, const sigset_t *mask,
			      size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		return REAL(__ppoll_chk)(fds, n, ts, mask, fdslen);
	return ppoll(fds, n, ts, mask);
}
#endif

/*
 * select and pselect: the looks are the kernel's pselect6 with a zero
 * timeout, on a copy of the program's sets (a look clears what is not
 * ready), so nfds, the sets and the answer are the kernel's own: nfds
 * clamped to the fd table, sets left alone when nfds is 0 or on an error.
 * Sets that cannot be read, or nfds past FD_SETSIZE (sets longer than an
 * fd_set), go to the kernel's call whole, handed off.
 */
struct selcall {
	int nfds;
	size_t len;	 /* bytes of each set the kernel reads */
	fd_set *set[3];	 /* the program's, or NULL */
	fd_set saved[3]; /* as the program gave them */
	fd_set work[3];	 /* what a look leaves */
	const sigset_t *mask;
};

static long select_look(void *arg)
{
	struct selcall *c = arg;
	struct timespec zero = { 0, 0 };
	unsigned long pack[2] = { (unsigned long)c->mask, 8 };
	long r;
	int i;

	do {
		for (i = 0; i < 3; i++)
			memcpy(&c->work[i], &c->saved[i], c->len);
		r = sys6(SYS_pselect6, c->nfds,
			 (long)(c->set[0] ? &c->work[0] : NULL),
			 (long)(c->set[1] ? &c->work[1] : NULL),
			 (long)(c->set[2] ? &c->work[2] : NULL), (long)&zero,
			 c->mask ? (long)pack : 0);
	} while (r == -EINTR); /* as poll_look() */
	return r;
}

/* do_select(): the kernel's own call must answer (see above). */
#define SELECT_BY_KERNEL LONG_MIN

/* The answer or -errno, or SELECT_BY_KERNEL. */
static long do_select(struct selcall *c, int64_t deadline)
{
	struct netpoll_want stack_want[WANTS_ON_STACK], *want = stack_want;
	sigset_t saved;
	bool swapped;
	size_t cap = 0;
	long r;
	int fd, nw = 0, i;

	cancel_point();
	if (c->nfds < 0)
		return -EINVAL;
	if (c->nfds > FD_SETSIZE)
		return SELECT_BY_KERNEL;
	c->len = ((size_t)c->nfds + 63) / 64 * 8;
	for (i = 0; i < 3; i++)
		if (c->set[i] && !copy_in(&c->saved[i], c->set[i], c->len))
			return SELECT_BY_KERNEL;
	if (lets_pending_in(c->mask))
		return run_pending(c->mask);
	r = select_look(c);
	if (r == 0 && deadline != 0) {
		for (fd = 0; fd < c->nfds; fd++)
			for (i = 0; i < 3; i++)
				if (c->set[i] && FD_ISSET(fd, &c->saved[i]))
					nw++;
		if (nw > WANTS_ON_STACK) {
			cap = (size_t)nw;
			want = rt_alloc(cap * sizeof(*want));
			if (!want)
				return -ENOMEM;
		}
		nw = 0;
		for (fd = 0; fd < c->nfds; fd++) {
			bool rd = false, wr = false;

			for (i = 0; i < 3; i++) {
				if (!c->set[i] || !FD_ISSET(fd, &c->saved[i]))
					continue;
				if (i == 1)
					wr = true;
				else
					rd = true;
			}
			if (rd)
				want[nw++] =
					(struct netpoll_want){ fd, NP_READ, 0 };
			if (wr)
				want[nw++] =
					(struct netpoll_want){ fd, NP_WRITE,
							       0 };
		}
		swapped = mask_swap(c->mask, &saved);
		r = wait_look(want, nw, deadline, select_look, c);
		if (swapped)
			g_sigmask(SIG_SETMASK, &saved, NULL);
		if (want != stack_want)
			rt_free(want, cap * sizeof(*want));
	}
	/* As the kernel: the sets are written only with an answer. */
	if (r >= 0)
		for (i = 0; i < 3; i++)
			if (c->set[i])
				memcpy(c->set[i], &c->work[i], c->len);
	return r;
}

SPROUT_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			 struct timeval *tv)
{
	struct selcall c = { nfds, 0, { r, w, e }, {}, {}, NULL };
	struct timespec ts;
	int64_t deadline = -1, left;
	long res;

	if (!shim_on_g())
		return REAL(select)(nfds, r, w, e, tv);
	if (tv) {
		/* As glibc: tv_usec as an int, carried into seconds. */
		time_t s = tv->tv_sec;
		int32_t us = (int32_t)tv->tv_usec;

		if (s < 0 || us < 0) {
			errno = EINVAL;
			return -1;
		}
		if (us / 1000000 > INT64_MAX - s) {
			ts = (struct timespec){ INT64_MAX, 999999999 };
		} else {
			ts.tv_sec = s + us / 1000000;
			ts.tv_nsec = (long)(us % 1000000) * 1000;
		}
		deadline = deadline_ts(&ts);
	}
	res = do_select(&c, deadline);
	if (res == SELECT_BY_KERNEL)
		return BLOCKING(LONG, int, REAL(select)(nfds, r, w, e, tv));
	if (tv) {
		/* Linux writes back the time left, glibc the carried time. */
		if (deadline > 0) {
			left = deadline - nanotime();
			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
		}
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return (int)ret(res);
}

#ifdef __GLIBC__
SPROUT_EXPORT int __select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			   struct timeval *tv)
{
	return select(nfds, r, w, e, tv);
}
#endif

SPROUT_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
			  const struct timespec *ts, const sigset_t *mask)
{
	struct selcall c = { nfds, 0, { r, w, e }, {}, {}, NULL };
	sigset_t m;
	long res;

	if (!shim_on_g())
		return REAL(pselect)(nfds, r, w, e, ts, mask);
	if (ts && !ts_valid(ts)) {
		errno = EINVAL;
		return -1;
	}
	if (!mask_copy(&mask, &m)) {
		errno = EFAULT;
		return -1;
	}
	c.mask = mask;
	res = do_select(&c, deadline_ts(ts));
	if (res == SELECT_BY_KERNEL)
		return BLOCKING(LONG, int,
				REAL(pselect)(nfds, r, w, e, ts, mask));
	return (int)ret(res);
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
	long r;

	do /* as poll_look() */
		r = sys6(SYS_epoll_pwait, c->epfd, (long)c->ev, c->max, 0,
			 (long)c->mask, 8);
	while (r == -EINTR);
	return r;
}

static long do_epoll(int epfd, struct epoll_event *ev, int max,
		     int64_t deadline, const sigset_t *mask)
{
	struct epollcall c = { epfd, ev, max, mask };
	struct netpoll_want want = { epfd, NP_READ, 0 };
	sigset_t saved;
	bool swapped;
	long r;

	cancel_point();
	if (fd_hidden(epfd)) /* the runtime's own: not open for the program */
		return -EBADF;
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
	sigset_t m;

	if (!shim_on_g())
		return REAL(epoll_pwait)(epfd, ev, max, ms, mask);
	if (!mask_copy(&mask, &m))
		return (int)ret(-EFAULT);
	return (int)ret(do_epoll(epfd, ev, max, deadline_ms(ms), mask));
}

#ifdef __GLIBC__
SPROUT_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			       const struct timespec *ts, const sigset_t *mask)
{
	int64_t deadline;
	sigset_t m;
	long r;

	if (!shim_on_g())
		return REAL(epoll_pwait2)(epfd, ev, max, ts, mask);
	r = ts_mask_in(ts, &mask, &m, &deadline);
	if (r)
		return (int)ret(r);
	return (int)ret(do_epoll(epfd, ev, max, deadline, mask));
}
#endif
