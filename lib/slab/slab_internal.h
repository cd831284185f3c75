/* SPDX-License-Identifier: MIT */
/*
 * slab_internal.h - the slab allocator's data structures, shared by its
 * source files (slab.c: caches, fast paths, lists; slab_desc.c: the
 * type-stable descriptor pool; slab_mobility.c: isolation, defragmentation
 * and compaction's vacate hook; slab_destroy.c: destruction, batched for
 * SLAB_TYPESAFE_BY_RCU caches).
 *
 * A slab is a block of 2^order pages from the page allocator, cut into
 * s->objects objects of s->size bytes, described by a struct slab that
 * lives OUTSIDE the block, in a pool of descriptors that are never freed
 * (type-stable). The block's pages carry the descriptor as their owner tag
 * (page_set_owner()), so any object address maps to its slab in O(1).
 *
 * Free-object tracking (invariants):
 *  - free_map[] has one bit per object, set = free. Any thread sets bits
 *    (kmem_cache_free: a release fetch_or); only the slab's active owner
 *    clears them (a whole word at a time, with an acquire exchange).
 *  - inuse counts objects whose bit is clear in free_map, including those
 *    the active owner has grabbed and not yet handed out (owner_bits).
 *    Objects really allocated = inuse - popcount(owner_bits).
 *  - A slab is in exactly one state (s->lock protects state and lists):
 *      PARTIAL/FULL/EMPTY  on the list of that name, no owner;
 *      ACTIVE     one thread owns it (on s->active, owner_thread names
 *                 the thread): its current slab, which it allocates
 *                 from (owner_bits), or one of its kept slabs (below);
 *      ISOLATED   being vacated by mobility: on s->isolated only, never
 *                 allocated from, never released until processing ends;
 *      FREE       descriptor back in the pool (cache == NULL);
 *      RCU        pages waiting for a grace period (TYPESAFE_BY_RCU).
 *  - A listed slab sits on the list its inuse names (0: EMPTY, s->objects:
 *    FULL, else PARTIAL) except transiently: a free that moves inuse across
 *    either boundary re-lists the slab under s->lock afterwards
 *    (slab_relist_locked() is idempotent and re-reads inuse).
 *  - A slab is released only when inuse == 0 under s->lock, and a free
 *    decrements inuse last, so no free can touch a released slab's memory.
 *  - Frees into an ISOLATED slab only set bits: object memory (poison,
 *    ASan) is touched only when the slab is un-isolated.
 *  - Kept slabs (SLUB's per-cpu partial list, per thread): a free that
 *    moves a FULL slab's inuse below "full" may, instead of re-listing it,
 *    make it ACTIVE for the freeing thread, if that thread allocates from
 *    the cache and keeps fewer than s->thread_partial slabs. The thread
 *    allocates from it later without the cache lock; until then it has no
 *    owner_bits. Its owner's frees that cross a boundary skip the cache
 *    lock (owner_thread is theirs: only they can give it back); it goes
 *    back on the lists, by inuse, when the owner gives it back (once it
 *    has allocated from it and exhausted it; thread exit, shrink, defrag)
 *    or destroy takes it. Like any ACTIVE slab it is never isolated.
 *  - owner_thread is non-NULL exactly while the slab is ACTIVE; a thread
 *    that reads its own token there owns the slab.
 *
 * Locks, in the order of doc/design.md section 2 (a lock is taken only
 * while holding locks above it):
 *   page compaction mutex > s->mobility_mutex > xa_lock (in reclaim) >
 *   slab_cache_list_lock > s->lock > slab->lock > page allocator lock.
 *   slab_desc_lock (the descriptor pool) and the destroy queue mutex are
 *   leaves, never held with another lock.
 */
#ifndef UXA_SLAB_INTERNAL_H
#define UXA_SLAB_INTERNAL_H

#include <limits.h>
#include <stdint.h>
#include <uxa/slab.h>

#include "debug.h"
#include "page/page_internal.h"
#include "sync/sync.h"

