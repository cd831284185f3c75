/* SPDX-License-Identifier: MIT */
/*
 * xa_bench.c - uxa's XArray beside its peers, as ratios.
 *
 * Structures, all mapping unsigned long keys to word values:
 *
 *   uxa      the XArray (normal API; xas_for_each() under uxa_rcu_read_lock())
 *   bare     a 64-ary radix tree written here with no locking, no RCU, no
 *            marks, no node freeing: the speed limit for this shape
 *   JudyL    libJudy's word-to-word array (single-threaded; behind a
 *            pthread rwlock in the concurrent test)
 *   cds_lfht liburcu's lock-free resizable hash table, urcu-memb flavor
 *            (the flavor uxa uses), presized to the key count
 *
 * Key sets: dense (0..N-1, inserted in ascending order), clustered (runs of
 * consecutive IDs separated by random gaps, ascending), and random 64-bit
 * keys (inserted in generation order). Every structure sees the same keys in
 * the same order. Random lookups use one shuffled order, sequential lookups
 * ascending order, erase the shuffled order.
 *
 * Measured per structure and key set: insert, random and sequential lookup
 * (ns per operation, best of several passes), iteration (ns per entry; for
 * uxa both xa_for_each() and xas_for_each()), erase, and bytes per entry:
 * uxa's node-cache pages (kmem_cache_get_stats(xa_node_cache())), JudyL's
 * JudyLMemUsed(), the bare tree's node bytes, and for cds_lfht the growth of
 * malloc's in-use bytes (mallinfo2), since its nodes come from malloc.
 *
 * Concurrent test (dense keys): 1 and 2 reader threads doing random lookups
 * while one writer overwrites random existing keys. The bare tree is read
 * and written without synchronisation: the writer only replaces leaf words
 * (relaxed atomic stores, never creating or freeing a node), readers use
 * relaxed loads. That is safe only because nothing is freed; it is the
 * ceiling, not a usable design.
 *
 * Goals (on 1M dense keys) are printed with PASS/MISS; never asserted.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <uxa/rcu.h>
#include <uxa/slab.h>
#include <uxa/xarray.h>

/* The build says whether each peer was found (benchmarks/meson.build). */
#ifndef HAVE_JUDY
#define HAVE_JUDY 0
#endif
#ifndef HAVE_LFHT
#define HAVE_LFHT 0
#endif

#if HAVE_JUDY
#include <Judy.h>
#endif

/* uxa's flavor; the diagnostics below take its read lock inline. */
#include <urcu/urcu-memb.h>

#if HAVE_LFHT
#include <urcu/rculfhash.h>
#endif

#include "bench_common.h"

static const char usage[] =
	"usage: xa_bench [--quick]\n"
	"  Compares uxa's XArray with a bare radix tree, JudyL and cds_lfht.\n"
	"  --quick  small key sets and short concurrent runs (seconds)\n";

/* ------------------------------------------------------------------ */
/* Key sets.                                                           */

/* Timed repetitions of lookups and iteration; the best counts. */
static unsigned int passes = 3;

struct keyset {
	const char *name;
	size_t n;
	unsigned long *insert_order;	/* value of insert_order[i] is i + 1 */
	unsigned long *random_order;	/* the same keys, shuffled */
	unsigned long *sorted;		/* the same keys, ascending */
	unsigned int passes;		/* timed repetitions of lookups and iteration */
	bool dense;			/* 0..n-1: the goals' shape */
	bool bare_ok;			/* the bare tree can hold it in reasonable memory */
};

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void keyset_finish(struct keyset *ks, struct bench_rng *rng)
{
	size_t bytes = ks->n * sizeof(unsigned long);

	ks->random_order = bench_xmalloc(bytes);
	ks->sorted = bench_xmalloc(bytes);
	memcpy(ks->random_order, ks->insert_order, bytes);
	memcpy(ks->sorted, ks->insert_order, bytes);
	bench_shuffle(ks->random_order, ks->n, rng);
	qsort(ks->sorted, ks->n, sizeof(unsigned long), cmp_ulong);
}

static void keyset_dense(struct keyset *ks, const char *name, size_t n, struct bench_rng *rng)
{
	ks->name = name;
	ks->n = n;
	ks->passes = passes;
	ks->dense = true;
	ks->bare_ok = true;
	ks->insert_order = bench_xmalloc(n * sizeof(unsigned long));
	for (size_t i = 0; i < n; i++)
		ks->insert_order[i] = i;
	keyset_finish(ks, rng);
}

/* Runs of 1..512 consecutive IDs, each run starting 1..64Ki after the last. */
static void keyset_clustered(struct keyset *ks, const char *name, size_t n,
			     struct bench_rng *rng)
{
	unsigned long key = 0;
	size_t i = 0;

	ks->name = name;
	ks->n = n;
	ks->passes = passes;
	ks->bare_ok = true;
	ks->insert_order = bench_xmalloc(n * sizeof(unsigned long));
	while (i < n) {
		size_t run = 1 + (size_t)bench_rng_below(rng, 512);

		key += 1 + bench_rng_below(rng, 1UL << 16);
		for (size_t j = 0; j < run && i < n; j++)
			ks->insert_order[i++] = key++;
	}
	keyset_finish(ks, rng);
}

/* Uniform 64-bit keys: each key needs its own chain of ~7 radix nodes. */
static void keyset_random(struct keyset *ks, const char *name, size_t n, struct bench_rng *rng)
{
	ks->name = name;
	ks->n = n;
	ks->passes = 1;		/* microseconds per key: one pass says enough */
	ks->bare_ok = false;
	ks->insert_order = bench_xmalloc(n * sizeof(unsigned long));
	for (size_t i = 0; i < n; i++)
		ks->insert_order[i] = bench_rng_next(rng);
	keyset_finish(ks, rng);
}

static void keyset_free(struct keyset *ks)
{
	free(ks->insert_order);
	free(ks->random_order);
	free(ks->sorted);
}

/*
 * uxa registers a thread with urcu-memb on its first read-side call and
 * unregisters it at exit; registering it a second time by hand would
 * corrupt liburcu's registry. So threads that call liburcu directly (for
 * cds_lfht, and the diagnostics) register through uxa once, then use
 * liburcu's inlined read-side calls.
 */
