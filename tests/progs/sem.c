/*
 * Proves that POSIX semaphores count, time out and report errors as POSIX
 * and glibc say:
 * - sem_init/sem_getvalue/sem_wait/sem_trywait/sem_post keep the count;
 *   sem_trywait at 0 fails with EAGAIN;
 * - sem_timedwait (CLOCK_REALTIME) and sem_clockwait (CLOCK_MONOTONIC and
 *   CLOCK_REALTIME) at 0 with a deadline 100 ms ahead fail with ETIMEDOUT
 *   after at least 100 ms; tv_nsec -1 or 1000000000, or clock 12345, fail
 *   with EINVAL;
 * - sem_post at SEM_VALUE_MAX fails with EOVERFLOW, sem_init above it
 *   with EINVAL;
 * - as a counting queue (items/slots semaphores around a mutex-guarded
 *   ring) it moves 400,000 tokens from 4 producers to 4 consumers with
 *   an exact checksum;
 * - a named semaphore (sem_open O_CREAT|O_EXCL, opened again by name in
 *   another thread) carries posts between threads; O_EXCL on an existing
 *   name fails with EEXIST; after sem_close and sem_unlink, sem_open
 *   without O_CREAT fails with ENOENT.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define NPRODUCERS  4
#define NCONSUMERS  4
#define NTOKENS	    400000
#define RING	    256
#define NAMED_POSTS 1000

static sem_t items, slots;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static long ring[RING];
static unsigned int ring_head, ring_count;
static long consumed_sum[NCONSUMERS];
static char name[64];

static int value_of(sem_t *s)
{
	int v;

	CHECK(sem_getvalue(s, &v) == 0, "sem_getvalue: %s", strerror(errno));
	return v;
}

static void check_counting(void)
{
	sem_t s;
	int i;

	CHECK(sem_init(&s, 0, 3) == 0, "sem_init: %s", strerror(errno));
	CHECK(value_of(&s) == 3, "initial value %d", value_of(&s));
	for (i = 3; i > 0; i--) {
		CHECK(sem_wait(&s) == 0, "sem_wait: %s", strerror(errno));
		CHECK(value_of(&s) == i - 1, "value %d after a wait at %d",
		      value_of(&s), i);
	}
	errno = 0;
	CHECK(sem_trywait(&s) == -1 && errno == EAGAIN,
	      "sem_trywait at 0: errno %d", errno);
	CHECK(sem_post(&s) == 0 && sem_post(&s) == 0, "sem_post");
	CHECK(value_of(&s) == 2, "value %d after 2 posts", value_of(&s));
	CHECK(sem_trywait(&s) == 0, "sem_trywait at 2");
	CHECK(value_of(&s) == 1, "value %d after trywait", value_of(&s));
	CHECK(sem_destroy(&s) == 0, "sem_destroy");
}

/* clk -1: sem_timedwait, else sem_clockwait(clk). */
static int timed_wait(sem_t *s, clockid_t clk, const struct timespec *ts)
{
#ifdef __GLIBC__
	return clk == -1 ? sem_timedwait(s, ts) : sem_clockwait(s, clk, ts);
#else
	(void)clk; /* musl has no sem_clockwait() */
	return sem_timedwait(s, ts);
#endif
}

static void check_timeouts(void)
{
	const struct timespec bad[2] = { { 0, -1 }, { 0, 1000000000 } };
#ifdef __GLIBC__
	const clockid_t clks[] = { -1, CLOCK_MONOTONIC, CLOCK_REALTIME };
#else
	const clockid_t clks[] = { -1 };
#endif
	struct timespec ts;
	uint64_t t0, el;
	sem_t s;
	int i, j, ret;

	CHECK(sem_init(&s, 0, 0) == 0, "sem_init: %s", strerror(errno));
	for (i = 0; i < (int)(sizeof(clks) / sizeof(clks[0])); i++) {
		ts = deadline_in(clks[i] == -1 ? CLOCK_REALTIME : clks[i], 100);
		t0 = now_ns();
		errno = 0;
		ret = timed_wait(&s, clks[i], &ts);
		el = now_ns() - t0;
		CHECK(ret == -1 && errno == ETIMEDOUT,
		      "clock %d: returned %d, errno %d", clks[i], ret, errno);
		CHECK(el >= 99 * MS && el < 5000 * MS,
		      "clock %d: timed out after %llu ms", clks[i],
		      (unsigned long long)(el / MS));
		for (j = 0; j < 2; j++) {
			errno = 0;
			ret = timed_wait(&s, clks[i], &bad[j]);
			CHECK(ret == -1 && errno == EINVAL,
			      "clock %d, tv_nsec %ld: returned %d, errno %d",
			      clks[i], bad[j].tv_nsec, ret, errno);
		}
	}
#ifdef __GLIBC__
	ts = deadline_in(CLOCK_MONOTONIC, 100);
	errno = 0;
	ret = sem_clockwait(&s, 12345, &ts);
	CHECK(ret == -1 && errno == EINVAL,
	      "clockwait clock 12345: returned %d, errno %d", ret, errno);
#endif
	CHECK(value_of(&s) == 0, "value %d after failed waits", value_of(&s));
	CHECK(sem_destroy(&s) == 0, "sem_destroy");
}

