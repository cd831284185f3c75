/* SPDX-License-Identifier: MIT */
/*
 * uxa/rcu.h - read-copy-update for uxa users.
 *
 * uxa's readers (xa_load(), xa_find(), ...) take the RCU read lock
 * themselves; nothing here is needed for the normal API. Users of the
 * advanced API (xas_load() and friends outside xa_lock) bracket their walks
 * with uxa_rcu_read_lock()/uxa_rcu_read_unlock().
 *
 * Threads never register by hand: the first read-side call on a thread
 * registers it with liburcu (flavor: urcu-memb) and thread exit
 * unregisters it. A thread that uses uxa only under xa_lock never registers.
 */
#ifndef UXA_RCU_H
#define UXA_RCU_H

#include <uxa/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * uxa_rcu_read_lock() - enter an RCU read-side critical section.
 *
 * Nests. Objects reached through RCU-published pointers stay valid (not
 * freed, though possibly unlinked) until the matching uxa_rcu_read_unlock().
 *
 * Context: Any thread; registers it with liburcu on first use (which
 * allocates once per thread). Must not call uxa_synchronize_rcu() or
 * uxa_rcu_barrier() inside the section.
 */
UXA_API void uxa_rcu_read_lock(void);

/**
 * uxa_rcu_read_unlock() - leave an RCU read-side critical section.
 *
 * Context: Must pair with uxa_rcu_read_lock() on the same thread.
 */
UXA_API void uxa_rcu_read_unlock(void);

/**
 * uxa_rcu_read_ongoing() - is this thread inside a read-side critical section?
 *
 * Context: Any thread.
 * Return: true between uxa_rcu_read_lock() and its uxa_rcu_read_unlock().
 */
UXA_API bool uxa_rcu_read_ongoing(void);

/**
 * uxa_synchronize_rcu() - wait for every pre-existing read-side critical section.
 *
 * Context: Blocks. Not inside a read-side critical section, not while
 * holding a lock that readers or RCU callbacks take.
 */
UXA_API void uxa_synchronize_rcu(void);

/**
 * uxa_call_rcu() - run @func(@head) after a grace period.
 * @head: callback head embedded in the object to reclaim.
 * @func: callback; runs on liburcu's call_rcu thread, may free memory and
 *        call uxa_call_rcu() again, must not block on a grace period.
 *
 * Context: Any thread, any lock held (it never blocks). Registers the thread.
 */
UXA_API void uxa_call_rcu(struct uxa_rcu_head *head,
			  void (*func)(struct uxa_rcu_head *head));

/**
 * uxa_rcu_barrier() - wait until every callback queued so far has run.
 *
 * Context: Blocks. Not inside a read-side critical section or an RCU callback.
 */
UXA_API void uxa_rcu_barrier(void);

#ifdef __cplusplus
}
#endif
#endif /* UXA_RCU_H */
