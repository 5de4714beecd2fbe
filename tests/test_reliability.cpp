// Reliability: one regression test per defect found in review (teardown with
// lanes, memory held by lanes, limits, block sizing, deep trees, the C++
// face). Tests with threads must stay clean under the tsan preset: every
// hand-off between threads goes through a join, a latch or a mutex.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <iterator>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

constexpr size_t KiB = 1024;
constexpr size_t MiB = 1024 * KiB;

// Slack allowed in the memory bounds below: what a handful of cached blocks
// may hold beyond the pools' own figures.
constexpr size_t kSlack = 64 * KiB;

// An allocator over a TestSource, and the bytes of its own record (which
// comes from the source too).
struct CountedAllocator {
    TestSource source;
    mpool_allocator_t *allocator = nullptr;
    size_t record_bytes = 0;

    CountedAllocator() {
        allocator = source.make_allocator();
        record_bytes = source.live_bytes;
    }
    ~CountedAllocator() { mpool_allocator_destroy(allocator); }
    CountedAllocator(const CountedAllocator &) = delete;
    CountedAllocator &operator=(const CountedAllocator &) = delete;
};

mpool_t *limited_root_on(mpool_allocator_t *allocator, size_t limit) {
    mpool_options_t options{};
    options.allocator = allocator;
    options.limit = limit;
    return mpool_create_ex(nullptr, &options);
}

mpool_t *limited_root(size_t limit) { return limited_root_on(nullptr, limit); }

// Fills `size` bytes at p with a pattern made from `seed`.
void fill(void *p, size_t size, unsigned seed) {
    auto *bytes = static_cast<unsigned char *>(p);
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<unsigned char>(seed + i * 7);
}

bool holds_pattern(const void *p, size_t size, unsigned seed) {
    const auto *bytes = static_cast<const unsigned char *>(p);
    for (size_t i = 0; i < size; ++i)
        if (bytes[i] != static_cast<unsigned char>(seed + i * 7)) return false;
    return true;
}

// Allocates `total` bytes in pieces of `piece` bytes (fewer if the pool says
// no), each filled with a pattern. Returns the bytes had.
size_t fill_pool(mpool_t *pool, size_t total, size_t piece) {
    size_t had = 0;
    while (had < total) {
        void *p = mpool_alloc(pool, piece);
        if (!p) break;
        fill(p, piece, static_cast<unsigned>(had));
        had += piece;
    }
    return had;
}

