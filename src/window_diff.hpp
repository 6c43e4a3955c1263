// The ops that turn what a client holds of one window of rows into the
// window's new rows (docs/frames.md §5-§7), or the verdict that re-sending it is cheaper.
//
// A window is one chunk [s, s+C-1] of a list. O is its rows as the client
// holds them, N its rows now. The script is a minimal edit script between O
// and N, rows matched by identity (header: group; member: user):
//   - deletes first, from the highest position down, so each index is still
//     the position in O;
//   - then inserts in ascending position of N, so every earlier row is
//     already final and the index is the position in N;
//   - then updates of matched rows whose content changed.
// Every index lies inside the window. When O and N have the same length,
// deletes and inserts are equal in number, so rows below the window end up
// where they were: windows can be processed independently and their ops
// concatenated. (Lengths differ only when the list's end is inside the
// window; then every later window is past the end, old or new.)
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "guild.hpp"

namespace roster {

struct WindowOp {
    enum class Kind : std::uint8_t { insert, update, remove } kind;
    std::uint32_t pos;  // position inside the window (insert/update: in N; remove: in O)
};

// Relative costs, in units of a DELETE op: an item costs about three times
// an op without one.
inline constexpr std::uint32_t cost_delete = 1;
inline constexpr std::uint32_t cost_item_op = 4;  // INSERT, UPDATE
inline std::uint32_t cost_resend(std::size_t n) { return 2 + 3 * static_cast<std::uint32_t>(n); }

// Same row (identity) and same content (what the client shows).
inline bool same_identity(const Row& a, const Row& b) {
    return a.header() == b.header() && (a.header() ? a.group == b.group : a.user == b.user);
}
// A number per identity, for hashing and sorting; distinct identities may
// share one, so matches are confirmed with same_identity.
inline std::uint64_t identity_of(const Row& r) {
    return r.header() ? (r.group ^ 0x8000000000000000ull) * 3 + 1 : r.user * 2;
}
inline bool same_content(const Row& a, const Row& b) {
    return a.group == b.group && a.count == b.count && a.rev == b.rev;
}

class WindowDiff {
public:
    // Computes the script into ops(); returns false (ops() unspecified) when
    // it would cost more than cost_resend(N.size()).
    bool diff(std::span<const Row> O, std::span<const Row> N);
    const Vec<WindowOp>& ops() const { return ops_; }

private:
    struct Slot {
        std::uint64_t key = 0;
        std::uint32_t pos = 0;
        std::uint32_t gen = 0;
    };
    struct Pair {
        std::uint32_t i, j;  // positions in O and N
        std::int32_t prev;   // previous pair of the best chain ending here
    };
    struct Best {
        std::uint64_t value;
        std::int32_t pair;
    };
    Vec<WindowOp> ops_;
    Vec<Slot> slots_;  // O's rows by identity
    std::uint32_t gen_ = 0;
    Vec<Best> fen_;    // Fenwick tree of prefix maxima over O positions
    Vec<Pair> pairs_;  // matched rows, in N order
    Vec<std::uint32_t> keep_;  // indices into pairs_ of the kept chain
};

}  // namespace roster