#if UXA_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define SLAB_BITS_PER_WORD	(sizeof(unsigned long) * CHAR_BIT)
#define SLAB_MAX_OBJECTS	512u	/* per slab: bounds the bitmap */
#define SLAB_MAP_WORDS		(SLAB_MAX_OBJECTS / SLAB_BITS_PER_WORD)
#define SLAB_MAX_SIZE		(1u << 20)	/* largest object: 1 MiB */
#define SLAB_MIN_ALIGN		sizeof(void *)
#define SLAB_CACHE_LINE		64u
#define SLAB_POISON_BYTE	0x6b	/* as the kernel's POISON_FREE */
/* Empty slabs a cache keeps before releasing more (like SLUB's min_partial);
 * with 2, slab_bench's 4 KiB alloc+free took 234 ns instead of 147. */
#define SLAB_KEEP_EMPTY		8u
/* Kept slabs per thread and cache: about SLAB_THREAD_PARTIAL_OBJECTS
 * objects' worth, 2 to SLAB_THREAD_PARTIAL_MAX slabs (as SLUB scales its
 * per-cpu partial list with object size). With none, 2 threads each
 * allocating and freeing batches of 512 objects on one cache took 237 ns
 * a pair at 64 B, 411 at 576 B (28 and 36 with them): slabs moved between
 * the threads through the shared lists, one thread allocating from a slab
 * the other was still freeing into. A cap of 8 slabs left 576 B at 411 ns
 * (37 slabs a batch). Costs 8 bytes a slot in each thread's table entry. */
#define SLAB_THREAD_PARTIAL_MAX		64u
#define SLAB_THREAD_PARTIAL_OBJECTS	512u

/* Thread-local variables of the slab: initial-exec, so that the fast path
 * reads them %fs-relative instead of calling __tls_get_addr (the library
 * is position-independent). They are small; static TLS has room. */
#define SLAB_TLS __thread __attribute__((tls_model("initial-exec")))

/* Internal flags, above the public SLAB_* bits. */
#define SLAB_F_POISON		0x10000u	/* fill free objects; check on alloc */
#define SLAB_F_ASAN		0x20000u	/* ASan-poison free objects */
#define SLAB_F_TOUCH_ON_FREE	(SLAB_F_POISON | SLAB_F_ASAN)

enum slab_state {
	SLAB_STATE_FREE = 0,
	SLAB_STATE_PARTIAL,
	SLAB_STATE_FULL,
	SLAB_STATE_EMPTY,
	SLAB_STATE_ACTIVE,
	SLAB_STATE_ISOLATED,
	SLAB_STATE_RCU,
};

struct slab_link {
	struct slab_link *next, *prev;
};

/* One list of slabs of a cache, with its length (both under s->lock). */
struct slab_list {
	struct slab_link head;
	unsigned long nr;
};

/*
 * struct slab - descriptor of one slab (type-stable: lives in the
 * descriptor pool forever, reused only as a slab descriptor).
 *
 * Line 0 (identity, lists): written under the cache's lock.
 * Line 1 (free_map): remote frees.
 * Line 2 (owner_*): written only by the thread whose active slab it is;
 *   relaxed atomics so that stats and destroy may read them.
 */
struct slab {
	struct kmem_cache *cache;	/* atomic; NULL while FREE; written under cache->lock */
	void *base;			/* the block */
	struct slab_link link;		/* on one of the cache's lists (cache->lock) */
	unsigned int state;		/* enum slab_state; atomic; cache->lock (+ slab lock for ISOLATED) */
	unsigned int order;
	unsigned int inuse;		/* atomic; see the file comment */
	/* The owning thread's token while ACTIVE, else NULL; atomic, written
	 * under cache->lock, read by frees (on this line: they write inuse). */
	const void *owner_thread;
	/* Atomic: one of its owner's kept slabs (ACTIVE, not allocated from
	 * yet); set under cache->lock, cleared by the owner taking it. */
	unsigned int kept;
	/* Slab lock: serialises isolation with frees that touch object memory
	 * and with can_free(); order: below the cache lock, above the page lock. */
	uxa_spinlock_t lock;
	struct kmem_cache *rcu_cache;	/* the cache, for the RCU release callback */
	struct slab *pool_next;		/* descriptor pool free list (slab_desc_lock) */
	struct uxa_rcu_head rcu;	/* deferred release of TYPESAFE_BY_RCU slabs */

