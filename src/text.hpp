// Names and sort keys: validation, the default key, comparison, prefixes.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace roster {

// Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
inline bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        // Eight ASCII bytes at once (most names are ASCII).
        if (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                p += 8;
                continue;
            }
        }
        unsigned c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (end - p <= n) return false;
        if (p[1] < lo || p[1] > hi) return false;
        for (int k = 2; k <= n; ++k)
            if ((p[k] & 0xC0) != 0x80) return false;
        p += n + 1;
    }
    return true;
}

// A display name: valid UTF-8 of 1..128 bytes (docs/model.md §3).
inline bool valid_name(std::string_view s) {
    return !s.empty() && s.size() <= 128 && valid_utf8(s);
}

// The default sort key: ASCII A-Z folded to a-z, other bytes unchanged.
inline std::string fold_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Unsigned lexicographic byte comparison: <0, 0, >0.
inline int compare_bytes(std::string_view a, std::string_view b) {
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
    if (c != 0) return c;
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

inline unsigned char fold_byte(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// Compares two sort keys, each either stored bytes (fold = false) or a
// display name folded on the fly (fold = true): the default key is never
// materialised.
inline int compare_keys(std::string_view a, bool fold_a, std::string_view b, bool fold_b) {
    if (!fold_a && !fold_b) return compare_bytes(a, b);
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]);
        unsigned char y = static_cast<unsigned char>(b[i]);
        if (fold_a) x = fold_byte(x);
        if (fold_b) y = fold_byte(y);
        if (x != y) return x < y ? -1 : 1;
    }
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

// Copies n <= 24 bytes with fixed-size moves: a memcpy whose length the
// compiler knows is small but not what, it turns into `rep movsb`, whose
// start-up costs more than the copy (names are mostly under 24 bytes).
constexpr std::size_t copy_short_max = 24;
inline void copy_short(char* dst, const char* src, std::size_t n) {
    if (n >= 8) {
        std::uint64_t a, b, c;
        std::memcpy(&a, src, 8);
        std::memcpy(&b, src + n - 8, 8);
        if (n > 16) {
            std::memcpy(&c, src + 8, 8);
            std::memcpy(dst + 8, &c, 8);
        }
        std::memcpy(dst, &a, 8);
        std::memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        std::uint32_t a, b;
        std::memcpy(&a, src, 4);
        std::memcpy(&b, src + n - 4, 4);
        std::memcpy(dst, &a, 4);
        std::memcpy(dst + n - 4, &b, 4);
    } else if (n > 0) {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

// The first min(n, 8) bytes at p as a u64 laid out as memcpy would put
// them (first byte at the lowest address), zero-padded; with fixed-size
// loads, for the reason copy_short gives.
inline std::uint64_t load_upto8(const char* p, std::size_t n) {
    std::uint64_t x = 0;
    if (n >= 8) {
        std::memcpy(&x, p, 8);
    } else if constexpr (std::endian::native == std::endian::little) {
        // Byte i of the key goes to bits 8i; overlapping loads write the
        // same bytes twice.
        if (n >= 4) {
            std::uint32_t lo, hi;
            std::memcpy(&lo, p, 4);
            std::memcpy(&hi, p + n - 4, 4);
            x = lo | static_cast<std::uint64_t>(hi) << (8 * (n - 4));
        } else if (n > 0) {
            const auto* u = reinterpret_cast<const unsigned char*>(p);
            x = u[0] | static_cast<std::uint64_t>(u[n / 2]) << (8 * (n / 2)) |
                static_cast<std::uint64_t>(u[n - 1]) << (8 * (n - 1));
        }
    } else {
        std::memcpy(&x, p, n);
    }
    return x;
}

// First 8 bytes of a key (folded when `fold`), big-endian, zero-padded:
// monotone with compare_keys.
// Eight bytes at once: a byte of A-Z gets 0x20 added, as fold_byte does.
// Per byte, h = the byte without its top bit; h + 0x3F reaches 0x80 when
// h >= 'A', h + 0x25 when h > 'Z' (neither carries into the next byte), and
// bytes with their top bit set are never letters.
inline std::uint64_t key_prefix(std::string_view k, bool fold) {
    std::uint64_t x = load_upto8(k.data(), k.size());  // zero-padded
    if (fold) {
        constexpr std::uint64_t ones = 0x0101010101010101ull, tops = 0x8080808080808080ull;
        const std::uint64_t h = x & ~tops;
        const std::uint64_t upper = (h + 0x3F * ones) & ~(h + 0x25 * ones) & ~x & tops;
        x |= upper >> 2;
    }
    // The bytes were loaded first-lowest; the prefix has the first byte highest.
    if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
    return x;
}

}  // namespace roster
