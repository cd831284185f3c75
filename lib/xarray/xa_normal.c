/* SPDX-License-Identifier: MIT */
/*
 * xa_normal.c - the XArray's normal API (xa_*) and its locked forms (__xa_*).
 *
 * Writers take xa_lock (the array's spinlock) and run the advanced API under
 * it; on -ENOMEM they allocate with the caller's gfp through __xas_nomem()
 * (dropping the lock only if that gfp may block) and retry. A failed store
 * leaves no half-built nodes behind (xas_result() trims them).
 *
 * Readers never lock: they run under the RCU read lock, which they take
 * themselves, and restart from the head when they meet XA_RETRY_ENTRY (a
 * node retired under them). xa_load() has its own inlined walk: it is the
 * hot path. So does xa_find_after() without a mark, xa_for_each()'s step: it
 * walks down like xa_load() and scans the leaf it lands in, and hands
 * everything unusual (multi-index entries, retry and zero entries, holes
 * above the leaf) to the general xas_find() search.
 */
#include "xarray/xa_internal.h"

/* ------------------------------------------------------------------ */
/* Readers.                                                            */

UXA_API bool xa_empty(const struct xarray *xa)
{
	return xa_head(xa) == NULL;
}

UXA_API bool xa_marked(const struct xarray *xa, xa_mark_t mark)
{
	return xa_mark_valid(mark) && xa_root_marked(xa, mark);
}

/*
 * The read path of xa_load(): head, then one acquire load per level.
 * A sibling leads to its canonical slot; a retry entry (or a node found
 * behind a sibling: a split in progress) restarts from the head.
 */
static inline void *xa_load_walk(const struct xarray *xa, unsigned long index)
{
	struct xa_node *node;
	unsigned int shift;
	void *entry;

restart:
	entry = xa_head(xa);
	if (!xa_is_node(entry))
		return index ? NULL : xa_zero_to_null(entry);
	node = xa_to_node(entry);
	shift = node->shift;
	if ((index >> shift) > XA_CHUNK_MASK)
		return NULL;
	/*
	 * A node's shift is set before it is published and never changes (a
	 * migrated copy keeps it), and a child's is its parent's minus
	 * XA_CHUNK_SHIFT: derive it rather than read it, which saves a
	 * dependent miss on each node's header line (xa_bench: ~30%).
	 */
	for (;;) {
		UXA_ASSERT(node->shift == shift);
		entry = xa_entry(node, (index >> shift) & XA_CHUNK_MASK);
		if (!xa_is_node(entry))
			break;
		node = xa_to_node(entry);
		shift -= XA_CHUNK_SHIFT;
	}
	if (likely(!xa_is_internal(entry)))
		return entry;
	if (xa_is_sibling(entry)) {
		entry = xa_entry(node, xa_to_sibling(entry));
		if (!xa_is_internal(entry))
			return entry;
	}
	if (xa_is_zero(entry))
		return NULL;
	goto restart;
}

UXA_API void *xa_load(struct xarray *xa, unsigned long index)
{
	void *entry;

	sync_rcu_read_lock();
	entry = xa_load_walk(xa, index);
	sync_rcu_read_unlock();
	return entry;
}

UXA_API bool xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	XA_STATE(xas, xa, index);
	bool marked;

	if (!xa_mark_valid(mark))
		return false;
	sync_rcu_read_lock();
	while (xa_is_retry(xas_load(&xas)))
		xas_reset(&xas);
	marked = xas_get_mark(&xas, mark);
	sync_rcu_read_unlock();
	return marked;
}

UXA_API int xa_get_order(struct xarray *xa, unsigned long index)
{
	XA_STATE(xas, xa, index);
	void *entry;
	int order = 0;

	sync_rcu_read_lock();
	do {
		xas_reset(&xas);
		entry = xas_load(&xas);
	} while (xa_is_retry(entry));
	if (entry)
		order = xas_get_order(&xas);
	sync_rcu_read_unlock();
	return order;
}

static void *xas_find_filtered(struct xa_state *xas, unsigned long max, xa_mark_t filter)
{
	if (filter < XA_MAX_MARKS)
		return xas_find_marked(xas, max, filter);
	return xas_find(xas, max);
}

