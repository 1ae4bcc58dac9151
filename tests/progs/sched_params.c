/*
 * Proves that a thread's scheduling policy, priority and CPU affinity are
 * its own, with glibc's errors: pthread_{get,set}schedparam,
 * pthread_setschedprio and pthread_{get,set}affinity_np round-trip on the
 * calling thread and on another one (parked at the time, which must run
 * with them when it wakes: its kernel-side policy and CPU are looked at
 * from inside it), a running thread pinned by another one is seen on
 * its CPU only, once it has got there, the sched_* calls on 0 and on the caller's own id agree,
 * bad policies, priorities, CPU sets and sizes give EINVAL, and a thread
 * that has ended gives ESRCH; pthread_getattr_np() shows a thread's CPUs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "check.h"

static sem_t go, done;
static int target_cpu = -1;
static int seen_policy = -1, seen_cpu = -1, bad_cpu;

/* The kernel's own view of the calling kernel thread. */
static int kernel_policy(void)
{
	return (int)syscall(SYS_sched_getscheduler, 0);
}

static void *target(void *arg)
{
	(void)arg;
	sem_wait20(&go, "go");
	seen_policy = kernel_policy();
	seen_cpu = sched_getcpu();
	for (int i = 0; i < 100000 && target_cpu >= 0; i++)
		if (sched_getcpu() != target_cpu)
			bad_cpu++;
	sem_post(&done);
	sem_wait20(&go, "go 2");
	/* Back to the defaults: the policy of the kernel thread too. */
	seen_policy = kernel_policy();
	sem_post(&done);
	return NULL;
}

static atomic_int spin_cpu = -1;
static atomic_bool spin_stop;
static atomic_long spin_on, spin_off;

/* Watches its CPU: once on spin_cpu, never elsewhere. */
static void *spinner(void *arg)
{
	while (!atomic_load(&spin_stop)) {
		int want = atomic_load(&spin_cpu), cpu = sched_getcpu();

		if (want < 0)
			continue;
		if (cpu == want)
			atomic_fetch_add(&spin_on, 1);
		else if (atomic_load(&spin_on))
			atomic_fetch_add(&spin_off, 1);
	}
	return arg;
}

/* The CPU set pthread_getattr_np() gives t. */
static bool attr_cpus(pthread_t t, cpu_set_t *set)
{
	pthread_attr_t attr;
	bool ok;

	if (pthread_getattr_np(t, &attr))
		return false;
	ok = pthread_attr_getaffinity_np(&attr, sizeof(*set), set) == 0;
	pthread_attr_destroy(&attr);
	return ok;
}

static void *quick(void *arg)
{
	return arg;
}

