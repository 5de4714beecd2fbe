// Child pools of one parent created and destroyed from several threads at
// once. Run under the tsan preset too.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 300;

// Each thread writes its own pattern into its child and checks it before
// destroying the child.
void churn_children(mpool_t *parent, int id, std::atomic<int> *bad) {
    for (int round = 0; round < kRounds; ++round) {
        mpool_t *child = mpool_create(parent);
        if (!child) {
            bad->fetch_add(1);
            continue;
        }
        std::vector<unsigned char *> chunks;
        for (int i = 0; i < 64; ++i) {
            auto *p = static_cast<unsigned char *>(mpool_alloc(child, 16 + static_cast<size_t>(i % 8) * 60));
            std::memset(p, id, 16);
            chunks.push_back(p);
        }
        for (unsigned char *p : chunks)
            for (int i = 0; i < 16; ++i)
                if (p[i] != id) bad->fetch_add(1);
        mpool_destroy(child);
    }
}

// kThreads threads churn children of `parent` at once; every pattern must
// hold and no child may be left.
void churn_from_every_thread(mpool_t *parent) {
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(churn_children, parent, t + 1, &bad);
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(stats_of(parent).children, 0u);
}

TEST(Threads, ChildrenOfOneParentChurnSafelyAcrossThreads) {
    mpool_t *parent = mpool_create(nullptr);
    churn_from_every_thread(parent);
    mpool_destroy(parent);
}

TEST(Threads, ChildrenLeftAliveByThreadsAreAllLinked) {
    mpool_t *parent = mpool_create(nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([parent] {
            for (int i = 0; i < 100; ++i) mpool_create(parent);
        });
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(stats_of(parent).children, static_cast<size_t>(kThreads * 100));
    mpool_destroy(parent);
}

TEST(Threads, ParentLimitHoldsUnderConcurrentChildren) {
    mpool_options_t options{};
    options.limit = 256 * 1024;
    mpool_t *parent = mpool_create_ex(nullptr, &options);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([parent] {
            for (int round = 0; round < 50; ++round) {
                mpool_t *child = mpool_create(parent);
                if (!child) continue;
                for (int i = 0; i < 200; ++i) mpool_alloc(child, 200);
                mpool_destroy(child);
            }
        });
    for (std::thread &t : threads) t.join();
    EXPECT_LE(stats_of(parent, true).bytes_reserved, options.limit);
    // Everything given back: the full limit is available again.
    mpool_t *child = mpool_create(parent);
    EXPECT_NE(mpool_alloc(child, options.limit / 2), nullptr);
    mpool_destroy(parent);
}

std::atomic<int> g_cleanups{0};
void count_cleanup(void *) { g_cleanups.fetch_add(1); }

// Makes a child of `parent` on a thread of its own (so that the parent has
// met two threads and links children per thread).
mpool_t *child_from_another_thread(mpool_t *parent) {
    mpool_t *child = nullptr;
    std::thread([&] { child = mpool_create(parent); }).join();
    return child;
}

// Guards the remote path: a child made on one thread's lane and destroyed by
// another is unlinked, and its blocks come back.
TEST(Threads, ChildDestroyedByAnotherThreadIsCollected) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *parent = root_on(allocator);
    mpool_destroy(mpool_create(parent)); // this thread first
    std::vector<mpool_t *> made(50);
    std::thread maker([&] {
        for (mpool_t *&child : made) {
            child = mpool_create(parent);
            std::memset(mpool_alloc(child, 100), 1, 100);
            mpool_cleanup_register(child, nullptr, count_cleanup);
        }
    });
    maker.join();
    g_cleanups = 0;
    for (mpool_t *child : made) mpool_destroy(child); // all remote: maker's lane
    EXPECT_EQ(g_cleanups.load(), 50);
    EXPECT_EQ(stats_of(parent).children, 0u);
    mpool_destroy(parent);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

TEST(Threads, DestroyingTheParentTearsDownEveryThreadsChildren) {
    mpool_t *parent = mpool_create(nullptr);
    g_cleanups = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([parent] {
            for (int i = 0; i < 20; ++i) mpool_cleanup_register(mpool_create(parent), nullptr, count_cleanup);
        });
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(stats_of(parent).children, static_cast<size_t>(kThreads * 20));
    mpool_destroy(parent);
    EXPECT_EQ(g_cleanups.load(), kThreads * 20);
}

TEST(Threads, ClearOfASharedParentLeavesItUsableFromEveryThread) {
    mpool_t *parent = mpool_create(nullptr);
    mpool_t *early = child_from_another_thread(parent);
    ASSERT_NE(early, nullptr);
    mpool_create(parent);
    mpool_clear(parent);
    EXPECT_EQ(stats_of(parent).children, 0u);
    churn_from_every_thread(parent);
    mpool_destroy(parent);
}

// Guards against a cache that only grows: threads come and go, and what they
// held goes back.
TEST(Threads, ThreadChurnLeavesBoundedIdleMemoryAndNoLeak) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *parent = root_on(allocator);
    for (int generation = 0; generation < 30; ++generation) {
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t)
            threads.emplace_back([parent] {
                for (int i = 0; i < 20; ++i) {
                    mpool_t *child = mpool_create(parent);
                    for (int j = 0; j < 50; ++j) std::memset(mpool_alloc(child, 300), 2, 300);
                    mpool_destroy(child);
                }
            });
        for (std::thread &t : threads) t.join();
    }
    // Exited threads' lanes are adopted, not added to: at most two (plus the home block).
    EXPECT_LE(stats_of(parent).blocks, 3u);
    EXPECT_LE(mpool_allocator_idle_bytes(allocator), MPOOL_DEFAULT_MAX_FREE);
    mpool_destroy(parent);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

