/*
 * Proves that a signal ends or resumes a thread's blocking wait as on
 * Linux. A thread parked in sem_timedwait or sem_clockwait is sent SIGURG,
 * which it ignores and which ends nothing, then SIGUSR1 (pthread_kill):
 * the handler runs once and the call fails with EINTR, with or without
 * SA_RESTART, and the semaphore keeps its count; so does
 * sem_wait for a handler without SA_RESTART, and with it, it waits on
 * (glibc's sem_wait is a futex wait with no timeout, which the kernel
 * restarts; a timed one it never restarts). A thread parked in a mutex
 * lock (plain and timed), a rwlock read or write lock, a barrier, a join,
 * a pthread_once or a condvar wait (plain and timed) is sent the same:
 * the handler runs once while the thread waits, the thread goes on
 * waiting (a condvar wait does not return for it: glibc's tst-eintr5)
 * and completes correctly when released. As glibc's tst-sem6: SIGALRM
 * from alarm() ends the initial thread's sem_wait with EINTR (with
 * SA_RESTART, the handler runs and sem_wait waits on for its post). Last,
 * as glibc's tst-kill1: a signal whose default action ends the process,
 * sent to a thread parked in a mutex lock, ends the process by that
 * signal.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define KILL_TRIES 5

static atomic_int handled; /* SIGUSR1 and SIGALRM handlers run */
static atomic_bool ready;  /* the waiter is about to wait */
static atomic_bool done;   /* the waiter's call returned for good */
static int result, result_errno, spurious;

static sem_t sem;
static pthread_mutex_t mx;
static pthread_rwlock_t rw;
static pthread_barrier_t bar;
static pthread_cond_t cv;
static bool cond_flag;
static sem_t helper_go;
static pthread_t helper;
static pthread_once_t once_ctl;
static atomic_bool once_running;
static atomic_int once_runs;
static int waiter_barrier;

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void set_handler(int sig, bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
}

static void finish(int r, int err)
{
	result = r;
	result_errno = err;
	atomic_store(&done, true);
}

static struct timespec later(clockid_t clk)
{
	return deadline_in(clk, 30000);
}

/* Semaphores: fail with EINTR. */

static void sem_setup(void)
{
	CHECK(sem_init(&sem, 0, 0) == 0, "sem_init");
}

static void sem_release(void)
{
	sem_post(&sem);
}

static void *w_sem_wait(void *arg)
{
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = sem_wait(&sem);
	finish(r, errno);
	return NULL;
}

static void *w_sem_timedwait(void *arg)
{
	struct timespec ts = later(CLOCK_REALTIME);
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = sem_timedwait(&sem, &ts);
	finish(r, errno);
	return NULL;
}

#ifdef __GLIBC__ /* musl has no sem_clockwait() */
static void *w_sem_clockwait(void *arg)
{
	struct timespec ts = later(CLOCK_MONOTONIC);
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = sem_clockwait(&sem, CLOCK_MONOTONIC, &ts);
	finish(r, errno);
	return NULL;
}
#endif

/* Mutexes: wait again after the handler. */

static void mutex_setup(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	CHECK(pthread_mutex_init(&mx, &a) == 0, "mutex_init");
	pthread_mutexattr_destroy(&a);
	CHECK(pthread_mutex_lock(&mx) == 0, "mutex_lock");
}

static void mutex_release(void)
{
	CHECK(pthread_mutex_unlock(&mx) == 0, "mutex_unlock");
}

static void *w_mutex_lock(void *arg)
{
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = pthread_mutex_lock(&mx);
	/* Ours: an error-checking mutex says so by unlocking. */
	if (r == 0)
		r = pthread_mutex_unlock(&mx);
	finish(r, 0);
	return NULL;
}

static void *w_mutex_timedlock(void *arg)
{
	struct timespec ts = later(CLOCK_REALTIME);
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = pthread_mutex_timedlock(&mx, &ts);
	if (r == 0)
		r = pthread_mutex_unlock(&mx);
	finish(r, 0);
	return NULL;
}

/* Rwlocks: wait again after the handler. */

static void rw_setup_write(void)
{
	CHECK(pthread_rwlock_init(&rw, NULL) == 0, "rwlock_init");
	CHECK(pthread_rwlock_wrlock(&rw) == 0, "wrlock");
}

