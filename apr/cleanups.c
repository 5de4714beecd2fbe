/*
 * cleanups.c - APR's cleanups, pre-cleanups, subprocess notes and userdata,
 * and the two mpool hooks that run them.
 *
 * APR's semantics, which differ from mpool's own cleanups: each cleanup has
 * a plain function (run at clear and destroy) and a child function (run in
 * a child process by apr_pool_cleanup_for_exec()); they run newest first;
 * a cleanup registered while they run runs too; apr_pool_cleanup_kill()
 * removes the newest registration of (data, plain function) among the
 * cleanups and the newest among the pre-cleanups; apr_pool_cleanup_run()
 * may be called from inside a cleanup; status codes are ignored. Userdata
 * cleanups are ordinary cleanups; apr_pool_userdata_setn() keeps the
 * caller's key, apr_pool_userdata_set() copies a key that is new.
 *
 * The hooks. SHIM_HOOK_PRE is an mpool pre-cleanup that runs the APR
 * pre-cleanups; SHIM_HOOK_POST an mpool cleanup that runs the APR
 * cleanups, reaps the subprocesses and, when the pool is being destroyed
 * and owns its allocator, hands the allocator to pools.c to destroy after
 * the teardown. Each is registered by the first registration that needs it
 * since the pool's last clear. A pool with SHIM_HOOK_POST is in the
 * registry, which apr_pool_cleanup_for_exec() walks.
 */
#include "shim.h"

#include <pthread.h>
#include <string.h>

/* The pools whose hook will run APR cleanups: what
 * apr_pool_cleanup_for_exec() visits. Doubly linked through the records. */
