// SPDX-License-Identifier: MIT
/*
 * Mutexes: normal, recursive, errorcheck and adaptive, with glibc's static
 * initializers, trylock, timedlock and clocklock; robust ones, and the
 * priority protocols.
 *
 * A process-private mutex is one word (Go's sync.Mutex in spirit): LOCKED,
 * WAITERS and WOKEN bits, Gs parked on the word's address in the wait
 * table. A failed lock spins a little while another P may release it
 * soon, then sets WAITERS and parks, under the bucket lock, so an unlock
 * that sees WAITERS finds it there. An unlock with WAITERS wakes the first
 * waiter, unless WOKEN says a G that will look at the word again is
 * already on its way (one woken and not yet run, or one spinning): then
 * it only releases the lock, and the woken G, not the unlock, decides
 * whether to park again. So however many wait, at most one is woken at a
 * time, and a G that locks and unlocks while others wait does not wake
 * them all into the run queues to lose and park again (Go's mutexWoken).
 * The G that WOKEN stands for clears it as it takes the lock or parks.
 *  - normally the unlock releases the lock and the woken G competes for it
 *    with newcomers (a running G that takes the lock is cheaper than a
 *    switch); a G that loses waits again at the front of the queue;
 *  - once the first waiter has waited more than STARVING_NS, the unlock
 *    hands the lock over: the word stays LOCKED and the waiter wakes
 *    owning it (Go's starvation mode), so no waiter starves.
 *
 * A process-shared mutex uses the kernel's futex instead (0 free, 1 locked,
 * 2 locked with waiters), and hands the P off while its thread sleeps.
 * pthread_mutex_destroy() refuses (EBUSY) a mutex that is locked or that a
 * G in a condvar wait will take back, as glibc's does.
 *
 * Robust mutexes (kind & MUTEX_ROBUST_BIT) take a slower path and keep
 * glibc's layout (compat/sync.h): the lock word holds the owner's thread id
 * with FUTEX_WAITERS and FUTEX_OWNER_DIED, __owner glibc's INCONSISTENT or
 * NOTRECOVERABLE. The thread id is:
 *  - process-private: the owning G's own (g_tid(), above any kernel
 *    thread id). The G's held ones are on a list in its TLS; waiters
 *    park in the wait table.
 *  - process-shared: the keeper's, a kernel thread the runtime starts at
 *    the first such lock in a process (again in a child of fork()), which
 *    does nothing but live as long as the process. Its robust list, given
 *    to the kernel with set_robust_list(), is the list of every
 *    process-shared robust mutex that a G of the process holds, kept under
 *    a lock with list_op_pending set around each change, as glibc does for
 *    a thread. Which G holds one is in robust_g. Waiters sleep on the
 *    kernel's futex, which a native process's unlock wakes too.
 * Deaths covered:
 *  - a G ends holding one (return, pthread_exit(), cancellation, the exit
 *    system call): mutex_g_exit() marks each it holds, private or shared,
 *    FUTEX_OWNER_DIED and wakes a waiter, as the kernel does at a thread's
 *    exit;
 *  - the process ends (exit, a signal, SIGKILL) or calls execve(): the
 *    kernel walks the keeper's robust list as the keeper goes, and marks
 *    every shared one a G held, for other processes (native glibc ones
 *    too: the layout is theirs) to get EOWNERDEAD.
 * Not covered: more than the kernel's 2048 (ROBUST_LIST_LIMIT) shared ones
 * held at once by the Gs of one process (the walk stops there); in a child
 * of fork(), the mutexes of Gs that did not fork stay locked (glibc's
 * child does not own its parent's robust mutexes either).
 *
 * PTHREAD_PRIO_INHERIT: Gs have no priorities of their own to lend, so a
 * priority-inheritance mutex behaves as its base type (robust or not).
 * PTHREAD_PRIO_PROTECT: the ceiling lives in __kind (MUTEX_CEILING_*); a
 * lock fails with EINVAL when the caller's priority is above it, and
 * while a G holds such mutexes the kernel thread it runs on gets the
 * highest ceiling as its priority (glibc's __pthread_tpp_change_priority):
 * a real boost for a G on a kernel thread of its own; for a G of the
 * default policy the kernel refuses it, and the lock fails with EINVAL as
 * it does natively.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"
#include "../arch/x86_64/sys.h"

#define M_LOCKED  1u
#define M_WAITERS 2u
#define M_WOKEN	  4u
/* With M_WOKEN, the wait table's generation it was set in (bits 8 up). */
#define M_GEN_SHIFT 8
#define M_WOKEN_ALL (M_WOKEN | ~0u << M_GEN_SHIFT)
#define STARVING_NS 1000000

/* M_WOKEN, set now. */
static uint32_t woken_now(void)
{
	return M_WOKEN | wt_generation() << M_GEN_SHIFT;
}

/*
 * The word as it stands for this process: an M_WOKEN set before a fork()
 * stood for a G of the parent's, which the child does not have; it is
 * clear in the child (a free mutex whose waiter was woken and had not
 * run would otherwise never wake one again there).
 */
static uint32_t live(uint32_t v)
{
	if ((v & M_WOKEN) && (v & M_WOKEN_ALL) != woken_now())
		return v & ~M_WOKEN_ALL;
	return v;
}

