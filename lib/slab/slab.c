/* SPDX-License-Identifier: MIT */
/*
 * slab.c - object caches: creation, the per-thread allocation fast path,
 * frees, slab lists, shrinking and statistics.
 *
 * Fast path (no shared lock, SLUB-like): each thread allocates from at
 * most one ACTIVE slab per cache, found through a thread-local table
 * indexed by the cache's fixed index and validated by the cache's
 * incarnation number (gen). The owner takes a whole word of free bits at once with an atomic
 * exchange (owner_bits) and hands objects out of it with plain bit
 * operations; a free by the owner into that same word is a plain OR. Other
 * frees are a release fetch_or on the slab's bitmap and a decrement of its
 * inuse count; only a free that moves inuse to 0 or away from "full" takes
 * the cache lock, to move the slab between lists. A thread that exhausts
 * its slab (no owner bits, no word with remote frees) puts it back on the
 * lists and takes one of its kept slabs (no lock), else a partial slab, an
 * empty one, or a new one, under the cache lock. Thread exit gives the
 * thread's active and kept slabs back.
 *
 * Kept slabs (per-thread partial slabs, as SLUB's per-cpu partial list): a
 * thread whose free makes a full slab partial keeps it for itself (a few
 * per cache), so the slabs a thread frees into are the ones it allocates
 * from next, and its further frees into them take no lock and touch no
 * line another thread is using. Without them, two threads on one cache
 * traded slabs through the shared partial list: one allocated from a slab
 * while the other still freed into it.
 *
 * Invariants: see slab_internal.h. In particular, a free never writes into
 * object memory unless the cache poisons (SLAB_POISON, ASan), and then
 * never while the slab is isolated; and no slab is released while an
 * object of it is counted in inuse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "slab/slab_internal.h"

/* Slab cache list lock: the list of live caches, the free-struct list and
 * index allocation. Order: below the mobility mutexes and xa_lock, above
 * every cache lock. */
uxa_spinlock_t slab_cache_list_lock = UXA_SPINLOCK_INIT;
static struct kmem_cache *slab_caches;		/* live caches */
static struct kmem_cache *slab_cache_structs_free;	/* destroyed, for reuse */
static unsigned int slab_cache_next_index;
static unsigned long slab_gen_counter;		/* atomic */

SLAB_TLS bool slab_in_mobility;

unsigned long slab_next_gen(void)
{
	return sync_fetch_add_relaxed(&slab_gen_counter, 1) + 1;
}

/* ------------------------------------------------------------------ */
/* The per-thread table of active slabs.                               */

struct slab_tls_entry {
	unsigned long gen;		/* the cache incarnation this entry belongs to */
	struct kmem_cache *cache;	/* type-stable: safe to lock at thread exit */
	struct slab *active;		/* this thread's ACTIVE slab of the cache, or NULL */
	unsigned int nr_kept;
	/* Kept slabs: ACTIVE, owned by this thread, not yet allocated from. */
	struct slab *kept[SLAB_THREAD_PARTIAL_MAX];
};

static SLAB_TLS struct slab_tls_entry *slab_tls;
static SLAB_TLS unsigned int slab_tls_cap;
/* Its address identifies the thread in slab->owner_thread. */
static SLAB_TLS char slab_thread_token;
static pthread_key_t slab_tls_key;
static pthread_once_t slab_tls_key_once = PTHREAD_ONCE_INIT;

static void slab_deactivate(struct kmem_cache *s, unsigned long gen, struct slab *slab);

static inline const void *slab_self(void)
{
	return &slab_thread_token;
}

/* Give back the entry's active and kept slabs. */
static void slab_tls_entry_flush(struct slab_tls_entry *e)
{
	struct slab *slab;

	if (e->active) {
		slab = e->active;
		e->active = NULL;
		slab_deactivate(e->cache, e->gen, slab);
	}
	while (e->nr_kept) {
		slab = e->kept[--e->nr_kept];
		slab_deactivate(e->cache, e->gen, slab);
	}
}

/* Thread exit: give every active and kept slab back, then drop the table. */
static void slab_tls_exit(void *unused)
{
	(void)unused;
	for (unsigned int i = 0; i < slab_tls_cap; i++)
		slab_tls_entry_flush(&slab_tls[i]);
	free(slab_tls);
	slab_tls = NULL;
	slab_tls_cap = 0;
}

static void slab_tls_make_key(void)
{
	if (pthread_key_create(&slab_tls_key, slab_tls_exit))
		uxa_bug("slab: cannot create the thread-exit key");
}

/* The entry of @s for this thread, if it has one for this incarnation. */
static inline struct slab_tls_entry *slab_tls_lookup(const struct kmem_cache *s)
{
	unsigned int i = s->index;

	if (likely(i < slab_tls_cap)) {
		struct slab_tls_entry *e = &slab_tls[i];

		if (likely(e->gen == sync_load_relaxed(&s->gen)))
			return e;
	}
	return NULL;
}

/* The entry of @s for this thread, created (or reset if stale) on demand. */
static struct slab_tls_entry *slab_tls_get(struct kmem_cache *s)
{
	unsigned long gen = sync_load_relaxed(&s->gen);
	struct slab_tls_entry *e;

