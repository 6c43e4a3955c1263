// Dense, growable storage of trivially copyable objects named by 32-bit ids.
//
// Why: rank-tree nodes link to each other by 32-bit ids, so the storage only
// has to keep ids stable, not addresses; it may grow by moving. Large slabs
// are mapped directly and advised to use transparent huge pages, which cuts
// the TLB misses of tree walks over millions of nodes. Freed ids are reused
// (LIFO) before the slab grows; the free list is threaded through the freed
// objects themselves, so free() never allocates and costs no memory.
//
// Errors: allocate() throws std::bad_alloc when memory runs out, before any
// state changes. Thread-safety: none.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "heap.hpp"
#include "ids.hpp"

namespace roster {

namespace detail {

// Raw memory for slabs: malloc for small blocks, anonymous mappings for
// larger ones (mremap grows them without copying), advised to use huge
// pages from 2 MiB on; or, when the bound heap has the host's hooks
// (heap.hpp), their blocks. A bound heap counts the bytes.
//
// Why mappings start well below 2 MiB: malloc's realloc copies a block it
// cannot extend, and the copy first-touches every page of the new block.
// At 10M members the slabs of a section's tree are around a megabyte, and
// the event that outgrew one stalled for 0.3-0.7 ms on a virtual machine.
// Why not smaller still: each mapping is an entry in the process's map
// table (vm.max_map_count, 65530 by default), and a host may run many
// guilds.
class SlabMemory {
public:
    static constexpr std::size_t map_threshold = std::size_t{256} << 10;  // 256 KiB
    static constexpr std::size_t huge_threshold = heap::huge_page_bytes;  // 2 MiB

    SlabMemory() = default;
    SlabMemory(const SlabMemory&) = delete;
    SlabMemory& operator=(const SlabMemory&) = delete;
    SlabMemory(SlabMemory&& o) noexcept { swap(o); }
    SlabMemory& operator=(SlabMemory&& o) noexcept {
        SlabMemory tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    ~SlabMemory() { release(); }

    void* data() const { return ptr_; }
    std::size_t bytes() const { return bytes_; }
    // Whether the memory is an anonymous mapping of its own (not malloc's,
    // not the host's).
    bool mapped() const { return mapped_; }

    // Grows to at least `want` bytes, keeping the contents. Strong guarantee.
    // Blocks below `map_from` (at least map_threshold) come from malloc.
    void grow(std::size_t want, std::size_t map_from = map_threshold) {
        if (want <= bytes_) return;
        Heap* h = heap::current();
#ifdef ROSTER_SLAB_EXACT_GROWTH
        // Test builds: slab memory comes from realloc/mmap, which allocation
        // failure tests cannot fail; a probe through operator new lets them.
        if (!h || !h->hooked()) ::operator delete(::operator new(1));
#endif
        if (h && h->hooked()) {
            grow_hooked(*h, want);
            return;
        }
        if (want < std::max(map_from, map_threshold) && !mapped_) {
            void* p = std::realloc(ptr_, want);
            if (!p) throw std::bad_alloc();
            count(h, bytes_, want);
            ptr_ = p;
            bytes_ = want;
            return;
        }
        std::size_t size = round_up(want);
        void* p;
        if (mapped_) {
            // The mapping keeps its advice when it grows or moves; one
            // that reaches 2 MiB is advised now (before its new pages are
            // touched).
            p = ::mremap(ptr_, bytes_, size, MREMAP_MAYMOVE);
            if (p == MAP_FAILED) throw std::bad_alloc();
            if (bytes_ < huge_threshold && size >= huge_threshold) advise_huge(p, size);
        } else {
            p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                       0);
            if (p == MAP_FAILED) throw std::bad_alloc();
            // Advised before the copy: a page's size is decided when it is
            // first touched, and the copy touches the first bytes_ of it.
            if (size >= huge_threshold) advise_huge(p, size);
            if (bytes_) std::memcpy(p, ptr_, bytes_);
            std::free(ptr_);
        }
        count(h, bytes_, size);
        ptr_ = p;
        bytes_ = size;
        mapped_ = true;
    }

    void release() noexcept {
        if (!ptr_) return;
        Heap* h = heap::current();
        if (h && h->hooked())
            h->hooks.deallocate(ptr_, h->hooks.user_data);
        else if (mapped_)
            ::munmap(ptr_, bytes_);
        else
            std::free(ptr_);
        if (h) h->sub(bytes_);
        ptr_ = nullptr;
        bytes_ = 0;
        mapped_ = false;
    }

    void swap(SlabMemory& o) noexcept {
        std::swap(ptr_, o.ptr_);
        std::swap(bytes_, o.bytes_);
        std::swap(mapped_, o.mapped_);
    }

private:
    static void count(Heap* h, std::size_t from, std::size_t to) noexcept {
        if (!h) return;
        h->sub(from);
        h->add(to);
    }

    // Through the host's hooks: its reallocate, or allocate, copy, free.
    void grow_hooked(Heap& h, std::size_t want) {
        void* p;
        if (ptr_ && h.hooks.reallocate) {
            p = h.hooks.reallocate(ptr_, want, h.hooks.user_data);
            if (!p) throw std::bad_alloc();
        } else {
            p = h.hooks.allocate(want, h.hooks.user_data);
            if (!p) throw std::bad_alloc();
            if (bytes_) std::memcpy(p, ptr_, bytes_);
            if (ptr_) h.hooks.deallocate(ptr_, h.hooks.user_data);
        }
        count(&h, bytes_, want);
        ptr_ = p;
        bytes_ = want;
    }

