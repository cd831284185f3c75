/* SPDX-License-Identifier: MIT */
/*
 * uxa/page.h - the page allocator: naturally aligned blocks of 2^order pages.
 *
 * A binary buddy allocator over address space reserved from the OS in large
 * chunks. A block of order k is 2^k base pages (UXA_PAGE_SIZE each) and its
 * address is a multiple of its size. Free buddies coalesce; free memory goes
 * back to the OS (MADV_DONTNEED on large free blocks, whole free chunks
 * unmapped), so the process's resident set really falls.
 *
 * An optional limit caps the bytes the allocator may manage, modelling a
 * machine with fixed physical memory: under it, a high-order request can
 * fail from fragmentation although enough free pages exist in total. Then
 * compaction (uxa_page_compact(), or automatically for requests that may
 * block) asks the slab layer to move objects out of the way.
 */
#ifndef UXA_PAGE_H
#define UXA_PAGE_H

#include <stdio.h>
#include <uxa/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UXA_PAGE_SHIFT	12
#define UXA_PAGE_SIZE	(1UL << UXA_PAGE_SHIFT)
#define UXA_MAX_ORDER	10			/* largest block: 2^10 pages, 4 MiB */
#define UXA_NR_ORDERS	(UXA_MAX_ORDER + 1)

/**
 * struct uxa_page_stats - a snapshot of the page allocator.
 * @bytes_reserved: address space currently mapped from the OS (chunks).
 * @bytes_in_use: bytes handed out in blocks and not yet freed.
 * @bytes_free: bytes in free blocks (@bytes_reserved - @bytes_in_use),
 *     including those held by a compaction in progress.
 * @bytes_resident: bytes of reserved memory actually resident (mincore(),
 *     measured just after the other fields, without the lock).
 * @bytes_released: free bytes already given back to the OS but still reserved.
 * @limit: the managed-bytes limit, 0 when unlimited.
 * @free_blocks: free blocks per order, like /proc/buddyinfo.
 * @largest_free_order: highest order with a free block, -1 when none.
 * @frag_index: per order, the kernel's fragmentation index scaled by 1000:
 *     -1000 when a block of that order is free (no failure expected),
 *     otherwise 0 (failure would be from lack of memory) up to 1000
 *     (failure would be from fragmentation).
 * @allocs: blocks allocated since start.
 * @frees: blocks freed since start.
 * @failures: allocation requests that returned NULL.
 * @compactions: compactions attempted (allocation path and
 *     uxa_page_compact(), not counting calls that found a free block).
 * @compactions_succeeded: those that produced a free block of their order.
 * @compactions_deferred: allocations that skipped compaction because recent
 *     ones at that order failed (as the kernel's defer_compaction()).
 * @compact_pages_moved: in-use pages vacated by compaction since start.
 * @compact_ns: nanoseconds spent compacting since start.
 */
struct uxa_page_stats {
	size_t bytes_reserved;
	size_t bytes_in_use;
	size_t bytes_free;
	size_t bytes_resident;
	size_t bytes_released;
	size_t limit;
	unsigned long free_blocks[UXA_NR_ORDERS];
	int largest_free_order;
	int frag_index[UXA_NR_ORDERS];
	unsigned long allocs;
	unsigned long frees;
	unsigned long failures;
	unsigned long compactions;
	unsigned long compactions_succeeded;
	unsigned long compactions_deferred;
	unsigned long compact_pages_moved;
	unsigned long long compact_ns;
};

/**
 * struct uxa_compact_stats - what one compaction did.
 * @order: the order asked for.
 * @success: a free block of @order was made (or already existed).
 * @blocks_scanned: aligned candidate blocks of @order examined.
 * @owners_asked: owners handed to the layer above to vacate, over all
 *     attempts.
 * @owners_vacated: owners it reported vacated completely.
 * @pages_moved: in-use pages of the target blocks that were vacated.
 * @ns: wall-clock nanoseconds the compaction took.
 * @free_blocks_before: free blocks per order before (like @free_blocks of
 *     struct uxa_page_stats).
 * @free_blocks_after: free blocks per order after.
 */
struct uxa_compact_stats {
	unsigned int order;
	bool success;
	unsigned long blocks_scanned;
	unsigned long owners_asked;
	unsigned long owners_vacated;
	unsigned long pages_moved;
	unsigned long long ns;
	unsigned long free_blocks_before[UXA_NR_ORDERS];
	unsigned long free_blocks_after[UXA_NR_ORDERS];
};

