// fuzz_printf.cpp - libFuzzer target: mpool_printf against snprintf. The
// input's first bytes choose the pool (plain, concurrent, debug mode), how
// much of its first block is used already, and whether its block source
// fails at some request; the rest is decoded into formats and typed
// arguments by tests/printf_check.hpp's grammar, each run through both and
// compared byte for byte (or on errno when snprintf fails). Every input ends
// by destroying the pool and checking that the source got every block back.
//
// Built with ASan like the rest of the fuzz preset, so every pool is laid
// out for the checker: formatting starts on the stack and moves into pool
// allocations. Formatting straight into a block's room is checked by the
// seeded run of the same grammar in the unit tests.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "printf_check.hpp"
#include "test_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    printf_check::Bytes in(data, size);
    uint8_t kind = in.byte(), prefill = in.byte(), failure = in.byte();
    TestSource source;
    if (failure >= 224) source.fail_request = 3 + failure % 8; // 1 and 2: the allocator's record, the pool's block
    mpool_allocator_t *allocator = source.make_allocator();
    mpool_options_t options{};
    options.allocator = allocator;
    options.flags = kind % 3 == 1 ? MPOOL_CONCURRENT : kind % 3 == 2 ? MPOOL_DEBUG : 0u;
    mpool_t *pool = mpool_create_ex(nullptr, &options);
    if (!pool) std::abort();
    mpool_alloc(pool, size_t{prefill} * 15);
    while (!in.done()) {
        printf_check::Case c = printf_check::make_case(in);
        std::string mismatch = printf_check::check(pool, c, source.fail_request != 0);
        if (!mismatch.empty()) {
            std::fprintf(stderr, "mpool_printf differs from snprintf: %s\n", mismatch.c_str());
            std::abort();
        }
    }
    if (mpool_check(pool) != 0) std::abort();
    mpool_destroy(pool);
    mpool_allocator_destroy(allocator);
    if (source.live_blocks != 0) {
        std::fprintf(stderr, "%zu blocks were not given back to the source\n", source.live_blocks);
        std::abort();
    }
    return 0;
}
