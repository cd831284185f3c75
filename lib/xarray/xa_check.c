/* SPDX-License-Identifier: MIT */
/*
 * xa_check.c - debugging aids: xa_check() verifies the tree's invariants
 * (see xarray.c) under xa_lock and names the first violation; xa_dump()
 * prints the tree.
 */
#include <stdarg.h>

#include "xarray/xa_internal.h"

struct xa_checker {
	struct xarray *xa;
	bool track_free;
	bool failed;
};

__attribute__((format(printf, 3, 4)))
static void xa_check_fail(struct xa_checker *c, const struct xa_node *node, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	fprintf(stderr, "uxa: xa_check(%p): node %p: ", (void *)c->xa, (const void *)node);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* An entry may sit in a slot: user pointers and values, zero, siblings, nodes. */
static bool xa_slot_entry_ok(const void *entry)
{
	if (!xa_is_internal(entry))
		return true;
	return xa_is_zero(entry) || xa_is_sibling(entry) || xa_is_node(entry);
}

static void xa_check_siblings(struct xa_checker *c, const struct xa_node *node)
{
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		void *entry = xa_entry_locked(node, i);
		unsigned long canon;

		if (!xa_is_sibling(entry))
			continue;
		canon = xa_to_sibling(entry);
		if (canon >= i) {
			xa_check_fail(c, node, "slot %u: sibling of slot %lu, not an earlier one",
				      i, canon);
			return;
		}
		entry = xa_entry_locked(node, canon);
		if (!entry || xa_is_sibling(entry) || xa_is_node(entry)) {
			xa_check_fail(c, node, "slot %u: sibling of slot %lu, which holds %p",
				      i, canon, entry);
			return;
		}
		for (unsigned long j = canon + 1; j < i; j++) {
			if (xa_entry_locked(node, j) != xa_mk_sibling(canon)) {
				xa_check_fail(c, node, "slot %u: siblings of slot %lu not contiguous",
					      i, canon);
				return;
			}
		}
	}
}

static void xa_check_counts(struct xa_checker *c, const struct xa_node *node)
{
	unsigned int count = 0, values = 0;

	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		void *entry = xa_entry_locked(node, i);

		if (!entry)
			continue;
		count++;
		if (xa_is_sibling(entry))
			entry = xa_entry_locked(node, xa_to_sibling(entry));
		if (xa_is_value(entry))
			values++;
	}
	if (count != node->count)
		xa_check_fail(c, node, "count %u, but %u slots are in use", node->count, count);
	else if (values != node->nr_values)
		xa_check_fail(c, node, "nr_values %u, but %u slots hold values",
			      node->nr_values, values);
	else if (!count)
		xa_check_fail(c, node, "empty node left in the tree");
}

static void xa_check_marks(struct xa_checker *c, const struct xa_node *node)
{
	for (xa_mark_t mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++) {
		bool free_mark = c->track_free && mark == XA_FREE_MARK;

		if (node_find_mark(node, mark, 0) == XA_CHUNK_SIZE) {
			for (unsigned int w = 0; w < XA_MARK_LONGS; w++) {
				if (node->marks[mark][w]) {
					xa_check_fail(c, node, "mark %u: bits beyond the slots", mark);
					return;
				}
			}
		}
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
			void *entry = xa_entry_locked(node, i);
			bool bit = node_get_mark(node, i, mark);

			if (xa_is_node(entry)) {
				if (bit != node_any_mark(xa_to_node(entry), mark))
					xa_check_fail(c, node, "slot %u: mark %u is %d, child says %d",
						      i, mark, bit, !bit);
			} else if (bit && xa_is_sibling(entry)) {
				xa_check_fail(c, node, "slot %u: mark %u on a sibling entry", i, mark);
			} else if (bit && !entry && !free_mark) {
				xa_check_fail(c, node, "slot %u: mark %u on an empty slot", i, mark);
			} else if (!bit && !entry && free_mark) {
				xa_check_fail(c, node, "slot %u: empty but not marked free", i);
			}
		}
	}
}

static void xa_check_node(struct xa_checker *c, struct xa_node *node, struct xa_node *parent,
			  unsigned int offset, unsigned int shift)
{
	if (sync_load_acquire(&node->array) != c->xa) {
		xa_check_fail(c, node, "array %p, expected %p", (void *)node->array, (void *)c->xa);
		return;
	}
	if (xa_parent_locked(node) != parent || node->offset != offset) {
		xa_check_fail(c, node, "parent %p offset %u, expected %p offset %u",
			      (void *)xa_parent_locked(node), node->offset, (void *)parent, offset);
		return;
	}
	if (node->shift != shift) {
		xa_check_fail(c, node, "shift %u, expected %u", node->shift, shift);
		return;
	}
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		void *entry = xa_entry_locked(node, i);

		if (!xa_slot_entry_ok(entry) || (xa_is_node(entry) && !shift)) {
			xa_check_fail(c, node, "slot %u holds %p, not allowed here", i, entry);
			return;
		}
	}
	xa_check_siblings(c, node);
	xa_check_counts(c, node);
	xa_check_marks(c, node);
	if (c->failed || !shift)
		return;
	for (unsigned int i = 0; i < XA_CHUNK_SIZE && !c->failed; i++) {
		void *entry = xa_entry_locked(node, i);

		if (xa_is_node(entry))
			xa_check_node(c, xa_to_node(entry), node, i, shift - XA_CHUNK_SHIFT);
	}
}

