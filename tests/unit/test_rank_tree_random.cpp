// Randomized tests of roster::RankTree against a reference model: a sorted
// std::vector of (key, id) pairs where a new key goes after every equal key
// (std::upper_bound), exactly the tree's rule. Seeds are fixed, so every run
// performs the same operations.
//
// Every operation's result is compared with the model (the index returned by
// insert / insert_at / erase, index_of, at, lower_bound's node and index,
// next / prev). While the tree holds <= 1000 nodes, check_invariants() and a
// full in-order comparison run after every operation; above that, every
// 10,000 operations and at the end of every phase.
//
// The model's pairs are 8 bytes (keys are drawn below 2^32) so that the
// vector's O(n) inserts stay cheap at 100,000 entries.
#include <doctest/doctest.h>

#include "rank_tree.hpp"
#include "slab.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using roster::nil_id;
using Id = std::uint32_t;

struct E {
    roster::RankNode node;
    std::uint64_t key;
};

struct Acc {
    roster::Slab<E>* s;
    roster::RankNode& operator()(std::uint32_t i) const { return (*s)[i].node; }
};

using Tree = roster::RankTree<Acc>;

struct KeyLess {
    const roster::Slab<E>* s;
    bool operator()(Id a, Id b) const { return (*s)[a].key < (*s)[b].key; }
};

struct Ref {
    std::uint32_t key;
    Id id;
};
static_assert(sizeof(Ref) == 8);

// Operations run by all test cases together (reported at the end of each).
std::uint64_t g_total_ops = 0;

class Model {
public:
    enum class Mode { grow, shrink, churn };

    Model(std::uint64_t seed, std::uint32_t key_range)
        : seed_(seed), rng_(seed), key_range_(key_range) {}
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    // Knobs.
    void set_key_range(std::uint32_t r) { key_range_ = r; }
    void set_insert_at_one_in(std::uint32_t n) { insert_at_one_in_ = n; }
    void set_rebuild_one_in(std::uint32_t n) { rebuild_one_in_ = n; }
    void set_clear_one_in(std::uint32_t n) { clear_one_in_ = n; }

    std::uint32_t size() const { return static_cast<std::uint32_t>(ref_.size()); }
    std::uint64_t ops() const { return ops_; }
    std::uint32_t max_size() const { return max_size_; }
    std::uint64_t full_checks() const { return full_checks_; }
    std::uint64_t rebuilds() const { return rebuilds_; }
    std::uint64_t clears() const { return clears_; }

    // Grows or shrinks to exactly `target` nodes with mutation-heavy steps.
    void run_to(std::uint32_t target) {
        target_ = target;
        while (size() != target) step(size() < target ? Mode::grow : Mode::shrink);
        full_check();
    }

    // `count` mixed steps keeping the size around its current value.
    void churn(std::uint64_t count) {
        target_ = size();
        for (std::uint64_t i = 0; i < count; ++i) step(Mode::churn);
        full_check();
    }

    std::string summary() const {
        std::ostringstream os;
        os << "seed 0x" << std::hex << seed_ << std::dec << ": " << ops_ << " ops (insert " << n_insert_ << ", insert_at "
           << n_insert_at_ << ", erase " << n_erase_ << ", index_of " << n_index_of_ << ", at "
           << n_at_ << ", lower_bound " << n_lower_bound_ << ", next/prev " << n_next_prev_
           << ", rebuild " << rebuilds_ << ", clear " << clears_ << "), max size " << max_size_
           << ", full checks " << full_checks_;
        return os.str();
    }

