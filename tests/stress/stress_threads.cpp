// stress_threads.cpp - the threaded scenarios (see stress_threads.hpp).
#include "stress_threads.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace mpool_stress {

namespace {

// The first failure of a threaded run; later ones are dropped. Workers stop
// at their next slice once it is set.
class FailureLog {
public:
    void add(const std::string &what) {
        std::lock_guard guard(lock_);
        if (first_.empty()) first_ = what;
        stop_.store(true, std::memory_order_relaxed);
    }
    bool stopped() const { return stop_.load(std::memory_order_relaxed); }
    std::string first() {
        std::lock_guard guard(lock_);
        return first_;
    }

private:
    std::mutex lock_;
    std::string first_;
    std::atomic<bool> stop_{false};
};

// The parent every world's roots hang from, on an allocator of its own.
struct SharedParent {
    TestSource source;
    mpool_allocator_t *allocator = nullptr;
    size_t allocator_record = 0;
    mpool_t *pool = nullptr;

    SharedParent() {
        allocator = source.make_allocator();
        allocator_record = source.live_bytes;
        mpool_options_t options{};
        options.allocator = allocator;
        options.oom = oom_counter(); // the worlds' roots inherit it
        options.tag = "shared-parent";
        pool = mpool_create_ex(nullptr, &options);
    }

    // After every thread has exited (their lanes' caches went back): the
    // parent's figures, the exact accounting, and no leak once it is gone.
    // Not strict: its lanes may still hold the blocks of children destroyed
    // by threads other than their lane's owner (Config::strict), so live
    // may exceed what is counted.
    bool check_and_destroy(bool parent_destroyed, bool strict, FailureLog &log) {
        char what[512];
        if (!parent_destroyed) {
            mpool_stats_t own = stats_of(pool), all = stats_of(pool, true);
            size_t idle = mpool_allocator_idle_bytes(allocator);
            if (own.children != 0 || all.cleanups != 0) {
                std::snprintf(what, sizeof what,
                              "the shared parent has %zu children and %zu cleanups left, expected none", own.children,
                              all.cleanups);
                log.add(what);
                return false;
            }
            size_t counted = all.bytes_reserved + idle + allocator_record;
            if (strict ? source.live_bytes != counted : source.live_bytes < counted) {
                std::snprintf(what, sizeof what,
                              "shared allocator: its source has %zu live bytes; the parent holds %zu, %zu are idle, "
                              "its record is %zu",
                              source.live_bytes, all.bytes_reserved, idle, allocator_record);
                log.add(what);
                return false;
            }
            mpool_destroy(pool);
        }
        mpool_allocator_destroy(allocator);
        if (source.live_blocks != 0 || source.live_bytes != 0) {
            std::snprintf(what, sizeof what, "shared allocator destroyed: %zu blocks, %zu bytes still live",
                          source.live_blocks, source.live_bytes);
            log.add(what);
            return false;
        }
        return true;
    }
};

struct World {
    uint64_t seed;
    std::unique_ptr<RandomOps> ops;
    std::unique_ptr<Interpreter> interpreter;
    size_t left; // operations still to run

    World(uint64_t s, const Config &config, size_t total)
        : seed(s), ops(std::make_unique<RandomOps>(s)), interpreter(std::make_unique<Interpreter>(config, *ops)),
          left(total) {}

    // Runs up to `n` operations in the calling thread; false on failure.
    bool run_slice(unsigned thread, size_t n, FailureLog &log) {
        interpreter->set_thread(thread);
        size_t count = std::min(n, left);
        bool ok = interpreter->run(count);
        left -= count;
        if (!ok) log.add(describe());
        return ok;
    }

    bool finish(unsigned thread, FailureLog &log) {
        interpreter->set_thread(thread);
        if (interpreter->finish()) return true;
        log.add(describe());
        return false;
    }

