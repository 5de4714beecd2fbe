// Walking a tree (mpool_walk) and printing it (mpool_report): order,
// depths, early stop, exact output, escaping, write errors, depth without
// recursion, the server pattern under threads (run under tsan too), and the
// bound on walks at once. tests/regressions/walk_from_any_thread.cpp walks
// from threads that made none of the pools.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

struct Visit {
    std::string tag;
    unsigned depth;
    mpool_stats_t own;
};

int record_visit(const mpool_t *pool, unsigned depth, const mpool_stats_t *own, void *ctx) {
    const char *tag = mpool_tag(pool);
    static_cast<std::vector<Visit> *>(ctx)->push_back({tag ? tag : "-", depth, *own});
    return 0;
}

std::vector<std::string> tags_of(const std::vector<Visit> &visits) {
    std::vector<std::string> tags;
    for (const Visit &v : visits) tags.push_back(v.tag);
    return tags;
}

mpool_t *tagged(mpool_t *parent, const char *tag) {
    mpool_options_t options{};
    options.tag = tag;
    return mpool_create_ex(parent, &options);
}

// What mpool_report() writes, as a string; the result code in *status.
std::string report_of(const mpool_t *pool, unsigned flags, int *status = nullptr) {
    char *text = nullptr;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    int result = mpool_report(pool, out, flags);
    std::fclose(out);
    std::string s(text, size);
    std::free(text);
    if (status) *status = result;
    return s;
}

// The count after `label` in `text`, thousands separators dropped.
size_t count_after(const std::string &text, const std::string &label) {
    size_t at = text.find(label);
    if (at == std::string::npos) return SIZE_MAX;
    size_t value = 0;
    for (size_t i = at + label.size(); i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == ','); ++i)
        if (text[i] != ',') value = value * 10 + static_cast<size_t>(text[i] - '0');
    return value;
}

// The JSON with each object's fields dropped: "{" for "{...[".
std::string json_shape(const std::string &json) {
    std::string shape;
    for (size_t i = 0; i < json.size(); ++i) {
        shape += json[i];
        if (json[i] == '{') i = json.find('[', i);
    }
    return shape;
}

// root(a(a1, a2), b), made in that order.
struct SmallTree {
    mpool_t *root, *a, *a1, *a2, *b;
    SmallTree() {
        root = tagged(nullptr, "root");
        a = tagged(root, "a");
        a1 = tagged(a, "a1");
        a2 = tagged(a, "a2");
        b = tagged(root, "b");
    }
    ~SmallTree() { mpool_destroy(root); }
};

// Guards the documented order: parents first, children newest first (the
// order a clear destroys them in).
TEST(Walk, VisitsParentsFirstAndChildrenNewestFirst) {
    SmallTree t;
    std::vector<Visit> visits;
    EXPECT_EQ(mpool_walk(t.root, record_visit, &visits), 0);
    EXPECT_EQ(tags_of(visits), (std::vector<std::string>{"root", "b", "a", "a2", "a1"}));
}

TEST(Walk, DepthCountsFromTheWalkedPool) {
    SmallTree t;
    std::vector<Visit> visits;
    mpool_walk(t.root, record_visit, &visits);
    std::vector<unsigned> depths;
    for (const Visit &v : visits) depths.push_back(v.depth);
    EXPECT_EQ(depths, (std::vector<unsigned>{0, 1, 1, 2, 2}));
    visits.clear();
    mpool_walk(t.a, record_visit, &visits); // a subtree: its top is depth 0, and its siblings are not visited
    EXPECT_EQ(tags_of(visits), (std::vector<std::string>{"a", "a2", "a1"}));
    EXPECT_EQ(visits[0].depth, 0u);
    EXPECT_EQ(visits[1].depth, 1u);
}

