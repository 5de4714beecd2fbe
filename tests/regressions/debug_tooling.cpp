// debug_tooling.cpp - regression tests of issue 16 (reliability, round 3).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include <vector>

#include "../../src/checks.hpp" // may_be_quarantined(): nothing public tells a short path from the general one
#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

// A use of a destroyed debug pool is reported in debug mode; under ASan or
// memcheck the checker may see the read of its poisoned memory first.
constexpr const char *kDestroyedGone =
    "mpool: mpool_alloc on pool \"gone\", which was destroyed|AddressSanitizer|Invalid read";

uint64_t frozen_clock(void *) { return 1000000; } // nothing ever gets old enough to be swept

mpool_t *debug_pool(mpool_t *parent, mpool_allocator_t *allocator, const char *tag) {
    mpool_options_t options{};
    options.flags = MPOOL_DEBUG;
    options.tag = tag;
    options.allocator = allocator;
    return mpool_create_ex(parent, &options);
}

// A debug root on an allocator with decay on, destroyed: its home block is
// idle in the allocator's lists and carries its idle time.
mpool_t *destroyed_debug_pool_with_decay() {
    mpool_allocator_t *allocator = mpool_allocator_create(nullptr);
    mpool_allocator_set_clock(allocator, frozen_clock, nullptr);
    mpool_allocator_set_decay(allocator, 60000);
    mpool_t *pool = debug_pool(nullptr, allocator, "gone");
    mpool_destroy(pool);
    return pool;
}

// Issue 16.1: with decay on, the idle time written over a destroyed debug pool's cursor let mpool_alloc hand out a pointer and the copying calls crash.
TEST(DebugToolingDeathTest, UseOfADestroyedDebugPoolIsReportedWithDecayOn) {
    EXPECT_DEATH(mpool_alloc(destroyed_debug_pool_with_decay(), 10), kDestroyedGone);
    EXPECT_DEATH(mpool_strdup(destroyed_debug_pool_with_decay(), "text"), kDestroyedGone);
    EXPECT_DEATH(mpool_memdup(destroyed_debug_pool_with_decay(), "text", 5), kDestroyedGone);
    EXPECT_DEATH(mpool_calloc(destroyed_debug_pool_with_decay(), 4, 8), kDestroyedGone);
    EXPECT_DEATH(mpool_strndup(destroyed_debug_pool_with_decay(), "text", 2), kDestroyedGone);
    EXPECT_DEATH(mpool_strcat(destroyed_debug_pool_with_decay(), "a", "b", nullptr), kDestroyedGone);
}

// Issue 16.4: mpool_is_ancestor on a destroyed debug pool followed its 0xDB-filled parent link and crashed with no message.
TEST(DebugToolingDeathTest, IsAncestorOnADestroyedDebugPoolIsReported) {
    EXPECT_DEATH(
        {
            mpool_t *root = mpool_create(nullptr);
            mpool_t *child = debug_pool(root, nullptr, "gone");
            mpool_destroy(child);
            mpool_is_ancestor(root, child);
        },
        "mpool: mpool_is_ancestor on pool \"gone\", which was destroyed|AddressSanitizer|Invalid read");
    EXPECT_DEATH(
        {
            mpool_t *root = mpool_create(nullptr);
            mpool_t *child = debug_pool(root, nullptr, "gone");
            mpool_destroy(child);
            mpool_is_ancestor(child, root);
        },
        "mpool: mpool_is_ancestor on pool \"gone\", which was destroyed|AddressSanitizer|Invalid read");
}

// What mpool_check returned in a cleanup (-1: the cleanup did not run).
int g_check_in_cleanup = -1;
void check_the_pool(void *pool) { g_check_in_cleanup = mpool_check(static_cast<mpool_t *>(pool)); }

// A root, a child and a grandchild, each holding an allocation; in debug
// mode when `flags` says so.
struct Tree {
    mpool_t *root, *child, *grandchild;
};
Tree tree_with_allocations(unsigned flags) {
    mpool_options_t options{};
    options.flags = flags;
    Tree t;
    t.root = mpool_create_ex(nullptr, &options);
    t.child = mpool_create(t.root);
    t.grandchild = mpool_create(t.child);
    for (mpool_t *pool : {t.root, t.child, t.grandchild}) std::memset(mpool_alloc(pool, 24), 1, 24);
    return t;
}

