/* SPDX-License-Identifier: MIT */
/*
 * uxa/xarray.h - the XArray: an RCU-safe, self-locking array of pointers
 * indexed by unsigned long, with the Linux kernel's API and semantics.
 *
 * TIERS
 *
 *  1. Normal API (xa_*): each call takes what it needs itself. Writers
 *     (xa_store, xa_erase, xa_cmpxchg, xa_insert, xa_alloc, xa_set_mark, ...)
 *     take the array's own spinlock (xa_lock) and may drop and retake it to
 *     allocate a node with the caller's gfp if that gfp may block. Readers
 *     (xa_load, xa_find, xa_find_after, xa_for_each*, xa_get_mark,
 *     xa_extract) take no lock: they run under the RCU read lock, which they
 *     take themselves, and retry when they meet a node being torn down.
 *     The _bh/_irq forms are aliases of the plain ones (userspace has no
 *     interrupts); XA_FLAGS_LOCK_IRQ/_BH are accepted and change nothing.
 *
 *  2. Locked API (__xa_*): the same operations for callers already holding
 *     xa_lock (xa_lock()/xa_unlock()), so that several steps are atomic
 *     with respect to other writers. They may drop and retake xa_lock
 *     around an allocation when gfp allows blocking (GFP_KERNEL); with
 *     GFP_NOWAIT / GFP_ATOMIC they never drop it.
 *
 *  3. Advanced API (xas_*): an operation state (struct xa_state, on the
 *     caller's stack) walks the tree. Write operations (xas_store,
 *     xas_set_mark, xas_create_range, xas_split, ...) require xa_lock;
 *     read operations (xas_load, xas_find*, xas_next*, xas_prev) require
 *     either xa_lock or the RCU read lock (uxa_rcu_read_lock(), see
 *     uxa/rcu.h). Allocation while holding the lock is GFP_NOWAIT; when it
 *     fails the state holds -ENOMEM, and the caller unlocks, calls
 *     xas_nomem() (which allocates one node with a gfp that may block) and
 *     retries:
 *
 *	XA_STATE(xas, &array, index);
 *	do {
 *		xas_lock(&xas);
 *		xas_store(&xas, item);
 *		xas_unlock(&xas);
 *	} while (xas_nomem(&xas, GFP_KERNEL));
 *
 *     An xa_state never survives a lock drop with its node pointer: call
 *     xas_pause() (iteration) or xas_reset() before unlocking.
 *
 * GFP AND MOVING NODES
 *
 *  A gfp that may block (GFP_KERNEL) may compact memory: it moves nodes of
 *  any array, taking their locks (by trylock) and waiting for an RCU grace
 *  period. So, as in the kernel, pass GFP_KERNEL only holding no other
 *  array's xa_lock and outside RCU read-side sections (there compaction is
 *  skipped, never deadlocked: the allocation just does not compact). Nodes
 *  move under live readers and writers (xa_defrag_nodes(), page
 *  compaction): readers inside a moved node finish on the old copy, which
 *  is freed after a grace period; writers only ever see a whole tree.
 *
 * ENTRY ENCODING (the two low bits of each slot, as in the kernel)
 *
 *	00  a pointer (4-byte aligned), NULL = empty
 *	x1  a value entry (xa_mk_value(): an integer of up to LONG_BITS-1 bits)
 *	10  an internal entry, never returned to normal-API users:
 *	    0..62      sibling entries (the slot belongs to the multi-index
 *	               entry stored in slot N of the same node)
 *	    256        XA_RETRY_ENTRY (the node is being freed; readers restart)
 *	    257        XA_ZERO_ENTRY (reserved slot; reads as NULL)
 *	    > 4096     a pointer to a child node (struct xa_node | 2)
 *	    -4095..-1  errno values (XA_ERROR()), only as return values
 *
 * The normal API refuses to store internal entries other than
 * XA_ZERO_ENTRY: xa_store()/xa_cmpxchg() return XA_ERROR(-EINVAL) and
 * xa_insert()/xa_alloc*() return -EINVAL, changing nothing.
 *
 * NODE STATES (struct xa_node::array)
 *
 *	NULL          allocated but not in a tree (xa_state preallocation)
 *	the xarray    part of that array's tree (all links valid under xa_lock)
 *	XA_RCU_FREE   unlinked, waiting for an RCU grace period before it goes
 *	              back to the "xa_node" slab cache (see xa_node_cache())
 *
 * Nodes come only from the "xa_node" slab cache, are published with a
 * release store and freed after a grace period. Because every change to
 * the tree happens under xa_lock and no node pointer is kept anywhere
 * except in the tree and in xa_state (which never survives a lock drop),
 * a holder of xa_lock may replace a node by a copy: copy it, repoint its
 * children's parent and its parent's slot (or xa_head), then retire the
 * old node like any freed node.
 *
 * XA_CHUNK_SHIFT (log2 of slots per node) comes from the build
 * (-DXA_CHUNK_SHIFT=n, 2..6) and defaults to 6; every translation unit
 * using struct xa_node must agree on it.
 */
#ifndef UXA_XARRAY_H
#define UXA_XARRAY_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uxa/common.h>
#include <uxa/rcu.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kmem_cache;
struct xa_node;
struct list_lru;	/* accepted in struct xa_state for source compatibility */

/* Geometry: XA_CHUNK_SHIFT comes from the build; see the top of this file. */
#ifndef XA_CHUNK_SHIFT
#define XA_CHUNK_SHIFT		6
#endif
#if XA_CHUNK_SHIFT < 2 || XA_CHUNK_SHIFT > 6
#error "XA_CHUNK_SHIFT must be between 2 and 6"
#endif
#define XA_CHUNK_SIZE		(1UL << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK		(XA_CHUNK_SIZE - 1)
#define XA_MAX_MARKS		3
#define XA_BITS_PER_LONG	(sizeof(unsigned long) * CHAR_BIT)
#define XA_MARK_LONGS		((XA_CHUNK_SIZE + XA_BITS_PER_LONG - 1) / XA_BITS_PER_LONG)

/* ------------------------------------------------------------------ */
/* Entries.                                                            */

#define BITS_PER_XA_VALUE	(sizeof(unsigned long) * CHAR_BIT - 1)

/**
 * xa_mk_value() - create an XArray entry from an integer.
 * @v: value to store, at most LONG_MAX.
 *
 * Context: Any context.
 * Return: an entry suitable for storing in the XArray.
 */
static inline void *xa_mk_value(unsigned long v)
{
	return (void *)((v << 1) | 1);
}

/**
 * xa_to_value() - get the integer stored in a value entry.
 * @entry: a value entry.
 *
 * Context: Any context.
 * Return: the value stored in the XArray entry.
 */
static inline unsigned long xa_to_value(const void *entry)
{
	return (unsigned long)entry >> 1;
}

/**
 * xa_is_value() - is the entry a value?
 * @entry: XArray entry.
 *
 * Context: Any context.
 * Return: true if the entry is a value, false if it is a pointer.
 */
static inline bool xa_is_value(const void *entry)
{
	return (unsigned long)entry & 1;
}

/**
 * xa_tag_pointer() - create an XArray entry for a tagged pointer.
 * @p: plain pointer (4-byte aligned).
 * @tag: tag value (0, 1 or 3).
 *
 * Context: Any context.
 * Return: an XArray entry.
 */
static inline void *xa_tag_pointer(void *p, unsigned long tag)
{
	return (void *)((unsigned long)p | tag);
}

/**
 * xa_untag_pointer() - turn an XArray entry into a plain pointer.
 * @entry: XArray entry.
 *
 * Context: Any context.
 * Return: the pointer without its tag.
 */
static inline void *xa_untag_pointer(void *entry)
{
	return (void *)((unsigned long)entry & ~3UL);
}

/**
 * xa_pointer_tag() - get the tag stored in an XArray entry.
 * @entry: XArray entry.
 *
 * Context: Any context.
 * Return: the tag (two low bits) of the entry.
 */
static inline unsigned int xa_pointer_tag(void *entry)
{
	return (unsigned long)entry & 3UL;
}

/**
 * xa_mk_internal() - create an internal entry.
 * @v: value to turn into an internal entry.
 *
 * Internal entries are used by the XArray itself; users of the normal API
 * never see them.
 *
 * Context: Any context.
 * Return: an internal entry.
 */
static inline void *xa_mk_internal(unsigned long v)
{
	return (void *)((v << 2) | 2);
}

/**
 * xa_to_internal() - extract the value from an internal entry.
 * @entry: an internal entry.
 *
 * Context: Any context.
 * Return: the value which was stored in the internal entry.
 */
static inline unsigned long xa_to_internal(const void *entry)
{
	return (unsigned long)entry >> 2;
}

/**
 * xa_is_internal() - is the entry an internal entry?
 * @entry: XArray entry.
 *
 * Context: Any context.
 * Return: true if @entry is an internal entry.
 */
static inline bool xa_is_internal(const void *entry)
{
	return ((unsigned long)entry & 3) == 2;
}

/* A reserved slot: reads as NULL, but the index is in use. */
#define XA_ZERO_ENTRY		xa_mk_internal(257)
/* Readers that meet this restart their walk from the head. */
#define XA_RETRY_ENTRY		xa_mk_internal(256)

