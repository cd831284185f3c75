/* SPDX-License-Identifier: MIT */
/*
 * test_page.c - unit tests of the buddy page allocator (lib/page).
 *
 * Alignment of every order; splitting and coalescing seen through the
 * buddyinfo counts; a limit exhausted then fragmented (an order-1 request
 * fails with half the pages free, and the fragmentation index says why);
 * memory really returned to the OS (resident bytes from mincore); zeroing;
 * every documented bad input; owner tags, also on garbage addresses; and
 * compaction with a toy mover written here, showing that a request that
 * fails without compaction succeeds with it, and that its statistics add up.
 *
 * Criterion runs each test in a fresh process, so each starts with an
 * empty allocator.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uxa/page.h>
#include "page/buddy.h"
#include "uxa_config.h"

#define CHUNK_BYTES	(UXA_PAGE_SIZE << UXA_MAX_ORDER)
#define CHUNK_PAGES	(1UL << UXA_MAX_ORDER)

static struct uxa_page_stats stats(void)
{
	struct uxa_page_stats st;

	uxa_page_get_stats(&st);
	return st;
}

static void assert_consistent(void)
{
	cr_assert_eq(page_check_invariants(), 0, "page allocator invariants broken");
}

/* ---- stderr capture: the messages a user mistake must produce ---- */

static FILE *captured;
static int saved_stderr = -1;

static void capture_stderr(void)
{
	fflush(stderr);
	captured = tmpfile();
	cr_assert(captured);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(captured), STDERR_FILENO);
}

/* Stop capturing; return what was written (static buffer). */
static const char *captured_stderr(void)
{
	static char buf[4096];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(captured);
	n = fread(buf, 1, sizeof(buf) - 1, captured);
	buf[n] = '\0';
	fclose(captured);
	return buf;
}

/* ---- shapes ---- */

Test(page, every_order_is_naturally_aligned)
{
	for (unsigned int order = 0; order <= UXA_MAX_ORDER; order++) {
		void *blocks[3];
		size_t size = UXA_PAGE_SIZE << order;

		for (int i = 0; i < 3; i++) {
			blocks[i] = uxa_alloc_pages(GFP_KERNEL, order);
			cr_assert_not_null(blocks[i], "order %u", order);
			cr_assert_eq((uintptr_t)blocks[i] % size, 0, "order %u at %p", order, blocks[i]);
			memset(blocks[i], 0x5a, size);		/* the whole block is ours */
		}
		cr_assert_neq(blocks[0], blocks[1]);
		cr_assert_neq(blocks[1], blocks[2]);
		assert_consistent();
		for (int i = 0; i < 3; i++)
			uxa_free_pages(blocks[i], order);
	}
	cr_assert_eq(stats().bytes_in_use, 0);
	assert_consistent();
}

Test(page, split_then_coalesce_shows_in_buddyinfo)
{
	struct uxa_page_stats st;
	void *p = uxa_alloc_pages(GFP_KERNEL, 0);

	cr_assert_not_null(p);
	/* One chunk split down to one page leaves one buddy at every lower order. */
	st = stats();
	cr_assert_eq(st.bytes_reserved, CHUNK_BYTES);
	for (unsigned int o = 0; o < UXA_MAX_ORDER; o++)
		cr_assert_eq(st.free_blocks[o], 1, "order %u: %lu", o, st.free_blocks[o]);
	cr_assert_eq(st.free_blocks[UXA_MAX_ORDER], 0);
	cr_assert_eq(st.largest_free_order, UXA_MAX_ORDER - 1);

	/* Its buddy next: both order-0 free blocks gone. */
	void *q = uxa_alloc_pages(GFP_KERNEL, 0);

	cr_assert_eq((uintptr_t)q ^ (uintptr_t)p, UXA_PAGE_SIZE, "LIFO split gives the buddy");
	cr_assert_eq(stats().free_blocks[0], 0);
	uxa_free_pages(p, 0);
	cr_assert_eq(stats().free_blocks[0], 1);
	uxa_free_pages(q, 0);
	/* Everything merged back into the one chunk. */
	st = stats();
	for (unsigned int o = 0; o < UXA_MAX_ORDER; o++)
		cr_assert_eq(st.free_blocks[o], 0, "order %u", o);
	cr_assert_eq(st.free_blocks[UXA_MAX_ORDER], 1);
	cr_assert_eq(st.bytes_in_use, 0);
	cr_assert_eq(st.allocs, 2);
	cr_assert_eq(st.frees, 2);
	assert_consistent();
}

