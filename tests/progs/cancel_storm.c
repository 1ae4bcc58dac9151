/*
 * Proves that cancelling many parked threads at once loses none and
 * leaves nothing behind: 10,000 threads with 64 KiB stacks each push a
 * cleanup handler and park on one of five waits (a condvar wait on one
 * mutex, sem_wait on one semaphore, nanosleep of 60 s, read of one empty
 * pipe, pthread_join of a thread of its own, one of 2,000 more, that
 * never ends by itself). Once all are about to park (and 200 ms more),
 * main cancels all, then joins all: each gives PTHREAD_CANCELED, each
 * cleanup handler ran once (the condvar waiters' own handler, which
 * unlocks the mutex, too), and the joined-upon threads are still joinable
 * (main ends and joins them). Afterwards as many fds are open as before;
 * a second round does the same, and leaves the process at most 32 MiB
 * larger than the first did (10,000 threads left behind would hold a page
 * each at least). Natively, a machine that cannot make the threads skips
 * (77). The joins of a round must be over in 60 s; watchdog 150 s.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "check.h"

#define NTHREADS 10000
#define STACK	 (64 * 1024)
#define RETURNED ((void *)1)
#define JOINED	 ((void *)2)
#define JOIN_MS	 60000 /* for all the joins of a round */
/* Far less than 10,000 threads left behind would hold (a page each). */
#define RSS_SLACK_KIB (32 * 1024)

enum wait { COND, SEM, SLEEP, READ, JOIN, NWAITS };

struct slot {
	pthread_t thread;
	pthread_t joined; /* for JOIN: a thread that waits on end_joined */
	enum wait wait;
};

static struct slot slots[NTHREADS];
static pthread_attr_t attr;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t sem, end_joined;
static int empty_pipe[2];
static atomic_int parking, cleanups, unlocks;

static void on_cleanup(void *arg)
{
	(void)arg;
	atomic_fetch_add(&cleanups, 1);
}

static void unlock_mu(void *arg)
{
	(void)arg;
	atomic_fetch_add(&unlocks, 1);
	CHECK(pthread_mutex_unlock(&mu) == 0, "unlock in the handler");
}

static void wait_cond(struct slot *s)
{
	(void)s;
	CHECK(pthread_mutex_lock(&mu) == 0, "lock");
	pthread_cleanup_push(unlock_mu, NULL);
	atomic_fetch_add(&parking, 1);
	while (pthread_cond_wait(&cv, &mu) == 0)
		;
	pthread_cleanup_pop(1);
}

static void wait_sem(struct slot *s)
{
	(void)s;
	atomic_fetch_add(&parking, 1);
	sem_wait(&sem);
}

static void wait_sleep(struct slot *s)
{
	struct timespec ts = { 60, 0 };

	(void)s;
	atomic_fetch_add(&parking, 1);
	nanosleep(&ts, NULL);
}

static void wait_read(struct slot *s)
{
	char c;

	(void)s;
	atomic_fetch_add(&parking, 1);
	(void)!read(empty_pipe[0], &c, 1);
}

static void wait_join(struct slot *s)
{
	atomic_fetch_add(&parking, 1);
	pthread_join(s->joined, NULL);
}

static void (*const waits[NWAITS])(struct slot *) = {
	[COND] = wait_cond, [SEM] = wait_sem,	[SLEEP] = wait_sleep,
	[READ] = wait_read, [JOIN] = wait_join,
};

static void *target(void *arg)
{
	struct slot *s = arg;

	pthread_cleanup_push(on_cleanup, s);
	waits[s->wait](s);
	pthread_cleanup_pop(0);
	return RETURNED;
}

