// format.cpp - mpool_vprintf's formatter: printf formatting written straight
// into pool memory, in one pass over the format and the arguments.
//
// Where the output goes. The cursor of the region the calling thread
// allocates in (the pool's own, or in a concurrent pool the thread's lane's)
// shows free room in its current block (the window): the output is written
// there, and at the end the cursor is bumped over it, so a result that fits
// costs no copy. A checked pool's cursor never shows room (its free room is
// poisoned): there the output starts in a buffer on the stack, copied into
// an allocation at the end. When the space runs out, the output moves to a
// pool allocation of twice the size, or of what the pending write needs if
// that is more, taking what was written along (each later move is
// mpool_realloc's: in place when it can be, and a large block left behind
// goes back at once), so every byte is copied a bounded number of times
// and the format is never run twice. At the end the allocation is shrunk
// to the result.
//
// What is converted here and what is delegated. Integers (d i o u x X), c,
// s, p, m and %% are converted here, byte for byte as glibc's printf does.
// Floating point (f F e E g G a A), wide characters and strings (%lc %ls %C
// %S) and integers with the ' flag are delegated one conversion at a time to
// snprintf, with the conversion's spec rebuilt (a width or precision given
// by * written as a number), straight into the output: a correct
// conversion, in the current locale (decimal point, grouping, multibyte
// encoding). A delegated conversion that does not fit is converted again
// once the space has grown for it: that conversion only, never the format.
//
// Refused with EINVAL (glibc's printf accepts some of these): %n (a write
// through an argument, the classic format string exploit, and of no use for
// a result in a pool), positional arguments (%1$s: they need a pass over
// the format before the first argument is read), an unknown conversion
// (glibc prints it as it is), a length modifier that C does not define for
// the conversion (glibc's L, q and Z on integers are taken), and a format
// that ends inside a conversion.
#include "format.hpp"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cwchar>
#include <type_traits>

#include "lanes.hpp"
#include "small_copy.hpp"

using namespace mpool::detail;

namespace {

constexpr size_t kStackBuffer = 512;   // where the output starts when the cursor shows no room
constexpr size_t kFirstGrowth = 256;   // the smallest allocation the output moves to
constexpr size_t kMaxResult = INT_MAX; // the longest result vsnprintf can report

// The output so far: bytes from start_ to at_, room up to end_, of which the
// last byte is kept for the terminator (so end_ > at_ always).
//
// bytes_allocated: the allocations the output moves through are scratch
// until the end, so each is taken out of the region's count as soon as it
// is made (the count is put back to what it was before the call that made
// it: nothing else allocates in the region meanwhile, as the pool, or in a
// concurrent pool the thread's lane, is the caller's alone). The result is
// counted once, at its size, when it is handed over. A failed call counts
// nothing of its own, and leaves what an out-of-memory handler allocated.
class Output {
public:
    // r: the region the calling thread allocates in (the pool's, or its
    // lane's in a concurrent pool).
    Output(mpool_t *pool, mpool__region *r, char *stack) : pool_(pool), region_(r) {
        char *room = r->cursor.ptr, *room_end = r->cursor.end; // no room in a checked region
        if (room != room_end) {
            start_ = at_ = room;
            end_ = room_end;
            where_ = place::block;
        } else {
            start_ = at_ = stack;
            end_ = stack + kStackBuffer;
            where_ = place::stack;
        }
    }

    // Makes room for n more bytes at at(); false with errno set when it
    // cannot be had (EOVERFLOW, or ENOMEM with the handler called).
    bool reserve(size_t n) { return n < static_cast<size_t>(end_ - at_) || grow(n); }

    char *at() const { return at_; }
    void advance(size_t n) { at_ += n; }
    // Bytes that may be written at at(), the terminator's included.
    size_t room() const { return static_cast<size_t>(end_ - at_); }

    bool put(const char *s, size_t n) {
        if (!reserve(n)) return false;
        copy_small(at_, s, n);
        at_ += n;
        return true;
    }


