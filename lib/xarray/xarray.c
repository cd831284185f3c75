/* SPDX-License-Identifier: MIT */
/*
 * xarray.c - the XArray's core: nodes, the xa_state walk, store, marks,
 * search and iteration (the advanced xas_* API), and xa_destroy().
 *
 * Invariants (xa_check() verifies them):
 *  - Every node in the tree has array == its xarray, parent/offset naming
 *    the slot that links to it, shift == parent's shift - XA_CHUNK_SHIFT,
 *    count == its non-NULL slots and nr_values == its slots whose
 *    (canonical) entry is a value entry.
 *  - A multi-index entry occupies a canonical slot followed by sibling
 *    entries naming it, all in one node; its marks live on the canonical
 *    slot only.
 *  - A mark bit on a slot linking to a node is set iff some bit is set in
 *    that node; the root's marks (xa_flags) mirror the top node's.
 *  - In an allocating array (XA_FLAGS_TRACK_FREE), XA_FREE_MARK means "free
 *    below": NULL slots carry it, allocated ones do not.
 *  - Only xa_lock holders change the tree. Anything made reachable is
 *    complete before its release-publication; nothing unlinked is freed
 *    before a grace period (xa_node_free()), and slots of unlinked nodes
 *    that a reader could still misread are turned into XA_RETRY_ENTRY.
 */
#include <pthread.h>
#include <string.h>

#include "xarray/xa_internal.h"

/* ------------------------------------------------------------------ */
/* The node cache.                                                     */

static struct kmem_cache *xa_node_cachep;
static pthread_once_t xa_node_cache_once = PTHREAD_ONCE_INIT;

static void xa_node_cache_create(void)
{
	struct kmem_cache *cache;

	cache = kmem_cache_create("xa_node", sizeof(struct xa_node),
				  _Alignof(struct xa_node), 0, NULL);
	if (!cache)
		uxa_bug("cannot create the xa_node slab cache");
	if (xa_node_mobility_setup(cache))
		uxa_bug("cannot make the xa_node slab cache mobile");
	/* Pairs with the acquire in xa_node_cache(). */
	sync_store_release(&xa_node_cachep, cache);
}

UXA_API struct kmem_cache *xa_node_cache(void)
{
	/* Pairs with the release in xa_node_cache_create(). */
	struct kmem_cache *cache = sync_load_acquire(&xa_node_cachep);

	if (likely(cache))
		return cache;
	pthread_once(&xa_node_cache_once, xa_node_cache_create);
	return sync_load_acquire(&xa_node_cachep);
}

static void xa_list_init(struct xa_list_head *head)
{
	head->next = head;
	head->prev = head;
}

static bool xa_list_empty(const struct xa_list_head *head)
{
	return head->next == head;
}

/* A zeroed node, not in any tree (array == NULL). */
static struct xa_node *xa_node_alloc(gfp_t gfp)
{
	struct xa_node *node;

	node = kmem_cache_alloc(xa_node_cache(), (gfp & __GFP_VALID_MASK) | __GFP_ZERO);
	if (node)
		xa_list_init(&node->private_list);
	return node;
}

static void xa_node_rcu_free(struct uxa_rcu_head *head)
{
	struct xa_node *node = container_of(head, struct xa_node, rcu_head);

	kmem_cache_free(xa_node_cache(), node);
}

/* Retire a node that was in the tree: readers may still be inside it. */
static void xa_node_free(struct xa_node *node)
{
	UXA_ASSERT(xa_list_empty(&node->private_list));
	xa_node_set_array(node, XA_RCU_FREE);
	xa_retired_nodes = true;	/* settled after xa_unlock (mobility.h) */
	sync_call_rcu(&node->rcu_head, xa_node_rcu_free);
}

void xa_node_retire(struct xa_node *node)
{
	xa_node_free(node);
}

/* Free the preallocated nodes (chained through ->parent); never published. */
static void xas_destroy(struct xa_state *xas)
{
	struct xa_node *node = xas->xa_alloc;

	while (node) {
		struct xa_node *next = node->parent;

		kmem_cache_free(xa_node_cache(), node);
		node = next;
	}
	xas->xa_alloc = NULL;
}

/* ------------------------------------------------------------------ */
/* Small helpers.                                                      */

static inline unsigned int get_offset(unsigned long index, const struct xa_node *node)
{
	return (index >> node->shift) & XA_CHUNK_MASK;
}

static void xas_set_offset(struct xa_state *xas)
{
	xas->xa_offset = get_offset(xas->xa_index, xas->xa_node);
}

/* Move the index to the first index of slot @offset of the current node. */
static void xas_move_index(struct xa_state *xas, unsigned long offset)
{
	unsigned int shift = xas->xa_node->shift;

	xas->xa_index &= ~XA_CHUNK_MASK << shift;
	xas->xa_index += offset << shift;
}

static void xas_next_offset(struct xa_state *xas)
{
	xas->xa_offset++;
	xas_move_index(xas, xas->xa_offset);
}

static void *set_bounds(struct xa_state *xas)
{
	xas->xa_node = XAS_BOUNDS;
	return NULL;
}

static inline void xas_update(struct xa_state *xas, struct xa_node *node)
{
	if (xas->xa_update)
		xas->xa_update(node);
	else
		UXA_ASSERT(xa_list_empty(&node->private_list));
}

