// Marks and rewinding: mpool_mark() and mpool_rewind().
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define LEAK_CHECK_NOW() VALGRIND_DO_QUICK_LEAK_CHECK
#else
#define LEAK_CHECK_NOW() ((void)0)
#endif

namespace {

std::vector<std::string> g_log;
void log_event(void *data) { g_log.push_back(static_cast<const char *>(data)); }

char kOld[] = "old";
char kNew[] = "new";
char kNewer[] = "newer";
char kPre[] = "pre";
char kChild[] = "child";
char kUserdata[] = "userdata";

class Scopes : public CountedRootTest {
protected:
    mpool_t *pool = nullptr; // the root, under the name these tests use
    void SetUp() override {
        g_log.clear();
        CountedRootTest::SetUp();
        pool = root;
    }
};

TEST_F(Scopes, RewindRestoresBytesAllocatedExactly) {
    ASSERT_NE(mpool_alloc(pool, 40), nullptr);
    ASSERT_NE(mpool_strdup(pool, "before the mark"), nullptr);
    size_t at_mark = stats_of(pool).bytes_allocated;
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    for (size_t i = 1; i < 200; ++i) ASSERT_NE(mpool_alloc(pool, i * 7), nullptr);
    ASSERT_NE(mpool_calloc(pool, 10, 10), nullptr);
    ASSERT_NE(mpool_printf(pool, "%d-%s", 42, "x"), nullptr);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(stats_of(pool).bytes_allocated, at_mark);
}

TEST_F(Scopes, AllocationsBeforeTheMarkKeepTheirContents) {
    char *kept = mpool_strdup(pool, "kept across the rewind");
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    for (int i = 0; i < 100; ++i) std::memset(mpool_alloc(pool, 300), 0x55, 300);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_STREQ(kept, "kept across the rewind");
}

TEST_F(Scopes, MemoryFreedByARewindIsHandedOutAgain) {
    SKIP_WHEN_CHECKED();
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    void *first = mpool_alloc(pool, 64);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(mpool_alloc(pool, 64), first);
}

TEST_F(Scopes, BlocksTakenSinceTheMarkAreKeptAsSparesAndReused) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    for (int i = 0; i < 64; ++i) ASSERT_NE(mpool_alloc(pool, 1000), nullptr);
    size_t blocks = stats_of(pool).blocks;
    size_t requests = source.requests;
    ASSERT_GT(blocks, 1u);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(stats_of(pool).blocks, blocks); // kept by the pool
    for (int i = 0; i < 64; ++i) ASSERT_NE(mpool_alloc(pool, 1000), nullptr);
    EXPECT_EQ(source.requests, requests); // the same again needs no new block
    EXPECT_EQ(stats_of(pool).blocks, blocks);
}

TEST_F(Scopes, LargeBlocksTakenSinceTheMarkGoBackToTheAllocator) {
    ASSERT_NE(mpool_alloc(pool, 100000), nullptr); // before the mark: stays
    size_t reserved = stats_of(pool).bytes_reserved;
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    ASSERT_NE(mpool_alloc(pool, 50000), nullptr);
    ASSERT_NE(mpool_alloc(pool, 70000), nullptr);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(stats_of(pool).bytes_reserved, reserved);
}

TEST_F(Scopes, ALargeAllocationFromBeforeTheMarkKeepsItsBlockWhenMovedUntilTheNextClear) {
    void *big = mpool_alloc(pool, 100000);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    size_t reserved = stats_of(pool).bytes_reserved;
    void *moved = mpool_realloc(pool, big, 100000, 200000); // the old block stays: the mark counts it
    ASSERT_NE(moved, nullptr);
    EXPECT_GE(stats_of(pool).bytes_reserved, reserved + 200000);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0); // the new block goes back
    EXPECT_EQ(stats_of(pool).bytes_reserved, reserved);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 100000u);
}

// Guards the figures after a rewind: a large allocation from before the
// mark, shrunk and then moved since, had its block given back at the move;
// the rewind restored bytes_allocated to the mark's figure, which counts it
// at its size then, while the blocks held less (27124 counted, 27032 held).
TEST_F(Scopes, AfterARewindThePoolHoldsWhatItCountsWhenALargeAllocationFromBeforeTheMarkMoved) {
    void *big = mpool_alloc(pool, 27124);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    ASSERT_EQ(mpool_realloc(pool, big, 27124, 19107), big); // shrinks in place
    ASSERT_NE(mpool_realloc(pool, big, 19107, 22941), nullptr); // moves
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    mpool_stats_t s = stats_of(pool);
    EXPECT_EQ(s.bytes_allocated, 27124u);
    EXPECT_GE(s.bytes_reserved, s.bytes_allocated);
}

