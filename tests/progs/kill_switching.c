/*
 * Proves that pthread_kill() reaches the thread it names, and only that
 * one, while that thread keeps stopping and starting: 8 threads hand a
 * mutex around and yield without pause while the main thread signals
 * them one at a time, 20,000 times (or for 20 s), each time waiting until
 * the handler has run. The handler counts where it runs: on its target,
 * once per signal, never on another thread. (A signal sent to a green thread's
 * kernel thread just as the thread left it ran on the next thread there,
 * or stayed pending on an idle kernel thread: its target never saw it.)
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define THREADS 8
#define ROUNDS	20000
#define SECONDS 20

static pthread_t threads[THREADS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int target = -1;
static atomic_long handled[THREADS], stray;
static atomic_bool stop;
static atomic_int started;
static __thread int me = -1;

static void on_usr1(int sig)
{
	(void)sig;
	if (me >= 0 && me == atomic_load(&target) &&
	    pthread_equal(pthread_self(), threads[me]))
		atomic_fetch_add(&handled[me], 1);
	else
		atomic_fetch_add(&stray, 1);
}

static void *worker(void *arg)
{
	long n = 0;

	me = (int)(intptr_t)arg;
	atomic_fetch_add(&started, 1);
	while (!atomic_load(&stop)) {
		pthread_mutex_lock(&lock);
		n++;
		pthread_mutex_unlock(&lock);
		if (n % 2)
			sched_yield();
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	uint64_t end = now_ns() + SECONDS * 1000 * MS;
	long sent[THREADS] = { 0 };
	int i, r;

	watchdog(SECONDS + 30);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, worker,
				     (void *)(intptr_t)i) == 0,
		      "create %d", i);
	CHECK(wait_until(atomic_load(&started) == THREADS, 10), "start");
	for (r = 0; r < ROUNDS && now_ns() < end; r++) {
		i = r % THREADS;
		atomic_store(&target, i);
		sent[i]++;
		CHECK(pthread_kill(threads[i], SIGUSR1) == 0, "pthread_kill");
		CHECK(wait_until(atomic_load(&handled[i]) == sent[i] ||
					 atomic_load(&stray),
				 10),
		      "round %d: thread %d handled %ld of %ld", r, i,
		      atomic_load(&handled[i]), sent[i]);
		CHECK(atomic_load(&stray) == 0,
		      "round %d: a handler ran off its target", r);
	}
	atomic_store(&stop, true);
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_join(threads[i], NULL) == 0, "join");
	CHECK(r >= 200, "only %d rounds in %d s", r, SECONDS);
	for (i = 0; i < THREADS; i++)
		CHECK(atomic_load(&handled[i]) == sent[i],
		      "thread %d handled %ld of %ld", i,
		      atomic_load(&handled[i]), sent[i]);
	return 0;
}
