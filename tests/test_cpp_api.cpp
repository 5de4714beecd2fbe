// The C++ face: RAII, typed creation with destructors, exceptions.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

static_assert(!std::is_copy_constructible_v<mpool::Pool>, "a Pool owns its pool");
static_assert(std::is_nothrow_move_constructible_v<mpool::Pool>, "a Pool moves like a unique_ptr");
static_assert(std::is_trivially_copyable_v<mpool::PoolRef>, "a PoolRef is a pointer");

struct Counted {
    static inline int alive = 0;
    static inline std::vector<int> destroyed;
    int id;
    explicit Counted(int i) : id(i) { ++alive; }
    Counted() : Counted(0) {}
    ~Counted() {
        --alive;
        destroyed.push_back(id);
    }
};

// The third construction throws.
struct Throws {
    static inline int attempts = 0;
    static inline int alive = 0;
    Throws() {
        if (++attempts == 3) throw std::runtime_error("third");
        ++alive;
    }
    ~Throws() { --alive; }
};

struct Point {
    int x, y;
};

class CppApi : public ::testing::Test {
protected:
    void SetUp() override {
        Counted::alive = 0;
        Counted::destroyed.clear();
        Throws::attempts = 0;
        Throws::alive = 0;
    }
};

TEST_F(CppApi, PoolDestroysItsPoolAtScopeExit) {
    {
        mpool::Pool pool;
        pool.make<Counted>(1);
        EXPECT_EQ(Counted::alive, 1);
    }
    EXPECT_EQ(Counted::alive, 0);
}

TEST_F(CppApi, MakeRegistersTheDestructor) {
    mpool::Pool pool;
    Counted *c = pool.make<Counted>(7);
    EXPECT_EQ(c->id, 7);
    EXPECT_EQ(pool.stats().cleanups, 1u);
    pool.clear();
    EXPECT_EQ(Counted::destroyed, std::vector<int>{7});
}

TEST_F(CppApi, MakeOfATriviallyDestructibleTypeRegistersNothing) {
    mpool::Pool pool;
    Point *p = pool.make<Point>(3, 4);
    EXPECT_EQ(p->x + p->y, 7);
    EXPECT_EQ(pool.stats().cleanups, 0u);
}

TEST_F(CppApi, MakeWhoseConstructorThrowsRegistersNothing) {
    mpool::Pool pool;
    pool.make<Throws>();
    pool.make<Throws>();
    EXPECT_THROW(pool.make<Throws>(), std::runtime_error);
    EXPECT_EQ(pool.stats().cleanups, 2u);
}

TEST_F(CppApi, MakeArrayDestroysLastFirst) {
    mpool::Pool pool;
    std::span<Counted> items = pool.make_array<Counted>(3);
    for (size_t i = 0; i < items.size(); ++i) items[i].id = static_cast<int>(i);
    pool.clear();
    EXPECT_EQ(Counted::destroyed, (std::vector<int>{2, 1, 0}));
}

TEST_F(CppApi, MakeArrayValueInitialises) {
    mpool::Pool pool;
    std::memset(pool.allocate(400), 0xff, 400);
    pool.clear(); // the array gets the dirty bytes
    std::span<int> numbers = pool.make_array<int>(100);
    for (int n : numbers) EXPECT_EQ(n, 0);
    EXPECT_EQ(pool.stats().cleanups, 0u);
}

TEST_F(CppApi, MakeArrayUndoesAPartialConstruction) {
    mpool::Pool pool;
    EXPECT_THROW(pool.make_array<Throws>(5), std::runtime_error);
    EXPECT_EQ(Throws::alive, 0);
    EXPECT_EQ(pool.stats().cleanups, 0u);
}

TEST_F(CppApi, MakeArrayOfAnOverflowingCountThrows) {
    mpool::Pool pool;
    EXPECT_THROW(pool.make_array<Point>(SIZE_MAX / 4), std::bad_array_new_length);
}

TEST_F(CppApi, AllocateThrowsBadAllocWhenMemoryCannotBeHad) {
    mpool::Pool pool;
    EXPECT_THROW(pool.allocate(SIZE_MAX), std::bad_alloc);
    EXPECT_THROW(pool.allocate(16, 3), std::bad_alloc);
}

