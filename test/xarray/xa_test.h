/* SPDX-License-Identifier: MIT */
/*
 * xa_test.h - helpers shared by the XArray unit tests.
 *
 * Entries are value entries derived from their index (xa_mk_index()), so a
 * load can be checked without a side table. Every helper that changes an
 * array checks it afterwards with xa_check(). Nothing here assumes 64-slot
 * nodes: sizes are expressed through XA_CHUNK_SHIFT / XA_CHUNK_SIZE, so the
 * chunk3 build (8-slot nodes) runs the same tests on deeper trees.
 */
#ifndef UXA_TEST_XA_TEST_H
#define UXA_TEST_XA_TEST_H

#include <criterion/criterion.h>
#include <limits.h>

#include <uxa/rcu.h>
#include <uxa/slab.h>
#include <uxa/xarray.h>

/* A value entry naming its index (the top bit is dropped, as in the kernel's tests). */
static inline void *xa_mk_index(unsigned long index)
{
	return xa_mk_value(index & LONG_MAX);
}

#define XA_CHECK(xa)							\
	cr_assert_eq(xa_check(xa), 0, "xa_check failed (%s:%d)", __FILE__, __LINE__)

static inline void *xa_store_index(struct xarray *xa, unsigned long index, gfp_t gfp)
{
	void *old = xa_store(xa, index, xa_mk_index(index), gfp);

	XA_CHECK(xa);
	return old;
}

static inline void xa_erase_index(struct xarray *xa, unsigned long index)
{
	cr_assert_eq(xa_erase(xa, index), xa_mk_index(index), "erase %lu", index);
	cr_assert_null(xa_load(xa, index), "load %lu after erase", index);
	XA_CHECK(xa);
}

static inline void xa_insert_index(struct xarray *xa, unsigned long index)
{
	cr_assert_eq(xa_insert(xa, index, xa_mk_index(index), GFP_KERNEL), 0, "insert %lu", index);
	XA_CHECK(xa);
}

/* Store @entry as one entry of 2^@order indices (the advanced API, retrying on -ENOMEM). */
static inline void *xa_store_order(struct xarray *xa, unsigned long index, unsigned int order,
				   void *entry, gfp_t gfp)
{
	XA_STATE_ORDER(xas, xa, index, order);
	void *curr;

	do {
		xas_lock(&xas);
		curr = xas_store(&xas, entry);
		xas_unlock(&xas);
	} while (xas_nomem(&xas, gfp));
	cr_assert_eq(xas_error(&xas), 0, "store order %u at %lu", order, index);
	XA_CHECK(xa);
	return curr;
}

/* Nodes allocated from the node cache and not yet freed. */
static inline unsigned long xa_nodes_in_use(void)
{
	struct kmem_cache_stats st;

	cr_assert_eq(kmem_cache_get_stats(xa_node_cache(), &st), 0);
	return st.objects_in_use;
}

/* Destroy @xa and check that every node went back to the cache. */
static inline void xa_destroy_no_leak(struct xarray *xa)
{
	XA_CHECK(xa);
	xa_destroy(xa);
	cr_assert(xa_empty(xa));
	XA_CHECK(xa);
	uxa_rcu_barrier();
	cr_assert_eq(xa_nodes_in_use(), 0, "%lu xa_node objects leaked", xa_nodes_in_use());
}

/* Count the present entries by xa_for_each(). */
static inline unsigned long xa_count_entries(struct xarray *xa)
{
	unsigned long index, n = 0;
	void *entry;

	xa_for_each(xa, index, entry)
		n++;
	return n;
}

#endif /* UXA_TEST_XA_TEST_H */
