/* SPDX-License-Identifier: MIT */
/*
 * page.c - the buddy page allocator.
 *
 * Naturally aligned blocks of 2^order base pages, order 0..UXA_MAX_ORDER,
 * carved from 4 MiB chunks that are mapped from the OS aligned to their
 * size (map twice the size, trim both ends). Allocation takes the first
 * block of the smallest order that fits and splits it, putting the upper
 * halves on the lower free lists; freeing merges a block with its buddy
 * (index ^ (1 << order)) while the buddy is a free block of the same order.
 *
 * Giving memory back: a free block that forms with order >=
 * PAGE_RELEASE_ORDER has its not-yet-released pages MADV_DONTNEED'd, and a
 * whole free chunk beyond PAGE_RETAIN_CHUNKS is unmapped. Released pages
 * read as zero, so __GFP_ZERO only clears the pages that were not.
 *
 * Descriptors (struct page_desc, one per page) live outside the pages, so
 * neither the allocator nor a lock-free page_owner() ever touches page
 * memory, and released pages stay non-resident. See buddy.h for the data
 * structures and their invariants.
 *
 * Concurrency: one spinlock, page_alloc.lock (lock order 5, innermost),
 * protects the free lists, the chunk table's writers and all descriptor
 * fields except the owner tag, which is an atomic word written by its owner
 * (release) and read by anyone (acquire). System calls (mmap, madvise,
 * munmap) are made under the lock: they are rare (once per 4 MiB mapped,
 * per >= 1 MiB block released) and keep the accounting exact. Statistics
 * call mincore() after dropping it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "debug.h"
#include "page/buddy.h"

struct page_allocator page_alloc = {
	.lock = UXA_SPINLOCK_INIT,
};

/* ------------------------------------------------------------------ */
/* The chunk table: chunk number -> struct page_chunk, lock-free reads. */

#define PAGE_ADDR_BITS		48	/* user addresses of x86-64 and arm64 */
#define PAGE_LEAF_BITS		13
#define PAGE_DIR_BITS		(PAGE_ADDR_BITS - PAGE_CHUNK_SHIFT - PAGE_LEAF_BITS)
#define PAGE_LEAF_SIZE		(1UL << PAGE_LEAF_BITS)

/*
 * Both levels are written under page_alloc.lock with release stores and
 * read with acquire loads (pairs named at each); neither is ever freed.
 */
static struct page_chunk **chunk_dir[1UL << PAGE_DIR_BITS];

static struct page_chunk *chunk_lookup(uintptr_t addr)
{
	struct page_chunk **leaf;
	uintptr_t nr;

	if (addr >> PAGE_ADDR_BITS)
		return NULL;
	nr = addr >> PAGE_CHUNK_SHIFT;
	/* Pairs with the release in chunk_table_slot(). */
	leaf = sync_load_acquire(&chunk_dir[nr >> PAGE_LEAF_BITS]);
	if (!leaf)
		return NULL;
	/* Pairs with the release in chunk_struct_for(). */
	return sync_load_acquire(&leaf[nr & (PAGE_LEAF_SIZE - 1)]);
}

/* The table slot for the chunk at @base, making the leaf if needed. */
static struct page_chunk **chunk_table_slot(uintptr_t base)
{
	uintptr_t nr = base >> PAGE_CHUNK_SHIFT;
	struct page_chunk ***dirp = &chunk_dir[nr >> PAGE_LEAF_BITS];
	struct page_chunk **leaf = sync_load_relaxed(dirp);

	if (!leaf) {
		leaf = calloc(PAGE_LEAF_SIZE, sizeof(*leaf));
		if (!leaf)
			return NULL;
		/* Pairs with the acquire in chunk_lookup(): the zeroed leaf. */
		sync_store_release(dirp, leaf);
	}
	return &leaf[nr & (PAGE_LEAF_SIZE - 1)];
}

/* The chunk struct for a range just mapped at @base (reused or new). */
static struct page_chunk *chunk_struct_for(uintptr_t base)
{
	struct page_chunk **slot = chunk_table_slot(base);
	struct page_chunk *chunk;