static struct sync_mutex *mx(pthread_mutex_t *m)
{
	return (struct sync_mutex *)m;
}

static bool is_pshared(const struct sync_mutex *m)
{
	return m->kind & MUTEX_PSHARED_BIT;
}

static int kind_of(const struct sync_mutex *m)
{
	return m->kind & MUTEX_KIND_MASK;
}

static bool owned_kind(const struct sync_mutex *m)
{
	return kind_of(m) == PTHREAD_MUTEX_RECURSIVE ||
	       kind_of(m) == PTHREAD_MUTEX_ERRORCHECK;
}

/*
 * woken: the caller is the G that M_WOKEN stands for (an unlock woke it
 * with MUTEX_WOKEN).
 */
static int lock_private(struct sync_mutex *m, int64_t deadline, uint64_t id,
			bool woken)
{
	struct wt_bucket *b;
	struct waiter w;
	bool front = woken;
	int spin = 0, r;
	uint32_t v, lv, nv;

	w.since = 0;
	for (;;) {
		v = atomic_load_explicit(&m->state, memory_order_relaxed);
		if (!(v & M_LOCKED)) {
			nv = (live(v) | M_LOCKED) & ~(woken ? M_WOKEN_ALL : 0);
			if (atomic_compare_exchange_weak_explicit(
				    &m->state, &v, nv, memory_order_acquire,
				    memory_order_relaxed))
				return 0;
			continue;
		}
		if (!w.since && canspin(spin)) {
			/* Spinning: an unlock need not wake a waiter. */
			lv = live(v);
			if (!woken && (lv & (M_WAITERS | M_WOKEN)) == M_WAITERS)
				woken = atomic_compare_exchange_weak(
					&m->state, &v, lv | woken_now());
			spin++;
			procyield(30);
			continue;
		}
		b = wt_lock(&m->state);
		v = atomic_load(&m->state);
		nv = (live(v) | M_WAITERS) & ~(woken ? M_WOKEN_ALL : 0);
		if (!(v & M_LOCKED) ||
		    (nv != v &&
		     !atomic_compare_exchange_strong(&m->state, &v, nv))) {
			wt_unlock(b);
			continue;
		}
		woken = false;
		if (!w.since)
			w.since = nanotime();
		w.id = id;
		g_waitfor(GW_MUTEX, m, deadline);
		r = wt_wait(b, &m->state, &w, deadline,
			    (front ? WT_FRONT : 0) | WT_INTR);
		if (r == EINTR || r == ERESTART)
			continue; /* a signal's handler ran: wait again */
		if (r)
			return r;
		if (w.token == MUTEX_HANDOFF)
			return 0;
		woken = front = true;
	}
}

/*
 * After an unlock that left WAITERS without WOKEN (v: the word then): wake
 * the first waiter, unless the word says someone else will look at it.
 */
static void unlock_slow(struct sync_mutex *m, uint32_t v)
{
	struct waiter *h, *ready = NULL;
	struct wt_bucket *b;
	uint32_t lv, nv, token;
	bool more;

	/* Taken again meanwhile (its unlock will wake), or another woke. */
	do {
		lv = live(v);
		if ((lv & (M_LOCKED | M_WAITERS | M_WOKEN)) != M_WAITERS)
			return;
	} while (
		!atomic_compare_exchange_weak(&m->state, &v, lv | woken_now()));
	/*
	 * M_WOKEN is ours: no other unlock wakes and no spinner claims it.
	 * WAITERS changes only under the bucket lock, so only LOCKED can.
	 */
	b = wt_lock(&m->state);
	h = wt_first(b, &m->state);
	more = h && wt_next(h) != NULL;
	token = h && nanotime() - h->since > STARVING_NS ? MUTEX_HANDOFF
							 : MUTEX_WOKEN;
	v = atomic_load(&m->state);
	do {
		nv = v & ~(M_WOKEN_ALL | M_WAITERS);
		if (more)
			nv |= M_WAITERS;
		if (h && token == MUTEX_HANDOFF && !(v & M_LOCKED))
			nv |= M_LOCKED; /* the waiter's: newcomers keep out */
		else if (h)
			nv |= woken_now();
	} while (!atomic_compare_exchange_weak(&m->state, &v, nv));
	if (h) {
		if (!(nv & M_WOKEN))
			atomic_store(&m->owner, h->id);
		else
			token = MUTEX_WOKEN;
		wt_take(b, h, token, &ready);
	}
	wt_unlock(b);
	if (ready && !(nv & M_WOKEN))
		goready_handoff(ready->g);
	else
		wt_ready(ready);
}

static void unlock_private(struct sync_mutex *m)
{
	/* Not a subtraction: an unlocked one stays whole, as glibc's. */
	uint32_t v = atomic_fetch_and_explicit(&m->state, ~M_LOCKED,
					       memory_order_release);

	/* Nobody to wake, or a G on its way to look at the word. */
	if ((live(v) & (M_WAITERS | M_WOKEN)) == M_WAITERS)
		unlock_slow(m, v & ~M_LOCKED);
}

