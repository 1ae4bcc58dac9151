/*
 * calls SEED COUNT: a differential fuzzer of the calls the shim wraps.
 *
 * Makes COUNT calls with arguments drawn from SEED and prints one line per
 * call: the call, its arguments, the return value, errno (on failure) and
 * what it left visible (bytes read and their checksum, the sets poll and
 * select return, bytes left in the pipe or socket, flags). Every 50 calls,
 * and at the end, a line gives the state of every fd it made. The runner
 * (run.sh) runs it natively and preloaded and compares the outputs line by
 * line: the library must not change any of it.
 *
 * Calls: read/write/readv/writev/pread/pwrite/preadv/pwritev, recv/send/
 * recvfrom/sendto/recvmsg/sendmsg on pipes, stream and datagram socket
 * pairs, an eventfd, a file, a directory, /dev/null and invalid numbers;
 * poll/ppoll/select/pselect/epoll_wait/epoll_pwait with random sets and
 * zero, negative, huge and invalid timeouts; nanosleep/clock_nanosleep/
 * usleep with invalid times; clock_gettime/clock_getres on thread CPU
 * clocks; sem_timedwait, pthread_mutex_timedlock,
 * pthread_rwlock_timedwrlock, pthread_cond_timedwait with invalid or past
 * deadlines; dup/dup2/dup3/close/fcntl on random numbers. Bad pointers are
 * a PROT_NONE page (EFAULT) and a buffer that runs into it.
 *
 * Deterministic: nothing waits for real. A call that may block is made
 * only when the kernel says it will not (a raw poll of the fd with a zero
 * timeout, and room for the bytes); otherwise the line says "skip". Huge
 * and negative timeouts are used only when something is ready already.
 *
 * A difference it finds is a bug of the library: fix it, or, while it
 * cannot be fixed, steer the fuzzer clear of it in the open (a line in
 * the output saying so), never by hiding it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#define MAXFD	 256 /* the fds the fuzzer keeps track of */
#define BUFSZ	 (256 * 1024)
#define MAXOPEN	 48
#define ROOM	 16384 /* most bytes queued before a blocking write */
#define HANG_SEC 10

enum kind {
	K_NONE,
	K_PIPE_R,
	K_PIPE_W,
	K_STREAM,
	K_DGRAM,
	K_FILE,
	K_DIR,
	K_NULL,
	K_EVENTFD,
	K_EPOLL,
	K_OUT, /* stdout, stderr and their copies: never written or closed */
};
static const char *const kind_name[] = { "none",   "pipe_r", "pipe_w",
					 "stream", "dgram",  "file",
					 "dir",	   "null",   "eventfd",
					 "epoll",  "out" };

/* What the fuzzer knows of each fd it made: kind and object (pair) id. */
static struct {
	enum kind kind;
	int obj;
} fds[MAXFD];
static int nextobj = 1;

static uint64_t rng;
static unsigned char *buf, *pat, *bad, *edge;
static long callno;
static char line[4096];
static size_t linelen;

static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t held_rwlock = PTHREAD_RWLOCK_INITIALIZER;
static sem_t helper_ready, helper_go;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

static bool chance(int percent)
{
	return below(100) < (uint32_t)percent;
}

/* Raw system calls: what the kernel says, past any library. */
static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	linelen += vsnprintf(line + linelen, sizeof(line) - linelen, fmt, ap);
	va_end(ap);
	if (linelen >= sizeof(line))
		linelen = sizeof(line) - 1;
}

static void endline(void)
{
	printf("%ld %s\n", callno, line);
	linelen = 0;
	line[0] = '\0';
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "?";
}

/* " = r" and the error of a call that sets errno. */
static void result(long r, int e)
{
	if (r < 0)
		out(" = %ld %s", r, ename(e));
	else
		out(" = %ld", r);
}

/* " = E" of a call that returns an error number. */
static void result_err(int r)
{
	out(" = %s", r ? ename(r) : "0");
}

