// W1: the two ordered indexes under test, behind one call shape so the
// timed loops in w1.cpp are the same template for both.
//
// Every operation takes both the member's roster handle (slab slot) and its
// key; each side reads only what it needs (the unused load is dead code once
// inlined). Every operation returns the row index(es) it reports, which the
// harness sums and cross-checks between the two sides.
#pragma once

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "bench_util.hpp"
#include "rank_btree.hpp"
#include "rank_tree.hpp"
#include "slab.hpp"

namespace bench::w1 {

// A member-list entry's sort key: (group rank, name hash, user id).
struct Key {
    std::uint32_t group;
    std::uint64_t hash;
    std::uint64_t id;
};

// Lexicographic (group, hash, id) over anything with those three fields.
template <class A, class B>
inline bool key_less(const A& a, const B& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.hash != b.hash) return a.hash < b.hash;
    return a.id < b.id;
}

inline bool operator<(const Key& a, const Key& b) { return key_less(a, b); }
inline bool operator==(const Key& a, const Key& b) {
    return a.group == b.group && a.hash == b.hash && a.id == b.id;
}

// Both reported indices of a move folded into one number for the checksum.
inline std::uint64_t mix_move(std::uint64_t from, std::uint64_t to) {
    return from * 0x9E3779B1ull + to;
}

// ---------------------------------------------------------------- roster --
// roster's ordered index: the counted B+tree (src/rank_btree.hpp). Keys live
// in one slab, the 4-byte hooks (entry -> leaf) in a dense slab of their own,
// as the engine lays them out.

struct Entry {
    std::uint32_t group;
    std::uint64_t hash;
    std::uint64_t id;
};

struct EntryTraits {
    Entry* base = nullptr;
    roster::BTreeHook* hooks = nullptr;
    roster::BTreeHook& hook(std::uint32_t id) const { return hooks[id]; }
    // Monotone 8-byte prefix of (group, hash, id): group and the hash's top half.
    std::uint64_t prefix(std::uint32_t id) const {
        return (std::uint64_t{base[id].group} << 32) | (base[id].hash >> 32);
    }
    bool less(std::uint32_t a, std::uint32_t b) const { return key_less(base[a], base[b]); }
};

class RosterSide {
public:
    using Tree = roster::RankBTree<EntryTraits>;
    static constexpr const char* name = "roster";

    // Reserves `capacity` slots up front, so the slabs never move.
    explicit RosterSide(std::uint32_t capacity) {
        slab_.reserve(capacity);
        hooks_.reserve(capacity);
        tree_.set_traits(EntryTraits{slab_.data(), hooks_.data()});
    }

    std::size_t size() const { return tree_.size(); }

    std::uint64_t index_of(std::uint32_t slot, const Key&) const { return tree_.index_of(slot); }

    std::uint64_t at(std::uint32_t row) const { return slab_[tree_.at(row)].id; }

    std::uint64_t insert(const Key& k, std::uint32_t& slot) {
        slot = slab_.allocate();
        hooks_.allocate();
        set_key(slot, k);
        return tree_.insert(slot);
    }

    std::uint64_t erase(std::uint32_t slot, const Key&) {
        std::uint64_t index = tree_.erase(slot);
        slab_.free(slot);
        hooks_.free(slot);
        return index;
    }

    std::uint64_t move(std::uint32_t slot, const Key&, const Key& to) {
        std::uint64_t from = tree_.erase(slot);
        set_key(slot, to);
        return mix_move(from, tree_.insert(slot));
    }

    void remove_inserted(std::uint32_t slot, const Key& k) { erase(slot, k); }

    // Undoes erase(); LIFO slab reuse hands back exactly the erased slot.
    void reinsert(std::uint32_t slot, const Key& k) {
        std::uint32_t got = slab_.allocate();
        hooks_.allocate();
        if (got != slot) die("roster slab did not return the erased slot on re-insertion");
        set_key(got, k);
        tree_.insert(got);
    }

    void check_stable() const {
        if (tree_.traits().base != slab_.data() || tree_.traits().hooks != hooks_.data())
            die("roster slab moved despite reserve()");
    }

    std::uint32_t first() const { return tree_.first(); }
    std::uint32_t next(std::uint32_t slot) const { return tree_.next(slot); }
    Key key_of(std::uint32_t slot) const {
        const Entry& e = slab_[slot];
        return Key{e.group, e.hash, e.id};
    }
    bool check_invariants(std::string* why) const { return tree_.check_invariants(why); }
    // Keys + hooks + the tree's nodes.
    std::size_t bytes() const {
        return slab_.memory_bytes() + hooks_.memory_bytes() + tree_.memory_bytes();
    }
    std::size_t index_bytes() const { return hooks_.memory_bytes() + tree_.memory_bytes(); }

private:
    void set_key(std::uint32_t slot, const Key& k) {
        Entry& e = slab_[slot];
        e.group = k.group;
        e.hash = k.hash;
        e.id = k.id;
    }

    roster::Slab<Entry> slab_;
    roster::Slab<roster::BTreeHook> hooks_;
    Tree tree_;
};

// ------------------------------------------------------------------- avl --
// The rank-augmented AVL tree (src/rank_tree.hpp): the binary-tree design
// roster measured against its B+tree and kept as the baseline.