TEST_F(CppApi, AllocateHonoursAlignment) {
    mpool::Pool pool;
    void *p = pool.allocate(10, 1024);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 1024, 0u);
}

TEST_F(CppApi, RootCreationFailureThrowsBadAlloc) {
    mpool_options_t options{};
    options.limit = 10;
    EXPECT_THROW(mpool::Pool{options}, std::bad_alloc);
}

TEST_F(CppApi, ChildIsDestroyedWithItsHandle) {
    mpool::Pool root;
    {
        mpool::Pool child = root.child();
        EXPECT_EQ(child.parent(), root.get());
        child.make<Counted>(1);
        EXPECT_EQ(root.stats().children, 1u);
    }
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(root.stats().children, 0u);
}

TEST_F(CppApi, ReleasedChildGoesWithItsParent) {
    mpool::Pool root;
    mpool::Pool child = root.child();
    child.make<Counted>(1);
    mpool_t *raw = child.release();
    EXPECT_FALSE(child);
    EXPECT_EQ(mpool_parent(raw), root.get());
    root.clear();
    EXPECT_EQ(Counted::alive, 0);
}

TEST_F(CppApi, MoveAssignmentDestroysThePoolItReplaces) {
    mpool::Pool a;
    a.make<Counted>(1);
    mpool::Pool b;
    a = std::move(b);
    EXPECT_EQ(Counted::alive, 0);
}

TEST_F(CppApi, OnCleanupRunsAndDestroysTheCallable) {
    std::vector<std::string> log;
    {
        mpool::Pool pool;
        auto shared = std::make_shared<int>(5);
        pool.on_cleanup([&log, shared] { log.push_back("cleanup " + std::to_string(*shared)); });
        pool.on_pre_cleanup([&log] { log.push_back("pre"); });
        EXPECT_EQ(shared.use_count(), 2);
        pool.clear();
        EXPECT_EQ(shared.use_count(), 1);
    }
    EXPECT_EQ(log, (std::vector<std::string>{"pre", "cleanup 5"}));
}

TEST_F(CppApi, StringHelpersCopyAndFormat) {
    mpool::Pool pool;
    std::string source = "view";
    std::string_view copy = pool.strdup(std::string_view(source));
    source[0] = 'X';
    EXPECT_EQ(copy, "view");
    EXPECT_EQ(copy.data()[copy.size()], '\0');
    EXPECT_STREQ(pool.strdup("c-string"), "c-string");
    EXPECT_STREQ(pool.printf("%d-%s", 7, "x"), "7-x");
    EXPECT_EQ(pool.strcat("a", std::string("bc"), std::string_view("def")), "abcdef");
}

TEST_F(CppApi, TagsRoundTrip) {
    mpool::Pool pool;
    pool.set_tag("cpp");
    EXPECT_STREQ(pool.tag(), "cpp");
}

TEST_F(CppApi, AllocatorServesStandardContainers) {
    mpool::Pool pool;
    std::vector<int, mpool::Allocator<int>> numbers(pool.allocator<int>());
    for (int i = 0; i < 1000; ++i) numbers.push_back(i);
    EXPECT_EQ(numbers[999], 999);
    std::map<int, int, std::less<>, mpool::Allocator<std::pair<const int, int>>> m(pool.allocator<int>());
    m[1] = 2;
    EXPECT_EQ(m.at(1), 2);
    EXPECT_GT(pool.stats().bytes_allocated, 1000 * sizeof(int));
}

// --- child handles: a Pool whose pool an ancestor destroyed is empty, so its
// destructor does not destroy the pool a second time (the ASan preset runs
// these: a double destroy is a use after free there).

TEST_F(CppApi, ChildHandleIsEmptiedByItsParentsClear) {
    mpool::Pool root;
    mpool::Pool child = root.child();
    child.make<Counted>(1);
    root.clear();
    EXPECT_FALSE(child);
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(root.stats().children, 0u);
} // ~child does nothing

TEST_F(CppApi, ChildHandleIsEmptiedByItsParentsDestroy) {
    auto root = std::make_unique<mpool::Pool>();
    mpool::Pool child = root->child();
    root.reset();
    EXPECT_FALSE(child);
}

