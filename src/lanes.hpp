// lanes.hpp - children of one parent created and destroyed by many threads
// without a shared lock.
//
// A parent's `lanes` word says how its children are linked:
//   0                  no child yet;
//   odd                every child so far came from one thread (the word is
//                      that thread's marker | 1): children sit on the
//                      parent's own list, under its allocator's lock;
//   even, not 0        a second thread has created a child: the word points
//                      to the newest of the parent's lanes, one per thread.
// A lane holds the children its thread created since (newest first) and a
// block cache in front of the parent's allocator (allocator.hpp), both under
// the cache's spin lock: its owner takes it, uncontended, to link a child,
// to take a block, and to unlink a child and keep its blocks; another
// thread takes it only to unlink a child it destroys (whose blocks then go
// to the allocator), and the allocator takes it to drain the cache. So a
// destroy, from whichever thread, is finished when it returns.
//
// Order: children on lanes carry a birth number from the parent's birth
// counter (kept in its first lane), so a teardown can destroy them newest first across lanes;
// children on the own list are older than every child on a lane.
//
// Lanes belong to the parent and live until it is destroyed. When a thread
// exits, its lanes give their cached blocks back to the allocator and become
// ownerless; the next thread that needs a lane on that parent adopts one, so
// a parent has at most as many lanes as threads ever used it at once. Lane
// ownership changes under one global lock (rare: a thread's first child of a
// parent, thread exit, parent destruction).
//
// While a child lives, its home block's `next` link (unused otherwise)
// points to the lane it is on, or is NULL for the parent's own list.
#ifndef MPOOL_SRC_LANES_HPP
#define MPOOL_SRC_LANES_HPP

#include "pool.hpp"
#include "thread_marker.hpp"

struct mpool__lanes_thread; // a thread's record of the lanes it owns

inline constexpr size_t kCacheLine = 64;

// The first cache line holds what other threads read (looking for their own
// lane); the owner's working fields start on a line of their own, so that
// looking up a lane never steals the cache line its owner is writing.
struct mpool__lane {
    mpool__lane *next;                        // older lane of the same parent; fixed once published
    mpool_t *parent;                          // the pool it belongs to: whose children it holds
    std::atomic<mpool__lanes_thread *> owner; // the thread using it; NULL once that thread exited
    mpool__lane *owner_next;                  // in the owner's list; guarded by the global owner lock
    mpool__block *block;                      // the block this lane lives in
    std::atomic<uint32_t> *births;            // the parent's birth counter: birth_counter of its first lane; fixed once published
    alignas(kCacheLine) mpool__block_cache cache; // idle blocks for this lane's children; its lock guards `children` too
    mpool_t *children;                        // newest first, linked by sibling pointers; guarded by cache.lock
    mpool::detail::sizing_estimate child_sizing; // like the parent's, for this thread's children; owner only
    // For a concurrent pool (MPOOL_CONCURRENT), this thread's allocations:
    mpool__region region;                     // owner only (and the thread that clears or destroys the pool)
    std::atomic<bool> busy;                   // inside an allocation (debug builds check it on clear and destroy)
    // In the parent's first lane only: births for all of the parent's
    // children on lanes, on a line of its own. Every create takes one; on
    // the parent's header it made two threads' requests 36% slower (the
    // line also holds what every create reads), here 7%.
    alignas(kCacheLine) std::atomic<uint32_t> birth_counter;
};