	if (unlikely(s->index >= slab_tls_cap)) {
		unsigned int cap = slab_tls_cap ? slab_tls_cap * 2 : 8;
		struct slab_tls_entry *table;

		while (cap <= s->index)
			cap *= 2;
		table = realloc(slab_tls, cap * sizeof(*table));
		if (!table)
			return NULL;
		memset(table + slab_tls_cap, 0, (cap - slab_tls_cap) * sizeof(*table));
		if (!slab_tls) {
			pthread_once(&slab_tls_key_once, slab_tls_make_key);
			/* Any non-NULL value makes the destructor run. */
			pthread_setspecific(slab_tls_key, table);
		}
		slab_tls = table;
		slab_tls_cap = cap;
	}
	e = &slab_tls[s->index];
	if (e->gen != gen) {
		/* A previous incarnation's slabs were taken back by its destroy. */
		e->gen = gen;
		e->cache = s;
		e->active = NULL;
		e->nr_kept = 0;
	}
	return e;
}

/* ------------------------------------------------------------------ */
/* Layout.                                                             */

static unsigned int slab_objects_for(unsigned int size, unsigned int order)
{
	size_t n = (UXA_PAGE_SIZE << order) / size;

	return n < SLAB_MAX_OBJECTS ? (unsigned int)n : SLAB_MAX_OBJECTS;
}

/*
 * Smallest order whose waste (bytes no object uses) is at most 1/16 of the
 * slab, preferring at least 12 objects per slab (fewer trips to the slow
 * path) when an order up to 3 allows it; then 1/8, then 1/4; else the
 * smallest order that fits one object.
 */
static unsigned int slab_pick_order(unsigned int size)
{
	static const unsigned int min_objects[] = { 12, 1 };
	unsigned int min_order = 0, max_order;

	while ((UXA_PAGE_SIZE << min_order) < size)
		min_order++;
	max_order = min_order + 2 > 3 ? min_order + 2 : 3;
	if (max_order > UXA_MAX_ORDER)
		max_order = UXA_MAX_ORDER;

	for (unsigned int fraction = 16; fraction >= 4; fraction /= 2) {
		for (unsigned int m = 0; m < 2; m++) {
			for (unsigned int order = min_order; order <= max_order; order++) {
				size_t bytes = UXA_PAGE_SIZE << order;
				unsigned int n = slab_objects_for(size, order);

				if (n < min_objects[m])
					continue;
				if ((bytes - (size_t)n * size) * fraction <= bytes)
					return order;
			}
		}
	}
	return min_order;
}

static void slab_layout(struct kmem_cache *s, unsigned int size, unsigned int align,
			slab_flags_t flags)
{
	unsigned int a = align > SLAB_MIN_ALIGN ? align : SLAB_MIN_ALIGN;

	if (flags & SLAB_HWCACHE_ALIGN) {
		/* As the kernel: small objects share a line by halves. */
		unsigned int ralign = SLAB_CACHE_LINE;

		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > a)
			a = ralign;
	}
	s->object_size = size;
	s->align = a;
	s->size = (size + a - 1) & ~(a - 1);
	s->order = slab_pick_order(s->size);
	s->objects = slab_objects_for(s->size, s->order);
	s->map_words = (s->objects + SLAB_BITS_PER_WORD - 1) / SLAB_BITS_PER_WORD;
	s->thread_partial = SLAB_THREAD_PARTIAL_OBJECTS / s->objects;
	if (s->thread_partial < 2)
		s->thread_partial = 2;
	if (s->thread_partial > SLAB_THREAD_PARTIAL_MAX)
		s->thread_partial = SLAB_THREAD_PARTIAL_MAX;
	s->reciprocal = (uint32_t)(((1ULL << 32) + s->size - 1) / s->size);
}

/* ------------------------------------------------------------------ */
/* Cache structs: type-stable, reused after destroy.                   */

static struct kmem_cache *slab_cache_struct_get(void)
{
	struct kmem_cache *s;

	sync_spin_lock(&slab_cache_list_lock);
	s = slab_cache_structs_free;
	if (s)
		slab_cache_structs_free = s->list_next;
	sync_spin_unlock(&slab_cache_list_lock);
	if (s)
		return s;

	if (posix_memalign((void **)&s, SLAB_CACHE_LINE, sizeof(*s)))
		return NULL;
	memset(s, 0, sizeof(*s));
	/* Locks are initialised once, for the struct's whole life: a stale
	 * owner may still lock them after a destroy. */
	s->mobility_mutex = (sync_mutex_t)SYNC_MUTEX_INIT;
	sync_spin_lock(&slab_cache_list_lock);
	s->index = slab_cache_next_index++;
	sync_spin_unlock(&slab_cache_list_lock);
	return s;
}

void slab_cache_recycle(struct kmem_cache *s)
{
	free(s->name);
	s->name = NULL;
	sync_spin_lock(&slab_cache_list_lock);
	s->list_next = slab_cache_structs_free;
	slab_cache_structs_free = s;
	sync_spin_unlock(&slab_cache_list_lock);
}

void slab_cache_unlink_locked(struct kmem_cache *s)
{
	if (s->list_prev)
		s->list_prev->list_next = s->list_next;
	else
		slab_caches = s->list_next;
	if (s->list_next)
		s->list_next->list_prev = s->list_prev;
	s->list_next = s->list_prev = NULL;
}