// Guards what marks cost: a large allocation made since the pool's newest
// mark gives its block back when mpool_realloc() moves it, as without marks
// (a buffer grown in a scratch scope does not hold every size it had).
TEST_F(Scopes, ALargeAllocationMadeSinceTheMarkGivesItsBlockBackWhenMoved) {
    if (mpool_check_modes() & MPOOL_CHECK_DEBUG) GTEST_SKIP() << "debug mode: a moved large allocation keeps its block";
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    size_t reserved = stats_of(pool).bytes_reserved;
    void *buffer = mpool_alloc(pool, 20000);
    for (size_t size = 20000; size < 320000; size *= 2) buffer = mpool_realloc(pool, buffer, size, size * 2);
    ASSERT_NE(buffer, nullptr);
    EXPECT_LT(stats_of(pool).bytes_reserved, reserved + 320000 + 4096); // the last block only
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(stats_of(pool).bytes_reserved, reserved);
}

TEST_F(Scopes, RewindRunsCleanupsRegisteredSinceNewestFirstAndKeepsOlderOnes) {
    mpool_cleanup_register(pool, kOld, log_event);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_cleanup_register(pool, kNew, log_event);
    mpool_cleanup_register(pool, kNewer, log_event);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"newer", "new"}));
    EXPECT_EQ(stats_of(pool).cleanups, 1u);
    g_log.clear();
    mpool_clear(pool);
    EXPECT_EQ(g_log, (std::vector<std::string>{"old"}));
}

TEST_F(Scopes, RewindRunsCleanupsRegisteredSinceWhenThePoolHadNoneAtTheMark) {
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_cleanup_register(pool, kNew, log_event);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"new"}));
    EXPECT_EQ(stats_of(pool).cleanups, 0u);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
}

TEST_F(Scopes, RewindGoesInTheOrderOfAClear) {
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_t *child = mpool_create(pool);
    mpool_cleanup_register(child, kChild, log_event);
    mpool_pre_cleanup_register(pool, kPre, log_event);
    mpool_cleanup_register(pool, kNew, log_event);
    mpool_userdata_set(pool, "key", kUserdata, log_event);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"pre", "child", "new", "userdata"}));
}

TEST_F(Scopes, RewindDestroysChildrenCreatedSinceAndKeepsOlderOnes) {
    mpool_t *older = mpool_create(pool);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_t *newer = mpool_create(pool);
    mpool_cleanup_register(newer, kNew, log_event);
    mpool_cleanup_register(older, kOld, log_event);
    ASSERT_EQ(stats_of(pool).children, 2u);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"new"}));
    EXPECT_EQ(stats_of(pool).children, 1u);
    EXPECT_NE(mpool_alloc(older, 10), nullptr); // still alive
}

TEST_F(Scopes, AnOlderChildDestroyedSinceTheMarkDoesNotConfuseTheRewind) {
    mpool_t *older = mpool_create(pool);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_destroy(older);
    mpool_t *newer = mpool_create(pool); // may reuse the older one's block
    mpool_cleanup_register(newer, kNew, log_event);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"new"}));
    EXPECT_EQ(stats_of(pool).children, 0u);
}

TEST_F(Scopes, RewindDestroysAChildThatAnotherThreadCreatedSinceTheMark) {
    mpool_t *mine = mpool_create(pool); // this thread's children use the own list
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    std::thread([&] {
        mpool_t *theirs = mpool_create(pool); // another thread: a lane
        mpool_cleanup_register(theirs, kNew, log_event);
    }).join();
    ASSERT_EQ(stats_of(pool).children, 2u);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"new"}));
    EXPECT_EQ(stats_of(pool).children, 1u);
    EXPECT_NE(mpool_alloc(mine, 10), nullptr);
}

