/* alloc_loop.c - a loop of allocations from one pool, for counting the
 * instructions of the inline fast path with callgrind (see
 * count_instructions.sh):
 *
 *   mpool_alloc_loop COUNT           COUNT allocations of 8..128 bytes
 *   mpool_alloc_loop COUNT baseline  the same loop with no allocation
 *
 * Running each for two counts and taking the difference over the extra
 * iterations gives instructions per iteration, free of start-up costs; the
 * difference between the two loops is the cost of one allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpool/mpool.h"

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 1000000;
    int baseline = argc > 2 && strcmp(argv[2], "baseline") == 0;
    size_t sizes[16];
    for (int i = 0; i < 16; ++i) sizes[i] = (size_t)(8 + i * 8);
    mpool_t *pool = mpool_create(NULL);
    char *base = (char *)sizes;
    void *volatile sink;
    if (baseline) {
        for (long i = 0; i < count; ++i) sink = base + sizes[i & 15];
    } else {
        for (long i = 0; i < count; ++i) sink = mpool_alloc(pool, sizes[i & 15]);
    }
    (void)sink;
    mpool_destroy(pool);
    return 0;
}
