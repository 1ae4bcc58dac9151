/*
 * pthread_sigqueue() as glibc gives it: the signal runs on the thread it
 * is sent to, with its value, SI_QUEUE and the sender's pid and uid, in
 * the order sent (to a thread that blocks it and then unblocks it);
 * signal 0 only checks the thread; glibc's internal signals (32, 33)
 * are EINVAL, a signal number out of range EINVAL, and a thread that has
 * ended (not yet joined) ESRCH.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "check.h"

#define SENDS 50

static pthread_t receiver;
static atomic_int got, wrong, bad_info;
static sem_t ready, go;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (!pthread_equal(pthread_self(), receiver)) {
		atomic_fetch_add(&wrong, 1);
		return;
	}
	if (si->si_code != SI_QUEUE || si->si_pid != getpid() ||
	    si->si_uid != getuid() || si->si_value.sival_int != got)
		atomic_fetch_add(&bad_info, 1);
	atomic_fetch_add(&got, 1);
}

static void *receive(void *arg)
{
	sigset_t rt;

	(void)arg;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	CHECK(pthread_sigmask(SIG_BLOCK, &rt, NULL) == 0, "block");
	sem_post(&ready);
	sem_wait20(&go, "go");
	CHECK(pthread_sigmask(SIG_UNBLOCK, &rt, NULL) == 0, "unblock");
	CHECK(atomic_load(&got) == SENDS, "%d of %d ran at the unblock",
	      atomic_load(&got), SENDS);
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
	union sigval v = { 0 };
	pthread_t t;
	int i, r;

	watchdog(60);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGRTMIN, &sa, NULL) == 0, "sigaction");
	sem_init(&ready, 0, 0);
	sem_init(&go, 0, 0);
	CHECK(pthread_create(&receiver, NULL, receive, NULL) == 0, "create");
	sem_wait20(&ready, "ready");
	for (i = 0; i < SENDS; i++) {
		v.sival_int = i;
		r = pthread_sigqueue(receiver, SIGRTMIN, v);
		CHECK(r == 0, "pthread_sigqueue %d: %s", i, strerror(r));
	}
	CHECK(pthread_sigqueue(receiver, 0, v) == 0, "signal 0");
	CHECK(pthread_sigqueue(receiver, 32, v) == EINVAL, "signal 32");
	CHECK(pthread_sigqueue(receiver, 33, v) == EINVAL, "signal 33");
	CHECK(pthread_sigqueue(receiver, 65, v) == EINVAL, "signal 65");
	sem_post(&go);
	CHECK(pthread_join(receiver, NULL) == 0, "join");
	CHECK(atomic_load(&wrong) == 0, "%d ran on another thread",
	      atomic_load(&wrong));
	CHECK(atomic_load(&bad_info) == 0, "%d with the wrong information",
	      atomic_load(&bad_info));

	/* Ended, not joined: its kernel thread id is gone. */
	CHECK(pthread_create(&t, NULL, nothing, NULL) == 0, "create");
	for (i = 0; i < 2000; i++) {
		r = pthread_sigqueue(t, 0, v);
		if (r == ESRCH)
			break;
		CHECK(r == 0, "pthread_sigqueue: %s", strerror(r));
		usleep(1000);
	}
	CHECK(r == ESRCH, "ended thread: %s", strerror(r));
	CHECK(pthread_join(t, NULL) == 0, "join");
	printf("pthread_sigqueue: %d sent, %d ran\n", SENDS, atomic_load(&got));
	return 0;
}
