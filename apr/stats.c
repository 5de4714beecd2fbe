/*
 * stats.c - MPOOL_APR_STATS=1: one line to stderr at exit, so that a user
 * sees the engine at work:
 *
 *   mpool_apr: N pools created, M bytes peak reserved
 *
 * N counts the pools the shim made (the global pool included); M is the
 * most bytes that mpool's allocators held from malloc at any one time, for
 * the pools' blocks (in use or idle), the allocators' own records included.
 * Nodes of apr_allocator_alloc() are not counted.
 *
 * Only the process that turned the line on prints it: the variable is read
 * once, when the library is loaded, and the line is armed for that process
 * (its pid). A forked child that exits normally prints nothing, so that the
 * line does not land in the output of a program that reads a child's
 * stderr (a server's workers, APR's apr_proc_fork() children). A program
 * exec'd with the variable and the shim in its environment is a new
 * program: the library loads again in it and arms the line for it.
 */
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_size_t pools_created;
static atomic_size_t bytes_held;
static atomic_size_t bytes_peak;

void shim_count_pool(void) { atomic_fetch_add_explicit(&pools_created, 1, memory_order_relaxed); }

static void *counted_alloc(void *ctx, size_t size) {
    (void)ctx;
    void *block = malloc(size);
    if (!block) return NULL;
    size_t now = atomic_fetch_add_explicit(&bytes_held, size, memory_order_relaxed) + size;
    size_t peak = atomic_load_explicit(&bytes_peak, memory_order_relaxed);
    while (now > peak && !atomic_compare_exchange_weak_explicit(&bytes_peak, &peak, now, memory_order_relaxed,
                                                                memory_order_relaxed)) {
    }
    return block;
}

static void counted_free(void *ctx, void *block, size_t size) {
    (void)ctx;
    atomic_fetch_sub_explicit(&bytes_held, size, memory_order_relaxed);
    free(block);
}

const mpool_block_source_t shim_counting_source = {counted_alloc, counted_free, NULL};

/* The process the line is for; 0 when MPOOL_APR_STATS is not "1". */
static pid_t armed_for;

/* When the library is loaded (in each program exec'd with it). */
__attribute__((constructor)) static void arm(void) {
    const char *wanted = getenv("MPOOL_APR_STATS");
    if (wanted && strcmp(wanted, "1") == 0) armed_for = getpid();
}

/* At exit (after the atexit handlers, apr_terminate's among them), in the
 * process that armed the line only. */
__attribute__((destructor)) static void report(void) {
    if (armed_for == 0 || getpid() != armed_for) return;
    char line[128];
    int length = snprintf(line, sizeof line, "mpool_apr: %zu pools created, %zu bytes peak reserved\n",
                          atomic_load(&pools_created), atomic_load(&bytes_peak));
    if (length > 0) (void)!write(STDERR_FILENO, line, (size_t)length);
}
