/* SPDX-License-Identifier: MIT */
/*
 * frag.c - the fragmentation demo: what moving XArray nodes buys back.
 *
 * Christoph Lameter asked for a radix tree whose nodes can move (LSF/MM
 * 2017, "Movable memory and reliable higher order allocations"): without
 * it, a slab whose objects are freed at random stays mostly empty but
 * pinned, its pages never coalesce, and high-order allocations fail from
 * fragmentation although the memory is free. This program shows that on
 * uxa and on three malloc implementations, with the same node lifecycle.
 *
 * WORKLOAD (identical in every run, seeded)
 *
 *   E value entries in two XArrays, stored in entry order: three of every
 *   four in a dense array (indices 0, 1, 2, ...: 64 entries per leaf node)
 *   and every fourth in a sparse one (one entry per XA_CHUNK_SIZE indices:
 *   one leaf node each). Then a random 90% of the entries are erased. The
 *   dense leaves mostly survive (each keeps ~6 of 64 entries); the sparse
 *   leaves die with their entry, so ~90% of them are freed at random:
 *   the case of the issue, with struct xa_node (584 bytes with 64 slots) as
 *   the object.
 *
 * RUNS (each in its own process, so that each owns its RSS: the program
 * re-executes itself with --child ROLE and reports "key value..." lines
 * on a pipe; the parent prints everything)
 *
 *   trace      runs the workload through the advanced API with an
 *              xas_set_update() callback and records the node lifecycle:
 *              the kernel calls it for each node whose count changed; a
 *              node seen for the first time was allocated, a node reported
 *              with count 0 is about to be freed (update_node(),
 *              xas_delete_node(), xas_shrink(), xas_free_nodes() in the
 *              kernel's lib/xarray.c; uxa's lib/xarray/xarray.c does the
 *              same). The live count is checked against the node cache's
 *              objects_in_use after the fill and after the erase. The
 *              trace (alloc id / free id, with sample and phase markers)
 *              goes to a temporary file. It also measures the page
 *              allocator's peak, from which the parent sets the limit.
 *   uxa        the workload with a page limit a little above the peak;
 *              after the erase, counts order-9 blocks without compaction,
 *              then runs xa_defrag_nodes() (again while a pass left nodes
 *              unmoved for want of a copy and freed pages) and counts
 *              order-9 blocks without and with compaction.
 *   uxa-nomig  the same without xa_defrag_nodes() (kmem_cache_shrink()
 *              only); after the erase, counts order-9 blocks without and
 *              with compaction (compaction itself moves nodes: that is the
 *              allocator's own path, not a defragmentation pass).
 *   replay     one malloc implementation (glibc, or jemalloc / mimalloc via
 *              LD_PRELOAD) replays the trace with objects of
 *              sizeof(struct xa_node), then gives back what it can
 *              (malloc_trim(0), arena.<all>.purge, mi_collect(true)).
 *   readers    one reader thread doing random xa_load()s while a paced
 *              churn writer erases and stores; throughput without, then
 *              with, a thread running xa_defrag_nodes() back to back.
 *
 * Output: tables (memory, buddyinfo, order-9 blocks, migration, peers as
 * ratios, concurrent readers), the goals with PASS/MISS (printed, never
 * asserted: exit 0), and a plot of memory over the run written to
 * ./frag.dat and rendered by gnuplot to ./frag.svg and ./frag.png.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <uxa/page.h>
#include <uxa/rcu.h>
#include <uxa/slab.h>
#include <uxa/xarray.h>

#include "bench_common.h"

static const char usage[] =
	"usage: frag [--quick] [--entries N] [--seed S] [--pct P] [--seconds T]\n"
	"  Fills two XArrays (dense and sparse) with N value entries, erases a\n"
	"  random 90%, and shows what node migration (xa_defrag_nodes) gives back,\n"
	"  beside the same node lifecycle replayed on glibc, jemalloc and mimalloc.\n"
	"  --quick       400000 entries, short concurrent phases (seconds)\n"
	"  --entries N   entries in total (default 4000000)\n"
	"  --seed S      seed of the erase order (default 1)\n"
	"  --pct P       xa_defrag_nodes() occupancy threshold, 0..100 (default 90)\n"
	"  --seconds T   length of each concurrent-reader phase; 4 of each, alternating\n"
	"                (default 1, quick 0.25)\n"
	"  Writes frag.dat, frag.svg and frag.png into the current directory.\n";

#define FRAG_ERASE_PERCENT	90
#define FRAG_SPARSE_EVERY	4		/* entry e is sparse when e % 4 == 3 */
#define FRAG_SPARSE_STRIDE	XA_CHUNK_SIZE	/* one sparse entry per leaf node */
#define FRAG_SAMPLES		60		/* plot points over fill + erase */
#define FRAG_HIGH_ORDER		9		/* 2 MiB blocks: a huge page */
#define FRAG_CHURN_RATE		100000.0	/* churn writer: erase+store pairs per second */
#define FRAG_READER_ROUNDS	4		/* phases without, then with, defrag */

static const char *const jemalloc_path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
static const char *const mimalloc_path = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2";

/* ------------------------------------------------------------------ */
/* Options (the parent passes them on to every child).                 */

struct frag_opts {
	bool quick;
	unsigned long entries;
	unsigned long seed;
	int pct;
	double seconds;
	/* children only */
	const char *role;
	const char *peer;
	const char *trace_path;
	size_t limit;
	int result_fd;
};

static unsigned long parse_ulong(const char *opt, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "frag: %s wants a number, not '%s'\n%s", opt, s, usage);
		exit(2);
	}
	return v;
}

static void parse_opts(int argc, char **argv, struct frag_opts *o)
{
	bool entries_set = false, seconds_set = false;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->pct = 90;
	o->result_fd = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			o->quick = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("%s", usage);
			exit(0);
		}
		if (!v || strncmp(a, "--", 2)) {
			fprintf(stderr, "frag: unknown or incomplete argument '%s'\n%s", a, usage);
			exit(2);
		}
		i++;
		if (!strcmp(a, "--entries")) {
			o->entries = parse_ulong(a, v);
			entries_set = true;
		} else if (!strcmp(a, "--seed")) {
			o->seed = parse_ulong(a, v);
		} else if (!strcmp(a, "--pct")) {
			o->pct = (int)parse_ulong(a, v);
		} else if (!strcmp(a, "--seconds")) {
			o->seconds = strtod(v, NULL);
			seconds_set = true;
		} else if (!strcmp(a, "--child")) {
			o->role = v;
		} else if (!strcmp(a, "--peer")) {
			o->peer = v;
		} else if (!strcmp(a, "--trace")) {
			o->trace_path = v;
		} else if (!strcmp(a, "--limit")) {
			o->limit = parse_ulong(a, v);
		} else if (!strcmp(a, "--result-fd")) {
			o->result_fd = (int)parse_ulong(a, v);
		} else {
			fprintf(stderr, "frag: unknown argument '%s'\n%s", a, usage);
			exit(2);
		}
	}
	if (!entries_set)
		o->entries = o->quick ? 400000 : 4000000;
	if (!seconds_set)
		o->seconds = o->quick ? 0.25 : 1.0;
	if (o->entries < 1000 || o->entries > (1ul << 29)) {
		fprintf(stderr, "frag: --entries must be between 1000 and 2^29\n");
		exit(2);
	}
	if (o->pct < 0 || o->pct > 100) {
		fprintf(stderr, "frag: --pct must be between 0 and 100\n");
		exit(2);
	}
	if (!(o->seconds > 0.0 && o->seconds <= 600.0)) {
		fprintf(stderr, "frag: --seconds must be in (0, 600]\n");
		exit(2);
	}
}

/* ------------------------------------------------------------------ */
/* Small helpers.                                                      */

static bool progress_on;	/* stderr is a terminal */

/* Show "who: what NN%" on the terminal's last line, only when it changes. */
static void progress(const char *who, const char *what, unsigned long done, unsigned long total)
{
	static int last_pct = -1;
	static const char *last_what;
	int pct = total ? (int)(done * 100 / total) : 100;

	if (!progress_on || (pct == last_pct && what == last_what))
		return;
	last_pct = pct;
	last_what = what;
	fprintf(stderr, "\r\033[K  %s: %s %3d%%", who, what, pct);
}

static void progress_clear(void)
{
	if (progress_on)
		fprintf(stderr, "\r\033[K");
}

static double mib(double bytes)
{
	return bytes / (1024.0 * 1024.0);
}

static double secs_since(uint64_t start_ns)
{
	return (double)bench_elapsed_ns(start_ns) / 1e9;
}

