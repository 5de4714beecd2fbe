// budget.cpp - a pool's blocks against its limits, and how a pool reports
// running out of memory.
//
// A limit covers a pool and its descendants. Each pool points at its nearest
// limited ancestor (itself included), and each limited pool at the next one
// up, so charging a block walks only the pools that have limits. The counters
// are atomic because children of one parent may take blocks in several
// threads at once; a charge that would pass a limit is undone, so two
// threads racing for the last bytes may both fail, never both succeed.
#include <cerrno>

#include "pool.hpp"

namespace mpool::detail {

namespace {

mpool_t *next_limiter_above(mpool_t *limiter) { return limiter->parent ? limiter->parent->limiter : nullptr; }

} // namespace

bool limits_charge(mpool_t *limiter, size_t size) {
    for (mpool_t *l = limiter; l; l = next_limiter_above(l)) {
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

void limits_release(mpool_t *limiter, size_t size) {
    for (mpool_t *l = limiter; l; l = next_limiter_above(l)) limit_of(l)->held.fetch_sub(size, std::memory_order_relaxed);
}

mpool__block *pool_take_block(mpool_t *pool, size_t size) {
    if (!limits_charge(pool->limiter, size)) return nullptr;
    mpool__block *b = allocator_take(pool->allocator, size);
    if (!b) {
        limits_release(pool->limiter, size);
        return nullptr;
    }
    // A reused large block may be a little larger than asked: charge the rest.
    if (b->size > size && !limits_charge(pool->limiter, b->size - size)) {
        b->next = nullptr;
        allocator_give(pool->allocator, b);
        limits_release(pool->limiter, size);
        return nullptr;
    }
    return b;
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

void *fail_no_memory(mpool_t *pool, size_t size) {
    if (pool && pool->oom) pool->oom(pool, size);
    errno = ENOMEM;
    return nullptr;
}

void *fail_invalid() {
    errno = EINVAL;
    return nullptr;
}

} // namespace mpool::detail