TEST(Threads, ExitedThreadsCachedBlocksGoBackToTheAllocator) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *parent = root_on(allocator);
    mpool_destroy(mpool_create(parent));
    size_t idle_before = mpool_allocator_idle_bytes(allocator);
    std::thread([parent] {
        for (int i = 0; i < 5; ++i) {
            mpool_t *child = mpool_create(parent);
            std::memset(mpool_alloc(child, 5000), 3, 5000);
            mpool_destroy(child); // its blocks stay in this thread's lane
        }
    }).join();
    EXPECT_GT(mpool_allocator_idle_bytes(allocator), idle_before);
    mpool_destroy(parent);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

// One request on a child of `parent`: about 40 KB in 1000-byte pieces, so
// that the child takes blocks beyond its home block.
void serve_request(mpool_t *parent) {
    mpool_t *request = mpool_create(parent);
    for (int i = 0; i < 40; ++i) std::memset(mpool_alloc(request, 1000), 5, 1000);
    mpool_destroy(request);
}

// A pool served by many threads in turn (a server's connection pool) holds
// what it holds when one thread serves it: a thread's request takes the
// blocks idle in other threads' caches before new ones. Every thread stays
// alive (its cache is not drained by its exit) and only one serves at once.
TEST(Threads, PoolServedByThreadsInTurnReusesBlocksIdleInOtherThreadsCaches) {
    constexpr int kServers = 8;
    constexpr size_t kLaneBlock = 512; // each thread's lane takes one block of its own
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *connection = root_on(allocator);
    serve_request(connection); // this thread's children are on the own list
    std::mutex lock;
    std::condition_variable turn_changed;
    int turn = 0;
    size_t after_first = 0;
    std::vector<std::thread> servers;
    for (int id = 0; id < kServers; ++id)
        servers.emplace_back([&, id] {
            std::unique_lock guard(lock);
            turn_changed.wait(guard, [&] { return turn == id; });
            for (int r = 0; r < 3; ++r) serve_request(connection);
            if (id == 0) after_first = source.live_bytes;
            ++turn;
            turn_changed.notify_all();
            turn_changed.wait(guard, [&] { return turn == kServers; }); // alive until every thread has served
        });
    for (std::thread &t : servers) t.join();
    EXPECT_LE(source.live_bytes, after_first + (kServers - 1) * kLaneBlock);
    mpool_destroy(connection);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

TEST(Threads, ChildOnAnotherThreadsLaneWithItsOwnAllocatorGoesBackToIt) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *parent = mpool_create(nullptr);
    mpool_destroy(mpool_create(parent));
    mpool_options_t options{};
    options.allocator = allocator;
    mpool_t *child = nullptr;
    std::thread([&] { child = mpool_create_ex(parent, &options); }).join();
    ASSERT_NE(child, nullptr);
    mpool_destroy(child); // remote
    mpool_destroy(mpool_create(parent));
    std::thread([parent] { mpool_destroy(mpool_create(parent)); }).join(); // the lane's next owner collects it
    mpool_destroy(parent);
    mpool_allocator_set_max_free(allocator, 0);
    EXPECT_EQ(source.live_blocks, 1u); // the allocator's own record
    mpool_allocator_destroy(allocator);
}

