// SPDX-License-Identifier: MIT
/*
 * Reader-writer locks, with glibc's kinds: readers preferred (the default,
 * and PTHREAD_RWLOCK_PREFER_WRITER_NP, which glibc treats alike) or writers
 * preferred (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, also set by its
 * static initializer): then a reader does not take a read-held lock while
 * a writer waits.
 *
 * One word: a WRITER bit, a WAITERS bit and the number of readers. Without
 * waiters, readers and writers take and release it with one CAS. Anything
 * else happens under the wait-table bucket lock of the rwlock, which makes
 * it a small monitor: a G that cannot have the lock queues (its kind noted
 * in the waiter), and whoever releases it last hands it over directly:
 * to the first waiting writer, or to all waiting readers at once.
 *
 * A process-shared rwlock sleeps on the kernel's futex on the word and
 * every release with waiters wakes them all to try again.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "sync.h"

#define RW_WRITER  (1u << 31)
#define RW_WAITERS (1u << 30)
#define RW_READERS (RW_WAITERS - 1)

enum { WANT_READ, WANT_WRITE };

static struct sync_rwlock *rwl(pthread_rwlock_t *l)
{
	return (struct sync_rwlock *)l;
}

static bool prefer_writer(const struct sync_rwlock *rw)
{
#ifdef __GLIBC__
	return rw->flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
#else
	(void)rw;
	return false; /* musl's rwlocks have no kinds: readers first */
#endif
}

/* Can a reader come in now? Bucket lock held for writers_waiting. */
static bool reader_may_enter(const struct sync_rwlock *rw, uint32_t s)
{
	return !(s & RW_WRITER) && (s & RW_READERS) < RW_READERS &&
	       !(prefer_writer(rw) && rw->writers_waiting);
}

/*
 * Hand the lock to waiters if it is free enough. Bucket lock held; the
 * taken Gs are added to *ready.
 */
static void grant(struct wt_bucket *b, struct sync_rwlock *rw,
		  struct waiter **ready)
{
	uint32_t s = atomic_load(&rw->state), readers = s & RW_READERS, n = 0;
	struct waiter *w, *next;

	if (s & RW_WRITER)
		return;
	w = wt_first(b, rw);
	if (!w) {
		atomic_fetch_and(&rw->state, ~RW_WAITERS);
		return;
	}
	if (readers == 0) {
		struct waiter *wr = w;

		while (wr && wr->kind != WANT_WRITE)
			wr = wt_next(wr);
		if (wr && (w == wr || prefer_writer(rw))) {
			rw->writers_waiting--;
			atomic_store(&rw->writer, wr->id);
			atomic_fetch_or(&rw->state, RW_WRITER);
			wt_take(b, wr, 1, ready);
			goto out;
		}
	}
	if (!(prefer_writer(rw) && rw->writers_waiting)) {
		for (; w; w = next) {
			next = wt_next(w);
			if (w->kind == WANT_READ) {
				wt_take(b, w, 1, ready);
				n++;
			}
		}
		atomic_fetch_add(&rw->state, n);
	}
out:
	if (!wt_first(b, rw))
		atomic_fetch_and(&rw->state, ~RW_WAITERS);
}

