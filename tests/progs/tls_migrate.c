/*
 * Proves that errno, __thread variables and the stack-protector canary stay
 * a thread's own when the thread moves between kernel threads. 64 threads
 * set unique values and check them after each of their yields; they run for
 * very different lengths and exit, so that, with more than one CPU (or, under a
 * green-thread scheduler, more than one processor), the CPUs left idle take
 * over the remaining threads. Prints how many threads ran on more than one
 * kernel thread; under a green-thread scheduler with SPROUT_PROCS >= 2 that
 * must be at least one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define NTHREADS 64
#define NYIELDS	 4000

static __thread int tls_int = -1;
static __thread char tls_buf[48];
static atomic_int moved;

/*
 * The kernel's id for the kernel thread running the caller. gettid() may
 * name the thread rather than the kernel thread (under a green-thread
 * library it does), so ask the kernel through /proc/thread-self.
 */
static long kernel_tid(void)
{
	char link[64];
	ssize_t n = readlink("/proc/thread-self", link, sizeof(link) - 1);
	char *slash;

	CHECK(n > 0, "readlink /proc/thread-self");
	link[n] = 0;
	slash = strrchr(link, '/');
	CHECK(slash, "/proc/thread-self -> %s", link);
	return atol(slash + 1);
}

static void check_mine(int id, int i)
{
	char want[48];

	snprintf(want, sizeof(want), "thread-%d", id);
	CHECK(errno == 100 + id, "thread %d yield %d: errno %d", id, i, errno);
	CHECK(tls_int == id, "thread %d yield %d: tls_int %d", id, i, tls_int);
	CHECK(strcmp(tls_buf, want) == 0, "thread %d yield %d: tls_buf '%s'",
	      id, i, tls_buf);
}

/*
 * Odd threads run long, even ones short, and each a little longer than the
 * one before: however the threads were spread over the CPUs, one of them
 * runs out of threads while another still has several waiting.
 */
static int yields(int id)
{
	return NYIELDS + 4 * NYIELDS * (id % 2) + 60 * (id / 2);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg, i;
	long first = kernel_tid();
	bool changed = false;

	CHECK(tls_int == -1 && tls_buf[0] == 0, "thread %d: initial TLS", id);
	tls_int = id;
	snprintf(tls_buf, sizeof(tls_buf), "thread-%d", id);
	for (i = 0; i < yields(id); i++) {
		errno = 100 + id;
		sched_yield();
		check_mine(id, i);
		changed |= kernel_tid() != first;
	}
	if (changed)
		atomic_fetch_add(&moved, 1);
	return NULL;
}

/* One round: all threads run and are joined; returns how many moved. */
static int round_of_threads(void)
{
	pthread_t t[NTHREADS];
	int i;

	atomic_store(&moved, 0);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	printf("threads that moved between kernel threads: %d of %d\n",
	       atomic_load(&moved), NTHREADS);
	return atomic_load(&moved);
}

int main(void)
{
	const char *mode = getenv("PROG_MODE");
	const char *procs = getenv("SPROUT_PROCS");
	bool must_move = mode && strcmp(mode, "sprout") == 0 && procs &&
			 atoi(procs) >= 2;
	int rounds = 1;

	/*
	 * On a machine busy with other work a second kernel thread may get
	 * no CPU during a round: try a few rounds before calling it a failure.
	 */
	while (round_of_threads() == 0 && must_move && rounds < 5)
		rounds++;
	if (must_move)
		CHECK(atomic_load(&moved) > 0, "no thread moved in %d rounds",
		      rounds);
	return 0;
}
