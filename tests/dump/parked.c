/*
 * Threads parked in each kind of wait, for `sprout dump` to find
 * (tests/dump/check.py): each is named after its wait and blocks in a
 * function named park_<wait>. Prints "ready PID" once all of them are
 * about to block, then waits for SIGUSR1, on which it lets them all go,
 * joins them and prints "released": the dump must leave every thread as
 * it was.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static sem_t sem;
static int pfd[2];
static pid_t child;
static pthread_t sleeper;
static atomic_int parked;
static volatile int spin = 1;
static volatile sig_atomic_t go;

#define NOINLINE __attribute__((noinline))

/* Each park_* blocks in a call that is not its last: its frame stays. */
static void arrive(void)
{
	atomic_fetch_add(&parked, 1);
}

NOINLINE static void park_mutex(void)
{
	arrive();
	pthread_mutex_lock(&mutex);
	pthread_mutex_unlock(&mutex);
}

NOINLINE static void park_cond(void)
{
	pthread_mutex_lock(&cond_mutex);
	arrive();
	pthread_cond_wait(&cond, &cond_mutex);
	pthread_mutex_unlock(&cond_mutex);
}

NOINLINE static void park_sem(void)
{
	arrive();
	sem_wait(&sem);
	__asm__ volatile("");
}

NOINLINE static void park_rwlock(void)
{
	arrive();
	pthread_rwlock_wrlock(&rwlock);
	pthread_rwlock_unlock(&rwlock);
}

NOINLINE static void park_barrier(void)
{
	arrive();
	pthread_barrier_wait(&barrier);
	__asm__ volatile("");
}

NOINLINE static void park_sleep(void)
{
	struct timespec ts = { 3600, 0 };

	arrive();
	nanosleep(&ts, NULL);
	__asm__ volatile("");
}

NOINLINE static void park_read(void)
{
	char c;

	arrive();
	if (read(pfd[0], &c, 1) < 0)
		perror("read");
	__asm__ volatile("");
}

NOINLINE static void park_syscall(void)
{
	arrive();
	waitpid(child, NULL, 0);
	__asm__ volatile("");
}

NOINLINE static void park_join(void)
{
	arrive();
	pthread_join(sleeper, NULL);
	__asm__ volatile("");
}

NOINLINE static void park_spin(void)
{
	arrive();
	while (spin)
		__asm__ volatile("");
}

static const struct {
	const char *name;
	void (*fn)(void);
} waits[] = {
	{ "mutex", park_mutex },     { "cond", park_cond },
	{ "sem", park_sem },	     { "rwlock", park_rwlock },
	{ "barrier", park_barrier }, { "sleep", park_sleep },
	{ "read", park_read },	     { "syscall", park_syscall },
	{ "join", park_join },	     { "spin", park_spin },
};
#define NWAITS (sizeof(waits) / sizeof(waits[0]))

static void *run(void *arg)
{
	const char *name = waits[(long)arg].name;

	pthread_setname_np(pthread_self(), name);
	waits[(long)arg].fn();
	return NULL;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
}

int main(void)
{
	pthread_t ts[NWAITS];
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL); /* ends park_sleep's nanosleep */
	pthread_mutex_lock(&mutex);
	pthread_rwlock_rdlock(&rwlock);
	pthread_barrier_init(&barrier, NULL, 2);
	sem_init(&sem, 0, 0);
	if (pipe(pfd))
		return 1;
	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* if killed, as by SIGABRT */
		pause();
		_exit(0);
	}
	for (long i = 0; i < (long)NWAITS; i++) {
		if (pthread_create(&ts[i], NULL, run, (void *)i))
			return 1;
		if (waits[i].fn == park_sleep)
			sleeper = ts[i];
		/* in order: park_join needs sleeper */
		while (atomic_load(&parked) <= i)
			usleep(1000);
	}
	usleep(200000); /* let the last of them block */
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go)
		pause();

	pthread_mutex_unlock(&mutex);
	pthread_mutex_lock(&cond_mutex);
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&cond_mutex);
	sem_post(&sem);
	pthread_rwlock_unlock(&rwlock);
	pthread_barrier_wait(&barrier);
	pthread_kill(sleeper, SIGUSR2);
	if (write(pfd[1], "x", 1) != 1)
		return 1;
	kill(child, SIGKILL);
	spin = 0;
	for (size_t i = 0; i < NWAITS; i++)
		if (waits[i].fn != park_sleep && pthread_join(ts[i], NULL))
			return 1;
	puts("released");
	return 0;
}
