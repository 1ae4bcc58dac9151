/*
 * Each thread's CPU clock counts that thread's time only:
 * - two threads spin until their own CLOCK_THREAD_CPUTIME_ID shows
 *   100 ms; read from main through pthread_getcpuclockid() meanwhile,
 *   their clocks and main's never add up to more than the process's CPU
 *   clock read after them, and never go backwards;
 * - main, asleep meanwhile, gains under 50 ms on its own clock, and the
 *   clock pthread_getcpuclockid(pthread_self()) gives is the same clock;
 * - once a spinner has stopped and waits, its clock read from main is at
 *   least what it read itself and gains under 50 ms more;
 * - a thread that yields and sleeps by turns (moving between kernel
 *   threads under sprout) reads its own clock going up, never down;
 * - clock_getres() of a live thread's clock gives CLOCK_THREAD_CPUTIME_ID's
 *   resolution; clock_nanosleep() on it for 30 ms, relative and absolute,
 *   returns 0 after it has gained that much; on the caller's own clock it
 *   gives EINVAL;
 * - after a thread ends, clock_gettime() and clock_getres() of its clock
 *   give EINVAL (within 5 s: the kernel thread ends a moment after
 *   pthread_join() returns);
 * - a child of fork() starts its thread clock again: under half of what
 *   the forking thread had spun.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define SPIN_NS (100 * MS)

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	CHECK(clock_gettime(clk, &ts) == 0, "clock_gettime(%d): %s", (int)clk,
	      strerror(errno));
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spin until the own clock shows ns more, or *stop. */
static void spin_own(int64_t ns, atomic_bool *stop)
{
	int64_t start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint64_t wall = now_ns();

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < ns &&
	       !(stop && atomic_load(stop)))
		CHECK(now_ns() - wall < 30000 * MS,
		      "30 s without %lld ms of CPU", (long long)(ns / MS));
}

struct spinner {
	pthread_t t;
	clockid_t clk;
	sem_t done, go;
	int64_t spin;	  /* ns of CPU to spin */
	atomic_bool stop; /* or until this is set */
	int64_t own_end;  /* its own clock when it stopped spinning */
	uint64_t started; /* now_ns() as it began */
};

static void *spinner(void *arg)
{
	struct spinner *s = arg;

	s->started = now_ns();
	spin_own(s->spin, &s->stop);
	s->own_end = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	CHECK((uint64_t)s->own_end <= now_ns() - s->started + MS,
	      "%lld ns of CPU in %llu ns", (long long)s->own_end,
	      (unsigned long long)(now_ns() - s->started));
	sem_post(&s->done);
	sem_wait20(&s->go, "go");
	return NULL;
}

static atomic_bool mover_stop;

static void *mover(void *arg)
{
	int64_t last = 0, now;
	int i;

	(void)arg;
	for (i = 0; i < 20000 && !atomic_load(&mover_stop); i++) {
		if (i % 100 == 0)
			usleep(100);
		else
			sched_yield();
		now = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		CHECK(now >= last, "own clock went back: %lld after %lld",
		      (long long)now, (long long)last);
		last = now;
	}
	return NULL;
}

static void spinner_start(struct spinner *s, int64_t spin)
{
	int err;

	sem_init(&s->done, 0, 0);
	sem_init(&s->go, 0, 0);
	s->spin = spin;
	atomic_init(&s->stop, false);
	CHECK(pthread_create(&s->t, NULL, spinner, s) == 0, "pthread_create");
	err = pthread_getcpuclockid(s->t, &s->clk);
	CHECK(err == 0, "pthread_getcpuclockid: %s", strerror(err));
}

static void sum_below_process(struct spinner *s, int n, clockid_t self)
{
	int64_t sum = clock_ns(self), proc;
	int i;

	for (i = 0; i < n; i++)
		sum += clock_ns(s[i].clk);
	proc = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(sum <= proc + (int64_t)MS,
	      "threads' clocks add up to %lld ns, the process's is %lld",
	      (long long)sum, (long long)proc);
}

static void sleep_on_other(clockid_t clk)
{
	struct timespec d = { 0, 30 * MS }, abs;
	int64_t before = clock_ns(clk);
	int err;

	err = clock_nanosleep(clk, 0, &d, NULL);
	CHECK(err == 0, "relative clock_nanosleep: %s", strerror(err));
	CHECK(clock_ns(clk) - before >= (int64_t)(30 * MS),
	      "woke %lld ns of its CPU later",
	      (long long)(clock_ns(clk) - before));
	CHECK(clock_gettime(clk, &abs) == 0, "clock_gettime");
	abs.tv_nsec += 30 * MS;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_nsec -= 1000000000;
		abs.tv_sec++;
	}
	err = clock_nanosleep(clk, TIMER_ABSTIME, &abs, NULL);
	CHECK(err == 0, "absolute clock_nanosleep: %s", strerror(err));
	before = abs.tv_sec * 1000000000ll + abs.tv_nsec;
	CHECK(clock_ns(clk) >= before,
	      "woke with its CPU clock at %lld, "
	      "before %lld",
	      (long long)clock_ns(clk), (long long)before);
}

