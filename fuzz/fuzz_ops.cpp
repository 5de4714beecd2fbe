// fuzz_ops.cpp - libFuzzer target: the input is a sequence of operations,
// decoded by the stress test's interpreter (tests/stress/stress_model.hpp)
// and run, single-threaded, against the library and the shadow model at
// once. Any mismatch with the model, and anything the sanitizers find,
// aborts with the model's account of it (the operation, what differed, the
// last operations before it).
//
// Every input ends by destroying every pool and allocator it made and
// checking that each block source got every block back.
//
// MPOOL_STRESS_STRICT=0 in the environment: tolerate the deviations the
// library had before the reliability work (see Config::strict); strict by
// default.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz_config.hpp"

namespace {
bool g_strict = true;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    const char *strict = std::getenv("MPOOL_STRESS_STRICT");
    g_strict = !(strict && *strict == '0');
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mpool_stress::ByteOps ops(data, size);
    mpool_stress::Interpreter interpreter(mpool_fuzz::fuzz_config(g_strict), ops);
    for (size_t i = 0; i < mpool_fuzz::kMaxOps && interpreter.step(); ++i) {
    }
    if (!interpreter.failed()) interpreter.finish();
    if (interpreter.failed()) {
        std::fprintf(stderr, "mpool model mismatch: %s\n", interpreter.failure().c_str());
        std::abort();
    }
    return 0;
}
