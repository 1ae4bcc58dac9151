// SPDX-License-Identifier: MIT
/*
 * Stacks, and the memory of the Gs that live on them.
 *
 * C stacks cannot move (the program keeps pointers into them), so "small and
 * growable" means a large reservation committed lazily by the kernel. Each G
 * the shim creates owns a slot:
 *
 *   slot                                                    slot + size
 *   | guard | stack, growing down ...  | struct g | static TLS | TCB |
 *
 * laid out as glibc lays out its own threads (TCB at the top, static TLS
 * right below), with the G descriptor in the same pages. A new G touches
 * only the top pages: TCB, TLS, G and its first frames.
 *
 * Slots are carved from arenas: one MAP_NORESERVE mapping of up to 1 GiB
 * holds many slots, so the number of mappings stays far below
 * vm.max_map_count. The guard at the bottom of a slot is installed with
 * MADV_GUARD_INSTALL, which needs no mapping of its own (Linux 6.13); older
 * kernels get mprotect(PROT_NONE), one extra mapping per slot.
 *
 * A dead G keeps its slot, TCB included, and goes to a free list: its P's
 * (default size, up to 256 Gs, no system call on reuse: a wave of threads
 * created and joined together reuses them all) or its pool's (one per stack
 * and guard size). Stack pages are given back with MADV_DONTNEED when a G moves
 * to a pool's list; the pages holding the TCB and TLS are kept, as libc's
 * per-thread state in them (the tcache) cannot be freed.
 */
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <sys/auxv.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"
#include "stack.h"
#include "../arch/x86_64/sys.h"
#include "../compat/tcb.h"

/*
 * A G's stack is registered with valgrind while the G lives, so that it
 * takes a switch between Gs for one (not for a frame of hundreds of MiB)
 * and checks each stack's accesses as the thread's.
 */
#ifdef SPROUT_VALGRIND
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND		0
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id)	((void)(id))
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define ARENA_BYTES    (1ul << 30)
#define ALTSTACK_BYTES (64 * 1024)
/*
 * A P's cache of dead Gs (of the default stack size), refilled from and
 * spilt to its pool GFREE_BATCH at a time, as Go's gfget()/gfput(): a
 * create or an exit takes no lock and makes no system call in the
 * steady state.
 */
#define GFREE_LOCAL_MAX 64
#define GFREE_BATCH	32
/*
 * Stack pages of Gs dead and unused in their pool from one aging to the
 * next (SCAVENGE_AGE_NS apart) go back to the kernel, SCAVENGE_BATCH Gs
 * per look of sysmon's (stack_scavenge()).
 */
#define SCAVENGE_AGE_NS	 1000000000
#define SCAVENGE_LOOK_NS 10000000
#define SCAVENGE_BATCH	 1024

static struct {
	struct lock lock;		  /* pools list */
	struct stack_pool *_Atomic pools; /* added under lock, never removed */
	struct stack_pool *dflt;
	struct stack_pool *tcb_only; /* Gs on stacks the program supplied */
	_Atomic(struct arena *) arenas;
	size_t page;
	/* Bytes at a slot's top that its TCB, static TLS and G take. */
	size_t top_used;
	bool guard_by_mprotect;
	_Atomic bool exec; /* stacks are executable: see stack_exec_fault() */
} stacks = { .lock = LOCK_INIT(RANK_STACKS) };

__attribute__((visibility("default"))) struct sprout_debug sprout_debug = {
	.magic = SPROUT_DEBUG_MAGIC,
	.version = SPROUT_DEBUG_VERSION,
	.g_size = sizeof(struct g),
	.m_size = sizeof(struct m),
	.arena_size = sizeof(struct arena),
	.pool_size = sizeof(struct stack_pool),
	.gmain = &g_main,
	.sig = &dump_sigctx,
	.arenas = &stacks.arenas,
};

static size_t round_page(size_t n)
{
	return (n + stacks.page - 1) & ~(stacks.page - 1);
}

static struct stack_pool *pool_get(size_t size, size_t guard)
{
	struct stack_pool *pool;

	lock(&stacks.lock);
	for (pool = stacks.pools; pool; pool = pool->link)
		if (pool->size == size && pool->guard == guard)
			break;
	if (!pool) {
		pool = rt_alloc(sizeof(*pool));
		if (pool) {
			lock_init(&pool->lock, RANK_POOL);
			pool->size = size;
			pool->guard = guard;
			pool->link = stacks.pools;
			atomic_store_explicit(&stacks.pools, pool,
					      memory_order_release);
		}
	}
	unlock(&stacks.lock);
	return pool;
}

