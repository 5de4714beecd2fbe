// mpool.hpp - the C++ face of mpool: the same pools as mpool.h, with RAII,
// typed creation that registers destructors, and exceptions.
//
// mpool::Pool owns a pool (a root, or a child made by child()) and destroys
// it when it goes out of scope; it is move-only. mpool::PoolRef is a
// non-owning handle for functions that take a pool; a Pool is a PoolRef.
// Every call forwards to the C functions, and the allocation fast path is the
// same inline bump as mpool_alloc(). Failure to get memory throws
// std::bad_alloc (std::bad_array_new_length for array sizes that overflow);
// an invalid alignment throws std::bad_alloc too. A null string given to
// strdup throws std::invalid_argument. Cleanups must not throw: one that
// does ends the program (std::terminate), since a half-cleared pool cannot
// be unwound through.
//
// A PoolRef is never null: a Pool that was moved from (or release()d) may
// only be assigned to or destroyed, as with std::unique_ptr.
//
// Lifetime: a child Pool must be destroyed (or release()d) before its parent
// is cleared or destroyed, since clearing the parent destroys the child pool
// itself.
//
// Threads: as in mpool.h. child() may be called from many threads on one
// parent at once, and each thread's children are then linked and recycled
// without a lock; so a server gives each request its own child:
//
//     mpool::Pool server;                        // shared, long-lived
//     void worker(mpool::PoolRef server) {       // in every worker thread
//         for (;;) {
//             mpool::Pool request = server.child();
//             handle(request);                   // allocate freely
//         }                                      // gone at the end of the loop body
//     }
//
// A pool made by Pool::concurrent() may also be allocated from (allocate,
// make, make_array, strings, on_cleanup) by many threads at once. Every
// other call needs the pool to itself.
#ifndef MPOOL_MPOOL_HPP
#define MPOOL_MPOOL_HPP

#include <bit>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mpool/mpool.h"

namespace mpool {

class Pool;
template <class T> class Allocator;

using Options = mpool_options_t;
using Stats = mpool_stats_t;

// A non-owning handle to a pool. Copying it copies the pointer.
class PoolRef {
public:
    // Wraps a pool made elsewhere (not NULL). The pool must outlive the handle.
    explicit PoolRef(mpool_t *pool) noexcept : pool_(pool) {}

    mpool_t *get() const noexcept { return pool_; }

    // `size` bytes aligned to `alignment` (a power of two up to
    // MPOOL_MAX_ALIGNMENT), living until the pool is cleared or destroyed.
    void *allocate(std::size_t size, std::size_t alignment = MPOOL_ALIGNMENT) const {
        void *p = alignment <= MPOOL_ALIGNMENT && std::has_single_bit(alignment) ? mpool__alloc_nonnull(pool_, size)
                                                                                 : mpool_alloc_aligned(pool_, size, alignment);
        if (!p) throw std::bad_alloc();
        return p;
    }

    // Constructs a T in the pool. When T is not trivially destructible, ~T
    // is registered as a cleanup and runs when the pool is cleared or
    // destroyed; nothing is registered otherwise. If the constructor throws,
    // the exception propagates and nothing is registered.
    template <class T, class... Args> T *make(Args &&...args) const {
        static_assert(alignof(T) <= MPOOL_MAX_ALIGNMENT, "T is aligned more strictly than a pool can align");
        T *object = construct<T>(allocate(sizeof(T), alignof(T)), std::forward<Args>(args)...);
        if constexpr (!std::is_trivially_destructible_v<T>) {
            if (mpool_cleanup_register(pool_, object, &destroy_one<T>) != 0) {
                object->~T();
                throw std::bad_alloc();
            }
        }
        return object;
    }