// Failing each block request in turn while a second thread switches the
// parent to lanes (the lane's own block request among them): every failure
// is ENOMEM, children still work on the parent's own list, nothing leaks.
TEST(Threads, EachSourceFailureWhileLanesStartIsClean) {
    for (size_t k = 1; k < 20; ++k) {
        TestSource source;
        mpool_allocator_t *allocator = source.make_allocator();
        mpool_options_t options{};
        options.allocator = allocator;
        source.fail_request = k + 1; // after the allocator's own record
        mpool_t *parent = mpool_create_ex(nullptr, &options);
        if (parent) {
            mpool_t *mine = mpool_create(parent);
            std::thread([parent] {
                for (int i = 0; i < 10; ++i) {
                    errno = 0;
                    mpool_t *child = mpool_create(parent);
                    if (!child) {
                        EXPECT_EQ(errno, ENOMEM);
                        continue;
                    }
                    void *p = mpool_alloc(child, 3000);
                    if (p) std::memset(p, 4, 3000);
                    if (i % 2) mpool_destroy(child);
                }
            }).join();
            if (mine) mpool_destroy(mine);
            mpool_destroy(parent);
        }
        mpool_allocator_destroy(allocator);
        EXPECT_EQ(source.live_blocks, 0u) << "failing request " << k + 1;
    }
}

// Guards decay once a lane caches blocks: draining the caches into the
// lists must not sweep with a zero clock (which released every idle block,
// or recursed without end with a decay of 1 ms).
TEST(Threads, DecayWithLaneCachesKeepsRecentBlocks) {
    for (uint64_t decay_ms : {uint64_t{1}, uint64_t{100000}}) {
        mpool_t *root = mpool_create(nullptr);
        mpool_allocator_t *allocator = mpool_get_allocator(root);
        mpool_destroy(mpool_create(root));
        std::thread([root] { mpool_destroy(mpool_create(root)); }).join(); // a second thread: lanes, a cache
        uint64_t now = 1000;
        mpool_allocator_set_clock(allocator, [](void *ctx) { return *static_cast<uint64_t *>(ctx); }, &now);
        mpool_allocator_set_decay(allocator, decay_ms);
        mpool_t *filled = mpool_create(root);
        for (int i = 0; i < 20; ++i) mpool_alloc(filled, 3000);
        mpool_destroy(filled);
        size_t idle = mpool_allocator_idle_bytes(allocator);
        EXPECT_GT(idle, 0u);
        EXPECT_EQ(mpool_allocator_trim(allocator, SIZE_MAX), 0u) << "decay " << decay_ms; // nothing is old yet
        EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle);
        mpool_destroy(root);
    }
}

} // namespace
