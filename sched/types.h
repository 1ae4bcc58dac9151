/* SPDX-License-Identifier: MIT */
/*
 * The runtime's types (Go's runtime2.go): G, M and P, the scheduler's
 * global state (struct schedt), locks and notes, timers, and the enums of
 * their states and ranks; and two that runtime functions take: the
 * runtime's configuration (schedinit()) and a handler's saved masks
 * (sig_handler_mask()). runtime.h, which includes this file, declares the
 * functions. `sprout dump` is built from these same definitions (stack.h),
 * so it reads a G or an M as the runtime lays it out.
 *
 * Who may touch a field: the comment above struct g. Lock order: enum
 * lock_rank below.
 */
#ifndef SPROUT_SCHED_TYPES_H
#define SPROUT_SCHED_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

/*
 * Lock ranks, outermost first (Go's lockrank.go): a kernel thread takes a
 * lock only while every lock it holds ranks below it (two wait buckets: in
 * address order). ld.so's stack-list lock (compat), not one of these, is
 * taken innermost (inside pool->lock). Builds with -Dlock_rank=true check at
 * each lock() and unlock(), and check that the program's code never runs
 * while its kernel thread holds one: not on leaving the runtime, not in a
 * handler of the program's (which the runtime holds off while it runs its
 * own code), and that the runtime's part of a handler, which may have
 * landed anywhere, takes none (lock_sigctx()).
 */
enum lock_rank {
	RANK_NONE,     /* not given one: a checked build stops at lock() */
	RANK_NETINIT,  /* the netpoller's start (netpoll.c) */
	RANK_EXEC,     /* making the stacks executable (stack.c) */
	RANK_BUCKET,   /* the wait table's bucket of an address (sema.c) */
	RANK_TIMERS,   /* pp->timerlock: one P's timers */
	RANK_G,	       /* gp->lock: one G's join/detach state */
	RANK_SCHED,    /* sched.lock: global run queue, idle Ms and Ps */
	RANK_STACKS,   /* stacks.lock: the list of stack pools */
	RANK_POOL,     /* pool->lock: free Gs of one stack size */
	RANK_NETTABLE, /* the netpoller's fd table */
	RANK_FDMOVE,   /* moving the netpoller's own fds */
	RANK_KEEPER,   /* process-shared robust mutexes (shim/mutex.c) */
	RANK_TASKDIR,  /* one /proc/self/task stream (shim/taskdir.c) */
	RANK_SIGQ,     /* gp->sigq.lock: one G's queued signals (sigq.c) */
	RANK_KEPT,     /* the kept values of kernel attributes (kattr.c) */
	RANK_SETXID,   /* musl: one setuid() broadcast (shim/setxid.c) */
	RANK_ALLOC,    /* the runtime's memory (alloc.c): taken last */
	RANK_COUNT
};

/*
 * A runtime lock (Go's lock_futex): held by an M, for short sections only;
 * never held across a switch of G except through gopark()'s unlockf.
 */
struct lock {
	_Atomic uint32_t key; /* 0 unlocked, 1 locked, 2 locked with sleepers */
#ifdef SPROUT_LOCK_RANK
	enum lock_rank rank;
#endif
};

/* clang-format off */
#ifdef SPROUT_LOCK_RANK
#define LOCK_INIT(r) { .rank = (r) }
#else
#define LOCK_INIT(r) { 0 }
#endif
/* clang-format on */

/* The locks a kernel thread holds, in checked builds. */
struct lock_held {
	int n;
	int sigctx; /* a G's or a thread's (not an M's): handler frames in
		       the runtime's part, which take no lock */
	struct lock *l[8];
};

/* A one-shot wakeup for one sleeping kernel thread (Go's note). */
struct note {
	_Atomic uint32_t key;
};

enum gstatus {
	G_IDLE,	    /* free: on a free list, no thread uses it */
	G_RUNNABLE, /* on a run queue; not running; stack not owned */
	G_RUNNING,  /* owns its stack; gp->m is set and gp->m->p set */
	G_WAITING,  /* parked; reachable from whatever will ready it */
	G_SYSCALL,  /* in a blocking system call; holds no P */
	G_DEAD,	    /* exited and off its stack; waits to be joined */
};

