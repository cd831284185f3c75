/* SPDX-License-Identifier: MIT */
/*
 * test_xa_marks.c - marks (on single and multi-index entries, after erase)
 * and searching: xa_find, xa_find_after, the xa_for_each family,
 * xas_for_each_marked and xa_extract.
 */
#include "xa_test.h"

static void check_mark_at(struct xarray *xa, unsigned long index)
{
	unsigned int max_order = XA_CHUNK_SHIFT + 3;	/* multi-index entries up a level */

	/* An empty index has no marks, and cannot get one. */
	cr_assert_not(xa_get_mark(xa, index, XA_MARK_0));
	xa_set_mark(xa, index, XA_MARK_0);
	cr_assert_not(xa_get_mark(xa, index, XA_MARK_0));
	XA_CHECK(xa);

	/* Storing does not set a mark; setting one sets only that one. */
	cr_assert_null(xa_store_index(xa, index, GFP_KERNEL));
	cr_assert_not(xa_get_mark(xa, index, XA_MARK_0));
	xa_set_mark(xa, index, XA_MARK_0);
	XA_CHECK(xa);
	cr_assert(xa_get_mark(xa, index, XA_MARK_0));
	cr_assert(xa_marked(xa, XA_MARK_0));
	cr_assert_not(xa_get_mark(xa, index + 1, XA_MARK_0));
	cr_assert_not(xa_get_mark(xa, index, XA_MARK_1));
	cr_assert_not(xa_marked(xa, XA_MARK_1));

	/* Erasing clears the marks; they cannot be set again. */
	xa_erase_index(xa, index);
	cr_assert(xa_empty(xa));
	cr_assert_not(xa_get_mark(xa, index, XA_MARK_0));
	cr_assert_not(xa_marked(xa, XA_MARK_0));
	xa_set_mark(xa, index, XA_MARK_0);
	cr_assert_not(xa_get_mark(xa, index, XA_MARK_0));
	/* Storing again does not bring the old mark back. */
	cr_assert_null(xa_store_index(xa, index, GFP_KERNEL));
	cr_assert_not(xa_get_mark(xa, index, XA_MARK_0));
	xa_erase_index(xa, index);

	/* A multi-index entry stored over marked entries gets the union of their marks. */
	cr_assert_eq(index % 4, 0);
	for (unsigned int order = 2; order < max_order; order++) {
		unsigned long base = index & ~((1UL << order) - 1);
		unsigned long next = base + (1UL << order);

		cr_assert_null(xa_store_index(xa, index + 1, GFP_KERNEL));
		xa_set_mark(xa, index + 1, XA_MARK_0);
		cr_assert_null(xa_store_index(xa, index + 2, GFP_KERNEL));
		xa_set_mark(xa, index + 2, XA_MARK_2);
		cr_assert_null(xa_store_index(xa, next, GFP_KERNEL));
		xa_store_order(xa, index, order, xa_mk_index(index), GFP_KERNEL);
		for (unsigned long i = base; i < next; i += 1 + ((next - base) >> 4)) {
			XA_STATE(xas, xa, i);
			unsigned int seen = 0;
			void *entry;

			cr_assert(xa_get_mark(xa, i, XA_MARK_0), "order %u index %lu", order, i);
			cr_assert_not(xa_get_mark(xa, i, XA_MARK_1));
			cr_assert(xa_get_mark(xa, i, XA_MARK_2));
			uxa_rcu_read_lock();
			xas_for_each(&xas, entry, ULONG_MAX)
				seen++;
			uxa_rcu_read_unlock();
			cr_assert_eq(seen, 2, "from %lu: the multi-index entry and next", i);
			xas_set(&xas, 0);
			seen = 0;
			uxa_rcu_read_lock();
			xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_0)
				seen++;
			uxa_rcu_read_unlock();
			cr_assert_eq(seen, 1);
		}
		cr_assert_not(xa_get_mark(xa, next, XA_MARK_0));
		cr_assert_not(xa_get_mark(xa, next, XA_MARK_2));
		xa_erase_index(xa, index);
		xa_erase_index(xa, next);
		cr_assert(xa_empty(xa));
		cr_assert_not(xa_marked(xa, XA_MARK_0));
		cr_assert_not(xa_marked(xa, XA_MARK_2));
	}
}

