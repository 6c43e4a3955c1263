// The frame queue (roster_guild_set_frame_queue): frames written as flat
// records into a buffer the guild owns, handed to the host in one piece.
// The layout is docs/frames.md §12.
#pragma once

#include <cstdint>
#include <span>

#include "pod_buffer.hpp"
#include "roster/roster.h"

namespace roster::capi {

class FrameQueue {
public:
    // Appends frame f for the sessions ids as one record. Strong guarantee:
    // on std::bad_alloc the queue is as it was.
    void append(const roster_frame& f, std::span<const std::uint64_t> ids);
    // The records since the last take; the queue starts empty again. The
    // bytes stay valid until the next take (the two buffers swap).
    std::span<const unsigned char> take();

private:
    PodBuffer<std::uint64_t> filling_, taken_;  // u64 words: 8-byte alignment
};

}  // namespace roster::capi