enum {
	KICK_LEAVING = 1, /* set by mcall(), cleared by execute() */
	KICK_SENT = 2,	  /* a sender sent a signal to the G's M */
	KICK_LEFT = 4,	  /* a signal was left in sigpend (sig_leave()) */
	KICK_ONE = 8,	  /* one sender looking and sending */
};

/* What a parked G waits on (g->wait), as a dump names it. */
enum gwaitwhat {
	GW_NONE,
	GW_MUTEX,   /* obj: the pthread_mutex_t */
	GW_RWLOCK,  /* obj: the pthread_rwlock_t */
	GW_COND,    /* obj: the pthread_cond_t */
	GW_SEM,	    /* obj: the sem_t */
	GW_BARRIER, /* obj: the pthread_barrier_t */
	GW_ONCE,    /* obj: the pthread_once_t */
	GW_JOIN,    /* obj: the G joined */
	GW_FUTEX,   /* obj: the futex word */
	GW_SLEEP,   /* until: when it wakes */
	GW_READ,    /* fd: the one it waits to read */
	GW_WRITE,   /* fd: the one it waits to write */
	GW_POLL,    /* poll, select, epoll_wait */
};

struct gwait {
	uint32_t what;	 /* enum gwaitwhat */
	int fd;		 /* GW_READ, GW_WRITE */
	const void *obj; /* the object waited on, or NULL */
	int64_t until;	 /* its deadline (nanotime()), or -1 */
	int64_t since;	 /* when it parked: CLOCK_MONOTONIC_COARSE */
};

enum gflags {
	G_MAIN = 1 << 0,      /* the initial thread: its own stack and TCB */
	G_LOCKED = 1 << 1,    /* a kernel thread the shim did not create */
	G_G0 = 1 << 2,	      /* an M's scheduler context */
	G_USERSTACK = 1 << 3, /* runs on a stack the program supplied */
	/*
	 * Wired to a kernel thread of its own that carries its kernel
	 * attributes (struct kattr): it holds no P, and waits and yields in
	 * the kernel as a locked G does. Set and cleared by the G itself,
	 * under gp->lock (kattr_sync()).
	 */
	G_WIRED = 1 << 4,
};

/*
 * Gs that wait and yield in the kernel, never on a run queue: threads the
 * shim did not create, and an M's g0 when runtime code calls into the
 * shim (a malloc, jemalloc's say, that takes a pthread mutex).
 */
#define G_KERNEL_WAITS (G_LOCKED | G_G0 | G_WIRED)

#define TSD_BLOCK  32 /* keys in one block of thread-specific data */
#define TSD_BLOCKS 32 /* PTHREAD_KEYS_MAX / TSD_BLOCK */

struct tsd_slot {
	uintptr_t seq; /* the key's sequence number when data was set */
	void *data;
};

/*
 * A thread's thread-specific data: keys 0..31 in first, the others in
 * blocks allocated as they are set (more[0] is not used). Laid out as
 * glibc's own in its thread descriptor, where a G the shim created keeps
 * it (tcb_tsd()): 768 bytes that glibc leaves unused in a G's TCB.
 */
struct tsd {
	struct tsd_slot first[TSD_BLOCK];
	struct tsd_slot *more[TSD_BLOCKS];
};

struct stack_pool;

/*
 * What only the kernel can give a thread: its scheduling policy and
 * priority, and the CPUs it may run on (the first CPU_SETSIZE). A G whose
 * attributes differ from the process's (kattr_default) is G_WIRED.
 */
/*
 * The kernel's struct sched_attr (uapi/linux/sched/types.h, whose header
 * cannot be included beside libc's <sched.h>), to its second version.
 */
struct kernel_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6 /* musl's <sched.h> has none */
#endif

struct kattr {
	int policy; /* SCHED_*, without SCHED_RESET_ON_FORK */
	int prio;
	int nice; /* -20 to 19, setpriority()'s */
	/* As the kernel keeps it: asked for and allowed. Interned. */
	const cpu_set_t *cpus;
	/* What sched_setattr() set beyond the above, or NULL. Interned. */
	const struct kernel_sched_attr *ext;
};

/*
 * A G. Gs created by the shim live at the top of their own stack slot,
 * below the TCB and static TLS (stack.c); the initial thread's G and locked
 * Gs are allocated apart.
 */
