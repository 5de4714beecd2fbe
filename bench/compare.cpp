// compare.cpp - mpool against the pools a user would otherwise pick, on the
// same workloads, in one process run so that the ratios hold on a noisy
// machine. Prints a table per workload (median of several runs, ratio to
// mpool) and writes an SVG bar chart of the ratios.
//
//   mpool_compare [--quick] [--no-count] [--runs N] [--peer NAME] [--workload NAME] [--svg PATH]
//
// --quick is a smoke run of a few seconds (3 runs, each workload 4 to 12
// times smaller): its figures are indicative only. Tables are printed as
// they are measured, line by line, also into a pipe.
//
// Beside the times of the single-threaded tables: instructions per request,
// cycle, allocation or call, counted by callgrind when valgrind is on PATH
// (this program run again under it with --count; about 45 seconds in all),
// except in a quick run or with --no-count. Unlike times, they are exact and
// repeatable on a shared machine.
//
// Workloads (every allocated byte range is written):
//   request    a long-lived parent; per request a child pool, 64 allocations
//              of 16..512 bytes and 8 copies of a 32-byte string, then
//              destroy. ns per request.
//   create + destroy  a child of a long-lived parent created and destroyed
//              with nothing in it. ns per cycle.
//   bulk       one pool, 1M allocations of 8..128 bytes, then clear;
//              repeated. ns per allocation.
//   footprint  100,000 live child pools, each holding one 32-byte
//              allocation: resident bytes per pool (growth of the resident
//              set in /proc/self/statm), each run of each peer in a fresh
//              process (this program run again with --footprint); two
//              tables, one with transparent huge pages as the machine has
//              them and one with them off for the process.
//   strings    printf-style formatting of a short string (about 40 bytes:
//              "%s:%d/%s?%08x") and of a 100 KB one,
//              and concatenation of 5 parts. ns per call.
// The floor is a bare bump pointer over one preallocated buffer.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <atomic>
#include <climits>
#include <fcntl.h>
#include <malloc.h>
#include <map>
#include <new>
#include <string>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "peers.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Keeps the compiler from dropping writes to memory it thinks nobody reads.
inline void escape(void *p) { asm volatile("" : : "g"(p) : "memory"); }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Deterministic sizes in [lo, hi].
std::vector<size_t> make_sizes(size_t count, size_t lo, size_t hi, uint64_t seed) {
    std::vector<size_t> sizes(count);
    for (size_t &s : sizes) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        s = lo + seed % (hi - lo + 1);
    }
    return sizes;
}

const std::vector<size_t> &request_sizes() {
    static const std::vector<size_t> sizes = make_sizes(64 * 61, 16, 512, 0x9e3779b97f4a7c15u);
    return sizes;
}

const std::vector<size_t> &bulk_sizes() {
    static const std::vector<size_t> sizes = make_sizes(4096, 8, 128, 0x2545f4914f6cdd1du);
    return sizes;
}

// The 32-byte string each request copies, as run-time data (as a header
// value read from a socket would be), so that no peer's copy can be folded
// at compile time.
const char *string32() {
    static char text[32];
    std::memcpy(text, "0123456789abcdef0123456789abcde", 32); // 31 characters + NUL
    escape(text);
    return text;
}

// How much each workload does. --quick shrinks every workload, so that the
// slowest peers keep the whole run to seconds: the seed's mutex pool scans
// every block on each allocation, about 1 us each at 1M allocations (so the
// smaller quick pool flatters it).
struct Settings {
    bool quick = false;
    std::string only_peer;     // --peer NAME: measure just this peer
    std::string only_workload; // --workload NAME: just this workload
    int runs = 5;
    std::string svg_path = "mpool_bench.svg";
    bool count = true; // count instructions with callgrind beside the times (--no-count: not)
    long counted = 0;  // in a --count process: the iterations of the measured loop (0: a timed run's own)
    // The iterations of a measured loop: a timed run's `timed`, or those of
    // a --count process. Warm-ups do not change with it.
    long measured(long timed) const { return counted ? counted : timed; }
    int requests() const { return quick ? 20000 : 200000; }
    size_t bulk_allocations() const { return quick ? size_t{1} << 18 : size_t{1} << 20; }
    int bulk_rounds() const { return quick ? 1 : 3; }
    size_t shared_allocations() const { return quick ? size_t{1} << 18 : size_t{1} << 20; }
    size_t footprint_pools() const { return quick ? 10000 : 100000; }
    int short_strings() const { return quick ? 50000 : 400000; }
    int big_strings() const { return quick ? 100 : 500; }
};

