// Pools that many threads allocate from at once (MPOOL_CONCURRENT). Run
// under the tsan preset too.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

constexpr int kThreads = 4;

struct Range {
    unsigned char *start;
    size_t size;
    unsigned char value;
};

mpool_t *concurrent_pool(mpool_allocator_t *allocator = nullptr, size_t limit = 0) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT;
    options.allocator = allocator;
    options.limit = limit;
    return mpool_create_ex(nullptr, &options);
}

// Each thread fills what it gets with its own byte; afterwards no two
// ranges overlap and every byte is still its owner's.
TEST(Concurrent, ThreadsAllocationsNeverOverlap) {
    mpool_t *pool = concurrent_pool();
    std::vector<std::vector<Range>> ranges(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([pool, t, &ranges] {
            auto value = static_cast<unsigned char>(t + 1);
            for (int i = 0; i < 5000; ++i) {
                size_t size = 8 + static_cast<size_t>((i * 31 + t) % 200);
                if (i % 500 == 0) size = MPOOL_LARGE_THRESHOLD + 100; // a large one now and then
                auto *p = static_cast<unsigned char *>(i % 3 ? mpool_alloc(pool, size) : mpool_alloc_aligned(pool, size, 64));
                ASSERT_NE(p, nullptr);
                std::memset(p, value, size);
                ranges[static_cast<size_t>(t)].push_back({p, size, value});
            }
        });
    for (std::thread &t : threads) t.join();
    std::vector<Range> all;
    for (auto &list : ranges) all.insert(all.end(), list.begin(), list.end());
    std::sort(all.begin(), all.end(), [](const Range &a, const Range &b) { return a.start < b.start; });
    for (size_t i = 1; i < all.size(); ++i) ASSERT_LE(all[i - 1].start + all[i - 1].size, all[i].start);
    for (const Range &r : all)
        for (size_t j = 0; j < r.size; ++j) ASSERT_EQ(r.start[j], r.value);
    mpool_destroy(pool);
}

TEST(Concurrent, EveryThreadsBytesAreCounted) {
    mpool_t *pool = concurrent_pool();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([pool] {
            for (int i = 0; i < 1000; ++i) mpool_alloc(pool, 10);
        });
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(stats_of(pool).bytes_allocated, static_cast<size_t>(kThreads) * 1000u * 10u);
    mpool_destroy(pool);
}

TEST(Concurrent, CleanupsRegisteredFromManyThreadsAllRun) {
    static std::atomic<int> ran{0};
    ran = 0;
    mpool_t *pool = concurrent_pool();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([pool] {
            for (int i = 0; i < 500; ++i) ASSERT_EQ(mpool_cleanup_register(pool, nullptr, [](void *) { ran++; }), 0);
        });
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(stats_of(pool).cleanups, static_cast<size_t>(kThreads) * 500u);
    mpool_clear(pool);
    EXPECT_EQ(ran.load(), kThreads * 500);
    mpool_destroy(pool);
}

// Clear keeps what the threads used (for the next round) and gives back
// what a round did not use, as for a plain pool.
TEST(Concurrent, ClearKeepsWhatWasUsedAndGivesBackWhatWasNot) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *pool = concurrent_pool(allocator);
    auto fill = [pool] {
        for (int i = 0; i < 2000; ++i) mpool_alloc(pool, 100);
    };
    std::thread(fill).join();
    size_t reserved = stats_of(pool).bytes_reserved;
    mpool_clear(pool);
    EXPECT_EQ(stats_of(pool).bytes_reserved, reserved);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
    size_t requests = source.requests;
    std::thread(fill).join(); // a new thread adopts the lane and its spares
    EXPECT_EQ(source.requests, requests);
    mpool_clear(pool);
    mpool_clear(pool); // a round that used nothing
    mpool_stats_t after = stats_of(pool);
    EXPECT_LT(after.bytes_reserved, reserved);
    char *p = static_cast<char *>(mpool_alloc(pool, 64));
    ASSERT_NE(p, nullptr);
    std::memset(p, 0, 64);
    mpool_destroy(pool);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

TEST(Concurrent, LimitHoldsAcrossThreads) {
    mpool_t *pool = concurrent_pool(nullptr, 256 * 1024);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([pool, &failures] {
            for (int i = 0; i < 2000; ++i)
                if (!mpool_alloc(pool, 200)) failures++;
        });
    for (std::thread &t : threads) t.join();
    EXPECT_GT(failures.load(), 0);
    EXPECT_LE(stats_of(pool, true).bytes_reserved, 256u * 1024u);
    mpool_destroy(pool);
}

TEST(Concurrent, TagSurvivesClear) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT;
    options.tag = "shared-arena";
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    mpool_alloc(pool, 100);
    mpool_clear(pool);
    EXPECT_STREQ(mpool_tag(pool), "shared-arena");
    mpool_destroy(pool);
}

