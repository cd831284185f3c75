/* SPDX-License-Identifier: MIT */
/*
 * tsan_proof.c - evidence that lib/sync's annotations do not blind TSan.
 *
 * The layer tells ThreadSanitizer about orderings it cannot see (spinlocks,
 * grace periods, call_rcu hand-offs). Annotations that said too much would
 * hide real races. Each mode below is a small program built exactly like
 * the library; the "-ok" modes are correct and must report nothing, the
 * "-race" modes contain one real bug and must be reported
 * (expect_report.sh checks both, and that the report names the racy
 * function).
 *
 * Threads hand off with relaxed atomics and sleeps only: a relaxed access
 * creates no happens-before edge in TSan, so the only edges are the ones
 * the layer provides.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uxa/rcu.h>
#include "sync/sync.h"

struct box {
	struct uxa_rcu_head rcu;
	long value;
};

static uxa_spinlock_t lock = UXA_SPINLOCK_INIT;
static long counter;			/* protected by lock (except in lock-race) */
static struct box *published;		/* RCU-published */
static int step;			/* relaxed hand-off, no ordering */

static void wait_step(int s)
{
	while (sync_load_relaxed(&step) < s)
		usleep(1000);
}

static void next_step(int s)
{
	usleep(20000);
	sync_store_relaxed(&step, s);
}

/* --- spinlock ------------------------------------------------------ */

static void *locked_incrementer(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		sync_spin_lock(&lock);
		counter++;
		sync_spin_unlock(&lock);
	}
	return arg;
}

__attribute__((noinline)) static void racy_unlocked_increment(void)
{
	for (int i = 0; i < 1000; i++)
		counter++;
}

static void *unlocked_incrementer(void *arg)
{
	racy_unlocked_increment();
	return arg;
}

static int lock_mode(bool racy)
{
	pthread_t a, b;

	pthread_create(&a, NULL, locked_incrementer, NULL);
	pthread_create(&b, NULL, racy ? unlocked_incrementer : locked_incrementer, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}

/* --- publication and grace periods ----------------------------------- */

__attribute__((noinline)) static long reader_reads_box(void)
{
	long v;

	sync_rcu_read_lock();
	v = sync_rcu_dereference(published)->value;
	sync_rcu_read_unlock();
	return v;
}

static void *reader(void *arg)
{
	long sum = reader_reads_box();

	next_step(1);			/* the reader has left its section */
	wait_step(2);
	return (void *)sum;
}

static void free_box(struct uxa_rcu_head *head)
{
	free(container_of(head, struct box, rcu));
}

__attribute__((noinline)) static void racy_write_after_publish(struct box *b)
{
	b->value = 2;			/* the bug: the reader may already see b */
}

__attribute__((noinline)) static void racy_free_without_grace_period(struct box *b)
{
	free(b);			/* the bug: no grace period since unpublishing */
}

__attribute__((noinline)) static void racy_write_after_call_rcu(struct box *b)
{
	b->value = 3;			/* the bug: the callback may already run */
}

static int rcu_mode(const char *mode)
{
	struct box *b = malloc(sizeof(*b)), *old;
	pthread_t r;

	b->value = 1;
	sync_rcu_assign_pointer(published, b);
	if (!strcmp(mode, "publish-race")) {
		pthread_create(&r, NULL, reader, NULL);
		wait_step(1);
		racy_write_after_publish(b);
		next_step(2);
		pthread_join(r, NULL);
		free(b);
		return 0;
	}
	pthread_create(&r, NULL, reader, NULL);
	wait_step(1);
	old = b;
	sync_rcu_assign_pointer(published, NULL);
	if (!strcmp(mode, "free-ok")) {
		sync_synchronize_rcu();
		free(old);
	} else if (!strcmp(mode, "free-race")) {
		racy_free_without_grace_period(old);
	} else if (!strcmp(mode, "callback-ok")) {
		sync_call_rcu(&old->rcu, free_box);
		sync_rcu_barrier();
	} else if (!strcmp(mode, "callback-race")) {
		sync_call_rcu(&old->rcu, free_box);
		usleep(100000);		/* let the callback free it */
		racy_write_after_call_rcu(old);
		sync_rcu_barrier();
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	next_step(2);
	pthread_join(r, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s lock-ok|lock-race|publish-race|free-ok|free-race|"
			"callback-ok|callback-race\n", argv[0]);
		return 2;
	}
	if (!strncmp(argv[1], "lock-", 5))
		return lock_mode(!strcmp(argv[1], "lock-race"));
	return rcu_mode(argv[1]);
}
