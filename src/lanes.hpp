// lanes.hpp - children of one parent created and destroyed by many threads
// without a lock.
//
// A parent's `lanes` word says how its children are linked:
//   0                  no child yet;
//   odd                every child so far came from one thread (the word is
//                      that thread's marker | 1): children sit on the
//                      parent's own list, under its allocator's lock;
//   even, not 0        a second thread has created a child: the word points
//                      to the first of the parent's lanes, one per thread.
// A lane holds the children its thread created (only that thread links and
// unlinks them, with push_child/remove_child on lane->children) and a small cache of idle blocks for them, so that a
// create/fill/destroy cycle on a lane takes no lock. A child destroyed by
// another thread is run down there (cleanups, children), then pushed on the
// lane's `remote` stack with its blocks; the owner unlinks it and takes the
// blocks at its next create or destroy on the lane.
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

struct mpool__lanes_thread; // a thread's record of the lanes it owns

inline constexpr size_t kCacheLine = 64;

// The first cache line holds what other threads read (looking for their own
// lane) or write (queueing a child they destroyed); the owner's working
// fields start on a line of their own, so that looking up a lane never
// steals the cache line its owner is writing.
struct mpool__lane {
    mpool__lane *next;                          // next lane of the same parent; fixed once published
    mpool_t *parent;                            // the pool it belongs to: whose children it holds
    std::atomic<mpool__lanes_thread *> owner;   // the thread using it; NULL once that thread exited
    mpool__lane *owner_next;                    // in the owner's list; guarded by the global lock
    std::atomic<mpool_t *> remote;              // destroyed elsewhere, awaiting unlink (linked by first_child)
    mpool__block *block;                        // the block this lane lives in
    alignas(kCacheLine) mpool_t *children;      // newest first, linked by sibling pointers; owner only
    size_t child_need;                          // like the parent's, for this thread's children; owner only
    size_t cache_bytes;                         // bytes in `cache`
    mpool__block *cache[mpool::detail::kClassCount]; // idle ordinary blocks for this lane's children
    // For a concurrent pool (MPOOL_CONCURRENT), this thread's allocations:
    mpool__cursor cursor;                       // bump pointer into `current`; owner only
    mpool__block *current;                      // block the cursor points into, or NULL
    mpool__block *used;                         // blocks filled before `current`, and large blocks
    mpool__block *spare;                        // blocks kept by the last clear, not used since
    uint32_t next_block_size;                   // size of the next block to take
    std::atomic<bool> busy;                     // inside an allocation (checked by clear and destroy in debug builds)
};

namespace mpool::detail {

// The block a lane lives in: room for the lane on a cache-line boundary.
inline constexpr size_t kLaneBlockSize = 512 - MPOOL_BLOCK_SLACK;
static_assert(kBlockHeader + sizeof(mpool__lane) + kCacheLine <= kLaneBlockSize, "a lane fits in its block");

inline constexpr size_t kLaneCacheBytes = size_t{256} << 10; // most idle bytes a lane keeps
inline constexpr unsigned kLaneCachePerSize = 4;             // most idle blocks of one size

// The lane a new child of `parent` made by this thread goes on, or NULL for
// the parent's own list. Makes or adopts a lane when a second thread shows
// up; NULL as well when a lane cannot be had (the own list always works).
mpool__lane *lane_for_new_child(mpool_t *parent);

// The calling thread's lane on `pool`, made or adopted as needed; NULL when
// none can be had (no memory).
mpool__lane *lane_for_thread(mpool_t *pool);

// The lane a child is on (NULL: the parent's own list).
inline mpool__lane *lane_of(const mpool_t *child) {
    return reinterpret_cast<mpool__lane *>(home_block(child)->next);
}

// True when the calling thread owns the lane.
bool lane_is_mine(const mpool__lane *lane);

// Unlinks the children other threads destroyed and takes their blocks: into
// the lane's cache for its owner; to the allocator for a thread that owns
// the whole parent (a teardown), which must not touch the cache.
void lane_collect_remote(mpool__lane *lane, bool owner);

// Owner only: an idle block of exactly `size` from the cache, or NULL.
mpool__block *lane_take_block(mpool__lane *lane, size_t size);

// Owner only: keeps what it can of a chain of blocks in the cache and gives
// the rest to the allocator.
void lane_give_blocks(mpool__lane *lane, mpool__block *chain);

// Another thread's child: queue it for its lane's owner. Its blocks (home
// last) must be in `spare`, its charge released.
void lane_push_remote(mpool__lane *lane, mpool_t *child);

// The first lane of a parent, or NULL when it has none.
mpool__lane *first_lane(const mpool_t *parent);

// Destroy of the parent: gives back every lane's cache, its allocation
// blocks and the lanes themselves, and forgets them in their owners'
// records.
void lanes_release(mpool_t *parent);

// --- concurrent.cpp: allocation in a concurrent pool (MPOOL_CONCURRENT).

// Allocates from the calling thread's lane of a concurrent pool.
void *lane_alloc(mpool_t *pool, size_t size, size_t alignment);

// lane_alloc() with the default alignment, bumping the lane's cursor first.
void *lane_alloc_default(mpool_t *pool, size_t size);

// Clear of a concurrent pool: empties every lane's cursor. With `keep`, as a
// plain pool's clear: the ordinary blocks each lane used since the last
// clear become its spares and the rest go back; without, all go back.
void lanes_reset(mpool_t *pool, bool keep);

// Adds the lanes' allocations to a concurrent pool's figures.
void lanes_add_stats(const mpool_t *pool, mpool_stats_t *out);

// Debug builds: aborts when a thread is allocating from the pool (clear and
// destroy need it to themselves).
void lanes_check_idle(const mpool_t *pool);

// A number no other pool has had.
uint64_t next_pool_serial();

} // namespace mpool::detail

#endif