static void rcu_register_thread(void)
{
	uxa_rcu_read_lock();
	uxa_rcu_read_unlock();
}

/* ------------------------------------------------------------------ */
/* uxa.                                                                */

static size_t uxa_cache_bytes(void)
{
	struct kmem_cache_stats st;

	kmem_cache_get_stats(xa_node_cache(), &st);
	return st.bytes_held;
}

static struct xarray *uxa_new(size_t n)
{
	struct xarray *xa = bench_xmalloc(sizeof(*xa));

	(void)n;
	xa_init(xa);
	return xa;
}

static inline void uxa_insert(struct xarray *xa, unsigned long key, unsigned long val)
{
	void *old = xa_store(xa, key, xa_mk_value(val), GFP_KERNEL);

	if (xa_is_err(old)) {
		fprintf(stderr, "xa_bench: xa_store failed (%d)\n", xa_err(old));
		exit(1);
	}
}

static inline unsigned long uxa_lookup(struct xarray *xa, unsigned long key)
{
	void *entry = xa_load(xa, key);

	return entry ? xa_to_value(entry) : 0;
}

static unsigned long uxa_iterate(struct xarray *xa, size_t *count)
{
	unsigned long index, sum = 0;
	size_t nr = 0;
	void *entry;

	xa_for_each(xa, index, entry) {
		sum += xa_to_value(entry);
		nr++;
	}
	*count = nr;
	return sum;
}

/* The O(n) walk: one xa_state for the whole array, under the RCU read lock. */
static unsigned long uxa_iterate_xas(struct xarray *xa, size_t *count)
{
	XA_STATE(xas, xa, 0);
	unsigned long sum = 0;
	size_t nr = 0;
	void *entry;

	uxa_rcu_read_lock();
	xas_for_each(&xas, entry, ULONG_MAX) {
		if (xas_retry(&xas, entry))
			continue;
		sum += xa_to_value(entry);
		nr++;
	}
	uxa_rcu_read_unlock();
	*count = nr;
	return sum;
}

static inline void uxa_erase(struct xarray *xa, unsigned long key)
{
	xa_erase(xa, key);
}

static size_t uxa_footprint(struct xarray *xa)
{
	(void)xa;
	return uxa_cache_bytes();
}

static void uxa_destroy(struct xarray *xa)
{
	xa_destroy(xa);
	free(xa);
	/* Freed nodes go back to the cache after a grace period; then let the
	 * cache return its empty slabs, so the next footprint starts clean. */
	uxa_rcu_barrier();
	kmem_cache_shrink(xa_node_cache());
}

/* ------------------------------------------------------------------ */
/* The bare radix tree: 64 slots per node, leaves hold the value word. */

#define BARE_SHIFT	6
#define BARE_SLOTS	(1UL << BARE_SHIFT)
#define BARE_MASK	(BARE_SLOTS - 1)

struct bare_node {
	void *slot[BARE_SLOTS];
};

struct bare_tree {
	struct bare_node *top;
	unsigned int shift;	/* of the top node; leaves have shift 0 */
	size_t nodes;
};

static struct bare_node *bare_node_new(struct bare_tree *t)
{
	struct bare_node *node = aligned_alloc(64, sizeof(*node));

	if (!node) {
		fprintf(stderr, "xa_bench: out of memory (bare tree)\n");
		exit(1);
	}
	memset(node, 0, sizeof(*node));
	t->nodes++;
	return node;
}

static struct bare_tree *bare_new(size_t n)
{
	struct bare_tree *t = bench_xmalloc(sizeof(*t));

	(void)n;
	memset(t, 0, sizeof(*t));
	return t;
}

static void bare_insert(struct bare_tree *t, unsigned long key, unsigned long val)
{
	struct bare_node *node;
	unsigned int shift;

	if (!t->top)
		t->top = bare_node_new(t);
	while (t->shift < 60 && (key >> t->shift) > BARE_MASK) {
		struct bare_node *up = bare_node_new(t);

		up->slot[0] = t->top;
		t->top = up;
		t->shift += BARE_SHIFT;
	}
	node = t->top;
	for (shift = t->shift; shift; shift -= BARE_SHIFT) {
		void **slot = &node->slot[(key >> shift) & BARE_MASK];

		if (!*slot)
			*slot = bare_node_new(t);
		node = *slot;
	}
	/* Relaxed: the concurrent test's readers load this word (see the top). */
	__atomic_store_n(&node->slot[key & BARE_MASK], (void *)val, __ATOMIC_RELAXED);
}

static inline unsigned long bare_lookup(struct bare_tree *t, unsigned long key)
{
	struct bare_node *node = t->top;
	unsigned int shift = t->shift;

	if (!node || (shift < 60 && (key >> shift) > BARE_MASK))
		return 0;
	for (;;) {
		void *entry = __atomic_load_n(&node->slot[(key >> shift) & BARE_MASK],
					      __ATOMIC_RELAXED);

		if (!shift || !entry)
			return (unsigned long)entry;
		node = entry;
		shift -= BARE_SHIFT;
	}
}

static unsigned long bare_walk(struct bare_node *node, unsigned int shift, size_t *count)
{
	unsigned long sum = 0;

	for (unsigned int i = 0; i < BARE_SLOTS; i++) {
		void *entry = node->slot[i];

		if (!entry)
			continue;
		if (shift) {
			sum += bare_walk(entry, shift - BARE_SHIFT, count);
		} else {
			sum += (unsigned long)entry;
			(*count)++;
		}
	}
	return sum;
}

static unsigned long bare_iterate(struct bare_tree *t, size_t *count)
{
	*count = 0;
	return t->top ? bare_walk(t->top, t->shift, count) : 0;
}

/* Clears the leaf word only: the bare tree never frees nodes before the end. */
static inline void bare_erase(struct bare_tree *t, unsigned long key)
{
	struct bare_node *node = t->top;
	unsigned int shift = t->shift;

	if (!node || (shift < 60 && (key >> shift) > BARE_MASK))
		return;
	for (; shift; shift -= BARE_SHIFT) {
		node = node->slot[(key >> shift) & BARE_MASK];
		if (!node)
			return;
	}
	node->slot[key & BARE_MASK] = NULL;
}

static size_t bare_footprint(struct bare_tree *t)
{
	return t ? t->nodes * sizeof(struct bare_node) : 0;
}

