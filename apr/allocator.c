/*
 * allocator.c - apr_allocator_t: an mpool allocator for the pools made with
 * it, and apr_memnode_t nodes for the callers of apr_allocator_alloc().
 *
 * Nodes are laid out as apr_allocator.h declares and APR fills them, since
 * apr-util's bucket allocator reads their fields: the header is
 * APR_MEMNODE_T_SIZE bytes, first_avail points just after it, endp at the
 * end of the node; a node is a whole number of 4 KiB units, at least two,
 * and `index` is its number of units less one. apr_allocator_free() takes
 * a chain linked by `next`. Idle nodes wait in lists by index (list 0 for
 * the largest), at most max_free bytes of them (rounded up to 4 KiB units;
 * 0, the default, keeps every one, as APR does); the rest go to free().
 * The lists are guarded by the allocator's mutex when one is set, as in
 * APR.
 */
#include "shim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* APR_MEMNODE_T_SIZE: the header rounded up to 8 bytes, which it is
 * already (APR's macro mixes int and size_t, which -Wsign-conversion
 * rejects). */
#define NODE_HEADER sizeof(apr_memnode_t)
_Static_assert(sizeof(apr_memnode_t) % 8 == 0, "APR_MEMNODE_T_SIZE is sizeof(apr_memnode_t)");

static void lock(apr_allocator_t *allocator) {
#if APR_HAS_THREADS
    if (allocator->mutex) apr_thread_mutex_lock(allocator->mutex);
#endif
}

static void unlock(apr_allocator_t *allocator) {
#if APR_HAS_THREADS
    if (allocator->mutex) apr_thread_mutex_unlock(allocator->mutex);
#endif
}

apr_allocator_t *shim_allocator_create(void) {
    apr_allocator_t *allocator = calloc(1, sizeof *allocator);
    if (!allocator) return NULL;
    if (!(allocator->blocks = mpool_allocator_create(&shim_counting_source))) {
        free(allocator);
        return NULL;
    }
    return allocator;
}

void shim_allocator_destroy(apr_allocator_t *allocator) {
    for (size_t i = 0; i < SHIM_NODE_LISTS; ++i) {
        apr_memnode_t *node;
        while ((node = allocator->idle[i]) != NULL) {
            allocator->idle[i] = node->next;
            free(node);
        }
    }
    mpool_allocator_destroy(allocator->blocks);
    free(allocator);
}

static _Thread_local apr_allocator_t *to_destroy = NULL;

void shim_allocator_destroy_later(apr_allocator_t *allocator) {
    allocator->next_to_destroy = to_destroy;
    to_destroy = allocator;
}

void shim_allocator_destroy_pending(void) {
    apr_allocator_t *allocator;
    while ((allocator = to_destroy) != NULL) {
        to_destroy = allocator->next_to_destroy;
        shim_allocator_destroy(allocator);
    }
}

SHIM_API apr_status_t apr_allocator_create(apr_allocator_t **allocator) {
    *allocator = shim_allocator_create();
    return *allocator ? APR_SUCCESS : APR_ENOMEM;
}

SHIM_API void apr_allocator_destroy(apr_allocator_t *allocator) { shim_allocator_destroy(allocator); }

SHIM_API void apr_allocator_mutex_set(apr_allocator_t *allocator, apr_thread_mutex_t *mutex) {
    allocator->mutex = mutex;
}

SHIM_API apr_thread_mutex_t *apr_allocator_mutex_get(apr_allocator_t *allocator) { return allocator->mutex; }

/* The owner destroys the allocator when it is destroyed; the hook that does
 * it is registered on the owner now. */
SHIM_API void apr_allocator_owner_set(apr_allocator_t *allocator, apr_pool_t *pool) {
    allocator->owner = pool;
    if (pool) shim_hook_post(pool, shim_of(pool));
}

SHIM_API apr_pool_t *apr_allocator_owner_get(apr_allocator_t *allocator) { return allocator->owner; }

/* Node size for a request of `size` bytes: 0 when it would overflow. */
static apr_size_t node_size(apr_size_t size) {
    if (size > SIZE_MAX - NODE_HEADER - SHIM_BOUNDARY) return 0;
    apr_size_t total = (size + NODE_HEADER + SHIM_BOUNDARY - 1) & ~(SHIM_BOUNDARY - 1);
    return total < SHIM_MIN_NODE ? SHIM_MIN_NODE : total;
}

SHIM_API apr_size_t apr_allocator_align(apr_allocator_t *allocator, apr_size_t size) {
    (void)allocator;
    return node_size(size);
}

SHIM_API void apr_allocator_max_free_set(apr_allocator_t *allocator, apr_size_t size) {
    apr_size_t units = (size + SHIM_BOUNDARY - 1) >> SHIM_BOUNDARY_SHIFT;
    if (size > SIZE_MAX - SHIM_BOUNDARY) units = SIZE_MAX >> SHIM_BOUNDARY_SHIFT;
    lock(allocator);
    allocator->max_free_units = units;
    unlock(allocator);
    /* The pools' blocks follow the same bound (0: APR's "unlimited"). */
    mpool_allocator_set_max_free(allocator->blocks, size ? size : SIZE_MAX);
}

/* An idle node of `index` or larger, taken off its list; NULL if none. */
static apr_memnode_t *take_idle(apr_allocator_t *allocator, apr_size_t index) {
    if (index < SHIM_NODE_LISTS) {
        for (apr_size_t i = index; i < SHIM_NODE_LISTS; ++i) {
            apr_memnode_t *node = allocator->idle[i];
            if (node) {
                allocator->idle[i] = node->next;
                return node;
            }
        }
    }
    for (apr_memnode_t **link = &allocator->idle[0]; *link; link = &(*link)->next) {
        apr_memnode_t *node = *link;
        if (node->index >= index) {
            *link = node->next;
            return node;
        }
    }
    return NULL;
}

SHIM_API apr_memnode_t *apr_allocator_alloc(apr_allocator_t *allocator, apr_size_t size) {
    apr_size_t bytes = node_size(size);
    if (bytes == 0) return NULL;
    apr_size_t index = (bytes >> SHIM_BOUNDARY_SHIFT) - 1;
    if (index > UINT32_MAX) return NULL;
    lock(allocator);
    apr_memnode_t *node = take_idle(allocator, index);
    if (node) allocator->idle_units -= node->index + 1;
    unlock(allocator);
    if (!node) {
        if (!(node = malloc(bytes))) return NULL;
        node->index = (apr_uint32_t)index;
        node->endp = (char *)node + bytes;
    }
    node->next = NULL;
    node->ref = NULL;
    node->free_index = 0;
    node->first_avail = (char *)node + NODE_HEADER;
    return node;
}

SHIM_API void apr_allocator_free(apr_allocator_t *allocator, apr_memnode_t *chain) {
    apr_memnode_t *release = NULL; /* past max_free: to free() once unlocked */
    lock(allocator);
    while (chain) {
        apr_memnode_t *node = chain;
        chain = node->next;
        apr_size_t units = (apr_size_t)node->index + 1;
        if (allocator->max_free_units && allocator->idle_units + units > allocator->max_free_units) {
            node->next = release;
            release = node;
            continue;
        }
        apr_size_t list = node->index < SHIM_NODE_LISTS ? node->index : 0;
        node->next = allocator->idle[list];
        allocator->idle[list] = node;
        allocator->idle_units += units;
    }
    unlock(allocator);
    while (release) {
        apr_memnode_t *node = release;
        release = node->next;
        free(node);
    }
}
