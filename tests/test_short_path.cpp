// The plain child's short path (pool_tree.cpp): a child made with no
// options by the thread that makes its parent's children, on the parent's
// allocator, under no limit, and its destroy. What the general path
// promises holds on it too: blocks go back to the allocator within
// max_free, every block the child took is given back, a child whose home
// block no list takes is freed whole. (In the checked presets, ASan and
// Valgrind, every pool takes the general path: the same tests hold there.)
#include <gtest/gtest.h>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

class ShortPath : public CountedRootTest {
protected:
    mpool_t *parent = nullptr; // the root: the parent of the children tested
    void SetUp() override {
        CountedRootTest::SetUp();
        parent = root;
        mpool_destroy(mpool_create(parent)); // the list of the smallest blocks has one now
    }
};

TEST_F(ShortPath, ANewChildTakesTheHomeBlockOfTheLastOneDestroyed) {
    size_t requests = source.requests;
    mpool_t *child = mpool_create(parent);
    EXPECT_EQ(source.requests, requests);
    mpool_destroy(child);
}

TEST_F(ShortPath, ADestroyedChildsHomeBlockBecomesIdle) {
    size_t idle = mpool_allocator_idle_bytes(allocator);
    mpool_t *child = mpool_create(parent);
    size_t reserved = stats_of(child).bytes_reserved;
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle - reserved);
    mpool_destroy(child);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle);
}

TEST_F(ShortPath, BlocksFilledPastTheHomeBlockAreGivenBackWithIt) {
    mpool_t *child = mpool_create(parent);
    for (int i = 0; i < 40; ++i) ASSERT_NE(mpool_alloc(child, 1000), nullptr);
    mpool_stats_t s = stats_of(child);
    ASSERT_GT(s.blocks, 1u);
    size_t idle = mpool_allocator_idle_bytes(allocator);
    size_t live = source.live_blocks;
    mpool_destroy(child);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle + s.bytes_reserved);
    EXPECT_EQ(source.live_blocks, live);
}

TEST_F(ShortPath, MaxFreeZeroSendsTheHomeBlockToTheSource) {
    mpool_allocator_set_max_free(allocator, 0);
    size_t live = source.live_blocks;
    mpool_t *child = mpool_create(parent);
    mpool_destroy(child);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
    EXPECT_EQ(source.live_blocks, live);
}

TEST_F(ShortPath, LoweringMaxFreeReleasesWhatTheListsKeep) {
    mpool_t *children[50];
    for (mpool_t *&child : children) child = mpool_create(parent);
    for (mpool_t *child : children) mpool_destroy(child);
    ASSERT_GT(mpool_allocator_idle_bytes(allocator), 0u);
    mpool_allocator_set_max_free(allocator, 0);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
    mpool_destroy(mpool_create(parent));
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
}

TEST_F(ShortPath, IdleBytesStayWithinASmallMaxFree) {
    mpool_allocator_set_max_free(allocator, 1000);
    mpool_t *children[20];
    for (mpool_t *&child : children) child = mpool_create(parent);
    for (mpool_t *child : children) mpool_destroy(child);
    EXPECT_LE(mpool_allocator_idle_bytes(allocator), 1000u);
    EXPECT_GT(mpool_allocator_idle_bytes(allocator), 0u); // a smallest block fits in 1000 bytes
}

TEST_F(ShortPath, ItsCountsMatchTheParentsStats) {
    mpool_t *a = mpool_create(parent);
    mpool_t *b = mpool_create(parent);
    EXPECT_EQ(stats_of(parent).children, 2u);
    mpool_destroy(a);
    EXPECT_EQ(stats_of(parent).children, 1u);
    EXPECT_EQ(mpool_parent(b), parent);
    mpool_destroy(b);
    EXPECT_EQ(stats_of(parent).children, 0u);
}

// A child whose home block was cut to a limit, moved out from under it:
// its block is of no ordinary size, so no class list may take it.
TEST_F(ShortPath, AHomeBlockCutToALimitGoesToTheListOfOddSizes) {
    mpool_options_t limited{};
    limited.allocator = allocator;
    limited.limit = 4000;
    mpool_t *tight = mpool_create_ex(nullptr, &limited);
    mpool_options_t big{};
    big.block_size = 8192;
    mpool_t *child = mpool_create_ex(tight, &big);
    ASSERT_NE(child, nullptr);
    size_t home = stats_of(child).bytes_reserved;
    ASSERT_LT(home, size_t{8192} - MPOOL_BLOCK_SLACK); // cut
    ASSERT_EQ(mpool_reparent(child, parent), 0);
    size_t idle = mpool_allocator_idle_bytes(allocator);
    mpool_destroy(child);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle + home);
    // The smallest children still get blocks of their own size.
    mpool_t *next = mpool_create(parent);
    EXPECT_EQ(stats_of(next).bytes_reserved, size_t{MPOOL_MIN_BLOCK_SIZE});
    mpool_destroy(next);
    mpool_destroy(tight);
    EXPECT_GE(mpool_allocator_trim(allocator, 0), home);
}

TEST_F(ShortPath, ACppChildDestroyedThroughTheCApiLeavesItsHandleEmpty) {
    mpool::Pool middle = mpool::Pool::adopt(mpool_create(parent));
    mpool::Pool child = middle.child();
    mpool_destroy(child.get());
    EXPECT_FALSE(child);
}

} // namespace
