/*
 * Proves that a thread may be sent signals (pthread_kill) at any moment of
 * its sleeps without harm: 32 threads sleep 1-20 us at a time in a loop
 * while four others signal them without pause, for 2 s. Each sleep returns
 * 0 or EINTR, every sleeper goes on sleeping, and the handler runs.
 * (A signal that woke a sleeper while its M was still arming the sleep's
 * timer let the sleeper disarm a timer half in its list.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define SLEEPERS 32
#define KILLERS	 4
#define SECONDS	 2

static pthread_t sleepers[SLEEPERS];
static atomic_bool stop;
static atomic_long handled, sleeps[SLEEPERS];

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void *sleeper(void *arg)
{
	long i = (long)(intptr_t)arg, n = 0;

	while (!atomic_load(&stop)) {
		struct timespec ts = { 0,
				       1000 + (n * 7919 + i * 104729) % 20000 };
		int r = nanosleep(&ts, NULL);

		CHECK(r == 0 || errno == EINTR, "nanosleep: %s",
		      strerror(errno));
		atomic_fetch_add(&sleeps[i], 1);
		n++;
	}
	return NULL;
}

static void *killer(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		int r = pthread_kill(sleepers[i++ % SLEEPERS], SIGUSR1);

		CHECK(r == 0, "pthread_kill: %s", strerror(r));
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t k[KILLERS];
	long i;

	watchdog(60);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	for (i = 0; i < SLEEPERS; i++)
		CHECK(pthread_create(&sleepers[i], NULL, sleeper,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	for (i = 0; i < KILLERS; i++)
		CHECK(pthread_create(&k[i], NULL, killer,
				     (void *)(uintptr_t)(i * 7)) == 0,
		      "pthread_create");
	sleep(SECONDS);
	atomic_store(&stop, true);
	for (i = 0; i < KILLERS; i++)
		CHECK(pthread_join(k[i], NULL) == 0, "join");
	for (i = 0; i < SLEEPERS; i++) {
		CHECK(pthread_join(sleepers[i], NULL) == 0, "join");
		CHECK(atomic_load(&sleeps[i]) > 0, "sleeper %ld never woke", i);
	}
	CHECK(atomic_load(&handled) > 0, "no handler ran");
	printf("%ld signals handled\n", (long)atomic_load(&handled));
	return 0;
}
