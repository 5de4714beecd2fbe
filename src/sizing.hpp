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

#include "block.hpp"

namespace mpool::detail {

// A decaying estimate of what a parent's children use, packed in 32 bits
// so that it is read and written as one atomic. Units of kAlign bytes.
struct child_sizing {
    uint16_t need; // decaying maximum of what children filled (decays on each create and each destroy)
    uint16_t last; // what the last destroyed child filled: one outlier is believed only when the next one agrees
};

inline child_sizing sizing_unpack(uint32_t packed) {
    return {static_cast<uint16_t>(packed & 0xffffu), static_cast<uint16_t>(packed >> 16)};
}

inline uint32_t sizing_pack(child_sizing s) { return static_cast<uint32_t>(s.need) | static_cast<uint32_t>(s.last) << 16; }

inline uint16_t sizing_units(size_t bytes) {
    size_t capped = bytes < MPOOL_MAX_BLOCK_SIZE ? bytes : MPOOL_MAX_BLOCK_SIZE;
    return static_cast<uint16_t>((capped + kAlign - 1) / kAlign);
}

inline uint16_t sizing_decayed(uint16_t need) { return static_cast<uint16_t>(need - need / 8); }


inline size_t sizing_wanted(uint32_t packed) { return size_t{sizing_unpack(packed).need} * kAlign; }

inline uint32_t sizing_after_create(uint32_t packed) {
    child_sizing s = sizing_unpack(packed);
    s.need = sizing_decayed(s.need);
    return sizing_pack(s);
}

inline uint32_t sizing_after_destroy(uint32_t packed, size_t used) {
    child_sizing s = sizing_unpack(packed);
    uint16_t now = sizing_units(used);
    uint16_t agreed = now < s.last ? now : s.last;
    uint16_t kept = sizing_decayed(s.need);
    s.need = agreed > kept ? agreed : kept;
    s.last = now;
    return sizing_pack(s);
}

} // namespace mpool::detail

#endif