    std::string describe() const { return "world with seed " + std::to_string(seed) + ": " + interpreter->failure(); }
};

Config world_config(const ThreadedConfig &tc, mpool_t *base) {
    Config c;
    c.base_parent = base;
    c.strict = tc.strict;
    c.mixed_creators = tc.mixed_creators;
    c.max_pools = 8;
    c.max_live_bytes = 256 << 10;
    return c;
}

std::vector<std::unique_ptr<World>> make_worlds(const ThreadedConfig &tc, mpool_t *base) {
    std::vector<std::unique_ptr<World>> worlds;
    for (unsigned w = 0; w < tc.threads * tc.worlds_per_thread; ++w)
        worlds.push_back(std::make_unique<World>(tc.seed + w, world_config(tc, base), tc.ops));
    return worlds;
}

ThreadedResult result_of(FailureLog &log, const std::vector<std::unique_ptr<World>> &worlds) {
    ThreadedResult r;
    r.failure = log.first();
    r.ok = r.failure.empty();
    for (const auto &w : worlds) r.coverage += w->interpreter->coverage();
    return r;
}

// Starts `n` threads running body(t) and waits for them all.
template <class Body> void in_threads(unsigned n, Body body) {
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < n; ++t) threads.emplace_back(body, t);
    for (std::thread &t : threads) t.join();
}

// A queue of worlds that threads take turns on.
class WorldQueue {
public:
    explicit WorldQueue(std::vector<std::unique_ptr<World>> &worlds) {
        for (auto &w : worlds) queue_.push_back(w.get());
        pending_ = queue_.size();
    }
    // A world to run, or NULL when every world is done.
    World *take() {
        std::unique_lock guard(lock_);
        ready_.wait(guard, [this] { return !queue_.empty() || pending_ == 0; });
        if (queue_.empty()) return nullptr;
        World *w = queue_.front();
        queue_.pop_front();
        return w;
    }
    void give_back(World *w) {
        std::lock_guard guard(lock_);
        queue_.push_back(w);
        ready_.notify_one();
    }
    void done() {
        std::lock_guard guard(lock_);
        --pending_;
        ready_.notify_all();
    }

private:
    std::mutex lock_;
    std::condition_variable ready_;
    std::deque<World *> queue_;
    size_t pending_;
};

// Worlds round a queue; a finished world is destroyed where it ends
// (`destroy_at_end`) or left for the shared parent's teardown.
void run_queue(const ThreadedConfig &tc, std::vector<std::unique_ptr<World>> &worlds, bool destroy_at_end,
               FailureLog &log) {
    WorldQueue queue(worlds);
    in_threads(tc.threads, [&](unsigned t) {
        while (World *w = queue.take()) {
            if (log.stopped()) {
                queue.done();
                continue;
            }
            if (!w->run_slice(t, tc.slice, log)) {
                queue.done();
                continue;
            }
            if (w->left > 0) {
                queue.give_back(w);
                continue;
            }
            if (destroy_at_end) w->finish(t, log);
            queue.done();
        }
    });
}

} // namespace

ThreadedResult run_worlds_kept_by_their_threads(const ThreadedConfig &tc) {
    FailureLog log;
    SharedParent shared;
    auto worlds = make_worlds(tc, shared.pool);
    in_threads(tc.threads, [&](unsigned t) {
        std::vector<World *> mine;
        for (unsigned w = 0; w < tc.worlds_per_thread; ++w) mine.push_back(worlds[t * tc.worlds_per_thread + w].get());
        for (bool more = true; more && !log.stopped();) {
            more = false;
            for (World *w : mine) {
                if (w->left == 0) continue;
                if (!w->run_slice(t, tc.slice, log)) return;
                more = true;
            }
        }
        for (World *w : mine)
            if (!log.stopped() && !w->finish(t, log)) return;
    });
    if (!log.stopped()) shared.check_and_destroy(false, tc.strict, log);
    return result_of(log, worlds);
}

ThreadedResult run_worlds_handed_across_threads(const ThreadedConfig &tc) {
    FailureLog log;
    SharedParent shared;
    auto worlds = make_worlds(tc, shared.pool);
    run_queue(tc, worlds, true, log);
    if (!log.stopped()) shared.check_and_destroy(false, tc.strict, log);
    return result_of(log, worlds);
}

