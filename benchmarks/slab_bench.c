/* SPDX-License-Identifier: MIT */
/*
 * slab_bench.c - uxa's kmem_cache beside glibc malloc, jemalloc and mimalloc.
 *
 * Two measurements, each allocator in its own child process:
 *
 *  1. Throughput: ns per alloc+free pair for 64, 576 and 4096-byte objects,
 *     with 1 and 2 threads. Each thread allocates a batch of 512 objects
 *     (writing a word into each), then frees them in a shuffled order. In
 *     the 1-thread case a second thread stays alive (blocked), because
 *     glibc takes a lock-free single-thread path while the process has
 *     only ever had one thread, which no real multi-threaded user gets.
 *
 *  2. Fragmentation: allocate 2M objects of 576 bytes (each fully written),
 *     free a random 90%, then let the allocator give memory back:
 *       uxa            kmem_cache_shrink() + uxa_page_release_free()
 *       uxa + defrag   the same cache made mobile through a handle table:
 *                      objects are reached only through handles; reclaim
 *                      moves an object and rewrites its handle; then
 *                      kmem_cache_defrag() and the same release
 *       glibc          malloc_trim(0)
 *       jemalloc       mallctl("arena.<all>.purge") after a tcache flush
 *       mimalloc       mi_collect(true)
 *     Reported: bytes held / live bytes (held = resident-set growth over
 *     the baseline, the same yardstick for everyone; for uxa also the
 *     cache's own bytes_held) and RSS before and after.
 *
 * Why child processes: jemalloc and mimalloc replace malloc when linked or
 * preloaded, so one process cannot hold all three. The parent re-executes
 * itself per allocator and measurement ("--child NAME tput|frag"), with
 * LD_PRELOAD set to the peer's Debian library for jemalloc and mimalloc, so
 * each peer runs as its users run it, in a fresh process whose RSS belongs
 * to that allocator alone. The child writes its numbers as text lines on a
 * pipe. Throughput children run in rounds (3; 1 with --quick), allocators
 * interleaved, and each figure is the best of its rounds: on a shared
 * machine every allocator then sees the same background load.
 *
 * Goals (printed with PASS/MISS, never asserted): alloc+free at 576 B no
 * slower than glibc (1 thread, second thread alive); bytes held after
 * defrag within 1.10x of live bytes; RSS falling by as much as the cache's
 * bytes held.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <uxa/page.h>
#include <uxa/slab.h>

#include "bench_common.h"

static const char usage[] =
	"usage: slab_bench [--quick]\n"
	"  Compares uxa's kmem_cache with glibc malloc, jemalloc and mimalloc\n"
	"  (the peers run in child processes with LD_PRELOAD).\n"
	"  --quick  fewer operations and 200K instead of 2M objects (seconds)\n";

#define LIBDIR		"/usr/lib/x86_64-linux-gnu/"

enum alloc_id { A_UXA, A_GLIBC, A_JEMALLOC, A_MIMALLOC, NR_ALLOCS };

static const struct {
	const char *name;
	const char *preload;	/* NULL: none */
} allocs[NR_ALLOCS] = {
	[A_UXA] = { "uxa", NULL },
	[A_GLIBC] = { "glibc", NULL },
	[A_JEMALLOC] = { "jemalloc", LIBDIR "libjemalloc.so.2" },
	[A_MIMALLOC] = { "mimalloc", LIBDIR "libmimalloc.so.2" },
};

static const unsigned int sizes[] = { 64, 576, 4096 };
#define NR_SIZES	(sizeof(sizes) / sizeof(sizes[0]))
#define BATCH		512
#define FRAG_SIZE	576

/* ------------------------------------------------------------------ */
/* Child: throughput.                                                  */

struct tput_ctx {
	enum alloc_id id;
	struct kmem_cache *cache;	/* uxa only */
	unsigned int size;
	unsigned long rounds;		/* batches per thread */
	pthread_barrier_t start;
	double ns_per_pair[2];
};

struct tput_thread {
	struct tput_ctx *c;
	unsigned int idx;
};

/*
 * The measured loop, specialised (always inlined with a constant @uxa) so
 * that neither side pays an indirect call.
 */
