/*
 * test_apr_semantics.c - APR's pool semantics, as apr_pools.h and
 * apr_allocator.h document them, checked on libmpool_apr.so.
 *
 * The program is linked with the shim ahead of libapr, so that the shim's
 * definitions are the ones every caller (libapr's own functions included)
 * binds to; the first test checks that this is so, so that none of the
 * others can pass on stock APR by mistake.
 *
 * usage: mpool_apr_tests [TEST]   (no argument: every test)
 */
#include <apr_allocator.h>
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#undef apr_pcalloc
APR_DECLARE(void *) apr_pcalloc(apr_pool_t *p, apr_size_t size);

static int failures = 0;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            ++failures;                                                                                                \
        }                                                                                                              \
    } while (0)

/* This program's path, for the tests that run it again (argv[0]). */
static const char *program_path;

/* The mode of this program that a stats test runs: it forks a child that
 * exits normally (exit(), so the library's destructors run), waits for it,
 * and exits normally too. */
#define FORK_A_CHILD "--fork-a-child-that-exits"

static int fork_a_child_that_exits(void) {
    pid_t pid = fork();
    if (pid == 0) exit(0);
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    apr_terminate();
    return 0;
}

/* A log of events: what the cleanups of a test did, in order. */
static char events[512];

static void note(const char *event) {
    if (events[0]) strncat(events, " ", sizeof events - strlen(events) - 1);
    strncat(events, event, sizeof events - strlen(events) - 1);
}

static apr_status_t note_data(void *data) {
    note(data);
    return APR_SUCCESS;
}

static apr_status_t note_data_and_fail(void *data) {
    note(data);
    return APR_EGENERAL;
}

static apr_pool_t *new_pool(apr_pool_t *parent) {
    apr_pool_t *pool = NULL;
    apr_status_t status = apr_pool_create(&pool, parent);
    if (status != APR_SUCCESS || !pool) {
        fprintf(stderr, "apr_pool_create failed: %d\n", status);
        exit(2);
    }
    return pool;
}

/* Guards against testing stock APR: the pool functions, as any caller
 * (libapr's apr_pstrdup included) finds them, must be the shim's. */
static void test_the_shim_is_the_apr_in_use(void) {
    const char *names[] = {"apr_palloc", "apr_pool_create_ex", "apr_pool_cleanup_register", "apr_allocator_alloc"};
    for (size_t i = 0; i < sizeof names / sizeof *names; ++i) {
        void *address = dlsym(RTLD_DEFAULT, names[i]);
        Dl_info info;
        CHECK(address && dladdr(address, &info) && strstr(info.dli_fname, "libmpool_apr") != NULL);
    }
}

static void test_cleanups_run_newest_first(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_cleanup_register(pool, "first", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, "second", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, "third", note_data, apr_pool_cleanup_null);
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "third second first") == 0);
}

/* Guards the order of a destroy: pre-cleanups while the children live,
 * then the children, then the cleanups. */
static void test_pre_cleanups_children_then_cleanups(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_t *child = new_pool(pool);
    apr_pool_cleanup_register(child, "child", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, "cleanup", note_data, apr_pool_cleanup_null);
    apr_pool_pre_cleanup_register(pool, "pre", note_data);
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "pre child cleanup") == 0);
}

static void test_children_are_destroyed_newest_first(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_cleanup_register(new_pool(pool), "older", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(new_pool(pool), "newer", note_data, apr_pool_cleanup_null);
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "newer older") == 0);
}

/* APR ignores what a cleanup returns at clear and destroy; cleanup_run
 * returns it. */
static void test_cleanup_status_is_ignored_by_destroy_and_returned_by_run(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_cleanup_register(pool, "a", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, "b", note_data_and_fail, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, "run", note_data_and_fail, apr_pool_cleanup_null);
    CHECK(apr_pool_cleanup_run(pool, "run", note_data_and_fail) == APR_EGENERAL);
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "run b a") == 0);
}

static apr_pool_t *running_pool;

