// checks.cpp - the hooks for AddressSanitizer, Valgrind memcheck and
// mpool's debug mode (see checks.hpp for the layout of checked memory).
#include "checks.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "lanes.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define MPOOL__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MPOOL__ASAN 1
#endif
#endif
#ifdef MPOOL__ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef MPOOL_HAVE_VALGRIND
#include <valgrind/memcheck.h>
#endif

// A chunk of a debug pool's allocation table.
struct mpool__alloc_table {
    struct entry {
        char *data;  // where the allocation starts
        size_t size; // bytes asked for (its canary follows)
    };
    static constexpr size_t kEntries = 254;
    mpool__alloc_table *older; // the chunk filled before this one
    size_t count;              // entries used
    entry entries[kEntries];
};

namespace mpool::detail {

namespace {

check_settings read_settings() {
    check_settings s{};
#ifdef MPOOL__ASAN
    s.asan = true;
#endif
#ifdef MPOOL_HAVE_VALGRIND
    // Memcheck only: another tool (callgrind counting instructions, say)
    // must see the normal path. Only memcheck answers GET_VBITS (1).
    if (RUNNING_ON_VALGRIND) {
        char probe = 0, bits = 0;
        s.valgrind = VALGRIND_GET_VBITS(&probe, &bits, 1) == 1;
    }
#endif
    if (const char *level = std::getenv("MPOOL_DEBUG"); level && *level && std::strcmp(level, "0") != 0)
        s.debug = std::strcmp(level, "2") == 0 ? 2 : 1;
    return s;
}

// A recently destroyed debug pool: its address, and its tag for messages.
struct destroyed_pool {
    std::atomic<const mpool_t *> pool; // read without the lock by every check
    char tag[MPOOL_TAG_MAX + 1];       // under the lock
};

// The quarantine: the addresses of the last kQuarantine debug pools
// destroyed, so that a call on one of them is recognised. It holds no
// memory of theirs: a new pool at the same address leaves it. Writers take
// the lock and keep g_quarantine_filter (checks.hpp) in step; a check
// whose filter counter is not 0 scans without the lock and takes it only on
// a hit.
constexpr size_t kQuarantine = 1024;
std::mutex g_quarantine_lock;
destroyed_pool g_quarantine[kQuarantine];
size_t g_quarantine_next = 0;
static_assert(kQuarantine <= UINT16_MAX, "a filter counter holds every entry of the quarantine");

// The entry's address, and the filter's count of it; lock held.
void quarantine_set_locked(destroyed_pool &entry, const mpool_t *pool) {
    if (const mpool_t *old = entry.pool.load(std::memory_order_relaxed))
        g_quarantine_filter[quarantine_filter_slot(old)].fetch_sub(1, std::memory_order_relaxed);
    if (pool) g_quarantine_filter[quarantine_filter_slot(pool)].fetch_add(1, std::memory_order_relaxed);
    entry.pool.store(pool, std::memory_order_relaxed);
}

#ifdef MPOOL_HAVE_VALGRIND
// Memcheck keeps a chunk for each allocation (VALGRIND_MEMPOOL_ALLOC) and
// has no request that frees the chunks of a range, so a rewind must free
// the ones it takes back one by one; left alone, they would overlap the
// allocations made in the same memory later, which memcheck cannot take
// (its leak check stops Valgrind). From its first mark to its next clear, a
// plain pool's allocations are listed here (moved-away ones as NULL), apart
// from pool memory as the debug table is. Until some pool is marked, an
// allocation pays one load for this; then a lookup under a lock.
std::mutex g_memcheck_lock;
std::unordered_map<const mpool_t *, std::vector<char *>> g_memcheck_chunks; // guarded by g_memcheck_lock
std::atomic<size_t> g_memcheck_pools{0}; // entries in g_memcheck_chunks; 0: nothing to record

// The list of a marked pool, or NULL; called with the lock held.
std::vector<char *> *memcheck_chunks_locked(const mpool_t *pool) {
    auto found = g_memcheck_chunks.find(pool);
    return found != g_memcheck_chunks.end() ? &found->second : nullptr;
}

void memcheck_record(const mpool_t *pool, char *p) {
    if (g_memcheck_pools.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard guard(g_memcheck_lock);
    if (std::vector<char *> *chunks = memcheck_chunks_locked(pool)) chunks->push_back(p);
}

void memcheck_moved(const mpool_t *pool, char *p) {
    if (g_memcheck_pools.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard guard(g_memcheck_lock);
    if (std::vector<char *> *chunks = memcheck_chunks_locked(pool))
        for (auto chunk = chunks->rbegin(); chunk != chunks->rend(); ++chunk)
            if (*chunk == p) {
                *chunk = nullptr;
                break;
            }
}

void memcheck_forget(const mpool_t *pool) {
    if (g_memcheck_pools.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard guard(g_memcheck_lock);
    if (g_memcheck_chunks.erase(pool)) g_memcheck_pools.fetch_sub(1, std::memory_order_relaxed);
}

// Where the pool's list stands (made by the pool's first mark since a clear).
size_t memcheck_mark(const mpool_t *pool) {
    std::lock_guard guard(g_memcheck_lock);
    auto [entry, made] = g_memcheck_chunks.try_emplace(pool);
    if (made) g_memcheck_pools.fetch_add(1, std::memory_order_relaxed);
    return entry->second.size();
}

// Frees the chunks recorded since `at`.
void memcheck_rewind(const mpool_t *pool, size_t at) {
    std::lock_guard guard(g_memcheck_lock);
    std::vector<char *> *chunks = memcheck_chunks_locked(pool);
    if (!chunks) return;
    for (size_t i = at; i < chunks->size(); ++i)
        if (char *chunk = (*chunks)[i]) VALGRIND_MEMPOOL_FREE(pool, chunk);
    if (at < chunks->size()) chunks->resize(at);
}
#endif

// The name of a pool in messages: its tag, or its address.
void name_of(const mpool_t *pool, const char *tag, char *out, size_t size) {
    if (tag)
        std::snprintf(out, size, "\"%s\"", tag);
    else
        std::snprintf(out, size, "at %p", static_cast<const void *>(pool));
}

// Stops the program with "<before><the pool's name><after>".
[[noreturn]] void fatal_about(const mpool_t *pool, const char *tag, const char *before, const char *after) {
    char name[MPOOL_TAG_MAX + 24];
    name_of(pool, tag, name, sizeof name);
    char message[256];
    std::snprintf(message, sizeof message, "%s%s%s", before, name, after);
    fatal(message);
}

// The states of a pool that is still there: live, or torn down by a
// clear or destroy that is running (mpool_check may be called from one of
// its cleanups). Anything else is a pool already freed, or damage.
bool is_in_use(pool_state state) {
    return state == pool_state::live || state == pool_state::clearing || state == pool_state::destroying;
}

size_t rounded_size(size_t size) { return align_up_const(size ? size : 1, kAlign); }

// The canary bytes after an allocation: [data + size, data + rounded + kRedzone).
size_t canary_length(size_t size) { return rounded_size(size) + kRedzone - size; }

void write_canary(char *data, size_t size, size_t length) {
    mem_undefined(data + size, length);
    std::memset(data + size, kCanaryByte, length);
    mem_noaccess(data + size, length);
}

// The offset of the first canary byte overwritten after an allocation, or
// SIZE_MAX when the canary is intact.
size_t canary_damage(char *data, size_t size) {
    size_t length = canary_length(size);
    mem_defined(data + size, length);
    size_t damaged = SIZE_MAX;
    for (size_t i = 0; i < length; ++i)
        if (static_cast<unsigned char>(data[size + i]) != kCanaryByte) {
            damaged = size + i;
            break;
        }
    mem_noaccess(data + size, length);
    return damaged;
}

// Calls fn(entry) for each allocation of a debug pool, newest first, until
// fn returns true; returns that entry, or NULL.
template <class Fn> mpool__alloc_table::entry *find_entry(const mpool_t *pool, Fn fn) {
    for (mpool__alloc_table *t = debug_of(pool)->table; t; t = t->older)
        for (size_t i = t->count; i-- > 0;)
            if (fn(t->entries[i])) return &t->entries[i];
    return nullptr;
}

void forget_allocations(mpool_t *pool) {
    mpool__debug *d = debug_of(pool);
    while (mpool__alloc_table *t = d->table) {
        d->table = t->older;
        std::free(t);
    }
}

// The first allocation of a debug pool whose canary is damaged: its size
// and the offset written. False when all are intact.
bool find_overrun(const mpool_t *pool, size_t *size, size_t *offset) {
    mpool__alloc_table::entry *bad = find_entry(pool, [offset](const mpool__alloc_table::entry &e) {
        if (!e.data) return false; // moved away by mpool_realloc
        *offset = canary_damage(e.data, e.size);
        return *offset != SIZE_MAX;
    });
    if (bad) *size = bad->size;
    return bad != nullptr;
}

void stop_on_overrun(const mpool_t *pool) {
    size_t size, offset;
    if (!find_overrun(pool, &size, &offset)) return;
    char name[MPOOL_TAG_MAX + 24];
    name_of(pool, pool->tag, name, sizeof name);
    char message[256];
    std::snprintf(message, sizeof message, "write past the end of a %zu-byte allocation in pool %s (offset %zu)", size,
                  name, offset);
    fatal(message);
}

} // namespace

std::atomic<size_t> g_quarantined{0}; // entries in use; 0: nothing to look for
std::atomic<uint16_t> g_quarantine_filter[size_t{1} << kQuarantineFilterBits];

const check_settings &checks() {
    static const check_settings settings = read_settings();
    return settings;
}

uint8_t check_flags(const mpool_t *parent, unsigned option_flags) {
    const check_settings &s = checks();
    bool debug = s.debug != 0 || (option_flags & MPOOL_DEBUG) != 0 || (parent && is_debug(parent));
    bool checked = debug || s.asan || s.valgrind || (parent && is_checked(parent));
    return static_cast<uint8_t>((checked ? kChecked : 0) | (debug ? kDebug : 0));
}

bool check_own_blocks(const mpool_t *owner) { return is_debug(owner) && checks().debug >= 2; }

void mem_noaccess(void *p, size_t n) {
#ifdef MPOOL__ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
    (void)p;
    (void)n;
}

void mem_undefined(void *p, size_t n) {
#ifdef MPOOL__ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
    (void)p;
    (void)n;
}

void mem_defined(void *p, size_t n) {
#ifdef MPOOL__ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
    (void)p;
    (void)n;
}

void check_block_taken(mpool__block *b, const char *from) {
    char *end = reinterpret_cast<char *>(b) + b->size;
    mem_noaccess(const_cast<char *>(from), static_cast<size_t>(end - from));
}

void check_blocks_retired(bool fill, mpool__block *b, const char *from, bool chain) {
    for (; b; b = chain ? b->next : nullptr) {
        char *start = from ? const_cast<char *>(from) : block_payload(b);
        size_t length = static_cast<size_t>(reinterpret_cast<char *>(b) + b->size - start);
        if (fill) {
            mem_undefined(start, length);
            std::memset(start, kFreedByte, length);
        }
        mem_noaccess(start, length);
        from = nullptr;
    }
}

void check_on_alloc(mpool_t *owner, char *p, size_t size) {
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) {
        VALGRIND_MEMPOOL_ALLOC(owner, p, size);
        memcheck_record(owner, p);
    }
#endif
#ifdef MPOOL__ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, size);
#endif
    if (!is_debug(owner)) return;
    write_canary(p, size, canary_length(size));
    mpool__debug *d = debug_of(owner);
    std::lock_guard guard(d->lock);
    mpool__alloc_table *t = d->table;
    if (!t || t->count == mpool__alloc_table::kEntries) {
        t = static_cast<mpool__alloc_table *>(std::malloc(sizeof(mpool__alloc_table)));
        if (!t) fatal("debug mode ran out of memory for its table of allocations");
        t->older = d->table;
        t->count = 0;
        d->table = t;
    }
    t->entries[t->count++] = {p, size};
}

void check_on_shrink(mpool_t *owner, char *p, size_t old_size, size_t new_size) {
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) VALGRIND_MEMPOOL_CHANGE(owner, p, p, new_size);
#endif
#ifdef MPOOL__ASAN
    ASAN_POISON_MEMORY_REGION(p, rounded_size(old_size));
    ASAN_UNPOISON_MEMORY_REGION(p, new_size);
#endif
    if (!is_debug(owner)) return;
    std::lock_guard guard(debug_of(owner)->lock);
    mpool__alloc_table::entry *e = find_entry(owner, [p](const mpool__alloc_table::entry &x) { return x.data == p; });
    if (!e) return;
    e->size = new_size;
    write_canary(p, new_size, rounded_size(old_size) + kRedzone - new_size);
}

void check_on_moved(mpool_t *owner, char *p, size_t old_size) {
    if (is_debug(owner)) { // the old place is gone: filled, and out of the table (its canary goes unchecked)
        std::memset(p, kFreedByte, old_size);
        std::lock_guard guard(debug_of(owner)->lock);
        if (auto *e = find_entry(owner, [p](const mpool__alloc_table::entry &x) { return x.data == p; })) e->data = nullptr;
    }
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) {
        VALGRIND_MEMPOOL_FREE(owner, p);
        memcheck_moved(owner, p);
    }
#endif
    mem_noaccess(p, old_size);
}

void check_on_given_back(mpool_t *owner, char *p, size_t size) {
    size_t span = rounded_size(size) + kRedzone;
    if (is_debug(owner)) {
        mpool__debug *d = debug_of(owner);
        std::lock_guard guard(d->lock);
        mpool__alloc_table *t = d->table;
        // The newest record, as it should be, leaves the table; in a pool
        // with a mark, the record goes dead instead, since a rewind puts the
        // table back to the length it had at the mark.
        if (t && t->count && t->entries[t->count - 1].data == p && !owner->marked)
            --t->count;
        else if (auto *e = find_entry(owner, [p](const mpool__alloc_table::entry &x) { return x.data == p; }))
            e->data = nullptr;
        mem_undefined(p, span);
        std::memset(p, kFreedByte, span);
    }
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) {
        VALGRIND_MEMPOOL_FREE(owner, p);
        memcheck_moved(owner, p); // a rewind must not free it again
    }
#endif
    mem_noaccess(p, span);
}