// ---------------------------------------------------------------- workloads

template <class P> double request_ns(const Settings &settings) {
    typename P::Parent parent;
    const std::vector<size_t> &sizes = request_sizes();
    const char *text = string32();
    auto one_request = [&](int r) {
        typename P::Child child(parent);
        const size_t *mine = &sizes[static_cast<size_t>(r % 61) * 64];
        for (int i = 0; i < 64; ++i) {
            void *p = child.alloc(mine[i]);
            std::memset(p, r, mine[i]);
            escape(p);
        }
        for (int i = 0; i < 8; ++i) escape(child.strdup(text));
    };
    for (int r = 0; r < settings.requests() / 10; ++r) one_request(r);
    const long requests = settings.measured(settings.requests());
    Clock::time_point start = Clock::now();
    for (long r = 0; r < requests; ++r) one_request(static_cast<int>(r));
    return seconds_since(start) * 1e9 / static_cast<double>(requests);
}

// A child of a long-lived parent created and destroyed with nothing in it:
// what a pool per request costs before the request does anything.
template <class P> double create_destroy_ns(const Settings &settings) {
    typename P::Parent parent;
    for (int r = 0; r < settings.requests(); ++r) {
        typename P::Child child(parent);
        escape(&child);
    }
    const long cycles = settings.measured(settings.requests() * 10L);
    Clock::time_point start = Clock::now();
    for (long r = 0; r < cycles; ++r) {
        typename P::Child child(parent);
        escape(&child);
    }
    return seconds_since(start) * 1e9 / static_cast<double>(cycles);
}

// The request workload in `threads` threads at once, all creating children
// of one shared parent. Aggregate ns per request: wall time / all requests.
template <class P> double request_threads_ns(const Settings &settings, int threads) {
    typename P::Parent parent;
    const std::vector<size_t> &sizes = request_sizes();
    const char *text = string32();
    int per_thread = settings.requests() / threads;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    auto worker = [&](int id) {
        auto one_request = [&](int r) {
            typename P::Child child(parent);
            const size_t *mine = &sizes[static_cast<size_t>((r + id) % 61) * 64];
            for (int i = 0; i < 64; ++i) {
                void *p = child.alloc(mine[i]);
                std::memset(p, r, mine[i]);
                escape(p);
            }
            for (int i = 0; i < 8; ++i) escape(child.strdup(text));
        };
        for (int r = 0; r < per_thread / 10; ++r) one_request(r);
        ready.fetch_add(1);
        while (!go.load()) std::this_thread::yield();
        for (int r = 0; r < per_thread; ++r) one_request(r);
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
    while (ready.load() < threads) std::this_thread::yield();
    Clock::time_point start = Clock::now();
    go.store(true);
    for (std::thread &t : pool) t.join();
    return seconds_since(start) * 1e9 / (static_cast<double>(per_thread) * threads);
}

// 1M allocations of 8..128 bytes split across `threads` threads, all into
// one shared pool, after a first round and a clear (so that each peer runs
// on the memory its clear kept). Aggregate ns per allocation.
template <class P> double shared_ns(const Settings &settings, int threads) {
    typename P::Shared shared;
    const std::vector<size_t> &sizes = bulk_sizes();
    size_t per_thread = settings.shared_allocations() / static_cast<size_t>(threads);
    auto round = [&] {
        std::atomic<int> ready{0};
        std::atomic<bool> go{false};
        auto worker = [&](size_t first) {
            ready.fetch_add(1);
            while (!go.load()) std::this_thread::yield();
            for (size_t i = first; i < first + per_thread; ++i) {
                size_t n = sizes[i & 4095];
                void *p = shared.alloc(n);
                std::memset(p, static_cast<int>(i), n);
                escape(p);
            }
        };
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) pool.emplace_back(worker, static_cast<size_t>(t) * per_thread);
        while (ready.load() < threads) std::this_thread::yield();
        Clock::time_point start = Clock::now();
        go.store(true);
        for (std::thread &t : pool) t.join();
        return seconds_since(start);
    };
    round();
    shared.clear();
    double seconds = round();
    return seconds * 1e9 / static_cast<double>(per_thread * static_cast<size_t>(threads));
}

