// block.hpp - the header every block starts with, and size arithmetic that
// never wraps.
#ifndef MPOOL_SRC_BLOCK_HPP
#define MPOOL_SRC_BLOCK_HPP

#include <bit>
#include <cstddef>
#include <cstdint>

#include "mpool/mpool.h"

// A block as the allocator hands it out. The header sits at the block's
// start; the pool uses the bytes from block_payload() to block_end().
struct mpool__block {
    mpool__block *next; // next block in whichever list holds this one
    size_t size;        // bytes asked of the block source for it
};

namespace mpool::detail {

inline constexpr size_t kAlign = MPOOL_ALIGNMENT;

static_assert((kAlign & (kAlign - 1)) == 0, "MPOOL_ALIGNMENT must be a power of two");
static_assert(MPOOL_MAX_ALIGNMENT % kAlign == 0, "the largest alignment must be a multiple of the default");
// A C99 program's inline mpool_alloc() rounds sizes to mpool.h's fallback
// for MPOOL_ALIGNMENT; were it not the library's, the cursor would leave the
// alignment the library keeps, and could pass the end of the block.
static_assert(MPOOL__ALIGNMENT_C99 == kAlign,
              "mpool.h's C99 MPOOL_ALIGNMENT differs from alignof(max_align_t) here: fix struct mpool__max_align_c99");

// Rounds n up to a multiple of the power of two a; false when that wraps.
inline bool align_up(size_t n, size_t a, size_t *out) {
    if (n > SIZE_MAX - (a - 1)) return false;
    *out = (n + (a - 1)) & ~(a - 1);
    return true;
}

inline constexpr size_t align_up_const(size_t n, size_t a) { return (n + (a - 1)) & ~(a - 1); }

inline char *align_ptr(char *p, size_t a) {
    return reinterpret_cast<char *>(align_up_const(reinterpret_cast<uintptr_t>(p), a));
}

// Bytes from a block's start to its first usable byte.
inline constexpr size_t kBlockHeader = align_up_const(sizeof(mpool__block), kAlign);

inline char *block_payload(mpool__block *b) { return reinterpret_cast<char *>(b) + kBlockHeader; }

// One past the last usable byte, rounded down to the alignment so that a
// cursor that reaches it stays aligned.
inline char *block_end(mpool__block *b) {
    uintptr_t end = reinterpret_cast<uintptr_t>(b) + b->size;
    return reinterpret_cast<char *>(end & ~static_cast<uintptr_t>(kAlign - 1));
}

// Ordinary block sizes are 2^k - MPOOL_BLOCK_SLACK; these work on the 2^k.
inline constexpr size_t kMinClass = MPOOL_MIN_BLOCK_SIZE + MPOOL_BLOCK_SLACK;
inline constexpr size_t kMaxClass = MPOOL_MAX_BLOCK_SIZE + MPOOL_BLOCK_SLACK;

// True when size is one of the ordinary block sizes.
inline bool is_class_size(size_t size) {
    size_t power = size + MPOOL_BLOCK_SLACK;
    return power >= kMinClass && power <= kMaxClass && (power & (power - 1)) == 0;
}

// The smallest ordinary block size that is at least n (n at most
// MPOOL_MAX_BLOCK_SIZE).
inline size_t class_size_for(size_t n) {
    return n <= MPOOL_MIN_BLOCK_SIZE ? MPOOL_MIN_BLOCK_SIZE : std::bit_ceil(n + MPOOL_BLOCK_SLACK) - MPOOL_BLOCK_SLACK;
}

// The ordinary block size after `size` (the same at the top).
inline size_t next_class_size(size_t size) {
    return size >= MPOOL_MAX_BLOCK_SIZE ? MPOOL_MAX_BLOCK_SIZE : (size + MPOOL_BLOCK_SLACK) * 2 - MPOOL_BLOCK_SLACK;
}

// Index of an ordinary block size in the allocator's free lists. The
// builtin, not std::countr_zero: its argument is never 0, and without
// that case to handle it is one instruction (a create and a destroy each
// take one).
inline unsigned class_index(size_t size) {
    unsigned long long power = size + MPOOL_BLOCK_SLACK;
    return static_cast<unsigned>(__builtin_ctzll(power) - std::countr_zero(kMinClass));
}

inline constexpr unsigned kClassCount =
    static_cast<unsigned>(std::countr_zero(kMaxClass) - std::countr_zero(kMinClass)) + 1;

static_assert(std::has_single_bit(kMinClass) && std::has_single_bit(kMaxClass), "block sizes are 2^k - slack");

// Block lists, singly linked through `next`.

inline void push_block(mpool__block **list, mpool__block *b) {
    b->next = *list;
    *list = b;
}

// Moves every block of `list` onto *to.
inline void move_blocks(mpool__block **to, mpool__block *list) {
    while (mpool__block *b = list) {
        list = b->next;
        push_block(to, b);
    }
}

// Unlinks and returns the first block of *list with at least `need` bytes,
// or NULL.
inline mpool__block *take_first_fitting(mpool__block **list, size_t need) {
    for (mpool__block **link = list; *link; link = &(*link)->next) {
        mpool__block *b = *link;
        if (b->size >= need) {
            *link = b->next;
            return b;
        }
    }
    return nullptr;
}

// Adds the list's blocks to statistics.
inline void add_block_stats(const mpool__block *list, mpool_stats_t *out) {
    for (; list; list = list->next) {
        out->blocks += 1;
        out->bytes_reserved += list->size;
    }
}

// Everything below is used on allocation paths.

// No object may be larger than PTRDIFF_MAX (pointer differences must hold
// its size), block header and alignment padding included: larger requests
// fail without asking the block source.
inline constexpr size_t kMaxRequest = static_cast<size_t>(PTRDIFF_MAX) - kBlockHeader - MPOOL_MAX_ALIGNMENT;

// Bytes of padding that bring p up to `alignment`.
inline size_t padding_for(const char *p, size_t alignment) {
    return static_cast<size_t>(-reinterpret_cast<uintptr_t>(p)) & (alignment - 1);
}

// Carves `rounded` bytes aligned to `alignment` from [*ptr, end), or NULL.
inline char *carve(char **ptr, char *end, size_t rounded, size_t alignment) {
    size_t room = static_cast<size_t>(end - *ptr);
    size_t pad = padding_for(*ptr, alignment);
    if (pad > room || rounded > room - pad) return nullptr;
    char *result = *ptr + pad;
    *ptr = result + rounded;
    return result;
}

} // namespace mpool::detail

#endif