/* Number of indices covered by the entry @xas describes. */
static unsigned long xas_size(const struct xa_state *xas)
{
	return (xas->xa_sibs + 1UL) << xas->xa_shift;
}

/*
 * The largest index the tree must be able to hold for this store. A
 * multi-index entry starting at 0 needs a slot of its own, so one above it.
 */
static unsigned long xas_max(const struct xa_state *xas)
{
	unsigned long max = xas->xa_index;

	if (xas->xa_shift || xas->xa_sibs) {
		unsigned long mask = xas_size(xas) - 1;

		max |= mask;
		/* (An entry covering every index lives in a full-height tree.) */
		if (mask == max && max != ULONG_MAX)
			max++;
	}
	return max;
}

/* The largest index a head entry can reach (0 unless it is a node). */
static unsigned long max_index(const void *entry)
{
	if (!xa_is_node(entry))
		return 0;
	return (XA_CHUNK_SIZE << xa_to_node(entry)->shift) - 1;
}

/* ------------------------------------------------------------------ */
/* Walking.                                                            */

static void *xas_reload_inline(struct xa_state *xas)
{
	struct xa_node *node = xas->xa_node;
	unsigned int offset;
	void *entry;

	if (!node)
		return xa_head(xas->xa);
	offset = get_offset(xas->xa_index, node);
	entry = xa_entry(node, offset);
	if (!xa_is_sibling(entry))
		return entry;
	return xa_entry(node, xa_to_sibling(entry));
}

UXA_API void *xas_reload(struct xa_state *xas)
{
	return xas_reload_inline(xas);
}

/* Begin (or continue) a walk: the head, or the current slot of a valid state. */
static void *xas_start(struct xa_state *xas)
{
	void *entry;

	if (xas_valid(xas))
		return xas_reload_inline(xas);
	if (xas_error(xas))
		return NULL;

	entry = xa_head(xas->xa);
	if (!xa_is_node(entry)) {
		if (xas->xa_index)
			return set_bounds(xas);
	} else if ((xas->xa_index >> xa_to_node(entry)->shift) > XA_CHUNK_MASK) {
		return set_bounds(xas);
	}
	xas->xa_node = NULL;
	return entry;
}

/* Step into @node towards xa_index; siblings resolve to their canonical slot. */
static void *xas_descend(struct xa_state *xas, struct xa_node *node)
{
	unsigned int offset = get_offset(xas->xa_index, node);
	void *entry = xa_entry(node, offset);

	xas->xa_node = node;
	while (xa_is_sibling(entry)) {
		offset = xa_to_sibling(entry);
		entry = xa_entry(node, offset);
		/* A node where a multi-index entry was: it is being split. */
		if (node->shift && xa_is_node(entry))
			entry = XA_RETRY_ENTRY;
	}
	xas->xa_offset = offset;
	return entry;
}

UXA_API void *xas_load(struct xa_state *xas)
{
	void *entry = xas_start(xas);

	while (xa_is_node(entry)) {
		struct xa_node *node = xa_to_node(entry);

		if (xas->xa_shift > node->shift)
			break;
		entry = xas_descend(xas, node);
		if (node->shift == 0)
			break;
	}
	return entry;
}

/* ------------------------------------------------------------------ */
/* Allocation.                                                         */

UXA_API bool xas_nomem(struct xa_state *xas, gfp_t gfp)
{
	if (xas->xa_node != XA_ERROR(-ENOMEM)) {
		xas_destroy(xas);
		return false;
	}
	xas->xa_alloc = xa_node_alloc(gfp);
	if (!xas->xa_alloc)
		return false;
	xas->xa_node = XAS_RESTART;
	return true;
}

bool __xas_nomem(struct xa_state *xas, gfp_t gfp)
{
	if (xas->xa_node != XA_ERROR(-ENOMEM)) {
		xas_destroy(xas);
		return false;
	}
	if (gfp & __GFP_DIRECT_RECLAIM) {
		/* May block: not under xa_lock. Retaken below (pair). */
		sync_spin_unlock(&xas->xa->xa_lock);
		xas->xa_alloc = xa_node_alloc(gfp);
		sync_spin_lock(&xas->xa->xa_lock);
	} else {
		xas->xa_alloc = xa_node_alloc(gfp);
	}
	if (!xas->xa_alloc)
		return false;
	xas->xa_node = XAS_RESTART;
	return true;
}

/* A node for the tree below the current position, from xa_alloc or GFP_NOWAIT. */
static struct xa_node *xas_alloc(struct xa_state *xas, unsigned int shift)
{
	struct xa_node *parent = xas->xa_node;
	struct xa_node *node = xas->xa_alloc;

	if (xas_invalid(xas))
		return NULL;

	if (node) {
		xas->xa_alloc = node->parent;
	} else {
		node = xa_node_alloc(GFP_NOWAIT | __GFP_NOWARN);
		if (!node) {
			xas_set_err(xas, -ENOMEM);
			return NULL;
		}
	}