static int lock_shared(struct sync_mutex *m, int64_t deadline)
{
	int spin = 0;

	while (canspin(spin++)) {
		uint32_t v = 0;
		procyield(30);
		if (atomic_compare_exchange_weak(&m->state, &v, 1))
			return 0;
	}
	while (atomic_exchange(&m->state, 2) != 0)
		if (kfutex_wait(&m->state, 2, deadline) == ETIMEDOUT)
			return ETIMEDOUT;
	return 0;
}

static void unlock_shared(struct sync_mutex *m)
{
	if (atomic_exchange(&m->state, 0) == 2)
		kfutex_wake(&m->state, 1);
}

/* Robust mutexes. */

#define OWNER_INCONSISTENT   0x7fffffff /* glibc's PTHREAD_MUTEX_INCONSISTENT */
#define OWNER_NOTRECOVERABLE 0x7ffffffe /* PTHREAD_MUTEX_NOTRECOVERABLE */
#define G_TID_BASE	     0x400000	/* PID_MAX_LIMIT */
#define ROBUST_LIST_LIMIT    2048	/* the kernel's */
#define KEEPER_STACK	     (64 * 1024)

static bool is_robust(const struct sync_mutex *m)
{
	return m->kind & MUTEX_ROBUST_BIT;
}

/*
 * The calling G's thread id in a private robust mutex: never a kernel's.
 * In a child of fork() the forking G has another, as the forking thread
 * has natively: it does not own the robust mutexes it held in the parent.
 */
static uint32_t g_tid(void)
{
	uint64_t forks =
		atomic_load_explicit(&sched_forks, memory_order_relaxed);

	return G_TID_BASE + (uint32_t)((owner_id(false) + forks * 0x9e3779b9u) %
				       (FUTEX_TID_MASK - G_TID_BASE));
}

/* The process-shared robust mutexes the Gs of this process hold. */
static struct {
	struct lock lock;
	struct robust_list_head head;
	uint32_t tid;		    /* the keeper's kernel thread id */
	_Atomic unsigned int ready; /* sched_forks + 1 once it runs */
	_Atomic unsigned int start; /* sched_forks + 1 once one starts it */
	uint32_t never;
} keeper = {
	.lock = LOCK_INIT(RANK_KEEPER),
	.head = { .list = { &keeper.head.list },
		  .futex_offset = (long)offsetof(struct sync_mutex, state) -
				  (long)offsetof(struct sync_mutex, next) },
};

/* The robust ones the calling G holds: private, and how many shared. */
static __thread struct sync_mutex *held_private
	__attribute__((tls_model("initial-exec")));
static __thread unsigned int held_shared
	__attribute__((tls_model("initial-exec")));
static __thread unsigned int held_forks
	__attribute__((tls_model("initial-exec")));

/* Priority protection (glibc's tpp), per G. */

#define PRIO_LEVELS 100

/*
 * Allocated by a G's first PP lock and freed as it exits: one pointer of
 * static TLS in every G rather than the 216 bytes few programs use.
 */
struct tpp {
	uint16_t held[PRIO_LEVELS]; /* PP mutexes held, by ceiling */
	int max;		    /* highest ceiling held, 0: none */
	int normal, policy;	    /* the thread's own, while boosted */
	int applied;		    /* the priority set for the boost */
};

static __thread struct tpp *tpp __attribute__((tls_model("initial-exec")));

/* In a child of fork(), the forking G holds none of them (g_tid()). */
static void held_check(void)
{
	unsigned int forks =
		atomic_load_explicit(&sched_forks, memory_order_relaxed);

	if (unlikely(held_forks != forks)) {
		held_private = NULL;
		held_shared = 0;
		held_forks = forks;
	}
}

static struct sync_mutex *mutex_of(struct robust_list *node)
{
	return (struct sync_mutex *)((char *)node -
				     offsetof(struct sync_mutex, next));
}

static void *keeper_main(void *arg)
{
	unsigned int gen = (unsigned int)(uintptr_t)arg;

	sys2(SYS_set_robust_list, (long)&keeper.head, sizeof(keeper.head));
	keeper.tid = (uint32_t)sys_gettid();
	atomic_store(&keeper.ready, gen);
	kfutex_wake(&keeper.ready, INT_MAX);
	for (;;)
		sys_futex_wait_until(&keeper.never, 0, -1, true);
	return NULL;
}

/*
 * The keeper's thread id in this process, 0 if there is none yet; with
 * start, start it if there is none (0 if it cannot be started). In a child
 * of fork() the parent's keeper is gone and the list names the parent's
 * mutexes: a new keeper starts with an empty list.
 */
static uint32_t keeper_tid(bool start)
{
	unsigned int gen = atomic_load(&sched_forks) + 1, seen;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	seen = atomic_load_explicit(&keeper.ready, memory_order_acquire);
	if (likely(seen == gen))
		return keeper.tid;
	if (!start)
		return 0;
	seen = atomic_load(&keeper.start);
	if (seen == gen ||
	    !atomic_compare_exchange_strong(&keeper.start, &seen, gen)) {
		/* Another G starts it. */
		while ((seen = atomic_load(&keeper.ready)) != gen) {
			if (atomic_load(&keeper.start) != gen)
				return 0; /* it failed */
			kfutex_wait(&keeper.ready, seen, nanotime() + 1000000);
		}
		return keeper.tid;
	}
	lock_init(&keeper.lock, RANK_KEEPER);
	keeper.head.list.next = &keeper.head.list;
	keeper.head.list_op_pending = NULL;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, KEEPER_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = runtime_thread_create(REAL(pthread_create), &t, &attr, keeper_main,
				  (void *)(uintptr_t)gen);
	pthread_attr_destroy(&attr);
	if (r) {
		atomic_store(&keeper.start, 0);
		return 0;
	}
	while ((seen = atomic_load(&keeper.ready)) != gen)
		kfutex_wait(&keeper.ready, seen, NO_DEADLINE);
	return keeper.tid;
}

