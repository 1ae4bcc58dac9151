/*
 * Proves that a thread waiting on a file only ever learns of the close of
 * that file, never of the close of a file that had its fd number before,
 * while other threads close fds and are given their numbers again:
 *
 * (a) Four pairs of threads ping-pong one byte for 2.5 s, two pairs over
 *     pipes, two over socketpairs; each side waits in poll() (or, every
 *     other round, straight in read()/recv()) and then reads. Beside them
 *     three threads churn fd numbers as fast as they can: socket() and
 *     close(), pipe() and close(), and dup2() onto a number they own then
 *     close(). Every poll() must say POLLIN within 10 s and every read
 *     must get its byte; at least 100 round trips per pair.
 * (b) 300 times: a thread blocks in read() on a pipe; main closes that
 *     read end while a second thread makes pipes until it is given the
 *     old number again, then reads from that one, which main's write
 *     then fills. The first read ends (EBADF, or the byte main writes to
 *     the old pipe, as natively); the second gets its byte.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define PAIRS 4
#define SECS  2.5

static atomic_bool stop;
static atomic_long trips[PAIRS];

struct pair {
	int idx;
	int fd[2][2]; /* side s reads fd[s][0], writes fd[s][1] */
	bool sock;
};

static void get_byte(struct pair *p, int side, long round)
{
	int fd = p->fd[side][0];
	char c;
	ssize_t n;

	if (round % 2 == 0) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int r = poll(&pf, 1, 10000);

		CHECK(r == 1 && (pf.revents & POLLIN),
		      "pair %d side %d round %ld: poll(%d) = %d revents %#x: "
		      "%s",
		      p->idx, side, round, fd, r, pf.revents, strerror(errno));
	}
	n = p->sock ? recv(fd, &c, 1, 0) : read(fd, &c, 1);
	CHECK(n == 1, "pair %d side %d round %ld: read(%d) = %zd: %s", p->idx,
	      side, round, fd, n, strerror(errno));
}

static void put_byte(struct pair *p, int side)
{
	char c = 'x';
	ssize_t n = p->sock ? send(p->fd[side][1], &c, 1, 0)
			    : write(p->fd[side][1], &c, 1);

	CHECK(n == 1, "pair %d: write: %s", p->idx, strerror(errno));
}

/* Side 1 answers every byte; side 0 sends until told to stop, then -1. */
static void *side1(void *arg)
{
	struct pair *p = arg;
	long round;

	for (round = 0;; round++) {
		char c;
		ssize_t n;

		if (round % 2 == 0) {
			struct pollfd pf = { p->fd[1][0], POLLIN, 0 };
			int r = poll(&pf, 1, 10000);

			CHECK(r == 1, "pair %d side 1 round %ld: poll = %d: %s",
			      p->idx, round, r, strerror(errno));
		}
		n = p->sock ? recv(p->fd[1][0], &c, 1, 0)
			    : read(p->fd[1][0], &c, 1);
		CHECK(n == 1, "pair %d side 1 round %ld: read = %zd: %s",
		      p->idx, round, n, strerror(errno));
		if (c == 'q')
			return NULL;
		put_byte(p, 1);
	}
}

static void *side0(void *arg)
{
	struct pair *p = arg;
	long round;
	char q = 'q';

	for (round = 0; !atomic_load(&stop); round++) {
		put_byte(p, 0);
		get_byte(p, 0, round);
		atomic_fetch_add(&trips[p->idx], 1);
	}
	CHECK((p->sock ? send(p->fd[0][1], &q, 1, 0)
		       : write(p->fd[0][1], &q, 1)) == 1,
	      "write q: %s", strerror(errno));
	return NULL;
}

static void *churn(void *arg)
{
	long kind = (long)arg;
	int mine = -1, fds[2];
	long n = 0;

	while (!atomic_load(&stop)) {
		switch (kind) {
		case 0: {
			int s = socket(AF_INET, SOCK_STREAM, 0);

			CHECK(s >= 0, "socket: %s", strerror(errno));
			CHECK(close(s) == 0, "close: %s", strerror(errno));
			break;
		}
		case 1:
			CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
			close(fds[0]);
			close(fds[1]);
			break;
		default:
			/* A number of its own, replaced by dup2 while live. */
			if (mine < 0)
				mine = socket(AF_UNIX, SOCK_STREAM, 0);
			CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
			CHECK(dup2(fds[n % 2], mine) == mine, "dup2: %s",
			      strerror(errno));
			close(fds[0]);
			close(fds[1]);
			break;
		}
		/* Bursts, then a pause: others' wakes need a P that polls. */
		if (++n % 8 == 0)
			usleep(100);
	}
	if (mine >= 0)
		close(mine);
	return NULL;
}

