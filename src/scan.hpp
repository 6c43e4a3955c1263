// Small vectorised scans over the fixed-size arrays of B+tree nodes.
//
// GCC/clang generic vectors: portable (the compiler lowers them to SSE2 on
// baseline x86-64, NEON on arm64, scalar elsewhere), no -march needed.
#pragma once

#include <cstdint>
#include <cstring>

namespace roster::scan {

using u32x4 = std::uint32_t __attribute__((vector_size(16)));

inline u32x4 load4(const std::uint32_t* p) {
    u32x4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline bool any(u32x4 m) {
    std::uint64_t lo, hi;
    std::memcpy(&lo, &m, 8);
    std::memcpy(reinterpret_cast<char*>(&hi), reinterpret_cast<const char*>(&m) + 8, 8);
    return (lo | hi) != 0;
}

// Position of x in a[0..n). a must be readable up to n rounded up to 8; the
// caller guarantees x is present in a[0..n) (slots past n may hold anything:
// the first match is the real one). Returns n when absent.
inline unsigned find_u32(const std::uint32_t* a, unsigned n, std::uint32_t x) {
    const u32x4 key = {x, x, x, x};
    for (unsigned base = 0; base < n; base += 8) {
        u32x4 m = (load4(a + base) == key) | (load4(a + base + 4) == key);
        if (any(m)) {
            for (unsigned k = base;; ++k)
                if (a[k] == x) return k;
        }
    }
    return n;
}

// a[0] + ... + a[i-1]. a must be readable up to i rounded up to 4.
inline std::uint32_t prefix_sum_u32(const std::uint32_t* a, unsigned i) {
    u32x4 acc = {0, 0, 0, 0};
    unsigned base = 0;
    for (; base + 4 <= i; base += 4) acc += load4(a + base);
    if (base < i) {
        const u32x4 lane = {0, 1, 2, 3};
        const unsigned rest = i - base;
        const u32x4 limit = {rest, rest, rest, rest};
        acc += load4(a + base) & static_cast<u32x4>(lane < limit);
    }
    return acc[0] + acc[1] + acc[2] + acc[3];
}

}  // namespace roster::scan
