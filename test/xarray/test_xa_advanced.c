/* SPDX-License-Identifier: MIT */
/*
 * test_xa_advanced.c - the advanced API: retry entries, xas_next/xas_prev
 * with wrap-around, xas_pause during iteration, multi-index stores and
 * their accounting, xas_create_range, xa_store_range over every [i, j] of a
 * small window, xas_for_each_conflict, xas_split, xas_get_order and the
 * xas_set_update() private-list protocol with xa_delete_node().
 */
#include "xa_test.h"

Test(xa_advanced, retry_entries)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	void *entry;

	xa_store_index(&xa, 0, GFP_KERNEL);
	xa_store_index(&xa, 1, GFP_KERNEL);
	uxa_rcu_read_lock();
	cr_assert_eq(xas_find(&xas, ULONG_MAX), xa_mk_index(0));
	xa_erase_index(&xa, 1);
	cr_assert(xa_is_retry(xas_reload(&xas)), "the node we stand in was retired");
	cr_assert_not(xas_retry(&xas, NULL));
	cr_assert_not(xas_retry(&xas, xa_mk_index(0)));
	xas_reset(&xas);
	cr_assert_eq(xas.xa_node, XAS_RESTART);
	cr_assert_eq(xas_next_entry(&xas, ULONG_MAX), xa_mk_index(0));
	cr_assert_null(xas.xa_node, "index 0 is the head");
	uxa_rcu_read_unlock();

	cr_assert_null(xa_store_index(&xa, 1, GFP_KERNEL));
	uxa_rcu_read_lock();
	cr_assert(xa_is_internal(xas_reload(&xas)), "the head is now a node");
	xas.xa_node = XAS_RESTART;
	cr_assert_eq(xas_next_entry(&xas, ULONG_MAX), xa_mk_index(0));
	uxa_rcu_read_unlock();

	/* Iterating over retry entries stored by hand (as the kernel's test does). */
	xas_lock(&xas);
	xas_set(&xas, 0);
	xas_store(&xas, XA_RETRY_ENTRY);
	xas_set(&xas, 1);
	xas_store(&xas, XA_RETRY_ENTRY);
	xas_set(&xas, 0);
	xas_for_each(&xas, entry, ULONG_MAX)
		xas_store(&xas, xa_mk_index(xas.xa_index));
	xas_unlock(&xas);
	XA_CHECK(&xa);
	xa_erase_index(&xa, 0);
	xa_erase_index(&xa, 1);
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, move_tiny_and_max)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);

	uxa_rcu_read_lock();
	cr_assert_null(xas_next(&xas));
	cr_assert_null(xas_next(&xas));
	uxa_rcu_read_unlock();
	xa_store_index(&xa, 0, GFP_KERNEL);
	uxa_rcu_read_lock();
	xas_set(&xas, 0);
	cr_assert_eq(xas_next(&xas), xa_mk_index(0));
	cr_assert_null(xas_next(&xas));
	xas_set(&xas, 0);
	cr_assert_eq(xas_prev(&xas), xa_mk_index(0));
	cr_assert_null(xas_prev(&xas));
	cr_assert_eq(xas.xa_index, ULONG_MAX);
	uxa_rcu_read_unlock();
	xa_erase_index(&xa, 0);
	xa_destroy_no_leak(&xa);
}

static void check_move_small(struct xarray *xa, unsigned long idx)
{
	XA_STATE(xas, xa, 0);
	unsigned long i;

	xa_store_index(xa, 0, GFP_KERNEL);
	xa_store_index(xa, idx, GFP_KERNEL);
	uxa_rcu_read_lock();
	for (i = 0; i < idx * 4; i++) {
		void *entry = xas_next(&xas);

		if (i <= idx)
			cr_assert_neq(xas.xa_node, XAS_RESTART);
		cr_assert_eq(xas.xa_index, i);
		if (i == 0 || i == idx)
			cr_assert_eq(entry, xa_mk_index(i), "idx %lu i %lu", idx, i);
		else
			cr_assert_null(entry, "idx %lu i %lu", idx, i);
	}
	xas_next(&xas);
	cr_assert_eq(xas.xa_index, i);
	do {
		void *entry = xas_prev(&xas);

		i--;
		if (i <= idx)
			cr_assert_neq(xas.xa_node, XAS_RESTART);
		cr_assert_eq(xas.xa_index, i);
		if (i == 0 || i == idx)
			cr_assert_eq(entry, xa_mk_index(i), "idx %lu i %lu", idx, i);
		else
			cr_assert_null(entry, "idx %lu i %lu", idx, i);
	} while (i > 0);

	/* Wrap-around both ways. */
	xas_set(&xas, ULONG_MAX);
	cr_assert_null(xas_next(&xas));
	cr_assert_eq(xas.xa_index, ULONG_MAX);
	cr_assert_eq(xas_next(&xas), xa_mk_index(0));
	cr_assert_eq(xas.xa_index, 0);
	cr_assert_null(xas_prev(&xas));
	cr_assert_eq(xas.xa_index, ULONG_MAX);
	uxa_rcu_read_unlock();
	xa_erase_index(xa, 0);
	xa_erase_index(xa, idx);
	cr_assert(xa_empty(xa));
}

