/* SPDX-License-Identifier: MIT */
/*
 * test_slab.c - unit tests of the slab allocator's core: creation and bad
 * input, layout, allocation and freeing (including across threads and
 * thread exit), statistics, shrink, destroy, fault injection, constructors,
 * poisoning and foreign pointers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uxa/page.h>
#include <uxa/slab.h>
#include "uxa_config.h"

static struct kmem_cache_stats stats_of(struct kmem_cache *s)
{
	struct kmem_cache_stats st;

	cr_assert_eq(kmem_cache_get_stats(s, &st), 0);
	return st;
}

/* ------------------------------------------------------------------ */
/* Creation and bad input.                                             */

Test(slab_create, rejects_bad_arguments)
{
	errno = 0;
	cr_assert_null(kmem_cache_create(NULL, 64, 0, 0, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(kmem_cache_create("zero", 0, 0, 0, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(kmem_cache_create("huge", (1u << 20) + 1, 0, 0, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(kmem_cache_create("align3", 64, 3, 0, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(kmem_cache_create("alignbig", 64, 2 * UXA_PAGE_SIZE, 0, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(kmem_cache_create("flags", 64, 0, 0x8000u, NULL));
	cr_assert_eq(errno, EINVAL);
}

Test(slab_create, accepts_every_valid_flag_and_the_limits)
{
	struct kmem_cache *s;

	s = kmem_cache_create("all-flags", 100, 16, SLAB_VALID_FLAGS, NULL);
	cr_assert_not_null(s);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kmem_cache_destroy_wait();
	s = kmem_cache_create("one-byte", 1, 0, 0, NULL);
	cr_assert_not_null(s);
	cr_assert_geq(kmem_cache_size(s), 1);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	s = kmem_cache_create("one-mib", 1u << 20, 0, 0, NULL);
	cr_assert_not_null(s);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_not_null(p);
	memset(p, 0xa5, 1u << 20);
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
}

Test(slab_create, name_is_copied)
{
	char name[16] = "copied";
	struct kmem_cache *s = kmem_cache_create(name, 32, 0, 0, NULL);

	strcpy(name, "changed");
	cr_assert_str_eq(stats_of(s).name, "copied");
	kmem_cache_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Layout.                                                             */

static void check_layout(unsigned int size, unsigned int align, slab_flags_t flags)
{
	struct kmem_cache *s = kmem_cache_create("layout", size, align, flags, NULL);
	struct kmem_cache_stats st = stats_of(s);
	size_t slab_bytes = UXA_PAGE_SIZE << st.order;
	size_t waste = slab_bytes - (size_t)st.objects_per_slab * st.size;

	cr_assert_geq(st.size, size);
	cr_assert_eq(st.size % st.align, 0);
	if (align)
		cr_assert_eq(st.align % align, 0, "size %u align %u got %u", size, align, st.align);
	if (flags & SLAB_HWCACHE_ALIGN && size > 32)
		cr_assert_eq(st.align % 64, 0);
	cr_assert_geq(st.objects_per_slab, 1);
	cr_assert_leq((size_t)st.objects_per_slab * st.size, slab_bytes);
	/* The waste goal: at most 1/16 up to 1 KiB, 1/8 up to 4 KiB. */
	if (st.size <= 1024)
		cr_assert_leq(waste * 16, slab_bytes, "size %u: order %u waste %zu", size,
			      st.order, waste);
	else if (st.size <= 4096)
		cr_assert_leq(waste * 8, slab_bytes, "size %u: order %u waste %zu", size,
			      st.order, waste);
	for (unsigned int i = 0; i < 3 * st.objects_per_slab; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % st.align, 0);
	}
	/* Objects still allocated: destroy refuses. */
	cr_assert_eq(kmem_cache_destroy(s), -EBUSY);
}

Test(slab_layout, sizes_pack_well_and_align)
{
	static const unsigned int sizes[] = { 1, 7, 8, 24, 100, 192, 576, 584, 1000, 2048, 3000, 4096, 5000, 70000 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_layout(sizes[i], 0, 0);
		check_layout(sizes[i], 64, 0);
		check_layout(sizes[i], 0, SLAB_HWCACHE_ALIGN);
	}
}

Test(slab_layout, xarray_node_size_packs_densely)
{
	struct kmem_cache *s = kmem_cache_create("xa-node-like", 584, 8, 0, NULL);
	struct kmem_cache_stats st = stats_of(s);

	cr_assert_eq(st.size, 584);
	cr_assert_geq(st.objects_per_slab, 7);
	cr_assert_leq((UXA_PAGE_SIZE << st.order) - st.objects_per_slab * 584UL, 64);
	kmem_cache_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Allocation and freeing.                                             */

Test(slab_alloc, objects_are_distinct_writable_and_reused)
{
	struct kmem_cache *s = kmem_cache_create("distinct", 48, 0, 0, NULL);
	enum { N = 5000 };
	unsigned char **p = calloc(N, sizeof(*p));

	for (int i = 0; i < N; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		cr_assert_not_null(p[i]);
		memset(p[i], i & 0xff, 48);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 48; j++)
			cr_assert_eq(p[i][j], i & 0xff, "object %d overwritten", i);
	cr_assert_eq(stats_of(s).objects_in_use, N);
	for (int i = 0; i < N; i += 2)
		kmem_cache_free(s, p[i]);
	cr_assert_eq(stats_of(s).objects_in_use, N / 2);
	for (int i = 0; i < N; i += 2) {
		p[i] = kmem_cache_alloc(s, 0);
		cr_assert_not_null(p[i]);
	}
	for (int i = 0; i < N; i++)
		kmem_cache_free(s, p[i]);
	cr_assert_eq(stats_of(s).objects_in_use, 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	free(p);
}

Test(slab_alloc, zeroing)
{
	struct kmem_cache *s = kmem_cache_create("zero", 200, 0, 0, NULL);
	unsigned char *p = kmem_cache_alloc(s, 0);

	memset(p, 0xff, 200);
	kmem_cache_free(s, p);
	p = kmem_cache_zalloc(s, 0);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(p[i], 0);
	memset(p, 0xff, 200);
	kmem_cache_free(s, p);
	p = kmem_cache_alloc(s, __GFP_ZERO);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(p[i], 0);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

Test(slab_alloc, bad_gfp_and_null_cache)
{
	struct kmem_cache *s = kmem_cache_create("gfp", 16, 0, 0, NULL);

	errno = 0;
	cr_assert_null(kmem_cache_alloc(s, 0x4000u));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(kmem_cache_alloc(NULL, 0));
	cr_assert_eq(errno, EINVAL);
	kmem_cache_free(s, NULL);	/* ignored */
	cr_assert_eq(kmem_cache_destroy(NULL), 0);
	kmem_cache_destroy(s);
}

static int ctor_calls;

static void ctor_mark(void *obj)
{
	__atomic_fetch_add(&ctor_calls, 1, __ATOMIC_RELAXED);
	memcpy(obj, "constructed", 12);
}

Test(slab_alloc, constructor_runs_once_per_object_and_state_survives_free)
{
	struct kmem_cache *s = kmem_cache_create("ctor", 64, 0, SLAB_POISON, ctor_mark);
	struct kmem_cache_stats st = stats_of(s);
	char *p = kmem_cache_alloc(s, 0);

	cr_assert_str_eq(p, "constructed");
	cr_assert_eq(ctor_calls, (int)st.objects_per_slab);
	kmem_cache_free(s, p);
	p = kmem_cache_alloc(s, 0);
	/* Poisoning is off for caches with a constructor (as SLUB). */
	cr_assert_str_eq(p, "constructed");
	cr_assert_eq(ctor_calls, (int)st.objects_per_slab);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

Test(slab_alloc, fail_after_fails_exactly_the_nth_once)
{
	struct kmem_cache *s = kmem_cache_create("fault", 32, 0, 0, NULL);
	void *p[4];

	kmem_cache_fail_after(s, 3);
	p[0] = kmem_cache_alloc(s, 0);
	p[1] = kmem_cache_alloc(s, 0);
	errno = 0;
	cr_assert_not_null(p[0]);
	cr_assert_not_null(p[1]);
	cr_assert_null(kmem_cache_alloc(s, 0));
	cr_assert_eq(errno, ENOMEM);
	p[2] = kmem_cache_alloc(s, 0);
	cr_assert_not_null(p[2], "one shot: disarmed after failing");
	kmem_cache_fail_after(s, 1);
	kmem_cache_fail_after(s, 0);	/* disarm */
	p[3] = kmem_cache_alloc(s, 0);
	cr_assert_not_null(p[3]);
	for (int i = 0; i < 4; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Statistics, shrink, destroy.                                        */

Test(slab_stats, counts_follow_allocations)
{
	struct kmem_cache *s = kmem_cache_create("stats", 256, 0, 0, NULL);
	struct kmem_cache_stats st = stats_of(s);
	unsigned int per = st.objects_per_slab;
	unsigned int n = 4 * per;
	void **p = calloc(n, sizeof(*p));

	cr_assert_eq(st.objects_in_use, 0);
	cr_assert_eq(st.bytes_held, 0);
	cr_assert_eq(st.object_size, 256);
	for (unsigned int i = 0; i < n; i++)
		p[i] = kmem_cache_alloc(s, 0);
	st = stats_of(s);
	cr_assert_eq(st.objects_in_use, n);
	cr_assert_eq(st.object_capacity, n);
	cr_assert_eq(st.slabs_full + st.slabs_partial, 4);
	cr_assert_eq(st.bytes_held, 4 * (UXA_PAGE_SIZE << st.order));
	/* Empty two slabs completely and one halfway. */
	for (unsigned int i = 0; i < 2 * per + per / 2; i++)
		kmem_cache_free(s, p[i]);
	st = stats_of(s);
	cr_assert_eq(st.objects_in_use, n - 2 * per - per / 2);
	cr_assert_eq(st.slabs_empty + st.slabs_partial + st.slabs_full, 4);
	cr_assert_eq(st.slabs_empty, 2);
	cr_assert_eq(kmem_cache_shrink(s), 1);
	st = stats_of(s);
	cr_assert_eq(st.slabs_empty, 0);
	cr_assert_eq(st.bytes_held, 2 * (UXA_PAGE_SIZE << st.order));
	for (unsigned int i = 2 * per + per / 2; i < n; i++)
		kmem_cache_free(s, p[i]);
	cr_assert_eq(kmem_cache_shrink(s), 0);
	st = stats_of(s);
	cr_assert_eq(st.bytes_held, 0);
	cr_assert_eq(st.objects_in_use, 0);
	cr_assert_eq(kmem_cache_get_stats(NULL, &st), -EINVAL);
	cr_assert_eq(kmem_cache_get_stats(s, NULL), -EINVAL);
	kmem_cache_destroy(s);
	free(p);
}

/*
 * Kept slabs (a thread's own partial slabs): counted by their inuse, taken
 * back by destroy while their thread lives, given back at thread exit.
 */
static struct kmem_cache *kept_cache;
static pthread_barrier_t kept_barrier;

static void kept_alloc_free_batch(struct kmem_cache *s, unsigned int n)
{
	void **p = calloc(n, sizeof(*p));

	cr_assert_not_null(p);
	for (unsigned int i = 0; i < n; i++)
		cr_assert_not_null(p[i] = kmem_cache_alloc(s, 0));
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	free(p);
}

static void *kept_thread(void *arg)
{
	unsigned int n = *(unsigned int *)arg;

	/* Three slabs filled and emptied by this thread: kept. */
	kept_alloc_free_batch(kept_cache, n);
	pthread_barrier_wait(&kept_barrier);	/* main destroys, recreates */
	pthread_barrier_wait(&kept_barrier);
	/* The entry of the destroyed incarnation is stale: not reused. */
	kept_alloc_free_batch(kept_cache, n);
	return NULL;
}

Test(slab_stats, kept_slabs_follow_destroy_and_thread_exit)
{
	struct kmem_cache_stats st;
	unsigned int per, n;
	pthread_t t;

	kept_cache = kmem_cache_create("kept", 256, 0, 0, NULL);
	per = stats_of(kept_cache).objects_per_slab;
	n = 4 * per;
	cr_assert_eq(pthread_barrier_init(&kept_barrier, NULL, 2), 0);
	cr_assert_eq(pthread_create(&t, NULL, kept_thread, &n), 0);
	pthread_barrier_wait(&kept_barrier);
	st = stats_of(kept_cache);
	cr_assert_eq(st.objects_in_use, 0);
	cr_assert_eq(st.slabs_empty + st.slabs_partial + st.slabs_full, 4);
	cr_assert_geq(st.slabs_empty, 3);
	/* Slabs another thread keeps hold no object: destroy takes them. */
	cr_assert_eq(kmem_cache_destroy(kept_cache), 0);
	kept_cache = kmem_cache_create("kept2", 256, 0, 0, NULL);
	pthread_barrier_wait(&kept_barrier);
	cr_assert_eq(pthread_join(t, NULL), 0);
	/* Thread exit gave its active and kept slabs back to the lists. */
	st = stats_of(kept_cache);
	cr_assert_eq(st.objects_in_use, 0);
	cr_assert_eq(st.slabs_partial, 0);
	cr_assert_eq(st.slabs_full, 0);
	cr_assert_eq(kmem_cache_shrink(kept_cache), 0);
	cr_assert_eq(stats_of(kept_cache).bytes_held, 0);
	cr_assert_eq(kmem_cache_destroy(kept_cache), 0);
	pthread_barrier_destroy(&kept_barrier);
}

Test(slab_stats, slabinfo_lists_every_cache)
{
	struct kmem_cache *a = kmem_cache_create("info-alpha", 100, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("info-beta", 300, 0, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	void *p = kmem_cache_alloc(a, 0);

	kmem_cache_slabinfo(f);
	fclose(f);
	cr_assert_not_null(strstr(buf, "info-alpha"));
	cr_assert_not_null(strstr(buf, "info-beta"));
	kmem_cache_free(a, p);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	free(buf);
}

Test(slab_destroy, busy_cache_is_kept_and_usable)
{
	struct kmem_cache *s = kmem_cache_create("busy", 64, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, 0);
	void *q = kmem_cache_alloc(s, 0);

	cr_assert_eq(kmem_cache_destroy(s), -EBUSY);
	cr_assert_eq(stats_of(s).objects_in_use, 2);
	kmem_cache_free(s, p);
	p = kmem_cache_alloc(s, 0);
	cr_assert_not_null(p);
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), -EBUSY);
	kmem_cache_free(s, q);
	cr_assert_eq(kmem_cache_destroy(s), 0);
}

Test(slab_destroy, structs_are_reused_and_fresh)
{
	for (int round = 0; round < 50; round++) {
		struct kmem_cache *s = kmem_cache_create("reuse", 16 + round, 0, 0, NULL);
		void *p = kmem_cache_alloc(s, 0);

		cr_assert_eq(stats_of(s).objects_in_use, 1);
		cr_assert_eq(stats_of(s).object_size, 16u + round);
		kmem_cache_free(s, p);
		cr_assert_eq(kmem_cache_destroy(s), 0);
	}
}

/* ------------------------------------------------------------------ */
/* Threads: cross-thread frees, thread exit gives active slabs back.   */

struct xfer {
	struct kmem_cache *s;
	void **objs;
	unsigned int n;
};

static void *alloc_and_exit(void *arg)
{
	struct xfer *x = arg;

	for (unsigned int i = 0; i < x->n; i++) {
		x->objs[i] = kmem_cache_alloc(x->s, 0);
		memset(x->objs[i], 0x5a, 40);
	}
	return NULL;
}

Test(slab_threads, objects_of_an_exited_thread_free_and_cache_destroys)
{
	struct kmem_cache *s = kmem_cache_create("xthread", 40, 0, 0, NULL);
	struct xfer x = { s, calloc(1000, sizeof(void *)), 1000 };
	pthread_t t;

	for (int round = 0; round < 5; round++) {
		cr_assert_eq(pthread_create(&t, NULL, alloc_and_exit, &x), 0);
		pthread_join(t, NULL);
		cr_assert_eq(stats_of(s).objects_in_use, 1000);
		for (unsigned int i = 0; i < x.n; i++)
			kmem_cache_free(s, x.objs[i]);
		cr_assert_eq(stats_of(s).objects_in_use, 0);
	}
	/* The exited threads' active slabs were given back: all can go. */
	cr_assert_eq(kmem_cache_shrink(s), 0);
	cr_assert_eq(stats_of(s).bytes_held, 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	free(x.objs);
}

static void *hold_active_slab(void *arg)
{
	struct xfer *x = arg;
	void *p = kmem_cache_alloc(x->s, 0);

	kmem_cache_free(x->s, p);
	__atomic_store_n(&x->objs, (void **)x, __ATOMIC_RELEASE);
	/* Wait while main destroys the cache: our active slab is taken. */
	while (!__atomic_load_n(&x->n, __ATOMIC_ACQUIRE))
		sched_yield();
	return NULL;
}

Test(slab_threads, destroy_takes_back_idle_threads_active_slabs)
{
	struct xfer x = { kmem_cache_create("idle", 128, 0, 0, NULL), NULL, 0 };
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, hold_active_slab, &x), 0);
	while (!__atomic_load_n(&x.objs, __ATOMIC_ACQUIRE))
		sched_yield();
	cr_assert_eq(stats_of(x.s).slabs_partial, 1, "the thread's active slab");
	cr_assert_eq(stats_of(x.s).objects_in_use, 0);
	cr_assert_eq(kmem_cache_destroy(x.s), 0);
	/* A new cache may reuse the struct; the thread's exit must not touch it. */
	struct kmem_cache *s2 = kmem_cache_create("after-idle", 128, 0, 0, NULL);
	void *p = kmem_cache_alloc(s2, 0);

	__atomic_store_n(&x.n, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	cr_assert_eq(stats_of(s2).objects_in_use, 1);
	kmem_cache_free(s2, p);
	cr_assert_eq(kmem_cache_destroy(s2), 0);
}

/* ------------------------------------------------------------------ */
/* Poisoning and foreign pointers.                                     */

Test(slab_poison, free_objects_are_poisoned_and_checked)
{
	struct kmem_cache *s = kmem_cache_create("poison", 64, 0, SLAB_POISON, NULL);
	unsigned char *p = kmem_cache_alloc(s, 0);
	unsigned char *q = kmem_cache_alloc(s, 0);

	memset(p, 0, 64);
	kmem_cache_free(s, p);
#if !UXA_ASAN
	for (int i = 0; i < 64; i++)
		cr_assert_eq(p[i], 0x6b, "freed object must be poisoned");
#endif
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
}

#if !UXA_ASAN
Test(slab_poison, write_after_free_is_caught_on_alloc, .signal = SIGABRT)
{
	struct kmem_cache *s = kmem_cache_create("uaf", 64, 0, SLAB_POISON, NULL);
	unsigned char *p = kmem_cache_alloc(s, 0);

	kmem_cache_free(s, p);
	p[10] = 1;		/* the bug */
	for (;;)
		kmem_cache_alloc(s, 0);
}
#endif

Test(slab_free, foreign_and_interior_pointers_are_reported_and_ignored)
{
	struct kmem_cache *s = kmem_cache_create("foreign", 64, 0, 0, NULL);
	char *p = kmem_cache_alloc(s, 0);
	int local;
	void *page = uxa_alloc_pages(0, 0);
	char *heap = malloc(64);

	kmem_cache_free(s, &local);
	kmem_cache_free(s, heap);
	kmem_cache_free(s, page);
	kmem_cache_free(s, p + 1);
	cr_assert_eq(stats_of(s).objects_in_use, 1);
	kmem_cache_free(s, p);
	cr_assert_eq(stats_of(s).objects_in_use, 0);
	uxa_free_pages(page, 0);
	free(heap);
	kmem_cache_destroy(s);
}

#if UXA_DEBUG
Test(slab_debug, double_free_aborts, .signal = SIGABRT)
{
	struct kmem_cache *s = kmem_cache_create("double", 64, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, 0);

	kmem_cache_free(s, p);
	kmem_cache_free(s, p);
}

static void *free_elsewhere(void *p)
{
	struct kmem_cache *s = *(struct kmem_cache **)p;

	kmem_cache_free(s, ((void **)p)[1]);
	return NULL;
}

Test(slab_debug, double_free_from_another_thread_aborts, .signal = SIGABRT)
{
	struct kmem_cache *s = kmem_cache_create("double-remote", 64, 0, 0, NULL);
	void *arg[2] = { s, NULL };
	void *keep[64];
	pthread_t t;

	for (int i = 0; i < 64; i++)
		keep[i] = kmem_cache_alloc(s, 0);
	arg[1] = keep[3];
	pthread_create(&t, NULL, free_elsewhere, arg);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, free_elsewhere, arg);
	pthread_join(t, NULL);
}

Test(slab_debug, free_to_wrong_cache_aborts, .signal = SIGABRT)
{
	struct kmem_cache *a = kmem_cache_create("right", 64, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("wrong", 64, 0, 0, NULL);

	kmem_cache_free(b, kmem_cache_alloc(a, 0));
}
#else
Test(slab_debug, double_free_is_reported_and_ignored)
{
	struct kmem_cache *s = kmem_cache_create("double", 64, 0, 0, NULL);
	void *keep = kmem_cache_alloc(s, 0);
	void *p = kmem_cache_alloc(s, 0);

	kmem_cache_free(s, p);
	kmem_cache_free(s, p);
	cr_assert_eq(stats_of(s).objects_in_use, 1);
	kmem_cache_free(s, keep);
	kmem_cache_destroy(s);
}

Test(slab_debug, free_to_wrong_cache_frees_into_the_right_one)
{
	struct kmem_cache *a = kmem_cache_create("right", 64, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("wrong", 64, 0, 0, NULL);

	kmem_cache_free(b, kmem_cache_alloc(a, 0));
	cr_assert_eq(stats_of(a).objects_in_use, 0);
	cr_assert_eq(kmem_cache_destroy(a), 0);
	cr_assert_eq(kmem_cache_destroy(b), 0);
}
#endif
