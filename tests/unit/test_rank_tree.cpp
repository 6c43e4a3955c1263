// Unit tests of roster::RankTree: every operation and its edge cases, with
// exact expected values (indices, node ids, shapes after rotations), plus
// proof that check_invariants() does fail on a corrupted tree.
#include <doctest/doctest.h>

#include "rank_tree.hpp"
#include "slab.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

// Readable failure messages for the id / key sequences compared below.
namespace doctest {
template <>
struct StringMaker<std::vector<std::uint32_t>> {
    static String convert(const std::vector<std::uint32_t>& v) {
        std::ostringstream os;
        os << '[';
        for (std::size_t i = 0; i < v.size(); ++i) os << (i ? " " : "") << v[i];
        os << ']';
        return String(os.str().c_str());
    }
};
template <>
struct StringMaker<std::vector<std::uint64_t>> {
    static String convert(const std::vector<std::uint64_t>& v) {
        std::ostringstream os;
        os << '[';
        for (std::size_t i = 0; i < v.size(); ++i) os << (i ? " " : "") << v[i];
        os << ']';
        return String(os.str().c_str());
    }
};
}  // namespace doctest

namespace {

using roster::nil_id;
using Id = std::uint32_t;
using Keys = std::vector<std::uint64_t>;
using Ids = std::vector<Id>;

struct E {
    roster::RankNode node;
    std::uint64_t key;
};

struct Acc {
    roster::Slab<E>* s;
    roster::RankNode& operator()(std::uint32_t i) const { return (*s)[i].node; }
};

using Tree = roster::RankTree<Acc>;
using Found = Tree::Found;

// Compares by key only, so equal keys are ordered by the tree alone.
struct KeyLess {
    const roster::Slab<E>* s;
    bool operator()(Id a, Id b) const { return (*s)[a].key < (*s)[b].key; }
};

// Never "less": disables the order check for trees built by position only.
struct NoOrder {
    bool operator()(Id, Id) const { return false; }
};

struct Fixture {
    roster::Slab<E> slab;
    Tree tree{Acc{&slab}};
    std::string why;

    Fixture() = default;
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    KeyLess less() const { return KeyLess{&slab}; }

    Id make(std::uint64_t key) {
        Id id = slab.allocate();
        slab[id].key = key;
        return id;
    }
    // Inserts a new node with `key`; returns its id.
    Id add(std::uint64_t key) {
        Id id = make(key);
        tree.insert(id, less());
        return id;
    }
    Id insert(Id id) { return tree.insert(id, less()); }

    roster::RankNode& node(Id id) { return slab[id].node; }
    std::uint64_t key(Id id) const { return slab[id].key; }
    Id left_size(Id id) { return node(id).packed >> 2; }
    int balance(Id id) { return static_cast<int>(node(id).packed & 3u) - 1; }

    Found lb(std::uint64_t key) const {
        return tree.lower_bound([this, key](Id x) { return slab[x].key < key; });
    }

    // In-order ids by first()/next().
    Ids ids() const {
        Ids v;
        for (Id x = tree.first(); x != nil_id; x = tree.next(x)) v.push_back(x);
        return v;
    }
    // In-order ids by last()/prev(), reversed back to ascending order.
    Ids ids_backward() const {
        Ids v;
        for (Id x = tree.last(); x != nil_id; x = tree.prev(x)) v.push_back(x);
        std::reverse(v.begin(), v.end());
        return v;
    }
    // In-order ids by at(0..size).
    Ids ids_by_rank() const {
        Ids v;
        for (Id k = 0; k < tree.size(); ++k) v.push_back(tree.at(k));
        return v;
    }
    Keys keys() const {
        Keys v;
        for (Id x : ids()) v.push_back(slab[x].key);
        return v;
    }

    bool valid() {
        why.clear();
        return tree.check_invariants(less(), &why);
    }
    template <class Less>
    bool valid_with(Less l) {
        why.clear();
        return tree.check_invariants(l, &why);
    }

    int height(Id x) {
        if (x == nil_id) return 0;
        return 1 + std::max(height(node(x).left), height(node(x).right));
    }
    int height() { return height(tree.root()); }
};

#define CHECK_VALID(f) CHECK_MESSAGE((f).valid(), (f).why)
#define REQUIRE_VALID(f) REQUIRE_MESSAGE((f).valid(), (f).why)

// Largest height an AVL tree of n nodes can have: the smallest AVL tree of
// height h has N(h) = N(h-1) + N(h-2) + 1 nodes, N(1) = 1, N(2) = 2.
int avl_max_height(std::uint32_t n) {
    if (n == 0) return 0;
    if (n == 1) return 1;
    std::uint64_t a = 1, b = 2;
    int h = 2;
    for (;;) {
        std::uint64_t c = a + b + 1;
        if (c > n) return h;
        ++h;
        a = b;
        b = c;
    }
}

// Height of a perfectly balanced tree of n nodes: floor(log2 n) + 1.
int balanced_height(std::uint32_t n) {
    int h = 0;
    while (n) {
        ++h;
        n >>= 1;
    }
    return h;
}

// The in-order walks all agree with `expected`.
void check_walks(const Fixture& f, const Ids& expected) {
    CHECK(f.tree.size() == expected.size());
    CHECK(f.ids() == expected);
    CHECK(f.ids_backward() == expected);
    CHECK(f.ids_by_rank() == expected);
}

}  // namespace

