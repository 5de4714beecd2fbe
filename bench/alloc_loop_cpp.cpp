// alloc_loop_cpp.cpp - the C++ twin of alloc_loop.c: a loop of
// mpool::Pool::allocate() calls, for count_instructions.sh.
#include <cstdlib>
#include <cstring>

#include "mpool/mpool.hpp"

int main(int argc, char **argv) {
    long count = argc > 1 ? std::atol(argv[1]) : 1000000;
    bool baseline = argc > 2 && std::strcmp(argv[2], "baseline") == 0;
    size_t sizes[16];
    for (int i = 0; i < 16; ++i) sizes[i] = static_cast<size_t>(8 + i * 8);
    mpool::Pool pool;
    char *base = reinterpret_cast<char *>(sizes);
    void *volatile sink;
    if (baseline) {
        for (long i = 0; i < count; ++i) sink = base + sizes[i & 15];
    } else {
        for (long i = 0; i < count; ++i) sink = pool.allocate(sizes[i & 15]);
    }
    (void)sink;
    return 0;
}