int main(void)
{
	struct sched_param sp;
	cpu_set_t all, one, got;
	pthread_t t;
	int policy, ncpu, last = -1;

	watchdog(60);
	if (sched_getscheduler(0) != SCHED_OTHER)
		SKIP("not running under SCHED_OTHER");

	/* Self: reads what it is, refuses what the kernel refuses. */
	CHECK(pthread_getschedparam(pthread_self(), &policy, &sp) == 0, "get");
	CHECK(policy == SCHED_OTHER && sp.sched_priority == 0, "%d %d", policy,
	      sp.sched_priority);
	sp.sched_priority = 1;
	CHECK(pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp) == EINVAL,
	      "OTHER with priority 1");
	sp.sched_priority = 0;
	CHECK(pthread_setschedparam(pthread_self(), 12345, &sp) == EINVAL,
	      "policy 12345");
	CHECK(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == EINVAL,
	      "FIFO with priority 0");
	CHECK(pthread_setschedprio(pthread_self(), 5) == EINVAL, "prio 5");
	CHECK(pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp) == 0,
	      "BATCH");
	CHECK(pthread_getschedparam(pthread_self(), &policy, &sp) == 0 &&
		      policy == SCHED_BATCH,
	      "policy %d", policy);
	CHECK(sched_getscheduler(0) == SCHED_BATCH, "sched_getscheduler(0)");
	CHECK(sched_getscheduler((pid_t)syscall(SYS_gettid)) == SCHED_BATCH,
	      "sched_getscheduler(own id)");
	CHECK(kernel_policy() == SCHED_BATCH, "kernel: %d", kernel_policy());
	CHECK(pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp) == 0,
	      "back");
	CHECK(pthread_getschedparam(pthread_self(), &policy, &sp) == 0 &&
		      policy == SCHED_OTHER,
	      "policy %d", policy);
	CHECK(kernel_policy() == SCHED_OTHER, "kernel: %d", kernel_policy());
	/* The same through the sched_* calls (glibc's pthread_ ones cache). */
	CHECK(sched_setscheduler(0, SCHED_BATCH, &sp) == 0, "sched BATCH: %m");
	CHECK(sched_getscheduler(0) == SCHED_BATCH, "sched_getscheduler");
	CHECK(kernel_policy() == SCHED_BATCH, "kernel: %d", kernel_policy());
	CHECK(sched_setscheduler(0, SCHED_OTHER, &sp) == 0, "sched back: %m");
	CHECK(sched_getscheduler(0) == SCHED_OTHER, "sched_getscheduler");
	CHECK(kernel_policy() == SCHED_OTHER, "kernel: %d", kernel_policy());
	CHECK(sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, "param");
	sp.sched_priority = 3;
	errno = 0;
	CHECK(sched_setparam(0, &sp) == -1 && errno == EINVAL, "setparam 3");

	/* Affinity of self: a round trip, and its errors. */
	CHECK(pthread_getaffinity_np(pthread_self(), sizeof(all), &all) == 0,
	      "getaffinity");
	CHECK(sched_getaffinity(0, sizeof(got), &got) == 0 &&
		      CPU_EQUAL(&got, &all),
	      "sched_getaffinity agrees");
	ncpu = CPU_COUNT(&all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			last = c;
	CHECK(pthread_getaffinity_np(pthread_self(), 4, &got) == EINVAL,
	      "size 4");
	CPU_ZERO(&one);
	CPU_SET(CPU_SETSIZE - 1, &one);
	CHECK(pthread_setaffinity_np(pthread_self(), sizeof(one), &one) ==
		      EINVAL,
	      "no CPU that exists");
	errno = 0;
	CHECK(sched_setaffinity(0, sizeof(one), &one) == -1 && errno == EINVAL,
	      "sched_setaffinity: no CPU that exists");
	if (ncpu > 1) {
		CPU_ZERO(&one);
		CPU_SET(last, &one);
		CHECK(pthread_setaffinity_np(pthread_self(), sizeof(one),
					     &one) == 0,
		      "pin self");
		CHECK(sched_getcpu() == last, "on %d, pinned to %d",
		      sched_getcpu(), last);
		CHECK(pthread_getaffinity_np(pthread_self(), sizeof(got),
					     &got) == 0 &&
			      CPU_EQUAL(&got, &one),
		      "pinned set");
		CHECK(attr_cpus(pthread_self(), &got) && CPU_EQUAL(&got, &one),
		      "pinned: the attribute's set");
		CHECK(pthread_setaffinity_np(pthread_self(), sizeof(all),
					     &all) == 0,
		      "unpin self");
	}

	/* Another thread, parked meanwhile: it wakes with its new ones. */
	sem_init(&go, 0, 0);
	sem_init(&done, 0, 0);
	CHECK(pthread_create(&t, NULL, target, NULL) == 0, "create");
	sp.sched_priority = 0;
	CHECK(pthread_setschedparam(t, SCHED_BATCH, &sp) == 0, "other BATCH");
	CHECK(pthread_getschedparam(t, &policy, &sp) == 0 &&
		      policy == SCHED_BATCH,
	      "other policy %d", policy);
	sp.sched_priority = 7;
	CHECK(pthread_setschedparam(t, SCHED_OTHER, &sp) == EINVAL,
	      "other: OTHER with priority 7");
	CHECK(pthread_setschedprio(t, 1) == EINVAL, "other prio 1");
	if (ncpu > 1) {
		CPU_ZERO(&one);
		CPU_SET(last, &one);
		target_cpu = last;
		CHECK(pthread_setaffinity_np(t, sizeof(one), &one) == 0,
		      "pin other");
		CHECK(pthread_getaffinity_np(t, sizeof(got), &got) == 0 &&
			      CPU_EQUAL(&got, &one),
		      "other's set");
		CHECK(attr_cpus(t, &got) && CPU_EQUAL(&got, &one),
		      "other's attribute's set");
	}
	sem_post(&go);
	sem_wait20(&done, "done");
	CHECK(seen_policy == SCHED_BATCH, "other ran with policy %d",
	      seen_policy);
	CHECK(target_cpu < 0 || (seen_cpu == target_cpu && bad_cpu == 0),
	      "other ran on %d (%d times off %d)", seen_cpu, bad_cpu,
	      target_cpu);
	sp.sched_priority = 0;
	CHECK(pthread_setschedparam(t, SCHED_OTHER, &sp) == 0, "other back");
	CHECK(pthread_setaffinity_np(t, sizeof(all), &all) == 0, "unpin");
	CHECK(pthread_getaffinity_np(t, sizeof(got), &got) == 0 &&
		      CPU_EQUAL(&got, &all),
	      "other's set back");
	sem_post(&go);
	sem_wait20(&done, "done 2");
	CHECK(seen_policy == SCHED_OTHER, "other back with policy %d",
	      seen_policy);
	CHECK(pthread_join(t, NULL) == 0, "join");

	/* A running thread, pinned by this one. */
	if (ncpu > 1) {
		CHECK(pthread_create(&t, NULL, spinner, NULL) == 0, "spinner");
		CHECK(wait_until(sched_getcpu() >= 0, 1), "yield");
		CPU_ZERO(&one);
		CPU_SET(last, &one);
		atomic_store(&spin_cpu, last);
		CHECK(pthread_setaffinity_np(t, sizeof(one), &one) == 0,
		      "pin spinner");
		CHECK(wait_until(atomic_load(&spin_on) > 10000, 20),
		      "the spinner never got to CPU %d", last);
		atomic_store(&spin_stop, true);
		CHECK(pthread_join(t, NULL) == 0, "join spinner");
		CHECK(atomic_load(&spin_off) == 0,
		      "the spinner left CPU %d %ld times", last,
		      atomic_load(&spin_off));
	}

	/* A thread that has ended: ESRCH. */
	CHECK(pthread_create(&t, NULL, quick, NULL) == 0, "create quick");
	CHECK(wait_until(pthread_getschedparam(t, &policy, &sp) == ESRCH, 10),
	      "getschedparam of an ended thread");
	CHECK(pthread_setschedparam(t, SCHED_OTHER, &sp) == ESRCH, "set");
	CHECK(pthread_setschedprio(t, 0) == ESRCH, "setschedprio");
	CHECK(pthread_join(t, NULL) == 0, "join quick");
	return 0;
}
