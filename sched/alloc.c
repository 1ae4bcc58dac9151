// SPDX-License-Identifier: MIT
/*
 * The runtime's memory, from pages of its own (Go's persistentalloc and
 * fixalloc in one), never libc's malloc, for two reasons:
 *  - the child of a _Fork() or a raw clone inherits every lock another
 *    thread held at the fork, and runs on only async-signal-safe calls
 *    natively; a runtime that took malloc's lock for a sleep's timer, a
 *    poll()'s list or an M's start would leave the child a lock that no
 *    thread of the program held (a hang in the child's next malloc);
 *  - malloc may be a library (jemalloc, tcmalloc) that takes a pthread
 *    mutex, which comes back to the runtime.
 *
 * Blocks of up to CLASS_MAX bytes come in power-of-two classes, each cut
 * from chunks of its own and given back to its class's free list; a
 * larger block is a mapping of its own. Every change to the lists is
 * published by one store, released after what it publishes, so a fork child finds them whole whatever
 * another thread was doing, and makes the lock anew
 * (alloc_afterfork_child()). A block comes zeroed, as from calloc().
 */
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"
#include "../arch/x86_64/sys.h"

#define CLASS_MIN_SHIFT 4 /* 16 bytes: a free block holds a pointer */
#define CLASS_MAX_SHIFT 16
#define CLASS_MAX	((size_t)1 << CLASS_MAX_SHIFT)
#define NCLASS		(CLASS_MAX_SHIFT - CLASS_MIN_SHIFT + 1)
/* A chunk is aligned to its size, so its end follows from any pointer in it. */
#define CHUNK ((size_t)256 * 1024)

struct free_block {
	struct free_block *next;
};

static struct lock alloc_lock = LOCK_INIT(RANK_ALLOC);
static struct free_block *_Atomic free_list[NCLASS];
/* The next block to cut in each class's chunk; NULL or a chunk's end: none. */
static char *_Atomic cut_next[NCLASS];

static int class_of(size_t n)
{
	int c = 0;

	while (((size_t)1 << (c + CLASS_MIN_SHIFT)) < n)
		c++;
	return c;
}

static size_t page_round(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

static void *map(size_t len)
{
	void *p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS);

	return sys_mmap_failed(p) ? NULL : p;
}

/* A chunk aligned to CHUNK: twice as much mapped, the rest unmapped. */
static char *chunk_new(void)
{
	char *p = map(2 * CHUNK), *c;

	if (!p)
		return NULL;
	c = (char *)(((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
	if (c > p)
		sys_munmap(p, (size_t)(c - p));
	sys_munmap(c + CHUNK, (size_t)(p + CHUNK - c));
	return c;
}

static bool chunk_full(const char *next)
{
	return !next || ((uintptr_t)next & (CHUNK - 1)) == 0;
}

/* n zeroed bytes; NULL if no memory is left. */
void *rt_alloc(size_t n)
{
	struct free_block *b;
	size_t size;
	char *p;
	int c;

	if (n > CLASS_MAX)
		return map(page_round(n));
	c = class_of(n);
	size = (size_t)1 << (c + CLASS_MIN_SHIFT);
	lock(&alloc_lock);
	b = atomic_load_explicit(&free_list[c], memory_order_relaxed);
	if (b) {
		atomic_store_explicit(&free_list[c], b->next,
				      memory_order_release);
		unlock(&alloc_lock);
		memset(b, 0, size);
		return b;
	}
	p = atomic_load_explicit(&cut_next[c], memory_order_relaxed);
	if (chunk_full(p) && !(p = chunk_new())) {
		unlock(&alloc_lock);
		return NULL;
	}
	atomic_store_explicit(&cut_next[c], p + size, memory_order_release);
	unlock(&alloc_lock);
	return p;
}

/* Give back p, of n bytes as asked of rt_alloc(); NULL is nothing. */
void rt_free(void *p, size_t n)
{
	struct free_block *b = p;
	int c;

	if (!p)
		return;
	if (n > CLASS_MAX) {
		sys_munmap(p, page_round(n));
		return;
	}
	c = class_of(n);
	lock(&alloc_lock);
	b->next = atomic_load_explicit(&free_list[c], memory_order_relaxed);
	atomic_store_explicit(&free_list[c], b, memory_order_release);
	unlock(&alloc_lock);
}

/* Another thread may have held the lock at the fork; the lists are whole. */
void alloc_afterfork_child(void)
{
	lock_init(&alloc_lock, RANK_ALLOC);
}
