/*
 * The sleep calls read the program's struct timespec as the kernel does:
 * on the caller's stack, on the heap and in static data it is read and
 * slept on; NULL or an unreadable address is EFAULT, a bad tv_nsec EINVAL,
 * and nothing faults. The same from a thread and from main, whose stacks
 * the runtime knows differently.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static struct timespec static_ts = { 0, 1000000 };
static void *unreadable; /* a PROT_NONE page, kept: never reused */

/* nanosleep(req) and clock_nanosleep(req): 0 or the error, and their time. */
static void check_sleeps(const struct timespec *req, int want, const char *what)
{
	struct timespec rem;
	int64_t t0 = now_ns();
	int r = nanosleep(req, &rem);
	int err = r ? errno : 0;

	CHECK(err == want, "%s: nanosleep %d, errno %d, want %d", what, r, err,
	      want);
	if (!want)
		CHECK(now_ns() - t0 >= 1000000, "%s: nanosleep woke early",
		      what);
	t0 = now_ns();
	err = clock_nanosleep(CLOCK_MONOTONIC, 0, req, NULL);
	CHECK(err == want, "%s: clock_nanosleep %d, want %d", what, err, want);
	if (!want)
		CHECK(now_ns() - t0 >= 1000000,
		      "%s: clock_nanosleep woke early", what);
}

static void *run(void *arg)
{
	struct timespec on_stack = { 0, 1000000 }, bad = { 0, 1000000000 };
	struct timespec *on_heap = malloc(sizeof(*on_heap));

	(void)arg;
	CHECK(on_heap, "malloc");
	*on_heap = on_stack;
	check_sleeps(&on_stack, 0, "stack");
	check_sleeps(on_heap, 0, "heap");
	check_sleeps(&static_ts, 0, "static");
	check_sleeps(NULL, EFAULT, "NULL");
	check_sleeps(unreadable, EFAULT, "PROT_NONE");
	check_sleeps(&bad, EINVAL, "tv_nsec 1e9");
	/* rem is written only when a sleep is cut short: a bad one is fine. */
	CHECK(nanosleep(&on_stack, unreadable) == 0, "bad rem: errno %d",
	      errno);
	free(on_heap);
	return NULL;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	pthread_t t;

	watchdog(30);
	unreadable = mmap(NULL, (size_t)page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(unreadable != MAP_FAILED, "mmap: %m");
	run(NULL);
	CHECK(pthread_create(&t, NULL, run, NULL) == 0, "pthread_create");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	return 0;
}
