/* SPDX-License-Identifier: MIT */
/*
 * sync.h - uxa's one concurrency layer: RCU, spinlocks and atomics.
 *
 * Every RCU, lock and atomic operation in the library goes through this
 * header, for two reasons:
 *
 *  - ThreadSanitizer cannot see the ordering that liburcu (0.13, no TSan
 *    support of its own) and Concurrency Kit's inline-asm atomics provide.
 *    In TSan builds (UXA_TSAN) this layer tells it, and only here:
 *      spinlocks   are announced as mutexes (__tsan_mutex_pre/post_*);
 *      publication is a C11 release store, reading an acquire load, which
 *                  TSan understands natively (never rcu_assign_pointer);
 *      grace periods: every read-side unlock releases sync_tsan_gp_token,
 *                  synchronize_rcu acquires it afterwards, so frees after a
 *                  grace period happen-after every earlier reader;
 *      call_rcu    goes through a trampoline: release on the head when
 *                  queued, acquire gp token and head before the callback,
 *                  release sync_tsan_cb_token after it; rcu_barrier
 *                  acquires sync_tsan_cb_token.
 *    test/tsan/ proves these annotations still let TSan catch real races.
 *
 *  - Threads never register with liburcu by hand: the first read-side
 *    lock (or call_rcu) on a thread registers it, and a pthread key
 *    destructor unregisters it at thread exit.
 *
 * Memory orders are named at each use (mimalloc style): sync_load_acquire()
 * pairs with a sync_store_release() or a release RMW; callers name the pair
 * in a comment.
 *
 * Flavor: urcu-memb (membarrier-based). Readers pay a thread-local counter
 * update and a compiler barrier; no signals are stolen from the
 * application (unlike urcu-signal), no quiescent states need reporting
 * (unlike urcu-qsbr), and registration is explicit but automated here
 * (unlike urcu-bp, whose readers are slower). See doc/design.md.
 */
#ifndef UXA_SYNC_H
#define UXA_SYNC_H

#include "uxa_config.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

#include <ck_pr.h>
#include <ck_spinlock.h>
#include <urcu/urcu-memb.h>

#include <uxa/common.h>
#include <uxa/rcu.h>

#if UXA_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#define SYNC_HIDDEN __attribute__((visibility("hidden")))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

/* ------------------------------------------------------------------ */
/* Atomics: C11 builtins, which TSan instruments, with named orders.   */