    void full_check() {
        ++full_checks_;
        std::string why;
        if (!tree_.check_invariants(KeyLess{&slab_}, &why)) fail("check_invariants: " + why);
        if (tree_.size() != size()) fail("size() differs from the model");
        Id x = tree_.first();
        for (std::uint32_t i = 0; i < size(); ++i) {
            if (x != ref_[i].id) fail("in-order contents differ at index " + std::to_string(i));
            if (slab_[x].key != ref_[i].key) fail("key differs at index " + std::to_string(i));
            x = tree_.next(x);
        }
        if (x != nil_id) fail("tree continues past the model's end");
        Id last = size() ? ref_.back().id : nil_id;
        if (tree_.last() != last) fail("last() differs");
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        std::ostringstream os;
        os << what << " (seed 0x" << std::hex << seed_ << std::dec << ", op " << ops_ << " = "
           << op_name_ << ", size " << ref_.size() << ", key range " << key_range_ << ")";
        FAIL(os.str());
        throw 0;  // not reached: FAIL throws
    }
    void expect(std::uint64_t got, std::uint64_t want, const char* what) const {
        if (got != want) {
            fail(std::string(what) + ": got " + std::to_string(got) + ", want " +
                 std::to_string(want));
        }
    }

    std::uint32_t below(std::uint64_t n) { return static_cast<std::uint32_t>(rng_() % n); }

    // A node for insertion: often an erased node with stale links (the tree
    // must reset them), otherwise a fresh slab id.
    Id take_node() {
        if (!detached_.empty() && (rng_() & 1)) {
            Id id = detached_.back();
            detached_.pop_back();
            return id;
        }
        return slab_.allocate();
    }
    void release_node(Id id) {
        if (rng_() & 1)
            detached_.push_back(id);
        else
            slab_.free(id);
    }

    void op_insert() {
        op_name_ = "insert";
        ++n_insert_;
        const std::uint32_t key = below(key_range_);
        const Id id = take_node();
        slab_[id].key = key;
        auto pos = std::upper_bound(ref_.begin(), ref_.end(), key,
                                    [](std::uint32_t k, const Ref& r) { return k < r.key; });
        const auto want = static_cast<std::uint32_t>(pos - ref_.begin());
        expect(tree_.insert(id, KeyLess{&slab_}), want, "insert index");
        ref_.insert(pos, Ref{key, id});
    }

    void op_insert_at() {
        op_name_ = "insert_at";
        ++n_insert_at_;
        const std::uint32_t n = size();
        const std::uint32_t pos = below(std::uint64_t{n} + 1);
        // A key that keeps the order: between the neighbours, inclusive.
        const std::uint32_t lo = pos > 0 ? ref_[pos - 1].key : 0;
        const std::uint32_t hi = pos < n ? ref_[pos].key : key_range_ - 1;
        const std::uint32_t key = lo + below(std::uint64_t{hi} - lo + 1);
        const Id id = take_node();
        slab_[id].key = key;
        expect(tree_.insert_at(id, pos), pos, "insert_at index");
        ref_.insert(ref_.begin() + pos, Ref{key, id});
        expect(tree_.index_of(id), pos, "index_of after insert_at");
    }

    void op_erase() {
        op_name_ = "erase";
        ++n_erase_;
        const std::uint32_t i = below(size());
        const Id id = ref_[i].id;
        expect(tree_.erase(id), i, "erase index");
        ref_.erase(ref_.begin() + i);
        release_node(id);
    }

    void op_index_of() {
        op_name_ = "index_of";
        ++n_index_of_;
        if (ref_.empty()) return;
        const std::uint32_t i = below(size());
        expect(tree_.index_of(ref_[i].id), i, "index_of");
    }

    void op_at() {
        op_name_ = "at";
        ++n_at_;
        const std::uint32_t n = size();
        const std::uint32_t k = below(std::uint64_t{n} + 2);
        expect(tree_.at(k), k < n ? ref_[k].id : nil_id, "at");
    }

    void op_lower_bound() {
        op_name_ = "lower_bound";
        ++n_lower_bound_;
        // Up to key_range inclusive: sometimes above every key.
        const std::uint32_t key = below(std::uint64_t{key_range_} + 1);
        auto pos = std::lower_bound(ref_.begin(), ref_.end(), key,
                                    [](const Ref& r, std::uint32_t k) { return r.key < k; });
        const auto index = static_cast<std::uint32_t>(pos - ref_.begin());
        const Id node = index < size() ? ref_[index].id : nil_id;
        const std::uint64_t k64 = key;
        auto got = tree_.lower_bound([this, k64](Id x) { return slab_[x].key < k64; });
        expect(got.node, node, "lower_bound node");
        expect(got.index, index, "lower_bound index");
    }

