// Id -> record index (user id -> member, role id -> role, ...).
//
// A Boost.Intrusive unordered_set with a member hook: the record carries its
// own link, so inserting never allocates a node and a lookup never allocates
// at all. The bucket array is ours: it doubles (rehash) when the load factor
// would pass 1, and the doubling is the only allocation, made before anything
// changes, so insert() has the strong guarantee.
//
// Ids are snowflakes whose low bits (worker, sequence) are poorly spread, so
// they pass through a 64-bit finaliser before bucket masking.
//
// Thread-safety: none.
#pragma once

#include <boost/intrusive/unordered_set.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace roster {

namespace bi = boost::intrusive;

#ifdef ROSTER_SAFE_LINKS
using HashHook = bi::unordered_set_member_hook<bi::link_mode<bi::safe_link>>;
#else
using HashHook = bi::unordered_set_member_hook<bi::link_mode<bi::normal_link>>;
#endif

struct IdHash {
    std::size_t operator()(std::uint64_t x) const noexcept {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return static_cast<std::size_t>(x);
    }
};

// T must have a public `HashHook` member named by Hook and a public
// std::uint64_t member named by Key.
template <class T, HashHook T::*Hook, std::uint64_t T::*Key>
class HashIndex {
    struct KeyOf {
        using type = std::uint64_t;
        const type& operator()(const T& v) const noexcept { return v.*Key; }
    };
    using Set = bi::unordered_set<T, bi::member_hook<T, HashHook, Hook>, bi::key_of_value<KeyOf>,
                                  bi::hash<IdHash>, bi::power_2_buckets<true>,
                                  bi::constant_time_size<true>>;
    using Bucket = typename Set::bucket_type;
    using BucketTraits = typename Set::bucket_traits;
    static constexpr std::size_t min_buckets = 16;

public:
    HashIndex()
        : buckets_(new Bucket[min_buckets]),
          nbuckets_(min_buckets),
          set_(BucketTraits(buckets_.get(), min_buckets)) {}
    HashIndex(const HashIndex&) = delete;
    HashIndex& operator=(const HashIndex&) = delete;
    ~HashIndex() { set_.clear(); }

    std::size_t size() const { return set_.size(); }
    std::size_t bucket_count() const { return nbuckets_; }
    std::size_t memory_bytes() const { return nbuckets_ * sizeof(Bucket); }

    T* find(std::uint64_t key) {
        auto it = set_.find(key);
        return it == set_.end() ? nullptr : &*it;
    }
    const T* find(std::uint64_t key) const {
        auto it = set_.find(key);
        return it == set_.end() ? nullptr : &*it;
    }

    // Makes room for n records without rehashing. Strong guarantee.
    void reserve(std::size_t n) {
        std::size_t want = nbuckets_;
        while (want < n) want *= 2;
        if (want != nbuckets_) rehash(want);
    }

    // Links `v` unless a record with its key is present. Returns false (and
    // changes nothing) on a duplicate. Throws std::bad_alloc, unchanged.
    bool insert(T& v) {
        if (set_.find(v.*Key) != set_.end()) return false;
        if (set_.size() + 1 > nbuckets_) rehash(nbuckets_ * 2);
        set_.insert(v);
        return true;
    }

    // Unlinks `v`, which must be linked here. Never throws.
    void erase(T& v) noexcept { set_.erase(set_.iterator_to(v)); }

    // Unlinks every record (the records are the caller's).
    void clear() noexcept { set_.clear(); }

    template <class F>
    void for_each(F&& f) {
        for (T& v : set_) f(v);
    }

private:
    void rehash(std::size_t n) {
        std::unique_ptr<Bucket[]> fresh(new Bucket[n]);
        set_.rehash(BucketTraits(fresh.get(), n));
        buckets_.swap(fresh);
        nbuckets_ = n;
    }

    std::unique_ptr<Bucket[]> buckets_;
    std::size_t nbuckets_;
    Set set_;
};

}  // namespace roster