	if (!slot)
		return NULL;
	chunk = sync_load_relaxed(slot);
	if (chunk)
		return chunk;
	chunk = calloc(1, sizeof(*chunk));
	if (!chunk)
		return NULL;
	chunk->base = base;
	for (unsigned int i = 0; i < PAGES_PER_CHUNK; i++)
		chunk->pages[i].index = (uint16_t)i;
	chunk->next = page_alloc.chunks;
	/* Pairs with the acquire in resident_pages(): base and next. */
	sync_store_release(&page_alloc.chunks, chunk);
	/* Pairs with the acquire in chunk_lookup(): base and indexes. */
	sync_store_release(slot, chunk);
	return chunk;
}

/* ------------------------------------------------------------------ */
/* Free lists.                                                          */

static void list_init(struct page_link *head)
{
	head->next = head->prev = head;
}

static void buddy_list_add_locked(struct page_desc *d, unsigned int order)
{
	struct page_link *head = &page_alloc.free_area[order];

	if (!head->next)	/* first use: the static initialiser left it zeroed */
		list_init(head);
	d->state = PAGE_FREE;
	d->order = (uint8_t)order;
	d->link.next = head->next;
	d->link.prev = head;
	head->next->prev = &d->link;
	head->next = &d->link;
	page_alloc.nr_free[order]++;
	page_alloc.nr_free_pages += 1UL << order;
}

void buddy_list_del_locked(struct page_desc *d)
{
	UXA_ASSERT(d->state == PAGE_FREE);
	d->link.prev->next = d->link.next;
	d->link.next->prev = d->link.prev;
	d->link.next = d->link.prev = NULL;
	page_alloc.nr_free[d->order]--;
	page_alloc.nr_free_pages -= 1UL << d->order;
}

static struct page_desc *list_first(unsigned int order)
{
	struct page_link *head = &page_alloc.free_area[order];

	if (!page_alloc.nr_free[order])
		return NULL;
	return container_of(head->next, struct page_desc, link);
}