static void rw_setup_read(void)
{
	CHECK(pthread_rwlock_init(&rw, NULL) == 0, "rwlock_init");
	CHECK(pthread_rwlock_rdlock(&rw) == 0, "rdlock");
}

static void rw_release(void)
{
	CHECK(pthread_rwlock_unlock(&rw) == 0, "rwlock_unlock");
}

static void *w_rdlock(void *arg)
{
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = pthread_rwlock_rdlock(&rw);
	if (r == 0)
		r = pthread_rwlock_unlock(&rw);
	finish(r, 0);
	return NULL;
}

static void *w_wrlock(void *arg)
{
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = pthread_rwlock_wrlock(&rw);
	if (r == 0)
		r = pthread_rwlock_unlock(&rw);
	finish(r, 0);
	return NULL;
}

/* A barrier: wait again after the handler. */

static void barrier_setup(void)
{
	CHECK(pthread_barrier_init(&bar, NULL, 2) == 0, "barrier_init");
}

static void barrier_release(void)
{
	int r = pthread_barrier_wait(&bar);

	CHECK(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD, "barrier_wait: %d",
	      r);
	CHECK(wait_until(atomic_load(&done), 10), "barrier: waiter");
	/* Exactly one of the two is the serial thread. */
	CHECK((r == PTHREAD_BARRIER_SERIAL_THREAD) !=
		      (waiter_barrier == PTHREAD_BARRIER_SERIAL_THREAD),
	      "barrier: %d and %d", r, waiter_barrier);
}

static void *w_barrier(void *arg)
{
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = waiter_barrier = pthread_barrier_wait(&bar);
	finish(r == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : r, 0);
	return NULL;
}

/* A join: wait again after the handler, then get the thread's value. */