static apr_status_t run_the_other(void *data) {
    note(data);
    CHECK(apr_pool_cleanup_run(running_pool, "other", note_data) == APR_SUCCESS);
    return APR_SUCCESS;
}

/* Guards: a cleanup that runs another cleanup of its pool (apr_file_close
 * from a cleanup does) runs it once, not again when its turn comes. */
static void test_cleanup_run_from_inside_a_cleanup(void) {
    running_pool = new_pool(NULL);
    apr_pool_cleanup_register(running_pool, "other", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(running_pool, "runner", run_the_other, apr_pool_cleanup_null);
    apr_pool_destroy(running_pool);
    CHECK(strcmp(events, "runner other") == 0);
}

static apr_status_t register_another(void *data) {
    note(data);
    apr_pool_cleanup_register(running_pool, "late", note_data, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

static void test_cleanup_registered_by_a_cleanup_runs(void) {
    running_pool = new_pool(NULL);
    apr_pool_cleanup_register(running_pool, "last", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(running_pool, "registers", register_another, apr_pool_cleanup_null);
    apr_pool_destroy(running_pool);
    CHECK(strcmp(events, "registers late last") == 0);
}

/* Kill matches (data, plain function), whatever the child function, and
 * takes one registration: the newest. */
static void test_cleanup_kill_takes_the_newest_matching_registration(void) {
    apr_pool_t *pool = new_pool(NULL);
    static char data[] = "x";
    apr_pool_cleanup_register(pool, data, note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, "other data", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, data, note_data, note_data);
    apr_pool_cleanup_register(pool, data, note_data_and_fail, apr_pool_cleanup_null); /* other function */
    apr_pool_cleanup_kill(pool, data, note_data);
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "x other data x") == 0);
}

static void test_cleanup_kill_also_takes_a_pre_cleanup(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_pre_cleanup_register(pool, "pre", note_data);
    apr_pool_cleanup_register(pool, "pre", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_kill(pool, "pre", note_data);
    apr_pool_destroy(pool);
    CHECK(events[0] == '\0');
}

static void test_cleanup_kill_of_an_unknown_pair_does_nothing(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_cleanup_register(pool, "kept", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_kill(pool, "unknown", note_data);
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "kept") == 0);
}

/* A child's cleanups run when an ancestor is destroyed (the shim is not
 * called for the child itself). */
static void test_cleanups_of_a_grandchild_run_when_its_ancestor_goes(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_t *grandchild = new_pool(new_pool(pool));
    apr_pool_cleanup_register(grandchild, "grandchild", note_data, apr_pool_cleanup_null);
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "grandchild") == 0);
}

static void test_clear_runs_cleanups_and_keeps_the_pool(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_t *child = new_pool(pool);
    apr_pool_cleanup_register(child, "child", note_data, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, "before clear", note_data, apr_pool_cleanup_null);
    apr_pool_clear(pool);
    CHECK(strcmp(events, "child before clear") == 0);
    char *text = apr_pstrdup(pool, "still usable");
    CHECK(text && strcmp(text, "still usable") == 0);
    apr_pool_cleanup_register(pool, "after clear", note_data, apr_pool_cleanup_null);
    events[0] = '\0';
    apr_pool_destroy(pool);
    CHECK(strcmp(events, "after clear") == 0);
}

static apr_status_t count_child_cleanup(void *data) {
    ++*(int *)data;
    return APR_SUCCESS;
}

static apr_status_t plain_must_not_run(void *data) {
    (void)data;
    _exit(3);
}

/* In a forked child: apr_pool_cleanup_for_exec() runs the child functions
 * (the one apr_pool_child_cleanup_set() gave too), not the plain ones, and
 * takes them off, so a later destroy runs nothing. */
