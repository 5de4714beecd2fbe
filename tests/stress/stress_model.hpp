// stress_model.hpp - a shadow model of mpool and an interpreter that drives
// the library and the model with the same operations and compares them.
//
// The interpreter decodes operations from an OpSource: a seeded random
// stream for the stress test, the input bytes for the fuzzer. It keeps a
// model of every pool it made (tree, allocations and their contents,
// cleanups, userdata, tags, expected bytes_allocated) and, before a call
// that runs cleanups (clear, destroy, cleanup_run, a userdata replacement),
// simulates the contract's teardown order on the model to get a plan: the
// callbacks that must run, in order, and what each one does (cleanups may
// create, clear and destroy pools, register cleanups, set userdata,
// allocate, kill cleanups). The real callbacks then follow the plan and
// check that they are called as planned. See README.md next to this file
// for what is checked and what is not.
//
// The interpreter uses only the public API (mpool.h), so it runs unchanged
// against any implementation of that contract. It is single-threaded: one
// thread at a time may call it, but it may be handed from thread to thread
// (with synchronisation), which is how the threaded tests use it.
#ifndef MPOOL_TESTS_STRESS_STRESS_MODEL_HPP
#define MPOOL_TESTS_STRESS_STRESS_MODEL_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mpool/mpool.h"

namespace mpool_stress {

// Where the interpreter's decisions come from: each decision reads one to
// four bytes. The same bytes always give the same operations.
class OpSource {
public:
    virtual ~OpSource() = default;
    // No more bytes: the interpreter stops at the next operation boundary.
    virtual bool exhausted() const = 0;
    // A number in [0, n) for n >= 1 (0 when n <= 1, reading nothing).
    uint32_t below(uint32_t n);
    // True one time in `n`, roughly.
    bool one_in(uint32_t n) { return below(n) == 0; }

protected:
    virtual uint8_t next_byte() = 0;
};

// An endless seeded stream. With `record`, every byte handed out is
// appended there, so that a run can be replayed with ByteOps (the fuzzer's
// seed corpus is made this way).
class RandomOps final : public OpSource {
public:
    explicit RandomOps(uint64_t seed, std::vector<uint8_t> *record = nullptr);
    bool exhausted() const override { return false; }

private:
    uint8_t next_byte() override;
    uint64_t state_;
    uint64_t bits_ = 0;
    unsigned bits_left_ = 0;
    std::vector<uint8_t> *record_;
};

// A fixed sequence of bytes (a fuzzer input). Reads past the end give 0.
class ByteOps final : public OpSource {
public:
    ByteOps(const uint8_t *data, size_t size) : data_(data), size_(size) {}
    bool exhausted() const override { return at_ >= size_; }

private:
    uint8_t next_byte() override { return at_ < size_ ? data_[at_++] : 0; }
    const uint8_t *data_;
    size_t size_;
    size_t at_ = 0;
};

// The operations the interpreter decodes. The order is part of the input
// format: corpus files depend on it.
enum class Op : uint8_t {
    create,           // mpool_create: a child of a live pool, or a root
    create_ex,        // mpool_create_ex with random options
    destroy,          // mpool_destroy (the model predicts every callback)
    clear,            // mpool_clear (likewise)
    alloc,            // mpool_alloc
    alloc_aligned,    // mpool_alloc_aligned
    calloc,           // mpool_calloc
    realloc,          // mpool_realloc: grow, shrink, move, NULL
    memdup,           // mpool_memdup
    strdup,           // mpool_strdup / mpool_strndup
    strcat,           // mpool_strcat
    printf,           // mpool_printf
    cleanup_register, // mpool_cleanup_register / mpool_pre_cleanup_register
    cleanup_kill,     // mpool_cleanup_kill
    cleanup_run,      // mpool_cleanup_run
    userdata_set,     // mpool_userdata_set (a replacement runs the old cleanup)
    userdata_get,     // mpool_userdata_get
    tag,              // mpool_set_tag / mpool_tag
    stats,            // mpool_get_stats of every pool, and the tree links
    allocator,        // mpool_allocator_trim / set_max_free / idle_bytes
    verify,           // every live allocation's contents
    invalid,          // calls with bad arguments: EINVAL, ENOENT, or ENOMEM for sizes
    fault,            // arms or disarms a block source's failure (Config::fault_injection)
    mark,             // mpool_mark (the model keeps a few marks per pool)
    rewind,           // mpool_rewind (the model predicts every callback), or EINVAL / ENOTSUP
    count
};

const char *op_name(Op op);

// The out-of-memory handler the interpreter counts calls of. A base parent
// (Config::base_parent) must have it, since the interpreter's roots
// inherit it.
mpool_oom_fn oom_counter();

// What a run exercised: to see that a green run was not a trivial one.
struct Coverage {
    size_t ops[static_cast<size_t>(Op::count)] = {}; // by kind
    size_t callbacks = 0;                            // cleanup callbacks run as planned
    size_t longest_plan = 0;                         // most callbacks planned for one call
    size_t actions[9] = {};                          // callbacks' actions carried out, by kind (see action names)
    size_t enomem = 0;                               // calls that failed with ENOMEM (all explained)
    size_t realloc_in_place = 0;
    size_t realloc_moved = 0;
    size_t rewinds = 0;         // mpool_rewind calls that rewound
    size_t rewinds_refused = 0; // ... that returned EINVAL or ENOTSUP, as the model said
    size_t tolerated = 0;        // times a tolerance of Config::strict was needed
    size_t accounting_exact = 0; // accounting checks that were exact
    size_t accounting_short = 0; // ... where blocks were unaccounted for (lanes; tolerated)

