// stress_model.cpp - the shadow model, the teardown simulation that predicts
// every callback, and the operation interpreter (see stress_model.hpp).
//
// How a call that runs callbacks is checked: the model first simulates the
// call on itself, following the contract (clear: pre-cleanups newest first,
// children newest first, cleanups newest first, userdata newest first, again
// until nothing is left; a callback registered while a list runs is the
// newest and runs next). The simulation appends one Step per callback to the
// plan, and decides there what the callback does: an action is carried out
// only when it is legal at that moment (its target lives and is not being
// torn down, nor an ancestor of one that is). Then the real call is made;
// each real callback checks that it is the next step of the plan and does
// what the step says, on the real pools. A callback that arrives out of plan
// stops all further actions (so that a library bug cannot make the harness
// free something twice) and the divergence is reported.
#include "stress_model.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

#include "test_support.hpp"

namespace mpool_stress {

// ---------------------------------------------------------------- sources

uint32_t OpSource::below(uint32_t n) {
    if (n <= 1) return 0;
    uint32_t value = next_byte();
    if (n > 256) value |= uint32_t{next_byte()} << 8;
    if (n > 65536) value |= uint32_t{next_byte()} << 16 | uint32_t{next_byte()} << 24;
    return value % n;
}

RandomOps::RandomOps(uint64_t seed, std::vector<uint8_t> *record) : state_(seed), record_(record) {}

uint8_t RandomOps::next_byte() {
    if (bits_left_ == 0) { // splitmix64
        uint64_t z = (state_ += 0x9E3779B97F4A7C15u);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        bits_ = z ^ (z >> 31);
        bits_left_ = 64;
    }
    auto byte = static_cast<uint8_t>(bits_);
    bits_ >>= 8;
    bits_left_ -= 8;
    if (record_) record_->push_back(byte);
    return byte;
}

const char *op_name(Op op) {
    static const char *const names[] = {
        "create",      "create_ex",    "destroy",      "clear",  "alloc",  "alloc_aligned",    "calloc",
        "realloc",     "memdup",       "strdup",       "strcat", "printf", "cleanup_register", "cleanup_kill",
        "cleanup_run", "userdata_set", "userdata_get", "tag",    "stats",  "allocator",        "verify",
        "invalid",     "fault",        "mark",         "rewind"};
    static_assert(sizeof names / sizeof names[0] == static_cast<size_t>(Op::count), "a name for every operation");
    return op < Op::count ? names[static_cast<size_t>(op)] : "?";
}

namespace {

// ---------------------------------------------------------------- fixed tables

// Userdata keys and tags come from these tables, so that the cost of their
// records can be measured once (see RecordCosts).
constexpr const char *kKeys[] = {"k", "key-two", "a-rather-longer-userdata-key-0123456789"};
constexpr size_t kKeyCount = sizeof kKeys / sizeof kKeys[0];
constexpr const char *kTags[] = {
    "", "t", "request-pool",
    "sixty-three-bytes-exactly-abcdefghijklmnopqrstuvwxyz-0123456789",                     // 63
    "longer-than-the-limit-so-it-is-truncated-abcdefghijklmnopqrstuvwxyz-0123456789-xyz"}; // > 63
constexpr size_t kTagCount = sizeof kTags / sizeof kTags[0];

std::string kept_tag(size_t index) {
    std::string tag = kTags[index];
    return tag.substr(0, std::min(tag.size(), MPOOL_TAG_MAX));
}

// ---------------------------------------------------------------- record costs

// What the library's records add to bytes_allocated ("bytes_allocated counts
// library records too"). Measured through the public API at start-up rather
// than assumed, so that the model follows an implementation whose records
// differ. [0]: a plain pool, [1]: a MPOOL_CONCURRENT one.
struct RecordCosts {
    size_t first = 0;       // what the first registration since a clear (of any kind) adds to its cost
    size_t cleanup = 0;     // registering a cleanup
    size_t pre_cleanup = 0; // registering a pre-cleanup
    size_t reused = 0;      // registering after a kill (a reused record)
    size_t userdata[kKeyCount] = {};
    size_t userdata_replace = 0;          // setting a key that is already set
    size_t tag[kTagCount] = {};           // mpool_set_tag
    size_t tag_kept[kTagCount] = {};      // bytes_allocated right after a clear, with that tag
    size_t tag_at_create[kTagCount] = {}; // bytes_allocated of a new pool created with the tag
};

void calibration_cleanup(void *) {}

size_t allocated_of(const mpool_t *pool) { return stats_of(pool).bytes_allocated; }

RecordCosts measure_record_costs(bool concurrent) {
    RecordCosts c;
    mpool_options_t options{};
    options.flags = concurrent ? MPOOL_CONCURRENT : 0;
    static int token;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    size_t before = allocated_of(pool);
    mpool_cleanup_register(pool, &token, calibration_cleanup);
    size_t first_cleanup = allocated_of(pool) - before;
    before = allocated_of(pool);
    mpool_cleanup_register(pool, &token, calibration_cleanup);
    c.cleanup = allocated_of(pool) - before;
    c.first = first_cleanup - c.cleanup;
    mpool_cleanup_kill(pool, &token, calibration_cleanup);
    before = allocated_of(pool);
    mpool_pre_cleanup_register(pool, &token, calibration_cleanup);
    c.reused = allocated_of(pool) - before;
    mpool_pre_cleanup_register(pool, &token, calibration_cleanup);
    c.pre_cleanup = allocated_of(pool) - before - c.reused;
    mpool_clear(pool);
    for (size_t k = 0; k < kKeyCount; ++k) {
        mpool_userdata_set(pool, "calibration", &token, nullptr); // the first registration is made
        before = allocated_of(pool);
        mpool_userdata_set(pool, kKeys[k], &token, nullptr);
        c.userdata[k] = allocated_of(pool) - before;
        before = allocated_of(pool);
        mpool_userdata_set(pool, kKeys[k], &token, calibration_cleanup);
        c.userdata_replace = allocated_of(pool) - before;
        mpool_clear(pool);
    }
    mpool_destroy(pool);
    for (size_t t = 0; t < kTagCount; ++t) {
        pool = mpool_create_ex(nullptr, &options);
        before = allocated_of(pool);
        mpool_set_tag(pool, kTags[t]);
        c.tag[t] = allocated_of(pool) - before;
        mpool_clear(pool);
        c.tag_kept[t] = allocated_of(pool);
        mpool_destroy(pool);
        mpool_options_t tagged = options;
        tagged.tag = kTags[t];
        pool = mpool_create_ex(nullptr, &tagged);
        c.tag_at_create[t] = allocated_of(pool);
        mpool_destroy(pool);
    }
    return c;
}

// What the contract says of the measured costs, whatever the records are:
// a record is not free, a userdata record holds its key's copy, a tag's copy
// "lives in the pool's memory and survives mpool_clear()" (so a clear leaves
// it counted as when it was set), and a key set again needs no new record.
std::string check_record_costs(const RecordCosts &c, const char *kind) {
    std::string problems;
    auto problem = [&](const std::string &what) { problems += std::string(kind) + " pool: " + what + "\n"; };
    if (c.cleanup == 0 || c.pre_cleanup == 0) problem("registering a cleanup does not change bytes_allocated");
    for (size_t k = 0; k < kKeyCount; ++k)
        if (c.userdata[k] < std::strlen(kKeys[k]) + 1)
            problem(std::string("userdata record for key \"") + kKeys[k] + "\" smaller than its key");
    if (c.userdata_replace != 0) problem("setting a key already set allocates again");
    for (size_t t = 0; t < kTagCount; ++t) {
        if (c.tag_kept[t] != c.tag[t])
            problem("a tag's copy counts " + std::to_string(c.tag[t]) + " bytes when set, " +
                    std::to_string(c.tag_kept[t]) + " after a clear");
        if (c.tag_at_create[t] != c.tag[t]) problem("a tag given at creation counts differently from one set later");
    }
    return problems;
}

const RecordCosts &record_costs(bool concurrent) {
    static const RecordCosts costs[2] = {measure_record_costs(false), measure_record_costs(true)};
    return costs[concurrent ? 1 : 0];
}

// ---------------------------------------------------------------- contents

uint8_t pattern_byte(uint32_t id, size_t at) {
    uint32_t x = id * 0x9E3779B1u + static_cast<uint32_t>(at) * 0x85EBCA77u;
    return static_cast<uint8_t>((x >> 24) ^ (x >> 9));
}

void fill_pattern(unsigned char *p, uint32_t id, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) p[i] = pattern_byte(id, i);
}

// Printable text, no '%' and no NUL, derived from an id.
std::string text_for(uint32_t id, size_t length) {
    std::string s(length, 'a');
    for (size_t i = 0; i < length; ++i) s[i] = static_cast<char>('a' + (id + i * 7) % 26);
    return s;
}

// snprintf into a std::string, checked like printf.
__attribute__((format(printf, 1, 2))) std::string strf(const char *fmt, ...) {
    char buffer[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, ap);
    va_end(ap);
    return buffer;
}

// ---------------------------------------------------------------- out-of-memory handler

// Counts the handler's calls in the calling thread (the thread that made
// the failing call runs the handler).
struct OomLog {
    size_t calls = 0;
    mpool_t *pool = nullptr;
    size_t size = 0;
};
thread_local OomLog t_oom;

void count_oom(mpool_t *pool, size_t size) {
    ++t_oom.calls;
    t_oom.pool = pool;
    t_oom.size = size;
}

// ---------------------------------------------------------------- the model

enum class Fn : uint8_t { none, a, b };

struct Registration {
    uint32_t hook;       // whose cell is the data
    Fn fn;
    uint64_t serial = 0; // State::next_registration when registered: newer than a mark or not
};

struct Userdata {
    uint8_t key;    // index in kKeys
    uint32_t value; // a hook: its cell is the value (and the cleanup's argument)
    Fn fn;          // the cleanup, or none
};

enum class ActionKind : uint8_t {
    none,
    create_child,
    destroy,
    clear,
    register_cleanup,
    register_pre_cleanup,
    set_userdata,
    alloc,
    kill
};

const char *action_name(ActionKind kind) {
    static const char *const names[] = {
        "none",         "create_child", "destroy", "clear", "register_cleanup", "register_pre_cleanup",
        "set_userdata", "alloc",        "kill"};
    return names[static_cast<size_t>(kind)];
}

// What a hook does each time it is called (besides being logged).
struct Action {
    ActionKind kind = ActionKind::none;
    uint32_t target = 0;    // pool
    uint32_t kill_hook = 0; // kill: the pair
    Fn fn = Fn::a;          // kill: the pair's fn; otherwise the fn of what it registers
    uint8_t key = 0;        // set_userdata
    uint32_t size = 0;      // alloc
};

// An allocation as it was when a mark was taken.
struct MarkedAllocation {
    uint32_t id;
    unsigned char *ptr;
    size_t size;
};

// A mark of a pool (mpool_mark), and what the model needs to predict a
// rewind to it: what is newer than the mark goes (allocations, children,
// registrations and userdata keys, told apart by the interpreter's ids and
// serials), the rest is taken back to how it was.
struct MarkModel {
    mpool_mark_t real{};           // the library's
    bool cleared = false;          // the pool was cleared since: a rewind to it is EINVAL
    uint32_t first_new_pool = 0;   // State::next_pool then
    uint64_t first_new_registration = 0; // State::next_registration then
    size_t userdata_count = 0;     // keys then (keys are only added, or dropped newest first)
    size_t user_bytes = 0;         // PoolModel's figures then
    size_t record_bytes = 0;
    int tag = -1;
    bool registered = false;
    std::vector<MarkedAllocation> allocations; // the pool's allocations then
};

struct PoolModel {
    uint32_t parent = 0;       // 0: a root (or a child of the base parent)
    mpool_t *handle = nullptr; // NULL only while a planned call that made it runs
    int allocator = -1;        // index in State::allocators; -1: not accounted
    mpool_allocator_t *allocator_handle = nullptr;
    bool concurrent = false;
    bool has_oom = true; // our handler is its out-of-memory handler
    size_t limit = 0;
    int tag = -1;                           // index in kTags, -1: none
    std::vector<uint32_t> children;         // oldest first
    std::vector<uint32_t> allocations;      // live, oldest first
    std::vector<Registration> cleanups;     // oldest first
    std::vector<Registration> pre_cleanups; // oldest first
    std::vector<Userdata> userdata;         // oldest first
    size_t user_bytes = 0;                  // bytes_allocated from allocation calls
    size_t record_bytes = 0;                // bytes_allocated from records (RecordCosts)
    size_t free_records = 0;                // killed records a registration may reuse
    bool registered = false;                // something was registered since the last clear (RecordCosts::first)
    uint32_t child_threads = 0;             // bit per thread that made a child here
    unsigned creator = 0;                   // the thread that made it
    uint32_t child_allocators = 0;          // bit per accounted allocator a child here used
    std::vector<MarkModel> marks;           // oldest first; at most kMaxMarks
    // Children may be linked in lanes, which keep idle blocks the API does not show.
    bool may_have_lanes() const { return (concurrent && child_threads != 0) || std::popcount(child_threads) >= 2; }
};

struct AllocationModel {
    uint32_t pool = 0;
    unsigned char *ptr = nullptr; // NULL while a planned call that made it runs
    size_t size = 0;
    bool text = false; // a string: `expected` holds it, NUL included in size
    std::string expected;
};

struct AllocatorModel {
    mpool_allocator_t *handle = nullptr;
    std::unique_ptr<TestSource> source;
    size_t record_bytes = 0; // the allocator's own record, from its source
    const char *name = "";
};

// A callback's data: which interpreter and which hook.
struct HookCell {
    Interpreter::State *owner;
    uint32_t hook;
};

enum class FrameKind : uint8_t { teardown, run, replace, rewind };

// Marks the model keeps per pool (it forgets the oldest beyond).
constexpr size_t kMaxMarks = 3;

// A pool in the middle of a call that runs callbacks.
struct Frame {
    uint32_t pool;
    FrameKind kind;
};

// One planned callback, and what it does.
struct Step {
    uint32_t hook = 0;
    Fn fn = Fn::a;
    ActionKind does = ActionKind::none; // none when the action is not legal then
    uint32_t target = 0;
    uint32_t made_pool = 0;  // create_child
    uint32_t made_hook = 0;  // create_child, register_*, set_userdata
    uint32_t made_alloc = 0; // alloc
    Fn made_fn = Fn::a;
    uint8_t key = 0;
    uint32_t size = 0;
    uint32_t kill_hook = 0;
    Fn kill_fn = Fn::a;
    int expect = 0; // kill: 0 or ENOENT
};

struct TraceEntry {
    size_t index;
    Op op;
    uint32_t pool;
    size_t a, b;
};

void hook_a(void *data);
void hook_b(void *data);

mpool_cleanup_fn fn_pointer(Fn fn) { return fn == Fn::a ? hook_a : fn == Fn::b ? hook_b : nullptr; }
const char *fn_name(Fn fn) { return fn == Fn::a ? "a" : fn == Fn::b ? "b" : "none"; }

// Bytes a failing call may have asked for at most: a largest ordinary
// block, or a large block for `size`, plus a lane's block.
size_t largest_request_for(size_t size) {
    size_t large = size > SIZE_MAX / 2 ? SIZE_MAX / 2 : size + MPOOL_MAX_ALIGNMENT + 64;
    return std::max(MPOOL_MAX_BLOCK_SIZE, large) + 512;
}

// The size of a first block asked as `wanted`: the smallest ordinary size
// (2^k - MPOOL_BLOCK_SLACK) that holds it, at most MPOOL_MAX_BLOCK_SIZE.
size_t ordinary_block_size_for(size_t wanted) {
    if (wanted >= MPOOL_MAX_BLOCK_SIZE) return MPOOL_MAX_BLOCK_SIZE;
    if (wanted <= MPOOL_MIN_BLOCK_SIZE) return MPOOL_MIN_BLOCK_SIZE;
    return std::bit_ceil(wanted + MPOOL_BLOCK_SLACK) - MPOOL_BLOCK_SLACK;
}

} // namespace

