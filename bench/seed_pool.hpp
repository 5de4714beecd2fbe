// seed_pool.hpp - the pool the original request (shared/seed) ends with,
// kept as a baseline: a mutex around every call, and every block scanned on
// each allocation. Rewritten here from that conversation's final version
// (allocation, reuse of freed blocks, reset, periodic cleanup check).
#ifndef MPOOL_BENCH_SEED_POOL_HPP
#define MPOOL_BENCH_SEED_POOL_HPP

#include <pthread.h>

#include <cstdlib>
#include <ctime>

namespace bench {

class SeedPool {
public:
    explicit SeedPool(size_t default_size = 4096, int cleanup_interval = 60)
        : default_size_(default_size), cleanup_interval_(cleanup_interval), last_cleanup_(std::time(nullptr)) {}
    ~SeedPool() {
        free_list(head_);
        free_list(free_blocks_);
    }
    SeedPool(const SeedPool &) = delete;
    SeedPool &operator=(const SeedPool &) = delete;

    void *alloc(size_t size) {
        pthread_mutex_lock(&lock_);
        std::time_t now = std::time(nullptr);
        if (cleanup_interval_ > 0 && now - last_cleanup_ >= cleanup_interval_) {
            cleanup();
            last_cleanup_ = now;
        }
        size_t aligned = (size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
        for (Block *b = head_; b; b = b->next)
            if (b->size - b->used >= aligned) {
                void *p = b->data + b->used;
                b->used += aligned;
                pthread_mutex_unlock(&lock_);
                return p;
            }
        Block *b;
        if (free_blocks_ && free_blocks_->size >= aligned) {
            b = free_blocks_;
            free_blocks_ = b->next;
            b->used = 0;
        } else {
            size_t block_size = aligned > default_size_ ? aligned : default_size_;
            b = static_cast<Block *>(std::malloc(sizeof(Block) + block_size));
            if (!b) {
                pthread_mutex_unlock(&lock_);
                return nullptr;
            }
            b->size = block_size;
            b->used = 0;
        }
        b->next = head_;
        head_ = b;
        b->used = aligned;
        pthread_mutex_unlock(&lock_);
        return b->data;
    }

    void reset() {
        pthread_mutex_lock(&lock_);
        while (Block *b = head_) {
            head_ = b->next;
            b->next = free_blocks_;
            free_blocks_ = b;
        }
        pthread_mutex_unlock(&lock_);
    }

private:
    struct Block {
        Block *next;
        size_t size;
        size_t used;
        alignas(8) unsigned char data[];
    };
    static void free_list(Block *b) {
        while (b) {
            Block *next = b->next;
            std::free(b);
            b = next;
        }
    }
    void cleanup() {
        Block **link = &free_blocks_;
        while (Block *b = *link) {
            if (b->used == 0) {
                *link = b->next;
                std::free(b);
            } else {
                link = &b->next;
            }
        }
    }

    pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
    Block *head_ = nullptr;
    Block *free_blocks_ = nullptr;
    size_t default_size_;
    int cleanup_interval_;
    std::time_t last_cleanup_;
};

} // namespace bench

#endif
