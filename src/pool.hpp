// pool.hpp - the pool header, shared by the files that implement pools.
#ifndef MPOOL_SRC_POOL_HPP
#define MPOOL_SRC_POOL_HPP

#include <atomic>
#include <cstring>
#include <type_traits>

#include "allocator.hpp"
#include "check.hpp"
#include "checks.hpp"
#include "region.hpp"
#include "sizing.hpp"

// A registered cleanup; lives in the pool's own memory.
struct mpool__cleanup {
    mpool__cleanup *next; // registered before this one (runs after it)
    void *data;           // argument for fn
    mpool_cleanup_fn fn;  // what to call
    uint32_t tick;        // the annex's tick when registered: newer than a mark or not (scopes.cpp)
};

// A userdata entry; lives in the pool's own memory, its key too.
struct mpool__userdata {
    mpool__userdata *next;    // set before this one
    const char *key;          // copy of the key
    void *data;               // the value
    mpool_cleanup_fn cleanup; // run on the value when the pool is cleared; may be NULL
    uint32_t tick;            // the annex's tick when added
};

// What a pool runs at teardown, kept out of the header: most pools (a
// typical request) register nothing, so the record is made in the pool's
// own memory on the first registration and goes with that memory at clear.
// In a concurrent pool, threads may make it at once: the first published
// wins (cleanups.cpp).
struct mpool__annex {
    mpool__cleanup *cleanups;      // run after children go; newest first
    mpool__cleanup *pre_cleanups;  // run before children go; newest first
    mpool__cleanup *free_cleanups; // killed records, reused by the next registration
    mpool__userdata *userdata;     // newest first
    uint32_t ticks;                // one per registration: orders records against marks
};

namespace mpool::detail {

// Where a pool is in its life. Only the thread that clears or destroys a
// pool changes its state (with store_state(): walks in other threads read
// it, see load_state()).
enum class pool_state : uint8_t {
    live,       // usable
    clearing,   // mpool_clear() runs its cleanups and destroys its children; live again after
    destroying, // mpool_destroy() (its own or an ancestor's) runs its cleanups and children, then frees it
    destroyed,  // written just before the home block is given back; seen only by debugging tools
};

// Which part of a teardown a clearing or destroying pool is in: the order
// of mpool_clear(), repeated until a round finds nothing to do. While the
// pool is live, its `step` field holds the walks inside it instead (see
// walks_inside()); pre_cleanups is 0, so a teardown starts where no walk is.
enum class teardown_step : uint8_t { pre_cleanups, children, cleanups, userdata };

// Flags of a pool, fixed at creation (but kOwnsAllocator, which a move may
// set: reparent.cpp, with the pool to itself).
enum pool_flag : uint8_t {
    kHasLimit = 1,      // an mpool__limit record follows the header
    kHasHandler = 2,    // an mpool__handler record follows (the limit's, if any)
    kOwnsAllocator = 4, // holds its allocator, made by a root (allocator.hpp): released when freed
    kConcurrent = 8,    // MPOOL_CONCURRENT: threads allocate in lanes (lanes.hpp)
    kChecked = 16,      // allocations are laid out with redzones for the checkers (checks.hpp)
    kDebug = 32,        // debug mode: records, canaries, misuse checks; an mpool__debug record follows the others
    kHasExtra = 64,     // options.extra_size: an mpool__extra record and the user's area follow all the others
    kOddHome = 128,     // the home block is not of an ordinary size (it was cut to a limit): see pool_tree.cpp's short path
};

} // namespace mpool::detail

