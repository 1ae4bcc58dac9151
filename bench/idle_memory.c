/*
 * idle_memory - memory committed per idle (blocked) thread.
 *
 * Creates N threads that each block on one shared condvar, waiting for a
 * flag under a mutex. Each thread increments a counter under the mutex right
 * before pthread_cond_wait; main waits until the counter reaches N, sleeps
 * SETTLE_MS to let the threads settle, and compares with a snapshot taken
 * before the first thread was created:
 *
 *   idle_rss_per_thread     delta of VmRSS (/proc/self/status) / N: the
 *                           user memory the process has resident (stacks,
 *                           TLS, thread descriptors, runtime bookkeeping).
 *   idle_pte_per_thread     delta of VmPTE / N: this process's page tables
 *                           (already part of idle_kernel_per_thread).
 *   idle_kernel_per_thread  delta of KernelStack + SUnreclaim + PageTables
 *                           (/proc/meminfo) / N: kernel stacks, task and
 *                           other unreclaimable slab objects, page tables.
 *                           These are system-wide, so on a shared machine
 *                           other processes add noise (of either sign);
 *                           use a large N.
 *   idle_total_per_thread   the sum of the rss and kernel figures.
 *   idle_threads            N.
 *   idle_stack_reserve      the stack size each thread asked for (virtual
 *                           reservation, not committed memory): the default
 *                           attribute's (RLIMIT_STACK, 8 MiB natively) unless
 *                           STACK_KIB is given.
 *
 * Then main sets the flag, broadcasts and joins all threads. The program's
 * own per-thread bookkeeping is only the pthread_t array, allocated and
 * touched before the first snapshot.
 *
 * Natively N is bounded by kernel.pid_max (32768 here) and, with guard
 * pages, by vm.max_map_count (65530 here): each stack is two mappings (guard
 * and stack), so about 32,000 threads at most, whatever their stack size.
 * If pthread_create fails with EAGAIN the program says how many threads it
 * created and exits 1.
 *
 * Usage: idle_memory N [STACK_KIB]
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define SETTLE_MS 200

struct snapshot {
	long rss_kib;
	long pte_kib;
	long kernel_kib; /* KernelStack + SUnreclaim + PageTables */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_waiting = PTHREAD_COND_INITIALIZER;
/* Under mu. */
static long nr_threads;
static long nr_waiting;
static bool released;

static void *idle(void *arg)
{
	int err;

	(void)arg;
	err = pthread_mutex_lock(&mu);
	if (err)
		fail("pthread_mutex_lock", err);
	if (++nr_waiting == nr_threads) {
		err = pthread_cond_signal(&all_waiting);
		if (err)
			fail("pthread_cond_signal", err);
	}
	while (!released) {
		err = pthread_cond_wait(&wake, &mu);
		if (err)
			fail("pthread_cond_wait", err);
	}
	err = pthread_mutex_unlock(&mu);
	if (err)
		fail("pthread_mutex_unlock", err);
	return NULL;
}

/* The value in kB of the line "KEY: value kB" of a /proc file. */
static long read_kib(const char *path, const char *key)
{
	size_t len = strlen(key);
	char line[256];
	long v = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		fail(path, errno);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, len) == 0 && line[len] == ':') {
			if (sscanf(line + len + 1, "%ld", &v) != 1)
				v = -1;
			break;
		}
	}
	fclose(f);
	if (v < 0) {
		fprintf(stderr, "idle_memory: no %s in %s\n", key, path);
		exit(1);
	}
	return v;
}

static void take_snapshot(struct snapshot *s)
{
	s->rss_kib = read_kib("/proc/self/status", "VmRSS");
	s->pte_kib = read_kib("/proc/self/status", "VmPTE");
	s->kernel_kib = read_kib("/proc/meminfo", "KernelStack") +
			read_kib("/proc/meminfo", "SUnreclaim") +
			read_kib("/proc/meminfo", "PageTables");
}

static void usage(void)
{
	fprintf(stderr, "usage: idle_memory N [STACK_KIB]  (N > 0)\n");
	exit(2);
}

