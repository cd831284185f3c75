/* SPDX-License-Identifier: MIT */
/*
 * stress_xa.c - the whole stack at once: XArray readers and writers, node
 * migration, page compaction and array destruction (a TSan and ASan target).
 *
 * Threads, all running for UXA_STRESS_SECONDS (default 4):
 *  readers      xa_load, xa_find on a mark, xa_for_each_range, and xas_for_each
 *               walks under uxa_rcu_read_lock(), checking what is stable;
 *  writer       churns array "main" (store, erase, cmpxchg, multi-index
 *               store_range and erase, marks) and array "ids" (xa_alloc/erase);
 *  defragmenter loops xa_defrag_nodes() / kmem_cache_defrag() on the node cache;
 *  compactor    asks for high-order pages under a page limit (compaction moves
 *               nodes) and calls uxa_page_compact();
 *  destroyer    mallocs, fills, destroys (or empties) and frees whole arrays,
 *               so migrations race with the array's memory going away.
 *
 * What is stable, and checked: in "main", indices i with i % STRIDE == 0
 * below NR_STABLE always hold value(i) and carry XA_MARK_0; nothing else
 * carries XA_MARK_0. Every other entry a reader sees must encode its own
 * index (single entries) or a range containing it (multi-index entries).
 * Afterwards: xa_check() passes, the node cache's objects in use equal the
 * nodes reachable from the live arrays, and after destroying everything,
 * zero. UXA_STRESS_SECONDS lengthens the run (e.g. 3600 for a soak).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uxa/page.h>
#include <uxa/rcu.h>
#include <uxa/slab.h>
#include <uxa/xarray.h>

#include "../xa_tree.h"

#define STRIDE		4UL
#define NR_STABLE	(1UL << 14)		/* indices [0, NR_STABLE) */
#define RANGE_BASE	(1UL << 20)		/* multi-index region */
#define RANGE_SPAN	(1UL << 14)
#define NR_READERS	2
/* Running into the page limit is part of the test: no messages for it. */
#define GFP_STRESS	(GFP_KERNEL | __GFP_NOWARN)

static DEFINE_XARRAY(main_array);
static DEFINE_XARRAY_ALLOC(id_array);
static int stop;			/* relaxed flag; pthread_join orders the end */
static unsigned long failures;		/* relaxed counter of failed checks */

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "stress_xa: %s:%d: ", __func__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);	\
	}								\
} while (0)

static bool stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

