/* SPDX-License-Identifier: MIT */
/*
 * sync.c - out-of-line half of the concurrency layer (see sync.h).
 *
 * Thread registration with liburcu, grace periods and call_rcu with their
 * ThreadSanitizer hand-offs, the contended spinlock path, and the exported
 * uxa_rcu_* / uxa_spin_* wrappers.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "debug.h"
#include "sync/sync.h"

/* True once this thread is registered with urcu-memb (by us, or by liburcu
 * itself for its call_rcu worker threads). */
__thread bool sync_rcu_registered;
__thread bool sync_in_rcu_callback;

#if UXA_TSAN
/* In the TSan runtime, not declared by clang 14's tsan_interface.h. */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);

/* Synchronisation objects for TSan only; never read or written. */
char sync_tsan_gp_token;
char sync_tsan_cb_token;
#endif

static pthread_key_t sync_rcu_exit_key;
static pthread_once_t sync_rcu_key_once = PTHREAD_ONCE_INIT;

static void sync_rcu_thread_exit(void *unused)
{
	(void)unused;
	if (!sync_rcu_registered)
		return;
	if (urcu_memb_read_ongoing())
		uxa_bug("thread exits inside an RCU read-side critical section");
#if UXA_TSAN
	/* Like a read-side unlock: nothing this thread read may be freed
	 * before here. Pairs with the acquire after each grace period. */
	__tsan_release(&sync_tsan_gp_token);
#endif
	urcu_memb_unregister_thread();
	sync_rcu_registered = false;
}

static void sync_rcu_make_key(void)
{
	if (pthread_key_create(&sync_rcu_exit_key, sync_rcu_thread_exit))
		uxa_bug("cannot create the RCU thread-exit key");
}

void sync_rcu_register_slow(void)
{
	pthread_once(&sync_rcu_key_once, sync_rcu_make_key);
	urcu_memb_register_thread();
	sync_rcu_registered = true;
	/* Any non-NULL value makes the destructor run at thread exit. */
	pthread_setspecific(sync_rcu_exit_key, &sync_rcu_registered);
}

void sync_synchronize_rcu(void)
{
	if (sync_rcu_read_held())
		uxa_bug("synchronize_rcu inside an RCU read-side critical section");
	urcu_memb_synchronize_rcu();
#if UXA_TSAN
	/* Pairs with the release in every sync_rcu_read_unlock(). */
	__tsan_acquire(&sync_tsan_gp_token);
#endif
}

static struct uxa_rcu_head *sync_head_of(struct rcu_head *urcu_head)
{
	return container_of(urcu_head, struct uxa_rcu_head, opaque);
}

_Static_assert(sizeof(struct rcu_head) <= sizeof(((struct uxa_rcu_head *)0)->opaque),
	       "struct uxa_rcu_head must be able to hold liburcu's rcu_head");

/* Runs on a liburcu call_rcu worker thread, which liburcu registered. */
static void sync_rcu_trampoline(struct rcu_head *urcu_head)
{
	struct uxa_rcu_head *head = sync_head_of(urcu_head);

	sync_rcu_registered = true;
#if UXA_TSAN
	/* The grace period: pairs with every reader's unlock release. */
	__tsan_acquire(&sync_tsan_gp_token);
	/* Pairs with the release in sync_call_rcu() on this head. */
	__tsan_acquire(head);
#endif
	sync_in_rcu_callback = true;
	head->func(head);
	sync_in_rcu_callback = false;
#if UXA_TSAN
	/* Pairs with the acquire in sync_rcu_barrier(). */
	__tsan_release(&sync_tsan_cb_token);
#endif
}

void sync_call_rcu(struct uxa_rcu_head *head, void (*func)(struct uxa_rcu_head *head))
{
	sync_rcu_ensure_registered();
	head->func = func;
#if UXA_TSAN
	/* Everything written before queueing happens-before the callback. */
	__tsan_release(head);
#endif
	urcu_memb_call_rcu((struct rcu_head *)(void *)head->opaque, sync_rcu_trampoline);
}

void sync_rcu_barrier(void)
{
	if (sync_rcu_read_held())
		uxa_bug("rcu_barrier inside an RCU read-side critical section");
	sync_rcu_ensure_registered();
#if UXA_TSAN
	/* liburcu's barrier completion object is allocated here and freed on
	 * the worker thread with ordering TSan cannot see: ignore its inside. */
	__tsan_ignore_thread_begin();
#endif
	urcu_memb_barrier();
#if UXA_TSAN
	__tsan_ignore_thread_end();
	/* Pairs with the release after each callback in the trampoline. */
	__tsan_acquire(&sync_tsan_cb_token);
#endif
}

void sync_spin_lock_contended(uxa_spinlock_t *lock)
{
	ck_spinlock_fas_t *ck = sync_ck_lock(lock);
	unsigned int spins = 0;

	/* Spin on a plain read (no cache-line ping-pong) for a while, then
	 * yield: with more threads than cores the holder may be preempted. */
	for (;;) {
		while (ck_spinlock_fas_locked(ck)) {
			if (++spins < 128)
				ck_pr_stall();
			else
				sched_yield();
		}
		if (ck_spinlock_fas_trylock(ck))
			return;
	}
}

/* ------------------------------------------------------------------ */
/* Exported wrappers.                                                   */

UXA_API void uxa_rcu_read_lock(void)
{
	sync_rcu_read_lock();
}

UXA_API void uxa_rcu_read_unlock(void)
{
	sync_rcu_read_unlock();
}

UXA_API bool uxa_rcu_read_ongoing(void)
{
	return sync_rcu_read_held();
}

UXA_API void uxa_synchronize_rcu(void)
{
	sync_synchronize_rcu();
}

UXA_API void uxa_call_rcu(struct uxa_rcu_head *head, void (*func)(struct uxa_rcu_head *head))
{
	sync_call_rcu(head, func);
}

UXA_API void uxa_rcu_barrier(void)
{
	sync_rcu_barrier();
}

UXA_API void uxa_spin_lock(uxa_spinlock_t *lock)
{
	sync_spin_lock(lock);
}

UXA_API bool uxa_spin_trylock(uxa_spinlock_t *lock)
{
	return sync_spin_trylock(lock);
}

UXA_API void uxa_spin_unlock(uxa_spinlock_t *lock)
{
	sync_spin_unlock(lock);
}
