// allocator.cpp - idle-block free lists in front of a block source, and the
// block caches that lanes keep in front of the lists.
//
// Ordinary blocks come in a few sizes (2^k - slack), one LIFO list each, so
// taking and giving one is O(1). Blocks of other sizes share one list
// searched first-fit, accepting a block at most 1/8 larger than asked (and
// never larger than the caller can take: a limit may leave no room for
// more); the list stays short because max_free bounds it.
//
// A block is taken from the thread's own cache (lanes), else from the
// lists, else from another thread's cache, and only then from the source:
// so idle memory does not multiply with the threads that serve a pool.
//
// Bounds on idle memory, none of them on a timer:
// - max_free: `reserved` counts what the lists and the caches were
//   granted; a block that would take it past max_free goes back to the
//   source at once. Each asks for grant in steps (kGrantStep) with one
//   atomic add, so recycling a block in a cache writes no shared line, and
//   taking or giving one under the lock needs no atomic; the lists hand
//   back what they hold unused beyond kListSlack, and all of it on a trim.
// - decay: a block idle for longer than decay_ms goes back to the source.
//   Each block in the lists carries the time it went idle in its own
//   (unused) payload, past the bytes a pool's cursor took (idle_since());
//   the slow paths (take, give, trim) look at the clock and, at most every
//   decay/2 ms, drain the caches into the lists and release the old blocks.
//   A cache stamps its blocks as they come in, as the lists do, so a
//   block's idle time runs from when it was last given back, wherever it sits.
// - trim: drains the caches, then gives back the largest blocks first.
#include "allocator.hpp"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <new>

#include "check.hpp"
#include "checks.hpp"

using namespace mpool::detail;