/* xorshift: each thread has its own state. */
static unsigned long next_random(unsigned long *state)
{
	unsigned long x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* Entries encode where they may be: single entries their index, multi-index
 * entries their first index and order. */
static void *single_value(unsigned long index)
{
	return xa_mk_value(index << 6);
}

static void *range_value(unsigned long first, unsigned int order)
{
	return xa_mk_value((first << 6) | 32 | order);
}

static bool is_stable(unsigned long index)
{
	return index < NR_STABLE && index % STRIDE == 0;
}

static void check_entry(unsigned long index, void *entry)
{
	unsigned long v, first;
	unsigned int order;

	if (!entry)
		return;
	if (!xa_is_value(entry)) {
		CHECK(0, "index %lu holds non-value %p", index, entry);
		return;
	}
	v = xa_to_value(entry);
	if (!(v & 32)) {
		CHECK(v >> 6 == index, "index %lu holds value of index %lu", index, v >> 6);
		return;
	}
	first = v >> 6;
	order = v & 31;
	CHECK(first <= index && index - first < (1UL << order),
	      "index %lu holds range [%lu, +2^%u)", index, first, order);
}

/* ------------------------------------------------------------------ */
/* Readers.                                                            */

static void reader_load(unsigned long *rnd)
{
	unsigned long index = next_random(rnd) % (NR_STABLE + 64);
	void *entry = xa_load(&main_array, index);

	if (is_stable(index))
		CHECK(entry == single_value(index), "stable %lu reads %p", index, entry);
	else
		check_entry(index, entry);
	index = RANGE_BASE + next_random(rnd) % RANGE_SPAN;
	check_entry(index, xa_load(&main_array, index));
}

/* Only stable indices carry XA_MARK_0: xa_find must land on the next one. */
static void reader_find_marked(unsigned long *rnd)
{
	unsigned long start = next_random(rnd) % NR_STABLE;
	unsigned long index = start;
	unsigned long expect = (start + STRIDE - 1) / STRIDE * STRIDE;
	void *entry = xa_find(&main_array, &index, ULONG_MAX, XA_MARK_0);

	if (expect >= NR_STABLE) {
		CHECK(!entry, "mark 0 found at %lu after the last stable index", index);
		return;
	}
	CHECK(entry == single_value(expect) && index == expect,
	      "xa_find(mark 0) from %lu: index %lu entry %p, expected %lu", start, index,
	      entry, expect);
}

/* Every stable index of a window is visited exactly once, in order. */
static void reader_iterate(unsigned long *rnd)
{
	unsigned long first = next_random(rnd) % NR_STABLE & ~(STRIDE - 1);
	unsigned long last = first + 64 * STRIDE - 1;
	unsigned long index, expect = first, stable_seen = 0, prev = 0;
	bool any = false;
	void *entry;

	if (last >= NR_STABLE)
		last = NR_STABLE - 1;
	xa_for_each_range(&main_array, index, entry, first, last) {
		CHECK(!any || index > prev, "iteration went back from %lu to %lu", prev, index);
		any = true;
		prev = index;
		check_entry(index, entry);
		if (is_stable(index)) {
			CHECK(index == expect, "iteration skipped stable %lu (at %lu)", expect, index);
			expect = index + STRIDE;
			stable_seen++;
		}
	}
	CHECK(stable_seen == (last - first) / STRIDE + 1, "saw %lu stable entries in [%lu, %lu]",
	      stable_seen, first, last);
}

/* The advanced API under the RCU read lock, with retries. */
static void reader_xas_walk(unsigned long *rnd)
{
	unsigned long first = next_random(rnd) % NR_STABLE & ~(STRIDE - 1);
	XA_STATE(xas, &main_array, first);
	unsigned long stable_seen = 0, limit = first + 32 * STRIDE - 1;
	void *entry;

	if (limit >= NR_STABLE)
		limit = NR_STABLE - 1;
	uxa_rcu_read_lock();
	xas_for_each(&xas, entry, limit) {
		if (xas_retry(&xas, entry))
			continue;
		check_entry(xas.xa_index, entry);
		stable_seen += is_stable(xas.xa_index);
	}
	uxa_rcu_read_unlock();
	CHECK(stable_seen == (limit - first) / STRIDE + 1, "xas walk saw %lu stable in [%lu, %lu]",
	      stable_seen, first, limit);
}

static void *reader(void *arg)
{
	unsigned long rnd = 0x9e3779b97f4a7c15UL ^ (unsigned long)(uintptr_t)arg;
	unsigned long rounds = 0;

	while (!stopping()) {
		reader_load(&rnd);
		reader_find_marked(&rnd);
		if (rounds % 8 == 0) {
			reader_iterate(&rnd);
			reader_xas_walk(&rnd);
		}
		rounds++;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Writer.                                                             */

static void writer_single(unsigned long *rnd)
{
	unsigned long index = next_random(rnd) % (NR_STABLE + 64);
	void *old;

	if (is_stable(index))
		index++;
	switch (next_random(rnd) % 5) {
	case 0:
	case 1:
		old = xa_store(&main_array, index, single_value(index), GFP_STRESS);
		CHECK(!xa_is_err(old) || xa_err(old) == -ENOMEM, "store %lu: %d", index, xa_err(old));
		break;
	case 2:
		xa_erase(&main_array, index);
		break;
	case 3:
		old = xa_cmpxchg(&main_array, index, NULL, single_value(index), GFP_STRESS);
		CHECK(!xa_is_err(old) || xa_err(old) == -ENOMEM, "cmpxchg %lu", index);
		break;
	default:
		if (xa_load(&main_array, index))
			xa_set_mark(&main_array, index, XA_MARK_1);
		else
			xa_clear_mark(&main_array, index, XA_MARK_1);
		break;
	}
}

/*
 * Each 256-index block of the range region has one order (block % 9), so
 * multi-index stores never partly overlap an entry of another order (which,
 * as in the kernel, would replace the whole larger entry and make the
 * encoded range a lie).
 */
static void writer_range(unsigned long *rnd)
{
	unsigned long block = next_random(rnd) % (RANGE_SPAN >> 8);
	unsigned int order = block % 9;
	unsigned long first = RANGE_BASE + (block << 8) +
			      (next_random(rnd) % 256 & ~((1UL << order) - 1));
	unsigned long last = first + (1UL << order) - 1;
	void *old;

	if (next_random(rnd) % 3 == 0) {
		xa_erase(&main_array, first);
		return;
	}
	old = xa_store_range(&main_array, first, last, range_value(first, order), GFP_STRESS);
	CHECK(!xa_is_err(old) || xa_err(old) == -ENOMEM, "store_range [%lu, %lu]: %d", first, last,
	      xa_err(old));
}

static void writer_ids(unsigned long *rnd)
{
	uint32_t id;
	int err = xa_alloc(&id_array, &id, xa_mk_value(1), XA_LIMIT(0, 1 << 16), GFP_STRESS);

	CHECK(!err || err == -ENOMEM || err == -EBUSY, "xa_alloc: %d", err);
	if (!err)
		CHECK(xa_load(&id_array, id) == xa_mk_value(1), "id %u not stored", id);
	if (next_random(rnd) % 2) {
		unsigned long victim = next_random(rnd) % (1 << 16);

		xa_erase(&id_array, victim);
	}
}

/*
 * The advanced API's allocation protocol, stretched: a node preallocated by
 * xas_nomem() (node->array == NULL) is held outside any lock while the
 * writer goes on allocating (so its slab stops being the writer's active
 * one and becomes a defrag candidate), then used. The migrator must refuse
 * that slab and leave the node alone.
 */
static void writer_preallocate(struct xa_state *xas, unsigned long *rnd)
{
	unsigned long index = NR_STABLE + 64 + next_random(rnd) % 4096;

	xas_set(xas, index);
	xas_set_err(xas, -ENOMEM);
	xas_nomem(xas, GFP_STRESS);
}

static void writer_use_preallocated(struct xa_state *xas)
{
	unsigned long index = xas->xa_index;

	do {
		xas_lock(xas);
		xas_store(xas, single_value(index));
		xas_unlock(xas);
	} while (xas_nomem(xas, GFP_STRESS));
	CHECK(!xas_error(xas) || xas_error(xas) == -ENOMEM, "xas_store %lu: %d", index,
	      xas_error(xas));
}

static void *writer(void *arg)
{
	unsigned long rnd = 0x2545f4914f6cdd1dUL, rounds = 0;
	XA_STATE(pending, &main_array, 0);

	(void)arg;
	while (!stopping()) {
		if (rounds % 64 == 0)
			writer_preallocate(&pending, &rnd);
		writer_single(&rnd);
		writer_range(&rnd);
		writer_ids(&rnd);
		if (rounds % 64 == 63)
			writer_use_preallocated(&pending);
		rounds++;
	}
	if (rounds % 64)
		writer_use_preallocated(&pending);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Memory-management threads.                                          */

static void *defragmenter(void *arg)
{
	unsigned long rounds = 0;

	(void)arg;
	while (!stopping()) {
		long pages = rounds % 2 ? xa_defrag_nodes(90)
					: kmem_cache_defrag(xa_node_cache(), 50);

		CHECK(pages >= 0, "defrag: %ld", pages);
		rounds++;
	}
	return NULL;
}

/*
 * Take every order-9 block the limit allows, hold them a moment, give them
 * back. While they are held, what is left is the nodes' chunk(s) with free
 * pages scattered between slabs: explicit compaction for orders 6..8 there
 * must move nodes. Allocation failures under the limit compact too.
 */
static void *compactor(void *arg)
{
	enum { HOLD = 8, ORDER = 9 };	/* 8 x 2 MiB is the whole limit */
	unsigned long rounds = 0;

	(void)arg;
	while (!stopping()) {
		void *blocks[HOLD];
		int held = 0;

		while (held < HOLD && (blocks[held] = uxa_alloc_pages(GFP_STRESS, ORDER))) {
			memset(blocks[held], 0x5a, UXA_PAGE_SIZE);
			held++;
		}
		if (rounds % 4 == 1) {
			struct uxa_compact_stats st;

			uxa_page_compact(ORDER - 1 - rounds % 3, &st);
		}
		sched_yield();
		while (held)
			uxa_free_pages(blocks[--held], ORDER);
		rounds++;
	}
	return NULL;
}

/* Arrays whose struct xarray is freed the moment they are empty. */
static void *destroyer(void *arg)
{
	unsigned long rnd = 0x853c49e6748fea9bUL, rounds = 0;

	(void)arg;
	while (!stopping()) {
		struct xarray *xa = malloc(sizeof(*xa));
		unsigned long base = next_random(&rnd) % (1UL << 30);
		unsigned long n = 512 + next_random(&rnd) % 2048;

		if (!xa)
			abort();
		xa_init(xa);
		for (unsigned long i = 0; i < n; i++)
			xa_store(xa, base + i * 3, single_value(base + i * 3), GFP_STRESS);
		if (rounds % 2) {
			xa_destroy(xa);
		} else {
			for (unsigned long i = 0; i < n; i++)
				xa_erase(xa, base + i * 3);
			CHECK(xa_empty(xa), "array not empty after erasing everything");
		}
		/* Poison it: a migrator still touching it would be caught. */
		memset(xa, 0x6b, sizeof(*xa));
		free(xa);
		rounds++;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Setup and final checks.                                             */

static void fill_stable(void)
{
	for (unsigned long i = 0; i < NR_STABLE; i += STRIDE) {
		if (xa_is_err(xa_store(&main_array, i, single_value(i), GFP_STRESS)))
			abort();
		xa_set_mark(&main_array, i, XA_MARK_0);
	}
}

static unsigned long node_objects_in_use(void)
{
	struct kmem_cache_stats st;

	uxa_rcu_barrier();	/* retired nodes reach the slab */
	if (kmem_cache_get_stats(xa_node_cache(), &st))
		abort();
	return st.objects_in_use;
}

static double stress_seconds(void)
{
	const char *env = getenv("UXA_STRESS_SECONDS");

	return env ? atof(env) : 4.0;
}

int main(void)
{
	pthread_t readers[NR_READERS], others[4];
	void *(*roles[4])(void *) = { writer, defragmenter, compactor, destroyer };
	struct timespec nap;
	double seconds = stress_seconds();
	unsigned long live_nodes;
	struct xa_migration_stats ms;
	struct uxa_page_stats ps;

	/* A limit a few times the working set: high-order requests compact. */
	if (uxa_page_set_limit(16UL << 20))
		abort();
	fill_stable();
	for (int i = 0; i < NR_READERS; i++)
		pthread_create(&readers[i], NULL, reader, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 4; i++)
		pthread_create(&others[i], NULL, roles[i], NULL);

	nap.tv_sec = (time_t)seconds;
	nap.tv_nsec = (long)((seconds - (double)nap.tv_sec) * 1e9);
	nanosleep(&nap, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_READERS; i++)
		pthread_join(readers[i], NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(others[i], NULL);

	CHECK(xa_check(&main_array) == 0, "main array fails xa_check");
	CHECK(xa_check(&id_array) == 0, "id array fails xa_check");
	live_nodes = xa_tree_count_nodes(main_array.xa_head) + xa_tree_count_nodes(id_array.xa_head);
	CHECK(node_objects_in_use() == live_nodes, "node objects in use %lu != live nodes %lu",
	      node_objects_in_use(), live_nodes);
	xa_migration_get_stats(&ms);
	uxa_page_get_stats(&ps);
	printf("stress_xa: %.1fs, %lu live nodes, %lu nodes moved in %lu lock holds, "
	       "%lu slabs refused; %lu of %lu compactions succeeded, %lu pages moved\n",
	       seconds, live_nodes, ms.nodes_moved, ms.lock_holds, ms.slabs_refused,
	       ps.compactions_succeeded, ps.compactions, ps.compact_pages_moved);

	xa_destroy(&main_array);
	xa_destroy(&id_array);
	CHECK(node_objects_in_use() == 0, "%lu nodes leaked", node_objects_in_use());
	if (failures) {
		fprintf(stderr, "stress_xa: %lu failed checks\n", failures);
		return 1;
	}
	return 0;
}
