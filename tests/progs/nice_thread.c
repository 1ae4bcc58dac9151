/*
 * Proves that a thread's nice value is its own, as Linux keeps it per
 * thread: setpriority(PRIO_PROCESS) of 0 or of the thread's own id, nice()
 * and their system calls through syscall() change the caller (or the
 * thread named by its own id) alone; getpriority() reads it back; the kernel thread a
 * thread runs on has it (/proc/thread-self/stat), so it weighs in the
 * kernel's scheduling; a thread made afterwards inherits it from its
 * creator; the other threads, which sleep and run on meanwhile, keep
 * theirs, looked at many times on whatever kernel thread they run on; a
 * value out of range is clamped, and lowering it as root is allowed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "check.h"

#define LOOKERS 8
#define ROUNDS	200

static int n0; /* the process's nice at start */
static atomic_int bad_look;
static atomic_bool stop;

/* The nice value of the kernel thread running the caller, as it is now. */
static int kernel_nice(void)
{
	char buf[512], *p;
	int fd, n, i, nice = 99;

	fd = open("/proc/thread-self/stat", O_RDONLY);
	CHECK(fd >= 0, "open /proc/thread-self/stat: %s", strerror(errno));
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0, "read stat");
	buf[n] = 0;
	/* Fields after the command's closing parenthesis: state is 3. */
	p = strrchr(buf, ')');
	CHECK(p, "stat has no command");
	for (i = 3; i <= 19 && p; i++)
		p = strchr(p + 1, ' ');
	CHECK(p && sscanf(p + 1, "%d", &nice) == 1, "stat has no nice field");
	return nice;
}

static int own_nice(void)
{
	int v;

	errno = 0;
	v = getpriority(PRIO_PROCESS, 0);
	CHECK(errno == 0, "getpriority: %s", strerror(errno));
	return v;
}

/* Looks at its own nice, as the library and the kernel have it. */
static void *looker(void *arg)
{
	int want = (int)(intptr_t)arg;

	for (int i = 0; i < ROUNDS && !atomic_load(&stop); i++) {
		if (own_nice() != want || kernel_nice() != want)
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
	*(int *)arg = own_nice() * 100 + kernel_nice();
	return NULL;
}

static sem_t niced, checked;

static void *nicer(void *arg)
{
	pthread_t t;
	int seen, want = n0 + 5;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)arg;
	CHECK(setpriority(PRIO_PROCESS, 0, want) == 0, "setpriority: %s",
	      strerror(errno));
	CHECK(own_nice() == want, "own nice %d after setting %d", own_nice(),
	      want);
	CHECK(getpriority(PRIO_PROCESS, (id_t)tid) == want,
	      "getpriority of the own id");
	CHECK(kernel_nice() == want, "the kernel thread's nice is %d, not %d",
	      kernel_nice(), want);
	/* Sleep and come back: still its own, on whatever kernel thread. */
	for (int i = 0; i < 20; i++) {
		usleep(200);
		CHECK(own_nice() == want && kernel_nice() == want,
		      "nice %d (kernel %d) after a sleep, not %d", own_nice(),
		      kernel_nice(), want);
	}
	/* nice() adds and answers the new value. */
	errno = 0;
	CHECK(nice(1) == want + 1 && errno == 0, "nice(1)");
	want++;
	CHECK(own_nice() == want && kernel_nice() == want, "after nice(1)");
	/* The system call through syscall(): the kernel's 20 - nice. */
	CHECK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 20 - want,
	      "SYS_getpriority gave %ld", syscall(SYS_getpriority, 0, 0));
	CHECK(syscall(SYS_setpriority, PRIO_PROCESS, 0, want + 1) == 0,
	      "SYS_setpriority");
	want++;
	CHECK(own_nice() == want && kernel_nice() == want,
	      "after SYS_setpriority");
	CHECK(pthread_create(&t, NULL, inherit, &seen) == 0, "create");
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(seen == want * 100 + want, "a new thread's nice: %d/%d, not %d",
	      seen / 100, seen % 100, want);
	sem_post(&niced);
	sem_wait20(&checked, "the main thread's look");
	/* Out of range: clamped to 19, as the kernel does. */
	CHECK(setpriority(PRIO_PROCESS, 0, 40) == 0 && own_nice() == 19 &&
		      kernel_nice() == 19,
	      "setpriority(40) is not 19");
	/* Lowering takes CAP_SYS_NICE (or RLIMIT_NICE room). */
	if (geteuid() == 0) {
		CHECK(setpriority(PRIO_PROCESS, 0, n0) == 0 &&
			      own_nice() == n0 && kernel_nice() == n0,
		      "back to %d as root", n0);
	}
	return NULL;
}

int main(void)
{
	pthread_t t, u, look[LOOKERS];
	int i, seen;

	watchdog(60);
	n0 = own_nice();
	if (n0 > 10)
		SKIP("nice %d leaves no room to raise it", n0);
	CHECK(kernel_nice() == n0, "the kernel thread's nice at start");
	sem_init(&niced, 0, 0);
	sem_init(&checked, 0, 0);
	for (i = 0; i < LOOKERS; i++)
		CHECK(pthread_create(&look[i], NULL, looker,
				     (void *)(intptr_t)n0) == 0,
		      "create looker");
	CHECK(pthread_create(&t, NULL, nicer, NULL) == 0, "create nicer");
	sem_wait20(&niced, "the nicer");
	/* The others keep theirs. */
	CHECK(own_nice() == n0 && kernel_nice() == n0,
	      "main's nice %d (kernel %d) after another thread's change",
	      own_nice(), kernel_nice());
	CHECK(pthread_create(&u, NULL, inherit, &seen) == 0 &&
		      pthread_join(u, NULL) == 0,
	      "create after");
	CHECK(seen == n0 * 100 + n0, "main's new thread's nice %d/%d",
	      seen / 100, seen % 100);
	sem_post(&checked);
	CHECK(pthread_join(t, NULL) == 0, "join nicer");
	for (i = 0; i < LOOKERS; i++)
		pthread_join(look[i], NULL);
	CHECK(atomic_load(&bad_look) == 0,
	      "%d looks at another thread's nice found a changed one",
	      atomic_load(&bad_look));
	printf("nice is per thread\n");
	return 0;
}
