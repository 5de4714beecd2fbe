/*
 * mpool.h - hierarchical memory pools (the C interface, and the contract).
 *
 * A pool hands out memory with a bump pointer and takes it all back at once
 * when it is cleared or destroyed. Pools form a tree: destroying a pool
 * destroys its descendants first. Cleanup functions registered on a pool run
 * when it is cleared or destroyed. Pools get their memory in blocks from an
 * allocator, which keeps idle blocks for reuse by every pool that shares it
 * and gets new ones from a block source (malloc/free unless you give one).
 *
 * Sections: version; constants; types; pools; allocation; strings; cleanups
 * and userdata; scopes; tree and tags; statistics; tree walk, report and
 * reparenting; allocators.
 *
 * Errors. A call that returns a pointer returns NULL on failure and sets
 * errno: EINVAL for a bad argument (a NULL pool, an alignment that is not a
 * power of two up to MPOOL_MAX_ALIGNMENT, unknown flags), ENOMEM when memory
 * could not be had (the block source failed, a pool's limit would be
 * exceeded, or the size is over PTRDIFF_MAX, which fails without asking the
 * block source). Before returning NULL
 * with ENOMEM, the pool's out-of-memory handler, if any, is called. A call
 * that returns int returns 0 or an errno value (ENOMEM also calls the
 * handler and sets errno).
 * No size arithmetic wraps; a failed call leaves the pool usable.
 *
 * Threads. Creating and destroying child pools of one parent from several
 * threads at once is safe, as is any use of distinct pools that share an
 * allocator: once a second thread creates children of a parent, each thread
 * links its children in a lane of its own and keeps a small cache of idle
 * blocks there, so a create/fill/destroy cycle takes no shared lock. The
 * parent itself may meanwhile be used by one thread (the server pattern: a
 * long-lived pool that its own thread allocates from while workers make and
 * destroy children of it). A pool created with MPOOL_CONCURRENT may also be
 * allocated from by many threads at once. Every other call on a pool needs
 * that no other thread uses that pool at the same time (clearing or
 * destroying a pool also counts as a use of its descendants). A pool may be
 * destroyed by a thread other than the one that made it: its memory is back
 * in its allocator when mpool_destroy() returns. mpool_walk() and
 * mpool_report() may run in any thread while others change the subtree.
 *
 * Which memory is valid when. An allocation is valid until its pool is
 * cleared or destroyed (an ancestor's clear or destroy destroys the pool),
 * or until mpool_realloc() moves it; records the library keeps for you
 * (cleanups, userdata keys, the tag) follow the same rule, except the tag,
 * which survives a clear. A pool is valid until mpool_destroy() of it or of
 * an ancestor, or an ancestor's mpool_clear().
 */
#ifndef MPOOL_MPOOL_H
#define MPOOL_MPOOL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpool/detail/cursor.h"
#include "mpool/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MPOOL__PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#define MPOOL__SENTINEL __attribute__((sentinel))
#else
#define MPOOL__PRINTF(fmt_index, first_arg)
#define MPOOL__SENTINEL
#endif

/* Casts that read as casts in either language (user code may build with
 * -Wold-style-cast). */
#ifdef __cplusplus
#define MPOOL__SIZE(x) static_cast<size_t>(x)
#define MPOOL__REINTERPRET(type, x) reinterpret_cast<type>(x)
#else
#define MPOOL__SIZE(x) ((size_t)(x))
#define MPOOL__REINTERPRET(type, x) ((type)(x))
#endif

/* ---------------------------------------------------------------- version */

/* The version of this header. The build reads it from here (the one place
 * it is written); the shared library's soname follows the major version
 * (libmpool.so.0), and the CMake package satisfies a request for a version
 * with the same major that is not newer than this one. */
#define MPOOL_VERSION_MAJOR 0
#define MPOOL_VERSION_MINOR 2
#define MPOOL_VERSION_PATCH 0

/* The version of the library linked in, as "MAJOR.MINOR.PATCH" (e.g.
 * "0.2.0"): a static string, never NULL, any thread. It differs from the
 * macros above when a program runs with another build of the shared library
 * than it was compiled against. */
MPOOL_API const char *mpool_version(void);

/* ---------------------------------------------------------------- constants */

/* Every allocation is aligned to at least this: alignof(max_align_t), the
 * value the library is built with. C99 has neither max_align_t nor _Alignof;
 * there it is the offset of a member of the most strictly aligned basic
 * types after a char, which is the same value (16 on x86-64 and AArch64; the
 * library's build fails where it is not, since the inline mpool_alloc() must
 * round as the library does, and the tests check it against C11's). */
struct mpool__max_align_c99 {
    char first;
    union {
        long double ld;
        long long ll;
        double d;
        void *p;
        void (*fn)(void);
    } strictest; /* at offset alignof(max_align_t) */
};
#define MPOOL__ALIGNMENT_C99 MPOOL__SIZE(offsetof(struct mpool__max_align_c99, strictest))
#if defined(__cplusplus)
#define MPOOL_ALIGNMENT MPOOL__SIZE(alignof(max_align_t))
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MPOOL_ALIGNMENT MPOOL__SIZE(_Alignof(max_align_t))
#else
#define MPOOL_ALIGNMENT MPOOL__ALIGNMENT_C99
#endif

/* The largest alignment mpool_alloc_aligned() accepts, on every platform. */
#define MPOOL_MAX_ALIGNMENT MPOOL__SIZE(4096)

/* A request of more than this many bytes always gets a block of its own,
 * so it neither wastes the rest of the current block nor changes the size of
 * the blocks that follow. Clearing the pool gives such blocks back to the
 * allocator (mpool_realloc() of one that moves gives it back at once, also
 * when it was shrunk in place below the threshold before, unless the
 * allocation is older than the pool's newest mark: see mpool_mark()). */
#define MPOOL_LARGE_THRESHOLD MPOOL__SIZE(16384)

