// region.hpp - a bump region: a cursor and the blocks it has filled. A plain
// pool is one region (in its header); a concurrent pool has one per thread
// (in that thread's lane). Everything about carving allocations out of
// blocks, taking new blocks and resetting lives here, once.
#ifndef MPOOL_SRC_REGION_HPP
#define MPOOL_SRC_REGION_HPP

#include "block.hpp"
#include "checks.hpp"

struct mpool_pool;

// Invariants: cursor.ptr and cursor.end lie in `current`'s payload (both
// NULL when current is NULL), are MPOOL_ALIGNMENT-aligned, and
// 0 <= end - ptr <= kWindow, so the inline fast path never hands out a
// request over MPOOL_LARGE_THRESHOLD; `current`, `used`, `spare` and
// `large` are disjoint and never hold the pool's home block, except that
// `current` may be the home block.
struct mpool__region {
    mpool__cursor cursor;     // must stay first: a pool's region starts its header, and mpool_alloc() inlines a read of it
    mpool__block *current;    // block the cursor points into (a pool's home block, or NULL for a fresh lane)
    mpool__block *used;       // blocks filled before `current` since the last reset
    mpool__block *spare;      // blocks kept by the last reset and not used since
    mpool__block *large;      // blocks that each hold one allocation over MPOOL_LARGE_THRESHOLD
    uint32_t next_block_size; // the ordinary size of the next block to take (hot: declared with the lists)
    bool checked;             // laid out for the checkers (checks.hpp): the cursor never shows room
};

