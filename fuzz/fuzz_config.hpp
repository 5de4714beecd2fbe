// fuzz_config.hpp - the interpreter configuration of the fuzz target, shared
// with the corpus generator: the same bytes must decode to the same
// operations in both.
#ifndef MPOOL_FUZZ_FUZZ_CONFIG_HPP
#define MPOOL_FUZZ_FUZZ_CONFIG_HPP

#include <cstddef>

#include "stress_model.hpp"

namespace mpool_fuzz {

// Most operations one input runs (an input of max_len bytes decodes to
// fewer anyway: every operation reads at least two bytes).
inline constexpr size_t kMaxOps = 2000;

inline mpool_stress::Config fuzz_config(bool strict) {
    mpool_stress::Config config;
    config.fault_injection = true;
    config.max_pools = 16;
    config.max_live_bytes = size_t{1} << 20;
    config.strict = strict;
    return config;
}

} // namespace mpool_fuzz

#endif