/*
 * keeper.lock is taken inside the runtime: no handler of the program's runs
 * on the caller while it is held (one that locked a shared robust mutex
 * would wait for itself).
 */
static void keeper_lock(void)
{
	rt_enter();
	lock(&keeper.lock);
}

static void keeper_unlock(void)
{
	unlock(&keeper.lock);
	rt_exit();
}

/* Link m, shared, on the keeper's list; under keeper.lock. */
static void shared_link(struct sync_mutex *m)
{
	struct robust_list *first = keeper.head.list.next;

	m->next = first;
	m->prev = &keeper.head.list;
	if (first != &keeper.head.list)
		mutex_of(first)->prev = &m->next;
	keeper.head.list.next = (struct robust_list *)&m->next;
}

static void shared_unlink(struct sync_mutex *m)
{
	struct robust_list *prev = m->prev, *next = m->next;

	prev->next = next;
	if (next != &keeper.head.list)
		mutex_of(next)->prev = prev;
}

static void private_link(struct sync_mutex *m)
{
	m->prev = NULL;
	m->next = held_private;
	if (held_private)
		held_private->prev = m;
	held_private = m;
}

static void private_unlink(struct sync_mutex *m)
{
	struct sync_mutex *prev = m->prev, *next = m->next;

	if (prev)
		prev->next = next;
	else
		held_private = next;
	if (next)
		next->prev = prev;
}

/*
 * Take robust m by changing its word from *v to nv; false (and *v the word
 * now) if it changed meanwhile. A shared one goes on the keeper's list in
 * the same step, as the kernel sees it (list_op_pending).
 */
static bool robust_take(struct sync_mutex *m, uint32_t *v, uint32_t nv,
			uint32_t gtid)
{
	bool ok;

	if (!is_pshared(m)) {
		if (!atomic_compare_exchange_strong(&m->state, v, nv))
			return false;
		private_link(m);
		m->robust_g = gtid;
		return true;
	}
	keeper_lock();
	keeper.head.list_op_pending = (struct robust_list *)&m->next;
	ok = atomic_compare_exchange_strong(&m->state, v, nv);
	if (ok) {
		shared_link(m);
		m->robust_g = gtid;
		held_shared++;
	}
	keeper.head.list_op_pending = NULL;
	keeper_unlock();
	return ok;
}

/*
 * Wait while robust m's word is v: a private one parks the G, a shared
 * one sleeps in the kernel (a native process may wake it). 0 (woken,
 * a signal's handler ran, the word differed) or ETIMEDOUT.
 */
static int robust_wait(struct sync_mutex *m, uint32_t v, int64_t deadline)
{
	int r;

	g_waitfor(GW_MUTEX, m, deadline);
	r = is_pshared(m) ? kfutex_wait(&m->state, v, deadline)
			  : wt_futex_wait_intr(&m->state, v, deadline);

	return r == ETIMEDOUT ? r : 0;
}

static void robust_wake(struct sync_mutex *m)
{
	if (is_pshared(m))
		kfutex_wake(&m->state, 1);
	else
		wt_futex_wake(&m->state, 1);
}

/* Release robust m, leaving owner in __owner. */
static void robust_release(struct sync_mutex *m, int32_t owner)
{
	uint32_t old;

	m->count = 0;
	if (!is_pshared(m)) {
		private_unlink(m);
		m->robust_g = 0;
		atomic_store(&m->robust_owner, owner);
		old = atomic_exchange(&m->state, 0);
	} else {
		keeper_lock();
		keeper.head.list_op_pending = (struct robust_list *)&m->next;
		shared_unlink(m);
		m->robust_g = 0;
		atomic_store(&m->robust_owner, owner);
		old = atomic_exchange(&m->state, 0);
		keeper.head.list_op_pending = NULL;
		keeper_unlock();
		if (held_shared)
			held_shared--;
	}
	if (old & FUTEX_WAITERS)
		robust_wake(m);
}

/* Whether the caller holds robust m; *id: the thread id it locks with. */
static bool robust_mine(struct sync_mutex *m, bool start, uint32_t *id,
			uint32_t gtid)
{
	uint32_t v;

	*id = is_pshared(m) ? keeper_tid(start) : gtid;
	v = atomic_load(&m->state) & FUTEX_TID_MASK;
	return *id && v == *id &&
	       (!is_pshared(m) || atomic_load(&m->robust_g) == gtid);
}