// The pool header. It lives at the start of the pool's first ("home")
// block, so a pool costs one block request and nothing else. Fields are
// ordered so that the header fits a child holding a 32-byte allocation in
// the smallest block (static_assert below).
struct mpool_pool {
    mpool__region region;                 // must stay first: its cursor is what mpool_alloc() inlines
    mpool::detail::pool_state state;      // see pool_state; written with store_state()
    mpool::detail::teardown_step step;    // overloaded: while clearing or destroying, what runs next; while live, the
                                          // walks inside the pool (walks_inside()), under its list's lock
    uint8_t flags;                        // pool_flag bits
    bool marked;                          // a mark was taken since the last clear: see large_since_mark
    uint32_t birth;                       // its number from the parent's birth counter: the lanes' (lanes.hpp), or own_births on the own list
    mpool::detail::shared_sizing_estimate child_sizing; // what the children on the own list fill (sizing.hpp)
    uint32_t clears;                      // clears so far: a mark from before the last one is stale (scopes.cpp)
    mpool_allocator *allocator;           // where blocks come from
    mpool_pool *parent;                   // NULL for a root
    mpool_pool *first_child;              // own list: newest child made before lanes started; guarded by allocator->lock
    mpool_pool *next_sibling;             // older sibling in the same list (own list or a lane's); guarded by that list's lock
    mpool_pool *prev_sibling;             // newer sibling, likewise
    mpool__annex *annex;                  // cleanups and userdata; NULL until the first registration since the last clear
    const char *tag;                      // copy in pool memory (or in the concurrent record), or NULL
    mpool_pool *limiter;                  // nearest pool (this one or an ancestor) with a limit, or NULL
    mpool_pool **owner;                   // a C++ handle's slot (mpool.hpp's Pool) that free_pool() sets to NULL, so the handle knows; NULL: none
    alignas(void *) unsigned char resource[sizeof(void *)]; // the pool as a std::pmr::memory_resource (resource.hpp): its vtable pointer, placed at creation; a fixed address that survives clear
    std::atomic<uintptr_t> lanes;         // how children are linked: see lanes.hpp
    uint32_t own_births;                  // birth numbers of children on the own list; guarded by allocator->lock
    uint32_t large_since_mark;            // when marked: large blocks taken since the newest mark (at the front of
                                          // region.large); mpool_realloc() gives back only those (scopes.cpp)
};

static_assert(std::is_standard_layout_v<mpool_pool>, "a pool pointer must also point to its cursor");
static_assert(offsetof(mpool_pool, region) == 0 && offsetof(mpool__region, cursor) == 0,
              "the cursor must be the first member of a pool");
static_assert(MPOOL_MAX_BLOCK_SIZE <= UINT32_MAX, "next_block_size is 32 bits");
static_assert(MPOOL_MAX_BLOCK_SIZE / MPOOL_ALIGNMENT <= UINT16_MAX, "child_sizing holds a block's size in kAlign units");
static_assert(sizeof(mpool__block) + sizeof(mpool_pool) + 32 <= (MPOOL_MIN_BLOCK_SIZE & ~(MPOOL_ALIGNMENT - 1)),
              "a child in the smallest block must hold a 32-byte allocation (the footprint promise)");

// A limit and what the subtree holds against it.
struct mpool__limit {
    size_t limit;             // most block bytes the subtree may hold
    std::atomic<size_t> held; // block bytes it holds now; held <= limit
};

// An out-of-memory handler given in the options (children find it by
// walking up to the nearest pool that has one).
struct mpool__handler {
    mpool_oom_fn oom;
};

