// SPDX-License-Identifier: MIT
/*
 * The netpoller (Go's netpoll.go, for file descriptors the program owns).
 *
 * Each fd has a descriptor with an event count per direction and a
 * sequence number. Waiting is a futex wait on the event count (sema.c),
 * in a wait-table bucket of the direction's own, so that waking one of
 * 100,000 connections finds its waiter at once: a G that took a ticket before its non-blocking try
 * parks only if no event came since, so readiness between the try and the
 * park is never lost, and any number of Gs may wait on one fd (threads
 * racing in accept(), say). An event bumps the count and wakes them all;
 * each tries its call again.
 *
 * The fd is registered with epoll, edge-triggered, on its first wait
 * (netpoll_epoll.c). Its sequence number changes whenever the fd number
 * comes to name another file or none: events of the old file are then
 * dropped, its waiters return EBADF, and the new file is registered on
 * its first wait. The order that keeps a waiter from taking another's
 * EBADF: a close makes the number odd before the real close (waiters of
 * the file wake, facts learnt meanwhile are dropped) and even again
 * after, unless the number moved meanwhile; a call that makes an fd
 * makes its number even and new before returning it. So the number is
 * changed before anyone can be given it again, and a new owner, which
 * waits only after it was given the number, is never woken by the close
 * of the file that had it before.
 *
 * Who polls: an M that finds no work polls without blocking
 * (findrunnable()); the one M that would sleep until the next timer
 * sleeps in epoll_wait() instead (timer_sleep()); sysmon polls when nobody
 * has for 10 ms. Descriptors live as long as the process: fd numbers are
 * small and reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "netpoll.h"
#include "../arch/x86_64/sys.h"
#include "sema.h"

/* One direction of an fd: what g->nwait points to. */
struct npdir {
	_Atomic uint32_t ev; /* events seen */
	struct wt_bucket q;  /* its waiters */
};

struct pdesc {
	struct npdir dir[2];	  /* NP_READ, NP_WRITE */
	_Atomic uint32_t seq;	  /* changes when the fd names another file */
	_Atomic uint32_t armed;	  /* seq + 1 once epoll watches it */
	_Atomic uint32_t kind;	  /* seq << 3 | the caller's kind of file */
	_Atomic uint32_t infogen; /* netpoll_info_changed() calls */
	/*
	 * The caller's facts about the file, valid while their stamp is the
	 * fd's: written under infolock (odd while written; a writer that
	 * finds it odd drops its store), read as a sequence lock.
	 */
	_Atomic uint32_t infolock;
	_Atomic uint64_t infostamp;
	_Atomic int flags;
	_Atomic int64_t timeo[2];
};

static struct pdesc *_Atomic *_Atomic table;
static _Atomic int tablen;
static struct lock tablelock = LOCK_INIT(RANK_NETTABLE);
static _Atomic bool inited;
static _Atomic int nwaiting;
static _Atomic int64_t lastpoll;

/* fd's descriptor; with make, created if there is none. */
static struct pdesc *desc(int fd, bool make)
{
	struct pdesc *_Atomic *t;
	struct pdesc *pd;
	int n;

	if (fd < 0)
		return NULL;
	t = atomic_load_explicit(&table, memory_order_acquire);
	if (fd < atomic_load_explicit(&tablen, memory_order_acquire) &&
	    (pd = atomic_load_explicit(&t[fd], memory_order_acquire)))
		return pd;
	if (!make)
		return NULL;
	lock(&tablelock);
	n = atomic_load(&tablen);
	/*
	 * Not for a number no file has: a poll() of fd INT_MAX (POLLNVAL)
	 * grew the table until its length overflowed, for ever. An open
	 * one is below fs.nr_open, at most 2^30.
	 */
	if (fd >= n && sys3(SYS_fcntl, fd, F_GETFD, 0) < 0) {
		unlock(&tablelock);
		return NULL;
	}
	if (fd >= n) {
		/* Grow; the old table stays, as others may be reading it. */
		int len = n ? 2 * n : 256;
		struct pdesc *_Atomic *nt;

		while (len <= fd)
			len *= 2;
		nt = rt_alloc((size_t)len * sizeof(*nt));
		if (!nt)
			fatal("out of memory for the netpoller");
		if (n)
			memcpy((void *)nt, (void *)table,
			       (size_t)n * sizeof(*nt));
		atomic_store_explicit(&table, nt, memory_order_release);
		atomic_store_explicit(&tablen, len, memory_order_release);
	}
	t = atomic_load(&table);
	pd = atomic_load(&t[fd]);
	if (!pd) {
		pd = rt_alloc(sizeof(*pd));
		if (!pd)
			fatal("out of memory for the netpoller");
		wt_bucket_init(&pd->dir[NP_READ].q);
		wt_bucket_init(&pd->dir[NP_WRITE].q);
		atomic_store_explicit(&t[fd], pd, memory_order_release);
	}
	unlock(&tablelock);
	return pd;
}

