// debug_tooling.cpp - regression tests of issue 16 (reliability, round 3).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

// A use of a destroyed debug pool is reported in debug mode; under ASan or
// memcheck the checker may see the read of its poisoned memory first.
constexpr const char *kDestroyedGone =
    "mpool: mpool_alloc on pool \"gone\", which was destroyed|AddressSanitizer|Invalid read";

uint64_t frozen_clock(void *) { return 0; } // nothing ever gets old enough to be swept

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

} // namespace
