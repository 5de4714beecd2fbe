// bump.cpp - allocation: the out-of-line part of the bump pointer.
//
// The inline fast path (mpool.h) bumps the cursor when a request fits in the
// current block. Everything else comes here: size 0, sizes that wrap when
// rounded, alignments above the default, a full block, and large requests.
//
// A full block is replaced by a spare one (kept by an earlier clear) or a new
// one from the allocator, whose size doubles with each new block up to
// MPOOL_MAX_BLOCK_SIZE. The new block becomes current only when it has more
// room left than the old one, so a request that nearly fills a new block
// does not throw away the old block's free tail. A request larger than
// MPOOL_LARGE_THRESHOLD gets a block of its own, which leaves the cursor and
// the growth sequence alone.
#include <cstring>

#include "lanes.hpp"

using namespace mpool::detail;

namespace {

// An allocation in a block of its own.
void *alloc_large(mpool_t *pool, size_t size, size_t rounded, size_t alignment) {
    size_t block_size = kBlockHeader + (alignment - kAlign) + rounded; // cannot wrap: rounded <= kMaxRequest + kAlign
    mpool__block *b = pool_take_block(pool, block_size);
    if (!b) return fail_no_memory(pool, size);
    push_block(&pool->large, b);
    pool->cursor.requested += size;
    return align_ptr(block_payload(b), alignment);
}

// An allocation in a fresh ordinary block (spare or new).
void *alloc_in_new_block(mpool_t *pool, size_t size, size_t rounded, size_t alignment) {
    size_t need = kBlockHeader + (alignment - kAlign) + rounded;
    mpool__block *b = take_first_fitting(&pool->spare, need);
    if (!b) {
        size_t block_size = pool->next_block_size;
        if (block_size < need) block_size = class_size_for(need);
        b = pool_take_block(pool, block_size);
        if (!b) return fail_no_memory(pool, size);
        pool->next_block_size = static_cast<uint32_t>(next_class_size(pool->next_block_size));
    }
    char *ptr = block_payload(b);
    char *end = block_end(b);
    char *result = carve(&ptr, end, rounded, alignment);
    pool->cursor.requested += size;
    if (end - ptr >= pool->cursor.end - pool->cursor.ptr) {
        if (pool->current != home_block(pool)) push_block(&pool->retired, pool->current);
        set_current(pool, b, ptr);
    } else {
        push_block(&pool->retired, b);
    }
    return result;
}

// The large block whose allocation starts at ptr, unlinked, or NULL.
mpool__block *unlink_large(mpool_t *pool, const void *ptr) {
    for (mpool__block **link = &pool->large; *link; link = &(*link)->next) {
        mpool__block *b = *link;
        if (static_cast<const char *>(ptr) >= block_payload(b) && static_cast<const char *>(ptr) < block_end(b)) {
            *link = b->next;
            return b;
        }
    }
    return nullptr;
}

} // namespace

namespace mpool::detail {

void *pool_alloc(mpool_t *pool, size_t size, size_t alignment) {
    if (pool->concurrent) return lane_alloc(pool, size, alignment);
    size_t rounded;
    if (size > kMaxRequest || !align_up(size ? size : 1, kAlign, &rounded)) return fail_no_memory(pool, size);
    if (char *result = carve(&pool->cursor.ptr, pool->cursor.end, rounded, alignment)) {
        pool->cursor.requested += size;
        return result;
    }
    if (rounded > MPOOL_LARGE_THRESHOLD) return alloc_large(pool, size, rounded, alignment);
    return alloc_in_new_block(pool, size, rounded, alignment);
}

void set_current(mpool_t *pool, mpool__block *b, char *from) {
    pool->current = b;
    pool->cursor.ptr = from;
    pool->cursor.end = block_end(b);
}

void reset_cursor_to_home(mpool_t *pool) {
    set_current(pool, home_block(pool), home_start(pool));
    if (pool->concurrent) pool->cursor.end = pool->cursor.ptr; // the inline fast path always misses
}

} // namespace mpool::detail

extern "C" {

void *mpool__alloc_slow(mpool_t *pool, size_t size) {
    if (!pool) return fail_invalid();
    if (pool->concurrent) return lane_alloc_default(pool, size);
    return pool_alloc(pool, size, kAlign);
}

void *(mpool_alloc)(mpool_t *pool, size_t size) { return mpool__alloc_inline(pool, size); }

void *mpool_alloc_aligned(mpool_t *pool, size_t size, size_t alignment) {
    if (!pool || alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > MPOOL_MAX_ALIGNMENT)
        return fail_invalid();
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
    if (!ptr) return mpool__alloc_nonnull(pool, new_size);
    char *p = static_cast<char *>(ptr);
    size_t old_rounded, new_rounded;
    if (!align_up(old_size ? old_size : 1, kAlign, &old_rounded)) return fail_invalid();
    if (!align_up(new_size ? new_size : 1, kAlign, &new_rounded)) return fail_no_memory(pool, new_size);
    if (pool->concurrent) { // no shared cursor or counter to adjust: shrink in place, grow by copying
        if (new_size <= old_size) return ptr;
        void *moved = pool_alloc(pool, new_size, kAlign);
        if (moved) std::memcpy(moved, ptr, old_size);
        return moved;
    }
    // The most recent allocation grows or shrinks where it is.
    if (p + old_rounded == pool->cursor.ptr && new_rounded <= static_cast<size_t>(pool->cursor.end - p)) {
        pool->cursor.ptr = p + new_rounded;
        pool->cursor.requested += new_size - old_size; // modular: exact whichever is larger
        return ptr;
    }
    if (new_size <= old_size) {
        pool->cursor.requested -= old_size - new_size;
        return ptr;
    }
    void *moved = mpool__alloc_nonnull(pool, new_size);
    if (!moved) return nullptr;
    std::memcpy(moved, ptr, old_size);
    // A large allocation that moves gives its block back at once.
    if (old_rounded > MPOOL_LARGE_THRESHOLD) {
        if (mpool__block *b = unlink_large(pool, ptr)) {
            pool->cursor.requested -= old_size;
            b->next = nullptr;
            pool_give_blocks(pool, b);
        }
    }
    return moved;
}

void *mpool_memdup(mpool_t *pool, const void *src, size_t size) {
    if (!pool || !src) return fail_invalid();
    void *copy = mpool__alloc_nonnull(pool, size);
    if (copy) std::memcpy(copy, src, size);
    return copy;
}

} // extern "C"
