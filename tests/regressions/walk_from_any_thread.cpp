// walk_from_any_thread.cpp - regression tests of issue 16 (reliability, round 3).
//
// Issue 16.13: mpool_walk() and mpool_report() from a thread other than the
// one that made the children saw only the top of the tree: the children of
// other threads were counted ("children_not_visited"), never visited. These
// walk and report from a monitoring thread, over trees that other threads
// made, keep and change meanwhile.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

struct Visit {
    const mpool_t *pool;
    const mpool_t *parent; // mpool_parent(pool), read during the visit
    std::string tag;
    unsigned depth;
    mpool_stats_t own;
};

int record_visit(const mpool_t *pool, unsigned depth, const mpool_stats_t *own, void *ctx) {
    const char *tag = mpool_tag(pool);
    static_cast<std::vector<Visit> *>(ctx)->push_back({pool, mpool_parent(pool), tag ? tag : "-", depth, *own});
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

void wait_for(const std::atomic<bool> &flag) {
    while (!flag.load()) std::this_thread::yield();
}

// Issue 16.13: a walk from another thread visited only the top; the children that other threads made were counted, not visited.
TEST(WalkFromAnyThread, VisitsChildrenThatOtherThreadsMade) {
    mpool_t *top = tagged(nullptr, "top");
    std::atomic<bool> a_made{false}, b_made{false};
    std::thread a([&] { // the first thread to make children of top: its own list
        mpool_t *mine = tagged(top, "a");
        mpool_alloc(mine, 100);
        mpool_cleanup_register(mine, nullptr, [](void *) {});
        tagged(mine, "a-leaf");
        a_made = true;
        wait_for(b_made); // both alive at once, so b is a second thread: a lane of top
    });
    wait_for(a_made);
    std::thread b([&] {
        mpool_t *mine = tagged(top, "b");
        mpool_alloc(mine, 3000);
        tagged(mine, "b-leaf");
        b_made = true;
    });
    a.join();
    b.join();
    std::vector<Visit> visits;
    EXPECT_EQ(mpool_walk(top, record_visit, &visits), 0); // this thread made none of the children
    ASSERT_EQ(tags_of(visits), (std::vector<std::string>{"top", "b", "b-leaf", "a", "a-leaf"}));
    std::vector<unsigned> depths;
    for (const Visit &v : visits) depths.push_back(v.depth);
    EXPECT_EQ(depths, (std::vector<unsigned>{0, 1, 2, 1, 2}));
    const mpool_t *parents[] = {nullptr, top, visits[1].pool, top, visits[3].pool};
    for (size_t i = 0; i < visits.size(); ++i) {
        EXPECT_EQ(visits[i].parent, parents[i]) << visits[i].tag;
        mpool_stats_t expected = stats_of(visits[i].pool);
        EXPECT_EQ(std::memcmp(&visits[i].own, &expected, sizeof expected), 0) << visits[i].tag;
    }
    EXPECT_EQ(visits[0].own.children, 2u);
    EXPECT_EQ(visits[3].own.cleanups, 1u);
    mpool_destroy(top);
}

// Issue 16.13: a report from a monitoring thread left out the pools of threads that were still running (their lanes).
TEST(WalkFromAnyThread, ReportShowsThePoolsOfRunningThreads) {
    mpool_t *server = tagged(nullptr, "server");
    constexpr int kThreads = 3;
    std::atomic<int> built{0};
    std::atomic<bool> reported{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            std::string tag = "worker-" + std::to_string(t);
            mpool_t *mine = tagged(server, tag.c_str());
            mpool_alloc(mine, 1000 + static_cast<size_t>(t));
            tagged(mine, (tag + "-scratch").c_str());
            built++;
            wait_for(reported); // alive, and idle, while the report runs
            mpool_destroy(mine);
        });
    while (built.load() < kThreads) std::this_thread::yield();
    std::string text = report_of(server, 0);
    std::string json = report_of(server, MPOOL_REPORT_JSON);
    mpool_stats_t all = stats_of(server, true); // the threads are idle: the subtree does not change
    reported = true;
    for (std::thread &t : threads) t.join();

    for (int t = 0; t < kThreads; ++t) {
        std::string tag = "worker-" + std::to_string(t);
        char allocated[32]; // 1,000 + t bytes and the tag's 9
        std::snprintf(allocated, sizeof allocated, "  allocated 1,%03d  ", t + 9);
        EXPECT_NE(text.find("\n  " + tag + allocated), std::string::npos) << text;
        EXPECT_NE(text.find("\n    " + tag + "-scratch  allocated "), std::string::npos) << text;
        EXPECT_NE(json.find("{\"tag\": \"" + tag + "-scratch\""), std::string::npos) << json;
    }
    char totals[200];
    std::snprintf(totals, sizeof totals, "pools %d\n", 1 + 2 * kThreads);
    EXPECT_NE(text.find(totals), std::string::npos) << text;
    EXPECT_EQ(text.find("not visited"), std::string::npos) << text;
    size_t objects = 0, none_left_out = 0;
    for (size_t at = 0; (at = json.find("{\"tag\": ", at)) != std::string::npos; ++at) ++objects;
    for (size_t at = 0; (at = json.find("\"children_not_visited\": 0,", at)) != std::string::npos; ++at) ++none_left_out;
    EXPECT_EQ(objects, static_cast<size_t>(1 + 2 * kThreads)) << json;
    EXPECT_EQ(none_left_out, objects) << json;
    EXPECT_EQ(all.children, static_cast<size_t>(2 * kThreads));
    mpool_destroy(server);
}