/* Block sizes. Ordinary blocks (those that hold many allocations) are
 * 2^k - MPOOL_BLOCK_SLACK bytes, for 2^k from 256 to 256 KiB: 232, 488,
 * 1000, 2024, 4072, ... 262120. The slack leaves room for malloc's own chunk
 * header: glibc's malloc keeps such a block in a chunk of 2^k - 16 bytes,
 * with nothing lost to rounding.
 * A root pool's first block is MPOOL_DEFAULT_BLOCK_SIZE. A child's first
 * block is sized from what its parent's earlier children filled (a decaying
 * maximum, that decays on each create too and believes one outlier only
 * when the next child agrees), starting at MPOOL_MIN_BLOCK_SIZE, so a
 * per-request child gets one block of the right size and a tiny child stays
 * tiny. Each later block is the next size up, to MPOOL_MAX_BLOCK_SIZE.
 * Options may fix the first block's size. Under a limit, a block that does
 * not fit in what the limit still allows is cut to the largest that does
 * (as long as it holds the request), so a limit can be used to the end. */
#define MPOOL_BLOCK_SLACK MPOOL__SIZE(24)
#define MPOOL_MIN_BLOCK_SIZE (MPOOL__SIZE(256) - MPOOL_BLOCK_SLACK)
#define MPOOL_DEFAULT_BLOCK_SIZE (MPOOL__SIZE(4096) - MPOOL_BLOCK_SLACK)
#define MPOOL_MAX_BLOCK_SIZE (MPOOL__SIZE(262144) - MPOOL_BLOCK_SLACK)

/* The largest options.extra_size (see mpool_extra()): 1 KiB. */
#define MPOOL_MAX_EXTRA_SIZE MPOOL__SIZE(1024)

/* An allocator keeps at most this many bytes of idle blocks unless
 * mpool_allocator_set_max_free() says otherwise (4 MiB). */
#define MPOOL_DEFAULT_MAX_FREE (MPOOL__SIZE(4) << 20)

/* ---------------------------------------------------------------- types */

/* A pool. Its structure is private. In C++ the tag is mpool_pool, since the
 * name mpool belongs to the C++ namespace; use mpool_t in either language. */
#ifdef __cplusplus
typedef struct mpool_pool mpool_t;
#else
typedef struct mpool mpool_t;
#endif
typedef struct mpool_allocator mpool_allocator_t;

/* A cleanup: called with the data it was registered with. */
typedef void (*mpool_cleanup_fn)(void *data);

/* An out-of-memory handler: called with the pool and the size that could not
 * be had, just before a call fails with ENOMEM. It may log, abort or longjmp;
 * if it returns, the call returns NULL. */
typedef void (*mpool_oom_fn)(mpool_t *pool, size_t size);

typedef struct mpool_options {
    mpool_allocator_t *allocator; /* NULL: the parent's; for a root, a new one, destroyed with the last pool using it */
    size_t block_size;            /* size of the pool's first block; 0: the library chooses */
    size_t limit;                 /* most bytes of blocks this pool and its descendants may hold; 0: none */
    mpool_oom_fn oom;             /* NULL: inherit the parent's */
    const char *tag;              /* a name for reports; copied */
    unsigned flags;               /* MPOOL_CONCURRENT, or 0 */
    size_t extra_size;            /* bytes of a zeroed area that lives as long as the pool (mpool_extra()); 0: none */
} mpool_options_t;

/* A pool that any number of threads may allocate from at once: the
 * mpool_alloc family, the string helpers, mpool_cleanup_register,
 * mpool_pre_cleanup_register, mpool_cleanup_kill and mpool_cleanup_run (and,
 * in C++, allocate, make, make_array, the string helpers and on_cleanup).
 * Each thread allocates in a lane of its own inside the pool (its own
 * current block), found through a thread-local cache, with no lock; the
 * cleanup calls share a small lock of the pool's, and reuse killed records
 * as in any pool. Everything else (clear, destroy, realloc of another
 * thread's allocation, userdata, tags, statistics) needs
 * that no other thread uses the pool at that moment; debug builds abort when
 * a clear or destroy overlaps an allocation. Creating children is safe from
 * any thread, as for every pool. mpool_printf formats into the calling
 * thread's lane, mpool_strcat measures its parts and then copies them (there
 * is no shared current block to write into), mpool_realloc grows by copying
 * and shrinks in place without changing bytes_allocated. A pool
 * without the flag pays nothing for it. */
#define MPOOL_CONCURRENT 1u

/* Debug mode for this pool and every pool made under it (see "Finding
 * memory bugs" below); the same as MPOOL_DEBUG=1 in the environment, for one
 * subtree. */
#define MPOOL_DEBUG 2u

/* ---------------------------------------------------------------- pools */

/* Threads: mpool_create, mpool_create_ex and mpool_destroy may run in many
 * threads at once for children of one parent (and for unrelated pools).
 * mpool_clear and mpool_destroy of a pool need that no other thread uses
 * it or any of its descendants meanwhile; a walk or report in another
 * thread is not such a use: they wait until it has left the pool (see
 * mpool_walk()). */

/* Creates a pool: a child of `parent`, or a root pool when parent is NULL.
 * Same as mpool_create_ex(parent, NULL).
 * Returns NULL with errno ENOMEM when memory could not be had. */
MPOOL_API mpool_t *mpool_create(mpool_t *parent);

/* Creates a pool with options (NULL: all defaults).
 * - allocator: where blocks come from. A child given none shares its
 *   parent's; a root given none gets an allocator of its own, which the
 *   library destroys with the last pool that uses it: the root, or a pool
 *   that mpool_reparent() took out of the root's tree, whichever is
 *   destroyed last. An allocator given here must outlive the pool, unless
 *   a root made it (mpool_get_allocator() of such a root): the pool then
 *   keeps it alive as the root's own pools do.
 * - block_size: the size of the first block, pool header included; rounded
 *   up to an ordinary block size (see MPOOL_BLOCK_SLACK), at most
 *   MPOOL_MAX_BLOCK_SIZE. 0: the library chooses (see above).
 * - limit: the most bytes of blocks (as asked of the block source, pool
 *   headers and large blocks included) the pool and its descendants may hold
 *   together; bytes_reserved never passes it. A request that would pass it
 *   fails as if the source had failed. The first block counts: creation
 *   succeeds while the smallest block that holds the header (and the tag)
 *   fits in this limit and the ancestors', and fails otherwise.
 * - oom: the out-of-memory handler; NULL inherits the parent's. Creation
 *   failure calls it (or the parent's) with the parent (NULL for a root).
 * - tag: copied (at most MPOOL_TAG_MAX bytes are kept) into the first block,
 *   which is made big enough for it: a created pool always has its tag.
 * - flags: MPOOL_CONCURRENT, MPOOL_DEBUG, both or 0 (EINVAL otherwise).
 * - extra_size: an area that lives as long as the pool, in its home block;
 *   see mpool_extra(). EINVAL over MPOOL_MAX_EXTRA_SIZE.
 * Returns NULL and sets errno (EINVAL, ENOMEM) on failure; nothing leaks and
 * the parent is unchanged (its blocks and figures are as before). The
 * handler is called only for a create that fails. Safe to call concurrently
 * for the same parent. */
