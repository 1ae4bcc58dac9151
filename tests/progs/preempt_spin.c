/*
 * Proves that a thread which never calls a function cannot keep the others
 * from running: a ring of threads each spins on a flag that only the one
 * before it sets, the first one's set by the initial thread after a sleep.
 * Natively the kernel preempts the spinners; under sprout with one P each
 * spinner must be stopped where it spins for the next one (or the sleeper)
 * to run at all. Each of ROUNDS turns of the ring must take under 3 s
 * (natively, and with sprout's 10 ms slices, a few milliseconds).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define N      4
#define ROUNDS 5

static volatile int turn[N];
static volatile int rounds_done;

static void *spinner(void *arg)
{
	int i = (int)(intptr_t)arg, r;

	for (r = 0; r < ROUNDS; r++) {
		while (turn[i] <= r)
			; /* no call: nothing but preemption stops it */
		if (i == N - 1)
			rounds_done = r + 1;
		else
			turn[i + 1] = r + 1;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	int i, r;

	watchdog(60);
	for (i = 0; i < N; i++)
		CHECK(pthread_create(&t[i], NULL, spinner,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	for (r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();

		usleep(5000); /* a timer, due while every spinner spins */
		turn[0] = r + 1;
		while (rounds_done <= r)
			usleep(1000);
		CHECK(now_ns() - t0 < 3000 * MS, "round %d took %llu ms", r,
		      (unsigned long long)((now_ns() - t0) / MS));
	}
	for (i = 0; i < N; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	return 0;
}
