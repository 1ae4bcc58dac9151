// SPDX-License-Identifier: MIT
/*
 * The one loop of every call that waits on the netpoller (DESIGN.md
 * section 6, class 2): take a ticket (the fd's event count), try the call
 * without blocking, and on EAGAIN, unless the program asked for
 * non-blocking, park until the fd is ready after the ticket, then try
 * again. The file status flags of the open file description are never
 * changed: they are shared with other processes (a shell pipeline's pipe,
 * a socket passed to a child). SO_RCVTIMEO and SO_SNDTIMEO bound the wait
 * (EAGAIN when they run out, or the op's own answer).
 */
#include "fd.h"
#include "../shim/shim.h"

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

/* A cancellation point, as libc's calls it stands for. */
long op_run(struct op *o)
{
	cancel_point();
	for (;;) {
		uint32_t ticket = netpoll_ticket(o->fd, o->mode);
		long r = o->call(o, true);
		int err;

		if (r != -EAGAIN || nonblocking(o->fd))
			return r;
		if (o->deadline == 0)
			o->deadline = sock_deadline(o->fd, o->mode);
		err = netpoll_wait(o->fd, o->mode, ticket, o->deadline);
		/* Cancelled while it waited: nothing was read or written. */
		cancel_point();
		err = restarted(err, o->deadline, o->done);
		if (err == ETIMEDOUT)
			return o->timedout ? o->timedout : -EAGAIN;
		if (err == EBADF || err == EINTR)
			return -err;
		if (err) /* epoll cannot watch it */
			return BLOCKING(SHORT, long, o->call(o, false));
	}
}