MPOOL_API mpool_t *mpool_create_ex(mpool_t *parent, const mpool_options_t *options);

/* The pool's extra area: options.extra_size bytes (at most
 * MPOOL_MAX_EXTRA_SIZE; EINVAL at creation otherwise), aligned to
 * MPOOL_ALIGNMENT, zeroed when the pool is created, kept in the pool's home
 * block next to its header. Unlike memory from mpool_alloc(), it survives
 * mpool_clear(): it is valid until the pool is destroyed. It is for a layer
 * built on mpool that keeps state per pool (a runtime's pool record, the
 * bookkeeping of a binding) and would otherwise look it up by key or
 * allocate it apart. NULL when the pool was made without one (or for pool
 * NULL). The pool's figures count the area in bytes_reserved, not in
 * bytes_allocated. Any thread; what is in the area is the caller's to
 * guard. */
MPOOL_API void *mpool_extra(const mpool_t *pool);

/* Empties a pool, in this order: runs pre-cleanups (last registered first),
 * destroys the children (newest first, in the order they were created,
 * whichever threads created them), runs cleanups (last registered first;
 * one registered while they run also runs), drops userdata (running each
 * one's cleanup, newest first); repeated while a cleanup left more of these.
 * Then every pointer the pool handed out is invalid; the pool keeps the
 * ordinary blocks it used since its last clear for reuse and gives large
 * blocks (and spares it did not use) back to the allocator. Its tag, options
 * and limit stay. Any depth of descendants is fine: nothing recurses.
 * A cleanup may clear or destroy other pools, siblings of the pools being
 * torn down included (a pool destroyed that way unlinks itself). A clear or
 * destroy of a pool whose own clear or destroy is already running (called
 * from one of its cleanups, or a descendant's) does nothing; a clear or
 * destroy from a cleanup of an ancestor of the pool being torn down stops the
 * program with a message (it would free the running teardown under it).
 * NULL: no-op. */
MPOOL_API void mpool_clear(mpool_t *pool);

/* Does what mpool_clear() does, then unlinks the pool from its parent and
 * gives all of its blocks back to the allocator; the allocator a root made
 * goes with the last pool that uses it (see the allocator option). NULL:
 * no-op. Safe to call concurrently with the creation and destruction of the
 * pool's siblings. */
MPOOL_API void mpool_destroy(mpool_t *pool);

/* ---------------------------------------------------------------- allocation */

/* Threads: the calls of this section and the next need the pool to
 * themselves (one thread at a time), except in a pool created with
 * MPOOL_CONCURRENT, where any number of threads may call them at once
 * (mpool_realloc only on an allocation of the calling thread's). What they
 * return may be used from any thread. */

/* Allocates `size` bytes aligned to MPOOL_ALIGNMENT. The memory is not
 * zeroed and lives until the pool is cleared or destroyed. Size 0 gives a
 * valid, unique pointer (which must not be dereferenced).
 * Returns NULL with errno EINVAL (pool NULL) or ENOMEM.
 * Inlined: the common case is a few instructions in the caller. */
MPOOL_API void *mpool_alloc(mpool_t *pool, size_t size);

/* Like mpool_alloc(), aligned to `alignment`: a power of two up to
 * MPOOL_MAX_ALIGNMENT (EINVAL otherwise). Smaller alignments than
 * MPOOL_ALIGNMENT give MPOOL_ALIGNMENT. */
MPOOL_API void *mpool_alloc_aligned(mpool_t *pool, size_t size, size_t alignment);

/* Allocates count * size zeroed bytes; ENOMEM when the product overflows. */
MPOOL_API void *mpool_calloc(mpool_t *pool, size_t count, size_t size);

/* Resizes an allocation of `old_size` bytes (the size it was asked with) to
 * `new_size`. In place when `ptr` is the pool's most recent allocation and
 * the block has room (or when shrinking it); otherwise the first
 * min(old_size, new_size) bytes are copied to a new allocation aligned to
 * MPOOL_ALIGNMENT, and the old pointer is dead, as with realloc(). So
 * realloc is for memory of the default alignment: a larger alignment from
 * mpool_alloc_aligned() is not kept by a move (allocate anew instead).
 * `ptr` NULL acts as mpool_alloc(pool, new_size). On failure returns NULL
 * and `ptr` is unchanged and still valid. `ptr` must come from this pool.
 * In a checked pool (AddressSanitizer, memcheck, debug mode: see "Finding
 * memory bugs") growing always moves, the most recent allocation too, and
 * the old bytes become inaccessible: a stale pointer kept across the grow
 * is then caught, where an in-place grow would hide it. Shrinking stays in
 * place there too. */
MPOOL_API void *mpool_realloc(mpool_t *pool, void *ptr, size_t old_size, size_t new_size);

/* Copies `size` bytes of `src` into the pool. `src` NULL: NULL (EINVAL).
 * Inlined, like mpool_alloc(): a copy of a size known at compile time is a
 * few moves in the caller. */
MPOOL_API void *mpool_memdup(mpool_t *pool, const void *src, size_t size);

/* ---------------------------------------------------------------- strings */

/* Copies a NUL-terminated string. `s` NULL: NULL (EINVAL). */
MPOOL_API char *mpool_strdup(mpool_t *pool, const char *s);

/* Copies at most `n` bytes of `s`, stopping at its terminator, and adds a
 * terminator. Reads no byte past s[n-1]. `s` NULL: NULL (EINVAL). */
