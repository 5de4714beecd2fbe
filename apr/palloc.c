/*
 * palloc.c - allocation from an APR pool: apr_palloc, apr_pcalloc and the
 * formatted strings.
 *
 * apr_palloc() is mpool_alloc(), whose fast path is inlined here. Failure
 * follows APR: the pool's abort function is called with APR_ENOMEM (it
 * normally does not return), then NULL is returned.
 *
 * apr_pvsprintf() formats with APR's own formatter (apr_vformatter, which
 * knows APR's conversions such as %pm and %pT) straight into the pool: the
 * string is the pool's most recent allocation while it grows, so
 * mpool_realloc() grows it in place while the block has room, and shrinks
 * it to its length at the end.
 */
#include "shim.h"

#include <apr_lib.h>

SHIM_API void *apr_palloc(apr_pool_t *pool, apr_size_t size) {
    void *memory = mpool_alloc(mpool_of(pool), size);
    if (!memory) shim_out_of_memory(pool);
    return memory;
}

SHIM_API void *apr_pcalloc(apr_pool_t *pool, apr_size_t size) {
    void *memory = mpool_calloc(mpool_of(pool), 1, size);
    if (!memory) shim_out_of_memory(pool);
    return memory;
}

/* A string being formatted: the formatter's window on it, and the pool
 * allocation that holds it. */
typedef struct format_buffer {
    apr_vformatter_buff_t window; /* must be first: the formatter hands it back to flush */
    mpool_t *pool;
    char *start;                  /* the allocation */
    apr_size_t size;              /* its size; the window ends a byte short, for the terminator */
} format_buffer;

/* The formatter filled the window: double the allocation. */
static int grow(apr_vformatter_buff_t *window) {
    format_buffer *buffer = (format_buffer *)window;
    apr_size_t used = (apr_size_t)(window->curpos - buffer->start);
    apr_size_t size = buffer->size * 2;
    if (size < buffer->size) return -1;
    char *start = mpool_realloc(buffer->pool, buffer->start, buffer->size, size);
    if (!start) return -1;
    buffer->start = start;
    buffer->size = size;
    window->curpos = start + used;
    window->endpos = start + size - 1;
    return 0;
}

#define FIRST_FORMAT_SIZE 128

SHIM_API char *apr_pvsprintf(apr_pool_t *pool, const char *fmt, va_list ap) {
    format_buffer buffer;
    buffer.pool = mpool_of(pool);
    buffer.size = FIRST_FORMAT_SIZE;
    buffer.start = mpool_alloc(buffer.pool, buffer.size);
    if (!buffer.start) {
        shim_out_of_memory(pool);
        return NULL;
    }
    buffer.window.curpos = buffer.start;
    buffer.window.endpos = buffer.start + buffer.size - 1;
    if (apr_vformatter(grow, &buffer.window, fmt, ap) == -1) {
        shim_out_of_memory(pool);
        return NULL;
    }
    *buffer.window.curpos = '\0';
    apr_size_t length = (apr_size_t)(buffer.window.curpos - buffer.start) + 1;
    return mpool_realloc(buffer.pool, buffer.start, buffer.size, length); /* shrinks in place */
}

SHIM_API char *apr_psprintf(apr_pool_t *pool, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *result = apr_pvsprintf(pool, fmt, ap);
    va_end(ap);
    return result;
}