/**
 * xa_is_zero() - is the entry a zero (reserved) entry?
 * @entry: entry retrieved through the advanced API.
 *
 * Context: Any context.
 * Return: true if @entry is XA_ZERO_ENTRY.
 */
static inline bool xa_is_zero(const void *entry)
{
	return __builtin_expect(entry == XA_ZERO_ENTRY, 0);
}

#define XA_MAX_ERRNO	4095

/**
 * xa_is_err() - report whether an XArray operation returned an error.
 * @entry: result of an XArray function.
 *
 * Context: Any context.
 * Return: true if @entry encodes an errno.
 */
static inline bool xa_is_err(const void *entry)
{
	return __builtin_expect(xa_is_internal(entry) &&
				entry >= xa_mk_internal(-XA_MAX_ERRNO), 0);
}

/**
 * xa_err() - turn an XArray result into an errno.
 * @entry: result of an XArray function.
 *
 * Context: Any context.
 * Return: a negative errno if @entry encodes one, otherwise 0 (success,
 * whatever the entry).
 */
static inline int xa_err(void *entry)
{
	if (xa_is_err(entry))
		return (int)((long)entry >> 2);
	return 0;
}

/**
 * xa_is_retry() - is the entry a retry entry?
 * @entry: entry retrieved through the advanced API.
 *
 * Context: Any context.
 * Return: true if @entry is XA_RETRY_ENTRY.
 */
static inline bool xa_is_retry(const void *entry)
{
	return __builtin_expect(entry == XA_RETRY_ENTRY, 0);
}

/**
 * xa_is_advanced() - is the entry only permitted through the advanced API?
 * @entry: entry to be stored.
 *
 * Context: Any context.
 * Return: true for sibling and retry entries (the kernel's definition). The
 * normal API of uxa refuses every internal entry except XA_ZERO_ENTRY.
 */
static inline bool xa_is_advanced(const void *entry)
{
	return xa_is_internal(entry) && (entry <= XA_RETRY_ENTRY);
}

/**
 * xa_mk_node() - the internal entry that links to a child node.
 * @node: the node (at least 4-byte aligned).
 *
 * Context: Any context.
 * Return: the internal entry for @node.
 */
static inline void *xa_mk_node(const struct xa_node *node)
{
	return (void *)((unsigned long)node | 2);
}

/**
 * xa_to_node() - the node an internal node entry links to.
 * @entry: a node entry (xa_is_node()).
 *
 * Context: Any context.
 * Return: the node.
 */
static inline struct xa_node *xa_to_node(const void *entry)
{
	return (struct xa_node *)((unsigned long)entry - 2);
}

/**
 * xa_is_node() - is the entry a link to a node?
 * @entry: XArray entry.
 *
 * Context: Any context.
 * Return: true for internal entries above 4096 (error entries, which are
 * never stored in a slot, also qualify, as in the kernel).
 */
static inline bool xa_is_node(const void *entry)
{
	return xa_is_internal(entry) && (unsigned long)entry > 4096;
}

/**
 * xa_mk_sibling() - the sibling entry that refers to slot @offset.
 * @offset: the canonical slot of a multi-index entry.
 *
 * Context: Any context.
 * Return: a sibling entry.
 */
static inline void *xa_mk_sibling(unsigned int offset)
{
	return xa_mk_internal(offset);
}

/**
 * xa_to_sibling() - the canonical slot a sibling entry refers to.
 * @entry: a sibling entry.
 *
 * Context: Any context.
 * Return: the slot number.
 */
static inline unsigned long xa_to_sibling(const void *entry)
{
	return xa_to_internal(entry);
}

/**
 * xa_is_sibling() - is the entry a sibling entry?
 * @entry: entry retrieved through the advanced API.
 *
 * Context: Any context.
 * Return: true if @entry is a sibling entry (part of a multi-index entry).
 */
static inline bool xa_is_sibling(const void *entry)
{
	return xa_is_internal(entry) && (entry < xa_mk_sibling(XA_CHUNK_SIZE - 1));
}

/* ------------------------------------------------------------------ */
/* Limits and marks.                                                   */

/**
 * struct xa_limit - represents a range of IDs.
 * @max: the maximum ID to allocate (inclusive).
 * @min: the lowest ID to allocate (inclusive).
 */
struct xa_limit {
	uint32_t max;
	uint32_t min;
};

/**
 * XA_LIMIT() - a range of IDs for xa_alloc(), [@_min, @_max].
 * @_min: lowest ID (inclusive).
 * @_max: highest ID (inclusive); a range with @_min > @_max is empty.
 *
 * A compound literal, parenthesised so that it passes through other macros.
 *
 * Context: Any context.
 */
#define XA_LIMIT(_min, _max) ((struct xa_limit) { .min = (_min), .max = (_max) })

#define xa_limit_32b	XA_LIMIT(0, UINT_MAX)
#define xa_limit_31b	XA_LIMIT(0, INT_MAX)
#define xa_limit_16b	XA_LIMIT(0, USHRT_MAX)

/*
 * Marks: three search keys per entry. XA_PRESENT is not a mark: as a
 * filter (xa_find(), xa_extract(), xa_for_each_marked()) it means "any
 * present entry". Any other value >= XA_MAX_MARKS is rejected where a mark
 * is required: setters ignore it (reporting it in debug builds), getters
 * return false, finders treat it as XA_PRESENT (as the kernel does).
 */
typedef unsigned int xa_mark_t;
#define XA_MARK_0		((xa_mark_t)0U)
#define XA_MARK_1		((xa_mark_t)1U)
#define XA_MARK_2		((xa_mark_t)2U)
#define XA_PRESENT		((xa_mark_t)8U)
#define XA_MARK_MAX		XA_MARK_2
#define XA_FREE_MARK		XA_MARK_0

/* Array flags (struct xarray::xa_flags). Marks of the root live in the top bits. */
#define XA_FLAGS_MARK_SHIFT	26
#define XA_FLAGS_LOCK_IRQ	((gfp_t)1U)	/* accepted; same lock */
#define XA_FLAGS_LOCK_BH	((gfp_t)2U)	/* accepted; same lock */
#define XA_FLAGS_TRACK_FREE	((gfp_t)4U)	/* free slots carry XA_FREE_MARK */
#define XA_FLAGS_ZERO_BUSY	((gfp_t)8U)	/* index 0 is never allocated */
#define XA_FLAGS_ALLOC_WRAPPED	((gfp_t)16U)	/* internal: xa_alloc_cyclic wrapped */
#define XA_FLAGS_ACCOUNT	((gfp_t)32U)	/* accepted; no effect */
#define XA_FLAGS_MARK(mark)	((gfp_t)(1U << (XA_FLAGS_MARK_SHIFT + (unsigned int)(mark))))

/* Flags for arrays used as ID allocators (xa_alloc()); IDs start at 0 / at 1. */
#define XA_FLAGS_ALLOC	(XA_FLAGS_TRACK_FREE | XA_FLAGS_MARK(XA_FREE_MARK))
#define XA_FLAGS_ALLOC1	(XA_FLAGS_TRACK_FREE | XA_FLAGS_ZERO_BUSY)

/* ------------------------------------------------------------------ */
/* The array.                                                          */

/**
 * struct xarray - the anchor of the XArray.
 * @xa_lock: protects every change to the tree: slots, marks, node links,
 *     @xa_head and @xa_flags. Not nested inside any uxa lock; slab cache
 *     locks nest inside it.
 * @xa_flags: XA_FLAGS_* plus the marks of the root (XA_FLAGS_MARK()).
 * @xa_head: NULL, the single entry at index 0, or a node (internal entry).
 *
 * Treat the members as private: use the functions below.
 */
struct xarray {
	uxa_spinlock_t	xa_lock;
	gfp_t		xa_flags;
	void		*xa_head;
};

/**
 * XARRAY_INIT() - initialiser for an XArray with flags.
 * @name: the array (unused; kernel compatibility).
 * @flags: XA_FLAGS_* values.
 *
 * Context: An initialiser (static or automatic storage); allocates nothing.
 */
#define XARRAY_INIT(name, flags) {				\
	.xa_lock = UXA_SPINLOCK_INIT,				\
	.xa_flags = (flags),					\
	.xa_head = NULL,					\
}

/**
 * DEFINE_XARRAY_FLAGS() - define and initialise an XArray with flags.
 * @name: the array's name.
 * @flags: XA_FLAGS_* values.
 *
 * Context: A definition (static or automatic storage); allocates nothing.
 */
#define DEFINE_XARRAY_FLAGS(name, flags)			\
	struct xarray name = XARRAY_INIT(name, flags)
/**
 * DEFINE_XARRAY() - define and initialise an empty XArray.
 * @name: the array's name.
 *
 * Context: As DEFINE_XARRAY_FLAGS().
 */
#define DEFINE_XARRAY(name) DEFINE_XARRAY_FLAGS(name, 0)

/**
 * DEFINE_XARRAY_ALLOC() - define an XArray for xa_alloc(), IDs from 0.
 * @name: the array's name.
 *
 * Context: As DEFINE_XARRAY_FLAGS().
 */
