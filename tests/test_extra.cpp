// The pool's extra area (options.extra_size, mpool_extra()): a per-pool
// record for layers built on mpool, which lives until the pool is destroyed.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "test_support.hpp"

namespace {

mpool_t *pool_with_extra(mpool_t *parent, size_t extra_size, unsigned flags = 0) {
    mpool_options_t options{};
    options.extra_size = extra_size;
    options.flags = flags;
    return mpool_create_ex(parent, &options);
}

bool all_bytes_are(const void *area, size_t size, unsigned char value) {
    const auto *bytes = static_cast<const unsigned char *>(area);
    for (size_t i = 0; i < size; ++i)
        if (bytes[i] != value) return false;
    return true;
}

// Guards: a layer's record must start out as zeros, aligned for any type.
TEST(ExtraArea, IsZeroedAndAligned) {
    mpool_t *root = pool_with_extra(nullptr, 100);
    ASSERT_NE(root, nullptr);
    void *area = mpool_extra(root);
    ASSERT_NE(area, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(area) % MPOOL_ALIGNMENT, 0u);
    EXPECT_TRUE(all_bytes_are(area, 100, 0));
    mpool_destroy(root);
}

// Guards: a child whose home block is a recycled one (dirty) still gets zeros.
TEST(ExtraArea, IsZeroedInARecycledBlock) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *first = pool_with_extra(root, 64);
    std::memset(mpool_extra(first), 0x5a, 64);
    mpool_destroy(first);
    mpool_t *second = pool_with_extra(root, 64);
    EXPECT_TRUE(all_bytes_are(mpool_extra(second), 64, 0));
    mpool_destroy(root);
}

// Guards the point of the area: a clear (which takes back everything the
// pool handed out) must leave it, and later allocations must not overlap it.
TEST(ExtraArea, SurvivesClearAndIsNotHandedOutAgain) {
    mpool_t *pool = pool_with_extra(nullptr, 48);
    auto *area = static_cast<unsigned char *>(mpool_extra(pool));
    std::memset(area, 0x77, 48);
    for (int i = 0; i < 100; ++i) std::memset(mpool_alloc(pool, 1000), 0x11, 1000); // new blocks too
    mpool_clear(pool);
    EXPECT_EQ(mpool_extra(pool), area);
    EXPECT_TRUE(all_bytes_are(area, 48, 0x77));
    for (int i = 0; i < 100; ++i) {
        auto *p = static_cast<unsigned char *>(mpool_alloc(pool, 16));
        std::memset(p, 0x22, 16);
        EXPECT_TRUE(p + 16 <= area || p >= area + 48);
    }
    EXPECT_TRUE(all_bytes_are(area, 48, 0x77));
    mpool_destroy(pool);
}

// Guards: the area sits next to the other records (limit, handler, debug
// record, tag) without overlapping any of them.
TEST(ExtraArea, CoexistsWithLimitHandlerTagAndDebugMode) {
    mpool_options_t options{};
    options.extra_size = 32;
    options.limit = 1 << 20;
    options.oom = [](mpool_t *, size_t) {};
    options.tag = "with-extra";
    options.flags = MPOOL_DEBUG;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    ASSERT_NE(pool, nullptr);
    std::memset(mpool_extra(pool), 0x33, 32);
    std::memset(mpool_alloc(pool, 24), 0x44, 24);
    mpool_clear(pool); // debug mode fills what the clear takes back: not the area
    EXPECT_STREQ(mpool_tag(pool), "with-extra");
    EXPECT_TRUE(all_bytes_are(mpool_extra(pool), 32, 0x33));
    EXPECT_EQ(mpool_check(pool), 0);
    mpool_destroy(pool);
}

// Guards: the area lives in the home block, so it counts as reserved, not
// as handed out.
TEST(ExtraArea, IsNotCountedAsAllocated) {
    mpool_t *pool = pool_with_extra(nullptr, 512);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
    mpool_destroy(pool);
}

TEST(ExtraArea, IsNullWithoutOne) {
    mpool_t *pool = mpool_create(nullptr);
    EXPECT_EQ(mpool_extra(pool), nullptr);
    EXPECT_EQ(mpool_extra(nullptr), nullptr);
    mpool_destroy(pool);
}

TEST(ExtraArea, OverTheMaximumIsRejected) {
    errno = 0;
    EXPECT_EQ(pool_with_extra(nullptr, MPOOL_MAX_EXTRA_SIZE + 1), nullptr);
    EXPECT_EQ(errno, EINVAL);
    mpool_t *largest = pool_with_extra(nullptr, MPOOL_MAX_EXTRA_SIZE);
    ASSERT_NE(largest, nullptr);
    EXPECT_TRUE(all_bytes_are(mpool_extra(largest), MPOOL_MAX_EXTRA_SIZE, 0));
    mpool_destroy(largest);
}

// Guards: a concurrent pool's records (its tag and serial) and the area
// do not overlap.
TEST(ExtraArea, WorksInAConcurrentPool) {
    mpool_options_t options{};
    options.extra_size = 16;
    options.flags = MPOOL_CONCURRENT;
    options.tag = "concurrent";
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    ASSERT_NE(pool, nullptr);
    std::memset(mpool_extra(pool), 0x66, 16);
    EXPECT_STREQ(mpool_tag(pool), "concurrent");
    std::memset(mpool_alloc(pool, 64), 0x55, 64);
    mpool_clear(pool);
    EXPECT_TRUE(all_bytes_are(mpool_extra(pool), 16, 0x66));
    mpool_destroy(pool);
}

} // namespace
