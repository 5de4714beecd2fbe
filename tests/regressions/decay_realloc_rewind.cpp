// decay_realloc_rewind.cpp - regression tests of issue 16 (reliability, round 3).
#include <gtest/gtest.h>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

#include <atomic>
#include <cstdint>
#include <latch>
#include <thread>

namespace {

std::atomic<uint64_t> fake_now{1000};
uint64_t fake_clock(void *) { return fake_now.load(); }

// Issue 16.7: decay restarted the clock of blocks drained from a live
// thread's lane cache, so a trim ten decay periods later kept them.
TEST(DecayRegression, BlocksIdleInALiveThreadsCacheAgeFromWhenTheyWereGivenBack) {
    constexpr uint64_t kDecay = 100;
    fake_now = 1000;
    mpool_t *root = mpool_create(nullptr);
    ASSERT_NE(root, nullptr);
    mpool_allocator_t *allocator = mpool_get_allocator(root);
    mpool_allocator_set_clock(allocator, fake_clock, nullptr);
    mpool_allocator_set_decay(allocator, kDecay);
    mpool_destroy(mpool_create(root)); // this thread's child first: the worker's go on a lane, with a cache
    std::latch cached(1), trimmed(1);
    std::thread worker([&] {
        mpool_t *children[3];
        for (mpool_t *&child : children) child = mpool_create(root);
        for (mpool_t *child : children) mpool_destroy(child); // their home blocks go to the worker's cache
        cached.count_down();
        trimmed.wait(); // alive while the trim runs: its cache is drained, not released by thread exit
    });
    cached.wait();
    ASSERT_GT(mpool_allocator_idle_bytes(allocator), 0u);
    fake_now += 10 * kDecay;
    mpool_allocator_trim(allocator, SIZE_MAX); // gives back only what decay says is old: everything
    EXPECT_EQ(mpool_allocator_idle_bytes(allocator), 0u);
    trimmed.count_down();
    worker.join();
    mpool_destroy(root);
}

} // namespace
