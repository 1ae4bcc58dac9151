// SPDX-License-Identifier: MIT
/*
 * The wait table: Gs parked on addresses (Go's semaRoot, sema.go).
 *
 * Every blocking primitive parks its Gs here, keyed by the address of the
 * object's word they wait for. A hash of the address picks one of 251
 * buckets; each bucket, under its lock, keeps one FIFO queue per address
 * that has waiters. The first waiter of a queue is also its node in the
 * bucket's list of queues (Go's sudog in the treap), so finding an
 * address's queue costs the number of distinct addresses waited on in the
 * bucket, and taking from a queue or adding to it costs nothing more.
 * An object with many instances that are each waited on apart (a
 * netpoller fd) keeps a bucket of its own instead (the *_in calls).
 *
 * The protocol is the futex one: a waiter checks, under the bucket lock,
 * that the object still says it must wait, then enqueues itself and parks;
 * the bucket lock is released on g0 once the G is off its stack (gopark).
 * A waker changes the object, then takes the bucket lock to find waiters.
 * So a wakeup is never lost. Wakers can also hand a token to the waiter
 * they dequeue (direct handoff of a mutex, a semaphore count, a rwlock)
 * and move waiters from one address to another (condvar broadcast).
 *
 * Waiters live on their own stacks; a woken waiter's waiter struct is no
 * longer touched by the waker once goready() has been called.
 *
 * Timeouts: a G waiting with a deadline arms a timer (timer.c) whose
 * function dequeues it if it is still queued. A locked G (a kernel thread
 * the shim did not create) or a g0 (runtime code in a malloc that takes a
 * pthread mutex) sleeps on a futex with the deadline instead.
 *
 * Signals (WT_INTR waits): natively a handler that runs for a thread in a
 * futex wait ends the wait (EINTR, or a restart after a handler with
 * SA_RESTART, signal(7)); sem_wait() then fails with EINTR or restarts,
 * and a mutex, rwlock, barrier, join, once or condvar waits again after
 * the handler. A G parked here runs no handler until it leaves the runtime,
 * so its wait must end for it: wt_interrupt() takes the waiter off its
 * queue with EINTR, as the timeout does, under the bucket lock, so that a
 * waiter is either taken by a waker with its token or interrupted, never
 * both, and readies the G, which runs the signal in wt_wait()'s
 * rt_exit(). To find the waiter, the G publishes it in gp->waiting while
 * it waits. The waiter is on the G's stack: the interrupter pins it by
 * swapping gp->waiting for WAITING_BUSY and puts it back when done,
 * whether it ended the wait or not; the G, however woken, swaps it for
 * NULL before it leaves, waiting the few instructions an interrupter
 * holds it. No signal falls between the
 * two: g_kill() sets sigpend, then looks at gp->waiting; the G publishes
 * gp->waiting, then, still under the bucket lock, looks at sigpend, and at
 * sigran for a handler that ran meanwhile (interrupt_due()), and once
 * more on g0 as it parks, for a signal that landed in between and was
 * left pending on it (park_commit()).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "runtime.h"
#include "sema.h"
#include "../arch/x86_64/sys.h"

#define NBUCKETS 251

/* gp->waiting while an interrupter holds the waiter (wt_interrupt()). */
#define WAITING_BUSY ((struct waiter *)1)

/* wt_multi's state: the G runs, is parked, or was woken (how). */
enum { WT_MULTI_ARMED, WT_MULTI_PARKED, WT_MULTI_WOKEN, WT_MULTI_TIMEDOUT };

/* A bucket of the table, alone in its cache line. */
static struct {
	struct wt_bucket b;
} __attribute__((aligned(64))) table[NBUCKETS];

static struct wt_bucket *bucket_of(const void *addr)
{
	return &table[((uintptr_t)addr >> 3) % NBUCKETS].b;
}

/*
 * The bucket lock is held inside the runtime (rt_enter()): its holder keeps
 * its P, which the G parking with it needs.
 */
void wt_lock_bucket(struct wt_bucket *b)
{
	rt_enter();
	lock(&b->lock);
}

struct wt_bucket *wt_lock(const void *addr)
{
	struct wt_bucket *b = bucket_of(addr);

	wt_lock_bucket(b);
	return b;
}

void wt_unlock(struct wt_bucket *b)
{
	unlock(&b->lock);
	rt_exit();
}

