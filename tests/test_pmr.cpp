// Standard containers over a pool: the pool as a std::pmr::memory_resource,
// and mpool::Allocator<T> (traits, propagation, uses-allocator construction).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory_resource>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

// A string longer than any small-string buffer, so that it allocates.
constexpr const char *kLong = "a string long enough to need memory of its own";

// --- the README's example ("std::pmr and standard containers"); keep the two in step.

// Distinct words of a request's text: the map's nodes and buckets and the
// strings' bytes all come from the request's pool.
std::size_t distinct_words(mpool::PoolRef request, std::string_view text) {
    std::pmr::unordered_map<std::pmr::string, int> counts(request.resource());
    for (std::size_t at = 0; at <= text.size();) {
        std::size_t end = std::min(text.find(' ', at), text.size());
        ++counts[std::pmr::string(text.substr(at, end - at), request.resource())];
        at = end + 1;
    }
    return counts.size();
}

// With mpool::Allocator: the pool goes down to the strings without a
// scoped_allocator_adaptor.
using String = std::basic_string<char, std::char_traits<char>, mpool::Allocator<char>>;
template <class T> using Vector = std::vector<T, mpool::Allocator<T>>;

Vector<String> split(mpool::PoolRef request, std::string_view text) {
    Vector<String> words(request.allocator<String>());
    for (std::size_t at = 0; at <= text.size();) {
        std::size_t end = std::min(text.find(' ', at), text.size());
        words.emplace_back(text.substr(at, end - at)); // String gets the allocator from the vector
        at = end + 1;
    }
    return words;
}

// --- end of the README's example.

TEST(Pmr, ReadmeExampleCountsAndSplitsInThePool) {
    mpool::Pool request;
    EXPECT_EQ(distinct_words(request, "to be or not to be"), 4u);
    Vector<String> words = split(request, "to be or not to be");
    ASSERT_EQ(words.size(), 6u);
    EXPECT_EQ(std::string_view(words[3]), "not");
    EXPECT_EQ(words[3].get_allocator(), request.allocator<char>());
}

// --- std::pmr

TEST(Pmr, ResourceIsTheSamePointerOnEveryCall) {
    mpool::Pool pool;
    EXPECT_NE(pool.resource(), nullptr);
    EXPECT_EQ(pool.resource(), pool.resource());
    EXPECT_EQ(mpool::PoolRef(pool.get()).resource(), pool.resource());
}

TEST(Pmr, ResourceSurvivesClear) {
    mpool::Pool pool;
    std::pmr::memory_resource *before = pool.resource();
    std::pmr::vector<int>(100, 7, before);
    pool.clear();
    EXPECT_EQ(pool.resource(), before);
    std::pmr::vector<int> after(100, 8, pool.resource());
    EXPECT_EQ(after[99], 8);
    EXPECT_GE(pool.stats().bytes_allocated, 100 * sizeof(int));
}

TEST(Pmr, ResourceIsEqualOnlyToItsOwnPool) {
    mpool::Pool a;
    mpool::Pool b;
    mpool::Pool child = a.child();
    EXPECT_TRUE(a.resource()->is_equal(*a.resource()));
    EXPECT_FALSE(a.resource()->is_equal(*b.resource()));
    EXPECT_FALSE(a.resource()->is_equal(*child.resource()));
    EXPECT_FALSE(a.resource()->is_equal(*std::pmr::new_delete_resource()));
}

TEST(Pmr, ResourceOfAChildIsNotItsParents) {
    mpool::Pool root;
    mpool::Pool child = root.child();
    EXPECT_NE(child.resource(), root.resource());
}

TEST(Pmr, VectorOfStringsLivesInThePool) {
    mpool::Pool pool;
    size_t before = pool.stats().bytes_allocated;
    std::pmr::vector<std::pmr::string> strings(pool.resource());
    for (int i = 0; i < 100; ++i) strings.emplace_back(std::string(kLong) + std::to_string(i));
    EXPECT_EQ(std::string_view(strings[42]), std::string(kLong) + "42");
    // The strings got the vector's resource (uses-allocator construction).
    EXPECT_EQ(strings[42].get_allocator().resource(), pool.resource());
    EXPECT_GE(pool.stats().bytes_allocated - before, 100 * std::strlen(kLong));
}

TEST(Pmr, MapLivesInThePool) {
    mpool::Pool pool;
    std::pmr::map<int, std::pmr::string> m(pool.resource());
    for (int i = 0; i < 50; ++i) m.emplace(i, kLong);
    EXPECT_EQ(m.size(), 50u);
    EXPECT_EQ(std::string_view(m.at(49)), kLong);
    EXPECT_EQ(m.at(49).get_allocator().resource(), pool.resource());
    EXPECT_GE(pool.stats().bytes_allocated, 50 * std::strlen(kLong));
}

