// cleanups.cpp - cleanups, pre-cleanups and userdata: what a pool runs when
// it is cleared or destroyed (teardown.cpp runs them).
//
// Records live in the pool's own memory, so registering is a bump
// allocation; the lists' heads live in the pool's annex, made by the first
// registration since the last clear. A killed record goes on a free list and
// is reused by the next registration. Each list runs newest first and is
// popped before each call, so a record registered while its list runs also
// runs, and a cleanup may kill another. Every record takes the annex's next
// tick, so a rewind (scopes.cpp) knows which came after its mark. In a
// concurrent pool, threads register at once: the annex is published and the
// record pushed with a compare-and-swap, and killed records are not reused.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "pool.hpp"

using namespace mpool::detail;

namespace mpool::detail {

void *alloc_with_annex(mpool_t *pool, size_t size, mpool__annex **annex) {
    if ((*annex = annex_of(pool))) return mpool__alloc_nonnull(pool, size);
    // One allocation for the annex and the record after it, so that a
    // failure leaves nothing behind.
    static_assert(sizeof(mpool__annex) % alignof(mpool__cleanup) == 0 &&
                  sizeof(mpool__annex) % alignof(mpool__userdata) == 0, "the record after the annex is aligned");
    if (size > SIZE_MAX - sizeof(mpool__annex)) return fail_no_memory(pool, SIZE_MAX);
    char *bytes = static_cast<char *>(mpool__alloc_nonnull(pool, sizeof(mpool__annex) + size));
    if (!bytes) return nullptr;
    auto *made = new (bytes) mpool__annex{};
    bytes += sizeof(mpool__annex);
    if (!is_concurrent(pool)) {
        pool->annex = *annex = made;
        return bytes;
    }
    // Another thread may publish one first: then this one stays unused in
    // the pool's memory until the next clear.
    mpool__annex *expected = nullptr;
    *annex = std::atomic_ref<mpool__annex *>(pool->annex)
                     .compare_exchange_strong(expected, made, std::memory_order_acq_rel, std::memory_order_acquire)
                 ? made
                 : expected;
    return bytes;
}

} // namespace mpool::detail

namespace {

uint32_t next_tick(mpool_t *pool, mpool__annex *annex) {
    if (is_concurrent(pool)) return std::atomic_ref<uint32_t>(annex->ticks).fetch_add(1, std::memory_order_relaxed) + 1;
    return ++annex->ticks;
}

enum class which_list { cleanups, pre_cleanups };

mpool__cleanup **list_of(mpool__annex *annex, which_list which) {
    return which == which_list::cleanups ? &annex->cleanups : &annex->pre_cleanups;
}

int register_on(mpool_t *pool, which_list which, void *data, mpool_cleanup_fn fn) {
    if (!pool || !fn) return EINVAL;
    check_not_destroyed(pool, "mpool_cleanup_register");
    mpool__annex *annex = annex_of(pool);
    mpool__cleanup *c = annex && !is_concurrent(pool) ? annex->free_cleanups : nullptr;
    if (c) {
        annex->free_cleanups = c->next;
    } else {
        c = static_cast<mpool__cleanup *>(alloc_with_annex(pool, sizeof(mpool__cleanup), &annex));
        if (!c) return ENOMEM;
    }
    c->data = data;
    c->fn = fn;
    c->tick = next_tick(pool, annex);
    mpool__cleanup **list = list_of(annex, which);
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
bool kill_in(mpool__annex *annex, mpool__cleanup **list, void *data, mpool_cleanup_fn fn) {
    for (mpool__cleanup **link = list; *link; link = &(*link)->next) {
        mpool__cleanup *c = *link;
        if (c->data == data && c->fn == fn) {
            *link = c->next;
            c->next = annex->free_cleanups;
            annex->free_cleanups = c;
            return true;
        }
    }
    return false;
}

mpool__userdata *find_userdata(const mpool_t *pool, const char *key) {
    mpool__annex *annex = annex_of(pool);
    for (mpool__userdata *u = annex ? annex->userdata : nullptr; u; u = u->next)
        if (std::strcmp(u->key, key) == 0) return u;
    return nullptr;
}

} // namespace

extern "C" {

int mpool_cleanup_register(mpool_t *pool, void *data, mpool_cleanup_fn fn) {
    return register_on(pool, which_list::cleanups, data, fn);
}

int mpool_pre_cleanup_register(mpool_t *pool, void *data, mpool_cleanup_fn fn) {
    return register_on(pool, which_list::pre_cleanups, data, fn);
}

int mpool_cleanup_kill(mpool_t *pool, void *data, mpool_cleanup_fn fn) {
    if (!pool) return EINVAL;
    check_not_destroyed(pool, "mpool_cleanup_kill");
    mpool__annex *annex = annex_of(pool);
    if (annex && (kill_in(annex, &annex->cleanups, data, fn) || kill_in(annex, &annex->pre_cleanups, data, fn)))
        return 0;
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
    mpool__annex *annex;
    auto *u = static_cast<mpool__userdata *>(alloc_with_annex(pool, sizeof(mpool__userdata) + key_size, &annex));
    if (!u) return ENOMEM;
    char *key_copy = reinterpret_cast<char *>(u + 1);
    std::memcpy(key_copy, key, key_size);
    u->key = key_copy;
    u->data = data;
    u->cleanup = cleanup;
    u->tick = ++annex->ticks;
    u->next = annex->userdata;
    annex->userdata = u;
    return 0;
}

void *mpool_userdata_get(const mpool_t *pool, const char *key) {
    if (!pool || !key) return nullptr;
    check_not_destroyed(pool, "mpool_userdata_get");
    mpool__userdata *u = find_userdata(pool, key);
    return u ? u->data : nullptr;
}

} // extern "C"
