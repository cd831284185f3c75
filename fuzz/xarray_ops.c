/* SPDX-License-Identifier: MIT */
/*
 * xarray_ops.c - libFuzzer target: random operation sequences on three
 * XArrays, every result checked against a reference model.
 *
 * The arrays: [0] plain (xa_init), [1] XA_FLAGS_ALLOC, [2] XA_FLAGS_ALLOC1.
 * The model of each is a sorted vector of disjoint, naturally aligned
 * ranges [first, last] -> (entry, order, marks); a reserved index holds
 * XA_ZERO_ENTRY. Indices are drawn mostly from a small space (so slots
 * collide, nodes fill and empty, trees grow several levels deep) and
 * sometimes from a table of huge ones (ULONG_MAX, LONG_MAX, 2^32, ...).
 *
 * INPUT FORMAT (every read past the end yields 0, so any input decodes):
 *   op byte: bits 0-4 = operation (enum xf_op, taken modulo XF_OP_NR),
 *            bits 5-7 = array (modulo 3); then the operation's arguments.
 *   index:   1-2 bytes, see read_index();   entry: 1 byte, see read_entry().
 * At most XF_MAX_OPS operations run, so one input stays fast.
 *
 * ORACLES: each result against the model; after every mutating operation
 * xa_check() and a full sweep (xas_for_each under xa_lock: entry, order,
 * marks of every entry, xa_marked(), xa_empty()); at the end xa_destroy()
 * of everything and, after uxa_rcu_barrier(), objects_in_use of
 * xa_node_cache() back to where it began (every input when replaying;
 * every XF_LEAK_EVERY inputs under libFuzzer, because a barrier costs a
 * grace period).
 *
 * MODELLED SEMANTICS (the kernel's, where the kernel is precise):
 *  - a store of order 0 anywhere inside a multi-index entry replaces that
 *    entry's value, keeping its order and marks; an erase anywhere inside
 *    it erases all of it;
 *  - a multi-index store over smaller entries replaces them all and the
 *    new entry carries the union of their marks;
 *  - multi-index entries only go to the plain array (in an allocating
 *    array the kernel does not keep XA_FREE_MARK exact for them);
 *  - array [2] (ALLOC1) keeps index 0 for itself: operations aimed at 0
 *    go to 1, and a zero entry at index 0 is not a model entry;
 *  - under injected allocation failure (kmem_cache_fail_after(), armed for
 *    exactly one operation) a writer may return -ENOMEM and must then
 *    leave the array as it was. The injection is one-shot, so the normal
 *    API's own xas_nomem() retry absorbs it: -ENOMEM reaches only advanced
 *    callers that give up, and xas_split_alloc();
 *  - xas_next()/xas_prev() on a multi-index entry step from its canonical
 *    slot (the kernel's behaviour), so walks restart at the next index
 *    there; after wrapping (ULONG_MAX <-> 0) NULL is accepted once.
 *
 * XF_TRACE=1 in the environment logs each operation and, on a failure,
 * dumps every model and tree (xa_dump()).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uxa/page.h>
#include <uxa/rcu.h>
#include <uxa/slab.h>
#include <uxa/xarray.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define XF_MAX_OPS	512
#define XF_NR_ARRAYS	3
#define XF_MAX_ENTRIES	2048	/* operations add one entry; a split at most 63 */
#define XF_MAX_SPLIT	6	/* a split makes at most 2^6 entries */
#define XF_MAX_ORDER	(2 * XA_CHUNK_SHIFT + 2)
#define XF_LEAK_EVERY	256
#define XF_MAX_WALK	80

/* Operation numbers are part of the corpus format: append, never renumber. */
enum xf_op {
	XF_STORE = 0,		/* xa_store / __xa_store */
	XF_ERASE = 1,		/* xa_erase / __xa_erase */
	XF_CMPXCHG = 2,		/* xa_cmpxchg / __xa_cmpxchg */
	XF_INSERT = 3,		/* xa_insert / __xa_insert */
	XF_RESERVE = 4,		/* xa_reserve */
	XF_RELEASE = 5,		/* xa_release */
	XF_ALLOC = 6,		/* xa_alloc / __xa_alloc */
	XF_ALLOC_CYCLIC = 7,	/* xa_alloc_cyclic */
	XF_STORE_RANGE = 8,	/* xa_store_range, aligned power-of-two ranges */
	XF_STORE_ORDER = 9,	/* XA_STATE_ORDER + xas_store + xas_nomem loop */
	XF_SET_MARK = 10,	/* xa_set_mark */
	XF_CLEAR_MARK = 11,	/* xa_clear_mark */
	XF_GET_MARK = 12,	/* xa_get_mark */
	XF_LOAD = 13,		/* xa_load + xa_get_order */
	XF_FIND = 14,		/* xa_find */
	XF_FIND_AFTER = 15,	/* xa_find_after */
	XF_FOR_EACH = 16,	/* xa_for_each_range */
	XF_FOR_EACH_MARKED = 17,	/* xa_for_each_marked */
	XF_XAS_FOR_EACH = 18,	/* xas_for_each / xas_for_each_marked under RCU */
	XF_XAS_WALK = 19,	/* xas_next / xas_prev steps under RCU */
	XF_EXTRACT = 20,	/* xa_extract */
	XF_DESTROY = 21,	/* xa_destroy */
	XF_FAIL_ALLOC = 22,	/* fail the n-th node allocation of the next writer */
	XF_DEFRAG = 23,		/* defragment the xa_node cache now (nodes move) */
	XF_COMPACT = 24,	/* compact the page allocator now (nodes move) */
	XF_SPLIT = 25,		/* xas_split_alloc + xas_split of a multi-index entry */
	XF_FOR_EACH_ERASE = 26,	/* xa_for_each_marked erasing what it visits */
	XF_CREATE_RANGE = 27,	/* xas_create_range, then fill the range under one lock */
	XF_CONFLICT = 28,	/* xas_for_each_conflict over an aligned range */
	XF_OP_NR
};

/* One model entry: a naturally aligned range holding one entry. */
struct xf_ment {
	unsigned long first;
	unsigned long last;
	void *entry;		/* user entry or XA_ZERO_ENTRY (reserved) */
	unsigned int order;
	unsigned int marks;	/* bit m = XA_MARK_m */
};

struct xf_model {
	struct xf_ment e[XF_MAX_ENTRIES];
	unsigned int nr;
	uint32_t next;		/* xa_alloc_cyclic cursor */
	bool wrapped;		/* XA_FLAGS_ALLOC_WRAPPED as the model sees it */
};

struct xf_array {
	struct xarray xa;
	struct xf_model m;
	bool alloc;		/* tracks free entries */
	bool alloc1;		/* and index 0 is busy */
};

struct xf_input {
	const uint8_t *p;
	size_t left;
};

static struct xf_array xf_arrays[XF_NR_ARRAYS];
static unsigned long xf_tokens[64] __attribute__((aligned(8)));
static unsigned int xf_op_no;
static int xf_op_code = -1;
static bool xf_armed;			/* fault injection armed for this op */
static unsigned long xf_pending_fail;	/* n for the next writer */
static unsigned long xf_leak_every = 1;
static unsigned long xf_runs;
static unsigned long xf_baseline;
static bool xf_baseline_known;
static bool xf_trace;			/* XF_TRACE=1 in the environment: log each op */

