// A growable array of trivially copyable values. extend() leaves its new
// elements uninitialised: the flush appends tens of thousands of ops per
// call, each written once, and std::vector would either check capacity per
// element or zero every element it resizes to. resize() value-initialises
// them: a list's per-member hooks, which must not stall the join that
// outgrows them by copying the whole array.
//
// The memory is a slab's (slab.hpp): large buffers are mapped and advised
// to use huge pages, and grow without copying.
//
// extend(), reserve(), assign() and a resize() past capacity() may throw
// std::bad_alloc (contents unchanged). Pointers into the buffer are valid
// until it grows or ends. Thread-safety: none.
#pragma once

#include <cstddef>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "slab.hpp"

namespace roster {

// MapFrom: the size from which the memory is a mapping (see
// SlabMemory::grow); a larger one keeps scratch that is reused, not kept,
// in malloc's memory below it.
template <class T, std::size_t MapFrom = detail::SlabMemory::map_threshold>
class PodBuffer {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    PodBuffer() = default;
    PodBuffer(PodBuffer&& o) noexcept
        : mem_(std::move(o.mem_)), size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
    PodBuffer& operator=(PodBuffer&& o) noexcept {
        PodBuffer tmp(std::move(o));
        mem_.swap(tmp.mem_);
        std::swap(size_, tmp.size_);
        std::swap(cap_, tmp.cap_);
        return *this;
    }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* data() { return static_cast<T*>(mem_.data()); }
    const T* data() const { return static_cast<const T*>(mem_.data()); }
    T* begin() { return data(); }
    T* end() { return data() + size_; }
    const T* begin() const { return data(); }
    const T* end() const { return data() + size_; }
    std::span<const T> view(std::size_t from, std::size_t n) const { return {data() + from, n}; }
    void clear() { size_ = 0; }

    // Room for n more elements, uninitialised, at the end: returns them.
    T* extend(std::size_t n) {
        if (cap_ - size_ < n) grow(size_ + n);
        T* at = data() + size_;
        size_ += n;
        return at;
    }
    // Gives back the last n elements (n <= size()).
    void shrink(std::size_t n) { size_ -= n; }
    // Drops [at, end()) (at within the buffer).
    void erase_from(const T* at) { size_ = static_cast<std::size_t>(at - data()); }
    // One more element at the end; may throw only when size() ==
    // capacity() (contents unchanged).
    void push_back(const T& v) { *extend(1) = v; }

    // As an array of values (the guild's per-member hooks): growing never
    // copies the contents when the memory is a mapping (mremap), so a
    // large array does not stall the call that outgrows it.
    T& operator[](std::size_t i) { return data()[i]; }
    const T& operator[](std::size_t i) const { return data()[i]; }
    std::size_t capacity() const { return cap_; }
    std::size_t memory_bytes() const { return mem_.bytes(); }
    bool mapped() const { return mem_.mapped(); }
    // Room for n elements in all, exactly (reserve_total grows it
    // geometrically). May throw (contents unchanged).
    void reserve(std::size_t n) {
        if (n <= cap_) return;
        mem_.grow(n * sizeof(T), MapFrom);
        cap_ = n;
    }
    // n elements; new ones value-initialised. May throw when n exceeds
    // capacity() (contents unchanged).
    void resize(std::size_t n) {
        if (n > cap_) grow(n);
        for (std::size_t i = size_; i < n; ++i) new (data() + i) T();
        size_ = n;
    }
    // n copies of v. May throw (contents unchanged).
    void assign(std::size_t n, const T& v) {
        reserve(n);
        for (std::size_t i = 0; i < n; ++i) data()[i] = v;
        size_ = n;
    }

private:
    void grow(std::size_t need) {
        std::size_t cap = cap_ ? cap_ : 64;
        while (cap < need) cap *= 2;
        mem_.grow(cap * sizeof(T), MapFrom);
        cap_ = cap;
    }

    detail::SlabMemory mem_;
    std::size_t size_ = 0, cap_ = 0;
};

}  // namespace roster
