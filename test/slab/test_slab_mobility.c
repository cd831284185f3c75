/* SPDX-License-Identifier: MIT */
/*
 * test_slab_mobility.c - unit tests of two-phase mobility: defrag with a
 * handle-table user (moves, refusals, frees racing reclaim, RCU-deferred
 * frees covered by the batch's barrier, poisoning deferred while isolated),
 * compaction through the page allocator's vacate hook, bad input, and the
 * batched destruction of SLAB_TYPESAFE_BY_RCU caches.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <uxa/page.h>
#include <uxa/rcu.h>
#include <uxa/slab.h>
#include "handles.h"

static struct kmem_cache_stats stats_of(struct kmem_cache *s)
{
	struct kmem_cache_stats st;

	cr_assert_eq(kmem_cache_get_stats(s, &st), 0);
	return st;
}

/* Fill @slabs slabs, then keep only every @keep_every-th handle. */
static unsigned long fill_sparse(struct htable *ht, unsigned int slabs, unsigned int keep_every)
{
	struct kmem_cache_stats st = stats_of(ht->cache);
	unsigned long n = (unsigned long)slabs * st.objects_per_slab, kept = 0;

	cr_assert_leq(n, ht->nr);
	for (unsigned long h = 0; h < n; h++)
		cr_assert(ht_put(ht, h, h));
	for (unsigned long h = 0; h < n; h++) {
		if (h % keep_every)
			ht_drop(ht, h);
		else
			kept++;
	}
	return kept;
}

static void check_all(struct htable *ht, unsigned long expect_live)
{
	unsigned long live = 0;

	for (unsigned long h = 0; h < ht->nr; h++) {
		int r = ht_check(ht, h);

		cr_assert_neq(r, -1, "handle %lu corrupt", h);
		live += r == 1;
	}
	cr_assert_eq(live, expect_live);
	cr_assert_eq(ht_load(&ht->live), expect_live);
}

Test(slab_mobility, bad_input)
{
	struct kmem_cache *s = kmem_cache_create("immobile", 64, 0, 0, NULL);
	struct htable *ht = ht_create("mobile", 100, 0, 16);

	cr_assert_eq(kmem_cache_defrag(s, 50), -EINVAL, "not mobile");
	cr_assert_eq(kmem_cache_setup_mobility(s, NULL, ht_reclaim, NULL), -EINVAL);
	cr_assert_eq(kmem_cache_setup_mobility(s, ht_can_free, NULL, NULL), -EINVAL);
	cr_assert_eq(kmem_cache_setup_mobility(NULL, ht_can_free, ht_reclaim, NULL), -EINVAL);
	cr_assert_eq(kmem_cache_setup_mobility(ht->cache, ht_can_free, ht_reclaim, ht), -EBUSY);
	cr_assert_eq(kmem_cache_defrag(ht->cache, -1), -EINVAL);
	cr_assert_eq(kmem_cache_defrag(ht->cache, 101), -EINVAL);
	cr_assert_eq(kmem_cache_defrag(NULL, 50), -EINVAL);
	cr_assert_eq(kmem_cache_defrag(ht->cache, 100), 0, "nothing to do");
	kmem_cache_destroy(s);
	cr_assert_eq(ht_destroy(ht), 0);
}

static void defrag_sparse(bool rcu_free, slab_flags_t flags)
{
	struct htable *ht = ht_create("sparse", 200, flags, 8192);
	struct kmem_cache_stats before, after;
	unsigned long kept;
	long pages;

	ht->rcu_free = rcu_free;
	kept = fill_sparse(ht, 24, 5);
	uxa_rcu_barrier();
	before = stats_of(ht->cache);
	cr_assert_eq(before.objects_in_use, kept);

	pages = kmem_cache_defrag(ht->cache, 50);
	after = stats_of(ht->cache);
	cr_assert_gt(pages, 0);
	cr_assert_eq(pages % (1L << after.order), 0);
	cr_assert_eq((unsigned long)pages >> after.order, after.defrag_slabs_vacated);
	cr_assert_gt(ht_load(&ht->moved), 0);
	cr_assert_eq(after.defrag_slabs_refused, 0);
	cr_assert_eq(after.slabs_isolated, 0);
	/* Nothing lost, every object correct, memory given back. */
	cr_assert_eq(after.objects_in_use, kept);
	check_all(ht, kept);
	cr_assert_lt(after.bytes_held, before.bytes_held);
	/* Kept objects are now packed: at most one partial slab's worth of
	 * slack beyond what the kept objects need, per slab type. */
	cr_assert_leq(after.slabs_full + after.slabs_partial,
		      (kept + after.objects_per_slab - 1) / after.objects_per_slab + 2);
	cr_assert_eq(ht_destroy(ht), 0);
}

