/*
 * Proves that a signal sent to the process while every thread blocks it
 * runs on the first thread that unblocks it, round after round, even when
 * that thread ends at once: the initial thread blocks SIGUSR2, sends it
 * to the process (it stays pending: sigpending() shows it), and starts a
 * thread that only unblocks it and returns; the handler must have run on
 * that thread by the time it is joined. Before each round a few threads
 * come and go with SIGUSR2 unblocked in the initial thread, so that
 * kernel threads that went idle then are about when it is sent.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define ROUNDS 1000

static atomic_int ran;
static pthread_t ran_on;

static void on_usr2(int sig)
{
	(void)sig;
	ran_on = pthread_self();
	atomic_fetch_add(&ran, 1);
}

static void *unblocker(void *arg)
{
	sigset_t usr2;

	(void)arg;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	CHECK(pthread_sigmask(SIG_UNBLOCK, &usr2, NULL) == 0, "unblock");
	return NULL;
}

static void *brief(void *arg)
{
	(void)arg;
	usleep(200);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr2 };
	pthread_t t[3], u;
	sigset_t usr2, pend;
	int r, i;

	watchdog(100);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction");
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < 3; i++)
			CHECK(pthread_create(&t[i], NULL, brief, NULL) == 0,
			      "pthread_create");
		for (i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		CHECK(pthread_sigmask(SIG_BLOCK, &usr2, NULL) == 0, "block");
		atomic_store(&ran, 0);
		CHECK(kill(getpid(), SIGUSR2) == 0, "kill");
		CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR2),
		      "round %d: SIGUSR2 not pending", r);
		CHECK(atomic_load(&ran) == 0,
		      "round %d: SIGUSR2 ran while every thread blocked it", r);
		CHECK(pthread_create(&u, NULL, unblocker, NULL) == 0,
		      "pthread_create");
		pthread_join(u, NULL);
		CHECK(atomic_load(&ran) == 1,
		      "round %d: the handler ran %d times by the unblocker's "
		      "end",
		      r, atomic_load(&ran));
		CHECK(pthread_equal(ran_on, u),
		      "round %d: ran on another thread", r);
		CHECK(pthread_sigmask(SIG_UNBLOCK, &usr2, NULL) == 0,
		      "unblock");
	}
	printf("%d signals ran on the thread that unblocked them\n", ROUNDS);
	return 0;
}
