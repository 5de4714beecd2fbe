/* lifecycle_loop.c - loops of pool lifecycles, for counting their
 * instructions with callgrind (see count_instructions.sh):
 *
 *   mpool_lifecycle_loop COUNT WHAT
 *
 * WHAT, for a child of a long-lived parent, COUNT times:
 *   create          create and destroy an empty child (mpool);
 *   request         a whole request: create the child, 64 allocations of
 *                   16..512 bytes with 16 bytes written to each, 8 copies
 *                   of a 32-byte string made at run time, destroy (mpool);
 *   apr_create, apr_request    the same with APR's pools (when found);
 *   floor_request   the request's writes and copies into a bare bump
 *                   pointer over one buffer (no pool at all): the floor.
 * Running each for two counts and taking the difference over the extra
 * iterations gives instructions per iteration, free of start-up costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpool/mpool.h"
#ifdef MPOOL_BENCH_HAVE_APR
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#endif

static void escape(void *p) { __asm__ volatile("" : : "g"(p) : "memory"); }

enum { kAllocations = 64, kCopies = 8, kPatterns = 61 };
static size_t sizes[kPatterns * kAllocations];
static char text[33];

/* The floor: a bump pointer that is reset per request. */
static char floor_buffer[64 * 1024];
static char *floor_alloc(char **cursor, size_t size) {
    char *p = *cursor;
    *cursor += (size + 15) & ~(size_t)15;
    return p;
}

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 100000;
    const char *what = argc > 2 ? argv[2] : "request";
    unsigned long long seed = 42;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; ++i) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        sizes[i] = 16 + seed % 497;
    }
    for (int i = 0; i < 32; ++i) text[i] = (char)('a' + (seed >> i) % 26); /* made at run time */
    escape(text);

    if (strcmp(what, "create") == 0 || strcmp(what, "request") == 0) {
        int request = strcmp(what, "request") == 0;
        mpool_t *parent = mpool_create(NULL);
        for (long r = 0; r < count; ++r) {
            mpool_t *child = mpool_create(parent);
            if (request) {
                const size_t *mine = &sizes[(size_t)(r % kPatterns) * kAllocations];
                for (int i = 0; i < kAllocations; ++i) {
                    char *p = mpool_alloc(child, mine[i]);
                    memset(p, (int)r, 16);
                    escape(p);
                }
                for (int i = 0; i < kCopies; ++i) escape(mpool_strdup(child, text));
            }
            mpool_destroy(child);
        }
        mpool_destroy(parent);
        return 0;
    }
    if (strcmp(what, "floor_request") == 0) {
        for (long r = 0; r < count; ++r) {
            char *cursor = floor_buffer;
            const size_t *mine = &sizes[(size_t)(r % kPatterns) * kAllocations];
            for (int i = 0; i < kAllocations; ++i) {
                char *p = floor_alloc(&cursor, mine[i]);
                memset(p, (int)r, 16);
                escape(p);
            }
            for (int i = 0; i < kCopies; ++i) {
                size_t length = strlen(text);
                char *copy = floor_alloc(&cursor, length + 1);
                memcpy(copy, text, length + 1);
                escape(copy);
            }
        }
        return 0;
    }
#ifdef MPOOL_BENCH_HAVE_APR
    if (strcmp(what, "apr_create") == 0 || strcmp(what, "apr_request") == 0) {
        int request = strcmp(what, "apr_request") == 0;
        apr_initialize();
        apr_pool_t *parent = NULL;
        apr_pool_create(&parent, NULL);
        for (long r = 0; r < count; ++r) {
            apr_pool_t *child = NULL;
            apr_pool_create(&child, parent);
            if (request) {
                const size_t *mine = &sizes[(size_t)(r % kPatterns) * kAllocations];
                for (int i = 0; i < kAllocations; ++i) {
                    char *p = apr_palloc(child, mine[i]);
                    memset(p, (int)r, 16);
                    escape(p);
                }
                for (int i = 0; i < kCopies; ++i) escape(apr_pstrdup(child, text));
            }
            apr_pool_destroy(child);
        }
        apr_pool_destroy(parent);
        apr_terminate();
        return 0;
    }
#endif
    fprintf(stderr, "lifecycle_loop: unknown or not built in: %s\n", what);
    return 2;
}
