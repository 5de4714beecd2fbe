/* The C interface from plain C11: every signature used as the contract
 * writes it, including the struct tag. Exits non-zero on the first failure. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpool/mpool.h"

static int failed = 0;
static int passed = 0;
#define CHECK(cond)                                                      \
    do {                                                                 \
        if (cond) {                                                      \
            ++passed;                                                    \
        } else {                                                         \
            ++failed;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                \
    } while (0)

static int cleanups_run = 0;
static void on_cleanup(void *data) { cleanups_run += *(int *)data; }

static int count_pools(const mpool_t *pool, unsigned depth, const mpool_stats_t *own, void *ctx) {
    (void)pool;
    (void)own;
    *(unsigned *)ctx += depth + 1;
    return 0;
}

static size_t oom_size = 0;
static void on_oom(mpool_t *pool, size_t size) {
    (void)pool;
    oom_size = size;
}

int main(void) {
    struct mpool *root = mpool_create(NULL);
    mpool_options_t options = {0};
    options.tag = "child";
    options.oom = on_oom;
    mpool_t *child = mpool_create_ex(root, &options);
    CHECK(root != NULL && child != NULL);
    CHECK(mpool_parent(child) == root);
    CHECK(mpool_is_ancestor(root, child) == 1);
    CHECK(strcmp(mpool_tag(child), "child") == 0);

    int *numbers = mpool_alloc(child, 10 * sizeof *numbers);
    for (int i = 0; i < 10; ++i) numbers[i] = i;
    CHECK(numbers[9] == 9);
    CHECK((uintptr_t)mpool_alloc_aligned(child, 5, 512) % 512 == 0);
    int *zeros = mpool_calloc(child, 4, sizeof *zeros);
    CHECK(zeros[0] == 0 && zeros[3] == 0);
    numbers = mpool_realloc(child, numbers, 10 * sizeof *numbers, 20 * sizeof *numbers);
    CHECK(numbers[9] == 9);
    CHECK(strcmp(mpool_memdup(child, "abc", 4), "abc") == 0);
    CHECK(strcmp(mpool_strdup(child, "dup"), "dup") == 0);
    CHECK(strcmp(mpool_strndup(child, "dupe", 3), "dup") == 0);
    CHECK(strcmp(mpool_strcat(child, "a", "b", "c", (char *)NULL), "abc") == 0);
    CHECK(strcmp(mpool_printf(child, "%d/%s", 4, "x"), "4/x") == 0);

    errno = 0;
    CHECK(mpool_alloc(child, SIZE_MAX) == NULL && errno == ENOMEM && oom_size == SIZE_MAX);
    errno = 0;
    CHECK(mpool_alloc(NULL, 8) == NULL && errno == EINVAL);

    void *(*exported_alloc)(mpool_t *, size_t) = mpool_alloc;
    CHECK(exported_alloc(child, 8) != NULL);

    static int one = 1;
    CHECK(mpool_cleanup_register(child, &one, on_cleanup) == 0);
    CHECK(mpool_pre_cleanup_register(child, &one, on_cleanup) == 0);
    CHECK(mpool_cleanup_kill(child, &one, on_cleanup) == 0);
    CHECK(mpool_cleanup_run(child, &one, on_cleanup) == 0);
    CHECK(cleanups_run == 1);
    CHECK(mpool_cleanup_run(child, &one, on_cleanup) == ENOENT);

    CHECK(mpool_userdata_set(child, "k", &one, on_cleanup) == 0);
    CHECK(mpool_userdata_get(child, "k") == &one);

    mpool_stats_t stats;
    mpool_get_stats(root, 1, &stats);
    CHECK(stats.children == 1 && stats.blocks >= 2 && stats.bytes_reserved >= stats.bytes_allocated);

    mpool_allocator_t *allocator = mpool_get_allocator(root);
    mpool_allocator_set_max_free(allocator, 1 << 20);
    CHECK(mpool_allocator_max_free(allocator) == 1 << 20);
    mpool_set_tag(root, "root");
    mpool_clear(root);
    CHECK(cleanups_run == 2); /* the userdata cleanup ran with the child */
    CHECK(strcmp(mpool_tag(root), "root") == 0);
    CHECK(mpool_allocator_idle_bytes(allocator) > 0);
    CHECK(mpool_allocator_trim(allocator, 0) > 0);
    mpool_destroy(root);

    mpool_allocator_t *own = mpool_allocator_create(NULL);
    mpool_options_t with_allocator = {0};
    with_allocator.allocator = own;
    mpool_t *pool = mpool_create_ex(NULL, &with_allocator);
    CHECK(pool != NULL && mpool_get_allocator(pool) == own);
    mpool_t *a = mpool_create(pool);
    mpool_t *b = mpool_create(pool);
    CHECK(mpool_reparent(b, a) == 0 && mpool_parent(b) == a);
    CHECK(mpool_reparent(a, b) == EINVAL);
    unsigned depths = 0; /* pool, a, b at depths 0, 1, 2 */
    CHECK(mpool_walk(pool, count_pools, &depths) == 0 && depths == 1 + 2 + 3);
    mpool_visit_fn visit = count_pools;
    CHECK(mpool_walk(NULL, visit, NULL) == EINVAL);
    CHECK(mpool_report(pool, NULL, MPOOL_REPORT_JSON) == EINVAL);
    mpool_destroy(pool);
    mpool_allocator_destroy(own);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
