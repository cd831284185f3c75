/* SPDX-License-Identifier: MIT */
/*
 * stress_slab.c - the slab allocator under concurrency (suite 'stress';
 * the TSan build runs it).
 *
 * Threads, for UXA_STRESS_SECONDS (default 5):
 *  - 2 workers allocate 576-byte objects, stamp them, and swap them into a
 *    shared array of slots with an atomic exchange; whatever they get back
 *    (usually another thread's object) is checked and freed, half of them
 *    after a grace period from the call_rcu thread (as XArray nodes, and
 *    checked again there): cross-thread frees, slab list transitions,
 *    thread-exit give-back (workers restart every few rounds);
 *  - 1 mobility user stores, drops and checks handles of a handle table
 *    (test/slab/handles.h) in a SLAB_POISON cache, old copies freed with
 *    call_rcu half of the time;
 *  - 1 defragmenter calls kmem_cache_defrag() and, now and then, asks the
 *    page allocator to compact (the vacate hook);
 *  - the main thread churns SLAB_TYPESAFE_BY_RCU caches through the
 *    batched destroy queue.
 * At the end every object is checked and freed and every cache destroyed.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uxa/page.h>
#include <uxa/rcu.h>
#include <uxa/slab.h>
#include "handles.h"

#define OBJ_SIZE	576
#define SLOTS		4096
#define WORKERS		2
#define HANDLES		20000

struct obj {
	unsigned long seed;
	unsigned long words[(OBJ_SIZE - sizeof(struct uxa_rcu_head)) / sizeof(unsigned long) - 1];
	struct uxa_rcu_head rcu;	/* odd seeds are freed after a grace period */
};

_Static_assert(sizeof(struct obj) == OBJ_SIZE, "the XArray node's neighbourhood");

static struct kmem_cache *obj_cache;
static struct obj *slots[SLOTS];	/* atomic exchange */
static int stop;			/* atomic */
static unsigned long failures;		/* atomic */

#define fail(...) do { \
	fprintf(stderr, "stress_slab: " __VA_ARGS__); \
	fputc('\n', stderr); \
	__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED); \
} while (0)

static unsigned long rnd(unsigned long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static bool stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

static void obj_stamp(struct obj *o, unsigned long seed)
{
	o->seed = seed;
	for (size_t i = 0; i < sizeof(o->words) / sizeof(o->words[0]); i++)
		o->words[i] = seed * 0x9e3779b97f4a7c15UL + i;
}

static void obj_check(struct obj *o)
{
	for (size_t i = 0; i < sizeof(o->words) / sizeof(o->words[0]); i++) {
		if (o->words[i] != o->seed * 0x9e3779b97f4a7c15UL + i) {
			fail("object %p word %zu corrupt", (void *)o, i);
			break;
		}
	}
}

/* Like the XArray's nodes: checked again when the grace period is over
 * (nobody else may have been handed the object meanwhile). */
static void obj_rcu_free(struct uxa_rcu_head *head)
{
	struct obj *o = (struct obj *)(void *)((char *)head - offsetof(struct obj, rcu));

	obj_check(o);
	kmem_cache_free(obj_cache, o);
}

static void obj_check_free(struct obj *o)
{
	obj_check(o);
	if (o->seed & 1)
		uxa_call_rcu(&o->rcu, obj_rcu_free);
	else
		kmem_cache_free(obj_cache, o);
}

static void *worker(void *arg)
{
	unsigned long x = (unsigned long)arg * 2654435761UL + 1;
	struct obj *local[64];

	for (unsigned int round = 0; round < 2000 && !stopped(); round++) {
		/* A burst of same-thread alloc/free. */
		for (int i = 0; i < 64; i++) {
			local[i] = kmem_cache_alloc(obj_cache, GFP_KERNEL | (i & 1 ? __GFP_ZERO : 0));
			if (!local[i]) {
				fail("allocation failed");
				return NULL;
			}
			obj_stamp(local[i], rnd(&x));
		}
		for (int i = 63; i >= 0; i--)
			obj_check_free(local[i]);
		/* Cross-thread traffic through the slots. */
		for (int i = 0; i < 64; i++) {
			struct obj *o = kmem_cache_alloc(obj_cache, GFP_KERNEL), *old;

			if (!o) {
				fail("allocation failed");
				return NULL;
			}
			obj_stamp(o, rnd(&x));
			/* acq_rel: our stamp is visible to whoever takes it;
			 * the previous owner's stamp is visible to us. */
			old = __atomic_exchange_n(&slots[rnd(&x) % SLOTS], o, __ATOMIC_ACQ_REL);
			if (old)
				obj_check_free(old);
		}
	}
	return NULL;	/* thread exit gives the active slab back */
}

static void *worker_restarter(void *arg)
{
	while (!stopped()) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, arg)) {
			fail("pthread_create");
			return NULL;
		}
		pthread_join(t, NULL);
		arg = (void *)((unsigned long)arg + WORKERS);
	}
	return NULL;
}

