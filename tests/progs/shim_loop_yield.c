/*
 * Proves that threads looping on calls the shim only passes through (no
 * lock released, nothing that blocks) do not keep the others from running
 * (loopers.h): two threads loop on pthread_getaffinity_np() and
 * pthread_getattr_np(). Under sprout at one P, with only the preemption
 * kicks to stop them, which land in the kernel, libc or the shim nearly
 * every time, the others waited seconds: every entry to the shim must be
 * a safe point while a thread is waiting.
 */
#include <sched.h>

#include "loopers.h"

static void *looper(void *arg)
{
	cpu_set_t set;

	(void)arg;
	while (!atomic_load(&loopers_stop)) {
		pthread_attr_t a;
		int err = pthread_getaffinity_np(pthread_self(), sizeof(set),
						 &set);

		CHECK(err == 0, "pthread_getaffinity_np: %s", strerror(err));
		err = pthread_getattr_np(pthread_self(), &a);
		CHECK(err == 0, "pthread_getattr_np: %s", strerror(err));
		pthread_attr_destroy(&a);
		atomic_fetch_add(&loopers_loops, 1);
	}
	return NULL;
}

int main(void)
{
	return beside_loopers(looper);
}