    void op_next_prev() {
        op_name_ = "next/prev";
        ++n_next_prev_;
        const std::uint32_t n = size();
        if (n == 0) {
            expect(tree_.first(), nil_id, "first() of empty");
            expect(tree_.last(), nil_id, "last() of empty");
            return;
        }
        expect(tree_.first(), ref_.front().id, "first()");
        expect(tree_.last(), ref_.back().id, "last()");
        const std::uint32_t i = below(n);
        // A few steps each way from a random node.
        Id x = ref_[i].id;
        for (std::uint32_t j = i + 1; j <= i + 4; ++j) {
            x = tree_.next(x);
            expect(x, j < n ? ref_[j].id : nil_id, "next");
            if (x == nil_id) break;
        }
        x = ref_[i].id;
        for (std::uint32_t j = i; j-- > 0 && j + 4 >= i;) {
            x = tree_.prev(x);
            expect(x, ref_[j].id, "prev");
        }
        if (i < 4) {
            // Walked down to index 0 (or started there): one more is nil.
            expect(tree_.prev(ref_[0].id), nil_id, "prev of first");
        }
    }

    // clear() then build() from the model: same contents, new shape.
    void op_rebuild() {
        op_name_ = "rebuild";
        ++rebuilds_;
        ids_.clear();
        for (const Ref& r : ref_) ids_.push_back(r.id);
        tree_.clear();
        expect(tree_.size(), 0, "size after clear");
        tree_.build(ids_.data(), size());
        expect(tree_.size(), size(), "size after build");
    }

    // clear() the tree and the model; the nodes become stale spares.
    void op_clear() {
        op_name_ = "clear";
        ++clears_;
        tree_.clear();
        expect(tree_.size(), 0, "size after clear");
        expect(tree_.root(), nil_id, "root after clear");
        for (const Ref& r : ref_) detached_.push_back(r.id);
        ref_.clear();
    }

    void step(Mode mode) {
        ++ops_;
        ++g_total_ops;
        const std::uint32_t n = size();
        // Percentages of inserts and erases; the rest are queries.
        std::uint32_t ins = 0, era = 0;
        switch (mode) {
            case Mode::grow: ins = 70; era = 15; break;
            case Mode::shrink: ins = 15; era = 70; break;
            case Mode::churn:
                ins = n < target_ ? 30 : n > target_ ? 20 : 25;
                era = 50 - ins;
                break;
        }
        const std::uint32_t r = below(100);
        if (mode == Mode::churn && rebuild_one_in_ && below(rebuild_one_in_) == 0) {
            op_rebuild();
        } else if (mode == Mode::churn && clear_one_in_ && n <= 1000 &&
                   below(clear_one_in_) == 0) {
            op_clear();
        } else if (r < ins || (r < ins + era && n == 0)) {
            if (below(insert_at_one_in_) == 0)
                op_insert_at();
            else
                op_insert();
        } else if (r < ins + era) {
            op_erase();
        } else {
            switch (below(5)) {
                case 0: op_index_of(); break;
                case 1: op_at(); break;
                case 2:
                case 3: op_lower_bound(); break;
                default: op_next_prev(); break;
            }
        }
        if (size() > max_size_) max_size_ = size();
        expect(tree_.size(), size(), "size()");
        if (size() <= 1000 || ++since_full_ >= 10000) {
            since_full_ = 0;
            full_check();
        }
    }

    const std::uint64_t seed_;
    std::mt19937_64 rng_;
    std::uint32_t key_range_;
    std::uint32_t insert_at_one_in_ = 8;
    std::uint32_t rebuild_one_in_ = 20000;
    std::uint32_t clear_one_in_ = 0;
    std::uint32_t target_ = 0;

