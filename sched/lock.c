// SPDX-License-Identifier: MIT
/*
 * Runtime locks and notes on futexes (Go's lock_futex.go).
 *
 * A lock is held by whichever kernel thread took it, for a few instructions
 * to a few hundred; contention spins briefly, then sleeps in the kernel. It
 * is never held across a switch of G, except that gopark() releases the
 * lock it is given on g0, once the parking G is off its stack.
 *
 * An M counts the locks it holds (m->locks, Go's m.locks): a G holding
 * one is inside the runtime whatever its depth (g_inside()), and a
 * handler of the program's that landed there and took the lock again, or
 * yielded, would deadlock. So the signal waits in the G's sigpend
 * (sig_defer()) and the unlock that ends the count delivers it, unless
 * the G is entered, whose rt_exit() does. The gopark() case balances:
 * the G and the g0 that releases its lock are on one M.
 *
 * A locked G's handlers run where they land, as natively (no sigpend of
 * the runtime's in between), so its kernel thread blocks every signal
 * while it holds a runtime lock: two system calls around the outermost
 * one, on threads the shim did not create, which seldom take them.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#ifdef __GLIBC__ /* defined by the headers above */
#include <execinfo.h>
#endif

#include "runtime.h"
#include "../arch/x86_64/sys.h"

enum { UNLOCKED, LOCKED, SLEEPING };

#define ACTIVE_SPIN	4
#define ACTIVE_SPIN_CNT 30

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

#ifdef SPROUT_LOCK_RANK
/*
 * Checked builds (-Dlock_rank=true): the locks each kernel thread holds,
 * and their order (enum lock_rank). A G on an M records them in the M,
 * whose g0 may release the lock the G parked with; a locked G in itself;
 * a kernel thread with no G (sysmon, the keeper) in its own TLS, which no
 * switch of G moves.
 */
static __thread struct lock_held thread_held
	__attribute__((tls_model("initial-exec")));

/* A kernel thread new on an old TCB (a fork child's sysmon) holds none. */
void lock_thread_reset(void)
{
	memset(&thread_held, 0, sizeof(thread_held));
}

static struct lock_held *held_here(void)
{
	struct g *gp = getg();

	if (gp && gp->m)
		return &gp->m->held;
	if (gp && (gp->flags & G_LOCKED))
		return &gp->held;
	return &thread_held;
}

/*
 * Handler frames in the runtime's part (lock_sigctx()) belong to the
 * context that runs them, a G (g0 included) or a thread with none, not to
 * the M: a handler may let its G yield the P (at its exit from the
 * runtime, which a rescheduling build makes yield every time), and the
 * next G or g0 on the M holds no such frame.
 */
static int *sigctx_here(void)
{
	struct g *gp = getg();

	return gp ? &gp->held.sigctx : &thread_held.sigctx;
}

static void rank_fatal(const char *what, const struct lock *l,
		       const struct lock *held)
{
	struct lock_held *h = held_here();
	char a[24], b[24];
	void *frames[32];

	print("sprout: lock rank: ");
	print(what);
	print(": rank ");
	print(fmt_u(a, l->rank, 10));
	print(" at ");
	print(fmt_u(a, (unsigned long)l, 16));
	if (held) {
		print(" while holding rank ");
		print(fmt_u(b, held->rank, 10));
	}
	print(" (enum lock_rank, sched/types.h)\n");
	/*
	 * Where: a checked build is for finding out. backtrace() may load
	 * libgcc through the shim's pthread_once(): nothing is held now.
	 */
	h->n = 0;
	*sigctx_here() = 0;
#ifdef __GLIBC__
	backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
#endif
	fatal("lock rank violated");
}

static void rank_lock(struct lock *l)
{
	struct lock_held *h = held_here();
	int i;

	if (l->rank == RANK_NONE || l->rank >= RANK_COUNT)
		rank_fatal("a lock without a rank", l, NULL);
	if (*sigctx_here())
		rank_fatal("a lock in the runtime's part of a handler", l,
			   NULL);
	for (i = 0; i < h->n; i++)
		if (h->l[i]->rank > l->rank ||
		    (h->l[i]->rank == l->rank &&
		     (l->rank != RANK_BUCKET || h->l[i] >= l)))
			rank_fatal("out of order", l, h->l[i]);
	if (h->n == (int)(sizeof(h->l) / sizeof(h->l[0])))
		rank_fatal("too many locks held", l, NULL);
	h->l[h->n++] = l;
}