template <class P> double bulk_ns(const Settings &settings) {
    typename P::Bulk bulk;
    const std::vector<size_t> &sizes = bulk_sizes();
    auto one_round = [&](size_t allocations) {
        for (size_t i = 0; i < allocations; ++i) {
            size_t n = sizes[i & 4095];
            void *p = bulk.alloc(n);
            std::memset(p, static_cast<int>(i), n);
            escape(p);
        }
        bulk.clear();
    };
    one_round(settings.bulk_allocations());
    // A --count process makes one round of its iterations, fewer than the
    // warm-up's: on the memory the warm-up's clear kept, as every timed round.
    const size_t allocations = static_cast<size_t>(settings.measured(static_cast<long>(settings.bulk_allocations())));
    const int rounds = settings.counted ? 1 : settings.bulk_rounds();
    Clock::time_point start = Clock::now();
    for (int round = 0; round < rounds; ++round) one_round(allocations);
    return seconds_since(start) * 1e9 / (static_cast<double>(allocations) * rounds);
}

template <class P> double printf_short_ns(const Settings &settings) {
    typename P::Bulk bulk;
    const long calls = settings.measured(settings.short_strings());
    Clock::time_point start = Clock::now();
    for (int i = 0; i < calls; ++i) {
        escape(bulk.printf("%s:%d/%s?%08x", "api.example.org", i, "books/all", static_cast<unsigned>(i) * 2654435761u));
        if (i % 10000 == 9999) bulk.clear();
    }
    return seconds_since(start) * 1e9 / static_cast<double>(calls);
}

template <class P> double printf_big_ns(const Settings &settings) {
    static const std::string big(100 * 1024, 'x');
    typename P::Bulk bulk;
    const long calls = settings.measured(settings.big_strings());
    Clock::time_point start = Clock::now();
    for (int i = 0; i < calls; ++i) {
        escape(bulk.printf("%s", big.c_str()));
        if (i % 10 == 9) bulk.clear();
    }
    return seconds_since(start) * 1e9 / static_cast<double>(calls);
}

template <class P> double strcat_ns(const Settings &settings) {
    typename P::Bulk bulk;
    const long calls = settings.measured(settings.short_strings());
    Clock::time_point start = Clock::now();
    for (int i = 0; i < calls; ++i) {
        escape(bulk.strcat5("GET ", "/index.html", " HTTP/1.1", "\r\n", "Host: example"));
        if (i % 10000 == 9999) bulk.clear();
    }
    return seconds_since(start) * 1e9 / static_cast<double>(calls);
}

// ---------------------------------------------------------------- footprint

// Reads a small /proc file into `buffer`, NUL-terminated, without touching
// the heap, so that taking a reading does not change what it reads.
void read_small_file(const char *path, char *buffer, size_t size) {
    ssize_t n = -1;
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        n = read(fd, buffer, size - 1);
        close(fd);
    }
    buffer[n > 0 ? n : 0] = '\0';
}

// The process's anonymous resident memory. The resident set counts file
// pages too: the code of a peer's library, and of the reading itself, faulted
// in as it first runs (some 300 KiB for the first reading: 3 bytes per pool
// at 100,000 pools, 30 at 10,000), which is not memory per pool.
struct Resident {
    double bytes;      // resident minus shared (file-backed) pages, /proc/self/statm's 2nd and 3rd fields
    double huge_bytes; // of which anonymous transparent huge pages (AnonHugePages in /proc/self/smaps_rollup)
};

Resident resident_now() {
    char text[4096];
    read_small_file("/proc/self/statm", text, sizeof text);
    unsigned long total = 0, resident = 0, shared = 0;
    std::sscanf(text, "%lu %lu %lu", &total, &resident, &shared);
    Resident now{static_cast<double>(resident - shared) * static_cast<double>(sysconf(_SC_PAGESIZE)), 0};
    read_small_file("/proc/self/smaps_rollup", text, sizeof text);
    if (const char *field = std::strstr(text, "AnonHugePages:"))
        now.huge_bytes = std::strtod(field + std::strlen("AnonHugePages:"), nullptr) * 1024;
    return now;
}

struct Footprint {
    double bytes_per_pool; // resident growth per live child pool
    double huge_kib;       // growth of the huge pages within it, KiB in all (0 when none were used)
};