TEST_SUITE("rank_tree") {

TEST_CASE("constants and layout") {
    CHECK(nil_id == 0xFFFFFFFFu);
    CHECK(Tree::max_size() == (1u << 30) - 1);
    roster::RankNode n;
    CHECK(n.parent == nil_id);
    CHECK(n.left == nil_id);
    CHECK(n.right == nil_id);
    CHECK(n.packed == 1);  // left size 0, balance 0
}

TEST_CASE("empty tree") {
    Fixture f;
    CHECK(f.tree.size() == 0);
    CHECK(f.tree.empty());
    CHECK(f.tree.root() == nil_id);
    CHECK(f.tree.at(0) == nil_id);
    CHECK(f.tree.at(1) == nil_id);
    CHECK(f.tree.at(nil_id) == nil_id);
    CHECK(f.tree.first() == nil_id);
    CHECK(f.tree.last() == nil_id);
    Found r = f.lb(0);
    CHECK(r.node == nil_id);
    CHECK(r.index == 0);
    r = f.lb(std::numeric_limits<std::uint64_t>::max());
    CHECK(r.node == nil_id);
    CHECK(r.index == 0);
    f.why = "untouched";
    CHECK(f.tree.check_invariants(f.less(), &f.why));
    CHECK(f.why == "untouched");  // no reason given on success
    CHECK(f.tree.check_invariants(f.less()));
    CHECK(f.ids().empty());
    CHECK(f.ids_backward().empty());
}

TEST_CASE("one node") {
    Fixture f;
    Id a = f.make(10);
    CHECK(f.insert(a) == 0);
    CHECK(f.tree.size() == 1);
    CHECK_FALSE(f.tree.empty());
    CHECK(f.tree.root() == a);
    CHECK(f.tree.first() == a);
    CHECK(f.tree.last() == a);
    CHECK(f.tree.at(0) == a);
    CHECK(f.tree.at(1) == nil_id);
    CHECK(f.tree.index_of(a) == 0);
    CHECK(f.tree.next(a) == nil_id);
    CHECK(f.tree.prev(a) == nil_id);
    CHECK(f.node(a).parent == nil_id);
    CHECK(f.node(a).left == nil_id);
    CHECK(f.node(a).right == nil_id);
    CHECK(f.node(a).packed == 1);
    Found r = f.lb(5);
    CHECK(r.node == a);
    CHECK(r.index == 0);
    r = f.lb(10);
    CHECK(r.node == a);
    CHECK(r.index == 0);
    r = f.lb(11);
    CHECK(r.node == nil_id);
    CHECK(r.index == 1);
    CHECK_VALID(f);

    CHECK(f.tree.erase(a) == 0);
    CHECK(f.tree.size() == 0);
    CHECK(f.tree.empty());
    CHECK(f.tree.root() == nil_id);
    CHECK(f.tree.first() == nil_id);
    CHECK(f.tree.last() == nil_id);
    CHECK(f.tree.at(0) == nil_id);
    CHECK_VALID(f);

    // The same node goes back in.
    CHECK(f.insert(a) == 0);
    CHECK(f.tree.root() == a);
    CHECK_VALID(f);
}

TEST_CASE("insert returns the index after every equal key") {
    Fixture f;
    struct Step {
        std::uint64_t key;
        Id index;
    };
    const Step steps[] = {{50, 0}, {30, 0}, {70, 2}, {30, 1}, {50, 3},
                          {10, 0}, {90, 6}, {50, 5}, {0, 0},  {100, 9}};
    for (const Step& s : steps) {
        CAPTURE(s.key);
        Id id = f.make(s.key);
        CHECK(f.insert(id) == s.index);
        CHECK(f.tree.index_of(id) == s.index);
        CHECK(f.tree.at(s.index) == id);
        CHECK_VALID(f);
    }
    CHECK(f.keys() == Keys{0, 10, 30, 30, 50, 50, 50, 70, 90, 100});
    CHECK(f.tree.size() == 10);
}

TEST_CASE("insert rotations give the expected shapes") {
    struct Case {
        const char* name;
        std::uint64_t k[3];
    };
    const Case cases[] = {
        {"ascending (single left rotation)", {1, 2, 3}},
        {"descending (single right rotation)", {3, 2, 1}},
        {"left-right double rotation", {3, 1, 2}},
        {"right-left double rotation", {1, 3, 2}},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        Fixture f;
        Id id[4] = {nil_id, nil_id, nil_id, nil_id};  // by key
        for (std::uint64_t k : c.k) id[k] = f.add(k);
        CHECK(f.tree.root() == id[2]);
        CHECK(f.node(id[2]).parent == nil_id);
        CHECK(f.node(id[2]).left == id[1]);
        CHECK(f.node(id[2]).right == id[3]);
        CHECK(f.node(id[1]).parent == id[2]);
        CHECK(f.node(id[3]).parent == id[2]);
        CHECK(f.node(id[1]).left == nil_id);
        CHECK(f.node(id[1]).right == nil_id);
        CHECK(f.node(id[3]).left == nil_id);
        CHECK(f.node(id[3]).right == nil_id);
        CHECK(f.node(id[2]).packed == (1u << 2 | 1u));  // left size 1, balanced
        CHECK(f.node(id[1]).packed == 1u);
        CHECK(f.node(id[3]).packed == 1u);
        CHECK_VALID(f);
    }
}

TEST_CASE("ascending inserts of 2^k - 1 keys give a perfect tree") {
    for (int k = 1; k <= 12; ++k) {
        CAPTURE(k);
        Fixture f;
        const std::uint32_t n = (1u << k) - 1;
        for (std::uint32_t i = 0; i < n; ++i) REQUIRE(f.insert(f.make(i)) == i);
        CHECK(f.height() == k);
        CHECK(f.key(f.tree.root()) == n / 2);
        CHECK(f.left_size(f.tree.root()) == n / 2);
        CHECK(f.balance(f.tree.root()) == 0);
        CHECK_VALID(f);
    }
}

TEST_CASE("AVL height bound under adversarial insert orders") {
    // Descending, zig-zag and organ-pipe orders stay within the AVL bound.
    const std::uint32_t n = 5000;
    CHECK(avl_max_height(1) == 1);
    CHECK(avl_max_height(2) == 2);
    CHECK(avl_max_height(4) == 3);
    CHECK(avl_max_height(6) == 3);
    CHECK(avl_max_height(7) == 4);
    CHECK(avl_max_height(n) == 17);
    auto bound = avl_max_height;
    SUBCASE("descending") {
        Fixture f;
        for (std::uint32_t i = 0; i < n; ++i) REQUIRE(f.insert(f.make(n - i)) == 0);
        CHECK(f.height() <= bound(n));
        CHECK_VALID(f);
    }
    SUBCASE("zig-zag") {
        Fixture f;
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint64_t key = (i % 2) ? 1000000 - i : i;
            REQUIRE(f.insert(f.make(key)) == (i + 1) / 2);
        }
        CHECK(f.height() <= bound(n));
        CHECK_VALID(f);
    }
    SUBCASE("organ pipe") {
        Fixture f;
        for (std::uint32_t i = 0; i < n; ++i) f.add(i < n / 2 ? 2 * i : 2 * (n - i) + 1);
        CHECK(f.height() <= bound(n));
        CHECK_VALID(f);
        Keys k = f.keys();
        CHECK(std::is_sorted(k.begin(), k.end()));
    }
}

