// mpool.hpp compiled with -fno-exceptions (as C++17 and as C++20): a failure
// returns null or an empty result after the pool's out-of-memory handler,
// as in C, and a child or root that cannot be made gives an empty Pool.
// Two failures end the program instead, each checked in a child process:
// Allocator<T>::allocate aborts (a container cannot take null) and
// resource()'s allocation throws from the library (std::terminate).
// Exits non-zero when a check fails.
#if defined(__cpp_exceptions)
#error "this test must be compiled with -fno-exceptions, or it tests nothing"
#endif

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "mpool/mpool.hpp"

#include "mode_check.h"

namespace {

constexpr std::size_t kLimit = 64 * 1024;
constexpr std::size_t kTooBig = 1 << 20;

int oom_calls = 0;
std::size_t oom_size = 0;
int oom_pipe = -1; // in a child process: where the handler reports that it ran
void on_oom(mpool_t *, std::size_t size) {
    ++oom_calls;
    oom_size = size;
    if (oom_pipe >= 0 && write(oom_pipe, "h", 1) != 1) _exit(2);
}

// A root pool that cannot hold kTooBig bytes.
mpool::Pool limited() {
    mpool::Options options{};
    options.limit = kLimit;
    options.oom = on_oom;
    return mpool::Pool(options);
}

struct Big {
    char bytes[kTooBig];
};

struct Counted {
    static inline int alive = 0;
    Counted() { ++alive; }
    ~Counted() { --alive; }
};

// Each failing call returns its failure value, with errno ENOMEM and the
// handler called once.
#define CHECK_FAILS(expr)                                                                                              \
    do {                                                                                                               \
        int calls_before = oom_calls;                                                                                  \
        errno = 0;                                                                                                     \
        CHECK(expr);                                                                                                   \
        CHECK(errno == ENOMEM);                                                                                        \
        CHECK(oom_calls == calls_before + 1);                                                                          \
    } while (0)

void allocation_failures_return_null() {
    mpool::Pool pool = limited();
    CHECK(pool);
    CHECK_FAILS(pool.allocate(kTooBig) == nullptr);
    CHECK_FAILS(pool.make<Big>() == nullptr);
    CHECK_FAILS(pool.make_array<int>(kTooBig).data() == nullptr);
    CHECK_FAILS(pool.make_array<Counted>(kTooBig).empty());
    CHECK_FAILS(pool.make_array<long>(SIZE_MAX / 4).data() == nullptr && oom_size == SIZE_MAX);
    std::string big(kTooBig, 'x');
    CHECK_FAILS(pool.strdup(std::string_view(big)).data() == nullptr);
    CHECK_FAILS(pool.strdup(big.c_str()) == nullptr);
    CHECK_FAILS(pool.printf("%s", big.c_str()) == nullptr);
    CHECK_FAILS(pool.strcat(big, "tail").data() == nullptr);
    std::vector<char> capture(kTooBig);
    CHECK_FAILS(!pool.on_cleanup([bytes = *reinterpret_cast<Big *>(capture.data())] { (void)bytes; }));
    CHECK(pool.stats().cleanups == 0);
    errno = 0;
    CHECK(pool.strdup(static_cast<const char *>(nullptr)) == nullptr && errno == EINVAL);
    // The pool is still usable.
    CHECK(pool.make<Counted>() != nullptr && Counted::alive == 1);
    CHECK(pool.make_array<int>(10).size() == 10);
}

void creation_failures_give_empty_pools() {
    mpool::Options tiny{};
    tiny.limit = 10;
    mpool::Pool root(tiny);
    CHECK(!root);
    mpool::Pool concurrent = mpool::Pool::concurrent(tiny);
    CHECK(!concurrent);
    mpool::Pool parent = limited();
    mpool::Pool child = parent.child(&tiny);
    CHECK(!child);
    mpool::Pool fine = parent.child();
    CHECK(fine);
}

void successes_work() {
    mpool::Pool pool = limited();
    {
        std::vector<int, mpool::Allocator<int>> numbers(pool.allocator<int>());
        for (int i = 0; i < 1000; ++i) numbers.push_back(i);
        CHECK(numbers[999] == 999);
        std::pmr::vector<std::pmr::string> strings(pool.resource());
        strings.emplace_back("a string long enough to need memory of its own");
        CHECK(strings[0].get_allocator().resource() == pool.resource());
    } // containers go before their pool is cleared
    mpool::Pool child = pool.child();
    pool.clear();
    CHECK(!child);
}

// Runs `fails` in a child process: true when the child ran the handler and
// then died of SIGABRT (std::abort, or std::terminate's).
bool ends_in_abort_after_the_handler(void (*fails)()) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        oom_pipe = fds[1];
        fails();
        _exit(0); // returned: the check fails
    }
    close(fds[1]);
    char report = 0;
    bool handler_ran = read(fds[0], &report, 1) == 1;
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
    return handler_ran && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

void containers_cannot_take_null() {
    std::fputs("(two child processes end with an abort now: expected)\n", stderr);
    CHECK(ends_in_abort_after_the_handler([] {
        mpool::Pool pool = limited();
        std::vector<char, mpool::Allocator<char>> v(pool.allocator<char>());
        v.reserve(kTooBig);
    }));
    CHECK(ends_in_abort_after_the_handler([] {
        mpool::Pool pool = limited();
        std::pmr::vector<char> v(pool.resource());
        v.reserve(kTooBig);
    }));
}

} // namespace

int main() {
    allocation_failures_return_null();
    creation_failures_give_empty_pools();
    successes_work();
    containers_cannot_take_null();
    if (failures) return 1;
    std::printf("mpool.hpp with -fno-exceptions (C++%ld): all checks passed\n", __cplusplus / 100 % 100);
    return 0;
}