// Guards `own`: the pool's figures as mpool_get_stats(pool, 0) gives them.
TEST(Walk, OwnFiguresAreThoseOfGetStats) {
    SmallTree t;
    mpool_alloc(t.a, 300);
    mpool_cleanup_register(t.a, nullptr, [](void *) {});
    std::vector<Visit> visits;
    mpool_walk(t.root, record_visit, &visits);
    const mpool_t *pools[] = {t.root, t.b, t.a, t.a2, t.a1};
    for (size_t i = 0; i < visits.size(); ++i) {
        mpool_stats_t expected = stats_of(pools[i]);
        EXPECT_EQ(std::memcmp(&visits[i].own, &expected, sizeof expected), 0) << visits[i].tag;
    }
    EXPECT_EQ(visits[2].own.children, 2u);
    EXPECT_EQ(visits[2].own.cleanups, 1u);
}

TEST(Walk, NonZeroFromTheVisitorStopsTheWalkAndIsReturned) {
    SmallTree t;
    int calls = 0;
    auto stop_at_third = [](const mpool_t *, unsigned, const mpool_stats_t *, void *ctx) -> int {
        return ++*static_cast<int *>(ctx) == 3 ? 42 : 0;
    };
    EXPECT_EQ(mpool_walk(t.root, stop_at_third, &calls), 42);
    EXPECT_EQ(calls, 3);
}

// The visitor may destroy a pool of the subtree that the walk is not
// inside (here one not visited yet): the walk goes on without it.
TEST(Walk, VisitorMayDestroyAPoolTheWalkIsNotInside) {
    SmallTree t;
    struct Plan {
        const mpool_t *at;
        mpool_t *doomed;
        std::vector<Visit> visits;
    } plan{t.b, t.a1, {}};
    auto visit = [](const mpool_t *pool, unsigned depth, const mpool_stats_t *own, void *ctx) -> int {
        auto *p = static_cast<Plan *>(ctx);
        if (pool == p->at) mpool_destroy(p->doomed);
        return record_visit(pool, depth, own, &p->visits);
    };
    EXPECT_EQ(mpool_walk(t.root, visit, &plan), 0);
    EXPECT_EQ(tags_of(plan.visits), (std::vector<std::string>{"root", "b", "a", "a2"}));
}

TEST(Walk, NullPoolOrVisitorIsEinval) {
    mpool_t *pool = mpool_create(nullptr);
    EXPECT_EQ(mpool_walk(nullptr, record_visit, nullptr), EINVAL);
    EXPECT_EQ(mpool_walk(pool, nullptr, nullptr), EINVAL);
    mpool_destroy(pool);
}

// Guards against recursion: a chain 100,000 deep is walked in constant stack.
TEST(Walk, HundredThousandDeepChainNeedsNoRecursion) {
    constexpr unsigned kDepth = 100000;
    mpool_t *root = mpool_create(nullptr);
    mpool_t *pool = root;
    for (unsigned i = 1; i < kDepth; ++i) pool = mpool_create(pool);
    struct Seen {
        unsigned count = 0, deepest = 0;
        bool in_order = true;
    } seen;
    auto visit = [](const mpool_t *, unsigned depth, const mpool_stats_t *, void *ctx) -> int {
        auto *s = static_cast<Seen *>(ctx);
        s->in_order = s->in_order && depth == s->count;
        s->count += 1;
        s->deepest = depth;
        return 0;
    };
    EXPECT_EQ(mpool_walk(root, visit, &seen), 0);
    EXPECT_EQ(seen.count, kDepth);
    EXPECT_EQ(seen.deepest, kDepth - 1);
    EXPECT_TRUE(seen.in_order);
    mpool_destroy(root);
}