void check_is_allocation(const mpool_t *pool, const void *p) {
    if (!is_debug(pool)) return;
    {
        std::lock_guard guard(debug_of(pool)->lock); // threads of a concurrent pool append meanwhile
        if (find_entry(pool, [p](const mpool__alloc_table::entry &e) { return e.data == p; })) return;
    }
    fatal_about(pool, pool->tag, "mpool_realloc of a pointer that pool ", " did not hand out");
}

void check_pool_made(mpool_t *pool) {
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) VALGRIND_CREATE_MEMPOOL(pool, 0, 0);
#endif
    if (!may_be_quarantined(pool)) return;
    std::lock_guard guard(g_quarantine_lock);
    for (destroyed_pool &entry : g_quarantine) // a new pool, debug or not, lives at that address now
        if (entry.pool.load(std::memory_order_relaxed) == pool) quarantine_set_locked(entry, nullptr);
}

void check_pool_reset(mpool_t *pool) {
    if (is_debug(pool)) {
        stop_on_overrun(pool);
        forget_allocations(pool);
    }
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) {
        VALGRIND_DESTROY_MEMPOOL(pool);
        VALGRIND_CREATE_MEMPOOL(pool, 0, 0);
        memcheck_forget(pool);
    }
#endif
}

void check_pool_freed(mpool_t *pool) {
    // Debug mode first: it reads the canaries and the tag, which are pool
    // memory that memcheck makes inaccessible when the pool's mempool goes.
    if (is_debug(pool)) {
        stop_on_overrun(pool);
        forget_allocations(pool);
        std::lock_guard guard(g_quarantine_lock);
        destroyed_pool &entry = g_quarantine[g_quarantine_next];
        g_quarantine_next = (g_quarantine_next + 1) % kQuarantine;
        quarantine_set_locked(entry, pool);
        std::snprintf(entry.tag, sizeof entry.tag, "%s", pool->tag ? pool->tag : "");
        if (g_quarantined.load(std::memory_order_relaxed) < kQuarantine)
            g_quarantined.fetch_add(1, std::memory_order_relaxed);
    }
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind) {
        VALGRIND_DESTROY_MEMPOOL(pool);
        memcheck_forget(pool);
    }
