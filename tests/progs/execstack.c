// SPDX-License-Identifier: MIT
/*
 * dlopen() of a module that needs an executable stack makes every thread's
 * stack executable, as glibc's _dl_make_stacks_executable() does: threads
 * that existed before the load (waiting meanwhile), the initial thread, a
 * thread created after it, and one reusing a dead thread's stack all run
 * the module's trampoline on their stacks. Before the load, a stack is not
 * executable: code copied onto a thread's stack faults (in a child).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sys/mman.h>

#include "check.h"

#define N 5

static pthread_barrier_t ready, go;
static int (*tryme)(void);

static void *waiter(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);
	CHECK(tryme() == 42, "tryme on a thread made before the load");
	return NULL;
}

static void *after(void *arg)
{
	(void)arg;
	CHECK(tryme() == 42, "tryme on a thread made after the load");
	return NULL;
}

static void *run_stack_code(void *arg)
{
	unsigned char code[16] = { 0xc3 }; /* ret */

	(void)arg;
	((void (*)(void))(void *)code)();
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t[N], u;
	void *h;
	pid_t child;
	int status;

	watchdog(30);
	CHECK(argc == 2, "usage: execstack MODULE");

	/* Not executable yet: the program and libc do not ask for it. */
	child = fork();
	CHECK(child >= 0, "fork: %s", strerror(errno));
	if (child == 0) {
		pthread_create(&u, NULL, run_stack_code, NULL);
		pthread_join(u, NULL);
		_exit(0);
	}
	status = child_status(child, "the child");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "code on a thread's stack ran before the load (status %#x)",
	      status);

	/* A dead thread's stack, for the thread made after the load. */
	CHECK(pthread_create(&u, NULL, nothing, NULL) == 0, "pthread_create");
	CHECK(pthread_join(u, NULL) == 0, "pthread_join");

	CHECK(pthread_barrier_init(&ready, NULL, N + 1) == 0, "barrier");
	CHECK(pthread_barrier_init(&go, NULL, N + 1) == 0, "barrier");
	for (int i = 0; i < N; i++)
		CHECK(pthread_create(&t[i], NULL, waiter, NULL) == 0,
		      "pthread_create");
	pthread_barrier_wait(&ready);

	h = dlopen(argv[1], RTLD_NOW);
	if (!h)
		SKIP("cannot load %s: %s", argv[1], dlerror());
	tryme = (int (*)(void))dlsym(h, "tryme");
	CHECK(tryme != NULL, "dlsym: %s", dlerror());
	CHECK(tryme() == 42, "tryme on the initial thread");

	CHECK(pthread_create(&u, NULL, after, NULL) == 0, "pthread_create");
	CHECK(pthread_join(u, NULL) == 0, "pthread_join");
	pthread_barrier_wait(&go);
	for (int i = 0; i < N; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	return 0;
}
