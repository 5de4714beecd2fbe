// resource.cpp - the pool as a std::pmr::memory_resource (resource.hpp).
//
// Allocation forwards to the pool's allocation calls; deallocation gives
// the memory back only when it is the pool's most recent allocation, so a
// pmr container's temporary buffers made and dropped in a row cost nothing,
// and everything else comes back when the pool is cleared or destroyed.
#include "resource.hpp"

#include <new>

using namespace mpool::detail;

namespace mpool::detail {

void *pool_resource::do_allocate(std::size_t bytes, std::size_t alignment) {
    mpool_t *p = pool();
    void *result = alignment <= kAlign ? mpool__alloc_nonnull(p, bytes) : mpool_alloc_aligned(p, bytes, alignment);
    if (!result) throw std::bad_alloc(); // the pmr contract; the handler has run
    return result;
}

void pool_resource::do_deallocate(void *p, std::size_t bytes, std::size_t) {
    mpool__give_back(pool(), p, bytes);
}

bool pool_resource::do_is_equal(const std::pmr::memory_resource &other) const noexcept { return this == &other; }

} // namespace mpool::detail

extern "C" void *mpool__resource(mpool_t *pool) {
    if (!pool) return nullptr;
    check_not_destroyed(pool, "mpool::PoolRef::resource");
    return static_cast<std::pmr::memory_resource *>(resource_of(pool));
}
