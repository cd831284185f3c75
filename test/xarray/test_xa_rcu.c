/* SPDX-License-Identifier: MIT */
/*
 * test_xa_rcu.c - lock-free readers while writers churn.
 *
 * Readers (xa_load, xa_find, xa_for_each, xa_get_mark, xa_extract, and an
 * advanced xas_for_each walk under uxa_rcu_read_lock) run against writers
 * that store, erase, store ranges, set marks and destroy the whole tree, so
 * that nodes are retired (XA_RCU_FREE) under the readers' feet. Every entry
 * a reader sees must be one a writer could have put at that index, and
 * iterations must move forward. Short by design (about half a second); the
 * stress suite runs the long version. Reader threads count problems in
 * atomics; the test thread asserts on the counts.
 */
#include <pthread.h>
#include <time.h>

#include "xa_test.h"

#define NR_READERS	2
#define SPAN		(4UL * XA_CHUNK_SIZE * XA_CHUNK_SIZE)

static DEFINE_XARRAY(shared);
static int stop;
static unsigned long errors;
static unsigned long reads;

/* The two entries a writer may put at @index (or NULL). */
static bool plausible(unsigned long index, void *entry)
{
	return !entry || entry == xa_mk_index(index) || entry == xa_mk_value(index ^ 0x5a5a);
}

static void note_error(void)
{
	__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
}