/* The kernel's __fragmentation_index() from the buddyinfo numbers alone. */
static int expected_frag_index(const struct uxa_page_stats *st, unsigned int order)
{
	unsigned long blocks = 0, pages = 0;

	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++) {
		if (o >= order && st->free_blocks[o])
			return -1000;
		blocks += st->free_blocks[o];
		pages += st->free_blocks[o] << o;
	}
	if (!blocks)
		return 0;
	return (int)(1000 - (1000 + pages * 1000 / (1UL << order)) / blocks);
}

Test(page, limit_exhausted_then_fragmented)
{
	static void *pages[CHUNK_PAGES];
	struct uxa_page_stats st;

	cr_assert_eq(uxa_page_set_limit(CHUNK_BYTES), 0);
	for (unsigned long i = 0; i < CHUNK_PAGES; i++) {
		pages[i] = uxa_alloc_pages(GFP_KERNEL, 0);
		cr_assert_not_null(pages[i], "page %lu of %lu", i, CHUNK_PAGES);
	}
	errno = 0;
	cr_assert_null(uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0), "limit exceeded");
	cr_assert_eq(errno, ENOMEM);

	for (unsigned long i = 0; i < CHUNK_PAGES; i += 2)
		uxa_free_pages(pages[i], 0);
	/* Half the memory is free, but no two free pages are buddies. */
	errno = 0;
	cr_assert_null(uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1));
	cr_assert_eq(errno, ENOMEM);

	st = stats();
	cr_assert_eq(st.free_blocks[0], CHUNK_PAGES / 2);
	cr_assert_eq(st.largest_free_order, 0);
	cr_assert_eq(st.bytes_free, CHUNK_BYTES / 2);
	cr_assert_eq(st.failures, 2);
	cr_assert_eq(st.frag_index[0], -1000, "order 0 is satisfiable");
	for (unsigned int o = 1; o <= UXA_MAX_ORDER; o++) {
		cr_assert_eq(st.frag_index[o], expected_frag_index(&st, o), "order %u", o);
		cr_assert_gt(st.frag_index[o], st.frag_index[o - 1], "grows with the order");
	}
	/* Failure from fragmentation, not lack of memory: index near 1000. */
	cr_assert_geq(st.frag_index[1], 450);
	cr_assert_geq(st.frag_index[UXA_MAX_ORDER], 990);

	/* Freeing the rest heals it. */
	for (unsigned long i = 1; i < CHUNK_PAGES; i += 2)
		uxa_free_pages(pages[i], 0);
	st = stats();
	cr_assert_eq(st.free_blocks[UXA_MAX_ORDER], 1);
	cr_assert_eq(st.frag_index[1], -1000);
	assert_consistent();
}

Test(page, limit_must_be_whole_chunks)
{
	cr_assert_eq(uxa_page_set_limit(CHUNK_BYTES + UXA_PAGE_SIZE), -EINVAL);
	cr_assert_eq(stats().limit, 0, "a refused limit changes nothing");
	cr_assert_eq(uxa_page_set_limit(2 * CHUNK_BYTES), 0);
	cr_assert_eq(stats().limit, 2 * CHUNK_BYTES);
	cr_assert_eq(uxa_page_set_limit(0), 0);
}

/* ---- memory back to the OS ---- */

