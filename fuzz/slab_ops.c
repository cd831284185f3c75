/* SPDX-License-Identifier: MIT */
/*
 * slab_ops.c - libFuzzer target: slab cache operations against a model.
 *
 * The input is a sequence of 4-byte records [op, a, b, c] acting on four
 * cache slots. A slot holds a plain cache (the model: every live object,
 * its size and the seed of its contents) or a mobile one (a handle table,
 * test/slab/handles.h, whose objects kmem_cache_defrag() moves). Ops:
 *   0 create   slot a%4: size 1 + (b<<8|c) % 2048 (x64 if a&0x80, plain
 *              caches only, which then hold at most 16 objects), align
 *              1<<(c%8) if a&0x40, flags from a>>2: HWCACHE_ALIGN, POISON,
 *              TYPESAFE_BY_RCU, mobile
 *   1 alloc    b%16+1 objects, contents from seed c
 *   2 free     c%8+1 objects from model index b
 *   3 write    rewrite object b with seed c, then verify every object
 *   4 defrag   occupancy b%101 (mobile slots), then verify every handle
 *   5 shrink
 *   6 destroy  with objects: must be -EBUSY and change nothing; then free
 *              everything and destroy for real
 *   7 fail     arm kmem_cache_fail_after(b%4+1) (plain slots): exactly that
 *              allocation must fail
 *   8 stats    objects_in_use, capacity and bytes held agree with the model
 *   9 thread   another thread frees c%8+1 objects and allocates b%8 new ones
 *              (cross-thread frees; its exit gives its active slab back)
 * Any disagreement aborts. Every input ends with all caches destroyed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uxa/rcu.h>
#include <uxa/slab.h>
#include "../test/slab/handles.h"

#define SLOTS		4
#define MAX_OBJECTS	256
#define HANDLES		256

struct model_obj {
	unsigned char *p;
	unsigned char seed;
};

struct slot {
	struct kmem_cache *cache;	/* plain slots */
	struct htable *ht;		/* mobile slots */
	unsigned int size;
	struct model_obj obj[MAX_OBJECTS];
	unsigned int nr;
	unsigned long fail_in;		/* armed fault: allocations until it fires */
	unsigned long stamp;
};

static struct slot slots[SLOTS];

