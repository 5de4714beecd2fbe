/*
 * shim.h - the APR pool shim's private header: how an apr_pool_t and an
 * apr_allocator_t are made of mpool's public API.
 *
 * Design. An apr_pool_t * is an mpool_t *, cast: apr_palloc() is
 * mpool_alloc(), inlined, with nothing in between. What APR keeps per pool
 * and mpool does not (the abort function, the apr_allocator_t, APR's two
 * kinds of cleanups, subprocesses, the userdata table) is a `shim_pool`
 * record in the pool's extra area (mpool_extra()), which is part of the
 * pool's home block and survives mpool_clear(), as APR's pool struct
 * survives apr_pool_clear(). APR's cleanups are kept in the shim's own
 * lists, because their semantics are not mpool's (a plain and a child
 * function, kill by (data, plain function), status codes ignored, run from
 * inside a cleanup); they are hooked into mpool's teardown by one mpool
 * pre-cleanup and one mpool cleanup per pool, registered on the first APR
 * registration since the pool's last clear, so that mpool runs them at the
 * right point of its teardown (pre-cleanups, children, cleanups) of a pool
 * cleared or destroyed directly or as a descendant. A pool that registers
 * nothing pays for nothing.
 *
 * An apr_allocator_t owns one mpool_allocator_t, which the pools made with
 * it take their blocks from, and hands out apr_memnode_t nodes of its own
 * (over malloc, with free lists by size) to apr_allocator_alloc() callers
 * such as apr-util's bucket allocator. An allocator whose owner pool is
 * destroyed is destroyed once that teardown is over (mpool gives a pool's
 * blocks back after its cleanups ran, so it cannot go from a cleanup).
 */
#ifndef MPOOL_APR_SHIM_H
#define MPOOL_APR_SHIM_H

#include <apr_allocator.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include <stdatomic.h>
#include <stddef.h>

#include "mpool/mpool.h"

/* apr_pools.h maps some names to macros (apr_pcalloc to apr_palloc plus
 * memset, and the _debug variants when APR_POOL_DEBUG is set): the shim
 * defines the functions themselves. */
#undef apr_pcalloc
#undef apr_palloc
#undef apr_pool_create
#undef apr_pool_create_ex
#undef apr_pool_create_core_ex
#undef apr_pool_create_unmanaged_ex
#undef apr_pool_clear
#undef apr_pool_destroy
APR_DECLARE(void *) apr_pcalloc(apr_pool_t *p, apr_size_t size); /* declared by apr_pools.h for Doxygen only */

/* Exported from the shared library (the version script lists the APR
 * names; everything else, mpool included, stays inside). */
#define SHIM_API __attribute__((visibility("default")))

/* A registered APR cleanup: in the pool's memory, newest first. */
typedef struct shim_cleanup {
    struct shim_cleanup *next;              /* registered before this one (runs after it) */
    const void *data;                       /* argument of both functions */
    apr_status_t (*plain)(void *data);      /* run at clear and destroy; the key of kill and run */
    apr_status_t (*child)(void *data);      /* run by apr_pool_cleanup_for_exec(); NULL for a pre-cleanup */
} shim_cleanup;

/* A subprocess to reap (apr_pool_note_subprocess()): in the pool's memory. */
typedef struct shim_subprocess {
    struct shim_subprocess *next;
    apr_proc_t *proc;
    apr_kill_conditions_e how;
} shim_subprocess;

/* Which mpool hooks are registered on the pool since its last clear. */
enum shim_hook { SHIM_HOOK_PRE = 1u, SHIM_HOOK_POST = 2u };

/* What APR keeps per pool beyond mpool: the pool's extra area. Fields
 * marked "clear" are reset by apr_pool_clear() (their records lived in the
 * pool's memory); the others last as long as the pool. */
