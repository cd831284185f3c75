/* SPDX-License-Identifier: MIT */
/*
 * bench_common.h - helpers shared by uxa's benchmark programs.
 *
 * Header-only (every helper is static inline), so each benchmark is one
 * translation unit. It provides:
 *
 *  - timing:        bench_now_ns(), bench_elapsed_ns()
 *  - memory:        bench_rss_bytes() (the process's resident set, from
 *                   /proc/self/statm), bench_fmt_bytes()
 *  - context:       bench_print_load() (load average: is the machine quiet?)
 *  - randomness:    a seeded splitmix64 generator and an in-place shuffle, so
 *                   every structure under test sees the same keys in the
 *                   same order
 *  - compiler:      bench_keep() stops the optimiser from discarding a result
 *  - options:       bench_parse_args() (--quick, --help)
 *  - tables:        struct bench_table collects cells as text and prints them
 *                   aligned, so programs print uxa and its peers side by side
 *  - goals:         bench_goal() records a measured ratio against a target
 *                   and bench_goals_print() lists them with PASS/MISS.
 *                   Goals are printed, never asserted: a benchmark exits 0.
 *
 * Nothing here is thread-safe unless stated: tables and goals belong to the
 * main thread.
 */
#ifndef UXA_BENCH_COMMON_H
#define UXA_BENCH_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Timing.                                                             */

/* Monotonic time in nanoseconds. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds since @start (a bench_now_ns() value). */
static inline uint64_t bench_elapsed_ns(uint64_t start)
{
	return bench_now_ns() - start;
}

/* ------------------------------------------------------------------ */
/* Memory.                                                             */

/* The resident set size of this process in bytes, 0 if /proc is unreadable. */
static inline size_t bench_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Print the 1-minute load average and the CPU count to @f, labelled
 * @when: timings taken while other processes compete for the CPUs are
 * noisy, and a reader of the tables should know.
 */
static inline void bench_print_load(FILE *f, const char *when)
{
	double load = -1;
	FILE *in = fopen("/proc/loadavg", "r");

	if (in) {
		if (fscanf(in, "%lf", &load) != 1)
			load = -1;
		fclose(in);
	}
	if (load < 0)
		return;
	fprintf(f, "load average %s: %.2f on %ld CPUs%s\n", when, load,
		sysconf(_SC_NPROCESSORS_ONLN),
		load > 0.5 ? " (other processes were running: timings are noisy)" : "");
}

