// Allocation calls: alignment, size 0, large requests, realloc, and sizes
// that must not wrap.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>

#include "test_support.hpp"

namespace {

size_t g_oom_calls = 0;
size_t g_oom_size = 0;
void count_oom(mpool_t *, size_t size) {
    ++g_oom_calls;
    g_oom_size = size;
}

class Alloc : public ::testing::Test {
protected:
    mpool_t *pool = nullptr;
    void SetUp() override {
        mpool_options_t options{};
        options.oom = count_oom;
        pool = mpool_create_ex(nullptr, &options);
        g_oom_calls = 0;
        g_oom_size = 0;
        errno = 0;
    }
    void TearDown() override { mpool_destroy(pool); }

    // The pool must still hand out good memory after a failed call.
    void expect_still_usable() {
        char *p = static_cast<char *>(mpool_alloc(pool, 32));
        ASSERT_NE(p, nullptr);
        std::memset(p, 1, 32);
    }
};

bool aligned(const void *p, size_t alignment) { return reinterpret_cast<uintptr_t>(p) % alignment == 0; }

TEST_F(Alloc, EveryAllocationIsAlignedToMaxAlign) {
    for (size_t size = 0; size < 100; ++size) EXPECT_TRUE(aligned(mpool_alloc(pool, size), MPOOL_ALIGNMENT)) << size;
}

TEST_F(Alloc, SizeZeroGivesDistinctPointers) {
    std::set<void *> seen;
    for (int i = 0; i < 100; ++i) {
        void *p = mpool_alloc(pool, 0);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(seen.insert(p).second);
    }
}

TEST_F(Alloc, SizeZeroGivesDistinctPointersFromEveryCall) {
    std::set<void *> seen{mpool_alloc(pool, 0), mpool_alloc_aligned(pool, 0, 64), mpool_calloc(pool, 0, 8),
                          mpool_calloc(pool, 8, 0), mpool_memdup(pool, "x", 0), mpool_realloc(pool, nullptr, 0, 0)};
    EXPECT_EQ(seen.size(), 6u);
    EXPECT_EQ(seen.count(nullptr), 0u);
}

TEST_F(Alloc, AlignedAllocationHonoursEveryPowerOfTwoUpTo4096) {
    for (size_t alignment = 1; alignment <= MPOOL_MAX_ALIGNMENT; alignment *= 2) {
        mpool_alloc(pool, 3); // knock the cursor off any larger alignment
        void *p = mpool_alloc_aligned(pool, 24, alignment);
        ASSERT_NE(p, nullptr) << alignment;
        EXPECT_TRUE(aligned(p, alignment)) << alignment;
        EXPECT_TRUE(aligned(p, MPOOL_ALIGNMENT)) << alignment;
    }
}

TEST_F(Alloc, LargeAlignedAllocationIsAligned) {
    void *p = mpool_alloc_aligned(pool, MPOOL_LARGE_THRESHOLD * 2, 4096);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned(p, 4096));
    std::memset(p, 0, MPOOL_LARGE_THRESHOLD * 2);
}

TEST_F(Alloc, AlignmentThatIsNotAPowerOfTwoIsInvalid) {
    EXPECT_EQ(mpool_alloc_aligned(pool, 8, 24), nullptr);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(mpool_alloc_aligned(pool, 8, 0), nullptr);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(g_oom_calls, 0u);
}

TEST_F(Alloc, AlignmentAbove4096IsInvalid) {
    EXPECT_EQ(mpool_alloc_aligned(pool, 8, 8192), nullptr);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(g_oom_calls, 0u);
}