static bool slab_create_args_valid(const char *name, unsigned int size, unsigned int align,
				   slab_flags_t flags)
{
	if (!name) {
		uxa_report("kmem_cache_create: NULL name");
		return false;
	}
	if (size == 0 || size > SLAB_MAX_SIZE) {
		uxa_report("kmem_cache_create(%s): size %u out of range 1..%u", name, size,
			   SLAB_MAX_SIZE);
		return false;
	}
	if ((align & (align - 1)) || align > UXA_PAGE_SIZE) {
		uxa_report("kmem_cache_create(%s): alignment %u is not a power of two up to %lu",
			   name, align, UXA_PAGE_SIZE);
		return false;
	}
	if (flags & ~SLAB_VALID_FLAGS) {
		uxa_report("kmem_cache_create(%s): unknown flags %#x", name,
			   flags & ~SLAB_VALID_FLAGS);
		return false;
	}
	return true;
}

/*
 * Which debugging the cache really does. As in SLUB, poisoning is off for
 * caches with a constructor (it would destroy the constructed state) and
 * for SLAB_TYPESAFE_BY_RCU caches (readers may still look at freed
 * objects); for the latter, ASan poisoning is off for the same reason.
 */
static unsigned int slab_effective_flags(slab_flags_t flags, void (*ctor)(void *))
{
	unsigned int f = flags;

	if ((flags & SLAB_POISON) && !ctor && !(flags & SLAB_TYPESAFE_BY_RCU))
		f |= SLAB_F_POISON;
	if (UXA_ASAN && !(flags & SLAB_TYPESAFE_BY_RCU))
		f |= SLAB_F_ASAN;
	return f;
}

UXA_API struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
					     unsigned int align, slab_flags_t flags,
					     void (*ctor)(void *))
{
	struct kmem_cache *s;
	char *copy;

	if (!slab_create_args_valid(name, size, align, flags)) {
		errno = EINVAL;
		return NULL;
	}
	copy = strdup(name);
	s = copy ? slab_cache_struct_get() : NULL;
	if (!s) {
		free(copy);
		errno = ENOMEM;
		return NULL;
	}
	s->name = copy;
	slab_layout(s, size, align, flags);
	s->flags = slab_effective_flags(flags, ctor);
	s->ctor = ctor;
	sync_store_relaxed(&s->fail_after, 0);
	sync_store_relaxed(&s->nr_rcu_pending, 0);
	s->destroy_next = NULL;
	slab_mobility_register_vacate();

	sync_spin_lock(&slab_cache_list_lock);
	sync_spin_lock(&s->lock);
	slab_list_init(&s->partial);
	slab_list_init(&s->full);
	slab_list_init(&s->empty);
	slab_list_init(&s->active);
	slab_list_init(&s->isolated);
	s->defrag_vacated = s->defrag_refused = s->defrag_kept = 0;
	s->can_free = NULL;
	s->reclaim = NULL;
	s->mobility_private = NULL;
	sync_store_relaxed(&s->gen, slab_next_gen());
	s->live = true;
	sync_spin_unlock(&s->lock);
	s->list_prev = NULL;
	s->list_next = slab_caches;
	if (slab_caches)
		slab_caches->list_prev = s;
	slab_caches = s;
	sync_spin_unlock(&slab_cache_list_lock);
	return s;
}

/* ------------------------------------------------------------------ */
/* Object hooks: constructor, poisoning, ASan.                         */

static void slab_poison_check(struct kmem_cache *s, void *obj)
{
	const unsigned char *p = obj;

	for (unsigned int i = 0; i < s->object_size; i++) {
		if (unlikely(p[i] != SLAB_POISON_BYTE))
			uxa_bug("cache %s: object %p written after free (byte %u is %#x)",
				s->name, obj, i, p[i]);
	}
}

/* A free object becomes allocated. */
static void slab_alloc_debug(struct kmem_cache *s, void *obj)
{
#if UXA_ASAN
	if (s->flags & SLAB_F_ASAN)
		ASAN_UNPOISON_MEMORY_REGION(obj, s->object_size);
#endif
	if (s->flags & SLAB_F_POISON)
		slab_poison_check(s, obj);
}

void slab_free_hook(struct kmem_cache *s, void *obj)
{
	if (s->flags & SLAB_F_POISON)
		memset(obj, SLAB_POISON_BYTE, s->object_size);
#if UXA_ASAN
	if (s->flags & SLAB_F_ASAN)
		ASAN_POISON_MEMORY_REGION(obj, s->size);
#endif
}

/* A new slab: every object constructed, then free (poisoned). */
static void slab_prepare_block(struct kmem_cache *s, void *block)
{
	for (unsigned int i = 0; i < s->objects; i++) {
		void *obj = (char *)block + (size_t)i * s->size;

		if (s->ctor)
			s->ctor(obj);
		if (s->flags & SLAB_F_POISON)
			memset(obj, SLAB_POISON_BYTE, s->object_size);
	}
#if UXA_ASAN
	if (s->flags & SLAB_F_ASAN)
		ASAN_POISON_MEMORY_REGION(block, UXA_PAGE_SIZE << s->order);
#endif
}

