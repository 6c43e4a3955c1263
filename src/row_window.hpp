// The cached rows of one chunk: what every client holding it has.
//
// At a million members nearly every held chunk shifts at every flush: a
// few rows leave at one edge, as many come in at the other, the rest stay.
// Copying the whole chunk each time was most of the memory traffic of a
// flush, so the rows sit in a buffer three chunks wide with slack on both
// sides, and a rebuild moves only what changes: the longest run of rows
// that stay is left where it is in memory, the window's start moves over
// it, and only the rows around it are written. When the window drifts into
// an edge of the buffer it is copied back to the middle (amortised: at most
// once per chunk-width of drift).
//
// Thread-safety: none.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "guild.hpp"

namespace roster {

// Rows [at, at + len) of the new window are old rows [old, old + len).
struct KeptRun {
    std::uint32_t at;
    std::uint32_t old;
    std::uint32_t len;
};

class RowWindow {
public:
    std::span<const Row> rows() const { return {buf_.data() + off_, len_}; }
    std::size_t size() const { return len_; }
    bool empty() const { return len_ == 0; }

    void clear() { len_ = 0; }

    // Requests the lines at both edges of the window, where a flush writes.
    void prefetch() const {
        if (len_ == 0) return;
        __builtin_prefetch(buf_.data() + off_);
        __builtin_prefetch(buf_.data() + off_ + len_ - 1);
    }

    // Replaces the rows. May throw std::bad_alloc (rows unchanged).
    void assign(std::span<const Row> rows) {
        const std::size_t cap = 3 * std::max<std::size_t>(rows.size(), 1);
        if (buf_.size() < cap) buf_.resize(cap);
        off_ = static_cast<std::uint32_t>((buf_.size() - rows.size()) / 2);
        if (!rows.empty()) std::memmove(buf_.data() + off_, rows.data(), rows.size() * sizeof(Row));
        len_ = static_cast<std::uint32_t>(rows.size());
    }

    // The window becomes new_len rows: for every run k of `kept` (ascending
    // in both at and old, within the old and new windows), rows
    // [k.at, k.at + k.len) are the old rows [k.old, k.old + k.len); every
    // other row j is fill(j), called in ascending j. May throw
    // std::bad_alloc (then the rows are unchanged).
    struct Scratch {
        std::vector<Row> rows;
        std::vector<KeptRun> runs;
    };
    template <class Fill>
    void rebuild(std::span<const KeptRun> kept, std::uint32_t new_len, Fill&& fill,
                 Scratch& scratch_) {
        std::vector<Row>& scratch = scratch_.rows;
        std::size_t a = 0;  // the anchor: the longest kept run stays in place
        for (std::size_t i = 1; i < kept.size(); ++i)
            if (kept[i].len > kept[a].len) a = i;
        const std::int64_t new_off =
            kept.empty() ? -1
                         : static_cast<std::int64_t>(off_) + kept[a].old - kept[a].at;
        if (kept.empty() || new_off < 0 ||
            new_off + new_len > static_cast<std::int64_t>(buf_.size())) {
            // No anchor, or it drifted too far: rebuild in the middle.
            scratch.resize(new_len);
            write(scratch.data(), kept, 0, kept.size(), 0, new_len, rows().data(), fill);
            assign(scratch);
            return;
        }
        Row* base = buf_.data() + new_off;
        const Row* old = buf_.data() + off_;
        // Old rows of the runs around the anchor are saved first: writing the
        // new rows on either side may overwrite them.
        std::size_t saved = 0;
        for (std::size_t i = 0; i < kept.size(); ++i)
            if (i != a) saved += kept[i].len;
        scratch.resize(saved);
        std::vector<KeptRun>& others_ = scratch_.runs;
        others_.clear();
        others_.reserve(kept.size());
        Row* s = scratch.data();
        // Runs before the anchor then after it, each re-pointed into scratch.
        const std::uint32_t left_end = kept[a].at, right_begin = kept[a].at + kept[a].len;
        for (std::size_t i = 0; i < kept.size(); ++i) {
            if (i == a) continue;
            std::memcpy(s, old + kept[i].old, kept[i].len * sizeof(Row));
            others_.push_back(KeptRun{kept[i].at, static_cast<std::uint32_t>(s - scratch.data()),
                                    kept[i].len});
            s += kept[i].len;
        }
        const std::span<const KeptRun> others(others_);
        const std::size_t split = a;  // others[0..a) are left of the anchor
        write(base, others, 0, split, 0, left_end, scratch.data(), fill);
        write(base, others, split, others.size(), right_begin, new_len, scratch.data(), fill);
        off_ = static_cast<std::uint32_t>(new_off);
        len_ = new_len;
    }

    // Row j of the window (j < size()).
    Row& at(std::uint32_t j) { return buf_[off_ + j]; }

private:
    // Writes rows [from, to) of the new window at dst[j]: kept runs
    // runs[r0..r1) (their `old` indexing src), fill(j) elsewhere.
    template <class Fill>
    static void write(Row* dst, std::span<const KeptRun> runs, std::size_t r0, std::size_t r1,
                      std::uint32_t from, std::uint32_t to, const Row* src, Fill& fill) {
        std::uint32_t j = from;
        for (std::size_t r = r0; r < r1; ++r) {
            for (; j < runs[r].at; ++j) dst[j] = fill(j);
            std::memmove(dst + j, src + runs[r].old, runs[r].len * sizeof(Row));
            j += runs[r].len;
        }
        for (; j < to; ++j) dst[j] = fill(j);
    }

    std::vector<Row> buf_;
    std::uint32_t off_ = 0, len_ = 0;
};

}  // namespace roster
