/*
 * Proves that signals lose, duplicate and misdeliver nothing while many
 * threads block, wake and run handlers at once, for SIGNAL_SECONDS (5):
 *  - 1,000 threads in 500 pairs hand a token back and forth through a
 *    condition variable, a pair of semaphores or a pair of pipes;
 *  - an interval timer sends SIGALRM to the process every 100 us; its
 *    handler posts a semaphore and writes a byte to a pipe, and the
 *    initial thread counts both: each equals the handler's runs;
 *  - four threads send SIGRTMIN to random workers with pthread_kill()
 *    without pause (a send refused with EAGAIN, too many queued, is not
 *    counted, and the sender yields); the handler counts on the thread
 *    it runs on, sleeps now and then, and every eighth time sends
 *    SIGRTMIN+1 to its partner, whose handler counts too. Real-time
 *    signals queue, so every count is exact: received equals sent, per
 *    thread;
 *  - every pair's token went round in order, and every pair made progress.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/time.h>

#include "check.h"

#define PAIRS	500
#define WORKERS (2 * PAIRS)
#define KILLERS 4

enum { BY_COND, BY_SEM, BY_PIPE, KINDS };

struct pair {
	int kind;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int turn; /* BY_COND: whose turn, or -1: done */
	sem_t sem[2];
	int fd[2][2]; /* BY_PIPE: fd[i] carries the token to side i */
	atomic_bool done;
	long rounds;
};

static struct pair pairs[PAIRS];
static pthread_t workers[WORKERS];
static atomic_long sent[WORKERS], got[WORKERS], sent2[WORKERS], got2[WORKERS];
static atomic_long alarms, wrong, refused, kill_failed;
static atomic_bool stop, killers_stop;
static atomic_int started;
static sem_t alarm_sem;
static int alarm_pipe[2];
static __thread int me = -1;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	atomic_fetch_add(&alarms, 1);
	sem_post(&alarm_sem);
	(void)!write(alarm_pipe[1], "a", 1);
	errno = saved;
}

static void on_rt(int sig)
{
	static const struct timespec us = { 0, 1000 };
	int saved = errno;
	long n;
	int r;

	if (me < 0 || !pthread_equal(pthread_self(), workers[me])) {
		atomic_fetch_add(&wrong, 1);
		return;
	}
	if (sig == SIGRTMIN + 1) {
		atomic_fetch_add(&got2[me], 1);
		errno = saved;
		return;
	}
	n = atomic_fetch_add(&got[me], 1) + 1;
	if (n % 16 == 0)
		nanosleep(&us, NULL);
	if (n % 8 == 0) {
		int partner = me ^ 1;

		atomic_fetch_add(&sent2[partner], 1);
		r = pthread_kill(workers[partner], SIGRTMIN + 1);
		if (r != 0)
			atomic_fetch_sub(&sent2[partner], 1);
		if (r != 0 && r != EAGAIN)
			atomic_fetch_add(&kill_failed, 1);
	}
	errno = saved;
}

static void sem_wait_intr(sem_t *s)
{
	while (sem_wait(s) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
}

/* Side `side` of pair p: take the token, pass it on; false when done. */
static bool pass(struct pair *p, int side)
{
	bool more;
	char c;

	switch (p->kind) {
	case BY_COND:
		pthread_mutex_lock(&p->mu);
		while (p->turn != side && p->turn != -1)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->turn == -1) {
			pthread_mutex_unlock(&p->mu);
			return false;
		}
		p->rounds++;
		p->turn = atomic_load(&stop) ? -1 : !side;
		more = p->turn != -1;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		return more;
	case BY_SEM:
		sem_wait_intr(&p->sem[side]);
		if (atomic_load(&p->done))
			return false;
		p->rounds++;
		if (atomic_load(&stop))
			atomic_store(&p->done, true);
		sem_post(&p->sem[!side]);
		return !atomic_load(&p->done);
	default:
		CHECK(read(p->fd[side][0], &c, 1) == 1, "read: %s",
		      strerror(errno));
		if (c == 'x')
			return false;
		CHECK(c == 't', "token %c", c);
		p->rounds++;
		c = atomic_load(&stop) ? 'x' : 't';
		CHECK(write(p->fd[!side][1], &c, 1) == 1, "write: %s",
		      strerror(errno));
		return c == 't';
	}
}

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct pair *p = &pairs[i / 2];

	me = i;
	atomic_fetch_add(&started, 1);
	while (pass(p, i % 2))
		;
	return NULL;
}

static void *killer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	while (!atomic_load(&killers_stop)) {
		int t = (int)(rand_r(&seed) % WORKERS), r;

		atomic_fetch_add(&sent[t], 1);
		r = pthread_kill(workers[t], SIGRTMIN);
		if (r == EAGAIN) { /* too many queued: let them run */
			atomic_fetch_sub(&sent[t], 1);
			atomic_fetch_add(&refused, 1);
			sched_yield();
			continue;
		}
		CHECK(r == 0, "pthread_kill: %s", strerror(r));
	}
	return NULL;
}

