/*
 * Proves that a thread blocked inside glibc, where the library cannot see
 * it, does not stop the others.  With stdout redirected to a temporary
 * file: thread A takes flockfile(stdout), lets thread B go, sleeps
 * (nanosleep, 20 ms at a time) 200 ms and until C and D below have made
 * 100 round trips since B began to print (8 s at most; on a busy machine
 * that may take longer than 200 ms natively too), prints "A\n", flushes and
 * unlocks; B prints "B\n" and flushes, which waits inside glibc on the
 * FILE lock until A unlocks. Meanwhile threads C and D count mutex +
 * condvar ping-pong round trips (until B is done, at most 10 s).
 * Checks: A and B complete, the file holds exactly "A\nB\n", and C and D
 * made at least 100 round trips while B was blocked in printf. With one
 * processor under the library, A can only wake up and C and D can only
 * run if B's processor, stuck in glibc's lock, is handed to another
 * kernel thread; and C and D, which hand the processor to each other,
 * must not starve A and B (B's wait for A's semaphore fails if it takes
 * 10 s).  Watchdog 30 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define MIN_TRIPS 100

static sem_t go;
static atomic_long trips;
static atomic_bool stop;
static atomic_long b_before = -1; /* trips when B began to print */
static long b_after;

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int turn;
static bool quit;
static struct timespec pp_deadline;

static void *thread_a(void *arg)
{
	struct timespec ts = { 0, 20 * MS };
	long b;
	int i;

	(void)arg;
	flockfile(stdout);
	CHECK(sem_post(&go) == 0, "sem_post: %s", strerror(errno));
	for (i = 0; i < 400; i++) {
		CHECK(nanosleep(&ts, NULL) == 0, "nanosleep: %s",
		      strerror(errno));
		b = atomic_load(&b_before);
		/* 200 ms at least: shim/checks.sh reads sysmon's trace. */
		if (i >= 9 && b >= 0 && atomic_load(&trips) - b >= MIN_TRIPS)
			break;
	}
	CHECK(printf("A\n") == 2, "printf A: %s", strerror(errno));
	CHECK(fflush(stdout) == 0, "fflush A: %s", strerror(errno));
	funlockfile(stdout);
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	sem_wait20(&go, "B waiting for A");
	atomic_store(&b_before, atomic_load(&trips));
	CHECK(printf("B\n") == 2, "printf B: %s", strerror(errno));
	CHECK(fflush(stdout) == 0, "fflush B: %s", strerror(errno));
	b_after = atomic_load(&trips);
	return NULL;
}

static void wait_turn(int side)
{
	int err;

	while (turn != side) {
		err = pthread_cond_timedwait(&c, &m, &pp_deadline);
		CHECK(err == 0 || err == ETIMEDOUT, "cond_timedwait: %d", err);
		CHECK(err == 0 || turn == side,
		      "ping-pong stuck after %ld round trips",
		      atomic_load(&trips));
	}
}

/* C passes the turn to D until told to stop or 10 s have passed. */
static void *thread_c(void *arg)
{
	uint64_t end = now_ns() + 10000 * MS;

	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	for (;;) {
		wait_turn(0);
		if (atomic_load(&stop) || now_ns() > end)
			quit = true;
		turn = 1;
		CHECK(pthread_cond_signal(&c) == 0, "signal");
		if (quit)
			break;
	}
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

/* D counts a round trip each time it passes the turn back. */
static void *thread_d(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	for (;;) {
		wait_turn(1);
		if (quit)
			break;
		atomic_fetch_add(&trips, 1);
		turn = 0;
		CHECK(pthread_cond_signal(&c) == 0, "signal");
	}
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

static char path[64];

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

int main(void)
{
	pthread_t a, b, tc, td;
	char buf[16];
	int fd, saved;
	ssize_t n;

	watchdog(30);
	atexit(cleanup);
	snprintf(path, sizeof(path), "/tmp/sprout-flockfile-XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	CHECK(sem_init(&go, 0, 0) == 0, "sem_init: %s", strerror(errno));
	pp_deadline = deadline_in(CLOCK_REALTIME, 20000);

	CHECK(fflush(stdout) == 0, "fflush");
	saved = dup(1);
	CHECK(saved >= 0, "dup: %s", strerror(errno));
	CHECK(dup2(fd, 1) == 1, "dup2: %s", strerror(errno));

	CHECK(pthread_create(&tc, NULL, thread_c, NULL) == 0, "create C");
	CHECK(pthread_create(&td, NULL, thread_d, NULL) == 0, "create D");
	CHECK(pthread_create(&a, NULL, thread_a, NULL) == 0, "create A");
	CHECK(pthread_create(&b, NULL, thread_b, NULL) == 0, "create B");
	CHECK(pthread_join(a, NULL) == 0, "join A");
	CHECK(pthread_join(b, NULL) == 0, "join B");
	atomic_store(&stop, true);
	CHECK(pthread_join(tc, NULL) == 0, "join C");
	CHECK(pthread_join(td, NULL) == 0, "join D");

	CHECK(fflush(stdout) == 0, "fflush");
	CHECK(dup2(saved, 1) == 1, "dup2 back: %s", strerror(errno));
	CHECK(close(saved) == 0, "close");

	n = pread(fd, buf, sizeof(buf), 0);
	CHECK(n >= 0, "pread: %s", strerror(errno));
	CHECK(n == 4 && memcmp(buf, "A\nB\n", 4) == 0,
	      "the file holds \"%.*s\", want \"A\\nB\\n\"", (int)n, buf);
	CHECK(b_after - b_before >= MIN_TRIPS,
	      "%ld round trips while B waited for the FILE lock, want >= %d",
	      b_after - b_before, MIN_TRIPS);
	CHECK(close(fd) == 0, "close");
	CHECK(unlink(path) == 0, "unlink: %s", strerror(errno));
	path[0] = '\0';
	CHECK(sem_destroy(&go) == 0, "sem_destroy");
	return 0;
}