// What a monitoring walk checks of each pool it is given: its parent is the
// pool visited last one level up, the depth and the tag fit the tree the
// workers make, and the figures are those of a pool that nobody allocates
// in (a tag and a home block).
struct Checker {
    const mpool_t *top;
    std::vector<const mpool_t *> path; // the pools visited last at each depth
    size_t config_seen = 0;
    std::vector<std::string> problems;

    void problem(const std::string &what, const char *tag, unsigned depth) {
        if (problems.size() < 10) problems.push_back(what + " (" + (tag ? tag : "-") + " at depth " + std::to_string(depth) + ")");
    }
    void check(const mpool_t *pool, unsigned depth, const mpool_stats_t *own) {
        const char *tag = mpool_tag(pool);
        if (depth == 0 ? pool != top : depth > path.size() || mpool_parent(pool) != path[depth - 1])
            problem("visited before its parent", tag, depth);
        path.resize(depth < path.size() ? depth : path.size());
        path.push_back(pool);
        std::string name = tag ? tag : "-";
        bool known = (depth == 0 && name == "server") || (depth == 1 && (name == "request" || name == "config")) ||
                     (depth == 2 && (name == "part" || name == "config-detail"));
        if (!known) problem("not in the tree", tag, depth);
        if (depth > 0 && (own->blocks != 1 || own->cleanups != 0 || own->bytes_allocated != name.size() + 1))
            problem("figures of a pool nobody allocates in", tag, depth);
        size_t most_children = name == "request" ? 2 : name == "config" ? 1 : depth == 0 ? SIZE_MAX : 0;
        if (own->children > most_children) problem("more children than made", tag, depth);
        config_seen += name == "config" || name == "config-detail";
    }
    static int visit(const mpool_t *pool, unsigned depth, const mpool_stats_t *own, void *ctx) {
        static_cast<Checker *>(ctx)->check(pool, depth, own);
        return 0;
    }
};

// The lines of a text report are indented by depth (two spaces, one level
// at most deeper than the line before) and end with the totals.
bool text_report_is_a_tree(const std::string &text, size_t *pools) {
    size_t previous = 0, lines = 0;
    for (size_t at = 0; at < text.size();) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) return false;
        std::string line = text.substr(at, end - at);
        at = end + 1;
        if (line.rfind("total  ", 0) == 0) {
            *pools = lines;
            return at == text.size() && line.find("pools " + std::to_string(lines)) != std::string::npos;
        }
        size_t indent = line.find_first_not_of(' ');
        if (indent % 2 != 0 || (lines == 0 ? indent != 0 : indent > previous + 2)) return false;
        previous = indent;
        ++lines;
    }
    return false;
}

