// decay_realloc_rewind.cpp - regression tests of issue 16 (reliability, round 3).
#include <gtest/gtest.h>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#define REGRESSION_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REGRESSION_ASAN 1
#endif
#endif
#ifdef REGRESSION_ASAN
#include <sanitizer/asan_interface.h>
#endif

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

// Issue 16.10: a rewind under ASan left readable an allocation made since the
// mark in bytes given back since the mark, when those lay before the mark's
// place (the allocation made before the mark and given back after it).
TEST(RewindRegression, AllocationInBytesGivenBackSinceTheMarkIsInaccessibleAfterRewind) {
#ifndef REGRESSION_ASAN
    GTEST_SKIP() << "asks AddressSanitizer whether bytes are poisoned: the asan preset runs it";
#else
    mpool::Pool pool;
    void *before = mpool_alloc(pool.get(), 64);
    ASSERT_NE(before, nullptr);
    mpool_mark_t mark;
    mpool_mark(pool.get(), &mark);
    EXPECT_EQ(mpool__give_back(pool.get(), before, 64), 1);
    auto *since = static_cast<char *>(mpool_alloc(pool.get(), 64));
    ASSERT_NE(since, nullptr);
    std::memset(since, 1, 64);
    ASSERT_EQ(mpool_rewind(pool.get(), &mark), 0);
    for (int i = 0; i < 64; ++i) EXPECT_TRUE(__asan_address_is_poisoned(since + i)) << "byte " << i;
#endif
}

// Issue 16.10: the give-back in a marked checked pool still counts: the
// figures are those of an unchecked run.
TEST(RewindRegression, GiveBackInAMarkedPoolLowersBytesAllocated) {
    mpool::Pool pool;
    void *before = mpool_alloc(pool.get(), 64);
    ASSERT_NE(before, nullptr);
    mpool_mark_t mark;
    mpool_mark(pool.get(), &mark);
    mpool_stats_t stats;
    mpool_get_stats(pool.get(), 0, &stats);
    size_t at_mark = stats.bytes_allocated;
    EXPECT_EQ(mpool__give_back(pool.get(), before, 64), 1);
    mpool_get_stats(pool.get(), 0, &stats);
    EXPECT_EQ(stats.bytes_allocated, at_mark - 64);
    ASSERT_EQ(mpool_rewind(pool.get(), &mark), 0);
    mpool_get_stats(pool.get(), 0, &stats);
    EXPECT_EQ(stats.bytes_allocated, at_mark);
}

// Issue 16.14: mpool.h promised an in-place grow of the last allocation,
// which a checked pool never does (deliberately: the move exposes stale
// pointers); the header now says so. Pins the documented behaviour.
TEST(ReallocRegression, GrowingTheLastAllocationMovesExactlyWhenThePoolIsChecked) {
    mpool::Pool pool;
    auto *p = static_cast<char *>(mpool_alloc(pool.get(), 32));
    ASSERT_NE(p, nullptr);
    std::memset(p, 7, 32);
    auto *grown = static_cast<char *>(mpool_realloc(pool.get(), p, 32, 64));
    ASSERT_NE(grown, nullptr);
    EXPECT_EQ(grown[31], 7);
    bool checked = mpool_check_modes() != 0 || std::getenv("MPOOL_DEBUG") != nullptr;
    EXPECT_EQ(grown != p, checked);
    EXPECT_EQ(mpool_realloc(pool.get(), grown, 64, 16), grown) << "shrinking stays in place in every mode";
}

} // namespace