static inline __attribute__((always_inline))
void tput_loop(struct tput_ctx *c, bool uxa, const unsigned int *perm, unsigned long rounds)
{
	void *obj[BATCH];

	for (unsigned long r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < BATCH; i++) {
			void *p = uxa ? kmem_cache_alloc(c->cache, GFP_KERNEL) : malloc(c->size);

			if (!p) {
				fprintf(stderr, "slab_bench: allocation failed\n");
				exit(1);
			}
			*(volatile unsigned long *)p = i;
			obj[i] = p;
		}
		for (unsigned int i = 0; i < BATCH; i++) {
			if (uxa)
				kmem_cache_free(c->cache, obj[perm[i]]);
			else
				free(obj[perm[i]]);
		}
	}
}

static void *tput_thread_fn(void *arg)
{
	struct tput_thread *th = arg;
	struct tput_ctx *c = th->c;
	bool uxa = c->id == A_UXA;
	unsigned int perm[BATCH];
	unsigned long tmp[BATCH];
	struct bench_rng rng;
	uint64_t t0;

	bench_rng_seed(&rng, 42 + th->idx);
	for (unsigned int i = 0; i < BATCH; i++)
		tmp[i] = i;
	bench_shuffle(tmp, BATCH, &rng);
	for (unsigned int i = 0; i < BATCH; i++)
		perm[i] = (unsigned int)tmp[i];

	/* Warm-up: the allocator's caches and pages, not the timing. */
	if (uxa)
		tput_loop(c, true, perm, 4);
	else
		tput_loop(c, false, perm, 4);
	pthread_barrier_wait(&c->start);
	t0 = bench_now_ns();
	if (uxa)
		tput_loop(c, true, perm, c->rounds);
	else
		tput_loop(c, false, perm, c->rounds);
	c->ns_per_pair[th->idx] = (double)bench_elapsed_ns(t0) / ((double)c->rounds * BATCH);
	return NULL;
}

