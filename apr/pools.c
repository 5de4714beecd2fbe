/*
 * pools.c - APR pools made of mpool pools: initialization, the global pool,
 * creation, clear and destroy, and the tree's properties.
 *
 * A pool created with parent NULL becomes a child of the global pool made
 * by apr_pool_initialize() (an unmanaged pool is a root of its own). Clear
 * and destroy are mpool's: mpool runs the pool's APR pre-cleanups, destroys
 * its children newest first, runs its APR cleanups (through the hooks of
 * cleanups.c), and takes its memory back.
 */
#include "shim.h"

#include <apr_atomic.h>

apr_pool_t *shim_global_pool = NULL;

static unsigned pools_initialized = 0; /* apr_pool_initialize() calls not yet matched by terminate */

/* Allocators whose owner pool went in a teardown that is still running on
 * this thread (a pool's blocks go back after its cleanups ran, so the
 * allocator they go back to must outlive the whole teardown). */
static _Thread_local unsigned teardown_depth = 0;

void shim_teardown_begin(void) { ++teardown_depth; }

void shim_teardown_end(void) {
    if (--teardown_depth == 0) shim_allocator_destroy_pending();
}

void shim_out_of_memory(apr_pool_t *pool) {
    shim_pool *record = pool ? shim_of(pool) : NULL;
    if (record && record->abort_fn) record->abort_fn(APR_ENOMEM);
}

/* Makes a pool: a child of `parent` (NULL: a root) that takes its blocks
 * from `allocator`'s mpool allocator. */
static apr_status_t make_pool(apr_pool_t **newpool, apr_pool_t *parent, apr_abortfunc_t abort_fn,
                              apr_allocator_t *allocator) {
    mpool_options_t options = {0};
    options.extra_size = sizeof(shim_pool);
    /* A child that shares its parent's allocator shares its mpool allocator:
     * mpool then recycles its blocks through the parent's thread caches. */
    if (!parent || shim_of(parent)->allocator != allocator) options.allocator = allocator->blocks;
    mpool_t *pool = mpool_create_ex(parent ? mpool_of(parent) : NULL, &options);
    if (!pool) {
        if (abort_fn) abort_fn(APR_ENOMEM);
        return APR_ENOMEM;
    }
    shim_pool *record = mpool_extra(pool);
    record->allocator = allocator;
    record->abort_fn = abort_fn;
    record->pool = pool;
    shim_count_pool();
    *newpool = (apr_pool_t *)pool;
    return APR_SUCCESS;
}

SHIM_API apr_status_t apr_pool_initialize(void) {
    if (pools_initialized++) return APR_SUCCESS;
    apr_allocator_t *allocator = shim_allocator_create();
    if (!allocator) {
        pools_initialized = 0;
        return APR_ENOMEM;
    }
    apr_pool_t *global;
    apr_status_t status = make_pool(&global, NULL, NULL, allocator);
    if (status != APR_SUCCESS) {
        shim_allocator_destroy(allocator);
        pools_initialized = 0;
        return status;
    }
    shim_global_pool = global;
    mpool_set_tag(mpool_of(global), "apr_global_pool");
    /* What APR's own initialization does with its global pool: the atomics
     * (which may need a mutex), and a mutex for the global allocator, since
     * any thread makes children of the global pool. */
    if ((status = apr_atomic_init(global)) != APR_SUCCESS) return status;
#if APR_HAS_THREADS
    apr_thread_mutex_t *mutex;
    if ((status = apr_thread_mutex_create(&mutex, APR_THREAD_MUTEX_DEFAULT, global)) != APR_SUCCESS) return status;
    apr_allocator_mutex_set(allocator, mutex);
#endif
    apr_allocator_owner_set(allocator, global);
    return APR_SUCCESS;
}

SHIM_API void apr_pool_terminate(void) {
    if (!pools_initialized || --pools_initialized) return;
    apr_pool_t *global = shim_global_pool;
    shim_teardown_begin();
    mpool_destroy(mpool_of(global)); /* its allocator goes with it: the global pool owns it */
    shim_global_pool = NULL;
    shim_teardown_end();
}

