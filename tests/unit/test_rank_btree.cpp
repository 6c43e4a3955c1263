// Tests of the counted B+tree (src/rank_btree.hpp): unit edges and
// randomized runs against a sorted std::vector reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "rank_btree.hpp"
#include "slab.hpp"

namespace {

using roster::BTreeHook;
using roster::nil_id;
using roster::RankBTree;
using roster::Slab;

struct Item {
    std::uint64_t key;
    std::uint64_t seq;  // tie-break: insertion sequence, so equal keys keep order
};

struct Store {
    Slab<Item> items;
    Slab<BTreeHook> hooks;
    std::uint64_t next_seq = 0;

    std::uint32_t make(std::uint64_t key) {
        std::uint32_t id = items.allocate();
        if (hooks.allocate() != id) FAIL("hook and item slabs diverged");
        items[id] = Item{key, next_seq++};
        return id;
    }
    void release(std::uint32_t id) {
        items.free(id);
        hooks.free(id);
    }
};

// The prefix deliberately drops the low 4 bits of the key so that prefix
// ties (resolved by less()) are common.
struct Traits {
    Store* s;
    BTreeHook& hook(std::uint32_t id) const { return s->hooks[id]; }
    std::uint64_t prefix(std::uint32_t id) const { return s->items[id].key >> 4; }
    bool less(std::uint32_t a, std::uint32_t b) const {
        const Item& x = s->items[a];
        const Item& y = s->items[b];
        return x.key != y.key ? x.key < y.key : x.seq < y.seq;
    }
};

template <unsigned L = 64, unsigned I = 64>
using Tree = RankBTree<Traits, L, I>;

template <class T>
std::vector<std::uint32_t> contents(const T& t) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t x = t.first(); x != nil_id; x = t.next(x)) out.push_back(x);
    return out;
}

template <class T>
void require_valid(const T& t) {
    std::string why;
    bool ok = t.check_invariants(&why);
    INFO(why);
    REQUIRE(ok);
}

}  // namespace

TEST_SUITE("rank_btree") {

TEST_CASE("empty tree") {
    Store s;
    Tree<> t(Traits{&s});
    CHECK(t.size() == 0);
    CHECK(t.empty());
    CHECK(t.height() == 0);
    CHECK(t.at(0) == nil_id);
    CHECK(t.first() == nil_id);
    CHECK(t.last() == nil_id);
    auto f = t.lower_bound([](std::uint32_t) { return true; });
    CHECK(f.node == nil_id);
    CHECK(f.index == 0);
    int calls = 0;
    t.for_range(0, 10, [&](std::uint32_t) { ++calls; });
    CHECK(calls == 0);
    require_valid(t);
}

TEST_CASE("one entry: insert, query, erase back to empty") {
    Store s;
    Tree<> t(Traits{&s});
    std::uint32_t a = s.make(42);
    CHECK(t.insert(a) == 0);
    CHECK(t.size() == 1);
    CHECK(t.height() == 1);
    CHECK(t.at(0) == a);
    CHECK(t.at(1) == nil_id);
    CHECK(t.index_of(a) == 0);
    CHECK(t.first() == a);
    CHECK(t.last() == a);
    CHECK(t.next(a) == nil_id);
    CHECK(t.prev(a) == nil_id);
    require_valid(t);
    CHECK(t.erase(a) == 0);
    CHECK(t.empty());
    CHECK(s.hooks[a].leaf == nil_id);
    require_valid(t);
    // Reusable after becoming empty.
    CHECK(t.insert(a) == 0);
    require_valid(t);
}

TEST_CASE("ascending and descending inserts split leaves and grow the root") {
    for (bool ascending : {true, false}) {
        Store s;
        Tree<8, 8> t(Traits{&s});
        const std::uint32_t n = 2000;
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint64_t key = ascending ? i : n - i;
            std::uint32_t id = s.make(key * 16);
            CHECK(t.insert(id) == (ascending ? i : 0));
            if (i < 300) require_valid(t);
        }
        require_valid(t);
        CHECK(t.size() == n);
        CHECK(t.height() >= 4);
        for (std::uint32_t k = 0; k < n; ++k) REQUIRE(t.index_of(t.at(k)) == k);
    }
}