// The exact text of a small tree: one line per pool, two spaces per depth,
// figures with thousands separated, totals last.
TEST(Report, TextOfASmallTree) {
    SKIP_WHEN_CHECKED(); // the figures depend on the layout
    SmallTree t;
    mpool_alloc(t.root, 1000);
    mpool_alloc(t.a1, 100);
    mpool_cleanup_register(t.a1, nullptr, [](void *) {});
    mpool_cleanup_register(t.a1, nullptr, [](void *) {});
    mpool_set_tag(t.a2, nullptr);
    std::string text = report_of(t.root, 0);
    char untagged[64];
    std::snprintf(untagged, sizeof untagged, "(untagged %p)", static_cast<void *>(t.a2));
    EXPECT_EQ(text, "root  allocated 1,005  reserved 4,072  blocks 1  cleanups 0  children 2\n"
                    "  b  allocated 2  reserved 232  blocks 1  cleanups 0  children 0\n"
                    "  a  allocated 2  reserved 232  blocks 1  cleanups 0  children 2\n"
                    "    " + std::string(untagged) + "  allocated 3  reserved 232  blocks 1  cleanups 0  children 0\n"
                    "    a1  allocated 207  reserved 1,232  blocks 2  cleanups 2  children 0\n"
                    "total  allocated 1,219  reserved 6,000  blocks 6  cleanups 2  pools 5\n");
}

// The exact JSON of a small tree: nested objects, tag null when unset.
TEST(Report, JsonOfASmallTree) {
    SKIP_WHEN_CHECKED();
    SmallTree t;
    mpool_alloc(t.a1, 100);
    mpool_set_tag(t.b, nullptr);
    EXPECT_EQ(report_of(t.root, MPOOL_REPORT_JSON),
              R"({"tag": "root", "bytes_allocated": 5, "bytes_reserved": 4072, "blocks": 1, "cleanups": 0, "children_not_visited": 0, "children": [
  {"tag": null, "bytes_allocated": 2, "bytes_reserved": 232, "blocks": 1, "cleanups": 0, "children_not_visited": 0, "children": []},
  {"tag": "a", "bytes_allocated": 2, "bytes_reserved": 232, "blocks": 1, "cleanups": 0, "children_not_visited": 0, "children": [
    {"tag": "a2", "bytes_allocated": 3, "bytes_reserved": 232, "blocks": 1, "cleanups": 0, "children_not_visited": 0, "children": []},
    {"tag": "a1", "bytes_allocated": 103, "bytes_reserved": 1232, "blocks": 2, "cleanups": 0, "children_not_visited": 0, "children": []}
  ]}
]}
)");
}

TEST(Report, JsonOfALonePool) {
    SKIP_WHEN_CHECKED();
    mpool_t *pool = mpool_create(nullptr);
    EXPECT_EQ(report_of(pool, MPOOL_REPORT_JSON),
              "{\"tag\": null, \"bytes_allocated\": 0, \"bytes_reserved\": 4072, \"blocks\": 1, \"cleanups\": 0, "
              "\"children_not_visited\": 0, \"children\": []}\n");
    mpool_destroy(pool);
}

// Guards the closing brackets when the walk climbs several levels at once.
TEST(Report, JsonClosesEveryLevelWhenTheWalkClimbs) {
    mpool_t *root = tagged(nullptr, "r");
    mpool_t *deep = root;
    for (int i = 0; i < 4; ++i) deep = mpool_create(deep);
    tagged(root, "newer"); // visited first
    std::string json = report_of(root, MPOOL_REPORT_JSON);
    EXPECT_EQ(json_shape(json), "{\n  {]},\n  {\n    {\n      {\n        {]}\n      ]}\n    ]}\n  ]}\n]}\n");
    mpool_destroy(root);
}

// Tags are arbitrary bytes: JSON escapes quotes, backslashes and control
// characters, passes valid UTF-8 through and writes other bytes as \u00XX.
TEST(Report, JsonEscapesTags) {
    mpool_t *pool = tagged(nullptr, "q\"b\\n\n\x01\x7f caf\xc3\xa9 \xff\xc3");
    std::string json = report_of(pool, MPOOL_REPORT_JSON);
    EXPECT_EQ(json.substr(0, json.find(", \"bytes_allocated\"")),
              "{\"tag\": \"q\\\"b\\\\n\\u000a\\u0001\\u007f caf\xc3\xa9 \\u00ff\\u00c3\"");
    mpool_destroy(pool);
}

