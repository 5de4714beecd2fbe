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
// be unwound through. A make<T>() whose constructor throws gives the
// object's bytes back when they are still the pool's last allocation.
//
// Language: C++17 or later (this header needs no more; the library itself
// is built as C++20). make_array() returns mpool::Span<T>: std::span<T>
// where the standard library has it, else a minimal span of this header.
//
// Without exceptions (-fno-exceptions; detected by __cpp_exceptions), a
// failure returns instead of throwing, after the pool's out-of-memory
// handler has run, as in C: allocate, make and printf return nullptr,
// strdup returns nullptr (or an empty view with a null data()), strcat an
// empty view with a null data(), make_array an empty Span with a null
// data(), on_cleanup false; child(), Pool() and Pool::concurrent() give an
// empty Pool (operator bool false). Test the result, or give the pool an
// out-of-memory handler that aborts. Standard containers cannot take a null
// pointer, so there Allocator<T>::allocate calls std::abort() after the
// handler, and resource()'s allocation throws std::bad_alloc from the
// library, which in such a program ends it (std::terminate).
//
// A PoolRef is never null: a Pool that is empty (moved from, release()d,
// or whose pool its parent destroyed) may only be tested, assigned to or
// destroyed, as with std::unique_ptr.
//
// Child handles: a child Pool whose pool is destroyed by its parent's
// clear or destroy (or an ancestor's) becomes empty: its destructor then
// does nothing. Moves keep this true (the library knows where the owning
// handle is: mpool__set_owner). A handle may live in pool memory (made with
// make<Pool>() in its own pool, a descendant, an ancestor or any other
// pool): one destroyed while its pool's teardown runs (by a cleanup of the
// pool or of a descendant) leaves the pool to that teardown, which no longer
// writes to the handle. What stays dangling is what does not own:
// a PoolRef, an Allocator, a resource() pointer, and containers using them,
// once their pool is gone.
//
// Standard containers, two ways, both taking their memory from the pool
// until it is cleared or destroyed:
// - resource(): the pool as a std::pmr::memory_resource (where the standard
//   library has <memory_resource>), for std::pmr containers. One object per
//   pool, the same pointer on every call, valid until the pool is destroyed
//   (it survives clear); equal only to itself. Its deallocate gives memory
//   back only when it is the pool's most recent allocation, and otherwise
//   does nothing, as std::pmr::monotonic_buffer_resource does. The program
//   must use the standard library the library was built with.
// - Allocator<T>: a typed allocator, compared equal when it is over the same
//   pool. Like std::pmr::polymorphic_allocator it never propagates: a
//   container keeps the pool it was made with, whatever is assigned or
//   swapped into it. So a move between containers of one pool takes the
//   buffer (nothing is copied or allocated), a move between pools copies the
//   elements into the destination's pool, a copy-constructed container uses
//   the source's pool, and swapping containers of different pools is
//   undefined (as for std::pmr). Its construct() applies uses-allocator
//   construction, so elements that are containers with an Allocator (and
//   std::pair elements of maps) are made in the same pool without
//   std::scoped_allocator_adaptor. deallocate() gives memory back as
//   resource() does.
//
// Threads: as in mpool.h. A Pool handle, like the pool, is used by one
// thread at a time; destroying or clearing the parent counts as a use of
// the child's handle (the library writes to it). child() may be called from
// many threads on one parent at once, and each thread's children are then
// linked and recycled without a lock; so a server gives each request its
// own child:
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
// other call needs the pool to itself. In such a pool nothing is given back
// before clear: deallocation does nothing.
#ifndef MPOOL_MPOOL_HPP
#define MPOOL_MPOOL_HPP

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#if __has_include(<memory_resource>)
#include <memory_resource>
#endif
#endif
#if defined(__cpp_lib_span)
#include <span>
#endif

#if defined(__cpp_exceptions) || defined(_CPPUNWIND)
#define MPOOL__EXCEPTIONS 1
#include <stdexcept>
#else
#define MPOOL__EXCEPTIONS 0
#endif

// MPOOL__FAIL(exception, result): throws, or without exceptions returns
// `result` (the handler has run). #undef'd at the end of this header.
#if MPOOL__EXCEPTIONS
#define MPOOL__FAIL(exception, result) throw exception
#else
#define MPOOL__FAIL(exception, result) return result
#endif

#include "mpool/mpool.h"