/*
 * Map a new arena for pool. pool->lock held. Under a low RLIMIT_AS (or
 * little address space left) the arena is halved until it fits, down to
 * one slot: the last thread that fits is made, as glibc would make it.
 */
static int arena_new(struct stack_pool *pool)
{
	/* valgrind warns of each mapping over 256 MiB it takes in. */
	size_t max = RUNNING_ON_VALGRIND ? ARENA_BYTES / 8 : ARENA_BYTES;
	size_t n = max / pool->size, len;
	struct arena *a = rt_alloc(sizeof(*a));
	char *base;

	if (!a)
		return -ENOMEM;
	if (n == 0)
		n = 1;
	for (;;) {
		len = n * pool->size;
		base = sys_mmap(
			NULL, len,
			PROT_READ | PROT_WRITE |
				(atomic_load(&stacks.exec) ? PROT_EXEC : 0),
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				MAP_STACK);
		if (!sys_mmap_failed(base))
			break;
		if (n == 1) {
			rt_free(a, sizeof(*a));
			return -ENOMEM;
		}
		n /= 2;
	}
	a->base = base;
	a->end = base + len;
	a->slot_size = pool->size;
	a->pool = pool;
	a->next = atomic_load(&stacks.arenas);
	atomic_store_explicit(&stacks.arenas, a, memory_order_release);
	pool->next = base;
	pool->end = base + len;
	return 0;
}

/*
 * Give back the uncarved tails of every pool's newest arena. An arena is
 * a reservation made while address space was plenty; under an RLIMIT_AS
 * lowered since (or a pool that grew while others sat idle), the
 * reservations would keep the address space from the thread that needs
 * it, where glibc would still map its stack. Called without pool locks.
 */
static void arenas_trim(void)
{
	struct stack_pool *pool;
	struct arena *a;

	lock(&stacks.lock);
	for (pool = stacks.pools; pool; pool = pool->link) {
		lock(&pool->lock);
		if (pool->next != pool->end) {
			for (a = atomic_load(&stacks.arenas); a; a = a->next)
				if (a->end == pool->end)
					break;
			sys_munmap(pool->next,
				   (size_t)(pool->end - pool->next));
			if (a)
				a->end = pool->next;
			pool->end = pool->next;
		}
		unlock(&pool->lock);
	}
	unlock(&stacks.lock);
}

static int guard_install(char *lo, size_t len)
{
	if (len == 0)
		return 0;
	if (!stacks.guard_by_mprotect) {
		long r = sys_madvise(lo, len, MADV_GUARD_INSTALL);
		if (r == 0)
			return 0;
		if (r != -EINVAL)
			return (int)r;
		stacks.guard_by_mprotect = true;
	}
	return (int)sys_mprotect(lo, len, PROT_NONE);
}

_Static_assert(sizeof(struct tsd) == TCB_TSD_SIZE, "a TCB holds a G's keys");

/* Set up the G of a slot: a fresh G with thread id id on tcb. */
static void g_init(struct g *gp, void *tcb, struct stack_pool *pool, char *slot,
		   uint32_t id)
{
	memset(gp, 0, sizeof(*gp));
	g_locks_init(gp);
	gp->tcb = tcb;
	gp->tsd = tcb_tsd(tcb);
	gp->id = id;
	tcb_set_id(tcb, id);
	gp->pool = pool;
	gp->slot = slot;
	gp->guard = pool->guard;
	gp->stack_lo = slot + pool->guard;
	gp->stack_hi = slot + pool->size - stacks.top_used;
	gp->vg_stack = VALGRIND_STACK_REGISTER(gp->stack_lo, gp->stack_hi);
	tcb_set_stack(tcb, gp->stack_lo, pool->size - pool->guard, pool->guard);
}

/* Carve a slot and build its G: guard, TCB, static TLS. */
static struct g *slot_new(struct stack_pool *pool, int *err)
{
	char *slot;
	struct g *gp;
	uint32_t id;
	void *tcb;
	int r = 0;

