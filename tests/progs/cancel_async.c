/*
 * Proves that asynchronous cancellation ends a thread wherever it is, and
 * that the cleanup handlers run (each case checks the join gives
 * PTHREAD_CANCELED within 30 s, one handler ran and the code after the
 * place of cancellation did not):
 * - a thread spinning in a loop that calls nothing (bounded to 20 s) is
 *   cancelled while it spins. The canceller is the notify function of a
 *   SIGEV_THREAD timer, a thread glibc itself creates: with one processor
 *   nothing else of the program may run while the loop spins;
 * - a thread that turns asynchronous with a cancel already pending is
 *   cancelled inside pthread_setcanceltype;
 * - an asynchronous thread that cancels itself ends inside pthread_cancel;
 * - an asynchronous thread waiting in pthread_mutex_lock (not a
 *   cancellation point) for a mutex main holds is cancelled, and ends
 *   without owning it: main still does (unlocking the errorcheck mutex
 *   gives 0), and the mutex is free afterwards;
 * - pthread_cleanup_push_defer_np makes an asynchronous thread deferred
 *   until pthread_cleanup_pop_restore_np makes it asynchronous again; a
 *   handler pushed so runs when the thread is cancelled in sem_wait.
 * Watchdog 60 s.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>

#include "check.h"

#define RETURNED ((void *)1)
#define SPIN_NS	 (20000 * MS)
#define JOIN_MS	 30000

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static sem_t never; /* never posted */

/* What a target did, for main to check. */
struct run {
	pthread_t thread;
	sem_t ready;	  /* posted by the target right before its wait */
	atomic_int stage; /* 1 where it should end; 2 past that */
	atomic_int cleanups;
	atomic_bool spinning;
	sem_t cancelled; /* posted by the spinner's canceller */
	int cancel_err;
};

static void on_cleanup(void *arg)
{
	struct run *run = arg;

	atomic_fetch_add(&run->cleanups, 1);
}

static void make_async(void)
{
	int old;

	CHECK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old) == 0 &&
		      old == PTHREAD_CANCEL_DEFERRED,
	      "setcanceltype: was %d", old);
}

/* The type now: setting it to what it is changes nothing. */
static int cancel_type(int expected)
{
	int old;

	CHECK(pthread_setcanceltype(expected, &old) == 0, "setcanceltype");
	return old;
}

static void *spinner(void *arg)
{
	static volatile unsigned long spins;
	struct run *run = arg;
	uint64_t t0 = now_ns();

	make_async();
	pthread_cleanup_push(on_cleanup, run);
	atomic_store(&run->stage, 1);
	atomic_store(&run->spinning, true);
	while (now_ns() - t0 < SPIN_NS)
		for (int i = 0; i < (1 << 22); i++)
			spins++;
	atomic_store(&run->stage, 2);
	pthread_cleanup_pop(0);
	return RETURNED;
}

/* Runs in a thread of glibc's: cancels the spinner while it spins. */
static void cancel_spinner(union sigval sv)
{
	struct run *run = sv.sival_ptr;
	struct timespec ts = { 0, 20 * MS };

	if (wait_until(atomic_load(&run->spinning), 10)) {
		nanosleep(&ts, NULL);
		run->cancel_err = pthread_cancel(run->thread);
	} else {
		run->cancel_err = -1;
	}
	CHECK(sem_post(&run->cancelled) == 0, "sem_post");
}

static void *pending_then_async(void *arg)
{
	struct run *run = arg;

	pthread_cleanup_push(on_cleanup, run);
	CHECK(sem_post(&run->ready) == 0, "sem_post");
	/* Not a cancellation point: main cancels, then unlocks. */
	CHECK(pthread_mutex_lock(&gate) == 0, "lock gate");
	CHECK(pthread_mutex_unlock(&gate) == 0, "unlock gate");
	atomic_store(&run->stage, 1);
	make_async();
	atomic_store(&run->stage, 2);
	pthread_cleanup_pop(0);
	return RETURNED;
}

static void *self_cancel(void *arg)
{
	struct run *run = arg;

	make_async();
	pthread_cleanup_push(on_cleanup, run);
	atomic_store(&run->stage, 1);
	pthread_cancel(pthread_self());
	atomic_store(&run->stage, 2);
	pthread_cleanup_pop(0);
	return RETURNED;
}

static void *lock_held(void *arg)
{
	struct run *run = arg;

	make_async();
	pthread_cleanup_push(on_cleanup, run);
	atomic_store(&run->stage, 1);
	CHECK(sem_post(&run->ready) == 0, "sem_post");
	pthread_mutex_lock(&held);
	atomic_store(&run->stage, 2);
	pthread_mutex_unlock(&held);
	pthread_cleanup_pop(0);
	return RETURNED;
}

