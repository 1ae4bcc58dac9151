/*
 * Signals whose action is the default, and signals a thread blocks, reach
 * the process as the kernel would have them:
 *  - a SIGSEGV sent with raise(), pthread_kill() or kill(), and one from a
 *    bad access, end the process by SIGSEGV (a crash is never a success);
 *  - a signal whose default ends the process, sent with pthread_kill() to a
 *    thread parked in a condvar, mutex or semaphore wait, ends it at once
 *    (glibc's tst-kill1);
 *  - a signal a thread blocks waits for that thread: it reaches no other
 *    thread, however the threads share kernel threads, and the process
 *    goes on (tst-kill2); once the thread unblocks it, its handler runs
 *    before pthread_sigmask() returns.
 * Each case runs in a child, which must end as said.
 */
#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>

#include "check.h"

/* Run f in a child; how it ended (wait status). */
static int in_child(void (*f)(void))
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct rlimit none = { 0, 0 };

		setrlimit(RLIMIT_CORE, &none);
		watchdog(10);
		f();
		_exit(0);
	}
	return child_status(pid, "a case");
}

static void expect_signal(const char *what, void (*f)(void), int sig)
{
	int st = in_child(f);

	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == sig,
	      "%s: the child ended with status %d, signal %d, not by signal %d",
	      what, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	      WIFSIGNALED(st) ? WTERMSIG(st) : 0, sig);
}

static void expect_exit0(const char *what, void (*f)(void))
{
	int st = in_child(f);

	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "%s: the child ended with status %d, signal %d", what,
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void raise_segv(void)
{
	raise(SIGSEGV);
}

static void self_kill_segv(void)
{
	pthread_kill(pthread_self(), SIGSEGV);
}

static void process_segv(void)
{
	kill(getpid(), SIGSEGV);
	pause();
}

static int *volatile nowhere; /* NULL, opaque to the compiler */

static void bad_access(void)
{
	*nowhere = 1;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t parked, never;

static void *in_cond(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	sem_post(&parked);
	for (;;)
		pthread_cond_wait(&c, &m);
	return NULL;
}

static void *in_mutex(void *arg)
{
	(void)arg;
	sem_post(&parked);
	pthread_mutex_lock(&m); /* held by main */
	return NULL;
}

static void *in_sem(void *arg)
{
	(void)arg;
	sem_post(&parked);
	sem_wait(&never);
	return NULL;
}

/* Send sig to a thread parked in f's wait; the process must end by it. */
static void kill_parked(void *(*f)(void *), int sig, bool hold_m)
{
	pthread_t t;

	sem_init(&parked, 0, 0);
	sem_init(&never, 0, 0);
	if (hold_m)
		pthread_mutex_lock(&m);
	CHECK(pthread_create(&t, NULL, f, NULL) == 0, "pthread_create");
	sem_wait(&parked);
	if (!hold_m) /* in_cond: it parks as it lets go of m */
		pthread_mutex_lock(&m);
	usleep(50000); /* parked by now, most likely */
	CHECK(pthread_kill(t, sig) == 0, "pthread_kill");
	pthread_join(t, NULL); /* never returns */
	fprintf(stderr, "FAIL: the process outlived signal %d\n", sig);
	_exit(1);
}

static void usr1_to_cond(void)
{
	kill_parked(in_cond, SIGUSR1, false);
}

static void term_to_mutex(void)
{
	kill_parked(in_mutex, SIGTERM, true);
}

static void rt_to_sem(void)
{
	kill_parked(in_sem, SIGRTMIN + 1, false);
}

static _Atomic int handled;
static sem_t sent, checked;

static void count(int sig)
{
	(void)sig;
	handled++;
}

/*
 * Blocks SIGUSR1 (default: the end of the process) and SIGUSR2 (counted),
 * waits until main sent both, lets the other threads run a while, then
 * unblocks SIGUSR2: its handler runs once, before pthread_sigmask()
 * returns. SIGUSR1 it never unblocks.
 */
static void *blocker(void *arg)
{
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0, "sigmask");
	sem_post(&parked);
	sem_wait(&sent);
	usleep(100000);
	CHECK(handled == 0, "a blocked signal's handler ran");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK(pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0, "sigmask");
	CHECK(handled == 1, "SIGUSR2, pending and unblocked, ran %d times",
	      handled);
	sem_post(&checked);
	return NULL;
}

static _Atomic bool stop;

static void *busy(void *arg)
{
	(void)arg;
	while (!stop) {
		usleep(1000);
		sched_yield();
	}
	return NULL;
}

static void blocked_stays(void)
{
	pthread_t b, others[4];
	int i;

	signal(SIGUSR2, count);
	sem_init(&parked, 0, 0);
	sem_init(&sent, 0, 0);
	sem_init(&checked, 0, 0);
	CHECK(pthread_create(&b, NULL, blocker, NULL) == 0, "create");
	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&others[i], NULL, busy, NULL) == 0,
		      "create");
	sem_wait(&parked);
	CHECK(pthread_kill(b, SIGUSR1) == 0, "pthread_kill");
	CHECK(pthread_kill(b, SIGUSR2) == 0, "pthread_kill");
	sem_post(&sent);
	sem_wait(&checked);
	pthread_join(b, NULL);
	usleep(100000); /* the others run on, with b's kernel threads */
	stop = true;
	for (i = 0; i < 4; i++)
		pthread_join(others[i], NULL);
	CHECK(handled == 1, "SIGUSR2 ran %d times", handled);
}

int main(void)
{
	expect_signal("raise(SIGSEGV)", raise_segv, SIGSEGV);
	expect_signal("pthread_kill(self, SIGSEGV)", self_kill_segv, SIGSEGV);
	expect_signal("kill(getpid(), SIGSEGV)", process_segv, SIGSEGV);
	expect_signal("a bad access", bad_access, SIGSEGV);
	expect_signal("SIGUSR1 to a thread in a condvar wait", usr1_to_cond,
		      SIGUSR1);
	expect_signal("SIGTERM to a thread in a mutex wait", term_to_mutex,
		      SIGTERM);
	expect_signal("SIGRTMIN+1 to a thread in a semaphore wait", rt_to_sem,
		      SIGRTMIN + 1);
	expect_exit0("signals a thread blocks", blocked_stays);
	return 0;
}