/* glibc's robust lock: EOWNERDEAD and ENOTRECOVERABLE. */
static int robust_lock(struct sync_mutex *m, bool try, int64_t deadline)
{
	uint32_t gtid = g_tid(), id, v, waiters = 0;

	held_check();
	if (robust_mine(m, true, &id, gtid)) {
		if (kind_of(m) == PTHREAD_MUTEX_ERRORCHECK)
			return EDEADLK;
		if (kind_of(m) == PTHREAD_MUTEX_RECURSIVE) {
			if (m->count == UINT32_MAX)
				return EAGAIN;
			m->count++;
			return 0;
		}
	}
	if (!id)
		return EAGAIN; /* no keeper */
	v = atomic_load(&m->state);
	for (;;) {
		if (v & FUTEX_OWNER_DIED) {
			if (!robust_take(m, &v,
					 id | (v & FUTEX_WAITERS) | waiters,
					 gtid))
				continue;
			m->count = 0;
			atomic_store(&m->robust_owner, OWNER_INCONSISTENT);
			return EOWNERDEAD;
		}
		if (!v) {
			if (!robust_take(m, &v, id | waiters, gtid))
				continue;
			if (atomic_load(&m->robust_owner) ==
			    OWNER_NOTRECOVERABLE) {
				robust_release(m, OWNER_NOTRECOVERABLE);
				return ENOTRECOVERABLE;
			}
			m->count = 0;
			atomic_store(&m->robust_owner, (int32_t)id);
			return 0;
		}
		if (try)
			return EBUSY;
		if (!(v & FUTEX_WAITERS)) {
			if (!atomic_compare_exchange_strong(&m->state, &v,
							    v | FUTEX_WAITERS))
				continue;
			v |= FUTEX_WAITERS;
		}
		waiters = FUTEX_WAITERS;
		if (robust_wait(m, v, deadline) == ETIMEDOUT)
			return ETIMEDOUT;
		v = atomic_load(&m->state);
	}
}

/* all: release a recursive one entirely (a condvar wait). */
static int robust_unlock(struct sync_mutex *m, bool all)
{
	int32_t owner = 0;
	uint32_t id;

	held_check();
	if (!robust_mine(m, false, &id, g_tid()))
		return EPERM;
	if (atomic_load(&m->robust_owner) == OWNER_INCONSISTENT) {
		/* Not made consistent: nobody can use it any more. */
		if (m->count && !all) {
			m->count--;
			return ENOTRECOVERABLE;
		}
		owner = OWNER_NOTRECOVERABLE;
	} else if (m->count && !all) {
		m->count--;
		return 0;
	}
	robust_release(m, owner);
	return 0;
}

/* As the kernel for a dead thread: the next locker gets EOWNERDEAD. */
static void owner_died(struct sync_mutex *m, uint32_t id)
{
	uint32_t v = atomic_load(&m->state), nv;

	m->robust_g = 0;
	do {
		if ((v & FUTEX_TID_MASK) != id)
			return;
		nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	} while (!atomic_compare_exchange_weak(&m->state, &v, nv));
	if (nv & FUTEX_WAITERS)
		robust_wake(m);
}

/* The calling G ends: release the robust mutexes it holds as dead. */
void mutex_g_exit(void)
{
	struct robust_list *node, *next;
	struct sync_mutex *m;
	uint32_t gtid, id;
	int n = 0;

	if (unlikely(tpp)) {
		free(tpp);
		tpp = NULL;
	}
	held_check();
	if (likely(!held_private && !held_shared))
		return;
	gtid = g_tid();
	while ((m = held_private)) {
		private_unlink(m);
		owner_died(m, gtid);
	}
	id = held_shared ? keeper_tid(false) : 0;
	held_shared = 0;
	if (!id)
		return;
	keeper_lock();
	for (node = keeper.head.list.next;
	     node != &keeper.head.list && n < ROBUST_LIST_LIMIT;
	     node = next, n++) {
		m = mutex_of(node);
		next = node->next;
		if ((atomic_load(&m->state) & FUTEX_TID_MASK) != id ||
		    atomic_load(&m->robust_g) != gtid)
			continue;
		keeper.head.list_op_pending = node;
		shared_unlink(m);
		owner_died(m, id);
		keeper.head.list_op_pending = NULL;
	}
	keeper_unlock();
}

/* Priority protection. */

static int ceiling_of(const struct sync_mutex *m)
{
	return (m->kind & MUTEX_CEILING_MASK) >> MUTEX_CEILING_SHIFT;
}

/* The priority of the kernel thread the caller runs on, -1 on error. */
static int kthread_prio(void)
{
	struct sched_param sp;

	if (sys2(SYS_sched_getparam, 0, (long)&sp))
		return -1;
	return sp.sched_priority;
}

/* The caller's own priority, without the boost. */
static int normal_prio(void)
{
	int cur = kthread_prio();

	if (!tpp || !tpp->max)
		return cur;
	/* Changed since the boost (pthread_setschedparam()): its own. */
	if (cur != tpp->applied)
		tpp->normal = cur;
	return tpp->normal;
}