/* ------------------------------------------------------------------ */
/* Slab creation, lists and release.                                   */

struct slab_list *slab_list_for_state(struct kmem_cache *s, unsigned int state)
{
	switch (state) {
	case SLAB_STATE_PARTIAL:
		return &s->partial;
	case SLAB_STATE_FULL:
		return &s->full;
	case SLAB_STATE_EMPTY:
		return &s->empty;
	case SLAB_STATE_ACTIVE:
		return &s->active;
	case SLAB_STATE_ISOLATED:
		return &s->isolated;
	default:
		uxa_bug("cache %s: slab in state %u has no list", s->name, state);
	}
}

static unsigned int slab_state_for_inuse(const struct kmem_cache *s, unsigned int inuse)
{
	if (inuse == 0)
		return SLAB_STATE_EMPTY;
	return inuse >= s->objects ? SLAB_STATE_FULL : SLAB_STATE_PARTIAL;
}

/* Take an off-list slab off the cache's books; the caller releases it
 * with slab_release() after dropping the lock. Cache lock held. */
void slab_retire_locked(struct kmem_cache *s, struct slab *slab)
{
	bool rcu = s->flags & SLAB_TYPESAFE_BY_RCU;

	UXA_ASSERT(sync_load_relaxed(&slab->inuse) == 0);
	sync_store_relaxed(&slab->owner_thread, NULL);
	sync_store_relaxed(&slab->kept, 0u);
	slab->rcu_cache = s;
	if (rcu)
		sync_fetch_add_relaxed(&s->nr_rcu_pending, 1);
	sync_store_relaxed(&slab->state, rcu ? SLAB_STATE_RCU : SLAB_STATE_FREE);
	sync_store_relaxed(&slab->cache, NULL);
}

/* Put an off-list slab of @s on the list its inuse names. Cache lock held.
 * Return: the slab if it was retired instead (one empty slab too many). */
struct slab *slab_place_locked(struct kmem_cache *s, struct slab *slab)
{
	/* Acquire: pairs with the release fetch_sub of every free counted
	 * (one release sequence), so a slab retired here happens-after the
	 * frees' last touches (poisoning) of its objects. */
	unsigned int state = slab_state_for_inuse(s, sync_load_acquire(&slab->inuse));

	if (state == SLAB_STATE_EMPTY && s->empty.nr >= SLAB_KEEP_EMPTY) {
		slab_retire_locked(s, slab);
		return slab;
	}
	sync_store_relaxed(&slab->state, state);
	/* Fuller partial slabs at the head, where allocation takes them, so
	 * sparse ones drain and become candidates for mobility. */
	slab_list_add(slab_list_for_state(s, state), slab,
		      sync_load_relaxed(&slab->inuse) * 2 < s->objects);
	return NULL;
}

struct slab *slab_relist_locked(struct kmem_cache *s, struct slab *slab)
{
	unsigned int state;

	/* The slab may have changed hands since the caller looked: only a
	 * listed slab of this cache is ours to move. */
	if (slab_cache(slab) != s)
		return NULL;
	state = slab_state(slab);
	if (state != SLAB_STATE_PARTIAL && state != SLAB_STATE_FULL && state != SLAB_STATE_EMPTY)
		return NULL;
	/* Acquire: as in slab_place_locked(). */
	if (slab_state_for_inuse(s, sync_load_acquire(&slab->inuse)) == state)
		return NULL;
	slab_list_del(slab_list_for_state(s, state), slab);
	return slab_place_locked(s, slab);
}

static void slab_free_block(struct slab *slab)
{
#if UXA_ASAN
	ASAN_UNPOISON_MEMORY_REGION(slab->base, UXA_PAGE_SIZE << slab->order);
#endif
	uxa_free_pages(slab->base, slab->order);
	sync_store_relaxed(&slab->state, SLAB_STATE_FREE);
	slab_desc_free(slab);
}

/* After a grace period: nobody can be reading the typesafe objects. */
static void slab_rcu_release(struct uxa_rcu_head *head)
{
	struct slab *slab = container_of(head, struct slab, rcu);
	struct kmem_cache *s = slab->rcu_cache;

	slab_free_block(slab);
	/* The destroy batch's rcu_barrier waits for this before reusing @s. */
	sync_fetch_sub_relaxed(&s->nr_rcu_pending, 1);
}

void slab_release(struct kmem_cache *s, struct slab *slab)
{
	page_set_owner(slab->base, slab->order, NULL, false);
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		sync_call_rcu(&slab->rcu, slab_rcu_release);
	else
		slab_free_block(slab);
}

/* A new slab, ACTIVE for the caller. No lock held. */
static struct slab *slab_new(struct kmem_cache *s, gfp_t gfp)
{
	gfp_t page_gfp = gfp & (__GFP_DIRECT_RECLAIM | __GFP_NOWARN);
	struct slab *slab;
	void *block;