// Resident bytes per live child pool holding one 32-byte allocation. The
// handles' storage is touched before the first reading, so it is not counted,
// except for peers whose pool state lives in the handle itself.
template <class P> Footprint footprint_of(size_t pools) {
    using Child = typename P::Child;
    auto *storage = static_cast<unsigned char *>(::operator new(sizeof(Child) * pools));
    std::memset(storage, 0, sizeof(Child) * pools);
    typename P::Parent parent;
    Resident before = resident_now();
    for (size_t i = 0; i < pools; ++i) {
        Child *child = new (storage + i * sizeof(Child)) Child(parent);
        std::memset(child->alloc(32), 1, 32);
    }
    Resident after = resident_now();
    double per_pool = (after.bytes - before.bytes) / static_cast<double>(pools);
    if constexpr (P::state_in_handle) per_pool += sizeof(Child);
    // The process exits right after: the pools are left to it.
    return {per_pool, (after.huge_bytes - before.huge_bytes) / 1024};
}

// ---------------------------------------------------------------- the peers

struct PeerEntry {
    std::string name;
    std::function<double(const Settings &)> request, create_destroy, bulk, printf_short, printf_big, strcat;
    std::function<double(const Settings &)> request_1t, request_2t; // the threads table
    std::function<double(const Settings &)> shared_1t, shared_2t;
    std::function<Footprint(size_t pools)> footprint;
};

template <class P> void add_shared(PeerEntry &e) {
    if constexpr (P::has_shared) {
        e.shared_1t = [](const Settings &s) { return shared_ns<P>(s, 1); };
        e.shared_2t = [](const Settings &s) { return shared_ns<P>(s, 2); };
    }
}

template <class P, bool with_footprint = true> PeerEntry entry() {
    PeerEntry e;
    e.name = P::name;
    add_shared<P>(e);
    e.request = request_ns<P>;
    e.create_destroy = create_destroy_ns<P>;
    e.bulk = bulk_ns<P>;
    if constexpr (P::thread_safe_children) {
        e.request_1t = [](const Settings &s) { return request_threads_ns<P>(s, 1); };
        e.request_2t = [](const Settings &s) { return request_threads_ns<P>(s, 2); };
    }
    if constexpr (P::has_strings) {
        e.printf_short = printf_short_ns<P>;
        e.printf_big = printf_big_ns<P>;
        e.strcat = strcat_ns<P>;
    }
    if constexpr (with_footprint) e.footprint = footprint_of<P>;
    return e;
}

std::vector<PeerEntry> all_peers() {
    std::vector<PeerEntry> peers;
    peers.push_back(entry<bench::Mpool>());
    peers.push_back(entry<bench::Floor, false>());
    peers.push_back(entry<bench::Malloc, false>());
    {
        PeerEntry seed;
        seed.name = bench::Seed::name;
        add_shared<bench::Seed>(seed);
        peers.push_back(seed);
    }
    peers.push_back(entry<bench::Pmr>());
#ifdef MPOOL_BENCH_HAVE_APR
    peers.push_back(entry<bench::Apr>());
#endif
#ifdef MPOOL_BENCH_HAVE_TALLOC
    peers.push_back(entry<bench::Talloc>());
#endif
#ifdef MPOOL_BENCH_HAVE_PROTOBUF
    peers.push_back(entry<bench::ProtobufArena>());
#endif
#ifdef MPOOL_BENCH_HAVE_MIMALLOC
    peers.push_back(entry<bench::MimallocHeap>());
#endif
    return peers;
}

void note_missing_peers() {
#ifndef MPOOL_BENCH_HAVE_APR
    std::printf("note: APR skipped (libapr1-dev not found at configure time)\n");
#endif
#ifndef MPOOL_BENCH_HAVE_TALLOC
    std::printf("note: talloc skipped (libtalloc-dev not found at configure time)\n");
#endif
#ifndef MPOOL_BENCH_HAVE_PROTOBUF
    std::printf("note: protobuf Arena skipped (libprotobuf-dev not found at configure time)\n");
#endif
#ifndef MPOOL_BENCH_HAVE_MIMALLOC
    std::printf("note: mimalloc heaps skipped (libmimalloc-dev not found at configure time)\n");
#endif
}

// ---------------------------------------------------------------- the tables