TEST_CASE("equal keys keep insertion order; prefix ties resolved by less") {
    Store s;
    Tree<8, 8> t(Traits{&s});
    std::vector<std::uint32_t> ids;
    // Keys 16..31 share one prefix; several exact duplicates as well.
    for (int i = 0; i < 60; ++i) {
        std::uint32_t id = s.make(16 + static_cast<std::uint64_t>(i % 5));
        ids.push_back(id);
        t.insert(id);
        require_valid(t);
    }
    std::vector<std::uint32_t> expect = ids;
    std::stable_sort(expect.begin(), expect.end(), [&](std::uint32_t a, std::uint32_t b) {
        return s.items[a].key < s.items[b].key;
    });
    CHECK(contents(t) == expect);
    // A new duplicate of key 18 goes after every existing 18.
    std::uint32_t d = s.make(18);
    std::uint32_t idx = t.insert(d);
    CHECK(idx == 12 * 3);  // 12 each of 16 and 17, and the 12 existing 18s, come before
    CHECK(t.at(idx) == d);
    require_valid(t);
}

TEST_CASE("erase from front, back and middle, down to empty, collapsing the root") {
    Store s;
    Tree<8, 8> t(Traits{&s});
    std::vector<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < 500; ++i) ids.push_back(s.make(i * 16));
    for (std::uint32_t id : ids) t.insert(id);
    std::vector<std::uint32_t> ref = ids;
    int step = 0;
    while (!ref.empty()) {
        std::size_t pos = step % 3 == 0 ? 0 : step % 3 == 1 ? ref.size() - 1 : ref.size() / 2;
        CHECK(t.erase(ref[pos]) == pos);
        ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(pos));
        require_valid(t);
        ++step;
    }
    CHECK(t.empty());
    CHECK(t.height() == 0);
}