	lock(&pool->lock);
	if (pool->raw) {
		slot = pool->raw;
		pool->raw = *(char **)(slot + pool->size - sizeof(char *));
	} else {
		if (pool->next == pool->end) {
			r = arena_new(pool);
			if (r == -ENOMEM) {
				/* Others' reservations may hold the space. */
				unlock(&pool->lock);
				arenas_trim();
				lock(&pool->lock);
				r = pool->next == pool->end ? arena_new(pool)
							    : 0;
			}
		}
		slot = pool->next;
		if (r == 0)
			pool->next += pool->size;
	}
	unlock(&pool->lock);
	if (r == 0)
		r = guard_install(slot, pool->guard);
	if (r) {
		*err = EAGAIN;
		return NULL;
	}

	id = atomic_fetch_add(&sched.gnext, 1) + 1;
	tcb = tcb_create(slot + pool->size, id, slot + pool->guard,
			 pool->size - pool->guard, pool->guard);
	if (!tcb) {
		lock(&pool->lock);
		*(char **)(slot + pool->size - sizeof(char *)) = pool->raw;
		pool->raw = slot;
		unlock(&pool->lock);
		*err = EAGAIN;
		return NULL;
	}
	gp = slot_g(slot + pool->size, sprout_debug.g_off);
	g_init(gp, tcb, pool, slot, id);
	return gp;
}

/* Make a dead G new again, keeping its memory and TCB. */
static void g_reset(struct g *gp)
{
	tcb_recycle(gp->tcb);
	/* A new thread: a new id, so that no one mistakes it for the last. */
	g_init(gp, gp->tcb, gp->pool, gp->slot,
	       atomic_fetch_add(&sched.gnext, 1) + 1);
}

/*
 * A pool's lists hold dead Gs in batches: a chain through schedlink whose
 * first G holds the next batch and the chain's length. A P refills its
 * cache with a whole batch, one pointer from the pool, where a walk of
 * the chain would wait on a cache and TLB miss for each G (a slot apart,
 * not two in a page). pool->lock held for all three.
 */
static void batch_push(struct g **list, struct g *first, uint32_t n)
{
	first->batchlink = *list;
	first->batchn = n;
	*list = first;
}

static struct g *batch_pop(struct g **list)
{
	struct g *gp = *list;

	if (gp)
		*list = gp->batchlink;
	return gp;
}

/* The batches of the warmest dead Gs pool has. */
static struct g **pool_list(struct stack_pool *pool)
{
	return pool->free   ? &pool->free
	       : pool->aged ? &pool->aged
			    : &pool->clean;
}

/* A dead G of pool's, warmest first; NULL if none. pool->lock held. */
static struct g *pool_take(struct stack_pool *pool)
{
	struct g **list = pool_list(pool);
	struct g *gp = batch_pop(list);

	if (gp && gp->schedlink)
		batch_push(list, gp->schedlink, gp->batchn - 1);
	return gp;
}

static struct g *pool_gget(struct stack_pool *pool, struct p *pp, int *err)
{
	struct g *gp = NULL;

	if (pool == stacks.dflt && pp) {
		if (!pp->gfree) {
			lock(&pool->lock);
			pp->gfree = batch_pop(pool_list(pool));
			unlock(&pool->lock);
			pp->ngfree = pp->gfree ? pp->gfree->batchn : 0;
		}
		gp = pp->gfree;
		if (gp) {
			pp->gfree = gp->schedlink;
			pp->ngfree--;
		}
	} else {
		lock(&pool->lock);
		gp = pool_take(pool);
		unlock(&pool->lock);
	}
	if (!gp)
		return slot_new(pool, err);
	g_reset(gp);
	return gp;
}

/*
 * A G with a stack of stack_size bytes above a guard of guard bytes (both
 * rounded up to pages), its TCB and TLS carved from the top of the stack as
 * glibc does. pp may be NULL. Returns NULL with *err EINVAL (too small for
 * the TCB and TLS) or EAGAIN (out of memory).
 */
struct g *stack_gget(struct p *pp, size_t stack_size, size_t guard, int *err)
{
	size_t size = round_page(stack_size), gsize = round_page(guard);
	struct stack_pool *pool = stacks.dflt;

	if (size < stacks.top_used + 2048 || size + gsize < size) {
		*err = EINVAL;
		return NULL;
	}
	if (size + gsize != pool->size || gsize != pool->guard)
		pool = pool_get(size + gsize, gsize);
	if (!pool) {
		*err = EAGAIN;
		return NULL;
	}
	return pool_gget(pool, pp, err);
}

