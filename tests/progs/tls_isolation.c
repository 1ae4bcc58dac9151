/*
 * Proves that every thread keeps its own thread-local storage across
 * sched_yield(): errno, executable __thread variables, and general-dynamic
 * __thread variables of a dlopen()ed module (libtls_mod.so).  64 threads
 * set unique values and check them after each of 2000 yields.  Then, while
 * those threads are running, a second module (libtls_mod2.so) is dlopen()ed:
 * each thread must see its TLS initialisers and keep its own value in it.
 *
 * Usage: tls_isolation [libtls_mod.so [libtls_mod2.so]]; by default both
 * modules are looked up next to the executable.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define NTHREADS 64
#define NYIELDS1 2000
#define NYIELDS2 1000
#define MOD_BUF	 64 /* sizeof(mod_buf) in tls_mod.c */

static __thread int exe_var = 11;
static __thread char exe_arr[32];

static struct {
	int (*get)(void);
	void (*set)(int value);
	char *(*buf)(void);
} mod;

static struct {
	int (*get)(void);
	void (*set)(int value);
	const char *(*str)(void);
} mod2;

static atomic_int started, phase1_done;
static atomic_bool mod2_ready;

static char pattern(int id, size_t i)
{
	return (char)('A' + (id + (int)i) % 26);
}

static void fill(char *buf, size_t len, int id)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(id, i);
}

/* Whether buf holds thread id's pattern, or only zeros if id is -1. */
static bool holds(const char *buf, size_t len, int id)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != (id < 0 ? 0 : pattern(id, i)))
			return false;
	return true;
}

static void check_phase1(int id, int iter)
{
	CHECK(exe_var == id * 3 + 1 && mod.get() == id * 5 + 2,
	      "thread %d iteration %d: exe_var %d, mod_var %d", id, iter,
	      exe_var, mod.get());
	CHECK(holds(exe_arr, sizeof(exe_arr), id) &&
		      holds(mod.buf(), MOD_BUF, id),
	      "thread %d iteration %d: exe_arr \"%.32s\", mod_buf \"%.64s\"",
	      id, iter, exe_arr, mod.buf());
}

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg, i;

	CHECK(exe_var == 11 && mod.get() == 7,
	      "thread %d initial exe_var %d, mod_var %d", id, exe_var,
	      mod.get());
	CHECK(holds(exe_arr, sizeof(exe_arr), -1) &&
		      holds(mod.buf(), MOD_BUF, -1),
	      "thread %d: initial buffers not zero", id);
	exe_var = id * 3 + 1;
	fill(exe_arr, sizeof(exe_arr), id);
	mod.set(id * 5 + 2);
	fill(mod.buf(), MOD_BUF, id);

	atomic_fetch_add(&started, 1);
	CHECK(wait_until(atomic_load(&started) == NTHREADS, 30),
	      "only %d threads started", atomic_load(&started));
	for (i = 0; i < NYIELDS1; i++) {
		errno = 1000 + id;
		sched_yield();
		CHECK(errno == 1000 + id, "thread %d iteration %d: errno %d",
		      id, i, errno);
		check_phase1(id, i);
	}

	atomic_fetch_add(&phase1_done, 1);
	CHECK(wait_until(atomic_load(&mod2_ready), 30),
	      "second module never loaded");
	CHECK(mod2.get() == 42 && strcmp(mod2.str(), "mod2-init") == 0,
	      "thread %d: mod2 initial values %d \"%s\"", id, mod2.get(),
	      mod2.str());
	mod2.set(id * 11 + 3);
	for (i = 0; i < NYIELDS2; i++) {
		errno = 2000 + id;
		sched_yield();
		CHECK(errno == 2000 + id, "thread %d iteration %d: errno %d",
		      id, i, errno);
		check_phase1(id, i);
		CHECK(mod2.get() == id * 11 + 3,
		      "thread %d iteration %d: mod2_var %d", id, i, mod2.get());
	}
	return NULL;
}

/* Opens file, or if it is NULL, name in the executable's directory. */
static void *open_module(const char *file, const char *name)
{
	char path[PATH_MAX];
	void *handle;

	if (file == NULL) {
		ssize_t len = readlink("/proc/self/exe", path, sizeof(path));
		char *slash;

		CHECK(len > 0 && (size_t)len < sizeof(path),
		      "readlink /proc/self/exe: %m");
		path[len] = '\0';
		slash = strrchr(path, '/');
		CHECK(slash != NULL && strlen(name) < sizeof(path) - len,
		      "executable path %s", path);
		strcpy(slash + 1, name);
		file = path;
	}
	handle = dlopen(file, RTLD_NOW);
	CHECK(handle != NULL, "dlopen %s: %s", file, dlerror());
	return handle;
}

static void *symbol(void *handle, const char *name)
{
	void *sym = dlsym(handle, name);

	CHECK(sym != NULL, "dlsym %s: %s", name, dlerror());
	return sym;
}

int main(int argc, char *argv[])
{
	pthread_t tids[NTHREADS];
	void *handle;
	int i, err;

	CHECK(argc <= 3, "usage: %s [libtls_mod.so [libtls_mod2.so]]", argv[0]);
	handle = open_module(argc > 1 ? argv[1] : NULL, "libtls_mod.so");
	mod.get = (int (*)(void))symbol(handle, "tls_mod_get");
	mod.set = (void (*)(int))symbol(handle, "tls_mod_set");
	mod.buf = (char *(*)(void))symbol(handle, "tls_mod_buf");

	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&tids[i], NULL, worker,
				     (void *)(uintptr_t)i);
		CHECK(err == 0, "pthread_create: %s", strerror(err));
	}
	CHECK(wait_until(atomic_load(&phase1_done) == NTHREADS, 60),
	      "only %d threads finished phase 1", atomic_load(&phase1_done));

	handle = open_module(argc > 2 ? argv[2] : NULL, "libtls_mod2.so");
	mod2.get = (int (*)(void))symbol(handle, "tls_mod2_get");
	mod2.set = (void (*)(int))symbol(handle, "tls_mod2_set");
	mod2.str = (const char *(*)(void))symbol(handle, "tls_mod2_str");
	atomic_store(&mod2_ready, true);

	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(tids[i], NULL) == 0, "pthread_join");
	CHECK(exe_var == 11 && mod.get() == 7 && mod2.get() == 42,
	      "main's values changed: %d %d %d", exe_var, mod.get(),
	      mod2.get());
	return 0;
}
