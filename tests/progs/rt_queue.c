/*
 * Proves that real-time signals queue, each send with its information,
 * as the kernel queues them, also for a thread that is parked when they
 * come or blocks them meanwhile:
 *  (a) the initial thread blocks SIGRTMIN; a worker that takes it waits
 *      in a mutex; 100 sigqueue()s to the process, values 0..99, without
 *      waiting: the worker's handler sees all 100, in order, SI_QUEUE,
 *      from this process; one kill() more is seen as SI_USER;
 *  (b) 50 pthread_kill()s of SIGRTMIN+1 to a worker that blocks it and
 *      waits in a mutex, then unblocks it: 50 handler runs, SI_TKILL;
 *  (c) a standard signal sent 20 times meanwhile merges: one run.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define QUEUED 100
#define KILLS  50
#define MERGED 20

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_t worker_t;
static atomic_int got, tkills, usr1, bad;
static int values[QUEUED + 1], codes[QUEUED + 1];
static sem_t ready, unblock, unblocked;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	int n = atomic_load(&got);

	(void)uc;
	if (sig == SIGRTMIN + 1) {
		if (si->si_code != SI_TKILL || si->si_pid != getpid())
			atomic_store(&bad, 1);
		atomic_fetch_add(&tkills, 1);
		return;
	}
	if (!pthread_equal(pthread_self(), worker_t) || si->si_pid != getpid())
		atomic_store(&bad, 2);
	if (n <= QUEUED) {
		values[n] = si->si_value.sival_int;
		codes[n] = si->si_code;
	}
	atomic_store(&got, n + 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1, 1);
}

static void *worker(void *arg)
{
	sigset_t s;

	(void)arg;
	mask_one(SIG_UNBLOCK, SIGRTMIN);
	sem_post(&ready);
	/* (a), (b): parked, the initial thread holds it. */
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	sem_wait20(&unblock, "unblock");
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 1);
	sigaddset(&s, SIGUSR1);
	CHECK(pthread_sigmask(SIG_UNBLOCK, &s, NULL) == 0, "unblock");
	sem_post(&unblocked);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_rt,
				.sa_flags = SA_SIGINFO | SA_RESTART };
	sigset_t block;
	int i;

	watchdog(60);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGRTMIN, &sa, NULL) == 0, "sigaction");
	CHECK(sigaction(SIGRTMIN + 1, &sa, NULL) == 0, "sigaction");
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	sigemptyset(&block);
	sigaddset(&block, SIGRTMIN);
	sigaddset(&block, SIGRTMIN + 1);
	sigaddset(&block, SIGUSR1);
	CHECK(pthread_sigmask(SIG_BLOCK, &block, NULL) == 0, "block");
	sem_init(&ready, 0, 0);
	sem_init(&unblock, 0, 0);
	sem_init(&unblocked, 0, 0);
	pthread_mutex_lock(&held);
	CHECK(pthread_create(&worker_t, NULL, worker, NULL) == 0, "create");
	sem_wait20(&ready, "worker start");
	usleep(50000); /* parked in the mutex by now */

	/* (a) */
	for (i = 0; i < QUEUED; i++) {
		union sigval v = { .sival_int = i };

		CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0, "sigqueue: %s",
		      strerror(errno));
	}
	CHECK(kill(getpid(), SIGRTMIN) == 0, "kill");
	CHECK(wait_until(atomic_load(&got) == QUEUED + 1, 10),
	      "%d of %d signals handled", atomic_load(&got), QUEUED + 1);
	for (i = 0; i < QUEUED; i++) {
		CHECK(values[i] == i, "signal %d had value %d", i, values[i]);
		CHECK(codes[i] == SI_QUEUE, "signal %d had si_code %d", i,
		      codes[i]);
	}
	CHECK(codes[QUEUED] == SI_USER, "kill() gave si_code %d",
	      codes[QUEUED]);

	/* (b), (c): the worker blocks them and is parked. */
	for (i = 0; i < KILLS; i++)
		CHECK(pthread_kill(worker_t, SIGRTMIN + 1) == 0,
		      "pthread_kill");
	for (i = 0; i < MERGED; i++)
		CHECK(pthread_kill(worker_t, SIGUSR1) == 0, "pthread_kill");
	pthread_mutex_unlock(&held);
	sem_post(&unblock);
	sem_wait20(&unblocked, "unblocked");
	CHECK(wait_until(atomic_load(&tkills) == KILLS, 10),
	      "%d of %d real-time signals handled", atomic_load(&tkills),
	      KILLS);
	CHECK(pthread_join(worker_t, NULL) == 0, "join");
	CHECK(atomic_load(&tkills) == KILLS, "%d real-time signals handled",
	      atomic_load(&tkills));
	CHECK(atomic_load(&usr1) == 1, "SIGUSR1 ran %d times",
	      atomic_load(&usr1));
	CHECK(!atomic_load(&bad), "a handler saw wrong information (%d)",
	      atomic_load(&bad));
	return 0;
}
