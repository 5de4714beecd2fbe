/* mpool_bugs.c - a catalogue of memory bugs in pool memory, one per case:
 *
 *   mpool_bugs CASE
 *
 * Each case makes one mistake a program can make with pools and then ends
 * as a correct program would (destroying its pools). The tests run each
 * case where a checker must catch it and expect the checker's report:
 * AddressSanitizer (library and program built with ASan), Valgrind
 * memcheck (a plain build run under valgrind), and mpool's own debug mode
 * (MPOOL_DEBUG=1) for the overflow and misuse cases. Run with no argument,
 * it lists the cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpool/mpool.h"

/* Keeps the compiler from proving an access out of bounds at build time or
 * dropping a read whose value is unused. */
static volatile unsigned char g_sink;
static void *launder(void *p) {
    void *volatile copy = p;
    return copy;
}

static mpool_t *tagged_root(void) {
    mpool_options_t options = {0};
    options.tag = "bug";
    return mpool_create_ex(NULL, &options);
}

static void overflow_by_one(void) {
    mpool_t *pool = tagged_root();
    char *p = launder(mpool_alloc(pool, 24));
    memset(p, 'a', 24);
    p[24] = 'x';
    mpool_destroy(pool);
}

static void overflow_into_next(void) {
    mpool_t *pool = tagged_root();
    char *p = launder(mpool_alloc(pool, 24));
    char *next = mpool_alloc(pool, 24);
    memset(next, 'b', 24);
    memset(p, 'a', 60); /* runs on into the next allocation */
    mpool_destroy(pool);
}

static void underflow(void) {
    mpool_t *pool = tagged_root();
    char *before = mpool_alloc(pool, 32);
    char *p = launder(mpool_alloc(pool, 32));
    memset(before, 'b', 32);
    g_sink = (unsigned char)p[-1];
    mpool_destroy(pool);
}

static void use_after_clear(void) {
    mpool_t *pool = tagged_root();
    char *s = launder(mpool_strdup(pool, "request line"));
    mpool_clear(pool);
    g_sink = (unsigned char)s[0];
    mpool_destroy(pool);
}

static void use_after_rewind(void) {
    mpool_t *pool = tagged_root();
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    char *s = launder(mpool_strdup(pool, "scratch"));
    mpool_rewind(pool, &mark);
    g_sink = (unsigned char)s[0];
    mpool_destroy(pool);
}

static void overflow_then_rewind(void) {
    mpool_t *pool = tagged_root();
    mpool_mark_t mark;
    mpool_mark(pool, &mark);
    char *p = launder(mpool_alloc(pool, 24));
    memset(p, 'a', 25);
    mpool_rewind(pool, &mark); /* debug mode checks the canaries here */
    mpool_destroy(pool);
}

static void use_after_destroy(void) {
    mpool_t *root = tagged_root();
    mpool_t *child = mpool_create(root);
    int *counters = launder(mpool_calloc(child, 8, sizeof(int)));
    mpool_destroy(child);
    g_sink = (unsigned char)counters[3];
    mpool_destroy(root);
}

static void use_after_parent_clear(void) {
    mpool_t *root = tagged_root();
    mpool_t *child = mpool_create(root);
    char *p = launder(mpool_strdup(child, "child data"));
    mpool_clear(root); /* destroys the child */
    g_sink = (unsigned char)p[0];
    mpool_destroy(root);
}

static void use_after_realloc_move(void) {
    mpool_t *pool = tagged_root();
    char *old = launder(mpool_alloc(pool, 16));
    memset(old, 'a', 16);
    char *other = mpool_alloc(pool, 16); /* old is no longer the last: realloc moves it */
    memset(other, 'b', 16);
    char *moved = mpool_realloc(pool, old, 16, 64);
    memset(moved + 16, 'c', 48);
    g_sink = (unsigned char)old[0];
    mpool_destroy(pool);
}

static void string_overread(void) {
    mpool_t *pool = tagged_root();
    char *s = launder(mpool_strdup(pool, "abc"));
    g_sink = (unsigned char)s[4]; /* past the terminator */
    mpool_destroy(pool);
}

static void large_overflow(void) {
    mpool_t *pool = tagged_root();
    char *p = launder(mpool_alloc(pool, 100000));
    memset(p, 'a', 100000);
    p[100000] = 'x';
    mpool_destroy(pool);
}

static void aligned_overflow(void) {
    mpool_t *pool = tagged_root();
    char *p = launder(mpool_alloc_aligned(pool, 100, 64));
    memset(p, 'a', 100);
    p[100] = 'x';
    mpool_destroy(pool);
}

static void double_destroy(void) {
    mpool_t *root = tagged_root();
    mpool_t *child = mpool_create(root);
    mpool_set_tag(child, "child");
    mpool_destroy(child);
    mpool_destroy(launder(child));
    mpool_destroy(root);
}

static void alloc_on_destroyed(void) {
    mpool_t *root = tagged_root();
    mpool_t *child = mpool_create(root);
    mpool_set_tag(child, "child");
    mpool_destroy(child);
    g_sink = (unsigned char)(mpool_alloc(launder(child), 16) != NULL);
    mpool_destroy(root);
}

static void child_destroyed_after_parent(void) {
    mpool_t *root = tagged_root();
    mpool_t *child = mpool_create(root);
    mpool_set_tag(child, "child");
    mpool_destroy(root);
    mpool_destroy(launder(child));
}

static void realloc_foreign_pointer(void) {
    mpool_t *pool = tagged_root();
    char *mine = mpool_alloc(pool, 32);
    memset(mine, 'a', 32);
    char *foreign = launder(malloc(32));
    memset(foreign, 'b', 32);
    g_sink = (unsigned char)(mpool_realloc(pool, foreign, 32, 64) != NULL);
    free(foreign);
    mpool_destroy(pool);
}

static void uninitialised_read(void) {
    mpool_t *pool = tagged_root();
    int *counters = launder(mpool_alloc(pool, 8 * sizeof(int)));
    if (counters[2] == 42) g_sink = 1; /* never written */
    mpool_destroy(pool);
}

struct bug {
    const char *name;
    void (*run)(void);
};

static const struct bug k_bugs[] = {
    {"overflow_by_one", overflow_by_one},
    {"overflow_into_next", overflow_into_next},
    {"underflow", underflow},
    {"use_after_clear", use_after_clear},
    {"use_after_rewind", use_after_rewind},
    {"overflow_then_rewind", overflow_then_rewind},
    {"use_after_destroy", use_after_destroy},
    {"use_after_parent_clear", use_after_parent_clear},
    {"use_after_realloc_move", use_after_realloc_move},
    {"string_overread", string_overread},
    {"large_overflow", large_overflow},
    {"aligned_overflow", aligned_overflow},
    {"double_destroy", double_destroy},
    {"alloc_on_destroyed", alloc_on_destroyed},
    {"child_destroyed_after_parent", child_destroyed_after_parent},
    {"realloc_foreign_pointer", realloc_foreign_pointer},
    {"uninitialised_read", uninitialised_read},
};

int main(int argc, char **argv) {
    size_t count = sizeof k_bugs / sizeof k_bugs[0];
    for (size_t i = 0; i < count; ++i)
        if (argc > 1 && strcmp(argv[1], k_bugs[i].name) == 0) {
            k_bugs[i].run();
            printf("mpool_bugs: %s ran to the end: nothing caught it\n", k_bugs[i].name);
            return 0;
        }
    for (size_t i = 0; i < count; ++i) printf("%s\n", k_bugs[i].name);
    return argc > 1 ? 2 : 0;
}