	unsigned long free_map[SLAB_MAP_WORDS] __attribute__((aligned(SLAB_CACHE_LINE)));

	unsigned long owner_bits __attribute__((aligned(SLAB_CACHE_LINE)));
	unsigned int owner_word;
};

/*
 * struct kmem_cache - one object cache. Type-stable like slab descriptors:
 * a destroyed cache's struct is kept for reuse by kmem_cache_create() and
 * never freed, so a stale slab->cache (read locklessly by the vacate hook)
 * always points at a cache struct whose locks are valid.
 */
struct kmem_cache {
	/* Read-mostly: set at creation (before the cache is handed out). */
	unsigned int size;		/* stride */
	unsigned int object_size;
	unsigned int align;
	unsigned int order;
	unsigned int objects;		/* per slab */
	unsigned int map_words;		/* free_map words in use */
	uint32_t reciprocal;		/* ceil(2^32 / size): offset -> index */
	unsigned int flags;		/* SLAB_* | SLAB_F_* */
	unsigned int index;		/* per-thread table slot, fixed for the struct's life */
	unsigned int thread_partial;	/* kept slabs per thread, <= SLAB_THREAD_PARTIAL_MAX */
	unsigned long gen;		/* incarnation (atomic): changes at create and destroy */
	unsigned long fail_after;	/* atomic fault-injection countdown */
	void (*ctor)(void *);
	char *name;

	/* Cache lock: the lists, their counters, slab state changes, live,
	 * the mobility callbacks' installation. */
	uxa_spinlock_t lock __attribute__((aligned(SLAB_CACHE_LINE)));
	bool live;
	struct slab_list partial, full, empty, active, isolated;
	unsigned long nr_rcu_pending;	/* atomic: slabs queued for RCU release */
	unsigned long defrag_vacated, defrag_refused, defrag_kept;

	/* Mobility: serialises defrag and vacate on this cache, and destroy
	 * against both. Above xa_lock in the lock order. */
	sync_mutex_t mobility_mutex;
	kmem_can_free_t can_free;
	kmem_reclaim_t reclaim;
	void *mobility_private;

	/* The global cache list, or the free-struct list (slab_cache_list_lock). */
	struct kmem_cache *list_next, *list_prev;
	/* The batched RCU destroy queue (slab_destroy.c's mutex). */
	struct kmem_cache *destroy_next;
};

/* ------------------------------------------------------------------ */
/* Small list helpers (callers hold the cache lock).                   */

static inline void slab_list_init(struct slab_list *l)
{
	l->head.next = l->head.prev = &l->head;
	l->nr = 0;
}

static inline void slab_list_add(struct slab_list *l, struct slab *slab, bool tail)
{
	struct slab_link *at = tail ? l->head.prev : &l->head;

	slab->link.prev = at;
	slab->link.next = at->next;
	at->next->prev = &slab->link;
	at->next = &slab->link;
	l->nr++;
}

static inline void slab_list_del(struct slab_list *l, struct slab *slab)
{
	slab->link.prev->next = slab->link.next;
	slab->link.next->prev = slab->link.prev;
	slab->link.next = slab->link.prev = NULL;
	l->nr--;
}

static inline struct slab *slab_of_link(struct slab_link *link)
{
	return container_of(link, struct slab, link);
}

static inline struct slab *slab_list_first(struct slab_list *l)
{
	return l->nr ? slab_of_link(l->head.next) : NULL;
}

