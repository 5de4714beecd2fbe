// Moving a pool and its subtree under another parent (mpool_reparent).
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

std::vector<std::string> *g_log = nullptr;
void log_event(void *data) { g_log->push_back(static_cast<const char *>(data)); }

int g_oom_calls = 0;
mpool_t *g_oom_pool = nullptr;
void record_oom(mpool_t *pool, size_t) {
    ++g_oom_calls;
    g_oom_pool = pool;
}

class Reparent : public ::testing::Test {
protected:
    std::vector<std::string> log;
    void SetUp() override {
        g_log = &log;
        g_oom_calls = 0;
        g_oom_pool = nullptr;
    }
    void TearDown() override { g_log = nullptr; }

    static mpool_t *child_with(mpool_t *parent, size_t limit, const char *tag = nullptr, unsigned flags = 0) {
        mpool_options_t options{};
        options.limit = limit;
        options.tag = tag;
        options.flags = flags;
        options.oom = limit ? record_oom : nullptr;
        return mpool_create_ex(parent, &options);
    }
};

// Guards the point of a move: the pool lives and dies with its new parent.
TEST_F(Reparent, ContentsAndCleanupsGoWithThePoolAndRunWithTheNewParent) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *old_parent = mpool_create(root);
    mpool_t *new_parent = mpool_create(root);
    mpool_t *pool = mpool_create(old_parent);
    char *text = mpool_strdup(pool, "kept");
    mpool_t *grandchild = mpool_create(pool);
    char *deep = mpool_strdup(grandchild, "deep");
    mpool_cleanup_register(pool, const_cast<char *>("pool"), log_event);
    mpool_cleanup_register(grandchild, const_cast<char *>("grandchild"), log_event);
    ASSERT_EQ(mpool_reparent(pool, new_parent), 0);
    EXPECT_EQ(mpool_parent(pool), new_parent);
    mpool_destroy(old_parent);
    EXPECT_TRUE(log.empty());
    EXPECT_STREQ(text, "kept");
    EXPECT_STREQ(deep, "deep");
    mpool_destroy(new_parent);
    EXPECT_EQ(log, (std::vector<std::string>{"grandchild", "pool"}));
    mpool_destroy(root);
}

TEST_F(Reparent, StatsOfBothParentsFollowTheMove) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *old_parent = mpool_create(root);
    mpool_t *new_parent = mpool_create(root);
    mpool_t *pool = mpool_create(old_parent);
    mpool_alloc(pool, 50000);
    mpool_create(pool);
    mpool_stats_t moved = stats_of(pool, true);
    mpool_stats_t old_before = stats_of(old_parent, true), new_before = stats_of(new_parent, true);
    mpool_stats_t root_before = stats_of(root, true);
    ASSERT_EQ(mpool_reparent(pool, new_parent), 0);
    EXPECT_EQ(stats_of(old_parent).children, 0u);
    EXPECT_EQ(stats_of(new_parent).children, 1u);
    EXPECT_EQ(stats_of(old_parent, true).bytes_reserved, old_before.bytes_reserved - moved.bytes_reserved);
    EXPECT_EQ(stats_of(new_parent, true).bytes_reserved, new_before.bytes_reserved + moved.bytes_reserved);
    EXPECT_EQ(stats_of(new_parent, true).bytes_allocated, new_before.bytes_allocated + moved.bytes_allocated);
    mpool_stats_t root_after = stats_of(root, true);
    EXPECT_EQ(std::memcmp(&root_after, &root_before, sizeof root_after), 0);
    mpool_destroy(root);
}

// Guards the order: the moved pool is the new parent's newest child.
TEST_F(Reparent, MovedPoolIsTheNewParentsNewestChild) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *elsewhere = mpool_create(root);
    mpool_t *older = mpool_create(root);
    mpool_t *pool = mpool_create(elsewhere);
    mpool_t *newer = mpool_create(root);
    mpool_cleanup_register(older, const_cast<char *>("older"), log_event);
    mpool_cleanup_register(pool, const_cast<char *>("moved"), log_event);
    mpool_cleanup_register(newer, const_cast<char *>("newer"), log_event);
    ASSERT_EQ(mpool_reparent(pool, root), 0);
    mpool_clear(root);
    EXPECT_EQ(log, (std::vector<std::string>{"moved", "newer", "older"}));
    mpool_destroy(root);
}