bool buddy_has_free_locked(unsigned int order)
{
	for (unsigned int o = order; o <= UXA_MAX_ORDER; o++)
		if (page_alloc.nr_free[o])
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Chunks: mapping from and returning to the OS.                       */

static void *map_aligned_chunk(void)
{
	size_t len = 2 * PAGE_CHUNK_SIZE;
	uintptr_t raw, base;
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	raw = (uintptr_t)p;
	base = (raw + PAGE_CHUNK_SIZE - 1) & ~(PAGE_CHUNK_SIZE - 1);
	if (base > raw)
		munmap(p, base - raw);
	if (raw + len > base + PAGE_CHUNK_SIZE)
		munmap((void *)(base + PAGE_CHUNK_SIZE), raw + len - base - PAGE_CHUNK_SIZE);
	return (void *)base;
}

/* Map one more chunk and put it on the max-order free list. */
static bool chunk_grow_locked(void)
{
	struct page_chunk *chunk;
	void *base;

	if (page_alloc.limit &&
	    (page_alloc.nr_chunks + 1) * PAGE_CHUNK_SIZE > page_alloc.limit)
		return false;
	base = map_aligned_chunk();
	if (!base)
		return false;
	chunk = chunk_struct_for((uintptr_t)base);
	if (!chunk) {
		munmap(base, PAGE_CHUNK_SIZE);
		return false;
	}
	for (unsigned int i = 0; i < PAGES_PER_CHUNK; i++) {
		struct page_desc *d = &chunk->pages[i];

		UXA_ASSERT(!sync_load_relaxed(&d->tag));
		d->state = PAGE_TAIL;
		d->order = 0;
		d->released = true;	/* fresh anonymous memory: zero, not resident */
	}
	sync_store_relaxed(&chunk->mapped, true);	/* read by resident_pages() */
	page_alloc.nr_chunks++;
	page_alloc.nr_released += PAGES_PER_CHUNK;
	buddy_list_add_locked(&chunk->pages[0], UXA_MAX_ORDER);
	return true;
}

/*
 * Unmap a whole free chunk whose max-order block is on no list.
 * Return: how many of its pages were not released before.
 */
static unsigned long chunk_unmap_locked(struct page_chunk *chunk)
{
	unsigned long unreleased = 0;

	for (unsigned int i = 0; i < PAGES_PER_CHUNK; i++) {
		struct page_desc *d = &chunk->pages[i];

		if (d->released)
			page_alloc.nr_released--;
		else
			unreleased++;
		d->released = false;
		d->state = PAGE_TAIL;
	}
	sync_store_relaxed(&chunk->mapped, false);	/* read by resident_pages() */
	munmap((void *)chunk->base, PAGE_CHUNK_SIZE);
	page_alloc.nr_chunks--;
	return unreleased;
}

/*
 * Give the pages of a free block that are not released yet back to the OS,
 * one madvise() per run of such pages. Return: pages released.
 */
static unsigned long release_block_locked(struct page_desc *head, unsigned int order)
{
	unsigned long n = 1UL << order, done = 0;
	struct page_desc *d = head;

	for (unsigned long i = 0; i < n; ) {
		unsigned long run = 0;

		while (i + run < n && !d[i + run].released)
			run++;
		if (run) {
			if (madvise(desc_addr(&d[i]), run << UXA_PAGE_SHIFT, MADV_DONTNEED) == 0) {
				for (unsigned long j = i; j < i + run; j++)
					d[j].released = true;
				done += run;
			}
			i += run;
		} else {
			i++;
		}
	}
	page_alloc.nr_released += done;
	return done;
}

/* ------------------------------------------------------------------ */
/* Allocation and freeing.                                              */

/* Take a free block of @order, splitting a larger one or mapping a chunk. */
struct page_desc *buddy_take_locked(unsigned int order)
{
	struct page_desc *d = NULL;
	unsigned int o;

	for (o = order; o <= UXA_MAX_ORDER; o++) {
		d = list_first(o);
		if (d)
			break;
	}
	if (!d) {
		if (!chunk_grow_locked())
			return NULL;
		o = UXA_MAX_ORDER;
		d = list_first(o);
	}
	buddy_list_del_locked(d);
	while (o > order) {
		o--;
		buddy_list_add_locked(d + (1U << o), o);
	}
	d->order = (uint8_t)order;
	return d;
}

/*
 * Mark @d (a block of @order off every list) allocated. Released pages
 * stop being counted as such; @dirty, if given, gets the pages that were
 * not released (the only ones __GFP_ZERO must clear).
 */
void buddy_mark_used_locked(struct page_desc *d, unsigned int order,
			    struct page_dirty_map *dirty)
{
	unsigned long n = 1UL << order, released = 0;
	const unsigned int bpw = 8 * sizeof(unsigned long);

	if (dirty)
		memset(dirty, 0, sizeof(*dirty));
	for (unsigned long i = 0; i < n; i++) {
		if (d[i].released) {
			d[i].released = false;
			released++;
		} else if (dirty) {
			dirty->bits[i / bpw] |= 1UL << (i % bpw);
		}
	}
	d->state = PAGE_USED;
	d->order = (uint8_t)order;
	page_alloc.nr_released -= released;
	page_alloc.nr_used += n;
	page_alloc.allocs++;
}

static bool in_capture(struct page_desc *d)
{
	const struct page_capture *cap = &page_alloc.capture;

	return cap->chunk && desc_chunk(d) == cap->chunk &&
	       d->index >= cap->start && d->index < cap->start + (1U << cap->order);
}

/*
 * Put the block @d of @order (off every list, tags cleared, pages not
 * counted anywhere) back: into the capture if it lies inside it, else
 * merged with its free buddies onto a free list, released to the OS if it
 * grew large enough, unmapped if it became a spare whole chunk.
 */
void buddy_free_locked(struct page_desc *d, unsigned int order)
{
	struct page_desc *base = d - d->index;
	unsigned int idx = d->index;

	if (in_capture(d)) {
		d->state = PAGE_CAPTURED;
		d->order = (uint8_t)order;
		page_alloc.capture.captured += 1U << order;
		page_alloc.nr_captured += 1UL << order;
		return;
	}
	while (order < UXA_MAX_ORDER) {
		struct page_desc *buddy = &base[idx ^ (1U << order)];

		if (buddy->state != PAGE_FREE || buddy->order != order)
			break;
		buddy_list_del_locked(buddy);
		buddy->state = PAGE_TAIL;
		base[idx].state = PAGE_TAIL;
		idx &= ~(1U << order);
		order++;
	}
	d = &base[idx];
	if (order == UXA_MAX_ORDER && page_alloc.nr_free[UXA_MAX_ORDER] >= PAGE_RETAIN_CHUNKS) {
		chunk_unmap_locked(desc_chunk(d));
		return;
	}
	if (order >= PAGE_RELEASE_ORDER)
		release_block_locked(d, order);
	buddy_list_add_locked(d, order);
}

void buddy_zero_dirty(void *block, unsigned int order, const struct page_dirty_map *dirty)
{
	const unsigned int bpw = 8 * sizeof(unsigned long);
	unsigned long n = 1UL << order;
	char *p = block;

	for (unsigned long i = 0; i < n; ) {
		unsigned long run = 0;

		while (i + run < n && (dirty->bits[(i + run) / bpw] >> ((i + run) % bpw) & 1))
			run++;
		if (run) {
			memset(p + (i << UXA_PAGE_SHIFT), 0, run << UXA_PAGE_SHIFT);
			i += run;
		} else {
			i++;
		}
	}
}

/*
 * Allocation-failure messages, like the kernel's warn_alloc(): at most
 * PAGE_WARN_BURST per PAGE_WARN_INTERVAL seconds, so a program running into
 * its limit is told without being drowned. Relaxed: approximate is fine.
 */
#define PAGE_WARN_INTERVAL	5
#define PAGE_WARN_BURST		10

static bool page_warn_ratelimit(void)
{
	static long window_start;
	static unsigned int printed;
	long now = (long)time(NULL);

	if (now - sync_load_relaxed(&window_start) >= PAGE_WARN_INTERVAL) {
		sync_store_relaxed(&window_start, now);
		sync_store_relaxed(&printed, 0);
	}
	return sync_fetch_add_relaxed(&printed, 1) < PAGE_WARN_BURST;
}

UXA_API void *uxa_alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page_dirty_map dirty;
	struct page_desc *d;
	bool worth_compacting = false;
	bool zero = gfp & __GFP_ZERO;
	void *addr;

	if (order > UXA_MAX_ORDER || (gfp & ~__GFP_VALID_MASK)) {
		uxa_report("uxa_alloc_pages: %s (gfp %#x, order %u; orders 0..%u)",
			   order > UXA_MAX_ORDER ? "order out of range" : "unknown gfp bits",
			   gfp, order, UXA_MAX_ORDER);
		errno = EINVAL;
		return NULL;
	}
	sync_spin_lock(&page_alloc.lock);
	d = buddy_take_locked(order);
	if (d)
		buddy_mark_used_locked(d, order, zero ? &dirty : NULL);
	else
		worth_compacting = page_alloc.nr_free_pages >= (1UL << order);
	sync_spin_unlock(&page_alloc.lock);

	if (!d && worth_compacting && (gfp & __GFP_DIRECT_RECLAIM) && compact_allowed())
		d = compact_for_alloc(order, zero ? &dirty : NULL);
	if (!d) {
		sync_spin_lock(&page_alloc.lock);
		page_alloc.failures++;
		sync_spin_unlock(&page_alloc.lock);
		if (!(gfp & __GFP_NOWARN) && page_warn_ratelimit())
			uxa_report("uxa_alloc_pages: no block of order %u (%s)", order,
				   worth_compacting ? "free memory too fragmented" :
				   "out of memory or at the limit");
		errno = ENOMEM;
		return NULL;
	}
	addr = desc_addr(d);
	if (zero)
		buddy_zero_dirty(addr, order, &dirty);
	return addr;
}

