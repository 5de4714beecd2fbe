// Cleanups, pre-cleanups and userdata.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

std::vector<std::string> g_log;
void log_event(void *data) { g_log.push_back(static_cast<const char *>(data)); }
void other_fn(void *data) { g_log.push_back(std::string("other:") + static_cast<const char *>(data)); }

char A[] = "a";
char B[] = "b";
char C[] = "c";

class Cleanups : public ::testing::Test {
protected:
    mpool_t *pool = nullptr;
    void SetUp() override {
        g_log.clear();
        pool = mpool_create(nullptr);
    }
    void TearDown() override { mpool_destroy(pool); }
};

TEST_F(Cleanups, RunLastRegisteredFirst) {
    mpool_cleanup_register(pool, A, log_event);
    mpool_cleanup_register(pool, B, log_event);
    mpool_cleanup_register(pool, C, log_event);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"c", "b", "a"}));
}

mpool_t *g_child = nullptr;
void read_child_userdata(void *) {
    g_log.push_back(g_child && mpool_userdata_get(g_child, "k") ? "child alive" : "child gone");
}

TEST_F(Cleanups, PreCleanupSeesChildrenAlive) {
    g_child = mpool_create(pool);
    mpool_userdata_set(g_child, "k", A, nullptr);
    mpool_pre_cleanup_register(pool, nullptr, read_child_userdata);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"child alive"}));
}

TEST_F(Cleanups, CleanupRunsAfterChildrenAreDestroyed) {
    mpool_t *child = mpool_create(pool);
    mpool_cleanup_register(child, B, log_event);
    mpool_cleanup_register(pool, A, log_event);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"b", "a"}));
}

void register_during_run(void *data) {
    g_log.push_back("first");
    mpool_cleanup_register(static_cast<mpool_t *>(data), C, log_event);
}

TEST_F(Cleanups, CleanupRegisteredWhileCleanupsRunAlsoRuns) {
    mpool_cleanup_register(pool, pool, register_during_run);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"first", "c"}));
    EXPECT_EQ(stats_of(pool).cleanups, 0u);
}

void create_child_during_run(void *data) {
    mpool_t *late = mpool_create(static_cast<mpool_t *>(data));
    mpool_cleanup_register(late, B, log_event);
}

TEST_F(Cleanups, ChildCreatedByACleanupIsDestroyedToo) {
    mpool_cleanup_register(pool, pool, create_child_during_run);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"b"}));
    EXPECT_EQ(stats_of(pool).children, 0u);
}

TEST_F(Cleanups, SamePairRegisteredTwiceRunsTwice) {
    mpool_cleanup_register(pool, A, log_event);
    mpool_cleanup_register(pool, A, log_event);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"a", "a"}));
}

TEST_F(Cleanups, KillRemovesOnlyTheMostRecentDuplicate) {
    mpool_cleanup_register(pool, A, log_event);
    mpool_cleanup_register(pool, B, log_event);
    mpool_cleanup_register(pool, A, log_event);
    EXPECT_EQ(mpool_cleanup_kill(pool, A, log_event), 0);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"b", "a"}));
}

TEST_F(Cleanups, KillMatchesDataAndFunctionTogether) {
    mpool_cleanup_register(pool, A, log_event);
    EXPECT_EQ(mpool_cleanup_kill(pool, A, other_fn), ENOENT);
    EXPECT_EQ(mpool_cleanup_kill(pool, B, log_event), ENOENT);
    EXPECT_EQ(stats_of(pool).cleanups, 1u);
}

TEST_F(Cleanups, KillFindsPreCleanups) {
    mpool_pre_cleanup_register(pool, A, log_event);
    EXPECT_EQ(mpool_cleanup_kill(pool, A, log_event), 0);
    mpool_clear(pool);
    EXPECT_TRUE(g_log.empty());
}

TEST_F(Cleanups, KillOfUnregisteredPairIsEnoent) { EXPECT_EQ(mpool_cleanup_kill(pool, A, log_event), ENOENT); }