// ---------------------------------------------------------------- the interpreter's state

struct Interpreter::State {
    Config config;
    OpSource &ops;
    unsigned thread = 0;

    std::vector<AllocatorModel> allocators; // accounted ones
    int own_allocator = -1;                 // the one create_ex may name; roots use allocators[0] standalone
    mpool_allocator_t *base_allocator = nullptr;

    std::map<uint32_t, PoolModel> pools;
    std::vector<uint32_t> roots; // oldest first
    std::map<uint32_t, AllocationModel> allocations;
    size_t live_allocation_bytes = 0;
    std::vector<Action> hook_actions; // by hook id (0 unused)
    std::deque<HookCell> cells;       // by hook id (0 unused); stable addresses
    uint32_t next_pool = 1, next_alloc = 1;
    uint64_t next_registration = 1;

    // A planned call.
    std::vector<Step> plan;
    size_t plan_at = 0;
    bool executing = false;
    std::vector<Frame> frames;
    std::map<uint32_t, mpool_t *> handles;                   // every pool made, by id, until the planned call ends
    std::map<uint32_t, unsigned char *> made_ptrs;           // allocations made by callbacks
    std::vector<std::pair<uint32_t, AllocationModel>> dying; // to verify before the real call frees them
    std::string divergence;
    std::vector<std::pair<uint32_t, Fn>> seen;        // the callbacks of the planned call, as they came
    std::vector<std::pair<size_t, size_t>> suspended; // (source index, fail_request)

    // Reporting.
    size_t op_index = 0;
    Coverage covered;
    std::deque<TraceEntry> trace;
    bool failed = false;
    std::string failure;
    bool finished = false;

    State(const Config &c, OpSource &o) : config(c), ops(o) {
        static const std::string calibration =
            check_record_costs(record_costs(false), "a plain") + check_record_costs(record_costs(true), "a concurrent");
        if (!calibration.empty()) fail("the measured record costs contradict the contract:\n" + calibration);
        hook_actions.emplace_back();
        cells.push_back({this, 0});
        if (!config.base_parent) add_allocator("shared");
        own_allocator = static_cast<int>(allocators.size());
        add_allocator("second");
        if (config.base_parent) base_allocator = mpool_get_allocator(config.base_parent);
    }

    void add_allocator(const char *name) {
        AllocatorModel a;
        a.source = std::make_unique<TestSource>();
        a.handle = a.source->make_allocator();
        a.record_bytes = a.source->live_bytes;
        a.name = name;
        allocators.push_back(std::move(a));
    }

    // ------------------------------------------------------------ reporting

    bool fail(const std::string &what) {
        if (failed) return false;
        failed = true;
        failure = "operation #" + std::to_string(op_index) + ": " + what + "\nlast operations (oldest first):";
        for (const TraceEntry &t : trace)
            failure += "\n  #" + std::to_string(t.index) + " " + op_name(t.op) + " pool " + std::to_string(t.pool) +
                       " (" + std::to_string(t.a) + ", " + std::to_string(t.b) + ")";
        return false;
    }

    void note(uint32_t pool, size_t a = 0, size_t b = 0) {
        if (!trace.empty()) {
            trace.back().pool = pool;
            trace.back().a = a;
            trace.back().b = b;
        }
    }

    // ------------------------------------------------------------ model queries

    bool alive(uint32_t id) const { return pools.count(id) != 0; }
    PoolModel &pool(uint32_t id) { return pools.at(id); }

    mpool_t *parent_handle(const PoolModel &p) { return p.parent ? pool(p.parent).handle : config.base_parent; }

    bool is_ancestor_or_self(uint32_t ancestor, uint32_t id) {
        for (uint32_t at = id; at; at = pool(at).parent)
            if (at == ancestor) return true;
        return false;
    }

    // Clearing or destroying `id` now would pull a pool out from under a call
    // that is running on it.
    bool busy(uint32_t id) {
        for (const Frame &f : frames)
            if (is_ancestor_or_self(id, f.pool)) return true;
        return false;
    }

    bool under_a_limit(uint32_t id) {
        for (uint32_t at = id; at; at = pool(at).parent)
            if (pool(at).limit) return true;
        return false;
    }

    uint32_t pick_pool() {
        auto it = pools.begin();
        std::advance(it, ops.below(static_cast<uint32_t>(pools.size())));
        return it->first;
    }

    // A pool related to `anchor`: itself, its parent, a child, a sibling, or any.
    uint32_t pick_relative(uint32_t anchor) {
        const PoolModel &a = pool(anchor);
        switch (ops.below(5)) {
        case 0: return anchor;
        case 1:
            if (a.parent) return a.parent;
            break;
        case 2:
            if (!a.children.empty()) return a.children[ops.below(static_cast<uint32_t>(a.children.size()))];
            break;
        case 3: {
            const std::vector<uint32_t> &siblings = a.parent ? pool(a.parent).children : roots;
            return siblings[ops.below(static_cast<uint32_t>(siblings.size()))];
        }
        default: break;
        }
        return pick_pool();
    }

    // ------------------------------------------------------------ model updates

    uint32_t new_hook(const Action &action) {
        auto id = static_cast<uint32_t>(hook_actions.size());
        hook_actions.push_back(action);
        cells.push_back({this, id});
        return id;
    }

    void *cell(uint32_t hook) { return &cells[hook]; }

    Action random_action(uint32_t anchor) {
        Action a;
        if (!config.cleanup_actions) return a;
        static const ActionKind kinds[] = {ActionKind::none,
                                           ActionKind::none,
                                           ActionKind::none,
                                           ActionKind::none,
                                           ActionKind::create_child,
                                           ActionKind::create_child,
                                           ActionKind::destroy,
                                           ActionKind::destroy,
                                           ActionKind::destroy,
                                           ActionKind::clear,
                                           ActionKind::register_cleanup,
                                           ActionKind::register_pre_cleanup,
                                           ActionKind::set_userdata,
                                           ActionKind::alloc,
                                           ActionKind::kill};
        a.kind = kinds[ops.below(sizeof kinds / sizeof kinds[0])];
        a.target = pick_relative(anchor);
        // A cleanup that destroys a sibling while their parent is torn down
        // is the case most likely to go wrong: make it common.
        if (a.kind == ActionKind::destroy && ops.one_in(2)) {
            const PoolModel &at = pool(anchor);
            const std::vector<uint32_t> &siblings = at.parent ? pool(at.parent).children : roots;
            a.target = siblings[ops.below(static_cast<uint32_t>(siblings.size()))];
        }
        a.fn = ops.one_in(2) ? Fn::a : Fn::b;
        a.key = static_cast<uint8_t>(ops.below(kKeyCount));
        a.size = ops.below(200);
        if (a.kind == ActionKind::kill) {
            const PoolModel &t = pool(a.target);
            const std::vector<Registration> &list = t.cleanups.empty() ? t.pre_cleanups : t.cleanups;
            if (!list.empty()) {
                const Registration &r = list[ops.below(static_cast<uint32_t>(list.size()))];
                a.kill_hook = r.hook;
                a.fn = r.fn;
            } else {
                a.kill_hook = hook_actions.size() > 1 ? 1 + ops.below(static_cast<uint32_t>(hook_actions.size() - 1))
                                                      : new_hook({});
            }
        }
        return a;
    }

    // A thread asks for a child of `id`: the library links children per
    // thread from then on, even when the call fails (on a limit, say).
    void note_child_attempt(uint32_t id) {
        if (id) pool(id).child_threads |= 1u << (thread % 32);
    }

    uint32_t add_pool(PoolModel p) {
        uint32_t id = next_pool++;
        p.creator = thread;
        if (p.parent) {
            PoolModel &parent = pool(p.parent);
            parent.children.push_back(id);
            note_child_attempt(p.parent);
            if (p.allocator >= 0) parent.child_allocators |= 1u << p.allocator;
        } else {
            roots.push_back(id);
        }
        pools.emplace(id, std::move(p));
        return id;
    }

    void add_allocation(uint32_t id, AllocationModel a) {
        pool(a.pool).allocations.push_back(id);
        live_allocation_bytes += a.size;
        allocations.emplace(id, std::move(a));
    }

    // Drops a pool's allocations; planned calls keep them in `dying` to be
    // checked before the real call frees them.
    void drop_allocations(PoolModel &p, bool keep_for_check) {
        for (uint32_t id : p.allocations) {
            auto it = allocations.find(id);
            live_allocation_bytes -= it->second.size;
            if (keep_for_check && it->second.ptr) dying.emplace_back(id, std::move(it->second));
            allocations.erase(it);
        }
        p.allocations.clear();
    }

    void register_in_model(PoolModel &p, bool pre, uint32_t hook, Fn fn) {
        const RecordCosts &costs = record_costs(p.concurrent);
        if (p.free_records) {
            --p.free_records;
            p.record_bytes += costs.reused;
        } else {
            p.record_bytes += (pre ? costs.pre_cleanup : costs.cleanup) + (p.registered ? 0 : costs.first);
        }
        p.registered = true;
        (pre ? p.pre_cleanups : p.cleanups).push_back({hook, fn, next_registration++});
    }