Test(slab_mobility, defrag_moves_objects_out_of_sparse_slabs)
{
	defrag_sparse(false, 0);
}

/* Old copies freed with call_rcu: vacated only if the batch's barrier
 * comes after every reclaim(). */
Test(slab_mobility, one_barrier_covers_rcu_deferred_frees)
{
	defrag_sparse(true, 0);
}

Test(slab_mobility, poisoned_cache_defrags_cleanly)
{
	defrag_sparse(false, SLAB_POISON | SLAB_HWCACHE_ALIGN);
}

Test(slab_mobility, occupancy_threshold_selects_candidates)
{
	struct htable *ht = ht_create("threshold", 200, 0, 8192);
	unsigned long kept = fill_sparse(ht, 10, 2);	/* every slab ~50% */

	cr_assert_eq(kmem_cache_defrag(ht->cache, 10), 0, "no slab is that sparse");
	cr_assert_eq(ht_load(&ht->can_free_calls), 0);
	cr_assert_gt(kmem_cache_defrag(ht->cache, 60), 0);
	check_all(ht, kept);
	cr_assert_eq(ht_destroy(ht), 0);
}

Test(slab_mobility, refusal_keeps_slabs_and_counts)
{
	struct htable *ht = ht_create("refuse", 200, 0, 8192);
	unsigned long kept = fill_sparse(ht, 12, 6);
	struct kmem_cache_stats before, after;

	ht_store(&ht->refuse, 1UL);
	before = stats_of(ht->cache);
	cr_assert_eq(kmem_cache_defrag(ht->cache, 50), 0);
	after = stats_of(ht->cache);
	cr_assert_eq(ht_load(&ht->reclaim_calls), 0, "refused: reclaim must not run");
	cr_assert_eq(after.defrag_slabs_refused, ht_load(&ht->can_free_calls));
	cr_assert_gt(after.defrag_slabs_refused, 0);
	cr_assert_eq(after.defrag_slabs_vacated, 0);
	cr_assert_eq(after.slabs_isolated, 0);
	cr_assert_eq(after.bytes_held, before.bytes_held);
	cr_assert_eq(after.objects_in_use, kept);
	check_all(ht, kept);
	/* Refused slabs are usable again. */
	ht_store(&ht->refuse, 0UL);
	cr_assert_gt(kmem_cache_defrag(ht->cache, 50), 0);
	check_all(ht, kept);
	cr_assert_eq(ht_destroy(ht), 0);
}

/* reclaim() meets a free of another object of the slab it processes: the
 * free only sets a bit (no poison written while isolated). */
static void free_neighbour_then_look(struct htable *ht, struct hobj *obj)
{
	unsigned long h = obj->handle;

	if (h % 2 == 0 && h + 1 < ht->nr) {
		struct hobj *n;

		pthread_mutex_lock(&ht->lock);
		n = ht->slot[h + 1];
		pthread_mutex_unlock(&ht->lock);
		ht_drop(ht, h + 1);
		/* The neighbour's memory is untouched while its slab is isolated
		 * (the neighbour may be in another slab: then it is poisoned). */
		if (n && (((unsigned long)n ^ (unsigned long)obj) >> 12) == 0 &&
		    kmem_cache_size(ht->cache) >= 4096 / 4)
			cr_assert(ht_payload_ok(n, ht->payload));
	}
}

