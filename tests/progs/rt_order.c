/*
 * Proves that real-time signals sent to the process reach their one taker
 * in the order they were sent, also when sends come while the taker runs
 * its handler for the signal (which blocks it): natively they wait in the
 * process's queue, in order, until the handler returns.
 *
 * The initial thread blocks SIGRTMIN; a worker that does not spins. In
 * rounds, the initial thread sigqueue()s to the process: a value; the
 * next once the handler runs for the first; the third as soon as that
 * handler has returned. The handler must see each value once, in order.
 * At one P each wait lasts until the spinning worker is preempted: fewer
 * rounds there.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define ROUNDS 1000
#define SENDS  (3 * ROUNDS)

static pthread_t worker_t;
static atomic_int started, got, bad;
static atomic_bool done;
static int values[SENDS];
static sem_t ready;

static void spin_us(int us)
{
	uint64_t end = now_ns() + (uint64_t)us * 1000;

	while (now_ns() < end)
		;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	int n = atomic_load(&got);

	atomic_store(&started, n + 1);
	(void)sig;
	(void)uc;
	if (!pthread_equal(pthread_self(), worker_t) ||
	    si->si_code != SI_QUEUE || si->si_pid != getpid())
		atomic_store(&bad, 1);
	if (n < SENDS)
		values[n] = si->si_value.sival_int;
	/* Long enough for the next send to come while this runs. */
	spin_us(20);
	atomic_store(&got, n + 1);
}

static void send(int value)
{
	union sigval v = { .sival_int = value };

	CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0, "sigqueue: %s",
	      strerror(errno));
}

static void *worker(void *arg)
{
	(void)arg;
	mask_one(SIG_UNBLOCK, SIGRTMIN);
	sem_post(&ready);
	while (!atomic_load(&done))
		;
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_rt,
				.sa_flags = SA_SIGINFO | SA_RESTART };
	int i, sends = logical_procs() > 1 ? SENDS : SENDS / 10;

	watchdog(60);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGRTMIN, &sa, NULL) == 0, "sigaction");
	mask_one(SIG_BLOCK, SIGRTMIN);
	sem_init(&ready, 0, 0);
	CHECK(pthread_create(&worker_t, NULL, worker, NULL) == 0, "create");
	sem_wait20(&ready, "worker start");

	for (i = 0; i < sends; i += 3) {
		send(i);
		CHECK(wait_until(atomic_load(&started) > i, 10),
		      "signal %d not handled", i);
		send(i + 1); /* while the handler for i runs */
		CHECK(wait_until(atomic_load(&got) > i, 10),
		      "signal %d not handled", i);
		send(i + 2);
		CHECK(wait_until(atomic_load(&got) == i + 3, 10),
		      "%d of %d signals handled", atomic_load(&got), i + 3);
	}
	atomic_store(&done, true);
	CHECK(pthread_join(worker_t, NULL) == 0, "join");
	for (i = 0; i < sends; i++)
		CHECK(values[i] == i, "signal %d had value %d", i, values[i]);
	CHECK(!atomic_load(&bad), "a handler saw wrong information");
	return 0;
}
