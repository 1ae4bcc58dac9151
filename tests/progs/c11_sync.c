/*
 * Proves that the C11 <threads.h> mutexes and condition variables work:
 * - mtx_init with mtx_plain, mtx_timed, mtx_plain|mtx_recursive and
 *   mtx_timed|mtx_recursive; mtx_trylock of a mutex another thread holds
 *   gives thrd_busy; mtx_timedlock of a held mtx_timed with a TIME_UTC
 *   deadline 100 ms ahead gives thrd_timedout after at least 100 ms;
 * - a recursive mtx locked 3 times stays held (thrd_busy for others) until
 *   unlocked 3 times;
 * - 8 threads x 20000 increments of a plain counter under each kind end
 *   with the exact count;
 * - cnd_signal lets exactly one of 4 waiters through per signal,
 *   cnd_broadcast wakes all of 8, and cnd_timedwait with a deadline
 *   100 ms ahead gives thrd_timedout after at least 100 ms, with the mutex
 *   held again.
 */
#include <stdatomic.h>
#include <threads.h>

#include "check.h"

#define NTHREADS   8
#define NINCS	   20000
#define NSIGNALED  4
#define NBROADCAST 8

static mtx_t m_plain, m_timed, m_rec, m_timed_rec;
static mtx_t *contended;
static long counter;
static atomic_int ready;

static mtx_t cm;
static cnd_t cv;
static int waiting, tokens, woken, gen;

static struct timespec utc_in(long ms)
{
	struct timespec ts;