static void rank_unlock(struct lock *l)
{
	struct lock_held *h = held_here();
	int i;

	for (i = h->n - 1; i >= 0 && h->l[i] != l; i--)
		;
	if (i < 0)
		rank_fatal("unlock of a lock this thread does not hold", l,
			   NULL);
	h->l[i] = h->l[--h->n];
}

void lock_assert_none(const char *where)
{
	struct lock_held *h = held_here();
	char buf[96] = "a runtime lock held ";

	if (!h->n)
		return;
	strncat(buf, where, sizeof(buf) - strlen(buf) - 1);
	rank_fatal(buf, h->l[0], NULL);
}

void lock_sigctx(int delta)
{
	*sigctx_here() += delta;
}

/* Set the count to v; returns what it was. */
int lock_sigctx_swap(int v)
{
	int *c = sigctx_here();
	int old = *c;

	*c = v;
	return old;
}
#else
static inline void rank_lock(struct lock *l)
{
	(void)l;
}

static inline void rank_unlock(struct lock *l)
{
	(void)l;
}
#endif

void lock(struct lock *l)
{
	struct g *gp = getg();
	struct m *mp = gp ? gp->m : NULL; /* whose count it goes in */
	uint32_t v, wait;
	int i, j;

	if (mp) {
		mp->locks++;
		/* Counted before held, for a handler landing in between. */
		atomic_signal_fence(memory_order_seq_cst);
	} else if (gp && (gp->flags & G_LOCKED) && gp->locks++ == 0) {
		uint64_t all = ~0ull;

		sys4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all,
		     (long)&gp->lockmask, 8);
	}
	rank_lock(l);
	v = UNLOCKED;
	if (likely(atomic_compare_exchange_strong_explicit(
		    &l->key, &v, LOCKED, memory_order_acquire,
		    memory_order_relaxed)))
		return;
	/* Take it as SLEEPING once we have slept: others may be waiting. */
	wait = LOCKED;
	for (;;) {
		for (i = 0; i < ACTIVE_SPIN; i++) {
			while (atomic_load_explicit(&l->key,
						    memory_order_relaxed) ==
			       UNLOCKED) {
				v = UNLOCKED;
				if (atomic_compare_exchange_weak_explicit(
					    &l->key, &v, wait,
					    memory_order_acquire,
					    memory_order_relaxed))
					return;
			}
			for (j = 0; j < ACTIVE_SPIN_CNT; j++)
				cpu_relax();
		}
		v = atomic_exchange_explicit(&l->key, SLEEPING,
					     memory_order_acquire);
		if (v == UNLOCKED)
			return;
		wait = SLEEPING;
		sys_futex_wait((uint32_t *)&l->key, SLEEPING);
	}
}

/*
 * l, with every signal held off the kernel thread while it is held: for a
 * lock taken where a handler of the program's could otherwise run with it
 * held (the runtime's depth 0, a locked or wired G), rare enough that two
 * system calls do not matter. Returns the mask for unlock_nosig().
 */
uint64_t lock_nosig(struct lock *l)
{
	uint64_t all = ~0ull, old;

	sys4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, 8);
	lock(l);
	return old;
}

void unlock_nosig(struct lock *l, uint64_t mask)
{
	unlock(l);
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8);
}

void unlock(struct lock *l)
{
	struct g *gp = getg();
	struct m *mp = gp ? gp->m : NULL;

	rank_unlock(l);
	if (atomic_exchange_explicit(&l->key, UNLOCKED, memory_order_release) ==
	    SLEEPING)
		sys_futex_wake((uint32_t *)&l->key, 1);
	if (!mp) {
		if (gp && (gp->flags & G_LOCKED) && --gp->locks == 0)
			sys4(SYS_rt_sigprocmask, SIG_SETMASK,
			     (long)&gp->lockmask, 0, 8);
		return;
	}
	atomic_signal_fence(memory_order_seq_cst);
	if (--mp->locks)
		return;
	atomic_signal_fence(memory_order_seq_cst);
	/* Signals left for the G meanwhile (sig_defer()) run now. */
	if (unlikely(!(gp->flags & G_G0) && !gp->rtdepth && g_sigready(gp)))
		sigpend_deliver(gp);
}

void notesleep(struct note *n)
{
	while (atomic_load_explicit(&n->key, memory_order_acquire) == 0)
		sys_futex_wait((uint32_t *)&n->key, 0);
}

void notewakeup(struct note *n)
{
	if (atomic_exchange_explicit(&n->key, 1, memory_order_release) != 0)
		fatal("notewakeup: double wakeup");
	sys_futex_wake((uint32_t *)&n->key, 1);
}

void noteclear(struct note *n)
{
	atomic_store_explicit(&n->key, 0, memory_order_relaxed);
}