#endif
}

check_position check_mark(const mpool_t *pool) {
    check_position at{};
    if (is_debug(pool)) {
        const mpool__alloc_table *t = debug_of(pool)->table;
        at.chunk = t;
        at.count = t ? t->count : 0;
    }
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind && is_checked(pool) && !is_concurrent(pool)) at.memcheck_chunks = memcheck_mark(pool);
#endif
    return at;
}

void check_rewind(mpool_t *pool, check_position at) {
#ifdef MPOOL_HAVE_VALGRIND
    if (checks().valgrind && is_checked(pool)) memcheck_rewind(pool, at.memcheck_chunks);
#endif
    if (!is_debug(pool)) return;
    stop_on_overrun(pool);
    mpool__debug *d = debug_of(pool);
    while (d->table && d->table != at.chunk) {
        mpool__alloc_table *t = d->table;
        d->table = t->older;
        std::free(t);
    }
    if (d->table) d->table->count = at.count;
}

void check_not_destroyed_slow(const mpool_t *pool, const char *call) {
    if (!pool) return;
    for (destroyed_pool &entry : g_quarantine)
        if (entry.pool.load(std::memory_order_relaxed) == pool) {
            std::lock_guard guard(g_quarantine_lock);
            if (entry.pool.load(std::memory_order_relaxed) != pool) continue; // a new pool took the address meanwhile
            char before[64];
            std::snprintf(before, sizeof before, "%s on pool ", call);
            fatal_about(pool, entry.tag[0] ? entry.tag : nullptr, before, ", which was destroyed");
        }
}

