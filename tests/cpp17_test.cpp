// mpool.hpp compiled as C++17 (with exceptions): every part of the C++ face
// that differs from C++20 (Span, uses-allocator construction) and the rest
// of it once. Exits non-zero when a check failed.
#if __cplusplus != 201703L
#error "this test must be compiled as C++17, or it tests nothing"
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory_resource>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mpool/mpool.hpp"

#include "mode_check.h"

namespace {

#if defined(__cpp_lib_span)
#error "C++17 has no std::span: mpool::Span is the header's own here"
#endif
static_assert(!std::is_same_v<mpool::Span<int>, void>);

struct Counted {
    static inline int alive = 0;
    Counted() { ++alive; }
    ~Counted() { --alive; }
};

struct Throws {
    char payload[24];
    Throws() : payload{} { throw std::runtime_error("no"); }
};

constexpr const char *kLong = "a string long enough to need memory of its own";

using String = std::basic_string<char, std::char_traits<char>, mpool::Allocator<char>>;
template <class T> using Vector = std::vector<T, mpool::Allocator<T>>;

void pools_and_objects() {
    mpool::Pool root;
    {
        mpool::Pool child = root.child();
        child.make<Counted>();
        CHECK(Counted::alive == 1);
        mpool::Span<int> numbers = child.make_array<int>(10);
        CHECK(numbers.size() == 10 && numbers[9] == 0 && !numbers.empty());
        int sum = 0;
        for (int n : numbers) sum += n;
        CHECK(sum == 0);
        mpool::Span<Counted> objects = child.make_array<Counted>(3);
        CHECK(objects.size() == 3 && Counted::alive == 4);
    }
    CHECK(Counted::alive == 0);
    size_t before = root.stats().bytes_allocated;
    try {
        root.make<Throws>();
        CHECK(false);
    } catch (const std::runtime_error &) {
    }
    const char *debug = std::getenv("MPOOL_DEBUG");
    bool own_blocks = debug && std::strcmp(debug, "2") == 0; // then every allocation is large: nothing given back
    CHECK(own_blocks || root.stats().bytes_allocated == before);
    try {
        root.allocate(SIZE_MAX);
        CHECK(false);
    } catch (const std::bad_alloc &) {
    }
}

void strings() {
    mpool::Pool pool;
    CHECK(std::strcmp(pool.strdup("c"), "c") == 0);
    CHECK(pool.strdup(std::string_view("view")) == "view");
    CHECK(std::strcmp(pool.printf("%d-%s", 7, "x"), "7-x") == 0);
    CHECK(pool.strcat("a", std::string("bc"), std::string_view("d")) == "abcd");
    CHECK(pool.on_cleanup([] {}));
}

void child_handles() {
    mpool::Pool root;
    mpool::Pool child = root.child();
    mpool::Pool moved(std::move(child));
    root.clear();
    CHECK(!moved && !child);
}

// The C++17 implementation of uses-allocator construction: every form of
// std::pair's construction that the containers use.
void allocator_and_nested_containers() {
    mpool::Pool pool;
    mpool::Pool elsewhere;
    Vector<int> numbers(pool.allocator<int>());
    for (int i = 0; i < 1000; ++i) numbers.push_back(i);
    CHECK(numbers[999] == 999);
    CHECK(pool.allocator<int>() == pool.allocator<long>() && pool.allocator<int>() != elsewhere.allocator<int>());

    Vector<Vector<int>> outer(pool.allocator<int>());
    outer.resize(2);
    outer.emplace_back(std::size_t{3}, 9);
    outer.push_back(Vector<int>({1, 2}, elsewhere.allocator<int>()));
    for (const Vector<int> &inner : outer) CHECK(inner.get_allocator() == pool.allocator<int>());
    CHECK(outer[2][2] == 9 && outer[3][1] == 2);

    using Map = std::map<String, Vector<String>, std::less<>, mpool::Allocator<std::pair<const String, Vector<String>>>>;
    Map index(pool.allocator<int>());
    mpool::Allocator<char> chars = pool.allocator<char>();
    index[String(kLong, chars)].emplace_back(kLong);                                  // piecewise, moved key
    index.try_emplace(String("two", chars)).first->second.emplace_back("x");         // piecewise
    index.emplace(String("three", chars), Vector<String>(elsewhere.allocator<int>())); // (U&&, V&&)
    const std::pair<const String, Vector<String>> four(String("four", chars), Vector<String>(chars));
    index.emplace(four);                                                               // const pair&
    index.emplace(std::pair<String, Vector<String>>(String("five", chars), Vector<String>(chars))); // pair&&
    CHECK(index.size() == 5);
    for (const auto &entry : index) {
        CHECK(entry.first.get_allocator() == chars);
        CHECK(entry.second.get_allocator() == chars);
        for (const String &s : entry.second) CHECK(s.get_allocator() == chars);
    }
    CHECK(index.find(kLong)->second[0] == kLong);
}

void pmr_containers() {
    mpool::Pool pool;
    std::pmr::memory_resource *r = pool.resource();
    CHECK(r == pool.resource());
    {
        std::pmr::vector<std::pmr::string> strings(r);
        strings.emplace_back(kLong);
        CHECK(strings[0] == kLong && strings[0].get_allocator().resource() == r);
        std::pmr::map<int, std::pmr::string> m(r);
        m.emplace(1, kLong);
        CHECK(m.at(1).get_allocator().resource() == r);
    } // containers go before their pool is cleared
    pool.clear();
    CHECK(pool.resource() == r);
}

} // namespace

int main() {
    pools_and_objects();
    strings();
    child_handles();
    allocator_and_nested_containers();
    pmr_containers();
    if (failures) return 1;
    std::puts("mpool.hpp as C++17: all checks passed");
    return 0;
}
