#include "window_diff.hpp"

#include <algorithm>

namespace roster {

// Myers' O(ND) greedy search for a shortest edit script, kept inside the
// edit graph (no step leaves [0,n] x [0,m]) and stopped as soon as the
// cheapest script with D edits costs more than re-sending the window. Small
// windows and small D are the common case (a chunk shifted by a few rows,
// or one member moved), so the search is short.
bool WindowDiff::diff(std::span<const Row> O, std::span<const Row> N) {
    ops_.clear();
    const std::int32_t n = static_cast<std::int32_t>(O.size());
    const std::int32_t m = static_cast<std::int32_t>(N.size());
    const std::uint32_t limit = cost_resend(N.size());

    // Cheapest possible script with d edits: deletes - inserts = n - m.
    auto min_cost = [&](std::int32_t d) -> std::uint64_t {
        const std::int64_t dels = (static_cast<std::int64_t>(d) + n - m) / 2;
        const std::int64_t ins = d - dels;
        return static_cast<std::uint64_t>(dels) * cost_delete +
               static_cast<std::uint64_t>(ins) * cost_item_op;
    };
    // V for step d lives at v_[d*d + k + d], k in [-d, d]; -1 = unreachable.
    auto at = [&](std::int32_t d, std::int32_t k) -> std::int32_t {
        if (k < -d || k > d) return -1;
        return v_[static_cast<std::size_t>(d) * d + k + d];
    };
    // Where the path on diagonal k at step d starts, before its snake, and
    // from which diagonal it came (k + 1: an insert; k - 1: a delete).
    struct Start {
        std::int32_t x, from;
    };
    auto start = [&](std::int32_t d, std::int32_t k) -> Start {
        if (d == 0) return {0, 0};
        Start best{-1, 0};
        const std::int32_t down = at(d - 1, k + 1);
        if (down >= 0 && down - k <= m) best = {down, k + 1};
        const std::int32_t right = at(d - 1, k - 1);
        if (right >= 0 && right + 1 <= n && right + 1 > best.x) best = {right + 1, k - 1};
        return best;
    };

    v_.clear();
    std::int32_t found_d = -1, found_k = 0;
    for (std::int32_t d = 0; d <= n + m && found_d < 0; ++d) {
        if (d >= (n > m ? n - m : m - n) && ((d - (n - m)) % 2 == 0) && min_cost(d) > limit)
            return false;
        v_.resize(static_cast<std::size_t>(d + 1) * (d + 1), -1);
        for (std::int32_t k = -d; k <= d; k += 2) {
            Start s = start(d, k);
            if (s.x < 0) continue;
            std::int32_t x = s.x, y = x - k;
            while (x < n && y < m && same_identity(O[x], N[y])) ++x, ++y;
            v_[static_cast<std::size_t>(d) * d + k + d] = x;
            if (x == n && y == m) {
                found_d = d;
                found_k = k;
                break;
            }
        }
    }
    if (found_d < 0) return false;  // unreachable: d = n + m always ends

    // Walk back: deletions (positions in O), insertions (positions in N)
    // and matched pairs, each collected from the end.
    keep_.clear();
    std::vector<WindowOp>& out = ops_;
    std::size_t n_ins = 0;
    std::int32_t k = found_k;
    for (std::int32_t d = found_d; d >= 0; --d) {
        const std::int32_t x_end = at(d, k);
        const Start s = start(d, k);
        for (std::int32_t x = x_end - 1; x >= s.x; --x) {  // the snake
            keep_.push_back(static_cast<std::uint32_t>(x));
            keep_.push_back(static_cast<std::uint32_t>(x - k));
        }
        if (d == 0) break;
        if (s.from == k + 1) {  // came down: N[y - 1] inserted
            out.push_back({WindowOp::Kind::insert, static_cast<std::uint32_t>(s.x - k - 1)});
            ++n_ins;
        } else {  // came right: O[x - 1] deleted
            out.push_back({WindowOp::Kind::remove, static_cast<std::uint32_t>(s.x - 1)});
        }
        k = s.from;
    }
    // out holds edits from the end backwards: deletes are already in
    // descending O order; inserts need ascending N order.
    std::stable_partition(out.begin(), out.end(),
                          [](const WindowOp& o) { return o.kind == WindowOp::Kind::remove; });
    std::reverse(out.end() - static_cast<std::ptrdiff_t>(n_ins), out.end());
    std::uint64_t cost = (out.size() - n_ins) * cost_delete + n_ins * cost_item_op;
    for (std::size_t p = keep_.size(); p >= 2; p -= 2) {  // ascending j
        const std::uint32_t i = keep_[p - 2], j = keep_[p - 1];
        if (same_content(O[i], N[j])) continue;
        out.push_back({WindowOp::Kind::update, j});
        cost += cost_item_op;
    }
    return cost <= limit;
}

}  // namespace roster
