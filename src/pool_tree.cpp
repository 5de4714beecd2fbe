// pool_tree.cpp - creating pools and freeing them, and the tree that links
// them.
//
// A pool's header lives in its first ("home") block, so creating a pool is
// one block request and freeing it one give-back. mpool_create_ex() runs
// four named steps: plan (options, allocator, sizes), take the home block
// (from this thread's lane cache or the allocator, charged to the limits),
// build the header, link it under its parent. Nothing of the parent changes
// until the block is had, so a refused create leaves the parent as it was.
//
// Children are linked on the parent's own list (under its allocator's
// lock) while one thread makes them, and on per-thread lanes once a second
// thread does (lanes.hpp). Clear and destroy are in teardown.cpp; this file
// has their last steps, reset_pool() and free_pool().
//
// Sizing (sizing.cpp): a parent keeps an estimate of what its children
// fill; a new child's home block is the smallest ordinary size that holds
// it, cut to what the limits allow.
#include <cerrno>
#include <cstring>
#include <new>

#include "resource.hpp"
#include "tree.hpp"

using namespace mpool::detail;

namespace {

struct CreatePlan {
    mpool_allocator *allocator = nullptr; // where the pool's blocks come from
    uint8_t flags = 0;                    // pool_flag bits
    child_link link = child_link::own_list;
    mpool__lane *lane = nullptr;          // with child_link::lane: this thread's lane on the parent
    size_t limit = 0;                     // the pool's own limit; 0: none
    size_t least = 0;                     // the smallest home block: header, records and tag
    size_t wanted = 0;                    // the home block size to ask for
    const char *tag = nullptr;            // options' tag, or NULL
    size_t tag_length = 0;                // bytes of it kept
    size_t extra = 0;                     // the user's area and its record (kHasExtra), in bytes; 0: none
};

mpool_t *fail_create(mpool_t *parent, const mpool_options_t *options, size_t size) {
    mpool_oom_fn oom = options && options->oom ? options->oom : handler_for(parent);
    if (oom) oom(parent, size);
    errno = ENOMEM;
    return nullptr;
}

// What a new pool's home block should be: the options', else the lane's or
// the parent's learned size, else the smallest block for a child and the
// default for a root. Cut to the largest ordinary size.
size_t wanted_home_size(const mpool_t *parent, const CreatePlan &plan, const mpool_options_t *options) {
    size_t wanted = options ? options->block_size : 0;
    if (wanted == 0 && plan.lane) wanted = sizing_wanted(plan.lane->child_sizing.need);
    if (wanted == 0 && parent) wanted = parent->child_sizing.wanted();
    if (wanted == 0 && parent) wanted = MPOOL_MIN_BLOCK_SIZE;
    if (wanted == 0) { // a root: the default, or 1/64 of its limit when that is less (the limit is for its children too)
        size_t limit = options ? options->limit : 0;
        wanted = limit && limit / 64 < MPOOL_DEFAULT_BLOCK_SIZE ? limit / 64 : MPOOL_DEFAULT_BLOCK_SIZE;
    }
    return class_size_for(wanted < MPOOL_MAX_BLOCK_SIZE ? wanted : MPOOL_MAX_BLOCK_SIZE);
}

// Step 1: reads the options. EINVAL for unknown flags.
int plan_create(mpool_t *parent, const mpool_options_t *options, CreatePlan *plan) {
    unsigned flags = options ? options->flags : 0;
    if ((flags & ~(MPOOL_CONCURRENT | MPOOL_DEBUG)) != 0) return EINVAL;
    if (flags & MPOOL_CONCURRENT) plan->flags |= kConcurrent;
    // The checkers' modes are decided once, so a child of a pool that is not
    // checked is not checked either, unless it asks for debug mode.
    if (!parent || (flags & MPOOL_DEBUG) || (parent->flags & (kChecked | kDebug)))
        plan->flags |= check_flags(parent, flags);
    if (options && options->limit) plan->flags |= kHasLimit;
    if (options && options->oom) plan->flags |= kHasHandler;
    if (options && options->extra_size) {
        if (options->extra_size > MPOOL_MAX_EXTRA_SIZE) return EINVAL;
        plan->flags |= kHasExtra;
        plan->extra = kExtraRecord + align_up_const(options->extra_size, kAlign);
    }
    plan->limit = options ? options->limit : 0;
    plan->tag = options ? options->tag : nullptr;
    plan->tag_length = plan->tag ? strnlen(plan->tag, MPOOL_TAG_MAX) : 0;
    // The tag is kept in the home block (a concurrent pool's in its record),
    // so a tight limit can never drop it.
    size_t tag_room = plan->tag && !(plan->flags & kConcurrent) ? align_up_const(plan->tag_length + 1, kAlign) : 0;
    if (tag_room && (plan->flags & kChecked)) tag_room += 2 * kRedzone; // the block's lead and one after the tag
    plan->least = kBlockHeader + records_size(plan->flags) + plan->extra + tag_room;
    if (parent) plan->link = lane_choose(parent, &plan->lane);
    size_t wanted = (plan->flags & kConcurrent) ? 0 : wanted_home_size(parent, *plan, options);
    plan->wanted = wanted > plan->least ? wanted : class_size_for(plan->least);
    plan->allocator = options && options->allocator ? options->allocator : parent ? parent->allocator : nullptr;
    return 0;
}

// Step 2: the home block: from this thread's lane cache when it has one of
// the size, else from the allocator; charged to the parent's limits and
// within the pool's own. NULL when it cannot be had.
mpool__block *take_home(mpool_t *parent, const CreatePlan &plan) {
    bool from_cache = plan.lane && plan.allocator == parent->allocator && (plan.limit == 0 || plan.wanted <= plan.limit);
    if (from_cache) {
        if (mpool__block *b = lane_take_block(plan.lane, plan.wanted)) {
            if (limits_charge(parent->limiter, b->size)) return b;
            b->next = nullptr;
            allocator_give(plan.allocator, b);
        }
    }
    return take_block_for_child(parent, plan.allocator, plan.limit, plan.wanted, plan.least);
}

// Copies a tag (length bytes, no terminator needed) to the cursor, which
// has room for it, and steps over it: the tag counts as allocated, and in a
// checked pool is readable and has a redzone after it.
void place_tag(mpool_t *pool, const char *tag, size_t length) {
    mpool__region *r = &pool->region;
    char *copy = r->cursor.ptr;
    if (r->checked) mem_defined(copy, length + 1);
    std::memmove(copy, tag, length);
    copy[length] = '\0';
    r->cursor.ptr += align_up_const(length + 1, kAlign) + (r->checked ? kRedzone : 0);
    if (r->cursor.end < r->cursor.ptr || r->checked) r->cursor.end = r->cursor.ptr;
    r->cursor.requested = length + 1;
    pool->tag = copy;
}

// The header of a pool in `home`, every field written once, none zeroed
// first (a create of a plain child is a few dozen instructions in all): a
// live pool with no records, blocks, children or tag. The records that
// `flags` announce, and the cursor (region_start()), are the caller's.
// `home_class`: the ordinary size the home block counts as (its own, or the
// one below for a block cut to a limit), so that the next block is the size
// after it.
mpool_t *init_header(mpool__block *home, size_t home_class, mpool_t *parent, mpool_allocator *allocator, uint8_t flags) {
    static_assert(sizeof(mpool_pool) == 176, "a field added to mpool_pool is set here");
    auto *pool = new (block_payload(home)) mpool_pool; // its atomics start at 0; the rest is set below
    pool->region.cursor.requested = 0;
    pool->region.used = pool->region.spare = pool->region.large = nullptr;
    pool->region.next_block_size = static_cast<uint32_t>(next_class_size(home_class));
    pool->region.checked = (flags & kChecked) != 0;
    pool->state = pool_state::live;
    pool->step = teardown_step::pre_cleanups;
    pool->flags = flags;
    pool->marked = false;
    pool->birth = 0;
    pool->clears = 0;
    pool->allocator = allocator;
    pool->parent = parent;
    pool->first_child = pool->next_sibling = pool->prev_sibling = nullptr;
    pool->annex = nullptr;
    pool->tag = nullptr;
    pool->limiter = parent ? parent->limiter : nullptr;
    pool->owner = nullptr;
    place_resource(pool);
    pool->own_births = 0;
    pool->large_since_mark = 0;
    return pool;
}

// Step 3: the header and its records in the home block.
mpool_t *build_pool(mpool__block *home, mpool_t *parent, const CreatePlan &plan, const mpool_options_t *options) {
    if (plan.flags & kChecked) // a reused block is not accessible
        mem_undefined(block_payload(home), records_size(plan.flags) + plan.extra);
    size_t home_class = class_size_for(home->size < MPOOL_MAX_BLOCK_SIZE ? home->size : MPOOL_MAX_BLOCK_SIZE);
    uint8_t flags = plan.flags | (is_class_size(home->size) ? 0 : kOddHome);
    mpool_t *pool = init_header(home, home_class, parent, plan.allocator, flags);
    if (plan.flags & kHasLimit) {
        new (limit_of(pool)) mpool__limit{plan.limit, {home->size}};
        pool->limiter = pool;
    }
    if (plan.flags & kHasHandler) new (handler_of(pool)) mpool__handler{options->oom};
    if (plan.flags & kConcurrent) new (concurrent_of(pool)) mpool__concurrent{{}, next_pool_serial(), {}};
    if (plan.flags & kDebug) new (debug_of(pool)) mpool__debug{};
    if (plan.flags & kHasExtra) {
        mpool__extra *extra = new (extra_of(pool)) mpool__extra{plan.extra - kExtraRecord};
        std::memset(reinterpret_cast<char *>(extra) + kExtraRecord, 0, extra->size);
    }
    if (pool->region.checked) check_block_taken(home, home_start(pool));
    reset_cursor_to_home(pool);
    if (plan.tag && (plan.flags & kConcurrent)) {
        std::memcpy(concurrent_of(pool)->tag, plan.tag, plan.tag_length);
        concurrent_of(pool)->tag[plan.tag_length] = '\0';
        pool->tag = concurrent_of(pool)->tag;
    } else if (plan.tag) {
        place_tag(pool, plan.tag, plan.tag_length);
    }
    // Valgrind's mempool for a checked pool; and any pool made at the address
    // of a quarantined debug pool takes it out of the quarantine.
    if ((plan.flags & kChecked) || may_be_quarantined(pool)) check_pool_made(pool);
    return pool;
}

// Step 4: links the child under its parent and updates the estimate.
void link_on_own_list_locked(mpool_t *parent, mpool_t *pool) {
    home_block(pool)->next = nullptr; // the own list: see lane_of()
    std::atomic_ref<uint32_t> births(parent->own_births); // a mark reads it without the lock
    pool->birth = births.load(std::memory_order_relaxed);
    births.store(pool->birth + 1, std::memory_order_relaxed);
    parent->child_sizing.decay_on_create();
    push_child(&parent->first_child, pool);
}

// The usual child: made by the one thread that makes its parent's children,
// on the parent's allocator, with no limit anywhere. Its block is taken and
// it is linked under one acquisition of the allocator's lock. NULL when the
// block cannot be had.
mpool_t *create_plain_child(mpool_t *parent, const CreatePlan &plan, const mpool_options_t *options) {
    std::lock_guard guard(plan.allocator->lock);
    mpool__block *home = allocator_take_locked(plan.allocator, plan.wanted, plan.wanted);
    if (!home) return nullptr;
    mpool_t *pool = build_pool(home, parent, plan, options);
    link_on_own_list_locked(parent, pool);
    return pool;
}

bool is_plain_child(const mpool_t *parent, const CreatePlan &plan) {
    return parent && plan.link == child_link::own_list && plan.allocator == parent->allocator && !parent->limiter &&
           plan.limit == 0;
}

// After a reset, puts the tag (saved before it) back at the start of the
// home block's free space when it fits there, else at the start of the
// first spare block that holds it, which becomes current. A tag always
// finds a place: the block it lived in was kept as a spare.
void restore_tag(mpool_t *pool, const char *saved, size_t length) {
    mpool__region *r = &pool->region;
    size_t redzone = r->checked ? kRedzone : 0;
    size_t need = align_up_const(length + 1, kAlign) + redzone; // the cursor is past the block's lead already
    if (need > static_cast<size_t>(block_end(r->current) - r->cursor.ptr)) {
        mpool__block *holder = take_first_fitting(&r->spare, kBlockHeader + redzone + need);
        MPOOL_ASSERT(holder, "the block that held the tag was kept by the reset");
        region_start(r, holder, block_payload(holder));
    }
    place_tag(pool, saved, length);
}

// Records what the pool filled in the estimate its parent (or its lane)
// keeps for new children. A child on another thread's lane is left out:
// only the lane's owner writes the lane's estimate.
void record_use(mpool_t *parent, mpool__lane *lane, const mpool_t *pool) {
    size_t used = region_filled_bytes(&pool->region, home_block(pool));
    if (lane) {
        if (lane_is_mine(lane)) lane->child_sizing = sizing_after_destroy(lane->child_sizing, used);
        return;
    }
    parent->child_sizing.record_destroy(used);
}

// Unlinks a pool from its parent's own list and gives its blocks back, in
// one acquisition of the lock when both use one allocator.
void unlink_from_own_list(mpool_t *parent, mpool_t *pool, mpool_allocator *allocator, mpool__block *chain,
                          uint8_t flags) {
    if (parent->allocator == allocator) {
        std::lock_guard guard(allocator->lock);
        remove_child(&parent->first_child, pool);
        retire_home(chain, flags);
        allocator_give_locked(allocator, chain);
        return;
    }
    {
        std::lock_guard guard(parent->allocator->lock);
        remove_child(&parent->first_child, pool);
    }
    retire_home(chain, flags);
    allocator_give(allocator, chain);
}

// --- The plain child's short path.
//
// Most pools are a per-request child of a long-lived parent: made with no
// options by the thread that makes the parent's children (on its own
// list), on the parent's allocator, with no limit above it, not checked.
// Such a create and, when the child holds nothing but its home block and
// registered nothing, its destroy take and give the home block straight
// from and to the allocator's list of its size and link or unlink the
// child, under one acquisition of the allocator's lock, and skip the plan,
// the teardown walk and the charge of the general path. Each returns "does
// not apply" (NULL, false) before it changes anything, and the general path
// then does the work: the first children (the list of their size is still
// empty), decay on (the general path looks at the clock), a full list.

// Flags a pool on the short path does not have: a limit to uncharge, an
// allocator to destroy, lanes, checkers to tell, a home block for no list.
// A parent's children go on its own list and are not checked when it has
// none of kConcurrent, kChecked and kDebug.
constexpr uint8_t kNotShortPath = kHasLimit | kOwnsAllocator | kConcurrent | kChecked | kDebug | kOddHome;
constexpr uint8_t kNoShortPathChildren = kConcurrent | kChecked | kDebug;

// Both look at the debug quarantine first: a pool given that may be in it
// may be one destroyed, and only the general path may read it (after
// check_not_destroyed()). Only an address of the quarantine (or one sharing
// its filter counter) may be: a debug subtree destroyed elsewhere leaves
// the short path to every other pool.
mpool_t *create_on_short_path(mpool_t *parent) {
    if (may_be_quarantined(parent) || (parent->flags & kNoShortPathChildren) ||
        parent->limiter || parent->lanes.load(std::memory_order_relaxed) != thread_marker())
        return nullptr;
    size_t wanted = parent->child_sizing.wanted();
    size_t size = class_size_for(wanted < MPOOL_MAX_BLOCK_SIZE ? wanted : MPOOL_MAX_BLOCK_SIZE);
    mpool_allocator *allocator = parent->allocator;
    std::lock_guard guard(allocator->lock);
    mpool__block *home = allocator_pop_locked(allocator, size);
    if (!home) return nullptr;
    mpool_t *pool = init_header(home, size, parent, allocator, 0);
    region_start_plain(&pool->region, home, block_payload(home) + kPoolHeader);
    // The block may be a debug pool's that another thread destroyed since
    // the look above: it went into the quarantine before its block came back
    // under this lock, so the look here sees it, and the new pool leaves it.
    if (may_be_quarantined(pool)) check_pool_made(pool);
    link_on_own_list_locked(parent, pool);
    return pool;
}

// Out of the short destroy's way: what a pool that took more blocks than
// its home block filled (in *used), and those blocks, as one chain.
[[gnu::noinline]] mpool__block *take_other_blocks(mpool__region *r, const mpool__block *home, size_t *used) {
    *used = region_filled_bytes(r, home);
    return region_take_blocks(r, home);
}

// The destroy looks at the state under the allocator's lock, where a walk
// enters the children of the own list (walk_entry.cpp): a pool a walk is
// inside goes the general way, which waits for the walk to leave. So every
// change to the pool is made under the lock.
bool destroy_on_short_path(mpool_t *pool) {
    if (may_be_quarantined(pool)) return false;
    mpool_t *parent = pool->parent;
    mpool__block *home = home_block(pool);
    mpool__region *r = &pool->region;
    if (!parent || (pool->flags & kNotShortPath) || pool->limiter || pool->annex || pool->first_child ||
        first_lane(pool) || lane_of(pool) || pool->allocator != parent->allocator)
        return false;
    mpool_allocator *allocator = pool->allocator;
    std::lock_guard guard(allocator->lock);
    if (!live_with_no_walk_inside(pool)) return false;
    pool_validate(pool);
    if (pool->owner) *pool->owner = nullptr;
    size_t used;
    mpool__block *others = nullptr; // the blocks a request filled past its home block
    if (r->current == home && !r->used && !r->spare && !r->large)
        used = home->size - static_cast<size_t>(block_end(home) - r->cursor.ptr); // region_filled_bytes() of one block
    else
        others = take_other_blocks(r, home, &used);
    parent->child_sizing.record_destroy(used);
    store_state(pool, pool_state::destroyed);
    remove_child(&parent->first_child, pool);
    if (!allocator_push_locked(allocator, home)) allocator_give_locked(allocator, home);
    if (others) allocator_give_locked(allocator, others);
    return true;
}

// The general create: any parent (NULL: a root), any options.
[[gnu::noinline]] mpool_t *create_pool(mpool_t *parent, const mpool_options_t *options) {
    check_not_destroyed(parent, "mpool_create");
    CreatePlan plan;
    if (plan_create(parent, options, &plan) != 0) return static_cast<mpool_t *>(fail_invalid());
    if (!plan.allocator) {
        if (!(plan.allocator = allocator_make_held())) return fail_create(parent, options, plan.wanted);
        plan.flags |= kOwnsAllocator;
    } else if (plan.allocator != (parent ? parent->allocator : nullptr) && allocator_is_held(plan.allocator) &&
               !allocator_held_from(parent, plan.allocator)) {
        allocator_hold(plan.allocator); // another root's allocator, given in the options outside its holders' trees
        plan.flags |= kOwnsAllocator;
    }
    if (is_plain_child(parent, plan)) {
        mpool_t *pool = create_plain_child(parent, plan, options);
        return pool ? pool : fail_create(parent, options, plan.wanted);
    }
    mpool__block *home = take_home(parent, plan);
    if (home && plan.link == child_link::new_lane && !(plan.lane = lane_make(parent))) {
        home->next = nullptr;
        limits_release(parent->limiter, home->size);
        allocator_give(plan.allocator, home);
        home = nullptr;
    }
    if (!home) {
        if (plan.flags & kOwnsAllocator) allocator_release(plan.allocator);
        return fail_create(parent, options, plan.wanted);
    }
    mpool_t *pool = build_pool(home, parent, plan, options);
    if (parent) link_child(parent, pool, plan.lane);
    return pool;
}

} // namespace

