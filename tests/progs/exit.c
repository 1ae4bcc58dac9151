/*
 * Proves that thread exit works as POSIX and glibc specify:
 * (a) pthread_exit(value) from nested functions ends the thread with that
 *     value for pthread_join; cleanup handlers still pushed run in LIFO
 *     order, pthread_cleanup_pop(0) does not run its handler and
 *     pthread_cleanup_pop(1) does; TSD destructors run after the cleanup
 *     handlers.
 * (b) When main calls pthread_exit, the process lives on until its last
 *     thread ends, then exits with status 0 running atexit handlers: a
 *     forked child's 4 threads each write a byte to a pipe ~200 ms after
 *     main exited, and the atexit handler writes 'X' after them.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define NTHREADS   8
#define NWRITERS   4
#define TAG(id, n) ((void *)((uintptr_t)(id)*16 + (n)))
#define TSD_TAG	   9

struct record {
	int tags[8];
	int n;
};

static struct record records[NTHREADS];
static pthread_key_t key;
static int pipe_wr;

static void record(void *tag)
{
	struct record *r = &records[(uintptr_t)tag / 16];

	if (r->n < 8)
		r->tags[r->n] = (int)((uintptr_t)tag % 16);
	r->n++;
}

static __attribute__((noreturn)) void exit_nested(uintptr_t id, int depth)
{
	sched_yield();
	if (depth == 0)
		pthread_exit((void *)(id * 2 + 1));
	exit_nested(id, depth - 1);
}

static void *worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;

	CHECK(pthread_setspecific(key, TAG(id, TSD_TAG)) == 0, "setspecific");
	pthread_cleanup_push(record, TAG(id, 1));
	pthread_cleanup_push(record, TAG(id, 2));
	pthread_cleanup_push(record, TAG(id, 3));
	pthread_cleanup_pop(0);
	pthread_cleanup_push(record, TAG(id, 4));
	pthread_cleanup_pop(1);
	exit_nested(id, 3);
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	return NULL;
}

static void test_pthread_exit(void)
{
	static const int expected[] = { 4, 2, 1, TSD_TAG };
	pthread_t tids[NTHREADS];
	uintptr_t i;
	void *ret;
	int err;

	CHECK(pthread_key_create(&key, record) == 0, "pthread_key_create");
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], NULL, worker, (void *)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NTHREADS; i++) {
		struct record *r = &records[i];

		CHECK(pthread_join(tids[i], &ret) == 0, "pthread_join");
		CHECK(ret == (void *)(i * 2 + 1), "thread %lu returned %p",
		      (unsigned long)i, ret);
		CHECK(r->n == 4 &&
			      memcmp(r->tags, expected, sizeof(expected)) == 0,
		      "thread %lu: %d calls, first %d %d %d %d, want 4 2 1 9",
		      (unsigned long)i, r->n, r->tags[0], r->tags[1],
		      r->tags[2], r->tags[3]);
	}
	CHECK(pthread_key_delete(key) == 0, "pthread_key_delete");
}

static void write_x(void)
{
	if (write(pipe_wr, "X", 1) != 1)
		_exit(3);
}

static void *late_writer(void *arg)
{
	const uint64_t end = now_ns() + 200 * 1000000ull;
	char c = (char)('a' + (uintptr_t)arg);

	while (now_ns() < end)
		sched_yield();
	CHECK(write(pipe_wr, &c, 1) == 1, "write: %m");
	return NULL;
}

static __attribute__((noreturn)) void main_exits_first(void)
{
	pthread_t tid;
	uintptr_t i;
	int err;

	CHECK(atexit(write_x) == 0, "atexit");
	for (i = 0; i < NWRITERS; i++) {
		err = pthread_create(&tid, NULL, late_writer, (void *)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	pthread_exit(NULL);
}

static void test_main_pthread_exit(void)
{
	const uint64_t deadline = now_ns() + 20 * 1000000000ull;
	char buf[16] = "";
	size_t got = 0;
	int fds[2], status;
	pid_t pid;

	CHECK(pipe(fds) == 0, "pipe: %m");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork: %m");
	if (pid == 0) {
		close(fds[0]);
		pipe_wr = fds[1];
		main_exits_first();
	}
	close(fds[1]);
	while (now_ns() < deadline) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fds[0], buf + got, sizeof(buf) - 1 - got);
		CHECK(n >= 0, "read: %m");
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (now_ns() >= deadline)
		kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %m");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status %#x, pipe got \"%s\"", status, buf);
	CHECK(got == NWRITERS + 1 && buf[NWRITERS] == 'X' &&
		      memchr(buf, 'a', NWRITERS) &&
		      memchr(buf, 'b', NWRITERS) &&
		      memchr(buf, 'c', NWRITERS) && memchr(buf, 'd', NWRITERS),
	      "pipe got \"%s\", want a permutation of abcd then X", buf);
	close(fds[0]);
}

int main(void)
{
	test_pthread_exit();
	test_main_pthread_exit();
	return 0;
}
