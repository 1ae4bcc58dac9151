/*
 * Proves that a thread blocked waiting for a signal does not stop the
 * others, and that the signal still reaches it.  Main blocks SIGUSR1 and
 * SIGUSR2 before creating any thread, so every thread has them blocked.
 * - A blocker thread calls sigwait() on {SIGUSR1}; while it is surely
 *   inside (its flag set right before the call, then 50 ms), two other
 *   threads make 1,000 mutex + condvar ping-pong round trips, which must
 *   finish while the blocker is still blocked; then pthread_kill(blocker,
 *   SIGUSR1) and sigwait() returns 0 with SIGUSR1.
 * - The same with sigwaitinfo() on {SIGUSR2} and kill(getpid(), SIGUSR2):
 *   si_signo is SIGUSR2, si_code SI_USER and si_pid our pid.
 * - sigtimedwait() on {SIGUSR1, SIGUSR2} with a 100 ms timeout and no
 *   signal sent returns -1 with EAGAIN after at least 100 ms.
 * After each round neither signal is left pending.  With one processor
 * under the library, the ping-pong can only run if the blocked thread's
 * processor is handed to another kernel thread.  Watchdog 30 s.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pingpong.h"

enum call { SIGWAIT, SIGWAITINFO, SIGTIMEDWAIT };

struct job {
	enum call call;
	const char *name;
	sigset_t set;
	pthread_t thread;
	int ret;
	int err;
	int sig;
	siginfo_t info;
	uint64_t elapsed;
};

static atomic_bool entered, returned;

static void *blocker(void *arg)
{
	struct job *j = arg;
	struct timespec timeout = { 0, 100 * MS };
	uint64_t t0;

	atomic_store(&entered, true);
	t0 = now_ns();
	switch (j->call) {
	case SIGWAIT:
		j->ret = sigwait(&j->set, &j->sig);
		break;
	case SIGWAITINFO:
		j->ret = sigwaitinfo(&j->set, &j->info);
		break;
	case SIGTIMEDWAIT:
		j->ret = sigtimedwait(&j->set, &j->info, &timeout);
		break;
	}
	j->err = errno;
	j->elapsed = now_ns() - t0;
	atomic_store(&returned, true);
	return NULL;
}

static void start(struct job *j, enum call call, const char *name, int sig1,
		  int sig2)
{
	struct timespec ts = { 0, 50 * MS };

	memset(j, 0, sizeof(*j));
	j->call = call;
	j->name = name;
	CHECK(sigemptyset(&j->set) == 0 && sigaddset(&j->set, sig1) == 0,
	      "sigset");
	if (sig2)
		CHECK(sigaddset(&j->set, sig2) == 0, "sigaddset");
	atomic_store(&entered, false);
	atomic_store(&returned, false);
	CHECK(pthread_create(&j->thread, NULL, blocker, j) == 0,
	      "%s: create blocker", name);
	CHECK(wait_until(atomic_load(&entered), 20), "%s: blocker never ran",
	      name);
	CHECK(nanosleep(&ts, NULL) == 0, "nanosleep: %s", strerror(errno));
}

/* The others progress while the blocker stays blocked. */
static void progress(struct job *j)
{
	pingpong_run(j->name);
	CHECK(!atomic_load(&returned), "%s returned %d before the signal",
	      j->name, j->ret);
}

static void finish(struct job *j)
{
	sigset_t pending;

	CHECK(pthread_join(j->thread, NULL) == 0, "%s: join", j->name);
	CHECK(atomic_load(&returned), "%s: blocker did not return", j->name);
	CHECK(sigpending(&pending) == 0, "sigpending: %s", strerror(errno));
	CHECK(!sigismember(&pending, SIGUSR1) &&
		      !sigismember(&pending, SIGUSR2),
	      "%s: a signal is left pending", j->name);
}

int main(void)
{
	struct job j;
	sigset_t set;
	int err;

	watchdog(30);
	CHECK(sigemptyset(&set) == 0 && sigaddset(&set, SIGUSR1) == 0 &&
		      sigaddset(&set, SIGUSR2) == 0,
	      "sigset");
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0, "pthread_sigmask");

	start(&j, SIGWAIT, "sigwait()", SIGUSR1, 0);
	progress(&j);
	err = pthread_kill(j.thread, SIGUSR1);
	CHECK(err == 0, "pthread_kill: %s", strerror(err));
	finish(&j);
	CHECK(j.ret == 0, "sigwait returned %d", j.ret);
	CHECK(j.sig == SIGUSR1, "sigwait got signal %d, want %d", j.sig,
	      SIGUSR1);

	start(&j, SIGWAITINFO, "sigwaitinfo()", SIGUSR2, 0);
	progress(&j);
	CHECK(kill(getpid(), SIGUSR2) == 0, "kill: %s", strerror(errno));
	finish(&j);
	CHECK(j.ret == SIGUSR2, "sigwaitinfo returned %d (%s), want %d", j.ret,
	      j.ret < 0 ? strerror(j.err) : "", SIGUSR2);
	CHECK(j.info.si_signo == SIGUSR2, "si_signo %d, want %d",
	      j.info.si_signo, SIGUSR2);
	CHECK(j.info.si_code == SI_USER, "si_code %d, want SI_USER",
	      j.info.si_code);
	CHECK(j.info.si_pid == getpid(), "si_pid %d, want %d",
	      (int)j.info.si_pid, (int)getpid());

	start(&j, SIGTIMEDWAIT, "sigtimedwait()", SIGUSR1, SIGUSR2);
	finish(&j);
	CHECK(j.ret == -1 && j.err == EAGAIN,
	      "sigtimedwait returned %d (%s), want -1 (EAGAIN)", j.ret,
	      strerror(j.err));
	CHECK(j.elapsed >= 100 * MS, "sigtimedwait returned after %llu us",
	      (unsigned long long)(j.elapsed / 1000));
	return 0;
}
