/*
 * Proves that a condvar waiter cancelled on its way into the wait (after
 * the call's entry, before it parks) is cancelled: its join gives
 * PTHREAD_CANCELED within seconds, and its cleanup handler finds the mutex
 * held. The canceller is a thread that has waited for the mutex for some
 * milliseconds, so that the waiter's unlock hands the mutex to it and it
 * may run at once, inside the waiter's pthread_cond_wait(). Nobody signals
 * the condvar: only the cancellation ends the wait.
 */
#include <pthread.h>

#include "check.h"

#define ROUNDS 20

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static pthread_t waiter_t, canceller_t;
static volatile int cleaned;

static void *canceller(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "canceller's lock");
	CHECK(pthread_cancel(waiter_t) == 0, "pthread_cancel");
	CHECK(pthread_mutex_unlock(&m) == 0, "canceller's unlock");
	return NULL;
}

static void cleanup(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_trylock(&m) == EBUSY,
	      "the cancelled waiter does not hold the mutex");
	CHECK(pthread_mutex_unlock(&m) == 0, "cleanup's unlock");
	cleaned = 1;
}

static void *waiter(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "waiter's lock");
	CHECK(pthread_create(&canceller_t, NULL, canceller, NULL) == 0,
	      "pthread_create canceller");
	usleep(5000); /* the canceller waits for m meanwhile */
	pthread_cleanup_push(cleanup, NULL);
	for (;;)
		pthread_cond_wait(&c, &m);
	pthread_cleanup_pop(0);
	return NULL;
}

int main(void)
{
	struct timespec ts;
	void *r;
	int i, err;

	watchdog(120);
	for (i = 0; i < ROUNDS; i++) {
		cleaned = 0;
		CHECK(pthread_create(&waiter_t, NULL, waiter, NULL) == 0,
		      "pthread_create waiter");
		ts = deadline_in(CLOCK_REALTIME, 10000);
		err = pthread_timedjoin_np(waiter_t, &r, &ts);
		CHECK(err == 0,
		      "round %d: the cancelled waiter still waits (%s)", i,
		      strerror(err));
		CHECK(r == PTHREAD_CANCELED, "round %d: not cancelled", i);
		CHECK(cleaned, "round %d: the cleanup handler did not run", i);
		CHECK(pthread_join(canceller_t, NULL) == 0, "join canceller");
	}
	puts("cancel_cond_entry: ok");
	return 0;
}
