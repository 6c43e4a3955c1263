#include "replica.hpp"

#include <algorithm>
#include <limits>

// GCC 12 at -O3 reports -Wrestrict inside std::string's operator+ on
// "literal" + std::string (GCC bug 105651, a false positive); this file
// builds its messages that way.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace sim {

namespace {

// A SYNC may legally write past the current end (the array grows with
// unknowns), but a frame that would grow a replica by this much is an
// engine bug, and honouring it would exhaust memory before we could say so.
constexpr std::uint64_t max_growth = std::uint64_t{1} << 26;

std::string group_name(std::uint64_t group) {
    if (group == ROSTER_GROUP_ONLINE) return "on";
    if (group == ROSTER_GROUP_OFFLINE) return "off";
    return "r" + std::to_string(group);
}

bool same_row(const roster_row& a, const roster_row& b) {
    return a.kind == b.kind && a.group == b.group && a.user == b.user && a.count == b.count;
}

std::string bad_op(std::size_t i, const roster_op& op, const std::string& why) {
    return "op " + std::to_string(i) + " (" + describe(op) + "): " + why;
}

}  // namespace

const Cell* Replica::at(std::size_t i) const {
    if (i >= size_) return nullptr;
    auto it = std::lower_bound(known_.begin(), known_.end(), std::uint64_t{i},
                               [](const Known& k, std::uint64_t v) { return k.index < v; });
    if (it == known_.end() || it->index != i) return nullptr;
    return &it->cell;
}

std::vector<Replica::Known>::iterator Replica::known_from(std::uint64_t i) {
    return std::lower_bound(known_.begin(), known_.end(), i,
                            [](const Known& k, std::uint64_t v) { return k.index < v; });
}

void Replica::shift(std::vector<Known>::iterator first, std::int64_t delta) {
    for (; first != known_.end(); ++first)
        first->index = static_cast<std::uint64_t>(static_cast<std::int64_t>(first->index) + delta);
}

std::string Replica::apply(const roster_frame& frame, std::uint64_t stamp) {
    ++frames_;
    std::string err;
    if (frame.op_count > 0 && frame.ops == nullptr) err = "ops NULL with op_count > 0";
    for (std::size_t i = 0; err.empty() && i < frame.op_count; ++i) {
        const std::string why = apply_op(frame.ops[i], stamp);
        if (!why.empty()) err = bad_op(i, frame.ops[i], why);
    }

    member_count_ = frame.member_count;
    online_count_ = frame.online_count;
    groups_.clear();
    if (frame.group_count > 0 && frame.groups == nullptr) {
        if (err.empty()) err = "groups NULL with group_count > 0";
        return err;
    }
    std::uint64_t length = 0;
    for (std::size_t g = 0; g < frame.group_count; ++g) {
        groups_.push_back(frame.groups[g]);
        length += std::uint64_t{frame.groups[g].count} + 1;
    }
    if (!resize_) return err;
    if (length > size_ + max_growth) {
        if (err.empty()) err = "groups imply " + std::to_string(length) + " rows";
        return err;
    }
    // Resize: rows past the new length are gone; new rows are unknown.
    known_.erase(known_from(length), known_.end());
    size_ = length;
    return err;
}