static void *reader(void *arg)
{
	unsigned long seed = (unsigned long)arg * 7919 + 1;
	void *dst[32];

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		unsigned long index, last = 0;
		bool first = true;
		void *entry;
		unsigned int n;

		seed = seed * 6364136223846793005UL + 1;
		index = (seed >> 20) % SPAN;
		if (!plausible(index, xa_load(&shared, index)))
			note_error();
		if (xa_get_mark(&shared, index, XA_MARK_0) &&
		    !plausible(index, xa_load(&shared, index)))
			note_error();

		entry = xa_find(&shared, &index, SPAN, XA_PRESENT);
		if (entry && !plausible(index, entry))
			note_error();

		xa_for_each_range(&shared, index, entry, (seed >> 8) % SPAN, SPAN) {
			if ((!first && index <= last) || !plausible(index, entry))
				note_error();
			first = false;
			last = index;
			if (index - ((seed >> 8) % SPAN) > 4 * XA_CHUNK_SIZE)
				break;
		}
		xa_for_each_marked(&shared, index, entry, XA_MARK_0) {
			if (!plausible(index, entry))
				note_error();
			if (index > 2 * XA_CHUNK_SIZE)
				break;
		}
		n = xa_extract(&shared, dst, 0, SPAN, 32, XA_PRESENT);
		for (unsigned int i = 0; i < n; i++)
			if (!dst[i] || xa_is_internal(dst[i]))
				note_error();

		{
			XA_STATE(xas, &shared, (seed >> 4) % SPAN);
			unsigned int seen = 0;

			uxa_rcu_read_lock();
			xas_for_each(&xas, entry, SPAN) {
				if (xas_retry(&xas, entry))
					continue;
				if (!plausible(xas.xa_index, entry))
					note_error();
				if (++seen == 64)
					break;
			}
			uxa_rcu_read_unlock();
		}
		__atomic_fetch_add(&reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void writer_round(unsigned long round)
{
	unsigned long base = (round * 977) % SPAN;

	for (unsigned long i = 0; i < 3 * XA_CHUNK_SIZE; i++) {
		unsigned long index = (base + i * 13) % SPAN;

		xa_store(&shared, index, xa_mk_index(index), GFP_KERNEL);
		if (i % 5 == 0)
			xa_set_mark(&shared, index, XA_MARK_0);
		if (i % 7 == 0)
			xa_store(&shared, index, xa_mk_value(index ^ 0x5a5a), GFP_KERNEL);
		if (i % 3 == 0)
			xa_erase(&shared, (base + i * 5) % SPAN);
	}
	if (round % 4 == 1) {
		/* store_range puts one entry over many indices: plausible only for NULL. */
		unsigned long first = (base * 3) % SPAN;

		xa_store_range(&shared, first, first + XA_CHUNK_SIZE + 3, NULL, GFP_KERNEL);
	}
	if (round % 16 == 15)
		xa_destroy(&shared);	/* retire every node at once */
}

Test(xa_rcu, readers_while_writers_churn, .timeout = 60)
{
	pthread_t threads[NR_READERS];
	struct timespec start, now;
	unsigned long round = 0;

	for (unsigned long i = 0; i < NR_READERS; i++)
		cr_assert_eq(pthread_create(&threads[i], NULL, reader, (void *)i), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		writer_round(round++);
		if (round % 8 == 0)
			cr_assert_eq(xa_check(&shared), 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) <
		 500000000L || __atomic_load_n(&reads, __ATOMIC_RELAXED) < 100);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned long i = 0; i < NR_READERS; i++)
		pthread_join(threads[i], NULL);

	cr_assert_eq(errors, 0, "%lu implausible reads", errors);
	cr_assert_gt(round, 16, "writers ran through at least one destroy");
	XA_CHECK(&shared);
	xa_destroy_no_leak(&shared);
}

/* A writer of its own per thread, each on a disjoint index range, one array. */
static DEFINE_XARRAY(striped);

static void *striped_writer(void *arg)
{
	unsigned long id = (unsigned long)arg;

	for (unsigned long round = 0; round < 40; round++) {
		for (unsigned long i = 0; i < 2 * XA_CHUNK_SIZE; i++) {
			unsigned long index = id * (1UL << 20) + i * 3;

			if (xa_err(xa_store(&striped, index, xa_mk_index(index), GFP_KERNEL)))
				note_error();
		}
		for (unsigned long i = 0; i < 2 * XA_CHUNK_SIZE; i++) {
			unsigned long index = id * (1UL << 20) + i * 3;

			if (xa_erase(&striped, index) != xa_mk_index(index))
				note_error();
		}
	}
	return NULL;
}

Test(xa_rcu, concurrent_writers_serialise_on_xa_lock, .timeout = 60)
{
	pthread_t threads[3];

	for (unsigned long i = 0; i < 3; i++)
		cr_assert_eq(pthread_create(&threads[i], NULL, striped_writer, (void *)i), 0);
	for (unsigned long i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	cr_assert_eq(errors, 0);
	cr_assert(xa_empty(&striped));
	xa_destroy_no_leak(&striped);
}

/* node->array: NULL preallocated, the array in the tree, XA_RCU_FREE retired. */
Test(xa_rcu, node_states_and_deferred_free)
{
	DEFINE_XARRAY(xa);
	XA_STATE_ORDER(xas, &xa, 0, 0);
	struct xa_node *node, *spare;

	xa_store(&xa, 0, xa_mk_value(0), GFP_KERNEL);
	xa_store(&xa, 1, xa_mk_value(1), GFP_KERNEL);

	/* Preallocated for a split: not in any tree. */
	xa_store_range(&xa, 2 * XA_CHUNK_SIZE, 4 * XA_CHUNK_SIZE - 1, &xa, GFP_KERNEL);
	xas_set_order(&xas, 2 * XA_CHUNK_SIZE, 0);
	xas_split_alloc(&xas, &xa, XA_CHUNK_SHIFT + 1, GFP_KERNEL);
	cr_assert_eq(xas_error(&xas), 0);
	spare = xas.xa_alloc;
	cr_assert_not_null(spare, "a split across a level preallocates");
	cr_assert_null(spare->array, "preallocated: array NULL");
	xas_nomem(&xas, GFP_KERNEL);	/* no error: frees the preallocation */
	cr_assert_null(xas.xa_alloc);

	uxa_rcu_read_lock();
	node = xa_to_node(xa.xa_head);
	cr_assert_eq(node->array, &xa, "in the tree");
	while (node->shift)
		node = xa_to_node(node->slots[0]);
	cr_assert_eq(node->array, &xa);
	/* Erase the other entries: the leaf is retired while we read inside it. */
	xa_erase(&xa, 1);
	xa_store_range(&xa, 2 * XA_CHUNK_SIZE, 4 * XA_CHUNK_SIZE - 1, NULL, GFP_KERNEL);
	cr_assert_eq(xa.xa_head, xa_mk_value(0), "index 0 moved back to the head");
	cr_assert_eq(node->array, XA_RCU_FREE, "retired: awaiting a grace period");
	cr_assert(xa_is_retry(node->slots[0]), "a reader still here is told to retry");
	cr_assert_eq(xa_load(&xa, 0), xa_mk_value(0));
	uxa_rcu_read_unlock();
	XA_CHECK(&xa);
	xa_destroy_no_leak(&xa);
}