	if (parent) {
		node->offset = xas->xa_offset;
		parent->count++;
		UXA_ASSERT(parent->count <= XA_CHUNK_SIZE);
		xas_update(xas, parent);
	}
	UXA_ASSERT(xa_list_empty(&node->private_list));
	node->shift = shift;
	node->count = 0;
	node->nr_values = 0;
	node->parent = parent;	/* unpublished yet */
	xa_node_set_array(node, xas->xa);
	return node;
}

/* ------------------------------------------------------------------ */
/* Growing and shrinking the tree.                                     */

/*
 * Remove top nodes that have a single entry in slot 0 (a node, or an entry
 * that can live in the head). Readers still inside a removed node see
 * XA_RETRY_ENTRY in place of a moved entry and restart.
 */
static void xas_shrink(struct xa_state *xas)
{
	struct xarray *xa = xas->xa;
	struct xa_node *node = xas->xa_node;

	for (;;) {
		void *entry;

		UXA_ASSERT(node->count <= XA_CHUNK_SIZE);
		if (node->count != 1)
			break;
		entry = xa_entry_locked(node, 0);
		if (!entry)
			break;
		if (!xa_is_node(entry) && node->shift)
			break;
		if (xa_is_zero(entry) && xa_zero_busy(xa))
			entry = NULL;
		xas->xa_node = XAS_BOUNDS;

		xa_publish_head(xa, entry);
		if (xa_track_free(xa) && !node_get_mark(node, 0, XA_FREE_MARK))
			xa_root_mark_clear(xa, XA_FREE_MARK);

		node->count = 0;
		node->nr_values = 0;
		if (!xa_is_node(entry))
			xa_publish_slot(node, 0, XA_RETRY_ENTRY);
		xas_update(xas, node);
		/*
		 * Unlink completely before retiring: in userspace the grace
		 * period can end while we still hold xa_lock, so a reader that
		 * starts after call_rcu must not find the old top through the
		 * new top's parent pointer (the kernel may order these the
		 * other way round only because its spinlock holds off the
		 * grace period).
		 */
		if (xa_is_node(entry))
			xa_publish_parent(xa_to_node(entry), NULL);
		xa_node_free(node);
		if (!xa_is_node(entry))
			break;
		node = xa_to_node(entry);
	}
}

/* Free xa_node and its empty ancestors; then shrink if the top was reached. */
static void xas_delete_node(struct xa_state *xas)
{
	struct xa_node *node = xas->xa_node;

	for (;;) {
		struct xa_node *parent;

		UXA_ASSERT(node->count <= XA_CHUNK_SIZE);
		if (node->count)
			break;

		parent = xa_parent_locked(node);
		xas->xa_node = parent;
		xas->xa_offset = node->offset;

		/* Unlink, then retire (see xas_shrink()). */
		if (!parent) {
			xa_publish_head(xas->xa, NULL);
			xa_node_free(node);
			xas->xa_node = XAS_BOUNDS;
			return;
		}

		xa_publish_slot(parent, xas->xa_offset, NULL);
		xa_node_free(node);
		parent->count--;
		UXA_ASSERT(parent->count <= XA_CHUNK_SIZE);
		node = parent;
		xas_update(xas, node);
	}

	if (!xa_parent_locked(node))
		xas_shrink(xas);
}

/*
 * Free a subtree that has just been unlinked. Its present entries become
 * XA_RETRY_ENTRY so that readers still inside restart from the top.
 */
static void xas_free_nodes(struct xa_state *xas, struct xa_node *top)
{
	unsigned int offset = 0;
	struct xa_node *node = top;

	for (;;) {
		void *entry = xa_entry_locked(node, offset);

		if (node->shift && xa_is_node(entry)) {
			node = xa_to_node(entry);
			offset = 0;
			continue;
		}
		if (entry)
			xa_publish_slot(node, offset, XA_RETRY_ENTRY);
		offset++;
		while (offset == XA_CHUNK_SIZE) {
			struct xa_node *parent = xa_parent_locked(node);

			offset = node->offset + 1;
			node->count = 0;
			node->nr_values = 0;
			xas_update(xas, node);
			xa_node_free(node);
			if (node == top)
				return;
			node = parent;
		}
	}
}

/*
 * Add levels on top until the tree can hold xas_max(). Returns the shift of
 * the level below which xas_create() continues, or -ENOMEM.
 */
static int xas_expand(struct xa_state *xas, void *head)
{
	struct xarray *xa = xas->xa;
	struct xa_node *node = NULL;
	unsigned int shift = 0;
	unsigned long max = xas_max(xas);

	if (!head) {
		if (max == 0)
			return 0;
		while ((max >> shift) >= XA_CHUNK_SIZE)
			shift += XA_CHUNK_SHIFT;
		return shift + XA_CHUNK_SHIFT;
	} else if (xa_is_node(head)) {
		node = xa_to_node(head);
		shift = node->shift + XA_CHUNK_SHIFT;
	}
	xas->xa_node = NULL;

	while (max > max_index(head)) {
		xa_mark_t mark;

		node = xas_alloc(xas, shift);
		if (!node)
			return -ENOMEM;

		node->count = 1;
		if (xa_is_value(head))
			node->nr_values = 1;
		xa_publish_slot(node, 0, head);

		/* The old head's marks move to slot 0 of the new top. */
		for (mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++) {
			if (xa_track_free(xa) && mark == XA_FREE_MARK) {
				node_mark_all(node, XA_FREE_MARK);
				if (!xa_root_marked(xa, XA_FREE_MARK)) {
					node_clear_mark(node, 0, XA_FREE_MARK);
					xa_root_mark_set(xa, XA_FREE_MARK);
				}
			} else if (xa_root_marked(xa, mark)) {
				node_set_mark(node, 0, mark);
			}
		}

		/* The new node is complete: link it in. */
		if (xa_is_node(head))
			xa_publish_parent(xa_to_node(head), node);
		head = xa_mk_node(node);
		xa_publish_head(xa, head);
		xas_update(xas, node);

		shift += XA_CHUNK_SHIFT;
	}

	xas->xa_node = node;
	return shift;
}

