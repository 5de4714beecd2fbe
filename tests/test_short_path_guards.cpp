// Guards of the plain child's short path (pool_tree.cpp) and the lists'
// grant (allocator.cpp), from an adversarial review of both: what the
// general path did and the short path must keep, under threads, the debug
// quarantine, marks, reparenting and every allocator setting. The death
// tests and the quarantine race failed before the short paths looked at the
// quarantine first, and again under the allocator's lock (fc0f682, 931a73a).
// Under memcheck every pool is checked and takes the general path: the
// tests that exist for the short path's races skip there (they would take
// minutes and exercise nothing new).
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <cstring>
#include <thread>
#include <random>
#include <vector>

#include "mpool/mpool.hpp"
#include "test_support.hpp"

namespace {

#define SKIP_UNDER_MEMCHECK()                                                                                          \
    do {                                                                                                               \
        if (mpool_check_modes() & MPOOL_CHECK_VALGRIND)                                                                \
            GTEST_SKIP() << "under memcheck every pool takes the general path";                                        \
    } while (0)

// A block source whose freed blocks are unmapped at once, so that reading a
// freed pool faults instead of reading stale bytes.
void *mmap_alloc(void *, size_t size) {
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}
void mmap_free(void *, void *block, size_t size) { munmap(block, size); }

mpool_allocator_t *unmapping_allocator() {
    mpool_block_source_t source{mmap_alloc, mmap_free, nullptr};
    mpool_allocator_t *allocator = mpool_allocator_create(&source);
    mpool_allocator_set_max_free(allocator, 0); // every freed block goes back to the source (unmapped)
    return allocator;
}

mpool_t *debug_pool(mpool_t *parent, mpool_allocator_t *allocator, const char *tag) {
    mpool_options_t options{};
    options.flags = MPOOL_DEBUG;
    options.tag = tag;
    options.allocator = allocator;
    return mpool_create_ex(parent, &options);
}

// Guards debug mode's "use of a destroyed pool is reported, reading nothing
// of the pool" (checks.hpp: check_not_destroyed). mpool_destroy() first asks
// destroy_on_short_path(), which until fc0f682 read pool->parent, flags,
// state... before it looked at g_quarantined; the general path's teardown()
// checks first. With the pool's memory unmapped, that read faulted
// (SIGSEGV) instead of giving the message.
TEST(ShortPathGuardsDeathTest, DestroyOfADestroyedDebugPoolIsReportedBeforeItsMemoryIsRead) {
    SKIP_UNDER_MEMCHECK();
    EXPECT_DEATH(
        {
            mpool_allocator_t *allocator = unmapping_allocator();
            mpool_t *pool = debug_pool(nullptr, allocator, "gone");
            mpool_destroy(pool);
            mpool_destroy(pool); // the misuse debug mode promises to name
        },
        "mpool: mpool_destroy on pool \"gone\", which was destroyed");
}

// The same for mpool_create() under a destroyed debug pool:
// create_on_short_path() read parent->flags, limiter and lanes first.
TEST(ShortPathGuardsDeathTest, CreateUnderADestroyedDebugPoolIsReportedBeforeItsMemoryIsRead) {
    SKIP_UNDER_MEMCHECK();
    EXPECT_DEATH(
        {
            mpool_allocator_t *allocator = unmapping_allocator();
            mpool_t *pool = debug_pool(nullptr, allocator, "gone");
            mpool_destroy(pool);
            mpool_create(pool);
        },
        "mpool: mpool_create on pool \"gone\", which was destroyed");
}

// The same through a child: a debug child of a plain parent, destroyed
// twice (its home block unmapped in between).
TEST(ShortPathGuardsDeathTest, DestroyOfADestroyedDebugChildIsReportedBeforeItsMemoryIsRead) {
    SKIP_UNDER_MEMCHECK();
    EXPECT_DEATH(
        {
            mpool_allocator_t *allocator = unmapping_allocator();
            mpool_t *root = root_on(allocator);
            mpool_t *child = debug_pool(root, nullptr, "gone");
            mpool_destroy(child);
            mpool_destroy(child);
        },
        "mpool: mpool_destroy on pool \"gone\", which was destroyed");
}

// One trial of the race below, in a process of its own (the quarantine only
// grows, so each trial needs a fresh one). Exits 0, or aborts when a pool
// made at a quarantined address was taken for a destroyed one.
int quarantine_race_trial(unsigned spin) {
    mpool_allocator_t *allocator = mpool_allocator_create(nullptr);
    mpool_t *own = root_on(allocator);   // its children are made by `maker`
    mpool_t *other = root_on(allocator); // holds the debug child
    mpool_options_t debug{};
    debug.flags = MPOOL_DEBUG;
    mpool_t *doomed = mpool_create_ex(other, &debug); // a 232-byte home block, like own's children
    std::atomic<bool> stop{false}, started{false};
    std::thread maker([&] {
        mpool_destroy(mpool_create(own)); // own's lanes word: this thread; the list of 232-byte blocks has one
        started = true;
        while (!stop.load(std::memory_order_relaxed)) mpool_destroy(mpool_create(own));
        for (int i = 0; i < 10; ++i) mpool_destroy(mpool_create(own));
    });
    std::thread locker([&] { // keeps the allocator's lock busy, so that `maker` waits for it now and then
        while (!stop.load(std::memory_order_relaxed)) (void)mpool_allocator_idle_bytes(allocator);
    });
    while (!started) std::this_thread::yield();
    std::atomic<unsigned> spun{0};
    while (spun.load(std::memory_order_relaxed) < spin) spun.fetch_add(1, std::memory_order_relaxed);
    mpool_destroy(doomed);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    stop = true;
    maker.join();
    locker.join();
    return 0;
}

// Guards the quarantine against the short create: a debug pool destroyed by
// one thread enters the quarantine (check_pool_freed) before its home block
// goes back under the allocator's lock. create_on_short_path() looks at
// g_quarantined before it takes that lock, so another thread can see 0, then
// pop that very block and build a pool there without check_pool_made(): the
// address stays quarantined, and the new pool's next checked call (here its
// mpool_destroy, which takes the general path once the quarantine is not
// empty) stops the program with "mpool_destroy on pool ..., which was
// destroyed". The general path looks at g_quarantined under the lock
// (build_pool in create_plain_child), after the give. About 1 trial in 10
// died on a 2-core machine at 595ba51.
TEST(ShortPathQuarantine, APoolMadeWhereAQuarantinedDebugPoolWasIsNotTakenForIt) {
    SKIP_UNDER_MEMCHECK();
    int died = 0, trials = 300;
    for (int i = 0; i < trials; ++i) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) _exit(quarantine_race_trial((static_cast<unsigned>(i) * 2654435761u) % 5000));
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++died;
    }
    EXPECT_EQ(died, 0) << died << " of " << trials << " trials stopped on a live pool";
}

