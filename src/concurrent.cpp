// concurrent.cpp - allocation in a pool that many threads allocate from at
// once (MPOOL_CONCURRENT).
//
// Each thread allocates in its own lane of the pool (lanes.hpp): a bump
// region of its own (region.hpp), so an allocation takes no lock and
// touches no cache line that another thread writes. The pool's own cursor
// is kept empty, so the inline fast path always misses and comes here; the
// thread finds its lane through a one-entry thread-local cache keyed by the
// pool's serial number, which is never reused (a pool address can be).
#include <atomic>

#include "lanes.hpp"

using namespace mpool::detail;

namespace {

struct LaneCache {
    uint64_t serial = 0;         // the pool's; 0: none
    mpool__lane *lane = nullptr; // the calling thread's lane on it
};
thread_local LaneCache t_lane_cache;

mpool__lane *my_lane(mpool_t *pool) {
    uint64_t serial = concurrent_of(pool)->serial;
    if (t_lane_cache.serial == serial) return t_lane_cache.lane;
    mpool__lane *lane = lane_for_thread(pool);
    if (lane) t_lane_cache = {serial, lane};
    return lane;
}

#ifndef NDEBUG
constexpr bool kDebugBuild = true;
#else
constexpr bool kDebugBuild = false;
#endif

// The allocation itself, in the lane's region.
char *alloc_in_lane(mpool_t *pool, mpool__lane *lane, size_t size, size_t alignment) {
    mpool__region *r = &lane->region;
    if (alignment == kAlign)
        if (char *result = region_bump(r, size)) return result;
    return static_cast<char *>(region_alloc(r, pool, nullptr, size, alignment));
}

} // namespace

namespace mpool::detail {

void *lane_alloc(mpool_t *pool, size_t size, size_t alignment) {
    if (size > kMaxRequest) return fail_no_memory(pool, size); // before a lane is made: such sizes never reach the source
    mpool__lane *lane = my_lane(pool);
    if (!lane) return fail_no_memory(pool, size);
    // The lane is busy for the length of the allocation (debug builds, and
    // pools in debug mode), so that a clear or destroy that overlaps one is
    // caught; not while the handler runs, which may longjmp.
    bool mark = kDebugBuild || is_debug(pool);
    if (mark) lane->busy.store(true, std::memory_order_relaxed);
    char *result = alloc_in_lane(pool, lane, size, alignment);
    if (mark) lane->busy.store(false, std::memory_order_relaxed);
    return result ? result : fail_no_memory(pool, size);
}

void *lane_alloc_default(mpool_t *pool, size_t size) {
    if (!kDebugBuild && size - 1 < kWindow) { // debug builds mark the lane busy: lane_alloc
        if (mpool__lane *lane = my_lane(pool)) {
            if (char *result = region_bump(&lane->region, size)) return result;
            if (char *result = region_bump_past_window(&lane->region, size)) return result;
        }
    }
    return lane_alloc(pool, size, kAlign);
}

mpool__region *lane_region(mpool_t *pool) {
    mpool__lane *lane = my_lane(pool);
    return lane ? &lane->region : nullptr;
}

void lanes_reset(mpool_t *pool) {
    for (mpool__lane *lane = first_lane(pool); lane; lane = lane->next)
        region_reset(&lane->region, pool, nullptr, nullptr, true);
}

void lanes_add_stats(const mpool_t *pool, mpool_stats_t *out) {
    for (const mpool__lane *lane = first_lane(pool); lane; lane = lane->next) {
        out->bytes_allocated += lane->region.cursor.requested;
        region_add_stats(&lane->region, nullptr, out);
    }
}

void lanes_check_idle(const mpool_t *pool) {
    if (!kDebugBuild && !is_debug(pool)) return;
    for (const mpool__lane *lane = first_lane(pool); lane; lane = lane->next)
        if (lane->busy.load(std::memory_order_relaxed))
            fatal("a concurrent pool was cleared or destroyed while a thread allocated from it");
}

uint64_t next_pool_serial() {
    static std::atomic<uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

} // namespace mpool::detail