    // mpool_cleanup_kill: the newest registration of the pair, cleanups first.
    bool kill_in_model(PoolModel &p, uint32_t hook, Fn fn) {
        for (std::vector<Registration> *list : {&p.cleanups, &p.pre_cleanups})
            for (size_t i = list->size(); i-- > 0;)
                if ((*list)[i].hook == hook && (*list)[i].fn == fn) {
                    list->erase(list->begin() + static_cast<std::ptrdiff_t>(i));
                    ++p.free_records;
                    return true;
                }
        return false;
    }

    // ------------------------------------------------------------ the simulation

    // A callback runs: log it in the plan and decide what it does.
    void sim_fire(uint32_t hook, Fn fn) {
        size_t k = plan.size();
        plan.push_back({});
        plan[k].hook = hook;
        plan[k].fn = fn;
        const Action a = hook_actions[hook];
        if (a.kind == ActionKind::none || !alive(a.target)) return;
        uint32_t t = a.target;
        switch (a.kind) {
        case ActionKind::none: return;
        case ActionKind::create_child: {
            if (under_a_limit(t) || !may_make_child_of(t)) return;
            PoolModel child;
            child.parent = t;
            child.allocator = pool(t).allocator;
            child.allocator_handle = pool(t).allocator_handle;
            child.has_oom = pool(t).has_oom;
            uint32_t id = add_pool(std::move(child));
            uint32_t h = new_hook({});
            register_in_model(pool(id), false, h, a.fn);
            plan[k].made_pool = id;
            plan[k].made_hook = h;
            break;
        }
        case ActionKind::destroy:
            if (!pool(t).parent || busy(t)) return; // roots only go by operations
            plan[k].does = a.kind;
            plan[k].target = t;
            sim_teardown(t, true);
            return;
        case ActionKind::clear:
            if (busy(t)) return;
            plan[k].does = a.kind;
            plan[k].target = t;
            sim_teardown(t, false);
            return;
        case ActionKind::register_cleanup:
        case ActionKind::register_pre_cleanup: {
            if (under_a_limit(t)) return;
            uint32_t h = new_hook({});
            register_in_model(pool(t), a.kind == ActionKind::register_pre_cleanup, h, a.fn);
            plan[k].made_hook = h;
            break;
        }
        case ActionKind::set_userdata: {
            if (under_a_limit(t)) return;
            for (const Frame &f : frames)
                if (f.kind == FrameKind::replace && f.pool == t) return; // no re-entrant replacement of a key
            uint32_t h = new_hook({});
            plan[k].does = a.kind;
            plan[k].target = t;
            plan[k].made_hook = h;
            plan[k].made_fn = a.fn;
            plan[k].key = a.key;
            sim_userdata_set(t, a.key, h, a.fn);
            return;
        }
        case ActionKind::alloc: {
            if (under_a_limit(t)) return;
            uint32_t id = next_alloc++;
            AllocationModel m;
            m.pool = t;
            m.size = a.size;
            add_allocation(id, std::move(m));
            pool(t).user_bytes += a.size;
            plan[k].made_alloc = id;
            plan[k].size = a.size;
            break;
        }
        case ActionKind::kill:
            plan[k].kill_hook = a.kill_hook;
            plan[k].kill_fn = a.fn;
            plan[k].expect = kill_in_model(pool(t), a.kill_hook, a.fn) ? 0 : ENOENT;
            break;
        }
        plan[k].does = a.kind;
        plan[k].target = t;
        plan[k].made_fn = a.fn;
    }

    // mpool_clear (destroy false) or mpool_destroy of `id`, on the model.
    void sim_teardown(uint32_t id, bool destroy) {
        frames.push_back({id, FrameKind::teardown});
        for (;;) {
            PoolModel *p = &pool(id);
            if (p->pre_cleanups.empty() && p->children.empty() && p->cleanups.empty() && p->userdata.empty()) break;
            while (!(p = &pool(id))->pre_cleanups.empty()) {
                Registration r = p->pre_cleanups.back();
                p->pre_cleanups.pop_back();
                sim_fire(r.hook, r.fn);
            }
            while (!(p = &pool(id))->children.empty()) sim_teardown(p->children.back(), true);
            while (!(p = &pool(id))->cleanups.empty()) {
                Registration r = p->cleanups.back();
                p->cleanups.pop_back();
                sim_fire(r.hook, r.fn);
            }
            while (!(p = &pool(id))->userdata.empty()) {
                Userdata u = p->userdata.back();
                p->userdata.pop_back();
                if (u.fn != Fn::none) sim_fire(u.value, u.fn);
            }
        }
        frames.pop_back();
        PoolModel &p = pool(id);
        p.free_records = 0;
        p.registered = false;
        drop_allocations(p, true);
        if (!destroy) {
            for (MarkModel &m : p.marks) m.cleared = true;
            p.user_bytes = 0;
            p.record_bytes = p.tag >= 0 ? record_costs(p.concurrent).tag_kept[p.tag] : 0;
            return;
        }
        std::vector<uint32_t> &siblings = p.parent ? pool(p.parent).children : roots;
        siblings.erase(std::find(siblings.begin(), siblings.end(), id));
        pools.erase(id);
    }

    // mpool_rewind of `id` to its mark `k`, on the model: what is newer than
    // the mark, newest first and in the order of a clear, in rounds while
    // callbacks add more; then the allocations made since (or moved since)
    // are freed, the others keep what they had at the mark, the figures and
    // the tag are as they were, and the marks newer than `k` are forgotten.
    void sim_rewind(uint32_t id, size_t k) {
        const MarkModel m = pool(id).marks[k];
        auto registered_since = [&](const std::vector<Registration> &list) {
            return !list.empty() && list.back().serial >= m.first_new_registration;
        };
        auto child_since = [&](const PoolModel &p) {
            return !p.children.empty() && p.children.back() >= m.first_new_pool;
        };
        frames.push_back({id, FrameKind::rewind});
        for (;;) {
            PoolModel *p = &pool(id);
            if (!registered_since(p->pre_cleanups) && !child_since(*p) && !registered_since(p->cleanups) &&
                p->userdata.size() <= m.userdata_count)
                break;
            while (registered_since((p = &pool(id))->pre_cleanups)) {
                Registration r = p->pre_cleanups.back();
                p->pre_cleanups.pop_back();
                sim_fire(r.hook, r.fn);
            }
            while (child_since(*(p = &pool(id)))) sim_teardown(p->children.back(), true);
            while (registered_since((p = &pool(id))->cleanups)) {
                Registration r = p->cleanups.back();
                p->cleanups.pop_back();
                sim_fire(r.hook, r.fn);
            }
            while ((p = &pool(id))->userdata.size() > m.userdata_count) {
                Userdata u = p->userdata.back();
                p->userdata.pop_back();
                if (u.fn != Fn::none) sim_fire(u.value, u.fn);
            }
        }
        frames.pop_back();
        PoolModel &p = pool(id);
        std::vector<uint32_t> kept;
        for (uint32_t alloc_id : p.allocations) {
            AllocationModel &a = allocations.at(alloc_id);
            auto then = std::find_if(m.allocations.begin(), m.allocations.end(),
                                     [alloc_id](const MarkedAllocation &x) { return x.id == alloc_id; });
            if (then != m.allocations.end() && then->ptr == a.ptr) { // in place: no more than it had then
                if (a.size > then->size) {
                    live_allocation_bytes -= a.size - then->size;
                    a.size = then->size;
                }
                kept.push_back(alloc_id);
                continue;
            }
            live_allocation_bytes -= a.size; // made or moved since: freed (checked before the call)
            if (a.ptr) dying.emplace_back(alloc_id, std::move(a));
            allocations.erase(alloc_id);
        }
        p.allocations = std::move(kept);
        p.user_bytes = m.user_bytes;
        p.record_bytes = m.record_bytes;
        p.tag = m.tag;
        p.registered = m.registered;
        p.free_records = 0; // killed records are not reused until the next clear
        p.marks.resize(k + 1);
    }

    // mpool_userdata_set, on the model: a replaced value's cleanup runs
    // unless the value and cleanup stay the same.
    void sim_userdata_set(uint32_t id, uint8_t key, uint32_t value, Fn fn) {
        PoolModel &p = pool(id);
        for (Userdata &u : p.userdata) {
            if (u.key != key) continue;
            Userdata old = u;
            u.value = value;
            u.fn = fn;
            p.record_bytes += record_costs(p.concurrent).userdata_replace;
            if (old.fn != Fn::none && (old.value != value || old.fn != fn)) {
                frames.push_back({id, FrameKind::replace});
                sim_fire(old.value, old.fn);
                frames.pop_back();
            }
            return;
        }
        p.userdata.push_back({key, value, fn});
        p.record_bytes += record_costs(p.concurrent).userdata[key] + (p.registered ? 0 : record_costs(p.concurrent).first);
        p.registered = true;
    }

    // ------------------------------------------------------------ the real callbacks

    void diverge(const std::string &what) {
        if (divergence.empty()) divergence = what;
    }

    mpool_t *handle_of(uint32_t id) {
        auto it = handles.find(id);
        return it == handles.end() ? nullptr : it->second;
    }

    void on_hook(uint32_t hook, Fn fn) {
        if (seen.size() < 64) seen.push_back({hook, fn});
        if (!divergence.empty()) return;
        if (!executing) {
            diverge(strf("hook %u (fn %s) called outside any call that runs callbacks", hook, fn_name(fn)));
            return;
        }
        if (plan_at >= plan.size()) {
            diverge(strf("unexpected callback: hook %u (fn %s) after all %zu planned ones", hook, fn_name(fn),
                         plan.size()));
            return;
        }
        const Step s = plan[plan_at];
        if (s.hook != hook || s.fn != fn) {
            diverge(strf("callback %zu of %zu: expected hook %u (fn %s; it does %s on pool %u), got hook %u (fn %s)",
                         plan_at + 1, plan.size(), s.hook, fn_name(s.fn), action_name(s.does), s.target, hook,
                         fn_name(fn)));
            return;
        }
        ++plan_at;
        ++covered.callbacks;
        ++covered.actions[static_cast<size_t>(s.does)];
        mpool_t *target = handle_of(s.target);
        if (s.does != ActionKind::none && !target) {
            diverge(strf("callback %zu: no handle for pool %u", plan_at, s.target));
            return;
        }
        switch (s.does) {
        case ActionKind::none: break;
        case ActionKind::create_child: {
            mpool_t *child = mpool_create(target);
            if (!child) {
                diverge(strf("a cleanup's mpool_create(pool %u) failed (errno %d)", s.target, errno));
                return;
            }
            handles[s.made_pool] = child;
            if (mpool_cleanup_register(child, cell(s.made_hook), fn_pointer(s.made_fn)) != 0)
                diverge(strf("a cleanup's mpool_cleanup_register on new pool %u failed", s.made_pool));
            break;
        }
        case ActionKind::destroy: mpool_destroy(target); break;
        case ActionKind::clear: mpool_clear(target); break;
        case ActionKind::register_cleanup:
        case ActionKind::register_pre_cleanup: {
            int rc = s.does == ActionKind::register_cleanup
                         ? mpool_cleanup_register(target, cell(s.made_hook), fn_pointer(s.made_fn))
                         : mpool_pre_cleanup_register(target, cell(s.made_hook), fn_pointer(s.made_fn));
            if (rc != 0) diverge(strf("a cleanup's registration on pool %u failed: %d", s.target, rc));
            break;
        }
        case ActionKind::set_userdata: {
            int rc = mpool_userdata_set(target, kKeys[s.key], cell(s.made_hook), fn_pointer(s.made_fn));
            if (rc != 0) diverge(strf("a cleanup's mpool_userdata_set on pool %u failed: %d", s.target, rc));
            break;
        }
        case ActionKind::alloc: {
            auto *p = static_cast<unsigned char *>(mpool_alloc(target, s.size));
            if (!p) {
                diverge(strf("a cleanup's mpool_alloc(pool %u, %u) failed", s.target, s.size));
                return;
            }
            fill_pattern(p, s.made_alloc, 0, s.size);
            made_ptrs[s.made_alloc] = p;
            break;
        }
        case ActionKind::kill: {
            int rc = mpool_cleanup_kill(target, cell(s.kill_hook), fn_pointer(s.kill_fn));
            if (rc != s.expect)
                diverge(strf("a cleanup's mpool_cleanup_kill(pool %u, hook %u) returned %d, the model says %d",
                             s.target, s.kill_hook, rc, s.expect));
            break;
        }
        }
    }