// A table: its name (also --workload's), its unit, each peer's measurement,
// and N for the instruction count: callgrind counts N and 2N iterations of
// the measured loop (0: not counted; the threaded tables are not, one
// thread's instructions saying little about their contention). Each N is a
// whole number of the loop's cycles (61 size patterns per request, 4,096
// sizes in bulk, a clear every 10,000 short strings and every 10 big ones),
// and small enough that the slowest peer's two runs under callgrind (at
// once) take a second or two. The footprint tables have no `measure`: they are measured
// in fresh processes, in their place in the order.
struct Workload {
    const char *name;
    const char *unit;
    std::function<double(const Settings &)> PeerEntry::*measure;
    long count_n;
};

const std::vector<Workload> &workloads() {
    static const char *const threads_unit = "aggregate ns per request, children of one shared parent";
    static const char *const shared_unit = "aggregate ns per allocation into one pool";
    static const std::vector<Workload> list = {
        {"request", "ns per request", &PeerEntry::request, 61 * 40},
        {"create + destroy", "ns per empty child created and destroyed", &PeerEntry::create_destroy, 20000},
        {"bulk", "ns per allocation", &PeerEntry::bulk, 65536},
        {"footprint", "resident bytes per live child pool", nullptr, 0},
        {"request, 1 thread", threads_unit, &PeerEntry::request_1t, 0},
        {"request, 2 threads", threads_unit, &PeerEntry::request_2t, 0},
        {"shared pool, 1 thread", shared_unit, &PeerEntry::shared_1t, 0},
        {"shared pool, 2 threads", shared_unit, &PeerEntry::shared_2t, 0},
        {"printf short", "ns per call", &PeerEntry::printf_short, 10000},
        {"printf 100 KB", "ns per call", &PeerEntry::printf_big, 20},
        {"strcat 5 parts", "ns per call", &PeerEntry::strcat, 10000},
    };
    return list;
}

// ---------------------------------------------------------------- instruction counts

// This program's own path, for running it again in a fresh process.
std::string self_path() {
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return "mpool_compare";
    path[n] = '\0';
    return path;
}

// Reads callgrind's summary from a run that popen() started, and closes it:
// the instructions executed (its "I   refs:      2,001,924" line), or -1
// with `why` set to the program's own first line of output (valgrind's lines
// start with "=="), else to the exit status.
double callgrind_total(FILE *run, std::string &why) {
    if (!run) {
        why = "could not start valgrind";
        return -1;
    }
    double total = -1;
    std::string message;
    char line[1024];
    while (std::fgets(line, sizeof line, run)) {
        if (const char *refs = std::strstr(line, "I   refs:")) {
            total = 0;
            for (const char *c = refs + std::strlen("I   refs:"); *c && *c != '\n'; ++c)
                if (*c >= '0' && *c <= '9') total = total * 10 + (*c - '0'); // skips the thousands' commas
        } else if (message.empty() && std::strncmp(line, "==", 2) != 0) {
            message.assign(line, std::strcspn(line, "\n"));
        }
    }
    int status = pclose(run);
    if (status == 0 && total >= 0) return total;
    why = !message.empty() ? message : "valgrind exited with status " + std::to_string(status);
    return -1;
}

// Instructions per iteration of a workload's measured loop for one peer:
// this program run again with --count under callgrind for N and for 2N
// iterations (both at once, one per core), and the difference over the N
// extra ones, so that start-up, warm-up and exit cancel out (as
// count_instructions.sh does). -1 with `why` set when a run failed.
double instructions_per_iteration(const Workload &workload, const std::string &peer, std::string &why) {
    auto start = [&](long iterations) {
        std::string command = "valgrind --tool=callgrind --callgrind-out-file=/dev/null '" + self_path() +
                              "' --count '" + workload.name + "' '" + peer + "' " + std::to_string(iterations) +
                              " 2>&1 >/dev/null"; // valgrind's report and the program's errors, not its output
        return popen(command.c_str(), "r");
    };
    FILE *small = start(workload.count_n);
    FILE *big = start(2 * workload.count_n);
    double small_total = callgrind_total(small, why);
    double big_total = callgrind_total(big, why);
    if (small_total < 0 || big_total < 0) return -1;
    return (big_total - small_total) / static_cast<double>(workload.count_n);
}

