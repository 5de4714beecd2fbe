/* strings_loop.c - loops of string calls, for counting their instructions
 * with callgrind (see count_string_instructions.sh):
 *
 *   mpool_strings_loop COUNT WHAT
 *
 * WHAT: strdup (a 31-byte string), strcat (5 parts, 43 bytes), printf
 * ("%s:%d:%s", about 14 bytes: the comparison benchmark's), printf40
 * ("%s:%d/%s?%08x", about 40 bytes), printf100k ("%s" of 100 KB), or
 * baseline (the loop alone); each with an apr_ prefix for APR's
 * apr_pstrdup, apr_pstrcat and apr_psprintf (when APR was found), and
 * asprintf and asprintf100k for glibc's asprintf + free. The pool is cleared
 * every 1,000 calls (every 10 for the 100 KB ones). Running each for two
 * counts and taking the difference over the extra iterations gives
 * instructions per call, free of start-up costs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 1000000;
    const char *what = argc > 2 ? argv[2] : "strdup";
    /* Run-time data, so that nothing is folded at compile time. */
    static char text[32], key[8], value[8], path[24];
    memcpy(text, "0123456789abcdef0123456789abcde", 32);
    memcpy(key, "key", 4);
    memcpy(value, "value", 6);
    memcpy(path, "/index/of/some/file", 20);
    escape(text);
    escape(key);
    escape(value);
    escape(path);
    size_t big_length = 100 * 1024;
    char *big = malloc(big_length + 1);
    memset(big, 'x', big_length);
    big[big_length] = '\0';
    int big_call = strstr(what, "100k") != NULL;
    long clear_every = big_call ? 10 : 1000;

    mpool_t *pool = mpool_create(NULL);
#ifdef MPOOL_BENCH_HAVE_APR
    apr_pool_t *apr = NULL;
    apr_initialize();
    apr_pool_create(&apr, NULL);
#endif
    static const char *const names[] = {"baseline", "strdup", "strcat", "printf", "printf40", "printf100k",
                                        "asprintf", "asprintf100k", "apr_strdup", "apr_strcat", "apr_printf",
                                        "apr_printf40", "apr_printf100k"};
    int op = -1;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); ++k)
        if (strcmp(what, names[k]) == 0) op = k;
#ifndef MPOOL_BENCH_HAVE_APR
    if (op >= 8) op = -1;
#endif
    if (op < 0) {
        fprintf(stderr, "unknown: %s\n", what);
        return 2;
    }
    for (long i = 0; i < count; ++i) {
        char *out = NULL;
        switch (op) {
        case 0: escape(text + (i & 7)); break;
        case 1: escape(mpool_strdup(pool, text)); break;
        case 2: escape(mpool_strcat(pool, "GET ", path, " HTTP/1.1", "\r\n", "Host: example", (char *)NULL)); break;
        case 3: escape(mpool_printf(pool, "%s:%d:%s", key, (int)i, value)); break;
        case 4: escape(mpool_printf(pool, "%s:%d/%s?%08x", text, (int)i, path, (unsigned)i)); break;
        case 5: escape(mpool_printf(pool, "%s", big)); break;
        case 6:
        case 7:
            if ((op == 7 ? asprintf(&out, "%s", big) : asprintf(&out, "%s:%d/%s?%08x", text, (int)i, path, (unsigned)i)) < 0)
                abort();
            escape(out);
            free(out);
            break;
#ifdef MPOOL_BENCH_HAVE_APR
        case 8: escape(apr_pstrdup(apr, text)); break;
        case 9: escape(apr_pstrcat(apr, "GET ", path, " HTTP/1.1", "\r\n", "Host: example", (char *)NULL)); break;
        case 10: escape(apr_psprintf(apr, "%s:%d:%s", key, (int)i, value)); break;
        case 11: escape(apr_psprintf(apr, "%s:%d/%s?%08x", text, (int)i, path, (unsigned)i)); break;
        case 12: escape(apr_psprintf(apr, "%s", big)); break;
#endif
        }
        if (i % clear_every == clear_every - 1) {
            mpool_clear(pool);
#ifdef MPOOL_BENCH_HAVE_APR
            apr_pool_clear(apr);
#endif
        }
    }
    mpool_destroy(pool);
#ifdef MPOOL_BENCH_HAVE_APR
    apr_pool_destroy(apr);
    apr_terminate();
#endif
    free(big);
    return 0;
}
