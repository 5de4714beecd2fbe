// reparent_between_trees.cpp - regression tests of issue 16 (reliability, round 3).
#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <thread>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

// A child of `parent` given `allocator` in its options.
mpool_t *child_on(mpool_t *parent, mpool_allocator_t *allocator) {
    mpool_options_t options{};
    options.allocator = allocator;
    return mpool_create_ex(parent, &options);
}

mpool_t *child_with_flags(mpool_t *parent, unsigned flags) {
    mpool_options_t options{};
    options.flags = flags;
    return mpool_create_ex(parent, &options);
}

} // namespace

// Issue 16.12: mpool_reparent() between two roots made by mpool_create(NULL) returned EINVAL.
TEST(ReparentBetweenTrees, MoveBetweenTwoOrdinaryRootsSucceeds) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *b = mpool_create(nullptr);
    mpool_t *c = mpool_create(a);
    ASSERT_EQ(mpool_reparent(c, b), 0);
    EXPECT_EQ(mpool_parent(c), b);
    EXPECT_EQ(stats_of(a).children, 0u);
    EXPECT_EQ(stats_of(b).children, 1u);
    EXPECT_EQ(mpool_get_allocator(c), mpool_get_allocator(a)); // its blocks still come from a's allocator
    mpool_destroy(b);
    mpool_destroy(a);
}

// Issue 16.12: a pool moved out of the tree whose root made its allocator could not outlive that root.
TEST(ReparentBetweenTrees, MovedPoolKeepsWorkingAfterItsOldRootIsDestroyed) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *b = mpool_create(nullptr);
    mpool_t *c = mpool_create(a);
    char *kept = mpool_strdup(c, "kept");
    mpool_t *grandchild = mpool_create(c);
    char *deep = mpool_strdup(grandchild, "deep");
    ASSERT_EQ(mpool_reparent(c, b), 0);
    mpool_allocator_t *allocator = mpool_get_allocator(c);
    mpool_destroy(a);
    EXPECT_STREQ(kept, "kept");
    EXPECT_STREQ(deep, "deep");
    std::memset(mpool_alloc(c, 20000), 7, 20000); // a block of its own, from a's allocator
    mpool_t *late = mpool_create(c);
    ASSERT_NE(late, nullptr);
    EXPECT_EQ(mpool_get_allocator(late), allocator); // children take the pool's allocator
    EXPECT_NE(mpool_strdup(late, "late"), nullptr);
    size_t idle = mpool_allocator_idle_bytes(allocator);
    mpool_clear(c); // the grandchild, the late child and the large block go back to the allocator
    EXPECT_EQ(stats_of(c).children, 0u);
    EXPECT_GT(mpool_allocator_idle_bytes(allocator), idle);
    mpool_allocator_set_max_free(allocator, 0);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
    EXPECT_NE(mpool_strdup(c, "after the clear"), nullptr);
    mpool_destroy(b); // destroys c, the last pool on a's allocator, and the allocator (LeakSanitizer, memcheck)
}

// Issue 16.12: the moved pool destroyed before the old root must not take the allocator with it.
TEST(ReparentBetweenTrees, MovedPoolDestroyedBeforeItsOldRootLeavesTheAllocatorToTheRoot) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *b = mpool_create(nullptr);
    mpool_t *c = mpool_create(a);
    ASSERT_EQ(mpool_reparent(c, b), 0);
    mpool_destroy(c);
    mpool_t *next = mpool_create(a); // a's allocator is still a's
    EXPECT_NE(mpool_strdup(next, "next"), nullptr);
    mpool_destroy(a);
    mpool_destroy(b);
}

// Issue 16.12: blocks of a pool moved under a tree on a counted source go back to the pool's own allocator.
TEST(ReparentBetweenTrees, MovedPoolTakesAndGivesBlocksOfItsOwnAllocatorOnly) {
    TestSource source;
    mpool_allocator_t *given = source.make_allocator();
    mpool_t *b = root_on(given);
    mpool_t *a = mpool_create(nullptr);
    mpool_t *c = mpool_create(a);
    ASSERT_EQ(mpool_reparent(c, b), 0);
    size_t before = source.live_blocks;
    mpool_destroy(a);
    std::memset(mpool_alloc(c, 50000), 1, 50000);
    mpool_t *late = mpool_create(c);
    std::memset(mpool_alloc(late, 3000), 2, 3000);
    EXPECT_EQ(source.live_blocks, before); // none of c's blocks came from b's source
    mpool_destroy(b);
    mpool_allocator_destroy(given);
    EXPECT_EQ(source.live_blocks, 0u); // and none went to it
}

// Issue 16.12: the reverse move, from an ordinary tree into a tree on a given allocator, returned EINVAL.
TEST(ReparentBetweenTrees, PoolOfAnOrdinaryTreeMovesIntoATreeOnAGivenAllocator) {
    TestSource source;
    mpool_allocator_t *given = source.make_allocator();
    mpool_t *a = root_on(given);
    mpool_t *host = mpool_create(a);
    mpool_t *b = mpool_create(nullptr);
    mpool_t *d = mpool_create(b);
    char *text = mpool_strdup(d, "moved");
    ASSERT_EQ(mpool_reparent(d, host), 0);
    mpool_destroy(b);
    EXPECT_STREQ(text, "moved");
    std::memset(mpool_alloc(mpool_create(d), 5000), 3, 5000);
    mpool_destroy(a); // destroys d and, with it, b's allocator
    mpool_allocator_destroy(given);
    EXPECT_EQ(source.live_blocks, 0u);
}