TEST_F(Scopes, RewindDropsUserdataAddedSinceAndKeepsOlderKeys) {
    static int old_value, new_value;
    mpool_userdata_set(pool, "old", &old_value, nullptr);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_userdata_set(pool, "new", &new_value, log_event);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(mpool_userdata_get(pool, "new"), nullptr);
    EXPECT_EQ(mpool_userdata_get(pool, "old"), &old_value);
    EXPECT_EQ(g_log.size(), 1u); // the dropped value's cleanup ran
}

TEST_F(Scopes, AValueReplacedSinceTheMarkUnderAnOlderKeyIsKept) {
    static int old_value, new_value;
    mpool_userdata_set(pool, "key", &old_value, nullptr);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_userdata_set(pool, "key", &new_value, nullptr);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(mpool_userdata_get(pool, "key"), &new_value);
}

TEST_F(Scopes, ACleanupKilledSinceTheMarkStaysKilled) {
    mpool_cleanup_register(pool, kOld, log_event);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    ASSERT_EQ(mpool_cleanup_kill(pool, kOld, log_event), 0);
    mpool_cleanup_register(pool, kNew, log_event); // reuses the killed record
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"new"}));
    EXPECT_EQ(stats_of(pool).cleanups, 0u);
}

TEST_F(Scopes, RewindPutsTheTagBack) {
    mpool_set_tag(pool, "before");
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_set_tag(pool, "after");
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_STREQ(mpool_tag(pool), "before");
}

TEST_F(Scopes, MarksNest) {
    mpool_mark_t outer, inner;
    mpool_mark(pool, &outer);
    ASSERT_NE(mpool_alloc(pool, 100), nullptr);
    size_t at_inner = stats_of(pool).bytes_allocated;
    mpool_mark(pool, &inner);
    ASSERT_NE(mpool_alloc(pool, 5000), nullptr);
    ASSERT_EQ(mpool_rewind(pool, &inner), 0);
    EXPECT_EQ(stats_of(pool).bytes_allocated, at_inner);
    ASSERT_EQ(mpool_rewind(pool, &outer), 0);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
}

TEST_F(Scopes, AMarkCanBeRewoundToAgainAndAgain) {
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    for (int round = 0; round < 100; ++round) {
        for (int i = 0; i < 50; ++i) ASSERT_NE(mpool_alloc(pool, 200), nullptr);
        mpool_cleanup_register(pool, kNew, log_event);
        ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    }
    EXPECT_EQ(g_log.size(), 100u);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
}

TEST_F(Scopes, ANewerMarkIsRejectedAfterARewindToAnOlderOne) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK(); // no new ordinary block: the newer mark is not seen
    mpool_mark_t older, newer;
    mpool_mark(pool, &older);
    ASSERT_NE(mpool_alloc(pool, 3000), nullptr);
    ASSERT_NE(mpool_alloc(pool, 3000), nullptr); // a new block
    mpool_mark(pool, &newer);
    ASSERT_EQ(mpool_rewind(pool, &older), 0);
    EXPECT_EQ(mpool_rewind(pool, &newer), EINVAL);
}

TEST_F(Scopes, AMarkFromBeforeAClearIsRejected) {
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_clear(pool);
    EXPECT_EQ(mpool_rewind(pool, &mark), EINVAL);
}

TEST_F(Scopes, AMarkOfAnotherPoolIsRejected) {
    mpool_t *other = mpool_create(pool);
    mpool_mark_t mark;
    mpool_mark(other, &mark);
    EXPECT_EQ(mpool_rewind(pool, &mark), EINVAL);
}

TEST_F(Scopes, NullArgumentsAreRejected) {
    mpool_mark_t mark;
    mpool_mark(nullptr, &mark); // no-op
    mpool_mark(pool, nullptr);  // no-op
    EXPECT_EQ(mpool_rewind(nullptr, &mark), EINVAL);
    EXPECT_EQ(mpool_rewind(pool, nullptr), EINVAL);
}

TEST_F(Scopes, AConcurrentPoolCannotBeRewound) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT;
    mpool_t *concurrent = mpool_create_ex(pool, &options);
    mpool_mark_t mark;
    mpool_mark(concurrent, &mark);
    EXPECT_EQ(mpool_rewind(concurrent, &mark), ENOTSUP);
}

mpool_t *g_pool;
mpool_mark_t g_mark;
int g_nested_rc;
void rewind_from_cleanup(void *) { g_nested_rc = mpool_rewind(g_pool, &g_mark); }
void clear_from_cleanup(void *) { mpool_clear(g_pool); }