TEST_F(CppApi, GrandchildHandleIsEmptiedByItsGrandparentsClear) {
    mpool::Pool root;
    mpool::Pool child = root.child();
    mpool::Pool grandchild = child.child();
    root.clear();
    EXPECT_FALSE(child);
    EXPECT_FALSE(grandchild);
}

TEST_F(CppApi, MovedChildHandleIsEmptiedByItsParentsClear) {
    mpool::Pool root;
    mpool::Pool first = root.child();
    mpool::Pool constructed(std::move(first));
    mpool::Pool assigned;
    assigned = root.child();
    root.clear();
    EXPECT_FALSE(constructed);
    EXPECT_FALSE(assigned);
    EXPECT_FALSE(first);
}

// The slot moves with the handle: only the handle that owns the pool is
// written, not the one it was moved from (which may own another pool by then).
TEST_F(CppApi, HandleMovedFromAndReusedKeepsItsNewPool) {
    mpool::Pool root;
    mpool::Pool other;
    mpool::Pool handle = root.child();
    mpool::Pool taker(std::move(handle));
    handle = other.child();
    root.clear();
    EXPECT_FALSE(taker);
    EXPECT_TRUE(handle);
    EXPECT_EQ(handle.parent(), other.get());
}

TEST_F(CppApi, ReleasedHandleIsNotWrittenByTheLibrary) {
    mpool::Pool root;
    mpool::Pool other;
    mpool::Pool handle = root.child();
    mpool_t *raw = handle.release();
    handle = other.child();
    root.clear(); // destroys raw
    EXPECT_TRUE(handle);
    EXPECT_EQ(handle.parent(), other.get());
    (void)raw;
}

TEST_F(CppApi, HandlesInAVectorSurviveItsReallocation) {
    mpool::Pool root;
    std::vector<mpool::Pool> children;
    for (int i = 0; i < 100; ++i) children.push_back(root.child()); // moves the handles as it grows
    root.clear();
    for (const mpool::Pool &child : children) EXPECT_FALSE(child);
}

// A handle kept in its parent's memory: the parent's clear destroys the
// child (children go before cleanups), then runs ~Pool, which does nothing.
TEST_F(CppApi, HandleKeptInItsParentsMemory) {
    mpool::Pool root;
    mpool::Pool *kept = root.make<mpool::Pool>(root.child());
    kept->make<Counted>(1);
    root.clear();
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(root.stats().children, 0u);
}

// Assigning a child's handle to its parent's handle destroys the parent, and
// with it the child: the handle ends up empty rather than dangling.
TEST_F(CppApi, AssigningAChildToItsParentsHandleLeavesItEmpty) {
    mpool::Pool root;
    mpool::Pool child = root.child();
    root = std::move(child);
    EXPECT_FALSE(root);
    EXPECT_FALSE(child);
}

TEST_F(CppApi, AdoptedChildHandleIsEmptiedByItsParentsClear) {
    mpool::Pool root;
    mpool::Pool adopted = mpool::Pool::adopt(mpool_create(root.get()));
    root.clear();
    EXPECT_FALSE(adopted);
}

// --- throwing constructors give their bytes back.

struct AlwaysThrows {
    char payload[40];
    AlwaysThrows() : payload{} { throw std::runtime_error("no"); }
    ~AlwaysThrows() {}
};

// Allocates from its pool, then throws: its bytes are not the last
// allocation any more and stay until the clear.
struct AllocatesThenThrows {
    explicit AllocatesThenThrows(mpool::PoolRef pool) {
        pool.allocate(16);
        throw std::runtime_error("no");
    }
};

TEST_F(CppApi, MakeWhoseConstructorThrowsGivesItsBytesBack) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK(); // then every allocation is large, and large ones are not given back
    mpool::Pool pool;
    pool.make<Point>(1, 2);
    size_t before = pool.stats().bytes_allocated;
    EXPECT_THROW(pool.make<AlwaysThrows>(), std::runtime_error);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
    EXPECT_EQ(pool.stats().cleanups, 0u);
}

