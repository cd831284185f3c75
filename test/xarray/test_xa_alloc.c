/* SPDX-License-Identifier: MIT */
/*
 * test_xa_alloc.c - ID allocation: xa_alloc() limits and reuse,
 * XA_FLAGS_ALLOC vs XA_FLAGS_ALLOC1, -EBUSY when the range is full,
 * xa_alloc_cyclic() and its return of 1 when it wrapped.
 */
#include "xa_test.h"

static void xa_alloc_index(struct xarray *xa, unsigned long index)
{
	uint32_t id = 0xdead;

	cr_assert_eq(xa_alloc(xa, &id, xa_mk_index(index), xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, index, "allocated %u, expected %lu", id, index);
	XA_CHECK(xa);
}

static void check_alloc_1(struct xarray *xa, unsigned int base)
{
	uint32_t id;

	cr_assert(xa_empty(xa));
	xa_alloc_index(xa, base);
	xa_erase_index(xa, base);
	cr_assert(xa_empty(xa));
	xa_alloc_index(xa, base);

	/* Allocating and then erasing a lot does not lose base. */
	for (unsigned int i = base + 1; i < 2 * XA_CHUNK_SIZE; i++)
		xa_alloc_index(xa, i);
	for (unsigned int i = base; i < 2 * XA_CHUNK_SIZE; i++)
		xa_erase_index(xa, i);
	xa_alloc_index(xa, base);

	/* Destroying frees every ID. */
	xa_destroy(xa);
	xa_alloc_index(xa, base);
	xa_alloc_index(xa, base + 1);
	xa_erase_index(xa, base + 1);

	/* A plain store makes an ID busy; erase makes it free. */
	xa_store_index(xa, base + 1, GFP_KERNEL);
	xa_alloc_index(xa, base + 2);
	xa_erase_index(xa, base);
	xa_alloc_index(xa, base);
	xa_erase_index(xa, base + 1);
	xa_erase_index(xa, base + 2);

	for (unsigned int i = 1; i < 5 * XA_CHUNK_SIZE * XA_CHUNK_SIZE && i < 5000; i++)
		xa_alloc_index(xa, base + i);
	xa_destroy(xa);

	/* The top of the 32-bit range. */
	cr_assert_eq(xa_alloc(xa, &id, xa_mk_index(UINT_MAX - 1), XA_LIMIT(UINT_MAX - 1, UINT_MAX),
			      GFP_KERNEL), 0);
	cr_assert_eq(id, UINT_MAX - 1);
	cr_assert_eq(xa_alloc(xa, &id, xa_mk_index(UINT_MAX), XA_LIMIT(UINT_MAX - 1, UINT_MAX),
			      GFP_KERNEL), 0);
	cr_assert_eq(id, UINT_MAX);
	id = 3;
	cr_assert_eq(xa_alloc(xa, &id, xa_mk_index(0), XA_LIMIT(UINT_MAX - 1, UINT_MAX),
			      GFP_KERNEL), -EBUSY);
	cr_assert_eq(id, 3, "id untouched when the range is full");
	XA_CHECK(xa);
	xa_destroy(xa);

	/* An empty range (min > max) is always busy. */
	cr_assert_eq(xa_alloc(xa, &id, xa_mk_index(10), XA_LIMIT(10, 5), GFP_KERNEL), -EBUSY);
	cr_assert_null(xa_store_index(xa, 3, GFP_KERNEL));
	cr_assert_eq(xa_alloc(xa, &id, xa_mk_index(10), XA_LIMIT(10, 5), GFP_KERNEL), -EBUSY);
	xa_erase_index(xa, 3);
	cr_assert(xa_empty(xa));
	xa_destroy_no_leak(xa);
}

Test(xa_alloc, alloc_from_0)
{
	DEFINE_XARRAY_ALLOC(xa);

	check_alloc_1(&xa, 0);
}

Test(xa_alloc, alloc_from_1)
{
	DEFINE_XARRAY_ALLOC1(xa);

	check_alloc_1(&xa, 1);
}

static void check_alloc_null(struct xarray *xa, unsigned int base)
{
	unsigned long index;
	void *entry;
	uint32_t id;

	/* Allocating NULL reserves the ID; erase (or destroy) frees it. */
	cr_assert_eq(xa_alloc(xa, &id, NULL, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, base);
	cr_assert_not(xa_empty(xa));
	cr_assert_null(xa_erase(xa, id));
	cr_assert(xa_empty(xa));
	cr_assert_eq(xa_alloc(xa, &id, NULL, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, base);
	xa_destroy(xa);
	cr_assert(xa_empty(xa));

	for (unsigned int i = base; i < base + 10; i++) {
		cr_assert_eq(xa_alloc(xa, &id, NULL, xa_limit_32b, GFP_KERNEL), 0);
		cr_assert_eq(id, i);
	}
	cr_assert_null(xa_store(xa, 3, xa_mk_index(3), GFP_KERNEL));
	cr_assert_null(xa_store(xa, 4, xa_mk_index(4), GFP_KERNEL));
	/* Storing NULL in an allocating array keeps the ID reserved. */
	cr_assert_eq(xa_store(xa, 4, NULL, GFP_KERNEL), xa_mk_index(4));
	cr_assert_null(xa_erase(xa, 5));
	XA_CHECK(xa);
	cr_assert_eq(xa_alloc(xa, &id, NULL, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 5);
	xa_for_each(xa, index, entry)
		xa_erase_index(xa, index);
	for (unsigned int i = base; i < base + 9; i++) {
		cr_assert_null(xa_erase(xa, i));
		cr_assert_not(xa_empty(xa));
	}
	cr_assert_null(xa_erase(xa, 8));
	cr_assert_not(xa_empty(xa));
	cr_assert_null(xa_erase(xa, base + 9));
	cr_assert(xa_empty(xa));
	XA_CHECK(xa);
	xa_destroy_no_leak(xa);
}

Test(xa_alloc, reserve_by_allocating_null)
{
	DEFINE_XARRAY_ALLOC(xa0);
	DEFINE_XARRAY_ALLOC1(xa1);

	check_alloc_null(&xa0, 0);
	check_alloc_null(&xa1, 1);
}

static void check_alloc_cyclic(struct xarray *xa, unsigned int base)
{
	struct xa_limit limit = XA_LIMIT(1, 0x3fff);
	uint32_t next = 0, id;
	unsigned long index;
	void *entry;

	cr_assert_eq(xa_alloc_cyclic(xa, &id, xa_mk_index(1), limit, &next, GFP_KERNEL), 0);
	cr_assert_eq(id, 1);
	cr_assert_eq(next, 2);
	next = 0x3ffd;
	cr_assert_eq(xa_alloc_cyclic(xa, &id, xa_mk_index(0x3ffd), limit, &next, GFP_KERNEL), 0);
	cr_assert_eq(id, 0x3ffd);
	xa_erase_index(xa, 0x3ffd);
	xa_erase_index(xa, 1);
	cr_assert(xa_empty(xa));

	/* next = 0x3ffe: 0x3ffe, 0x3fff, then wraps to 1 (returns 1), 2, 3. */
	for (unsigned int i = 0x3ffe; i < 0x4003; i++) {
		void *want = xa_mk_index(i < 0x4000 ? i : i - 0x3fff);
		int ret = xa_alloc_cyclic(xa, &id, want, limit, &next, GFP_KERNEL);

		cr_assert_eq(ret, id == 1 ? 1 : 0, "id %u ret %d", id, ret);
		cr_assert_eq(xa_mk_index(id), want);
		XA_CHECK(xa);
	}

	/* Wrapping past UINT_MAX. */
	if (base != 0)
		xa_erase_index(xa, base);
	xa_erase_index(xa, base + 1);
	next = UINT_MAX;
	cr_assert_eq(xa_alloc_cyclic(xa, &id, xa_mk_index(UINT_MAX), xa_limit_32b, &next,
				     GFP_KERNEL), 0);
	cr_assert_eq(id, UINT_MAX);
	cr_assert_eq(next, 0);
	cr_assert_eq(xa_alloc_cyclic(xa, &id, xa_mk_index(base), xa_limit_32b, &next,
				     GFP_KERNEL), 1, "the allocation after UINT_MAX wrapped");
	cr_assert_eq(id, base);
	cr_assert_eq(xa_alloc_cyclic(xa, &id, xa_mk_index(base + 1), xa_limit_32b, &next,
				     GFP_KERNEL), 0);
	cr_assert_eq(id, base + 1);
	XA_CHECK(xa);
	xa_for_each(xa, index, entry)
		xa_erase_index(xa, index);
	cr_assert(xa_empty(xa));
	xa_destroy_no_leak(xa);
}

Test(xa_alloc, cyclic_wraps_and_returns_1)
{
	DEFINE_XARRAY_ALLOC(xa0);
	DEFINE_XARRAY_ALLOC1(xa1);

	check_alloc_cyclic(&xa0, 0);
	check_alloc_cyclic(&xa1, 1);
}

Test(xa_alloc, full_range_is_busy)
{
	DEFINE_XARRAY_ALLOC(xa);
	struct xa_limit limit = XA_LIMIT(5, 5 + 2 * XA_CHUNK_SIZE);
	uint32_t id, next = 7;

	for (unsigned int i = 5; i <= 5 + 2 * XA_CHUNK_SIZE; i++) {
		cr_assert_eq(xa_alloc(&xa, &id, xa_mk_index(i), limit, GFP_KERNEL), 0);
		cr_assert_eq(id, i);
	}
	XA_CHECK(&xa);
	id = 1234;
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_index(0), limit, GFP_KERNEL), -EBUSY);
	cr_assert_eq(xa_alloc_cyclic(&xa, &id, xa_mk_index(0), limit, &next, GFP_KERNEL), -EBUSY);
	cr_assert_eq(id, 1234);
	cr_assert_eq(next, 7, "next untouched when full");
	/* Free one in the middle: both find it; cyclic from beyond it wraps. */
	xa_erase_index(&xa, 9);
	next = 12;
	cr_assert_eq(xa_alloc_cyclic(&xa, &id, xa_mk_index(9), limit, &next, GFP_KERNEL), 1);
	cr_assert_eq(id, 9);
	cr_assert_eq(next, 10);
	xa_erase_index(&xa, 9);
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_index(9), limit, GFP_KERNEL), 0);
	cr_assert_eq(id, 9);
	/* Outside the limit there is room. */
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_index(0), xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 0);
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_index(6 + 2 * XA_CHUNK_SIZE), xa_limit_16b,
			      GFP_KERNEL), 0);
	cr_assert_eq(id, 1);
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_alloc, limits)
{
	DEFINE_XARRAY_ALLOC1(xa);
	uint32_t id;

	cr_assert_eq(xa_limit_32b.min, 0);
	cr_assert_eq(xa_limit_32b.max, UINT_MAX);
	cr_assert_eq(xa_limit_31b.max, INT_MAX);
	cr_assert_eq(xa_limit_16b.max, USHRT_MAX);
	/* ALLOC1: index 0 is never handed out, even when the limit allows it. */
	cr_assert_eq(xa_alloc(&xa, &id, &xa, XA_LIMIT(0, 0), GFP_KERNEL), -EBUSY);
	cr_assert_eq(xa_alloc(&xa, &id, &xa, XA_LIMIT(0, 10), GFP_KERNEL), 0);
	cr_assert_eq(id, 1);
	cr_assert_eq(xa_alloc(&xa, &id, &xa, XA_LIMIT(USHRT_MAX, USHRT_MAX), GFP_KERNEL), 0);
	cr_assert_eq(id, USHRT_MAX);
	cr_assert_eq(xa_alloc(&xa, &id, &xa, XA_LIMIT(INT_MAX, UINT_MAX), GFP_KERNEL), 0);
	cr_assert_eq(id, INT_MAX);
	cr_assert_eq(xa_load(&xa, INT_MAX), &xa);
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_alloc, misaligned_pointers_are_refused)
{
	DEFINE_XARRAY_ALLOC(xa);
	static uint32_t words[8];
	char *base = (char *)words;
	uint32_t id;

	/* 4-byte aligned pointers are entries; a pointer with bit 1 set is internal. */
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(xa_alloc(&xa, &id, &words[i], xa_limit_32b, GFP_KERNEL), 0);
		cr_assert_eq(id, (uint32_t)i);
	}
	cr_assert_eq(xa_alloc(&xa, &id, base + 2, xa_limit_32b, GFP_KERNEL), -EINVAL);
	cr_assert_eq(xa_err(xa_store(&xa, 100, base + 6, GFP_KERNEL)), -EINVAL);
	cr_assert_eq(xa_count_entries(&xa), 8);
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

