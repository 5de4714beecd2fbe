// pool_tree.cpp - creating, clearing and destroying pools, and the tree
// that links them.
//
// A pool's header lives in its first block, so creating a pool is one block
// request and destroying it one give-back. The list of a pool's children is
// guarded by that pool's allocator lock, which makes creating and destroying
// siblings in several threads safe; everything else about a pool belongs to
// the one thread using it.
#include <cerrno>
#include <cstring>
#include <new>

#include "pool.hpp"

using namespace mpool::detail;

namespace {

void link_child(mpool_t *parent, mpool_t *child) {
    std::lock_guard guard(parent->allocator->lock);
    child->next_sibling = parent->first_child;
    if (parent->first_child) parent->first_child->prev_sibling = child;
    parent->first_child = child;
}

void unlink_child(mpool_t *parent, mpool_t *child) {
    std::lock_guard guard(parent->allocator->lock);
    if (child->prev_sibling)
        child->prev_sibling->next_sibling = child->next_sibling;
    else
        parent->first_child = child->next_sibling;
    if (child->next_sibling) child->next_sibling->prev_sibling = child->prev_sibling;
}

size_t first_block_size(const mpool_options_t *options) {
    size_t wanted = options ? options->block_size : 0;
    if (wanted == 0) return MPOOL_DEFAULT_BLOCK_SIZE;
    return class_size_for(wanted < MPOOL_MAX_BLOCK_SIZE ? wanted : MPOOL_MAX_BLOCK_SIZE);
}

static_assert(kBlockHeader + kPoolHeader + MPOOL_TAG_MAX + 1 <= MPOOL_MIN_BLOCK_SIZE,
              "the smallest block must hold the pool header and the longest tag");

// Moves all but the home block's chains into one list and returns it.
mpool__block *chain_all_but_home(mpool_t *pool) {
    mpool__block *chain = pool->large;
    auto append = [&chain](mpool__block *list) {
        while (list) {
            mpool__block *next = list->next;
            list->next = chain;
            chain = list;
            list = next;
        }
    };
    append(pool->retired);
    append(pool->spare);
    if (pool->current != pool->home) {
        pool->current->next = nullptr;
        append(pool->current);
    }
    pool->large = pool->retired = pool->spare = nullptr;
    pool->current = pool->home;
    return chain;
}

// Copies the tag to the start of the home block's free space. The old copy
// may lie anywhere in the pool's ordinary blocks, all of which are still
// held, and may overlap the new place.
void keep_tag_across_reset(mpool_t *pool) {
    if (!pool->tag) return;
    size_t length = std::strlen(pool->tag);
    char *kept = pool->cursor.ptr;
    std::memmove(kept, pool->tag, length + 1);
    pool->cursor.ptr += align_up_const(length + 1, kAlign);
    pool->cursor.requested = length + 1;
    pool->tag = kept;
}

} // namespace

extern "C" {

mpool_t *mpool_create(mpool_t *parent) { return mpool_create_ex(parent, nullptr); }

mpool_t *mpool_create_ex(mpool_t *parent, const mpool_options_t *options) {
    if (options && options->flags != 0) return static_cast<mpool_t *>(fail_invalid());
    mpool_oom_fn oom = options && options->oom ? options->oom : parent ? parent->oom : nullptr;
    size_t block_size = first_block_size(options);
    auto fail = [&]() -> mpool_t * {
        if (oom) oom(parent, block_size);
        errno = ENOMEM;
        return nullptr;
    };

    mpool_allocator *allocator = options && options->allocator ? options->allocator : parent ? parent->allocator : nullptr;
    bool owns_allocator = !allocator;
    if (owns_allocator && !(allocator = mpool_allocator_create(nullptr))) return fail();

    size_t limit = options ? options->limit : 0;
    mpool_t *parent_limiter = parent ? parent->limiter : nullptr;
    bool within_own_limit = limit == 0 || block_size <= limit;
    mpool__block *home = nullptr;
    if (within_own_limit && limits_charge(parent_limiter, block_size)) {
        home = allocator_take(allocator, block_size);
        if (!home) limits_release(parent_limiter, block_size);
    }
    if (!home) {
        if (owns_allocator) mpool_allocator_destroy(allocator);
        return fail();
    }

    auto *pool = new (block_payload(home)) mpool_pool{};
    pool->home = home;
    pool->next_block_size = block_size < MPOOL_MAX_BLOCK_SIZE ? block_size * 2 : block_size;
    pool->allocator = allocator;
    pool->owns_allocator = owns_allocator;
    pool->parent = parent;
    pool->oom = oom;
    pool->limit = limit;
    pool->limiter = limit ? pool : parent_limiter;
    if (limit) pool->limited_bytes.store(home->size, std::memory_order_relaxed);
    // A reused block may be larger than asked; charge what it really is.
    if (home->size > block_size && parent_limiter) limits_charge(parent_limiter, home->size - block_size);
    reset_cursor_to_home(pool);
    if (options && options->tag) mpool_set_tag(pool, options->tag);
    if (parent) link_child(parent, pool);
    return pool;
}

void mpool_clear(mpool_t *pool) {
    if (!pool) return;
    run_cleanups_and_children(pool);
    mpool__block *large = pool->large;
    pool->large = nullptr;
    mpool__block *spare = chain_all_but_home(pool);
    pool->spare = spare;
    reset_cursor_to_home(pool);
    pool->cursor.requested = 0;
    keep_tag_across_reset(pool);
    pool_give_blocks(pool, large);
}

void mpool_destroy(mpool_t *pool) {
    if (!pool) return;
    run_cleanups_and_children(pool);
    if (pool->parent) unlink_child(pool->parent, pool);
    mpool_allocator *allocator = pool->allocator;
    bool owns_allocator = pool->owns_allocator;
    mpool__block *chain = chain_all_but_home(pool);
    mpool__block *home = pool->home;
    home->next = chain;
    // The header lives in `home`: nothing of the pool is read after this.
    pool_give_blocks(pool, home);
    if (owns_allocator) mpool_allocator_destroy(allocator);
}

void mpool_set_tag(mpool_t *pool, const char *tag) {
    if (!pool) return;
    if (!tag) {
        pool->tag = nullptr;
        return;
    }
    size_t length = strnlen(tag, MPOOL_TAG_MAX);
    char *copy = static_cast<char *>(pool_alloc(pool, length + 1, kAlign));
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