TEST_F(CppApi, MakeWhoseConstructorAllocatedKeepsItsBytes) {
    mpool::Pool pool;
    size_t before = pool.stats().bytes_allocated;
    EXPECT_THROW(pool.make<AllocatesThenThrows>(pool), std::runtime_error);
    EXPECT_EQ(pool.stats().bytes_allocated, before + sizeof(AllocatesThenThrows) + 16);
}

TEST_F(CppApi, MakeArrayWhoseConstructorThrowsGivesItsBytesBack) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK(); // then every allocation is large, and large ones are not given back
    mpool::Pool pool;
    size_t before = pool.stats().bytes_allocated;
    EXPECT_THROW(pool.make_array<Throws>(5), std::runtime_error);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
}

TEST_F(CppApi, OnCleanupWhoseCallableThrowsOnCopyGivesItsBytesBack) {
    SKIP_WHEN_EVERY_ALLOCATION_HAS_A_BLOCK(); // then every allocation is large, and large ones are not given back
    struct ThrowsOnCopy {
        ThrowsOnCopy() = default;
        ThrowsOnCopy(const ThrowsOnCopy &) { throw std::runtime_error("copy"); }
        void operator()() const {}
    };
    mpool::Pool pool;
    size_t before = pool.stats().bytes_allocated;
    const ThrowsOnCopy callable;
    EXPECT_THROW(pool.on_cleanup(callable), std::runtime_error);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
    EXPECT_EQ(pool.stats().cleanups, 0u);
}

int sum_in(mpool::PoolRef pool) {
    int *values = pool.make_array<int>(4).data();
    values[0] = 1;
    values[3] = 2;
    return values[0] + values[3];
}

TEST_F(CppApi, PoolRefIsWhatFunctionsTake) {
    mpool::Pool pool;
    EXPECT_EQ(sum_in(pool), 3);
    mpool_t *raw = mpool_create(nullptr);
    EXPECT_EQ(sum_in(mpool::PoolRef(raw)), 3);
    mpool_destroy(raw);
}

TEST_F(CppApi, AdoptTakesOwnershipOfACPool) {
    mpool_t *raw = mpool_create(nullptr);
    {
        mpool::Pool owner = mpool::Pool::adopt(raw);
        owner.make<Counted>(1);
    }
    EXPECT_EQ(Counted::alive, 0);
}

TEST_F(CppApi, WalkVisitsEveryPoolWithItsDepth) {
    mpool::Pool root;
    mpool::Pool child = root.child();
    mpool::Pool grandchild = child.child();
    std::vector<unsigned> depths;
    EXPECT_TRUE(root.walk([&](mpool::PoolRef, unsigned depth, const mpool::Stats &) {
        depths.push_back(depth);
        return true;
    }));
    EXPECT_EQ(depths, (std::vector<unsigned>{0, 1, 2}));
}

TEST_F(CppApi, WalkStopsWhenTheVisitorSaysSo) {
    mpool::Pool root;
    mpool::Pool a = root.child(), b = root.child();
    int visited = 0;
    EXPECT_FALSE(root.walk([&](mpool::PoolRef, unsigned, const mpool::Stats &) { return ++visited < 2; }));
    EXPECT_EQ(visited, 2);
}

TEST_F(CppApi, ReportPrintsTheTagOfEveryPool) {
    mpool::Pool root;
    root.set_tag("the-root");
    mpool::Pool child = root.child();
    child.set_tag("the-child");
    char *text = nullptr;
    size_t length = 0;
    std::FILE *out = open_memstream(&text, &length);
    ASSERT_EQ(root.report(out), 0);
    std::fclose(out);
    std::string report(text, length);
    std::free(text);
    EXPECT_NE(report.find("the-root"), std::string::npos);
    EXPECT_NE(report.find("  the-child"), std::string::npos);
}

TEST_F(CppApi, AChildHandleReparentedGoesWithItsNewParent) {
    mpool::Pool top; // its allocator serves the whole tree, so children may move within it
    mpool::Pool first = top.child(), second = top.child();
    mpool::Pool child = first.child();
    child.make<Counted>(1);
    child.reparent(second);
    EXPECT_EQ(child.parent(), second.get());
    second.clear(); // destroys the child
    EXPECT_FALSE(child);
    EXPECT_EQ(Counted::alive, 0);
}

