/*
 * sig_eintr - cost of interrupting a thread's wait with a signal.
 *
 *	sig_eintr [N [sleep|read|poll]]	(default 20000 rounds, sleep)
 *
 * A thread waits in nanosleep() for a minute (sleep), in read() on an
 * empty pipe (read), or in poll() on it (poll). The main thread sends it
 * SIGUSR1 with pthread_kill(); its handler (no SA_RESTART) counts, the
 * wait fails with EINTR, and the thread posts a semaphore the main thread
 * waits on; then the next round. sig_eintr_roundtrip is the wall time per
 * round, not counting thread creation.
 *
 * A signal that arrives before the wait begins runs the handler there and
 * does not end the wait, natively too. So the main thread signals only
 * once the thread has said it is at its wait (armed, set just before the
 * call; sched_yield() meanwhile), and if no post comes within RETRY_MS it
 * signals again: sig_eintr_resent counts those resends, each of which
 * adds RETRY_MS to its round. Natively the window left (the few
 * instructions between armed and the system call) is seldom hit; under
 * the shim it also holds the wrapper's work before the thread parks, and
 * a resend there means a signal sent to a thread that had begun its call
 * did not end the wait. sig_eintr_resent_unhandled counts the resends
 * after which the handler had not run at all: the signal was late by
 * RETRY_MS or lost. The run stops early after PHASE_LIMIT_S seconds and
 * reports what was done up to then.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define DEFAULT_N     20000
#define PHASE_LIMIT_S 15
#define RETRY_MS      5

enum mode { M_SLEEP, M_READ, M_POLL };

static enum mode mode;
static int pfd[2]; /* never written: read and poll wait on pfd[0] */
static sem_t done;
static atomic_long handled;
static atomic_bool stop, exited;
static atomic_bool armed; /* the waiter is at its wait */

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&handled, 1, memory_order_relaxed);
}

/* One wait, which only a signal ends: -1 with errno EINTR. */
static int wait_once(void)
{
	struct timespec minute = { 60, 0 };
	struct pollfd p = { .fd = pfd[0], .events = POLLIN };
	char c;

	switch (mode) {
	case M_SLEEP:
		return nanosleep(&minute, NULL);
	case M_READ:
		return (int)read(pfd[0], &c, 1);
	case M_POLL:
		return poll(&p, 1, 60000);
	}
	return 0;
}

/*
 * Wait, post, again, until a wait ends after the main thread set stop
 * (it then signals until the waiter has said it is done).
 */
static void *waiter(void *arg)
{
	bool last;
	long before;
	int r;

	(void)arg;
	do {
		before = atomic_load(&handled);
		atomic_store(&armed, true);
		r = wait_once();
		if (r != -1 || errno != EINTR)
			fail("the wait did not end with EINTR",
			     r < 0 ? errno : 0);
		if (atomic_load(&handled) == before)
			fail("EINTR before the handler ran", EINTR);
		last = atomic_load(&stop);
		if (sem_post(&done))
			fail("sem_post", errno);
	} while (!last);
	atomic_store(&exited, true);
	return NULL;
}

/* Wait RETRY_MS for the waiter's post: 0, or ETIMEDOUT. */
static int wait_done(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += RETRY_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(&done, &ts))
		if (errno != EINTR)
			return errno;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: sig_eintr [N [sleep|read|poll]]  (N > 0)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	double t0, t1, deadline;
	long todo = DEFAULT_N, done_n, resent = 0, unhandled = 0, sent_at;
	char *end;
	pthread_t tid;
	int err;

	if (argc > 1) {
		todo = strtol(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0' || todo <= 0)
			usage();
	}
	if (argc > 2) {
		if (!strcmp(argv[2], "sleep"))
			mode = M_SLEEP;
		else if (!strcmp(argv[2], "read"))
			mode = M_READ;
		else if (!strcmp(argv[2], "poll"))
			mode = M_POLL;
		else
			usage();
	}
	if (sigaction(SIGUSR1, &sa, NULL))
		fail("sigaction", errno);
	if (pipe(pfd))
		fail("pipe", errno);
	if (sem_init(&done, 0, 0))
		fail("sem_init", errno);
	err = pthread_create(&tid, NULL, waiter, NULL);
	if (err)
		fail("pthread_create", err);

	t0 = now_ns();
	deadline = t0 + PHASE_LIMIT_S * 1e9;
	for (done_n = 0; done_n < todo; done_n++) {
		if ((done_n & 1023) == 0 && done_n > 0 && now_ns() > deadline)
			break;
		while (!atomic_exchange(&armed, false))
			sched_yield();
		sent_at = atomic_load(&handled);
		err = pthread_kill(tid, SIGUSR1);
		if (err)
			fail("pthread_kill", err);
		while ((err = wait_done()) == ETIMEDOUT) {
			resent++;
			if (atomic_load(&handled) == sent_at)
				unhandled++;
			sent_at = atomic_load(&handled);
			err = pthread_kill(tid, SIGUSR1);
			if (err)
				fail("pthread_kill", err);
		}
		if (err)
			fail("sem_timedwait", err);
	}
	t1 = now_ns();
	/* The waiter is in its wait, or about to be: end it. */
	atomic_store(&stop, true);
	while (!atomic_load(&exited)) {
		err = pthread_kill(tid, SIGUSR1);
		if (err)
			fail("pthread_kill", err);
		wait_done();
	}
	if (done_n < todo)
		fprintf(stderr, "sig_eintr: stopped after %d s: %ld of %ld\n",
			PHASE_LIMIT_S, done_n, todo);
	err = pthread_join(tid, NULL);
	if (err)
		fail("pthread_join", err);
	printf("metric sig_eintr_roundtrip %.1f ns/op\n", (t1 - t0) / done_n);
	printf("metric sig_eintr_resent %ld count\n", resent);
	printf("metric sig_eintr_resent_unhandled %ld count\n", unhandled);
	return 0;
}
