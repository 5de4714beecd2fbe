// cleanups.cpp - cleanups, pre-cleanups and userdata: what a pool runs when
// it is cleared or destroyed (teardown.cpp runs them).
//
// Records live in the pool's own memory, so registering is a bump
// allocation; the lists' heads live in the pool's annex, made by the first
// registration since the last clear. A killed record goes on a free list and
// is reused by the next registration. Each list runs newest first and is
// popped before each call, so a record registered while its list runs also
// runs, and a cleanup may kill another. Every record takes the annex's next
// tick, so a rewind (scopes.cpp) knows which came after its mark.
//
// In a concurrent pool, threads register, kill and run cleanups at once.
// The lists, the free list and the ticks are guarded by the pool's cleanup
// lock (in its concurrent record): each hold is one pop, one push or a
// kill's walk of a list, never a call out: simpler than a lock-free free
// list, whose pop would have to be made safe from ABA. Memory is allocated
// before the lock is taken, in the calling thread's lane (the handler may
// longjmp); the annex is published with a compare-and-swap.
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

// Holds a concurrent pool's cleanup lock for its scope; nothing for a plain
// pool, which one thread uses at a time.
class ListsGuard {
public:
    explicit ListsGuard(const mpool_t *pool) : lock_(is_concurrent(pool) ? &concurrent_of(pool)->cleanups_lock : nullptr) {
        if (lock_) lock_->lock();
    }
    ~ListsGuard() {
        if (lock_) lock_->unlock();
    }
    ListsGuard(const ListsGuard &) = delete;
    ListsGuard &operator=(const ListsGuard &) = delete;

private:
    Mutex *lock_; // NULL: a plain pool
};

enum class which_list { cleanups, pre_cleanups };

mpool__cleanup **list_of(mpool__annex *annex, which_list which) {
    return which == which_list::cleanups ? &annex->cleanups : &annex->pre_cleanups;
}

// A killed record off the free list, or NULL when there is none.
mpool__cleanup *take_killed(mpool_t *pool, mpool__annex *annex) {
    ListsGuard guard(pool);
    mpool__cleanup *c = annex->free_cleanups;
    if (c) annex->free_cleanups = c->next;
    return c;
}

int register_on(mpool_t *pool, which_list which, void *data, mpool_cleanup_fn fn) {
    if (!pool || !fn) return EINVAL;
    check_not_destroyed(pool, "mpool_cleanup_register");
    mpool__annex *annex = annex_of(pool);
    mpool__cleanup *c = annex ? take_killed(pool, annex) : nullptr;
    if (!c && !(c = static_cast<mpool__cleanup *>(alloc_with_annex(pool, sizeof(mpool__cleanup), &annex))))
        return ENOMEM;
    c->data = data;
    c->fn = fn;
    ListsGuard guard(pool);
    c->tick = ++annex->ticks;
    mpool__cleanup **list = list_of(annex, which);
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
    if (!annex) return ENOENT;
    ListsGuard guard(pool);
    return kill_in(annex, &annex->cleanups, data, fn) || kill_in(annex, &annex->pre_cleanups, data, fn) ? 0 : ENOENT;
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