class ShortPathGuards : public CountedRootTest {
protected:
    // Every byte the block source holds is in a pool under the root
    // (bytes_reserved, lanes included), idle in the allocator
    // (mpool_allocator_idle_bytes) or the allocator itself; idle bytes stay
    // within max_free.
    void check_ledger(const char *what, int step) const {
        size_t idle = mpool_allocator_idle_bytes(allocator);
        ASSERT_EQ(source.live_bytes, allocator_bytes + stats_of(root, true).bytes_reserved + idle)
            << "after " << what << " (step " << step << ")";
        ASSERT_LE(idle, mpool_allocator_max_free(allocator)) << "after " << what << " (step " << step << ")";
    }
};

uint64_t g_now_ms = 0;
uint64_t manual_clock(void *) { return g_now_ms; }
void nothing(void *) {}

// Guards the lists' grant and the short path together: creates (short and
// general), destroys (short and general), allocations that fill more blocks
// and large ones, clears, registrations, marks and rewinds, set_max_free,
// trim, decay switched on and off with blocks listed. Each step keeps the
// ledger above; mpool_allocator_trim(SIZE_MAX) runs allocator_validate_locked()
// (list_bytes <= list_grant <= reserved) in debug builds.
TEST_F(ShortPathGuards, RandomLifecyclesKeepEveryBlockAccountedFor) {
    SKIP_UNDER_MEMCHECK();
    mpool_allocator_set_clock(allocator, manual_clock, nullptr);
    std::mt19937 rng(12345);
    std::vector<mpool_t *> children;
    const size_t max_frees[] = {0, 1000, 65536, 100000, 300000, size_t{4} << 20};
    bool marked = false;
    mpool_mark_t mark;
    // Takes the pools that go with `victim` (its descendants, and itself
    // when `itself`) out of `children`; mpool_is_ancestor() reads live pools only.
    auto drop_descendants = [&children](mpool_t *victim, bool itself) {
        std::vector<mpool_t *> alive;
        for (mpool_t *c : children)
            if (c == victim ? !itself : !mpool_is_ancestor(victim, c)) alive.push_back(c);
        children.swap(alive);
    };
    for (int step = 0; step < 20000; ++step) {
        unsigned op = static_cast<unsigned>(rng() % 100);
        const char *what = "";
        if (op < 30 || children.empty()) {
            what = "create";
            mpool_t *parent = children.empty() || rng() % 4 ? root : children[rng() % children.size()];
            mpool_t *child;
            if (rng() % 5 == 0) {
                mpool_options_t options{};
                options.tag = "opt";
                options.extra_size = rng() % 2 ? 40 : 0;
                child = mpool_create_ex(parent, &options);
            } else {
                child = mpool_create(parent);
            }
            ASSERT_NE(child, nullptr);
            children.push_back(child);
        } else if (op < 55) {
            what = "destroy";
            size_t i = rng() % children.size();
            mpool_t *victim = children[i];
            drop_descendants(victim, true); // the model, while every pool in it is live
            mpool_destroy(victim);
        } else if (op < 75) {
            what = "alloc";
            mpool_t *pool = children[rng() % children.size()];
            size_t size = rng() % 10 == 0 ? 70000 + rng() % 100000 : 1 + rng() % 900;
            for (int k = 0, n = 1 + static_cast<int>(rng() % 8); k < n; ++k) ASSERT_NE(mpool_alloc(pool, size), nullptr);
        } else if (op < 80) {
            what = "clear";
            mpool_t *victim = children[rng() % children.size()];
            drop_descendants(victim, false);
            mpool_clear(victim);
        } else if (op < 83) {
            what = "cleanup";
            ASSERT_EQ(mpool_cleanup_register(children[rng() % children.size()], nullptr, nothing), 0);
        } else if (op < 86) {
            what = "max_free";
            mpool_allocator_set_max_free(allocator, max_frees[rng() % std::size(max_frees)]);
        } else if (op < 89) {
            what = "trim";
            mpool_allocator_trim(allocator, rng() % 2 ? 0 : rng() % 200000);
        } else if (op < 92) {
            what = "decay";
            mpool_allocator_set_decay(allocator, rng() % 2 ? 0 : 50);
        } else if (op < 95) {
            what = "clock";
            g_now_ms += rng() % 40;
        } else if (op < 98) {
            what = "mark";
            mpool_mark(root, &mark);
            marked = true;
        } else if (marked) {
            what = "rewind";
            if (mpool_rewind(root, &mark) == 0) { // children of root made since are gone, with their subtrees
                std::vector<mpool_t *> alive;
                mpool_walk(root, [](const mpool_t *p, unsigned, const mpool_stats_t *, void *ctx) {
                    static_cast<std::vector<mpool_t *> *>(ctx)->push_back(const_cast<mpool_t *>(p));
                    return 0;
                }, &alive);
                alive.erase(alive.begin()); // root
                children.swap(alive);
            }
            marked = false;
        }
        check_ledger(what, step);
        if (step % 97 == 0) mpool_allocator_trim(allocator, SIZE_MAX); // validates the lists and the grant
    }
    std::vector<mpool_t *> top;
    for (mpool_t *c : children)
        if (mpool_parent(c) == root) top.push_back(c);
    for (mpool_t *c : top) mpool_destroy(c);
    check_ledger("the end", -1);
}