TEST_CASE("lower_bound: absent, present, duplicated, below and above all") {
    Store s;
    Tree<8, 8> t(Traits{&s});
    std::vector<std::uint64_t> keys = {10, 20, 20, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    for (int rep = 0; rep < 4; ++rep)
        for (std::uint64_t k : keys) t.insert(s.make(k));
    require_valid(t);
    auto lb = [&](std::uint64_t key) {
        return t.lower_bound([&](std::uint32_t id) { return s.items[id].key < key; });
    };
    auto ref_index = [&](std::uint64_t key) {
        std::uint32_t i = 0;
        for (std::uint32_t x = t.first(); x != nil_id && s.items[x].key < key; x = t.next(x)) ++i;
        return i;
    };
    for (std::uint64_t key : {0ull, 10ull, 15ull, 20ull, 21ull, 55ull, 100ull, 101ull}) {
        auto f = lb(key);
        CHECK(f.index == ref_index(key));
        if (f.index < t.size()) {
            CHECK(f.node == t.at(f.index));
            CHECK(s.items[f.node].key >= key);
        } else {
            CHECK(f.node == nil_id);
        }
    }
    CHECK(lb(0).index == 0);
    CHECK(lb(20).index == 4);    // four 10s first
    CHECK(lb(101).index == 48);  // past the end
}

TEST_CASE("cursors and for_range read runs of rows across leaves") {
    Store s;
    Tree<8, 8> t(Traits{&s});
    for (std::uint32_t i = 0; i < 300; ++i) t.insert(s.make(i * 16));
    std::vector<std::uint32_t> all = contents(t);
    REQUIRE(all.size() == 300);
    for (std::uint32_t start : {0u, 1u, 7u, 8u, 150u, 290u, 299u, 300u, 1000u}) {
        std::vector<std::uint32_t> got;
        t.for_range(start, 20, [&](std::uint32_t id) { got.push_back(id); });
        std::vector<std::uint32_t> want;
        for (std::uint32_t k = start; k < start + 20 && k < 300; ++k) want.push_back(all[k]);
        CHECK(got == want);
    }
    auto c = t.cursor_at(5);
    CHECK(t.at(c) == all[5]);
    c = t.advance(c);
    CHECK(t.at(c) == all[6]);
    auto e = t.cursor_of(all[299]);
    CHECK(t.at(t.advance(e)) == nil_id);
    CHECK(t.prev(all[100]) == all[99]);
    CHECK(t.prev(all[0]) == nil_id);
    CHECK(t.last() == all[299]);
}

TEST_CASE("locate through a finger: from the inner nodes, ascending rows, near and far") {
    Store s;
    Tree<8, 8> t(Traits{&s});
    for (std::uint32_t i = 0; i < 3000; ++i) t.insert(s.make(i * 16));
    const std::vector<std::uint32_t> all = contents(t);
    Tree<8, 8>::Finger f;
    // Ascending, with gaps small (same inner node) and large (a new walk).
    for (std::uint32_t k : {0u, 1u, 5u, 8u, 9u, 40u, 41u, 200u, 1500u, 1501u, 2999u}) {
        const auto c = t.locate(f, k);
        CHECK(t.at(c) == all[k]);
    }
    // Behind the finger: a new walk from the root, still right.
    CHECK(t.at(t.locate(f, 3)) == all[3]);
    std::vector<std::uint32_t> got;
    t.for_rows(f, 6, 30, [&](std::uint32_t id) { got.push_back(id); });
    CHECK(got == std::vector<std::uint32_t>(all.begin() + 6, all.begin() + 36));
    // One leaf: height 0.
    Store s1;
    Tree<8, 8> one(Traits{&s1});
    for (std::uint32_t i = 0; i < 5; ++i) one.insert(s1.make(i));
    Tree<8, 8>::Finger f1;
    CHECK(one.at(one.locate(f1, 4)) == contents(one)[4]);
    one.prefetch_insert(s1.make(2));  // a hint: no change
    CHECK(one.size() == 5);
    require_valid(one);
}

TEST_CASE("build from sorted ids, then insert and erase") {
    for (std::uint32_t n : {0u, 1u, 2u, 3u, 7u, 8u, 47u, 48u, 49u, 100u, 1000u, 5000u}) {
        Store s;
        Tree<> t(Traits{&s});
        std::vector<std::uint32_t> ids;
        for (std::uint32_t i = 0; i < n; ++i) ids.push_back(s.make(i * 32));
        t.build(ids.data(), n);
        require_valid(t);
        CHECK(t.size() == n);
        CHECK(contents(t) == ids);
        // Key n*16 goes after every i*32 <= n*16, i.e. i = 0 .. n/2.
        std::uint32_t x = s.make(n * 16);
        const std::uint32_t where = n == 0 ? 0 : n / 2 + 1;
        CHECK(t.insert(x) == where);
        require_valid(t);
        CHECK(t.erase(x) == where);
        if (n) CHECK(t.erase(ids[0]) == 0);
        require_valid(t);
    }
}

TEST_CASE("build replaces previous contents; clear empties") {
    Store s;
    Tree<8, 8> t(Traits{&s});
    for (std::uint32_t i = 0; i < 100; ++i) t.insert(s.make(i * 16));
    std::vector<std::uint32_t> fresh;
    for (std::uint32_t i = 0; i < 30; ++i) fresh.push_back(s.make(5000 + i * 16));
    t.build(fresh.data(), 30);
    CHECK(contents(t) == fresh);
    require_valid(t);
    t.clear();
    CHECK(t.empty());
    CHECK(t.first() == nil_id);
    require_valid(t);
}

TEST_CASE("check_invariants detects corruption") {
    Store s;
    Tree<8, 8> t(Traits{&s});
    std::vector<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < 100; ++i) {
        ids.push_back(s.make(i * 16));
        t.insert(ids.back());
    }
    require_valid(t);
    std::string why;

    SUBCASE("a hook naming the wrong leaf") {
        s.hooks[ids[50]].leaf = s.hooks[ids[0]].leaf == 0 ? 1 : 0;
        CHECK_FALSE(t.check_invariants(&why));
        CHECK(why == "entry hook names the wrong leaf");
    }
    SUBCASE("a key changed behind the tree's back (stale prefix)") {
        s.items[ids[50]].key = 5;
        CHECK_FALSE(t.check_invariants(&why));
        CHECK(why == "stored prefix is stale");
    }
    SUBCASE("two equal keys whose tie-break flips (order broken, prefixes intact)") {
        Store s2;
        Tree<8, 8> t2(Traits{&s2});
        std::uint32_t a = s2.make(5);
        std::uint32_t b = s2.make(5);
        t2.insert(a);
        t2.insert(b);
        require_valid(t2);
        s2.items[a].seq = s2.items[b].seq + 1;
        CHECK_FALSE(t2.check_invariants(&why));
        CHECK(why == "entries out of order");
    }
}

}  // TEST_SUITE

// ------------------------------------------------------------- randomized --