    // Whole 4 KiB pages (the kernel rounds to its own); whole 2 MiB pages
    // from 2 MiB on.
    static std::size_t round_up(std::size_t n) {
        const std::size_t unit = n >= huge_threshold ? huge_threshold : page_bytes;
        return (n + unit - 1) & ~(unit - 1);
    }
    // The whole mapping, not only its whole 2 MiB pages (as heap.cpp does
    // inside a malloc block): advice on part of a mapping splits it in
    // two, and mremap cannot grow a range that spans mappings.
    static void advise_huge([[maybe_unused]] void* p, [[maybe_unused]] std::size_t size) {
#ifdef MADV_HUGEPAGE
        ::madvise(p, size, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
    }
    static constexpr std::size_t page_bytes = 4096;

    void* ptr_ = nullptr;
    std::size_t bytes_ = 0;
    bool mapped_ = false;
};

}  // namespace detail

template <class T>
class Slab {
    static_assert(std::is_trivially_copyable_v<T>, "slab objects are moved by memcpy");
    static_assert(sizeof(T) >= sizeof(std::uint32_t), "a freed object holds the free-list link");

public:
    using id_t = std::uint32_t;
    static constexpr id_t max_ids = 0xFFFFFFFEu;  // 0xFFFFFFFF is nil

    T& operator[](id_t id) { return data()[id]; }
    const T& operator[](id_t id) const { return data()[id]; }
    T* data() const { return static_cast<T*>(mem_.data()); }

    // Ids handed out and not freed.
    id_t live() const { return high_ - nfree_; }
    // One past the highest id ever handed out.
    id_t high_water() const { return high_; }
    id_t capacity() const { return static_cast<id_t>(mem_.bytes() / sizeof(T)); }
    std::size_t memory_bytes() const { return mem_.bytes(); }
    bool mapped() const { return mem_.mapped(); }

    void reserve(id_t n) {
        if (n > capacity()) mem_.grow(std::size_t{n} * sizeof(T));
    }

    // Makes the next k allocate() calls unable to fail (freed ids count),
    // growing geometrically as allocate() does, so reserving before each
    // single allocation stays amortised O(1). Strong guarantee.
    void reserve_more(id_t k) {
        const std::size_t need = std::size_t{high_} + (k > nfree_ ? k - nfree_ : 0);
        if (need <= capacity()) return;
        if (need > max_ids) throw std::bad_alloc();
        std::size_t next = grown(capacity());
        if (next < need) next = need;
        mem_.grow(next * sizeof(T));
    }

    // Returns a fresh id whose object is value-initialised. The data()
    // pointer may change. Throws std::bad_alloc (nothing changed).
    id_t allocate() {
        id_t id;
        if (free_head_ != nil_id) {
            id = free_head_;
            std::memcpy(&free_head_, static_cast<const void*>(&data()[id]), sizeof(id_t));
            --nfree_;
        } else {
            if (high_ == max_ids) throw std::bad_alloc();
            if (high_ == capacity()) mem_.grow(grown(capacity()) * sizeof(T));
            id = high_++;
        }
        new (&data()[id]) T();
        return id;
    }

    // Returns `id` (live) to the slab; its object's bytes are overwritten.
    void free(id_t id) noexcept {
        std::memcpy(static_cast<void*>(&data()[id]), &free_head_, sizeof(id_t));
        free_head_ = id;
        ++nfree_;
    }

    // The freed ids from the next one allocate() takes on (a snapshot
    // writes them so that a loaded slab hands out the same ids).
    template <class F>
    void for_each_free(F&& f) const {
        for (id_t id = free_head_; id != nil_id;) {
            f(id);
            std::memcpy(&id, static_cast<const void*>(&data()[id]), sizeof(id_t));
        }
    }

    // Starts over with ids [0, high) handed out, every object
    // value-initialised, then the ids of `freed` freed, so that allocate()
    // takes them in that order. The ids must be distinct and below high.
    // Throws std::bad_alloc (the slab is then empty).
    void restore(id_t high, const id_t* freed, id_t nfreed) {
        clear();
        reserve(high);
        for (id_t i = 0; i < high; ++i) new (&data()[i]) T();
        high_ = high;
        for (id_t i = nfreed; i-- > 0;) free(freed[i]);
    }

    // Forgets every id; keeps the memory.
    void clear() noexcept {
        free_head_ = nil_id;
        nfree_ = 0;
        high_ = 0;
    }

private:
    // The capacity after one step of growth from cap.
    static std::size_t grown(std::size_t cap) {
#ifdef ROSTER_SLAB_EXACT_GROWTH
        // Test builds only: every new object allocates, so tests see every
        // allocation a missing reservation would make.
        std::size_t next = cap + 1;
#else
        std::size_t next = cap < 64 ? 64 : cap + cap / 2;
#endif
        return next > max_ids ? max_ids : next;
    }

    detail::SlabMemory mem_;
    id_t free_head_ = nil_id;  // freed ids, linked through their objects
    id_t nfree_ = 0;
    id_t high_ = 0;
};

}  // namespace roster
