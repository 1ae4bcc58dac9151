/*
 * Proves that waits on process-shared objects are cancellation points as
 * the private ones are: a thread in pthread_cond_wait on a process-shared
 * condvar (with a process-shared errorcheck mutex) and one in sem_wait on
 * a process-shared semaphore, both blocked (main sleeps 100 ms after they
 * said they would block), are cancelled: each join gives PTHREAD_CANCELED,
 * the condvar waiter's cleanup handler runs once with the mutex held again
 * (unlocking it gives 0), and the semaphore then still counts a post
 * (sem_trywait takes it). Watchdog 30 s.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "check.h"

static pthread_mutex_t mu;
static pthread_cond_t cv;
static sem_t sem, blocking;
static atomic_int unlocked_in_handler;

static void unlock_mutex(void *arg)
{
	(void)arg;
	atomic_fetch_add(&unlocked_in_handler,
			 pthread_mutex_unlock(&mu) == 0 ? 1 : 100);
}

static void *cond_waiter(void *arg)
{
	CHECK(pthread_mutex_lock(&mu) == 0, "lock");
	pthread_cleanup_push(unlock_mutex, NULL);
	CHECK(sem_post(&blocking) == 0, "post");
	for (;;)
		pthread_cond_wait(&cv, &mu);
	pthread_cleanup_pop(0);
	return arg;
}

static void *sem_waiter(void *arg)
{
	CHECK(sem_post(&blocking) == 0, "post");
	for (;;)
		sem_wait(&sem);
	return arg;
}

int main(void)
{
	const struct timespec settle = { 0, 100 * 1000000 };
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_t c, s;
	void *rc, *rs;

	watchdog(30);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	CHECK(pthread_mutex_init(&mu, &ma) == 0, "mutex_init");
	CHECK(pthread_cond_init(&cv, &ca) == 0, "cond_init");
	CHECK(sem_init(&sem, 1, 0) == 0, "sem_init");
	CHECK(sem_init(&blocking, 0, 0) == 0, "sem_init");

	CHECK(pthread_create(&c, NULL, cond_waiter, NULL) == 0, "create");
	CHECK(pthread_create(&s, NULL, sem_waiter, NULL) == 0, "create");
	sem_wait20(&blocking, "the condvar waiter");
	sem_wait20(&blocking, "the semaphore waiter");
	nanosleep(&settle, NULL);
	CHECK(pthread_cancel(c) == 0, "cancel");
	CHECK(pthread_cancel(s) == 0, "cancel");
	CHECK(pthread_join(c, &rc) == 0, "join");
	CHECK(pthread_join(s, &rs) == 0, "join");
	CHECK(rc == PTHREAD_CANCELED, "condvar waiter: not cancelled");
	CHECK(rs == PTHREAD_CANCELED, "semaphore waiter: not cancelled");
	CHECK(atomic_load(&unlocked_in_handler) == 1,
	      "the handler did not find the mutex held again (%d)",
	      atomic_load(&unlocked_in_handler));
	CHECK(sem_post(&sem) == 0 && sem_trywait(&sem) == 0,
	      "the semaphore lost a post");
	puts("process-shared condvar and semaphore waits are cancelled");
	return 0;
}
