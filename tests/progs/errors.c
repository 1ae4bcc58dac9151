/*
 * Proves that the pthread calls report errors as glibc does:
 * - joining oneself gives EDEADLK, joining a detached thread EINVAL,
 *   detaching twice EINVAL;
 * - pthread_tryjoin_np gives EBUSY while the thread runs and 0 once it
 *   has finished; pthread_timedjoin_np with a past deadline gives
 *   ETIMEDOUT; pthread_clockjoin_np with an unknown clock gives EINVAL;
 * - pthread_timedjoin_np with tv_nsec = 2000000000 gives EINVAL, or joins
 *   the thread once it ends (glibc 2.36 does not check tv_nsec there), so
 *   that thread ends by itself after ~50 ms;
 * - pthread_create of a stack larger than RLIMIT_AS (VmSize + 16 MiB) gives
 *   EAGAIN (in a forked child, so the limit does not leak);
 * - pthread_key_create fails with EAGAIN after at most PTHREAD_KEYS_MAX
 *   keys; pthread_setname_np with a 16-character name and
 *   pthread_getname_np with a 4-byte buffer give ERANGE;
 * - successful pthread calls leave errno unchanged.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define MIB    (1024 * 1024ul)
#define RESULT ((void *)0x77)

/* A thread that runs until released, or for release_after_ms if nonzero. */
struct held {
	pthread_t tid;
	unsigned release_after_ms;
	atomic_bool release, done;
};

static void *held_main(void *arg)
{
	struct held *h = arg;
	const uint64_t end = now_ns() + h->release_after_ms * 1000000ull;

	while (!atomic_load(&h->release) &&
	       (h->release_after_ms == 0 || now_ns() < end))
		sched_yield();
	atomic_store(&h->done, true);
	return RESULT;
}

static void start(struct held *h, const pthread_attr_t *attr)
{
	int err = pthread_create(&h->tid, attr, held_main, h);

	CHECK(err == 0, "pthread_create: %s", strerror(err));
}

static void release_and_join(struct held *h)
{
	void *ret;
	int err;

	atomic_store(&h->release, true);
	err = pthread_join(h->tid, &ret);
	CHECK(err == 0 && ret == RESULT, "pthread_join: %d, result %p", err,
	      ret);
}

static void release_detached(struct held *h)
{
	atomic_store(&h->release, true);
	CHECK(wait_until(atomic_load(&h->done), 10),
	      "detached thread did not finish");
}

static void test_join_detach(void)
{
	struct held a = { 0 }, b = { 0 };
	pthread_attr_t attr;
	int err;

	err = pthread_join(pthread_self(), NULL);
	CHECK(err == EDEADLK, "join self: %d", err);

	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	CHECK(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0,
	      "setdetachstate");
	start(&a, &attr);
	pthread_attr_destroy(&attr);
	err = pthread_join(a.tid, NULL);
	CHECK(err == EINVAL, "join a detached thread: %d", err);
	release_detached(&a);

	start(&b, NULL);
	err = pthread_detach(b.tid);
	CHECK(err == 0, "first detach: %d", err);
	err = pthread_detach(b.tid);
	CHECK(err == EINVAL, "second detach: %d", err);
	release_detached(&b);
}

