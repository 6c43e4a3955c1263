// A roster_write_fn (roster.h) that appends a snapshot's bytes to a
// std::vector<unsigned char> passed as user_data: the replay tool's
// in-memory files and the simulator's hand-offs.
#pragma once

#include <cstddef>
#include <vector>

namespace sim {

inline int append_bytes(const void* data, std::size_t len, void* user) noexcept {
    auto* b = static_cast<std::vector<unsigned char>*>(user);
    try {
        b->insert(b->end(), static_cast<const unsigned char*>(data),
                  static_cast<const unsigned char*>(data) + len);
    } catch (...) {  // must not unwind through the library: the save stops (EIO)
        return 1;
    }
    return 0;
}

}  // namespace sim