TEST(Report, TextEscapesControlCharactersAndInvalidUtf8InTags) {
    mpool_t *pool = tagged(nullptr, "two\nlines\\ caf\xc3\xa9 \xff");
    std::string text = report_of(pool, 0);
    EXPECT_EQ(text.substr(0, text.find("  allocated")), "two\\x0alines\\\\ caf\xc3\xa9 \\xff");
    mpool_destroy(pool);
}

TEST(Report, BadArgumentsAreEinval) {
    mpool_t *pool = mpool_create(nullptr);
    EXPECT_EQ(mpool_report(nullptr, stdout, 0), EINVAL);
    EXPECT_EQ(mpool_report(pool, nullptr, 0), EINVAL);
    EXPECT_EQ(mpool_report(pool, stdout, 2u), EINVAL);
    mpool_destroy(pool);
}

// Guards the error path: a stream that fails gives its errno, not 0.
TEST(Report, FailingStreamGivesItsError) {
    FILE *full = std::fopen("/dev/full", "w");
    if (!full) GTEST_SKIP() << "no /dev/full here";
    SmallTree t;
    errno = 0;
    EXPECT_EQ(mpool_report(t.root, full, 0), ENOSPC);
    EXPECT_EQ(errno, ENOSPC);
    std::clearerr(full);
    EXPECT_EQ(mpool_report(t.root, full, MPOOL_REPORT_JSON), ENOSPC);
    std::fclose(full);
}

TEST(Report, TotalsAddUpTheVisitedPools) {
    SmallTree t;
    mpool_alloc(t.a2, 5000);
    std::string text = report_of(t.root, 0);
    mpool_stats_t all = stats_of(t.root, true);
    std::string totals = text.substr(text.find("total  "));
    EXPECT_EQ(count_after(totals, "allocated "), all.bytes_allocated);
    EXPECT_EQ(count_after(totals, "reserved "), all.bytes_reserved);
    EXPECT_EQ(count_after(totals, "blocks "), all.blocks);
    EXPECT_EQ(count_after(totals, "pools "), 5u);
    EXPECT_EQ(totals.back(), '\n');
}

// A deep chain prints one line per pool without recursion.
TEST(Report, DeepChainPrintsEveryLevel) {
    constexpr int kDepth = 2000;
    mpool_t *root = mpool_create(nullptr);
    mpool_t *pool = root;
    for (int i = 1; i < kDepth; ++i) pool = mpool_create(pool);
    std::string text = report_of(root, 0);
    size_t lines = 0;
    for (char c : text) lines += c == '\n';
    EXPECT_EQ(lines, static_cast<size_t>(kDepth) + 1);
    std::string json = report_of(root, MPOOL_REPORT_JSON);
    EXPECT_EQ(json.substr(json.size() - 3), "]}\n");
    mpool_destroy(root);
}

// The server pattern: workers make and destroy children of a long-lived
// pool while its thread reports on it. The report sees the pool, the
// children the reporting thread made, and the workers' children live at
// that moment (they allocate nothing meanwhile: the walk reads their
// figures), each below its parent.
TEST(WalkThreads, ReportWhileWorkersChurnChildren) {
    mpool_t *server = tagged(nullptr, "server");
    mpool_t *config = tagged(server, "config"); // this thread's: on the own list
    tagged(config, "config-detail");
    std::atomic<bool> stop{false};
    std::atomic<int> started{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 3; ++t)
        workers.emplace_back([server, &stop, &started] {
            started++;
            while (!stop.load()) {
                mpool_t *request = tagged(server, "request");
                tagged(request, "part");
                mpool_destroy(request);
            }
        });
    while (started.load() < 3) std::this_thread::yield();
    mpool_t *late = tagged(server, "late"); // made while workers run: on this thread's lane
    std::string failure; // the first round that went wrong, reported once the workers are joined
    for (int round = 0; round < 200 && failure.empty(); ++round) {
        std::vector<Visit> visits;
        if (mpool_walk(server, record_visit, &visits) != 0) failure = "the walk stopped";
        std::vector<std::string> mine;
        for (const Visit &v : visits)
            if (v.tag == "request" ? v.depth != 1 : v.tag == "part" ? v.depth != 2 : (mine.push_back(v.tag), false))
                failure = v.tag + " at depth " + std::to_string(v.depth);
        if (mine != std::vector<std::string>{"server", "late", "config", "config-detail"})
            failure = "this thread's pools are not all visited, in order";
        std::string text = report_of(server, round % 2 ? MPOOL_REPORT_JSON : 0);
        if (text.find("late") == std::string::npos || text.find("not visited") != std::string::npos)
            failure = "a report without this thread's pools:\n" + text;
    }
    stop = true;
    for (std::thread &w : workers) w.join();
    EXPECT_EQ(failure, "");
    mpool_destroy(late);
    mpool_destroy(server);
}

