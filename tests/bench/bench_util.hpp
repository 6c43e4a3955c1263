// Shared helpers of roster-bench: clock, process memory, statistics, RNG and
// command-line parsing. Header-only; every workload (w1, w2, ...) uses them.
#pragma once

#include "cli.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

// Monotonic nanoseconds (steady_clock). Read around batches, never per op.
inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

// CPU time of this process so far, in ms: user (its own code) and system
// (the kernel's work for it: at large sizes mostly page faults, the zeroing
// of fresh pages included). Read around a phase, as now_ns() is, to tell
// the two apart: on a virtual machine the system part of a large load moves
// with the host far more than the user part does.
struct CpuMs {
    double user = 0, sys = 0;
    double faults = 0;  // minor page faults (a huge page is one)
    CpuMs operator-(const CpuMs& o) const { return {user - o.user, sys - o.sys, faults - o.faults}; }
};
inline CpuMs cpu_ms() {
    rusage u{};
    CpuMs out;
    if (::getrusage(RUSAGE_SELF, &u) == 0) {
        out.user = static_cast<double>(u.ru_utime.tv_sec) * 1e3 + static_cast<double>(u.ru_utime.tv_usec) / 1e3;
        out.sys = static_cast<double>(u.ru_stime.tv_sec) * 1e3 + static_cast<double>(u.ru_stime.tv_usec) / 1e3;
        out.faults = static_cast<double>(u.ru_minflt);
    }
    return out;
}

// Anonymous resident memory of this process in bytes (the heap, mmap'ed
// slabs, stacks; not code or other file-backed pages), 0 if unavailable.
// Read from /proc/self/smaps_rollup "Anonymous:", which walks the page
// tables and is exact. Plain RSS also moves when shared-library code pages
// fault in, and statm / status VmRSS come from per-CPU counters that may lag
// by tens of pages per CPU; both skew bytes/entry at small N. The fallback
// is statm's resident - shared.
inline std::size_t anon_rss_bytes() {
    if (std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r")) {
        char line[256];
        std::size_t kib = 0;
        bool found = false;
        while (!found && std::fgets(line, sizeof line, f)) {
            if (std::strncmp(line, "Anonymous:", 10) == 0) {
                kib = std::strtoull(line + 10, nullptr, 10);
                found = true;
            }
        }
        std::fclose(f);
        if (found) return kib * 1024;
    }
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0, shared = 0;
    int got = std::fscanf(f, "%lu %lu %lu", &size, &resident, &shared);
    std::fclose(f);
    if (got != 3 || shared > resident) return 0;
    return static_cast<std::size_t>(resident - shared) *
           static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Gives freed heap pages back to the kernel so that the next RSS delta
// counts the pages a structure really touches (glibc keeps freed memory).
inline void trim_heap() { ::malloc_trim(0); }

// Median of a non-empty sample (mean of the two middle values if even).
inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    if (n == 0) return 0.0;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

inline double min_of(const std::vector<double>& v) {
    return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
}
inline double max_of(const std::vector<double>& v) {
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
}

// xoshiro256** seeded through splitmix64: fast, deterministic for a seed.
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& w : s_) w = splitmix(seed);
    }

    std::uint64_t next() {
        std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, bound) for bound < 2^32 (multiply-shift, negligible bias).
    std::uint32_t below(std::uint32_t bound) {
        return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    std::uint64_t s_[4];
};

// Parses a whole decimal unsigned number; false on junk or overflow.
// Parses a workload's options with p (cli.hpp): -1 to run, else the exit
// status (0 after --help, 2 after a usage error).
inline int parse_options(cli::Parser& p, int argc, char** argv) {
    switch (p.parse(argc, argv)) {
    case cli::Parser::Result::ok: return -1;
    case cli::Parser::Result::help: return 0;
    case cli::Parser::Result::usage: break;
    }
    return 2;
}

inline bool parse_u64(const char* s, std::uint64_t& out) {
    if (!s || !*s) return false;
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || s[0] == '-') return false;
    out = v;
    return true;
}

// Aborts the run: the harness found a disagreement or a broken invariant.
[[noreturn]] inline void die(const std::string& msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "roster-bench: FATAL: %s\n", msg.c_str());
    std::abort();
}

}  // namespace bench
