/* SPDX-License-Identifier: MIT */
/*
 * xa_migrate.c - moving XArray nodes: the node cache's can_free/reclaim.
 *
 * The slab (lib/slab) isolates a sparse slab of the "xa_node" cache, calls
 * xa_node_can_free() with the slab locked, then xa_node_reclaim() with no
 * slab lock, then waits for one RCU barrier for the whole batch and frees
 * the slab if it is empty. Moving one node V of array A:
 *
 *	copy = new node (never from an isolated slab)
 *	lock A; re-check V->array == A
 *	*copy = *V; move V's private-list membership to copy
 *	every child C: C->parent = copy                      (release)
 *	V's parent slot, or A's head: = copy                 (release)
 *	V->array = XA_RCU_FREE; call_rcu(free V)
 *	unlock A
 *
 * Invariants and why they hold (the argument in full: doc/design.md,
 * "Node migration"):
 *  - node->array only moves forward: NULL (preallocated) -> A (in A's
 *    tree) -> XA_RCU_FREE (retired), every change under A's lock except the
 *    allocation itself. A slab whose objects include a NULL node is refused:
 *    a writer outside any lock owns that node through its xa_state.
 *  - The victim's memory stays ours for the whole reclaim: its slab is
 *    isolated, so a free only marks it free (never reuses, poisons or
 *    releases it) until the batch's RCU barrier is over.
 *  - Readers inside V finish on V: its contents are a consistent snapshot
 *    taken under A's lock and V is freed only after a grace period. Readers
 *    walking up from a child see V or the copy; both are complete.
 *  - Writers hold A's lock, so they see either V (before) or the copy
 *    (after), never a half-moved node; they never keep node pointers across
 *    a lock drop.
 *  - The array's own memory: see the window protocol in mobility.h. One
 *    window per array and batch of copies, opened after the copies are
 *    allocated. Inside it the migrator only ever trylocks, a bounded number
 *    of times, so a writer waiting for the window to close is never waiting
 *    on the migrator, and a lock holder that waits for the migrator (on the
 *    compaction mutex, say) only costs the nodes of that array their move.
 *  - One migrator at a time: the slab serialises a cache's defragmentation
 *    and compaction with the cache's mobility mutex.
 */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "debug.h"
#include "mobility/mobility.h"
#include "xarray/xa_internal.h"

__thread __attribute__((tls_model("initial-exec"))) bool xa_retired_nodes;

/*
 * Odd while the migrator may hold a pointer to an array it has not
 * validated under that array's lock. Written by the (single) migrator,
 * read by writers that retired nodes (xa_migration_settle()).
 */
static unsigned long xa_migration_seq;

/* Cumulative statistics; relaxed: counters, read as a snapshot. */
static struct xa_migration_stats xa_mig_stats;

/* Copies are allocated this many at a time before taking an array's lock. */
#define XA_MIGRATE_BATCH	64u
/* Trylock attempts before the migrator closes its window and yields... */
#define XA_MIGRATE_SPINS	64u
/* ...and window cycles before it leaves the node where it is: the lock may
 * be held by a thread that waits for us (say, on the compaction mutex). */
#define XA_MIGRATE_CYCLES	16u

static unsigned long long xa_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void xa_stat_add(unsigned long *counter, unsigned long n)
{
	sync_fetch_add_relaxed(counter, n);
}

/* ------------------------------------------------------------------ */
/* The window protocol (mobility.h).                                   */

static void migration_window_open(void)
{
	UXA_ASSERT(!(sync_load_relaxed(&xa_migration_seq) & 1));
	sync_fetch_add_relaxed(&xa_migration_seq, 1);
	/*
	 * Pairs with the fence in xa_migration_settle() (a Dekker pair):
	 * either that writer sees the odd sequence and waits, or every
	 * node->array we read from here on shows its XA_RCU_FREE.
	 */
	sync_fence_seq_cst();
}

static void migration_window_close(void)
{
	/* Release: our last touch of any array happens-before the return of
	 * a writer whose acquire in xa_migration_settle() sees the new value. */
	sync_fetch_add_acq_rel(&xa_migration_seq, 1);
}

void xa_migration_settle(void)
{
	unsigned long seq;
	unsigned int spins = 0;

	xa_retired_nodes = false;
	/* Pairs with the fence in migration_window_open(). */
	sync_fence_seq_cst();
	/* Pairs with the release in migration_window_close(). */
	seq = sync_load_acquire(&xa_migration_seq);
	if (!(seq & 1))
		return;
	while (sync_load_acquire(&xa_migration_seq) == seq) {
		if (++spins < 128)
			sync_cpu_relax();
		else
			sched_yield();
	}
}

