/* SPDX-License-Identifier: MIT */
/*
 * handles.h - a mobility user for the slab tests, stress program and fuzz
 * target: objects reached only through a handle table.
 *
 * Each object carries a reference count (the table holds one), its handle
 * and a payload derived from (handle, stamp), so any copy can be checked.
 *
 * Mobility:
 *  - can_free() takes a reference on every object whose count is not yet
 *    zero (an object at zero is being freed by its user: nothing to do but
 *    wait for that free) and marks the ones it took; never blocks.
 *  - reclaim() re-checks, under the table lock, that the handle still names
 *    the object; if so it allocates a new object, copies, rewrites the
 *    handle and drops the table's reference to the old one; then drops its
 *    own. The last reference frees: directly, or with uxa_call_rcu() (as
 *    the XArray does), which the slab's one barrier per batch must cover.
 *
 * Users free by removing the handle under the lock, then dropping the
 * reference outside it, so their frees race with reclaim().
 */
#ifndef UXA_TEST_SLAB_HANDLES_H
#define UXA_TEST_SLAB_HANDLES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uxa/rcu.h>
#include <uxa/slab.h>

struct htable;

struct hobj {
	unsigned long refs;		/* atomic */
	unsigned long migrating;	/* atomic: can_free() took a reference */
	struct htable *ht;
	struct uxa_rcu_head rcu;
	unsigned long handle;
	unsigned long stamp;
	unsigned char payload[];
};

struct htable {
	struct kmem_cache *cache;
	pthread_mutex_t lock;		/* slot[] and every payload */
	struct hobj **slot;
	unsigned long nr;
	unsigned int payload;
	bool rcu_free;			/* free old objects with uxa_call_rcu() */
	unsigned long refuse;		/* can_free() refuses everything (atomic) */
	/* Called by reclaim() before it moves @obj: lets tests race frees. */
	void (*reclaim_hook)(struct htable *ht, struct hobj *obj);
	/* Counters (atomic). */
	unsigned long can_free_calls, reclaim_calls, moved, live;
};

#define ht_load(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ht_store(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ht_inc(p)	__atomic_fetch_add((p), 1, __ATOMIC_RELAXED)

static inline unsigned char ht_byte(unsigned long handle, unsigned long stamp, unsigned int i)
{
	return (unsigned char)(handle * 131 + stamp * 7 + i);
}

static inline void ht_fill(struct hobj *obj, unsigned int payload)
{
	for (unsigned int i = 0; i < payload; i++)
		obj->payload[i] = ht_byte(obj->handle, obj->stamp, i);
}

static inline bool ht_payload_ok(const struct hobj *obj, unsigned int payload)
{
	for (unsigned int i = 0; i < payload; i++)
		if (obj->payload[i] != ht_byte(obj->handle, obj->stamp, i))
			return false;
	return true;
}

static inline void ht_rcu_free(struct uxa_rcu_head *head)
{
	struct hobj *obj = (struct hobj *)(void *)((char *)head - offsetof(struct hobj, rcu));

	kmem_cache_free(obj->ht->cache, obj);
}

static inline void ht_unref(struct htable *ht, struct hobj *obj)
{
	if (__atomic_fetch_sub(&obj->refs, 1, __ATOMIC_ACQ_REL) != 1)
		return;
	__atomic_fetch_sub(&ht->live, 1, __ATOMIC_RELAXED);
	if (ht->rcu_free)
		uxa_call_rcu(&obj->rcu, ht_rcu_free);
	else
		kmem_cache_free(ht->cache, obj);
}