// A queue of pools handed from one thread to another.
class Handoff {
public:
    void put(mpool_t *pool) {
        std::lock_guard guard(lock_);
        pools_.push_back(pool);
        ready_.notify_one();
    }
    mpool_t *take() { // NULL once closed and empty
        std::unique_lock guard(lock_);
        ready_.wait(guard, [&] { return !pools_.empty() || closed_; });
        if (pools_.empty()) return nullptr;
        mpool_t *pool = pools_.front();
        pools_.pop_front();
        return pool;
    }
    void close() {
        std::lock_guard guard(lock_);
        closed_ = true;
        ready_.notify_all();
    }

private:
    std::mutex lock_;
    std::condition_variable ready_;
    std::deque<mpool_t *> pools_;
    bool closed_ = false;
};

// Guards cross-thread destroys on the short path: the thread that makes the
// parent's children (own list, short create) hands every other child to a
// second thread, which destroys it (short destroy of a child on the own
// list, from a thread that did not make it) while the first keeps making
// and destroying; halfway, a third thread starts making children of the
// same parent (the parent gets lanes: the own list's remaining children are
// still destroyed on the short path, new ones go on lanes). Run it under
// TSan. Afterwards every block is in a pool or idle.
TEST_F(ShortPathGuards, OwnListChildrenDestroyedByAnotherThreadWhileLanesStart) {
    SKIP_UNDER_MEMCHECK();
    mpool_t *parent = root;
    Handoff handoff;
    std::atomic<bool> lanes_go{false};
    constexpr int kRounds = 20000;
    std::thread maker([&] {
        std::vector<mpool_t *> mine;
        for (int i = 0; i < kRounds; ++i) {
            mpool_t *child = mpool_create(parent);
            ASSERT_NE(child, nullptr);
            std::memset(mpool_alloc(child, 100 + static_cast<size_t>(i % 7) * 300), 0x5a, 100);
            if (i % 2)
                handoff.put(child);
            else
                mine.push_back(child);
            if (mine.size() > 8) {
                mpool_destroy(mine.front());
                mine.erase(mine.begin());
            }
            if (i == kRounds / 2) lanes_go = true;
        }
        for (mpool_t *child : mine) mpool_destroy(child);
        handoff.close();
    });
    std::thread destroyer([&] {
        while (mpool_t *child = handoff.take()) mpool_destroy(child);
    });
    std::thread laner([&] {
        while (!lanes_go) std::this_thread::yield();
        for (int i = 0; i < kRounds / 4; ++i) mpool_destroy(mpool_create(parent));
    });
    maker.join();
    destroyer.join();
    laner.join();
    EXPECT_EQ(stats_of(parent).children, 0u);
    check_ledger("the threads", 0);
}

