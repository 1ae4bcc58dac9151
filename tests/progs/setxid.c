/*
 * Proves that setresuid() and setgroups() change the credentials of every
 * kernel thread of the process, and return, while other threads sleep,
 * wait on a condition variable and yield around the caller. glibc makes
 * each kernel thread take the change with a signal to every thread it
 * knows, and goes round until each has answered. The caller is:
 *  (a) the initial thread;
 *  (b) another thread;
 *  (c) a thread that forked, in the child (CPython's subprocess sets the
 *      child's groups there);
 *  (d) a thread the child of a fork() by the initial thread made.
 * After each change every task in /proc/self/task must show it. Needs
 * root (exits 77 otherwise); the effective uid goes to 65534 and back.
 */
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

#define NWORKERS 6

static atomic_bool stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg)
{
	struct timespec ms = { 0, (long)MS };
	long kind = (long)arg % 3;

	while (!atomic_load(&stop)) {
		if (kind == 0) {
			nanosleep(&ms, NULL);
		} else if (kind == 1) {
			pthread_mutex_lock(&mu);
			if (!atomic_load(&stop))
				pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
		} else {
			sched_yield();
		}
	}
	return NULL;
}

static void start_workers(pthread_t *t)
{
	long i;

	atomic_store(&stop, false);
	for (i = 0; i < NWORKERS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0,
		      "pthread_create");
}

static void stop_workers(pthread_t *t)
{
	int i;

	atomic_store(&stop, true);
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < NWORKERS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
}

/* Does kernel thread tid have line "key:\t...want"? */
static bool task_has(const char *tid, const char *key, const char *want,
		     const char *who)
{
	char path[300], line[256];
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	f = fopen(path, "r");
	if (!f)
		return false; /* gone meanwhile */
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			break;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	CHECK(!strcmp(line + klen + 2, want), "%s: task %s has %s, want \"%s\"",
	      who, tid, line, want);
	return true;
}

/*
 * Does every kernel thread of the process have it? Listed by getdents64():
 * readdir() of /proc/self/task lists the program's threads, which under
 * sprout are not its kernel threads.
 */
static void check_tasks(const char *key, const char *want, const char *who)
{
	char buf[8192];
	struct dirent64 *e;
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n, off;
	int tasks = 0;

	CHECK(fd >= 0, "open /proc/self/task: %s", strerror(errno));
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += e->d_reclen) {
			e = (struct dirent64 *)(buf + off);
			if (e->d_name[0] != '.')
				tasks += task_has(e->d_name, key, want, who);
		}
	CHECK(n == 0, "getdents64: %s", strerror(errno));
	close(fd);
	CHECK(tasks > 0, "%s: no tasks", who);
}

/* The changes and checks, from the calling thread. */
static void change_all(const char *who)
{
	gid_t groups[] = { 1111, 2222 }, saved[64];
	int n = getgroups(64, saved);

	CHECK(n >= 0, "getgroups: %s", strerror(errno));
	CHECK(setresuid(0, 65534, 0) == 0, "%s: setresuid: %s", who,
	      strerror(errno));
	check_tasks("Uid", "0\t65534\t0\t65534", who);
	CHECK(setresuid(0, 0, 0) == 0, "%s: setresuid back: %s", who,
	      strerror(errno));
	check_tasks("Uid", "0\t0\t0\t0", who);
	CHECK(setgroups(2, groups) == 0, "%s: setgroups: %s", who,
	      strerror(errno));
	check_tasks("Groups", "1111 2222 ", who);
	CHECK(setgroups((size_t)n, saved) == 0, "%s: setgroups back: %s", who,
	      strerror(errno));
}

static void wait_child(pid_t pid, const char *who)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s: the child failed (status %#x)", who, status);
}

static void *call_b(void *arg)
{
	(void)arg;
	change_all("(b) another thread");
	return NULL;
}

/* (c): fork here; the child changes its groups from this thread. */
static void *call_c(void *arg)
{
	gid_t groups[] = { 3333 };
	pid_t pid;

	(void)arg;
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		watchdog(20);
		CHECK(setgroups(1, groups) == 0, "(c) setgroups: %s",
		      strerror(errno));
		check_tasks("Groups", "3333 ", "(c) the forking thread");
		_exit(0);
	}
	wait_child(pid, "(c)");
	return NULL;
}

int main(void)
{
	pthread_t w[NWORKERS], t;
	pid_t pid;

	if (geteuid() != 0)
		SKIP("needs root");
	watchdog(60);
	start_workers(w);

	change_all("(a) the initial thread");

	CHECK(pthread_create(&t, NULL, call_b, NULL) == 0, "pthread_create");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");

	CHECK(pthread_create(&t, NULL, call_c, NULL) == 0, "pthread_create");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");

	/* (d): the child of the initial thread's fork, from a new thread. */
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		pthread_t cw[NWORKERS];

		watchdog(20);
		start_workers(cw);
		CHECK(pthread_create(&t, NULL, call_b, NULL) == 0,
		      "pthread_create");
		CHECK(pthread_join(t, NULL) == 0, "pthread_join");
		stop_workers(cw);
		_exit(0);
	}
	wait_child(pid, "(d)");

	stop_workers(w);
	printf("setxid: every task took every change\n");
	return 0;
}
