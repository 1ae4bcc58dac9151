/*
 * Proves that futexes used directly through glibc's syscall() function
 * behave as the kernel's:
 * a. a thread looping on FUTEX_WAIT_PRIVATE while its word is 0 finishes
 *    (within 5 s) once another thread, 100 ms after the waiter announced
 *    itself, stores 1 and calls FUTEX_WAKE_PRIVATE for 1, which returns 0
 *    or 1;
 * b. 100 such waiters on one word all finish after one FUTEX_WAKE_PRIVATE
 *    for INT_MAX, made 100 ms after all announced themselves, which
 *    returns at most 100;
 * c. FUTEX_WAIT_PRIVATE with a value other than the word's returns -1 with
 *    errno EAGAIN at once;
 * d. FUTEX_WAIT_PRIVATE with a 100 ms relative timeout and no waker
 *    returns -1 with errno ETIMEDOUT after at least 100 ms;
 * e. FUTEX_WAIT_BITSET_PRIVATE with FUTEX_BITSET_MATCH_ANY and an absolute
 *    CLOCK_MONOTONIC deadline 100 ms ahead, and with FUTEX_CLOCK_REALTIME
 *    and an absolute CLOCK_REALTIME deadline 100 ms ahead, return -1 with
 *    errno ETIMEDOUT after at least 100 ms;
 * f. a forked child waiting with FUTEX_WAIT (shared) on a word in
 *    MAP_SHARED|MAP_ANONYMOUS memory is woken by the parent's store of 1
 *    and FUTEX_WAKE, and exits 0;
 * g. two threads ping-pong 10,000 times on two words, each setting the
 *    other's word, waking it with FUTEX_WAKE_PRIVATE and waiting on its
 *    own with FUTEX_WAIT_PRIVATE; the turns strictly alternate and both
 *    count 10,000.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

#define NWAITERS 100
#define NPINGS	 10000

static long futex(atomic_int *uaddr, int op, int val,
		  const struct timespec *timeout, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, NULL, val3);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * (long)MS };

	while (nanosleep(&ts, &ts) != 0)
		CHECK(errno == EINTR, "nanosleep: %s", strerror(errno));
}

/* a and b: waiters on one private word. */
static atomic_int word, announced, finished;

