// MurmurHash3, x86 32-bit variant, written from the published algorithm:
// 4-byte little-endian blocks mixed into the state, the 1-3 tail bytes
// mixed once, then the length and a final avalanche (fmix32).
#include "roster/discord.h"

namespace {

inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

constexpr uint32_t c1 = 0xcc9e2d51u;
constexpr uint32_t c2 = 0x1b873593u;

inline uint32_t scramble(uint32_t k) {
    k *= c1;
    k = rotl(k, 15);
    return k * c2;
}

}  // namespace

extern "C" {

unsigned roster_discord_version_number(void) { return ROSTER_DISCORD_VERSION_NUMBER; }

uint32_t roster_discord_murmur3_32(const void *data, size_t len, uint32_t seed) {
    const unsigned char *p = static_cast<const unsigned char *>(data);
    uint32_t h = seed;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        const uint32_t k = uint32_t(p[i]) | uint32_t(p[i + 1]) << 8 | uint32_t(p[i + 2]) << 16 |
                           uint32_t(p[i + 3]) << 24;
        h ^= scramble(k);
        h = rotl(h, 13);
        h = h * 5u + 0xe6546b64u;
    }
    uint32_t tail = 0;
    switch (len - i) {
        case 3: tail |= uint32_t(p[i + 2]) << 16; [[fallthrough]];
        case 2: tail |= uint32_t(p[i + 1]) << 8; [[fallthrough]];
        case 1:
            tail |= uint32_t(p[i]);
            h ^= scramble(tail);
            break;
        default: break;
    }
    h ^= uint32_t(len);
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

}  // extern "C"