#define DEFINE_XARRAY_ALLOC(name) DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC)

/**
 * DEFINE_XARRAY_ALLOC1() - define an XArray for xa_alloc(), IDs from 1.
 * @name: the array's name.
 *
 * Index 0 is never allocated (XA_FLAGS_ZERO_BUSY).
 *
 * Context: As DEFINE_XARRAY_FLAGS().
 */
#define DEFINE_XARRAY_ALLOC1(name) DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC1)

/**
 * xa_init_flags() - initialise an empty XArray with flags.
 * @xa: the array.
 * @flags: XA_FLAGS_* values.
 *
 * Context: Any context; the array must not be in use.
 */
static inline void xa_init_flags(struct xarray *xa, gfp_t flags)
{
	xa->xa_lock.value = 0;
	xa->xa_flags = flags;
	xa->xa_head = NULL;
}

/**
 * xa_init() - initialise an empty XArray.
 * @xa: the array.
 *
 * Context: Any context; the array must not be in use.
 */
static inline void xa_init(struct xarray *xa)
{
	xa_init_flags(xa, 0);
}

/**
 * xa_lock() - take the array's lock (and xa_unlock(), xa_trylock()).
 * @xa: the array.
 *
 * xa_lock is a spinlock (uxa_spinlock_t). It serialises writers only:
 * readers never take it. xa_trylock() returns true if it took the lock.
 * The _bh, _irq, _irqsave and _nested forms are the same lock (userspace
 * has no interrupts); _irqsave sets its flags argument to 0.
 *
 * Context: Not recursive. Hold it briefly: other writers spin (then
 * yield). Lock order: first of uxa's locks (doc/design.md).
 */
#define xa_trylock(xa)		uxa_spin_trylock(&(xa)->xa_lock)
#define xa_lock(xa)		uxa_spin_lock(&(xa)->xa_lock)
#define xa_unlock(xa)		__xa_unlock(xa)
#define xa_lock_bh(xa)		xa_lock(xa)
#define xa_unlock_bh(xa)	xa_unlock(xa)
#define xa_lock_irq(xa)		xa_lock(xa)
#define xa_unlock_irq(xa)	xa_unlock(xa)
#define xa_lock_irqsave(xa, flags) \
	do { (flags) = 0; xa_lock(xa); } while (0)
#define xa_unlock_irqrestore(xa, flags) \
	do { (void)(flags); xa_unlock(xa); } while (0)
#define xa_lock_nested(xa, subclass)		xa_lock(xa)
#define xa_lock_bh_nested(xa, subclass)		xa_lock(xa)
#define xa_lock_irq_nested(xa, subclass)	xa_lock(xa)
#define xa_lock_irqsave_nested(xa, flags, subclass) xa_lock_irqsave(xa, flags)

/* ------------------------------------------------------------------ */
/* Normal API.                                                         */

/**
 * xa_empty() - determine if an array has any present entries.
 * @xa: the array.
 *
 * Context: Any context; takes no lock (a snapshot).
 * Return: true if the array contains only NULL pointers.
 */
UXA_API bool xa_empty(const struct xarray *xa);

/**
 * xa_marked() - inquire whether any entry in this array has a mark set.
 * @xa: the array.
 * @mark: XA_MARK_0..XA_MARK_2.
 *
 * Context: Any context; takes no lock (a snapshot).
 * Return: true if any entry has this mark set; false for an invalid mark.
 */
UXA_API bool xa_marked(const struct xarray *xa, xa_mark_t mark);

/**
 * xa_load() - load an entry from an XArray.
 * @xa: the array.
 * @index: index into the array.
 *
 * Context: Any context. Takes and releases the RCU read lock; lock-free.
 * Return: the entry at @index (NULL for an empty or reserved index).
 */
UXA_API void *xa_load(struct xarray *xa, unsigned long index);

/**
 * xa_store() - store this entry in the XArray.
 * @xa: the array.
 * @index: index into the array.
 * @entry: new entry; NULL erases (in an allocating array, it reserves).
 * @gfp: allocation flags; if they allow blocking, xa_lock may be dropped
 *       while allocating.
 *
 * Storing into an index of a multi-index entry replaces the entry of every
 * index of it (as in the kernel).
 *
 * Context: Takes and releases xa_lock. May allocate memory.
 * Return: the old entry at this index (NULL if it was empty or reserved),
 * XA_ERROR(-EINVAL) if @entry is an internal entry other than XA_ZERO_ENTRY
 * (nothing is changed), or XA_ERROR(-ENOMEM) if memory ran out.
 */
UXA_API void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);

/**
 * xa_erase() - erase this entry from the XArray.
 * @xa: the array.
 * @index: index of the entry.
 *
 * After this, xa_load(@index) returns NULL; in an allocating array the index
 * becomes free again. If @index is part of a multi-index entry, every index
 * of that entry is erased.
 *
 * Context: Takes and releases xa_lock. Never allocates.
 * Return: the entry which used to be at this index (NULL if reserved).
 */
UXA_API void *xa_erase(struct xarray *xa, unsigned long index);

/**
 * xa_cmpxchg() - conditionally replace an entry in the XArray.
 * @xa: the array.
 * @index: index into the array.
 * @old: old value to test against.
 * @entry: new value to place in the array.
 * @gfp: allocation flags.
 *
 * If the entry at @index is the same as @old, replace it with @entry. A
 * reserved index compares equal to XA_ZERO_ENTRY, not to NULL.
 *
 * Context: Takes and releases xa_lock. May allocate memory.
 * Return: the old entry at this index (NULL for a reserved index; the
 * exchange happened iff the return equals @old), XA_ERROR(-EINVAL) for an
 * internal @entry other than XA_ZERO_ENTRY, or XA_ERROR(-ENOMEM).
 */
UXA_API void *xa_cmpxchg(struct xarray *xa, unsigned long index, void *old, void *entry,
			 gfp_t gfp);

/**
 * xa_insert() - store this entry in the XArray unless another entry is present.
 * @xa: the array.
 * @index: index into the array.
 * @entry: new entry (NULL reserves the index).
 * @gfp: allocation flags.
 *
 * Context: Takes and releases xa_lock. May allocate memory.
 * Return: 0 if the store succeeded; -EBUSY if another entry (or a
 * reservation) was present; -ENOMEM; -EINVAL for an internal @entry.
 */
UXA_API int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);

/**
 * xa_alloc() - find somewhere to store this entry in the XArray.
 * @xa: the array, created with XA_FLAGS_ALLOC or XA_FLAGS_ALLOC1.
 * @id: where to write the new ID.
 * @entry: new entry (NULL reserves the ID).
 * @limit: range of IDs to allocate from.
 * @gfp: allocation flags.
 *
 * Finds the lowest free index in @limit, stores @entry there and writes
 * the index to @id (only on success).
 *
 * Context: Takes and releases xa_lock. May allocate memory.
 * Return: 0 on success; -ENOMEM; -EBUSY if no free ID is in @limit;
 * -EINVAL if the array does not track free entries, @entry is internal or
 * @id is NULL.
 */
UXA_API int xa_alloc(struct xarray *xa, uint32_t *id, void *entry, struct xa_limit limit,
		     gfp_t gfp);

/**
 * xa_alloc_cyclic() - find somewhere to store this entry, cyclically.
 * @xa: the array, created with XA_FLAGS_ALLOC or XA_FLAGS_ALLOC1.
 * @id: where to write the new ID.
 * @entry: new entry.
 * @limit: range of IDs to allocate from.
 * @next: where to start searching; updated to the ID after the one allocated.
 * @gfp: allocation flags.
 *
 * Searches from @next to the end of @limit, then wraps to the start of it.
 *
 * Context: Takes and releases xa_lock. May allocate memory.
 * Return: 0 if the allocation succeeded without wrapping, 1 if it succeeded
 * after wrapping; -ENOMEM; -EBUSY if no free ID is in @limit; -EINVAL as
 * for xa_alloc(), or for a NULL @next.
 */
UXA_API int xa_alloc_cyclic(struct xarray *xa, uint32_t *id, void *entry,
			    struct xa_limit limit, uint32_t *next, gfp_t gfp);

/**
 * xa_store_range() - store this entry at a range of indices in the XArray.
 * @xa: the array.
 * @first: first index to affect.
 * @last: last index to affect.
 * @entry: new entry (NULL erases the range).
 * @gfp: allocation flags.
 *
 * The range is covered by the fewest naturally aligned multi-index entries
 * (all of them the same @entry). Entries previously in the range are
 * replaced; a multi-index entry that straddles @first or @last is replaced
 * (or, for NULL, erased) as a whole, as a store to any of its indices would.
 * In an allocating array the stored indices become busy (NULL frees them).
 *
 * Context: Takes and releases xa_lock. May allocate memory.
 * Return: NULL on success, XA_ERROR(-EINVAL) for an internal @entry or
 * @last < @first, XA_ERROR(-ENOMEM) on allocation failure (part of the
 * range may then have been stored).
 */
UXA_API void *xa_store_range(struct xarray *xa, unsigned long first, unsigned long last,
			     void *entry, gfp_t gfp);