Test(page, resident_memory_falls_after_frees)
{
	enum { ORDER = 4, NR = 4 * CHUNK_PAGES >> ORDER };	/* 16 MiB */
	static void *blocks[NR];
	size_t touched = (size_t)NR * (UXA_PAGE_SIZE << ORDER);
	struct uxa_page_stats st;

	for (int i = 0; i < NR; i++) {
		blocks[i] = uxa_alloc_pages(GFP_KERNEL, ORDER);
		cr_assert_not_null(blocks[i]);
		memset(blocks[i], 0xc3, UXA_PAGE_SIZE << ORDER);
	}
	st = stats();
	cr_assert_geq(st.bytes_resident, touched, "resident %zu < touched %zu",
		      st.bytes_resident, touched);
	cr_assert_eq(st.bytes_released, st.bytes_free);

	for (int i = 0; i < NR; i++)
		uxa_free_pages(blocks[i], ORDER);
	st = stats();
	cr_assert_eq(st.bytes_in_use, 0);
	cr_assert_leq(st.bytes_reserved, PAGE_RETAIN_CHUNKS * CHUNK_BYTES,
		      "whole free chunks beyond the reserve are unmapped");
	cr_assert_eq(st.bytes_resident, 0, "free chunks are released: %zu resident",
		     st.bytes_resident);
	cr_assert_eq(st.bytes_released, st.bytes_reserved);
	assert_consistent();
}

Test(page, release_free_gives_back_small_free_blocks)
{
	static void *pages[CHUNK_PAGES];
	struct uxa_page_stats before, after;
	size_t released;

	/* Every other page free: order-0 free blocks, too small to release as
	 * they form. */
	for (unsigned long i = 0; i < CHUNK_PAGES; i++) {
		pages[i] = uxa_alloc_pages(GFP_KERNEL, 0);
		memset(pages[i], 1, UXA_PAGE_SIZE);
	}
	for (unsigned long i = 0; i < CHUNK_PAGES; i += 2)
		uxa_free_pages(pages[i], 0);
	before = stats();
	cr_assert_geq(before.bytes_resident, CHUNK_BYTES, "all touched, none released yet");
	cr_assert_eq(before.bytes_released, 0);

	released = uxa_page_release_free();
	after = stats();
	cr_assert_eq(released, CHUNK_BYTES / 2);
	cr_assert_eq(after.bytes_released, before.bytes_free);
	cr_assert_eq(after.bytes_resident, after.bytes_in_use,
		     "only the pages in use stay resident");
	cr_assert_eq(uxa_page_release_free(), 0, "nothing left to release");

	/* A released page comes back zeroed without a memset. */
	uint8_t *p = uxa_alloc_pages(GFP_KERNEL, 0);

	for (size_t i = 0; i < UXA_PAGE_SIZE; i++)
		cr_assert_eq(p[i], 0);
	uxa_free_pages(p, 0);

	/* Free everything: the retained whole free chunk is unmapped too. */
	for (unsigned long i = 1; i < CHUNK_PAGES; i += 2)
		uxa_free_pages(pages[i], 0);
	cr_assert_eq(stats().bytes_reserved, PAGE_RETAIN_CHUNKS * CHUNK_BYTES);
	uxa_page_release_free();
	cr_assert_eq(stats().bytes_reserved, 0);
	assert_consistent();
}

Test(page, gfp_zero_clears_reused_blocks)
{
	/* Keeps the freed blocks from merging into released ones. */
	void *pin = uxa_alloc_pages(GFP_KERNEL, 0);

	for (unsigned int order = 0; order <= 3; order++) {
		size_t size = UXA_PAGE_SIZE << order;
		uint8_t *p = uxa_alloc_pages(GFP_KERNEL, order);
		uint8_t *q;

		memset(p, 0xee, size);
		uxa_free_pages(p, order);
		q = uxa_alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
		cr_assert_eq(q, p, "LIFO: the dirty block comes back");
		for (size_t i = 0; i < size; i++)
			cr_assert_eq(q[i], 0, "order %u byte %zu", order, i);
		uxa_free_pages(q, order);
	}
	uxa_free_pages(pin, 0);
}

/* ---- bad input ---- */

Test(page, bad_arguments_are_refused)
{
	struct uxa_page_stats before = stats(), after;
	struct uxa_compact_stats cst;

	errno = 0;
	cr_assert_null(uxa_alloc_pages(GFP_KERNEL, UXA_MAX_ORDER + 1));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(uxa_alloc_pages(0x100, 0));
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(uxa_page_compact(UXA_MAX_ORDER + 1, &cst), -EINVAL);
	cr_assert_not(cst.success);
	capture_stderr();
	uxa_free_pages(NULL, 0);			/* ignored, silently */
	const char *silent = captured_stderr();

	cr_assert_str_empty(silent);
	after = stats();
	cr_assert_eq(after.allocs, before.allocs);
	cr_assert_eq(after.bytes_reserved, before.bytes_reserved);
}