struct npdir;
struct waiter;

/* Signals queued with their information (sigq.c). */
struct sigq_node {
	struct sigq_node *next;
	siginfo_t info;
	bool process; /* sent to the process, routed to this G */
};

struct sigq {
	struct sigq_node *_Atomic in;	/* pushed, newest first */
	struct sigq_node *_Atomic back; /* pushed back, newest first */
	struct sigq_node *list;		/* taken from in, oldest first; lock */
	struct lock lock;
	_Atomic bool closed;	       /* its thread ended (sig_g_dead()) */
	_Atomic bool sending;	       /* a g_deliver() sends (signal.c) */
	_Atomic uint64_t more;	       /* and these are wanted too */
	_Atomic uint64_t sending_sigs; /* those it sends now */
};

/*
 * Who may touch a field of a G, an M or a P: the comment beside it names
 * the lock it is under, or "owner" (the G itself, on its M or that M's g0
 * while it is switched out; the M's kernel thread; the M that holds the
 * P). An _Atomic field is read by anyone and written as its comment says;
 * one with no word of its own is the owner's.
 */
struct g {
	void *sp;		 /* saved stack pointer while switched out */
	void *tcb;		 /* FS base: the G's libc thread descriptor */
	_Atomic uint32_t status; /* enum gstatus; futex word of a locked G */
	uint32_t flags;		 /* enum gflags; set at creation */
	struct m *m;		 /* M running it; NULL unless G_RUNNING */
	struct g *schedlink;	 /* run queue or free list; owner of the list */
	/* Dead, first of a batch in a pool (stack.c): the next, its length */
	struct g *batchlink;
	uint32_t batchn;
	uint32_t id; /* unique: a new one for every thread */
	/* gostart() to its first run (gentry()): thieves wait (runq.c) */
	_Atomic bool fresh;
	/*
	 * Depth of runtime calls the G is in (rt_enter()); its P is P_RUNNING
	 * while this is not 0, P_USER or P_SYSCALL while it is.
	 */
	uint32_t rtdepth;
	/* Its wait in the wait table that a signal may end (sema.c). */
	struct waiter *_Atomic waiting;
	/*
	 * Depth of blocking sections (entersyscall()) it is in: only the
	 * outermost hands the P over and takes it back; a handler's wrapped
	 * call inside one does nothing. rtsys: the outermost rt_enter() found
	 * the P P_SYSCALL, and rt_exit() leaves it so.
	 */
	uint32_t sysdepth;
	bool rtsys;
	/*
	 * A locked G: the runtime locks its kernel thread holds (it has no M
	 * to count them), and the mask the first one blocked every signal
	 * over (lock.c).
	 */
	int locks;
	uint64_t lockmask;
#ifdef SPROUT_LOCK_RANK
	struct lock_held held; /* a locked G's, as its kernel thread's; owner */
#endif
	uint64_t sigmask;	    /* its blocked signals; bit sig - 1 */
	_Atomic uint64_t sigpend;   /* signals pthread_kill() left for it */
	struct sigq sigq;	    /* and with what (sigq.c) */
	_Atomic uint64_t sigq_lost; /* real-time ones kept as a bit only */
	_Atomic uint32_t intr;	    /* wakes an interruptible sleep */
	/*
	 * SIGRAN_*: handlers that ran for it since its wait began: on it,
	 * or (the initial G) for a signal to the process on another M
	 */
	_Atomic uint32_t sigran;
	/*
	 * What handlers running on it block that it did not: a signal sent
	 * to the process meanwhile is its, due when they return, as the
	 * kernel keeps one pending on the process until then (route_find()).
	 */
	_Atomic uint64_t sighandling;
	struct npdir *_Atomic nwait; /* fd direction it waits on (netpoll) */
	/*
	 * What it waits on, for a dump (sprout dump): set by whoever parks
	 * it (g_waitfor()), just before; waitsince by gopark().
	 */
	struct gwait wait;
	stack_t altstack; /* its sigaltstack(); ss_sp NULL: none */
	/*
	 * KICK_*: a signal sent to the kernel thread of the G's M must get
	 * there while the G does (g_kill()): senders count themselves in
	 * while they look and send; the G, leaving its M (mcall()), says so
	 * and waits for those already counted.
	 */
	_Atomic uint32_t kick;
	/*
	 * Its CPU time (cputime.c): cpu_ns, and while it runs on an M, what
	 * that M's clock gained since its cpu_mark. Written by the M running
	 * it, which makes cpu_seq odd meanwhile; read by any G.
	 */
	_Atomic uint32_t cpu_seq;
	struct m *_Atomic cpu_m;
	_Atomic int64_t cpu_ns;