#define slab_list_for_each(pos, l) \
	for (struct slab_link *pos##_l = (l)->head.next, *pos##_n = pos##_l->next; \
	     pos##_l != &(l)->head && ((pos) = slab_of_link(pos##_l), 1); \
	     pos##_l = pos##_n, pos##_n = pos##_l->next)

static inline unsigned int slab_state(const struct slab *slab)
{
	return sync_load_relaxed(&slab->state);
}

static inline struct kmem_cache *slab_cache(const struct slab *slab)
{
	return sync_load_relaxed(&slab->cache);
}

static inline void *slab_object(const struct kmem_cache *s, const struct slab *slab,
				unsigned int idx)
{
	return (char *)slab->base + (size_t)idx * s->size;
}

/* Bits of the objects that exist in free_map word @w. */
static inline unsigned long slab_word_mask(const struct kmem_cache *s, unsigned int w)
{
	unsigned int left = s->objects - w * SLAB_BITS_PER_WORD;

	return left >= SLAB_BITS_PER_WORD ? ~0UL : (1UL << left) - 1;
}

/* Objects the active owner has grabbed but not handed out (racy for others). */
static inline unsigned int slab_owner_free(const struct slab *slab)
{
	return (unsigned int)__builtin_popcountl(sync_load_relaxed(&slab->owner_bits));
}

/* ------------------------------------------------------------------ */
/* slab.c                                                              */

/* This thread runs mobility callbacks: its allocations never compact. */
extern SLAB_TLS bool slab_in_mobility SYNC_HIDDEN;

SYNC_HIDDEN struct slab_list *slab_list_for_state(struct kmem_cache *s, unsigned int state);
/* Put a listed slab on the list its inuse names; returns it if it should be
 * released (then already off the lists, state FREE-bound), else NULL. */
SYNC_HIDDEN struct slab *slab_relist_locked(struct kmem_cache *s, struct slab *slab);
/* Put an off-list slab on the list its inuse names (cache lock held).
 * Return: the slab if it was retired instead (one empty slab too many);
 * the caller then calls slab_release() without the lock. */
SYNC_HIDDEN struct slab *slab_place_locked(struct kmem_cache *s, struct slab *slab);
/* Take an off-list, empty slab off the cache's books (cache lock held);
 * then, without the lock, slab_release() gives its block back: now, or
 * after a grace period for SLAB_TYPESAFE_BY_RCU caches. */
SYNC_HIDDEN void slab_retire_locked(struct kmem_cache *s, struct slab *slab);
SYNC_HIDDEN void slab_release(struct kmem_cache *s, struct slab *slab);
/* Objects allocated from the cache, isolated slabs included (cache lock held). */
SYNC_HIDDEN unsigned long slab_count_in_use_locked(struct kmem_cache *s);
/* The total number of slabs the cache holds (cache lock held). */
SYNC_HIDDEN unsigned long slab_count_slabs_locked(const struct kmem_cache *s);
/* Give back the calling thread's active and kept slabs of @s, if any. */
SYNC_HIDDEN void slab_deactivate_mine(struct kmem_cache *s);
/* The poison / ASan hooks on one free object (slab lock or owner). */
SYNC_HIDDEN void slab_free_hook(struct kmem_cache *s, void *obj);
/* Remove @s from the global list (slab_cache_list_lock held). */
SYNC_HIDDEN void slab_cache_unlink_locked(struct kmem_cache *s);
/* Return a destroyed cache's struct for reuse. */
SYNC_HIDDEN void slab_cache_recycle(struct kmem_cache *s);
SYNC_HIDDEN unsigned long slab_next_gen(void);

extern uxa_spinlock_t slab_cache_list_lock SYNC_HIDDEN;

/* ------------------------------------------------------------------ */
/* slab_desc.c                                                         */

SYNC_HIDDEN struct slab *slab_desc_alloc(void);
SYNC_HIDDEN void slab_desc_free(struct slab *slab);
/* Does @p point at a descriptor of the pool (live or not)? Lock-free. */
SYNC_HIDDEN bool slab_desc_valid(const void *p);

/* ------------------------------------------------------------------ */
/* slab_mobility.c                                                     */

/* Register the page allocator's vacate hook (idempotent). */
SYNC_HIDDEN void slab_mobility_register_vacate(void);

/* ------------------------------------------------------------------ */
/* slab_destroy.c                                                      */

/* Queue a TYPESAFE_BY_RCU cache whose slabs are all released for the
 * batched barrier; its struct is recycled afterwards. */
SYNC_HIDDEN void slab_destroy_queue_rcu(struct kmem_cache *s);

#endif /* UXA_SLAB_INTERNAL_H */
