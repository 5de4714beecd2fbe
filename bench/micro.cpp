// micro.cpp - Google Benchmark microbenchmarks of mpool's fast paths.
#include <benchmark/benchmark.h>

#include <vector>

#include "mpool/mpool.h"

namespace {

void BM_AllocConstant(benchmark::State &state) {
    mpool_t *pool = mpool_create(nullptr);
    size_t n = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(mpool_alloc(pool, 32));
        if (++n == 100000) {
            mpool_clear(pool);
            n = 0;
        }
    }
    mpool_destroy(pool);
}
BENCHMARK(BM_AllocConstant);

void BM_AllocVariable(benchmark::State &state) {
    std::vector<size_t> sizes(1024);
    for (size_t i = 0; i < sizes.size(); ++i) sizes[i] = 8 + (i * 37) % 121;
    mpool_t *pool = mpool_create(nullptr);
    size_t n = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(mpool_alloc(pool, sizes[n & 1023]));
        if (++n == 100000) {
            mpool_clear(pool);
            n = 0;
        }
    }
    mpool_destroy(pool);
}
BENCHMARK(BM_AllocVariable);

void BM_ChildCreateDestroy(benchmark::State &state) {
    mpool_t *parent = mpool_create(nullptr);
    for (auto _ : state) {
        mpool_t *child = mpool_create(parent);
        benchmark::DoNotOptimize(mpool_alloc(child, 64));
        mpool_destroy(child);
    }
    mpool_destroy(parent);
}
BENCHMARK(BM_ChildCreateDestroy);

void BM_ClearOneBlockPool(benchmark::State &state) {
    mpool_t *pool = mpool_create(nullptr);
    for (auto _ : state) {
        benchmark::DoNotOptimize(mpool_alloc(pool, 64));
        mpool_clear(pool);
    }
    mpool_destroy(pool);
}
BENCHMARK(BM_ClearOneBlockPool);

void nothing(void *) {}

void BM_CleanupRegister(benchmark::State &state) {
    mpool_t *pool = mpool_create(nullptr);
    size_t n = 0;
    for (auto _ : state) {
        mpool_cleanup_register(pool, &n, nothing);
        if (++n == 10000) {
            mpool_clear(pool);
            n = 0;
        }
    }
    mpool_destroy(pool);
}
BENCHMARK(BM_CleanupRegister);

} // namespace

BENCHMARK_MAIN();