Test(page, foreign_pointers_are_reported_and_ignored)
{
	void *p = uxa_alloc_pages(GFP_KERNEL, 2);
	int on_stack;
	void *heap = malloc(64);
	struct uxa_page_stats before = stats(), after;
	const char *msg;

	capture_stderr();
	uxa_free_pages(heap, 0);
	uxa_free_pages(&on_stack, 0);
	uxa_free_pages((void *)(uintptr_t)1, 0);
	uxa_free_pages((void *)~(uintptr_t)0, 0);
	uxa_free_pages((char *)p + 100, 0);		/* inside a page */
	uxa_free_pages(p, UXA_MAX_ORDER + 1);
	msg = captured_stderr();
	cr_assert(strstr(msg, "not memory of the page allocator"), "%s", msg);
	cr_assert(strstr(msg, "order out of range"), "%s", msg);
	cr_assert(strstr(msg, "not the start of a block"), "%s", msg);

	after = stats();
	cr_assert_eq(after.frees, before.frees, "nothing freed");
	cr_assert_eq(after.bytes_in_use, UXA_PAGE_SIZE << 2);
	assert_consistent();
	uxa_free_pages(p, 2);
	cr_assert_eq(stats().bytes_in_use, 0);
	free(heap);
}

Test(page, wrong_order_and_interior_frees_are_reported)
{
	char *p = uxa_alloc_pages(GFP_KERNEL, 3);
	const char *msg;

	capture_stderr();
	uxa_free_pages(p, 2);				/* wrong order */
	uxa_free_pages(p + UXA_PAGE_SIZE, 0);		/* not the block's start */
	msg = captured_stderr();
	cr_assert(strstr(msg, "allocated with order 3"), "%s", msg);
	cr_assert(strstr(msg, "not the start of a block"), "%s", msg);
	cr_assert_eq(stats().bytes_in_use, UXA_PAGE_SIZE << 3, "nothing lost");
	assert_consistent();
	uxa_free_pages(p, 3);
	cr_assert_eq(stats().bytes_in_use, 0);
	assert_consistent();
}

#if UXA_DEBUG
Test(page, double_free_aborts_in_debug_builds, .signal = SIGABRT)
{
	void *p = uxa_alloc_pages(GFP_KERNEL, 1);
	void *keep = uxa_alloc_pages(GFP_KERNEL, 1);	/* p's block stays order 1 */

	uxa_free_pages(p, 1);
	uxa_free_pages(p, 1);
	uxa_free_pages(keep, 1);
}
#else
Test(page, double_free_is_reported)
{
	void *p = uxa_alloc_pages(GFP_KERNEL, 1);
	const char *msg;

	uxa_free_pages(p, 1);
	capture_stderr();
	uxa_free_pages(p, 1);
	msg = captured_stderr();
	cr_assert(strstr(msg, "double free"), "%s", msg);
	cr_assert_eq(stats().frees, 1);
	assert_consistent();
}
#endif

/* ---- owner tags ---- */