TEST_CASE("erase the root") {
    SUBCASE("size 1") {
        Fixture f;
        Id a = f.add(1);
        CHECK(f.tree.erase(a) == 0);
        CHECK(f.tree.root() == nil_id);
        CHECK(f.tree.size() == 0);
        CHECK_VALID(f);
    }
    SUBCASE("size 2, right child") {
        Fixture f;
        Id a = f.add(10);
        Id b = f.add(20);
        REQUIRE(f.tree.root() == a);
        REQUIRE(f.node(a).right == b);
        CHECK(f.tree.erase(a) == 0);
        CHECK(f.tree.root() == b);
        CHECK(f.node(b).parent == nil_id);
        CHECK(f.node(b).packed == 1u);
        CHECK(f.tree.size() == 1);
        check_walks(f, {b});
        CHECK_VALID(f);
    }
    SUBCASE("size 2, left child") {
        Fixture f;
        Id a = f.add(20);
        Id b = f.add(10);
        REQUIRE(f.tree.root() == a);
        REQUIRE(f.node(a).left == b);
        CHECK(f.tree.erase(a) == 1);
        CHECK(f.tree.root() == b);
        CHECK(f.node(b).parent == nil_id);
        CHECK(f.tree.size() == 1);
        check_walks(f, {b});
        CHECK_VALID(f);
    }
    SUBCASE("size 3: successor is the right child") {
        Fixture f;
        Id a = f.make(10), b = f.make(20), c = f.make(30);
        Ids in{a, b, c};
        f.tree.build(in.data(), 3);
        REQUIRE(f.tree.root() == b);
        CHECK(f.tree.erase(b) == 1);
        CHECK(f.tree.root() == c);
        CHECK(f.node(c).parent == nil_id);
        CHECK(f.node(c).left == a);
        CHECK(f.node(c).right == nil_id);
        CHECK(f.node(a).parent == c);
        CHECK(f.left_size(c) == 1);
        CHECK(f.balance(c) == -1);
        check_walks(f, {a, c});
        CHECK_VALID(f);
    }
    SUBCASE("size 15: successor deep in the right subtree") {
        Fixture f;
        Ids in;
        for (std::uint64_t k = 0; k < 15; ++k) in.push_back(f.make(k));
        f.tree.build(in.data(), 15);
        REQUIRE(f.tree.root() == in[7]);
        // The successor, key 8, is the leftmost node under 11 -> 9 -> 8.
        REQUIRE(f.node(in[11]).left == in[9]);
        REQUIRE(f.node(in[9]).left == in[8]);
        CHECK(f.tree.erase(in[7]) == 7);
        CHECK(f.tree.root() == in[8]);
        CHECK(f.node(in[8]).parent == nil_id);
        CHECK(f.node(in[8]).left == in[3]);
        CHECK(f.node(in[8]).right == in[11]);
        CHECK(f.node(in[3]).parent == in[8]);
        CHECK(f.node(in[11]).parent == in[8]);
        CHECK(f.node(in[9]).left == nil_id);
        CHECK(f.node(in[9]).right == in[10]);
        CHECK(f.left_size(in[8]) == 7);
        CHECK(f.left_size(in[11]) == 2);
        CHECK(f.left_size(in[9]) == 0);
        CHECK(f.balance(in[9]) == 1);
        CHECK(f.balance(in[11]) == 0);
        CHECK(f.balance(in[8]) == 0);
        Ids expected = in;
        expected.erase(expected.begin() + 7);
        check_walks(f, expected);
        CHECK_VALID(f);
    }
    SUBCASE("repeatedly, until empty") {
        Fixture f;
        Ids in;
        for (std::uint64_t k = 0; k < 100; ++k) in.push_back(f.make(k * 3));
        f.tree.build(in.data(), 100);
        Ids expected = in;
        while (!f.tree.empty()) {
            Id r = f.tree.root();
            auto pos = std::find(expected.begin(), expected.end(), r);
            REQUIRE(pos != expected.end());
            Id idx = static_cast<Id>(pos - expected.begin());
            REQUIRE(f.tree.index_of(r) == idx);
            REQUIRE(f.tree.erase(r) == idx);
            expected.erase(pos);
            REQUIRE(f.ids() == expected);
            REQUIRE_VALID(f);
        }
        CHECK(f.tree.root() == nil_id);
        CHECK(f.tree.size() == 0);
    }
}