std::string Replica::apply_op(const roster_op& op, std::uint64_t stamp) {
    const std::uint64_t size = size_;
    auto item_ok = [&](std::uint32_t n) -> const char* {
        if (n > 0 && op.items == nullptr) return "items NULL with item_count > 0";
        for (std::uint32_t k = 0; k < n; ++k)
            if (op.items[k].kind != ROSTER_ROW_HEADER && op.items[k].kind != ROSTER_ROW_MEMBER)
                return "item of unknown kind";
        return nullptr;
    };
    switch (op.kind) {
        case ROSTER_OP_SYNC: {
            if (op.end < op.index) return "SYNC end before start";
            const std::uint64_t span = std::uint64_t{op.end} - op.index + 1;
            if (op.item_count > span) return "SYNC with more items than its range";
            if (const char* e = item_ok(op.item_count)) return e;
            const std::uint64_t last = std::uint64_t{op.index} + op.item_count;
            if (op.item_count > 0 && last > size + max_growth) return "SYNC far past the end";
            if (op.item_count == 0) return "";
            if (last > size) size_ = last;
            // The rows [index, last) replace whatever was known there.
            auto first = known_from(op.index);
            auto stop = known_from(last);
            std::vector<Known> written;
            written.reserve(op.item_count);
            for (std::uint32_t k = 0; k < op.item_count; ++k)
                written.push_back(Known{std::uint64_t{op.index} + k, Cell{op.items[k], stamp}});
            const auto at = known_.erase(first, stop);
            known_.insert(at, written.begin(), written.end());
            return "";
        }
        case ROSTER_OP_INSERT:
        case ROSTER_OP_UPDATE: {
            const bool insert = op.kind == ROSTER_OP_INSERT;
            if (op.end != op.index) return "end differs from index";
            if (op.item_count != 1) return "item_count is not 1";
            if (const char* e = item_ok(1)) return e;
            if (insert ? op.index > size : op.index >= size)
                return insert ? "INSERT past the end" : "UPDATE past the end";
            auto it = known_from(op.index);
            if (insert) {
                shift(it, +1);
                known_.insert(it, Known{op.index, Cell{op.items[0], stamp}});
                ++size_;
            } else if (it != known_.end() && it->index == op.index) {
                it->cell = Cell{op.items[0], stamp};
            } else {
                known_.insert(it, Known{op.index, Cell{op.items[0], stamp}});
            }
            return "";
        }
        case ROSTER_OP_DELETE: {
            if (op.end != op.index) return "end differs from index";
            if (op.item_count != 0) return "DELETE with items";
            if (op.index >= size) return "DELETE past the end";
            auto it = known_from(op.index);
            if (it != known_.end() && it->index == op.index) it = known_.erase(it);
            shift(it, -1);
            --size_;
            return "";
        }
        case ROSTER_OP_INVALIDATE: {
            if (op.end < op.index) return "INVALIDATE end before start";
            if (op.item_count != 0) return "INVALIDATE with items";
            known_.erase(known_from(op.index), known_from(std::uint64_t{op.end} + 1));
            return "";
        }
        default:
            return "unknown op kind";
    }
}

std::string Replica::check_range(const roster_range& range, std::span<const roster_row> truth,
                                 const LatestFn& latest) const {
    for (std::size_t k = 0; k < truth.size(); ++k) {
        const std::size_t i = std::size_t{range.start} + k;
        const Cell* c = at(i);
        const std::string where = "row " + std::to_string(i) + ": ";
        if (!c) return where + "unknown, expected " + describe(truth[k]);
        if (!same_row(c->row, truth[k]))
            return where + describe(c->row) + ", expected " + describe(truth[k]);
        if (latest && truth[k].kind == ROSTER_ROW_MEMBER) {
            const std::uint64_t changed = latest(truth[k].user);
            if (c->stamp < changed)
                return where + describe(c->row) + " last sent at stamp " +
                       std::to_string(c->stamp) + ", member changed at stamp " +
                       std::to_string(changed);
        }
    }
    return "";
}

std::string Replica::check_counts(std::uint32_t member_count, std::uint32_t online_count,
                                  std::span<const roster_group> groups) const {
    std::string got = std::to_string(member_count_) + "/" + std::to_string(online_count_) + " {";
    std::string want = std::to_string(member_count) + "/" + std::to_string(online_count) + " {";
    std::uint64_t length = 0;
    for (std::size_t g = 0; g < groups_.size(); ++g)
        got += (g ? "," : "") + group_name(groups_[g].id) + ":" + std::to_string(groups_[g].count);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        want += (g ? "," : "") + group_name(groups[g].id) + ":" + std::to_string(groups[g].count);
        length += std::uint64_t{groups[g].count} + 1;
    }
    got += "}";
    want += "}";
    if (got != want) return "counts/groups " + got + ", expected " + want;
    if (!resize_) {
        // A client that never shrinks: nothing known may lie at or past
        // the list's end.
        const auto past = std::lower_bound(known_.begin(), known_.end(), length,
                                           [](const Known& k, std::uint64_t v) { return k.index < v; });
        if (past != known_.end())
            return "row " + std::to_string(past->index) + " (" + describe(past->cell.row) +
                   ") held past the end (" + std::to_string(length) + " rows)";
        return "";
    }
    if (size_ != length)
        return "length " + std::to_string(size_) + ", expected " + std::to_string(length);
    return "";
}