#define check(cond) do { if (!(cond)) { \
	fprintf(stderr, "slab_ops: %s:%d: %s\n", __FILE__, __LINE__, #cond); abort(); } } while (0)

static void fill(unsigned char *p, unsigned int size, unsigned char seed)
{
	for (unsigned int i = 0; i < size; i++)
		p[i] = (unsigned char)(seed + i * 31);
}

static void verify(const unsigned char *p, unsigned int size, unsigned char seed)
{
	for (unsigned int i = 0; i < size; i++)
		check(p[i] == (unsigned char)(seed + i * 31));
}

static void verify_slot(struct slot *sl)
{
	if (sl->ht) {
		for (unsigned long h = 0; h < HANDLES; h++)
			check(ht_check(sl->ht, h) >= 0);
		return;
	}
	for (unsigned int i = 0; i < sl->nr; i++)
		verify(sl->obj[i].p, sl->size, sl->obj[i].seed);
}

static void op_create(struct slot *sl, uint8_t a, uint8_t b, uint8_t c)
{
	unsigned int size = 1 + ((unsigned int)(b << 8 | c) % 2048);
	unsigned int align = a & 0x40 ? 1u << (c % 8) : 0;
	unsigned int bits = a >> 2;
	slab_flags_t flags = 0;

	if (sl->cache || sl->ht)
		return;
	if ((a & 0x80) && !(bits & 8))
		size *= 64;
	if (bits & 1)
		flags |= SLAB_HWCACHE_ALIGN;
	if (bits & 2)
		flags |= SLAB_POISON;
	if (bits & 4)
		flags |= SLAB_TYPESAFE_BY_RCU;
	memset(sl, 0, sizeof(*sl));
	sl->size = size;
	if (bits & 8) {
		sl->ht = ht_create("fuzz-mobile", size, flags, HANDLES);
		return;
	}
	sl->cache = kmem_cache_create("fuzz", size, align, flags, NULL);
	check(sl->cache);
	check(kmem_cache_size(sl->cache) >= size);
}

/* One allocation of a plain slot, with the armed fault's expectation. */
static void alloc_one(struct slot *sl, unsigned char seed)
{
	bool must_fail = false;
	unsigned char *p;

	if (sl->fail_in && --sl->fail_in == 0)
		must_fail = true;
	p = kmem_cache_alloc(sl->cache, seed & 1 ? __GFP_ZERO : 0);
	if (must_fail) {
		check(!p && errno == ENOMEM);
		return;
	}
	check(p);
	if (seed & 1)
		for (unsigned int i = 0; i < sl->size; i++)
			check(p[i] == 0);
	fill(p, sl->size, seed);
	sl->obj[sl->nr].p = p;
	sl->obj[sl->nr].seed = seed;
	sl->nr++;
}

static void op_alloc(struct slot *sl, uint8_t n, uint8_t seed)
{
	for (unsigned int i = 0; i < n; i++) {
		if (sl->ht) {
			ht_put(sl->ht, (seed + i * 7u) % HANDLES, sl->stamp++);
		} else if (sl->cache && sl->nr < (sl->size > 4096 ? 16u : MAX_OBJECTS)) {
			alloc_one(sl, (unsigned char)(seed + i));
		}
	}
}

static void free_at(struct slot *sl, unsigned int i)
{
	verify(sl->obj[i].p, sl->size, sl->obj[i].seed);
	kmem_cache_free(sl->cache, sl->obj[i].p);
	sl->obj[i] = sl->obj[--sl->nr];
}

static void op_free(struct slot *sl, uint8_t at, uint8_t n)
{
	for (unsigned int k = 0; k < n; k++) {
		if (sl->ht)
			ht_drop(sl->ht, (at + k) % HANDLES);
		else if (sl->nr)
			free_at(sl, (at + k) % sl->nr);
	}
}

static void op_write(struct slot *sl, uint8_t at, uint8_t seed)
{
	if (sl->ht) {
		ht_put(sl->ht, at % HANDLES, sl->stamp++);
	} else if (sl->nr) {
		struct model_obj *o = &sl->obj[at % sl->nr];

		verify(o->p, sl->size, o->seed);
		fill(o->p, sl->size, seed);
		o->seed = seed;
	}
	verify_slot(sl);
}

static void op_defrag(struct slot *sl, uint8_t pct)
{
	long ret;

	if (sl->cache) {
		check(kmem_cache_defrag(sl->cache, pct % 101) == -EINVAL);
		return;
	}
	if (!sl->ht)
		return;
	ret = kmem_cache_defrag(sl->ht->cache, pct % 101);
	check(ret >= 0);
	verify_slot(sl);
}

static struct kmem_cache *slot_cache(struct slot *sl)
{
	return sl->ht ? sl->ht->cache : sl->cache;
}

static unsigned long slot_live(struct slot *sl)
{
	return sl->ht ? ht_load(&sl->ht->live) : sl->nr;
}

static void op_stats(struct slot *sl)
{
	struct kmem_cache_stats st;

	if (!slot_cache(sl))
		return;
	check(kmem_cache_get_stats(slot_cache(sl), &st) == 0);
	check(st.objects_in_use == slot_live(sl));
	check(st.object_capacity >= st.objects_in_use);
	check(st.object_capacity * st.size <= st.bytes_held);
	check(st.slabs_isolated == 0);
	check(st.size >= sl->size);
}

static void slot_destroy(struct slot *sl)
{
	if (sl->ht) {
		check(ht_destroy(sl->ht) == 0);
	} else if (sl->cache) {
		while (sl->nr)
			free_at(sl, sl->nr - 1);
		check(kmem_cache_destroy(sl->cache) == 0);
	}
	memset(sl, 0, sizeof(*sl));
}

static void op_destroy(struct slot *sl)
{
	if (!slot_cache(sl))
		return;
	if (slot_live(sl)) {
		check(kmem_cache_destroy(slot_cache(sl)) == -EBUSY);
		op_stats(sl);
	}
	slot_destroy(sl);
}

struct thread_op {
	struct slot *sl;
	uint8_t frees, allocs;
};

static void *thread_body(void *arg)
{
	struct thread_op *t = arg;

	op_free(t->sl, 0, t->frees);
	op_alloc(t->sl, t->allocs, (uint8_t)(t->frees * 13));
	return NULL;
}

static void op_thread(struct slot *sl, uint8_t b, uint8_t c)
{
	struct thread_op t = { sl, (uint8_t)(c % 8 + 1), (uint8_t)(b % 8) };
	pthread_t th;

	if (!slot_cache(sl) || sl->fail_in)
		return;
	check(pthread_create(&th, NULL, thread_body, &t) == 0);
	pthread_join(th, NULL);
	verify_slot(sl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t at = 0; at + 4 <= size; at += 4) {
		uint8_t op = data[at], a = data[at + 1], b = data[at + 2], c = data[at + 3];
		struct slot *sl = &slots[a % SLOTS];

		switch (op % 10) {
		case 0:
			op_create(sl, a, b, c);
			break;
		case 1:
			op_alloc(sl, (uint8_t)(b % 16 + 1), c);
			break;
		case 2:
			op_free(sl, b, (uint8_t)(c % 8 + 1));
			break;
		case 3:
			op_write(sl, b, c);
			break;
		case 4:
			op_defrag(sl, b);
			break;
		case 5:
			if (slot_cache(sl))
				kmem_cache_shrink(slot_cache(sl));
			break;
		case 6:
			op_destroy(sl);
			break;
		case 7:
			if (sl->cache) {
				sl->fail_in = b % 4 + 1;
				kmem_cache_fail_after(sl->cache, sl->fail_in);
			}
			break;
		case 8:
			op_stats(sl);
			break;
		default:
			op_thread(sl, b, c);
		}
	}
	for (int i = 0; i < SLOTS; i++)
		slot_destroy(&slots[i]);
	kmem_cache_destroy_wait();
	return 0;
}