static void check_limits(void)
{
	sem_t s;

	CHECK(sem_init(&s, 0, SEM_VALUE_MAX) == 0, "sem_init at max: %s",
	      strerror(errno));
	errno = 0;
	CHECK(sem_post(&s) == -1 && errno == EOVERFLOW,
	      "post at SEM_VALUE_MAX: errno %d", errno);
	CHECK(value_of(&s) == SEM_VALUE_MAX, "value %d after overflow",
	      value_of(&s));
	CHECK(sem_destroy(&s) == 0, "sem_destroy");
	errno = 0;
	CHECK(sem_init(&s, 0, (unsigned int)SEM_VALUE_MAX + 1) == -1 &&
		      errno == EINVAL,
	      "sem_init above SEM_VALUE_MAX: errno %d", errno);
}

static void *producer(void *arg)
{
	long id = (long)(intptr_t)arg, i;

	for (i = 0; i < NTOKENS / NPRODUCERS; i++) {
		CHECK(sem_wait(&slots) == 0, "sem_wait: %s", strerror(errno));
		CHECK(pthread_mutex_lock(&ring_lock) == 0, "lock");
		ring[(ring_head + ring_count) % RING] =
			id * (NTOKENS / NPRODUCERS) + i + 1;
		ring_count++;
		CHECK(pthread_mutex_unlock(&ring_lock) == 0, "unlock");
		CHECK(sem_post(&items) == 0, "sem_post: %s", strerror(errno));
	}
	return NULL;
}

static void *consumer(void *arg)
{
	int id = (int)(intptr_t)arg, i;

	for (i = 0; i < NTOKENS / NCONSUMERS; i++) {
		CHECK(sem_wait(&items) == 0, "sem_wait: %s", strerror(errno));
		CHECK(pthread_mutex_lock(&ring_lock) == 0, "lock");
		CHECK(ring_count > 0, "item semaphore passed an empty ring");
		consumed_sum[id] += ring[ring_head];
		ring_head = (ring_head + 1) % RING;
		ring_count--;
		CHECK(pthread_mutex_unlock(&ring_lock) == 0, "unlock");
		CHECK(sem_post(&slots) == 0, "sem_post: %s", strerror(errno));
	}
	return NULL;
}

static void start(pthread_t *t, int n, void *(*fn)(void *))
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
}

static void join(pthread_t *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
}

static void check_queue(void)
{
	pthread_t prod[NPRODUCERS], cons[NCONSUMERS];
	long sum = 0;
	int i;

	CHECK(sem_init(&items, 0, 0) == 0, "sem_init: %s", strerror(errno));
	CHECK(sem_init(&slots, 0, RING) == 0, "sem_init: %s", strerror(errno));
	start(cons, NCONSUMERS, consumer);
	start(prod, NPRODUCERS, producer);
	join(prod, NPRODUCERS);
	join(cons, NCONSUMERS);
	for (i = 0; i < NCONSUMERS; i++)
		sum += consumed_sum[i];
	CHECK(sum == (long)NTOKENS * (NTOKENS + 1) / 2,
	      "checksum %ld, want %ld", sum, (long)NTOKENS * (NTOKENS + 1) / 2);
	CHECK(value_of(&items) == 0 && value_of(&slots) == RING,
	      "items %d, slots %d at the end", value_of(&items),
	      value_of(&slots));
	CHECK(sem_destroy(&items) == 0 && sem_destroy(&slots) == 0,
	      "sem_destroy");
}

static void unlink_name(void)
{
	sem_unlink(name);
}

static void *named_waiter(void *arg)
{
	sem_t *s = sem_open(name, 0);
	int i;

	(void)arg;
	CHECK(s != SEM_FAILED, "sem_open %s in a thread: %s", name,
	      strerror(errno));
	for (i = 0; i < NAMED_POSTS; i++)
		sem_wait20(s, "named semaphore");
	CHECK(sem_close(s) == 0, "sem_close in a thread");
	return NULL;
}

static void check_named(void)
{
	pthread_t t;
	sem_t *s;
	int i, err;

	snprintf(name, sizeof(name), "/sprout-test-%d", (int)getpid());
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	CHECK(s != SEM_FAILED, "sem_open %s: %s", name, strerror(errno));
	atexit(unlink_name);
	errno = 0;
	CHECK(sem_open(name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED &&
		      errno == EEXIST,
	      "second O_EXCL open: errno %d", errno);

	err = pthread_create(&t, NULL, named_waiter, NULL);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	for (i = 0; i < NAMED_POSTS; i++)
		CHECK(sem_post(s) == 0, "sem_post: %s", strerror(errno));
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(value_of(s) == 0, "named value %d at the end", value_of(s));
	CHECK(sem_close(s) == 0, "sem_close");
	CHECK(sem_unlink(name) == 0, "sem_unlink: %s", strerror(errno));
	errno = 0;
	CHECK(sem_open(name, 0) == SEM_FAILED && errno == ENOENT,
	      "sem_open of an unlinked name: errno %d", errno);
}

int main(void)
{
	watchdog(30);

	check_counting();
	check_timeouts();
	check_limits();
	check_queue();
	check_named();
	return 0;
}
