// stats.cpp - figures about a pool and its subtree.
//
// Nothing here is counted on the way: block and record counts are derived by
// walking the pool's lists when asked, which keeps the allocation path free
// of bookkeeping. Only bytes_allocated is kept as it goes (in the cursor).
#include <cstring>

#include "lanes.hpp"

using namespace mpool::detail;

namespace {

size_t count_cleanups(const mpool__cleanup *list) {
    size_t n = 0;
    for (; list; list = list->next) ++n;
    return n;
}

// Calls fn on each live child of the pool: its own list, then its lanes.
template <class Fn> void for_each_child(const mpool_t *pool, Fn fn) {
    for (const mpool_t *child = pool->first_child; child; child = child->next_sibling) fn(child);
    for (const mpool__lane *lane = first_lane(pool); lane; lane = lane->next)
        for (const mpool_t *child = lane->children; child; child = child->next_sibling)
            if (!child->detached) fn(child);
}

// Adds one pool's own figures to *out. Its lanes count as its blocks.
void add_pool(const mpool_t *pool, mpool_stats_t *out) {
    out->bytes_allocated += pool->cursor.requested;
    out->blocks += 1;
    out->bytes_reserved += home_block(pool)->size;
    if (pool->current != home_block(pool)) {
        out->blocks += 1;
        out->bytes_reserved += pool->current->size;
    }
    add_block_stats(pool->retired, out);
    add_block_stats(pool->spare, out);
    add_block_stats(pool->large, out);
    for (const mpool__lane *lane = first_lane(pool); lane; lane = lane->next) {
        out->blocks += 1;
        out->bytes_reserved += lane->block->size;
    }
    for_each_child(pool, [out](const mpool_t *) { out->children += 1; });
    out->cleanups += count_cleanups(pool->cleanups) + count_cleanups(pool->pre_cleanups);
    if (pool->concurrent) lanes_add_stats(pool, out);
}

void add_subtree(const mpool_t *pool, mpool_stats_t *out) {
    add_pool(pool, out);
    for_each_child(pool, [out](const mpool_t *child) { add_subtree(child, out); });
}

} // namespace

extern "C" void mpool_get_stats(const mpool_t *pool, int with_descendants, mpool_stats_t *out) {
    if (!out) return;
    std::memset(out, 0, sizeof *out);
    if (!pool) return;
    if (with_descendants)
        add_subtree(pool, out);
    else
        add_pool(pool, out);
}
