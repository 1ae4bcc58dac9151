/*
 * Proves that a signal interrupts a sleep as POSIX and glibc say.  A
 * SIGUSR1 handler is installed with sa_flags 0 (no SA_RESTART).  In each
 * round a thread announces it is about to sleep and sleeps; 300 ms later
 * main sends it SIGUSR1 with pthread_kill; then:
 * a. nanosleep(2 s, &rem) returns -1 with errno EINTR;
 * b. clock_nanosleep(CLOCK_MONOTONIC, 0, 2 s, &rem) returns EINTR itself,
 *    errno untouched;
 *    in a and b, rem holds the unslept time: with el the elapsed
 *    CLOCK_MONOTONIC time around the call, 2 s - el - 50 ms <= rem <=
 *    2 s - el + 50 ms;
 * c. clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, now + 2 s, &rem)
 *    returns EINTR and leaves rem untouched;
 * d. sleep(5) returns the unslept whole seconds, rounded down as glibc
 *    does: at most 4 and at least floor(5 s - el);
 * e. usleep(2000000) returns -1 with errno EINTR;
 * f. thrd_sleep(2 s, &rem) returns -1 (errno untouched), rem as in a.
 * Every interrupted call returns within 1.5 s, and in every round the
 * handler ran exactly once, on the sleeping thread.  A round in which the
 * handler ran before the sleeper reached its sleep (the sleeper lost the
 * CPU for 300 ms) proves nothing and is run again, at most 3 times.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <threads.h>

#include "check.h"

#define SEC	   1000000000ull
#define ERRNO_MARK 4242

enum kind { NANOSLEEP, CNS_REL, CNS_ABS, SLEEP, USLEEP, THRD_SLEEP, NKINDS };

static const char *const kind_name[NKINDS] = {
	"nanosleep",
	"clock_nanosleep relative",
	"clock_nanosleep TIMER_ABSTIME",
	"sleep",
	"usleep",
	"thrd_sleep",
};

static volatile pthread_t handler_thread;
static volatile sig_atomic_t handled;
static atomic_int handler_runs;
static _Atomic uint64_t handler_at;
static atomic_bool about_to_sleep;

struct result {
	uint64_t t0, el;
	long ret;
	int err;
	struct timespec rem;
};

static void on_usr1(int sig)
{
	(void)sig;
	handler_thread = pthread_self();
	handled = 1;
	atomic_store(&handler_at, now_ns());
	atomic_fetch_add(&handler_runs, 1);
}

static void *sleeper(void *arg)
{
	enum kind kind = (enum kind)(uintptr_t)arg;
	struct timespec two = { 2, 0 }, dl;
	static struct result r;

	memset(&r, 0, sizeof(r));
	r.rem.tv_sec = 77;
	r.rem.tv_nsec = 77;
	if (kind == CNS_ABS)
		dl = deadline_in(CLOCK_MONOTONIC, 2000);
	atomic_store(&about_to_sleep, true);
	errno = ERRNO_MARK;
	r.t0 = now_ns();
	switch (kind) {
	case NANOSLEEP:
		r.ret = nanosleep(&two, &r.rem);
		break;
	case CNS_REL:
		r.ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &two, &r.rem);
		break;
	case CNS_ABS:
		r.ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl,
					&r.rem);
		break;
	case SLEEP:
		r.ret = sleep(5);
		break;
	case USLEEP:
		r.ret = usleep(2000000);
		break;
	default:
		r.ret = thrd_sleep(&two, &r.rem);
		break;
	}
	r.el = now_ns() - r.t0;
	r.err = errno;
	return &r;
}

/* rem, after el of a 2 s sleep, is what was left of it, give or take. */
static void check_rem(const char *what, const struct result *r)
{
	uint64_t rem = (uint64_t)r->rem.tv_sec * SEC + r->rem.tv_nsec;

	CHECK(r->rem.tv_sec >= 0 && r->rem.tv_nsec >= 0 &&
		      r->rem.tv_nsec < 1000000000,
	      "%s: rem {%ld, %ld}", what, (long)r->rem.tv_sec, r->rem.tv_nsec);
	CHECK(rem + 50 * MS >= 2 * SEC - r->el,
	      "%s: rem %llu us after %llu us of 2 s", what,
	      (unsigned long long)(rem / 1000),
	      (unsigned long long)(r->el / 1000));
	CHECK(rem <= 2 * SEC - r->el + 50 * MS,
	      "%s: rem %llu us after %llu us of 2 s", what,
	      (unsigned long long)(rem / 1000),
	      (unsigned long long)(r->el / 1000));
}

