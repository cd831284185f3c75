/* SPDX-License-Identifier: MIT */
/*
 * test_xa_basic.c - the normal API's core: load/store/erase, insert,
 * cmpxchg, reserve/release, shrinking, ULONG_MAX, destroy, entry helpers,
 * initialisers and locking, and the documented answers to bad input.
 * Semantics follow the kernel's include/linux/xarray.h and lib/test_xarray.c.
 */
#include <stdlib.h>
#include <string.h>

#include "xa_test.h"

/* Enough indices for a tree three levels deep at any chunk shift. */
#define LOAD_N	(XA_CHUNK_SIZE * XA_CHUNK_SIZE + 2 * XA_CHUNK_SIZE + 3)

Test(xa_basic, load_after_incremental_stores)
{
	DEFINE_XARRAY(xa);
	unsigned long i, j, n = LOAD_N < 700 ? LOAD_N : 700;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			void *entry = xa_load(&xa, j);

			if (j < i)
				cr_assert_eq(entry, xa_mk_index(j), "i %lu j %lu", i, j);
			else
				cr_assert_null(entry, "i %lu j %lu", i, j);
		}
		cr_assert_null(xa_store_index(&xa, i, GFP_KERNEL));
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			void *entry = xa_load(&xa, j);

			if (j >= i)
				cr_assert_eq(entry, xa_mk_index(j), "i %lu j %lu", i, j);
			else
				cr_assert_null(entry, "i %lu j %lu", i, j);
		}
		xa_erase_index(&xa, i);
	}
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, store_returns_old_entry_and_erase_empties)
{
	DEFINE_XARRAY(xa);
	int a, b;

	cr_assert(xa_empty(&xa));
	cr_assert_null(xa_store(&xa, 5, &a, GFP_KERNEL));
	cr_assert_eq(xa_store(&xa, 5, &b, GFP_KERNEL), &a);
	cr_assert_eq(xa_load(&xa, 5), &b);
	cr_assert_null(xa_load(&xa, 4));
	cr_assert_null(xa_load(&xa, 6));
	cr_assert_eq(xa_store(&xa, 5, NULL, GFP_KERNEL), &b, "storing NULL erases");
	cr_assert(xa_empty(&xa));
	cr_assert_null(xa_erase(&xa, 5));
	cr_assert_eq(xa_err(xa_store_index(&xa, 0, GFP_NOWAIT)), 0);
	cr_assert_eq(xa_err(xa_erase(&xa, 0)), 0);
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, shrink_back_to_a_single_entry)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 1);
	struct xa_node *node;

	cr_assert_null(xa_store_index(&xa, 0, GFP_KERNEL));
	cr_assert_null(xa_store_index(&xa, 1, GFP_KERNEL));

	/* The RCU read lock keeps the retired node readable below: a grace
	 * period can end under xa_lock in userspace (doc/design.md, section 5). */
	uxa_rcu_read_lock();
	xas_lock(&xas);
	cr_assert_eq(xas_load(&xas), xa_mk_index(1));
	node = xas.xa_node;
	cr_assert_not_null(node);
	cr_assert_eq(node->slots[0], xa_mk_index(0));
	cr_assert_eq(xas_store(&xas, NULL), xa_mk_index(1));
	cr_assert_null(xa_load(&xa, 1));
	cr_assert_eq(xas.xa_node, XAS_BOUNDS, "the tree shrank under the state");
	cr_assert(xa_is_retry(node->slots[0]), "readers in the old node must retry");
	cr_assert_null(xas_load(&xas));
	xas_unlock(&xas);
	uxa_rcu_read_unlock();
	cr_assert_eq(xa.xa_head, xa_mk_index(0), "index 0 lives in the head again");
	cr_assert_eq(xa_load(&xa, 0), xa_mk_index(0));
	XA_CHECK(&xa);
	xa_erase_index(&xa, 0);
	cr_assert(xa_empty(&xa));

	/* A multi-index entry at 0 survives a deep store and erase at ULONG_MAX. */
	for (unsigned int order = 0; order < 2 * XA_CHUNK_SHIFT + 3; order++) {
		unsigned long max = (1UL << order) - 1;
		void *head;

		xa_store_order(&xa, 0, order, xa_mk_value(0), GFP_KERNEL);
		cr_assert_eq(xa_load(&xa, max), xa_mk_value(0));
		cr_assert_null(xa_load(&xa, max + 1));
		head = xa.xa_head;
		cr_assert_null(xa_store_index(&xa, ULONG_MAX, GFP_KERNEL));
		cr_assert_neq(xa.xa_head, head);
		cr_assert_null(xa_load(&xa, max + 1));
		xa_erase_index(&xa, ULONG_MAX);
		cr_assert_eq(xa.xa_head, head, "order %u: tree shrank back", order);
		cr_assert_eq(xa_erase(&xa, 0), xa_mk_value(0));
		XA_CHECK(&xa);
		cr_assert(xa_empty(&xa));
	}
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, insert)
{
	DEFINE_XARRAY(xa);
	unsigned long i;

	for (i = 0; i < 4 * XA_CHUNK_SIZE; i++) {
		xa_insert_index(&xa, i);
		cr_assert_null(xa_load(&xa, i - 1));
		cr_assert_null(xa_load(&xa, i + 1));
		cr_assert_eq(xa_insert(&xa, i, xa_mk_index(0), GFP_KERNEL), -EBUSY);
		xa_erase_index(&xa, i);
	}
	for (i = 10; i < XA_BITS_PER_LONG; i++) {
		xa_insert_index(&xa, 1UL << i);
		cr_assert_null(xa_load(&xa, (1UL << i) - 1));
		cr_assert_null(xa_load(&xa, (1UL << i) + 1));
		xa_erase_index(&xa, 1UL << i);
		xa_insert_index(&xa, (1UL << i) - 1);
		cr_assert_null(xa_load(&xa, (1UL << i) - 2));
		cr_assert_null(xa_load(&xa, 1UL << i));
		xa_erase_index(&xa, (1UL << i) - 1);
	}
	xa_insert_index(&xa, ULONG_MAX);
	cr_assert_null(xa_load(&xa, 0));
	cr_assert_null(xa_load(&xa, ULONG_MAX - 1));
	xa_erase_index(&xa, ULONG_MAX);

	/* NULL reserves: busy for insert, reads as NULL, erases to empty. */
	cr_assert_eq(xa_insert(&xa, 7, NULL, GFP_KERNEL), 0);
	cr_assert_not(xa_empty(&xa));
	cr_assert_null(xa_load(&xa, 7));
	cr_assert_eq(xa_insert(&xa, 7, xa_mk_index(7), GFP_KERNEL), -EBUSY);
	cr_assert_null(xa_erase(&xa, 7));
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, cmpxchg)
{
	DEFINE_XARRAY(xa);
	void *five = xa_mk_value(5), *six = xa_mk_value(6), *lots = xa_mk_value(12345678);

	cr_assert_null(xa_store_index(&xa, 12345678, GFP_KERNEL));
	cr_assert_eq(xa_insert(&xa, 12345678, &xa, GFP_KERNEL), -EBUSY);
	cr_assert_eq(xa_cmpxchg(&xa, 12345678, six, five, GFP_KERNEL), lots, "mismatch: no change");
	cr_assert_eq(xa_load(&xa, 12345678), lots);
	cr_assert_eq(xa_cmpxchg(&xa, 12345678, lots, five, GFP_KERNEL), lots);
	cr_assert_eq(xa_cmpxchg(&xa, 12345678, five, lots, GFP_KERNEL), five);
	cr_assert_null(xa_cmpxchg(&xa, 5, five, NULL, GFP_KERNEL));
	cr_assert_null(xa_cmpxchg(&xa, 5, NULL, five, GFP_KERNEL));
	cr_assert_eq(xa_load(&xa, 5), five);
	cr_assert_eq(xa_insert(&xa, 5, five, GFP_KERNEL), -EBUSY);
	cr_assert_eq(xa_cmpxchg(&xa, 5, five, NULL, GFP_KERNEL), five);
	cr_assert_eq(xa_insert(&xa, 5, five, GFP_KERNEL), 0);
	XA_CHECK(&xa);
	xa_erase_index(&xa, 12345678);
	cr_assert_eq(xa_erase(&xa, 5), five);
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, cmpxchg_on_a_multi_index_entry)
{
	DEFINE_XARRAY(xa);
	void *five = xa_mk_value(5);
	unsigned int order = 3, i;

	cr_assert_null(xa_store_order(&xa, 0, order, five, GFP_KERNEL));
	xa_store_order(&xa, 1U << order, order, five, GFP_KERNEL);
	for (i = 0; i < 2U << order; i++) {
		cr_assert_eq(xa_load(&xa, i), five);
		cr_assert_eq(xa_get_order(&xa, i), (int)order);
	}
	cr_assert_eq(xa_cmpxchg(&xa, 0, five, NULL, GFP_KERNEL), five);
	XA_CHECK(&xa);
	for (i = 0; i < 1U << order; i++) {
		cr_assert_null(xa_load(&xa, i));
		cr_assert_eq(xa_get_order(&xa, i), 0);
	}
	for (i = 1U << order; i < 2U << order; i++) {
		cr_assert_eq(xa_load(&xa, i), five);
		cr_assert_eq(xa_get_order(&xa, i), (int)order);
	}
	xa_store_order(&xa, 0, XA_BITS_PER_LONG - 1, NULL, GFP_KERNEL);
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

static void check_reserve(struct xarray *xa)
{
	unsigned long index;
	void *entry;
	int count = 0;

	cr_assert(xa_empty(xa));
	cr_assert_eq(xa_reserve(xa, 12345678, GFP_KERNEL), 0);
	XA_CHECK(xa);
	cr_assert_not(xa_empty(xa), "a reserved index makes the array non-empty");
	cr_assert_null(xa_load(xa, 12345678));
	xa_release(xa, 12345678);
	XA_CHECK(xa);
	cr_assert(xa_empty(xa));

	/* Releasing a used index does nothing. */
	cr_assert_eq(xa_reserve(xa, 12345678, GFP_KERNEL), 0);
	cr_assert_null(xa_store_index(xa, 12345678, GFP_NOWAIT));
	xa_release(xa, 12345678);
	xa_erase_index(xa, 12345678);
	cr_assert(xa_empty(xa));

	/* Reserving a used index does nothing either. */
	cr_assert_null(xa_store_index(xa, 3, GFP_KERNEL));
	cr_assert_eq(xa_reserve(xa, 3, GFP_KERNEL), 0);
	cr_assert_eq(xa_load(xa, 3), xa_mk_index(3));
	xa_erase_index(xa, 3);

	/* cmpxchg sees a reserved index as XA_ZERO_ENTRY and returns NULL for it. */
	cr_assert_eq(xa_reserve(xa, 12345678, GFP_KERNEL), 0);
	cr_assert_null(xa_cmpxchg(xa, 12345678, NULL, xa_mk_index(1), GFP_NOWAIT));
	cr_assert_null(xa_load(xa, 12345678), "NULL does not match a reservation");
	cr_assert_null(xa_cmpxchg(xa, 12345678, XA_ZERO_ENTRY, xa_mk_index(12345678),
				  GFP_NOWAIT));
	XA_CHECK(xa);
	xa_release(xa, 12345678);
	xa_erase_index(xa, 12345678);
	cr_assert(xa_empty(xa));

	/* xa_insert treats it as busy; erasing it returns NULL. */
	cr_assert_eq(xa_reserve(xa, 12345678, GFP_KERNEL), 0);
	cr_assert_eq(xa_insert(xa, 12345678, xa_mk_index(12345678), 0), -EBUSY);
	cr_assert_not(xa_empty(xa));
	cr_assert_null(xa_erase(xa, 12345678));
	XA_CHECK(xa);
	cr_assert(xa_empty(xa));

	/* Iteration skips a reserved index. */
	xa_store_index(xa, 5, GFP_KERNEL);
	cr_assert_eq(xa_reserve(xa, 6, GFP_KERNEL), 0);
	xa_store_index(xa, 7, GFP_KERNEL);
	xa_for_each(xa, index, entry) {
		cr_assert(index == 5 || index == 7, "index %lu", index);
		count++;
	}
	cr_assert_eq(count, 2);

	/* In an allocating array a reserved ID is busy until released. */
	if (xa->xa_flags & XA_FLAGS_TRACK_FREE) {
		uint32_t id;

		cr_assert_eq(xa_alloc(xa, &id, xa_mk_value(8), XA_LIMIT(5, 10), GFP_KERNEL), 0);
		cr_assert_eq(id, 8);
		xa_release(xa, 6);
		XA_CHECK(xa);
		cr_assert_eq(xa_alloc(xa, &id, xa_mk_value(6), XA_LIMIT(5, 10), GFP_KERNEL), 0);
		cr_assert_eq(id, 6);
	}
	xa_destroy_no_leak(xa);
}

Test(xa_basic, reserve_and_release)
{
	DEFINE_XARRAY(xa);
	DEFINE_XARRAY_ALLOC(xa_alloc0);

	check_reserve(&xa);
	check_reserve(&xa_alloc0);
}

Test(xa_basic, reserved_index_can_be_stored_without_allocating)
{
	DEFINE_XARRAY(xa);
	static uint32_t name[8];

	for (int i = 0; i < 8; i++) {
		cr_assert_null(xa_store(&xa, 0, name + i, GFP_KERNEL));
		XA_CHECK(&xa);
		xa_erase(&xa, 0);
	}
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(xa_reserve(&xa, 0, GFP_KERNEL), 0);
		/* fail the next node allocation: the store must not need one */
		kmem_cache_fail_after(xa_node_cache(), 1);
		cr_assert_null(xa_store(&xa, 0, name + i, GFP_NOWAIT));
		kmem_cache_fail_after(xa_node_cache(), 0);
		cr_assert_eq(xa_load(&xa, 0), name + i);
		XA_CHECK(&xa);
		xa_erase(&xa, 0);
	}
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, ulong_max_index)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 0);
	unsigned long index = 0;

	cr_assert_null(xa_store_index(&xa, ULONG_MAX, GFP_KERNEL));
	cr_assert_eq(xa_load(&xa, ULONG_MAX), xa_mk_index(ULONG_MAX));
	cr_assert_null(xa_load(&xa, ULONG_MAX - 1));
	cr_assert_null(xa_load(&xa, 0));
	cr_assert_eq(xa_find(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_index(ULONG_MAX));
	cr_assert_eq(index, ULONG_MAX);
	cr_assert_null(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT), "no wrap past ULONG_MAX");
	index = 0;
	cr_assert_eq(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_index(ULONG_MAX));
	cr_assert_null(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT));

	uxa_rcu_read_lock();
	cr_assert_eq(xas_find(&xas, ULONG_MAX), xa_mk_index(ULONG_MAX));
	cr_assert_null(xas_find(&xas, ULONG_MAX));
	xas_set(&xas, 0);
	cr_assert_eq(xas_find(&xas, ULONG_MAX), xa_mk_index(ULONG_MAX));
	xas_pause(&xas);
	cr_assert_null(xas_find(&xas, ULONG_MAX), "pause at ULONG_MAX ends the walk");
	uxa_rcu_read_unlock();

	xa_set_mark(&xa, ULONG_MAX, XA_MARK_1);
	cr_assert(xa_get_mark(&xa, ULONG_MAX, XA_MARK_1));
	index = 0;
	cr_assert_eq(xa_find(&xa, &index, ULONG_MAX, XA_MARK_1), xa_mk_index(ULONG_MAX));
	cr_assert_eq(index, ULONG_MAX);
	xa_erase_index(&xa, ULONG_MAX);
	cr_assert(xa_empty(&xa));
	cr_assert_not(xa_marked(&xa, XA_MARK_1));
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, destroy)
{
	DEFINE_XARRAY(xa);
	unsigned long index;

	xa_destroy(&xa);
	cr_assert(xa_empty(&xa), "destroying an empty array is a no-op");
	for (index = 0; index < 4 * XA_CHUNK_SIZE * XA_CHUNK_SIZE; index += 7) {
		xa_store_index(&xa, index, GFP_KERNEL);
		cr_assert_not(xa_empty(&xa));
		xa_destroy(&xa);
		cr_assert(xa_empty(&xa));
	}
	xa_store(&xa, ULONG_MAX, &xa, GFP_KERNEL);
	xa_destroy(&xa);
	cr_assert(xa_empty(&xa));
	xa_store_order(&xa, 1UL << (2 * XA_CHUNK_SHIFT - 1), 2 * XA_CHUNK_SHIFT - 1, &xa, GFP_KERNEL);
	xa_set_mark(&xa, 1UL << (2 * XA_CHUNK_SHIFT - 1), XA_MARK_2);
	cr_assert(xa_marked(&xa, XA_MARK_2));
	xa_destroy(&xa);
	cr_assert(xa_empty(&xa));
	cr_assert_not(xa_marked(&xa, XA_MARK_2), "destroy clears the marks");
	for (index = 0; index < 1000; index++)
		xa_store_index(&xa, index * 3, GFP_KERNEL);
	xa_destroy_no_leak(&xa);
	/* The array is usable again afterwards. */
	cr_assert_null(xa_store_index(&xa, 77, GFP_KERNEL));
	cr_assert_eq(xa_load(&xa, 77), xa_mk_index(77));
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, entry_helpers)
{
	int x;
	void *p = &x;

	cr_assert(xa_is_value(xa_mk_value(0)));
	cr_assert_eq(xa_to_value(xa_mk_value(LONG_MAX)), (unsigned long)LONG_MAX);
	cr_assert_eq(xa_to_value(xa_mk_value(12345)), 12345);
	cr_assert_not(xa_is_value(p));
	cr_assert_not(xa_is_internal(xa_mk_value(3)));

	cr_assert_eq(xa_untag_pointer(xa_tag_pointer(p, 3)), p);
	cr_assert_eq(xa_pointer_tag(xa_tag_pointer(p, 1)), 1);
	cr_assert_eq(xa_pointer_tag(xa_tag_pointer(p, 3)), 3);
	cr_assert_eq(xa_pointer_tag(p), 0);

	cr_assert(xa_is_err(XA_ERROR(-ENOMEM)));
	cr_assert(xa_is_err(XA_ERROR(-EINVAL)));
	cr_assert_eq(xa_err(XA_ERROR(-ENOMEM)), -ENOMEM);
	cr_assert_eq(xa_err(XA_ERROR(-EBUSY)), -EBUSY);
	cr_assert_eq(xa_err(NULL), 0);
	cr_assert_eq(xa_err(p), 0);
	cr_assert_eq(xa_err(xa_mk_value(5)), 0);
	cr_assert_not(xa_is_err(xa_mk_internal(300)));

	cr_assert(xa_is_zero(XA_ZERO_ENTRY));
	cr_assert_not(xa_is_zero(NULL));
	cr_assert(xa_is_retry(XA_RETRY_ENTRY));
	cr_assert_not(xa_is_retry(XA_ZERO_ENTRY));
	cr_assert(xa_is_sibling(xa_mk_sibling(0)));
	cr_assert(xa_is_sibling(xa_mk_sibling(XA_CHUNK_SIZE - 2)));
	cr_assert_not(xa_is_sibling(XA_RETRY_ENTRY));
	cr_assert_not(xa_is_sibling(xa_mk_value(1)));
	cr_assert_eq(xa_to_sibling(xa_mk_sibling(3)), 3);
	cr_assert(xa_is_internal(XA_ZERO_ENTRY));
	cr_assert(xa_is_internal(XA_RETRY_ENTRY));
	cr_assert_not(xa_is_internal(p));

	cr_assert(xa_is_advanced(XA_RETRY_ENTRY));
	cr_assert(xa_is_advanced(xa_mk_sibling(1)));
	cr_assert_not(xa_is_advanced(XA_ZERO_ENTRY));
	cr_assert_not(xa_is_advanced(p));
	cr_assert_not(xa_is_advanced(xa_mk_value(9)));
	cr_assert_not(xa_is_node(XA_ZERO_ENTRY));
	cr_assert_not(xa_is_node(xa_mk_sibling(0)));
}

