/*
 * Proves the sleep family: 10,000 threads each sleep 100 ms at once and
 * every one sleeps at least that long, all within a few seconds; a thread
 * keeps running (yielding in a loop) while another sleeps, even on one
 * CPU; clock_nanosleep with absolute deadlines on CLOCK_MONOTONIC and
 * CLOCK_REALTIME wakes no earlier than the deadline; bad times give
 * EINVAL; sleep(0), usleep and thrd_sleep return 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NSLEEPERS 10000
#define NAP_MS	  100

static atomic_long too_short;

static void *sleeper(void *arg)
{
	struct timespec ts = { 0, NAP_MS * MS };
	uint64_t t0 = now_ns();

	(void)arg;
	if (nanosleep(&ts, NULL) != 0 || now_ns() - t0 < NAP_MS * MS)
		atomic_fetch_add(&too_short, 1);
	return NULL;
}

static void test_many_sleepers(void)
{
	static pthread_t t[NSLEEPERS];
	pthread_attr_t attr;
	uint64_t t0 = now_ns();
	int i;

	CHECK(pthread_attr_init(&attr) == 0, "attr");
	CHECK(pthread_attr_setstacksize(&attr, 64 * 1024) == 0, "stacksize");
	for (i = 0; i < NSLEEPERS; i++)
		CHECK(pthread_create(&t[i], &attr, sleeper, NULL) == 0,
		      "pthread_create %d", i);
	for (i = 0; i < NSLEEPERS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "join");
	pthread_attr_destroy(&attr);
	CHECK(atomic_load(&too_short) == 0, "%ld sleeps ended early",
	      atomic_load(&too_short));
	CHECK(now_ns() - t0 < 20000 * MS, "10,000 sleepers took %llu ms",
	      (unsigned long long)((now_ns() - t0) / MS));
}

static atomic_bool sleeping_done;
static atomic_long spins;

static void *long_sleeper(void *arg)
{
	(void)arg;
	CHECK(usleep(200000) == 0, "usleep");
	atomic_store(&sleeping_done, true);
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	while (!atomic_load(&sleeping_done))
		if (atomic_fetch_add(&spins, 1) % 64 == 0)
			sched_yield();
	return NULL;
}

/* A sleeping thread leaves the CPU to the others. */
static void test_others_run(void)
{
	pthread_t a, b;

	CHECK(pthread_create(&a, NULL, long_sleeper, NULL) == 0, "create");
	CHECK(pthread_create(&b, NULL, spinner, NULL) == 0, "create");
	CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0, "join");
	CHECK(atomic_load(&spins) > 1000, "spinner ran %ld times",
	      atomic_load(&spins));
}

static void test_clocks_and_errors(void)
{
	struct timespec ts, bad = { 0, 1000000000 }, neg = { -1, 0 };
	clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME };
	uint64_t t0;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		ts = deadline_in(clocks[i], 50);
		t0 = now_ns();
		CHECK(clock_nanosleep(clocks[i], TIMER_ABSTIME, &ts, NULL) == 0,
		      "clock_nanosleep abstime on clock %d", clocks[i]);
		CHECK(now_ns() - t0 >= 45 * MS, "woke after %llu ns",
		      (unsigned long long)(now_ns() - t0));
		ts.tv_sec = 0;
		ts.tv_nsec = 20 * MS;
		t0 = now_ns();
		CHECK(clock_nanosleep(clocks[i], 0, &ts, NULL) == 0,
		      "clock_nanosleep relative");
		CHECK(now_ns() - t0 >= 20 * MS, "relative woke early");
		CHECK(clock_nanosleep(clocks[i], 0, &bad, NULL) == EINVAL,
		      "bad nanoseconds");
	}
	errno = 0;
	CHECK(nanosleep(&bad, NULL) == -1 && errno == EINVAL, "nanosleep bad");
	errno = 0;
	CHECK(nanosleep(&neg, NULL) == -1 && errno == EINVAL,
	      "nanosleep negative");
	CHECK(sleep(0) == 0, "sleep(0)");
	t0 = now_ns();
	CHECK(usleep(10000) == 0 && now_ns() - t0 >= 10 * MS, "usleep");
	ts.tv_sec = 0;
	ts.tv_nsec = 10 * MS;
	t0 = now_ns();
	CHECK(thrd_sleep(&ts, NULL) == 0 && now_ns() - t0 >= 10 * MS,
	      "thrd_sleep");
}

int main(void)
{
	watchdog(60);
	test_clocks_and_errors();
	test_others_run();
	test_many_sleepers();
	return 0;
}
