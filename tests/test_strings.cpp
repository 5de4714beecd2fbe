// String helpers.
#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <clocale>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "printf_check.hpp"
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

TEST_F(Strings, StrdupCountsLengthPlusOneBytes) {
    mpool_strdup(pool, "twelve bytes");
    EXPECT_EQ(stats_of(pool).bytes_allocated, 13u);
}

// Guards the remembered lengths of the two-pass way: more parts than it
// keeps on the stack, in a pool whose cursor shows no room (concurrent).
TEST(StringsConcurrent, StrcatOfManyPartsInAConcurrentPool) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    char *s = mpool_strcat(pool, "a", "bc", "def", "ghij", "k", "lm", "nop", "qrst", "u", "vw", "xyz",
                           static_cast<char *>(nullptr));
    EXPECT_STREQ(s, "abcdefghijklmnopqrstuvwxyz");
    EXPECT_EQ(stats_of(pool).bytes_allocated, 27u);
    mpool_destroy(pool);
}

// Guards the way out of the one-pass copy: the parts outgrow the room the
// cursor shows, and the result is still whole.
TEST_F(Strings, StrcatLongerThanTheRoomLeftIsWhole) {
    mpool_alloc(pool, MPOOL_DEFAULT_BLOCK_SIZE - 400);
    std::string part(300, 'p');
    char *s = mpool_strcat(pool, part.c_str(), "|", part.c_str(), static_cast<char *>(nullptr));
    EXPECT_EQ(std::string(s), part + "|" + part);
    EXPECT_EQ(stats_of(pool).bytes_allocated, MPOOL_DEFAULT_BLOCK_SIZE - 400 + 602);
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

// The formats below are run through snprintf too: the result must be the
// same bytes. SAME(pool, fmt, args...) checks that.
#define EXPECT_SAME_AS_SNPRINTF(pool, ...)                                                                             \
    do {                                                                                                               \
        char expected[512];                                                                                            \
        int length = std::snprintf(expected, sizeof expected, __VA_ARGS__);                                           \
        ASSERT_GE(length, 0);                                                                                          \
        ASSERT_LT(static_cast<size_t>(length), sizeof expected);                                                       \
        size_t before = stats_of(pool).bytes_allocated;                                                                \
        char *got = mpool_printf(pool, __VA_ARGS__);                                                                   \
        ASSERT_NE(got, nullptr);                                                                                       \
        EXPECT_EQ(std::string(got, static_cast<size_t>(length)), std::string(expected, static_cast<size_t>(length)));  \
        EXPECT_EQ(got[length], '\0');                                                                                  \
        EXPECT_EQ(stats_of(pool).bytes_allocated - before, static_cast<size_t>(length) + 1);                           \
    } while (0)

TEST_F(Strings, PrintfFormatsSignedIntegersOfEveryLength) {
    EXPECT_SAME_AS_SNPRINTF(pool, "%d %i %d %d", 0, -1, INT_MAX, INT_MIN);
    EXPECT_SAME_AS_SNPRINTF(pool, "%hhd %hd %ld %lld", 300, 70000, LONG_MIN, LLONG_MAX);
    EXPECT_SAME_AS_SNPRINTF(pool, "%jd %zd %td", INTMAX_MIN, static_cast<size_t>(-5), PTRDIFF_MIN);
}

TEST_F(Strings, PrintfFormatsUnsignedIntegersInEveryBase) {
    EXPECT_SAME_AS_SNPRINTF(pool, "%u %o %x %X", UINT_MAX, 8u, 0xbeefu, 0xbeefu);
    EXPECT_SAME_AS_SNPRINTF(pool, "%hhu %hx %lo %llX", 511u, 0x12345u, ULONG_MAX, ULLONG_MAX);
    EXPECT_SAME_AS_SNPRINTF(pool, "%ju %zx %to", UINTMAX_MAX, SIZE_MAX, static_cast<ptrdiff_t>(-1));
}

TEST_F(Strings, PrintfFormatsCharactersStringsAndPointers) {
    EXPECT_SAME_AS_SNPRINTF(pool, "[%c|%3c|%-3c]", 'a', 'b', 'c');
    EXPECT_SAME_AS_SNPRINTF(pool, "[%s|%.2s|%8s|%-8s|%.0s]", "str", "string", "right", "left", "none");
    EXPECT_SAME_AS_SNPRINTF(pool, "[%p|%p|%20p|%-12p]", static_cast<void *>(nullptr), static_cast<void *>(&pool),
                            static_cast<void *>(&pool), static_cast<void *>(nullptr));
}

// glibc prints "(null)" for a NULL string, or nothing when the precision is
// under 6; so does mpool_printf.
TEST_F(Strings, PrintfOfANullStringIsWhatGlibcPrints) {
    const char *none = nullptr;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"
    EXPECT_SAME_AS_SNPRINTF(pool, "[%s|%.3s|%.6s|%10s]", none, none, none, none);
#pragma GCC diagnostic pop
}

TEST_F(Strings, PrintfFormatsFloatingPointAsSnprintf) {
    EXPECT_SAME_AS_SNPRINTF(pool, "%f %F %e %E %g %G %a %A", 3.14159, -0.0, 6.02e23, 1e-300, 0.0001, 1e20, 1.0, -2.5);
    EXPECT_SAME_AS_SNPRINTF(pool, "%Lf %Le %Lg %La", 1.5L, 1e4000L, 0.1L, 3.0L);
    EXPECT_SAME_AS_SNPRINTF(pool, "%f %e %g %F", HUGE_VAL, -HUGE_VAL, NAN, NAN);
    EXPECT_SAME_AS_SNPRINTF(pool, "[%+.3f|% 10.2e|%-#12g|%012.4f|%.0f|%#.0e]", 2.0, 2.0, 2.0, -2.0, 2.5, 3.0);
}

// Flags that C says are ignored in some combinations are taken as glibc
// takes them, glibc's extensions (%m, the ' flag) as glibc does, and the
// refused formats are refused: the compiler warns of those, down to the
// tests of refusals.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
TEST_F(Strings, PrintfAppliesEveryFlag) {
    EXPECT_SAME_AS_SNPRINTF(pool, "[%-5d|%+d|% d|%+ d|%05d|%-05d|%#o|%#x|%#X|%#.0o|%#5x]", 1, 2, 3, 4, -5, 6, 8u, 255u,
                            255u, 0u, 0u);
    EXPECT_SAME_AS_SNPRINTF(pool, "[%08.3d|%+.0d|% .0d|%.0x|%#08x|%+u|% x|%010p]", 7, 0, 0, 0u, 1u, 9u, 10u,
                            static_cast<void *>(&pool));
}

TEST_F(Strings, PrintfTakesWidthAndPrecisionFromArguments) {
    EXPECT_SAME_AS_SNPRINTF(pool, "[%*d|%-*d|%*d|%.*d|%.*s|%*.*f]", 6, 1, 6, 2, -6, 3, 4, 5, 3, "abcdef", 9, 2, 3.14159);
    EXPECT_SAME_AS_SNPRINTF(pool, "[%.*d|%.*s]", -1, 42, -1, "whole"); // a negative precision is none
}

TEST_F(Strings, PrintfOfPercentAndOfLiteralTextOnly) {
    EXPECT_SAME_AS_SNPRINTF(pool, "100%% literal");
    EXPECT_SAME_AS_SNPRINTF(pool, "%s", "");
}

TEST_F(Strings, PrintfOfAnEmptyResultIsAnEmptyString) {
    char *s = mpool_printf(pool, "%s", "");
    ASSERT_NE(s, nullptr);
    EXPECT_STREQ(s, "");
    EXPECT_STREQ(mpool_printf(pool, "%.0s", "hidden"), "");
    EXPECT_EQ(stats_of(pool).bytes_allocated, 2u);
}

// %m prints strerror of errno as it was when the call began (a glibc
// extension; %#m, its name).
TEST_F(Strings, PrintfPercentMIsTheMessageOfErrnoAtTheCall) {
    errno = ENOENT;
    char *s = mpool_printf(pool, "[%m|%#m]");
    char expected[256];
    std::snprintf(expected, sizeof expected, "[%s|ENOENT]", std::strerror(ENOENT));
    EXPECT_STREQ(s, expected);
}

// In the C locale the ' flag groups nothing; in another locale snprintf
// does the grouping (the conversion is delegated to it).
TEST_F(Strings, PrintfGroupingFlagGroupsAsTheLocaleSays) {
    EXPECT_SAME_AS_SNPRINTF(pool, "%'d %'u %'.2f", 1234567, 7654321u, 1234.5);
}

// A wide character that the C locale cannot convert fails as snprintf does.
TEST_F(Strings, PrintfOfAWideCharacterOutsideTheLocaleIsEilseq) {
    EXPECT_EQ(mpool_printf(pool, "%ls", L"caf\u00e9"), nullptr);
    EXPECT_EQ(errno, EILSEQ);
    EXPECT_STREQ(mpool_printf(pool, "%ls|%lc|%5ls", L"wide", static_cast<wint_t>('c'), L"ab"), "wide|c|   ab");
}

// %n would write through an argument: refused, and nothing is written.
TEST_F(Strings, PrintfRefusesPercentN) {
    int written = -7;
    EXPECT_EQ(mpool_printf(pool, "abc%n", &written), nullptr);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(written, -7);
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
}

TEST_F(Strings, PrintfRefusesPositionalArguments) {
    EXPECT_EQ(mpool_printf(pool, "%1$s", "x"), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mpool_printf(pool, "%*1$d", 5), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Strings, PrintfRefusesAnUnknownOrUnfinishedConversion) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
    EXPECT_EQ(mpool_printf(pool, "%y"), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mpool_printf(pool, "ends with %"), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(mpool_printf(pool, "%hs", "h is not for strings"), nullptr);
    EXPECT_EQ(errno, EINVAL);
#pragma GCC diagnostic pop
}
#pragma GCC diagnostic pop

TEST_F(Strings, PrintfPadsToAHundredKilobyteWidth) {
    char *s = mpool_printf(pool, "%102400d|%-102400s|", 7, "x");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::strlen(s), 2u * 102400 + 2);
    EXPECT_EQ(s[102399], '7');
    EXPECT_EQ(s[102400], '|');
    EXPECT_EQ(s[102401], 'x');
    EXPECT_EQ(s[2 * 102400], ' ');
    EXPECT_EQ(stats_of(pool).bytes_allocated, 2u * 102400 + 3);
}

// A width that does not fit an int, and a result over INT_MAX bytes, fail
// with EOVERFLOW as vsnprintf does (and ask for no memory).
TEST_F(Strings, PrintfWidthOverflowingIntIsEoverflow) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-overflow"
    EXPECT_EQ(mpool_printf(pool, "%99999999999d", 1), nullptr);
    EXPECT_EQ(errno, EOVERFLOW);
    errno = 0;
    EXPECT_EQ(mpool_printf(pool, "%*d", INT_MIN, 1), nullptr);
    EXPECT_EQ(errno, EOVERFLOW);
    errno = 0;
    EXPECT_EQ(mpool_printf(pool, "%2147483000d%2147483000d", 1, 2), nullptr);
    EXPECT_EQ(errno, EOVERFLOW);
#pragma GCC diagnostic pop
    EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
}