// Every object of a JSON report opens with a tag and closes its children.
bool json_report_is_balanced(const std::string &json) {
    long depth = 0;
    size_t objects = 0;
    for (size_t i = 0; i < json.size(); ++i) {
        if (json.compare(i, 8, "{\"tag\": ") == 0) ++objects;
        if (json[i] == '{' || json[i] == '[') ++depth;
        if (json[i] == '}' || json[i] == ']') --depth;
        if (depth < 0) return false;
    }
    return depth == 0 && objects > 0 && json.back() == '\n';
}

// Issue 16.13: a monitoring thread could not walk or report a tree while worker threads created and destroyed children in it.
TEST(WalkFromAnyThread, WalkAndReportWhileOtherThreadsCreateAndDestroyChildren) {
    mpool_t *server = tagged(nullptr, "server");
    std::atomic<bool> config_made{false}, stop{false};
    std::thread keeper([&] { // a subtree of another thread that stays while the monitor walks
        mpool_t *config = tagged(server, "config");
        tagged(config, "config-detail");
        config_made = true;
        wait_for(stop);
        mpool_destroy(config);
    });
    wait_for(config_made);
    constexpr int kWorkers = 3, kRequests = 400;
    std::atomic<int> running{kWorkers};
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w)
        workers.emplace_back([&, w] {
            for (int i = 0; i < kRequests; ++i) {
                mpool_t *request = tagged(server, "request");
                mpool_t *first = tagged(request, "part");
                tagged(request, "part");
                if ((i + w) % 2) mpool_destroy(first); // a plain leaf: the short destroy, unless a walk is in it
                mpool_destroy(request);
            }
            running--;
        });
    std::string failure; // the first round that went wrong; the threads are joined before it is reported
    for (size_t round = 0; failure.empty() && (round < 20 || (running.load() > 0 && round < 100000)); ++round) {
        Checker checker{server, {}, 0, {}};
        int status = mpool_walk(server, Checker::visit, &checker);
        std::string report = report_of(server, round % 2 ? MPOOL_REPORT_JSON : 0);
        size_t pools = 0;
        if (status != 0)
            failure = "mpool_walk returned " + std::to_string(status);
        else if (!checker.problems.empty())
            failure = checker.problems[0];
        else if (checker.config_seen != 2) // the keeper's pools, every round
            failure = "the keeper's pools visited " + std::to_string(checker.config_seen) + " times, not 2";
        else if (round % 2 ? !json_report_is_balanced(report) : !text_report_is_a_tree(report, &pools) || pools < 3)
            failure = "a report that is not a tree:\n" + report;
    }
    for (std::thread &w : workers) w.join();
    stop = true;
    keeper.join();
    EXPECT_EQ(failure, "");
    EXPECT_EQ(stats_of(server).children, 0u);
    mpool_destroy(server);
}

// Issue 16.13: a walk from another thread did not go below the top, so a deep tree made by a worker was not walked.
TEST(WalkFromAnyThread, HundredThousandDeepChainMadeByAnotherThread) {
    constexpr unsigned kDepth = 100000;
    mpool_t *root = mpool_create(nullptr);
    std::thread([root] {
        mpool_t *pool = root;
        for (unsigned i = 1; i < kDepth; ++i) pool = mpool_create(pool);
    }).join();
    struct Seen {
        unsigned count = 0;
        bool in_order = true;
    } seen;
    auto visit = [](const mpool_t *, unsigned depth, const mpool_stats_t *, void *ctx) -> int {
        auto *s = static_cast<Seen *>(ctx);
        s->in_order = s->in_order && depth == s->count;
        s->count += 1;
        return 0;
    };
    EXPECT_EQ(mpool_walk(root, visit, &seen), 0); // no recursion: any depth in constant stack
    EXPECT_EQ(seen.count, kDepth);
    EXPECT_TRUE(seen.in_order);
    mpool_destroy(root);
}

