/*
 * Proves that thread names are per thread:
 * - a new thread's name is its creator's name at creation time (for main
 *   and for a thread that renamed itself before creating another);
 * - pthread_setname_np/pthread_getname_np work on the calling thread and
 *   on another running (yielding) thread;
 * - two threads' names do not interfere, across 1000 yields each, nor
 *   with main's name, including when main renames one of them;
 * - prctl(PR_SET_NAME/PR_GET_NAME) name the calling thread as those do:
 *   each sees the other's, a new thread reads its creator's name, across
 *   yields too; longer names are cut to 15 bytes; a bad pointer is
 *   EFAULT.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>

#include "check.h"

#define NAMELEN 16

struct named {
	pthread_t tid;
	const char *own, *renamed;
	char initial[NAMELEN];
	atomic_bool named, looped;
};

static atomic_bool release;

static void get_name(pthread_t tid, char *name)
{
	int err = pthread_getname_np(tid, name, NAMELEN);

	CHECK(err == 0, "pthread_getname_np: %s", strerror(err));
}

static void set_name(pthread_t tid, const char *name)
{
	int err = pthread_setname_np(tid, name);

	CHECK(err == 0, "pthread_setname_np(%s): %s", name, strerror(err));
}

static bool has_name(pthread_t tid, const char *expected)
{
	char name[NAMELEN];

	get_name(tid, name);
	return strcmp(name, expected) == 0;
}

static void *report_initial(void *arg)
{
	struct named *n = arg;

	get_name(pthread_self(), n->initial);
	return NULL;
}

static void start(struct named *n, void *(*fn)(void *))
{
	int err = pthread_create(&n->tid, NULL, fn, n);

	CHECK(err == 0, "pthread_create: %s", strerror(err));
}

/* Renames itself, then creates a thread that must inherit that name. */
static void *rename_and_create(void *arg)
{
	struct named *n = arg, child = { 0 };

	get_name(pthread_self(), n->initial);
	set_name(pthread_self(), n->own);
	start(&child, report_initial);
	CHECK(pthread_join(child.tid, NULL) == 0, "pthread_join");
	CHECK(strcmp(child.initial, n->own) == 0,
	      "grandchild named \"%s\", creator \"%s\"", child.initial, n->own);
	return NULL;
}

static void test_inherited(void)
{
	struct named a = { 0 }, b = { .own = "names-b" };
	char main_name[NAMELEN];

	get_name(pthread_self(), main_name);
	start(&a, report_initial);
	CHECK(pthread_join(a.tid, NULL) == 0, "pthread_join");
	CHECK(strcmp(a.initial, main_name) == 0,
	      "new thread named \"%s\", main \"%s\"", a.initial, main_name);

	set_name(pthread_self(), "names-main");
	start(&b, rename_and_create);
	CHECK(pthread_join(b.tid, NULL) == 0, "pthread_join");
	CHECK(strcmp(b.initial, "names-main") == 0,
	      "thread created after renaming main named \"%s\"", b.initial);
	CHECK(has_name(pthread_self(), "names-main"),
	      "main renamed by its threads");
}

static void *keep_name(void *arg)
{
	struct named *n = arg;
	int i;

	set_name(pthread_self(), n->own);
	CHECK(has_name(pthread_self(), n->own), "own name not set");
	atomic_store(&n->named, true);
	for (i = 0; i < 1000; i++) {
		sched_yield();
		CHECK(has_name(pthread_self(), n->own),
		      "%s: name changed at yield %d", n->own, i);
	}
	atomic_store(&n->looped, true);
	if (n->renamed != NULL)
		CHECK(wait_until(has_name(pthread_self(), n->renamed), 10),
		      "%s never saw its new name %s", n->own, n->renamed);
	CHECK(wait_until(atomic_load(&release), 30), "never released");
	return NULL;
}

static void test_independent(void)
{
	struct named x = { .own = "name-x", .renamed = "renamed-x" };
	struct named y = { .own = "name-y" };

	start(&x, keep_name);
	start(&y, keep_name);
	CHECK(wait_until(atomic_load(&x.named) && atomic_load(&y.named), 10),
	      "threads did not name themselves");
	CHECK(has_name(x.tid, "name-x") && has_name(y.tid, "name-y"),
	      "main does not see the threads' own names");
	CHECK(wait_until(atomic_load(&x.looped) && atomic_load(&y.looped), 30),
	      "threads did not finish their loops");
	set_name(x.tid, x.renamed);
	CHECK(has_name(x.tid, x.renamed) && has_name(y.tid, "name-y"),
	      "main does not see the rename");
	atomic_store(&release, true);
	CHECK(pthread_join(x.tid, NULL) == 0, "pthread_join");
	CHECK(pthread_join(y.tid, NULL) == 0, "pthread_join");
	CHECK(has_name(pthread_self(), "names-main"),
	      "main renamed by its threads");
}

static void prctl_name(char *name)
{
	CHECK(prctl(PR_GET_NAME, name) == 0, "PR_GET_NAME: %s",
	      strerror(errno));
}

static void *prctl_thread(void *arg)
{
	char name[NAMELEN], creator[NAMELEN];
	int i;

	(void)arg;
	get_name(pthread_self(), creator);
	prctl_name(name);
	CHECK(strcmp(name, creator) == 0,
	      "PR_GET_NAME of a new thread \"%s\", pthread_getname_np \"%s\"",
	      name, creator);
	CHECK(prctl(PR_SET_NAME, "by-prctl") == 0, "PR_SET_NAME: %s",
	      strerror(errno));
	CHECK(has_name(pthread_self(), "by-prctl"),
	      "pthread_getname_np does not see PR_SET_NAME's name");
	set_name(pthread_self(), "by-setname");
	for (i = 0; i < 100; i++) {
		sched_yield();
		prctl_name(name);
		CHECK(strcmp(name, "by-setname") == 0,
		      "PR_GET_NAME \"%s\" at yield %d, want by-setname", name,
		      i);
	}
	CHECK(prctl(PR_SET_NAME, "a-name-longer-than-fifteen") == 0,
	      "PR_SET_NAME: %s", strerror(errno));
	prctl_name(name);
	CHECK(strcmp(name, "a-name-longer-t") == 0, "long name read as \"%s\"",
	      name);
	errno = 0;
	CHECK(prctl(PR_SET_NAME, (char *)8) == -1 && errno == EFAULT,
	      "PR_SET_NAME of a bad pointer: %s", strerror(errno));
	CHECK(prctl(PR_GET_NAME, (char *)8) == -1 && errno == EFAULT,
	      "PR_GET_NAME to a bad pointer: %s", strerror(errno));
	return NULL;
}

static void test_prctl(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, prctl_thread, NULL) == 0,
	      "pthread_create");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(has_name(pthread_self(), "names-main"),
	      "main renamed by a thread's prctl");
}

int main(void)
{
	test_inherited();
	test_independent();
	test_prctl();
	return 0;
}