TEST_F(CppApi, ARootHandleReparentedBecomesEmptyWhenItsNewParentGoes) {
    mpool::Pool parent;
    mpool::Pool root;
    root.reparent(parent);
    parent.clear();
    EXPECT_FALSE(root); // its destructor does nothing now
}

TEST_F(CppApi, MakeRootDetachesAChild) {
    mpool_allocator_t *allocator = mpool_allocator_create(nullptr); // outlives both pools
    mpool::Options options{};
    options.allocator = allocator;
    {
        mpool::Pool child;
        {
            mpool::Pool parent(options);
            child = parent.child();
            child.make_root();
        }
        ASSERT_TRUE(child);
        EXPECT_EQ(child.parent(), nullptr);
        EXPECT_NE(child.allocate(10), nullptr);
    }
    mpool_allocator_destroy(allocator);
}

TEST_F(CppApi, ReparentUnderADescendantThrowsInvalidArgument) {
    mpool::Pool root;
    mpool::Pool child = root.child();
    EXPECT_THROW(root.reparent(child), std::invalid_argument);
}

TEST_F(CppApi, ReparentPastTheNewParentsLimitThrowsBadAlloc) {
    mpool::Options options{};
    options.limit = 4096;
    mpool::Pool small(options);
    mpool::Pool big;
    big.allocate(100000);
    EXPECT_THROW(big.reparent(small), std::bad_alloc);
    EXPECT_EQ(big.parent(), nullptr);
}

TEST_F(CppApi, ScopeUndoesWhatWasDoneInIt) {
    mpool::Pool pool;
    pool.allocate(100);
    size_t before = pool.stats().bytes_allocated;
    {
        mpool::Scope scratch(pool);
        pool.allocate(5000);
        pool.make<Counted>(1);
        EXPECT_EQ(Counted::alive, 1);
    }
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(pool.stats().bytes_allocated, before);
}

TEST_F(CppApi, ScopeRewindKeepsTheScope) {
    mpool::Pool pool;
    mpool::Scope scratch(pool);
    for (int i = 0; i < 10; ++i) {
        pool.allocate(1000);
        EXPECT_EQ(scratch.rewind(), 0);
        EXPECT_EQ(pool.stats().bytes_allocated, 0u);
    }
}

TEST_F(CppApi, PrintfOfARefusedFormatThrowsInvalidArgument) {
    mpool::Pool pool;
    int count = 0;
    EXPECT_THROW(pool.printf("abc%n", &count), std::invalid_argument);
    EXPECT_EQ(count, 0);
}

TEST_F(CppApi, PrintfPastALimitThrowsBadAlloc) {
    mpool::Options options{};
    options.limit = 8192;
    mpool::Pool pool(options);
    EXPECT_THROW(pool.printf("%100000d", 1), std::bad_alloc);
}

TEST_F(CppApi, AScopeAroundAContainerThatGivesBackItsBufferRestoresThePool) {
    // The vector's buffer is the pool's last allocation when it goes: it is
    // given back, then the scope's rewind must not free it a second time
    // (memcheck reported an invalid free).
    mpool::Pool pool;
    size_t before = pool.stats().bytes_allocated;
    {
        mpool::Scope scratch(pool);
        std::vector<int, mpool::Allocator<int>> v(pool.allocator<int>());
        v.push_back(1);
    }
    EXPECT_EQ(pool.stats().bytes_allocated, before);
}

TEST_F(CppApi, AHandleMovedAfterMakeRootIsTheOnlyOneTheLibraryWrites) {
    // After make_root() the pool's owner slot must not keep naming the
    // handle it was moved from (ASan reported a write into freed memory).
    mpool_allocator_t *allocator = mpool_allocator_create(nullptr);
    mpool::Options options{};
    options.allocator = allocator;
    {
        mpool::Pool root(options);
        auto first = std::make_unique<mpool::Pool>(root.child());
        first->make_root();
        mpool::Pool second = std::move(*first);
        first.reset();
        EXPECT_NE(second.allocate(10), nullptr);
    } // second destroys the pool here
    mpool_allocator_destroy(allocator);
}

} // namespace
