/*
 * Proves that sched_setattr() through syscall() changes the calling
 * thread alone, as Linux does: SCHED_BATCH with a nice value is read
 * back by sched_getscheduler(), getpriority() and sched_getattr(), and
 * the kernel thread running the thread has them (/proc/thread-self/stat)
 * after sleeps; other threads, which sleep and run on meanwhile, keep
 * theirs; SCHED_DEADLINE, where the kernel grants it (root, bandwidth
 * left), is the thread's until it goes back with sched_setscheduler(),
 * and where it does not, the error leaves the thread as it was; bad
 * requests fail as the kernel fails them (EINVAL, E2BIG). musl's
 * sched_{get,set}scheduler() answer ENOSYS: there, their system calls.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "check.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
};

#define LOOKERS 6
#define ROUNDS	200

static atomic_int bad_look;
static atomic_bool stop;

/* Fields 19 (nice) and 41 (policy) of the calling kernel thread's stat. */
static void kernel_view(int *nice, int *policy)
{
	char buf[512], *p;
	int fd, n, i;

	fd = open("/proc/thread-self/stat", O_RDONLY);
	CHECK(fd >= 0, "open /proc/thread-self/stat: %s", strerror(errno));
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0, "read stat");
	buf[n] = 0;
	p = strrchr(buf, ')');
	CHECK(p, "stat has no command");
	*nice = *policy = -99;
	for (i = 3; p && i <= 41; i++) {
		p = strchr(p + 1, ' ');
		if (p && i == 19)
			sscanf(p + 1, "%d", nice);
		if (p && i == 41)
			sscanf(p + 1, "%d", policy);
	}
	CHECK(*nice != -99 && *policy != -99, "stat has no nice or policy");
}

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

static long setattr(const struct attr *a, unsigned int flags)
{
	return syscall(SYS_sched_setattr, 0, a, flags);
}

/* Everything agrees that the calling thread has policy and nice. */
static bool is(int policy, int nice)
{
	struct attr a;
	int kn, kp;

	memset(&a, 0, sizeof(a));
	kernel_view(&kn, &kp);
	errno = 0;
	return policy_now() == policy && getpriority(PRIO_PROCESS, 0) == nice &&
	       errno == 0 &&
	       syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) == 0 &&
	       (int)a.policy == policy &&
	       (policy == SCHED_DEADLINE || a.nice == nice) && kp == policy &&
	       kn == nice;
}

static void *looker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS && !atomic_load(&stop); i++) {
		if (!is(SCHED_OTHER, 0))
			atomic_fetch_add(&bad_look, 1);
		if (i % 4 == 0)
			usleep(100);
		else
			sched_yield();
	}
	return NULL;
}

static void *changer(void *arg)
{
	struct attr a;

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = SCHED_BATCH;
	a.nice = 4;
	CHECK(setattr(&a, 0) == 0, "SCHED_BATCH: %s", strerror(errno));
	CHECK(is(SCHED_BATCH, 4), "SCHED_BATCH, nice 4 not seen");
	for (int i = 0; i < 20; i++) {
		usleep(200);
		CHECK(is(SCHED_BATCH, 4),
		      "SCHED_BATCH, nice 4 gone after a sleep");
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
	a.policy = SCHED_BATCH;
	a.size = 8;
	errno = 0;
	CHECK(setattr(&a, 0) == -1 && errno == E2BIG, "size 8: %s",
	      strerror(errno));
	CHECK(a.size == 56 || a.size == 48,
	      "the kernel's size written back: %u", a.size);
	CHECK(is(SCHED_BATCH, 4), "a refused request changed the thread");

	/* A deadline, if the kernel grants one. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = SCHED_DEADLINE;
	a.runtime = 2 * MS;
	a.deadline = a.period = 20 * MS;
	if (setattr(&a, 0) == 0) {
		struct sched_param sp = { 0 };

		for (int i = 0; i < 10; i++) {
			CHECK(is(SCHED_DEADLINE, 4),
			      "SCHED_DEADLINE not seen (round %d)", i);
			usleep(300);
		}
		CHECK(set_policy(SCHED_OTHER, &sp) == 0,
		      "back to SCHED_OTHER: %s", strerror(errno));
		CHECK(is(SCHED_OTHER, 4), "SCHED_OTHER again");
	} else {
		CHECK(errno == EPERM || errno == EBUSY || errno == EINVAL,
		      "SCHED_DEADLINE refused with %s", strerror(errno));
		CHECK(is(SCHED_BATCH, 4), "a refused deadline changed it");
	}
	return NULL;
}

int main(void)
{
	pthread_t t, look[LOOKERS];
	int i;

	watchdog(60);
	if (policy_now() != SCHED_OTHER || getpriority(PRIO_PROCESS, 0) != 0)
		SKIP("not started with SCHED_OTHER and nice 0");
	for (i = 0; i < LOOKERS; i++)
		CHECK(pthread_create(&look[i], NULL, looker, NULL) == 0,
		      "create looker");
	CHECK(pthread_create(&t, NULL, changer, NULL) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	atomic_store(&stop, true);
	for (i = 0; i < LOOKERS; i++)
		pthread_join(look[i], NULL);
	CHECK(is(SCHED_OTHER, 0), "main changed");
	CHECK(atomic_load(&bad_look) == 0,
	      "%d looks found another thread's policy or nice",
	      atomic_load(&bad_look));
	printf("sched_setattr() is per thread\n");
	return 0;
}
