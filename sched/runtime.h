/* SPDX-License-Identifier: MIT */
/*
 * The runtime: Gs (green threads), Ms (kernel threads) and Ps (logical
 * processors), as in Go's runtime (runtime2.go, proc.go). Where a function
 * here has a Go name, it keeps Go's contract and Go's comments describe it.
 *
 * Ownership in one paragraph: a G runs only on an M that holds a P. An M
 * without a P sleeps on its note or is spinning to find work. Only code that
 * runs on behalf of a G holding a P (or on the M's g0) touches that P.
 *
 * The types are in types.h (Go's runtime2.go); lock order: enum lock_rank
 * there.
 */
#ifndef SPROUT_SCHED_RUNTIME_H
#define SPROUT_SCHED_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#define hidden	    __attribute__((visibility("hidden")))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#include "types.h"

/* alloc.c */
void *rt_alloc(size_t n) hidden;
void rt_free(void *p, size_t n) hidden;
void alloc_afterfork_child(void) hidden;

/* lock.c */
static inline void lock_init(struct lock *l, enum lock_rank rank)
{
	*l = (struct lock)LOCK_INIT(rank);
	(void)rank;
}

void lock(struct lock *l);
void unlock(struct lock *l);
uint64_t lock_nosig(struct lock *l);
void unlock_nosig(struct lock *l, uint64_t mask);

#ifdef SPROUT_LOCK_RANK
void lock_thread_reset(void) hidden;
void lock_assert_none(const char *where) hidden;
void lock_sigctx(int delta) hidden;
int lock_sigctx_swap(int v) hidden;
#else
static inline void lock_thread_reset(void)
{
}

static inline void lock_assert_none(const char *where)
{
	(void)where;
}

static inline void lock_sigctx(int delta)
{
	(void)delta;
}

static inline int lock_sigctx_swap(int v)
{
	return v;
}
#endif

void notesleep(struct note *n);
void notewakeup(struct note *n);
void noteclear(struct note *n);

extern struct schedt sched hidden;
extern struct p *allp hidden;
extern int nprocs hidden;

/* The G running on this kernel thread; per G, since TLS follows the G. */
extern __thread struct g *cur_g __attribute__((tls_model("initial-exec")))
hidden;

static inline struct g *getg(void)
{
	return cur_g;
}

/*
 * Is gp, running on this kernel thread, in the runtime's code: entered
 * (rt_enter()), or holding a runtime lock at depth 0? No handler of the
 * program's runs there, nor is the G stopped (sig_defer(), preemption).
 */
static inline bool g_inside(const struct g *gp)
{
	return gp->rtdepth || (gp->m && gp->m->locks);
}

/*
 * Say what the calling G is about to wait on (g->wait), for a dump; a
 * thread the shim did not create may have no G.
 */
static inline void g_wait_set(uint32_t what, const void *obj, int fd,
			      int64_t until)
{
	struct g *gp = getg();

	if (gp)
		gp->wait = (struct gwait){
			.what = what, .obj = obj, .fd = fd, .until = until
		};
}

static inline void g_waitfor(uint32_t what, const void *obj, int64_t until)
{
	g_wait_set(what, obj, -1, until);
}

static inline void g_waitfd(uint32_t what, int fd, int64_t until)
{
	g_wait_set(what, NULL, fd, until);
}

/*
 * The P of the calling G, or NULL (a locked G holds none). Only between
 * rt_enter() and rt_exit() (or on g0) is it sure to be the G's still.
 */
static inline struct p *getp(void)
{
	struct g *gp = cur_g;

	return gp && gp->m ? gp->m->p : NULL;
}

/* sched/arch: save callee-saved state and rsp in *save_sp; resume sp. */
void ctx_switch(void **save_sp, void *sp, void *fs) hidden;
void *ctx_init(void *stack_top, void (*fn)(void *), void *arg) hidden;
void ctx_use_wrfsbase(bool yes) hidden;
long thread_clone(unsigned long flags, void *stack, pid_t *ptid, pid_t *ctid,
		  void *tls, void *(*fn)(void *), void *arg) hidden;
bool ctx_sent_self(const void *uc, int sig, long pid, long tid) hidden;