/* Hold one more PP mutex of ceiling next and one fewer of prev (-1: none). */
static int tpp_change(int prev, int next)
{
	int max = 0, normal, prio, i;
	struct sched_param sp;
	long r;

	if (next >= PRIO_LEVELS || prev >= PRIO_LEVELS)
		return EINVAL;
	if (!tpp && !(tpp = calloc(1, sizeof(*tpp))))
		return EAGAIN;
	if (next >= 0 && tpp->held[next] == UINT16_MAX)
		return EAGAIN;
	normal = normal_prio();
	if (!tpp->max)
		tpp->policy = (int)sys1(SYS_sched_getscheduler, 0);
	if (next >= 0)
		tpp->held[next]++;
	if (prev >= 0 && tpp->held[prev])
		tpp->held[prev]--;
	for (i = PRIO_LEVELS - 1; i > 0 && !max; i--)
		if (tpp->held[i])
			max = i;
	if (max == tpp->max)
		return 0;
	prio = max > normal ? max : normal;
	if (prio != kthread_prio()) {
		sp.sched_priority = prio;
		r = sys3(SYS_sched_setscheduler, 0, tpp->policy, (long)&sp);
		if (r) {
			if (next >= 0)
				tpp->held[next]--;
			if (prev >= 0)
				tpp->held[prev]++;
			return (int)-r;
		}
	}
	tpp->normal = normal;
	tpp->applied = prio;
	tpp->max = max;
	return 0;
}

static void pp_unlocked(const struct sync_mutex *m)
{
	int c = ceiling_of(m);

	if (tpp && c < PRIO_LEVELS && tpp->held[c])
		tpp_change(c, -1);
}

/*
 * A private one is free whenever LOCKED is clear, whatever WAITERS and
 * WOKEN say (an unlock that woke one waiter of several leaves both): take
 * it if so.
 * v: the word as last read.
 */
static bool take_free(struct sync_mutex *m, uint32_t v)
{
	while (!(v & M_LOCKED))
		if (atomic_compare_exchange_weak_explicit(
			    &m->state, &v, v | M_LOCKED, memory_order_acquire,
			    memory_order_relaxed))
			return true;
	return false;
}

/* Lock m: try only, or wait until deadline (NO_DEADLINE: forever). */
static inline __attribute__((always_inline)) int
plain_lock(struct sync_mutex *m, bool try, int64_t deadline)
{
	bool ps = is_pshared(m);
	uint64_t id = owner_id(ps);
	uint32_t v = 0;
	int r;

	if (owned_kind(m) && atomic_load(&m->owner) == id) {
		if (kind_of(m) == PTHREAD_MUTEX_ERRORCHECK)
			return try ? EBUSY : EDEADLK;
		if (m->count == UINT32_MAX)
			return EAGAIN;
		m->count++;
		return 0;
	}
	if (!atomic_compare_exchange_strong_explicit(&m->state, &v, M_LOCKED,
						     memory_order_acquire,
						     memory_order_relaxed) &&
	    (ps || !take_free(m, v))) {
		if (try)
			return EBUSY;
		r = ps ? lock_shared(m, deadline)
		       : lock_private(m, deadline, id, false);
		if (r)
			return r;
	}
	atomic_store_explicit(&m->owner, id, memory_order_relaxed);
	return 0;
}

/* A priority-protected mutex (never robust: glibc refuses those). */
static int pp_lock(struct sync_mutex *m, bool try, int64_t deadline)
{
	int c = ceiling_of(m), r;

	if (atomic_load(&m->owner) == owner_id(is_pshared(m))) {
		if (kind_of(m) == PTHREAD_MUTEX_ERRORCHECK)
			return EDEADLK;
		if (kind_of(m) == PTHREAD_MUTEX_RECURSIVE)
			return plain_lock(m, try, deadline);
	}
	if (normal_prio() > c)
		return EINVAL;
	r = tpp_change(-1, c);
	if (r)
		return r;
	r = plain_lock(m, try, deadline);
	if (r)
		tpp_change(c, -1);
	return r;
}

static int mutex_lock(struct sync_mutex *m, bool try, int64_t deadline)
{
	/* A destroyed one (kind -1) has every bit. */
	if (unlikely(m->kind & (MUTEX_ROBUST_BIT | MUTEX_PRIO_PROTECT))) {
		if (m->kind < 0)
			return EINVAL;
		return is_robust(m) ? robust_lock(m, try, deadline)
				    : pp_lock(m, try, deadline);
	}
	return plain_lock(m, try, deadline);
}

static int plain_unlock(struct sync_mutex *m, bool all, uint32_t *count)
{
	if (owned_kind(m)) {
		if (atomic_load(&m->owner) != owner_id(is_pshared(m)))
			return EPERM;
		if (m->count && !all) {
			m->count--;
			return 0;
		}
	}
	if (count)
		*count = m->count;
	m->count = 0;
	atomic_store_explicit(&m->owner, 0, memory_order_relaxed);
	if (is_pshared(m))
		unlock_shared(m);
	else
		unlock_private(m);
	return 0;
}

/* all: release it entirely, its recursion count in *count (condvars). */
static int special_unlock(struct sync_mutex *m, bool all, uint32_t *count)
{
	uint32_t n = m->count;
	int r;

	if (m->kind < 0)
		return EINVAL;
	if (is_robust(m)) {
		r = robust_unlock(m, all);
		if (!r && count)
			*count = n;
		return r;
	}
	r = plain_unlock(m, all, count);
	if (!r && (all || n == 0 || !owned_kind(m)))
		pp_unlocked(m);
	return r;
}

