// SPDX-License-Identifier: MIT
/*
 * sysmon (Go's sysmon, proc.go): a kernel thread of the runtime's own that
 * holds no P, runs no G and blocks every signal. It wakes every 20 us,
 * backing off to every 10 ms while it finds nothing to do, and sleeps
 * while every P is idle (acquirep() wakes it). Each round it looks at
 * every P:
 *
 *  - P_SYSCALL: its G is in a wrapped system call. If the call is still the
 *    same one as last round and there is work waiting, or no idle P to do
 *    it, or the call has lasted 10 ms, sysmon takes the P (P_SYSCALL to
 *    P_IDLE, one compare-and-swap the returning G would otherwise win) and
 *    hands it to another M (handoffp()). Go's retake.
 *  - P_USER whose scheduler tick has not moved for a slice (SLICE_NS):
 *    its G runs the program's code. If the M is running and other Gs wait
 *    (its own timers due among them), sysmon asks the G to yield at its
 *    next safe point (pp->preempt, preempt_check()) and, half a slice
 *    later and every slice while it has not, kicks its M to stop it where
 *    it is (preempt.c). If the M is asleep in the kernel (its thread's CPU clock
 *    moves less than an eighth of the time, over 1 ms or more) for 10 ms,
 *    the G is blocked where the shim cannot see (a stdio lock, glibc's
 *    own futex waits, a raw futex system call in another library): sysmon
 *    takes the P the same way, and the G gets a P again at its next entry
 *    into the runtime (rt_enter()).
 *  - A P whose local queue has not moved for a slice, tick or no tick: it
 *    is asked to yield the same way.
 *
 * The slice is 2 ms, not Go's 10: threads written for the kernel's
 * scheduler, which slices a few ms, wait for each other by spinning
 * (redis's I/O threads and its main thread each spin until the others
 * are done), and each such wait lasts until the spinner is stopped. With
 * 10 ms (asked at 10, kicked at 20), `redis-server --io-threads 4` at two
 * Ps served 350 requests a second, natively 2,900; with 2 ms, 3,700.
 * sysmon looks every half slice (not backing off to 10 ms) while, and
 * for 10 ms after, a G it finds has run since its last look with work
 * waiting: Gs that pass the P back and forth many times a slice do not
 * keep it awake.
 *
 * It also starts an M for timers that are overdue while Ps are idle, and
 * one for queued work whose M could not be started (retry_mstart()), ends
 * the initial thread's sleep for a signal sent to the process (signal.c:
 * a signal handler cannot touch run queues), and prints the scheduler's
 * state every SPROUT_DEBUG=schedtrace=MS.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "runtime.h"
#include "netpoll.h"
#include "../arch/x86_64/sys.h"
#include "../compat/tcb.h"

#define DELAY_MIN_NS   20000
#define DELAY_MAX_NS   10000000
#define IDLE_SLEEP_NS  100000000 /* every P idle: until woken, or this */
#define BLOCKED_NS     10000000	 /* a P stuck this long is looked at */
#define SLICE_NS       2000000	 /* a G runs this long while others wait */
#define SYSCALL_MAX_NS 10000000
#define POLL_NS	       10000000
#define CPU_STILL_NS   1000000 /* an M's CPU clock is judged over this */
#define SYSMON_STACK   (64 * 1024)
#define GUARD	       4096

static struct sysmon_p {
	uint32_t schedtick, syscalltick, runqhead;
	int64_t schedwhen, syscallwhen, headwhen;
	int64_t kickwhen;     /* its M was last asked to preempt its G */
	int64_t cpu, cpuwhen; /* CPU time of its M's thread, when read */
	pid_t cputid;
} * seen;

static int schedtrace_ms;

enum m_cpu { M_CPU_UNKNOWN, M_CPU_RUNNING, M_CPU_ASLEEP };

/*
 * Is mp's kernel thread asleep in the kernel (S or D), or running? Judged
 * over at least 1 ms since the last judgement: asleep if its CPU clock
 * moved less than an eighth of that time (a kick's handler, which wakes a
 * thread asleep for a moment, must not make it look busy), running if
 * more; unknown before that, or for a thread not seen before. Read
 * through a thread CPU clock id, with no fd: an fd of the runtime's would
 * take, for a moment, the lowest free number the program is about to use
 * (dup2() onto it fails with EBUSY), or stay in the fds the program lists.
 * A runnable thread the kernel kept off every CPU that long looks asleep;
 * taking its P then only starts another M.
 */
