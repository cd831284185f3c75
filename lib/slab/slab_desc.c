/* SPDX-License-Identifier: MIT */
/*
 * slab_desc.c - the pool of slab descriptors.
 *
 * Descriptors are type-stable: carved from anonymous mappings that are
 * never unmapped, and reused only as slab descriptors. The page allocator
 * reads owner tags (struct slab pointers) locklessly, and compaction hands
 * the slab layer owners that may be stale by the time it looks at them; a
 * stale pointer still points at a descriptor whose fields and lock are
 * valid, so the slab layer can validate it under its locks
 * (slab->cache == s, state, page_owner(slab->base) == slab).
 *
 * The mappings are separate from the page allocator's arena so that
 * unmovable bookkeeping never pins blocks that compaction could free.
 *
 * Invariants: every descriptor of the pool is either on the free list
 * (state FREE, cache NULL) or owned by a cache; slab_desc_chunks[0 ..
 * slab_desc_nr_chunks) only grows, and each entry is written before the
 * release store of the count that publishes it.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "slab/slab_internal.h"

#define SLAB_DESC_CHUNK_SIZE	(256u << 10)
#define SLAB_DESC_MAX_CHUNKS	4096u	/* 1 GiB of descriptors, ~5.6 million slabs */
#define SLAB_DESC_PER_CHUNK	(SLAB_DESC_CHUNK_SIZE / sizeof(struct slab))

_Static_assert(sizeof(struct slab) % SLAB_CACHE_LINE == 0,
	       "descriptors must not share cache lines");

/* Pool lock: the free list and the chunk table's growth. A leaf: never held
 * with any other lock (callers allocate descriptors outside cache locks). */
static uxa_spinlock_t slab_desc_lock = UXA_SPINLOCK_INIT;
static struct slab *slab_desc_free_list;
static char *slab_desc_chunks[SLAB_DESC_MAX_CHUNKS];
static unsigned int slab_desc_nr_chunks;	/* atomic: written under the lock, read lock-free */

/* Map one more chunk and thread its descriptors onto the free list. */
static bool slab_desc_grow_locked(void)
{
	unsigned int nr = sync_load_relaxed(&slab_desc_nr_chunks);
	char *chunk;

	if (nr == SLAB_DESC_MAX_CHUNKS)
		return false;
	chunk = mmap(NULL, SLAB_DESC_CHUNK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (chunk == MAP_FAILED)
		return false;
	/* Zeroed by mmap: every descriptor starts FREE, unlocked. */
	for (size_t i = SLAB_DESC_PER_CHUNK; i-- > 0;) {
		struct slab *slab = (struct slab *)(void *)(chunk + i * sizeof(struct slab));

		slab->pool_next = slab_desc_free_list;
		slab_desc_free_list = slab;
	}
	slab_desc_chunks[nr] = chunk;
	/* Pairs with the acquire in slab_desc_valid(). */
	sync_store_release(&slab_desc_nr_chunks, nr + 1);
	return true;
}

/*
 * slab_desc_alloc() - a descriptor, FREE and unlocked, its other fields
 * stale. Return: the descriptor, or NULL with errno ENOMEM.
 */
struct slab *slab_desc_alloc(void)
{
	struct slab *slab;

	sync_spin_lock(&slab_desc_lock);
	if (!slab_desc_free_list && !slab_desc_grow_locked()) {
		sync_spin_unlock(&slab_desc_lock);
		errno = ENOMEM;
		return NULL;
	}
	slab = slab_desc_free_list;
	slab_desc_free_list = slab->pool_next;
	sync_spin_unlock(&slab_desc_lock);
	return slab;
}

/* slab_desc_free() - return a descriptor (already FREE, cache NULL). */
void slab_desc_free(struct slab *slab)
{
	UXA_ASSERT(slab_state(slab) == SLAB_STATE_FREE && !slab_cache(slab));
	sync_spin_lock(&slab_desc_lock);
	slab->pool_next = slab_desc_free_list;
	slab_desc_free_list = slab;
	sync_spin_unlock(&slab_desc_lock);
}

/* slab_desc_valid() - does @p point exactly at one of the pool's descriptors? */
bool slab_desc_valid(const void *p)
{
	/* Pairs with the release in slab_desc_grow_locked(). */
	unsigned int nr = sync_load_acquire(&slab_desc_nr_chunks);
	uintptr_t addr = (uintptr_t)p;

	for (unsigned int i = 0; i < nr; i++) {
		uintptr_t chunk = (uintptr_t)slab_desc_chunks[i];

		if (addr >= chunk && addr < chunk + SLAB_DESC_PER_CHUNK * sizeof(struct slab))
			return (addr - chunk) % sizeof(struct slab) == 0;
	}
	return false;
}
