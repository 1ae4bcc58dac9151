/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the shim's files: the real libc functions, start-up,
 * and the G of the calling thread.
 *
 * Every interposed function starts with shim_on(): until the runtime runs
 * it starts it, and if the runtime is off (SPROUT_OFF=1, or libc is not the
 * one the shim knows) the function calls the real one and nothing else.
 */
#ifndef SPROUT_SHIM_H
#define SPROUT_SHIM_H

#include <assert.h>
#include <dirent.h>
#include <dlfcn.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <threads.h>
#include <unistd.h>

#include "symbols.h"
#include "../syscall-wrap/decls.h"
#include "../compat/tcb.h"
#include "../sched/runtime.h"

#define SPROUT_EXPORT __attribute__((visibility("default")))

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define X(name, version) extern __typeof__(&name) real_##name hidden;
SPROUT_SYMBOLS(X)
#undef X
#pragma GCC diagnostic pop

#define REAL(name) (real_##name)

enum shim_state { SHIM_UNINIT, SHIM_STARTING, SHIM_ON, SHIM_OFF };
extern _Atomic int shim_state hidden;
void shim_init(void) hidden;

static inline bool shim_on(void)
{
	int s = atomic_load_explicit(&shim_state, memory_order_acquire);

	if (unlikely(s != SHIM_ON)) {
		if (s == SHIM_OFF)
			return false;
		shim_init();
		return atomic_load(&shim_state) == SHIM_ON;
	}
	return true;
}

/*
 * Is the shim on and the caller a G of its own, which can park (not a
 * thread the shim did not create, nor the runtime's own)?
 */
static inline bool shim_on_g(void)
{
	struct g *gp;

	if (!shim_on())
		return false;
	gp = getg();
	return gp && !(gp->flags & G_KERNEL_WAITS);
}

struct g *lockedg_attach(void) hidden;

/* The calling thread's G, made on first use in a thread not ours. */
static inline struct g *self_g(void)
{
	struct g *gp = getg();

	return likely(gp) ? gp : lockedg_attach();
}

/* A pthread_t is the address of its G. */
static inline struct g *g_of(pthread_t t)
{
	return (struct g *)t;
}

/* thread.c */
__attribute__((noreturn)) void thread_finish(struct g *gp, void *retval) hidden;
/* pthread_exit() of the calling G. */
__attribute__((noreturn)) void thread_exit(void *retval) hidden;
void main_landing_set(void) hidden;

/*
 * Cancellation (cancel.c). cancel_due(): a cancellation of the calling G
 * is to act at a cancellation point. cancel_point(): act on it if so;
 * every wrapped cancellation point calls it on entry, and again when its
 * wait ended without what it waited for (its handler ran: EINTR).
 */
bool cancel_due(void) hidden;
void cancel_point(void) hidden;
void cancel_init(void) hidden;
void thread_end_locked(struct g *gp) hidden;

/* key.c */
void tsd_run_destructors(struct g *gp) hidden;
void tsd_drop(struct g *gp) hidden;

/* attr.c */
void attr_defaults_init(const struct runtime_config *cfg) hidden;
bool attr_sigmask(const pthread_attr_t *attr, uint64_t *mask) hidden;
int attr_kattr(struct g *self, const pthread_attr_t *attr,
	       struct kattr *k) hidden;
/* shim/foreign.c: a G's scheduling through the calls that take a tid. */
bool g_alive(struct g *gp) hidden;
struct g *tid_g(pid_t tid) hidden;
struct g *priority_g(int which, id_t who) hidden;
long g_affinity_call(struct g *gp, bool set, size_t size,
		     cpu_set_t *mask) hidden;
long g_priority_call(struct g *gp, bool set, int nice) hidden;
long g_sched_call(struct g *gp, bool keep, int policy,
		  const struct sched_param *param) hidden;
long g_getsched(struct g *gp, bool getparam, struct sched_param *param) hidden;
long sys_result(long r) hidden;

/* cpuclock.c: the G whose CPU clock clk is, if any; its time now. */
struct g *cpuclock_g(clockid_t clk) hidden;
int cpuclock_now(struct g *gp, struct timespec *ts) hidden;

/* signal.c */
bool shim_pidfd_to_self(int fd, int sig, const void *info,
			unsigned int flags) hidden;

/* config.c */
void config_read(struct runtime_config *cfg) hidden;

#endif