static enum m_cpu m_cpu(struct sysmon_p *pd, struct m *mp, int64_t now)
{
	int64_t cpu = thread_cputime(mp->tid), used, wall;

	if (cpu < 0)
		return M_CPU_UNKNOWN;
	if (mp->tid != pd->cputid) {
		pd->cpu = cpu;
		pd->cputid = mp->tid;
		pd->cpuwhen = now;
		return M_CPU_UNKNOWN;
	}
	wall = now - pd->cpuwhen;
	if (wall < CPU_STILL_NS)
		return M_CPU_UNKNOWN;
	used = cpu - pd->cpu;
	pd->cpu = cpu;
	pd->cpuwhen = now;
	return used * 8 < wall ? M_CPU_ASLEEP : M_CPU_RUNNING;
}

/* Take pp from its M if its state word is still w; then find it work. */
static bool retake_p(struct p *pp, uint32_t w)
{
	if (!atomic_compare_exchange_strong(&pp->state, &w, (w & ~3u) | P_IDLE))
		return false;
	atomic_store(&pp->m, NULL);
	handoffp(pp);
	return true;
}

/*
 * One look at every P; returns how many were taken. *busy: a G has run
 * the program's code since the last look while work waits, which sysmon
 * must look at again within a slice.
 */
static int retake(int64_t now, bool *busy)
{
	int i, n = 0;

	for (i = 0; i < nprocs; i++) {
		struct p *pp = &allp[i];
		struct sysmon_p *pd = &seen[i];
		uint32_t w = atomic_load(&pp->state);
		uint32_t t = atomic_load_explicit(&pp->schedtick,
						  memory_order_relaxed);
		uint32_t head = atomic_load_explicit(&pp->runqhead,
						     memory_order_relaxed);
		struct m *mp;
		enum m_cpu cpu;
		bool work;

		if (pd->schedtick != t || P_STATE(w) == P_IDLE) {
			pd->schedtick = t;
			pd->schedwhen = now;
		}
		if (pd->runqhead != head || P_STATE(w) == P_IDLE ||
		    head == atomic_load_explicit(&pp->runqtail,
						 memory_order_relaxed)) {
			pd->runqhead = head;
			pd->headwhen = now;
		}
		/* Its own timers due count: on one P nothing else runs them. */
		work = !runqempty(pp) || atomic_load(&sched.runqsize) > 0 ||
		       atomic_load_explicit(&pp->timer0,
					    memory_order_relaxed) <= now;
		if (P_STATE(w) == P_SYSCALL) {
			t = atomic_load_explicit(&pp->syscalltick,
						 memory_order_relaxed);
			if (pd->syscalltick != t) {
				pd->syscalltick = t;
				pd->syscallwhen = now;
				continue;
			}
			if (!work &&
			    atomic_load(&sched.nmspinning) +
					    atomic_load(&sched.npidle) >
				    0 &&
			    now - pd->syscallwhen < SYSCALL_MAX_NS)
				continue;
			if (retake_p(pp, w)) {
				atomic_fetch_add(&sched.retakes, 1);
				n++;
			}
			continue;
		}
		/*
		 * The G at the head of the local queue has waited 10 ms while
		 * the tick moved: Gs that hand the P to each other through
		 * runnext share one slice, and a G now and then from the
		 * global queue, with a slice of its own, hides them from the
		 * tick (one thread looping on sched_yield() does). Go looks
		 * at the tick alone and lets such a pair keep the P.
		 */
		if (now - pd->headwhen >= SLICE_NS)
			atomic_store(&pp->preempt, true);
		/* One G since the last look, with others waiting: due soon. */
		if (work && P_STATE(w) == P_USER && pd->schedwhen != now)
			*busy = true;
		if (P_STATE(w) != P_USER || now - pd->schedwhen < SLICE_NS)
			continue;
		/* Nothing to ask it for, and too soon to call it blocked. */
		if (!work && now - pd->schedwhen < BLOCKED_NS)
			continue;
		mp = atomic_load(&pp->m);
		cpu = mp ? m_cpu(pd, mp, now) : M_CPU_UNKNOWN;
		if (cpu == M_CPU_ASLEEP) {
			if (now - pd->schedwhen >= BLOCKED_NS &&
			    retake_p(pp, w)) {
				atomic_fetch_add(&sched.hidden_handoffs, 1);
				n++;
			}
		} else if (work) {
			atomic_store(&pp->preempt, true);
			/*
			 * Running, and at no safe point half a slice after
			 * it was asked: stop it where it runs (preempt.c).
			 * A G that calls the shim yields sooner there,
			 * outside the program's critical sections; a
			 * spinner comes to none. Not one that may be asleep
			 * in the kernel, whose P a later look hands on.
			 */
			if (cpu == M_CPU_RUNNING &&
			    now - pd->schedwhen >= SLICE_NS + SLICE_NS / 2 &&
			    now - pd->kickwhen >= SLICE_NS) {
				pd->kickwhen = now;
				sig_preempt(mp);
			}
		}
	}
	return n;
}

