/*
 * Proves that mutexes, condvars and semaphores work with a thread the
 * program did not create through pthread_create: glibc runs a SIGEV_THREAD
 * timer's notify function in a thread it creates internally.
 * - 5 times a one-shot timer fires a notify function that locks a mutex,
 *   increments a counter, signals a condvar and posts a semaphore; main
 *   waits on the condvar and the semaphore (timed, 20 s; a wait that
 *   needs more than 10 s fails) each time, and the counts match;
 * - a notify function that blocks on a mutex main holds stays blocked for
 *   the 50 ms main keeps it, and gets it once main unlocks (reporting back
 *   through a semaphore).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define FIRINGS 5

static pthread_t main_thread;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t fired, done;
static int count;

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool entered, got_it;

static void notify_count(union sigval sv)
{
	(void)sv;
	CHECK(!pthread_equal(pthread_self(), main_thread),
	      "notify function runs in main");
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	count++;
	CHECK(pthread_cond_signal(&c) == 0, "cond_signal");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(sem_post(&fired) == 0, "sem_post: %s", strerror(errno));
}

static void notify_blocked(union sigval sv)
{
	(void)sv;
	atomic_store(&entered, true);
	CHECK(pthread_mutex_lock(&held) == 0, "lock");
	atomic_store(&got_it, true);
	CHECK(pthread_mutex_unlock(&held) == 0, "unlock");
	CHECK(sem_post(&done) == 0, "sem_post: %s", strerror(errno));
}

static timer_t make_timer(void (*fn)(union sigval))
{
	struct sigevent sev;
	timer_t tm;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = fn;
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &tm) == 0, "timer_create: %s",
	      strerror(errno));
	return tm;
}

static void arm_10ms(timer_t tm)
{
	struct itimerspec its = { .it_value = { 0, 10000000 } };

	CHECK(timer_settime(tm, 0, &its, NULL) == 0, "timer_settime: %s",
	      strerror(errno));
}

static void check_counting(void)
{
	timer_t tm = make_timer(notify_count);
	struct timespec ts;
	int i, err, v;

	for (i = 1; i <= FIRINGS; i++) {
		arm_10ms(tm);
#ifdef __GLIBC__
		ts = deadline_in(CLOCK_MONOTONIC, 20000);
#else
		ts = deadline_in(CLOCK_REALTIME, 20000);
#endif
		CHECK(pthread_mutex_lock(&m) == 0, "lock");
		while (count < i) {
#ifdef __GLIBC__
			err = pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC,
						     &ts);
#else /* musl has no pthread_cond_clockwait() */
			err = pthread_cond_timedwait(&c, &m, &ts);
#endif
			CHECK(err == 0,
			      "firing %d: cond wait gave %d, count %d", i, err,
			      count);
		}
		CHECK(count == i, "count %d after firing %d", count, i);
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
		sem_wait20(&fired, "fired");
	}
	CHECK(sem_getvalue(&fired, &v) == 0 && v == 0,
	      "semaphore at %d after %d firings", v, FIRINGS);
	CHECK(timer_delete(tm) == 0, "timer_delete");
}

static void check_blocking(void)
{
	timer_t tm = make_timer(notify_blocked);
	struct timespec nap = { 0, 50000000 };

	CHECK(pthread_mutex_lock(&held) == 0, "lock");
	arm_10ms(tm);
	CHECK(wait_until(atomic_load(&entered), 20), "timer never fired");
	nanosleep(&nap, NULL); /* let the notify function block */
	CHECK(!atomic_load(&got_it), "notify function got a held mutex");
	CHECK(pthread_mutex_unlock(&held) == 0, "unlock");
	sem_wait20(&done, "done");
	CHECK(atomic_load(&got_it), "notify function never got the mutex");
	CHECK(timer_delete(tm) == 0, "timer_delete");
}

int main(void)
{
	watchdog(30);
	main_thread = pthread_self();
	CHECK(sem_init(&fired, 0, 0) == 0 && sem_init(&done, 0, 0) == 0,
	      "sem_init: %s", strerror(errno));

	check_counting();
	check_blocking();

	CHECK(sem_destroy(&fired) == 0 && sem_destroy(&done) == 0,
	      "sem_destroy");
	return 0;
}
