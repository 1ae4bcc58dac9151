/*
 * Proves that every mutex kind locks, reports errors and excludes as
 * POSIX and glibc say:
 * - the static initializers (default, recursive, errorcheck, adaptive), a
 *   zero-filled pthread_mutex_t and pthread_mutex_init with each type
 *   (NORMAL, RECURSIVE, ERRORCHECK, DEFAULT, ADAPTIVE_NP) lock, unlock
 *   and trylock; trylock of a locked one fails with EBUSY, also from
 *   another thread;
 * - errorcheck: relock by the owner gives EDEADLK (trylock EBUSY), unlock
 *   by another thread or of an unlocked mutex gives EPERM;
 * - recursive: locked 3 times it takes 3 unlocks to release (another
 *   thread's trylock gives EBUSY until then), a 4th unlock and an unlock
 *   by another thread give EPERM;
 * - robust and PTHREAD_PRIO_INHERIT mutexes initialise, lock and unlock
 *   uncontended; a PTHREAD_PRIO_PROTECT mutex initialises, and locking it
 *   either works or fails with EINVAL (glibc fails for a SCHED_OTHER
 *   thread, whose priority cannot be raised to the ceiling);
 * - 16 threads x 20000 increments of a plain counter under each kind end
 *   with the exact count;
 * - pthread_mutex_destroy of an unlocked mutex returns 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define NTHREADS 16
#define NINCS	 20000

static pthread_mutex_t s_default = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t s_recursive = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t s_errorcheck = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_mutex_t s_adaptive = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;

static pthread_mutex_t *contended;
static long counter;
static atomic_int ready;

/* Trylock, and unlock again on success: the trylock result. */
static int try_and_release(pthread_mutex_t *m)
{
	int err = pthread_mutex_trylock(m);

	if (err == 0)
		CHECK(pthread_mutex_unlock(m) == 0, "unlock after trylock");
	return err;
}

struct op_call {
	int (*op)(pthread_mutex_t *);
	pthread_mutex_t *m;
	int ret;
};

static void *op_thread(void *arg)
{
	struct op_call *c = arg;

	c->ret = c->op(c->m);
	return NULL;
}

/* Runs op(m) in a new thread and returns its result. */
static int in_other_thread(int (*op)(pthread_mutex_t *), pthread_mutex_t *m)
{
	struct op_call c = { op, m, -1 };
	pthread_t t;
	int err;

	err = pthread_create(&t, NULL, op_thread, &c);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	return c.ret;
}

static void init_kind(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t a;

	CHECK(pthread_mutexattr_init(&a) == 0, "mutexattr_init");
	CHECK(pthread_mutexattr_settype(&a, type) == 0, "settype %d", type);
	CHECK(pthread_mutex_init(m, &a) == 0, "mutex_init type %d", type);
	CHECK(pthread_mutexattr_destroy(&a) == 0, "mutexattr_destroy");
}

static void check_basic(pthread_mutex_t *m, const char *name)
{
	int err;

	CHECK(pthread_mutex_lock(m) == 0, "%s: lock", name);
	err = in_other_thread(try_and_release, m);
	CHECK(err == EBUSY, "%s: other thread's trylock on locked: %d", name,
	      err);
	CHECK(pthread_mutex_unlock(m) == 0, "%s: unlock", name);
	CHECK(pthread_mutex_trylock(m) == 0, "%s: trylock on unlocked", name);
	err = in_other_thread(try_and_release, m);
	CHECK(err == EBUSY, "%s: other thread's trylock on trylocked: %d", name,
	      err);
	CHECK(pthread_mutex_unlock(m) == 0, "%s: unlock after trylock", name);
	err = in_other_thread(try_and_release, m);
	CHECK(err == 0, "%s: other thread's trylock on unlocked: %d", name,
	      err);
}

static void check_errorcheck(pthread_mutex_t *m, const char *name)
{
	int err;

	CHECK(pthread_mutex_lock(m) == 0, "%s: lock", name);
	err = pthread_mutex_lock(m);
	CHECK(err == EDEADLK, "%s: relock by owner: %d", name, err);
	err = pthread_mutex_trylock(m);
	CHECK(err == EBUSY, "%s: trylock by owner: %d", name, err);
	err = in_other_thread(pthread_mutex_unlock, m);
	CHECK(err == EPERM, "%s: unlock by non-owner: %d", name, err);
	CHECK(pthread_mutex_unlock(m) == 0, "%s: unlock", name);
	err = pthread_mutex_unlock(m);
	CHECK(err == EPERM, "%s: unlock of unlocked: %d", name, err);
}

