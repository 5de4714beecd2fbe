// Randomized model-based stress tests: an interpreter drives mpool and a
// shadow model with the same random operations and checks every result
// (tests/stress/README.md lists what is checked).
//
// Seeded and reproducible. Environment:
//   MPOOL_STRESS_SEED=n     first seed (each run after it uses the next one)
//   MPOOL_STRESS_OPS=n      operations per run
//   MPOOL_STRESS_SECONDS=s  keep starting runs (new seeds) for s seconds
//   MPOOL_STRESS_STRICT=1   no tolerance for today's known deviations (Config::strict)
// A failure prints the seed and operation count that reproduce it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "stress/stress_model.hpp"

namespace {

using namespace mpool_stress;

// Sanitizers slow the library by 3x (ASan) to 15x (TSan): default runs are
// shorter there, so that the file stays within ~30 s.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr size_t kSlowdown = 4;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr size_t kSlowdown = 4;
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

bool strict() { return env_number("MPOOL_STRESS_STRICT", 0) != 0; }

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
    run_seeds(config, 1, 6, 4000 / kSlowdown);
}

// Block sources that fail their k-th request (or every one from the k-th):
// only ENOMEM, only where a failure was injected or a limit is near, the
// out-of-memory handler once per failure, and every block back at the end.
TEST(Stress, InjectedSourceFailuresAreEnomemAndLeakNothing) {
    Config config;
    config.fault_injection = true;
    run_seeds(config, 1001, 6, 4000 / kSlowdown);
}

// Many small trees torn down often: the order of every pre-cleanup, child,
// cleanup and userdata cleanup, including cleanups that destroy siblings
// and create children during their parent's teardown.
TEST(Stress, TeardownOrderOfSmallTreesMatchesTheModel) {
    Config config;
    config.max_pools = 8;
    config.max_live_bytes = 64 << 10;
    run_seeds(config, 2001, 12, 2000 / kSlowdown);
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

} // namespace
