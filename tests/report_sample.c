/* Prints mpool_report() of a small tree with awkward tags, for the ctest
 * that parses it (MPOOL_REPORT_JSON, or text with "text"). Compiled as C11:
 * the report's declarations work from C. */
#include <stdio.h>
#include <string.h>

#include "mpool/mpool.h"

static mpool_t *tagged(mpool_t *parent, const char *tag) {
    mpool_options_t options;
    memset(&options, 0, sizeof options);
    options.tag = tag;
    return mpool_create_ex(parent, &options);
}

int main(int argc, char **argv) {
    mpool_t *root = tagged(NULL, "root \"quoted\" \\ back");
    mpool_t *a = tagged(root, "tab\there\nnewline \x01\x1f\x7f");
    tagged(a, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    tagged(a, "bad \xff\xfe \xc3 \xed\xa0\x80 \xc0\xaf");
    mpool_t *b = mpool_create(root);
    mpool_create(b);
    mpool_alloc(b, 5000);
    int status = mpool_report(root, stdout, argc > 1 && strcmp(argv[1], "text") == 0 ? 0 : MPOOL_REPORT_JSON);
    mpool_destroy(root);
    return status;
}