void wt_init(void)
{
	int i;

	for (i = 0; i < NBUCKETS; i++)
		wt_bucket_init(&table[i].b);
}

/* Bumped in the child of fork(), where the parent's waiters are gone. */
static _Atomic uint32_t generation;

uint32_t wt_generation(void)
{
	return atomic_load_explicit(&generation, memory_order_relaxed);
}

/* In the child of fork(): the waiters were other threads, now gone. */
void wt_afterfork_child(void)
{
	memset(table, 0, sizeof(table));
	wt_init();
	atomic_fetch_add(&generation, 1);
}

struct waiter *wt_first(struct wt_bucket *b, const void *addr)
{
	struct waiter *h;

	for (h = b->heads; h; h = h->anext)
		if (h->addr == addr)
			return h;
	return NULL;
}

/* Put h in b's list of queue heads, in place of old if old is given. */
static void heads_link(struct wt_bucket *b, struct waiter *h,
		       struct waiter *old)
{
	if (old) {
		h->anext = old->anext;
		h->aprev = old->aprev;
	} else {
		h->anext = b->heads;
		h->aprev = NULL;
	}
	if (h->anext)
		h->anext->aprev = h;
	if (h->aprev)
		h->aprev->anext = h;
	else
		b->heads = h;
}

static void heads_unlink(struct wt_bucket *b, struct waiter *h)
{
	if (h->anext)
		h->anext->aprev = h->aprev;
	if (h->aprev)
		h->aprev->anext = h->anext;
	else
		b->heads = h->anext;
}

static void enqueue(struct wt_bucket *b, struct waiter *w, bool front)
{
	struct waiter *h = wt_first(b, w->addr);

	w->next = w->prev = NULL;
	w->queued = true;
	if (!h) {
		w->tail = w;
		heads_link(b, w, NULL);
	} else if (front) {
		w->next = h;
		h->prev = w;
		w->tail = h->tail;
		heads_link(b, w, h);
	} else {
		w->prev = h->tail;
		h->tail->next = w;
		h->tail = w;
	}
}

static void dequeue(struct wt_bucket *b, struct waiter *w)
{
	struct waiter *h, *n = w->next;

	w->queued = false;
	if (!w->prev) {
		/* w heads its queue: n takes its place, or the queue goes. */
		if (n) {
			n->prev = NULL;
			n->tail = w->tail;
			heads_link(b, n, w);
		} else {
			heads_unlink(b, w);
		}
		return;
	}
	w->prev->next = n;
	if (n) {
		n->prev = w->prev;
	} else {
		h = wt_first(b, w->addr);
		h->tail = w->prev;
	}
}

struct waiter *wt_next(struct waiter *w)
{
	return w->next;
}

static bool multi_wake(struct wt_multi *s, uint32_t how);

void wt_take(struct wt_bucket *b, struct waiter *w, uint32_t token,
	     struct waiter **ready)
{
	dequeue(b, w);
	w->token = token;
	w->result = 0;
	/* One of several: only the wake that finds the G parked readies it. */
	if (w->multi && !multi_wake(w->multi, WT_MULTI_WOKEN))
		return;
	w->next = *ready;
	*ready = w;
}

void wt_ready(struct waiter *list)
{
	while (list) {
		struct waiter *w = list;
		struct g *gp = w->g;

		list = w->next; /* w is the waiter's once it is readied */
		goready(gp);
	}
}

/* Lock the bucket w is queued in: wt_requeue() may move it meanwhile. */
static struct wt_bucket *lock_waiter_bucket(struct waiter *w)
{
	struct wt_bucket *b;

	for (;;) {
		b = __atomic_load_n(&w->bucket, __ATOMIC_ACQUIRE);
		lock(&b->lock);
		if (w->bucket == b)
			return b;
		unlock(&b->lock);
	}
}

static void wt_timeout(struct timer *t)
{
	struct waiter *w = (void *)((char *)t - offsetof(struct waiter, timer));
	struct wt_bucket *b = lock_waiter_bucket(w);
	struct g *gp = NULL;

	if (w->queued) {
		dequeue(b, w);
		w->result = ETIMEDOUT;
		gp = w->g;
	}
	unlock(&b->lock);
	if (gp)
		goready(gp);
}