    Coverage &operator+=(const Coverage &other);
    std::string describe() const;
};

struct Config {
    // Allows Op::fault: a block source fails its k-th request from now (or
    // every request from then on). Clear, destroy and the other calls that
    // run cleanups are made with the failure suspended, since the model
    // cannot predict what a cleanup that fails to allocate would do.
    bool fault_injection = false;
    // Roots with an allocator of their own (malloc; not accounted).
    bool private_roots = true;
    // Cleanups that create, clear and destroy pools and so on.
    bool cleanup_actions = true;
    // create_ex may give pools limits. Whether a call fails under a limit
    // depends on how blocks fill up, which depends on the alignment of the
    // addresses the block source returns: a seed replays the same way in a
    // fresh process, but not necessarily in one whose heap differs.
    bool limits = true;
    // Soft bounds: beyond them the interpreter prefers destroy and clear.
    size_t max_pools = 32;
    size_t max_live_bytes = size_t{2} << 20;
    // Off: tolerate the deviations from the contract that today's library
    // is known to have, each checked as narrowly as it can be (README.md):
    // - accounting: blocks held by lanes are visible neither in stats nor in
    //   mpool_allocator_idle_bytes: a lane's cache of idle blocks, and the
    //   blocks of a child destroyed by a thread other than the lane's owner
    //   (queued until the owner's next create or destroy on that parent, or
    //   the parent's clear or destroy). So for an allocator used by a pool
    //   that may hold lanes (a MPOOL_CONCURRENT pool with children, or a
    //   pool whose children came from several threads), or by children of
    //   such a pool, the check is live >= accounted instead of ==;
    // - a failed mpool_userdata_set may leave a partial record counted in
    //   bytes_allocated (less than a whole record);
    // - a size over PTRDIFF_MAX on a MPOOL_CONCURRENT pool may ask the block
    //   source for one block (the calling thread's lane) before failing.
    // On: each of these is a failure.
    bool strict = false;
    // Threaded use. True: a pool's children may come from several threads,
    // and its teardown is checked against the contract's order (newest
    // first, whatever thread made them). False: a thread makes a child only
    // of a pool whose live children it made itself, so that the order of
    // teardown does not depend on how a library links children per thread;
    // pools still go from thread to thread, and are destroyed by threads
    // that did not make them.
    bool mixed_creators = true;
    // Threaded use: the interpreter's roots are children of this pool
    // (shared with other interpreters in other threads); its allocator is
    // not accounted (other threads use it). NULL: roots are real roots.
    mpool_t *base_parent = nullptr;
};

// One interpreter: its pools, its allocators and block sources, its model.
class Interpreter {
public:
    Interpreter(const Config &config, OpSource &ops);
    ~Interpreter(); // leaks what is left when a check failed (unsafe to free)
    Interpreter(const Interpreter &) = delete;
    Interpreter &operator=(const Interpreter &) = delete;

    // Decodes and runs one operation. False when the source is exhausted or
    // a check failed (then failure() says what and where).
    bool step();
    // Runs up to `ops` operations; false as step().
    bool run(size_t ops);
    // Destroys every pool (checking each teardown), then the allocators,
    // and checks that every block went back to its source.
    bool finish();

    // Threaded use: the number of the thread that runs the interpreter from
    // now on (it decides which children the model expects on lanes).
    void set_thread(unsigned thread);
    // Threaded use: the base parent is about to be destroyed by someone
    // else; plans the teardown of this interpreter's roots. Then
    // finish_after_base_teardown() checks the plan ran and frees the rest.
    void expect_base_teardown();
    bool finish_after_base_teardown();

    bool failed() const;
    // What failed, with the operation number and the last operations.
    const std::string &failure() const;
    // Operations run so far.
    size_t ops_run() const;
    const Coverage &coverage() const;

    struct State;

private:
    std::unique_ptr<State> state_;
};

} // namespace mpool_stress

#endif
