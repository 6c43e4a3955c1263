// Unit and randomized tests of roster::IdTable (user id -> slot, open
// addressing with tags). The records are a vector slot -> id, as the guild's
// slab is; the reference model is std::unordered_map.
#include <doctest/doctest.h>

#include "id_table.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using roster::IdTable;
using roster::nil_id;

// Slot -> id, with a free list, standing in for the guild's member slab.
struct Records {
    std::vector<std::uint64_t> ids;
    std::vector<std::uint32_t> free;

    std::uint32_t add(std::uint64_t id) {
        if (!free.empty()) {
            const std::uint32_t s = free.back();
            free.pop_back();
            ids[s] = id;
            return s;
        }
        ids.push_back(id);
        return static_cast<std::uint32_t>(ids.size() - 1);
    }
    void remove(std::uint32_t s) {
        ids[s] = 0;
        free.push_back(s);
    }
    auto id_of() const {
        return [this](std::uint32_t s) { return ids[s]; };
    }
};

bool is_pow2(std::size_t x) { return x != 0 && (x & (x - 1)) == 0; }

void require_valid(const IdTable& t) {
    std::string why;
    const bool ok = t.check_invariants(&why);
    INFO(why);
    REQUIRE(ok);
}

// Home bucket of an id in a table of `cap` entries (cap a power of two).
std::size_t home_in(std::uint64_t id, std::size_t cap) {
    unsigned bits = 0;
    while ((std::size_t{1} << bits) < cap) ++bits;
    return IdTable::tag_of(id) >> (32 - bits);
}

std::uint64_t snowflake(std::uint64_t ms, std::uint64_t worker, std::uint64_t seq) {
    return (ms << 22) | ((worker & 0x3FF) << 12) | (seq & 0xFFF);
}

}  // namespace

TEST_SUITE("id_table") {

TEST_CASE("an empty table finds nothing and holds no memory") {
    IdTable t;
    Records r;
    CHECK(t.size() == 0);
    CHECK(t.capacity() == 0);
    CHECK(t.memory_bytes() == 0);
    CHECK(t.find(1, r.id_of()) == nil_id);
    CHECK(t.find(~std::uint64_t{0}, r.id_of()) == nil_id);
    int visits = 0;
    t.for_each([&](std::uint32_t) { ++visits; });
    CHECK(visits == 0);
    require_valid(t);
    t.clear();
    require_valid(t);
}

TEST_CASE("insert, find, duplicate, erase") {
    IdTable t;
    Records r;
    const std::uint32_t a = r.add(42), b = r.add(7);
    CHECK(t.insert(42, a, r.id_of()));
    CHECK(t.insert(7, b, r.id_of()));
    CHECK(t.size() == 2);
    CHECK(t.capacity() == IdTable::min_capacity);
    CHECK(t.find(42, r.id_of()) == a);
    CHECK(t.find(7, r.id_of()) == b);
    CHECK(t.find(8, r.id_of()) == nil_id);
    // A duplicate id is refused and changes nothing.
    CHECK_FALSE(t.insert(42, 99, r.id_of()));
    CHECK(t.size() == 2);
    CHECK(t.find(42, r.id_of()) == a);
    t.erase(42, a);
    r.remove(a);
    CHECK(t.size() == 1);
    CHECK(t.find(42, r.id_of()) == nil_id);
    CHECK(t.find(7, r.id_of()) == b);
    require_valid(t);
    t.clear();
    CHECK(t.size() == 0);
    CHECK(t.find(7, r.id_of()) == nil_id);
    CHECK(t.capacity() == IdTable::min_capacity);  // memory kept
    require_valid(t);
}

TEST_CASE("growth keeps the load at most 3/4 and reserve prevents it") {
    IdTable t;
    Records r;
    for (std::uint64_t i = 1; i <= 10000; ++i) {
        REQUIRE(t.insert(i, r.add(i), r.id_of()));
        REQUIRE(is_pow2(t.capacity()));
        REQUIRE(t.size() <= t.capacity() / 4 * 3);
        // Grows only when it must: half the capacity would not do.
        if (t.capacity() > IdTable::min_capacity) REQUIRE(t.size() > t.capacity() / 8 * 3);
    }
    require_valid(t);
    for (std::uint64_t i = 1; i <= 10000; ++i) REQUIRE(t.find(i, r.id_of()) == i - 1);

    IdTable u;
    u.reserve(5000);
    const std::size_t cap = u.capacity();
    CHECK(cap / 4 * 3 >= 5000);
    CHECK(u.memory_bytes() == cap * sizeof(IdTable::Entry));
    Records q;
    for (std::uint64_t i = 1; i <= 5000; ++i) REQUIRE(u.insert(i * 1000003, q.add(i * 1000003), q.id_of()));
    CHECK(u.capacity() == cap);  // no growth after reserve
    u.reserve(10);               // never shrinks
    CHECK(u.capacity() == cap);
    require_valid(u);
}

TEST_CASE("large tables are mapped (past 2 MiB) and keep every entry across growth") {
    IdTable t;
    Records r;
    const std::uint32_t n = 400000;  // 2^19 entries * 8 bytes = 4 MiB
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint64_t id = snowflake(1700000000000ull + i / 7, i % 3, i % 4096);
        if (t.find(id, r.id_of()) != nil_id) continue;
        REQUIRE(t.insert(id, r.add(id), r.id_of()));
    }
    CHECK(t.memory_bytes() >= (std::size_t{2} << 20));
    require_valid(t);
    for (std::uint32_t s = 0; s < r.ids.size(); ++s) REQUIRE(t.find(r.ids[s], r.id_of()) == s);
}

