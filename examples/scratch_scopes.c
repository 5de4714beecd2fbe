/* scratch_scopes.c - a scratch scope per input line, with mpool_mark() and
 * mpool_rewind().
 *
 * A program that reads many records often needs memory for one record at a
 * time: split it into fields, build a few strings, look something up, keep
 * a little of the result. A child pool per record works; a mark does the
 * same inside one pool, without making a pool: take a mark before the
 * record, allocate freely while handling it, rewind to the mark after it.
 * What the program keeps (here, the totals per user) is allocated before the
 * mark or copied out first.
 *
 * Usage: scratch_scopes [FILE]   (default: a built-in access log)
 * Each line: "<user> <path> <bytes>". Prints the bytes per user and how much
 * memory the pool used at most. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpool/mpool.h"

static const char *const k_builtin_log[] = {
    "alice /index.html 5120",   "bob /images/logo.png 20480", "alice /about.html 2048",
    "carol /index.html 5120",   "bob /index.html 5120",       "alice /images/logo.png 20480",
    "carol /download/big 1048576", "dave /index.html 5120",  "bad line without numbers",
};

/* What the program keeps: one total per user, in the long-lived part of
 * the pool (before any mark). */
struct total {
    struct total *next;
    const char *user;
    unsigned long long bytes;
};

/* Splits `line` (copied into the pool: the scratch part) into at most
 * `max` space-separated fields. Returns how many it found. */
static size_t split(mpool_t *pool, const char *line, char **fields, size_t max) {
    char *copy = mpool_strdup(pool, line);
    size_t n = 0;
    if (!copy) return 0;
    for (char *p = copy; *p;) {
        while (*p && strchr(" \t\r\n", *p)) *p++ = '\0'; /* ends the field before */
        if (!*p) break;
        if (n == max) return n + 1; /* too many fields */
        fields[n++] = p;
        while (*p && !strchr(" \t\r\n", *p)) ++p;
    }
    return n;
}

static struct total *find_or_add(mpool_t *pool, struct total **totals, const char *user) {
    for (struct total *t = *totals; t; t = t->next)
        if (strcmp(t->user, user) == 0) return t;
    struct total *t = mpool_calloc(pool, 1, sizeof *t);
    if (!t || !(t->user = mpool_strdup(pool, user))) return NULL;
    t->next = *totals;
    *totals = t;
    return t;
}

/* Handles one line. Everything it allocates in the scratch scope goes at
 * the caller's rewind; a new user's total must outlive it, so it is made
 * after the rewind (see main). Returns the user to add (or NULL). */
static const char *handle(mpool_t *pool, const char *line, unsigned long long *bytes) {
    char *fields[4];
    if (split(pool, line, fields, 4) != 3) return NULL;
    char *end;
    errno = 0;
    *bytes = strtoull(fields[2], &end, 10);
    if (errno || *end) return NULL;
    /* Scratch work that a real program might do: a normalised key. */
    const char *key = mpool_printf(pool, "%s:%s", fields[0], fields[1]);
    (void)key;
    return fields[0];
}

int main(int argc, char **argv) {
    mpool_t *pool = mpool_create(NULL);
    if (!pool) return 1;
    struct total *totals = NULL;
    size_t peak = 0, lines = 0, skipped = 0;
    FILE *in = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (argc > 1 && !in) {
        perror(argv[1]);
        return 1;
    }
    char buffer[4096];
    for (size_t i = 0;; ++i) {
        const char *line;
        if (in)
            line = fgets(buffer, sizeof buffer, in);
        else
            line = i < sizeof k_builtin_log / sizeof *k_builtin_log ? k_builtin_log[i] : NULL;
        if (!line) break;
        ++lines;

        mpool_mark_t mark;
        mpool_mark(pool, &mark); /* the scratch scope starts here */
        unsigned long long bytes = 0;
        const char *user = handle(pool, line, &bytes);
        char user_copy[256] = "";
        if (user) snprintf(user_copy, sizeof user_copy, "%s", user); /* copied out before the rewind */
        mpool_stats_t stats;
        mpool_get_stats(pool, 0, &stats);
        if (stats.bytes_allocated > peak) peak = stats.bytes_allocated;
        if (mpool_rewind(pool, &mark) != 0) return 1; /* ... and ends here: the scratch memory is gone */

        struct total *t = user ? find_or_add(pool, &totals, user_copy) : NULL;
        if (t)
            t->bytes += bytes;
        else
            ++skipped;
    }
    if (in) fclose(in);

    for (struct total *t = totals; t; t = t->next) printf("%-8s %12llu bytes\n", t->user, t->bytes);
    mpool_stats_t stats;
    mpool_get_stats(pool, 0, &stats);
    printf("%zu lines (%zu skipped); at most %zu bytes allocated at once, %zu kept\n", lines, skipped, peak,
           stats.bytes_allocated);
    mpool_destroy(pool);
    return 0;
}
