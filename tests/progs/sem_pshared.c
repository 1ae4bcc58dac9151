/*
 * Proves that process-shared primitives work between a parent and a forked
 * child through a MAP_SHARED|MAP_ANONYMOUS page:
 * - two pshared semaphores (sem_init(s, 1, 0)) ping-pong 10,000 times;
 * - a PTHREAD_PROCESS_SHARED mutex guards a counter both increment 100,000
 *   times at once (the total is exact), and a PTHREAD_PROCESS_SHARED
 *   condvar tells the parent when the child is done;
 * - a named semaphore created by the parent and opened by name in the
 *   child carries a post from child to parent.
 * Every wait is timed (20 s) and both processes have an alarm, so a bug
 * fails instead of hanging; a wait that ends only near its deadline (a
 * lost wake-up) fails too.  The child's exit status is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PINGS 10000
#define NINCS 100000

struct shared {
	sem_t ping, pong;
	pthread_mutex_t m;
	pthread_cond_t c;
	long counter;
	bool child_done;
};

static struct shared *sh;
static char name[64];

static void increment(void)
{
	int i;

	for (i = 0; i < NINCS; i++) {
		CHECK(pthread_mutex_lock(&sh->m) == 0, "lock");
		sh->counter++;
		CHECK(pthread_mutex_unlock(&sh->m) == 0, "unlock");
	}
}

static void child(void)
{
	sem_t *named;
	int i;

	watchdog(30);
	for (i = 0; i < PINGS; i++) {
		sem_wait20(&sh->ping, "child ping");
		CHECK(sem_post(&sh->pong) == 0, "post pong: %s",
		      strerror(errno));
	}
	increment();
	CHECK(pthread_mutex_lock(&sh->m) == 0, "lock");
	sh->child_done = true;
	CHECK(pthread_cond_signal(&sh->c) == 0, "cond_signal");
	CHECK(pthread_mutex_unlock(&sh->m) == 0, "unlock");

	named = sem_open(name, 0);
	CHECK(named != SEM_FAILED, "child sem_open %s: %s", name,
	      strerror(errno));
	CHECK(sem_post(named) == 0, "child post named: %s", strerror(errno));
	CHECK(sem_close(named) == 0, "child sem_close");
	_exit(0);
}

static void unlink_name(void)
{
	sem_unlink(name);
}

static void init_shared(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(sem_init(&sh->ping, 1, 0) == 0, "sem_init: %s", strerror(errno));
	CHECK(sem_init(&sh->pong, 1, 0) == 0, "sem_init: %s", strerror(errno));
	CHECK(pthread_mutexattr_init(&ma) == 0, "mutexattr_init");
	CHECK(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) == 0,
	      "mutexattr_setpshared");
	CHECK(pthread_mutex_init(&sh->m, &ma) == 0, "mutex_init");
	CHECK(pthread_mutexattr_destroy(&ma) == 0, "mutexattr_destroy");
	CHECK(pthread_condattr_init(&ca) == 0, "condattr_init");
	CHECK(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED) == 0,
	      "condattr_setpshared");
	CHECK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0,
	      "condattr_setclock");
	CHECK(pthread_cond_init(&sh->c, &ca) == 0, "cond_init");
	CHECK(pthread_condattr_destroy(&ca) == 0, "condattr_destroy");
}

int main(void)
{
	struct timespec ts;
	sem_t *named;
	int i, err, status;
	pid_t pid;

	init_shared();
	snprintf(name, sizeof(name), "/sprout-pshared-%d", (int)getpid());
	named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	CHECK(named != SEM_FAILED, "sem_open %s: %s", name, strerror(errno));

	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		child();
	atexit(unlink_name);
	watchdog(30);

	for (i = 0; i < PINGS; i++) {
		CHECK(sem_post(&sh->ping) == 0, "post ping: %s",
		      strerror(errno));
		sem_wait20(&sh->pong, "parent pong");
	}
	increment();
	CHECK(pthread_mutex_lock(&sh->m) == 0, "lock");
	ts = deadline_in(CLOCK_MONOTONIC, 20000);
	while (!sh->child_done) {
		err = pthread_cond_timedwait(&sh->c, &sh->m, &ts);
		CHECK(err == 0, "waiting for the child: %d", err);
	}
	CHECK(sh->counter == 2L * NINCS, "counter %ld, want %ld", sh->counter,
	      2L * NINCS);
	CHECK(pthread_mutex_unlock(&sh->m) == 0, "unlock");
	sem_wait20(named, "parent named");

	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x",
	      status);
	CHECK(sem_close(named) == 0, "sem_close");
	CHECK(sem_unlink(name) == 0, "sem_unlink: %s", strerror(errno));
	CHECK(pthread_cond_destroy(&sh->c) == 0, "cond_destroy");
	CHECK(pthread_mutex_destroy(&sh->m) == 0, "mutex_destroy");
	CHECK(sem_destroy(&sh->ping) == 0 && sem_destroy(&sh->pong) == 0,
	      "sem_destroy");
	return 0;
}