    // Terminates the output and hands it over as an allocation of exactly
    // length + 1 bytes. NULL with errno ENOMEM.
    char *finish() {
        *at_ = '\0';
        size_t size = static_cast<size_t>(at_ - start_) + 1;
        switch (where_) {
        case place::block: {
            char *result = region_bump(region_, size); // fits the window: takes start_ itself
            MPOOL_ASSERT(result == start_, "a result that fits the window is allocated where it was written");
            return result;
        }
        case place::stack: {
            void *result = pool_alloc(pool_, size, kAlign);
            if (result) std::memcpy(result, start_, size);
            return static_cast<char *>(result);
        }
        case place::allocation: {
            size_t counted = region_->cursor.requested;
            void *result = mpool_realloc(pool_, start_, static_cast<size_t>(end_ - start_), size); // shrinks in place
            region_->cursor.requested = counted + size;
            return static_cast<char *>(result);
        }
        }
        return nullptr;
    }

private:
    enum class place : uint8_t {
        block,     // the unclaimed room of the region's current block
        stack,     // the caller's stack buffer
        allocation // a pool allocation of end_ - start_ bytes (not counted)
    };

    [[gnu::noinline]] bool grow(size_t n) {
        size_t written = static_cast<size_t>(at_ - start_);
        if (n > kMaxResult - written) {
            errno = EOVERFLOW; // what vsnprintf reports for a result over INT_MAX bytes
            return false;
        }
        size_t need = written + n + 1, capacity = static_cast<size_t>(end_ - start_); // both at most INT_MAX + 1
        size_t wanted = capacity * 2 > need ? capacity * 2 : need;
        if (wanted < kFirstGrowth) wanted = kFirstGrowth;
        size_t counted = region_->cursor.requested;
        char *moved;
        if (where_ == place::allocation) {
            moved = static_cast<char *>(mpool_realloc(pool_, start_, capacity, wanted));
        } else {
            // From the block's room this may be start_ itself (the window
            // moves on over the same bytes): memmove.
            moved = static_cast<char *>(pool_alloc(pool_, wanted, kAlign));
            if (moved) std::memmove(moved, start_, written);
        }
        if (!moved) return false;
        region_->cursor.requested = counted;
        start_ = moved;
        at_ = moved + written;
        end_ = moved + wanted;
        where_ = place::allocation;
        return true;
    }

    mpool_t *pool_;
    mpool__region *region_; // where the calling thread allocates
    char *start_;           // the result's first byte
    char *at_;              // the next byte to write
    char *end_;             // one past the room
    place where_;           // what start_ points into
};

enum class length_modifier : uint8_t { none, hh, h, l, ll, L, q, j, z, t };

// One conversion specification, as parsed.
struct Spec {
    bool left = false;  // '-', or a negative width from '*'
    bool plus = false;  // '+'
    bool space = false; // ' '
    bool alt = false;   // '#'
    bool zero = false;  // '0'
    bool group = false; // '\''
    int width = 0;      // 0: none
    int precision = -1; // -1: none
    length_modifier length = length_modifier::none;
    char conversion = 0;
};

// Reads a decimal number of at least one digit; false when it is over INT_MAX.
bool read_number(const char **f, int *value) {
    int n = 0;
    bool fits = true;
    for (; **f >= '0' && **f <= '9'; ++*f)
        fits = fits && !__builtin_mul_overflow(n, 10, &n) && !__builtin_add_overflow(n, **f - '0', &n);
    *value = n;
    return fits;
}

// True when the digits at f are followed by '$': a positional argument.
bool is_positional(const char *f) {
    const char *digits = f;
    while (*f >= '0' && *f <= '9') ++f;
    return f != digits && *f == '$';
}

char *write_decimal(char *out, int value) {
    char digits[12], *d = digits + sizeof digits;
    unsigned v = static_cast<unsigned>(value);
    do *--d = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    size_t n = static_cast<size_t>(digits + sizeof digits - d);
    std::memcpy(out, d, n);
    return out + n;
}

class Formatter {
public:
    Formatter(mpool_t *pool, mpool__region *r, char *stack, va_list ap, int saved_errno)
        : out_(pool, r, stack), saved_errno_(saved_errno) {
        va_copy(args_, ap);
    }
    ~Formatter() { va_end(args_); }
    Formatter(const Formatter &) = delete;
    Formatter &operator=(const Formatter &) = delete;

    // Formats everything; NULL with errno set on failure.
    char *run(const char *f) {
        for (;;) {
            const char *literal = f;
            while (*f != '%' && *f != '\0') ++f;
            if (f != literal && !out_.put(literal, static_cast<size_t>(f - literal))) return nullptr;
            if (*f == '\0') return out_.finish();
            ++f;
            if (!convert(&f)) return nullptr;
        }
    }

private:
    static bool invalid() {
        errno = EINVAL;
        return false;
    }
    static bool overflow() {
        errno = EOVERFLOW;
        return false;
    }