static int mutex_unlock(struct sync_mutex *m)
{
	int r;

	if (unlikely(m->kind & (MUTEX_ROBUST_BIT | MUTEX_PRIO_PROTECT)))
		r = special_unlock(m, false, NULL);
	else
		r = plain_unlock(m, false, NULL);
	preempt_check();
	return r;
}

/*
 * The count of Gs in a condvar wait that will take m back. Changed only by
 * a G that holds m (before it lets go, after it has it again), so plain
 * loads and stores suffice: the lock orders them, and the condvar's wait
 * path pays no locked instruction for it. pthread_mutex_destroy() reads it.
 */
static void cond_users_add(struct sync_mutex *m, int n)
{
	uint32_t v = atomic_load_explicit(&m->cond_users, memory_order_relaxed);

	atomic_store_explicit(&m->cond_users, v + (uint32_t)n,
			      memory_order_relaxed);
}

/* For condvars: release m entirely, keeping its recursion count. */
int mutex_unlock_all(struct sync_mutex *m, uint32_t *count)
{
	bool robust = is_robust(m);
	int r;

	/* The waiter will take it back: not to be destroyed meanwhile. */
	if (!robust)
		cond_users_add(m, 1);
	if (unlikely(m->kind & (MUTEX_ROBUST_BIT | MUTEX_PRIO_PROTECT)))
		r = special_unlock(m, true, count);
	else
		r = plain_unlock(m, true, count);
	if (r && !robust)
		cond_users_add(m, -1);
	return r;
}

/*
 * Take m back after a condvar wait. token: what an unlock of m woke the
 * waiter with from m's queue (a broadcast moves waiters there), else 0:
 * MUTEX_HANDOFF, m is ours; MUTEX_WOKEN, we are its woken G. The lock's
 * error (EOWNERDEAD: it is ours, ENOTRECOVERABLE: it is not).
 */
int mutex_relock(struct sync_mutex *m, uint32_t count, uint32_t token)
{
	int r = 0;

	if (token == MUTEX_WOKEN) {
		/* Only a private plain one's queue takes a condvar's. */
		uint64_t id = owner_id(false);

		lock_private(m, NO_DEADLINE, id, true);
		atomic_store_explicit(&m->owner, id, memory_order_relaxed);
	} else if (token != MUTEX_HANDOFF) {
		r = mutex_lock(m, false, NO_DEADLINE);
	}
	if (!is_robust(m))
		cond_users_add(m, -1); /* held, but for an error of the lock */
	if (r && r != EOWNERDEAD)
		return r;
	m->count = count;
	return r;
}

/* A condvar moves waiters to m's queue: make its unlock look there. */
void mutex_mark_waiters(const void *state)
{
	atomic_fetch_or((_Atomic uint32_t *)state, M_WAITERS);
}

/* Whether a condvar may move its waiters to m's queue and hand m over. */
bool mutex_is_private(const struct sync_mutex *m)
{
	return !is_pshared(m) &&
	       !(m->kind & (MUTEX_ROBUST_BIT | MUTEX_PRIO_PROTECT));
}

SPROUT_EXPORT int pthread_mutex_init(pthread_mutex_t *mutex,
				     const pthread_mutexattr_t *attr)
{
	struct sync_mutex *m = mx(mutex);
	int type = PTHREAD_MUTEX_DEFAULT, pshared = PTHREAD_PROCESS_PRIVATE;
	int robust = PTHREAD_MUTEX_STALLED, protocol = PTHREAD_PRIO_NONE;
	int ceiling = 0;

	if (!shim_on())
		return REAL(pthread_mutex_init)(mutex, attr);
	if (attr) {
		pthread_mutexattr_gettype(attr, &type);
		pthread_mutexattr_getpshared(attr, &pshared);
		pthread_mutexattr_getrobust(attr, &robust);
		pthread_mutexattr_getprotocol(attr, &protocol);
	}
	/* As glibc: no robust priority-protected mutexes. */
	if (protocol == PTHREAD_PRIO_PROTECT) {
		if (robust == PTHREAD_MUTEX_ROBUST)
			return ENOTSUP;
#ifdef __GLIBC__ /* musl's attributes refuse PTHREAD_PRIO_PROTECT */
		pthread_mutexattr_getprioceiling(attr, &ceiling);
#endif
	}
	memset(m, 0, sizeof(*m));
	m->kind = (type & MUTEX_KIND_MASK) |
		  (pshared == PTHREAD_PROCESS_SHARED ? MUTEX_PSHARED_BIT : 0) |
		  (robust == PTHREAD_MUTEX_ROBUST ? MUTEX_ROBUST_BIT : 0) |
		  (protocol == PTHREAD_PRIO_INHERIT ? MUTEX_PRIO_INHERIT : 0) |
		  (protocol == PTHREAD_PRIO_PROTECT ? MUTEX_PRIO_PROTECT : 0) |
		  ((ceiling << MUTEX_CEILING_SHIFT) & MUTEX_CEILING_MASK);
	return 0;
}

