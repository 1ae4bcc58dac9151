/*
 * Proves that the sleep functions keep glibc's (2.36, Linux) return
 * conventions and errors:
 * - nanosleep returns 0, or -1 with errno EINVAL for tv_nsec -1 or
 *   1000000000 or tv_sec -1, leaving *rem untouched;
 * - clock_nanosleep returns the error number itself and leaves errno
 *   alone, on success and on failure; it leaves *rem untouched on
 *   failure.  It returns EINVAL for tv_nsec -1 or 1000000000 or tv_sec -1
 *   (relative or TIMER_ABSTIME), for the unknown clocks 12345, 100 and -1,
 *   for CLOCK_THREAD_CPUTIME_ID and for the clock pthread_getcpuclockid
 *   gives for the calling thread; ENOTSUP for CLOCK_MONOTONIC_RAW,
 *   CLOCK_REALTIME_COARSE and CLOCK_MONOTONIC_COARSE (the kernel cannot
 *   sleep on them).  (-7 is not an unknown clock: it is this process's
 *   user-CPU clock, on which a relative sleep waits for CPU time.)
 *   Flag bits other than TIMER_ABSTIME are ignored: flags 0x10 sleeps
 *   relative;
 * - a TIMER_ABSTIME deadline in the past (1 s ago, or 0) on
 *   CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_PROCESS_CPUTIME_ID or the
 *   process clock from clock_getcpuclockid returns 0 at once (within
 *   50 ms, best of 3 tries); zero-length relative sleeps with nanosleep,
 *   clock_nanosleep and thrd_sleep return 0 at once, as do sleep(0) and
 *   usleep(0);
 * - usleep(1000000) is allowed: it returns 0 after at least 1 s; sleep(1)
 *   returns 0 after at least 1 s;
 * - thrd_sleep returns 0 after a 20 ms sleep, and -2 (errno untouched)
 *   for tv_nsec -1 or 1000000000 or tv_sec -1;
 * - clock_nanosleep on CLOCK_BOOTTIME and CLOCK_TAI, relative and
 *   TIMER_ABSTIME, for 20 ms returns 0 after at least 20 ms
 *   (CLOCK_MONOTONIC);
 * - clock_nanosleep on CLOCK_PROCESS_CPUTIME_ID, relative 20 ms and
 *   TIMER_ABSTIME 20 ms of CPU time ahead, while another thread burns
 *   CPU, returns 0 once the process has used at least 20 ms more CPU.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <threads.h>

#include "check.h"

#define ERRNO_MARK 4242
#define SEC	   1000000000ull

static const struct timespec bad_ts[] = {
	{ 0, -1 },
	{ 0, 1000000000 },
	{ -1, 0 },
};
#define NBAD (sizeof(bad_ts) / sizeof(bad_ts[0]))

static uint64_t ts_ns(struct timespec ts)
{
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static struct timespec ms_ts(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * (long)MS };

	return ts;
}

/*
 * clock_nanosleep(clk, flags, ts) returns want, leaves errno alone, and on
 * failure leaves *rem alone; returns how long the call took.
 */
static uint64_t cns(clockid_t clk, int flags, struct timespec ts, int want,
		    const char *what)
{
	struct timespec rem = { 77, 77 };
	uint64_t t0 = now_ns(), el;
	int ret;

	errno = ERRNO_MARK;
	ret = clock_nanosleep(clk, flags, &ts, &rem);
	el = now_ns() - t0;
	CHECK(ret == want, "%s: clock %d flags %d {%ld, %ld}: returned %d (%s)",
	      what, (int)clk, flags, (long)ts.tv_sec, ts.tv_nsec, ret,
	      strerror(ret));
	CHECK(errno == ERRNO_MARK, "%s: clock_nanosleep set errno to %d", what,
	      errno);
	if (ret != 0)
		CHECK(rem.tv_sec == 77 && rem.tv_nsec == 77,
		      "%s: failure wrote rem {%ld, %ld}", what,
		      (long)rem.tv_sec, rem.tv_nsec);
	return el;
}

/*
 * As cns(), but it must return 0 at once: best of 3 under 50 ms.  The
 * timespec is 0, or with ago_ms > 0 a deadline on clk that long ago,
 * computed afresh for each try.
 */
static void cns_at_once(clockid_t clk, int flags, long ago_ms, const char *what)
{
	struct timespec ts = { 0, 0 };
	uint64_t best = UINT64_MAX, el;
	int i;

	for (i = 0; i < 3 && best >= 50 * MS; i++) {
		if (ago_ms > 0)
			ts = deadline_in(clk, -ago_ms);
		el = cns(clk, flags, ts, 0, what);
		if (el < best)
			best = el;
	}
	CHECK(best < 50 * MS, "%s: took %llu ms", what,
	      (unsigned long long)(best / MS));
}

