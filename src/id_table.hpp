// Id -> slot: the member index of a guild (user id -> member slot).
//
// Why not a chained hash (the Boost.Intrusive unordered_set it replaced): a
// lookup there reads the bucket array and then the node, two dependent cache
// misses, and every record pays for a link. Here the table is a flat array of 8-byte entries {tag, slot},
// eight to a cache line, probed linearly: a lookup reads one line of the
// table and then the record it names, which the caller reads anyway.
//
// Layout: tag is the high 32 bits of a 64-bit mix of the id; an entry's home
// is the top log2(capacity) bits of its tag. Ids are not stored: a tag match
// is confirmed by the caller's id_of(slot). Because the home is a function
// of the tag alone, growing re-places entries without reading any record.
// The load factor stays <= 3/4; erase shifts the rest of the probe run back
// (no tombstones), so runs stay short under churn.
//
// Memory: large tables are anonymous mappings advised to use huge pages
// (detail::SlabMemory), which keeps TLB misses off the lookup.
//
// Errors: reserve() and insert() throw std::bad_alloc with nothing changed;
// insert() cannot throw when reserve(size() + 1) was done first.
// Thread-safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "ids.hpp"
#include "slab.hpp"

namespace roster {

class IdTable {
public:
    struct Entry {
        std::uint32_t tag;
        std::uint32_t slot;  // nil_id: empty
    };
    static_assert(sizeof(Entry) == 8);
    static constexpr std::size_t min_capacity = 16;
    static constexpr std::size_t max_capacity = std::size_t{1} << 32;

    IdTable() = default;
    IdTable(const IdTable&) = delete;
    IdTable& operator=(const IdTable&) = delete;

    std::size_t size() const { return size_; }
    std::size_t capacity() const { return cap_; }
    std::size_t memory_bytes() const { return mem_.bytes(); }

    // The 64-bit finaliser of MurmurHash3: snowflake ids spread poorly in
    // their low bits.
    static std::uint64_t mix(std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
    }
    static std::uint32_t tag_of(std::uint64_t id) { return static_cast<std::uint32_t>(mix(id) >> 32); }

    // The slot of `id`, or nil_id. id_of(slot) must return the id stored
    // with a slot.
    template <class IdOf>
    std::uint32_t find(std::uint64_t id, IdOf&& id_of) const {
        if (size_ == 0) return nil_id;
        const std::uint32_t tag = tag_of(id);
        const Entry* t = table();
        for (std::size_t i = home(tag);; i = (i + 1) & mask_) {
            const Entry e = t[i];
            if (e.slot == nil_id) return nil_id;
            if (e.tag == tag && id_of(e.slot) == id) return e.slot;
        }
    }

    // For callers that know which ids they will look up next: requests the
    // table line of id's home, and later (once it has arrived) names the
    // slot whose tag matches, unconfirmed (a tag collision names another
    // member; that is harmless for a prefetch). nil_id when none matches.
    void prefetch(std::uint64_t id) const {
        if (cap_) __builtin_prefetch(&table()[home(tag_of(id))]);
    }
    // The table position where id's probe starts (capacity() > 0): a
    // caller inserting many ids into a table reserved for them can insert
    // them in ascending home order, so that the table is written from one
    // end to the other instead of at random (one cache miss per line, not
    // per entry).
    std::size_t home_of(std::uint64_t id) const { return home(tag_of(id)); }
    std::uint32_t peek(std::uint64_t id) const {
        if (size_ == 0) return nil_id;
        const std::uint32_t tag = tag_of(id);
        const Entry* t = table();
        for (std::size_t i = home(tag);; i = (i + 1) & mask_) {
            if (t[i].slot == nil_id || t[i].tag == tag) return t[i].slot;
        }
    }

    // Room for n entries in all without growing. Strong guarantee.
    void reserve(std::size_t n) {
        if (n > max_load(cap_)) rehash(capacity_for(n));
    }

    // Adds id -> slot unless id is present (then returns false and changes
    // nothing). Throws std::bad_alloc (nothing changed) when it must grow.
    template <class IdOf>
    bool insert(std::uint64_t id, std::uint32_t slot, IdOf&& id_of) {
        if (size_ + 1 > max_load(cap_)) {  // must grow, unless id is present
            if (find(id, id_of) != nil_id) return false;
            reserve(size_ + 1);
        }
        // One probe: the run from id's home holds id, or ends at the empty
        // entry where it goes.
        const std::uint32_t tag = tag_of(id);
        Entry* t = table();
        std::size_t i = home(tag);
        for (;; i = (i + 1) & mask_) {
            const Entry e = t[i];
            if (e.slot == nil_id) break;
            if (e.tag == tag && id_of(e.slot) == id) return false;
        }
        t[i] = Entry{tag, slot};
        ++size_;
        return true;
    }

