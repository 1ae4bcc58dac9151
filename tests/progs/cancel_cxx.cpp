/*
 * Proves that cancellation unwinds C++ frames as glibc's forced unwinding
 * does:
 * - a thread blocked (sem_wait, nanosleep, std::this_thread::sleep_for,
 *   read of an empty pipe, pthread_cond_wait) three frames deep is
 *   cancelled: the destructors of its locals, a
 *   catch (abi::__forced_unwind &) that rethrows, a catch (...) that
 *   rethrows and a handler pushed with pthread_cleanup_push run innermost
 *   first, each once ("dFcRbha"); then its thread_local object is
 *   destroyed; the join gives PTHREAD_CANCELED. A destructor of the
 *   condvar wait's frame finds the mutex held again and unlocks it;
 * - a catch (...) that does not rethrow cannot end the cancellation: the
 *   process aborts (in a child, which must die of SIGABRT);
 * - a pthread_once routine cancelled while it waits leaves the once
 *   control to be run again: a thread waiting in pthread_once meanwhile
 *   runs the routine itself, and later calls do not; the same when the
 *   routine throws an exception (the caller catches it).
 * Every wait is bounded (10 s per join; 60 s watchdog).
 */
#include <atomic>
#include <chrono>
#include <cxxabi.h>
#include <stdexcept>
#include <thread>

#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>

#include "check.h"

static void *const RETURNED = (void *)1;
static const long JOIN_MS = 10000;

static sem_t never, about_to_block;
static pthread_mutex_t mu = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int empty_pipe[2];

/* What the unwinding ran, in order: one letter each. */
static char trail[32];
static std::atomic<int> trail_len;

static void note(char c)
{
	int i = trail_len++;

	if (i < (int)sizeof(trail) - 1)
		trail[i] = c;
}

static void reset_trail()
{
	memset(trail, 0, sizeof(trail));
	trail_len = 0;
}

struct noted {
	char tag;
	~noted()
	{
		note(tag);
	}
};

/* Destroyed when the thread exits, after the unwinding. */
static std::atomic<int> tls_destroyed;
struct per_thread {
	bool used = false;
	~per_thread()
	{
		tls_destroyed++;
	}
};
static thread_local per_thread tls;

static void block_sem_wait()
{
	sem_wait(&never);
}

static void block_nanosleep()
{
	struct timespec ts = { 60, 0 };

	nanosleep(&ts, NULL);
}

static void block_sleep_for()
{
	std::this_thread::sleep_for(std::chrono::seconds(60));
}

static void block_read()
{
	char c;

	(void)!read(empty_pipe[0], &c, 1);
}

static std::atomic<int> unlocked_owned;

/* Unlocks the mutex on the way out: it must be ours again. */
struct unlocker {
	~unlocker()
	{
		unlocked_owned += pthread_mutex_unlock(&mu) == 0;
	}
};

static void block_cond_wait()
{
	CHECK(pthread_mutex_lock(&mu) == 0, "lock");
	unlocker u;

	while (pthread_cond_wait(&cv, &mu) == 0)
		;
}

static void (*block)();

static void innermost()
{
	noted c{ 'c' };

	try {
		noted d{ 'd' };

		CHECK(sem_post(&about_to_block) == 0, "sem_post");
		block();
	} catch (abi::__forced_unwind &) {
		note('F');
		throw;
	}
}

static void middle()
{
	noted b{ 'b' };

	try {
		innermost();
	} catch (...) {
		note('R');
		throw;
	}
}

static void on_cleanup(void *)
{
	note('h');
}

static void *nested(void *)
{
	noted a{ 'a' };

	tls.used = true;
	pthread_cleanup_push(on_cleanup, NULL);
	middle();
	pthread_cleanup_pop(0);
	return RETURNED;
}

static void *join(pthread_t t, const char *what)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, JOIN_MS);
	void *res;
	int err = pthread_timedjoin_np(t, &res, &ts);

	CHECK(err == 0, "%s: not ended in %ld s (%s)", what, JOIN_MS / 1000,
	      strerror(err));
	return res;
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	CHECK(err == 0, "pthread_create: %s", strerror(err));
	return t;
}

static void nap_50ms()
{
	struct timespec ts = { 0, 50 * (long)MS };

	nanosleep(&ts, NULL);
}

static void cancel(pthread_t t, const char *what)
{
	int err = pthread_cancel(t);

	CHECK(err == 0, "%s: pthread_cancel: %s", what, strerror(err));
}

