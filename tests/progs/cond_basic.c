/*
 * Proves that condition variables wake and time out as POSIX says, for one
 * made with PTHREAD_COND_INITIALIZER, one with pthread_cond_init(NULL) and
 * one with pthread_condattr_setclock(CLOCK_MONOTONIC):
 * - each pthread_cond_signal lets exactly one of 4 waiters (in predicate
 *   loops) through, and pthread_cond_broadcast wakes all of 16 waiters;
 * - pthread_cond_timedwait with a deadline 100 ms ahead on the cond's
 *   clock fails with ETIMEDOUT after at least 100 ms, and returns with the
 *   (errorcheck) mutex held: another thread's trylock gives EBUSY and the
 *   caller's unlock succeeds;
 * - pthread_cond_clockwait times out likewise with CLOCK_MONOTONIC and
 *   CLOCK_REALTIME whatever the cond's clock;
 * - tv_nsec -1 or 1000000000 gives EINVAL, as does clockwait with clock
 *   12345, and the mutex is still held afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

#define NSIGNALED  4
#define NBROADCAST 16

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t em = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t c_static = PTHREAD_COND_INITIALIZER;
static pthread_cond_t c_default, c_mono;
static pthread_cond_t *cv; /* the one under test */
static int waiting, tokens, woken, gen;

static int locked_get(int *p)
{
	int v;

	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	v = *p;
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return v;
}

