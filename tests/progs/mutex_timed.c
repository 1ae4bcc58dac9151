/*
 * Proves that timed mutex locking honours its deadline and clock:
 * - pthread_mutex_timedlock on a mutex held by another thread, with a
 *   CLOCK_REALTIME deadline 100 ms ahead, fails with ETIMEDOUT after at
 *   least 100 ms (less 1 ms for rounding) and well under 5 s; with a
 *   deadline in the past it fails with ETIMEDOUT at once; with tv_nsec -1
 *   or 1000000000 it fails with EINVAL;
 * - on a free mutex timedlock succeeds even with an invalid timespec
 *   (POSIX: validity need not be checked if the mutex can be locked at
 *   once; glibc does not check it);
 * - pthread_mutex_clocklock with CLOCK_MONOTONIC and CLOCK_REALTIME times
 *   out likewise, and fails with EINVAL for clock 12345 or an invalid
 *   tv_nsec;
 * - a thread waiting in timedlock with a 10 s deadline gets the mutex as
 *   soon as its holder unlocks it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool held, release, waiting;
static uint64_t acquired_at;

static void *holder(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "holder lock");
	atomic_store(&held, true);
	CHECK(wait_until(atomic_load(&release), 20), "never released");
	CHECK(pthread_mutex_unlock(&m) == 0, "holder unlock");
	return NULL;
}

/* Times out on the held mutex after >= 100 ms; clk -1 means timedlock. */
static void check_times_out(clockid_t clk, const char *what)
{
	struct timespec ts = deadline_in(clk == -1 ? CLOCK_REALTIME : clk, 100);
	uint64_t t0 = now_ns(), el;
	int err;

	if (clk == -1)
		err = pthread_mutex_timedlock(&m, &ts);
	else
		err = pthread_mutex_clocklock(&m, clk, &ts);
	el = now_ns() - t0;
	CHECK(err == ETIMEDOUT, "%s: returned %d", what, err);
	CHECK(el >= 99 * MS && el < 5000 * MS, "%s: timed out after %llu ms",
	      what, (unsigned long long)(el / MS));
}

static void check_held(void)
{
	struct timespec past, bad[2] = { { 0, -1 }, { 0, 1000000000 } };
	uint64_t t0, el;
	int i, err;

	check_times_out(-1, "timedlock");
	check_times_out(CLOCK_MONOTONIC, "clocklock monotonic");
	check_times_out(CLOCK_REALTIME, "clocklock realtime");

	past = deadline_in(CLOCK_REALTIME, -1000);
	t0 = now_ns();
	err = pthread_mutex_timedlock(&m, &past);
	el = now_ns() - t0;
	CHECK(err == ETIMEDOUT, "timedlock, deadline in the past: %d", err);
	CHECK(el < 1000 * MS, "past deadline took %llu ms",
	      (unsigned long long)(el / MS));
	past.tv_sec = 0;
	past.tv_nsec = 0;
	err = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &past);
	CHECK(err == ETIMEDOUT, "clocklock, deadline 0: %d", err);

	for (i = 0; i < 2; i++) {
		err = pthread_mutex_timedlock(&m, &bad[i]);
		CHECK(err == EINVAL, "timedlock tv_nsec %ld: %d",
		      bad[i].tv_nsec, err);
		err = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &bad[i]);
		CHECK(err == EINVAL, "clocklock tv_nsec %ld: %d",
		      bad[i].tv_nsec, err);
	}
	past = deadline_in(CLOCK_MONOTONIC, 100);
	err = pthread_mutex_clocklock(&m, 12345, &past);
	CHECK(err == EINVAL, "clocklock clock 12345: %d", err);
}

static void check_free(void)
{
	struct timespec bad[2] = { { 0, -1 }, { 0, 1000000000 } };
	int i;

	for (i = 0; i < 2; i++) {
		CHECK(pthread_mutex_timedlock(&m, &bad[i]) == 0,
		      "timedlock of a free mutex, tv_nsec %ld", bad[i].tv_nsec);
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	}
}

static void *waiter(void *arg)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, 10000);
	int err;

	(void)arg;
	atomic_store(&waiting, true);
	err = pthread_mutex_timedlock(&m, &ts);
	acquired_at = now_ns();
	CHECK(err == 0, "waiter timedlock: %d", err);
	CHECK(pthread_mutex_unlock(&m) == 0, "waiter unlock");
	return NULL;
}

/* Main holds the mutex; a timedlock waiter gets it when main unlocks. */
static void check_wakeup(void)
{
	struct timespec nap = { 0, 50 * MS };
	uint64_t unlocked_at;
	pthread_t t;
	int err;

	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	err = pthread_create(&t, NULL, waiter, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(wait_until(atomic_load(&waiting), 20), "waiter never started");
	nanosleep(&nap, NULL); /* let the waiter block in timedlock */
	unlocked_at = now_ns();
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(acquired_at - unlocked_at < 5000 * MS,
	      "waiter got the mutex %llu ms after the unlock",
	      (unsigned long long)((acquired_at - unlocked_at) / MS));
}

int main(void)
{
	pthread_t t;
	int err;

	watchdog(30);

	err = pthread_create(&t, NULL, holder, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(wait_until(atomic_load(&held), 20), "holder never locked");
	check_held();
	atomic_store(&release, true);
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");

	check_free();
	check_wakeup();
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
	return 0;
}
