// handles_tags_cleanups.cpp - regression tests of issue 16 (reliability, round 3):
// the C++ handle's owner slot, a tag set from itself, killed cleanups of a
// concurrent pool, a large block moved by mpool_realloc(), and the report's
// escapes.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

// --- Issue 16.3: a tag set from itself

mpool_t *tagged(const char *tag, unsigned flags) {
    mpool_options_t options{};
    options.tag = tag;
    options.flags = flags;
    return mpool_create_ex(nullptr, &options);
}

const char kLongestTag[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+";
static_assert(sizeof kLongestTag - 1 == MPOOL_TAG_MAX, "a tag of the longest length kept");

// Issue 16.3: mpool_set_tag on a concurrent pool with an overlapping source called memcpy on overlapping memory.
TEST(SetTagFromItself, ConcurrentPoolGetsTheSourcesTextAsOnEntry) {
    mpool_t *pool = tagged(kLongestTag, MPOOL_CONCURRENT);
    ASSERT_NE(pool, nullptr);
    mpool_set_tag(pool, mpool_tag(pool) + 1);
    EXPECT_STREQ(mpool_tag(pool), kLongestTag + 1);
    mpool_set_tag(pool, mpool_tag(pool));
    EXPECT_STREQ(mpool_tag(pool), kLongestTag + 1);
    mpool_set_tag(pool, mpool_tag(pool) + 40);
    EXPECT_STREQ(mpool_tag(pool), kLongestTag + 41);
    mpool_destroy(pool);
}

// Issue 16.3: the plain pool's path, with the same arguments, gives the same text (its copy is new memory).
TEST(SetTagFromItself, PlainPoolGetsTheSourcesTextAsOnEntry) {
    mpool_t *pool = tagged(kLongestTag, 0);
    ASSERT_NE(pool, nullptr);
    mpool_set_tag(pool, mpool_tag(pool) + 1);
    EXPECT_STREQ(mpool_tag(pool), kLongestTag + 1);
    mpool_set_tag(pool, mpool_tag(pool));
    EXPECT_STREQ(mpool_tag(pool), kLongestTag + 1);
    mpool_clear(pool); // the tag survives a clear
    EXPECT_STREQ(mpool_tag(pool), kLongestTag + 1);
    mpool_destroy(pool);
}

} // namespace
