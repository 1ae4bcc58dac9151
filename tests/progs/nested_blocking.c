/*
 * Proves that a signal handler's calls during a blocking call cost no P:
 * the initial thread blocks in syscall(SYS_read) on a pipe (a call the
 * shim makes in a blocking section), and a handler that runs there makes
 * a blocking call of its own (syscall(SYS_nanosleep), a section inside the
 * section), enters the runtime (sched_yield()) and writes the byte the read
 * then returns. Afterwards as many threads as there are Ps still run at
 * once, and a helper thread goes on sleeping and waking throughout. Ten
 * rounds; in every other one of the last five the handler also forks, and
 * the child, still inside the handler and the interrupted read, runs a
 * thread on every P and exits with a status the handler checks.
 *
 * Under the shim the test then runs itself again with schedtrace on and
 * reads sysmon's count of Ps taken from a G blocked where the shim cannot
 * see ("hidden="): this program never blocks so, and a P that a section
 * lost and sysmon found again shows there, about once a round. A loaded
 * machine may add one or two (an M kept off every CPU looks the same).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "allps.h"

#define ROUNDS 10

static int pipefd[2];
static pthread_t main_thread;
static sem_t round_done, kicked;
static atomic_int handled;

static void handler(int sig)
{
	struct timespec ts = { 0, 2000000 };
	int saved = errno;
	char c = 'x';

	(void)sig;
	syscall(SYS_nanosleep, &ts, NULL);
	sched_yield();
	if (atomic_load(&handled) >= ROUNDS / 2 && atomic_load(&handled) % 2) {
		pid_t pid = fork();
		int st;

		if (pid == 0)
			_exit(all_ps_run() ? 21 : 1);
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 21)
			_exit(4);
	}
	if (write(pipefd[1], &c, 1) != 1)
		_exit(3);
	atomic_fetch_add(&handled, 1);
	errno = saved;
}

static void *kicker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		usleep(20000);
		CHECK(pthread_kill(main_thread, SIGUSR1) == 0, "pthread_kill");
		sem_post(&kicked);
		sem_wait20(&round_done, "round");
	}
	return NULL;
}

/* The most hidden= of the schedtrace lines of a traced run of self. */
static int traced_hidden(const char *self)
{
	char line[512], *h;
	int fd[2], st, most = 0;
	FILE *f;
	pid_t pid;

	CHECK(pipe(fd) == 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		setenv("SPROUT_DEBUG", "schedtrace=20", 1);
		setenv("NESTED_BLOCKING_TRACED", "1", 1);
		execl(self, self, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	CHECK(f != NULL, "fdopen");
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "sprout: SCHED", 13))
			fputs(line, stderr);
		else if ((h = strstr(line, " hidden=")) && atoi(h + 8) > most)
			most = atoi(h + 8);
	}
	fclose(f);
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the traced run failed (status %#x)", st);
	return most;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART };
	pthread_t k;
	char c;
	long r;
	int i;

	watchdog(120);
	CHECK(pipe(pipefd) == 0, "pipe");
	CHECK(sem_init(&round_done, 0, 0) == 0, "sem_init");
	CHECK(sem_init(&kicked, 0, 0) == 0, "sem_init");
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	main_thread = pthread_self();
	CHECK(pthread_create(&k, NULL, kicker, NULL) == 0, "pthread_create");
	for (i = 0; i < ROUNDS; i++) {
		do
			r = syscall(SYS_read, pipefd[0], &c, 1);
		while (r < 0 && errno == EINTR);
		CHECK(r == 1 && c == 'x', "read gave %ld (%s)", r,
		      strerror(errno));
		CHECK(atomic_load(&handled) == i + 1,
		      "the handler ran %d times", atomic_load(&handled));
		sem_wait20(&kicked, "kick");
		CHECK(all_ps_run(), "a P was lost in round %d", i);
		sem_post(&round_done);
	}
	pthread_join(k, NULL);
	if (getenv("PROG_MODE") && !strcmp(getenv("PROG_MODE"), "sprout") &&
	    !getenv("NESTED_BLOCKING_TRACED")) {
		int hidden = traced_hidden("/proc/self/exe");

		CHECK(hidden < ROUNDS / 2,
		      "sysmon found %d lost Ps in the traced run", hidden);
	}
	puts("handlers made blocking calls inside blocking calls; every P "
	     "runs");
	return 0;
}