    // n value-initialised T in the pool, destroyed (last first) when the pool
    // is cleared or destroyed when T is not trivially destructible. If a
    // constructor throws, the elements already made are destroyed and the
    // exception propagates.
    template <class T> std::span<T> make_array(std::size_t n) const {
        static_assert(alignof(T) <= MPOOL_MAX_ALIGNMENT, "T is aligned more strictly than a pool can align");
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
        T *first = static_cast<T *>(allocate(n * sizeof(T), alignof(T)));
        std::uninitialized_value_construct_n(first, n);
        if constexpr (!std::is_trivially_destructible_v<T>) {
            ArrayRecord<T> *record = nullptr;
            try {
                record = make<ArrayRecord<T>>(ArrayRecord<T>{first, n});
            } catch (...) {
                std::destroy_n(first, n);
                throw;
            }
            if (mpool_cleanup_register(pool_, record, &destroy_array<T>) != 0) {
                std::destroy_n(first, n);
                throw std::bad_alloc();
            }
        }
        return {first, n};
    }

    // Copies of strings. The copies are NUL-terminated.
    char *strdup(const char *s) const {
        if (!s) throw std::invalid_argument("mpool: strdup of a null string");
        return checked(mpool_strdup(pool_, s));
    }
    std::string_view strdup(std::string_view s) const {
        char *copy = checked(copy_view(s));
        return {copy, s.size()};
    }

    // printf-style formatting into the pool.
    char *printf(const char *fmt, ...) const MPOOL__PRINTF(2, 3) {
        va_list ap;
        va_start(ap, fmt);
        char *result = mpool_vprintf(pool_, fmt, ap);
        va_end(ap);
        return checked(result);
    }

    // Concatenation of any number of strings (anything a std::string_view
    // can be made from); the result is NUL-terminated.
    template <class... Parts> std::string_view strcat(const Parts &...parts) const {
        const std::string_view views[] = {std::string_view(parts)..., std::string_view()};
        std::size_t total = 0;
        for (std::string_view v : views) {
            if (v.size() > std::numeric_limits<std::size_t>::max() - 1 - total) throw std::bad_alloc();
            total += v.size();
        }
        char *out = static_cast<char *>(allocate(total + 1));
        std::size_t at = 0;
        for (std::string_view v : views) {
            if (!v.empty()) std::memcpy(out + at, v.data(), v.size());
            at += v.size();
        }
        out[total] = '\0';
        return {out, total};
    }

    // Runs `f()` when the pool is cleared or destroyed, after its children
    // are destroyed (on_pre_cleanup: before). `f` is moved into the pool.
    // `f` must not throw: an exception from it calls std::terminate.
    template <class F> void on_cleanup(F &&f) const { add_callable(std::forward<F>(f), &mpool_cleanup_register); }
    template <class F> void on_pre_cleanup(F &&f) const { add_callable(std::forward<F>(f), &mpool_pre_cleanup_register); }

    // A new child pool, owned by the returned Pool.
    Pool child(const Options *options = nullptr) const;

    void clear() const noexcept { mpool_clear(pool_); }

    Stats stats(bool with_descendants = false) const noexcept {
        Stats s;
        mpool_get_stats(pool_, with_descendants ? 1 : 0, &s);
        return s;
    }

    const char *tag() const noexcept { return mpool_tag(pool_); }
    void set_tag(const char *tag) const noexcept { mpool_set_tag(pool_, tag); }
    mpool_t *parent() const noexcept { return mpool_parent(pool_); }

    // A standard allocator that takes its memory from this pool.
    template <class T> Allocator<T> allocator() const noexcept { return Allocator<T>(*this); }

    friend bool operator==(PoolRef a, PoolRef b) noexcept { return a.pool_ == b.pool_; }

protected:
    mpool_t *pool_;

private:
    template <class T> struct ArrayRecord {
        T *first;
        std::size_t count;
    };

    template <class T, class... Args> static T *construct(void *where, Args &&...args) {
        if constexpr (std::is_constructible_v<T, Args...>)
            return ::new (where) T(std::forward<Args>(args)...);
        else
            return ::new (where) T{std::forward<Args>(args)...};
    }