Test(xa_marks, set_get_clear_and_erase)
{
	DEFINE_XARRAY(xa);

	unsigned long indices[] = {
		0, 4, XA_CHUNK_SIZE - 4, XA_CHUNK_SIZE, XA_CHUNK_SIZE * XA_CHUNK_SIZE - 4,
		XA_CHUNK_SIZE * XA_CHUNK_SIZE + 8, 3 * XA_CHUNK_SIZE * XA_CHUNK_SIZE * XA_CHUNK_SIZE,
		1UL << 40, 12345678 & ~3UL,
	};

	for (unsigned int i = 0; i < sizeof(indices) / sizeof(indices[0]); i++)
		check_mark_at(&xa, indices[i]);
	check_mark_at(&xa, ULONG_MAX - 3);
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, init_marks_and_bulk)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	unsigned long index, count = 0;
	void *entry;

	xa_store_index(&xa, 0, GFP_KERNEL);
	xa_set_mark(&xa, 0, XA_MARK_0);
	xas_lock(&xas);
	xas_load(&xas);
	xas_init_marks(&xas);
	xas_unlock(&xas);
	cr_assert_not(xa_get_mark(&xa, 0, XA_MARK_0));
	XA_CHECK(&xa);

	for (index = 3500; index < 4500; index++) {
		xa_store_index(&xa, index, GFP_KERNEL);
		xa_set_mark(&xa, index, XA_MARK_0);
	}
	XA_CHECK(&xa);
	xas_reset(&xas);
	uxa_rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_0)
		count++;
	uxa_rcu_read_unlock();
	cr_assert_eq(count, 1000);

	/* Clearing every other mark under the lock, while walking. */
	xas_set(&xas, 0);
	xas_lock(&xas);
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_0) {
		if (xas.xa_index & 1)
			xas_clear_mark(&xas, XA_MARK_0);
	}
	xas_unlock(&xas);
	XA_CHECK(&xa);
	count = 0;
	xa_for_each_marked(&xa, index, entry, XA_MARK_0) {
		cr_assert_eq(index & 1, 0);
		cr_assert_eq(entry, xa_mk_index(index));
		count++;
	}
	cr_assert_eq(count, 500);
	xas_set(&xas, 0);
	xas_lock(&xas);
	xas_for_each(&xas, entry, ULONG_MAX)
		xas_init_marks(&xas);
	xas_unlock(&xas);
	cr_assert_not(xa_marked(&xa, XA_MARK_0));
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, mark_inside_multi_index_entry)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0x41);
	void *entry;
	int count = 0;

	xa_store_order(&xa, 0x40, 2, xa_mk_index(0x40), GFP_KERNEL);
	xa_set_mark(&xa, 0x41, XA_MARK_0);
	XA_CHECK(&xa);
	for (unsigned long i = 0x40; i < 0x44; i++)
		cr_assert(xa_get_mark(&xa, i, XA_MARK_0));
	cr_assert_not(xa_get_mark(&xa, 0x44, XA_MARK_0));
	uxa_rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_0) {
		count++;
		cr_assert_eq(entry, xa_mk_index(0x40));
	}
	uxa_rcu_read_unlock();
	cr_assert_eq(count, 1);
	xa_clear_mark(&xa, 0x43, XA_MARK_0);
	cr_assert_not(xa_get_mark(&xa, 0x40, XA_MARK_0));
	cr_assert_not(xa_marked(&xa, XA_MARK_0));
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, find_every_pair)
{
	DEFINE_XARRAY(xa);
	unsigned long n = 3 * XA_CHUNK_SIZE < 80 ? 3 * XA_CHUNK_SIZE : 80;

	for (unsigned long i = 0; i < n; i++) {
		cr_assert_null(xa_store_index(&xa, i, GFP_KERNEL));
		xa_set_mark(&xa, i, XA_MARK_0);
		for (unsigned long j = 0; j < i; j++) {
			cr_assert_null(xa_store_index(&xa, j, GFP_KERNEL));
			xa_set_mark(&xa, j, XA_MARK_0);
			for (unsigned long k = 0; k < n; k++) {
				unsigned long index = k;
				void *entry = xa_find(&xa, &index, ULONG_MAX, XA_PRESENT);

				if (k <= j)
					cr_assert_eq(index, j);
				else if (k <= i)
					cr_assert_eq(index, i);
				else
					cr_assert_null(entry);
				index = k;
				entry = xa_find(&xa, &index, ULONG_MAX, XA_MARK_0);
				if (k <= j)
					cr_assert_eq(index, j);
				else if (k <= i)
					cr_assert_eq(index, i);
				else
					cr_assert_null(entry);
				if (entry)
					cr_assert_eq(entry, xa_mk_index(index));
				else
					cr_assert_eq(index, k, "index untouched when nothing found");
			}
			xa_erase_index(&xa, j);
			cr_assert_not(xa_get_mark(&xa, j, XA_MARK_0));
			cr_assert(xa_get_mark(&xa, i, XA_MARK_0));
		}
		xa_erase_index(&xa, i);
		cr_assert_not(xa_get_mark(&xa, i, XA_MARK_0));
	}
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, for_each_in_order)
{
	DEFINE_XARRAY(xa);
	unsigned long index, j;
	void *entry;

	xa_for_each(&xa, index, entry)
		cr_assert_fail("empty array has no entries");
	for (unsigned long i = 0; i < 300; i++) {
		xa_store_index(&xa, i * 5, GFP_KERNEL);
		j = 0;
		xa_for_each(&xa, index, entry) {
			cr_assert_eq(entry, xa_mk_index(index));
			cr_assert_eq(index, j * 5);
			j++;
		}
		cr_assert_eq(j, i + 1);
	}
	j = 0;
	xa_for_each_start(&xa, index, entry, 101) {
		cr_assert_eq(index, 105 + j * 5);
		j++;
	}
	cr_assert_eq(j, 300 - 21);
	j = 0;
	xa_for_each_range(&xa, index, entry, 100, 200) {
		cr_assert_eq(index, 100 + j * 5);
		j++;
	}
	cr_assert_eq(j, 21);
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, for_each_marked_stops_at_max)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	void *entry;

	for (unsigned long i = 0; i < 70; i++) {
		uxa_rcu_read_lock();
		for (unsigned long j = 0; j < 70; j += 3) {
			for (unsigned long k = 0; k < 70; k += 2) {
				unsigned long seen = 0;

				xas_set(&xas, j);
				xas_for_each_marked(&xas, entry, k, XA_MARK_0) {
					cr_assert(xas.xa_index >= j && xas.xa_index <= k);
					seen++;
				}
				if (j > k)
					cr_assert_eq(xas.xa_node, XAS_RESTART);
				cr_assert_eq(seen, j <= k && j < i ? (k < i ? k : i - 1) - j + 1 : 0,
					     "i %lu j %lu k %lu", i, j, k);
			}
		}
		uxa_rcu_read_unlock();
		xa_store_index(&xa, i, GFP_KERNEL);
		xa_set_mark(&xa, i, XA_MARK_0);
	}
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, find_after_with_multi_index_entries)
{
	DEFINE_XARRAY(xa);

	for (unsigned int order = 2; order < 2 * XA_CHUNK_SHIFT + 2; order++) {
		unsigned long multi = 3UL << order, next = 4UL << order, index;

		xa_store_order(&xa, multi, order, xa_mk_value(multi), GFP_KERNEL);
		cr_assert_null(xa_store_index(&xa, next, GFP_KERNEL));
		cr_assert_null(xa_store_index(&xa, next + 1, GFP_KERNEL));
		xa_set_mark(&xa, next + 1, XA_MARK_1);
		xa_set_mark(&xa, multi + 1, XA_MARK_1);

		index = 0;
		cr_assert_eq(xa_find(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_value(multi));
		cr_assert_eq(index, multi);
		index = multi + 1;
		cr_assert_eq(xa_find(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_value(multi));
		cr_assert(index >= multi && index < next, "index %lu", index);
		cr_assert_eq(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_value(next));
		cr_assert_eq(index, next);
		cr_assert_eq(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT),
			     xa_mk_value(next + 1));
		index = next;
		cr_assert_null(xa_find_after(&xa, &index, next, XA_PRESENT));
		cr_assert_eq(index, next);

		/* Marked: the multi-index entry once, then next + 1. */
		index = 0;
		cr_assert_eq(xa_find(&xa, &index, ULONG_MAX, XA_MARK_1), xa_mk_value(multi));
		cr_assert_eq(index, multi);
		cr_assert_eq(xa_find_after(&xa, &index, ULONG_MAX, XA_MARK_1),
			     xa_mk_value(next + 1), "order %u", order);
		cr_assert_eq(index, next + 1);
		cr_assert_null(xa_find_after(&xa, &index, ULONG_MAX, XA_MARK_1));

		cr_assert_eq(xa_erase(&xa, multi), xa_mk_value(multi));
		xa_erase_index(&xa, next);
		xa_erase_index(&xa, next + 1);
		cr_assert(xa_empty(&xa));
	}
	/* find_after from inside a multi-index entry at 0 finds nothing more. */
	for (unsigned int order = 5; order < XA_BITS_PER_LONG; order++) {
		unsigned long index = 1UL << (order - 5);

		xa_store_order(&xa, 0, order - 4, xa_mk_index(0), GFP_KERNEL);
		cr_assert_null(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT));
		xa_erase_index(&xa, 0);
	}
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, erase_while_iterating_multi_index)
{
	DEFINE_XARRAY(xa);
	void *entry;

	for (unsigned int i = 0; i < XA_CHUNK_SHIFT + 4; i++) {
		unsigned long index = 1UL << i;

		for (unsigned long j = 0; j < index; j++) {
			XA_STATE(xas, &xa, j + index);

			xa_store_index(&xa, index - 1, GFP_KERNEL);
			xa_store_order(&xa, index, i, xa_mk_index(index), GFP_KERNEL);
			uxa_rcu_read_lock();
			xas_for_each(&xas, entry, ULONG_MAX)
				xa_erase_index(&xa, index);
			uxa_rcu_read_unlock();
			xa_erase_index(&xa, index - 1);
			cr_assert(xa_empty(&xa));
		}
	}
	xa_destroy_no_leak(&xa);
}