/* A thread that only exists: blocks on a pipe until the measurement ends. */
static void *idle_thread_fn(void *arg)
{
	char byte;

	while (read(*(int *)arg, &byte, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static double tput_run(enum alloc_id id, unsigned int size, unsigned int threads,
		       unsigned long pairs)
{
	struct tput_ctx c = { .id = id, .size = size, .rounds = pairs / BATCH };
	struct tput_thread th[2];
	pthread_t tid[2], idle;
	int idle_pipe[2];
	double ns = 0;

	if (id == A_UXA) {
		char name[32];

		snprintf(name, sizeof(name), "bench-%u", size);
		c.cache = kmem_cache_create(name, size, 0, 0, NULL);
		if (!c.cache) {
			fprintf(stderr, "slab_bench: kmem_cache_create failed\n");
			exit(1);
		}
	}
	if (pipe(idle_pipe) || pthread_create(&idle, NULL, idle_thread_fn, &idle_pipe[0])) {
		fprintf(stderr, "slab_bench: cannot start the idle thread\n");
		exit(1);
	}
	pthread_barrier_init(&c.start, NULL, threads);
	for (unsigned int i = 0; i < threads; i++) {
		th[i] = (struct tput_thread){ .c = &c, .idx = i };
		pthread_create(&tid[i], NULL, tput_thread_fn, &th[i]);
	}
	for (unsigned int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		ns += c.ns_per_pair[i] / threads;
	}
	pthread_barrier_destroy(&c.start);
	close(idle_pipe[1]);
	pthread_join(idle, NULL);
	close(idle_pipe[0]);
	if (c.cache)
		kmem_cache_destroy(c.cache);
	return ns;
}

/* ------------------------------------------------------------------ */
/* Child: fragmentation, with a handle-table mobility user for uxa.    */

/*
 * The handle table: the only way the program reaches its objects. Each
 * object records its handle in its first word, so reclaim() can find the
 * handle to rewrite.
 *
 * @lock protects @slot[] and the objects' lifetime: whoever frees an object
 * or moves it holds it. Lock order: handle-table lock -> the cache's locks
 * (reclaim() allocates and frees with it held; can_free() only trylocks it
 * under the slab lock, so no inversion).
 */
struct handle_table {
	pthread_mutex_t lock;
	void **slot;
	size_t n;
	unsigned long moved;
};

struct frag_obj {
	size_t handle;
	unsigned char payload[FRAG_SIZE - sizeof(size_t)];
};

/* Phase one: the table lock is the existence guarantee for every object. */
static bool ht_can_free(struct kmem_cache *s, void **objects, unsigned int nr, void *private)
{
	struct handle_table *ht = private;

	(void)s;
	(void)objects;
	(void)nr;
	return pthread_mutex_trylock(&ht->lock) == 0;
}

/* Phase two: move each object, rewrite its handle, drop the guarantee. */
static void ht_reclaim(struct kmem_cache *s, void **objects, unsigned int nr, void *private)
{
	struct handle_table *ht = private;

	for (unsigned int i = 0; i < nr; i++) {
		struct frag_obj *old = objects[i];
		struct frag_obj *new = kmem_cache_alloc(s, GFP_KERNEL);

		if (!new)	/* cannot move it: it stays, and its slab with it */
			continue;
		memcpy(new, old, sizeof(*new));
		ht->slot[old->handle] = new;
		kmem_cache_free(s, old);
		ht->moved++;
	}
	pthread_mutex_unlock(&ht->lock);
}

/* Bookkeeping arrays come from mmap, so no allocator under test holds them. */
static void *map_array(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "slab_bench: mmap of %zu bytes failed\n", bytes);
		exit(1);
	}
	memset(p, 0, bytes);	/* resident now: part of the baseline */
	return p;
}

/* Let a malloc peer give memory back, by its own documented means. */
static void peer_release(enum alloc_id id)
{
	if (id == A_GLIBC) {
		malloc_trim(0);
	} else if (id == A_JEMALLOC) {
		int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
			(int (*)(const char *, void *, size_t *, void *, size_t))
			dlsym(RTLD_DEFAULT, "mallctl");

		if (mallctl) {
			mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
			/* 4096 = MALLCTL_ARENAS_ALL */
			mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
		}
	} else if (id == A_MIMALLOC) {
		void (*mi_collect)(bool) = (void (*)(bool))dlsym(RTLD_DEFAULT, "mi_collect");

		if (mi_collect)
			mi_collect(true);
	}
}

static size_t uxa_cache_bytes(struct kmem_cache *s)
{
	struct kmem_cache_stats st;

	kmem_cache_get_stats(s, &st);
	return st.bytes_held;
}

static void uxa_release(struct kmem_cache *s)
{
	kmem_cache_shrink(s);
	uxa_page_release_free();
}

/* One result line: label live held_rss held_own rss_before rss_after. */
static void frag_report(const char *label, size_t live, size_t base, size_t rss_before,
			size_t rss_after, size_t own)
{
	printf("frag %s %zu %zu %zu %zu %zu\n", label, live, rss_after - base, own,
	       rss_before - base, rss_after - base);
}

static void frag_run(enum alloc_id id, size_t n)
{
	struct handle_table ht = { .n = n };
	unsigned long *order = map_array(n * sizeof(unsigned long));
	struct kmem_cache *s = NULL;
	size_t base, rss_full, rss_freed, live, own = 0;
	struct bench_rng rng;

	pthread_mutex_init(&ht.lock, NULL);
	ht.slot = map_array(n * sizeof(void *));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	bench_rng_seed(&rng, 576);
	bench_shuffle(order, n, &rng);
	if (id == A_UXA) {
		s = kmem_cache_create("bench-frag", FRAG_SIZE, 0, 0, NULL);
		if (!s || kmem_cache_setup_mobility(s, ht_can_free, ht_reclaim, &ht)) {
			fprintf(stderr, "slab_bench: cannot create the mobile cache\n");
			exit(1);
		}
	}
	base = bench_rss_bytes();

	for (size_t i = 0; i < n; i++) {
		struct frag_obj *o = s ? kmem_cache_alloc(s, GFP_KERNEL) : malloc(sizeof(*o));

		if (!o) {
			fprintf(stderr, "slab_bench: allocation %zu failed\n", i);
			exit(1);
		}
		o->handle = i;
		memset(o->payload, (int)(i & 0xff), sizeof(o->payload));
		ht.slot[i] = o;
	}
	rss_full = bench_rss_bytes();

	/* Free a random 90%, as a user would: under the handle-table lock. */
	pthread_mutex_lock(&ht.lock);
	for (size_t i = 0; i < n - n / 10; i++) {
		void *o = ht.slot[order[i]];

		ht.slot[order[i]] = NULL;
		if (s)
			kmem_cache_free(s, o);
		else
			free(o);
	}
	pthread_mutex_unlock(&ht.lock);
	live = (n / 10) * FRAG_SIZE;
	rss_freed = bench_rss_bytes();
	printf("full %zu %zu\n", n * FRAG_SIZE, rss_full - base);

	if (s) {
		size_t rss_shrunk, held_before;
		long pages;

		uxa_release(s);
		rss_shrunk = bench_rss_bytes();
		held_before = uxa_cache_bytes(s);
		frag_report("nodefrag", live, base, rss_freed, rss_shrunk, held_before);

		pages = kmem_cache_defrag(s, 75);
		uxa_release(s);
		own = uxa_cache_bytes(s);
		frag_report("defrag", live, base, rss_shrunk, bench_rss_bytes(), own);
		printf("moved %lu %ld\n", ht.moved, pages);
		{
			struct uxa_page_stats ps;

			uxa_page_get_stats(&ps);
			printf("pages %zu %zu %zu\n", ps.bytes_in_use, ps.bytes_resident,
			       ps.bytes_reserved);
		}
		/* Every handle must still reach an object that knows its handle. */
		for (size_t i = 0; i < n; i++) {
			struct frag_obj *o = ht.slot[i];

			if (o && o->handle != i) {
				fprintf(stderr, "slab_bench: handle %zu is corrupt after defrag\n", i);
				exit(1);
			}
		}
	} else {
		peer_release(id);
		frag_report("peer", live, base, rss_freed, bench_rss_bytes(), 0);
	}
}

static int child_main(const char *name, const char *mode, bool quick)
{
	enum alloc_id id = NR_ALLOCS;
	unsigned long pairs = quick ? 1UL << 21 : 1UL << 23;

	for (unsigned int i = 0; i < NR_ALLOCS; i++)
		if (!strcmp(name, allocs[i].name))
			id = i;
	if (id == NR_ALLOCS) {
		fprintf(stderr, "slab_bench: unknown allocator '%s'\n", name);
		return 2;
	}
	/* A preloaded peer that did not take over would measure glibc twice. */
	if ((id == A_JEMALLOC && !dlsym(RTLD_DEFAULT, "mallctl")) ||
	    (id == A_MIMALLOC && !dlsym(RTLD_DEFAULT, "mi_collect"))) {
		printf("missing\n");
		return 0;
	}
	if (!strcmp(mode, "tput")) {
		for (unsigned int z = 0; z < NR_SIZES; z++)
			for (unsigned int t = 1; t <= 2; t++)
				printf("tput %u %u %.3f\n", sizes[z], t,
				       tput_run(id, sizes[z], t,
						pairs / (sizes[z] >= 4096 ? 4 : 1)));
	} else if (!strcmp(mode, "frag")) {
		frag_run(id, quick ? 200000 : 2000000);
	} else {
		fprintf(stderr, "slab_bench: unknown child mode '%s'\n", mode);
		return 2;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parent: run the children, print the tables.                         */

struct frag_row {
	bool valid;
	size_t live, held, own, rss_before, rss_after;
};

struct child_result {
	bool ran;			/* produced numbers, never failed */
	bool failed;			/* missing peer or a failed child: skip it */
	double tput[NR_SIZES][2];
	size_t full, full_rss;
	struct frag_row frag[2];	/* [0]: as released; [1]: after defrag (uxa) */
	unsigned long moved;
	long pages;
	size_t page_in_use, page_resident, page_reserved;	/* uxa's page allocator */
};

static void parse_line(struct child_result *r, const char *line)
{
	unsigned int size, threads;
	char label[16];
	double ns;
	struct frag_row f;

	if (sscanf(line, "tput %u %u %lf", &size, &threads, &ns) == 3) {
		for (unsigned int z = 0; z < NR_SIZES && threads >= 1 && threads <= 2; z++) {
			double *best = &r->tput[z][threads - 1];

			if (sizes[z] == size && (isnan(*best) || ns < *best))
				*best = ns;
		}
	} else if (sscanf(line, "frag %15s %zu %zu %zu %zu %zu", label, &f.live, &f.held,
			  &f.own, &f.rss_before, &f.rss_after) == 6) {
		f.valid = true;
		r->frag[!strcmp(label, "defrag")] = f;
	} else if (sscanf(line, "full %zu %zu", &r->full, &r->full_rss) == 2) {
		;
	} else if (sscanf(line, "moved %lu %ld", &r->moved, &r->pages) == 2) {
		;
	} else if (sscanf(line, "pages %zu %zu %zu", &r->page_in_use, &r->page_resident,
			  &r->page_reserved) == 3) {
		;
	}
}

static void child_result_init(struct child_result *r)
{
	memset(r, 0, sizeof(*r));
	for (unsigned int z = 0; z < NR_SIZES; z++)
		r->tput[z][0] = r->tput[z][1] = NAN;
}

/*
 * Run "SELF --child NAME MODE [--quick]" with the peer preloaded and fold
 * its output into @r (throughput: the best so far). A child that fails or
 * whose peer is missing leaves @r->ran false.
 */
static void run_child(enum alloc_id id, const char *mode, bool quick, struct child_result *r)
{
	const char *argv[] = { "/proc/self/exe", "--child", allocs[id].name, mode,
			       quick ? "--quick" : NULL, NULL };
	int fd[2], status;
	char line[256];
	pid_t pid;
	FILE *in;

	if (r->failed)
		return;
	if (allocs[id].preload && access(allocs[id].preload, R_OK)) {
		fprintf(stderr, "slab_bench: %s not found (%s): skipped\n", allocs[id].name,
			allocs[id].preload);
		r->failed = true;
		return;
	}
	fprintf(stderr, "slab_bench: %s %s ...\n", allocs[id].name, mode);
	fflush(NULL);
	if (pipe(fd) || (pid = fork()) < 0) {
		perror("slab_bench: fork");
		exit(1);
	}
	if (!pid) {
		char self[4096];
		ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		if (allocs[id].preload)
			setenv("LD_PRELOAD", allocs[id].preload, 1);
		else
			unsetenv("LD_PRELOAD");
		if (len > 0) {
			self[len] = '\0';
			argv[0] = self;
		}
		execv(argv[0], (char *const *)argv);
		perror("slab_bench: exec");
		_exit(127);
	}
	close(fd[1]);
	in = fdopen(fd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "missing", 7)) {
			fprintf(stderr, "slab_bench: %s did not replace malloc: skipped\n",
				allocs[id].name);
			r->failed = true;
			break;
		}
		r->ran = true;
		parse_line(r, line);
	}
	if (in)
		fclose(in);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "slab_bench: the %s child failed (status %d)\n", allocs[id].name,
			status);
		r->failed = true;
	}
	if (r->failed)
		r->ran = false;
}

