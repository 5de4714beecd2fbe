// stats.cpp - figures about a pool and its subtree.
//
// Nothing here is counted on the way: block and record counts are derived by
// walking the pool's lists when asked, which keeps the allocation path free
// of bookkeeping. Only bytes_allocated is kept as it goes (in the cursor).
// The subtree is walked with walk_subtree() (lanes.hpp), with no recursion,
// so depth costs no stack.
#include <cstring>

#include "lanes.hpp"

using namespace mpool::detail;

namespace {

size_t count_cleanups(const mpool__cleanup *list) {
    size_t n = 0;
    for (; list; list = list->next) ++n;
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
    for (const mpool_t *child = first_child_of(pool); child; child = next_sibling_of(child)) out->children += 1;
    if (const mpool__annex *annex = pool->annex)
        out->cleanups += count_cleanups(annex->cleanups) + count_cleanups(annex->pre_cleanups);
    if (is_concurrent(pool)) lanes_add_stats(pool, out);
}

} // namespace

extern "C" void mpool_get_stats(const mpool_t *pool, int with_descendants, mpool_stats_t *out) {
    if (!out) return;
    std::memset(out, 0, sizeof *out);
    if (!pool) return;
    check_not_destroyed(pool, "mpool_get_stats");
    pool_validate(pool);
    if (with_descendants)
        walk_subtree(pool, [out](const mpool_t *p) { add_pool(p, out); });
    else
        add_pool(pool, out);
}