// Issue 16.9: mpool_check from a cleanup during its pool's destroy returned EFAULT ("is being cleared or destroyed") on an intact pool.
TEST(DebugTooling, CheckFromACleanupDuringItsPoolsDestroyFindsAnIntactPool) {
    for (unsigned flags : {0u, unsigned{MPOOL_DEBUG}}) {
        Tree t = tree_with_allocations(flags);
        g_check_in_cleanup = -1;
        ASSERT_EQ(mpool_cleanup_register(t.child, t.child, check_the_pool), 0);
        mpool_destroy(t.child);
        EXPECT_EQ(g_check_in_cleanup, 0) << "flags " << flags;
        mpool_t *child = mpool_create(t.root);
        std::memset(mpool_alloc(child, 100), 2, 100);
        g_check_in_cleanup = -1;
        ASSERT_EQ(mpool_pre_cleanup_register(t.root, t.root, check_the_pool), 0); // runs before the children go
        mpool_destroy(t.root);
        EXPECT_EQ(g_check_in_cleanup, 0) << "flags " << flags;
    }
}

// Issue 16.9: the same from a cleanup of a child during its parent's clear, checking the child, then the parent.
TEST(DebugTooling, CheckFromACleanupDuringTheParentsClearFindsIntactPools) {
    for (unsigned flags : {0u, unsigned{MPOOL_DEBUG}}) {
        Tree t = tree_with_allocations(flags);
        g_check_in_cleanup = -1;
        ASSERT_EQ(mpool_cleanup_register(t.grandchild, t.grandchild, check_the_pool), 0);
        mpool_clear(t.child);
        EXPECT_EQ(g_check_in_cleanup, 0) << "flags " << flags << ", the child's child";
        mpool_t *child = mpool_create(t.child);
        g_check_in_cleanup = -1;
        ASSERT_EQ(mpool_cleanup_register(child, t.root, check_the_pool), 0);
        mpool_clear(t.root);
        EXPECT_EQ(g_check_in_cleanup, 0) << "flags " << flags << ", the root (its child and grandchild left)";
        EXPECT_EQ(mpool_check(t.root), 0);
        mpool_destroy(t.root);
    }
}

// Issue 16.9: a check during a teardown still finds real damage (here a write past an allocation of a debug pool).
TEST(DebugToolingDeathTest, CheckFromACleanupDuringADestroyStillFindsAWritePastTheEnd) {
    if (mpool_check_modes() & (MPOOL_CHECK_ASAN | MPOOL_CHECK_VALGRIND))
        GTEST_SKIP() << "writes past an allocation on purpose";
    EXPECT_EXIT(
        {
            mpool_t *child = mpool_create(tree_with_allocations(MPOOL_DEBUG).root);
            mpool_set_tag(child, "d");
            char *volatile p = static_cast<char *>(mpool_alloc(child, 24));
            p[24] = 'x';
            ASSERT_EQ(mpool_cleanup_register(child, child,
                                             [](void *pool) { _exit(mpool_check(static_cast<mpool_t *>(pool))); }),
                      0);
            mpool_destroy(child);
        },
        ::testing::ExitedWithCode(EFAULT), "mpool: write past the end of a 24-byte allocation in pool \"d\" \\(offset 24\\)");
}

// Issue 16.5: once any debug pool was destroyed, every pool of the process could be a destroyed one: the short paths were off, each slow path scanned the quarantine and each create took its lock.
TEST(DebugTooling, ADestroyedDebugSubtreeLeavesThePoolsOfAnotherTreeOutOfTheQuarantine) {
    using mpool::detail::may_be_quarantined;
    using mpool::detail::quarantine_filter_slot;
    mpool_t *root = mpool_create(nullptr);
    // Children at addresses that nothing in the quarantine shares now (the
    // tests before this one may have put debug pools there).
    std::vector<mpool_t *> watched;
    for (int i = 0; i < 64 && watched.size() < 8; ++i) {
        mpool_t *child = mpool_create(root);
        if (!may_be_quarantined(child)) watched.push_back(child);
    }
    ASSERT_EQ(watched.size(), 8u) << "a pool of a tree with no debug pool is taken for a destroyed debug pool";
    mpool_t *other = mpool_create(nullptr);
    mpool_t *debug = debug_pool(other, nullptr, "debug");
    mpool_t *debug_child = mpool_create(debug);
    mpool_destroy(debug);
    EXPECT_TRUE(may_be_quarantined(debug));
    EXPECT_TRUE(may_be_quarantined(debug_child));
    for (mpool_t *child : watched) {
        size_t slot = quarantine_filter_slot(child);
        if (slot == quarantine_filter_slot(debug) || slot == quarantine_filter_slot(debug_child))
            continue; // shares a filter counter with the new entries: a scan, which finds nothing, is its due
        EXPECT_FALSE(may_be_quarantined(child));
        mpool_destroy(child);
        mpool_t *again = mpool_create(root);
        EXPECT_EQ(again, child) << "the block just given back is taken again";
        EXPECT_FALSE(may_be_quarantined(again));
        EXPECT_EQ(mpool_check(again), 0);
    }
    mpool_destroy(other);
    mpool_destroy(root);
}

} // namespace