static void bare_free_node(struct bare_node *node, unsigned int shift)
{
	if (shift)
		for (unsigned int i = 0; i < BARE_SLOTS; i++)
			if (node->slot[i])
				bare_free_node(node->slot[i], shift - BARE_SHIFT);
	free(node);
}

static void bare_destroy(struct bare_tree *t)
{
	if (t->top)
		bare_free_node(t->top, t->shift);
	free(t);
}

/* ------------------------------------------------------------------ */
/* JudyL.                                                              */

#if HAVE_JUDY
struct judy {
	Pvoid_t array;
	pthread_rwlock_t lock;	/* concurrent test only: readers vs the writer */
};

static struct judy *judy_new(size_t n)
{
	struct judy *j = bench_xmalloc(sizeof(*j));

	(void)n;
	j->array = NULL;
	pthread_rwlock_init(&j->lock, NULL);
	return j;
}

static inline void judy_insert(struct judy *j, unsigned long key, unsigned long val)
{
	PWord_t pv;

	JLI(pv, j->array, key);
	if (pv == PJERR) {
		fprintf(stderr, "xa_bench: JudyLIns failed\n");
		exit(1);
	}
	*pv = val;
}

static inline unsigned long judy_lookup(struct judy *j, unsigned long key)
{
	PWord_t pv;

	JLG(pv, j->array, key);
	return pv ? *pv : 0;
}

static unsigned long judy_iterate(struct judy *j, size_t *count)
{
	unsigned long sum = 0;
	Word_t index = 0;
	size_t nr = 0;
	PWord_t pv;

	JLF(pv, j->array, index);
	while (pv) {
		sum += *pv;
		nr++;
		JLN(pv, j->array, index);
	}
	*count = nr;
	return sum;
}

static inline void judy_erase(struct judy *j, unsigned long key)
{
	int rc;

	JLD(rc, j->array, key);
	(void)rc;
}

static size_t judy_footprint(struct judy *j)
{
	return j ? JudyLMemUsed(j->array) : 0;
}

static void judy_destroy(struct judy *j)
{
	JudyLFreeArray(&j->array, PJE0);
	pthread_rwlock_destroy(&j->lock);
	free(j);
}
#endif /* HAVE_JUDY */

/* ------------------------------------------------------------------ */
/* cds_lfht (urcu-memb; threads register through uxa_rcu_read_lock()). */

#if HAVE_LFHT
struct lfht_item {
	struct cds_lfht_node node;
	unsigned long key;
	unsigned long value;
	struct rcu_head rcu;
};

struct lfht {
	struct cds_lfht *ht;
};

static inline unsigned long lfht_hash(unsigned long key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	key *= 0xc4ceb9fe1a85ec53ull;
	return key ^ (key >> 33);
}

static int lfht_match(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct lfht_item, node)->key == *(const unsigned long *)key;
}

static struct lfht *lfht_new(size_t n)
{
	struct lfht *h = bench_xmalloc(sizeof(*h));
	unsigned long size = 1;

	while (size < n)
		size <<= 1;
	rcu_register_thread();
	h->ht = cds_lfht_new_flavor(size, size, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				    &urcu_memb_flavor, NULL);
	if (!h->ht) {
		fprintf(stderr, "xa_bench: cds_lfht_new failed\n");
		exit(1);
	}
	return h;
}

static inline void lfht_insert(struct lfht *h, unsigned long key, unsigned long val)
{
	struct lfht_item *item = bench_xmalloc(sizeof(*item));
	struct cds_lfht_node *old;

	cds_lfht_node_init(&item->node);
	item->key = key;
	item->value = val;
	urcu_memb_read_lock();
	old = cds_lfht_add_unique(h->ht, lfht_hash(key), lfht_match, &key, &item->node);
	urcu_memb_read_unlock();
	if (old != &item->node)	/* duplicate key: keep the map semantics */
		free(item);
}

static inline unsigned long lfht_lookup(struct lfht *h, unsigned long key)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	unsigned long val = 0;

	urcu_memb_read_lock();
	cds_lfht_lookup(h->ht, lfht_hash(key), lfht_match, &key, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (node)
		val = __atomic_load_n(&caa_container_of(node, struct lfht_item, node)->value,
				      __ATOMIC_RELAXED);
	urcu_memb_read_unlock();
	return val;
}

static unsigned long lfht_iterate(struct lfht *h, size_t *count)
{
	struct cds_lfht_iter iter;
	struct lfht_item *item;
	unsigned long sum = 0;
	size_t nr = 0;

	urcu_memb_read_lock();
	cds_lfht_for_each_entry(h->ht, &iter, item, node) {
		sum += item->value;
		nr++;
	}
	urcu_memb_read_unlock();
	*count = nr;
	return sum;
}

static void lfht_free_item(struct rcu_head *head)
{
	free(caa_container_of(head, struct lfht_item, rcu));
}

static inline void lfht_erase(struct lfht *h, unsigned long key)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	urcu_memb_read_lock();
	cds_lfht_lookup(h->ht, lfht_hash(key), lfht_match, &key, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (node && !cds_lfht_del(h->ht, node))
		urcu_memb_call_rcu(&caa_container_of(node, struct lfht_item, node)->rcu,
				   lfht_free_item);
	urcu_memb_read_unlock();
}

/* malloc's bytes in use: cds_lfht's nodes and bucket tables come from malloc. */
static size_t lfht_footprint(struct lfht *h)
{
	struct mallinfo2 mi = mallinfo2();

	(void)h;
	return mi.uordblks + mi.hblkhd;
}

static void lfht_destroy(struct lfht *h)
{
	struct cds_lfht_iter iter;
	struct lfht_item *item;

	urcu_memb_read_lock();
	cds_lfht_for_each_entry(h->ht, &iter, item, node)
		if (!cds_lfht_del(h->ht, &item->node))
			urcu_memb_call_rcu(&item->rcu, lfht_free_item);
	urcu_memb_read_unlock();
	urcu_memb_barrier();
	cds_lfht_destroy(h->ht, NULL);
	free(h);
}
#endif /* HAVE_LFHT */

/* ------------------------------------------------------------------ */
/* Single-threaded runs.                                               */