// The block-boundary continuation: the result starts in the room left in
// one block and needs a bigger allocation; it comes out whole, counted once.
TEST_F(Strings, PrintfThatStartsInOneBlockAndNeedsABiggerOneIsWholeAndCountedOnce) {
    mpool_alloc(pool, MPOOL_DEFAULT_BLOCK_SIZE - 600); // about 300 bytes of room left
    std::string part(250, 'z');
    char *s = mpool_printf(pool, "%s|%d|%s|%s", part.c_str(), 12345, part.c_str(), part.c_str());
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::string(s), part + "|12345|" + part + "|" + part);
    EXPECT_EQ(stats_of(pool).bytes_allocated, MPOOL_DEFAULT_BLOCK_SIZE - 600 + 3 * 250 + 8 + 1);
    EXPECT_EQ(mpool_check(pool), 0);
}

// The same through every growth step, with nothing but the result counted.
TEST_F(Strings, PrintfThatGrowsManyTimesCountsOnlyTheResult) {
    std::string expected;
    std::string chunk(1000, 'c');
    for (int i = 0; i < 40; ++i) expected += chunk;
    char *s = mpool_printf(pool, "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s",
                           chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(),
                           chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(),
                           chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(),
                           chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(),
                           chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(),
                           chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str(),
                           chunk.c_str(), chunk.c_str(), chunk.c_str(), chunk.c_str());
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::string(s), expected);
    EXPECT_EQ(stats_of(pool).bytes_allocated, expected.size() + 1);
}

