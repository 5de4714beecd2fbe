// peers.hpp - mpool and the pools a user would otherwise pick, behind one
// shape, so that every workload runs the same code over each of them.
//
// A peer provides:
//   Parent             long-lived; made once per run
//   Child(Parent &)    a short-lived pool (a request); destroyed by ~Child
//     alloc(n)         n bytes
//     strdup(s)        a copy of s
//   Bulk               one pool that is filled and cleared again and again
//     alloc(n), clear()
// and optionally (has_strings) printf-style formatting and concatenation.
// Optional peers compile only when their library was found.
#ifndef MPOOL_BENCH_PEERS_HPP
#define MPOOL_BENCH_PEERS_HPP

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory_resource>
#include <vector>

#include "mpool/mpool.h"
#include "seed_pool.hpp"

#ifdef MPOOL_BENCH_HAVE_APR
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#endif
#ifdef MPOOL_BENCH_HAVE_TALLOC
#include <talloc.h>
#endif
#ifdef MPOOL_BENCH_HAVE_PROTOBUF
#include <google/protobuf/arena.h>
#endif
#ifdef MPOOL_BENCH_HAVE_MIMALLOC
#include <dlfcn.h>
#include <mimalloc.h>
#endif

namespace bench {

// Concatenates five strings into memory from pool.alloc(): for peers that
// have no concatenation of their own.
template <class Pool> char *concatenate5(Pool &pool, const char *a, const char *b, const char *c, const char *d, const char *e) {
    const char *parts[] = {a, b, c, d, e};
    size_t lengths[5], total = 0;
    for (int i = 0; i < 5; ++i) total += lengths[i] = std::strlen(parts[i]);
    char *out = static_cast<char *>(pool.alloc(total + 1)), *at = out;
    for (int i = 0; i < 5; ++i) at = static_cast<char *>(std::memcpy(at, parts[i], lengths[i])) + lengths[i];
    *at = '\0';
    return out;
}

// ---------------------------------------------------------------- mpool
struct Mpool {
    static constexpr const char *name = "mpool";
    static constexpr bool thread_safe_children = true;
    static constexpr bool state_in_handle = false;
    struct Parent {
        mpool_t *pool = mpool_create(nullptr);
        ~Parent() { mpool_destroy(pool); }
    };
    struct Child {
        mpool_t *pool;
        explicit Child(Parent &parent) : pool(mpool_create(parent.pool)) {}
        ~Child() { mpool_destroy(pool); }
        void *alloc(size_t n) { return mpool_alloc(pool, n); }
        char *strdup(const char *s) { return mpool_strdup(pool, s); }
    };
    struct Bulk {
        mpool_t *pool = mpool_create(nullptr);
        ~Bulk() { mpool_destroy(pool); }
        void *alloc(size_t n) { return mpool_alloc(pool, n); }
        void clear() { mpool_clear(pool); }
        template <class... A> char *printf(const char *fmt, A... args) { return mpool_printf(pool, fmt, args...); }
        char *strcat5(const char *a, const char *b, const char *c, const char *d, const char *e) {
            return mpool_strcat(pool, a, b, c, d, e, static_cast<char *>(nullptr));
        }
    };
    // One pool that many threads allocate from at once.
    struct Shared {
        mpool_t *pool;
        Shared() {
            mpool_options_t options{};
            options.flags = MPOOL_CONCURRENT;
            pool = mpool_create_ex(nullptr, &options);
        }
        ~Shared() { mpool_destroy(pool); }
        void *alloc(size_t n) { return mpool_alloc(pool, n); }
        void clear() { mpool_clear(pool); }
    };
    static constexpr bool has_shared = true;
    static constexpr bool has_strings = true;
};

// ---------------------------------------------------------------- a bare bump pointer
// The floor: no tree, no blocks, no checks beyond "does it fit".
struct Floor {
    static constexpr const char *name = "floor";
    static constexpr bool has_shared = false;
    static constexpr bool thread_safe_children = false;
    static constexpr bool state_in_handle = false;
    struct Buffer {
        char *start;
        char *ptr;
        char *end;
        explicit Buffer(size_t size)
            : start(static_cast<char *>(std::aligned_alloc(16, size))), ptr(start), end(start + size) {}
        ~Buffer() { std::free(start); }
        void *alloc(size_t n) {
            size_t rounded = (n + 15) & ~size_t{15};
            if (rounded > static_cast<size_t>(end - ptr)) std::abort();
            char *p = ptr;
            ptr += rounded;
            return p;
        }
    };
    struct Parent {
        Buffer buffer{1 << 16};
    };
    struct Child {
        Buffer &buffer;
        explicit Child(Parent &parent) : buffer(parent.buffer) { buffer.ptr = buffer.start; }
        void *alloc(size_t n) { return buffer.alloc(n); }
        char *strdup(const char *s) {
            size_t n = std::strlen(s) + 1;
            return static_cast<char *>(std::memcpy(alloc(n), s, n));
        }
    };
    struct Bulk {
        Buffer buffer{size_t{160} << 20};
        void *alloc(size_t n) { return buffer.alloc(n); }
        void clear() { buffer.ptr = buffer.start; }
        template <class... A> char *printf(const char *fmt, A... args) {
            size_t room = static_cast<size_t>(buffer.end - buffer.ptr);
            int n = std::snprintf(buffer.ptr, room, fmt, args...);
            return static_cast<char *>(alloc(static_cast<size_t>(n) + 1));
        }
        char *strcat5(const char *a, const char *b, const char *c, const char *d, const char *e) {
            return concatenate5(*this, a, b, c, d, e);
        }
    };
    static constexpr bool has_strings = true;
};

// ---------------------------------------------------------------- malloc/free
struct Malloc {
    static constexpr const char *name = "malloc";
    static constexpr bool has_shared = false;
    static constexpr bool thread_safe_children = true;
    static constexpr bool state_in_handle = false;
    struct Parent {};
    struct Child {
        void *held[128];
        int count = 0;
        explicit Child(Parent &) {}
        ~Child() {
            for (int i = 0; i < count; ++i) std::free(held[i]);
        }
        void *alloc(size_t n) { return held[count++] = std::malloc(n); }
        char *strdup(const char *s) { return static_cast<char *>(held[count++] = ::strdup(s)); }
    };
    struct Bulk {
        std::vector<void *> held;
        Bulk() { held.reserve(1 << 20); }
        ~Bulk() { clear(); }
        void *alloc(size_t n) {
            void *p = std::malloc(n);
            held.push_back(p);
            return p;
        }
        void clear() {
            for (void *p : held) std::free(p);
            held.clear();
        }
        template <class... A> char *printf(const char *fmt, A... args) {
            char *out = nullptr;
            if (asprintf(&out, fmt, args...) < 0) std::abort();
            held.push_back(out);
            return out;
        }
        char *strcat5(const char *a, const char *b, const char *c, const char *d, const char *e) {
            return concatenate5(*this, a, b, c, d, e);
        }
    };
    static constexpr bool has_strings = true;
};

// ---------------------------------------------------------------- std::pmr
struct Pmr {
    static constexpr const char *name = "std::pmr";
    static constexpr bool thread_safe_children = true;
    static constexpr bool state_in_handle = true; // the pool's state lives in the Child object itself
    struct Parent {};
    struct Child {
        std::pmr::monotonic_buffer_resource resource;
        explicit Child(Parent &) {}
        void *alloc(size_t n) { return resource.allocate(n, 16); }
        char *strdup(const char *s) {
            size_t n = std::strlen(s) + 1;
            return static_cast<char *>(std::memcpy(resource.allocate(n, 1), s, n));
        }
    };
    struct Bulk {
        std::pmr::monotonic_buffer_resource resource;
        void *alloc(size_t n) { return resource.allocate(n, 16); }
        void clear() { resource.release(); }
    };
    struct Shared {
        std::pmr::synchronized_pool_resource resource;
        void *alloc(size_t n) { return resource.allocate(n, 16); }
        void clear() { resource.release(); }
    };
    static constexpr bool has_shared = true;
    static constexpr bool has_strings = false;
};

#ifdef MPOOL_BENCH_HAVE_APR
// ---------------------------------------------------------------- APR pools
struct Apr {
    static constexpr const char *name = "APR";
    static constexpr bool has_shared = false;
    static constexpr bool thread_safe_children = true;
    static constexpr bool state_in_handle = false;
    struct Init {
        Init() { apr_initialize(); }
    };
    static void init() { static Init once; }
    struct Parent {
        apr_pool_t *pool = nullptr;
        Parent() {
            init();
            apr_pool_create(&pool, nullptr);
        }
        ~Parent() { apr_pool_destroy(pool); }
    };
    struct Child {
        apr_pool_t *pool = nullptr;
        explicit Child(Parent &parent) { apr_pool_create(&pool, parent.pool); }
        ~Child() { apr_pool_destroy(pool); }
        void *alloc(size_t n) { return apr_palloc(pool, n); }
        char *strdup(const char *s) { return apr_pstrdup(pool, s); }
    };
    struct Bulk {
        apr_pool_t *pool = nullptr;
        Bulk() {
            init();
            apr_pool_create(&pool, nullptr);
        }
        ~Bulk() { apr_pool_destroy(pool); }
        void *alloc(size_t n) { return apr_palloc(pool, n); }
        void clear() { apr_pool_clear(pool); }
        template <class... A> char *printf(const char *fmt, A... args) { return apr_psprintf(pool, fmt, args...); }
        char *strcat5(const char *a, const char *b, const char *c, const char *d, const char *e) {
            return apr_pstrcat(pool, a, b, c, d, e, static_cast<char *>(nullptr));
        }
    };
    static constexpr bool has_strings = true;
};
#endif

#ifdef MPOOL_BENCH_HAVE_TALLOC
// ---------------------------------------------------------------- talloc
struct Talloc {
    static constexpr const char *name = "talloc";
    static constexpr bool has_shared = false;
    static constexpr bool thread_safe_children = false;
    static constexpr bool state_in_handle = false;
    struct Parent {
        void *ctx = talloc_new(nullptr);
        ~Parent() { talloc_free(ctx); }
    };
    struct Child {
        void *ctx;
        explicit Child(Parent &parent) : ctx(talloc_new(parent.ctx)) {}
        ~Child() { talloc_free(ctx); }
        void *alloc(size_t n) { return talloc_size(ctx, n); }
        char *strdup(const char *s) { return talloc_strdup(ctx, s); }
    };
    struct Bulk {
        void *ctx = talloc_new(nullptr);
        ~Bulk() { talloc_free(ctx); }
        void *alloc(size_t n) { return talloc_size(ctx, n); }
        void clear() { talloc_free_children(ctx); }
        template <class... A> char *printf(const char *fmt, A... args) { return talloc_asprintf(ctx, fmt, args...); }
        char *strcat5(const char *a, const char *b, const char *c, const char *d, const char *e) {
            return talloc_asprintf(ctx, "%s%s%s%s%s", a, b, c, d, e);
        }
    };
    static constexpr bool has_strings = true;
};
#endif

#ifdef MPOOL_BENCH_HAVE_PROTOBUF
// ---------------------------------------------------------------- protobuf Arena
// No tree: a request gets an Arena of its own.
struct ProtobufArena {
    static constexpr const char *name = "protobuf Arena";
    static constexpr bool thread_safe_children = true;
    static constexpr bool state_in_handle = true; // the pool's state lives in the Child object itself
    struct Parent {};
    struct Child {
        google::protobuf::Arena arena;
        explicit Child(Parent &) {}
        void *alloc(size_t n) { return arena.AllocateAligned(n); }
        char *strdup(const char *s) {
            size_t n = std::strlen(s) + 1;
            return static_cast<char *>(std::memcpy(arena.AllocateAligned(n), s, n));
        }
    };
    struct Bulk {
        google::protobuf::Arena arena;
        void *alloc(size_t n) { return arena.AllocateAligned(n); }
        void clear() { arena.Reset(); }
    };
    struct Shared { // Arena is thread-safe: a thread-local cache finds each thread's own block
        google::protobuf::Arena arena;
        void *alloc(size_t n) { return arena.AllocateAligned(n); }
        void clear() { arena.Reset(); }
    };
    static constexpr bool has_shared = true;
    static constexpr bool has_strings = false;
};
#endif

#ifdef MPOOL_BENCH_HAVE_MIMALLOC
// ---------------------------------------------------------------- mimalloc heaps
// No tree: a request gets a heap of its own, destroyed whole.
// Debian's libmimalloc also defines malloc and free: linked in, it would
// replace glibc's malloc for every peer. It is loaded with dlopen and
// RTLD_LOCAL instead, so only the mi_heap_* calls below reach it.
struct MimallocApi {
    mi_heap_t *(*heap_new)() = nullptr;
    void (*heap_destroy)(mi_heap_t *) = nullptr;
    void *(*heap_malloc)(mi_heap_t *, size_t) = nullptr;
    char *(*heap_strdup)(mi_heap_t *, const char *) = nullptr;
    MimallocApi() {
        void *lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!lib) lib = dlopen("libmimalloc.so", RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            std::fprintf(stderr, "mimalloc: %s\n", dlerror());
            std::abort();
        }
        heap_new = reinterpret_cast<decltype(heap_new)>(dlsym(lib, "mi_heap_new"));
        heap_destroy = reinterpret_cast<decltype(heap_destroy)>(dlsym(lib, "mi_heap_destroy"));
        heap_malloc = reinterpret_cast<decltype(heap_malloc)>(dlsym(lib, "mi_heap_malloc"));
        heap_strdup = reinterpret_cast<decltype(heap_strdup)>(dlsym(lib, "mi_heap_strdup"));
    }
};
inline const MimallocApi &mi() {
    static const MimallocApi api;
    return api;
}