	CHECK(timespec_get(&ts, TIME_UTC) == TIME_UTC, "timespec_get");
	ts.tv_nsec += ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

static int in_other_thread(thrd_start_t fn, void *arg)
{
	thrd_t t;
	int res;

	CHECK(thrd_create(&t, fn, arg) == thrd_success, "thrd_create");
	CHECK(thrd_join(t, &res) == thrd_success, "thrd_join");
	return res;
}

static int try_and_release(void *arg)
{
	int r = mtx_trylock(arg);

	if (r == thrd_success)
		CHECK(mtx_unlock(arg) == thrd_success, "mtx_unlock");
	return r;
}

static int timedlock_100ms(void *arg)
{
	struct timespec ts = utc_in(100);
	uint64_t t0 = now_ns(), el;
	int r = mtx_timedlock(arg, &ts);

	el = now_ns() - t0;
	CHECK(r != thrd_timedout || (el >= 99 * MS && el < 5000 * MS),
	      "mtx_timedlock timed out after %llu ms",
	      (unsigned long long)(el / MS));
	if (r == thrd_success)
		CHECK(mtx_unlock(arg) == thrd_success, "mtx_unlock");
	return r;
}

static void check_mutexes(void)
{
	int r, i;

	CHECK(mtx_lock(&m_plain) == thrd_success, "mtx_lock");
	r = in_other_thread(try_and_release, &m_plain);
	CHECK(r == thrd_busy, "trylock of a held mtx_plain: %d", r);
	CHECK(mtx_unlock(&m_plain) == thrd_success, "mtx_unlock");
	r = in_other_thread(try_and_release, &m_plain);
	CHECK(r == thrd_success, "trylock of a free mtx_plain: %d", r);

	CHECK(mtx_lock(&m_timed) == thrd_success, "mtx_lock");
	r = in_other_thread(timedlock_100ms, &m_timed);
	CHECK(r == thrd_timedout, "timedlock of a held mtx_timed: %d", r);
	CHECK(mtx_unlock(&m_timed) == thrd_success, "mtx_unlock");
	r = in_other_thread(timedlock_100ms, &m_timed);
	CHECK(r == thrd_success, "timedlock of a free mtx_timed: %d", r);

	CHECK(mtx_lock(&m_rec) == thrd_success, "recursive lock 1");
	CHECK(mtx_lock(&m_rec) == thrd_success, "recursive lock 2");
	CHECK(mtx_trylock(&m_rec) == thrd_success, "recursive trylock 3");
	for (i = 3; i > 0; i--) {
		r = in_other_thread(try_and_release, &m_rec);
		CHECK(r == thrd_busy, "other's trylock at depth %d: %d", i, r);
		CHECK(mtx_unlock(&m_rec) == thrd_success, "unlock at depth %d",
		      i);
	}
	r = in_other_thread(try_and_release, &m_rec);
	CHECK(r == thrd_success, "other's trylock after 3 unlocks: %d", r);

	CHECK(mtx_lock(&m_timed_rec) == thrd_success, "timed recursive lock");
	CHECK(mtx_lock(&m_timed_rec) == thrd_success, "timed recursive relock");
	r = in_other_thread(timedlock_100ms, &m_timed_rec);
	CHECK(r == thrd_timedout, "timedlock of a held timed recursive: %d", r);
	CHECK(mtx_unlock(&m_timed_rec) == thrd_success, "unlock");
	CHECK(mtx_unlock(&m_timed_rec) == thrd_success, "unlock");
}

static int incrementer(void *arg)
{
	int i;

	(void)arg;
	atomic_fetch_add(&ready, 1);
	CHECK(wait_until(atomic_load(&ready) == NTHREADS, 10),
	      "only %d threads started", atomic_load(&ready));
	for (i = 0; i < NINCS; i++) {
		CHECK(mtx_lock(contended) == thrd_success, "mtx_lock");
		counter++;
		CHECK(mtx_unlock(contended) == thrd_success, "mtx_unlock");
	}
	return 0;
}

static void check_contention(mtx_t *m, const char *name)
{
	thrd_t t[NTHREADS];
	int i;

	contended = m;
	counter = 0;
	atomic_store(&ready, 0);
	for (i = 0; i < NTHREADS; i++)
		CHECK(thrd_create(&t[i], incrementer, NULL) == thrd_success,
		      "thrd_create");
	for (i = 0; i < NTHREADS; i++)
		CHECK(thrd_join(t[i], NULL) == thrd_success, "thrd_join");
	CHECK(counter == (long)NTHREADS * NINCS, "%s: counter %ld, want %ld",
	      name, counter, (long)NTHREADS * NINCS);
}

static int locked_get(int *p)
{
	int v;

	CHECK(mtx_lock(&cm) == thrd_success, "mtx_lock");
	v = *p;
	CHECK(mtx_unlock(&cm) == thrd_success, "mtx_unlock");
	return v;
}

static int token_waiter(void *arg)
{
	(void)arg;
	CHECK(mtx_lock(&cm) == thrd_success, "mtx_lock");
	waiting++;
	while (tokens == 0)
		CHECK(cnd_wait(&cv, &cm) == thrd_success, "cnd_wait");
	tokens--;
	woken++;
	CHECK(mtx_unlock(&cm) == thrd_success, "mtx_unlock");
	return 0;
}

static int gen_waiter(void *arg)
{
	int my_gen;

	(void)arg;
	CHECK(mtx_lock(&cm) == thrd_success, "mtx_lock");
	my_gen = gen;
	waiting++;
	while (gen == my_gen)
		CHECK(cnd_wait(&cv, &cm) == thrd_success, "cnd_wait");
	woken++;
	CHECK(mtx_unlock(&cm) == thrd_success, "mtx_unlock");
	return 0;
}

static void start(thrd_t *t, int n, thrd_start_t fn)
{
	int i;

	waiting = woken = 0;
	for (i = 0; i < n; i++)
		CHECK(thrd_create(&t[i], fn, NULL) == thrd_success,
		      "thrd_create");
	CHECK(wait_until(locked_get(&waiting) == n, 20),
	      "only %d of %d waiters arrived", locked_get(&waiting), n);
}

static void join(thrd_t *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		CHECK(thrd_join(t[i], NULL) == thrd_success, "thrd_join");
}

static void check_condvars(void)
{
	thrd_t t[NBROADCAST];
	struct timespec ts;
	uint64_t t0, el;
	int i, r;

	start(t, NSIGNALED, token_waiter);
	for (i = 1; i <= NSIGNALED; i++) {
		CHECK(mtx_lock(&cm) == thrd_success, "mtx_lock");
		tokens++;
		CHECK(cnd_signal(&cv) == thrd_success, "cnd_signal");
		CHECK(mtx_unlock(&cm) == thrd_success, "mtx_unlock");
		CHECK(wait_until(locked_get(&woken) == i, 20),
		      "signal %d: %d woken", i, locked_get(&woken));
	}
	join(t, NSIGNALED);

	start(t, NBROADCAST, gen_waiter);
	CHECK(mtx_lock(&cm) == thrd_success, "mtx_lock");
	gen++;
	CHECK(cnd_broadcast(&cv) == thrd_success, "cnd_broadcast");
	CHECK(mtx_unlock(&cm) == thrd_success, "mtx_unlock");
	join(t, NBROADCAST);
	CHECK(woken == NBROADCAST, "broadcast woke %d of %d", woken,
	      NBROADCAST);

	CHECK(mtx_lock(&cm) == thrd_success, "mtx_lock");
	ts = utc_in(100);
	t0 = now_ns();
	r = cnd_timedwait(&cv, &cm, &ts);
	el = now_ns() - t0;
	CHECK(r == thrd_timedout, "cnd_timedwait returned %d", r);
	CHECK(el >= 99 * MS && el < 5000 * MS,
	      "cnd_timedwait timed out after %llu ms",
	      (unsigned long long)(el / MS));
	r = in_other_thread(try_and_release, &cm);
	CHECK(r == thrd_busy, "mutex not held after cnd_timedwait: %d", r);
	CHECK(mtx_unlock(&cm) == thrd_success, "mtx_unlock");
}

int main(void)
{
	watchdog(30);

	CHECK(mtx_init(&m_plain, mtx_plain) == thrd_success, "mtx_init plain");
	CHECK(mtx_init(&m_timed, mtx_timed) == thrd_success, "mtx_init timed");
	CHECK(mtx_init(&m_rec, mtx_plain | mtx_recursive) == thrd_success,
	      "mtx_init recursive");
	CHECK(mtx_init(&m_timed_rec, mtx_timed | mtx_recursive) == thrd_success,
	      "mtx_init timed recursive");
	CHECK(mtx_init(&cm, mtx_plain) == thrd_success, "mtx_init");
	CHECK(cnd_init(&cv) == thrd_success, "cnd_init");

	check_mutexes();
	check_contention(&m_plain, "plain");
	check_contention(&m_timed, "timed");
	check_contention(&m_rec, "recursive");
	check_contention(&m_timed_rec, "timed recursive");
	check_condvars();

	mtx_destroy(&m_plain);
	mtx_destroy(&m_timed);
	mtx_destroy(&m_rec);
	mtx_destroy(&m_timed_rec);
	mtx_destroy(&cm);
	cnd_destroy(&cv);
	return 0;
}
