// Randomized model-based stress tests: an interpreter drives mpool and a
// shadow model with the same random operations and checks every result
// (tests/stress/README.md lists what is checked).
//
// Seeded and reproducible. Environment:
//   MPOOL_STRESS_SEED=n     first seed (each run after it uses the next one)
//   MPOOL_STRESS_OPS=n      operations per run
//   MPOOL_STRESS_SECONDS=s  keep starting runs (new seeds) for s seconds
//   MPOOL_STRESS_STRICT=0   tolerate the deviations the library had before the
//                           reliability work (Config::strict); strict by default
//   MPOOL_STRESS_THREADS=n  threads of the StressThreads tests (default 4)
//   MPOOL_STRESS_THREADED=0 skip the StressThreads tests
// A failure prints the seed and operation count that reproduce it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stress/stress_model.hpp"
#include "stress/stress_threads.hpp"

namespace {

using namespace mpool_stress;

// ThreadSanitizer slows these tests about 2x (AddressSanitizer hardly: the
// -O1 it builds with makes up for it): default runs are shorter there.
#if defined(__SANITIZE_THREAD__)
constexpr size_t kSlowdown = 2;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr size_t kSlowdown = 2;
#else
constexpr size_t kSlowdown = 1;
#endif
#else
constexpr size_t kSlowdown = 1;
#endif

uint64_t env_number(const char *name, uint64_t fallback) {
    const char *value = std::getenv(name);
    return value && *value ? std::strtoull(value, nullptr, 0) : fallback;
}

bool strict() { return env_number("MPOOL_STRESS_STRICT", 1) != 0; }

// Runs interpreters on seeds first, first + 1, ...: `runs` of them, or as
// many as MPOOL_STRESS_SECONDS allows; each finishes by destroying
// everything. Stops at the first failure and reports how to reproduce it.
void run_seeds(Config config, uint64_t first_seed, size_t runs, size_t ops) {
    config.strict = strict();
    uint64_t seed = env_number("MPOOL_STRESS_SEED", first_seed);
    ops = env_number("MPOOL_STRESS_OPS", ops);
    double seconds = static_cast<double>(env_number("MPOOL_STRESS_SECONDS", 0));
    auto start = std::chrono::steady_clock::now();
    auto elapsed = [start] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    Coverage covered;
    size_t done = 0;
    for (size_t run = 0; seconds > 0 ? (run == 0 || elapsed() < seconds) : run < runs; ++run, ++seed) {
        RandomOps source(seed);
        Interpreter interpreter(config, source);
        bool ok = interpreter.run(ops) && interpreter.finish();
        if (!ok) {
            ADD_FAILURE() << "reproduce with MPOOL_STRESS_SEED=" << seed << " MPOOL_STRESS_OPS=" << ops << "\n"
                          << interpreter.failure();
            return;
        }
        covered += interpreter.coverage();
        ++done;
    }
    std::string summary = std::to_string(done) + " runs of " + std::to_string(ops) + " operations from seed " +
                          std::to_string(env_number("MPOOL_STRESS_SEED", first_seed)) + "\n" + covered.describe();
    std::printf("%s\n", summary.c_str());
}

// Every operation of the C API on random trees, with cleanups that create,
// clear and destroy pools: results, contents, bytes_allocated, stats,
// callback order and block accounting all match the model.
TEST(Stress, RandomOperationsMatchTheModel) {
    Config config;
    run_seeds(config, 1, 10, 8000 / kSlowdown);
}

// Block sources that fail their k-th request (or every one from the k-th):
// only ENOMEM, only where a failure was injected or a limit is near, the
// out-of-memory handler once per failure, and every block back at the end.
TEST(Stress, InjectedSourceFailuresAreEnomemAndLeakNothing) {
    Config config;
    config.fault_injection = true;
    run_seeds(config, 1001, 10, 6000 / kSlowdown);
}

// Many small trees torn down often: the order of every pre-cleanup, child,
// cleanup and userdata cleanup, including cleanups that destroy siblings
// and create children during their parent's teardown.
TEST(Stress, TeardownOrderOfSmallTreesMatchesTheModel) {
    Config config;
    config.max_pools = 8;
    config.max_live_bytes = 64 << 10;
    run_seeds(config, 2001, 30, 2000 / kSlowdown);
}

// The fuzzer's decoding: the bytes a seeded run consumed, replayed, give
// the same operations. (Without limits: see Config::limits.)
TEST(Stress, ReplayedBytesGiveTheSameOperations) {
    std::vector<uint8_t> bytes;
    Config config;
    config.limits = false;
    size_t first_ops = 0;
    size_t first_callbacks = 0;
    {
        RandomOps source(77, &bytes);
        Interpreter interpreter(config, source);
        ASSERT_TRUE(interpreter.run(500) && interpreter.finish()) << interpreter.failure();
        first_ops = interpreter.ops_run();
        first_callbacks = interpreter.coverage().callbacks;
    }
    ByteOps replay(bytes.data(), bytes.size());
    Interpreter interpreter(config, replay);
    while (interpreter.step()) {
    }
    ASSERT_FALSE(interpreter.failed()) << interpreter.failure();
    ASSERT_TRUE(interpreter.finish()) << interpreter.failure();
    EXPECT_EQ(interpreter.ops_run(), first_ops);
    EXPECT_EQ(interpreter.coverage().callbacks, first_callbacks);
}

// ---------------------------------------------------------------- threads

// MPOOL_STRESS_THREADED=0 skips every threaded test.
bool threaded() { return env_number("MPOOL_STRESS_THREADED", 1) != 0; }

ThreadedConfig threaded_config(uint64_t first_seed, size_t ops) {
    ThreadedConfig tc;
    tc.threads = static_cast<unsigned>(env_number("MPOOL_STRESS_THREADS", 4));
    tc.seed = env_number("MPOOL_STRESS_SEED", first_seed);
    tc.ops = env_number("MPOOL_STRESS_OPS", ops);
    tc.strict = strict();
    return tc;
}

// Runs a threaded scenario `runs` times on seeds seed, seed + 1000, ..., or
// as many times as MPOOL_STRESS_SECONDS allows. The seeds fix each thread's
// operations; how the threads interleave is up to the scheduler.
template <class Scenario> void run_threaded(Scenario scenario, ThreadedConfig tc, size_t default_runs) {
    double seconds = static_cast<double>(env_number("MPOOL_STRESS_SECONDS", 0));
    auto start = std::chrono::steady_clock::now();
    auto elapsed = [start] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    uint64_t first_seed = tc.seed;
    Coverage covered;
    size_t runs = 0;
    for (; seconds > 0 ? (runs == 0 || elapsed() < seconds) : runs < default_runs; ++runs, tc.seed += 1000) {
        ThreadedResult r = scenario(tc);
        if (!r.ok) {
            ADD_FAILURE() << "reproduce (the interleaving aside) with MPOOL_STRESS_SEED="
                          << tc.seed << " MPOOL_STRESS_OPS=" << tc.ops << " MPOOL_STRESS_THREADS=" << tc.threads << "\n"
                          << r.failure;
            return;
        }
        covered += r.coverage;
    }
    std::printf("%zu runs, %u threads, from seed %llu\n%s\n", runs, tc.threads,
                static_cast<unsigned long long>(first_seed), covered.describe().c_str());
}

#define SKIP_UNLESS_THREADED()                                                                                         \
    do {                                                                                                               \
        if (!threaded()) GTEST_SKIP() << "MPOOL_STRESS_THREADED=0";                                                    \
    } while (0)

// Every thread allocates from one MPOOL_CONCURRENT pool at once (all the
// allocation calls, realloc of its own allocations, strings), registers
// cleanups and pre-cleanups on it, and creates and destroys children of it.
TEST(StressThreads, ConcurrentPoolTakesAllocationsCleanupsAndChildrenFromEveryThread) {
    SKIP_UNLESS_THREADED();
    run_threaded(run_concurrent_pool_from_every_thread, threaded_config(1, 3000 / kSlowdown), 3);
}

// Each thread runs its own model-checked worlds; their roots are children of
// one shared parent, created and destroyed by every thread at once.
TEST(StressThreads, WorldsKeptByTheirThreadsUnderASharedParent) {
    SKIP_UNLESS_THREADED();
    run_threaded(run_worlds_kept_by_their_threads, threaded_config(1, 1500 / kSlowdown), 4);
}

// Worlds handed from thread to thread (under a mutex) every few operations:
// pools made in one thread are used, cleared and destroyed in another,
// cleanups run in whichever thread tears their pool down. Each pool's live
// children come from one thread at a time, so the order of teardown does not
// depend on how the library links children per thread. Guards the double
// free of a sibling destroyed by a cleanup while it sat on another thread's
// lane during its parent's teardown (issue 8, defect 1).
TEST(StressThreads, PoolsHandedAcrossThreadsAreUsedAndDestroyedThere) {
    SKIP_UNLESS_THREADED();
    ThreadedConfig tc = threaded_config(1, 1500 / kSlowdown);
    tc.mixed_creators = false;
    run_threaded(run_worlds_handed_across_threads, tc, 6);
}

// As above, but the worlds are left alive and the main thread destroys the
// shared parent: one teardown of children made by every thread.
TEST(StressThreads, SharedParentTeardownRunsEveryWorldsCallbacksAsPlanned) {
    SKIP_UNLESS_THREADED();
    ThreadedConfig tc = threaded_config(1, 1500 / kSlowdown);
    tc.mixed_creators = false;
    run_threaded(run_shared_parent_teardown_of_every_world, tc, 6);
}

// Children of one pool made by several threads (handed worlds, mixed
// creators) are torn down newest first, as the contract says, and a child
// made during a teardown is destroyed before the parent's cleanups run
// (issue 8, defect 6: they were torn down lane by lane).
TEST(StressThreads, ChildrenMadeByManyThreadsAreTornDownNewestFirst) {
    SKIP_UNLESS_THREADED();
    ThreadedConfig tc = threaded_config(1, 1500 / kSlowdown);
    tc.mixed_creators = true;
    run_threaded(run_worlds_handed_across_threads, tc, 6);
}

} // namespace