MPOOL_API char *mpool_strndup(mpool_t *pool, const char *s, size_t n);

/* Concatenates the strings given, up to a NULL argument (required), into a
 * new NUL-terminated string. No strings gives "". One pass: each part is
 * measured and copied in turn into the current block's free room; when the
 * result does not fit there, the parts are measured, then copied. */
MPOOL_API char *mpool_strcat(mpool_t *pool, ...) MPOOL__SENTINEL;

/* Formats like vsnprintf into the pool and returns the result, terminated:
 * one allocation of length + 1 bytes (what bytes_allocated counts), valid
 * like any other. The result is the same bytes vsnprintf writes, and may
 * hold a NUL from %c. One pass over the format and the arguments, in every
 * pool: the output is written straight into the free room of the current
 * block (in a concurrent pool, the calling thread's lane's; in a pool laid
 * out for a checker, a stack buffer) and moves to a bigger allocation, with
 * what was written so far, when that room runs out; floating-point, wide
 * (%lc, %ls) and ' conversions are done by snprintf, one at a time.
 * Conversions: d i o u x X c s p f F e E g G a A %, and %m (strerror of
 * errno at the call; %#m, its name); flags - + space # 0 '; widths and
 * precisions, * included; length modifiers hh h l ll j z t L (and glibc's
 * q, Z, L on integers, %C and %S).
 * Returns NULL and sets errno:
 * - EINVAL: pool or fmt NULL, or a format refused: %n (it would write
 *   through an argument), positional arguments (%1$s), an unknown
 *   conversion (glibc prints it as it is), a length modifier C does not
 *   define for the conversion (%hs, %lp), a format that ends inside a
 *   conversion;
 * - EOVERFLOW: a width or precision over INT_MAX (an INT_MIN width from
 *   *), or a result over INT_MAX bytes, as vsnprintf;
 * - EILSEQ: a wide character the locale cannot convert, as vsnprintf;
 * - ENOMEM (handler called).
 * A failed call counts nothing in bytes_allocated; memory it took for the
 * output stays in the pool until it is cleared. Threads: as mpool_alloc. */
MPOOL_API char *mpool_vprintf(mpool_t *pool, const char *fmt, va_list ap) MPOOL__PRINTF(2, 0);
MPOOL_API char *mpool_printf(mpool_t *pool, const char *fmt, ...) MPOOL__PRINTF(2, 3);

/* ---------------------------------------------------------------- cleanups and userdata */

/* Threads: the pool to themselves, except that mpool_cleanup_register,
 * mpool_pre_cleanup_register, mpool_cleanup_kill and mpool_cleanup_run may
 * run in many threads at once on a pool created with MPOOL_CONCURRENT (each
 * holds the pool's cleanup lock for a push, a pop or a look through the
 * lists; mpool_cleanup_run calls fn after letting go of it). Cleanups run in
 * the thread that clears or destroys the pool, and must not throw. */

/* Registers fn(data) to run when the pool is cleared or destroyed, after its
 * children are destroyed. Cleanups run last registered first. Registering the
 * same pair twice registers it twice. The record is kept in the pool's own
 * memory; a record killed by mpool_cleanup_kill() or mpool_cleanup_run() is
 * reused by a later registration, so register/kill pairs do not grow the
 * pool. Returns 0, EINVAL (pool or fn NULL) or ENOMEM (after calling the
 * out-of-memory handler). */
MPOOL_API int mpool_cleanup_register(mpool_t *pool, void *data, mpool_cleanup_fn fn);

/* Like mpool_cleanup_register(), but fn runs before the children are
 * destroyed, while they are still usable. */
MPOOL_API int mpool_pre_cleanup_register(mpool_t *pool, void *data, mpool_cleanup_fn fn);

/* Unregisters the most recent registration of (data, fn), looking at the
 * cleanups first and the pre-cleanups next. Returns 0, ENOENT (not
 * registered) or EINVAL (pool NULL). */
MPOOL_API int mpool_cleanup_kill(mpool_t *pool, void *data, mpool_cleanup_fn fn);

/* Unregisters (data, fn) as mpool_cleanup_kill() does, then calls fn(data).
 * Returns 0, or ENOENT/EINVAL without calling anything. */
MPOOL_API int mpool_cleanup_run(mpool_t *pool, void *data, mpool_cleanup_fn fn);

/* Attaches `data` to the pool under `key` (copied). A key already set gets
 * the new value; the old value's cleanup runs then, unless the old value and
 * cleanup are the same as the new ones. The cleanup (may be NULL) runs when
 * the pool is cleared or destroyed, after the cleanups. Returns 0, EINVAL
 * (pool or key NULL) or ENOMEM. */
MPOOL_API int mpool_userdata_set(mpool_t *pool, const char *key, void *data, mpool_cleanup_fn cleanup);

/* The data set under `key`, or NULL when none is (or pool or key is NULL). */
MPOOL_API void *mpool_userdata_get(const mpool_t *pool, const char *key);

/* ---------------------------------------------------------------- scopes: marks and rewinding */

/* A scratch scope without a child pool: mpool_mark() notes where the pool
 * stands, mpool_rewind() takes the pool back there. Rewinding undoes, newest
 * first and in the order of mpool_clear(), everything done to the pool since
 * the mark: it runs the pre-cleanups registered since, destroys the children
 * created since (and children moved under the pool since), runs the cleanups
 * registered since, drops the userdata keys added since (running their
 * cleanups); what those callbacks add waits for the next round, as in a
 * clear, and rounds repeat while they add more. Then it frees every
 * allocation made since (blocks taken since become the pool's spares, large
 * blocks go back to the allocator), puts the tag back as it was, and
 * restores the cursor, so bytes_allocated is exactly what it was at the
 * mark. What was there before the mark stays: allocations, registrations,
 * children and userdata keys, with these exceptions: a value set since the
 * mark under a key that existed before keeps its new value; an allocation
 * made before the mark and grown in place by mpool_realloc() since keeps
 * only the bytes it had at the mark; one moved by mpool_realloc() since is
 * gone (its new place is freed by the rewind; its old place, dead since the
 * move, still counts in bytes_allocated, and is held, until the next clear
 * or a rewind to an older mark: so a large allocation older than the pool's
 * newest mark keeps its block when mpool_realloc() moves it); the memory of
 * cleanup records killed before the rewind is not reused until the next
 * clear.
 *
 * Marks nest: rewinding to a mark makes every newer mark invalid, and keeps
 * the mark itself valid (a loop may rewind to one mark each time round). A
 * mark is valid until the pool is cleared or destroyed. An invalid mark is
 * not always seen (see mpool_rewind()), and a rewind to one that is not
 * seen is undefined: it may free memory that records or allocations still
 * use. In debug mode, the canaries of the pool's allocations are checked by
 * a rewind; under AddressSanitizer or Valgrind the allocations it freed
 * become inaccessible.
 *
 * Threads: like mpool_clear(): no other thread may use the pool or its
 * descendants, or create children of it, during mpool_rewind();
 * mpool_mark() needs the pool to itself. */