namespace mpool::detail {

// The block a lane lives in: room for the lane on a cache-line boundary.
inline constexpr size_t kLaneBlockSize = 512 - MPOOL_BLOCK_SLACK;
static_assert(kBlockHeader + sizeof(mpool__lane) + kCacheLine <= kLaneBlockSize, "a lane fits in its block");

// The odd word that stands for the calling thread in a parent's `lanes`.
inline uintptr_t thread_marker() { return this_thread_marker() | 1u; }

// Where a new child of `parent`, made by the calling thread, is linked.
enum class child_link { own_list, lane, new_lane };

// Decides where a new child goes; for child_link::lane, *lane is this
// thread's lane (found or adopted). child_link::new_lane: a second thread
// has shown up and this one has no lane yet: make one with lane_make()
// once the child's block is had (so a refused create changes nothing).
child_link lane_choose(mpool_t *parent, mpool__lane **lane);

// Makes a lane for the calling thread and publishes it; NULL when its block
// cannot be had.
mpool__lane *lane_make(mpool_t *parent);

// The calling thread's lane on `pool`, made or adopted as needed; NULL when
// none can be had (no memory).
mpool__lane *lane_for_thread(mpool_t *pool);

// The lane a child is on (NULL: the parent's own list).
inline mpool__lane *lane_of(const mpool_t *child) {
    return reinterpret_cast<mpool__lane *>(home_block(child)->next);
}

// True when the calling thread owns the lane.
bool lane_is_mine(const mpool__lane *lane);

// A block of exactly `size` for a new child, from the lane's cache; NULL
// when it has none.
mpool__block *lane_take_block(mpool__lane *lane, size_t size);

// Links a new child on the lane, with the next birth number.
void lane_link(mpool__lane *lane, mpool_t *child);

// Unlinks a child from its lane and gives back its blocks (a chain, its
// home block first, retired with retire_home(home, flags) once unlinked):
// into the lane's cache when the calling thread owns the lane and the child
// used the parent's allocator, else to the child's allocator.
void lane_unlink(mpool__lane *lane, mpool_t *child, mpool__block *chain, uint8_t flags);

// The lanes a `lanes` word points to (the newest first), or NULL for 0 and
// for a thread marker.
inline mpool__lane *lane_list(uintptr_t word) {
    return (word & 1u) ? nullptr : reinterpret_cast<mpool__lane *>(word);
}

// The first lane of a parent, or NULL when it has none.
inline mpool__lane *first_lane(const mpool_t *parent) { return lane_list(parent->lanes.load(std::memory_order_acquire)); }

// The newest child on the parent's lanes (largest birth), or NULL. Inline:
// a parent without lanes costs a load.
mpool_t *lanes_newest_child_slow(const mpool_t *parent);
inline mpool_t *lanes_newest_child(const mpool_t *parent) {
    return first_lane(parent) ? lanes_newest_child_slow(parent) : nullptr;
}

// The first child on lanes after `lane` (NULL: from the first lane), or
// NULL: walks every child of a parent, for statistics.
mpool_t *lanes_first_child_after(const mpool_t *parent, const mpool__lane *lane);

// A pool's children, in the order walk_subtree() goes: its own list, then each
// lane's. NULL after the last.
inline const mpool_t *first_child_of(const mpool_t *pool) {
    return pool->first_child ? pool->first_child : lanes_first_child_after(pool, nullptr);
}
inline const mpool_t *next_sibling_of(const mpool_t *child) {
    return child->next_sibling ? child->next_sibling : lanes_first_child_after(child->parent, lane_of(child));
}

// Calls fn(pool) for `top` and each of its descendants, parents before
// children, with no recursion (statistics, mpool_check). The subtree must
// not change meanwhile.
template <class Fn> void walk_subtree(const mpool_t *top, Fn fn) {
    const mpool_t *pool = top;
    for (;;) {
        fn(pool);
        if (const mpool_t *child = first_child_of(pool)) {
            pool = child;
            continue;
        }
        for (;;) { // climb until a pool has a next sibling
            if (pool == top) return;
            if (const mpool_t *sibling = next_sibling_of(pool)) {
                pool = sibling;
                break;
            }
            pool = pool->parent;
        }
    }
}

// Destroy of the parent: gives back every lane's cache, its allocation
// blocks and the lanes themselves, and forgets them in their owners'
// records.
void lanes_release(mpool_t *parent);

// --- concurrent.cpp: allocation in a concurrent pool (MPOOL_CONCURRENT).

// Allocates from the calling thread's lane of a concurrent pool.
void *lane_alloc(mpool_t *pool, size_t size, size_t alignment);

// lane_alloc() with the default alignment, for a pool that is neither
// checked nor in debug mode: the lane's cursor is bumped first.
void *lane_alloc_default(mpool_t *pool, size_t size);

// The calling thread's lane region in a concurrent pool (its lane made or
// adopted as needed), for a caller that works on the cursor itself
// (mpool_printf, mpool_strcat); NULL when no lane can be had (no errno).
mpool__region *lane_region(mpool_t *pool);

// Clear of a concurrent pool: every lane's region is reset, keeping the
// blocks it used as spares.
void lanes_reset(mpool_t *pool);

// Adds the lanes' allocations to a concurrent pool's figures.
void lanes_add_stats(const mpool_t *pool, mpool_stats_t *out);

// Debug builds: aborts when a thread is allocating from the pool (clear and
// destroy need it to themselves).
void lanes_check_idle(const mpool_t *pool);

// A number no other pool has had.
uint64_t next_pool_serial();

} // namespace mpool::detail

#endif
