// A client's copy of one list, kept the way docs/frames.md §5 says a client keeps it,
// and the checks that decide whether the engine's frames were right.
//
// The replica applies frames literally and trusts nothing: a malformed op
// is reported, never "fixed". Fidelity is checked against rows the caller
// obtained from the guild itself, so a wrong frame cannot hide behind a
// wrong replica. Depends on roster.h only, so that any host (the simulator,
// the tests) can use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "roster/roster.h"

namespace sim {

// One known row, with the stamp of the frame that last wrote it (SYNC,
// INSERT or UPDATE). Stamps are the caller's: any number that grows with
// the events it applied.
struct Cell {
    roster_row row;
    std::uint64_t stamp;
};

// The stamp of a member's latest change (0: none the caller cares about).
using LatestFn = std::function<std::uint64_t(std::uint64_t user_id)>;

class Replica {
public:
    // resize false: a client that never resizes its rows (docs/frames.md
    // §10): it ignores the groups' length, so its array grows only by SYNC
    // and INSERT and shrinks only by DELETE.
    explicit Replica(bool resize = true) : resize_(resize) {}

    // Applies the ops in order, then resizes to the length the groups
    // imply (unless it is a client that does not resize). Returns "" or the first malformed op; the ops after it are
    // skipped (the replica is no longer trustworthy) but the counts, groups
    // and resize still take effect.
    std::string apply(const roster_frame& frame, std::uint64_t stamp);

    std::size_t size() const { return static_cast<std::size_t>(size_); }
    // nullptr when row i is unknown or past the end.
    const Cell* at(std::size_t i) const;

    std::uint32_t member_count() const { return member_count_; }
    std::uint32_t online_count() const { return online_count_; }
    const std::vector<roster_group>& groups() const { return groups_; }
    std::uint64_t frames() const { return frames_; }

    // Fidelity of one subscribed range: truth holds the true rows
    // [range.start, min(range.end, length - 1)]. Every one must be known
    // and equal (kind, group, user, header count); a member row must have
    // been written no earlier than latest(user), when latest is given.
    // Returns "" or the first difference.
    std::string check_range(const roster_range& range, std::span<const roster_row> truth,
                            const LatestFn& latest = {}) const;

    // Counts, groups and length as the last frame left them, against the
    // list's true ones; for a client that does not resize, instead of the
    // length: no known row at or past the list's end. Returns "" or the
    // difference.
    std::string check_counts(std::uint32_t member_count, std::uint32_t online_count,
                             std::span<const roster_group> groups) const;

private:
    std::string apply_op(const roster_op& op, std::uint64_t stamp);

    struct Known {
        std::uint64_t index;
        Cell cell;
    };
    // The first known row at or after row i.
    std::vector<Known>::iterator known_from(std::uint64_t i);
    // Shifts the index of every known row from `first` on by delta (+1/-1).
    void shift(std::vector<Known>::iterator first, std::int64_t delta);

    // The row array is sparse: its length, and only the rows the frames
    // wrote, by ascending index. A client holds its ranges and little more,
    // so a replica costs what it holds, not the length of the list: a guild
    // of 200k members followed by thousands of sessions fits in memory, and
    // an INSERT costs the rows held, not the rows of the list.
    std::uint64_t size_ = 0;
    std::vector<Known> known_;
    std::uint32_t member_count_ = 0;
    std::uint32_t online_count_ = 0;
    std::vector<roster_group> groups_;
    std::uint64_t frames_ = 0;
    bool resize_ = true;
};

// The ranges as the engine normalises them (docs/frames.md §2): ends swapped, widened
// to whole chunks, merged where they overlap or touch; ascending. Chunk
// ends that would pass UINT32_MAX are clamped to it.
std::vector<roster_range> normalise_ranges(std::span<const roster_range> ranges,
                                           std::uint32_t chunk);

// Clipping (docs/frames.md §6): "" or the first INSERT, UPDATE or DELETE whose index
// lies outside every one of chunks (the session's normalised ranges for the
// frame's list, as of this frame).
std::string check_clipping(const roster_frame& frame, std::span<const roster_range> chunks);

// Short, stable text forms for reports and exact comparisons in tests:
// header "[on:3]" / "[off:1]" / "[r10:2]", member "7@on" / "7@r10";
// ops "SYNC 0-9 [on:1] 7@on", "INSERT 4 7@on", "UPDATE 0 [on:2]",
// "DELETE 3", "INVALIDATE 0-9"; a frame "L0 2/1 {on:1,off:1} op; op".
std::string describe(const roster_row& row);
std::string describe(const roster_op& op);
std::string describe(const roster_frame& frame);

}  // namespace sim
