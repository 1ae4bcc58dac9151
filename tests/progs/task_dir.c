/*
 * /proc/self/task lists the process's threads as the kernel does: each
 * thread's id (gettid()) while it runs, and no longer once it has ended,
 * joined or not. Read with readdir(), readdir_r(), rewinddir(),
 * telldir()/seekdir() and through fdopendir(). glibc's test support waits
 * this way for a thread to end before it signals or cancels it.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define N	8
#define MAXLIST 64

static pid_t tids[N];
static atomic_int started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool release;

static void *worker(void *arg)
{
	tids[(intptr_t)arg] = gettid();
	atomic_fetch_add(&started, 1);
	pthread_mutex_lock(&mu);
	while (!release)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* The thread ids d lists from where it is, checked; their count. */
static int list(DIR *d, pid_t *out)
{
	struct dirent *e;
	int n = 0, dots = 0, i;

	while ((e = readdir(d)) != NULL) {
		CHECK(e->d_type == DT_DIR, "%s: type %d", e->d_name, e->d_type);
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
			dots++;
			continue;
		}
		CHECK(atoi(e->d_name) > 0, "entry %s", e->d_name);
		CHECK(n < MAXLIST, "more than %d entries", MAXLIST);
		out[n] = atoi(e->d_name);
		for (i = 0; i < n; i++)
			CHECK(out[i] != out[n], "%d listed twice", out[n]);
		n++;
	}
	CHECK(dots == 2, "%d of \".\" and \"..\"", dots);
	return n;
}

static bool listed(const pid_t *v, int n, pid_t tid)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] == tid)
			return true;
	return false;
}

/* While the workers run: each of them and the caller, nothing else. */
static void check_all(DIR *d, const char *how)
{
	pid_t v[MAXLIST];
	int n = list(d, v), i;

	CHECK(n == N + 1, "%s: %d threads listed, want %d", how, n, N + 1);
	CHECK(listed(v, n, gettid()), "%s: main thread not listed", how);
	for (i = 0; i < N; i++)
		CHECK(listed(v, n, tids[i]), "%s: thread %d not listed", how,
		      i);
}

/* telldir() names a place that seekdir() comes back to. */
static void check_seek(DIR *d)
{
	char name[256];
	struct dirent *e;
	long pos;

	rewinddir(d);
	CHECK(readdir(d) && readdir(d) && readdir(d), "three entries");
	pos = telldir(d);
	CHECK(pos >= 0, "telldir: %s", strerror(errno));
	e = readdir(d);
	CHECK(e != NULL, "a fourth entry");
	snprintf(name, sizeof(name), "%s", e->d_name);
	CHECK(readdir(d) != NULL, "a fifth entry");
	seekdir(d, pos);
	e = readdir(d);
	CHECK(e && !strcmp(e->d_name, name), "after seekdir: %s, want %s",
	      e ? e->d_name : "(end)", name);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static int count_r(DIR *d)
{
	struct dirent ent, *e;
	int n = 0;

	rewinddir(d);
	while (readdir_r(d, &ent, &e) == 0 && e)
		n += ent.d_name[0] != '.';
	return n;
}
#pragma GCC diagnostic pop

int main(void)
{
	pthread_t t[N];
	pid_t v[MAXLIST];
	DIR *d, *fd_d;
	int i, n = 0, fd;
	uint64_t deadline;

	watchdog(60);
	for (i = 0; i < N; i++)
		CHECK(pthread_create(&t[i], NULL, worker,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	CHECK(wait_until(atomic_load(&started) == N, 20), "workers started");

	d = opendir("/proc/self/task");
	CHECK(d != NULL, "opendir: %s", strerror(errno));
	check_all(d, "readdir");
	rewinddir(d);
	check_all(d, "after rewinddir");
	check_seek(d);
	CHECK(count_r(d) == N + 1, "readdir_r");

	fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0, "open: %s", strerror(errno));
	fd_d = fdopendir(fd);
	CHECK(fd_d != NULL, "fdopendir: %s", strerror(errno));
	check_all(fd_d, "fdopendir");
	CHECK(closedir(fd_d) == 0, "closedir");

	/* Ended but not joined: gone from the list, as from the kernel's. */
	pthread_mutex_lock(&mu);
	release = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	deadline = now_ns() + 20000 * MS;
	do {
		usleep(10000);
		rewinddir(d);
		n = list(d, v);
	} while (n > 1 && now_ns() < deadline);
	CHECK(n == 1 && v[0] == gettid(),
	      "%d threads listed 20 s after the others ended", n);
	CHECK(closedir(d) == 0, "closedir");

	for (i = 0; i < N; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	return 0;
}