Test(page, owner_tags_map_any_address_back)
{
	static long owner_a, owner_b;
	char *p = uxa_alloc_pages(GFP_KERNEL, 2);
	char *q = uxa_alloc_pages(GFP_KERNEL, 0);
	int on_stack;
	void *heap = malloc(32);

	cr_assert_null(page_owner(p), "untagged");
	page_set_owner(p, 2, &owner_a, true);
	page_set_owner(q, 0, &owner_b, false);
	for (size_t off = 0; off < (UXA_PAGE_SIZE << 2); off += 777)
		cr_assert_eq(page_owner(p + off), &owner_a, "offset %zu", off);
	cr_assert_eq(page_owner(q + UXA_PAGE_SIZE - 1), &owner_b);

	/* Garbage addresses: never a crash, always NULL. */
	cr_assert_null(page_owner(NULL));
	cr_assert_null(page_owner((void *)(uintptr_t)1));
	cr_assert_null(page_owner(&on_stack));
	cr_assert_null(page_owner(heap));
	cr_assert_null(page_owner((void *)~(uintptr_t)0));
	cr_assert_null(page_owner((void *)((uintptr_t)1 << 47)));
	cr_assert_null(page_owner((void *)(uintptr_t)page_owner));
	cr_assert_null(page_owner(p + (UXA_PAGE_SIZE << 2) + UXA_PAGE_SIZE), "a free page");

	page_set_owner(p, 2, NULL, false);
	cr_assert_null(page_owner(p + UXA_PAGE_SIZE));
	uxa_free_pages(p, 2);
	/* Freeing clears a forgotten tag too. */
	uxa_free_pages(q, 0);
	cr_assert_null(page_owner(q));
	assert_consistent();
	free(heap);
}

/* ---- compaction, with a toy mover ---- */

/*
 * A toy movable owner: one page holding a pattern. The mover gives it a
 * fresh page, copies the data, retags, and frees the old page, as a slab
 * with mobility would do for its objects.
 */
struct toy {
	unsigned char *page;
	unsigned char pattern;
	bool live;
};

static struct toy toys[CHUNK_PAGES];
static unsigned long toy_moves;
static int recursive_compact_ret = 1;
static bool refuse_to_move;

static struct toy *toy_new(unsigned int i)
{
	struct toy *t = &toys[i];

	t->page = uxa_alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
	if (!t->page)
		return NULL;
	t->pattern = (unsigned char)(i * 7 + 1);
	memset(t->page, t->pattern, UXA_PAGE_SIZE);
	t->live = true;
	page_set_owner(t->page, 0, t, true);
	return t;
}

static void toy_free(struct toy *t)
{
	page_set_owner(t->page, 0, NULL, false);
	uxa_free_pages(t->page, 0);
	t->live = false;
}

static unsigned int toy_vacate(void *const *owners, unsigned int nr)
{
	unsigned int vacated = 0;

	recursive_compact_ret = uxa_page_compact(1, NULL);
	if (refuse_to_move)
		return 0;
	for (unsigned int i = 0; i < nr; i++) {
		struct toy *t = owners[i];
		/* GFP_KERNEL: must not compact again from in here. */
		unsigned char *fresh = uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);

		cr_assert(t >= toys && t < toys + CHUNK_PAGES && t->live, "owner %p", (void *)t);
		if (!fresh)
			continue;
		memcpy(fresh, t->page, UXA_PAGE_SIZE);
		page_set_owner(fresh, 0, t, true);
		page_set_owner(t->page, 0, NULL, false);
		uxa_free_pages(t->page, 0);
		t->page = fresh;
		toy_moves++;
		vacated++;
	}
	return vacated;
}

/* Fill a one-chunk limit with toys, then free every other one. */
static void fragment_with_toys(void)
{
	cr_assert_eq(uxa_page_set_limit(CHUNK_BYTES), 0);
	for (unsigned int i = 0; i < CHUNK_PAGES; i++)
		cr_assert_not_null(toy_new(i));
	for (unsigned int i = 0; i < CHUNK_PAGES; i += 2)
		toy_free(&toys[i]);
}

static void assert_toys_intact(const void *block, unsigned int order)
{
	uintptr_t lo = (uintptr_t)block, hi = lo + (UXA_PAGE_SIZE << order);

	for (unsigned int i = 0; i < CHUNK_PAGES; i++) {
		struct toy *t = &toys[i];

		if (!t->live)
			continue;
		cr_assert(t->page[0] == t->pattern && t->page[UXA_PAGE_SIZE - 1] == t->pattern,
			  "toy %u lost its data", i);
		cr_assert_eq(page_owner(t->page), t);
		cr_assert((uintptr_t)t->page < lo || (uintptr_t)t->page >= hi,
			  "toy %u inside the compacted block", i);
	}
}