static void check_recursive(pthread_mutex_t *m, const char *name)
{
	int i, err;

	CHECK(pthread_mutex_lock(m) == 0, "%s: lock 1", name);
	CHECK(pthread_mutex_lock(m) == 0, "%s: lock 2", name);
	CHECK(pthread_mutex_trylock(m) == 0, "%s: trylock 3", name);
	for (i = 3; i > 0; i--) {
		err = in_other_thread(try_and_release, m);
		CHECK(err == EBUSY, "%s: other's trylock at depth %d: %d", name,
		      i, err);
		err = in_other_thread(pthread_mutex_unlock, m);
		CHECK(err == EPERM, "%s: non-owner unlock at depth %d: %d",
		      name, i, err);
		CHECK(pthread_mutex_unlock(m) == 0, "%s: unlock at depth %d",
		      name, i);
	}
	err = pthread_mutex_unlock(m);
	CHECK(err == EPERM, "%s: 4th unlock: %d", name, err);
	err = in_other_thread(try_and_release, m);
	CHECK(err == 0, "%s: other's trylock after release: %d", name, err);
}

static void *incrementer(void *arg)
{
	int i;

	(void)arg;
	atomic_fetch_add(&ready, 1);
	CHECK(wait_until(atomic_load(&ready) == NTHREADS, 10),
	      "only %d threads started", atomic_load(&ready));
	for (i = 0; i < NINCS; i++) {
		CHECK(pthread_mutex_lock(contended) == 0, "lock");
		counter++;
		CHECK(pthread_mutex_unlock(contended) == 0, "unlock");
	}
	return NULL;
}

static void check_contention(pthread_mutex_t *m, const char *name)
{
	pthread_t t[NTHREADS];
	int i, err;

	contended = m;
	counter = 0;
	atomic_store(&ready, 0);
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&t[i], NULL, incrementer, NULL);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(counter == (long)NTHREADS * NINCS, "%s: counter %ld, want %ld",
	      name, counter, (long)NTHREADS * NINCS);
}

static void check_protocols(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	int err;

	CHECK(pthread_mutexattr_init(&a) == 0, "mutexattr_init");
	CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0,
	      "setrobust");
	CHECK(pthread_mutex_init(&m, &a) == 0, "init robust");
	check_basic(&m, "robust");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy robust");

	CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_STALLED) == 0,
	      "setrobust stalled");
	CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0,
	      "setprotocol inherit");
	CHECK(pthread_mutex_init(&m, &a) == 0, "init prio-inherit");
	check_basic(&m, "prio-inherit");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy prio-inherit");

	CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT) == 0,
	      "setprotocol protect");
	CHECK(pthread_mutex_init(&m, &a) == 0, "init prio-protect");
	err = pthread_mutex_lock(&m);
	CHECK(err == 0 || err == EINVAL, "prio-protect lock: %d", err);
	if (err == 0)
		CHECK(pthread_mutex_unlock(&m) == 0, "prio-protect unlock");
	CHECK(pthread_mutex_destroy(&m) == 0, "destroy prio-protect");
	CHECK(pthread_mutexattr_destroy(&a) == 0, "mutexattr_destroy");
}

int main(void)
{
	pthread_mutex_t normal, recursive, errorcheck, deflt, adaptive, zero;

	watchdog(30);

	init_kind(&normal, PTHREAD_MUTEX_NORMAL);
	init_kind(&recursive, PTHREAD_MUTEX_RECURSIVE);
	init_kind(&errorcheck, PTHREAD_MUTEX_ERRORCHECK);
	init_kind(&deflt, PTHREAD_MUTEX_DEFAULT);
	init_kind(&adaptive, PTHREAD_MUTEX_ADAPTIVE_NP);
	memset(&zero, 0, sizeof(zero));

	check_basic(&s_default, "static default");
	check_basic(&s_recursive, "static recursive");
	check_basic(&s_errorcheck, "static errorcheck");
	check_basic(&s_adaptive, "static adaptive");
	check_basic(&normal, "normal");
	check_basic(&recursive, "recursive");
	check_basic(&errorcheck, "errorcheck");
	check_basic(&deflt, "default");
	check_basic(&adaptive, "adaptive");
	check_basic(&zero, "zero-filled");

	check_errorcheck(&s_errorcheck, "static errorcheck");
	check_errorcheck(&errorcheck, "errorcheck");
	check_recursive(&s_recursive, "static recursive");
	check_recursive(&recursive, "recursive");
	check_protocols();

	check_contention(&s_default, "static default");
	check_contention(&s_recursive, "static recursive");
	check_contention(&s_errorcheck, "static errorcheck");
	check_contention(&s_adaptive, "static adaptive");
	check_contention(&normal, "normal");
	check_contention(&recursive, "recursive");
	check_contention(&errorcheck, "errorcheck");
	check_contention(&deflt, "default");
	check_contention(&adaptive, "adaptive");
	check_contention(&zero, "zero-filled");

	CHECK(pthread_mutex_destroy(&normal) == 0, "destroy normal");
	CHECK(pthread_mutex_destroy(&recursive) == 0, "destroy recursive");
	CHECK(pthread_mutex_destroy(&errorcheck) == 0, "destroy errorcheck");
	CHECK(pthread_mutex_destroy(&deflt) == 0, "destroy default");
	CHECK(pthread_mutex_destroy(&adaptive) == 0, "destroy adaptive");
	CHECK(pthread_mutex_destroy(&zero) == 0, "destroy zero-filled");
	CHECK(pthread_mutex_destroy(&s_default) == 0, "destroy static");
	return 0;
}