/* A G that runs on the program's stack [lo, lo + size). */
struct g *stack_gget_user(void *lo, size_t size, int *err)
{
	struct g *gp = pool_gget(stacks.tcb_only, NULL, err);

	if (!gp)
		return NULL;
	gp->flags |= G_USERSTACK;
	gp->stack_lo = lo;
	gp->stack_hi = (char *)lo + size;
	VALGRIND_STACK_DEREGISTER(gp->vg_stack);
	gp->vg_stack = VALGRIND_STACK_REGISTER(gp->stack_lo, gp->stack_hi);
	gp->guard = 0;
	tcb_set_stack(gp->tcb, lo, size, 0);
	return gp;
}

/* Free a dead G's slot for reuse. pp (may be NULL) is the caller's P. */
void stack_gput(struct p *pp, struct g *gp)
{
	struct stack_pool *pool = gp->pool;

	atomic_store_explicit(&gp->status, G_IDLE, memory_order_relaxed);
	VALGRIND_STACK_DEREGISTER(gp->vg_stack);
	if (pool == stacks.dflt && pp) {
		struct g *last;
		uint32_t i, n;

		gp->schedlink = pp->gfree;
		pp->gfree = gp;
		if (++pp->ngfree <= GFREE_LOCAL_MAX)
			return;
		/* Full: the warmest GFREE_BATCH stay, the rest to the pool. */
		for (last = gp, i = 1; i < GFREE_BATCH; i++)
			last = last->schedlink;
		gp = last->schedlink;
		last->schedlink = NULL;
		n = pp->ngfree - GFREE_BATCH;
		pp->ngfree = GFREE_BATCH;
		lock(&pool->lock);
		batch_push(&pool->free, gp, n);
		unlock(&pool->lock);
		return;
	}
	gp->schedlink = NULL;
	lock(&pool->lock);
	batch_push(&pool->free, gp, 1);
	unlock(&pool->lock);
}

/* Every page of gp's stack below the one its TCB and first frames share. */
static void stack_give_back(struct g *gp)
{
	char *keep = (char *)((uintptr_t)gp->stack_hi & ~(stacks.page - 1));

	if (keep > gp->stack_lo)
		sys_madvise(gp->stack_lo, (size_t)(keep - gp->stack_lo),
			    MADV_DONTNEED);
}

/*
 * Give back the stack pages of dead Gs their pools have not needed for
 * a while: called by sysmon on every look, it looks every
 * SCAVENGE_LOOK_NS, and locks only a pool with Gs to age or give back
 * (creates and exits take that lock too). Every SCAVENGE_AGE_NS a
 * pool's free list (Gs dead since the last aging) becomes its aged list,
 * unless that still holds Gs; the aged Gs, SCAVENGE_BATCH per call (in
 * whole batches), lose every page below the one their TCB and first
 * frames share (kept: new Gs start there) and move to the clean list. A
 * create takes a free G first, a clean one last. Gs in the Ps' caches
 * (GFREE_LOCAL_MAX each) keep theirs, and so do parked Gs, whose M may
 * resume them meanwhile.
 */
void stack_scavenge(int64_t now)
{
	static int64_t next_age, next_look;
	bool age = now >= next_age;
	struct stack_pool *pool;
	struct g *batches, *b, *next, *gp;
	uint32_t n;

	if (!age && now < next_look)
		return;
	next_look = now + SCAVENGE_LOOK_NS;
	for (pool = atomic_load_explicit(&stacks.pools, memory_order_acquire);
	     pool; pool = pool->link) {
		/*
		 * Not the program's stacks (tcb_only); the lists are read
		 * unlocked only to skip a pool with nothing to do.
		 */
		if (pool == stacks.tcb_only ||
		    (!__atomic_load_n(&pool->aged, __ATOMIC_RELAXED) &&
		     !(age && __atomic_load_n(&pool->free, __ATOMIC_RELAXED))))
			continue;
		lock(&pool->lock);
		for (batches = NULL, n = 0;
		     n < SCAVENGE_BATCH && (b = batch_pop(&pool->aged));
		     n += b->batchn)
			batch_push(&batches, b, b->batchn);
		if (!pool->aged && age) {
			pool->aged = pool->free;
			pool->free = NULL;
		}
		unlock(&pool->lock);
		if (!batches)
			continue;
		for (b = batches; b; b = b->batchlink)
			for (gp = b; gp; gp = gp->schedlink)
				stack_give_back(gp);
		lock(&pool->lock);
		for (b = batches; b; b = next) {
			next = b->batchlink;
			batch_push(&pool->clean, b, b->batchn);
		}
		unlock(&pool->lock);
	}
	if (age)
		next_age = now + SCAVENGE_AGE_NS;
}

