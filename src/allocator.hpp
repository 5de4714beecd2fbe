// allocator.hpp - the block allocator: idle blocks kept for reuse in free
// lists, up to max_free bytes and for at most `decay` milliseconds, in front
// of a block source.
#ifndef MPOOL_SRC_ALLOCATOR_HPP
#define MPOOL_SRC_ALLOCATOR_HPP

#include <cstdint>
#include <mutex>

#include "block.hpp"

struct mpool_allocator {
    mutable std::mutex lock;                                   // guards everything below, and the child lists of the pools using it
    mpool_block_source_t source;                               // where blocks come from and go back to
    mpool__block *class_free[mpool::detail::kClassCount] = {}; // idle ordinary blocks, one LIFO list per size
    mpool__block *odd_free = nullptr;                          // idle blocks of other sizes (large allocations)
    size_t idle_bytes = 0;                                     // sum of the sizes of the idle blocks
    size_t max_free = MPOOL_DEFAULT_MAX_FREE;                  // most idle bytes kept (idle_bytes <= max_free always)
    uint64_t decay_ms = 0;                                     // idle blocks older than this go back; 0: never
    uint64_t last_sweep_ms = 0;                                // when idle blocks were last checked for age
    mpool_clock_fn clock = nullptr;                            // milliseconds; NULL: CLOCK_MONOTONIC
    void *clock_ctx = nullptr;                                 // argument for clock
};

namespace mpool::detail {

// A block of exactly `size` bytes (an ordinary size), or for other sizes a
// block of at least `size` and at most size + size/8 bytes: an idle one when
// there is one, else a new one from the source. NULL when the source fails.
mpool__block *allocator_take(mpool_allocator *allocator, size_t size);
mpool__block *allocator_take_locked(mpool_allocator *allocator, size_t size); // lock held

// Gives back a chain of blocks linked through `next`: kept idle while
// max_free allows, the rest returned to the source. NULL: nothing.
void allocator_give(mpool_allocator *allocator, mpool__block *chain);
void allocator_give_locked(mpool_allocator *allocator, mpool__block *chain); // lock held

// The block source that a NULL source stands for.
mpool_block_source_t default_block_source();

} // namespace mpool::detail

#endif