TEST_F(Cleanups, RunCallsOnceAndUnregisters) {
    mpool_cleanup_register(pool, A, log_event);
    EXPECT_EQ(mpool_cleanup_run(pool, A, log_event), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"a"}));
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"a"}));
}

TEST_F(Cleanups, RunOfUnregisteredPairIsEnoentAndCallsNothing) {
    EXPECT_EQ(mpool_cleanup_run(pool, A, log_event), ENOENT);
    EXPECT_TRUE(g_log.empty());
}

TEST_F(Cleanups, BadArgumentsAreEinval) {
    EXPECT_EQ(mpool_cleanup_register(nullptr, A, log_event), EINVAL);
    EXPECT_EQ(mpool_cleanup_register(pool, A, nullptr), EINVAL);
    EXPECT_EQ(mpool_pre_cleanup_register(pool, A, nullptr), EINVAL);
    EXPECT_EQ(mpool_cleanup_kill(nullptr, A, log_event), EINVAL);
    EXPECT_EQ(mpool_cleanup_run(nullptr, A, log_event), EINVAL);
}

TEST_F(Cleanups, KilledRecordIsReusedByTheNextRegistration) {
    mpool_cleanup_register(pool, A, log_event);
    mpool_cleanup_kill(pool, A, log_event);
    size_t allocated = stats_of(pool).bytes_allocated;
    mpool_cleanup_register(pool, B, log_event);
    EXPECT_EQ(stats_of(pool).bytes_allocated, allocated);
}

TEST_F(Cleanups, CleanupCanKillAnotherCleanup) {
    static mpool_t *s_pool;
    s_pool = pool;
    mpool_cleanup_register(pool, A, log_event);
    mpool_cleanup_register(pool, nullptr, [](void *) { mpool_cleanup_kill(s_pool, A, log_event); });
    mpool_clear(pool);
    EXPECT_TRUE(g_log.empty());
}

TEST_F(Cleanups, UserdataIsFoundByKey) {
    EXPECT_EQ(mpool_userdata_set(pool, "one", A, nullptr), 0);
    EXPECT_EQ(mpool_userdata_set(pool, "two", B, nullptr), 0);
    EXPECT_EQ(mpool_userdata_get(pool, "one"), A);
    EXPECT_EQ(mpool_userdata_get(pool, "two"), B);
    EXPECT_EQ(mpool_userdata_get(pool, "three"), nullptr);
}

TEST_F(Cleanups, UserdataKeyIsCopied) {
    char key[] = "key";
    mpool_userdata_set(pool, key, A, nullptr);
    key[0] = 'X';
    EXPECT_EQ(mpool_userdata_get(pool, "key"), A);
    EXPECT_EQ(mpool_userdata_get(pool, "Xey"), nullptr);
}

TEST_F(Cleanups, ReplacingUserdataRunsTheOldCleanup) {
    mpool_userdata_set(pool, "k", A, log_event);
    mpool_userdata_set(pool, "k", B, log_event);
    EXPECT_EQ(g_log, (std::vector<std::string>{"a"}));
    EXPECT_EQ(mpool_userdata_get(pool, "k"), B);
}

TEST_F(Cleanups, SettingTheSameUserdataAgainRunsNothing) {
    mpool_userdata_set(pool, "k", A, log_event);
    mpool_userdata_set(pool, "k", A, log_event);
    EXPECT_TRUE(g_log.empty());
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"a"}));
}

TEST_F(Cleanups, ClearDropsUserdataAndRunsItsCleanup) {
    mpool_userdata_set(pool, "k", A, log_event);
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"a"}));
    EXPECT_EQ(mpool_userdata_get(pool, "k"), nullptr);
}

TEST_F(Cleanups, UserdataBadArgumentsAreEinval) {
    EXPECT_EQ(mpool_userdata_set(nullptr, "k", A, nullptr), EINVAL);
    EXPECT_EQ(mpool_userdata_set(pool, nullptr, A, nullptr), EINVAL);
    EXPECT_EQ(mpool_userdata_get(nullptr, "k"), nullptr);
    EXPECT_EQ(mpool_userdata_get(pool, nullptr), nullptr);
}

} // namespace
