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
//
// Then the floor of an event's cost at a guild's size (skipped with
// --chain-members 0). An event of a guild reads a chain of dependent
// lines: the id table's line names the record, the record names its leaf.
// For --chain-members N and 10 N (default 1M and 10M), three regions are
// sized as the guild's are (id table 8 bytes x its capacity, records 64
// bytes, leaves 16 bytes per member). Each event reads one random line of
// the table, then --width lines of the records, then --width lines of the
// leaves, each level's addresses computed from the byte read at the level
// before, then runs --work multiply-adds. The chain is pipelined as well as
// a host could wish, with every event independent of the others: while
// event i reads its last level, event i + A (A = --ahead) reads the level
// before and requests its next lines, and so on up to the table line of
// event i + levels A. --ahead 0 requests nothing ahead (one call per event:
// each level waits for the one before). With --levels 2 the
// id table is left out (a record found with no lookup). Per size:
//   CHAIN members=<n> levels=<l> work_ns=<x> ns_per_event=<x> exposed_ns=<x>
// and, for the pair, what the lines add from N to 10 N (delta_ns) and the
// growth of an event that costs --base-ns at N (default 555, a status
// move's at 1M on the project's machine) once that is added:
//   CHAIN_GROWTH levels=<l> base_ns=<x> delta_ns=<x> growth=<x>
// No structure of roster is involved. It is a floor, not a model of the
// engine: an engine whose events read these chains, with events that
// depend on each other and more work between the reads, pays at least
// about this much more at 10 N on the machine.
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
    std::uint64_t chain_members = 1000000;
    std::uint64_t levels = 3;
    std::uint64_t work = 100;
    std::uint64_t width = 1;
    std::uint64_t base_ns = 555;
};

int parse(int argc, char** argv, PagesCfg& cfg) {
    cli::Parser p("roster-bench pages");
    p.number("--max-mib", &cfg.max_mib, 1, 65536, "largest region (MiB): sizes 16, 128, 1024, clipped");
    p.number("--steps", &cfg.steps, 1000, 1000000000, "random reads per variant and round");
    p.number("--ahead", &cfg.ahead, 0, 4096, "steps between a prefetch and its read (0: none ahead)");
    p.number("--rounds", &cfg.rounds, 1, 100, "rounds, median reported");
    p.number("--chain-members", &cfg.chain_members, 0, 10000000,
             "the chain's smaller guild (the larger is 10x); 0: no chain");
    p.number("--levels", &cfg.levels, 2, 3, "the chain's dependent levels per event (3: id table, records, leaves)");
    p.number("--width", &cfg.width, 1, 8, "the chain's lines per level after the first");
    p.number("--work", &cfg.work, 0, 100000, "the chain's multiply-adds per event");
    p.number("--base-ns", &cfg.base_ns, 0, 1000000, "an event's cost at the smaller guild, for the growth line");
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

// A mapping of `bytes` advised for huge pages, every page written (byte =
// page number).
struct Region {
    char* base = nullptr;
    std::size_t bytes = 0;
    explicit Region(std::size_t n) : bytes(n) {
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) die("mmap of " + std::to_string(bytes >> 20) + " MiB failed");
#ifdef MADV_HUGEPAGE
        ::madvise(p, bytes, MADV_HUGEPAGE);  // advice; what was granted is printed
#endif
        base = static_cast<char*>(p);
        for (std::size_t off = 0; off < bytes; off += 4096) base[off] = static_cast<char>(off >> 12);
    }
    ~Region() { ::munmap(base, bytes); }
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;
    std::uint64_t lines() const { return bytes / 64; }
};

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

