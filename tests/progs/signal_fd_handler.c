/*
 * Proves that a signal handler may make and close fds whatever the
 * thread it interrupts was doing: here, making fds itself, each with a
 * number not used before in the process, up to RLIMIT_NOFILE, while
 * another thread signals it as fast as it can, and the handler makes an
 * fd (dup()) and closes it. A handler that runs while the library
 * notes a new fd number, and makes one, would wait for itself for ever.
 * Then the same with pipe(), socket() and close() of numbers in use.
 * One signal for each call the thread makes, at most: more could keep
 * it in its handler for ever, natively too.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

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

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct rlimit rl;
	pthread_t t;
	long sent = 0, seen = -1;

	watchdog(60);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
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
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(atomic_load(&handled) > 0, "no signal handled of %ld sent", sent);
	printf("%d new fds, %ld signals sent, %ld handled\n", nfds + 16, sent,
	       atomic_load(&handled));
	return 0;
}