Test(xa_marks, extract)
{
	DEFINE_XARRAY(xa);
	void *dst[64];
	unsigned int n;

	cr_assert_eq(xa_extract(&xa, dst, 0, ULONG_MAX, 64, XA_PRESENT), 0);
	for (unsigned long i = 0; i < 40; i++) {
		xa_store_index(&xa, i * 3, GFP_KERNEL);
		if (i % 4 == 0)
			xa_set_mark(&xa, i * 3, XA_MARK_2);
	}
	cr_assert_eq(xa_reserve(&xa, 1, GFP_KERNEL), 0);
	xa_store_order(&xa, 1UL << 12, 3, xa_mk_index(1UL << 12), GFP_KERNEL);
	xa_set_mark(&xa, 1UL << 12, XA_MARK_2);
	XA_CHECK(&xa);

	n = xa_extract(&xa, dst, 0, ULONG_MAX, 64, XA_PRESENT);
	cr_assert_eq(n, 41, "reserved skipped, multi-index once");
	for (unsigned int i = 0; i < 40; i++)
		cr_assert_eq(dst[i], xa_mk_index(i * 3));
	cr_assert_eq(dst[40], xa_mk_index(1UL << 12));
	n = xa_extract(&xa, dst, 10, 30, 64, XA_PRESENT);
	cr_assert_eq(n, 7);
	cr_assert_eq(dst[0], xa_mk_index(12));
	cr_assert_eq(dst[6], xa_mk_index(30));
	n = xa_extract(&xa, dst, 0, ULONG_MAX, 5, XA_PRESENT);
	cr_assert_eq(n, 5);
	cr_assert_eq(dst[4], xa_mk_index(12));
	n = xa_extract(&xa, dst, 0, ULONG_MAX, 64, XA_MARK_2);
	cr_assert_eq(n, 11);
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(dst[i], xa_mk_index(i * 12));
	cr_assert_eq(dst[10], xa_mk_index(1UL << 12));
	cr_assert_eq(xa_extract(&xa, dst, (1UL << 12) + 2, ULONG_MAX, 64, XA_MARK_2), 1,
		     "start inside the multi-index entry");
	cr_assert_eq(xa_extract(&xa, dst, 0, ULONG_MAX, 0, XA_PRESENT), 0);
	cr_assert_eq(xa_extract(&xa, dst, 0, ULONG_MAX, 64, XA_MARK_1), 0);
	xa_destroy_no_leak(&xa);
}