	/* Mobility callbacks run under a mobility mutex, below the page
	 * layer's compaction mutex: their allocations must not compact. */
	if (slab_in_mobility)
		page_gfp &= ~__GFP_DIRECT_RECLAIM;
	block = uxa_alloc_pages(page_gfp, s->order);
	if (!block)
		return NULL;
	slab = slab_desc_alloc();
	if (!slab) {
		uxa_free_pages(block, s->order);
		return NULL;
	}
	slab->base = block;
	slab->order = s->order;
	sync_store_relaxed(&slab->inuse, 0);
	sync_store_relaxed(&slab->owner_bits, 0);
	sync_store_relaxed(&slab->owner_word, 0);
	for (unsigned int w = 0; w < SLAB_MAP_WORDS; w++)
		sync_store_relaxed(&slab->free_map[w], w < s->map_words ? slab_word_mask(s, w) : 0);
	slab_prepare_block(s, block);

	sync_spin_lock(&s->lock);
	sync_store_relaxed(&slab->cache, s);
	sync_store_relaxed(&slab->state, SLAB_STATE_ACTIVE);
	sync_store_relaxed(&slab->owner_thread, slab_self());
	sync_store_relaxed(&slab->kept, 0u);
	slab_list_add(&s->active, slab, false);
	/* Under the cache lock, so kmem_cache_setup_mobility() (which retags
	 * existing slabs under it) cannot miss this one. Release store: an
	 * owner lookup that finds @slab sees it initialised. */
	page_set_owner(block, s->order, slab, s->can_free != NULL);
	sync_spin_unlock(&s->lock);
	return slab;
}

/* Take a listed slab (partial first, then empty) as the caller's ACTIVE one. */
static struct slab *slab_take_listed(struct kmem_cache *s)
{
	struct slab *slab;

	sync_spin_lock(&s->lock);
	slab = slab_list_first(&s->partial);
	if (slab) {
		slab_list_del(&s->partial, slab);
	} else {
		slab = slab_list_first(&s->empty);
		if (slab)
			slab_list_del(&s->empty, slab);
	}
	if (slab) {
		sync_store_relaxed(&slab->state, SLAB_STATE_ACTIVE);
		sync_store_relaxed(&slab->owner_thread, slab_self());
		slab_list_add(&s->active, slab, false);
	}
	sync_spin_unlock(&s->lock);
	return slab;
}

/*
 * A free by this thread (entry @e) moved FULL @slab's inuse below "full":
 * keep the slab for this thread's next refills instead of listing it as
 * partial, if there is room. Cache lock held.
 * Return: true if the slab is now one of the thread's kept slabs.
 */
static bool slab_keep_locked(struct kmem_cache *s, struct slab_tls_entry *e, struct slab *slab)
{
	/* The slab may have changed hands, the cache its incarnation, since
	 * the caller looked. */
	if (e->nr_kept >= s->thread_partial || e->gen != sync_load_relaxed(&s->gen) ||
	    slab_cache(slab) != s || slab_state(slab) != SLAB_STATE_FULL)
		return false;
	/* Acquire: as in slab_place_locked(); a kept slab has a free object. */
	if (sync_load_acquire(&slab->inuse) >= s->objects)
		return false;
	slab_list_del(&s->full, slab);
	sync_store_relaxed(&slab->state, SLAB_STATE_ACTIVE);
	sync_store_relaxed(&slab->owner_thread, slab_self());
	sync_store_relaxed(&slab->kept, 1u);
	slab_list_add(&s->active, slab, false);
	e->kept[e->nr_kept++] = slab;
	return true;
}

/*
 * The owner takes the next word that has free bits. Only the owner clears
 * bits, so the exchange gets every bit the load saw, plus later frees.
 * Return: true if owner_bits is now non-zero.
 */
static bool slab_grab_word(struct kmem_cache *s, struct slab *slab)
{
	unsigned int start = slab->owner_word;

	for (unsigned int i = 1; i <= s->map_words; i++) {
		unsigned int w = (start + i) % s->map_words;
		unsigned long bits;

		if (!sync_load_relaxed(&slab->free_map[w]))
			continue;
		/* Pairs with the release fetch_or of every free of these
		 * objects: the freeing thread's writes (poison) come first. */
		bits = sync_exchange_acquire(&slab->free_map[w], 0UL);
		if (!bits)
			continue;
		sync_fetch_add_relaxed(&slab->inuse, (unsigned int)__builtin_popcountl(bits));
		sync_store_relaxed(&slab->owner_word, w);
		sync_store_relaxed(&slab->owner_bits, bits);
		return true;
	}
	return false;
}

/* Hand the owner's grabbed bits back to the bitmap. Owner or cache lock
 * holder of an ownerless slab. */
static void slab_return_owner_bits(struct slab *slab)
{
	unsigned long bits = sync_load_relaxed(&slab->owner_bits);

	if (!bits)
		return;
	sync_store_relaxed(&slab->owner_bits, 0UL);
	/* Pairs with the acquire exchange of the next owner. */
	sync_fetch_or_release(&slab->free_map[sync_load_relaxed(&slab->owner_word)], bits);
	sync_fetch_sub_relaxed(&slab->inuse, (unsigned int)__builtin_popcountl(bits));
}