/* Take the lock for want, now or never (try), else queue until deadline. */
static int rw_private(struct sync_rwlock *rw, int want, bool try,
		      int64_t deadline, uint64_t id)
{
	struct waiter w, *ready = NULL;
	struct wt_bucket *b = wt_lock(rw);
	uint32_t s = atomic_load(&rw->state);
	bool expired = try || (deadline >= 0 && deadline <= nanotime());
	int r;

	/*
	 * Take the lock, or mark the word as having waiters, each by a CAS
	 * from the state just judged: an unlock on the fast path (no
	 * RW_WAITERS, no bucket lock) between the look and a blind setting
	 * of the bit would leave this G queued on a free lock.
	 */
	for (;;) {
		bool may = want == WANT_READ ? reader_may_enter(rw, s)
					     : !(s & ~RW_WAITERS);
		uint32_t to = want == WANT_READ ? s + 1 : s | RW_WRITER;

		if (!may) {
			if (expired) {
				wt_unlock(b);
				return try ? EBUSY : ETIMEDOUT;
			}
			to = s | RW_WAITERS;
		}
		if (atomic_compare_exchange_weak(&rw->state, &s, to)) {
			if (!may)
				break;
			wt_unlock(b);
			if (want == WANT_WRITE)
				atomic_store(&rw->writer, id);
			return 0;
		}
	}
	if (want == WANT_WRITE)
		rw->writers_waiting++;
	w.kind = want;
	w.id = id;
	g_waitfor(GW_RWLOCK, rw, deadline);
	r = wt_wait(b, rw, &w, deadline, WT_INTR);
	if (r == 0)
		return 0; /* granted */
	/*
	 * Timed out, or interrupted (the caller waits again): a writer that
	 * no longer waits may let readers in.
	 */
	if (want == WANT_WRITE) {
		b = wt_lock(rw);
		rw->writers_waiting--;
		grant(b, rw, &ready);
		wt_unlock(b);
		wt_ready(ready);
	}
	return r;
}

static int rw_shared(struct sync_rwlock *rw, int want, bool try,
		     int64_t deadline)
{
	uint32_t s;

	for (;;) {
		s = atomic_load(&rw->state);
		if (want == WANT_READ ? !(s & RW_WRITER) : !(s & ~RW_WAITERS)) {
			uint32_t to = want == WANT_READ ? s + 1 : s | RW_WRITER;
			if (atomic_compare_exchange_weak(&rw->state, &s, to))
				return 0;
			continue;
		}
		if (try)
			return EBUSY;
		if (!(s & RW_WAITERS) &&
		    !atomic_compare_exchange_weak(&rw->state, &s,
						  s | RW_WAITERS))
			continue;
		if (kfutex_wait(&rw->state, s | RW_WAITERS, deadline) ==
		    ETIMEDOUT)
			return ETIMEDOUT;
	}
}

static int rw_lock(struct sync_rwlock *rw, int want, bool try, int64_t deadline)
{
	uint64_t id = owner_id(rw->pshared);
	uint32_t s = atomic_load(&rw->state);
	int r;

	/* glibc: the owning writer deadlocks waiting, but a try is busy. */
	if (!try && (s & RW_WRITER) && atomic_load(&rw->writer) == id)
		return EDEADLK;
	if (want == WANT_READ && !(s & (RW_WRITER | RW_WAITERS)) &&
	    (s & RW_READERS) < RW_READERS &&
	    atomic_compare_exchange_strong(&rw->state, &s, s + 1))
		return 0;
	if (want == WANT_WRITE) {
		s = 0;
		if (atomic_compare_exchange_strong(&rw->state, &s, RW_WRITER)) {
			atomic_store(&rw->writer, id);
			return 0;
		}
	}
	if (!rw->pshared) {
		/* A signal's handler ran: wait again, as on Linux. */
		do
			r = rw_private(rw, want, try, deadline, id);
		while (r == EINTR || r == ERESTART);
		return r;
	}
	r = rw_shared(rw, want, try, deadline);
	if (r == 0 && want == WANT_WRITE)
		atomic_store(&rw->writer, id);
	return r;
}

static int rw_unlock(struct sync_rwlock *rw)
{
	struct waiter *ready = NULL;
	struct wt_bucket *b;
	uint32_t s = atomic_load(&rw->state), to;

	for (;;) {
		if (s & RW_WRITER) {
			atomic_store(&rw->writer, 0);
			to = s & ~RW_WRITER;
		} else if (s & RW_READERS) {
			to = s - 1;
		} else {
			return EPERM; /* not locked */
		}
		if (rw->pshared || !(s & RW_WAITERS)) {
			if (!atomic_compare_exchange_weak(&rw->state, &s, to))
				continue;
			if (rw->pshared && (s & RW_WAITERS)) {
				atomic_fetch_and(&rw->state, ~RW_WAITERS);
				kfutex_wake(&rw->state, INT_MAX);
			}
			/* As a mutex's: a G that only locks and unlocks. */
			preempt_check();
			return 0;
		}
		break;
	}
	b = wt_lock(rw);
	s = atomic_load(&rw->state);
	if (s & RW_WRITER)
		atomic_fetch_and(&rw->state, ~RW_WRITER);
	else
		atomic_fetch_sub(&rw->state, 1);
	grant(b, rw, &ready);
	wt_unlock(b);
	wt_ready(ready);
	preempt_check();
	return 0;
}

