/* SPDX-License-Identifier: MIT */
/*
 * xa_internal.h - what the XArray's source files share: RCU-aware accessors
 * for heads, slots and parents, mark bitmaps, flag helpers, and the
 * internal entry points of the core used by the normal API.
 *
 * Memory ordering, named once here: every store that makes an entry, a
 * node or a parent link visible (xa_publish_*) is sync_rcu_assign_pointer()
 * (release); every lock-free read (xa_head(), xa_entry(), xa_parent()) is
 * sync_rcu_dereference() (acquire) and pairs with it. Writers, which hold
 * xa_lock, read with sync_rcu_dereference_protected() (the *_locked forms).
 * Mark words and xa_flags are written only under xa_lock and read by
 * lock-free readers, so both sides use relaxed atomics: marks are hints a
 * reader re-validates against the slot it then loads with acquire.
 */
#ifndef UXA_XA_INTERNAL_H
#define UXA_XA_INTERNAL_H

#include <uxa/slab.h>
#include <uxa/xarray.h>

#include "debug.h"
#include "mobility/mobility.h"
#include "sync/sync.h"

/* ------------------------------------------------------------------ */
/* Accessors.                                                          */

static inline void *xa_head(const struct xarray *xa)
{
	return sync_rcu_dereference(((struct xarray *)xa)->xa_head);
}

static inline void *xa_head_locked(const struct xarray *xa)
{
	return sync_rcu_dereference_protected(((struct xarray *)xa)->xa_head);
}

static inline void *xa_entry(const struct xa_node *node, unsigned int offset)
{
	return sync_rcu_dereference(((struct xa_node *)node)->slots[offset]);
}

static inline void *xa_entry_locked(const struct xa_node *node, unsigned int offset)
{
	return sync_rcu_dereference_protected(((struct xa_node *)node)->slots[offset]);
}

static inline struct xa_node *xa_parent(const struct xa_node *node)
{
	return sync_rcu_dereference(((struct xa_node *)node)->parent);
}

static inline struct xa_node *xa_parent_locked(const struct xa_node *node)
{
	return sync_rcu_dereference_protected(((struct xa_node *)node)->parent);
}

static inline void xa_publish_head(struct xarray *xa, void *entry)
{
	sync_rcu_assign_pointer(xa->xa_head, entry);
}

static inline void xa_publish_slot(struct xa_node *node, unsigned int offset, void *entry)
{
	sync_rcu_assign_pointer(node->slots[offset], entry);
}

static inline void xa_publish_parent(struct xa_node *node, struct xa_node *parent)
{
	sync_rcu_assign_pointer(node->parent, parent);
}

/* node->array changes state (see uxa/xarray.h); a lock-free observer (the
 * node migrator's can_free) reads it with sync_load_acquire(). */
static inline void xa_node_set_array(struct xa_node *node, struct xarray *xa)
{
	sync_store_release(&node->array, xa);
}

/* ------------------------------------------------------------------ */
/* Array flags (root marks live there).                                */

static inline gfp_t xa_flags_get(const struct xarray *xa)
{
	return sync_load_relaxed(&xa->xa_flags);
}

static inline void xa_flags_put(struct xarray *xa, gfp_t flags)
{
	sync_store_relaxed(&xa->xa_flags, flags);
}

static inline bool xa_track_free(const struct xarray *xa)
{
	return xa_flags_get(xa) & XA_FLAGS_TRACK_FREE;
}

static inline bool xa_zero_busy(const struct xarray *xa)
{
	return xa_flags_get(xa) & XA_FLAGS_ZERO_BUSY;
}

static inline bool xa_root_marked(const struct xarray *xa, xa_mark_t mark)
{
	return xa_flags_get(xa) & XA_FLAGS_MARK(mark);
}

static inline void xa_root_mark_set(struct xarray *xa, xa_mark_t mark)
{
	gfp_t flags = xa_flags_get(xa);

	if (!(flags & XA_FLAGS_MARK(mark)))
		xa_flags_put(xa, flags | XA_FLAGS_MARK(mark));
}

static inline void xa_root_mark_clear(struct xarray *xa, xa_mark_t mark)
{
	gfp_t flags = xa_flags_get(xa);

	if (flags & XA_FLAGS_MARK(mark))
		xa_flags_put(xa, flags & ~XA_FLAGS_MARK(mark));
}

/* ------------------------------------------------------------------ */
/* Node mark bitmaps.                                                  */

#define XA_MARK_WORD(off)	((off) / XA_BITS_PER_LONG)
#define XA_MARK_BIT(off)	(1UL << ((off) % XA_BITS_PER_LONG))

static inline unsigned long *xa_mark_word(const struct xa_node *node, xa_mark_t mark,
					  unsigned int offset)
{
	return (unsigned long *)&node->marks[mark][XA_MARK_WORD(offset)];
}