static void test_unwinding(const char *what, void (*how)())
{
	pthread_t t;

	reset_trail();
	tls_destroyed = 0;
	unlocked_owned = 0;
	block = how;
	t = start(nested, NULL);
	sem_wait20(&about_to_block, what);
	nap_50ms();
	cancel(t, what);
	CHECK(join(t, what) == PTHREAD_CANCELED, "%s: not cancelled", what);
	CHECK(strcmp(trail, "dFcRbha") == 0 && trail_len == 7,
	      "%s: unwinding ran \"%s\", not \"dFcRbha\"", what, trail);
	CHECK(tls_destroyed == 1, "%s: %d thread_local destructors ran", what,
	      tls_destroyed.load());
	if (how == block_cond_wait)
		CHECK(unlocked_owned == 1,
		      "%s: the mutex was not held on the way out", what);
}

static void *swallow(void *)
{
	try {
		CHECK(sem_post(&about_to_block) == 0, "sem_post");
		block_sem_wait();
	} catch (...) {
		note('S');
	}
	return RETURNED;
}

static void test_swallow()
{
	const char *what = "catch (...) without rethrow";
	struct rlimit no_core = { 0, 0 };
	pid_t pid;
	int st;

	printf("a child aborts on purpose (glibc says \"FATAL: exception "
	       "not rethrown\")\n");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		watchdog(20);
		setrlimit(RLIMIT_CORE, &no_core);
		pthread_t t = start(swallow, NULL);
		sem_wait20(&about_to_block, what);
		nap_50ms();
		cancel(t, what);
		join(t, what);
		_exit(3); /* not reached: the process aborts */
	}
	st = child_status(pid, what);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	      "%s: the child ended with status %#x, not by SIGABRT", what, st);
}

static pthread_once_t once_control;
static std::atomic<int> once_runs;
static bool once_throws;

/* The first run waits (and is cancelled) or throws; later ones return. */
static void once_routine()
{
	if (once_runs++ > 0)
		return;
	if (once_throws)
		throw std::runtime_error("first run");
	CHECK(sem_post(&about_to_block) == 0, "sem_post");
	block_sem_wait();
}

static void *call_once(void *)
{
	CHECK(pthread_once(&once_control, once_routine) == 0, "pthread_once");
	return RETURNED;
}

static void test_once_cancelled()
{
	const char *what = "pthread_once cancelled";
	pthread_t runner, waiter;

	once_control = PTHREAD_ONCE_INIT;
	once_runs = 0;
	once_throws = false;
	runner = start(call_once, NULL);
	sem_wait20(&about_to_block, what);
	waiter = start(call_once, NULL);
	nap_50ms();
	CHECK(once_runs == 1, "%s: the waiter ran the routine too", what);
	cancel(runner, what);
	CHECK(join(runner, what) == PTHREAD_CANCELED, "%s: not cancelled",
	      what);
	CHECK(join(waiter, what) == RETURNED, "%s: waiter", what);
	CHECK(once_runs == 2, "%s: the routine ran %d times, not 2", what,
	      once_runs.load());
	call_once(NULL);
	CHECK(once_runs == 2, "%s: a later call ran the routine", what);
}

static void test_once_throws()
{
	const char *what = "pthread_once throwing";
	bool caught = false;

	once_control = PTHREAD_ONCE_INIT;
	once_runs = 0;
	once_throws = true;
	try {
		call_once(NULL);
	} catch (std::runtime_error &) {
		caught = true;
	}
	CHECK(caught, "%s: the exception did not reach the caller", what);
	call_once(NULL);
	call_once(NULL);
	CHECK(once_runs == 2, "%s: the routine ran %d times, not 2", what,
	      once_runs.load());
}

int main()
{
	static const struct {
		const char *what;
		void (*how)();
	} waits[] = {
		{ "sem_wait", block_sem_wait },
		{ "nanosleep", block_nanosleep },
		{ "sleep_for", block_sleep_for },
		{ "read", block_read },
		{ "pthread_cond_wait", block_cond_wait },
	};

	watchdog(60);
	CHECK(sem_init(&never, 0, 0) == 0 &&
		      sem_init(&about_to_block, 0, 0) == 0,
	      "sem_init");
	CHECK(pipe(empty_pipe) == 0, "pipe: %s", strerror(errno));
	for (const auto &w : waits)
		test_unwinding(w.what, w.how);
	test_swallow();
	test_once_cancelled();
	test_once_throws();
	return 0;
}