// The process that callgrind counts:
//   mpool_compare --count WORKLOAD PEER N
// The workload's own code for the peer, its warm-up included, with N
// iterations in the measured loop, after the same mallopt() settings as the
// timed runs; so the peer is in the state a timed run measures. The warm-ups
// are the quick run's (a tenth of the requests, a quarter of the bulk
// allocations), which take a tenth of callgrind's time and reach the same
// steady state: the counts agree with the full warm-ups' to the instruction,
// but for talloc's bulk (538 against 555 per allocation, glibc's heap having
// freed 256K chunks rather than 1M). The time the loop takes is not printed.
int run_count(char **argv) {
    Settings settings;
    settings.quick = true;
    settings.counted = std::atol(argv[4]);
    for (const Workload &workload : workloads())
        if (workload.name == std::string(argv[2]) && workload.count_n > 0 && settings.counted > 0)
            for (const PeerEntry &peer : all_peers())
                if (peer.name == argv[3] && peer.*workload.measure) {
                    (peer.*workload.measure)(settings);
                    return 0;
                }
    std::fprintf(stderr, "--count: no counted workload '%s' for peer '%s' (or N is not positive)\n", argv[2], argv[3]);
    return 2;
}

// ---------------------------------------------------------------- measuring and reporting

struct Row {
    std::string peer;
    double value;
    std::string extra; // printed after the ratio, under the table's extra_heading
};

