// SPDX-License-Identifier: MIT
/*
 * RLIMIT_NPROC reached: the program goes on with the kernel threads it
 * has. A child drops to uid 65534 (root ignores RLIMIT_NPROC), limits
 * itself to two more tasks, and starts 40 threads that each make blocking
 * calls which hold a kernel thread (sigtimedwait with a timeout, handed
 * off with the P under the shim) and write to a pipe the initial thread
 * reads. Natively pthread_create fails with EAGAIN past the limit; under
 * the shim the threads are made but kernel threads to run them are not.
 * Either way every thread made must finish, and the child must exit 0: no
 * abort (the runtime stopped the program when it could not start an M),
 * no hang, no process left behind.
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "check.h"

#define THREADS 40
#define ROUNDS	5

static int pfd[2];

static void *worker(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t set;
	int i;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < ROUNDS; i++) {
		CHECK(sigtimedwait(&set, NULL, &ts) == -1 && errno == EAGAIN,
		      "sigtimedwait: %s", strerror(errno));
		CHECK(write(pfd[1], "x", 1) == 1, "write: %s", strerror(errno));
	}
	return NULL;
}

static int child(void)
{
	pthread_t t[THREADS];
	struct rlimit rl;
	int i, made = 0, err, got = 0, n;
	char buf[64];

	CHECK(setresgid(65534, 65534, 65534) == 0, "setresgid: %s",
	      strerror(errno));
	CHECK(setresuid(65534, 65534, 65534) == 0, "setresuid: %s",
	      strerror(errno));
	prctl(PR_SET_DUMPABLE, 1);
	rl.rlim_cur = rl.rlim_max = (rlim_t)count_tasks() + 2;
	CHECK(setrlimit(RLIMIT_NPROC, &rl) == 0, "setrlimit: %s",
	      strerror(errno));
	for (i = 0; i < THREADS; i++) {
		err = pthread_create(&t[made], NULL, worker, NULL);
		CHECK(err == 0 || err == EAGAIN, "pthread_create: %s",
		      strerror(err));
		made += err == 0;
	}
	while (got < made * ROUNDS) {
		n = (int)read(pfd[0], buf, sizeof(buf));
		CHECK(n > 0, "read: %s", n < 0 ? strerror(errno) : "EOF");
		got += n;
	}
	for (i = 0; i < made; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(got == made * ROUNDS, "%d bytes from %d threads", got, made);
	printf("%d of %d threads made, all finished\n", made, THREADS);
	return 0;
}

int main(void)
{
	uint64_t deadline;
	pid_t pid;
	int st;

	if (geteuid() != 0)
		SKIP("needs root to drop to another uid (root ignores "
		     "RLIMIT_NPROC)");
	CHECK(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		watchdog(60);
		exit(child());
	}
	deadline = now_ns() + 90000 * MS;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			CHECK(0, "the child hung");
		}
		usleep(10 * 1000);
	}
	CHECK(!WIFSIGNALED(st), "the child was killed by signal %d",
	      WTERMSIG(st));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed");
	return 0;
}
