/* SPDX-License-Identifier: MIT */
/*
 * stress_xarray.c - the XArray API under concurrent readers and writers,
 * as a plain program (suite 'stress') so that the TSan build runs it too
 * (Criterion cannot start under TSan). test/stress/stress_xa adds node
 * migration and compaction; this one stays on the API.
 *
 * Writers, each on its own array region, store, erase, store ranges, set
 * and clear marks, allocate and free IDs, and now and then destroy the
 * shared array, so that nodes are retired under the readers' feet. Readers
 * use every lock-free entry point (xa_load, xa_find, xa_find_after,
 * xa_for_each*, xa_get_mark, xa_extract, xas_* walks under RCU) and check
 * that each entry they see is one a writer could have put at that index
 * and that iteration moves forward. One locked walker pauses and drops the
 * lock every few entries. xa_check() runs periodically.
 *
 * Runs for UXA_STRESS_SECONDS (default 5) seconds; exits 1 on any problem.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <uxa/rcu.h>
#include <uxa/slab.h>
#include <uxa/xarray.h>

#define NR_WRITERS	2
#define NR_READERS	2
#define REGION		(1UL << 22)	/* each writer's own index range */
#define SPAN		(NR_WRITERS * REGION)

static DEFINE_XARRAY(shared);
static DEFINE_XARRAY_ALLOC1(ids);
static int stop;
static unsigned long errors, reads, writes;

static void problem(const char *what, unsigned long index, const void *entry)
{
	if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED) < 10)
		fprintf(stderr, "stress_xarray: %s at %lu: %p\n", what, index, entry);
}

static void *mk_a(unsigned long index)
{
	return xa_mk_value(index);
}

/* Never equal to any mk_a(): every index is below SPAN. */
static void *mk_b(unsigned long index)
{
	return xa_mk_value(index + SPAN);
}

/* A writer puts at @index only NULL, mk_a(index) or mk_b(index). */
static bool plausible(unsigned long index, const void *entry)
{
	return !entry || entry == mk_a(index) || entry == mk_b(index);
}

static unsigned long next_rand(unsigned long *seed)
{
	*seed = *seed * 6364136223846793005UL + 1442695040888963407UL;
	return *seed >> 16;
}