namespace mpool {

class Pool;
template <class T> class Allocator;

using Options = mpool_options_t;
using Stats = mpool_stats_t;

#if defined(__cpp_lib_span)
template <class T> using Span = std::span<T>;
#else
// What make_array() returns where std::span is missing: a pointer and a
// count, with the part of std::span's interface that a loop needs.
template <class T> class Span {
public:
    constexpr Span() noexcept = default;
    constexpr Span(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    constexpr T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T &operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr T &front() const noexcept { return data_[0]; }
    constexpr T &back() const noexcept { return data_[size_ - 1]; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }

private:
    T *data_ = nullptr;
    std::size_t size_ = 0;
};
#endif

// A non-owning handle to a pool. Copying it copies the pointer.
class PoolRef {
public:
    // Wraps a pool made elsewhere (not NULL). The pool must outlive the handle.
    explicit PoolRef(mpool_t *pool) noexcept : pool_(pool) {}

    mpool_t *get() const noexcept { return pool_; }

    // `size` bytes aligned to `alignment` (a power of two up to
    // MPOOL_MAX_ALIGNMENT), living until the pool is cleared or destroyed.
    void *allocate(std::size_t size, std::size_t alignment = MPOOL_ALIGNMENT) const {
        bool plain = alignment <= MPOOL_ALIGNMENT && alignment != 0 && (alignment & (alignment - 1)) == 0;
        void *p = plain ? mpool__alloc_nonnull(pool_, size) : mpool_alloc_aligned(pool_, size, alignment);
        if (!p) MPOOL__FAIL(std::bad_alloc(), nullptr);
        return p;
    }

    // Constructs a T in the pool. When T is not trivially destructible, ~T
    // is registered as a cleanup and runs when the pool is cleared or
    // destroyed; nothing is registered otherwise. If the constructor throws,
    // the exception propagates, nothing is registered, and the bytes go back
    // to the pool when they are still its last allocation (the constructor
    // allocated nothing from it that it kept).
    template <class T, class... Args> T *make(Args &&...args) const {
        static_assert(alignof(T) <= MPOOL_MAX_ALIGNMENT, "T is aligned more strictly than a pool can align");
        void *memory = allocate(sizeof(T), alignof(T));
        if (!memory) return nullptr; // without exceptions only
        T *object = construct_or_give_back<T>(memory, sizeof(T), std::forward<Args>(args)...);
        if constexpr (!std::is_trivially_destructible_v<T>) {
            if (mpool_cleanup_register(pool_, object, &destroy_one<T>) != 0) {
                object->~T();
                mpool__give_back(pool_, memory, sizeof(T));
                MPOOL__FAIL(std::bad_alloc(), nullptr);
            }
        }
        return object;
    }

    // n value-initialised T in the pool, destroyed (last first) when the pool
    // is cleared or destroyed when T is not trivially destructible. If a
    // constructor throws, the elements already made are destroyed, the
    // exception propagates, and the bytes go back as for make().
    template <class T> Span<T> make_array(std::size_t n) const {
        static_assert(alignof(T) <= MPOOL_MAX_ALIGNMENT, "T is aligned more strictly than a pool can align");
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
#if MPOOL__EXCEPTIONS
            throw std::bad_array_new_length();
#else
            report_overflow();
            return {};
#endif
        }
        T *first = static_cast<T *>(allocate(n * sizeof(T), alignof(T)));
        if (!first) return {}; // without exceptions only
#if MPOOL__EXCEPTIONS
        try {
            std::uninitialized_value_construct_n(first, n);
        } catch (...) {
            mpool__give_back(pool_, first, n * sizeof(T));
            throw;
        }
#else
        std::uninitialized_value_construct_n(first, n);
#endif
        if constexpr (!std::is_trivially_destructible_v<T>) {
            void *record = mpool__alloc_nonnull(pool_, sizeof(ArrayRecord<T>));
            if (record) ::new (record) ArrayRecord<T>{first, n};
            if (!record || mpool_cleanup_register(pool_, record, &destroy_array<T>) != 0) {
                std::destroy_n(first, n);
                if (record) mpool__give_back(pool_, record, sizeof(ArrayRecord<T>));
                mpool__give_back(pool_, first, n * sizeof(T));
                MPOOL__FAIL(std::bad_alloc(), {});
            }
        }
        return {first, n};
    }

    // Copies of strings. The copies are NUL-terminated.
    char *strdup(const char *s) const {
#if MPOOL__EXCEPTIONS
        if (!s) throw std::invalid_argument("mpool: strdup of a null string");
#endif
        return checked(mpool_strdup(pool_, s)); // without exceptions, s null gives null (EINVAL)
    }
    std::string_view strdup(std::string_view s) const {
        char *copy = checked(copy_view(s));
        if (!copy) return {}; // without exceptions only
        return {copy, s.size()};
    }

    // printf-style formatting into the pool (mpool_printf()). A format it
    // refuses (%n, positional arguments, a conversion C does not define)
    // or a result it cannot represent throws std::invalid_argument, a
    // failure to get memory std::bad_alloc (without exceptions: nullptr,
    // errno says which).
    char *printf(const char *fmt, ...) const MPOOL__PRINTF(2, 3) {
        va_list ap;
        va_start(ap, fmt);
        char *result = mpool_vprintf(pool_, fmt, ap);
        va_end(ap);
        if (!result && errno != ENOMEM) MPOOL__FAIL(std::invalid_argument("mpool: printf format refused"), nullptr);
        return checked(result);
    }

    // Concatenation of any number of strings (anything a std::string_view
    // can be made from); the result is NUL-terminated.
    template <class... Parts> std::string_view strcat(const Parts &...parts) const {
        const std::string_view views[] = {std::string_view(parts)..., std::string_view()};
        std::size_t total = 0;
        for (std::string_view v : views) {
            if (v.size() > std::numeric_limits<std::size_t>::max() - 1 - total) {
#if MPOOL__EXCEPTIONS
                throw std::bad_alloc();
#else
                report_overflow();
                return {};
#endif
            }
            total += v.size();
        }
        char *out = static_cast<char *>(allocate(total + 1));
        if (!out) return {}; // without exceptions only
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
    // Returns true (false only without exceptions, when memory could not be
    // had: then nothing is kept and f will not run).
    template <class F> bool on_cleanup(F &&f) const { return add_callable(std::forward<F>(f), &mpool_cleanup_register); }
    template <class F> bool on_pre_cleanup(F &&f) const {
        return add_callable(std::forward<F>(f), &mpool_pre_cleanup_register);
    }

    // A new child pool, owned by the returned Pool (empty on failure without
    // exceptions).
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

    // Visits the pool and its descendants as mpool_walk() does:
    // visit(PoolRef pool, unsigned depth, const Stats &own) returns true to
    // go on, false to stop. Returns false when the walk was stopped (or did
    // not start: EAGAIN). The visitor may change the tree only as
    // mpool_walk()'s may, and must not throw (std::terminate).
    template <class F> bool walk(F &&visit) const {
        auto trampoline = [](const mpool_t *p, unsigned depth, const mpool_stats_t *own, void *ctx) noexcept -> int {
            return (*static_cast<std::remove_reference_t<F> *>(ctx))(PoolRef(const_cast<mpool_t *>(p)), depth, *own)
                       ? 0
                       : 1;
        };
        return mpool_walk(pool_, trampoline, &visit) == 0;
    }

    // Prints the tree as mpool_report() does (flags: MPOOL_REPORT_JSON or
    // 0). Returns 0, EAGAIN (too many walks at once) or the errno of the
    // failed write.
    int report(std::FILE *out, unsigned flags = 0) const noexcept { return mpool_report(pool_, out, flags); }

    // A standard allocator that takes its memory from this pool.
    template <class T> Allocator<T> allocator() const noexcept { return Allocator<T>(*this); }

#if defined(__cpp_lib_memory_resource)
    // The pool as a std::pmr::memory_resource: see the top of this header.
    // The same pointer on every call; valid until the pool is destroyed.
    std::pmr::memory_resource *resource() const noexcept {
        return static_cast<std::pmr::memory_resource *>(mpool__resource(pool_));
    }
#endif

    friend bool operator==(PoolRef a, PoolRef b) noexcept { return a.pool_ == b.pool_; }
    friend bool operator!=(PoolRef a, PoolRef b) noexcept { return a.pool_ != b.pool_; }

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

    // construct(), giving `size` bytes at `where` back to the pool when the
    // constructor throws.
    template <class T, class... Args> T *construct_or_give_back(void *where, std::size_t size, Args &&...args) const {
#if MPOOL__EXCEPTIONS
        try {
            return construct<T>(where, std::forward<Args>(args)...);
        } catch (...) {
            mpool__give_back(pool_, where, size);
            throw;
        }
#else
        (void)size;
        return construct<T>(where, std::forward<Args>(args)...);
#endif
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

    template <class F> bool add_callable(F &&f, int (*register_fn)(mpool_t *, void *, mpool_cleanup_fn)) const {
        using Fn = std::decay_t<F>;
        void *memory = allocate(sizeof(Fn), alignof(Fn));
        if (!memory) return false; // without exceptions only
        Fn *fn = construct_or_give_back<Fn>(memory, sizeof(Fn), std::forward<F>(f));
        if (register_fn(pool_, fn, &call_and_destroy<Fn>) != 0) {
            fn->~Fn();
            mpool__give_back(pool_, memory, sizeof(Fn));
            MPOOL__FAIL(std::bad_alloc(), false);
        }
        return true;
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
        if (!p) MPOOL__FAIL(std::bad_alloc(), nullptr);
        return p;
    }

#if !MPOOL__EXCEPTIONS
    // A size that overflowed, reported as mpool_calloc() reports one: errno
    // ENOMEM and the handler called with SIZE_MAX (no request is that big).
    void report_overflow() const { (void)mpool__alloc_nonnull(pool_, std::numeric_limits<std::size_t>::max()); }
#endif
};

// An owning handle: destroys its pool when it goes out of scope. While it
// owns a pool, the library knows where it is, and empties it when the pool
// is destroyed by a clear or destroy of an ancestor.
class Pool : public PoolRef {
public:
    // A root pool with an allocator of its own.
    Pool() : Pool(nullptr, nullptr) {}
    // A root pool with options.
    explicit Pool(const Options &options) : Pool(nullptr, &options) {}
    // Takes ownership of a pool made with the C API (not NULL). The pool must
    // not be owned by another Pool.
    static Pool adopt(mpool_t *pool) noexcept { return Pool(pool); }
    // A root pool that many threads may allocate from at once
    // (MPOOL_CONCURRENT added to the options' flags).
    static Pool concurrent(Options options = {}) {
        options.flags |= MPOOL_CONCURRENT;
        return Pool(options);
    }

    Pool(Pool &&other) noexcept : PoolRef(std::exchange(other.pool_, nullptr)) { own(); }
    Pool &operator=(Pool &&other) noexcept {
        if (this != &other) {
            destroy_owned(); // empties `other` too when its pool was a descendant of this one
            pool_ = std::exchange(other.pool_, nullptr);
            own();
        }
        return *this;
    }
    Pool(const Pool &) = delete;
    Pool &operator=(const Pool &) = delete;
    ~Pool() { destroy_owned(); }

    // Gives up ownership: the pool then lives until its parent goes (or until
    // mpool_destroy()). The handle is empty afterwards.
    mpool_t *release() noexcept {
        if (pool_) mpool__set_owner(pool_, nullptr);
        return std::exchange(pool_, nullptr);
    }

    // False when the handle is empty: moved from, released, its pool
    // destroyed by an ancestor, or (without exceptions) creation failed.
    explicit operator bool() const noexcept { return pool_ != nullptr; }

    // Moves the pool and its subtree under `new_parent` (mpool_reparent()),
    // or makes it a root (make_root()); the handle still owns it, and
    // becomes empty if the new parent destroys it. Throws
    // std::invalid_argument for a move mpool_reparent() refuses with
    // EINVAL (a cycle, a pool being torn down) and
    // std::bad_alloc when the new place's limits cannot take the subtree.
    // Without exceptions: false on failure. Reparent a pool owned by a Pool
    // through its handle: mpool_reparent() of a root that a Pool owns does
    // not tell the handle, which would then destroy the pool a second time.
    bool reparent(PoolRef new_parent) { return move_under(new_parent.get()); }
    bool make_root() { return move_under(nullptr); }

private:
    friend class PoolRef;
    explicit Pool(mpool_t *pool) noexcept : PoolRef(pool) { own(); }
    Pool(mpool_t *parent, const Options *options) : PoolRef(mpool_create_ex(parent, options)) {
#if MPOOL__EXCEPTIONS
        if (!pool_) throw std::bad_alloc();
#endif
        if (parent && pool_) mpool__set_owner(pool_, &pool_);
    }
    bool move_under(mpool_t *new_parent) {
        int error = mpool_reparent(pool_, new_parent);
        if (error == EINVAL) MPOOL__FAIL(std::invalid_argument("mpool: reparent refused"), false);
        if (error != 0) MPOOL__FAIL(std::bad_alloc(), false);
        own();
        return true;
    }
    // Tells the library where this handle keeps its pool, when the pool has
    // a parent that may destroy it. A root's handle does not: the address of
    // pool_ then never escapes, so the compiler keeps the pool in a register
    // in an allocation loop (one instruction less per allocation).
    // A root's slot is cleared instead: after make_root() it would still
    // name a handle this one was moved from.
    void own() noexcept {
        if (pool_) mpool__set_owner(pool_, mpool_parent(pool_) ? &pool_ : nullptr);
    }
    // Destroys the pool, telling the library to forget this handle first.
    // When the pool's teardown is already running (this handle is destroyed
    // or assigned by a cleanup of the pool or of one of its descendants, or
    // lives in memory that the teardown frees), mpool_destroy() does nothing
    // and the teardown frees the pool later, when the slot may have gone
    // with its memory or hold another pool: it must not be written then.
    void destroy_owned() noexcept {
        if (!pool_) return;
        mpool__set_owner(pool_, nullptr);
        mpool_destroy(pool_);
    }
};

inline Pool PoolRef::child(const Options *options) const { return Pool(pool_, options); }

// A scratch scope (mpool_mark() and mpool_rewind()): marks the pool when it
// is made and takes the pool back to the mark when it goes, so everything
// allocated, registered or created in the pool meanwhile is undone:
//
//     for (const Record &record : records) {
//         mpool::Scope scratch(pool);
//         process(pool, record);          // allocate freely
//     }                                   // all of it gone here
//
// rewind() goes back to the mark and keeps the scope. A scope does nothing
// at its end when the pool was cleared meanwhile, or is a concurrent pool
// (which cannot be rewound). Scopes of one pool nest; they must end in the
// reverse order of their making (as C++ scopes do).
class Scope {
public:
    explicit Scope(PoolRef pool) noexcept : pool_(pool.get()) { mpool_mark(pool_, &mark_); }
    ~Scope() { rewind(); }
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

    // Back to the mark; 0, or mpool_rewind()'s error.
    int rewind() noexcept { return mpool_rewind(pool_, &mark_); }

private:
    mpool_t *pool_;
    mpool_mark_t mark_;
};

namespace detail {

// Uses-allocator construction ([allocator.uses.construction]) for C++17,
// where std::uninitialized_construct_using_allocator is missing.

template <class T> struct is_pair : std::false_type {};
template <class A, class B> struct is_pair<std::pair<A, B>> : std::true_type {};

// The arguments that construct a U from `args` and `alloc`: the allocator
// leading (after std::allocator_arg) or trailing when U uses it, none
// otherwise.
template <class U, class Alloc, class... Args> auto uses_allocator_args(const Alloc &alloc, std::tuple<Args...> &&args) {
    if constexpr (!std::uses_allocator_v<U, Alloc>) {
        return std::move(args);
    } else if constexpr (std::is_constructible_v<U, std::allocator_arg_t, const Alloc &, Args...>) {
        return std::tuple_cat(std::tuple<std::allocator_arg_t, const Alloc &>(std::allocator_arg, alloc), std::move(args));
    } else {
        static_assert(std::is_constructible_v<U, Args..., const Alloc &>,
                      "a type that uses the allocator must take it first (after std::allocator_arg) or last");
        return std::tuple_cat(std::move(args), std::tuple<const Alloc &>(alloc));
    }
}

// A std::pair: each member gets the allocator (the forms of pair's
// constructors that the containers use).
template <class Alloc, class A, class B, class... X, class... Y>
void construct_pair(const Alloc &alloc, std::pair<A, B> *p, std::piecewise_construct_t, std::tuple<X...> x,
                    std::tuple<Y...> y) {
    ::new (static_cast<void *>(p)) std::pair<A, B>(std::piecewise_construct, uses_allocator_args<A>(alloc, std::move(x)),
                                                   uses_allocator_args<B>(alloc, std::move(y)));
}
template <class Alloc, class A, class B> void construct_pair(const Alloc &alloc, std::pair<A, B> *p) {
    construct_pair(alloc, p, std::piecewise_construct, std::tuple<>(), std::tuple<>());
}
template <class Alloc, class A, class B, class U, class V>
void construct_pair(const Alloc &alloc, std::pair<A, B> *p, U &&u, V &&v) {
    construct_pair(alloc, p, std::piecewise_construct, std::forward_as_tuple(std::forward<U>(u)),
                   std::forward_as_tuple(std::forward<V>(v)));
}
template <class Alloc, class A, class B, class U, class V>
void construct_pair(const Alloc &alloc, std::pair<A, B> *p, const std::pair<U, V> &pr) {
    construct_pair(alloc, p, std::piecewise_construct, std::forward_as_tuple(pr.first), std::forward_as_tuple(pr.second));
}
template <class Alloc, class A, class B, class U, class V>
void construct_pair(const Alloc &alloc, std::pair<A, B> *p, std::pair<U, V> &&pr) {
    construct_pair(alloc, p, std::piecewise_construct, std::forward_as_tuple(std::forward<U>(pr.first)),
                   std::forward_as_tuple(std::forward<V>(pr.second)));
}

template <class U, class Alloc, class... Args> void construct_using_allocator(const Alloc &alloc, U *p, Args &&...args) {
    if constexpr (is_pair<U>::value) {
        construct_pair(alloc, p, std::forward<Args>(args)...);
    } else {
        std::apply([p](auto &&...xs) { ::new (static_cast<void *>(p)) U(std::forward<decltype(xs)>(xs)...); },
                   uses_allocator_args<U>(alloc, std::forward_as_tuple(std::forward<Args>(args)...)));
    }
}

} // namespace detail

// A standard allocator over a pool; see the top of this header for how it
// propagates. Containers using it must not outlive the pool.
template <class T> class Allocator {
public:
    using value_type = T;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    // A container keeps its pool: assignment and swap never change it.
    using propagate_on_container_copy_assignment = std::false_type;
    using propagate_on_container_move_assignment = std::false_type;
    using propagate_on_container_swap = std::false_type;
    using is_always_equal = std::false_type;

    explicit Allocator(PoolRef pool) noexcept : pool_(pool) {}
    // Rebinding: the same pool, for another type.
    template <class U> Allocator(const Allocator<U> &other) noexcept : pool_(other.pool()) {}

    // Room for n T. Throws std::bad_array_new_length when n * sizeof(T)
    // overflows, std::bad_alloc when the memory cannot be had; without
    // exceptions, std::abort() after the pool's handler.
    T *allocate(std::size_t n) {
        constexpr std::size_t most = std::numeric_limits<std::size_t>::max() / sizeof(T);
#if MPOOL__EXCEPTIONS
        if (n > most) throw std::bad_array_new_length();
        return static_cast<T *>(pool_.allocate(n * sizeof(T), alignof(T)));
#else
        void *p = pool_.allocate(n <= most ? n * sizeof(T) : std::numeric_limits<std::size_t>::max(), alignof(T));
        if (!p) std::abort(); // a container cannot take a null pointer
        return static_cast<T *>(p);
#endif
    }

    // Gives the memory back when it is the pool's most recent allocation;
    // otherwise it comes back when the pool is cleared or destroyed.
    void deallocate(T *p, std::size_t n) noexcept { mpool__give_back(pool_.get(), p, n * sizeof(T)); }

    // Constructs a U at p by uses-allocator construction: a U that takes an
    // allocator this one converts to gets it (std::pair members too).
    template <class U, class... Args> void construct(U *p, Args &&...args) const {
#if defined(__cpp_lib_make_obj_using_allocator)
        std::uninitialized_construct_using_allocator(p, *this, std::forward<Args>(args)...);
#else
        detail::construct_using_allocator(*this, p, std::forward<Args>(args)...);
#endif
    }

    // A copy of a container uses the same pool as the original.
    Allocator select_on_container_copy_construction() const noexcept { return *this; }

    PoolRef pool() const noexcept { return pool_; }

private:
    PoolRef pool_;
};

template <class T, class U> bool operator==(const Allocator<T> &a, const Allocator<U> &b) noexcept {
    return a.pool() == b.pool();
}
template <class T, class U> bool operator!=(const Allocator<T> &a, const Allocator<U> &b) noexcept {
    return !(a == b);
}

} // namespace mpool

#undef MPOOL__FAIL
#undef MPOOL__EXCEPTIONS

#endif