/*
 * Create the slot for xa_index (at xa_shift) and leave xas pointing at it.
 * Returns the entry there (maybe a node for a multi-index store over a
 * subtree); NULL with -ENOMEM in xas on failure. @allow_root: the entry may
 * live in xa_head (index 0, not a node, not a zero entry).
 */
static void *xas_create(struct xa_state *xas, bool allow_root)
{
	struct xarray *xa = xas->xa;
	struct xa_node *node = xas->xa_node;
	unsigned int order = xas->xa_shift;
	void **slot;
	void *entry;
	int shift;

	if (xas_top(node)) {
		entry = xa_head_locked(xa);
		xas->xa_node = NULL;
		if (!entry && xa_zero_busy(xa))
			entry = XA_ZERO_ENTRY;
		shift = xas_expand(xas, entry);
		if (shift < 0)
			return NULL;
		if (!shift && !allow_root)
			shift = XA_CHUNK_SHIFT;
		entry = xa_head_locked(xa);
		slot = &xa->xa_head;
	} else if (xas_error(xas)) {
		return NULL;
	} else if (node) {
		unsigned int offset = xas->xa_offset;

		shift = node->shift;
		entry = xa_entry_locked(node, offset);
		slot = &node->slots[offset];
	} else {
		shift = 0;
		entry = xa_head_locked(xa);
		slot = &xa->xa_head;
	}

	while (shift > (int)order) {
		shift -= XA_CHUNK_SHIFT;
		if (!entry) {
			node = xas_alloc(xas, shift);
			if (!node)
				break;
			if (xa_track_free(xa))
				node_mark_all(node, XA_FREE_MARK);
			sync_rcu_assign_pointer(*slot, xa_mk_node(node));
		} else if (xa_is_node(entry)) {
			node = xa_to_node(entry);
		} else {
			break;
		}
		entry = xas_descend(xas, node);
		slot = &node->slots[xas->xa_offset];
	}
	return entry;
}

UXA_API void xas_create_range(struct xa_state *xas)
{
	unsigned long index = xas->xa_index;
	unsigned char shift = xas->xa_shift;
	unsigned char sibs = xas->xa_sibs;
	unsigned long last = index | (xas_size(xas) - 1);
	unsigned long cur = last;

	if (xas_error(xas))
		return;
	xas->xa_shift = 0;
	xas->xa_sibs = 0;

	/* Top down, one leaf chunk at a time: the first call grows the tree. */
	for (;;) {
		xas->xa_index = cur;
		xas->xa_node = XAS_RESTART;
		xas_create(xas, true);
		if (xas_error(xas)) {
			xas->xa_shift = shift;
			xas->xa_sibs = sibs;
			xas->xa_index = index;
			return;
		}
		if ((cur & ~XA_CHUNK_MASK) <= index)
			break;
		cur = (cur & ~XA_CHUNK_MASK) - 1;
	}
	xas->xa_index = index;
	if (xas_is_node(xas))
		xas_set_offset(xas);
}

void xas_trim(struct xa_state *xas)
{
	struct xa_node *node;

	xas->xa_node = XAS_RESTART;
	xas->xa_shift = 0;
	xas->xa_sibs = 0;
	xas_load(xas);
	node = xas->xa_node;
	if (xas_not_node(node))
		return;
	if (!node->count)
		xas_delete_node(xas);
	else if (!xa_parent_locked(node))
		xas_shrink(xas);
	xas->xa_node = XAS_RESTART;
}

/* ------------------------------------------------------------------ */
/* Storing.                                                            */

static void update_node(struct xa_state *xas, struct xa_node *node, int count, int values)
{
	if (!node || (!count && !values))
		return;

	node->count += count;
	node->nr_values += values;
	UXA_ASSERT(node->count <= XA_CHUNK_SIZE);
	UXA_ASSERT(node->nr_values <= XA_CHUNK_SIZE);
	xas_update(xas, node);
	if (count < 0)
		xas_delete_node(xas);
}

/* Fold the marks of the sibling slots into the canonical one. */
static void xas_squash_marks(const struct xa_state *xas)
{
	unsigned int limit = xas->xa_offset + xas->xa_sibs + 1;
	xa_mark_t mark;

	if (!xas->xa_sibs)
		return;
	for (mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++) {
		struct xa_node *node = xas->xa_node;
		bool any = false;

		for (unsigned int i = xas->xa_offset + 1; i < limit; i++)
			any |= node_clear_mark(node, i, mark);
		if (any)
			node_set_mark(node, xas->xa_offset, mark);
	}
}

