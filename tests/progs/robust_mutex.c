/*
 * Proves that process-private robust mutexes behave as glibc's:
 * - a thread that returns, calls pthread_exit() or is cancelled while
 *   holding one (of each type: normal, errorcheck, recursive) leaves it to
 *   the next locker with EOWNERDEAD (lock, trylock and timedlock), who
 *   owns it then; pthread_mutex_consistent() makes it usable again;
 * - a locker blocked when the owner dies wakes with EOWNERDEAD;
 * - an unlock without pthread_mutex_consistent() makes it
 *   ENOTRECOVERABLE for every later lock, timedlock and trylock, and
 *   pthread_mutex_destroy() still succeeds;
 * - an owner dying again before consistent gives EOWNERDEAD again;
 * - pthread_cond_wait() taking back a mutex whose owner died returns
 *   EOWNERDEAD with the mutex held;
 * - glibc's errors: consistent of a non-robust mutex or of a robust one
 *   whose owner did not die gives EINVAL; unlock by a non-owner EPERM
 *   (even of the normal type); relock by the owner of an errorcheck one
 *   EDEADLK (also trylock), of a recursive one counts.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

enum how { RETURN, EXIT, CANCEL };

static pthread_mutex_t m;
static pthread_barrier_t bar;

static void *holder(void *arg)
{
	enum how how = (enum how)(long)arg;

	CHECK(pthread_mutex_lock(&m) == 0, "holder lock");
	if (how == CANCEL) {
		pthread_barrier_wait(&bar);
		for (;;)
			pause(); /* a cancellation point */
	}
	if (how == EXIT)
		pthread_exit(NULL);
	return NULL;
}

/* Lock, then die as how says; joined before returning. */
static void die_holding(enum how how)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, holder, (void *)(long)how) == 0,
	      "create");
	if (how == CANCEL) {
		pthread_barrier_wait(&bar);
		CHECK(pthread_cancel(t) == 0, "cancel");
	}
	CHECK(pthread_join(t, NULL) == 0, "join");
}

static void init_robust(int type)
{
	pthread_mutexattr_t a;

	CHECK(pthread_mutexattr_init(&a) == 0, "attr");
	CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0,
	      "setrobust");
	CHECK(pthread_mutexattr_settype(&a, type) == 0, "settype");
	CHECK(pthread_mutex_init(&m, &a) == 0, "init");
	pthread_mutexattr_destroy(&a);
}

static int timedlock(void)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, 10000);

	return pthread_mutex_timedlock(&m, &ts);
}

/* Owner dies; the next locker (lock, trylock or timedlock) recovers it. */
static void recover(int type, enum how how, int which)
{
	int r;

	init_robust(type);
	die_holding(how);
	r = which == 0	 ? pthread_mutex_lock(&m)
	    : which == 1 ? pthread_mutex_trylock(&m)
			 : timedlock();
	CHECK(r == EOWNERDEAD, "type %d how %d lock %d: %d", type, how, which,
	      r);
	CHECK(pthread_mutex_consistent(&m) == 0, "consistent");
	CHECK(pthread_mutex_consistent(&m) == EINVAL, "consistent twice");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_mutex_lock(&m) == 0, "relock after consistent");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
}

/* Owner dies; unlocked without consistent: not recoverable. */
static void unrecoverable(int type)
{
	int r;

	init_robust(type);
	die_holding(RETURN);
	CHECK(pthread_mutex_lock(&m) == EOWNERDEAD, "lock");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock inconsistent");
	CHECK(pthread_mutex_lock(&m) == ENOTRECOVERABLE, "lock");
	r = timedlock();
	CHECK(r == ENOTRECOVERABLE, "timedlock: %d", r);
	/* Last: glibc 2.36's trylock leaves it locked as it fails. */
	CHECK(pthread_mutex_trylock(&m) == ENOTRECOVERABLE, "trylock");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
}

/* Owner dies twice: EOWNERDEAD both times. */
static void *take_and_die(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == EOWNERDEAD, "second locker");
	return NULL;
}

