/*
 * Proves that rwlocks exclude and report errors as POSIX and glibc say,
 * for PTHREAD_RWLOCK_INITIALIZER, pthread_rwlock_init with default attrs
 * and with PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP:
 * - 8 readers and 4 writers storm the lock: writers set every word of a
 *   structure to a new value, readers find all words equal; while a reader
 *   holds the lock no writer is inside, and a writer is alone inside; the
 *   final value counts every write;
 * - against another thread's write lock tryrdlock and trywrlock give
 *   EBUSY, against its read lock trywrlock gives EBUSY;
 * - the writer's own wrlock or rdlock gives EDEADLK;
 * - timedrdlock/clockrdlock against a writer and timedwrlock/clockwrlock
 *   against either fail with ETIMEDOUT after at least 100 ms; an invalid
 *   tv_nsec, or clock 12345, gives EINVAL;
 * - with PREFER_WRITER_NONRECURSIVE, once a writer waits for a reader,
 *   tryrdlock gives EBUSY, and the writer gets the lock when the reader
 *   leaves.
 * Unlocking an unlocked rwlock is undefined (glibc returns 0 and leaves
 * the lock unusable), so it is not tested.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define NREADERS  8
#define NWRITERS  4
#define READ_OPS  20000
#define WRITE_OPS 5000
#define NWORDS	  8

static pthread_rwlock_t rw_static = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_default, rw_writer;
static pthread_rwlock_t *rw; /* the one under test */
static const char *rw_name;  /* and its name */
static long words[NWORDS];
static atomic_int readers_in, writers_in, ready;
static atomic_bool writer_got_it;

struct holder {
	pthread_t tid;
	bool write;
	atomic_bool held, release;
};

static void wait_for_all(void)
{
	atomic_fetch_add(&ready, 1);
	CHECK(wait_until(atomic_load(&ready) == NREADERS + NWRITERS, 10),
	      "only %d threads started", atomic_load(&ready));
}

static void *reader(void *arg)
{
	int i, j;

	(void)arg;
	wait_for_all();
	for (i = 0; i < READ_OPS; i++) {
		CHECK(pthread_rwlock_rdlock(rw) == 0, "rdlock");
		atomic_fetch_add(&readers_in, 1);
		CHECK(atomic_load(&writers_in) == 0,
		      "%d writers inside with a reader",
		      atomic_load(&writers_in));
		for (j = 1; j < NWORDS; j++)
			CHECK(words[j] == words[0],
			      "word %d is %ld, word 0 %ld", j, words[j],
			      words[0]);
		atomic_fetch_sub(&readers_in, 1);
		CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
	}
	return NULL;
}

static void *writer(void *arg)
{
	int i, j, inside;

	(void)arg;
	wait_for_all();
	for (i = 0; i < WRITE_OPS; i++) {
		CHECK(pthread_rwlock_wrlock(rw) == 0, "wrlock");
		inside = atomic_fetch_add(&writers_in, 1) + 1;
		CHECK(inside == 1, "%d writers inside", inside);
		CHECK(atomic_load(&readers_in) == 0,
		      "%d readers inside with a writer",
		      atomic_load(&readers_in));
		for (j = 0; j < NWORDS; j++) {
			words[j]++;
			if (j == NWORDS / 2 && i % 64 == 0)
				sched_yield();
		}
		atomic_fetch_sub(&writers_in, 1);
		CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
	}
	return NULL;
}