ThreadedResult run_shared_parent_teardown_of_every_world(const ThreadedConfig &tc) {
    FailureLog log;
    SharedParent shared;
    auto worlds = make_worlds(tc, shared.pool);
    run_queue(tc, worlds, false, log);
    if (!log.stopped()) {
        for (auto &w : worlds) {
            w->interpreter->set_thread(tc.threads); // this thread, not a worker
            w->interpreter->expect_base_teardown();
        }
        mpool_destroy(shared.pool);
        for (auto &w : worlds)
            if (!w->interpreter->finish_after_base_teardown()) log.add(w->describe());
        if (!log.stopped()) shared.check_and_destroy(true, tc.strict, log);
    }
    return result_of(log, worlds);
}

// ---------------------------------------------------------------- the concurrent pool

namespace {

// A callback registered on the concurrent pool or on a child of it.
struct Registered {
    enum Kind : uint8_t { pre_cleanup, child_cleanup, cleanup } kind;
    unsigned thread;
    size_t seq; // registration order within its thread and kind
};

// The callbacks run by a clear or destroy (in the main thread).
std::vector<const Registered *> g_ran;
void log_callback(void *data) { g_ran.push_back(static_cast<const Registered *>(data)); }

struct Allocation {
    unsigned char *ptr;
    size_t size;
    uint32_t id;
};

uint8_t byte_for(uint32_t id, size_t at) { return static_cast<uint8_t>(id * 131u + at * 7u + (at >> 8)); }

// What one thread did to the concurrent pool in a round.
struct ThreadWork {
    std::vector<Allocation> allocations;
    std::deque<Registered> registered; // stable addresses: the callbacks' data
    size_t requested = 0;              // bytes_allocated its calls added, records included
    size_t cleanups = 0;               // registered on the pool (pre included)
    std::vector<mpool_t *> kept_children;
    std::string failure;

