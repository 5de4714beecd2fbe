// Pool tree: creation, parents, clear and destroy order, tags.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

std::vector<std::string> *g_log = nullptr;

void log_event(void *data) { g_log->push_back(static_cast<const char *>(data)); }

class PoolTree : public ::testing::Test {
protected:
    std::vector<std::string> log;
    void SetUp() override { g_log = &log; }
    void TearDown() override { g_log = nullptr; }
};

// Guards: a root pool must hand out usable memory right away.
TEST_F(PoolTree, RootPoolHandsOutWritableMemory) {
    mpool_t *pool = mpool_create(nullptr);
    ASSERT_NE(pool, nullptr);
    char *p = static_cast<char *>(mpool_alloc(pool, 100));
    ASSERT_NE(p, nullptr);
    std::memset(p, 0xab, 100);
    EXPECT_EQ(mpool_parent(pool), nullptr);
    mpool_destroy(pool);
}

TEST_F(PoolTree, ChildKnowsItsParent) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *child = mpool_create(root);
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(mpool_parent(child), root);
    mpool_destroy(root);
}

TEST_F(PoolTree, PoolIsItsOwnAncestor) {
    mpool_t *root = mpool_create(nullptr);
    EXPECT_EQ(mpool_is_ancestor(root, root), 1);
    mpool_destroy(root);
}

TEST_F(PoolTree, AncestryFollowsTheTreeOnly) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *a = mpool_create(root);
    mpool_t *b = mpool_create(root);
    mpool_t *grandchild = mpool_create(a);
    EXPECT_EQ(mpool_is_ancestor(root, grandchild), 1);
    EXPECT_EQ(mpool_is_ancestor(a, grandchild), 1);
    EXPECT_EQ(mpool_is_ancestor(b, grandchild), 0);
    EXPECT_EQ(mpool_is_ancestor(grandchild, root), 0);
    EXPECT_EQ(mpool_is_ancestor(nullptr, root), 0);
    EXPECT_EQ(mpool_is_ancestor(root, nullptr), 0);
    mpool_destroy(root);
}

TEST_F(PoolTree, DestroyingParentDestroysChildrenNewestFirst) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *older = mpool_create(root);
    mpool_t *newer = mpool_create(root);
    mpool_cleanup_register(older, const_cast<char *>("older"), log_event);
    mpool_cleanup_register(newer, const_cast<char *>("newer"), log_event);
    mpool_destroy(root);
    EXPECT_EQ(log, (std::vector<std::string>{"newer", "older"}));
}

void set_userdata_log(void *data) { log_event(data); }

// Guards the documented order: pre-cleanups, children, cleanups, userdata.
TEST_F(PoolTree, ClearRunsPreCleanupsChildrenCleanupsUserdataInOrder) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *child = mpool_create(root);
    mpool_cleanup_register(child, const_cast<char *>("child"), log_event);
    mpool_cleanup_register(root, const_cast<char *>("cleanup1"), log_event);
    mpool_cleanup_register(root, const_cast<char *>("cleanup2"), log_event);
    mpool_pre_cleanup_register(root, const_cast<char *>("pre1"), log_event);
    mpool_pre_cleanup_register(root, const_cast<char *>("pre2"), log_event);
    mpool_userdata_set(root, "u1", const_cast<char *>("userdata1"), set_userdata_log);
    mpool_userdata_set(root, "u2", const_cast<char *>("userdata2"), set_userdata_log);
    mpool_clear(root);
    EXPECT_EQ(log, (std::vector<std::string>{"pre2", "pre1", "child", "cleanup2", "cleanup1", "userdata2", "userdata1"}));
    mpool_destroy(root);
}

TEST_F(PoolTree, DestroyRunsTheSameSequenceAsClear) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *child = mpool_create(root);
    mpool_cleanup_register(child, const_cast<char *>("child"), log_event);
    mpool_cleanup_register(root, const_cast<char *>("cleanup"), log_event);
    mpool_pre_cleanup_register(root, const_cast<char *>("pre"), log_event);
    mpool_userdata_set(root, "u", const_cast<char *>("userdata"), set_userdata_log);
    mpool_destroy(root);
    EXPECT_EQ(log, (std::vector<std::string>{"pre", "child", "cleanup", "userdata"}));
}