// Issue 16.12: a chain of moves (to another tree, back into the first) refused its first step.
TEST(ReparentBetweenTrees, PoolMovedAwayAndBackOutlivesTheTreeItVisited) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *x = mpool_create(a);
    mpool_t *b = mpool_create(nullptr);
    mpool_t *c = mpool_create(a);
    char *text = mpool_strdup(c, "travels");
    ASSERT_EQ(mpool_reparent(c, b), 0);
    ASSERT_EQ(mpool_reparent(c, x), 0);
    mpool_destroy(b);
    EXPECT_STREQ(text, "travels");
    EXPECT_EQ(mpool_parent(c), x);
    ASSERT_EQ(mpool_reparent(c, b = mpool_create(nullptr)), 0); // and away again
    mpool_destroy(a);
    EXPECT_STREQ(text, "travels");
    mpool_destroy(b);
}

// Issue 16.12: a pool of an ordinary tree could not become a root (EINVAL) and outlive its old root.
TEST(ReparentBetweenTrees, PoolMadeARootOutlivesItsOldRoot) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *c = mpool_create(mpool_create(a));
    mpool_t *grandchild = mpool_create(c);
    char *text = mpool_strdup(grandchild, "orphan");
    ASSERT_EQ(mpool_reparent(c, nullptr), 0);
    EXPECT_EQ(mpool_parent(c), nullptr);
    mpool_destroy(a);
    EXPECT_STREQ(text, "orphan");
    EXPECT_NE(mpool_strdup(mpool_create(c), "new"), nullptr);
    mpool_destroy(c);
}

// Issue 16.12: a debug-mode pool could not leave its ordinary tree; moved, it must stay checkable past its old root.
TEST(ReparentBetweenTrees, DebugPoolMovedBetweenTreesOutlivesItsOldRoot) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *b = mpool_create(nullptr);
    mpool_t *c = child_with_flags(a, MPOOL_DEBUG);
    std::memset(mpool_alloc(c, 100), 4, 100);
    ASSERT_EQ(mpool_reparent(c, b), 0);
    mpool_destroy(a);
    std::memset(mpool_alloc(c, 200), 5, 200);
    EXPECT_EQ(mpool_check(c), 0);
    mpool_destroy(b);
}

// Issue 16.12: a thread whose lane caches blocks of a moved pool's allocator exits after the allocator's root is gone.
TEST(ReparentBetweenTrees, LaneOwnerExitsAfterTheOldRootIsDestroyed) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *b = mpool_create(nullptr);
    mpool_t *c = child_with_flags(a, MPOOL_CONCURRENT);
    mpool_destroy(mpool_create(c)); // c's children come from lanes, one per thread
    ASSERT_EQ(mpool_reparent(c, b), 0);
    mpool_allocator_t *allocator = mpool_get_allocator(c);
    std::promise<void> worked, root_gone;
    std::thread worker([&] {
        std::memset(mpool_alloc(c, 3000), 6, 3000); // c's lane for this thread
        for (int i = 0; i < 4; ++i) mpool_destroy(mpool_create(c)); // its cache keeps the child's blocks
        worked.set_value();
        root_gone.get_future().wait();
        std::memset(mpool_alloc(c, 100), 7, 100);
    }); // on exit the lane's cache goes back to a's allocator
    worked.get_future().wait();
    mpool_destroy(a);
    root_gone.set_value();
    worker.join();
    EXPECT_GT(mpool_allocator_idle_bytes(allocator), 0u); // the cache drained into it
    mpool_destroy(b);
}

// Issue 16.12: a pool given another root's allocator in its options did not keep it past that root.
TEST(ReparentBetweenTrees, PoolGivenAnotherRootsAllocatorKeepsIt) {
    mpool_t *a = mpool_create(nullptr);
    mpool_t *b = mpool_create(nullptr);
    mpool_allocator_t *allocator = mpool_get_allocator(a);
    mpool_t *x = child_on(b, allocator);
    mpool_destroy(a);
    std::memset(mpool_alloc(x, 40000), 8, 40000);
    EXPECT_EQ(mpool_get_allocator(mpool_create(x)), allocator);
    mpool_destroy(b);
}

// Issue 16.12: in C++, Pool::reparent between two roots that made their allocators threw std::invalid_argument.
TEST(ReparentBetweenTrees, CppHandleMovesBetweenOrdinaryRoots) {
    mpool::Pool second;
    mpool::Pool child;
    {
        mpool::Pool first;
        child = first.child();
        EXPECT_TRUE(child.reparent(second));
    }
    EXPECT_EQ(child.parent(), second.get());
    EXPECT_NE(child.allocate(64), nullptr);
    second.clear();
    EXPECT_FALSE(child);
}