/* Stop owning @slab (of incarnation @gen of @s): back onto the lists. */
static void slab_deactivate(struct kmem_cache *s, unsigned long gen, struct slab *slab)
{
	struct slab *retired;

	sync_spin_lock(&s->lock);
	if (sync_load_relaxed(&s->gen) != gen || slab_cache(slab) != s ||
	    slab_state(slab) != SLAB_STATE_ACTIVE) {
		/* Destroyed meanwhile: destroy took the slab back. */
		sync_spin_unlock(&s->lock);
		return;
	}
	slab_return_owner_bits(slab);
	slab_list_del(&s->active, slab);
	sync_store_relaxed(&slab->owner_thread, NULL);
	sync_store_relaxed(&slab->kept, 0u);
	retired = slab_place_locked(s, slab);
	sync_spin_unlock(&s->lock);
	if (retired)
		slab_release(s, retired);
}

void slab_deactivate_mine(struct kmem_cache *s)
{
	struct slab_tls_entry *e = slab_tls_lookup(s);

	if (e)
		slab_tls_entry_flush(e);
}

/* ------------------------------------------------------------------ */
/* Allocation.                                                         */

/* One-shot fault injection: true if this allocation must fail. */
static bool slab_fault_fires(struct kmem_cache *s)
{
	unsigned long n = sync_load_relaxed(&s->fail_after);

	while (n) {
		if (sync_cas_relaxed(&s->fail_after, &n, n - 1))
			return n == 1;
	}
	return false;
}

/* The slow path: make this thread's active slab one with owner bits. */
static struct slab *slab_refill(struct kmem_cache *s, gfp_t gfp)
{
	struct slab_tls_entry *e = slab_tls_get(s);
	struct slab *slab;

	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	if (e->active) {
		if (slab_grab_word(s, e->active))
			return e->active;
		slab = e->active;
		e->active = NULL;
		slab_deactivate(s, e->gen, slab);
	}
	/* A kept slab: ACTIVE and ours already, no lock. It has a free
	 * object: nobody allocated from it since it was kept. */
	if (e->nr_kept) {
		slab = e->kept[--e->nr_kept];
		sync_store_relaxed(&slab->kept, 0u);
	} else {
		slab = slab_take_listed(s);
	}
	if (!slab) {
		slab = slab_new(s, gfp);
		if (!slab)
			return NULL;
		/* The page allocator may have compacted, and the slab's vacate
		 * hook allocated on this thread: the table may have moved and
		 * may name an active slab now. Keep ours, give that one back. */
		e = slab_tls_get(s);
		if (!e) {
			slab_deactivate(s, sync_load_relaxed(&s->gen), slab);
			errno = ENOMEM;
			return NULL;
		}
		if (e->active) {
			struct slab *nested = e->active;

			e->active = NULL;
			slab_deactivate(s, e->gen, nested);
		}
	}
	e->active = slab;
	if (!slab_grab_word(s, slab))
		uxa_bug("cache %s: active slab %p without free objects", s->name, (void *)slab);
	return slab;
}

UXA_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct slab_tls_entry *e;
	struct slab *slab;
	unsigned long bits;
	unsigned int idx;
	void *obj;

	if (unlikely(!s || (gfp & ~__GFP_VALID_MASK))) {
		uxa_report("kmem_cache_alloc(%s): %s", s ? s->name : "NULL",
			   s ? "unknown gfp flags" : "NULL cache");
		errno = EINVAL;
		return NULL;
	}
	if (unlikely(sync_load_relaxed(&s->fail_after)) && slab_fault_fires(s)) {
		errno = ENOMEM;
		return NULL;
	}
	e = slab_tls_lookup(s);
	if (likely(e && e->active)) {
		slab = e->active;
		bits = slab->owner_bits;
		if (likely(bits))
			goto take;
	}
	slab = slab_refill(s, gfp);
	if (unlikely(!slab))
		return NULL;
	bits = slab->owner_bits;
take:
	idx = slab->owner_word * SLAB_BITS_PER_WORD + (unsigned int)__builtin_ctzl(bits);
	sync_store_relaxed(&slab->owner_bits, bits & (bits - 1));
	obj = slab_object(s, slab, idx);
	if (unlikely(s->flags & SLAB_F_TOUCH_ON_FREE))
		slab_alloc_debug(s, obj);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	return obj;
}

UXA_API void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc(s, gfp | __GFP_ZERO);
}

/* ------------------------------------------------------------------ */
/* Freeing.                                                            */

/* The object index of @obj in @slab, or UINT_MAX if it is not the start
 * of an object. ceil(2^32/size) is exact for offsets below 2^32. */
static inline unsigned int slab_index_of(const struct kmem_cache *s, const struct slab *slab,
					 const void *obj)
{
	uintptr_t off = (uintptr_t)obj - (uintptr_t)slab->base;
	unsigned int idx = (unsigned int)(((uint64_t)off * s->reciprocal) >> 32);

	if (unlikely(off != (uintptr_t)idx * s->size || idx >= s->objects))
		return UINT_MAX;
	return idx;
}

__attribute__((cold))
static void slab_double_free(struct kmem_cache *s, void *obj)
{
	uxa_debug_bug("kmem_cache_free(%s): double free of %p", s->name, obj);
}

/*
 * @obj's page is a slab of @owner, not of @s. Debug builds abort (a wrong
 * cache is memory corruption waiting to happen); others report and free
 * into the cache the object really belongs to, as SLUB does.
 * Return: the cache to free into, or NULL to ignore the free.
 */
