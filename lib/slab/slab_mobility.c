/* SPDX-License-Identifier: MIT */
/*
 * slab_mobility.c - moving objects out of slabs: kmem_cache_defrag() and
 * the page allocator's compaction hook (slab_vacate()).
 *
 * The two-phase contract (uxa/slab.h, after Christoph Lameter's slab
 * defragmentation and the 2017 linux-mm discussion with Matthew Wilcox):
 *
 *  1. Isolate every slab of the batch first (off the lists, state
 *     ISOLATED): nothing allocates from them any more, so objects that
 *     reclaim() re-allocates land in other slabs.
 *  2. For each slab: lock it, collect its live objects, can_free() under
 *     the slab lock (it takes existence guarantees, or refuses: the slab
 *     is un-isolated and counted refused), unlock, then reclaim() with no
 *     slab lock held.
 *  3. One sync_rcu_barrier() after all reclaim() calls of the batch: the
 *     XArray frees replaced nodes with call_rcu, and one barrier covers
 *     them all (never one per object or per slab).
 *  4. Every processed slab is looked at again: empty, it is released
 *     (vacated); otherwise un-isolated (kept).
 *
 * Invariants: an ISOLATED slab is on s->isolated and nowhere else, is
 * never some thread's active slab, and is never released until step 4;
 * frees into it only set bits (slab.c), and the poisoning they skipped is
 * done when it is un-isolated (slab_unisolate_locked()). Batches of one
 * cache are serialised by s->mobility_mutex, which also keeps
 * kmem_cache_destroy() out.
 *
 * Lock order: compaction mutex (page layer) > s->mobility_mutex > xa_lock
 * (taken inside reclaim) > cache list lock > s->lock > slab->lock > page
 * allocator lock. can_free runs under slab->lock, so it may only trylock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "slab/slab_internal.h"

/* One isolated slab of a batch. */
struct slab_victim {
	struct slab *slab;
	unsigned int inuse;				/* at isolation: sort key */
	bool refused;
	unsigned long live[SLAB_MAP_WORDS];		/* allocated at isolation */
};

struct slab_batch {
	struct kmem_cache *s;
	struct slab_victim *v;
	unsigned int nr, cap;
	void **objects;					/* scratch: s->objects pointers */
};

static bool slab_batch_init(struct slab_batch *b, struct kmem_cache *s, unsigned int cap)
{
	b->s = s;
	b->nr = 0;
	b->cap = cap;
	b->v = cap ? calloc(cap, sizeof(*b->v)) : NULL;
	b->objects = malloc(s->objects * sizeof(void *));
	if ((cap && !b->v) || !b->objects) {
		free(b->v);
		free(b->objects);
		return false;
	}
	return true;
}

static void slab_batch_fini(struct slab_batch *b)
{
	free(b->v);
	free(b->objects);
}

/* Isolate a listed slab into the batch. Cache lock held. */
static void slab_isolate_locked(struct slab_batch *b, struct slab *slab)
{
	struct kmem_cache *s = b->s;
	struct slab_victim *v = &b->v[b->nr++];

	slab_list_del(slab_list_for_state(s, slab_state(slab)), slab);
	v->slab = slab;
	v->refused = false;
	/* Under the slab lock: a free that poisons either finished before
	 * (its bit is set) or will see ISOLATED and only set its bit. */
	sync_spin_lock(&slab->lock);
	sync_store_relaxed(&slab->state, SLAB_STATE_ISOLATED);
	for (unsigned int w = 0; w < SLAB_MAP_WORDS; w++)
		v->live[w] = w < s->map_words ?
			~sync_load_relaxed(&slab->free_map[w]) & slab_word_mask(s, w) : 0;
	v->inuse = sync_load_relaxed(&slab->inuse);
	sync_spin_unlock(&slab->lock);
	slab_list_add(&s->isolated, slab, true);
}

/*
 * Put an isolated slab back on the lists. Objects freed while it was
 * isolated get the poisoning their free skipped, before any allocation
 * can see them. Cache lock held. Return: the slab if it was retired
 * (empty and one too many) and must be released by the caller.
 */
static struct slab *slab_unisolate_locked(struct kmem_cache *s, struct slab_victim *v)
{
	struct slab *slab = v->slab;
	struct slab *retired;

	slab_list_del(&s->isolated, slab);
	sync_spin_lock(&slab->lock);
	if (s->flags & SLAB_F_TOUCH_ON_FREE) {
		for (unsigned int w = 0; w < s->map_words; w++) {
			/* Pairs with the release fetch_or of the frees made
			 * while isolated: their objects are ours to poison. */
			unsigned long freed = sync_load_acquire(&slab->free_map[w]) & v->live[w];

			while (freed) {
				unsigned int bit = (unsigned int)__builtin_ctzl(freed);

				freed &= freed - 1;
				slab_free_hook(s, slab_object(s, slab, w * SLAB_BITS_PER_WORD + bit));
			}
		}
	}
	/* Leaves ISOLATED under the slab lock too (pairs with the frees'
	 * state check); a free after this point poisons its own object. */
	sync_store_relaxed(&slab->state, SLAB_STATE_PARTIAL);
	sync_spin_unlock(&slab->lock);
	retired = slab_place_locked(s, slab);
	return retired;
}