    template <class T> static void destroy_one(void *object) { static_cast<T *>(object)->~T(); }

    template <class T> static void destroy_array(void *data) {
        auto *record = static_cast<ArrayRecord<T> *>(data);
        for (std::size_t i = record->count; i-- > 0;) record->first[i].~T();
    }

    template <class Fn> static void call_and_destroy(void *data) noexcept {
        Fn *fn = static_cast<Fn *>(data);
        (*fn)();
        fn->~Fn();
    }

    template <class F> void add_callable(F &&f, int (*register_fn)(mpool_t *, void *, mpool_cleanup_fn)) const {
        using Fn = std::decay_t<F>;
        Fn *fn = construct<Fn>(allocate(sizeof(Fn), alignof(Fn)), std::forward<F>(f));
        if (register_fn(pool_, fn, &call_and_destroy<Fn>) != 0) {
            fn->~Fn();
            throw std::bad_alloc();
        }
    }

    char *copy_view(std::string_view s) const {
        char *copy = static_cast<char *>(mpool__alloc_nonnull(pool_, s.size() + 1));
        if (copy) {
            if (!s.empty()) std::memcpy(copy, s.data(), s.size());
            copy[s.size()] = '\0';
        }
        return copy;
    }

    static char *checked(char *p) {
        if (!p) throw std::bad_alloc();
        return p;
    }
};

// An owning handle: destroys its pool when it goes out of scope.
class Pool : public PoolRef {
public:
    // A root pool with a private allocator.
    Pool() : Pool(nullptr, nullptr) {}
    // A root pool with options.
    explicit Pool(const Options &options) : Pool(nullptr, &options) {}
    // Takes ownership of a pool made with the C API (not NULL).
    static Pool adopt(mpool_t *pool) noexcept { return Pool(pool); }
    // A root pool that many threads may allocate from at once
    // (MPOOL_CONCURRENT added to the options' flags).
    static Pool concurrent(Options options = {}) {
        options.flags |= MPOOL_CONCURRENT;
        return Pool(options);
    }

    Pool(Pool &&other) noexcept : PoolRef(std::exchange(other.pool_, nullptr)) {}
    Pool &operator=(Pool &&other) noexcept {
        if (this != &other) {
            mpool_destroy(pool_);
            pool_ = std::exchange(other.pool_, nullptr);
        }
        return *this;
    }
    Pool(const Pool &) = delete;
    Pool &operator=(const Pool &) = delete;
    ~Pool() { mpool_destroy(pool_); }

    // Gives up ownership: the pool then lives until its parent goes (or until
    // mpool_destroy()). The handle is empty afterwards.
    mpool_t *release() noexcept { return std::exchange(pool_, nullptr); }

    explicit operator bool() const noexcept { return pool_ != nullptr; }

private:
    friend class PoolRef;
    explicit Pool(mpool_t *pool) noexcept : PoolRef(pool) {}
    Pool(mpool_t *parent, const Options *options) : PoolRef(mpool_create_ex(parent, options)) {
        if (!pool_) throw std::bad_alloc();
    }
};

inline Pool PoolRef::child(const Options *options) const { return Pool(pool_, options); }

// A standard allocator over a pool: deallocate() does nothing, the memory
// comes back when the pool is cleared or destroyed. Containers using it must
// not outlive the pool.
template <class T> class Allocator {
public:
    using value_type = T;

    explicit Allocator(PoolRef pool) noexcept : pool_(pool) {}
    template <class U> Allocator(const Allocator<U> &other) noexcept : pool_(other.pool()) {}

    T *allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T *>(pool_.allocate(n * sizeof(T), alignof(T)));
    }
    void deallocate(T *, std::size_t) noexcept {}

    PoolRef pool() const noexcept { return pool_; }

    template <class U> friend bool operator==(const Allocator &a, const Allocator<U> &b) noexcept {
        return a.pool() == b.pool();
    }

private:
    PoolRef pool_;
};

} // namespace mpool

#endif