TEST_F(Alloc, NullPoolIsInvalidForEveryCall) {
    errno = 0;
    EXPECT_EQ(mpool_alloc(nullptr, 8), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mpool_alloc_aligned(nullptr, 8, 16), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mpool_calloc(nullptr, 1, 8), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mpool_realloc(nullptr, nullptr, 0, 8), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mpool_memdup(nullptr, "abc", 3), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Alloc, SizeMaxFailsWithEnomemAndCallsTheHandler) {
    EXPECT_EQ(mpool_alloc(pool, SIZE_MAX), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_EQ(g_oom_calls, 1u);
    EXPECT_EQ(g_oom_size, SIZE_MAX);
    expect_still_usable();
}

TEST_F(Alloc, EverySizeNearSizeMaxFails) {
    for (size_t back = 0; back < 64; ++back) {
        errno = 0;
        EXPECT_EQ(mpool_alloc(pool, SIZE_MAX - back), nullptr) << back;
        EXPECT_EQ(errno, ENOMEM) << back;
    }
    expect_still_usable();
}

TEST_F(Alloc, CallocWhoseProductWrapsFails) {
    EXPECT_EQ(mpool_calloc(pool, SIZE_MAX / 16 + 2, 16), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_EQ(g_oom_calls, 1u);
    expect_still_usable();
}

TEST_F(Alloc, AlignedAllocationOfHugeSizesFails) {
    for (size_t size : {SIZE_MAX, SIZE_MAX - 4095, SIZE_MAX / 2}) {
        errno = 0;
        EXPECT_EQ(mpool_alloc_aligned(pool, size, 4096), nullptr);
        EXPECT_EQ(errno, ENOMEM);
    }
    EXPECT_EQ(g_oom_calls, 3u);
    expect_still_usable();
}

TEST_F(Alloc, ReallocToAHugeSizeFailsAndKeepsTheOldAllocation) {
    char *p = static_cast<char *>(mpool_alloc(pool, 16));
    std::memcpy(p, "0123456789abcde", 16);
    for (size_t size : {SIZE_MAX, SIZE_MAX - 8, SIZE_MAX / 2}) {
        errno = 0;
        EXPECT_EQ(mpool_realloc(pool, p, 16, size), nullptr);
        EXPECT_EQ(errno, ENOMEM);
    }
    EXPECT_STREQ(p, "0123456789abcde");
    expect_still_usable();
}

TEST_F(Alloc, CallocZeroesReusedMemory) {
    unsigned char *dirty = static_cast<unsigned char *>(mpool_alloc(pool, 256));
    std::memset(dirty, 0xff, 256);
    mpool_clear(pool);
    unsigned char *clean = static_cast<unsigned char *>(mpool_calloc(pool, 16, 16));
    ASSERT_EQ(clean, dirty);
    for (int i = 0; i < 256; ++i) EXPECT_EQ(clean[i], 0) << i;
}

TEST_F(Alloc, ReallocOfTheLastAllocationGrowsInPlace) {
    SKIP_WHEN_CHECKED();
    char *p = static_cast<char *>(mpool_alloc(pool, 10));
    std::memcpy(p, "abcdefghi", 10);
    char *q = static_cast<char *>(mpool_realloc(pool, p, 10, 200));
    EXPECT_EQ(q, p);
    EXPECT_STREQ(q, "abcdefghi");
    EXPECT_EQ(stats_of(pool).bytes_allocated, 200u);
}

TEST_F(Alloc, ReallocOfAnOlderAllocationCopies) {
    char *p = static_cast<char *>(mpool_alloc(pool, 10));
    std::memcpy(p, "abcdefghi", 10);
    mpool_alloc(pool, 10);
    char *q = static_cast<char *>(mpool_realloc(pool, p, 10, 200));
    ASSERT_NE(q, nullptr);
    EXPECT_NE(q, p);
    EXPECT_STREQ(q, "abcdefghi");
}

// Guards shrinking the last allocation: it stays in place and the space
// past its new size comes back (counted and reused).
TEST_F(Alloc, ReallocShrinksInPlace) {
    SKIP_WHEN_CHECKED();
    char *p = static_cast<char *>(mpool_alloc(pool, 200));
    EXPECT_EQ(mpool_realloc(pool, p, 200, 10), p);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 10u);
    char *next = static_cast<char *>(mpool_alloc(pool, 1));
    EXPECT_GE(next, p + 10);  // does not overlap what was kept
    EXPECT_LT(next, p + 200); // takes the space given back
}

TEST_F(Alloc, ReallocOfNullAllocates) {
    void *p = mpool_realloc(pool, nullptr, 0, 40);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned(p, MPOOL_ALIGNMENT));
}

TEST_F(Alloc, ReallocOfALargeAllocationThatMovesGivesItsBlockBack) {
    SKIP_WHEN_CHECKED();
    char *p = static_cast<char *>(mpool_alloc(pool, MPOOL_LARGE_THRESHOLD * 2));
    std::memset(p, 7, MPOOL_LARGE_THRESHOLD * 2);
    size_t blocks = stats_of(pool).blocks;
    char *q = static_cast<char *>(mpool_realloc(pool, p, MPOOL_LARGE_THRESHOLD * 2, MPOOL_LARGE_THRESHOLD * 4));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q[MPOOL_LARGE_THRESHOLD * 2 - 1], 7);
    EXPECT_EQ(stats_of(pool).blocks, blocks);
    EXPECT_EQ(stats_of(pool).bytes_allocated, MPOOL_LARGE_THRESHOLD * 4);
}