UXA_API void *xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
		      xa_mark_t filter)
{
	XA_STATE(xas, xa, *indexp);
	void *entry;

	sync_rcu_read_lock();
	do {
		entry = xas_find_filtered(&xas, max, filter);
	} while (xas_retry(&xas, entry));
	sync_rcu_read_unlock();

	if (entry)
		*indexp = xas.xa_index;
	return entry;
}

/* Is the state on a sibling slot of an entry that began before xa_index? */
static bool xas_sibling(const struct xa_state *xas)
{
	const struct xa_node *node = xas->xa_node;
	unsigned long mask;

	if (xas_not_node((struct xa_node *)node))
		return false;
	mask = (XA_CHUNK_SIZE << node->shift) - 1;
	return (xas->xa_index & mask) > ((unsigned long)xas->xa_offset << node->shift);
}

/*
 * The general search for xa_find_after(): the first entry after @after, at
 * or after @start (> @after), that matches @filter. RCU read lock held.
 */
static void *xa_find_after_walk(struct xarray *xa, unsigned long start, unsigned long after,
				unsigned long max, xa_mark_t filter, unsigned long *indexp)
{
	XA_STATE(xas, xa, start);
	void *entry;

	for (;;) {
		entry = xas_find_filtered(&xas, max, filter);
		if (xas_invalid(&xas))
			break;
		/* A marked search moves back to the first index of the entry. */
		if (xas_sibling(&xas) || xas.xa_index <= after)
			continue;
		if (!xas_retry(&xas, entry))
			break;
	}
	if (entry)
		*indexp = xas.xa_index;
	return entry;
}

/*
 * xa_for_each()'s step, the common case: any present entry in
 * (@after, @max], found in the leaf that holds @after + 1. Walks down as
 * xa_load_walk() does (shifts derived from the top node's) and scans that
 * leaf from there. Anything else -- a head that is no node, a hole or a
 * multi-index entry on the way down, an internal entry in the leaf (a
 * sibling, a retry or a zero entry), the leaf's end -- goes to the general
 * search, from the leaf's next index when the leaf held nothing more.
 * RCU read lock held.
 */
static void *xa_find_after_present(struct xarray *xa, unsigned long after, unsigned long max,
				   unsigned long *indexp)
{
	unsigned long index = after + 1, base, last;
	struct xa_node *node;
	unsigned int shift, offset, end;
	void *entry;

	entry = xa_head(xa);
	if (unlikely(!xa_is_node(entry)))
		goto walk;
	node = xa_to_node(entry);
	shift = node->shift;
	if ((index >> shift) > XA_CHUNK_MASK)
		return NULL;	/* beyond the tree: nothing after @after */
	while (shift) {
		UXA_ASSERT(node->shift == shift);
		entry = xa_entry(node, (index >> shift) & XA_CHUNK_MASK);
		if (unlikely(!xa_is_node(entry)))
			goto walk;
		node = xa_to_node(entry);
		shift -= XA_CHUNK_SHIFT;
	}
	UXA_ASSERT(node->shift == 0);

	base = index & ~XA_CHUNK_MASK;
	last = max - base;	/* the last offset worth a look */
	end = last < XA_CHUNK_MASK ? (unsigned int)last : XA_CHUNK_MASK;
	for (offset = index & XA_CHUNK_MASK; offset <= end; offset++) {
		entry = xa_entry(node, offset);
		if (!entry)
			continue;
		if (unlikely(xa_is_internal(entry)))
			goto walk;
		*indexp = base + offset;
		return entry;
	}
	/* Nothing more in this leaf: search on from the next one (if any). */
	if (end < XA_CHUNK_MASK || base + XA_CHUNK_SIZE == 0)
		return NULL;
	index = base + XA_CHUNK_SIZE;
walk:
	return xa_find_after_walk(xa, index, after, max, XA_PRESENT, indexp);
}

UXA_API void *xa_find_after(struct xarray *xa, unsigned long *indexp, unsigned long max,
			    xa_mark_t filter)
{
	unsigned long after = *indexp;
	void *entry;

	if (after >= max)
		return NULL;

	sync_rcu_read_lock();
	if (filter < XA_MAX_MARKS)
		entry = xa_find_after_walk(xa, after + 1, after, max, filter, indexp);
	else
		entry = xa_find_after_present(xa, after, max, indexp);
	sync_rcu_read_unlock();
	return entry;
}

