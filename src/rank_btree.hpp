// Counted B+tree over 32-bit entry ids: the ordered index of a member list.
//
// Why not a binary tree: at a million entries a binary tree is ~20 levels
// deep and every level of a walk is a dependent cache miss, whatever the node
// size (see tests/bench/RESULTS.md: the rank-augmented AVL tree in
// rank_tree.hpp stays at 450-700 ns per index_of). Here the tree is 3-4
// levels deep, the inner levels (a few hundred KiB at 1M entries) stay in L2,
// and the leaves keep an 8-byte key prefix of every entry inline so the
// descent compares integers, touching an entry only on a prefix tie.
//
// Shape:
//  * Leaves hold up to LeafCap entry ids in order, with their key prefixes.
//    Inner nodes hold, per child: its id, its entry count, and its first
//    entry (id and prefix). All leaves are at the same depth.
//  * Intrusive link: each entry carries a BTreeHook naming its leaf. The row
//    index of an entry is its position in the leaf plus, at each ancestor,
//    the counts of the children before it: a walk *up* from the entry, with
//    no key comparisons.
//  * Leaves and inner nodes live in slabs addressed by 32-bit ids; before
//    every insert the slabs reserve room for a full split path, so a failed
//    allocation throws before anything changes (strong guarantee) and erase
//    never allocates.
//
// Traits (copyable, cheap):
//   BTreeHook& hook(std::uint32_t id) const;
//   std::uint64_t prefix(std::uint32_t id) const;  // monotone: a < b implies
//                                                   // prefix(a) <= prefix(b)
//   bool less(std::uint32_t a, std::uint32_t b) const;  // strict weak order
//
// Thread-safety: none; one thread at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "ids.hpp"
#include "scan.hpp"
#include "slab.hpp"

namespace roster {

struct BTreeHook {
    std::uint32_t leaf = nil_id;
};

template <class Traits, unsigned LeafCap = 64, unsigned InnerCap = 64>
class RankBTree {
    static_assert(LeafCap >= 8 && LeafCap <= 0xFFFF && LeafCap % 8 == 0);
    static_assert(InnerCap >= 8 && InnerCap <= 0xFFFF && InnerCap % 8 == 0);

public:
    using id_t = std::uint32_t;
    static constexpr unsigned leaf_cap = LeafCap;
    static constexpr unsigned inner_cap = InnerCap;
    static constexpr id_t max_size() { return 0xFFFFFFF0u; }

    explicit RankBTree(Traits traits = Traits{}) : tr_(traits) {}

    void set_traits(Traits traits) { tr_ = traits; }
    const Traits& traits() const { return tr_; }

    id_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    unsigned height() const { return root_ == nil_id ? 0 : height_ + 1; }

    // Bytes held by the tree's own nodes (not the entries).
    std::size_t memory_bytes() const { return leaves_.memory_bytes() + inners_.memory_bytes(); }

    // Forgets every entry and releases the nodes' storage.
    void clear() {
        leaves_ = Slab<Leaf>();
        inners_ = Slab<Inner>();
        root_ = nil_id;
        height_ = 0;
        size_ = 0;
    }

    // Makes the next insert() unable to fail: reserves node storage for one
    // full split path. insert() calls it itself; callers that must finish a
    // multi-step change without allocating call it first. Strong guarantee.
    void reserve_insert() { reserve_path(); }

    // The same for the next k inserts (interleaved erases only free nodes,
    // which later inserts reuse). Bound: a leaf splits at most once cheaply
    // and then only every LeafCap/2 inserts, so new leaves <= min(k, leaves
    // + k / (LeafCap/2)); likewise inner splits <= inners + new leaves /
    // (InnerCap/2 - 1) + one new root per level the tree can grow. Storage
    // past the resident pages is address space only (slabs are mapped).
    void reserve_inserts(std::uint64_t k) {
        if (k == 0) return;
        if (k == 1) return reserve_path();
        const std::uint64_t leaves = std::min<std::uint64_t>(k, leaves_.live() + k / (LeafCap / 2)) + 2;
        unsigned growth = 0;
        for (std::uint64_t x = k; x; x >>= 1) ++growth;
        const std::uint64_t inners =
            std::min<std::uint64_t>(k * (height_ + 2 + growth),
                                    inners_.live() + leaves / (InnerCap / 2 - 1) + height_ + 2 + growth);
        // Plus the slack each insert's own reserve_path() asks for beyond
        // the high-water mark it will have reached by then.
        const std::uint64_t leaf_slack = 2, inner_slack = height_ + 2 + growth;
        leaves_.reserve(static_cast<id_t>(std::min<std::uint64_t>(
            leaves_.high_water() + leaves + leaf_slack, Slab<Leaf>::max_ids)));
        inners_.reserve(static_cast<id_t>(std::min<std::uint64_t>(
            inners_.high_water() + inners + inner_slack, Slab<Inner>::max_ids)));
    }