static void storm(pthread_rwlock_t *l, const char *name)
{
	pthread_t t[NREADERS + NWRITERS];
	int i, err;

	rw = l;
	memset(words, 0, sizeof(words));
	atomic_store(&ready, 0);
	for (i = 0; i < NREADERS + NWRITERS; i++) {
		err = pthread_create(&t[i], NULL,
				     i < NREADERS ? reader : writer, NULL);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NREADERS + NWRITERS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(words[0] == (long)NWRITERS * WRITE_OPS,
	      "%s: %ld writes, want %ld", name, words[0],
	      (long)NWRITERS * WRITE_OPS);
}

static void *hold(void *arg)
{
	struct holder *h = arg;

	if (h->write)
		CHECK(pthread_rwlock_wrlock(rw) == 0, "holder wrlock");
	else
		CHECK(pthread_rwlock_rdlock(rw) == 0, "holder rdlock");
	atomic_store(&h->held, true);
	CHECK(wait_until(atomic_load(&h->release), 20), "never released");
	CHECK(pthread_rwlock_unlock(rw) == 0, "holder unlock");
	return NULL;
}

static void start_holder(struct holder *h, bool write)
{
	int err;

	h->write = write;
	atomic_store(&h->held, false);
	atomic_store(&h->release, false);
	err = pthread_create(&h->tid, NULL, hold, h);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(wait_until(atomic_load(&h->held), 20), "holder never locked");
}

static void stop_holder(struct holder *h)
{
	atomic_store(&h->release, true);
	CHECK(pthread_join(h->tid, NULL) == 0, "pthread_join");
}

/* Timed rd/wr lock with pthread_rwlock_clock*lock(clk) or else timed*lock. */
static int timed_lock(bool write, bool clocked, clockid_t clk,
		      const struct timespec *ts)
{
	if (clocked)
		return write ? pthread_rwlock_clockwrlock(rw, clk, ts)
			     : pthread_rwlock_clockrdlock(rw, clk, ts);
	return write ? pthread_rwlock_timedwrlock(rw, ts)
		     : pthread_rwlock_timedrdlock(rw, ts);
}

static void check_times_out(bool write, bool clocked, clockid_t clk,
			    const char *what)
{
	struct timespec ts = deadline_in(clk, 100);
	uint64_t t0 = now_ns(), el;
	int err;

	err = timed_lock(write, clocked, clk, &ts);
	el = now_ns() - t0;
	CHECK(err == ETIMEDOUT, "%s: %s: returned %d", rw_name, what, err);
	CHECK(el >= 99 * MS && el < 5000 * MS,
	      "%s: %s: timed out after %llu ms", rw_name, what,
	      (unsigned long long)(el / MS));
}

static void check_invalid(bool write, bool clocked, clockid_t clk,
			  struct timespec ts, const char *what)
{
	int err = timed_lock(write, clocked, clk, &ts);

	CHECK(err == EINVAL, "%s: %s: returned %d", rw_name, what, err);
}

static void check_errors(pthread_rwlock_t *l, const char *name)
{
	const struct timespec bad1 = { 0, -1 }, bad2 = { 0, 1000000000 };
	const struct timespec good = deadline_in(CLOCK_MONOTONIC, 100);
	struct holder h;
	int err;

	rw = l;
	rw_name = name;
	start_holder(&h, true);
	err = pthread_rwlock_tryrdlock(rw);
	CHECK(err == EBUSY, "%s: tryrdlock while write-locked: %d", name, err);
	err = pthread_rwlock_trywrlock(rw);
	CHECK(err == EBUSY, "%s: trywrlock while write-locked: %d", name, err);
	check_times_out(false, false, CLOCK_REALTIME, "timedrdlock");
	check_times_out(false, true, CLOCK_MONOTONIC, "clockrdlock monotonic");
	check_times_out(true, false, CLOCK_REALTIME, "timedwrlock");
	check_times_out(true, true, CLOCK_REALTIME, "clockwrlock realtime");
	check_invalid(false, false, CLOCK_REALTIME, bad1, "timedrdlock -1");
	check_invalid(true, false, CLOCK_REALTIME, bad2, "timedwrlock 1e9");
	check_invalid(false, true, CLOCK_MONOTONIC, bad2, "clockrdlock 1e9");
	check_invalid(true, true, CLOCK_MONOTONIC, bad1, "clockwrlock -1");
	check_invalid(false, true, 12345, good, "clockrdlock clock 12345");
	check_invalid(true, true, 12345, good, "clockwrlock clock 12345");
	stop_holder(&h);

	start_holder(&h, false);
	err = pthread_rwlock_trywrlock(rw);
	CHECK(err == EBUSY, "%s: trywrlock while read-locked: %d", name, err);
	err = pthread_rwlock_tryrdlock(rw);
	CHECK(err == 0, "%s: tryrdlock while read-locked: %d", name, err);
	CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
	check_times_out(true, false, CLOCK_REALTIME, "timedwrlock vs reader");
	check_times_out(true, true, CLOCK_MONOTONIC, "clockwrlock vs reader");
	stop_holder(&h);

	CHECK(pthread_rwlock_wrlock(rw) == 0, "wrlock");
	err = pthread_rwlock_wrlock(rw);
	CHECK(err == EDEADLK, "%s: wrlock by the writer: %d", name, err);
	err = pthread_rwlock_rdlock(rw);
	CHECK(err == EDEADLK, "%s: rdlock by the writer: %d", name, err);
	CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
	CHECK(pthread_rwlock_trywrlock(rw) == 0, "%s: trywrlock when free",
	      name);
	CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
}

static int tryrd_and_release(void)
{
	int err = pthread_rwlock_tryrdlock(rw);

	if (err == 0)
		CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
	return err;
}

static void *waiting_writer(void *arg)
{
	(void)arg;
	CHECK(pthread_rwlock_wrlock(rw) == 0, "wrlock");
	atomic_store(&writer_got_it, true);
	CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
	return NULL;
}

static void check_writer_preference(void)
{
	pthread_t t;
	int err;

	rw = &rw_writer;
	CHECK(pthread_rwlock_rdlock(rw) == 0, "rdlock");
	err = pthread_create(&t, NULL, waiting_writer, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(wait_until(tryrd_and_release() == EBUSY, 10),
	      "tryrdlock never gave EBUSY with a writer waiting");
	CHECK(!atomic_load(&writer_got_it), "writer got in beside a reader");
	CHECK(pthread_rwlock_unlock(rw) == 0, "unlock");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(atomic_load(&writer_got_it), "writer never got the lock");
}

int main(void)
{
	pthread_rwlockattr_t a;
	int kind;

	watchdog(30);

	CHECK(pthread_rwlock_init(&rw_default, NULL) == 0, "init default");
	CHECK(pthread_rwlockattr_init(&a) == 0, "rwlockattr_init");
	CHECK(pthread_rwlockattr_setkind_np(
		      &a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) == 0,
	      "setkind_np");
	CHECK(pthread_rwlockattr_getkind_np(&a, &kind) == 0 &&
		      kind == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
	      "getkind_np gave %d", kind);
	CHECK(pthread_rwlock_init(&rw_writer, &a) == 0, "init prefer-writer");
	CHECK(pthread_rwlockattr_destroy(&a) == 0, "rwlockattr_destroy");

	storm(&rw_static, "static");
	storm(&rw_default, "default");
	storm(&rw_writer, "prefer-writer");

	check_errors(&rw_static, "static");
	check_errors(&rw_default, "default");
	check_errors(&rw_writer, "prefer-writer");
	check_writer_preference();

	CHECK(pthread_rwlock_destroy(&rw_static) == 0, "destroy static");
	CHECK(pthread_rwlock_destroy(&rw_default) == 0, "destroy default");
	CHECK(pthread_rwlock_destroy(&rw_writer) == 0, "destroy prefer-writer");
	return 0;
}
