/* SPDX-License-Identifier: MIT */
/*
 * page_internal.h - what the rest of the library may ask the page allocator
 * beyond the public uxa/page.h: owner tags on allocated blocks, and the
 * hook through which compaction asks the layer above to vacate them.
 *
 * Every base page has a descriptor; the allocator's users (the slab) tag
 * the pages of a block they own with a cookie (struct slab *) so that any
 * address inside the block maps back to its owner in O(1), lock-free, and
 * foreign pointers are recognised (page_owner() returns NULL).
 *
 * Compaction (lib/page/compact.c) picks an aligned block whose in-use pages
 * all carry movable owners, captures it (its free parts, and every page
 * freed inside it meanwhile, are kept off the free lists), and calls the
 * registered page_vacate_fn with the block's distinct owners. The callee
 * moves their objects elsewhere and frees their blocks with
 * uxa_free_pages(); once every page of the target is free, the whole block
 * goes to the request that needed it.
 */
#ifndef UXA_PAGE_INTERNAL_H
#define UXA_PAGE_INTERNAL_H

#include <uxa/page.h>
#include "sync/sync.h"

/*
 * page_set_owner() - tag every page of an allocated block with @owner.
 * @block: address returned by uxa_alloc_pages(); @order: its order;
 * @owner: the cookie (at least 2-byte aligned), or NULL to clear before
 *         freeing the block;
 * @movable: the owner's objects can be moved (a mobile cache), so
 *         compaction may ask to vacate it.
 * Lock-free. Release store: a page_owner() that sees @owner sees what the
 * caller wrote before tagging.
 */
SYNC_HIDDEN void page_set_owner(void *block, unsigned int order, void *owner, bool movable);

/*
 * page_owner() - the owner tag of the page containing @addr.
 * Safe on any address (lock-free, acquire load pairing with
 * page_set_owner()'s release; descriptors are never unmapped). Return: the
 * cookie, or NULL if the page is untagged, free, or not memory of the page
 * allocator.
 */
SYNC_HIDDEN void *page_owner(const void *addr);

/*
 * typedef page_vacate_fn - compaction asks the layer above to vacate owners.
 * @owners: the distinct movable owners of the in-use pages of the target
 *          block, each named once;
 * @nr: how many.
 * Called with NO page-allocator lock held (the compaction mutex is held:
 * the callee must not wait for another compaction); may block, allocate
 * and free. The callee isolates all the owners first (so none receives
 * new objects), then moves their objects out and frees their blocks with
 * uxa_free_pages(). Allocations made by the callee on this thread never
 * compact again.
 * Return: how many owners it vacated completely.
 */
typedef unsigned int (*page_vacate_fn)(void *const *owners, unsigned int nr);

/*
 * page_register_vacate() - install the vacate callback (NULL removes it).
 * Without one, allocation never compacts and uxa_page_compact() returns
 * -ENOMEM unless a block of the order is already free.
 */
SYNC_HIDDEN void page_register_vacate(page_vacate_fn fn);

#endif /* UXA_PAGE_INTERNAL_H */