// A tree made by another thread is seen whole from this one.
TEST(WalkThreads, ChildrenMadeByAnotherThreadAreVisited) {
    mpool_t *top = tagged(nullptr, "top");
    std::thread([top] {
        mpool_t *child = tagged(top, "theirs");
        tagged(child, "theirs-too");
    }).join();
    std::vector<Visit> visits;
    mpool_walk(top, record_visit, &visits);
    EXPECT_EQ(tags_of(visits), (std::vector<std::string>{"top", "theirs", "theirs-too"}));
    EXPECT_EQ(visits[0].own.children, 1u);
    std::string text = report_of(top, 0);
    EXPECT_NE(text.find("children 1\n  theirs  "), std::string::npos) << text;
    EXPECT_NE(text.find("pools 3\n"), std::string::npos) << text;
    EXPECT_EQ(json_shape(report_of(top, MPOOL_REPORT_JSON)), "{\n  {\n    {]}\n  ]}\n]}\n");
    EXPECT_EQ(report_of(top, MPOOL_REPORT_JSON).find("\"children_not_visited\": 1"), std::string::npos);
    mpool_destroy(top);
}

// Walks nested in visitors: each runs while the ones around it are inside
// the child; the 256th is refused.
struct Nest {
    const mpool_t *top, *child;
    unsigned running = 1;    // walks running now
    unsigned refused_at = 0; // how many ran when one was refused
    int report_then = -1;    // what mpool_report() gave then
};

int visit_nesting(const mpool_t *pool, unsigned, const mpool_stats_t *, void *ctx) {
    auto *n = static_cast<Nest *>(ctx);
    if (pool != n->child || n->refused_at != 0) return 0;
    n->running += 1;
    int result = mpool_walk(n->top, visit_nesting, n);
    if (result == EAGAIN && n->refused_at == 0) {
        n->refused_at = n->running;
        FILE *out = std::fopen("/dev/null", "w");
        n->report_then = mpool_report(n->top, out, 0);
        std::fclose(out);
    }
    n->running -= 1;
    return result == EAGAIN ? 0 : result;
}

// Guards the bound on walks at once (a pool counts the walks inside it in
// a byte): 255 walks run, the next mpool_walk or mpool_report gives EAGAIN,
// and once they end the counts are back to nothing.
TEST(WalkThreads, MoreThan255WalksAtOnceGiveEagain) {
    mpool_t *pool = mpool_create(nullptr);
    mpool_t *child = mpool_create(pool);
    Nest nest{pool, child};
    EXPECT_EQ(mpool_walk(pool, visit_nesting, &nest), 0);
    EXPECT_EQ(nest.refused_at, 256u);
    EXPECT_EQ(nest.report_then, EAGAIN);
    std::vector<Visit> visits;
    EXPECT_EQ(mpool_walk(pool, record_visit, &visits), 0);
    EXPECT_EQ(visits.size(), 2u);
    mpool_destroy(child); // would wait for ever if a walk were still counted inside it
    EXPECT_EQ(stats_of(pool).children, 0u);
    mpool_destroy(pool);
}

} // namespace
