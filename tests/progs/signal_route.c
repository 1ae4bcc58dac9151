/*
 * Proves that a signal sent to the process goes to a thread that does not
 * block it, as the kernel chooses, also when that thread is parked and
 * every running one blocks it:
 *  (a) the initial thread blocks the signals; each of five workers leaves
 *      one of its own unblocked and waits in a mutex, a condition
 *      variable, sem_wait(), nanosleep() or a pipe read(); 200 kill()s of
 *      random ones, one at a time, each run the handler on its worker,
 *      whose wait then goes on (or ends with EINTR, and is made again);
 *  (b) one whose action is the default (SIGTERM) ends the process when
 *      only a parked thread leaves it unblocked.
 * One that every thread blocks and a thread then unblocks:
 * signal_unblock_pending.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define NW     5
#define ROUNDS 200

enum { W_MUTEX, W_COND, W_SEM, W_SLEEP, W_PIPE };

static pthread_t workers[NW];
static atomic_int handled[NW], wrong, stop;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t wait_sem, done;
static int pfd[2];

static int sig_of(int i)
{
	return SIGRTMIN + i;
}

static void on_sig(int sig)
{
	int i = sig - SIGRTMIN;

	if (i < 0 || i >= NW || !pthread_equal(pthread_self(), workers[i]))
		atomic_store(&wrong, 1);
	else
		atomic_fetch_add(&handled[i], 1);
	sem_post(&done);
}

static void *worker(void *arg)
{
	long i = (long)arg;
	struct timespec ms = { 0, (long)MS };
	sigset_t own;
	char c;

	sigemptyset(&own);
	sigaddset(&own, sig_of((int)i));
	CHECK(pthread_sigmask(SIG_UNBLOCK, &own, NULL) == 0, "unblock");
	while (!atomic_load(&stop)) {
		switch (i) {
		case W_MUTEX:
			pthread_mutex_lock(&held);
			pthread_mutex_unlock(&held);
			break;
		case W_COND:
			pthread_mutex_lock(&mu);
			if (!atomic_load(&stop))
				pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
			break;
		case W_SEM:
			sem_wait(&wait_sem);
			break;
		case W_SLEEP:
			nanosleep(&ms, NULL);
			break;
		case W_PIPE:
			(void)!read(pfd[0], &c, 1);
			break;
		}
	}
	return NULL;
}

static void *parked(void *arg)
{
	sigset_t term;

	(void)arg;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	pthread_mutex_lock(&held); /* held by the initial thread for ever */
	return NULL;
}

/* (b), in a child: the default action ends the process. */
static void default_action_case(void)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		sigset_t term;
		pthread_t t;

		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &term, NULL);
		pthread_mutex_lock(&held);
		pthread_create(&t, NULL, parked, NULL);
		sleep(1); /* parked by now */
		kill(getpid(), SIGTERM);
		sleep(10);
		_exit(3);
	}
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "child ended with status %#x, not by SIGTERM", st);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESTART };
	unsigned int seed = 1;
	sigset_t block;
	int i;

	watchdog(60);
	sigemptyset(&block);
	for (i = 0; i < NW; i++) {
		sigaddset(&block, sig_of(i));
		CHECK(sigaction(sig_of(i), &sa, NULL) == 0, "sigaction");
	}
	CHECK(pthread_sigmask(SIG_BLOCK, &block, NULL) == 0, "block");
	CHECK(pipe(pfd) == 0, "pipe");
	sem_init(&wait_sem, 0, 0);
	sem_init(&done, 0, 0);

	/* (a) */
	pthread_mutex_lock(&held);
	for (i = 0; i < NW; i++)
		CHECK(pthread_create(&workers[i], NULL, worker,
				     (void *)(long)i) == 0,
		      "pthread_create");
	usleep(100000);
	for (int r = 0; r < ROUNDS; r++) {
		kill(getpid(), sig_of(rand_r(&seed) % NW));
		while (sem_wait(&done) != 0)
			CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	}
	CHECK(!atomic_load(&wrong), "a handler ran on the wrong thread");
	int total = 0;
	for (i = 0; i < NW; i++)
		total += atomic_load(&handled[i]);
	CHECK(total == ROUNDS, "%d of %d signals handled", total, ROUNDS);
	atomic_store(&stop, 1);
	pthread_mutex_unlock(&held);
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	sem_post(&wait_sem);
	CHECK(write(pfd[1], "x", 1) == 1, "write");
	for (i = 0; i < NW; i++)
		pthread_join(workers[i], NULL);

	default_action_case();
	return 0;
}
