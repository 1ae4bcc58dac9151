/*
 * Proves that pthread_create() gives a thread the scheduling its
 * attribute asks for, or its creator's, as glibc does: PTHREAD_EXPLICIT_SCHED
 * with a policy and priority that go together starts the thread with
 * them (its kernel thread's policy, seen from inside; SCHED_FIFO if the
 * process may have it), one that does not fails with EINVAL, an affinity attribute starts it on that CPU and one
 * naming only CPUs that do not exist fails with EINVAL; a thread made
 * without attributes inherits its creator's policy and CPUs; a pinned
 * thread may fork, and its child runs pinned, makes threads and exits;
 * a pinned thread waiting in sem_wait() is interrupted by a signal
 * (EINTR) and one waiting on a condition variable is cancelled; and
 * pinned threads that come and go leave no kernel threads behind.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "check.h"

struct seen {
	int policy, kpolicy, cpu;
	cpu_set_t set;
};

static void look(struct seen *s)
{
	struct sched_param sp;

	CHECK(pthread_getschedparam(pthread_self(), &s->policy, &sp) == 0,
	      "getschedparam");
	s->kpolicy = (int)syscall(SYS_sched_getscheduler, 0);
	s->cpu = sched_getcpu();
	CHECK(pthread_getaffinity_np(pthread_self(), sizeof(s->set), &s->set) ==
		      0,
	      "getaffinity");
}

static void *looker(void *arg)
{
	look(arg);
	return NULL;
}

/* Makes a thread without attributes: what does it inherit? */
static void *creator(void *arg)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, looker, arg) == 0, "create inner");
	CHECK(pthread_join(t, NULL) == 0, "join inner");
	return NULL;
}

static bool explicit_other;

/* Takes SCHED_BATCH, then makes a thread, explicit_other or inheriting. */
static void *batch_creator(void *arg)
{
	struct sched_param sp = { 0 };
	pthread_attr_t attr;
	pthread_t t;

	CHECK(pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp) == 0,
	      "BATCH");
	pthread_attr_init(&attr);
	if (explicit_other) {
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
		pthread_attr_setschedparam(&attr, &sp);
	}
	CHECK(pthread_create(&t, &attr, looker, arg) == 0, "create inner");
	CHECK(pthread_join(t, NULL) == 0, "join inner");
	pthread_attr_destroy(&attr);
	return NULL;
}

static void *forker(void *arg)
{
	int cpu = *(int *)arg;
	pthread_t t;
	struct seen s;
	pid_t pid;

	pid = fork();
	CHECK(pid >= 0, "fork: %m");
	if (pid == 0) {
		CHECK(sched_getcpu() == cpu, "child on %d", sched_getcpu());
		CHECK(pthread_create(&t, NULL, looker, &s) == 0, "create");
		CHECK(pthread_join(t, NULL) == 0, "join");
		CHECK(s.cpu == cpu && CPU_COUNT(&s.set) == 1,
		      "child's thread on %d", s.cpu);
		_exit(0);
	}
	CHECK(reap(pid, "pinned fork child") == 0, "child failed");
	return NULL;
}

static sem_t never;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int handled, waiting;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void *sem_waiter(void *arg)
{
	int r;

	atomic_store(&waiting, 1);
	r = sem_wait(&never);
	*(int *)arg = r == -1 ? errno : 0;
	return NULL;
}

static void unlock_mu(void *arg)
{
	pthread_mutex_unlock(arg);
}