namespace mpool::detail {

inline constexpr size_t kPoolHeader = align_up_const(sizeof(mpool_pool), kAlign);
inline constexpr size_t kLimitRecord = align_up_const(sizeof(mpool__limit), kAlign);
inline constexpr size_t kHandlerRecord = align_up_const(sizeof(mpool__handler), kAlign);

// What a concurrent pool keeps after its other records (its own cursor is
// never used: threads allocate in lanes).
struct mpool__concurrent {
    char tag[MPOOL_TAG_MAX + 1]; // the tag's copy
    uint64_t serial;             // unique among all pools ever made: keys each thread's cached lane
    Mutex cleanups_lock;         // guards the annex's lists (cleanups, pre-cleanups, killed records) and its ticks,
                                 // which threads change at once (cleanups.cpp); never held across a call out
};
inline constexpr size_t kConcurrentRecord = align_up_const(sizeof(mpool__concurrent), kAlign);
inline constexpr size_t kDebugRecord = align_up_const(sizeof(mpool__debug), kAlign);

// The records after the header, by flags: limit, handler, concurrent, debug.
inline size_t records_size(uint8_t flags) {
    return kPoolHeader + ((flags & kHasLimit) ? kLimitRecord : 0) + ((flags & kHasHandler) ? kHandlerRecord : 0) +
           ((flags & kConcurrent) ? kConcurrentRecord : 0) + ((flags & kDebug) ? kDebugRecord : 0);
}

// The user's area (options.extra_size, mpool_extra()): its size, then the
// area itself, after every other record, so that a clear (which starts
// again at home_start()) never touches it.
struct mpool__extra {
    size_t size; // bytes of the area, a multiple of kAlign
};
inline constexpr size_t kExtraRecord = align_up_const(sizeof(mpool__extra), kAlign);

inline char *pool_bytes(const mpool_t *pool) { return reinterpret_cast<char *>(const_cast<mpool_t *>(pool)); }

inline bool is_concurrent(const mpool_t *pool) { return (pool->flags & kConcurrent) != 0; }

// The block that holds the pool's header. While the pool lives, its `next`
// link (unused otherwise) points to the lane the pool is on (lane_of()).
inline mpool__block *home_block(const mpool_t *pool) {
    return reinterpret_cast<mpool__block *>(pool_bytes(pool) - kBlockHeader);
}

inline mpool__limit *limit_of(const mpool_t *pool) {
    return reinterpret_cast<mpool__limit *>(pool_bytes(pool) + kPoolHeader);
}

inline mpool__handler *handler_of(const mpool_t *pool) {
    return reinterpret_cast<mpool__handler *>(pool_bytes(pool) + records_size(pool->flags & kHasLimit));
}

inline mpool__concurrent *concurrent_of(const mpool_t *pool) {
    return reinterpret_cast<mpool__concurrent *>(pool_bytes(pool) +
                                                 records_size(pool->flags & (kHasLimit | kHasHandler)));
}

inline mpool__debug *debug_of(const mpool_t *pool) {
    return reinterpret_cast<mpool__debug *>(pool_bytes(pool) +
                                            records_size(pool->flags & (kHasLimit | kHasHandler | kConcurrent)));
}

// The state as a walk in another thread reads it (walk_entry.cpp): under
// the lock of the list that holds the pool, while the pool's own thread may
// be changing it. Every write is a store_state(), whose release pairs with
// this acquire: a walk that sees a pool live again after a clear sees the
// walks count that the clear reset. Both are plain moves on x86.
inline pool_state load_state(const mpool_t *pool) {
    return std::atomic_ref<pool_state>(const_cast<mpool_t *>(pool)->state).load(std::memory_order_acquire);
}
inline void store_state(mpool_t *pool, pool_state state) {
    std::atomic_ref<pool_state>(pool->state).store(state, std::memory_order_release);
}

// How many walks are inside a live pool: visiting it or one of its
// descendants (walk_entry.cpp). Kept in `step`, which a live pool does not
// use; read and written under the lock of the list that holds the pool.
inline unsigned walks_inside(const mpool_t *pool) { return static_cast<unsigned>(pool->step); }
inline void set_walks_inside(mpool_t *pool, unsigned walks) { pool->step = static_cast<teardown_step>(walks); }

// True when the pool is live and no walk is inside it: `state` and `step`
// read as one 16-bit word, both 0, so that the short destroy
// (pool_tree.cpp) tests both in the one compare it had for the state.
inline bool live_with_no_walk_inside(const mpool_t *pool) {
    static_assert(offsetof(mpool_pool, step) == offsetof(mpool_pool, state) + 1 &&
                      static_cast<int>(pool_state::live) == 0 && static_cast<int>(teardown_step::pre_cleanups) == 0,
                  "state and step are one word, 0 for a live pool with no walk inside");
    uint16_t word;
    std::memcpy(&word, pool_bytes(pool) + offsetof(mpool_pool, state), sizeof word);
    return word == 0;
}

inline bool is_checked(const mpool_t *pool) { return (pool->flags & kChecked) != 0; }
inline bool is_debug(const mpool_t *pool) { return (pool->flags & kDebug) != 0; }

// The extra record; valid only with kHasExtra. The area follows it.
inline mpool__extra *extra_of(const mpool_t *pool) {
    return reinterpret_cast<mpool__extra *>(pool_bytes(pool) + records_size(pool->flags));
}

// Where the cursor starts in the home block: after the header, the records
// and the user's area.
inline char *home_start(const mpool_t *pool) {
    char *start = pool_bytes(pool) + records_size(pool->flags);
    return (pool->flags & kHasExtra) ? start + kExtraRecord + extra_of(pool)->size : start;
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

// --- budget.cpp: blocks for a pool, with its limits and its OOM handler.

// Bytes every limit from `limiter` up still allows (SIZE_MAX: no limit).
size_t limits_room(const mpool_t *limiter);

// Charges `size` bytes to every limit from `limiter` up; false (and nothing
// charged) when one would be passed.
bool limits_charge(mpool_t *limiter, size_t size);
void limits_release(mpool_t *limiter, size_t size);

// The same for the limits from `limiter` up to `stop` (a limiter above it,
// not included; NULL: all): reparenting charges only the limits that the
// new place adds (reparent.cpp).
bool limits_charge_below(mpool_t *limiter, const mpool_t *stop, size_t size);
void limits_release_below(mpool_t *limiter, const mpool_t *stop, size_t size);

// A block for the pool, charged to its limits: `wanted` bytes, or when the
// limits leave less room, the largest block they allow if that is at least
// `least` bytes. NULL when no block of `least` bytes can be had (no errno).
mpool__block *pool_take_block(mpool_t *pool, size_t wanted, size_t least);

// The same for a block that will hold a new child of `parent` (or a root
// when parent is NULL) with its own `limit` (0: none), from `allocator`.
mpool__block *take_block_for_child(mpool_t *parent, mpool_allocator *allocator, size_t limit, size_t wanted,
                                   size_t least);

// Gives back a chain of the pool's blocks, releasing their charge.
void pool_give_blocks(mpool_t *pool, mpool__block *chain);

// Releases the charge of a chain of the pool's blocks (without giving them).
void pool_release_charge(mpool_t *pool, const mpool__block *chain);

// The out-of-memory handler that applies to the pool: its own, else its
// nearest ancestor's; NULL when none.
mpool_oom_fn handler_for(const mpool_t *pool);

// Sets errno to ENOMEM, calls the pool's handler with `size`, returns NULL.
void *fail_no_memory(mpool_t *pool, size_t size);

// Sets errno to EINVAL and returns NULL.
void *fail_invalid();

// --- bump.cpp

// Allocation in the pool (plain or concurrent) beyond the inline path.
void *pool_alloc(mpool_t *pool, size_t size, size_t alignment);

// Points the cursor at the start of the home block's free space (for a
// concurrent pool, an empty cursor: the inline path always misses).
inline void reset_cursor_to_home(mpool_t *pool) {
    region_start(&pool->region, home_block(pool), home_start(pool));
    if (is_concurrent(pool)) pool->region.cursor.end = pool->region.cursor.ptr;
}

// --- cleanups.cpp

// `size` bytes of the pool's memory for a record, and the pool's annex in
// *annex: when the pool has none yet, it is made in the same allocation, so
// that a failure leaves nothing behind. NULL when the memory cannot be had
// (errno set and the handler called).
void *alloc_with_annex(mpool_t *pool, size_t size, mpool__annex **annex);

// The annex as it is now (NULL when none), read with acquire ordering: in a
// concurrent pool, another thread may have just published it.
inline mpool__annex *annex_of(const mpool_t *pool) {
    return std::atomic_ref<mpool__annex *>(const_cast<mpool_t *>(pool)->annex).load(std::memory_order_acquire);
}

// --- teardown.cpp: clear and destroy, without recursion.

// Runs the pool's teardown: pre-cleanups, children (newest first, each torn
// down the same way, depth-first, with no recursion whatever the depth),
// cleanups, userdata, repeated until nothing is left. `end`: what becomes of
// the pool then. A pool that is not live (its teardown is already running
// further up the stack: a cleanup destroyed or cleared it) is left alone.
enum class teardown_end { clear, destroy };
void teardown(mpool_t *pool, teardown_end end);

// The steps a teardown (and a rewind, scopes.cpp) is made of: the pool's
// newest child (on lanes first, then the own list), or NULL; run the first
// cleanup of a list, unlinked before the call; drop the newest userdata
// entry, running its cleanup.
mpool_t *newest_child(const mpool_t *pool);
void run_one_cleanup(mpool__cleanup **list);
void drop_one_userdata(mpool__annex *annex);

// --- pool_tree.cpp

// The last step of a destroy, once the pool has no children and nothing to
// run: records its use for its parent's sizing, unlinks it, gives every
// block back. Nothing of the pool is read afterwards.
void free_pool(mpool_t *pool);

// The reset at the end of a clear: blocks, cursor, tag.
void reset_pool(mpool_t *pool);

// A freed pool's home block, once unlinked and before it is given back:
// made inaccessible (and filled, in debug mode) when the pool was checked.
void retire_home(mpool__block *home, uint8_t flags);

// --- validate.cpp

// Debug builds: checks the pool's structure (region, records, child links).
// Release builds: nothing, not even a call.
#ifndef NDEBUG
void pool_validate(const mpool_t *pool);
#else
inline void pool_validate(const mpool_t *) {}
#endif

} // namespace mpool::detail

#endif
