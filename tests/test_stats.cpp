// Statistics of a pool and of its subtree.
#include <gtest/gtest.h>

#include <cstring>

#include "test_support.hpp"

namespace {

void nothing(void *) {}

TEST(Stats, NewPoolHoldsOneBlockAndNothingElse) {
    mpool_t *pool = mpool_create(nullptr);
    mpool_stats_t s = stats_of(pool);
    EXPECT_EQ(s.blocks, 1u);
    EXPECT_EQ(s.bytes_reserved, MPOOL_DEFAULT_BLOCK_SIZE);
    EXPECT_EQ(s.bytes_allocated, 0u);
    EXPECT_EQ(s.children, 0u);
    EXPECT_EQ(s.cleanups, 0u);
    mpool_destroy(pool);
}

TEST(Stats, BytesAllocatedCountsSizesAsRequested) {
    mpool_t *pool = mpool_create(nullptr);
    mpool_alloc(pool, 1);
    mpool_alloc(pool, 30);
    mpool_alloc_aligned(pool, 7, 256);
    mpool_alloc(pool, MPOOL_LARGE_THRESHOLD + 5);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 1u + 30u + 7u + MPOOL_LARGE_THRESHOLD + 5u);
    mpool_destroy(pool);
}

// Guards the meaning of blocks and bytes_reserved: what the pool holds from
// the block source, counted block by block.
TEST(Stats, BytesReservedCountsEveryBlock) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    size_t record_blocks = source.live_blocks; // the allocator's own record
    size_t record_bytes = source.live_bytes;
    mpool_t *pool = root_on(allocator);
    for (int i = 0; i < 100; ++i) mpool_alloc(pool, 100);
    mpool_alloc(pool, MPOOL_LARGE_THRESHOLD + 1);
    ASSERT_EQ(mpool_allocator_idle_bytes(allocator), 0u); // every block the source gave is the pool's
    mpool_stats_t s = stats_of(pool);
    EXPECT_GT(s.blocks, 2u);
    EXPECT_EQ(s.blocks, source.live_blocks - record_blocks);
    EXPECT_EQ(s.bytes_reserved, source.live_bytes - record_bytes);
    mpool_destroy(pool);
    mpool_allocator_destroy(allocator);
}

TEST(Stats, CleanupsCountIncludesPreCleanups) {
    mpool_t *pool = mpool_create(nullptr);
    mpool_cleanup_register(pool, nullptr, nothing);
    mpool_pre_cleanup_register(pool, nullptr, nothing);
    EXPECT_EQ(stats_of(pool).cleanups, 2u);
    mpool_destroy(pool);
}

TEST(Stats, ChildrenCountsDirectChildrenOnly) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *a = mpool_create(root);
    mpool_create(root);
    mpool_create(a);
    EXPECT_EQ(stats_of(root).children, 2u);
    mpool_destroy(root);
}

TEST(Stats, WithDescendantsSumsEveryField) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *a = mpool_create(root);
    mpool_t *b = mpool_create(root);
    mpool_t *grandchild = mpool_create(a);
    mpool_alloc(root, 10);
    mpool_alloc(a, 20);
    mpool_alloc(b, 30);
    mpool_alloc(grandchild, 40);
    mpool_cleanup_register(grandchild, nullptr, nothing);
    mpool_pre_cleanup_register(b, nullptr, nothing);
    mpool_stats_t s = stats_of(root, true);
    mpool_stats_t own_sum{};
    for (mpool_t *p : {root, a, b, grandchild}) {
        mpool_stats_t own = stats_of(p);
        own_sum.bytes_allocated += own.bytes_allocated;
        own_sum.bytes_reserved += own.bytes_reserved;
        own_sum.blocks += own.blocks;
    }
    EXPECT_EQ(s.bytes_allocated, own_sum.bytes_allocated);
    EXPECT_GE(s.bytes_allocated, 100u);
    EXPECT_EQ(s.blocks, own_sum.blocks);
    EXPECT_GE(s.blocks, 4u);
    EXPECT_EQ(s.bytes_reserved, own_sum.bytes_reserved);
    EXPECT_EQ(s.children, 3u);
    EXPECT_EQ(s.cleanups, 2u);
    mpool_destroy(root);
}

TEST(Stats, WithDescendantsOfALeafEqualsItsOwn) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *leaf = mpool_create(root);
    mpool_create(root); // a sibling must not be counted
    mpool_alloc(leaf, 50);
    mpool_stats_t own = stats_of(leaf);
    mpool_stats_t sum = stats_of(leaf, true);
    EXPECT_EQ(std::memcmp(&own, &sum, sizeof own), 0);
    mpool_destroy(root);
}

// Guards the documented result for a NULL pool: *out zeroed, every field.
TEST(Stats, NullPoolGivesZeroes) {
    const mpool_stats_t zero{};
    for (int with_descendants : {0, 1}) {
        mpool_stats_t s;
        std::memset(&s, 0xff, sizeof s);
        mpool_get_stats(nullptr, with_descendants, &s);
        EXPECT_EQ(std::memcmp(&s, &zero, sizeof s), 0) << with_descendants;
    }
}

} // namespace