/* A number with one decimal, or a ratio ("1.23x"), or "n/a" for NaN. */
static void cell_num(struct bench_table *t, double v, bool ratio)
{
	if (isnan(v))
		bench_table_cell(t, "n/a");
	else if (ratio)
		bench_table_cell(t, "%.2fx", v);
	else
		bench_table_cell(t, "%.1f", v);
}

static void print_tput(const struct child_result *res)
{
	struct bench_table *t = bench_table_new(
		"alloc+free throughput: ns per pair per thread, best of the rounds (ratio = uxa / peer, < 1 means uxa is faster)",
		"size, threads", "uxa", "glibc", "jemalloc", "mimalloc",
		"uxa/glibc", "uxa/jemalloc", "uxa/mimalloc", (const char *)NULL);

	for (unsigned int z = 0; z < NR_SIZES; z++) {
		for (unsigned int th = 0; th < 2; th++) {
			char label[32];
			double u = res[A_UXA].tput[z][th];

			snprintf(label, sizeof(label), "%4u B, %u thread%s", sizes[z], th + 1,
				 th ? "s" : "");
			bench_table_row(t, label);
			for (unsigned int a = 0; a < NR_ALLOCS; a++)
				cell_num(t, res[a].ran ? res[a].tput[z][th] : NAN, false);
			for (unsigned int a = A_GLIBC; a < NR_ALLOCS; a++)
				cell_num(t, res[a].ran ? u / res[a].tput[z][th] : NAN, true);
		}
	}
	t->note = "batches of 512 allocations, each written once, freed in shuffled order;"
		  " 1 thread = a second (idle) thread alive.\nglibc at 4096 B: each batch's frees"
		  " trim the heap top (default trim threshold) and the next batch faults it back"
		  " (~60 ns with GLIBC_TUNABLES=glibc.malloc.trim_threshold raised)";
	bench_table_print(t, stdout);
}