/* Where a pool stands; stack-allocatable. Its fields are private. (The
 * struct's tag is not mpool_mark, which in C++ would be hidden by the
 * function's name.) */
typedef struct mpool_mark_state {
    void *mpool__private[16];
} mpool_mark_t;

/* Notes in *mark where the pool stands now; from then, a large allocation
 * older than the mark keeps its block when mpool_realloc() moves it (see
 * above). A mark holds no memory: it needs no release. pool or mark NULL:
 * no-op. */
MPOOL_API void mpool_mark(mpool_t *pool, mpool_mark_t *mark);

/* Takes the pool back to *mark, as described above. Returns 0; EINVAL when
 * pool or mark is NULL, the mark is of another live pool, was taken before
 * the pool's last clear, or is seen to be newer than a mark rewound to
 * since; ENOTSUP for a pool created with MPOOL_CONCURRENT; EBUSY when called
 * from a callback of the pool's own clear, destroy or rewind. Not every
 * invalid mark is seen: a newer mark is seen only when the pool's blocks,
 * registrations or children since tell it apart (one taken and rewound past
 * within one block, with no registration, is not), and the mark of a
 * destroyed pool may pass for one of a new pool made at its address. A
 * callback run by a rewind may allocate, register and create children in
 * the pool (the rewind undoes those too); a clear or destroy of the pool
 * from such a callback does nothing; a rewind that would destroy a child
 * whose own teardown is running (the rewind was called from one of its
 * callbacks, or from a descendant's) stops the program with a message. */
MPOOL_API int mpool_rewind(mpool_t *pool, const mpool_mark_t *mark);

/* ---------------------------------------------------------------- tree and tags */

/* Threads: mpool_parent, mpool_is_ancestor and mpool_get_allocator read
 * links that change only when mpool_reparent() moves the pool or one of its
 * ancestors: any thread, while no such move runs. The tag calls need the
 * pool to themselves. */

/* Tags are names for reports. At most this many bytes of a tag are kept. */
#define MPOOL_TAG_MAX MPOOL__SIZE(63)

/* Sets the pool's tag (copied, truncated to MPOOL_TAG_MAX bytes; NULL removes
 * it). The copy lives in the pool's memory and survives mpool_clear(); a tag
 * set too often grows the pool until its next clear. `tag` may point into
 * the pool's own tag (mpool_tag(pool) + 1): the new tag is that text as it
 * was on entry. When the copy cannot be had (ENOMEM, handler called) the
 * tag stays as it was. pool NULL: no-op. */
MPOOL_API void mpool_set_tag(mpool_t *pool, const char *tag);

/* The pool's tag, or NULL when it has none. Valid until the tag is changed
 * or the pool is destroyed (it moves on clear: read it again after one). */
MPOOL_API const char *mpool_tag(const mpool_t *pool);

/* The pool's parent; NULL for a root (or for pool NULL). */
MPOOL_API mpool_t *mpool_parent(const mpool_t *pool);

/* 1 when `ancestor` is `pool` or one of its ancestors, 0 otherwise (and when
 * either is NULL). */
MPOOL_API int mpool_is_ancestor(const mpool_t *ancestor, const mpool_t *pool);

/* The allocator the pool takes its blocks from (NULL for pool NULL). Valid
 * while the pool lives; one a root made belongs to the library (destroyed
 * with the last pool using it): never give it to mpool_allocator_destroy. */
MPOOL_API mpool_allocator_t *mpool_get_allocator(const mpool_t *pool);

/* ---------------------------------------------------------------- statistics */

/* Threads: needs that no thread changes the pool (or, with descendants,
 * its subtree) meanwhile. */

typedef struct mpool_stats {
    size_t bytes_allocated; /* handed out by allocation calls, as requested */
    size_t bytes_reserved;  /* held in blocks, including unused tails */
    size_t blocks;          /* blocks held, large ones included */
    size_t children;        /* direct children (all descendants when summed) */
    size_t cleanups;        /* registered, not yet run; pre-cleanups included */
} mpool_stats_t;

/* Fills *out with the pool's figures; with_descendants non-zero sums every
 * field over the pool and all its descendants (any depth: nothing recurses). bytes_reserved counts what
 * was asked of the block source for the pool's blocks, the same bytes that a
 * limit counts. bytes_allocated counts library records too (cleanups,
 * userdata, tags). pool or out NULL: no-op (out zeroed when not NULL). */
MPOOL_API void mpool_get_stats(const mpool_t *pool, int with_descendants, mpool_stats_t *out);

/* ---------------------------------------------------------------- tree walk, report and reparenting */