TEST_CASE("erase nodes with 0, 1 and 2 children") {
    // build() of keys 0..6 is the perfect tree
    //          3
    //      1       5
    //    0   2   4   6
    Fixture f;
    Ids in;
    for (std::uint64_t k = 0; k < 7; ++k) in.push_back(f.make(k));
    f.tree.build(in.data(), 7);
    REQUIRE(f.tree.root() == in[3]);
    REQUIRE(f.node(in[3]).left == in[1]);
    REQUIRE(f.node(in[3]).right == in[5]);
    REQUIRE(f.node(in[1]).left == in[0]);
    REQUIRE(f.node(in[1]).right == in[2]);
    REQUIRE(f.node(in[5]).left == in[4]);
    REQUIRE(f.node(in[5]).right == in[6]);
    REQUIRE_VALID(f);

    SUBCASE("leaf, then a node with only a left child, then two children") {
        CHECK(f.tree.erase(in[6]) == 6);  // leaf
        CHECK(f.node(in[5]).right == nil_id);
        CHECK(f.balance(in[5]) == -1);
        CHECK(f.balance(in[3]) == 0);  // height of 5's subtree unchanged
        check_walks(f, {in[0], in[1], in[2], in[3], in[4], in[5]});
        CHECK_VALID(f);

        CHECK(f.tree.erase(in[5]) == 5);  // only a left child: 4 moves up
        CHECK(f.node(in[3]).right == in[4]);
        CHECK(f.node(in[4]).parent == in[3]);
        CHECK(f.balance(in[3]) == -1);
        check_walks(f, {in[0], in[1], in[2], in[3], in[4]});
        CHECK_VALID(f);

        CHECK(f.tree.erase(in[1]) == 1);  // two children, successor 2 = right child
        CHECK(f.node(in[3]).left == in[2]);
        CHECK(f.node(in[2]).parent == in[3]);
        CHECK(f.node(in[2]).left == in[0]);
        CHECK(f.node(in[2]).right == nil_id);
        CHECK(f.node(in[0]).parent == in[2]);
        CHECK(f.left_size(in[2]) == 1);
        CHECK(f.balance(in[2]) == -1);
        CHECK(f.left_size(in[3]) == 2);
        check_walks(f, {in[0], in[2], in[3], in[4]});
        CHECK_VALID(f);
    }
    SUBCASE("a node with only a right child") {
        CHECK(f.tree.erase(in[4]) == 4);
        CHECK(f.balance(in[5]) == 1);
        CHECK(f.left_size(in[5]) == 0);
        CHECK(f.tree.erase(in[5]) == 4);  // 6 moves up
        CHECK(f.node(in[3]).right == in[6]);
        CHECK(f.node(in[6]).parent == in[3]);
        CHECK(f.node(in[6]).left == nil_id);
        CHECK(f.node(in[6]).right == nil_id);
        check_walks(f, {in[0], in[1], in[2], in[3], in[6]});
        CHECK_VALID(f);
    }
    SUBCASE("erase shortens a side: single rotation with a balanced sibling") {
        CHECK(f.tree.erase(in[4]) == 4);
        CHECK(f.tree.erase(in[6]) == 5);
        CHECK(f.tree.erase(in[5]) == 4);  // right side now empty, left height 2
        CHECK(f.tree.root() == in[1]);
        CHECK(f.node(in[1]).left == in[0]);
        CHECK(f.node(in[1]).right == in[3]);
        CHECK(f.node(in[3]).left == in[2]);
        CHECK(f.node(in[3]).right == nil_id);
        CHECK(f.node(in[2]).parent == in[3]);
        CHECK(f.balance(in[1]) == 1);
        CHECK(f.balance(in[3]) == -1);
        CHECK(f.left_size(in[1]) == 1);
        CHECK(f.left_size(in[3]) == 1);
        check_walks(f, {in[0], in[1], in[2], in[3]});
        CHECK_VALID(f);
    }
    SUBCASE("two children whose successor is deep in the right subtree") {
        // Keys 0..30: erase 7, whose successor 8 sits under 11 -> 9 -> 8.
        Fixture g;
        Ids v;
        for (std::uint64_t k = 0; k < 31; ++k) v.push_back(g.make(k));
        g.tree.build(v.data(), 31);
        REQUIRE(g.tree.root() == v[15]);
        REQUIRE(g.node(v[15]).left == v[7]);
        REQUIRE(g.node(v[7]).right == v[11]);
        REQUIRE(g.node(v[11]).left == v[9]);
        REQUIRE(g.node(v[9]).left == v[8]);
        CHECK(g.tree.erase(v[7]) == 7);
        CHECK(g.node(v[15]).left == v[8]);
        CHECK(g.node(v[8]).parent == v[15]);
        CHECK(g.node(v[8]).left == v[3]);
        CHECK(g.node(v[8]).right == v[11]);
        CHECK(g.node(v[3]).parent == v[8]);
        CHECK(g.node(v[11]).parent == v[8]);
        CHECK(g.node(v[9]).left == nil_id);
        CHECK(g.left_size(v[8]) == 7);
        CHECK(g.left_size(v[11]) == 2);
        CHECK(g.left_size(v[15]) == 14);
        CHECK(g.tree.index_of(v[8]) == 7);
        CHECK(g.tree.index_of(v[16]) == 15);
        Ids expected = v;
        expected.erase(expected.begin() + 7);
        check_walks(g, expected);
        CHECK_VALID(g);
    }
}