static void frag_row_cells(struct bench_table *t, const char *label, const struct frag_row *f,
			   bool own)
{
	char a[24], b[24], c[24];

	bench_table_row(t, label);
	if (!f->valid) {
		for (unsigned int i = 0; i < 5; i++)
			bench_table_cell(t, "n/a");
		return;
	}
	bench_table_cell(t, "%.2fx", (double)f->held / (double)f->live);
	if (own)
		bench_table_cell(t, "%.2fx", (double)f->own / (double)f->live);
	else
		bench_table_cell(t, "-");
	bench_table_cell(t, "%s", bench_fmt_bytes(a, sizeof(a), (double)f->live));
	bench_table_cell(t, "%s", bench_fmt_bytes(b, sizeof(b), (double)f->rss_before));
	bench_table_cell(t, "%s", bench_fmt_bytes(c, sizeof(c), (double)f->rss_after));
}

static void print_frag(const struct child_result *res, size_t n)
{
	static const char *const peer_label[NR_ALLOCS] = {
		[A_GLIBC] = "glibc + malloc_trim(0)",
		[A_JEMALLOC] = "jemalloc + arena purge",
		[A_MIMALLOC] = "mimalloc + mi_collect(true)",
	};
	struct bench_table *t;
	char title[200];

	snprintf(title, sizeof(title),
		 "memory held after freeing a random 90%% of %zu %u-byte objects"
		 " (held / live; RSS growth over the baseline)", n, FRAG_SIZE);
	t = bench_table_new(title, "allocator", "held/live (RSS)", "held/live (cache)", "live",
			    "RSS before", "RSS after", (const char *)NULL);
	frag_row_cells(t, "uxa, shrink only (no defrag)", &res[A_UXA].frag[0], true);
	frag_row_cells(t, "uxa + kmem_cache_defrag(75%)", &res[A_UXA].frag[1], true);
	for (unsigned int a = A_GLIBC; a < NR_ALLOCS; a++)
		frag_row_cells(t, peer_label[a], &res[a].frag[0], false);
	t->note = "RSS before/after: around the release step (shrink, defrag, trim, purge, collect);"
		  " cache = uxa's kmem_cache bytes_held";
	bench_table_print(t, stdout);
	if (res[A_UXA].ran) {
		char a[24], b[24], c[24];

		printf("uxa defrag: %lu objects moved, %ld pages given back; page allocator after:"
		       " %s in use, %s resident, %s reserved\n", res[A_UXA].moved, res[A_UXA].pages,
		       bench_fmt_bytes(a, sizeof(a), (double)res[A_UXA].page_in_use),
		       bench_fmt_bytes(b, sizeof(b), (double)res[A_UXA].page_resident),
		       bench_fmt_bytes(c, sizeof(c), (double)res[A_UXA].page_reserved));
	}
}

