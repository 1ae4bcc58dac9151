// SPDX-License-Identifier: MIT
/*
 * The sleep family on timers: sleep, usleep, nanosleep, clock_nanosleep
 * and thrd_sleep park the G until its deadline (in the wait table, on a
 * word of its own stack that nobody wakes); no kernel thread sleeps per
 * G. glibc's sleep() and usleep() call its nanosleep internally, so each
 * entry point is here.
 *
 * A parked sleeper is not interrupted by signals yet: it never returns
 * EINTR, so it never reports a remaining time.
 */
#include <errno.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "../shim/sync.h"

/* Park until the CLOCK_MONOTONIC deadline. */
static void park_until(int64_t deadline)
{
	_Atomic uint32_t word = 0;

	self_g();
	while (nanotime() < deadline)
		wt_futex_wait(&word, 0, deadline);
}

/* Clocks whose deadlines convert to CLOCK_MONOTONIC (sync.c). */
static bool parkable(clockid_t clock)
{
	return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC ||
	       clock == CLOCK_BOOTTIME || clock == CLOCK_REALTIME_COARSE ||
	       clock == CLOCK_MONOTONIC_COARSE;
}

static int sleep_rel(const struct timespec *req)
{
	int64_t ns;

	if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
		return EINVAL;
	if (req->tv_sec > (INT64_MAX - nanotime()) / 1000000000 - 1)
		ns = INT64_MAX - nanotime();
	else
		ns = (int64_t)req->tv_sec * 1000000000 + req->tv_nsec;
	park_until(nanotime() + ns);
	return 0;
}

static bool sleeps_here(void)
{
	return shim_on();
}

SPROUT_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	int r;

	if (!sleeps_here())
		return REAL(nanosleep)(req, rem);
	r = sleep_rel(req);
	if (r) {
		errno = r;
		return -1;
	}
	return 0;
}

SPROUT_EXPORT int __nanosleep(const struct timespec *req, struct timespec *rem)
{
	return nanosleep(req, rem);
}

SPROUT_EXPORT int clock_nanosleep(clockid_t clock, int flags,
				  const struct timespec *req,
				  struct timespec *rem)
{
	int64_t deadline;
	int r;

	if (!sleeps_here() || !parkable(clock))
		return REAL(clock_nanosleep)(clock, flags, req, rem);
	if (!(flags & TIMER_ABSTIME))
		return sleep_rel(req);
	r = deadline_of(req, clock, &deadline);
	if (r)
		return r;
	if (deadline != NO_DEADLINE)
		park_until(deadline);
	else
		park_until(INT64_MAX);
	return 0;
}

SPROUT_EXPORT unsigned int sleep(unsigned int seconds)
{
	struct timespec ts = { .tv_sec = seconds };

	if (!sleeps_here())
		return REAL(sleep)(seconds);
	sleep_rel(&ts);
	return 0;
}

SPROUT_EXPORT int usleep(useconds_t usec)
{
	struct timespec ts = { .tv_sec = usec / 1000000,
			       .tv_nsec = (long)(usec % 1000000) * 1000 };

	if (!sleeps_here())
		return REAL(usleep)(usec);
	sleep_rel(&ts);
	return 0;
}

SPROUT_EXPORT int thrd_sleep(const struct timespec *duration,
			     struct timespec *remaining)
{
	if (!sleeps_here())
		return REAL(thrd_sleep)(duration, remaining);
	/* C11: 0 when slept, -1 when interrupted, other negatives on error. */
	return sleep_rel(duration) ? -2 : 0;
}