// A concurrent pool formats in the calling thread's lane, once.
TEST(StringsConcurrent, PrintfInAConcurrentPoolIsWholeAndCountedOnce) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    EXPECT_STREQ(mpool_printf(pool, "%s-%05d", "lane", 42), "lane-00042");
    std::string big(20000, 'b');
    char *s = mpool_printf(pool, "<%s>", big.c_str());
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(std::string(s), "<" + big + ">");
    EXPECT_EQ(stats_of(pool).bytes_allocated, 11u + big.size() + 3);
    mpool_destroy(pool);
}

// Threads format into one concurrent pool at once, each in its own lane.
TEST(StringsConcurrent, PrintfFromManyThreadsAtOnceGivesEachItsOwnResult) {
    mpool_options_t options{};
    options.flags = MPOOL_CONCURRENT;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    constexpr int kThreads = 4, kCalls = 2000;
    std::vector<std::thread> threads;
    std::vector<int> wrong(kThreads, 0);
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kCalls; ++i) {
                char *s = mpool_printf(pool, "thread %d call %05d %*s|", t, i, i % 300, "");
                char expected[400];
                std::snprintf(expected, sizeof expected, "thread %d call %05d %*s|", t, i, i % 300, "");
                if (!s || std::strcmp(s, expected) != 0) ++wrong[static_cast<size_t>(t)];
            }
        });
    for (std::thread &thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[static_cast<size_t>(t)], 0) << "thread " << t;
    mpool_destroy(pool);
}

