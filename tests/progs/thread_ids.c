/*
 * Proves that thread ids tell live threads apart: 64 threads alive at once
 * each read gettid() and syscall(SYS_gettid) (as CPython's native ids do);
 * the two agree, all 64 differ from each other and from main's, and main's
 * is the process id. A thread's own id works where the kernel wants a
 * thread: tgkill (signal 0) and sched_getaffinity, through libc and
 * through syscall().
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define NTHREADS 64

static pid_t ids[NTHREADS];
static atomic_int arrived;

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	cpu_set_t set;

	ids[id] = gettid();
	CHECK(syscall(SYS_gettid) == ids[id],
	      "thread %d: gettid %d, syscall %ld", id, ids[id],
	      syscall(SYS_gettid));
#ifdef __GLIBC__ /* musl has no tgkill() of its own */
	CHECK(tgkill(getpid(), ids[id], 0) == 0, "thread %d: tgkill: %m", id);
#endif
	CHECK(syscall(SYS_tgkill, getpid(), ids[id], 0) == 0,
	      "thread %d: SYS_tgkill: %m", id);
	CHECK(sched_getaffinity(ids[id], sizeof(set), &set) == 0,
	      "thread %d: sched_getaffinity: %m", id);
	CHECK(syscall(SYS_sched_getaffinity, ids[id], sizeof(set), &set) > 0,
	      "thread %d: SYS_sched_getaffinity: %m", id);
	atomic_fetch_add(&arrived, 1);
	/* Stay alive until every thread has its id. */
	CHECK(wait_until(atomic_load(&arrived) == NTHREADS, 30), "arrivals");
	CHECK(gettid() == ids[id], "thread %d: id changed", id);
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	int i, j;

	CHECK(gettid() == getpid(), "main: gettid %d, pid %d", gettid(),
	      getpid());
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	for (i = 0; i < NTHREADS; i++) {
		CHECK(ids[i] > 0 && ids[i] != getpid(), "thread %d: id %d", i,
		      ids[i]);
		for (j = 0; j < i; j++)
			CHECK(ids[i] != ids[j], "threads %d and %d: id %d", i,
			      j, ids[i]);
	}
	return 0;
}
