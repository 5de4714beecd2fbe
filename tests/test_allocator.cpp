// The block allocator: reuse, max_free, trimming and block sources.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>

#include "test_support.hpp"

namespace {

class Allocator : public ::testing::Test {
protected:
    TestSource source;
    mpool_allocator_t *allocator = nullptr;
    mpool_options_t options{};
    void SetUp() override {
        allocator = source.make_allocator();
        options.allocator = allocator;
    }
    void TearDown() override {
        mpool_allocator_destroy(allocator);
        EXPECT_EQ(source.live_blocks, 0u);
    }
    mpool_t *filled_pool(int allocations) {
        mpool_t *pool = mpool_create_ex(nullptr, &options);
        for (int i = 0; i < allocations; ++i) mpool_alloc(pool, 100);
        return pool;
    }
};

TEST_F(Allocator, ItsOwnRecordComesFromTheSource) { EXPECT_EQ(source.live_blocks, 1u); }

TEST_F(Allocator, DefaultMaxFreeIsTheDocumentedOne) {
    EXPECT_EQ(mpool_allocator_max_free(allocator), MPOOL_DEFAULT_MAX_FREE);
}

TEST_F(Allocator, BlocksOfADestroyedPoolAreReusedByTheNext) {
    mpool_destroy(filled_pool(500));
    size_t requests = source.requests;
    mpool_destroy(filled_pool(500));
    EXPECT_EQ(source.requests, requests);
}

TEST_F(Allocator, IdleBytesEqualWhatDestroyedPoolsHeld) {
    mpool_t *pool = filled_pool(500);
    size_t reserved = stats_of(pool).bytes_reserved;
    mpool_destroy(pool);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), reserved);
}

TEST_F(Allocator, MaxFreeZeroKeepsNothingIdle) {
    mpool_allocator_set_max_free(allocator, 0);
    mpool_destroy(filled_pool(500));
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
    EXPECT_EQ(source.live_blocks, 1u);
}

TEST_F(Allocator, IdleBytesNeverPassMaxFree) {
    mpool_allocator_set_max_free(allocator, 10000);
    mpool_destroy(filled_pool(2000));
    EXPECT_LE(mpool_allocator_idle_bytes(allocator), 10000u);
    EXPECT_GT(mpool_allocator_idle_bytes(allocator), 0u);
}

TEST_F(Allocator, LoweringMaxFreeGivesBlocksBackNow) {
    mpool_destroy(filled_pool(2000));
    size_t idle = mpool_allocator_idle_bytes(allocator);
    size_t live = source.live_bytes;
    ASSERT_GT(idle, 5000u);
    mpool_allocator_set_max_free(allocator, 5000);
    EXPECT_LE(mpool_allocator_idle_bytes(allocator), 5000u);
    EXPECT_EQ(source.live_bytes, live - (idle - mpool_allocator_idle_bytes(allocator)));
}

TEST_F(Allocator, TrimReturnsTheBytesItGaveBack) {
    mpool_destroy(filled_pool(2000));
    size_t idle = mpool_allocator_idle_bytes(allocator);
    size_t live = source.live_bytes;
    size_t released = mpool_allocator_trim(allocator, 0);
    EXPECT_EQ(released, idle);
    EXPECT_EQ(source.live_bytes, live - released);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
}

TEST_F(Allocator, TrimKeepsAtMostWhatItIsAskedToKeep) {
    mpool_destroy(filled_pool(2000));
    size_t idle = mpool_allocator_idle_bytes(allocator);
    size_t released = mpool_allocator_trim(allocator, 20000);
    EXPECT_LE(mpool_allocator_idle_bytes(allocator), 20000u);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle - released);
}

TEST_F(Allocator, LargeBlocksAreReusedWhenCloseInSize) {
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    mpool_alloc(pool, 100000);
    mpool_clear(pool);
    size_t requests = source.requests;
    mpool_alloc(pool, 95000);
    EXPECT_EQ(source.requests, requests);
    mpool_alloc(pool, 50000); // far smaller than the idle large block: a new one
    EXPECT_EQ(source.requests, requests + 1);
    mpool_destroy(pool);
}

uint64_t g_now_ms = 0;
uint64_t fake_clock(void *) { return g_now_ms; }

class Decay : public Allocator {
protected:
    void SetUp() override {
        Allocator::SetUp();
        g_now_ms = 1000;
        mpool_allocator_set_clock(allocator, fake_clock, nullptr);
    }
};

