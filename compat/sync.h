/* SPDX-License-Identifier: MIT */
/*
 * Where the shim's synchronisation objects live inside libc's types.
 *
 * The state of every object is kept in the program's own pthread_mutex_t,
 * pthread_cond_t, ... (their sizes are ABI), and all-zero means "default,
 * unlocked", so static initializers work. glibc's non-zero initializers
 * (PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP and the other _NP ones, the
 * writer-preferring rwlock initializer) set one field each; those fields
 * stay where glibc puts them and keep glibc's encoding. Semaphores keep
 * glibc's whole layout, so that sem_open() (libc's, which initialises the
 * object in a shared file) and processes not using the shim agree on it.
 *
 * musl has no non-zero initializers, and lays out its robust mutexes and
 * semaphores otherwise: the musl build keeps these layouts, which only
 * processes using the shim share (HACKING.md, known gaps).
 */
#ifndef SPROUT_COMPAT_SYNC_H
#define SPROUT_COMPAT_SYNC_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>

/* glibc's mutex kind bits (nptl/pthreadP.h). */
#define MUTEX_KIND_MASK	   3   /* PTHREAD_MUTEX_{TIMED,RECURSIVE,...}_NP */
#define MUTEX_ROBUST_BIT   16  /* PTHREAD_MUTEX_ROBUST_NORMAL_NP */
#define MUTEX_PRIO_INHERIT 32  /* PTHREAD_MUTEX_PRIO_INHERIT_NP */
#define MUTEX_PRIO_PROTECT 64  /* PTHREAD_MUTEX_PRIO_PROTECT_NP */
#define MUTEX_PSHARED_BIT  128 /* PTHREAD_MUTEX_PSHARED_BIT */

/*
 * A robust mutex keeps glibc's layout where the kernel and other processes
 * look (shim/mutex.c): state is glibc's __lock (owner's thread id,
 * FUTEX_WAITERS, FUTEX_OWNER_DIED), robust_owner its __owner (the thread
 * id, or glibc's INCONSISTENT or NOTRECOVERABLE), and prev and next its
 * __list, through which the kernel walks a dead thread's robust list.
 */
struct sync_mutex {
	_Atomic uint32_t state; /* robust: glibc's __lock */
	uint32_t count;		/* recursive locks beyond the first */
	union {
		_Atomic uint64_t owner; /* owner's id while locked, else 0 */
		struct {
			_Atomic int32_t robust_owner; /* glibc's __owner */
			uint32_t nusers;
		};
	};
	int kind; /* glibc's __kind; MUTEX_CEILING_*: the priority ceiling */
	union {
		_Atomic uint32_t cond_users; /* Gs in a condvar wait on it */
		_Atomic uint32_t robust_g;   /* robust: owning G's thread id */
	};
	void *prev; /* robust: glibc's __list */
	void *next;
};

#define MUTEX_CEILING_SHIFT 12 /* bits glibc's __kind leaves unused */
#define MUTEX_CEILING_MASK  (0xfff << MUTEX_CEILING_SHIFT)

_Static_assert(sizeof(struct sync_mutex) == sizeof(pthread_mutex_t),
	       "pthread_mutex_t");
#ifdef __GLIBC__
_Static_assert(offsetof(struct sync_mutex, kind) ==
		       offsetof(pthread_mutex_t, __data.__kind),
	       "__kind");
_Static_assert(offsetof(struct sync_mutex, robust_owner) ==
		       offsetof(pthread_mutex_t, __data.__owner),
	       "__owner");
_Static_assert(offsetof(struct sync_mutex, next) ==
		       offsetof(pthread_mutex_t, __data.__list.__next),
	       "__list");
#endif

struct sync_cond {
	_Atomic uint32_t seq;	  /* bumped by every signal and broadcast */
	_Atomic uint32_t waiters; /* that may read it; destroy waits */
	struct sync_mutex *_Atomic mutex; /* the waiters' mutex */
	int clock;			  /* from the condattr */
	int pshared;
	int unused[6];
};

_Static_assert(sizeof(struct sync_cond) == sizeof(pthread_cond_t),
	       "pthread_cond_t");

/* glibc's rwlock kinds (PTHREAD_RWLOCK_PREFER_*_NP) in __flags. */
struct sync_rwlock {
	_Atomic uint32_t state;	  /* holders and flags */
	uint32_t writers_waiting; /* under the wait-table bucket lock */
	_Atomic uint64_t writer;  /* the writer's id while write-locked */
	int pshared;
	int unused[7];
	unsigned int flags; /* glibc's __flags */
	int unused2;
};

_Static_assert(sizeof(struct sync_rwlock) == sizeof(pthread_rwlock_t),
	       "pthread_rwlock_t");
#ifdef __GLIBC__
_Static_assert(offsetof(struct sync_rwlock, flags) ==
		       offsetof(pthread_rwlock_t, __data.__flags),
	       "__flags");
#endif

struct sync_barrier {
	unsigned int count;
	_Atomic uint32_t arrived;
	_Atomic uint32_t gen; /* bumped when a round completes */
	int pshared;
	_Atomic uint32_t leaving; /* woken, not yet out; destroy waits */
	int unused[3];
};

_Static_assert(sizeof(struct sync_barrier) == sizeof(pthread_barrier_t),
	       "pthread_barrier_t");

/*
 * glibc's semaphore (nptl/semaphoreP.h, 64-bit): the value in the low 32
 * bits of data, the number of waiters in the high 32; private is 0 for a
 * process-private one and FUTEX_PRIVATE_FLAG for a shared one (glibc's
 * FUTEX_SHARED: the flag is XORed in when the futex call is made).
 */
struct sync_sem {
	union {
		_Atomic uint64_t data;
		struct {
			_Atomic uint32_t value;
			_Atomic uint32_t nwaiters;
		};
	};
	int private;
	int pad;
};

#ifdef __GLIBC__
#define SEM_SHARED  128 /* glibc's FUTEX_SHARED */
#define SEM_PRIVATE 0
#else
/* musl's __val[2]: FUTEX_PRIVATE for a private one, 0 for a shared one. */
#define SEM_SHARED  0
#define SEM_PRIVATE 128
#endif
#define SEM_NWAITERS_ONE (1ull << 32)

_Static_assert(sizeof(struct sync_sem) <= sizeof(sem_t), "sem_t");

#endif