/* Threads, for the walk and the report. They may run in any thread, and
 * visit every pool of the subtree whichever threads made it, while other
 * threads create, clear, rewind, reparent and destroy pools below `pool`
 * (the server pattern: workers make and destroy children of a long-lived
 * pool while a monitoring thread reports on it). `pool` itself must not be
 * cleared, rewound, destroyed or reparented meanwhile, nor any of its
 * ancestors. What may change during the walk, and what it sees:
 * - A pool created during the walk may or may not be visited.
 * - A pool whose clear, rewind or destroy has begun when the walk reaches it
 *   is not visited, nor anything below it (it may still be counted in its
 *   parent's `children`).
 * - The walk is inside a pool from its visit until it has visited the
 *   pool's descendants: a clear, rewind, destroy or reparent of that pool
 *   from another thread waits until the walk has left it (so a slow visitor,
 *   or a report into a stream that blocks, holds such a thread up). So each
 *   pool visited is there, at its place in the tree, for the whole visit,
 *   and its parent was visited before it.
 * - A pool's figures are read at its visit, its `children` counted under
 *   the locks of its lists: exact for a pool in which no other thread
 *   allocates, registers cleanups or sets the tag at that moment. Those calls
 *   take no lock (mpool_alloc() is a few inline instructions), so one made
 *   in a visited pool during its visit is a data race with the walk, as with
 *   mpool_get_stats(): the figures may be caught mid-change (and
 *   ThreadSanitizer reports it). Children created and destroyed after the
 *   count make the children visited differ from it.
 * At most 255 walks (mpool_walk and mpool_report calls, nested ones
 * included) run at once: a further one returns EAGAIN at once. */

/* Called by mpool_walk() for each pool visited: its depth below the walk's
 * pool (0 for that pool) and its own figures, as mpool_get_stats(pool, 0)
 * gives them (`children` counts every direct child at that moment). `own`
 * is valid during the call, and so is `pool` (see Threads above). Returning
 * non-zero stops the walk. The visitor may read pools (tags, statistics),
 * allocate, create pools, and clear or destroy pools of the subtree that
 * the walk is not inside; it must not clear, rewind, destroy or reparent
 * `pool`, the walk's pool or any pool between the two (that would wait for
 * this very walk, or free what it stands on), nor wait for a thread that
 * does. */
typedef int (*mpool_visit_fn)(const mpool_t *pool, unsigned depth, const mpool_stats_t *own, void *ctx);

/* Visits `pool` and its descendants depth-first, parents before children:
 * a pool, then each of its children, each followed by its own descendants.
 * The children come newest first among those one thread created (the order
 * a clear destroys them in); those of different threads, one thread's
 * after another's. A single-threaded tree is visited newest first. Any
 * depth: nothing recurses. Returns 0 when every pool was visited, the
 * visitor's non-zero value when it stopped the walk, EINVAL (pool or visit
 * NULL), or EAGAIN (255 walks run already, see Threads above). */
MPOOL_API int mpool_walk(const mpool_t *pool, mpool_visit_fn visit, void *ctx);

/* mpool_report() flags: one JSON document instead of text. */
#define MPOOL_REPORT_JSON 1u

/* Prints the pools that mpool_walk() visits, in its order, to `out`.
 * Text (flags 0): one line per pool, indented two spaces per depth: its tag
 * or "(untagged 0x...)", then its own figures, counts with thousands
 * separated by commas; then a line of totals over the pools visited:
 *     request-42  allocated 1,234  reserved 4,072  blocks 1  cleanups 2  children 0
 *     total  allocated 1,234  reserved 4,072  blocks 1  cleanups 2  pools 1
 * In a tag, a backslash is written \\, and so that a pool is one line of
 * valid UTF-8, each byte of a control character (C0, DEL and C1: U+0080 to
 * U+009F, NEL among them), of the line and paragraph separators U+2028 and
 * U+2029, and each byte that is not part of valid UTF-8 is written \xNN
 * (U+0085 is \xc2\x85): every byte of the tag can be read back.
 * MPOOL_REPORT_JSON: one JSON document, an object per pool, nested:
 *     {"tag": "request-42", "bytes_allocated": 1234, "bytes_reserved": 4072,
 *      "blocks": 1, "cleanups": 2, "children_not_visited": 0, "children": [...]}
 * "children_not_visited" is always 0 (every child is visited), kept for the
 * readers of earlier versions, where a walk from another thread than the
 * one that made the children counted them here instead of visiting them.
 * "tag" is null when the pool has none; quotes and backslashes are escaped,
 * and so are the characters the text form escapes, as \u00XX, \u2028 and
 * \u2029 (JSON allows C1 controls and the separators raw, but a tool that
 * splits lines on them would cut the document); other valid UTF-8 passes
 * through, and any other byte is written as \u00XX (its Latin-1 reading),
 * so the document is valid UTF-8. Either way the output ends with a
 * newline, and is flushed. Returns 0; EINVAL (pool or out NULL, unknown
 * flags); EAGAIN (255 walks run already: nothing is written); or, when
 * writing failed, the errno value the stream left (EIO if none), after
 * which the output is cut short. Threads: as mpool_walk() (each pool's line
 * is written while the walk is inside it), and `out` is the caller's. */
MPOOL_API int mpool_report(const mpool_t *pool, FILE *out, unsigned flags);

/* Moves `pool`, with everything it holds (memory, cleanups, userdata, tag,
 * children), under `new_parent` (talloc_steal for pools): it becomes
 * new_parent's newest child, is destroyed with it (and no longer with its
 * old parent), and falls under new_parent's limits and out-of-memory
 * handler. `new_parent` NULL makes it a root. Moving a pool to its own
 * parent makes it the newest child. Limits: the subtree's bytes_reserved
 * (with descendants) is charged to the limits of the new ancestors that
 * were not ancestors before, and released from those it leaves; limits of
 * the pool and its descendants are unchanged. Each pool keeps its
 * allocator and its flags (a pool moved under a debug-mode or concurrent
 * parent does not become one): its blocks still come from and go back to
 * that allocator, and its new children take it too. So a pool moves from
 * any tree to any other: an allocator that a root made (a root created
 * without one in its options) stays alive while any pool uses it, and is
 * destroyed with the last of them, whether that is the root or a pool
 * moved out of its tree (or under NULL). An allocator given in options is
 * the caller's, as at creation: it must outlive every pool using it.
 * Returns 0, or:
 * - EINVAL: pool NULL; `new_parent` is `pool` or one of its descendants
 *   (a cycle); `pool` is being cleared or destroyed (its own teardown or an
 *   ancestor's has reached it).
 * - ENOMEM: a new ancestor's limit cannot take the subtree's bytes, or the
 *   new parent's lane for this thread could not be had; the out-of-memory
 *   handler that applies to `new_parent` is called, errno is set.
 * On an error nothing changes (figures, limits, links).
 * Threads: needs `pool` and its descendants to itself, as mpool_destroy()
 * does (and, as it does, waits for a walk in another thread to leave
 * `pool`), and no move of an ancestor of `pool` or of `new_parent` at the
 * same time. Meanwhile other threads may create and destroy other children
 * of the old and new parents, and use those parents themselves (as a create
 * and a destroy allow): the pool is unlinked and linked under the same
 * locks. May be called from a cleanup (say, to keep a child alive past its
 * parent's pre-cleanup), as long as `pool` itself is not being torn down.
 * Costs a walk of the subtree. */
