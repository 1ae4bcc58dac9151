/*
 * Copies of a real-time signal queued for a thread all run on that
 * thread, even when the handler of the first one sleeps. The thread
 * blocks SIGRTMIN, queues COPIES of it to itself (pthread_sigqueue()
 * and pthread_kill()), and unblocks it: the kernel runs the first
 * handler, which blocks the signal while it runs, so the later copies
 * wait on the thread until it returns. The handler sleeps, which lets
 * other threads run meanwhile: a thread that yields in a loop, and one
 * that sleeps in short naps. Every copy runs on the thread it was sent
 * to, in the order sent, before pthread_sigmask() returns.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "check.h"

#define COPIES 8
#define ROUNDS 200

static pthread_t target;
static atomic_int ran, wrong, disorder;
static atomic_bool done;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	static const struct timespec ms = { 0, 1000000 };

	(void)sig;
	(void)uc;
	if (!pthread_equal(pthread_self(), target)) {
		atomic_fetch_add(&wrong, 1);
		return;
	}
	/* Copies sent by pthread_kill() carry no value: 0 < ran + 1. */
	if (si->si_code == SI_QUEUE && si->si_value.sival_int != ran + 1)
		atomic_fetch_add(&disorder, 1);
	atomic_fetch_add(&ran, 1);
	nanosleep(&ms, NULL);
}

static void *yielder(void *arg)
{
	(void)arg;
	while (!atomic_load(&done))
		sched_yield();
	return NULL;
}

static void *napper(void *arg)
{
	static const struct timespec us = { 0, 50000 };

	(void)arg;
	while (!atomic_load(&done))
		nanosleep(&us, NULL);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
	pthread_t others[2];
	sigset_t rt;
	int round, i;

	watchdog(60);
	target = pthread_self();
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGRTMIN, &sa, NULL) == 0, "sigaction");
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	CHECK(pthread_create(&others[0], NULL, yielder, NULL) == 0, "create");
	CHECK(pthread_create(&others[1], NULL, napper, NULL) == 0, "create");
	for (round = 0; round < ROUNDS; round++) {
		atomic_store(&ran, 0);
		CHECK(pthread_sigmask(SIG_BLOCK, &rt, NULL) == 0, "block");
		for (i = 0; i < COPIES; i++) {
			union sigval v = { .sival_int = i + 1 };

			if (round % 2)
				CHECK(pthread_kill(target, SIGRTMIN) == 0,
				      "pthread_kill");
			else
				CHECK(pthread_sigqueue(target, SIGRTMIN, v) ==
					      0,
				      "pthread_sigqueue");
		}
		CHECK(pthread_sigmask(SIG_UNBLOCK, &rt, NULL) == 0, "unblock");
		CHECK(atomic_load(&wrong) == 0,
		      "round %d: %d copies ran on another thread", round,
		      atomic_load(&wrong));
		CHECK(atomic_load(&ran) == COPIES,
		      "round %d: %d of %d copies ran before the unblock "
		      "returned",
		      round, atomic_load(&ran), COPIES);
	}
	CHECK(atomic_load(&disorder) == 0, "%d copies out of order",
	      atomic_load(&disorder));
	atomic_store(&done, true);
	for (i = 0; i < 2; i++)
		CHECK(pthread_join(others[i], NULL) == 0, "join");
	printf("signal_queued_park: %d rounds of %d copies\n", ROUNDS, COPIES);
	return 0;
}
