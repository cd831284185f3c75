/* SPDX-License-Identifier: MIT */
/*
 * test_sync.c - unit tests of the concurrency layer (lib/sync).
 *
 * Automatic RCU thread registration, grace periods that wait for readers,
 * call_rcu ordering and rcu_barrier, and the spinlock's mutual exclusion.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <uxa/rcu.h>
#include "sync/sync.h"

/* Never registered by hand: the first read-side lock registers. */
static void *reader_in_fresh_thread(void *arg)
{
	bool *was_ongoing = arg;

	uxa_rcu_read_lock();
	uxa_rcu_read_lock();		/* nests */
	uxa_rcu_read_unlock();
	*was_ongoing = uxa_rcu_read_ongoing();
	uxa_rcu_read_unlock();
	return NULL;
}

Test(sync, read_lock_registers_new_threads)
{
	for (int i = 0; i < 16; i++) {
		pthread_t t;
		bool ongoing = false;

		cr_assert_eq(pthread_create(&t, NULL, reader_in_fresh_thread, &ongoing), 0);
		pthread_join(t, NULL);
		cr_assert(ongoing, "nested section must still be ongoing after one unlock");
	}
	cr_assert_not(uxa_rcu_read_ongoing());
	uxa_synchronize_rcu();		/* exited threads were unregistered: no hang */
}

struct reader_gate {
	int entered;
	int release;
	int left;
};

static void *reader_holding_section(void *arg)
{
	struct reader_gate *g = arg;

	uxa_rcu_read_lock();
	sync_store_release(&g->entered, 1);	/* pairs with the test's acquire */
	while (!sync_load_acquire(&g->release))
		usleep(100);
	sync_store_release(&g->left, 1);	/* before unlock: seen by the grace period */
	uxa_rcu_read_unlock();
	return NULL;
}

static void *synchronizer(void *arg)
{
	struct reader_gate *g = arg;

	uxa_synchronize_rcu();
	/* The grace period ended only after the reader left. */
	return (void *)(intptr_t)sync_load_acquire(&g->left);
}

Test(sync, synchronize_waits_for_preexisting_reader)
{
	struct reader_gate g = { 0 };
	pthread_t r, s;
	void *left_seen;

	pthread_create(&r, NULL, reader_holding_section, &g);
	while (!sync_load_acquire(&g.entered))
		usleep(100);
	pthread_create(&s, NULL, synchronizer, &g);
	usleep(20000);
	sync_store_release(&g.release, 1);
	pthread_join(s, &left_seen);
	pthread_join(r, NULL);
	cr_assert_eq((intptr_t)left_seen, 1);
}

struct counted_head {
	struct uxa_rcu_head rcu;
	int *counter;
	int value;
};

static void count_and_free(struct uxa_rcu_head *head)
{
	struct counted_head *c = container_of(head, struct counted_head, rcu);

	sync_fetch_add_relaxed(c->counter, c->value);
	free(c);
}

Test(sync, call_rcu_runs_each_callback_once_before_barrier_returns)
{
	int counter = 0;

	for (int i = 1; i <= 1000; i++) {
		struct counted_head *c = malloc(sizeof(*c));

		c->counter = &counter;
		c->value = i;
		uxa_call_rcu(&c->rcu, count_and_free);
	}
	uxa_rcu_barrier();
	cr_assert_eq(sync_load_relaxed(&counter), 1000 * 1001 / 2);
}

static void requeue_once(struct uxa_rcu_head *head);

static void requeue_once(struct uxa_rcu_head *head)
{
	struct counted_head *c = container_of(head, struct counted_head, rcu);

	/* A callback may queue another one (the slab does, for typesafe caches). */
	if (c->value-- > 0)
		uxa_call_rcu(&c->rcu, requeue_once);
	else
		sync_store_release(c->counter, 1);
}

Test(sync, callback_may_call_rcu_again)
{
	int done = 0;
	struct counted_head c = { .counter = &done, .value = 3 };

	uxa_call_rcu(&c.rcu, requeue_once);
	for (int i = 0; i < 4 && !sync_load_acquire(&done); i++)
		uxa_rcu_barrier();
	cr_assert_eq(sync_load_acquire(&done), 1);
}

static uxa_spinlock_t test_lock = UXA_SPINLOCK_INIT;
static unsigned long protected_counter;		/* protected by test_lock */

static void *increment_under_lock(void *arg)
{
	for (int i = 0; i < 200000; i++) {
		uxa_spin_lock(&test_lock);
		protected_counter++;
		uxa_spin_unlock(&test_lock);
	}
	return arg;
}

Test(sync, spinlock_excludes)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, increment_under_lock, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(protected_counter, 4 * 200000UL);
}

Test(sync, trylock_fails_while_held)
{
	uxa_spinlock_t lock = UXA_SPINLOCK_INIT;

	cr_assert(uxa_spin_trylock(&lock));
	cr_assert(sync_spin_is_locked(&lock));
	cr_assert_not(uxa_spin_trylock(&lock));
	uxa_spin_unlock(&lock);
	cr_assert_not(sync_spin_is_locked(&lock));
	cr_assert(uxa_spin_trylock(&lock));
	uxa_spin_unlock(&lock);
}

Test(sync, synchronize_inside_read_section_aborts, .signal = SIGABRT)
{
	uxa_rcu_read_lock();
	uxa_synchronize_rcu();
}