/**
 * xa_get_order() - get the order of an entry.
 * @xa: the array.
 * @index: an index of the entry.
 *
 * Context: Takes and releases the RCU read lock.
 * Return: the order (log2 of the number of indices) of the entry at @index;
 * 0 for an empty index.
 */
UXA_API int xa_get_order(struct xarray *xa, unsigned long index);

/**
 * xa_get_mark() - inquire whether this mark is set on this entry.
 * @xa: the array.
 * @index: index of the entry.
 * @mark: XA_MARK_0..XA_MARK_2.
 *
 * Context: Takes and releases the RCU read lock; lock-free.
 * Return: true if the entry at @index has this mark set; false otherwise and
 * for a mark >= XA_MAX_MARKS (including XA_PRESENT).
 */
UXA_API bool xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);

/**
 * xa_set_mark() - set this mark on this entry.
 * @xa: the array.
 * @index: index of the entry.
 * @mark: XA_MARK_0..XA_MARK_2.
 *
 * Does nothing for an empty index. A mark >= XA_MAX_MARKS is ignored (and
 * reported on stderr in debug builds).
 *
 * Context: Takes and releases xa_lock. Never allocates.
 */
UXA_API void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);

/**
 * xa_clear_mark() - clear this mark on this entry.
 * @xa: the array.
 * @index: index of the entry.
 * @mark: XA_MARK_0..XA_MARK_2.
 *
 * A mark >= XA_MAX_MARKS is ignored (and reported in debug builds).
 *
 * Context: Takes and releases xa_lock. Never allocates.
 */
UXA_API void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);

/**
 * xa_find() - search the XArray for an entry.
 * @xa: the array.
 * @indexp: in: first index to search; out: index of the entry found.
 * @max: maximum index to search to.
 * @filter: a mark, or XA_PRESENT for any present entry (any value >=
 *          XA_MAX_MARKS behaves as XA_PRESENT).
 *
 * Reserved entries are skipped. For a multi-index entry covering *@indexp,
 * *@indexp is left within it: unchanged when searching for any present
 * entry, moved back to the entry's first index when searching for a mark.
 *
 * Context: Takes and releases the RCU read lock; lock-free.
 * Return: the entry (and *@indexp updated), or NULL (*@indexp unchanged).
 */
UXA_API void *xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
		      xa_mark_t filter);

/**
 * xa_find_after() - search the XArray for a present entry after *@indexp.
 * @xa: the array.
 * @indexp: in: index of the previous entry; out: index of the entry found.
 * @max: maximum index to search to.
 * @filter: a mark or XA_PRESENT.
 *
 * Multi-index entries that cover *@indexp are not returned again.
 *
 * Context: Takes and releases the RCU read lock; lock-free.
 * Return: the entry (and *@indexp updated), or NULL.
 */
UXA_API void *xa_find_after(struct xarray *xa, unsigned long *indexp, unsigned long max,
			    xa_mark_t filter);

/**
 * xa_extract() - copy selected entries from the XArray into a normal array.
 * @xa: the source array.
 * @dst: the destination array.
 * @start: first index.
 * @max: last index (inclusive).
 * @n: maximum number of entries to copy.
 * @filter: a mark or XA_PRESENT.
 *
 * Context: Takes and releases the RCU read lock; lock-free.
 * Return: the number of entries copied.
 */
UXA_API unsigned int xa_extract(struct xarray *xa, void **dst, unsigned long start,
				unsigned long max, unsigned int n, xa_mark_t filter);

/**
 * xa_destroy() - free all internal data structures.
 * @xa: the array.
 *
 * Entries are not freed (the caller owns them); the array becomes empty and
 * can be reused. Nodes go back to the slab cache after a grace period.
 *
 * Context: Takes and releases xa_lock. Never allocates.
 */
UXA_API void xa_destroy(struct xarray *xa);

/**
 * xa_reserve() - reserve this index in the XArray.
 * @xa: the array.
 * @index: index into the array.
 * @gfp: allocation flags.
 *
 * A reserved index reads as NULL but makes xa_insert() and xa_alloc() treat
 * it as busy. If an entry is already present, nothing changes.
 *
 * Context: Takes and releases xa_lock. May allocate memory.
 * Return: 0 if the reservation succeeded (or the index was in use), -ENOMEM.
 */
static inline int xa_reserve(struct xarray *xa, unsigned long index, gfp_t gfp)
{
	return xa_err(xa_cmpxchg(xa, index, NULL, XA_ZERO_ENTRY, gfp));
}

/**
 * xa_release() - release a reserved entry.
 * @xa: the array.
 * @index: index of the entry.
 *
 * Does nothing unless the index is reserved (holds XA_ZERO_ENTRY).
 *
 * Context: Takes and releases xa_lock. Never allocates.
 */
static inline void xa_release(struct xarray *xa, unsigned long index)
{
	xa_cmpxchg(xa, index, XA_ZERO_ENTRY, NULL, 0);
}

/*
 * _bh / _irq variants. Userspace has no interrupts and xa_lock is one
 * spinlock, so each is exactly the operation it names (kernel source
 * compatibility).
 */

/**
 * xa_store_bh() - the same operation as xa_store().
 * @xa: as for xa_store().
 * @index: as for xa_store().
 * @entry: as for xa_store().
 * @gfp: as for xa_store().
 *
 * Context: As xa_store().
 * Return: As xa_store().
 */
static inline void *xa_store_bh(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	return xa_store(xa, index, entry, gfp);
}

/**
 * xa_store_irq() - the same operation as xa_store().
 * @xa: as for xa_store().
 * @index: as for xa_store().
 * @entry: as for xa_store().
 * @gfp: as for xa_store().
 *
 * Context: As xa_store().
 * Return: As xa_store().
 */
static inline void *xa_store_irq(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	return xa_store(xa, index, entry, gfp);
}

/**
 * xa_erase_bh() - the same operation as xa_erase().
 * @xa: as for xa_erase().
 * @index: as for xa_erase().
 *
 * Context: As xa_erase().
 * Return: As xa_erase().
 */
static inline void *xa_erase_bh(struct xarray *xa, unsigned long index)
{
	return xa_erase(xa, index);
}

/**
 * xa_erase_irq() - the same operation as xa_erase().
 * @xa: as for xa_erase().
 * @index: as for xa_erase().
 *
 * Context: As xa_erase().
 * Return: As xa_erase().
 */
static inline void *xa_erase_irq(struct xarray *xa, unsigned long index)
{
	return xa_erase(xa, index);
}

/**
 * xa_cmpxchg_bh() - the same operation as xa_cmpxchg().
 * @xa: as for xa_cmpxchg().
 * @index: as for xa_cmpxchg().
 * @old: as for xa_cmpxchg().
 * @entry: as for xa_cmpxchg().
 * @gfp: as for xa_cmpxchg().
 *
 * Context: As xa_cmpxchg().
 * Return: As xa_cmpxchg().
 */
static inline void *xa_cmpxchg_bh(struct xarray *xa, unsigned long index, void *old,
				  void *entry, gfp_t gfp)
{
	return xa_cmpxchg(xa, index, old, entry, gfp);
}

/**
 * xa_cmpxchg_irq() - the same operation as xa_cmpxchg().
 * @xa: as for xa_cmpxchg().
 * @index: as for xa_cmpxchg().
 * @old: as for xa_cmpxchg().
 * @entry: as for xa_cmpxchg().
 * @gfp: as for xa_cmpxchg().
 *
 * Context: As xa_cmpxchg().
 * Return: As xa_cmpxchg().
 */
static inline void *xa_cmpxchg_irq(struct xarray *xa, unsigned long index, void *old,
				   void *entry, gfp_t gfp)
{
	return xa_cmpxchg(xa, index, old, entry, gfp);
}

/**
 * xa_insert_bh() - the same operation as xa_insert().
 * @xa: as for xa_insert().
 * @index: as for xa_insert().
 * @entry: as for xa_insert().
 * @gfp: as for xa_insert().
 *
 * Context: As xa_insert().
 * Return: As xa_insert().
 */
static inline int xa_insert_bh(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	return xa_insert(xa, index, entry, gfp);
}

/**
 * xa_insert_irq() - the same operation as xa_insert().
 * @xa: as for xa_insert().
 * @index: as for xa_insert().
 * @entry: as for xa_insert().
 * @gfp: as for xa_insert().
 *
 * Context: As xa_insert().
 * Return: As xa_insert().
 */
static inline int xa_insert_irq(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	return xa_insert(xa, index, entry, gfp);
}

/**
 * xa_alloc_bh() - the same operation as xa_alloc().
 * @xa: as for xa_alloc().
 * @id: as for xa_alloc().
 * @entry: as for xa_alloc().
 * @limit: as for xa_alloc().
 * @gfp: as for xa_alloc().
 *
 * Context: As xa_alloc().
 * Return: As xa_alloc().
 */
static inline int xa_alloc_bh(struct xarray *xa, uint32_t *id, void *entry,
			      struct xa_limit limit, gfp_t gfp)
{
	return xa_alloc(xa, id, entry, limit, gfp);
}

