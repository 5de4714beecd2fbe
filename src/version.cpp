// version.cpp - the version of the library, as mpool_version() reports it.
#include "mpool/mpool.h"

#define MPOOL__STRINGIFY(x) #x
#define MPOOL__VERSION_STRING(major, minor, patch) \
    MPOOL__STRINGIFY(major) "." MPOOL__STRINGIFY(minor) "." MPOOL__STRINGIFY(patch)

extern "C" const char *mpool_version(void) {
    return MPOOL__VERSION_STRING(MPOOL_VERSION_MAJOR, MPOOL_VERSION_MINOR, MPOOL_VERSION_PATCH);
}
