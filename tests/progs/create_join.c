/*
 * Proves that thread creation and joining work at volume: 100,000 threads
 * are created and joined in waves of at most 500 alive at a time, half with
 * a NULL attr and half with an explicitly initialised default attr, and
 * every thread's return value ((void *)(arg * 2 + 1)) reaches its joiner.
 */
#include <pthread.h>
#include <string.h>

#include "check.h"

#define TOTAL 100000
#define WAVE  500

static void *worker(void *arg)
{
	return (void *)((uintptr_t)arg * 2 + 1);
}

int main(void)
{
	pthread_t tids[WAVE];
	pthread_attr_t attr;
	uintptr_t base, i;
	void *ret;
	int err;

	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	for (base = 0; base < TOTAL; base += WAVE) {
		for (i = 0; i < WAVE; i++) {
			uintptr_t arg = base + i;

			err = pthread_create(&tids[i], arg % 2 ? &attr : NULL,
					     worker, (void *)arg);
			CHECK(err == 0, "pthread_create #%lu: %s",
			      (unsigned long)arg, strerror(err));
		}
		for (i = 0; i < WAVE; i++) {
			uintptr_t arg = base + i;

			err = pthread_join(tids[i], &ret);
			CHECK(err == 0, "pthread_join #%lu: %s",
			      (unsigned long)arg, strerror(err));
			CHECK((uintptr_t)ret == arg * 2 + 1,
			      "thread %lu returned %p", (unsigned long)arg,
			      ret);
		}
	}
	pthread_attr_destroy(&attr);
	return 0;
}