TEST_CASE("erase rebalancing: single and double rotations") {
    SUBCASE("left-heavy sibling: single right rotation") {
        Fixture f;
        Id n20 = f.add(20), n10 = f.add(10), n30 = f.add(30), n5 = f.add(5);
        CHECK(f.tree.erase(n30) == 3);
        CHECK(f.tree.root() == n10);
        CHECK(f.node(n10).left == n5);
        CHECK(f.node(n10).right == n20);
        CHECK(f.balance(n10) == 0);
        CHECK(f.balance(n20) == 0);
        CHECK(f.left_size(n20) == 0);
        CHECK(f.left_size(n10) == 1);
        check_walks(f, {n5, n10, n20});
        CHECK_VALID(f);
    }
    SUBCASE("right-heavy inner child: left-right double rotation") {
        Fixture f;
        Id n20 = f.add(20), n10 = f.add(10), n30 = f.add(30), n15 = f.add(15);
        CHECK(f.tree.erase(n30) == 3);
        CHECK(f.tree.root() == n15);
        CHECK(f.node(n15).left == n10);
        CHECK(f.node(n15).right == n20);
        CHECK(f.node(n10).right == nil_id);
        CHECK(f.node(n20).left == nil_id);
        CHECK(f.balance(n15) == 0);
        CHECK(f.balance(n10) == 0);
        CHECK(f.balance(n20) == 0);
        check_walks(f, {n10, n15, n20});
        CHECK_VALID(f);
    }
    SUBCASE("mirror: right-left double rotation") {
        Fixture f;
        Id n20 = f.add(20), n10 = f.add(10), n30 = f.add(30), n25 = f.add(25);
        CHECK(f.tree.erase(n10) == 0);
        CHECK(f.tree.root() == n25);
        CHECK(f.node(n25).left == n20);
        CHECK(f.node(n25).right == n30);
        CHECK(f.left_size(n25) == 1);
        check_walks(f, {n20, n25, n30});
        CHECK_VALID(f);
    }
    SUBCASE("mirror: right-heavy sibling, single left rotation") {
        Fixture f;
        Id n20 = f.add(20), n10 = f.add(10), n30 = f.add(30), n40 = f.add(40);
        CHECK(f.tree.erase(n10) == 0);
        CHECK(f.tree.root() == n30);
        CHECK(f.node(n30).left == n20);
        CHECK(f.node(n30).right == n40);
        CHECK(f.left_size(n30) == 1);
        check_walks(f, {n20, n30, n40});
        CHECK_VALID(f);
    }
    SUBCASE("erasing every other node, then one side, retraces through many levels") {
        Fixture f;
        Ids ids;
        for (std::uint64_t k = 0; k < 200; ++k) ids.push_back(f.add(k));
        Ids expected = ids;
        for (std::uint64_t k = 0; k < 200; k += 2) {
            REQUIRE(f.tree.erase(ids[k]) == k / 2);
            expected.erase(std::find(expected.begin(), expected.end(), ids[k]));
            REQUIRE_VALID(f);
        }
        check_walks(f, expected);
        for (std::uint64_t k = 199; k >= 101; k -= 2) {
            REQUIRE(f.tree.erase(ids[k]) == (k - 1) / 2);
            expected.pop_back();
            REQUIRE_VALID(f);
        }
        check_walks(f, expected);
    }
}

TEST_CASE("duplicate keys keep insertion order") {
    Fixture f;
    Id a = f.make(5), x = f.make(3), b = f.make(5), y = f.make(7), c = f.make(5),
       d = f.make(5);
    CHECK(f.insert(a) == 0);
    CHECK(f.insert(x) == 0);
    CHECK(f.insert(b) == 2);
    CHECK(f.insert(y) == 3);
    CHECK(f.insert(c) == 3);
    CHECK(f.insert(d) == 4);
    check_walks(f, {x, a, b, c, d, y});
    CHECK_VALID(f);
    CHECK(f.tree.index_of(a) == 1);
    CHECK(f.tree.index_of(d) == 4);

    Found r = f.lb(5);
    CHECK(r.node == a);  // the first of the equal run
    CHECK(r.index == 1);
    r = f.lb(6);
    CHECK(r.node == y);
    CHECK(r.index == 5);

    CHECK(f.tree.erase(b) == 2);
    Id e = f.make(5);
    CHECK(f.insert(e) == 4);  // after d, the last 5
    check_walks(f, {x, a, c, d, e, y});
    // The erased node can come back: it goes to the end of the run.
    CHECK(f.insert(b) == 5);
    check_walks(f, {x, a, c, d, e, b, y});
    CHECK(f.tree.erase(a) == 1);
    r = f.lb(5);
    CHECK(r.node == c);
    CHECK(r.index == 1);
    CHECK_VALID(f);
}

TEST_CASE("many equal keys") {
    Fixture f;
    Ids expected;
    for (Id i = 0; i < 300; ++i) {
        Id id = f.make(42);
        REQUIRE(f.insert(id) == i);
        expected.push_back(id);
    }
    check_walks(f, expected);
    CHECK_VALID(f);
    // Erase every third; the rest keep their relative order.
    Ids kept;
    for (Id i = 0; i < 300; ++i) {
        if (i % 3 == 0)
            REQUIRE(f.tree.erase(expected[i]) == static_cast<Id>(kept.size()));
        else
            kept.push_back(expected[i]);
    }
    check_walks(f, kept);
    CHECK_VALID(f);
    Found r = f.lb(42);
    CHECK(r.node == kept.front());
    CHECK(r.index == 0);
    r = f.lb(43);
    CHECK(r.node == nil_id);
    CHECK(r.index == 200);
    // Smaller and larger keys land around the run.
    Id lo = f.make(41), hi = f.make(43);
    CHECK(f.insert(hi) == 200);
    CHECK(f.insert(lo) == 0);
    CHECK(f.tree.first() == lo);
    CHECK(f.tree.last() == hi);
    CHECK_VALID(f);
}