Test(page, allocation_compacts_with_a_mover)
{
	const unsigned int order = 3;
	unsigned char *block;
	struct uxa_page_stats st;

	fragment_with_toys();
	/* No mover registered: fragmentation wins. */
	cr_assert_null(uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, order));
	cr_assert_eq(stats().compactions, 0);

	page_register_vacate(toy_vacate);
	/* May not block: no compaction either. */
	cr_assert_null(uxa_alloc_pages(GFP_NOWAIT | __GFP_NOWARN, order));
	cr_assert_eq(stats().compactions, 0);

	block = uxa_alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	cr_assert_not_null(block, "compaction made an order-%u block", order);
	cr_assert_eq((uintptr_t)block % (UXA_PAGE_SIZE << order), 0);
	for (size_t i = 0; i < (UXA_PAGE_SIZE << order); i++)
		cr_assert_eq(block[i], 0, "__GFP_ZERO after compaction, byte %zu", i);
	cr_assert_eq(recursive_compact_ret, -EAGAIN, "no compaction from inside vacate");
	/* The cheapest block of 8 pages holds 4 toys. */
	cr_assert_eq(toy_moves, 1U << (order - 1));
	assert_toys_intact(block, order);

	st = stats();
	cr_assert_eq(st.compactions, 1);
	cr_assert_eq(st.compactions_succeeded, 1);
	cr_assert_eq(st.compact_pages_moved, toy_moves);
	cr_assert_gt(st.compact_ns, 0);
	cr_assert_eq(st.bytes_in_use, (CHUNK_PAGES / 2 << UXA_PAGE_SHIFT) +
		     (UXA_PAGE_SIZE << order));
	assert_consistent();
	uxa_free_pages(block, order);
	assert_consistent();
}

Test(page, explicit_compaction_reports_what_it_did)
{
	const unsigned int order = 4;
	const unsigned long in_use_per_block = 1UL << (order - 1);
	struct uxa_compact_stats cst;
	struct uxa_page_stats st;

	fragment_with_toys();
	page_register_vacate(toy_vacate);
	cr_assert_eq(uxa_page_compact(order, &cst), 0);
	cr_assert(cst.success);
	cr_assert_eq(cst.order, order);
	cr_assert_eq(cst.blocks_scanned, CHUNK_PAGES >> order, "every aligned block looked at");
	cr_assert_eq(cst.owners_asked, in_use_per_block);
	cr_assert_eq(cst.owners_vacated, in_use_per_block);
	cr_assert_eq(cst.pages_moved, in_use_per_block);
	cr_assert_gt(cst.ns, 0);
	cr_assert_eq(cst.free_blocks_before[0], CHUNK_PAGES / 2);
	cr_assert_eq(cst.free_blocks_before[order], 0);
	/* The block's own holes were captured, the moved pages filled as many
	 * holes elsewhere, and the block is free now. */
	cr_assert_eq(cst.free_blocks_after[0], CHUNK_PAGES / 2 - 2 * in_use_per_block);
	cr_assert_eq(cst.free_blocks_after[order], 1);
	assert_toys_intact(NULL, 0);

	st = stats();
	cr_assert_eq(st.free_blocks[order], 1, "left on the free list");
	cr_assert_eq(st.compactions, 1);
	cr_assert_eq(st.compactions_succeeded, 1);
	cr_assert_eq(st.compact_pages_moved, in_use_per_block);

	/* Now it is there: nothing more to do. */
	cr_assert_eq(uxa_page_compact(order, &cst), 0);
	cr_assert(cst.success);
	cr_assert_eq(cst.blocks_scanned, 0);
	cr_assert_eq(stats().compactions, 1);
	/* And an allocation takes it without compacting. */
	void *p = uxa_alloc_pages(GFP_NOWAIT, order);

	cr_assert_not_null(p);
	assert_toys_intact(p, order);
	assert_consistent();
}

