// Debug mode (the MPOOL_DEBUG flag, or MPOOL_DEBUG=1 in the environment) and
// mpool_check(). The bug catalogue (bugs/) runs whole programs; these test
// the calls one by one.
#include <gtest/gtest.h>

#include <cerrno>
#include <csetjmp>
#include <latch>
#include <cstring>
#include <thread>
#include <vector>

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

// Guards the tag across a clear in a checked pool whose first block the
// tag filled exactly (it looked for a spare block that was not there).
TEST(Debug, ClearKeepsATagThatFilledTheFirstBlock) {
    for (size_t limit = 200; limit <= 600; limit += 8) {
        mpool_t *root = mpool_create(nullptr);
        mpool_options_t options{};
        options.flags = MPOOL_DEBUG;
        options.block_size = 4000;
        options.limit = limit; // the first block is cut to the limit
        mpool_t *child = mpool_create_ex(root, &options);
        if (child) {
            mpool_set_tag(child, "fifteen-chars!!");
            const char *before = mpool_tag(child);
            mpool_clear(child);
            if (before) {
                EXPECT_STREQ(mpool_tag(child), "fifteen-chars!!") << "limit " << limit;
            }
        }
        mpool_destroy(root);
    }
}

// Guards realloc in a debug pool: the old place leaves the table (and a
// realloc of it afterwards is caught), and memcheck sees no write to freed
// memory (the valgrind preset runs this).
TEST(DebugDeathTest, ReallocOfAPointerMovedAwayStops) {
    EXPECT_DEATH(
        {
            mpool_t *pool = debug_root();
            char *p = static_cast<char *>(mpool_alloc(pool, 24));
            mpool_alloc(pool, 8); // p is no longer the last allocation: it moves
            mpool_realloc(pool, p, 24, 100);
            mpool_realloc(pool, p, 24, 200);
        },
        "mpool: mpool_realloc of a pointer that pool \"t\" did not hand out");
}

TEST(Debug, ReallocThatMovesKeepsTheContents) {
    mpool_t *pool = debug_root();
    char *p = static_cast<char *>(mpool_alloc(pool, 10));
    std::memcpy(p, "abcdefghi", 10);
    mpool_alloc(pool, 8);
    char *q = static_cast<char *>(mpool_realloc(pool, p, 10, 20));
    EXPECT_STREQ(q, "abcdefghi");
    EXPECT_EQ(mpool_check(pool), 0);
    mpool_destroy(pool);
}

// Guards the allocation table of a concurrent debug pool: threads allocate
// and realloc at once (run under TSan too).
TEST(Debug, ConcurrentDebugPoolReallocsFromManyThreads) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT | MPOOL_DEBUG;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    std::vector<std::thread> threads;
    std::latch start(3); // all at once: the table is appended to while it is searched
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([pool, &start] {
            start.arrive_and_wait();
            for (int i = 0; i < 2000; ++i) {
                char *p = static_cast<char *>(mpool_alloc(pool, 24));
                std::memset(p, 'a', 24);
                p = static_cast<char *>(mpool_realloc(pool, p, 24, 48));
                std::memset(p, 'b', 48);
            }
        });
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(mpool_check(pool), 0);
    mpool_destroy(pool);
}

std::jmp_buf g_out_of_memory;
[[noreturn]] void jump_out(mpool_t *, size_t) { std::longjmp(g_out_of_memory, 1); }

// True when an allocation too big for the pool's limit left through the
// handler's longjmp.
bool handler_jumped(mpool_t *pool) {
    if (setjmp(g_out_of_memory) != 0) return true;
    mpool_alloc(pool, 1 << 20);
    return false;
}

// Guards the misuse checks against an out-of-memory handler that longjmps
// (allowed): the pool is not left marked as in use by the thread.
TEST(Debug, HandlerThatLongjmpsLeavesThePoolUsableByAnotherThread) {
    for (unsigned flags : {unsigned{MPOOL_DEBUG}, unsigned{MPOOL_DEBUG | MPOOL_CONCURRENT}}) {
        mpool_options_t options{};
        options.flags = flags;
        options.limit = 64 << 10;
        options.oom = jump_out;
        mpool_t *pool = mpool_create_ex(nullptr, &options);
        EXPECT_TRUE(handler_jumped(pool));
        std::thread([pool] { EXPECT_NE(mpool_alloc(pool, 10), nullptr); }).join();
        mpool_clear(pool);
        mpool_destroy(pool);
    }
}

TEST(DebugDeathTest, UserdataGetOnADestroyedPoolStops) {
    EXPECT_DEATH(
        {
            mpool_t *root = debug_root();
            mpool_t *child = mpool_create(root);
            mpool_set_tag(child, "c");
            mpool_destroy(child);
            mpool_userdata_get(child, "key");
        },
        "mpool: mpool_userdata_get on pool \"c\", which was destroyed|AddressSanitizer|Invalid read");
}

} // namespace
