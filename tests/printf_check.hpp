// printf_check.hpp - mpool_printf against snprintf: formats built from
// bytes by a grammar (literal text, then conversions with flags, width,
// precision, length modifier and a typed argument), run through both with
// the same arguments, compared byte for byte and on failure status. Shared
// by the libFuzzer target (fuzz/fuzz_printf.cpp) and a seeded run in the
// unit tests (tests/test_strings.cpp), which, unlike the fuzz build, lets the
// formatter write into the block's room (no sanitizer lays pools out).
#ifndef MPOOL_TESTS_PRINTF_CHECK_HPP
#define MPOOL_TESTS_PRINTF_CHECK_HPP

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cwchar>
#include <string>
#include <vector>

#include "mpool/mpool.h"

namespace printf_check {

// Bytes to decisions; past the end, zeros.
class Bytes {
public:
    Bytes(const uint8_t *data, size_t size) : data_(data), size_(size) {}
    uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    uint32_t u32() { return byte() | uint32_t{byte()} << 8 | uint32_t{byte()} << 16 | uint32_t{byte()} << 24; }
    uint64_t u64() { return u32() | uint64_t{u32()} << 32; }
    bool done() const { return at_ >= size_; }

private:
    const uint8_t *data_;
    size_t size_;
    size_t at_ = 0;
};

// What an argument is passed as (every C type printf reads is one of these
// on the ABIs we run on; char, short and wint_t go as int).
enum class kind : uint8_t { i32, i64, f64, f80, ptr };

struct Arg {
    kind type;
    int64_t integer = 0;
    double real = 0;
    long double extended = 0;
    const void *pointer = nullptr;
};

// A format and its arguments. `refused`: a format mpool_printf must refuse
// with EINVAL (snprintf is not called: %n would write through an argument).
struct Case {
    std::string format;
    std::vector<Arg> args;
    bool refused = false;
};

inline constexpr size_t kMaxArgs = 4; // every combination of kinds is one instantiation of call()

inline const std::string &long_text() {
    static const std::string text = [] {
        std::string t;
        for (int i = 0; i < 3000; ++i) t += static_cast<char>('a' + i % 26);
        return t;
    }();
    return text;
}

inline const char *pick_string(uint8_t b) {
    static const char *const strings[] = {"", "x", "hello", "with space", "caf\xc3\xa9", "%d%s%n", "0123456789abcdef0123"};
    switch (b % 10) {
    case 7: return nullptr;
    case 8: return long_text().c_str();
    case 9: return long_text().c_str() + long_text().size() - 100;
    default: return strings[b % 7];
    }
}

inline const wchar_t *pick_wide(uint8_t b) {
    static const wchar_t *const strings[] = {L"", L"w", L"wide text", nullptr, L"caf\u00e9"}; // the last: EILSEQ in the C locale
    return strings[b % 5];
}

inline int64_t pick_integer(Bytes &in) {
    static const int64_t special[] = {0, 1, -1, 7, 10, 255, 256, 65535, 65536, INT_MAX, INT_MIN, UINT_MAX,
                                      INT64_MAX, INT64_MIN, 1000000007, -42};
    uint8_t b = in.byte();
    if (b < 128) return special[b % 16];
    if (b < 192) return static_cast<int64_t>(in.u32());
    return static_cast<int64_t>(in.u64());
}

inline double pick_real(Bytes &in) {
    static const double special[] = {0.0, -0.0, 1.0, 0.5, 1.5, 2.5, -3.75, 1e-5, 123456.789, 1e15, 1e300,
                                     -1e-300, DBL_MIN / 4, HUGE_VAL, -HUGE_VAL, NAN, 0.1, 9.9999999, DBL_MAX, 1e22};
    uint8_t b = in.byte();
    if (b < 160) return special[b % 20];
    uint64_t bits = in.u64();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

// Appends one conversion and its arguments; false when no argument slot
// is left for it.
inline bool add_conversion(Bytes &in, Case &c) {
    struct Conversion {
        const char *text; // length modifier and conversion
        kind type;
        char family; // i: integer, c, s, w (wide string), p, f, m
    };
    static const Conversion conversions[] = {
        {"d", kind::i32, 'i'},   {"i", kind::i32, 'i'},   {"u", kind::i32, 'i'},   {"o", kind::i32, 'i'},
        {"x", kind::i32, 'i'},   {"X", kind::i32, 'i'},   {"hhd", kind::i32, 'i'}, {"hhu", kind::i32, 'i'},
        {"hd", kind::i32, 'i'},  {"hx", kind::i32, 'i'},  {"ld", kind::i64, 'i'},  {"lu", kind::i64, 'i'},
        {"lo", kind::i64, 'i'},  {"lld", kind::i64, 'i'}, {"llX", kind::i64, 'i'}, {"jd", kind::i64, 'i'},
        {"ju", kind::i64, 'i'},  {"zu", kind::i64, 'i'},  {"zd", kind::i64, 'i'},  {"td", kind::i64, 'i'},
        {"tx", kind::i64, 'i'},  {"Ld", kind::i64, 'i'},  {"qu", kind::i64, 'i'},  {"Zx", kind::i64, 'i'},
        {"c", kind::i32, 'c'},   {"lc", kind::i32, 'c'},  {"C", kind::i32, 'c'},   {"s", kind::ptr, 's'},
        {"ls", kind::ptr, 'w'},  {"S", kind::ptr, 'w'},   {"p", kind::ptr, 'p'},   {"m", kind::i32, 'm'},
        {"f", kind::f64, 'f'},   {"F", kind::f64, 'f'},   {"e", kind::f64, 'f'},   {"E", kind::f64, 'f'},
        {"g", kind::f64, 'f'},   {"G", kind::f64, 'f'},   {"a", kind::f64, 'f'},   {"A", kind::f64, 'f'},
        {"lf", kind::f64, 'f'},  {"Lf", kind::f80, 'f'},  {"Le", kind::f80, 'f'},  {"Lg", kind::f80, 'f'},
        {"La", kind::f80, 'f'},  {"%", kind::i32, '%'},
    };
    const Conversion &conv = conversions[in.byte() % (sizeof conversions / sizeof conversions[0])];
    uint8_t flags = in.byte(), width_mode = in.byte(), precision_mode = in.byte();
    size_t needed = (conv.family == 'm' || conv.family == '%' ? 0u : 1u) + (width_mode % 4 == 3 ? 1u : 0u) +
                    (precision_mode % 4 == 3 ? 1u : 0u);
    if (c.args.size() + needed > kMaxArgs) return false;
    std::string spec = "%";
    for (int bit = 0; bit < 6; ++bit)
        if (flags & (1u << bit)) spec += "-+ #0'"[bit];
    auto number = [&](uint8_t mode) -> std::string {
        uint8_t b = in.byte();
        if (mode >= 128) return std::to_string(b % 8);
        if (mode >= 32) return std::to_string(b % 40);
        if (mode >= 4) return std::to_string(b * 97 + in.byte()); // up to about 25,000
        return std::to_string(70000 + b);                          // past the largest ordinary block
    };
    if (width_mode % 4 == 1 || width_mode % 4 == 2) spec += number(width_mode);
    if (width_mode % 4 == 3) {
        spec += '*';
        int width = static_cast<int>(static_cast<int8_t>(in.byte())); // negative: left-justified
        c.args.push_back({kind::i32, width});
    }
    if (precision_mode % 4 == 1) spec += '.';
    if (precision_mode % 4 == 2) {
        spec += '.';
        spec += number(precision_mode);
    }
    if (precision_mode % 4 == 3) {
        spec += ".*";
        c.args.push_back({kind::i32, static_cast<int8_t>(in.byte())}); // negative: as if none
    }
    spec += conv.text;
    c.format += spec;
    Arg arg{conv.type};
    switch (conv.family) {
    case 'i': arg.integer = pick_integer(in); break;
    case 'c': {
        uint8_t b = in.byte();
        arg.integer = b < 200 ? 'A' + b % 26 : b < 250 ? 0 : 0xe9; // 0: a NUL in the result; 0xe9: EILSEQ for %lc
        break;
    }
    case 's': arg.pointer = pick_string(in.byte()); break;
    case 'w': arg.pointer = pick_wide(in.byte()); break;
    case 'p': arg.pointer = reinterpret_cast<const void *>(static_cast<uintptr_t>(in.byte() < 64 ? 0 : in.u64())); break;
    case 'f':
        arg.real = pick_real(in);
        arg.extended = static_cast<long double>(arg.real) * (in.byte() < 64 ? 1e10L : 1.0L);
        break;
    default: return true; // %m, %%: no argument
    }
    c.args.push_back(arg);
    return true;
}

// A format from the bytes: literal text and conversions, sometimes one
// that mpool_printf refuses.
inline Case make_case(Bytes &in) {
    static const char *const literals[] = {"", "a", "key=", ":", "/", "?", " ", "\xc3\xa9", "%%", "0123456789"};
    static const char *const refused[] = {"%n", "%hhn", "%1$d", "%*1$d", "%.*2$d", "%y", "%", "%hs", "%lp", "%5-d",
                                          "%Ls", "%jf", "%I", "%hm"};
    Case c;
    for (int piece = 0; piece < 12 && !in.done(); ++piece) {
        uint8_t what = in.byte();
        if (what < 100) {
            c.format += literals[what % 10];
        } else if (what < 110) {
            c.format += std::string(in.byte() * 13u, 'L'); // a run of literal text
        } else if (what == 110) {
            const char *bad = refused[in.byte() % 14];
            c.format += bad;
            c.refused = true;
            if (std::strcmp(bad, "%") == 0) break; // only at the end is it an unfinished conversion
        } else if (!add_conversion(in, c)) {
            break;
        }
    }
    return c;
}

// Calls f(args...) with the case's arguments as their C types.
template <class F, class... A> auto call(F &f, const std::vector<Arg> &args, size_t i, A... done) {
    if constexpr (sizeof...(A) < kMaxArgs) {
        if (i < args.size()) {
            const Arg &a = args[i];
            switch (a.type) {
            case kind::i32: return call(f, args, i + 1, done..., static_cast<int>(a.integer));
            case kind::i64: return call(f, args, i + 1, done..., static_cast<long long>(a.integer));
            case kind::f64: return call(f, args, i + 1, done..., a.real);
            case kind::f80: return call(f, args, i + 1, done..., a.extended);
            case kind::ptr: return call(f, args, i + 1, done..., a.pointer);
            }
        }
    }
    return f(done...);
}

// Runs the case through mpool_printf in `pool` and through snprintf; ""
// when they agree (the same bytes and length, or both failing with the same
// errno, and bytes_allocated grown by the result's size exactly), else what
// differed.
// may_run_out: the pool's block source may fail, and mpool_printf may then
// fail with ENOMEM where snprintf does not.
inline std::string check(mpool_t *pool, const Case &c, bool may_run_out = false) {
    const char *fmt = c.format.c_str();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
    auto through_mpool = [&](auto... a) {
        errno = ENOENT; // what %m prints, in both
        return mpool_printf(pool, fmt, a...);
    };
    mpool_stats_t before, after;
    mpool_get_stats(pool, 0, &before);
    char *got = call(through_mpool, c.args, 0);
    int got_errno = errno;
    mpool_get_stats(pool, 0, &after);
    if (c.refused) {
        // (or failed earlier: a wide character, a width that overflows, or
        // the source that fails on purpose)
        bool earlier = got_errno == EILSEQ || got_errno == EOVERFLOW || (may_run_out && got_errno == ENOMEM);
        if (got || (got_errno != EINVAL && !earlier))
            return "not refused with EINVAL: \"" + c.format + "\"";
        return "";
    }
    std::vector<char> expected(256);
    auto through_snprintf = [&](auto... a) {
        errno = ENOENT;
        int n = std::snprintf(expected.data(), expected.size(), fmt, a...);
        if (n >= 0 && static_cast<size_t>(n) >= expected.size()) {
            expected.resize(static_cast<size_t>(n) + 1);
            errno = ENOENT;
            n = std::snprintf(expected.data(), expected.size(), fmt, a...);
        }
        return n;
    };
#pragma GCC diagnostic pop
    int length = call(through_snprintf, c.args, 0);
    int want_errno = errno;
    std::string where = " for \"" + c.format.substr(0, 200) + "\"";
    if (length < 0) {
        if (got) return "snprintf failed (errno " + std::to_string(want_errno) + "), mpool_printf did not" + where;
        if (got_errno != want_errno && !(may_run_out && got_errno == ENOMEM))
            return "errno " + std::to_string(got_errno) + ", snprintf's " + std::to_string(want_errno) + where;
        return "";
    }
    if (!got && may_run_out && got_errno == ENOMEM) return "";
    if (!got) return "mpool_printf failed (errno " + std::to_string(got_errno) + "), snprintf did not" + where;
    size_t size = static_cast<size_t>(length) + 1;
    if (std::memcmp(got, expected.data(), size) != 0) {
        size_t at = 0;
        while (got[at] == expected[at]) ++at;
        return "bytes differ from offset " + std::to_string(at) + ": \"" + std::string(got + at, std::min<size_t>(40, size - at)) +
               "\" instead of \"" + std::string(expected.data() + at, std::min<size_t>(40, size - at)) + "\"" + where;
    }
    if (after.bytes_allocated - before.bytes_allocated != size)
        return "bytes_allocated grew by " + std::to_string(after.bytes_allocated - before.bytes_allocated) + ", not " +
               std::to_string(size) + where;
    return "";
}

} // namespace printf_check

#endif