/* Sparsest first: they are the likeliest to empty completely. */
static int slab_victim_cmp(const void *a, const void *b)
{
	const struct slab_victim *x = a, *y = b;

	return (x->inuse > y->inuse) - (x->inuse < y->inuse);
}

/*
 * Phases one and two for one isolated slab. Mobility mutex held, no
 * spinlock. Return: true if reclaim() ran (a barrier is then owed).
 */
static bool slab_evict(struct slab_batch *b, struct slab_victim *v)
{
	struct kmem_cache *s = b->s;
	struct slab *slab = v->slab;
	unsigned int nr = 0;
	bool ok;

	sync_spin_lock(&slab->lock);
	for (unsigned int w = 0; w < s->map_words; w++) {
		/* Pairs with the release fetch_or of frees: a freed object
		 * is never handed to the callbacks as live. */
		unsigned long live = ~sync_load_acquire(&slab->free_map[w]) & slab_word_mask(s, w);

		while (live) {
			unsigned int bit = (unsigned int)__builtin_ctzl(live);

			live &= live - 1;
			b->objects[nr++] = slab_object(s, slab, w * SLAB_BITS_PER_WORD + bit);
		}
	}
	if (!nr) {
		sync_spin_unlock(&slab->lock);
		return false;
	}
	ok = s->can_free(s, b->objects, nr, s->mobility_private);
	sync_spin_unlock(&slab->lock);
	if (!ok) {
		v->refused = true;
		return false;
	}
	s->reclaim(s, b->objects, nr, s->mobility_private);
	return true;
}

/* A refused slab goes straight back: it stays where it is. */
static void slab_refuse(struct kmem_cache *s, struct slab_victim *v)
{
	struct slab *retired;

	sync_spin_lock(&s->lock);
	retired = slab_unisolate_locked(s, v);
	s->defrag_refused++;
	sync_spin_unlock(&s->lock);
	if (retired)
		slab_release(s, retired);
}

/* Phase four for one processed slab. Return: true if it was released. */
static bool slab_settle(struct kmem_cache *s, struct slab_victim *v)
{
	struct slab *slab = v->slab, *retired;
	bool vacated;

	sync_spin_lock(&s->lock);
	/* Acquire: pairs with the frees' release fetch_sub (see slab.c). */
	if (sync_load_acquire(&slab->inuse) == 0) {
		slab_list_del(&s->isolated, slab);
		slab_retire_locked(s, slab);
		retired = slab;
	} else {
		retired = slab_unisolate_locked(s, v);
	}
	vacated = retired != NULL;
	if (vacated)
		s->defrag_vacated++;
	else
		s->defrag_kept++;
	sync_spin_unlock(&s->lock);
	if (retired)
		slab_release(s, retired);
	return vacated;
}

/*
 * The shared body of defrag and vacate: steps 2-4 of the file comment for
 * a batch already isolated. Mobility mutex held, nothing else.
 * Return: slabs released.
 */
static unsigned int slab_batch_process(struct slab_batch *b)
{
	struct kmem_cache *s = b->s;
	bool was_in_mobility = slab_in_mobility;
	bool barrier_owed = false;
	unsigned int vacated = 0;

	if (b->nr > 1)
		qsort(b->v, b->nr, sizeof(*b->v), slab_victim_cmp);
	slab_in_mobility = true;
	for (unsigned int i = 0; i < b->nr; i++) {
		if (slab_evict(b, &b->v[i]))
			barrier_owed = true;
		else if (b->v[i].refused)
			slab_refuse(s, &b->v[i]);
	}
	slab_in_mobility = was_in_mobility;
	/* Once for the whole batch: objects reclaim() retired with call_rcu
	 * are free after this. */
	if (barrier_owed)
		sync_rcu_barrier();
	for (unsigned int i = 0; i < b->nr; i++) {
		if (!b->v[i].refused && slab_settle(s, &b->v[i]))
			vacated++;
	}
	return vacated;
}

static bool slab_is_listed(const struct slab *slab)
{
	unsigned int state = slab_state(slab);

	return state == SLAB_STATE_PARTIAL || state == SLAB_STATE_FULL ||
	       state == SLAB_STATE_EMPTY;
}

