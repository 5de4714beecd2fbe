// pool_tree.cpp - creating, clearing and destroying pools, and the tree
// that links them.
//
// A pool's header lives in its first ("home") block, so creating a pool is
// one block request and destroying it one give-back. The list of a pool's
// children is guarded by that pool's allocator lock, which makes creating
// and destroying siblings in several threads safe; a child that shares its
// parent's allocator takes its block and links itself under one acquisition
// of that lock, and unlinks and gives its blocks back under one more.
//
// Sizing: a parent keeps a decaying maximum of what its children used
// (child_need); a new child's home block is the smallest ordinary size that
// holds that much. Retention: clear keeps the ordinary blocks the pool used
// since its previous clear and gives back the spare ones it did not use, so
// one spike pins its memory for one cycle, not forever.
#include <cerrno>
#include <cstring>
#include <new>

#include "lanes.hpp"

using namespace mpool::detail;

namespace {

// The home block's size: the options', else what the parent's children
// needed, else the default for a root and the smallest for a child.
size_t home_block_size(const mpool_t *parent, const mpool__lane *lane, const mpool_options_t *options) {
    size_t wanted = options ? options->block_size : 0;
    if (wanted == 0 && lane) wanted = lane->child_need;
    if (wanted == 0 && parent) wanted = parent->child_need.load(std::memory_order_relaxed);
    if (wanted == 0) return parent ? MPOOL_MIN_BLOCK_SIZE : MPOOL_DEFAULT_BLOCK_SIZE;
    return class_size_for(wanted < MPOOL_MAX_BLOCK_SIZE ? wanted : MPOOL_MAX_BLOCK_SIZE);
}

// Ordinary block bytes the pool has filled since its last clear: what a
// child like it will need.
size_t bytes_used(const mpool_t *pool) {
    size_t used = home_block(pool)->size;
    if (pool->current != home_block(pool)) used += pool->current->size;
    for (const mpool__block *b = pool->retired; b; b = b->next) used += b->size;
    return used - static_cast<size_t>(pool->cursor.end - pool->cursor.ptr);
}

// Folds one child's use into a decaying maximum of what children need.
// Children of one parent may end in several threads at once; on the parent's
// own list a lost update only delays the estimate, and each lane keeps its
// own.
size_t decayed_maximum(size_t need, size_t used) {
    size_t decayed = need - need / 8;
    return used > decayed ? used : decayed;
}

// The ordinary blocks used since the last clear, home excluded, as one chain.
mpool__block *take_used_blocks(mpool_t *pool) {
    mpool__block *chain = pool->retired;
    pool->retired = nullptr;
    if (pool->current != home_block(pool)) {
        pool->current->next = chain;
        chain = pool->current;
    }
    pool->current = home_block(pool);
    return chain;
}

// Unlinks from *list the block whose payload holds p, or returns NULL.
mpool__block *unlink_block_holding(mpool__block **list, const char *p) {
    for (; *list; list = &(*list)->next) {
        mpool__block *b = *list;
        if (p >= block_payload(b) && p < block_end(b)) {
            *list = b->next;
            return b;
        }
    }
    return nullptr;
}

// After a reset, moves the tag to the start of the home block's free space
// when it fits there (it always does when it was in the home block), else to
// the start of the spare block that holds it, which becomes current. The old
// copy may overlap the new place.
void keep_tag_across_reset(mpool_t *pool) {
    if (!pool->tag || pool->concurrent) return; // a concurrent pool's tag is in its record
    size_t length = std::strlen(pool->tag);
    size_t rounded = align_up_const(length + 1, kAlign);
    if (rounded > static_cast<size_t>(pool->cursor.end - pool->cursor.ptr)) {
        mpool__block *holder = unlink_block_holding(&pool->spare, pool->tag);
        set_current(pool, holder, block_payload(holder));
    }
    char *kept = pool->cursor.ptr;
    std::memmove(kept, pool->tag, length + 1);
    pool->cursor.ptr += rounded;
    pool->cursor.requested = length + 1;
    pool->tag = kept;
}

mpool_t *fail_create(mpool_oom_fn oom, mpool_t *parent, size_t size) {
    if (oom) oom(parent, size);
    errno = ENOMEM;
    return nullptr;
}

} // namespace