/* The kernel's struct sigaction (rt_sigaction(2)). */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/*
 * Does sig, delivered, end a futex wait: has it a handler (the shim's
 * trampoline for the program's), or is its default action to end the
 * process? Not if the kernel ignores it or it stops the process, after
 * which the wait goes on.
 */
static bool sig_ends_wait(int sig)
{
	struct ksigaction ka;

	if (sys4(SYS_rt_sigaction, sig, 0, (long)&ka, 8) < 0 ||
	    ka.handler == SIG_IGN)
		return false;
	if (ka.handler != SIG_DFL)
		return true;
	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return false;
	default:
		return true;
	}
}

/*
 * Must gp's WT_INTR wait end for a signal: a handler ran for it since the
 * wait began (on it, or for the initial G on another M: sig_arrived()),
 * or a signal left for it by g_kill() is let in by its mask and has a
 * handler, or ends the process? An ignored signal, or one whose default
 * action is to ignore or to stop, lets the wait go on. Signals left in sigpend are delivered by rt_exit(),
 * which a thread the shim did not create does not run: such a thread gets
 * its signals from the kernel (wait_locked()). A wired G has them left
 * in sigpend too (a cancellation), and rt_exit() delivers them.
 */
static bool interrupt_due(struct g *gp)
{
	uint64_t set;
	int sig;

	if (atomic_load(&gp->sigran))
		return true;
	if (gp->flags & (G_LOCKED | G_G0))
		return false;
	set = atomic_load(&gp->sigpend) &
	      ~__atomic_load_n(&gp->sigmask, __ATOMIC_RELAXED);
	for (sig = 1; set; sig++, set >>= 1)
		if ((set & 1) && sig_ends_wait(sig))
			return true;
	return false;
}

void wt_interrupt(struct g *gp)
{
	struct waiter *w = atomic_load(&gp->waiting);
	struct wt_bucket *b;
	bool taken = false;

	/* Pin w: its G does not leave the wait before this puts w back. */
	if (!w || w == WAITING_BUSY ||
	    !atomic_compare_exchange_strong(&gp->waiting, &w, WAITING_BUSY))
		return;
	/* w is the G's current wait: it cleared sigran before publishing w. */
	if (interrupt_due(gp)) {
		b = lock_waiter_bucket(w);
		if (w->queued) {
			dequeue(b, w);
			w->result = EINTR;
			taken = true;
		}
		unlock(&b->lock);
	}
	/* Still the G's: a later signal must find it (a wait not ended). */
	atomic_store(&gp->waiting, w);
	if (taken)
		goready(gp);
}

/* The G leaves its WT_INTR wait: no interrupter may hold w after this. */
static void waiting_end(struct g *gp, struct waiter *w)
{
	struct waiter *cur = w;
	int i = 0;

	/* Failed: an interrupter holds it (WAITING_BUSY), and puts it back. */
	while (!atomic_compare_exchange_weak(&gp->waiting, &cur, NULL)) {
		cur = w;
		if (canspin(i++))
			procyield(30);
		else
			sys0(SYS_sched_yield);
	}
}

/*
 * On g0, once the G is off its stack: release the bucket, and park unless
 * a signal came for a WT_INTR wait since the G looked (one that landed
 * while it was in the runtime is left pending on it for rt_exit()).
 */
static bool park_commit(struct g *gp, void *arg)
{
	struct waiter *w = arg;
	struct wt_bucket *b = w->bucket; /* w's: its lock is held */
	bool park = !(w->intr && interrupt_due(gp));

	if (!park) {
		dequeue(b, w);
		w->result = EINTR;
	}
	unlock(&b->lock);
	return park;
}

/* A locked G waits on its own kernel thread. */
static int wait_locked(struct wt_bucket *b, struct waiter *w, int64_t deadline)
{
	struct g *gp = w->g;

	atomic_store(&gp->status, G_WAITING);
	unlock(&b->lock);
	while (atomic_load(&gp->status) == G_WAITING) {
		long r = sys_futex_wait_until((uint32_t *)&gp->status,
					      G_WAITING, deadline, true);

		/* A handler ran on this kernel thread: EINTR, as natively. */
		if (r != -ETIMEDOUT && !(r == -EINTR && w->intr))
			continue;
		lock(&b->lock);
		if (w->queued) {
			dequeue(b, w);
			w->result = r == -EINTR ? EINTR : ETIMEDOUT;
			atomic_store(&gp->status, G_RUNNING);
		}
		unlock(&b->lock);
		/* Not queued: a waker took it and is about to ready it. */
		if (r == -ETIMEDOUT)
			deadline = -1;
	}
	atomic_store(&gp->status, G_RUNNING);
	return w->result;
}

