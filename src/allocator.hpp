// allocator.hpp - the block allocator: the one holder of idle memory.
//
// Idle blocks sit either in the allocator's free lists or in block caches
// that lanes (lanes.hpp) keep in front of it so that a thread can recycle a
// child's blocks without the allocator's lock. Every cache is attached to
// the allocator whose blocks it holds, and every bound reaches it: the
// caches' bytes count in mpool_allocator_idle_bytes(), a cache may hold only
// what the allocator granted it out of max_free, and trim, set_max_free,
// decay and destroy drain the caches into the lists before they act.
//
// Lock order (outer first): the lanes' global owner lock (lanes.cpp), an
// allocator's lock, a cache's lock, the block source. A cache's owner never
// asks the allocator for anything while it holds its cache's lock. The
// source's free may run from a thread-exit destructor (a lane's cache is
// drained when its thread exits).
#ifndef MPOOL_SRC_ALLOCATOR_HPP
#define MPOOL_SRC_ALLOCATOR_HPP

#include <atomic>
#include <cstdint>
#include <mutex>

#include "block.hpp"
#include "mutex.hpp"
#include "spin_lock.hpp"

// Idle ordinary blocks kept by one thread in front of an allocator.
struct mpool__block_cache {
    mpool::detail::SpinLock lock;                              // guards the fields below (and a lane's children, lanes.hpp)
    size_t bytes = 0;                                          // sizes of the blocks in `lists` added up; bytes <= grant
    size_t grant = 0;                                          // idle bytes the allocator lets this cache hold (counted in its `reserved`)
    bool ageing = false;                                       // the allocator's decay is on: each block kept carries its idle time, as in the lists
    mpool__block *lists[mpool::detail::kClassCount] = {};      // one LIFO list per ordinary size
    mpool__block_cache *next_attached = nullptr;               // in the allocator's `caches`; guarded by the allocator's lock
};

struct mpool_allocator {
    mutable mpool::detail::Mutex lock;                         // guards everything below but the atomics, and the own child lists of the pools using it
    mpool_block_source_t source;                               // where blocks come from and go back to
    mpool__block *class_free[mpool::detail::kClassCount] = {}; // idle ordinary blocks, one LIFO list per size
    mpool__block *odd_free = nullptr;                          // idle blocks of other sizes (large allocations, blocks cut to a limit)
    size_t list_bytes = 0;                                     // sizes of the blocks in the lists above added up; list_bytes <= list_grant
    size_t list_grant = 0;                                     // idle bytes the lists may hold (counted in `reserved`), like a cache's grant
    std::atomic<size_t> reserved{0};                           // list_grant + every attached cache's grant; <= max_free always
    std::atomic<size_t> max_free{MPOOL_DEFAULT_MAX_FREE};      // most idle bytes kept, lists and caches together
    mpool__block_cache *caches = nullptr;                      // attached caches, linked by next_attached
    uint64_t decay_ms = 0;                                     // idle blocks older than this go back; 0: never
    uint64_t last_sweep_ms = 0;                                // when idle blocks were last checked for age
    mpool_clock_fn clock = nullptr;                            // milliseconds; NULL: CLOCK_MONOTONIC
    void *clock_ctx = nullptr;                                 // argument for clock
    std::atomic<size_t> holders{0};                            // pools holding it (allocator_make_held()); 0: the user's
};