/* The block containing @d: its head, or NULL in an unmapped chunk. */
static struct page_desc *page_find_block(struct page_desc *d)
{
	struct page_desc *base = d - d->index;

	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++) {
		struct page_desc *h = &base[d->index & ~((1U << o) - 1)];

		if (h->state != PAGE_TAIL && h->order >= o)
			return h;
	}
	return NULL;
}

enum free_verdict {
	FREE_OK,
	FREE_FOREIGN,		/* not in a chunk we have mapped */
	FREE_DOUBLE,		/* the start of a free block: freed already */
	FREE_WRONG_ORDER,	/* an allocated block of another order */
	FREE_INSIDE,		/* inside an allocated block, not its start */
	FREE_INTO_FREE,		/* inside a free block, not its start */
};

/* Is (@addr, @order) a block we handed out? Sets *@found to its block. */
static enum free_verdict check_free_locked(uintptr_t addr, unsigned int order,
					   struct page_desc **found)
{
	struct page_chunk *chunk = chunk_lookup(addr);
	struct page_desc *d, *h;

	*found = NULL;
	if (!chunk || !chunk->mapped)
		return FREE_FOREIGN;
	d = &chunk->pages[(addr - chunk->base) >> UXA_PAGE_SHIFT];
	h = page_find_block(d);
	if (!h)
		return FREE_FOREIGN;
	*found = h;
	if (h != d || (addr & (UXA_PAGE_SIZE - 1)))
		return h->state == PAGE_USED ? FREE_INSIDE : FREE_INTO_FREE;
	if (h->state == PAGE_FREE || h->state == PAGE_CAPTURED)
		return FREE_DOUBLE;
	if (h->order != order)
		return FREE_WRONG_ORDER;
	return FREE_OK;
}