    // Parses and writes the conversion at *f (just past its '%').
    bool convert(const char **fp) {
        const char *f = *fp;
        // The two common cases first, with nothing between '%' and them.
        if (*f == 's') {
            *fp = f + 1;
            const char *s = va_arg(args_, const char *);
            return out_.put(s ? s : "(null)", std::strlen(s ? s : "(null)"));
        }
        if (*f == 'd') {
            *fp = f + 1;
            int v = va_arg(args_, int);
            return put_integer(Spec{}, v < 0 ? 0 - static_cast<uintmax_t>(v) : static_cast<uintmax_t>(v), v < 0, 10,
                               false, true);
        }
        Spec s;
        if (is_positional(f)) return invalid();
        for (;; ++f) {
            if (*f == '-') s.left = true;
            else if (*f == '+') s.plus = true;
            else if (*f == ' ') s.space = true;
            else if (*f == '#') s.alt = true;
            else if (*f == '0') s.zero = true;
            else if (*f == '\'') s.group = true;
            else break;
        }
        if (*f == '*') {
            ++f;
            if (is_positional(f)) return invalid();
            int width = va_arg(args_, int);
            if (width == INT_MIN) return overflow(); // its magnitude is no int (glibc: EOVERFLOW too)
            if (width < 0) {
                s.left = true;
                width = -width;
            }
            s.width = width;
        } else if (!read_number(&f, &s.width)) {
            return overflow();
        }
        if (*f == '.') {
            ++f;
            if (*f == '*') {
                ++f;
                if (is_positional(f)) return invalid();
                int precision = va_arg(args_, int);
                s.precision = precision < 0 ? -1 : precision;
            } else if (!read_number(&f, &s.precision)) {
                return overflow();
            }
        }
        switch (*f) {
        case 'h':
            s.length = f[1] == 'h' ? length_modifier::hh : length_modifier::h;
            f += f[1] == 'h' ? 2 : 1;
            break;
        case 'l':
            s.length = f[1] == 'l' ? length_modifier::ll : length_modifier::l;
            f += f[1] == 'l' ? 2 : 1;
            break;
        case 'L': s.length = length_modifier::L, ++f; break;
        case 'q': s.length = length_modifier::q, ++f; break;
        case 'j': s.length = length_modifier::j, ++f; break;
        case 'z':
        case 'Z': s.length = length_modifier::z, ++f; break;
        case 't': s.length = length_modifier::t, ++f; break;
        default: break;
        }
        s.conversion = *f;
        *fp = f + 1;
        return convert_spec(s);
    }

    bool convert_spec(const Spec &s) {
        using enum length_modifier;
        switch (s.conversion) {
        case 'd':
        case 'i': {
            intmax_t v = fetch_signed(s.length);
            if (s.group) return delegate(s, static_cast<long long>(v));
            return put_integer(s, v < 0 ? 0 - static_cast<uintmax_t>(v) : static_cast<uintmax_t>(v), v < 0, 10, false,
                               true);
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            uintmax_t v = fetch_unsigned(s.length);
            if (s.group) return delegate(s, static_cast<unsigned long long>(v));
            unsigned base = s.conversion == 'u' ? 10 : s.conversion == 'o' ? 8 : 16;
            return put_integer(s, v, false, base, s.conversion == 'X', false);
        }
        case 'c':
            if (s.length == l) return delegate(s, static_cast<wint_t>(va_arg(args_, wint_t)));
            if (s.length != none) return invalid();
            return put_char(s, static_cast<char>(va_arg(args_, int)));
        case 'C':
            if (s.length != none) return invalid();
            return delegate(s, static_cast<wint_t>(va_arg(args_, wint_t)));
        case 's':
            if (s.length == l) return delegate(s, va_arg(args_, const wchar_t *));
            if (s.length != none) return invalid();
            return put_string(s, va_arg(args_, const char *));
        case 'S':
            if (s.length != none) return invalid();
            return delegate(s, va_arg(args_, const wchar_t *));
        case 'p': {
            if (s.length != none) return invalid();
            const void *p = va_arg(args_, const void *);
            if (!p) { // glibc: "(nil)", padded to the width and nothing else
                Spec nil;
                nil.left = s.left;
                nil.width = s.width;
                return put_string(nil, "(nil)");
            }
            Spec hex = s;
            hex.alt = true;
            return put_integer(hex, reinterpret_cast<uintptr_t>(p), false, 16, false, true);
        }
        case 'm': {
            if (s.length != none) return invalid();
            char message[256];
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35) // as glibc's printf there
            if (s.alt) { // glibc 2.35 on: the error's name, or its number (as %d would print it) when it has none
                if (const char *name = strerrorname_np(saved_errno_)) return put_string(s, name);
                int e = saved_errno_;
                return put_integer(s, e < 0 ? 0 - static_cast<uintmax_t>(e) : static_cast<uintmax_t>(e), e < 0, 10, false,
                                   true);
            }
#endif
            return put_string(s, strerror_r(saved_errno_, message, sizeof message)); // the GNU strerror_r, as glibc's %m
        }
        case '%': return out_.put("%", 1); // glibc: whatever stands between the two
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (s.length == none || s.length == l) return delegate(s, va_arg(args_, double));
            if (s.length == L) return delegate(s, va_arg(args_, long double));
            return invalid();
        default: return invalid(); // %n, an unknown conversion, or the format's end
        }
    }