#define XF_INVALID_ENTRY	xa_mk_internal(1)	/* a sibling: refused */

__attribute__((noreturn, format(printf, 1, 2)))
static void xf_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xarray_ops: op #%u (code %d): ", xf_op_no, xf_op_code);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (unsigned int i = 0; xf_trace && i < XF_NR_ARRAYS; i++) {
		fprintf(stderr, "array %u: model", i);
		for (unsigned int j = 0; j < xf_arrays[i].m.nr; j++) {
			const struct xf_ment *e = &xf_arrays[i].m.e[j];

			fprintf(stderr, " [%lu-%lu]=%p/%x", e->first, e->last, e->entry, e->marks);
		}
		fputc('\n', stderr);
		xa_dump(&xf_arrays[i].xa);
	}
	abort();
}

#define XF_CHECK(cond, ...) \
	do { if (__builtin_expect(!(cond), 0)) xf_fail(__VA_ARGS__); } while (0)

/* ------------------------------------------------------------------ */
/* Input decoding.                                                     */

static uint8_t xf_byte(struct xf_input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static const unsigned long xf_huge[8] = {
	ULONG_MAX, ULONG_MAX - XA_CHUNK_SIZE, 1UL << 32, UINT_MAX,
	LONG_MAX, (unsigned long)LONG_MAX + 1, 1UL << 40, 1UL << 24,
};

/*
 * 0x00-0x7f: that index; 0x80-0xbf: 14-bit index (with the next byte);
 * 0xc0-0xff: a huge base (low 3 bits), then by bits 3-4: the base, base
 * minus the next byte, base plus the next byte, or the next byte's bits
 * spread over the top of the index.
 */
static unsigned long read_index(struct xf_input *in)
{
	uint8_t b = xf_byte(in);
	unsigned long base;

	if (b < 0x80)
		return b;
	if (b < 0xc0)
		return ((unsigned long)(b & 0x3f) << 8) | xf_byte(in);
	base = xf_huge[b & 7];
	switch ((b >> 3) & 3) {
	case 0:
		return base;
	case 1:
		return base - xf_byte(in);
	case 2:
		return base + xf_byte(in);
	default:
		return ((unsigned long)xf_byte(in) << (XA_BITS_PER_LONG - 8)) | (b & 0x7);
	}
}

/* 0x70-0x7a NULL, 0x7b-0x7c an invalid internal entry, 0x7d-0x7f the zero
 * entry, other values below 0x80 value entries, 0x80-0xff pointers. */
static void *read_entry(struct xf_input *in)
{
	uint8_t b = xf_byte(in);

	if (b & 0x80)
		return &xf_tokens[b & 63];
	if (b >= 0x70 && b <= 0x7a)
		return NULL;
	if (b == 0x7b || b == 0x7c)
		return XF_INVALID_ENTRY;
	if (b >= 0x7d)
		return XA_ZERO_ENTRY;
	return xa_mk_value(b);
}

static gfp_t read_gfp(uint8_t b)
{
	return (b & 1) ? GFP_NOWAIT : GFP_KERNEL;
}

/* A mark users may set: 0-2 in the plain array, 1-2 in allocating ones
 * (XA_MARK_0 is XA_FREE_MARK there). 7 yields an invalid mark number. */
static xa_mark_t read_mark(struct xf_input *in, const struct xf_array *a, bool *valid)
{
	uint8_t b = xf_byte(in);

	*valid = (b & 7) != 7;
	if (!*valid)
		return (b & 8) ? XA_PRESENT : XA_MAX_MARKS;
	if (a->alloc)
		return 1 + (b & 1);
	return (b & 7) % 3;
}

/* A filter for searches: a user mark or XA_PRESENT. */
static xa_mark_t read_filter(struct xf_input *in, const struct xf_array *a)
{
	bool valid;
	xa_mark_t mark = read_mark(in, a, &valid);

	return valid ? mark : XA_PRESENT;
}

static unsigned long user_index(const struct xf_array *a, unsigned long index)
{
	return (a->alloc1 && index == 0) ? 1 : index;
}

/* ------------------------------------------------------------------ */
/* The model.                                                          */

/* First model entry whose range ends at or after @index (nr if none). */
static unsigned int model_lower(const struct xf_model *m, unsigned long index)
{
	unsigned int lo = 0, hi = m->nr;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (m->e[mid].last < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct xf_ment *model_find(struct xf_model *m, unsigned long index)
{
	unsigned int i = model_lower(m, index);

	if (i < m->nr && m->e[i].first <= index)
		return &m->e[i];
	return NULL;
}

static void model_remove(struct xf_model *m, struct xf_ment *e)
{
	unsigned int i = (unsigned int)(e - m->e);

	memmove(&m->e[i], &m->e[i + 1], (m->nr - i - 1) * sizeof(*e));
	m->nr--;
}

static void model_insert(struct xf_model *m, unsigned long first, unsigned int order,
			 void *entry, unsigned int marks)
{
	unsigned long last = first + ((1UL << order) - 1);
	unsigned int i = model_lower(m, first);

	XF_CHECK(m->nr < XF_MAX_ENTRIES, "model full");
	XF_CHECK(i == m->nr || m->e[i].first > last, "model overlap at %lu", first);
	memmove(&m->e[i + 1], &m->e[i], (m->nr - i) * sizeof(m->e[0]));
	m->e[i] = (struct xf_ment){ first, last, entry, order, marks };
	m->nr++;
}

/* Store of order 0 (or erase, @entry NULL); returns the old entry. */
static void *model_store(struct xf_model *m, unsigned long index, void *entry)
{
	struct xf_ment *e = model_find(m, index);
	void *old = e ? e->entry : NULL;

	if (!entry) {
		if (e)
			model_remove(m, e);
	} else if (e) {
		e->entry = entry;
	} else {
		model_insert(m, index, 0, entry, 0);
	}
	return old;
}

/* Multi-index store (NULL erases) of [first, first + 2^order). */
static void model_store_order(struct xf_model *m, unsigned long first, unsigned int order,
			      void *entry)
{
	unsigned long last = first + ((1UL << order) - 1);
	struct xf_ment *e = model_find(m, first);
	unsigned int marks = 0, i;

	if (e && e->order > order) {
		model_store(m, first, entry);
		return;
	}
	i = model_lower(m, first);
	while (i < m->nr && m->e[i].first <= last) {
		marks |= m->e[i].marks;
		model_remove(m, &m->e[i]);
	}
	if (entry)
		model_insert(m, first, order, entry, marks);
}

/* Lowest index in [lo, hi] no model entry covers (-1 if none). */
static long long model_free_index(const struct xf_array *a, unsigned long lo, unsigned long hi)
{
	const struct xf_model *m = &a->m;
	unsigned long c = lo;

	if (a->alloc1 && c == 0)
		c = 1;
	for (unsigned int i = model_lower(m, c); i < m->nr; i++) {
		if (c > hi || m->e[i].first > c)
			break;
		if (m->e[i].last >= hi)
			return -1;
		c = m->e[i].last + 1;
	}
	return c <= hi ? (long long)c : -1;
}

static bool entry_matches(const struct xf_ment *e, xa_mark_t filter)
{
	if (xa_is_zero(e->entry))
		return false;
	return filter >= XA_MAX_MARKS || (e->marks & (1U << filter));
}

/* The first non-reserved entry matching @filter that overlaps [start, max]. */
static struct xf_ment *model_search(struct xf_model *m, unsigned long start, unsigned long max,
				    xa_mark_t filter)
{
	for (unsigned int i = model_lower(m, start); i < m->nr; i++) {
		if (m->e[i].first > max)
			break;
		if (entry_matches(&m->e[i], filter))
			return &m->e[i];
	}
	return NULL;
}

static void *zero_to_null(void *entry)
{
	return xa_is_zero(entry) ? NULL : entry;
}

/* ------------------------------------------------------------------ */
/* Whole-array checks.                                                 */

static void sweep_array(struct xf_array *a)
{
	struct xf_model *m = &a->m;
	XA_STATE(xas, &a->xa, 0);
	unsigned int i = 0, any = 0;
	void *entry;

	XF_CHECK(xa_check(&a->xa) == 0, "xa_check failed on array %ld", (long)(a - xf_arrays));
	xa_lock(&a->xa);
	xas_for_each(&xas, entry, ULONG_MAX) {
		struct xf_ment *e;

		if (a->alloc1 && xas.xa_index == 0 && xa_is_zero(entry))
			continue;
		XF_CHECK(i < m->nr, "array %ld: extra entry %p at %lu",
			 (long)(a - xf_arrays), entry, xas.xa_index);
		e = &m->e[i++];
		XF_CHECK(entry == e->entry && xas.xa_index >= e->first && xas.xa_index <= e->last,
			 "array %ld: entry %p at %lu, model has %p at [%lu, %lu]",
			 (long)(a - xf_arrays), entry, xas.xa_index, e->entry, e->first, e->last);
		XF_CHECK(xas_get_order(&xas) == (int)e->order,
			 "array %ld: order %d at %lu, model %u", (long)(a - xf_arrays),
			 xas_get_order(&xas), e->first, e->order);
		for (xa_mark_t mark = a->alloc ? 1 : 0; mark <= XA_MARK_MAX; mark++)
			XF_CHECK(xas_get_mark(&xas, mark) == !!(e->marks & (1U << mark)),
				 "array %ld: mark %u at %lu is %d, model 0x%x",
				 (long)(a - xf_arrays), mark, e->first,
				 xas_get_mark(&xas, mark), e->marks);
		if (a->alloc)
			XF_CHECK(!xas_get_mark(&xas, XA_FREE_MARK),
				 "array %ld: busy index %lu marked free",
				 (long)(a - xf_arrays), e->first);
		any |= e->marks;
		XF_CHECK(i <= XF_MAX_ENTRIES, "runaway iteration");
	}
	xa_unlock(&a->xa);
	XF_CHECK(i == m->nr, "array %ld: %u entries, model %u", (long)(a - xf_arrays), i, m->nr);
	XF_CHECK(xa_empty(&a->xa) == (m->nr == 0), "array %ld: xa_empty %d, model %u entries",
		 (long)(a - xf_arrays), xa_empty(&a->xa), m->nr);
	for (xa_mark_t mark = a->alloc ? 1 : 0; mark <= XA_MARK_MAX; mark++)
		XF_CHECK(xa_marked(&a->xa, mark) == !!(any & (1U << mark)),
			 "array %ld: xa_marked(%u) %d, model 0x%x", (long)(a - xf_arrays),
			 mark, xa_marked(&a->xa, mark), any);
}

/* ------------------------------------------------------------------ */
/* Fault injection: armed around exactly one writer.                   */

static void arm_failure(void)
{
	xf_armed = xf_pending_fail != 0;
	if (xf_armed)
		kmem_cache_fail_after(xa_node_cache(), xf_pending_fail);
	xf_pending_fail = 0;
}

/* Leaves xf_armed set: the writer's checks still need to know. */
static void disarm_failure(void)
{
	if (xf_armed)
		kmem_cache_fail_after(xa_node_cache(), 0);
}

/* ------------------------------------------------------------------ */
/* Writers.                                                            */

/* Checks a returned entry of a writer that may fail; true if it changed the array. */
static bool writer_result(void *ret, void *expect, bool invalid)
{
	if (invalid) {
		XF_CHECK(ret == XA_ERROR(-EINVAL), "internal entry accepted: %p", ret);
		return false;
	}
	if (xa_err(ret) == -ENOMEM) {
		XF_CHECK(xf_armed, "-ENOMEM with no injected failure");
		return false;
	}
	XF_CHECK(ret == expect, "returned %p, model %p", ret, expect);
	return true;
}

static void op_store(struct xf_array *a, struct xf_input *in, bool locked)
{
	unsigned long index = user_index(a, read_index(in));
	void *entry = read_entry(in), *ret, *stored;
	gfp_t gfp = read_gfp(xf_byte(in));
	struct xf_ment *e = model_find(&a->m, index);

	arm_failure();
	if (locked) {
		xa_lock(&a->xa);
		ret = __xa_store(&a->xa, index, entry, gfp);
		xa_unlock(&a->xa);
	} else {
		ret = xa_store(&a->xa, index, entry, gfp);
	}
	disarm_failure();
	stored = (!entry && a->alloc) ? XA_ZERO_ENTRY : entry;
	if (writer_result(ret, e ? zero_to_null(e->entry) : NULL, entry == XF_INVALID_ENTRY))
		model_store(&a->m, index, stored);
}

static void op_erase(struct xf_array *a, struct xf_input *in, bool locked)
{
	unsigned long index = user_index(a, read_index(in));
	struct xf_ment *e = model_find(&a->m, index);
	void *expect = e ? zero_to_null(e->entry) : NULL, *ret;

	if (locked) {
		xa_lock(&a->xa);
		ret = __xa_erase(&a->xa, index);
		xa_unlock(&a->xa);
	} else {
		ret = xa_erase(&a->xa, index);
	}
	XF_CHECK(ret == expect, "xa_erase(%lu) returned %p, model %p", index, ret, expect);
	model_store(&a->m, index, NULL);
}

/* cmpxchg with @old and @entry; shared by cmpxchg, reserve and release. */
static void do_cmpxchg(struct xf_array *a, unsigned long index, void *old, void *entry,
		       gfp_t gfp, bool locked)
{
	struct xf_ment *e = model_find(&a->m, index);
	void *curr = e ? e->entry : NULL, *ret;

	arm_failure();
	if (locked) {
		xa_lock(&a->xa);
		ret = __xa_cmpxchg(&a->xa, index, old, entry, gfp);
		xa_unlock(&a->xa);
	} else {
		ret = xa_cmpxchg(&a->xa, index, old, entry, gfp);
	}
	disarm_failure();
	if (writer_result(ret, zero_to_null(curr), entry == XF_INVALID_ENTRY) && curr == old)
		model_store(&a->m, index, entry);
}

static void op_cmpxchg(struct xf_array *a, struct xf_input *in, bool locked)
{
	unsigned long index = user_index(a, read_index(in));
	uint8_t how = xf_byte(in);
	struct xf_ment *e = model_find(&a->m, index);
	void *old, *entry = read_entry(in);

	switch (how & 3) {
	case 0:
		old = NULL;
		break;
	case 1:
		old = XA_ZERO_ENTRY;
		break;
	case 2:
		old = e ? e->entry : NULL;
		break;
	default:
		old = read_entry(in);
		break;
	}
	do_cmpxchg(a, index, old, entry, read_gfp(how >> 2), locked);
}

static void op_insert(struct xf_array *a, struct xf_input *in, bool locked)
{
	unsigned long index = user_index(a, read_index(in));
	void *entry = read_entry(in);
	gfp_t gfp = read_gfp(xf_byte(in));
	bool busy = model_find(&a->m, index) != NULL;
	int ret;

	arm_failure();
	if (locked) {
		xa_lock(&a->xa);
		ret = __xa_insert(&a->xa, index, entry, gfp);
		xa_unlock(&a->xa);
	} else {
		ret = xa_insert(&a->xa, index, entry, gfp);
	}
	disarm_failure();
	if (entry == XF_INVALID_ENTRY) {
		XF_CHECK(ret == -EINVAL, "xa_insert(internal) returned %d", ret);
		return;
	}
	XF_CHECK(ret != -ENOMEM || xf_armed, "xa_insert: -ENOMEM with no injected failure");
	if (busy) {
		XF_CHECK(ret == -EBUSY || ret == -ENOMEM, "xa_insert(%lu) on busy: %d", index, ret);
		return;
	}
	XF_CHECK(ret == 0 || ret == -ENOMEM, "xa_insert(%lu) returned %d", index, ret);
	if (ret == 0)
		model_store(&a->m, index, entry ? entry : XA_ZERO_ENTRY);
}

static void op_reserve(struct xf_array *a, struct xf_input *in)
{
	unsigned long index = user_index(a, read_index(in));
	gfp_t gfp = read_gfp(xf_byte(in));
	struct xf_ment *e = model_find(&a->m, index);
	int ret;

	arm_failure();
	ret = xa_reserve(&a->xa, index, gfp);
	disarm_failure();
	XF_CHECK(ret != -ENOMEM || xf_armed, "xa_reserve: -ENOMEM with no injected failure");
	XF_CHECK(ret == 0 || ret == -ENOMEM, "xa_reserve(%lu) returned %d", index, ret);
	if (ret == 0 && !e)
		model_store(&a->m, index, XA_ZERO_ENTRY);
}

static void op_release(struct xf_array *a, struct xf_input *in)
{
	unsigned long index = user_index(a, read_index(in));
	struct xf_ment *e = model_find(&a->m, index);

	xa_release(&a->xa, index);
	if (e && xa_is_zero(e->entry))
		model_remove(&a->m, e);
}

static struct xa_limit read_limit(struct xf_input *in)
{
	uint8_t b = xf_byte(in);
	uint32_t min, max;

	switch (b & 3) {
	case 0:
		return xa_limit_32b;
	case 1:
		min = xf_byte(in);
		max = min + xf_byte(in);
		break;
	case 2:
		min = UINT32_MAX - xf_byte(in);
		max = UINT32_MAX;
		break;
	default:
		min = xf_byte(in);
		max = xf_byte(in);	/* may be below min: nothing to allocate */
		break;
	}
	return XA_LIMIT(min, max);
}

static void op_alloc(struct xf_array *a, struct xf_input *in, bool locked)
{
	struct xa_limit limit = read_limit(in);
	void *entry = read_entry(in);
	gfp_t gfp = read_gfp(xf_byte(in));
	long long expect = model_free_index(a, limit.min, limit.max);
	uint32_t id = 0xdeadbeef;
	bool armed;
	int ret;

	arm_failure();
	armed = xf_armed;
	if (locked) {
		xa_lock(&a->xa);
		ret = __xa_alloc(&a->xa, &id, entry, limit, gfp);
		xa_unlock(&a->xa);
	} else {
		ret = xa_alloc(&a->xa, &id, entry, limit, gfp);
	}
	disarm_failure();
	if (!a->alloc || entry == XF_INVALID_ENTRY) {
		XF_CHECK(ret == -EINVAL, "xa_alloc: expected -EINVAL, got %d", ret);
		return;
	}
	if (ret == -ENOMEM) {
		XF_CHECK(armed, "xa_alloc: -ENOMEM with no injected failure");
		return;
	}
	if (expect < 0) {
		XF_CHECK(ret == -EBUSY, "xa_alloc [%u, %u]: expected -EBUSY, got %d id %u",
			 limit.min, limit.max, ret, id);
		return;
	}
	XF_CHECK(ret == 0 && id == expect, "xa_alloc [%u, %u]: got %d id %u, model %lld",
		 limit.min, limit.max, ret, id, expect);
	model_store(&a->m, id, entry ? entry : XA_ZERO_ENTRY);
}

static void op_alloc_cyclic(struct xf_array *a, struct xf_input *in)
{
	struct xf_model *m = &a->m;
	struct xa_limit limit = read_limit(in);
	void *entry = read_entry(in);
	gfp_t gfp = read_gfp(xf_byte(in));
	uint32_t start = limit.min > m->next ? limit.min : m->next;
	long long c1 = model_free_index(a, start, limit.max);
	long long c2 = start > limit.min ? model_free_index(a, limit.min, limit.max) : -1;
	uint32_t id = 0xdeadbeef, next = m->next;
	bool armed;
	int ret;

	arm_failure();
	armed = xf_armed;
	ret = xa_alloc_cyclic(&a->xa, &id, entry, limit, &next, gfp);
	disarm_failure();
	if (!a->alloc || entry == XF_INVALID_ENTRY) {
		XF_CHECK(ret == -EINVAL, "xa_alloc_cyclic: expected -EINVAL, got %d", ret);
		XF_CHECK(next == m->next, "xa_alloc_cyclic moved next on -EINVAL");
		return;
	}
	if (ret < 0) {
		XF_CHECK(next == m->next, "xa_alloc_cyclic moved next on error %d", ret);
		if (ret == -ENOMEM) {
			XF_CHECK(armed, "xa_alloc_cyclic: -ENOMEM with no injected failure");
			return;
		}
		XF_CHECK(ret == -EBUSY && c1 < 0 && c2 < 0,
			 "xa_alloc_cyclic [%u, %u] next %u: got %d, model %lld/%lld",
			 limit.min, limit.max, m->next, ret, c1, c2);
		return;
	}
	if (c1 >= 0 && id == c1 && ret == (m->wrapped ? 1 : 0)) {
		m->wrapped = false;
	} else {
		XF_CHECK(c2 >= 0 && id == c2 && ret == 1 && (c1 < 0 || armed),
			 "xa_alloc_cyclic [%u, %u] next %u wrapped %d: got %d id %u, model %lld/%lld",
			 limit.min, limit.max, m->next, m->wrapped, ret, id, c1, c2);
	}
	XF_CHECK(next == id + 1, "xa_alloc_cyclic: next %u after id %u", next, id);
	m->next = next;
	if (next == 0)
		m->wrapped = true;
	model_store(m, id, entry ? entry : XA_ZERO_ENTRY);
}

/* A naturally aligned power-of-two range: [*first, *first + 2^order). */
static unsigned int read_range(struct xf_input *in, unsigned long *first)
{
	unsigned long index = read_index(in);
	unsigned int order = xf_byte(in) % (XF_MAX_ORDER + 1);

	*first = index & ~((1UL << order) - 1);
	return order;
}

static void op_store_range(struct xf_array *a, struct xf_input *in)
{
	unsigned long first, last;
	unsigned int order = read_range(in, &first);
	void *entry = read_entry(in), *ret;
	gfp_t gfp = read_gfp(xf_byte(in));

	if (a->alloc) {
		/*
		 * Multi-index entries only in the plain array; and xa_store_range()
		 * leaves XA_FREE_MARK alone, as in the kernel: an xa_store() instead.
		 */
		struct xf_ment *e = model_find(&a->m, user_index(a, first));

		if (entry == XF_INVALID_ENTRY || xa_is_zero(entry))
			entry = NULL;
		first = user_index(a, first);
		arm_failure();
		ret = xa_store(&a->xa, first, entry, gfp);
		disarm_failure();
		if (writer_result(ret, e ? zero_to_null(e->entry) : NULL, false))
			model_store(&a->m, first, entry ? entry : XA_ZERO_ENTRY);
		return;
	}
	last = first + ((1UL << order) - 1);
	arm_failure();
	ret = xa_store_range(&a->xa, first, last, entry, gfp);
	disarm_failure();
	if (entry == XF_INVALID_ENTRY || xa_is_zero(entry)) {
		XF_CHECK(ret == XA_ERROR(-EINVAL), "xa_store_range(%p) returned %p", entry, ret);
		return;
	}
	if (xa_err(ret) == -ENOMEM) {
		XF_CHECK(xf_armed, "xa_store_range: -ENOMEM with no injected failure");
		return;
	}
	XF_CHECK(ret == NULL, "xa_store_range [%lu, %lu] returned %p", first, last, ret);
	model_store_order(&a->m, first, order, entry);
}

/* The advanced API's store loop; returns xas_error() at the end. */
static int store_order_loop(struct xf_array *a, unsigned long first, unsigned int order,
			    void *entry, gfp_t gfp, bool give_up)
{
	XA_STATE_ORDER(xas, &a->xa, first, order);

	do {
		xas_lock(&xas);
		xas_store(&xas, entry);
		if (a->alloc && entry)
			xas_clear_mark(&xas, XA_FREE_MARK);
		xas_unlock(&xas);
	} while (!(give_up && xas_error(&xas)) && xas_nomem(&xas, gfp));
	return xas_error(&xas);
}

static void op_store_order(struct xf_array *a, struct xf_input *in)
{
	unsigned long first;
	unsigned int order = read_range(in, &first);
	void *entry = read_entry(in);
	uint8_t how = xf_byte(in);
	gfp_t gfp = read_gfp(how);
	bool give_up = how & 2;	/* on -ENOMEM, do not retry through xas_nomem() */
	int err;

	if (entry == XF_INVALID_ENTRY)
		entry = NULL;
	if (a->alloc) {
		first = user_index(a, first);
		order = 0;
	}
	arm_failure();
	err = store_order_loop(a, first, order, entry, gfp, give_up);
	disarm_failure();
	XF_CHECK(err != -ENOMEM || xf_armed, "xas_store: -ENOMEM with no injected failure");
	XF_CHECK(err == 0 || err == -ENOMEM, "xas_store order %u at %lu: error %d", order, first, err);
	if (err && give_up) {
		/*
		 * Having given up, the caller may have left empty nodes in the
		 * tree (documented; xa_check() reports them): they are only
		 * filled by storing again. Retry from a fresh state.
		 */
		struct xf_ment *e = model_find(&a->m, first);

		XF_CHECK(xa_load(&a->xa, first) == (e ? zero_to_null(e->entry) : NULL),
			 "xas_store gave up but changed index %lu", first);
		err = store_order_loop(a, first, order, entry, gfp, false);
		XF_CHECK(err == 0, "xas_store retry order %u at %lu: error %d", order, first, err);
	}
	if (err)
		return;
	if (a->alloc && !entry)
		model_store(&a->m, first, NULL);
	else
		model_store_order(&a->m, first, order, entry);
}

static void op_mark(struct xf_array *a, struct xf_input *in, bool set)
{
	unsigned long index = user_index(a, read_index(in));
	bool valid;
	xa_mark_t mark = read_mark(in, a, &valid);
	struct xf_ment *e = model_find(&a->m, index);

	if (set)
		xa_set_mark(&a->xa, index, mark);
	else
		xa_clear_mark(&a->xa, index, mark);
	if (!valid || !e)
		return;
	if (set)
		e->marks |= 1U << mark;
	else
		e->marks &= ~(1U << mark);
}

/* ------------------------------------------------------------------ */
/* Readers.                                                            */

static void op_get_mark(struct xf_array *a, struct xf_input *in)
{
	unsigned long index = read_index(in);
	bool valid;
	xa_mark_t mark = read_mark(in, a, &valid);
	struct xf_ment *e = model_find(&a->m, index);
	bool expect = valid && e && (e->marks & (1U << mark));

	if (a->alloc1 && index == 0)
		return;
	XF_CHECK(xa_get_mark(&a->xa, index, mark) == expect, "xa_get_mark(%lu, %u) != %d",
		 index, mark, expect);
}

static void op_load(struct xf_array *a, struct xf_input *in)
{
	unsigned long index = read_index(in);
	struct xf_ment *e = model_find(&a->m, index);
	void *expect = e ? zero_to_null(e->entry) : NULL, *got = xa_load(&a->xa, index);
	int order = xa_get_order(&a->xa, index);

	XF_CHECK(got == expect, "xa_load(%lu) = %p, model %p", index, got, expect);
	if (!(a->alloc1 && index == 0))
		XF_CHECK(order == (e ? (int)e->order : 0), "xa_get_order(%lu) = %d, model %u",
			 index, order, e ? e->order : 0);
}

static unsigned long read_max(struct xf_input *in, unsigned long start)
{
	uint8_t b = xf_byte(in);

	if (b & 1)
		return ULONG_MAX;
	return start + (b >> 1) * (b >> 1);	/* may wrap: then max < start */
}

/* Checks one xa_find result against the model entry expected. */
static void check_found(const char *what, void *got, unsigned long got_index,
			unsigned long start, const struct xf_ment *e, xa_mark_t filter)
{
	bool index_ok;

	XF_CHECK(got == (e ? e->entry : NULL), "%s from %lu: %p, model %p", what, start, got,
		 e ? e->entry : NULL);
	if (!e) {
		XF_CHECK(got_index == start, "%s from %lu: index moved to %lu on failure", what,
			 start, got_index);
		return;
	}
	if (e->first >= start)
		index_ok = got_index == e->first;
	else	/* inside a multi-index entry: the kernel reports either */
		index_ok = got_index == start ||
			   (filter < XA_MAX_MARKS && got_index == e->first);
	XF_CHECK(index_ok, "%s from %lu: index %lu, model entry at [%lu, %lu]", what, start,
		 got_index, e->first, e->last);
}

static void op_find(struct xf_array *a, struct xf_input *in)
{
	unsigned long start = read_index(in), index = start;
	unsigned long max = read_max(in, start);
	xa_mark_t filter = read_filter(in, a);
	struct xf_ment *e = start <= max ? model_search(&a->m, start, max, filter) : NULL;
	void *got = xa_find(&a->xa, &index, max, filter);

	check_found("xa_find", got, index, start, e, filter);
}

/* The entry xa_find_after(@after) should find: it must begin after @after. */
static struct xf_ment *model_search_after(struct xf_model *m, unsigned long after,
					  unsigned long max, xa_mark_t filter)
{
	if (after == ULONG_MAX || after >= max)
		return NULL;
	for (unsigned int i = model_lower(m, after + 1); i < m->nr; i++) {
		if (m->e[i].first > max)
			break;
		if (m->e[i].first > after && entry_matches(&m->e[i], filter))
			return &m->e[i];
	}
	return NULL;
}

static void op_find_after(struct xf_array *a, struct xf_input *in)
{
	unsigned long start = read_index(in), index = start;
	unsigned long max = read_max(in, start);
	xa_mark_t filter = read_filter(in, a);
	struct xf_ment *e = model_search_after(&a->m, start, max, filter);
	void *got = xa_find_after(&a->xa, &index, max, filter);

	XF_CHECK(got == (e ? e->entry : NULL), "xa_find_after(%lu, max %lu, filter %u): %p, model %p",
		 start, max, filter, got, e ? e->entry : NULL);
	XF_CHECK(index == (e ? e->first : start), "xa_find_after(%lu): index %lu, model %lu",
		 start, index, e ? e->first : start);
}

/* xa_for_each_range / xa_for_each_marked against the model. */
static void op_for_each(struct xf_array *a, struct xf_input *in, bool marked)
{
	struct xf_model *m = &a->m;
	unsigned long start = marked ? 0 : read_index(in);
	unsigned long last = marked ? ULONG_MAX : read_max(in, start);
	xa_mark_t filter = marked ? read_filter(in, a) : XA_PRESENT;
	unsigned long index, prev = start;
	unsigned int seen = 0;
	struct xf_ment *e = start <= last ? model_search(m, start, last, filter) : NULL;
	void *entry;

	if (marked) {
		xa_for_each_marked(&a->xa, index, entry, filter) {
			check_found("xa_for_each_marked", entry, index, prev, e, filter);
			prev = index;
			e = model_search_after(m, index, ULONG_MAX, filter);
			XF_CHECK(++seen <= m->nr, "xa_for_each_marked runs away");
		}
	} else {
		xa_for_each_range(&a->xa, index, entry, start, last) {
			check_found("xa_for_each_range", entry, index, prev, e, filter);
			prev = index;
			e = model_search_after(m, index, last, filter);
			XF_CHECK(++seen <= m->nr, "xa_for_each_range runs away");
		}
	}
	XF_CHECK(!e, "%s stopped before the entry at %lu", marked ? "xa_for_each_marked" :
		 "xa_for_each_range", e ? e->first : 0);
}

/* xas_for_each(_marked) over [start, max] under RCU: raw entries, zero ones included. */
static void op_xas_for_each(struct xf_array *a, struct xf_input *in)
{
	struct xf_model *m = &a->m;
	unsigned long start = read_index(in);
	unsigned long max = read_max(in, start);
	uint8_t how = xf_byte(in);
	bool marked = how & 1;
	bool pause = how & 0x80;	/* xas_pause() and leave RCU after each entry */
	xa_mark_t mark = a->alloc ? 1 + ((how >> 1) & 1) : ((how >> 1) & 0x3f) % 3;
	unsigned int i = model_lower(m, start), seen = 0;
	XA_STATE(xas, &a->xa, start);
	void *entry;

	if (max < start)
		return;
	uxa_rcu_read_lock();
	for (entry = marked ? xas_find_marked(&xas, max, mark) : xas_find(&xas, max); entry;
	     entry = marked ? xas_next_marked(&xas, max, mark) : xas_next_entry(&xas, max)) {
		struct xf_ment *e;

		if (xf_trace)
			fprintf(stderr, "  xas_for_each: %p at %lu\n", entry, xas.xa_index);
		if (a->alloc1 && xas.xa_index == 0 && xa_is_zero(entry))
			continue;
		while (i < m->nr && marked && !(m->e[i].marks & (1U << mark)))
			i++;
		XF_CHECK(i < m->nr && m->e[i].first <= max, "xas_for_each from %lu: extra %p at %lu",
			 start, entry, xas.xa_index);
		e = &m->e[i++];
		/* A marked search starting inside an entry may report its first index. */
		XF_CHECK(entry == e->entry && xas.xa_index >= e->first && xas.xa_index <= e->last &&
			 (xas.xa_index >= start || (marked && e->first < start)) &&
			 xas.xa_index <= max,
			 "xas_for_each%s [%lu, %lu]: %p at %lu, model %p at [%lu, %lu]",
			 marked ? "_marked" : "", start, max, entry, xas.xa_index, e->entry,
			 e->first, e->last);
		XF_CHECK(++seen <= m->nr, "xas_for_each runs away");
		if (pause) {
			xas_pause(&xas);
			uxa_rcu_read_unlock();
			uxa_rcu_read_lock();
		}
	}
	uxa_rcu_read_unlock();
	while (i < m->nr && marked && !(m->e[i].marks & (1U << mark)))
		i++;
	XF_CHECK(i == m->nr || m->e[i].first > max, "xas_for_each [%lu, %lu] missed %p at %lu",
		 start, max, m->e[i].entry, m->e[i].first);
}

/* Checks one raw entry seen by xas_next()/xas_prev() at @index. */
static void check_raw(const struct xf_array *a, unsigned long index, void *entry, bool wrapped)
{
	struct xf_ment *e = model_find((struct xf_model *)&a->m, index);

	if (a->alloc1 && index == 0 && (!entry || xa_is_zero(entry)))
		return;
	if (!entry) {
		/* Wrapping off the top of the tree ends at XAS_BOUNDS, as in the kernel. */
		XF_CHECK(!e || wrapped, "xas walk: NULL at %lu, model %p", index, e->entry);
		return;
	}
	XF_CHECK(!xa_is_retry(entry) && !xa_is_node(entry), "xas walk: %p at %lu", entry, index);
	XF_CHECK(e, "xas walk: %p at %lu, model none", entry, index);
	if (xa_is_sibling(entry))
		XF_CHECK(e->first < index, "xas walk: sibling at %lu, model [%lu, %lu]", index,
			 e->first, e->last);
	else
		XF_CHECK(entry == e->entry, "xas walk: %p at %lu, model %p", entry, index, e->entry);
}

static void op_xas_walk(struct xf_array *a, struct xf_input *in)
{
	unsigned long index = read_index(in);
	unsigned int steps = xf_byte(in) % XF_MAX_WALK;
	uint8_t dirs = xf_byte(in);
	XA_STATE(xas, &a->xa, index);
	void *entry;

	if (xf_trace)
		fprintf(stderr, "xas walk from %lu: %u steps, directions 0x%x\n", index, steps, dirs);
	uxa_rcu_read_lock();
	entry = xas_next(&xas);
	XF_CHECK(xas.xa_index == index, "xas_next moved a fresh state to %lu", xas.xa_index);
	check_raw(a, index, entry, false);
	for (unsigned int i = 0; i < steps; i++) {
		bool forward = (dirs >> (i % 8)) & 1;
		bool wrapped = forward ? index == ULONG_MAX : index == 0;
		struct xf_ment *e = model_find(&a->m, index);

		/*
		 * On a multi-index entry the state's offset is the canonical
		 * slot's, not the index's, and xas_next()/xas_prev() step from
		 * that slot (as in the kernel): restart the walk at the next index.
		 */
		if (e && e->order)
			xas_set(&xas, index + (forward ? 1 : -1UL));
		entry = forward ? xas_next(&xas) : xas_prev(&xas);
		if (xf_trace)
			fprintf(stderr, "  %s: %p at %lu, node %p offset %u\n",
				forward ? "next" : "prev", entry, xas.xa_index,
				(void *)xas.xa_node, xas.xa_offset);
		index += forward ? 1 : -1UL;
		XF_CHECK(xas.xa_index == index, "xas_%s: index %lu, expected %lu",
			 forward ? "next" : "prev", xas.xa_index, index);
		check_raw(a, index, entry, wrapped);
	}
	uxa_rcu_read_unlock();
}

static void op_extract(struct xf_array *a, struct xf_input *in)
{
	struct xf_model *m = &a->m;
	unsigned long start = read_index(in);
	unsigned long max = read_max(in, start);
	xa_mark_t filter = read_filter(in, a);
	unsigned int n = xf_byte(in) % 40, got, want = 0;
	void *dst[40];

	got = xa_extract(&a->xa, dst, start, max, n, filter);
	if (start <= max) {
		for (unsigned int i = model_lower(m, start); i < m->nr && want < n; i++) {
			if (m->e[i].first > max)
				break;
			if (!entry_matches(&m->e[i], filter))
				continue;
			XF_CHECK(want < got && dst[want] == m->e[i].entry,
				 "xa_extract [%lu, %lu] #%u: %p, model %p", start, max, want,
				 want < got ? dst[want] : NULL, m->e[i].entry);
			want++;
		}
	}
	XF_CHECK(got == want, "xa_extract [%lu, %lu] n %u filter %u: %u, model %u", start, max,
		 n, filter, got, want);
}

/* Split the multi-index entry covering an index of the plain array. */
static void op_split(struct xf_array *a, struct xf_input *in)
{
	unsigned long index = read_index(in);
	uint8_t b = xf_byte(in);
	void *entry = read_entry(in);
	struct xf_ment *e = model_find(&a->m, index);
	unsigned int order, new_order, marks;
	unsigned long first, step;
	bool too_deep;
	int err;

	if (a->alloc || !e || !e->order || xa_is_zero(e->entry))
		return;
	if (!entry || xa_is_internal(entry))
		entry = xa_mk_value(b);
	order = e->order;
	new_order = order - 1 - b % (order < XF_MAX_SPLIT ? order : XF_MAX_SPLIT);
	if (a->m.nr + (1U << (order - new_order)) > XF_MAX_ENTRIES)
		return;
	/* Only one level down (as in the kernel): from the new order's level. */
	too_deep = new_order - new_order % XA_CHUNK_SHIFT + 2 * XA_CHUNK_SHIFT <= order;
	first = e->first;
	marks = e->marks;
	{
		XA_STATE_ORDER(xas, &a->xa, first, new_order);

		arm_failure();
		xas_split_alloc(&xas, entry, order, GFP_KERNEL);
		disarm_failure();
		err = xas_error(&xas);
		if (!err) {
			xas_lock(&xas);
			xas_split(&xas, entry, order);
			xas_unlock(&xas);
			err = xas_error(&xas);
		}
		/* Frees what was not used (on -ENOMEM it would allocate instead). */
		if (!err)
			xas_nomem(&xas, GFP_KERNEL);
	}
	if (too_deep || err) {
		XF_CHECK(err == -ENOMEM && (too_deep || xf_armed),
			 "xas_split order %u -> %u at %lu: error %d", order, new_order, first, err);
		return;
	}
	model_remove(&a->m, e);
	step = 1UL << new_order;
	for (unsigned long k = 0; k < (1UL << (order - new_order)); k++)
		model_insert(&a->m, first + k * step, new_order, entry, marks);
}

/* xa_for_each_marked, erasing every entry it visits. */
static void op_for_each_erase(struct xf_array *a, struct xf_input *in)
{
	struct xf_model *m = &a->m;
	xa_mark_t filter = read_filter(in, a);
	unsigned int seen = 0, nr = m->nr;
	unsigned long index;
	void *entry;

	xa_for_each_marked(&a->xa, index, entry, filter) {
		struct xf_ment *e = model_find(m, index);
		void *old;

		XF_CHECK(e && e->entry == entry && entry_matches(e, filter),
			 "xa_for_each_marked(%u) while erasing: %p at %lu, model %p", filter,
			 entry, index, e ? e->entry : NULL);
		old = xa_erase(&a->xa, index);
		XF_CHECK(old == entry, "xa_erase(%lu) in xa_for_each: %p, expected %p", index,
			 old, entry);
		model_remove(m, e);
		XF_CHECK(++seen <= nr, "xa_for_each while erasing runs away");
	}
	XF_CHECK(!model_search(m, 0, ULONG_MAX, filter),
		 "xa_for_each_marked(%u) while erasing missed an entry", filter);
}

/*
 * xas_create_range() over an empty aligned range of the plain array (at
 * most 64 indices), then one order-0 store per index under the same lock:
 * the page cache's way of filling a range without allocating midway.
 */
static void op_create_range(struct xf_array *a, struct xf_input *in)
{
	unsigned long index = read_index(in);
	unsigned int order = xf_byte(in) % 7;
	unsigned long first = index & ~((1UL << order) - 1);
	unsigned long last = first + ((1UL << order) - 1);
	uint8_t base = xf_byte(in);
	unsigned int i = model_lower(&a->m, first);
	XA_STATE_ORDER(xas, &a->xa, first, order);
	int err;

	if (a->alloc || (i < a->m.nr && a->m.e[i].first <= last))
		return;	/* only empty ranges: then every node created gets filled */
	arm_failure();
	do {
		xas_lock(&xas);
		xas_create_range(&xas);
		if (!xas_error(&xas)) {
			for (unsigned long k = 0; k < (1UL << order); k++) {
				xas_set(&xas, first + k);
				xas_store(&xas, xa_mk_value((base + k) & 0x3f));
				XF_CHECK(!xas_error(&xas), "xas_store at %lu after xas_create_range: %d",
					 first + k, xas_error(&xas));
			}
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	disarm_failure();
	err = xas_error(&xas);
	XF_CHECK(err == 0 || (err == -ENOMEM && xf_armed), "xas_create_range [%lu, %lu]: %d",
		 first, last, err);
	if (err)
		return;	/* only empty nodes may have been created: xa_check says */
	for (unsigned long k = 0; k < (1UL << order); k++)
		model_insert(&a->m, first + k, 0, xa_mk_value((base + k) & 0x3f), 0);
}

/* xas_for_each_conflict over an aligned range: every entry overlapping it, once. */
static void op_conflict(struct xf_array *a, struct xf_input *in)
{
	struct xf_model *m = &a->m;
	unsigned long first;
	unsigned int order = read_range(in, &first);
	unsigned long last = first + ((1UL << order) - 1);
	unsigned int i = model_lower(m, first), seen = 0;
	XA_STATE_ORDER(xas, &a->xa, first, order);
	void *entry;

	if (a->alloc)
		return;
	xas_lock(&xas);
	xas_for_each_conflict(&xas, entry) {
		XF_CHECK(i < m->nr && m->e[i].first <= last,
			 "xas_find_conflict [%lu, %lu]: extra %p", first, last, entry);
		XF_CHECK(entry == m->e[i].entry, "xas_find_conflict [%lu, %lu]: %p, model %p at %lu",
			 first, last, entry, m->e[i].entry, m->e[i].first);
		i++;
		XF_CHECK(++seen <= m->nr, "xas_for_each_conflict runs away");
	}
	xas_unlock(&xas);
	XF_CHECK(i == m->nr || m->e[i].first > last, "xas_find_conflict [%lu, %lu] missed %p at %lu",
		 first, last, i < m->nr ? m->e[i].entry : NULL, i < m->nr ? m->e[i].first : 0);
}

/* ------------------------------------------------------------------ */
/* The driver.                                                         */

static void arrays_init(void)
{
	static const gfp_t flags[XF_NR_ARRAYS] = { 0, XA_FLAGS_ALLOC, XA_FLAGS_ALLOC1 };

	for (unsigned int i = 0; i < XF_NR_ARRAYS; i++) {
		struct xf_array *a = &xf_arrays[i];

		xa_init_flags(&a->xa, flags[i]);
		a->m.nr = 0;
		a->m.next = 0;
		a->m.wrapped = false;
		a->alloc = flags[i] & XA_FLAGS_TRACK_FREE;
		a->alloc1 = flags[i] & XA_FLAGS_ZERO_BUSY;
	}
}

static unsigned long nodes_in_use(void)
{
	struct kmem_cache_stats st;

	if (kmem_cache_get_stats(xa_node_cache(), &st))
		xf_fail("kmem_cache_get_stats failed");
	return st.objects_in_use;
}

/* Runs one operation; returns whether it may have changed @a. */
/* ------------------------------------------------------------------ */
/* Moving nodes: every array must read exactly as before.              */

/* Each costs an RCU barrier (~10 ms): a few per input keep fuzzing fast. */
#define XF_MAX_MOBILITY_OPS	2
static unsigned int xf_mobility_ops;	/* this input's, so far */

static void sweep_all_arrays(void)
{
	for (unsigned int i = 0; i < XF_NR_ARRAYS; i++)
		sweep_array(&xf_arrays[i]);
}

static void op_defrag(struct xf_input *in)
{
	int pct = xf_byte(in) % 101;
	long pages;

	if (xf_mobility_ops++ >= XF_MAX_MOBILITY_OPS)
		return;
	pages = xf_byte(in) & 1 ? xa_defrag_nodes(pct)
				: kmem_cache_defrag(xa_node_cache(), pct);
	XF_CHECK(pages >= 0, "defrag(%d%%): %ld", pct, pages);
	sweep_all_arrays();
}

static void op_compact(struct xf_input *in)
{
	unsigned int order = xf_byte(in) % (UXA_MAX_ORDER + 1);
	struct uxa_compact_stats st;
	int ret;

	if (xf_mobility_ops++ >= XF_MAX_MOBILITY_OPS)
		return;
	ret = uxa_page_compact(order, &st);
	XF_CHECK(ret == 0 || ret == -EAGAIN || ret == -ENOMEM, "compact(%u): %d", order, ret);
	sweep_all_arrays();
}

static bool run_op(struct xf_array *a, enum xf_op op, struct xf_input *in, bool locked)
{
	switch (op) {
	case XF_STORE:
		op_store(a, in, locked);
		return true;
	case XF_ERASE:
		op_erase(a, in, locked);
		return true;
	case XF_CMPXCHG:
		op_cmpxchg(a, in, locked);
		return true;
	case XF_INSERT:
		op_insert(a, in, locked);
		return true;
	case XF_RESERVE:
		op_reserve(a, in);
		return true;
	case XF_RELEASE:
		op_release(a, in);
		return true;
	case XF_ALLOC:
		op_alloc(a, in, locked);
		return true;
	case XF_ALLOC_CYCLIC:
		op_alloc_cyclic(a, in);
		return true;
	case XF_STORE_RANGE:
		op_store_range(a, in);
		return true;
	case XF_STORE_ORDER:
		op_store_order(a, in);
		return true;
	case XF_SET_MARK:
		op_mark(a, in, true);
		return true;
	case XF_CLEAR_MARK:
		op_mark(a, in, false);
		return true;
	case XF_GET_MARK:
		op_get_mark(a, in);
		return false;
	case XF_LOAD:
		op_load(a, in);
		return false;
	case XF_FIND:
		op_find(a, in);
		return false;
	case XF_FIND_AFTER:
		op_find_after(a, in);
		return false;
	case XF_FOR_EACH:
		op_for_each(a, in, false);
		return false;
	case XF_FOR_EACH_MARKED:
		op_for_each(a, in, true);
		return false;
	case XF_XAS_FOR_EACH:
		op_xas_for_each(a, in);
		return false;
	case XF_XAS_WALK:
		op_xas_walk(a, in);
		return false;
	case XF_EXTRACT:
		op_extract(a, in);
		return false;
	case XF_DESTROY:
		xa_destroy(&a->xa);
		a->m.nr = 0;	/* the cyclic cursor and the wrapped flag survive */
		return true;
	case XF_FAIL_ALLOC:
		xf_pending_fail = 1 + xf_byte(in) % 4;
		return false;
	case XF_DEFRAG:
		op_defrag(in);
		return false;
	case XF_COMPACT:
		op_compact(in);
		return false;
	case XF_SPLIT:
		op_split(a, in);
		return true;
	case XF_FOR_EACH_ERASE:
		op_for_each_erase(a, in);
		return true;
	case XF_CREATE_RANGE:
		op_create_range(a, in);
		return true;
	case XF_CONFLICT:
		op_conflict(a, in);
		return false;
	case XF_OP_NR:
		break;
	}
	return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Only libFuzzer calls this: batch the leak check (a barrier per input is slow). */
	xf_leak_every = XF_LEAK_EVERY;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xf_input in = { data, size };

	if (!xf_baseline_known) {
		xf_trace = getenv("XF_TRACE") != NULL;
		uxa_rcu_barrier();
		xf_baseline = nodes_in_use();
		xf_baseline_known = true;
	}
	arrays_init();
	xf_pending_fail = 0;
	xf_mobility_ops = 0;
	xf_armed = false;
	for (xf_op_no = 0; in.left && xf_op_no < XF_MAX_OPS; xf_op_no++) {
		uint8_t b = xf_byte(&in);
		struct xf_array *a = &xf_arrays[(b >> 5) % XF_NR_ARRAYS];
		enum xf_op op = (enum xf_op)((b & 0x1f) % XF_OP_NR);
		bool locked = (b >> 5) >= XF_NR_ARRAYS * 2;	/* top values: locked API */

		/* Most allocations aimed at the plain array go to an allocating one. */
		if ((op == XF_ALLOC || op == XF_ALLOC_CYCLIC) && !a->alloc && xf_op_no % 8)
			a = &xf_arrays[1 + xf_op_no % 2];
		xf_op_code = op;
		if (xf_trace)
			fprintf(stderr, "op #%u: code %d array %ld%s\n", xf_op_no, op,
				(long)(a - xf_arrays), locked ? " locked" : "");
		if (run_op(a, op, &in, locked))
			sweep_array(a);
	}
	xf_op_code = -1;
	for (unsigned int i = 0; i < XF_NR_ARRAYS; i++) {
		xa_destroy(&xf_arrays[i].xa);
		XF_CHECK(xa_empty(&xf_arrays[i].xa), "array %u not empty after xa_destroy", i);
	}
	if (++xf_runs % xf_leak_every == 0) {
		unsigned long used;

		uxa_rcu_barrier();
		used = nodes_in_use();
		XF_CHECK(used == xf_baseline, "xa_node objects in use: %lu, expected %lu (leak)",
			 used, xf_baseline);
	}
	return 0;
}
