// checks.hpp - finding memory bugs in pool memory: AddressSanitizer
// poisoning, Valgrind memcheck client requests, and mpool's own debug mode
// (MPOOL_DEBUG). Everything the library does for them goes through here.
//
// A pool is *checked* when the library is built with AddressSanitizer, when
// the program runs under Valgrind, or in debug mode (MPOOL_DEBUG=1 or 2 in
// the environment, or the MPOOL_DEBUG flag on the pool or an ancestor). A
// checked pool's cursor never shows room, so every allocation takes the
// out-of-line path (region_alloc), which lays it out as
//     [allocation, rounded to 16][redzone, 16 bytes]
// after a 16-byte redzone at the start of each block. Only the allocation's
// own bytes are accessible; the padding, the redzones, the unused tail of a
// block, idle blocks and memory taken back are not. In debug mode the bytes
// after the allocation hold a canary pattern checked on clear, destroy and
// mpool_check(); the pool keeps where its allocations are in a table of its
// own, apart from pool memory, so that an overflow cannot corrupt it;
// memory taken back is filled with 0xDB; and misuse is caught (see mpool.h).
#ifndef MPOOL_SRC_CHECKS_HPP
#define MPOOL_SRC_CHECKS_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "block.hpp"
#include "spin_lock.hpp"

struct mpool_pool;

struct mpool__alloc_table; // a debug pool's allocations (checks.cpp)

// A debug-mode pool's record, after its other records.
struct mpool__debug {
    mpool::detail::SpinLock lock;  // guards `table` (threads of a concurrent pool allocate at once)
    mpool__alloc_table *table;     // where the allocations are and their sizes, newest chunk first; malloc'd
    std::atomic<uintptr_t> user;   // the thread inside a call that needs the pool to itself; 0: none
};

namespace mpool::detail {

inline constexpr size_t kRedzone = 16;                 // inaccessible bytes after every allocation and at each block's start
inline constexpr unsigned char kCanaryByte = 0xCA;     // after each allocation, in debug mode
inline constexpr unsigned char kFreedByte = 0xDB;      // memory taken back, in debug mode

// What is on, decided once (the first time an allocator is made).
struct check_settings {
    bool asan;      // the library is built with AddressSanitizer
    bool valgrind;  // the program runs under Valgrind (and the library was built with its header)
    unsigned debug; // MPOOL_DEBUG from the environment: 0, 1, or 2 (a block of its own for every allocation)
};
const check_settings &checks();

// Pool flags (pool.hpp) for a new pool: checked and debug, from the
// settings, the options' flags and the parent.
uint8_t check_flags(const mpool_pool *parent, unsigned option_flags);

// True when every allocation of the pool gets a block of its own (MPOOL_DEBUG=2).
bool check_own_blocks(const mpool_pool *owner);

// Memory states for the checkers (no-ops when none is on).
void mem_noaccess(void *p, size_t n);
void mem_undefined(void *p, size_t n); // accessible, contents undefined
void mem_defined(void *p, size_t n);   // accessible, contents defined

// A block enters a checked region: [from, end of payload) made inaccessible.
void check_block_taken(mpool__block *b, const char *from);

// Blocks leave a checked region (given back or kept as spares): their
// payload from `from` (NULL: the whole payload) filled with kFreedByte when
// `fill` (debug mode), then made inaccessible. The whole chain when `chain`.
void check_blocks_retired(bool fill, mpool__block *b, const char *from, bool chain);

// A checked allocation of `size` bytes at p.
void check_on_alloc(mpool_pool *owner, char *p, size_t size);

// mpool_realloc in a checked pool: shrunk in place, or moved away from p.
void check_on_shrink(mpool_pool *owner, char *p, size_t old_size, size_t new_size);
void check_on_moved(mpool_pool *owner, char *p, size_t old_size);

// A checked allocation of `size` bytes at p, given back by mpool__give_back:
// it and its redzone become inaccessible (filled, and out of the table, in
// debug mode).
void check_on_given_back(mpool_pool *owner, char *p, size_t size);

// Debug mode: stops the program unless p is one of the pool's allocations.
void check_is_allocation(const mpool_pool *pool, const void *p);

// The pool's life, for the checkers: made (a pool at a quarantined
// address leaves the quarantine); about to be reset by a clear (canaries
// verified, allocations forgotten); about to be freed (a debug pool enters
// the quarantine).
void check_pool_made(mpool_pool *pool);
void check_pool_reset(mpool_pool *pool);
void check_pool_freed(mpool_pool *pool);

// Debug mode's quarantine (checks.cpp) holds the addresses of the debug
// pools destroyed recently. In front of it, a filter: one counter per hash
// of an address, the entries of the quarantine at addresses of that hash.
// A pool whose counter is 0 is not in the quarantine, so a pool outside a
// debug subtree never has the quarantine scanned for it (unless it shares
// a counter with a quarantined address: at most 1 pool in 8, with all 1024
// places taken). Both are written under the quarantine's lock and read
// without it; a pool's entry is in both before its home block goes back to
// the allocator (under the allocator's lock), so that whoever takes the
// block from there sees it.
extern std::atomic<size_t> g_quarantined; // places of the quarantine used so far; 0: no debug pool destroyed yet
inline constexpr unsigned kQuarantineFilterBits = 13;
extern std::atomic<uint16_t> g_quarantine_filter[size_t{1} << kQuarantineFilterBits];

inline size_t quarantine_filter_slot(const void *pool) {
    uint64_t address = reinterpret_cast<uintptr_t>(pool);
    return static_cast<size_t>((address * 0x9E3779B97F4A7C15u) >> (64 - kQuarantineFilterBits)); // Fibonacci hashing
}

// False when `pool` is certainly not a debug pool destroyed recently: then
// it may be read (it is live, or the caller's misuse is not debug mode's to
// catch). Reads nothing of the pool. Inline: one load of a global while no
// debug pool was ever destroyed, one more afterwards.
inline bool may_be_quarantined(const mpool_pool *pool) {
    return g_quarantined.load(std::memory_order_relaxed) != 0 &&
           g_quarantine_filter[quarantine_filter_slot(pool)].load(std::memory_order_relaxed) != 0;
}

// Debug mode: stops the program when `pool` is a pool destroyed recently
// (the call is named in the message). Reads nothing of the pool.
void check_not_destroyed_slow(const mpool_pool *pool, const char *call);
inline void check_not_destroyed(const mpool_pool *pool, const char *call) {
    if (may_be_quarantined(pool)) check_not_destroyed_slow(pool, call);
}

// Debug mode (callers test is_debug first): marks the calling thread as
// using the pool alone (clear, destroy, and allocation in a pool that is not
// concurrent); stops the program when another thread is inside. Returns
// whether it marked (a nested call of the same thread does not), for
// check_leave.
bool check_enter(mpool_pool *pool);
void check_leave(mpool_pool *pool, bool entered);

// Debug mode: where the pool's table of allocations stands, for a mark; and
// a rewind to it: the canaries are checked (the program stops on damage),
// and the allocations made since are forgotten. Under memcheck, likewise
// for its chunks: those made since the mark are freed.
struct check_position {
    const void *chunk;     // debug mode: the newest chunk of the table then
    size_t count;          // and its entries then
    size_t memcheck_chunks; // memcheck: the pool's allocations recorded then (checks.cpp)
};
check_position check_mark(const mpool_pool *pool);
void check_rewind(mpool_pool *pool, check_position at);

// mpool_check(): 0, or EFAULT after printing what is wrong.
int check_subtree(const mpool_pool *pool);

} // namespace mpool::detail

#endif
