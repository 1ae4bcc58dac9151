/*
 * Shared helpers for the test programs in tests/progs.  Usable from C and
 * C++.
 *
 * CHECK(cond, fmt, ...) prints "FAIL: file:line: cond: <message>" to stderr
 * and exits 1 when cond is false.  SKIP(fmt, ...) exits 77.
 *
 * now_ns() reads CLOCK_MONOTONIC; MS is a millisecond in its units.
 * wait_until(cond, seconds) re-evaluates cond, calling sched_yield() in
 * between, until it holds or the deadline passes; its value is whether cond
 * held.  deadline_in(clk, ms) is the absolute time ms milliseconds from now
 * on clock clk, for the timed waits.
 *
 * watchdog(seconds) installs a SIGALRM handler that writes "FAIL: timeout"
 * to stderr and _exit(1)s, and arms alarm(seconds).  A forked child does
 * not inherit the alarm, so it calls watchdog() again if it needs one.
 *
 * fdinfo_flags(fd) reads the file status flags of fd as the kernel shows
 * them in /proc/self/fdinfo (no wrapped fcntl in the way), or -1.
 *
 * count_tasks() is the number of kernel threads of the process (the kernel's
 * count in /proc/self/status: /proc/self/task lists the program's threads,
 * which under sprout are not its kernel threads); logical_procs()
 * the Ps sprout runs (SPROUT_PROCS, else the CPUs the process may use).
 * count_fds() is the number of fds the process has open.
 * thread_stat(n) is field n of /proc/thread-self/stat (19: nice, 41:
 * policy), the kernel thread running the caller as the kernel has it.
 *
 * child_status(pid, how) is child pid's wait status once it ends, failing
 * if it does not within 20 s; reap(pid, how) also requires a normal exit
 * and gives its exit status.
 *
 * mask_one(how, sig) is pthread_sigmask(how) of sig alone, failing if it
 * fails.
 *
 * sem_wait20(s, what) waits on semaphore s for at most 20 s
 * (sem_timedwait, CLOCK_REALTIME) and fails, naming what, unless it gets
 * it within 10 s: a wait that ends only near its deadline means a post did
 * not wake the waiter.
 */
#ifndef SPROUT_TESTS_CHECK_H
#define SPROUT_TESTS_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_SKIP 77
#define MS	  1000000ull

#define CHECK(cond, fmt, ...)                                              \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL: %s:%d: %s: " fmt "\n",      \
				__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
			exit(1);                                           \
		}                                                          \
	} while (0)

#define SKIP(fmt, ...)                                    \
	do {                                              \
		printf("SKIP: " fmt "\n", ##__VA_ARGS__); \
		exit(EXIT_SKIP);                          \
	} while (0)

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define wait_until(cond, seconds)                                     \
	({                                                            \
		const uint64_t wu_deadline_ =                         \
			now_ns() + (uint64_t)((seconds)*1e9);         \
		bool wu_ok_;                                          \
		while (!(wu_ok_ = (cond)) && now_ns() < wu_deadline_) \
			sched_yield();                                \
		wu_ok_;                                               \
	})

static inline void watchdog_expired(int sig)
{
	static const char msg[] = "FAIL: timeout\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static inline void watchdog(unsigned int seconds)
{
	signal(SIGALRM, watchdog_expired);
	alarm(seconds);
}

static inline struct timespec deadline_in(clockid_t clk, long ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += ms % 1000 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static inline void sem_wait20(sem_t *s, const char *what)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, 20000);
	uint64_t t0 = now_ns(), el;
	int ret = sem_timedwait(s, &ts);

	el = now_ns() - t0;
	CHECK(ret == 0, "%s: %s", what, strerror(errno));
	CHECK(el < 10000 * MS, "%s: woken only after %llu ms", what,
	      (unsigned long long)(el / MS));
}

/* The entries of a /proc directory, "." and ".." aside. */
static inline int count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	CHECK(dir != NULL, "opendir %s: %s", path, strerror(errno));
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static inline int count_tasks(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;

	CHECK(f != NULL, "/proc/self/status: %s", strerror(errno));
	while (n < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) != 1)
			n = -1;
	fclose(f);
	CHECK(n > 0, "no Threads: line in /proc/self/status");
	return n;
}

static inline void mask_one(int how, int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	CHECK(pthread_sigmask(how, &s, NULL) == 0, "pthread_sigmask: %d", sig);
}

/* Open fds, counting the one the count itself opens. */
static inline int count_fds(void)
{
	return count_entries("/proc/self/fd");
}

static inline int logical_procs(void)
{
	const char *env = getenv("SPROUT_PROCS");
	cpu_set_t set;

	if (env != NULL && atoi(env) > 0)
		return atoi(env);
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0,
	      "sched_getaffinity: %s", strerror(errno));
	return CPU_COUNT(&set);
}

static inline long thread_stat(int field)
{
	char buf[1024], *p;
	long v = 0;
	int fd, n, i;

	fd = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open /proc/thread-self/stat: %s", strerror(errno));
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0, "read /proc/thread-self/stat");
	buf[n] = 0;
	/* The command may hold spaces: field 3 follows its last ')'. */
	p = strrchr(buf, ')');
	for (i = 3; p && i <= field; i++)
		p = strchr(p + 1, ' ');
	CHECK(p && sscanf(p + 1, "%ld", &v) == 1,
	      "/proc/thread-self/stat has no field %d", field);
	return v;
}

/* The "flags:" line of /proc/self/fdinfo/fd (octal), or -1. */
static inline int fdinfo_flags(int fd)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "flags:");
	return p ? (int)strtol(p + 6, NULL, 8) : -1;
}

/* Wait at most 20 s for pid; kill it if it does not end. */
/*
 * The wait status of child pid once it ends; fails, naming how it was
 * started, if it has not ended in 20 s (and kills it).
 */
static inline int child_status(pid_t pid, const char *how)
{
	uint64_t end = now_ns() + 20000 * MS;
	int st;
	pid_t r;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ns() < end)
		usleep(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		CHECK(0, "the child of %s did not end in 20 s", how);
	}
	CHECK(r == pid, "waitpid: %s", strerror(errno));
	return st;
}

static inline int reap(pid_t pid, const char *how)
{
	int st = child_status(pid, how);

	CHECK(WIFEXITED(st), "the child of %s was killed by signal %d", how,
	      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return WEXITSTATUS(st);
}

#endif /* SPROUT_TESTS_CHECK_H */
