// make_corpus.cpp - writes the fuzz target's seed corpus: a few small
// inputs that together run every operation, every kind of cleanup action
// (creating, clearing and destroying pools during a teardown, and so on), a
// teardown with many callbacks, an explained ENOMEM, a realloc in place and
// one that moves, and a rewind that rewinds and one that is refused.
//
// Each input is the bytes a seeded random run consumed (RandomOps with a
// record), so the fuzzer decodes it to the same operations. Candidates of
// kOps operations are made from seeds 1, 2, ...; a greedy cover keeps those
// that add an operation kind or an action kind not yet covered.
//
//   mpool_fuzz_make_corpus DIR     (the fuzz preset builds it; see README)
#include <cstdio>
#include <string>
#include <vector>

#include "fuzz_config.hpp"

namespace {

using namespace mpool_stress;

constexpr size_t kOps = 60;
constexpr size_t kCandidates = 400;
constexpr size_t kLongOps = 400;

struct Candidate {
    std::vector<uint8_t> bytes;
    std::vector<bool> covers; // an operation kind, then an action kind, each run at least once
};

Candidate make_candidate(uint64_t seed) {
    Candidate c;
    RandomOps ops(seed, &c.bytes);
    Interpreter interpreter(mpool_fuzz::fuzz_config(false), ops);
    interpreter.run(kOps);
    const Coverage &covered = interpreter.coverage();
    if (interpreter.failed() || !interpreter.finish()) {
        std::fprintf(stderr, "seed %llu fails: %s\n", static_cast<unsigned long long>(seed),
                     interpreter.failure().c_str());
        return {};
    }
    for (size_t op : covered.ops) c.covers.push_back(op > 0);
    for (size_t i = 1; i < sizeof covered.actions / sizeof covered.actions[0]; ++i)
        c.covers.push_back(covered.actions[i] > 0);
    c.covers.push_back(covered.longest_plan >= 6); // a teardown with many callbacks
    c.covers.push_back(covered.enomem > 0);        // a failure, explained
    c.covers.push_back(covered.realloc_in_place > 0);
    c.covers.push_back(covered.realloc_moved > 0);
    c.covers.push_back(covered.rewinds > 0);         // a rewind that rewound
    c.covers.push_back(covered.rewinds_refused > 0); // one refused (EINVAL, ENOTSUP)
    return c;
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    std::vector<Candidate> candidates;
    for (uint64_t seed = 1; seed <= kCandidates; ++seed) {
        Candidate c = make_candidate(seed);
        if (c.covers.empty()) return 1;
        candidates.push_back(std::move(c));
    }
    std::vector<bool> covered(candidates[0].covers.size());
    for (int file = 0;; ++file) {
        size_t best = 0, best_gain = 0;
        for (size_t i = 0; i < candidates.size(); ++i) {
            size_t gain = 0;
            for (size_t k = 0; k < covered.size(); ++k) gain += candidates[i].covers[k] && !covered[k];
            if (gain > best_gain) {
                best = i;
                best_gain = gain;
            }
        }
        if (best_gain == 0) break;
        for (size_t k = 0; k < covered.size(); ++k) covered[k] = covered[k] || candidates[best].covers[k];
        std::string path = std::string(argv[1]) + "/seed-" + std::to_string(best + 1);
        FILE *out = std::fopen(path.c_str(), "wb");
        if (!out || std::fwrite(candidates[best].bytes.data(), 1, candidates[best].bytes.size(), out) !=
                        candidates[best].bytes.size()) {
            std::perror(path.c_str());
            return 1;
        }
        std::fclose(out);
        std::printf("%s: %zu bytes, covers %zu more\n", path.c_str(), candidates[best].bytes.size(), best_gain);
    }
    // Two longer inputs, for deeper trees and longer histories to mutate.
    for (uint64_t seed = 1; seed <= 2; ++seed) {
        std::vector<uint8_t> bytes;
        RandomOps ops(1000000 + seed, &bytes);
        Interpreter interpreter(mpool_fuzz::fuzz_config(false), ops);
        if (!interpreter.run(kLongOps) || !interpreter.finish()) {
            std::fprintf(stderr, "long input %llu fails: %s\n", static_cast<unsigned long long>(seed),
                         interpreter.failure().c_str());
            return 1;
        }
        std::string path = std::string(argv[1]) + "/long-" + std::to_string(seed);
        FILE *out = std::fopen(path.c_str(), "wb");
        if (!out || std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
            std::perror(path.c_str());
            return 1;
        }
        std::fclose(out);
        std::printf("%s: %zu bytes, %zu operations\n", path.c_str(), bytes.size(), kLongOps);
    }
    for (size_t k = 0; k < covered.size(); ++k)
        if (!covered[k])
            std::printf("not covered: %s\n", k < static_cast<size_t>(Op::count)
                                                 ? op_name(static_cast<Op>(k))
                                                 : ("item " + std::to_string(k)).c_str());
    return 0;
}