UXA_API unsigned int xa_extract(struct xarray *xa, void **dst, unsigned long start,
				unsigned long max, unsigned int n, xa_mark_t filter)
{
	XA_STATE(xas, xa, start);
	unsigned int i = 0;
	void *entry;

	if (!n)
		return 0;
	sync_rcu_read_lock();
	if (filter < XA_MAX_MARKS) {
		xas_for_each_marked(&xas, entry, max, filter) {
			if (xas_retry(&xas, entry))
				continue;
			dst[i++] = entry;
			if (i == n)
				break;
		}
	} else {
		xas_for_each(&xas, entry, max) {
			if (xas_retry(&xas, entry))
				continue;
			dst[i++] = entry;
			if (i == n)
				break;
		}
	}
	sync_rcu_read_unlock();
	return i;
}

/* ------------------------------------------------------------------ */
/* Locked writers (xa_lock held).                                      */

static bool xa_refuse_entry(const char *func, const void *entry)
{
	if (likely(!xa_entry_invalid(entry)))
		return false;
#if UXA_DEBUG
	uxa_report("%s: internal entry %p cannot be stored; -EINVAL", func, entry);
#else
	(void)func;
#endif
	return true;
}

UXA_API void *__xa_erase(struct xarray *xa, unsigned long index)
{
	XA_STATE(xas, xa, index);

	return xas_result(&xas, xa_zero_to_null(xas_store(&xas, NULL)));
}

UXA_API void *__xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	XA_STATE(xas, xa, index);
	void *curr;

	if (xa_refuse_entry(__func__, entry))
		return XA_ERROR(-EINVAL);
	if (xa_track_free(xa) && !entry)
		entry = XA_ZERO_ENTRY;

	do {
		curr = xas_store(&xas, entry);
		if (xa_track_free(xa))
			xas_clear_mark(&xas, XA_FREE_MARK);
	} while (__xas_nomem(&xas, gfp));

	return xas_result(&xas, xa_zero_to_null(curr));
}

UXA_API void *__xa_cmpxchg(struct xarray *xa, unsigned long index, void *old, void *entry,
			   gfp_t gfp)
{
	XA_STATE(xas, xa, index);
	void *curr;

	if (xa_refuse_entry(__func__, entry))
		return XA_ERROR(-EINVAL);

	do {
		curr = xas_load(&xas);
		if (curr == old) {
			xas_store(&xas, entry);
			if (xa_track_free(xa) && entry && !curr)
				xas_clear_mark(&xas, XA_FREE_MARK);
		}
	} while (__xas_nomem(&xas, gfp));

	return xas_result(&xas, xa_zero_to_null(curr));
}

UXA_API int __xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	XA_STATE(xas, xa, index);
	void *curr;

	if (xa_refuse_entry(__func__, entry))
		return -EINVAL;
	if (!entry)
		entry = XA_ZERO_ENTRY;

	do {
		curr = xas_load(&xas);
		if (!curr) {
			xas_store(&xas, entry);
			if (xa_track_free(xa))
				xas_clear_mark(&xas, XA_FREE_MARK);
		} else {
			xas_set_err(&xas, -EBUSY);
		}
	} while (__xas_nomem(&xas, gfp));

	return xa_err(xas_result(&xas, NULL));
}

UXA_API int __xa_alloc(struct xarray *xa, uint32_t *id, void *entry, struct xa_limit limit,
		       gfp_t gfp)
{
	XA_STATE(xas, xa, 0);
	int err;

	if (xa_refuse_entry(__func__, entry))
		return -EINVAL;
	if (!id) {
		uxa_report("xa_alloc: NULL id pointer; -EINVAL");
		return -EINVAL;
	}
	if (!xa_track_free(xa)) {
#if UXA_DEBUG
		uxa_report("xa_alloc: array %p was not created with XA_FLAGS_ALLOC; -EINVAL",
			   (void *)xa);
#endif
		return -EINVAL;
	}
	if (!entry)
		entry = XA_ZERO_ENTRY;
	/* Index 0 may have been stored and erased by hand: still never hand it out. */
	if (xa_zero_busy(xa) && limit.min == 0)
		limit.min = 1;

	do {
		xas.xa_index = limit.min;
		xas_find_marked(&xas, limit.max, XA_FREE_MARK);
		if (xas.xa_node == XAS_RESTART)
			xas_set_err(&xas, -EBUSY);
		xas_store(&xas, entry);
		xas_clear_mark(&xas, XA_FREE_MARK);
	} while (__xas_nomem(&xas, gfp));

	err = xa_err(xas_result(&xas, NULL));
	/* Unlike the kernel, @id is written only on success (as documented). */
	if (!err)
		*id = (uint32_t)xas.xa_index;
	return err;
}