UXA_API void *xas_store(struct xa_state *xas, void *entry)
{
	struct xa_node *node;
	void **slot = &xas->xa->xa_head;
	unsigned int offset, max;
	int count = 0;
	int values = 0;
	void *first, *next;
	bool value = xa_is_value(entry);

	if (entry) {
		bool allow_root = !xa_is_node(entry) && !xa_is_zero(entry);

		first = xas_create(xas, allow_root);
	} else {
		first = xas_load(xas);
	}

	if (xas_invalid(xas))
		return first;
	node = xas->xa_node;
	if (node && (xas->xa_shift < node->shift))
		xas->xa_sibs = 0;
	if ((first == entry) && !xas->xa_sibs)
		return first;

	next = first;
	offset = xas->xa_offset;
	max = xas->xa_offset + xas->xa_sibs;
	if (node) {
		slot = &node->slots[offset];
		if (xas->xa_sibs)
			xas_squash_marks(xas);
	}
	if (!entry)
		xas_init_marks(xas);

	for (;;) {
		/*
		 * Marks were cleared above, before the slot empties: the release
		 * store orders them first, so a marked walk never stops early.
		 */
		sync_rcu_assign_pointer(*slot, entry);
		if (xa_is_node(next) && (!node || node->shift))
			xas_free_nodes(xas, xa_to_node(next));
		if (!node)
			break;
		/* Every slot emptied is free again, not only the canonical one. */
		if (!entry && xa_track_free(xas->xa))
			node_set_mark(node, offset, XA_FREE_MARK);
		count += !next - !entry;
		values += !xa_is_value(first) - !value;
		if (entry) {
			if (offset == max) {
				/*
				 * Siblings left after @max belong to an entry this
				 * store replaced: they now stand for the new entry.
				 * Rewrite them, for the slot they name may have
				 * become a sibling itself.
				 */
				while (++offset < XA_CHUNK_SIZE &&
				       xa_is_sibling(xa_entry_locked(node, offset))) {
					xa_publish_slot(node, offset, xa_mk_sibling(xas->xa_offset));
					values += !xa_is_value(first) - !value;
				}
				break;
			}
			if (!xa_is_sibling(entry))
				entry = xa_mk_sibling(xas->xa_offset);
		} else {
			if (offset == XA_CHUNK_MASK)
				break;
		}
		next = xa_entry_locked(node, ++offset);
		if (!xa_is_sibling(next)) {
			if (!entry && (offset > max))
				break;
			first = next;
		}
		slot++;
	}

	update_node(xas, node, count, values);
	return first;
}

/* ------------------------------------------------------------------ */
/* Marks.                                                              */

UXA_API bool xas_get_mark(const struct xa_state *xas, xa_mark_t mark)
{
	if (!xa_mark_valid(mark) || xas_invalid(xas))
		return false;
	if (!xas->xa_node)
		return xa_root_marked(xas->xa, mark);
	return node_get_mark(xas->xa_node, xas->xa_offset, mark);
}

UXA_API void xas_set_mark(const struct xa_state *xas, xa_mark_t mark)
{
	struct xa_node *node = xas->xa_node;
	unsigned int offset = xas->xa_offset;

	if (!xa_mark_valid(mark)) {
		xa_report_bad_mark(__func__, mark);
		return;
	}
	if (xas_invalid(xas))
		return;

	while (node) {
		if (node_set_mark(node, offset, mark))
			return;
		offset = node->offset;
		node = xa_parent_locked(node);
	}
	xa_root_mark_set(xas->xa, mark);
}

UXA_API void xas_clear_mark(const struct xa_state *xas, xa_mark_t mark)
{
	struct xa_node *node = xas->xa_node;
	unsigned int offset = xas->xa_offset;

	if (!xa_mark_valid(mark)) {
		xa_report_bad_mark(__func__, mark);
		return;
	}
	if (xas_invalid(xas))
		return;

	while (node) {
		if (!node_clear_mark(node, offset, mark))
			return;
		if (node_any_mark(node, mark))
			return;
		offset = node->offset;
		node = xa_parent_locked(node);
	}
	xa_root_mark_clear(xas->xa, mark);
}

UXA_API void xas_init_marks(const struct xa_state *xas)
{
	xa_mark_t mark;

	for (mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++) {
		if (xa_track_free(xas->xa) && mark == XA_FREE_MARK)
			xas_set_mark(xas, mark);
		else
			xas_clear_mark(xas, mark);
	}
}

/* ------------------------------------------------------------------ */
/* Splitting multi-index entries.                                      */

static unsigned int node_get_marks(const struct xa_node *node, unsigned int offset)
{
	unsigned int marks = 0;
	xa_mark_t mark;

	for (mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++)
		if (node_get_mark(node, offset, mark))
			marks |= 1U << mark;
	return marks;
}

/* Set @marks on slot @offset and, in @child, on each entry of sibs + 1 slots. */
static void node_set_marks(struct xa_node *node, unsigned int offset, struct xa_node *child,
			   unsigned int sibs, unsigned int marks)
{
	xa_mark_t mark;

	for (mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++) {
		if (!(marks & (1U << mark)))
			continue;
		node_set_mark(node, offset, mark);
		if (child)
			for (unsigned int i = 0; i < XA_CHUNK_SIZE; i += sibs + 1)
				node_set_mark(child, i, mark);
	}
}

