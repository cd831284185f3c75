/* SPDX-License-Identifier: MIT */
/*
 * test_migrate.c - XArray node migration, one behaviour at a time.
 *
 * Defragmenting moves nodes and keeps every entry and mark; frees the
 * sparse slabs; refuses slabs holding a preallocated node; carries
 * private-list membership over to the copy; lets an RCU reader that is
 * inside a moved node finish there; and rejects bad arguments. The
 * concurrent mixture (writers, destroyers, compaction) is test/stress.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <uxa/page.h>

#include "../xa_tree.h"
#include "../xarray/xa_test.h"

/* Enough entries for many slabs of nodes whatever XA_CHUNK_SHIFT is. */
#define NR_ENTRIES	(XA_CHUNK_SIZE * XA_CHUNK_SIZE * 8UL)

static unsigned long next_random(unsigned long *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/*
 * Fill [0, NR_ENTRIES), mark every 8th, then erase a random ~90% of the
 * leaf-sized blocks of indices, so ~90% of the leaf nodes go and the slabs
 * left behind are sparse. Return: entries kept.
 */
static unsigned long fill_and_thin(struct xarray *xa, bool *kept)
{
	unsigned long rnd = 88172645463325252UL, nr_kept = 0;
	bool keep_block = false;

	for (unsigned long i = 0; i < NR_ENTRIES; i++) {
		cr_assert(!xa_is_err(xa_store(xa, i, xa_mk_index(i), GFP_KERNEL)));
		if (i % 8 == 0)
			xa_set_mark(xa, i, XA_MARK_1);
	}
	for (unsigned long i = 0; i < NR_ENTRIES; i++) {
		if (i % XA_CHUNK_SIZE == 0)
			keep_block = next_random(&rnd) % 10 == 0;
		kept[i] = keep_block;
		if (kept[i])
			nr_kept++;
		else
			xa_erase(xa, i);
	}
	XA_CHECK(xa);
	return nr_kept;
}

static void check_contents(struct xarray *xa, const bool *kept)
{
	for (unsigned long i = 0; i < NR_ENTRIES; i++) {
		void *entry = xa_load(xa, i);

		cr_assert_eq(entry, kept[i] ? xa_mk_index(i) : NULL, "index %lu", i);
		if (kept[i])
			cr_assert_eq(xa_get_mark(xa, i, XA_MARK_1), i % 8 == 0, "mark at %lu", i);
	}
	XA_CHECK(xa);
}

static struct kmem_cache_stats node_cache_stats(void)
{
	struct kmem_cache_stats st;

	uxa_rcu_barrier();
	cr_assert_eq(kmem_cache_get_stats(xa_node_cache(), &st), 0);
	return st;
}

Test(migrate, defrag_moves_nodes_and_keeps_everything)
{
	DEFINE_XARRAY(xa);
	static bool kept[NR_ENTRIES];
	struct xa_migration_stats before, after;
	struct kmem_cache_stats sparse, dense;
	long pages;

	fill_and_thin(&xa, kept);
	sparse = node_cache_stats();
	xa_migration_get_stats(&before);

	pages = xa_defrag_nodes(50);

	xa_migration_get_stats(&after);
	dense = node_cache_stats();
	cr_assert_gt(pages, 0, "defrag freed no pages");
	cr_assert_gt(after.nodes_moved, before.nodes_moved);
	cr_assert_geq(after.lock_holds - before.lock_holds, 1);
	cr_assert_lt(dense.bytes_held, sparse.bytes_held);
	cr_assert_eq(dense.objects_in_use, xa_tree_count_nodes(xa.xa_head),
		     "objects in use %lu, nodes in the tree %lu", dense.objects_in_use,
		     xa_tree_count_nodes(xa.xa_head));
	check_contents(&xa, kept);
	xa_destroy_no_leak(&xa);
}

Test(migrate, writers_work_on_the_copies)
{
	DEFINE_XARRAY(xa);
	static bool kept[NR_ENTRIES];

	fill_and_thin(&xa, kept);
	cr_assert_geq(xa_defrag_nodes(100), 0);
	/* Grow, shrink and re-mark the moved tree. */
	for (unsigned long i = 0; i < NR_ENTRIES; i += 3) {
		if (kept[i])
			xa_erase_index(&xa, i);
		else
			xa_store_index(&xa, i, GFP_KERNEL);
		kept[i] = !kept[i];
		if (kept[i] && i % 8 == 0)
			xa_set_mark(&xa, i, XA_MARK_1);
	}
	check_contents(&xa, kept);
	xa_destroy_no_leak(&xa);
}

Test(migrate, preallocated_node_refuses_its_slab)
{
	DEFINE_XARRAY(xa);
	XA_STATE(xas, &xa, NR_ENTRIES + 5);
	static bool kept[NR_ENTRIES];
	struct xa_migration_stats before, after;
	struct xa_node *prealloc;

	/* A node allocated for a writer that dropped the lock (xas_nomem). */
	xas_set_err(&xas, -ENOMEM);
	cr_assert(xas_nomem(&xas, GFP_KERNEL));
	prealloc = xas.xa_alloc;
	cr_assert_not_null(prealloc);
	cr_assert_null(prealloc->array);

	fill_and_thin(&xa, kept);
	xa_migration_get_stats(&before);
	cr_assert_geq(xa_defrag_nodes(100), 0);
	xa_migration_get_stats(&after);
	cr_assert_geq(after.slabs_refused - before.slabs_refused, 1);
	cr_assert_eq(xas.xa_alloc, prealloc, "the preallocated node moved");
	cr_assert_null(prealloc->array);

	/* The writer carries on with its node. */
	do {
		xas_lock(&xas);
		xas_store(&xas, xa_mk_index(NR_ENTRIES + 5));
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	cr_assert_eq(xas_error(&xas), 0);
	cr_assert_eq(xa_load(&xa, NR_ENTRIES + 5), xa_mk_index(NR_ENTRIES + 5));
	check_contents(&xa, kept);
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* A user that keeps leaf nodes on a private list (xas_set_update()).  */

static struct xa_list_head tracked = { &tracked, &tracked };
static unsigned long nr_tracked;

static void track_node(struct xa_node *node)
{
	struct xa_list_head *link = &node->private_list;
	bool listed = link->next != link;

	if (node->count && !listed) {
		link->next = tracked.next;
		link->prev = &tracked;
		tracked.next->prev = link;
		tracked.next = link;
		nr_tracked++;
	} else if (!node->count && listed) {
		link->prev->next = link->next;
		link->next->prev = link->prev;
		link->next = link->prev = link;
		nr_tracked--;
	}
}

static void store_tracked(struct xarray *xa, unsigned long index, void *entry)
{
	XA_STATE(xas, xa, index);

	xas_set_update(&xas, track_node);
	do {
		xas_lock(&xas);
		xas_store(&xas, entry);
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	cr_assert_eq(xas_error(&xas), 0);
}

Test(migrate, private_list_membership_moves_with_the_node)
{
	DEFINE_XARRAY(xa);
	unsigned long listed = 0;
	struct xa_migration_stats before, after;

	for (unsigned long i = 0; i < NR_ENTRIES; i++)
		store_tracked(&xa, i, xa_mk_index(i));
	for (unsigned long i = 0; i < NR_ENTRIES; i++)
		if (i % 16)
			store_tracked(&xa, i, NULL);
	xa_migration_get_stats(&before);
	cr_assert_geq(xa_defrag_nodes(100), 0);
	xa_migration_get_stats(&after);
	cr_assert_gt(after.nodes_moved, before.nodes_moved);

	xa_lock(&xa);
	for (struct xa_list_head *p = tracked.next; p != &tracked; p = p->next) {
		struct xa_node *node = (struct xa_node *)((char *)p -
					offsetof(struct xa_node, private_list));

		cr_assert_eq(node->array, &xa, "a listed node is not in the tree");
		cr_assert_gt(node->count, 0);
		listed++;
	}
	xa_unlock(&xa);
	cr_assert_eq(listed, nr_tracked);

	for (unsigned long i = 0; i < NR_ENTRIES; i += 16)
		store_tracked(&xa, i, NULL);
	cr_assert_eq(nr_tracked, 0);
	cr_assert(xa_empty(&xa));
	xa_destroy_no_leak(&xa);
}

/* ------------------------------------------------------------------ */
/* A reader inside a node while it moves.                              */

struct reader_ctx {
	struct xarray *xa;
	const bool *kept;
	int parked;		/* reader is inside the node; relaxed + join */
	int defrag_started;
	struct xa_node *node;	/* the node it was in */
	bool node_moved;	/* it saw the node retired while inside */
	bool values_ok;
};

static void *reader_in_node(void *arg)
{
	struct reader_ctx *ctx = arg;
	XA_STATE(xas, ctx->xa, 0);
	unsigned long first;

	uxa_rcu_read_lock();
	while (xas_retry(&xas, xas_find(&xas, NR_ENTRIES)))
		;
	ctx->node = xas.xa_node;
	first = xas.xa_index & ~(unsigned long)XA_CHUNK_MASK;
	__atomic_store_n(&ctx->parked, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&ctx->defrag_started, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(100 * 1000);	/* the migrator moves the node meanwhile */
	ctx->node_moved = __atomic_load_n(&ctx->node->array, __ATOMIC_ACQUIRE) == XA_RCU_FREE;
	/* Still inside the (old) node: every slot reads as it was. */
	ctx->values_ok = true;
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		void *entry = __atomic_load_n(&ctx->node->slots[i], __ATOMIC_ACQUIRE);

		if (entry != (ctx->kept[first + i] ? xa_mk_index(first + i) : NULL))
			ctx->values_ok = false;
	}
	uxa_rcu_read_unlock();
	return NULL;
}

static void *defragment(void *arg)
{
	struct reader_ctx *ctx = arg;

	__atomic_store_n(&ctx->defrag_started, 1, __ATOMIC_RELEASE);
	xa_defrag_nodes(100);	/* its barrier waits for the reader */
	return NULL;
}

Test(migrate, reader_inside_a_moved_node_finishes_on_the_old_copy)
{
	DEFINE_XARRAY(xa);
	static bool kept[NR_ENTRIES];
	struct reader_ctx ctx = { .xa = &xa, .kept = kept };
	pthread_t reader, defragger;

	fill_and_thin(&xa, kept);
	pthread_create(&reader, NULL, reader_in_node, &ctx);
	while (!__atomic_load_n(&ctx.parked, __ATOMIC_ACQUIRE))
		usleep(1000);
	pthread_create(&defragger, NULL, defragment, &ctx);
	pthread_join(reader, NULL);
	pthread_join(defragger, NULL);

	cr_assert(ctx.node_moved, "the reader's node was not moved");
	cr_assert(ctx.values_ok, "the old copy changed under the reader");
	check_contents(&xa, kept);
	xa_destroy_no_leak(&xa);
}

Test(migrate, bad_percentages_are_rejected)
{
	cr_assert_eq(xa_defrag_nodes(-1), -EINVAL);
	cr_assert_eq(xa_defrag_nodes(101), -EINVAL);
	cr_assert_geq(xa_defrag_nodes(0), 0);
}

Test(migrate, no_defrag_or_compaction_inside_rcu_read_side)
{
	uxa_rcu_read_lock();
	cr_assert_eq(xa_defrag_nodes(50), -EDEADLK);
	cr_assert_eq(uxa_page_compact(3, NULL), -EDEADLK);
	uxa_rcu_read_unlock();
	cr_assert_geq(xa_defrag_nodes(50), 0);
}
