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

// --- walk_entry.cpp: walks inside pools, and what waits for them.
//
// A walk (mpool_walk, mpool_report) may run in any thread while other
// threads create, clear, rewind, reparent and destroy the pools below its
// top. It reads a pool only while it is *inside* it: from entering it (the
// pool found live on its parent's list, under that list's lock) until it
// has visited the pool and its subtree and left it. Every pool on the way
// from the top down to the one visited is entered, so none of them can go
// while the walk is below it, and the walk climbs back through parent links
// that stay put. The walks inside a live pool are counted in its `step`
// (walks_inside(), pool.hpp), under the list's lock. A clear, rewind or
// destroy of the pool changes its state, and a reparent unlinks it, only
// under that lock and when no walk is inside, waiting (yielding) until
// then; a walk that finds a pool not live leaves it out, with its subtree.
// Lock order: the walk and the waiting side hold one list lock at a time,
// and none while the visitor runs or while they wait.

// The lock of the list that holds `child`, for the guard's scope: its
// lane's spin lock, or its parent's allocator lock for the own list.
class child_list_lock {
public:
    explicit child_list_lock(const mpool_t *child) : parent_(child->parent), lane_(lane_of(child)) {
        lane_ ? lane_->cache.lock.lock() : parent_->allocator->lock.lock();
    }
    ~child_list_lock() { lane_ ? lane_->cache.lock.unlock() : parent_->allocator->lock.unlock(); }
    child_list_lock(const child_list_lock &) = delete;
    child_list_lock &operator=(const child_list_lock &) = delete;
    // The head of the list, newest child first.
    mpool_t **children() const { return lane_ ? &lane_->children : &parent_->first_child; }

private:
    mpool_t *parent_;
    mpool__lane *lane_; // NULL: the parent's own list
};

// The most walks that may run at once (nested ones count): a pool counts
// the walks inside it in a byte.
inline constexpr unsigned kMostWalks = 255;

// A place among the walks that run: false when kMostWalks already run.
bool walk_begin();
void walk_end();

// Under the lock of the child's list: enters the child and returns true
// when it is live; false when its clear, rewind or destroy has begun (the
// walk leaves it out).
bool walk_enter_locked(const mpool_t *child);

// Leaves a pool the walk entered: under its list's lock held by the
// caller, or taking it.
void walk_leave_locked(const mpool_t *pool);
void walk_leave(const mpool_t *pool);

// A clear, rewind or destroy of `pool` begins: waits until no walk is
// inside it, then sets its state (clearing or destroying) under its list's
// lock, so that no walk enters it from then on. A root is on no list and no
// walk enters it (a walk's top is its caller's): its state is set at once.
void enter_teardown(mpool_t *pool, pool_state state);

// A clear or rewind ends: the pool is live again, with no walk inside.
void leave_teardown(mpool_t *pool);

} // namespace mpool::detail

#endif