TEST(Pmr, UnorderedMapLivesInThePool) {
    mpool::Pool pool;
    std::pmr::unordered_map<std::pmr::string, int> m(pool.resource());
    for (int i = 0; i < 200; ++i) m[std::pmr::string(kLong) + std::to_string(i).c_str()] = i;
    EXPECT_EQ(m.size(), 200u);
    EXPECT_EQ(m.at(std::pmr::string(kLong) + "123"), 123);
    EXPECT_EQ(m.begin()->first.get_allocator().resource(), pool.resource());
    EXPECT_GE(pool.stats().bytes_allocated, 200 * std::strlen(kLong));
}

TEST(Pmr, NestedContainersGetThePool) {
    mpool::Pool pool;
    std::pmr::map<std::pmr::string, std::pmr::vector<std::pmr::string>> index(pool.resource());
    index[kLong].push_back(kLong);
    index[kLong].emplace_back("second");
    const auto &[key, values] = *index.begin();
    EXPECT_EQ(key.get_allocator().resource(), pool.resource());
    EXPECT_EQ(values.get_allocator().resource(), pool.resource());
    EXPECT_EQ(values[0].get_allocator().resource(), pool.resource());
    EXPECT_EQ(std::string_view(values[1]), "second");
}

TEST(Pmr, DeallocateOfTheLastAllocationGivesItBack) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    mpool::Pool pool;
    std::pmr::memory_resource *r = pool.resource();
    size_t before = pool.stats().bytes_allocated;
    void *p = r->allocate(100);
    EXPECT_EQ(pool.stats().bytes_allocated, before + 100);
    r->deallocate(p, 100);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
    EXPECT_EQ(r->allocate(100), p); // the same bytes, handed out again
}

TEST(Pmr, DeallocateOfAnEarlierAllocationDoesNothing) {
    mpool::Pool pool;
    std::pmr::memory_resource *r = pool.resource();
    void *first = r->allocate(100);
    void *second = r->allocate(50);
    size_t before = pool.stats().bytes_allocated;
    r->deallocate(first, 100);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
    EXPECT_NE(r->allocate(100), first);
    (void)second;
}

TEST(Pmr, DeallocateGivesBackInReverseOrder) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    mpool::Pool pool;
    std::pmr::memory_resource *r = pool.resource();
    size_t before = pool.stats().bytes_allocated;
    void *first = r->allocate(100);
    void *second = r->allocate(50);
    r->deallocate(second, 50);
    r->deallocate(first, 100);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
}

TEST(Pmr, DeallocateInAConcurrentPoolDoesNothing) {
    mpool::Pool pool = mpool::Pool::concurrent();
    std::pmr::memory_resource *r = pool.resource();
    void *p = r->allocate(100);
    size_t before = pool.stats().bytes_allocated;
    r->deallocate(p, 100);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
}

TEST(Pmr, AllocateHonoursAlignment) {
    mpool::Pool pool;
    void *p = pool.resource()->allocate(10, 1024);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 1024, 0u);
}

TEST(Pmr, AllocationFailureThrowsBadAlloc) {
    mpool::Options options{};
    options.limit = 64 * 1024;
    mpool::Pool pool(options);
    EXPECT_THROW((void)pool.resource()->allocate(1 << 20), std::bad_alloc);
    std::pmr::vector<char> v(pool.resource());
    EXPECT_THROW(v.resize(1 << 20), std::bad_alloc);
}

// A give-back in debug mode drops the allocation's record: clear would
// otherwise read the freed-memory fill over its canary as an overrun.
TEST(Pmr, GiveBackInDebugModeForgetsTheAllocation) {
    mpool::Options options{};
    options.flags = MPOOL_DEBUG;
    mpool::Pool pool(options);
    std::pmr::memory_resource *r = pool.resource();
    void *p = r->allocate(24);
    r->deallocate(p, 24);
    std::memset(r->allocate(8), 1, 8);
    EXPECT_EQ(mpool_check(pool.get()), 0);
    pool.clear();
}

// --- mpool::Allocator<T>

using Traits = std::allocator_traits<mpool::Allocator<int>>;
static_assert(std::is_same_v<Traits::value_type, int>);
static_assert(std::is_same_v<Traits::size_type, std::size_t>);
static_assert(std::is_same_v<Traits::difference_type, std::ptrdiff_t>);
static_assert(!Traits::propagate_on_container_copy_assignment::value, "a container keeps its pool");
static_assert(!Traits::propagate_on_container_move_assignment::value, "a container keeps its pool");
static_assert(!Traits::propagate_on_container_swap::value, "a container keeps its pool");
static_assert(!Traits::is_always_equal::value, "allocators of different pools differ");
static_assert(std::is_same_v<Traits::rebind_alloc<long>, mpool::Allocator<long>>);
static_assert(std::is_nothrow_copy_constructible_v<mpool::Allocator<int>>);
static_assert(std::uses_allocator_v<Vector<int>, mpool::Allocator<char>>, "the pool reaches nested containers");
static_assert(!std::uses_allocator_v<std::string, mpool::Allocator<char>>, "std::allocator users are left alone");

