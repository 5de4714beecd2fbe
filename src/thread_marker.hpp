// thread_marker.hpp - a number that stands for the calling thread while it
// runs: the address of a byte of its own.
//
// Inline, and in the initial-exec TLS model, so that reading it is two
// instructions with no call, also in the shared library: every create of a
// child compares it with the parent's `lanes` word (lanes.hpp). A thread
// that starts after another exited may get the same address; the users of
// the marker say what that means for them.
#ifndef MPOOL_SRC_THREAD_MARKER_HPP
#define MPOOL_SRC_THREAD_MARKER_HPP

#include <cstdint>

namespace mpool::detail {

// Eight-aligned, so that the marker is even and `marker | 1` (a lanes word)
// is never a pointer.
alignas(8) [[gnu::tls_model("initial-exec")]] inline thread_local char t_thread_byte;

inline uintptr_t this_thread_marker() { return reinterpret_cast<uintptr_t>(&t_thread_byte); }

} // namespace mpool::detail

#endif