/* Bytes of this process's memory freed with MADV_FREE and not yet reclaimed. */
static size_t lazyfree_bytes(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	size_t kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "LazyFree: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* ------------------------------------------------------------------ */
/* The workload, shared by every uxa run and the trace.                */

static DEFINE_XARRAY(frag_dense);
static DEFINE_XARRAY(frag_sparse);

struct workload {
	unsigned long nr_entries;
	unsigned long nr_erase;		/* the first nr_erase of erase_order go */
	unsigned long sample_every;	/* entry operations between plot samples */
	unsigned long *erase_order;	/* a permutation of the entry numbers */
};

static bool entry_is_sparse(unsigned long e)
{
	return e % FRAG_SPARSE_EVERY == FRAG_SPARSE_EVERY - 1;
}

static struct xarray *entry_xa(unsigned long e)
{
	return entry_is_sparse(e) ? &frag_sparse : &frag_dense;
}

static unsigned long entry_index(unsigned long e)
{
	unsigned long group = e / FRAG_SPARSE_EVERY;

	if (entry_is_sparse(e))
		return group * FRAG_SPARSE_STRIDE;
	return group * (FRAG_SPARSE_EVERY - 1) + e % FRAG_SPARSE_EVERY;
}

static void workload_init(struct workload *w, const struct frag_opts *o)
{
	struct bench_rng rng;

	w->nr_entries = o->entries;
	w->nr_erase = o->entries / 100 * FRAG_ERASE_PERCENT +
		      o->entries % 100 * FRAG_ERASE_PERCENT / 100;
	w->sample_every = (w->nr_entries + w->nr_erase) / FRAG_SAMPLES;
	if (!w->sample_every)
		w->sample_every = 1;
	w->erase_order = bench_xmalloc(w->nr_entries * sizeof(*w->erase_order));
	for (unsigned long e = 0; e < w->nr_entries; e++)
		w->erase_order[e] = e;
	bench_rng_seed(&rng, o->seed);
	bench_shuffle(w->erase_order, w->nr_entries, &rng);
}

/*
 * Store @entry (NULL: erase) at @index through the advanced API, so that
 * @update sees every node whose count changes. Allocation under xa_lock is
 * GFP_NOWAIT; on -ENOMEM the node is allocated outside the lock and the
 * store retried (the kernel's pattern).
 */
static void frag_xa_set(struct xarray *xa, unsigned long index, void *entry,
			xa_update_node_t update)
{
	XA_STATE(xas, xa, index);

	xas_set_update(&xas, update);
	do {
		xas_lock(&xas);
		xas_store(&xas, entry);
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	if (xas_error(&xas)) {
		fprintf(stderr, "frag: storing at index %lu failed: %s\n", index,
			strerror(-xas_error(&xas)));
		exit(1);
	}
}

/* What a run does at the workload's sample points. */
struct workload_hooks {
	const char *who;			/* progress label */
	xa_update_node_t update;		/* NULL but in the trace */
	void (*sample)(unsigned long op);	/* op: entry operations so far */
};

static void workload_fill(const struct workload *w, const struct workload_hooks *h)
{
	for (unsigned long e = 0; e < w->nr_entries; e++) {
		frag_xa_set(entry_xa(e), entry_index(e), xa_mk_value(e), h->update);
		if ((e + 1) % w->sample_every == 0)
			h->sample(e + 1);
		if (!(e & 0xfff))
			progress(h->who, "fill", e, w->nr_entries);
	}
	progress_clear();
}

static void workload_erase(const struct workload *w, const struct workload_hooks *h)
{
	for (unsigned long i = 0; i < w->nr_erase; i++) {
		unsigned long e = w->erase_order[i];
		unsigned long op = w->nr_entries + i + 1;

		frag_xa_set(entry_xa(e), entry_index(e), NULL, h->update);
		if (op % w->sample_every == 0)
			h->sample(op);
		if (!(i & 0xfff))
			progress(h->who, "erase", i, w->nr_erase);
	}
	progress_clear();
}

/*
 * Make the library set itself up (node cache, RCU registration, a first
 * slab and chunk) before the baseline RSS is read, so that the baseline
 * holds everything but the workload's nodes.
 */
static void workload_warm_up(void)
{
	(void)xa_node_cache();
	frag_xa_set(&frag_dense, 0, xa_mk_value(0), NULL);
	frag_xa_set(&frag_dense, 0, NULL, NULL);
	bench_keep(xa_load(&frag_dense, 0));
	uxa_rcu_barrier();
}

/* ------------------------------------------------------------------ */
/* Results: a child writes "key value..." lines; the parent keeps them. */

static FILE *result_out;	/* child: the pipe to the parent */

__attribute__((format(printf, 1, 2)))
static void emit(const char *fmt, ...)
{
	va_list ap;

	if (!result_out)
		return;
	va_start(ap, fmt);
	vfprintf(result_out, fmt, ap);
	va_end(ap);
	fputc('\n', result_out);
}

#define RESULT_MAX_VALUES	24

struct result_line {
	char key[32];
	unsigned int n;
	double v[RESULT_MAX_VALUES];
};

struct child_run {
	const char *label;
	bool ran;			/* exited with status 0 */
	struct result_line *lines;
	size_t nr, cap;
};

static void child_parse_line(struct child_run *c, char *line)
{
	struct result_line *r;
	char *save = NULL, *tok = strtok_r(line, " \t\n", &save);

	if (!tok)
		return;
	if (c->nr == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->lines = realloc(c->lines, c->cap * sizeof(*c->lines));
		if (!c->lines) {
			fprintf(stderr, "frag: out of memory\n");
			exit(1);
		}
	}
	r = &c->lines[c->nr++];
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%s", tok);
	while ((tok = strtok_r(NULL, " \t\n", &save)) && r->n < RESULT_MAX_VALUES)
		r->v[r->n++] = strtod(tok, NULL);
}

static const struct result_line *child_get(const struct child_run *c, const char *key)
{
	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->lines[i].key, key))
			return &c->lines[i];
	return NULL;
}

/* Value @i of line @key, NaN if the run did not report it. */
static double cval(const struct child_run *c, const char *key, unsigned int i)
{
	const struct result_line *r = child_get(c, key);

	return r && i < r->n ? r->v[i] : NAN;
}

/* ------------------------------------------------------------------ */
/* Snapshots. The same fields for every run, so the parent reads one   */
/* format: "snap.<moment> rss live held reserved resident secs lazy    */
/* op b0..b10" (held/reserved/resident/buddyinfo are 0 for malloc).    */

enum snap_field {
	SNAP_RSS, SNAP_LIVE, SNAP_HELD, SNAP_RESERVED, SNAP_RESIDENT, SNAP_SECS,
	SNAP_LAZY, SNAP_OP, SNAP_BUDDY,
};

static size_t rss_base;		/* child: RSS before the workload */

static size_t rss_now(void)
{
	size_t rss = bench_rss_bytes();

	return rss > rss_base ? rss - rss_base : 0;
}

static void node_cache_bytes(size_t *live, size_t *held)
{
	struct kmem_cache_stats st;

	kmem_cache_get_stats(xa_node_cache(), &st);
	*live = st.objects_in_use * st.object_size;
	*held = st.bytes_held;
}

/* One plot point: entry operations so far, RSS, node-cache bytes, live bytes. */
static void emit_sample(unsigned long op, size_t rss, size_t held, size_t live)
{
	emit("sample %lu %zu %zu %zu", op, rss, held, live);
}

static void uxa_sample(unsigned long op)
{
	size_t live, held;

	node_cache_bytes(&live, &held);
	emit_sample(op, rss_now(), held, live);
}

/* A uxa snapshot at @moment, after @secs of work, at entry operation @op. */
static void uxa_snapshot(const char *moment, double secs, unsigned long op)
{
	struct uxa_page_stats ps;
	char buddy[UXA_NR_ORDERS * 12], *b = buddy;
	size_t live, held, rss = rss_now();

	node_cache_bytes(&live, &held);
	uxa_page_get_stats(&ps);
	for (unsigned int i = 0; i < UXA_NR_ORDERS; i++)
		b += sprintf(b, " %lu", ps.free_blocks[i]);
	emit("snap.%s %zu %zu %zu %zu %zu %.6f %zu %lu%s", moment, rss, live, held,
	     ps.bytes_reserved, ps.bytes_resident, secs, lazyfree_bytes(), op, buddy);
	emit_sample(op, rss, held, live);
}

static void emit_cache_geometry(void)
{
	struct kmem_cache_stats ks;

	kmem_cache_get_stats(xa_node_cache(), &ks);
	emit("cache %u %u %u %u", ks.object_size, ks.size, ks.objects_per_slab, ks.order);
}

/* ------------------------------------------------------------------ */
/* Role "trace": record the node lifecycle.                            */

/*
 * Trace records are 32-bit: a type in the top two bits and a payload.
 * Allocation and free carry the node's id (ids are dense, in allocation
 * order, never reused); a sample carries the entry operation count; a
 * phase marker ends the fill (the first) or the erase (the second) and
 * carries the entry operation count there.
 */
