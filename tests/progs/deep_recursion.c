/*
 * Proves that thread stacks have their full size: a thread with default
 * attributes recurses through about 6 MiB of stack and, at the same time,
 * a thread with a 64 MiB stacksize attr recurses through 48 MiB.  Each
 * frame holds a volatile 4 KiB buffer that is checked after the recursion
 * returns (an order-sensitive checksum, compared with one computed without
 * recursion), and the threads yield on the way down.  Skipped when the
 * default thread stack size is below 8 MiB.
 */
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"

#define MIB	   (1024 * 1024ul)
#define FRAME	   4096
#define FNV_PRIME  1099511628211ull
#define FNV_OFFSET 14695981039346656037ull

struct job {
	unsigned long levels;
	uintptr_t top, bottom;
	uint64_t sum;
};

static unsigned char value(unsigned long depth, size_t i)
{
	return (unsigned char)(depth * 7 + (depth >> 8) + i * 13);
}

static __attribute__((noinline)) uint64_t recurse(struct job *job,
						  unsigned long depth)
{
	volatile unsigned char buf[FRAME];
	uint64_t sum;
	size_t i;

	for (i = 0; i < FRAME; i++)
		buf[i] = value(depth, i);
	if (depth == 0)
		job->top = (uintptr_t)buf;
	if (depth % 64 == 0)
		sched_yield();
	if (depth + 1 < job->levels) {
		sum = recurse(job, depth + 1);
	} else {
		job->bottom = (uintptr_t)buf;
		sum = FNV_OFFSET;
	}
	for (i = 0; i < FRAME; i++)
		sum = (sum ^ buf[i]) * FNV_PRIME;
	return sum;
}

static uint64_t expected_sum(unsigned long levels)
{
	uint64_t sum = FNV_OFFSET;
	unsigned long depth = levels;
	size_t i;

	while (depth-- > 0)
		for (i = 0; i < FRAME; i++)
			sum = (sum ^ value(depth, i)) * FNV_PRIME;
	return sum;
}

static void *run(void *arg)
{
	struct job *job = arg;

	job->sum = recurse(job, 0);
	return NULL;
}

static void check_job(const struct job *job, const char *name)
{
	unsigned long used = job->top - job->bottom;

	CHECK(job->sum == expected_sum(job->levels),
	      "%s: checksum %#llx, expected %#llx", name,
	      (unsigned long long)job->sum,
	      (unsigned long long)expected_sum(job->levels));
	CHECK(used >= (job->levels - 1) * FRAME,
	      "%s: %lu levels used only %lu bytes", name, job->levels, used);
	printf("%s: recursed through %.1f MiB\n", name, (double)used / MIB);
}

int main(void)
{
	struct job small = { .levels = 6 * MIB / FRAME };
	struct job big = { .levels = 48 * MIB / FRAME };
	pthread_t small_tid, big_tid;
	pthread_attr_t attr;
	struct rlimit rl;
	size_t def;
	int err;

	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	CHECK(pthread_attr_getstacksize(&attr, &def) == 0, "getstacksize");
	CHECK(getrlimit(RLIMIT_STACK, &rl) == 0, "getrlimit: %m");
	if (def < 8 * MIB ||
	    (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 8 * MIB))
		SKIP("default stack %zu bytes, RLIMIT_STACK %llu", def,
		     (unsigned long long)rl.rlim_cur);

	err = pthread_create(&small_tid, NULL, run, &small);
	CHECK(err == 0, "pthread_create (default): %s", strerror(err));
	CHECK(pthread_attr_setstacksize(&attr, 64 * MIB) == 0,
	      "setstacksize 64 MiB");
	err = pthread_create(&big_tid, &attr, run, &big);
	CHECK(err == 0, "pthread_create (64 MiB): %s", strerror(err));
	CHECK(pthread_join(small_tid, NULL) == 0, "join (default)");
	CHECK(pthread_join(big_tid, NULL) == 0, "join (64 MiB)");
	pthread_attr_destroy(&attr);

	check_job(&small, "default stack");
	check_job(&big, "64 MiB stack");
	return 0;
}