/* After fork(): locks held by Ms that are gone are free in the child. */
void stack_afterfork_child(void)
{
	struct stack_pool *pool;

	lock_init(&stacks.lock, RANK_STACKS);
	for (pool = stacks.pools; pool; pool = pool->link)
		lock_init(&pool->lock, RANK_POOL);
}

/*
 * The first G of a slot carved so far for which fn(gp, arg) is true, or
 * NULL. Free and dead Gs are among them: fn looks at gp->status.
 */
struct g *stack_find(bool (*fn)(struct g *gp, void *arg), void *arg)
{
	struct arena *a;
	char *slot, *end;

	for (a = atomic_load(&stacks.arenas); a; a = a->next) {
		end = arena_carved(a, a->pool);
		for (slot = a->base; slot < end; slot += a->slot_size) {
			struct g *gp =
				slot_g(slot + a->slot_size, sprout_debug.g_off);
			if (gp->tcb && fn(gp, arg))
				return gp;
		}
	}
	return NULL;
}

static bool call_on_tcb(struct g *gp, void *fn)
{
	((void (*)(void *))fn)(gp->tcb);
	return false;
}

/* Call fn(tcb) for the TCB of every slot carved so far. */
void stack_foreach_tcb(void (*fn)(void *))
{
	stack_find(call_on_tcb, (void *)fn);
}

/* The G whose slot holds addr, if any; *in_guard: addr is in its guard. */
struct g *stack_find_g(const void *addr, bool *in_guard)
{
	const char *a = addr;
	struct arena *ar;

	for (ar = atomic_load_explicit(&stacks.arenas, memory_order_acquire);
	     ar; ar = ar->next) {
		if (a >= ar->base && a < ar->end) {
			size_t i = (size_t)(a - ar->base) / ar->slot_size;
			char *slot = ar->base + i * ar->slot_size;
			struct g *gp = slot_g(slot + ar->slot_size,
					      sprout_debug.g_off);
			*in_guard = a < slot + gp->guard;
			return gp;
		}
	}
	*in_guard = false;
	return NULL;
}

/* The stack permissions ld.so gives an object: executable unless it says. */
static int object_wants_exec(struct dl_phdr_info *info, size_t size, void *data)
{
	const ElfW(Ehdr) *vdso = data;
	bool exec = true;

	(void)size;
	/* The kernel's vDSO is not loaded by ld.so and carries no flags. */
	if (vdso && info->dlpi_phdr ==
			    (const void *)((const char *)vdso + vdso->e_phoff))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_STACK)
			exec = info->dlpi_phdr[i].p_flags & PF_X;
	return exec;
}

/*
 * Make every stack slot executable, carved or not, as glibc's
 * _dl_make_stacks_executable() does for its threads' stacks once an
 * object that needs it is loaded (ld.so does the initial thread's); new
 * arenas are mapped executable from now on. Guards stay: MADV_GUARD
 * markers survive mprotect(), and mprotect() guards are left out.
 */
static void stacks_make_exec(void)
{
	const int prot = PROT_READ | PROT_WRITE | PROT_EXEC;
	struct arena *a;
	char *slot;

	atomic_store(&stacks.exec, true);
	for (a = atomic_load(&stacks.arenas); a; a = a->next) {
		if (!stacks.guard_by_mprotect || !a->pool->guard) {
			sys_mprotect(a->base, (size_t)(a->end - a->base), prot);
			continue;
		}
		for (slot = a->base; slot < a->end; slot += a->slot_size)
			sys_mprotect(slot + a->pool->guard,
				     a->slot_size - a->pool->guard, prot);
	}
}

/*
 * An instruction fetch from a G's stack faulted. If a loaded object asks
 * for executable stacks (dlopen() of one, which ld.so honoured for the
 * initial thread only), make them so and say to run the instruction
 * again. The check is made here, lazily, rather than in a dlopen()
 * wrapper: glibc's dlopen() finds the caller's RUNPATH and namespace from
 * its return address, which a wrapper would change.
 */
