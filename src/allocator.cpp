// allocator.cpp - idle-block free lists in front of a block source.
//
// Ordinary blocks have power-of-two sizes, one LIFO list each, so taking and
// giving one is O(1). Blocks of other sizes (large allocations) share one
// list searched first-fit, accepting a block at most 1/8 larger than asked;
// the list stays short because max_free bounds it. Idle bytes never pass
// max_free: a block that would pass it goes back to the source at once, so
// the seed's periodic cleanup of free blocks needs no timer.
#include "allocator.hpp"

#include <cerrno>
#include <cstdlib>
#include <new>

using namespace mpool::detail;

namespace {

void *malloc_source_alloc(void *, size_t size) { return std::malloc(size); }
void malloc_source_free(void *, void *block, size_t) { std::free(block); }

mpool__block **free_list_for(mpool_allocator *a, size_t size) {
    return is_class_size(size) ? &a->class_free[class_index(size)] : &a->odd_free;
}

// Unlinks and returns the first idle block of the odd list whose size is
// within [size, size + size/8], or NULL. Lock held.
mpool__block *take_odd_locked(mpool_allocator *a, size_t size) {
    size_t most = size + size / 8 < size ? SIZE_MAX : size + size / 8;
    for (mpool__block **link = &a->odd_free; *link; link = &(*link)->next) {
        mpool__block *b = *link;
        if (b->size >= size && b->size <= most) {
            *link = b->next;
            return b;
        }
    }
    return nullptr;
}

void source_free(mpool_allocator *a, mpool__block *b) { a->source.free(a->source.ctx, b, b->size); }

// Gives idle blocks back to the source, largest first, until at most `keep`
// idle bytes remain. Lock held. Returns the bytes given back.
size_t trim_locked(mpool_allocator *a, size_t keep) {
    size_t released = 0;
    while (a->idle_bytes > keep && a->odd_free) {
        mpool__block *b = a->odd_free;
        a->odd_free = b->next;
        a->idle_bytes -= b->size;
        released += b->size;
        source_free(a, b);
    }
    for (unsigned i = kClassCount; i-- > 0 && a->idle_bytes > keep;) {
        while (a->idle_bytes > keep && a->class_free[i]) {
            mpool__block *b = a->class_free[i];
            a->class_free[i] = b->next;
            a->idle_bytes -= b->size;
            released += b->size;
            source_free(a, b);
        }
    }
    return released;
}

} // namespace

namespace mpool::detail {

mpool_block_source_t default_block_source() { return {malloc_source_alloc, malloc_source_free, nullptr}; }

mpool__block *allocator_take(mpool_allocator *a, size_t size) {
    std::lock_guard guard(a->lock);
    mpool__block *b = nullptr;
    if (is_class_size(size)) {
        mpool__block **list = &a->class_free[class_index(size)];
        if ((b = *list)) *list = b->next;
    } else {
        b = take_odd_locked(a, size);
    }
    if (b) {
        a->idle_bytes -= b->size;
        return b;
    }
    b = static_cast<mpool__block *>(a->source.alloc(a->source.ctx, size));
    if (b) b->size = size;
    return b;
}

void allocator_give(mpool_allocator *a, mpool__block *chain) {
    if (!chain) return;
    std::lock_guard guard(a->lock);
    while (chain) {
        mpool__block *b = chain;
        chain = b->next;
        if (b->size <= a->max_free - a->idle_bytes) {
            mpool__block **list = free_list_for(a, b->size);
            b->next = *list;
            *list = b;
            a->idle_bytes += b->size;
        } else {
            source_free(a, b);
        }
    }
}

} // namespace mpool::detail

extern "C" {

mpool_allocator_t *mpool_allocator_create(const mpool_block_source_t *source) {
    mpool_block_source_t chosen = default_block_source();
    if (source && (source->alloc || source->free)) {
        if (!source->alloc || !source->free) {
            errno = EINVAL;
            return nullptr;
        }
        chosen = *source;
    }
    void *memory = chosen.alloc(chosen.ctx, sizeof(mpool_allocator));
    if (!memory) {
        errno = ENOMEM;
        return nullptr;
    }
    auto *a = new (memory) mpool_allocator;
    a->source = chosen;
    return a;
}

void mpool_allocator_destroy(mpool_allocator_t *a) {
    if (!a) return;
    {
        std::lock_guard guard(a->lock);
        trim_locked(a, 0);
    }
    mpool_block_source_t source = a->source;
    a->~mpool_allocator();
    source.free(source.ctx, a, sizeof(mpool_allocator));
}

void mpool_allocator_set_max_free(mpool_allocator_t *a, size_t bytes) {
    if (!a) return;
    std::lock_guard guard(a->lock);
    a->max_free = bytes;
    trim_locked(a, bytes);
}

size_t mpool_allocator_max_free(const mpool_allocator_t *a) {
    if (!a) return 0;
    std::lock_guard guard(a->lock);
    return a->max_free;
}

size_t mpool_allocator_trim(mpool_allocator_t *a, size_t keep_bytes) {
    if (!a) return 0;
    std::lock_guard guard(a->lock);
    return trim_locked(a, keep_bytes);
}

size_t mpool_allocator_idle_bytes(const mpool_allocator_t *a) {
    if (!a) return 0;
    std::lock_guard guard(a->lock);
    return a->idle_bytes;
}

} // extern "C"
