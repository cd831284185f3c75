/* SPDX-License-Identifier: MIT */
/*
 * compact.c - compaction: making a free block of a given order by moving
 * objects out of the way (the kernel's "reliable higher-order
 * allocations").
 *
 * The page allocator cannot move memory itself; the layer above (the slab)
 * can, for caches that registered mobility callbacks. It tags the pages of
 * such caches' slabs as movable (page_set_owner()) and registers a
 * page_vacate_fn. Compaction then:
 *
 *  1. scans every chunk for the aligned blocks of 2^order pages whose
 *     in-use pages are all tagged movable, and keeps the cheapest few
 *     (cost = in-use pages, ties to the lower address);
 *  2. CAPTURES the cheapest: its free sub-blocks leave the free lists, and
 *     any page freed inside it from now on joins the capture instead of the
 *     free lists (buddy_free_locked()), so the objects being moved cannot
 *     land back in it;
 *  3. collects the block's distinct owners (their tags, read locklessly),
 *     drops the page lock and calls the vacate function, which moves the
 *     owners' objects elsewhere and frees their blocks;
 *  4. retakes the lock: if the whole block is captured, it is handed to the
 *     requester (allocation) or put on the free list (uxa_page_compact());
 *     otherwise the capture is released, its pieces coalescing normally,
 *     and the next candidate is tried, at most COMPACT_ATTEMPTS in all.
 *
 * An allocation whose compaction failed defers the next ones (see
 * compaction_deferred_locked()); uxa_page_compact() always runs.
 *
 * Invariants: at most one capture exists (compactions are serialised by
 * compact_mutex); while it does, its block holds only PAGE_USED and
 * PAGE_CAPTURED heads, and capture.captured counts the pages of the latter.
 *
 * Concurrency: compact_mutex serialises compactions. It is a sleeping lock
 * at the very top of the lock order (above xa_lock): the vacate callback
 * takes every slab and XArray lock below it. So no thread may wait for it
 * while holding any lock of the library: allocations under a lock pass
 * GFP_NOWAIT. A thread inside compaction (its vacate callback allocating)
 * never compacts again (compacting, thread-local), which also keeps it from
 * waiting on the mutex it holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "debug.h"
#include "page/buddy.h"

/* Candidate blocks tried per compaction before giving up. */
#define COMPACT_ATTEMPTS	4

/* Serialises compactions; lock order 0 (above every other lock). Protects
 * compact_owners and the capture's existence (the capture's fields are
 * written under page_alloc.lock). */
static sync_mutex_t compact_mutex = SYNC_MUTEX_INIT;
/* The owners of the block being vacated; protected by compact_mutex. */
static void *compact_owners[PAGES_PER_CHUNK];
/* Set while this thread runs a compaction (and so its vacate callback). */
static __thread bool compacting;
/* Written with release by page_register_vacate(), read with acquire. */
static page_vacate_fn vacate_fn;

/*
 * Deferral, as the kernel's defer_compaction(): after an allocation's
 * compaction fails at some order, allocations of that order or above skip
 * compaction for the next 2^defer_shift attempts (shift growing to
 * COMPACT_MAX_DEFER_SHIFT with each failure); a success resets it. So a
 * workload that keeps failing does not pay a full scan per request.
 * Protected by page_alloc.lock.
 */
#define COMPACT_MAX_DEFER_SHIFT	6
static unsigned int defer_shift, defer_considered;
static unsigned int defer_order_failed = UXA_NR_ORDERS;	/* none failed yet */

static bool compaction_deferred_locked(unsigned int order)
{
	if (order < defer_order_failed)
		return false;
	if (++defer_considered >= 1U << defer_shift) {
		defer_considered = 1U << defer_shift;
		return false;
	}
	return true;
}

static void defer_compaction_locked(unsigned int order)
{
	defer_considered = 0;
	if (defer_shift < COMPACT_MAX_DEFER_SHIFT)
		defer_shift++;
	if (order < defer_order_failed)
		defer_order_failed = order;
}

static void compaction_defer_reset_locked(unsigned int order)
{
	defer_shift = 0;
	defer_considered = 0;
	if (order >= defer_order_failed)
		defer_order_failed = order + 1;
}