static void *joined(void *arg)
{
	(void)arg;
	while (sem_wait(&helper_go) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	return (void *)(intptr_t)42;
}

static void join_setup(void)
{
	CHECK(sem_init(&helper_go, 0, 0) == 0, "sem_init");
	CHECK(pthread_create(&helper, NULL, joined, NULL) == 0, "create");
}

static void join_release(void)
{
	sem_post(&helper_go);
}

static void *w_join(void *arg)
{
	void *v = NULL;
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = pthread_join(helper, &v);
	if (r == 0 && v != (void *)(intptr_t)42)
		r = -1;
	finish(r, 0);
	return NULL;
}

/* pthread_once while another thread runs the routine: wait again. */

static void once_routine(void)
{
	atomic_store(&once_running, true);
	while (sem_wait(&helper_go) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	atomic_fetch_add(&once_runs, 1);
}

static void *once_runner(void *arg)
{
	(void)arg;
	CHECK(pthread_once(&once_ctl, once_routine) == 0, "pthread_once");
	return NULL;
}

static void once_setup(void)
{
	static const pthread_once_t fresh = PTHREAD_ONCE_INIT;

	once_ctl = fresh;
	atomic_store(&once_running, false);
	atomic_store(&once_runs, 0);
	CHECK(sem_init(&helper_go, 0, 0) == 0, "sem_init");
	CHECK(pthread_create(&helper, NULL, once_runner, NULL) == 0, "create");
	CHECK(wait_until(atomic_load(&once_running), 10), "once routine");
}

static void once_release(void)
{
	sem_post(&helper_go);
	CHECK(pthread_join(helper, NULL) == 0, "join");
}

static void *w_once(void *arg)
{
	int r;

	(void)arg;
	atomic_store(&ready, true);
	r = pthread_once(&once_ctl, once_routine);
	/* The routine has run, once, by the time pthread_once returns. */
	if (r == 0 && atomic_load(&once_runs) != 1)
		r = -1;
	finish(r, 0);
	return NULL;
}

/* Condvars: glibc's waits on after a handler, with no spurious return. */

static void cond_setup(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	CHECK(pthread_mutex_init(&mx, &a) == 0, "mutex_init");
	pthread_mutexattr_destroy(&a);
	CHECK(pthread_cond_init(&cv, NULL) == 0, "cond_init");
	cond_flag = false;
	spurious = 0;
}

static void cond_release(void)
{
	CHECK(pthread_mutex_lock(&mx) == 0, "mutex_lock");
	cond_flag = true;
	CHECK(pthread_cond_signal(&cv) == 0, "cond_signal");
	CHECK(pthread_mutex_unlock(&mx) == 0, "mutex_unlock");
}

static void *cond_waiter(bool timed)
{
	struct timespec ts = later(CLOCK_REALTIME);
	int r = pthread_mutex_lock(&mx);

	atomic_store(&ready, true);
	while (r == 0 && !cond_flag) {
		r = timed ? pthread_cond_timedwait(&cv, &mx, &ts)
			  : pthread_cond_wait(&cv, &mx);
		if (r == 0 && !cond_flag)
			spurious++;
	}
	if (spurious)
		r = -2;
	/* The mutex is ours again on return. */
	if (r == 0)
		r = pthread_mutex_unlock(&mx);
	finish(r, 0);
	return NULL;
}

static void *w_cond_wait(void *arg)
{
	(void)arg;
	return cond_waiter(false);
}

static void *w_cond_timedwait(void *arg)
{
	(void)arg;
	return cond_waiter(true);
}

enum { NEVER, NORESTART, ALWAYS }; /* NORESTART: unless SA_RESTART */

struct wcase {
	const char *name;
	void (*setup)(void);
	void *(*wait)(void *);
	void (*release)(void);
	int eintr; /* when the call fails with EINTR; else it waits again */
};

static const struct wcase cases[] = {
	{ "sem_wait", sem_setup, w_sem_wait, sem_release, NORESTART },
	{ "sem_timedwait", sem_setup, w_sem_timedwait, sem_release, ALWAYS },
#ifdef __GLIBC__
	{ "sem_clockwait", sem_setup, w_sem_clockwait, sem_release, ALWAYS },
#endif
	{ "mutex_lock", mutex_setup, w_mutex_lock, mutex_release, NEVER },
	{ "mutex_timedlock", mutex_setup, w_mutex_timedlock, mutex_release,
	  NEVER },
	{ "rwlock_rdlock", rw_setup_write, w_rdlock, rw_release, NEVER },
	{ "rwlock_wrlock", rw_setup_read, w_wrlock, rw_release, NEVER },
	{ "barrier_wait", barrier_setup, w_barrier, barrier_release, NEVER },
	{ "join", join_setup, w_join, join_release, NEVER },
	{ "once", once_setup, w_once, once_release, NEVER },
	{ "cond_wait", cond_setup, w_cond_wait, cond_release, NEVER },
	{ "cond_timedwait", cond_setup, w_cond_timedwait, cond_release, NEVER },
};

static void run_case(const struct wcase *c, bool restart)
{
	const char *how = restart ? "SA_RESTART" : "no SA_RESTART";
	pthread_t t;
	int kills = 0, v = -1;
	bool ran;

	atomic_store(&ready, false);
	atomic_store(&done, false);
	atomic_store(&handled, 0);
	c->setup();
	CHECK(pthread_create(&t, NULL, c->wait, NULL) == 0, "create");
	CHECK(wait_until(atomic_load(&ready), 10), "%s: waiter", c->name);
	usleep(50000); /* let it block */
	/* Ignored (its default), it lets the wait go on, and the next ends. */
	CHECK(pthread_kill(t, SIGURG) == 0, "pthread_kill");
	if (c->eintr == ALWAYS || (c->eintr == NORESTART && !restart)) {
		/* A signal that came before the wait began cannot end it. */
		do {
			CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
			kills++;
		} while (!wait_until(atomic_load(&done), 2) &&
			 kills < KILL_TRIES);
		if (!atomic_load(&done))
			c->release(); /* do not hang: fail below */
		CHECK(pthread_join(t, NULL) == 0, "join");
		CHECK(result == -1 && result_errno == EINTR,
		      "%s (%s): returned %d (%s) after %d signals, not EINTR",
		      c->name, how, result, strerror(result_errno), kills);
		/* The count is untouched, and a post is not lost. */
		CHECK(sem_getvalue(&sem, &v) == 0 && v == 0, "%s: value %d",
		      c->name, v);
		c->release();
		CHECK(sem_getvalue(&sem, &v) == 0 && v == 1, "%s: value %d",
		      c->name, v);
		CHECK(sem_trywait(&sem) == 0, "%s: trywait", c->name);
	} else {
		CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
		kills = 1;
		ran = wait_until(atomic_load(&handled) == kills, 5);
		if (!ran) {
			c->release(); /* do not hang: fail below */
			pthread_join(t, NULL);
		}
		CHECK(ran,
		      "%s (%s): the handler did not run while the thread "
		      "waited",
		      c->name, how);
		usleep(50000);
		CHECK(!atomic_load(&done), "%s (%s): the wait ended (%d)",
		      c->name, how, result);
		c->release();
		CHECK(pthread_join(t, NULL) == 0, "join");
		CHECK(atomic_load(&done) && result == 0,
		      "%s (%s): completed with %d (%d spurious returns)",
		      c->name, how, result, spurious);
	}
	usleep(20000); /* a second run of the handler would show now */
	CHECK(atomic_load(&handled) == kills,
	      "%s (%s): the handler ran %d times for %d signals", c->name, how,
	      atomic_load(&handled), kills);
}

/*
 * The alarm case's poster: with SA_RESTART, once the handler has run;
 * without, only if sem_wait is not ended in 10 s (a safety net).
 */
static sem_t backstop_stop;
static atomic_bool backstop_late; /* posted with no handler run */

static void *backstop(void *arg)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, 10000);
	sigset_t alrm;

	/* SIGALRM is the initial thread's to take, as in tst-sem6. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	if (arg) {
		if (!wait_until(atomic_load(&handled) == 1, 10))
			atomic_store(&backstop_late, true);
		usleep(100000); /* sem_wait waits on meanwhile */
		sem_post(&sem);
		return NULL;
	}
	while (sem_timedwait(&backstop_stop, &ts) != 0) {
		if (errno == ETIMEDOUT) {
			sem_post(&sem);
			break;
		}
		CHECK(errno == EINTR, "sem_timedwait: %s", strerror(errno));
	}
	return NULL;
}

