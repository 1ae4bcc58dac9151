/*
 * Proves that blocking pipe and socket I/O of threads leaves the file status
 * flags of the open file descriptions alone (they are shared with other
 * processes, which would see an O_NONBLOCK set behind their back), that
 * other threads progress while some are blocked in that I/O, and that the
 * program's own O_NONBLOCK works and is seen by all.
 *
 * - Pipes A and B; a forked child (one thread, no exec) samples every 1 ms
 *   the flags of its copies of the four ends, with fcntl(F_GETFL) and in
 *   /proc/self/fdinfo, and counts every value that differs from the one at
 *   creation.  Meanwhile a reader blocks in read() on A and another in
 *   readv() on B; while both are blocked (entered, then 50 ms, and neither
 *   has returned after) two other threads make 1,000 ping-pong round trips.
 *   Then a writer write()s 1 MiB to A in chunks of varied sizes and another
 *   writev()s 1 MiB to B; the readers check every byte.  The child must
 *   have sampled before and after the transfer and seen no change.
 * - Then F_GETFL and fdinfo in the parent give the flags at creation; the
 *   program sets O_NONBLOCK on A's read end with F_SETFL: F_GETFL, fdinfo
 *   and the child's copy show it, read() and readv() of the empty pipe fail
 *   with EAGAIN at once; ioctl(FIONBIO, 0) clears it (F_GETFL and fdinfo
 *   agree) and read() blocks again: a reader blocked in it lets the
 *   ping-pong run and gets the byte written afterwards.
 * - A socketpair: a thread blocks in recv() on one end (ping-pong while it
 *   is blocked), then a forked child checks that both ends, which it
 *   inherited, are blocking (F_GETFL, fdinfo) and write()s a message on the
 *   other end, which wakes that thread with the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pingpong.h"

#define TOTAL (1024 * 1024)
#define NFDS  4

/* What the monitor child shares with the parent. */
struct monitor {
	int fds[NFDS];
	int getfl[NFDS];  /* at creation */
	int fdinfo[NFDS]; /* at creation */
	atomic_int stop;  /* parent: stop sampling */
	atomic_int stopped;
	atomic_int probe; /* parent 1: sample fds[0] once; child 2: done */
	atomic_long samples;
	atomic_long bad;
	int bad_fd, bad_getfl, bad_fdinfo; /* the first difference */
	int probe_getfl, probe_fdinfo;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int getfl(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	CHECK(fl >= 0, "F_GETFL(%d): %s", fd, strerror(errno));
	return fl;
}

/* F_GETFL and fdinfo of fd are what they were at creation. */
static void check_flags(int fd, int want_getfl, int want_fdinfo,
			const char *what)
{
	int fl = getfl(fd), fi = fdinfo_flags(fd);

	CHECK(fl == want_getfl, "%s: F_GETFL %#o, want %#o", what, fl,
	      want_getfl);
	CHECK(fi == want_fdinfo, "%s: fdinfo flags %#o, want %#o", what, fi,
	      want_fdinfo);
	CHECK(!(fl & O_NONBLOCK), "%s: O_NONBLOCK", what);
}

static void monitor_child(struct monitor *mon)
{
	int i, fl, fi;

	watchdog(60);
	while (!atomic_load(&mon->stop)) {
		for (i = 0; i < NFDS; i++) {
			fl = fcntl(mon->fds[i], F_GETFL);
			fi = fdinfo_flags(mon->fds[i]);
			if (fl == mon->getfl[i] && fi == mon->fdinfo[i])
				continue;
			if (atomic_fetch_add(&mon->bad, 1) == 0) {
				mon->bad_fd = mon->fds[i];
				mon->bad_getfl = fl;
				mon->bad_fdinfo = fi;
			}
		}
		atomic_fetch_add(&mon->samples, 1);
		sleep_ms(1);
	}
	atomic_store(&mon->stopped, 1);
	for (i = 0; i < 20000 && atomic_load(&mon->probe) != 1; i++)
		sleep_ms(1);
	if (atomic_load(&mon->probe) != 1)
		_exit(3);
	mon->probe_getfl = fcntl(mon->fds[0], F_GETFL);
	mon->probe_fdinfo = fdinfo_flags(mon->fds[0]);
	atomic_store(&mon->probe, 2);
	_exit(atomic_load(&mon->bad) ? 2 : 0);
}

/* The byte at offset i of stream s. */
static unsigned char pat(size_t i, int s)
{
	return (unsigned char)((i * 2654435761u >> 13) ^ (i >> 8) ^
			       (unsigned)s * 77);
}

static const size_t wsizes[] = { 1, 100, 4096, 4097, 65536, 70000, 333, 8 };
static const size_t rsizes[] = { 7, 4096, 65536, 100000, 1, 512, 3000 };

struct stream {
	int s; /* which stream: 0 read()/write(), 1 readv()/writev() */
	int fd;
	pthread_t tid;
	atomic_bool entered, returned; /* the reader's first call */
	size_t done;
};

static unsigned char wbuf[2][TOTAL], rbuf[2][TOTAL];

static void *writer(void *arg)
{
	struct stream *st = arg;
	struct iovec iov[3];
	size_t k, i, left;
	ssize_t n;

	for (i = 0; i < TOTAL; i++)
		wbuf[st->s][i] = pat(i, st->s);
	for (i = 0; st->done < TOTAL; i++) {
		left = TOTAL - st->done;
		k = wsizes[i % 8] < left ? wsizes[i % 8] : left;
		if (st->s == 0) {
			n = write(st->fd, wbuf[0] + st->done, k);
		} else {
			/* Three pieces: k, a few bytes, and another size. */
			iov[0].iov_base = wbuf[1] + st->done;
			iov[0].iov_len = k;
			iov[1].iov_base = wbuf[1] + st->done + k;
			iov[1].iov_len = left - k < 3 ? left - k : 3;
			iov[2].iov_base =
				wbuf[1] + st->done + k + iov[1].iov_len;
			iov[2].iov_len = left - k - iov[1].iov_len;
			if (iov[2].iov_len > wsizes[(i + 3) % 8])
				iov[2].iov_len = wsizes[(i + 3) % 8];
			n = writev(st->fd, iov, 3);
		}
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0, "stream %d: write: %s", st->s, strerror(errno));
		st->done += (size_t)n;
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct stream *st = arg;
	unsigned char *buf = rbuf[st->s];
	struct iovec iov[3];
	size_t k, i, left;
	ssize_t n;

	for (i = 0; st->done < TOTAL; i++) {
		left = TOTAL - st->done;
		k = rsizes[i % 7] < left ? rsizes[i % 7] : left;
		atomic_store(&st->entered, true);
		if (st->s == 0) {
			n = read(st->fd, buf + st->done, k);
		} else {
			iov[0].iov_base = buf + st->done;
			iov[0].iov_len = k;
			iov[1].iov_base = buf + st->done + k;
			iov[1].iov_len = left - k < 5 ? left - k : 5;
			iov[2].iov_base = buf + st->done + k + iov[1].iov_len;
			iov[2].iov_len = left - k - iov[1].iov_len;
			if (iov[2].iov_len > rsizes[(i + 2) % 7])
				iov[2].iov_len = rsizes[(i + 2) % 7];
			n = readv(st->fd, iov, 3);
		}
		atomic_store(&st->returned, true);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0, "stream %d: read returned %zd: %s", st->s, n,
		      n < 0 ? strerror(errno) : "EOF");
		st->done += (size_t)n;
	}
	for (i = 0; i < TOTAL; i++)
		CHECK(buf[i] == pat(i, st->s),
		      "stream %d: byte %zu is %#x, want %#x", st->s, i, buf[i],
		      pat(i, st->s));
	return NULL;
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);

	CHECK(err == 0, "pthread_create: %s", strerror(err));
}