static void check_nanosleep(void)
{
	struct timespec zero = { 0, 0 }, rem;
	uint64_t best = UINT64_MAX, t0, el;
	unsigned int i;
	int ret;

	for (i = 0; i < 3 && best >= 50 * MS; i++) {
		t0 = now_ns();
		ret = nanosleep(&zero, NULL);
		el = now_ns() - t0;
		CHECK(ret == 0, "nanosleep(0): %d, errno %d", ret, errno);
		if (el < best)
			best = el;
	}
	CHECK(best < 50 * MS, "nanosleep(0) took %llu ms",
	      (unsigned long long)(best / MS));

	t0 = now_ns();
	ret = nanosleep(&(struct timespec){ 0, 20 * MS }, NULL);
	el = now_ns() - t0;
	CHECK(ret == 0, "nanosleep(20 ms): %d, errno %d", ret, errno);
	CHECK(el >= 20 * MS, "nanosleep(20 ms) took %llu ns",
	      (unsigned long long)el);

	for (i = 0; i < NBAD; i++) {
		rem.tv_sec = 77;
		rem.tv_nsec = 77;
		errno = 0;
		ret = nanosleep(&bad_ts[i], &rem);
		CHECK(ret == -1 && errno == EINVAL,
		      "nanosleep {%ld, %ld}: %d, errno %d",
		      (long)bad_ts[i].tv_sec, bad_ts[i].tv_nsec, ret, errno);
		CHECK(rem.tv_sec == 77 && rem.tv_nsec == 77,
		      "nanosleep {%ld, %ld} wrote rem {%ld, %ld}",
		      (long)bad_ts[i].tv_sec, bad_ts[i].tv_nsec,
		      (long)rem.tv_sec, rem.tv_nsec);
	}
}

static void check_clock_nanosleep_errors(void)
{
	static const clockid_t unknown[] = { 12345, 100, -1,
					     CLOCK_THREAD_CPUTIME_ID };
	static const clockid_t no_sleep[] = { CLOCK_MONOTONIC_RAW,
					      CLOCK_REALTIME_COARSE,
					      CLOCK_MONOTONIC_COARSE };
	struct timespec zero = { 0, 0 }, ms1 = ms_ts(1);
	clockid_t thread_clk;
	unsigned int i;
	int err;

	for (i = 0; i < NBAD; i++) {
		cns(CLOCK_MONOTONIC, 0, bad_ts[i], EINVAL, "bad timespec");
		cns(CLOCK_MONOTONIC, TIMER_ABSTIME, bad_ts[i], EINVAL,
		    "bad timespec");
		cns(CLOCK_REALTIME, 0, bad_ts[i], EINVAL, "bad timespec");
		cns(CLOCK_REALTIME, TIMER_ABSTIME, bad_ts[i], EINVAL,
		    "bad timespec");
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		cns(unknown[i], 0, ms1, EINVAL, "unknown clock");
		cns(unknown[i], TIMER_ABSTIME, zero, EINVAL, "unknown clock");
		cns(unknown[i], 0, bad_ts[0], EINVAL, "unknown clock");
	}
	for (i = 0; i < sizeof(no_sleep) / sizeof(no_sleep[0]); i++) {
		cns(no_sleep[i], 0, ms1, ENOTSUP, "clock without sleep");
		cns(no_sleep[i], TIMER_ABSTIME, zero, ENOTSUP,
		    "clock without sleep");
	}
	err = pthread_getcpuclockid(pthread_self(), &thread_clk);
	CHECK(err == 0, "pthread_getcpuclockid: %s", strerror(err));
	cns(thread_clk, 0, ms1, EINVAL, "own thread's cpu clock");
	cns(thread_clk, TIMER_ABSTIME, zero, EINVAL, "own thread's cpu clock");
}

static void check_clock_nanosleep_now(void)
{
	clockid_t proc_clk;
	uint64_t el;
	int err;

	cns_at_once(CLOCK_MONOTONIC, 0, 0, "monotonic relative 0");
	cns_at_once(CLOCK_REALTIME, 0, 0, "realtime relative 0");
	cns_at_once(CLOCK_MONOTONIC, TIMER_ABSTIME, 0, "monotonic abs 0");
	cns_at_once(CLOCK_REALTIME, TIMER_ABSTIME, 0, "realtime abs 0");
	cns_at_once(CLOCK_MONOTONIC, TIMER_ABSTIME, 1000, "monotonic 1 s ago");
	cns_at_once(CLOCK_REALTIME, TIMER_ABSTIME, 1000, "realtime 1 s ago");
	cns_at_once(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, 0,
		    "process cpu abs 0");
	err = clock_getcpuclockid(0, &proc_clk);
	CHECK(err == 0, "clock_getcpuclockid: %s", strerror(err));
	cns_at_once(proc_clk, TIMER_ABSTIME, 0, "process cpu clock abs 0");

	el = cns(CLOCK_MONOTONIC, 0x10, ms_ts(20), 0, "flags 0x10");
	CHECK(el >= 20 * MS, "flags 0x10: a 20 ms sleep took %llu ns",
	      (unsigned long long)el);
}