	/* Memory: set by stack.c when the G is allocated. */
	struct stack_pool *pool; /* where the slot goes back; NULL: not ours */
	char *slot;	/* lowest address of the slot, guard included */
	char *stack_lo; /* usable stack: [stack_lo, stack_hi) */
	char *stack_hi;
	size_t guard;
	unsigned int vg_stack; /* its stack's id with valgrind, if under it */

	/* Entry, set by gostart(): fn(arg) runs on the G's first switch-in. */
	void (*fn)(void *);
	void *arg;

	/* pthread state, owned by shim/. */
	/*
	 * Protects detached, joiner and the move to G_DEAD. A joiner waits
	 * in the wait table on &status until it reads G_DEAD (gdead()).
	 */
	struct lock lock;
	bool detached;
	struct g *joiner; /* the G in pthread_join() on this one */
	union {		  /* the program's start routine, */
		void *(*start)(void *);
		int (*start_c11)(void *); /* if c11 */
	};
	void *start_arg; /* and its argument */
	void *retval;
	bool c11; /* started by thrd_create() */
	/* Created PTHREAD_EXPLICIT_SCHED, for pthread_getattr_np(). */
	bool explicit_sched;
	bool tsd_used;	/* a value not NULL set since the last round */
	bool tsd_dirty; /* tsd written since tsd_drop() */
	char name[16];
	/*
	 * Its kernel attributes (kattr.c), under lock. kattr_gen moves on
	 * with each change; the G brings its kernel thread in line
	 * (kattr_sync()) when kattr_done differs from it, before it next
	 * runs the program's code. kattr_done is the G's own.
	 */
	struct kattr kattr;
	uint32_t kattr_gen, kattr_done;
	int kattr_err;	 /* the kernel's verdict on the last kattr_sync() */
	struct tsd *tsd; /* in its TCB, or beside a G the shim did not create */
};

/*
 * A timer: f(t) runs on some M at or soon after t->when (timer.c), at most
 * TIMER_SLACK_NS late as the clock goes (the kernel's default timer slack).
 */
#define TIMER_SLACK_NS 50000

struct timer_bucket;

struct timer {
	int64_t when; /* CLOCK_MONOTONIC nanoseconds */
	void (*f)(struct timer *t);
	struct p *pp;		     /* the P it was armed on */
	struct timer_bucket *bucket; /* while armed, under pp->timerlock */
	struct timer *next, *prev;   /* the bucket's timers, in FIFO order */
	_Atomic int state;	     /* enum timer_state */
};

/*
 * The timers of one P due in one slack-wide slot of time: the heap holds
 * buckets, not timers, so that many timers due together cost one heap
 * entry, and arming or disarming one is a list operation.
 */
struct timer_bucket {
	int64_t slot;		    /* due at slot * TIMER_SLACK_NS */
	int idx;		    /* in the P's heap */
	bool firing;		    /* out of the heap, its timers running */
	struct timer *head, *tail;  /* its timers */
	struct timer_bucket *hnext; /* hash chain, or free list */
};

/* A heap entry: the deadline beside the bucket, so sifting reads no bucket. */
struct timer_slot {
	int64_t when;
	struct timer_bucket *b;
};

enum timer_state {
	TIMER_ARMED, /* in a bucket: in a heap, or firing (bucket->firing) */
	TIMER_DONE,  /* f has returned, or the timer was removed */
};

/*
 * Slots of a P's run queue. Go has 256; thread-heavy C programs ready Gs
 * in bursts of thousands (a timer slot of sleepers, a broadcast), and
 * what overflows goes through the global queue: a lock and a linked list
 * of cache-cold Gs, which cost the sleep storm a third of its time. 32 KiB
 * a P.
 */
#define RUNQ_SIZE 4096

