// What a flush does to one held chunk, worked out from the row map alone.
//
// The row map (row_map.hpp) says where every row of the new list came from.
// For a window [s, s + C) whose clients hold n_old rows, that is enough to
// know, without reading any row: which of the held rows stay (kept runs),
// which new rows must be read from the list (rows that come in, and held
// rows whose content changed), the size of the edit script and so whether
// re-sending the window is cheaper. Reading the rows is then one batched
// pass over the list for every window of the flush (Guild::rows_at), in
// ascending position, which is why planning is separate from applying.
//
// The script a plan implies is the one WindowDiff would compute when no
// row was re-filed in place (a row deleted and inserted again inside the
// window): rows that stay keep their relative order, so deleting the others
// and inserting the new ones turns the old window into the new one. A plan
// lists its fresh rows so the caller can detect that case once the rows are
// read, and fall back to the diff.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "row_map.hpp"
#include "row_window.hpp"

namespace roster {

struct WindowPlan {
    std::uint32_t start = 0;        // s: the window's first row
    std::uint32_t n_old = 0;        // rows the clients hold
    std::uint32_t n_new = 0;        // rows the window has now
    std::uint32_t kept0 = 0, kept1 = 0;      // runs: rows that stay
    std::uint32_t need0 = 0, need1 = 0;      // runs of rows to read (global)
    std::uint32_t row0 = 0;                  // the first of them among all read
    std::uint32_t update0 = 0, update1 = 0;  // kept rows with new content
    std::uint32_t fresh0 = 0, fresh1 = 0;    // new rows (inserted by the log)
    std::uint32_t deletes = 0, inserts = 0;
};

class WindowPlanner {
public:
    void clear();

    // Plans window [s, s + chunk) of a list of `length` rows whose clients
    // hold n_old rows, from a successfully built map; changed_headers are
    // the new positions of header rows whose count changed, ascending.
    // Appends the rows to read to runs() (global positions), so planning
    // windows in ascending order keeps runs() ascending. Returns its index.
    std::size_t plan(const RowMap& map, std::uint32_t s, std::uint32_t chunk,
                     std::uint32_t length, std::uint32_t n_old,
                     std::span<const std::uint32_t> changed_headers);

    const WindowPlan& operator[](std::size_t i) const { return plans_[i]; }
    std::size_t size() const { return plans_.size(); }
    std::span<const KeptRun> kept(const WindowPlan& p) const {
        return std::span<const KeptRun>(kept_).subspan(p.kept0, p.kept1 - p.kept0);
    }
    std::span<const RowRun> need(const WindowPlan& p) const {
        return std::span<const RowRun>(runs_).subspan(p.need0, p.need1 - p.need0);
    }
    std::span<const std::uint32_t> updates(const WindowPlan& p) const {
        return std::span<const std::uint32_t>(updates_).subspan(p.update0, p.update1 - p.update0);
    }
    std::span<const std::uint32_t> fresh(const WindowPlan& p) const {
        return std::span<const std::uint32_t>(fresh_).subspan(p.fresh0, p.fresh1 - p.fresh0);
    }
    // Every plan's rows to read, plan after plan, and how many rows.
    const Vec<RowRun>& runs() const { return runs_; }
    std::uint32_t rows() const { return rows_; }

private:
    void keep(std::uint32_t at, std::uint32_t old, std::uint32_t len);
    void need(std::uint32_t at, std::uint32_t n);

    Vec<WindowPlan> plans_;
    Vec<KeptRun> kept_;
    Vec<RowRun> runs_;
    Vec<std::uint32_t> updates_, fresh_;
    std::uint32_t rows_ = 0;
    // The plan being made.
    std::uint32_t s_ = 0;
    std::span<const std::uint32_t> headers_;  // changed headers not yet passed
};

}  // namespace roster