__attribute__((cold))
static struct kmem_cache *slab_wrong_cache(struct kmem_cache *s, struct kmem_cache *owner,
					   void *obj)
{
	if (!owner) {
		uxa_report("kmem_cache_free(%s): %p is in no live slab; ignored",
			   s ? s->name : "NULL", obj);
		return NULL;
	}
	if (!s) {
		uxa_report("kmem_cache_free(NULL): %p belongs to cache %s; ignored", obj,
			   owner->name);
		return NULL;
	}
#if UXA_DEBUG
	uxa_bug("kmem_cache_free(%s): %p belongs to cache %s", s->name, obj, owner->name);
#else
	uxa_report("kmem_cache_free(%s): %p belongs to cache %s; freed there", s->name, obj,
		   owner->name);
	return owner;
#endif
}

/* A free that may have moved inuse across 0 or "full": fix the lists, or
 * keep the slab for this thread (entry @e, if it may keep it). */
static void slab_free_relist(struct kmem_cache *s, struct slab *slab, struct slab_tls_entry *e)
{
	struct slab *retired = NULL;

	sync_spin_lock(&s->lock);
	if (!e || !slab_keep_locked(s, e, slab))
		retired = slab_relist_locked(s, slab);
	sync_spin_unlock(&s->lock);
	if (retired)
		slab_release(s, retired);
}

/* Free into a slab that is not this thread's active one (or another word).
 * @e: this thread's entry of @s, or NULL. */
static void slab_free_remote(struct kmem_cache *s, struct slab *slab, void *obj, unsigned int idx,
			     struct slab_tls_entry *e)
{
	unsigned int w = idx / SLAB_BITS_PER_WORD;
	unsigned long bit = 1UL << (idx % SLAB_BITS_PER_WORD);
	unsigned long old;
	unsigned int old_inuse;

	if (unlikely(s->flags & SLAB_F_TOUCH_ON_FREE)) {
		/* The slab lock orders this against isolation: object memory
		 * is touched only while the slab is not isolated. */
		sync_spin_lock(&slab->lock);
		if (sync_load_relaxed(&slab->free_map[w]) & bit) {
			sync_spin_unlock(&slab->lock);
			slab_double_free(s, obj);
			return;
		}
		if (slab_state(slab) != SLAB_STATE_ISOLATED)
			slab_free_hook(s, obj);
		/* Pairs with the owner's acquire exchange in slab_grab_word(). */
		old = sync_fetch_or_release(&slab->free_map[w], bit);
		sync_spin_unlock(&slab->lock);
	} else {
		/* Pairs with the owner's acquire exchange in slab_grab_word(). */
		old = sync_fetch_or_release(&slab->free_map[w], bit);
	}
	if (unlikely(old & bit)) {
		slab_double_free(s, obj);
		return;
	}
	/* Last: after this, the slab may be released. Release: pairs with the
	 * acquire reads of inuse that decide to release the slab
	 * (slab_place_locked(), slab_relist_locked(), mobility's settle). */
	old_inuse = sync_fetch_sub_acq_rel(&slab->inuse, 1);
	if (unlikely(old_inuse == s->objects || old_inuse == 1)) {
		/* Our own ACTIVE slab (current or kept): only we can give it
		 * back, and then it is placed by inuse under the lock. The
		 * descriptor is type-stable, so reading it here is safe; a
		 * token we read as ours was written by us (under the lock) and
		 * can only be changed by us. */
		if (sync_load_relaxed(&slab->owner_thread) == slab_self())
			return;
		slab_free_relist(s, slab, old_inuse == s->objects ? e : NULL);
	}
}

__attribute__((cold))
static void slab_report_foreign(struct kmem_cache *s, void *obj)
{
	uxa_report("kmem_cache_free(%s): %p was not allocated from a slab cache; ignored",
		   s ? s->name : "NULL", obj);
}

UXA_API void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct slab_tls_entry *e;
	struct kmem_cache *owner;
	struct slab *slab;
	unsigned int idx;

	if (unlikely(!obj))
		return;
	/* Only the slab layer tags pages: an owner is a slab descriptor. */
	slab = page_owner(obj);
	if (unlikely(!slab)) {
		slab_report_foreign(s, obj);
		return;
	}
	UXA_ASSERT(slab_desc_valid(slab));
	owner = slab_cache(slab);
	if (unlikely(owner != s || !s)) {
		s = slab_wrong_cache(s, owner, obj);
		if (!s)
			return;
	}
	idx = slab_index_of(s, slab, obj);
	if (unlikely(idx == UINT_MAX)) {
		uxa_report("kmem_cache_free(%s): %p is not the start of an object; ignored",
			   s->name, obj);
		return;
	}
	e = slab_tls_lookup(s);
	if (likely(e && e->active == slab) &&
	    slab->owner_word == idx / SLAB_BITS_PER_WORD) {
		/* Our own active slab and word: a plain OR, nobody else
		 * reads owner_bits for anything but statistics. */
		unsigned long bit = 1UL << (idx % SLAB_BITS_PER_WORD);
		unsigned long bits = slab->owner_bits;

		if (UXA_DEBUG && ((bits | sync_load_relaxed(&slab->free_map[idx / SLAB_BITS_PER_WORD])) & bit)) {
			slab_double_free(s, obj);
			return;
		}
		if (unlikely(s->flags & SLAB_F_TOUCH_ON_FREE))
			slab_free_hook(s, obj);
		sync_store_relaxed(&slab->owner_bits, bits | bit);
		return;
	}
	slab_free_remote(s, slab, obj, idx, e);
}

