/*
 * Proves that thread attributes are honoured and reported:
 * - pthread_attr_* setters and getters round-trip stacksize, guardsize,
 *   detachstate, scope, inheritsched and schedpolicy, and a stacksize
 *   below PTHREAD_STACK_MIN is rejected with EINVAL;
 * - a thread on a caller-allocated (mmap) 1 MiB stack runs on it, and
 *   pthread_getattr_np reports exactly that stack;
 * - for a default thread, pthread_getattr_np reports a stack containing
 *   the thread's locals, at least the default size; a 64 KiB guardsize is
 *   reported back; on the main thread it reports main's stack;
 * - pthread_setattr_default_np(stacksize 1 MiB) is returned by
 *   pthread_getattr_default_np and applies to NULL-attr threads; the old
 *   default is restored afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"

#define KIB 1024ul
#define MIB (1024 * KIB)

/* What a thread saw of itself. */
struct report {
	uintptr_t local;
	uintptr_t stack_lo;
	size_t stacksize, guardsize;
};

static void describe(pthread_t thread, uintptr_t local, struct report *r)
{
	pthread_attr_t attr;
	void *addr;
	int err;

	err = pthread_getattr_np(thread, &attr);
	CHECK(err == 0, "pthread_getattr_np: %s", strerror(err));
	CHECK(pthread_attr_getstack(&attr, &addr, &r->stacksize) == 0,
	      "getstack");
	CHECK(pthread_attr_getguardsize(&attr, &r->guardsize) == 0,
	      "getguardsize");
	pthread_attr_destroy(&attr);
	r->stack_lo = (uintptr_t)addr;
	r->local = local;
}

static bool on_stack(const struct report *r)
{
	return r->local >= r->stack_lo && r->local < r->stack_lo + r->stacksize;
}

static void *reporter(void *arg)
{
	int local = 0;

	describe(pthread_self(), (uintptr_t)&local, arg);
	return NULL;
}

static void run(const pthread_attr_t *attr, struct report *r)
{
	pthread_t tid;
	int err;

	err = pthread_create(&tid, attr, reporter, r);
	CHECK(err == 0, "pthread_create: %s", strerror(err));
	CHECK(pthread_join(tid, NULL) == 0, "pthread_join");
}

static void test_round_trips(void)
{
	static const int detach[] = { PTHREAD_CREATE_DETACHED,
				      PTHREAD_CREATE_JOINABLE };
	static const int inherit[] = { PTHREAD_EXPLICIT_SCHED,
				       PTHREAD_INHERIT_SCHED };
	static const int policy[] = { SCHED_FIFO, SCHED_RR, SCHED_OTHER };
	pthread_attr_t attr;
	size_t size;
	unsigned i;
	int v;

	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	CHECK(pthread_attr_setstacksize(&attr, MIB) == 0, "setstacksize");
	CHECK(pthread_attr_getstacksize(&attr, &size) == 0 && size == MIB,
	      "stacksize %zu", size);
	v = pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN - 1);
	CHECK(v == EINVAL, "stacksize below PTHREAD_STACK_MIN: %d", v);
	CHECK(pthread_attr_setguardsize(&attr, 64 * KIB) == 0, "setguardsize");
	CHECK(pthread_attr_getguardsize(&attr, &size) == 0 && size == 64 * KIB,
	      "guardsize %zu", size);
	for (i = 0; i < sizeof(detach) / sizeof(detach[0]); i++) {
		CHECK(pthread_attr_setdetachstate(&attr, detach[i]) == 0,
		      "setdetachstate %d", detach[i]);
		CHECK(pthread_attr_getdetachstate(&attr, &v) == 0 &&
			      v == detach[i],
		      "detachstate %d, set %d", v, detach[i]);
	}
	CHECK(pthread_attr_setscope(&attr, PTHREAD_SCOPE_SYSTEM) == 0,
	      "setscope");
	CHECK(pthread_attr_getscope(&attr, &v) == 0 &&
		      v == PTHREAD_SCOPE_SYSTEM,
	      "scope %d", v);
	for (i = 0; i < sizeof(inherit) / sizeof(inherit[0]); i++) {
		CHECK(pthread_attr_setinheritsched(&attr, inherit[i]) == 0,
		      "setinheritsched %d", inherit[i]);
		CHECK(pthread_attr_getinheritsched(&attr, &v) == 0 &&
			      v == inherit[i],
		      "inheritsched %d, set %d", v, inherit[i]);
	}
	for (i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		CHECK(pthread_attr_setschedpolicy(&attr, policy[i]) == 0,
		      "setschedpolicy %d", policy[i]);
		CHECK(pthread_attr_getschedpolicy(&attr, &v) == 0 &&
			      v == policy[i],
		      "schedpolicy %d, set %d", v, policy[i]);
	}
	pthread_attr_destroy(&attr);
}

