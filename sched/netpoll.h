/* SPDX-License-Identifier: MIT */
/*
 * The netpoller (netpoll.c, over epoll in netpoll_epoll.c): Gs wait for a
 * file descriptor to become readable or writable without holding an M.
 *
 * A caller takes a ticket (the fd's event count for the mode), tries its
 * call non-blocking, and on EAGAIN waits with the ticket: the wait returns
 * at once if an event came after the ticket was taken, so no readiness is
 * lost between the try and the park. Any number of Gs may wait on one fd.
 */
#ifndef SPROUT_SCHED_NETPOLL_H
#define SPROUT_SCHED_NETPOLL_H

#include "runtime.h"

enum { NP_READ, NP_WRITE };

uint32_t netpoll_ticket(int fd, int mode) hidden;

/*
 * Wait until fd may be ready for mode after ticket, or the CLOCK_MONOTONIC
 * deadline (-1: none). 0 (try again), ETIMEDOUT, EBADF (the fd was closed
 * or replaced meanwhile), EINTR (a handler without SA_RESTART ran on the
 * G, or one for a signal to the process while the initial G waited),
 * ERESTART (only SA_RESTART handlers ran: a call the kernel restarts goes
 * on), EPERM (epoll cannot watch it: a regular file or a directory), or
 * another error of epoll_ctl.
 */
int netpoll_wait(int fd, int mode, uint32_t ticket, int64_t deadline) hidden;

/*
 * Facts the caller learns of fd with system calls are stored with the
 * stamp it took before it looked (netpoll_stamp()): a store whose stamp
 * is no longer fd's is dropped, so that what was found of a file just
 * closed is never kept for the one that takes its number.
 */
uint64_t netpoll_stamp(int fd) hidden;

/*
 * Waiting on several fds at once (poll, select and epoll_wait of the
 * program): the caller takes a ticket of each (fd, mode), calls
 * sig_wait_begin(), looks without waiting, and if nothing is ready waits
 * with the tickets. 0 (look again: one may be ready, or one was closed),
 * ETIMEDOUT, EINTR or ERESTART (a handler ran for the G since
 * sig_wait_begin(), as netpoll_wait() says), ENOMEM or another error of
 * epoll_ctl. An fd epoll cannot watch (a regular file) is left out.
 */
struct netpoll_want {
	int fd, mode;
	uint32_t ticket;
};

int netpoll_wait_many(const struct netpoll_want *want, int n,
		      int64_t deadline) hidden;

/*
 * What the caller found fd to be (1..7), until it changes; 0: unknown.
 * NP_KIND_OURS: this process made the file (socket(), accept()); the
 * child of fork() forgets it, sharing the file with its parent.
 */
enum { NP_KIND_OURS = 4 };
int netpoll_kind(int fd) hidden;
void netpoll_set_kind(int fd, int kind, uint64_t stamp) hidden;

/*
 * What the caller learnt of the file with system calls (its flags, its
 * socket timeouts), kept until the fd changes or netpoll_info_changed().
 */
struct netpoll_info {
	int flags;	  /* file status flags (F_GETFL); -1 unknown */
	int64_t timeo[2]; /* SO_RCVTIMEO, SO_SNDTIMEO in ns; 0: none */
};

bool netpoll_info(int fd, struct netpoll_info *f) hidden;
void netpoll_set_info(int fd, const struct netpoll_info *f,
		      uint64_t stamp) hidden;
void netpoll_info_changed(int fd) hidden;

/*
 * The life of an fd number. fd's sequence number is odd while a close
 * is under way: netpoll_fd_closing() before the real close (its waiters
 * wake with EBADF, and nothing learnt of it meanwhile is kept), and
 * netpoll_fd_closed() with its answer after. netpoll_fd_changed(): fd
 * now names another file (opened, duplicated onto), made by the caller,
 * so that it ends any close left under way. A number given again is
 * thus changed before its new owner can wait on it, and never after.
 */
uint32_t netpoll_fd_closing(int fd) hidden;
void netpoll_fd_closed(int fd, uint32_t seq) hidden;
void netpoll_fd_changed(int fd) hidden;

/*
 * The runtime's own fds (the netpoller's epoll fd and eventfd), which
 * the program may not close, replace or use: netpoll_own_fd() says if fd
 * is one; netpoll_own_fd_move() moves it to another number (0, or an
 * error number) so that the program may take fd.
 */
bool netpoll_own_fd(int fd) hidden;
int netpoll_own_fds(int fds[2]) hidden; /* how many, in order */
int netpoll_own_fd_move(int fd) hidden;

/* No fd at or above this number has a record yet. */
unsigned int netpoll_fd_limit(void) hidden;

/* Wake the Gs waiting on g->nwait, the one g_kill() interrupts. */
void netpoll_interrupt(struct npdir *d) hidden;

/* The scheduler's side. */
bool netpoll_waiting(void) hidden;
int netpoll(int64_t until) hidden; /* readies Gs; until: 0 now, -1 ever */
int64_t netpoll_lastpoll(void) hidden;
void netpoll_break(void) hidden;
bool netpoll_inited(void) hidden;
void netpoll_prepare(void) hidden;
void netpoll_start(void) hidden;
void netpoll_afterfork_child(void) hidden;

/* netpoll_epoll.c */
int np_epoll_init(void) hidden;
bool np_epoll_fds_go_high(void) hidden;
void np_epoll_grow_fdtable(void) hidden;
int np_epoll_arm(int fd, uint64_t key) hidden;
int np_epoll_wait(int64_t until,
		  void (*ready)(uint64_t key, uint32_t ev)) hidden;
void np_epoll_break(void) hidden;
void np_epoll_afterfork_child(void) hidden;
bool np_epoll_own_fd(int fd) hidden;
int np_epoll_own_fds(int fds[2]) hidden;
int np_epoll_own_fd_move(int fd) hidden;

#endif
