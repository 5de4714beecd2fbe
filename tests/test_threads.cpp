// Child pools of one parent created and destroyed from several threads at
// once. Run under the tsan preset too.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 300;

// Each thread writes its own pattern into its child and checks it before
// destroying the child.
void churn_children(mpool_t *parent, int id, std::atomic<int> *bad) {
    for (int round = 0; round < kRounds; ++round) {
        mpool_t *child = mpool_create(parent);
        if (!child) {
            bad->fetch_add(1);
            continue;
        }
        std::vector<unsigned char *> chunks;
        for (int i = 0; i < 64; ++i) {
            auto *p = static_cast<unsigned char *>(mpool_alloc(child, 16 + static_cast<size_t>(i % 8) * 60));
            std::memset(p, id, 16);
            chunks.push_back(p);
        }
        for (unsigned char *p : chunks)
            for (int i = 0; i < 16; ++i)
                if (p[i] != id) bad->fetch_add(1);
        mpool_destroy(child);
    }
}

TEST(Threads, ChildrenOfOneParentChurnSafelyAcrossThreads) {
    mpool_t *parent = mpool_create(nullptr);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(churn_children, parent, t + 1, &bad);
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(stats_of(parent).children, 0u);
    mpool_destroy(parent);
}

TEST(Threads, ChildrenLeftAliveByThreadsAreAllLinked) {
    mpool_t *parent = mpool_create(nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([parent] {
            for (int i = 0; i < 100; ++i) mpool_create(parent);
        });
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(stats_of(parent).children, static_cast<size_t>(kThreads * 100));
    mpool_destroy(parent);
}

TEST(Threads, ParentLimitHoldsUnderConcurrentChildren) {
    mpool_options_t options{};
    options.limit = 256 * 1024;
    mpool_t *parent = mpool_create_ex(nullptr, &options);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([parent] {
            for (int round = 0; round < 50; ++round) {
                mpool_t *child = mpool_create(parent);
                if (!child) continue;
                for (int i = 0; i < 200; ++i) mpool_alloc(child, 200);
                mpool_destroy(child);
            }
        });
    for (std::thread &t : threads) t.join();
    EXPECT_LE(stats_of(parent, true).bytes_reserved, options.limit);
    // Everything given back: the full limit is available again.
    mpool_t *child = mpool_create(parent);
    EXPECT_NE(mpool_alloc(child, options.limit / 2), nullptr);
    mpool_destroy(parent);
}

} // namespace