TEST_F(Reparent, MoveToTheSameParentMakesItTheNewest) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *first = mpool_create(root);
    mpool_t *second = mpool_create(root);
    mpool_cleanup_register(first, const_cast<char *>("first"), log_event);
    mpool_cleanup_register(second, const_cast<char *>("second"), log_event);
    ASSERT_EQ(mpool_reparent(first, root), 0);
    EXPECT_EQ(stats_of(root).children, 2u);
    mpool_clear(root);
    EXPECT_EQ(log, (std::vector<std::string>{"first", "second"}));
    mpool_destroy(root);
}

// Guards the recharge: the old limit gets its bytes back, the new limit
// counts them.
TEST_F(Reparent, LimitsAreRecharged) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *old_parent = child_with(root, 64 * 1024);
    mpool_t *new_parent = child_with(root, 128 * 1024);
    mpool_t *pool = mpool_create(old_parent);
    ASSERT_NE(mpool_alloc(pool, 40000), nullptr);
    EXPECT_EQ(mpool_alloc(old_parent, 30000), nullptr); // the old limit is nearly used up
    ASSERT_EQ(mpool_reparent(pool, new_parent), 0);
    EXPECT_NE(mpool_alloc(old_parent, 30000), nullptr); // its bytes went with it
    EXPECT_LT(128 * 1024 - stats_of(new_parent, true).bytes_reserved, 95000u);
    EXPECT_EQ(mpool_alloc(new_parent, 95000), nullptr); // counted by the new limit (it had room before)
    EXPECT_LE(stats_of(new_parent, true).bytes_reserved, 128u * 1024u);
    mpool_destroy(root);
}

// Guards the cached limiter of every pool below: a grandchild's blocks are
// charged to the new limit.
TEST_F(Reparent, DescendantsChargeTheNewLimit) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *unlimited = mpool_create(root);
    mpool_t *limited = child_with(root, 64 * 1024);
    mpool_t *pool = mpool_create(unlimited);
    mpool_t *grandchild = mpool_create(pool);
    ASSERT_NE(mpool_alloc(grandchild, 20000), nullptr);
    ASSERT_EQ(mpool_reparent(pool, limited), 0);
    EXPECT_EQ(mpool_alloc(grandchild, 60000), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_LE(stats_of(limited, true).bytes_reserved, 64u * 1024u);
    ASSERT_EQ(mpool_reparent(pool, unlimited), 0); // and back out from under it
    EXPECT_NE(mpool_alloc(grandchild, 60000), nullptr);
    mpool_destroy(root);
}

// Guards all-or-nothing: a limit that cannot take the subtree refuses the
// move and nothing changes.
TEST_F(Reparent, LimitTooSmallIsEnomemAndChangesNothing) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *old_parent = mpool_create(root);
    mpool_t *new_parent = child_with(root, 32 * 1024);
    mpool_t *pool = mpool_create(old_parent);
    mpool_alloc(pool, 40000);
    mpool_stats_t old_before = stats_of(old_parent, true), new_before = stats_of(new_parent, true);
    errno = 0;
    EXPECT_EQ(mpool_reparent(pool, new_parent), ENOMEM);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_EQ(g_oom_calls, 1);
    EXPECT_EQ(g_oom_pool, new_parent);
    EXPECT_EQ(mpool_parent(pool), old_parent);
    mpool_stats_t old_after = stats_of(old_parent, true), new_after = stats_of(new_parent, true);
    EXPECT_EQ(std::memcmp(&old_after, &old_before, sizeof old_after), 0);
    EXPECT_EQ(std::memcmp(&new_after, &new_before, sizeof new_after), 0);
    // The new parent's limit was not charged: it still has all its room.
    EXPECT_NE(mpool_alloc(new_parent, 32 * 1024 - new_before.bytes_reserved - 1024), nullptr);
    mpool_destroy(root);
}

// A limit above both places counts the subtree before and after: it is
// neither charged twice nor released.
TEST_F(Reparent, LimitAboveBothPlacesIsUnchanged) {
    mpool_t *limited_root = child_with(nullptr, 100 * 1024);
    mpool_t *a = mpool_create(limited_root);
    mpool_t *b = mpool_create(limited_root);
    mpool_t *pool = mpool_create(a);
    ASSERT_NE(mpool_alloc(pool, 60000), nullptr);
    ASSERT_EQ(mpool_reparent(pool, b), 0); // would not fit if charged twice
    EXPECT_EQ(mpool_alloc(b, 60000), nullptr); // and is still counted once
    mpool_destroy(limited_root);
}