Test(xa_advanced, next_prev_with_wrap_around)
{
	DEFINE_XARRAY(xa);
	unsigned long n = 1UL << (2 * XA_CHUNK_SHIFT + 1), i;
	XA_STATE(xas, &xa, n - 1);

	for (i = 0; i < n; i++)
		cr_assert_null(xa_store(&xa, i, xa_mk_index(i), GFP_KERNEL));
	XA_CHECK(&xa);
	uxa_rcu_read_lock();
	do {
		void *entry = xas_prev(&xas);

		i--;
		cr_assert_eq(entry, xa_mk_index(i));
		cr_assert_eq(xas.xa_index, i);
	} while (i != 0);
	cr_assert_null(xas_prev(&xas));
	cr_assert_eq(xas.xa_index, ULONG_MAX);
	do {
		void *entry = xas_next(&xas);

		cr_assert_eq(entry, xa_mk_index(i));
		cr_assert_eq(xas.xa_index, i);
		i++;
	} while (i < n);
	uxa_rcu_read_unlock();

	for (i = n / 8; i < n / 2; i++)
		xa_erase(&xa, i);
	XA_CHECK(&xa);
	i = xas.xa_index;
	uxa_rcu_read_lock();
	do {
		void *entry = xas_prev(&xas);

		i--;
		if (i < n / 8 || i >= n / 2)
			cr_assert_eq(entry, xa_mk_index(i), "i %lu", i);
		else
			cr_assert_null(entry, "i %lu", i);
		cr_assert_eq(xas.xa_index, i);
	} while (i != 0);
	cr_assert_null(xas_prev(&xas));
	cr_assert_eq(xas.xa_index, ULONG_MAX);
	do {
		void *entry = xas_next(&xas);

		if (i < n / 8 || i >= n / 2)
			cr_assert_eq(entry, xa_mk_index(i), "i %lu", i);
		else
			cr_assert_null(entry, "i %lu", i);
		cr_assert_eq(xas.xa_index, i);
		i++;
	} while (i < n);
	uxa_rcu_read_unlock();
	xa_destroy(&xa);

	for (i = 0; i < 2 * XA_CHUNK_SHIFT + 2; i++)
		check_move_small(&xa, 1UL << i);
	for (i = 2; i < 2 * XA_CHUNK_SHIFT + 2; i++)
		check_move_small(&xa, (1UL << i) - 1);
	xa_destroy_no_leak(&xa);
}

/* Find @item with xas_for_each(), pausing every fourth entry. */
static unsigned long find_with_pauses(struct xarray *xa, void *item)
{
	XA_STATE(xas, xa, 0);
	unsigned int checked = 0;
	void *entry;

	uxa_rcu_read_lock();
	xas_for_each(&xas, entry, ULONG_MAX) {
		if (xas_retry(&xas, entry))
			continue;
		if (entry == item)
			break;
		checked++;
		if ((checked % 4) != 0)
			continue;
		xas_pause(&xas);
	}
	uxa_rcu_read_unlock();
	return entry ? xas.xa_index : ULONG_MAX;
}