// The chain (levels 2 or 3): ns per event. Event e's line w at level l is
// at(l, e, w, p), where p is the byte read at the level before (0 at the
// first), so its address is known only once that byte has arrived. The
// first level reads one line, later levels `width` lines each.
// ring[l][e % R] carries event e's byte p for level l from the step that
// read the level before to the step that reads level l.
double run_chain(const Region* const* levels, unsigned nlevels, unsigned width, std::uint64_t steps,
                 std::uint64_t ahead, std::uint64_t work, std::uint64_t mul, std::uint64_t& sink) {
    std::uint64_t R = 1;  // more than the events in flight
    while (R <= (nlevels + 1) * ahead) R *= 2;
    std::vector<unsigned char> ring(nlevels * R);
    auto at = [&](unsigned l, std::uint64_t e, unsigned w, unsigned char p) -> const char* {
        const std::uint64_t x = (e << 3 | w) * 0x9E3779B97F4A7C15ULL + p * 0x100000001ULL + l;
        return levels[l]->base + roster::IdTable::mix(x) % levels[l]->lines() * 64;
    };
    auto lines_at = [&](unsigned l) { return l == 0 ? 1u : width; };
    const std::uint64_t total = steps + nlevels * ahead;
    std::uint64_t acc = sink | 1;
    const std::uint64_t t0 = now_ns();
    // Step t reads level l of event t - l * ahead, and requests the lines of
    // its next level (for the first level: of event t + ahead).
    for (std::uint64_t t = 0; t < total; ++t) {
        __builtin_prefetch(at(0, t + ahead, 0, 0));
        for (unsigned l = 0; l < nlevels; ++l) {
            const std::uint64_t back = static_cast<std::uint64_t>(l) * ahead;
            if (t < back) break;
            const std::uint64_t e = t - back;
            const unsigned char p = l == 0 ? 0 : ring[l * R + e % R];
            unsigned char b = 0;
            for (unsigned w = 0; w < lines_at(l); ++w)
                b ^= static_cast<unsigned char>(at(l, e, w, p)[l + 1 == nlevels ? (acc & 1) : 0]);
            if (l + 1 == nlevels) {
                acc += b;
                for (std::uint64_t k = 0; k < work; ++k) acc = acc * mul + k;
                break;
            }
            ring[(l + 1) * R + e % R] = b;
            for (unsigned w = 0; w < lines_at(l + 1); ++w) __builtin_prefetch(at(l + 1, e, w, b));
        }
    }
    const std::uint64_t t1 = now_ns();
    sink += acc;
    return static_cast<double>(t1 - t0) / static_cast<double>(total);
}

// The chain at `members`: CHAIN line; returns ns per event.
double chain_at(const PagesCfg& cfg, std::uint64_t members, std::uint64_t mul, std::uint64_t& sink) {
    // The id table's capacity: a power of two with the load <= 3/4.
    std::uint64_t cap = 16;
    while (cap * 3 < members * 4) cap *= 2;
    auto round = [](std::uint64_t b) { return std::max<std::uint64_t>((b + 4095) & ~std::uint64_t{4095}, 4096); };
    Region table(round(cap * 8)), records(round(members * 64)), leaves(round(members * 16));
    Region one(4096);  // the work alone reads lines of one cached page
    const Region* chain3[] = {&table, &records, &leaves};
    const Region* const* chain = cfg.levels == 3 ? chain3 : chain3 + 1;
    const Region* alone[] = {&one, &one, &one};
    const auto n = static_cast<unsigned>(cfg.levels);
    const auto w_ = static_cast<unsigned>(cfg.width);
    std::vector<double> w, c;
    for (std::uint64_t r = 0; r < cfg.rounds; ++r) {
        w.push_back(run_chain(alone, n, w_, cfg.steps, cfg.ahead, cfg.work, mul, sink));
        c.push_back(run_chain(chain, n, w_, cfg.steps, cfg.ahead, cfg.work, mul, sink));
    }
    const double wm = median(w), cm = median(c);
    std::printf("%9" PRIu64 " members: %" PRIu64 " random lines per event in %" PRIu64
                " dependent levels (%" PRIu64 " MiB in all), %.1f ns per event, %.1f ns of it the work alone, "
                "%.1f ns the lines\n",
                members, 1 + (cfg.levels - 1) * cfg.width, cfg.levels,
                (table.bytes * (cfg.levels == 3) + records.bytes + leaves.bytes) >> 20, cm, wm, cm - wm);
    std::printf("CHAIN members=%" PRIu64 " levels=%" PRIu64 " work_ns=%.1f ns_per_event=%.1f exposed_ns=%.1f\n",
                members, cfg.levels, wm, cm, cm - wm);
    return cm - wm;
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
        const Region region(static_cast<std::size_t>(mib) << 20);
        const char* base = region.base;
        const std::uint64_t lines = region.lines();
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
    }
    if (cfg.chain_members) {
        const double small = chain_at(cfg, cfg.chain_members, mul, sink);
        const double large = chain_at(cfg, cfg.chain_members * 10, mul, sink);
        const double base = static_cast<double>(cfg.base_ns);
        const double growth = base > 0 ? (base + large - small) / base : 0;
        std::printf("the lines cost %.1f ns more per event at %" PRIu64 " members: an event of %.0f ns at %" PRIu64
                    " costs at least %.2fx that\n",
                    large - small, cfg.chain_members * 10, base, cfg.chain_members, growth);
        std::printf("CHAIN_GROWTH levels=%" PRIu64 " base_ns=%.0f delta_ns=%.1f growth=%.2f\n", cfg.levels, base,
                    large - small, growth);
    }
    // Keeps the reads and the arithmetic from being optimised away.
    if (sink == 42) std::printf("#\n");
    return 0;
}

}  // namespace bench