static void gone(clockid_t clk)
{
	struct timespec ts;
	uint64_t start = now_ns();

	while (clock_gettime(clk, &ts) == 0)
		CHECK(now_ns() - start < 5000 * MS,
		      "an ended thread's clock still reads");
	CHECK(errno == EINVAL, "clock_gettime: %s", strerror(errno));
	CHECK(clock_getres(clk, &ts) == -1 && errno == EINVAL,
	      "clock_getres of an ended thread's clock");
}

static void fork_child_clock(clockid_t self)
{
	int64_t parent;
	pid_t pid;

	spin_own(60 * MS, NULL);
	parent = clock_ns(self);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int64_t child = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		if (child >= parent / 2) {
			fprintf(stderr,
				"FAIL: child's clock %lld, parent's %lld\n",
				(long long)child, (long long)parent);
			_exit(1);
		}
		_exit(0);
	}
	CHECK(reap(pid, "child") == 0, "child failed");
}

int main(void)
{
	struct spinner s[2], t;
	struct timespec res, want, d = { 0, MS };
	int64_t main0, main1, last[2] = { 0, 0 }, seen, last_mv = 0;
	bool done[2] = { false, false };
	clockid_t self, clk;
	pthread_t mv;
	int i, err;

	watchdog(100);
	err = pthread_getcpuclockid(pthread_self(), &self);
	CHECK(err == 0, "pthread_getcpuclockid(self): %s", strerror(err));
	for (i = 0; i < 2; i++)
		spinner_start(&s[i], SPIN_NS);
	main0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	CHECK(clock_ns(self) >= main0, "own clocks differ");
	while (!done[0] || !done[1]) {
		sum_below_process(s, 2, self);
		for (i = 0; i < 2; i++) {
			seen = clock_ns(s[i].clk);
			CHECK(seen >= last[i], "clock went back: %lld, %lld",
			      (long long)seen, (long long)last[i]);
			last[i] = seen;
			done[i] = done[i] || sem_trywait(&s[i].done) == 0;
		}
		usleep(10000);
	}
	main1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	CHECK(main1 - main0 < (int64_t)(50 * MS),
	      "main, asleep, gained %lld ns", (long long)(main1 - main0));
	sum_below_process(s, 2, self);
	for (i = 0; i < 2; i++) {
		seen = clock_ns(s[i].clk);
		CHECK(seen >= s[i].own_end &&
			      seen - s[i].own_end < (int64_t)(50 * MS),
		      "a waiting thread's clock reads %lld, its own %lld",
		      (long long)seen, (long long)s[i].own_end);
	}

	CHECK(clock_getres(CLOCK_THREAD_CPUTIME_ID, &want) == 0, "getres");
	CHECK(clock_getres(s[0].clk, &res) == 0, "clock_getres: %s",
	      strerror(errno));
	CHECK(res.tv_sec == want.tv_sec && res.tv_nsec == want.tv_nsec,
	      "resolution %ld ns, want %ld", res.tv_nsec, want.tv_nsec);
	err = clock_nanosleep(self, 0, &d, NULL);
	CHECK(err == EINVAL, "sleep on own clock: %s", strerror(err));
	err = clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &d, NULL);
	CHECK(err == EINVAL, "sleep on CLOCK_THREAD_CPUTIME_ID: %s",
	      strerror(err));

	for (i = 0; i < 2; i++) {
		sem_post(&s[i].go);
		CHECK(pthread_join(s[i].t, NULL) == 0, "join");
	}
	gone(s[0].clk);
	gone(s[1].clk);

	/* Sleep on the clock of a thread that spins until told to stop. */
	spinner_start(&t, 60000 * MS);
	sleep_on_other(t.clk);
	atomic_store(&t.stop, true);
	sem_wait20(&t.done, "done");
	sem_post(&t.go);
	CHECK(pthread_join(t.t, NULL) == 0, "join");
	gone(t.clk);

	/* The clock of a thread that moves about, read by it and from here. */
	CHECK(pthread_create(&mv, NULL, mover, NULL) == 0, "create");
	CHECK(pthread_getcpuclockid(mv, &clk) == 0, "clockid");
	for (i = 0; i < 200 && clock_gettime(clk, &res) == 0; i++) {
		seen = res.tv_sec * 1000000000ll + res.tv_nsec;
		CHECK(seen >= last_mv, "clock went back: %lld, %lld",
		      (long long)seen, (long long)last_mv);
		last_mv = seen;
		usleep(1000);
	}
	atomic_store(&mover_stop, true);
	CHECK(pthread_join(mv, NULL) == 0, "join");

	fork_child_clock(self);
	puts("ok");
	return 0;
}
