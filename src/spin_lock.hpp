// spin_lock.hpp - a lock for short critical sections that are almost never
// contended: a lane's children and block cache (lanes.hpp). Its owner takes
// it on every create and destroy, where a std::mutex would cost a call and
// a second atomic; other threads take it only to destroy a child handed to
// them, to trim, or to tear the parent down.
#ifndef MPOOL_SRC_SPIN_LOCK_HPP
#define MPOOL_SRC_SPIN_LOCK_HPP

#include <atomic>
#include <thread>

namespace mpool::detail {

class SpinLock {
public:
    void lock() noexcept {
        for (unsigned spins = 0; locked_.exchange(true, std::memory_order_acquire);) {
            while (locked_.load(std::memory_order_relaxed))
                if (++spins % 64 == 0) std::this_thread::yield(); // the holder may have been preempted
        }
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

} // namespace mpool::detail

#endif