Test(page, failed_compaction_releases_its_capture)
{
	struct uxa_compact_stats cst;
	struct uxa_page_stats before, after;

	fragment_with_toys();
	cr_assert_eq(uxa_page_compact(2, &cst), -ENOMEM, "no mover registered");
	page_register_vacate(toy_vacate);
	refuse_to_move = true;
	before = stats();
	cr_assert_eq(uxa_page_compact(2, &cst), -EAGAIN);
	cr_assert_not(cst.success);
	cr_assert_gt(cst.owners_asked, 0);
	cr_assert_eq(cst.owners_vacated, 0);
	cr_assert_eq(cst.pages_moved, 0);
	after = stats();
	for (unsigned int o = 0; o <= UXA_MAX_ORDER; o++)
		cr_assert_eq(after.free_blocks[o], before.free_blocks[o], "order %u", o);
	cr_assert_eq(after.compactions, before.compactions + 1);
	cr_assert_eq(after.compactions_succeeded, before.compactions_succeeded);
	assert_consistent();
	assert_toys_intact(NULL, 0);
}

/* A mover whose owners die instead of moving: their pages go to the
 * capture all the same, and a second free of one is still caught. */
static bool free_twice;

static unsigned int toy_vacate_by_freeing(void *const *owners, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		struct toy *t = owners[i];
		void *page = t->page;

		toy_free(t);
		if (free_twice)
			uxa_free_pages(page, 0);
	}
	return nr;
}

Test(page, pages_freed_during_vacate_complete_the_capture)
{
	struct uxa_compact_stats cst;
	unsigned long live = 0;

	fragment_with_toys();
	page_register_vacate(toy_vacate_by_freeing);
	cr_assert_eq(uxa_page_compact(2, &cst), 0);
	cr_assert_eq(cst.pages_moved, 2);
	cr_assert_eq(cst.free_blocks_after[2], 1);
	/* Nothing was allocated: the holes outside stay as they were. */
	cr_assert_eq(cst.free_blocks_after[0], cst.free_blocks_before[0] - 2);
	for (unsigned int i = 0; i < CHUNK_PAGES; i++)
		live += toys[i].live;
	cr_assert_eq(live, CHUNK_PAGES / 2 - 2);
	assert_consistent();
}

#if UXA_DEBUG
Test(page, double_free_into_a_capture_aborts, .signal = SIGABRT)
{
	fragment_with_toys();
	page_register_vacate(toy_vacate_by_freeing);
	free_twice = true;
	uxa_page_compact(2, NULL);
}
#endif

Test(page, unmovable_pages_are_never_candidates)
{
	static void *pages[CHUNK_PAGES];
	struct uxa_compact_stats cst;

	cr_assert_eq(uxa_page_set_limit(CHUNK_BYTES), 0);
	page_register_vacate(toy_vacate);
	for (unsigned long i = 0; i < CHUNK_PAGES; i++) {
		pages[i] = uxa_alloc_pages(GFP_KERNEL, 0);
		if (i % 4 == 3)		/* odd pages: untagged, or tagged but not movable */
			page_set_owner(pages[i], 0, &toys[i], false);
	}
	for (unsigned long i = 0; i < CHUNK_PAGES; i += 2)
		uxa_free_pages(pages[i], 0);
	cr_assert_eq(uxa_page_compact(1, &cst), -ENOMEM);
	cr_assert_eq(cst.blocks_scanned, CHUNK_PAGES >> 1);
	cr_assert_eq(cst.owners_asked, 0);

	/* An allocation compacts, fails, and defers the next one. */
	struct uxa_page_stats st0 = stats(), st1, st2;

	cr_assert_null(uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1));
	st1 = stats();
	cr_assert_eq(st1.compactions, st0.compactions + 1);
	cr_assert_eq(st1.compactions_deferred, st0.compactions_deferred);
	cr_assert_null(uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, 2));
	st2 = stats();
	cr_assert_eq(st2.compactions, st1.compactions, "deferred, not attempted");
	cr_assert_eq(st2.compactions_deferred, st1.compactions_deferred + 1);
	assert_consistent();
}

Test(page, dump_prints_buddyinfo)
{
	char buf[2048];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	void *p = uxa_alloc_pages(GFP_KERNEL, 0);

	uxa_page_dump(f);
	fclose(f);
	cr_assert(strstr(buf, "order"), "%s", buf);
	cr_assert(strstr(buf, "free"), "%s", buf);
	cr_assert(strstr(buf, "frag"), "%s", buf);
	uxa_free_pages(p, 0);
}
