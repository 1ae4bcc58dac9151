/*
 * Proves that syscall(SYS_exit) ends only the calling thread, as a kernel
 * thread's exit does natively: no thread-specific data destructor and no
 * cleanup handler runs, a joiner's pthread_join() returns 0, a detached
 * thread may leave this way too, and meanwhile other threads go on
 * counting. Afterwards as many threads as there are Ps run at once, and
 * new threads are created and joined: the exits cost no P and no thread.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "allps.h"

#define EXITERS 6
#define LATER	50

static pthread_key_t key;
static atomic_int dtor_ran, cleanup_ran, exiting, counted;
static atomic_bool stop;

static void dtor(void *p)
{
	(void)p;
	atomic_fetch_add(&dtor_ran, 1);
}

static void cleanup(void *p)
{
	(void)p;
	atomic_fetch_add(&cleanup_ran, 1);
}

static void *exiter(void *arg)
{
	(void)arg;
	CHECK(pthread_setspecific(key, &key) == 0, "pthread_setspecific");
	pthread_cleanup_push(cleanup, NULL);
	usleep(1000);
	atomic_fetch_add(&exiting, 1);
	syscall(SYS_exit, 0);
	pthread_cleanup_pop(0);
	CHECK(0, "syscall(SYS_exit) returned");
	return NULL;
}

static void *counter(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		atomic_fetch_add(&counted, 1);
		usleep(100);
	}
	return NULL;
}

static void *square(void *arg)
{
	intptr_t v = (intptr_t)arg;

	return (void *)(v * v);
}

int main(void)
{
	pthread_t t[EXITERS], c, d;
	pthread_attr_t attr;
	void *ret;
	int i, before;

	watchdog(60);
	CHECK(pthread_key_create(&key, dtor) == 0, "pthread_key_create");
	CHECK(pthread_create(&c, NULL, counter, NULL) == 0, "pthread_create");
	for (i = 0; i < EXITERS; i++)
		CHECK(pthread_create(&t[i], NULL, exiter, NULL) == 0,
		      "pthread_create");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	CHECK(pthread_create(&d, &attr, exiter, NULL) == 0, "pthread_create");
	pthread_attr_destroy(&attr);
	for (i = 0; i < EXITERS; i++)
		CHECK(pthread_join(t[i], &ret) == 0, "pthread_join");
	CHECK(wait_until(atomic_load(&exiting) == EXITERS + 1, 10),
	      "the detached thread did not run");
	before = atomic_load(&counted);
	CHECK(wait_until(atomic_load(&counted) > before + 10, 10),
	      "the counting thread stopped");
	atomic_store(&stop, true);
	pthread_join(c, NULL);
	CHECK(atomic_load(&dtor_ran) == 0, "a key destructor ran %d times",
	      atomic_load(&dtor_ran));
	CHECK(atomic_load(&cleanup_ran) == 0, "a cleanup handler ran %d times",
	      atomic_load(&cleanup_ran));
	CHECK(all_ps_run(), "a P was lost");
	for (i = 0; i < LATER; i++) {
		pthread_t s;

		CHECK(pthread_create(&s, NULL, square, (void *)(intptr_t)i) ==
			      0,
		      "pthread_create");
		CHECK(pthread_join(s, &ret) == 0 && (intptr_t)ret == i * i,
		      "join after the exits");
	}
	puts("threads left by syscall(SYS_exit); the rest went on");
	return 0;
}