namespace mpool::detail {

void destroy_pool(mpool_t *pool, bool exclusive) {
    if (pool->concurrent) lanes_check_idle(pool);
    run_cleanups_and_children(pool);
    if (first_lane(pool)) lanes_release(pool);
    mpool_t *parent = pool->parent;
    mpool_allocator *allocator = pool->allocator;
    bool owns_allocator = pool->owns_allocator;
    mpool__lane *lane = parent ? lane_of(pool) : nullptr;
    bool mine = lane && !exclusive && lane_is_mine(lane);
    if (lane && mine) {
        lane->child_need = decayed_maximum(lane->child_need, bytes_used(pool));
    } else if (parent && !lane) {
        parent->child_need.store(decayed_maximum(parent->child_need.load(std::memory_order_relaxed), bytes_used(pool)),
                                 std::memory_order_relaxed);
    }
    mpool__block *chain = take_used_blocks(pool);
    move_blocks(&chain, pool->spare);
    move_blocks(&chain, pool->large);
    mpool__block *home = home_block(pool);
    home->next = chain;
    pool_release_charge(pool, home);
    if (lane) {
        if (!exclusive && !mine) { // another thread's lane: its owner unlinks the pool and takes the blocks
            pool->spare = home;
            lane_push_remote(lane, pool);
            return;
        }
        remove_child(&lane->children, pool);
        if (mine && parent->allocator == allocator)
            lane_give_blocks(lane, home);
        else
            allocator_give(allocator, home);
        return;
    }
    // The header lives in `home`: nothing of the pool is read once it is given.
    if (parent && parent->allocator == allocator) {
        std::lock_guard guard(allocator->lock);
        remove_child(&parent->first_child, pool);
        allocator_give_locked(allocator, home);
    } else {
        if (parent) {
            std::lock_guard guard(parent->allocator->lock);
            remove_child(&parent->first_child, pool);
        }
        allocator_give(allocator, home);
    }
    if (owns_allocator) mpool_allocator_destroy(allocator);
}

} // namespace mpool::detail

