// small_copy.hpp - a copy of a few bytes without a call to memcpy: the
// string helpers copy parts of a few bytes each, where the call and
// memcpy's dispatch on the size cost more than the copy (mpool_strcat of 5
// short parts: 28 ns with memcpy, 18 ns without, in the comparison
// benchmark).
#ifndef MPOOL_SRC_SMALL_COPY_HPP
#define MPOOL_SRC_SMALL_COPY_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mpool::detail {

// Two loads of `Word` that may overlap (the first and the last sizeof(Word)
// bytes), then two stores, as memcpy does inside: reads and writes only the
// n bytes, for sizeof(Word) <= n <= 2 * sizeof(Word).
template <class Word> inline void copy_overlapping(char *to, const char *from, size_t n) {
    Word head, tail;
    std::memcpy(&head, from, sizeof head);
    std::memcpy(&tail, from + n - sizeof tail, sizeof tail);
    std::memcpy(to, &head, sizeof head);
    std::memcpy(to + n - sizeof tail, &tail, sizeof tail);
}

struct copy_word16 {
    uint64_t low, high;
};

// memcpy(to, from, n) for regions that do not overlap; inline up to 32 bytes.
inline void copy_small(char *to, const char *from, size_t n) {
    if (n >= 8) {
        if (n <= 16) copy_overlapping<uint64_t>(to, from, n);
        else if (n <= 32) copy_overlapping<copy_word16>(to, from, n);
        else std::memcpy(to, from, n);
    } else if (n >= 4) {
        copy_overlapping<uint32_t>(to, from, n);
    } else if (n >= 2) {
        copy_overlapping<uint16_t>(to, from, n);
    } else if (n == 1) {
        *to = *from;
    }
}

} // namespace mpool::detail

#endif
