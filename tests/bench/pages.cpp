// roster-bench pages: what this machine charges for a random read of a large
// region, and how much of it a prefetch hides (docs/benchmarks.md, §7d).
//
// A guild of millions of members is read at random: an event reads one line
// of the id table, one record and a few tree lines, each in a different
// page. On bare metal, or in a VM whose hypervisor backs guest memory with
// huge pages, those pages' translations stay cached and a prefetch issued
// ahead hides the line's fetch. Where the hypervisor maps the guest in 4 KiB
// pages, a random page in a large region needs a page walk that misses the
// caches, and on some machines a software prefetch waits for that walk.
// This workload measures both, with no roster structure involved, so that a
// host can tell which kind of machine it runs on before sizing a large
// guild.
//
// For each region size (16 MiB, 128 MiB, 1 GiB, clipped by --max-mib): an
// anonymous mapping advised as roster advises its slabs (MADV_HUGEPAGE),
// every page written first; then --steps steps, each reading one random
// line of the region and running a fixed chain of dependent arithmetic
// (~100 multiply-adds, the "work" a prefetch may overlap). The line's
// address depends on the previous step's result, so without a prefetch
// the reads cannot overlap each other. Three variants, ns per step, median
// of --rounds:
//   work      the arithmetic alone (the line read is of a 64-byte region);
//   read      one random line per step, no prefetch;
//   prefetch  the same, with the line of the step --ahead steps later
//             requested by __builtin_prefetch.
// miss_ns = read - work is what a random line costs; exposed_ns = prefetch -
// work is what of it a prefetch does not hide. It ends with one line per
// size:
//   PAGES mib=<n> huge_kib=<n> work_ns=<x> read_ns=<x> prefetch_ns=<x> miss_ns=<x> exposed_ns=<x>
// (huge_kib: the region's AnonHugePages, what the kernel granted).
#include <sys/mman.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bench_util.hpp"
#include "cli.hpp"
#include "id_table.hpp"
#include "workloads.hpp"

namespace bench {
namespace {

struct PagesCfg {
    std::uint64_t max_mib = 1024;
    std::uint64_t steps = 1000000;
    std::uint64_t ahead = 16;
    std::uint64_t rounds = 3;
};

int parse(int argc, char** argv, PagesCfg& cfg) {
    cli::Parser p("roster-bench pages");
    p.number("--max-mib", &cfg.max_mib, 1, 65536, "largest region (MiB): sizes 16, 128, 1024, clipped");
    p.number("--steps", &cfg.steps, 1000, 1000000000, "random reads per variant and round");
    p.number("--ahead", &cfg.ahead, 1, 4096, "steps between a prefetch and its read");
    p.number("--rounds", &cfg.rounds, 1, 100, "rounds, median reported");
    if (const int rc = parse_options(p, argc, argv); rc >= 0) return rc;
    return -1;
}

// The region's AnonHugePages in KiB, from /proc/self/smaps (0 if unknown).
std::uint64_t huge_kib(const void* start) {
    std::FILE* f = std::fopen("/proc/self/smaps", "r");
    if (!f) return 0;
    char line[512];
    const auto want = reinterpret_cast<std::uintptr_t>(start);
    bool in = false;
    std::uint64_t kib = 0;
    while (std::fgets(line, sizeof line, f)) {
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {  // a mapping's first line
            in = lo <= want && want < hi;
            continue;
        }
        if (in && std::strncmp(line, "AnonHugePages:", 14) == 0) {
            kib = std::strtoull(line + 14, nullptr, 10);
            break;
        }
    }
    std::fclose(f);
    return kib;
}

// One variant: ns per step. lines: lines of the region to read (1 = the
// work alone, on one line that stays cached).
// Step i reads line IdTable::mix(i) % lines (the id table's mix; the
// timing of the loop is all this workload measures).
double run(const char* base, std::uint64_t lines, std::uint64_t steps, std::uint64_t ahead, bool prefetch,
           std::uint64_t mul, std::uint64_t& sink) {
    std::uint64_t acc = sink | 1;
    const std::uint64_t t0 = now_ns();
    for (std::uint64_t i = 0; i < steps; ++i) {
        if (prefetch) __builtin_prefetch(base + (roster::IdTable::mix(i + ahead) % lines) * 64);
        // The read's address depends on acc: no two steps' reads overlap
        // unless a prefetch made them.
        acc += static_cast<unsigned char>(base[(roster::IdTable::mix(i) % lines) * 64 + (acc & 1)]);
        for (unsigned k = 0; k < 100; ++k) acc = acc * mul + k;
    }
    const std::uint64_t t1 = now_ns();
    sink += acc;
    return static_cast<double>(t1 - t0) / static_cast<double>(steps);
}

}  // namespace

int run_pages(int argc, char** argv) {
    PagesCfg cfg;
    if (const int rc = parse(argc, argv, cfg); rc >= 0) return rc;
    // A multiplier the compiler cannot see, so the chain stays a chain.
    volatile std::uint64_t mul_source = 31;
    const std::uint64_t mul = mul_source;
    std::uint64_t sink = 0;
    std::vector<std::uint64_t> sizes;
    for (std::uint64_t mib : {16, 128, 1024})
        if (mib <= cfg.max_mib) sizes.push_back(mib);
    if (sizes.empty() || sizes.back() != std::min<std::uint64_t>(cfg.max_mib, 1024))
        sizes.push_back(std::min<std::uint64_t>(cfg.max_mib, 1024));
    std::printf("== pages  steps=%" PRIu64 " ahead=%" PRIu64 " rounds=%" PRIu64 "\n", cfg.steps, cfg.ahead,
                cfg.rounds);
    for (const std::uint64_t mib : sizes) {
        const std::size_t bytes = static_cast<std::size_t>(mib) << 20;
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) die("mmap of " + std::to_string(mib) + " MiB failed");
#ifdef MADV_HUGEPAGE
        ::madvise(p, bytes, MADV_HUGEPAGE);  // advice; what was granted is printed
#endif
        char* base = static_cast<char*>(p);
        for (std::size_t off = 0; off < bytes; off += 4096) base[off] = static_cast<char>(off >> 12);
        const std::uint64_t lines = bytes / 64;
        std::vector<double> work, read, pre;
        for (std::uint64_t r = 0; r < cfg.rounds; ++r) {
            work.push_back(run(base, 1, cfg.steps, cfg.ahead, false, mul, sink));
            read.push_back(run(base, lines, cfg.steps, cfg.ahead, false, mul, sink));
            pre.push_back(run(base, lines, cfg.steps, cfg.ahead, true, mul, sink));
        }
        const double w = median(work), rd = median(read), pf = median(pre);
        std::printf("%5" PRIu64 " MiB: work %.1f ns, random read %.1f ns, with prefetch %.1f ns per step: "
                    "a random line costs %.1f ns, %.1f ns of it not hidden by a prefetch %" PRIu64
                    " steps ahead\n",
                    mib, w, rd, pf, rd - w, pf - w, cfg.ahead);
        std::printf("PAGES mib=%" PRIu64 " huge_kib=%" PRIu64 " work_ns=%.1f read_ns=%.1f prefetch_ns=%.1f "
                    "miss_ns=%.1f exposed_ns=%.1f\n",
                    mib, huge_kib(base), w, rd, pf, rd - w, pf - w);
        ::munmap(p, bytes);
    }
    // Keeps the reads and the arithmetic from being optimised away.
    if (sink == 42) std::printf("#\n");
    return 0;
}

}  // namespace bench