Test(xa_advanced, pause_during_iteration)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	unsigned int order_limit = XA_BITS_PER_LONG, count;
	unsigned long index = 1;
	int order;
	void *entry;

	for (order = 0; order < (int)order_limit; order++) {
		cr_assert_null(xa_store_order(&xa, index, order, xa_mk_index(index), GFP_KERNEL));
		index += 1UL << order;
	}
	count = 0;
	uxa_rcu_read_lock();
	xas_for_each(&xas, entry, ULONG_MAX) {
		cr_assert_eq(entry, xa_mk_index(1UL << count));
		count++;
	}
	uxa_rcu_read_unlock();
	cr_assert_eq(count, order_limit);

	count = 0;
	xas_set(&xas, 0);
	uxa_rcu_read_lock();
	xas_for_each(&xas, entry, ULONG_MAX) {
		cr_assert_eq(entry, xa_mk_index(1UL << count));
		count++;
		xas_pause(&xas);
	}
	uxa_rcu_read_unlock();
	cr_assert_eq(count, order_limit);
	xa_destroy(&xa);

	index = 0;
	for (order = order_limit - 1; order >= 0; order--) {
		cr_assert_null(xa_store_order(&xa, index, order, xa_mk_index(index), GFP_KERNEL));
		index += 1UL << order;
	}
	for (unsigned long start = 0; start < 2; start++) {
		index = 0;
		count = 0;
		xas_set(&xas, start);
		uxa_rcu_read_lock();
		xas_for_each(&xas, entry, ULONG_MAX) {
			cr_assert_eq(entry, xa_mk_index(index));
			index += 1UL << (order_limit - count - 1);
			count++;
			/* Drop and retake the read lock, as a real pauser would. */
			xas_pause(&xas);
			uxa_rcu_read_unlock();
			uxa_rcu_read_lock();
		}
		uxa_rcu_read_unlock();
		cr_assert_eq(count, order_limit);
	}
	xa_destroy(&xa);

	/* Pausing with the lock held, and the lock dropped, while entries change. */
	for (unsigned long i = 0; i < 5 * XA_CHUNK_SIZE; i++)
		xa_store_index(&xa, i, GFP_KERNEL);
	xas_set(&xas, 0);
	count = 0;
	xas_lock(&xas);
	xas_for_each(&xas, entry, ULONG_MAX) {
		unsigned long next = xas.xa_index + 1;

		cr_assert_eq(entry, xa_mk_index(xas.xa_index));
		cr_assert_neq(xas.xa_index % 3, 1, "erased while paused, yet visited");
		count++;
		if (xas.xa_index % 3 == 0) {
			xas_pause(&xas);
			cr_assert_eq(xas.xa_index, next, "pause moves past the entry");
			xas_unlock(&xas);
			xa_erase(&xa, next);	/* the next one vanishes while unlocked */
			xas_lock(&xas);
		}
	}
	xas_unlock(&xas);
	cr_assert_eq(count, 5 * XA_CHUNK_SIZE - (5 * XA_CHUNK_SIZE + 1) / 3);
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, find_entry_with_pauses)
{
	DEFINE_XARRAY(xa);

	for (unsigned int order = 0; order < 2 * XA_CHUNK_SHIFT + 2; order++) {
		for (unsigned long offset = 0; offset < (1UL << (order + 3));
		     offset += 1UL << order) {
			for (unsigned long index = 0; index < (1UL << (order + 5));
			     index += 1UL << order) {
				xa_store_order(&xa, index, order, xa_mk_index(index), GFP_KERNEL);
				cr_assert_eq(xa_load(&xa, index), xa_mk_index(index));
				cr_assert_eq(find_with_pauses(&xa, xa_mk_index(index)), index);
			}
			cr_assert_eq(find_with_pauses(&xa, &xa), ULONG_MAX);
			xa_destroy(&xa);
		}
	}
	cr_assert_eq(find_with_pauses(&xa, &xa), ULONG_MAX);
	xa_store_index(&xa, ULONG_MAX, GFP_KERNEL);
	cr_assert_eq(find_with_pauses(&xa, &xa), ULONG_MAX);
	xa_erase_index(&xa, ULONG_MAX);
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, multi_index_store)
{
	DEFINE_XARRAY(xa);
	unsigned int max_order = XA_BITS_PER_LONG - 4;
	struct xa_node *node;

	xa_store_order(&xa, 0, 1, xa_mk_value(0), GFP_KERNEL);
	cr_assert_eq(xa_load(&xa, 0), xa_mk_value(0));
	cr_assert_eq(xa_load(&xa, 1), xa_mk_value(0));
	cr_assert_null(xa_load(&xa, 2));
	node = xa_to_node(xa.xa_head);
	cr_assert_eq(node->count, 2);
	cr_assert_eq(node->nr_values, 2);
	xa_store(&xa, 3, &xa, GFP_KERNEL);
	cr_assert_eq(xa_load(&xa, 1), xa_mk_value(0));
	cr_assert_null(xa_load(&xa, 2));
	cr_assert_eq(node->count, 3);
	cr_assert_eq(node->nr_values, 2);
	xa_store_order(&xa, 0, 2, xa_mk_value(1), GFP_KERNEL);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(xa_load(&xa, i), xa_mk_value(1));
	cr_assert_null(xa_load(&xa, 4));
	if (XA_CHUNK_SHIFT > 2) {	/* (with 4-slot nodes, order 2 replaces the node) */
		cr_assert_eq(node->count, 4);
		cr_assert_eq(node->nr_values, 4);
	}
	xa_store_order(&xa, 0, XA_BITS_PER_LONG - 1, NULL, GFP_KERNEL);
	cr_assert(xa_empty(&xa));

	/* Erasing a range whose first slot is empty. */
	xa_store_index(&xa, 1, GFP_KERNEL);
	xa_store_index(&xa, 2, GFP_KERNEL);
	xa_store_order(&xa, 0, 2, NULL, GFP_KERNEL);
	cr_assert(xa_empty(&xa));

	for (unsigned int i = 0; i < max_order; i += 3) {
		for (unsigned int j = 0; j < max_order; j += 2) {
			xa_store_order(&xa, 0, i, xa_mk_index(i), GFP_KERNEL);
			xa_store_order(&xa, 0, j, xa_mk_index(j), GFP_KERNEL);
			for (unsigned int k = 0; k < max_order; k++) {
				void *entry = xa_load(&xa, (1UL << k) - 1);

				if (i < k && j < k)
					cr_assert_null(entry, "i %u j %u k %u", i, j, k);
				else
					cr_assert_eq(entry, xa_mk_index(j), "i %u j %u k %u", i, j, k);
			}
			xa_erase(&xa, 0);
			XA_CHECK(&xa);
			cr_assert(xa_empty(&xa), "i %u j %u", i, j);
		}
	}

	for (unsigned int order = 0; order < 2 * XA_CHUNK_SHIFT + 4; order++) {
		unsigned long starts[] = { 200, 0, (1UL << order) + 1 };

		for (unsigned int s = 0; s < 3; s++) {
			unsigned long index = starts[s];
			unsigned long min = index & ~((1UL << order) - 1);
			unsigned long max = min + (1UL << order);
			XA_STATE(xas, &xa, index);

			xa_store_order(&xa, index, order, xa_mk_index(index), GFP_KERNEL);
			cr_assert_eq(xa_load(&xa, min), xa_mk_index(index));
			cr_assert_eq(xa_load(&xa, max - 1), xa_mk_index(index));
			cr_assert_null(xa_load(&xa, max));
			cr_assert_null(xa_load(&xa, min - 1));
			cr_assert_eq(xa_get_order(&xa, index), (int)order);
			/* Storing at any index of it replaces the whole entry. */
			xas_lock(&xas);
			cr_assert_eq(xas_store(&xas, xa_mk_index(min)), xa_mk_index(index));
			xas_unlock(&xas);
			XA_CHECK(&xa);
			cr_assert_eq(xa_load(&xa, min), xa_mk_index(min));
			cr_assert_eq(xa_load(&xa, max - 1), xa_mk_index(min));
			cr_assert_null(xa_load(&xa, max));
			xa_erase_index(&xa, min);
			cr_assert(xa_empty(&xa));
		}
	}
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, accounting_of_values_and_siblings)
{
	DEFINE_XARRAY(xa);

	for (unsigned int order = 1; order < XA_CHUNK_SHIFT; order++) {
		XA_STATE(xas, &xa, 1UL << order);

		xa_store_order(&xa, 0, order, &xa, GFP_KERNEL);
		uxa_rcu_read_lock();
		xas_load(&xas);
		cr_assert_neq(xas.xa_node->count, 0);
		cr_assert_leq(xas.xa_node->count, 1U << order);
		cr_assert_eq(xas.xa_node->nr_values, 0);
		uxa_rcu_read_unlock();
		xa_store_order(&xa, 1UL << order, order, xa_mk_index(1UL << order), GFP_KERNEL);
		cr_assert_eq(xas.xa_node->count, xas.xa_node->nr_values * 2);
		xa_erase(&xa, 1UL << order);
		cr_assert_eq(xas.xa_node->nr_values, 0);
		xa_erase(&xa, 0);
		XA_CHECK(&xa);
		cr_assert(xa_empty(&xa));
	}
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, get_order)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	unsigned int max_order = 3 * XA_CHUNK_SHIFT + 2;

	for (unsigned long i = 0; i < 3; i++)
		cr_assert_eq(xa_get_order(&xa, i), 0);
	for (unsigned int order = 0; order < max_order; order++) {
		for (unsigned long i = 0; i < 10; i++) {
			xas_set_order(&xas, i << order, order);
			do {
				xas_lock(&xas);
				xas_store(&xas, xa_mk_value(i));
				xas_unlock(&xas);
			} while (xas_nomem(&xas, GFP_KERNEL));
			XA_CHECK(&xa);
			for (unsigned long j = i << order; j < (i + 1) << order;
			     j += 1 + (j >> 3)) {
				cr_assert_eq(xa_get_order(&xa, j), (int)order);
				xas_set_order(&xas, j, 0);
				uxa_rcu_read_lock();
				xas_load(&xas);
				cr_assert_eq(xas_get_order(&xas), (int)order);
				uxa_rcu_read_unlock();
			}
			/* Conflict iteration over a smaller part reports the whole entry. */
			for (unsigned int k = 0; k < order; k++) {
				int seen = 0;
				void *entry;

				xas_set_order(&xas, (i << order) + (1UL << k), k);
				xas_lock(&xas);
				xas_for_each_conflict(&xas, entry) {
					cr_assert_eq(entry, xa_mk_value(i));
					cr_assert_eq(xas_get_order(&xas), (int)order);
					seen++;
				}
				xas_unlock(&xas);
				cr_assert_eq(seen, 1, "order %u i %lu k %u", order, i, k);
			}
			xas_lock(&xas);
			xas_set_order(&xas, i << order, order);
			xas_store(&xas, NULL);
			xas_unlock(&xas);
			XA_CHECK(&xa);
		}
	}
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* xas_create_range.                                                   */

