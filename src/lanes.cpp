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

// Guards lane ownership: owner changes and the owners' lists.
std::mutex g_owners;

thread_local mpool__lanes_thread t_lanes;

mpool__lanes_thread *this_thread() { return &t_lanes; }

// An odd word that stands for the calling thread in a parent's `lanes`.
uintptr_t thread_marker() { return reinterpret_cast<uintptr_t>(this_thread()) | 1u; }

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

// Gives the lane's cached blocks to its parent's allocator.
void empty_cache(mpool__lane *lane) {
    mpool__block *chain = nullptr;
    for (mpool__block *&list : lane->cache) {
        move_blocks(&chain, list);
        list = nullptr;
    }
    lane->cache_bytes = 0;
    allocator_give(lane->parent->allocator, chain);
}

// Adopts a lane whose thread has exited, or NULL.
mpool__lane *adopt(mpool__lane *first, mpool__lanes_thread *me) {
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

// Makes a lane for the calling thread and publishes it on the parent.
mpool__lane *make_lane(mpool_t *parent, mpool__lanes_thread *me) {
    mpool__block *b = pool_take_block(parent, kLaneBlockSize);
    if (!b) return nullptr;
    auto *lane = new (align_ptr(block_payload(b), kCacheLine)) mpool__lane{};
    lane->block = b;
    lane->parent = parent;
    lane->next_block_size = parent->next_block_size;
    lane->child_need = parent->child_need.load(std::memory_order_relaxed);
    {
        std::lock_guard guard(g_owners);
        claim_locked(lane, me);
    }
    uintptr_t word = parent->lanes.load(std::memory_order_acquire);
    do {
        lane->next = (word & 1u) ? nullptr : reinterpret_cast<mpool__lane *>(word);
    } while (!parent->lanes.compare_exchange_weak(word, reinterpret_cast<uintptr_t>(lane), std::memory_order_acq_rel,
                                                  std::memory_order_acquire));
    return lane;
}

} // namespace

mpool__lanes_thread::~mpool__lanes_thread() {
    std::lock_guard guard(g_owners);
    while (mpool__lane *lane = owned) {
        owned = lane->owner_next;
        empty_cache(lane);
        lane->owner.store(nullptr, std::memory_order_release);
    }
}

namespace mpool::detail {

mpool__lane *first_lane(const mpool_t *parent) {
    uintptr_t word = parent->lanes.load(std::memory_order_acquire);
    return (word & 1u) ? nullptr : reinterpret_cast<mpool__lane *>(word);
}

mpool__lane *lane_for_thread(mpool_t *pool) {
    uintptr_t word = pool->lanes.load(std::memory_order_acquire);
    mpool__lanes_thread *me = this_thread();
    mpool__lane *first = (word & 1u) ? nullptr : reinterpret_cast<mpool__lane *>(word);
    for (mpool__lane *l = first; l; l = l->next)
        if (l->owner.load(std::memory_order_acquire) == me) return l;
    if (mpool__lane *adopted = adopt(first, me)) return adopted;
    return make_lane(pool, me);
}

mpool__lane *lane_for_new_child(mpool_t *parent) {
    if (!parent->concurrent) {
        uintptr_t word = parent->lanes.load(std::memory_order_acquire);
        uintptr_t marker = thread_marker();
        if (word == marker) return nullptr;
        if (word == 0 && parent->lanes.compare_exchange_strong(word, marker, std::memory_order_acq_rel)) return nullptr;
    }
    // A second thread, or a concurrent parent: lanes from now on.
    return lane_for_thread(parent);
}

bool lane_is_mine(const mpool__lane *lane) { return lane->owner.load(std::memory_order_relaxed) == this_thread(); }

mpool__block *lane_take_block(mpool__lane *lane, size_t size) {
    if (!is_class_size(size)) return nullptr;
    mpool__block *&list = lane->cache[class_index(size)];
    mpool__block *b = list;
    if (b) {
        list = b->next;
        lane->cache_bytes -= b->size;
    }
    return b;
}

void lane_give_blocks(mpool__lane *lane, mpool__block *chain) {
    mpool__block *rest = nullptr;
    while (mpool__block *b = chain) {
        chain = b->next;
        bool keep = is_class_size(b->size) && lane->cache_bytes + b->size <= kLaneCacheBytes;
        if (keep) {
            unsigned count = 0;
            for (mpool__block *c = lane->cache[class_index(b->size)]; c && count < kLaneCachePerSize; c = c->next) ++count;
            keep = count < kLaneCachePerSize;
        }
        if (keep) {
            mpool__block *&list = lane->cache[class_index(b->size)];
            b->next = list;
            list = b;
            lane->cache_bytes += b->size;
        } else {
            b->next = rest;
            rest = b;
        }
    }
    allocator_give(lane->parent->allocator, rest);
}

void lane_push_remote(mpool__lane *lane, mpool_t *child) {
    child->detached = true;
    mpool_t *head = lane->remote.load(std::memory_order_relaxed);
    do {
        child->first_child = head;
    } while (!lane->remote.compare_exchange_weak(head, child, std::memory_order_release, std::memory_order_relaxed));
}

void lane_collect_remote(mpool__lane *lane, bool owner) {
    if (!lane->remote.load(std::memory_order_relaxed)) return;
    mpool_t *child = lane->remote.exchange(nullptr, std::memory_order_acquire);
    while (child) {
        mpool_t *next = child->first_child;
        mpool__block *blocks = child->spare; // the header lives in these: read all first
        mpool_allocator *allocator = child->allocator;
        remove_child(&lane->children, child);
        if (owner && allocator == lane->parent->allocator)
            lane_give_blocks(lane, blocks);
        else
            allocator_give(allocator, blocks);
        child = next;
    }
}

void lanes_release(mpool_t *parent) {
    if (parent->concurrent) lanes_reset(parent, false);
    mpool__lane *lane = first_lane(parent);
    parent->lanes.store(0, std::memory_order_relaxed);
    mpool__block *lane_blocks = nullptr;
    {
        std::lock_guard guard(g_owners);
        for (; lane; lane = lane->next) {
            if (mpool__lanes_thread *owner = lane->owner.load(std::memory_order_relaxed)) forget_locked(owner, lane);
            empty_cache(lane);
            mpool__block *b = lane->block;
            b->next = lane_blocks;
            lane_blocks = b;
        }
    }
    pool_give_blocks(parent, lane_blocks);
}

} // namespace mpool::detail