static inline bool node_get_mark(const struct xa_node *node, unsigned int offset,
				 xa_mark_t mark)
{
	return sync_load_relaxed(xa_mark_word(node, mark, offset)) & XA_MARK_BIT(offset);
}

/* Returns whether the bit was already set. Writers only (xa_lock). */
static inline bool node_set_mark(struct xa_node *node, unsigned int offset, xa_mark_t mark)
{
	unsigned long *word = xa_mark_word(node, mark, offset);
	unsigned long old = sync_load_relaxed(word);

	if (old & XA_MARK_BIT(offset))
		return true;
	sync_store_relaxed(word, old | XA_MARK_BIT(offset));
	return false;
}

/* Returns whether the bit was set. Writers only (xa_lock). */
static inline bool node_clear_mark(struct xa_node *node, unsigned int offset, xa_mark_t mark)
{
	unsigned long *word = xa_mark_word(node, mark, offset);
	unsigned long old = sync_load_relaxed(word);

	if (!(old & XA_MARK_BIT(offset)))
		return false;
	sync_store_relaxed(word, old & ~XA_MARK_BIT(offset));
	return true;
}

static inline bool node_any_mark(const struct xa_node *node, xa_mark_t mark)
{
	for (unsigned int i = 0; i < XA_MARK_LONGS; i++)
		if (sync_load_relaxed(&node->marks[mark][i]))
			return true;
	return false;
}

/* Set the mark on every slot (bits beyond XA_CHUNK_SIZE stay clear). */
static inline void node_mark_all(struct xa_node *node, xa_mark_t mark)
{
	for (unsigned int i = 0; i < XA_MARK_LONGS; i++) {
		unsigned long bits = ~0UL;
		unsigned long left = XA_CHUNK_SIZE - i * XA_BITS_PER_LONG;

		if (left < XA_BITS_PER_LONG)
			bits = (1UL << left) - 1;
		sync_store_relaxed(&node->marks[mark][i], bits);
	}
}

/* Lowest marked slot at or after @start, or XA_CHUNK_SIZE. */
static inline unsigned int node_find_mark(const struct xa_node *node, xa_mark_t mark,
					  unsigned int start)
{
	while (start < XA_CHUNK_SIZE) {
		unsigned int word = XA_MARK_WORD(start);
		unsigned long bits = sync_load_relaxed(&node->marks[mark][word]);

		bits &= ~0UL << (start % XA_BITS_PER_LONG);
		if (bits) {
			unsigned int found = word * XA_BITS_PER_LONG + __builtin_ctzl(bits);

			return found < XA_CHUNK_SIZE ? found : XA_CHUNK_SIZE;
		}
		start = (word + 1) * XA_BITS_PER_LONG;
	}
	return XA_CHUNK_SIZE;
}

static inline bool xa_mark_valid(xa_mark_t mark)
{
	return mark < XA_MAX_MARKS;
}

/* Reports a bad mark number in debug builds; the caller ignores it. */
static inline void xa_report_bad_mark(const char *func, xa_mark_t mark)
{
#if UXA_DEBUG
	uxa_report("%s: invalid mark %u (must be < %d); ignored", func, mark, XA_MAX_MARKS);
#else
	(void)func;
	(void)mark;
#endif
}

/* The normal API stores user entries and XA_ZERO_ENTRY, never internal ones. */
static inline bool xa_entry_invalid(const void *entry)
{
	return xa_is_internal(entry) && !xa_is_zero(entry);
}

static inline void *xa_zero_to_null(void *entry)
{
	return xa_is_zero(entry) ? NULL : entry;
}

/* ------------------------------------------------------------------ */
/* Core entry points shared with xa_normal.c, xa_check.c and lib/mobility. */

/* Unlink-time retirement of a node that was in the tree (xa_lock held):
 * node->array becomes XA_RCU_FREE and the node is freed after a grace
 * period. The node migrator retires its victims through it. */
SYNC_HIDDEN void xa_node_retire(struct xa_node *node);

/* xas_nomem() for callers holding xa_lock: drops and retakes it around
 * the allocation when @gfp may block (__GFP_DIRECT_RECLAIM). */
SYNC_HIDDEN bool __xas_nomem(struct xa_state *xas, gfp_t gfp);

/* After a failed store: free nodes the attempt created but left empty and
 * shrink the top, so a failed operation leaves the tree as it found it. */
SYNC_HIDDEN void xas_trim(struct xa_state *xas);

/* The result of a locked operation: @curr, or the error in @xas. */
static inline void *xas_result(struct xa_state *xas, void *curr)
{
	struct xa_node *err = xas->xa_node;

	if (!xas_error(xas))
		return curr;
	if (err == XA_ERROR(-ENOMEM))
		xas_trim(xas);
	return err;
}

#endif /* UXA_XA_INTERNAL_H */
