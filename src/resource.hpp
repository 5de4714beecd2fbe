// resource.hpp - the pool as a std::pmr::memory_resource (resource.cpp).
//
// The resource object lives in the pool's header (mpool_pool::resource), so
// it has one address for the pool's whole life, survives clear, and costs a
// pool one pointer (its vtable) and creation one store. It has no data of
// its own: it finds its pool from its own address.
#ifndef MPOOL_SRC_RESOURCE_HPP
#define MPOOL_SRC_RESOURCE_HPP

#include <cstddef>
#include <memory_resource>

#include "pool.hpp"

namespace mpool::detail {

class pool_resource final : public std::pmr::memory_resource {
public:
    // The pool whose header holds this object.
    mpool_t *pool() const noexcept {
        return reinterpret_cast<mpool_t *>(const_cast<char *>(reinterpret_cast<const char *>(this)) -
                                           offsetof(mpool_pool, resource));
    }

private:
    // The pool's memory, aligned to `alignment`; std::bad_alloc when it
    // cannot be had (after the pool's out-of-memory handler).
    void *do_allocate(std::size_t bytes, std::size_t alignment) override;
    // Gives the memory back when it is the pool's most recent allocation
    // (mpool__give_back); otherwise does nothing, as
    // std::pmr::monotonic_buffer_resource does.
    void do_deallocate(void *p, std::size_t bytes, std::size_t alignment) override;
    // Equal only to itself: memory of one pool cannot go back to another.
    bool do_is_equal(const std::pmr::memory_resource &other) const noexcept override;
};

static_assert(sizeof(pool_resource) <= sizeof(mpool_pool::resource) &&
                  alignof(pool_resource) <= alignof(mpool_pool),
              "the resource must fit the slot in the pool header: a vtable pointer and no data");

// Constructs the pool's resource in its header: one store (of the vtable).
inline void place_resource(mpool_t *pool) { ::new (static_cast<void *>(pool->resource)) pool_resource(); }

inline pool_resource *resource_of(mpool_t *pool) {
    return std::launder(reinterpret_cast<pool_resource *>(pool->resource));
}

} // namespace mpool::detail

#endif