/* ------------------------------------------------------------------ */
/* Moving one node.                                                    */

static bool xa_list_is_empty(const struct xa_list_head *head)
{
	return head->next == head;
}

/* @copy takes @victim's place in the private list; @victim is left empty. */
static void xa_list_replace(struct xa_list_head *victim, struct xa_list_head *copy)
{
	if (xa_list_is_empty(victim)) {
		copy->next = copy;
		copy->prev = copy;
		return;
	}
	copy->next = victim->next;
	copy->prev = victim->prev;
	copy->next->prev = copy;
	copy->prev->next = copy;
	victim->next = victim;
	victim->prev = victim;
}

/* The slot that links to @node: its parent's, or the array's head. */
static void **xa_link_of(struct xarray *xa, struct xa_node *node)
{
	struct xa_node *parent = xa_parent_locked(node);

	return parent ? &parent->slots[node->offset] : &xa->xa_head;
}

/*
 * Replace @victim by @copy in @xa's tree. xa_lock held, victim->array == xa.
 * Publication order: the copy is complete, then children point up to it,
 * then the link from above points down to it (release each, so a reader
 * reaching the copy by any path sees it whole).
 */
static void xa_migrate_one(struct xarray *xa, struct xa_node *victim, struct xa_node *copy)
{
	void **link = xa_link_of(xa, victim);

	if (unlikely(sync_rcu_dereference_protected(*link) != xa_mk_node(victim)))
		uxa_bug("xa_migrate: node %p of array %p is not linked from its parent",
			(void *)victim, (void *)xa);

	memcpy(copy, victim, sizeof(*copy));
	xa_list_replace(&victim->private_list, &copy->private_list);
	if (copy->shift) {
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
			void *entry = xa_entry_locked(copy, i);

			if (xa_is_node(entry))
				xa_publish_parent(xa_to_node(entry), copy);
		}
	}
	sync_rcu_assign_pointer(*link, xa_mk_node(copy));
	xa_node_retire(victim);
}

/* ------------------------------------------------------------------ */
/* Locking an array we only know through a node.                       */

/*
 * Lock the array @node belongs to, inside the open window. Only trylock:
 * a writer that retired nodes may be waiting for our window while holding
 * another array's lock, and the holder may be waiting for something we
 * hold (compaction from inside its allocation). Return: the locked array,
 * or NULL if the node has left its tree or its array stayed busy.
 */
static struct xarray *xa_lock_node_array(struct xa_node *node)
{
	for (unsigned int attempt = 1; attempt <= XA_MIGRATE_SPINS * XA_MIGRATE_CYCLES;
	     attempt++) {
		/* Pairs with the release in xa_node_set_array(). */
		struct xarray *xa = sync_load_acquire(&node->array);

		if (!xa || xa == XA_RCU_FREE)
			return NULL;
		if (sync_spin_trylock(&xa->xa_lock)) {
			/* Under the lock node->array cannot change. */
			if (sync_load_relaxed(&node->array) == xa)
				return xa;
			sync_spin_unlock(&xa->xa_lock);
			continue;
		}
		if (attempt % XA_MIGRATE_SPINS == 0) {
			/* Let writers waiting on our window go, then look again. */
			migration_window_close();
			sched_yield();
			migration_window_open();
		} else {
			sync_cpu_relax();
		}
	}
	xa_stat_add(&xa_mig_stats.arrays_busy, 1);
	return NULL;
}

/* Our own retired victims need no settling (we hold the window):
 * xa_node_reclaim() restores the thread's flag when it is done. */
static void xa_unlock_migrated(struct xarray *xa)
{
	sync_spin_unlock(&xa->xa_lock);
}

/* ------------------------------------------------------------------ */
/* The slab callbacks.                                                 */

/*
 * Warm every line of a victim and of its copy: the memcpy under xa_lock
 * reads the one and writes the other whole, and both are cold (a sparse
 * slab last touched long ago; a copy fresh from the allocator). The victim
 * is fetched from can_free, which reads its header anyway, so the misses
 * overlap the slab unlock and the copies' allocation; the copy as soon as
 * it is allocated. Objects are not line-aligned: the last byte's line is
 * fetched too. Pure prefetches (they never fault, and the memory stays
 * ours: the slab is isolated, the copy unpublished). In the "frag" demo
 * they took reclaim from ~555 to ~450 ns per node.
 */
#define XA_PREFETCH_STRIDE	64u