// Guards the parent's teardown against a child destroyed on the short path
// from one of its cleanups: the walk looks for the newest child afresh.
TEST_F(ShortPathGuards, AChildDestroyedByACleanupOfItsParentsTeardownIsNotVisitedAgain) {
    mpool_destroy(mpool_create(root)); // the list of the smallest blocks has one: the short path applies
    mpool_t *parent = mpool_create(root);
    mpool_destroy(mpool_create(parent));
    struct Ctx {
        mpool_t *victims[3];
    } ctx{};
    for (mpool_t *&v : ctx.victims) v = mpool_create(parent);
    // A pre-cleanup (runs before the children) destroys the oldest and the
    // newest child; a cleanup of the middle child (runs in the walk) makes
    // and destroys a sibling.
    ASSERT_EQ(mpool_pre_cleanup_register(parent, &ctx,
                                         [](void *p) {
                                             auto *c = static_cast<Ctx *>(p);
                                             mpool_destroy(c->victims[0]);
                                             mpool_destroy(c->victims[2]);
                                         }),
              0);
    ASSERT_EQ(mpool_cleanup_register(ctx.victims[1], parent,
                                     [](void *p) {
                                         auto *par = static_cast<mpool_t *>(p);
                                         mpool_destroy(mpool_create(par));
                                         mpool_create(par); // left for the next round
                                     }),
              0);
    mpool_destroy(parent);
    EXPECT_EQ(stats_of(root).children, 0u);
}

// Guards marks: children made on the short path since a mark are destroyed
// by the rewind, those from before stay, whichever path destroyed others
// meanwhile.
TEST_F(ShortPathGuards, RewindDestroysTheShortPathChildrenMadeSinceTheMark) {
    for (int i = 0; i < 4; ++i) mpool_destroy(mpool_create(root));
    mpool_t *before = mpool_create(root);
    mpool_t *gone_before = mpool_create(root);
    mpool_mark_t mark;
    mpool_mark(root, &mark);
    mpool_destroy(gone_before);        // short destroy of a child from before the mark
    mpool_t *after1 = mpool_create(root); // short create, at gone_before's address
    EXPECT_EQ(after1, gone_before);
    mpool_t *after2 = mpool_create(root);
    mpool_destroy(after2);
    mpool_t *after3 = mpool_create(root);
    (void)after3;
    EXPECT_EQ(stats_of(root).children, 3u);
    ASSERT_EQ(mpool_rewind(root, &mark), 0);
    EXPECT_EQ(stats_of(root).children, 1u);
    EXPECT_EQ(mpool_parent(before), root);
}

