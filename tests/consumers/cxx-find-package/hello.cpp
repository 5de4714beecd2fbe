// The C++ consumer: Pool, child(), make<T>, allocate, strdup, on_cleanup.
// Prints one line ending in "ok" and exits 0 when all of it held.
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include <mpool/mpool.hpp>

namespace {

struct Session {
    Session(std::string user, int *destroyed) : user(std::move(user)), destroyed(destroyed) {}
    ~Session() { ++*destroyed; }
    std::string user; // not trivially destructible: make<> registers ~Session
    int *destroyed;
};

} // namespace

int main() {
    int sessions_destroyed = 0, cleanups = 0;
    bool held = false;
    {
        mpool::Pool server;
        mpool::Pool request = server.child();
        Session *session = request.make<Session>("ada", &sessions_destroyed);
        auto *numbers = static_cast<int *>(request.allocate(10 * sizeof(int)));
        for (int i = 0; i < 10; ++i) numbers[i] = i;
        char *copy = request.strdup(session->user.c_str());
        request.on_cleanup([&cleanups] { ++cleanups; });
        held = numbers[9] == 9 && std::strcmp(copy, "ada") == 0;
    } // request, then server: ~Session and the cleanup run
    bool ok = held && sessions_destroyed == 1 && cleanups == 1;
    std::printf("mpool %s from C++%ld: sessions destroyed %d, cleanups %d: %s\n", mpool_version(),
                static_cast<long>(__cplusplus) / 100 % 100, sessions_destroyed, cleanups, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