/* Format @bytes as "123.4 MiB" into @buf (at least 16 bytes); returns @buf. */
static inline char *bench_fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (bytes >= 1024.0 && u < 4) {
		bytes /= 1024.0;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Randomness: splitmix64 (Steele, Lea, Flood), good enough for keys.  */

struct bench_rng {
	uint64_t state;
};

static inline void bench_rng_seed(struct bench_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

static inline uint64_t bench_rng_next(struct bench_rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform integer in [0, @bound) (@bound > 0; the bias is negligible here). */
static inline uint64_t bench_rng_below(struct bench_rng *rng, uint64_t bound)
{
	return (uint64_t)(((unsigned __int128)bench_rng_next(rng) * bound) >> 64);
}

/* Fisher-Yates shuffle of @n unsigned longs. */
static inline void bench_shuffle(unsigned long *v, size_t n, struct bench_rng *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)bench_rng_below(rng, i);
		unsigned long t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ------------------------------------------------------------------ */
/* Keeping results alive.                                              */

/* Make the compiler believe @v is used, so the work producing it stays. */
#define bench_keep(v) __asm__ __volatile__("" : : "r"(v) : "memory")

/* Allocate or exit with a message: benchmarks have nothing to recover. */
static inline void *bench_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p) {
		fprintf(stderr, "bench: out of memory (%zu bytes)\n", size);
		exit(1);
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* Options.                                                            */

struct bench_opts {
	bool quick;	/* --quick: seconds, not minutes (scripts/demo.sh) */
};

/*
 * Parse the options every benchmark shares. Unknown arguments are left
 * to the caller when @extra_ok, otherwise they print @usage and exit 2.
 * Returns the index of the first argument not consumed.
 */
static inline int bench_parse_args(int argc, char **argv, struct bench_opts *opts,
				   const char *usage, bool extra_ok)
{
	int i;

	memset(opts, 0, sizeof(*opts));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			opts->quick = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("%s", usage);
			exit(0);
		} else if (extra_ok) {
			break;
		} else {
			fprintf(stderr, "%s: unknown argument '%s'\n%s", argv[0], argv[i], usage);
			exit(2);
		}
	}
	return i;
}

/* ------------------------------------------------------------------ */
/* Aligned tables.                                                     */

#define BENCH_TABLE_MAX_COLS	12
#define BENCH_TABLE_MAX_ROWS	64
#define BENCH_CELL_LEN		64

/*
 * A table is filled cell by cell, left to right, then printed once: the
 * width of each column is the widest cell in it. The first column is
 * left-aligned (row labels), the others right-aligned (numbers).
 */
struct bench_table {
	const char *title;
	const char *note;			/* printed under the table, or NULL */
	unsigned int cols, rows;
	unsigned int cur_col;			/* next cell of the last row */
	char head[BENCH_TABLE_MAX_COLS][BENCH_CELL_LEN];
	char cell[BENCH_TABLE_MAX_ROWS][BENCH_TABLE_MAX_COLS][BENCH_CELL_LEN];
};

/* Copy @src into the cell @dst, truncating to fit. */
static inline void bench_cell_copy(char *dst, const char *src)
{
	size_t len = strlen(src);

	if (len > BENCH_CELL_LEN - 1)
		len = BENCH_CELL_LEN - 1;

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Start a table: @title, then the column headers, terminated by NULL. */
static inline struct bench_table *bench_table_new(const char *title, ...)
{
	struct bench_table *t = bench_xmalloc(sizeof(*t));
	const char *h;
	va_list ap;

	memset(t, 0, sizeof(*t));
	t->title = title;
	va_start(ap, title);
	while ((h = va_arg(ap, const char *)) && t->cols < BENCH_TABLE_MAX_COLS)
		bench_cell_copy(t->head[t->cols++], h);
	va_end(ap);
	return t;
}

/* Start a new row whose first cell is @label. */
static inline void bench_table_row(struct bench_table *t, const char *label)
{
	if (t->rows == BENCH_TABLE_MAX_ROWS) {
		fprintf(stderr, "bench: table '%s' has too many rows\n", t->title);
		exit(1);
	}
	bench_cell_copy(t->cell[t->rows++][0], label);
	t->cur_col = 1;
}

/* Append a printf-formatted cell to the current row. */
__attribute__((format(printf, 2, 3)))
static inline void bench_table_cell(struct bench_table *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->rows || t->cur_col >= t->cols)
		return;
	va_start(ap, fmt);
	vsnprintf(t->cell[t->rows - 1][t->cur_col++], BENCH_CELL_LEN, fmt, ap);
	va_end(ap);
}

/* Print @t aligned to @f, then free it. */
static inline void bench_table_print(struct bench_table *t, FILE *f)
{
	size_t width[BENCH_TABLE_MAX_COLS] = { 0 };
	size_t total = 0;

	for (unsigned int c = 0; c < t->cols; c++) {
		width[c] = strlen(t->head[c]);
		for (unsigned int r = 0; r < t->rows; r++)
			if (strlen(t->cell[r][c]) > width[c])
				width[c] = strlen(t->cell[r][c]);
		total += width[c] + 2;
	}
	fprintf(f, "\n%s\n", t->title);
	for (size_t i = 0; i < total; i++)
		fputc('-', f);
	fputc('\n', f);
	for (unsigned int c = 0; c < t->cols; c++)
		fprintf(f, c ? "  %*s" : "%-*s", (int)width[c], t->head[c]);
	fputc('\n', f);
	for (unsigned int r = 0; r < t->rows; r++) {
		for (unsigned int c = 0; c < t->cols; c++)
			fprintf(f, c ? "  %*s" : "%-*s", (int)width[c], t->cell[r][c]);
		fputc('\n', f);
	}
	if (t->note)
		fprintf(f, "%s\n", t->note);
	fflush(f);
	free(t);
}

/* ------------------------------------------------------------------ */
/* Goals: printed with PASS/MISS, never asserted.                      */

#define BENCH_MAX_GOALS	32

enum bench_goal_cmp {
	BENCH_AT_MOST,		/* pass when measured <= target */
	BENCH_AT_LEAST,		/* pass when measured >= target */
};

struct bench_goal_rec {
	char what[BENCH_CELL_LEN];
	double measured, target;
	enum bench_goal_cmp cmp;
	bool known;		/* false: could not be measured (a peer missing) */
};

static struct bench_goal_rec bench_goals[BENCH_MAX_GOALS] __attribute__((unused));
static unsigned int bench_nr_goals __attribute__((unused));

/*
 * Record a goal: @what (e.g. "random lookup, uxa / bare radix"), the
 * @measured ratio, the @cmp and the @target. A NaN @measured is recorded
 * as "not measured".
 */
static inline void bench_goal(const char *what, double measured, enum bench_goal_cmp cmp,
			      double target)
{
	struct bench_goal_rec *g;

	if (bench_nr_goals == BENCH_MAX_GOALS)
		return;
	g = &bench_goals[bench_nr_goals++];
	bench_cell_copy(g->what, what);
	g->measured = measured;
	g->cmp = cmp;
	g->target = target;
	g->known = measured == measured;	/* not NaN */
}

/* Print every goal recorded so far, aligned, with PASS/MISS. */
static inline void bench_goals_print(FILE *f, const char *title)
{
	struct bench_table *t = bench_table_new(title, "goal", "measured", "target", "verdict",
						(const char *)NULL);
	unsigned int pass = 0, known = 0;

	for (unsigned int i = 0; i < bench_nr_goals; i++) {
		struct bench_goal_rec *g = &bench_goals[i];
		bool ok = g->cmp == BENCH_AT_MOST ? g->measured <= g->target
						  : g->measured >= g->target;

		bench_table_row(t, g->what);
		if (g->known)
			bench_table_cell(t, "%.2f", g->measured);
		else
			bench_table_cell(t, "n/a");
		bench_table_cell(t, "%s %.2f", g->cmp == BENCH_AT_MOST ? "<=" : ">=", g->target);
		bench_table_cell(t, "%s", !g->known ? "n/a" : ok ? "PASS" : "MISS");
		known += g->known;
		pass += g->known && ok;
	}
	bench_table_print(t, f);
	fprintf(f, "%u of %u goals met (%u not measured); goals are reported, not asserted.\n",
		pass, bench_nr_goals, bench_nr_goals - known);
}

#endif /* UXA_BENCH_COMMON_H */
