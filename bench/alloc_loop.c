/* alloc_loop.c - N allocations of varying size from one pool, for counting
 * the instructions of the inline fast path with callgrind:
 *
 *   valgrind --tool=callgrind ./mpool_alloc_loop 1000000
 *   valgrind --tool=callgrind ./mpool_alloc_loop 2000000
 *
 * The difference of the two totals over 1,000,000 is the cost of one
 * allocation, the loop's own counting included (bench/count_instructions.sh
 * does this). */
#include <stdio.h>
#include <stdlib.h>

#include "mpool/mpool.h"

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 1000000;
    size_t sizes[16];
    for (int i = 0; i < 16; ++i) sizes[i] = (size_t)(8 + i * 8);
    mpool_t *pool = mpool_create(NULL);
    void *volatile sink;
    for (long i = 0; i < count; ++i) sink = mpool_alloc(pool, sizes[i & 15]);
    (void)sink;
    mpool_destroy(pool);
    return 0;
}