void page_register_vacate(page_vacate_fn fn)
{
	/* Pairs with the acquires in compact_allowed() and compact_run(). */
	sync_store_release(&vacate_fn, fn);
}

bool compact_allowed(void)
{
	/* Pairs with the release in page_register_vacate(). */
	return !compacting && sync_may_wait_for_grace_period() &&
	       sync_load_acquire(&vacate_fn);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

struct compact_candidate {
	struct page_chunk *chunk;
	unsigned int start;
	unsigned int cost;
};

/* Every page of the block @d (of @order, in use) has a movable owner. */
static bool block_movable(struct page_desc *d, unsigned int order)
{
	for (unsigned long i = 0; i < (1UL << order); i++) {
		uintptr_t tag = sync_load_relaxed(&d[i].tag);

		if (!(tag & PAGE_TAG_MOVABLE))
			return false;
	}
	return true;
}

/*
 * The cost of clearing the aligned block of @order at page @start of
 * @chunk: its in-use pages, or -1 if one of them is not movable (or a
 * larger allocated block covers it).
 */
static long block_cost_locked(struct page_chunk *chunk, unsigned int start, unsigned int order)
{
	unsigned int end = start + (1U << order);
	long cost = 0;

	for (unsigned int i = start; i < end; ) {
		struct page_desc *d = &chunk->pages[i];

		if (d->state == PAGE_TAIL || d->order > order)
			return -1;	/* inside a larger block */
		if (d->state == PAGE_USED) {
			if (!block_movable(d, d->order))
				return -1;
			cost += 1L << d->order;
		}
		i += 1U << d->order;
	}
	return cost;
}

/* Keep @best (sorted, cheapest first, at most COMPACT_ATTEMPTS) updated. */
static void consider_candidate(struct compact_candidate *best, unsigned int *nr,
			       struct page_chunk *chunk, unsigned int start, unsigned int cost)
{
	unsigned int pos = *nr;

	while (pos > 0 && best[pos - 1].cost > cost)
		pos--;
	if (pos >= COMPACT_ATTEMPTS)
		return;
	if (*nr < COMPACT_ATTEMPTS)
		(*nr)++;
	memmove(&best[pos + 1], &best[pos], (*nr - 1 - pos) * sizeof(*best));
	best[pos] = (struct compact_candidate){ chunk, start, cost };
}

/* Look at every aligned block of @order in chunk @c. */
static void scan_chunk_locked(struct page_chunk *c, unsigned int order,
			      struct compact_candidate *best, unsigned int *nr,
			      unsigned long *scanned)
{
	for (unsigned int start = 0; start < PAGES_PER_CHUNK; ) {
		struct page_desc *d = &c->pages[start];
		long cost;

		/* Aligned steps from a head land on heads (buddy.h). */
		if (d->order > order) {	/* a larger block: skip all of it */
			*scanned += 1UL << (d->order - order);
			start += 1U << d->order;
			continue;
		}
		(*scanned)++;
		cost = block_cost_locked(c, start, order);
		if (cost > 0)
			consider_candidate(best, nr, c, start, (unsigned int)cost);
		start += 1U << order;
	}
}

/*
 * Scan every chunk for candidate blocks of @order. Called and returns with
 * the lock held, but lets other threads in between chunks (chunk structs
 * are never freed, so the walk survives; candidates are checked again
 * before use). Return: how many candidates found.
 */
static unsigned int scan_candidates_locked(unsigned int order, struct compact_candidate *best,
					   unsigned long *scanned)
{
	unsigned int nr = 0;

	for (struct page_chunk *c = page_alloc.chunks; c; c = c->next) {
		if (c->mapped)
			scan_chunk_locked(c, order, best, &nr, scanned);
		sync_spin_unlock(&page_alloc.lock);
		sync_spin_lock(&page_alloc.lock);
	}
	return nr;
}

/* Capture the block; its free sub-blocks leave the free lists. */
static void capture_begin_locked(struct page_chunk *chunk, unsigned int start, unsigned int order)
{
	struct page_capture *cap = &page_alloc.capture;
	unsigned int end = start + (1U << order);

	UXA_ASSERT(!cap->chunk);
	*cap = (struct page_capture){ chunk, start, order, 0 };
	for (unsigned int i = start; i < end; i += 1U << chunk->pages[i].order) {
		struct page_desc *d = &chunk->pages[i];

		if (d->state != PAGE_FREE)
			continue;
		buddy_list_del_locked(d);
		d->state = PAGE_CAPTURED;
		cap->captured += 1U << d->order;
		page_alloc.nr_captured += 1UL << d->order;
	}
}

/* Give the captured pieces back to the free lists (coalescing). */
static void capture_release_locked(void)
{
	struct page_capture *cap = &page_alloc.capture;
	struct page_chunk *chunk = cap->chunk;
	unsigned int end = cap->start + (1U << cap->order);

	cap->chunk = NULL;	/* from here on frees inside go to the free lists */
	for (unsigned int i = cap->start; i < end; ) {
		struct page_desc *d = &chunk->pages[i];
		unsigned int order = d->order;

		/* Merging below only joins PAGE_FREE buddies, never a head
		 * further on in the block: stepping by the old order is safe. */
		if (d->state == PAGE_CAPTURED) {
			page_alloc.nr_captured -= 1UL << order;
			buddy_free_locked(d, order);
		}
		i += 1U << order;
	}
}

/* The whole block is captured: make it one block, off the capture. */
static struct page_desc *capture_take_locked(void)
{
	struct page_capture *cap = &page_alloc.capture;
	struct page_desc *head = &cap->chunk->pages[cap->start];
	unsigned long n = 1UL << cap->order;

	UXA_ASSERT(cap->captured == n);
	for (unsigned long i = 0; i < n; i++)
		head[i].state = PAGE_TAIL;
	head->order = (uint8_t)cap->order;
	page_alloc.nr_captured -= n;
	cap->chunk = NULL;
	return head;
}

/* The distinct owners of the captured block's in-use pages. */
static unsigned int collect_owners_locked(void)
{
	const struct page_capture *cap = &page_alloc.capture;
	struct page_desc *d = &cap->chunk->pages[cap->start];
	unsigned int nr = 0;

	for (unsigned long i = 0; i < (1UL << cap->order); i++) {
		void *owner = (void *)(sync_load_relaxed(&d[i].tag) & ~PAGE_TAG_MOVABLE);
		bool seen = false;

		if (!owner)
			continue;
		/* Linear search: at most 2^order owners, once per compaction. */
		for (unsigned int j = nr; j-- > 0 && !seen; )
			seen = compact_owners[j] == owner;
		if (!seen)
			compact_owners[nr++] = owner;
	}
	return nr;
}

struct compact_run {
	unsigned int order;
	bool for_alloc;				/* hand the block out, PAGE_USED */
	struct page_dirty_map *dirty;		/* for_alloc: pages to zero */
	struct page_desc *block;		/* for_alloc: the result */
	unsigned int nr_candidates;		/* blocks found worth trying */
	struct uxa_compact_stats st;
};

static void snapshot_free_locked(unsigned long *blocks)
{
	memcpy(blocks, page_alloc.nr_free, sizeof(page_alloc.nr_free));
}

/*
 * Try to clear one candidate. Called and returns with page_alloc.lock
 * held; drops it around the vacate call. Return: true on success.
 */
static bool compact_candidate(struct compact_run *run, const struct compact_candidate *cand,
			      page_vacate_fn fn)
{
	struct page_capture *cap = &page_alloc.capture;
	unsigned int captured_before, nr_owners, vacated;
	struct page_desc *head;

	/* The scan's view may be stale: things moved while we vacated. */
	if (!cand->chunk->mapped || block_cost_locked(cand->chunk, cand->start, run->order) <= 0)
		return false;
	capture_begin_locked(cand->chunk, cand->start, run->order);
	captured_before = cap->captured;
	nr_owners = collect_owners_locked();
	sync_spin_unlock(&page_alloc.lock);

	vacated = fn((void *const *)compact_owners, nr_owners);

	sync_spin_lock(&page_alloc.lock);
	run->st.owners_asked += nr_owners;
	run->st.owners_vacated += vacated;
	run->st.pages_moved += cap->captured - captured_before;
	page_alloc.compact_pages_moved += cap->captured - captured_before;
	if (cap->captured != (1U << run->order)) {
		capture_release_locked();
		return false;
	}
	head = capture_take_locked();
	if (run->for_alloc) {
		buddy_mark_used_locked(head, run->order, run->dirty);
		run->block = head;
	} else {
		buddy_free_locked(head, run->order);
	}
	return true;
}

/* Is a block of the order free now? Take it for an allocation. */
static bool already_free_locked(struct compact_run *run)
{
	if (!buddy_has_free_locked(run->order))
		return false;
	if (run->for_alloc) {
		run->block = buddy_take_locked(run->order);
		buddy_mark_used_locked(run->block, run->order, run->dirty);
	}
	return true;
}

static void compact_run(struct compact_run *run)
{
	struct compact_candidate best[COMPACT_ATTEMPTS];
	unsigned long long start = now_ns();
	page_vacate_fn fn;
	unsigned int nr;

	sync_mutex_lock(&compact_mutex);
	compacting = true;
	sync_spin_lock(&page_alloc.lock);
	snapshot_free_locked(run->st.free_blocks_before);
	/* Another compaction, or a free, may have made one meanwhile. */
	if (already_free_locked(run)) {
		run->st.success = true;
		goto out;
	}
	/* Pairs with the release in page_register_vacate(). */
	fn = sync_load_acquire(&vacate_fn);
	if (!fn)
		goto out;	/* nothing can move: not an attempt */
	page_alloc.compactions++;
	nr = scan_candidates_locked(run->order, best, &run->st.blocks_scanned);
	run->nr_candidates = nr;
	/* Frees by other threads (during the scan's lock breaks or a vacate
	 * call) may have made a block of the order: look before each try. */
	for (unsigned int i = 0; i < nr && !run->st.success; i++)
		run->st.success = already_free_locked(run) || compact_candidate(run, &best[i], fn);
	if (!run->st.success)
		run->st.success = already_free_locked(run);
	if (run->st.success) {
		page_alloc.compactions_succeeded++;
		compaction_defer_reset_locked(run->order);
	} else if (run->for_alloc) {
		defer_compaction_locked(run->order);
	}
	page_alloc.compact_ns += now_ns() - start;
out:
	snapshot_free_locked(run->st.free_blocks_after);
	sync_spin_unlock(&page_alloc.lock);
	compacting = false;
	sync_mutex_unlock(&compact_mutex);
	run->st.ns = now_ns() - start;
}

struct page_desc *compact_for_alloc(unsigned int order, struct page_dirty_map *dirty)
{
	struct compact_run run = { .order = order, .for_alloc = true, .dirty = dirty };
	bool deferred;

	sync_spin_lock(&page_alloc.lock);
	deferred = compaction_deferred_locked(order);
	if (deferred)
		page_alloc.compactions_deferred++;
	sync_spin_unlock(&page_alloc.lock);
	if (deferred)
		return NULL;
	run.st.order = order;
	compact_run(&run);
	return run.block;
}

UXA_API int uxa_page_compact(unsigned int order, struct uxa_compact_stats *st)
{
	struct compact_run run = { .order = order };
	int ret;

	run.st.order = order;
	if (order > UXA_MAX_ORDER) {
		uxa_report("uxa_page_compact(%u): order out of range (0..%u)", order, UXA_MAX_ORDER);
		ret = -EINVAL;
	} else if (compacting) {
		ret = -EAGAIN;
	} else if (!sync_may_wait_for_grace_period()) {
		uxa_report("uxa_page_compact(%u): called inside an RCU read-side section or "
			   "callback (it waits for a grace period); -EDEADLK", order);
		ret = -EDEADLK;
	} else {
		compact_run(&run);
		ret = run.st.success ? 0 : run.nr_candidates ? -EAGAIN : -ENOMEM;
	}
	if (st)
		*st = run.st;
	return ret;
}
