// SPDX-License-Identifier: MIT
/*
 * Blocking calls handed off (DESIGN.md section 6, class 3): each runs
 * between entersyscall() and exitsyscall(), so that its P goes to other Gs
 * while it blocks. Those that usually block long (waiting for a child, a
 * signal, a name server, a shell) use entersyscallblock() and hand the P
 * off at once; the rest keep it for a short call, and sysmon retakes it if
 * the call lasts (sched/sysmon.c).
 *
 * One definition per name, by macro: DEFINE(kind, ret, name, params,
 * args). libc's __-prefixed and _FORTIFY_SOURCE (_chk, _2) entry points for
 * the same calls are wrapped too. Network and pipe I/O will move to the
 * netpoller; until then it is handed off like the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "wrap.h"
#include "../sched/netpoll.h"
#include "../shim/shim.h"

#define DEFINE(enter, ret, name, params, args)                \
	SPROUT_EXPORT ret name params                         \
	{                                                     \
		if (!shim_on())                               \
			return REAL(name) args;               \
		return BLOCKING(enter, ret, REAL(name) args); \
	}

/* Positional and file I/O (read, write and the rest: netio.c). */
DEFINE(SHORT, ssize_t, pread, (int fd, void *buf, size_t n, off_t o),
       (fd, buf, n, o))
#ifdef __GLIBC__
DEFINE(SHORT, ssize_t, pread64, (int fd, void *buf, size_t n, off_t o),
       (fd, buf, n, o))
DEFINE(SHORT, ssize_t, __pread64, (int fd, void *buf, size_t n, off_t o),
       (fd, buf, n, o))
DEFINE(SHORT, ssize_t, __pread_chk,
       (int fd, void *buf, size_t n, off_t o, size_t l), (fd, buf, n, o, l))
DEFINE(SHORT, ssize_t, __pread64_chk,
       (int fd, void *buf, size_t n, off_t o, size_t l), (fd, buf, n, o, l))
#endif
DEFINE(SHORT, ssize_t, pwrite, (int fd, const void *buf, size_t n, off_t o),
       (fd, buf, n, o))
#ifdef __GLIBC__
DEFINE(SHORT, ssize_t, pwrite64, (int fd, const void *buf, size_t n, off_t o),
       (fd, buf, n, o))
DEFINE(SHORT, ssize_t, __pwrite64, (int fd, const void *buf, size_t n, off_t o),
       (fd, buf, n, o))
#endif
DEFINE(SHORT, ssize_t, preadv, (int fd, const struct iovec *v, int n, off_t o),
       (fd, v, n, o))
#ifdef __GLIBC__
DEFINE(SHORT, ssize_t, preadv64,
       (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o))
#endif
DEFINE(SHORT, ssize_t, pwritev, (int fd, const struct iovec *v, int n, off_t o),
       (fd, v, n, o))
#ifdef __GLIBC__
DEFINE(SHORT, ssize_t, pwritev64,
       (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o))
DEFINE(SHORT, ssize_t, preadv2,
       (int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f))
DEFINE(SHORT, ssize_t, preadv64v2,
       (int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f))
DEFINE(SHORT, ssize_t, pwritev2,
       (int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f))
DEFINE(SHORT, ssize_t, pwritev64v2,
       (int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f))
#endif
DEFINE(SHORT, int, fsync, (int fd), (fd))
DEFINE(SHORT, int, fdatasync, (int fd), (fd))
DEFINE(SHORT, int, sync_file_range,
       (int fd, off64_t o, off64_t n, unsigned int f), (fd, o, n, f))
DEFINE(SHORT, int, tcdrain, (int fd), (fd))

/* Opening: a FIFO blocks until its other end opens. */
DEFINE(SHORT, int, creat, (const char *path, mode_t mode), (path, mode))
#ifdef __GLIBC__
DEFINE(SHORT, int, creat64, (const char *path, mode_t mode), (path, mode))
DEFINE(SHORT, int, __open_2, (const char *path, int flags), (path, flags))
DEFINE(SHORT, int, __open64_2, (const char *path, int flags), (path, flags))
DEFINE(SHORT, int, __openat_2, (int dirfd, const char *path, int flags),
       (dirfd, path, flags))
DEFINE(SHORT, int, __openat64_2, (int dirfd, const char *path, int flags),
       (dirfd, path, flags))
#endif

/* The mode argument is there only when the flags create a file. */
static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE
		       ? va_arg(ap, mode_t)
		       : 0;
}

