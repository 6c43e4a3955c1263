// The snapshot framing (src/snapshot_io.hpp): values round-trip across
// block boundaries, from memory and through a callback that hands out
// bytes in odd pieces; every truncation and every flipped bit of a stream
// is detected; an unknown format version is told apart from damage; a
// refusing write callback stops the writer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <boost/crc.hpp>

#include "snapshot_io.hpp"

using namespace roster;
using namespace roster::snapshot;

namespace {

bool to_vector(void* user, const void* data, std::size_t len) {
    auto* v = static_cast<std::vector<unsigned char>*>(user);
    const auto* p = static_cast<const unsigned char*>(data);
    v->insert(v->end(), p, p + len);
    return true;
}

constexpr std::uint32_t kSmall = 1, kLarge = 2, kEmpty = 3;
constexpr std::uint32_t kLargeCount = 40000;  // 320,000 bytes: five blocks

// A stream of three sections; `large` adds the big one.
std::vector<unsigned char> sample(bool large, std::uint32_t format = kFormatVersion) {
    std::vector<unsigned char> out;
    Writer w(to_vector, &out);
    w.header(Header{format, 0x000100, 7});
    w.begin(kSmall);
    w.u8(0xAB);
    w.u32(0xDEADBEEF);
    w.u64(0x0123456789ABCDEFull);
    w.i32(-5);
    w.bytes("hello", 5);
    w.end();
    if (large) {
        w.begin(kLarge);
        w.u8(1);  // every u64 after it straddles some block boundary
        for (std::uint64_t i = 0; i < kLargeCount; ++i) w.u64(i * 0x9E3779B97F4A7C15ull);
        w.end();
    }
    w.begin(kEmpty);
    w.end();
    REQUIRE(w.finish());
    CHECK(w.written() == out.size());
    return out;
}

// Reads what sample() wrote; the first error.
Error read_sample(Reader& r, bool large) {
    Header h;
    if (Error e = r.header(&h); e != Error::ok) return e;
    CHECK(h.library == 0x000100);
    CHECK(h.flags == 7);
    if (Error e = r.begin(kSmall); e != Error::ok) return e;
    std::uint8_t a = 0;
    std::uint32_t b = 0;
    std::uint64_t c = 0;
    std::int32_t d = 0;
    char text[5] = {};
    if (!r.u8(&a) || !r.u32(&b) || !r.u64(&c) || !r.i32(&d) || !r.bytes(text, 5)) return r.error();
    if (a != 0xAB || b != 0xDEADBEEF || c != 0x0123456789ABCDEFull || d != -5 ||
        std::memcmp(text, "hello", 5) != 0)
        return Error::internal;  // read "fine" but wrong: the test fails on it
    if (Error e = r.end(); e != Error::ok) return e;
    if (large) {
        if (Error e = r.begin(kLarge); e != Error::ok) return e;
        if (!r.u8(&a)) return r.error();
        for (std::uint64_t i = 0; i < kLargeCount; ++i) {
            if (!r.u64(&c)) return r.error();
            if (c != i * 0x9E3779B97F4A7C15ull) return Error::internal;
        }
        if (Error e = r.end(); e != Error::ok) return e;
    }
    if (Error e = r.begin(kEmpty); e != Error::ok) return e;
    if (Error e = r.end(); e != Error::ok) return e;
    return r.finish();
}

struct Pieces {
    const std::vector<unsigned char>* bytes;
    std::size_t at = 0;
    std::uint64_t x = 12345;  // fixed seed: piece sizes 1..97
    static bool read(void* user, void* buf, std::size_t cap, std::size_t* got) {
        auto& p = *static_cast<Pieces*>(user);
        p.x = p.x * 6364136223846793005ull + 1442695040888963407ull;
        std::size_t n = std::min<std::size_t>({cap, 1 + (p.x >> 33) % 97, p.bytes->size() - p.at});
        std::memcpy(buf, p.bytes->data() + p.at, n);
        p.at += n;
        *got = n;
        return true;
    }
};

}  // namespace

TEST_SUITE("snapshot_io") {

TEST_CASE("values round-trip across blocks, from memory and through a callback") {
    for (bool large : {false, true}) {
        const std::vector<unsigned char> bytes = sample(large);
        Reader mem(bytes);
        CHECK(read_sample(mem, large) == Error::ok);
        Pieces p{&bytes};
        Reader cb(&Pieces::read, &p);
        CHECK(read_sample(cb, large) == Error::ok);
        CHECK(p.at == bytes.size());
    }
    // The large section took several blocks, none above the bound.
    const std::vector<unsigned char> big = sample(true);
    CHECK(big.size() > 320000);
}

TEST_CASE("every truncation is detected") {
    const std::vector<unsigned char> bytes = sample(false);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        Reader r(std::span<const unsigned char>(bytes.data(), n));
        const Error e = read_sample(r, false);
        INFO("length " << n);
        CHECK(e == Error::corrupt);
    }
    // The large stream, at every block edge and a stride between them.
    const std::vector<unsigned char> big = sample(true);
    for (std::size_t n = 0; n < big.size(); n += (n % kMaxBlock < 64 ? 1 : 997)) {
        Reader r(std::span<const unsigned char>(big.data(), n));
        INFO("length " << n);
        CHECK(read_sample(r, true) == Error::corrupt);
    }
}