static inline bool ht_can_free(struct kmem_cache *s, void **objects, unsigned int nr, void *priv)
{
	struct htable *ht = priv;

	(void)s;
	ht_inc(&ht->can_free_calls);
	if (ht_load(&ht->refuse))
		return false;
	for (unsigned int i = 0; i < nr; i++) {
		struct hobj *obj = objects[i];
		unsigned long r = __atomic_load_n(&obj->refs, __ATOMIC_RELAXED);

		while (r && !__atomic_compare_exchange_n(&obj->refs, &r, r + 1, false,
							 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			;
		__atomic_store_n(&obj->migrating, r != 0, __ATOMIC_RELAXED);
	}
	return true;
}

/* A new copy of @old (table lock held). */
static inline struct hobj *ht_copy(struct htable *ht, const struct hobj *old)
{
	struct hobj *obj = kmem_cache_alloc(ht->cache, GFP_KERNEL);

	if (!obj)
		return NULL;
	obj->refs = 1;
	obj->migrating = 0;
	obj->ht = ht;
	obj->handle = old->handle;
	obj->stamp = old->stamp;
	memcpy(obj->payload, old->payload, ht->payload);
	return obj;
}

static inline void ht_reclaim(struct kmem_cache *s, void **objects, unsigned int nr, void *priv)
{
	struct htable *ht = priv;

	(void)s;
	ht_inc(&ht->reclaim_calls);
	for (unsigned int i = 0; i < nr; i++) {
		struct hobj *obj = objects[i], *copy;
		bool moved = false;

		if (!__atomic_load_n(&obj->migrating, __ATOMIC_RELAXED))
			continue;	/* its user is freeing it */
		__atomic_store_n(&obj->migrating, 0, __ATOMIC_RELAXED);
		if (ht->reclaim_hook)
			ht->reclaim_hook(ht, obj);
		pthread_mutex_lock(&ht->lock);
		if (obj->handle < ht->nr && ht->slot[obj->handle] == obj) {
			copy = ht_copy(ht, obj);
			if (copy) {
				ht_inc(&ht->live);
				ht->slot[obj->handle] = copy;
				moved = true;
			}
		}
		pthread_mutex_unlock(&ht->lock);
		if (moved) {
			ht_inc(&ht->moved);
			ht_unref(ht, obj);	/* the table's reference */
		}
		ht_unref(ht, obj);		/* can_free()'s */
	}
}

/* A table of @nr handles over a new mobile cache; aborts on failure. */
static inline struct htable *ht_create(const char *name, unsigned int payload,
				       slab_flags_t flags, unsigned long nr)
{
	struct htable *ht = calloc(1, sizeof(*ht));

	if (!ht)
		abort();
	pthread_mutex_init(&ht->lock, NULL);
	ht->slot = calloc(nr, sizeof(*ht->slot));
	ht->nr = nr;
	ht->payload = payload;
	ht->cache = kmem_cache_create(name, (unsigned int)(sizeof(struct hobj) + payload), 0,
				      flags, NULL);
	if (!ht->slot || !ht->cache ||
	    kmem_cache_setup_mobility(ht->cache, ht_can_free, ht_reclaim, ht))
		abort();		/* a test helper: no way to go on */
	return ht;
}

/* Store a new object under @h (replacing any). Return: false on ENOMEM. */
static inline bool ht_put(struct htable *ht, unsigned long h, unsigned long stamp)
{
	struct hobj *obj = kmem_cache_alloc(ht->cache, GFP_KERNEL), *old;

	if (!obj)
		return false;
	obj->refs = 1;
	obj->migrating = 0;
	obj->ht = ht;
	obj->handle = h;
	obj->stamp = stamp;
	ht_fill(obj, ht->payload);
	ht_inc(&ht->live);
	pthread_mutex_lock(&ht->lock);
	old = ht->slot[h];
	ht->slot[h] = obj;
	pthread_mutex_unlock(&ht->lock);
	if (old)
		ht_unref(ht, old);
	return true;
}

static inline void ht_drop(struct htable *ht, unsigned long h)
{
	struct hobj *obj;

	pthread_mutex_lock(&ht->lock);
	obj = ht->slot[h];
	ht->slot[h] = NULL;
	pthread_mutex_unlock(&ht->lock);
	if (obj)
		ht_unref(ht, obj);
}

/* Does handle @h hold a correct object (or none)? Return: 1 ok, 0 empty, -1 corrupt. */
static inline int ht_check(struct htable *ht, unsigned long h)
{
	struct hobj *obj;
	int ret = 0;

	pthread_mutex_lock(&ht->lock);
	obj = ht->slot[h];
	if (obj)
		ret = obj->handle == h && ht_payload_ok(obj, ht->payload) ? 1 : -1;
	pthread_mutex_unlock(&ht->lock);
	return ret;
}

/* Drop every handle, wait for RCU frees, destroy the cache. */
static inline int ht_destroy(struct htable *ht)
{
	int ret;

	for (unsigned long h = 0; h < ht->nr; h++)
		ht_drop(ht, h);
	if (ht->rcu_free)
		uxa_rcu_barrier();
	ret = kmem_cache_destroy(ht->cache);
	free(ht->slot);
	pthread_mutex_destroy(&ht->lock);
	free(ht);
	return ret;
}

#endif /* UXA_TEST_SLAB_HANDLES_H */
