// lanes.cpp - per-thread lanes of a parent's children (see lanes.hpp).
#include "lanes.hpp"

#include <mutex>
#include <new>

using namespace mpool::detail;

// A thread's lanes, on whichever parents. Lives in thread-local storage;
// its destructor runs when the thread exits.
struct mpool__lanes_thread {
    mpool__lane *owned = nullptr; // linked by owner_next; guarded by g_owners
    ~mpool__lanes_thread();
};

namespace {

// Guards lane ownership: owner changes and the owners' lists. Taken before
// any allocator lock (allocator.hpp gives the whole order).
std::mutex g_owners;

thread_local mpool__lanes_thread t_lanes;

mpool__lanes_thread *this_thread() { return &t_lanes; }

void claim_locked(mpool__lane *lane, mpool__lanes_thread *me) {
    lane->owner.store(me, std::memory_order_release);
    lane->owner_next = me->owned;
    me->owned = lane;
}

void forget_locked(mpool__lanes_thread *owner, mpool__lane *lane) {
    for (mpool__lane **link = &owner->owned; *link; link = &(*link)->owner_next)
        if (*link == lane) {
            *link = lane->owner_next;
            break;
        }
    lane->owner.store(nullptr, std::memory_order_release);
}

// This thread's lane among the parent's, adopting one whose thread exited
// when it has none; NULL when neither exists.
mpool__lane *find_or_adopt(uintptr_t word, mpool__lanes_thread *me) {
    mpool__lane *first = lane_list(word);
    for (mpool__lane *l = first; l; l = l->next)
        if (l->owner.load(std::memory_order_acquire) == me) return l;
    for (mpool__lane *l = first; l; l = l->next) {
        if (l->owner.load(std::memory_order_relaxed) != nullptr) continue;
        std::lock_guard guard(g_owners);
        if (l->owner.load(std::memory_order_relaxed) == nullptr) {
            claim_locked(l, me);
            return l;
        }
    }
    return nullptr;
}

// True when child a was linked after child b (births wrap around).
bool newer(const mpool_t *a, const mpool_t *b) { return static_cast<int32_t>(a->birth - b->birth) > 0; }

} // namespace

mpool__lanes_thread::~mpool__lanes_thread() {
    std::lock_guard guard(g_owners);
    while (mpool__lane *lane = owned) {
        owned = lane->owner_next;
        allocator_drain_cache(lane->parent->allocator, &lane->cache);
        lane->owner.store(nullptr, std::memory_order_release);
    }
}

namespace mpool::detail {

child_link lane_choose(mpool_t *parent, mpool__lane **lane) {
    uintptr_t word = parent->lanes.load(std::memory_order_acquire);
    if (!is_concurrent(parent)) {
        uintptr_t marker = thread_marker();
        if (word == marker) return child_link::own_list;
        if (word == 0 && parent->lanes.compare_exchange_strong(word, marker, std::memory_order_acq_rel))
            return child_link::own_list;
    }
    *lane = find_or_adopt(word, this_thread());
    return *lane ? child_link::lane : child_link::new_lane;
}

mpool__lane *lane_make(mpool_t *parent) {
    mpool__block *b = pool_take_block(parent, kLaneBlockSize, kLaneBlockSize);
    if (!b) return nullptr;
    mem_undefined(block_payload(b), b->size - kBlockHeader); // a block a checked pool used is inaccessible
    auto *lane = new (align_ptr(block_payload(b), kCacheLine)) mpool__lane{};
    lane->block = b;
    lane->parent = parent;
    lane->region.next_block_size = static_cast<uint32_t>(MPOOL_DEFAULT_BLOCK_SIZE);
    lane->region.checked = is_checked(parent);
    lane->child_sizing = parent->child_sizing.load();
    allocator_attach_cache(parent->allocator, &lane->cache);
    {
        std::lock_guard guard(g_owners);
        claim_locked(lane, this_thread());
    }
    uintptr_t word = parent->lanes.load(std::memory_order_acquire);
    do {
        lane->next = lane_list(word);
        lane->births = lane->next ? lane->next->births : &lane->birth_counter;
    } while (!parent->lanes.compare_exchange_weak(word, reinterpret_cast<uintptr_t>(lane), std::memory_order_acq_rel,
                                                  std::memory_order_acquire));
    return lane;
}

mpool__lane *lane_for_thread(mpool_t *pool) {
    mpool__lane *lane = find_or_adopt(pool->lanes.load(std::memory_order_acquire), this_thread());
    return lane ? lane : lane_make(pool);
}

bool lane_is_mine(const mpool__lane *lane) { return lane->owner.load(std::memory_order_relaxed) == this_thread(); }

mpool__block *lane_take_block(mpool__lane *lane, size_t size) {
    std::lock_guard guard(lane->cache.lock);
    return cache_take_locked(&lane->cache, size);
}

void lane_link(mpool__lane *lane, mpool_t *child) {
    child->birth = lane->births->fetch_add(1, std::memory_order_relaxed);
    home_block(child)->next = reinterpret_cast<mpool__block *>(lane); // see lane_of()
    std::lock_guard guard(lane->cache.lock);
    push_child(&lane->children, child);
}

void lane_unlink(mpool__lane *lane, mpool_t *child, mpool__block *chain, uint8_t flags) {
    mpool_allocator *allocator = child->allocator; // the child's header lives in `chain`: read it first
    bool into_cache = lane_is_mine(lane) && allocator == lane->parent->allocator;
    {
        std::lock_guard guard(lane->cache.lock);
        remove_child(&lane->children, child);
        retire_home(chain, flags);
        if (into_cache) chain = cache_keep_locked(allocator, &lane->cache, chain);
    }
    allocator_give(allocator, chain);
}

mpool_t *lanes_newest_child_slow(const mpool_t *parent) {
    mpool_t *newest = nullptr;
    for (mpool__lane *lane = first_lane(parent); lane; lane = lane->next) {
        std::lock_guard guard(lane->cache.lock);
        if (lane->children && (!newest || newer(lane->children, newest))) newest = lane->children;
    }
    return newest;
}

mpool_t *lanes_first_child_after(const mpool_t *parent, const mpool__lane *lane) {
    for (const mpool__lane *l = lane ? lane->next : first_lane(parent); l; l = l->next)
        if (l->children) return l->children;
    return nullptr;
}

void lanes_release(mpool_t *parent) {
    mpool__lane *lanes = first_lane(parent);
    parent->lanes.store(0, std::memory_order_relaxed);
    {
        std::lock_guard guard(g_owners);
        for (mpool__lane *lane = lanes; lane; lane = lane->next)
            if (mpool__lanes_thread *owner = lane->owner.load(std::memory_order_relaxed)) forget_locked(owner, lane);
    }
    mpool__block *chain = nullptr;
    while (mpool__lane *lane = lanes) {
        lanes = lane->next;
        MPOOL_ASSERT(!lane->children, "a parent's children are gone before its lanes");
        allocator_detach_cache(parent->allocator, &lane->cache);
        mpool__block *allocations = region_take_blocks(&lane->region, nullptr);
        if (is_checked(parent)) check_blocks_retired(is_debug(parent), allocations, nullptr, true);
        move_blocks(&chain, allocations);
        push_block(&chain, lane->block); // the lane lives in this block: nothing of it is read after
    }
    pool_give_blocks(parent, chain);
}

} // namespace mpool::detail