static struct htable *ht;

static void *mobility_user(void *arg)
{
	unsigned long x = 0x1234567UL, stamp = 1;

	(void)arg;
	while (!stopped()) {
		unsigned long r = rnd(&x), h = r % HANDLES;

		switch ((r >> 32) % 4) {
		case 0:
		case 1:
			ht_drop(ht, h);
			break;
		case 2:
			if (!ht_put(ht, h, stamp++))
				fail("handle store failed");
			break;
		default:
			if (ht_check(ht, h) < 0)
				fail("handle %lu corrupt", h);
		}
	}
	return NULL;
}

static void *defragmenter(void *arg)
{
	unsigned long rounds = 0;

	(void)arg;
	while (!stopped()) {
		long pages = kmem_cache_defrag(ht->cache, 30 + (int)(rounds % 50));

		if (pages < 0)
			fail("defrag: %ld", pages);
		if (++rounds % 16 == 0) {
			int err = uxa_page_compact(3, NULL);

			if (err && err != -EAGAIN && err != -ENOMEM)
				fail("compact: %d", err);
		}
		sched_yield();
	}
	return NULL;
}

/* Main thread: typesafe caches through the batched destroy queue. */
static void churn_typesafe(unsigned int round)
{
	struct kmem_cache *s = kmem_cache_create("stress-rcu", 64 + round % 512, 0,
						 SLAB_TYPESAFE_BY_RCU, NULL);
	void *p[32];

	if (!s) {
		fail("typesafe cache creation");
		return;
	}
	for (int i = 0; i < 32; i++)
		p[i] = kmem_cache_alloc(s, 0);
	for (int i = 0; i < 32; i++)
		kmem_cache_free(s, p[i]);
	if (kmem_cache_destroy(s))
		fail("typesafe destroy");
	if (round % 64 == 0)
		kmem_cache_destroy_wait();
}

int main(void)
{
	const char *env = getenv("UXA_STRESS_SECONDS");
	unsigned int seconds = env ? (unsigned int)strtoul(env, NULL, 10) : 5;
	pthread_t workers[WORKERS], user, defrag;
	struct kmem_cache_stats st;
	struct timespec start, now;

	obj_cache = kmem_cache_create("stress-obj", OBJ_SIZE, 0, 0, NULL);
	ht = ht_create("stress-handles", 160, SLAB_POISON, HANDLES);
	ht->rcu_free = true;
	if (!obj_cache)
		return 1;
	for (unsigned long i = 0; i < WORKERS; i++)
		pthread_create(&workers[i], NULL, worker_restarter, (void *)(i + 1));
	pthread_create(&user, NULL, mobility_user, NULL);
	pthread_create(&defrag, NULL, defragmenter, NULL);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned int round = 0;; round++) {
		churn_typesafe(round);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)seconds)
			break;
		if (round % 16 == 0) {
			struct timespec pause = { 0, 1000000 };

			nanosleep(&pause, NULL);
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	pthread_join(user, NULL);
	pthread_join(defrag, NULL);

	for (int i = 0; i < SLOTS; i++)
		if (slots[i])
			obj_check_free(slots[i]);
	uxa_rcu_barrier();
	for (unsigned long h = 0; h < HANDLES; h++)
		if (ht_check(ht, h) < 0)
			fail("handle %lu corrupt at the end", h);
	kmem_cache_get_stats(ht->cache, &st);
	printf("stress_slab: %u s, handle cache: %lu live, defrag vacated %lu kept %lu refused %lu\n",
	       seconds, st.objects_in_use, st.defrag_slabs_vacated, st.defrag_slabs_kept,
	       st.defrag_slabs_refused);
	if (ht_destroy(ht))
		fail("handle cache destroy");
	kmem_cache_get_stats(obj_cache, &st);
	if (st.objects_in_use)
		fail("%lu objects still in use", st.objects_in_use);
	if (kmem_cache_destroy(obj_cache))
		fail("object cache destroy");
	kmem_cache_destroy_wait();
	if (failures) {
		fprintf(stderr, "stress_slab: %lu failures\n", failures);
		return 1;
	}
	printf("stress_slab: ok\n");
	return 0;
}