UXA_API int __xa_alloc_cyclic(struct xarray *xa, uint32_t *id, void *entry,
			      struct xa_limit limit, uint32_t *next, gfp_t gfp)
{
	uint32_t min = limit.min;
	int ret;

	if (!next) {
		uxa_report("xa_alloc_cyclic: NULL next pointer; -EINVAL");
		return -EINVAL;
	}
	limit.min = min > *next ? min : *next;
	ret = __xa_alloc(xa, id, entry, limit, gfp);
	if ((xa_flags_get(xa) & XA_FLAGS_ALLOC_WRAPPED) && ret == 0) {
		xa_flags_put(xa, xa_flags_get(xa) & ~XA_FLAGS_ALLOC_WRAPPED);
		ret = 1;
	}

	if (ret < 0 && limit.min > min) {
		limit.min = min;
		ret = __xa_alloc(xa, id, entry, limit, gfp);
		if (ret == 0)
			ret = 1;
	}

	if (ret >= 0) {
		*next = *id + 1;
		if (*next == 0)
			xa_flags_put(xa, xa_flags_get(xa) | XA_FLAGS_ALLOC_WRAPPED);
	}
	return ret;
}

UXA_API void __xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	XA_STATE(xas, xa, index);

	if (!xa_mark_valid(mark)) {
		xa_report_bad_mark(__func__, mark);
		return;
	}
	if (xas_load(&xas))
		xas_set_mark(&xas, mark);
}

UXA_API void __xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	XA_STATE(xas, xa, index);

	if (!xa_mark_valid(mark)) {
		xa_report_bad_mark(__func__, mark);
		return;
	}
	if (xas_load(&xas))
		xas_clear_mark(&xas, mark);
}

/* ------------------------------------------------------------------ */
/* Self-locking writers. xa_lock: taken here, released before return.  */

UXA_API void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	void *curr;

	sync_spin_lock(&xa->xa_lock);
	curr = __xa_store(xa, index, entry, gfp);
	xa_unlock_settle(xa);
	return curr;
}

UXA_API void *xa_erase(struct xarray *xa, unsigned long index)
{
	void *entry;

	sync_spin_lock(&xa->xa_lock);
	entry = __xa_erase(xa, index);
	xa_unlock_settle(xa);
	return entry;
}

UXA_API void *xa_cmpxchg(struct xarray *xa, unsigned long index, void *old, void *entry,
			 gfp_t gfp)
{
	void *curr;

	sync_spin_lock(&xa->xa_lock);
	curr = __xa_cmpxchg(xa, index, old, entry, gfp);
	xa_unlock_settle(xa);
	return curr;
}

UXA_API int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	int err;

	sync_spin_lock(&xa->xa_lock);
	err = __xa_insert(xa, index, entry, gfp);
	xa_unlock_settle(xa);
	return err;
}

UXA_API int xa_alloc(struct xarray *xa, uint32_t *id, void *entry, struct xa_limit limit,
		     gfp_t gfp)
{
	int err;

	sync_spin_lock(&xa->xa_lock);
	err = __xa_alloc(xa, id, entry, limit, gfp);
	xa_unlock_settle(xa);
	return err;
}

UXA_API int xa_alloc_cyclic(struct xarray *xa, uint32_t *id, void *entry,
			    struct xa_limit limit, uint32_t *next, gfp_t gfp)
{
	int err;

	sync_spin_lock(&xa->xa_lock);
	err = __xa_alloc_cyclic(xa, id, entry, limit, next, gfp);
	xa_unlock_settle(xa);
	return err;
}

UXA_API void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	sync_spin_lock(&xa->xa_lock);
	__xa_set_mark(xa, index, mark);
	xa_unlock_settle(xa);
}