/**
 * xa_alloc_irq() - the same operation as xa_alloc().
 * @xa: as for xa_alloc().
 * @id: as for xa_alloc().
 * @entry: as for xa_alloc().
 * @limit: as for xa_alloc().
 * @gfp: as for xa_alloc().
 *
 * Context: As xa_alloc().
 * Return: As xa_alloc().
 */
static inline int xa_alloc_irq(struct xarray *xa, uint32_t *id, void *entry,
			       struct xa_limit limit, gfp_t gfp)
{
	return xa_alloc(xa, id, entry, limit, gfp);
}

/**
 * xa_alloc_cyclic_bh() - the same operation as xa_alloc_cyclic().
 * @xa: as for xa_alloc_cyclic().
 * @id: as for xa_alloc_cyclic().
 * @entry: as for xa_alloc_cyclic().
 * @limit: as for xa_alloc_cyclic().
 * @next: as for xa_alloc_cyclic().
 * @gfp: as for xa_alloc_cyclic().
 *
 * Context: As xa_alloc_cyclic().
 * Return: As xa_alloc_cyclic().
 */
static inline int xa_alloc_cyclic_bh(struct xarray *xa, uint32_t *id, void *entry,
				     struct xa_limit limit, uint32_t *next, gfp_t gfp)
{
	return xa_alloc_cyclic(xa, id, entry, limit, next, gfp);
}

/**
 * xa_alloc_cyclic_irq() - the same operation as xa_alloc_cyclic().
 * @xa: as for xa_alloc_cyclic().
 * @id: as for xa_alloc_cyclic().
 * @entry: as for xa_alloc_cyclic().
 * @limit: as for xa_alloc_cyclic().
 * @next: as for xa_alloc_cyclic().
 * @gfp: as for xa_alloc_cyclic().
 *
 * Context: As xa_alloc_cyclic().
 * Return: As xa_alloc_cyclic().
 */
static inline int xa_alloc_cyclic_irq(struct xarray *xa, uint32_t *id, void *entry,
				      struct xa_limit limit, uint32_t *next, gfp_t gfp)
{
	return xa_alloc_cyclic(xa, id, entry, limit, next, gfp);
}

/**
 * xa_reserve_bh() - the same operation as xa_reserve().
 * @xa: as for xa_reserve().
 * @index: as for xa_reserve().
 * @gfp: as for xa_reserve().
 *
 * Context: As xa_reserve().
 * Return: As xa_reserve().
 */
static inline int xa_reserve_bh(struct xarray *xa, unsigned long index, gfp_t gfp)
{
	return xa_reserve(xa, index, gfp);
}

/**
 * xa_reserve_irq() - the same operation as xa_reserve().
 * @xa: as for xa_reserve().
 * @index: as for xa_reserve().
 * @gfp: as for xa_reserve().
 *
 * Context: As xa_reserve().
 * Return: As xa_reserve().
 */
static inline int xa_reserve_irq(struct xarray *xa, unsigned long index, gfp_t gfp)
{
	return xa_reserve(xa, index, gfp);
}

/**
 * xa_release_bh() - the same operation as xa_release().
 * @xa: as for xa_release().
 * @index: as for xa_release().
 *
 * Context: As xa_release().
 */
static inline void xa_release_bh(struct xarray *xa, unsigned long index)
{
	xa_release(xa, index);
}

/**
 * xa_release_irq() - the same operation as xa_release().
 * @xa: as for xa_release().
 * @index: as for xa_release().
 *
 * Context: As xa_release().
 */
static inline void xa_release_irq(struct xarray *xa, unsigned long index)
{
	xa_release(xa, index);
}

/**
 * xa_for_each_range() - iterate over a portion of an XArray.
 * @xa: the array.
 * @index: unsigned long index of each entry found.
 * @entry: each present entry.
 * @start: first index to retrieve.
 * @last: last index to retrieve.
 *
 * Uses xa_find()/xa_find_after(): each step takes the RCU read lock, so the
 * body may block, modify the array and need no lock. O(n log n) over n
 * entries; see xas_for_each() for the O(n) walk.
 *
 * Context: Any context; the body runs with no lock held.
 */
#define xa_for_each_range(xa, index, entry, start, last)		\
	for (index = (start),						\
	     entry = xa_find(xa, &index, last, XA_PRESENT);		\
	     entry;							\
	     entry = xa_find_after(xa, &index, last, XA_PRESENT))

/**
 * xa_for_each_start() - iterate over present entries from @start.
 * @xa: the array.
 * @index: unsigned long index of each entry found.
 * @entry: each present entry.
 * @start: first index to retrieve.
 *
 * Context: As xa_for_each_range().
 */
#define xa_for_each_start(xa, index, entry, start) \
	xa_for_each_range(xa, index, entry, start, ULONG_MAX)

/**
 * xa_for_each() - iterate over every present entry of an XArray.
 * @xa: the array.
 * @index: unsigned long index of each entry found.
 * @entry: each present entry.
 *
 * Context: As xa_for_each_range().
 */
#define xa_for_each(xa, index, entry) \
	xa_for_each_start(xa, index, entry, 0)

/**
 * xa_for_each_marked() - iterate over the marked entries of an XArray.
 * @xa: the array.
 * @index: unsigned long index of each entry found.
 * @entry: each entry.
 * @filter: a mark (or XA_PRESENT).
 *
 * Context: As xa_for_each_range().
 */
#define xa_for_each_marked(xa, index, entry, filter)			\
	for (index = 0, entry = xa_find(xa, &index, ULONG_MAX, filter);	\
	     entry; entry = xa_find_after(xa, &index, ULONG_MAX, filter))

/* ------------------------------------------------------------------ */
/* Locked API: the caller holds xa_lock.                               */

/**
 * __xa_store() - store this entry in the XArray (xa_lock held).
 * @xa: the array.
 * @index: index into the array.
 * @entry: new entry.
 * @gfp: allocation flags; if they allow blocking, xa_lock is dropped and
 *       retaken around the allocation.
 *
 * Context: xa_lock held on entry and exit. May allocate memory.
 * Return: as xa_store().
 */
UXA_API void *__xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);

/**
 * __xa_erase() - erase this entry from the XArray (xa_lock held).
 * @xa: the array.
 * @index: index of the entry.
 *
 * Context: xa_lock held. Never allocates, never drops the lock.
 * Return: as xa_erase().
 */
UXA_API void *__xa_erase(struct xarray *xa, unsigned long index);

/**
 * __xa_cmpxchg() - conditionally replace an entry (xa_lock held).
 * @xa: the array.
 * @index: index into the array.
 * @old: old value to test against.
 * @entry: new entry.
 * @gfp: allocation flags (may drop the lock as for __xa_store()).
 *
 * Context: xa_lock held on entry and exit. May allocate memory.
 * Return: as xa_cmpxchg().
 */
UXA_API void *__xa_cmpxchg(struct xarray *xa, unsigned long index, void *old, void *entry,
			   gfp_t gfp);

/**
 * __xa_insert() - store this entry unless another is present (xa_lock held).
 * @xa: the array.
 * @index: index into the array.
 * @entry: new entry.
 * @gfp: allocation flags (may drop the lock as for __xa_store()).
 *
 * Context: xa_lock held on entry and exit. May allocate memory.
 * Return: as xa_insert().
 */
UXA_API int __xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);

/**
 * __xa_alloc() - find somewhere to store this entry (xa_lock held).
 * @xa: the array.
 * @id: where to write the new ID.
 * @entry: new entry.
 * @limit: range of IDs.
 * @gfp: allocation flags (may drop the lock as for __xa_store()).
 *
 * Context: xa_lock held on entry and exit. May allocate memory.
 * Return: as xa_alloc().
 */
UXA_API int __xa_alloc(struct xarray *xa, uint32_t *id, void *entry, struct xa_limit limit,
		       gfp_t gfp);

/**
 * __xa_alloc_cyclic() - find somewhere to store this entry, cyclically (xa_lock held).
 * @xa: the array.
 * @id: where to write the new ID.
 * @entry: new entry.
 * @limit: range of IDs.
 * @next: where to start searching; updated.
 * @gfp: allocation flags (may drop the lock as for __xa_store()).
 *
 * Context: xa_lock held on entry and exit. May allocate memory.
 * Return: as xa_alloc_cyclic() (1 when it wrapped).
 */
UXA_API int __xa_alloc_cyclic(struct xarray *xa, uint32_t *id, void *entry,
			      struct xa_limit limit, uint32_t *next, gfp_t gfp);

/**
 * __xa_set_mark() - set this mark on this entry (xa_lock held).
 * @xa: the array.
 * @index: index of the entry.
 * @mark: XA_MARK_0..XA_MARK_2 (others ignored, reported in debug builds).
 *
 * Context: xa_lock held. Never allocates.
 */
UXA_API void __xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);

/**
 * __xa_clear_mark() - clear this mark on this entry (xa_lock held).
 * @xa: the array.
 * @index: index of the entry.
 * @mark: XA_MARK_0..XA_MARK_2 (others ignored, reported in debug builds).
 *
 * Context: xa_lock held. Never allocates.
 */
UXA_API void __xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);

/* ------------------------------------------------------------------ */
/* Nodes.                                                              */


