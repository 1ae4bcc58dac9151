/* SPDX-License-Identifier: MIT */
/*
 * The wait table (sema.c): park Gs on addresses, wake them in FIFO order,
 * with tokens for direct handoff, deadlines, and requeueing.
 */
#ifndef SPROUT_SCHED_SEMA_H
#define SPROUT_SCHED_SEMA_H

#include "runtime.h"

/*
 * A queue of waiters, keyed by address: one of the table's buckets, or one
 * an object keeps for its own waiters (a netpoller fd: thousands of fds
 * each with a waiter must not share 251 buckets). Zeroed is empty, once
 * wt_bucket_init() has given its lock its rank.
 */
struct wt_bucket {
	struct lock lock;
	struct waiter *heads; /* first waiter of each address's queue */
};

static inline void wt_bucket_init(struct wt_bucket *b)
{
	lock_init(&b->lock, RANK_BUCKET);
	b->heads = NULL;
}

/* One waiting G; lives on the waiter's stack while it waits. */
struct waiter {
	struct g *g;
	const void *addr;
	struct wt_bucket *bucket;
	struct waiter *next, *prev;   /* its address's queue, FIFO */
	struct waiter *tail;	      /* queue head only: its last waiter */
	struct waiter *anext, *aprev; /* queue head only: bucket's heads */
	bool queued;
	bool intr;	/* a signal for its G may end the wait (WT_INTR) */
	uint32_t token; /* set by the waker */
	int result;	/* 0 woken, ETIMEDOUT, EINTR (ERESTART) */
	uint32_t kind;	/* what it waits for; the primitive's business */
	uint64_t id;	/* who waits (owner id for a mutex handoff) */
	int64_t since;	/* nanotime() of its first wait, for fairness */
	struct timer timer;
	struct wt_multi *multi; /* a wait on several addresses, or NULL */
};

/*
 * The table's generation: a new one in each child of fork(), whose
 * waiters, and Gs woken and not yet run, were the parent's (a word that
 * notes one of them holds the generation it was noted in).
 */
uint32_t wt_generation(void) hidden;

/* Lock the bucket of addr; all the calls below need it held. */
struct wt_bucket *wt_lock(const void *addr) hidden;
void wt_lock_bucket(struct wt_bucket *b) hidden; /* an object's own */
void wt_unlock(struct wt_bucket *b) hidden;

/* wt_wait()'s flags. */
enum {
	WT_FRONT = 1, /* queue at the front */
	WT_INTR = 2,  /* a signal for the G ends the wait: EINTR */
	/* With WT_INTR: a cancellation point's, which a due one ends. */
	WT_CANCEL = 4,
};

/*
 * Queue the calling G on addr and park it until a waker takes it or the
 * CLOCK_MONOTONIC deadline passes (-1: none), or, with WT_INTR, until a
 * handler is to run on the G (wt_interrupt()). b is unlocked on return.
 * Returns 0 (w->token is the waker's), ETIMEDOUT, or for a signal, once
 * its handler has run (on the way out of the runtime), EINTR if a handler
 * without SA_RESTART ran, else ERESTART: as the kernel ends a futex wait,
 * which the primitive then fails with EINTR, restarts, or waits again.
 */
int wt_wait(struct wt_bucket *b, const void *addr, struct waiter *w,
	    int64_t deadline, unsigned int flags) hidden;

/* The first waiter on addr, and the one after w, or NULL. */
struct waiter *wt_first(struct wt_bucket *b, const void *addr) hidden;
struct waiter *wt_next(struct waiter *w) hidden;

/*
 * Dequeue w with token and add it to *ready; wt_ready(*ready), after
 * wt_unlock(), makes the taken Gs runnable.
 */
void wt_take(struct wt_bucket *b, struct waiter *w, uint32_t token,
	     struct waiter **ready) hidden;
void wt_ready(struct waiter *ready) hidden;

/* Futex semantics: wait while *addr == val; wake up to n. */
int wt_futex_wait(const _Atomic uint32_t *addr, uint32_t val,
		  int64_t deadline) hidden;
int wt_futex_wake(const void *addr, int n) hidden;
/* The same in an object's own bucket. */
int wt_futex_wait_in(struct wt_bucket *b, const _Atomic uint32_t *addr,
		     uint32_t val, int64_t deadline) hidden;
/* wt_futex_wait() that a signal for the G ends, as WT_INTR. */
int wt_futex_wait_intr(const _Atomic uint32_t *addr, uint32_t val,
		       int64_t deadline) hidden;
/* The same for a cancellation point, as WT_INTR | WT_CANCEL. */
int wt_futex_wait_cancel(const _Atomic uint32_t *addr, uint32_t val,
			 int64_t deadline) hidden;

/*
 * A signal was sent to gp, or a handler ran for it (sched/signal.c): if
 * gp is parked in a WT_INTR wait and a signal left for it is not blocked
 * and has a handler, or a handler ran for it since the wait began, take
 * it off its queue with EINTR and ready it; it then runs the signal on
 * its way out of the runtime. Any thread; no lock held.
 */
void wt_interrupt(struct g *gp) hidden;
int wt_futex_wake_in(struct wt_bucket *b, const void *addr, int n) hidden;

/*
 * Wake nwake waiters of from and move the others to to's queue, calling
 * moving(to) first, if any are to move, with both buckets locked (so that
 * to's object can be marked as having waiters atomically with the move).
 */
int wt_requeue(const void *from, const void *to, int nwake,
	       void (*moving)(const void *to)) hidden;

/*
 * A wait on several addresses at once (poll() of several fds; Go's
 * selectgo): the G queues one waiter per address, all pointing to one
 * wt_multi, and parks once. The first waker (or the deadline) wins a
 * compare-and-swap on its state and readies the G; later ones only take
 * their waiter off its queue. The waiters may be in different buckets,
 * so none is held while the G parks: gopark()'s commit sees whether a
 * wake came first (Go's netpollblockcommit).
 */
struct wt_multi {
	_Atomic uint32_t state; /* WT_MULTI_* (sema.c) */
	struct g *g;
	struct timer timer;
};

void wt_multi_init(struct wt_multi *s) hidden;

/*
 * Queue w on addr in b for s if *addr is still val (true). False: it
 * moved, or s was woken already; the caller must not park.
 */
bool wt_multi_add(struct wt_multi *s, struct waiter *w, struct wt_bucket *b,
		  const _Atomic uint32_t *addr, uint32_t val) hidden;

/*
 * Park until a waiter of s is woken or the CLOCK_MONOTONIC deadline (-1:
 * none) passes: 0 or ETIMEDOUT. Then wt_multi_remove() every waiter added.
 * The caller is in the runtime once (rt_enter()) from before the first
 * wt_multi_add() to after the last wt_multi_remove(): no signal handler
 * runs on the G while its waiters are queued. Not for a G that waits in
 * the kernel (G_KERNEL_WAITS).
 */
int wt_multi_park(struct wt_multi *s, int64_t deadline) hidden;
void wt_multi_remove(struct waiter *w) hidden;

#endif