namespace {

struct RandomRun {
    std::uint64_t seed;
    int steps;
    std::uint64_t key_range;  // small ranges make duplicates common
    std::size_t target;       // phases alternately grow towards it and shrink
    std::size_t check_below;  // check_invariants after every op below this size
    int phase = 20000;        // steps per grow or shrink phase
};

template <unsigned L, unsigned I>
std::uint64_t random_run(const RandomRun& cfg) {
    Store s;
    Tree<L, I> t(Traits{&s});
    std::mt19937_64 rng(cfg.seed);
    std::vector<std::uint32_t> ref;  // ids in order
    std::vector<std::uint32_t> live;
    auto key = [&](std::uint32_t id) { return s.items[id].key; };
    Traits tr{&s};
    std::uint64_t ops = 0;
    for (int step = 0; step < cfg.steps; ++step, ++ops) {
        const bool growing = (step / cfg.phase) % 2 == 0;
        const unsigned op = static_cast<unsigned>(rng() % 16);
        if (op == 0 && !live.empty()) {  // at
            std::uint32_t k = static_cast<std::uint32_t>(rng() % (ref.size() + 1));
            REQUIRE(t.at(k) == (k < ref.size() ? ref[k] : nil_id));
        } else if (op == 1 && !live.empty()) {  // index_of
            std::uint32_t id = live[rng() % live.size()];
            std::uint32_t i = t.index_of(id);
            REQUIRE(i < ref.size());
            REQUIRE(ref[i] == id);
        } else if (op == 2) {  // lower_bound
            std::uint64_t k = rng() % cfg.key_range;
            auto f = t.lower_bound([&](std::uint32_t id) { return key(id) < k; });
            auto pos = static_cast<std::uint32_t>(
                std::lower_bound(ref.begin(), ref.end(), k,
                                 [&](std::uint32_t id, std::uint64_t v) { return key(id) < v; }) -
                ref.begin());
            REQUIRE(f.index == pos);
            REQUIRE(f.node == (pos < ref.size() ? ref[pos] : nil_id));
        } else if (op == 3 && !live.empty()) {  // next / prev
            std::uint32_t id = live[rng() % live.size()];
            std::uint32_t i = t.index_of(id);
            REQUIRE(t.next(id) == (i + 1 < ref.size() ? ref[i + 1] : nil_id));
            REQUIRE(t.prev(id) == (i > 0 ? ref[i - 1] : nil_id));
        } else if (op == 5 && !ref.empty()) {  // ascending runs read through one finger
            typename Tree<L, I>::Finger finger;
            std::uint32_t k = static_cast<std::uint32_t>(rng() % ref.size());
            for (int r = 0; r < 4 && k < ref.size(); ++r) {
                const std::uint32_t n =
                    std::min<std::uint32_t>(1 + static_cast<std::uint32_t>(rng() % 40),
                                            static_cast<std::uint32_t>(ref.size()) - k);
                std::vector<std::uint32_t> got;
                t.for_rows(finger, k, n, [&](std::uint32_t id) { got.push_back(id); });
                REQUIRE(got == std::vector<std::uint32_t>(ref.begin() + k, ref.begin() + k + n));
                k += n + static_cast<std::uint32_t>(rng() % 200);
            }
            if (!live.empty()) t.prefetch_insert(live[rng() % live.size()]);  // a hint: no change
        } else if (op == 4 && step % 997 == 0) {  // rebuild from the reference
            t.build(ref.data(), static_cast<std::uint32_t>(ref.size()));
        } else {
            bool insert = live.empty() ||
                          (live.size() < cfg.target && growing ? rng() % 4 != 0 : rng() % 4 == 0);
            if (insert) {
                std::uint32_t id = s.make(rng() % cfg.key_range);
                auto pos = static_cast<std::uint32_t>(
                    std::upper_bound(ref.begin(), ref.end(), id,
                                     [&](std::uint32_t a, std::uint32_t b) { return tr.less(a, b); }) -
                    ref.begin());
                REQUIRE(t.insert(id) == pos);
                ref.insert(ref.begin() + pos, id);
                live.push_back(id);
            } else {
                std::size_t k = rng() % live.size();
                std::uint32_t id = live[k];
                live[k] = live.back();
                live.pop_back();
                std::uint32_t i = t.erase(id);
                REQUIRE(i < ref.size());
                REQUIRE(ref[i] == id);
                ref.erase(ref.begin() + i);
                s.release(id);
            }
        }
        REQUIRE(t.size() == ref.size());
        if (ref.size() < cfg.check_below || step % 4096 == 0) {
            require_valid(t);
            if (ref.size() < 300) REQUIRE(contents(t) == ref);
        }
    }
    require_valid(t);
    CHECK(contents(t) == ref);
    return ops;
}

}  // namespace

TEST_SUITE("rank_btree_random") {

// Small node capacities make splits, merges, borrows and root changes
// frequent; the default capacities cover the production shape. Together
// these run 1,300,000 operations.
TEST_CASE("random ops, tiny nodes, heavy duplicates") {
    random_run<8, 8>({1, 300000, 40, 2000, 1000});
}
TEST_CASE("random ops, tiny nodes, distinct keys") {
    random_run<8, 8>({2, 200000, 1ull << 40, 5000, 1000});
}
TEST_CASE("random ops, uneven capacities") {
    random_run<16, 8>({3, 200000, 1000, 3000, 1000});
    random_run<8, 16>({4, 100000, 1000, 3000, 1000});
}
TEST_CASE("random ops, production capacities, up to 100,000 entries") {
    random_run<64, 64>({5, 500000, 1ull << 30, 100000, 1000, 250000});
}

}  // TEST_SUITE