static shim_pool *registry = NULL;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static void registry_add(shim_pool *record) {
    pthread_mutex_lock(&registry_lock);
    record->registry_prev = NULL;
    record->registry_next = registry;
    if (registry) registry->registry_prev = record;
    registry = record;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(shim_pool *record) {
    pthread_mutex_lock(&registry_lock);
    if (record->registry_prev)
        record->registry_prev->registry_next = record->registry_next;
    else
        registry = record->registry_next;
    if (record->registry_next) record->registry_next->registry_prev = record->registry_prev;
    pthread_mutex_unlock(&registry_lock);
}

/* Runs a list of cleanups newest first, taking each off before its call,
 * so that one registered meanwhile runs too and one killed meanwhile does
 * not. */
static void run_list(shim_cleanup **list) {
    shim_cleanup *c;
    while ((c = *list) != NULL) {
        *list = c->next;
        c->plain((void *)c->data);
    }
}

static void run_pre_hook(void *pool) {
    shim_pool *record = mpool_extra(pool);
    run_list(&record->pre_cleanups);
    record->hooks &= ~(unsigned)SHIM_HOOK_PRE;
}

static void run_post_hook(void *pool) {
    shim_pool *record = mpool_extra(pool);
    run_list(&record->cleanups);
    shim_subprocess *subprocesses = record->subprocesses;
    record->subprocesses = NULL;
    shim_reap_subprocesses(subprocesses);
    registry_remove(record);
    record->hooks &= ~(unsigned)SHIM_HOOK_POST;
    apr_allocator_t *allocator = record->allocator;
    if (!record->clearing && allocator->owner == (apr_pool_t *)pool) {
        /* Its mutex was most likely made in this pool, and is gone. */
        allocator->mutex = NULL;
        shim_allocator_destroy_later(allocator);
    }
}

static int hook(apr_pool_t *pool, shim_pool *record, enum shim_hook which) {
    if (record->hooks & which) return 0;
    int failed = which == SHIM_HOOK_PRE ? mpool_pre_cleanup_register(mpool_of(pool), pool, run_pre_hook)
                                        : mpool_cleanup_register(mpool_of(pool), pool, run_post_hook);
    if (failed) {
        shim_out_of_memory(pool);
        return APR_ENOMEM;
    }
    record->hooks |= which;
    if (which == SHIM_HOOK_POST) registry_add(record);
    return 0;
}

int shim_hook_post(apr_pool_t *pool, shim_pool *record) { return hook(pool, record, SHIM_HOOK_POST); }

/* A record for a registration: a killed one, or new in the pool's memory. */
static shim_cleanup *new_record(apr_pool_t *pool, shim_pool *record) {
    shim_cleanup *c = record->free_cleanups;
    if (c) {
        record->free_cleanups = c->next;
        return c;
    }
    c = mpool_alloc(mpool_of(pool), sizeof *c);
    if (!c) shim_out_of_memory(pool);
    return c;
}

/* A registration on the list that the hook `which` runs: the pool's
 * cleanups (SHIM_HOOK_POST) or its pre-cleanups (SHIM_HOOK_PRE). */
static void register_on(apr_pool_t *pool, enum shim_hook which, const void *data, apr_status_t (*plain)(void *),
                        apr_status_t (*child)(void *)) {
    if (!pool) return;
    shim_pool *record = shim_of(pool);
    if (hook(pool, record, which) != 0) return;
    shim_cleanup *c = new_record(pool, record);
    if (!c) return;
    shim_cleanup **list = which == SHIM_HOOK_PRE ? &record->pre_cleanups : &record->cleanups;
    c->data = data;
    c->plain = plain;
    c->child = child;
    c->next = *list;
    *list = c;
}

SHIM_API void apr_pool_cleanup_register(apr_pool_t *pool, const void *data, apr_status_t (*plain)(void *),
                                        apr_status_t (*child)(void *)) {
    register_on(pool, SHIM_HOOK_POST, data, plain, child);
}

SHIM_API void apr_pool_pre_cleanup_register(apr_pool_t *pool, const void *data, apr_status_t (*plain)(void *)) {
    register_on(pool, SHIM_HOOK_PRE, data, plain, NULL);
}

/* Takes the newest registration of (data, plain) off `list` and keeps its
 * record for reuse. */
static void kill_in(shim_pool *record, shim_cleanup **list, const void *data, apr_status_t (*plain)(void *)) {
    for (shim_cleanup **link = list; *link; link = &(*link)->next) {
        shim_cleanup *c = *link;
        if (c->data == data && c->plain == plain) {
            *link = c->next;
            c->next = record->free_cleanups;
            record->free_cleanups = c;
            return;
        }
    }
}

SHIM_API void apr_pool_cleanup_kill(apr_pool_t *pool, const void *data, apr_status_t (*plain)(void *)) {
    if (!pool) return;
    shim_pool *record = shim_of(pool);
    kill_in(record, &record->cleanups, data, plain);
    kill_in(record, &record->pre_cleanups, data, plain);
}

SHIM_API apr_status_t apr_pool_cleanup_run(apr_pool_t *pool, void *data, apr_status_t (*plain)(void *)) {
    apr_pool_cleanup_kill(pool, data, plain);
    return plain(data);
}

SHIM_API void apr_pool_child_cleanup_set(apr_pool_t *pool, const void *data, apr_status_t (*plain)(void *),
                                         apr_status_t (*child)(void *)) {
    if (!pool) return;
    for (shim_cleanup *c = shim_of(pool)->cleanups; c; c = c->next) {
        if (c->data == data && c->plain == plain) {
            c->child = child;
            return;
        }
    }
}

SHIM_API apr_status_t apr_pool_cleanup_null(void *data) {
    (void)data;
    return APR_SUCCESS;
}

/* In a child process, before exec: the child cleanups of every pool under
 * the global pool (unmanaged pools are not in APR's walk). The registry
 * holds exactly the pools that have cleanups. No lock: after fork() the
 * child has one thread, and a lock held by another thread of the parent
 * would never be released. */
SHIM_API void apr_pool_cleanup_for_exec(void) {
    if (!shim_global_pool) return;
    for (shim_pool *record = registry; record; record = record->registry_next) {
        if (!mpool_is_ancestor(mpool_of(shim_global_pool), record->pool)) continue;
        shim_cleanup *c;
        while ((c = record->cleanups) != NULL) {
            record->cleanups = c->next;
            c->child((void *)c->data);
        }
    }
}

SHIM_API void apr_pool_note_subprocess(apr_pool_t *pool, apr_proc_t *proc, apr_kill_conditions_e how) {
    shim_pool *record = shim_of(pool);
    if (hook(pool, record, SHIM_HOOK_POST) != 0) return;
    shim_subprocess *note = mpool_alloc(mpool_of(pool), sizeof *note);
    if (!note) {
        shim_out_of_memory(pool);
        return;
    }
    note->proc = proc;
    note->how = how;
    note->next = record->subprocesses;
    record->subprocesses = note;
}

/* Userdata: APR's hash table in the pool's memory, made on the first set. */
static apr_hash_t *userdata_table(apr_pool_t *pool, shim_pool *record) {
    if (!record->userdata) record->userdata = apr_hash_make(pool);
    return record->userdata;
}

SHIM_API apr_status_t apr_pool_userdata_set(const void *data, const char *key, apr_status_t (*cleanup)(void *),
                                            apr_pool_t *pool) {
    shim_pool *record = shim_of(pool);
    apr_hash_t *table = userdata_table(pool, record);
    if (!table) return APR_ENOMEM;
    if (apr_hash_get(table, key, APR_HASH_KEY_STRING) == NULL) {
        char *copy = mpool_strdup(mpool_of(pool), key);
        if (!copy) {
            shim_out_of_memory(pool);
            return APR_ENOMEM;
        }
        key = copy;
    }
    apr_hash_set(table, key, APR_HASH_KEY_STRING, data);
    if (cleanup) apr_pool_cleanup_register(pool, data, cleanup, cleanup);
    return APR_SUCCESS;
}

SHIM_API apr_status_t apr_pool_userdata_setn(const void *data, const char *key, apr_status_t (*cleanup)(void *),
                                             apr_pool_t *pool) {
    shim_pool *record = shim_of(pool);
    apr_hash_t *table = userdata_table(pool, record);
    if (!table) return APR_ENOMEM;
    apr_hash_set(table, key, APR_HASH_KEY_STRING, data);
    if (cleanup) apr_pool_cleanup_register(pool, data, cleanup, cleanup);
    return APR_SUCCESS;
}

SHIM_API apr_status_t apr_pool_userdata_get(void **data, const char *key, apr_pool_t *pool) {
    apr_hash_t *table = shim_of(pool)->userdata;
    *data = table ? apr_hash_get(table, key, APR_HASH_KEY_STRING) : NULL;
    return APR_SUCCESS;
}