namespace mpool::detail {

// Most bytes and blocks of one size a cache keeps.
inline constexpr size_t kCacheBytes = size_t{256} << 10;
inline constexpr unsigned kCachePerSize = 4;

// Adds n to `reserved` when that keeps it within max_free: one atomic add,
// undone when it went past (two threads racing for the last bytes may then
// both fail; a block that fails is given to the source, never kept).
inline bool try_reserve(mpool_allocator *a, size_t n) {
    size_t before = a->reserved.fetch_add(n, std::memory_order_relaxed);
    size_t most = a->max_free.load(std::memory_order_relaxed);
    if (before <= most && n <= most - before) return true;
    a->reserved.fetch_sub(n, std::memory_order_relaxed);
    return false;
}

inline void unreserve(mpool_allocator *a, size_t n) { a->reserved.fetch_sub(n, std::memory_order_relaxed); }

// The lists' grant is handed back in steps: once it exceeds what they hold
// by kListSlack, all but kGrantStep of the excess goes back (lock held).
inline constexpr size_t kGrantStep = size_t{64} << 10; // grant a cache or the lists ask for at a time
inline constexpr size_t kListSlack = 2 * kGrantStep;
void allocator_return_grant_locked(mpool_allocator *allocator);

// The short path of a plain child's create and destroy (pool_tree.cpp),
// lock held; no atomic: the bytes move within the lists' grant. An idle
// block of the ordinary `size`, from its list; NULL when the list is empty
// or decay is on (then allocator_take_locked(), which looks at the clock,
// decides).
inline mpool__block *allocator_pop_locked(mpool_allocator *a, size_t size) {
    mpool__block **list = &a->class_free[class_index(size)];
    mpool__block *b = *list;
    if (!b || a->decay_ms) return nullptr;
    *list = b->next;
    a->list_bytes -= size;
    if (a->list_grant - a->list_bytes > kListSlack) allocator_return_grant_locked(a);
    return b;
}

// Keeps an ordinary block in its list when the lists' grant has room for
// it and decay is off; false leaves it to allocator_give_locked().
inline bool allocator_push_locked(mpool_allocator *a, mpool__block *b) {
    if (a->decay_ms || b->size > a->list_grant - a->list_bytes) return false;
    mpool__block **list = &a->class_free[class_index(b->size)];
    b->next = *list;
    *list = b;
    a->list_bytes += b->size;
    return true;
}

// A block of `size` bytes: for an ordinary size exactly that, for another
// size an idle block of at least `size` and at most min(size + size/8,
// `most`) bytes, else a new block of exactly `size` from the source. NULL
// when the source fails. most >= size.
mpool__block *allocator_take(mpool_allocator *allocator, size_t size, size_t most);
mpool__block *allocator_take_locked(mpool_allocator *allocator, size_t size, size_t most); // lock held

// Gives back a chain of blocks linked through `next`: kept idle while
// max_free allows, the rest returned to the source. NULL: nothing.
void allocator_give(mpool_allocator *allocator, mpool__block *chain);
void allocator_give_locked(mpool_allocator *allocator, mpool__block *chain); // lock held

// Attaches a cache to the allocator (before its first use) and detaches it
// (its blocks go to the allocator's lists; after this the cache is unused).
void allocator_attach_cache(mpool_allocator *allocator, mpool__block_cache *cache);
void allocator_detach_cache(mpool_allocator *allocator, mpool__block_cache *cache);

// Moves a cache's blocks and grant back to the allocator (a thread exits).
void allocator_drain_cache(mpool_allocator *allocator, mpool__block_cache *cache);

// Cache lock held: an idle block of exactly `size` (an ordinary size), or NULL.
mpool__block *cache_take_locked(mpool__block_cache *cache, size_t size);

// Cache lock held: keeps what the cache may of a chain of blocks; returns
// the rest, for allocator_give() once the cache's lock is released.
mpool__block *cache_keep_locked(mpool_allocator *allocator, mpool__block_cache *cache, mpool__block *chain);

// --- The allocator a root makes (mpool_create() without one in the
// options) belongs to the pools that *hold* it, flagged kOwnsAllocator: the
// root, and each pool that a move took away from every holder above it, or
// that was given it in its options outside its holders' trees. A holder is
// freed after every pool below it, so while one lives every pool using the
// allocator has a holder at or above it (reparent.cpp keeps that true), and
// the last one freed destroys the allocator. `holders` counts them; it
// changes only when a root is made or freed and when a pool moves, never on
// a child's create or destroy. An allocator of mpool_allocator_create() has
// no holders (its creator destroys it).

// A new allocator over malloc with one holder (the caller); NULL when it
// cannot be had (errno ENOMEM).
mpool_allocator *allocator_make_held();

// True when pools hold the allocator (a root made it).
inline bool allocator_is_held(const mpool_allocator *a) { return a->holders.load(std::memory_order_relaxed) != 0; }

// One more holder of an allocator that is held (so it cannot go meanwhile).
inline void allocator_hold(mpool_allocator *a) { a->holders.fetch_add(1, std::memory_order_relaxed); }

// One holder less: the last one destroys the allocator (every pool using it
// is gone then). From any thread.
void allocator_release(mpool_allocator *allocator);

// The block source that a NULL source stands for.
mpool_block_source_t default_block_source();

// Debug builds: checks the allocator's lists against list_bytes and
// reserved against max_free (lock held).
void allocator_validate_locked(const mpool_allocator *allocator);

} // namespace mpool::detail

#endif