/* Found in xa_node::array of a node waiting for its RCU grace period. */
#define XA_RCU_FREE		((struct xarray *)1)

/**
 * struct xa_list_head - a doubly linked list head (the kernel's list_head).
 * @next: next element, or the head itself when empty.
 * @prev: previous element, or the head itself when empty.
 */
struct xa_list_head {
	struct xa_list_head *next, *prev;
};

/**
 * struct xa_node - one level of the tree.
 * @shift: bits of the index below this node's slots (0 for leaves).
 * @offset: this node's slot in its parent.
 * @count: non-NULL slots (sibling entries included).
 * @nr_values: slots whose entry is a value entry (siblings included).
 * @parent: NULL at the top of the tree.
 * @array: the state: NULL (preallocated, not in a tree), the owning array,
 *     or XA_RCU_FREE (unlinked, awaiting a grace period).
 * @private_list: for users tracking nodes from their xas_set_update()
 *     callback (empty, i.e. self-linked, when the node is created; must be
 *     empty again when the node is freed). When a node migrates, its copy
 *     takes its place in the list under xa_lock, so a private list must be
 *     one array's and changed only under that array's xa_lock (a list
 *     shared by several arrays under a lock of the user's would race with
 *     migration).
 * @rcu_head: used to free the node after a grace period.
 * @slots: the entries, RCU-published.
 * @marks: one bit per slot per mark.
 *
 * All fields are read and written under xa_lock; lock-free readers only
 * follow @slots, @parent, @shift, @offset and @marks.
 */
struct xa_node {
	unsigned char	shift;
	unsigned char	offset;
	unsigned char	count;
	unsigned char	nr_values;
	struct xa_node	*parent;
	struct xarray	*array;
	union {
		struct xa_list_head	private_list;
		struct uxa_rcu_head	rcu_head;
	};
	void		*slots[XA_CHUNK_SIZE];
	unsigned long	marks[XA_MAX_MARKS][XA_MARK_LONGS];
};

/**
 * xa_node_cache() - the slab cache every XArray node comes from.
 *
 * Named "xa_node", object size sizeof(struct xa_node); created on first use
 * and made mobile at once (nodes migrate; see xa_defrag_nodes()). Exposed so
 * that others can read its statistics (kmem_cache_get_stats()), defragment
 * it (kmem_cache_defrag()) or watch it (kmem_cache_slabinfo()). Never
 * allocate from it or free into it yourself: the migrator reads every
 * object of the cache as a node.
 *
 * Context: Any thread; the first call may allocate.
 * Return: the cache (aborts if it cannot be created).
 */
UXA_API struct kmem_cache *xa_node_cache(void);

/**
 * __xa_unlock() - release xa_lock (what xa_unlock() and xas_unlock() expand to).
 * @xa: the array, locked by this thread.
 *
 * If this critical section took nodes out of the tree while a node
 * migration is in flight, waits (with no lock held) until that migration
 * can no longer touch @xa, so that an owner who emptied or destroyed the
 * array may free its struct xarray as soon as this returns.
 *
 * Context: Releases xa_lock. May wait for a node migration (microseconds),
 * so do not hold another array's xa_lock across it unless the migrator
 * could never need it (the migrator only trylocks, so this cannot deadlock).
 */
UXA_API void __xa_unlock(struct xarray *xa);

/**
 * struct xa_migration_stats - what node migration has done since start.
 * @nodes_moved: nodes copied to a new node and republished.
 * @nodes_already_free: nodes found retired (awaiting RCU): nothing to move.
 * @nodes_failed: nodes left in place because no copy could be allocated.
 * @arrays_busy: times the migrator left nodes in place because their
 *     array's lock stayed taken (it only trylocks; see doc/design.md).
 * @slabs_refused: slabs can_free() refused (a preallocated node in them).
 * @slabs_reclaimed: slabs whose nodes reclaim() processed.
 * @lock_holds: array lock acquisitions by the migrator (each moves every
 *     node of one slab that belongs to that array).
 * @ns: nanoseconds spent in reclaim (moving), excluding grace periods.
 */
struct xa_migration_stats {
	unsigned long nodes_moved;
	unsigned long nodes_already_free;
	unsigned long nodes_failed;
	unsigned long arrays_busy;
	unsigned long slabs_refused;
	unsigned long slabs_reclaimed;
	unsigned long lock_holds;
	unsigned long long ns;
};

/**
 * xa_defrag_nodes() - defragment the XArray node cache by moving nodes.
 * @max_occupancy_percent: slabs at or below this occupancy (0..100) are
 *     vacated, sparsest first (kmem_cache_defrag() on xa_node_cache()).
 *
 * Nodes move under live readers and writers: each moved node is copied,
 * its children and parent re-pointed, the copy published, and the old copy
 * freed after one RCU grace period shared by the whole batch.
 *
 * Context: Blocks (array locks, one RCU barrier). Not inside an RCU
 * read-side section, not holding any xa_lock. May allocate nodes.
 * Return: pages given back to the page allocator, or a negative errno from
 * kmem_cache_defrag() (-EINVAL for a percentage out of range).
 */
UXA_API long xa_defrag_nodes(int max_occupancy_percent);

/**
 * xa_migration_get_stats() - node migration counters since start.
 * @st: where to write.
 *
 * Context: Any thread; lock-free snapshot (counters may be mid-update).
 */
UXA_API void xa_migration_get_stats(struct xa_migration_stats *st);

/**
 * xa_check() - verify the tree's invariants (a debugging aid).
 * @xa: the array.
 *
 * Checks every node's links (parent, offset, shift, array), count and
 * nr_values, that every mark bit of an internal slot equals "some entry
 * below has the mark", that marks are only on present entries (or, for
 * XA_FREE_MARK in an allocating array, on free slots, every one of which
 * carries it), that sibling entries
 * follow their canonical slot in the same node and carry no marks, and the
 * root's marks. (As in the kernel, the tree shrinks only when entries are
 * removed, so a top node using only slot 0 is legal.)
 *
 * Context: Takes and releases xa_lock. Never allocates.
 * Return: 0 if the tree is sound, otherwise -EINVAL after printing the first
 * problem on stderr.
 */
UXA_API int xa_check(struct xarray *xa);

/**
 * xa_dump() - print the tree on stderr (a debugging aid).
 * @xa: the array.
 *
 * Context: The caller should hold xa_lock or know the array is idle (it
 * reads under the RCU read lock, so it is safe, but not a snapshot).
 */
UXA_API void xa_dump(const struct xarray *xa);

/* ------------------------------------------------------------------ */
/* Advanced API.                                                       */

/* Called after a node changed (entries stored, count changed, freed). */
typedef void (*xa_update_node_t)(struct xa_node *node);

/**
 * xa_delete_node() - remove a node from its tree (for xas_set_update() users).
 * @node: a node with no present entries (only value entries are tolerated
 *        in the kernel's workingset use; they are discarded).
 * @update: the update callback to call on the nodes changed.
 *
 * Context: xa_lock of the node's array held. Never allocates.
 */
UXA_API void xa_delete_node(struct xa_node *node, xa_update_node_t update);

/**
 * struct xa_state - XArray operation state.
 * @xa: the array operated on.
 * @xa_index: the index of interest.
 * @xa_shift: for multi-index operations, the shift of the entry size.
 * @xa_sibs: number of sibling slots of a multi-index entry in one node.
 * @xa_offset: the slot of @xa_index in @xa_node.
 * @xa_pad: padding (kernel compatibility).
 * @xa_node: the node of @xa_index, NULL for the head, or a special value:
 *     XAS_RESTART (walk from the top), XAS_BOUNDS (out of range), or an
 *     error (XA_ERROR()).
 * @xa_alloc: preallocated node(s) for the next store (xas_nomem()).
 * @xa_update: called on each node changed; see xas_set_update().
 * @xa_lru: accepted for source compatibility; unused.
 *
 * Fields are public for the inline helpers; use the functions.
 */
struct xa_state {
	struct xarray *xa;
	unsigned long xa_index;
	unsigned char xa_shift;
	unsigned char xa_sibs;
	unsigned char xa_offset;
	unsigned char xa_pad;
	struct xa_node *xa_node;
	struct xa_node *xa_alloc;
	xa_update_node_t xa_update;
	struct list_lru *xa_lru;
};

/* An errno encoded in xa_state::xa_node (an internal entry >= -4095). */
#define XA_ERROR(errno) ((struct xa_node *)(((unsigned long)(errno) << 2) | 2UL))
#define XAS_BOUNDS	((struct xa_node *)1UL)
#define XAS_RESTART	((struct xa_node *)3UL)

#define __XA_STATE(array, index, shift, sibs)  {	\
	.xa = (array),					\
	.xa_index = (index),				\
	.xa_shift = (shift),				\
	.xa_sibs = (sibs),				\
	.xa_offset = 0,					\
	.xa_pad = 0,					\
	.xa_node = XAS_RESTART,				\
	.xa_alloc = NULL,				\
	.xa_update = NULL,				\
	.xa_lru = NULL,					\
}