static void *wait_for_end(void *arg)
{
	(void)arg;
	while (sem_wait(&end_joined) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	return JOINED;
}

/*
 * Natively the machine may run out of threads: skip. Preloaded, the
 * library must make them all.
 */
static void create(pthread_t *t, void *(*fn)(void *), void *arg, int made)
{
	int err = pthread_create(t, &attr, fn, arg);

	if (err == EAGAIN && getenv("LD_PRELOAD") == NULL) {
		printf("SKIP: pthread_create: EAGAIN after %d threads\n", made);
		fflush(stdout);
		_exit(EXIT_SKIP);
	}
	CHECK(err == 0, "pthread_create %d: %s", made, strerror(err));
}

/* Joins t, which must end with expected before the round's deadline. */
static void join_as(pthread_t t, void *expected, const char *what, int i,
		    const struct timespec *deadline)
{
	void *res;
	int err = pthread_timedjoin_np(t, &res, deadline);

	CHECK(err == 0, "join %s %d (wait %d): %s", what, i, slots[i].wait,
	      strerror(err));
	CHECK(res == expected, "%s %d (wait %d) ended with %p, not %p", what, i,
	      slots[i].wait, res, expected);
}

static void round_of(int round)
{
	struct timespec settle = { 0, 200 * MS }, deadline;
	uint64_t t0 = now_ns();
	int i, made = 0, err, n_join = 0;

	atomic_store(&parking, 0);
	atomic_store(&cleanups, 0);
	atomic_store(&unlocks, 0);
	for (i = 0; i < NTHREADS; i++) {
		slots[i].wait = i % NWAITS;
		if (slots[i].wait == JOIN) {
			create(&slots[i].joined, wait_for_end, NULL, made++);
			n_join++;
		}
		create(&slots[i].thread, target, &slots[i], made++);
	}
	CHECK(wait_until(atomic_load(&parking) == NTHREADS, 60),
	      "round %d: %d of %d threads parking", round,
	      atomic_load(&parking), NTHREADS);
	nanosleep(&settle, NULL);

	deadline = deadline_in(CLOCK_REALTIME, JOIN_MS);
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_cancel(slots[i].thread);
		CHECK(err == 0, "cancel %d: %s", i, strerror(err));
	}
	for (i = 0; i < NTHREADS; i++)
		join_as(slots[i].thread, PTHREAD_CANCELED, "thread", i,
			&deadline);
	CHECK(atomic_load(&cleanups) == NTHREADS, "round %d: %d cleanups",
	      round, atomic_load(&cleanups));
	CHECK(atomic_load(&unlocks) == (NTHREADS + NWAITS - 1) / NWAITS,
	      "round %d: %d condvar handlers", round, atomic_load(&unlocks));

	for (i = 0; i < n_join; i++)
		CHECK(sem_post(&end_joined) == 0, "sem_post");
	for (i = 0; i < NTHREADS; i++)
		if (slots[i].wait == JOIN)
			join_as(slots[i].joined, JOINED, "joined-upon thread",
				i, &deadline);
	CHECK(pthread_mutex_trylock(&mu) == 0 && pthread_mutex_unlock(&mu) == 0,
	      "round %d: the mutex is left locked", round);
	printf("round %d: %d threads parked, cancelled and joined in %llu ms\n",
	       round, made, (unsigned long long)((now_ns() - t0) / MS));
	fflush(stdout);
}

/* The resident set of the process, in KiB. */
static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	CHECK(f != NULL, "/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	CHECK(kib > 0, "no VmRSS in /proc/self/status");
	return kib;
}

/* A library may open fds of its own on the first wait for an fd. */
static void warm_up(void)
{
	struct pollfd pfd = { empty_pipe[0], POLLIN, 0 };

	CHECK(poll(&pfd, 1, 1) == 0, "poll: %s", strerror(errno));
}

int main(void)
{
	long rss = 0;
	int fds, round;

	watchdog(150);
	CHECK(pthread_attr_init(&attr) == 0 &&
		      pthread_attr_setstacksize(&attr, STACK) == 0,
	      "attr");
	CHECK(sem_init(&sem, 0, 0) == 0 && sem_init(&end_joined, 0, 0) == 0,
	      "sem_init");
	CHECK(pipe(empty_pipe) == 0, "pipe: %s", strerror(errno));
	warm_up();
	fds = count_fds();
	for (round = 1; round <= 2; round++) {
		round_of(round);
		if (round == 1)
			rss = rss_kib();
		CHECK(rss_kib() < rss + RSS_SLACK_KIB,
		      "round %d: %ld KiB resident after round 1, %ld now",
		      round, rss, rss_kib());
		CHECK(count_fds() == fds,
		      "round %d: %d fds open before, %d after", round, fds,
		      count_fds());
	}
	return 0;
}