    intmax_t fetch_signed(length_modifier length) {
        switch (length) {
        case length_modifier::hh: return static_cast<signed char>(va_arg(args_, int));
        case length_modifier::h: return static_cast<short>(va_arg(args_, int));
        case length_modifier::l: return va_arg(args_, long);
        case length_modifier::ll:
        case length_modifier::L:
        case length_modifier::q: return va_arg(args_, long long);
        case length_modifier::j: return va_arg(args_, intmax_t);
        case length_modifier::z: return static_cast<ptrdiff_t>(va_arg(args_, size_t));
        case length_modifier::t: return va_arg(args_, ptrdiff_t);
        case length_modifier::none: break;
        }
        return va_arg(args_, int);
    }

    uintmax_t fetch_unsigned(length_modifier length) {
        switch (length) {
        case length_modifier::hh: return static_cast<unsigned char>(va_arg(args_, unsigned));
        case length_modifier::h: return static_cast<unsigned short>(va_arg(args_, unsigned));
        case length_modifier::l: return va_arg(args_, unsigned long);
        case length_modifier::ll:
        case length_modifier::L:
        case length_modifier::q: return va_arg(args_, unsigned long long);
        case length_modifier::j: return va_arg(args_, uintmax_t);
        case length_modifier::z: return va_arg(args_, size_t);
        case length_modifier::t: return static_cast<size_t>(va_arg(args_, ptrdiff_t));
        case length_modifier::none: break;
        }
        return va_arg(args_, unsigned);
    }

    // Reserves `body` bytes plus the padding the width asks for, and writes
    // the left padding; the caller writes the body, then pad_right().
    bool pad_left(const Spec &s, size_t body, size_t *pad) {
        size_t width = static_cast<size_t>(s.width);
        *pad = width > body ? width - body : 0;
        if (!out_.reserve(body + *pad)) return false;
        if (!s.left && *pad) {
            std::memset(out_.at(), ' ', *pad);
            out_.advance(*pad);
        }
        return true;
    }
    void pad_right(const Spec &s, size_t pad) {
        if (s.left && pad) {
            std::memset(out_.at(), ' ', pad);
            out_.advance(pad);
        }
    }

    // An integer: sign or prefix, zeros (precision, '0', octal '#'), digits,
    // padded to the width. `is_signed`: the + and space flags apply.
    bool put_integer(const Spec &s, uintmax_t value, bool negative, unsigned base, bool upper, bool is_signed) {
        const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        char digits[sizeof(uintmax_t) * 3], *end = digits + sizeof digits, *d = end;
        if (value != 0 || s.precision != 0) {
            uintmax_t v = value;
            if (base == 10) { // two digits per division
                static constexpr char kPairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                                 "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                                 "8081828384858687888990919293949596979899";
                while (v >= 100) {
                    const char *pair = kPairs + 2 * (v % 100);
                    v /= 100;
                    *--d = pair[1];
                    *--d = pair[0];
                }
                if (v >= 10) {
                    *--d = kPairs[2 * v + 1];
                    *--d = kPairs[2 * v];
                } else {
                    *--d = static_cast<char>('0' + v);
                }
            } else {
                unsigned shift = base == 16 ? 4 : 3;
                do *--d = digit_chars[v & (base - 1)];
                while ((v >>= shift) != 0);
            }
        }
        size_t digit_count = static_cast<size_t>(end - d);
        size_t zeros = s.precision > 0 && static_cast<size_t>(s.precision) > digit_count
                           ? static_cast<size_t>(s.precision) - digit_count
                           : 0;
        if (base == 8 && s.alt && zeros == 0 && (digit_count == 0 || *d != '0')) zeros = 1; // the first digit is a 0
        char prefix[3] = {};
        size_t prefix_length = 0;
        if (negative) prefix[prefix_length++] = '-';
        else if (is_signed && s.plus) prefix[prefix_length++] = '+';
        else if (is_signed && s.space) prefix[prefix_length++] = ' ';
        if (base == 16 && s.alt && value != 0) {
            prefix[prefix_length++] = '0';
            prefix[prefix_length++] = upper ? 'X' : 'x';
        }
        size_t body = prefix_length + zeros + digit_count;
        if (s.zero && !s.left && s.precision < 0 && static_cast<size_t>(s.width) > body) {
            zeros += static_cast<size_t>(s.width) - body;
            body = static_cast<size_t>(s.width);
        }
        size_t pad;
        if (!pad_left(s, body, &pad)) return false;
        char *at = out_.at();
        for (size_t i = 0; i < prefix_length; ++i) *at++ = prefix[i];
        if (zeros) std::memset(at, '0', zeros);
        copy_small(at + zeros, d, digit_count);
        out_.advance(body);
        pad_right(s, pad);
        return true;
    }