TEST_F(PoolTree, ClearLeavesNoChildren) {
    mpool_t *root = mpool_create(nullptr);
    mpool_create(root);
    mpool_create(root);
    mpool_clear(root);
    EXPECT_EQ(stats_of(root).children, 0u);
    mpool_destroy(root);
}

// Guards: clear keeps ordinary blocks so a refill does not go to the allocator.
TEST_F(PoolTree, ClearKeepsOrdinaryBlocks) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *pool = root_on(allocator);
    for (int i = 0; i < 1000; ++i) mpool_alloc(pool, 100);
    mpool_stats_t before = stats_of(pool);
    ASSERT_GT(before.blocks, 1u);
    mpool_clear(pool);
    mpool_stats_t after = stats_of(pool);
    EXPECT_EQ(after.blocks, before.blocks);
    EXPECT_EQ(after.bytes_reserved, before.bytes_reserved);
    size_t requests = source.requests;
    for (int i = 0; i < 1000; ++i) mpool_alloc(pool, 100);
    EXPECT_EQ(source.requests, requests);
    mpool_destroy(pool);
    mpool_allocator_destroy(allocator);
}

TEST_F(PoolTree, ClearGivesLargeBlocksBackToTheAllocator) {
    mpool_t *pool = mpool_create(nullptr);
    ASSERT_NE(mpool_alloc(pool, MPOOL_LARGE_THRESHOLD * 4), nullptr);
    mpool_stats_t before = stats_of(pool);
    size_t idle_before = mpool_allocator_idle_bytes(mpool_get_allocator(pool));
    mpool_clear(pool);
    mpool_stats_t after = stats_of(pool);
    EXPECT_EQ(after.blocks, before.blocks - 1);
    EXPECT_EQ(mpool_allocator_idle_bytes(mpool_get_allocator(pool)),
              idle_before + before.bytes_reserved - after.bytes_reserved);
    mpool_destroy(pool);
}

TEST_F(PoolTree, ClearResetsBytesAllocatedAndReusesMemory) {
    mpool_t *pool = mpool_create(nullptr);
    void *first = mpool_alloc(pool, 64);
    mpool_alloc(pool, 64);
    mpool_clear(pool);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
    EXPECT_EQ(mpool_alloc(pool, 64), first);
    mpool_destroy(pool);
}

TEST_F(PoolTree, DestroyGivesEveryBlockBackToTheAllocator) {
    mpool_t *root = mpool_create(nullptr);
    mpool_allocator_t *allocator = mpool_get_allocator(root);
    mpool_t *child = mpool_create(root);
    for (int i = 0; i < 100; ++i) mpool_alloc(child, 200);
    size_t reserved = stats_of(child).bytes_reserved;
    size_t idle_before = mpool_allocator_idle_bytes(allocator);
    mpool_destroy(child);
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), idle_before + reserved);
    mpool_destroy(root);
}

TEST_F(PoolTree, ChildSharesItsParentsAllocator) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *child = mpool_create(root);
    EXPECT_EQ(mpool_get_allocator(child), mpool_get_allocator(root));
    mpool_destroy(root);
}

TEST_F(PoolTree, ChildGivenAnAllocatorTakesBlocksFromIt) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_t *root = mpool_create(nullptr);
    mpool_options_t options{};
    options.allocator = allocator;
    mpool_t *child = mpool_create_ex(root, &options);
    EXPECT_EQ(mpool_get_allocator(child), allocator);
    EXPECT_EQ(source.live_blocks, 2u); // the allocator's record and the child's first block
    mpool_destroy(root);
    mpool_allocator_set_max_free(allocator, 0);
    EXPECT_EQ(source.live_blocks, 1u);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

TEST_F(PoolTree, RootWithGivenAllocatorLeavesItAlive) {
    TestSource source;
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_options_t options{};
    options.allocator = allocator;
    mpool_destroy(mpool_create_ex(nullptr, &options));
    mpool_t *again = mpool_create_ex(nullptr, &options);
    ASSERT_NE(again, nullptr);
    mpool_destroy(again);
    mpool_allocator_destroy(allocator);
    EXPECT_EQ(source.live_blocks, 0u);
}