/* runq.c */
bool runqput(struct p *pp, struct g *gp, bool next) hidden;
struct g *runqget(struct p *pp) hidden;
struct g *runqsteal(struct p *pp, struct p *p2, bool stealrunnext) hidden;
bool runqempty(struct p *pp) hidden;
void globrunqput(struct g *gp) hidden;
struct g *globrunqget(struct p *pp, int max) hidden;

/* proc.c */
struct g *gnew(size_t stack_size, size_t guard, void *user_stack,
	       int *err) hidden;
void gostart(struct g *gp, void (*fn)(void *), void *arg) hidden;
void mcall(struct g *(*fn)(struct m *, struct g *)) hidden;
void gopark(bool (*unlockf)(struct g *, void *), void *lk) hidden;
void goready(struct g *gp) hidden;
void gosched(void) hidden;
void gopreempt(void) hidden;
void goready_handoff(struct g *gp) hidden;
struct g *gosched_m(struct m *mp, struct g *gp) hidden;
__attribute__((noreturn)) void goexit(void) hidden;
void gdead(struct g *gp) hidden;
void gfree(struct g *gp) hidden;
/* A new G's locks, with their ranks. */
void g_locks_init(struct g *gp) hidden;
void g_lock(struct g *gp) hidden;
void g_unlock(struct g *gp) hidden;
struct g *lockedg_new(void) hidden;
bool canspin(int i) hidden;
void procyield(int n) hidden;

/* sched.c */
int schedinit(const struct runtime_config *cfg, const char **why) hidden;
typedef int (*thread_create_fn)(pthread_t *, const pthread_attr_t *,
				void *(*)(void *), void *);
/* libc's pthread_create, which makes Ms (and sysmon). */
extern thread_create_fn os_thread_create hidden;
int runtime_thread_create(thread_create_fn create, pthread_t *t,
			  pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg) hidden;
/* When the Ms' starts began to fail, or 0. */
extern _Atomic int64_t failing_since hidden;
void acquirep(struct m *mp, struct p *pp) hidden;
void pidleput(struct p *pp) hidden;
struct p *pidleget(void) hidden;
void stopm(struct m *mp) hidden;
void wakep(void) hidden;
void handoffp(struct p *pp) hidden;

/* enter.c */
struct p *rt_enter(void) hidden;
void rt_exit(void) hidden;
void entersyscall(void) hidden;
void entersyscallblock(void) hidden;
void exitsyscall(void) hidden;
void g_wire(struct g *gp) hidden;
void g_unwire(struct g *gp) hidden;

/* fork.c */
void sched_afterfork_child(bool libc_reclaimed) hidden;
void afterfork_child(void) hidden;
void fork_hold(void) hidden;
void fork_unhold(void) hidden;
void fork_gate_close(void) hidden;
void fork_gate_open(void) hidden;
/* Forks this process's line has come through: each child counts one more. */
extern _Atomic unsigned int sched_forks hidden;

/* kattr.c */
extern struct kattr kattr_default hidden;
bool kattr_is_default(const struct kattr *k) hidden;
int kattr_check(const struct kattr *cur, int policy, int prio) hidden;
int kattr_nice(struct kattr *k, int nice) hidden;
int kattr_read(struct kattr *k) hidden;
long kattr_setattr(struct g *gp, const void *attr, unsigned int flags) hidden;
int kattr_cpus(struct kattr *k, size_t size, const cpu_set_t *set) hidden;
const cpu_set_t *kattr_cpuset(const cpu_set_t *set) hidden;
int kattr_set(struct g *gp, const struct kattr *k) hidden;
void kattr_get(struct g *gp, struct kattr *k) hidden;
void kattr_start(struct g *gp, const struct kattr *k) hidden;
void kattr_init(void) hidden;
int kattr_apply(pid_t tid, const struct kattr *k) hidden;
void kattr_sync(struct g *gp) hidden;
void kattr_unwired(struct g *gp) hidden;
extern _Atomic bool kattr_used hidden;