#define OPEN_MODE(flags)                    \
	({                                  \
		va_list ap_;                \
		mode_t m_;                  \
                                            \
		va_start(ap_, flags);       \
		m_ = open_mode(flags, ap_); \
		va_end(ap_);                \
		m_;                         \
	})

/* Every open is an openat, as in libc. */
static int open_at(int dirfd, const char *path, int flags, mode_t mode)
{
	if (!shim_on())
		return REAL(openat)(dirfd, path, flags, mode);
	int fd = BLOCKING(SHORT, int, REAL(openat)(dirfd, path, flags, mode));

	if (fd >= 0)
		netpoll_fd_changed(fd);
	return fd;
}

#define OPEN(name)                                                       \
	SPROUT_EXPORT int name(const char *path, int flags, ...)         \
	{                                                                \
		return open_at(AT_FDCWD, path, flags, OPEN_MODE(flags)); \
	}
#define OPENAT(name)                                                        \
	SPROUT_EXPORT int name(int dirfd, const char *path, int flags, ...) \
	{                                                                   \
		return open_at(dirfd, path, flags, OPEN_MODE(flags));       \
	}
OPEN(open)
#ifdef __GLIBC__
OPEN(open64)
OPEN(__open)
OPEN(__open64)
#endif
OPENAT(openat)
#ifdef __GLIBC__
OPENAT(openat64)
#endif

/* Locks: only the waiting forms can block. */
static bool fcntl_blocks(int cmd)
{
	return cmd == F_SETLKW || cmd == F_OFD_SETLKW;
}

/* What the netpoller must know: a new fd from F_DUPFD, new flags. */
static int fcntl_done(int fd, int cmd, int r)
{
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		netpoll_fd_changed(r);
	else if (r >= 0 && cmd == F_SETFL)
		netpoll_info_changed(fd); /* O_NONBLOCK may have changed */
	return r;
}

#define FCNTL(name)                                                           \
	SPROUT_EXPORT int name(int fd, int cmd, ...)                          \
	{                                                                     \
		va_list ap;                                                   \
		void *arg;                                                    \
                                                                              \
		va_start(ap, cmd);                                            \
		arg = va_arg(ap, void *);                                     \
		va_end(ap);                                                   \
		if (!shim_on())                                               \
			return REAL(name)(fd, cmd, arg);                      \
		if (netpoll_own_fd(fd)) {                                     \
			errno = EBADF; /* the runtime's, not the program's */ \
			return -1;                                            \
		}                                                             \
		if (!fcntl_blocks(cmd))                                       \
			return fcntl_done(fd, cmd, REAL(name)(fd, cmd, arg)); \
		return BLOCKING(SHORT, int, REAL(name)(fd, cmd, arg));        \
	}
FCNTL(fcntl)
#ifdef __GLIBC__
FCNTL(fcntl64)
FCNTL(__fcntl)
#endif

DEFINE(SHORT, int, flock, (int fd, int op), (fd, op))
DEFINE(SHORT, int, lockf, (int fd, int cmd, off_t len), (fd, cmd, len))
#ifdef __GLIBC__
DEFINE(SHORT, int, lockf64, (int fd, int cmd, off64_t len), (fd, cmd, len))
#endif

/* Children. */
DEFINE(LONG, pid_t, wait, (int *status), (status))
#ifdef __GLIBC__
DEFINE(LONG, pid_t, __wait, (int *status), (status))
#endif
DEFINE(LONG_IF(!(options & WNOHANG)), pid_t, waitpid,
       (pid_t pid, int *status, int options), (pid, status, options))
#ifdef __GLIBC__
DEFINE(LONG_IF(!(options & WNOHANG)), pid_t, __waitpid,
       (pid_t pid, int *status, int options), (pid, status, options))
#endif
DEFINE(LONG_IF(!(options & WNOHANG)), pid_t, wait3,
       (int *status, int options, struct rusage *ru), (status, options, ru))
DEFINE(LONG_IF(!(options & WNOHANG)), pid_t, wait4,
       (pid_t pid, int *status, int options, struct rusage *ru),
       (pid, status, options, ru))
DEFINE(LONG_IF(!(options & WNOHANG)), int, waitid,
       (idtype_t type, id_t id, siginfo_t *info, int options),
       (type, id, info, options))
DEFINE(LONG, int, system, (const char *command), (command))

/*
 * Signals. The sigwait family takes from the kernel's pending signals, so
 * those left for the G first go there (sig_push()).
 */