    bool fail(const std::string &what) {
        if (failure.empty()) failure = what;
        return false;
    }
};

bool verify(const Allocation &a) {
    for (size_t i = 0; i < a.size; ++i)
        if (a.ptr[i] != byte_for(a.id, i)) return false;
    return true;
}

// The cost of one cleanup record in a concurrent pool, measured.
// What a registration on a concurrent pool adds to bytes_allocated: `record`
// each, and `first` more for the first since a clear (the pool's annex: one
// per thread at most, when several make it at once).
struct RegistrationCost {
    size_t record;
    size_t first;
};

RegistrationCost concurrent_cleanup_cost() {
    mpool_options_t o{};
    o.flags = MPOOL_CONCURRENT;
    mpool_t *p = mpool_create_ex(nullptr, &o);
    mpool_cleanup_register(p, nullptr, log_callback);
    size_t one = stats_of(p).bytes_allocated;
    mpool_cleanup_register(p, nullptr, log_callback);
    size_t two = stats_of(p).bytes_allocated;
    mpool_cleanup_kill(p, nullptr, log_callback);
    mpool_cleanup_kill(p, nullptr, log_callback);
    mpool_destroy(p);
    return {two - one, one - (two - one)};
}

void work_on_concurrent_pool(mpool_t *pool, unsigned thread, uint64_t seed, size_t ops, size_t record_cost,
                             ThreadWork &work) {
    RandomOps random(seed);
    size_t seqs[3] = {};
    auto new_id = [&] { return static_cast<uint32_t>(thread << 24 | work.allocations.size()); };
    for (size_t i = 0; i < ops && work.failure.empty(); ++i) {
        unsigned op = random.below(10);
        size_t size = random.one_in(50) ? MPOOL_LARGE_THRESHOLD + random.below(20000) : random.below(300);
        void *p = nullptr;
        uint32_t id = new_id();
        switch (op) {
        case 0:
        case 1:
        case 2: p = mpool_alloc(pool, size); break;
        case 3: p = mpool_alloc_aligned(pool, size, size_t{1} << random.below(13)); break;
        case 4: {
            p = mpool_calloc(pool, size, 1);
            for (size_t j = 0; p && j < size; ++j)
                if (static_cast<unsigned char *>(p)[j]) work.fail("mpool_calloc in a concurrent pool: not zeroed");
            break;
        }
        case 5: { // realloc of this thread's latest allocation: shrinks in place, grows by copying
            if (work.allocations.empty()) continue;
            Allocation &a = work.allocations.back();
            size_t new_size = random.one_in(2) ? a.size / 2 : a.size + random.below(500);
            auto *q = static_cast<unsigned char *>(mpool_realloc(pool, a.ptr, a.size, new_size));
            if (!q) {
                work.fail("mpool_realloc in a concurrent pool failed");
                continue;
            }
            for (size_t j = 0; j < std::min(a.size, new_size); ++j)
                if (q[j] != byte_for(a.id, j)) work.fail("mpool_realloc in a concurrent pool lost a byte");
            if (new_size > a.size) work.requested += new_size;
            for (size_t j = a.size; j < new_size; ++j) q[j] = byte_for(a.id, j);
            a.ptr = q;
            a.size = new_size;
            continue;
        }
        case 6: { // a cleanup or pre-cleanup, registered while other threads do the same
            auto kind = random.one_in(2) ? Registered::pre_cleanup : Registered::cleanup;
            work.registered.push_back({kind, thread, seqs[kind]++});
            int rc = (kind == Registered::pre_cleanup ? mpool_pre_cleanup_register : mpool_cleanup_register)(
                pool, &work.registered.back(), log_callback);
            if (rc != 0) work.fail("registering a cleanup on a concurrent pool failed");
            work.requested += record_cost;
            ++work.cleanups;
            continue;
        }
        case 7: { // strings
            std::string text(random.below(100), static_cast<char>('a' + thread));
            char *s = random.one_in(2) ? mpool_strdup(pool, text.c_str()) : mpool_printf(pool, "%s", text.c_str());
            if (!s || text != s) {
                work.fail("a string in a concurrent pool is not the one copied");
                continue;
            }
            work.requested += text.size() + 1;
            continue;
        }
        default: { // a child, made and destroyed here or kept for the clear
            mpool_t *child = mpool_create(pool);
            if (!child) {
                work.fail("mpool_create(concurrent pool) failed");
                continue;
            }
            auto *bytes = static_cast<unsigned char *>(mpool_alloc(child, size));
            if (bytes) std::memset(bytes, 0x5a, size);
            for (size_t j = 0; bytes && j < size; ++j)
                if (bytes[j] != 0x5a) work.fail("a child of a concurrent pool lost a byte");
            if (random.one_in(3)) {
                work.registered.push_back({Registered::child_cleanup, thread, seqs[Registered::child_cleanup]++});
                mpool_cleanup_register(child, &work.registered.back(), log_callback);
                work.kept_children.push_back(child);
            } else {
                mpool_destroy(child);
            }
            continue;
        }
        }
        if (!p) {
            work.fail("an allocation from a concurrent pool failed");
            continue;
        }
        work.allocations.push_back({static_cast<unsigned char *>(p), size, id});
        for (size_t j = 0; j < size; ++j) static_cast<unsigned char *>(p)[j] = byte_for(id, j);
        work.requested += size;
    }
    for (const Allocation &a : work.allocations)
        if (!verify(a)) work.fail("an allocation in a concurrent pool changed before its thread ended");
}

// The callbacks of one clear: pre-cleanups, then the kept children's
// cleanups, then cleanups; within a thread and a kind, newest first.
std::string check_callbacks(const std::vector<ThreadWork> &works) {
    size_t expected = 0;
    for (const ThreadWork &w : works) expected += w.registered.size();
    if (g_ran.size() != expected)
        return "the clear ran " + std::to_string(g_ran.size()) + " callbacks; " + std::to_string(expected) +
               " were registered";
    std::map<const Registered *, int> seen;
    int phase = 0;
    std::map<std::pair<unsigned, int>, size_t> last_seq;
    for (const Registered *r : g_ran) {
        if (seen[r]++) return "a callback ran twice";
        int kind = static_cast<int>(r->kind);
        if (kind < phase) return "a callback ran in the wrong phase (pre-cleanups, children, cleanups)";
        phase = kind;
        if (r->kind != Registered::child_cleanup) {
            auto key = std::make_pair(r->thread, kind);
            auto it = last_seq.find(key);
            if (it != last_seq.end() && r->seq >= it->second) return "one thread's cleanups did not run newest first";
            last_seq[key] = r->seq;
        }
    }
    return "";
}

} // namespace

