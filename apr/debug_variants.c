/*
 * debug_variants.c - the _debug entry points, which a program built with
 * APR_POOL_DEBUG calls (with the caller's file and line): the same as the
 * plain ones, as in a release build of APR.
 */
#include "shim.h"

SHIM_API void *apr_palloc_debug(apr_pool_t *pool, apr_size_t size, const char *file_line) {
    (void)file_line;
    return apr_palloc(pool, size);
}

SHIM_API void *apr_pcalloc_debug(apr_pool_t *pool, apr_size_t size, const char *file_line) {
    (void)file_line;
    return apr_pcalloc(pool, size);
}

SHIM_API void apr_pool_clear_debug(apr_pool_t *pool, const char *file_line) {
    (void)file_line;
    apr_pool_clear(pool);
}

SHIM_API void apr_pool_destroy_debug(apr_pool_t *pool, const char *file_line) {
    (void)file_line;
    apr_pool_destroy(pool);
}

SHIM_API apr_status_t apr_pool_create_ex_debug(apr_pool_t **newpool, apr_pool_t *parent, apr_abortfunc_t abort_fn,
                                               apr_allocator_t *allocator, const char *file_line) {
    (void)file_line;
    return apr_pool_create_ex(newpool, parent, abort_fn, allocator);
}

SHIM_API apr_status_t apr_pool_create_core_ex_debug(apr_pool_t **newpool, apr_abortfunc_t abort_fn,
                                                    apr_allocator_t *allocator, const char *file_line) {
    (void)file_line;
    return apr_pool_create_unmanaged_ex(newpool, abort_fn, allocator);
}

SHIM_API apr_status_t apr_pool_create_unmanaged_ex_debug(apr_pool_t **newpool, apr_abortfunc_t abort_fn,
                                                         apr_allocator_t *allocator, const char *file_line) {
    (void)file_line;
    return apr_pool_create_unmanaged_ex(newpool, abort_fn, allocator);
}