Test(slab_mobility, frees_into_isolated_slabs_touch_nothing)
{
	struct htable *ht = ht_create("isolated-free", 1500, SLAB_POISON, 4096);
	unsigned long n = 8 * stats_of(ht->cache).objects_per_slab;

	for (unsigned long h = 0; h < n; h++)
		cr_assert(ht_put(ht, h, 1));
	/* Keep pairs (4k, 4k+1): sparse slabs whose reclaim frees neighbours. */
	for (unsigned long h = 0; h < n; h++)
		if (h % 4 > 1)
			ht_drop(ht, h);
	ht->reclaim_hook = free_neighbour_then_look;
	cr_assert_gt(kmem_cache_defrag(ht->cache, 60), 0);
	ht->reclaim_hook = NULL;
	/* Poison the objects freed while isolated got is checked on reuse. */
	for (unsigned long h = 0; h < n; h++)
		if (h % 4 > 1)
			cr_assert(ht_put(ht, h, 2));
	for (unsigned long h = 0; h < n; h++)
		cr_assert_neq(ht_check(ht, h), -1);
	cr_assert_eq(ht_destroy(ht), 0);
}

/* A thread stores a few handles, so its active slab is sparse, and waits. */
struct holder {
	struct htable *ht;
	int ready, release;
};

static void *hold_sparse_active_slab(void *arg)
{
	struct holder *hd = arg;

	for (unsigned long h = 0; h < 3; h++)
		cr_assert(ht_put(hd->ht, h, h));
	__atomic_store_n(&hd->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&hd->release, __ATOMIC_ACQUIRE))
		sched_yield();
	return NULL;
}

Test(slab_mobility, other_threads_active_slabs_are_skipped)
{
	struct holder hd = { ht_create("active-skip", 200, 0, 64), 0, 0 };
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, hold_sparse_active_slab, &hd), 0);
	while (!__atomic_load_n(&hd.ready, __ATOMIC_ACQUIRE))
		sched_yield();
	cr_assert_eq(stats_of(hd.ht->cache).slabs_partial, 1);
	cr_assert_eq(kmem_cache_defrag(hd.ht->cache, 100), 0);
	cr_assert_eq(ht_load(&hd.ht->can_free_calls), 0, "the active slab is no candidate");
	__atomic_store_n(&hd.release, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	/* Thread exit gave it back: now it is a candidate. */
	cr_assert_gt(kmem_cache_defrag(hd.ht->cache, 100), 0);
	cr_assert_eq(ht_load(&hd.ht->can_free_calls), 1);
	cr_assert_eq(ht_load(&hd.ht->moved), 3, "moved to a new slab");
	cr_assert_eq(stats_of(hd.ht->cache).defrag_slabs_vacated, 1);
	check_all(hd.ht, 3);
	cr_assert_eq(ht_destroy(hd.ht), 0);
}

/* A thread frees and stores handles while the main thread defragments. */
struct racer {
	struct htable *ht;
	unsigned long n;
	int stop;
};

static void *race_frees(void *arg)
{
	struct racer *r = arg;
	unsigned long x = 88172645463325252UL, stamp = 100;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x & 1)
			ht_drop(r->ht, x % r->n);
		else if ((x & 6) == 0)
			ht_put(r->ht, x % r->n, stamp++);
		else
			cr_assert_neq(ht_check(r->ht, x % r->n), -1);
	}
	return NULL;
}

