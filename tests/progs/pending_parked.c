/*
 * A signal a thread blocks stays pending for that thread while it waits
 * elsewhere, and the calls that take pending signals find it:
 *  - sent with pthread_kill() while the thread is parked on a semaphore,
 *    it shows in the thread's sigpending() (another blocked signal, never
 *    sent, does not), and sigwait() then returns it at once;
 *  - raise() of a blocked signal, then a sleep: still pending after it,
 *    and sigtimedwait() with a zero timeout takes it;
 *  - sent while the thread is parked, a signal its sigsuspend() lets in
 *    ends that sigsuspend() at once with EINTR, its handler run once;
 *  - afterwards nothing is left pending;
 *  - two signals raised while blocked both run when unblocked, before
 *    pthread_sigmask() returns (the kernel nests the second handler on the
 *    first's frame).
 */
#include <pthread.h>
#include <semaphore.h>

#include "check.h"

static sem_t parked, go, done;
static _Atomic int handled;

static void count(int sig)
{
	(void)sig;
	handled++;
}

static bool pending(int sig)
{
	sigset_t set;

	CHECK(sigpending(&set) == 0, "sigpending");
	return sigismember(&set, sig) == 1;
}

static void *waiter(void *arg)
{
	sigset_t usr1, usr2, all_but_usr1;
	struct timespec zero = { 0, 0 }, ms = { 0, 10 * 1000000 };
	siginfo_t si;
	int sig = 0;

	(void)arg;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);

	/* pthread_kill() while parked, then sigwait(). */
	sem_post(&parked);
	sem_wait(&go);
	CHECK(pending(SIGUSR1), "SIGUSR1, sent while parked, is not pending");
	CHECK(!pending(SIGUSR2), "SIGUSR2 pending, never sent");
	CHECK(sigwait(&usr1, &sig) == 0 && sig == SIGUSR1, "sigwait: %d", sig);
	CHECK(!pending(SIGUSR1), "SIGUSR1 pending after sigwait");

	/* raise(), a sleep, sigtimedwait(). */
	CHECK(raise(SIGUSR2) == 0, "raise");
	CHECK(pending(SIGUSR2), "SIGUSR2 raised is not pending");
	nanosleep(&ms, NULL);
	CHECK(pending(SIGUSR2), "SIGUSR2 not pending after a sleep");
	CHECK(sigtimedwait(&usr2, &si, &zero) == SIGUSR2, "sigtimedwait: %s",
	      strerror(errno));
	CHECK(!pending(SIGUSR2), "SIGUSR2 pending after sigtimedwait");

	/* pthread_kill() while parked, then sigsuspend(). */
	sem_post(&parked);
	sem_wait(&go);
	CHECK(handled == 0, "the handler of a blocked signal ran");
	sigfillset(&all_but_usr1);
	sigdelset(&all_but_usr1, SIGUSR1);
	CHECK(sigsuspend(&all_but_usr1) == -1 && errno == EINTR,
	      "sigsuspend: %s", strerror(errno));
	CHECK(handled == 1, "the handler ran %d times", handled);
	CHECK(!pending(SIGUSR1) && !pending(SIGUSR2), "a signal left pending");
	sem_post(&done);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = count };
	sigset_t set;
	pthread_t t;

	watchdog(30);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0, "sigmask");
	sem_init(&parked, 0, 0);
	sem_init(&go, 0, 0);
	sem_init(&done, 0, 0);
	CHECK(pthread_create(&t, NULL, waiter, NULL) == 0, "create");
	for (int round = 0; round < 2; round++) {
		sem_wait(&parked);
		usleep(20000); /* parked in sem_wait by now, most likely */
		CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
		sem_post(&go);
	}
	sem_wait(&done);
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(!pending(SIGUSR1) && !pending(SIGUSR2),
	      "a signal pending on main");

	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction");
	handled = 0;
	CHECK(raise(SIGUSR1) == 0 && raise(SIGUSR2) == 0, "raise");
	CHECK(handled == 0, "a blocked signal's handler ran");
	CHECK(pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0, "sigmask");
	CHECK(handled == 2, "2 signals unblocked, %d handlers ran", handled);
	return 0;
}