/**
 * XA_STATE() - declare an XArray operation state.
 * @name: name of this operation state (usually xas).
 * @array: array to operate on.
 * @index: initial index of interest.
 *
 * Context: A declaration on the caller's stack; takes no lock, allocates
 * nothing. The state walks from the top on its first use.
 */
#define XA_STATE(name, array, index)				\
	struct xa_state name = __XA_STATE(array, index, 0, 0)

/**
 * XA_STATE_ORDER() - declare an XArray operation state for a multi-index entry.
 * @name: name of this operation state.
 * @array: array to operate on.
 * @index: initial index of interest (rounded down to the order).
 * @order: order of the entry (log2 of the number of indices).
 *
 * Context: As XA_STATE().
 */
#define XA_STATE_ORDER(name, array, index, order)		\
	struct xa_state name = __XA_STATE(array,		\
			((index) >> (order)) << (order),	\
			(order) - ((order) % XA_CHUNK_SHIFT),	\
			(1U << ((order) % XA_CHUNK_SHIFT)) - 1)

/**
 * xas_lock() - take the lock of the state's array (and xas_unlock(), ...).
 * @xas: XArray operation state.
 *
 * xas_lock(), xas_unlock(), xas_trylock() and their _bh/_irq/_irqsave forms
 * are xa_lock() and friends on xas->xa; xas_marked() is xa_marked() on it.
 *
 * Context: As xa_lock(). Before dropping the lock in a walk, call
 * xas_pause() or xas_reset(): a node pointer is not kept across a drop.
 */
#define xas_marked(xas, mark)	xa_marked((xas)->xa, (mark))
#define xas_trylock(xas)	xa_trylock((xas)->xa)
#define xas_lock(xas)		xa_lock((xas)->xa)
#define xas_unlock(xas)		xa_unlock((xas)->xa)
#define xas_lock_bh(xas)	xa_lock_bh((xas)->xa)
#define xas_unlock_bh(xas)	xa_unlock_bh((xas)->xa)
#define xas_lock_irq(xas)	xa_lock_irq((xas)->xa)
#define xas_unlock_irq(xas)	xa_unlock_irq((xas)->xa)
#define xas_lock_irqsave(xas, flags)	xa_lock_irqsave((xas)->xa, flags)
#define xas_unlock_irqrestore(xas, flags) xa_unlock_irqrestore((xas)->xa, flags)

/**
 * xas_error() - return an errno stored in the xa_state.
 * @xas: XArray operation state.
 *
 * Context: Any context.
 * Return: 0 if no error has been noted, otherwise a negative errno.
 */
static inline int xas_error(const struct xa_state *xas)
{
	return xa_err(xas->xa_node);
}

/**
 * xas_set_err() - note an error in the xa_state.
 * @xas: XArray operation state.
 * @err: negative error number.
 *
 * Only call this with a negative error number; subsequent operations on
 * @xas do nothing until it is reset.
 *
 * Context: Any context.
 */
static inline void xas_set_err(struct xa_state *xas, long err)
{
	xas->xa_node = XA_ERROR(err);
}

/**
 * xas_invalid() - is the xas in a retry or error state?
 * @xas: XArray operation state.
 *
 * Context: Any context.
 * Return: true if the xas cannot be used for operations without a walk.
 */
static inline bool xas_invalid(const struct xa_state *xas)
{
	return (unsigned long)xas->xa_node & 3;
}

/**
 * xas_valid() - is the xas a valid cursor into the array?
 * @xas: XArray operation state.
 *
 * Context: Any context.
 * Return: true if the xas can be used for operations.
 */
static inline bool xas_valid(const struct xa_state *xas)
{
	return !xas_invalid(xas);
}

/**
 * xas_is_node() - does the xas point to a node?
 * @xas: XArray operation state.
 *
 * Context: Any context.
 * Return: true if the xas currently references a node.
 */
static inline bool xas_is_node(const struct xa_state *xas)
{
	return xas_valid(xas) && xas->xa_node;
}

/**
 * xas_not_node() - is this xa_node value something other than a node?
 * @node: an xa_state's xa_node.
 *
 * Context: Any context.
 * Return: true for NULL (the head), XAS_RESTART, XAS_BOUNDS or an error.
 */
static inline bool xas_not_node(struct xa_node *node)
{
	return ((unsigned long)node & 3) || !node;
}

/**
 * xas_frozen() - does this xa_node value stand for a restart or an error?
 * @node: an xa_state's xa_node.
 *
 * Context: Any context.
 * Return: true for XAS_RESTART or an error.
 */
static inline bool xas_frozen(struct xa_node *node)
{
	return (unsigned long)node & 2;
}

/**
 * xas_top() - is this xa_node value the head, a restart or out of bounds?
 * @node: an xa_state's xa_node.
 *
 * Context: Any context.
 * Return: true for NULL, XAS_RESTART and XAS_BOUNDS.
 */
static inline bool xas_top(struct xa_node *node)
{
	return node <= XAS_RESTART;
}

/**
 * xas_reset() - reset an XArray operation state.
 * @xas: XArray operation state.
 *
 * The next operation walks the tree from the top (clears any error).
 *
 * Context: Any context.
 */
static inline void xas_reset(struct xa_state *xas)
{
	xas->xa_node = XAS_RESTART;
}

/**
 * xas_retry() - retry the operation if appropriate.
 * @xas: XArray operation state.
 * @entry: entry from the xarray.
 *
 * Context: Any context.
 * Return: true if the operation needs to be retried (a retry entry, which
 * also resets @xas, or a zero entry, which is to be skipped).
 */
static inline bool xas_retry(struct xa_state *xas, const void *entry)
{
	if (xa_is_zero(entry))
		return true;
	if (!xa_is_retry(entry))
		return false;
	xas_reset(xas);
	return true;
}

/**
 * xas_set() - set up the xa_state for a different index.
 * @xas: XArray operation state.
 * @index: new index into the XArray.
 *
 * Context: Any context.
 */
static inline void xas_set(struct xa_state *xas, unsigned long index)
{
	xas->xa_index = index;
	xas->xa_node = XAS_RESTART;
}

/**
 * xas_advance() - skip over sibling entries.
 * @xas: XArray operation state.
 * @index: index of the last sibling entry.
 *
 * Move the operation state to refer to the last sibling of a multi-index
 * entry found by a walk (only forward, within the current node).
 *
 * Context: xa_lock or RCU read lock (reads the node's shift).
 */
static inline void xas_advance(struct xa_state *xas, unsigned long index)
{
	unsigned char shift = xas_is_node(xas) ? xas->xa_node->shift : 0;

	xas->xa_index = index;
	xas->xa_offset = (index >> shift) & XA_CHUNK_MASK;
}

/**
 * xas_set_order() - set up the xa_state for a multi-index entry.
 * @xas: XArray operation state.
 * @index: target of the operation (rounded down to @order).
 * @order: entry occupies 2^@order indices.
 *
 * Context: Any context.
 */
static inline void xas_set_order(struct xa_state *xas, unsigned long index, unsigned int order)
{
	xas->xa_index = order < XA_BITS_PER_LONG ? (index >> order) << order : 0;
	xas->xa_shift = order - (order % XA_CHUNK_SHIFT);
	xas->xa_sibs = (1U << (order % XA_CHUNK_SHIFT)) - 1;
	xas->xa_node = XAS_RESTART;
}

/**
 * xas_set_update() - set up the update callback for a node.
 * @xas: XArray operation state.
 * @update: function to call when updating a node (receives the node).
 *
 * The callback runs under xa_lock. Users who keep nodes on
 * xa_node::private_list from it must keep that list per array and change it
 * only under that array's xa_lock: node migration moves list membership to
 * the node's copy under the same lock (see struct xa_node).
 *
 * Context: Any context.
 */
static inline void xas_set_update(struct xa_state *xas, xa_update_node_t update)
{
	xas->xa_update = update;
}

/**
 * xas_set_lru() - accepted for source compatibility; uxa has no list_lru.
 * @xas: XArray operation state.
 * @lru: recorded and otherwise ignored.
 *
 * Context: Any context.
 */
static inline void xas_set_lru(struct xa_state *xas, struct list_lru *lru)
{
	xas->xa_lru = lru;
}

/**
 * xas_load() - load an entry from the XArray (advanced).
 * @xas: XArray operation state.
 *
 * Walks to the entry at xa_index (following siblings to the canonical
 * slot) and leaves @xas pointing at it. May return XA_RETRY_ENTRY (RCU
 * walkers must xas_retry()) or XA_ZERO_ENTRY.
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the entry at xa_index, or NULL (XAS_BOUNDS if beyond the tree).
 */
UXA_API void *xas_load(struct xa_state *xas);

/**
 * xas_reload() - refetch an entry from the xarray.
 * @xas: XArray operation state, after a walk (xas_load(), xas_find(), ...).
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the entry at the position of @xas now.
 */
UXA_API void *xas_reload(struct xa_state *xas);

