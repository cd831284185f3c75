/* SPDX-License-Identifier: MIT */
/*
 * uxa/slab.h - slab caches with two-phase mobility.
 *
 * Kernel-style object caches (kmem_cache_*) on the page allocator. A slab
 * is a naturally aligned block of 2^order pages cut into equal objects;
 * free-object tracking lives outside the objects, so freeing never writes
 * into object memory.
 *
 * Mobility (defragmentation): a cache whose objects can move registers two
 * callbacks with kmem_cache_setup_mobility(). kmem_cache_defrag() isolates
 * the sparsest slabs (no allocation can return their objects) and, for each:
 *
 *  1. can_free(s, objects, nr, private) runs with the slab locked. It must
 *     not sleep, block on other locks (trylock only), allocate or free. It
 *     either takes an existence guarantee for every one of the nr live
 *     objects and returns true, or takes nothing and returns false (the
 *     slab stays where it is).
 *  2. reclaim(s, objects, nr, private) runs with no slab lock held. It may
 *     allocate (never from the isolated slab) and free. It moves or frees
 *     every object and drops the guarantee.
 *
 * "Live" means not yet marked free: an object whose user is freeing it at
 * that moment may be among them, so the callbacks need a way to tell (a
 * reference count, a state field) and must leave such objects alone.
 *
 * After the reclaim() calls of a whole batch, one RCU barrier (so objects
 * that reclaim() retired with call_rcu are free), then every processed
 * slab is looked at again: empty, its pages go back to the page allocator;
 * otherwise it returns to the lists. Objects freed while their slab is
 * isolated are only marked free: their memory is not touched (no poison,
 * no ASan poisoning until the slab is back on the lists) and the slab is
 * not released until processing ends. A slab that some thread is
 * allocating from is never isolated.
 *
 * The page allocator's compaction uses the same two phases: it asks the
 * slab to vacate the slabs inside a block it wants to free.
 *
 * Locks (doc/design.md): compaction mutex > a cache's mobility mutex >
 * xa_lock (inside reclaim) > cache list lock > cache lock > slab lock >
 * page allocator lock. can_free() runs under a slab lock: it may only
 * trylock anything above it.
 */
#ifndef UXA_SLAB_H
#define UXA_SLAB_H

#include <stdio.h>
#include <uxa/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kmem_cache;
typedef unsigned int slab_flags_t;

#define SLAB_HWCACHE_ALIGN	0x0001u	/* align objects to the cache line */
#define SLAB_POISON		0x0002u	/* fill free objects with a pattern, check on alloc */
#define SLAB_TYPESAFE_BY_RCU	0x0004u	/* slab pages return to the page allocator only after a grace period */
#define SLAB_ACCOUNT		0x0008u	/* accepted for source compatibility; no effect */
#define SLAB_RECLAIM_ACCOUNT	0x0010u	/* accepted for source compatibility; no effect */
#define SLAB_VALID_FLAGS	0x001fu

/**
 * struct kmem_cache_stats - a snapshot of one cache.
 * @name: the cache's name (valid until the cache is destroyed).
 * @object_size: the size asked for at creation.
 * @size: the object's size as laid out (stride between objects).
 * @align: the alignment objects get.
 * @order: page order of each slab.
 * @objects_per_slab: objects in one slab.
 * @objects_in_use: allocated and not yet freed.
 * @object_capacity: objects that fit in all slabs held.
 * @slabs_full: slabs with no free object.
 * @slabs_partial: slabs with free and allocated objects, including the
 *     slabs threads are allocating from.
 * @slabs_empty: slabs with no allocated object, not yet given back.
 * @slabs_isolated: slabs being defragmented right now.
 * @bytes_held: bytes of pages held by the cache (slabs x page size << order).
 * @defrag_slabs_vacated: slabs emptied and released by mobility
 *     (kmem_cache_defrag() or page compaction).
 * @defrag_slabs_refused: slabs whose can_free() returned false.
 * @defrag_slabs_kept: slabs processed but still holding objects afterwards.
 *
 * @objects_in_use of a cache other threads are using is a snapshot: their
 * allocations and frees in flight may or may not be counted.
 */
