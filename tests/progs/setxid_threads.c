/*
 * Proves that setresuid() from one thread changes every thread's
 * credentials, which the kernel keeps per thread: 64 threads each read
 * their real and effective ids 20 times, spinning and sleeping 1 ms in
 * turn, after the main thread set them (so they run on every kernel thread
 * they are given). Needs root: skips without.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define N 64

static pthread_barrier_t started, changed;
static atomic_int wrong;

static void spin_ms(int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;

	while (now_ns() < end)
		;
}

static void *reader(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&changed);
	for (int i = 0; i < 20; i++) {
		unsigned int r, e, s;

		/* The kernel's view of this kernel thread, past libc. */
		CHECK(syscall(SYS_getresuid, &r, &e, &s) == 0, "getresuid");
		if (r != 1001 || e != 1002)
			atomic_fetch_add(&wrong, 1);
		if (i % 2)
			usleep(1000);
		else
			spin_ms(1); /* keeps every kernel thread busy */
	}
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	int i;

	watchdog(30);
	if (geteuid() != 0) {
		printf("SKIP: not root\n");
		return EXIT_SKIP;
	}
	pthread_barrier_init(&started, NULL, N + 1);
	pthread_barrier_init(&changed, NULL, N + 1);
	for (i = 0; i < N; i++)
		CHECK(pthread_create(&t[i], NULL, reader, NULL) == 0, "create");
	pthread_barrier_wait(&started);
	CHECK(setresuid(1001, 1002, 0) == 0, "setresuid: %s", strerror(errno));
	pthread_barrier_wait(&changed);
	for (i = 0; i < N; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "join");
	CHECK(atomic_load(&wrong) == 0,
	      "%d reads found the old ids after setresuid()",
	      atomic_load(&wrong));
	return 0;
}