bool check_enter(mpool_t *pool) {
    uintptr_t me = this_thread_marker();
    uintptr_t expected = 0;
    if (debug_of(pool)->user.compare_exchange_strong(expected, me, std::memory_order_acquire)) return true;
    if (expected == me) return false; // a nested call of the same thread (a cleanup, say)
    fatal_about(pool, pool->tag, "pool ", " is used by two threads at once");
}

void check_leave(mpool_t *pool, bool entered) {
    if (entered) debug_of(pool)->user.store(0, std::memory_order_release);
}

int check_subtree(const mpool_t *top) {
    int status = 0;
    walk_subtree(top, [&status](const mpool_t *pool) {
        char name[MPOOL_TAG_MAX + 24];
        name_of(pool, pool->tag, name, sizeof name);
        const mpool__region *r = &pool->region;
        const char *problem = nullptr;
        size_t size = 0, offset = 0;
        // A cleanup may check a pool whose teardown (or an ancestor's) is
        // running: what is left of it is checked like a live pool's.
        if (!is_in_use(pool->state))
            problem = "has a damaged state (or was destroyed)";
        else if (r->current && (r->cursor.ptr > r->cursor.end || r->cursor.end > block_end(r->current) ||
                                r->cursor.ptr < block_payload(r->current)))
            problem = "has a cursor outside its current block";
        else if (pool->first_child && pool->first_child->parent != pool)
            problem = "has a child that names another parent";
        else if (is_debug(pool) && find_overrun(pool, &size, &offset)) {
            std::fprintf(stderr, "mpool: write past the end of a %zu-byte allocation in pool %s (offset %zu)\n", size,
                         name, offset);
            status = EFAULT;
            return;
        }
        if (problem) {
            std::fprintf(stderr, "mpool: pool %s %s\n", name, problem);
            status = EFAULT;
        }
    });
    return status;
}

} // namespace mpool::detail

extern "C" unsigned mpool_check_modes(void) {
    const mpool::detail::check_settings &s = mpool::detail::checks();
    return (s.asan ? MPOOL_CHECK_ASAN : 0u) | (s.valgrind ? MPOOL_CHECK_VALGRIND : 0u) | (s.debug ? MPOOL_CHECK_DEBUG : 0u);
}

extern "C" int mpool_check(const mpool_t *pool) {
    if (!pool) return EINVAL;
    mpool::detail::check_not_destroyed(pool, "mpool_check");
    return mpool::detail::check_subtree(pool);
}
