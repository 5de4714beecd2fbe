// strings.cpp - string copies, concatenation and formatting into a pool.
//
// Each helper costs what the copy needs and one bump of the cursor:
// - mpool_strdup and mpool_memdup (inline in mpool.h): one strlen (for
//   strdup), mpool_alloc's inline bump, one memcpy that takes the terminator
//   along, in tail position.
// - mpool_strcat: one pass. Each part is measured and copied in turn
//   (inline up to 32 bytes: small_copy.hpp) straight into the room the
//   cursor shows in the current block, and the cursor is bumped over the
//   result at the end. When the room runs out (or the pool's cursor shows
//   none: a concurrent or checked pool), it starts again with two passes:
//   lengths (the first kRememberedParts kept on the stack), one allocation,
//   the copies.
// - mpool_vprintf: one pass of our own formatter, which writes into the
//   current block the same way and moves what it wrote to a bigger
//   allocation when the room runs out (format.cpp).
#include <cstdarg>
#include <cstring>

#include "format.hpp"
#include "pool.hpp"
#include "small_copy.hpp"

using namespace mpool::detail;

namespace {

// Parts of a concatenation whose lengths the two-pass way keeps.
constexpr size_t kRememberedParts = 8;

// The concatenation of the parts in `ap` (up to a NULL), in two passes.
[[gnu::noinline]] char *concatenate(mpool_t *pool, va_list ap) {
    va_list parts;
    va_copy(parts, ap);
    size_t lengths[kRememberedParts], total = 0, count = 0;
    bool too_long = false;
    for (const char *part; (part = va_arg(parts, const char *)); ++count) {
        size_t length = std::strlen(part);
        if (count < kRememberedParts) lengths[count] = length;
        too_long |= __builtin_add_overflow(total, length, &total);
    }
    va_end(parts);
    if (too_long || total == SIZE_MAX) return static_cast<char *>(fail_no_memory(pool, SIZE_MAX));
    char *result = static_cast<char *>(mpool__alloc_nonnull(pool, total + 1));
    if (!result) return nullptr;
    char *out = result;
    for (size_t i = 0; i < count; ++i) {
        const char *part = va_arg(ap, const char *);
        size_t length = i < kRememberedParts ? lengths[i] : std::strlen(part);
        std::memcpy(out, part, length);
        out += length;
    }
    *out = '\0';
    return result;
}

} // namespace

extern "C" {

char *mpool_strdup(mpool_t *pool, const char *s) {
    if (!pool || !s) return static_cast<char *>(fail_invalid());
    return static_cast<char *>(mpool__memdup_inline(pool, s, std::strlen(s) + 1)); // the terminator comes along
}

char *mpool_strndup(mpool_t *pool, const char *s, size_t n) {
    if (!pool || !s) return static_cast<char *>(fail_invalid());
    size_t length = strnlen(s, n);
    char *copy = static_cast<char *>(mpool__alloc_nonnull(pool, length + 1));
    if (!copy) return nullptr;
    std::memcpy(copy, s, length); // s[length] may not be there to copy
    copy[length] = '\0';
    return copy;
}

char *mpool_strcat(mpool_t *pool, ...) {
    if (!pool) return static_cast<char *>(fail_invalid());
    va_list ap;
    va_start(ap, pool);
    // Into the room the cursor shows (none in a concurrent or checked pool),
    // keeping a byte for the terminator.
    char *start = pool->region.cursor.ptr, *end = pool->region.cursor.end, *out = start;
    const char *part = start != end ? va_arg(ap, const char *) : "";
    for (; part; part = va_arg(ap, const char *)) {
        size_t length = std::strlen(part);
        if (length >= static_cast<size_t>(end - out)) break;
        copy_small(out, part, length);
        out += length;
    }
    va_end(ap);
    if (!part) {
        *out = '\0';
        return static_cast<char *>(mpool__alloc_nonnull(pool, static_cast<size_t>(out - start) + 1)); // takes `start` itself
    }
    va_start(ap, pool);
    char *result = concatenate(pool, ap);
    va_end(ap);
    return result;
}

char *mpool_vprintf(mpool_t *pool, const char *fmt, va_list ap) {
    if (!pool || !fmt) return static_cast<char *>(fail_invalid());
    check_not_destroyed(pool, "mpool_printf");
    return format_to_pool(pool, fmt, ap);
}

char *mpool_printf(mpool_t *pool, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *result = mpool_vprintf(pool, fmt, ap);
    va_end(ap);
    return result;
}

} // extern "C"
