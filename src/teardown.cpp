// teardown.cpp - clear and destroy: the order of what runs, without
// recursion.
//
// mpool_clear() and mpool_destroy() run, until a round finds nothing left:
// pre-cleanups (newest first), children (newest first, each torn down the
// same way), cleanups (newest first), userdata cleanups (newest first). Each
// record is unlinked before it is called, so one registered during the run
// also runs and one may kill another; repeating the round means a cleanup
// that creates a child or registers a cleanup cannot leak.
//
// The walk keeps no stack: a pool being torn down records which step it is
// in (pool->step), the walk goes down to a child and comes back up through
// the parent link once the child is freed, so a tree a million levels deep
// needs no more stack than a flat one.
//
// Re-entry: a cleanup may clear or destroy any live pool, siblings of the
// pools being torn down included; a pool destroyed that way unlinks itself,
// and the walk, which always looks afresh for the newest child, never sees
// it again. A pool whose teardown is already running further up the stack
// (its state is not live) is left alone by a nested clear or destroy.
#include "tree.hpp"

using namespace mpool::detail;

namespace mpool::detail {

mpool_t *newest_child(const mpool_t *pool) {
    if (mpool_t *child = lanes_newest_child(pool)) return child; // children on lanes are newer than the own list's
    return pool->first_child;
}

void run_one_cleanup(mpool__cleanup **list) {
    mpool__cleanup *c = *list;
    *list = c->next;
    c->fn(c->data);
}

void drop_one_userdata(mpool__annex *annex) {
    mpool__userdata *u = annex->userdata;
    annex->userdata = u->next;
    if (u->cleanup) u->cleanup(u->data);
}

} // namespace mpool::detail

namespace {

bool has_records(const mpool__annex *annex) {
    return annex && (annex->pre_cleanups || annex->cleanups || annex->userdata);
}

bool has_work(const mpool_t *pool) { return has_records(pool->annex) || newest_child(pool); }

// Does one thing of the pool's teardown. Returns the pool to go on with: a
// child (to be torn down first), the same pool (more to do), or NULL (done).
mpool_t *step(mpool_t *pool) {
    mpool__annex *annex = pool->annex; // a cleanup may make it: read afresh each step
    switch (pool->step) {
    case teardown_step::pre_cleanups:
        if (annex && annex->pre_cleanups)
            run_one_cleanup(&annex->pre_cleanups);
        else
            pool->step = teardown_step::children;
        return pool;
    case teardown_step::children:
        if (mpool_t *child = newest_child(pool)) return child;
        pool->step = teardown_step::cleanups;
        return pool;
    case teardown_step::cleanups:
        if (annex && annex->cleanups)
            run_one_cleanup(&annex->cleanups);
        else
            pool->step = teardown_step::userdata;
        return pool;
    case teardown_step::userdata:
        if (annex && annex->userdata) {
            drop_one_userdata(annex);
            return pool;
        }
        if (!has_work(pool)) return nullptr;
        pool->step = teardown_step::pre_cleanups; // a cleanup left more work: another round
        return pool;
    }
    return nullptr;
}

// Waits for the walks inside the pool to leave it (walk_entry.cpp): from
// its new state on, no walk enters it.
void begin(mpool_t *pool, pool_state state) {
    pool_validate(pool);
    if (is_concurrent(pool)) lanes_check_idle(pool);
    enter_teardown(pool, state);
    pool->step = teardown_step::pre_cleanups;
}

// The teardown of `top`'s cleanups and descendants, down and back up.
void walk(mpool_t *top) {
    mpool_t *pool = top;
    for (;;) {
        mpool_t *next = step(pool);
        if (next == pool) continue;
        if (next) { // a child: torn down before its parent goes on
            if (next->state != pool_state::live)
                fatal("a pool was cleared or destroyed by a cleanup while one of its descendants was being torn down");
            begin(next, pool_state::destroying);
            pool = next;
            continue;
        }
        if (pool == top) return;
        mpool_t *parent = pool->parent;
        free_pool(pool);
        pool = parent;
    }
}

} // namespace

namespace mpool::detail {

void teardown(mpool_t *top, teardown_end end) {
    check_not_destroyed(top, end == teardown_end::clear ? "mpool_clear" : "mpool_destroy");
    if (top->state != pool_state::live) return; // its teardown is running further up the stack
    bool entered = is_debug(top) && check_enter(top);
    begin(top, end == teardown_end::clear ? pool_state::clearing : pool_state::destroying);
    if (has_work(top)) walk(top); // a pool with nothing to run (a typical request) goes straight on
    if (end == teardown_end::clear) {
        reset_pool(top);
        leave_teardown(top);
        check_leave(top, entered);
    } else {
        free_pool(top);
    }
}

} // namespace mpool::detail
