/*
 * Proves that the child of a fork starts with a runtime of its own, however
 * the parent's threads stood at the fork:
 *  - fork(), _Fork() and syscall(SYS_fork) made right after the forking
 *    thread slept in the kernel where the shim cannot see (a raw system
 *    call: sysmon hands its P to another M meanwhile) give a child that
 *    creates threads, sleeps, talks over a pipe, runs as many threads at
 *    once as there are Ps, and exits with the status the parent expects;
 *  - a child forked after the parent used many kernel threads (threads
 *    blocked in waitpid() at once) may itself block as many threads at
 *    once: it does not inherit the parent's count of kernel threads
 *    against SPROUT_MAXM (the test runs itself again with SPROUT_MAXM=10).
 * A child that does not end in 20 s is killed and the test fails.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "allps.h"

#define WORKERS	 3
#define BLOCKERS 7

/* nanosleep made with the system call instruction: the shim never sees it. */
static void raw_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)SYS_nanosleep), "D"(&ts), "S"(0L)
			 : "rcx", "r11", "memory");
	(void)r;
}

static int pipefd[2];

static void *worker(void *arg)
{
	char c = (char)(intptr_t)arg;

	usleep(5000);
	CHECK(write(pipefd[1], &c, 1) == 1, "write: %s", strerror(errno));
	return NULL;
}

/* A child's life: threads, sleeps, a pipe, every P. Its exit status. */
static int child_life(int status)
{
	pthread_t t[WORKERS];
	int i, sum = 0;
	char c;

	watchdog(15);
	CHECK(pipe(pipefd) == 0, "pipe");
	for (i = 0; i < WORKERS; i++)
		CHECK(pthread_create(&t[i], NULL, worker,
				     (void *)(intptr_t)(i + 1)) == 0,
		      "pthread_create in the child");
	for (i = 0; i < WORKERS; i++) {
		CHECK(read(pipefd[0], &c, 1) == 1, "read: %s", strerror(errno));
		sum += c;
	}
	for (i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	CHECK(sum == 6, "the workers wrote %d", sum);
	usleep(10000);
	CHECK(all_ps_run(), "the child cannot run a thread on every P");
	return status;
}

enum how { FORK, UNDERSCORE_FORK, SYSCALL_FORK, NHOW };
static const char *const how_name[] = { "fork()", "_Fork()",
					"syscall(SYS_fork)" };

static pid_t do_fork(enum how how)
{
	switch (how) {
	case FORK:
		return fork();
	case UNDERSCORE_FORK:
		return _Fork();
	default:
		return (pid_t)syscall(SYS_fork);
	}
}

static void *idle_thread(void *arg)
{
	sem_t *s = arg;

	sem_wait20(s, "idle thread");
	return NULL;
}

/* Fork the way how says right after a sleep the shim could not see. */
static void fork_after_hidden_sleep(enum how how)
{
	pid_t pid;
	int status = 40 + (int)how;

	raw_sleep_ms(150);
	pid = do_fork(how);
	if (pid == 0)
		_exit(child_life(status));
	CHECK(pid > 0, "%s: %s", how_name[how], strerror(errno));
	CHECK(reap(pid, how_name[how]) == status,
	      "the child of %s exited with another status", how_name[how]);
}

static void *forker(void *arg)
{
	int how;

	(void)arg;
	for (how = 0; how < NHOW; how++)
		fork_after_hidden_sleep((enum how)how);
	return NULL;
}

/* A thread blocked in waitpid() for a child of its own for 200 ms. */
static void *blocker(void *arg)
{
	pid_t pid = fork();
	int st;

	(void)arg;
	if (pid == 0) {
		usleep(200000);
		_exit(7);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 7,
	      "waitpid in a blocked thread");
	return NULL;
}

static void block_many(void)
{
	pthread_t t[BLOCKERS];
	int i;

	for (i = 0; i < BLOCKERS; i++)
		CHECK(pthread_create(&t[i], NULL, blocker, NULL) == 0,
		      "pthread_create");
	for (i = 0; i < BLOCKERS; i++)
		pthread_join(t[i], NULL);
}

/* Run with SPROUT_MAXM=10: Ms for 7 blocked threads here, then in a child. */
static int maxm_mode(void)
{
	pid_t pid;

	watchdog(60);
	block_many();
	pid = fork();
	if (pid == 0) {
		watchdog(15);
		block_many();
		_exit(50);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	CHECK(reap(pid, "fork() after many blocked threads") == 50,
	      "the child could not block as many threads as its parent");
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t t[2], f;
	sem_t s;
	int how, i, st;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "maxm"))
		return maxm_mode();
	watchdog(180);
	CHECK(sem_init(&s, 0, 0) == 0, "sem_init");
	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, idle_thread, &s) == 0,
		      "pthread_create");
	/* From the initial thread, then from another one. */
	for (how = 0; how < NHOW; how++)
		fork_after_hidden_sleep((enum how)how);
	CHECK(pthread_create(&f, NULL, forker, NULL) == 0, "pthread_create");
	pthread_join(f, NULL);
	for (i = 0; i < 2; i++)
		sem_post(&s);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);

	pid = fork();
	if (pid == 0) {
		setenv("SPROUT_MAXM", "10", 1);
		execl("/proc/self/exe", argv[0], "maxm", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the SPROUT_MAXM=10 run failed (status %#x)", st);
	CHECK(all_ps_run(), "a P was lost in the parent");
	puts("children of fork(), _Fork() and syscall(SYS_fork) ran");
	return 0;
}