/* ------------------------------------------------------------------ */
/* Small queries, shrink, statistics.                                  */

UXA_API unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s ? s->size : 0;
}

UXA_API void kmem_cache_fail_after(struct kmem_cache *s, unsigned long n)
{
	if (s)
		sync_store_relaxed(&s->fail_after, n);
}

unsigned long slab_count_slabs_locked(const struct kmem_cache *s)
{
	return s->partial.nr + s->full.nr + s->empty.nr + s->active.nr + s->isolated.nr;
}

UXA_API int kmem_cache_shrink(struct kmem_cache *s)
{
	struct slab *slab, *retired = NULL;
	unsigned long left;

	if (!s)
		return 0;
	slab_deactivate_mine(s);
	sync_spin_lock(&s->lock);
	while ((slab = slab_list_first(&s->empty))) {
		slab_list_del(&s->empty, slab);
		slab_retire_locked(s, slab);
		slab->link.next = retired ? &retired->link : NULL;
		retired = slab;
	}
	left = slab_count_slabs_locked(s);
	sync_spin_unlock(&s->lock);
	while (retired) {
		slab = retired;
		retired = slab->link.next ? slab_of_link(slab->link.next) : NULL;
		slab_release(s, slab);
	}
	return left ? 1 : 0;
}

/* Objects really allocated from @slab (racy for an ACTIVE slab). */
static unsigned long slab_allocated(const struct slab *slab)
{
	/* Acquire: destroy releases slabs whose count it read as zero; pairs
	 * with the frees' release fetch_sub. */
	unsigned int inuse = sync_load_acquire(&slab->inuse);
	unsigned int owned = slab_state(slab) == SLAB_STATE_ACTIVE ? slab_owner_free(slab) : 0;

	return inuse > owned ? inuse - owned : 0;
}

unsigned long slab_count_in_use_locked(struct kmem_cache *s)
{
	struct slab_list *lists[] = { &s->partial, &s->full, &s->active, &s->isolated };
	unsigned long n = 0;
	struct slab *slab;

	for (unsigned int i = 0; i < 4; i++)
		slab_list_for_each(slab, lists[i])
			n += slab_allocated(slab);
	return n;
}

UXA_API int kmem_cache_get_stats(struct kmem_cache *s, struct kmem_cache_stats *st)
{
	unsigned long slabs, pending, kept_empty = 0;
	struct slab *slab;

	if (!s || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->name = s->name;
	st->object_size = s->object_size;
	st->size = s->size;
	st->align = s->align;
	st->order = s->order;
	st->objects_per_slab = s->objects;

	sync_spin_lock(&s->lock);
	st->objects_in_use = slab_count_in_use_locked(s);
	slabs = slab_count_slabs_locked(s);
	/* Kept slabs are counted by their inuse, as if listed (racy, as
	 * everything about ACTIVE slabs). */
	slab_list_for_each(slab, &s->active)
		if (sync_load_relaxed(&slab->kept) && !sync_load_relaxed(&slab->inuse))
			kept_empty++;
	st->slabs_full = s->full.nr;
	st->slabs_partial = s->partial.nr + s->active.nr - kept_empty;
	st->slabs_empty = s->empty.nr + kept_empty;
	st->slabs_isolated = s->isolated.nr;
	st->defrag_slabs_vacated = s->defrag_vacated;
	st->defrag_slabs_refused = s->defrag_refused;
	st->defrag_slabs_kept = s->defrag_kept;
	sync_spin_unlock(&s->lock);

	pending = sync_load_relaxed(&s->nr_rcu_pending);
	st->object_capacity = slabs * s->objects;
	st->bytes_held = (slabs + pending) * (UXA_PAGE_SIZE << s->order);
	return 0;
}

UXA_API void kmem_cache_slabinfo(FILE *f)
{
	if (!f)
		return;
	fprintf(f, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		"<pagesperslab> : slabs <full> <partial> <empty> <isolated> "
		": defrag <vacated> <refused> <kept>\n");
	sync_spin_lock(&slab_cache_list_lock);
	for (struct kmem_cache *s = slab_caches; s; s = s->list_next) {
		struct kmem_cache_stats st;

		kmem_cache_get_stats(s, &st);
		fprintf(f, "%-17s %13lu %10lu %9u %12u %15lu : slabs %6lu %9lu %7lu %10lu "
			": defrag %9lu %9lu %6lu\n",
			st.name, st.objects_in_use, st.object_capacity, st.size,
			st.objects_per_slab, 1UL << st.order, st.slabs_full, st.slabs_partial,
			st.slabs_empty, st.slabs_isolated, st.defrag_slabs_vacated,
			st.defrag_slabs_refused, st.defrag_slabs_kept);
	}
	sync_spin_unlock(&slab_cache_list_lock);
}