static void defrag_under_racing_frees(bool rcu_free)
{
	struct htable *ht = ht_create("race", 300, SLAB_POISON, 8192);
	struct racer r = { ht, 0, 0 };
	pthread_t t;
	long total = 0;

	ht->rcu_free = rcu_free;
	fill_sparse(ht, 30, 3);
	uxa_rcu_barrier();
	r.n = 30UL * stats_of(ht->cache).objects_per_slab;
	cr_assert_eq(pthread_create(&t, NULL, race_frees, &r), 0);
	/* At least 40 rounds; more while the racer's hold on the table
	 * lock made can_free refuse every slab so far (a loaded machine). */
	for (int i = 0; i < 40 || (!ht_load(&ht->moved) && i < 4000); i++) {
		long pages = kmem_cache_defrag(ht->cache, 70);

		cr_assert_geq(pages, 0);
		total += pages;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	uxa_rcu_barrier();

	unsigned long live = 0;

	for (unsigned long h = 0; h < ht->nr; h++) {
		int c = ht_check(ht, h);

		cr_assert_neq(c, -1, "handle %lu corrupt", h);
		live += c == 1;
	}
	cr_assert_eq(ht_load(&ht->live), live);
	cr_assert_eq(stats_of(ht->cache).objects_in_use, live);
	cr_assert_eq(stats_of(ht->cache).slabs_isolated, 0);
	cr_assert_gt(ht_load(&ht->moved), 0);
	cr_assert_eq((unsigned long)total >> stats_of(ht->cache).order,
		     stats_of(ht->cache).defrag_slabs_vacated);
	cr_assert_eq(ht_destroy(ht), 0);
}

Test(slab_mobility, frees_race_reclaim, .timeout = 60)
{
	defrag_under_racing_frees(false);
}

Test(slab_mobility, rcu_frees_race_reclaim, .timeout = 60)
{
	defrag_under_racing_frees(true);
}

/* ------------------------------------------------------------------ */
/* Compaction through the page allocator's vacate hook.                */

Test(slab_compaction, page_compaction_vacates_mobile_slabs, .timeout = 60)
{
	size_t chunk = UXA_PAGE_SIZE << UXA_MAX_ORDER;
	struct htable *ht;
	unsigned long n = 0, kept = 0;
	struct kmem_cache_stats st;
	void *big;

	cr_assert_eq(uxa_page_set_limit(chunk), 0);
	ht = ht_create("compact", 200, 0, 1UL << 16);
	cr_assert_eq(stats_of(ht->cache).order, 0, "one page per slab");
	/* Fill the one-chunk limit with slabs. */
	while (n < ht->nr && ht_put(ht, n, n))
		n++;
	cr_assert_lt(n, ht->nr, "the limit stops the fill");
	st = stats_of(ht->cache);
	/* Keep one object in every other slab-sized run: no order-1 block is
	 * free, but half of the objects' slabs could go. */
	for (unsigned long h = 0; h < n; h++) {
		if ((h / st.objects_per_slab) % 2 == 0 && h % st.objects_per_slab == 0)
			kept++;
		else
			ht_drop(ht, h);
	}
	kmem_cache_shrink(ht->cache);
	uxa_page_release_free();

	big = uxa_alloc_pages(GFP_KERNEL, 4);
	cr_assert_not_null(big, "compaction must make an order-4 block");
	st = stats_of(ht->cache);
	cr_assert_gt(st.defrag_slabs_vacated, 0);
	cr_assert_eq(st.slabs_isolated, 0);
	check_all(ht, kept);
	uxa_free_pages(big, 4);
	cr_assert_eq(uxa_page_compact(5, NULL), 0);
	check_all(ht, kept);
	cr_assert_eq(ht_destroy(ht), 0);
}

/*
 * A new slab of cache B needs an order-3 block; the page allocator compacts
 * and the vacate hook moves objects of cache A on the same thread, inside
 * B's slow path. A's index is beyond the thread's table, so the nested
 * allocation moves the table under B's slow path.
 */
struct nested {
	struct kmem_cache *b;
	void *obj;
};

static void *alloc_that_compacts(void *arg)
{
	struct nested *n = arg;

	n->obj = kmem_cache_alloc(n->b, GFP_KERNEL);
	if (n->obj)
		memset(n->obj, 0x3c, 2048);
	kmem_cache_free(n->b, kmem_cache_alloc(n->b, 0));
	return NULL;
}

Test(slab_compaction, nested_allocation_inside_a_slow_path, .timeout = 60)
{
	struct kmem_cache *dummies[12];
	struct nested n;
	struct htable *ht;
	struct kmem_cache_stats st;
	unsigned long count = 0, kept = 0;
	pthread_t t;

	cr_assert_eq(uxa_page_set_limit(UXA_PAGE_SIZE << UXA_MAX_ORDER), 0);
	n.b = kmem_cache_create("needs-order-3", 2048, 0, 0, NULL);
	cr_assert_eq(stats_of(n.b).order, 3);
	for (int i = 0; i < 12; i++)
		dummies[i] = kmem_cache_create("dummy", 8, 0, 0, NULL);
	ht = ht_create("movable", 200, 0, 1UL << 16);
	cr_assert_eq(stats_of(ht->cache).order, 0);
	while (count < ht->nr && ht_put(ht, count, count))
		count++;
	st = stats_of(ht->cache);
	for (unsigned long h = 0; h < count; h++) {
		if ((h / st.objects_per_slab) % 2 == 0 && h % st.objects_per_slab == 0)
			kept++;
		else
			ht_drop(ht, h);
	}
	kmem_cache_shrink(ht->cache);

	cr_assert_eq(pthread_create(&t, NULL, alloc_that_compacts, &n), 0);
	pthread_join(t, NULL);
	cr_assert_not_null(n.obj, "compaction must make room for B's slab");
	cr_assert_gt(stats_of(ht->cache).defrag_slabs_vacated, 0);
	cr_assert_eq(stats_of(n.b).objects_in_use, 1);
	cr_assert_eq(stats_of(ht->cache).objects_in_use, kept);
	cr_assert_eq(stats_of(ht->cache).slabs_isolated, 0);
	check_all(ht, kept);
	kmem_cache_free(n.b, n.obj);
	cr_assert_eq(kmem_cache_destroy(n.b), 0);
	for (int i = 0; i < 12; i++)
		cr_assert_eq(kmem_cache_destroy(dummies[i]), 0);
	cr_assert_eq(ht_destroy(ht), 0);
}

/* ------------------------------------------------------------------ */
/* SLAB_TYPESAFE_BY_RCU: deferred slab release, batched destroy.       */

static size_t pages_in_use(void)
{
	struct uxa_page_stats ps;

	uxa_page_get_stats(&ps);
	return ps.bytes_in_use;
}

Test(slab_rcu, typesafe_memory_outlives_readers)
{
	struct kmem_cache *s = kmem_cache_create("typesafe", 128, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	unsigned long *p;

	uxa_rcu_read_lock();
	p = kmem_cache_alloc(s, 0);
	*p = 42;
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_shrink(s), 0);
	/* Still mapped and unchanged: the slab waits for our grace period. */
	cr_assert_eq(*(volatile unsigned long *)p, 42);
	cr_assert_gt(stats_of(s).bytes_held, 0, "pending slabs still count as held");
	uxa_rcu_read_unlock();
	uxa_rcu_barrier();
	cr_assert_eq(stats_of(s).bytes_held, 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kmem_cache_destroy_wait();
}

Test(slab_rcu, batched_destroy_releases_everything)
{
	enum { CACHES = 8 };
	struct kmem_cache *s[CACHES];
	size_t base = pages_in_use();

	for (int i = 0; i < CACHES; i++) {
		void *p[100];

		s[i] = kmem_cache_create("rcu-batch", 64 + 64 * i, 0, SLAB_TYPESAFE_BY_RCU, NULL);
		for (int j = 0; j < 100; j++)
			p[j] = kmem_cache_alloc(s[i], 0);
		for (int j = 0; j < 100; j++)
			kmem_cache_free(s[i], p[j]);
	}
	cr_assert_gt(pages_in_use(), base);
	for (int i = 0; i < CACHES; i++)
		cr_assert_eq(kmem_cache_destroy(s[i]), 0, "asynchronous: returns at once");
	kmem_cache_destroy_wait();
	cr_assert_eq(pages_in_use(), base, "every slab went back after the barrier");
	/* Destroyed structs are reused by new caches. */
	for (int i = 0; i < CACHES; i++) {
		struct kmem_cache *t = kmem_cache_create("after", 32, 0, SLAB_TYPESAFE_BY_RCU, NULL);

		cr_assert_eq(stats_of(t).objects_in_use, 0);
		cr_assert_eq(kmem_cache_destroy(t), 0);
	}
	kmem_cache_destroy_wait();
	cr_assert_eq(pages_in_use(), base);
}

Test(slab_rcu, busy_typesafe_destroy_is_refused)
{
	struct kmem_cache *s = kmem_cache_create("rcu-busy", 64, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	void *p = kmem_cache_alloc(s, 0);

	cr_assert_eq(kmem_cache_destroy(s), -EBUSY);
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kmem_cache_destroy_wait();
}

/* Exit drains the queue: the test passes if exit neither crashes nor hangs
 * and LeakSanitizer (asan build) finds nothing. */
Test(slab_rcu, exit_drains_the_destroy_queue)
{
	for (int i = 0; i < 4; i++) {
		struct kmem_cache *s = kmem_cache_create("rcu-exit", 100, 0, SLAB_TYPESAFE_BY_RCU, NULL);

		kmem_cache_free(s, kmem_cache_alloc(s, 0));
		cr_assert_eq(kmem_cache_destroy(s), 0);
	}
}