    // A string: at most `precision` bytes of it (no byte past them is read),
    // padded to the width. NULL: "(null)", or nothing when the precision is
    // under 6 (glibc).
    bool put_string(const Spec &s, const char *str) {
        if (!str) str = s.precision < 0 || s.precision >= 6 ? "(null)" : "";
        size_t length = s.precision < 0 ? std::strlen(str) : strnlen(str, static_cast<size_t>(s.precision));
        size_t pad;
        if (!pad_left(s, length, &pad)) return false;
        copy_small(out_.at(), str, length);
        out_.advance(length);
        pad_right(s, pad);
        return true;
    }

    bool put_char(const Spec &s, char c) {
        size_t pad;
        if (!pad_left(s, 1, &pad)) return false;
        *out_.at() = c;
        out_.advance(1);
        pad_right(s, pad);
        return true;
    }

    // snprintf converts `value` with the spec rebuilt from s (integers as
    // long long, already narrowed to their length modifier).
    template <class T> bool delegate(const Spec &s, T value) {
        char spec[48], *p = spec; // '%', 6 flags, 2 numbers of 10 digits, '.', "ll", conversion, NUL
        *p++ = '%';
        if (s.left) *p++ = '-';
        if (s.plus) *p++ = '+';
        if (s.space) *p++ = ' ';
        if (s.alt) *p++ = '#';
        if (s.zero) *p++ = '0';
        if (s.group) *p++ = '\'';
        if (s.width) p = write_decimal(p, s.width);
        if (s.precision >= 0) {
            *p++ = '.';
            p = write_decimal(p, s.precision);
        }
        if constexpr (std::is_same_v<T, long long> || std::is_same_v<T, unsigned long long>) {
            *p++ = 'l';
            *p++ = 'l';
        } else if constexpr (std::is_same_v<T, long double>) {
            *p++ = 'L';
        } else if constexpr (std::is_same_v<T, wint_t> || std::is_same_v<T, const wchar_t *>) {
            if (s.conversion == 'c' || s.conversion == 's') *p++ = 'l';
        }
        *p++ = s.conversion;
        *p = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        size_t room = out_.room();
        int length = std::snprintf(out_.at(), room, spec, value);
        if (length < 0) return false; // errno from snprintf: EILSEQ, EOVERFLOW
        if (static_cast<size_t>(length) >= room) {
            if (!out_.reserve(static_cast<size_t>(length))) return false;
            std::snprintf(out_.at(), static_cast<size_t>(length) + 1, spec, value);
        }
#pragma GCC diagnostic pop
        out_.advance(static_cast<size_t>(length));
        return true;
    }

    Output out_;
    va_list args_;
    int saved_errno_; // errno when the call began, for %m
};

} // namespace

namespace mpool::detail {

char *format_to_pool(mpool_t *pool, const char *fmt, va_list ap) {
    int saved_errno = errno;
    mpool__region *r = is_concurrent(pool) ? lane_region(pool) : &pool->region;
    if (!r) return static_cast<char *>(fail_no_memory(pool, 1));
    char stack[kStackBuffer];
    Formatter formatter(pool, r, stack, ap, saved_errno);
    return formatter.run(fmt);
}

} // namespace mpool::detail
