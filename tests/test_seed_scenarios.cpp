// The five scenarios of the original request (shared/seed), as assertions.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

TEST(SeedScenario, BasicAllocationThenReset) {
    mpool_t *pool = mpool_create(nullptr);
    char *s = static_cast<char *>(mpool_alloc(pool, 128));
    std::strcpy(s, "Hello, memory pool!");
    EXPECT_STREQ(s, "Hello, memory pool!");
    mpool_clear(pool);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
    char *t = static_cast<char *>(mpool_alloc(pool, 128));
    EXPECT_EQ(t, s);
    mpool_destroy(pool);
}

TEST(SeedScenario, TenThousandAllocationsKeepTheirContents) {
    mpool_t *pool = mpool_create(nullptr);
    std::vector<int *> values;
    for (int i = 0; i < 10000; ++i) {
        int *p = static_cast<int *>(mpool_alloc(pool, sizeof(int) * 4));
        ASSERT_NE(p, nullptr);
        for (int j = 0; j < 4; ++j) p[j] = i * 4 + j;
        values.push_back(p);
    }
    for (int i = 0; i < 10000; ++i)
        for (int j = 0; j < 4; ++j) ASSERT_EQ(values[static_cast<size_t>(i)][j], i * 4 + j);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 10000u * sizeof(int) * 4);
    mpool_destroy(pool);
}

TEST(SeedScenario, SizesZeroToNinetyNineAreAligned) {
    mpool_t *pool = mpool_create(nullptr);
    for (size_t size = 0; size < 100; ++size) {
        void *p = mpool_alloc(pool, size);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % MPOOL_ALIGNMENT, 0u) << size;
    }
    mpool_destroy(pool);
}

TEST(SeedScenario, TenThreadsEachFillTheirOwnChildOfASharedParent) {
    mpool_t *parent = mpool_create(nullptr);
    std::vector<int> ok(10, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 10; ++t)
        threads.emplace_back([parent, t, &ok] {
            mpool_t *child = mpool_create(parent);
            std::vector<int *> mine;
            for (int i = 0; i < 1000; ++i) {
                int *p = static_cast<int *>(mpool_alloc(child, sizeof(int)));
                *p = t * 100000 + i;
                mine.push_back(p);
            }
            bool good = true;
            for (int i = 0; i < 1000; ++i) good = good && *mine[static_cast<size_t>(i)] == t * 100000 + i;
            ok[static_cast<size_t>(t)] = good ? 1 : 0;
            mpool_destroy(child);
        });
    for (std::thread &t : threads) t.join();
    for (int t = 0; t < 10; ++t) EXPECT_EQ(ok[static_cast<size_t>(t)], 1) << t;
    EXPECT_EQ(stats_of(parent).children, 0u);
    mpool_destroy(parent);
}

TEST(SeedScenario, IdleBlocksAreTrimmed) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *pool = root_on(allocator);
    for (int i = 0; i < 5000; ++i) mpool_alloc(pool, 200);
    mpool_destroy(pool);
    size_t idle = mpool_allocator_idle_bytes(allocator);
    ASSERT_GT(idle, 0u);
    EXPECT_EQ(mpool_allocator_trim(allocator, 0), idle);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
    EXPECT_EQ(source.live_blocks, 1u); // the allocator's own record
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

} // namespace