/* Timers overdue and an idle P: no M is waiting for them; start one. */
static void kick_timers(int64_t now)
{
	if (timers_next() < now - DELAY_MAX_NS &&
	    atomic_load(&sched.npidle) > 0 &&
	    !atomic_load(&sched.timer_sleeping))
		wakep();
}

/*
 * No M could be started for work that is now queued globally while Ps are
 * idle (newm() failed: SPROUT_MAXM, RLIMIT_NPROC, memory): try again. A
 * running M takes that work anyway; this is for when every M is blocked.
 */
static void retry_mstart(void)
{
	if (atomic_load(&sched.mstart_failed) &&
	    atomic_load(&sched.runqsize) > 0 && atomic_load(&sched.npidle) > 0)
		wakep();
}

static void trace(int64_t now, int64_t start)
{
	char line[512], n[24];
	size_t len = 0;
	int i, idlem = 0;
	struct m *mp;

#define PUT(s)                                                     \
	for (const char *s_ = (s); *s_ && len < sizeof(line) - 2;) \
	line[len++] = *s_++
#define NUM(v) PUT(fmt_u(n, (unsigned long)(v), 10))
	lock(&sched.lock);
	for (mp = sched.midle; mp; mp = mp->schedlink)
		idlem++;
	PUT("sprout: SCHED ");
	NUM((now - start) / 1000000);
	PUT("ms: procs=");
	NUM(nprocs);
	PUT(" idleprocs=");
	NUM(atomic_load(&sched.npidle));
	PUT(" threads=");
	NUM(sched.mnext + 2); /* Ms alive, M0 and sysmon too */
	PUT(" spinningthreads=");
	NUM(atomic_load(&sched.nmspinning));
	PUT(" idlethreads=");
	NUM(idlem);
	PUT(" runqueue=");
	NUM(atomic_load(&sched.runqsize));
	unlock(&sched.lock);
	PUT(" retakes=");
	NUM(atomic_load(&sched.retakes));
	PUT(" hidden=");
	NUM(atomic_load(&sched.hidden_handoffs));
	PUT(" preempted=");
	NUM(atomic_load(&sched.preempts));
	PUT(" [");
	for (i = 0; i < nprocs; i++) {
		struct p *pp = &allp[i];
		uint32_t q =
			atomic_load(&pp->runqtail) - atomic_load(&pp->runqhead);
		if (i)
			PUT(" ");
		NUM(q);
	}
	PUT("]");
#undef NUM
#undef PUT
	line[len++] = '\n';
	line[len] = 0;
	print(line);
}

/* Sleep ns, or until sysmon_wakeup() or sysmon_poke(). */
static void nap(int64_t ns)
{
	if (!atomic_exchange(&sched.sysmon_wake, 0))
		sys_futex_wait_until((uint32_t *)&sched.sysmon_wake, 0,
				     nanotime() + ns, true);
	atomic_store(&sched.sysmon_wake, 0);
}

