/*
 * Proves that many threads sleeping at once each sleep as long as they
 * asked, and not much longer:
 * - 10,000 threads with 64 KiB stacks are released together from a
 *   barrier; thread i sleeps d_i = 50 + (i * 7919) % 500 ms, by way of
 *   (i % 6) nanosleep, usleep, clock_nanosleep(CLOCK_MONOTONIC, 0),
 *   clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME),
 *   clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME) or thrd_sleep;
 * - every call returns success (0);
 * - no thread's elapsed CLOCK_MONOTONIC time (CLOCK_REALTIME's for a
 *   deadline on that clock, which may be set or slewed meanwhile: a
 *   native run once woke 1.4 ms early by the monotonic clock), read
 *   before and after the call (for an absolute deadline: read before the
 *   deadline is computed), is less than d_i, to the nanosecond: POSIX
 *   sleeps never end early;
 * - the lateness (elapsed - d_i) has a median under 200 ms and a maximum
 *   under 3 s.
 * Natively, a pthread_create failing with EAGAIN (process or memory
 * limits) skips the test; under the shim it fails it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "check.h"

#define NTHREADS 10000
#define STACK	 (64 * 1024)
#define NMETHODS 6

static const char *const method_name[NMETHODS] = {
	"nanosleep",
	"usleep",
	"clock_nanosleep(MONOTONIC, 0)",
	"clock_nanosleep(MONOTONIC, TIMER_ABSTIME)",
	"clock_nanosleep(REALTIME, TIMER_ABSTIME)",
	"thrd_sleep",
};

struct sleeper {
	pthread_t tid;
	uint64_t asked;	  /* ns */
	uint64_t elapsed; /* ns */
	int ret;	  /* what the call returned */
	int err;	  /* errno after it */
};

static struct sleeper sl[NTHREADS];
static pthread_barrier_t start;

static struct timespec add_ms(struct timespec ts, uint64_t ms)
{
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += ms % 1000 * MS;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static void *sleeper(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	struct sleeper *s = &sl[i];
	uint64_t ms = 50 + (i * 7919) % 500, t0;
	struct timespec ts = { ms / 1000, ms % 1000 * MS }, now;
	clockid_t clk = CLOCK_MONOTONIC;
	int ret;

	s->asked = ms * MS;
	ret = pthread_barrier_wait(&start);
	CHECK(ret == 0 || ret == PTHREAD_BARRIER_SERIAL_THREAD,
	      "pthread_barrier_wait: %d", ret);
	errno = 0;
	switch (i % NMETHODS) {
	case 0:
		t0 = now_ns();
		ret = nanosleep(&ts, NULL);
		break;
	case 1:
		t0 = now_ns();
		ret = usleep(ms * 1000);
		break;
	case 2:
		t0 = now_ns();
		ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		break;
	case 3:
		clock_gettime(CLOCK_MONOTONIC, &now);
		t0 = (uint64_t)now.tv_sec * 1000000000u + now.tv_nsec;
		ts = add_ms(now, ms);
		ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				      NULL);
		break;
	case 4:
		clk = CLOCK_REALTIME;
		clock_gettime(clk, &now);
		t0 = (uint64_t)now.tv_sec * 1000000000u + now.tv_nsec;
		ts = add_ms(now, ms);
		ret = clock_nanosleep(clk, TIMER_ABSTIME, &ts, NULL);
		break;
	default:
		t0 = now_ns();
		ret = thrd_sleep(&ts, NULL);
		break;
	}
	s->ret = ret;
	s->err = errno;
	clock_gettime(clk, &now);
	s->elapsed = (uint64_t)now.tv_sec * 1000000000u + now.tv_nsec - t0;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	const char *mode = getenv("PROG_MODE");
	bool sprout = mode != NULL && strcmp(mode, "sprout") == 0;
	static uint64_t late[NTHREADS];
	pthread_attr_t attr;
	uintptr_t i;
	int err;

	watchdog(60);
	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	err = pthread_attr_setstacksize(&attr, STACK);
	CHECK(err == 0, "pthread_attr_setstacksize: %s", strerror(err));
	err = pthread_barrier_init(&start, NULL, NTHREADS + 1);
	CHECK(err == 0, "pthread_barrier_init: %s", strerror(err));

	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&sl[i].tid, &attr, sleeper, (void *)i);
		if (err == EAGAIN && !sprout)
			SKIP("pthread_create #%lu: %s", (unsigned long)i,
			     strerror(err));
		CHECK(err == 0, "pthread_create #%lu: %s", (unsigned long)i,
		      strerror(err));
	}
	err = pthread_barrier_wait(&start);
	CHECK(err == 0 || err == PTHREAD_BARRIER_SERIAL_THREAD,
	      "pthread_barrier_wait: %d", err);

	for (i = 0; i < NTHREADS; i++) {
		const struct sleeper *s = &sl[i];
		const char *how = method_name[i % NMETHODS];

		err = pthread_join(s->tid, NULL);
		CHECK(err == 0, "pthread_join #%lu: %s", (unsigned long)i,
		      strerror(err));
		CHECK(s->ret == 0, "thread %lu: %s returned %d, errno %d",
		      (unsigned long)i, how, s->ret, s->err);
		CHECK(s->elapsed >= s->asked,
		      "thread %lu: %s of %llu ms woke %llu ns early",
		      (unsigned long)i, how,
		      (unsigned long long)(s->asked / MS),
		      (unsigned long long)(s->asked - s->elapsed));
		late[i] = s->elapsed - s->asked;
	}
	qsort(late, NTHREADS, sizeof(late[0]), cmp_u64);
	printf("lateness: median %llu us, 99th percentile %llu us, "
	       "max %llu us\n",
	       (unsigned long long)(late[NTHREADS / 2] / 1000),
	       (unsigned long long)(late[NTHREADS * 99 / 100] / 1000),
	       (unsigned long long)(late[NTHREADS - 1] / 1000));
	CHECK(late[NTHREADS / 2] < 200 * MS, "median lateness %llu ms",
	      (unsigned long long)(late[NTHREADS / 2] / MS));
	CHECK(late[NTHREADS - 1] < 3000 * MS, "max lateness %llu ms",
	      (unsigned long long)(late[NTHREADS - 1] / MS));
	pthread_barrier_destroy(&start);
	pthread_attr_destroy(&attr);
	return 0;
}