TEST_F(Reparent, CycleIsEinval) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *pool = mpool_create(root);
    mpool_t *child = mpool_create(pool);
    mpool_t *grandchild = mpool_create(child);
    EXPECT_EQ(mpool_reparent(pool, pool), EINVAL);
    EXPECT_EQ(mpool_reparent(pool, child), EINVAL);
    EXPECT_EQ(mpool_reparent(pool, grandchild), EINVAL);
    EXPECT_EQ(mpool_reparent(root, grandchild), EINVAL);
    EXPECT_EQ(mpool_parent(pool), root);
    mpool_destroy(root);
}

TEST_F(Reparent, NullPoolIsEinval) {
    mpool_t *root = mpool_create(nullptr);
    EXPECT_EQ(mpool_reparent(nullptr, root), EINVAL);
    EXPECT_EQ(mpool_reparent(nullptr, nullptr), EINVAL);
    mpool_destroy(root);
}

// Pools of trees that share an allocator move freely, to NULL too.
TEST_F(Reparent, ToNullMakesARootWhenTheAllocatorIsShared) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *root = root_on(allocator);
    mpool_t *pool = mpool_create(root);
    char *text = mpool_strdup(pool, "survives");
    mpool_cleanup_register(pool, const_cast<char *>("pool"), log_event);
    ASSERT_EQ(mpool_reparent(pool, nullptr), 0);
    EXPECT_EQ(mpool_parent(pool), nullptr);
    EXPECT_EQ(stats_of(root).children, 0u);
    mpool_destroy(root);
    EXPECT_TRUE(log.empty());
    EXPECT_STREQ(text, "survives");
    mpool_destroy(pool);
    EXPECT_EQ(log, (std::vector<std::string>{"pool"}));
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

// A root that made its allocator becomes a child anywhere: the allocator
// goes with it (LeakSanitizer checks it is destroyed with the new parent).
TEST_F(Reparent, RootOwningItsAllocatorBecomesAChild) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *host = root_on(allocator);
    mpool_t *guest = mpool_create(nullptr);
    mpool_t *guest_child = mpool_create(guest);
    char *text = mpool_strdup(guest_child, "guest");
    mpool_cleanup_register(guest, const_cast<char *>("guest"), log_event);
    ASSERT_EQ(mpool_reparent(guest, host), 0);
    EXPECT_EQ(stats_of(host).children, 1u);
    EXPECT_STREQ(text, "guest");
    mpool_destroy(host);
    EXPECT_EQ(log, (std::vector<std::string>{"guest"}));
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

// A pool made by another thread (on that thread's lane of the parent) moves
// under a parent whose children come from several threads.
TEST_F(Reparent, AcrossLanes) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *old_parent = mpool_create(root);
    mpool_t *new_parent = mpool_create(root);
    mpool_create(old_parent); // this thread's: the own list
    mpool_t *theirs = nullptr;
    std::thread([&] {
        theirs = mpool_create(old_parent); // a lane
        mpool_cleanup_register(mpool_create(new_parent), const_cast<char *>("their sibling"), log_event);
    }).join();
    mpool_t *mine = mpool_create(new_parent); // a second thread on new_parent: lanes
    mpool_cleanup_register(mine, const_cast<char *>("mine"), log_event);
    mpool_cleanup_register(theirs, const_cast<char *>("moved"), log_event);
    ASSERT_EQ(mpool_reparent(theirs, new_parent), 0);
    EXPECT_EQ(stats_of(old_parent).children, 1u);
    EXPECT_EQ(stats_of(new_parent).children, 3u);
    mpool_destroy(old_parent);
    mpool_destroy(new_parent);
    EXPECT_EQ(log, (std::vector<std::string>{"moved", "mine", "their sibling"}));
    mpool_destroy(root);
}

// Other threads create and destroy children of both parents while pools
// move between them (the tsan preset checks the locking).
TEST_F(Reparent, WhileOtherThreadsChurnSiblings) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *left = mpool_create(root);
    mpool_t *right = mpool_create(root);
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    for (mpool_t *parent : {left, right, left})
        workers.emplace_back([parent, &stop] {
            while (!stop.load()) {
                mpool_t *child = mpool_create(parent);
                std::memset(mpool_alloc(child, 100), 1, 100);
                mpool_destroy(child);
            }
        });
    mpool_t *pool = mpool_create(left);
    mpool_t *inner = mpool_create(pool);
    char *text = mpool_strdup(inner, "moving");
    for (int i = 0; i < 500; ++i) ASSERT_EQ(mpool_reparent(pool, i % 2 ? left : right), 0);
    stop = true;
    for (std::thread &w : workers) w.join();
    EXPECT_EQ(mpool_parent(pool), left);
    EXPECT_STREQ(text, "moving");
    EXPECT_EQ(stats_of(left).children, 1u);
    EXPECT_EQ(stats_of(right).children, 0u);
    mpool_destroy(root);
}

