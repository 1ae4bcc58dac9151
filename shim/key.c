// SPDX-License-Identifier: MIT
/*
 * Thread-specific data (pthread_key_*, and C11 tss_* through them), kept in
 * the G as glibc keeps it in its thread descriptor: the first 32 keys inline,
 * the others in blocks of 32 allocated on first use.
 *
 * A key's sequence number is odd while the key exists; deleting it makes it
 * even, and a value stored under an older sequence number reads as NULL.
 * So pthread_key_delete() touches no thread, as POSIX wants.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/* As many keys as libc gives: glibc 1,024, musl 128. */
#define KEYS_MAX PTHREAD_KEYS_MAX
_Static_assert(KEYS_MAX <= TSD_BLOCK * TSD_BLOCKS, "PTHREAD_KEYS_MAX");

static struct {
	_Atomic uintptr_t seq;
	void (*_Atomic dtor)(void *);
} keys[KEYS_MAX];

static bool key_used(uintptr_t seq)
{
	return seq & 1;
}

SPROUT_EXPORT int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
	uintptr_t seq;
	unsigned int i;

	if (!shim_on())
		return REAL(pthread_key_create)(key, dtor);
	for (i = 0; i < KEYS_MAX; i++) {
		seq = atomic_load(&keys[i].seq);
		if (key_used(seq) || seq + 1 < seq)
			continue;
		if (atomic_compare_exchange_strong(&keys[i].seq, &seq,
						   seq + 1)) {
			atomic_store(&keys[i].dtor, dtor);
			*key = i;
			return 0;
		}
	}
	return EAGAIN;
}

SPROUT_EXPORT int pthread_key_delete(pthread_key_t key)
{
	uintptr_t seq;

	if (!shim_on())
		return REAL(pthread_key_delete)(key);
	if (key >= KEYS_MAX)
		return EINVAL;
	seq = atomic_load(&keys[key].seq);
	if (!key_used(seq) ||
	    !atomic_compare_exchange_strong(&keys[key].seq, &seq, seq + 1))
		return EINVAL;
	return 0;
}

/* gp's slot for key (< KEYS_MAX); NULL if its block is not allocated. */
static struct tsd_slot *slot(struct g *gp, pthread_key_t key, bool alloc)
{
	struct tsd_slot **blk;

	if (key < TSD_BLOCK)
		return &gp->tsd->first[key];
	blk = &gp->tsd->more[key / TSD_BLOCK];
	if (!*blk && alloc)
		*blk = calloc(TSD_BLOCK, sizeof(**blk));
	return *blk ? &(*blk)[key % TSD_BLOCK] : NULL;
}

SPROUT_EXPORT void *pthread_getspecific(pthread_key_t key)
{
	struct tsd_slot *s;
	void *data;

	if (!shim_on())
		return REAL(pthread_getspecific)(key);
	if (key >= KEYS_MAX)
		return NULL;
	s = slot(self_g(), key, false);
	if (!s)
		return NULL;
	data = s->data;
	if (data && s->seq != atomic_load_explicit(&keys[key].seq,
						   memory_order_relaxed)) {
		s->data = NULL; /* set under a key since deleted */
		return NULL;
	}
	return data;
}

SPROUT_EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
	struct g *gp;
	struct tsd_slot *s;
	uintptr_t seq;

	if (!shim_on())
		return REAL(pthread_setspecific)(key, value);
	if (key >= KEYS_MAX)
		return EINVAL;
	seq = atomic_load_explicit(&keys[key].seq, memory_order_relaxed);
	if (!key_used(seq))
		return EINVAL;
	gp = self_g();
	s = slot(gp, key, true);
	if (!s)
		return ENOMEM;
	s->seq = seq;
	s->data = (void *)value;
	gp->tsd_dirty = true;
	if (value)
		gp->tsd_used = true;
	return 0;
}

/*
 * At thread exit: call each key's destructor on each non-NULL value, again
 * while destructors set new values, PTHREAD_DESTRUCTOR_ITERATIONS rounds at
 * most (glibc's __nptl_deallocate_tsd). Then free the blocks.
 */
void tsd_run_destructors(struct g *gp)
{
	unsigned int round, key;
	struct tsd_slot *s;

	for (round = 0; gp->tsd_used && round < PTHREAD_DESTRUCTOR_ITERATIONS;
	     round++) {
		gp->tsd_used = false;
		for (key = 0; key < KEYS_MAX; key++) {
			void (*dtor)(void *);
			void *data;

			if (key % TSD_BLOCK == 0 && key &&
			    !gp->tsd->more[key / TSD_BLOCK]) {
				key += TSD_BLOCK - 1;
				continue;
			}
			s = slot(gp, key, false);
			data = s->data;
			if (!data)
				continue;
			s->data = NULL;
			dtor = atomic_load(&keys[key].dtor);
			if (s->seq == atomic_load(&keys[key].seq) && dtor)
				dtor(data);
		}
	}
	tsd_drop(gp);
}

/* Forget gp's thread-specific data, unrun. */
void tsd_drop(struct g *gp)
{
	struct tsd *t = gp->tsd;
	unsigned int i;

	if (!gp->tsd_dirty)
		return;
	gp->tsd_dirty = false;
	memset(t->first, 0, sizeof(t->first));
	for (i = 1; i < TSD_BLOCKS; i++) {
		free(t->more[i]);
		t->more[i] = NULL;
	}
	gp->tsd_used = false;
}
