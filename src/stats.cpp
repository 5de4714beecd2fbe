// stats.cpp - figures about a pool and its subtree.
//
// Nothing here is counted on the way: block and record counts are derived by
// walking the pool's lists when asked, which keeps the allocation path free
// of bookkeeping. Only bytes_allocated is kept as it goes (in the cursor).
// The subtree is walked with walk_subtree() (lanes.hpp), with no recursion,
// so depth costs no stack.
#include <cstring>

#include "tree.hpp"

using namespace mpool::detail;

namespace {

size_t count_cleanups(const mpool__cleanup *list) {
    size_t n = 0;
    for (; list; list = list->next) ++n;
    return n;
}

// The pool's direct children, each list counted under its lock: other
// threads may be creating and destroying children of the pool.
size_t count_children(const mpool_t *pool) {
    size_t n = 0;
    {
        std::lock_guard guard(pool->allocator->lock);
        for (const mpool_t *child = pool->first_child; child; child = child->next_sibling) ++n;
    }
    for (mpool__lane *lane = first_lane(pool); lane; lane = lane->next) {
        std::lock_guard guard(lane->cache.lock);
        for (const mpool_t *child = lane->children; child; child = child->next_sibling) ++n;
    }
    return n;
}

// Adds one pool's own figures to *out. Its lanes count as its blocks.
void add_pool(const mpool_t *pool, mpool_stats_t *out) {
    const mpool__block *home = home_block(pool);
    out->bytes_allocated += pool->region.cursor.requested;
    out->blocks += 1;
    out->bytes_reserved += home->size;
    region_add_stats(&pool->region, home, out);
    for (const mpool__lane *lane = first_lane(pool); lane; lane = lane->next) {
        out->blocks += 1;
        out->bytes_reserved += lane->block->size;
    }
    out->children += count_children(pool);
    if (const mpool__annex *annex = pool->annex)
        out->cleanups += count_cleanups(annex->cleanups) + count_cleanups(annex->pre_cleanups);
    if (is_concurrent(pool)) lanes_add_stats(pool, out);
}

} // namespace

namespace mpool::detail {

void pool_own_stats(const mpool_t *pool, mpool_stats_t *out) {
    std::memset(out, 0, sizeof *out);
    add_pool(pool, out);
}

} // namespace mpool::detail

extern "C" void mpool_get_stats(const mpool_t *pool, int with_descendants, mpool_stats_t *out) {
    if (!out) return;
    std::memset(out, 0, sizeof *out);
    if (!pool) return;
    check_not_destroyed(pool, "mpool_get_stats");
    pool_validate(pool);
    if (with_descendants)
        walk_subtree(pool, [out](const mpool_t *p) { add_pool(p, out); });
    else
        pool_own_stats(pool, out);
}