static void test_nonblocking_joins(void)
{
	struct held a = { 0 }, b = { 0 };
	struct held d = { .release_after_ms = 50 };
	struct timespec ts;
	void *ret = NULL;
	int err;

	start(&a, NULL);
	err = pthread_tryjoin_np(a.tid, NULL);
	CHECK(err == EBUSY, "tryjoin on a running thread: %d", err);
	atomic_store(&a.release, true);
	CHECK(wait_until((err = pthread_tryjoin_np(a.tid, &ret)) != EBUSY, 10),
	      "tryjoin still EBUSY after 10 s");
	CHECK(err == 0 && ret == RESULT, "tryjoin: %d, result %p", err, ret);

	start(&b, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= 1;
	err = pthread_timedjoin_np(b.tid, NULL, &ts);
	CHECK(err == ETIMEDOUT, "timedjoin with a past deadline: %d", err);
	release_and_join(&b);

#ifdef __GLIBC__ /* musl has no pthread_clockjoin_np() */
	struct held c = { 0 };

	start(&c, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	err = pthread_clockjoin_np(c.tid, NULL, 12345, &ts);
	CHECK(err == EINVAL, "clockjoin with clock 12345: %d", err);
	release_and_join(&c);
#endif

	start(&d, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec = 2000000000;
	ret = NULL;
	err = pthread_timedjoin_np(d.tid, &ret, &ts);
	CHECK(err == EINVAL || (err == 0 && ret == RESULT),
	      "timedjoin with tv_nsec 2e9: %d, result %p", err, ret);
	if (err == EINVAL)
		release_and_join(&d);
}

static unsigned long vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long kib = 0;
	char line[256];

	CHECK(f != NULL, "open /proc/self/status: %m");
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmSize: %lu kB", &kib) == 1)
			break;
	fclose(f);
	CHECK(kib > 0, "no VmSize in /proc/self/status");
	return kib * 1024;
}

static void test_rlimit_as(void)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork: %m");
	if (pid == 0) {
		struct held h = { .release = true };
		struct rlimit rl;
		pthread_attr_t attr;
		pthread_t tid;
		int err;

		rl.rlim_cur = rl.rlim_max = vm_size() + 16 * MIB;
		CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit: %m");
		CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
		/*
		 * A stack larger than the whole limit: under the shim,
		 * VmSize counts stack arenas reserved and not yet used,
		 * which it gives back when a stack does not fit, so 64 MiB
		 * above VmSize may well fit there.
		 */
		CHECK(pthread_attr_setstacksize(&attr,
						rl.rlim_cur + 64 * MIB) == 0,
		      "setstacksize");
		err = pthread_create(&tid, &attr, held_main, &h);
		CHECK(err == EAGAIN, "a stack over RLIMIT_AS: %d", err);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %m");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "RLIMIT_AS child status %#x", status);
}

static void test_limits(void)
{
	static pthread_key_t keys[PTHREAD_KEYS_MAX + 1];
	char name[4];
	int n, err;

	for (n = 0; n <= PTHREAD_KEYS_MAX; n++)
		if ((err = pthread_key_create(&keys[n], NULL)) != 0)
			break;
	CHECK(n > 0 && n <= PTHREAD_KEYS_MAX && err == EAGAIN,
	      "pthread_key_create #%d: %d", n, err);
	while (n-- > 0)
		CHECK(pthread_key_delete(keys[n]) == 0, "delete key %d", n);

	err = pthread_setname_np(pthread_self(), "0123456789abcdef");
	CHECK(err == ERANGE, "16-character name: %d", err);
	err = pthread_getname_np(pthread_self(), name, sizeof(name));
	CHECK(err == ERANGE, "getname into 4 bytes: %d", err);
}

static void test_errno_kept(void)
{
	struct held h = { 0 };
	pthread_attr_t attr;
	pthread_key_t key;
	char name[16];

	errno = 1234;
	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	start(&h, &attr);
	CHECK(pthread_setname_np(h.tid, "errors-held") == 0, "setname");
	CHECK(pthread_getname_np(h.tid, name, sizeof(name)) == 0, "getname");
	CHECK(pthread_key_create(&key, NULL) == 0, "key_create");
	CHECK(pthread_setspecific(key, &key) == 0, "setspecific");
	CHECK(pthread_key_delete(key) == 0, "key_delete");
	release_and_join(&h);
	pthread_attr_destroy(&attr);
	CHECK(errno == 1234, "errno %d after successful calls", errno);
}

int main(void)
{
	test_join_detach();
	test_nonblocking_joins();
	test_rlimit_as();
	test_limits();
	test_errno_kept();
	return 0;
}
