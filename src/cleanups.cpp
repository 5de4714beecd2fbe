// cleanups.cpp - cleanups, pre-cleanups and userdata: what a pool runs when
// it is cleared or destroyed (teardown.cpp runs them).
//
// Records live in the pool's own memory, so registering is a bump
// allocation. A killed record goes on a free list and is reused by the next
// registration. Each list runs newest first and is popped before each call,
// so a record registered while its list runs also runs, and a cleanup may
// kill another. In a concurrent pool, threads register at once: the record
// is pushed with a compare-and-swap and killed records are not reused.
#include <atomic>
#include <cerrno>
#include <cstring>

#include "pool.hpp"

using namespace mpool::detail;

namespace {

int register_on(mpool_t *pool, mpool__cleanup **list, void *data, mpool_cleanup_fn fn) {
    if (!pool || !fn) return EINVAL;
    check_not_destroyed(pool, "mpool_cleanup_register");
    mpool__cleanup *c = is_concurrent(pool) ? nullptr : pool->free_cleanups;
    if (c) {
        pool->free_cleanups = c->next;
    } else {
        c = static_cast<mpool__cleanup *>(mpool__alloc_nonnull(pool, sizeof(mpool__cleanup)));
        if (!c) return ENOMEM;
    }
    c->data = data;
    c->fn = fn;
    if (is_concurrent(pool)) { // threads may register at once: push without a lock
        std::atomic_ref<mpool__cleanup *> head(*list);
        c->next = head.load(std::memory_order_relaxed);
        while (!head.compare_exchange_weak(c->next, c, std::memory_order_release, std::memory_order_relaxed)) {
        }
        return 0;
    }
    c->next = *list;
    *list = c;
    return 0;
}

// Unlinks the newest record of (data, fn) from the list onto the free list.
bool kill_in(mpool_t *pool, mpool__cleanup **list, void *data, mpool_cleanup_fn fn) {
    for (mpool__cleanup **link = list; *link; link = &(*link)->next) {
        mpool__cleanup *c = *link;
        if (c->data == data && c->fn == fn) {
            *link = c->next;
            c->next = pool->free_cleanups;
            pool->free_cleanups = c;
            return true;
        }
    }
    return false;
}

mpool__userdata *find_userdata(const mpool_t *pool, const char *key) {
    for (mpool__userdata *u = pool->userdata; u; u = u->next)
        if (std::strcmp(u->key, key) == 0) return u;
    return nullptr;
}

} // namespace

extern "C" {

int mpool_cleanup_register(mpool_t *pool, void *data, mpool_cleanup_fn fn) {
    return register_on(pool, pool ? &pool->cleanups : nullptr, data, fn);
}

int mpool_pre_cleanup_register(mpool_t *pool, void *data, mpool_cleanup_fn fn) {
    return register_on(pool, pool ? &pool->pre_cleanups : nullptr, data, fn);
}

int mpool_cleanup_kill(mpool_t *pool, void *data, mpool_cleanup_fn fn) {
    if (!pool) return EINVAL;
    check_not_destroyed(pool, "mpool_cleanup_kill");
    if (kill_in(pool, &pool->cleanups, data, fn) || kill_in(pool, &pool->pre_cleanups, data, fn)) return 0;
    return ENOENT;
}

int mpool_cleanup_run(mpool_t *pool, void *data, mpool_cleanup_fn fn) {
    int status = mpool_cleanup_kill(pool, data, fn);
    if (status == 0) fn(data);
    return status;
}

int mpool_userdata_set(mpool_t *pool, const char *key, void *data, mpool_cleanup_fn cleanup) {
    if (!pool || !key) return EINVAL;
    check_not_destroyed(pool, "mpool_userdata_set");
    if (mpool__userdata *u = find_userdata(pool, key)) {
        void *old_data = u->data;
        mpool_cleanup_fn old_cleanup = u->cleanup;
        u->data = data;
        u->cleanup = cleanup;
        if (old_cleanup && (old_data != data || old_cleanup != cleanup)) old_cleanup(old_data);
        return 0;
    }
    // The record and its key in one allocation: a failure leaves nothing behind.
    size_t key_size = std::strlen(key) + 1;
    if (key_size > SIZE_MAX - sizeof(mpool__userdata)) return fail_no_memory(pool, SIZE_MAX), ENOMEM;
    auto *u = static_cast<mpool__userdata *>(mpool__alloc_nonnull(pool, sizeof(mpool__userdata) + key_size));
    if (!u) return ENOMEM;
    char *key_copy = reinterpret_cast<char *>(u + 1);
    std::memcpy(key_copy, key, key_size);
    u->key = key_copy;
    u->data = data;
    u->cleanup = cleanup;
    u->next = pool->userdata;
    pool->userdata = u;
    return 0;
}

void *mpool_userdata_get(const mpool_t *pool, const char *key) {
    if (!pool || !key) return nullptr;
    check_not_destroyed(pool, "mpool_userdata_get");
    mpool__userdata *u = find_userdata(pool, key);
    return u ? u->data : nullptr;
}

} // extern "C"