    // Removes the entry of id, which must be present with this slot. Never
    // throws.
    void erase(std::uint64_t id, std::uint32_t slot) noexcept {
        Entry* t = table();
        const std::uint32_t tag = tag_of(id);
        std::size_t i = home(tag);
        while (!(t[i].slot == slot && t[i].tag == tag)) i = (i + 1) & mask_;
        // Backward shift: an entry further along the run moves into the hole
        // when the hole lies between its home and its position.
        for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
            const Entry e = t[j];
            if (e.slot == nil_id) break;
            const std::size_t h = home(e.tag);
            if (((j - h) & mask_) >= ((j - i) & mask_)) {
                t[i] = e;
                i = j;
            }
        }
        t[i] = empty();
        --size_;
    }

    // Forgets every entry; keeps the memory.
    void clear() noexcept {
        if (cap_) std::memset(mem_.data(), 0xFF, cap_ * sizeof(Entry));
        size_ = 0;
    }

    // Calls f(slot) for every entry, in table order.
    template <class F>
    void for_each(F&& f) const {
        const Entry* t = table();
        for (std::size_t i = 0; i < cap_; ++i)
            if (t[i].slot != nil_id) f(t[i].slot);
    }

    // Tests: the count, the load bound, and that every entry is reachable
    // from its home without crossing an empty entry. O(capacity).
    bool check_invariants(std::string* why = nullptr) const {
        std::string dummy;
        std::string& w = why ? *why : dummy;
        if (cap_ == 0) {
            if (size_ != 0) return (w = "entries without a table", false);
            return true;
        }
        if ((cap_ & (cap_ - 1)) != 0 || cap_ < min_capacity) return (w = "bad capacity", false);
        if (size_ > max_load(cap_)) return (w = "load factor above 3/4", false);
        const Entry* t = table();
        std::size_t n = 0;
        for (std::size_t i = 0; i < cap_; ++i) {
            if (t[i].slot == nil_id) continue;
            ++n;
            for (std::size_t k = home(t[i].tag); k != i; k = (k + 1) & mask_)
                if (t[k].slot == nil_id) return (w = "an entry is cut off from its home", false);
        }
        if (n != size_) return (w = "size() disagrees with the entries", false);
        return true;
    }

private:
    static constexpr Entry empty() { return Entry{nil_id, nil_id}; }
    static std::size_t max_load(std::size_t cap) { return cap / 4 * 3; }
    static std::size_t capacity_for(std::size_t n) {
        std::size_t c = min_capacity;
        while (max_load(c) < n) {
            if (c >= max_capacity) throw std::bad_alloc();
            c *= 2;
        }
        return c;
    }

    Entry* table() const { return static_cast<Entry*>(mem_.data()); }
    std::size_t home(std::uint32_t tag) const { return tag >> shift_; }

    // Puts e in the first empty entry of its run (there is one: load < 1).
    void place(Entry e) noexcept {
        Entry* t = table();
        std::size_t i = home(e.tag);
        while (t[i].slot != nil_id) i = (i + 1) & mask_;
        t[i] = e;
    }

    void rehash(std::size_t cap) {
        detail::SlabMemory fresh;
        fresh.grow(cap * sizeof(Entry));  // may throw: nothing changed yet
        std::memset(fresh.data(), 0xFF, cap * sizeof(Entry));
        unsigned bits = 0;
        while ((std::size_t{1} << bits) < cap) ++bits;
        fresh.swap(mem_);  // from here on `fresh` holds the old table
        const std::size_t old_cap = cap_;
        cap_ = cap;
        mask_ = cap - 1;
        shift_ = 32 - bits;
        const Entry* old = static_cast<const Entry*>(fresh.data());
        for (std::size_t i = 0; i < old_cap; ++i)
            if (old[i].slot != nil_id) place(old[i]);
    }

    detail::SlabMemory mem_;
    std::size_t cap_ = 0;
    std::size_t mask_ = 0;
    unsigned shift_ = 32;
    std::size_t size_ = 0;
};

}  // namespace roster
