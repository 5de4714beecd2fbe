// strings.cpp - string copies, concatenation and formatting into a pool.
//
// mpool_vprintf formats straight into the free space of the current block
// and only formats a second time, into a new allocation, when the result did
// not fit there.
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "pool.hpp"

using namespace mpool::detail;

namespace {

char *copy_string(mpool_t *pool, const char *s, size_t length) {
    char *copy = static_cast<char *>(mpool__alloc_nonnull(pool, length + 1));
    if (!copy) return nullptr;
    std::memcpy(copy, s, length);
    copy[length] = '\0';
    return copy;
}

} // namespace

extern "C" {

char *mpool_strdup(mpool_t *pool, const char *s) {
    if (!pool || !s) return static_cast<char *>(fail_invalid());
    return copy_string(pool, s, std::strlen(s));
}

char *mpool_strndup(mpool_t *pool, const char *s, size_t n) {
    if (!pool || !s) return static_cast<char *>(fail_invalid());
    return copy_string(pool, s, strnlen(s, n));
}

char *mpool_strcat(mpool_t *pool, ...) {
    if (!pool) return static_cast<char *>(fail_invalid());
    va_list ap;
    va_start(ap, pool);
    size_t total = 0;
    bool too_long = false;
    for (const char *part; (part = va_arg(ap, const char *));) too_long |= __builtin_add_overflow(total, std::strlen(part), &total);
    va_end(ap);
    if (too_long || total == SIZE_MAX) return static_cast<char *>(fail_no_memory(pool, SIZE_MAX));

    char *result = static_cast<char *>(mpool__alloc_nonnull(pool, total + 1));
    if (!result) return nullptr;
    char *out = result;
    va_start(ap, pool);
    for (const char *part; (part = va_arg(ap, const char *));) {
        size_t length = std::strlen(part);
        std::memcpy(out, part, length);
        out += length;
    }
    va_end(ap);
    *out = '\0';
    return result;
}

char *mpool_vprintf(mpool_t *pool, const char *fmt, va_list ap) {
    if (!pool || !fmt) return static_cast<char *>(fail_invalid());
    va_list retry;
    va_copy(retry, ap);
    char *room = pool->region.cursor.ptr;
    size_t room_size = static_cast<size_t>(pool->region.cursor.end - room);
    int length = std::vsnprintf(room_size ? room : nullptr, room_size, fmt, ap);
    char *result = nullptr;
    if (length < 0) {
        fail_invalid();
    } else if (static_cast<size_t>(length) < room_size) {
        result = static_cast<char *>(mpool__alloc_nonnull(pool, static_cast<size_t>(length) + 1)); // takes `room` itself
    } else if ((result = static_cast<char *>(mpool__alloc_nonnull(pool, static_cast<size_t>(length) + 1)))) {
        std::vsnprintf(result, static_cast<size_t>(length) + 1, fmt, retry);
    }
    va_end(retry);
    return result;
}

char *mpool_printf(mpool_t *pool, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *result = mpool_vprintf(pool, fmt, ap);
    va_end(ap);
    return result;
}

} // extern "C"