TEST_F(PoolTree, UnknownFlagsAreRejected) {
    mpool_options_t options{};
    options.flags = 1u << 30;
    errno = 0;
    EXPECT_EQ(mpool_create_ex(nullptr, &options), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(PoolTree, FirstBlockSizeIsRoundedUpToABlockSize) {
    mpool_options_t options{};
    options.block_size = 1000;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    EXPECT_EQ(stats_of(pool).bytes_reserved, 1024u - MPOOL_BLOCK_SLACK);
    mpool_destroy(pool);
}

TEST_F(PoolTree, FirstBlockSizeIsCapped) {
    mpool_options_t options{};
    options.block_size = SIZE_MAX;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(stats_of(pool).bytes_reserved, MPOOL_MAX_BLOCK_SIZE);
    mpool_destroy(pool);
}

TEST_F(PoolTree, RootsFirstBlockIsTheDefaultSize) {
    mpool_t *pool = mpool_create(nullptr);
    EXPECT_EQ(stats_of(pool).bytes_reserved, MPOOL_DEFAULT_BLOCK_SIZE);
    mpool_destroy(pool);
}

// Guards the footprint: a child of a parent with no history stays tiny.
TEST_F(PoolTree, FirstChildStartsWithTheSmallestBlock) {
    SKIP_WHEN_CHECKED();
    mpool_t *root = mpool_create(nullptr);
    mpool_t *child = mpool_create(root);
    ASSERT_NE(mpool_alloc(child, 32), nullptr);
    EXPECT_EQ(stats_of(child).blocks, 1u);
    EXPECT_EQ(stats_of(child).bytes_reserved, MPOOL_MIN_BLOCK_SIZE);
    mpool_destroy(root);
}

// Guards adaptive sizing: after one child used ~17 KB, the next gets one
// block that holds as much.
// Guards the per-request pattern: once two children agree on what they
// fill, the next one gets a single block that holds it all.
TEST_F(PoolTree, ChildIsSizedFromWhatEarlierChildrenUsed) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    mpool_t *root = mpool_create(nullptr);
    for (int warm_up = 0; warm_up < 2; ++warm_up) {
        mpool_t *earlier = mpool_create(root);
        for (int i = 0; i < 64; ++i) mpool_alloc(earlier, 270);
        mpool_destroy(earlier);
    }
    mpool_t *next = mpool_create(root);
    for (int i = 0; i < 64; ++i) mpool_alloc(next, 270);
    EXPECT_EQ(stats_of(next).blocks, 1u);
    EXPECT_LT(stats_of(next).bytes_reserved, 2u * 64u * 272u);
    mpool_destroy(root);
}

// Guards against one big child inflating every later one: a single outlier
// is not believed until another child agrees with it.
TEST_F(PoolTree, OneBigChildDoesNotSizeTheNext) {
    SKIP_WHEN_CHECKED();
    mpool_t *root = mpool_create(nullptr);
    mpool_t *big = mpool_create(root);
    for (int i = 0; i < 200; ++i) mpool_alloc(big, 500);
    mpool_destroy(big);
    mpool_t *next = mpool_create(root);
    EXPECT_EQ(stats_of(next).bytes_reserved, MPOOL_MIN_BLOCK_SIZE);
    mpool_destroy(root);
}

TEST_F(PoolTree, LearnedChildSizeDecaysWhenChildrenShrink) {
    SKIP_WHEN_CHECKED();
    mpool_t *root = mpool_create(nullptr);
    for (int twice = 0; twice < 2; ++twice) { // two big children: believed
        mpool_t *big = mpool_create(root);
        mpool_alloc(big, 100000 - 20000); // large: not counted as ordinary use
        for (int i = 0; i < 200; ++i) mpool_alloc(big, 500);
        mpool_destroy(big);
    }
    size_t after_big = 0;
    for (int round = 0; round < 60; ++round) { // each small child takes 1/8 off the estimate
        mpool_t *small = mpool_create(root);
        if (round == 0) after_big = stats_of(small).bytes_reserved;
        mpool_alloc(small, 16);
        mpool_destroy(small);
    }
    mpool_t *later = mpool_create(root);
    EXPECT_GT(after_big, 100000u);
    EXPECT_EQ(stats_of(later).bytes_reserved, MPOOL_MIN_BLOCK_SIZE);
    mpool_destroy(root);
}

TEST_F(PoolTree, ClearGivesBackSpareBlocksItDidNotUse) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    mpool_t *pool = mpool_create(nullptr);
    for (int i = 0; i < 2000; ++i) mpool_alloc(pool, 100); // a spike
    mpool_clear(pool);
    size_t after_spike = stats_of(pool).bytes_reserved;
    mpool_alloc(pool, 100); // a quiet cycle uses the home block only
    mpool_clear(pool);
    EXPECT_GT(after_spike, MPOOL_DEFAULT_BLOCK_SIZE);
    EXPECT_EQ(stats_of(pool).bytes_reserved, MPOOL_DEFAULT_BLOCK_SIZE);
    EXPECT_EQ(stats_of(pool).blocks, 1u);
    mpool_destroy(pool);
}