ThreadedResult run_concurrent_pool_from_every_thread(const ThreadedConfig &tc) {
    ThreadedResult result;
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    size_t allocator_record = source.live_bytes;
    RegistrationCost cost = concurrent_cleanup_cost();
    size_t record_cost = cost.record;
    mpool_options_t options{};
    options.allocator = allocator;
    options.flags = MPOOL_CONCURRENT;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    auto fail = [&](const std::string &what) {
        result.ok = false;
        result.failure = what;
        return result;
    };
    for (unsigned round = 0; round < tc.rounds; ++round) {
        std::vector<ThreadWork> works(tc.threads);
        in_threads(tc.threads, [&](unsigned t) {
            work_on_concurrent_pool(pool, t, tc.seed + round * 1000 + t, tc.ops, record_cost, works[t]);
        });
        size_t requested = 0, cleanups = 0, children = 0;
        for (const ThreadWork &w : works) {
            if (!w.failure.empty()) return fail("round " + std::to_string(round) + ": " + w.failure);
            for (const Allocation &a : w.allocations)
                if (!verify(a))
                    return fail("round " + std::to_string(round) + ": an allocation changed after its thread");
            requested += w.requested;
            cleanups += w.cleanups;
            children += w.kept_children.size();
        }
        mpool_stats_t own = stats_of(pool), all = stats_of(pool, true);
        size_t idle = mpool_allocator_idle_bytes(allocator);
        char what[512];
        // The annex: one at least when anything was registered, one per thread at most.
        size_t annexes = cost.first && own.bytes_allocated > requested ? (own.bytes_allocated - requested) / cost.first : 0;
        bool annexes_fit = cleanups == 0 ? annexes == 0 : annexes >= 1 && annexes <= tc.threads;
        if (annexes_fit) requested += annexes * cost.first;
        if (own.bytes_allocated != requested || own.cleanups != cleanups || own.children != children) {
            std::snprintf(what, sizeof what,
                          "round %u: the pool says %zu bytes allocated, %zu cleanups, %zu children; the threads made "
                          "%zu, %zu, %zu",
                          round, own.bytes_allocated, own.cleanups, own.children, requested, cleanups, children);
            return fail(what);
        }
        if (source.live_bytes != all.bytes_reserved + idle + allocator_record) {
            std::snprintf(what, sizeof what,
                          "round %u (threads exited): source has %zu live bytes; the pool's tree holds %zu, %zu are "
                          "idle, the record is %zu",
                          round, source.live_bytes, all.bytes_reserved, idle, allocator_record);
            return fail(what);
        }
        g_ran.clear();
        bool last = round + 1 == tc.rounds;
        if (last)
            mpool_destroy(pool);
        else
            mpool_clear(pool);
        std::string order = check_callbacks(works);
        if (!order.empty())
            return fail("round " + std::to_string(round) + (last ? " (destroy): " : " (clear): ") + order);
        if (!last) {
            mpool_stats_t after = stats_of(pool);
            if (after.bytes_allocated != 0 || after.cleanups != 0 || after.children != 0)
                return fail("round " + std::to_string(round) + ": the clear left allocations, cleanups or children");
        }
    }
    mpool_allocator_destroy(allocator);
    if (source.live_blocks != 0 || source.live_bytes != 0)
        return fail("the allocator destroyed after the pool: " + std::to_string(source.live_bytes) +
                    " bytes still live");
    return result;
}

} // namespace mpool_stress