static void *deferred_inside(void *arg)
{
	struct run *run = arg;

	make_async();
	pthread_cleanup_push_defer_np(on_cleanup, run);
	CHECK(cancel_type(PTHREAD_CANCEL_DEFERRED) == PTHREAD_CANCEL_DEFERRED,
	      "not deferred after pthread_cleanup_push_defer_np");
	pthread_cleanup_pop_restore_np(0);
	CHECK(cancel_type(PTHREAD_CANCEL_ASYNCHRONOUS) ==
		      PTHREAD_CANCEL_ASYNCHRONOUS,
	      "not asynchronous after pthread_cleanup_pop_restore_np");
	CHECK(atomic_load(&run->cleanups) == 0, "popped handler ran");

	pthread_cleanup_push_defer_np(on_cleanup, run);
	atomic_store(&run->stage, 1);
	CHECK(sem_post(&run->ready) == 0, "sem_post");
	sem_wait(&never);
	atomic_store(&run->stage, 2);
	pthread_cleanup_pop_restore_np(0);
	return RETURNED;
}

static void start(struct run *run, void *(*fn)(void *))
{
	int err;

	memset(run, 0, sizeof(*run));
	CHECK(sem_init(&run->ready, 0, 0) == 0 &&
		      sem_init(&run->cancelled, 0, 0) == 0,
	      "sem_init");
	err = pthread_create(&run->thread, NULL, fn, run);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
}

static void cancel(struct run *run, const char *what)
{
	int err = pthread_cancel(run->thread);

	CHECK(err == 0, "%s: pthread_cancel: %s", what, strerror(err));
}

/* Join the target, which must have been cancelled at stage 1. */
static void check_cancelled(struct run *run, const char *what)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, JOIN_MS);
	void *res;
	int err = pthread_timedjoin_np(run->thread, &res, &ts);

	CHECK(err == 0, "%s: not ended in %d s (%s)", what, JOIN_MS / 1000,
	      strerror(err));
	CHECK(res == PTHREAD_CANCELED, "%s: not cancelled (stage %d)", what,
	      atomic_load(&run->stage));
	CHECK(atomic_load(&run->stage) == 1, "%s: cancelled at stage %d", what,
	      atomic_load(&run->stage));
	CHECK(atomic_load(&run->cleanups) == 1, "%s: %d cleanup handlers ran",
	      what, atomic_load(&run->cleanups));
	sem_destroy(&run->ready);
	sem_destroy(&run->cancelled);
}

static void nap_50ms(void)
{
	struct timespec ts = { 0, 50 * MS };

	nanosleep(&ts, NULL);
}

static void test_spinning(void)
{
	const char *what = "spinning";
	struct run run;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD };
	struct itimerspec its = { .it_value = { 0, 10 * MS } };
	timer_t timer;

	start(&run, spinner);
	sev.sigev_value.sival_ptr = &run;
	sev.sigev_notify_function = cancel_spinner;
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0,
	      "timer_create: %s", strerror(errno));
	CHECK(timer_settime(timer, 0, &its, NULL) == 0, "timer_settime: %s",
	      strerror(errno));
	sem_wait20(&run.cancelled, "the canceller");
	CHECK(run.cancel_err == 0, "%s: pthread_cancel: %s", what,
	      run.cancel_err < 0 ? "never spinning" : strerror(run.cancel_err));
	check_cancelled(&run, what);
	CHECK(timer_delete(timer) == 0, "timer_delete");
}

static void test_pending_then_async(void)
{
	const char *what = "pending, then asynchronous";
	struct run run;

	CHECK(pthread_mutex_lock(&gate) == 0, "lock gate");
	start(&run, pending_then_async);
	sem_wait20(&run.ready, what);
	cancel(&run, what);
	CHECK(pthread_mutex_unlock(&gate) == 0, "unlock gate");
	check_cancelled(&run, what);
}

static void test_self(void)
{
	struct run run;

	start(&run, self_cancel);
	check_cancelled(&run, "asynchronous self-cancel");
}

static void test_mutex(void)
{
	const char *what = "waiting for a mutex";
	struct run run;

	CHECK(pthread_mutex_lock(&held) == 0, "lock");
	start(&run, lock_held);
	sem_wait20(&run.ready, what);
	nap_50ms();
	cancel(&run, what);
	check_cancelled(&run, what);
	CHECK(pthread_mutex_unlock(&held) == 0,
	      "%s: main no longer owns the mutex", what);
	CHECK(pthread_mutex_trylock(&held) == 0, "%s: the mutex is not free",
	      what);
	CHECK(pthread_mutex_unlock(&held) == 0, "unlock");
}

static void test_defer_np(void)
{
	const char *what = "pushed with pthread_cleanup_push_defer_np";
	struct run run;

	start(&run, deferred_inside);
	sem_wait20(&run.ready, what);
	nap_50ms();
	cancel(&run, what);
	check_cancelled(&run, what);
}

int main(void)
{
	watchdog(60);
	CHECK(sem_init(&never, 0, 0) == 0, "sem_init");
	test_spinning();
	test_pending_then_async();
	test_self();
	test_mutex();
	test_defer_np();
	return 0;
}
