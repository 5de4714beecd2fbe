// allocator.cpp - idle-block free lists in front of a block source.
//
// Ordinary blocks come in a few sizes (2^k - slack), one LIFO list each, so
// taking and giving one is O(1). Blocks of other sizes (large allocations)
// share one list searched first-fit, accepting a block at most 1/8 larger
// than asked; the list stays short because max_free bounds it.
//
// Two bounds keep idle memory in check, neither of them on a timer:
// - max_free: a block that would take idle_bytes past it goes back to the
//   source at once;
// - decay: a block idle for longer than decay_ms goes back to the source.
//   Each idle block carries the time it went idle in its own (unused)
//   payload; the allocator's slow paths (take, give, trim) look at the clock
//   and, at most every decay/2 ms, sweep the lists for old blocks.
#include "allocator.hpp"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <new>

using namespace mpool::detail;

namespace {

void *malloc_source_alloc(void *, size_t size) { return std::malloc(size); }
void malloc_source_free(void *, void *block, size_t) { std::free(block); }

mpool__block **free_list_for(mpool_allocator *a, size_t size) {
    return is_class_size(size) ? &a->class_free[class_index(size)] : &a->odd_free;
}

// Unlinks and returns the first idle block of the odd list whose size is
// within [size, size + size/8], or NULL.
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

uint64_t now_ms(const mpool_allocator *a) {
    if (a->clock) return a->clock(a->clock_ctx);
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

// When an idle block went idle: kept in its payload, which nobody uses then.
uint64_t &idle_since(mpool__block *b) { return *reinterpret_cast<uint64_t *>(block_payload(b)); }

// Gives back every block of *list for which `drop` says so.
template <class Drop> size_t release_from(mpool_allocator *a, mpool__block **list, Drop drop) {
    size_t released = 0;
    for (mpool__block **link = list; *link;) {
        mpool__block *b = *link;
        if (drop(b)) {
            *link = b->next;
            a->idle_bytes -= b->size;
            released += b->size;
            source_free(a, b);
        } else {
            link = &b->next;
        }
    }
    return released;
}

// Gives back the blocks idle for decay_ms or longer. Returns the bytes.
size_t release_old_locked(mpool_allocator *a, uint64_t now) {
    a->last_sweep_ms = now;
    auto too_old = [a, now](mpool__block *b) { return now - idle_since(b) >= a->decay_ms; };
    size_t released = release_from(a, &a->odd_free, too_old);
    for (mpool__block *&list : a->class_free) released += release_from(a, &list, too_old);
    return released;
}

// release_old_locked(), at most every decay/2 ms, so that slow paths stay cheap.
void sweep_old_locked(mpool_allocator *a, uint64_t now) {
    if (a->decay_ms != 0 && now - a->last_sweep_ms >= a->decay_ms / 2) release_old_locked(a, now);
}

// Gives idle blocks back to the source, largest first, until at most `keep`
// idle bytes remain. Returns the bytes given back.
size_t trim_locked(mpool_allocator *a, size_t keep) {
    auto over = [a, keep](mpool__block *) { return a->idle_bytes > keep; };
    size_t released = release_from(a, &a->odd_free, over);
    for (unsigned i = kClassCount; i-- > 0 && a->idle_bytes > keep;) released += release_from(a, &a->class_free[i], over);
    return released;
}

} // namespace

namespace mpool::detail {

mpool_block_source_t default_block_source() { return {malloc_source_alloc, malloc_source_free, nullptr}; }

mpool__block *allocator_take_locked(mpool_allocator *a, size_t size) {
    if (a->decay_ms) sweep_old_locked(a, now_ms(a));
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

mpool__block *allocator_take(mpool_allocator *a, size_t size) {
    std::lock_guard guard(a->lock);
    return allocator_take_locked(a, size);
}

void allocator_give_locked(mpool_allocator *a, mpool__block *chain) {
    uint64_t now = a->decay_ms && chain ? now_ms(a) : 0;
    while (chain) {
        mpool__block *b = chain;
        chain = b->next;
        if (b->size <= a->max_free - a->idle_bytes) {
            mpool__block **list = free_list_for(a, b->size);
            b->next = *list;
            *list = b;
            a->idle_bytes += b->size;
            if (a->decay_ms) idle_since(b) = now;
        } else {
            source_free(a, b);
        }
    }
    if (a->decay_ms) sweep_old_locked(a, now);
}

void allocator_give(mpool_allocator *a, mpool__block *chain) {
    if (!chain) return;
    std::lock_guard guard(a->lock);
    allocator_give_locked(a, chain);
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

void mpool_allocator_set_decay(mpool_allocator_t *a, uint64_t milliseconds) {
    if (!a) return;
    std::lock_guard guard(a->lock);
    uint64_t now = now_ms(a);
    if (a->decay_ms == 0) { // blocks idle until now carry no time yet
        for (mpool__block *b = a->odd_free; b; b = b->next) idle_since(b) = now;
        for (mpool__block *list : a->class_free)
            for (mpool__block *b = list; b; b = b->next) idle_since(b) = now;
    }
    a->decay_ms = milliseconds;
    a->last_sweep_ms = now;
}

void mpool_allocator_set_clock(mpool_allocator_t *a, mpool_clock_fn clock, void *ctx) {
    if (!a) return;
    std::lock_guard guard(a->lock);
    a->clock = clock;
    a->clock_ctx = ctx;
}

size_t mpool_allocator_trim(mpool_allocator_t *a, size_t keep_bytes) {
    if (!a) return 0;
    std::lock_guard guard(a->lock);
    size_t released = a->decay_ms ? release_old_locked(a, now_ms(a)) : 0;
    return released + trim_locked(a, keep_bytes);
}

size_t mpool_allocator_idle_bytes(const mpool_allocator_t *a) {
    if (!a) return 0;
    std::lock_guard guard(a->lock);
    return a->idle_bytes;
}

} // extern "C"
