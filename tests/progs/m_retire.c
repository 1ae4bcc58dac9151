// SPDX-License-Identifier: MIT
/*
 * Kernel threads come back down after a burst of blocking calls: 1,000
 * threads each block at once in a call that holds a kernel thread (a wait
 * on a process-shared semaphore, which the shim hands off with its P, so
 * each needs an M of its own), then all end. Within 20 s the process must
 * be back to a handful of kernel threads (the Ps' Ms, a few spare, sysmon,
 * the initial thread), as it is natively at once. Proves that idle Ms
 * retire (sched/sched.c, stopm()).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "check.h"

#define THREADS 1000

static sem_t *gate;
static _Atomic int arrived, passed;

static void *blocker(void *arg)
{
	(void)arg;
	atomic_fetch_add(&arrived, 1);
	CHECK(sem_wait(gate) == 0, "sem_wait: %s", strerror(errno));
	atomic_fetch_add(&passed, 1);
	return NULL;
}

int main(void)
{
	static pthread_t t[THREADS];
	pthread_attr_t attr;
	int i, n, peak, handful = logical_procs() + 8;

	watchdog(100);
	gate = mmap(NULL, sizeof(*gate), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(gate != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(sem_init(gate, 1, 0) == 0, "sem_init: %s", strerror(errno));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], &attr, blocker, NULL) == 0,
		      "pthread_create %d", i);
	CHECK(wait_until(atomic_load(&arrived) == THREADS, 30),
	      "only %d threads ran", atomic_load(&arrived));
	/* Let the last arrivals reach the kernel's wait. */
	usleep(200 * 1000);
	peak = count_tasks();
	for (i = 0; i < THREADS; i++)
		CHECK(sem_post(gate) == 0, "sem_post: %s", strerror(errno));
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join %d", i);
	CHECK(atomic_load(&passed) == THREADS, "%d passed",
	      atomic_load(&passed));

	/* Sleep in steps; the runtime's idle Ms time out meanwhile. */
	for (i = 0; i < 200 && (n = count_tasks()) > handful; i++)
		usleep(100 * 1000);
	n = count_tasks();
	CHECK(n <= handful,
	      "%d kernel threads 20 s after the burst (%d at its peak); "
	      "want at most %d",
	      n, peak, handful);
	printf("kernel threads: %d at the peak, %d after\n", peak, n);
	return 0;
}
