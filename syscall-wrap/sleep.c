// SPDX-License-Identifier: MIT
/*
 * The sleep family on timers (DESIGN.md section 6, class 1): a G that
 * sleeps parks on its P's timer heap (g_sleep(), through the wait table),
 * and no kernel thread sleeps for it. A signal sent to it with
 * pthread_kill() ends the sleep with EINTR and the time left, as POSIX
 * says, when a handler runs.
 *
 * glibc's sleep(), usleep() and thrd_sleep() call its nanosleep inside
 * libc, out of the shim's reach, so each is interposed itself. Clocks
 * other than the four wall and monotonic ones (CPU-time clocks, alarms)
 * go to the kernel with the P handed off. Threads the shim did not create
 * sleep in the kernel, as they hold no P.
 */
#include <errno.h>
#include <limits.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "wrap.h"
#include "../shim/shim.h"

#define NS 1000000000

/* Sleep for *req; on EINTR, store the time left in *rem (may be req). */
static int sleep_for(const struct timespec *req, struct timespec *rem)
{
	int64_t start, slept;
	struct timespec left = *req;
	int err;

	cancel_point();
	start = nanotime();
	err = g_sleep(ts_after(start, req));
	cancel_point();
	if (err == EINTR && rem) {
		slept = nanotime() - start;
		left.tv_sec -= (time_t)(slept / NS);
		left.tv_nsec -= (long)(slept % NS);
		if (left.tv_nsec < 0) {
			left.tv_nsec += NS;
			left.tv_sec--;
		}
		if (left.tv_sec < 0)
			left.tv_sec = left.tv_nsec = 0;
		*rem = left;
	}
	return err;
}

/*
 * Sleep until *abs on clock clk (whose time may jump), or on the CPU
 * clock of G cpu_g if that is not NULL: as no G runs faster than the
 * wall clock, it sleeps the time the clock has still to go, then looks
 * again. 0 (also when cpu_g ends) or EINTR.
 */
static int sleep_until(clockid_t clk, struct g *cpu_g,
		       const struct timespec *abs)
{
	struct timespec now;

	cancel_point();
	for (;;) {
		int64_t left;

		if (!cpu_g)
			REAL(clock_gettime)(clk, &now);
		else if (cpuclock_now(cpu_g, &now))
			return 0;
		if (now.tv_sec > abs->tv_sec ||
		    (now.tv_sec == abs->tv_sec && now.tv_nsec >= abs->tv_nsec))
			return 0;
		left = (int64_t)(abs->tv_sec - now.tv_sec) * NS +
		       (abs->tv_nsec - now.tv_nsec);
		if (abs->tv_sec - now.tv_sec > INT64_MAX / NS - 1)
			left = -1;
		if (g_sleep(left < 0 ? -1 : nanotime() + left)) {
			cancel_point();
			return EINTR;
		}
	}
}

/*
 * The program's *req in *ts, read safely: false if req is NULL, cannot be
 * read or is not a valid time, for the kernel's call to say EFAULT or
 * EINVAL without waiting.
 */
static bool req_copy(const struct timespec *req, struct timespec *ts)
{
	return req && copy_in(ts, req, sizeof(*ts)) && ts_valid(ts);
}

static int do_nanosleep(const struct timespec *req, struct timespec *rem)
{
	struct timespec ts;
	int err;

	if (!req_copy(req, &ts))
		return REAL(nanosleep)(req, rem); /* EFAULT or EINVAL */
	err = sleep_for(&ts, rem);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

SPROUT_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!shim_on_g())
		return REAL(nanosleep)(req, rem);
	return do_nanosleep(req, rem);
}

#ifdef __GLIBC__
SPROUT_EXPORT int __nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!shim_on_g())
		return REAL(__nanosleep)(req, rem);
	return do_nanosleep(req, rem);
}
#endif

static void ts_add(struct timespec *a, const struct timespec *b, int sign)
{
	a->tv_sec += sign * b->tv_sec;
	a->tv_nsec += sign * b->tv_nsec;
	if (a->tv_nsec >= NS) {
		a->tv_nsec -= NS;
		a->tv_sec++;
	} else if (a->tv_nsec < 0) {
		a->tv_nsec += NS;
		a->tv_sec--;
	}
}

/*
 * clock_nanosleep() on the CPU clock of G gp (shim/cpuclock.c): until
 * another G has run that long, or to that time. On its own clock a
 * thread cannot sleep (EINVAL, as the kernel says).
 */
static int cpu_sleep(struct g *gp, int flags, const struct timespec *req,
		     struct timespec *rem)
{
	struct timespec ts, start, now;
	int err;

	if (!req_copy(req, &ts))
		return REAL(clock_nanosleep)(CLOCK_MONOTONIC, flags, req, rem);
	if (gp == getg())
		return EINVAL;
	if (cpuclock_now(gp, &start))
		return EINVAL;
	if (!(flags & TIMER_ABSTIME))
		ts_add(&ts, &start, 1);
	err = sleep_until(0, gp, &ts);
	if (err == EINTR && rem && !(flags & TIMER_ABSTIME)) {
		/* The time the clock had still to go. */
		if (cpuclock_now(gp, &now))
			now = ts;
		ts_add(&ts, &now, -1);
		if (ts.tv_sec < 0)
			ts.tv_sec = ts.tv_nsec = 0;
		if (!copy_out(rem, &ts, sizeof(ts)))
			return EFAULT;
	}
	return err;
}

SPROUT_EXPORT int clock_nanosleep(clockid_t clk, int flags,
				  const struct timespec *req,
				  struct timespec *rem)
{
	struct timespec ts;
	struct g *gp;

	if (!shim_on_g())
		return REAL(clock_nanosleep)(clk, flags, req, rem);
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		break;
	default:
		if (clk < 0 && (gp = cpuclock_g(clk)))
			return cpu_sleep(gp, flags, req, rem);
		/* Other CPU-time clocks, alarms, invalid ids: the kernel's. */
		return BLOCKING(LONG, int,
				REAL(clock_nanosleep)(clk, flags, req, rem));
	}
	if (!req_copy(req, &ts))
		return REAL(clock_nanosleep)(clk, flags, req, rem);
	if (flags & TIMER_ABSTIME)
		return sleep_until(clk, NULL, &ts);
	return sleep_for(&ts, rem);
}

SPROUT_EXPORT unsigned int sleep(unsigned int seconds)
{
	struct timespec ts = { (time_t)seconds, 0 };
	int saved = errno;

	if (!shim_on_g())
		return REAL(sleep)(seconds);
	if (sleep_for(&ts, &ts)) {
		errno = EINTR;
		return (unsigned int)ts.tv_sec;
	}
	errno = saved;
	return 0;
}

SPROUT_EXPORT int usleep(useconds_t usec)
{
	struct timespec ts = { (time_t)(usec / 1000000),
			       (long)(usec % 1000000) * 1000 };

	if (!shim_on_g())
		return REAL(usleep)(usec);
	return do_nanosleep(&ts, NULL);
}

SPROUT_EXPORT int thrd_sleep(const struct timespec *req, struct timespec *rem)
{
	int err;

	if (!shim_on_g())
		return REAL(thrd_sleep)(req, rem);
	err = clock_nanosleep(CLOCK_REALTIME, 0, req, rem);
	return err == 0 ? 0 : err == EINTR ? -1 : -2;
}