static void alarm_case(bool restart)
{
	const char *how = restart ? "SA_RESTART" : "no SA_RESTART";
	pthread_t t;
	int r, err;

	CHECK(sem_init(&sem, 0, 0) == 0, "sem_init");
	CHECK(sem_init(&backstop_stop, 0, 0) == 0, "sem_init");
	atomic_store(&handled, 0);
	set_handler(SIGALRM, restart);
	CHECK(pthread_create(&t, NULL, backstop, restart ? &t : NULL) == 0,
	      "create");
	alarm(1);
	r = sem_wait(&sem);
	err = errno;
	sem_post(&backstop_stop);
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(!atomic_load(&backstop_late),
	      "alarm during sem_wait (%s): no handler in 10 s", how);
	if (restart)
		CHECK(r == 0, "alarm during sem_wait (%s): returned %d (%s)",
		      how, r, strerror(err));
	else
		CHECK(r == -1 && err == EINTR,
		      "alarm during sem_wait (%s): returned %d (%s), not EINTR",
		      how, r, strerror(err));
	CHECK(atomic_load(&handled) == 1,
	      "alarm (%s): the handler ran %d times", how,
	      atomic_load(&handled));
}

static void *parked_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mx);
	_exit(3); /* the lock is never released */
}

static void default_action_case(void)
{
	pid_t pid = fork();
	pthread_t t;
	int st;

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		signal(SIGUSR2, SIG_DFL);
		pthread_mutex_init(&mx, NULL);
		pthread_mutex_lock(&mx);
		if (pthread_create(&t, NULL, parked_forever, NULL) != 0)
			_exit(4);
		usleep(50000); /* let it block */
		pthread_kill(t, SIGUSR2);
		sleep(10);
		_exit(0);
	}
	st = child_status(pid, "SIGUSR2 to a thread in a mutex lock");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR2,
	      "SIGUSR2 to a thread in a mutex lock: the child ended with "
	      "status %#x",
	      st);
}

/* The test's own limit: alarm() is the test's subject, not a watchdog. */
static void *watchdog_thread(void *arg)
{
	static const char msg[] = "FAIL: timeout\n";
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	sleep(100);
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	pthread_t wd;
	size_t i;
	int k;

	CHECK(pthread_create(&wd, NULL, watchdog_thread, NULL) == 0, "create");
	for (k = 0; k < 2; k++) {
		set_handler(SIGUSR1, k == 1);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(&cases[i], k == 1);
	}
	alarm_case(false);
	alarm_case(true);
	default_action_case();
	printf("eintr_waits: ok\n");
	return 0;
}
