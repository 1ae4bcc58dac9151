/*
 * Handlers as on threads:
 *  - A handler may block: 16 threads each raise() SIGUSR2 1,000 times,
 *    and its handler sleeps 20 us (nanosleep, async-signal-safe) and
 *    counts. raise() delivers before it returns, so every thread sees its
 *    own count go up by one each time, and the total is exactly 16,000:
 *    a handler that parks takes its frames and its mask along, and the
 *    other threads keep getting theirs.
 *  - The alternate signal stack is per thread: one thread sets one with
 *    sigaltstack(), another has none; an SA_ONSTACK handler for SIGUSR1
 *    runs on the first's alternate stack for the first (sigaltstack()
 *    there says SS_ONSTACK), and on the second's own stack (as
 *    pthread_getattr_np() gives it) for the second, never on a stack the
 *    program did not give; sigaltstack() reports each thread's setting.
 */
#include <pthread.h>
#include <semaphore.h>

#include "check.h"

#define THREADS 16
#define RAISES	1000

static _Atomic long total;
static __thread long mine;

static void sleepy(int sig)
{
	struct timespec ts = { 0, 20000 };

	(void)sig;
	nanosleep(&ts, NULL);
	mine++;
	total++;
}

static void *raiser(void *arg)
{
	(void)arg;
	for (long i = 0; i < RAISES; i++) {
		CHECK(raise(SIGUSR2) == 0, "raise");
		CHECK(mine == i + 1,
		      "after raise %ld the handler ran %ld times", i + 1, mine);
	}
	return NULL;
}

#define ALT_BYTES (64 * 1024)

struct where {
	char *lo, *hi;		   /* the thread's alternate stack, or NULL */
	char *stack_lo, *stack_hi; /* its own stack */
	_Atomic int on_alt, on_own, elsewhere, ss_onstack;
};

static __thread struct where *here;

static void locate(int sig)
{
	char probe;
	stack_t now;

	(void)sig;
	if (here->lo && &probe >= here->lo && &probe < here->hi)
		here->on_alt++;
	else if (&probe >= here->stack_lo && &probe < here->stack_hi)
		here->on_own++;
	else
		here->elsewhere++;
	if (sigaltstack(NULL, &now) == 0 && (now.ss_flags & SS_ONSTACK))
		here->ss_onstack++;
}

static sem_t ready, go, done;

static void *alt_thread(void *arg)
{
	struct where *w = arg;
	stack_t ss = { .ss_size = ALT_BYTES }, old;

	pthread_attr_t attr;
	size_t size;
	void *lo;

	CHECK(pthread_getattr_np(pthread_self(), &attr) == 0, "getattr");
	CHECK(pthread_attr_getstack(&attr, &lo, &size) == 0, "getstack");
	pthread_attr_destroy(&attr);
	w->stack_lo = lo;
	w->stack_hi = (char *)lo + size;
	here = w;
	if (w->lo) {
		ss.ss_sp = w->lo;
		CHECK(sigaltstack(&ss, &old) == 0, "sigaltstack: %s",
		      strerror(errno));
		CHECK(old.ss_flags & SS_DISABLE,
		      "a new thread had an alternate stack");
		CHECK(sigaltstack(NULL, &old) == 0, "sigaltstack");
		CHECK(old.ss_sp == w->lo && old.ss_size == ALT_BYTES &&
			      old.ss_flags == 0,
		      "sigaltstack reports %p %zu %d", old.ss_sp, old.ss_size,
		      old.ss_flags);
	} else {
		CHECK(sigaltstack(NULL, &old) == 0, "sigaltstack");
		CHECK(old.ss_flags & SS_DISABLE,
		      "a thread that set none has an alternate stack");
	}
	sem_post(&ready);
	sem_wait(&go);
	for (int i = 0; i < 200; i++) {
		CHECK(pthread_kill(pthread_self(), SIGUSR1) == 0, "kill");
		sched_yield(); /* move about the kernel threads */
	}
	sem_post(&done);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = sleepy };
	struct where with = { 0 }, without = { 0 };
	pthread_t t[THREADS], a, b;
	int i;

	watchdog(60);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction");
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, raiser, NULL) == 0, "create");
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "join");
	CHECK(total == THREADS * RAISES, "the handler ran %ld times, not %d",
	      (long)total, THREADS * RAISES);

	sa.sa_handler = locate;
	sa.sa_flags = SA_ONSTACK;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	with.lo = malloc(ALT_BYTES);
	CHECK(with.lo, "malloc");
	with.hi = with.lo + ALT_BYTES;
	sem_init(&ready, 0, 0);
	sem_init(&go, 0, 0);
	sem_init(&done, 0, 0);
	CHECK(pthread_create(&a, NULL, alt_thread, &with) == 0, "create");
	CHECK(pthread_create(&b, NULL, alt_thread, &without) == 0, "create");
	sem_wait(&ready);
	sem_wait(&ready);
	sem_post(&go);
	sem_post(&go);
	sem_wait(&done);
	sem_wait(&done);
	CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0, "join");
	CHECK(with.on_alt == 200 && with.ss_onstack == 200,
	      "with an alternate stack: %d on it, %d on its own stack, %d "
	      "elsewhere, %d SS_ONSTACK",
	      with.on_alt, with.on_own, with.elsewhere, with.ss_onstack);
	CHECK(without.on_own == 200 && without.ss_onstack == 0,
	      "without: %d on its own stack, %d elsewhere, %d SS_ONSTACK",
	      without.on_own, without.elsewhere, without.ss_onstack);
	free(with.lo);
	return 0;
}