enum op {
	OP_INSERT,
	OP_RLOOKUP,
	OP_SLOOKUP,
	OP_ITER,	/* xa_for_each for uxa; the peer's only iteration */
	OP_ITER_XAS,	/* xas_for_each for uxa; the peer's only iteration */
	OP_ERASE,
	OP_BYTES,	/* bytes per entry */
	NR_OPS
};

static const char *const op_name[NR_OPS] = {
	[OP_INSERT] = "insert (ns/op)",
	[OP_RLOOKUP] = "random lookup (ns/op)",
	[OP_SLOOKUP] = "seq. lookup (ns/op)",
	[OP_ITER] = "xa_for_each (ns/entry)",
	[OP_ITER_XAS] = "xas_for_each (ns/entry)",
	[OP_ERASE] = "erase (ns/op)",
	[OP_BYTES] = "bytes/entry",
};

enum impl { IMPL_UXA, IMPL_BARE, IMPL_JUDY, IMPL_LFHT, NR_IMPLS };

/* results[keyset][impl][op]; NaN = not measured. */
#define MAX_KEYSETS 4
static double results[MAX_KEYSETS][NR_IMPLS][NR_OPS];


static void check_sum(const char *impl, const struct keyset *ks, const char *what,
		      unsigned long sum, size_t count)
{
	unsigned long want = (unsigned long)ks->n * (ks->n + 1) / 2;

	if (sum != want || count != ks->n) {
		fprintf(stderr, "xa_bench: %s on %s: %s returned sum %lu count %zu, want %lu %zu\n",
			impl, ks->name, what, sum, count, want, ks->n);
		exit(1);
	}
}

/*
 * One macro, expanded per structure, so that every timing loop calls the
 * structure's operations directly (an indirect call per lookup would cost
 * more than the bare tree's whole walk). It defines three steps:
 *
 *   S_build()     create and fill the structure (timed), measure its bytes
 *   S_pass()      one timed pass of lookups and iterations (best kept; a
 *                 peer's one iteration is timed once and shown on both rows)
 *   S_teardown()  erase every key (timed) and destroy
 *
 * run_keyset() builds every structure, then interleaves their passes, so
 * all of them see the same background load on a shared machine.
 */
