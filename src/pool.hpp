// pool.hpp - the pool header, shared by the files that implement pools.
#ifndef MPOOL_SRC_POOL_HPP
#define MPOOL_SRC_POOL_HPP

#include <atomic>
#include <type_traits>

#include "allocator.hpp"

// A registered cleanup; lives in the pool's own memory.
struct mpool__cleanup {
    mpool__cleanup *next; // registered before this one (runs after it)
    void *data;           // argument for fn
    mpool_cleanup_fn fn;  // what to call
};

// A userdata entry; lives in the pool's own memory, its key too.
struct mpool__userdata {
    mpool__userdata *next;    // set before this one
    const char *key;          // copy of the key
    void *data;               // the value
    mpool_cleanup_fn cleanup; // run on the value when the pool is cleared; may be NULL
};

// The pool header. It lives at the start of the pool's first ("home")
// block, so a pool costs one block request and nothing else.
struct mpool_pool {
    mpool__cursor cursor;          // must stay first: mpool_alloc() inlines a read of it
    mpool__block *home;            // first block; holds this header; kept until destroy
    mpool__block *current;         // block the cursor points into (may be home)
    mpool__block *retired;         // ordinary blocks no longer current, home excluded
    mpool__block *spare;           // ordinary blocks kept by clear, free for reuse
    mpool__block *large;           // blocks that each hold one large allocation
    size_t next_block_size;        // size of the next ordinary block to take
    mpool_allocator *allocator;    // where blocks come from
    mpool_t *parent;                 // NULL for a root
    mpool_t *first_child;            // newest child; guarded by allocator->lock
    mpool_t *next_sibling;           // older sibling; guarded by parent->allocator->lock
    mpool_t *prev_sibling;           // newer sibling; guarded likewise
    mpool__cleanup *cleanups;      // run after children go; newest first
    mpool__cleanup *pre_cleanups;  // run before children go; newest first
    mpool__cleanup *free_cleanups; // killed records, reused by the next registration
    mpool__userdata *userdata;     // newest first
    const char *tag;               // copy in pool memory, or NULL
    mpool_oom_fn oom;              // out-of-memory handler, inherited at creation
    mpool_t *limiter;                // nearest pool (this one or an ancestor) with a limit, or NULL
    size_t limit;                  // 0: none
    std::atomic<size_t> limited_bytes; // block bytes held by this subtree; kept only when limit != 0
    bool owns_allocator;           // a root that made its allocator destroys it
};

static_assert(std::is_standard_layout_v<mpool_pool>, "a pool pointer must also point to its cursor");
static_assert(offsetof(mpool_pool, cursor) == 0, "the cursor must be the first member of a pool");

namespace mpool::detail {

inline constexpr size_t kPoolHeader = align_up_const(sizeof(mpool_pool), kAlign);

// --- budget.cpp: blocks for a pool, with its limits and its OOM handler.

// Charges `size` bytes to every limit from `limiter` up; false (and nothing
// charged) when one would be passed.
bool limits_charge(mpool_t *limiter, size_t size);
void limits_release(mpool_t *limiter, size_t size);

// A block of `size` bytes for the pool: charged to its limits, taken from
// its allocator. NULL when a limit or the source says no (no errno set).
mpool__block *pool_take_block(mpool_t *pool, size_t size);

// Gives back a chain of the pool's blocks, releasing their charge.
void pool_give_blocks(mpool_t *pool, mpool__block *chain);

// Sets errno to ENOMEM, calls the pool's OOM handler with `size`, returns NULL.
void *fail_no_memory(mpool_t *pool, size_t size);

// Sets errno to EINVAL and returns NULL.
void *fail_invalid();

// --- bump.cpp: allocation.

// Allocates `size` bytes aligned to `alignment` (a power of two from kAlign
// to MPOOL_MAX_ALIGNMENT). Pool not NULL. NULL with ENOMEM on failure.
void *pool_alloc(mpool_t *pool, size_t size, size_t alignment);

// Points the cursor at the start of the home block's free space.
void reset_cursor_to_home(mpool_t *pool);

// --- cleanups.cpp: what clear and destroy run.

// Runs pre-cleanups, destroys children, runs cleanups and drops userdata,
// again until nothing of these is left.
void run_cleanups_and_children(mpool_t *pool);

} // namespace mpool::detail

#endif