/* timer.c */
int64_t nanotime(void) hidden;
int64_t nanotime_coarse(void) hidden; /* a tick's precision; cheaper */
void nanotime_init(int (*read)(clockid_t, struct timespec *)) hidden;
void timer_add(struct timer *t) hidden;
bool timer_del(struct timer *t) hidden;
int64_t checktimers(struct p *pp, int64_t now) hidden;
int64_t timers_next(void) hidden;
void timers_init(struct p *pp) hidden;
bool timer_sleep(int64_t until) hidden;
void wake_timer_sleeper_now(void) hidden;

/* cputime.c */
/* The kernel's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): tid's CPU clock. */
static inline clockid_t thread_cpuclock(pid_t tid)
{
	return (clockid_t)((~(unsigned int)tid << 3) | 6);
}
extern _Atomic bool cputime_on hidden;
int64_t thread_cputime(pid_t tid) hidden;
void cputime_in(struct m *mp, struct g *gp) hidden;
void cputime_out(struct m *mp, struct g *gp) hidden;
void cputime_start(struct g *self) hidden;
void cputime_reset(struct g *gp) hidden;
int64_t g_cputime(struct g *gp) hidden;
void cputime_afterfork_child(struct m *mp, struct g *gp) hidden;

/* sysmon.c */
int sysmon_start(thread_create_fn thread_create, int schedtrace_ms) hidden;
int sysmon_start_child(void) hidden;
void sysmon_wakeup(void) hidden;
void sysmon_poke(void) hidden;
void sysmon_kick(void) hidden;

/*
 * What a G's handlers were (g->sigran): a wait of the
 * runtime's ends as the system call it stands for would. Any handler ends
 * sleeps and polls; one without SA_RESTART ends reads and writes too.
 */
#define SIGRAN		 1u
#define SIGRAN_NORESTART 2u

/*
 * libc's signals of its own, which no thread blocks and the program can
 * neither catch nor send; the program's real-time signals come after.
 * glibc: nptl/pthreadP.h. musl (pthread_impl.h) also keeps 32, SIGTIMER,
 * for timer_create()'s threads.
 */
#ifdef __GLIBC__
#define LIBC_SIGCANCEL 32 /* cancellation */
#define LIBC_SIGSETXID 33 /* setuid() and the like, to every thread */
#else
#define LIBC_SIGCANCEL 33
#define LIBC_SIGSETXID 34 /* musl's SIGSYNCCALL */
#endif

/* signal.c */
extern struct g g_main hidden;
void m_sigmask_set(struct m *mp, uint64_t mask) hidden;
void m_sigmask_idle(struct m *mp) hidden;
void m_sigmask_unknown(struct m *mp) hidden;
int g_sigmask(int how, const sigset_t *set, sigset_t *old) hidden;
uint64_t g_sigmask_during(const sigset_t *mask) hidden;
void g_sigmask_end(uint64_t old) hidden;
int g_kill(struct g *gp, int sig) hidden;
int g_sigqueue(struct g *gp, int sig, union sigval value) hidden;
void g_cancel_kick(struct g *gp, bool now) hidden;
bool sig_defer(int sig, const siginfo_t *info, void *uc) hidden;
void sig_running(bool restart) hidden;
void sig_handler_mask(int sig, const sigset_t *sa_mask, bool nodefer,
		      const void *uc, struct sig_masks *saved) hidden;
void sig_handler_done(const void *uc, const struct sig_masks *saved) hidden;
void sig_wait_begin(struct g *gp) hidden;
void sig_wait_cancellable(struct g *gp) hidden;
uint32_t sig_wait_ran(struct g *gp) hidden;
void g_sigsuspend_main(const sigset_t *mask) hidden;
void sig_arrived(int sig, const siginfo_t *info, bool restart) hidden;
void sig_interrupt_main(void) hidden;
void sig_afterfork_child(struct g *gp) hidden;
void sig_g_dead(struct g *gp) hidden;
bool sig_info_restore(siginfo_t *info) hidden;
bool sig_kicked(const siginfo_t *info, void *uc) hidden;
/* The shim's SIGCANCEL handler takes kicks now: send them. */
void sig_kicks_taken(void) hidden;
void sig_preempt(struct m *mp) hidden;
/* preempt.c */
void preempt_init(void) hidden;
void preempt_async(void *uc) hidden;
void sig_route_newg(uint64_t mask) hidden;
bool sig_route_work(void) hidden;
void sig_route(void) hidden;
void sigpend_deliver(struct g *gp) hidden;
void m_kpend_take(struct m *mp, struct g *gp) hidden;
void m_kicks_drain(struct g *gp) hidden;

