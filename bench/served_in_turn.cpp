// served_in_turn.cpp - the memory a server's connection pools hold when a
// thread pool serves them: 64 connections, each a root pool with its own
// allocator (max_free 2 MiB, httpd's MaxMemFree), each request a child
// filled with 40 KB in 1000-byte pieces, served by T threads in turn (one
// request at a time per connection, as httpd does). Prints, for T = 1, 4,
// 12 and 25, what mpool's pools and allocators hold afterwards (reserved +
// idle bytes) and, for mpool and APR (when found), the growth of the
// process's peak RSS, each configuration in a fresh process.
//   mpool_served_in_turn [rounds]   (default 200 rounds of the 64 connections)
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "mpool/mpool.h"
#ifdef MPOOL_BENCH_HAVE_APR
#include <apr_general.h>
#include <apr_pools.h>
#endif

namespace {

constexpr int kConnections = 64;
constexpr size_t kMaxFree = size_t{2} << 20;

long peak_rss_kib() {
    FILE *status = std::fopen("/proc/self/status", "r");
    if (!status) return 0;
    char line[256];
    long kib = 0;
    while (std::fgets(line, sizeof line, status))
        if (std::sscanf(line, "VmHWM: %ld", &kib) == 1) break;
    std::fclose(status);
    return kib;
}

// Runs `serve(connection)` for every connection, `rounds` times, on T
// threads; each thread starts at a different connection.
template <class Serve> void serve_in_turn(int threads, int rounds, Serve serve) {
    std::vector<std::mutex> locks(kConnections);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int r = 0; r < rounds; ++r)
                for (int k = 0; k < kConnections; ++k) {
                    int i = (k + t * 7 + r) % kConnections;
                    std::lock_guard guard(locks[i]);
                    serve(i);
                }
        });
    for (std::thread &t : pool) t.join();
}

void run_mpool(int threads, int rounds) {
    mpool_allocator_t *allocators[kConnections];
    mpool_t *connections[kConnections];
    for (int i = 0; i < kConnections; ++i) {
        allocators[i] = mpool_allocator_create(nullptr);
        mpool_allocator_set_max_free(allocators[i], kMaxFree);
        mpool_options_t options{};
        options.allocator = allocators[i];
        connections[i] = mpool_create_ex(nullptr, &options);
    }
    long before = peak_rss_kib();
    serve_in_turn(threads, rounds, [&](int i) {
        mpool_t *request = mpool_create(connections[i]);
        for (int j = 0; j < 40; ++j) std::memset(mpool_alloc(request, 1000), j, 1000);
        mpool_destroy(request);
    });
    size_t held = 0;
    for (int i = 0; i < kConnections; ++i) {
        mpool_stats_t stats;
        mpool_get_stats(connections[i], 1, &stats);
        held += stats.bytes_reserved + mpool_allocator_idle_bytes(allocators[i]);
    }
    std::printf("mpool  T=%-2d  held %6.1f MB   peak RSS +%6.1f MB\n", threads, held / 1e6,
                (peak_rss_kib() - before) / 1024.0);
    for (int i = 0; i < kConnections; ++i) {
        mpool_destroy(connections[i]);
        mpool_allocator_destroy(allocators[i]);
    }
}

#ifdef MPOOL_BENCH_HAVE_APR
void run_apr(int threads, int rounds) {
    apr_initialize();
    apr_allocator_t *allocators[kConnections];
    apr_pool_t *connections[kConnections];
    for (int i = 0; i < kConnections; ++i) {
        apr_allocator_create(&allocators[i]);
        apr_allocator_max_free_set(allocators[i], kMaxFree);
        apr_pool_create_ex(&connections[i], nullptr, nullptr, allocators[i]);
        apr_allocator_owner_set(allocators[i], connections[i]);
    }
    long before = peak_rss_kib();
    serve_in_turn(threads, rounds, [&](int i) {
        apr_pool_t *request;
        apr_pool_create(&request, connections[i]);
        for (int j = 0; j < 40; ++j) std::memset(apr_palloc(request, 1000), j, 1000);
        apr_pool_destroy(request);
    });
    std::printf("APR    T=%-2d                  peak RSS +%6.1f MB\n", threads, (peak_rss_kib() - before) / 1024.0);
    for (apr_pool_t *connection : connections) apr_pool_destroy(connection);
    apr_terminate();
}
#endif

// Runs fn in a child process, so that each configuration starts with a
// fresh heap and its own peak RSS.
template <class Fn> void in_child(Fn fn) {
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        std::fflush(stdout);
        _exit(0);
    }
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
}

} // namespace

int main(int argc, char **argv) {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
    if (rounds <= 0) rounds = 200;
    std::printf("64 connection pools with their own allocators (max_free 2 MiB), %d rounds of 40 KB requests\n", rounds);
    for (int threads : {1, 4, 12, 25}) {
        in_child([=] { run_mpool(threads, rounds); });
#ifdef MPOOL_BENCH_HAVE_APR
        in_child([=] { run_apr(threads, rounds); });
#endif
    }
    return 0;
}