    // ------------------------------------------------------------ planned calls

    void suspend_faults() {
        for (size_t i = 0; i < allocators.size(); ++i) {
            TestSource &s = *allocators[i].source;
            if (s.fail_request) {
                suspended.emplace_back(i, s.fail_request);
                s.fail_request = 0;
            }
        }
    }

    void resume_faults() {
        for (auto [i, request] : suspended) allocators[i].source->fail_request = request;
        suspended.clear();
    }

    void begin_plan() {
        seen.clear();
        plan.clear();
        plan_at = 0;
        dying.clear();
        made_ptrs.clear();
        for (auto &[id, p] : pools) handles[id] = p.handle;
    }

    // Checks the allocations the planned call will free, then lets it run.
    bool start_execution() {
        for (auto &[id, a] : dying)
            if (!verify_allocation(id, a)) return false;
        dying.clear();
        suspend_faults();
        executing = true;
        covered.longest_plan = std::max(covered.longest_plan, plan.size());
        return true;
    }

    // The plan and the callbacks that came, for a failure message.
    std::string plan_and_callbacks() {
        std::string out = "\nplanned callbacks (hook/fn, and what it does):";
        for (size_t i = 0; i < plan.size() && i < 40; ++i) {
            out += strf(" %u/%s", plan[i].hook, fn_name(plan[i].fn));
            if (plan[i].does != ActionKind::none) out += strf("(%s %u)", action_name(plan[i].does), plan[i].target);
        }
        out += "\ncallbacks that came:";
        for (auto [hook, fn] : seen) out += strf(" %u/%s", hook, fn_name(fn));
        return out;
    }

    bool end_execution(const char *call) {
        executing = false;
        resume_faults();
        if (!divergence.empty()) return fail(std::string(call) + ": " + divergence + plan_and_callbacks());
        if (plan_at != plan.size()) {
            const Step &s = plan[plan_at];
            return fail(strf("%s: callback %zu of %zu (hook %u, fn %s) did not run", call, plan_at + 1, plan.size(),
                             s.hook, fn_name(s.fn)) +
                        plan_and_callbacks());
        }
        for (auto &[id, p] : pools)
            if (!p.handle) p.handle = handle_of(id);
        for (auto &[id, ptr] : made_ptrs) {
            auto it = allocations.find(id);
            if (it != allocations.end()) it->second.ptr = ptr;
        }
        handles.clear();
        return true;
    }

    // ------------------------------------------------------------ checks

    bool verify_allocation(uint32_t id, const AllocationModel &a) {
        if (a.text) {
            if (std::memcmp(a.ptr, a.expected.c_str(), a.size) != 0)
                return fail(strf("string %u in pool %u changed: \"%.40s\", expected \"%.40s\"", id, a.pool,
                                 reinterpret_cast<const char *>(a.ptr), a.expected.c_str()));
            return true;
        }
        for (size_t i = 0; i < a.size; ++i)
            if (a.ptr[i] != pattern_byte(id, i))
                return fail(strf("allocation %u (%zu bytes at %p) in pool %u changed at byte %zu: %02x, expected %02x",
                                 id, a.size, static_cast<void *>(a.ptr), a.pool, i, a.ptr[i], pattern_byte(id, i)));
        return true;
    }

    bool verify_all() {
        for (auto &[id, a] : allocations)
            if (a.ptr && !verify_allocation(id, a)) return false;
        return true;
    }

    std::optional<std::string> expected_tag(const PoolModel &p) {
        if (p.tag < 0) return std::nullopt;
        return kept_tag(static_cast<size_t>(p.tag));
    }

    bool check_pool(uint32_t id) {
        PoolModel &p = pool(id);
        mpool_stats_t s;
        mpool_get_stats(p.handle, 0, &s);
        size_t expected = p.user_bytes + p.record_bytes;
        if (s.bytes_allocated != expected)
            return fail(strf("pool %u: bytes_allocated %zu, the model says %zu (%zu requested + %zu of records)", id,
                             s.bytes_allocated, expected, p.user_bytes, p.record_bytes));
        if (s.children != p.children.size())
            return fail(strf("pool %u: stats say %zu children, the model %zu", id, s.children, p.children.size()));
        if (s.cleanups != p.cleanups.size() + p.pre_cleanups.size())
            return fail(strf("pool %u: stats say %zu cleanups, the model %zu", id, s.cleanups,
                             p.cleanups.size() + p.pre_cleanups.size()));
        if (s.blocks == 0 || s.bytes_reserved < s.bytes_allocated)
            return fail(strf("pool %u: %zu blocks, %zu bytes reserved for %zu allocated", id, s.blocks,
                             s.bytes_reserved, s.bytes_allocated));
        if (mpool_parent(p.handle) != parent_handle(p))
            return fail(strf("pool %u: mpool_parent is not its parent", id));
        if (mpool_get_allocator(p.handle) != p.allocator_handle)
            return fail(strf("pool %u: mpool_get_allocator is not the allocator it was given", id));
        const char *tag = mpool_tag(p.handle);
        std::optional<std::string> want = expected_tag(p);
        if (!tag != !want || (tag && *want != tag))
            return fail(strf("pool %u: tag \"%s\", expected \"%s\"", id, tag ? tag : "(none)",
                             want ? want->c_str() : "(none)"));
        if (p.limit) {
            mpool_stats_t all = stats_of(p.handle, true);
            if (all.bytes_reserved > p.limit)
                return fail(strf("pool %u: its subtree holds %zu bytes of blocks, over its limit %zu", id,
                                 all.bytes_reserved, p.limit));
        }
        return true;
    }

    // Every pool's own figures, and each one's with_descendants sums.
    bool check_all_pools() {
        std::map<uint32_t, mpool_stats_t> own;
        for (auto &[id, p] : pools) {
            if (!check_pool(id)) return false;
            own[id] = stats_of(p.handle);
        }
        for (auto &[id, p] : pools) {
            mpool_stats_t sum{};
            std::vector<uint32_t> stack{id};
            while (!stack.empty()) {
                uint32_t at = stack.back();
                stack.pop_back();
                const mpool_stats_t &s = own[at];
                sum.bytes_allocated += s.bytes_allocated;
                sum.bytes_reserved += s.bytes_reserved;
                sum.blocks += s.blocks;
                sum.children += s.children;
                sum.cleanups += s.cleanups;
                for (uint32_t c : pool(at).children) stack.push_back(c);
            }
            mpool_stats_t all = stats_of(p.handle, true);
            if (std::memcmp(&all, &sum, sizeof sum) != 0)
                return fail(
                    strf("pool %u: with_descendants gives %zu allocated, %zu reserved, %zu blocks, %zu children, "
                         "%zu cleanups; the sums of its pools are %zu, %zu, %zu, %zu, %zu",
                         id, all.bytes_allocated, all.bytes_reserved, all.blocks, all.children, all.cleanups,
                         sum.bytes_allocated, sum.bytes_reserved, sum.blocks, sum.children, sum.cleanups));
        }
        return true;
    }

    // Each accounted source's live bytes == blocks held by the pools on its
    // allocator + the allocator's idle bytes + its record.
    bool check_accounting() {
        for (size_t i = 0; i < allocators.size(); ++i) {
            AllocatorModel &a = allocators[i];
            size_t held = 0;
            bool lanes = false;
            for (auto &[id, p] : pools) {
                // Lanes keep idle blocks of their pool's allocator, and children
                // destroyed by another thread (with their blocks) until the
                // lane's owner collects them.
                if (p.may_have_lanes() && (p.allocator == static_cast<int>(i) || (p.child_allocators >> i & 1)))
                    lanes = true;
                if (p.allocator == static_cast<int>(i)) held += stats_of(p.handle).bytes_reserved;
            }
            size_t idle = mpool_allocator_idle_bytes(a.handle);
            size_t max_free = mpool_allocator_max_free(a.handle);
            if (idle > max_free)
                return fail(strf("allocator %s: %zu idle bytes, over max_free %zu", a.name, idle, max_free));
            size_t accounted = held + idle + a.record_bytes;
            size_t live = a.source->live_bytes;
            if (live == accounted) {
                ++covered.accounting_exact;
                continue;
            }
            if (lanes && !config.strict && live > accounted) {
                ++covered.accounting_short;
                continue;
            }
            std::string pools_on_it;
            for (auto &[id, p] : pools)
                if (p.allocator == static_cast<int>(i) || (p.child_allocators >> i & 1))
                    pools_on_it += strf(" %u(%s%s%s, holds %zu)", id,
                                        p.allocator == static_cast<int>(i) ? "on it" : "children on it",
                                        p.concurrent ? ", concurrent" : "", p.may_have_lanes() ? ", lanes" : "",
                                        p.allocator == static_cast<int>(i) ? stats_of(p.handle).bytes_reserved : 0);
            return fail(
                strf("allocator %s: its source has %zu live bytes; pools hold %zu, %zu are idle, its record is %zu "
                     "(sum %zu, %s by %zu)%s",
                     a.name, live, held, idle, a.record_bytes, accounted, live > accounted ? "short" : "over",
                     live > accounted ? live - accounted : accounted - live,
                     lanes ? "; a pool on it may hold lanes" : "") +
                "\npools on it, or with children on it:" + pools_on_it);
        }
        return true;
    }

    // ------------------------------------------------------------ failures

    struct Before {
        std::vector<size_t> requests;                      // per accounted source
        std::vector<std::pair<uint32_t, size_t>> headroom; // limited pools on the path: their room left
        size_t oom_calls;
    };

    Before before(uint32_t id) {
        Before b;
        for (AllocatorModel &a : allocators) b.requests.push_back(a.source->requests);
        for (uint32_t at = id; at; at = pool(at).parent) {
            PoolModel &p = pool(at);
            if (p.limit) {
                size_t held = stats_of(p.handle, true).bytes_reserved;
                b.headroom.emplace_back(at, held < p.limit ? p.limit - held : 0);
            }
        }
        b.oom_calls = t_oom.calls;
        return b;
    }

    // A block source failed a request since `b`, by injection.
    bool injected_since(const Before &b) {
        for (size_t i = 0; i < allocators.size(); ++i) {
            const TestSource &s = *allocators[i].source;
            if (s.fail_request && s.requests >= s.fail_request &&
                (b.requests[i] < s.fail_request || s.fail_from_then_on))
                return true;
        }
        return false;
    }

    // A call failed with ENOMEM: was it entitled to? (A limit too close to
    // what the call might have asked for, an injected failure, or a size
    // no pool can give.)
    bool explained(const Before &b, size_t size, size_t own_limit = 0) {
        if (injected_since(b)) return true;
        if (size > static_cast<size_t>(PTRDIFF_MAX) / 2) return true;
        for (auto [id, room] : b.headroom)
            if (room < largest_request_for(size)) return true;
        return own_limit != 0 && own_limit < largest_request_for(0);
    }

    // A call failed: it must be ENOMEM, explained, with one call of the
    // handler (when the pool has ours) given `handler_pool`.
    bool check_enomem(const char *call, int error, const Before &b, size_t size, bool has_oom, mpool_t *handler_pool,
                      size_t own_limit = 0) {
        if (error != ENOMEM) return fail(strf("%s failed with errno %d, not ENOMEM", call, error));
        if (!explained(b, size, own_limit))
            return fail(strf("%s failed (ENOMEM) though no limit is near and no failure was injected", call));
        size_t calls = t_oom.calls - b.oom_calls;
        if (has_oom && (calls != 1 || t_oom.pool != handler_pool))
            return fail(
                strf("%s failed: the out-of-memory handler ran %zu times (expected once, with the pool)", call, calls));
        ++covered.enomem;
        return true;
    }

    bool check_no_oom_call(const char *call, const Before &b) {
        if (t_oom.calls != b.oom_calls) return fail(strf("%s succeeded but called the out-of-memory handler", call));
        return true;
    }

    // ------------------------------------------------------------ operations: pools

    bool room_for_pools() { return pools.size() < config.max_pools * 2; }

    // Config::mixed_creators off: this thread may make a child of `id` (0: a
    // root) only when it made every live child there.
    bool may_make_child_of(uint32_t id) {
        if (config.mixed_creators) return true;
        for (uint32_t c : id ? pool(id).children : roots)
            if (pool(c).creator != thread) return false;
        return true;
    }