std::vector<roster_range> normalise_ranges(std::span<const roster_range> ranges,
                                           std::uint32_t chunk) {
    const std::uint64_t c = chunk ? chunk : 1;
    constexpr std::uint64_t top = std::numeric_limits<std::uint32_t>::max();
    std::vector<roster_range> out;
    for (const roster_range& r : ranges) {
        const std::uint64_t lo = std::min(r.start, r.end), hi = std::max(r.start, r.end);
        const std::uint64_t start = lo / c * c;
        const std::uint64_t end = std::min(hi / c * c + c - 1, top);
        out.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end)});
    }
    std::sort(out.begin(), out.end(),
              [](const roster_range& a, const roster_range& b) { return a.start < b.start; });
    std::vector<roster_range> merged;
    for (const roster_range& r : out) {
        if (!merged.empty() && std::uint64_t{r.start} <= std::uint64_t{merged.back().end} + 1)
            merged.back().end = std::max(merged.back().end, r.end);
        else
            merged.push_back(r);
    }
    return merged;
}

std::string check_clipping(const roster_frame& frame, std::span<const roster_range> chunks) {
    for (std::size_t i = 0; i < frame.op_count; ++i) {
        const roster_op& op = frame.ops[i];
        if (op.kind != ROSTER_OP_INSERT && op.kind != ROSTER_OP_UPDATE &&
            op.kind != ROSTER_OP_DELETE)
            continue;
        const bool inside = std::any_of(chunks.begin(), chunks.end(), [&](const roster_range& r) {
            return r.start <= op.index && op.index <= r.end;
        });
        if (!inside) return bad_op(i, op, "outside every subscribed range");
    }
    return "";
}

std::string describe(const roster_row& row) {
    if (row.kind == ROSTER_ROW_HEADER)
        return "[" + group_name(row.group) + ":" + std::to_string(row.count) + "]";
    if (row.kind == ROSTER_ROW_MEMBER) {
        std::string s = std::to_string(row.user) + "@" + group_name(row.group);
        if (row.count != 0) s += "#" + std::to_string(row.count);  // should never show
        return s;
    }
    return "?kind" + std::to_string(row.kind);
}

std::string describe(const roster_op& op) {
    const std::string at = std::to_string(op.index);
    const std::string span = at + "-" + std::to_string(op.end);
    auto item = [&]() -> std::string {
        return op.item_count >= 1 && op.items ? " " + describe(op.items[0]) : " ?";
    };
    switch (op.kind) {
        case ROSTER_OP_SYNC: {
            std::string s = "SYNC " + span;
            for (std::uint32_t k = 0; op.items && k < op.item_count; ++k)
                s += " " + describe(op.items[k]);
            return s;
        }
        case ROSTER_OP_INSERT: return "INSERT " + at + item();
        case ROSTER_OP_UPDATE: return "UPDATE " + at + item();
        case ROSTER_OP_DELETE: return "DELETE " + at;
        case ROSTER_OP_INVALIDATE: return "INVALIDATE " + span;
        default: return "?op" + std::to_string(op.kind) + " " + span;
    }
}

std::string describe(const roster_frame& frame) {
    std::string s = "L" + std::to_string(frame.list_id) + " " +
                    std::to_string(frame.member_count) + "/" +
                    std::to_string(frame.online_count) + " {";
    for (std::size_t g = 0; frame.groups && g < frame.group_count; ++g)
        s += (g ? "," : "") + group_name(frame.groups[g].id) + ":" +
             std::to_string(frame.groups[g].count);
    s += "}";
    for (std::size_t i = 0; frame.ops && i < frame.op_count; ++i)
        s += (i ? "; " : " ") + describe(frame.ops[i]);
    return s;
}

}  // namespace sim