static long parse_positive(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n <= 0)
		usage();
	return n;
}

/* The stack size threads get with a NULL attribute. */
static size_t default_stack_size(void)
{
	pthread_attr_t attr;
	size_t size;
	int err;

	err = pthread_getattr_default_np(&attr);
	if (err)
		fail("pthread_getattr_default_np", err);
	err = pthread_attr_getstacksize(&attr, &size);
	if (err)
		fail("pthread_attr_getstacksize", err);
	pthread_attr_destroy(&attr);
	return size;
}

static double per_thread(long delta_kib, long n)
{
	return delta_kib * 1024.0 / n;
}

int main(int argc, char **argv)
{
	struct timespec settle = { .tv_sec = SETTLE_MS / 1000,
				   .tv_nsec = SETTLE_MS % 1000 * 1000000L };
	struct snapshot before, after;
	pthread_attr_t attr, *attrp = NULL;
	size_t stack_size;
	double rss, kernel;
	pthread_t *tid;
	long n, i;
	int err;

	if (argc < 2 || argc > 3)
		usage();
	n = parse_positive(argv[1]);
	if (argc > 2) {
		stack_size = parse_positive(argv[2]) * 1024;
		err = pthread_attr_init(&attr);
		if (err)
			fail("pthread_attr_init", err);
		err = pthread_attr_setstacksize(&attr, stack_size);
		if (err)
			fail("pthread_attr_setstacksize", err);
		attrp = &attr;
	} else {
		stack_size = default_stack_size();
	}

	/* Touched now so that it is part of the first snapshot. */
	tid = malloc(n * sizeof(*tid));
	if (!tid)
		fail("malloc", errno);
	memset(tid, 0, n * sizeof(*tid));
	nr_threads = n;

	take_snapshot(&before);
	for (i = 0; i < n; i++) {
		err = pthread_create(&tid[i], attrp, idle, NULL);
		if (err == EAGAIN) {
			fprintf(stderr,
				"idle_memory: pthread_create failed with "
				"EAGAIN after %ld of %ld threads (limits: "
				"kernel.pid_max, kernel.threads-max, "
				"vm.max_map_count, ulimit -u and -v)\n",
				i, n);
			exit(1);
		}
		if (err)
			fail("pthread_create", err);
	}

	err = pthread_mutex_lock(&mu);
	if (err)
		fail("pthread_mutex_lock", err);
	while (nr_waiting < n) {
		err = pthread_cond_wait(&all_waiting, &mu);
		if (err)
			fail("pthread_cond_wait", err);
	}
	err = pthread_mutex_unlock(&mu);
	if (err)
		fail("pthread_mutex_unlock", err);
	nanosleep(&settle, NULL);
	take_snapshot(&after);

	rss = per_thread(after.rss_kib - before.rss_kib, n);
	kernel = per_thread(after.kernel_kib - before.kernel_kib, n);
	printf("metric idle_threads %ld threads\n", n);
	printf("metric idle_stack_reserve %zu B\n", stack_size);
	printf("metric idle_rss_per_thread %.0f B\n", rss);
	printf("metric idle_pte_per_thread %.0f B\n",
	       per_thread(after.pte_kib - before.pte_kib, n));
	printf("metric idle_kernel_per_thread %.0f B\n", kernel);
	printf("metric idle_total_per_thread %.0f B\n", rss + kernel);
	fflush(stdout);

	err = pthread_mutex_lock(&mu);
	if (err)
		fail("pthread_mutex_lock", err);
	released = true;
	err = pthread_cond_broadcast(&wake);
	if (err)
		fail("pthread_cond_broadcast", err);
	err = pthread_mutex_unlock(&mu);
	if (err)
		fail("pthread_mutex_unlock", err);
	for (i = 0; i < n; i++) {
		err = pthread_join(tid[i], NULL);
		if (err)
			fail("pthread_join", err);
	}
	if (attrp)
		pthread_attr_destroy(attrp);
	free(tid);
	return 0;
}