// Guards reparenting in both directions: a short-path child moved under a
// parent on another allocator, or onto a lane, is destroyed by the general
// path (with the right lock); one moved back is destroyed on the short path.
TEST(ShortPathReparent, ReparentedShortPathChildrenAreDestroyedCorrectly) {
    TestSource source_a, source_b;
    mpool_allocator_t *a = source_a.make_allocator();
    mpool_allocator_t *b = source_b.make_allocator();
    mpool_t *root_a = root_on(a);
    mpool_t *root_b = root_on(b);
    mpool_destroy(mpool_create(root_a));
    mpool_t *child = mpool_create(root_a); // short path
    std::memset(mpool_alloc(child, 3000), 1, 3000);
    ASSERT_EQ(mpool_reparent(child, root_b), 0);
    EXPECT_EQ(stats_of(root_a).children, 0u);
    EXPECT_EQ(stats_of(root_b).children, 1u);
    size_t idle_a = mpool_allocator_idle_bytes(a);
    mpool_destroy(child); // its blocks go to a, its unlink is under b's lock
    EXPECT_EQ(stats_of(root_b).children, 0u);
    EXPECT_GT(mpool_allocator_idle_bytes(a), idle_a);
    // Onto a lane: another thread's child of root_a, reparented by that thread.
    mpool_t *moved = mpool_create(root_a);
    std::thread([&] {
        mpool_destroy(mpool_create(root_a)); // root_a has lanes now
        mpool_t *other_parent = mpool_create(root_a);
        ASSERT_EQ(mpool_reparent(moved, other_parent), 0); // other_parent's own list, made by this thread
        mpool_destroy(other_parent);
    }).join();
    EXPECT_EQ(stats_of(root_a).children, 0u);
    mpool_destroy(root_a);
    mpool_destroy(root_b);
    mpool_allocator_destroy(a);
    mpool_allocator_destroy(b);
    EXPECT_EQ(source_a.live_blocks, 0u);
    EXPECT_EQ(source_b.live_blocks, 0u);
}

// Guards the lists' grant under threads: short creates and destroys on the
// own list, lane children of a second thread (their caches ask for grant
// with an atomic, outside the allocator's lock), and a third thread that
// trims, changes max_free and switches decay on and off meanwhile. Each
// trim runs allocator_validate_locked() in debug builds; at the end every
// block is in a pool or idle, within max_free.
TEST_F(ShortPathGuards, GrantStaysWithinMaxFreeWhileTrimMaxFreeAndDecayChange) {
    SKIP_UNDER_MEMCHECK();
    mpool_t *parent = root;
    std::atomic<bool> stop{false};
    std::atomic<size_t> operations{0};
    auto worker = [&](unsigned seed) {
        std::mt19937 rng(seed);
        std::vector<mpool_t *> live;
        while (!stop.load(std::memory_order_relaxed)) {
            if (live.size() < 16 && rng() % 2) {
                mpool_t *child = mpool_create(parent);
                if (!child) continue;
                size_t n = rng() % 4;
                for (size_t k = 0; k < n; ++k) std::memset(mpool_alloc(child, 200 + rng() % 3000), 1, 200);
                live.push_back(child);
            } else if (!live.empty()) {
                size_t i = rng() % live.size();
                mpool_destroy(live[i]);
                live.erase(live.begin() + static_cast<long>(i));
            }
            operations.fetch_add(1, std::memory_order_relaxed);
        }
        for (mpool_t *child : live) mpool_destroy(child);
    };
    std::atomic<bool> own_list_taken{false};
    std::thread own([&] { // the first to make children: the own list
        mpool_destroy(mpool_create(parent));
        own_list_taken = true;
        worker(1);
    });
    while (!own_list_taken) std::this_thread::yield(); // (mpool_get_stats would race with the creates)
    std::thread lane([&] { worker(2); });
    std::thread knobs([&] {
        std::mt19937 rng(3);
        const size_t max_frees[] = {0, 1000, 70000, 140000, 300000, size_t{4} << 20};
        for (int i = 0; i < 3000 || operations.load() < 200000; ++i) {
            if (i % 8 == 0) std::this_thread::yield();
            switch (rng() % 4) {
            case 0: mpool_allocator_trim(allocator, rng() % 2 ? SIZE_MAX : rng() % 100000); break;
            case 1: mpool_allocator_set_max_free(allocator, max_frees[rng() % std::size(max_frees)]); break;
            case 2: mpool_allocator_set_decay(allocator, rng() % 2 ? 0 : 1); break;
            default: EXPECT_LE(mpool_allocator_idle_bytes(allocator), size_t{4} << 20); break;
            }
        }
        stop = true;
    });
    knobs.join();
    own.join();
    lane.join();
    mpool_allocator_set_decay(allocator, 0);
    EXPECT_GE(operations.load(), 200000u);
    EXPECT_EQ(stats_of(parent).children, 0u);
    check_ledger("the threads", 0);
    mpool_allocator_trim(allocator, SIZE_MAX);
}

} // namespace
