/* SPDX-License-Identifier: MIT */
/*
 * stress_page.c - the page allocator under concurrent load (a TSan target).
 *
 * Under a limit that forces fragmentation, worker threads allocate blocks
 * of random orders (GFP_KERNEL, so failing requests compact), fill them
 * with a per-block pattern, tag them, and free them later after checking
 * pattern and tag; a mover thread keeps a pool of movable one-page "toys"
 * that compaction may ask it to vacate (run from whichever thread is
 * compacting), and now and then compacts explicitly and releases free
 * memory; a reader thread calls page_owner() on random addresses (which
 * must give NULL or a real owner) and takes statistics. Workers check
 * their own blocks' tags with page_owner(). At the end every block is freed
 * and the allocator must be consistent and empty.
 *
 * UXA_STRESS_SECONDS sets the run time (default 5).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uxa/page.h>
#include "page/buddy.h"

#define NR_WORKERS	2
#define HELD_PER_WORKER	128
#define MAX_TEST_ORDER	5
#define NR_TOYS		1024
#define LIMIT_CHUNKS	2

struct held {
	unsigned char *addr;
	unsigned int order;
	unsigned char pattern;
};

struct worker {
	pthread_t thread;
	unsigned int seed;
	struct held held[HELD_PER_WORKER];
	unsigned long allocs, failures;
};

/* A movable page owned by the mover's pool. */
struct toy {
	unsigned char *page;	/* protected by toy_lock */
	unsigned char pattern;
};

static struct toy toys[NR_TOYS];
/* Protects toys[]. Taken by the mover thread and by toy_vacate() (under
 * the compaction mutex, above it in the lock order); never held while
 * waiting for compaction: its holders allocate with GFP_NOWAIT. */
static pthread_mutex_t toy_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long toy_moves;		/* protected by toy_lock */
static int stop;			/* relaxed flag; join() orders the end */
static int failed;			/* relaxed: set once by any thread */

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
	sync_store_relaxed(&failed, 1); } while (0)

static unsigned int vacate_toys(void *const *owners, unsigned int nr)
{
	unsigned int vacated = 0;

	pthread_mutex_lock(&toy_lock);
	for (unsigned int i = 0; i < nr; i++) {
		struct toy *t = owners[i];
		unsigned char *fresh;

		if (t < toys || t >= toys + NR_TOYS) {
			FAIL("vacate asked for a foreign owner %p", (void *)t);
			continue;
		}
		if (!t->page || page_owner(t->page) != t)
			continue;	/* freed since compaction looked */
		fresh = uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
		if (!fresh)
			continue;
		memcpy(fresh, t->page, UXA_PAGE_SIZE);
		page_set_owner(fresh, 0, t, true);
		page_set_owner(t->page, 0, NULL, false);
		uxa_free_pages(t->page, 0);
		t->page = fresh;
		toy_moves++;
		vacated++;
	}
	pthread_mutex_unlock(&toy_lock);
	return vacated;
}

static bool check_block(const struct held *h, const void *owner)
{
	size_t size = UXA_PAGE_SIZE << h->order;

	if (page_owner(h->addr + size - 1) != owner) {
		FAIL("block %p lost its owner tag", (void *)h->addr);
		return false;
	}
	for (size_t i = 0; i < size; i += 512)
		if (h->addr[i] != h->pattern) {
			FAIL("block %p of order %u corrupted at %zu", (void *)h->addr, h->order, i);
			return false;
		}
	return true;
}

static void release_held(struct worker *w, struct held *h)
{
	check_block(h, w);
	page_set_owner(h->addr, h->order, NULL, false);
	uxa_free_pages(h->addr, h->order);
	h->addr = NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!sync_load_relaxed(&stop)) {
		struct held *h = &w->held[rand_r(&w->seed) % HELD_PER_WORKER];

		if (h->addr) {
			release_held(w, h);
			continue;
		}
		h->order = (unsigned int)rand_r(&w->seed) % (MAX_TEST_ORDER + 1);
		h->addr = uxa_alloc_pages(GFP_KERNEL | __GFP_NOWARN, h->order);
		if (!h->addr) {
			w->failures++;
			continue;
		}
		w->allocs++;
		h->pattern = (unsigned char)rand_r(&w->seed);
		memset(h->addr, h->pattern, UXA_PAGE_SIZE << h->order);
		page_set_owner(h->addr, h->order, w, false);
	}
	for (unsigned int i = 0; i < HELD_PER_WORKER; i++)
		if (w->held[i].addr)
			release_held(w, &w->held[i]);
	return NULL;
}