UXA_API void xas_split_alloc(struct xa_state *xas, void *entry, unsigned int order, gfp_t gfp)
{
	unsigned int sibs = (1U << (order % XA_CHUNK_SHIFT)) - 1;
	unsigned int mask = xas->xa_sibs;

	if (xas_error(xas))
		return;
	/* Splitting across more than one level is not supported (as in the kernel). */
	if (xas->xa_shift + 2U * XA_CHUNK_SHIFT <= order) {
		uxa_report("xas_split_alloc: order %u to %u spans more than one level",
			   order, xas->xa_shift);
		goto nomem;
	}
	if (xas->xa_shift + (unsigned int)XA_CHUNK_SHIFT > order)
		return;

	do {
		void *sibling = NULL;
		struct xa_node *node;

		node = xa_node_alloc(gfp);
		if (!node)
			goto nomem;
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
			if ((i & mask) == 0) {
				node->slots[i] = entry;
				sibling = xa_mk_sibling(i);
			} else {
				node->slots[i] = sibling;
			}
		}
		node->parent = xas->xa_alloc;
		xas->xa_alloc = node;
	} while (sibs-- > 0);
	return;
nomem:
	xas_destroy(xas);
	xas_set_err(xas, -ENOMEM);
}

UXA_API void xas_split(struct xa_state *xas, void *entry, unsigned int order)
{
	unsigned int sibs = (1U << (order % XA_CHUNK_SHIFT)) - 1;
	unsigned int offset, marks;
	struct xa_node *node;
	void *curr = xas_load(xas);
	int values = 0;

	node = xas->xa_node;
	if (xas_top(node))
		return;

	marks = node_get_marks(node, xas->xa_offset);

	offset = xas->xa_offset + sibs;
	do {
		if (xas->xa_shift < node->shift) {
			struct xa_node *child = xas->xa_alloc;

			if (!child) {
				uxa_report("xas_split: no preallocated node (call xas_split_alloc)");
				xas_set_err(xas, -ENOMEM);
				return;
			}
			xas->xa_alloc = child->parent;
			child->shift = node->shift - XA_CHUNK_SHIFT;
			child->offset = offset;
			child->count = XA_CHUNK_SIZE;
			child->nr_values = xa_is_value(entry) ? XA_CHUNK_SIZE : 0;
			child->parent = node;
			xa_node_set_array(child, xas->xa);
			node_set_marks(node, offset, child, xas->xa_sibs, marks);
			xa_publish_slot(node, offset, xa_mk_node(child));
			if (xa_is_value(curr))
				values--;
			xas_update(xas, child);
		} else {
			unsigned int canon = offset - xas->xa_sibs;

			node_set_marks(node, canon, NULL, 0, marks);
			xa_publish_slot(node, canon, entry);
			while (offset > canon)
				xa_publish_slot(node, offset--, xa_mk_sibling(canon));
			values += (xa_is_value(entry) - xa_is_value(curr)) * (xas->xa_sibs + 1);
		}
	} while (offset-- > xas->xa_offset);

	node->nr_values += values;
	xas_update(xas, node);
}

/* ------------------------------------------------------------------ */
/* Moving and searching.                                               */

UXA_API void xas_pause(struct xa_state *xas)
{
	struct xa_node *node = xas->xa_node;

	if (xas_invalid(xas))
		return;

	xas->xa_node = XAS_RESTART;
	if (node) {
		unsigned long offset = xas->xa_offset;

		while (++offset < XA_CHUNK_SIZE) {
			if (!xa_is_sibling(xa_entry(node, offset)))
				break;
		}
		/* From the slot: a walk may stand inside a multi-index entry. */
		xas->xa_index &= ~XA_CHUNK_MASK << node->shift;
		xas->xa_index += offset << node->shift;
		if (xas->xa_index == 0)
			xas->xa_node = XAS_BOUNDS;
	} else {
		xas->xa_index++;
	}
}

static void *xas_descend_first(struct xa_state *xas, void *entry)
{
	for (;;) {
		if (!xa_is_node(entry))
			return entry;
		xas->xa_node = xa_to_node(entry);
		xas_set_offset(xas);
		entry = xa_entry(xas->xa_node, xas->xa_offset);
	}
}

static void *__xas_prev(struct xa_state *xas)
{
	int offset;

	if (!xas_frozen(xas->xa_node) && !xas->xa_index--) {
		/* Wrapped to ULONG_MAX: walk there from the top. */
		xas->xa_node = XAS_RESTART;
		return xas_load(xas);
	}
	if (!xas->xa_node)
		return set_bounds(xas);
	if (xas_not_node(xas->xa_node))
		return xas_load(xas);

	offset = xas->xa_offset;
	if (offset != (int)get_offset(xas->xa_index, xas->xa_node))
		offset--;
	while (offset < 0) {
		offset = (int)xas->xa_node->offset - 1;
		xas->xa_node = xa_parent(xas->xa_node);
		if (!xas->xa_node)
			return set_bounds(xas);
	}
	xas->xa_offset = offset;
	return xas_descend_first(xas, xa_entry(xas->xa_node, offset));
}

