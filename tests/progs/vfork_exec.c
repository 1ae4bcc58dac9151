/*
 * Proves that a child of vfork() that resets signal actions and the
 * signal mask before exec, as CPython's subprocess does, leaves the
 * parent as it was: 20 times, the initial thread (with a SIGUSR1 handler
 * and two other threads running) blocks every signal, vforks, and the
 * child resets SIGUSR1 to SIG_DFL, unblocks everything and execs true; the
 * parent unblocks again and waits for it. Then the parent's handler must
 * still be installed, its kernel thread must block nothing
 * (/proc/thread-self/status SigBlk, read right after the unblock), and a
 * SIGUSR1 sent to the process must run the handler.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "check.h"

static atomic_bool stop;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void *spin(void *arg)
{
	struct timespec ms = { 0, (long)MS };

	(void)arg;
	while (!atomic_load(&stop))
		nanosleep(&ms, NULL);
	return NULL;
}

/* The kernel thread's blocked set, as /proc shows it (hex digits). */
static void sigblk(char *out, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/thread-self/status", "r");

	CHECK(f, "fopen: %s", strerror(errno));
	out[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigBlk:", 7)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%.*s", (int)len - 1, line + 8);
		}
	fclose(f);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, cur,
			 dfl = { .sa_handler = SIG_DFL };
	sigset_t all, old;
	pthread_t t[2];
	char blk[64];
	int i, status, before;
	pid_t pid;

	watchdog(60);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction: %s",
	      strerror(errno));
	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, spin, NULL) == 0,
		      "pthread_create");
	sigfillset(&all);

	for (i = 0; i < 20; i++) {
		CHECK(pthread_sigmask(SIG_BLOCK, &all, &old) == 0,
		      "pthread_sigmask");
		pid = vfork();
		CHECK(pid >= 0, "vfork: %s", strerror(errno));
		if (pid == 0) {
			sigaction(SIGUSR1, &dfl, NULL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0,
		      "pthread_sigmask");
		sigblk(blk, sizeof(blk));
		CHECK(!strcmp(blk, "0000000000000000"),
		      "round %d: the kernel thread blocks %s after the unblock",
		      i, blk);
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s",
		      strerror(errno));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "round %d: the child failed (status %#x)", i, status);
		CHECK(sigaction(SIGUSR1, NULL, &cur) == 0, "sigaction: %s",
		      strerror(errno));
		CHECK(cur.sa_handler == on_usr1,
		      "round %d: the parent's handler is gone", i);
		before = handled;
		CHECK(kill(getpid(), SIGUSR1) == 0, "kill: %s",
		      strerror(errno));
		CHECK(wait_until(handled > before, 5),
		      "round %d: SIGUSR1 to the process did not run the "
		      "handler",
		      i);
	}
	atomic_store(&stop, true);
	for (i = 0; i < 2; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	printf("vfork_exec: 20 children, the parent as it was\n");
	return 0;
}
