/* SPDX-License-Identifier: MIT */
/*
 * stress_rcu.c - the concurrency layer under load (a TSan target).
 *
 * Readers follow an RCU-published pointer and check the object it points
 * to is internally consistent; writers replace it (plain writes to the new
 * object, then publish) and retire the old one either after
 * uxa_synchronize_rcu() or through uxa_call_rcu(); a spinlock guards a
 * plain counter. Under TSan this must report nothing: it is the evidence
 * that the layer's annotations cover correct code (test/tsan/ shows they
 * do not hide incorrect code).
 *
 * UXA_STRESS_SECONDS sets the run time (default 2).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uxa/rcu.h>
#include "sync/sync.h"

struct versioned {
	struct uxa_rcu_head rcu;
	unsigned long version;
	unsigned long square;		/* version * version: readers check it */
	unsigned long payload[14];	/* all equal to version */
};

static struct versioned *current;	/* RCU-published; written under writer_lock */
static uxa_spinlock_t writer_lock = UXA_SPINLOCK_INIT;	/* protects current's updates and swaps */
static unsigned long swaps;		/* protected by writer_lock */
static int stop;			/* relaxed flag; join() orders the end */

static struct versioned *make_version(unsigned long v)
{
	struct versioned *n = malloc(sizeof(*n));

	if (!n)
		abort();
	n->version = v;
	n->square = v * v;
	for (int i = 0; i < 14; i++)
		n->payload[i] = v;
	return n;
}

static void free_version(struct uxa_rcu_head *head)
{
	free(container_of(head, struct versioned, rcu));
}

static void *reader(void *arg)
{
	unsigned long checks = 0, last = 0;

	while (!sync_load_relaxed(&stop)) {
		struct versioned *v;

		uxa_rcu_read_lock();
		v = sync_rcu_dereference(current);	/* pairs with the writers' assign */
		if (v->square != v->version * v->version)
			abort();
		for (int i = 0; i < 14; i++)
			if (v->payload[i] != v->version)
				abort();
		if (v->version < last)
			abort();		/* versions only grow */
		last = v->version;
		uxa_rcu_read_unlock();
		checks++;
	}
	*(unsigned long *)arg = checks;
	return NULL;
}

static void *writer(void *arg)
{
	bool use_call_rcu = arg != NULL;

	while (!sync_load_relaxed(&stop)) {
		struct versioned *old, *next;

		sync_spin_lock(&writer_lock);
		old = sync_rcu_dereference_protected(current);
		next = make_version(old->version + 1);
		sync_rcu_assign_pointer(current, next);	/* pairs with the readers' dereference */
		swaps++;
		sync_spin_unlock(&writer_lock);
		if (use_call_rcu) {
			uxa_call_rcu(&old->rcu, free_version);
		} else {
			uxa_synchronize_rcu();
			free(old);
		}
	}
	return NULL;
}

int main(void)
{
	const char *env = getenv("UXA_STRESS_SECONDS");
	unsigned int seconds = env ? (unsigned int)atoi(env) : 2;
	pthread_t readers[2], writers[2];
	unsigned long checks[2];
	struct timespec ts = { .tv_sec = seconds };

	current = make_version(1);
	for (int i = 0; i < 2; i++)
		pthread_create(&readers[i], NULL, reader, &checks[i]);
	pthread_create(&writers[0], NULL, writer, NULL);
	pthread_create(&writers[1], NULL, writer, (void *)1);
	nanosleep(&ts, NULL);
	sync_store_relaxed(&stop, 1);
	for (int i = 0; i < 2; i++) {
		pthread_join(readers[i], NULL);
		pthread_join(writers[i], NULL);
	}
	uxa_rcu_barrier();
	printf("stress_rcu: %lu swaps, %lu + %lu reader checks, final version %lu\n",
	       swaps, checks[0], checks[1], current->version);
	if (current->version != swaps + 1 || !checks[0] || !checks[1])
		return 1;
	free(current);
	return 0;
}