TEST_CASE("index_of, at, first, last, next and prev") {
    Fixture f;
    const std::uint32_t n = 101;
    Ids by_key(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t k = (i * 37) % n;  // a permutation of 0..100
        by_key[k] = f.add(k);
    }
    REQUIRE(f.tree.size() == n);
    CHECK_VALID(f);
    for (std::uint32_t k = 0; k < n; ++k) {
        CAPTURE(k);
        CHECK(f.tree.at(k) == by_key[k]);
        CHECK(f.tree.index_of(by_key[k]) == k);
        CHECK(f.tree.next(by_key[k]) == (k + 1 < n ? by_key[k + 1] : nil_id));
        CHECK(f.tree.prev(by_key[k]) == (k > 0 ? by_key[k - 1] : nil_id));
    }
    CHECK(f.tree.at(n) == nil_id);
    CHECK(f.tree.at(n + 1000) == nil_id);
    CHECK(f.tree.at(nil_id) == nil_id);
    CHECK(f.tree.first() == by_key[0]);
    CHECK(f.tree.last() == by_key[n - 1]);
    check_walks(f, by_key);

    // Walks from arbitrary nodes reach the ends after exactly the right count.
    for (std::uint32_t k : {0u, 1u, 17u, 50u, 99u, 100u}) {
        std::uint32_t steps = 0;
        for (Id x = by_key[k]; x != nil_id; x = f.tree.next(x)) ++steps;
        CHECK(steps == n - k);
        steps = 0;
        for (Id x = by_key[k]; x != nil_id; x = f.tree.prev(x)) ++steps;
        CHECK(steps == k + 1);
    }

    // first/last follow inserts and erases at the ends.
    Id lo = f.add(0);  // equal to the first key: goes after it
    CHECK(f.tree.first() == by_key[0]);
    CHECK(f.tree.index_of(lo) == 1);
    CHECK(f.tree.erase(by_key[0]) == 0);
    CHECK(f.tree.first() == lo);
    CHECK(f.tree.prev(lo) == nil_id);
    Id hi = f.add(1000);
    CHECK(f.tree.last() == hi);
    CHECK(f.tree.index_of(hi) == n);
    CHECK(f.tree.next(by_key[n - 1]) == hi);
    CHECK(f.tree.erase(hi) == n);
    CHECK(f.tree.last() == by_key[n - 1]);
    CHECK(f.tree.next(by_key[n - 1]) == nil_id);
    CHECK_VALID(f);
}

TEST_CASE("lower_bound returns the node and its index") {
    Fixture f;
    Id n10 = f.add(10), a20 = f.add(20), b20 = f.add(20), c20 = f.add(20), n30 = f.add(30);
    check_walks(f, {n10, a20, b20, c20, n30});
    struct Case {
        std::uint64_t key;
        Id node;
        Id index;
    };
    const Case cases[] = {
        {0, n10, 0},        // below all
        {9, n10, 0},        // absent, below all
        {10, n10, 0},       // present, first
        {11, a20, 1},       // absent, between
        {20, a20, 1},       // duplicated: the first of the run
        {21, n30, 4},       // absent, between
        {30, n30, 4},       // present, last
        {31, nil_id, 5},    // above all
        {std::numeric_limits<std::uint64_t>::max(), nil_id, 5},
    };
    for (const Case& c : cases) {
        CAPTURE(c.key);
        Found r = f.lb(c.key);
        CHECK(r.node == c.node);
        CHECK(r.index == c.index);
    }

    SUBCASE("predicate on (key, position): upper bound of a run") {
        // before(x) = key(x) <= 20 gives the first node after the 20s.
        Found r = f.tree.lower_bound([&](Id x) { return f.key(x) <= 20; });
        CHECK(r.node == n30);
        CHECK(r.index == 4);
        r = f.tree.lower_bound([](Id) { return true; });
        CHECK(r.node == nil_id);
        CHECK(r.index == 5);
        r = f.tree.lower_bound([](Id) { return false; });
        CHECK(r.node == n10);
        CHECK(r.index == 0);
    }
    SUBCASE("large tree of even keys") {
        Fixture g;
        Ids v;
        for (std::uint64_t k = 0; k < 1000; ++k) v.push_back(g.make(2 * k + 2));
        g.tree.build(v.data(), 1000);
        for (Id i = 0; i < 1000; ++i) {
            Found r = g.lb(2 * i + 2);  // present
            REQUIRE(r.node == v[i]);
            REQUIRE(r.index == i);
            r = g.lb(2 * i + 1);  // absent, just below
            REQUIRE(r.node == v[i]);
            REQUIRE(r.index == i);
        }
        Found r = g.lb(2001);
        CHECK(r.node == nil_id);
        CHECK(r.index == 1000);
        r = g.lb(0);
        CHECK(r.node == v[0]);
        CHECK(r.index == 0);
    }
}

