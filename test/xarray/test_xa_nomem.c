/* SPDX-License-Identifier: MIT */
/*
 * test_xa_nomem.c - allocation-failure injection.
 *
 * For a fixed workload, the n-th node allocation fails
 * (kmem_cache_fail_after(xa_node_cache(), n)) for every n from 1 until the
 * workload no longer reaches an n-th allocation. After every operation the
 * tree must pass xa_check() and hold exactly what a model says; at the end
 * nothing may leak (objects_in_use of the node cache returns to 0 after
 * xa_destroy() and an RCU barrier).
 *
 * The injection is one-shot, so the normal API, which retries through
 * __xas_nomem() with the caller's gfp, must absorb it: every operation
 * succeeds. The advanced API does not retry by itself: the operation that
 * meets the failure must report -ENOMEM in its state and change nothing
 * visible; the caller's xas_nomem() retry then completes it.
 *
 * Persistent failure comes from capping the page allocator: then the
 * normal API's own retry fails too, and each operation must return -ENOMEM,
 * leave no half-built nodes behind and change nothing.
 *
 * Whether the armed failure fired is read back without any private hook:
 * after the workload, up to n further allocations are made; if one of them
 * fails, the workload did not reach its n-th allocation.
 */
#include <stdlib.h>

#include <uxa/page.h>

#include "xa_test.h"

/* ------------------------------------------------------------------ */
/* The model: index -> entry, for every index (multi-index entries too). */

struct model {
	unsigned long nr;
	unsigned long index[16384];
	void *entry[16384];
	unsigned long start[16384];	/* first index of the entry holding index[i] */
};

