// Unit and randomized tests of roster::HashIndex (id -> record, intrusive).
//
// Records live at stable addresses (std::deque) because the index links them
// by their hook; every record is unlinked before it is destroyed (the index
// is declared after the records, so it is destroyed, and cleared, first).
#include <doctest/doctest.h>

#include "hash_index.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

struct Rec {
    roster::HashHook hook;
    std::uint64_t id = 0;
    std::uint32_t payload = 0;
};

using Index = roster::HashIndex<Rec, &Rec::hook, &Rec::id>;

// Bucket count the index must have after growing from empty to n records
// without reserve(): the smallest power of two >= n, at least 16.
std::size_t expected_buckets(std::size_t n) {
    std::size_t b = 16;
    while (b < n) b *= 2;
    return b;
}

bool is_pow2(std::size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// Twitter-style snowflake: 41-bit ms timestamp, 5+5-bit worker, 12-bit seq.
std::uint64_t snowflake(std::uint64_t ms, std::uint64_t worker, std::uint64_t seq) {
    return (ms << 22) | ((worker & 0x3FF) << 12) | (seq & 0xFFF);
}

}  // namespace

TEST_SUITE("hash_index") {

TEST_CASE("an empty index finds nothing") {
    Index ix;
    const Index& cix = ix;
    CHECK(ix.size() == 0);
    CHECK(ix.bucket_count() == 16);
    CHECK(ix.memory_bytes() > 0);
    CHECK(ix.find(0) == nullptr);
    CHECK(ix.find(1) == nullptr);
    CHECK(ix.find(~std::uint64_t{0}) == nullptr);
    CHECK(cix.find(42) == nullptr);
    int visits = 0;
    ix.for_each([&](Rec&) { ++visits; });
    CHECK(visits == 0);
}

TEST_CASE("insert, find, erase") {
    std::deque<Rec> recs(3);
    recs[0].id = 42;
    recs[0].payload = 1;
    recs[1].id = 0;  // zero is an ordinary key
    recs[1].payload = 2;
    recs[2].id = ~std::uint64_t{0};
    recs[2].payload = 3;
    Index ix;
    const Index& cix = ix;

    CHECK(ix.insert(recs[0]));
    CHECK(ix.size() == 1);
    CHECK(ix.find(42) == &recs[0]);
    CHECK(cix.find(42) == &recs[0]);
    CHECK(ix.find(43) == nullptr);
    CHECK(ix.find(0) == nullptr);

    CHECK(ix.insert(recs[1]));
    CHECK(ix.insert(recs[2]));
    CHECK(ix.size() == 3);
    CHECK(ix.find(0) == &recs[1]);
    CHECK(ix.find(~std::uint64_t{0}) == &recs[2]);
    CHECK(ix.find(42)->payload == 1);

    ix.erase(recs[0]);
    CHECK(ix.size() == 2);
    CHECK(ix.find(42) == nullptr);
    CHECK(ix.find(0) == &recs[1]);
    CHECK(ix.find(~std::uint64_t{0}) == &recs[2]);

    // Re-insert after erase.
    CHECK(ix.insert(recs[0]));
    CHECK(ix.find(42) == &recs[0]);
    CHECK(ix.size() == 3);

    // A record may be re-keyed while unlinked.
    ix.erase(recs[2]);
    recs[2].id = 7;
    CHECK(ix.insert(recs[2]));
    CHECK(ix.find(7) == &recs[2]);
    CHECK(ix.find(~std::uint64_t{0}) == nullptr);
    CHECK(ix.size() == 3);

    std::uint64_t sum = 0;
    int visits = 0;
    ix.for_each([&](Rec& r) {
        sum += r.id;
        ++visits;
    });
    CHECK(visits == 3);
    CHECK(sum == 42 + 0 + 7);

    ix.erase(recs[0]);
    ix.erase(recs[1]);
    ix.erase(recs[2]);
    CHECK(ix.size() == 0);
    CHECK(ix.find(0) == nullptr);
    CHECK(ix.find(7) == nullptr);
}

TEST_CASE("a duplicate insert returns false and changes nothing") {
    std::deque<Rec> recs(18);
    for (std::size_t i = 0; i < 16; ++i) recs[i].id = 1000 + i;
    recs[16].id = 1005;  // duplicate of recs[5]
    recs[17].id = 1000;  // duplicate of recs[0]
    Index ix;
    for (std::size_t i = 0; i < 16; ++i) REQUIRE(ix.insert(recs[i]));
    // Exactly full: one more distinct insert would rehash, a duplicate must not.
    CHECK(ix.bucket_count() == 16);
    CHECK_FALSE(ix.insert(recs[16]));
    CHECK_FALSE(ix.insert(recs[17]));
    CHECK_FALSE(ix.insert(recs[5]));  // the very same record again
    CHECK(ix.size() == 16);
    CHECK(ix.bucket_count() == 16);
    CHECK(ix.find(1005) == &recs[5]);
    CHECK(ix.find(1000) == &recs[0]);
#ifdef ROSTER_SAFE_LINKS
    CHECK_FALSE(recs[16].hook.is_linked());
    CHECK_FALSE(recs[17].hook.is_linked());
    CHECK(recs[5].hook.is_linked());
#endif
    int visits = 0;
    ix.for_each([&](Rec& r) {
        CHECK(&r != &recs[16]);
        CHECK(&r != &recs[17]);
        ++visits;
    });
    CHECK(visits == 16);
    // After the original goes, the former duplicate can take its key.
    ix.erase(recs[5]);
    CHECK(ix.insert(recs[16]));
    CHECK(ix.find(1005) == &recs[16]);
    CHECK(ix.size() == 16);
    ix.clear();
}

TEST_CASE("bucket count doubles so the load factor stays <= 1") {
    constexpr std::size_t n = 5000;
    std::deque<Rec> recs(n);
    Index ix;
    std::size_t doublings = 0;
    for (std::size_t i = 0; i < n; ++i) {
        recs[i].id = i + 1;  // ids 1..N
        std::size_t before = ix.bucket_count();
        REQUIRE(ix.insert(recs[i]));
        REQUIRE(ix.size() == i + 1);
        REQUIRE(ix.bucket_count() == expected_buckets(i + 1));
        REQUIRE(is_pow2(ix.bucket_count()));
        REQUIRE(ix.size() <= ix.bucket_count());
        if (ix.bucket_count() != before) {
            CHECK(ix.bucket_count() == 2 * before);
            ++doublings;
        }
    }
    CHECK(doublings == 9);  // 16 -> 8192
    CHECK(ix.bucket_count() == 8192);
    CHECK(ix.memory_bytes() >= 8192 * sizeof(void*));
    // Everything is still found after the rehashes; neighbours are not.
    for (std::size_t i = 0; i < n; ++i) REQUIRE(ix.find(i + 1) == &recs[i]);
    CHECK(ix.find(0) == nullptr);
    CHECK(ix.find(n + 1) == nullptr);
    // Erasing never shrinks.
    for (std::size_t i = 0; i < n; i += 2) ix.erase(recs[i]);
    CHECK(ix.size() == n / 2);
    CHECK(ix.bucket_count() == 8192);
    for (std::size_t i = 0; i < n; ++i)
        REQUIRE(ix.find(i + 1) == (i % 2 ? &recs[i] : nullptr));
    ix.clear();
}

TEST_CASE("reserve") {
    std::deque<Rec> recs(1000);
    for (std::size_t i = 0; i < recs.size(); ++i) recs[i].id = 7 * i + 3;
    Index ix;
    ix.reserve(0);
    CHECK(ix.bucket_count() == 16);
    ix.reserve(16);
    CHECK(ix.bucket_count() == 16);
    ix.reserve(17);
    CHECK(ix.bucket_count() == 32);
    ix.reserve(100);
    CHECK(ix.bucket_count() == 128);
    ix.reserve(50);  // never shrinks
    CHECK(ix.bucket_count() == 128);
    for (std::size_t i = 0; i < 100; ++i) REQUIRE(ix.insert(recs[i]));
    CHECK(ix.bucket_count() == 128);
    // Reserving with records present keeps them.
    ix.reserve(1000);
    CHECK(ix.bucket_count() == 1024);
    CHECK(ix.size() == 100);
    for (std::size_t i = 0; i < 100; ++i) REQUIRE(ix.find(7 * i + 3) == &recs[i]);
    // Up to the reserved size there is no rehash.
    for (std::size_t i = 100; i < 1000; ++i) {
        REQUIRE(ix.insert(recs[i]));
        REQUIRE(ix.bucket_count() == 1024);
    }
    for (std::size_t i = 0; i < 1000; ++i) REQUIRE(ix.find(7 * i + 3) == &recs[i]);
    CHECK(ix.find(7 * 1000 + 3) == nullptr);
    ix.clear();
}

TEST_CASE("clear unlinks every record and keeps the buckets") {
    std::deque<Rec> recs(100);
    for (std::size_t i = 0; i < recs.size(); ++i) recs[i].id = i * i;
    Index ix;
    for (Rec& r : recs) REQUIRE(ix.insert(r));
    CHECK(ix.bucket_count() == 128);
    ix.clear();
    CHECK(ix.size() == 0);
    CHECK(ix.bucket_count() == 128);
    for (std::size_t i = 0; i < recs.size(); ++i) REQUIRE(ix.find(i * i) == nullptr);
#ifdef ROSTER_SAFE_LINKS
    for (Rec& r : recs) REQUIRE_FALSE(r.hook.is_linked());
#endif
    // The records can be linked again.
    for (Rec& r : recs) REQUIRE(ix.insert(r));
    CHECK(ix.size() == 100);
    for (std::size_t i = 0; i < recs.size(); ++i) REQUIRE(ix.find(i * i) == &recs[i]);
    ix.clear();
}

TEST_CASE("snowflake-like ids") {
    // Ids from 4 workers over 64 ms with 0..255 per ms: low bits highly
    // structured, high bits nearly constant.
    const std::uint64_t epoch = (std::uint64_t{1} << 40) + 123456789;
    std::deque<Rec> recs;
    for (std::uint64_t ms = 0; ms < 64; ++ms)
        for (std::uint64_t w = 0; w < 4; ++w)
            for (std::uint64_t seq = 0; seq < 256; ++seq) {
                recs.emplace_back();
                recs.back().id = snowflake(epoch + ms, w * 33, seq);
            }
    REQUIRE(recs.size() == 65536);
    // Pure timestamps (low 22 bits zero), the worst case for a masked
    // identity hash.
    std::deque<Rec> ts(4096);
    for (std::size_t i = 0; i < ts.size(); ++i) ts[i].id = snowflake(epoch + 1000 + i, 0, 0);
    Index ix;  // after the records: destroyed (and cleared) first
    for (Rec& r : recs) REQUIRE(ix.insert(r));
    CHECK(ix.size() == 65536);
    CHECK(ix.bucket_count() == 65536);
    for (Rec& r : recs) REQUIRE(ix.find(r.id) == &r);
    // Misses with the same structure: other workers, other sequence numbers.
    for (std::uint64_t ms = 0; ms < 64; ++ms) {
        REQUIRE(ix.find(snowflake(epoch + ms, 1, 0)) == nullptr);
        REQUIRE(ix.find(snowflake(epoch + ms, 0, 256)) == nullptr);
        REQUIRE(ix.find(snowflake(epoch + 64 + ms, 0, 0)) == nullptr);
    }
    // The pure timestamps: all distinct, all found.
    for (Rec& r : ts) REQUIRE(ix.insert(r));
    for (Rec& r : ts) REQUIRE(ix.find(r.id) == &r);
    CHECK(ix.size() == 65536 + 4096);
    CHECK(ix.bucket_count() == 131072);
    for (Rec& r : ts) ix.erase(r);
    for (Rec& r : recs) ix.erase(r);
    CHECK(ix.size() == 0);
}

TEST_CASE("IdHash spreads snowflake ids over masked buckets") {
    // With ideal hashing, n keys in n buckets occupy about (1 - 1/e) n of them.
    // Ids that differ only above bit 22 would all share bucket 0 under
    // identity hashing; through the finaliser they must spread.
    const roster::IdHash h;
    constexpr std::size_t n = 1 << 14;
    SUBCASE("timestamps only") {
        std::unordered_set<std::size_t> used;
        for (std::uint64_t i = 0; i < n; ++i)
            used.insert(h(snowflake(1700000000000ULL + i, 0, 0)) & (n - 1));
        CHECK(used.size() > n * 6 / 10);
    }
    SUBCASE("sequence numbers only") {
        std::unordered_set<std::size_t> used;
        for (std::uint64_t i = 0; i < n; ++i)
            used.insert(h(snowflake(1700000000000ULL, i >> 12, i & 0xFFF)) & (n - 1));
        CHECK(used.size() > n * 6 / 10);
    }
    SUBCASE("small ids") {
        std::unordered_set<std::size_t> used;
        for (std::uint64_t i = 1; i <= n; ++i) used.insert(h(i) & (n - 1));
        CHECK(used.size() > n * 6 / 10);
    }
    CHECK(h(0) == 0);  // the finaliser maps 0 to 0 (documented property of fmix64)
    CHECK(h(1) != 1);
}

TEST_CASE("randomized against std::unordered_map (fixed seed)") {
    std::mt19937_64 rng(0x5EED0001ULL);
    std::deque<Rec> recs;            // stable addresses
    std::vector<Rec*> spare;         // unlinked records ready for reuse
    std::vector<Rec*> present;       // linked records (for picking victims)
    std::unordered_map<std::uint64_t, Rec*> ref;
    Index ix;

    auto new_rec = [&]() -> Rec* {
        if (!spare.empty()) {
            Rec* r = spare.back();
            spare.pop_back();
            return r;
        }
        recs.emplace_back();
        return &recs.back();
    };
    // Keys from three families: small ids, snowflakes and arbitrary 64-bit.
    std::uint64_t ms = 1700000000000ULL;
    std::uint64_t seq = 0;
    auto random_key = [&]() -> std::uint64_t {
        switch (rng() % 3) {
            case 0: return rng() % 400000;  // collides with present keys often
            case 1:
                if (rng() % 8 == 0) {
                    ++ms;
                    seq = 0;
                }
                return snowflake(ms, rng() % 4, seq++);
            default: return rng();
        }
    };

    std::size_t inserts = 0, dup_inserts = 0, erases = 0, hits = 0, misses = 0;
    std::size_t max_size = 0, rehashes = 0;
    auto step = [&](int insert_weight) {
        std::uint64_t r = rng() % 100;
        if (r < static_cast<std::uint64_t>(insert_weight)) {
            Rec* rec = new_rec();
            rec->id = random_key();
            rec->payload = static_cast<std::uint32_t>(rng());
            std::size_t buckets = ix.bucket_count();
            bool fresh = ref.find(rec->id) == ref.end();
            bool ok = ix.insert(*rec);
            REQUIRE(ok == fresh);
            if (ok) {
                ref.emplace(rec->id, rec);
                present.push_back(rec);
                ++inserts;
                if (ix.bucket_count() != buckets) {
                    REQUIRE(ix.bucket_count() == 2 * buckets);
                    ++rehashes;
                }
            } else {
                REQUIRE(ix.find(rec->id) == ref[rec->id]);
                REQUIRE(ix.bucket_count() == buckets);
                spare.push_back(rec);
                ++dup_inserts;
            }
        } else if (r < 75) {
            if (present.empty()) return;
            std::size_t i = rng() % present.size();
            Rec* rec = present[i];
            present[i] = present.back();
            present.pop_back();
            ix.erase(*rec);
            REQUIRE(ref.erase(rec->id) == 1);
            REQUIRE(ix.find(rec->id) == nullptr);
            spare.push_back(rec);
            ++erases;
        } else if (r < 90) {
            if (present.empty()) return;
            Rec* rec = present[rng() % present.size()];
            Rec* got = ix.find(rec->id);
            REQUIRE(got == rec);
            REQUIRE(got->payload == rec->payload);
            ++hits;
        } else {
            std::uint64_t k = random_key();
            auto it = ref.find(k);
            REQUIRE(ix.find(k) == (it == ref.end() ? nullptr : it->second));
            if (it == ref.end()) ++misses; else ++hits;
        }
        REQUIRE(ix.size() == ref.size());
        REQUIRE(ix.size() <= ix.bucket_count());
        if (ix.size() > max_size) max_size = ix.size();
    };

    // Grow to 250,000 records (insert-heavy), churn, shrink, grow again.
    // step(w): insert with probability w%, erase with (75 - w)%.
    while (ix.size() < 250000) step(65);
    CHECK(ix.bucket_count() == 262144);
    for (int i = 0; i < 200000; ++i) step(38);
    while (ix.size() > 1000) step(20);
    for (int i = 0; i < 100000; ++i) step(38);
    while (ix.size() < 210000) step(65);

    // Full agreement both ways.
    for (const auto& [k, rec] : ref) REQUIRE(ix.find(k) == rec);
    std::size_t visits = 0;
    ix.for_each([&](Rec& r) {
        auto it = ref.find(r.id);
        REQUIRE(it != ref.end());
        REQUIRE(it->second == &r);
        ++visits;
    });
    CHECK(visits == ref.size());

    MESSAGE("hash_index random: inserts " << inserts << ", duplicate inserts " << dup_inserts
                                          << ", erases " << erases << ", hits " << hits
                                          << ", misses " << misses << ", max size " << max_size
                                          << ", rehashes " << rehashes);
    CHECK(max_size >= 200000);
    CHECK(rehashes == 14);  // 16 -> 262144
    CHECK(dup_inserts > 1000);
    CHECK(misses > 1000);

    for (Rec* rec : present) ix.erase(*rec);
    CHECK(ix.size() == 0);
}

}  // TEST_SUITE
