// SPDX-License-Identifier: MIT
/*
 * The initial thread's name is the kernel's too, as glibc's tst-setgetname
 * checks: after pthread_setname_np() of the initial thread, by itself or
 * by another thread, /proc/self/task/TID/comm (TID from gettid(), the
 * process id) and pthread_getname_np() agree on it; a name too long
 * (ERANGE) changes neither.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

static pthread_t main_thread;
static pid_t main_tid;
static _Atomic int renamed;

static void comm(char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)main_tid);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	CHECK(n > 0, "read %s: %s", path, strerror(errno));
	buf[n] = 0;
	if (buf[n - 1] == '\n')
		buf[n - 1] = 0;
	close(fd);
}

static void agree(const char *want, const char *when)
{
	char got[64], kernel[64];

	CHECK(pthread_getname_np(main_thread, got, sizeof(got)) == 0,
	      "%s: getname_np", when);
	CHECK(strcmp(got, want) == 0, "%s: getname_np gave %s, not %s", when,
	      got, want);
	comm(kernel, sizeof(kernel));
	CHECK(strcmp(kernel, want) == 0, "%s: the kernel says %s, not %s", when,
	      kernel, want);
}

static void *rename_main(void *arg)
{
	CHECK(pthread_setname_np(main_thread, arg) == 0, "setname_np");
	atomic_store(&renamed, 1);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pid_t child;

	watchdog(30);
	main_thread = pthread_self();
	main_tid = gettid();
	CHECK(main_tid == getpid(), "gettid %d, pid %d", (int)main_tid,
	      (int)getpid());

	CHECK(pthread_setname_np(main_thread, "setname") == 0, "setname_np");
	agree("setname", "by itself");
	CHECK(pthread_setname_np(main_thread, "....V....X....XV") == ERANGE,
	      "a name too long");
	agree("setname", "after ERANGE");
	CHECK(pthread_setname_np(main_thread, "....V....X....X") == 0,
	      "the longest name");
	agree("....V....X....X", "longest");

	/*
	 * Renamed while the initial thread waits in the kernel (waitpid),
	 * so that under the shim the other thread runs on another kernel
	 * thread than the initial one.
	 */
	child = fork();
	CHECK(child >= 0, "fork: %s", strerror(errno));
	if (child == 0) {
		usleep(300 * 1000);
		_exit(0);
	}
	CHECK(pthread_create(&t, NULL, rename_main, "by-another") == 0,
	      "pthread_create");
	CHECK(reap(child, "the child") == 0, "the child's exit");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(atomic_load(&renamed), "no rename");
	agree("by-another", "by another thread");
	return 0;
}