TEST_CASE("insert_at") {
    Fixture f;
    Id b = f.make(20);
    CHECK(f.tree.insert_at(b, 0) == 0);  // into the empty tree
    CHECK(f.tree.root() == b);
    CHECK_VALID(f);
    Id d = f.make(40);
    CHECK(f.tree.insert_at(d, 1) == 1);  // at size()
    Id a = f.make(10);
    CHECK(f.tree.insert_at(a, 0) == 0);  // at 0
    Id c = f.make(30);
    CHECK(f.tree.insert_at(c, 2) == 2);  // middle
    check_walks(f, {a, b, c, d});
    CHECK_VALID(f);
    // Between equal keys: the caller chooses the position within a run.
    Id c2 = f.make(30);
    CHECK(f.tree.insert_at(c2, 2) == 2);  // before c
    check_walks(f, {a, b, c2, c, d});
    CHECK_VALID(f);
    // insert() afterwards still orders by key.
    Id c3 = f.add(30);
    check_walks(f, {a, b, c2, c, c3, d});
    CHECK(f.tree.index_of(c3) == 4);
    CHECK_VALID(f);

    SUBCASE("append 1000 then prepend 1000") {
        Fixture g;
        Ids expected;
        for (Id i = 0; i < 1000; ++i) {
            Id id = g.make(1000 + i);
            REQUIRE(g.tree.insert_at(id, i) == i);
            expected.push_back(id);
        }
        REQUIRE_VALID(g);
        for (Id i = 0; i < 1000; ++i) {
            Id id = g.make(999 - i);
            REQUIRE(g.tree.insert_at(id, 0) == 0);
            expected.insert(expected.begin(), id);
        }
        REQUIRE_VALID(g);
        check_walks(g, expected);
        CHECK(g.height() <= avl_max_height(2000));
    }
    SUBCASE("positions only, checked against a vector") {
        Fixture g;
        Ids expected;
        std::uint32_t state = 12345;
        for (Id i = 0; i < 2000; ++i) {
            state = state * 1103515245u + 12345u;
            Id pos = (state >> 8) % (static_cast<Id>(expected.size()) + 1);
            Id id = g.make(0);
            REQUIRE(g.tree.insert_at(id, pos) == pos);
            expected.insert(expected.begin() + pos, id);
            REQUIRE(g.tree.index_of(id) == pos);
            if (i % 97 == 0) REQUIRE_MESSAGE(g.valid_with(NoOrder{}), g.why);
        }
        CHECK_MESSAGE(g.valid_with(NoOrder{}), g.why);
        check_walks(g, expected);
        // Middle inserts at exactly size()/2.
        for (Id i = 0; i < 500; ++i) {
            Id pos = g.tree.size() / 2;
            Id id = g.make(0);
            REQUIRE(g.tree.insert_at(id, pos) == pos);
            expected.insert(expected.begin() + pos, id);
        }
        CHECK_MESSAGE(g.valid_with(NoOrder{}), g.why);
        check_walks(g, expected);
    }
}

TEST_CASE("build from sorted sequences, then insert and erase") {
    for (std::uint32_t n : {0u, 1u, 2u, 3u, 7u, 8u, 100u, 1000u}) {
        CAPTURE(n);
        Fixture f;
        Ids in;
        for (std::uint32_t i = 0; i < n; ++i) in.push_back(f.make(10 * std::uint64_t{i}));
        // Stale links in the nodes must not matter.
        for (Id id : in) {
            f.node(id).parent = 12345;
            f.node(id).left = 7;
            f.node(id).right = 9;
            f.node(id).packed = 0xFFFFFFFFu;
        }
        f.tree.build(in.data(), n);
        CHECK(f.tree.size() == n);
        CHECK(f.tree.empty() == (n == 0));
        CHECK(f.tree.root() == (n ? in[(n - 1) / 2] : nil_id));
        CHECK(f.height() == balanced_height(n));
        CHECK_VALID(f);
        check_walks(f, in);
        CHECK(f.tree.first() == (n ? in.front() : nil_id));
        CHECK(f.tree.last() == (n ? in.back() : nil_id));

        // Keys in the reference are kept with their ids for the checks.
        std::vector<std::pair<std::uint64_t, Id>> ref;
        for (Id id : in) ref.emplace_back(f.key(id), id);
        auto ref_ids = [&] {
            Ids v;
            for (const auto& p : ref) v.push_back(p.second);
            return v;
        };
        // Inserts: new keys between, equal to and outside the built ones.
        std::uint32_t state = 777 + n;
        for (int i = 0; i < 60; ++i) {
            state = state * 1664525u + 1013904223u;
            std::uint64_t key = (state >> 10) % (10 * std::uint64_t{n} + 20);
            if (i % 3 == 0) key -= key % 10;  // often equal to a built key
            Id id = f.make(key);
            auto pos = std::upper_bound(ref.begin(), ref.end(), key,
                                        [](std::uint64_t k, const auto& p) { return k < p.first; });
            Id expected = static_cast<Id>(pos - ref.begin());
            REQUIRE(f.insert(id) == expected);
            ref.insert(pos, {key, id});
            REQUIRE_VALID(f);
        }
        CHECK(f.ids() == ref_ids());
        // Erases from everywhere, built nodes included.
        for (int i = 0; i < 40 && !ref.empty(); ++i) {
            state = state * 1664525u + 1013904223u;
            Id idx = (state >> 10) % static_cast<Id>(ref.size());
            REQUIRE(f.tree.erase(ref[idx].second) == idx);
            ref.erase(ref.begin() + idx);
            REQUIRE_VALID(f);
        }
        check_walks(f, ref_ids());
    }
}

TEST_CASE("build replaces the contents") {
    Fixture f;
    Ids all;
    for (std::uint64_t k = 0; k < 50; ++k) all.push_back(f.add(k));
    REQUIRE(f.tree.size() == 50);
    // Rebuild with every other node (the others are simply forgotten).
    Ids half;
    for (std::size_t i = 0; i < all.size(); i += 2) half.push_back(all[i]);
    f.tree.build(half.data(), static_cast<Id>(half.size()));
    CHECK(f.tree.size() == 25);
    CHECK_VALID(f);
    check_walks(f, half);
    // Rebuilding an empty sequence empties the tree.
    f.tree.build(nullptr, 0);
    CHECK(f.tree.size() == 0);
    CHECK(f.tree.root() == nil_id);
    CHECK_VALID(f);
}

