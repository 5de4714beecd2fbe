// mutex.hpp - the allocator's lock (and a concurrent pool's cleanup lock):
// a mutex whose uncontended lock and unlock are one atomic instruction
// each, inline.
//
// The allocator's lock is taken on every create and destroy of a child on
// its parent's own list (the single-threaded tree), where std::mutex costs
// two calls into libc and ~100 instructions per create/destroy pair. This
// one is the classic three-state futex mutex (0 free, 1 held, 2 held with
// waiters): a contended lock sleeps in the kernel instead of spinning, and
// an unlock wakes a waiter only when there is one. On Linux it calls futex
// directly; elsewhere it waits through std::atomic::wait (which, in
// libstdc++, keeps a table of its own whose symbols a shared library would
// export).
#ifndef MPOOL_SRC_MUTEX_HPP
#define MPOOL_SRC_MUTEX_HPP

#include <atomic>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace mpool::detail {

class Mutex {
public:
    void lock() noexcept {
        int expected = 0;
        if (!state_.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed))
            lock_contended(expected);
    }
    void unlock() noexcept {
        if (state_.exchange(0, std::memory_order_release) == 2) wake_one();
    }

private:
    // Marks the lock as wanted (2) and sleeps until it is free, a short spin
    // first: the holder's critical sections are a few dozen instructions.
    [[gnu::noinline]] void lock_contended(int seen) noexcept {
        for (int spins = 0; spins < 100 && seen == 1; ++spins) {
            seen = 0;
            if (state_.compare_exchange_weak(seen, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
        }
        while (state_.exchange(2, std::memory_order_acquire) != 0) wait_while_wanted();
    }

#ifdef __linux__
    // Sleeps while the word is 2 (returns at once when it is not).
    void wait_while_wanted() noexcept {
        syscall(SYS_futex, reinterpret_cast<int *>(&state_), FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr, 0);
    }
    [[gnu::noinline]] void wake_one() noexcept {
        syscall(SYS_futex, reinterpret_cast<int *>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
#else
    void wait_while_wanted() noexcept { state_.wait(2, std::memory_order_relaxed); }
    [[gnu::noinline]] void wake_one() noexcept { state_.notify_one(); }
#endif

    std::atomic<int> state_{0};
    static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free,
                  "the futex word is the atomic itself");
};

} // namespace mpool::detail

#endif
