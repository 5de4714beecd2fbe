// check.hpp - invariants: MPOOL_ASSERT in debug builds, and the one way the
// library stops a program it cannot keep correct.
#ifndef MPOOL_SRC_CHECK_HPP
#define MPOOL_SRC_CHECK_HPP

namespace mpool::detail {

// Prints "mpool: <message>" to stderr and aborts (so a core or a debugger
// gets the stack). For misuse the library detects and cannot recover from.
[[noreturn]] void fatal(const char *message);

} // namespace mpool::detail

// MPOOL_ASSERT(cond, "why it must hold"): checked in debug builds (NDEBUG not
// defined), compiled out otherwise. The message says what broke.
#ifndef NDEBUG
#define MPOOL_ASSERT(cond, why)                                                                                        \
    do {                                                                                                               \
        if (!(cond)) ::mpool::detail::fatal("internal invariant broken: " why " (" #cond ")");                         \
    } while (0)
#else
#define MPOOL_ASSERT(cond, why)                                                                                        \
    do {                                                                                                               \
    } while (0)
#endif

#endif
