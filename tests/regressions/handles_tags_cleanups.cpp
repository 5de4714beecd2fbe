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

// --- Issue 16.8: a large allocation shrunk, then moved

// Issue 16.8: a large allocation shrunk in place and then moved kept its block until the next clear: whether it had a block of its own was decided by the caller's old size.
TEST(ReallocLargeShrunk, MovedAfterShrinkingGivesItsBlockBack) {
    if (mpool_check_modes() & MPOOL_CHECK_DEBUG) GTEST_SKIP() << "debug mode keeps a moved large block until clear";
    mpool_t *pool = mpool_create(nullptr);
    ASSERT_NE(pool, nullptr);
    mpool_stats_t empty = stats_of(pool);
    auto *p = static_cast<char *>(mpool_alloc(pool, 200000));
    ASSERT_NE(p, nullptr);
    std::memset(p, 'x', 100);
    ASSERT_EQ(mpool_realloc(pool, p, 200000, 100), p); // shrunk in place: the large block stays
    EXPECT_EQ(stats_of(pool).blocks, empty.blocks + 1);
    auto *q = static_cast<char *>(mpool_realloc(pool, p, 100, 300000));
    ASSERT_NE(q, nullptr);
    EXPECT_NE(q, p);
    EXPECT_EQ(std::string(q, 100), std::string(100, 'x'));
    mpool_stats_t moved = stats_of(pool);
    EXPECT_EQ(moved.blocks, empty.blocks + 1); // q's block only: p's went back
    EXPECT_LT(moved.bytes_reserved, empty.bytes_reserved + 300000 + 4096);
    EXPECT_EQ(moved.bytes_allocated, empty.bytes_allocated + 300000);
    mpool_destroy(pool);
}

// --- Issue 16.11: the report's escapes

std::string report_of(const mpool_t *pool, unsigned flags) {
    char *text = nullptr;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    EXPECT_EQ(mpool_report(pool, out, flags), 0);
    std::fclose(out);
    std::string s(text, size);
    std::free(text);
    return s;
}

// C1 controls (U+0080, U+0085, U+009F), the line and paragraph separators
// (U+2028, U+2029), and their neighbours that are neither (U+00A0, U+2027,
// U+202A), as UTF-8.
const char kLineBreakingTag[] = "a\xc2\x80"
                                "b\xc2\x85"
                                "c\xc2\x9f"
                                "d\xe2\x80\xa8"
                                "e\xe2\x80\xa9"
                                "f\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa";

// Issue 16.11: the text report let a tag forge lines: C1 controls and U+2028/U+2029 were written raw.
TEST(ReportEscapes, TextReportEscapesC1ControlsAndLineSeparators) {
    mpool_t *pool = tagged(kLineBreakingTag, 0);
    ASSERT_NE(pool, nullptr);
    std::string text = report_of(pool, 0);
    EXPECT_EQ(text.substr(0, text.find("  allocated")),
              "a\\xc2\\x80b\\xc2\\x85c\\xc2\\x9fd\\xe2\\x80\\xa8e\\xe2\\x80\\xa9f\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa");
    mpool_destroy(pool);
}

// Issue 16.11: the JSON report wrote C1 controls and U+2028/U+2029 raw, which tools that split lines on them cut.
TEST(ReportEscapes, JsonReportEscapesC1ControlsAndLineSeparators) {
    mpool_t *pool = tagged(kLineBreakingTag, 0);
    ASSERT_NE(pool, nullptr);
    std::string json = report_of(pool, MPOOL_REPORT_JSON);
    EXPECT_EQ(json.substr(0, json.find(", \"bytes_allocated\"")),
              "{\"tag\": \"a\\u0080b\\u0085c\\u009fd\\u2028e\\u2029f\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa\"");
    mpool_destroy(pool);
}

} // namespace