struct kmem_cache_stats {
	const char *name;
	unsigned int object_size;
	unsigned int size;
	unsigned int align;
	unsigned int order;
	unsigned int objects_per_slab;
	unsigned long objects_in_use;
	unsigned long object_capacity;
	unsigned long slabs_full;
	unsigned long slabs_partial;
	unsigned long slabs_empty;
	unsigned long slabs_isolated;
	size_t bytes_held;
	unsigned long defrag_slabs_vacated;
	unsigned long defrag_slabs_refused;
	unsigned long defrag_slabs_kept;
};

/**
 * typedef kmem_can_free_t - phase one of mobility.
 * @s: the cache.
 * @objects: the live objects of one isolated slab.
 * @nr: how many.
 * @private: as given to kmem_cache_setup_mobility().
 *
 * Context: The slab's lock is held. No sleeping, no blocking lock, no
 * allocation, no free.
 * Return: true after taking an existence guarantee for every object; false
 * having taken nothing.
 */
typedef bool (*kmem_can_free_t)(struct kmem_cache *s, void **objects,
				unsigned int nr, void *private);

/**
 * typedef kmem_reclaim_t - phase two of mobility.
 * @s: the cache.
 * @objects: the same objects can_free() accepted.
 * @nr: how many.
 * @private: as given to kmem_cache_setup_mobility().
 *
 * Context: No slab lock held; may allocate and free. Must move or free
 * every object and drop the guarantee taken by can_free().
 */
typedef void (*kmem_reclaim_t)(struct kmem_cache *s, void **objects,
			       unsigned int nr, void *private);

/**
 * kmem_cache_create() - create an object cache.
 * @name: name for statistics and messages (copied).
 * @size: object size in bytes, 1 up to 1 MiB.
 * @align: required alignment, 0 or a power of two up to UXA_PAGE_SIZE.
 * @flags: SLAB_* flags.
 * @ctor: constructor run on each object when its slab is created, or NULL.
 *        Objects freed keep their constructed state (as in the kernel).
 *
 * The slab order is the smallest that wastes at most 1/16 of a slab (1/8,
 * then 1/4 if none does) with at least 12 objects when order 3 allows it.
 * As in SLUB, SLAB_POISON has no effect on caches with a constructor or
 * SLAB_TYPESAFE_BY_RCU (poison would destroy state that constructors or
 * lockless readers rely on); ASan builds poison free objects of every
 * other cache.
 *
 * Context: Any thread; may allocate; takes the global cache-list lock.
 * Return: the cache, or NULL with errno EINVAL (zero or oversized @size,
 * @align not a power of two, unknown flag, NULL @name) or ENOMEM.
 */
UXA_API struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
					     unsigned int align, slab_flags_t flags,
					     void (*ctor)(void *));

/**
 * kmem_cache_alloc() - allocate an object.
 * @s: the cache.
 * @gfp: allocation flags; __GFP_ZERO zeroes the object.
 *
 * Context: Any thread. Fast path: no shared lock (the thread's own slab);
 * slow path takes the cache's lock and may call the page allocator.
 * Return: the object, or NULL when no memory could be had.
 */
UXA_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);

/**
 * kmem_cache_zalloc() - allocate a zeroed object.
 * @s: the cache.
 * @gfp: allocation flags.
 *
 * Context: As kmem_cache_alloc().
 * Return: the zeroed object, or NULL.
 */
UXA_API void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);

/**
 * kmem_cache_free() - free an object.
 * @s: the cache it came from.
 * @obj: the object; NULL is ignored.
 *
 * A double free or an object of another cache aborts with a message naming
 * the cache in debug builds (other builds report a double free and ignore
 * it, and free an object of another cache into its own cache); a pointer
 * that no cache handed out, or that does not point at the start of an
 * object, is reported on stderr and ignored.
 *
 * Context: Any thread; any lock of the user's held (it may take the
 * cache's lock and call the page allocator). Writes into @obj's memory
 * only to poison it (SLAB_POISON, ASan), never while its slab is isolated.
 */
UXA_API void kmem_cache_free(struct kmem_cache *s, void *obj);

/**
 * kmem_cache_size() - the object size as laid out.
 * @s: the cache.
 *
 * Context: Any thread.
 * Return: bytes between consecutive objects (at least the created size).
 */
UXA_API unsigned int kmem_cache_size(struct kmem_cache *s);

/**
 * kmem_cache_shrink() - give every empty slab back to the page allocator.
 * @s: the cache.
 *
 * The calling thread's own allocation slab is given back to the lists
 * first; other threads' are left alone.
 *
 * Context: Any thread; takes the cache's lock; never blocks (slabs of a
 * SLAB_TYPESAFE_BY_RCU cache are queued for release after a grace period).
 * Return: 0 if the cache holds no slab afterwards, 1 otherwise (as in the kernel).
 */
