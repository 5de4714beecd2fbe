// tree.hpp - what the walk, the report and reparenting (walk.cpp,
// reparent.cpp) share with the files that make, link and count pools.
#ifndef MPOOL_SRC_TREE_HPP
#define MPOOL_SRC_TREE_HPP

#include "lanes.hpp"

namespace mpool::detail {

// --- stats.cpp

// Fills *out with the pool's own figures, as mpool_get_stats(pool, 0, out)
// gives them. Its children are counted under the locks of the lists that
// hold them, so other threads may create and destroy them meanwhile; the
// rest needs the pool to the caller.
void pool_own_stats(const mpool_t *pool, mpool_stats_t *out);

// True when `pool` or one of its ancestors holds `allocator` (kOwnsAllocator:
// see allocator_make_held()), so that it lives as long as the pool does.
// NULL: false.
inline bool allocator_held_from(const mpool_t *pool, const mpool_allocator *allocator) {
    for (const mpool_t *p = pool; p; p = p->parent)
        if ((p->flags & kOwnsAllocator) && p->allocator == allocator) return true;
    return false;
}

// --- pool_tree.cpp

// Links `pool` as the newest child of `parent`, where lane_choose() put it:
// on `lane` (this thread's lane) with the next birth number, or on the own
// list when lane is NULL (under the parent's allocator lock); the parent's
// (or the lane's) estimate of its children's size decays, as on a create.
void link_child(mpool_t *parent, mpool_t *pool, mpool__lane *lane);

} // namespace mpool::detail

#endif
