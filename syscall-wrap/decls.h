/* SPDX-License-Identifier: MIT */
/*
 * The headers that declare the blocking calls the shim wraps, and
 * prototypes of libc's exported names that its headers declare only under
 * _FORTIFY_SOURCE or not at all: the shim's table needs their types. The
 * shim is built without _FILE_OFFSET_BITS=64, under which the headers
 * would rename open to open64 and define one symbol twice.
 */
#ifndef SPROUT_SYSCALL_WRAP_DECLS_H
#define SPROUT_SYSCALL_WRAP_DECLS_H

#include <fcntl.h>
#include <mqueue.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
ssize_t __read(int fd, void *buf, size_t n);
ssize_t __write(int fd, const void *buf, size_t n);
ssize_t __pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
int __open(const char *path, int flags, ...);
int __open64(const char *path, int flags, ...);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __fcntl(int fd, int cmd, ...);
pid_t __wait(int *status);
pid_t __waitpid(pid_t pid, int *status, int options);
pid_t __vfork(void);
int __nanosleep(const struct timespec *req, struct timespec *rem);
int __sigsuspend(const sigset_t *mask);
int __sigpause(int sig_or_mask, int is_sig);
int __xpg_sigpause(int sig);
void __longjmp_chk(struct __jmp_buf_tag env[1], int val)
	__attribute__((noreturn));
#endif
#ifndef __GLIBC__
typedef void (*__sighandler_t)(int); /* glibc's name for the type */
#endif
__sighandler_t bsd_signal(int sig, __sighandler_t handler);
#ifdef __GLIBC__
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *alen);
int __poll(struct pollfd *fds, nfds_t n, int ms);
int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		const sigset_t *mask, size_t fdslen);
int __select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv);
int __close(int fd);
int __dup2(int fd, int fd2);
int __pipe(int fds[2]);
#endif

#endif