typedef struct shim_pool {
    apr_allocator_t *allocator;          /* the APR allocator the pool's blocks come from; never NULL */
    apr_abortfunc_t abort_fn;            /* called with APR_ENOMEM when memory cannot be had; may be NULL */
    shim_cleanup *cleanups;              /* clear: run after the children go */
    shim_cleanup *pre_cleanups;          /* clear: run before the children go */
    shim_cleanup *free_cleanups;         /* clear: killed records, reused by the next registration */
    shim_subprocess *subprocesses;       /* clear: reaped after the cleanups */
    apr_hash_t *userdata;                /* clear: key -> data, made on the first set */
    struct shim_pool *registry_prev;     /* with SHIM_HOOK_POST: the registry of pools with cleanups */
    struct shim_pool *registry_next;
    mpool_t *pool;                       /* the pool this record is the extra area of */
    unsigned hooks;                      /* clear: enum shim_hook bits */
    int clearing;                        /* 1 while apr_pool_clear() runs mpool_clear() on the pool */
} shim_pool;

/* The APR allocator. Node sizes: a node of index i is (i + 1) * 4 KiB,
 * header included, at least 8 KiB (APR's boundary and minimum). */
#define SHIM_BOUNDARY_SHIFT 12
#define SHIM_BOUNDARY ((apr_size_t)1 << SHIM_BOUNDARY_SHIFT)
#define SHIM_MIN_NODE (2 * SHIM_BOUNDARY)
#define SHIM_NODE_LISTS 20 /* lists by index 1..19; list 0 holds larger nodes */

struct apr_allocator_t {
    mpool_allocator_t *blocks;                /* where the pools made with this allocator take their blocks */
    apr_pool_t *owner;                        /* destroyed with it: apr_allocator_owner_set() */
    apr_thread_mutex_t *mutex;                /* guards the node lists when set (apr_allocator_mutex_set()) */
    apr_size_t max_free_units;                /* most idle node bytes kept, in 4 KiB units; 0: no bound */
    apr_size_t idle_units;                    /* idle node bytes in the lists, in 4 KiB units */
    apr_memnode_t *idle[SHIM_NODE_LISTS];     /* idle nodes: [i] of index i, [0] of index >= SHIM_NODE_LISTS */
    struct apr_allocator_t *next_to_destroy;  /* on the thread's list of allocators whose owner went */
};

/* The record of a pool made by the shim. */
static inline shim_pool *shim_of(apr_pool_t *pool) { return (shim_pool *)mpool_extra((mpool_t *)pool); }
static inline mpool_t *mpool_of(apr_pool_t *pool) { return (mpool_t *)pool; }

/* pools.c: the global pool (NULL before apr_pool_initialize()). */
extern apr_pool_t *shim_global_pool;

/* pools.c: calls the pool's abort function, if any, with APR_ENOMEM. */
void shim_out_of_memory(apr_pool_t *pool);

/* pools.c: a teardown (apr_pool_clear/destroy/terminate) starts and ends on
 * this thread; at the end of the outermost one, the allocators whose owner
 * pool went are destroyed. */
void shim_teardown_begin(void);
void shim_teardown_end(void);

/* allocator.c: an allocator, its mpool allocator made; NULL when out of
 * memory. And its destruction, once every pool that uses it is gone. */
apr_allocator_t *shim_allocator_create(void);
void shim_allocator_destroy(apr_allocator_t *allocator);

/* allocator.c: puts the allocator on this thread's list of allocators to
 * destroy when the current teardown ends; and destroys that list. */
void shim_allocator_destroy_later(apr_allocator_t *allocator);
void shim_allocator_destroy_pending(void);

/* cleanups.c: makes sure the pool's mpool cleanup hook is registered (it
 * runs APR's cleanups, reaps subprocesses and retires an owned allocator).
 * 0, or APR_ENOMEM after calling the abort function. */
int shim_hook_post(apr_pool_t *pool, shim_pool *record);

/* subprocesses.c: signals and reaps a pool's subprocesses, as APR does at
 * clear and destroy. */
void shim_reap_subprocesses(shim_subprocess *list);

/* stats.c: counts a pool created; the block source that counts the bytes
 * mpool's allocators hold (for MPOOL_APR_STATS=1). */
void shim_count_pool(void);
extern const mpool_block_source_t shim_counting_source;

#endif /* MPOOL_APR_SHIM_H */
