// region.cpp - carving allocations out of blocks (see region.hpp).
//
// A full block is replaced by a spare one (kept by an earlier reset) or a
// new one, whose size doubles with each new block up to
// MPOOL_MAX_BLOCK_SIZE, and holds at least four requests of the size that
// asked for it (or is cut to what a limit still allows). The new
// block becomes current only when it has more room left than the old one,
// so a request that nearly fills a new block does not throw away the old
// block's free tail. A request larger than MPOOL_LARGE_THRESHOLD gets a
// block of its own, which leaves the cursor and the growth sequence alone.
//
// The cursor shows at most kWindow bytes of the current block at a time;
// when the inline path finds the window used up, region_alloc() moves it
// on (one out-of-line call per 16 KiB allocated).
#include "region.hpp"

#include "check.hpp"
#include "pool.hpp"

namespace mpool::detail {

namespace {

// Bytes the current block really has left (the window may show fewer).
size_t real_room(const mpool__region *r) {
    return r->current ? static_cast<size_t>(block_end(r->current) - r->cursor.ptr) : 0;
}


char *alloc_large(mpool__region *r, mpool_t *owner, size_t span, size_t alignment) {
    size_t block_size = kBlockHeader + lead_of(r) + (alignment - kAlign) + span; // cannot wrap: span <= kMaxRequest + 2 * MPOOL_MAX_ALIGNMENT
    mpool__block *b = pool_take_block(owner, block_size, block_size);
    if (!b) return nullptr;
    if (r->checked) check_block_taken(b, block_payload(b));
    push_block(&r->large, b);
    return align_ptr(block_payload(b) + lead_of(r), alignment);
}

char *alloc_in_new_block(mpool__region *r, mpool_t *owner, mpool__block *home, size_t rounded, size_t alignment) {
    size_t need = kBlockHeader + lead_of(r) + (alignment - kAlign) + rounded;
    mpool__block *b = take_first_fitting(&r->spare, need);
    if (!b) {
        // At least four such requests per block: a block barely larger than
        // one request would waste up to half of itself in its tail.
        size_t for_request = class_size_for(need < MPOOL_MAX_BLOCK_SIZE / 4 ? need * 4 : MPOOL_MAX_BLOCK_SIZE);
        size_t wanted = r->next_block_size < for_request ? for_request : r->next_block_size;
        b = pool_take_block(owner, wanted, need);
        if (!b) return nullptr;
        if (b->size >= wanted) r->next_block_size = static_cast<uint32_t>(next_class_size(wanted)); // not when cut to a limit
        if (r->checked) check_block_taken(b, block_payload(b)); // spares were made inaccessible when kept
    }
    char *ptr = block_payload(b) + lead_of(r);
    char *end = block_end(b);
    char *result = carve(&ptr, end, rounded, alignment);
    MPOOL_ASSERT(result, "a block of `need` bytes holds the request");
    if (static_cast<size_t>(end - ptr) >= real_room(r)) {
        if (r->current && r->current != home) push_block(&r->used, r->current);
        region_start(r, b, ptr);
    } else {
        push_block(&r->used, b);
    }
    return result;
}

} // namespace

void *region_alloc(mpool__region *r, mpool_t *owner, mpool__block *home, size_t size, size_t alignment) {
    if (alignment == kAlign && !r->checked)
        if (char *result = region_bump_past_window(r, size)) return result;
    size_t rounded;
    if (size > kMaxRequest || !align_up(size ? size : 1, kAlign, &rounded)) return nullptr;
    // A checked region puts a redzone after the allocation (checks.hpp).
    size_t span = rounded + (r->checked ? kRedzone : 0);
    char *result = nullptr;
    if (rounded > MPOOL_LARGE_THRESHOLD || (r->checked && check_own_blocks(owner))) {
        result = alloc_large(r, owner, span, alignment);
    } else if (r->current && (result = carve(&r->cursor.ptr, block_end(r->current), span, alignment))) {
        set_window(r); // the window was what stopped the inline path
    } else {
        result = alloc_in_new_block(r, owner, home, span, alignment);
    }
    if (!result) return nullptr;
    if (r->checked) check_on_alloc(owner, result, size);
    r->cursor.requested += size;
    return result;
}

void region_reset(mpool__region *r, mpool_t *owner, mpool__block *home, char *from, bool keep) {
    mpool__block *filled = r->used;
    if (r->current && r->current != home) push_block(&filled, r->current);
    if (r->checked) {
        check_blocks_retired(is_debug(owner), filled, nullptr, true);
        check_blocks_retired(is_debug(owner), r->large, nullptr, true);
        if (home) check_blocks_retired(is_debug(owner), home, from, false);
    }
    mpool__block *give = r->large;
    move_blocks(&give, r->spare);
    if (keep) {
        r->spare = filled;
    } else {
        move_blocks(&give, filled);
        r->spare = nullptr;
    }
    r->used = r->large = nullptr;
    pool_give_blocks(owner, give);
    if (home) {
        region_start(r, home, from);
    } else {
        r->current = nullptr;
        r->cursor.ptr = r->cursor.end = nullptr;
    }
    r->cursor.requested = 0;
}

mpool__block *region_take_blocks(mpool__region *r, const mpool__block *home) {
    mpool__block *chain = r->used;
    if (r->current && r->current != home) push_block(&chain, r->current);
    move_blocks(&chain, r->spare);
    move_blocks(&chain, r->large);
    r->used = r->spare = r->large = r->current = nullptr;
    r->cursor.ptr = r->cursor.end = nullptr;
    return chain;
}

void region_add_stats(const mpool__region *r, const mpool__block *home, mpool_stats_t *out) {
    if (r->current && r->current != home) {
        out->blocks += 1;
        out->bytes_reserved += r->current->size;
    }
    add_block_stats(r->used, out);
    add_block_stats(r->spare, out);
    add_block_stats(r->large, out);
}

bool region_resize_last(mpool__region *r, char *p, size_t old_rounded, size_t new_rounded) {
    if (!r->current || p + old_rounded != r->cursor.ptr || new_rounded > static_cast<size_t>(block_end(r->current) - p))
        return false;
    r->cursor.ptr = p + new_rounded;
    set_window(r);
    return true;
}

bool region_is_last(const mpool__region *r, const char *p, size_t rounded) {
    // Compared as integers: p may lie in any block, or in none.
    uintptr_t start = reinterpret_cast<uintptr_t>(p);
    uintptr_t span = rounded + (r->checked ? kRedzone : 0);
    return r->current && start >= reinterpret_cast<uintptr_t>(block_payload(r->current)) &&
           start + span == reinterpret_cast<uintptr_t>(r->cursor.ptr);
}

bool region_give_back_last(mpool__region *r, char *p, size_t rounded) {
    if (!region_is_last(r, p, rounded)) return false;
    r->cursor.ptr = p;
    set_window(r);
    return true;
}

mpool__block *region_unlink_large(mpool__region *r, const void *p, size_t newest) {
    const char *c = static_cast<const char *>(p);
    for (mpool__block **link = &r->large; *link && newest-- > 0; link = &(*link)->next) {
        mpool__block *b = *link;
        if (c >= block_payload(b) && c < block_end(b)) {
            *link = b->next;
            return b;
        }
    }
    return nullptr;
}

bool region_can_rewind(const mpool__region *r, const mpool__block *home, const region_position &at) {
    if (!at.current) return !r->current || r->current == home; // a fresh region
    // The mark's block is current, or the home block (which never goes to
    // `used`), or was filled since and is in `used`; the mark's head of
    // `used` is still in it. (The cursor may be behind the mark's: a realloc
    // shrank the last allocation in place.)
    bool found_head = at.used == nullptr, found_current = at.current == r->current || at.current == home;
    for (const mpool__block *b = r->used; b; b = b->next) {
        if (b == at.current) found_current = true;
        if (b == at.used) found_head = true;
    }
    return found_current && found_head;
}

void region_rewind(mpool__region *r, mpool_t *owner, const region_position &at) {
    bool fill = r->checked && is_debug(owner);
    // Blocks filled since the mark: the front of `used`, and the current
    // block. All become spares but the mark's own block.
    mpool__block *since = nullptr;
    while (r->used != at.used) {
        mpool__block *b = r->used;
        r->used = b->next;
        if (b != at.current) push_block(&since, b);
    }
    if (r->current != at.current) push_block(&since, r->current);
    if (r->checked) {
        check_blocks_retired(fill, since, nullptr, true);
        if (at.current) check_blocks_retired(fill, at.current, at.ptr, false);
    }
    move_blocks(&r->spare, since);
    // Large blocks taken since: in front of the mark's newest. When that one
    // is gone (mpool_realloc() keeps it for a valid mark: a stale mark), what
    // lies in front cannot be told apart from older blocks: all stay until
    // the next clear.
    mpool__block **link = &r->large;
    while (*link && *link != at.large) link = &(*link)->next;
    if (*link == at.large && link != &r->large) { // found, with blocks in front of it: one pass
        mpool__block *give = r->large;
        *link = nullptr; // ends the chain given back
        r->large = at.large;
        if (r->checked) check_blocks_retired(fill, give, nullptr, true);
        pool_give_blocks(owner, give);
    }
    r->current = at.current;
    r->cursor.ptr = at.ptr;
    if (at.current)
        set_window(r);
    else
        r->cursor.end = nullptr;
    r->cursor.requested = at.requested;
}

void region_validate(const mpool__region *r, const mpool__block *home) {
#ifndef NDEBUG
    if (!r->current) {
        MPOOL_ASSERT(!r->cursor.ptr && !r->cursor.end, "no current block, no cursor");
        return;
    }
    MPOOL_ASSERT(r->cursor.ptr <= r->cursor.end && r->cursor.end <= block_end(r->current),
                 "the cursor lies inside the current block");
    MPOOL_ASSERT(static_cast<size_t>(r->cursor.end - r->cursor.ptr) <= kWindow, "the window shows at most kWindow bytes");
    MPOOL_ASSERT(reinterpret_cast<uintptr_t>(r->cursor.ptr) % kAlign == 0 &&
                     reinterpret_cast<uintptr_t>(r->cursor.end) % kAlign == 0,
                 "the room is a multiple of the alignment");
    for (const mpool__block *list : {r->used, r->spare, r->large})
        for (const mpool__block *b = list; b; b = b->next)
            MPOOL_ASSERT(b != home && b != r->current, "every block is in exactly one list");
#else
    (void)r;
    (void)home;
#endif
}

} // namespace mpool::detail