static void test_cleanup_for_exec_runs_child_functions(void) {
    pid_t pid = fork();
    if (pid == 0) {
        static int ran = 0;
        apr_pool_t *pool = new_pool(new_pool(NULL));
        apr_pool_cleanup_register(pool, &ran, plain_must_not_run, count_child_cleanup);
        apr_pool_cleanup_register(pool, &ran, count_child_cleanup, apr_pool_cleanup_null);
        apr_pool_child_cleanup_set(pool, &ran, count_child_cleanup, count_child_cleanup);
        apr_pool_cleanup_for_exec();
        if (ran != 2) _exit(4);
        apr_pool_destroy(pool); /* nothing left to run */
        apr_terminate();        /* every pool goes (memcheck follows the child) */
        _exit(ran == 2 ? 0 : 5);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* apr_pool_userdata_set copies a new key; setn keeps the caller's. */
static void test_userdata_set_copies_the_key(void) {
    apr_pool_t *pool = new_pool(NULL);
    char key[] = "key";
    CHECK(apr_pool_userdata_set("value", key, NULL, pool) == APR_SUCCESS);
    key[0] = 'X';
    void *data = NULL;
    apr_pool_userdata_get(&data, "key", pool);
    CHECK(data && strcmp(data, "value") == 0);
    apr_pool_destroy(pool);
}

static void test_userdata_setn_keeps_the_callers_key(void) {
    apr_pool_t *pool = new_pool(NULL);
    char key[] = "key";
    CHECK(apr_pool_userdata_setn("value", key, NULL, pool) == APR_SUCCESS);
    key[0] = 'X'; /* the table holds this very buffer */
    void *data = (void *)1;
    apr_pool_userdata_get(&data, "key", pool);
    CHECK(data == NULL);
    apr_pool_destroy(pool);
}

static void test_userdata_set_twice_replaces_the_value(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_userdata_set("one", "key", NULL, pool);
    apr_pool_userdata_set("two", "key", NULL, pool);
    void *data = NULL;
    apr_pool_userdata_get(&data, "key", pool);
    CHECK(data && strcmp(data, "two") == 0);
    apr_pool_destroy(pool);
}

/* A userdata cleanup is an ordinary cleanup: it runs at clear, and the
 * userdata is gone after it. */
static void test_userdata_cleanup_runs_at_clear_and_the_data_goes(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_userdata_set("data", "key", note_data, pool);
    apr_pool_clear(pool);
    CHECK(strcmp(events, "data") == 0);
    void *data = (void *)1;
    apr_pool_userdata_get(&data, "key", pool);
    CHECK(data == NULL);
    apr_pool_destroy(pool);
}

static void test_palloc_is_aligned_and_pcalloc_zeroed(void) {
    apr_pool_t *pool = new_pool(NULL);
    for (apr_size_t size = 1; size < 5000; size += 97) {
        char *p = apr_palloc(pool, size);
        CHECK(p && ((uintptr_t)p % 8) == 0);
        memset(p, 0xab, size);
        unsigned char *z = apr_pcalloc(pool, size);
        CHECK(z != NULL);
        for (apr_size_t i = 0; z && i < size; ++i) CHECK(z[i] == 0);
    }
    apr_pool_destroy(pool);
}

/* apr_psprintf is APR's formatter: APR's own conversions work, and a long
 * result is whole. */
static void test_psprintf_formats_with_aprs_conversions(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_status_t status = APR_ENOENT;
    char expected[256];
    apr_strerror(APR_ENOENT, expected, sizeof expected);
    char *text = apr_psprintf(pool, "[%pm] %" APR_SIZE_T_FMT " %s", &status, (apr_size_t)42, "end");
    char wanted[400];
    snprintf(wanted, sizeof wanted, "[%s] 42 end", expected);
    CHECK(text && strcmp(text, wanted) == 0);
    apr_pool_destroy(pool);
}

static void test_psprintf_of_a_long_result(void) {
    apr_pool_t *pool = new_pool(NULL);
    char *part = apr_palloc(pool, 100001);
    memset(part, 'y', 100000);
    part[100000] = '\0';
    char *before = apr_pstrdup(pool, "before");
    char *text = apr_psprintf(pool, "<%s|%s>", part, part);
    CHECK(text && strlen(text) == 200003 && text[0] == '<' && text[100001] == '|' && text[200002] == '>');
    CHECK(strcmp(before, "before") == 0);
    char *after = apr_pstrdup(pool, "after"); /* the string was shrunk to its length: no overlap */
    CHECK(after + 6 <= text || after >= text + 200004);
    apr_pool_destroy(pool);
}

static int abort_calls = 0;
static int abort_code = 0;

static int count_abort(int code) {
    ++abort_calls;
    abort_code = code;
    return code;
}

/* On allocation failure the abort function gets APR_ENOMEM; if it returns,
 * apr_palloc returns NULL. */
static void test_abort_function_is_called_with_enomem(void) {
    apr_pool_t *pool = NULL;
    CHECK(apr_pool_create_ex(&pool, NULL, count_abort, NULL) == APR_SUCCESS);
    CHECK(apr_pool_abort_get(pool) == count_abort);
    CHECK(apr_palloc(pool, (apr_size_t)-1 / 2) == NULL);
    CHECK(abort_calls == 1 && abort_code == APR_ENOMEM);
    apr_pool_destroy(pool);
}

static void test_without_abort_function_palloc_failure_is_null(void) {
    apr_pool_t *pool = new_pool(NULL);
    CHECK(apr_pool_abort_get(pool) == NULL);
    CHECK(apr_palloc(pool, (apr_size_t)-1 / 2) == NULL);
    CHECK(apr_palloc(pool, 16) != NULL); /* the pool is still usable */
    apr_pool_destroy(pool);
}

static void test_abort_function_is_inherited_and_can_be_set(void) {
    apr_pool_t *parent = NULL;
    apr_pool_create_ex(&parent, NULL, count_abort, NULL);
    apr_pool_t *child = new_pool(parent);
    CHECK(apr_pool_abort_get(child) == count_abort);
    apr_pool_abort_set(NULL, child);
    CHECK(apr_pool_abort_get(child) == NULL);
    apr_pool_destroy(parent);
}

static void test_parent_of_a_pool_made_without_one_is_the_global_pool(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_t *global = apr_pool_parent_get(pool);
    CHECK(global != NULL && apr_pool_parent_get(global) == NULL);
    apr_pool_t *child = new_pool(pool);
    CHECK(apr_pool_parent_get(child) == pool);
    apr_pool_t *unmanaged = NULL;
    CHECK(apr_pool_create_unmanaged_ex(&unmanaged, NULL, NULL) == APR_SUCCESS);
    CHECK(apr_pool_parent_get(unmanaged) == NULL);
    apr_pool_destroy(unmanaged);
    apr_pool_destroy(pool);
}

static void test_is_ancestor_follows_apr(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_t *grandchild = new_pool(new_pool(pool));
    CHECK(apr_pool_is_ancestor(pool, grandchild));
    CHECK(!apr_pool_is_ancestor(grandchild, pool));
    CHECK(apr_pool_is_ancestor(pool, pool));
    CHECK(apr_pool_is_ancestor(NULL, grandchild)); /* NULL is everyone's ancestor */
    CHECK(apr_pool_is_ancestor(apr_pool_parent_get(pool), grandchild));
    apr_pool_destroy(pool);
}

static void test_allocator_get_gives_the_pools_allocator(void) {
    apr_pool_t *pool = new_pool(NULL);
    CHECK(apr_pool_allocator_get(pool) == apr_pool_allocator_get(apr_pool_parent_get(pool)));
    apr_allocator_t *allocator = NULL;
    CHECK(apr_allocator_create(&allocator) == APR_SUCCESS);
    apr_pool_t *own = NULL;
    CHECK(apr_pool_create_ex(&own, pool, NULL, allocator) == APR_SUCCESS);
    CHECK(apr_pool_allocator_get(own) == allocator);
    CHECK(apr_pool_allocator_get(new_pool(own)) == allocator);
    apr_pool_destroy(pool);
    apr_allocator_destroy(allocator);
}

/* apr-util's bucket allocator reads these fields: the layout must be APR's. */
static void test_allocator_alloc_fills_the_node_as_apr(void) {
    apr_allocator_t *allocator = NULL;
    apr_allocator_create(&allocator);
    apr_size_t sizes[] = {0, 1, 8000, 8192 - APR_MEMNODE_T_SIZE, 8192 - APR_MEMNODE_T_SIZE + 1, 100000, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; ++i) {
        apr_memnode_t *node = apr_allocator_alloc(allocator, sizes[i]);
        CHECK(node != NULL);
        if (!node) continue;
        apr_size_t bytes = (apr_size_t)(node->endp - (char *)node);
        CHECK(node->first_avail == (char *)node + APR_MEMNODE_T_SIZE);
        CHECK(bytes == apr_allocator_align(allocator, sizes[i]));
        CHECK(bytes % 4096 == 0 && bytes >= 8192);
        CHECK((apr_size_t)(node->endp - node->first_avail) >= sizes[i]);
        CHECK(node->index == bytes / 4096 - 1);
        CHECK(node->next == NULL);
        memset(node->first_avail, 0x5c, (size_t)(node->endp - node->first_avail));
        apr_allocator_free(allocator, node);
    }
    apr_allocator_destroy(allocator);
}

static void test_allocator_free_takes_a_chain_and_reuses_its_nodes(void) {
    apr_allocator_t *allocator = NULL;
    apr_allocator_create(&allocator);
    apr_memnode_t *a = apr_allocator_alloc(allocator, 100);
    apr_memnode_t *b = apr_allocator_alloc(allocator, 100);
    a->next = b;
    a->first_avail += 50; /* used: free restores it */
    apr_allocator_free(allocator, a);
    apr_memnode_t *c = apr_allocator_alloc(allocator, 100);
    apr_memnode_t *d = apr_allocator_alloc(allocator, 100);
    CHECK((c == a && d == b) || (c == b && d == a));
    CHECK(c->first_avail == (char *)c + APR_MEMNODE_T_SIZE && c->next == NULL);
    apr_allocator_free(allocator, c);
    apr_allocator_free(allocator, d);
    apr_allocator_destroy(allocator);
}

static size_t malloc_in_use(void) { return mallinfo2().uordblks; }

/* Under Valgrind, malloc is Valgrind's and mallinfo2() does not see it. */
static int malloc_is_measurable(void) {
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        printf("skip (malloc is Valgrind's): ");
        return 0;
    }
    return 1;
}

/* max_free bounds the idle nodes (in 4 KiB units, rounded up): nodes freed
 * past it go back to malloc at once. */
static void test_allocator_max_free_bounds_idle_nodes(void) {
    if (!malloc_is_measurable()) return;
    apr_allocator_t *allocator = NULL;
    apr_allocator_create(&allocator);
    apr_allocator_max_free_set(allocator, 8000); /* two units: one 8 KiB node */
    apr_memnode_t *nodes[3];
    for (int i = 0; i < 3; ++i) nodes[i] = apr_allocator_alloc(allocator, 100);
    size_t before = malloc_in_use();
    for (int i = 0; i < 3; ++i) apr_allocator_free(allocator, nodes[i]);
    size_t released = before - malloc_in_use();
    CHECK(released >= 2 * 8192 && released < 3 * 8192);
    apr_allocator_destroy(allocator);
}

static void test_allocator_without_max_free_keeps_every_node(void) {
    if (!malloc_is_measurable()) return;
    apr_allocator_t *allocator = NULL;
    apr_allocator_create(&allocator);
    apr_memnode_t *nodes[3];
    for (int i = 0; i < 3; ++i) nodes[i] = apr_allocator_alloc(allocator, 100);
    size_t before = malloc_in_use();
    for (int i = 0; i < 3; ++i) apr_allocator_free(allocator, nodes[i]);
    CHECK(malloc_in_use() == before);
    apr_allocator_destroy(allocator);
}

/* A pool that owns its allocator destroys it when it goes: what it took
 * from malloc (some 350 KB here) is back, but for what malloc's own caches
 * count as in use (a few hundred bytes, as with stock APR). Measured on a
 * second round, after the first made what is made once. */
static void owned_allocator_round(void) {
    apr_allocator_t *allocator = NULL;
    apr_allocator_create(&allocator);
    apr_pool_t *pool = NULL;
    apr_pool_create_ex(&pool, NULL, NULL, allocator);
    apr_allocator_owner_set(allocator, pool);
    CHECK(apr_allocator_owner_get(allocator) == pool);
    for (int i = 0; i < 100; ++i) apr_palloc(new_pool(pool), 3000);
    apr_allocator_free(allocator, apr_allocator_alloc(allocator, 50000));
    apr_pool_destroy(pool);
}

static void test_owner_pool_destroys_its_allocator(void) {
    if (!malloc_is_measurable()) return;
    owned_allocator_round();
    size_t before = malloc_in_use();
    owned_allocator_round();
    CHECK(malloc_in_use() < before + 4096);
}

static apr_pool_t *shared_parent;

static void *make_children(void *arg) {
    (void)arg;
    for (int i = 0; i < 2000; ++i) {
        apr_pool_t *child = new_pool(shared_parent);
        memset(apr_palloc(child, 200), 1, 200);
        apr_allocator_free(apr_pool_allocator_get(child), apr_allocator_alloc(apr_pool_allocator_get(child), 9000));
        apr_pool_destroy(child);
    }
    return NULL;
}

/* Pools of an allocator with a mutex: children of one parent made and
 * destroyed by several threads at once, as APR allows. */
static void test_threads_share_a_mutex_protected_allocator(void) {
    apr_allocator_t *allocator = NULL;
    apr_allocator_create(&allocator);
    apr_pool_create_ex(&shared_parent, NULL, NULL, allocator);
    apr_allocator_owner_set(allocator, shared_parent);
    apr_thread_mutex_t *mutex = NULL;
    CHECK(apr_thread_mutex_create(&mutex, APR_THREAD_MUTEX_DEFAULT, shared_parent) == APR_SUCCESS);
    apr_allocator_mutex_set(allocator, mutex);
    CHECK(apr_allocator_mutex_get(allocator) == mutex);
    pthread_t threads[3];
    for (int i = 0; i < 3; ++i) pthread_create(&threads[i], NULL, make_children, NULL);
    for (int i = 0; i < 3; ++i) pthread_join(threads[i], NULL);
    apr_pool_destroy(shared_parent);
}

/* A subprocess noted with APR_KILL_ALWAYS is killed and reaped when its
 * pool goes. */
static void test_noted_subprocess_is_killed_and_reaped_at_destroy(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_proc_t *proc = apr_pcalloc(pool, sizeof *proc);
    apr_status_t status = apr_proc_fork(proc, pool);
    if (status == APR_INCHILD) {
        sleep(60);
        _exit(0);
    }
    CHECK(status == APR_INPARENT);
    apr_pool_note_subprocess(pool, proc, APR_KILL_ALWAYS);
    pid_t pid = proc->pid;
    apr_pool_destroy(pool);
    errno = 0;
    CHECK(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD); /* already reaped */
}

static void test_destroy_and_clear_of_null_do_nothing(void) {
    apr_pool_t *none = NULL;
    apr_pool_destroy(none);
    apr_pool_clear(none);
}

static void test_tag_is_accepted(void) {
    apr_pool_t *pool = new_pool(NULL);
    apr_pool_tag(pool, "request");
    CHECK(apr_pstrdup(pool, "x") != NULL);
    apr_pool_destroy(pool);
}

/* Issue 17.5: with MPOOL_APR_STATS=1, a forked child that exits normally
 * printed its stats line too, into the output of whoever reads its stderr.
 * Run in a fresh exec of this program with the variable set (it is read
 * when the library loads): the child forks a grandchild that calls exit(),
 * waits for it, and exits; exactly one stats line comes out, the child's. */
static void test_stats_line_only_from_the_process_that_turned_it_on(void) {
    int pipe_ends[2];
    CHECK(pipe(pipe_ends) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_ends[1], STDERR_FILENO);
        close(pipe_ends[0]);
        close(pipe_ends[1]);
        setenv("MPOOL_APR_STATS", "1", 1);
        execl(program_path, program_path, FORK_A_CHILD, (char *)NULL);
        _exit(6);
    }
    close(pipe_ends[1]);
    char output[1024];
    size_t length = 0;
    ssize_t got;
    while (length < sizeof output - 1 && (got = read(pipe_ends[0], output + length, sizeof output - 1 - length)) > 0)
        length += (size_t)got;
    output[length] = '\0';
    close(pipe_ends[0]);
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int lines = 0;
    for (const char *at = output; (at = strstr(at, "mpool_apr: ")) != NULL; ++at) ++lines;
    CHECK(lines == 1);
    if (lines != 1) fprintf(stderr, "the stats lines of a process and its forked child:\n%s", output);
}

