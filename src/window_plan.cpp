#include "window_plan.hpp"

#include <algorithm>

namespace roster {

void WindowPlanner::clear() {
    plans_.clear();
    kept_.clear();
    runs_.clear();
    updates_.clear();
    fresh_.clear();
    rows_ = 0;
}

// Rows [at, at + n) are read.
void WindowPlanner::need(std::uint32_t at, std::uint32_t n) {
    if (n == 0) return;
    rows_ += n;
    if (runs_.size() > plans_.back().need0 && runs_.back().start + runs_.back().count == at)
        runs_.back().count += n;
    else
        runs_.push_back(RowRun{at, n});
}

// Rows [at, at + len) stay (global positions; old ones from `old`). Changed
// headers among them are read again and updated.
void WindowPlanner::keep(std::uint32_t at, std::uint32_t old, std::uint32_t len) {
    KeptRun* last = kept_.size() > plans_.back().kept0 ? &kept_.back() : nullptr;
    if (last && last->at + last->len == at - s_ && last->old + last->len == old - s_)
        last->len += len;
    else
        kept_.push_back(KeptRun{at - s_, old - s_, len});
    for (; !headers_.empty() && headers_.front() < at + len; headers_ = headers_.subspan(1)) {
        if (headers_.front() < at) continue;
        updates_.push_back(headers_.front() - s_);
        need(headers_.front(), 1);
    }
}

std::size_t WindowPlanner::plan(const RowMap& map, std::uint32_t s, std::uint32_t chunk,
                                std::uint32_t length, std::uint32_t n_old,
                                std::span<const std::uint32_t> changed_headers) {
    WindowPlan wp;
    wp.start = s;
    wp.n_old = n_old;
    wp.kept0 = static_cast<std::uint32_t>(kept_.size());
    wp.need0 = static_cast<std::uint32_t>(runs_.size());
    wp.row0 = rows_;
    wp.update0 = static_cast<std::uint32_t>(updates_.size());
    wp.fresh0 = static_cast<std::uint32_t>(fresh_.size());
    plans_.push_back(wp);
    s_ = s;
    const std::uint64_t end64 = std::min<std::uint64_t>(std::uint64_t{s} + chunk, length);
    const std::uint32_t end = s < length ? static_cast<std::uint32_t>(end64) : s;  // exclusive
    const std::uint32_t old_end = s + n_old;                                      // exclusive
    headers_ = changed_headers;
    if (n_old == 0) {
        need(s, end - s);
    } else if (s < end) {
        const auto& pieces = map.pieces();
        std::size_t pi = map.piece_at(s);
        for (std::uint32_t p = s; p < end; ++pi) {
            const RowMap::Piece& pc = pieces[pi];
            const std::uint32_t q = std::min(pc.start + pc.run.len, end);  // exclusive
            const std::uint32_t o = pc.run.old + (p - pc.start);
            while (!headers_.empty() && headers_.front() < p) headers_ = headers_.subspan(1);
            switch (pc.run.kind) {
            case RowMap::Kind::fresh:
                fresh_.push_back(p - s);
                need(p, 1);
                break;
            case RowMap::Kind::dirty:
                if (o >= s && o < old_end) {
                    keep(p, o, 1);
                    updates_.push_back(p - s);
                }
                need(p, 1);
                break;
            case RowMap::Kind::kept: {
                // Old rows o .. o + (q - p): those inside the old window
                // stay, the others come in. The run may end above the old
                // window (o_end <= s): then none of it stays.
                const std::uint32_t o_end = o + (q - p);
                const std::uint32_t in0 = std::min(std::max(o, s), o_end);
                const std::uint32_t in1 = std::clamp(old_end, in0, o_end);
                need(p, in0 - o);
                if (in0 < in1) keep(p + (in0 - o), in0, in1 - in0);
                need(p + (in1 - o), o_end - in1);
                break;
            }
            }
            p = q;
        }
    }
    WindowPlan& w = plans_.back();
    w.n_new = end - s;
    w.kept1 = static_cast<std::uint32_t>(kept_.size());
    w.need1 = static_cast<std::uint32_t>(runs_.size());
    w.update1 = static_cast<std::uint32_t>(updates_.size());
    w.fresh1 = static_cast<std::uint32_t>(fresh_.size());
    std::uint32_t stay = 0;
    for (std::uint32_t i = w.kept0; i < w.kept1; ++i) stay += kept_[i].len;
    w.deletes = n_old - stay;
    w.inserts = w.n_new - stay;
    return plans_.size() - 1;
}

}  // namespace roster