    // Inserts entry x after every entry that does not compare greater.
    // Returns x's index. O(log n). Throws std::bad_alloc with no change.
    id_t insert(id_t x) {
        reserve_path();
        if (root_ == nil_id) {
            root_ = new_leaf(nil_id);
            height_ = 0;
        } else if (is_full(root_, height_)) {
            grow_root();
        }
        const std::uint64_t px = tr_.prefix(x);
        id_t index = 0;
        id_t node = root_;
        for (unsigned h = height_; h > 0; --h) {
            Inner& in = inner(node);
            unsigned i = child_for(in, x, px);
            if (h == 1) prefetch_leaf(in.child[i], true);
            if (is_full(in.child[i], h - 1)) {
                split_child(node, i, h - 1);
                if (!key_less(x, px, in.min_id[i + 1], in.min_pfx[i + 1])) ++i;
            }
            if (key_less(x, px, in.min_id[i], in.min_pfx[i])) {
                in.min_id[i] = x;
                in.min_pfx[i] = px;
            }
            index += sum_counts(in, i);
            ++in.cnt[i];
            node = in.child[i];
        }
        Leaf& lf = leaf(node);
        unsigned j = leaf_upper(lf, x, px);
        leaf_insert(lf, j, x, px);
        tr_.hook(x).leaf = node;
        ++size_;
        return index + j;
    }

    // Requests the leaf that insert(x) would put x in, reading only inner
    // nodes (they are few and stay cached): a caller about to erase an entry
    // and insert another (a move) lets the two leaf misses overlap. A hint:
    // changes nothing.
    void prefetch_insert(id_t x) const {
        if (root_ == nil_id) return;
        const std::uint64_t px = tr_.prefix(x);
        id_t node = root_;
        for (unsigned h = height_; h > 0; --h) node = inner(node).child[child_for(inner(node), x, px)];
        prefetch_leaf(node, true);
    }

    // Requests the leaf holding entry x (reads x's hook; a stale hook that
    // names no leaf of this tree is ignored). A hint: changes nothing.
    void prefetch_entry(id_t x) const {
        const id_t l = tr_.hook(x).leaf;
        if (l < leaves_.high_water()) prefetch_leaf(l, false);
    }

    // Removes entry x (which must be in this tree); returns its old index.
    // O(log n). Never allocates, never throws.
    id_t erase(id_t x) {
        const id_t l = tr_.hook(x).leaf;
        prefetch_leaf(l, false);
        Leaf& lf = leaf(l);
        const unsigned j = find_id(lf.ids, lf.count, x);
        id_t index = j;
        unsigned i = lf.slot;
        for (id_t p = lf.parent; p != nil_id;) {
            Inner& in = inner(p);
            index += sum_counts(in, i);
            --in.cnt[i];
            i = in.slot;
            p = in.parent;
        }
        leaf_remove(lf, j);
        tr_.hook(x).leaf = nil_id;
        --size_;
        if (j == 0 && lf.count > 0) fix_min_upward(l, 0);
        fix_underflow(l, 0);
        return index;
    }

    // Row index of entry x. Reads x's leaf and its ancestors. O(log n).
    id_t index_of(id_t x) const {
        const id_t l = tr_.hook(x).leaf;
        prefetch_leaf(l, false);
        const Leaf& lf = leaf(l);
        id_t index = find_id(lf.ids, lf.count, x);
        unsigned i = lf.slot;
        for (id_t p = lf.parent; p != nil_id;) {
            const Inner& in = inner(p);
            index += sum_counts(in, i);
            i = in.slot;
            p = in.parent;
        }
        return index;
    }

    // Entry at row k, or nil_id when k >= size(). O(log n).
    id_t at(id_t k) const {
        Cursor c = cursor_at(k);
        return c.leaf == nil_id ? nil_id : leaf(c.leaf).ids[c.pos];
    }

    // A position in the leaves, for reading runs of rows cheaply.
    struct Cursor {
        id_t leaf = nil_id;
        unsigned pos = 0;
    };