/* The top node: a valid shift, and the root marks mirror its marks. */
static void xa_check_top(struct xa_checker *c, struct xa_node *top)
{
	if (top->shift % XA_CHUNK_SHIFT || top->shift >= XA_BITS_PER_LONG) {
		xa_check_fail(c, top, "top shift %u", top->shift);
		return;
	}
	for (xa_mark_t mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++) {
		if (xa_root_marked(c->xa, mark) != node_any_mark(top, mark)) {
			xa_check_fail(c, top, "root mark %u is %d, top node says %d", mark,
				      xa_root_marked(c->xa, mark), !xa_root_marked(c->xa, mark));
			return;
		}
	}
	/*
	 * No "shrunk as far as possible" rule: as in the kernel, the tree only
	 * shrinks when entries are removed, so a lone slot 0 is legal after
	 * overwriting a reserved index 0 (the zero entry cannot live in the
	 * head), after xas_split() or xas_create_range() at index 0.
	 */
}

UXA_API int xa_check(struct xarray *xa)
{
	struct xa_checker c = { .xa = xa };
	void *head;

	/* xa_lock: the tree holds still while checked (pairs with the unlock below). */
	sync_spin_lock(&xa->xa_lock);
	c.track_free = xa_track_free(xa);
	head = xa_head_locked(xa);
	if (xa_is_node(head)) {
		struct xa_node *top = xa_to_node(head);

		if (top->shift % XA_CHUNK_SHIFT || top->shift >= XA_BITS_PER_LONG)
			xa_check_fail(&c, top, "top shift %u", top->shift);
		else
			xa_check_node(&c, top, NULL, 0, top->shift);
		if (!c.failed)
			xa_check_top(&c, top);
	} else if (xa_is_internal(head) && !xa_is_zero(head)) {
		xa_check_fail(&c, NULL, "head holds internal entry %p", head);
	} else if (!head) {
		for (xa_mark_t mark = XA_MARK_0; mark <= XA_MARK_MAX; mark++) {
			if (c.track_free && mark == XA_FREE_MARK)
				continue;
			if (xa_root_marked(xa, mark))
				xa_check_fail(&c, NULL, "empty array has mark %u", mark);
		}
	}
	sync_spin_unlock(&xa->xa_lock);
	return c.failed ? -EINVAL : 0;
}

/* ------------------------------------------------------------------ */
/* xa_dump.                                                            */

static void xa_dump_entry(const void *entry, unsigned long index, unsigned long shift);

static void xa_dump_node(const struct xa_node *node)
{
	fprintf(stderr, "node %p %s %u parent %p shift %u count %u values %u array %p",
		(const void *)node, xa_parent(node) ? "offset" : "max",
		node->offset, (void *)xa_parent(node), node->shift, node->count,
		node->nr_values, (void *)node->array);
	for (unsigned int m = 0; m < XA_MAX_MARKS; m++) {
		fputs(m ? " " : " marks", stderr);
		for (unsigned int w = 0; w < XA_MARK_LONGS; w++)
			fprintf(stderr, " %lx", sync_load_relaxed(&node->marks[m][w]));
	}
	fputc('\n', stderr);
}

static void xa_dump_index(unsigned long index, unsigned long shift)
{
	if (!shift)
		fprintf(stderr, "%lu: ", index);
	else if (shift >= XA_BITS_PER_LONG)
		fprintf(stderr, "0-%lu: ", ~0UL);
	else
		fprintf(stderr, "%lu-%lu: ", index, index | ((1UL << shift) - 1));
}

static void xa_dump_entry(const void *entry, unsigned long index, unsigned long shift)
{
	if (!entry)
		return;
	xa_dump_index(index, shift);
	if (xa_is_node(entry)) {
		const struct xa_node *node = xa_to_node(entry);

		if (shift == 0) {
			fprintf(stderr, "%p\n", entry);
			return;
		}
		xa_dump_node(node);
		for (unsigned long i = 0; i < XA_CHUNK_SIZE; i++)
			xa_dump_entry(xa_entry(node, (unsigned int)i),
				      index + (i << node->shift), node->shift);
	} else if (xa_is_value(entry)) {
		fprintf(stderr, "value %lu (0x%lx) [%p]\n", xa_to_value(entry),
			xa_to_value(entry), entry);
	} else if (!xa_is_internal(entry)) {
		fprintf(stderr, "%p\n", entry);
	} else if (xa_is_retry(entry)) {
		fprintf(stderr, "retry (%lu)\n", xa_to_internal(entry));
	} else if (xa_is_sibling(entry)) {
		fprintf(stderr, "sibling (slot %lu)\n", xa_to_sibling(entry));
	} else if (xa_is_zero(entry)) {
		fprintf(stderr, "zero (%lu)\n", xa_to_internal(entry));
	} else {
		fprintf(stderr, "UNKNOWN ENTRY (%p)\n", entry);
	}
}

UXA_API void xa_dump(const struct xarray *xa)
{
	void *entry;
	unsigned long shift = 0;

	sync_rcu_read_lock();
	entry = xa_head(xa);
	fprintf(stderr, "xarray: %p head %p flags %x marks %d %d %d\n", (const void *)xa,
		entry, xa_flags_get(xa), xa_root_marked(xa, XA_MARK_0),
		xa_root_marked(xa, XA_MARK_1), xa_root_marked(xa, XA_MARK_2));
	if (xa_is_node(entry))
		shift = xa_to_node(entry)->shift + XA_CHUNK_SHIFT;
	xa_dump_entry(entry, 0, shift);
	sync_rcu_read_unlock();
}
