/* SPDX-License-Identifier: MIT */
/*
 * xa_tree.h - looking at an XArray's tree from a test (no Criterion: the
 * stress programs, which TSan runs, include it too).
 */
#ifndef UXA_TEST_XA_TREE_H
#define UXA_TEST_XA_TREE_H

#include <uxa/xarray.h>

/*
 * xa_tree_count_nodes() - nodes reachable from @entry (an array's xa_head,
 * or a slot). Quiescent arrays only: plain reads, no RCU.
 */
static inline unsigned long xa_tree_count_nodes(const void *entry)
{
	const struct xa_node *node;
	unsigned long n = 1;

	if (!xa_is_node(entry))
		return 0;
	node = xa_to_node(entry);
	if (node->shift)
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++)
			n += xa_tree_count_nodes(node->slots[i]);
	return n;
}

#endif /* UXA_TEST_XA_TREE_H */
