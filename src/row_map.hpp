// Where each row of a list came from, over one flush.
//
// Replaying a list's change log (RowEdit) on a run-length description of
// the old rows gives, for every row of the new list, either the old
// position it held (unchanged, or "dirty": same row, new content) or "new"
// (inserted). A chunk's new rows can then be assembled from the rows the
// clients already hold plus the few rows that are new or dirty, instead of
// reading every row of every held chunk back from the trees: at a million
// members nearly every held chunk shifts at every flush, so that read was
// most of the cost of a flush.
//
// The runs live in blocks of at most 64 with a length per block, so an edit
// costs O(runs / 64 + 64) to locate and apply.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "guild.hpp"

namespace roster {

class RowMap {
public:
    enum class Kind : std::uint8_t { kept, dirty, fresh };
    struct Run {
        std::uint32_t old = 0;  // first old position (kept, dirty)
        std::uint32_t len = 0;  // dirty and fresh runs have length 1
        Kind kind = Kind::kept;
    };
    struct Piece {
        std::uint32_t start;  // first new position
        Run run;
    };

    // Replays `log` over a list of old_len rows, then marks the rows at
    // `updated` (positions in the new list, as Guild::take_touched gives
    // them) as changed in place. False (and the map unusable) when the log
    // holds a reset or a position the replay cannot place.
    bool build(std::span<const RowEdit> log, std::uint32_t old_len,
               std::span<const std::uint32_t> updated = {});

    // The new list as pieces, ascending; valid after a successful build.
    const Vec<Piece>& pieces() const { return flat_; }
    std::uint32_t length() const { return length_; }
    // Index in pieces() of the piece holding new position p (p < length()).
    std::size_t piece_at(std::uint32_t p) const;

private:
    struct Block {
        std::uint32_t len = 0;
        Vec<Run> runs;
    };
    bool locate(std::uint32_t p, std::size_t* b, std::size_t* r, std::uint32_t* off) const;
    void split_block(std::size_t b);
    bool insert(std::uint32_t p);
    bool remove(std::uint32_t p);
    bool update(std::uint32_t p);

    Vec<Block> blocks_;
    Vec<Piece> flat_;
    std::uint32_t length_ = 0;
};

}  // namespace roster