    Cursor cursor_at(id_t k) const {
        if (k >= size_) return {};
        id_t node = root_;
        for (unsigned h = height_; h > 0; --h) {
            const Inner& in = inner(node);
            unsigned i = 0;
            while (k >= in.cnt[i]) k -= in.cnt[i++];
            node = in.child[i];
        }
        return {node, k};
    }
    Cursor cursor_of(id_t x) const {
        id_t l = tr_.hook(x).leaf;
        return {l, find_id(leaf(l).ids, leaf(l).count, x)};
    }
    id_t at(Cursor c) const { return c.leaf == nil_id ? nil_id : leaf(c.leaf).ids[c.pos]; }
    Cursor advance(Cursor c) const {
        const Leaf& lf = leaf(c.leaf);
        if (c.pos + 1 < lf.count) return {c.leaf, c.pos + 1};
        return {lf.next, 0};
    }

    // Where row k is (k < size()), from the inner nodes alone: the leaf is
    // not read, so a caller locating many rows can request every leaf line
    // it needs (prefetch) before reading any. The finger remembers the
    // lowest inner node of the last walk, so ascending nearby rows cost a
    // few comparisons each; O(log n) otherwise.
    struct Finger {
        id_t inner = nil_id;
        unsigned slot = 0;
        id_t base = 0;  // index of child[slot]'s first entry
        id_t end = 0;   // index one past the inner node's last entry
    };
    Cursor locate(Finger& f, id_t k) const {
        if (height_ == 0) return {root_, k};
        if (f.inner != nil_id && k >= f.base && k < f.end) {
            const Inner& in = inner(f.inner);
            while (k - f.base >= in.cnt[f.slot]) f.base += in.cnt[f.slot++];
            return {in.child[f.slot], k - f.base};
        }
        id_t node = root_, base = 0, end = size_;
        for (unsigned h = height_;; --h) {
            const Inner& in = inner(node);
            unsigned i = 0;
            while (k - base >= in.cnt[i]) base += in.cnt[i++];
            if (h == 1) {
                f = Finger{node, i, base, end};
                return {in.child[i], k - base};
            }
            end = base + in.cnt[i];
            node = in.child[i];
        }
    }
    // Calls f(id) for rows [start, start + count) (all present), in order,
    // starting from locate(finger, start).
    template <class F>
    void for_rows(Finger& finger, id_t start, id_t count, F&& f) const {
        if (count == 0) return;
        Cursor c = locate(finger, start);
        for (;;) {
            const Leaf& lf = leaf(c.leaf);
            const unsigned n = std::min<id_t>(count, lf.count - c.pos);
            for (unsigned i = 0; i < n; ++i) f(lf.ids[c.pos + i]);
            count -= n;
            if (count == 0) return;
            c = Cursor{lf.next, 0};
        }
    }

    // Requests the leaves for_rows(finger, start, count) reads (their counts
    // and slots), without reading a leaf (a leaf's count is in its parent):
    // a caller that does this for many runs before reading them has their
    // leaves' misses in flight together instead of one after another.
    void prefetch_rows(Finger& finger, id_t start, id_t count) const {
        while (count > 0) {
            const Cursor c = locate(finger, start);
            const id_t in_leaf = height_ == 0 ? size_ : inner(finger.inner).cnt[finger.slot];
            const id_t n = std::min<id_t>(count, in_leaf - c.pos);
            // Non-temporal: a flush reads the rows of thousands of chunks
            // once each; kept in L2 and L3 they would evict the inner nodes
            // the next events descend through.
            prefetch_leaf(c.leaf, false, true);
            start += n;
            count -= n;
        }
    }

    // Calls f(id) for rows [start, start + count) that exist, in order.
    template <class F>
    void for_range(id_t start, id_t count, F&& f) const {
        for (Cursor c = cursor_at(start); c.leaf != nil_id && count > 0; --count) {
            const Leaf& lf = leaf(c.leaf);
            f(lf.ids[c.pos]);
            c = c.pos + 1 < lf.count ? Cursor{c.leaf, c.pos + 1} : Cursor{lf.next, 0};
        }
    }

    id_t first() const { return size_ ? leaf(first_leaf()).ids[0] : nil_id; }
    id_t last() const { return size_ ? at(size_ - 1) : nil_id; }

    id_t next(id_t x) const { return at(advance(cursor_of(x))); }
    id_t prev(id_t x) const {
        Cursor c = cursor_of(x);
        if (c.pos > 0) return leaf(c.leaf).ids[c.pos - 1];
        id_t p = leaf(c.leaf).prev;
        return p == nil_id ? nil_id : leaf(p).ids[leaf(p).count - 1];
    }

    struct Found {
        id_t node;   // nil_id when every entry is before the key
        id_t index;  // index of node, or size() when node is nil_id
    };