static void *__xas_next(struct xa_state *xas)
{
	unsigned int offset;

	if (!xas_frozen(xas->xa_node) && !++xas->xa_index) {
		/* Wrapped to 0: walk there from the top. */
		xas->xa_node = XAS_RESTART;
		return xas_load(xas);
	}
	if (!xas->xa_node)
		return set_bounds(xas);
	if (xas_not_node(xas->xa_node))
		return xas_load(xas);

	offset = xas->xa_offset;
	if (offset != get_offset(xas->xa_index, xas->xa_node))
		offset++;
	while (offset == XA_CHUNK_SIZE) {
		offset = xas->xa_node->offset + 1;
		xas->xa_node = xa_parent(xas->xa_node);
		if (!xas->xa_node)
			return set_bounds(xas);
	}
	xas->xa_offset = offset;
	return xas_descend_first(xas, xa_entry(xas->xa_node, offset));
}

UXA_API void *xas_prev(struct xa_state *xas)
{
	struct xa_node *node = xas->xa_node;

	if (unlikely(xas_not_node(node) || node->shift || xas->xa_offset == 0))
		return __xas_prev(xas);
	xas->xa_index--;
	xas->xa_offset--;
	return xa_entry(node, xas->xa_offset);
}

UXA_API void *xas_next(struct xa_state *xas)
{
	struct xa_node *node = xas->xa_node;

	if (unlikely(xas_not_node(node) || node->shift || xas->xa_offset == XA_CHUNK_MASK))
		return __xas_next(xas);
	xas->xa_index++;
	xas->xa_offset++;
	return xa_entry(node, xas->xa_offset);
}

UXA_API void *xas_find(struct xa_state *xas, unsigned long max)
{
	void *entry;

	if (xas_error(xas) || xas->xa_node == XAS_BOUNDS)
		return NULL;
	if (xas->xa_index > max)
		return set_bounds(xas);

	if (!xas->xa_node) {
		xas->xa_index = 1;
		return set_bounds(xas);
	} else if (xas->xa_node == XAS_RESTART) {
		entry = xas_load(xas);
		if (entry || xas_not_node(xas->xa_node))
			return entry;
	} else if (!xas->xa_node->shift &&
		   xas->xa_offset != (xas->xa_index & XA_CHUNK_MASK)) {
		/* The index was moved within the leaf: resync the offset. */
		xas->xa_offset = ((xas->xa_index - 1) & XA_CHUNK_MASK) + 1;
	}

	xas_next_offset(xas);

	while (xas->xa_node && (xas->xa_index <= max)) {
		if (unlikely(xas->xa_offset == XA_CHUNK_SIZE)) {
			xas->xa_offset = xas->xa_node->offset + 1;
			xas->xa_node = xa_parent(xas->xa_node);
			continue;
		}

		entry = xa_entry(xas->xa_node, xas->xa_offset);
		if (xa_is_node(entry)) {
			xas->xa_node = xa_to_node(entry);
			xas->xa_offset = 0;
			continue;
		}
		if (entry && !xa_is_sibling(entry))
			return entry;

		xas_next_offset(xas);
	}

	if (!xas->xa_node)
		xas->xa_node = XAS_BOUNDS;
	return NULL;
}

UXA_API void *xas_find_marked(struct xa_state *xas, unsigned long max, xa_mark_t mark)
{
	bool advance = true;
	unsigned int offset;
	void *entry;

	if (xas_error(xas) || !xa_mark_valid(mark))
		return NULL;
	/* Past the end (or paused at ULONG_MAX): as in xas_find(), no more. */
	if (xas->xa_node == XAS_BOUNDS)
		return NULL;
	if (xas->xa_index > max)
		goto max;

	if (!xas->xa_node) {
		xas->xa_index = 1;
		goto out;
	} else if (xas_top(xas->xa_node)) {
		advance = false;
		entry = xa_head(xas->xa);
		xas->xa_node = NULL;
		if (xas->xa_index > max_index(entry))
			goto out;
		if (!xa_is_node(entry)) {
			if (xa_root_marked(xas->xa, mark))
				return entry;
			xas->xa_index = 1;
			goto out;
		}
		xas->xa_node = xa_to_node(entry);
		xas->xa_offset = xas->xa_index >> xas->xa_node->shift;
	}

	while (xas->xa_index <= max) {
		struct xa_node *node = xas->xa_node;

		if (unlikely(xas->xa_offset == XA_CHUNK_SIZE)) {
			xas->xa_offset = node->offset + 1;
			xas->xa_node = xa_parent(node);
			if (!xas->xa_node)
				break;
			advance = false;
			continue;
		}

		if (!advance) {
			/* Starting inside a multi-index entry: its marks are on the canonical slot. */
			entry = xa_entry(node, xas->xa_offset);
			if (xa_is_sibling(entry)) {
				xas->xa_offset = xa_to_sibling(entry);
				xas_move_index(xas, xas->xa_offset);
			}
		}

		offset = node_find_mark(node, mark, xas->xa_offset + advance);
		if (offset > xas->xa_offset) {
			xas_move_index(xas, offset);
			/* Mind the wrap past ULONG_MAX. */
			if ((xas->xa_index - 1) >= max)
				goto max;
			xas->xa_offset = offset;
			if (offset == XA_CHUNK_SIZE)
				continue;
		}

		advance = true;
		entry = xa_entry(node, xas->xa_offset);
		if (!entry && !(xa_track_free(xas->xa) && mark == XA_FREE_MARK))
			continue;
		if (xa_is_sibling(entry))
			continue;
		if (!xa_is_node(entry))
			return entry;
		xas->xa_node = xa_to_node(entry);
		xas_set_offset(xas);
		advance = false;
	}

out:
	if (xas->xa_index > max)
		goto max;
	return set_bounds(xas);
max:
	xas->xa_node = XAS_RESTART;
	return NULL;
}

