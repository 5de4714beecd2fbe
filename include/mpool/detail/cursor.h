/*
 * mpool/detail/cursor.h - the part of a pool that the inline fast path reads.
 *
 * Not a public interface: nothing here is stable, and user code must not
 * touch these fields. It exists so that mpool_alloc() can be inlined into the
 * caller: every pool begins with a struct mpool__cursor, so a pool pointer is
 * also a pointer to its cursor (the C++ implementation static_asserts this).
 */
#ifndef MPOOL_DETAIL_CURSOR_H
#define MPOOL_DETAIL_CURSOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mpool__cursor {
    char *ptr;        /* next free byte of the current block; MPOOL_ALIGNMENT-aligned */
    char *end;        /* one past the last usable byte of the current block; aligned too */
    size_t requested; /* bytes handed out by allocation calls, as the callers asked */
};

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_DETAIL_CURSOR_H */