    // First entry for which before(id) is false; before must be monotone
    // (true for a prefix of the order). O(log n) calls of before.
    template <class Before>
    Found lower_bound(Before before) const {
        if (size_ == 0) return {nil_id, 0};
        id_t index = 0;
        id_t node = root_;
        for (unsigned h = height_; h > 0; --h) {
            const Inner& in = inner(node);
            unsigned lo = 1, hi = in.count;  // first child whose min is not before
            while (lo < hi) {
                unsigned mid = (lo + hi) / 2;
                if (before(in.min_id[mid])) lo = mid + 1; else hi = mid;
            }
            unsigned i = lo - 1;
            index += sum_counts(in, i);
            node = in.child[i];
        }
        const Leaf& lf = leaf(node);
        unsigned lo = 0, hi = lf.count;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (before(lf.ids[mid])) lo = mid + 1; else hi = mid;
        }
        index += lo;
        if (lo < lf.count) return {lf.ids[lo], index};
        if (lf.next == nil_id) return {nil_id, size_};
        return {leaf(lf.next).ids[0], index};
    }

    // Replaces the contents with ids[0..count), already in order, filling
    // leaves and inner nodes to 3/4. O(count). Throws std::bad_alloc (the
    // tree is then empty).
    void build(const id_t* ids, id_t count) { build(ids, nullptr, count, true); }

    // The same with the entries' prefixes given (pfx[i] must equal the
    // traits' prefix of ids[i]; null: asked of the traits) and, when `hook`
    // is false, the entries' hooks left alone: a tree built aside while its
    // entries still live in other trees, taken in later with rehook().
    void build(const id_t* ids, const std::uint64_t* pfx, id_t count, bool hook) {
        clear();
        if (count == 0) return;
        Vec<id_t> level;  // node ids of the level being built
        Vec<id_t> next_level;
        build_leaves(ids, pfx, count, hook, level);
        height_ = 0;
        while (level.size() > 1) {
            build_inners(level, next_level);
            level.swap(next_level);
            ++height_;
        }
        root_ = level[0];
        size_ = count;
    }

    // Points every entry's hook at its leaf (after build(..., false)).
    // O(n). Never allocates, never throws.
    void rehook() noexcept {
        if (root_ == nil_id) return;
        for (id_t l = first_leaf(); l != nil_id; l = leaf(l).next) {
            const Leaf& lf = leaf(l);
            for (unsigned k = 0; k < lf.count; ++k) tr_.hook(lf.ids[k]).leaf = l;
        }
    }

    // Checks every structural invariant: equal leaf depth, fill bounds,
    // parent links, counts, per-child minima and prefixes, hooks, leaf chain,
    // the prefix contract, and strict order of the whole sequence. O(n).
    bool check_invariants(std::string* why = nullptr) const {
        std::string dummy;
        std::string& w = why ? *why : dummy;
        if (root_ == nil_id) return size_ == 0 ? true : fail(w, "no root but size != 0");
        id_t counted = 0;
        id_t prev_leaf = nil_id;
        id_t prev_id = nil_id;
        if (!check_node(root_, height_, nil_id, counted, prev_leaf, prev_id, w)) return false;
        if (counted != size_) return fail(w, "size() disagrees with the entries");
        if (leaf(prev_leaf).next != nil_id) return fail(w, "last leaf has a next link");
        if (height_ > 0 && inner(root_).count < 2) return fail(w, "inner root with one child");
        return true;
    }

private:
    struct Leaf {
        id_t parent;
        id_t prev, next;
        std::uint16_t count;
        std::uint16_t slot;  // position among the parent's children
        id_t ids[LeafCap];
        std::uint64_t pfx[LeafCap];
    };
    struct Inner {
        id_t parent;
        std::uint16_t count;
        std::uint16_t slot;  // position among the parent's children
        id_t child[InnerCap];
        id_t cnt[InnerCap];
        id_t min_id[InnerCap];
        std::uint64_t min_pfx[InnerCap];
    };
    static constexpr unsigned leaf_min = LeafCap / 4;
    static constexpr unsigned inner_min = InnerCap / 4;

    // Requests every cache line of a leaf at once: the binary search or scan
    // that follows then waits for one memory round trip, not one per probe.
    // `once`: non-temporally, for a leaf read once and not again soon.
    void prefetch_leaf(id_t l, bool with_prefixes, bool once = false) const {
        prefetch_lines(&leaves_[l], with_prefixes ? sizeof(Leaf) : offsetof(Leaf, pfx), once);
    }

    // Requests every line of [p, p + bytes) (`once`: non-temporally).
    static void prefetch_lines(const void* p, std::size_t bytes, bool once = false) {
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        for (std::uintptr_t x = a & ~std::uintptr_t{63}; x < a + bytes; x += 64) {
            const void* line = reinterpret_cast<const void*>(x);
            once ? __builtin_prefetch(line, 0, 0) : __builtin_prefetch(line);
        }
    }