struct Table {
    std::string workload;
    std::string unit;
    std::vector<Row> rows;
    std::string extra_heading; // the heading of the rows' extra column; empty: none
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double mpool_value(const Table &table) {
    for (const Row &row : table.rows)
        if (row.peer == "mpool") return row.value;
    return 0;
}

// Ends a line with the extra column, if the table has one.
void print_extra(const std::string &extra) {
    if (extra.empty())
        std::printf("\n");
    else
        std::printf("   %s\n", extra.c_str());
}

void print_heading(const Table &table) {
    std::printf("\n%s (%s; median of runs; ratio = peer / mpool)\n", table.workload.c_str(), table.unit.c_str());
    std::printf("  %-16s %12s %8s", "peer", "value", "ratio");
    print_extra(table.extra_heading);
}

// mpool comes first in every table, so its value is known for the ratio.
void print_row(const Table &table, const Row &row) {
    double base = mpool_value(table);
    std::printf("  %-16s %12.2f %8.2f", row.peer.c_str(), row.value, base > 0 ? row.value / base : 0.0);
    print_extra(row.extra);
}

// Runs every peer's measurement `runs` times, interleaved, and keeps medians.
// A peer's row is printed as soon as its median is known, in the last run,
// with its instructions per iteration beside it when they are counted (the
// counting runs between two peers' timings, never during one).
Table measure(const Workload &workload, const std::vector<PeerEntry> &peers, const Settings &settings) {
    const bool counted = settings.count && workload.count_n > 0;
    Table table{workload.name, workload.unit, {}, counted ? "instructions" : ""};
    print_heading(table);
    std::map<std::string, std::vector<double>> samples;
    for (int run = 0; run < settings.runs; ++run)
        for (const PeerEntry &peer : peers) {
            if (!(peer.*workload.measure)) continue;
            samples[peer.name].push_back((peer.*workload.measure)(settings));
            if (run < settings.runs - 1) continue;
            Row row{peer.name, median(samples[peer.name]), ""};
            std::string why;
            if (counted) {
                double instructions = instructions_per_iteration(workload, peer.name, why);
                char text[32];
                if (instructions >= 0)
                    std::snprintf(text, sizeof text, "%12.1f", instructions);
                else
                    std::snprintf(text, sizeof text, "%12s", "n/a");
                row.extra = text;
            }
            table.rows.push_back(row);
            print_row(table, row);
            if (!why.empty()) std::printf("    (instructions not counted: %s)\n", why.c_str());
        }
    return table;
}

// The machine's transparent-huge-page mode, as /sys shows it between
// brackets ("always", "madvise" or "never"), or "unknown".
std::string machine_thp_mode() {
    std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string text;
    std::getline(file, text);
    size_t open = text.find('['), close = text.find(']');
    return open != std::string::npos && close > open ? text.substr(open + 1, close - open - 1) : "unknown";
}

// One footprint table: each peer measured `runs` times, interleaved, every
// time in a fresh process (this program run again with --footprint), with
// transparent huge pages as the machine has them or turned off. Beside the
// median: the smallest and largest figure, and the most huge pages any run
// grew by (a huge page is 2 MiB resident at once, however little of it is
// used: up to 21 bytes per pool at 100,000 pools, on whichever peer it falls).
Table measure_footprint(const std::vector<PeerEntry> &peers, const Settings &settings, bool thp_off) {
    std::string workload = thp_off ? "footprint, THP off (PR_SET_THP_DISABLE)"
                                   : "footprint, THP as the machine has it (" + machine_thp_mode() + ")";
    Table table{workload, "resident bytes per live child pool, each run a fresh process", {},
                "min..max of runs     huge pages (most)"};
    print_heading(table);
    std::map<std::string, std::vector<Footprint>> samples;
    for (int run = 0; run < settings.runs; ++run)
        for (const PeerEntry &peer : peers) {
            if (!peer.footprint) continue;
            std::string command = "'" + self_path() + "' --footprint '" + peer.name + "' " +
                                  std::to_string(settings.footprint_pools()) + (thp_off ? " off" : " machine");
            Footprint sample{-1, 0};
            if (FILE *child = popen(command.c_str(), "r")) {
                if (std::fscanf(child, "%lf %lf", &sample.bytes_per_pool, &sample.huge_kib) != 2)
                    sample.bytes_per_pool = -1;
                pclose(child);
            }
            if (sample.bytes_per_pool >= 0)
                samples[peer.name].push_back(sample);
            else
                std::printf("  %-16s failed: %s\n", peer.name.c_str(), command.c_str());
            if (run < settings.runs - 1 || samples[peer.name].empty()) continue;
            std::vector<double> bytes;
            double most_huge = 0;
            for (const Footprint &f : samples[peer.name]) {
                bytes.push_back(f.bytes_per_pool);
                most_huge = std::max(most_huge, f.huge_kib);
            }
            char spread[64], extra[96];
            std::snprintf(spread, sizeof spread, "%.1f..%.1f", *std::min_element(bytes.begin(), bytes.end()),
                          *std::max_element(bytes.begin(), bytes.end()));
            std::snprintf(extra, sizeof extra, "%-20s %8.0f KiB", spread, most_huge);
            table.rows.push_back({peer.name, median(bytes), extra});
            print_row(table, table.rows.back());
        }
    return table;
}

// Horizontal bars of each peer's ratio to mpool, one group per workload.
void write_svg(const std::vector<Table> &tables, const std::string &path) {
    const double bar_height = 16, gap = 4, label_width = 150, chart_width = 520, max_ratio = 8;
    double height = 40;
    for (const Table &table : tables) height += 28 + static_cast<double>(table.rows.size()) * (bar_height + gap);
    std::FILE *out = std::fopen(path.c_str(), "w");
    if (!out) {
        std::printf("could not write %s\n", path.c_str());
        return;
    }
    std::fprintf(out,
                 "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' font-family='sans-serif' "
                 "font-size='12'>\n<rect width='100%%' height='100%%' fill='white'/>\n"
                 "<text x='10' y='20' font-size='14'>Time or bytes relative to mpool (mpool = 1, shorter is "
                 "better; bars cut at %.0fx)</text>\n",
                 label_width + chart_width + 80, height, max_ratio);
    double y = 40;
    for (const Table &table : tables) {
        double base = mpool_value(table);
        std::fprintf(out, "<text x='10' y='%.0f' font-weight='bold'>%s</text>\n", y + 14, table.workload.c_str());
        y += 22;
        for (const Row &row : table.rows) {
            double ratio = base > 0 ? row.value / base : 0;
            double width = std::min(ratio, max_ratio) / max_ratio * chart_width;
            const char *color = row.peer == "mpool" ? "#2b7bb9" : row.peer == "floor" ? "#999999" : "#e08a3c";
            std::fprintf(out, "<text x='20' y='%.0f'>%s</text>\n", y + 12, row.peer.c_str());
            std::fprintf(out, "<rect x='%.0f' y='%.0f' width='%.1f' height='%.0f' fill='%s'/>\n", label_width, y,
                         width, bar_height, color);
            std::fprintf(out, "<text x='%.0f' y='%.0f'>%.2f</text>\n", label_width + width + 4, y + 12, ratio);
            y += bar_height + gap;
        }
        y += 6;
    }
    std::fprintf(out, "</svg>\n");
    std::fclose(out);
    std::printf("\nwrote %s\n", path.c_str());
}

// Bytes reserved per byte requested, for mpool, on a pool filled with sizes
// drawn from [lo, hi].
double mpool_waste(size_t lo, size_t hi) {
    mpool_t *pool = mpool_create(nullptr);
    std::vector<size_t> sizes = make_sizes(200000, lo, hi, 42);
    size_t requested = 0;
    for (size_t n : sizes) {
        mpool_alloc(pool, n);
        requested += n;
    }
    mpool_stats_t stats;
    mpool_get_stats(pool, 0, &stats);
    mpool_destroy(pool);
    return static_cast<double>(stats.bytes_reserved) / static_cast<double>(requested);
}

// The fresh process of one footprint figure:
//   mpool_compare --footprint PEER POOLS THP
// With THP "off", transparent huge pages are turned off for this process
// before main allocates anything (what the loader and the C++ runtime touched
// earlier is resident before the first reading, so it is not counted either
// way); "machine" leaves the machine's setting. Prints the resident bytes per
// pool and the huge pages' growth in KiB. The benchmark's mallopt() settings
// are not applied here.
int run_footprint(char **argv) {
    if (std::strcmp(argv[4], "off") == 0) prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    size_t pools = std::strtoul(argv[3], nullptr, 10);
    for (const PeerEntry &peer : all_peers())
        if (peer.name == argv[2] && peer.footprint) {
            Footprint f = peer.footprint(pools);
            std::printf("%.1f %.0f\n", f.bytes_per_pool, f.huge_kib);
            return 0;
        }
    return 1;
}

} // namespace