static bool stopped(void)
{
	/* Pairs with the release store in main(). */
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

static void *writer(void *arg)
{
	unsigned long id = (unsigned long)arg, seed = id + 1, round = 0;
	unsigned long base = id * REGION;

	while (!stopped()) {
		for (int i = 0; i < 64; i++) {
			unsigned long index = base + next_rand(&seed) % (REGION / 64);
			uint32_t nid;

			switch (next_rand(&seed) % 8) {
			case 0:
			case 1:
				xa_store(&shared, index, mk_a(index), GFP_KERNEL);
				break;
			case 2:
				xa_store(&shared, index, mk_b(index), GFP_KERNEL);
				xa_set_mark(&shared, index, XA_MARK_1);
				break;
			case 3:
				xa_erase(&shared, index);
				break;
			case 4:
				xa_cmpxchg(&shared, index, mk_a(index), mk_b(index), GFP_KERNEL);
				break;
			case 5:
				/* NULL ranges only: a range entry is plausible nowhere but its first index. */
				xa_store_range(&shared, index, index + next_rand(&seed) % 200, NULL,
					       GFP_KERNEL);
				break;
			case 6:
				if (xa_alloc(&ids, &nid, mk_a(id), xa_limit_16b, GFP_KERNEL) == 0 &&
				    next_rand(&seed) % 2)
					xa_erase(&ids, nid);
				break;
			default:
				xa_clear_mark(&shared, index, XA_MARK_1);
				break;
			}
		}
		__atomic_fetch_add(&writes, 64, __ATOMIC_RELAXED);
		if (++round % 200 == 0 && id == 0)
			xa_destroy(&shared);	/* retire every node at once */
		if (round % 50 == 0 && xa_check(&shared))
			problem("xa_check", 0, NULL);
	}
	return NULL;
}

static void read_once(unsigned long *seed)
{
	unsigned long index = next_rand(seed) % SPAN, start = index, last = 0;
	bool first = true;
	void *dst[16], *entry;
	unsigned int n;

	entry = xa_load(&shared, index);
	if (!plausible(index, entry))
		problem("xa_load", index, entry);
	if (xa_get_mark(&shared, index, XA_MARK_1))
		(void)xa_load(&shared, index);
	entry = xa_find(&shared, &index, SPAN, XA_PRESENT);
	if (entry && (index < start || !plausible(index, entry)))
		problem("xa_find", index, entry);
	if (entry) {
		unsigned long prev = index;

		entry = xa_find_after(&shared, &index, SPAN, XA_MARK_1);
		if (entry && (index <= prev || !plausible(index, entry)))
			problem("xa_find_after", index, entry);
	}
	n = 0;
	xa_for_each_start(&shared, index, entry, start) {
		if ((!first && index <= last) || !plausible(index, entry))
			problem("xa_for_each", index, entry);
		first = false;
		last = index;
		if (++n == 32)
			break;
	}
	n = xa_extract(&shared, dst, start, SPAN, 16, XA_MARK_1);
	for (unsigned int i = 0; i < n; i++)
		if (!dst[i] || xa_is_internal(dst[i]))
			problem("xa_extract", start, dst[i]);
	{
		XA_STATE(xas, &shared, start);

		n = 0;
		uxa_rcu_read_lock();
		xas_for_each_marked(&xas, entry, SPAN, XA_MARK_1) {
			if (xas_retry(&xas, entry))
				continue;
			if (!plausible(xas.xa_index, entry))
				problem("xas_for_each_marked", xas.xa_index, entry);
			if (++n == 32)
				break;
		}
		uxa_rcu_read_unlock();
	}
}

static void *reader(void *arg)
{
	unsigned long seed = (unsigned long)arg * 7919 + 3;

	while (!stopped()) {
		read_once(&seed);
		__atomic_fetch_add(&reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Walks under xa_lock, pausing and dropping the lock every few entries. */
static void *locked_walker(void *arg)
{
	(void)arg;
	while (!stopped()) {
		XA_STATE(xas, &shared, 0);
		unsigned long last = 0;
		unsigned int n = 0;
		bool first = true;
		void *entry;

		xas_lock(&xas);
		xas_for_each(&xas, entry, SPAN) {
			if ((!first && xas.xa_index <= last) || !plausible(xas.xa_index, entry))
				problem("locked walk", xas.xa_index, entry);
			first = false;
			last = xas.xa_index;
			if (++n % 8 == 0) {
				xas_pause(&xas);
				xas_unlock(&xas);
				sched_yield();
				xas_lock(&xas);
			}
			if (n == 512)
				break;
		}
		xas_unlock(&xas);
	}
	return NULL;
}

int main(void)
{
	pthread_t threads[NR_WRITERS + NR_READERS + 1];
	const char *env = getenv("UXA_STRESS_SECONDS");
	unsigned int seconds = env ? (unsigned int)strtoul(env, NULL, 10) : 5;
	struct kmem_cache_stats st;
	unsigned int t = 0;

	for (unsigned long i = 0; i < NR_WRITERS; i++)
		pthread_create(&threads[t++], NULL, writer, (void *)i);
	for (unsigned long i = 0; i < NR_READERS; i++)
		pthread_create(&threads[t++], NULL, reader, (void *)i);
	pthread_create(&threads[t++], NULL, locked_walker, NULL);
	sleep(seconds ? seconds : 1);
	/* Pairs with the acquire loads in stopped(). */
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < t; i++)
		pthread_join(threads[i], NULL);

	if (xa_check(&shared) || xa_check(&ids))
		problem("final xa_check", 0, NULL);
	xa_destroy(&shared);
	xa_destroy(&ids);
	uxa_rcu_barrier();
	kmem_cache_get_stats(xa_node_cache(), &st);
	if (st.objects_in_use)
		problem("nodes leaked", st.objects_in_use, NULL);
	printf("stress_xarray: %lu writes, %lu reads, %lu problems\n", writes, reads, errors);
	return errors ? 1 : 0;
}