TEST_F(Decay, TrimGivesBackBlocksIdleForTheDecayTime) {
    mpool_allocator_set_decay(allocator, 500);
    mpool_destroy(filled_pool(500));
    size_t idle = mpool_allocator_idle_bytes(allocator);
    ASSERT_GT(idle, 0u);
    g_now_ms += 499;
    EXPECT_EQ(mpool_allocator_trim(allocator, SIZE_MAX), 0u);
    g_now_ms += 1;
    EXPECT_EQ(mpool_allocator_trim(allocator, SIZE_MAX), idle);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
}

TEST_F(Decay, SlowPathsGiveBackOldBlocksWithoutATrim) {
    mpool_allocator_set_decay(allocator, 500);
    mpool_destroy(filled_pool(500));
    g_now_ms += 600;
    mpool_t *pool = mpool_create_ex(nullptr, &options); // takes a block: the allocator looks at the clock
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
    EXPECT_EQ(source.live_blocks, 2u); // the allocator's record and the new pool's block
    mpool_destroy(pool);
}

TEST_F(Decay, BlocksIdleBeforeDecayWasSetCountFromThen) {
    mpool_destroy(filled_pool(500));
    g_now_ms += 10000;
    mpool_allocator_set_decay(allocator, 500);
    EXPECT_EQ(mpool_allocator_trim(allocator, SIZE_MAX), 0u);
    g_now_ms += 500;
    EXPECT_GT(mpool_allocator_trim(allocator, SIZE_MAX), 0u);
}

TEST_F(Decay, WithoutDecayIdleBlocksStay) {
    mpool_destroy(filled_pool(500));
    size_t idle = mpool_allocator_idle_bytes(allocator);
    g_now_ms += 1000000;
    EXPECT_EQ(mpool_allocator_trim(allocator, SIZE_MAX), 0u);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle);
}

TEST_F(Decay, RecentlyIdleBlocksStayWhileOldOnesGo) {
    mpool_allocator_set_decay(allocator, 500);
    mpool_destroy(filled_pool(500));
    size_t old_idle = mpool_allocator_idle_bytes(allocator);
    g_now_ms += 300;
    mpool_t *big = mpool_create_ex(nullptr, &options);
    mpool_alloc(big, 100000); // a large block, idle from t + 300 on
    mpool_destroy(big);
    size_t all_idle = mpool_allocator_idle_bytes(allocator);
    g_now_ms += 200;
    EXPECT_EQ(mpool_allocator_trim(allocator, SIZE_MAX), old_idle - MPOOL_DEFAULT_BLOCK_SIZE);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), all_idle - (old_idle - MPOOL_DEFAULT_BLOCK_SIZE));
}

TEST_F(Allocator, NullAllocatorCallsAreHarmless) {
    mpool_allocator_set_decay(nullptr, 5);
    mpool_allocator_set_clock(nullptr, nullptr, nullptr);
    mpool_allocator_destroy(nullptr);
    mpool_allocator_set_max_free(nullptr, 5);
    EXPECT_EQ(mpool_allocator_trim(nullptr, 0), 0u);
    EXPECT_EQ(mpool_allocator_idle_bytes(nullptr), 0u);
    EXPECT_EQ(mpool_allocator_max_free(nullptr), 0u);
}

TEST(AllocatorSource, SourceWithOnlyAllocIsInvalid) {
    mpool_block_source_t half{[](void *, size_t) -> void * { return nullptr; }, nullptr, nullptr};
    errno = 0;
    EXPECT_EQ(mpool_allocator_create(&half), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST(AllocatorSource, FailingSourceFailsCreation) {
    TestSource source;
    source.fail_request = 1;
    errno = 0;
    EXPECT_EQ(source.make_allocator(), nullptr);
    EXPECT_EQ(errno, ENOMEM);
}

TEST(AllocatorSource, NullSourceMeansMalloc) {
    mpool_allocator_t *allocator = mpool_allocator_create(nullptr);
    ASSERT_NE(allocator, nullptr);
    mpool_t *pool = root_on(allocator);
    ASSERT_NE(mpool_alloc(pool, 100), nullptr);
    mpool_destroy(pool);
    mpool_allocator_destroy(allocator);
}

TEST(AllocatorSource, SharedAllocatorServesPoolsOfDifferentRoots) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_options_t options{};
    options.allocator = allocator;
    mpool_t *a = mpool_create_ex(nullptr, &options);
    mpool_destroy(a);
    size_t requests = source.requests;
    mpool_t *b = mpool_create_ex(nullptr, &options);
    EXPECT_EQ(source.requests, requests); // b got a's block
    mpool_destroy(b);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

} // namespace
