// Failure of the block source at every point: for k = 1, 2, 3, ... the k-th
// block request fails (or every request from the k-th on), and the scripted
// scenario must see clean ENOMEM failures, keep every successful allocation
// intact, and leave nothing behind (the source's count of live blocks, and
// LeakSanitizer under the asan preset).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "test_support.hpp"

namespace {

struct Written {
    unsigned char *at;
    size_t size;
    unsigned char value;
};

int g_cleanups_run = 0;
void count_cleanup(void *) { ++g_cleanups_run; }

class Scenario {
public:
    std::vector<Written> written;
    int failures = 0;
    int wrong_errno = 0;

    void fill(void *p, size_t size) {
        if (!p) {
            note_failure();
            return;
        }
        auto value = static_cast<unsigned char>(written.size() * 7 + 1);
        std::memset(p, value, size);
        written.push_back({static_cast<unsigned char *>(p), size, value});
    }
    void note_failure() {
        ++failures;
        if (errno != ENOMEM) ++wrong_errno;
    }
    void check_status(int status) {
        if (status != 0) {
            ++failures;
            if (status != ENOMEM) ++wrong_errno;
        }
    }
    bool intact() const {
        for (const Written &w : written)
            for (size_t i = 0; i < w.size; ++i)
                if (w.at[i] != w.value) return false;
        return true;
    }

    // Uses a pool the way a server would; every call may fail.
    void work(mpool_t *pool, int seed) {
        for (int i = 0; i < 60; ++i) {
            size_t size = static_cast<size_t>(16 + (i * 37 + seed * 11) % 500);
            fill(mpool_alloc(pool, size), size);
        }
        fill(mpool_alloc(pool, MPOOL_LARGE_THRESHOLD * 2), MPOOL_LARGE_THRESHOLD * 2);
        fill(mpool_alloc_aligned(pool, 3000, 4096), 3000);
        fill(mpool_calloc(pool, 100, 30), 3000);
        char *s = mpool_printf(pool, "%0*d", 6000, seed);
        if (s) {
            if (std::strlen(s) != 6000) ++wrong_errno;
        } else {
            note_failure();
        }
        char *joined = mpool_strcat(pool, "alpha", "-", "beta", static_cast<char *>(nullptr));
        if (joined) {
            if (std::strcmp(joined, "alpha-beta") != 0) ++wrong_errno;
        } else {
            note_failure();
        }
        void *grown = mpool_alloc(pool, 100);
        if (grown) {
            void *bigger = mpool_realloc(pool, grown, 100, 9000);
            fill(bigger ? bigger : grown, bigger ? 9000 : 100);
            if (!bigger) note_failure();
        } else {
            note_failure();
        }
        check_status(mpool_cleanup_register(pool, nullptr, count_cleanup));
        check_status(mpool_pre_cleanup_register(pool, nullptr, count_cleanup));
        check_status(mpool_userdata_set(pool, "key", pool, count_cleanup));
    }
};

// Runs the scenario once; returns the number of block requests it made.
size_t run_scenario(TestSource &source, size_t max_free, bool *clean) {
    Scenario scenario;
    *clean = false;
    mpool_allocator_t *allocator = source.make_allocator();
    if (!allocator) {
        *clean = errno == ENOMEM && source.live_blocks == 0;
        return source.requests;
    }
    mpool_allocator_set_max_free(allocator, max_free);
    mpool_options_t options{};
    options.allocator = allocator;
    options.tag = "root";
    mpool_t *root = mpool_create_ex(nullptr, &options);
    if (root) {
        scenario.work(root, 1);
        mpool_t *children[3];
        for (int i = 0; i < 3; ++i) {
            children[i] = mpool_create(root);
            if (children[i]) {
                scenario.work(children[i], i + 2);
                mpool_t *grandchild = mpool_create(children[i]);
                if (grandchild)
                    scenario.work(grandchild, i + 10);
                else
                    scenario.note_failure();
            } else {
                scenario.note_failure();
            }
        }
        bool intact = scenario.intact();
        // Clear and reuse one child, destroy another: more requests to fail.
        if (children[0]) {
            mpool_clear(children[0]);
            Scenario again;
            again.work(children[0], 20);
            intact = intact && again.intact();
            scenario.wrong_errno += again.wrong_errno;
        }
        if (children[1]) mpool_destroy(children[1]);
        mpool_destroy(root);
        *clean = intact && scenario.wrong_errno == 0;
    } else {
        *clean = errno == ENOMEM;
    }
    mpool_allocator_destroy(allocator);
    *clean = *clean && source.live_blocks == 0 && source.live_bytes == 0;
    return source.requests;
}

void fail_each_request_in_turn(size_t max_free, bool from_then_on) {
    TestSource reference;
    bool clean = false;
    size_t total = run_scenario(reference, max_free, &clean);
    ASSERT_TRUE(clean);
    ASSERT_GT(total, 20u);
    for (size_t k = 1; k <= total; ++k) {
        TestSource source;
        source.fail_request = k;
        source.fail_from_then_on = from_then_on;
        run_scenario(source, max_free, &clean);
        EXPECT_TRUE(clean) << "failing request " << k << " of " << total;
    }
}

TEST(FaultInjection, EachSingleSourceFailureIsCleanWithIdleBlocksKept) {
    fail_each_request_in_turn(MPOOL_DEFAULT_MAX_FREE, false);
}

TEST(FaultInjection, EachSingleSourceFailureIsCleanWithNothingKeptIdle) { fail_each_request_in_turn(0, false); }

TEST(FaultInjection, SourceFailingForGoodFromEachPointIsClean) {
    fail_each_request_in_turn(MPOOL_DEFAULT_MAX_FREE, true);
}

} // namespace
