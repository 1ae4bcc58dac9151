// SPDX-License-Identifier: MIT
/*
 * Start-up: resolve the real libc functions, read the configuration, start
 * the runtime on the calling thread (normally the initial thread, from the
 * constructor; another library's constructor may call in first).
 *
 * Resolution happens once, before any G exists, and allocates nothing the
 * program could see: dlsym() is safe here because the shim interposes no
 * allocator.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

#include "shim.h"
#include "../syscall-wrap/wrap.h"
#include "../compat/tcb.h"
#include "../arch/x86_64/sys.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define X(name, version) __typeof__(&name) real_##name;
SPROUT_SYMBOLS(X)
#undef X
#pragma GCC diagnostic pop

_Atomic int shim_state;

/* A libc key whose destructor tells us a foreign kernel thread ended. */
static pthread_key_t locked_key;

static void *real_sym(const char *name, const char *version)
{
#ifdef __GLIBC__
	return version ? dlvsym(RTLD_NEXT, name, version)
		       : dlsym(RTLD_NEXT, name);
#else
	(void)version; /* musl's symbols have no versions */
	return dlsym(RTLD_NEXT, name);
#endif
}

/* With a glibc compat/ does not know, names it lacks stay NULL. */
static void resolve(bool known)
{
	bool missing = false;

#define X(name, version)                                                 \
	real_##name = (__typeof__(real_##name))real_sym(#name, version); \
	if (!real_##name && known) {                                     \
		print("sprout: libc has no " #name "\n");                \
		missing = true;                                          \
	}
	SPROUT_SYMBOLS(X)
#undef X
	if (missing && known)
		fatal("cannot run without the functions above");
}

static void locked_thread_ended(void *arg)
{
	thread_end_locked(arg);
}

/*
 * Start the runtime, unless SPROUT_OFF says not to or glibc is a release
 * whose internals compat/ does not know (version): then nothing of the
 * runtime starts, and the program runs on libc's functions alone.
 */
static bool start(const char *version)
{
	struct runtime_config cfg;
	const char *why = NULL;
	char *off = getenv("SPROUT_OFF");

	if (off && off[0] && !(off[0] == '0' && off[1] == 0))
		return false;
	if (!tcb_libc_known(version)) {
		print("sprout: " LIBC_NAME " ");
		print(version ? version : "(unknown)");
		print(" is not a release sprout knows; running the program "
		      "without sprout\n");
		return false;
	}
	copy_init();
	config_read(&cfg);
	cfg.thread_create = REAL(pthread_create);
	cfg.clock_gettime = REAL(clock_gettime);
	attr_defaults_init(&cfg);
	if (REAL(pthread_key_create)(&locked_key, locked_thread_ended)) {
		warn("no libc key left; running the program without sprout");
		return false;
	}
	if (schedinit(&cfg, &why)) {
		print("sprout: ");
		print(why);
		print("; running the program without sprout\n");
		return false;
	}
	cancel_init();
	return true;
}

/* The kernel thread starting the runtime; it may call back in meanwhile. */
static _Atomic long starter;

/*
 * Start the runtime once. Other threads wait for the outcome; the starting
 * thread itself, called back during start-up (an allocator's constructor
 * creating a key, say), gets libc's functions, which are resolved first.
 */
void shim_init(void)
{
	int expect = SHIM_UNINIT;
	int saved = errno;

	if (atomic_compare_exchange_strong(&shim_state, &expect,
					   SHIM_STARTING)) {
		const char *version = tcb_libc_version();

		atomic_store(&starter, sys_gettid());
		resolve(tcb_libc_known(version));
		atomic_store_explicit(&shim_state,
				      start(version) ? SHIM_ON : SHIM_OFF,
				      memory_order_release);
	} else if (atomic_load(&starter) != sys_gettid()) {
		while (atomic_load(&shim_state) == SHIM_STARTING)
			sys0(SYS_sched_yield);
	}
	errno = saved;
}

__attribute__((constructor(101))) static void shim_constructor(void)
{
	shim_init();
}

/* A G for the calling kernel thread, which the shim did not create. */
struct g *lockedg_attach(void)
{
	struct g *gp = lockedg_new();

	if (!gp)
		fatal("out of memory for a thread's descriptor");
	gp->detached = true; /* nobody holds its pthread_t from creation */
	REAL(pthread_setspecific)(locked_key, gp);
	return gp;
}