UXA_API int kmem_cache_setup_mobility(struct kmem_cache *s, kmem_can_free_t can_free,
				      kmem_reclaim_t reclaim, void *private)
{
	struct slab *slab;

	if (!s || !can_free || !reclaim) {
		uxa_report("kmem_cache_setup_mobility(%s): NULL %s", s ? s->name : "NULL",
			   s ? "callback" : "cache");
		return -EINVAL;
	}
	sync_spin_lock(&s->lock);
	if (s->can_free) {
		sync_spin_unlock(&s->lock);
		return -EBUSY;
	}
	s->can_free = can_free;
	s->reclaim = reclaim;
	s->mobility_private = private;
	/* Slabs made before now become candidates for compaction too. */
	struct slab_list *lists[] = { &s->partial, &s->full, &s->empty, &s->active, &s->isolated };

	for (unsigned int i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		slab_list_for_each(slab, lists[i])
			page_set_owner(slab->base, slab->order, slab, true);
	sync_spin_unlock(&s->lock);
	return 0;
}

static bool slab_defrag_candidate(const struct kmem_cache *s, const struct slab *slab, int pct)
{
	return (unsigned long)sync_load_relaxed(&slab->inuse) * 100 <=
	       (unsigned long)pct * s->objects;
}

UXA_API long kmem_cache_defrag(struct kmem_cache *s, int max_occupancy_percent)
{
	struct slab_batch b;
	unsigned int cap, vacated;
	struct slab *slab;

	if (!s || max_occupancy_percent < 0 || max_occupancy_percent > 100)
		return -EINVAL;
	if (!sync_may_wait_for_grace_period()) {
		uxa_report("kmem_cache_defrag(%s): called inside an RCU read-side section or "
			   "callback (it waits for a grace period); -EDEADLK", s->name);
		return -EDEADLK;
	}

	struct slab_list *lists[] = { &s->empty, &s->partial, &s->full };

	/* Our own active slab may be vacated too; other threads' may not. */
	slab_deactivate_mine(s);
	sync_mutex_lock(&s->mobility_mutex);
	sync_spin_lock(&s->lock);
	if (!s->live || !s->can_free) {
		sync_spin_unlock(&s->lock);
		sync_mutex_unlock(&s->mobility_mutex);
		return -EINVAL;
	}
	cap = (unsigned int)(s->empty.nr + s->partial.nr + s->full.nr);
	sync_spin_unlock(&s->lock);

	if (!slab_batch_init(&b, s, cap)) {
		sync_mutex_unlock(&s->mobility_mutex);
		return -ENOMEM;
	}
	/* Step 1: isolate every candidate before touching any. */
	sync_spin_lock(&s->lock);
	for (unsigned int i = 0; i < 3; i++)
		slab_list_for_each(slab, lists[i])
			if (b.nr < b.cap && slab_defrag_candidate(s, slab, max_occupancy_percent))
				slab_isolate_locked(&b, slab);
	sync_spin_unlock(&s->lock);

	vacated = slab_batch_process(&b);
	sync_mutex_unlock(&s->mobility_mutex);
	slab_batch_fini(&b);
	return (long)vacated << s->order;
}

/*
 * Vacate the owners among owners[first..] that belong to @s (a possibly
 * stale pointer to a type-stable cache struct): validate each under the
 * cache lock (live slab of this live mobile cache, listed, still owning
 * its block), isolate them all, process. Marks them in @done.
 */
static unsigned int slab_vacate_cache(struct kmem_cache *s, void *const *owners,
				      unsigned int nr, unsigned int first, bool *done)
{
	struct slab_batch b;
	unsigned int vacated;

	if (!slab_batch_init(&b, s, nr - first))
		return 0;
	sync_mutex_lock(&s->mobility_mutex);
	sync_spin_lock(&s->lock);
	if (s->live && s->can_free) {
		for (unsigned int j = first; j < nr; j++) {
			struct slab *slab = owners[j];

			if ((j != first && done[j]) || !slab_desc_valid(slab) ||
			    slab_cache(slab) != s)
				continue;
			done[j] = true;
			if (slab_is_listed(slab) && page_owner(slab->base) == slab)
				slab_isolate_locked(&b, slab);
		}
	}
	sync_spin_unlock(&s->lock);
	vacated = slab_batch_process(&b);
	sync_mutex_unlock(&s->mobility_mutex);
	slab_batch_fini(&b);
	return vacated;
}

/* The page allocator's compaction hook (page_vacate_fn). */
static unsigned int slab_vacate(void *const *owners, unsigned int nr)
{
	unsigned int vacated = 0;
	bool *done;

	if (!nr)
		return 0;
	done = calloc(nr, sizeof(*done));
	if (!done)
		return 0;
	for (unsigned int i = 0; i < nr; i++) {
		struct kmem_cache *s;

		if (done[i])
			continue;
		done[i] = true;
		if (!slab_desc_valid(owners[i]))
			continue;
		s = slab_cache(owners[i]);
		if (s)
			vacated += slab_vacate_cache(s, owners, nr, i, done);
	}
	free(done);
	return vacated;
}

static pthread_once_t slab_vacate_once = PTHREAD_ONCE_INIT;

static void slab_vacate_register(void)
{
	page_register_vacate(slab_vacate);
}

void slab_mobility_register_vacate(void)
{
	pthread_once(&slab_vacate_once, slab_vacate_register);
}