static DEFINE_XARRAY(static_plain);
static DEFINE_XARRAY_FLAGS(static_flags, XA_FLAGS_LOCK_IRQ | XA_FLAGS_MARK(XA_MARK_1));
static DEFINE_XARRAY_ALLOC(static_alloc);
static DEFINE_XARRAY_ALLOC1(static_alloc1);

Test(xa_basic, initialisers_and_flags)
{
	struct xarray a = XARRAY_INIT(a, XA_FLAGS_LOCK_BH);
	struct xarray b, c;
	uint32_t id;

	cr_assert_eq(static_plain.xa_flags, 0);
	cr_assert(xa_empty(&static_plain));
	cr_assert_eq(static_flags.xa_flags, XA_FLAGS_LOCK_IRQ | XA_FLAGS_MARK(XA_MARK_1));
	cr_assert_eq(a.xa_flags, XA_FLAGS_LOCK_BH);
	xa_init(&b);
	cr_assert_eq(b.xa_flags, 0);
	cr_assert(xa_empty(&b));
	xa_init_flags(&c, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
	cr_assert(xa_empty(&c));

	cr_assert(static_alloc.xa_flags & XA_FLAGS_TRACK_FREE);
	cr_assert(static_alloc1.xa_flags & XA_FLAGS_ZERO_BUSY);
	cr_assert_eq(xa_alloc(&static_alloc, &id, &a, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 0);
	cr_assert_eq(xa_alloc(&static_alloc1, &id, &a, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 1);
	cr_assert_eq(xa_alloc(&c, &id, &a, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 1);
	XA_CHECK(&static_alloc);
	XA_CHECK(&static_alloc1);

	/* LOCK_IRQ/BH change nothing: the _irq/_bh forms are the same operations. */
	cr_assert_null(xa_store_irq(&a, 1, xa_mk_value(1), GFP_KERNEL));
	cr_assert_null(xa_store_bh(&static_flags, 1, xa_mk_value(1), GFP_KERNEL));
	cr_assert_eq(xa_cmpxchg_irq(&a, 1, xa_mk_value(1), xa_mk_value(2), GFP_KERNEL),
		     xa_mk_value(1));
	cr_assert_eq(xa_cmpxchg_bh(&a, 1, xa_mk_value(2), xa_mk_value(3), GFP_KERNEL),
		     xa_mk_value(2));
	cr_assert_eq(xa_insert_irq(&a, 2, xa_mk_value(2), GFP_KERNEL), 0);
	cr_assert_eq(xa_insert_bh(&a, 2, xa_mk_value(2), GFP_KERNEL), -EBUSY);
	cr_assert_eq(xa_reserve_irq(&a, 3, GFP_KERNEL), 0);
	xa_release_irq(&a, 3);
	cr_assert_eq(xa_reserve_bh(&a, 3, GFP_KERNEL), 0);
	xa_release_bh(&a, 3);
	cr_assert_eq(xa_erase_irq(&a, 1), xa_mk_value(3));
	cr_assert_eq(xa_erase_bh(&a, 2), xa_mk_value(2));
	cr_assert_eq(xa_erase_bh(&static_flags, 1), xa_mk_value(1));
	cr_assert(xa_empty(&a));
	cr_assert_eq(xa_alloc_irq(&c, &id, &a, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 2);
	cr_assert_eq(xa_alloc_bh(&c, &id, &a, xa_limit_32b, GFP_KERNEL), 0);
	cr_assert_eq(id, 3);
	XA_CHECK(&c);
	xa_destroy(&c);
	xa_destroy(&static_alloc);
	xa_destroy(&static_alloc1);
	xa_destroy(&static_flags);
	xa_destroy_no_leak(&a);
}

Test(xa_basic, lock_and_locked_api)
{
	DEFINE_XARRAY(xa);
	unsigned long flags;

	xa_lock(&xa);
	cr_assert_not(xa_trylock(&xa), "xa_lock is held");
	cr_assert_null(__xa_store(&xa, 3, xa_mk_value(3), GFP_NOWAIT));
	cr_assert_null(__xa_store(&xa, 1000, xa_mk_value(1000), GFP_KERNEL));
	cr_assert_eq(__xa_insert(&xa, 3, xa_mk_value(4), GFP_NOWAIT), -EBUSY);
	cr_assert_eq(__xa_cmpxchg(&xa, 3, xa_mk_value(3), xa_mk_value(4), GFP_NOWAIT),
		     xa_mk_value(3));
	__xa_set_mark(&xa, 3, XA_MARK_0);
	cr_assert(xa_get_mark(&xa, 3, XA_MARK_0));
	__xa_clear_mark(&xa, 3, XA_MARK_0);
	cr_assert_not(xa_get_mark(&xa, 3, XA_MARK_0));
	cr_assert_eq(__xa_erase(&xa, 1000), xa_mk_value(1000));
	xa_unlock(&xa);
	cr_assert(xa_trylock(&xa));
	xa_unlock(&xa);

	xa_lock_irqsave(&xa, flags);
	cr_assert_eq(__xa_erase(&xa, 3), xa_mk_value(4));
	xa_unlock_irqrestore(&xa, flags);
	xa_lock_irq(&xa);
	xa_unlock_irq(&xa);
	xa_lock_bh(&xa);
	xa_unlock_bh(&xa);
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* Bad input: documented errors, nothing changed.                      */

static void assert_unchanged(struct xarray *xa)
{
	cr_assert_eq(xa_load(xa, 1), xa_mk_index(1));
	cr_assert_eq(xa_load(xa, 100), xa_mk_index(100));
	cr_assert_null(xa_load(xa, 2));
	cr_assert_eq(xa_count_entries(xa), 2);
	XA_CHECK(xa);
}

Test(xa_basic, internal_entries_are_refused)
{
	DEFINE_XARRAY(xa);
	void *bad[] = {
		xa_mk_internal(0), xa_mk_sibling(1), XA_RETRY_ENTRY, xa_mk_internal(300),
		xa_mk_internal(5000),
	};
	uint32_t id = 77;

	xa_store_index(&xa, 1, GFP_KERNEL);
	xa_store_index(&xa, 100, GFP_KERNEL);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(xa_err(xa_store(&xa, 1, bad[i], GFP_KERNEL)), -EINVAL, "entry %u", i);
		cr_assert_eq(xa_err(xa_store(&xa, 2, bad[i], GFP_KERNEL)), -EINVAL, "entry %u", i);
		cr_assert_eq(xa_err(xa_cmpxchg(&xa, 1, xa_mk_index(1), bad[i], GFP_KERNEL)),
			     -EINVAL, "entry %u", i);
		cr_assert_eq(xa_insert(&xa, 2, bad[i], GFP_KERNEL), -EINVAL, "entry %u", i);
		cr_assert_eq(xa_err(xa_store_range(&xa, 2, 5, bad[i], GFP_KERNEL)), -EINVAL);
		assert_unchanged(&xa);
	}
	/* xa_store_range() of XA_ZERO_ENTRY, and an inverted range. */
	cr_assert_eq(xa_err(xa_store_range(&xa, 2, 5, XA_ZERO_ENTRY, GFP_KERNEL)), -EINVAL);
	cr_assert_eq(xa_err(xa_store_range(&xa, 9, 5, xa_mk_value(1), GFP_KERNEL)), -EINVAL);
	assert_unchanged(&xa);
	/* xa_alloc() without XA_FLAGS_ALLOC. */
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_value(1), xa_limit_32b, GFP_KERNEL), -EINVAL);
	cr_assert_eq(id, 77, "id untouched on failure");
	cr_assert_eq(xa_alloc_cyclic(&xa, &id, xa_mk_value(1), xa_limit_32b, &id, GFP_KERNEL),
		     -EINVAL);
	assert_unchanged(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, alloc_refuses_internal_entries)
{
	DEFINE_XARRAY_ALLOC(xa);
	uint32_t id = 5, next = 0;

	cr_assert_eq(xa_alloc(&xa, &id, XA_RETRY_ENTRY, xa_limit_32b, GFP_KERNEL), -EINVAL);
	cr_assert_eq(xa_alloc(&xa, &id, xa_mk_sibling(0), xa_limit_32b, GFP_KERNEL), -EINVAL);
	cr_assert_eq(xa_alloc_cyclic(&xa, &id, XA_RETRY_ENTRY, xa_limit_32b, &next, GFP_KERNEL),
		     -EINVAL);
	cr_assert_eq(xa_alloc(&xa, NULL, &xa, xa_limit_32b, GFP_KERNEL), -EINVAL);
	cr_assert_eq(xa_alloc_cyclic(&xa, &id, &xa, xa_limit_32b, NULL, GFP_KERNEL), -EINVAL);
	cr_assert_eq(xa_alloc_cyclic(&xa, NULL, &xa, xa_limit_32b, &next, GFP_KERNEL), -EINVAL);
	cr_assert_eq(id, 5);
	cr_assert_eq(next, 0);
	cr_assert(xa_empty(&xa));
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, bad_mark_numbers_are_rejected)
{
	DEFINE_XARRAY(xa);
	unsigned long index = 0;

	xa_store_index(&xa, 4, GFP_KERNEL);
	xa_set_mark(&xa, 4, (xa_mark_t)3);
	xa_set_mark(&xa, 4, XA_PRESENT);
	xa_set_mark(&xa, 4, (xa_mark_t)100);
	XA_CHECK(&xa);
	cr_assert_not(xa_get_mark(&xa, 4, (xa_mark_t)3));
	cr_assert_not(xa_get_mark(&xa, 4, XA_PRESENT));
	cr_assert_not(xa_marked(&xa, (xa_mark_t)3));
	cr_assert_not(xa_marked(&xa, XA_PRESENT));
	for (xa_mark_t m = XA_MARK_0; m <= XA_MARK_MAX; m++) {
		cr_assert_not(xa_get_mark(&xa, 4, m));
		cr_assert_not(xa_marked(&xa, m));
	}
	xa_clear_mark(&xa, 4, (xa_mark_t)7);
	xa_set_mark(&xa, 4, XA_MARK_2);
	xa_clear_mark(&xa, 4, (xa_mark_t)7);
	cr_assert(xa_get_mark(&xa, 4, XA_MARK_2));
	/* As a filter, a value that is not a mark means "present". */
	cr_assert_eq(xa_find(&xa, &index, ULONG_MAX, (xa_mark_t)5), xa_mk_index(4));
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, advanced_bad_marks)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, 4);

	xa_store_index(&xa, 4, GFP_KERNEL);
	xas_lock(&xas);
	cr_assert_eq(xas_load(&xas), xa_mk_index(4));
	xas_set_mark(&xas, (xa_mark_t)3);
	cr_assert_not(xas_get_mark(&xas, (xa_mark_t)3));
	xas_clear_mark(&xas, (xa_mark_t)9);
	xas_set(&xas, 0);
	cr_assert_null(xas_find_marked(&xas, ULONG_MAX, (xa_mark_t)3));
	xas_unlock(&xas);
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}

Test(xa_basic, dump_prints_every_kind_of_entry)
{
	DEFINE_XARRAY(xa);
	static uint32_t word;
	FILE *saved = stderr;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	cr_assert_not_null(mem);
	xa_store_index(&xa, 1, GFP_KERNEL);
	xa_store(&xa, 2, &word, GFP_KERNEL);
	cr_assert_eq(xa_reserve(&xa, 3, GFP_KERNEL), 0);
	xa_store_order(&xa, 8, 1, xa_mk_value(8), GFP_KERNEL);	/* a sibling at any shift */
	xa_store_index(&xa, ULONG_MAX, GFP_KERNEL);
	xa_set_mark(&xa, 1, XA_MARK_1);
	stderr = mem;
	xa_dump(&xa);
	stderr = saved;
	fclose(mem);
	cr_assert(strstr(buf, "value 1 "), "%s", buf);
	cr_assert(strstr(buf, "zero"), "%s", buf);
	cr_assert(strstr(buf, "sibling"), "%s", buf);
	cr_assert(strstr(buf, "node "), "%s", buf);
	free(buf);
	xa_destroy_no_leak(&xa);
}

/* A single-index store or erase inside a multi-index entry acts on all of it. */
Test(xa_basic, store_and_erase_inside_a_multi_index_entry)
{
	DEFINE_XARRAY(xa);
	unsigned int order = XA_CHUNK_SHIFT + 1;	/* one entry spanning two slots a level up */
	unsigned long base = 3UL << order;

	for (unsigned long at = base; at < base + (1UL << order); at += 1 + (1UL << order) / 5) {
		xa_store_order(&xa, base, order, xa_mk_value(1), GFP_KERNEL);
		cr_assert_eq(xa_store(&xa, at, xa_mk_value(2), GFP_KERNEL), xa_mk_value(1));
		XA_CHECK(&xa);
		cr_assert_eq(xa_load(&xa, base), xa_mk_value(2));
		cr_assert_eq(xa_load(&xa, base + (1UL << order) - 1), xa_mk_value(2));
		cr_assert_eq(xa_get_order(&xa, at), (int)order);
		cr_assert_eq(xa_erase(&xa, at), xa_mk_value(2));
		XA_CHECK(&xa);
		cr_assert(xa_empty(&xa), "erasing one index erased the whole entry");
	}
	xa_destroy_no_leak(&xa);
}