static void join(pthread_t t, const char *what)
{
	CHECK(pthread_join(t, NULL) == 0, "join %s", what);
}

struct one {
	int fd;
	atomic_bool entered, returned;
	ssize_t n;
	int err;
	char buf[64];
	bool sock;
};

static void *read_one(void *arg)
{
	struct one *o = arg;

	atomic_store(&o->entered, true);
	do {
		if (o->sock)
			o->n = recv(o->fd, o->buf, sizeof(o->buf), 0);
		else
			o->n = read(o->fd, o->buf, sizeof(o->buf));
	} while (o->n < 0 && errno == EINTR);
	o->err = errno;
	atomic_store(&o->returned, true);
	return NULL;
}

/* Starts a thread blocked in read_one() and runs the ping-pong meanwhile. */
static pthread_t block_and_probe(struct one *o, const char *what)
{
	pthread_t t;

	start(&t, read_one, o);
	CHECK(wait_until(atomic_load(&o->entered), 20), "%s: never ran", what);
	sleep_ms(50);
	pingpong_run(what);
	CHECK(!atomic_load(&o->returned), "%s returned %zd (%s) with no data",
	      what, o->n, strerror(o->err));
	return t;
}

static void pipes(void)
{
	struct monitor *mon;
	struct stream st[2] = { { .s = 0 }, { .s = 1 } };
	struct stream ws[2] = { { .s = 0 }, { .s = 1 } };
	struct one o = { 0 };
	struct iovec iov;
	pthread_t w[2], t;
	int pa[2], pb[2], i, status, fl0, fi0, err;
	long s1;
	uint64_t t0;
	ssize_t n;
	char c;
	pid_t pid;

	mon = mmap(NULL, sizeof(*mon), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(mon != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(pipe(pa) == 0 && pipe(pb) == 0, "pipe: %s", strerror(errno));
	mon->fds[0] = pa[0];
	mon->fds[1] = pa[1];
	mon->fds[2] = pb[0];
	mon->fds[3] = pb[1];
	for (i = 0; i < NFDS; i++) {
		mon->getfl[i] = getfl(mon->fds[i]);
		mon->fdinfo[i] = fdinfo_flags(mon->fds[i]);
		CHECK(mon->fdinfo[i] >= 0, "no flags in fdinfo of %d",
		      mon->fds[i]);
		CHECK(!(mon->getfl[i] & O_NONBLOCK),
		      "a new pipe is O_NONBLOCK");
		CHECK((mon->getfl[i] & O_ACCMODE) ==
			      (i % 2 ? O_WRONLY : O_RDONLY),
		      "pipe end %d: F_GETFL %#o", i, mon->getfl[i]);
	}

	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		monitor_child(mon);
	CHECK(wait_until(atomic_load(&mon->samples) >= 2, 20),
	      "the monitor child took no sample");

	st[0].fd = pa[0];
	st[1].fd = pb[0];
	for (i = 0; i < 2; i++)
		start(&st[i].tid, reader, &st[i]);
	CHECK(wait_until(atomic_load(&st[0].entered) &&
				 atomic_load(&st[1].entered),
			 20),
	      "the readers never ran");
	sleep_ms(50);
	pingpong_run("read() and readv() blocked on pipes");
	CHECK(!atomic_load(&st[0].returned), "read() returned with no data");
	CHECK(!atomic_load(&st[1].returned), "readv() returned with no data");

	ws[0].fd = pa[1];
	ws[1].fd = pb[1];
	for (i = 0; i < 2; i++)
		start(&w[i], writer, &ws[i]);
	for (i = 0; i < 2; i++) {
		join(w[i], "writer");
		join(st[i].tid, "reader");
		CHECK(ws[i].done == TOTAL && st[i].done == TOTAL,
		      "stream %d: wrote %zu, read %zu, want %d", i, ws[i].done,
		      st[i].done, TOTAL);
	}

	/* The child sampled after the transfer too. */
	s1 = atomic_load(&mon->samples);
	CHECK(wait_until(atomic_load(&mon->samples) >= s1 + 2, 20),
	      "the monitor child stopped sampling");
	atomic_store(&mon->stop, 1);
	CHECK(wait_until(atomic_load(&mon->stopped), 20),
	      "the monitor child does not stop");
	CHECK(atomic_load(&mon->bad) == 0,
	      "the child saw flags change %ld times in %ld samples; first: "
	      "fd %d F_GETFL %#o fdinfo %#o",
	      atomic_load(&mon->bad), atomic_load(&mon->samples), mon->bad_fd,
	      mon->bad_getfl, mon->bad_fdinfo);
	printf("monitor child: %ld samples, no change\n",
	       atomic_load(&mon->samples));
	for (i = 0; i < NFDS; i++)
		check_flags(mon->fds[i], mon->getfl[i], mon->fdinfo[i],
			    "pipe end after the transfer");

	/* The program's own O_NONBLOCK, seen by the child too. */
	fl0 = mon->getfl[0];
	fi0 = mon->fdinfo[0];
	CHECK(fcntl(pa[0], F_SETFL, fl0 | O_NONBLOCK) == 0, "F_SETFL: %s",
	      strerror(errno));
	CHECK(getfl(pa[0]) == (fl0 | O_NONBLOCK), "F_GETFL %#o after F_SETFL",
	      getfl(pa[0]));
	CHECK(fdinfo_flags(pa[0]) == (fi0 | O_NONBLOCK),
	      "fdinfo flags %#o after F_SETFL", fdinfo_flags(pa[0]));
	atomic_store(&mon->probe, 1);
	CHECK(wait_until(atomic_load(&mon->probe) == 2, 20),
	      "the monitor child does not probe");
	CHECK(mon->probe_getfl == (fl0 | O_NONBLOCK),
	      "the child's F_GETFL %#o, want %#o", mon->probe_getfl,
	      fl0 | O_NONBLOCK);
	CHECK(mon->probe_fdinfo == (fi0 | O_NONBLOCK),
	      "the child's fdinfo flags %#o, want %#o", mon->probe_fdinfo,
	      fi0 | O_NONBLOCK);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "monitor child status %#x", status);

	t0 = now_ns();
	n = read(pa[0], &c, 1);
	err = errno;
	CHECK(n == -1 && err == EAGAIN,
	      "read of an empty O_NONBLOCK pipe: %zd %s", n, strerror(err));
	iov.iov_base = &c;
	iov.iov_len = 1;
	n = readv(pa[0], &iov, 1);
	err = errno;
	CHECK(n == -1 && err == EAGAIN,
	      "readv of an empty O_NONBLOCK pipe: %zd %s", n, strerror(err));
	CHECK(now_ns() - t0 < 2000 * MS, "EAGAIN after %llu ms",
	      (unsigned long long)((now_ns() - t0) / MS));
	CHECK(getfl(pa[0]) == (fl0 | O_NONBLOCK), "F_GETFL %#o after EAGAIN",
	      getfl(pa[0]));

	i = 0;
	CHECK(ioctl(pa[0], FIONBIO, &i) == 0, "FIONBIO: %s", strerror(errno));
	check_flags(pa[0], fl0, fi0, "after FIONBIO 0");

	/* Blocking again. */
	o.fd = pa[0];
	t = block_and_probe(&o, "read() after FIONBIO 0");
	CHECK(write(pa[1], "z", 1) == 1, "write: %s", strerror(errno));
	join(t, "read_one");
	CHECK(o.n == 1 && o.buf[0] == 'z', "read %zd bytes (%s)", o.n,
	      strerror(o.err));
	check_flags(pa[0], fl0, fi0, "after the blocking read");

	for (i = 0; i < 2; i++)
		CHECK(close(pa[i]) == 0 && close(pb[i]) == 0, "close");
	munmap(mon, sizeof(*mon));
}

static const char msg[] = "wake from the child";

static int child_socket(const int sv[2], const int want[2][2])
{
	int i;

	watchdog(60);
	for (i = 0; i < 2; i++) {
		if (fcntl(sv[i], F_GETFL) != want[i][0])
			return 10 + i;
		if (fdinfo_flags(sv[i]) != want[i][1])
			return 20 + i;
	}
	if (write(sv[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return 30;
	return 0;
}

static void socketpair_child(void)
{
	struct one o = { .sock = true };
	int sv[2], want[2][2], i, status;
	pthread_t t;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s",
	      strerror(errno));
	for (i = 0; i < 2; i++) {
		want[i][0] = getfl(sv[i]);
		want[i][1] = fdinfo_flags(sv[i]);
		CHECK(!(want[i][0] & O_NONBLOCK), "a new socket is O_NONBLOCK");
	}
	o.fd = sv[0];
	t = block_and_probe(&o, "recv() on a socketpair");
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(child_socket(sv, (const int(*)[2])want));
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "socketpair child status %#x (exit 1x: F_GETFL, 2x: fdinfo of "
	      "end x differs; 30: write)",
	      status);
	join(t, "recv");
	CHECK(o.n == sizeof(msg) && memcmp(o.buf, msg, sizeof(msg)) == 0,
	      "recv returned %zd (%s), want the child's message", o.n,
	      o.n < 0 ? strerror(o.err) : "");
	for (i = 0; i < 2; i++) {
		check_flags(sv[i], want[i][0], want[i][1], "socketpair end");
		CHECK(close(sv[i]) == 0, "close");
	}
}

int main(void)
{
	watchdog(60);
	pipes();
	socketpair_child();
	return 0;
}