/*
 * A P's state word: the state in the low two bits, and above them a
 * generation counted up by every acquirep(), so that an M that lost its P
 * to sysmon cannot take it back by mistake once another M holds it.
 */
enum pstatus {
	P_IDLE,	   /* no M: on the idle list, or being handed to one */
	P_RUNNING, /* its M runs runtime code (g0, or a G in rt_enter()) */
	P_USER,	   /* its M runs the program's code; sysmon may retake it */
	P_SYSCALL, /* its M's G is in a wrapped system call; likewise */
};
#define P_STATE(w) ((w)&3u)

struct p {
	_Alignas(64) int id;
	_Atomic uint32_t state;	      /* generation << 2 | enum pstatus */
	struct m *_Atomic m;	      /* the M holding it */
	struct p *link;		      /* idle list; under sched.lock */
	_Atomic uint32_t schedtick;   /* one more each time a G starts */
	_Atomic uint32_t syscalltick; /* one more each wrapped system call */
	uint32_t globalpoll;	      /* findrunnable() calls; owner */
	uint32_t chain;		      /* Gs run from runnext in a row; owner */
	_Atomic bool preempt; /* sysmon: its G has run long, others wait */

	/*
	 * Local run queue, Go's lock-free ring: only the owner writes the
	 * tail; anyone may take from the head with a CAS (runq.c). On a
	 * cache line apart from the state word, which the owner writes on
	 * every entry into the runtime.
	 */
	_Alignas(64) _Atomic uint32_t runqhead;
	_Atomic uint32_t runqtail;
	_Atomic(struct g *) runq[RUNQ_SIZE];
	/* A G readied by this P's G, run next with the rest of its slice. */
	_Atomic(struct g *) runnext;

	/* Free Gs of the default stack size, with their stacks; owner. */
	struct g *gfree;
	int ngfree;

	/* Timers: a min-heap of buckets, under timerlock; any M runs them. */
	_Alignas(64) struct lock timerlock;
	struct timer_slot *timers;
	int ntimers, timerscap;
	struct timer_bucket *tbhash[64]; /* buckets by slot */
	struct timer_bucket *tbfree;	 /* spare buckets */
	_Atomic int64_t timer0; /* when of the first timer; INT64_MAX: none */
};

struct m {
	int id;
	pid_t tid;	     /* kernel thread id */
	struct g *g0;	     /* scheduler context: own stack, own TCB */
	struct g *curg;	     /* G running on this M; NULL on g0 */
	struct p *p;	     /* attached P; owner; stale once sysmon took it */
	uint32_t pgen;	     /* p's state word, state bits clear, when taken */
	struct p *nextp;     /* P handed over by startm(); owner of note */
	struct m *schedlink; /* idle list; under sched.lock */
	bool spinning;	     /* looking for work while holding no G */
	struct note park;    /* sleeps here when idle */
	/*
	 * Runtime locks its kernel thread holds (lock.c): its G is inside
	 * the runtime meanwhile, whatever its depth (g_inside()).
	 */
	int locks;

	/* Set by a G switching to g0; run by g0 (see mcall()). */
	struct g *(*mcall_fn)(struct m *, struct g *);
	bool (*waitunlockf)(struct g *, void *);
	void *waitlock;

	uint64_t sigmask; /* the kernel thread's blocked signals */
	/*
	 * Alternate signal stacks: the M's own, for the runtime's report of
	 * a stack overflow, which the program never sees; and the one the
	 * kernel thread has now, the running G's if it set one, else the
	 * M's own (m_altstack_set()).
	 */
	stack_t own_altstack;
	void *altstack_sp;
	/*
	 * A signal its G blocks was sent to the kernel thread: the G takes
	 * it along when it leaves (m_kpend_take()).
	 */
	_Atomic bool kpend;
	uint32_t rand;	 /* fastrand() state; owner */
	struct g g0_own; /* g0 of Ms other than M0 */
	struct tsd g0_tsd;

	/* The idle list is doubly linked: an idle M may leave it by itself. */
	struct m *idleprev; /* under sched.lock */
	bool idle;	    /* on sched.midle; under sched.lock */
	/* Its thread's CPU time as its G started to run (cputime.c). */
	_Atomic int64_t cpu_mark;
#ifdef SPROUT_LOCK_RANK
	struct lock_held held; /* by its kernel thread, G or g0; owner */
#endif
};

