// String helpers.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "test_support.hpp"

namespace {

class Strings : public ::testing::Test {
protected:
    mpool_t *pool = nullptr;
    void SetUp() override {
        pool = mpool_create(nullptr);
        errno = 0;
    }
    void TearDown() override { mpool_destroy(pool); }
};

TEST_F(Strings, StrdupCopies) {
    const char *s = "hello";
    char *copy = mpool_strdup(pool, s);
    EXPECT_STREQ(copy, "hello");
    EXPECT_NE(copy, s);
}

TEST_F(Strings, StrdupOfNullIsInvalid) {
    EXPECT_EQ(mpool_strdup(pool, nullptr), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Strings, StrndupStopsAfterNBytes) { EXPECT_STREQ(mpool_strndup(pool, "abcdef", 3), "abc"); }

TEST_F(Strings, StrndupStopsAtTheTerminator) { EXPECT_STREQ(mpool_strndup(pool, "ab", 100), "ab"); }

// Guards against reading past s[n-1]: the source has no terminator, and
// AddressSanitizer would report a read past it.
TEST_F(Strings, StrndupReadsNoMoreThanNBytes) {
    char *unterminated = static_cast<char *>(std::malloc(4));
    std::memcpy(unterminated, "wxyz", 4);
    EXPECT_STREQ(mpool_strndup(pool, unterminated, 4), "wxyz");
    std::free(unterminated);
}

TEST_F(Strings, StrndupOfNullIsInvalid) {
    EXPECT_EQ(mpool_strndup(pool, nullptr, 3), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Strings, StrcatJoinsEveryPart) {
    EXPECT_STREQ(mpool_strcat(pool, "GET", " ", "/index.html", " ", "HTTP/1.1", static_cast<char *>(nullptr)),
                 "GET /index.html HTTP/1.1");
}

TEST_F(Strings, StrcatOfNothingIsEmpty) { EXPECT_STREQ(mpool_strcat(pool, static_cast<char *>(nullptr)), ""); }

TEST_F(Strings, StrcatOfNullPoolIsInvalid) {
    EXPECT_EQ(mpool_strcat(nullptr, "a", static_cast<char *>(nullptr)), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Strings, PrintfFormats) { EXPECT_STREQ(mpool_printf(pool, "%s=%d;%05.1f", "x", 42, 3.14159), "x=42;003.1"); }

// Guards the one-pass promise: a result that fits is written where the
// cursor was.
TEST_F(Strings, PrintfWritesInPlaceWhenItFits) {
    mpool_alloc(pool, 16);
    char *expected = static_cast<char *>(mpool_alloc(pool, 6)); // where the result's bytes would go
    mpool_clear(pool); // the same cursor again
    mpool_alloc(pool, 16);
    char *s = mpool_printf(pool, "%d", 12345);
    EXPECT_EQ(s, expected);
    EXPECT_STREQ(s, "12345");
    EXPECT_EQ(stats_of(pool).bytes_allocated, 16u + 6u);
}

TEST_F(Strings, PrintfOfAHundredKilobytes) {
    std::string big(100 * 1024, 'q');
    char *s = mpool_printf(pool, "<%s>", big.c_str());
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::strlen(s), big.size() + 2);
    EXPECT_EQ(s[0], '<');
    EXPECT_EQ(s[big.size() + 1], '>');
}

TEST_F(Strings, PrintfThatOverflowsTheBlockStillFormatsEverything) {
    mpool_alloc(pool, MPOOL_DEFAULT_BLOCK_SIZE - 400); // leave little room
    std::string part(300, 'z');
    char *s = mpool_printf(pool, "%s%s", part.c_str(), part.c_str());
    EXPECT_EQ(std::string(s), part + part);
}

TEST_F(Strings, PrintfOfNullFormatIsInvalid) {
    EXPECT_EQ(mpool_printf(pool, nullptr), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

} // namespace