static void dies_again(void)
{
	pthread_t t;

	init_robust(PTHREAD_MUTEX_NORMAL);
	die_holding(EXIT);
	CHECK(pthread_create(&t, NULL, take_and_die, NULL) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(pthread_mutex_lock(&m) == EOWNERDEAD, "third locker");
	CHECK(pthread_mutex_consistent(&m) == 0, "consistent");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
}

/* A locker blocked while the owner dies. */
static void *hold_a_while(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	pthread_barrier_wait(&bar);
	usleep(100000);
	return NULL;
}

static void blocked_waiter(void)
{
	pthread_t t;

	init_robust(PTHREAD_MUTEX_NORMAL);
	CHECK(pthread_create(&t, NULL, hold_a_while, NULL) == 0, "create");
	pthread_barrier_wait(&bar);
	CHECK(pthread_mutex_lock(&m) == EOWNERDEAD, "blocked lock");
	CHECK(pthread_mutex_consistent(&m) == 0, "consistent");
	CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
}

/* A condvar waiter takes back a mutex whose owner died meanwhile. */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cond_result = -1;

static void *cond_waiter(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	pthread_barrier_wait(&bar);
	cond_result = pthread_cond_wait(&cv, &m);
	if (cond_result == EOWNERDEAD) {
		CHECK(pthread_mutex_consistent(&m) == 0, "consistent");
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
	}
	return NULL;
}

static void *lock_and_signal(void *arg)
{
	(void)arg;
	CHECK(pthread_mutex_lock(&m) == 0, "lock");
	CHECK(pthread_cond_signal(&cv) == 0, "signal");
	return NULL; /* dies holding m */
}

static void cond_owner_died(void)
{
	pthread_t w, s;

	init_robust(PTHREAD_MUTEX_NORMAL);
	CHECK(pthread_create(&w, NULL, cond_waiter, NULL) == 0, "create");
	pthread_barrier_wait(&bar);
	CHECK(pthread_create(&s, NULL, lock_and_signal, NULL) == 0, "create");
	CHECK(pthread_join(s, NULL) == 0, "join");
	CHECK(pthread_join(w, NULL) == 0, "join");
	CHECK(cond_result == EOWNERDEAD, "cond_wait gave %d", cond_result);
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
}

static void *unlock_other(void *arg)
{
	(void)arg;
	return (void *)(long)pthread_mutex_unlock(&m);
}

static void errors(void)
{
	pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
	int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK,
			PTHREAD_MUTEX_RECURSIVE };
	pthread_t t;
	void *r;
	size_t i;

	CHECK(pthread_mutex_lock(&plain) == 0, "lock");
	CHECK(pthread_mutex_consistent(&plain) == EINVAL, "not robust");
	CHECK(pthread_mutex_unlock(&plain) == 0, "unlock");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		init_robust(types[i]);
		CHECK(pthread_mutex_consistent(&m) == EINVAL, "unlocked");
		CHECK(pthread_mutex_unlock(&m) == EPERM, "unlock unlocked");
		CHECK(pthread_mutex_lock(&m) == 0, "lock");
		CHECK(pthread_mutex_consistent(&m) == EINVAL, "owner alive");
		CHECK(pthread_create(&t, NULL, unlock_other, NULL) == 0,
		      "create");
		CHECK(pthread_join(t, &r) == 0, "join");
		CHECK((long)r == EPERM, "type %d: unlock by another: %ld",
		      types[i], (long)r);
		if (types[i] == PTHREAD_MUTEX_ERRORCHECK) {
			CHECK(pthread_mutex_lock(&m) == EDEADLK, "relock");
			CHECK(pthread_mutex_trylock(&m) == EDEADLK, "retry");
		} else if (types[i] == PTHREAD_MUTEX_RECURSIVE) {
			CHECK(pthread_mutex_lock(&m) == 0, "relock");
			CHECK(pthread_mutex_trylock(&m) == 0, "retry");
			CHECK(pthread_mutex_unlock(&m) == 0, "unlock 3");
			CHECK(pthread_mutex_unlock(&m) == 0, "unlock 2");
		}
		CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
		CHECK(pthread_mutex_unlock(&m) == EPERM, "unlock again");
		CHECK(pthread_mutex_destroy(&m) == 0, "destroy");
	}
}

int main(void)
{
	int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK,
			PTHREAD_MUTEX_RECURSIVE };
	size_t i;
	int how, which;

	watchdog(60);
	CHECK(pthread_barrier_init(&bar, NULL, 2) == 0, "barrier");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		for (how = RETURN; how <= CANCEL; how++)
			for (which = 0; which < 3; which++)
				recover(types[i], how, which);
		unrecoverable(types[i]);
	}
	dies_again();
	blocked_waiter();
	cond_owner_died();
	errors();
	return 0;
}