#define TEST(name) {#name, test_##name}
static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {
    TEST(the_shim_is_the_apr_in_use),
    TEST(cleanups_run_newest_first),
    TEST(pre_cleanups_children_then_cleanups),
    TEST(children_are_destroyed_newest_first),
    TEST(cleanup_status_is_ignored_by_destroy_and_returned_by_run),
    TEST(cleanup_run_from_inside_a_cleanup),
    TEST(cleanup_registered_by_a_cleanup_runs),
    TEST(cleanup_kill_takes_the_newest_matching_registration),
    TEST(cleanup_kill_also_takes_a_pre_cleanup),
    TEST(cleanup_kill_of_an_unknown_pair_does_nothing),
    TEST(cleanups_of_a_grandchild_run_when_its_ancestor_goes),
    TEST(clear_runs_cleanups_and_keeps_the_pool),
    TEST(cleanup_for_exec_runs_child_functions),
    TEST(userdata_set_copies_the_key),
    TEST(userdata_setn_keeps_the_callers_key),
    TEST(userdata_set_twice_replaces_the_value),
    TEST(userdata_cleanup_runs_at_clear_and_the_data_goes),
    TEST(palloc_is_aligned_and_pcalloc_zeroed),
    TEST(psprintf_formats_with_aprs_conversions),
    TEST(psprintf_of_a_long_result),
    TEST(abort_function_is_called_with_enomem),
    TEST(without_abort_function_palloc_failure_is_null),
    TEST(abort_function_is_inherited_and_can_be_set),
    TEST(parent_of_a_pool_made_without_one_is_the_global_pool),
    TEST(is_ancestor_follows_apr),
    TEST(allocator_get_gives_the_pools_allocator),
    TEST(allocator_alloc_fills_the_node_as_apr),
    TEST(allocator_free_takes_a_chain_and_reuses_its_nodes),
    TEST(allocator_max_free_bounds_idle_nodes),
    TEST(allocator_without_max_free_keeps_every_node),
    TEST(owner_pool_destroys_its_allocator),
    TEST(threads_share_a_mutex_protected_allocator),
    TEST(noted_subprocess_is_killed_and_reaped_at_destroy),
    TEST(destroy_and_clear_of_null_do_nothing),
    TEST(tag_is_accepted),
    TEST(stats_line_only_from_the_process_that_turned_it_on),
};

int main(int argc, char **argv) {
    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "apr_initialize failed\n");
        return 2;
    }
    program_path = argv[0];
    if (argc > 1 && strcmp(argv[1], FORK_A_CHILD) == 0) return fork_a_child_that_exits();
    int ran = 0;
    for (size_t i = 0; i < sizeof tests / sizeof *tests; ++i) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) continue;
        events[0] = '\0';
        int before = failures;
        tests[i].run();
        printf("%s %s\n", failures == before ? "ok  " : "FAIL", tests[i].name);
        ++ran;
    }
    apr_terminate();
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return failures ? 1 : 0;
}