TEST_F(Scopes, ARewindFromACallbackOfTheSamePoolIsBusy) {
    g_pool = pool;
    mpool_mark(pool, &g_mark);
    mpool_cleanup_register(pool, nullptr, rewind_from_cleanup);
    ASSERT_EQ(mpool_rewind(pool, &g_mark), 0);
    EXPECT_EQ(g_nested_rc, EBUSY);
}

TEST_F(Scopes, AClearFromACallbackOfARewindDoesNothing) {
    g_pool = pool;
    mpool_cleanup_register(pool, kOld, log_event);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_cleanup_register(pool, nullptr, clear_from_cleanup);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_TRUE(g_log.empty()); // the older cleanup did not run
    EXPECT_EQ(stats_of(pool).cleanups, 1u);
}

void register_more(void *) {
    mpool_cleanup_register(g_pool, kNewer, log_event);
    mpool_t *child = mpool_create(g_pool);
    mpool_cleanup_register(child, kChild, log_event);
    mpool_alloc(g_pool, 5000);
}

TEST_F(Scopes, WhatCallbacksAddDuringARewindIsUndoneToo) {
    g_pool = pool;
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    mpool_cleanup_register(pool, nullptr, register_more);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(g_log, (std::vector<std::string>{"newer", "child"})); // the child in the next round, as in a clear
    mpool_stats_t s = stats_of(pool);
    EXPECT_EQ(s.bytes_allocated, 0u);
    EXPECT_EQ(s.children, 0u);
    EXPECT_EQ(s.cleanups, 0u);
}

// What a callback adds during a rewind waits for the next round, as in a
// clear: the phases of the round that is running go on first. Each scenario
// runs under a rewind, then under mpool_clear(), which must log the same.
using Scenario = void (*)(mpool_t *);

std::vector<std::string> log_of_rewind(mpool_t *pool, Scenario scenario) {
    g_log.clear();
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    scenario(pool);
    EXPECT_EQ(mpool_rewind(pool, &mark), 0);
    return g_log;
}

std::vector<std::string> log_of_clear(mpool_t *pool, Scenario scenario) {
    g_log.clear();
    scenario(pool);
    mpool_clear(pool);
    return g_log;
}

void create_child_with_cleanup(void *) {
    mpool_t *child = mpool_create(g_pool);
    mpool_cleanup_register(child, kChild, log_event);
}

void register_pre_cleanup(void *) { mpool_pre_cleanup_register(g_pool, kPre, log_event); }
void register_cleanup(void *) { mpool_cleanup_register(g_pool, kNewer, log_event); }

// Guards the rewind's rounds: a child made by a cleanup was destroyed at
// once, before the cleanups registered earlier ran.
TEST_F(Scopes, AChildACleanupCreatesDuringARewindIsDestroyedAfterTheRemainingCleanups) {
    g_pool = pool;
    Scenario scenario = [](mpool_t *p) {
        mpool_cleanup_register(p, kOld, log_event);
        mpool_cleanup_register(p, nullptr, create_child_with_cleanup);
    };
    EXPECT_EQ(log_of_rewind(pool, scenario), (std::vector<std::string>{"old", "child"}));
    EXPECT_EQ(log_of_clear(pool, scenario), (std::vector<std::string>{"old", "child"}));
}

// Guards the rewind's rounds: a pre-cleanup registered by a cleanup ran at
// once, before the cleanups registered earlier.
TEST_F(Scopes, APreCleanupACleanupRegistersDuringARewindRunsAfterTheRemainingCleanups) {
    g_pool = pool;
    Scenario scenario = [](mpool_t *p) {
        mpool_cleanup_register(p, kOld, log_event);
        mpool_cleanup_register(p, nullptr, register_pre_cleanup);
    };
    EXPECT_EQ(log_of_rewind(pool, scenario), (std::vector<std::string>{"old", "pre"}));
    EXPECT_EQ(log_of_clear(pool, scenario), (std::vector<std::string>{"old", "pre"}));
}

