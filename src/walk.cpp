// walk.cpp - mpool_walk() and mpool_report(): a pool's subtree, pool by
// pool, parents before children, with no recursion.
//
// Which pools a walk sees. Other threads may create, clear, rewind,
// reparent and destroy pools below the walked one while it runs (the server
// pattern: workers make and drop children of one long-lived pool while
// another thread reports on it). The walk reads a pool only while it is
// inside it (walk_entry.cpp): it enters each child it goes down to, under
// the lock of the child's list, when the child is live, and leaves it once
// the child's subtree is done; meanwhile the child's clear, rewind, destroy
// or reparent waits. A child whose teardown has begun is passed over, with
// its subtree. Every list of children is read under its lock.
//
// Order: a pool, then its children, each followed by its own subtree:
// those on lanes, lane by lane (newest lane first), newest first in each;
// then those on the own list, newest first (they are older than all the
// lanes' ones). So each thread's children come newest first. Depth-first
// as teardown.cpp goes, keeping no stack: the walk climbs back through
// parent links (fixed while it is inside: a reparent waits) and carries on
// with the next sibling.
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "tree.hpp"

using namespace mpool::detail;

namespace {

// The first child from `child` on along its list that the walk can enter,
// entered; NULL when none. Under the list's lock.
const mpool_t *enter_first_live(const mpool_t *child) {
    for (; child; child = child->next_sibling)
        if (walk_enter_locked(child)) return child;
    return nullptr;
}

// The first child of `parent` that the walk can enter, on the lanes from
// `lane` on, then on the own list; entered. NULL when there is none.
const mpool_t *enter_child_from(const mpool_t *parent, mpool__lane *lane) {
    for (; lane; lane = lane->next) { // lanes live as long as the parent, which the walk is inside
        std::lock_guard guard(lane->cache.lock);
        if (const mpool_t *child = enter_first_live(lane->children)) return child;
    }
    std::lock_guard guard(parent->allocator->lock);
    return enter_first_live(parent->first_child);
}

// The next child after `child` (entered) that the walk can enter, entered;
// NULL when there is none. Leaves `child`.
const mpool_t *enter_next_sibling(const mpool_t *child) {
    const mpool_t *parent = child->parent;
    mpool__lane *lane = lane_of(child); // read while the walk is inside it: it cannot move
    {
        child_list_lock guard(child);
        const mpool_t *next = enter_first_live(child->next_sibling);
        walk_leave_locked(child);
        if (next) return next;
    }
    return lane ? enter_child_from(parent, lane->next) : nullptr; // the own list comes last
}

// Leaves `pool` and its ancestors up to `top`, which a walk does not enter.
void leave_up_to(const mpool_t *pool, const mpool_t *top) {
    while (pool != top) {
        const mpool_t *parent = pool->parent;
        walk_leave(pool);
        pool = parent;
    }
}

int walk(const mpool_t *top, mpool_visit_fn visit, void *ctx) {
    const mpool_t *pool = top; // `top`, or a pool the walk is inside
    unsigned depth = 0;
    for (;;) {
        mpool_stats_t own;
        pool_own_stats(pool, &own);
        if (int stop = visit(pool, depth, &own, ctx)) {
            leave_up_to(pool, top);
            return stop;
        }
        if (const mpool_t *child = enter_child_from(pool, first_lane(pool))) {
            pool = child;
            ++depth;
            continue;
        }
        for (;;) { // climb until a pool has a next sibling
            if (pool == top) return 0;
            const mpool_t *parent = pool->parent;
            if (const mpool_t *sibling = enter_next_sibling(pool)) {
                pool = sibling;
                break;
            }
            pool = parent;
            --depth;
        }
    }
}

// --- the report

// A line of the report is built here, then written in one call.
class Line {
public:
    void add(const char *s) { add(s, std::strlen(s)); }
    void add(const char *s, size_t n) {
        if (n > sizeof text_ - 1 - length_) n = sizeof text_ - 1 - length_; // cannot happen: a line is bounded
        std::memcpy(text_ + length_, s, n);
        length_ += n;
        text_[length_] = '\0';
    }
    void add_char(char c) { add(&c, 1); }
    // A count with thousands separated by commas: 1,234,567.
    void add_count(size_t value) {
        char digits[32];
        int n = std::snprintf(digits, sizeof digits, "%zu", value);
        for (int i = 0; i < n; ++i) {
            if (i > 0 && (n - i) % 3 == 0) add_char(',');
            add_char(digits[i]);
        }
    }
    void add_number(size_t value) {
        char digits[32];
        int n = std::snprintf(digits, sizeof digits, "%zu", value);
        add(digits, static_cast<size_t>(n));
    }
    // The text report's escape of one byte: \xNN.
    void add_byte_escape(unsigned char byte) {
        char escape[8];
        int n = std::snprintf(escape, sizeof escape, "\\x%02x", byte);
        add(escape, static_cast<size_t>(n));
    }
    // JSON's escape of a character of the Basic Multilingual Plane: \uXXXX.
    void add_json_escape(uint32_t code) {
        char escape[8];
        int n = std::snprintf(escape, sizeof escape, "\\u%04" PRIx32, code);
        add(escape, static_cast<size_t>(n));
    }
    const char *text() const { return text_; }

private:
    char text_[1024] = {}; // a tag escaped is at most 6 * MPOOL_TAG_MAX bytes; the figures fit in the rest
    size_t length_ = 0;
};

// The length of the valid UTF-8 sequence at s (n bytes left), or 0 when
// the bytes there are not one (overlong forms and surrogates are not).
size_t utf8_sequence(const unsigned char *s, size_t n) {
    unsigned char b = s[0];
    size_t length;
    uint32_t min, code;
    if (b < 0x80) return 1;
    if ((b & 0xe0) == 0xc0) {
        length = 2, min = 0x80, code = b & 0x1fu;
    } else if ((b & 0xf0) == 0xe0) {
        length = 3, min = 0x800, code = b & 0x0fu;
    } else if ((b & 0xf8) == 0xf0) {
        length = 4, min = 0x10000, code = b & 0x07u;
    } else {
        return 0;
    }
    if (length > n) return 0;
    for (size_t i = 1; i < length; ++i) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        code = code << 6 | (s[i] & 0x3fu);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return length;
}

// The code point of the valid UTF-8 sequence at s, `length` bytes (1 to 4).
uint32_t code_point(const unsigned char *s, size_t length) {
    static constexpr unsigned char kLeadBits[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t code = s[0] & kLeadBits[length];
    for (size_t i = 1; i < length; ++i) code = code << 6 | (s[i] & 0x3fu);
    return code;
}

// The characters both reports escape, since a tool may take them for the
// end of a line or act on them: the C0 controls, DEL, the C1 controls
// (U+0080 to U+009F; U+0085 is NEL, a line end) and the line and paragraph
// separators U+2028 and U+2029.
bool is_escaped(uint32_t code) {
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code == 0x2028 || code == 0x2029;
}

// A tag as a JSON string. Quotes and backslashes are escaped (\", \\), and
// so are the characters of is_escaped() (\u00XX, \u2028): JSON allows the C1
// controls and the separators raw, but a tool that splits lines on them
// would cut the document. Other valid UTF-8 passes through as it is; a byte
// that is not part of valid UTF-8 is written as \u00XX, its Latin-1
// reading, so the document is always valid UTF-8 and no byte of the tag is
// dropped.
void add_json_string(Line *line, const char *tag) {
    const auto *s = reinterpret_cast<const unsigned char *>(tag);
    size_t n = std::strlen(tag);
    line->add_char('"');
    for (size_t i = 0; i < n;) {
        unsigned char b = s[i];
        size_t length = utf8_sequence(s + i, n - i);
        uint32_t code = length ? code_point(s + i, length) : b; // a stray byte: its Latin-1 reading
        if (b == '"' || b == '\\') {
            line->add_char('\\');
            line->add_char(static_cast<char>(b));
        } else if (length == 0 || is_escaped(code)) {
            line->add_json_escape(code);
        } else {
            line->add(tag + i, length);
        }
        i += length ? length : 1;
    }
    line->add_char('"');
}

// A tag in the text report: backslashes escaped as \\, and the bytes of the
// characters of is_escaped() and bytes that are not valid UTF-8 as \xNN
// (U+0085 is \xc2\x85), so that a pool is always one line of valid UTF-8,
// read back byte for byte; other bytes as they are.
void add_text_tag(Line *line, const mpool_t *pool) {
    const char *tag = pool->tag;
    if (!tag) {
        char name[48];
        std::snprintf(name, sizeof name, "(untagged %p)", static_cast<const void *>(pool));
        line->add(name);
        return;
    }
    const auto *s = reinterpret_cast<const unsigned char *>(tag);
    size_t n = std::strlen(tag);
    for (size_t i = 0; i < n;) {
        size_t length = utf8_sequence(s + i, n - i);
        size_t span = length ? length : 1;
        if (s[i] == '\\') {
            line->add("\\\\");
        } else if (length == 0 || is_escaped(code_point(s + i, length))) {
            for (size_t k = 0; k < span; ++k) line->add_byte_escape(s[i + k]);
        } else {
            line->add(tag + i, length);
        }
        i += span;
    }
}

struct Report {
    FILE *out;
    bool json;
    int error = 0;            // the first write's failure (an errno value)
    bool any = false;         // a pool was written
    unsigned last_depth = 0;  // of the pool written last
    size_t pools = 0;         // visited
    mpool_stats_t total = {}; // the visited pools' figures added up

    bool write(const char *s) {
        if (std::fputs(s, out) < 0) error = errno ? errno : EIO;
        return error == 0;
    }
    bool indent(unsigned depth) {
        static const char spaces[] = "                                                                ";
        for (size_t left = size_t{depth} * 2; left > 0 && error == 0;) {
            size_t n = left < sizeof spaces - 1 ? left : sizeof spaces - 1;
            write(spaces + (sizeof spaces - 1 - n));
            left -= n;
        }
        return error == 0;
    }
    // JSON: closes the objects from `from` down to `to` (depths): the one at
    // `from` has no children written, the others had.
    bool close_objects(unsigned from, unsigned to) {
        write("]}");
        for (unsigned depth = from; depth > to && error == 0;) {
            --depth;
            write("\n");
            indent(depth);
            write("]}");
        }
        return error == 0;
    }
};

// The figures both forms of a report give for each pool, in order: their
// names in the text form and in JSON, and their values.
struct Figure {
    const char *text;
    const char *json;
    size_t value;
};

std::array<Figure, 4> figures_of(const mpool_stats_t *own) {
    return {{{"allocated", "bytes_allocated", own->bytes_allocated},
             {"reserved", "bytes_reserved", own->bytes_reserved},
             {"blocks", "blocks", own->blocks},
             {"cleanups", "cleanups", own->cleanups}}};
}

// "  allocated N  reserved N  blocks N  cleanups N", of a pool or a total.
void add_text_figures(Line *line, const mpool_stats_t *stats) {
    for (const Figure &f : figures_of(stats)) {
        line->add("  ");
        line->add(f.text);
        line->add(" ");
        line->add_count(f.value);
    }
}

bool write_text_line(Report *r, const mpool_t *pool, unsigned depth, const mpool_stats_t *own) {
    Line line;
    add_text_tag(&line, pool);
    add_text_figures(&line, own);
    line.add("  children ");
    line.add_count(own->children);
    line.add("\n");
    return r->indent(depth) && r->write(line.text());
}

bool write_json_object(Report *r, const mpool_t *pool, unsigned depth, const mpool_stats_t *own) {
    if (r->any) {
        if (depth == r->last_depth + 1) {
            r->write("\n");
        } else {
            r->close_objects(r->last_depth, depth);
            r->write(",\n");
        }
        r->indent(depth);
    }
    Line line;
    line.add("{\"tag\": ");
    if (pool->tag)
        add_json_string(&line, pool->tag);
    else
        line.add("null");
    for (const Figure &f : figures_of(own)) {
        line.add(", \"");
        line.add(f.json);
        line.add("\": ");
        line.add_number(f.value);
    }
    line.add(", \"children_not_visited\": 0, \"children\": ["); // always 0 since every child is visited: kept for readers
    return r->write(line.text());
}

int report_pool(const mpool_t *pool, unsigned depth, const mpool_stats_t *own, void *ctx) {
    auto *r = static_cast<Report *>(ctx);
    bool written = r->json ? write_json_object(r, pool, depth, own) : write_text_line(r, pool, depth, own);
    if (!written) return 1;
    r->any = true;
    r->last_depth = depth;
    r->pools += 1;
    r->total.bytes_allocated += own->bytes_allocated;
    r->total.bytes_reserved += own->bytes_reserved;
    r->total.blocks += own->blocks;
    r->total.cleanups += own->cleanups;
    return 0;
}

bool write_totals(Report *r) {
    Line line;
    line.add("total");
    add_text_figures(&line, &r->total);
    line.add("  pools ");
    line.add_count(r->pools);
    line.add("\n");
    return r->write(line.text());
}

} // namespace

extern "C" {

int mpool_walk(const mpool_t *pool, mpool_visit_fn visit, void *ctx) {
    if (!pool || !visit) return EINVAL;
    check_not_destroyed(pool, "mpool_walk");
    if (!walk_begin()) return EAGAIN;
    int result = walk(pool, visit, ctx);
    walk_end();
    return result;
}

int mpool_report(const mpool_t *pool, FILE *out, unsigned flags) {
    if (!pool || !out || (flags & ~MPOOL_REPORT_JSON) != 0) return EINVAL;
    check_not_destroyed(pool, "mpool_report");
    if (!walk_begin()) return EAGAIN;
    int saved_errno = errno;
    errno = 0;
    Report r{out, (flags & MPOOL_REPORT_JSON) != 0};
    walk(pool, report_pool, &r);
    walk_end();
    if (r.error == 0) {
        if (r.json)
            r.close_objects(r.last_depth, 0) && r.write("\n");
        else
            write_totals(&r);
    }
    if (r.error == 0 && std::fflush(out) != 0) r.error = errno ? errno : EIO;
    errno = r.error ? r.error : saved_errno;
    return r.error;
}

} // extern "C"