MPOOL_API int mpool_reparent(mpool_t *pool, mpool_t *new_parent);

/* ---------------------------------------------------------------- finding memory bugs */

/* A pool hands out pieces of blocks, so a checker that watches malloc and
 * free sees none of its mistakes by itself. mpool tells three checkers what
 * is valid (see "Which memory is valid when" at the top):
 *
 * - AddressSanitizer: when the library is compiled with -fsanitize=address,
 *   every pool is poisoned: ASan reports, with the stack, any access outside
 *   the exact bytes of a live allocation (the padding after it, a 16-byte
 *   redzone after every allocation and at the start of every block, a
 *   block's unused tail, idle blocks) and any access to memory that a clear
 *   or destroy took back or that mpool_realloc() moved away from. The
 *   program may be built with or without ASan.
 * - Valgrind memcheck: a release build needs nothing: when it finds itself
 *   under Valgrind (checked once, when the first allocator is made), the
 *   library uses memcheck's mempool requests and the same redzones, so
 *   memcheck reports the same errors, and reads of allocated memory never
 *   written (calloc's memory is defined). Compiled in when valgrind.h was
 *   found at build time.
 * - Debug mode (MPOOL_DEBUG=1 in the environment, read once when the first
 *   pool or allocator is made; or the MPOOL_DEBUG flag for one subtree): a
 *   canary after every allocation, checked when the pool is cleared or
 *   destroyed and by mpool_check(); a write past the end stops the program
 *   with "mpool: write past the end of a 24-byte allocation in pool
 *   "request" (offset 24)". Misuse stops the program with "mpool: " and one
 *   line: a call on a destroyed pool (the last 1024 debug pools destroyed
 *   are remembered; a destroyed child of a destroyed parent included), an
 *   mpool_realloc() of a pointer the pool did not hand out, a pool that is
 *   not concurrent used by two threads at once, a clear or destroy while
 *   another thread allocates. Memory taken back by clear and destroy is
 *   filled with 0xDB. MPOOL_DEBUG=2 also gives every allocation a block of
 *   its own from the block source, so that any malloc debugger sees each.
 *
 * In each of these modes every allocation takes the out-of-line path (the
 * inline fast path finds no room), and takes 16 bytes more than usual (32
 * in debug mode), so statistics differ from a normal run. mpool_realloc()
 * that grows always moves (so a stale pointer to the old place is caught),
 * and memory given back (mpool::Allocator, the pmr resource) is not handed
 * out again while the pool has a mark. A release build with none of them
 * on pays nothing, and the MPOOL_DEBUG flag of one subtree costs the pools
 * outside it a few instructions per call once a pool of it was destroyed. */

/* Which of the checkers above the library serves in this process: a mask
 * of these (0: none). Decided once; the MPOOL_DEBUG flag of one subtree is
 * not counted. */
#define MPOOL_CHECK_ASAN 1u
#define MPOOL_CHECK_VALGRIND 2u
#define MPOOL_CHECK_DEBUG 4u
MPOOL_API unsigned mpool_check_modes(void);

/* Checks the pool and its descendants: their structure, and in debug mode
 * every allocation's canary. Returns 0 when all is intact; otherwise prints
 * what is wrong to stderr ("mpool: ...") and returns EFAULT. EINVAL for pool
 * NULL. Usable in any mode; the subtree must not change meanwhile. It may
 * be called from a cleanup while the pool or an ancestor is being cleared
 * or destroyed: it then checks what is still there (the pools not yet
 * freed, the allocations not yet taken back) as it would a live pool's. */
MPOOL_API int mpool_check(const mpool_t *pool);

/* ---------------------------------------------------------------- allocators */

/* Threads: every allocator call is thread-safe (the allocator has a lock),
 * except mpool_allocator_destroy, which needs that no pool uses it.
 *
 * Idle memory. The allocator holds every idle block: in its own free lists
 * and in the small per-thread caches that children of a shared parent
 * recycle blocks through (lanes; see Threads at the top). Both count in
 * mpool_allocator_idle_bytes(), both are bounded together by max_free, and
 * trim, decay and destroy reach both. So the block source never holds more
 * than the pools' bytes_reserved plus max_free. */

/* Where blocks come from. alloc(ctx, size) returns `size` bytes aligned to
 * MPOOL_ALIGNMENT, or NULL; free(ctx, block, size) gets back a block with the
 * size it was asked with. NULL alloc and free: malloc and free. Both are
 * called with the allocator's lock held, from any thread. */
typedef struct mpool_block_source {
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *block, size_t size);
    void *ctx;
} mpool_block_source_t;

/* Creates an allocator that takes blocks from `source` (copied; NULL:
 * malloc/free) and keeps up to MPOOL_DEFAULT_MAX_FREE idle bytes for reuse.
 * The allocator's own record comes from the source too. Returns NULL with
 * errno ENOMEM, or EINVAL when only one of alloc and free is given.
 * Thread-safe: any number of pools in any threads may share it. */
MPOOL_API mpool_allocator_t *mpool_allocator_create(const mpool_block_source_t *source);

/* Gives every idle block back to the source and frees the allocator. Every
 * pool that uses it must be destroyed first. NULL: no-op. */
MPOOL_API void mpool_allocator_destroy(mpool_allocator_t *allocator);

/* Sets how many idle bytes the allocator keeps for reuse; blocks given back
 * past that go to the source at once, and idle blocks past it now are given
 * back now. 0 keeps nothing idle. */
MPOOL_API void mpool_allocator_set_max_free(mpool_allocator_t *allocator, size_t bytes);

/* The current max_free (0 for allocator NULL). */
MPOOL_API size_t mpool_allocator_max_free(const mpool_allocator_t *allocator);