static uint32_t cksum(const unsigned char *p, long n)
{
	uint32_t h = 2166136261u;
	long i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static bool tracked(int fd)
{
	return fd >= 0 && fd < MAXFD && fds[fd].kind != K_NONE;
}

static enum kind kind_of(int fd)
{
	return tracked(fd) ? fds[fd].kind : K_NONE;
}

static int obj_of(int fd)
{
	return tracked(fd) ? fds[fd].obj : 0;
}

static int nopen(void)
{
	int fd, n = 0;

	for (fd = 0; fd < MAXFD; fd++)
		n += fds[fd].kind != K_NONE;
	return n;
}

/* An open fd of ours, or -1. */
static int pick_open(void)
{
	int n = nopen(), k, fd;

	if (!n)
		return -1;
	k = (int)below(n);
	for (fd = 0; fd < MAXFD; fd++)
		if (fds[fd].kind != K_NONE && k-- == 0)
			return fd;
	return -1;
}

/*
 * A number near the top of the first 1024 fds, below the ones the runtime
 * keeps for itself preloaded (from 64 below 1024, or below a lower
 * RLIMIT_NOFILE: sched/netpoll_epoll.c). Those are hidden from the
 * program by design (close says EBADF, dup2 onto one moves it first), but
 * a program cannot know they exist, so it cannot name them except by
 * chance: the fuzzer does not, so that calls on numbers nobody opened
 * (poll's POLLNVAL, epoll_wait's EBADF, F_DUPFD's lowest free number) stay
 * comparable. -1 if the limit leaves no such number.
 */
static int high_fd(void)
{
	struct rlimit rl;
	long top = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
		top = (long)rl.rlim_cur;
	top -= 64;
	if (top <= 950)
		return -1;
	return 950 + (int)below((uint32_t)(top - 950));
}

/* Any number: mostly ours, else invalid, closed or huge. */
static int pick_fd(bool mutable)
{
	static const int odd[] = { -1, -100, 1024, 4096, 65536, INT_MAX };
	int fd;

	if (chance(80) && (fd = pick_open()) >= 0 &&
	    (!mutable || kind_of(fd) != K_OUT))
		return fd;
	if (chance(40))
		return odd[below(sizeof(odd) / sizeof(odd[0]))];
	if (chance(20))
		return high_fd();
	fd = (int)below(200);
	return mutable && kind_of(fd) == K_OUT ? -1 : fd;
}

/* The kind of any fd this one shares its object with, on the other side. */
static int peer_of(int fd)
{
	int other;

	for (other = 0; other < MAXFD; other++) {
		if (fds[other].obj != fds[fd].obj || other == fd)
			continue;
		if (fds[fd].kind == K_PIPE_R && fds[other].kind == K_PIPE_W)
			return other;
		if (fds[fd].kind == K_PIPE_W && fds[other].kind == K_PIPE_R)
			return other;
	}
	return -1;
}

static int raw_poll1(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	if (raw(SYS_poll, (long)&p, 1, 0, 0, 0, 0) < 0)
		return POLLNVAL;
	return p.revents;
}

static bool nonblocking(int fd)
{
	long fl = raw(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);

	return fl >= 0 && (fl & O_NONBLOCK);
}

static long queued(int fd)
{
	int n = 0;

	if (raw(SYS_ioctl, fd, FIONREAD, (long)&n, 0, 0, 0) < 0)
		return -1;
	return n;
}

static long outq(int fd)
{
	int n = 0;

	if (raw(SYS_ioctl, fd, SIOCOUTQ, (long)&n, 0, 0, 0) < 0)
		return -1;
	return n;
}

/* A read-like call on fd will not wait (flags: MSG_DONTWAIT given). */
static bool read_ok(int fd, bool dontwait)
{
	if (dontwait || !tracked(fd) || nonblocking(fd))
		return true;
	return raw_poll1(fd, POLLIN) != 0;
}

/* A write-like call of len bytes on fd will not wait. */
static bool write_ok(int fd, size_t len, bool dontwait)
{
	int rev;

	if (dontwait || !tracked(fd) || nonblocking(fd))
		return true;
	rev = raw_poll1(fd, POLLOUT);
	if (rev & (POLLERR | POLLHUP | POLLNVAL))
		return true;
	if (!(rev & POLLOUT))
		return false;
	switch (fds[fd].kind) {
	case K_PIPE_W:
		return len <= ROOM && queued(fd) <= ROOM;
	case K_STREAM:
	case K_DGRAM:
		return len <= ROOM && outq(fd) <= 4 * ROOM;
	case K_EVENTFD:
		return false; /* a big value waits for the counter to drop */
	default:
		return len <= BUFSZ;
	}
}

/* What a call on fd left there to read. */
static void left(int fd)
{
	if (tracked(fd) && fds[fd].kind != K_FILE && fds[fd].kind != K_DIR &&
	    fds[fd].kind != K_OUT)
		out(" left=%ld", queued(fd));
}

static void track(int fd, enum kind k, int obj)
{
	if (fd >= 0 && fd < MAXFD) {
		fds[fd].kind = k;
		fds[fd].obj = obj;
	} else if (fd >= MAXFD) {
		close(fd); /* out of our sight */
	}
}

static void untrack(int fd)
{
	if (fd >= 0 && fd < MAXFD)
		fds[fd].kind = K_NONE;
}

/* A buffer: good, NULL, the PROT_NONE page, or one that runs into it. */
static void *pick_buf(size_t len, const char **name)
{
	uint32_t c = below(20);

	if (c == 0) {
		*name = "NULL";
		return NULL;
	}
	if (c == 1) {
		*name = "bad";
		return bad;
	}
	if (c == 2 && len > 0) {
		size_t k = below(len < 4096 ? (uint32_t)len : 4096);
		*name = "edge";
		return edge - k;
	}
	*name = "buf";
	return buf;
}

static size_t pick_len(void)
{
	static const size_t lens[] = {
		0, 1, 5, 8, 64, 1000, 4096, 16384, 70000
	};

	/*
	 * Past any user address space (even with 5-level page tables), so
	 * that read's check of the whole buffer (EFAULT) does not depend on
	 * where address-space randomisation put it.
	 */
	if (chance(3))
		return (size_t)1 << 60;
	return lens[below(sizeof(lens) / sizeof(lens[0]))];
}

/* Makes objects: the pool refills as calls close them. */
static void make_objects(void)
{
	int p[2], r, kind = (int)below(7), obj = nextobj++;
	const char *what;

	switch (kind) {
	case 0:
		r = pipe2(p, chance(30) ? O_NONBLOCK : 0);
		what = "pipe2";
		if (r == 0) {
			track(p[0], K_PIPE_R, obj);
			track(p[1], K_PIPE_W, obj);
		}
		break;
	case 1:
	case 2: {
		int nb = chance(30) ? SOCK_NONBLOCK : 0;
		bool stream = kind == 1;
		r = socketpair(AF_UNIX,
			       (stream ? SOCK_STREAM : SOCK_DGRAM) | nb, 0, p);
		what = stream ? "socketpair(stream)" : "socketpair(dgram)";
		if (r == 0) {
			track(p[0], stream ? K_STREAM : K_DGRAM, obj);
			track(p[1], stream ? K_STREAM : K_DGRAM, obj);
		}
		break;
	}
	case 3: {
		char path[] = "/tmp/sprout-fuzz-XXXXXX";
		r = p[0] = mkstemp(path);
		what = "mkstemp";
		if (r >= 0) {
			unlink(path);
			track(p[0], K_FILE, obj);
			r = 0;
		}
		break;
	}
	case 4:
		r = p[0] = eventfd(below(3), chance(30) ? EFD_NONBLOCK : 0);
		what = "eventfd";
		if (r >= 0)
			track(p[0], K_EVENTFD, obj);
		break;
	case 5:
		r = p[0] = epoll_create1(0);
		what = "epoll_create1";
		if (r >= 0) {
			int i, fd;
			track(p[0], K_EPOLL, obj);
			/* Level-triggered: a look does not consume events. */
			for (i = 0; i < 4; i++) {
				struct epoll_event ev = {
					.events = EPOLLIN |
						  (chance(50) ? EPOLLOUT : 0)
				};
				fd = pick_open();
				if (fd < 0 || fd == p[0] ||
				    fds[fd].kind == K_FILE ||
				    fds[fd].kind == K_DIR ||
				    fds[fd].kind == K_NULL)
					continue;
				ev.data.u64 = (uint64_t)fd;
				epoll_ctl(p[0], EPOLL_CTL_ADD, fd, &ev);
			}
		}
		break;
	default:
		if (chance(50)) {
			r = p[0] = open("/dev/null", O_RDWR);
			what = "open(/dev/null)";
			if (r >= 0)
				track(p[0], K_NULL, obj);
		} else {
			r = p[0] = open("/tmp", O_RDONLY | O_DIRECTORY);
			what = "open(/tmp)";
			if (r >= 0)
				track(p[0], K_DIR, obj);
		}
	}
	out("%s", what);
	result(r, errno);
	if (r >= 0)
		out(" fd=%d", p[0]);
	if (r >= 0 && (kind <= 2))
		out(",%d", p[1]);
}

static void state(void)
{
	int fd;

	out("state");
	for (fd = 0; fd < MAXFD; fd++) {
		long fl;
		if (fds[fd].kind == K_NONE || fds[fd].kind == K_OUT)
			continue;
		fl = raw(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
		out(" %d:%s:%lx:%ld", fd, kind_name[fds[fd].kind],
		    fl < 0 ? -1L : fl & (O_NONBLOCK | O_APPEND | O_ACCMODE),
		    fds[fd].kind == K_FILE ? -2 : queued(fd));
	}
}

/* read, readv, pread, preadv, recv, recvfrom, recvmsg. */
static void do_read(void)
{
	static const char *const names[] = { "read",   "readv", "pread",
					     "preadv", "recv",	"recvfrom",
					     "recvmsg" };
	int c = (int)below(7), fd = pick_fd(false), flags = 0, e;
	size_t len = pick_len();
	const char *bn;
	void *p = pick_buf(len, &bn);
	off_t off = chance(10) ? -1 : (off_t)below(5000);
	long r;

	if (len > BUFSZ && p == buf && !chance(50))
		len = BUFSZ;
	/*
	 * readv and preadv of a length past INT_MAX into buf (writev and
	 * pwritev from pat) move bytes up to the first unmapped page after
	 * it: where that is depends on the process's mappings, which the
	 * library adds to, not on the call. Only the buffers that end at
	 * the PROT_NONE page (edge, bad) are tried with such lengths there.
	 */
	if (len > INT_MAX && (c == 1 || c == 3) && p == buf)
		len = 70000;
	if (c >= 4) {
		static const int fl[] = { 0,	     MSG_DONTWAIT,
					  MSG_PEEK,  MSG_DONTWAIT | MSG_PEEK,
					  MSG_TRUNC, MSG_DONTWAIT | MSG_TRUNC };
		flags = fl[below(sizeof(fl) / sizeof(fl[0]))];
	}
	out("%s(%d, %s, %zu", names[c], fd, bn, len);
	if (c == 2 || c == 3)
		out(", off=%lld", (long long)off);
	if (c >= 4)
		out(", flags=%#x", flags);
	out(")");
	if (!read_ok(fd, flags & MSG_DONTWAIT)) {
		out(" skip");
		return;
	}
	errno = 0;
	switch (c) {
	case 0:
		r = read(fd, p, len);
		break;
	case 1:
	case 3: {
		struct iovec iov[3];
		int n = (int)below(4);
		size_t a = len / 3;
		iov[0] = (struct iovec){ p, a };
		iov[1] =
			(struct iovec){ chance(10) ? (void *)bad : buf + a, a };
		iov[2] = (struct iovec){ buf + 2 * a, len - 2 * a };
		if (chance(5))
			n = chance(50) ? -1 : 1025;
		out(" n=%d", n);
		if (chance(5)) {
			out(" iov=bad");
			r = c == 1 ? readv(fd, (struct iovec *)bad, n)
				   : preadv(fd, (struct iovec *)bad, n, off);
		} else {
			r = c == 1 ? readv(fd, iov, n)
				   : preadv(fd, iov, n, off);
		}
		break;
	}
	case 2:
		r = pread(fd, p, len, off);
		break;
	case 4:
		r = recv(fd, p, len, flags);
		break;
	case 5: {
		struct sockaddr_storage sa;
		socklen_t sl = chance(50) ? sizeof(sa) : 0;
		r = recvfrom(fd, p, len, flags, (struct sockaddr *)&sa, &sl);
		e = errno;
		out(" addrlen=%u", (unsigned)sl);
		errno = e;
		break;
	}
	default: {
		struct iovec iov = { p, len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		bool badmh = chance(5);
		if (badmh)
			out(" msg=bad");
		r = recvmsg(fd, badmh ? (struct msghdr *)bad : &mh, flags);
		e = errno;
		out(" msg_flags=%#x", mh.msg_flags);
		errno = e;
	}
	}
	e = errno;
	result(r, e);
	if (r > 0 && p == buf && c != 1 && c != 3)
		out(" sum=%08x", cksum(buf, r > (long)len ? (long)len : r));
	left(fd);
}

/* write, writev, pwrite, pwritev, send, sendto, sendmsg. */
static void do_write(void)
{
	static const char *const names[] = { "write",	"writev", "pwrite",
					     "pwritev", "send",	  "sendto",
					     "sendmsg" };
	int c = (int)below(7), fd = pick_fd(true), flags = 0, e;
	size_t len = pick_len();
	const char *bn;
	unsigned char *p = pick_buf(len, &bn);
	off_t off = chance(10) ? -1 : (off_t)below(5000);
	long r;

	if (p == buf) {
		p = pat + below(4096);
		bn = "pat";
		if (len > BUFSZ - 4096 && !chance(30))
			len = 1000;
	}
	/* (As in do_read.) */
	if (len > INT_MAX && (c == 1 || c == 3) && !strcmp(bn, "pat"))
		len = 1000;
	if (c >= 4) {
		static const int fl[] = { MSG_NOSIGNAL, MSG_DONTWAIT,
					  MSG_DONTWAIT | MSG_NOSIGNAL,
					  MSG_NOSIGNAL | MSG_MORE };
		flags = fl[below(sizeof(fl) / sizeof(fl[0]))];
	}
	out("%s(%d, %s, %zu", names[c], fd, bn, len);
	if (c == 2 || c == 3)
		out(", off=%lld", (long long)off);
	if (c >= 4)
		out(", flags=%#x", flags);
	out(")");
	if (!write_ok(fd, len, flags & MSG_DONTWAIT)) {
		out(" skip");
		return;
	}
	if (fd >= 0 && fd < MAXFD && fds[fd].kind == K_FILE &&
	    raw(SYS_lseek, fd, 0, SEEK_END, 0, 0, 0) > (1 << 20))
		raw(SYS_ftruncate, fd, 0, 0, 0, 0, 0); /* same in both runs */
	errno = 0;
	switch (c) {
	case 0:
		r = write(fd, p, len);
		break;
	case 1:
	case 3: {
		struct iovec iov[3];
		int n = (int)below(4);
		size_t a = len / 3;
		iov[0] = (struct iovec){ p, a };
		iov[1] =
			(struct iovec){ chance(10) ? (void *)bad : pat + a, a };
		iov[2] = (struct iovec){ pat + 2 * a, len - 2 * a };
		if (chance(5))
			n = chance(50) ? -1 : 1025;
		out(" n=%d", n);
		r = c == 1 ? writev(fd, iov, n) : pwritev(fd, iov, n, off);
		break;
	}
	case 2:
		r = pwrite(fd, p, len, off);
		break;
	case 4:
		r = send(fd, p, len, flags);
		break;
	case 5:
		r = sendto(fd, p, len, flags, NULL, 0);
		break;
	default: {
		struct iovec iov = { p, len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		bool badmh = chance(5);
		if (badmh)
			out(" msg=bad");
		r = sendmsg(fd, badmh ? (struct msghdr *)bad : &mh, flags);
	}
	}
	e = errno;
	result(r, e);
	left(fd);
	if (tracked(fd) && peer_of(fd) >= 0)
		out(" peer=%ld", queued(peer_of(fd)));
}

/* Readiness of the set as the kernel sees it now: a zero-timeout look. */
static bool poll_ready(struct pollfd *p, nfds_t n)
{
	struct pollfd copy[8];

	if (n > 8)
		return true; /* EINVAL or EFAULT before any wait */
	memcpy(copy, p, n * sizeof(*p));
	return raw(SYS_poll, (long)copy, n, 0, 0, 0, 0) != 0;
}

static void pollset(struct pollfd *p, int n)
{
	static const short ev[] = { POLLIN,  POLLOUT, POLLIN | POLLOUT,
				    POLLPRI, 0,	      POLLIN | POLLRDHUP };
	int i;

	for (i = 0; i < n; i++) {
		p[i].fd = chance(10) ? -1 : pick_fd(false);
		p[i].events = ev[below(sizeof(ev) / sizeof(ev[0]))];
		p[i].revents = (short)below(0x100); /* must be overwritten */
	}
}

static void print_revents(const struct pollfd *p, int n)
{
	int i;

	out(" [");
	for (i = 0; i < n; i++)
		out("%s%d:%#x", i ? " " : "", p[i].fd, (unsigned)p[i].revents);
	out("]");
}

static void do_poll(void)
{
	struct pollfd p[8];
	int n = (int)below(5), timeout = 0, r, e;
	bool ready, isppoll = chance(40), badp = chance(4);
	nfds_t nf = (nfds_t)n;

	pollset(p, n);
	if (chance(3))
		nf = chance(50) ? (nfds_t)1 << 20 : (nfds_t)-1;
	/* poll copies the set in first: a bad one fails at once. */
	ready = (badp && nf > 0) || poll_ready(p, nf);
	if (!isppoll) {
		static const int t[] = { 0, -1, -5, INT_MAX, 1000000 };
		timeout = t[below(5)];
		if (timeout && !ready)
			timeout = 0;
		out("poll(%s, %lu, %d)", badp ? "bad" : "set",
		    (unsigned long)nf, timeout);
		r = poll(badp ? (struct pollfd *)bad : p, nf, timeout);
	} else {
		struct timespec ts, *tp = &ts;
		sigset_t ss, *sp = NULL;
		const char *tn = "0";
		switch (below(6)) {
		case 0:
			ts = (struct timespec){ 0, 0 };
			break;
		case 1:
			ts = (struct timespec){ 0, -1 };
			tn = "nsec=-1";
			break;
		case 2:
			ts = (struct timespec){ 0, 1000000000 };
			tn = "nsec=1e9";
			break;
		case 3:
			ts = (struct timespec){ -1, 0 };
			tn = "sec=-1";
			break;
		case 4:
			ts = (struct timespec){ LONG_MAX / 2, 0 };
			tn = "huge";
			if (!ready) {
				ts = (struct timespec){ 0, 0 };
				tn = "0";
			}
			break;
		default:
			/* (glibc reads it itself: no bad pointer.) */
			ts = (struct timespec){ 0, 0 };
			if (ready)
				tp = NULL;
			tn = ready ? "NULL" : "0";
		}
		if (chance(30)) {
			sigemptyset(&ss);
			sigaddset(&ss, SIGUSR1);
			sp = chance(10) ? (sigset_t *)bad : &ss;
		}
		out("ppoll(%s, %lu, %s, %s)", badp ? "bad" : "set",
		    (unsigned long)nf, tn,
		    sp ? (sp == &ss ? "mask" : "bad") : "NULL");
		r = ppoll(badp ? (struct pollfd *)bad : p, nf, tp, sp);
		if (tp == &ts && r >= 0)
			out(" ts=%lld.%lld", (long long)ts.tv_sec,
			    (long long)ts.tv_nsec / 100000000);
	}
	e = errno;
	result(r, e);
	if (!badp && r >= 0)
		print_revents(p, n);
}

static void do_select(void)
{
	/*
	 * Each set followed by an empty one: nfds = 1025 reads one bit past
	 * an fd_set when the fd table is that large (it is, once any fd past
	 * 1023 was opened), and that bit must not be whatever follows.
	 */
	fd_set s[3][2], copy[3][2];
	static const int nfs[] = { -1, 0, 5, 20, 64, 1024, 1025 };
	int nfds = nfs[below(7)], i, j, r, e;

	bool ready, ispselect = chance(40), use[3];
	struct timeval tv, *tvp = &tv;
	const char *tn = "0";

	for (i = 0; i < 3; i++) {
		FD_ZERO(&s[i][0]);
		FD_ZERO(&s[i][1]);
		use[i] = chance(70);
		for (j = 0; j < 3; j++) {
			int fd = pick_fd(false);
			if (fd >= 0 && fd < 64)
				FD_SET(fd, &s[i][0]);
		}
	}
	memcpy(copy, s, sizeof(s));
	{
		struct timespec z = { 0, 0 };
		ready = raw(SYS_pselect6, nfds, (long)(use[0] ? copy[0] : NULL),
			    (long)(use[1] ? copy[1] : NULL),
			    (long)(use[2] ? copy[2] : NULL), (long)&z, 0) != 0;
	}
	switch (below(6)) {
	case 0:
		tv = (struct timeval){ 0, 0 };
		break;
	case 1:
		tv = (struct timeval){ 0, -1 };
		tn = "usec=-1";
		break;
	case 2:
		/* libc carries it: a second, when something is ready. */
		tv = (struct timeval){ 0, 1000000 };
		tn = "usec=1e6";
		if (!ready) {
			tv = (struct timeval){ 0, 0 };
			tn = "0";
		}
		break;
	case 3:
		tv = (struct timeval){ -1, 0 };
		tn = "sec=-1";
		break;
	case 4:
		tv = (struct timeval){ 1000000, 0 };
		tn = "huge";
		if (!ready) {
			tv = (struct timeval){ 0, 0 };
			tn = "0";
		}
		break;
	default:
		/* (glibc reads it itself: no bad pointer.) */
		tv = (struct timeval){ 0, 0 };
		if (ready)
			tvp = NULL;
		tn = ready ? "NULL" : "0";
	}
	if (!ispselect) {
		out("select(%d, %s %s %s, %s)", nfds, use[0] ? "r" : "-",
		    use[1] ? "w" : "-", use[2] ? "x" : "-", tn);
		r = select(nfds, use[0] ? s[0] : NULL, use[1] ? s[1] : NULL,
			   use[2] ? s[2] : NULL, tvp);
		e = errno;
		if (tvp == &tv && r >= 0)
			out(" tv=%lld.%lld", (long long)tv.tv_sec,
			    (long long)tv.tv_usec / 100000);
	} else {
		struct timespec ts, *tsp = NULL;
		if (tvp == &tv) {
			ts.tv_sec = tv.tv_sec;
			ts.tv_nsec = tv.tv_usec == 1000000 ? 1000000000
							   : tv.tv_usec * 1000;
			tsp = &ts;
		}
		out("pselect(%d, %s %s %s, %s)", nfds, use[0] ? "r" : "-",
		    use[1] ? "w" : "-", use[2] ? "x" : "-", tn);
		r = pselect(nfds, use[0] ? s[0] : NULL, use[1] ? s[1] : NULL,
			    use[2] ? s[2] : NULL, tsp, NULL);
		e = errno;
	}
	result(r, e);
	if (r >= 0)
		for (i = 0; i < 3; i++)
			if (use[i])
				out(" %c=%llx", "rwx"[i],
				    (unsigned long long)s[i][0].fds_bits[0]);
}

static int cmp_ev(const void *a, const void *b)
{
	const struct epoll_event *x = a, *y = b;

	if (x->data.u64 != y->data.u64)
		return x->data.u64 < y->data.u64 ? -1 : 1;
	return (int)x->events - (int)y->events;
}

static void do_epoll(void)
{
	struct epoll_event ev[16], probe[16];
	static const int maxes[] = { 16, 16, 1, 2, 0, -1, INT_MAX };
	int efd = pick_fd(false), maxev = maxes[below(7)], timeout, r, e, i;
	bool badp = chance(5), ready, pwait = chance(40);
	sigset_t ss;

	/* A bad buffer fails only once events are there to copy. */
	ready = maxev <= 0 || maxev > 16 ||
		raw(SYS_epoll_wait, efd, (long)probe, maxev, 0, 0, 0) != 0;
	{
		static const int t[] = { 0, -1, INT_MAX, -7 };
		timeout = t[below(4)];
		if (!ready)
			timeout = 0;
	}
	out("%s(%d, %s, %d, %d)", pwait ? "epoll_pwait" : "epoll_wait", efd,
	    badp ? "bad" : "ev", maxev, timeout);
	sigemptyset(&ss);
	if (pwait)
		r = epoll_pwait(efd, badp ? (struct epoll_event *)bad : ev,
				maxev, timeout, chance(50) ? &ss : NULL);
	else
		r = epoll_wait(efd, badp ? (struct epoll_event *)bad : ev,
			       maxev, timeout);
	e = errno;
	result(r, e);
	if (r > 0 && !badp) {
		qsort(ev, r, sizeof(ev[0]), cmp_ev);
		out(" [");
		for (i = 0; i < r; i++)
			out("%s%llu:%#x", i ? " " : "",
			    (unsigned long long)ev[i].data.u64, ev[i].events);
		out("]");
	}
}

static void do_sleep(void)
{
	static const struct timespec ts[] = { { 0, 0 },	 { 0, 1 },
					      { 0, -1 }, { 0, 1000000000 },
					      { -1, 0 }, { -1, -1 } };
	int k = (int)below(6), r, e;
	struct timespec req = ts[k], rem = { 7, 7 };

	switch (below(5)) {
	case 0:
		out("nanosleep(%lld.%ld)", (long long)req.tv_sec, req.tv_nsec);
		if (chance(10)) {
			out(" req=bad");
			r = nanosleep((struct timespec *)bad, &rem);
		} else {
			r = nanosleep(&req, chance(10) ? (struct timespec *)bad
						       : &rem);
		}
		e = errno;
		result(r, e);
		out(" rem=%lld.%ld", (long long)rem.tv_sec, rem.tv_nsec);
		break;
	case 1: {
		static const clockid_t clk[] = { CLOCK_REALTIME,
						 CLOCK_MONOTONIC,
						 CLOCK_BOOTTIME,
						 CLOCK_TAI,
						 CLOCK_PROCESS_CPUTIME_ID,
						 CLOCK_THREAD_CPUTIME_ID,
						 CLOCK_MONOTONIC_RAW,
						 -1,
						 100 };
		clockid_t c = clk[below(9)];
		int flags = chance(50) ? TIMER_ABSTIME : (chance(5) ? 2 : 0);
		/*
		 * A CPU clock advances only while something runs: only a
		 * deadline it has passed (0.0), or an invalid one.
		 */
		if ((c == CLOCK_PROCESS_CPUTIME_ID ||
		     c == CLOCK_THREAD_CPUTIME_ID) &&
		    k < 2) {
			flags = TIMER_ABSTIME;
			req = ts[0];
		}
		/* Absolute: a deadline already past (0.0 or 0.1). */
		out("clock_nanosleep(%d, %#x, %lld.%ld)", (int)c, flags,
		    (long long)req.tv_sec, req.tv_nsec);
		r = clock_nanosleep(c, flags, &req, &rem);
		result_err(r);
		out(" rem=%lld.%ld", (long long)rem.tv_sec, rem.tv_nsec);
		break;
	}
	case 2: {
		useconds_t us = below(3);
		out("usleep(%u)", us);
		r = usleep(us);
		e = errno;
		result(r, e);
		break;
	}
	case 3:
		out("sleep(0)");
		r = (int)sleep(0);
		result(r, 0);
		break;
	default: {
		/*
		 * A thread CPU clock: the caller's (three names), a thread's
		 * that is not there, one of the kinds no G answers, invalid.
		 */
		clockid_t clk[] = { CLOCK_THREAD_CPUTIME_ID,
				    -2,
				    0,
				    -1,
				    (clockid_t)((~0x3ffffff0u << 3) | 6),
				    (clockid_t)((~(unsigned)getpid() << 3) | 4),
				    100 };
		static const char *const name[] = { "thread", "self", "own",
						    "-1",     "none", "user",
						    "100" };
		bool getres = chance(30), badp = chance(15);
		int i = (int)below(7);
		struct timespec t;
		clockid_t c;

		pthread_getcpuclockid(pthread_self(), &clk[2]);
		c = clk[i];
		out("%s(%s%s)", getres ? "clock_getres" : "clock_gettime",
		    name[i], badp ? ", bad" : "");
		if (getres)
			r = clock_getres(c, badp ? (struct timespec *)bad : &t);
		else
			r = clock_gettime(c,
					  badp ? (struct timespec *)bad : &t);
		e = errno;
		result(r, e);
	}
	}
}

static void do_timed(void)
{
	static const struct timespec dl[] = { { 0, 0 },	 { 1, 5 },
					      { 0, -1 }, { 0, 1000000000 },
					      { -1, 0 }, { -5, 999 } };
	int k = (int)below(6), r, e;
	struct timespec ts = dl[k];
	const char *dn = k == 0 || k == 1 ? "past" : "invalid";

	switch (below(5)) {
	case 0: {
		sem_t s;
		int v = (int)below(2);
		sem_init(&s, 0, v);
		out("sem_timedwait(value=%d, %s %lld.%ld)", v, dn,
		    (long long)ts.tv_sec, ts.tv_nsec);
		r = sem_timedwait(&s, &ts);
		e = errno;
		result(r, e);
		sem_getvalue(&s, &v);
		out(" value=%d", v);
		sem_destroy(&s);
		break;
	}
	case 1: {
		/* Free, held by another thread, or held by this one. */
		static const int kinds[] = { PTHREAD_MUTEX_NORMAL,
					     PTHREAD_MUTEX_RECURSIVE,
					     PTHREAD_MUTEX_ERRORCHECK };
		int who = (int)below(3), kd = kinds[below(3)];
		pthread_mutexattr_t a;
		pthread_mutex_t m;
		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, kd);
		pthread_mutex_init(&m, &a);
		if (who == 2)
			pthread_mutex_lock(&m);
		out("pthread_mutex_timedlock(kind=%d, %s, %s %lld.%ld)", kd,
		    who == 0   ? "free"
		    : who == 1 ? "other"
			       : "self",
		    dn, (long long)ts.tv_sec, ts.tv_nsec);
		if (who == 1) {
			/* Another thread's: the one the helper holds. */
			r = pthread_mutex_timedlock(&held_mutex, &ts);
			if (r == 0)
				pthread_mutex_unlock(&held_mutex);
		} else {
			r = pthread_mutex_timedlock(&m, &ts);
			if (r == 0)
				pthread_mutex_unlock(&m);
		}
		result_err(r);
		if (who == 2)
			pthread_mutex_unlock(&m);
		pthread_mutex_destroy(&m);
		break;
	}
	case 2:
		out("pthread_rwlock_timedwrlock(other, %s %lld.%ld)", dn,
		    (long long)ts.tv_sec, ts.tv_nsec);
		r = pthread_rwlock_timedwrlock(&held_rwlock, &ts);
		result_err(r);
		break;
	case 3: {
		pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
		pthread_cond_t cv;
		pthread_condattr_t a;
		clockid_t clk = chance(50) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, clk);
		pthread_cond_init(&cv, &a);
		pthread_mutex_lock(&m);
		out("pthread_cond_timedwait(clock=%d, %s %lld.%ld)", (int)clk,
		    dn, (long long)ts.tv_sec, ts.tv_nsec);
		r = pthread_cond_timedwait(&cv, &m, &ts);
		result_err(r);
		out(" owner=%d", pthread_mutex_trylock(&m) == EBUSY);
		pthread_mutex_unlock(&m);
		pthread_cond_destroy(&cv);
		break;
	}
	default: {
		pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
		pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
		static const clockid_t clk[] = { CLOCK_REALTIME,
						 CLOCK_MONOTONIC,
						 CLOCK_PROCESS_CPUTIME_ID, -1 };
		clockid_t c = clk[below(4)];
		pthread_mutex_lock(&m);
		out("pthread_cond_clockwait(%d, %s %lld.%ld)", (int)c, dn,
		    (long long)ts.tv_sec, ts.tv_nsec);
		r = pthread_cond_clockwait(&cv, &m, c, &ts);
		result_err(r);
		pthread_mutex_unlock(&m);
	}
	}
}

static void do_fdops(void)
{
	int c = (int)below(6), fd = pick_fd(false), r, e;
	int to = pick_fd(true);

	switch (c) {
	case 0:
		out("dup(%d)", fd);
		r = dup(fd);
		e = errno;
		if (r >= 0)
			track(r, kind_of(fd), obj_of(fd));
		break;
	case 1:
	case 2: {
		int flags = c == 1	 ? 0
			    : chance(70) ? O_CLOEXEC
			    : chance(50) ? 0
					 : O_NONBLOCK;
		if (chance(10))
			to = fd;
		if (c == 1) {
			out("dup2(%d, %d)", fd, to);
			r = dup2(fd, to);
		} else {
			out("dup3(%d, %d, %#x)", fd, to, flags);
			r = dup3(fd, to, flags);
		}
		e = errno;
		if (r >= 0 && r != fd)
			track(r, kind_of(fd), obj_of(fd));
		break;
	}
	case 3:
		out("close(%d)", to);
		r = close(to);
		e = errno;
		if (r == 0)
			untrack(to);
		break;
	default: {
		static const int cmds[] = { F_GETFD,	  F_SETFD,
					    F_GETFL,	  F_SETFL,
					    F_DUPFD,	  F_DUPFD_CLOEXEC,
					    F_GETPIPE_SZ, 9999 };
		int cmd = cmds[below(8)];
		long arg = 0;
		if (cmd == F_SETFD)
			arg = below(2);
		if (cmd == F_SETFL)
			arg = (chance(50) ? O_NONBLOCK : 0) |
			      (chance(20) ? O_APPEND : 0);
		if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
			arg = chance(10) ? -1 : (long)below(200);
			if (chance(20))
				arg = high_fd();
		}
		if (cmd == F_SETFL && kind_of(fd) == K_OUT)
			fd = pick_fd(true); /* shared with the runner */
		out("fcntl(%d, %d, %#lx)", fd, cmd, arg);
		r = fcntl(fd, cmd, arg);
		e = errno;
		if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
			track(r, kind_of(fd), obj_of(fd));
		if (r >= 0 && cmd == F_GETFL)
			r &= O_NONBLOCK | O_APPEND | O_ACCMODE;
	}
	}
	result(r, e);
}

static void *helper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held_mutex);
	pthread_rwlock_rdlock(&held_rwlock);
	sem_post(&helper_ready);
	while (sem_wait(&helper_go) < 0)
		;
	pthread_rwlock_unlock(&held_rwlock);
	pthread_mutex_unlock(&held_mutex);
	return NULL;
}

