// scopes.cpp - marks and rewinding: a scratch scope inside one pool.
//
// A mark is a copy of what grows in a pool between clears, each thing
// numbered or stacked so that "since the mark" can be told apart:
// registrations carry the annex's tick, children their birth number (the
// own list's counter, or the lanes'), and the region's lists grow at the
// front (region_position). A rewind undoes those newer than the mark in the
// order of a clear, then takes the region back. The pool is `clearing`
// meanwhile, so a callback's clear or destroy of it does nothing (as in a
// teardown), and a clear invalidates every mark (pool->clears).
#include <cerrno>
#include <cstring>
#include <type_traits>

#include "tree.hpp"

using namespace mpool::detail;

namespace {

struct mark_record {
    const mpool_t *pool;
    uint32_t clears;      // pool->clears then
    uint32_t ticks;       // the annex's ticks then (0 when it had none)
    uint32_t own_births;  // the own list's next birth number then
    uint32_t lane_births; // the lanes' next birth number then, when had_lanes
    bool had_annex;
    bool had_lanes;
    const char *tag;
    region_position region;
    check_position table;
};
static_assert(sizeof(mark_record) <= sizeof(mpool_mark_t), "a mark fits in the public struct");
static_assert(alignof(mark_record) <= alignof(mpool_mark_t), "a mark is aligned like the public struct");

bool newer(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; } // numbers wrap around

bool born_since(const mpool_t *child, const mark_record &m) {
    if (lane_of(child)) return !m.had_lanes || newer(child->birth, m.lane_births);
    return newer(child->birth, m.own_births);
}

mpool__cleanup **newer_cleanup(mpool__cleanup **list, const mark_record &m) {
    return *list && newer((*list)->tick, m.ticks + 1) ? list : nullptr;
}

// What is newer than the mark, newest first: the head of a list of
// cleanups, when registered since (an annex made since holds only newer
// records); the newest child, when born since; NULL otherwise.
mpool__cleanup **cleanup_since(mpool_t *pool, mpool__cleanup *mpool__annex::*list, const mark_record &m) {
    mpool__annex *annex = pool->annex; // a callback may have made it
    if (!annex || !(annex->*list)) return nullptr;
    return !m.had_annex ? &(annex->*list) : newer_cleanup(&(annex->*list), m);
}

mpool_t *child_since(const mpool_t *pool, const mark_record &m) {
    mpool_t *child = newest_child(pool);
    return child && born_since(child, m) ? child : nullptr;
}

bool userdata_since(const mpool_t *pool, const mark_record &m) {
    const mpool__annex *annex = pool->annex;
    return annex && annex->userdata && (!m.had_annex || newer(annex->userdata->tick, m.ticks + 1));
}

// Does one thing the rewind has to undo, in the order of a clear (the steps
// of teardown.cpp, in pool->step): the pre-cleanups registered since, the
// children born since, the cleanups registered since, the userdata added
// since, and another round when a callback left more of these. False when a
// round found nothing left.
bool undo_one(mpool_t *pool, const mark_record &m) {
    switch (pool->step) {
    case teardown_step::pre_cleanups:
        if (mpool__cleanup **list = cleanup_since(pool, &mpool__annex::pre_cleanups, m))
            run_one_cleanup(list);
        else
            pool->step = teardown_step::children;
        return true;
    case teardown_step::children:
        if (mpool_t *child = child_since(pool, m)) {
            if (child->state != pool_state::live)
                fatal("a pool was rewound by a cleanup while one of its descendants was being torn down");
            teardown(child, teardown_end::destroy);
        } else {
            pool->step = teardown_step::cleanups;
        }
        return true;
    case teardown_step::cleanups:
        if (mpool__cleanup **list = cleanup_since(pool, &mpool__annex::cleanups, m))
            run_one_cleanup(list);
        else
            pool->step = teardown_step::userdata;
        return true;
    case teardown_step::userdata:
        if (userdata_since(pool, m)) {
            drop_one_userdata(pool->annex);
            return true;
        }
        if (!cleanup_since(pool, &mpool__annex::pre_cleanups, m) && !child_since(pool, m) &&
            !cleanup_since(pool, &mpool__annex::cleanups, m))
            return false;
        pool->step = teardown_step::pre_cleanups; // a callback left more: another round
        return true;
    }
    return false;
}

bool mark_is_usable(const mpool_t *pool, const mark_record &m) {
    if (m.pool != pool || m.clears != pool->clears) return false;
    if (m.had_annex && (!pool->annex || !newer(pool->annex->ticks, m.ticks))) return false;
    const mpool__lane *lanes = first_lane(pool);
    if (m.had_lanes && (!lanes || !newer(lanes->births->load(std::memory_order_relaxed), m.lane_births))) return false;
    if (!newer(std::atomic_ref<uint32_t>(const_cast<mpool_t *>(pool)->own_births).load(std::memory_order_relaxed),
               m.own_births))
        return false;
    return region_can_rewind(&pool->region, home_block(pool), m.region);
}

} // namespace

extern "C" {

void mpool_mark(mpool_t *pool, mpool_mark_t *mark) {
    if (!pool || !mark) return;
    check_not_destroyed(pool, "mpool_mark");
    mark_record m{};
    m.pool = pool;
    m.clears = pool->clears;
    if (mpool__annex *annex = annex_of(pool)) {
        m.had_annex = true;
        m.ticks = annex->ticks;
    }
    m.own_births = std::atomic_ref<uint32_t>(pool->own_births).load(std::memory_order_relaxed);
    if (mpool__lane *lane = first_lane(pool)) {
        m.had_lanes = true;
        m.lane_births = lane->births->load(std::memory_order_relaxed);
    }
    m.tag = pool->tag;
    m.region = region_mark(&pool->region);
    pool->marked = true; // from now, large blocks from before this mark stay when realloc moves their allocation
    pool->large_since_mark = 0;
    m.table = check_mark(pool);
    static_assert(std::is_trivially_copyable_v<mark_record>);
    *mark = mpool_mark_t{};
    std::memcpy(mark, &m, sizeof m);
}

int mpool_rewind(mpool_t *pool, const mpool_mark_t *mark) {
    if (!pool || !mark) return EINVAL;
    check_not_destroyed(pool, "mpool_rewind");
    mark_record m;
    std::memcpy(&m, mark, sizeof m);
    if (is_concurrent(pool)) return ENOTSUP;
    if (pool->state != pool_state::live) return EBUSY;
    if (!mark_is_usable(pool, m)) return EINVAL;
    bool entered = is_debug(pool) && check_enter(pool);
    pool_validate(pool);
    enter_teardown(pool, pool_state::clearing); // once no walk is inside it
    pool->step = teardown_step::pre_cleanups;
    while (undo_one(pool, m)) {
    }
    // The records are gone; their memory goes with the region's below.
    if (!m.had_annex)
        pool->annex = nullptr;
    else
        pool->annex->free_cleanups = nullptr; // some may lie in memory freed now
    pool->tag = m.tag;
    check_rewind(pool, m.table);
    region_rewind(&pool->region, pool, m.region);
    pool->large_since_mark = 0; // the large blocks taken since went back: this mark is the newest again
    leave_teardown(pool);
    pool_validate(pool);
    check_leave(pool, entered);
    return 0;
}

} // extern "C"
