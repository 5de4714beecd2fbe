// sizing.hpp - how big a new child's first block is (inline: every create
// and destroy of a child uses it).
//
// A parent (or, for children on lanes, each lane) keeps an estimate of what
// its children fill, so that a per-request child gets one block of the
// right size. The estimate is a decaying maximum, with two guards:
// - one outlier is not believed: a destroyed child raises the estimate only
//   to the smaller of what it filled and what the child destroyed before it
//   filled. A run of big children is believed from the second one on; one
//   big child among tiny ones changes nothing.
// - it decays on create as well as on destroy (by 1/8 each), so that
//   children that live on (and so never report) bring it down: after a run
//   of 32 KiB requests, about 40 long-lived children get it back to the
//   smallest block.
// The block is sized from the estimate before the create's decay, so a
// steady create/destroy cycle keeps it where it is.
#ifndef MPOOL_SRC_SIZING_HPP
#define MPOOL_SRC_SIZING_HPP

#include <atomic>

#include "block.hpp"

namespace mpool::detail {

// A decaying estimate of what a parent's children use, in units of kAlign
// bytes.
struct sizing_estimate {
    uint16_t need; // decaying maximum of what children filled (decays on each create and each destroy)
    uint16_t last; // what the last destroyed child filled: one outlier is believed only when the next one agrees
};

inline uint16_t sizing_units(size_t bytes) {
    size_t capped = bytes < MPOOL_MAX_BLOCK_SIZE ? bytes : MPOOL_MAX_BLOCK_SIZE;
    return static_cast<uint16_t>((capped + kAlign - 1) / kAlign);
}

inline uint16_t sizing_decayed(uint16_t need) { return static_cast<uint16_t>(need - need / 8); }

inline size_t sizing_wanted(uint16_t need) { return size_t{need} * kAlign; }

inline sizing_estimate sizing_after_destroy(sizing_estimate s, size_t used) {
    uint16_t now = sizing_units(used);
    uint16_t agreed = now < s.last ? now : s.last;
    uint16_t kept = sizing_decayed(s.need);
    return {agreed > kept ? agreed : kept, now};
}

// The estimate as a parent keeps it for the children on its own list. Any
// thread may destroy one of them and update it, so each half is an atomic
// read and written whole (relaxed: it orders nothing). Two destroys at once
// may mix their updates; that only mixes two estimates. Two halves rather
// than one packed word, so that the decay of a create is a load, two
// arithmetic instructions and a store.
struct shared_sizing_estimate {
    std::atomic<uint16_t> need{0};
    std::atomic<uint16_t> last{0};

    sizing_estimate load() const {
        return {need.load(std::memory_order_relaxed), last.load(std::memory_order_relaxed)};
    }
    void store(sizing_estimate s) {
        need.store(s.need, std::memory_order_relaxed);
        last.store(s.last, std::memory_order_relaxed);
    }
    size_t wanted() const { return sizing_wanted(need.load(std::memory_order_relaxed)); }
    void decay_on_create() { need.store(sizing_decayed(need.load(std::memory_order_relaxed)), std::memory_order_relaxed); }
    void record_destroy(size_t used) { store(sizing_after_destroy(load(), used)); }
};

} // namespace mpool::detail

#endif
