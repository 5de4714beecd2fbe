// format.hpp - printf-style formatting into pool memory (format.cpp).
#ifndef MPOOL_SRC_FORMAT_HPP
#define MPOOL_SRC_FORMAT_HPP

#include <cstdarg>

struct mpool_pool;

namespace mpool::detail {

// Formats `fmt` with the arguments in `ap` as vsnprintf does, in one pass,
// into one allocation of the pool that holds the result and its terminator
// (length + 1 bytes, as bytes_allocated counts it). NULL with errno on
// failure: EINVAL (a format error, %n, a positional argument), EOVERFLOW
// (the result would be over INT_MAX bytes, or a width or precision is),
// EILSEQ (a wide character the locale cannot convert), ENOMEM (handler
// called). `ap` is used as vsnprintf uses it.
char *format_to_pool(mpool_pool *pool, const char *fmt, va_list ap);

} // namespace mpool::detail

#endif