static void *cond_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	pthread_cleanup_push(unlock_mu, &mu);
	atomic_store(&waiting, 1);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	pthread_cleanup_pop(1);
	return arg;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	struct sched_param sp = { 0 };
	pthread_attr_t attr;
	cpu_set_t all, one;
	struct seen s;
	pthread_t t;
	int cpu = -1, tasks, rc;

	watchdog(60);
	if (sched_getscheduler(0) != SCHED_OTHER)
		SKIP("not running under SCHED_OTHER");

	/* Explicit scheduling, where the process may have it. */
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	sp.sched_priority = 1;
	pthread_attr_setschedparam(&attr, &sp);
	rc = pthread_create(&t, &attr, looker, &s);
	CHECK(rc == 0 || rc == EPERM, "FIFO: %d", rc);
	if (rc == 0) {
		CHECK(pthread_join(t, NULL) == 0, "join");
		CHECK(s.policy == SCHED_FIFO && s.kpolicy == SCHED_FIFO,
		      "started with %d (kernel %d)", s.policy, s.kpolicy);
	}
	/* Valid for SCHED_FIFO, not for SCHED_OTHER (tst-bad-schedattr). */
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	CHECK(pthread_create(&t, &attr, looker, &s) == EINVAL,
	      "OTHER with priority 1");
	pthread_attr_destroy(&attr);

	/* A creator that is not the default: inherited, or not if explicit. */
	explicit_other = false;
	CHECK(pthread_create(&t, NULL, batch_creator, &s) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join creator");
	CHECK(s.policy == SCHED_BATCH && s.kpolicy == SCHED_BATCH,
	      "inherited %d (kernel %d)", s.policy, s.kpolicy);
	explicit_other = true;
	CHECK(pthread_create(&t, NULL, batch_creator, &s) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join creator");
	CHECK(s.policy == SCHED_OTHER && s.kpolicy == SCHED_OTHER,
	      "explicit: %d (kernel %d)", s.policy, s.kpolicy);

	/* Affinity. */
	CHECK(sched_getaffinity(0, sizeof(all), &all) == 0, "getaffinity");
	for (int c = CPU_SETSIZE - 1; c >= 0 && cpu < 0; c--)
		if (CPU_ISSET(c, &all))
			cpu = c;
	pthread_attr_init(&attr);
	CPU_ZERO(&one);
	CPU_SET(CPU_SETSIZE - 1, &one);
	CHECK(pthread_attr_setaffinity_np(&attr, sizeof(one), &one) == 0,
	      "attr");
	CHECK(pthread_create(&t, &attr, looker, &s) == EINVAL,
	      "a CPU that does not exist");
	if (CPU_COUNT(&all) < 2)
		SKIP("needs two CPUs for the rest");
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	CHECK(pthread_attr_setaffinity_np(&attr, sizeof(one), &one) == 0,
	      "attr");
	CHECK(pthread_create(&t, &attr, looker, &s) == 0, "create pinned");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(s.cpu == cpu && CPU_EQUAL(&s.set, &one), "started on %d", s.cpu);
	CHECK(pthread_create(&t, &attr, creator, &s) == 0, "create creator");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(s.cpu == cpu && CPU_EQUAL(&s.set, &one), "inherited: on %d",
	      s.cpu);
	CHECK(pthread_create(&t, &attr, forker, &cpu) == 0, "create forker");
	CHECK(pthread_join(t, NULL) == 0, "join forker");

	/* Waits of a pinned thread end for a signal and a cancellation. */
	struct sigaction sa = { .sa_handler = on_usr1 };
	void *res;
	int err = -1;

	sigaction(SIGUSR1, &sa, NULL);
	sem_init(&never, 0, 0);
	atomic_store(&waiting, 0);
	CHECK(pthread_create(&t, &attr, sem_waiter, &err) == 0, "create");
	CHECK(wait_until(atomic_load(&waiting), 10), "sem waiter");
	usleep(50000);
	CHECK(pthread_kill(t, SIGUSR1) == 0, "kill");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(err == EINTR && atomic_load(&handled) == 1,
	      "sem_wait: %d, %d handled", err, atomic_load(&handled));
	atomic_store(&waiting, 0);
	CHECK(pthread_create(&t, &attr, cond_waiter, NULL) == 0, "create");
	CHECK(wait_until(atomic_load(&waiting), 10), "cond waiter");
	usleep(50000);
	CHECK(pthread_cancel(t) == 0, "cancel");
	CHECK(pthread_join(t, &res) == 0 && res == PTHREAD_CANCELED,
	      "cancelled");
	CHECK(pthread_mutex_trylock(&mu) == 0, "mutex back");
	pthread_mutex_unlock(&mu);

	/* Pinned threads come and go; their kernel threads do not pile up. */
	tasks = count_tasks();
	for (int i = 0; i < 50; i++) {
		CHECK(pthread_create(&t, &attr, nothing, NULL) == 0, "create");
		CHECK(pthread_join(t, NULL) == 0, "join");
	}
	CHECK(count_tasks() <= tasks + 4, "%d kernel threads, %d before",
	      count_tasks(), tasks);
	pthread_attr_destroy(&attr);
	return 0;
}