struct AvlEntry {
    roster::RankNode node;
    std::uint32_t group;
    std::uint64_t hash;
    std::uint64_t id;
};

struct AvlAccess {
    AvlEntry* base = nullptr;
    roster::RankNode& operator()(std::uint32_t id) const { return base[id].node; }
};

struct AvlLess {
    const AvlEntry* base;
    bool operator()(std::uint32_t a, std::uint32_t b) const { return key_less(base[a], base[b]); }
};

class AvlSide {
public:
    using Tree = roster::RankTree<AvlAccess>;
    static constexpr const char* name = "avl";

    // Reserves `capacity` slots (and as many free-list entries) up front, so
    // the slab never moves during the run.
    explicit AvlSide(std::uint32_t capacity) {
        slab_.reserve(capacity);
        tree_.set_access(AvlAccess{slab_.data()});
    }

    std::size_t size() const { return tree_.size(); }

    // Timed operations ---------------------------------------------------
    std::uint64_t index_of(std::uint32_t slot, const Key&) const { return tree_.index_of(slot); }

    std::uint64_t at(std::uint32_t row) const { return slab_[tree_.at(row)].id; }

    std::uint64_t insert(const Key& k, std::uint32_t& slot) {
        slot = slab_.allocate();
        set_key(slot, k);
        return tree_.insert(slot, less());
    }

    std::uint64_t erase(std::uint32_t slot, const Key&) {
        std::uint64_t index = tree_.erase(slot);
        slab_.free(slot);
        return index;
    }

    std::uint64_t move(std::uint32_t slot, const Key&, const Key& to) {
        std::uint64_t from = tree_.erase(slot);
        set_key(slot, to);
        return mix_move(from, tree_.insert(slot, less()));
    }

    // Untimed restoring operations ---------------------------------------
    // Undoes insert(): the entry leaves the tree and its slot is freed.
    void remove_inserted(std::uint32_t slot, const Key& k) { erase(slot, k); }

    // Undoes erase(). Called in reverse order of the erases, the slab's LIFO
    // free list hands back exactly the erased slot, so member handles stay
    // valid; anything else is a harness bug.
    void reinsert(std::uint32_t slot, const Key& k) {
        std::uint32_t got = slab_.allocate();
        if (got != slot) die("roster slab did not return the erased slot on re-insertion");
        set_key(got, k);
        tree_.insert(got, less());
    }

    // Dies if the slab moved (the accessor holds its base pointer).
    void check_stable() const {
        if (tree_.access().base != slab_.data()) die("roster slab moved despite reserve()");
    }

    // Verification and memory accounting ---------------------------------
    std::uint32_t first() const { return tree_.first(); }
    std::uint32_t next(std::uint32_t slot) const { return tree_.next(slot); }
    Key key_of(std::uint32_t slot) const {
        const AvlEntry& e = slab_[slot];
        return Key{e.group, e.hash, e.id};
    }
    bool check_invariants(std::string* why) const { return tree_.check_invariants(less(), why); }
    std::size_t bytes() const { return slab_.memory_bytes(); }
    std::size_t index_bytes() const { return slab_.capacity() * sizeof(roster::RankNode); }

private:
    AvlLess less() const { return AvlLess{slab_.data()}; }
    void set_key(std::uint32_t slot, const Key& k) {
        AvlEntry& e = slab_[slot];
        e.group = k.group;
        e.hash = k.hash;
        e.id = k.id;
    }

    roster::Slab<AvlEntry> slab_;
    Tree tree_;
};

// ------------------------------------------------------------------ pbds --

using PbdsTree = __gnu_pbds::tree<Key, __gnu_pbds::null_type, std::less<Key>,
                                  __gnu_pbds::rb_tree_tag,
                                  __gnu_pbds::tree_order_statistics_node_update>;

// What a user would write with pb_ds: the key is the handle, indices come
// from order_of_key (also after inserts, so every op reports its index).
class PbdsSide {
public:
    static constexpr const char* name = "pbds";

    std::size_t size() const { return t_.size(); }

    std::uint64_t index_of(std::uint32_t, const Key& k) const { return t_.order_of_key(k); }

    std::uint64_t at(std::uint32_t row) const { return t_.find_by_order(row)->id; }

    std::uint64_t insert(const Key& k, std::uint32_t&) {
        t_.insert(k);
        return t_.order_of_key(k);
    }

    std::uint64_t erase(std::uint32_t, const Key& k) {
        std::uint64_t index = t_.order_of_key(k);
        t_.erase(k);
        return index;
    }

    std::uint64_t move(std::uint32_t, const Key& from_key, const Key& to_key) {
        std::uint64_t from = t_.order_of_key(from_key);
        t_.erase(from_key);
        t_.insert(to_key);
        return mix_move(from, t_.order_of_key(to_key));
    }

    void remove_inserted(std::uint32_t, const Key& k) { t_.erase(k); }
    void reinsert(std::uint32_t, const Key& k) { t_.insert(k); }
    void check_stable() const {}

    // Plain insert for the initial build (no index wanted).
    void build_insert(const Key& k) { t_.insert(k); }
    const PbdsTree& tree() const { return t_; }

private:
    PbdsTree t_;
};

}  // namespace bench::w1
