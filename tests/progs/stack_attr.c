/*
 * A thread's stack size comes from its attribute only where the program
 * set one:
 * - a thread made with an attribute that sets only the detach state, or
 *   only the guard, has the stack of one made with NULL;
 * - one made with pthread_attr_setstacksize(1 MiB) has at least that;
 * - after pthread_setattr_default_np() of an attribute that sets only the
 *   detach state, a thread made with NULL still has the same stack, and
 *   after one that sets 1 MiB, that.
 * Run natively and preloaded as any program here, and by the shim's
 * config check with SPROUT_STACK=256K, which every thread without a size
 * of its own must then get.
 */
#include <pthread.h>

#include "check.h"

static void *body(void *arg)
{
	pthread_attr_t a;
	size_t *size = arg;

	CHECK(pthread_getattr_np(pthread_self(), &a) == 0, "getattr_np");
	CHECK(pthread_attr_getstacksize(&a, size) == 0, "getstacksize");
	pthread_attr_destroy(&a);
	return NULL;
}

/* The stack size a thread made with attr (or NULL) sees it has. */
static size_t stack_of(const pthread_attr_t *attr)
{
	pthread_attr_t joinable;
	size_t size = 0;
	pthread_t t;
	int detach = PTHREAD_CREATE_JOINABLE;

	if (attr)
		pthread_attr_getdetachstate(attr, &detach);
	if (detach == PTHREAD_CREATE_DETACHED) {
		/* Same attribute, joinable, so that the size can be taken. */
		joinable = *attr;
		pthread_attr_setdetachstate(&joinable, PTHREAD_CREATE_JOINABLE);
		attr = &joinable;
	}
	CHECK(pthread_create(&t, attr, body, &size) == 0, "pthread_create");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	return size;
}

int main(void)
{
	pthread_attr_t a;
	size_t dflt, got, want;
	const char *env = getenv("STACK_ATTR_WANT");

	dflt = stack_of(NULL);
	if (env) {
		want = strtoul(env, NULL, 0);
		CHECK(dflt >= want && dflt < want + 256 * 1024,
		      "default stack %zu, SPROUT_STACK %zu", dflt, want);
	}

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	got = stack_of(&a);
	CHECK(got == dflt, "detach-only attribute: %zu, default %zu", got,
	      dflt);
	pthread_attr_destroy(&a);

	pthread_attr_init(&a);
	pthread_attr_setguardsize(&a, 3 * 4096);
	got = stack_of(&a);
	CHECK(got == dflt, "guard-only attribute: %zu, default %zu", got, dflt);
	pthread_attr_destroy(&a);

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1024 * 1024);
	got = stack_of(&a);
	CHECK(got >= 1024 * 1024, "1 MiB asked, %zu given", got);
	pthread_attr_destroy(&a);

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE);
	CHECK(pthread_setattr_default_np(&a) == 0, "setattr_default_np");
	pthread_attr_destroy(&a);
	got = stack_of(NULL);
	CHECK(got == dflt, "after a default without a size: %zu, was %zu", got,
	      dflt);

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1024 * 1024);
	CHECK(pthread_setattr_default_np(&a) == 0, "setattr_default_np");
	pthread_attr_destroy(&a);
	got = stack_of(NULL);
	CHECK(got >= 1024 * 1024 && got < 2 * 1024 * 1024,
	      "default of 1 MiB set, %zu given", got);
	puts("ok");
	return 0;
}
