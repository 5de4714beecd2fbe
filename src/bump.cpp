// bump.cpp - the allocation calls: the out-of-line part of mpool_alloc()
// and the calls that are never inline. The carving itself is region.cpp's;
// a concurrent pool allocates in the calling thread's lane (concurrent.cpp).
#include <cstring>

#include "lanes.hpp"

using namespace mpool::detail;

namespace mpool::detail {

void *pool_alloc(mpool_t *pool, size_t size, size_t alignment) {
    if (is_concurrent(pool)) return lane_alloc(pool, size, alignment);
    bool entered = is_debug(pool) && check_enter(pool);
    const mpool__block *newest_large = pool->region.large;
    void *result = region_alloc(&pool->region, pool, home_block(pool), size, alignment);
    if (pool->marked && pool->region.large != newest_large) ++pool->large_since_mark;
    check_leave(pool, entered);
    return result ? result : fail_no_memory(pool, size);
}


} // namespace mpool::detail

namespace {

// Every case but the two common ones.
[[gnu::noinline]] void *alloc_slow(mpool_t *pool, size_t size) {
    check_not_destroyed(pool, "mpool_alloc");
    return pool_alloc(pool, size, kAlign);
}

// A plain pool: the window moves on, or the request takes the slow path.
[[gnu::noinline]] void *move_window_or_slow(mpool_t *pool, size_t size) {
    if (void *result = region_bump_past_window(&pool->region, size)) return result;
    return alloc_slow(pool, size);
}

} // namespace

extern "C" {

void *mpool__alloc_slow(mpool_t *pool, size_t size) {
    if (!pool) return fail_invalid();
    // The common cases first, cheaply (the pool is not a debug pool
    // destroyed recently, so its header may be read): a concurrent pool's
    // thread lane, and a plain pool whose window moves on.
    // Tail calls only, so that this function needs no frame.
    if (!may_be_quarantined(pool)) {
        uint8_t flags = pool->flags & (kChecked | kConcurrent | kDebug);
        if (flags == kConcurrent) return lane_alloc_default(pool, size);
        if (flags == 0) return move_window_or_slow(pool, size);
    }
    return alloc_slow(pool, size);
}

void *(mpool_alloc)(mpool_t *pool, size_t size) { return mpool__alloc_inline(pool, size); }

void *mpool_alloc_aligned(mpool_t *pool, size_t size, size_t alignment) {
    if (!pool || alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > MPOOL_MAX_ALIGNMENT)
        return fail_invalid();
    check_not_destroyed(pool, "mpool_alloc_aligned");
    return pool_alloc(pool, size, alignment < kAlign ? kAlign : alignment);
}

void *mpool_calloc(mpool_t *pool, size_t count, size_t size) {
    if (!pool) return fail_invalid();
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return fail_no_memory(pool, SIZE_MAX);
    void *result = mpool__alloc_nonnull(pool, total);
    if (result) std::memset(result, 0, total);
    return result;
}

void *mpool_realloc(mpool_t *pool, void *ptr, size_t old_size, size_t new_size) {
    if (!pool) return fail_invalid();
    check_not_destroyed(pool, "mpool_realloc");
    if (!ptr) return mpool__alloc_nonnull(pool, new_size);
    check_is_allocation(pool, ptr);
    char *p = static_cast<char *>(ptr);
    size_t old_rounded, new_rounded;
    if (!align_up(old_size ? old_size : 1, kAlign, &old_rounded)) return fail_invalid();
    if (new_size > kMaxRequest || !align_up(new_size ? new_size : 1, kAlign, &new_rounded))
        return fail_no_memory(pool, new_size);
    if (is_concurrent(pool)) { // no shared cursor or counter to adjust: shrink in place, grow by copying
        if (new_size <= old_size) {
            if (is_checked(pool)) check_on_shrink(pool, p, old_size, new_size);
            return ptr;
        }
        void *moved = pool_alloc(pool, new_size, kAlign);
        if (moved) std::memcpy(moved, ptr, old_size);
        if (moved && is_checked(pool)) check_on_moved(pool, p, old_size);
        return moved;
    }
    mpool__region *r = &pool->region;
    // The most recent allocation grows or shrinks where it is (a result over
    // the large threshold gets a block of its own instead).
    if (new_rounded <= MPOOL_LARGE_THRESHOLD && region_resize_last(r, p, old_rounded, new_rounded)) {
        r->cursor.requested += new_size - old_size; // modular: exact whichever is larger
        return ptr;
    }
    if (new_size <= old_size) {
        r->cursor.requested -= old_size - new_size;
        if (r->checked) check_on_shrink(pool, p, old_size, new_size);
        return ptr;
    }
    // Whether `ptr` has a block of its own is the block's to say, not
    // old_size's: a large allocation shrunk in place is small now, and
    // still alone in its block. One in the current block has none (large
    // blocks are never current), which spares the common move a look
    // through the large blocks.
    bool maybe_large = !r->current || p < block_payload(r->current) || p >= block_end(r->current);
    void *moved = mpool__alloc_nonnull(pool, new_size);
    if (!moved) return nullptr;
    std::memcpy(moved, ptr, old_size);
    if (r->checked) check_on_moved(pool, p, old_size);
    // A large allocation that moves gives its block back at once (in debug
    // mode at the next clear: its record is on the pool's list), unless it
    // is older than the pool's newest mark: a rewind restores
    // bytes_allocated to the mark's figure, which counts it, so its block
    // stays until the next clear (or a rewind to an older mark).
    if (maybe_large && !is_debug(pool)) {
        if (mpool__block *b = region_unlink_large(r, ptr, pool->marked ? pool->large_since_mark : SIZE_MAX)) {
            if (pool->marked) --pool->large_since_mark;
            r->cursor.requested -= old_size;
            b->next = nullptr;
            pool_give_blocks(pool, b);
        }
    }
    return moved;
}

int mpool__give_back(mpool_t *pool, void *ptr, size_t size) {
    if (!pool || !ptr) return 0;
    check_not_destroyed(pool, "mpool__give_back");
    size_t rounded;
    if (is_concurrent(pool) || size > kMaxRequest || !align_up(size ? size : 1, kAlign, &rounded)) return 0;
    bool entered = is_debug(pool) && check_enter(pool);
    mpool__region *r = &pool->region;
    char *p = static_cast<char *>(ptr);
    // In a checked pool with a mark, the cursor stays: bytes handed out again
    // could lie before the mark's place, where a rewind, which makes what
    // lies after the mark inaccessible, does not reach.
    bool given = r->checked && pool->marked ? region_is_last(r, p, rounded) : region_give_back_last(r, p, rounded);
    if (given) {
        r->cursor.requested -= size;
        if (r->checked) check_on_given_back(pool, p, size);
    }
    check_leave(pool, entered);
    return given ? 1 : 0;
}

void *(mpool_memdup)(mpool_t *pool, const void *src, size_t size) {
    if (!pool || !src) return fail_invalid();
    return mpool__memdup_inline(pool, src, size);
}

} // extern "C"