TEST_CASE("clear then reuse") {
    Fixture f;
    Ids ids;
    for (std::uint64_t k = 0; k < 100; ++k) ids.push_back(f.add((k * 7) % 100));
    REQUIRE(f.tree.size() == 100);
    f.tree.clear();
    CHECK(f.tree.size() == 0);
    CHECK(f.tree.empty());
    CHECK(f.tree.root() == nil_id);
    CHECK(f.tree.first() == nil_id);
    CHECK(f.tree.last() == nil_id);
    CHECK(f.tree.at(0) == nil_id);
    Found r = f.lb(50);
    CHECK(r.node == nil_id);
    CHECK(r.index == 0);
    CHECK_VALID(f);

    // The same nodes (with stale links) go back in, in reverse order and
    // rekeyed so that every insert appends.
    Id expected_index = 0;
    for (std::size_t i = ids.size(); i-- > 0;) {
        f.slab[ids[i]].key = 1000 + expected_index;
        REQUIRE(f.insert(ids[i]) == expected_index);
        ++expected_index;
    }
    CHECK(f.tree.size() == 100);
    CHECK_VALID(f);
    Ids rev(ids.rbegin(), ids.rend());
    check_walks(f, rev);

    // clear() and build() from the same nodes.
    f.tree.clear();
    f.tree.build(rev.data(), 100);
    CHECK_VALID(f);
    check_walks(f, rev);
    // clear() and insert_at().
    f.tree.clear();
    for (Id i = 0; i < 100; ++i) REQUIRE(f.tree.insert_at(rev[i], i) == i);
    CHECK_VALID(f);
    check_walks(f, rev);
}

TEST_CASE("the accessor can be re-pointed when the slab moves") {
    Fixture f;
    Ids ids;
    for (std::uint64_t k = 0; k < 64; ++k) ids.push_back(f.add(k));
    roster::Slab<E> moved(std::move(f.slab));
    f.tree.set_access(Acc{&moved});
    CHECK(f.tree.access().s == &moved);
    KeyLess less{&moved};
    std::string why;
    CHECK_MESSAGE(f.tree.check_invariants(less, &why), why);
    CHECK(f.tree.at(10) == ids[10]);
    CHECK(f.tree.index_of(ids[63]) == 63);
    Id x = moved.allocate();
    moved[x].key = 5;
    CHECK(f.tree.insert(x, less) == 6);
    CHECK(f.tree.check_invariants(less));
}

TEST_CASE("check_invariants detects corruption") {
    // Perfect tree of keys 0..6 (see above): root 3; 1 (0, 2); 5 (4, 6).
    Fixture f;
    Ids in;
    for (std::uint64_t k = 0; k < 7; ++k) in.push_back(f.make(k));
    f.tree.build(in.data(), 7);
    REQUIRE_VALID(f);
    const Id root = in[3];

    SUBCASE("left size of the root") {
        f.node(root).packed += 4;
        CHECK_FALSE(f.valid());
        CHECK(f.why == "left size is wrong");
        CHECK_FALSE(f.tree.check_invariants(f.less()));  // without a reason too
        f.node(root).packed -= 4;
        CHECK_VALID(f);
    }
    SUBCASE("left size of a leaf") {
        f.node(in[6]).packed += 4;
        CHECK_FALSE(f.valid());
        CHECK(f.why == "left size is wrong");
    }
    SUBCASE("recorded balance factor") {
        f.node(root).packed = (3u << 2) | 2u;  // balance +1, really 0
        CHECK_FALSE(f.valid());
        CHECK(f.why == "recorded balance factor is wrong");
        f.node(in[0]).packed = 0u;  // leaf with balance -1 (checked first)
        CHECK_FALSE(f.valid());
        CHECK(f.why == "recorded balance factor is wrong");
    }
    SUBCASE("invalid balance encoding") {
        f.node(in[4]).packed = 3u;
        CHECK_FALSE(f.valid());
        CHECK(f.why == "invalid balance encoding");
    }
    SUBCASE("parent link of a left child") {
        f.node(in[0]).parent = in[5];
        CHECK_FALSE(f.valid());
        CHECK(f.why == "bad parent link (left child)");
    }
    SUBCASE("parent link of a right child") {
        f.node(in[6]).parent = nil_id;
        CHECK_FALSE(f.valid());
        CHECK(f.why == "bad parent link (right child)");
    }
    SUBCASE("root with a parent") {
        f.node(root).parent = in[0];
        CHECK_FALSE(f.valid());
        CHECK(f.why == "root has a parent");
    }
    SUBCASE("order") {
        f.slab[in[2]].key = 100;  // now 2 sorts after 3
        CHECK_FALSE(f.valid());
        CHECK(f.why == "in-order sequence not sorted");
    }
    SUBCASE("node count disagrees with size()") {
        // Cut off the subtree under 5: the root's sides now differ by 2.
        f.node(root).right = nil_id;
        f.node(root).packed = (3u << 2) | 0u;  // left size 3, balance -1
        CHECK_FALSE(f.valid());
        CHECK(f.why == "AVL balance violated");
        // Now a consistent but smaller tree: drop leaves 0 and 2 as well.
        f.node(in[1]).left = nil_id;
        f.node(in[1]).right = nil_id;
        f.node(in[1]).packed = 1u;
        f.node(root).packed = (1u << 2) | 0u;  // left size 1, balance -1
        CHECK_FALSE(f.valid());
        CHECK(f.why == "size() disagrees with node count");
    }
    SUBCASE("AVL balance violated on a hand-made chain") {
        Fixture g;
        Id a = g.add(1);
        Id b = g.make(2), c = g.make(3);
        g.node(a).right = b;
        g.node(a).packed = 2u;  // balance +1 (really +2)
        g.node(b).parent = a;
        g.node(b).right = c;
        g.node(b).packed = 2u;
        g.node(c).parent = b;
        CHECK_FALSE(g.valid());
        CHECK(g.why == "AVL balance violated");
    }
    SUBCASE("check after the corruption is repaired") {
        roster::RankNode saved = f.node(in[5]);
        f.node(in[5]).left = nil_id;
        CHECK_FALSE(f.valid());
        CHECK(f.why == "left size is wrong");
        f.node(in[5]) = saved;
        CHECK_VALID(f);
        CHECK(f.why.empty());
    }
}

}  // TEST_SUITE