static void test_user_stack(void)
{
	const size_t size = MIB;
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pthread_attr_t attr;
	struct report r;

	CHECK(base != MAP_FAILED, "mmap: %m");
	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	CHECK(pthread_attr_setstack(&attr, base, size) == 0, "setstack");
	run(&attr, &r);
	CHECK(r.local >= (uintptr_t)base && r.local < (uintptr_t)base + size,
	      "local at %#lx, outside the stack at %p + %zu",
	      (unsigned long)r.local, base, size);
	CHECK(r.stack_lo == (uintptr_t)base && r.stacksize == size,
	      "getattr_np reports stack %#lx + %zu, given %p + %zu",
	      (unsigned long)r.stack_lo, r.stacksize, base, size);
	pthread_attr_destroy(&attr);
	munmap(base, size);
}

static void test_reported_stacks(void)
{
	pthread_attr_t attr;
	struct report r;
	size_t def;
	int local = 0;

	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	CHECK(pthread_attr_getstacksize(&attr, &def) == 0, "getstacksize");
	run(NULL, &r);
	CHECK(on_stack(&r) && r.stacksize >= def,
	      "default thread: local %#lx, stack %#lx + %zu, default %zu",
	      (unsigned long)r.local, (unsigned long)r.stack_lo, r.stacksize,
	      def);

	CHECK(pthread_attr_setguardsize(&attr, 64 * KIB) == 0, "setguardsize");
	run(&attr, &r);
	CHECK(on_stack(&r) && r.guardsize >= 64 * KIB,
	      "64 KiB guard thread: local %#lx, stack %#lx + %zu, guard %zu",
	      (unsigned long)r.local, (unsigned long)r.stack_lo, r.stacksize,
	      r.guardsize);
	pthread_attr_destroy(&attr);

	describe(pthread_self(), (uintptr_t)&local, &r);
	CHECK(on_stack(&r), "main: local %#lx, stack %#lx + %zu",
	      (unsigned long)r.local, (unsigned long)r.stack_lo, r.stacksize);
}

static void test_default_attr(void)
{
	pthread_attr_t old, attr;
	struct report r;
	size_t size, old_size;

	CHECK(pthread_getattr_default_np(&old) == 0, "getattr_default_np");
	CHECK(pthread_attr_getstacksize(&old, &old_size) == 0, "getstacksize");
	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	CHECK(pthread_attr_setstacksize(&attr, MIB) == 0, "setstacksize");
	CHECK(pthread_setattr_default_np(&attr) == 0, "setattr_default_np");
	pthread_attr_destroy(&attr);

	CHECK(pthread_getattr_default_np(&attr) == 0, "getattr_default_np");
	CHECK(pthread_attr_getstacksize(&attr, &size) == 0 && size == MIB,
	      "default stacksize %zu after setting %lu", size, MIB);
	pthread_attr_destroy(&attr);
	run(NULL, &r);
	CHECK(on_stack(&r) && r.stacksize >= MIB && r.stacksize < 8 * MIB,
	      "1 MiB default: local %#lx, stack %#lx + %zu",
	      (unsigned long)r.local, (unsigned long)r.stack_lo, r.stacksize);

	CHECK(pthread_setattr_default_np(&old) == 0, "restore default");
	pthread_attr_destroy(&old);
	CHECK(pthread_getattr_default_np(&attr) == 0, "getattr_default_np");
	CHECK(pthread_attr_getstacksize(&attr, &size) == 0 && size == old_size,
	      "restored default stacksize %zu, was %zu", size, old_size);
	pthread_attr_destroy(&attr);
}

int main(void)
{
	test_round_trips();
	test_user_stack();
	test_reported_stacks();
	test_default_attr();
	return 0;
}