static void clear_tags(struct page_desc *d, unsigned int order)
{
	for (unsigned long i = 0; i < (1UL << order); i++)
		if (sync_load_relaxed(&d[i].tag))
			sync_store_relaxed(&d[i].tag, 0);
}

UXA_API void uxa_free_pages(void *addr, unsigned int order)
{
	enum free_verdict verdict;
	struct page_desc *h;
	void *block = NULL;
	unsigned int block_order = 0;

	if (!addr)
		return;
	if (order > UXA_MAX_ORDER) {
		uxa_report("uxa_free_pages(%p, %u): order out of range; nothing freed", addr, order);
		return;
	}
	sync_spin_lock(&page_alloc.lock);
	verdict = check_free_locked((uintptr_t)addr, order, &h);
	if (verdict == FREE_OK) {
		page_alloc.nr_used -= 1UL << order;
		page_alloc.frees++;
		clear_tags(h, order);
		buddy_free_locked(h, order);
	} else if (h) {
		block = desc_addr(h);
		block_order = h->order;
	}
	sync_spin_unlock(&page_alloc.lock);

	switch (verdict) {
	case FREE_OK:
		break;
	case FREE_FOREIGN:
		uxa_report("uxa_free_pages(%p, %u): not memory of the page allocator; nothing freed",
			   addr, order);
		break;
	case FREE_DOUBLE:
		uxa_debug_bug("uxa_free_pages(%p, %u): double free (inside free block %p of order %u)",
			      addr, order, block, block_order);
		break;
	case FREE_WRONG_ORDER:
		uxa_report("uxa_free_pages(%p, %u): block was allocated with order %u; nothing freed",
			   addr, order, block_order);
		break;
	case FREE_INSIDE:
		uxa_report("uxa_free_pages(%p, %u): not the start of a block (inside %p of order %u); nothing freed",
			   addr, order, block, block_order);
		break;
	case FREE_INTO_FREE:
		uxa_debug_bug("uxa_free_pages(%p, %u): inside free block %p of order %u (double free?)",
			      addr, order, block, block_order);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Owner tags.                                                          */

void page_set_owner(void *block, unsigned int order, void *owner, bool movable)
{
	struct page_chunk *chunk = chunk_lookup((uintptr_t)block);
	uintptr_t tag = (uintptr_t)owner;
	struct page_desc *d;

	if (!chunk || order > UXA_MAX_ORDER || ((uintptr_t)block & ((UXA_PAGE_SIZE << order) - 1)))
		uxa_bug("page_set_owner(%p, %u): not a block of the page allocator", block, order);
	UXA_ASSERT(!(tag & PAGE_TAG_MOVABLE));
	if (owner && movable)
		tag |= PAGE_TAG_MOVABLE;
	d = &chunk->pages[((uintptr_t)block - chunk->base) >> UXA_PAGE_SHIFT];
#if UXA_DEBUG
	sync_spin_lock(&page_alloc.lock);
	bool ok = chunk->mapped && d->state == PAGE_USED && d->order == order;
	sync_spin_unlock(&page_alloc.lock);
	if (!ok)
		uxa_bug("page_set_owner(%p, %u): not an allocated block of that order", block, order);
#endif
	for (unsigned long i = 0; i < (1UL << order); i++)
		/* Pairs with the acquire in page_owner(): the owner's initialisation. */
		sync_store_release(&d[i].tag, tag);
}

void *page_owner(const void *addr)
{
	struct page_chunk *chunk = chunk_lookup((uintptr_t)addr);
	uintptr_t tag;

	if (!chunk)
		return NULL;
	/* Pairs with the release in page_set_owner(). */
	tag = sync_load_acquire(&chunk->pages[((uintptr_t)addr - chunk->base) >> UXA_PAGE_SHIFT].tag);
	return (void *)(tag & ~PAGE_TAG_MOVABLE);
}

/* ------------------------------------------------------------------ */
/* Limit, release, statistics.                                          */

UXA_API int uxa_page_set_limit(size_t bytes)
{
	if (bytes % PAGE_CHUNK_SIZE) {
		uxa_report("uxa_page_set_limit(%zu): not a multiple of the chunk size %lu",
			   bytes, PAGE_CHUNK_SIZE);
		return -EINVAL;
	}
	sync_spin_lock(&page_alloc.lock);
	page_alloc.limit = bytes;
	sync_spin_unlock(&page_alloc.lock);
	return 0;
}

/* Release every free page of @c, unmapping it if it is all free. */
static unsigned long release_chunk_locked(struct page_chunk *c)
{
	unsigned long pages = 0;

	if (c->pages[0].state == PAGE_FREE && c->pages[0].order == UXA_MAX_ORDER) {
		buddy_list_del_locked(&c->pages[0]);
		return chunk_unmap_locked(c);
	}
	for (unsigned int i = 0; i < PAGES_PER_CHUNK; i += 1U << c->pages[i].order) {
		struct page_desc *d = &c->pages[i];

		if (d->state == PAGE_FREE)
			pages += release_block_locked(d, d->order);
	}
	return pages;
}

UXA_API size_t uxa_page_release_free(void)
{
	unsigned long pages = 0;

	sync_spin_lock(&page_alloc.lock);
	for (struct page_chunk *c = page_alloc.chunks; c; c = c->next) {
		if (c->mapped)
			pages += release_chunk_locked(c);
		/* Let allocations in between chunks: chunk structs are never
		 * freed, so the walk survives. */
		sync_spin_unlock(&page_alloc.lock);
		sync_spin_lock(&page_alloc.lock);
	}
	sync_spin_unlock(&page_alloc.lock);
	return pages << UXA_PAGE_SHIFT;
}

/*
 * Resident pages of the mapped chunks, counted without the lock so that a
 * large heap's mincore() calls do not stall allocation. A chunk unmapped
 * meanwhile fails mincore() (ENOMEM) and is skipped.
 */
static unsigned long resident_pages(void)
{
	unsigned char vec[PAGES_PER_CHUNK];
	unsigned long n = 0;

	/* Pairs with the release in chunk_struct_for(); next never changes. */
	for (struct page_chunk *c = sync_load_acquire(&page_alloc.chunks); c; c = c->next) {
		if (!sync_load_relaxed(&c->mapped) || mincore((void *)c->base, PAGE_CHUNK_SIZE, vec))
			continue;
		for (unsigned int i = 0; i < PAGES_PER_CHUNK; i++)
			n += vec[i] & 1;
	}
	return n;
}

/*
 * The kernel's __fragmentation_index(), scaled by 1000: -1000 when a block
 * of @order is free; else 1000 - (1000 + free_pages * 1000 / 2^order) /
 * free_blocks, towards 1000 when a failure would be from fragmentation,
 * towards 0 (below it with almost nothing free) when from lack of memory.
 */
static int frag_index_locked(unsigned int order)
{
	unsigned long blocks = 0, requested = 1UL << order;

	if (buddy_has_free_locked(order))
		return -1000;
	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++)
		blocks += page_alloc.nr_free[o];
	if (!blocks)
		return 0;
	return (int)(1000 - (long)((1000 + page_alloc.nr_free_pages * 1000 / requested) / blocks));
}

UXA_API void uxa_page_get_stats(struct uxa_page_stats *st)
{
	memset(st, 0, sizeof(*st));
	sync_spin_lock(&page_alloc.lock);
	st->bytes_reserved = page_alloc.nr_chunks * PAGE_CHUNK_SIZE;
	st->bytes_in_use = page_alloc.nr_used << UXA_PAGE_SHIFT;
	st->bytes_free = st->bytes_reserved - st->bytes_in_use;
	st->bytes_released = page_alloc.nr_released << UXA_PAGE_SHIFT;
	st->limit = page_alloc.limit;
	st->largest_free_order = -1;
	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++) {
		st->free_blocks[o] = page_alloc.nr_free[o];
		if (page_alloc.nr_free[o])
			st->largest_free_order = (int)o;
		st->frag_index[o] = frag_index_locked(o);
	}
	st->allocs = page_alloc.allocs;
	st->frees = page_alloc.frees;
	st->failures = page_alloc.failures;
	st->compactions = page_alloc.compactions;
	st->compactions_succeeded = page_alloc.compactions_succeeded;
	st->compactions_deferred = page_alloc.compactions_deferred;
	st->compact_pages_moved = page_alloc.compact_pages_moved;
	st->compact_ns = page_alloc.compact_ns;
	sync_spin_unlock(&page_alloc.lock);
	st->bytes_resident = resident_pages() << UXA_PAGE_SHIFT;
}

