/*
 * Proves that a thread's nice value and what sched_setattr() sets are its
 * own, as Linux keeps them per thread. One thread raises its nice value
 * through setpriority(PRIO_PROCESS) of 0 and of its own id, nice() and
 * the system call through syscall(): getpriority() reads each back, the
 * kernel thread running it has it (/proc/thread-self/stat) after sleeps,
 * a thread it makes inherits it, a value out of range is clamped, and as
 * root it may lower it again. Another takes SCHED_BATCH with a nice value
 * through sched_setattr() (syscall()): sched_getscheduler(),
 * getpriority(), sched_getattr() and its kernel thread agree, after
 * sleeps too; bad requests fail as the kernel fails them (EINVAL, E2BIG)
 * and change nothing; SCHED_DEADLINE, where the kernel grants it (root,
 * bandwidth left), is the thread's until sched_setscheduler() takes it
 * back, and where it does not, the refusal changes nothing. Meanwhile the
 * other threads, which sleep and run on, keep the process's policy and
 * nice, looked at many times on whatever kernel thread they run on.
 * musl's sched_{get,set}scheduler() answer ENOSYS: there, their system
 * calls.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "check.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

/* The kernel's struct sched_attr, first version. */
struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
};

#define LOOKERS	   8
#define MAX_ROUNDS 100000

static int n0; /* the process's nice at start */
static atomic_int bad_look;
static atomic_bool stop;

static int policy_now(void)
{
#ifdef __GLIBC__
	return sched_getscheduler(0);
#else
	return (int)syscall(SYS_sched_getscheduler, 0);
#endif
}

static int set_policy(int policy, const struct sched_param *sp)
{
#ifdef __GLIBC__
	return sched_setscheduler(0, policy, sp);
#else
	return (int)syscall(SYS_sched_setscheduler, 0, policy, sp);
#endif
}

static int own_nice(void)
{
	int v;

	errno = 0;
	v = getpriority(PRIO_PROCESS, 0);
	CHECK(errno == 0, "getpriority: %s", strerror(errno));
	return v;
}

/* The library and the kernel agree that the caller has policy and nice. */
static bool is(int policy, int nice)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	return policy_now() == policy && own_nice() == nice &&
	       syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) == 0 &&
	       (int)a.policy == policy &&
	       (policy == SCHED_DEADLINE || a.nice == nice) &&
	       thread_stat(41) == policy && thread_stat(19) == nice;
}

static void *looker(void *arg)
{
	(void)arg;
	for (int i = 0; i < MAX_ROUNDS && !atomic_load(&stop); i++) {
		if (!is(SCHED_OTHER, n0))
			atomic_fetch_add(&bad_look, 1);
		if (i % 4 == 0)
			usleep(100);
		else
			sched_yield();
	}
	return NULL;
}

static void *inherit(void *arg)
{
	*(int *)arg = is(SCHED_OTHER, own_nice()) ? own_nice() : -99;
	return NULL;
}

static void *nicer(void *arg)
{
	pthread_t t;
	int seen, want = n0 + 5;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)arg;
	CHECK(setpriority(PRIO_PROCESS, 0, want) == 0, "setpriority: %s",
	      strerror(errno));
	CHECK(is(SCHED_OTHER, want), "nice %d after setting %d", own_nice(),
	      want);
	CHECK(getpriority(PRIO_PROCESS, (id_t)tid) == want,
	      "getpriority of the own id");
	for (int i = 0; i < 20; i++) {
		usleep(200);
		CHECK(is(SCHED_OTHER, want),
		      "nice %d (kernel %ld) after a sleep", own_nice(),
		      thread_stat(19));
	}
	/* nice() adds and answers the new value. */
	errno = 0;
	CHECK(nice(1) == want + 1 && errno == 0, "nice(1)");
	want++;
	CHECK(is(SCHED_OTHER, want), "after nice(1)");
	/* The system calls through syscall(): the kernel's 20 - nice. */
	CHECK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 20 - want,
	      "SYS_getpriority");
	CHECK(syscall(SYS_setpriority, PRIO_PROCESS, 0, want + 1) == 0,
	      "SYS_setpriority");
	want++;
	CHECK(is(SCHED_OTHER, want), "after SYS_setpriority");
	CHECK(pthread_create(&t, NULL, inherit, &seen) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(seen == want, "a new thread's nice: %d, not %d", seen, want);
	/* Out of range: clamped to 19, as the kernel does. */
	CHECK(setpriority(PRIO_PROCESS, 0, 40) == 0 && is(SCHED_OTHER, 19),
	      "setpriority(40) is not 19");
	/* Lowering takes CAP_SYS_NICE (or RLIMIT_NICE room). */
	if (geteuid() == 0)
		CHECK(setpriority(PRIO_PROCESS, 0, n0) == 0 &&
			      is(SCHED_OTHER, n0),
		      "back to %d as root", n0);
	return NULL;
}