SPROUT_EXPORT int pthread_rwlock_init(pthread_rwlock_t *lock,
				      const pthread_rwlockattr_t *attr)
{
	struct sync_rwlock *rw = rwl(lock);
	int pshared = PTHREAD_PROCESS_PRIVATE, kind = 0; /* readers first */

	if (!shim_on())
		return REAL(pthread_rwlock_init)(lock, attr);
	if (attr) {
		pthread_rwlockattr_getpshared(attr, &pshared);
#ifdef __GLIBC__
		pthread_rwlockattr_getkind_np(attr, &kind);
#endif
	}
	memset(rw, 0, sizeof(*rw));
	rw->pshared = pshared == PTHREAD_PROCESS_SHARED;
	rw->flags = (unsigned int)kind;
	return 0;
}

SPROUT_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *lock)
{
	if (!shim_on())
		return REAL(pthread_rwlock_destroy)(lock);
	return 0;
}

SPROUT_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *lock)
{
	if (!shim_on())
		return REAL(pthread_rwlock_rdlock)(lock);
	return rw_lock(rwl(lock), WANT_READ, false, NO_DEADLINE);
}

SPROUT_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *lock)
{
	if (!shim_on())
		return REAL(pthread_rwlock_tryrdlock)(lock);
	return rw_lock(rwl(lock), WANT_READ, true, NO_DEADLINE);
}

SPROUT_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *lock)
{
	if (!shim_on())
		return REAL(pthread_rwlock_wrlock)(lock);
	return rw_lock(rwl(lock), WANT_WRITE, false, NO_DEADLINE);
}

SPROUT_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *lock)
{
	if (!shim_on())
		return REAL(pthread_rwlock_trywrlock)(lock);
	return rw_lock(rwl(lock), WANT_WRITE, true, NO_DEADLINE);
}

static int timed(pthread_rwlock_t *lock, int want, clockid_t clock,
		 const struct timespec *abstime)
{
	int64_t deadline;
	int r;

	/* As glibc: the time is checked first, even if the lock is free. */
	r = deadline_of(abstime, clock, &deadline);
	return r ? r : rw_lock(rwl(lock), want, false, deadline);
}

SPROUT_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *lock,
					     const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_rwlock_timedrdlock)(lock, abstime);
	return timed(lock, WANT_READ, CLOCK_REALTIME, abstime);
}

SPROUT_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *lock,
					     const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_rwlock_timedwrlock)(lock, abstime);
	return timed(lock, WANT_WRITE, CLOCK_REALTIME, abstime);
}

#ifdef __GLIBC__
SPROUT_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *lock,
					     clockid_t clock,
					     const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_rwlock_clockrdlock)(lock, clock, abstime);
	if (!clock_ok(clock))
		return EINVAL;
	return timed(lock, WANT_READ, clock, abstime);
}

SPROUT_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *lock,
					     clockid_t clock,
					     const struct timespec *abstime)
{
	if (!shim_on())
		return REAL(pthread_rwlock_clockwrlock)(lock, clock, abstime);
	if (!clock_ok(clock))
		return EINVAL;
	return timed(lock, WANT_WRITE, clock, abstime);
}
#endif

SPROUT_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *lock)
{
	if (!shim_on())
		return REAL(pthread_rwlock_unlock)(lock);
	return rw_unlock(rwl(lock));
}