UXA_API void uxa_page_dump(FILE *f)
{
	struct uxa_page_stats st;

	/* One snapshot, printed without the lock (stdio may block). */
	uxa_page_get_stats(&st);
	fprintf(f, "uxa page allocator: %zu KiB reserved (%zu chunks), %zu KiB in use, "
		"%zu KiB free, %zu KiB released, %zu KiB resident, limit %zu KiB\n",
		st.bytes_reserved >> 10, st.bytes_reserved / PAGE_CHUNK_SIZE,
		st.bytes_in_use >> 10, st.bytes_free >> 10, st.bytes_released >> 10,
		st.bytes_resident >> 10, st.limit >> 10);
	fprintf(f, "%-10s", "order");
	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++)
		fprintf(f, " %6u", o);
	fprintf(f, "\n%-10s", "free");
	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++)
		fprintf(f, " %6lu", st.free_blocks[o]);
	fprintf(f, "\n%-10s", "frag");
	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++)
		fprintf(f, " %6d", st.frag_index[o]);
	fprintf(f, "\nallocs %lu, frees %lu, failures %lu; compactions %lu (%lu succeeded, "
		"%lu deferred), %lu pages moved, %llu us\n", st.allocs, st.frees, st.failures,
		st.compactions, st.compactions_succeeded, st.compactions_deferred,
		st.compact_pages_moved, st.compact_ns / 1000);
}