static long setattr(const struct attr *a, unsigned int flags)
{
	return syscall(SYS_sched_setattr, 0, a, flags);
}

static void *changer(void *arg)
{
	int want = n0 + 4;
	struct attr a;

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = SCHED_BATCH;
	a.nice = want;
	CHECK(setattr(&a, 0) == 0, "SCHED_BATCH: %s", strerror(errno));
	for (int i = 0; i < 20; i++) {
		CHECK(is(SCHED_BATCH, want), "SCHED_BATCH, nice %d not seen",
		      want);
		usleep(200);
	}

	/* Bad requests: the thread stays as it was. */
	errno = 0;
	CHECK(setattr(&a, 1) == -1 && errno == EINVAL, "flags 1: %s",
	      strerror(errno));
	errno = 0;
	CHECK(setattr(NULL, 0) == -1 && errno == EINVAL, "NULL: %s",
	      strerror(errno));
	a.policy = 77;
	errno = 0;
	CHECK(setattr(&a, 0) == -1 && errno == EINVAL, "policy 77: %s",
	      strerror(errno));
	a.size = 8;
	errno = 0;
	CHECK(setattr(&a, 0) == -1 && errno == E2BIG, "size 8: %s",
	      strerror(errno));
	CHECK(a.size >= 48, "the kernel's size written back: %u", a.size);
	CHECK(is(SCHED_BATCH, want), "a refused request changed the thread");

	/* A deadline, if the kernel grants one. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = SCHED_DEADLINE;
	a.runtime = 2 * MS;
	a.deadline = a.period = 20 * MS;
	if (setattr(&a, 0) == 0) {
		struct sched_param sp = { 0 };

		for (int i = 0; i < 10; i++) {
			CHECK(is(SCHED_DEADLINE, want),
			      "SCHED_DEADLINE not seen (round %d)", i);
			usleep(300);
		}
		CHECK(set_policy(SCHED_OTHER, &sp) == 0,
		      "back to SCHED_OTHER: %s", strerror(errno));
		CHECK(is(SCHED_OTHER, want), "SCHED_OTHER again");
	} else {
		CHECK(errno == EPERM || errno == EBUSY || errno == EINVAL,
		      "SCHED_DEADLINE refused with %s", strerror(errno));
		CHECK(is(SCHED_BATCH, want), "a refused deadline changed it");
	}
	return NULL;
}

int main(void)
{
	pthread_t t, look[LOOKERS];
	int i, seen;

	watchdog(60);
	n0 = own_nice();
	if (policy_now() != SCHED_OTHER || n0 > 10)
		SKIP("policy %d, nice %d: no room to raise it", policy_now(),
		     n0);
	CHECK(is(SCHED_OTHER, n0), "the kernel thread's at start");
	for (i = 0; i < LOOKERS; i++)
		CHECK(pthread_create(&look[i], NULL, looker, NULL) == 0,
		      "create looker");
	CHECK(pthread_create(&t, NULL, nicer, NULL) == 0, "create nicer");
	CHECK(pthread_join(t, NULL) == 0, "join nicer");
	CHECK(pthread_create(&t, NULL, changer, NULL) == 0, "create changer");
	CHECK(pthread_join(t, NULL) == 0, "join changer");
	CHECK(is(SCHED_OTHER, n0), "main's changed");
	CHECK(pthread_create(&t, NULL, inherit, &seen) == 0 &&
		      pthread_join(t, NULL) == 0,
	      "create after");
	CHECK(seen == n0, "main's new thread's nice %d", seen);
	atomic_store(&stop, true);
	for (i = 0; i < LOOKERS; i++)
		pthread_join(look[i], NULL);
	CHECK(atomic_load(&bad_look) == 0,
	      "%d looks found another thread's policy or nice",
	      atomic_load(&bad_look));
	printf("nice and sched_setattr() are per thread\n");
	return 0;
}
