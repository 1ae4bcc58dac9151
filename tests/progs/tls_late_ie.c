/*
 * Proves that a module with initial-exec (static) TLS dlopen()ed while
 * threads already run is initialised in each of them: 32 threads are
 * started and are yielding when main loads libtls_ie_mod.so; each must then
 * read the initialisers (42, "ie-init"), and keep a value of its own across
 * 500 yields.
 *
 * Usage: tls_late_ie PATH/libtls_ie_mod.so
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"

#define NTHREADS 32
#define NYIELDS	 500

static struct {
	int (*get)(void);
	void (*set)(int v);
	const char *(*str)(void);
} mod;

static atomic_int started;
static atomic_bool loaded;

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg, i;

	atomic_fetch_add(&started, 1);
	CHECK(wait_until(atomic_load(&loaded), 30), "module never loaded");
	CHECK(mod.get() == 42, "thread %d: ie_var %d, want 42", id, mod.get());
	CHECK(strcmp(mod.str(), "ie-init") == 0, "thread %d: ie_str '%s'", id,
	      mod.str());
	mod.set(1000 + id);
	for (i = 0; i < NYIELDS; i++) {
		sched_yield();
		CHECK(mod.get() == 1000 + id, "thread %d: ie_var %d", id,
		      mod.get());
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	const char *path = argv[1];
	void *h;
	int i;

	CHECK(argc == 2, "usage: tls_late_ie PATH/libtls_ie_mod.so");
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker,
				     (void *)(intptr_t)i) == 0,
		      "pthread_create");
	CHECK(wait_until(atomic_load(&started) == NTHREADS, 30),
	      "threads did not start");
	h = dlopen(path, RTLD_NOW);
	if (!h && strstr(dlerror(), "static TLS"))
		SKIP("no static TLS left for %s", path);
	CHECK(h, "dlopen %s: %s", path, dlerror());
	mod.get = (int (*)(void))dlsym(h, "ie_get");
	mod.set = (void (*)(int))dlsym(h, "ie_set");
	mod.str = (const char *(*)(void))dlsym(h, "ie_s");
	CHECK(mod.get && mod.set && mod.str, "dlsym");
	CHECK(mod.get() == 42, "main: ie_var %d", mod.get());
	atomic_store(&loaded, true);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	return 0;
}