/**
 * xas_store() - store this entry in the XArray.
 * @xas: XArray operation state.
 * @entry: new entry (NULL erases; marks are cleared or, for XA_FREE_MARK in
 *         an allocating array, set).
 *
 * Stores at the index (and order) of @xas, creating nodes as needed with
 * GFP_NOWAIT; on failure xas_error() is -ENOMEM and nothing is stored.
 * Nodes created before the failure stay in the tree, empty, so that the
 * retry after xas_nomem() makes progress (as in the kernel); until then
 * xa_check() reports them, and a caller that gives up leaves them to be
 * filled later or freed by xa_destroy(). (The normal API trims them.)
 * Storing over a range with existing entries replaces them all.
 *
 * Context: xa_lock held. May allocate memory (GFP_NOWAIT).
 * Return: the old entry at this index (the first one for a range).
 */
UXA_API void *xas_store(struct xa_state *xas, void *entry);

/**
 * xas_find() - find the next present entry in the XArray.
 * @xas: XArray operation state.
 * @max: highest index to return.
 *
 * On a fresh state (after XA_STATE/xas_set) returns the entry at xa_index
 * if present; later calls move past the current one. Sibling entries are
 * skipped; zero and retry entries are returned (use xas_retry()).
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the entry, or NULL: then the state is XAS_BOUNDS if the search
 * ran off the end of the tree or started beyond @max; if it stopped at
 * @max inside the tree, the state is left just past @max (as the kernel's).
 */
UXA_API void *xas_find(struct xa_state *xas, unsigned long max);

/**
 * xas_find_marked() - find the next marked entry in the XArray.
 * @xas: XArray operation state.
 * @max: highest index to return.
 * @mark: mark number to search for (>= XA_MAX_MARKS: returns NULL).
 *
 * As xas_find(), for entries with @mark. For XA_FREE_MARK in an allocating
 * array it may stop at a free (NULL) slot: the return is then NULL with the
 * state pointing at it (xas_valid() or XAS_BOUNDS beyond the tree).
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the entry, or NULL; when nothing more is marked, the state is
 * XAS_RESTART if the search passed @max, XAS_BOUNDS if it ran off the end
 * of the tree.
 */
UXA_API void *xas_find_marked(struct xa_state *xas, unsigned long max, xa_mark_t mark);

/**
 * xas_next_entry() - advance iterator to next present entry.
 * @xas: XArray operation state.
 * @max: highest index to return.
 *
 * The fast path of xas_for_each(): within a leaf node, no walk.
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the next present entry, or NULL.
 */
UXA_API void *xas_next_entry(struct xa_state *xas, unsigned long max);

/**
 * xas_next_marked() - advance iterator to next marked entry.
 * @xas: XArray operation state.
 * @max: highest index to return.
 * @mark: mark to search for.
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the next marked entry, or NULL.
 */
UXA_API void *xas_next_marked(struct xa_state *xas, unsigned long max, xa_mark_t mark);

/**
 * xas_next() - move state to next index.
 * @xas: XArray operation state.
 *
 * On a fresh state returns the entry at xa_index; otherwise moves to
 * xa_index + 1 (wrapping from ULONG_MAX to 0) and returns the raw slot
 * content there, as the kernel does: NULL, an entry, or an internal entry
 * (sibling, retry, zero) the caller must handle.
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the entry at the new index.
 */
UXA_API void *xas_next(struct xa_state *xas);

/**
 * xas_prev() - move state to previous index.
 * @xas: XArray operation state.
 *
 * As xas_next(), backwards (wrapping from 0 to ULONG_MAX).
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the entry at the new index.
 */
UXA_API void *xas_prev(struct xa_state *xas);

/**
 * xas_pause() - pause a walk to drop a lock.
 * @xas: XArray operation state.
 *
 * Moves the state past the current entry (and its siblings) and forgets the
 * node, so that the walk can continue after the lock is dropped and retaken
 * or the RCU read lock is left.
 *
 * Context: Any context.
 */
UXA_API void xas_pause(struct xa_state *xas);

/**
 * xas_nomem() - allocate memory if needed.
 * @xas: XArray operation state.
 * @gfp: memory allocation flags (may block: the caller holds no lock).
 *
 * If the last operation failed with -ENOMEM, allocate one node with @gfp
 * into xa_alloc and reset the state so the caller retries; otherwise free
 * any preallocated node.
 *
 * Context: Any context; must not hold xa_lock if @gfp may block. Allocates.
 * Return: true if memory was allocated and the operation should be retried.
 */
UXA_API bool xas_nomem(struct xa_state *xas, gfp_t gfp);

/**
 * xas_get_mark() - returns the state of this mark.
 * @xas: XArray operation state, after a walk.
 * @mark: mark number.
 *
 * Context: xa_lock or RCU read lock held.
 * Return: true if the mark is set at the current position; false if not,
 * if @xas is invalid, or for @mark >= XA_MAX_MARKS.
 */
UXA_API bool xas_get_mark(const struct xa_state *xas, xa_mark_t mark);

/**
 * xas_set_mark() - sets the mark on this entry and its parents.
 * @xas: XArray operation state, after a walk to a present entry.
 * @mark: mark number (>= XA_MAX_MARKS is ignored, reported in debug builds).
 *
 * Context: xa_lock held. Never allocates.
 */
UXA_API void xas_set_mark(const struct xa_state *xas, xa_mark_t mark);

/**
 * xas_clear_mark() - clears the mark on this entry and its parents.
 * @xas: XArray operation state, after a walk.
 * @mark: mark number (>= XA_MAX_MARKS is ignored, reported in debug builds).
 *
 * Context: xa_lock held. Never allocates.
 */
UXA_API void xas_clear_mark(const struct xa_state *xas, xa_mark_t mark);

/**
 * xas_init_marks() - initialise all marks for the entry.
 * @xas: XArray operation state.
 *
 * Clears every mark, except XA_FREE_MARK in an allocating array, which is
 * set (as for a freshly emptied slot).
 *
 * Context: xa_lock held. Never allocates.
 */
UXA_API void xas_init_marks(const struct xa_state *xas);

/**
 * xas_find_conflict() - find the next present entry in a range.
 * @xas: XArray operation state (with xa_shift/xa_sibs for the range).
 *
 * Walks the range a multi-index store at @xas would cover and returns each
 * present entry, for callers to decide whether storing may proceed.
 *
 * Context: xa_lock held.
 * Return: the next entry in the range, or NULL when done.
 */
UXA_API void *xas_find_conflict(struct xa_state *xas);

/**
 * xas_for_each() - iterate over a range of an XArray.
 * @xas: XArray operation state.
 * @entry: entry retrieved from the array.
 * @max: maximum index to retrieve from array.
 *
 * Context: xa_lock or RCU read lock held for the whole loop (use
 * xas_pause() before dropping it).
 */
#define xas_for_each(xas, entry, max) \
	for (entry = xas_find(xas, max); entry; entry = xas_next_entry(xas, max))

/**
 * xas_for_each_marked() - iterate over a range of an XArray, marked entries only.
 * @xas: XArray operation state.
 * @entry: entry retrieved from the array.
 * @max: maximum index to retrieve from array.
 * @mark: mark to search for.
 *
 * Context: As xas_for_each().
 */
#define xas_for_each_marked(xas, entry, max, mark) \
	for (entry = xas_find_marked(xas, max, mark); entry; \
	     entry = xas_next_marked(xas, max, mark))

/**
 * xas_for_each_conflict() - iterate over a range of an XArray.
 * @xas: XArray operation state.
 * @entry: entry retrieved from the array.
 *
 * Context: xa_lock held.
 */
#define xas_for_each_conflict(xas, entry) \
	while ((entry = xas_find_conflict(xas)))

/**
 * xas_create_range() - ensure that stores to this range will succeed.
 * @xas: XArray operation state (index and order give the range).
 *
 * Creates every node needed to store entries of order 0 across the range
 * described by @xas. On failure xas_error() is -ENOMEM.
 *
 * Context: xa_lock held. May allocate memory (GFP_NOWAIT).
 */
UXA_API void xas_create_range(struct xa_state *xas);

/**
 * xas_split_alloc() - allocate memory for splitting an entry.
 * @xas: XArray operation state, set to the order to split to (xas_set_order).
 * @entry: new entry which will be stored in the array.
 * @order: current entry order.
 * @gfp: memory allocation flags.
 *
 * Preallocates the nodes xas_split() needs when the split crosses a node
 * boundary. On failure xas_error() is -ENOMEM.
 *
 * Context: May sleep if @gfp allows; must not hold xa_lock then.
 */
UXA_API void xas_split_alloc(struct xa_state *xas, void *entry, unsigned int order, gfp_t gfp);

/**
 * xas_split() - split a multi-index entry into smaller entries.
 * @xas: XArray operation state, as given to xas_split_alloc().
 * @entry: new entry to store in each of the smaller entries.
 * @order: current entry order.
 *
 * The marks of the old entry are copied to every new entry.
 *
 * Context: xa_lock held. Uses the nodes from xas_split_alloc().
 */
UXA_API void xas_split(struct xa_state *xas, void *entry, unsigned int order);

/**
 * xas_get_order() - get the order of an entry.
 * @xas: XArray operation state, after xas_load().
 *
 * Context: xa_lock or RCU read lock held.
 * Return: the order of the entry at the current position (0 if none).
 */
UXA_API int xas_get_order(struct xa_state *xas);

#ifdef __cplusplus
}
#endif
#endif /* UXA_XARRAY_H */
