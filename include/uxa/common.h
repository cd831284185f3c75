/* SPDX-License-Identifier: MIT */
/*
 * uxa/common.h - definitions shared by every uxa header.
 *
 * The export macro, allocation flags (gfp_t, as in the kernel) and the RCU
 * callback head that public structures embed.
 */
#ifndef UXA_COMMON_H
#define UXA_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks a function as part of the public, exported API. */
#define UXA_API __attribute__((visibility("default")))

/**
 * typedef gfp_t - allocation flags, as in the kernel.
 *
 * uxa runs in userspace, so "may sleep" means "may take blocking paths":
 * with __GFP_DIRECT_RECLAIM the page allocator may compact (migrate movable
 * objects) before failing a high-order request; without it, an allocation
 * only takes what is free. Callers holding a spinlock pass GFP_NOWAIT.
 */
typedef unsigned int gfp_t;

#define __GFP_ZERO		0x01u	/* return zeroed memory */
#define __GFP_NOWARN		0x02u	/* no message on failure */
#define __GFP_DIRECT_RECLAIM	0x04u	/* may block: compact, retry */
#define __GFP_ACCOUNT		0x08u	/* accepted for source compatibility; no effect */
#define __GFP_NOFAIL		0x10u	/* accepted; uxa still returns NULL when the OS refuses */
#define __GFP_VALID_MASK	0x1fu

#define GFP_KERNEL	(__GFP_DIRECT_RECLAIM)
#define GFP_NOFS	(__GFP_DIRECT_RECLAIM)
#define GFP_NOIO	(__GFP_DIRECT_RECLAIM)
#define GFP_USER	(__GFP_DIRECT_RECLAIM)
#define GFP_NOWAIT	(0u)
#define GFP_ATOMIC	(__GFP_NOWARN)

/**
 * struct uxa_rcu_head - callback head for uxa_call_rcu().
 *
 * Embedded in objects freed after a grace period (XArray nodes, slabs of
 * SLAB_TYPESAFE_BY_RCU caches). Opaque: its layout belongs to lib/sync.
 */
struct uxa_rcu_head {
	void *opaque[2];
	void (*func)(struct uxa_rcu_head *head);
};

/**
 * struct uxa_spinlock - a spinlock (Concurrency Kit's fetch-and-store lock).
 * @value: opaque; zero when unlocked.
 *
 * Public only so that structures embedding it (struct xarray) have a size.
 * Initialise with UXA_SPINLOCK_INIT or by zeroing.
 */
typedef struct uxa_spinlock {
	unsigned int value;
} uxa_spinlock_t;

#define UXA_SPINLOCK_INIT	{ 0 }

/**
 * uxa_spin_lock() - acquire @lock, spinning then yielding while it is held.
 * @lock: the lock.
 *
 * Context: Any thread; not recursive.
 */
UXA_API void uxa_spin_lock(uxa_spinlock_t *lock);

/**
 * uxa_spin_trylock() - acquire @lock if it is free.
 * @lock: the lock.
 *
 * Context: Any thread; never waits.
 * Return: true if the lock was acquired.
 */
UXA_API bool uxa_spin_trylock(uxa_spinlock_t *lock);

/**
 * uxa_spin_unlock() - release @lock.
 * @lock: the lock, held by this thread.
 *
 * Context: The thread that acquired @lock.
 */
UXA_API void uxa_spin_unlock(uxa_spinlock_t *lock);

#ifdef __cplusplus
}
#endif
#endif /* UXA_COMMON_H */