TEST_F(PoolTree, TagIsCopied) {
    char name[] = "connection";
    mpool_options_t options{};
    options.tag = name;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    name[0] = 'X';
    EXPECT_STREQ(mpool_tag(pool), "connection");
    mpool_destroy(pool);
}

TEST_F(PoolTree, TagIsTruncatedToTagMax) {
    std::string long_tag(200, 't');
    mpool_t *pool = mpool_create(nullptr);
    mpool_set_tag(pool, long_tag.c_str());
    EXPECT_EQ(std::strlen(mpool_tag(pool)), MPOOL_TAG_MAX);
    mpool_destroy(pool);
}

TEST_F(PoolTree, TagSurvivesClear) {
    mpool_t *pool = mpool_create(nullptr);
    for (int i = 0; i < 500; ++i) mpool_alloc(pool, 48); // the tag ends up past the first block
    mpool_set_tag(pool, "request");
    mpool_clear(pool);
    EXPECT_STREQ(mpool_tag(pool), "request");
    char *p = static_cast<char *>(mpool_alloc(pool, 4096));
    std::memset(p, 0, 4096);
    EXPECT_STREQ(mpool_tag(pool), "request");
    mpool_destroy(pool);
}

// Guards the tag of a tiny pool: too long for its home block, it stays in
// the block that holds it.
TEST_F(PoolTree, LongTagOfATinyChildSurvivesClears) {
    mpool_t *root = mpool_create(nullptr);
    mpool_t *child = mpool_create(root);
    const char *tag = "a-tag-of-sixty-characters-that-cannot-fit-in-the-home-block";
    mpool_set_tag(child, tag);
    for (int round = 0; round < 3; ++round) {
        mpool_clear(child);
        EXPECT_STREQ(mpool_tag(child), tag);
        std::memset(mpool_alloc(child, 300), 0, 300);
        EXPECT_STREQ(mpool_tag(child), tag);
    }
    mpool_destroy(root);
}

TEST_F(PoolTree, SettingTagNullRemovesIt) {
    mpool_t *pool = mpool_create(nullptr);
    mpool_set_tag(pool, "x");
    mpool_set_tag(pool, nullptr);
    EXPECT_EQ(mpool_tag(pool), nullptr);
    mpool_destroy(pool);
}

// Guards the documented NULL results of the tree and tag accessors.
TEST_F(PoolTree, AccessorsOfNullPoolReturnNull) {
    EXPECT_EQ(mpool_tag(nullptr), nullptr);
    EXPECT_EQ(mpool_parent(nullptr), nullptr);
    EXPECT_EQ(mpool_get_allocator(nullptr), nullptr);
    EXPECT_EQ(mpool_is_ancestor(nullptr, nullptr), 0);
    EXPECT_EQ(mpool_userdata_get(nullptr, "key"), nullptr);
}

} // namespace