struct MimallocHeap {
    static constexpr const char *name = "mimalloc heap";
    static constexpr bool has_shared = false;
    static constexpr bool thread_safe_children = true;
    static constexpr bool state_in_handle = false;
    struct Parent {};
    struct Child {
        mi_heap_t *heap = mi().heap_new();
        explicit Child(Parent &) {}
        ~Child() { mi().heap_destroy(heap); }
        void *alloc(size_t n) { return mi().heap_malloc(heap, n); }
        char *strdup(const char *s) { return mi().heap_strdup(heap, s); }
    };
    struct Bulk {
        mi_heap_t *heap = mi().heap_new();
        ~Bulk() { mi().heap_destroy(heap); }
        void *alloc(size_t n) { return mi().heap_malloc(heap, n); }
        void clear() {
            mi().heap_destroy(heap);
            heap = mi().heap_new();
        }
    };
    static constexpr bool has_strings = false;
};
#endif

// ---------------------------------------------------------------- the seed's pool
// The baseline of the original request: a mutex around every call, every
// block scanned on each allocation. Only in the shared-pool table.
struct Seed {
    static constexpr const char *name = "seed (mutex)";
    static constexpr bool has_shared = true;
    struct Shared : SeedPool {
        void clear() { reset(); }
    };
};

} // namespace bench

#endif