#define DEFINE_RUN(S, TYPE, ITER2, HAS_ITER2)					\
static void *S##_build(const struct keyset *ks, double *r)			\
{										\
	size_t fp0 = S##_footprint(NULL);					\
	TYPE h = S##_new(ks->n);						\
	uint64_t t0;								\
										\
	t0 = bench_now_ns();							\
	for (size_t i = 0; i < ks->n; i++)					\
		S##_insert(h, ks->insert_order[i], i + 1);			\
	r[OP_INSERT] = (double)bench_elapsed_ns(t0) / (double)ks->n;		\
	r[OP_BYTES] = (double)(S##_footprint(h) - fp0) / (double)ks->n;	\
	r[OP_RLOOKUP] = r[OP_SLOOKUP] = r[OP_ITER] = r[OP_ITER_XAS] = INFINITY;	\
	return h;								\
}										\
										\
static void S##_pass(void *handle, const struct keyset *ks, double *r)		\
{										\
	TYPE h = handle;							\
	unsigned long sum = 0;							\
	size_t count = 0;							\
	uint64_t t0;								\
	double ns;								\
										\
	t0 = bench_now_ns();							\
	for (size_t i = 0; i < ks->n; i++)					\
		sum += S##_lookup(h, ks->random_order[i]);			\
	ns = (double)bench_elapsed_ns(t0) / (double)ks->n;			\
	check_sum(#S, ks, "random lookup", sum, ks->n);				\
	r[OP_RLOOKUP] = fmin(r[OP_RLOOKUP], ns);				\
										\
	sum = 0;								\
	t0 = bench_now_ns();							\
	for (size_t i = 0; i < ks->n; i++)					\
		sum += S##_lookup(h, ks->sorted[i]);				\
	ns = (double)bench_elapsed_ns(t0) / (double)ks->n;			\
	check_sum(#S, ks, "sequential lookup", sum, ks->n);			\
	r[OP_SLOOKUP] = fmin(r[OP_SLOOKUP], ns);				\
										\
	t0 = bench_now_ns();							\
	sum = S##_iterate(h, &count);						\
	ns = (double)bench_elapsed_ns(t0) / (double)ks->n;			\
	check_sum(#S, ks, "iteration", sum, count);				\
	r[OP_ITER] = fmin(r[OP_ITER], ns);					\
										\
	if (!(HAS_ITER2)) {	/* a peer's one iteration: both rows */	\
		r[OP_ITER_XAS] = r[OP_ITER];					\
		return;								\
	}									\
	t0 = bench_now_ns();							\
	sum = ITER2(h, &count);							\
	ns = (double)bench_elapsed_ns(t0) / (double)ks->n;			\
	check_sum(#S, ks, "xas iteration", sum, count);				\
	r[OP_ITER_XAS] = fmin(r[OP_ITER_XAS], ns);				\
}										\
										\
static void S##_teardown(void *handle, const struct keyset *ks, double *r)	\
{										\
	TYPE h = handle;							\
	uint64_t t0 = bench_now_ns();						\
										\
	for (size_t i = 0; i < ks->n; i++)					\
		S##_erase(h, ks->random_order[i]);				\
	r[OP_ERASE] = (double)bench_elapsed_ns(t0) / (double)ks->n;		\
	if (S##_lookup(h, ks->random_order[0]))					\
		fprintf(stderr, "xa_bench: %s: entry still present after erase\n", #S); \
	S##_destroy(h);								\
}

DEFINE_RUN(uxa, struct xarray *, uxa_iterate_xas, true)
DEFINE_RUN(bare, struct bare_tree *, bare_iterate, false)
#if HAVE_JUDY
DEFINE_RUN(judy, struct judy *, judy_iterate, false)
#endif
#if HAVE_LFHT
DEFINE_RUN(lfht, struct lfht *, lfht_iterate, false)
#endif

static const struct runner {
	enum impl impl;
	void *(*build)(const struct keyset *ks, double *r);
	void (*pass)(void *h, const struct keyset *ks, double *r);
	void (*teardown)(void *h, const struct keyset *ks, double *r);
} runners[] = {
	{ IMPL_UXA, uxa_build, uxa_pass, uxa_teardown },
	{ IMPL_BARE, bare_build, bare_pass, bare_teardown },
#if HAVE_JUDY
	{ IMPL_JUDY, judy_build, judy_pass, judy_teardown },
#endif
#if HAVE_LFHT
	{ IMPL_LFHT, lfht_build, lfht_pass, lfht_teardown },
#endif
};
#define NR_RUNNERS (sizeof(runners) / sizeof(runners[0]))

static void run_keyset(unsigned int k, const struct keyset *ks)
{
	void *h[NR_RUNNERS] = { NULL };

	for (unsigned int i = 0; i < NR_IMPLS; i++)
		for (unsigned int o = 0; o < NR_OPS; o++)
			results[k][i][o] = NAN;
	fprintf(stderr, "xa_bench: %s ...\n", ks->name);
	for (unsigned int i = 0; i < NR_RUNNERS; i++)
		if (runners[i].impl != IMPL_BARE || ks->bare_ok)
			h[i] = runners[i].build(ks, results[k][runners[i].impl]);
	for (unsigned int p = 0; p < ks->passes; p++)
		for (unsigned int i = 0; i < NR_RUNNERS; i++)
			if (h[i])
				runners[i].pass(h[i], ks, results[k][runners[i].impl]);
	for (unsigned int i = 0; i < NR_RUNNERS; i++)
		if (h[i])
			runners[i].teardown(h[i], ks, results[k][runners[i].impl]);
}

/* "12.3" or "n/a". */
static void cell_value(struct bench_table *t, double v)
{
	if (isnan(v))
		bench_table_cell(t, "n/a");
	else if (v < 100)
		bench_table_cell(t, "%.1f", v);
	else
		bench_table_cell(t, "%.0f", v);
}

static void cell_ratio(struct bench_table *t, double uxa, double peer)
{
	if (isnan(uxa) || isnan(peer) || peer <= 0)
		bench_table_cell(t, "n/a");
	else
		bench_table_cell(t, "%.2fx", uxa / peer);
}

static void print_keyset(unsigned int k, const struct keyset *ks)
{
	char title[128];
	struct bench_table *t;

	snprintf(title, sizeof(title),
		 "%s: %zu keys, best of %u (time per op; ratio = uxa / peer, < 1 means uxa is faster or smaller)",
		 ks->name, ks->n, ks->passes);
	t = bench_table_new(title, "operation", "uxa", "bare", "JudyL", "cds_lfht",
			    "uxa/bare", "uxa/JudyL", "uxa/lfht", (const char *)NULL);
	for (unsigned int o = 0; o < NR_OPS; o++) {
		double *u = &results[k][IMPL_UXA][o];

		bench_table_row(t, op_name[o]);
		for (unsigned int i = 0; i < NR_IMPLS; i++)
			cell_value(t, results[k][i][o]);
		for (unsigned int i = IMPL_BARE; i < NR_IMPLS; i++)
			cell_ratio(t, *u, results[k][i][o]);
	}
	t->note = "peers have one iteration: their number appears on both iteration rows;"
		  " bare erase only clears leaf words; bytes: uxa node-cache pages, JudyL"
		  " JudyLMemUsed, bare node bytes, cds_lfht malloc in-use growth";
	bench_table_print(t, stdout);
}

/* ------------------------------------------------------------------ */
/* Concurrent: readers doing random lookups while one writer stores.   */

struct conc {
	void *h;
	const unsigned long *keys;	/* shuffled dense keys */
	size_t n;
	atomic_bool go, stop;
	atomic_uint ready;
};

struct conc_thread {
	struct conc *c;
	pthread_t tid;
	size_t start;			/* where in the key order this thread begins */
	uint64_t ops, ns;
};

/* Spin until every thread is ready and the main thread says go. */
static uint64_t conc_start(struct conc *c)
{
	atomic_fetch_add(&c->ready, 1);
	while (!atomic_load_explicit(&c->go, memory_order_acquire))
		;
	return bench_now_ns();
}

/*
 * Reader and writer loops for one structure whose handle has type TYPE:
 * LOOKUP(h, key) returns the value, STORE(h, key, val) overwrites an
 * existing key. Lookups go in batches of 256 between looks at the stop flag.
 */
#define DEFINE_CONC(S, TYPE, LOOKUP, STORE)					\
static void *S##_reader(void *arg)						\
{										\
	struct conc_thread *th = arg;						\
	struct conc *c = th->c;							\
	TYPE h = c->h;								\
	size_t i = th->start, n = c->n;						\
	unsigned long sum = 0;							\
	uint64_t ops = 0, t0;							\
										\
	S##_thread_init();							\
	t0 = conc_start(c);							\
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {		\
		for (unsigned int b = 0; b < 256; b++) {			\
			sum += LOOKUP(h, c->keys[i]);				\
			if (++i == n)						\
				i = 0;						\
		}								\
		ops += 256;							\
	}									\
	th->ns = bench_elapsed_ns(t0);						\
	th->ops = ops;								\
	bench_keep(sum);							\
	return NULL;								\
}										\
										\
static void *S##_writer(void *arg)						\
{										\
	struct conc_thread *th = arg;						\
	struct conc *c = th->c;							\
	TYPE h = c->h;								\
	size_t i = th->start, n = c->n;						\
	uint64_t ops = 0, t0;							\
										\
	S##_thread_init();							\
	t0 = conc_start(c);							\
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {		\
		for (unsigned int b = 0; b < 64; b++) {				\
			STORE(h, c->keys[i], ops + b + 1);			\
			if (++i == n)						\
				i = 0;						\
		}								\
		ops += 64;							\
	}									\
	th->ns = bench_elapsed_ns(t0);						\
	th->ops = ops;								\
	return NULL;								\
}

static void uxa_thread_init(void)
{
}

static void bare_thread_init(void)
{
}

DEFINE_CONC(uxa, struct xarray *, uxa_lookup, uxa_insert)
DEFINE_CONC(bare, struct bare_tree *, bare_lookup, bare_insert)

#if HAVE_JUDY
static void judy_thread_init(void)
{
}

static inline unsigned long judy_locked_lookup(struct judy *j, unsigned long key)
{
	unsigned long val;

	pthread_rwlock_rdlock(&j->lock);
	val = judy_lookup(j, key);
	pthread_rwlock_unlock(&j->lock);
	return val;
}

static inline void judy_locked_store(struct judy *j, unsigned long key, unsigned long val)
{
	pthread_rwlock_wrlock(&j->lock);
	judy_insert(j, key, val);
	pthread_rwlock_unlock(&j->lock);
}

DEFINE_CONC(judy, struct judy *, judy_locked_lookup, judy_locked_store)
#endif

#if HAVE_LFHT
static void lfht_thread_init(void)
{
	rcu_register_thread();
}

/* Replace the key's item by a new one; the old one is freed after a grace period. */
static inline void lfht_replace(struct lfht *h, unsigned long key, unsigned long val)
{
	struct lfht_item *item = bench_xmalloc(sizeof(*item));
	struct cds_lfht_node *old;

	cds_lfht_node_init(&item->node);
	item->key = key;
	item->value = val;
	urcu_memb_read_lock();
	old = cds_lfht_add_replace(h->ht, lfht_hash(key), lfht_match, &key, &item->node);
	urcu_memb_read_unlock();
	if (old)
		urcu_memb_call_rcu(&caa_container_of(old, struct lfht_item, node)->rcu,
				   lfht_free_item);
}

DEFINE_CONC(lfht, struct lfht *, lfht_lookup, lfht_replace)
#endif

struct conc_result {
	double reader_mops;	/* lookups per microsecond, per reader (mean) */
	double writer_mops;	/* stores per microsecond */
};

static struct conc_result conc_run(void *h, const struct keyset *ks, unsigned int readers,
				   double seconds, void *(*reader)(void *), void *(*writer)(void *))
{
	struct conc c = { .h = h, .keys = ks->random_order, .n = ks->n };
	struct conc_thread th[3];
	struct conc_result res = { 0, 0 };
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (double)(time_t)seconds) * 1e9) };

	for (unsigned int i = 0; i <= readers; i++) {
		th[i] = (struct conc_thread){ .c = &c, .start = ks->n / (readers + 1) * i };
		if (pthread_create(&th[i].tid, NULL, i ? reader : writer, &th[i])) {
			fprintf(stderr, "xa_bench: pthread_create failed\n");
			exit(1);
		}
	}
	while (atomic_load(&c.ready) < readers + 1)
		sched_yield();
	atomic_store_explicit(&c.go, true, memory_order_release);
	nanosleep(&ts, NULL);
	atomic_store_explicit(&c.stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i <= readers; i++)
		pthread_join(th[i].tid, NULL);
	for (unsigned int i = 1; i <= readers; i++)
		res.reader_mops += (double)th[i].ops / ((double)th[i].ns / 1e3) / readers;
	res.writer_mops = (double)th[0].ops / ((double)th[0].ns / 1e3);
	return res;
}

/* Runs per configuration; the run with the best reader rate counts. */
static unsigned int conc_reps = 3;

/* One structure in the concurrent test. */
struct contender {
	void *h;
	void *(*reader)(void *);
	void *(*writer)(void *);
	struct conc_result best[2];	/* by number of readers - 1 */
};

/*
 * Run every contender in turn, repetition after repetition, so that all
 * see the same background load; each keeps its best run per reader count.
 */
static void conc_interleaved(struct contender *c, unsigned int nr, const struct keyset *ks,
			     unsigned int max_readers, double seconds)
{
	for (unsigned int i = 0; i < nr; i++)
		for (unsigned int r = 0; r < max_readers; r++)
			c[i].best[r] = (struct conc_result){ 0, 0 };
	for (unsigned int rep = 0; rep < conc_reps; rep++) {
		for (unsigned int r = 1; r <= max_readers; r++) {
			for (unsigned int i = 0; i < nr; i++) {
				struct conc_result res = conc_run(c[i].h, ks, r, seconds,
								  c[i].reader, c[i].writer);

				if (res.reader_mops > c[i].best[r - 1].reader_mops)
					c[i].best[r - 1] = res;
			}
		}
	}
}

static void run_concurrent(const struct keyset *ks, double seconds)
{
	struct conc_result res[NR_IMPLS][2];
	struct bench_table *t;
	char title[160];

	memset(res, 0, sizeof(res));
	for (unsigned int i = 0; i < NR_IMPLS; i++)
		for (unsigned int r = 0; r < 2; r++)
			res[i][r].reader_mops = res[i][r].writer_mops = NAN;
	fprintf(stderr, "xa_bench: concurrent ...\n");
	{
		struct xarray *xa = uxa_new(ks->n);
		struct bare_tree *b = bare_new(ks->n);
		struct contender c[NR_IMPLS];
		unsigned int impl[NR_IMPLS], nr = 0;
#if HAVE_JUDY
		struct judy *j = judy_new(ks->n);
#endif
#if HAVE_LFHT
		struct lfht *l = lfht_new(ks->n);
#endif

		for (size_t i = 0; i < ks->n; i++) {
			uxa_insert(xa, ks->insert_order[i], i + 1);
			bare_insert(b, ks->insert_order[i], i + 1);
#if HAVE_JUDY
			judy_insert(j, ks->insert_order[i], i + 1);
#endif
#if HAVE_LFHT
			lfht_insert(l, ks->insert_order[i], i + 1);
#endif
		}
		impl[nr] = IMPL_UXA;
		c[nr++] = (struct contender){ .h = xa, .reader = uxa_reader, .writer = uxa_writer };
		impl[nr] = IMPL_BARE;
		c[nr++] = (struct contender){ .h = b, .reader = bare_reader, .writer = bare_writer };
#if HAVE_JUDY
		impl[nr] = IMPL_JUDY;
		c[nr++] = (struct contender){ .h = j, .reader = judy_reader, .writer = judy_writer };
#endif
#if HAVE_LFHT
		impl[nr] = IMPL_LFHT;
		c[nr++] = (struct contender){ .h = l, .reader = lfht_reader, .writer = lfht_writer };
#endif
		conc_interleaved(c, nr, ks, 2, seconds);
		for (unsigned int i = 0; i < nr; i++)
			for (unsigned int r = 0; r < 2; r++)
				res[impl[i]][r] = c[i].best[r];
		uxa_destroy(xa);
		bare_destroy(b);
#if HAVE_JUDY
		judy_destroy(j);
#endif
#if HAVE_LFHT
		lfht_destroy(l);
#endif
	}

	snprintf(title, sizeof(title),
		 "concurrent: %zu dense keys, random lookups per reader while 1 writer overwrites"
		 " (M ops/s; ratio = uxa / peer, > 1 means uxa is faster)", ks->n);
	t = bench_table_new(title, "threads", "uxa", "bare", "JudyL+rwlock", "cds_lfht",
			    "uxa/bare", "uxa/JudyL", "uxa/lfht", (const char *)NULL);
	for (unsigned int r = 0; r < 2; r++) {
		char label[48];

		snprintf(label, sizeof(label), "%u reader%s: per reader", r + 1, r ? "s" : "");
		bench_table_row(t, label);
		for (unsigned int i = 0; i < NR_IMPLS; i++)
			cell_value(t, res[i][r].reader_mops);
		for (unsigned int i = IMPL_BARE; i < NR_IMPLS; i++)
			cell_ratio(t, res[IMPL_UXA][r].reader_mops, res[i][r].reader_mops);
		snprintf(label, sizeof(label), "%u reader%s: writer", r + 1, r ? "s" : "");
		bench_table_row(t, label);
		for (unsigned int i = 0; i < NR_IMPLS; i++)
			cell_value(t, res[i][r].writer_mops);
		for (unsigned int i = IMPL_BARE; i < NR_IMPLS; i++)
			cell_ratio(t, res[IMPL_UXA][r].writer_mops, res[i][r].writer_mops);
	}
	t->note = "bare: unsynchronised (relaxed word loads/stores, no node ever freed): a ceiling,"
		  " not a usable design. 2 readers + 1 writer share 2 cores.";
	bench_table_print(t, stdout);

	bench_goal("1 reader + writer: uxa / bare reader rate",
		   res[IMPL_UXA][0].reader_mops / res[IMPL_BARE][0].reader_mops, BENCH_AT_LEAST, 0.7);
	bench_goal("2 readers + writer: uxa / bare reader rate",
		   res[IMPL_UXA][1].reader_mops / res[IMPL_BARE][1].reader_mops, BENCH_AT_LEAST, 0.7);
}


/* ------------------------------------------------------------------ */
/* Where a lookup's time goes: the same lookups, one layer at a time.  */

/*
 * xa_load()'s walk inlined here over uxa's own nodes (the public struct
 * xa_node and entry encoding). For this diagnostic only: it handles no
 * sibling, retry or zero entry, which the dense trees here never hold.
 */
static inline unsigned long anat_walk(void *entry, unsigned long index)
{
	struct xa_node *node;
	unsigned int shift;

	if (!xa_is_node(entry))
		return 0;
	node = xa_to_node(entry);
	shift = node->shift;
	if ((index >> shift) > XA_CHUNK_MASK)
		return 0;
	for (;;) {
		/* Acquire, as in xa_load(): pairs with the writer's publication. */
		entry = __atomic_load_n(&node->slots[(index >> shift) & XA_CHUNK_MASK],
					__ATOMIC_ACQUIRE);
		if (!xa_is_node(entry))
			break;
		node = xa_to_node(entry);
		shift -= XA_CHUNK_SHIFT;
	}
	return entry ? xa_to_value(entry) : 0;
}

/* The inlined walk from xa_head, no RCU read lock. */
static inline unsigned long anat_norcu_lookup(struct xarray *xa, unsigned long key)
{
	return anat_walk(__atomic_load_n(&xa->xa_head, __ATOMIC_ACQUIRE), key);
}

/* The inlined walk from xa_head inside liburcu's inlined read lock. */
static inline unsigned long anat_head_lookup(struct xarray *xa, unsigned long key)
{
	unsigned long val;

	urcu_memb_read_lock();
	val = anat_walk(__atomic_load_n(&xa->xa_head, __ATOMIC_ACQUIRE), key);
	urcu_memb_read_unlock();
	return val;
}

/*
 * A copy of xa_head alone on its cache line. Valid while the writer only
 * overwrites values (the tree's shape, hence its top node, never changes):
 * it shows what the reader pays for sharing xa_head's line with xa_lock.
 */
static struct {
	_Alignas(128) void *head;
	char pad[120];
} anat_private;

static inline unsigned long anat_priv_lookup(struct xarray *xa, unsigned long key)
{
	unsigned long val;

	(void)xa;
	urcu_memb_read_lock();
	val = anat_walk(__atomic_load_n(&anat_private.head, __ATOMIC_RELAXED), key);
	urcu_memb_read_unlock();
	return val;
}

static void anat_head_thread_init(void)
{
	rcu_register_thread();
}

static void anat_priv_thread_init(void)
{
	rcu_register_thread();
}

DEFINE_CONC(anat_head, struct xarray *, anat_head_lookup, uxa_insert)
DEFINE_CONC(anat_priv, struct xarray *, anat_priv_lookup, uxa_insert)

/* One pass of random lookups with LOOKUP(h, key); keeps the best ns in @out. */
#define TIME_LOOKUPS(LOOKUP, h, ks, out)					\
	do {									\
		unsigned long sum = 0;						\
		uint64_t t0 = bench_now_ns();					\
										\
		for (size_t i = 0; i < (ks)->n; i++)				\
			sum += LOOKUP(h, (ks)->random_order[i]);		\
		(out) = fmin(out, (double)bench_elapsed_ns(t0) / (double)(ks)->n); \
		check_sum(#LOOKUP, ks, "random lookup", sum, (ks)->n);		\
	} while (0)

static void anat_row(struct bench_table *t, const char *label, double ns, double bare_ns)
{
	bench_table_row(t, label);
	bench_table_cell(t, "%.1f", ns);
	bench_table_cell(t, "%.2fx", ns / bare_ns);
}

static void run_anatomy(const struct keyset *ks, double seconds)
{
	struct xarray *xa = uxa_new(ks->n);
	struct bare_tree *b = bare_new(ks->n);
	double bare = INFINITY, norcu = INFINITY, rcu = INFINITY, load = INFINITY;
	double c_bare, c_priv, c_head, c_load;
	struct bench_table *t;

	fprintf(stderr, "xa_bench: lookup anatomy ...\n");
	for (size_t i = 0; i < ks->n; i++) {
		uxa_insert(xa, ks->insert_order[i], i + 1);
		bare_insert(b, ks->insert_order[i], i + 1);
	}
	rcu_register_thread();
	anat_private.head = xa->xa_head;

	/* Interleaved passes, so that every layer sees the same background load. */
	for (unsigned int p = 0; p < passes + 2; p++) {
		TIME_LOOKUPS(bare_lookup, b, ks, bare);
		TIME_LOOKUPS(anat_norcu_lookup, xa, ks, norcu);
		TIME_LOOKUPS(anat_head_lookup, xa, ks, rcu);
		TIME_LOOKUPS(uxa_lookup, xa, ks, load);
	}
	/* ns per lookup of one reader while the writer overwrites. */
	{
		struct contender c[] = {
			{ .h = b, .reader = bare_reader, .writer = bare_writer },
			{ .h = xa, .reader = anat_priv_reader, .writer = anat_priv_writer },
			{ .h = xa, .reader = anat_head_reader, .writer = anat_head_writer },
			{ .h = xa, .reader = uxa_reader, .writer = uxa_writer },
		};

		conc_interleaved(c, 4, ks, 1, seconds);
		c_bare = 1e3 / c[0].best[0].reader_mops;
		c_priv = 1e3 / c[1].best[0].reader_mops;
		c_head = 1e3 / c[2].best[0].reader_mops;
		c_load = 1e3 / c[3].best[0].reader_mops;
	}
	bare_destroy(b);
	uxa_destroy(xa);

	t = bench_table_new("where a random lookup's time goes (1M dense keys; ns per lookup; ratio to the bare tree)",
			    "layers", "ns", "/bare", (const char *)NULL);
	anat_row(t, "bare radix tree, inlined", bare, bare);
	anat_row(t, "uxa nodes, walk inlined here, no RCU", norcu, bare);
	anat_row(t, " + urcu-memb read lock, inlined", rcu, bare);
	anat_row(t, "xa_load() (library call)", load, bare);
	anat_row(t, "1 reader + writer: bare radix tree", c_bare, c_bare);
	anat_row(t, "1 reader + writer: inlined + RCU, private head", c_priv, c_bare);
	anat_row(t, "1 reader + writer: inlined + RCU, xa->xa_head", c_head, c_bare);
	anat_row(t, "1 reader + writer: xa_load()", c_load, c_bare);
	t->note = "private head: a copy of xa_head alone on its cache line; xa->xa_head shares"
		  " its line with xa_lock, which the writer takes for every store";
	bench_table_print(t, stdout);
}

/* ------------------------------------------------------------------ */

static void record_goals(unsigned int k_dense1m, const unsigned int *k_dense, unsigned int nr_dense,
			 const struct keyset *sets)
{
	double (*r)[NR_OPS] = results[k_dense1m];
	char what[96];

	bench_goal("random lookup: uxa / bare", r[IMPL_UXA][OP_RLOOKUP] / r[IMPL_BARE][OP_RLOOKUP],
		   BENCH_AT_MOST, 1.3);
	bench_goal("random lookup: JudyL / uxa (speed-up)",
		   r[IMPL_JUDY][OP_RLOOKUP] / r[IMPL_UXA][OP_RLOOKUP], BENCH_AT_LEAST, 2.5);
	bench_goal("insert: uxa / JudyL", r[IMPL_UXA][OP_INSERT] / r[IMPL_JUDY][OP_INSERT],
		   BENCH_AT_MOST, 1.0);
	bench_goal("xas_for_each: uxa / bare iteration",
		   r[IMPL_UXA][OP_ITER_XAS] / r[IMPL_BARE][OP_ITER], BENCH_AT_MOST, 3.0);
	bench_goal("xa_for_each: uxa / JudyL iteration",
		   r[IMPL_UXA][OP_ITER] / r[IMPL_JUDY][OP_ITER], BENCH_AT_MOST, 1.0);
	for (unsigned int i = 0; i < nr_dense; i++) {
		snprintf(what, sizeof(what), "bytes/entry, uxa, %s", sets[k_dense[i]].name);
		bench_goal(what, results[k_dense[i]][IMPL_UXA][OP_BYTES], BENCH_AT_MOST, 9.5);
	}
}

int main(int argc, char **argv)
{
	struct bench_opts opts;
	struct keyset sets[MAX_KEYSETS];
	unsigned int nr = 0, dense[2], nr_dense = 0;
	struct bench_rng rng;

	bench_parse_args(argc, argv, &opts, usage, false);
	bench_rng_seed(&rng, 0x7578615f62656e63ull);	/* "uxa_benc" */
	if (opts.quick)
		passes = 2;

	printf("xa_bench%s: uxa XArray (XA_CHUNK_SHIFT=%d) vs a bare 64-ary radix tree%s%s\n",
	       opts.quick ? " --quick" : "", XA_CHUNK_SHIFT,
	       HAVE_JUDY ? ", JudyL" : " (JudyL not built)",
	       HAVE_LFHT ? ", cds_lfht (urcu-memb)" : " (cds_lfht not built)");
	printf("best of %u passes; single-threaded unless stated\n", passes);
	bench_print_load(stdout, "at start");

	dense[nr_dense++] = nr;
	keyset_dense(&sets[nr++], "dense 1M", 1000000, &rng);
	if (!opts.quick) {
		dense[nr_dense++] = nr;
		keyset_dense(&sets[nr++], "dense 10M", 10000000, &rng);
	}
	keyset_clustered(&sets[nr++], "clustered 1M", 1000000, &rng);
	keyset_random(&sets[nr++], opts.quick ? "random64 100K" : "random64 1M",
		      opts.quick ? 100000 : 1000000, &rng);

	for (unsigned int k = 0; k < nr; k++) {
		run_keyset(k, &sets[k]);
		print_keyset(k, &sets[k]);
	}
	if (opts.quick)
		conc_reps = 1;
	run_concurrent(&sets[0], opts.quick ? 0.3 : 1.0);
	run_anatomy(&sets[0], opts.quick ? 0.3 : 1.0);
	record_goals(0, dense, nr_dense, sets);
	bench_goals_print(stdout, "goals (1M dense keys unless stated)");
	bench_print_load(stdout, "at end");
	for (unsigned int k = 0; k < nr; k++)
		keyset_free(&sets[k]);
	return 0;
}