    bool op_create() {
        if (!room_for_pools()) return true;
        bool root = pools.empty() || (roots.size() < 4 && ops.one_in(8));
        uint32_t parent = root ? 0 : pick_pool();
        if (!may_make_child_of(parent)) return true;
        note(parent);
        Before b = before(parent);
        mpool_t *parent_h = parent ? pool(parent).handle : config.base_parent;
        note_child_attempt(parent);
        errno = 0;
        mpool_t *h;
        if (root && !config.base_parent) {
            mpool_options_t o{};
            o.allocator = allocators[0].handle;
            o.oom = count_oom;
            h = mpool_create_ex(nullptr, &o);
        } else {
            h = mpool_create(parent_h);
        }
        bool has_oom = parent ? pool(parent).has_oom : true;
        if (!h) return check_enomem("mpool_create", errno, b, 0, has_oom, parent_h);
        if (!check_no_oom_call("mpool_create", b)) return false;
        PoolModel p;
        p.parent = parent;
        p.handle = h;
        p.has_oom = has_oom;
        if (parent) {
            p.allocator = pool(parent).allocator;
            p.allocator_handle = pool(parent).allocator_handle;
        } else if (config.base_parent) {
            p.allocator_handle = base_allocator;
        } else {
            p.allocator = 0;
            p.allocator_handle = allocators[0].handle;
        }
        uint32_t id = add_pool(std::move(p));
        note(parent, id);
        if (!parent && !config.base_parent) {
            mpool_stats_t s = stats_of(h);
            if (s.blocks != 1 || s.bytes_reserved != MPOOL_DEFAULT_BLOCK_SIZE)
                return fail(strf("new root %u: %zu blocks, %zu bytes; expected one block of MPOOL_DEFAULT_BLOCK_SIZE",
                                 id, s.blocks, s.bytes_reserved));
        }
        return check_pool(id) && (!parent || check_pool(parent));
    }

    bool op_create_ex() {
        if (!room_for_pools()) return true;
        bool root = pools.empty() || (roots.size() < 4 && ops.one_in(6));
        uint32_t parent = root ? 0 : pick_pool();
        if (!may_make_child_of(parent)) return true;
        mpool_t *parent_h = parent ? pool(parent).handle : config.base_parent;
        mpool_options_t o{};
        int allocator = parent ? pool(parent).allocator : config.base_parent ? -1 : 0;
        mpool_allocator_t *allocator_h = parent               ? pool(parent).allocator_handle
                                         : config.base_parent ? base_allocator
                                                              : nullptr;
        bool private_root = false;
        switch (ops.below(8)) {
        case 0:
        case 1:
            // Not for a child of the base parent: another thread may unlink it
            // (the remote path) and give its blocks to the allocator while
            // this interpreter's thread reads the source's counters.
            if (root && config.base_parent) break;
            allocator = own_allocator;
            allocator_h = o.allocator = allocators[static_cast<size_t>(own_allocator)].handle;
            break;
        case 2:
            if (root && !config.base_parent && config.private_roots) {
                private_root = true;
                allocator = -1;
                allocator_h = nullptr;
            }
            break;
        default:
            if (root && !config.base_parent) allocator_h = o.allocator = allocators[0].handle;
            break;
        }
        static const size_t limits[] = {1000, 5000, 20000, 100000, 400000, size_t{1} << 20};
        if (ops.one_in(5) && config.limits) o.limit = limits[ops.below(sizeof limits / sizeof limits[0])];
        static const size_t block_sizes[] = {1,    100,   232,    233,    1000,           4072,
                                             5000, 65536, 262120, 300000, size_t{1} << 20};
        if (ops.one_in(3)) o.block_size = block_sizes[ops.below(sizeof block_sizes / sizeof block_sizes[0])];
        if (ops.one_in(6)) o.flags = MPOOL_CONCURRENT;
        int tag = ops.one_in(3) ? static_cast<int>(ops.below(kTagCount)) : -1;
        if (tag >= 0) o.tag = kTags[tag];
        bool has_oom = root || pool(parent).has_oom;
        if (root || ops.one_in(2)) {
            o.oom = count_oom;
            has_oom = true;
        }
        note(parent, o.limit, o.block_size);
        // The first block's size when the contract says it (a plain pool).
        // Under a limit it may be cut to what the limit allows (and a root's
        // default is then at most 1/64 of its limit); a checker's layout
        // (ASan, Valgrind, MPOOL_DEBUG) makes it larger: no prediction then.
        size_t asked = 0;
        if (!(o.flags & MPOOL_CONCURRENT)) {
            if (o.block_size)
                asked = ordinary_block_size_for(o.block_size);
            else if (root && !config.base_parent)
                asked = MPOOL_DEFAULT_BLOCK_SIZE;
        }
        bool limited = o.limit != 0 || (!root && under_a_limit(parent));
        size_t home = limited || mpool_check_modes() != 0 ? 0 : asked;
        Before b = before(parent);
        note_child_attempt(parent);
        errno = 0;
        mpool_t *h = mpool_create_ex(parent_h, &o);
        if (!h) return check_enomem("mpool_create_ex", errno, b, asked, has_oom, parent_h, o.limit);
        if (o.limit && stats_of(h).bytes_reserved > o.limit)
            return fail(strf("mpool_create_ex: a first block of %zu bytes under a limit of %zu",
                             stats_of(h).bytes_reserved, o.limit));
        PoolModel p;
        p.parent = parent;
        p.handle = h;
        p.allocator = allocator;
        p.allocator_handle = private_root ? mpool_get_allocator(h) : allocator_h;
        p.concurrent = o.flags & MPOOL_CONCURRENT;
        p.has_oom = has_oom;
        p.limit = o.limit;
        bool oom_called = t_oom.calls != b.oom_calls;
        const char *got_tag = mpool_tag(h);
        if (tag >= 0 && got_tag && kept_tag(static_cast<size_t>(tag)) == got_tag) {
            p.tag = tag;
            p.record_bytes = record_costs(p.concurrent).tag_at_create[tag];
            if (oom_called) return fail("mpool_create_ex succeeded with its tag but called the out-of-memory handler");
        } else if (tag >= 0) {
            // The tag's copy could not be had: the pool is made without it.
            if (got_tag || !oom_called || !explained(b, 64))
                return fail(
                    strf("mpool_create_ex: tag \"%s\", expected \"%s\"", got_tag ? got_tag : "(none)", kTags[tag]));
        } else if (got_tag || oom_called) {
            return fail("mpool_create_ex without a tag: a tag appeared, or the out-of-memory handler ran");
        }
        if (private_root && (!p.allocator_handle || p.allocator_handle == allocators[0].handle))
            return fail("a root created without an allocator does not have one of its own");
        uint32_t id = add_pool(std::move(p));
        note(id, o.limit, o.block_size);
        if (home && tag < 0) {
            mpool_stats_t s = stats_of(h);
            if (s.blocks != 1 || s.bytes_reserved != home)
                return fail(strf("new pool %u (block_size %zu): %zu blocks, %zu bytes; expected one block of %zu", id,
                                 o.block_size, s.blocks, s.bytes_reserved, home));
        }
        return check_pool(id) && (!parent || check_pool(parent));
    }

    bool op_teardown(bool destroy) {
        uint32_t id = pick_pool();
        note(id);
        mpool_t *h = pool(id).handle;
        begin_plan();
        sim_teardown(id, destroy);
        if (!start_execution()) return false;
        if (destroy)
            mpool_destroy(h);
        else
            mpool_clear(h);
        if (!end_execution(destroy ? "mpool_destroy" : "mpool_clear")) return false;
        return check_all_pools() && check_accounting();
    }

    // ------------------------------------------------------------ operations: allocation

    size_t draw_size() {
        switch (ops.below(16)) {
        case 0: return 0;
        case 1:
        case 2: return 1 + ops.below(1024);
        case 3: return 1024 + ops.below(8000);
        case 4:
            if (ops.one_in(2)) return MPOOL_LARGE_THRESHOLD - 8 + ops.below(40000);
            return ops.below(64);
        default: return 1 + ops.below(64);
        }
    }

    // A new allocation's checks and model entry; p NULL: the call failed.
    bool allocated(const char *call, uint32_t id, void *p, size_t size, size_t alignment, const Before &b, int error) {
        PoolModel &m = pool(id);
        if (!p) return check_enomem(call, error, b, size, m.has_oom, m.handle) && check_pool(id);
        if (!check_no_oom_call(call, b)) return false;
        if (reinterpret_cast<uintptr_t>(p) % std::max(alignment, MPOOL_ALIGNMENT) != 0)
            return fail(strf("%s returned %p, not aligned to %zu", call, p, std::max(alignment, MPOOL_ALIGNMENT)));
        uint32_t alloc_id = next_alloc++;
        AllocationModel a;
        a.pool = id;
        a.ptr = static_cast<unsigned char *>(p);
        a.size = size;
        fill_pattern(a.ptr, alloc_id, 0, size);
        add_allocation(alloc_id, std::move(a));
        m.user_bytes += size;
        return check_pool(id);
    }

    bool faults_armed() {
        for (AllocatorModel &a : allocators)
            if (a.source->fail_request) return true;
        return false;
    }

    // Under a limit with H bytes of room (by stats), a large allocation well
    // inside H must succeed: the limit's own count agrees with the blocks.
    bool probe_limit(uint32_t id) {
        Before b = before(id);
        if (b.headroom.empty() || faults_armed()) return true;
        size_t room = SIZE_MAX;
        for (auto [limited, r] : b.headroom) room = std::min(room, r);
        // Slack: a block header and alignment, a lane's block, and a reused
        // idle block up to 1/8 larger than asked.
        if (room < 8192 + 2 * MPOOL_LARGE_THRESHOLD) return true;
        size_t size = (room - 8192) / 9 * 8;
        note(id, size, room);
        errno = 0;
        void *p = mpool_alloc(pool(id).handle, size);
        if (!p) return fail(strf("a limit leaves %zu bytes of room by stats, yet allocating %zu failed", room, size));
        return allocated("mpool_alloc (to the limit)", id, p, size, MPOOL_ALIGNMENT, b, 0);
    }

    bool op_alloc() {
        uint32_t id = pick_pool();
        if (under_a_limit(id) && ops.one_in(4)) return probe_limit(id);
        size_t size = draw_size();
        note(id, size);
        Before b = before(id);
        errno = 0;
        void *p = ops.one_in(4) ? (mpool_alloc)(pool(id).handle, size) : mpool_alloc(pool(id).handle, size);
        return allocated("mpool_alloc", id, p, size, MPOOL_ALIGNMENT, b, errno);
    }

    bool op_alloc_aligned() {
        uint32_t id = pick_pool();
        size_t size = draw_size();
        size_t alignment = size_t{1} << ops.below(13); // 1 .. MPOOL_MAX_ALIGNMENT
        note(id, size, alignment);
        Before b = before(id);
        errno = 0;
        void *p = mpool_alloc_aligned(pool(id).handle, size, alignment);
        return allocated("mpool_alloc_aligned", id, p, size, alignment, b, errno);
    }

    bool op_calloc() {
        uint32_t id = pick_pool();
        size_t count = ops.below(40), size = ops.below(100);
        if (ops.one_in(16)) { // the product overflows
            count = SIZE_MAX / 4 + ops.below(1000);
            size = 4 + ops.below(4);
        }
        note(id, count, size);
        Before b = before(id);
        errno = 0;
        void *p = mpool_calloc(pool(id).handle, count, size);
        size_t total;
        if (__builtin_mul_overflow(count, size, &total)) {
            if (p) return fail("mpool_calloc succeeded though count * size overflows");
            return check_enomem("mpool_calloc (overflow)", errno, b, SIZE_MAX, pool(id).has_oom, pool(id).handle) &&
                   check_pool(id);
        }
        if (p)
            for (size_t i = 0; i < total; ++i)
                if (static_cast<unsigned char *>(p)[i] != 0) return fail(strf("mpool_calloc: byte %zu not zeroed", i));
        return allocated("mpool_calloc", id, p, total, MPOOL_ALIGNMENT, b, errno);
    }

