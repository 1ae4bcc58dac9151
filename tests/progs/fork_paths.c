/*
 * Proves that every way of forking leaves a child that runs: _Fork(),
 * syscall(SYS_fork), syscall(SYS_clone) and syscall(SYS_clone3) without
 * CLONE_VM, and libc's clone() without CLONE_VM (the child runs a
 * function on a stack of its own, which returns or calls _exit()) give a
 * child that creates threads, sleeps, talks over a pipe, runs as many
 * threads at once as there are Ps, and exits with the status the parent
 * expects; syscall(SYS_vfork) and a clone with CLONE_VM and CLONE_VFORK
 * on the caller's stack (vfork by another name) give a child that exits
 * with its status. Two threads
 * fork this way at once while others sleep. A raw clone of a thread
 * through syscall() fails with -1 (EINVAL natively for the flags used;
 * ENOSYS under the shim, which does not support it) and makes no child;
 * a clone3 of a bad pointer fails with EFAULT. A child that does not end
 * in 20 s is killed and the test fails.
 */
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "allps.h"

#define WORKERS 3
#define ROUNDS	3

static void *worker(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char c = 1;

	usleep(5000);
	CHECK(write(fd, &c, 1) == 1, "write: %s", strerror(errno));
	return NULL;
}

/* A child's life: threads, sleeps, a pipe, every P. Its exit status. */
static int child_life(int status)
{
	pthread_t t[WORKERS];
	int i, fd[2], sum = 0;
	char c;

	watchdog(15);
	CHECK(pipe(fd) == 0, "pipe");
	for (i = 0; i < WORKERS; i++)
		CHECK(pthread_create(&t[i], NULL, worker,
				     (void *)(intptr_t)fd[1]) == 0,
		      "pthread_create in the child");
	for (i = 0; i < WORKERS; i++) {
		CHECK(read(fd[0], &c, 1) == 1, "read: %s", strerror(errno));
		sum += c;
	}
	for (i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	CHECK(sum == WORKERS, "the workers wrote %d", sum);
	usleep(10000);
	CHECK(all_ps_run(), "the child cannot run a thread on every P");
	return status;
}

enum how {
	UFORK,
	SYSFORK,
	SYSCLONE,
	SYSCLONE3,
	SYSVFORK,
	VMVFORK,
	LIBCCLONE,
	NHOW
};
static const char *const how_name[] = {
	"_Fork()",
	"syscall(SYS_fork)",
	"syscall(SYS_clone)",
	"syscall(SYS_clone3)",
	"syscall(SYS_vfork)",
	"clone(CLONE_VM|CLONE_VFORK)",
	"clone()",
};
static bool no_clone3;

/*
 * A vfork child runs on its parent's stack until it exits: it returns from
 * syscall() and ends with the system call instruction, calling nothing
 * that would write over the parent's frame of syscall().
 */
static __attribute__((noinline)) pid_t vfork_exit(long nr, long flags,
						  long status)
{
	pid_t pid = (pid_t)syscall(nr, flags, 0, 0, 0, 0);

	if (pid == 0)
		__asm__ volatile("syscall"
				 :
				 : "a"((long)SYS_exit_group), "D"(status)
				 : "rcx", "r11", "memory");
	return pid;
}

/*
 * The child's copy of one is its stack. libc's clone() writes the function
 * and its argument at the top of the stack in the parent before the system
 * call, so each forker has its own: two clones at once on one stack would
 * hand a child the other's argument.
 */
static char clone_stack[2][256 * 1024] __attribute__((aligned(64)));

/*
 * Half the children return from the function (libc then ends the thread
 * with SYS_exit, the process with it as its last), half _exit().
 */
static int clone_main(void *arg)
{
	int status = (int)(intptr_t)arg;

	if (status % 2)
		_exit(child_life(status));
	return child_life(status);
}

static pid_t do_fork(enum how how, int forker, int status)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };

	switch (how) {
	case UFORK:
		return _Fork();
	case SYSFORK:
		return (pid_t)syscall(SYS_fork);
	case SYSCLONE:
		return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	case SYSCLONE3:
		return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	case SYSVFORK:
		return vfork_exit(SYS_vfork, 0, status);
	case LIBCCLONE:
		return clone(clone_main,
			     clone_stack[forker] + sizeof(clone_stack[forker]),
			     SIGCHLD, (void *)(intptr_t)status);
	default:
		return vfork_exit(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
				  status);
	}
}

static void fork_once(enum how how, int forker, int round)
{
	int status = 10 * (int)how + round;
	pid_t pid;

	if (how == SYSCLONE3 && no_clone3)
		return;
	pid = do_fork(how, forker, status);
	if (pid == 0)
		_exit(child_life(status));
	CHECK(pid > 0, "%s: %s", how_name[how], strerror(errno));
	CHECK(reap(pid, how_name[how]) == status,
	      "the child of %s exited with another status", how_name[how]);
}

/*
 * Set once every thread is made: a fork while another thread is in
 * pthread_create() may leave libc's locks held in the child, which then
 * hangs in its own pthread_create() (natively too: POSIX allows such a
 * child only async-signal-safe calls).
 */
static atomic_bool go;

static void *forker(void *arg)
{
	int how, round;

	while (!atomic_load(&go))
		usleep(1000);
	for (round = 0; round < ROUNDS; round++)
		for (how = 0; how < NHOW; how++)
			fork_once((enum how)how, (int)(intptr_t)arg, round);
	return NULL;
}

static atomic_bool stop;

static void *sleeper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		usleep(1000);
	return NULL;
}

int main(void)
{
	struct clone_args ca = { .flags = CLONE_THREAD,
				 .exit_signal = SIGCHLD };
	pthread_t f[2], s[2];
	long r;
	int i;

	watchdog(170);
	errno = 0;
	r = syscall(SYS_clone3, NULL, 0);
	no_clone3 = r < 0 && errno == ENOSYS;

	/* A thread through syscall(): refused, no child. */
	errno = 0;
	r = syscall(SYS_clone, CLONE_THREAD, 0, 0, 0, 0);
	CHECK(r == -1 && (errno == EINVAL || errno == ENOSYS),
	      "clone of a thread gave %ld (%s)", r, strerror(errno));
	if (!no_clone3) {
		errno = 0;
		r = syscall(SYS_clone3, &ca, sizeof(ca));
		CHECK(r == -1 && (errno == EINVAL || errno == ENOSYS),
		      "clone3 of a thread gave %ld (%s)", r, strerror(errno));
		errno = 0;
		r = syscall(SYS_clone3, (void *)8, sizeof(ca));
		CHECK(r == -1 && errno == EFAULT, "clone3 of a bad pointer: %s",
		      strerror(errno));
	}
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	      "a refused clone made a child");

	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&s[i], NULL, sleeper, NULL) == 0,
		      "pthread_create");
	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&f[i], NULL, forker,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	atomic_store(&go, true);
	for (i = 0; i < 2; i++)
		pthread_join(f[i], NULL);
	atomic_store(&stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(s[i], NULL);
	CHECK(all_ps_run(), "a P was lost in the parent");
	printf("children of every fork path ran%s\n",
	       no_clone3 ? " (no clone3 here)" : "");
	return 0;
}
