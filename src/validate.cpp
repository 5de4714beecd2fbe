// validate.cpp - the library's own checks: whole-structure validators run on
// slow paths in debug builds, and fatal(), the one way it stops a program.
#include <cstdio>
#include <cstdlib>

#include "lanes.hpp"

namespace mpool::detail {

void fatal(const char *message) {
    std::fprintf(stderr, "mpool: %s\n", message);
    std::abort();
}

#ifndef NDEBUG
void pool_validate(const mpool_t *pool) {
    MPOOL_ASSERT(pool->state == pool_state::live || pool->state == pool_state::clearing ||
                     pool->state == pool_state::destroying,
                 "a pool in use is not destroyed");
    region_validate(&pool->region, home_block(pool));
    if (is_concurrent(pool))
        MPOOL_ASSERT(pool->region.cursor.ptr == pool->region.cursor.end, "a concurrent pool's own cursor has no room");
    if (pool->flags & kHasLimit)
        MPOOL_ASSERT(limit_of(pool)->held.load(std::memory_order_relaxed) <= limit_of(pool)->limit,
                     "a subtree holds no more than its limit");
    MPOOL_ASSERT(!pool->parent || pool->limiter == ((pool->flags & kHasLimit) ? pool : pool->parent->limiter),
                 "limiter is the nearest limited pool");
    for (const mpool_t *child = pool->first_child; child; child = child->next_sibling) {
        MPOOL_ASSERT(child->parent == pool && lane_of(child) == nullptr, "the own list holds this pool's children");
        MPOOL_ASSERT(!child->next_sibling || child->next_sibling->prev_sibling == child, "sibling links agree");
    }
}
#endif

} // namespace mpool::detail
