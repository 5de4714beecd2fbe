// walk_entry.cpp - walks inside pools, and the clears, rewinds, destroys
// and reparents that wait for them to leave (see tree.hpp).
//
// Why a count and not the list lock alone: a destroy runs the pool's whole
// teardown (cleanups, children, blocks) before it takes the list's lock to
// unlink it, so a walk holding that lock could still read a pool in
// mid-teardown; and a walk cannot hold a lock while the visitor runs (it may
// allocate, which takes the allocator lock). So the walk marks the pools it
// is inside, and a teardown begins only where no walk is, under the same
// lock: a pool is either live with its walks counted, or has its teardown
// begun and is entered by no walk.
#include <thread>

#include "tree.hpp"

using namespace mpool::detail;

namespace {

std::atomic<unsigned> g_walks{0}; // walks running, nested ones included: at most kMostWalks

} // namespace

namespace mpool::detail {

bool walk_begin() {
    if (g_walks.fetch_add(1, std::memory_order_relaxed) < kMostWalks) return true;
    g_walks.fetch_sub(1, std::memory_order_relaxed);
    return false;
}

void walk_end() { g_walks.fetch_sub(1, std::memory_order_relaxed); }

// The count is the one thing a walk writes in a pool it reads, hence the
// casts: the walk takes its pools as const, as mpool_walk() does.
bool walk_enter_locked(const mpool_t *child) {
    if (load_state(child) != pool_state::live) return false;
    auto *pool = const_cast<mpool_t *>(child);
    set_walks_inside(pool, walks_inside(pool) + 1); // at most kMostWalks: walk_begin() keeps the walks to that
    return true;
}

void walk_leave_locked(const mpool_t *pool) {
    auto *entered = const_cast<mpool_t *>(pool);
    MPOOL_ASSERT(walks_inside(entered) > 0, "a walk leaves a pool it entered");
    set_walks_inside(entered, walks_inside(entered) - 1);
}

void walk_leave(const mpool_t *pool) {
    child_list_lock guard(pool);
    walk_leave_locked(pool);
}

void enter_teardown(mpool_t *pool, pool_state state) {
    if (!pool->parent) {
        store_state(pool, state);
        return;
    }
    for (;;) {
        {
            child_list_lock guard(pool);
            if (walks_inside(pool) == 0) {
                store_state(pool, state);
                return;
            }
        }
        std::this_thread::yield(); // a walk is visiting the pool or its subtree: it leaves once it has
    }
}

void leave_teardown(mpool_t *pool) {
    pool->step = teardown_step::pre_cleanups; // no walk inside: the count starts again from 0
    store_state(pool, pool_state::live);      // after the count: see load_state()
}

} // namespace mpool::detail