// Guards the rewind's rounds: a cleanup registered by a userdata cleanup ran
// at once, before the userdata set earlier was dropped.
TEST_F(Scopes, ACleanupAUserdataCleanupRegistersDuringARewindRunsAfterTheRemainingUserdata) {
    g_pool = pool;
    Scenario scenario = [](mpool_t *p) {
        mpool_userdata_set(p, "older", kUserdata, log_event);
        mpool_userdata_set(p, "newer", nullptr, register_cleanup);
    };
    EXPECT_EQ(log_of_rewind(pool, scenario), (std::vector<std::string>{"userdata", "newer"}));
    EXPECT_EQ(log_of_clear(pool, scenario), (std::vector<std::string>{"userdata", "newer"}));
}

// Guards memcheck's view of a rewind (the valgrind preset runs this): the
// allocations a rewind freed stayed memcheck chunks, overlapping those made
// in the same memory after it, and a leak check while the pool lived (as at
// the exit of a program that keeps its pool) stopped Valgrind ("the
// 'impossible' happened": blocks overlap).
TEST_F(Scopes, ALeakCheckWhileARewoundPoolLivesFindsNoOverlappingAllocations) {
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    std::memset(mpool_alloc(pool, 200), 1, 200);
    std::memset(mpool_alloc(pool, 30000), 1, 30000); // a large block too
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    std::memset(mpool_alloc(pool, 100), 2, 100); // where the freed ones were
    std::memset(mpool_alloc(pool, 30000), 2, 30000);
    LEAK_CHECK_NOW();
}

TEST_F(Scopes, RewindReleasesALimitsChargeForLargeBlocks) {
    mpool_options_t options{};
    options.limit = 200000;
    mpool_t *limited = mpool_create_ex(pool, &options);
    ASSERT_NE(limited, nullptr);
    mpool_mark_t mark;
    mpool_mark(limited, &mark);
    for (int round = 0; round < 10; ++round) { // 10 x 120 KB: only fits when each rewind gives back
        ASSERT_NE(mpool_alloc(limited, 120000), nullptr) << "round " << round;
        ASSERT_EQ(mpool_rewind(limited, &mark), 0);
    }
}

TEST_F(Scopes, AMarkStaysValidWhenABlockWasFilledBesideTheCurrentOne) {
    SKIP_WHEN_CHECKED();
    // Under a limit, a new block is cut to what the limit allows; when it
    // then has less room than the current block, it goes straight to the
    // filled list and the current block stays.
    mpool_options_t options{};
    options.limit = 27000;
    options.block_size = 8192;
    mpool_t *limited = mpool_create_ex(pool, &options);
    ASSERT_EQ(stats_of(limited).bytes_reserved, 16360u);
    char *first = static_cast<char *>(mpool_alloc(limited, 8180));
    mpool_mark_t mark;
    mpool_mark(limited, &mark);
    ASSERT_NE(mpool_alloc(limited, 8780), nullptr);
    ASSERT_EQ(mpool_alloc(limited, 16), first + 8192); // the home block is still current
    ASSERT_EQ(stats_of(limited).blocks, 2u);
    ASSERT_EQ(mpool_rewind(limited, &mark), 0);
    EXPECT_EQ(stats_of(limited).bytes_allocated, 8180u);
    EXPECT_EQ(mpool_alloc(limited, 16), first + 8192);
}

TEST_F(Scopes, AMarkStaysValidWhenTheLastAllocationShrankInPlace) {
    void *last = mpool_alloc(pool, 500);
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    ASSERT_EQ(mpool_realloc(pool, last, 500, 100), last);
    EXPECT_EQ(mpool_rewind(pool, &mark), 0);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 500u);
}

TEST_F(Scopes, AMarkIsStillValidAfterARewindToIt) {
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
    ASSERT_EQ(mpool_rewind(pool, &mark), 0);
}

TEST_F(Scopes, GivingBackAnAllocationFromBeforeTheMarkDoesNotConfuseDebugMode) {
    // Debug mode used to bring the given-back allocation's record back at
    // the rewind and then report its filled bytes as a write past its end.
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK(); // then nothing is given back
    mpool_options_t options{};
    options.flags = MPOOL_DEBUG;
    options.allocator = allocator;
    mpool_t *debug = mpool_create_ex(nullptr, &options);
    void *before = mpool_alloc(debug, 16);
    mpool_mark_t mark;
    mpool_mark(debug, &mark);
    ASSERT_EQ(mpool__give_back(debug, before, 16), 1);
    ASSERT_EQ(mpool_rewind(debug, &mark), 0);
    EXPECT_EQ(mpool_check(debug), 0);
    mpool_destroy(debug);
}

} // namespace
