// The naive strategy W2 compares against: "re-send a SYNC of every chunk
// whose rows changed", measured on the same run without sending anything.
//
// After each flush, for every chunk held by some session (the sessions'
// chunks as roster_session_ranges reports them; fixed during a run), the
// chunk changed when its rows differ from the snapshot taken at the previous
// flush (row identities, header counts, a member's group) or when a member
// shown in it had an event in this flush (that member's payload changed).
// Then, per flush:
//   ops    += one SYNC per (session, changed chunk it holds);
//   rows   += the rows (items) of those SYNCs;
//   frames += sessions holding at least one changed chunk, or every session
//             when the list's counts or groups changed;
//   bytes  += the JSON (frame_json.hpp) of each such session's frame: the
//             frame head with the current counts and groups, the SYNCs of
//             its changed chunks (the rows that exist, as SYNC sends them).
// Member items are sized with the same serializer as the real frames; the
// size of a member's item is cached until it has an event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <roster/roster.h>

#include "frame_json.hpp"

namespace sim {

class Naive {
public:
    // ordinal: user id -> dense index for the item size cache.
    Naive(std::uint64_t list_id, std::uint32_t chunk_size,
          std::uint64_t (*ordinal)(std::uint64_t user_id));

    // Reads the sessions' chunks and snapshots them. Returns a roster status.
    int init(const roster_guild* guild, const std::vector<std::uint64_t>& sessions);

    // After a flush; touched: users that had an event since the previous
    // flush (duplicates allowed). check: also serialise every SYNC for real
    // and compare with the cached size (aborts on a difference).
    int after_flush(const roster_guild* guild, const std::vector<std::uint64_t>& touched,
                    bool check);

    std::uint64_t ops = 0, rows = 0, frames = 0, bytes = 0;
    std::uint64_t chunks_changed = 0;  // (flush, chunk) pairs

    std::size_t held_chunks() const { return chunks_.size(); }
    std::size_t distinct_sets() const { return sets_.size(); }

private:
    struct Chunk {
        std::uint32_t k = 0;
        std::uint32_t holders = 0;
        std::vector<roster_row> rows;  // at the previous flush
        bool changed = false;
        std::uint64_t sync_bytes = 0;  // this flush, when changed
    };
    struct Set {
        std::vector<std::uint32_t> chunks;  // indices into chunks_
        std::uint64_t sessions = 0;
    };

    std::uint64_t list_;
    std::uint32_t chunk_size_;
    std::uint64_t (*ordinal_)(std::uint64_t);
    std::vector<Chunk> chunks_;  // ascending k
    std::vector<Set> sets_;
    std::uint32_t member_count_ = 0, online_count_ = 0;
    std::vector<roster_group> groups_, groups_now_;
    std::vector<std::uint32_t> item_bytes_;  // by ordinal; 0 = unknown
    std::vector<std::uint32_t> touched_chunks_;
    std::vector<roster_row> rows_;
    std::string scratch_;
    FrameJson json_;

    int read_groups(const roster_guild* guild, std::vector<roster_group>& out);
    int read_chunk(const roster_guild* guild, std::uint32_t k, std::vector<roster_row>& out);
    int sync_bytes(const roster_guild* guild, const Chunk& c, bool check, std::uint64_t* out);
    int item_bytes(const roster_guild* guild, const roster_row& row, std::uint64_t* out);
};

}  // namespace sim