TEST_F(Reparent, ConcurrentPoolMoves) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *new_parent = child_with(root, 1 << 20);
    mpool_t *pool = child_with(root, 0, nullptr, MPOOL_CONCURRENT);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([pool] {
            for (int i = 0; i < 200; ++i) std::memset(mpool_alloc(pool, 100), 2, 100);
        });
    for (std::thread &t : threads) t.join();
    mpool_stats_t before = stats_of(pool, true);
    ASSERT_EQ(mpool_reparent(pool, new_parent), 0);
    mpool_stats_t after = stats_of(pool, true);
    EXPECT_EQ(std::memcmp(&after, &before, sizeof after), 0);
    EXPECT_EQ(stats_of(new_parent, true).bytes_reserved, stats_of(new_parent).bytes_reserved + before.bytes_reserved);
    std::thread([pool] { EXPECT_NE(mpool_alloc(pool, 100), nullptr); }).join();
    mpool_destroy(root);
}

TEST_F(Reparent, TagGoesWithThePool) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *a = mpool_create(root);
    mpool_t *b = mpool_create(root);
    mpool_t *pool = child_with(a, 0, "request-7");
    ASSERT_EQ(mpool_reparent(pool, b), 0);
    EXPECT_STREQ(mpool_tag(pool), "request-7");
    mpool_clear(pool);
    EXPECT_STREQ(mpool_tag(pool), "request-7");
    mpool_destroy(root);
}

// A debug-mode pool keeps its checks in its new place: the new parent's
// check finds a write past the end in it.
TEST_F(Reparent, DebugPoolKeepsItsChecks) {
    if (mpool_check_modes() & (MPOOL_CHECK_ASAN | MPOOL_CHECK_VALGRIND))
        GTEST_SKIP() << "writes past an allocation on purpose";
    mpool_t *root = mpool_create(nullptr);
    mpool_t *plain = mpool_create(root);
    mpool_t *pool = child_with(root, 0, "debugged", MPOOL_DEBUG);
    char *volatile p = static_cast<char *>(mpool_alloc(pool, 24));
    ASSERT_EQ(mpool_reparent(pool, plain), 0);
    EXPECT_EQ(mpool_check(plain), 0);
    char canary = p[24];
    p[24] = 'x'; // past the end
    testing::internal::CaptureStderr();
    EXPECT_EQ(mpool_check(plain), EFAULT);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("24-byte allocation in pool \"debugged\""), std::string::npos);
    p[24] = canary; // mended, so that the destroy goes through
    mpool_destroy(plain);
    EXPECT_EQ(stats_of(root).children, 0u);
    mpool_destroy(root);
}

// A pool can be rescued from its dying parent by a pre-cleanup.
TEST_F(Reparent, PreCleanupRescuesAChildFromItsParent) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *dying = mpool_create(root);
    mpool_t *keeper = mpool_create(root);
    static mpool_t *s_child, *s_keeper;
    s_child = mpool_create(dying);
    s_keeper = keeper;
    char *text = mpool_strdup(s_child, "rescued");
    mpool_pre_cleanup_register(dying, nullptr, [](void *) { EXPECT_EQ(mpool_reparent(s_child, s_keeper), 0); });
    mpool_destroy(dying);
    EXPECT_EQ(mpool_parent(s_child), keeper);
    EXPECT_STREQ(text, "rescued");
    mpool_destroy(root);
}

// A pool whose teardown is running cannot move.
TEST_F(Reparent, PoolBeingTornDownIsEinval) {
    mpool_t *root = mpool_create(nullptr);
    static mpool_t *s_pool, *s_root;
    s_root = root;
    s_pool = mpool_create(root);
    mpool_cleanup_register(s_pool, nullptr, [](void *) { EXPECT_EQ(mpool_reparent(s_pool, s_root), EINVAL); });
    mpool_destroy(s_pool);
    EXPECT_EQ(stats_of(root).children, 0u);
    mpool_destroy(root);
}

} // namespace