TEST(Concurrent, StringsAndReallocWork) {
    mpool_t *pool = concurrent_pool();
    EXPECT_STREQ(mpool_printf(pool, "%d-%s", 5, "five"), "5-five");
    EXPECT_STREQ(mpool_strcat(pool, "a", "b", static_cast<char *>(nullptr)), "ab");
    char *p = static_cast<char *>(mpool_strdup(pool, "grow"));
    char *q = static_cast<char *>(mpool_realloc(pool, p, 5, 100));
    EXPECT_STREQ(q, "grow");
    mpool_destroy(pool);
}

TEST(Concurrent, ReallocShrinksInPlaceAndGrowsByCopying) {
    mpool_t *pool = concurrent_pool();
    char *p = static_cast<char *>(mpool_alloc(pool, 100));
    std::memset(p, 9, 100);
    size_t allocated = stats_of(pool).bytes_allocated;
    EXPECT_EQ(mpool_realloc(pool, p, 100, 40), p);
    EXPECT_EQ(stats_of(pool).bytes_allocated, allocated);
    char *q = static_cast<char *>(mpool_realloc(pool, p, 40, 400));
    ASSERT_NE(q, nullptr);
    EXPECT_NE(q, p);
    EXPECT_EQ(q[39], 9);
    mpool_destroy(pool);
}

TEST(Concurrent, ChildrenFromManyThreads) {
    mpool_t *pool = concurrent_pool();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([pool] {
            for (int i = 0; i < 100; ++i) {
                mpool_t *child = mpool_create(pool);
                std::memset(mpool_alloc(child, 64), 1, 64);
                if (i % 2) mpool_destroy(child);
            }
        });
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(stats_of(pool).children, static_cast<size_t>(kThreads) * 50u);
    mpool_destroy(pool);
}

// Guards against lanes that only grow: exited threads' lanes are adopted.
TEST(Concurrent, ThreadChurnReusesLanes) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *pool = concurrent_pool(allocator);
    for (int generation = 0; generation < 20; ++generation) {
        std::thread a([pool] {
            for (int i = 0; i < 100; ++i) mpool_alloc(pool, 50);
        });
        std::thread b([pool] {
            for (int i = 0; i < 100; ++i) mpool_alloc(pool, 50);
        });
        a.join();
        b.join();
        mpool_clear(pool);
    }
    mpool_clear(pool); // gives back the spares: what is left is the pool's block and its lanes
    // The pool's own block and at most two lanes.
    EXPECT_LE(stats_of(pool).blocks, 3u);
    mpool_destroy(pool);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

TEST(Concurrent, EachSourceFailureIsCleanInAConcurrentPool) {
    for (size_t k = 1; k < 40; ++k) {
        TestSource source;
        mpool_allocator_t *allocator = source.make_allocator();
        source.fail_request = k;
        mpool_t *pool = concurrent_pool(allocator);
        if (pool) {
            for (int i = 0; i < 300; ++i) {
                errno = 0;
                void *p = mpool_alloc(pool, i % 50 == 0 ? 40000 : 120);
                if (p)
                    std::memset(p, 1, i % 50 == 0 ? 40000 : 120);
                else
                    EXPECT_EQ(errno, ENOMEM);
            }
            mpool_t *child = mpool_create(pool);
            if (child) mpool_alloc(child, 500);
            mpool_destroy(pool);
        }
        mpool_allocator_destroy(allocator);
        EXPECT_EQ(source.live_blocks, 0u) << "failing request " << k;
    }
}

TEST(Concurrent, CppMakeFromManyThreads) {
    static std::atomic<int> alive{0};
    struct Counted {
        Counted() { alive++; }
        ~Counted() { alive--; }
    };
    {
        mpool::Pool pool = mpool::Pool::concurrent();
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&pool] {
                for (int i = 0; i < 200; ++i) pool.make<Counted>();
            });
        for (std::thread &t : threads) t.join();
        EXPECT_EQ(alive.load(), kThreads * 200);
    }
    EXPECT_EQ(alive.load(), 0);
}

TEST(Concurrent, UnknownFlagsBesideConcurrentAreRejected) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT | 0x100u;
    errno = 0;
    EXPECT_EQ(mpool_create_ex(nullptr, &options), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

} // namespace