/**
 * uxa_alloc_pages() - allocate a naturally aligned block of 2^@order pages.
 * @gfp: allocation flags; __GFP_ZERO returns zeroed memory.
 * @order: 0..UXA_MAX_ORDER.
 *
 * When the limit leaves no free block large enough although enough pages
 * are free, and @gfp has __GFP_DIRECT_RECLAIM, the allocator compacts:
 * it asks the slab to move the objects out of the cheapest aligned block
 * of movable pages and hands that block over (see uxa_page_compact()).
 *
 * Context: Any thread; takes the page allocator's lock; may map memory.
 * With __GFP_DIRECT_RECLAIM it may block on the compaction mutex, which
 * comes before every other lock of the library: hold none of them then
 * (pass GFP_NOWAIT under a lock).
 * Return: the block's address (a multiple of UXA_PAGE_SIZE << @order), or
 * NULL with errno ENOMEM (no memory, or the limit reached and no free block
 * large enough) or EINVAL (@order out of range, unknown @gfp bits).
 */
UXA_API void *uxa_alloc_pages(gfp_t gfp, unsigned int order);

/**
 * uxa_free_pages() - free a block from uxa_alloc_pages().
 * @addr: the block's address; NULL is ignored.
 * @order: the order it was allocated with.
 *
 * An address the allocator did not hand out (outside its memory, or not
 * the start of an allocated block), or an order that does not match, is
 * reported on stderr and nothing is freed; a double free (an address inside
 * a free block) aborts with a message in debug builds and is reported and
 * ignored otherwise.
 *
 * Context: Any thread; takes the page allocator's lock; may madvise or
 * unmap memory.
 */
UXA_API void uxa_free_pages(void *addr, unsigned int order);

/**
 * uxa_page_set_limit() - cap the bytes the allocator may manage.
 * @bytes: a multiple of the chunk size (UXA_PAGE_SIZE << UXA_MAX_ORDER),
 *         or 0 for no limit.
 *
 * Memory already reserved is kept; the limit only stops further growth.
 *
 * Context: Any thread; takes the page allocator's lock.
 * Return: 0, or -EINVAL if @bytes is not a multiple of the chunk size.
 */
UXA_API int uxa_page_set_limit(size_t bytes);

/**
 * uxa_page_release_free() - give every free page back to the OS now.
 *
 * Every free block is MADV_DONTNEED'd and every entirely free chunk is
 * unmapped, including the one normally kept for reuse.
 *
 * Context: Any thread; takes the page allocator's lock; makes system calls.
 * Return: bytes newly released: free bytes that had not been given back to
 * the OS before (madvised now, or unmapped with their chunk).
 */
UXA_API size_t uxa_page_release_free(void);

/**
 * uxa_page_compact() - make a free block of 2^@order pages exist.
 * @order: 0..UXA_MAX_ORDER.
 * @st: filled with what was done, or NULL.
 *
 * Explicit, on-demand compaction ("reliable higher-order allocations"):
 * the aligned block of @order that is cheapest to clear (every in-use page
 * in it owned by a movable slab; cost = in-use pages) is captured, so that
 * nothing can be allocated into it, and the slab layer is asked to move
 * the objects of its owners elsewhere. Once the whole block is free it is
 * put on the free list. A bounded number of candidates is tried, cheapest
 * first. Compactions are serialised.
 *
 * Context: A thread holding no lock of the library (it takes the
 * compaction mutex, which comes before every other lock, and runs the
 * slab's mobility callbacks). From inside those callbacks it returns
 * -EAGAIN instead of compacting again.
 * Return: 0 when a free block of @order exists (already, or made now);
 * -EINVAL if @order is out of range; -ENOMEM if no block could be cleared
 * (no candidate of movable pages, or no mobility registered); -EAGAIN if
 * candidates existed but none could be emptied, or when called recursively;
 * -EDEADLK (with a message) inside an RCU read-side section or an RCU
 * callback, where waiting for a grace period would wait for the caller.
 * Allocations (uxa_alloc_pages() with __GFP_DIRECT_RECLAIM) from such a
 * context simply do not compact.
 */
UXA_API int uxa_page_compact(unsigned int order, struct uxa_compact_stats *st);

/**
 * uxa_page_get_stats() - fill @st with a snapshot of the page allocator.
 * @st: where to write.
 *
 * Context: Any thread; takes the page allocator's lock, then calls
 * mincore() once per chunk without it.
 */
UXA_API void uxa_page_get_stats(struct uxa_page_stats *st);

/**
 * uxa_page_dump() - print a buddyinfo-style table and the totals to @f.
 * @f: output stream.
 *
 * Context: Any thread; takes the page allocator's lock.
 */
UXA_API void uxa_page_dump(FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* UXA_PAGE_H */