TEST_CASE("every flipped bit and every changed byte is detected") {
    const std::vector<unsigned char> bytes = sample(false);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::vector<unsigned char> bad = bytes;
            bad[i] ^= static_cast<unsigned char>(1u << bit);
            Reader r(bad);
            INFO("byte " << i << " bit " << bit);
            CHECK(read_sample(r, false) == Error::corrupt);
        }
        std::vector<unsigned char> bad = bytes;
        bad[i] = static_cast<unsigned char>(bad[i] + 0x5B);
        Reader r(bad);
        INFO("byte " << i << " changed");
        CHECK(read_sample(r, false) == Error::corrupt);
    }
    // Bytes after the end block.
    std::vector<unsigned char> longer = bytes;
    longer.push_back(0);
    Reader r(longer);
    CHECK(read_sample(r, false) == Error::corrupt);
}

TEST_CASE("another format version is refused as such") {
    const std::vector<unsigned char> bytes = sample(false, kFormatVersion + 1);
    Reader r(bytes);
    CHECK(read_sample(r, false) == Error::version);
}

TEST_CASE("reading more or less than a section holds, or the wrong section, is corrupt") {
    const std::vector<unsigned char> bytes = sample(false);
    {
        Reader r(bytes);
        REQUIRE(r.header(nullptr) == Error::ok);
        CHECK(r.begin(kLarge) == Error::corrupt);  // the small section comes first
    }
    {
        Reader r(bytes);
        REQUIRE(r.header(nullptr) == Error::ok);
        REQUIRE(r.begin(kSmall) == Error::ok);
        std::uint8_t a;
        REQUIRE(r.u8(&a));
        CHECK(r.end() == Error::corrupt);  // 21 bytes left unread
        CHECK(r.error() == Error::corrupt);
    }
    {
        Reader r(bytes);
        REQUIRE(r.header(nullptr) == Error::ok);
        REQUIRE(r.begin(kSmall) == Error::ok);
        char all[22];
        REQUIRE(r.bytes(all, 22));
        std::uint8_t more;
        CHECK_FALSE(r.u8(&more));  // past the section's last block
        CHECK(r.error() == Error::corrupt);
    }
}

TEST_CASE("a write callback that refuses stops the writer") {
    struct Budget {
        std::size_t left;
        bool refused = false;
        std::size_t after = 0;  // calls after a refusal
        static bool write(void* user, const void*, std::size_t len) {
            auto& b = *static_cast<Budget*>(user);
            b.after += b.refused;
            if (len > b.left) {
                b.refused = true;
                return false;
            }
            b.left -= len;
            return true;
        }
    };
    auto stream = [](Writer& w) {
        w.header(Header{});
        w.begin(kLarge);
        for (std::uint64_t i = 0; i < kLargeCount; ++i) w.u64(i);
        w.end();
    };
    std::vector<unsigned char> whole;
    Writer all(to_vector, &whole);
    stream(all);
    REQUIRE(all.finish());
    const std::size_t full = whole.size();
    for (std::size_t budget : {std::size_t{0}, std::size_t{10}, std::size_t{30}, full / 2, full - 1}) {
        Budget b{budget};
        Writer w(&Budget::write, &b);
        stream(w);
        CHECK_FALSE(w.finish());
        CHECK(w.failed());
        CHECK(b.refused);
        CHECK(b.after == 0);  // nothing offered after the refusal
        CHECK(w.written() <= budget);
    }
    // A section left open is a failed stream too.
    std::vector<unsigned char> out;
    Writer w(to_vector, &out);
    w.header(Header{});
    w.begin(kSmall);
    CHECK_FALSE(w.finish());
}

}  // TEST_SUITE

TEST_SUITE("snapshot_io") {
// The checksum is computed eight bytes at a time; Boost.CRC's CRC-32 is the
// reference it must equal at every length and alignment.
TEST_CASE("crc32 equals boost::crc_32_type") {
    const unsigned char check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    CHECK(crc32(check) == 0xCBF43926u);  // the published check value of CRC-32
    CHECK(crc32({}) == 0u);
    std::vector<unsigned char> data(5000);
    std::uint32_t x = 12345;
    for (auto& b : data) {
        x = x * 1103515245u + 12345u;
        b = static_cast<unsigned char>(x >> 16);
    }
    for (std::size_t start = 0; start < 9; ++start)
        for (std::size_t len = 0; start + len <= data.size(); len += len < 100 ? 1 : 397) {
            boost::crc_32_type ref;
            ref.process_bytes(data.data() + start, len);
            REQUIRE(crc32(std::span<const unsigned char>(data.data() + start, len)) == ref.checksum());
        }
}
}