// A pool that the walk is inside, made by another thread, and what that
// thread does to it meanwhile: the operation must not run under the visit.
struct InsideVisit {
    mpool_t *top = nullptr;
    std::atomic<mpool_t *> target{nullptr};
    std::atomic<bool> inside{false}, walk_done{false}, operation_returned{false};
    bool visited = false, returned_during_visit = false, figures_held = false;

    static int visit(const mpool_t *pool, unsigned, const mpool_stats_t *own, void *ctx) {
        auto *self = static_cast<InsideVisit *>(ctx);
        if (pool != self->target.load() || self->visited) return 0;
        self->visited = true;
        self->inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // time for the operation to run, were it to
        self->returned_during_visit = self->operation_returned.load();
        mpool_stats_t now = stats_of(pool); // the pool is still there, as it was
        self->figures_held = std::memcmp(&now, own, sizeof now) == 0;
        return 0;
    }

    // Runs `operation` on a plain child (of a child of top) made by another
    // thread, as soon as the walk is inside it.
    template <class Operation> void run(Operation operation) {
        top = tagged(nullptr, "top");
        std::thread owner([this, operation] {
            mpool_t *parent = tagged(top, "parent");
            mpool_t *child = mpool_create(parent);
            mpool_alloc(child, 100);
            target = child;
            while (!inside.load() && !walk_done.load()) std::this_thread::yield();
            operation(child);
            operation_returned = true;
        });
        while (!target.load()) std::this_thread::yield();
        EXPECT_EQ(mpool_walk(top, visit, this), 0);
        walk_done = true;
        owner.join();
        EXPECT_TRUE(visited);
        EXPECT_FALSE(returned_during_visit);
        EXPECT_TRUE(figures_held);
        EXPECT_TRUE(operation_returned.load());
        mpool_destroy(top);
    }
};

// Issue 16.13: a pool made by another thread could be destroyed (here on the short path of a plain child) under a walk that visits it.
TEST(WalkFromAnyThread, DestroyOfAPoolTheWalkIsInWaitsForTheWalk) {
    InsideVisit().run([](mpool_t *child) { mpool_destroy(child); });
}

// Issue 16.13: a pool made by another thread could be cleared under a walk that visits it.
TEST(WalkFromAnyThread, ClearOfAPoolTheWalkIsInWaitsForTheWalk) {
    InsideVisit().run([](mpool_t *child) { mpool_clear(child); });
}

// Issue 16.13: a pool made by another thread could be moved away under a walk that visits it.
TEST(WalkFromAnyThread, ReparentOfAPoolTheWalkIsInWaitsForTheWalk) {
    InsideVisit().run([](mpool_t *child) { EXPECT_EQ(mpool_reparent(child, mpool_parent(mpool_parent(child))), 0); });
}

// Issue 16.13: a walk from another thread could not tell a pool whose destroy had begun (and skip it) from the live ones beside it.
TEST(WalkFromAnyThread, PoolWhoseDestroyHasBegunIsSkipped) {
    mpool_t *top = tagged(nullptr, "top");
    std::atomic<bool> in_teardown{false}, walk_done{false};
    struct Flags {
        std::atomic<bool> *in_teardown, *walk_done;
    } flags{&in_teardown, &walk_done};
    std::thread owner([&] {
        mpool_t *parent = tagged(top, "parent");
        mpool_t *doomed = tagged(parent, "doomed");
        tagged(parent, "kept");
        mpool_pre_cleanup_register(doomed, &flags, [](void *data) {
            auto *f = static_cast<Flags *>(data);
            *f->in_teardown = true;
            wait_for(*f->walk_done); // the destroy has begun, and waits here while the walk runs
        });
        mpool_destroy(doomed);
    });
    wait_for(in_teardown);
    std::vector<Visit> visits;
    EXPECT_EQ(mpool_walk(top, record_visit, &visits), 0);
    walk_done = true;
    owner.join();
    EXPECT_EQ(tags_of(visits), (std::vector<std::string>{"top", "parent", "kept"}));
    ASSERT_EQ(visits.size(), 3u);
    EXPECT_EQ(visits[1].own.children, 2u); // still linked when counted
    mpool_destroy(top);
}

} // namespace