namespace {

void *malloc_source_alloc(void *, size_t size) { return std::malloc(size); }
void malloc_source_free(void *, void *block, size_t) { std::free(block); }

mpool__block **free_list_for(mpool_allocator *a, size_t size) {
    return is_class_size(size) ? &a->class_free[class_index(size)] : &a->odd_free;
}

// Unlinks and returns the first idle block of the odd list whose size is
// within [size, most], or NULL.
mpool__block *take_odd_locked(mpool_allocator *a, size_t size, size_t most) {
    for (mpool__block **link = &a->odd_free; *link; link = &(*link)->next) {
        mpool__block *b = *link;
        if (b->size >= size && b->size <= most) {
            *link = b->next;
            return b;
        }
    }
    return nullptr;
}

// A block goes back to the source whole and accessible (a checked pool
// left parts of it inaccessible to the checkers).
void source_free(mpool_allocator *a, mpool__block *b) {
    size_t size = b->size;
    mem_defined(b, size);
    a->source.free(a->source.ctx, b, size);
}

uint64_t now_ms(const mpool_allocator *a) {
    if (a->clock) return a->clock(a->clock_ctx);
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

// When an idle block went idle: kept in its payload, which nobody uses then
// (and which the checkers are told the allocator may use), past the bytes
// where a pool's header starts with its cursor: the cursor of a debug pool
// destroyed in the block stays filled with kFreedByte and shows no room, so
// that mpool_alloc() on that pool still reaches the slow path and its
// quarantine check (checks.hpp) instead of handing out the time stamp. A
// block too small to have held a pool's header (one cut to a limit for a
// small request) keeps it at the start.
constexpr size_t kStampPastCursor = sizeof(mpool__cursor);
static_assert(kStampPastCursor % alignof(uint64_t) == 0, "the idle time is aligned");

uint64_t &idle_since(mpool__block *b) {
    bool room_past_cursor = b->size >= kBlockHeader + kStampPastCursor + sizeof(uint64_t); // every pool's home block has
    char *stamp = block_payload(b) + (room_past_cursor ? kStampPastCursor : 0);
    mem_defined(stamp, sizeof(uint64_t));
    return *reinterpret_cast<uint64_t *>(stamp);
}

// Makes room for `size` more bytes in the lists' grant: a step more than
// needed when max_free allows (so that the next blocks need no atomic),
// else just what is needed. False when max_free leaves no room.
bool grow_list_grant_locked(mpool_allocator *a, size_t size) {
    size_t room = a->list_grant - a->list_bytes;
    if (size <= room) return true;
    size_t need = size - room;
    size_t step = need > SIZE_MAX - kGrantStep ? need : need + kGrantStep;
    if (!try_reserve(a, step)) {
        if (!try_reserve(a, need)) return false;
        step = need;
    }
    a->list_grant += step;
    return true;
}

// Hands back all of the lists' grant they do not use (after a trim).
void return_all_list_grant_locked(mpool_allocator *a) {
    unreserve(a, a->list_grant - a->list_bytes);
    a->list_grant = a->list_bytes;
}

// Puts one block in its list when the lists' grant can take it (false:
// the caller gives it to the source). Its idle time is the caller's to set.
inline bool keep_one_locked(mpool_allocator *a, mpool__block *b) {
    if (!grow_list_grant_locked(a, b->size)) return false;
    mpool__block **list = free_list_for(a, b->size);
    b->next = *list;
    *list = b;
    a->list_bytes += b->size;
    return true;
}

// What a block's idle time becomes as it enters the lists: `now`, or the
// time it already carries (it went idle in a cache that was ageing).
enum class idle_time { now, carried };

// Puts a chain of blocks in the lists while max_free allows; gives the rest
// to the source. No sweep.
inline void keep_locked(mpool_allocator *a, mpool__block *chain, uint64_t now, idle_time time = idle_time::now) {
    while (chain) {
        mpool__block *b = chain;
        chain = b->next;
        if (!keep_one_locked(a, b))
            source_free(a, b);
        else if (a->decay_ms && time == idle_time::now)
            idle_since(b) = now;
    }
}

// Unlinks b from a list, updating the counts, and gives it to the source.
void release_block_locked(mpool_allocator *a, mpool__block **link) {
    mpool__block *b = *link;
    *link = b->next;
    a->list_bytes -= b->size;
    if (a->list_grant - a->list_bytes > kListSlack) allocator_return_grant_locked(a);
    source_free(a, b);
}

// Moves one cache's blocks into the lists and returns its grant. Allocator
// lock held; takes the cache's lock. Blocks keep the time they went idle in
// the cache (when it was ageing: decay was on as they came in); the cache
// ages from now on exactly when decay is on.
void drain_cache_locked(mpool_allocator *a, mpool__block_cache *cache) {
    mpool__block *chain = nullptr;
    size_t grant;
    bool aged;
    {
        std::lock_guard guard(cache->lock);
        for (mpool__block *&list : cache->lists) {
            move_blocks(&chain, list);
            list = nullptr;
        }
        grant = cache->grant;
        cache->bytes = cache->grant = 0;
        aged = cache->ageing;
        cache->ageing = a->decay_ms != 0;
    }
    unreserve(a, grant);
    keep_locked(a, chain, a->decay_ms && chain && !aged ? now_ms(a) : 0, aged ? idle_time::carried : idle_time::now);
}

void drain_caches_locked(mpool_allocator *a) {
    for (mpool__block_cache *c = a->caches; c; c = c->next_attached) drain_cache_locked(a, c);
}

// Gives back the blocks idle for decay_ms or longer. Returns the bytes.
size_t release_old_locked(mpool_allocator *a, uint64_t now) {
    a->last_sweep_ms = now;
    drain_caches_locked(a); // their blocks keep the time they went idle
    size_t released = 0;
    auto sweep = [&](mpool__block **list) {
        for (mpool__block **link = list; *link;) {
            if (now - idle_since(*link) >= a->decay_ms) {
                released += (*link)->size;
                release_block_locked(a, link);
            } else {
                link = &(*link)->next;
            }
        }
    };
    sweep(&a->odd_free);
    for (mpool__block *&list : a->class_free) sweep(&list);
    return_all_list_grant_locked(a);
    return released;
}

// release_old_locked(), at most every decay/2 ms, so that slow paths stay cheap.
void sweep_old_locked(mpool_allocator *a, uint64_t now) {
    if (a->decay_ms != 0 && now - a->last_sweep_ms >= a->decay_ms / 2) release_old_locked(a, now);
}

// An idle ordinary block of exactly `size` from any thread's cache, or
// NULL: the lists had none, and a block idle in the cache of a thread that
// is not asking is taken before a new one is (a pool served by many threads
// in turn, as a connection's pool in a server, would otherwise hold one
// cache's worth per thread). The cache keeps its grant. Allocator lock held;
// takes each cache's lock in turn, as the lock order allows.
mpool__block *take_from_caches_locked(mpool_allocator *a, size_t size) {
    if (!is_class_size(size)) return nullptr;
    for (mpool__block_cache *c = a->caches; c; c = c->next_attached) {
        std::lock_guard guard(c->lock);
        if (mpool__block *b = cache_take_locked(c, size)) return b;
    }
    return nullptr;
}

// The link to the largest idle block in the lists, or NULL when they are empty.
mpool__block **largest_idle_locked(mpool_allocator *a) {
    mpool__block **best = nullptr;
    for (mpool__block **link = &a->odd_free; *link; link = &(*link)->next)
        if (!best || (*link)->size > (*best)->size) best = link;
    for (unsigned i = kClassCount; i-- > 0;)
        if (a->class_free[i]) {
            if (!best || a->class_free[i]->size > (*best)->size) best = &a->class_free[i];
            break; // the largest non-empty class list has the largest ordinary blocks
        }
    return best;
}

// Gives idle blocks back to the source, largest first, until at most `keep`
// idle bytes remain. Returns the bytes given back.
size_t trim_locked(mpool_allocator *a, size_t keep) {
    drain_caches_locked(a);
    size_t released = 0;
    while (a->list_bytes > keep) {
        mpool__block **link = largest_idle_locked(a);
        released += (*link)->size;
        release_block_locked(a, link);
    }
    return_all_list_grant_locked(a);
    return released;
}

} // namespace

namespace mpool::detail {

mpool_block_source_t default_block_source() { return {malloc_source_alloc, malloc_source_free, nullptr}; }

mpool_allocator *allocator_make_held() {
    mpool_allocator *a = mpool_allocator_create(nullptr);
    if (a) a->holders.store(1, std::memory_order_relaxed);
    return a;
}

void allocator_release(mpool_allocator *a) {
    // acq_rel: the thread that destroys it sees what every other holder's
    // thread did with it (as a shared_ptr's count does).
    if (a->holders.fetch_sub(1, std::memory_order_acq_rel) == 1) mpool_allocator_destroy(a);
}

void allocator_return_grant_locked(mpool_allocator *a) {
    size_t excess = a->list_grant - a->list_bytes - kGrantStep;
    unreserve(a, excess);
    a->list_grant -= excess;
}

mpool__block *allocator_take_locked(mpool_allocator *a, size_t size, size_t most) {
    MPOOL_ASSERT(most >= size, "a caller can always take the size it asks for");
    if (a->decay_ms) sweep_old_locked(a, now_ms(a));
    mpool__block *b = nullptr;
    if (is_class_size(size)) {
        mpool__block **list = &a->class_free[class_index(size)];
        if ((b = *list)) *list = b->next;
    } else {
        size_t tolerated = size + size / 8 < size ? SIZE_MAX : size + size / 8;
        b = take_odd_locked(a, size, tolerated < most ? tolerated : most);
    }
    if (b) {
        a->list_bytes -= b->size;
        if (a->list_grant - a->list_bytes > kListSlack) allocator_return_grant_locked(a);
        return b;
    }
    if ((b = take_from_caches_locked(a, size))) return b;
    b = static_cast<mpool__block *>(a->source.alloc(a->source.ctx, size));
    if (b) b->size = size;
    return b;
}

mpool__block *allocator_take(mpool_allocator *a, size_t size, size_t most) {
    std::lock_guard guard(a->lock);
    return allocator_take_locked(a, size, most);
}

void allocator_give_locked(mpool_allocator *a, mpool__block *chain) {
    if (!chain) return;
    uint64_t now = a->decay_ms ? now_ms(a) : 0;
    keep_locked(a, chain, now);
    if (a->decay_ms) sweep_old_locked(a, now);
}

void allocator_give(mpool_allocator *a, mpool__block *chain) {
    if (!chain) return;
    std::lock_guard guard(a->lock);
    allocator_give_locked(a, chain);
}

void allocator_attach_cache(mpool_allocator *a, mpool__block_cache *cache) {
    std::lock_guard guard(a->lock);
    cache->ageing = a->decay_ms != 0;
    cache->next_attached = a->caches;
    a->caches = cache;
}

void allocator_detach_cache(mpool_allocator *a, mpool__block_cache *cache) {
    std::lock_guard guard(a->lock);
    for (mpool__block_cache **link = &a->caches; *link; link = &(*link)->next_attached)
        if (*link == cache) {
            *link = cache->next_attached;
            break;
        }
    drain_cache_locked(a, cache);
}

void allocator_drain_cache(mpool_allocator *a, mpool__block_cache *cache) {
    std::lock_guard guard(a->lock);
    drain_cache_locked(a, cache);
}

mpool__block *cache_take_locked(mpool__block_cache *cache, size_t size) {
    if (!is_class_size(size)) return nullptr;
    mpool__block *&list = cache->lists[class_index(size)];
    mpool__block *b = list;
    if (b) {
        list = b->next;
        cache->bytes -= b->size;
    }
    return b;
}

mpool__block *cache_keep_locked(mpool_allocator *a, mpool__block_cache *cache, mpool__block *chain) {
    mpool__block *rest = nullptr;
    uint64_t now = 0; // read once, at the first block kept, when the cache is ageing
    while (mpool__block *b = chain) {
        chain = b->next;
        bool keep = is_class_size(b->size) && cache->bytes + b->size <= kCacheBytes;
        if (keep) {
            unsigned count = 0;
            for (mpool__block *c = cache->lists[class_index(b->size)]; c && count < kCachePerSize; c = c->next) ++count;
            keep = count < kCachePerSize;
        }
        if (keep && cache->bytes + b->size > cache->grant) { // ask the allocator for more room
            // A step when max_free has room for it, else just what the block
            // needs (the lists may hold up to kListSlack of grant unused).
            size_t need = cache->bytes + b->size - cache->grant;
            size_t want = need < kGrantStep ? kGrantStep : need;
            if (cache->grant + want > kCacheBytes) want = kCacheBytes - cache->grant;
            if (try_reserve(a, want))
                cache->grant += want;
            else if (want > need && try_reserve(a, need))
                cache->grant += need;
            else
                keep = false;
        }
        if (keep) {
            push_block(&cache->lists[class_index(b->size)], b);
            cache->bytes += b->size;
            if (cache->ageing) {
                if (!now) now = now_ms(a);
                idle_since(b) = now;
            }
        } else {
            push_block(&rest, b);
        }
    }
    MPOOL_ASSERT(cache->bytes <= cache->grant, "a cache holds no more than it was granted");
    return rest;
}

void allocator_validate_locked(const mpool_allocator *a) {
#ifndef NDEBUG
    size_t total = 0;
    for (const mpool__block *b = a->odd_free; b; b = b->next) total += b->size;
    for (unsigned i = 0; i < kClassCount; ++i)
        for (const mpool__block *b = a->class_free[i]; b; b = b->next) {
            MPOOL_ASSERT(class_index(b->size) == i && is_class_size(b->size), "a class list holds blocks of its size");
            total += b->size;
        }
    MPOOL_ASSERT(total == a->list_bytes, "list_bytes is the lists' sum");
    MPOOL_ASSERT(a->list_bytes <= a->list_grant && a->list_grant <= a->reserved.load(std::memory_order_relaxed),
                 "the lists' bytes are within their grant, and the grant is reserved");
#else
    (void)a;
#endif
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
        MPOOL_ASSERT(a->caches == nullptr, "every pool using the allocator is destroyed, so no lane caches its blocks");
        trim_locked(a, 0);
    }
    mpool_block_source_t source = a->source;
    a->~mpool_allocator();
    source.free(source.ctx, a, sizeof(mpool_allocator));
}

void mpool_allocator_set_max_free(mpool_allocator_t *a, size_t bytes) {
    if (!a) return;
    std::lock_guard guard(a->lock);
    a->max_free.store(bytes, std::memory_order_relaxed);
    trim_locked(a, bytes);
}

size_t mpool_allocator_max_free(const mpool_allocator_t *a) {
    return a ? a->max_free.load(std::memory_order_relaxed) : 0;
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
    drain_caches_locked(a); // the caches' blocks enter the lists idle since now, and the caches age as decay says
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
    released += trim_locked(a, keep_bytes);
    allocator_validate_locked(a);
    return released;
}

size_t mpool_allocator_idle_bytes(const mpool_allocator_t *a) {
    if (!a) return 0;
    std::lock_guard guard(a->lock);
    size_t idle = a->list_bytes;
    for (mpool__block_cache *c = a->caches; c; c = c->next_attached) {
        std::lock_guard cache_guard(c->lock);
        idle += c->bytes;
    }
    return idle;
}

} // extern "C"