    bool op_realloc() {
        uint32_t id = pick_pool();
        PoolModel &m = pool(id);
        std::vector<uint32_t> candidates;
        for (uint32_t a : m.allocations)
            if (!allocations.at(a).text && allocations.at(a).ptr) candidates.push_back(a);
        if (candidates.empty() || ops.one_in(10)) { // ptr NULL: an allocation
            size_t size = draw_size();
            note(id, 0, size);
            Before b = before(id);
            errno = 0;
            void *p = mpool_realloc(m.handle, nullptr, 0, size);
            return allocated("mpool_realloc(NULL)", id, p, size, MPOOL_ALIGNMENT, b, errno);
        }
        uint32_t alloc_id =
            ops.one_in(2) ? candidates.back() : candidates[ops.below(static_cast<uint32_t>(candidates.size()))];
        AllocationModel &a = allocations.at(alloc_id);
        size_t old_size = a.size, new_size;
        switch (ops.below(6)) {
        case 0: new_size = old_size + 1 + ops.below(64); break;
        case 1: new_size = old_size + ops.below(5000); break;
        case 2: new_size = MPOOL_LARGE_THRESHOLD + ops.below(30000); break;
        case 3: new_size = old_size; break;
        default: new_size = ops.below(static_cast<uint32_t>(old_size) + 1); break;
        }
        note(id, old_size, new_size);
        mpool_stats_t s0 = stats_of(m.handle);
        Before b = before(id);
        errno = 0;
        auto *q = static_cast<unsigned char *>(mpool_realloc(m.handle, a.ptr, old_size, new_size));
        if (!q) {
            if (!check_enomem("mpool_realloc", errno, b, new_size, m.has_oom, m.handle)) return false;
            return verify_allocation(alloc_id, a) && check_pool(id);
        }
        if (!check_no_oom_call("mpool_realloc", b)) return false;
        if (reinterpret_cast<uintptr_t>(q) % MPOOL_ALIGNMENT) return fail("mpool_realloc: result not aligned");
        size_t keep = std::min(old_size, new_size);
        for (size_t i = 0; i < keep; ++i)
            if (q[i] != pattern_byte(alloc_id, i))
                return fail(strf("mpool_realloc(%zu -> %zu) %s: byte %zu not kept", old_size, new_size,
                                 q == a.ptr ? "in place" : "moved", i));
        size_t delta = stats_of(m.handle).bytes_allocated - s0.bytes_allocated; // modular
        bool moved = q != a.ptr;
        if (m.concurrent) {
            // The contract: grows by copying, shrinks in place without changing bytes_allocated.
            if (new_size <= old_size ? (moved || delta != 0) : (!moved || delta != new_size))
                return fail(strf("concurrent mpool_realloc(%zu -> %zu): %s, bytes_allocated changed by %td", old_size,
                                 new_size, moved ? "moved" : "in place", static_cast<ptrdiff_t>(delta)));
        } else if (!moved) {
            if (delta != new_size - old_size)
                return fail(strf("mpool_realloc(%zu -> %zu) in place: bytes_allocated changed by %td", old_size,
                                 new_size, static_cast<ptrdiff_t>(delta)));
        } else {
            // A move counts the new allocation; the old one stays counted, or
            // goes when its (large) block was given back, which a large
            // allocation older than the pool's newest mark does not do.
            if (new_size <= old_size) return fail(strf("mpool_realloc shrink (%zu -> %zu) moved", old_size, new_size));
            if (delta != new_size && (delta != new_size - old_size || older_than_newest_mark(m, alloc_id, a.ptr)))
                return fail(strf("mpool_realloc(%zu -> %zu) moved: bytes_allocated changed by %td", old_size, new_size,
                                 static_cast<ptrdiff_t>(delta)));
        }
        m.user_bytes += delta;
        ++(moved ? covered.realloc_moved : covered.realloc_in_place);
        fill_pattern(q, alloc_id, keep, new_size);
        live_allocation_bytes += new_size - old_size;
        a.ptr = q;
        a.size = new_size;
        return check_pool(id);
    }

    // The allocation was there, where it is, when the pool's newest mark
    // (the last taken, or rewound to, since the last clear) was taken.
    static bool older_than_newest_mark(const PoolModel &p, uint32_t alloc_id, const unsigned char *ptr) {
        if (p.marks.empty() || p.marks.back().cleared) return false;
        for (const MarkedAllocation &x : p.marks.back().allocations)
            if (x.id == alloc_id) return x.ptr == ptr;
        return false;
    }

    bool op_memdup() {
        uint32_t id = pick_pool();
        size_t size = draw_size();
        note(id, size);
        uint32_t alloc_id = next_alloc;              // the id allocated() will give it
        std::vector<unsigned char> source(size + 1); // never empty: data() must not be NULL
        fill_pattern(source.data(), alloc_id, 0, size);
        Before b = before(id);
        errno = 0;
        void *p = mpool_memdup(pool(id).handle, source.data(), size);
        if (p && std::memcmp(p, source.data(), size) != 0) return fail("mpool_memdup: the copy differs");
        return allocated("mpool_memdup", id, p, size, MPOOL_ALIGNMENT, b, errno);
    }

    // A new string's checks and model entry; s NULL: the call failed.
    bool string_made(const char *call, uint32_t id, const char *s, const std::string &expected, const Before &b,
                     int error) {
        PoolModel &m = pool(id);
        if (!s) return check_enomem(call, error, b, expected.size() + 1, m.has_oom, m.handle) && check_pool(id);
        if (!check_no_oom_call(call, b)) return false;
        if (std::memcmp(s, expected.c_str(), expected.size() + 1) != 0)
            return fail(strf("%s gave \"%.60s\", expected \"%.60s\"", call, s, expected.c_str()));
        AllocationModel a;
        a.pool = id;
        a.ptr = reinterpret_cast<unsigned char *>(const_cast<char *>(s));
        a.size = expected.size() + 1;
        a.text = true;
        a.expected = expected;
        add_allocation(next_alloc++, std::move(a));
        m.user_bytes += expected.size() + 1;
        return check_pool(id);
    }

    bool op_strdup() {
        uint32_t id = pick_pool();
        size_t length = ops.one_in(8) ? 200 + ops.below(5000) : ops.below(80);
        std::string text = text_for(next_alloc, length);
        mpool_t *h = pool(id).handle;
        unsigned variant = ops.below(4);
        size_t n = ops.below(static_cast<uint32_t>(length) + 8);
        note(id, length, n);
        Before b = before(id);
        errno = 0;
        switch (variant) {
        case 0: {
            char *s = mpool_strdup(h, text.c_str());
            return string_made("mpool_strdup", id, s, text, b, errno);
        }
        case 1: {
            char *s = mpool_strndup(h, text.c_str(), n);
            return string_made("mpool_strndup", id, s, text.substr(0, n), b, errno);
        }
        default: {
            // Exactly n bytes and no terminator: strndup must read none past them.
            n = std::min(n, length);
            std::unique_ptr<char[]> unterminated(new char[n ? n : 1]);
            std::memcpy(unterminated.get(), text.data(), n);
            char *s = mpool_strndup(h, unterminated.get(), n);
            return string_made("mpool_strndup (unterminated)", id, s, text.substr(0, n), b, errno);
        }
        }
    }

    bool op_strcat() {
        uint32_t id = pick_pool();
        unsigned parts = ops.below(4);
        std::string part[3];
        for (unsigned i = 0; i < 3; ++i) part[i] = text_for(next_alloc + i * 3, ops.below(60));
        std::string expected;
        for (unsigned i = 0; i < parts; ++i) expected += part[i];
        note(id, parts, expected.size());
        mpool_t *h = pool(id).handle;
        Before b = before(id);
        errno = 0;
        char *s = nullptr;
        switch (parts) {
        case 0: s = mpool_strcat(h, static_cast<char *>(nullptr)); break;
        case 1: s = mpool_strcat(h, part[0].c_str(), static_cast<char *>(nullptr)); break;
        case 2: s = mpool_strcat(h, part[0].c_str(), part[1].c_str(), static_cast<char *>(nullptr)); break;
        default:
            s = mpool_strcat(h, part[0].c_str(), part[1].c_str(), part[2].c_str(), static_cast<char *>(nullptr));
            break;
        }
        return string_made("mpool_strcat", id, s, expected, b, errno);
    }

    bool op_printf() {
        uint32_t id = pick_pool();
        std::string text = text_for(next_alloc, ops.one_in(6) ? 100 + ops.below(6000) : ops.below(40));
        unsigned number = ops.below(100000);
        unsigned variant = ops.below(3);
        note(id, variant, text.size());
        char expected[8192];
        mpool_t *h = pool(id).handle;
        Before b = before(id);
        errno = 0;
        char *s = nullptr;
        switch (variant) {
        case 0:
            std::snprintf(expected, sizeof expected, "%s", text.c_str());
            s = mpool_printf(h, "%s", text.c_str());
            break;
        case 1:
            std::snprintf(expected, sizeof expected, "%s-%u-%c%%", text.c_str(), number, 'x');
            s = mpool_printf(h, "%s-%u-%c%%", text.c_str(), number, 'x');
            break;
        default:
            std::snprintf(expected, sizeof expected, "[%08x|%.*s]", number, 5, text.c_str());
            s = mpool_printf(h, "[%08x|%.*s]", number, 5, text.c_str());
            break;
        }
        return string_made("mpool_printf", id, s, expected, b, errno);
    }

    // ------------------------------------------------------------ operations: cleanups and userdata

    // A registration already on the pool (to register or kill again), if any.
    std::optional<Registration> existing_registration(const PoolModel &p) {
        size_t n = p.cleanups.size() + p.pre_cleanups.size();
        if (n == 0) return std::nullopt;
        size_t i = ops.below(static_cast<uint32_t>(n));
        return i < p.cleanups.size() ? p.cleanups[i] : p.pre_cleanups[i - p.cleanups.size()];
    }

    bool op_cleanup_register() {
        uint32_t id = pick_pool();
        PoolModel &m = pool(id);
        bool pre = ops.one_in(3);
        std::optional<Registration> again = ops.one_in(5) ? existing_registration(m) : std::nullopt;
        uint32_t hook;
        Fn fn;
        if (again) {
            hook = again->hook;
            fn = again->fn;
        } else {
            hook = new_hook(ops.one_in(2) ? random_action(id) : Action{});
            fn = ops.one_in(2) ? Fn::a : Fn::b;
        }
        note(id, hook, pre);
        Before b = before(id);
        errno = 0;
        int rc = pre ? mpool_pre_cleanup_register(m.handle, cell(hook), fn_pointer(fn))
                     : mpool_cleanup_register(m.handle, cell(hook), fn_pointer(fn));
        if (rc != 0) {
            if (errno != rc) return fail(strf("cleanup registration returned %d but errno is %d", rc, errno));
            return check_enomem("mpool_cleanup_register", rc, b, 64, m.has_oom, m.handle) && check_pool(id);
        }
        if (!check_no_oom_call("mpool_cleanup_register", b)) return false;
        register_in_model(m, pre, hook, fn);
        return check_pool(id);
    }

    bool op_cleanup_kill_or_run(bool run) {
        uint32_t id = pick_pool();
        PoolModel &m = pool(id);
        std::optional<Registration> r = ops.one_in(6) ? std::nullopt : existing_registration(m);
        if (!r)
            r = Registration{1 + ops.below(static_cast<uint32_t>(hook_actions.size())), ops.one_in(2) ? Fn::a : Fn::b};
        if (r->hook >= hook_actions.size()) r->hook = new_hook({}); // a pair never registered
        note(id, r->hook, run);
        mpool_t *h = m.handle;
        if (!run) {
            int expect = kill_in_model(m, r->hook, r->fn) ? 0 : ENOENT;
            int rc = mpool_cleanup_kill(h, cell(r->hook), fn_pointer(r->fn));
            if (rc != expect)
                return fail(strf("mpool_cleanup_kill(hook %u) returned %d, the model says %d", r->hook, rc, expect));
            return check_pool(id);
        }
        begin_plan();
        frames.push_back({id, FrameKind::run});
        bool found = kill_in_model(m, r->hook, r->fn);
        if (found) sim_fire(r->hook, r->fn);
        frames.pop_back();
        int expect = found ? 0 : ENOENT;
        if (!start_execution()) return false;
        int rc = mpool_cleanup_run(h, cell(r->hook), fn_pointer(r->fn));
        if (!end_execution("mpool_cleanup_run")) return false;
        if (rc != expect)
            return fail(strf("mpool_cleanup_run(hook %u) returned %d, the model says %d", r->hook, rc, expect));
        return check_all_pools() && check_accounting();
    }