TEST_CASE("probe runs that wrap around the end of the table") {
    // Ids whose home is the last bucket of a 16-entry table: their run
    // wraps to the start.
    std::vector<std::uint64_t> last;
    for (std::uint64_t id = 1; last.size() < 6; ++id)
        if (home_in(id, 16) == 15) last.push_back(id);
    for (std::size_t victim = 0; victim < last.size(); ++victim) {
        IdTable t;
        Records r;
        for (std::uint64_t id : last) REQUIRE(t.insert(id, r.add(id), r.id_of()));
        REQUIRE(t.capacity() == 16);
        require_valid(t);
        t.erase(last[victim], static_cast<std::uint32_t>(victim));
        r.remove(static_cast<std::uint32_t>(victim));
        require_valid(t);
        for (std::size_t k = 0; k < last.size(); ++k)
            CHECK(t.find(last[k], r.id_of()) == (k == victim ? nil_id : static_cast<std::uint32_t>(k)));
    }
}

TEST_CASE("equal tags are told apart by the records") {
    // Among 300k ids some pairs share all 32 tag bits (birthday bound).
    std::vector<std::pair<std::uint32_t, std::uint64_t>> tags;
    for (std::uint64_t id = 1; id <= 300000; ++id) tags.emplace_back(IdTable::tag_of(id), id);
    std::sort(tags.begin(), tags.end());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
    for (std::size_t i = 1; i < tags.size(); ++i)
        if (tags[i].first == tags[i - 1].first) pairs.emplace_back(tags[i - 1].second, tags[i].second);
    REQUIRE(!pairs.empty());
    for (auto [x, y] : pairs) {
        IdTable t;
        Records r;
        const std::uint32_t sx = r.add(x), sy = r.add(y);
        REQUIRE(t.insert(x, sx, r.id_of()));
        REQUIRE(t.insert(y, sy, r.id_of()));
        CHECK_FALSE(t.insert(y, 5, r.id_of()));
        CHECK(t.find(x, r.id_of()) == sx);
        CHECK(t.find(y, r.id_of()) == sy);
        t.erase(x, sx);
        r.remove(sx);
        CHECK(t.find(x, r.id_of()) == nil_id);
        CHECK(t.find(y, r.id_of()) == sy);
        require_valid(t);
    }
}

TEST_CASE("randomized against std::unordered_map") {
    struct Run {
        std::uint64_t seed;
        int ids;  // 0: random 64-bit, 1: snowflakes, 2: small dense range
        std::size_t ops;
        std::size_t universe;
    };
    const Run runs[] = {
        {1, 0, 300000, 5000},  {2, 1, 300000, 50000}, {3, 2, 300000, 2000},
        {4, 2, 200000, 64},    {5, 1, 200000, 300},   {6, 0, 400000, 200000},
    };
    std::size_t total_ops = 0;
    for (const Run& run : runs) {
        INFO("seed " << run.seed);
        std::mt19937_64 rng(run.seed);
        std::vector<std::uint64_t> universe;
        for (std::size_t i = 0; i < run.universe; ++i) {
            std::uint64_t id = run.ids == 0   ? (rng() | 1)
                               : run.ids == 1 ? snowflake(1600000000000ull + i / 5, rng() % 4, i % 4096)
                                              : i + 1;
            universe.push_back(id);
        }
        std::sort(universe.begin(), universe.end());
        universe.erase(std::unique(universe.begin(), universe.end()), universe.end());
        IdTable t;
        Records r;
        std::unordered_map<std::uint64_t, std::uint32_t> ref;
        std::vector<std::uint64_t> present;  // ids in ref, for picking
        for (std::size_t op = 0; op < run.ops; ++op) {
            const std::uint64_t id = universe[rng() % universe.size()];
            const unsigned dice = static_cast<unsigned>(rng() % 100);
            if (dice < 45) {  // insert (or a refused duplicate)
                const bool had = ref.count(id) != 0;
                if (had) {
                    REQUIRE_FALSE(t.insert(id, 12345, r.id_of()));
                } else {
                    const std::uint32_t s = r.add(id);
                    REQUIRE(t.insert(id, s, r.id_of()));
                    ref.emplace(id, s);
                    present.push_back(id);
                }
            } else if (dice < 80) {  // erase a present id
                if (present.empty()) continue;
                const std::size_t k = rng() % present.size();
                const std::uint64_t victim = present[k];
                present[k] = present.back();
                present.pop_back();
                const std::uint32_t s = ref.at(victim);
                t.erase(victim, s);
                r.remove(s);
                ref.erase(victim);
            } else if (dice < 98) {  // find (present or not)
                auto it = ref.find(id);
                REQUIRE(t.find(id, r.id_of()) == (it == ref.end() ? nil_id : it->second));
            } else if (dice < 99) {
                t.reserve(ref.size() + rng() % 1000);
            } else if (rng() % 20 == 0) {
                t.clear();
                for (auto& [k, s] : ref) r.remove(s);
                ref.clear();
                present.clear();
            }
            REQUIRE(t.size() == ref.size());
            if (ref.size() < 200 || op % 4096 == 0) require_valid(t);
        }
        require_valid(t);
        std::size_t visited = 0;
        t.for_each([&](std::uint32_t s) {
            ++visited;
            REQUIRE(ref.at(r.ids[s]) == s);
        });
        CHECK(visited == ref.size());
        for (auto& [id, s] : ref) REQUIRE(t.find(id, r.id_of()) == s);
        total_ops += run.ops;
    }
    MESSAGE("id table ops checked: " << total_ops);
}

}  // TEST_SUITE