int main(int argc, char **argv) {
    if (argc == 5 && std::strcmp(argv[1], "--footprint") == 0) return run_footprint(argv);
    // Freed memory stays in malloc's heap (no trimming, no mmap for blocks up
    // to 32 MiB), so that peers built on malloc reuse warm pages after a
    // reset as mpool reuses its blocks: the tables compare allocators, not
    // page faults. Not applied to the footprint processes; applied to the
    // counted ones, which must run as the timed runs do.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    if (argc == 5 && std::strcmp(argv[1], "--count") == 0) return run_count(argv);
    // Line by line, also into a pipe (| tee, | cat): a table's rows appear as
    // they are measured.
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
    Settings settings;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--quick") {
            settings.quick = true;
            settings.runs = 3;
        } else if (arg == "--no-count") {
            settings.count = false;
        } else if (arg == "--runs" && i + 1 < argc) {
            settings.runs = std::max(1, std::atoi(argv[++i]));
        } else if (arg == "--peer" && i + 1 < argc) {
            settings.only_peer = argv[++i];
        } else if (arg == "--workload" && i + 1 < argc) {
            settings.only_workload = argv[++i];
        } else if (arg == "--svg" && i + 1 < argc) {
            settings.svg_path = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: %s [--quick] [--no-count] [--runs N] [--peer NAME] [--workload NAME] [--svg PATH]\n",
                         argv[0]);
            return 2;
        }
    }
    std::vector<PeerEntry> peers = all_peers();
    if (!settings.only_peer.empty())
        std::erase_if(peers, [&](const PeerEntry &p) { return p.name != settings.only_peer && p.name != "mpool"; });
    note_missing_peers();
    // Instruction counts take a minute under callgrind: not in a quick run.
    if (!settings.count) {
        std::printf("note: instructions not counted (--no-count)\n");
    } else if (settings.quick) {
        settings.count = false;
        std::printf("note: instructions not counted in a quick run (callgrind takes a minute)\n");
    } else if (std::system("command -v valgrind >/dev/null 2>&1") != 0) {
        settings.count = false;
        std::printf("note: instructions not counted (valgrind not found on PATH)\n");
    }
    std::printf("mpool comparison benchmark: %d runs per figure%s\n", settings.runs, settings.quick ? " (quick)" : "");
    if (settings.count)
        std::printf("instructions: per request, cycle, allocation or call as in the table's unit, counted by "
                    "callgrind: (I(2N) - I(N)) / N for N and 2N iterations after the timed run's warm-up\n");

    std::vector<Table> tables;
    for (const Workload &workload : workloads()) {
        if (!settings.only_workload.empty() && settings.only_workload != workload.name) continue;
        if (workload.measure) {
            tables.push_back(measure(workload, peers, settings));
        } else {
            tables.push_back(measure_footprint(peers, settings, false));
            tables.push_back(measure_footprint(peers, settings, true));
        }
    }

    std::printf("\nmpool waste (bytes reserved / bytes requested): sizes 8..128: %.3f, sizes 16..512: %.3f\n",
                mpool_waste(8, 128), mpool_waste(16, 512));
    write_svg(tables, settings.svg_path);
    return 0;
}
