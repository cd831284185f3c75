/* SPDX-License-Identifier: MIT */
/*
 * slab_destroy.c - destroying caches, with batched asynchronous release
 * of SLAB_TYPESAFE_BY_RCU caches.
 *
 * A cache with no object allocated is destroyed at once: its slabs (even
 * the ACTIVE slabs of other threads, which hold no allocated object) are
 * taken back and released, and its incarnation number changes so that
 * thread-local entries naming it go stale.
 *
 * A SLAB_TYPESAFE_BY_RCU cache's slabs go back to the page allocator from
 * RCU callbacks that still use the cache struct (its pending count), so
 * the struct may be reused only after an rcu_barrier. As in the kernel
 * (mm/slab_common.c, slab_caches_to_rcu_destroy), such caches are queued
 * and one barrier serves every cache queued at the time it starts: a
 * worker thread runs batches while the queue is non-empty; if it cannot be
 * started, kmem_cache_destroy_wait() or the atexit drain runs the batch.
 *
 * Invariants: a queued cache is off the global list, holds no slab, and
 * only its RCU callbacks still touch it; destroy_in_flight counts batches
 * whose barrier has not finished; nothing is recycled before its batch's
 * barrier returns.
 */
#include <errno.h>
#include <stdlib.h>

#include "slab/slab_internal.h"

/* Destroy queue mutex: the queue, the worker flag and the in-flight count.
 * A leaf: held with no other lock, and never across the barrier. The
 * condition variable (pthread's own: sync.h has none) waits on it. */
static sync_mutex_t slab_destroy_mutex = SYNC_MUTEX_INIT;
static pthread_cond_t slab_destroy_done = PTHREAD_COND_INITIALIZER;
static struct kmem_cache *slab_destroy_queue;
static unsigned int slab_destroy_in_flight;
static bool slab_destroy_worker_running;
static pthread_once_t slab_destroy_atexit_once = PTHREAD_ONCE_INIT;

/* One barrier for the whole batch, then every cache of it is recycled. */
static void slab_destroy_run_batch(struct kmem_cache *batch)
{
	sync_rcu_barrier();
	while (batch) {
		struct kmem_cache *s = batch;

		batch = s->destroy_next;
		s->destroy_next = NULL;
		UXA_ASSERT(sync_load_relaxed(&s->nr_rcu_pending) == 0);
		slab_cache_recycle(s);
	}
}

/* Take the queue and run it as one batch. Called and returns with the
 * destroy mutex held; drops it around the barrier. */
static void slab_destroy_run_queue_locked(void)
{
	struct kmem_cache *batch = slab_destroy_queue;

	slab_destroy_queue = NULL;
	slab_destroy_in_flight++;
	sync_mutex_unlock(&slab_destroy_mutex);
	slab_destroy_run_batch(batch);
	sync_mutex_lock(&slab_destroy_mutex);
	slab_destroy_in_flight--;
	pthread_cond_broadcast(&slab_destroy_done);
}

static void *slab_destroy_worker(void *unused)
{
	(void)unused;
	sync_mutex_lock(&slab_destroy_mutex);
	while (slab_destroy_queue)
		slab_destroy_run_queue_locked();
	slab_destroy_worker_running = false;
	sync_mutex_unlock(&slab_destroy_mutex);
	return NULL;
}

UXA_API void kmem_cache_destroy_wait(void)
{
	sync_mutex_lock(&slab_destroy_mutex);
	for (;;) {
		if (slab_destroy_queue)
			slab_destroy_run_queue_locked();
		else if (slab_destroy_in_flight)
			pthread_cond_wait(&slab_destroy_done, &slab_destroy_mutex);
		else
			break;
	}
	sync_mutex_unlock(&slab_destroy_mutex);
}

/* Process exit: nothing queued is lost. */
static void slab_destroy_drain_at_exit(void)
{
	kmem_cache_destroy_wait();
}

static void slab_destroy_register_atexit(void)
{
	atexit(slab_destroy_drain_at_exit);
}

void slab_destroy_queue_rcu(struct kmem_cache *s)
{
	pthread_once(&slab_destroy_atexit_once, slab_destroy_register_atexit);
	sync_mutex_lock(&slab_destroy_mutex);
	s->destroy_next = slab_destroy_queue;
	slab_destroy_queue = s;
	if (!slab_destroy_worker_running) {
		pthread_attr_t attr;
		pthread_t worker;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		/* If no thread can be had, the next waiter runs the batch. */
		slab_destroy_worker_running =
			pthread_create(&worker, &attr, slab_destroy_worker, NULL) == 0;
		pthread_attr_destroy(&attr);
	}
	sync_mutex_unlock(&slab_destroy_mutex);
}

/* Move every slab of one list onto the @retired chain. Cache lock held. */
static void slab_destroy_take_list(struct kmem_cache *s, struct slab_list *l,
				   struct slab **retired)
{
	struct slab *slab;

	while ((slab = slab_list_first(l))) {
		slab_list_del(l, slab);
		if (slab_state(slab) == SLAB_STATE_ACTIVE) {
			/* Another thread's (or our) active slab: its grabbed
			 * bits are free objects; the owner's entry goes stale
			 * with the incarnation number. */
			sync_store_relaxed(&slab->owner_bits, 0UL);
			sync_store_relaxed(&slab->inuse, 0);
		}
		slab_retire_locked(s, slab);
		slab->link.next = *retired ? &(*retired)->link : NULL;
		*retired = slab;
	}
}

UXA_API int kmem_cache_destroy(struct kmem_cache *s)
{
	struct slab *retired = NULL;
	unsigned long in_use;

	if (!s)
		return 0;
	/* Mobility mutex > cache list lock > cache lock: no defrag or vacate
	 * is processing slabs of @s while it goes. */
	sync_mutex_lock(&s->mobility_mutex);
	sync_spin_lock(&slab_cache_list_lock);
	sync_spin_lock(&s->lock);
	if (!s->live) {
		sync_spin_unlock(&s->lock);
		sync_spin_unlock(&slab_cache_list_lock);
		sync_mutex_unlock(&s->mobility_mutex);
		uxa_report("kmem_cache_destroy: cache %p already destroyed", (void *)s);
		return -EINVAL;
	}
	in_use = slab_count_in_use_locked(s);
	if (in_use) {
		sync_spin_unlock(&s->lock);
		sync_spin_unlock(&slab_cache_list_lock);
		sync_mutex_unlock(&s->mobility_mutex);
		uxa_report("kmem_cache_destroy(%s): %lu object%s still allocated; cache kept",
			   s->name, in_use, in_use == 1 ? "" : "s");
		return -EBUSY;
	}
	UXA_ASSERT(s->isolated.nr == 0);
	slab_destroy_take_list(s, &s->partial, &retired);
	slab_destroy_take_list(s, &s->full, &retired);
	slab_destroy_take_list(s, &s->empty, &retired);
	slab_destroy_take_list(s, &s->active, &retired);
	s->live = false;
	/* Thread-local entries of this incarnation go stale. */
	sync_store_relaxed(&s->gen, slab_next_gen());
	slab_cache_unlink_locked(s);
	sync_spin_unlock(&s->lock);
	sync_spin_unlock(&slab_cache_list_lock);
	sync_mutex_unlock(&s->mobility_mutex);

	while (retired) {
		struct slab *slab = retired;

		retired = slab->link.next ? slab_of_link(slab->link.next) : NULL;
		slab_release(s, slab);
	}
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		slab_destroy_queue_rcu(s);
	else
		slab_cache_recycle(s);
	return 0;
}