static void *token_waiter(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	waiting++;
	while (tokens == 0)
		CHECK(pthread_cond_wait(cv, &m) == 0, "cond_wait");
	tokens--;
	woken++;
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

static void *gen_waiter(void *arg)
{
	int my_gen;

	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	my_gen = gen;
	waiting++;
	while (gen == my_gen)
		CHECK(pthread_cond_wait(cv, &m) == 0, "cond_wait");
	woken++;
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	return NULL;
}

static void start(pthread_t *t, int n, void *(*fn)(void *))
{
	int i, err;

	waiting = woken = 0;
	for (i = 0; i < n; i++) {
		err = pthread_create(&t[i], NULL, fn, NULL);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	CHECK(wait_until(locked_get(&waiting) == n, 20),
	      "only %d of %d waiters arrived", locked_get(&waiting), n);
}

static void join(pthread_t *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
}

static void check_wakeups(pthread_cond_t *c, const char *name)
{
	pthread_t t[NBROADCAST];
	int i;

	cv = c;
	start(t, NSIGNALED, token_waiter);
	for (i = 1; i <= NSIGNALED; i++) {
		CHECK(pthread_mutex_lock(&m) == 0, "lock");
		tokens++;
		CHECK(pthread_cond_signal(c) == 0, "signal");
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
		CHECK(wait_until(locked_get(&woken) == i, 20),
		      "%s: signal %d: %d woken", name, i, locked_get(&woken));
	}
	join(t, NSIGNALED);
	CHECK(tokens == 0, "%s: %d tokens left", name, tokens);

	start(t, NBROADCAST, gen_waiter);
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	gen++;
	CHECK(pthread_cond_broadcast(c) == 0, "broadcast");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	join(t, NBROADCAST);
	CHECK(woken == NBROADCAST, "%s: broadcast woke %d of %d", name, woken,
	      NBROADCAST);
}

static void *trylocker(void *arg)
{
	int err = pthread_mutex_trylock(&em);

	(void)arg;
	if (err == 0)
		CHECK(pthread_mutex_unlock(&em) == 0, "unlock");
	return (void *)(intptr_t)err;
}

/* The caller must hold em: check that it still does. */
static void check_em_held(const char *what)
{
	pthread_t t;
	void *ret;
	int err;

	err = pthread_create(&t, NULL, trylocker, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(pthread_join(t, &ret) == 0, "pthread_join");
	CHECK((intptr_t)ret == EBUSY, "%s: other thread's trylock gave %d",
	      what, (int)(intptr_t)ret);
	err = pthread_mutex_unlock(&em);
	CHECK(err == 0, "%s: mutex not held on return: unlock gave %d", what,
	      err);
}

/*
 * Waits on c with a deadline 100 ms ahead on clock clk, with
 * pthread_cond_clockwait(clk) or else pthread_cond_timedwait.
 */
static void check_times_out(pthread_cond_t *c, clockid_t clk, bool clockwait,
			    const char *what)
{
	struct timespec ts;
	uint64_t t0, el;
	int err;

	CHECK(pthread_mutex_lock(&em) == 0, "lock");
	ts = deadline_in(clk, 100);
	t0 = now_ns();
	if (clockwait)
		err = pthread_cond_clockwait(c, &em, clk, &ts);
	else
		err = pthread_cond_timedwait(c, &em, &ts);
	el = now_ns() - t0;
	CHECK(err == ETIMEDOUT, "%s: returned %d", what, err);
	CHECK(el >= 99 * MS && el < 5000 * MS, "%s: timed out after %llu ms",
	      what, (unsigned long long)(el / MS));
	check_em_held(what);
}

static void check_invalid(pthread_cond_t *c)
{
	struct timespec ts, bad[2] = { { 0, -1 }, { 0, 1000000000 } };
	int i, err;

	CHECK(pthread_mutex_lock(&em) == 0, "lock");
	for (i = 0; i < 2; i++) {
		err = pthread_cond_timedwait(c, &em, &bad[i]);
		CHECK(err == EINVAL, "timedwait tv_nsec %ld: %d",
		      bad[i].tv_nsec, err);
		err = pthread_cond_clockwait(c, &em, CLOCK_MONOTONIC, &bad[i]);
		CHECK(err == EINVAL, "clockwait tv_nsec %ld: %d",
		      bad[i].tv_nsec, err);
	}
	ts = deadline_in(CLOCK_MONOTONIC, 100);
	err = pthread_cond_clockwait(c, &em, 12345, &ts);
	CHECK(err == EINVAL, "clockwait clock 12345: %d", err);
	check_em_held("after EINVAL");
}

int main(void)
{
	pthread_condattr_t ca;
	clockid_t clk;

	watchdog(30);

	CHECK(pthread_cond_init(&c_default, NULL) == 0, "cond_init default");
	CHECK(pthread_condattr_init(&ca) == 0, "condattr_init");
	CHECK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0, "setclock");
	CHECK(pthread_condattr_getclock(&ca, &clk) == 0 &&
		      clk == CLOCK_MONOTONIC,
	      "getclock gave %d", (int)clk);
	CHECK(pthread_cond_init(&c_mono, &ca) == 0, "cond_init monotonic");
	CHECK(pthread_condattr_destroy(&ca) == 0, "condattr_destroy");

	check_wakeups(&c_static, "static");
	check_wakeups(&c_default, "default");
	check_wakeups(&c_mono, "monotonic");

	check_times_out(&c_static, CLOCK_REALTIME, false, "static timedwait");
	check_times_out(&c_default, CLOCK_REALTIME, false, "default timedwait");
	check_times_out(&c_mono, CLOCK_MONOTONIC, false, "monotonic timedwait");
	check_times_out(&c_default, CLOCK_MONOTONIC, true,
			"default clockwait monotonic");
	check_times_out(&c_default, CLOCK_REALTIME, true,
			"default clockwait realtime");
	check_times_out(&c_mono, CLOCK_REALTIME, true,
			"monotonic clockwait realtime");

	check_invalid(&c_default);
	check_invalid(&c_mono);

	CHECK(pthread_cond_destroy(&c_static) == 0, "destroy static");
	CHECK(pthread_cond_destroy(&c_default) == 0, "destroy default");
	CHECK(pthread_cond_destroy(&c_mono) == 0, "destroy monotonic");
	return 0;
}
