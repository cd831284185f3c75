/* SPDX-License-Identifier: MIT */
/*
 * mobility.h - node mobility: what lib/xarray and lib/mobility share.
 *
 * The XArray's node cache is made mobile when it is created
 * (xa_node_mobility_setup()). Moving a node needs its array's lock, and the
 * array may be freed by its owner at any moment once its last node leaves
 * the tree, so the two sides meet in a small protocol (doc/design.md,
 * "Node migration"):
 *
 *  - a migrator opens a *window* before it reads node->array and closes it
 *    after it last touched that array (xa_migration_seq is odd inside);
 *  - a writer that retired a node (xa_node_free() sets node->array to
 *    XA_RCU_FREE under xa_lock) calls xa_migration_settle() after releasing
 *    xa_lock: if a window is open it waits for it to close, so that when
 *    the writer returns, no migrator holds an unvalidated pointer to the
 *    array, and the owner may free it.
 */
#ifndef UXA_MOBILITY_H
#define UXA_MOBILITY_H

#include <uxa/slab.h>
#include <uxa/xarray.h>

#include "sync/sync.h"

/* Set by xa_node_free() (xa_lock held): this thread retired a node since
 * it last settled. Read and cleared by the same thread only. */
extern __thread __attribute__((tls_model("initial-exec"))) bool xa_retired_nodes SYNC_HIDDEN;

/* Register the node migrator with the node cache (at its creation). */
SYNC_HIDDEN int xa_node_mobility_setup(struct kmem_cache *cache);

/* Slow half of xa_unlock_settle(): wait out an open migration window. */
SYNC_HIDDEN void xa_migration_settle(void);

/*
 * xa_unlock_settle() - release xa_lock; then, if this critical section
 * retired nodes, wait until no migrator can still touch @xa. Every path
 * that releases an array's lock goes through here (or __xa_unlock()).
 */
static inline void xa_unlock_settle(struct xarray *xa)
{
	sync_spin_unlock(&xa->xa_lock);
	if (unlikely(xa_retired_nodes))
		xa_migration_settle();
}

#endif /* UXA_MOBILITY_H */