UXA_API int kmem_cache_shrink(struct kmem_cache *s);

/**
 * kmem_cache_destroy() - destroy a cache.
 * @s: the cache; NULL is ignored.
 *
 * A SLAB_TYPESAFE_BY_RCU cache is released asynchronously: it is queued,
 * and one rcu_barrier covers every cache queued at that time.
 * kmem_cache_destroy_wait() waits for them; process exit does too.
 *
 * The slabs other threads were allocating from are taken back too (they
 * hold no allocated object); those threads must not use @s any more.
 *
 * Context: Any thread; takes the cache's mobility mutex (waits for a
 * defragmentation in progress), the global cache-list lock and the cache's
 * lock. Not from the cache's own mobility callbacks.
 * Return: 0, or -EBUSY with a message naming the cache and the count of
 * objects still allocated (the cache is then left intact and usable), or
 * -EINVAL (with a message) for a cache already destroyed, when that is
 * still detectable.
 */
UXA_API int kmem_cache_destroy(struct kmem_cache *s);

/**
 * kmem_cache_destroy_wait() - wait until every queued destruction is done.
 *
 * Context: Blocks (one rcu_barrier). Not inside an RCU read-side section.
 */
UXA_API void kmem_cache_destroy_wait(void);

/**
 * kmem_cache_setup_mobility() - make a cache's objects movable.
 * @s: the cache.
 * @can_free: phase one (see the file comment); non-NULL.
 * @reclaim: phase two; non-NULL.
 * @private: passed to both.
 *
 * Context: Any thread; takes the cache's lock.
 * Return: 0, -EINVAL for a NULL callback, -EBUSY if already set up.
 */
UXA_API int kmem_cache_setup_mobility(struct kmem_cache *s, kmem_can_free_t can_free,
				      kmem_reclaim_t reclaim, void *private);

/**
 * kmem_cache_defrag() - vacate the sparsest slabs of a mobile cache.
 * @s: the cache.
 * @max_occupancy_percent: slabs at or below this occupancy (0..100) are
 *     candidates; sparsest first.
 *
 * All candidates are isolated first, so the objects reclaim() re-allocates
 * land in fuller slabs, never in a slab about to be vacated. The calling
 * thread's own allocation slab is given back first and may be a candidate;
 * slabs other threads are allocating from are skipped. Allocations made by
 * the callbacks never compact (they run below the compaction mutex).
 * Defragmentations of one cache (and compaction's use of it) are
 * serialised by the cache's mobility mutex.
 *
 * Context: Blocks; calls the mobility callbacks; not inside an RCU
 * read-side section; not while holding a lock the callbacks take.
 * Return: pages given back to the page allocator (for SLAB_TYPESAFE_BY_RCU
 * caches, queued for release after a grace period), -EINVAL if the cache
 * is not mobile or the percentage is out of range, -ENOMEM if the list of
 * candidates could not be allocated, -EDEADLK (with a message) when called
 * inside an RCU read-side section or an RCU callback.
 */
UXA_API long kmem_cache_defrag(struct kmem_cache *s, int max_occupancy_percent);

/**
 * kmem_cache_get_stats() - fill @st with a snapshot of the cache.
 * @s: the cache.
 * @st: where to write.
 *
 * Context: Any thread; takes the cache's lock.
 * Return: 0, or -EINVAL for NULL arguments.
 */
UXA_API int kmem_cache_get_stats(struct kmem_cache *s, struct kmem_cache_stats *st);

/**
 * kmem_cache_slabinfo() - print one line per cache, like /proc/slabinfo.
 * @f: output stream.
 *
 * Context: Any thread; takes the global cache-list lock and each cache's lock.
 */
UXA_API void kmem_cache_slabinfo(FILE *f);

/**
 * kmem_cache_fail_after() - fault injection: fail a future allocation.
 * @s: the cache.
 * @n: the n-th next kmem_cache_alloc() on @s returns NULL (1 = the next
 *     one); 0 disarms.
 *
 * For testing callers' -ENOMEM paths. One shot: after failing, it disarms.
 *
 * Context: Any thread.
 */
UXA_API void kmem_cache_fail_after(struct kmem_cache *s, unsigned long n);

#ifdef __cplusplus
}
#endif
#endif /* UXA_SLAB_H */