static void *alarm_reader(void *arg)
{
	long *bytes = arg;
	char buf[256];
	ssize_t n;
	sigset_t s;

	/* Not here: the handler writes to the pipe this one closes. */
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	while ((n = read(alarm_pipe[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			CHECK(errno == EINTR, "read: %s", strerror(errno));
			continue;
		}
		*bytes += n;
	}
	return NULL;
}

static bool all_handled(void)
{
	int i;

	for (i = 0; i < WORKERS; i++)
		if (atomic_load(&got[i]) != atomic_load(&sent[i]) ||
		    atomic_load(&got2[i]) != atomic_load(&sent2[i]))
			return false;
	return true;
}

/* What a thread with signals still pending was doing, for the failure. */
static void report_pending(void)
{
	static const char *const kinds[] = { "cond", "sem", "pipe" };
	int i, shown = 0;

	for (i = 0; i < WORKERS && shown < 8; i++) {
		struct pair *p = &pairs[i / 2];

		if (atomic_load(&got[i]) == atomic_load(&sent[i]) &&
		    atomic_load(&got2[i]) == atomic_load(&sent2[i]))
			continue;
		fprintf(stderr,
			"thread %d (%s pair, %ld rounds): %ld of %ld SIGRTMIN, "
			"%ld of %ld SIGRTMIN+1\n",
			i, kinds[p->kind], p->rounds, atomic_load(&got[i]),
			atomic_load(&sent[i]), atomic_load(&got2[i]),
			atomic_load(&sent2[i]));
		shown++;
	}
}

static void handle(int sig, void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction");
}

int main(void)
{
	const char *env = getenv("SIGNAL_SECONDS");
	int seconds = env ? atoi(env) : 5, i;
	struct itimerval it = { { 0, 100 }, { 0, 100 } }, off = { 0 };
	pthread_t killers[KILLERS], reader;
	long bytes = 0, posts = 0, total = 0;
	uint64_t end;
	sigset_t s;

	/* No watchdog(): the timer is SIGALRM's; meson's timeout serves. */
	handle(SIGALRM, on_alarm);
	handle(SIGRTMIN, on_rt);
	handle(SIGRTMIN + 1, on_rt);
	CHECK(sem_init(&alarm_sem, 0, 0) == 0, "sem_init");
	CHECK(pipe(alarm_pipe) == 0, "pipe");
	CHECK(pthread_create(&reader, NULL, alarm_reader, &bytes) == 0,
	      "create");
	for (i = 0; i < PAIRS; i++) {
		struct pair *p = &pairs[i];

		p->kind = i % KINDS;
		pthread_mutex_init(&p->mu, NULL);
		pthread_cond_init(&p->cv, NULL);
		sem_init(&p->sem[0], 0, 1);
		sem_init(&p->sem[1], 0, 0);
		if (p->kind == BY_PIPE) {
			CHECK(pipe(p->fd[0]) == 0 && pipe(p->fd[1]) == 0,
			      "pipe: %s", strerror(errno));
			CHECK(write(p->fd[0][1], "t", 1) == 1, "write");
		}
	}
	for (i = 0; i < WORKERS; i++)
		CHECK(pthread_create(&workers[i], NULL, worker,
				     (void *)(intptr_t)i) == 0,
		      "create %d", i);
	CHECK(wait_until(atomic_load(&started) == WORKERS, 60),
	      "%d of %d threads started", atomic_load(&started), WORKERS);
	/* The initial thread only counts: the timer's signal goes elsewhere. */
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	CHECK(pthread_sigmask(SIG_BLOCK, &s, NULL) == 0, "mask");
	for (i = 0; i < KILLERS; i++)
		CHECK(pthread_create(&killers[i], NULL, killer,
				     (void *)(uintptr_t)(i + 1)) == 0,
		      "create");
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
	/*
	 * By the clock: a thread woken from a nap waits for its turn behind
	 * 500 runnable ones, which may take longer than the nap.
	 */
	end = now_ns() + (uint64_t)seconds * 1000 * MS;
	while (now_ns() < end) {
		usleep(100000);
		while (sem_trywait(&alarm_sem) == 0)
			posts++;
	}
	CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0, "setitimer");
	atomic_store(&killers_stop, true);
	for (i = 0; i < KILLERS; i++)
		CHECK(pthread_join(killers[i], NULL) == 0, "join");
	/* A thread's own signals still pending when it exits are lost. */
	if (!wait_until(all_handled(), 20))
		report_pending();
	CHECK(all_handled(), "signals still pending after 20 s");
	atomic_store(&stop, true);
	for (i = 0; i < WORKERS; i++)
		CHECK(pthread_join(workers[i], NULL) == 0, "join %d", i);
	CHECK(close(alarm_pipe[1]) == 0, "close");
	CHECK(pthread_join(reader, NULL) == 0, "join");
	while (sem_trywait(&alarm_sem) == 0)
		posts++;

	CHECK(atomic_load(&wrong) == 0, "%ld handlers ran on the wrong thread",
	      atomic_load(&wrong));
	CHECK(atomic_load(&kill_failed) == 0, "%ld pthread_kill() failed",
	      atomic_load(&kill_failed));
	CHECK(atomic_load(&alarms) > 0, "no SIGALRM handled");
	CHECK(posts == atomic_load(&alarms) && bytes == posts,
	      "SIGALRM: %ld handled, %ld posts, %ld bytes",
	      atomic_load(&alarms), posts, bytes);
	for (i = 0; i < WORKERS; i++) {
		CHECK(atomic_load(&got[i]) == atomic_load(&sent[i]),
		      "thread %d: %ld of %ld SIGRTMIN", i, atomic_load(&got[i]),
		      atomic_load(&sent[i]));
		CHECK(atomic_load(&got2[i]) == atomic_load(&sent2[i]),
		      "thread %d: %ld of %ld SIGRTMIN+1", i,
		      atomic_load(&got2[i]), atomic_load(&sent2[i]));
		total += atomic_load(&got[i]);
	}
	for (i = 0; i < PAIRS; i++)
		CHECK(pairs[i].rounds > 0, "pair %d made no progress", i);
	CHECK(total > 0, "no SIGRTMIN handled (%ld sends refused: EAGAIN)",
	      atomic_load(&refused));
	printf("signal_torture: %ld SIGALRM, %ld SIGRTMIN (%ld more refused: "
	       "EAGAIN) in %d s\n",
	       atomic_load(&alarms), total, atomic_load(&refused), seconds);
	return 0;
}