    bool op_userdata_set() {
        uint32_t id = pick_pool();
        PoolModel &m = pool(id);
        auto key = static_cast<uint8_t>(ops.below(kKeyCount));
        const Userdata *current = nullptr;
        for (const Userdata &u : m.userdata)
            if (u.key == key) current = &u;
        uint32_t value;
        Fn fn = static_cast<Fn>(ops.below(3));
        if (current && ops.one_in(3)) { // the same value, the same or another cleanup
            value = current->value;
            if (ops.one_in(2)) fn = current->fn;
        } else {
            value = new_hook(ops.one_in(3) ? random_action(id) : Action{});
        }
        note(id, key, value);
        mpool_t *h = m.handle;
        if (!current) { // a new record: may fail, runs nothing
            Before b = before(id);
            size_t allocated_before = allocated_of(h);
            errno = 0;
            int rc = mpool_userdata_set(h, kKeys[key], cell(value), fn_pointer(fn));
            if (rc != 0) {
                if (!check_enomem("mpool_userdata_set", rc, b, 128, m.has_oom, h)) return false;
                // Tolerated (Config::strict): part of the record was made and stays counted.
                size_t partial = allocated_of(h) - allocated_before;
                if (partial != 0 && (config.strict || partial >= record_costs(m.concurrent).userdata[key]))
                    return fail(strf("a failed mpool_userdata_set changed bytes_allocated by %zu", partial));
                m.record_bytes += partial;
                if (partial) ++covered.tolerated;
                return check_pool(id);
            }
            if (!check_no_oom_call("mpool_userdata_set", b)) return false;
            sim_userdata_set(id, key, value, fn);
            return check_pool(id);
        }
        begin_plan(); // a replacement: may run the old value's cleanup
        sim_userdata_set(id, key, value, fn);
        if (!start_execution()) return false;
        int rc = mpool_userdata_set(h, kKeys[key], cell(value), fn_pointer(fn));
        if (!end_execution("mpool_userdata_set")) return false;
        if (rc != 0) return fail(strf("mpool_userdata_set of a key already set returned %d", rc));
        return check_all_pools() && check_accounting();
    }

    bool op_userdata_get() {
        uint32_t id = pick_pool();
        note(id);
        const PoolModel &m = pool(id);
        for (size_t k = 0; k < kKeyCount; ++k) {
            void *expected = nullptr;
            for (const Userdata &u : m.userdata)
                if (u.key == k) expected = cell(u.value);
            if (mpool_userdata_get(m.handle, kKeys[k]) != expected)
                return fail(strf("mpool_userdata_get(pool %u, \"%s\") is not the value set", id, kKeys[k]));
        }
        return mpool_userdata_get(m.handle, "never-set") == nullptr || fail("mpool_userdata_get of a key never set");
    }

    bool op_tag() {
        uint32_t id = pick_pool();
        PoolModel &m = pool(id);
        size_t choice = ops.below(kTagCount + 1);
        note(id, choice);
        Before b = before(id);
        const char *before_tag = mpool_tag(m.handle);
        std::optional<std::string> previous;
        if (before_tag) previous = before_tag;
        size_t allocated_before = allocated_of(m.handle);
        mpool_set_tag(m.handle, choice < kTagCount ? kTags[choice] : nullptr);
        const char *now = mpool_tag(m.handle);
        size_t added = allocated_of(m.handle) - allocated_before;
        if (choice == kTagCount) {
            if (now || added) return fail("mpool_set_tag(NULL) left a tag, or allocated");
            m.tag = -1;
            return check_no_oom_call("mpool_set_tag(NULL)", b) && check_pool(id);
        }
        // Success or failure by what was counted, not by the text: a failure
        // leaves the tag as it was, which may be the tag asked for.
        size_t cost = record_costs(m.concurrent).tag[choice];
        bool failed_call = t_oom.calls != b.oom_calls || (cost != 0 && added == 0);
        if (!failed_call) {
            if (!now || kept_tag(choice) != now || added != cost)
                return fail(strf("mpool_set_tag(\"%s\"): tag \"%s\", %zu bytes counted (expected %zu)", kTags[choice],
                                 now ? now : "(none)", added, cost));
            m.tag = static_cast<int>(choice);
            m.record_bytes += cost;
            return check_pool(id);
        }
        // The copy could not be had: the tag stays as it was.
        if (!check_enomem("mpool_set_tag", ENOMEM, b, 64, m.has_oom, m.handle)) return false;
        if (added || !now != !previous || (now && *previous != now))
            return fail("mpool_set_tag failed and changed the tag or bytes_allocated");
        return check_pool(id);
    }

    // ------------------------------------------------------------ operations: scopes

    bool op_mark() {
        uint32_t id = pick_pool();
        PoolModel &p = pool(id);
        note(id, p.marks.size());
        if (p.marks.size() == kMaxMarks) p.marks.erase(p.marks.begin()); // the model forgets it; it stays valid
        MarkModel m;
        mpool_mark(p.handle, &m.real);
        m.first_new_pool = next_pool;
        m.first_new_registration = next_registration;
        m.userdata_count = p.userdata.size();
        m.user_bytes = p.user_bytes;
        m.record_bytes = p.record_bytes;
        m.tag = p.tag;
        m.registered = p.registered;
        for (uint32_t a : p.allocations) m.allocations.push_back({a, allocations.at(a).ptr, allocations.at(a).size});
        p.marks.push_back(std::move(m));
        return check_pool(id); // a mark changes nothing
    }

    bool op_rewind() {
        std::vector<uint32_t> marked;
        for (auto &[id, p] : pools)
            if (!p.marks.empty()) marked.push_back(id);
        if (marked.empty()) return op_mark();
        uint32_t id = marked[ops.below(static_cast<uint32_t>(marked.size()))];
        auto k = static_cast<size_t>(ops.below(static_cast<uint32_t>(pool(id).marks.size())));
        bool foreign = ops.one_in(16); // another pool's mark
        note(id, k, foreign);
        mpool_t *h = pool(id).handle;
        mpool_mark_t real = pool(id).marks[k].real;
        // A call both errors apply to may return either: the contract does not order them.
        auto refused = [&](int rc, int expected, int or_else, const char *why) {
            if (rc != expected && rc != or_else)
                return fail(strf("mpool_rewind(pool %u) %s: returned %d, expected %d", id, why, rc, expected));
            ++covered.rewinds_refused;
            return check_all_pools();
        };
        bool concurrent = pool(id).concurrent;
        if (foreign) {
            uint32_t other = marked[ops.below(static_cast<uint32_t>(marked.size()))];
            if (other != id) {
                const PoolModel &o = pool(other);
                real = o.marks[ops.below(static_cast<uint32_t>(o.marks.size()))].real;
                int rc = mpool_rewind(h, &real);
                return refused(rc, EINVAL, concurrent ? ENOTSUP : EINVAL, "with another pool's mark");
            }
        }
        bool cleared = pool(id).marks[k].cleared;
        if (concurrent)
            return refused(mpool_rewind(h, &real), ENOTSUP, cleared ? EINVAL : ENOTSUP, "of a concurrent pool");
        if (cleared) return refused(mpool_rewind(h, &real), EINVAL, EINVAL, "to a mark from before a clear");
        // Large blocks taken since go back: the pool then holds at least the
        // sizes of the large allocations made (or moved) since less, unless
        // a callback may take memory in the pool.
        const std::vector<MarkedAllocation> &then = pool(id).marks[k].allocations;
        size_t freed_large = 0;
        for (uint32_t a : pool(id).allocations) {
            const AllocationModel &am = allocations.at(a);
            auto at_mark = std::find_if(then.begin(), then.end(), [a](const MarkedAllocation &x) { return x.id == a; });
            if ((at_mark == then.end() || at_mark->ptr != am.ptr) && am.size > MPOOL_LARGE_THRESHOLD)
                freed_large += am.size;
        }
        size_t reserved_before = stats_of(h).bytes_reserved;
        begin_plan();
        sim_rewind(id, k);
        bool may_take = false;
        for (const Step &step : plan)
            if (step.target == id && step.does != ActionKind::kill && step.does != ActionKind::none) may_take = true;
        if (!start_execution()) return false;
        int rc = mpool_rewind(h, &real);
        if (!end_execution("mpool_rewind")) return false;
        if (rc != 0) return fail(strf("mpool_rewind(pool %u) to a valid mark returned %d", id, rc));
        size_t reserved_after = stats_of(h).bytes_reserved;
        if (!may_take && reserved_after + freed_large > reserved_before)
            return fail(strf("mpool_rewind(pool %u): %zu bytes of large allocations made since, yet the pool holds %zu "
                             "bytes of blocks, %zu before",
                             id, freed_large, reserved_after, reserved_before));
        ++covered.rewinds;
        for (uint32_t a : pool(id).allocations) // what was there before the mark stays
            if (!verify_allocation(a, allocations.at(a))) return false;
        return check_all_pools() && check_accounting();
    }

    // ------------------------------------------------------------ operations: checks, allocators, errors

    bool op_stats() {
        note(0, pools.size());
        for (auto &[id, p] : pools) {
            // The tree links: is_ancestor agrees with the model for a random pair.
            uint32_t other = pick_pool();
            int expected = is_ancestor_or_self(other, id) ? 1 : 0;
            if (mpool_is_ancestor(pool(other).handle, p.handle) != expected)
                return fail(strf("mpool_is_ancestor(pool %u, pool %u) is not %d", other, id, expected));
            if (config.base_parent && mpool_is_ancestor(config.base_parent, p.handle) != 1)
                return fail(strf("the base parent is not an ancestor of pool %u", id));
        }
        return check_all_pools() && check_accounting();
    }

    bool op_allocator() {
        AllocatorModel &a = allocators[ops.below(static_cast<uint32_t>(allocators.size()))];
        unsigned variant = ops.below(4);
        static const size_t amounts[] = {0, 4096, 65536, MPOOL_DEFAULT_MAX_FREE};
        size_t amount = amounts[ops.below(4)];
        note(0, variant, amount);
        if (variant == 0) {
            size_t live = a.source->live_bytes, idle = mpool_allocator_idle_bytes(a.handle);
            size_t released = mpool_allocator_trim(a.handle, amount);
            size_t idle_after = mpool_allocator_idle_bytes(a.handle);
            if (idle_after > amount || idle - idle_after != released || live - a.source->live_bytes != released)
                return fail(strf("mpool_allocator_trim(%zu): idle %zu -> %zu, returned %zu, source gave back %zu",
                                 amount, idle, idle_after, released, live - a.source->live_bytes));
        } else if (variant == 1) {
            mpool_allocator_set_max_free(a.handle, amount);
            if (mpool_allocator_max_free(a.handle) != amount)
                return fail("mpool_allocator_max_free is not what was set");
            if (mpool_allocator_idle_bytes(a.handle) > amount)
                return fail("set_max_free left more idle bytes than the maximum");
        }
        return check_accounting();
    }

