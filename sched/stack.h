/* SPDX-License-Identifier: MIT */
/*
 * The arenas that hold the Gs' slots (stack.c), and the root through which
 * a debugger or `sprout dump` finds them in a stopped process: the one
 * data symbol libsprout.so exports besides libc's names, as ld.so exports
 * _r_debug. The reader is built from these same headers, so it reads
 * struct g and struct m as the runtime lays them out; magic, version and
 * sizes refuse a library it was not built with.
 */
#ifndef SPROUT_SCHED_STACK_H
#define SPROUT_SCHED_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

struct arena {
	char *base, *end;
	size_t slot_size;
	struct stack_pool *pool;
	struct arena *next;
};

struct stack_pool {
	size_t size; /* slot size, guard included; a multiple of the page */
	size_t guard;
	struct lock lock;
	/*
	 * Dead Gs with their slots, under lock, in batches (stack.c): free
	 * keeps the stack pages they used; aged, those of Gs unused since
	 * the last look before (stack_scavenge()); clean, none below the
	 * first page.
	 */
	struct g *free, *aged, *clean;
	char *raw;	  /* slots that never got a G; under lock */
	char *next, *end; /* uncarved part of the newest arena; under lock */
	struct stack_pool *link;
};

/* The G of the slot that ends at top: g_off bytes below it (stack_setup()). */
static inline struct g *slot_g(char *top, size_t g_off)
{
	return (struct g *)(top - g_off);
}

/* The slots of a carved so far end below this. */
static inline char *arena_carved(const struct arena *a,
				 const struct stack_pool *pool)
{
	return pool->next >= a->base && pool->next <= a->end ? pool->next
							     : a->end;
}

#define SPROUT_DEBUG_MAGIC   0x31706d7564727073ull /* "sprdump1" */
#define SPROUT_DEBUG_VERSION 3

struct sprout_debug {
	uint64_t magic;
	uint32_t version;
	uint32_t g_size, m_size, arena_size, pool_size;
	size_t g_off; /* for slot_g(); set by stack_setup() */
	struct g *gmain;
	struct arena *_Atomic *arenas; /* newest first */
	struct dump_sigctx *sig;
};

/*
 * While a dump asked for by a signal runs (debug.c): the kernel thread
 * its handler runs on, and the context the signal interrupted there (a
 * ucontext_t), which is what that thread's G was doing; its registers
 * now are the handler's.
 */
struct dump_sigctx {
	int32_t tid;
	const void *ctx;
};

extern struct dump_sigctx dump_sigctx;

extern struct sprout_debug sprout_debug;

#endif