/* sigq.c */
#define SIGQ_NODES   16384 /* the pool of queued signals */
#define SIGQ_RESERVE 1024  /* the part for signals the kernel gave already */
bool sigq_push(struct sigq *q, int sig, const siginfo_t *info, bool process,
	       bool back) hidden;
struct sigq_node *sigq_take(struct sigq *q, int sig) hidden;
void sigq_free(struct sigq_node *n) hidden;
bool sigq_room(void) hidden;
void sigq_init(struct sigq *q) hidden;
void sigq_afterfork_child(struct sigq *q) hidden;

bool sig_left_take(struct g *gp) hidden;
void sig_left_wake(struct g *gp) hidden;
void sig_push(const sigset_t *set) hidden;
void sig_push_unblocked(void) hidden;
int g_sigpending(sigset_t *set) hidden;
bool sig_send_self(int sig, const siginfo_t *info) hidden;

/*
 * The signals left for gp (sigpend) that it does not block: those a wait
 * of its must end for, and rt_exit() delivers. Blocked ones stay pending
 * until the G unblocks them (g_sigmask()), as on a thread.
 */
static inline uint64_t g_sigready(struct g *gp)
{
	return atomic_load(&gp->sigpend) & ~gp->sigmask;
}
int g_sleep(int64_t deadline) hidden;

/*
 * A safe point in the program's code, after the shim released a lock,
 * posted or signalled: yield if sysmon asked this P to (sysmon.c), and
 * take a P again if sysmon took this one while the G was blocked where the
 * shim could not see.
 */
static inline void preempt_check(void)
{
	struct g *gp = getg();
	struct m *mp = gp ? gp->m : NULL;
	struct p *pp = mp ? mp->p : NULL;

	if (unlikely(
		    pp && gp->rtdepth == 0 && gp->sysdepth == 0 &&
		    !(gp->flags & G_G0) &&
		    (atomic_load_explicit(&pp->preempt, memory_order_relaxed) ||
		     atomic_load_explicit(&pp->state, memory_order_relaxed) !=
			     (mp->pgen | P_USER)) &&
		    !mp->locks))
		gopreempt();
}

/* stack.c */
int stack_setup(size_t default_size, size_t default_guard) hidden;
struct g *stack_gget(struct p *pp, size_t size, size_t guard, int *err) hidden;
struct g *stack_gget_user(void *lo, size_t size, int *err) hidden;
void stack_gput(struct p *pp, struct g *gp) hidden;
void stack_scavenge(int64_t now) hidden;
void stack_overflow_setup(int (*act)(int, const struct sigaction *,
				     struct sigaction *)) hidden;
void stack_m_init(struct m *mp) hidden;
void stack_m_exit(struct m *mp) hidden;
void m_altstack_set(struct m *mp, struct g *gp) hidden;
void stack_onstack_used(void) hidden;
int g_sigaltstack(const stack_t *ss, stack_t *old) hidden;
void stack_afterfork_child(void) hidden;
void wt_init(void) hidden;
void wt_afterfork_child(void) hidden;
void stack_foreach_tcb(void (*fn)(void *)) hidden;
struct g *stack_find(bool (*fn)(struct g *gp, void *arg), void *arg) hidden;
struct g *stack_find_g(const void *addr, bool *in_guard) hidden;

/* debug.c */
__attribute__((noreturn)) void fatal(const char *msg) hidden;
void warn(const char *msg) hidden;
void print(const char *s) hidden;
void thread_name(const char *prefix, int n) hidden;
void dump_init(const char *path, int sig,
	       int (*sigaction)(int, const struct sigaction *,
				struct sigaction *)) hidden;
void dump_all(void) hidden;
int dump_signal(void) hidden;
char *fmt_u(char *buf, unsigned long v, int base) hidden;

#endif
