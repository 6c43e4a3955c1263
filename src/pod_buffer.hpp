// A growable array of trivially copyable values whose new elements are not
// initialised: the flush appends tens of thousands of ops per call, each
// written once, and std::vector would either check capacity per element or
// zero every element it resizes to.
//
// The memory is a slab's (slab.hpp): large buffers are mapped and advised
// to use huge pages, and grow without copying.
//
// extend() may throw std::bad_alloc (contents unchanged). Pointers into the
// buffer are valid until the next extend() or the buffer's end.
// Thread-safety: none.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

#include "slab.hpp"

namespace roster {

template <class T>
class PodBuffer {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* data() { return static_cast<T*>(mem_.data()); }
    const T* data() const { return static_cast<const T*>(mem_.data()); }
    T* begin() { return data(); }
    T* end() { return data() + size_; }
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

private:
    void grow(std::size_t need) {
        std::size_t cap = cap_ ? cap_ : 64;
        while (cap < need) cap *= 2;
        mem_.grow(cap * sizeof(T));
        cap_ = cap;
    }

    detail::SlabMemory mem_;
    std::size_t size_ = 0, cap_ = 0;
};

}  // namespace roster