namespace mpool::detail {

// The most room the cursor shows at once: a request larger than this can
// never pass the inline test, so it reaches region_alloc(), which gives it
// a block of its own. The cursor moves the window on as it fills a block.
inline constexpr size_t kWindow = MPOOL_LARGE_THRESHOLD;
static_assert(kWindow % MPOOL_ALIGNMENT == 0, "the window keeps the room a multiple of the alignment");

// The inline fast path of mpool.h on a region's cursor (a lane's, in a
// concurrent pool): sizes 1 to the room fit once rounded, since the room is
// a multiple of MPOOL_ALIGNMENT. NULL when the request does not fit.
inline char *region_bump(mpool__region *r, size_t size) {
    char *result = r->cursor.ptr;
    size_t size_less_one = size - 1;
    if (size_less_one >= static_cast<size_t>(r->cursor.end - result)) return nullptr;
    r->cursor.ptr = result + (size_less_one | (kAlign - 1)) + 1;
    r->cursor.requested += size;
    return result;
}

// The common way out of the inline path: the window is used up, the block
// is not. Bumps past a default-aligned request of 1 to kWindow bytes and
// moves the window on, or returns NULL (then region_alloc() decides). Not
// for a checked region. Sizes 1 to kWindow, rounded, cannot wrap.
inline char *region_bump_past_window(mpool__region *r, size_t size) {
    char *result = r->cursor.ptr;
    size_t rounded = ((size - 1) | (kAlign - 1)) + 1;
    if (size - 1 >= kWindow || !r->current || rounded > static_cast<size_t>(block_end(r->current) - result))
        return nullptr;
    char *end = block_end(r->current);
    r->cursor.ptr = result + rounded;
    r->cursor.end = static_cast<size_t>(end - r->cursor.ptr) > kWindow ? r->cursor.ptr + kWindow : end;
    r->cursor.requested += size;
    return result;
}

// Bytes a checked region leaves inaccessible at the start of each block.
inline size_t lead_of(const mpool__region *r) { return r->checked ? kRedzone : 0; }

// Sets the window's end from the cursor: the block's end, or kWindow on;
// no room at all in a checked region (every allocation comes here).
inline void set_window(mpool__region *r) {
    if (r->checked) {
        r->cursor.end = r->cursor.ptr;
        return;
    }
    char *end = block_end(r->current);
    r->cursor.end = static_cast<size_t>(end - r->cursor.ptr) > kWindow ? r->cursor.ptr + kWindow : end;
}

// Makes b current with the cursor at `from` (aligned, inside b's payload),
// past the block's lead in a checked region.
inline void region_start(mpool__region *r, mpool__block *b, char *from) {
    r->current = b;
    char *end = block_end(b);
    r->cursor.ptr = static_cast<size_t>(end - from) > lead_of(r) ? from + lead_of(r) : end;
    set_window(r);
}

// region_start() for a region that is not checked, `from` inside b's
// payload (a plain child's create: pool_tree.cpp).
inline void region_start_plain(mpool__region *r, mpool__block *b, char *from) {
    r->current = b;
    r->cursor.ptr = from;
    char *end = block_end(b);
    r->cursor.end = static_cast<size_t>(end - from) > kWindow ? from + kWindow : end;
}

// The allocation that the inline path did not take: `size` bytes aligned to
// `alignment` (a power of two from MPOOL_ALIGNMENT to MPOOL_MAX_ALIGNMENT),
// with blocks charged to `owner`'s limits. `home`: the owner's home block
// when r is the owner's own region, else NULL. NULL on failure; the caller
// reports it with fail_no_memory() once it has let go of the pool (the
// handler may longjmp).
void *region_alloc(mpool__region *r, mpool_pool *owner, mpool__block *home, size_t size, size_t alignment);

// Empties the region. keep: the blocks filled since the last reset become
// spares and the old spares and large blocks go back to the allocator (one
// spike pins its memory for one cycle, not forever); otherwise all go back.
// The cursor restarts at `from` in `home`, or is empty when home is NULL.
void region_reset(mpool__region *r, mpool_pool *owner, mpool__block *home, char *from, bool keep);

// Every block of the region but `home`, as one chain; the region is left
// empty (no current block).
mpool__block *region_take_blocks(mpool__region *r, const mpool__block *home);

// Bytes of ordinary blocks the region has filled since the last reset,
// `home` included: what a pool like it will need.
inline size_t region_filled_bytes(const mpool__region *r, const mpool__block *home) {
    size_t filled = home ? home->size : 0;
    if (r->current && r->current != home) filled += r->current->size;
    for (const mpool__block *b = r->used; b; b = b->next) filled += b->size;
    return filled - (r->current ? static_cast<size_t>(block_end(r->current) - r->cursor.ptr) : 0);
}

// Adds the region's blocks (home excluded) to statistics.
void region_add_stats(const mpool__region *r, const mpool__block *home, mpool_stats_t *out);

// Resizes the most recent allocation `p` (old_rounded bytes) in place to
// new_rounded bytes when the current block has room; false otherwise.
bool region_resize_last(mpool__region *r, char *p, size_t old_rounded, size_t new_rounded);

// Moves the cursor back to `p` when `p`, an allocation of `rounded` bytes
// (its redzone after it, when checked), is the last thing carved from the
// current block; false otherwise (nothing changes). The bytes counted in
// cursor.requested are the caller's to adjust.
bool region_give_back_last(mpool__region *r, char *p, size_t rounded);

// True when region_give_back_last() would move the cursor back to `p`.
bool region_is_last(const mpool__region *r, const char *p, size_t rounded);

// The large block that holds `p`, unlinked, when it is one of the `newest`
// large blocks; else NULL.
mpool__block *region_unlink_large(mpool__region *r, const void *p, size_t newest);

// Where a region stands, for a mark (scopes.cpp): the cursor, and the heads
// of the lists that grow at the front.
struct region_position {
    mpool__block *current;
    char *ptr;
    size_t requested;
    mpool__block *used;
    mpool__block *large;
};

inline region_position region_mark(const mpool__region *r) {
    return {r->current, r->cursor.ptr, r->cursor.requested, r->used, r->large};
}

// Whether the region can go back to `at`: its block is still the current
// one, the home block or a filled one, and its list heads are still there.
bool region_can_rewind(const mpool__region *r, const mpool__block *home, const region_position &at);

// Takes the region back to `at`: blocks filled since become spares, large
// blocks taken since go back to the allocator, and the cursor and
// bytes_allocated are restored. (mpool_realloc() does not give back a large
// block older than the newest mark: when the mark's newest is gone all the
// same, as only a stale mark can see, none goes back, to be safe.) Checked
// regions make what was freed inaccessible (and fill it, in debug mode).
void region_rewind(mpool__region *r, mpool_pool *owner, const region_position &at);

// Debug builds: checks the invariants above.
void region_validate(const mpool__region *r, const mpool__block *home);

} // namespace mpool::detail

#endif