#define sync_load_relaxed(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define sync_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define sync_store_relaxed(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define sync_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define sync_fetch_add_relaxed(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define sync_fetch_sub_relaxed(p, v)	__atomic_fetch_sub((p), (v), __ATOMIC_RELAXED)
#define sync_fetch_add_acq_rel(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_ACQ_REL)
#define sync_fetch_sub_acq_rel(p, v)	__atomic_fetch_sub((p), (v), __ATOMIC_ACQ_REL)
#define sync_fetch_or_release(p, v)	__atomic_fetch_or((p), (v), __ATOMIC_RELEASE)
#define sync_fetch_or_acq_rel(p, v)	__atomic_fetch_or((p), (v), __ATOMIC_ACQ_REL)
#define sync_fetch_and_acq_rel(p, v)	__atomic_fetch_and((p), (v), __ATOMIC_ACQ_REL)
#define sync_exchange_acquire(p, v)	__atomic_exchange_n((p), (v), __ATOMIC_ACQUIRE)
#define sync_exchange_acq_rel(p, v)	__atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
/* Strong compare-and-swap; on failure *(expected) gets the current value. */
#define sync_cas_acq_rel(p, expected, desired) \
	__atomic_compare_exchange_n((p), (expected), (desired), false, \
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
#define sync_cas_relaxed(p, expected, desired) \
	__atomic_compare_exchange_n((p), (expected), (desired), false, \
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define sync_fence_seq_cst()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
/* A spin-wait hint (pause): no ordering, just kinder to the sibling thread. */
#define sync_cpu_relax()		ck_pr_stall()

/* ------------------------------------------------------------------ */
/* RCU-protected pointers.                                             */

/* Publish @v in @p: everything written to *v before happens-before any
 * reader's sync_rcu_dereference() that sees it. */
#define sync_rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
/* Read an RCU-published pointer inside a read-side section; pairs with
 * sync_rcu_assign_pointer(). Acquire costs a plain load on x86 and arm64
 * (ldar) and, unlike consume, TSan models it. */
#define sync_rcu_dereference(p)		__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
/* Read an RCU-published pointer while holding the lock its writers take. */
#define sync_rcu_dereference_protected(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

/* ------------------------------------------------------------------ */
/* RCU read side (urcu-memb), with automatic thread registration.      */

extern __thread bool sync_rcu_registered SYNC_HIDDEN;
SYNC_HIDDEN void sync_rcu_register_slow(void);

#if UXA_TSAN
extern char sync_tsan_gp_token SYNC_HIDDEN;
extern char sync_tsan_cb_token SYNC_HIDDEN;
#endif

static inline void sync_rcu_ensure_registered(void)
{
	if (unlikely(!sync_rcu_registered))
		sync_rcu_register_slow();
}

static inline void sync_rcu_read_lock(void)
{
	sync_rcu_ensure_registered();
	urcu_memb_read_lock();
}

static inline void sync_rcu_read_unlock(void)
{
#if UXA_TSAN
	/* Pairs with the acquire after every grace period (sync.c). */
	__tsan_release(&sync_tsan_gp_token);
#endif
	urcu_memb_read_unlock();
}

static inline bool sync_rcu_read_held(void)
{
	return sync_rcu_registered && urcu_memb_read_ongoing();
}

/* True while this thread runs an RCU callback (liburcu's call_rcu thread). */
extern __thread bool sync_in_rcu_callback SYNC_HIDDEN;

/*
 * May this thread wait for a grace period (synchronize_rcu, rcu_barrier)?
 * Not inside a read-side section (it would wait for itself), not inside an
 * RCU callback (rcu_barrier would wait for the callback running it).
 * Blocking slow paths (compaction, defragmentation) check it and refuse.
 */
static inline bool sync_may_wait_for_grace_period(void)
{
	return !sync_rcu_read_held() && !sync_in_rcu_callback;
}

SYNC_HIDDEN void sync_synchronize_rcu(void);
SYNC_HIDDEN void sync_call_rcu(struct uxa_rcu_head *head,
			       void (*func)(struct uxa_rcu_head *head));
SYNC_HIDDEN void sync_rcu_barrier(void);

/* ------------------------------------------------------------------ */
/* Spinlocks: Concurrency Kit's fetch-and-store lock on uxa_spinlock_t. */

_Static_assert(sizeof(uxa_spinlock_t) == sizeof(ck_spinlock_fas_t),
	       "uxa_spinlock_t must overlay ck_spinlock_fas_t");

static inline ck_spinlock_fas_t *sync_ck_lock(uxa_spinlock_t *lock)
{
	return (ck_spinlock_fas_t *)(void *)lock;
}

SYNC_HIDDEN void sync_spin_lock_contended(uxa_spinlock_t *lock);

static inline void sync_spin_lock(uxa_spinlock_t *lock)
{
#if UXA_TSAN
	__tsan_mutex_pre_lock(lock, 0);
#endif
	if (unlikely(!ck_spinlock_fas_trylock(sync_ck_lock(lock))))
		sync_spin_lock_contended(lock);
#if UXA_TSAN
	__tsan_mutex_post_lock(lock, 0, 0);
#endif
}

static inline bool sync_spin_trylock(uxa_spinlock_t *lock)
{
	bool acquired;

#if UXA_TSAN
	__tsan_mutex_pre_lock(lock, __tsan_mutex_try_lock);
#endif
	acquired = ck_spinlock_fas_trylock(sync_ck_lock(lock));
#if UXA_TSAN
	__tsan_mutex_post_lock(lock, acquired ? __tsan_mutex_try_lock :
			       __tsan_mutex_try_lock | __tsan_mutex_try_lock_failed, 0);
#endif
	return acquired;
}

static inline void sync_spin_unlock(uxa_spinlock_t *lock)
{
#if UXA_TSAN
	__tsan_mutex_pre_unlock(lock, 0);
#endif
	ck_spinlock_fas_unlock(sync_ck_lock(lock));
#if UXA_TSAN
	__tsan_mutex_post_unlock(lock, 0);
#endif
}

/* For assertions only: true if some thread holds @lock. */
static inline bool sync_spin_is_locked(uxa_spinlock_t *lock)
{
	return ck_spinlock_fas_locked(sync_ck_lock(lock));
}

/* ------------------------------------------------------------------ */
/* Sleeping mutexes (pthread), for slow paths that may block: the      */
/* mobility and compaction serialisation (doc/design.md, lock order).  */
/* TSan intercepts pthread mutexes itself; no annotation is needed.    */

typedef pthread_mutex_t sync_mutex_t;
#define SYNC_MUTEX_INIT	PTHREAD_MUTEX_INITIALIZER

static inline void sync_mutex_lock(sync_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static inline bool sync_mutex_trylock(sync_mutex_t *m)
{
	return pthread_mutex_trylock(m) == 0;
}

static inline void sync_mutex_unlock(sync_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

#endif /* UXA_SYNC_H */