static void *sysmon(void *arg)
{
	int64_t delay = DELAY_MIN_NS, start = nanotime(), next_trace = start;
	int64_t now = start, busy_until = 0; /* look every half slice till */
	int idle = 0;

	(void)arg;
	lock_thread_reset(); /* a child's sysmon on the parent's TCB */
	atomic_store(&sched.sysmon_tid, (pid_t)sys_gettid());
	thread_name("sprout-sysmon", -1);
	atomic_store(&sched.sigroute_dirty, true); /* a child's new sysmon */
	for (;;) {
		bool busy = false;

		if (idle == 0)
			delay = DELAY_MIN_NS;
		else if (idle > 50 && delay < DELAY_MAX_NS)
			delay *= 2;
		/* now: the end of the last look, a moment ago. */
		nap(now < busy_until && delay > SLICE_NS / 2 ? SLICE_NS / 2
							     : delay);
		if (!schedtrace_ms && atomic_load(&sched.npidle) == nprocs &&
		    !atomic_load(&sched.sigwork) && !sig_route_work() &&
		    !(atomic_load(&sched.mstart_failed) &&
		      atomic_load(&sched.runqsize) > 0)) {
			/* Nothing runs: sleep until a P is taken. */
			atomic_store(&sched.sysmon_idle, true);
			if (atomic_load(&sched.npidle) == nprocs)
				nap(IDLE_SLEEP_NS);
			atomic_store(&sched.sysmon_idle, false);
			idle = 0;
		}
		if (atomic_exchange(&sched.sigwork, false))
			sig_interrupt_main();
		if (sig_route_work())
			sig_route();
		now = nanotime();
		idle = retake(now, &busy) ? 0 : idle + 1;
		/*
		 * Gs that run long come in turns (spinners waiting on each
		 * other): keep looking often for a while after one.
		 */
		if (busy)
			busy_until = now + BLOCKED_NS;
		kick_timers(now);
		retry_mstart();
		stack_scavenge(now);
		/* Nobody polled for a while: the Ms are busy. Go does this. */
		if (netpoll_waiting() && now - netpoll_lastpoll() > POLL_NS)
			netpoll(0);
		if (schedtrace_ms && now >= next_trace) {
			trace(now, start);
			next_trace = now + (int64_t)schedtrace_ms * 1000000;
		}
	}
	return NULL;
}

void sysmon_wakeup(void)
{
	if (atomic_exchange(&sched.sysmon_idle, false)) {
		atomic_store(&sched.sysmon_wake, 1);
		sys_futex_wake((uint32_t *)&sched.sysmon_wake, 1);
	}
}

/* Wake sysmon for work it finds by itself. Async-signal-safe. */
void sysmon_kick(void)
{
	atomic_store(&sched.sysmon_wake, 1);
	sys_futex_wake((uint32_t *)&sched.sysmon_wake, 1);
}

/* From a signal handler: wake sysmon for sig_interrupt_main(). */
void sysmon_poke(void)
{
	atomic_store(&sched.sigwork, true);
	sysmon_kick();
}

/* libc's descriptor (TCB) of the kernel thread sysmon runs on. */
static pthread_t sysmon_thread;

/* Start sysmon; again in the child of fork(), which keeps trace_ms. */
int sysmon_start(thread_create_fn thread_create, int trace_ms)
{
	pthread_attr_t attr;
	int r;

	if (!seen) {
		seen = rt_alloc((size_t)nprocs * sizeof(*seen));
		if (!seen)
			return ENOMEM;
		schedtrace_ms = trace_ms;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SYSMON_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = runtime_thread_create(thread_create, &sysmon_thread, &attr, sysmon,
				  NULL);
	pthread_attr_destroy(&attr);
	return r;
}

/*
 * sysmon again in the child of a fork that left libc's locks as they were
 * (_Fork(), a raw clone). libc's pthread_create() would need malloc's, the
 * stack cache's and the TLS lock, which a thread of the parent's may have
 * held at the fork, where natively a child that makes no thread (one that
 * only execs, say) never waits for them. The parent's sysmon's descriptor
 * is in the child's memory, with its TLS, on libc's lists as a live
 * thread, and no thread of the child's uses it: a kernel thread cloned
 * here takes it, on a stack of its own, through no lock at all.
 */
int sysmon_start_child(void)
{
	const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES |
				    CLONE_SIGHAND | CLONE_THREAD |
				    CLONE_SYSVSEM | CLONE_SETTLS |
				    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	const size_t len = SYSMON_STACK + GUARD;
	pid_t *tid = tcb_kernel_tid_word((void *)sysmon_thread);
	char *stack = sys_mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK);
	sigset_t all, old;
	long r;

	if (sys_mmap_failed(stack))
		return ENOMEM;
	sys_mprotect(stack, GUARD, PROT_NONE);
	/* As runtime_thread_create(): every signal but libc's blocked. */
	sigfillset(&all);
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8);
	r = thread_clone(flags, stack + len, tid, tid, (void *)sysmon_thread,
			 sysmon, NULL);
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8);
	if (r >= 0)
		return 0;
	sys_munmap(stack, len);
	return (int)-r;
}