// Fault injection: the block source fails at each request in turn while a
// result grows through several allocations; each call either succeeds with
// the whole result or fails with ENOMEM (handler called), and nothing leaks.
int g_oom_calls = 0;
void count_oom(mpool_t *, size_t) { ++g_oom_calls; }

TEST(StringsFaults, PrintfWhoseContinuationCannotBeHadIsEnomemAndLeaksNothing) {
    std::string part(30000, 'f');
    int failures = 0;
    for (size_t k = 3; k <= 9; ++k) { // 1: the allocator's record, 2: the pool's block
        TestSource source;
        source.fail_request = k;
        mpool_allocator_t *allocator = source.make_allocator();
        mpool_options_t options{};
        options.allocator = allocator;
        options.oom = count_oom;
        mpool_t *pool = mpool_create_ex(nullptr, &options);
        ASSERT_NE(pool, nullptr);
        g_oom_calls = 0;
        errno = 0;
        char *s = mpool_printf(pool, "%s%s%s%s", part.c_str(), part.c_str(), part.c_str(), part.c_str());
        if (s) {
            EXPECT_EQ(std::strlen(s), 4 * part.size());
            EXPECT_EQ(stats_of(pool).bytes_allocated, 4 * part.size() + 1);
        } else {
            ++failures;
            EXPECT_EQ(errno, ENOMEM);
            EXPECT_EQ(g_oom_calls, 1);
            EXPECT_EQ(stats_of(pool).bytes_allocated, 0u);
            EXPECT_STREQ(mpool_printf(pool, "%s", "still usable"), "still usable");
        }
        mpool_destroy(pool);
        mpool_allocator_destroy(allocator);
        EXPECT_EQ(source.live_blocks, 0u) << "failing request " << k;
    }
    EXPECT_GE(failures, 2); // the continuation failed at more than one step
}

// Seeded formats from the fuzz target's grammar (tests/printf_check.hpp),
// here with the formatter writing into the block's room (the fuzz build lays
// every pool out for ASan, so it never does there), in a plain and in a
// concurrent pool.
TEST(StringsGrammar, PrintfMatchesSnprintfOnSeededFormats) {
    mpool_options_t options{};
    mpool_t *plain = mpool_create(nullptr);
    options.flags = MPOOL_CONCURRENT;
    mpool_t *concurrent = mpool_create_ex(nullptr, &options);
    std::mt19937_64 random(20261125);
    for (int i = 0; i < 4000; ++i) {
        uint8_t bytes[64];
        for (uint8_t &b : bytes) b = static_cast<uint8_t>(random());
        printf_check::Bytes in(bytes, sizeof bytes);
        printf_check::Case c = printf_check::make_case(in);
        mpool_t *pool = i % 4 == 0 ? concurrent : plain;
        mpool_alloc(pool, bytes[0] * size_t{7}); // a different room each time
        std::string mismatch = printf_check::check(pool, c);
        ASSERT_EQ(mismatch, "") << "case " << i;
        if (i % 100 == 99) {
            mpool_clear(plain);
            mpool_clear(concurrent);
        }
    }
    mpool_destroy(plain);
    mpool_destroy(concurrent);
}

} // namespace
