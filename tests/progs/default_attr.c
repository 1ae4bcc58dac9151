// SPDX-License-Identifier: MIT
/*
 * pthread_getattr_np() of a thread shows what it was created with: the
 * detach state and inheritsched of its attribute, or, created without one,
 * those pthread_setattr_default_np() set (glibc's pthread_create() takes
 * the whole default attribute), and the default stack size. Set back to
 * joinable and inherited, the defaults apply again.
 */
#include <pthread.h>

#include "check.h"

struct seen {
	int detach, inherit;
	size_t stack;
	sem_t done;
};

static void *look(void *arg)
{
	struct seen *s = arg;
	pthread_attr_t a;

	memset(&a, 0xab, sizeof(a));
	CHECK(pthread_getattr_np(pthread_self(), &a) == 0, "getattr_np");
	CHECK(pthread_attr_getdetachstate(&a, &s->detach) == 0, "detach");
	CHECK(pthread_attr_getinheritsched(&a, &s->inherit) == 0, "inherit");
	CHECK(pthread_attr_getstacksize(&a, &s->stack) == 0, "stacksize");
	CHECK(pthread_attr_destroy(&a) == 0, "attr destroy");
	CHECK(sem_post(&s->done) == 0, "sem_post");
	return NULL;
}

/* Start a thread with attr (NULL: the defaults) and report what it saw. */
static void run(const pthread_attr_t *attr, struct seen *s, bool join)
{
	pthread_t t;

	CHECK(sem_init(&s->done, 0, 0) == 0, "sem_init");
	CHECK(pthread_create(&t, attr, look, s) == 0, "pthread_create");
	sem_wait20(&s->done, "the thread's look");
	if (join)
		CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(sem_destroy(&s->done) == 0, "sem_destroy");
}

int main(void)
{
	size_t stack = 1024 * 1024 + 3 * 4096;
	pthread_attr_t a;
	struct seen s;

	watchdog(30);
	CHECK(pthread_attr_init(&a) == 0, "attr init");
	CHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0,
	      "setdetachstate");
	CHECK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED) == 0,
	      "setinheritsched");
	CHECK(pthread_attr_setstacksize(&a, stack) == 0, "setstacksize");

	/* With the attribute itself. */
	run(&a, &s, false);
	CHECK(s.detach == PTHREAD_CREATE_DETACHED, "attribute: detach %d",
	      s.detach);
	CHECK(s.inherit == PTHREAD_EXPLICIT_SCHED, "attribute: inherit %d",
	      s.inherit);

	/* As the default, twice: the first thread must not use it up. */
	CHECK(pthread_setattr_default_np(&a) == 0, "setattr_default_np");
	for (int i = 0; i < 2; i++) {
		run(NULL, &s, false);
		CHECK(s.detach == PTHREAD_CREATE_DETACHED,
		      "default %d: detach %d", i, s.detach);
		CHECK(s.inherit == PTHREAD_EXPLICIT_SCHED,
		      "default %d: inherit %d", i, s.inherit);
		CHECK(s.stack >= stack, "default %d: stack %zu < %zu", i,
		      s.stack, stack);
	}

	/* Back to joinable and inherited. */
	CHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE) == 0,
	      "setdetachstate");
	CHECK(pthread_attr_setinheritsched(&a, PTHREAD_INHERIT_SCHED) == 0,
	      "setinheritsched");
	CHECK(pthread_setattr_default_np(&a) == 0, "setattr_default_np");
	run(NULL, &s, true);
	CHECK(s.detach == PTHREAD_CREATE_JOINABLE, "reset: detach %d",
	      s.detach);
	CHECK(s.inherit == PTHREAD_INHERIT_SCHED, "reset: inherit %d",
	      s.inherit);
	CHECK(pthread_attr_destroy(&a) == 0, "attr destroy");
	return 0;
}