static long model_find(const struct model *m, unsigned long index)
{
	unsigned long lo = 0, hi = m->nr;

	while (lo < hi) {
		unsigned long mid = (lo + hi) / 2;

		if (m->index[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nr && m->index[lo] == index ? (long)lo : -(long)lo - 1;
}

static void *model_load(const struct model *m, unsigned long index)
{
	long at = model_find(m, index);

	return at >= 0 ? m->entry[at] : NULL;
}

static void model_set(struct model *m, unsigned long index, void *entry, unsigned long start)
{
	long at = model_find(m, index);

	if (at >= 0) {
		if (entry) {
			m->entry[at] = entry;
			m->start[at] = start;
		} else {
			m->nr--;
			for (unsigned long i = at; i < m->nr; i++) {
				m->index[i] = m->index[i + 1];
				m->entry[i] = m->entry[i + 1];
				m->start[i] = m->start[i + 1];
			}
		}
		return;
	}
	if (!entry)
		return;
	at = -at - 1;
	cr_assert_lt(m->nr, 16384);
	for (unsigned long i = m->nr; i > (unsigned long)at; i--) {
		m->index[i] = m->index[i - 1];
		m->entry[i] = m->entry[i - 1];
		m->start[i] = m->start[i - 1];
	}
	m->index[at] = index;
	m->entry[at] = entry;
	m->start[at] = start;
	m->nr++;
}

/* One entry over [first, last] (NULL: erase them). */
static void model_store_entry(struct model *m, unsigned long first, unsigned long last, void *entry)
{
	for (unsigned long i = first; ; i++) {
		model_set(m, i, entry, first);
		if (i == last)
			break;
	}
}

/* The extent of the entry holding @index (just @index if it is empty). */
static void model_extent(const struct model *m, unsigned long index, unsigned long *first,
			 unsigned long *last)
{
	long at = model_find(m, index);

	*first = index;
	*last = index;
	if (at < 0)
		return;
	*first = m->start[at];
	while ((unsigned long)at + 1 < m->nr && m->start[at + 1] == *first &&
	       m->index[at + 1] == *last + 1) {
		at++;
		*last = m->index[at];
	}
}

/* A single-index operation on an index of a multi-index entry acts on all of it. */
static void model_store_at(struct model *m, unsigned long index, void *entry)
{
	unsigned long first, last;

	model_extent(m, index, &first, &last);
	model_store_entry(m, first, last, entry);
}

/*
 * xa_store_range(): entries straddling either end are replaced whole, and
 * the range is covered by the fewest naturally aligned entries, each of
 * some number of slots of one node level (see uxa/xarray.h).
 */
static void model_store_range(struct model *m, unsigned long first, unsigned long last,
			      void *entry)
{
	unsigned long a, b;

	model_extent(m, first, &a, &b);
	first = a;
	model_extent(m, last, &a, &b);
	last = b;
	if (!entry) {
		model_store_entry(m, first, last, NULL);
		return;
	}
	for (;;) {
		unsigned int shift = 0;
		unsigned long slots, room, end;

		while (shift + XA_CHUNK_SHIFT < XA_BITS_PER_LONG &&
		       !(first & ((1UL << (shift + XA_CHUNK_SHIFT)) - 1)) &&
		       last - first >= (1UL << (shift + XA_CHUNK_SHIFT)) - 1)
			shift += XA_CHUNK_SHIFT;
		slots = (last - first) >> shift;	/* whole slots: floor((span + 1) >> shift) */
		if (((last - first) & ((1UL << shift) - 1)) == (1UL << shift) - 1)
			slots++;
		room = XA_CHUNK_SIZE - ((first >> shift) & XA_CHUNK_MASK);
		if (slots > room)
			slots = room;
		end = first + (slots << shift) - 1;
		model_store_entry(m, first, end, entry);
		if (end >= last)
			break;
		first = end + 1;
	}
}

/* The array holds exactly the model: every modelled index, and nothing else. */
static void model_compare(struct model *m, struct xarray *xa)
{
	unsigned long index, covered = 0;
	void *entry;

	XA_CHECK(xa);
	for (unsigned long i = 0; i < m->nr; i++)
		cr_assert_eq(xa_load(xa, m->index[i]), m->entry[i], "index %lu", m->index[i]);
	/*
	 * Count every index that loads non-NULL: from each entry found, up to
	 * the next one found (xa_store_range() entries need not be 2^n wide).
	 */
	xa_for_each(xa, index, entry) {
		unsigned long next = index, k = index;

		cr_assert_eq(model_load(m, index), entry, "index %lu", index);
		if (!xa_find_after(xa, &next, ULONG_MAX, XA_PRESENT))
			next = 0;
		do {
			covered++;
		} while (++k != next && k != 0 && xa_load(xa, k) == entry);
	}
	cr_assert_eq(covered, m->nr, "the array holds %lu indices, the model %lu", covered, m->nr);
}

/* ------------------------------------------------------------------ */
/* Reading back whether the armed failure fired.                       */

static bool injection_fired(unsigned long n)
{
	struct kmem_cache *cache = xa_node_cache();
	void **objs = calloc(n, sizeof(*objs));
	bool fired = true;

	cr_assert_not_null(objs);
	for (unsigned long i = 0; i < n; i++) {
		objs[i] = kmem_cache_alloc(cache, GFP_KERNEL);
		if (!objs[i]) {
			fired = false;
			break;
		}
	}
	kmem_cache_fail_after(cache, 0);
	for (unsigned long i = 0; i < n; i++)
		kmem_cache_free(cache, objs[i]);
	free(objs);
	return fired;
}

static void assert_no_leak(void)
{
	uxa_rcu_barrier();
	cr_assert_eq(xa_nodes_in_use(), 0, "%lu nodes leaked", xa_nodes_in_use());
}

/* Deterministic pseudo-random numbers (the workload must repeat exactly). */
static unsigned long rnd_state;

static unsigned long rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return rnd_state >> 17;
}

/* Indices that make trees of several levels at any chunk shift. */
static unsigned long pick_index(void)
{
	switch (rnd() % 4) {
	case 0:
		return rnd() % (2 * XA_CHUNK_SIZE);
	case 1:
		return (1UL << (rnd() % XA_BITS_PER_LONG)) + rnd() % 3;
	case 2:
		return ULONG_MAX - rnd() % 3;
	default:
		return rnd() % (XA_CHUNK_SIZE * XA_CHUNK_SIZE * XA_CHUNK_SIZE);
	}
}

/* ------------------------------------------------------------------ */
/* Normal API: every operation absorbs the injected failure.           */

static void normal_op(struct xarray *xa, struct model *m, gfp_t gfp)
{
	unsigned long index = pick_index();
	void *entry = xa_mk_value(rnd() % 1000 + 1);
	void *old = model_load(m, index);
	void *ret;
	int err;

	switch (rnd() % 6) {
	case 0:
	case 1:
		ret = xa_store(xa, index, entry, gfp);
		cr_assert_eq(ret, old, "store %lu", index);
		model_store_at(m, index, entry);
		break;
	case 2:
		err = xa_insert(xa, index, entry, gfp);
		cr_assert_eq(err, old ? -EBUSY : 0, "insert %lu", index);
		if (!old)
			model_store_entry(m, index, index, entry);
		break;
	case 3: {
		void *expect = rnd() % 2 ? old : NULL;

		ret = xa_cmpxchg(xa, index, expect, entry, gfp);
		cr_assert_eq(ret, old, "cmpxchg %lu", index);
		if (old == expect)
			model_store_at(m, index, entry);
		break;
	}
	case 4: {
		unsigned long last = index + rnd() % (3 * XA_CHUNK_SIZE);

		if (last < index)
			last = ULONG_MAX;
		ret = xa_store_range(xa, index, last, entry, gfp);
		cr_assert_null(ret, "store_range [%lu, %lu]", index, last);
		model_store_range(m, index, last, entry);
		break;
	}
	default:
		ret = xa_erase(xa, index);
		cr_assert_eq(ret, old, "erase %lu", index);
		model_store_at(m, index, NULL);
		break;
	}
	model_compare(m, xa);
}

static void normal_workload(struct xarray *xa, struct model *m)
{
	rnd_state = 42;
	for (int i = 0; i < 60; i++)
		normal_op(xa, m, i % 2 ? GFP_KERNEL : GFP_NOWAIT);
}

Test(xa_nomem, normal_api_absorbs_every_single_failure, .timeout = 120)
{
	static struct model m;
	DEFINE_XARRAY(xa);
	unsigned long n;

	for (n = 1; ; n++) {
		memset(&m, 0, sizeof(m));
		kmem_cache_fail_after(xa_node_cache(), n);
		normal_workload(&xa, &m);
		if (!injection_fired(n))
			break;
		xa_destroy(&xa);
		assert_no_leak();
	}
	cr_assert_gt(n, 10, "the workload allocates nodes");
	xa_destroy(&xa);
	assert_no_leak();
}

static void alloc_workload(struct xarray *xa, struct model *m)
{
	uint32_t id, next = 0;

	rnd_state = 7;
	for (int i = 0; i < 40; i++) {
		struct xa_limit limit = XA_LIMIT(rnd() % (4 * XA_CHUNK_SIZE), UINT_MAX);
		void *entry = xa_mk_value(i + 1);
		int ret;

		if (i % 3 == 2) {
			ret = xa_alloc_cyclic(xa, &id, entry, xa_limit_32b, &next, GFP_KERNEL);
			cr_assert(ret == 0 || ret == 1, "alloc_cyclic %d", ret);
		} else {
			ret = xa_alloc(xa, &id, entry, limit, i % 2 ? GFP_KERNEL : GFP_NOWAIT);
			cr_assert_eq(ret, 0);
			cr_assert_geq(id, limit.min);
		}
		cr_assert_null(model_load(m, id), "id %u handed out twice", id);
		model_store_entry(m, id, id, entry);
		if (i % 4 == 3) {
			unsigned long victim = m->index[rnd() % m->nr];

			cr_assert_eq(xa_erase(xa, victim), model_load(m, victim));
			model_store_at(m, victim, NULL);
		}
		if (i == 20)
			next = UINT_MAX - 1;	/* make the cyclic allocator wrap */
		model_compare(m, xa);
	}
}

Test(xa_nomem, id_allocation_absorbs_every_single_failure, .timeout = 120)
{
	static struct model m;
	DEFINE_XARRAY_ALLOC1(xa);
	unsigned long n;

	for (n = 1; ; n++) {
		memset(&m, 0, sizeof(m));
		kmem_cache_fail_after(xa_node_cache(), n);
		alloc_workload(&xa, &m);
		if (!injection_fired(n))
			break;
		xa_destroy(&xa);
		assert_no_leak();
	}
	cr_assert_gt(n, 3);
	xa_destroy(&xa);
	assert_no_leak();
}

/* ------------------------------------------------------------------ */
/* Advanced API: the failing operation reports -ENOMEM, changes nothing. */

static unsigned int failures_seen;

/* Store @entry at @index with @order; check the failed attempt, then retry. */
static void adv_store(struct xarray *xa, struct model *m, unsigned long index,
		      unsigned int order, void *entry)
{
	XA_STATE_ORDER(xas, xa, index, order);
	unsigned long first = xas.xa_index;
	unsigned long last = first + (1UL << order) - 1;

	xas_lock(&xas);
	xas_store(&xas, entry);
	xas_unlock(&xas);
	if (xas_error(&xas)) {
		cr_assert_eq(xas_error(&xas), -ENOMEM);
		failures_seen++;
		/* Nothing visible changed (empty nodes may stay for the retry). */
		for (unsigned long i = 0; i < m->nr; i++)
			cr_assert_eq(xa_load(xa, m->index[i]), m->entry[i]);
		cr_assert_eq(xa_load(xa, first), model_load(m, first));
		cr_assert_eq(xa_load(xa, last), model_load(m, last));
		cr_assert(xas_nomem(&xas, GFP_KERNEL), "xas_nomem allocates for the retry");
		do {
			xas_lock(&xas);
			xas_store(&xas, entry);
			xas_unlock(&xas);
		} while (xas_nomem(&xas, GFP_KERNEL));
	}
	cr_assert_eq(xas_error(&xas), 0);
	model_store_entry(m, first, last, entry);
	model_compare(m, xa);
}

/* xas_create_range() then stores of each index, as the page cache does. */
static void adv_create_range(struct xarray *xa, struct model *m, unsigned long index,
			     unsigned int order)
{
	XA_STATE_ORDER(xas, xa, index, order);
	unsigned long base = xas.xa_index;
	bool failed_once = false;

	for (;;) {
		xas_lock(&xas);
		xas_create_range(&xas);
		if (!xas_error(&xas)) {
			for (unsigned long i = 0; i < (1UL << order); i++) {
				xas_store(&xas, xa_mk_index(base + i));
				cr_assert_eq(xas_error(&xas), 0, "stores after create_range never allocate");
				xas_next(&xas);
			}
		}
		xas_unlock(&xas);
		if (xas_error(&xas)) {
			cr_assert_eq(xas_error(&xas), -ENOMEM);
			cr_assert_not(failed_once, "one-shot injection fails once");
			failed_once = true;
			failures_seen++;
			for (unsigned long i = 0; i < m->nr; i++)
				cr_assert_eq(xa_load(xa, m->index[i]), m->entry[i]);
		}
		if (!xas_nomem(&xas, GFP_KERNEL))
			break;
	}
	cr_assert_eq(xas_error(&xas), 0);
	for (unsigned long i = 0; i < (1UL << order); i++)
		model_store_entry(m, base + i, base + i, xa_mk_index(base + i));
	model_compare(m, xa);
}

/* Split the order-@order entry at @index into order-@new_order pieces. */
static void adv_split(struct xarray *xa, struct model *m, unsigned long index, unsigned int order,
		      unsigned int new_order)
{
	XA_STATE_ORDER(xas, xa, index, new_order);
	void *entry = xa_mk_value(index);

	xas_split_alloc(&xas, entry, order, GFP_KERNEL);
	if (xas_error(&xas)) {
		cr_assert_eq(xas_error(&xas), -ENOMEM);
		failures_seen++;
		model_compare(m, xa);
		xas_reset(&xas);
		xas_split_alloc(&xas, entry, order, GFP_KERNEL);
		cr_assert_eq(xas_error(&xas), 0, "second try succeeds (one-shot)");
	}
	xas_lock(&xas);
	xas_split(&xas, entry, order);
	xas_unlock(&xas);
	cr_assert_eq(xas_error(&xas), 0);
	xas_nomem(&xas, 0);
	for (unsigned long i = 0; i < (1UL << order); i += 1UL << new_order) {
		model_store_entry(m, index + i, index + i + (1UL << new_order) - 1, entry);
		cr_assert_eq(xa_get_order(xa, index + i), (int)new_order);
	}
	model_compare(m, xa);
	/* Every piece is independent now: replace one. */
	cr_assert_eq(xa_store(xa, index, xa_mk_index(index), GFP_KERNEL), entry);
	model_store_at(m, index, xa_mk_index(index));
	model_compare(m, xa);
}

static void advanced_workload(struct xarray *xa, struct model *m)
{
	unsigned int split_order = XA_CHUNK_SHIFT + 1;
	unsigned long split_at = 5UL << split_order;

	adv_store(xa, m, 3, 0, xa_mk_index(3));
	adv_store(xa, m, 1UL << 20, 0, xa_mk_index(1UL << 20));
	adv_store(xa, m, ULONG_MAX, 0, xa_mk_index(ULONG_MAX));
	adv_store(xa, m, 64, 2, xa_mk_value(64));
	adv_store(xa, m, 1UL << 30, XA_CHUNK_SHIFT, xa_mk_value(1UL << 30));
	adv_create_range(xa, m, 3UL << 16, XA_CHUNK_SHIFT + 1);
	adv_create_range(xa, m, 12345, 3);
	adv_store(xa, m, split_at, split_order, xa_mk_value(split_at));
	adv_split(xa, m, split_at, split_order, 0);
	adv_store(xa, m, 7UL << split_order, split_order, xa_mk_value(7UL << split_order));
	adv_split(xa, m, 7UL << split_order, split_order, 1);
	adv_store(xa, m, (1UL << 40) + 5, 0, xa_mk_index((1UL << 40) + 5));
}

Test(xa_nomem, advanced_api_reports_enomem_and_changes_nothing, .timeout = 120)
{
	static struct model m;
	DEFINE_XARRAY(xa);
	unsigned long n;

	for (n = 1; ; n++) {
		memset(&m, 0, sizeof(m));
		failures_seen = 0;
		kmem_cache_fail_after(xa_node_cache(), n);
		advanced_workload(&xa, &m);
		if (!injection_fired(n)) {
			cr_assert_eq(failures_seen, 0);
			break;
		}
		cr_assert_eq(failures_seen, 1, "n %lu: exactly one operation met the failure", n);
		xa_destroy(&xa);
		assert_no_leak();
	}
	cr_assert_gt(n, 10);
	xa_destroy(&xa);
	assert_no_leak();
}

/* Giving up after -ENOMEM (no retry) leaks nothing either. */
Test(xa_nomem, giving_up_leaks_nothing)
{
	DEFINE_XARRAY(xa);

	for (unsigned long n = 1; n < 8; n++) {
		XA_STATE(xas, &xa, ULONG_MAX);

		xa_store_index(&xa, 1, GFP_KERNEL);
		kmem_cache_fail_after(xa_node_cache(), n);
		xas_lock(&xas);
		xas_store(&xas, xa_mk_index(ULONG_MAX));
		xas_unlock(&xas);
		kmem_cache_fail_after(xa_node_cache(), 0);
		/* No xas_nomem(): the caller gives up (empty nodes may stay in the tree). */
		if (xas_error(&xas))
			cr_assert_null(xa_load(&xa, ULONG_MAX));
		else
			cr_assert_eq(xa_load(&xa, ULONG_MAX), xa_mk_index(ULONG_MAX));
		cr_assert_eq(xa_load(&xa, 1), xa_mk_index(1));
		xa_destroy(&xa);
		assert_no_leak();
	}
}

/* ------------------------------------------------------------------ */
/* Persistent failure: the page allocator is capped at one chunk.      */

Test(xa_nomem, out_of_memory_fails_cleanly, .timeout = 120)
{
	DEFINE_XARRAY(xa);
	unsigned long limit = UXA_PAGE_SIZE << UXA_MAX_ORDER;
	unsigned long most = 2 * (limit / sizeof(struct xa_node)) + 1000;
	unsigned long i, stored;
	void *ret = NULL;
	uint32_t id;

	cr_assert_eq(uxa_page_set_limit(limit), 0);
	/* One leaf per entry: each store needs at least one new node. */
	for (i = 0; i < most; i++) {
		ret = xa_store(&xa, i * XA_CHUNK_SIZE, xa_mk_index(i), GFP_KERNEL);
		if (xa_is_err(ret))
			break;
		cr_assert_null(ret);
	}
	cr_assert(xa_is_err(ret), "the cap was never reached");
	cr_assert_eq(xa_err(ret), -ENOMEM);
	stored = i;
	XA_CHECK(&xa);	/* no empty node left behind by the failed store */
	cr_assert_null(xa_load(&xa, stored * XA_CHUNK_SIZE));

	/* Every allocating operation fails the same way and changes nothing. */
	for (unsigned long k = 0; k < 4; k++) {
		unsigned long at = (stored + 1 + k * 1000) * XA_CHUNK_SIZE * XA_CHUNK_SIZE;

		cr_assert_eq(xa_err(xa_store(&xa, at, &xa, GFP_NOWAIT)), -ENOMEM);
		cr_assert_eq(xa_insert(&xa, at, &xa, GFP_KERNEL), -ENOMEM);
		cr_assert_eq(xa_err(xa_cmpxchg(&xa, at, NULL, &xa, GFP_KERNEL)), -ENOMEM);
		cr_assert_eq(xa_reserve(&xa, at, GFP_KERNEL), -ENOMEM);
		cr_assert_eq(xa_err(xa_store_range(&xa, at, at + 2, &xa, GFP_KERNEL)), -ENOMEM);
		cr_assert_null(xa_load(&xa, at));
		cr_assert_null(xa_load(&xa, at + 2));
		XA_CHECK(&xa);
	}
	/* ID allocation: the first ID lives in the head, the second needs a node. */
	{
		DEFINE_XARRAY_ALLOC(ids);

		cr_assert_eq(xa_alloc(&ids, &id, &xa, xa_limit_32b, GFP_KERNEL), 0);
		cr_assert_eq(id, 0);
		id = 77;
		cr_assert_eq(xa_alloc(&ids, &id, &xa, xa_limit_32b, GFP_KERNEL), -ENOMEM);
		cr_assert_eq(id, 77);
		cr_assert_eq(xa_count_entries(&ids), 1);
		XA_CHECK(&ids);
		xa_destroy(&ids);
	}

	/* Operations that need no node still work. */
	cr_assert_eq(xa_store(&xa, 0, xa_mk_value(1), GFP_KERNEL), xa_mk_index(0));
	cr_assert_eq(xa_erase(&xa, XA_CHUNK_SIZE), xa_mk_index(1));
	for (i = 2; i < stored; i++)
		cr_assert_eq(xa_load(&xa, i * XA_CHUNK_SIZE), xa_mk_index(i));

	/* Erasing gives nodes back (after a grace period); storing works again. */
	for (i = stored / 2; i < stored; i++)
		cr_assert_eq(xa_erase(&xa, i * XA_CHUNK_SIZE), xa_mk_index(i));
	uxa_rcu_barrier();
	cr_assert_null(xa_store(&xa, stored * XA_CHUNK_SIZE, &xa, GFP_KERNEL));
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);

	xa_destroy_no_leak(&xa);
	cr_assert_eq(uxa_page_set_limit(0), 0);
}