// Guards a large request that moved the cursor: the next small allocation
// goes where it would have gone without it.
TEST_F(Alloc, LargeRequestGetsABlockOfItsOwn) {
    mpool_alloc(pool, 16);
    char *expected = static_cast<char *>(mpool_alloc(pool, 16));
    mpool_clear(pool); // the same cursor again
    mpool_alloc(pool, 16);
    size_t blocks = stats_of(pool).blocks;
    ASSERT_NE(mpool_alloc(pool, MPOOL_LARGE_THRESHOLD + 1), nullptr);
    EXPECT_EQ(stats_of(pool).blocks, blocks + 1);
    EXPECT_EQ(static_cast<char *>(mpool_alloc(pool, 16)), expected);
}

TEST_F(Alloc, LargeRequestDoesNotInflateLaterBlocks) {
    mpool_t *other = mpool_create(nullptr);
    ASSERT_NE(mpool_alloc(pool, 1 << 20), nullptr);
    size_t large_block = stats_of(pool).bytes_reserved - MPOOL_DEFAULT_BLOCK_SIZE;
    for (int i = 0; i < 200; ++i) {
        mpool_alloc(pool, 100);
        mpool_alloc(other, 100);
    }
    EXPECT_EQ(stats_of(pool).bytes_reserved - large_block, stats_of(other).bytes_reserved);
    mpool_destroy(other);
}

TEST_F(Alloc, BlocksGrowGeometricallyUpToTheCap) {
    SKIP_WHEN_CHECKED();
    for (int i = 0; i < 40000; ++i) mpool_alloc(pool, 128);
    mpool_stats_t s = stats_of(pool);
    // 4K + 8K + ... + 256K holds 508K; the rest comes in 256K blocks.
    size_t expected_blocks = 7 + (40000 * 128 - (508u << 10) + (256u << 10) - 1) / (256u << 10);
    EXPECT_LE(s.blocks, expected_blocks + 1);
    EXPECT_GE(s.blocks, expected_blocks);
}

TEST_F(Alloc, MemdupCopies) {
    const char text[] = "memdup";
    char *copy = static_cast<char *>(mpool_memdup(pool, text, sizeof text));
    EXPECT_STREQ(copy, "memdup");
    EXPECT_NE(copy, text);
}

TEST_F(Alloc, MemdupOfNullIsInvalid) {
    EXPECT_EQ(mpool_memdup(pool, nullptr, 4), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

// Guards the exported mpool_alloc against drifting from the inline one: the
// same place for the same request, counted the same, and allocations from
// both do not overlap.
TEST_F(Alloc, ExportedAllocIsTheSameAsInlined) {
    void *(*exported)(mpool_t *, size_t) = &mpool_alloc;
    char *inlined = static_cast<char *>(mpool_alloc(pool, 20));
    mpool_clear(pool); // the same cursor again
    char *a = static_cast<char *>(exported(pool, 20));
    EXPECT_EQ(a, inlined);
    char *b = static_cast<char *>(mpool_alloc(pool, 20));
    EXPECT_TRUE(aligned(a, MPOOL_ALIGNMENT));
    EXPECT_TRUE(aligned(b, MPOOL_ALIGNMENT));
    EXPECT_TRUE(b >= a + 20 || a >= b + 20);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 40u);
}

} // namespace