static bool stack_exec_fault(const siginfo_t *si, const ucontext_t *uc,
			     struct g *gp)
{
	static struct lock exec_lock = LOCK_INIT(RANK_EXEC);
	bool fixed = false;

	if (si->si_code != SEGV_ACCERR ||
	    (uintptr_t)si->si_addr != (uintptr_t)uc->uc_mcontext.gregs[REG_RIP])
		return false;
	lock(&exec_lock);
	if (!atomic_load(&stacks.exec)) {
		if (dl_iterate_phdr(object_wants_exec,
				    (void *)getauxval(AT_SYSINFO_EHDR))) {
			stacks_make_exec();
			fixed = true;
		}
	} else if (!(gp->flags & G_USERSTACK)) {
		/*
		 * Made executable since the fault (by another G's), or
		 * protected again by the program: once more, for this slot.
		 */
		fixed = sys_mprotect(gp->stack_lo,
				     (size_t)(gp->slot + gp->pool->size -
					      (char *)gp->stack_lo),
				     PROT_READ | PROT_WRITE | PROT_EXEC) == 0;
	}
	unlock(&exec_lock);
	return fixed;
}

static void put_kib(const char *before, size_t bytes)
{
	char num[24];

	print(before);
	print(fmt_u(num, bytes / 1024, 10));
	print(" KiB");
}

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
	struct kernel_sigaction dfl = { .handler = SIG_DFL };
	bool in_guard;
	struct g *gp = stack_find_g(si->si_addr, &in_guard);
	size_t size, guard;
	char num[24];

	if (gp && !in_guard && sig == SIGSEGV && stack_exec_fault(si, uc, gp))
		return;
	if (gp && in_guard) {
		print("sprout: thread ");
		print(fmt_u(num, (uintptr_t)gp, 16));
		if (gp->name[0]) {
			print(" (");
			print(gp->name);
			print(")");
		}
		tcb_stack(gp->tcb, &size, &guard);
		put_kib(" overflowed its stack of ", size);
		print(": give it a larger one with pthread_attr_setstacksize(),"
		      " or raise the default with SPROUT_STACK=SIZE\n");
	}
	/*
	 * The raw call: SIG_DFL needs no restorer, and the shim's sigaction()
	 * is the program's entry point, not the runtime's.
	 */
	sys4(SYS_rt_sigaction, sig, (long)&dfl, 0, 8);
	/*
	 * A fault: returning re-runs the access, which now kills as SIGSEGV
	 * does. A SIGSEGV sent (raise(), kill()) is not raised again by
	 * returning: it goes back to this thread, blocked until the handler
	 * returns, and its default action then ends the process as it would
	 * have natively, with a core.
	 */
	if (si->si_code <= 0 && sys4(SYS_rt_tgsigqueueinfo, sys0(SYS_getpid),
				     sys_gettid(), sig, (long)si) < 0)
		sys3(SYS_tgkill, sys0(SYS_getpid), sys_gettid(), sig);
}

/*
 * Give mp, the calling kernel thread, an alternate signal stack of its own:
 * the runtime's report of a G's stack overflow runs there (a G's own
 * stack is full then).
 */
