/*
 * Proves that signals ending waits in the wait table lose and double
 * nothing: 8 threads take a mutex (handed off to waiters that waited
 * long), a semaphore of 2 tokens, a rwlock for writing and reading, and a
 * condvar queue, in a loop for 2 s, while two others send them SIGUSR1
 * (pthread_kill) without pause, half the time with SA_RESTART. A waiter
 * is either handed the object or interrupted, never both: the counters
 * the mutex and the write lock guard are exact, no more than 2 threads
 * ever hold the semaphore and it ends with its 2 tokens, no condvar item
 * is lost or taken twice, nothing hangs, and the handler runs (no more
 * often than it was sent).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define WORKERS 8
#define KILLERS 2
#define SECONDS 2
#define TOKENS	2

static pthread_t workers[WORKERS];
static atomic_bool stop;
static atomic_long handled, kills;

static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static long mx_count;
static sem_t sem;
static atomic_int sem_holders;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_count;
static atomic_int rw_writers, rw_readers;
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qc = PTHREAD_COND_INITIALIZER;
static long queued, produced_total, consumed_total;

static long done_mx[WORKERS], done_rw[WORKERS];

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void take_sem(void)
{
	while (sem_wait(&sem) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	CHECK(atomic_fetch_add(&sem_holders, 1) < TOKENS,
	      "more than %d holders of the semaphore", TOKENS);
	atomic_fetch_sub(&sem_holders, 1);
	CHECK(sem_post(&sem) == 0, "sem_post");
}

static void rwlock_round(long i, unsigned n)
{
	if (n % 4 == 0) {
		CHECK(pthread_rwlock_wrlock(&rw) == 0, "wrlock");
		CHECK(atomic_fetch_add(&rw_writers, 1) == 0 &&
			      atomic_load(&rw_readers) == 0,
		      "a writer is not alone");
		rw_count++;
		done_rw[i]++;
		atomic_fetch_sub(&rw_writers, 1);
	} else {
		CHECK(pthread_rwlock_rdlock(&rw) == 0, "rdlock");
		atomic_fetch_add(&rw_readers, 1);
		CHECK(atomic_load(&rw_writers) == 0,
		      "a reader beside a writer");
		atomic_fetch_sub(&rw_readers, 1);
	}
	CHECK(pthread_rwlock_unlock(&rw) == 0, "rwlock_unlock");
}

/* Even workers produce, odd ones consume; consumers give up at stop. */
static void cond_round(long i)
{
	CHECK(pthread_mutex_lock(&qm) == 0, "lock");
	if (i % 2 == 0) {
		queued++;
		produced_total++;
		CHECK(pthread_cond_signal(&qc) == 0, "cond_signal");
	} else {
		while (queued == 0 && !atomic_load(&stop))
			CHECK(pthread_cond_wait(&qc, &qm) == 0, "cond_wait");
		if (queued > 0) {
			queued--;
			consumed_total++;
		}
	}
	CHECK(pthread_mutex_unlock(&qm) == 0, "unlock");
}

static void *worker(void *arg)
{
	long i = (long)(intptr_t)arg;
	unsigned n = 0;

	while (!atomic_load(&stop)) {
		CHECK(pthread_mutex_lock(&mx) == 0, "mutex_lock");
		mx_count++;
		done_mx[i]++;
		if (n % 16 == 0)
			usleep(1500); /* waiters starve: handed off */
		CHECK(pthread_mutex_unlock(&mx) == 0, "mutex_unlock");
		take_sem();
		rwlock_round(i, n);
		cond_round(i);
		n++;
	}
	return NULL;
}

static void *killer(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		CHECK(pthread_kill(workers[i++ % WORKERS], SIGUSR1) == 0,
		      "pthread_kill");
		atomic_fetch_add(&kills, 1);
		if (i % 8 == 0)
			usleep(100);
	}
	return NULL;
}

static void set_handler(bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
}

int main(void)
{
	pthread_t k[KILLERS];
	long i, sum_mx = 0, sum_rw = 0;
	int v = -1;

	watchdog(60);
	set_handler(false);
	CHECK(sem_init(&sem, 0, TOKENS) == 0, "sem_init");
	for (i = 0; i < WORKERS; i++)
		CHECK(pthread_create(&workers[i], NULL, worker,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	for (i = 0; i < KILLERS; i++)
		CHECK(pthread_create(&k[i], NULL, killer,
				     (void *)(uintptr_t)(i * 3)) == 0,
		      "pthread_create");
	usleep(SECONDS * 500000);
	set_handler(true);
	usleep(SECONDS * 500000);
	atomic_store(&stop, true);
	for (i = 0; i < KILLERS; i++)
		CHECK(pthread_join(k[i], NULL) == 0, "join");
	/* Consumers waiting for an item see stop once woken. */
	CHECK(pthread_mutex_lock(&qm) == 0, "lock");
	CHECK(pthread_cond_broadcast(&qc) == 0, "broadcast");
	CHECK(pthread_mutex_unlock(&qm) == 0, "unlock");
	for (i = 0; i < WORKERS; i++) {
		CHECK(pthread_join(workers[i], NULL) == 0, "join");
		sum_mx += done_mx[i];
		sum_rw += done_rw[i];
	}
	CHECK(mx_count == sum_mx, "mutex: %ld counted, %ld done", mx_count,
	      sum_mx);
	CHECK(rw_count == sum_rw, "rwlock: %ld counted, %ld done", rw_count,
	      sum_rw);
	CHECK(sem_getvalue(&sem, &v) == 0 && v == TOKENS,
	      "semaphore: %d tokens at the end", v);
	CHECK(produced_total == consumed_total + queued,
	      "condvar queue: %ld produced, %ld consumed, %ld left",
	      produced_total, consumed_total, queued);
	CHECK(atomic_load(&handled) > 0 &&
		      atomic_load(&handled) <= atomic_load(&kills),
	      "the handler ran %ld times for %ld signals",
	      atomic_load(&handled), atomic_load(&kills));
	printf("eintr_storm: %ld signals, %ld handled, %ld mutex rounds\n",
	       atomic_load(&kills), atomic_load(&handled), sum_mx);
	return 0;
}