namespace mpool::detail {

void link_child(mpool_t *parent, mpool_t *pool, mpool__lane *lane) {
    if (lane) {
        lane->child_sizing.need = sizing_decayed(lane->child_sizing.need);
        lane_link(lane, pool);
        return;
    }
    std::lock_guard guard(parent->allocator->lock);
    link_on_own_list_locked(parent, pool);
}

void free_pool(mpool_t *pool) {
    // A slot still named belongs to a live handle (a handle names none
    // before it destroys its pool: mpool.hpp). Written first, while every
    // block is still accessible: the handle may lie in the pool's own memory.
    if (pool->owner) *pool->owner = nullptr;
    if (is_checked(pool)) check_pool_freed(pool);
    mpool_t *parent = pool->parent;
    mpool__block *home = home_block(pool);
    mpool__lane *lane = parent ? lane_of(pool) : nullptr;
    if (parent) record_use(parent, lane, pool);
    if (first_lane(pool)) lanes_release(pool);
    mpool_allocator *allocator = pool->allocator;
    uint8_t flags = pool->flags;
    mpool__block *chain = region_take_blocks(&pool->region, home);
    if (flags & kChecked) check_blocks_retired((flags & kDebug) != 0, chain, nullptr, true);
    home->next = chain;
    pool_release_charge(pool, home);
    store_state(pool, pool_state::destroyed);
    // The header lives in `home`: nothing of the pool is read once it is
    // unlinked (in a checked pool its home block is then made inaccessible).
    if (lane) {
        lane_unlink(lane, pool, home, flags);
    } else if (parent) {
        unlink_from_own_list(parent, pool, allocator, home, flags);
    } else {
        retire_home(home, flags);
        allocator_give(allocator, home);
    }
    if (flags & kOwnsAllocator) allocator_release(allocator); // the last holder destroys it
}

void reset_pool(mpool_t *pool) {
    char saved_tag[MPOOL_TAG_MAX + 1];
    size_t tag_length = 0;
    bool keep_tag = pool->tag && !is_concurrent(pool); // a concurrent pool's tag is in its record
    if (keep_tag) {
        tag_length = strnlen(pool->tag, MPOOL_TAG_MAX);
        std::memcpy(saved_tag, pool->tag, tag_length);
        // A tag in a block of its own (MPOOL_DEBUG=2 gives every allocation
        // one) is kept like a filled block, so restore_tag() finds it.
        if (mpool__block *b = region_unlink_large(&pool->region, pool->tag, SIZE_MAX))
            push_block(&pool->region.used, b);
    }
    check_pool_reset(pool); // from here, what the pool handed out is gone
    if (is_concurrent(pool)) lanes_reset(pool);
    region_reset(&pool->region, pool, home_block(pool), home_start(pool), true);
    if (is_concurrent(pool)) pool->region.cursor.end = pool->region.cursor.ptr;
    pool->annex = nullptr; // its memory went with the reset (the teardown left its lists empty)
    pool->marked = false;  // every mark is stale now
    pool->large_since_mark = 0;
    if (keep_tag) restore_tag(pool, saved_tag, tag_length);
    ++pool->clears;
}

void retire_home(mpool__block *home, uint8_t flags) {
    if (flags & kChecked) check_blocks_retired((flags & kDebug) != 0, home, nullptr, false);
}

} // namespace mpool::detail

