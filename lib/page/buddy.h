/* SPDX-License-Identifier: MIT */
/*
 * buddy.h - the page allocator's own data structures, shared by page.c (the
 * buddy allocator) and compact.c (compaction). Nothing outside lib/page
 * includes this, except white-box tests.
 *
 * Memory comes from the OS in chunks: one max-order block (4 MiB), aligned
 * to its size. Each chunk has a struct page_chunk holding one descriptor per
 * base page. Chunk structs are found from any address through a two-level
 * table indexed by chunk number (address >> PAGE_CHUNK_SHIFT); table levels
 * and chunk structs are never freed, only reused when the OS hands the same
 * address range back, so lock-free readers (page_owner()) may follow them
 * from any address at any time.
 *
 * Invariants (under page_alloc.lock):
 *  - Blocks partition every mapped chunk. The first page of a block (its
 *    head) has state PAGE_FREE, PAGE_USED or PAGE_CAPTURED and its order;
 *    every other page has state PAGE_TAIL. So the block containing page i
 *    is the one whose head is i rounded down to the smallest order o with
 *    a head there of order >= o (page_find_block()).
 *  - A PAGE_FREE head is on free_area[order] and its buddy is not a
 *    PAGE_FREE head of the same order (free buddies always coalesce), so a
 *    free aligned region of 2^k pages is always one free block of order >= k.
 *  - PAGE_CAPTURED heads lie inside the capture (at most one, held by the
 *    compaction in progress) and on no list.
 *  - desc->released is set only on free or captured pages: the page was
 *    given back to the OS (or never touched) and reads as zero.
 *    nr_released counts them.
 *  - Owner tags are set only on pages of PAGE_USED blocks (by their
 *    owner); they are cleared before a block becomes free.
 */
#ifndef UXA_PAGE_BUDDY_H
#define UXA_PAGE_BUDDY_H

#include <stdbool.h>
#include <stdint.h>

#include "page/page_internal.h"

#define PAGE_CHUNK_SHIFT	(UXA_PAGE_SHIFT + UXA_MAX_ORDER)
#define PAGE_CHUNK_SIZE		(1UL << PAGE_CHUNK_SHIFT)
#define PAGES_PER_CHUNK		(1U << UXA_MAX_ORDER)

/* Free blocks of at least this order are given back to the OS as they form. */
#define PAGE_RELEASE_ORDER	8
/* Entirely free chunks kept mapped (released, but reserved) for reuse. */
#define PAGE_RETAIN_CHUNKS	1

/* Owner tag: the owner's address with this bit set when it is movable. */
#define PAGE_TAG_MOVABLE	((uintptr_t)1)

enum page_state {
	PAGE_TAIL = 0,		/* not the head of a block */
	PAGE_FREE,		/* head of a free block, on a free list */
	PAGE_USED,		/* head of an allocated block */
	PAGE_CAPTURED,		/* head of a free block held by a compaction */
};

struct page_link {
	struct page_link *next, *prev;
};

/* One per base page. Only @tag is read without the allocator's lock. */
struct page_desc {
	uintptr_t tag;		/* owner | PAGE_TAG_MOVABLE; atomic */
	struct page_link link;	/* on free_area[order] while PAGE_FREE */
	uint16_t index;		/* page number inside its chunk; constant */
	uint8_t state;		/* enum page_state (heads only) */
	uint8_t order;		/* heads only */
	bool released;		/* free and given back to the OS: reads as zero */
};

struct page_chunk {
	uintptr_t base;			/* constant once installed */
	struct page_chunk *next;	/* every chunk struct ever made */
	bool mapped;			/* the range is ours; written under the
					 * lock (relaxed atomic), read without */
	struct page_desc pages[PAGES_PER_CHUNK];
};

/* A block of a compaction in progress; see compact.c. */
struct page_capture {
	struct page_chunk *chunk;	/* NULL: no capture */
	unsigned int start;		/* first page, aligned to 1 << order */
	unsigned int order;
	unsigned int captured;		/* pages of the block held, free */
};

struct page_allocator {
	/*
	 * The page allocator lock: protects everything in this structure and
	 * every descriptor field but @tag. Lock order: 5, innermost (only the
	 * compaction mutex and locks 1-4 may be held when taking it).
	 */
	uxa_spinlock_t lock;
	struct page_link free_area[UXA_NR_ORDERS];
	unsigned long nr_free[UXA_NR_ORDERS];	/* blocks on each list */
	unsigned long nr_free_pages;		/* pages on the free lists */
	unsigned long nr_captured;		/* pages held by the capture */
	unsigned long nr_used;			/* pages allocated */
	unsigned long nr_released;		/* free/captured pages released */
	unsigned long nr_chunks;		/* chunks mapped */
	struct page_chunk *chunks;		/* every chunk struct ever made;
						 * published with release */
	size_t limit;				/* 0: unlimited */
	struct page_capture capture;
	unsigned long allocs, frees, failures;
	unsigned long compactions, compactions_succeeded, compactions_deferred;
	unsigned long compact_pages_moved;
	unsigned long long compact_ns;
};

SYNC_HIDDEN extern struct page_allocator page_alloc;

static inline struct page_chunk *desc_chunk(struct page_desc *d)
{
	return container_of(d - d->index, struct page_chunk, pages[0]);
}

static inline void *desc_addr(struct page_desc *d)
{
	return (void *)(desc_chunk(d)->base + ((uintptr_t)d->index << UXA_PAGE_SHIFT));
}

/* A bitmap of the pages of one block that may hold stale data. */
struct page_dirty_map {
	unsigned long bits[PAGES_PER_CHUNK / (8 * sizeof(unsigned long))];
};

/* page.c, all with page_alloc.lock held. */
SYNC_HIDDEN struct page_desc *buddy_take_locked(unsigned int order);
SYNC_HIDDEN void buddy_mark_used_locked(struct page_desc *d, unsigned int order,
					struct page_dirty_map *dirty);
SYNC_HIDDEN void buddy_free_locked(struct page_desc *d, unsigned int order);
SYNC_HIDDEN void buddy_list_del_locked(struct page_desc *d);
SYNC_HIDDEN bool buddy_has_free_locked(unsigned int order);

/* page.c: zero the dirty pages of a block (no lock needed). */
SYNC_HIDDEN void buddy_zero_dirty(void *block, unsigned int order,
				  const struct page_dirty_map *dirty);

/* compact.c: called by uxa_alloc_pages() without the lock; returns an
 * allocated (PAGE_USED, accounted) block or NULL. */
SYNC_HIDDEN struct page_desc *compact_for_alloc(unsigned int order,
						struct page_dirty_map *dirty);
/* compact.c: may this thread compact for an allocation now? */
SYNC_HIDDEN bool compact_allowed(void);

/*
 * page_check_invariants() - walk every chunk and free list and verify the
 * invariants above (tests and debugging). Takes the lock.
 * Return: 0, or a negative number identifying the first violation found
 * (also reported on stderr).
 */
SYNC_HIDDEN int page_check_invariants(void);

#endif /* UXA_PAGE_BUDDY_H */
