/*
 * Proves that a signal sent to the process (kill(getpid(), ...)) ends a
 * sleep of the initial thread, as Linux delivers it there first when the
 * initial thread does not block it: with a SIGUSR1 handler installed
 * without SA_RESTART, a helper thread sends SIGUSR1 to the process 200 ms
 * into the initial thread's 3 s nanosleep(), which must return -1 with
 * errno EINTR well before its end, with the time left in rem. Also that
 * sigaction() reports the program's own handler and flags as the old
 * action, and that signal() returns the handler it replaced.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void on_usr2(int sig)
{
	(void)sig;
}

static void *sender(void *arg)
{
	struct timespec ts = { 0, 200 * MS };

	(void)arg;
	nanosleep(&ts, NULL);
	CHECK(kill(getpid(), SIGUSR1) == 0, "kill: %s", strerror(errno));
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	struct timespec req = { 3, 0 }, rem = { -1, -1 };
	uint64_t t0, el, left;
	pthread_t t;
	int r, err;

	watchdog(30);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction: %s",
	      strerror(errno));
	CHECK(sigaction(SIGUSR1, NULL, &old) == 0, "sigaction: %s",
	      strerror(errno));
	CHECK(old.sa_handler == on_usr1, "old action is not the handler");
	CHECK(!(old.sa_flags & (SA_RESTART | SA_SIGINFO | SA_RESETHAND)),
	      "old flags %#x", old.sa_flags);

	CHECK(signal(SIGUSR2, on_usr2) == SIG_DFL, "signal: not SIG_DFL");
	CHECK(signal(SIGUSR2, SIG_DFL) == on_usr2, "signal: not on_usr2");

	CHECK(pthread_create(&t, NULL, sender, NULL) == 0, "create");
	t0 = now_ns();
	r = nanosleep(&req, &rem);
	err = errno;
	el = now_ns() - t0;
	CHECK(r == -1 && err == EINTR,
	      "nanosleep returned %d (%s) after %llu ms", r, strerror(err),
	      (unsigned long long)(el / MS));
	CHECK(el < 2500 * MS, "interrupted only after %llu ms",
	      (unsigned long long)(el / MS));
	CHECK(handled == 1, "handler ran %d times", (int)handled);
	left = (uint64_t)rem.tv_sec * 1000000000u + (uint64_t)rem.tv_nsec;
	CHECK(rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000 &&
		      left + el >= 2950 * MS && left + el <= 3050 * MS,
	      "slept %llu ms, %llu ms left of 3000",
	      (unsigned long long)(el / MS), (unsigned long long)(left / MS));
	CHECK(pthread_join(t, NULL) == 0, "join");
	return 0;
}