    roster::Slab<E> slab_;
    Tree tree_{Acc{&slab_}};
    std::vector<Ref> ref_;
    std::vector<Id> detached_;  // erased nodes kept with their stale links
    std::vector<Id> ids_;       // scratch for build()

    const char* op_name_ = "none";
    std::uint64_t ops_ = 0, since_full_ = 0, full_checks_ = 0;
    std::uint64_t n_insert_ = 0, n_insert_at_ = 0, n_erase_ = 0, n_index_of_ = 0, n_at_ = 0,
                  n_lower_bound_ = 0, n_next_prev_ = 0, rebuilds_ = 0, clears_ = 0;
    std::uint32_t max_size_ = 0;
};

void report(const Model& m) {
    MESSAGE(m.summary() << "; all rank_tree_random cases so far: " << g_total_ops << " ops");
}

}  // namespace

TEST_SUITE("rank_tree_random") {

TEST_CASE("tiny trees, keys from tiny ranges") {
    Model m(0x1001, 1);
    for (std::uint32_t range : {1u, 2u, 3u, 7u}) {
        CAPTURE(range);
        m.set_key_range(range);
        m.set_rebuild_one_in(500);
        m.set_clear_one_in(3000);
        for (std::uint32_t target : {1u, 0u, 2u, 1u, 3u, 0u, 5u, 2u, 10u, 0u}) {
            m.run_to(target);
            m.churn(6000);
        }
    }
    m.run_to(0);
    report(m);
    CHECK(m.ops() >= 240000);
    CHECK(m.clears() > 0);
    CHECK(m.rebuilds() > 0);
}

TEST_CASE("grow to 10, 100 and 1000 and back") {
    Model m(0x2002, 16);
    struct Phase {
        std::uint32_t target;
        std::uint64_t churn;
    };
    const Phase phases[] = {{2, 2000},     {10, 10000},  {100, 20000}, {1000, 60000},
                            {100, 10000},  {10, 5000},   {1, 1000},    {0, 1000}};
    for (std::uint32_t range : {16u, 0x80000000u}) {
        CAPTURE(range);
        m.set_key_range(range);
        for (const Phase& p : phases) {
            m.run_to(p.target);
            m.churn(p.churn);
        }
    }
    report(m);
    CHECK(m.max_size() >= 1000);
    CHECK(m.ops() >= 220000);
}

TEST_CASE("insert_at, rebuild and clear heavy, up to 500") {
    Model m(0x4004, 64);
    m.set_insert_at_one_in(2);
    m.set_rebuild_one_in(300);
    m.set_clear_one_in(15000);
    const std::uint32_t targets[] = {50, 500, 5, 300, 0, 200, 1};
    for (std::uint32_t range : {64u, 1000000u}) {
        CAPTURE(range);
        m.set_key_range(range);
        for (std::uint32_t t : targets) {
            m.run_to(t);
            m.churn(10000);
        }
    }
    m.run_to(0);
    report(m);
    CHECK(m.rebuilds() > 100);
    CHECK(m.clears() > 0);
    CHECK(m.ops() >= 140000);
}

TEST_CASE("grow to 10,000 and 100,000 and back") {
    SUBCASE("keys from 0..999: ~100 duplicates per key at 100,000") {
        Model m(0x3003, 1000);
        m.run_to(10000);
        m.churn(100000);
        m.run_to(100000);
        m.churn(100000);
        m.run_to(10000);
        m.churn(20000);
        m.run_to(0);
        report(m);
        CHECK(m.max_size() >= 100000);
        CHECK(m.ops() >= 500000);
    }
    SUBCASE("keys from 0..2^31-1: nearly all distinct") {
        Model m(0x3004, 0x80000000u);
        m.run_to(10000);
        m.churn(30000);
        m.run_to(100000);
        m.churn(20000);
        m.run_to(0);
        report(m);
        CHECK(m.max_size() >= 100000);
        CHECK(m.ops() >= 380000);
    }
}

}  // TEST_SUITE