enum trace_type { TR_ALLOC = 0, TR_FREE = 1, TR_SAMPLE = 2, TR_PHASE = 3 };
#define TR_PAYLOAD_MASK	((1u << 30) - 1)
#define TR_MAGIC	"uxafrag1"

struct trace_header {
	char magic[8];
	uint64_t nr_records;
	uint64_t nr_ids;
	uint32_t object_size;
	uint32_t nr_entries;
};

/* Node address -> id, open addressing with linear probing. */
struct node_map {
	uintptr_t *key;		/* 0: empty */
	uint32_t *id;
	unsigned int bits;
	size_t used;
};

struct trace_state {
	struct node_map map;
	uint32_t *rec;
	size_t nr, cap;
	uint32_t next_id;
	unsigned long live, allocs, frees;
	unsigned long anomalies;	/* count-0 report of a node never seen */
};

static struct trace_state trace;

static size_t map_slot(const struct node_map *m, uintptr_t key)
{
	return (size_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> (64 - m->bits));
}

static void map_init(struct node_map *m, unsigned int bits)
{
	m->bits = bits;
	m->used = 0;
	m->key = calloc((size_t)1 << bits, sizeof(*m->key));
	m->id = calloc((size_t)1 << bits, sizeof(*m->id));
	if (!m->key || !m->id) {
		fprintf(stderr, "frag: out of memory for the node map\n");
		exit(1);
	}
}

static void map_insert(struct node_map *m, uintptr_t key, uint32_t id);

static void map_grow(struct node_map *m)
{
	struct node_map old = *m;

	map_init(m, old.bits + 1);
	for (size_t i = 0; i < ((size_t)1 << old.bits); i++)
		if (old.key[i])
			map_insert(m, old.key[i], old.id[i]);
	free(old.key);
	free(old.id);
}

static void map_insert(struct node_map *m, uintptr_t key, uint32_t id)
{
	size_t mask, i;

	if (2 * (m->used + 1) > ((size_t)1 << m->bits))
		map_grow(m);
	mask = ((size_t)1 << m->bits) - 1;
	for (i = map_slot(m, key); m->key[i]; i = (i + 1) & mask)
		;
	m->key[i] = key;
	m->id[i] = id;
	m->used++;
}

/* Find @key; returns its slot or SIZE_MAX. */
static size_t map_find(const struct node_map *m, uintptr_t key)
{
	size_t mask = ((size_t)1 << m->bits) - 1;

	for (size_t i = map_slot(m, key); m->key[i]; i = (i + 1) & mask)
		if (m->key[i] == key)
			return i;
	return SIZE_MAX;
}

/* Delete slot @i, shifting later members of its probe run back (no tombstones). */
static void map_delete(struct node_map *m, size_t i)
{
	size_t mask = ((size_t)1 << m->bits) - 1;
	size_t j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!m->key[j])
			break;
		home = map_slot(m, m->key[j]);
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->key[i] = m->key[j];
			m->id[i] = m->id[j];
			i = j;
		}
	}
	m->key[i] = 0;
	m->used--;
}

static void trace_put(enum trace_type type, uint32_t payload)
{
	if (trace.nr == trace.cap) {
		trace.cap = trace.cap ? 2 * trace.cap : 1u << 20;
		trace.rec = realloc(trace.rec, trace.cap * sizeof(*trace.rec));
		if (!trace.rec) {
			fprintf(stderr, "frag: out of memory for the trace\n");
			exit(1);
		}
	}
	trace.rec[trace.nr++] = (uint32_t)type << 30 | (payload & TR_PAYLOAD_MASK);
}

/*
 * The xas_set_update() callback (xa_lock held): a node seen for the first
 * time was allocated; a node reported with count 0 is about to be freed.
 */
static void trace_update(struct xa_node *node)
{
	uintptr_t key = (uintptr_t)node;
	size_t slot = map_find(&trace.map, key);

	if (node->count == 0) {
		if (slot == SIZE_MAX) {
			trace.anomalies++;
			return;
		}
		trace_put(TR_FREE, trace.map.id[slot]);
		map_delete(&trace.map, slot);
		trace.live--;
		trace.frees++;
	} else if (slot == SIZE_MAX) {
		if (trace.next_id > TR_PAYLOAD_MASK) {
			fprintf(stderr, "frag: too many nodes for the trace format\n");
			exit(1);
		}
		map_insert(&trace.map, key, trace.next_id);
		trace_put(TR_ALLOC, trace.next_id++);
		trace.live++;
		trace.allocs++;
	}
}

static void trace_sample(unsigned long op)
{
	trace_put(TR_SAMPLE, (uint32_t)op);
}

/* Compare the trace's live count with the node cache's after a grace period. */
static void trace_check(const char *moment)
{
	struct kmem_cache_stats st;

	uxa_rcu_barrier();	/* retired nodes reach the slab */
	kmem_cache_get_stats(xa_node_cache(), &st);
	emit("check.%s %lu %lu", moment, trace.live, st.objects_in_use);
}

static void trace_write(const char *path, const struct workload *w)
{
	struct trace_header h;
	FILE *f = fopen(path, "wb");

	if (!f) {
		fprintf(stderr, "frag: cannot write the trace to %s: %s\n", path, strerror(errno));
		exit(1);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TR_MAGIC, sizeof(h.magic));
	h.nr_records = trace.nr;
	h.nr_ids = trace.next_id;
	h.object_size = (uint32_t)sizeof(struct xa_node);
	h.nr_entries = (uint32_t)w->nr_entries;
	if (fwrite(&h, sizeof(h), 1, f) != 1 ||
	    fwrite(trace.rec, sizeof(*trace.rec), trace.nr, f) != trace.nr || fclose(f)) {
		fprintf(stderr, "frag: writing the trace to %s failed\n", path);
		exit(1);
	}
}

