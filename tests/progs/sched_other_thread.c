/*
 * Proves that the calls taking a thread id act on the thread that id
 * names, as Linux's do, not on the caller: main sets another thread's
 * nice value with setpriority(PRIO_PROCESS, its id) and the system call
 * through syscall(), its CPU set with sched_setaffinity(), its policy
 * with sched_setscheduler() (glibc) or its system call; reads each back
 * by id; the thread itself sees each as its own (and its kernel thread
 * has the nice value and policy, in /proc/thread-self/stat) while main's
 * stay as they were. The thread sets main's nice value through the
 * process id, which names the initial thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "check.h"

static atomic_int step, done;
static atomic_int tid;
static int n0, cpu0;

/* Wait for main's step s, check it, tell main. */
static void await(int s)
{
	while (atomic_load(&step) < s)
		sched_yield();
}

static void ack(int s)
{
	atomic_store(&done, s);
}

static void wait_ack(int s)
{
	CHECK(wait_until(atomic_load(&done) >= s, 20), "step %d not done", s);
}

static int policy_of(pid_t t)
{
#ifdef __GLIBC__
	return sched_getscheduler(t);
#else
	return (int)syscall(SYS_sched_getscheduler, t);
#endif
}

static void *target(void *arg)
{
	cpu_set_t set;

	(void)arg;
	atomic_store(&tid, (int)syscall(SYS_gettid));
	await(1);
	CHECK(getpriority(PRIO_PROCESS, 0) == n0 + 5, "own nice %d, not %d",
	      getpriority(PRIO_PROCESS, 0), n0 + 5);
	CHECK(thread_stat(19) == n0 + 5, "kernel thread's nice %ld",
	      thread_stat(19));
	ack(1);
	await(2);
	CHECK(getpriority(PRIO_PROCESS, 0) == n0 + 7, "own nice %d, not %d",
	      getpriority(PRIO_PROCESS, 0), n0 + 7);
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "getaffinity: %m");
	CHECK(CPU_COUNT(&set) == 1 && CPU_ISSET(cpu0, &set),
	      "own CPU set: %d CPUs", CPU_COUNT(&set));
	CHECK(policy_of(0) == SCHED_BATCH, "own policy %d", policy_of(0));
	CHECK(thread_stat(41) == SCHED_BATCH, "kernel thread's policy %ld",
	      thread_stat(41));
	/* The process's id names the initial thread. */
	CHECK(setpriority(PRIO_PROCESS, (id_t)getpid(), n0 + 3) == 0,
	      "setpriority of the process id: %m");
	CHECK(getpriority(PRIO_PROCESS, 0) == n0 + 7, "own nice %d moved",
	      getpriority(PRIO_PROCESS, 0));
	ack(2);
	return NULL;
}

int main(void)
{
	struct sched_param sp = { 0 };
	cpu_set_t all, one, got;
	pthread_t t;
	pid_t id;
	long r;

	watchdog(60);
	errno = 0;
	n0 = getpriority(PRIO_PROCESS, 0);
	CHECK(errno == 0, "getpriority: %m");
	if (n0 > 12)
		SKIP("nice %d leaves no room to raise it", n0);
	CHECK(sched_getaffinity(0, sizeof(all), &all) == 0, "getaffinity: %m");
	for (cpu0 = 0; !CPU_ISSET(cpu0, &all); cpu0++)
		;
	CPU_ZERO(&one);
	CPU_SET(cpu0, &one);

	CHECK(pthread_create(&t, NULL, target, NULL) == 0, "pthread_create");
	CHECK(wait_until(atomic_load(&tid) != 0, 20), "no id");
	id = atomic_load(&tid);

	/* Nice by setpriority() of its id. */
	CHECK(setpriority(PRIO_PROCESS, (id_t)id, n0 + 5) == 0,
	      "setpriority: %m");
	CHECK(getpriority(PRIO_PROCESS, (id_t)id) == n0 + 5, "its nice %d",
	      getpriority(PRIO_PROCESS, (id_t)id));
	CHECK(getpriority(PRIO_PROCESS, 0) == n0, "own nice %d moved",
	      getpriority(PRIO_PROCESS, 0));
	atomic_store(&step, 1);
	wait_ack(1);

	/* Nice by the system call; CPU set; policy. */
	CHECK(syscall(SYS_setpriority, PRIO_PROCESS, id, n0 + 7) == 0,
	      "SYS_setpriority: %m");
	r = syscall(SYS_getpriority, PRIO_PROCESS, id);
	CHECK(r == 20 - (n0 + 7), "SYS_getpriority %ld", r);
	CHECK(sched_setaffinity(id, sizeof(one), &one) == 0, "setaffinity: %m");
	CHECK(sched_getaffinity(id, sizeof(got), &got) == 0, "getaffinity: %m");
	CHECK(CPU_EQUAL(&got, &one), "its CPU set: %d CPUs", CPU_COUNT(&got));
	CHECK(sched_getaffinity(0, sizeof(got), &got) == 0, "getaffinity: %m");
	CHECK(CPU_EQUAL(&got, &all), "own CPU set moved: %d CPUs",
	      CPU_COUNT(&got));
#ifdef __GLIBC__
	CHECK(sched_setscheduler(id, SCHED_BATCH, &sp) == 0,
	      "sched_setscheduler: %m");
	CHECK(sched_getparam(id, &sp) == 0 && sp.sched_priority == 0,
	      "sched_getparam: %m");
	CHECK(sched_getparam(id, NULL) == -1 && errno == EINVAL,
	      "sched_getparam(NULL): %m");
#else
	CHECK(syscall(SYS_sched_setscheduler, id, SCHED_BATCH, &sp) == 0,
	      "SYS_sched_setscheduler: %m");
#endif
	CHECK(policy_of(id) == SCHED_BATCH, "its policy %d", policy_of(id));
	CHECK(policy_of(0) == SCHED_OTHER, "own policy %d", policy_of(0));
	CHECK(thread_stat(41) == SCHED_OTHER, "own kernel thread's policy %ld",
	      thread_stat(41));
	atomic_store(&step, 2);
	wait_ack(2);
	CHECK(getpriority(PRIO_PROCESS, 0) == n0 + 3,
	      "own nice %d, not the %d set through the process id",
	      getpriority(PRIO_PROCESS, 0), n0 + 3);
	CHECK(thread_stat(19) == n0 + 3, "own kernel thread's nice %ld",
	      thread_stat(19));

	/*
	 * Not the ended thread's id: the kernel may have given it to a
	 * thread of another process already.
	 */
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	printf("sched_other_thread: ok\n");
	return 0;
}