/* Gives idle blocks back to the source, largest first (thread caches
 * included), until at most `keep_bytes` idle bytes remain. Also gives back
 * the blocks past the decay time, if one is set. Returns the bytes given
 * back. */
MPOOL_API size_t mpool_allocator_trim(mpool_allocator_t *allocator, size_t keep_bytes);

/* Bytes of idle blocks the allocator holds for reuse. */
MPOOL_API size_t mpool_allocator_idle_bytes(const mpool_allocator_t *allocator);

/* Gives back to the source the blocks that have been idle for `milliseconds`
 * or longer (0, the default: never). A block's idle time runs from when it
 * was last given back, whether it sits in the allocator's lists or in a
 * thread's cache. There is no timer: the allocator looks
 * at the clock on its slow paths (when a pool takes or gives back a block,
 * and at most every milliseconds/2 sweeps for old blocks) and on
 * mpool_allocator_trim(), which always sweeps. The allocation fast path never
 * reads the clock. NULL allocator: no-op. */
MPOOL_API void mpool_allocator_set_decay(mpool_allocator_t *allocator, uint64_t milliseconds);

/* A clock in milliseconds, for decay. */
typedef uint64_t (*mpool_clock_fn)(void *ctx);

/* Replaces the allocator's clock (NULL: CLOCK_MONOTONIC), for tests and for
 * programs that keep their own time. Called with the allocator's lock held,
 * or with a thread's block cache locked when that thread gives a block to
 * its cache (so from any thread that uses the allocator): it must be
 * thread-safe and must not call mpool. */
MPOOL_API void mpool_allocator_set_clock(mpool_allocator_t *allocator, mpool_clock_fn clock, void *ctx);

/* ---------------------------------------------------------------- hooks for mpool.hpp */

/* Not to be called directly: for mpool.hpp, whose classes they serve. Each
 * needs the pool to itself, as the calls it serves do. */

/* Names the slot that the library sets to NULL when the pool is freed
 * (by mpool_destroy() of it or of an ancestor, or an ancestor's
 * mpool_clear()), so that an mpool::Pool handle knows its pool is gone.
 * One slot per pool; a later call replaces it; NULL: none. The slot must
 * stay valid while it is named: a handle names NULL before it destroys its
 * pool, since the destroy does nothing when the pool's teardown is already
 * running, and that teardown would write the slot after the handle (or the
 * memory it lived in) was gone. */
MPOOL_API void mpool__set_owner(mpool_t *pool, mpool_t **slot);

/* The pool's std::pmr::memory_resource, as void *: it lives in the pool's
 * header, so it is the same for every call, survives mpool_clear(), and is
 * valid until the pool is freed. NULL for pool NULL. */
MPOOL_API void *mpool__resource(mpool_t *pool);

/* Gives back `ptr`, an allocation of `size` bytes (the size it was asked
 * with), when it is the pool's most recent allocation and the pool's cursor
 * still sits just past it: the pool hands the bytes out again and
 * bytes_allocated drops by `size`; returns 1. Otherwise does nothing and
 * returns 0: always for an earlier allocation, a large one (over
 * MPOOL_LARGE_THRESHOLD) and in a MPOOL_CONCURRENT pool; sometimes for one
 * that began a new block. In a checked pool (see "Finding memory bugs") the
 * bytes become inaccessible again and debug mode forgets the allocation;
 * when such a pool has a mark (taken since its last clear), the bytes are
 * not handed out again (bytes_allocated drops all the same), so that a
 * rewind leaves everything allocated since the mark inaccessible.
 * pool or ptr NULL: 0. */
MPOOL_API int mpool__give_back(mpool_t *pool, void *ptr, size_t size);

/* ---------------------------------------------------------------- inline fast path */

/* The out-of-line part of mpool_alloc(): every case the inline part does not
 * take. Not to be called directly. */
MPOOL_API void *mpool__alloc_slow(mpool_t *pool, size_t size);

/* mpool_alloc(), inlined: bumps the cursor when the request fits in the
 * current block. The test `size - 1 < room` takes sizes from 1 to room:
 * room is a multiple of MPOOL_ALIGNMENT, so the rounded size fits too, and
 * size 0 and sizes that would wrap when rounded fail it and go to the slow
 * path, as does a NULL pool. The rounded size is ((size - 1) | (A - 1)) + 1. */
static inline void *mpool__alloc_nonnull(mpool_t *pool, size_t size) {
    struct mpool__cursor *cursor = MPOOL__REINTERPRET(struct mpool__cursor *, pool);
    char *result = cursor->ptr;
    size_t size_less_one = size - 1;
    if (size_less_one < MPOOL__SIZE(cursor->end - result)) {
        cursor->ptr = result + (size_less_one | (MPOOL_ALIGNMENT - 1)) + 1;
        cursor->requested += size;
        return result;
    }
    return mpool__alloc_slow(pool, size);
}

static inline void *mpool__alloc_inline(mpool_t *pool, size_t size) {
    return pool != NULL ? mpool__alloc_nonnull(pool, size) : mpool__alloc_slow(pool, size);
}

/* mpool_memdup(), inlined: the bump of mpool_alloc() and one memcpy, which
 * the compiler can turn into a few moves when it knows the size. A NULL
 * argument goes to the exported function, for its EINVAL. (mpool_strdup()
 * is not inlined: where the compiler knows the longest a string can be, it
 * replaces the memcpy call by a loop of more instructions than libc's.) */
static inline void *mpool__memdup_inline(mpool_t *pool, const void *src, size_t size) {
    void *copy;
    if (pool == NULL || src == NULL) return (mpool_memdup)(pool, src, size);
    copy = mpool__alloc_nonnull(pool, size);
    return copy != NULL ? memcpy(copy, src, size) : NULL;
}

/* Define MPOOL_NO_INLINE to call the exported functions instead. Taking the
 * address of mpool_alloc or mpool_memdup still gives the exported function. */
#ifndef MPOOL_NO_INLINE
#define mpool_alloc(pool, size) mpool__alloc_inline((pool), (size))
#define mpool_memdup(pool, src, size) mpool__memdup_inline((pool), (src), (size))
#endif

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_MPOOL_H */
