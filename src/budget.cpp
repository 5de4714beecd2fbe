// budget.cpp - a pool's blocks against its limits, and how a pool reports
// running out of memory.
//
// A limit covers a pool and its descendants. Each pool points at its nearest
// limited ancestor (itself included), and each limited pool at the next one
// up, so charging a block walks only the pools that have limits. The counters
// are atomic because children of one parent may take blocks in several
// threads at once; a charge that would pass a limit is undone, so two
// threads racing for the last bytes may both fail, never both succeed.
//
// A limit is meant to be usable to the end: when the block a pool wants does
// not fit in what its limits still allow, it takes the largest block that
// does (if that still holds the request), and a reused idle block is never
// larger than what remains.
#include <cerrno>

#include "pool.hpp"

namespace mpool::detail {

namespace {

mpool_t *next_limiter_above(const mpool_t *limiter) { return limiter->parent ? limiter->parent->limiter : nullptr; }

// Decides how big a block to take and charges it: `wanted`, or the room
// left when that is less (rounded down to the alignment) but at least
// `least`. *most is how large a reused block may be. False: nothing charged.
bool charge_block(mpool_t *limiter, size_t own_limit, size_t wanted, size_t least, size_t *size, size_t *most) {
    size_t room = limits_room(limiter);
    if (own_limit != 0 && own_limit < room) room = own_limit;
    *size = wanted <= room ? wanted : room & ~(kAlign - 1);
    *most = room;
    return *size >= least && limits_charge(limiter, *size);
}

// Takes the block charged by charge_block(); a reused block may be larger
// than asked (up to *most): its extra bytes are charged too.
mpool__block *take_charged(mpool_t *limiter, mpool_allocator *allocator, size_t size, size_t most) {
    mpool__block *b = allocator_take(allocator, size, most);
    if (!b) {
        limits_release(limiter, size);
        return nullptr;
    }
    if (b->size > size && !limits_charge(limiter, b->size - size)) { // lost a race for the last bytes
        b->next = nullptr;
        allocator_give(allocator, b);
        limits_release(limiter, size);
        return nullptr;
    }
    return b;
}

} // namespace

size_t limits_room(const mpool_t *limiter) {
    size_t room = SIZE_MAX;
    for (const mpool_t *l = limiter; l; l = next_limiter_above(l)) {
        const mpool__limit *record = limit_of(l);
        size_t held = record->held.load(std::memory_order_relaxed);
        size_t left = held < record->limit ? record->limit - held : 0;
        if (left < room) room = left;
    }
    return room;
}

bool limits_charge(mpool_t *limiter, size_t size) { return limits_charge_below(limiter, nullptr, size); }

void limits_release(mpool_t *limiter, size_t size) { limits_release_below(limiter, nullptr, size); }

bool limits_charge_below(mpool_t *limiter, const mpool_t *stop, size_t size) {
    for (mpool_t *l = limiter; l != stop; l = next_limiter_above(l)) {
        size_t before = limit_of(l)->held.fetch_add(size, std::memory_order_relaxed);
        if (before + size < before || before + size > limit_of(l)->limit) {
            limit_of(l)->held.fetch_sub(size, std::memory_order_relaxed);
            for (mpool_t *undo = limiter; undo != l; undo = next_limiter_above(undo))
                limit_of(undo)->held.fetch_sub(size, std::memory_order_relaxed);
            return false;
        }
    }
    return true;
}

void limits_release_below(mpool_t *limiter, const mpool_t *stop, size_t size) {
    for (mpool_t *l = limiter; l != stop; l = next_limiter_above(l))
        limit_of(l)->held.fetch_sub(size, std::memory_order_relaxed);
}

mpool__block *pool_take_block(mpool_t *pool, size_t wanted, size_t least) {
    size_t size, most;
    if (!charge_block(pool->limiter, 0, wanted, least, &size, &most)) return nullptr;
    return take_charged(pool->limiter, pool->allocator, size, most);
}

mpool__block *take_block_for_child(mpool_t *parent, mpool_allocator *allocator, size_t limit, size_t wanted,
                                   size_t least) {
    mpool_t *limiter = parent ? parent->limiter : nullptr;
    size_t size, most;
    if (!charge_block(limiter, limit, wanted, least, &size, &most)) return nullptr;
    return take_charged(limiter, allocator, size, most);
}

void pool_give_blocks(mpool_t *pool, mpool__block *chain) {
    pool_release_charge(pool, chain);
    allocator_give(pool->allocator, chain);
}

void pool_release_charge(mpool_t *pool, const mpool__block *chain) {
    if (!pool->limiter) return;
    size_t total = 0;
    for (const mpool__block *b = chain; b; b = b->next) total += b->size;
    limits_release(pool->limiter, total);
}

mpool_oom_fn handler_for(const mpool_t *pool) {
    for (const mpool_t *p = pool; p; p = p->parent)
        if (p->flags & kHasHandler) return handler_of(p)->oom;
    return nullptr;
}

void *fail_no_memory(mpool_t *pool, size_t size) {
    if (mpool_oom_fn oom = handler_for(pool)) oom(pool, size);
    errno = ENOMEM;
    return nullptr;
}

void *fail_invalid() {
    errno = EINVAL;
    return nullptr;
}

} // namespace mpool::detail