static void *waiter(void *arg)
{
	long ret;

	(void)arg;
	atomic_fetch_add(&announced, 1);
	while (atomic_load(&word) == 0) {
		ret = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, 0);
		CHECK(ret == 0 || errno == EAGAIN || errno == EINTR,
		      "FUTEX_WAIT_PRIVATE: %s", strerror(errno));
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void check_wake(int nwaiters)
{
	static pthread_t t[NWAITERS];
	uint64_t t0;
	long woken;
	int i, err;

	atomic_store(&word, 0);
	atomic_store(&announced, 0);
	atomic_store(&finished, 0);
	for (i = 0; i < nwaiters; i++) {
		err = pthread_create(&t[i], NULL, waiter, NULL);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	CHECK(wait_until(atomic_load(&announced) == nwaiters, 10),
	      "%d of %d waiters announced", atomic_load(&announced), nwaiters);
	pause_ms(100);
	t0 = now_ns();
	atomic_store(&word, 1);
	woken = futex(&word, FUTEX_WAKE_PRIVATE, nwaiters == 1 ? 1 : INT_MAX,
		      NULL, 0);
	CHECK(woken >= 0, "FUTEX_WAKE_PRIVATE: %s", strerror(errno));
	CHECK(woken <= nwaiters, "woke %ld of %d", woken, nwaiters);
	CHECK(wait_until(atomic_load(&finished) == nwaiters, 5),
	      "%d of %d waiters finished within 5 s", atomic_load(&finished),
	      nwaiters);
	for (i = 0; i < nwaiters; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	printf("%d waiter(s): wake returned %ld, all done in %llu us\n",
	       nwaiters, woken, (unsigned long long)((now_ns() - t0) / 1000));
}

/* c, d and e: waits nobody ends. */
static void check_alone(void)
{
	atomic_int w = 5;
	struct timespec ts = { 0, 100 * MS };
	uint64_t t0, el;
	long ret;

	t0 = now_ns();
	errno = 0;
	ret = futex(&w, FUTEX_WAIT_PRIVATE, 6, NULL, 0);
	el = now_ns() - t0;
	CHECK(ret == -1 && errno == EAGAIN, "value mismatch: %ld, %s", ret,
	      strerror(errno));
	CHECK(el < 1000 * MS, "value mismatch took %llu ms",
	      (unsigned long long)(el / MS));

	t0 = now_ns();
	errno = 0;
	ret = futex(&w, FUTEX_WAIT_PRIVATE, 5, &ts, 0);
	el = now_ns() - t0;
	CHECK(ret == -1 && errno == ETIMEDOUT, "relative timeout: %ld, %s", ret,
	      strerror(errno));
	CHECK(el >= 100 * MS && el < 5000 * MS,
	      "relative 100 ms timeout after %llu us",
	      (unsigned long long)(el / 1000));

	t0 = now_ns();
	ts = deadline_in(CLOCK_MONOTONIC, 100);
	errno = 0;
	ret = futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &ts,
		    FUTEX_BITSET_MATCH_ANY);
	el = now_ns() - t0;
	CHECK(ret == -1 && errno == ETIMEDOUT, "bitset monotonic: %ld, %s", ret,
	      strerror(errno));
	CHECK(el >= 100 * MS && el < 5000 * MS,
	      "bitset monotonic 100 ms deadline after %llu us",
	      (unsigned long long)(el / 1000));

	t0 = now_ns();
	ts = deadline_in(CLOCK_REALTIME, 100);
	errno = 0;
	ret = futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5,
		    &ts, FUTEX_BITSET_MATCH_ANY);
	el = now_ns() - t0;
	CHECK(ret == -1 && errno == ETIMEDOUT, "bitset realtime: %ld, %s", ret,
	      strerror(errno));
	CHECK(el >= 100 * MS && el < 5000 * MS,
	      "bitset realtime 100 ms deadline after %llu us",
	      (unsigned long long)(el / 1000));
}

/* f: a shared futex between this process and a child. */
static void check_shared(void)
{
	atomic_int *shm;
	pid_t pid;
	int status;
	long ret;

	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shm != MAP_FAILED, "mmap: %s", strerror(errno));
	atomic_store(&shm[0], 0); /* the futex word */
	atomic_store(&shm[1], 0); /* the child is about to wait */
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		watchdog(20);
		atomic_store(&shm[1], 1);
		while (atomic_load(&shm[0]) == 0) {
			ret = futex(&shm[0], FUTEX_WAIT, 0, NULL, 0);
			if (ret != 0 && errno != EAGAIN && errno != EINTR)
				_exit(2);
		}
		_exit(0);
	}
	CHECK(wait_until(atomic_load(&shm[1]) == 1, 10), "child never started");
	pause_ms(100);
	atomic_store(&shm[0], 1);
	CHECK(futex(&shm[0], FUTEX_WAKE, 1, NULL, 0) >= 0, "FUTEX_WAKE: %s",
	      strerror(errno));
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x",
	      status);
	munmap(shm, 4096);
}

/* g: ping-pong; turn[i] is 1 when it is thread i's turn. */
static atomic_int turn[2], seq, count[2];

static void *ponger(void *arg)
{
	int me = (int)(uintptr_t)arg, other = !me, i, s;
	long ret;

	for (i = 0; i < NPINGS; i++) {
		while (atomic_load(&turn[me]) == 0) {
			ret = futex(&turn[me], FUTEX_WAIT_PRIVATE, 0, NULL, 0);
			CHECK(ret == 0 || errno == EAGAIN || errno == EINTR,
			      "ping-pong wait: %s", strerror(errno));
		}
		atomic_store(&turn[me], 0);
		s = atomic_fetch_add(&seq, 1);
		CHECK(s % 2 == me, "thread %d got turn %d", me, s);
		atomic_fetch_add(&count[me], 1);
		atomic_store(&turn[other], 1);
		ret = futex(&turn[other], FUTEX_WAKE_PRIVATE, 1, NULL, 0);
		CHECK(ret >= 0, "ping-pong wake: %s", strerror(errno));
	}
	return NULL;
}

static void check_ping_pong(void)
{
	pthread_t t[2];
	uint64_t t0 = now_ns();
	int i, err;

	atomic_store(&turn[0], 1);
	for (i = 0; i < 2; i++) {
		err = pthread_create(&t[i], NULL, ponger, (void *)(uintptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < 2; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(atomic_load(&count[0]) == NPINGS &&
		      atomic_load(&count[1]) == NPINGS,
	      "counts %d and %d", atomic_load(&count[0]),
	      atomic_load(&count[1]));
	CHECK(atomic_load(&seq) == 2 * NPINGS, "%d turns", atomic_load(&seq));
	printf("ping-pong: %d round trips in %llu ms\n", NPINGS,
	       (unsigned long long)((now_ns() - t0) / MS));
}

int main(void)
{
	watchdog(60);
	check_wake(1);
	check_wake(NWAITERS);
	check_alone();
	check_shared();
	check_ping_pong();
	return 0;
}