SHIM_API apr_status_t apr_pool_create_ex(apr_pool_t **newpool, apr_pool_t *parent, apr_abortfunc_t abort_fn,
                                         apr_allocator_t *allocator) {
    *newpool = NULL;
    if (!parent) parent = shim_global_pool;
    if (!parent && !allocator) return APR_ENOPOOL; /* APR would crash: apr_pool_initialize() was not called */
    if (!abort_fn && parent) abort_fn = shim_of(parent)->abort_fn;
    if (!allocator) allocator = shim_of(parent)->allocator;
    return make_pool(newpool, parent, abort_fn, allocator);
}

SHIM_API apr_status_t apr_pool_create_unmanaged_ex(apr_pool_t **newpool, apr_abortfunc_t abort_fn,
                                                   apr_allocator_t *allocator) {
    *newpool = NULL;
    if (!pools_initialized) return APR_ENOPOOL;
    apr_allocator_t *own = NULL;
    if (!allocator && !(allocator = own = shim_allocator_create())) {
        if (abort_fn) abort_fn(APR_ENOMEM);
        return APR_ENOMEM;
    }
    apr_status_t status = make_pool(newpool, NULL, abort_fn, allocator);
    if (status != APR_SUCCESS) {
        if (own) shim_allocator_destroy(own);
        return status;
    }
    if (own) apr_allocator_owner_set(own, *newpool); /* the pool destroys the allocator it made */
    return APR_SUCCESS;
}

SHIM_API apr_status_t apr_pool_create_core_ex(apr_pool_t **newpool, apr_abortfunc_t abort_fn,
                                              apr_allocator_t *allocator) {
    return apr_pool_create_unmanaged_ex(newpool, abort_fn, allocator);
}

/* APR declares the pool of clear and destroy nonnull (and dereferences a
 * NULL one); here both are no-ops for NULL, through mpool's own checks. */
SHIM_API void apr_pool_clear(apr_pool_t *pool) {
    shim_pool *record = shim_of(pool);
    if (!record) return;
    shim_teardown_begin();
    record->clearing = 1;
    mpool_clear(mpool_of(pool));
    record->clearing = 0;
    /* The records lived in the memory the clear took back. */
    record->cleanups = record->pre_cleanups = record->free_cleanups = NULL;
    record->subprocesses = NULL;
    record->userdata = NULL;
    record->hooks = 0;
    /* An owner keeps its hook: its destroy must retire the allocator. */
    if (record->allocator->owner == pool) shim_hook_post(pool, record);
    shim_teardown_end();
}

SHIM_API void apr_pool_destroy(apr_pool_t *pool) {
    shim_teardown_begin();
    mpool_destroy(mpool_of(pool));
    shim_teardown_end();
}

SHIM_API void apr_pool_abort_set(apr_abortfunc_t abort_fn, apr_pool_t *pool) { shim_of(pool)->abort_fn = abort_fn; }

SHIM_API apr_abortfunc_t apr_pool_abort_get(apr_pool_t *pool) { return shim_of(pool)->abort_fn; }

SHIM_API apr_pool_t *apr_pool_parent_get(apr_pool_t *pool) { return (apr_pool_t *)mpool_parent(mpool_of(pool)); }

SHIM_API apr_allocator_t *apr_pool_allocator_get(apr_pool_t *pool) { return shim_of(pool)->allocator; }

/* NULL is an ancestor of every pool (APR's rule); a pool is its own. */
SHIM_API int apr_pool_is_ancestor(apr_pool_t *a, apr_pool_t *b) {
    return a == NULL || mpool_is_ancestor(mpool_of(a), mpool_of(b));
}

/* APR keeps the pointer and never reads it back but in debug builds;
 * mpool keeps a copy, which its reports show. */
SHIM_API void apr_pool_tag(apr_pool_t *pool, const char *tag) { mpool_set_tag(mpool_of(pool), tag); }