static void check_other_clocks(void)
{
	static const struct {
		clockid_t clk;
		const char *name;
	} clk[] = {
		{ CLOCK_BOOTTIME, "boottime" },
		{ CLOCK_TAI, "tai" },
	};
	struct timespec ts;
	unsigned int i;
	uint64_t t0, el;

	for (i = 0; i < sizeof(clk) / sizeof(clk[0]); i++) {
		el = cns(clk[i].clk, 0, ms_ts(20), 0, clk[i].name);
		CHECK(el >= 20 * MS, "%s: a 20 ms sleep took %llu ns",
		      clk[i].name, (unsigned long long)el);
		t0 = now_ns();
		ts = deadline_in(clk[i].clk, 20);
		cns(clk[i].clk, TIMER_ABSTIME, ts, 0, clk[i].name);
		el = now_ns() - t0;
		CHECK(el >= 20 * MS, "%s: a 20 ms abs sleep took %llu ns",
		      clk[i].name, (unsigned long long)el);
	}
}

static void check_sleep_usleep(void)
{
	uint64_t t0, el;
	unsigned int left;
	int ret;

	errno = 0;
	left = sleep(0);
	CHECK(left == 0, "sleep(0) returned %u", left);
	errno = 0;
	ret = usleep(0);
	CHECK(ret == 0, "usleep(0): %d, errno %d", ret, errno);

	t0 = now_ns();
	left = sleep(1);
	el = now_ns() - t0;
	CHECK(left == 0, "sleep(1) returned %u", left);
	CHECK(el >= SEC, "sleep(1) took %llu ns", (unsigned long long)el);

	t0 = now_ns();
	errno = 0;
	ret = usleep(1000000);
	el = now_ns() - t0;
	CHECK(ret == 0, "usleep(1000000): %d, errno %d", ret, errno);
	CHECK(el >= SEC, "usleep(1000000) took %llu ns",
	      (unsigned long long)el);
}

static void check_thrd_sleep(void)
{
	struct timespec zero = { 0, 0 }, rem;
	uint64_t t0, el;
	unsigned int i;
	int ret;

	errno = ERRNO_MARK;
	ret = thrd_sleep(&zero, NULL);
	CHECK(ret == 0, "thrd_sleep(0): %d", ret);
	t0 = now_ns();
	ret = thrd_sleep(&(struct timespec){ 0, 20 * MS }, NULL);
	el = now_ns() - t0;
	CHECK(ret == 0, "thrd_sleep(20 ms): %d", ret);
	CHECK(el >= 20 * MS, "thrd_sleep(20 ms) took %llu ns",
	      (unsigned long long)el);
	CHECK(errno == ERRNO_MARK, "thrd_sleep set errno to %d", errno);
	for (i = 0; i < NBAD; i++) {
		rem.tv_sec = 77;
		rem.tv_nsec = 77;
		ret = thrd_sleep(&bad_ts[i], &rem);
		CHECK(ret == -2, "thrd_sleep {%ld, %ld}: %d",
		      (long)bad_ts[i].tv_sec, bad_ts[i].tv_nsec, ret);
		CHECK(errno == ERRNO_MARK, "thrd_sleep set errno to %d", errno);
		CHECK(rem.tv_sec == 77 && rem.tv_nsec == 77,
		      "thrd_sleep {%ld, %ld} wrote rem {%ld, %ld}",
		      (long)bad_ts[i].tv_sec, bad_ts[i].tv_nsec,
		      (long)rem.tv_sec, rem.tv_nsec);
	}
}

static atomic_bool stop_burning;

/* Burns CPU, calling into libc now and then: no G is preempted. */
static void *burner(void *arg)
{
	volatile uint64_t x = 0;
	int i;

	(void)arg;
	while (!atomic_load_explicit(&stop_burning, memory_order_relaxed)) {
		for (i = 0; i < 100000; i++)
			x++;
		sched_yield();
	}
	return NULL;
}

static uint64_t cpu_now(void)
{
	struct timespec ts;

	CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0,
	      "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
	return ts_ns(ts);
}

static void check_cpu_clock(void)
{
	struct timespec ts;
	uint64_t c0, used;
	pthread_t t;
	int err;

	err = pthread_create(&t, NULL, burner, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));

	c0 = cpu_now();
	cns(CLOCK_PROCESS_CPUTIME_ID, 0, ms_ts(20), 0, "process cpu 20 ms");
	used = cpu_now() - c0;
	CHECK(used >= 20 * MS, "relative: woke after %llu ns of cpu",
	      (unsigned long long)used);

	c0 = cpu_now();
	ts = deadline_in(CLOCK_PROCESS_CPUTIME_ID, 20);
	cns(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, ts, 0,
	    "process cpu abs 20 ms");
	used = cpu_now() - c0;
	CHECK(used >= 20 * MS, "abs: woke after %llu ns of cpu",
	      (unsigned long long)used);

	atomic_store(&stop_burning, true);
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
}

int main(void)
{
	watchdog(30);
	check_nanosleep();
	check_clock_nanosleep_errors();
	check_clock_nanosleep_now();
	check_other_clocks();
	check_sleep_usleep();
	check_thrd_sleep();
	check_cpu_clock();
	return 0;
}