void stack_m_init(struct m *mp)
{
	stack_t ss = { .ss_size = ALTSTACK_BYTES };

	mp->own_altstack.ss_sp = NULL;
	mp->altstack_sp = NULL;
	ss.ss_sp = sys_mmap(NULL, ALTSTACK_BYTES, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
	if (sys_mmap_failed(ss.ss_sp))
		return;
	if (sys2(SYS_sigaltstack, (long)&ss, 0) < 0) {
		sys_munmap(ss.ss_sp, ALTSTACK_BYTES);
		return;
	}
	mp->own_altstack = ss;
	mp->altstack_sp = ss.ss_sp;
}

/*
 * The calling M is exiting, blocking every signal: unmap the alternate
 * signal stack stack_m_init() gave it.
 */
void stack_m_exit(struct m *mp)
{
	stack_t off = { .ss_flags = SS_DISABLE };

	if (!mp->own_altstack.ss_sp || sys2(SYS_sigaltstack, (long)&off, 0) < 0)
		return;
	sys_munmap(mp->own_altstack.ss_sp, ALTSTACK_BYTES);
	mp->own_altstack.ss_sp = NULL;
	mp->altstack_sp = NULL;
}

/*
 * Set once the program has a handler that asks for SA_ONSTACK: from then
 * on a G without an alternate stack of its own runs with none, as a
 * thread would, so that such a handler runs on the G's own stack and may
 * park there. Before, the M's own stack stands in, for the overflow
 * report (which such a program then loses for those Gs: the kernel ends
 * the process with SIGSEGV, as natively).
 */
static _Atomic bool onstack_used;

/*
 * Before mp runs gp: the kernel thread takes gp's alternate signal stack,
 * or else its own, or none (onstack_used); a system call only when that
 * changes. With gp NULL (on g0, once a G has left the M): its own, so that
 * a signal taken on g0 never lands on a G's stack, which the G may be
 * using on another M.
 */
void m_altstack_set(struct m *mp, struct g *gp)
{
	static const stack_t off = { .ss_flags = SS_DISABLE };
	const stack_t *ss = &mp->own_altstack;

	if (!gp) {
		if (!ss->ss_sp)
			ss = &off;
	} else if (gp->altstack.ss_sp)
		ss = &gp->altstack;
	else if (atomic_load_explicit(&onstack_used, memory_order_relaxed) ||
		 !ss->ss_sp)
		ss = &off;
	if (mp->altstack_sp == ss->ss_sp)
		return;
	if (sys2(SYS_sigaltstack, (long)ss, 0) == 0)
		mp->altstack_sp = ss->ss_sp;
}

/* The program installs a handler with SA_ONSTACK (the shim's sigaction()). */
void stack_onstack_used(void)
{
	struct g *gp = getg();

	if (atomic_exchange(&onstack_used, true))
		return;
	if (gp && !(gp->flags & (G_LOCKED | G_G0)) && gp->m)
		m_altstack_set(gp->m, gp);
}

/*
 * sigaltstack() for the calling G: 0 or an error number. The alternate
 * stack is the G's, as a thread's is: it goes with the G from M to M.
 * The kernel checks the request against the stack the kernel thread has
 * now, which is the G's own if it set one.
 */
int g_sigaltstack(const stack_t *ss, stack_t *old)
{
	static const stack_t off = { .ss_flags = SS_DISABLE };
	struct g *gp = getg();
	struct m *mp = gp->m;
	stack_t was;
	long r;

	if (!ss)
		r = sys2(SYS_sigaltstack, 0, (long)&was);
	else if (ss->ss_flags & SS_DISABLE)
		r = sys2(SYS_sigaltstack, (long)&off, (long)&was);
	else
		r = sys2(SYS_sigaltstack, (long)ss, (long)&was);
	if (r < 0)
		return (int)-r;
	if (old) {
		if (gp->altstack.ss_sp)
			*old = was;
		else
			*old = off;
	}
	if (!ss)
		return 0;
	if (ss->ss_flags & SS_DISABLE) {
		memset(&gp->altstack, 0, sizeof(gp->altstack));
		mp->altstack_sp = NULL;
		m_altstack_set(mp, gp); /* the M's own, or none */
	} else {
		gp->altstack = *ss;
		gp->altstack.ss_flags &= ~SS_ONSTACK;
		mp->altstack_sp = ss->ss_sp;
	}
	return 0;
}

/*
 * Report overflows unless the program already handles SIGSEGV. act is
 * libc's sigaction (the shim's REAL()): the kernel needs glibc's restorer
 * to return from a handler, and the shim's own sigaction() is for the
 * program.
 */
void stack_overflow_setup(int (*act)(int, const struct sigaction *,
				     struct sigaction *))
{
	struct sigaction sa = { .sa_sigaction = overflow_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct kernel_sigaction old;

	if (act && sys4(SYS_rt_sigaction, SIGSEGV, 0, (long)&old, 8) == 0 &&
	    old.handler == SIG_DFL)
		act(SIGSEGV, &sa, NULL);
}

int stack_setup(size_t default_size, size_t default_guard)
{
	size_t g_off = tcb_g_offset(sizeof(struct g));

	stacks.page = (size_t)sysconf(_SC_PAGESIZE);
	sprout_debug.g_off = g_off;
	stacks.top_used = g_off > tcb_reserve() ? g_off : tcb_reserve();
	default_size = round_page(default_size);
	default_guard = round_page(default_guard);
	stacks.dflt = pool_get(default_size + default_guard, default_guard);
	stacks.tcb_only = pool_get(round_page(stacks.top_used), 0);
	if (!stacks.dflt || !stacks.tcb_only)
		return -ENOMEM;
	return 0;
}
