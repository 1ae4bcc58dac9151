/*
 * sigmask_forms - every way glibc offers to change a thread's signal mask
 * changes the one pthread_sigmask() reports, and waits on it work:
 *
 *  - the BSD calls sigblock(), sigsetmask(), siggetmask();
 *  - the System V calls sighold(), sigrelse(), sigset() with SIG_HOLD and
 *    with a handler;
 *  - siglongjmp() to a sigsetjmp(env, 1) puts the saved mask back;
 *  - sigpause() (X/Open: the mask less one signal) lets a pending signal in
 *    and returns EINTR;
 *  - a shell's wait: block everything, fork, sigsetmask(0) in the parent,
 *    then block everything again and sigsuspend() on the mask that returned
 *    until SIGCHLD's handler ran, with other threads around that sleep in
 *    blocking calls (so that more kernel threads may take the signal). They
 *    block every signal, as they must: a thread that lets SIGCHLD in may
 *    take it in the main thread's stead, natively too.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

#include "check.h"

/* They are old, and what programs still call. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* A BSD mask: bit sig - 1 (glibc's sigmask(), deprecated with them). */
#define BIT(sig) (1 << ((sig)-1))

static bool blocked(int sig)
{
	sigset_t cur;

	CHECK(pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0, "pthread_sigmask");
	return sigismember(&cur, sig);
}

static void unblock_all(void)
{
	sigset_t none;

	sigemptyset(&none);
	CHECK(pthread_sigmask(SIG_SETMASK, &none, NULL) == 0, "setmask");
}

static volatile sig_atomic_t usr1_ran, chld_ran;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_ran = 1;
}

static void on_chld(int sig)
{
	(void)sig;
	chld_ran = 1;
}

static void bsd_calls(void)
{
	int old;

	unblock_all();
	old = sigblock(BIT(SIGUSR1) | BIT(SIGUSR2));
	CHECK(old == 0, "sigblock returned the old mask %#x", old);
	CHECK(blocked(SIGUSR1) && blocked(SIGUSR2), "sigblock blocks");
	CHECK(siggetmask() == (BIT(SIGUSR1) | BIT(SIGUSR2)), "siggetmask %#x",
	      siggetmask());
	old = sigsetmask(BIT(SIGHUP));
	CHECK(old == (BIT(SIGUSR1) | BIT(SIGUSR2)), "old %#x", old);
	CHECK(blocked(SIGHUP) && !blocked(SIGUSR1), "sigsetmask sets");
	sigsetmask(0);
	CHECK(!blocked(SIGHUP), "sigsetmask(0) unblocks");
}

static void sysv_calls(void)
{
	unblock_all();
	CHECK(sighold(SIGUSR1) == 0 && blocked(SIGUSR1), "sighold");
	CHECK(sigrelse(SIGUSR1) == 0 && !blocked(SIGUSR1), "sigrelse");
	CHECK(sighold(0) == -1 && errno == EINVAL, "sighold(0): EINVAL");

	CHECK(sigset(SIGUSR2, SIG_HOLD) == SIG_DFL, "sigset hold: was SIG_DFL");
	CHECK(blocked(SIGUSR2), "sigset(SIG_HOLD) blocks");
	CHECK(sigset(SIGUSR2, on_usr1) == SIG_HOLD, "was held");
	CHECK(!blocked(SIGUSR2), "sigset(handler) unblocks");
	usr1_ran = 0;
	raise(SIGUSR2);
	CHECK(usr1_ran, "the handler sigset installed runs");
	CHECK(sigset(SIGUSR2, SIG_DFL) == on_usr1, "sigset returns the old");
}

static sigjmp_buf env;

static void jumps(void)
{
	sigset_t usr1;

	unblock_all();
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigsetjmp(env, 1) == 0) {
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
		CHECK(blocked(SIGUSR1), "blocked before the jump");
		siglongjmp(env, 1);
	}
	CHECK(!blocked(SIGUSR1), "siglongjmp put the saved mask back");
}

static void pause_call(void)
{
	sigset_t usr1;
	int r;

	signal(SIGUSR1, on_usr1);
	unblock_all();
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	usr1_ran = 0;
	raise(SIGUSR1); /* pending: blocked */
	CHECK(!usr1_ran, "blocked signal ran");
	r = sigpause(SIGUSR1);
	CHECK(r == -1 && errno == EINTR, "sigpause: %d errno %d", r, errno);
	CHECK(usr1_ran, "sigpause let SIGUSR1 in");
	CHECK(blocked(SIGUSR1), "sigpause put the mask back");
	unblock_all();
}

/* Threads in blocking calls: the runtime has more kernel threads. */
static int stop_pipe[2];

static void *reader(void *arg)
{
	char c;

	(void)arg;
	CHECK(read(stop_pipe[0], &c, 1) >= 0, "read");
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++)
		usleep(1000);
	return NULL;
}

/* dash's "wait": what hung a shell under the shim. */
static void shell_wait(int round)
{
	sigset_t all, old;
	pid_t pid;
	int status;

	sigfillset(&all);
	chld_ran = 0;
	sigprocmask(SIG_SETMASK, &all, NULL);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		usleep((useconds_t)(round % 3) * 10000);
		_exit(0);
	}
	sigsetmask(0);
	CHECK(!blocked(SIGCHLD), "sigsetmask(0) after fork");
	usleep((useconds_t)(round % 2) * 5000);
	sigprocmask(SIG_SETMASK, &all, &old);
	CHECK(!sigismember(&old, SIGCHLD), "the mask returned blocks SIGCHLD");
	while (!chld_ran)
		sigsuspend(&old);
	sigsetmask(0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "waitpid");
}

int main(void)
{
	pthread_attr_t attr;
	pthread_t r, s[4];
	sigset_t all;
	int i;

	watchdog(60);
	bsd_calls();
	sysv_calls();
	jumps();
	pause_call();

	signal(SIGCHLD, on_chld);
	sigfillset(&all);
	pthread_attr_init(&attr);
	CHECK(pthread_attr_setsigmask_np(&attr, &all) == 0, "setsigmask_np");
	CHECK(pipe(stop_pipe) == 0, "pipe");
	CHECK(pthread_create(&r, &attr, reader, NULL) == 0, "create");
	for (i = 0; i < 50; i++) {
		int k;

		for (k = 0; k < 4; k++)
			CHECK(pthread_create(&s[k], &attr, sleeper, NULL) == 0,
			      "create");
		shell_wait(i);
		for (k = 0; k < 4; k++)
			pthread_join(s[k], NULL);
	}
	CHECK(write(stop_pipe[1], "x", 1) == 1, "write");
	pthread_join(r, NULL);
	puts("sigmask_forms: ok");
	return 0;
}