static void xa_prefetch_victim(const struct xa_node *node)
{
	const char *p = (const char *)node;

	for (size_t off = 0; off < sizeof(*node); off += XA_PREFETCH_STRIDE)
		__builtin_prefetch(p + off, 0);
	__builtin_prefetch(p + sizeof(*node) - 1, 0);
}

static void xa_prefetch_copy(const struct xa_node *node)
{
	const char *p = (const char *)node;

	for (size_t off = 0; off < sizeof(*node); off += XA_PREFETCH_STRIDE)
		__builtin_prefetch(p + off, 1);
	__builtin_prefetch(p + sizeof(*node) - 1, 1);
}

/*
 * Phase one, slab locked: refuse if any node is preallocated (owned by a
 * writer between lock drops). Nodes in a tree or retired are fine; their
 * memory is guaranteed by the isolation of their slab (see above). Starts
 * fetching each node for the reclaim that follows.
 */
static bool xa_node_can_free(struct kmem_cache *s, void **objects, unsigned int nr,
			     void *private)
{
	(void)s;
	(void)private;
	for (unsigned int i = 0; i < nr; i++) {
		struct xa_node *node = objects[i];

		/* Pairs with the release in xa_node_set_array(). */
		if (!sync_load_acquire(&node->array)) {
			xa_stat_add(&xa_mig_stats.slabs_refused, 1);
			return false;
		}
		xa_prefetch_victim(node);
	}
	return true;
}

/* Allocate up to @want copies (GFP_NOWAIT: no compaction from inside a
 * migration). Return: how many. */
static unsigned int xa_alloc_copies(struct kmem_cache *s, struct xa_node **copies,
				    unsigned int want)
{
	unsigned int n = 0;

	while (n < want) {
		copies[n] = kmem_cache_alloc(s, GFP_NOWAIT | __GFP_NOWARN);
		if (!copies[n])
			break;
		n++;
	}
	return n;
}

/* Is @node still to be moved, and in @xa? A lockless peek, re-checked under
 * the lock. Pairs with the release in xa_node_set_array(). */
static bool xa_node_in(const struct xa_node *node, const struct xarray *xa)
{
	return sync_load_acquire(&((struct xa_node *)node)->array) == xa;
}

/*
 * Lock the array of the first picked node still in a tree (the first may
 * have been retired since the peek). Inside the window. Return: the locked
 * array, or NULL if none is left in a tree or the array stayed busy.
 */
static struct xarray *xa_lock_batch_array(void **objects, const unsigned int *picked,
					  unsigned int nr)
{
	for (unsigned int k = 0; k < nr; k++) {
		struct xa_node *node = objects[picked[k]];
		struct xarray *xa = xa_lock_node_array(node);
		struct xarray *now;

		if (xa)
			return xa;
		/* Pairs with the release in xa_node_set_array(). */
		now = sync_load_acquire(&node->array);
		if (now && now != XA_RCU_FREE)
			return NULL;	/* busy, not retired: give up on this array */
	}
	return NULL;
}

/*
 * Warm what moving @victim will write: the link from its parent, and the
 * parent pointers of its children. Pure prefetches of possibly stale
 * addresses (outside the lock), which never fault; the walk that matters
 * happens under the lock.
 */
static void xa_prefetch_links(const struct xa_node *victim)
{
	const struct xa_node *parent = sync_load_relaxed(&((struct xa_node *)victim)->parent);

	if (parent)
		__builtin_prefetch(&parent->slots[victim->offset], 1);
	if (!victim->shift)
		return;
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		void *entry = sync_load_relaxed(&((struct xa_node *)victim)->slots[i]);

		if (xa_is_node(entry))
			__builtin_prefetch(&xa_to_node(entry)->parent, 1);
	}
}

/*
 * Move the nodes among @objects[@first..@nr) that belong to @peek, the
 * array objects[@first] was seen in (up to one batch of copies), under one
 * hold of that array's lock. The copies are allocated before the window
 * opens (settling writers never wait for an allocation). Every node picked
 * is marked done: moved, retired meanwhile, left for want of a copy, or
 * left because the array stayed busy. Return: nodes moved.
 */