// A thread that runs the jobs given to it one at a time, each to completion
// before run() returns: for tests that need "this thread, then that one".
class Worker {
public:
    Worker() : thread_([this] { loop(); }) {}
    ~Worker() {
        {
            std::lock_guard guard(lock_);
            quit_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;

    void run(std::function<void()> job) {
        std::unique_lock guard(lock_);
        job_ = std::move(job);
        wake_.notify_all();
        wake_.wait(guard, [this] { return !job_; });
    }

private:
    void loop() {
        std::unique_lock guard(lock_);
        for (;;) {
            wake_.wait(guard, [this] { return quit_ || job_; });
            if (job_) {
                job_();
                job_ = nullptr;
                wake_.notify_all();
            } else if (quit_) {
                return;
            }
        }
    }

    std::mutex lock_;
    std::condition_variable wake_;
    std::function<void()> job_;
    bool quit_ = false;
    std::thread thread_;
};

// ------------------------------------------------------------ teardown with lanes

struct DestroyOnCleanup {
    mpool_t *victim = nullptr;
    std::atomic<int> runs{0};
};

void destroy_victim(void *data) {
    auto *hook = static_cast<DestroyOnCleanup *>(data);
    hook->runs.fetch_add(1);
    mpool_destroy(hook->victim);
}

// Guards a double free: a cleanup run by the parent's teardown destroyed an older sibling on another thread's lane.
TEST(Reliability, CleanupDestroyingAnOlderSiblingOnAnotherThreadsLaneDuringTeardownFreesItOnce) {
    CountedAllocator counted;
    mpool_t *parent = root_on(counted.allocator);
    ASSERT_NE(mpool_create(parent), nullptr); // this thread first: the worker's children then go on a lane
    DestroyOnCleanup hook;
    std::thread([&] {
        mpool_t *older = mpool_create(parent);
        mpool_t *newer = mpool_create(parent);
        hook.victim = older;
        mpool_cleanup_register(newer, &hook, destroy_victim);
    }).join();
    mpool_destroy(parent);
    EXPECT_EQ(hook.runs.load(), 1);
    mpool_allocator_destroy(counted.allocator);
    counted.allocator = nullptr;
    EXPECT_EQ(counted.source.live_blocks, 0u);
}

// A TestSource that, once closed, counts the calls made to it instead of
// serving them.
struct ClosableSource {
    TestSource counted;
    mpool_block_source_t inner = counted.source();
    std::atomic<bool> closed{false};
    std::atomic<int> calls_after_close{0};

    mpool_block_source_t source() { return {&ClosableSource::alloc, &ClosableSource::release, this}; }

    static void *alloc(void *ctx, size_t size) {
        auto *self = static_cast<ClosableSource *>(ctx);
        if (self->closed.load()) {
            self->calls_after_close.fetch_add(1);
            return nullptr;
        }
        return self->inner.alloc(self->inner.ctx, size);
    }
    static void release(void *ctx, void *block, size_t size) {
        auto *self = static_cast<ClosableSource *>(ctx);
        if (self->closed.load()) {
            self->calls_after_close.fetch_add(1);
            return;
        }
        self->inner.free(self->inner.ctx, block, size);
    }
};

// Guards a use after free: a remotely destroyed child's blocks stayed queued, to go to its allocator once destroyed.
TEST(Reliability, ChildWithItsOwnAllocatorDestroyedOnAnotherThreadGivesItsBlocksBackAtOnce) {
    mpool_t *parent = mpool_create(nullptr);
    ASSERT_NE(mpool_create(parent), nullptr); // this thread first: children of other threads go on lanes
    ClosableSource own;
    mpool_block_source_t source = own.source();
    mpool_allocator_t *allocator = mpool_allocator_create(&source);
    ASSERT_NE(allocator, nullptr);
    mpool_t *child = nullptr;
    std::thread([&] {
        mpool_options_t options{};
        options.allocator = allocator;
        child = mpool_create_ex(parent, &options);
        if (child) fill(mpool_alloc(child, 3000), 3000, 1);
    }).join();
    ASSERT_NE(child, nullptr);
    std::thread([child] { mpool_destroy(child); }).join();
    mpool_allocator_destroy(allocator); // allowed: no live pool uses it
    own.closed = true;
    // Checked before going on: destroying the parent while the child's blocks
    // are still queued would touch the destroyed allocator.
    ASSERT_EQ(own.counted.live_bytes, 0u) << "the child's blocks were not given back to its allocator";
    mpool_destroy(parent);
    EXPECT_EQ(own.calls_after_close.load(), 0);
}

// ------------------------------------------------------------ memory held by lanes

// Guards memory held for good: a child destroyed by another thread kept its blocks queued on its maker's lane.
TEST(Reliability, MemoryOfChildrenHandedToAnotherThreadIsGivenBackWhenTheyAreDestroyed) {
    CountedAllocator counted;
    mpool_allocator_set_max_free(counted.allocator, 0);
    mpool_t *root = limited_root_on(counted.allocator, 1 * MiB);
    ASSERT_NE(root, nullptr);
    mpool_destroy(mpool_create(root)); // this thread first: the workers' children go on lanes
    for (int worker = 0; worker < 8; ++worker) {
        mpool_t *child = nullptr;
        size_t had = 0;
        std::latch handed(1);
        std::latch destroyed(1);
        std::thread thread([&] {
            child = mpool_create(root);
            if (child) had = fill_pool(child, 800 * 1000, 3000);
            handed.count_down();
            destroyed.wait(); // alive while the main thread destroys the child
        });
        handed.wait();
        EXPECT_NE(child, nullptr);
        EXPECT_GE(had, 600u * 1000u);
        mpool_destroy(child);
        destroyed.count_down();
        thread.join();
    }
    EXPECT_LE(counted.source.live_bytes, stats_of(root, true).bytes_reserved + counted.record_bytes + kSlack);
    mpool_destroy(root);
}

// Guards memory held for good: children of an exited thread, destroyed later, stayed queued on its ownerless lane.
TEST(Reliability, MemoryOfChildrenOfAnExitedThreadIsGivenBackWhenTheyAreDestroyed) {
    CountedAllocator counted;
    mpool_allocator_set_max_free(counted.allocator, 0);
    mpool_t *root = limited_root_on(counted.allocator, 1 * MiB);
    ASSERT_NE(root, nullptr);
    mpool_destroy(mpool_create(root)); // this thread first: the worker's children go on a lane
    std::vector<mpool_t *> children(200);
    std::thread([&] {
        for (mpool_t *&child : children) {
            child = mpool_create(root);
            if (child) fill_pool(child, 2000, 500);
        }
    }).join();
    for (mpool_t *child : children) {
        EXPECT_NE(child, nullptr);
        mpool_destroy(child);
    }
    EXPECT_LE(counted.source.live_bytes, stats_of(root, true).bytes_reserved + counted.record_bytes + kSlack);
    mpool_destroy(root);
}

constexpr int kParents = 8;
constexpr int kLiveThreads = 4;

// 8 parents with 256 KiB limits on `allocator`, each with a child made and
// destroyed by this thread; then 4 threads create, fill and destroy children
// of each parent and stay alive while `measure` runs.
void churn_with_live_threads(mpool_allocator_t *allocator, const std::function<void(const std::vector<mpool_t *> &)> &measure) {
    std::vector<mpool_t *> parents;
    for (int i = 0; i < kParents; ++i) {
        parents.push_back(limited_root_on(allocator, 256 * KiB));
        ASSERT_NE(parents.back(), nullptr);
        mpool_destroy(mpool_create(parents.back())); // this thread first: the workers' children go on lanes
    }
    std::latch done(kLiveThreads);
    std::latch measured(1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kLiveThreads; ++t)
        threads.emplace_back([&] {
            for (int round = 0; round < 3; ++round)
                for (mpool_t *parent : parents) {
                    mpool_t *child = mpool_create(parent);
                    if (!child) continue; // the threads together may pass a parent's limit
                    fill_pool(child, 40 * 1000, 1000);
                    mpool_destroy(child);
                }
            done.count_down();
            measured.wait();
        });
    done.wait();
    measure(parents);
    measured.count_down();
    for (std::thread &t : threads) t.join();
    for (mpool_t *parent : parents) mpool_destroy(parent);
}

size_t reserved_by(const std::vector<mpool_t *> &pools) {
    size_t sum = 0;
    for (mpool_t *pool : pools) sum += stats_of(pool, true).bytes_reserved;
    return sum;
}

// Guards lane caches (up to 256 KiB per thread and parent) that max_free did not bound.
TEST(Reliability, IdleBlocksOfLiveThreadsObeyMaxFree) {
    CountedAllocator counted;
    mpool_allocator_set_max_free(counted.allocator, 0);
    churn_with_live_threads(counted.allocator, [&](const std::vector<mpool_t *> &parents) {
        EXPECT_LE(counted.source.live_bytes, reserved_by(parents) + counted.record_bytes + kSlack);
    });
}

// Guards lane caches that idle_bytes did not count and trim did not give back.
TEST(Reliability, IdleBlocksOfLiveThreadsAreCountedAsIdleAndTrimmed) {
    CountedAllocator counted;
    churn_with_live_threads(counted.allocator, [&](const std::vector<mpool_t *> &parents) {
        size_t reserved = reserved_by(parents);
        EXPECT_EQ(mpool_allocator_idle_bytes(counted.allocator) + reserved + counted.record_bytes,
                  counted.source.live_bytes);
        mpool_allocator_trim(counted.allocator, 0);
        EXPECT_EQ(mpool_allocator_idle_bytes(counted.allocator), 0u);
        EXPECT_EQ(counted.source.live_bytes, reserved + counted.record_bytes);
    });
}

// ------------------------------------------------------------ the server pattern

// Guards a data race (tsan): a thread's first child read the parent's next_block_size while the parent allocated.
TEST(Reliability, ParentAllocatesWhileOtherThreadsChurnItsChildren) {
    constexpr int kIterations = 30;
    constexpr int kChurners = 2;
    for (int iteration = 0; iteration < kIterations; ++iteration) {
        mpool_t *parent = mpool_create(nullptr);
        ASSERT_NE(parent, nullptr);
        mpool_destroy(mpool_create(parent)); // this thread first: both churners make lanes
        std::atomic<int> bad{0};
        std::latch go(1);
        std::vector<std::thread> churners;
        for (int t = 0; t < kChurners; ++t)
            churners.emplace_back([&, t] {
                go.wait();
                for (int round = 0; round < 20; ++round) {
                    mpool_t *child = mpool_create(parent);
                    if (!child) {
                        bad.fetch_add(1);
                        continue;
                    }
                    std::vector<void *> pieces;
                    for (int i = 0; i < 16; ++i) {
                        void *p = mpool_alloc(child, 200);
                        if (!p) {
                            bad.fetch_add(1);
                            continue;
                        }
                        fill(p, 200, static_cast<unsigned>(t * 100 + i));
                        pieces.push_back(p);
                    }
                    for (size_t i = 0; i < pieces.size(); ++i)
                        if (!holds_pattern(pieces[i], 200, static_cast<unsigned>(t * 100 + static_cast<int>(i)))) bad.fetch_add(1);
                    mpool_destroy(child);
                }
            });
        go.count_down();
        // Sizes just under the large threshold: the parent takes a new block
        // every few allocations while the churners start.
        std::vector<void *> mine;
        for (unsigned i = 0; i < 64; ++i) {
            size_t size = MPOOL_LARGE_THRESHOLD - 16 * (i % 4);
            void *p = mpool_alloc(parent, size);
            if (!p) {
                ADD_FAILURE() << "allocation " << i << " failed";
                break;
            }
            fill(p, size, i);
            mine.push_back(p);
        }
        for (std::thread &t : churners) t.join();
        for (unsigned i = 0; i < mine.size(); ++i)
            EXPECT_TRUE(holds_pattern(mine[i], MPOOL_LARGE_THRESHOLD - 16 * (i % 4), i)) << i;
        EXPECT_EQ(bad.load(), 0);
        mpool_destroy(parent);
    }
}

// ------------------------------------------------------------ order of children

struct OrderLog {
    std::mutex lock;
    std::vector<int> order;
};

struct LogEntry {
    OrderLog *log;
    int number;
};

void log_number(void *data) {
    auto *entry = static_cast<LogEntry *>(data);
    std::lock_guard guard(entry->log->lock);
    entry->log->order.push_back(entry->number);
}

// Creates children 1 to 4 of `parent`, alternately on this thread and on
// `worker`, each strictly after the previous; each logs its number when it
// goes.
void make_alternating_children(mpool_t *parent, Worker &worker, OrderLog &log, LogEntry (&entries)[4]) {
    for (int i = 0; i < 4; ++i) {
        entries[i] = {&log, i + 1};
        auto make = [parent, &entries, i] {
            mpool_t *child = mpool_create(parent);
            ASSERT_NE(child, nullptr);
            mpool_cleanup_register(child, &entries[i], log_number);
        };
        if (i % 2 == 0)
            make();
        else
            worker.run(make);
    }
}

// Guards the order of clear: children on lanes went lane by lane (3 4 2 1), not newest first.
TEST(Reliability, ClearDestroysChildrenOfEveryThreadNewestFirst) {
    mpool_t *parent = mpool_create(nullptr);
    OrderLog log;
    LogEntry entries[4];
    {
        Worker worker;
        make_alternating_children(parent, worker, log, entries);
    }
    mpool_clear(parent);
    EXPECT_EQ(log.order, (std::vector<int>{4, 3, 2, 1}));
    mpool_destroy(parent);
}

// Guards the order of destroy: children on lanes went lane by lane (3 4 2 1), not newest first.
TEST(Reliability, DestroyDestroysChildrenOfEveryThreadNewestFirst) {
    mpool_t *parent = mpool_create(nullptr);
    OrderLog log;
    LogEntry entries[4];
    {
        Worker worker;
        make_alternating_children(parent, worker, log, entries);
    }
    mpool_destroy(parent);
    EXPECT_EQ(log.order, (std::vector<int>{4, 3, 2, 1}));
}

// ------------------------------------------------------------ a refused create

// Guards a refused create that changed its parent: the thread's lane was made (and charged) before the limit check.
TEST(Reliability, RefusedCreateOnANewThreadLeavesTheParentUnchanged) {
    const size_t limit = 64 * KiB;
    mpool_t *parent = limited_root(limit);
    ASSERT_NE(parent, nullptr);
    ASSERT_NE(mpool_create(parent), nullptr); // this thread first: the next thread's child goes on a lane
    // Leave about 2000 bytes of the limit free: room for a small block, not
    // for the child's first block.
    size_t room = limit - stats_of(parent, true).bytes_reserved;
    ASSERT_NE(mpool_alloc(parent, (room - 2000) / 16 * 16 - 16), nullptr);
    room = limit - stats_of(parent, true).bytes_reserved;
    ASSERT_GE(room, 1000u);
    ASSERT_LT(room, MPOOL_DEFAULT_BLOCK_SIZE);
    mpool_stats_t before = stats_of(parent);
    mpool_stats_t before_all = stats_of(parent, true);
    mpool_t *child = nullptr;
    int error = 0;
    std::thread([&] {
        mpool_options_t options{};
        options.block_size = MPOOL_DEFAULT_BLOCK_SIZE;
        errno = 0;
        child = mpool_create_ex(parent, &options);
        error = errno;
    }).join();
    EXPECT_EQ(child, nullptr);
    EXPECT_EQ(error, ENOMEM);
    mpool_stats_t after = stats_of(parent);
    mpool_stats_t after_all = stats_of(parent, true);
    EXPECT_EQ(after.blocks, before.blocks);
    EXPECT_EQ(after.bytes_reserved, before.bytes_reserved);
    EXPECT_EQ(after_all.bytes_reserved, before_all.bytes_reserved);
    mpool_destroy(parent);
}

// Guards a refused create that changed its parent: the thread's lane was made before the child's own limit refused it.
TEST(Reliability, CreateRefusedByItsOwnLimitOnANewThreadLeavesTheParentUnchanged) {
    mpool_t *parent = mpool_create(nullptr);
    ASSERT_NE(mpool_create(parent), nullptr); // this thread first: the next thread's child goes on a lane
    mpool_stats_t before = stats_of(parent);
    mpool_t *child = nullptr;
    int error = 0;
    std::thread([&] {
        mpool_options_t options{};
        options.limit = 64; // smaller than any first block
        errno = 0;
        child = mpool_create_ex(parent, &options);
        error = errno;
    }).join();
    EXPECT_EQ(child, nullptr);
    EXPECT_EQ(error, ENOMEM);
    mpool_stats_t after = stats_of(parent);
    EXPECT_EQ(after.blocks, before.blocks);
    EXPECT_EQ(after.bytes_reserved, before.bytes_reserved);
    mpool_destroy(parent);
}

// ------------------------------------------------------------ sizing children

// The average bytes_reserved of 1,000 live children of `parent` that each
// allocate 32 bytes.
size_t average_reserved_of_tiny_children(mpool_t *parent) {
    constexpr size_t kChildren = 1000;
    size_t sum = 0;
    for (size_t i = 0; i < kChildren; ++i) {
        mpool_t *child = mpool_create(parent);
        EXPECT_NE(child, nullptr);
        if (!child) return SIZE_MAX;
        fill(mpool_alloc(child, 32), 32, 5);
        sum += stats_of(child).bytes_reserved;
    }
    return sum / kChildren;
}

// Guards a size estimate that only decayed on destroy: after one big child, every long-lived child took 256 KiB.
TEST(Reliability, TinyChildrenStayTinyAfterOneBigChild) {
    mpool_t *fresh = mpool_create(nullptr);
    size_t baseline = average_reserved_of_tiny_children(fresh);
    mpool_destroy(fresh);

    mpool_t *parent = mpool_create(nullptr);
    mpool_t *outlier = mpool_create(parent);
    ASSERT_EQ(fill_pool(outlier, 200 * 1000, 1000), 200u * 1000u);
    mpool_destroy(outlier);
    size_t average = average_reserved_of_tiny_children(parent);
    EXPECT_LE(average, 2 * baseline) << "baseline " << baseline;
    mpool_destroy(parent);
}

// ------------------------------------------------------------ limits can be used

constexpr size_t kLimits[] = {64 * KiB, 256 * KiB, 1 * MiB};

// What filling a pool until ENOMEM got.
struct Filled {
    size_t taken = 0;        // sizes of the allocations had, each rounded up to MPOOL_ALIGNMENT
    size_t reserved = 0;     // the limited pool's bytes_reserved (descendants included) at the refusal
    bool over_limit = false; // bytes_reserved passed the limit after some call
};

// Allocates `size` bytes at a time from `pool` until ENOMEM; `limited` is the
// pool whose limit (`limit`) counts, checked after every call.
Filled allocate_until_refused(mpool_t *pool, size_t size, const mpool_t *limited, size_t limit) {
    const size_t rounded = (size + MPOOL_ALIGNMENT - 1) / MPOOL_ALIGNMENT * MPOOL_ALIGNMENT;
    Filled filled;
    for (;;) {
        errno = 0;
        void *p = mpool_alloc(pool, size);
        int error = errno;
        filled.reserved = stats_of(limited, true).bytes_reserved;
        if (filled.reserved > limit) {
            filled.over_limit = true;
            return filled;
        }
        if (!p) {
            EXPECT_EQ(error, ENOMEM);
            return filled;
        }
        filled.taken += rounded;
    }
}

std::vector<size_t> sizes_for(size_t limit) { return {16, 100, 1000, limit / 64}; }

// The smallest ordinary block that holds `size` bytes after a block header
// (allowing up to 64 bytes for it): what one more allocation needs at least.
size_t smallest_block_for(size_t size) {
    size_t power = 256;
    while (power - MPOOL_BLOCK_SLACK < size + 64) power *= 2;
    return power - MPOOL_BLOCK_SLACK;
}

// The limit was used: never passed, at the refusal too little of it was
// left for a block that could hold the request, and at least 90% of the
// limit went to allocations (counted rounded to MPOOL_ALIGNMENT: 100-byte
// pieces take 112 bytes each, which alone would cap them at 89.3%).
void expect_limit_used(const Filled &filled, size_t limit, size_t size) {
    EXPECT_FALSE(filled.over_limit) << "limit " << limit << ", size " << size;
    EXPECT_LT(limit - filled.reserved, smallest_block_for(size))
        << "limit " << limit << ", size " << size << ": refused with " << limit - filled.reserved << " bytes of the limit free";
    EXPECT_GE(filled.taken, limit / 10 * 9) << "limit " << limit << ", size " << size << ": " << filled.taken << " bytes had";
}

// Guards a limited pool that stopped at the first block of its growth sequence that did not fit.
TEST(Reliability, LimitedRootCanUseItsLimit) {
    SKIP_WHEN_CHECKED();
    for (size_t limit : kLimits)
        for (size_t size : sizes_for(limit)) {
            mpool_t *root = limited_root(limit);
            ASSERT_NE(root, nullptr);
            expect_limit_used(allocate_until_refused(root, size, root, limit), limit, size);
            mpool_destroy(root);
        }
}

// Guards a first child of a limited root that could use as little as half of the limit.
TEST(Reliability, FirstChildCanUseItsRootsLimit) {
    SKIP_WHEN_CHECKED();
    for (size_t limit : kLimits)
        for (size_t size : sizes_for(limit)) {
            mpool_t *root = limited_root(limit);
            ASSERT_NE(root, nullptr);
            mpool_t *child = mpool_create(root);
            ASSERT_NE(child, nullptr);
            expect_limit_used(allocate_until_refused(child, size, root, limit), limit, size);
            mpool_destroy(root);
        }
}

// Guards a child sized from a 200 KB sibling: 256 KiB blocks left a quarter of a 1 MiB limit unused.
TEST(Reliability, LaterChildCanUseItsRootsLimitAfterABigSibling) {
    SKIP_WHEN_CHECKED();
    const size_t limit = 1 * MiB; // the one big enough for the 200 KB sibling
    for (size_t size : sizes_for(limit)) {
        mpool_t *root = limited_root(limit);
        ASSERT_NE(root, nullptr);
        mpool_t *sibling = mpool_create(root);
        ASSERT_EQ(fill_pool(sibling, 200 * 1000, 1000), 200u * 1000u);
        mpool_destroy(sibling);
        mpool_t *child = mpool_create(root);
        ASSERT_NE(child, nullptr) << "size " << size;
        expect_limit_used(allocate_until_refused(child, size, root, limit), limit, size);
        mpool_destroy(root);
    }
}

// Guards a child with a 64 KiB limit that could not be created after a 200 KB sibling (its first block: 256 KiB).
TEST(Reliability, ChildWithItsOwnLimitCanBeCreatedAndUsedAfterABigSibling) {
    SKIP_WHEN_CHECKED();
    for (size_t limit : kLimits)
        for (size_t size : sizes_for(limit)) {
            mpool_t *root = mpool_create(nullptr);
            mpool_t *sibling = mpool_create(root);
            ASSERT_EQ(fill_pool(sibling, 200 * 1000, 1000), 200u * 1000u);
            mpool_destroy(sibling);
            mpool_options_t options{};
            options.limit = limit;
            mpool_t *child = mpool_create_ex(root, &options);
            EXPECT_NE(child, nullptr) << "limit " << limit;
            if (child) expect_limit_used(allocate_until_refused(child, size, child, limit), limit, size);
            mpool_destroy(root);
        }
}

// Guards a create refused with 60 KiB of the limit free, its first block sized from a child that had filled the limit.
TEST(Reliability, CreateSucceedsWhileTheLimitHasRoomForTheSmallestBlock) {
    for (size_t limit : kLimits)
        for (size_t leave : {60 * KiB, MPOOL_MIN_BLOCK_SIZE + 64}) {
            mpool_t *root = limited_root(limit);
            ASSERT_NE(root, nullptr);
            mpool_t *first = mpool_create(root);
            ASSERT_NE(first, nullptr);
            EXPECT_FALSE(allocate_until_refused(first, 1000, root, limit).over_limit);
            mpool_destroy(first);
            // Use up the limit but `leave` bytes, with one large allocation.
            size_t room = limit - stats_of(root, true).bytes_reserved;
            if (room > leave + 2 * MPOOL_LARGE_THRESHOLD) {
                ASSERT_NE(mpool_alloc(root, (room - leave) / 16 * 16 - 64), nullptr);
            }
            room = limit - stats_of(root, true).bytes_reserved;
            ASSERT_GE(room, MPOOL_MIN_BLOCK_SIZE);
            mpool_t *child = mpool_create(root);
            EXPECT_NE(child, nullptr) << "limit " << limit << ", " << room << " bytes free";
            EXPECT_LE(stats_of(root, true).bytes_reserved, limit);
            mpool_destroy(root);
        }
}

// ------------------------------------------------------------ reuse of a larger idle block

// Guards a spurious ENOMEM: an idle large block up to 1/8 bigger than asked was reused, then refused by the limit.
TEST(Reliability, ReusingALargerIdleBlockCausesNoSpuriousEnomem) {
    CountedAllocator counted;
    mpool_t *earlier = root_on(counted.allocator);
    ASSERT_NE(mpool_alloc(earlier, 22000), nullptr);
    size_t idle_before = mpool_allocator_idle_bytes(counted.allocator);
    size_t reserved = stats_of(earlier).bytes_reserved;
    mpool_destroy(earlier);
    ASSERT_EQ(mpool_allocator_idle_bytes(counted.allocator), idle_before + reserved); // the 22,016-byte block is idle

    mpool_t *pool = limited_root_on(counted.allocator, 24152);
    ASSERT_NE(pool, nullptr);
    errno = 0;
    void *p = mpool_alloc(pool, 20000);
    EXPECT_NE(p, nullptr) << "errno " << errno;
    if (p) fill(p, 20000, 3);
    EXPECT_LE(stats_of(pool).bytes_reserved, 24152u);
    mpool_destroy(pool);
}

// ------------------------------------------------------------ tags and limits

int g_oom_calls = 0;
void count_oom(mpool_t *, size_t) { ++g_oom_calls; }

// Guards a tag from options lost (and the OOM handler called) when the limit left no room beyond the first block.
TEST(Reliability, TagGivenInOptionsSurvivesATightLimit) {
    const char *tag = "a-tag-longer-than-sixteen-bytes";
    mpool_t *parent = mpool_create(nullptr);
    mpool_options_t options{};
    options.block_size = MPOOL_MIN_BLOCK_SIZE;
    options.limit = MPOOL_MIN_BLOCK_SIZE;
    options.tag = tag;
    options.oom = count_oom;
    g_oom_calls = 0;
    errno = 0;
    mpool_t *child = mpool_create_ex(parent, &options);
    if (child) {
        EXPECT_STREQ(mpool_tag(child), tag);
        EXPECT_EQ(g_oom_calls, 0);
    } else { // refusing is allowed, as a failure that says so
        EXPECT_EQ(errno, ENOMEM);
        EXPECT_EQ(g_oom_calls, 1);
    }
    mpool_destroy(parent);
}

// ------------------------------------------------------------ large requests

// Guards a large request bumped into the current block when it had room, so clear could not give it back.
TEST(Reliability, RequestOverTheLargeThresholdGetsABlockOfItsOwnEvenWhenTheCurrentBlockHasRoom) {
    mpool_options_t options{};
    options.block_size = MPOOL_MAX_BLOCK_SIZE; // more than 100 KB of room
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    ASSERT_NE(pool, nullptr);
    mpool_allocator_t *allocator = mpool_get_allocator(pool);
    const size_t size = 100000;
    std::function<void *()> calls[] = {
        [&] { return mpool_alloc(pool, size); },
        [&] { return mpool_alloc_aligned(pool, size, 64); },
        [&] { return mpool_calloc(pool, 1, size); },
    };
    for (size_t i = 0; i < std::size(calls); ++i) {
        mpool_stats_t before = stats_of(pool);
        void *p = calls[i]();
        ASSERT_NE(p, nullptr) << "call " << i;
        fill(p, size, 9);
        EXPECT_EQ(stats_of(pool).blocks, before.blocks + 1) << "call " << i;
        size_t idle_before = mpool_allocator_idle_bytes(allocator);
        mpool_clear(pool);
        EXPECT_GE(mpool_allocator_idle_bytes(allocator), idle_before + size) << "call " << i;
        EXPECT_EQ(stats_of(pool).blocks, before.blocks) << "call " << i;
    }
    mpool_destroy(pool);
}

// ------------------------------------------------------------ deep trees

constexpr size_t kDepth = 1000000;

// Makes a chain of `depth` pools under `top` (each a child of the previous).
void build_chain(mpool_t *top, size_t depth) {
    mpool_t *p = top;
    for (size_t i = 0; i < depth; ++i) {
        p = mpool_create(p);
        ASSERT_NE(p, nullptr) << "depth " << i;
    }
}

// Guards a stack overflow: statistics with descendants recursed once per level.
TEST(Reliability, StatsOfAMillionDeepChainCountEveryDescendant) {
    mpool_t *root = mpool_create(nullptr);
    build_chain(root, kDepth - 1);
    EXPECT_EQ(stats_of(root, true).children, kDepth - 1);
    mpool_destroy(root);
}

// Guards a stack overflow: clear and destroy recursed once per level.
TEST(Reliability, AMillionDeepChainCanBeClearedAndDestroyed) {
    mpool_t *root = mpool_create(nullptr);
    build_chain(root, kDepth - 1);
    mpool_clear(root);
    EXPECT_EQ(stats_of(root).children, 0u);
    build_chain(root, kDepth - 1);
    EXPECT_EQ(stats_of(root).children, 1u);
    mpool_destroy(root);
}

// ------------------------------------------------------------ trim, and the C++ face

// Guards trim giving back idle large (odd-size) blocks before bigger ordinary ones.
TEST(Reliability, TrimGivesBackTheLargestIdleBlocksFirst) {
    CountedAllocator counted;
    mpool_options_t options{};
    options.allocator = counted.allocator;
    options.block_size = MPOOL_MAX_BLOCK_SIZE;
    mpool_t *big = mpool_create_ex(nullptr, &options);
    ASSERT_NE(big, nullptr);
    size_t biggest = stats_of(big).bytes_reserved;
    mpool_destroy(big); // an idle 262,120-byte block
    mpool_t *other = root_on(counted.allocator);
    ASSERT_NE(mpool_alloc(other, 20000), nullptr); // a large block of an odd size
    mpool_destroy(other); // idle too, with its 4,072-byte home block
    size_t idle = mpool_allocator_idle_bytes(counted.allocator);
    ASSERT_GT(idle, biggest);
    EXPECT_EQ(mpool_allocator_trim(counted.allocator, idle - biggest), biggest);
    EXPECT_EQ(mpool_allocator_idle_bytes(counted.allocator), idle - biggest);
}

// Guards a throwing C++ cleanup that unwound through mpool_clear and left the pool half cleared.
TEST(ReliabilityDeathTest, ThrowingCleanupTerminates) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            mpool::Pool pool;
            pool.on_cleanup([] { throw std::runtime_error("cleanup failed"); });
            mpool_clear(pool.get()); // not through Pool, whose noexcept would terminate anyway
        },
        "");
}

// Calls pool.strndup(nullptr, n) when the C++ face has it.
template <class P> void expect_strndup_of_null_is_invalid(const P &pool) {
    if constexpr (requires { pool.strndup(static_cast<const char *>(nullptr), 3); }) {
        EXPECT_THROW(pool.strndup(static_cast<const char *>(nullptr), 3), std::invalid_argument);
    }
}

// Guards a NULL string reported as std::bad_alloc, as if memory had run out.
TEST(Reliability, CppStrdupOfNullThrowsInvalidArgument) {
    mpool::Pool pool;
    EXPECT_THROW(pool.strdup(static_cast<const char *>(nullptr)), std::invalid_argument);
    expect_strndup_of_null_is_invalid(pool);
}

} // namespace