extern "C" {

mpool_t *mpool_create(mpool_t *parent) { return mpool_create_ex(parent, nullptr); }

mpool_t *mpool_create_ex(mpool_t *parent, const mpool_options_t *options) {
    unsigned flags = options ? options->flags : 0;
    if ((flags & ~MPOOL_CONCURRENT) != 0) return static_cast<mpool_t *>(fail_invalid());
    bool concurrent = (flags & MPOOL_CONCURRENT) != 0;
    mpool_oom_fn oom = options && options->oom ? options->oom : parent ? parent->oom : nullptr;
    mpool__lane *lane = parent ? lane_for_new_child(parent) : nullptr;
    if (lane) lane_collect_remote(lane, true);
    size_t limit = options ? options->limit : 0;
    // A concurrent pool's own block holds only its header and records.
    size_t block_size = concurrent ? class_size_for(kBlockHeader + kPoolHeader + (limit ? kLimitRecord : 0) + kConcurrentRecord)
                                   : home_block_size(parent, lane, options);
    if (limit != 0 && block_size > limit) return fail_create(oom, parent, block_size);

    mpool_allocator *allocator = options && options->allocator ? options->allocator : parent ? parent->allocator : nullptr;
    bool owns_allocator = !allocator;
    if (owns_allocator && !(allocator = mpool_allocator_create(nullptr))) return fail_create(oom, parent, block_size);

    mpool_t *parent_limiter = parent ? parent->limiter : nullptr;
    if (!limits_charge(parent_limiter, block_size)) return fail_create(oom, parent, block_size);
    // The block: from the lane's cache, else from the allocator. A child on
    // its parent's own list that shares the parent's lock is linked in the
    // same acquisition.
    bool same_allocator = parent && parent->allocator == allocator;
    bool link_now = same_allocator && !lane;
    mpool__block *home = lane && same_allocator ? lane_take_block(lane, block_size) : nullptr;
    mpool_pool *pool = home ? new (block_payload(home)) mpool_pool{} : nullptr;
    if (!home) {
        std::lock_guard guard(allocator->lock);
        home = allocator_take_locked(allocator, block_size);
        if (home) {
            pool = new (block_payload(home)) mpool_pool{};
            if (link_now) push_child(&parent->first_child, pool);
        }
    }
    if (!home) {
        limits_release(parent_limiter, block_size);
        if (owns_allocator) mpool_allocator_destroy(allocator);
        return fail_create(oom, parent, block_size);
    }
    pool->parent = parent;
    pool->next_block_size = static_cast<uint32_t>(next_class_size(concurrent ? home_block_size(parent, lane, options) : block_size));
    pool->allocator = allocator;
    pool->owns_allocator = owns_allocator;
    pool->oom = oom;
    if (limit) {
        new (limit_of(pool)) mpool__limit{limit, {home->size}};
        pool->has_limit = true;
        pool->limiter = pool;
    } else {
        pool->limiter = parent_limiter;
    }
    if (concurrent) {
        pool->concurrent = true;
        new (concurrent_of(pool)) mpool__concurrent{{}, next_pool_serial()};
    }
    reset_cursor_to_home(pool);
    if (options && options->tag) mpool_set_tag(pool, options->tag);
    home->next = reinterpret_cast<mpool__block *>(lane); // see lane_of()
    if (lane) {
        push_child(&lane->children, pool);
    } else if (parent && !link_now) {
        std::lock_guard guard(parent->allocator->lock);
        push_child(&parent->first_child, pool);
    }
    return pool;
}

void mpool_clear(mpool_t *pool) {
    if (!pool) return;
    if (pool->concurrent) lanes_check_idle(pool);
    run_cleanups_and_children(pool);
    if (pool->concurrent) lanes_reset(pool, true);
    mpool__block *unused = pool->spare;
    mpool__block *large = pool->large;
    pool->large = nullptr;
    pool->spare = take_used_blocks(pool);
    reset_cursor_to_home(pool);
    pool->cursor.requested = 0;
    keep_tag_across_reset(pool);
    move_blocks(&large, unused);
    pool_give_blocks(pool, large);
}

void mpool_destroy(mpool_t *pool) {
    if (pool) destroy_pool(pool, false);
}

void mpool_set_tag(mpool_t *pool, const char *tag) {
    if (!pool) return;
    if (!tag) {
        pool->tag = nullptr;
        return;
    }
    size_t length = strnlen(tag, MPOOL_TAG_MAX);
    char *copy = pool->concurrent ? concurrent_of(pool)->tag : static_cast<char *>(mpool__alloc_nonnull(pool, length + 1));
    if (!copy) return;
    std::memcpy(copy, tag, length);
    copy[length] = '\0';
    pool->tag = copy;
}

const char *mpool_tag(const mpool_t *pool) { return pool ? pool->tag : nullptr; }

mpool_t *mpool_parent(const mpool_t *pool) { return pool ? pool->parent : nullptr; }

int mpool_is_ancestor(const mpool_t *ancestor, const mpool_t *pool) {
    if (!ancestor) return 0;
    for (const mpool_t *p = pool; p; p = p->parent)
        if (p == ancestor) return 1;
    return 0;
}

mpool_allocator_t *mpool_get_allocator(const mpool_t *pool) { return pool ? pool->allocator : nullptr; }

} // extern "C"