static void store_many_order(struct xarray *xa, unsigned long index, unsigned int order)
{
	XA_STATE_ORDER(xas, xa, index, order);

	do {
		xas_lock(&xas);
		cr_assert_null(xas_find_conflict(&xas));
		xas_create_range(&xas);
		if (!xas_error(&xas)) {
			for (unsigned long i = 0; i < (1UL << order); i++) {
				cr_assert_null(xas_store(&xas, xa_mk_index(index + i)));
				xas_next(&xas);
			}
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	cr_assert_eq(xas_error(&xas), 0);
	XA_CHECK(xa);
}

static void check_create_range_over(struct xarray *xa, unsigned long index, unsigned int order)
{
	XA_STATE_ORDER(xas, xa, index, order);
	unsigned long base = xas.xa_index;

	xa_store_index(xa, index, GFP_KERNEL);
	do {
		xas_lock(&xas);
		xas_create_range(&xas);
		if (!xas_error(&xas)) {
			for (unsigned long i = 0; i < (1UL << order); i++) {
				void *old = xas_store(&xas, xa_mk_index(base + i));

				if (xas.xa_index == index)
					cr_assert_eq(old, xa_mk_index(base + i));
				else
					cr_assert_null(old);
				xas_next(&xas);
			}
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	cr_assert_eq(xas_error(&xas), 0);
	XA_CHECK(xa);
	for (unsigned long i = base; i < base + (1UL << order); i++)
		xa_erase_index(xa, i);
	cr_assert(xa_empty(xa));
}

Test(xa_advanced, create_range)
{
	DEFINE_XARRAY(xa);
	XA_STATE(bad, NULL, 0);

	for (unsigned int order = 0; order < 2 * XA_CHUNK_SHIFT; order++) {
		unsigned long starts[] = { 0, 1UL << order, 2UL << order, 3UL << order, 1UL << 24 };
		unsigned long nr = 1UL << order;

		for (unsigned int s = 0; s < 5; s++) {
			store_many_order(&xa, starts[s], order);
			for (unsigned long i = starts[s]; i < starts[s] + nr; i++)
				xa_erase_index(&xa, i);
			cr_assert(xa_empty(&xa));
			check_create_range_over(&xa, starts[s], order);
			check_create_range_over(&xa, starts[s] + 1, order);
			if (starts[s])
				check_create_range_over(&xa, starts[s] - 1, order);
		}
		if (order < 2 * XA_CHUNK_SHIFT - 2 && nr * nr <= 4096) {
			for (unsigned long i = 0; i < nr * nr; i += nr)
				store_many_order(&xa, i, order);
			for (unsigned long i = 0; i < nr * nr; i++)
				xa_erase_index(&xa, i);
			cr_assert(xa_empty(&xa));
		}
		/* Over an existing multi-index entry, repeatedly: nothing breaks. */
		for (unsigned int s = 0; s < 2; s++) {
			XA_STATE_ORDER(xas, &xa, starts[s], order);

			xa_store_order(&xa, starts[s], order, xa_mk_index(starts[s]), GFP_KERNEL);
			for (unsigned int i = 0; i < order + 4; i++) {
				do {
					xas_lock(&xas);
					xas_create_range(&xas);
					xas_unlock(&xas);
				} while (xas_nomem(&xas, GFP_KERNEL));
				XA_CHECK(&xa);
			}
			cr_assert_eq(xa_load(&xa, starts[s]), xa_mk_index(starts[s]));
			xa_destroy(&xa);
		}
	}
	/* An error in the state is kept. */
	xas_set_err(&bad, -EEXIST);
	xas_create_range(&bad);
	cr_assert_eq(xas_error(&bad), -EEXIST);
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* xa_store_range.                                                     */

static void check_store_range_once(struct xarray *xa, unsigned long first, unsigned long last)
{
	void *entry = xa_mk_index(first);

	cr_assert_null(xa_store_range(xa, first, last, entry, GFP_KERNEL));
	XA_CHECK(xa);
	cr_assert_eq(xa_load(xa, first), entry, "[%lu, %lu]", first, last);
	cr_assert_eq(xa_load(xa, last), entry, "[%lu, %lu]", first, last);
	cr_assert_eq(xa_load(xa, first + (last - first) / 2), entry);
	if (first)
		cr_assert_null(xa_load(xa, first - 1), "[%lu, %lu]", first, last);
	if (last != ULONG_MAX)
		cr_assert_null(xa_load(xa, last + 1), "[%lu, %lu]", first, last);
	cr_assert_null(xa_store_range(xa, first, last, NULL, GFP_KERNEL));
	XA_CHECK(xa);
	cr_assert(xa_empty(xa), "[%lu, %lu] erased", first, last);
}

Test(xa_advanced, store_range_every_pair_in_a_window)
{
	DEFINE_XARRAY(xa);
	unsigned long window = 2 * XA_CHUNK_SIZE + 5 < 80 ? 2 * XA_CHUNK_SIZE + 5 : 80;
	unsigned long bases[] = { 0, XA_CHUNK_SIZE * XA_CHUNK_SIZE - 3, 4095, 123456, 1UL << 24 };

	for (unsigned int b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
		for (unsigned long i = 0; i < window; i++)
			for (unsigned long j = i; j < window; j++)
				check_store_range_once(&xa, bases[b] + i, bases[b] + j);
	check_store_range_once(&xa, ULONG_MAX - 100, ULONG_MAX);
	check_store_range_once(&xa, 0, ULONG_MAX);
	check_store_range_once(&xa, 1, ULONG_MAX - 1);
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, store_range_over_existing_entries)
{
	DEFINE_XARRAY(xa);
	unsigned long n = 4 * XA_CHUNK_SIZE;

	for (unsigned long i = 0; i < n; i++)
		xa_store_index(&xa, i, GFP_KERNEL);
	xa_set_mark(&xa, 10, XA_MARK_0);
	cr_assert_null(xa_store_range(&xa, 5, n - 7, &xa, GFP_KERNEL));
	XA_CHECK(&xa);
	for (unsigned long i = 0; i < n; i++) {
		if (i >= 5 && i <= n - 7)
			cr_assert_eq(xa_load(&xa, i), &xa, "index %lu", i);
		else
			cr_assert_eq(xa_load(&xa, i), xa_mk_index(i), "index %lu", i);
	}
	cr_assert_null(xa_store_range(&xa, 3, n - 3, NULL, GFP_KERNEL));
	XA_CHECK(&xa);
	cr_assert_eq(xa_count_entries(&xa), 5);
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* Conflicts.                                                          */

static void check_store_iter_1(struct xarray *xa, unsigned long start, unsigned int order,
			       unsigned int present)
{
	XA_STATE_ORDER(xas, xa, start, order);
	unsigned int count = 0;
	void *entry;

retry:
	xas_lock(&xas);
	xas_for_each_conflict(&xas, entry) {
		cr_assert(xa_is_value(entry));
		cr_assert_geq(xa_to_value(entry), start);
		cr_assert_leq(xa_to_value(entry), start + (1UL << order) - 1);
		count++;
	}
	xas_store(&xas, xa_mk_index(start));
	xas_unlock(&xas);
	if (xas_nomem(&xas, GFP_KERNEL)) {
		count = 0;
		goto retry;
	}
	cr_assert_eq(xas_error(&xas), 0);
	cr_assert_eq(count, present, "start %lu order %u", start, order);
	XA_CHECK(xa);
	cr_assert_eq(xa_load(xa, start), xa_mk_index(start));
	cr_assert_eq(xa_load(xa, start + (1UL << order) - 1), xa_mk_index(start));
	xa_erase_index(xa, start);
}

Test(xa_advanced, conflicts)
{
	DEFINE_XARRAY(xa);

	for (unsigned int i = 0; i < 2 * XA_CHUNK_SHIFT + 3; i++) {
		unsigned long min = 1UL << i, max = (2UL << i) - 1;

		check_store_iter_1(&xa, 0, i, 0);
		cr_assert(xa_empty(&xa));
		check_store_iter_1(&xa, min, i, 0);
		cr_assert(xa_empty(&xa));
		xa_store_index(&xa, min, GFP_KERNEL);
		check_store_iter_1(&xa, min, i, 1);
		cr_assert(xa_empty(&xa));
		xa_store_index(&xa, max, GFP_KERNEL);
		check_store_iter_1(&xa, min, i, 1);
		cr_assert(xa_empty(&xa));
		if (min <= 512) {
			for (unsigned long j = 0; j < min; j++)
				xa_store_index(&xa, j, GFP_KERNEL);
			check_store_iter_1(&xa, 0, i, min);
			cr_assert(xa_empty(&xa));
			for (unsigned long j = 0; j < min; j++)
				xa_store_index(&xa, min + j, GFP_KERNEL);
			check_store_iter_1(&xa, min, i, min);
			cr_assert(xa_empty(&xa));
		}
	}
	xa_store_index(&xa, XA_CHUNK_SIZE - 1, GFP_KERNEL);
	xa_store_index(&xa, XA_CHUNK_SIZE + 1, GFP_KERNEL);
	check_store_iter_1(&xa, XA_CHUNK_SIZE, 2, 1);
	xa_erase_index(&xa, XA_CHUNK_SIZE - 1);
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* Splitting.                                                          */

static void check_split_1(struct xarray *xa, unsigned long index, unsigned int order,
			  unsigned int new_order)
{
	XA_STATE_ORDER(xas, xa, index, new_order);
	unsigned int found = 0;
	void *entry;

	xa_store_order(xa, index, order, xa, GFP_KERNEL);
	xa_set_mark(xa, index, XA_MARK_1);

	xas_split_alloc(&xas, xa, order, GFP_KERNEL);
	cr_assert_eq(xas_error(&xas), 0);
	xas_lock(&xas);
	xas_split(&xas, xa, order);
	cr_assert_eq(xas_error(&xas), 0);
	for (unsigned long i = 0; i < (1UL << order); i += 1UL << new_order)
		__xa_store(xa, index + i, xa_mk_index(index + i), 0);
	xas_unlock(&xas);
	xas_nomem(&xas, 0);	/* frees any unused preallocation */
	XA_CHECK(xa);

	for (unsigned long i = 0; i < (1UL << order); i++) {
		unsigned long val = index + (i & ~((1UL << new_order) - 1));

		cr_assert_eq(xa_load(xa, index + i), xa_mk_index(val),
			     "order %u new %u i %lu", order, new_order, i);
		cr_assert_eq(xa_get_order(xa, index + i), (int)new_order);
	}
	xa_set_mark(xa, index, XA_MARK_0);
	cr_assert(xa_get_mark(xa, index, XA_MARK_0));
	xas_set_order(&xas, index, 0);
	uxa_rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_1) {
		found++;
		cr_assert_not(xa_is_internal(entry));
	}
	uxa_rcu_read_unlock();
	cr_assert_eq(found, 1U << (order - new_order), "every piece keeps the mark");
	xa_destroy(xa);
}

Test(xa_advanced, split)
{
	DEFINE_XARRAY(xa);

	for (unsigned int order = 1; order < 2 * XA_CHUNK_SHIFT; order++) {
		for (unsigned int new_order = 0; new_order < order; new_order++) {
			check_split_1(&xa, 0, order, new_order);
			check_split_1(&xa, 1UL << order, order, new_order);
			check_split_1(&xa, 3UL << order, order, new_order);
		}
	}
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* xas_set_update(): a "workingset" list of nodes holding only values. */

static struct xa_list_head shadow_nodes = { &shadow_nodes, &shadow_nodes };
static unsigned int update_calls;

static bool list_is_empty(const struct xa_list_head *head)
{
	return head->next == head;
}

static void list_unlink(struct xa_list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = e;
	e->prev = e;
}

static void list_add_first(struct xa_list_head *head, struct xa_list_head *e)
{
	e->next = head->next;
	e->prev = head;
	head->next->prev = e;
	head->next = e;
}

static void update_node(struct xa_node *node)
{
	update_calls++;
	if (node->count && node->count == node->nr_values) {
		if (list_is_empty(&node->private_list))
			list_add_first(&shadow_nodes, &node->private_list);
	} else if (!list_is_empty(&node->private_list)) {
		list_unlink(&node->private_list);
	}
}

static void shadow_remove(struct xarray *xa)
{
	xa_lock(xa);
	while (!list_is_empty(&shadow_nodes)) {
		struct xa_node *node = (struct xa_node *)(void *)((char *)shadow_nodes.next -
								 offsetof(struct xa_node, private_list));

		cr_assert_eq(node->array, xa);
		list_unlink(&node->private_list);
		xa_delete_node(node, update_node);
	}
	xa_unlock(xa);
}

static void check_workingset(struct xarray *xa, unsigned long index)
{
	XA_STATE(xas, xa, index);

	xas_set_update(&xas, update_node);
	do {
		xas_lock(&xas);
		xas_store(&xas, xa_mk_value(0));
		xas_next(&xas);
		xas_store(&xas, xa_mk_value(1));
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	cr_assert_not(list_is_empty(&shadow_nodes), "a node of values is on the list");

	xas_lock(&xas);
	xas_next(&xas);
	xas_store(&xas, &xas);
	cr_assert(list_is_empty(&shadow_nodes), "a pointer took it off");
	xas_store(&xas, xa_mk_value(2));
	xas_unlock(&xas);
	cr_assert_not(list_is_empty(&shadow_nodes));
	XA_CHECK(xa);

	shadow_remove(xa);
	cr_assert(list_is_empty(&shadow_nodes));
	cr_assert(xa_empty(xa));
	XA_CHECK(xa);
}

Test(xa_advanced, set_update_private_list)
{
	DEFINE_XARRAY(xa);

	check_workingset(&xa, 0);
	check_workingset(&xa, XA_CHUNK_SIZE);
	check_workingset(&xa, XA_CHUNK_SIZE * XA_CHUNK_SIZE * 4);
	cr_assert_gt(update_calls, 0);
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, erase_while_walking_under_lock)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	void *entry;

	for (unsigned long i = 0; i < 3 * XA_CHUNK_SIZE + 20; i++) {
		for (unsigned long j = i; j < 2 * i + 17; j++) {
			xas_set(&xas, j);
			do {
				xas_lock(&xas);
				xas_store(&xas, xa_mk_index(j));
				xas_unlock(&xas);
			} while (xas_nomem(&xas, GFP_KERNEL));
		}
		xas_set(&xas, ULONG_MAX);
		do {
			xas_lock(&xas);
			xas_store(&xas, xa_mk_value(0));
			xas_unlock(&xas);
		} while (xas_nomem(&xas, GFP_KERNEL));
		xas_lock(&xas);
		xas_store(&xas, NULL);
		xas_set(&xas, 0);
		unsigned long j = i;

		xas_for_each(&xas, entry, ULONG_MAX) {
			cr_assert_eq(entry, xa_mk_index(j));
			xas_store(&xas, NULL);
			j++;
		}
		xas_unlock(&xas);
		cr_assert_eq(j, 2 * i + 17);
		XA_CHECK(&xa);
		cr_assert(xa_empty(&xa));
	}
	xa_destroy_no_leak(&xa);
}

/* A range store over multi-index entries that straddle its ends replaces them whole. */
Test(xa_advanced, store_range_over_straddling_multi_index_entries)
{
	DEFINE_XARRAY(xa);
	void *a = xa_mk_value(1), *b = xa_mk_value(2);

	/* Straddling the end: [2, 3] and a store of [0, 2]. */
	xa_store_order(&xa, 2, 1, a, GFP_KERNEL);
	cr_assert_null(xa_store_range(&xa, 0, 2, b, GFP_KERNEL));
	XA_CHECK(&xa);
	for (unsigned long i = 0; i < 4; i++)
		cr_assert_eq(xa_load(&xa, i), b, "index %lu", i);
	xa_destroy(&xa);

	/* Straddling the start: [0, 1] and a store of [1, 3]. */
	xa_store_order(&xa, 0, 1, a, GFP_KERNEL);
	cr_assert_null(xa_store_range(&xa, 1, 3, b, GFP_KERNEL));
	XA_CHECK(&xa);
	for (unsigned long i = 0; i < 4; i++)
		cr_assert_eq(xa_load(&xa, i), b, "index %lu", i);
	cr_assert_null(xa_load(&xa, 4));
	/* Erasing part of it erases all of it. */
	cr_assert_null(xa_store_range(&xa, 2, 2, NULL, GFP_KERNEL));
	XA_CHECK(&xa);
	cr_assert(xa_empty(&xa));

	/* A 3-slot range entry, then an aligned 2-slot store over its first slot. */
	cr_assert_null(xa_store_range(&xa, 1, 3, a, GFP_KERNEL));
	xa_store_order(&xa, 0, 1, b, GFP_KERNEL);
	for (unsigned long i = 0; i < 4; i++)
		cr_assert_eq(xa_load(&xa, i), b, "index %lu", i);
	cr_assert_null(xa_load(&xa, 4));

	/* A big entry with a small range inside it. */
	xa_destroy(&xa);
	xa_store_order(&xa, 0, XA_CHUNK_SHIFT + 1, a, GFP_KERNEL);
	cr_assert_null(xa_store_range(&xa, 5, 5, b, GFP_KERNEL));
	XA_CHECK(&xa);
	cr_assert_eq(xa_load(&xa, 0), b);
	cr_assert_eq(xa_load(&xa, (2UL << XA_CHUNK_SHIFT) - 1), b);
	cr_assert_null(xa_store_range(&xa, 7, 9, NULL, GFP_KERNEL));
	XA_CHECK(&xa);
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

/* A paused marked walk at ULONG_MAX ends instead of starting over. */
Test(xa_advanced, marked_walk_paused_at_ulong_max)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	unsigned int seen = 0;
	void *entry;

	xa_store_index(&xa, 3, GFP_KERNEL);
	xa_store_index(&xa, ULONG_MAX, GFP_KERNEL);
	xa_set_mark(&xa, 3, XA_MARK_0);
	xa_set_mark(&xa, ULONG_MAX, XA_MARK_0);
	uxa_rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_0) {
		xas_pause(&xas);
		cr_assert_lt(++seen, 3, "the walk starts over");
	}
	uxa_rcu_read_unlock();
	cr_assert_eq(seen, 2);
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, state_helpers)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 5);
	void *entry;

	cr_assert_eq(xas.xa_node, XAS_RESTART);
	cr_assert(xas_invalid(&xas));
	cr_assert_not(xas_valid(&xas));
	cr_assert_not(xas_is_node(&xas));
	cr_assert_eq(xas_error(&xas), 0);

	xa_store_index(&xa, 5, GFP_KERNEL);
	xa_store_index(&xa, 3 * XA_CHUNK_SIZE, GFP_KERNEL);
	uxa_rcu_read_lock();
	cr_assert_eq(xas_load(&xas), xa_mk_index(5));
	cr_assert(xas_valid(&xas));
	cr_assert(xas_is_node(&xas));
	cr_assert_eq(xas_reload(&xas), xa_mk_index(5));
	cr_assert_not(xas_get_mark(&xas, XA_MARK_0));
	uxa_rcu_read_unlock();

	/* An error sticks until the state is reset or set. */
	xas_set_err(&xas, -EEXIST);
	cr_assert_eq(xas_error(&xas), -EEXIST);
	cr_assert(xas_invalid(&xas));
	xas_lock(&xas);
	cr_assert_null(xas_store(&xas, xa_mk_index(1)));
	cr_assert_null(xas_find(&xas, ULONG_MAX));
	xas_unlock(&xas);
	cr_assert_eq(xa_load(&xa, 5), xa_mk_index(5), "nothing stored in error state");
	xas_reset(&xas);
	cr_assert_eq(xas_error(&xas), 0);
	xas_set(&xas, 3 * XA_CHUNK_SIZE);
	uxa_rcu_read_lock();
	cr_assert_eq(xas_load(&xas), xa_mk_index(3 * XA_CHUNK_SIZE));
	uxa_rcu_read_unlock();

	/* Beyond the tree: XAS_BOUNDS, not an error. */
	xas_set(&xas, ULONG_MAX / 2);
	uxa_rcu_read_lock();
	cr_assert_null(xas_load(&xas));
	uxa_rcu_read_unlock();
	cr_assert_eq(xas.xa_node, XAS_BOUNDS);
	cr_assert_eq(xas_error(&xas), 0);

	/* xas_nomem() with no error frees nothing and asks for no retry. */
	cr_assert_not(xas_nomem(&xas, GFP_KERNEL));

	/* xas_advance() skips the rest of a multi-index entry. */
	xa_destroy(&xa);
	xa_store_order(&xa, 8, 3, xa_mk_value(8), GFP_KERNEL);
	xa_store_index(&xa, 16, GFP_KERNEL);
	xas_set(&xas, 0);
	uxa_rcu_read_lock();
	entry = xas_find(&xas, ULONG_MAX);
	cr_assert_eq(entry, xa_mk_value(8));
	cr_assert_eq(xas.xa_index, 8);
	cr_assert_eq(xas_get_order(&xas), 3);
	xas_advance(&xas, 15);
	cr_assert_eq(xas.xa_index, 15);
	cr_assert_eq(xas_next_entry(&xas, ULONG_MAX), xa_mk_index(16));
	cr_assert_eq(xas.xa_index, 16);
	uxa_rcu_read_unlock();
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, marked_iteration_and_free_slots)
{
	DEFINE_XARRAY(xa);
	DEFINE_XARRAY_ALLOC(ids);
	XA_STATE(xas, &xa, 0);
	unsigned long expect = 0;
	unsigned int n = 0;
	void *entry;

	for (unsigned long i = 0; i < 6 * XA_CHUNK_SIZE; i++) {
		xa_store_index(&xa, i, GFP_KERNEL);
		if (i % 5 == 0)
			xa_set_mark(&xa, i, XA_MARK_2);
	}
	uxa_rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_2) {
		cr_assert_eq(xas.xa_index, expect);
		cr_assert_eq(entry, xa_mk_index(expect));
		cr_assert(xas_get_mark(&xas, XA_MARK_2));
		expect += 5;
		n++;
	}
	uxa_rcu_read_unlock();
	cr_assert_eq(n, (6 * XA_CHUNK_SIZE + 4) / 5);
	cr_assert_eq(xas.xa_node, XAS_BOUNDS, "ran off the end of the tree: BOUNDS");
	n = 0;
	xas_set(&xas, 1);
	uxa_rcu_read_lock();
	xas_for_each_marked(&xas, entry, 3 * XA_CHUNK_SIZE, XA_MARK_2)
		n++;
	uxa_rcu_read_unlock();
	cr_assert_eq(n, (3 * XA_CHUNK_SIZE) / 5);
	cr_assert_eq(xas.xa_node, XAS_RESTART, "stopped by max: RESTART");

	/* In an allocating array XA_FREE_MARK finds free slots (NULL). */
	for (unsigned int i = 0; i < 3 * XA_CHUNK_SIZE; i++) {
		uint32_t id;

		cr_assert_eq(xa_alloc(&ids, &id, &xa, xa_limit_32b, GFP_KERNEL), 0);
	}
	xa_erase(&ids, 7);
	xa_erase(&ids, 2 * XA_CHUNK_SIZE + 1);
	XA_CHECK(&ids);
	{
		XA_STATE(fx, &ids, 0);

		xas_lock(&fx);
		cr_assert_null(xas_find_marked(&fx, ULONG_MAX, XA_FREE_MARK));
		cr_assert_eq(fx.xa_index, 7);
		cr_assert(xas_valid(&fx));
		cr_assert_null(xas_find_marked(&fx, ULONG_MAX, XA_FREE_MARK));
		cr_assert_eq(fx.xa_index, 2 * XA_CHUNK_SIZE + 1);
		cr_assert_null(xas_find_marked(&fx, ULONG_MAX, XA_FREE_MARK));
		cr_assert_eq(fx.xa_index, 3 * XA_CHUNK_SIZE, "then the free space beyond");
		xas_unlock(&fx);
	}
	xa_destroy(&ids);
	xa_destroy_no_leak(&xa);
}

Test(xa_advanced, find_end_states)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);

	xa_store_index(&xa, 1, GFP_KERNEL);
	xa_store_index(&xa, 2 * XA_CHUNK_SIZE, GFP_KERNEL);
	uxa_rcu_read_lock();
	cr_assert_eq(xas_find(&xas, 10), xa_mk_index(1));
	cr_assert_null(xas_find(&xas, 10));
	cr_assert(xas.xa_index > 10, "left past max");
	cr_assert_neq(xas.xa_node, XAS_BOUNDS);
	xas_set(&xas, 11);
	cr_assert_null(xas_find(&xas, 10));
	cr_assert_eq(xas.xa_node, XAS_BOUNDS, "started beyond max");
	xas_set(&xas, 2);
	cr_assert_eq(xas_find(&xas, ULONG_MAX), xa_mk_index(2 * XA_CHUNK_SIZE));
	cr_assert_null(xas_find(&xas, ULONG_MAX));
	cr_assert_eq(xas.xa_node, XAS_BOUNDS, "ran off the end");
	cr_assert_null(xas_find(&xas, ULONG_MAX), "and stays there");
	uxa_rcu_read_unlock();
	xa_destroy_no_leak(&xa);
}
