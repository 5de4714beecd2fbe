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

// A limit and what the subtree holds against it. Lives in the limited pool's
// home block just after the header, where clear does not reach.
struct mpool__limit {
    size_t limit;             // most block bytes the subtree may hold
    std::atomic<size_t> held; // block bytes it holds now
};

// The pool header. It lives at the start of the pool's first ("home")
// block, so a pool costs one block request and nothing else.
struct mpool_pool {
    mpool__cursor cursor;              // must stay first: mpool_alloc() inlines a read of it
    mpool__block *current;             // block the cursor points into (may be the home block)
    mpool__block *retired;             // ordinary blocks used since the last clear, home and current excluded
    mpool__block *spare;               // ordinary blocks kept by clear and not used since
    mpool__block *large;               // blocks that each hold one large allocation
    mpool_allocator *allocator;        // where blocks come from
    mpool_pool *parent;                // NULL for a root
    mpool_pool *first_child;           // newest child; guarded by allocator->lock
    mpool_pool *next_sibling;          // older sibling; guarded by parent->allocator->lock
    mpool_pool *prev_sibling;          // newer sibling; guarded likewise
    mpool__cleanup *cleanups;          // run after children go; newest first
    mpool__cleanup *pre_cleanups;      // run before children go; newest first
    mpool__cleanup *free_cleanups;     // killed records, reused by the next registration
    mpool__userdata *userdata;         // newest first
    const char *tag;                   // copy in pool memory, or NULL
    mpool_oom_fn oom;                  // out-of-memory handler, inherited at creation
    mpool_pool *limiter;               // nearest pool (this one or an ancestor) with a limit, or NULL
    std::atomic<size_t> child_need;    // decaying maximum of the bytes children used; sizes new children
    std::atomic<uintptr_t> lanes;      // how children are linked: see lanes.hpp
    uint32_t next_block_size;          // size of the next ordinary block to take
    bool owns_allocator;               // a root that made its allocator destroys it
    bool has_limit;                    // an mpool__limit follows the header
    bool detached;                     // destroyed by a thread other than its lane's; awaiting unlink
    bool concurrent;                   // MPOOL_CONCURRENT: threads allocate through lanes (lanes.hpp)
};

static_assert(std::is_standard_layout_v<mpool_pool>, "a pool pointer must also point to its cursor");
static_assert(offsetof(mpool_pool, cursor) == 0, "the cursor must be the first member of a pool");
static_assert(MPOOL_MAX_BLOCK_SIZE <= UINT32_MAX, "next_block_size is 32 bits");
static_assert(sizeof(mpool__block) + sizeof(mpool_pool) + 32 <= (MPOOL_MIN_BLOCK_SIZE & ~(MPOOL_ALIGNMENT - 1)),
              "a child in the smallest block must hold a 32-byte allocation (the footprint promise)");

namespace mpool::detail {

inline constexpr size_t kPoolHeader = align_up_const(sizeof(mpool_pool), kAlign);
inline constexpr size_t kLimitRecord = align_up_const(sizeof(mpool__limit), kAlign);

// The block that holds the pool's header.
inline mpool__block *home_block(const mpool_t *pool) {
    return reinterpret_cast<mpool__block *>(reinterpret_cast<uintptr_t>(pool) - kBlockHeader);
}

// A list of children: newest first, doubly linked through the sibling
// pointers. A parent has one (first_child), and so has each of its lanes.
inline void push_child(mpool_t **head, mpool_t *child) {
    child->prev_sibling = nullptr;
    child->next_sibling = *head;
    if (*head) (*head)->prev_sibling = child;
    *head = child;
}

inline void remove_child(mpool_t **head, mpool_t *child) {
    if (child->prev_sibling)
        child->prev_sibling->next_sibling = child->next_sibling;
    else
        *head = child->next_sibling;
    if (child->next_sibling) child->next_sibling->prev_sibling = child->prev_sibling;
}

// The pool's own limit (has_limit set): just after the header.
inline mpool__limit *limit_of(mpool_t *pool) {
    return reinterpret_cast<mpool__limit *>(reinterpret_cast<char *>(pool) + kPoolHeader);
}

// What a concurrent pool keeps in its home block after the header and the
// limit record (its own cursor is never used: threads allocate in lanes).
struct mpool__concurrent {
    char tag[MPOOL_TAG_MAX + 1]; // the tag's copy
    uint64_t serial;             // unique among all pools ever made: keys each thread's cached lane
};
inline constexpr size_t kConcurrentRecord = align_up_const(sizeof(mpool__concurrent), kAlign);

inline mpool__concurrent *concurrent_of(const mpool_t *pool) {
    return reinterpret_cast<mpool__concurrent *>(reinterpret_cast<uintptr_t>(pool) + kPoolHeader +
                                                 (pool->has_limit ? kLimitRecord : 0));
}

// Where the cursor starts in the home block: after the header, the limit
// record and a concurrent pool's record. Clear resets the cursor to here.
inline char *home_start(mpool_t *pool) {
    return reinterpret_cast<char *>(pool) + kPoolHeader + (pool->has_limit ? kLimitRecord : 0) +
           (pool->concurrent ? kConcurrentRecord : 0);
}

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

// Releases the charge of a chain of the pool's blocks (without giving them).
void pool_release_charge(mpool_t *pool, const mpool__block *chain);

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

// Makes `b` the current block, its free space starting at `from`.
void set_current(mpool_t *pool, mpool__block *b, char *from);

// --- pool_tree.cpp

// Destroys a pool. `exclusive`: the caller owns the pool's parent and all
// under it (a clear or destroy of an ancestor), so even a child on another
// thread's lane is unlinked at once.
void destroy_pool(mpool_t *pool, bool exclusive);

// --- cleanups.cpp: what clear and destroy run.

// Runs pre-cleanups, destroys children, runs cleanups and drops userdata,
// again until nothing of these is left.
void run_cleanups_and_children(mpool_t *pool);

} // namespace mpool::detail

#endif