int wt_wait(struct wt_bucket *b, const void *addr, struct waiter *w,
	    int64_t deadline, unsigned int flags)
{
	struct g *gp = getg();
	uint32_t outer = 0;

	/* The shim makes a locked G for a thread not ours before it waits. */
	if (!gp)
		fatal("wt_wait: a thread with no G");
	w->g = gp;
	w->addr = addr;
	w->bucket = b;
	w->token = 0;
	w->result = 0;
	w->multi = NULL;
	w->intr = flags & WT_INTR;
	if (deadline >= 0 && deadline <= nanotime()) {
		wt_unlock(b);
		return ETIMEDOUT;
	}
	enqueue(b, w, flags & WT_FRONT);
	if (w->intr) {
		/*
		 * Handlers that ran before are not this wait's; they are put
		 * back after it for a wait this one is nested in (a handler's
		 * wait during a sleep).
		 */
		outer = atomic_exchange(&gp->sigran, 0);
		if (flags & WT_CANCEL)
			sig_wait_cancellable(gp);
		atomic_store(&gp->waiting, w); /* pairs with g_kill() */
		if (interrupt_due(gp)) {
			dequeue(b, w);
			w->result = EINTR;
			unlock(&b->lock);
			goto out;
		}
	}
	if (gp->flags & G_KERNEL_WAITS) {
		wait_locked(b, w, deadline);
		goto out;
	}
	if (deadline >= 0) {
		w->timer.when = deadline;
		w->timer.f = wt_timeout;
		timer_add(&w->timer);
	}
	gopark(park_commit, w);
	if (deadline >= 0)
		timer_del(&w->timer);
out:
	if (w->intr)
		waiting_end(gp, w);
	rt_exit(); /* wt_lock()'s; runs the signal that ended the wait */
	if (w->intr) {
		uint32_t ran = atomic_fetch_or(&gp->sigran, outer);

		/* As the kernel ends a futex wait: signal(7). */
		if (w->result == EINTR && !(ran & SIGRAN_NORESTART))
			w->result = ERESTART;
	}
	return w->result;
}

static int futex_wait(struct wt_bucket *b, const _Atomic uint32_t *addr,
		      uint32_t val, int64_t deadline, unsigned int flags)
{
	struct waiter w;

	wt_lock_bucket(b);
	if (atomic_load(addr) != val) {
		wt_unlock(b);
		return EAGAIN;
	}
	return wt_wait(b, addr, &w, deadline, flags);
}

int wt_futex_wait_in(struct wt_bucket *b, const _Atomic uint32_t *addr,
		     uint32_t val, int64_t deadline)
{
	return futex_wait(b, addr, val, deadline, 0);
}

int wt_futex_wait(const _Atomic uint32_t *addr, uint32_t val, int64_t deadline)
{
	return futex_wait(bucket_of(addr), addr, val, deadline, 0);
}

int wt_futex_wait_intr(const _Atomic uint32_t *addr, uint32_t val,
		       int64_t deadline)
{
	return futex_wait(bucket_of(addr), addr, val, deadline, WT_INTR);
}

int wt_futex_wait_cancel(const _Atomic uint32_t *addr, uint32_t val,
			 int64_t deadline)
{
	return futex_wait(bucket_of(addr), addr, val, deadline,
			  WT_INTR | WT_CANCEL);
}

int wt_futex_wake_in(struct wt_bucket *b, const void *addr, int n)
{
	struct waiter *w, *ready = NULL;
	int woken = 0;

	wt_lock_bucket(b);
	while (woken < n && (w = wt_first(b, addr)) != NULL) {
		wt_take(b, w, 0, &ready);
		woken++;
	}
	wt_unlock(b);
	wt_ready(ready);
	return woken;
}

int wt_futex_wake(const void *addr, int n)
{
	return wt_futex_wake_in(bucket_of(addr), addr, n);
}

