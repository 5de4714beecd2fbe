// reparent.cpp - mpool_reparent(): moves a pool and its subtree under
// another parent (talloc_steal for pools).
//
// Everything the pool holds goes with it untouched: its blocks, cleanups,
// userdata, tag, its own lanes (with their caches) and its children. What
// changes, in this order, all checks and charges first so that a refusal
// changes nothing:
// 1. checks: no cycle, and the pool is live.
// 2. where it goes: lane_choose() on the new parent, as a create does.
// 3. limits: the subtree's bytes (its bytes_reserved with descendants: the
//    bytes every limit above it counts) are charged to the limits that the
//    new place adds, those below the nearest limited pool above both
//    places; ENOMEM when one refuses. A lane the new parent needs is made
//    only then (its block is charged as a create's would be).
// 4. the allocators: every allocator a root made that the subtree uses
//    stays alive while the subtree does (allocator.hpp): a pool of the
//    subtree that no holder at or above it would keep it for in the new
//    place becomes a holder. Done before the unlink, while the old holders
//    above are still there. So a pool moves from any tree to any other,
//    and its blocks still come from and go back to its own allocator.
// 5. the move: unlinked from the old parent's list as a destroy unlinks (the
//    own list under the old parent's allocator lock, or its lane under the
//    lane's lock), linked as the new parent's newest child as a create links
//    (link_child: own list or this thread's lane, with a birth number).
// 6. the limits the old place had and the new one has not are released,
//    and every pool of the subtree whose nearest limit was above the pool
//    (its cached `limiter`) points at the new place's.
// Lock order: each lock is taken alone (an allocator's, or a lane's), as
// create and destroy take them; none is held while another is taken.
// Walks: the unlink of step 4 waits until no walk (mpool_walk, in another
// thread) is inside the pool, as a destroy does.
#include <cerrno>
#include <thread>

#include "tree.hpp"

using namespace mpool::detail;

namespace {

// True when, once the subtree of `top` is under `new_parent`, `pool` (of
// that subtree) or a pool above it holds its allocator.
bool held_in_new_place(const mpool_t *pool, const mpool_t *top, const mpool_t *new_parent) {
    for (const mpool_t *p = pool;; p = p->parent) {
        if ((p->flags & kOwnsAllocator) && p->allocator == pool->allocator) return true;
        if (p == top) return allocator_held_from(new_parent, pool->allocator);
    }
}

// Step 4: makes a holder of each pool of the subtree whose allocator a root
// made and that nothing would hold it for in the new place. Parents come
// before children, so a child on its parent's allocator is held by then.
void hold_allocators_for(mpool_t *top, const mpool_t *new_parent) {
    walk_subtree(top, [top, new_parent](const mpool_t *p) {
        mpool_allocator *allocator = p->allocator;
        if (p != top && p->parent->allocator == allocator) return;
        if (!allocator_is_held(allocator) || held_in_new_place(p, top, new_parent)) return;
        allocator_hold(allocator);
        const_cast<mpool_t *>(p)->flags |= kOwnsAllocator; // the caller has the subtree to itself
    });
}

// The nearest limited pool above both the old parent and the new one (or
// NULL): the limits from there up count the subtree before and after.
mpool_t *common_limiter(const mpool_t *old_parent, const mpool_t *new_parent) {
    for (mpool_t *l = old_parent ? old_parent->limiter : nullptr; l; l = l->parent ? l->parent->limiter : nullptr)
        if (mpool_is_ancestor(l, new_parent)) return l;
    return nullptr;
}

// Takes the pool off its parent's list, as free_pool() does but keeping
// everything it holds, once no walk is inside it (walk_entry.cpp): a walk
// climbs back through the parent links of the pools it is inside.
void unlink_from_parent(mpool_t *pool) {
    for (;;) {
        {
            child_list_lock guard(pool);
            if (walks_inside(pool) == 0) {
                remove_child(guard.children(), pool);
                return;
            }
        }
        std::this_thread::yield();
    }
}

// Points the subtree's pools that counted against `from` (a limit above
// the pool) at `to`.
void relimit_subtree(mpool_t *pool, const mpool_t *from, mpool_t *to) {
    walk_subtree(pool, [from, to](const mpool_t *p) {
        if (p->limiter == from) const_cast<mpool_t *>(p)->limiter = to; // the caller has the subtree to itself
    });
}

int reparent(mpool_t *pool, mpool_t *new_parent) {
    mpool_t *old_parent = pool->parent;
    if (pool->state != pool_state::live) return EINVAL; // its teardown (or an ancestor's) is running it
    if (mpool_is_ancestor(pool, new_parent)) return EINVAL; // a cycle
    if (!old_parent && !new_parent) return 0;

    child_link link = child_link::own_list;
    mpool__lane *lane = nullptr;
    if (new_parent) link = lane_choose(new_parent, &lane);

    mpool_stats_t subtree;
    mpool_get_stats(pool, 1, &subtree);
    size_t bytes = subtree.bytes_reserved;
    mpool_t *common = common_limiter(old_parent, new_parent);
    mpool_t *new_outside = new_parent ? new_parent->limiter : nullptr;
    if (!limits_charge_below(new_outside, common, bytes)) {
        fail_no_memory(new_parent, bytes);
        return ENOMEM;
    }
    if (link == child_link::new_lane && !(lane = lane_make(new_parent))) {
        limits_release_below(new_outside, common, bytes);
        fail_no_memory(new_parent, kLaneBlockSize);
        return ENOMEM;
    }

    hold_allocators_for(pool, new_parent);
    mpool_t *old_outside = old_parent ? old_parent->limiter : nullptr;
    if (old_parent) unlink_from_parent(pool);
    pool->parent = new_parent;
    if (new_parent)
        link_child(new_parent, pool, lane);
    else
        home_block(pool)->next = nullptr; // a root is on no list
    limits_release_below(old_outside, common, bytes);
    if (pool->limiter != pool && old_outside != new_outside) relimit_subtree(pool, old_outside, new_outside);
    return 0;
}

} // namespace

extern "C" int mpool_reparent(mpool_t *pool, mpool_t *new_parent) {
    if (!pool) return EINVAL;
    check_not_destroyed(pool, "mpool_reparent");
    check_not_destroyed(new_parent, "mpool_reparent");
    bool entered = is_debug(pool) && pool->state == pool_state::live && check_enter(pool);
    int result = reparent(pool, new_parent);
    check_leave(pool, entered);
    pool_validate(pool);
    return result;
}