extern "C" {

mpool_t *mpool_create(mpool_t *parent) {
    if (mpool_t *pool = parent ? create_on_short_path(parent) : nullptr) return pool;
    return create_pool(parent, nullptr);
}

mpool_t *mpool_create_ex(mpool_t *parent, const mpool_options_t *options) {
    if (mpool_t *pool = parent && !options ? create_on_short_path(parent) : nullptr) return pool;
    return create_pool(parent, options);
}

void mpool_clear(mpool_t *pool) {
    if (pool) teardown(pool, teardown_end::clear);
}

void mpool_destroy(mpool_t *pool) {
    if (pool && !destroy_on_short_path(pool)) teardown(pool, teardown_end::destroy);
}

void mpool_set_tag(mpool_t *pool, const char *tag) {
    if (!pool) return;
    check_not_destroyed(pool, "mpool_set_tag");
    if (!tag) {
        pool->tag = nullptr;
        return;
    }
    size_t length = strnlen(tag, MPOOL_TAG_MAX);
    char *copy = is_concurrent(pool) ? concurrent_of(pool)->tag : static_cast<char *>(mpool__alloc_nonnull(pool, length + 1));
    if (!copy) return;
    // A concurrent pool's copy is its record, which `tag` may lie in
    // (mpool_tag(pool) + 1): memmove copies the text as it was on entry.
    std::memmove(copy, tag, length);
    copy[length] = '\0';
    pool->tag = copy;
}

const char *mpool_tag(const mpool_t *pool) {
    check_not_destroyed(pool, "mpool_tag");
    return pool ? pool->tag : nullptr;
}

void mpool__set_owner(mpool_t *pool, mpool_t **slot) {
    if (!pool) return;
    check_not_destroyed(pool, "mpool__set_owner");
    pool->owner = slot;
}

mpool_t *mpool_parent(const mpool_t *pool) {
    check_not_destroyed(pool, "mpool_parent");
    return pool ? pool->parent : nullptr;
}

int mpool_is_ancestor(const mpool_t *ancestor, const mpool_t *pool) {
    check_not_destroyed(ancestor, "mpool_is_ancestor");
    check_not_destroyed(pool, "mpool_is_ancestor");
    if (!ancestor) return 0;
    for (const mpool_t *p = pool; p; p = p->parent)
        if (p == ancestor) return 1;
    return 0;
}

void *mpool_extra(const mpool_t *pool) {
    check_not_destroyed(pool, "mpool_extra");
    if (!pool || !(pool->flags & kHasExtra)) return nullptr;
    return reinterpret_cast<char *>(extra_of(pool)) + kExtraRecord;
}

mpool_allocator_t *mpool_get_allocator(const mpool_t *pool) {
    check_not_destroyed(pool, "mpool_get_allocator");
    return pool ? pool->allocator : nullptr;
}

} // extern "C"