UXA_API void *xas_next_entry(struct xa_state *xas, unsigned long max)
{
	struct xa_node *node = xas->xa_node;
	void *entry;

	if (unlikely(xas_not_node(node) || node->shift ||
		     xas->xa_offset != (xas->xa_index & XA_CHUNK_MASK)))
		return xas_find(xas, max);

	do {
		if (unlikely(xas->xa_index >= max))
			return xas_find(xas, max);
		if (unlikely(xas->xa_offset == XA_CHUNK_MASK))
			return xas_find(xas, max);
		entry = xa_entry(node, xas->xa_offset + 1);
		if (unlikely(xa_is_internal(entry)))
			return xas_find(xas, max);
		xas->xa_offset++;
		xas->xa_index++;
	} while (!entry);

	return entry;
}

UXA_API void *xas_next_marked(struct xa_state *xas, unsigned long max, xa_mark_t mark)
{
	struct xa_node *node = xas->xa_node;
	unsigned int offset;
	void *entry;

	if (unlikely(xas_not_node(node) || node->shift || !xa_mark_valid(mark)))
		return xas_find_marked(xas, max, mark);
	offset = node_find_mark(node, mark, xas->xa_offset + 1);
	xas->xa_offset = offset;
	xas->xa_index = (xas->xa_index & ~XA_CHUNK_MASK) + offset;
	if (xas->xa_index > max)
		return NULL;
	if (offset == XA_CHUNK_SIZE)
		return xas_find_marked(xas, max, mark);
	entry = xa_entry(node, offset);
	if (!entry)
		return xas_find_marked(xas, max, mark);
	return entry;
}

UXA_API void *xas_find_conflict(struct xa_state *xas)
{
	void *curr;

	if (xas_error(xas))
		return NULL;
	if (!xas->xa_node)
		return NULL;

	if (xas_top(xas->xa_node)) {
		curr = xas_start(xas);
		if (!curr)
			return NULL;
		while (xa_is_node(curr))
			curr = xas_descend(xas, xa_to_node(curr));
		if (curr)
			return curr;
	}

	if (xas->xa_node->shift > xas->xa_shift)
		return NULL;

	for (;;) {
		if (xas->xa_node->shift == xas->xa_shift) {
			if ((xas->xa_offset & xas->xa_sibs) == xas->xa_sibs)
				break;
		} else if (xas->xa_offset == XA_CHUNK_MASK) {
			xas->xa_offset = xas->xa_node->offset;
			xas->xa_node = xa_parent_locked(xas->xa_node);
			if (!xas->xa_node)
				break;
			continue;
		}
		curr = xa_entry_locked(xas->xa_node, ++xas->xa_offset);
		if (xa_is_sibling(curr))
			continue;
		while (xa_is_node(curr)) {
			xas->xa_node = xa_to_node(curr);
			xas->xa_offset = 0;
			curr = xa_entry_locked(xas->xa_node, 0);
		}
		if (curr)
			return curr;
	}
	xas->xa_offset -= xas->xa_sibs;
	return NULL;
}

UXA_API int xas_get_order(struct xa_state *xas)
{
	int order = 0;

	if (!xas_is_node(xas))
		return 0;

	for (;;) {
		unsigned int slot = xas->xa_offset + (1U << order);

		if (slot >= XA_CHUNK_SIZE)
			break;
		if (!xa_is_sibling(xa_entry(xas->xa_node, slot)))
			break;
		order++;
	}
	return order + xas->xa_node->shift;
}

/* ------------------------------------------------------------------ */
/* Whole-tree operations.                                              */

UXA_API void xa_delete_node(struct xa_node *node, xa_update_node_t update)
{
	unsigned int up = node->shift + XA_CHUNK_SHIFT;
	struct xa_state xas = {
		.xa = node->array,
		.xa_index = up < XA_BITS_PER_LONG ? (unsigned long)node->offset << up : 0,
		.xa_shift = up,
		.xa_offset = node->offset,
		.xa_node = xa_parent_locked(node),
		.xa_update = update,
	};

	xas_store(&xas, NULL);
}

UXA_API void xa_destroy(struct xarray *xa)
{
	XA_STATE(xas, xa, 0);
	void *entry;

	xas.xa_node = NULL;
	/* xa_lock: the tree is unlinked and freed under it (pairs with unlock below). */
	sync_spin_lock(&xa->xa_lock);
	entry = xa_head_locked(xa);
	xa_publish_head(xa, NULL);
	xas_init_marks(&xas);
	if (xa_zero_busy(xa))
		xa_root_mark_clear(xa, XA_FREE_MARK);
	if (xa_is_node(entry))
		xas_free_nodes(&xas, xa_to_node(entry));
	xa_unlock_settle(xa);
}