static uint64_t key_of(int fd, uint32_t seq)
{
	return (uint64_t)(uint32_t)fd | (uint64_t)seq << 32;
}

/* An event: every waiter tries its call again. */
static void wake(struct npdir *d)
{
	atomic_fetch_add(&d->ev, 1);
	wt_futex_wake_in(&d->q, &d->ev, INT_MAX);
}

void netpoll_interrupt(struct npdir *d)
{
	wake(d);
}

static void ready(uint64_t key, uint32_t ev)
{
	struct pdesc *pd = desc((int)(uint32_t)key, false);

	if (!pd || atomic_load(&pd->seq) != (uint32_t)(key >> 32))
		return; /* a file this fd no longer names */
	if (ev & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		wake(&pd->dir[NP_READ]);
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		wake(&pd->dir[NP_WRITE]);
}

/*
 * The netpoller starts as the program makes its first thread
 * (netpoll_start()), or on the first wait, from any M. Its fds are made
 * low, then moved high (np_epoll_init()): while starting is set, a
 * program's close() of a low number may name one of them, and waits for
 * initlock (netpoll_own_fd()).
 */
static struct lock initlock = LOCK_INIT(RANK_NETINIT);
static _Atomic bool starting;

/*
 * initlock is taken with every signal held off (lock_nosig()): the first
 * wait may come at the runtime's depth 0, where a handler of the
 * program's would otherwise run with the lock held, and one that read a
 * pipe would wait for it for ever.
 */
static int init(void)
{
	uint64_t mask = lock_nosig(&initlock);
	int err = 0;

	if (!atomic_load(&inited)) {
		atomic_store(&starting, true);
		err = np_epoll_init();
		atomic_store(&starting, false);
		if (!err)
			atomic_store(&inited, true);
	}
	unlock_nosig(&initlock, mask);
	return err;
}

/*
 * Before the runtime's first thread: make the kernel's fd table of the
 * process room for the fds' high numbers now. Grown later, with other
 * threads sharing it, the kernel waits out an RCU grace period (several
 * ms, in netpoll_start(), while pthread_create() holds its P: sysmon
 * took the P from it and started another M).
 */
void netpoll_prepare(void)
{
	if (np_epoll_fds_go_high())
		np_epoll_grow_fdtable();
}

/*
 * Start while the process still has one thread: pthread_create() calls
 * this before its new G exists. Made on a first wait in one thread, the
 * fds would hold the lowest free numbers for a moment, and an open() in
 * another would be given the next one (tests/progs/fd_first_wait). Not
 * earlier, with the runtime: a process that never waits nor makes a
 * thread would show two fds it never had natively (CPython's
 * test_subprocess lists a child's fds). A child of fork() makes its own
 * at once, as it too has one thread then (np_epoll_afterfork_child()).
 * Where the fds cannot go high (a low RLIMIT_NOFILE), or on a failure,
 * it is left to the first wait.
 */
void netpoll_start(void)
{
	if (!atomic_load(&inited) && np_epoll_fds_go_high())
		init();
}

uint32_t netpoll_ticket(int fd, int mode)
{
	struct pdesc *pd = desc(fd, true);

	return pd ? atomic_load(&pd->dir[mode].ev) : 0;
}

int netpoll_wait(int fd, int mode, uint32_t ticket, int64_t deadline)
{
	struct pdesc *pd = desc(fd, true);
	struct g *gp = getg();
	struct npdir *d;
	uint32_t seq, ran;
	int err = 0;

	if (!pd)
		return EBADF;
	d = &pd->dir[mode];
	if (!atomic_load(&inited) && (err = init()))
		return err;
	seq = atomic_load(&pd->seq);
	if (atomic_load(&pd->armed) != seq + 1) {
		err = np_epoll_arm(fd, key_of(fd, seq));
		if (err)
			return err;
		atomic_store(&pd->armed, seq + 1);
	}
	atomic_fetch_add(&nwaiting, 1);
	/* An idle M may sleep in a futex: it must poll for this one. */
	if (atomic_load(&sched.timer_sleeping))
		wake_timer_sleeper_now();
	sig_wait_begin(gp);
	/*
	 * g_kill() and sig_interrupt_main() wake the G through nwait: they
	 * set sigpend or sigran, then look at nwait; the G sets nwait, then
	 * looks at what they set.
	 */
	atomic_store(&gp->nwait, d);
	g_waitfd(mode == NP_READ ? GW_READ : GW_WRITE, fd, deadline);
	if (!g_sigready(gp) && !atomic_load(&gp->sigran))
		err = wt_futex_wait_in(&d->q, &d->ev, ticket, deadline);
	atomic_store(&gp->nwait, NULL);
	atomic_fetch_sub(&nwaiting, 1);
	if (g_sigready(gp))
		sigpend_deliver(gp); /* left while it did not park */
	ran = sig_wait_ran(gp);
	if (atomic_load(&pd->seq) != seq)
		return EBADF;
	if (ran)
		return ran & SIGRAN_NORESTART ? EINTR : ERESTART;
	return err == ETIMEDOUT ? ETIMEDOUT : 0;
}

static uint64_t stamp_of(struct pdesc *pd)
{
	return atomic_load(&pd->seq) |
	       (uint64_t)(atomic_load(&pd->infogen) & INT_MAX) << 32;
}

uint64_t netpoll_stamp(int fd)
{
	struct pdesc *pd = desc(fd, false);

	return pd ? stamp_of(pd) : 0; /* a new descriptor's is 0 */
}

int netpoll_kind(int fd)
{
	struct pdesc *pd = desc(fd, false);
	uint32_t k;

	if (!pd)
		return 0;
	k = atomic_load_explicit(&pd->kind, memory_order_relaxed);
	return k >> 3 == (atomic_load(&pd->seq) & 0x1fffffff) ? (int)(k & 7)
							      : 0;
}

void netpoll_set_kind(int fd, int kind, uint64_t stamp)
{
	struct pdesc *pd = desc(fd, true);
	uint32_t seq = (uint32_t)stamp, k;

	if (!pd || seq & 1)
		return; /* learnt while a close was under way */
	k = atomic_load(&pd->kind);
	do {
		/* Checked before each try: a newer kind wins the race. */
		if (atomic_load(&pd->seq) != seq)
			return;
	} while (!atomic_compare_exchange_weak(&pd->kind, &k,
					       seq << 3 | (uint32_t)kind));
}

bool netpoll_info(int fd, struct netpoll_info *f)
{
	struct pdesc *pd = desc(fd, false);
	uint32_t v;
	uint64_t st;

	if (!pd)
		return false;
	v = atomic_load_explicit(&pd->infolock, memory_order_acquire);
	if (v & 1)
		return false;
	st = atomic_load_explicit(&pd->infostamp, memory_order_relaxed);
	f->flags = atomic_load_explicit(&pd->flags, memory_order_relaxed);
	f->timeo[0] = atomic_load_explicit(&pd->timeo[0], memory_order_relaxed);
	f->timeo[1] = atomic_load_explicit(&pd->timeo[1], memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	/* No writer came between, and they are the file's of now. */
	return atomic_load_explicit(&pd->infolock, memory_order_relaxed) == v &&
	       st == (stamp_of(pd) | 1ull << 63);
}

void netpoll_set_info(int fd, const struct netpoll_info *f, uint64_t stamp)
{
	struct pdesc *pd = desc(fd, true);
	uint32_t v;

	if (!pd || stamp & 1)
		return;
	v = atomic_load(&pd->infolock);
	if (v & 1 || !atomic_compare_exchange_strong(&pd->infolock, &v, v + 1))
		return; /* another writer: a cache may miss a store */
	if (stamp_of(pd) == stamp) {
		atomic_store_explicit(&pd->infostamp, stamp | 1ull << 63,
				      memory_order_relaxed);
		atomic_store_explicit(&pd->flags, f->flags,
				      memory_order_relaxed);
		atomic_store_explicit(&pd->timeo[0], f->timeo[0],
				      memory_order_relaxed);
		atomic_store_explicit(&pd->timeo[1], f->timeo[1],
				      memory_order_relaxed);
	}
	atomic_store_explicit(&pd->infolock, v + 2, memory_order_release);
}

void netpoll_info_changed(int fd)
{
	struct pdesc *pd = desc(fd, false);

	if (pd)
		atomic_fetch_add(&pd->infogen, 1);
}

/* fd's file changed: its waiters try again, and see the new number. */
static void changed(struct pdesc *pd)
{
	wake(&pd->dir[NP_READ]);
	wake(&pd->dir[NP_WRITE]);
}

uint32_t netpoll_fd_closing(int fd)
{
	struct pdesc *pd = desc(fd, false);
	uint32_t s;

	if (!pd)
		return 0;
	s = atomic_load(&pd->seq);
	do {
		if (s & 1)
			return s; /* another close of it is under way */
	} while (!atomic_compare_exchange_weak(&pd->seq, &s, s + 1));
	changed(pd);
	return s + 1;
}

void netpoll_fd_closed(int fd, uint32_t seq)
{
	struct pdesc *pd = desc(fd, false);

	/* Unless a call that made fd since has moved it on already. */
	if (pd && seq & 1 &&
	    atomic_compare_exchange_strong(&pd->seq, &seq, seq + 1))
		changed(pd);
}

void netpoll_fd_changed(int fd)
{
	struct pdesc *pd = desc(fd, true);
	uint32_t s;

	if (!pd)
		return;
	s = atomic_load(&pd->seq);
	while (!atomic_compare_exchange_weak(&pd->seq, &s,
					     (s | 1) + 1)) /* even, new */
		;
	changed(pd);
}

bool netpoll_own_fd(int fd)
{
	if (unlikely(!netpoll_inited())) {
		if (!atomic_load(&starting))
			return false;
		/* its fds are high once it is done */
		unlock_nosig(&initlock, lock_nosig(&initlock));
		if (!netpoll_inited())
			return false;
	}
	return np_epoll_own_fd(fd);
}

int netpoll_own_fds(int fds[2])
{
	return netpoll_inited() ? np_epoll_own_fds(fds) : 0;
}

unsigned int netpoll_fd_limit(void)
{
	return (unsigned int)atomic_load(&tablen);
}

int netpoll_own_fd_move(int fd)
{
	return netpoll_own_fd(fd) ? np_epoll_own_fd_move(fd) : 0;
}

bool netpoll_inited(void)
{
	return atomic_load_explicit(&inited, memory_order_relaxed);
}

bool netpoll_waiting(void)
{
	return atomic_load_explicit(&nwaiting, memory_order_relaxed) > 0;
}

int netpoll(int64_t until)
{
	int n;

	if (!netpoll_inited())
		return 0;
	n = np_epoll_wait(until, ready);
	atomic_store_explicit(&lastpoll, nanotime(), memory_order_relaxed);
	return n;
}

int64_t netpoll_lastpoll(void)
{
	return atomic_load_explicit(&lastpoll, memory_order_relaxed);
}

void netpoll_break(void)
{
	if (netpoll_inited())
		np_epoll_break();
}

/* The child has no waiters, and an epoll instance of its own to fill. */
void netpoll_afterfork_child(void)
{
	int i, n = atomic_load(&tablen);

	atomic_store(&nwaiting, 0);
	lock_init(&tablelock, RANK_NETTABLE);
	if (netpoll_inited())
		np_epoll_afterfork_child();
	for (i = 0; i < n; i++) {
		struct pdesc *pd = atomic_load(&table[i]);
		if (pd) {
			atomic_store(&pd->armed, 0);
			/* Its files are the parent's too: see connect(). */
			atomic_fetch_and(&pd->kind, ~(uint32_t)NP_KIND_OURS);
			wt_bucket_init(&pd->dir[NP_READ].q);
			wt_bucket_init(&pd->dir[NP_WRITE].q);
		}
	}
}

/*
 * Waiting on several fds (netpoll_wait_many()), as Go's selectgo waits on
 * several channels: the G puts a waiter in the queue of each (fd,
 * direction) whose count still is the caller's ticket, and parks once;
 * the first wake readies it (sema.c's wt_multi), and on the way out it
 * takes the others off their queues. A count that moved since its ticket
 * means an event came after the caller's look: no wait then. g->nwait is
 * the first direction, through which a signal for the G wakes it.
 */

/* One (fd, direction) of a wait on several. */
struct np_slot {
	struct waiter w;
	struct npdir *d; /* NULL: not waited on */
	bool queued;
};

#define NP_SLOTS_ON_STACK 4

/* Watch fd with epoll if it is not yet: 0, or epoll_ctl's error. */
static int arm_once(int fd, struct pdesc *pd)
{
	uint32_t seq = atomic_load(&pd->seq);
	int err;

	if (atomic_load(&pd->armed) == seq + 1)
		return 0;
	err = np_epoll_arm(fd, key_of(fd, seq));
	if (!err)
		atomic_store(&pd->armed, seq + 1);
	return err;
}

/* Arm the fds: the directions to wait on, or why not to wait. */
static int slots_arm(struct np_slot *sl, const struct netpoll_want *want, int n,
		     struct npdir **first)
{
	int i, err;

	*first = NULL;
	for (i = 0; i < n; i++) {
		struct pdesc *pd = desc(want[i].fd, true);

		sl[i].d = NULL;
		sl[i].queued = false;
		/* The runtime's own fds are never re-registered (BREAK_KEY). */
		if (!pd || netpoll_own_fd(want[i].fd))
			continue;
		err = arm_once(want[i].fd, pd);
		/* A file, or an epoll fd epoll cannot nest: the look says. */
		if (err == EPERM || err == EINVAL || err == ELOOP)
			continue;
		if (err)
			return err == EBADF || err == ENOENT ? EAGAIN : err;
		sl[i].d = &pd->dir[want[i].mode];
		if (!*first)
			*first = sl[i].d;
	}
	return 0;
}

/* Queue the G on each direction and park, unless a count moved. */
static int slots_wait(struct np_slot *sl, const struct netpoll_want *want,
		      int n, int64_t deadline)
{
	struct wt_multi s;
	int i, err = 0;

	wt_multi_init(&s);
	rt_enter();
	for (i = 0; i < n; i++) {
		if (!sl[i].d)
			continue;
		if (!wt_multi_add(&s, &sl[i].w, &sl[i].d->q, &sl[i].d->ev,
				  want[i].ticket))
			break;
		sl[i].queued = true;
	}
	if (i == n)
		err = wt_multi_park(&s, deadline);
	while (i-- > 0)
		if (sl[i].queued)
			wt_multi_remove(&sl[i].w);
	rt_exit();
	return err;
}

int netpoll_wait_many(const struct netpoll_want *want, int n, int64_t deadline)
{
	struct np_slot stack_slots[NP_SLOTS_ON_STACK], *sl = stack_slots;
	struct g *gp = getg();
	struct npdir *first;
	uint32_t ran;
	int err;

	if (!atomic_load(&inited) && (err = init()))
		return err;
	if (n > NP_SLOTS_ON_STACK) {
		sl = rt_alloc((size_t)n * sizeof(*sl));
		if (!sl)
			return ENOMEM;
	}
	err = slots_arm(sl, want, n, &first);
	if (err || !first) {
		if (sl != stack_slots)
			rt_free(sl, (size_t)n * sizeof(*sl));
		if (err)
			return err == EAGAIN ? 0 : err;
		/* Nothing epoll watches: a sleep until a signal or the end. */
		if (sig_wait_ran(gp))
			return EINTR;
		return g_sleep(deadline) == EINTR ? EINTR : ETIMEDOUT;
	}
	atomic_fetch_add(&nwaiting, 1);
	if (atomic_load(&sched.timer_sleeping))
		wake_timer_sleeper_now();
	/* As in netpoll_wait(): g_kill() sets sigpend, then looks at nwait. */
	atomic_store(&gp->nwait, first);
	g_waitfor(GW_POLL, NULL, deadline);
	if (!g_sigready(gp) && !atomic_load(&gp->sigran))
		err = slots_wait(sl, want, n, deadline);
	atomic_store(&gp->nwait, NULL);
	atomic_fetch_sub(&nwaiting, 1);
	if (sl != stack_slots)
		rt_free(sl, (size_t)n * sizeof(*sl));
	if (g_sigready(gp))
		sigpend_deliver(gp);
	ran = sig_wait_ran(gp);
	if (ran)
		return ran & SIGRAN_NORESTART ? EINTR : ERESTART;
	return err;
}