TEST(PoolAllocator, ComparesEqualOverTheSamePool) {
    mpool::Pool a;
    mpool::Pool b;
    EXPECT_TRUE(a.allocator<int>() == a.allocator<long>());
    EXPECT_FALSE(a.allocator<int>() != a.allocator<long>());
    EXPECT_TRUE(a.allocator<int>() != b.allocator<int>());
    EXPECT_EQ(mpool::Allocator<long>(a.allocator<int>()).pool(), a);
}

TEST(PoolAllocator, CopyOfAContainerUsesTheSamePool) {
    mpool::Pool pool;
    Vector<int> original({1, 2, 3}, pool.allocator<int>());
    Vector<int> copy(original);
    EXPECT_EQ(copy.get_allocator(), original.get_allocator());
    EXPECT_EQ(copy, original);
}

TEST(PoolAllocator, MoveAssignmentWithinOnePoolTakesTheBuffer) {
    mpool::Pool pool;
    Vector<int> from(1000, 5, pool.allocator<int>());
    Vector<int> to(pool.allocator<int>());
    const int *buffer = from.data();
    size_t before = pool.stats().bytes_allocated;
    to = std::move(from);
    EXPECT_EQ(to.data(), buffer);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
}

TEST(PoolAllocator, SwapWithinOnePoolExchangesBuffers) {
    mpool::Pool pool;
    Vector<int> a(10, 1, pool.allocator<int>());
    Vector<int> b(20, 2, pool.allocator<int>());
    size_t before = pool.stats().bytes_allocated;
    a.swap(b);
    EXPECT_EQ(a.size(), 20u);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
}

TEST(PoolAllocator, MoveAssignmentAcrossPoolsCopiesIntoTheDestinationPool) {
    mpool::Pool source;
    mpool::Pool destination;
    Vector<int> from(1000, 5, source.allocator<int>());
    Vector<int> to(destination.allocator<int>());
    size_t before = destination.stats().bytes_allocated;
    to = std::move(from);
    EXPECT_EQ(to.get_allocator().pool(), destination);
    EXPECT_EQ(to[999], 5);
    EXPECT_GE(destination.stats().bytes_allocated - before, 1000 * sizeof(int));
}

TEST(PoolAllocator, NestedVectorsGetThePool) {
    mpool::Pool pool;
    mpool::Pool elsewhere;
    Vector<Vector<int>> outer(pool.allocator<Vector<int>>());
    outer.resize(3);
    outer[0].push_back(1);
    outer.emplace_back(5, 7); // Vector<int>(5, 7, allocator)
    Vector<int> foreign({1, 2}, elsewhere.allocator<int>());
    outer.push_back(std::move(foreign)); // another pool's vector: copied into this one
    for (const Vector<int> &inner : outer) EXPECT_EQ(inner.get_allocator().pool(), pool);
    EXPECT_EQ(outer[3], Vector<int>(5, 7, pool.allocator<int>()));
    EXPECT_EQ(outer[4][1], 2);
}

TEST(PoolAllocator, MapOfStringsToVectorsGetsThePool) {
    mpool::Pool pool;
    using Map = std::map<String, Vector<String>, std::less<>, mpool::Allocator<std::pair<const String, Vector<String>>>>;
    Map index(pool.allocator<int>());
    size_t before = pool.stats().bytes_allocated;
    index[String(kLong, pool.allocator<char>())].emplace_back(kLong);
    index.try_emplace(String("two", pool.allocator<char>())).first->second.emplace_back("x");
    index.emplace(std::piecewise_construct, std::forward_as_tuple("three"), std::forward_as_tuple(2, String("y", pool.allocator<char>())));
    index.emplace(std::make_pair(String("four", pool.allocator<char>()), Vector<String>(pool.allocator<String>())));
    ASSERT_EQ(index.size(), 4u);
    for (const auto &[key, values] : index) {
        EXPECT_EQ(key.get_allocator().pool(), pool);
        EXPECT_EQ(values.get_allocator().pool(), pool);
        for (const String &s : values) EXPECT_EQ(s.get_allocator().pool(), pool);
    }
    EXPECT_EQ(std::string_view(index.find(kLong)->second[0]), kLong);
    EXPECT_EQ(std::string_view(index.find("three")->second[1]), "y");
    EXPECT_GE(pool.stats().bytes_allocated - before, 2 * std::strlen(kLong));
}

TEST(PoolAllocator, DeallocateOfTheLastAllocationGivesItBack) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK();
    mpool::Pool pool;
    mpool::Allocator<int> allocator = pool.allocator<int>();
    size_t before = pool.stats().bytes_allocated;
    int *first = allocator.allocate(10);
    int *second = allocator.allocate(10);
    allocator.deallocate(first, 10); // not the last: nothing
    EXPECT_EQ(pool.stats().bytes_allocated, before + 20 * sizeof(int));
    allocator.deallocate(second, 10);
    EXPECT_EQ(pool.stats().bytes_allocated, before + 10 * sizeof(int));
}

TEST(PoolAllocator, AllocateOfAnOverflowingCountThrows) {
    mpool::Pool pool;
    EXPECT_THROW(pool.allocator<long>().allocate(SIZE_MAX / 4), std::bad_array_new_length);
}

} // namespace
