// Limits on the bytes a subtree may hold, and the out-of-memory handler.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "test_support.hpp"

namespace {

struct OomRecord {
    int calls = 0;
    mpool_t *pool = nullptr;
    size_t size = 0;
};
OomRecord g_oom;
void record_oom(mpool_t *pool, size_t size) {
    ++g_oom.calls;
    g_oom.pool = pool;
    g_oom.size = size;
}

class Limits : public ::testing::Test {
protected:
    void SetUp() override {
        g_oom = OomRecord{};
        errno = 0;
    }
    // A root with a limit and a first block of the default size (so that
    // the tests know what it takes of the limit).
    static mpool_t *limited_root(size_t limit) {
        mpool_options_t options{};
        options.limit = limit;
        options.block_size = MPOOL_DEFAULT_BLOCK_SIZE;
        options.oom = record_oom;
        return mpool_create_ex(nullptr, &options);
    }
};

TEST_F(Limits, AllocationPastTheLimitFailsWithEnomem) {
    mpool_t *pool = limited_root(16384);
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(mpool_alloc(pool, 20000), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    mpool_destroy(pool);
}

TEST_F(Limits, PoolStaysUsableAfterHittingItsLimit) {
    mpool_t *pool = limited_root(16384);
    mpool_alloc(pool, 20000);
    char *p = static_cast<char *>(mpool_alloc(pool, 64));
    ASSERT_NE(p, nullptr);
    std::memset(p, 0, 64);
    mpool_destroy(pool);
}

TEST_F(Limits, ReservedBytesNeverPassTheLimit) {
    mpool_t *pool = limited_root(100000);
    int failures = 0;
    for (int i = 0; i < 5000; ++i)
        if (!mpool_alloc(pool, 100)) ++failures;
    EXPECT_GT(failures, 0);
    EXPECT_LE(stats_of(pool).bytes_reserved, 100000u);
    mpool_destroy(pool);
}

TEST_F(Limits, LimitCoversDescendants) {
    mpool_t *root = limited_root(65536);
    mpool_t *child = mpool_create(root);
    mpool_t *grandchild = mpool_create(child);
    int failures = 0;
    for (int i = 0; i < 2000; ++i)
        if (!mpool_alloc(grandchild, 100)) ++failures;
    EXPECT_GT(failures, 0);
    EXPECT_LE(stats_of(root, true).bytes_reserved, 65536u);
    mpool_destroy(root);
}

TEST_F(Limits, ChildCreationCountsAgainstTheParentsLimit) {
    SKIP_WHEN_CHECKED();
    mpool_t *root = limited_root(MPOOL_DEFAULT_BLOCK_SIZE + 3 * MPOOL_MIN_BLOCK_SIZE);
    EXPECT_NE(mpool_create(root), nullptr);
    EXPECT_NE(mpool_create(root), nullptr);
    EXPECT_NE(mpool_create(root), nullptr);
    EXPECT_EQ(mpool_create(root), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    mpool_destroy(root);
}

TEST_F(Limits, DestroyedChildGivesItsBytesBack) {
    SKIP_WHEN_CHECKED();
    mpool_t *root = limited_root(MPOOL_DEFAULT_BLOCK_SIZE + MPOOL_MIN_BLOCK_SIZE);
    mpool_t *child = mpool_create(root);
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(mpool_create(root), nullptr);
    mpool_destroy(child);
    EXPECT_NE(mpool_create(root), nullptr);
    mpool_destroy(root);
}

TEST_F(Limits, ChildsOwnLimitIsKeptBelowTheParents) {
    mpool_t *root = limited_root(1 << 20);
    mpool_options_t options{};
    options.limit = 16384;
    mpool_t *child = mpool_create_ex(root, &options);
    EXPECT_EQ(mpool_alloc(child, 20000), nullptr);
    EXPECT_NE(mpool_alloc(root, 20000), nullptr);
    mpool_destroy(root);
}

TEST_F(Limits, LimitSmallerThanTheFirstBlockFailsCreation) {
    EXPECT_EQ(limited_root(100), nullptr);
    EXPECT_EQ(errno, ENOMEM);
}

TEST_F(Limits, OomHandlerGetsThePoolAndTheSize) {
    mpool_t *pool = limited_root(16384);
    mpool_alloc(pool, 20000);
    EXPECT_EQ(g_oom.calls, 1);
    EXPECT_EQ(g_oom.pool, pool);
    EXPECT_EQ(g_oom.size, 20000u);
    mpool_destroy(pool);
}

TEST_F(Limits, OomHandlerIsInheritedByChildren) {
    mpool_t *root = limited_root(1 << 20);
    mpool_t *child = mpool_create(root);
    mpool_alloc(child, SIZE_MAX);
    EXPECT_EQ(g_oom.calls, 1);
    EXPECT_EQ(g_oom.pool, child);
    mpool_destroy(root);
}

TEST_F(Limits, OomHandlerIsNotCalledForInvalidArguments) {
    mpool_t *pool = limited_root(1 << 20);
    mpool_alloc_aligned(pool, 8, 3);
    mpool_strdup(pool, nullptr);
    mpool_memdup(pool, nullptr, 1);
    EXPECT_EQ(g_oom.calls, 0);
    mpool_destroy(pool);
}

TEST_F(Limits, FailedChildCreationCallsTheHandlerWithTheParent) {
    SKIP_WHEN_CHECKED();
    mpool_t *root = limited_root(MPOOL_DEFAULT_BLOCK_SIZE);
    EXPECT_EQ(mpool_create(root), nullptr);
    EXPECT_EQ(g_oom.calls, 1);
    EXPECT_EQ(g_oom.pool, root);
    EXPECT_EQ(g_oom.size, MPOOL_MIN_BLOCK_SIZE);
    mpool_destroy(root);
}

TEST_F(Limits, FailedCleanupRegistrationIsEnomem) {
    mpool_t *pool = limited_root(MPOOL_DEFAULT_BLOCK_SIZE);
    while (mpool_alloc(pool, 16)) {
    }
    EXPECT_EQ(mpool_cleanup_register(pool, nullptr, [](void *) {}), ENOMEM);
    EXPECT_EQ(mpool_userdata_set(pool, "k", nullptr, nullptr), ENOMEM);
    mpool_destroy(pool);
}

} // namespace