SPROUT_EXPORT int pthread_mutex_destroy(pthread_mutex_t *mutex)
{
	struct sync_mutex *m = mx(mutex);

	if (!shim_on())
		return REAL(pthread_mutex_destroy)(mutex);
	/*
	 * As glibc: a robust one always goes (its owner may have died);
	 * another not while locked or awaited by a condvar's waiter.
	 */
	if (m->kind >= 0 && !is_robust(m) &&
	    ((is_pshared(m) ? atomic_load(&m->state) != 0
			    : atomic_load(&m->state) & M_LOCKED) ||
	     atomic_load(&m->cond_users)))
		return EBUSY;
	m->kind = -1; /* as glibc: later use fails with EINVAL */
	return 0;
}

SPROUT_EXPORT int pthread_mutex_consistent(pthread_mutex_t *mutex)
{
	struct sync_mutex *m = mx(mutex);
	uint32_t id;

	if (!shim_on())
		return REAL(pthread_mutex_consistent)(mutex);
	/* glibc's: a robust one whose owner died, taken since. */
	if (m->kind < 0 || !is_robust(m) ||
	    atomic_load(&m->robust_owner) != OWNER_INCONSISTENT)
		return EINVAL;
	if (!robust_mine(m, false, &id, g_tid()))
		return EPERM;
	atomic_store(&m->robust_owner, (int32_t)id);
	return 0;
}

SPROUT_EXPORT int pthread_mutex_getprioceiling(const pthread_mutex_t *mutex,
					       int *prioceiling)
{
	const struct sync_mutex *m = (const struct sync_mutex *)mutex;

	if (!shim_on())
		return REAL(pthread_mutex_getprioceiling)(mutex, prioceiling);
	if (m->kind < 0 || !(m->kind & MUTEX_PRIO_PROTECT))
		return EINVAL;
	*prioceiling = ceiling_of(m);
	return 0;
}

/*
 * As glibc: the mutex is locked for the change (without the protocol's
 * check and boost), unless the caller holds it recursively.
 */
SPROUT_EXPORT int pthread_mutex_setprioceiling(pthread_mutex_t *mutex,
					       int prioceiling,
					       int *old_ceiling)
{
	struct sync_mutex *m = mx(mutex);
	bool held = false;
	int old, r;

	if (!shim_on())
		return REAL(pthread_mutex_setprioceiling)(mutex, prioceiling,
							  old_ceiling);
	if (m->kind < 0 || !(m->kind & MUTEX_PRIO_PROTECT))
		return EINVAL;
	if (prioceiling < sched_get_priority_min(SCHED_FIFO) ||
	    prioceiling > sched_get_priority_max(SCHED_FIFO) ||
	    prioceiling >= PRIO_LEVELS)
		return EINVAL;
	if (atomic_load(&m->owner) == owner_id(is_pshared(m))) {
		if (kind_of(m) == PTHREAD_MUTEX_ERRORCHECK)
			return EDEADLK;
		held = kind_of(m) == PTHREAD_MUTEX_RECURSIVE;
	}
	if (!held) {
		r = plain_lock(m, false, NO_DEADLINE);
		if (r)
			return r;
	}
	old = ceiling_of(m);
	if (held && old != prioceiling) {
		r = tpp_change(old, prioceiling);
		if (r)
			return r;
	}
	m->kind = (m->kind & ~MUTEX_CEILING_MASK) |
		  (prioceiling << MUTEX_CEILING_SHIFT);
	*old_ceiling = old;
	if (!held)
		plain_unlock(m, false, NULL);
	return 0;
}

SPROUT_EXPORT int pthread_mutex_lock(pthread_mutex_t *mutex)
{
	if (!shim_on())
		return REAL(pthread_mutex_lock)(mutex);
	return mutex_lock(mx(mutex), false, NO_DEADLINE);
}

SPROUT_EXPORT int pthread_mutex_trylock(pthread_mutex_t *mutex)
{
	if (!shim_on())
		return REAL(pthread_mutex_trylock)(mutex);
	return mutex_lock(mx(mutex), true, NO_DEADLINE);
}

static int timedlock(struct sync_mutex *m, clockid_t clock,
		     const struct timespec *abstime)
{
	int64_t deadline;
	int r;

	/*
	 * As glibc: a free mutex is taken, and an error-checking one the
	 * caller holds refused, before the time is looked at.
	 */
	r = mutex_lock(m, true, NO_DEADLINE);
	if (r != EBUSY)
		return r;
	if (kind_of(m) == PTHREAD_MUTEX_ERRORCHECK && !is_robust(m) &&
	    atomic_load(&m->owner) == owner_id(is_pshared(m)))
		return EDEADLK;
	r = deadline_of(abstime, clock, &deadline);
	return r ? r : mutex_lock(m, false, deadline);
}

SPROUT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *mutex,
					  const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_mutex_timedlock)(mutex, abstime);
	return timedlock(mx(mutex), CLOCK_REALTIME, abstime);
}

#ifdef __GLIBC__
SPROUT_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *mutex,
					  clockid_t clock,
					  const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_mutex_clocklock)(mutex, clock, abstime);
	if (!clock_ok(clock))
		return EINVAL;
	return timedlock(mx(mutex), clock, abstime);
}
#endif

SPROUT_EXPORT int pthread_mutex_unlock(pthread_mutex_t *mutex)
{
	if (!shim_on())
		return REAL(pthread_mutex_unlock)(mutex);
	return mutex_unlock(mx(mutex));
}
