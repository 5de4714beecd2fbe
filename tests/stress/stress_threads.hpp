// stress_threads.hpp - the stress test's threaded scenarios.
//
// A "world" is one single-threaded Interpreter (stress_model.hpp) with its
// own operation stream, model and allocator; its roots are children of one
// parent pool that every world shares. Worlds are what threads own, and what
// they hand to one another: a world is used by one thread at a time, and a
// hand-off goes through a mutex, so the harness is race-free by construction
// and every check of the single-threaded model still holds per world, while
// the library sees children of a shared parent created and destroyed from
// every thread, pools created in one thread and used, cleared and destroyed
// in another, and cleanups that create and destroy pools while they do.
//
// What the contract lets threads do at once (mpool.h): create and destroy
// children of one parent; use distinct pools sharing an allocator; allocate
// from (and register cleanups on) a MPOOL_CONCURRENT pool. Everything else
// here happens with the pool handed over first.
#ifndef MPOOL_TESTS_STRESS_STRESS_THREADS_HPP
#define MPOOL_TESTS_STRESS_STRESS_THREADS_HPP

#include <cstddef>
#include <cstdint>
#include <string>

#include "stress_model.hpp"

namespace mpool_stress {

struct ThreadedConfig {
    unsigned threads = 4;           // worker threads
    unsigned worlds_per_thread = 2; // worlds scenarios
    uint64_t seed = 1;              // world w uses seed + w; the concurrent scenario seed + thread
    size_t ops = 1500;              // operations per world, or per thread (concurrent scenario)
    size_t slice = 10;              // operations a thread runs on a world before it hands it on
    unsigned rounds = 3;            // concurrent scenario: rounds of threads, each ended by a clear
    bool strict = false;            // Config::strict
    bool mixed_creators = true;     // Config::mixed_creators
};

struct ThreadedResult {
    bool ok = true;
    std::string failure; // the first failure, with the world (seed) it happened in
    Coverage coverage;   // summed over worlds
};

// Each thread keeps its worlds for the whole run and destroys them at the
// end; the worlds' roots are children of one shared parent, so the library
// links and unlinks them from every thread at once.
ThreadedResult run_worlds_kept_by_their_threads(const ThreadedConfig &config);

// Worlds go round a queue: a thread takes one, runs `slice` operations on
// it, puts it back. Pools made in one thread are used, cleared and
// destroyed in another, children of one pool come from several threads,
// and whichever thread holds a world at its end destroys it.
ThreadedResult run_worlds_handed_across_threads(const ThreadedConfig &config);

// As handed_across_threads, but the worlds are left alive and the main
// thread destroys the shared parent: the teardown of every world's roots
// (children created by many threads) in one thread. Each world checks its
// own callbacks; how two worlds' teardowns interleave is not checked.
ThreadedResult run_shared_parent_teardown_of_every_world(const ThreadedConfig &config);

// One MPOOL_CONCURRENT pool that every thread allocates from (every
// allocation call, realloc of its own allocations), registers cleanups and
// pre-cleanups on, and creates and destroys children of, at once; after each
// round the main thread checks every allocation, the figures and the block
// accounting, then clears it (the last round destroys it) and checks that
// each callback ran once, in order.
ThreadedResult run_concurrent_pool_from_every_thread(const ThreadedConfig &config);

} // namespace mpool_stress

#endif