    Leaf& leaf(id_t l) { return leaves_[l]; }
    const Leaf& leaf(id_t l) const { return leaves_[l]; }
    Inner& inner(id_t i) { return inners_[i]; }
    const Inner& inner(id_t i) const { return inners_[i]; }

    static bool fail(std::string& w, const char* msg) {
        w = msg;
        return false;
    }

    static unsigned find_id(const id_t* a, unsigned n, id_t id) { return scan::find_u32(a, n, id); }
    static id_t sum_counts(const Inner& in, unsigned i) { return scan::prefix_sum_u32(in.cnt, i); }

    // key(x, px) < key(y, py)
    bool key_less(id_t x, std::uint64_t px, id_t y, std::uint64_t py) const {
        if (px != py) return px < py;
        return tr_.less(x, y);
    }

    // Child to descend into for inserting x: the last child whose first entry
    // does not compare greater than x (child 0 when all do).
    // Its keys' lines are requested together first: an inner node the
    // cache has lost (at 10M members a flush evicts the lower levels) then
    // costs one memory round trip, not one per probe.
    unsigned child_for(const Inner& in, id_t x, std::uint64_t px) const {
        prefetch_lines(in.min_pfx, in.count * sizeof(std::uint64_t));
        unsigned lo = 1, hi = in.count;  // first child whose min > x
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (key_less(x, px, in.min_id[mid], in.min_pfx[mid])) hi = mid; else lo = mid + 1;
        }
        return lo - 1;
    }

    // First slot whose entry compares greater than x.
    unsigned leaf_upper(const Leaf& lf, id_t x, std::uint64_t px) const {
        unsigned lo = 0, hi = lf.count;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (key_less(x, px, lf.ids[mid], lf.pfx[mid])) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    static void leaf_insert(Leaf& lf, unsigned j, id_t x, std::uint64_t px) {
        unsigned tail = lf.count - j;
        std::memmove(&lf.ids[j + 1], &lf.ids[j], tail * sizeof(id_t));
        std::memmove(&lf.pfx[j + 1], &lf.pfx[j], tail * sizeof(std::uint64_t));
        lf.ids[j] = x;
        lf.pfx[j] = px;
        ++lf.count;
    }
    static void leaf_remove(Leaf& lf, unsigned j) {
        unsigned tail = lf.count - j - 1;
        std::memmove(&lf.ids[j], &lf.ids[j + 1], tail * sizeof(id_t));
        std::memmove(&lf.pfx[j], &lf.pfx[j + 1], tail * sizeof(std::uint64_t));
        --lf.count;
    }

    bool is_full(id_t node, unsigned h) const {
        return h == 0 ? leaf(node).count == LeafCap : inner(node).count == InnerCap;
    }

    // Enough capacity for one split per level plus a new root, so the
    // allocations made during insert cannot fail.
    void reserve_path() {
        id_t need = height_ + 2;
        leaves_.reserve(leaves_.high_water() + 2);
        inners_.reserve(inners_.high_water() + need);
    }

    id_t new_leaf(id_t parent) {
        id_t l = leaves_.allocate();
        Leaf& lf = leaf(l);
        lf.parent = parent;
        lf.prev = lf.next = nil_id;
        lf.count = 0;
        lf.slot = 0;
        return l;
    }
    id_t new_inner(id_t parent) {
        id_t i = inners_.allocate();
        Inner& in = inner(i);
        in.parent = parent;
        in.count = 0;
        in.slot = 0;
        return i;
    }

    id_t& parent_of(id_t node, unsigned h) {
        return h == 0 ? leaf(node).parent : inner(node).parent;
    }
    std::uint16_t& slot_of(id_t node, unsigned h) {
        return h == 0 ? leaf(node).slot : inner(node).slot;
    }
    // Children [from, count) of p (whose children are at height h) learn
    // their positions again after a shift.
    void renumber(id_t p, unsigned from, unsigned h) {
        const Inner& in = inner(p);
        for (unsigned k = from; k < in.count; ++k)
            slot_of(in.child[k], h) = static_cast<std::uint16_t>(k);
    }
    id_t node_count(id_t node, unsigned h) const {
        return h == 0 ? leaf(node).count : inner(node).count;
    }
    // First entry (id, prefix) of a non-empty node.
    std::pair<id_t, std::uint64_t> node_min(id_t node, unsigned h) const {
        if (h == 0) return {leaf(node).ids[0], leaf(node).pfx[0]};
        return {inner(node).min_id[0], inner(node).min_pfx[0]};
    }
    // Entries below an inner node / in a leaf.
    id_t node_entries(id_t node, unsigned h) const {
        if (h == 0) return leaf(node).count;
        const Inner& in = inner(node);
        return sum_counts(in, in.count);
    }

    // New root above the old one, which then splits.
    void grow_root() {
        id_t old = root_;
        id_t r = new_inner(nil_id);
        Inner& in = inner(r);
        in.count = 1;
        in.child[0] = old;
        in.cnt[0] = size_;
        auto [mid, mp] = node_min(old, height_);
        in.min_id[0] = mid;
        in.min_pfx[0] = mp;
        parent_of(old, height_) = r;
        slot_of(old, height_) = 0;
        root_ = r;
        ++height_;
        split_child(r, 0, height_ - 1);
    }

    // Splits child i (at height h) of inner p in two halves; the new right
    // half becomes child i + 1. p must have room.
    void split_child(id_t p, unsigned i, unsigned h) {
        id_t c = inner(p).child[i];
        id_t s;
        id_t moved;
        if (h == 0) {
            s = new_leaf(p);
            Leaf& lc = leaf(c);
            Leaf& ls = leaf(s);
            unsigned keep = LeafCap / 2;
            moved = lc.count - keep;
            std::memcpy(ls.ids, &lc.ids[keep], moved * sizeof(id_t));
            std::memcpy(ls.pfx, &lc.pfx[keep], moved * sizeof(std::uint64_t));
            ls.count = static_cast<std::uint16_t>(moved);
            lc.count = static_cast<std::uint16_t>(keep);
            for (unsigned k = 0; k < moved; ++k) tr_.hook(ls.ids[k]).leaf = s;
            ls.next = lc.next;
            ls.prev = c;
            if (lc.next != nil_id) leaf(lc.next).prev = s;
            lc.next = s;
        } else {
            s = new_inner(p);
            Inner& ic = inner(c);
            Inner& is = inner(s);
            unsigned keep = InnerCap / 2;
            unsigned n = ic.count - keep;
            copy_children(is, 0, ic, keep, n);
            is.count = static_cast<std::uint16_t>(n);
            ic.count = static_cast<std::uint16_t>(keep);
            moved = sum_counts(is, n);
            for (unsigned k = 0; k < n; ++k) parent_of(is.child[k], h - 1) = s;
            renumber(s, 0, h - 1);
        }
        Inner& in = inner(p);
        open_slot(in, i + 1);
        in.child[i + 1] = s;
        in.cnt[i + 1] = moved;
        in.cnt[i] -= moved;
        auto [mid, mp] = node_min(s, h);
        in.min_id[i + 1] = mid;
        in.min_pfx[i + 1] = mp;
        renumber(p, i + 1, h);
    }

    static void copy_children(Inner& dst, unsigned d, const Inner& src, unsigned s, unsigned n) {
        std::memmove(&dst.child[d], &src.child[s], n * sizeof(id_t));
        std::memmove(&dst.cnt[d], &src.cnt[s], n * sizeof(id_t));
        std::memmove(&dst.min_id[d], &src.min_id[s], n * sizeof(id_t));
        std::memmove(&dst.min_pfx[d], &src.min_pfx[s], n * sizeof(std::uint64_t));
    }
    static void open_slot(Inner& in, unsigned i) {
        copy_children(in, i + 1, in, i, in.count - i);
        ++in.count;
    }
    static void close_slot(Inner& in, unsigned i) {
        copy_children(in, i, in, i + 1, in.count - i - 1);
        --in.count;
    }

    // The first entry of `node` (height h) changed: refresh the minimum
    // recorded in its parent, and further up while it is a first child.
    void fix_min_upward(id_t node, unsigned h) {
        auto [mid, mp] = node_min(node, h);
        for (id_t p = parent_of(node, h); p != nil_id; node = p, p = inner(p).parent, ++h) {
            Inner& in = inner(p);
            unsigned i = slot_of(node, h);
            in.min_id[i] = mid;
            in.min_pfx[i] = mp;
            if (i != 0) break;
        }
    }

    // Restores the fill bounds after `node` (height h) lost entries.
    void fix_underflow(id_t node, unsigned h) {
        for (;;) {
            id_t p = parent_of(node, h);
            unsigned n = node_count(node, h);
            if (p == nil_id) {
                shrink_root(n);
                return;
            }
            if (n >= (h == 0 ? leaf_min : inner_min)) return;
            Inner& in = inner(p);
            unsigned i = slot_of(node, h);
            unsigned a = i + 1 < in.count ? i : i - 1;  // merge/borrow pair (a, a+1)
            if (!rebalance_pair(p, a, h)) return;       // borrowed: parent unchanged
            node = p;
            ++h;
        }
    }

    void shrink_root(unsigned n) {
        if (height_ == 0) {
            if (n == 0) {
                // Empty again: the last leaf goes back to the slab, which
                // keeps its storage (and any reservation made for inserts
                // that follow this erase in the same change).
                leaves_.free(root_);
                root_ = nil_id;
            }
            return;
        }
        if (n != 1) return;
        id_t old = root_;
        root_ = inner(old).child[0];
        --height_;
        parent_of(root_, height_) = nil_id;
        inners_.free(old);
    }

    // Children a and a+1 of p (height h): merge them when they fit in one
    // node (returns true: p lost a child), else even them out (false).
    bool rebalance_pair(id_t p, unsigned a, unsigned h) {
        Inner& in = inner(p);
        id_t l = in.child[a], r = in.child[a + 1];
        unsigned ln = node_count(l, h), rn = node_count(r, h);
        unsigned cap = h == 0 ? LeafCap : InnerCap;
        if (ln + rn <= cap) {
            move_entries(r, 0, l, ln, rn, h);  // all of r to the end of l
            if (h == 0) {
                Leaf& rl = leaf(r);
                leaf(l).next = rl.next;
                if (rl.next != nil_id) leaf(rl.next).prev = l;
                leaves_.free(r);
            } else {
                inners_.free(r);
            }
            in.cnt[a] += in.cnt[a + 1];
            close_slot(in, a + 1);
            renumber(p, a + 1, h);
            if (ln == 0) fix_min_upward(l, h);
            return true;
        }
        unsigned target = (ln + rn) / 2;
        id_t shift;
        if (ln < target) {
            shift = move_entries(r, 0, l, ln, target - ln, h);  // r's front to l's back
            in.cnt[a] += shift;
            in.cnt[a + 1] -= shift;
        } else {
            shift = move_entries(l, target, r, 0, ln - target, h);  // l's back to r's front
            in.cnt[a] -= shift;
            in.cnt[a + 1] += shift;
        }
        if (ln == 0) fix_min_upward(l, h);
        fix_min_upward(r, h);
        return false;
    }

    // Moves k entries (leaf) or children (inner) from src[s..s+k) into dst
    // at position d (d must be dst's count or 0), closing the gap in src and
    // opening one in dst. Returns how many entries moved.
    id_t move_entries(id_t src, unsigned s, id_t dst, unsigned d, unsigned k, unsigned h) {
        if (h == 0) {
            Leaf& ls = leaf(src);
            Leaf& ld = leaf(dst);
            std::memmove(&ld.ids[d + k], &ld.ids[d], (ld.count - d) * sizeof(id_t));
            std::memmove(&ld.pfx[d + k], &ld.pfx[d], (ld.count - d) * sizeof(std::uint64_t));
            std::memcpy(&ld.ids[d], &ls.ids[s], k * sizeof(id_t));
            std::memcpy(&ld.pfx[d], &ls.pfx[s], k * sizeof(std::uint64_t));
            std::memmove(&ls.ids[s], &ls.ids[s + k], (ls.count - s - k) * sizeof(id_t));
            std::memmove(&ls.pfx[s], &ls.pfx[s + k], (ls.count - s - k) * sizeof(std::uint64_t));
            ld.count = static_cast<std::uint16_t>(ld.count + k);
            ls.count = static_cast<std::uint16_t>(ls.count - k);
            for (unsigned q = 0; q < k; ++q) tr_.hook(ld.ids[d + q]).leaf = dst;
            return k;
        }
        Inner& is = inner(src);
        Inner& id = inner(dst);
        copy_children(id, d + k, id, d, id.count - d);
        copy_children(id, d, is, s, k);
        copy_children(is, s, is, s + k, is.count - s - k);
        id.count = static_cast<std::uint16_t>(id.count + k);
        is.count = static_cast<std::uint16_t>(is.count - k);
        id_t moved = 0;
        for (unsigned q = 0; q < k; ++q) {
            moved += id.cnt[d + q];
            parent_of(id.child[d + q], h - 1) = dst;
        }
        renumber(dst, d, h - 1);
        renumber(src, s, h - 1);
        return moved;
    }

    id_t first_leaf() const {
        id_t node = root_;
        for (unsigned h = height_; h > 0; --h) node = inner(node).child[0];
        return node;
    }

    // Splits n items into ceil(n / fill) groups as evenly as possible.
    static id_t groups_for(std::size_t n, unsigned fill) {
        return static_cast<id_t>((n + fill - 1) / fill);
    }

    void build_leaves(const id_t* ids, const std::uint64_t* pfx, id_t count, bool hook,
                      Vec<id_t>& out) {
        const id_t groups = groups_for(count, LeafCap * 3 / 4);
        leaves_.reserve(groups);
        out.clear();
        out.reserve(groups);
        id_t prev = nil_id;
        for (id_t g = 0, pos = 0; g < groups; ++g) {
            id_t n = count / groups + (g < count % groups ? 1 : 0);
            id_t l = new_leaf(nil_id);
            Leaf& lf = leaf(l);
            for (id_t k = 0; k < n; ++k) {
                id_t x = ids[pos + k];
                lf.ids[k] = x;
                lf.pfx[k] = pfx ? pfx[pos + k] : tr_.prefix(x);
                if (hook) tr_.hook(x).leaf = l;
            }
            lf.count = static_cast<std::uint16_t>(n);
            lf.prev = prev;
            if (prev != nil_id) leaf(prev).next = l;
            prev = l;
            pos += n;
            out.push_back(l);
        }
    }

    void build_inners(const Vec<id_t>& below, Vec<id_t>& out) {
        const unsigned h = height_;  // height of the nodes in `below`
        const id_t count = static_cast<id_t>(below.size());
        const id_t groups = groups_for(count, InnerCap * 3 / 4);
        inners_.reserve(inners_.high_water() + groups);
        out.clear();
        for (id_t g = 0, pos = 0; g < groups; ++g) {
            id_t n = count / groups + (g < count % groups ? 1 : 0);
            id_t p = new_inner(nil_id);
            Inner& in = inner(p);
            for (id_t k = 0; k < n; ++k) {
                id_t c = below[pos + k];
                in.child[k] = c;
                in.cnt[k] = node_entries(c, h);
                auto [mid, mp] = node_min(c, h);
                in.min_id[k] = mid;
                in.min_pfx[k] = mp;
                parent_of(c, h) = p;
                slot_of(c, h) = static_cast<std::uint16_t>(k);
            }
            in.count = static_cast<std::uint16_t>(n);
            pos += n;
            out.push_back(p);
        }
    }

    bool check_node(id_t node, unsigned h, id_t parent, id_t& counted, id_t& prev_leaf,
                    id_t& prev_id, std::string& w) const {
        if (h == 0) return check_leaf(node, parent, counted, prev_leaf, prev_id, w);
        const Inner& in = inner(node);
        if (in.parent != parent) return fail(w, "inner node has a wrong parent link");
        if (in.count > InnerCap || in.count == 0) return fail(w, "inner count out of range");
        if (parent != nil_id && in.count < inner_min) return fail(w, "inner node underfull");
        for (unsigned i = 0; i < in.count; ++i) {
            id_t before = counted;
            id_t first_prev = prev_id;
            if (!check_node(in.child[i], h - 1, node, counted, prev_leaf, prev_id, w)) return false;
            const std::uint16_t slot =
                h == 1 ? leaf(in.child[i]).slot : inner(in.child[i]).slot;
            if (slot != i) return fail(w, "child slot is wrong");
            if (counted - before != in.cnt[i]) return fail(w, "child count is wrong");
            id_t head = first_prev == nil_id ? first() : next(first_prev);
            if (in.min_id[i] != head) return fail(w, "child minimum id is wrong");
            if (in.min_pfx[i] != tr_.prefix(head)) return fail(w, "child minimum prefix is wrong");
        }
        return true;
    }

    bool check_leaf(id_t l, id_t parent, id_t& counted, id_t& prev_leaf, id_t& prev_id,
                    std::string& w) const {
        const Leaf& lf = leaf(l);
        if (lf.parent != parent) return fail(w, "leaf has a wrong parent link");
        if (lf.count > LeafCap || lf.count == 0) return fail(w, "leaf count out of range");
        if (parent != nil_id && lf.count < leaf_min) return fail(w, "leaf underfull");
        if (lf.prev != prev_leaf) return fail(w, "leaf prev link is wrong");
        if (prev_leaf != nil_id && leaf(prev_leaf).next != l) return fail(w, "leaf next link is wrong");
        for (unsigned j = 0; j < lf.count; ++j) {
            id_t x = lf.ids[j];
            if (tr_.hook(x).leaf != l) return fail(w, "entry hook names the wrong leaf");
            if (lf.pfx[j] != tr_.prefix(x)) return fail(w, "stored prefix is stale");
            if (prev_id != nil_id) {
                if (tr_.less(x, prev_id)) return fail(w, "entries out of order");
                if (tr_.prefix(x) < tr_.prefix(prev_id)) return fail(w, "prefix not monotone");
            }
            prev_id = x;
        }
        counted += lf.count;
        prev_leaf = l;
        return true;
    }

    Traits tr_;
    Slab<Leaf> leaves_;
    Slab<Inner> inners_;
    id_t root_ = nil_id;
    unsigned height_ = 0;  // levels of inner nodes above the leaves
    id_t size_ = 0;
};

}  // namespace roster
