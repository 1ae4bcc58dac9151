/*
 * Proves that a signal handler may make and close fds whatever the
 * thread it interrupts was doing: here, making fds itself, each with a
 * number not used before in the process, up to RLIMIT_NOFILE, while
 * another thread signals it as fast as it can, and the handler makes an
 * fd (dup()) and closes it. A handler that runs while the library
 * notes a new fd number, and makes one, would wait for itself for ever.
 * Then the same with pipe(), socket() and close() of numbers in use.
 * One signal for each call the thread makes, at most: more could keep
 * it in its handler for ever, natively too. With the argument "foreign",
 * the thread is one the program did not create: glibc's (or musl's) for a
 * SIGEV_THREAD timer, which runs the same calls in its notify function.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"

#include <sys/resource.h>

#define MAXFDS 20000
#define ROUNDS 20000

static atomic_bool stop;
static atomic_long handled, calls;
static int fds[MAXFDS], nfds;

static void on_usr1(int sig)
{
	int saved = errno, fd = dup(2);

	(void)sig;
	if (fd >= 0)
		close(fd);
	atomic_fetch_add(&handled, 1);
	errno = saved;
}

static void *churn(void *arg)
{
	int p[2], fd, i;

	(void)arg;
	/* New numbers, a few left for the handler's dup(). */
	while (nfds < MAXFDS) {
		fd = dup(1);
		if (fd < 0) {
			CHECK(errno == EMFILE, "dup: %s", strerror(errno));
			break;
		}
		fds[nfds++] = fd;
		atomic_fetch_add(&calls, 1);
	}
	CHECK(nfds > 100, "only %d fds", nfds);
	for (i = 0; i < 16; i++)
		close(fds[--nfds]);
	for (i = 0; i < ROUNDS; i++) {
		CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(fd >= 0, "socket: %s", strerror(errno));
		close(fd);
		atomic_fetch_add(&calls, 1);
	}
	atomic_store(&stop, true);
	return NULL;
}

static pthread_t churner;
static atomic_bool started;

static void notify_churn(union sigval sv)
{
	(void)sv;
	/* The timer's thread starts with every signal blocked. */
	mask_one(SIG_UNBLOCK, SIGUSR1);
	churner = pthread_self();
	atomic_store(&started, true);
	churn(NULL);
}

/* churn() in the thread of a SIGEV_THREAD timer; that thread. */
static pthread_t start_foreign(timer_t *tm)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD,
				.sigev_notify_function = notify_churn };
	struct itimerspec its = { .it_value = { 0, 1000000 } };

	CHECK(timer_create(CLOCK_MONOTONIC, &sev, tm) == 0, "timer_create");
	CHECK(timer_settime(*tm, 0, &its, NULL) == 0, "timer_settime");
	CHECK(wait_until(atomic_load(&started), 20), "the timer's thread");
	return churner;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	bool foreign = argc > 1 && strcmp(argv[1], "foreign") == 0;
	struct rlimit rl;
	timer_t tm;
	pthread_t t;
	long sent = 0, seen = -1;

	watchdog(60);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	if (foreign)
		t = start_foreign(&tm);
	else
		CHECK(pthread_create(&t, NULL, churn, NULL) == 0, "create");
	while (!atomic_load(&stop)) {
		if (atomic_load(&calls) == seen) {
			sched_yield();
			continue;
		}
		seen = atomic_load(&calls);
		CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
		sent++;
	}
	if (foreign)
		timer_delete(tm);
	else
		CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(atomic_load(&handled) > 0, "no signal handled of %ld sent", sent);
	printf("%d new fds, %ld signals sent, %ld handled\n", nfds + 16, sent,
	       atomic_load(&handled));
	return 0;
}
