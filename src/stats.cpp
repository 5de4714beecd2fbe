// stats.cpp - figures about a pool and its subtree.
//
// Nothing here is counted on the way: block and record counts are derived by
// walking the pool's lists when asked, which keeps the allocation path free
// of bookkeeping. Only bytes_allocated is kept as it goes (in the cursor).
#include <cstring>

#include "pool.hpp"

using namespace mpool::detail;

namespace {

void add_blocks(const mpool__block *list, mpool_stats_t *out) {
    for (; list; list = list->next) {
        out->blocks += 1;
        out->bytes_reserved += list->size;
    }
}

size_t count_cleanups(const mpool__cleanup *list) {
    size_t n = 0;
    for (; list; list = list->next) ++n;
    return n;
}

// Adds one pool's own figures to *out.
void add_pool(const mpool_t *pool, mpool_stats_t *out) {
    out->bytes_allocated += pool->cursor.requested;
    out->blocks += 1;
    out->bytes_reserved += home_block(pool)->size;
    if (pool->current != home_block(pool)) {
        out->blocks += 1;
        out->bytes_reserved += pool->current->size;
    }
    add_blocks(pool->retired, out);
    add_blocks(pool->spare, out);
    add_blocks(pool->large, out);
    for (const mpool_t *child = pool->first_child; child; child = child->next_sibling) out->children += 1;
    out->cleanups += count_cleanups(pool->cleanups) + count_cleanups(pool->pre_cleanups);
}

// The pool after `p` in a depth-first walk of the subtree of `root`, or NULL.
const mpool_t *next_in_subtree(const mpool_t *p, const mpool_t *root) {
    if (p->first_child) return p->first_child;
    for (; p != root; p = p->parent)
        if (p->next_sibling) return p->next_sibling;
    return nullptr;
}

} // namespace

extern "C" void mpool_get_stats(const mpool_t *pool, int with_descendants, mpool_stats_t *out) {
    if (!out) return;
    std::memset(out, 0, sizeof *out);
    if (!pool) return;
    if (!with_descendants) {
        add_pool(pool, out);
        return;
    }
    for (const mpool_t *p = pool; p; p = next_in_subtree(p, pool)) add_pool(p, out);
}