static void record_goals(const struct child_result *res)
{
	const struct frag_row *nodefrag = &res[A_UXA].frag[0], *defrag = &res[A_UXA].frag[1];
	double held_drop = (double)nodefrag->own - (double)defrag->own;
	double rss_drop = (double)defrag->rss_before - (double)defrag->rss_after;

	bench_goal("alloc+free 576 B, 1 thread: uxa / glibc (time)",
		   res[A_GLIBC].ran ? res[A_UXA].tput[1][0] / res[A_GLIBC].tput[1][0] : NAN,
		   BENCH_AT_MOST, 1.0);
	bench_goal("after defrag: cache bytes held / live",
		   defrag->valid ? (double)defrag->own / (double)defrag->live : NAN,
		   BENCH_AT_MOST, 1.10);
	bench_goal("defrag: RSS drop / cache bytes-held drop",
		   defrag->valid && held_drop > 0 ? rss_drop / held_drop : NAN,
		   BENCH_AT_LEAST, 0.90);
}

int main(int argc, char **argv)
{
	struct child_result res[NR_ALLOCS];
	struct bench_opts opts;
	int i = bench_parse_args(argc, argv, &opts, usage, true);

	if (i < argc && !strcmp(argv[i], "--child") && i + 2 < argc) {
		bool quick = opts.quick || (i + 3 < argc && !strcmp(argv[i + 3], "--quick"));

		return child_main(argv[i + 1], argv[i + 2], quick);
	}
	if (i < argc) {
		fprintf(stderr, "slab_bench: unknown argument '%s'\n%s", argv[i], usage);
		return 2;
	}

	printf("slab_bench%s: uxa kmem_cache vs glibc malloc, jemalloc, mimalloc"
	       " (each in its own process; peers via LD_PRELOAD)\n", opts.quick ? " --quick" : "");
	bench_print_load(stdout, "at start");
	for (unsigned int a = 0; a < NR_ALLOCS; a++)
		child_result_init(&res[a]);
	for (unsigned int round = 0; round < (opts.quick ? 1u : 3u); round++)
		for (unsigned int a = 0; a < NR_ALLOCS; a++)
			run_child(a, "tput", opts.quick, &res[a]);
	for (unsigned int a = 0; a < NR_ALLOCS; a++)
		run_child(a, "frag", opts.quick, &res[a]);
	print_tput(res);
	print_frag(res, opts.quick ? 200000 : 2000000);
	record_goals(res);
	bench_goals_print(stdout, "goals");
	bench_print_load(stdout, "at end");
	return 0;
}
