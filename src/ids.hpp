// 32-bit ids name nodes and entries inside one guild's slabs.
#pragma once

#include <cstdint>

namespace roster {

inline constexpr std::uint32_t nil_id = 0xFFFFFFFFu;

}  // namespace roster
