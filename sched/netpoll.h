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
 * What the caller found fd to be (1..7), until it changes; 0: unknown.
 * NP_KIND_OURS: this process made the file (socket(), accept()); the
 * child of fork() forgets it, sharing the file with its parent.
 */
enum { NP_KIND_OURS = 4 };
int netpoll_kind(int fd) hidden;
void netpoll_set_kind(int fd, int kind) hidden;

/*
 * What the caller learnt of the file with system calls (its flags, its
 * socket timeouts), kept until the fd changes or netpoll_info_changed().
 */
struct netpoll_info {
	int flags;	  /* file status flags (F_GETFL); -1 unknown */
	int64_t timeo[2]; /* SO_RCVTIMEO, SO_SNDTIMEO in ns; 0: none */
};

bool netpoll_info(int fd, struct netpoll_info *f) hidden;
void netpoll_set_info(int fd, const struct netpoll_info *f) hidden;
void netpoll_info_changed(int fd) hidden;

/* fd now names another file (opened, duplicated onto) or none (closed). */
void netpoll_fd_changed(int fd) hidden;

/* Wake the Gs waiting on g->nwait, the one g_kill() interrupts. */
void netpoll_interrupt(struct npdir *d) hidden;

/* The scheduler's side. */
bool netpoll_waiting(void) hidden;
int netpoll(int64_t until) hidden; /* readies Gs; until: 0 now, -1 ever */
int64_t netpoll_lastpoll(void) hidden;
void netpoll_break(void) hidden;
bool netpoll_inited(void) hidden;
void netpoll_afterfork_child(void) hidden;

/* netpoll_epoll.c */
int np_epoll_init(void) hidden;
int np_epoll_arm(int fd, uint64_t key) hidden;
int np_epoll_wait(int64_t until,
		  void (*ready)(uint64_t key, uint32_t ev)) hidden;
void np_epoll_break(void) hidden;
void np_epoll_afterfork_child(void) hidden;

#endif
