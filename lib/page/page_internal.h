/* SPDX-License-Identifier: MIT */
/*
 * page_internal.h - what the rest of the library may ask the page allocator
 * beyond the public uxa/page.h: owner tags on allocated blocks.
 *
 * Every base page has a descriptor; the allocator's users (the slab) tag
 * the pages of a block they own with a cookie (struct slab *) so that any
 * address inside the block maps back to its owner in O(1), lock-free, and
 * foreign pointers are recognised (page_owner() returns NULL).
 */
#ifndef UXA_PAGE_INTERNAL_H
#define UXA_PAGE_INTERNAL_H

#include <uxa/page.h>
#include "sync/sync.h"

/*
 * page_set_owner() - tag every page of an allocated block with @owner.
 * @block: address returned by uxa_alloc_pages(); @order: its order;
 * @owner: the cookie, or NULL to clear before freeing the block.
 * Release store: a page_owner() that sees @owner sees what the caller
 * wrote before tagging.
 */
SYNC_HIDDEN void page_set_owner(void *block, unsigned int order, void *owner);

/*
 * page_owner() - the owner tag of the page containing @addr.
 * Safe on any address (lock-free, acquire load; descriptors are never
 * unmapped). Return: the cookie, or NULL if the page is untagged, free, or
 * not memory of the page allocator.
 */
SYNC_HIDDEN void *page_owner(const void *addr);

#endif /* UXA_PAGE_INTERNAL_H */