struct schedt {
	struct lock lock;

	/* Global run queue. */
	struct g *runqhead;
	struct g *runqtail;
	_Atomic int runqsize;

	struct m *midle; /* idle Ms waiting for work */
	int mnext;	 /* Ms alive (or being started) besides M0 */
	int maxm;	 /* at most this many Ms (SPROUT_MAXM), M0 included */

	struct p *pidle; /* idle Ps */
	_Atomic int npidle;
	_Atomic int nmspinning; /* Ms spinning to find work */

	_Atomic int nlive; /* program threads alive (main included) */

	/*
	 * At most one idle M sleeps until the next timer of any P instead of
	 * until it is handed work; timer_add() wakes it for an earlier one.
	 */
	_Atomic bool timer_sleeping;
	_Atomic int64_t sleep_until; /* its deadline; INT64_MIN: none */
	_Atomic uint32_t timer_wake; /* futex word it sleeps on */
	_Atomic bool timer_wanted;   /* startm() left it an idle P */
	_Atomic uint32_t gnext;	     /* next G id */
	/*
	 * The child of a raw fork runs its forking G alone until it makes a
	 * thread: a P handed off with nothing to run waits idle, no M started
	 * (fork.c).
	 */
	_Atomic bool single;

	/* sysmon sleeps on sysmon_wake (sysmon.c). */
	_Atomic bool sysmon_idle; /* and only acquirep() wakes it */
	_Atomic uint32_t sysmon_wake;
	_Atomic bool sigwork; /* a signal for sig_interrupt_main() */
	/*
	 * Process-directed signals sysmon took for a G that does not block
	 * them (sig_route()); sigroute_dirty: the set sysmon leaves
	 * unblocked may have grown (sig_route_mask()); sigroute_held: those
	 * taken and not yet handed on (set before sigroute, cleared after).
	 */
	_Atomic uint64_t sigroute;
	_Atomic uint64_t sigroute_held;
	_Atomic bool sigroute_dirty;
	/*
	 * The signals sysmon's mask leaves unblocked; a request of
	 * route_sync()'s, the last one sysmon's mask has taken in, and
	 * whether sysmon is working one out.
	 */
	_Atomic uint64_t sysmon_unblocked;
	_Atomic uint64_t route_req, route_done;
	_Atomic bool route_busy;
	_Atomic pid_t sysmon_tid;
	/* Counts for schedtrace: Ps taken from a system call or a hidden block. */
	_Atomic uint64_t retakes;
	_Atomic uint64_t hidden_handoffs;
	_Atomic uint64_t preempts; /* Gs stopped by preempt_async() */

	/*
	 * The struct m of every M that has exited, for the next M: an M's
	 * kernel thread ends, its struct m is never freed (see stopm()).
	 */
	struct m *mfree; /* under sched.lock */
	int mids;	 /* M ids given out; under sched.lock */
	/* newm() could not start a kernel thread: sysmon tries again. */
	_Atomic bool mstart_failed;
};

/* The runtime's configuration, for schedinit(). */
struct runtime_config {
	int procs;
	size_t stack_size; /* default reserve of a G's stack */
	size_t guard_size;
	/* libc's pthread_create, to make Ms with */
	int (*thread_create)(pthread_t *, const pthread_attr_t *,
			     void *(*)(void *), void *);
	int maxm;	   /* cap on kernel threads running Gs */
	int schedtrace_ms; /* SPROUT_DEBUG=schedtrace=MS; 0: off */
	/* libc's sigaction, for the runtime's own handlers; NULL: none */
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	/* libc's clock_gettime, for nanotime(); NULL: the system call */
	int (*clock_gettime)(clockid_t, struct timespec *);
	/* `sprout dump`'s program, or NULL; SPROUT_DEBUG=dumpsig: 0 or SIG */
	const char *dump_path;
	int dumpsig;
};

/*
 * The G's mask before a handler, and the kernel's, kept for its return
 * (sig_handler_mask()).
 */
struct sig_masks {
	uint64_t g, uc;
	uint64_t handling; /* bits this handler added to g->sighandling */
};

#endif