UXA_API void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	sync_spin_lock(&xa->xa_lock);
	__xa_clear_mark(xa, index, mark);
	xa_unlock_settle(xa);
}

/*
 * Set xas to the largest naturally aligned block at @first that fits in
 * [@first, @last] at a node level, plus as many further slots of that
 * level as fit in the same node and the range (as the kernel does).
 */
static void xas_set_range(struct xa_state *xas, unsigned long first, unsigned long last)
{
	unsigned long span = last - first;	/* indices in the range, minus one */
	unsigned int shift = 0;
	unsigned long slots, room;

	xas_set(xas, first);
	while (shift + XA_CHUNK_SHIFT < XA_BITS_PER_LONG) {
		unsigned long size = 1UL << (shift + XA_CHUNK_SHIFT);

		if ((first & (size - 1)) || span < size - 1)
			break;
		shift += XA_CHUNK_SHIFT;
	}
	/* Whole slots of 2^shift indices in the range: floor((span + 1) >> shift). */
	slots = span >> shift;
	if ((span & ((1UL << shift) - 1)) == (1UL << shift) - 1)
		slots++;
	room = XA_CHUNK_SIZE - ((first >> shift) & XA_CHUNK_MASK);
	if (slots > room)
		slots = room;
	xas->xa_shift = shift;
	xas->xa_sibs = slots - 1;
}

/* The first and last index of the entry at @index (itself if empty). xa_lock held. */
static void xa_entry_extent(struct xarray *xa, unsigned long index, unsigned long *startp,
			    unsigned long *endp)
{
	XA_STATE(xas, xa, index);
	const struct xa_node *node;
	unsigned int shift, canon, next;
	unsigned long start;

	*startp = index;
	*endp = index;
	if (!xas_load(&xas) || xas_not_node(xas.xa_node))
		return;
	node = xas.xa_node;
	shift = node->shift;
	canon = xas.xa_offset;
	next = canon + 1;
	while (next < XA_CHUNK_SIZE && xa_entry_locked(node, next) == xa_mk_sibling(canon))
		next++;
	/* (XA_CHUNK_SIZE << shift is 0 for the top level of a full-height tree.) */
	start = index & ~((XA_CHUNK_SIZE << shift) - 1);
	start += (unsigned long)canon << shift;
	*startp = start;
	*endp = start + ((unsigned long)(next - canon) << shift) - 1;
}

/*
 * A multi-index entry straddling @first or @last is replaced (or erased)
 * as a whole, as a store into any index of it would: widen the range to
 * cover it, so that no part of it is left naming a slot that changed.
 */
static void xa_range_widen(struct xarray *xa, unsigned long *first, unsigned long *last)
{
	unsigned long start, end;

	xa_entry_extent(xa, *first, &start, &end);
	if (start < *first)
		*first = start;
	xa_entry_extent(xa, *last, &start, &end);
	if (end > *last)
		*last = end;
}

UXA_API void *xa_store_range(struct xarray *xa, unsigned long first, unsigned long last,
			     void *entry, gfp_t gfp)
{
	XA_STATE(xas, xa, 0);

	if (xa_entry_invalid(entry) || xa_is_zero(entry) || last < first) {
#if UXA_DEBUG
		uxa_report("xa_store_range: invalid entry %p or range [%lu, %lu]; -EINVAL",
			   entry, first, last);
#endif
		return XA_ERROR(-EINVAL);
	}

	/* xa_lock: taken here, dropped only inside __xas_nomem(), released below. */
	sync_spin_lock(&xa->xa_lock);
	do {
		xa_range_widen(xa, &first, &last);
		for (;;) {
			unsigned long end;

			xas_set_range(&xas, first, last);
			xas_store(&xas, entry);
			if (xas_error(&xas))
				break;
			/* In an allocating array the stored indices are busy. */
			if (entry && xa_track_free(xa))
				xas_clear_mark(&xas, XA_FREE_MARK);
			end = first + ((xas.xa_sibs + 1UL) << xas.xa_shift) - 1;
			if (end >= last)
				break;
			first = end + 1;
		}
	} while (__xas_nomem(&xas, gfp));
	entry = xas_result(&xas, NULL);
	xa_unlock_settle(xa);
	return entry;
}
