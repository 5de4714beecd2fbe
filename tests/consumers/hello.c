/* What every C consumer project builds: a pool, a child, allocations, a
 * cleanup, destroy. Prints one line ending in "ok" and exits 0 when all of
 * it held; C99, so that it also checks the installed header. */
#include <stdio.h>
#include <string.h>

#include <mpool/mpool.h>

static void count_cleanup(void *counter) { ++*(int *)counter; }

int main(void) {
    char header_version[32];
    int cleanups = 0, sum = 0, i;
    int *numbers;
    char *greeting;
    mpool_t *server = mpool_create(NULL);
    mpool_t *request = server ? mpool_create(server) : NULL;
    if (!request) return 1;

    numbers = mpool_alloc(request, 10 * sizeof *numbers);
    greeting = mpool_printf(request, "mpool %s", mpool_version());
    if (!numbers || !greeting || mpool_cleanup_register(request, &cleanups, count_cleanup) != 0) return 1;
    for (i = 0; i < 10; ++i) numbers[i] = i;
    for (i = 0; i < 10; ++i) sum += numbers[i];
    printf("%s: ", greeting);
    mpool_destroy(server); /* destroys the child first: its cleanup runs */

    sprintf(header_version, "%d.%d.%d", MPOOL_VERSION_MAJOR, MPOOL_VERSION_MINOR, MPOOL_VERSION_PATCH);
    if (sum != 45 || cleanups != 1 || strcmp(mpool_version(), header_version) != 0) {
        printf("sum %d, cleanups %d, header %s: FAILED\n", sum, cleanups, header_version);
        return 1;
    }
    printf("sum %d, cleanups %d: ok\n", sum, cleanups);
    return 0;
}