static int role_trace(const struct frag_opts *o)
{
	struct workload w;
	struct workload_hooks h = { "trace", trace_update, trace_sample };
	struct uxa_page_stats ps;

	workload_init(&w, o);
	map_init(&trace.map, 16);
	workload_warm_up();
	emit_cache_geometry();

	workload_fill(&w, &h);
	trace_put(TR_PHASE, (uint32_t)w.nr_entries);
	trace_check("fill");
	uxa_page_get_stats(&ps);
	emit("peak %zu %zu", ps.bytes_reserved, ps.bytes_in_use);

	workload_erase(&w, &h);
	trace_put(TR_PHASE, (uint32_t)(w.nr_entries + w.nr_erase));
	trace_check("erase");
	emit("trace %lu %lu %lu %zu %lu", trace.allocs, trace.frees, trace.anomalies, trace.nr,
	     (unsigned long)sizeof(struct xa_node));
	trace_write(o->trace_path, &w);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Roles "uxa" and "uxa-nomig".                                        */

static size_t frag_limit;

/*
 * Allocate order-9 blocks with @gfp until one fails, then give them all
 * back. Emits "<key> count seconds compactions pages_moved compact_secs".
 */
static void count_high_order(const char *key, gfp_t gfp)
{
	size_t max = frag_limit / (UXA_PAGE_SIZE << FRAG_HIGH_ORDER) + 1;
	void **blocks = bench_xmalloc(max * sizeof(*blocks));
	struct uxa_page_stats before, after;
	uint64_t t0;
	size_t n = 0;
	double secs;

	uxa_page_get_stats(&before);
	t0 = bench_now_ns();
	while (n < max) {
		void *p = uxa_alloc_pages(gfp | __GFP_NOWARN, FRAG_HIGH_ORDER);

		if (!p)
			break;
		blocks[n++] = p;
		progress(gfp & __GFP_DIRECT_RECLAIM ? "order-9 blocks" : "order-9 blocks (no compaction)",
			 gfp & __GFP_DIRECT_RECLAIM ? "compacting" : "taking", n, max);
	}
	secs = secs_since(t0);
	uxa_page_get_stats(&after);
	for (size_t i = 0; i < n; i++)
		uxa_free_pages(blocks[i], FRAG_HIGH_ORDER);
	free(blocks);
	progress_clear();
	emit("%s %zu %.6f %lu %lu %.6f", key, n, secs, after.compactions - before.compactions,
	     after.compact_pages_moved - before.compact_pages_moved,
	     (double)(after.compact_ns - before.compact_ns) / 1e9);
}

/* Give the page allocator everything the node cache can spare, then the OS. */
static void uxa_give_back(void)
{
	kmem_cache_shrink(xa_node_cache());
	uxa_page_release_free();
}

/* Emit "<key> moved already_free failed refused reclaimed lock_holds secs wall pages busy". */
static void emit_migration(const char *key, const struct xa_migration_stats *m0,
			   const struct xa_migration_stats *m1, double wall, long pages)
{
	emit("%s %lu %lu %lu %lu %lu %lu %.9f %.9f %ld %lu", key,
	     m1->nodes_moved - m0->nodes_moved, m1->nodes_already_free - m0->nodes_already_free,
	     m1->nodes_failed - m0->nodes_failed, m1->slabs_refused - m0->slabs_refused,
	     m1->slabs_reclaimed - m0->slabs_reclaimed, m1->lock_holds - m0->lock_holds,
	     (double)(m1->ns - m0->ns) / 1e9, wall, pages, m1->arrays_busy - m0->arrays_busy);
}

/*
 * Defragment the node cache: xa_defrag_nodes(@pct) again while the last
 * pass left nodes in place (no copy, or their array's lock stayed busy)
 * and still freed pages. A pass isolates every candidate slab first, so
 * its copies need free pages elsewhere; under a tight limit the first pass
 * may run out, and the pages it frees let the next one finish. At most
 * FRAG_DEFRAG_PASSES.
 * Emits "migration.<n>" per pass and "migration" for the total.
 */
#define FRAG_DEFRAG_PASSES	4

static void defrag_passes(int pct)
{
	struct xa_migration_stats first, m0, m1;
	double total_wall = 0;
	long total_pages = 0;
	uint64_t start = bench_now_ns();
	int pass;

	xa_migration_get_stats(&first);
	m1 = first;
	for (pass = 1; pass <= FRAG_DEFRAG_PASSES; pass++) {
		char key[32];
		uint64_t t0 = bench_now_ns();
		long pages;
		double wall;

		progress("uxa", "xa_defrag_nodes", (unsigned long)pass - 1, FRAG_DEFRAG_PASSES);
		m0 = m1;
		pages = xa_defrag_nodes(pct);
		wall = secs_since(t0);
		xa_migration_get_stats(&m1);
		snprintf(key, sizeof(key), "migration.%d", pass);
		emit_migration(key, &m0, &m1, wall, pages);
		total_wall += wall;
		total_pages += pages > 0 ? pages : 0;
		if (pages <= 0 || (m1.nodes_failed == m0.nodes_failed &&
				   m1.arrays_busy == m0.arrays_busy))
			break;
	}
	progress_clear();
	/* CLOCK_MONOTONIC bounds, for "perf record -k CLOCK_MONOTONIC" + "perf report --time" */
	emit("window.defrag %.6f %.6f", (double)start / 1e9, (double)bench_now_ns() / 1e9);
	emit("passes %d", pass > FRAG_DEFRAG_PASSES ? FRAG_DEFRAG_PASSES : pass);
	emit_migration("migration", &first, &m1, total_wall, total_pages);
}

static int role_uxa(const struct frag_opts *o, bool migrate)
{
	const char *who = migrate ? "uxa" : "uxa, no defrag";
	struct workload w;
	struct workload_hooks h = { who, NULL, uxa_sample };
	uint64_t t0;
	int err;

	workload_init(&w, o);
	frag_limit = o->limit;
	err = uxa_page_set_limit(o->limit);
	if (err) {
		fprintf(stderr, "frag: uxa_page_set_limit(%zu): %s\n", o->limit, strerror(-err));
		return 1;
	}
	workload_warm_up();
	rss_base = bench_rss_bytes();
	uxa_sample(0);

	t0 = bench_now_ns();
	workload_fill(&w, &h);
	uxa_snapshot("fill", secs_since(t0), w.nr_entries);

	t0 = bench_now_ns();
	workload_erase(&w, &h);
	uxa_rcu_barrier();
	uxa_give_back();
	uxa_snapshot("erase", secs_since(t0), w.nr_entries + w.nr_erase);

	count_high_order("order9.erase.nowait", GFP_NOWAIT);
	if (!migrate) {
		count_high_order("order9.erase.kernel", GFP_KERNEL);
		return 0;
	}

	t0 = bench_now_ns();
	defrag_passes(o->pct);
	uxa_give_back();
	uxa_snapshot("defrag", secs_since(t0), w.nr_entries + w.nr_erase);
	count_high_order("order9.defrag.nowait", GFP_NOWAIT);
	count_high_order("order9.defrag.kernel", GFP_KERNEL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Role "replay": a malloc implementation replays the node lifecycle.  */

static uint32_t *trace_read(const char *path, struct trace_header *h)
{
	FILE *f = fopen(path, "rb");
	uint32_t *rec;

	if (!f || fread(h, sizeof(*h), 1, f) != 1 || memcmp(h->magic, TR_MAGIC, 8)) {
		fprintf(stderr, "frag: cannot read the trace %s\n", path);
		exit(1);
	}
	rec = bench_xmalloc(h->nr_records * sizeof(*rec));
	if (fread(rec, sizeof(*rec), h->nr_records, f) != h->nr_records) {
		fprintf(stderr, "frag: the trace %s is truncated\n", path);
		exit(1);
	}
	fclose(f);
	return rec;
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef void (*mi_collect_fn)(bool);
typedef bool (*mi_in_heap_fn)(const void *);

/* Check that @peer's malloc is the one in use; say why not on stderr. */
static bool peer_active(const char *peer)
{
	void *probe = malloc(sizeof(struct xa_node));
	bool ok = true;

	if (!strcmp(peer, "jemalloc")) {
		ok = dlsym(RTLD_DEFAULT, "mallctl") != NULL;
	} else if (!strcmp(peer, "mimalloc")) {
		mi_in_heap_fn in_heap = (mi_in_heap_fn)dlsym(RTLD_DEFAULT, "mi_is_in_heap_region");

		ok = in_heap && in_heap(probe);
	}
	if (!ok)
		fprintf(stderr, "frag: %s is not the malloc of this process (LD_PRELOAD failed?)\n",
			peer);
	emit("usable %zu", malloc_usable_size(probe));
	free(probe);
	return ok;
}

/* Let @peer return what it can to the OS; the way each one documents. */
static void peer_give_back(const char *peer)
{
	if (!strcmp(peer, "glibc")) {
		malloc_trim(0);
	} else if (!strcmp(peer, "jemalloc")) {
		mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");

		if (mallctl)
			emit("purge %d %d", mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
			     /* 4096: MALLCTL_ARENAS_ALL */
			     mallctl("arena.4096.purge", NULL, NULL, NULL, 0));
	} else if (!strcmp(peer, "mimalloc")) {
		mi_collect_fn collect = (mi_collect_fn)dlsym(RTLD_DEFAULT, "mi_collect");

		if (collect)
			collect(true);
	}
}

static void replay_snapshot(const char *moment, double secs, unsigned long op, size_t live)
{
	size_t rss = rss_now();

	emit("snap.%s %zu %zu 0 0 0 %.6f %zu %lu", moment, rss, live, secs, lazyfree_bytes(), op);
	emit_sample(op, rss, 0, live);
}

static int role_replay(const struct frag_opts *o)
{
	struct trace_header h;
	uint32_t *rec = trace_read(o->trace_path, &h);
	void **obj = bench_xmalloc(h.nr_ids * sizeof(*obj));
	size_t osize = h.object_size, live = 0;
	unsigned long op = 0, nr_fill = h.nr_entries;
	uint64_t t0;

	if (!peer_active(o->peer))
		return 3;
	memset(obj, 0, h.nr_ids * sizeof(*obj));	/* resident before the baseline */
	rss_base = bench_rss_bytes();
	emit_sample(0, rss_now(), 0, 0);

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < h.nr_records; i++) {
		uint32_t payload = rec[i] & TR_PAYLOAD_MASK;

		switch ((enum trace_type)(rec[i] >> 30)) {
		case TR_ALLOC:
			obj[payload] = malloc(osize);
			if (!obj[payload]) {
				fprintf(stderr, "frag: %s: out of memory\n", o->peer);
				return 1;
			}
			memset(obj[payload], 0, osize);	/* a node is written whole */
			live++;
			break;
		case TR_FREE:
			free(obj[payload]);
			obj[payload] = NULL;
			live--;
			break;
		case TR_SAMPLE:
			op = payload;
			emit_sample(op, rss_now(), 0, live * osize);
			progress(o->peer, op <= nr_fill ? "replay fill" : "replay erase", op,
				 nr_fill * 19 / 10);
			break;
		case TR_PHASE:
			op = payload;
			replay_snapshot(op == nr_fill ? "fill" : "erase", secs_since(t0), op,
					live * osize);
			t0 = bench_now_ns();
			break;
		}
	}
	progress_clear();
	t0 = bench_now_ns();
	peer_give_back(o->peer);
	replay_snapshot("trim", secs_since(t0), op, live * osize);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Role "readers": lookups while a defragmenter runs continuously.     */

struct readers_state {
	const struct workload *w;
	unsigned long *present;		/* entry numbers stored now */
	unsigned long nr_present;
	unsigned char *is_present;	/* by entry number */
	atomic_bool stop_all;
	atomic_bool stop_defrag;
	atomic_ulong reader_ops;
	atomic_ulong churn_ops;
	atomic_ulong defrag_calls;
	int pct;
};

static void *reader_main(void *arg)
{
	struct readers_state *s = arg;
	struct bench_rng rng;
	unsigned long done = 0;

	bench_rng_seed(&rng, 0x5eed);
	while (!atomic_load_explicit(&s->stop_all, memory_order_relaxed)) {
		for (int i = 0; i < 1024; i++) {
			unsigned long e = bench_rng_below(&rng, s->w->nr_entries);

			bench_keep(xa_load(entry_xa(e), entry_index(e)));
		}
		done += 1024;
		atomic_store_explicit(&s->reader_ops, done, memory_order_relaxed);
	}
	return NULL;
}

/* Erase a random stored entry and store a random absent one, paced. */
static void *churn_main(void *arg)
{
	struct readers_state *s = arg;
	const unsigned long batch = 64;
	struct bench_rng rng;
	uint64_t start = bench_now_ns();
	unsigned long done = 0;

	bench_rng_seed(&rng, 0xc4a2);
	while (!atomic_load_explicit(&s->stop_all, memory_order_relaxed)) {
		uint64_t due = start + (uint64_t)((double)(done + batch) / FRAG_CHURN_RATE * 1e9);
		struct timespec ts = { (time_t)(due / 1000000000u), (long)(due % 1000000000u) };

		for (unsigned long i = 0; i < batch; i++) {
			unsigned long slot = bench_rng_below(&rng, s->nr_present);
			unsigned long old = s->present[slot], e;

			frag_xa_set(entry_xa(old), entry_index(old), NULL, NULL);
			s->is_present[old] = 0;
			do
				e = bench_rng_below(&rng, s->w->nr_entries);
			while (s->is_present[e]);
			frag_xa_set(entry_xa(e), entry_index(e), xa_mk_value(e), NULL);
			s->is_present[e] = 1;
			s->present[slot] = e;
		}
		done += batch;
		atomic_store_explicit(&s->churn_ops, done, memory_order_relaxed);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return NULL;
}

static void *defrag_main(void *arg)
{
	struct readers_state *s = arg;

	while (!atomic_load_explicit(&s->stop_defrag, memory_order_relaxed)) {
		xa_defrag_nodes(s->pct);
		atomic_fetch_add_explicit(&s->defrag_calls, 1, memory_order_relaxed);
	}
	return NULL;
}

/* CPU time of the thread whose clock is @clock (pthread_getcpuclockid()). */
static double thread_cpu_seconds(clockid_t clock)
{
	struct timespec ts;

	if (clock == CLOCK_THREAD_CPUTIME_ID || clock_gettime(clock, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_seconds(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void spawn_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);

	if (err) {
		fprintf(stderr, "frag: pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

static int role_readers(const struct frag_opts *o)
{
	struct workload w;
	struct workload_hooks h = { "readers", NULL, NULL };
	struct readers_state *s = calloc(1, sizeof(*s));
	pthread_t reader, churn, defrag;
	double secs[2] = { 0, 0 }, cpu[2] = { 0, 0 };
	clockid_t reader_clock;
	unsigned long reads[2] = { 0, 0 }, churned[2] = { 0, 0 }, moved = 0, calls = 0;
	double move_ns = 0;
	const int rounds = FRAG_READER_ROUNDS;

	if (!s)
		return 1;
	workload_init(&w, o);
	w.sample_every = ~0ul;		/* no samples here */
	workload_warm_up();
	workload_fill(&w, &h);
	workload_erase(&w, &h);
	xa_defrag_nodes(o->pct);	/* start both phases from a compact cache */

	s->w = &w;
	s->pct = o->pct;
	s->is_present = calloc(w.nr_entries, 1);
	s->present = w.erase_order + w.nr_erase;
	s->nr_present = w.nr_entries - w.nr_erase;
	if (!s->is_present)
		return 1;
	for (unsigned long i = 0; i < s->nr_present; i++)
		s->is_present[s->present[i]] = 1;

	spawn_thread(&reader, reader_main, s);
	if (pthread_getcpuclockid(reader, &reader_clock))
		reader_clock = CLOCK_THREAD_CPUTIME_ID;	/* unusable: cpu stays 0 */
	spawn_thread(&churn, churn_main, s);
	sleep_seconds(0.2);	/* warm up: RCU registration, caches */
	for (int r = 0; r < rounds; r++) {
		for (int with = 0; with < 2; with++) {
			struct xa_migration_stats m0, m1;
			unsigned long r0, c0;
			double cpu0;
			uint64_t t0;

			progress("readers", with ? "with continuous defrag" : "without defrag",
				 (unsigned long)(r * 2 + with), (unsigned long)rounds * 2);
			atomic_store(&s->stop_defrag, false);
			xa_migration_get_stats(&m0);
			r0 = atomic_load(&s->reader_ops);
			c0 = atomic_load(&s->churn_ops);
			cpu0 = thread_cpu_seconds(reader_clock);
			t0 = bench_now_ns();
			if (with)
				spawn_thread(&defrag, defrag_main, s);
			sleep_seconds(o->seconds);
			reads[with] += atomic_load(&s->reader_ops) - r0;
			cpu[with] += thread_cpu_seconds(reader_clock) - cpu0;
			churned[with] += atomic_load(&s->churn_ops) - c0;
			secs[with] += secs_since(t0);
			xa_migration_get_stats(&m1);
			if (with) {
				atomic_store(&s->stop_defrag, true);
				pthread_join(defrag, NULL);
				moved += m1.nodes_moved - m0.nodes_moved;
				move_ns += (double)(m1.ns - m0.ns);
			}
		}
	}
	calls = atomic_load(&s->defrag_calls);
	atomic_store(&s->stop_all, true);
	pthread_join(reader, NULL);
	pthread_join(churn, NULL);
	progress_clear();
	emit("readers %lu %.6f %lu %.6f %lu %lu %lu %lu %.9f %.6f %.6f", reads[0], secs[0],
	     reads[1], secs[1], churned[0], churned[1], moved, calls, move_ns / 1e9, cpu[0],
	     cpu[1]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The parent: run the children, print the tables, the goals, the plot. */

static void run_child(struct child_run *c, const struct frag_opts *o, const char *role,
		      const char *peer, const char *preload, size_t limit, const char *trace_path)
{
	char entries[32], seed[32], pct[16], secs[32], lim[32], fdbuf[16];
	int fds[2];
	pid_t pid;
	FILE *in;
	char line[512];
	int status;

	if (pipe(fds)) {
		perror("frag: pipe");
		exit(1);
	}
	snprintf(entries, sizeof(entries), "%lu", o->entries);
	snprintf(seed, sizeof(seed), "%lu", o->seed);
	snprintf(pct, sizeof(pct), "%d", o->pct);
	snprintf(secs, sizeof(secs), "%g", o->seconds);
	snprintf(lim, sizeof(lim), "%zu", limit);
	snprintf(fdbuf, sizeof(fdbuf), "%d", fds[1]);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("frag: fork");
		exit(1);
	}
	if (pid == 0) {
		char *argv[] = {
			"frag", "--child", (char *)role, "--entries", entries, "--seed", seed,
			"--pct", pct, "--seconds", secs, "--limit", lim, "--result-fd", fdbuf,
			"--trace", (char *)(trace_path ? trace_path : "-"),
			"--peer", (char *)(peer ? peer : "-"), NULL,
		};

		close(fds[0]);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		execv("/proc/self/exe", argv);
		perror("frag: exec /proc/self/exe");
		_exit(127);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	if (!in) {
		perror("frag: fdopen");
		exit(1);
	}
	while (fgets(line, sizeof(line), in))
		child_parse_line(c, line);
	fclose(in);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	c->ran = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!c->ran) {
		if (WIFSIGNALED(status))
			printf("  [%s: killed by signal %d]\n", c->label, WTERMSIG(status));
		else
			printf("  [%s: exited with status %d]\n", c->label, WEXITSTATUS(status));
	}
}

static int child_main(const struct frag_opts *o)
{
	int rc;

	if (o->result_fd < 0) {
		fprintf(stderr, "frag: --child needs --result-fd\n");
		return 2;
	}
	result_out = fdopen(o->result_fd, "w");
	if (!result_out) {
		perror("frag: fdopen result fd");
		return 2;
	}
	if (!strcmp(o->role, "trace"))
		rc = role_trace(o);
	else if (!strcmp(o->role, "uxa"))
		rc = role_uxa(o, true);
	else if (!strcmp(o->role, "uxa-nomig"))
		rc = role_uxa(o, false);
	else if (!strcmp(o->role, "replay"))
		rc = role_replay(o);
	else if (!strcmp(o->role, "readers"))
		rc = role_readers(o);
	else {
		fprintf(stderr, "frag: unknown role '%s'\n", o->role);
		rc = 2;
	}
	fclose(result_out);
	return rc;
}

/* The runs, in the order they are made and printed. */
enum run_id { RUN_TRACE, RUN_UXA, RUN_NOMIG, RUN_GLIBC, RUN_JEMALLOC, RUN_MIMALLOC,
	      RUN_READERS, NR_RUNS };

static struct child_run runs[NR_RUNS] = {
	[RUN_TRACE] = { .label = "trace" },
	[RUN_UXA] = { .label = "uxa + xa_defrag_nodes" },
	[RUN_NOMIG] = { .label = "uxa, no defrag" },
	[RUN_GLIBC] = { .label = "glibc malloc" },
	[RUN_JEMALLOC] = { .label = "jemalloc" },
	[RUN_MIMALLOC] = { .label = "mimalloc" },
	[RUN_READERS] = { .label = "readers" },
};

static double snapv(enum run_id r, const char *moment, enum snap_field f)
{
	char key[32];

	snprintf(key, sizeof(key), "snap.%s", moment);
	return cval(&runs[r], key, f);
}

/* "12.3 MiB", or "n/a" for NaN. */
static const char *fmt_mib(char *buf, size_t len, double bytes)
{
	if (isnan(bytes))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.1f MiB", mib(bytes));
	return buf;
}

static const char *fmt_ratio(char *buf, size_t len, double r)
{
	if (isnan(r) || isinf(r))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.2fx", r);
	return buf;
}

static void print_trace(void)
{
	struct child_run *t = &runs[RUN_TRACE];
	double fill_t = cval(t, "check.fill", 0), fill_c = cval(t, "check.fill", 1);
	double er_t = cval(t, "check.erase", 0), er_c = cval(t, "check.erase", 1);

	printf("\nNode lifecycle (xas_set_update() trace): %.0f nodes allocated, %.0f freed, "
	       "%.0f records, %.0f unexpected count-0 reports\n",
	       cval(t, "trace", 0), cval(t, "trace", 1), cval(t, "trace", 3),
	       cval(t, "trace", 2));
	printf("  live nodes: after fill %.0f (node cache objects_in_use %.0f: %s), "
	       "after erase %.0f (objects_in_use %.0f: %s)\n",
	       fill_t, fill_c, fill_t == fill_c ? "equal" : "DIFFERENT", er_t, er_c,
	       er_t == er_c ? "equal" : "DIFFERENT");
}

static void memory_row(struct bench_table *t, enum run_id r, const char *moment,
		       const char *label)
{
	char a[24], b[24], c[24];
	double held = snapv(r, moment, SNAP_HELD), live = snapv(r, moment, SNAP_LIVE);

	bench_table_row(t, label);
	bench_table_cell(t, "%s", fmt_mib(a, sizeof(a), snapv(r, moment, SNAP_RSS)));
	bench_table_cell(t, "%s", fmt_mib(b, sizeof(b), held));
	bench_table_cell(t, "%s", fmt_mib(c, sizeof(c), live));
	bench_table_cell(t, "%s", fmt_ratio(a, sizeof(a), held / live));
	bench_table_cell(t, "%s", fmt_mib(b, sizeof(b), snapv(r, moment, SNAP_RESIDENT)));
	bench_table_cell(t, "%.3f s", snapv(r, moment, SNAP_SECS));
}

static void print_memory(int pct)
{
	struct bench_table *t = bench_table_new(
		"uxa memory (RSS above the process's baseline; node cache = bytes of slabs held; "
		"live = objects in use x object size)",
		"run, moment", "RSS", "node cache", "live nodes", "cache/live",
		"page alloc resident", "time", (const char *)NULL);
	char label[64];

	memory_row(t, RUN_UXA, "fill", "defrag run: after fill");
	memory_row(t, RUN_UXA, "erase", "defrag run: after erase 90% + shrink");
	snprintf(label, sizeof(label), "defrag run: after xa_defrag_nodes(%d)", pct);
	memory_row(t, RUN_UXA, "defrag", label);
	memory_row(t, RUN_NOMIG, "fill", "no-defrag run: after fill");
	memory_row(t, RUN_NOMIG, "erase", "no-defrag run: after erase 90% + shrink");
	t->note = "  (shrink = kmem_cache_shrink() + uxa_page_release_free(), in both runs)";
	bench_table_print(t, stdout);
}

static void buddy_row(struct bench_table *t, enum run_id r, const char *moment, const char *label)
{
	bench_table_row(t, label);
	for (unsigned int i = 0; i < UXA_NR_ORDERS; i++) {
		double v = snapv(r, moment, (enum snap_field)(SNAP_BUDDY + i));

		if (isnan(v))
			bench_table_cell(t, "-");
		else
			bench_table_cell(t, "%.0f", v);
	}
}

static void print_buddyinfo(void)
{
	struct bench_table *t = bench_table_new(
		"Page allocator buddyinfo: free blocks per order (order k = 4 KiB << k)",
		"moment", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
		(const char *)NULL);

	buddy_row(t, RUN_UXA, "fill", "after fill");
	buddy_row(t, RUN_NOMIG, "erase", "after erase (no defrag)");
	buddy_row(t, RUN_UXA, "defrag", "after xa_defrag_nodes");
	bench_table_print(t, stdout);
}

static void order9_row(struct bench_table *t, const char *label, enum run_id r_nowait,
		       const char *k_nowait, enum run_id r_kernel, const char *k_kernel)
{
	double n = cval(&runs[r_nowait], k_nowait, 0), k = cval(&runs[r_kernel], k_kernel, 0);

	bench_table_row(t, label);
	bench_table_cell(t, isnan(n) ? "n/a" : "%.0f", n);
	if (isnan(k)) {
		bench_table_cell(t, "not run");
		return;
	}
	bench_table_cell(t, "%.0f", k);
	bench_table_cell(t, "%.3f s", cval(&runs[r_kernel], k_kernel, 1));
	bench_table_cell(t, "%.0f", cval(&runs[r_kernel], k_kernel, 2));
	bench_table_cell(t, "%.0f", cval(&runs[r_kernel], k_kernel, 3));
}

static void print_order9(size_t limit)
{
	char title[160];
	struct bench_table *t;

	snprintf(title, sizeof(title),
		 "Order-9 (2 MiB) blocks under the page limit of %.0f MiB, until the first failure",
		 mib((double)limit));
	t = bench_table_new(title, "moment", "GFP_NOWAIT", "GFP_KERNEL (compaction)",
			    "compaction time", "compactions", "pages moved", (const char *)NULL);
	order9_row(t, "no-defrag run: after erase 90% + shrink", RUN_NOMIG, "order9.erase.nowait",
		   RUN_NOMIG, "order9.erase.kernel");
	order9_row(t, "defrag run: after erase 90% + shrink", RUN_UXA, "order9.erase.nowait",
		   RUN_UXA, "order9.erase.kernel");
	order9_row(t, "defrag run: after xa_defrag_nodes", RUN_UXA, "order9.defrag.nowait",
		   RUN_UXA, "order9.defrag.kernel");
	t->note = "  (GFP_NOWAIT takes only free blocks; GFP_KERNEL may compact: move nodes out of a"
		  " 2 MiB block.\n   Each count gives its blocks back. The defrag run does not compact"
		  " before xa_defrag_nodes,\n   so that the defragmentation starts from the erase's"
		  " layout.)";
	bench_table_print(t, stdout);
}

/* Nodes per second of one migrating thread, from the migration counters. */
static double migration_rate(void)
{
	return cval(&runs[RUN_UXA], "migration", 0) / cval(&runs[RUN_UXA], "migration", 6);
}

static void print_migration(int pct)
{
	struct child_run *u = &runs[RUN_UXA];
	double moved = cval(u, "migration", 0), ns = cval(u, "migration", 6) * 1e9;
	double wall = cval(u, "migration", 7);

	printf("\nNode migration, xa_defrag_nodes(%d), %.0f pass(es) (xa_migration_get_stats() "
	       "deltas):\n", pct, cval(u, "passes", 0));
	printf("  nodes moved %.0f, already free %.0f, failed (no copy) %.0f, array busy %.0f; "
	       "slabs reclaimed %.0f, refused %.0f; array lock holds %.0f; pages freed %.0f\n",
	       moved, cval(u, "migration", 1), cval(u, "migration", 2), cval(u, "migration", 9),
	       cval(u, "migration", 4), cval(u, "migration", 3), cval(u, "migration", 5),
	       cval(u, "migration", 8));
	printf("  time moving %.3f ms (%.0f ns/node, %.2f M nodes/s); wall time of the calls "
	       "%.3f ms (%.2f M nodes/s, including isolation, RCU barrier, slab release)\n",
	       ns / 1e6, ns / moved, migration_rate() / 1e6, wall * 1e3, moved / wall / 1e6);
	for (int pass = 1; pass <= FRAG_DEFRAG_PASSES; pass++) {
		char key[32];

		snprintf(key, sizeof(key), "migration.%d", pass);
		if (!child_get(u, key))
			break;
		printf("  pass %d: moved %.0f, failed (no copy) %.0f, array busy %.0f, slabs "
		       "reclaimed %.0f, pages freed %.0f, %.3f ms\n", pass, cval(u, key, 0),
		       cval(u, key, 2), cval(u, key, 9), cval(u, key, 4), cval(u, key, 8),
		       cval(u, key, 7) * 1e3);
	}
}

struct giveback {
	double rss_fill, rss_after, live_fill, live_after, lazy;
};

static bool giveback_of(enum run_id r, const char *after, struct giveback *g)
{
	g->rss_fill = snapv(r, "fill", SNAP_RSS);
	g->live_fill = snapv(r, "fill", SNAP_LIVE);
	g->rss_after = snapv(r, after, SNAP_RSS);
	g->live_after = snapv(r, after, SNAP_LIVE);
	g->lazy = snapv(r, after, SNAP_LAZY);
	return !isnan(g->rss_after) && !isnan(g->rss_fill);
}

/* Fraction of the freed node memory that left the resident set. */
static double returned_fraction(const struct giveback *g)
{
	return (g->rss_fill - g->rss_after) / (g->live_fill - g->live_after);
}

static void print_peers(void)
{
	static const struct { enum run_id run; const char *after; const char *how; } rows[] = {
		{ RUN_UXA, "defrag", "xa_defrag_nodes + shrink" },
		{ RUN_NOMIG, "erase", "kmem_cache_shrink" },
		{ RUN_GLIBC, "trim", "malloc_trim(0)" },
		{ RUN_JEMALLOC, "trim", "arena.4096.purge" },
		{ RUN_MIMALLOC, "trim", "mi_collect(true)" },
	};
	char title[128];
	struct bench_table *t;
	struct giveback ref;
	bool have_ref = giveback_of(RUN_UXA, "defrag", &ref);

	snprintf(title, sizeof(title), "After the erase, each allocator gives back what it can "
		 "(same node lifecycle, %zu-byte objects)", sizeof(struct xa_node));
	t = bench_table_new(title,
		"allocator", "given back by", "resident at peak", "resident after", "live",
		"resident/live", "freed memory returned", "vs uxa+defrag", "LazyFree",
		(const char *)NULL);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct giveback g;
		char a[24];

		bench_table_row(t, runs[rows[i].run].label);
		bench_table_cell(t, "%s", rows[i].how);
		if (!giveback_of(rows[i].run, rows[i].after, &g)) {
			bench_table_cell(t, "%s", runs[rows[i].run].ran ? "n/a" : "did not run");
			continue;
		}
		bench_table_cell(t, "%s", fmt_mib(a, sizeof(a), g.rss_fill));
		bench_table_cell(t, "%s", fmt_mib(a, sizeof(a), g.rss_after));
		bench_table_cell(t, "%s", fmt_mib(a, sizeof(a), g.live_after));
		bench_table_cell(t, "%s", fmt_ratio(a, sizeof(a), g.rss_after / g.live_after));
		bench_table_cell(t, "%.1f%%", 100.0 * returned_fraction(&g));
		bench_table_cell(t, "%s", have_ref ? fmt_ratio(a, sizeof(a),
							       g.rss_after / ref.rss_after) : "n/a");
		bench_table_cell(t, "%s", fmt_mib(a, sizeof(a), g.lazy));
	}
	t->note = "  (resident = RSS above the run's baseline; LazyFree = MADV_FREE'd pages still"
		  " counted in RSS)";
	bench_table_print(t, stdout);
	for (enum run_id r = RUN_GLIBC; r <= RUN_MIMALLOC; r++)
		if (runs[r].ran)
			printf("  %s: malloc_usable_size(%zu) = %.0f; replay of the fill %.3f s, "
			       "of the erase %.3f s\n", runs[r].label, sizeof(struct xa_node),
			       cval(&runs[r], "usable", 0), snapv(r, "fill", SNAP_SECS),
			       snapv(r, "erase", SNAP_SECS));
	if (runs[RUN_JEMALLOC].ran)
		printf("  jemalloc: mallctl() returned %.0f (thread.tcache.flush) and %.0f "
		       "(arena.4096.purge); 0 is success\n", cval(&runs[RUN_JEMALLOC], "purge", 0),
		       cval(&runs[RUN_JEMALLOC], "purge", 1));
}

/* Reader throughput with continuous defrag over without it (NaN if not run). */
static double readers_ratio(void)
{
	struct child_run *c = &runs[RUN_READERS];

	return (cval(c, "readers", 2) / cval(c, "readers", 3)) /
	       (cval(c, "readers", 0) / cval(c, "readers", 1));
}

static void print_readers(const struct frag_opts *o)
{
	struct child_run *c = &runs[RUN_READERS];
	double without = cval(c, "readers", 0) / cval(c, "readers", 1);
	double with = cval(c, "readers", 2) / cval(c, "readers", 3);
	double moved = cval(c, "readers", 6), move_s = cval(c, "readers", 8);

	printf("\nConcurrent: 1 reader (random xa_load) + churn writer (%.0f erase+store pairs/s)"
	       ", with and without a thread running xa_defrag_nodes(%d) back to back\n",
	       FRAG_CHURN_RATE, o->pct);
	printf("  (%d x %.2f s each, alternating, after the same fill and 90%% erase)\n",
	       FRAG_READER_ROUNDS, o->seconds);
	printf("  reader: %.2f M lookups/s without defrag, %.2f M lookups/s with: %.1f%%\n",
	       without / 1e6, with / 1e6, 100.0 * with / without);
	printf("  the reader had a CPU %.0f%% / %.0f%% of the time; per second of its CPU time: "
	       "%.2f / %.2f M lookups (%.1f%%)\n",
	       100.0 * cval(c, "readers", 9) / cval(c, "readers", 1),
	       100.0 * cval(c, "readers", 10) / cval(c, "readers", 3),
	       cval(c, "readers", 0) / cval(c, "readers", 9) / 1e6,
	       cval(c, "readers", 2) / cval(c, "readers", 10) / 1e6,
	       100.0 * (cval(c, "readers", 2) / cval(c, "readers", 10)) /
		       (cval(c, "readers", 0) / cval(c, "readers", 9)));
	printf("  churn: %.0f / %.0f pairs/s; defragmenter: %.0f calls, %.0f nodes moved "
	       "(%.2f M nodes/s while moving)\n",
	       cval(c, "readers", 4) / cval(c, "readers", 1),
	       cval(c, "readers", 5) / cval(c, "readers", 3), cval(c, "readers", 7), moved,
	       moved / move_s / 1e6);
}

static void print_goals(void)
{
	struct giveback g;
	double ratio = snapv(RUN_UXA, "defrag", SNAP_HELD) / snapv(RUN_UXA, "defrag", SNAP_LIVE);
	double back = giveback_of(RUN_UXA, "defrag", &g) ? returned_fraction(&g) : NAN;

	bench_goal("after defrag: node-cache bytes / live node bytes", ratio, BENCH_AT_MOST, 1.10);
	bench_goal("freed node memory back to the OS (RSS), fraction", back, BENCH_AT_LEAST, 0.90);
	bench_goal("node migrations per second, one thread (millions)", migration_rate() / 1e6,
		   BENCH_AT_LEAST, 2.0);
	bench_goal("reader lookups with continuous defrag / without", readers_ratio(),
		   BENCH_AT_LEAST, 0.80);
	bench_goals_print(stdout, "Goals");
}

/* ------------------------------------------------------------------ */
/* The plot.                                                           */

static const struct { enum run_id run; unsigned int col; const char *final; const char *title; }
plot_series[] = {
	/* drawn in this order: the last on top */
	{ RUN_MIMALLOC, 1, "trim", "mimalloc (mi\\_collect): RSS" },
	{ RUN_JEMALLOC, 1, "trim", "jemalloc (purge): RSS" },
	{ RUN_GLIBC, 1, "trim", "glibc (malloc\\_trim): RSS" },
	{ RUN_NOMIG, 1, "erase", "uxa, no defrag: RSS" },
	{ RUN_GLIBC, 3, "trim", "live node bytes (the trace)" },
	{ RUN_UXA, 2, "defrag", "uxa + xa\\_defrag\\_nodes: node cache" },
	{ RUN_UXA, 1, "defrag", "uxa + xa\\_defrag\\_nodes: RSS" },
};

#define NR_PLOT_SERIES	(sizeof(plot_series) / sizeof(plot_series[0]))

/*
 * frag.dat: one block per series (gnuplot "index"), each line "x MiB" with x
 * in millions of entry operations; the series' last point, after the give
 * back, sits at x_final.
 */
static bool write_plot_data(const char *path, double x_final)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fprintf(f, "# frag: memory over the run; x = entry operations (millions), y = MiB\n");
	for (size_t s = 0; s < NR_PLOT_SERIES; s++) {
		const struct child_run *c = &runs[plot_series[s].run];
		double last;

		fprintf(f, "%s# %s\n", s ? "\n\n" : "", plot_series[s].title);
		for (size_t i = 0; i < c->nr; i++)
			if (!strcmp(c->lines[i].key, "sample") && c->lines[i].n >= 4)
				fprintf(f, "%.4f %.3f\n", c->lines[i].v[0] / 1e6,
					mib(c->lines[i].v[plot_series[s].col]));
		last = plot_series[s].col == 1 ? snapv(plot_series[s].run, plot_series[s].final,
							SNAP_RSS)
		       : plot_series[s].col == 2 ? snapv(plot_series[s].run, plot_series[s].final,
							 SNAP_HELD)
						 : snapv(plot_series[s].run, plot_series[s].final,
							 SNAP_LIVE);
		if (!isnan(last))
			fprintf(f, "%.4f %.3f\n", x_final, mib(last));
		else
			fprintf(f, "%.4f %.3f\n", 0.0, 0.0);	/* keeps the index valid */
	}
	return fclose(f) == 0;
}

static void render_plot(const struct frag_opts *o, const struct workload *w)
{
	double x_fill = (double)w->nr_entries / 1e6;
	double x_erase = (double)(w->nr_entries + w->nr_erase) / 1e6;
	double x_final = x_erase * 1.06;
	char cwd[512];
	FILE *gp;
	int status;

	if (!write_plot_data("frag.dat", x_final)) {
		printf("\nPlot: cannot write frag.dat here: %s\n", strerror(errno));
		return;
	}
	fflush(stdout);
	gp = popen("gnuplot 2>/dev/null", "w");
	if (!gp) {
		printf("\nPlot: data in ./frag.dat; gnuplot could not be started\n");
		return;
	}
	fprintf(gp,
		"set title 'frag: memory over the run (%lu entries; fill, erase 90%% at random, "
		"then defrag / trim)'\n"
		"set xlabel 'entry operations (millions)'\n"
		"set ylabel 'MiB'\n"
		"set grid\n"
		"set key at graph 0.62, graph 0.06 right bottom box opaque\n"
		"set yrange [0:*]\n"
		"set xrange [0:%.4f]\n"
		"set arrow 1 from %.4f, graph 0 to %.4f, graph 1 nohead dashtype 2\n"
		"set arrow 2 from %.4f, graph 0 to %.4f, graph 1 nohead dashtype 2\n"
		"set label 1 'fill' at %.4f, graph 0.04 center\n"
		"set label 2 'erase 90%%' at %.4f, graph 0.04 center\n"
		"set label 3 'after' at %.4f, graph 0.04 center\n",
		o->entries, x_final * 1.02, x_fill, x_fill, x_erase, x_erase, x_fill / 2,
		(x_fill + x_erase) / 2, (x_erase + x_final) / 2);
	fprintf(gp, "plot ");
	for (size_t s = 0; s < NR_PLOT_SERIES; s++)
		fprintf(gp, "%s'frag.dat' index %zu using 1:2 with linespoints pointsize 0.4 "
			"linewidth 2 title '%s'", s ? ", \\\n     " : "", s, plot_series[s].title);
	fprintf(gp, "\n"
		"set terminal svg size 1100,650 dynamic enhanced font 'sans,12' background '#ffffff'\n"
		"set output 'frag.svg'\n"
		"replot\n"
		"set terminal pngcairo size 1100,650 enhanced font 'sans,10'\n"
		"set output 'frag.png'\n"
		"replot\n"
		"unset output\n");
	status = pclose(gp);
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), ".");
	if (status == 0)
		printf("\nPlot: memory over the run written to %s/frag.svg and %s/frag.png "
		       "(data %s/frag.dat)\n", cwd, cwd, cwd);
	else
		printf("\nPlot: data in %s/frag.dat; gnuplot failed or is missing (status %d), "
		       "so no frag.svg\n", cwd, status);
}

/* The 1-minute load average: timings mean little when it exceeds the cores. */
static double load_average(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = NAN;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = NAN;
		fclose(f);
	}
	return l;
}

static bool file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static int parent_main(const struct frag_opts *o)
{
	struct workload w;
	char trace_path[] = "/tmp/frag-trace-XXXXXX";
	size_t chunk = UXA_PAGE_SIZE << UXA_MAX_ORDER, peak, limit;
	int fd = mkstemp(trace_path);
	uint64_t t0 = bench_now_ns();
	double load_start = load_average();

	if (fd < 0) {
		perror("frag: mkstemp");
		return 1;
	}
	close(fd);
	w.nr_entries = o->entries;
	w.nr_erase = o->entries / 100 * FRAG_ERASE_PERCENT +
		     o->entries % 100 * FRAG_ERASE_PERCENT / 100;

	printf("frag: XArray node fragmentation, and what moving nodes gives back\n");
	printf("workload: %lu value entries in two XArrays, stored in order: %lu dense "
	       "(64 per leaf node), %lu sparse (one per %lu indices: a leaf node each);\n"
	       "          then a random %d%% (%lu) erased, seed %lu. Node: struct xa_node, "
	       "%zu bytes.%s\n",
	       w.nr_entries, w.nr_entries - w.nr_entries / FRAG_SPARSE_EVERY,
	       w.nr_entries / FRAG_SPARSE_EVERY, (unsigned long)FRAG_SPARSE_STRIDE,
	       FRAG_ERASE_PERCENT, w.nr_erase, o->seed, sizeof(struct xa_node),
	       o->quick ? " (--quick)" : "");

	run_child(&runs[RUN_TRACE], o, "trace", NULL, NULL, 0, trace_path);
	if (!runs[RUN_TRACE].ran) {
		unlink(trace_path);
		printf("frag: the trace run failed; nothing to compare\n");
		return 0;
	}
	print_trace();
	peak = (size_t)cval(&runs[RUN_TRACE], "peak", 0);
	limit = (peak + peak / 32 + chunk - 1) / chunk * chunk;
	printf("node cache: object size %.0f (laid out %.0f), %.0f objects per slab of order %.0f\n",
	       cval(&runs[RUN_TRACE], "cache", 0), cval(&runs[RUN_TRACE], "cache", 1),
	       cval(&runs[RUN_TRACE], "cache", 2), cval(&runs[RUN_TRACE], "cache", 3));
	printf("page limit: %.0f MiB (the trace run's page-allocator peak %.1f MiB, +3%%, "
	       "in %zu MiB chunks), set before the fill\n",
	       mib((double)limit), mib((double)peak), chunk >> 20);

	run_child(&runs[RUN_UXA], o, "uxa", NULL, NULL, limit, NULL);
	run_child(&runs[RUN_NOMIG], o, "uxa-nomig", NULL, NULL, limit, NULL);
	run_child(&runs[RUN_GLIBC], o, "replay", "glibc", NULL, 0, trace_path);
	if (file_exists(jemalloc_path))
		run_child(&runs[RUN_JEMALLOC], o, "replay", "jemalloc", jemalloc_path, 0,
			  trace_path);
	else
		printf("  [jemalloc: %s not installed]\n", jemalloc_path);
	if (file_exists(mimalloc_path))
		run_child(&runs[RUN_MIMALLOC], o, "replay", "mimalloc", mimalloc_path, 0,
			  trace_path);
	else
		printf("  [mimalloc: %s not installed]\n", mimalloc_path);
	unlink(trace_path);
	run_child(&runs[RUN_READERS], o, "readers", NULL, NULL, 0, NULL);

	print_memory(o->pct);
	print_buddyinfo();
	print_order9(limit);
	print_migration(o->pct);
	print_peers();
	print_readers(o);
	print_goals();
	render_plot(o, &w);
	printf("total time %.1f s; load average %.2f at the start, %.2f at the end, on %ld CPUs "
	       "(timings are only meaningful when it stays below the CPU count)\n",
	       secs_since(t0), load_start, load_average(), sysconf(_SC_NPROCESSORS_ONLN));
	return 0;
}

int main(int argc, char **argv)
{
	struct frag_opts o;

	parse_opts(argc, argv, &o);
	progress_on = isatty(STDERR_FILENO);
	if (o.role)
		return child_main(&o);
	return parent_main(&o);
}