#define DEFINE_SIGWAIT(enter, name, params, args, info)             \
	SPROUT_EXPORT int name params                               \
	{                                                           \
		const sigset_t *s = set; /* may be NULL */          \
		int r;                                              \
                                                                    \
		__asm__("" : "+r"(s));                              \
		if (!shim_on())                                     \
			return REAL(name) args;                     \
		if (s && shim_on_g())                               \
			sig_push(s);                                \
		r = BLOCKING(enter, int, REAL(name) args);          \
		if (r > 0)                                          \
			sig_info_restore(info); /* as first sent */ \
		return r;                                           \
	}

DEFINE_SIGWAIT(LONG, sigwait, (const sigset_t *set, int *sig), (set, sig), NULL)
DEFINE_SIGWAIT(LONG, sigwaitinfo, (const sigset_t *set, siginfo_t *info),
	       (set, info), info)
DEFINE_SIGWAIT(LONG_IF(!t || t->tv_sec || t->tv_nsec), sigtimedwait,
	       (const sigset_t *set, siginfo_t *info, const struct timespec *t),
	       (set, info, t), info)

/*
 * sigsuspend: the G's mask is the call's meanwhile, as the thread's is
 * natively, so that a handler it lets in runs (sig_defer()); signals left
 * for the G that the call lets in go to the kernel first (sig_push()).
 */
SPROUT_EXPORT int sigsuspend(const sigset_t *mask)
{
	const sigset_t *m = mask;
	uint64_t old;
	int r;

	/* glibc declares mask non-null; a program may still pass NULL. */
	__asm__("" : "+r"(m));
	if (!shim_on_g() || !m)
		return REAL(sigsuspend)(mask); /* NULL: EFAULT */
	old = g_sigmask_during(mask);
	sig_push_unblocked();
	if (getg() == &g_main) {
		BLOCKING(LONG, int, (g_sigsuspend_main(mask), 0));
		/* Not glibc's call, which would act on it: a point here. */
		cancel_point();
		errno = EINTR;
		r = -1;
	} else {
		r = BLOCKING(LONG, int, REAL(sigsuspend)(mask));
	}
	g_sigmask_end(old);
	return r;
}

/* pause: sigsuspend with the G's own mask. */
SPROUT_EXPORT int pause(void)
{
	sigset_t mask;

	if (!shim_on_g())
		return REAL(pause)();
	g_sigmask(SIG_BLOCK, NULL, &mask);
	return sigsuspend(&mask);
}

#ifdef __GLIBC__
SPROUT_EXPORT int __sigsuspend(const sigset_t *mask)
{
	return sigsuspend(mask);
}
#endif

/* System V and POSIX message queues. */
DEFINE(SHORT, ssize_t, msgrcv,
       (int id, void *msg, size_t n, long type, int flags),
       (id, msg, n, type, flags))
DEFINE(SHORT, int, msgsnd, (int id, const void *msg, size_t n, int flags),
       (id, msg, n, flags))
DEFINE(SHORT, ssize_t, mq_receive,
       (mqd_t q, char *msg, size_t n, unsigned int *prio), (q, msg, n, prio))
DEFINE(SHORT, ssize_t, mq_timedreceive,
       (mqd_t q, char *msg, size_t n, unsigned int *prio,
	const struct timespec *t),
       (q, msg, n, prio, t))
DEFINE(SHORT, int, mq_send,
       (mqd_t q, const char *msg, size_t n, unsigned int prio),
       (q, msg, n, prio))
DEFINE(SHORT, int, mq_timedsend,
       (mqd_t q, const char *msg, size_t n, unsigned int prio,
	const struct timespec *t),
       (q, msg, n, prio, t))

/* Name service: files, then maybe a name server over the network. */
DEFINE(LONG, int, getaddrinfo,
       (const char *node, const char *serv, const struct addrinfo *hints,
	struct addrinfo **res),
       (node, serv, hints, res))
DEFINE(LONG, int, getnameinfo,
       (const struct sockaddr *sa, socklen_t salen, char *host,
	socklen_t hostlen, char *serv, socklen_t servlen, int flags),
       (sa, salen, host, hostlen, serv, servlen, flags))
DEFINE(LONG, struct hostent *, gethostbyname, (const char *name), (name))
DEFINE(LONG, struct hostent *, gethostbyname2, (const char *name, int af),
       (name, af))
DEFINE(LONG, int, gethostbyname_r,
       (const char *name, struct hostent *ret, char *buf, size_t len,
	struct hostent **result, int *herr),
       (name, ret, buf, len, result, herr))
DEFINE(LONG, int, gethostbyname2_r,
       (const char *name, int af, struct hostent *ret, char *buf, size_t len,
	struct hostent **result, int *herr),
       (name, af, ret, buf, len, result, herr))