/* Runs one round; false if the signal came before the sleep began. */
static bool round_of(enum kind kind)
{
	const char *what = kind_name[kind];
	struct timespec pause = { 0, 300 * MS };
	struct result *r;
	pthread_t t;
	void *ret;
	int err;

	atomic_store(&handler_runs, 0);
	atomic_store(&handler_at, 0);
	atomic_store(&about_to_sleep, false);
	handled = 0;
	handler_thread = (pthread_t)0;

	err = pthread_create(&t, NULL, sleeper, (void *)(uintptr_t)kind);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(wait_until(atomic_load(&about_to_sleep), 10),
	      "%s: sleeper never started", what);
	while (nanosleep(&pause, &pause) != 0)
		CHECK(errno == EINTR, "nanosleep: %s", strerror(errno));
	err = pthread_kill(t, SIGUSR1);
	CHECK(err == 0, "pthread_kill: %s", strerror(err));
	err = pthread_join(t, &ret);
	CHECK(err == 0, "pthread_join: %s", strerror(err));
	r = ret;

	CHECK(atomic_load(&handler_runs) == 1 && handled,
	      "%s: handler ran %d times", what, atomic_load(&handler_runs));
	CHECK(pthread_equal(handler_thread, t),
	      "%s: handler ran on another thread", what);
	if (atomic_load(&handler_at) < r->t0) {
		printf("%s: the signal came before the sleep; again\n", what);
		return false;
	}
	CHECK(r->el < 1500 * MS, "%s: returned after %llu ms", what,
	      (unsigned long long)(r->el / MS));

	switch (kind) {
	case NANOSLEEP:
		CHECK(r->ret == -1 && r->err == EINTR,
		      "%s: returned %ld, errno %d", what, r->ret, r->err);
		check_rem(what, r);
		break;
	case CNS_REL:
		CHECK(r->ret == EINTR, "%s: returned %ld", what, r->ret);
		CHECK(r->err == ERRNO_MARK, "%s: set errno to %d", what,
		      r->err);
		check_rem(what, r);
		break;
	case CNS_ABS:
		CHECK(r->ret == EINTR, "%s: returned %ld", what, r->ret);
		CHECK(r->err == ERRNO_MARK, "%s: set errno to %d", what,
		      r->err);
		CHECK(r->rem.tv_sec == 77 && r->rem.tv_nsec == 77,
		      "%s: wrote rem {%ld, %ld}", what, (long)r->rem.tv_sec,
		      r->rem.tv_nsec);
		break;
	case SLEEP:
		CHECK(r->ret <= 4 &&
			      (uint64_t)r->ret >= (5 * SEC - r->el) / SEC,
		      "%s: returned %ld after %llu ms of 5 s", what, r->ret,
		      (unsigned long long)(r->el / MS));
		break;
	case USLEEP:
		CHECK(r->ret == -1 && r->err == EINTR,
		      "%s: returned %ld, errno %d", what, r->ret, r->err);
		break;
	default:
		CHECK(r->ret == -1, "%s: returned %ld", what, r->ret);
		CHECK(r->err == ERRNO_MARK, "%s: set errno to %d", what,
		      r->err);
		check_rem(what, r);
		break;
	}
	return true;
}

int main(void)
{
	struct sigaction sa;
	int kind, tries;

	watchdog(30);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction: %s",
	      strerror(errno));

	for (kind = 0; kind < NKINDS; kind++) {
		for (tries = 1; !round_of((enum kind)kind); tries++)
			CHECK(tries < 3, "%s: the signal came early %d times",
			      kind_name[kind], tries);
	}
	return 0;
}