static void toy_check_and_free(struct toy *t)
{
	if (t->page[0] != t->pattern || t->page[UXA_PAGE_SIZE - 1] != t->pattern)
		FAIL("toy %p lost its data", (void *)t);
	page_set_owner(t->page, 0, NULL, false);
	uxa_free_pages(t->page, 0);
	t->page = NULL;
}

static void *mover_main(void *arg)
{
	unsigned int seed = 99, round = 0;
	struct uxa_compact_stats st;

	while (!sync_load_relaxed(&stop)) {
		struct toy *t = &toys[rand_r(&seed) % NR_TOYS];

		pthread_mutex_lock(&toy_lock);
		if (t->page) {
			toy_check_and_free(t);
		} else {
			t->page = uxa_alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
			if (t->page) {
				t->pattern = (unsigned char)rand_r(&seed);
				memset(t->page, t->pattern, UXA_PAGE_SIZE);
				page_set_owner(t->page, 0, t, true);
			}
		}
		pthread_mutex_unlock(&toy_lock);
		/* Now and then, compact explicitly (no lock held). */
		if (++round % 64 == 0) {
			int ret = uxa_page_compact(3, &st);

			if (ret && ret != -ENOMEM && ret != -EAGAIN)
				FAIL("uxa_page_compact: %d", ret);
		}
		if (round % 1024 == 0)
			uxa_page_release_free();
	}
	pthread_mutex_lock(&toy_lock);
	for (unsigned int i = 0; i < NR_TOYS; i++)
		if (toys[i].page)
			toy_check_and_free(&toys[i]);
	pthread_mutex_unlock(&toy_lock);
	return arg;
}

static void *reader_main(void *arg)
{
	struct worker *workers = arg;
	unsigned int seed = 7, round = 0;
	struct uxa_page_stats st;

	while (!sync_load_relaxed(&stop)) {
		uintptr_t garbage = ((uintptr_t)rand_r(&seed) << 32) ^ (uintptr_t)rand_r(&seed);
		void *owner = page_owner((void *)garbage);

		if (owner && owner != &workers[0] && owner != &workers[1] &&
		    !((struct toy *)owner >= toys && (struct toy *)owner < toys + NR_TOYS))
			FAIL("page_owner(%#lx) = %p, not an owner", (unsigned long)garbage, owner);
		if (++round % 256)
			continue;
		uxa_page_get_stats(&st);
		if (st.bytes_in_use > st.bytes_reserved || (st.limit && st.bytes_reserved > st.limit))
			FAIL("stats inconsistent: %zu in use, %zu reserved", st.bytes_in_use,
			     st.bytes_reserved);
	}
	return NULL;
}

int main(void)
{
	const char *env = getenv("UXA_STRESS_SECONDS");
	unsigned int seconds = env ? (unsigned int)atoi(env) : 5;
	struct worker workers[NR_WORKERS] = { 0 };
	struct uxa_page_stats st;
	pthread_t mover, reader;
	unsigned long allocs = 0, failures = 0;

	if (uxa_page_set_limit(LIMIT_CHUNKS * PAGE_CHUNK_SIZE))
		return 1;
	page_register_vacate(vacate_toys);
	for (unsigned int i = 0; i < NR_WORKERS; i++) {
		workers[i].seed = i + 1;
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	}
	pthread_create(&mover, NULL, mover_main, NULL);
	pthread_create(&reader, NULL, reader_main, workers);
	sleep(seconds);
	sync_store_relaxed(&stop, 1);
	for (unsigned int i = 0; i < NR_WORKERS; i++) {
		pthread_join(workers[i].thread, NULL);
		allocs += workers[i].allocs;
		failures += workers[i].failures;
	}
	pthread_join(mover, NULL);
	pthread_join(reader, NULL);

	uxa_page_get_stats(&st);
	if (page_check_invariants())
		sync_store_relaxed(&failed, 1);
	if (st.bytes_in_use)
		FAIL("%zu bytes still in use after every free", st.bytes_in_use);
	printf("stress_page: %us, %lu allocs (%lu failed), %lu compactions (%lu succeeded, "
	       "%lu pages moved, %lu toy moves): %s\n", seconds, allocs, failures,
	       st.compactions, st.compactions_succeeded, st.compact_pages_moved, toy_moves,
	       sync_load_relaxed(&failed) ? "FAILED" : "ok");
	return sync_load_relaxed(&failed) ? 1 : 0;
}