int wt_requeue(const void *from, const void *to, int nwake,
	       void (*moving)(const void *to))
{
	struct wt_bucket *bf = bucket_of(from), *bt = bucket_of(to);
	struct waiter *w, *ready = NULL;
	int n = 0;

	rt_enter();
	/* Two buckets: lock in address order. */
	if (bf < bt) {
		lock(&bf->lock);
		lock(&bt->lock);
	} else {
		lock(&bt->lock);
		if (bt != bf)
			lock(&bf->lock);
	}
	while ((w = wt_first(bf, from)) != NULL) {
		if (n == nwake && moving)
			moving(to);
		if (n < nwake) {
			wt_take(bf, w, 0, &ready);
		} else {
			dequeue(bf, w);
			w->addr = to;
			__atomic_store_n(&w->bucket, bt, __ATOMIC_RELEASE);
			enqueue(bt, w, false);
		}
		n++;
	}
	if (bt != bf)
		unlock(&bf->lock);
	unlock(&bt->lock);
	wt_ready(ready);
	rt_exit();
	return n;
}

/*
 * Waiting on several addresses (wt_multi). The wakers of a wt_multi's
 * waiters are its queues' wakers (wt_take(), each under its bucket's
 * lock) and its timer. The first to change the state from ARMED or PARKED
 * wins; it readies the G only if the G had parked, otherwise the G's
 * commit sees the change and does not park. A waker touches a waiter and
 * the wt_multi only under the waiter's bucket lock (or, the winner that
 * found the G parked, until it readies the G), so once the G has taken
 * each of its waiters off its queue under that lock, and deleted its
 * timer, nothing of its stack is in use.
 */

/* Change s's state to how unless it was woken already: whether to ready. */
static bool multi_wake(struct wt_multi *s, uint32_t how)
{
	uint32_t st = atomic_load(&s->state);

	while (st == WT_MULTI_ARMED || st == WT_MULTI_PARKED)
		if (atomic_compare_exchange_weak(&s->state, &st, how))
			return st == WT_MULTI_PARKED;
	return false;
}

void wt_multi_init(struct wt_multi *s)
{
	atomic_store_explicit(&s->state, WT_MULTI_ARMED, memory_order_relaxed);
	s->g = getg();
}

bool wt_multi_add(struct wt_multi *s, struct waiter *w, struct wt_bucket *b,
		  const _Atomic uint32_t *addr, uint32_t val)
{
	wt_lock_bucket(b);
	if (atomic_load(addr) != val ||
	    atomic_load(&s->state) != WT_MULTI_ARMED) {
		wt_unlock(b);
		return false;
	}
	w->g = s->g;
	w->addr = addr;
	w->bucket = b;
	w->multi = s;
	w->token = 0;
	w->result = 0;
	enqueue(b, w, false);
	wt_unlock(b);
	return true;
}

void wt_multi_remove(struct waiter *w)
{
	struct wt_bucket *b = w->bucket;

	wt_lock_bucket(b);
	if (w->queued)
		dequeue(b, w);
	wt_unlock(b);
}

static void multi_timeout(struct timer *t)
{
	struct wt_multi *s =
		(void *)((char *)t - offsetof(struct wt_multi, timer));
	struct g *gp = s->g;

	/* timer_del() waits for this function: s lives until it returns. */
	if (multi_wake(s, WT_MULTI_TIMEDOUT))
		goready(gp);
}

/* On g0, once the G is off its stack: park unless a wake came first. */
static bool multi_commit(struct g *gp, void *arg)
{
	struct wt_multi *s = arg;
	uint32_t st = WT_MULTI_ARMED;

	(void)gp;
	return atomic_compare_exchange_strong(&s->state, &st, WT_MULTI_PARKED);
}

int wt_multi_park(struct wt_multi *s, int64_t deadline)
{
	if (s->g->flags & G_KERNEL_WAITS)
		fatal("wt_multi_park: a G that waits in the kernel");
	if (deadline >= 0 && deadline <= nanotime()) {
		multi_wake(s, WT_MULTI_TIMEDOUT);
	} else if (atomic_load(&s->state) == WT_MULTI_ARMED) {
		if (deadline >= 0) {
			s->timer.when = deadline;
			s->timer.f = multi_timeout;
			timer_add(&s->timer);
		}
		gopark(multi_commit, s);
		if (deadline >= 0)
			timer_del(&s->timer);
	}
	return atomic_load(&s->state) == WT_MULTI_TIMEDOUT ? ETIMEDOUT : 0;
}
