// test_support.hpp - a block source for tests: counts what is live and
// fails the k-th request on demand.
#ifndef MPOOL_TESTS_TEST_SUPPORT_HPP
#define MPOOL_TESTS_TEST_SUPPORT_HPP

#include <cstdlib>
#include <mutex>
#include <string_view>

#include <gtest/gtest.h>

#include "mpool/mpool.h"

class TestSource {
public:
    size_t requests = 0;     // alloc calls so far, failed ones included
    size_t live_blocks = 0;  // blocks handed out and not given back
    size_t live_bytes = 0;   // their bytes
    size_t fail_request = 0; // fail the request with this number (1-based); 0: none
    bool fail_from_then_on = false; // with fail_request: fail that one and every later one

    mpool_block_source_t source() { return {&TestSource::alloc, &TestSource::release, this}; }

    // An allocator over this source; destroyed by the caller.
    mpool_allocator_t *make_allocator() {
        mpool_block_source_t s = source();
        return mpool_allocator_create(&s);
    }

private:
    std::mutex lock_;

    static void *alloc(void *ctx, size_t size) {
        auto *self = static_cast<TestSource *>(ctx);
        std::lock_guard guard(self->lock_);
        ++self->requests;
        if (self->fail_request != 0 &&
            (self->requests == self->fail_request || (self->fail_from_then_on && self->requests > self->fail_request)))
            return nullptr;
        void *block = std::malloc(size);
        if (block) {
            ++self->live_blocks;
            self->live_bytes += size;
        }
        return block;
    }

    static void release(void *ctx, void *block, size_t size) {
        auto *self = static_cast<TestSource *>(ctx);
        std::lock_guard guard(self->lock_);
        --self->live_blocks;
        self->live_bytes -= size;
        std::free(block);
    }
};

// A root pool that takes its blocks from `allocator`.
inline mpool_t *root_on(mpool_allocator_t *allocator) {
    mpool_options_t options{};
    options.allocator = allocator;
    return mpool_create_ex(nullptr, &options);
}

// A test with a root pool on an allocator over a TestSource. At its end the
// root and the allocator are destroyed and no block of the source may be
// left live, so a test that leaks fails.
class CountedRootTest : public ::testing::Test {
protected:
    TestSource source;
    mpool_allocator_t *allocator = nullptr;
    size_t allocator_bytes = 0; // what the allocator's own record took from the source
    mpool_t *root = nullptr;
    void SetUp() override {
        allocator = source.make_allocator();
        allocator_bytes = source.live_bytes;
        root = root_on(allocator);
        ASSERT_NE(root, nullptr);
    }
    void TearDown() override {
        mpool_destroy(root);
        mpool_allocator_destroy(allocator);
        EXPECT_EQ(source.live_blocks, 0u);
    }
};

// Tests of the exact layout (addresses, block counts, in-place growth) do
// not hold when the library lays allocations out for a checker (ASan,
// Valgrind, MPOOL_DEBUG): each allocation then carries redzones.
#define SKIP_WHEN_CHECKED()                                                                                            \
    do {                                                                                                               \
        if (mpool_check_modes() != 0) GTEST_SKIP() << "allocations carry redzones for a checker: the layout differs";  \
    } while (0)

// Tests of what clear keeps do not hold when every allocation has a block
// of its own (MPOOL_DEBUG=2): clear then gives every block back.
#define SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK()                                                                       \
    do {                                                                                                               \
        const char *level = std::getenv("MPOOL_DEBUG");                                                                \
        if (level && std::string_view(level) == "2") GTEST_SKIP() << "MPOOL_DEBUG=2: every allocation has a block";   \
    } while (0)

inline mpool_stats_t stats_of(const mpool_t *pool, bool with_descendants = false) {
    mpool_stats_t s;
    mpool_get_stats(pool, with_descendants ? 1 : 0, &s);
    return s;
}

#endif
