// concurrent.cpp - allocation in a pool that many threads allocate from at
// once (MPOOL_CONCURRENT).
//
// Each thread allocates in its own lane of the pool (lanes.hpp): a cursor
// and blocks of its own, so an allocation takes no lock and touches no
// cache line that another thread writes. The pool's own cursor is kept
// empty, so the inline fast path always misses and comes here; the thread
// finds its lane through a one-entry thread-local cache keyed by the pool's
// serial number, which is never reused (a pool address can be).
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "lanes.hpp"

using namespace mpool::detail;

namespace {

struct LaneCache {
    uint64_t serial = 0;          // the pool's; 0: none
    mpool__lane *lane = nullptr;  // the calling thread's lane on it
};
thread_local LaneCache t_lane_cache;

mpool__lane *my_lane(mpool_t *pool) {
    uint64_t serial = concurrent_of(pool)->serial;
    if (t_lane_cache.serial == serial) return t_lane_cache.lane;
    mpool__lane *lane = lane_for_thread(pool);
    if (lane) t_lane_cache = {serial, lane};
    return lane;
}

// A block for the lane: cached, else from the allocator; charged to the
// pool's limits either way.
mpool__block *take_block(mpool_t *pool, mpool__lane *lane, size_t size) {
    if (mpool__block *b = lane_take_block(lane, size)) {
        if (limits_charge(pool->limiter, b->size)) return b;
        b->next = nullptr;
        lane_give_blocks(lane, b);
        return nullptr;
    }
    return pool_take_block(pool, size);
}

// The allocation when the lane's block is full, or the request large.
void *refill(mpool_t *pool, mpool__lane *lane, size_t rounded, size_t alignment) {
    size_t need = kBlockHeader + (alignment - kAlign) + rounded;
    if (rounded > MPOOL_LARGE_THRESHOLD) {
        mpool__block *b = pool_take_block(pool, need);
        if (!b) return nullptr;
        push_block(&lane->used, b);
        return align_ptr(block_payload(b), alignment);
    }
    mpool__block *b = take_first_fitting(&lane->spare, need);
    if (!b) {
        size_t block_size = lane->next_block_size < need ? class_size_for(need) : lane->next_block_size;
        b = take_block(pool, lane, block_size);
        if (!b) return nullptr;
        lane->next_block_size = static_cast<uint32_t>(next_class_size(lane->next_block_size));
    }
    if (lane->current) push_block(&lane->used, lane->current);
    lane->current = b;
    lane->cursor.ptr = block_payload(b);
    lane->cursor.end = block_end(b);
    return carve(&lane->cursor.ptr, lane->cursor.end, rounded, alignment);
}

} // namespace

namespace mpool::detail {

void *lane_alloc(mpool_t *pool, size_t size, size_t alignment) {
    size_t rounded;
    if (size > kMaxRequest || !align_up(size ? size : 1, kAlign, &rounded)) return fail_no_memory(pool, size);
    mpool__lane *lane = my_lane(pool);
    if (!lane) return fail_no_memory(pool, size);
#ifndef NDEBUG
    lane->busy.store(true, std::memory_order_relaxed);
#endif
    char *result = carve(&lane->cursor.ptr, lane->cursor.end, rounded, alignment);
    if (!result) result = static_cast<char *>(refill(pool, lane, rounded, alignment));
    if (result) lane->cursor.requested += size;
#ifndef NDEBUG
    lane->busy.store(false, std::memory_order_relaxed);
#endif
    return result ? result : fail_no_memory(pool, size);
}

void *lane_alloc_default(mpool_t *pool, size_t size) {
    mpool__lane *lane = my_lane(pool);
    if (lane) {
        char *result = lane->cursor.ptr;
        size_t size_less_one = size - 1;
        // As the inline fast path: sizes 1 to the room fit once rounded.
        if (size_less_one < static_cast<size_t>(lane->cursor.end - result)) {
            lane->cursor.ptr = result + (size_less_one | (kAlign - 1)) + 1;
            lane->cursor.requested += size;
            return result;
        }
    }
    return lane_alloc(pool, size, kAlign);
}

void lanes_reset(mpool_t *pool, bool keep) {
    for (mpool__lane *lane = first_lane(pool); lane; lane = lane->next) {
        mpool__block *used = lane->used;
        if (lane->current) push_block(&used, lane->current);
        mpool__block *give = lane->spare; // not used since the last clear
        lane->spare = lane->used = lane->current = nullptr;
        lane->cursor = mpool__cursor{};
        while (mpool__block *b = used) {
            used = b->next;
            push_block(keep && is_class_size(b->size) ? &lane->spare : &give, b);
        }
        pool_give_blocks(pool, give);
    }
}

void lanes_add_stats(const mpool_t *pool, mpool_stats_t *out) {
    for (const mpool__lane *lane = first_lane(pool); lane; lane = lane->next) {
        out->bytes_allocated += lane->cursor.requested;
        add_block_stats(lane->used, out);
        add_block_stats(lane->spare, out);
        if (lane->current) {
            out->blocks += 1;
            out->bytes_reserved += lane->current->size;
        }
    }
}

void lanes_check_idle(const mpool_t *pool) {
#ifndef NDEBUG
    for (const mpool__lane *lane = first_lane(pool); lane; lane = lane->next)
        if (lane->busy.load(std::memory_order_relaxed)) {
            std::fprintf(stderr, "mpool: a concurrent pool was cleared or destroyed while a thread allocated from it\n");
            std::abort();
        }
#else
    (void)pool;
#endif
}

uint64_t next_pool_serial() {
    static std::atomic<uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

} // namespace mpool::detail
