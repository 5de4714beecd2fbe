// Debug mode (the MPOOL_DEBUG flag, or MPOOL_DEBUG=1 in the environment) and
// mpool_check(). The bug catalogue (bugs/) runs whole programs; these test
// the calls one by one.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "test_support.hpp"

namespace {

mpool_t *debug_root(const char *tag = "t") {
    mpool_options_t options{};
    options.flags = MPOOL_DEBUG;
    options.tag = tag;
    return mpool_create_ex(nullptr, &options);
}

// These tests write past allocations on purpose: under ASan or Valgrind that
// is (rightly) reported before the debug mode sees it.
#define SKIP_UNDER_A_SANITIZER()                                                                                       \
    do {                                                                                                               \
        if (mpool_check_modes() & (MPOOL_CHECK_ASAN | MPOOL_CHECK_VALGRIND))                                           \
            GTEST_SKIP() << "writes past an allocation on purpose";                                                    \
    } while (0)

char *overrun(char *p, size_t at) {
    char *volatile target = p; // keeps the compiler from proving the write out of bounds
    target[at] = 'x';
    return p;
}

TEST(Debug, CheckOfNullIsEinval) { EXPECT_EQ(mpool_check(nullptr), EINVAL); }

// Guards the debug flag's validation: it is a known flag.
TEST(Debug, DebugFlagIsAccepted) {
    mpool_t *pool = debug_root();
    ASSERT_NE(pool, nullptr);
    mpool_destroy(pool);
}

TEST(Debug, CheckOfAnIntactTreeIsZero) {
    mpool_t *root = debug_root();
    mpool_t *child = mpool_create(root);
    for (size_t size = 1; size < 300; size += 7) std::memset(mpool_alloc(child, size), 'a', size);
    std::memset(mpool_alloc(root, 100000), 'b', 100000);
    EXPECT_EQ(mpool_check(root), 0);
    mpool_destroy(root);
}

TEST(Debug, CheckFindsAWritePastTheEnd) {
    SKIP_UNDER_A_SANITIZER();
    mpool_t *pool = debug_root();
    overrun(static_cast<char *>(mpool_alloc(pool, 24)), 24);
    testing::internal::CaptureStderr();
    EXPECT_EQ(mpool_check(pool), EFAULT);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("write past the end of a 24-byte allocation in pool \"t\" (offset 24)"),
              std::string::npos);
    std::memset(mpool_alloc(pool, 8), 0, 8); // the pool stays usable
}

// Guards inheritance: a child of a debug pool is checked too.
TEST(Debug, ChildrenOfADebugPoolAreChecked) {
    SKIP_UNDER_A_SANITIZER();
    mpool_t *root = debug_root();
    mpool_t *child = mpool_create(root);
    mpool_set_tag(child, "child");
    overrun(static_cast<char *>(mpool_alloc(child, 40)), 41);
    testing::internal::CaptureStderr();
    EXPECT_EQ(mpool_check(root), EFAULT);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("40-byte allocation in pool \"child\" (offset 41)"),
              std::string::npos);
}

TEST(DebugDeathTest, DestroyStopsOnAWritePastTheEnd) {
    SKIP_UNDER_A_SANITIZER();
    EXPECT_DEATH(
        {
            mpool_t *pool = debug_root("request");
            overrun(static_cast<char *>(mpool_alloc(pool, 24)), 24);
            mpool_destroy(pool);
        },
        "mpool: write past the end of a 24-byte allocation in pool \"request\" \\(offset 24\\)");
}

TEST(DebugDeathTest, ClearStopsOnAWritePastTheEnd) {
    SKIP_UNDER_A_SANITIZER();
    EXPECT_DEATH(
        {
            mpool_t *pool = debug_root("request");
            overrun(static_cast<char *>(mpool_alloc(pool, 7)), 9);
            mpool_clear(pool);
        },
        "mpool: write past the end of a 7-byte allocation in pool \"request\" \\(offset 9\\)");
}

TEST(DebugDeathTest, DoubleDestroyStops) {
    EXPECT_DEATH(
        {
            mpool_t *root = debug_root();
            mpool_t *child = mpool_create(root);
            mpool_set_tag(child, "c");
            mpool_destroy(child);
            mpool_destroy(child);
        },
        "mpool: mpool_destroy on pool \"c\", which was destroyed|AddressSanitizer|Invalid read");
}

TEST(DebugDeathTest, ReallocOfAForeignPointerStops) {
    EXPECT_DEATH(
        {
            mpool_t *pool = debug_root();
            char foreign[32] = {};
            mpool_realloc(pool, foreign, sizeof foreign, 64);
        },
        "mpool: mpool_realloc of a pointer that pool \"t\" did not hand out");
}

// Guards the fill: memory a clear took back reads as 0xDB in debug mode
// (read here through a new allocation, which reuses it without writing).
TEST(Debug, ClearedMemoryIsFilled) {
    if (mpool_check_modes() & (MPOOL_CHECK_ASAN | MPOOL_CHECK_VALGRIND)) GTEST_SKIP() << "reads unwritten memory";
    mpool_t *pool = debug_root();
    auto *first = static_cast<unsigned char *>(mpool_alloc(pool, 64));
    std::memset(first, 0x11, 64);
    mpool_clear(pool);
    auto *again = static_cast<unsigned char *>(mpool_alloc(pool, 64));
    ASSERT_EQ(again, first + (again - first)); // any place in the reused block
    size_t filled = 0;
    for (size_t i = 0; i < 64; ++i) filled += again[i] == 0xDB;
    EXPECT_EQ(filled, 64u);
    mpool_destroy(pool);
}

// Guards the quarantine against false alarms: a pool (debug or not) made at
// the address of a destroyed debug pool is a live pool.
TEST(Debug, APoolMadeWhereADestroyedDebugPoolWasIsUsable) {
    mpool_t *root = mpool_create(nullptr);
    mpool_options_t options{};
    options.block_size = 4000;
    options.flags = MPOOL_DEBUG;
    mpool_t *destroyed = mpool_create_ex(root, &options);
    mpool_destroy(destroyed);
    options.flags = 0;
    mpool_t *fresh = mpool_create_ex(root, &options);
    ASSERT_EQ(fresh, destroyed) << "the allocator hands back the block just given back";
    mpool_clear(fresh); // looks in the quarantine
    EXPECT_EQ(mpool_check(fresh), 0);
    mpool_destroy(fresh);
    mpool_destroy(root);
}

} // namespace