static void phase_a(void)
{
	struct pair pairs[PAIRS];
	pthread_t t[2 * PAIRS + 3];
	int i, s, nt = 0;
	uint64_t end;

	for (i = 0; i < PAIRS; i++) {
		pairs[i].idx = i;
		pairs[i].sock = i % 2;
		for (s = 0; s < 2; s++) {
			int f[2], r;

			r = pairs[i].sock
				    ? socketpair(AF_UNIX, SOCK_STREAM, 0, f)
				    : pipe(f);
			CHECK(r == 0, "pipe: %s", strerror(errno));
			/* side s reads what side 1 - s writes */
			pairs[i].fd[s][0] = f[0];
			pairs[i].fd[1 - s][1] = f[1];
		}
	}
	for (i = 0; i < PAIRS; i++) {
		CHECK(pthread_create(&t[nt++], NULL, side1, &pairs[i]) == 0,
		      "pthread_create");
		CHECK(pthread_create(&t[nt++], NULL, side0, &pairs[i]) == 0,
		      "pthread_create");
	}
	for (i = 0; i < 3; i++)
		CHECK(pthread_create(&t[nt++], NULL, churn, (void *)(long)i) ==
			      0,
		      "pthread_create");
	end = now_ns() + (uint64_t)(SECS * 1e9);
	while (now_ns() < end)
		usleep(10000);
	atomic_store(&stop, true);
	for (i = 0; i < nt; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	printf("round trips: %ld %ld %ld %ld\n", atomic_load(&trips[0]),
	       atomic_load(&trips[1]), atomic_load(&trips[2]),
	       atomic_load(&trips[3]));
	for (i = 0; i < PAIRS; i++) {
		CHECK(atomic_load(&trips[i]) >= 100, "pair %d: %ld round trips",
		      i, atomic_load(&trips[i]));
		for (s = 0; s < 2; s++) {
			close(pairs[i].fd[s][0]);
			close(pairs[i].fd[s][1]);
		}
	}
}

static int old[2];
static atomic_int reused = -1;

static atomic_bool reading;

/*
 * Reads the pipe main closes: natively it keeps the file and gets main's
 * byte; the shim may end it with EBADF. Should it start only after the
 * number was given again, it reads the new pipe: main writes two bytes
 * there.
 */
static void *old_reader(void *arg)
{
	char c;
	ssize_t n;

	(void)arg;
	atomic_store(&reading, true);
	n = read(old[0], &c, 1);
	CHECK(n == 1 || (n < 0 && errno == EBADF),
	      "read of a closed pipe: %zd: %s", n, strerror(errno));
	return NULL;
}

static atomic_bool closing;

/* Makes pipes until one takes the closed number, then reads it. */
static void *new_reader(void *arg)
{
	int target = (int)(long)arg, f[2];
	uint64_t end = now_ns() + 5000 * MS;
	char c;
	ssize_t n;

	while (!atomic_load(&closing))
		sched_yield();
	for (;;) {
		CHECK(pipe(f) == 0, "pipe: %s", strerror(errno));
		if (f[0] == target)
			break;
		close(f[0]);
		close(f[1]);
		CHECK(now_ns() < end, "the closed number %d is not given again",
		      target);
	}
	atomic_store(&reused, f[1]);
	n = read(f[0], &c, 1);
	CHECK(n == 1, "read of the new pipe %d: %zd: %s", f[0], n,
	      strerror(errno));
	close(f[0]);
	close(f[1]);
	return NULL;
}

static void phase_b(void)
{
	int i;

	for (i = 0; i < 300; i++) {
		pthread_t a, b;
		int w;
		char c = 'y';

		CHECK(pipe(old) == 0, "pipe: %s", strerror(errno));
		atomic_store(&reused, -1);
		atomic_store(&closing, false);
		atomic_store(&reading, false);
		CHECK(pthread_create(&a, NULL, old_reader, NULL) == 0,
		      "pthread_create");
		while (!atomic_load(&reading))
			sched_yield();
		usleep(i % 4 == 0 ? 1000 : 50); /* most likely parked */
		CHECK(pthread_create(&b, NULL, new_reader,
				     (void *)(long)old[0]) == 0,
		      "pthread_create");
		atomic_store(&closing, true);
		CHECK(close(old[0]) == 0, "close: %s", strerror(errno));
		(void)!write(old[1], &c, 1); /* EPIPE (ignored) if closed */
		while ((w = atomic_load(&reused)) < 0)
			sched_yield();
		if (i % 2)
			usleep(200); /* let the new reader park */
		CHECK(write(w, "zz", 2) == 2, "write: %s", strerror(errno));
		CHECK(pthread_join(a, NULL) == 0, "pthread_join");
		CHECK(pthread_join(b, NULL) == 0, "pthread_join");
		close(old[1]);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	watchdog(60);
	phase_a();
	phase_b();
	return 0;
}
