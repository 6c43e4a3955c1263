#include "window_diff.hpp"

#include <algorithm>

namespace roster {

namespace {

std::uint32_t mix(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return static_cast<std::uint32_t>(k);
}

}  // namespace

// Every row of a list appears once (a header per group, a row per member),
// so a longest common subsequence of O and N is a longest increasing run of
// O-positions along N: match rows by identity through a small hash table,
// then find the heaviest increasing subsequence with a Fenwick tree of
// prefix maxima. O(|N| log |O|) whatever the number of edits, so a chunk
// shifted by many rows costs no more than one with a single move.
//
// Weights: keeping a row saves a DELETE and an INSERT, and keeping one whose
// content did not change also saves an UPDATE; so the script keeps as many
// rows as possible and, among those, as many unchanged ones as possible.
bool WindowDiff::diff(std::span<const Row> O, std::span<const Row> N) {
    ops_.clear();
    const std::uint32_t n = static_cast<std::uint32_t>(O.size());
    const std::uint32_t m = static_cast<std::uint32_t>(N.size());
    const std::uint32_t limit = cost_resend(N.size());

    // Hash O: identity -> position (open addressing, generation-stamped so
    // it is never cleared).
    std::uint32_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (slots_.size() < cap) {
        slots_.assign(cap, Slot{});
        gen_ = 0;
    }
    if (++gen_ == 0) {
        std::fill(slots_.begin(), slots_.end(), Slot{});
        gen_ = 1;
    }
    const std::uint32_t mask = cap - 1;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint64_t k = identity_of(O[i]);
        std::uint32_t h = mix(k) & mask;
        while (slots_[h].gen == gen_) h = (h + 1) & mask;
        slots_[h] = Slot{k, i, gen_};
    }
    auto find = [&](const Row& r) -> std::int64_t {
        const std::uint64_t k = identity_of(r);
        for (std::uint32_t h = mix(k) & mask; slots_[h].gen == gen_; h = (h + 1) & mask)
            if (slots_[h].key == k && same_identity(O[slots_[h].pos], r)) return slots_[h].pos;
        return -1;
    };

    // Heaviest increasing subsequence of O-positions, in N order.
    constexpr std::uint64_t keep_weight = 1ull << 32;
    fen_.assign(n + 1, Best{0, -1});
    pairs_.clear();
    for (std::uint32_t j = 0; j < m; ++j) {
        const std::int64_t pos = find(N[j]);
        if (pos < 0) continue;
        const std::uint32_t i = static_cast<std::uint32_t>(pos);
        Best before{0, -1};
        for (std::uint32_t x = i; x > 0; x -= x & (~x + 1))  // prefix max over [0, i)
            if (fen_[x].value > before.value) before = fen_[x];
        const std::uint64_t w = keep_weight + (same_content(O[i], N[j]) ? 1 : 0);
        const Best mine{before.value + w, static_cast<std::int32_t>(pairs_.size())};
        pairs_.push_back(Pair{i, j, before.pair});
        for (std::uint32_t x = i + 1; x <= n; x += x & (~x + 1))
            if (mine.value > fen_[x].value) fen_[x] = mine;
    }
    Best best{0, -1};
    for (std::uint32_t x = n; x > 0; x -= x & (~x + 1))
        if (fen_[x].value > best.value) best = fen_[x];

    // Kept pairs, ascending (walk the chain back, then reverse).
    keep_.clear();
    for (std::int32_t p = best.pair; p >= 0; p = pairs_[static_cast<std::size_t>(p)].prev)
        keep_.push_back(static_cast<std::uint32_t>(p));
    std::reverse(keep_.begin(), keep_.end());

    const std::uint64_t kept = keep_.size();
    std::uint64_t cost = (n - kept) * cost_delete + (m - kept) * cost_item_op;
    for (std::uint32_t p : keep_) cost += same_content(O[pairs_[p].i], N[pairs_[p].j]) ? 0 : cost_item_op;
    if (cost > limit) return false;

    // Deletes from the highest O position down, inserts ascending in N,
    // then updates of kept rows whose content changed.
    std::size_t q = keep_.size();
    for (std::uint32_t i = n; i-- > 0;) {
        while (q > 0 && pairs_[keep_[q - 1]].i > i) --q;
        if (q > 0 && pairs_[keep_[q - 1]].i == i) continue;
        ops_.push_back({WindowOp::Kind::remove, i});
    }
    q = 0;
    for (std::uint32_t j = 0; j < m; ++j) {
        while (q < keep_.size() && pairs_[keep_[q]].j < j) ++q;
        if (q < keep_.size() && pairs_[keep_[q]].j == j) continue;
        ops_.push_back({WindowOp::Kind::insert, j});
    }
    for (std::uint32_t p : keep_)
        if (!same_content(O[pairs_[p].i], N[pairs_[p].j]))
            ops_.push_back({WindowOp::Kind::update, pairs_[p].j});
    return true;
}

}  // namespace roster
