/* mode_check.h - CHECK() for the test programs that are built in one
 * language mode each (C99/C11/C17, C++17, -fno-exceptions) and so cannot
 * use GoogleTest: counts failures in `failures` and prints each. C or C++. */
#ifndef MPOOL_TESTS_MODE_CHECK_H
#define MPOOL_TESTS_MODE_CHECK_H

#include <stdio.h>

static int failures = 0;
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            ++failures;                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#endif
