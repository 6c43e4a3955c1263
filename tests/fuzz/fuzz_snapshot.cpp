// libFuzzer target: roster_guild_load_buffer on arbitrary bytes
// (docs/snapshot.md). The first byte picks how the rest is used:
//  - even: as it is. Damage must be refused (ECORRUPT, EVERSION, ELIMIT)
//    without a crash, a leak or undefined behaviour;
//  - odd: as a snapshot whose checksums (the header's and every block's)
//    are recomputed first, so that mutations reach the content checks
//    behind them: the loader must refuse content that breaks a rule of the
//    guild even when every checksum holds.
// A snapshot that loads must pass the engine's invariants, and saving the
// loaded guild and loading that again must give a guild that saves to the
// same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "internal.hpp"
#include "roster/roster.h"
#include "snapshot_io.hpp"

namespace {

using Bytes = std::vector<unsigned char>;

std::uint32_t get32(const unsigned char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
void put32(unsigned char* p, std::uint32_t v) { std::memcpy(p, &v, 4); }

// Recomputes the header's and each block's CRC where the framing allows.
void repair(Bytes& b) {
    using namespace roster::snapshot;
    if (b.size() < kHeaderSize) return;
    put32(b.data() + 20, crc32(std::span<const unsigned char>(b.data(), 20)));
    std::size_t at = kHeaderSize;
    while (b.size() - at >= 12) {
        const std::uint32_t len = get32(b.data() + at + 4);
        if (len > kMaxBlock || b.size() - at - 12 < len) return;
        put32(b.data() + at + 8 + len, crc32(std::span<const unsigned char>(b.data() + at, 8 + len)));
        at += 12 + std::size_t{len};
    }
}

int append(const void* data, std::size_t len, void* user) {
    auto* b = static_cast<Bytes*>(user);
    b->insert(b->end(), static_cast<const unsigned char*>(data),
              static_cast<const unsigned char*>(data) + len);
    return 0;
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_snapshot: %s\n", what.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    Bytes b(data + 1, data + size);
    if (data[0] & 1) repair(b);
    roster_config config = ROSTER_CONFIG_INIT;
    config.max_members = 100000;  // a damaged count must not reach the default's 64M
    roster_guild* g = nullptr;
    const int rc = roster_guild_load_buffer(&g, &config, b.data(), b.size());
    if (rc != ROSTER_OK) {
        if (g) fail("a failed load set *out");
        if (rc != ROSTER_ECORRUPT && rc != ROSTER_EVERSION && rc != ROSTER_ELIMIT &&
            rc != ROSTER_ENOMEM)
            fail(std::string("load returned ") + roster_status_str(rc));
        return 0;
    }
    std::string why;
    if (!roster::capi::engine_of(g).check_invariants(&why)) fail("invariants after a load: " + why);
    Bytes again;
    if (roster_guild_save(g, ROSTER_SAVE_SESSIONS, append, &again) != ROSTER_OK) fail("save failed");
    roster_guild_destroy(g);
    g = nullptr;
    if (roster_guild_load_buffer(&g, &config, again.data(), again.size()) != ROSTER_OK)
        fail("a saved guild does not load");
    Bytes third;
    if (roster_guild_save(g, ROSTER_SAVE_SESSIONS, append, &third) != ROSTER_OK) fail("save failed");
    if (third != again) fail("a loaded guild saves to other bytes");
    roster_guild_destroy(g);
    return 0;
}