static unsigned int xa_migrate_array_batch(struct kmem_cache *s, void **objects,
					   unsigned int first, unsigned int nr, bool *done,
					   const struct xarray *peek)
{
	struct xa_node *copies[XA_MIGRATE_BATCH];
	unsigned int picked[XA_MIGRATE_BATCH];
	struct xarray *xa;
	unsigned int want = 0, have, used = 0;

	/* @peek is only compared here, never dereferenced: no window yet. */
	for (unsigned int i = first; i < nr && want < XA_MIGRATE_BATCH; i++) {
		if (!done[i] && xa_node_in(objects[i], peek)) {
			picked[want++] = i;
			done[i] = true;
		}
	}
	have = xa_alloc_copies(s, copies, want);
	if (have < want)
		xa_stat_add(&xa_mig_stats.nodes_failed, want - have);
	if (!have)
		return 0;
	for (unsigned int k = 0; k < have; k++) {
		xa_prefetch_copy(copies[k]);
		xa_prefetch_links(objects[picked[k]]);
	}

	migration_window_open();
	xa = xa_lock_batch_array(objects, picked, have);
	if (xa) {
		xa_stat_add(&xa_mig_stats.lock_holds, 1);
		for (unsigned int k = 0; k < have; k++) {
			struct xa_node *victim = objects[picked[k]];

			/* Under the lock: still in this tree, or retired meanwhile. */
			if (sync_load_relaxed(&victim->array) == xa)
				xa_migrate_one(xa, victim, copies[used++]);
		}
		xa_unlock_migrated(xa);
	}
	migration_window_close();
	for (unsigned int k = used; k < have; k++)
		kmem_cache_free(s, copies[k]);	/* never published */
	return used;
}

/*
 * Phase two, no slab lock: move every node still in a tree, grouped by
 * array (one lock hold per array and batch of copies). Retired nodes need
 * nothing: their call_rcu frees them before the slab's barrier ends.
 */
static void xa_node_reclaim(struct kmem_cache *s, void **objects, unsigned int nr,
			    void *private)
{
	bool done[XA_MIGRATE_BATCH * 16];
	unsigned long long start = xa_now_ns();
	unsigned long moved = 0, already_free = 0;
	/* Compaction may run us inside a writer's __xas_nomem(): that
	 * writer's own retirements must still be settled at its unlock. */
	bool caller_retired = xa_retired_nodes;

	(void)private;
	if (nr > sizeof(done) / sizeof(done[0]))
		uxa_bug("xa_node_reclaim: %u objects in one slab (at most %zu)",
			nr, sizeof(done) / sizeof(done[0]));
	memset(done, 0, nr * sizeof(done[0]));

	for (unsigned int i = 0; i < nr; i++) {
		struct xa_node *node = objects[i];
		struct xarray *xa;

		if (done[i])
			continue;
		/* Pairs with the release in xa_node_set_array(). */
		xa = sync_load_acquire(&node->array);
		if (!xa || xa == XA_RCU_FREE) {
			done[i] = true;
			already_free++;
			continue;
		}
		/* Later nodes of this array beyond one batch of copies start
		 * their own batch when the loop reaches them. */
		moved += xa_migrate_array_batch(s, objects, i, nr, done, xa);
	}
	xa_retired_nodes = caller_retired;

	xa_stat_add(&xa_mig_stats.nodes_moved, moved);
	xa_stat_add(&xa_mig_stats.nodes_already_free, already_free);
	xa_stat_add(&xa_mig_stats.slabs_reclaimed, 1);
	sync_fetch_add_relaxed(&xa_mig_stats.ns, xa_now_ns() - start);
}

int xa_node_mobility_setup(struct kmem_cache *cache)
{
	return kmem_cache_setup_mobility(cache, xa_node_can_free, xa_node_reclaim, NULL);
}

/* ------------------------------------------------------------------ */
/* Public entry points.                                                */

UXA_API long xa_defrag_nodes(int max_occupancy_percent)
{
	return kmem_cache_defrag(xa_node_cache(), max_occupancy_percent);
}

UXA_API void xa_migration_get_stats(struct xa_migration_stats *st)
{
	st->nodes_moved = sync_load_relaxed(&xa_mig_stats.nodes_moved);
	st->nodes_already_free = sync_load_relaxed(&xa_mig_stats.nodes_already_free);
	st->nodes_failed = sync_load_relaxed(&xa_mig_stats.nodes_failed);
	st->arrays_busy = sync_load_relaxed(&xa_mig_stats.arrays_busy);
	st->slabs_refused = sync_load_relaxed(&xa_mig_stats.slabs_refused);
	st->slabs_reclaimed = sync_load_relaxed(&xa_mig_stats.slabs_reclaimed);
	st->lock_holds = sync_load_relaxed(&xa_mig_stats.lock_holds);
	st->ns = sync_load_relaxed(&xa_mig_stats.ns);
}

UXA_API void __xa_unlock(struct xarray *xa)
{
	xa_unlock_settle(xa);
}
