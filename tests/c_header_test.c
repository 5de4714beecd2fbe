/* mpool.h from each C standard it supports: the tests build this file as
 * C99, C11 and C17 with -Wall -Wextra -pedantic -Werror, so the header must
 * compile cleanly in each; then it runs the inline mpool_alloc(), a cleanup
 * and mpool_version(). Exits non-zero on the first failure. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpool/mpool.h"

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
/* A C99 program inlines mpool_alloc() with the fallback MPOOL_ALIGNMENT: it
 * must round as a C11 program does (and as the library, which checks the
 * same value against its own alignof(max_align_t)). */
_Static_assert(MPOOL__ALIGNMENT_C99 == _Alignof(max_align_t),
               "mpool.h's C99 MPOOL_ALIGNMENT differs from C11's alignof(max_align_t)");
_Static_assert(MPOOL_ALIGNMENT == _Alignof(max_align_t), "MPOOL_ALIGNMENT is alignof(max_align_t) in C11");
#endif

#include "mode_check.h"

static void count_cleanup(void *counter) { ++*(int *)counter; }

int main(void) {
    char expected_version[32];
    int cleanups = 0;
    size_t size;
    mpool_t *pool = mpool_create(NULL);
    CHECK(pool != NULL);
    if (pool == NULL) return 1;

    /* The inline fast path (mpool_alloc is the macro here), sizes that fill
     * a first block and go on to the next: every result aligned and usable. */
    for (size = 0; size < 300; ++size) {
        unsigned char *p = mpool_alloc(pool, size);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % MPOOL_ALIGNMENT == 0);
        if (p != NULL) memset(p, (int)size, size);
    }
    CHECK(MPOOL_ALIGNMENT >= sizeof(long double) && (MPOOL_ALIGNMENT & (MPOOL_ALIGNMENT - 1)) == 0);

    CHECK(mpool_cleanup_register(pool, &cleanups, count_cleanup) == 0);
    mpool_destroy(pool);
    CHECK(cleanups == 1);

    /* The library linked in is the one this header describes. */
    sprintf(expected_version, "%d.%d.%d", MPOOL_VERSION_MAJOR, MPOOL_VERSION_MINOR, MPOOL_VERSION_PATCH);
    CHECK(strcmp(mpool_version(), expected_version) == 0);

    printf("C %ld: MPOOL_ALIGNMENT %u, mpool %s: %s\n", (long)__STDC_VERSION__, (unsigned)MPOOL_ALIGNMENT,
           mpool_version(), failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