/* ------------------------------------------------------------------ */
/* Self-check.                                                          */

#define CHECK(cond, code) do { if (!(cond)) { \
	uxa_report("page allocator invariant broken: %s", #cond); return (code); } } while (0)

static int check_chunk_locked(struct page_chunk *c, unsigned long *free_blocks,
			      unsigned long *used, unsigned long *released)
{
	for (unsigned int i = 0; i < PAGES_PER_CHUNK; ) {
		struct page_desc *d = &c->pages[i];
		unsigned int n = 1U << d->order;

		CHECK(d->state != PAGE_TAIL, -1);
		CHECK((i & (n - 1)) == 0, -2);
		for (unsigned int j = 1; j < n; j++)
			CHECK(d[j].state == PAGE_TAIL, -3);
		for (unsigned int j = 0; j < n; j++) {
			if (d->state == PAGE_USED) {
				CHECK(!d[j].released, -4);
			} else {
				CHECK(!sync_load_relaxed(&d[j].tag), -5);
				*released += d[j].released;
			}
		}
		if (d->state == PAGE_FREE) {
			struct page_desc *buddy = &c->pages[i ^ n];

			free_blocks[d->order]++;
			CHECK(d->order == UXA_MAX_ORDER || buddy->state != PAGE_FREE ||
			      buddy->order != d->order, -6);
		} else if (d->state == PAGE_USED) {
			*used += n;
		} else {
			CHECK(in_capture(d), -7);
		}
		i += n;
	}
	return 0;
}

int page_check_invariants(void)
{
	unsigned long free_blocks[UXA_NR_ORDERS] = { 0 }, used = 0, released = 0, chunks = 0;
	int ret = 0;

	sync_spin_lock(&page_alloc.lock);
	for (struct page_chunk *c = page_alloc.chunks; c && !ret; c = c->next) {
		if (!c->mapped)
			continue;
		chunks++;
		ret = check_chunk_locked(c, free_blocks, &used, &released);
	}
	for (unsigned int o = 0; o <= UXA_MAX_ORDER && !ret; o++) {
		unsigned long listed = 0;

		for (struct page_link *l = page_alloc.free_area[o].next;
		     page_alloc.nr_free[o] && l != &page_alloc.free_area[o]; l = l->next) {
			struct page_desc *d = container_of(l, struct page_desc, link);

			listed++;
			if (d->state != PAGE_FREE || d->order != o) {
				ret = -8;
				break;
			}
		}
		if (!ret && (listed != page_alloc.nr_free[o] || free_blocks[o] != listed))
			ret = -9;
	}
	if (!ret && (used != page_alloc.nr_used || released != page_alloc.nr_released ||
		     chunks != page_alloc.nr_chunks))
		ret = -10;
	sync_spin_unlock(&page_alloc.lock);
	if (ret)
		uxa_report("page allocator invariant %d broken", ret);
	return ret;
}