static void *pipe_reader(void *arg)
{
	char c;

	return (void *)(intptr_t)read(*(int *)arg, &c, 1);
}

/*
 * Wake the library's netpoller, as any program that waits on a pipe
 * does: a thread waits in read() until the byte comes (10 ms later).
 */
static void wait_on_a_pipe(void)
{
	struct timespec ms10 = { 0, 10000000 };
	pthread_t t;
	void *r;
	int p[2];

	if (pipe(p))
		return;
	pthread_create(&t, NULL, pipe_reader, &p[0]);
	nanosleep(&ms10, NULL);
	(void)!write(p[1], "x", 1);
	pthread_join(t, &r);
	close(p[0]);
	close(p[1]);
}

static void hang(int sig)
{
	static const char msg[] = "calls: a call waited: FAIL\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

int main(int argc, char **argv)
{
	unsigned long seed, count, i;
	pthread_t t;
	size_t k;

	if (argc != 3) {
		fprintf(stderr, "usage: calls SEED COUNT\n");
		return 2;
	}
	seed = strtoul(argv[1], NULL, 0);
	count = strtoul(argv[2], NULL, 0);
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, hang);

	buf = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pat = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* Two pages: the second PROT_NONE. edge is where the first ends. */
	bad = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || pat == MAP_FAILED || bad == MAP_FAILED ||
	    mprotect(bad + 4096, 4096, PROT_NONE)) {
		perror("calls: mmap");
		return 2;
	}
	edge = bad + 4096;
	bad = edge;
	for (k = 0; k < BUFSZ; k++)
		pat[k] = (unsigned char)(k * 131 + seed);

	/* stdin: /dev/null in every run (a read of a tty would wait). */
	k = open("/dev/null", O_RDONLY);
	dup2((int)k, 0);
	close((int)k);
	sem_init(&helper_ready, 0, 0);
	sem_init(&helper_go, 0, 0);
	pthread_create(&t, NULL, helper, NULL);
	while (sem_wait(&helper_ready) < 0)
		;
	wait_on_a_pipe();
	track(0, K_NULL, nextobj++);
	track(1, K_OUT, nextobj++);
	track(2, K_OUT, nextobj++);

	printf("calls: seed %lu, %lu calls\n", seed, count);
	for (i = 0; i < 8; i++) {
		make_objects();
		endline();
	}
	for (callno = 1; callno <= (long)count; callno++) {
		uint32_t c = below(100);

		alarm(HANG_SEC);
		if (nopen() < 8 || (nopen() < MAXOPEN && c < 3))
			make_objects();
		else if (c < 25)
			do_read();
		else if (c < 45)
			do_write();
		else if (c < 57)
			do_poll();
		else if (c < 65)
			do_select();
		else if (c < 71)
			do_epoll();
		else if (c < 77)
			do_sleep();
		else if (c < 85)
			do_timed();
		else
			do_fdops();
		endline();
		if (callno % 50 == 0 || callno == (long)count) {
			state();
			endline();
		}
		if (nopen() > MAXOPEN) {
			int fd = pick_open();
			if (kind_of(fd) != K_OUT) {
				out("close(%d)", fd);
				result(close(fd), errno);
				untrack(fd);
				endline();
			}
		}
	}
	alarm(0);
	sem_post(&helper_go);
	pthread_join(t, NULL);
	printf("calls: done\n");
	return 0;
}