    bool op_invalid() {
        uint32_t id = pick_pool();
        PoolModel &m = pool(id);
        mpool_t *h = m.handle;
        unsigned variant = ops.below(9);
        note(id, variant);
        Before b = before(id);
        auto einval = [&](const char *call, const void *result) {
            if (result || errno != EINVAL)
                return fail(strf("%s: expected NULL with EINVAL, got %p, errno %d", call, result, errno));
            return check_no_oom_call(call, b);
        };
        errno = 0;
        switch (variant) {
        case 0: {
            static const size_t bad[] = {0, 3, 24, 2 * MPOOL_MAX_ALIGNMENT};
            if (!einval("mpool_alloc_aligned(bad alignment)", mpool_alloc_aligned(h, 16, bad[ops.below(4)])))
                return false;
            break;
        }
        case 1:
            if (!einval("mpool_alloc(NULL)", (mpool_alloc)(nullptr, 8))) return false;
            errno = 0;
            if (!einval("mpool_alloc(NULL) inline", mpool_alloc(static_cast<mpool_t *>(nullptr), 8))) return false;
            errno = 0;
            if (!einval("mpool_calloc(NULL)", mpool_calloc(nullptr, 1, 1))) return false;
            errno = 0;
            if (!einval("mpool_realloc(NULL)", mpool_realloc(nullptr, nullptr, 0, 1))) return false;
            break;
        case 2:
            if (!einval("mpool_strdup(NULL)", mpool_strdup(h, nullptr))) return false;
            errno = 0;
            if (!einval("mpool_strndup(NULL)", mpool_strndup(h, nullptr, 3))) return false;
            errno = 0;
            if (!einval("mpool_memdup(NULL)", mpool_memdup(h, nullptr, 3))) return false;
            errno = 0;
            if (!einval("mpool_strcat(NULL pool)", mpool_strcat(nullptr, "a", static_cast<char *>(nullptr))))
                return false;
            break;
        case 3: {
            mpool_options_t o{};
            o.flags = 0x100; // no such flag
            if (!einval("mpool_create_ex(unknown flags)", mpool_create_ex(h, &o))) return false;
            break;
        }
        case 4:
            if (mpool_cleanup_register(h, nullptr, nullptr) != EINVAL ||
                mpool_pre_cleanup_register(h, nullptr, nullptr) != EINVAL ||
                mpool_cleanup_register(nullptr, nullptr, hook_a) != EINVAL ||
                mpool_cleanup_kill(nullptr, nullptr, hook_a) != EINVAL ||
                mpool_cleanup_run(nullptr, nullptr, hook_a) != EINVAL)
                return fail("cleanup calls with a NULL pool or fn do not return EINVAL");
            if (mpool_cleanup_kill(h, this, hook_a) != ENOENT || mpool_cleanup_run(h, this, hook_b) != ENOENT)
                return fail("killing or running a pair never registered does not return ENOENT");
            break;
        case 5:
            if (mpool_userdata_set(h, nullptr, this, nullptr) != EINVAL ||
                mpool_userdata_set(nullptr, "k", this, nullptr) != EINVAL)
                return fail("mpool_userdata_set with a NULL pool or key does not return EINVAL");
            if (mpool_userdata_get(nullptr, "k") || mpool_userdata_get(h, nullptr))
                return fail("mpool_userdata_get with a NULL pool or key is not NULL");
            break;
        case 6: {
            // Sizes no pool can give: ENOMEM without asking the block source.
            static const size_t huge[] = {SIZE_MAX, SIZE_MAX - 15, static_cast<size_t>(PTRDIFF_MAX) + 1};
            size_t size = huge[ops.below(3)];
            void *p = ops.one_in(2) ? mpool_alloc(h, size) : mpool_alloc_aligned(h, size, 64);
            if (p) return fail(strf("allocating %zu bytes succeeded", size));
            if (!check_enomem("mpool_alloc(huge)", errno, b, size, m.has_oom, h)) return false;
            if (m.has_oom && t_oom.size != size) return fail("the out-of-memory handler did not get the size asked");
            size_t requests = 0;
            for (size_t i = 0; i < allocators.size(); ++i) requests += allocators[i].source->requests - b.requests[i];
            // Tolerated (Config::strict): a concurrent pool may make the calling thread's lane first.
            if (requests > (m.concurrent && !config.strict ? 1u : 0u))
                return fail(strf("a request of %zu bytes asked the block source %zu times", size, requests));
            covered.tolerated += requests;
            break;
        }
        case 7: {
            mpool_stats_t s;
            std::memset(&s, 0xff, sizeof s);
            mpool_get_stats(nullptr, 1, &s);
            mpool_stats_t zero{};
            mpool_get_stats(h, 0, nullptr);
            mpool_clear(nullptr);
            mpool_destroy(nullptr);
            mpool_set_tag(nullptr, "x");
            mpool_allocator_set_max_free(nullptr, 1);
            mpool_allocator_destroy(nullptr);
            mpool_mark_t scratch{};
            mpool_mark(nullptr, &scratch);
            mpool_mark(h, nullptr);
            if (mpool_rewind(nullptr, &scratch) != EINVAL || mpool_rewind(h, nullptr) != EINVAL)
                return fail("mpool_rewind with a NULL pool or mark does not return EINVAL");
            if (std::memcmp(&s, &zero, sizeof s) != 0 || mpool_tag(nullptr) || mpool_parent(nullptr) ||
                mpool_get_allocator(nullptr) || mpool_is_ancestor(nullptr, h) || mpool_is_ancestor(h, nullptr) ||
                mpool_allocator_max_free(nullptr) || mpool_allocator_trim(nullptr, 0) ||
                mpool_allocator_idle_bytes(nullptr))
                return fail("a call with NULL did not give the documented no-op or zero");
            if (!mpool_is_ancestor(h, h)) return fail("a pool is not its own ancestor");
            break;
        }
        default: {
            mpool_block_source_t half{};
            half.alloc = [](void *, size_t) -> void * { return nullptr; };
            errno = 0;
            if (!einval("mpool_allocator_create(alloc without free)", mpool_allocator_create(&half))) return false;
            break;
        }
        }
        return check_pool(id);
    }

    bool op_fault() {
        size_t i = ops.below(static_cast<uint32_t>(allocators.size()));
        TestSource &s = *allocators[i].source;
        bool disarm = s.fail_request && ops.one_in(2);
        note(0, i, disarm);
        if (disarm) {
            s.fail_request = 0;
            s.fail_from_then_on = false;
        } else {
            s.fail_request = s.requests + 1 + ops.below(6);
            s.fail_from_then_on = ops.one_in(4);
        }
        return true;
    }

    // ------------------------------------------------------------ decoding

    Op decode() {
        static const unsigned weights[] = {
            8,  // create
            5,  // create_ex
            4,  // destroy
            3,  // clear
            14, // alloc
            4,  // alloc_aligned
            3,  // calloc
            6,  // realloc
            2,  // memdup
            3,  // strdup
            2,  // strcat
            3,  // printf
            7,  // cleanup_register
            2,  // cleanup_kill
            2,  // cleanup_run
            4,  // userdata_set
            1,  // userdata_get
            2,  // tag
            1,  // stats
            1,  // allocator
            1,  // verify
            1,  // invalid
            1,  // fault
            2,  // mark
            2,  // rewind
        };
        static_assert(sizeof weights / sizeof weights[0] == static_cast<size_t>(Op::count),
                      "a weight for every operation");
        if (pools.size() > config.max_pools && ops.one_in(2)) return Op::destroy;
        if (live_allocation_bytes > config.max_live_bytes && ops.one_in(2)) return Op::clear;
        unsigned total = 0;
        for (unsigned w : weights) total += w;
        unsigned pick = ops.below(total);
        for (size_t i = 0;; ++i) {
            if (pick < weights[i]) return static_cast<Op>(i);
            pick -= weights[i];
        }
    }

    bool run_op(Op op) {
        if (pools.empty() && op != Op::create && op != Op::create_ex && op != Op::allocator && op != Op::fault)
            op = Op::create;
        switch (op) {
        case Op::create: return op_create();
        case Op::create_ex: return op_create_ex();
        case Op::destroy: return op_teardown(true);
        case Op::clear: return op_teardown(false);
        case Op::alloc: return op_alloc();
        case Op::alloc_aligned: return op_alloc_aligned();
        case Op::calloc: return op_calloc();
        case Op::realloc: return op_realloc();
        case Op::memdup: return op_memdup();
        case Op::strdup: return op_strdup();
        case Op::strcat: return op_strcat();
        case Op::printf: return op_printf();
        case Op::cleanup_register: return op_cleanup_register();
        case Op::cleanup_kill: return op_cleanup_kill_or_run(false);
        case Op::cleanup_run: return op_cleanup_kill_or_run(true);
        case Op::userdata_set: return op_userdata_set();
        case Op::userdata_get: return op_userdata_get();
        case Op::tag: return op_tag();
        case Op::stats: return op_stats();
        case Op::allocator: return op_allocator();
        case Op::verify: return verify_all();
        case Op::invalid: return op_invalid();
        case Op::fault: return !config.fault_injection || op_fault();
        case Op::mark: return op_mark();
        case Op::rewind: return op_rewind();
        case Op::count: break;
        }
        return fail("unknown operation");
    }

    bool step() {
        if (failed || finished || ops.exhausted()) return false;
        Op op = decode();
        ++op_index;
        ++covered.ops[static_cast<size_t>(op)];
        trace.push_back({op_index, op, 0, 0, 0});
        if (trace.size() > 24) trace.pop_front();
        if (!run_op(op)) return false;
        if (!divergence.empty()) return fail(divergence);
        if (op_index % 16 == 0 && !check_accounting()) return false;
        if (op_index % 64 == 0 && !(verify_all() && check_all_pools())) return false;
        return true;
    }

    // ------------------------------------------------------------ the end

    void disarm_faults() {
        for (AllocatorModel &a : allocators) {
            a.source->fail_request = 0;
            a.source->fail_from_then_on = false;
        }
    }

    bool destroy_allocators() {
        if (!check_accounting()) return false;
        for (AllocatorModel &a : allocators) {
            mpool_allocator_destroy(a.handle);
            a.handle = nullptr;
            if (a.source->live_blocks != 0 || a.source->live_bytes != 0)
                return fail(
                    strf("allocator %s destroyed with every pool gone: its source still has %zu blocks, %zu bytes live",
                         a.name, a.source->live_blocks, a.source->live_bytes));
        }
        finished = true;
        return true;
    }

    bool finish() {
        if (failed) return false;
        disarm_faults();
        ++op_index;
        trace.push_back({op_index, Op::destroy, 0, 0, 0});
        while (!roots.empty()) {
            uint32_t id = roots.back();
            note(id);
            mpool_t *h = pool(id).handle;
            begin_plan();
            sim_teardown(id, true);
            if (!start_execution()) return false;
            mpool_destroy(h);
            if (!end_execution("mpool_destroy (finish)")) return false;
            if (!check_accounting()) return false;
        }
        if (!pools.empty()) return fail("pools left in the model after every root was destroyed");
        return destroy_allocators();
    }

    void expect_base_teardown() {
        disarm_faults();
        begin_plan();
        while (!roots.empty()) sim_teardown(roots.back(), true);
        start_execution();
    }

    bool finish_after_base_teardown() {
        if (!end_execution("mpool_destroy of the base parent")) return false;
        if (!pools.empty()) return fail("pools left in the model after the base parent's teardown");
        return destroy_allocators();
    }
};

namespace {

void hook_a(void *data) {
    auto *c = static_cast<HookCell *>(data);
    c->owner->on_hook(c->hook, Fn::a);
}

void hook_b(void *data) {
    auto *c = static_cast<HookCell *>(data);
    c->owner->on_hook(c->hook, Fn::b);
}

} // namespace

// ---------------------------------------------------------------- Interpreter

mpool_oom_fn oom_counter() { return count_oom; }

Interpreter::Interpreter(const Config &config, OpSource &ops) : state_(std::make_unique<State>(config, ops)) {}

Interpreter::~Interpreter() {
    if (state_->failed && !state_->finished) (void)state_.release(); // pools may be in any state: leak them
}

bool Interpreter::step() { return state_->step(); }

bool Interpreter::run(size_t ops) {
    for (size_t i = 0; i < ops; ++i)
        if (!state_->step()) return !state_->failed;
    return true;
}

bool Interpreter::finish() { return state_->finish(); }
void Interpreter::set_thread(unsigned thread) { state_->thread = thread; }
void Interpreter::expect_base_teardown() { state_->expect_base_teardown(); }
bool Interpreter::finish_after_base_teardown() { return state_->finish_after_base_teardown(); }
bool Interpreter::failed() const { return state_->failed; }
const std::string &Interpreter::failure() const { return state_->failure; }
size_t Interpreter::ops_run() const { return state_->op_index; }
const Coverage &Interpreter::coverage() const { return state_->covered; }

Coverage &Coverage::operator+=(const Coverage &other) {
    for (size_t i = 0; i < static_cast<size_t>(Op::count); ++i) ops[i] += other.ops[i];
    for (size_t i = 0; i < 9; ++i) actions[i] += other.actions[i];
    callbacks += other.callbacks;
    longest_plan = std::max(longest_plan, other.longest_plan);
    enomem += other.enomem;
    realloc_in_place += other.realloc_in_place;
    realloc_moved += other.realloc_moved;
    rewinds += other.rewinds;
    rewinds_refused += other.rewinds_refused;
    tolerated += other.tolerated;
    accounting_exact += other.accounting_exact;
    accounting_short += other.accounting_short;
    return *this;
}

std::string Coverage::describe() const {
    std::string out = "operations:";
    for (size_t i = 0; i < static_cast<size_t>(Op::count); ++i)
        out += std::string(" ") + op_name(static_cast<Op>(i)) + "=" + std::to_string(ops[i]);
    out += "\ncallbacks run as planned: " + std::to_string(callbacks) + " (longest plan " +
           std::to_string(longest_plan) + "); their actions:";
    for (size_t i = 1; i < 9; ++i)
        out += std::string(" ") + action_name(static_cast<ActionKind>(i)) + "=" + std::to_string(actions[i]);
    out += "\nENOMEM failures (all explained): " + std::to_string(enomem) + "; realloc in place " +
           std::to_string(realloc_in_place) + ", moved " + std::to_string(realloc_moved) + "; rewinds " +
           std::to_string(rewinds) + ", refused " + std::to_string(rewinds_refused) +
           "; accounting checks exact " + std::to_string(accounting_exact) + ", short (lanes) " +
           std::to_string(accounting_short) + "; tolerated deviations " + std::to_string(tolerated);
    return out;
}

} // namespace mpool_stress