/* Multi-index entries in an allocating array: storing makes every index busy, erasing frees all. */
Test(xa_alloc, multi_index_entries_and_free_ids)
{
	DEFINE_XARRAY_ALLOC(xa);
	uint32_t id;

	cr_assert_null(xa_store_range(&xa, 0, 5, &xa, GFP_KERNEL));
	XA_CHECK(&xa);
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_value(6), xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 6, "store_range made 0..5 busy");
	cr_assert_null(xa_store_range(&xa, 0, 5, NULL, GFP_KERNEL));
	XA_CHECK(&xa);
	for (uint32_t want = 0; want < 6; want++) {
		cr_assert_eq(xa_alloc(&xa, &id, xa_mk_value(want), xa_limit_32b, GFP_KERNEL), 0);
		cr_assert_eq(id, want, "every erased index is free again");
	}
	xa_destroy(&xa);

	/* An order-3 entry stored with the advanced API, then erased whole. */
	xa_store_order(&xa, 8, 3, &xa, GFP_KERNEL);
	/* The advanced API leaves XA_FREE_MARK to the caller (as in the kernel). */
	xa_clear_mark(&xa, 8, XA_FREE_MARK);
	XA_CHECK(&xa);
	for (uint32_t want = 0; want < 8; want++) {
		cr_assert_eq(xa_alloc(&xa, &id, xa_mk_value(want), xa_limit_32b, GFP_KERNEL), 0);
		cr_assert_eq(id, want);
	}
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_value(16), xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 16);
	cr_assert_eq(xa_erase(&xa, 11), &xa);
	XA_CHECK(&xa);
	for (uint32_t want = 8; want < 16; want++) {
		cr_assert_eq(xa_alloc(&xa, &id, xa_mk_value(want), xa_limit_32b, GFP_KERNEL), 0);
		cr_assert_eq(id, want, "erasing the order-3 entry freed all 8 IDs");
	}
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

/* ALLOC1: index 0 may be stored and erased by hand, yet is never allocated. */
Test(xa_alloc, alloc1_never_hands_out_zero)
{
	DEFINE_XARRAY_ALLOC1(xa);
	uint32_t id;

	for (int round = 0; round < 3; round++) {
		cr_assert_null(xa_store(&xa, 0, &xa, GFP_KERNEL));
		XA_CHECK(&xa);
		cr_assert_eq(xa_erase(&xa, 0), &xa);
		XA_CHECK(&xa);
		cr_assert_eq(xa_alloc(&xa, &id, &xa, XA_LIMIT(0, 10), GFP_KERNEL), 0);
		cr_assert_eq(id, 1, "round %d", round);
		xa_store_index(&xa, 2 * XA_CHUNK_SIZE, GFP_KERNEL);
		cr_assert_eq(xa_erase(&xa, 1), &xa);
		xa_erase_index(&xa, 2 * XA_CHUNK_SIZE);
		cr_assert(xa_empty(&xa));
	}
	cr_assert_eq(xa_alloc(&xa, &id, &xa, XA_LIMIT(0, 0), GFP_KERNEL), -EBUSY);
	xa_destroy_no_leak(&xa);
}
