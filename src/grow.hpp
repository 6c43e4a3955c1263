// Reserving room ahead of a change without losing amortised growth.
//
// Events reserve what they may need before they change anything (so that
// nothing can fail half-way). A plain v.reserve(v.size() + k) allocates
// exactly that much, so one such reserve per event makes every event that
// finds the vector full copy all of it: quadratic over a run of joins.
#pragma once

#include <algorithm>
#include <cstddef>

namespace roster {

// Room for `total` elements in all; grows at least geometrically.
template <class V>
void reserve_total(V& v, std::size_t total) {
    if (total > v.capacity()) v.reserve(std::max(total, v.capacity() * 2));
}

// Room for `extra` more elements.
template <class V>
void reserve_more(V& v, std::size_t extra) {
    reserve_total(v, v.size() + extra);
}

}  // namespace roster
