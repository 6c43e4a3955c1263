// The naive strategy's figures: see naive.hpp.
#include "naive.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace sim {

namespace {

bool same_rows(const std::vector<roster_row>& a, const std::vector<roster_row>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].kind != b[i].kind || a[i].count != b[i].count || a[i].group != b[i].group ||
            a[i].user != b[i].user)
            return false;
    return true;
}

bool same_groups(const std::vector<roster_group>& a, const std::vector<roster_group>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].id != b[i].id || a[i].count != b[i].count) return false;
    return true;
}

}  // namespace

Naive::Naive(std::uint64_t list_id, std::uint32_t chunk_size,
             std::uint64_t (*ordinal)(std::uint64_t))
    : list_(list_id), chunk_size_(chunk_size), ordinal_(ordinal) {}

int Naive::read_groups(const roster_guild* guild, std::vector<roster_group>& out) {
    std::size_t total = 0;
    out.resize(std::max<std::size_t>(out.size(), 32));
    int rc = roster_list_groups(out.data(), out.size(), &total, guild, list_);
    if (rc == ROSTER_OK && total > out.size()) {
        out.resize(total);
        rc = roster_list_groups(out.data(), out.size(), &total, guild, list_);
    }
    if (rc == ROSTER_OK) out.resize(total);
    return rc;
}

int Naive::read_chunk(const roster_guild* guild, std::uint32_t k, std::vector<roster_row>& out) {
    const std::uint64_t start = std::uint64_t{k} * chunk_size_;
    const std::uint64_t end = start + chunk_size_ - 1;
    out.resize(chunk_size_);
    std::size_t count = 0;
    if (end > UINT32_MAX) {
        out.clear();
        return ROSTER_OK;
    }
    const int rc = roster_list_rows(out.data(), out.size(), &count, guild, list_,
                                    static_cast<std::uint32_t>(start),
                                    static_cast<std::uint32_t>(end));
    if (rc != ROSTER_OK) return rc;
    if (count > out.size()) return ROSTER_EINTERNAL;
    out.resize(count);
    return ROSTER_OK;
}

int Naive::init(const roster_guild* guild, const std::vector<std::uint64_t>& sessions) {
    std::map<std::vector<std::uint32_t>, std::uint64_t> sets;  // chunk numbers -> sessions
    std::map<std::uint32_t, std::uint32_t> holders;
    std::vector<roster_range> ranges(8);
    for (std::uint64_t s : sessions) {
        std::size_t count = 0;
        int rc = roster_session_ranges(ranges.data(), ranges.size(), &count, guild, s, list_);
        if (rc == ROSTER_OK && count > ranges.size()) {
            ranges.resize(count);
            rc = roster_session_ranges(ranges.data(), ranges.size(), &count, guild, s, list_);
        }
        if (rc != ROSTER_OK) return rc;
        std::vector<std::uint32_t> ks;
        for (std::size_t i = 0; i < count; ++i)
            for (std::uint64_t k = ranges[i].start / chunk_size_; k <= ranges[i].end / chunk_size_;
                 ++k)
                ks.push_back(static_cast<std::uint32_t>(k));
        std::sort(ks.begin(), ks.end());
        ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
        for (std::uint32_t k : ks) ++holders[k];
        if (!ks.empty()) ++sets[ks];
    }
    chunks_.clear();
    for (const auto& [k, n] : holders) {
        Chunk c;
        c.k = k;
        c.holders = n;
        const int rc = read_chunk(guild, k, c.rows);
        if (rc != ROSTER_OK) return rc;
        chunks_.push_back(std::move(c));
    }
    sets_.clear();
    for (const auto& [ks, n] : sets) {
        Set set;
        set.sessions = n;
        for (std::uint32_t k : ks) {
            const auto it = std::lower_bound(chunks_.begin(), chunks_.end(), k,
                                             [](const Chunk& c, std::uint32_t x) { return c.k < x; });
            set.chunks.push_back(static_cast<std::uint32_t>(it - chunks_.begin()));
        }
        sets_.push_back(std::move(set));
    }
    const int rc = roster_list_counts(&member_count_, &online_count_, guild, list_);
    if (rc != ROSTER_OK) return rc;
    return read_groups(guild, groups_);
}

int Naive::item_bytes(const roster_guild* guild, const roster_row& row, std::uint64_t* out) {
    std::uint32_t* cached = nullptr;
    if (row.kind == ROSTER_ROW_MEMBER) {
        const std::uint64_t ord = ordinal_(row.user);
        if (ord >= item_bytes_.size()) item_bytes_.resize(ord + ord / 2 + 1024, 0);
        cached = &item_bytes_[ord];
        if (*cached) {
            *out = *cached;
            return ROSTER_OK;
        }
    }
    scratch_.clear();
    const int rc = json_.item(scratch_, guild, row);
    if (rc != ROSTER_OK) return rc;
    if (cached) *cached = static_cast<std::uint32_t>(scratch_.size());
    *out = scratch_.size();
    return ROSTER_OK;
}

int Naive::sync_bytes(const roster_guild* guild, const Chunk& c, bool check, std::uint64_t* out) {
    const std::uint32_t start = c.k * chunk_size_;
    scratch_.clear();
    FrameJson::sync_head(scratch_, start, start + chunk_size_ - 1);
    std::uint64_t total = scratch_.size() + FrameJson::sync_tail.size();
    if (!c.rows.empty()) total += c.rows.size() - 1;  // commas
    for (const roster_row& r : c.rows) {
        std::uint64_t n = 0;
        const int rc = item_bytes(guild, r, &n);
        if (rc != ROSTER_OK) return rc;
        total += n;
    }
    if (check) {
        roster_op op{};
        op.kind = ROSTER_OP_SYNC;
        op.index = start;
        op.end = start + chunk_size_ - 1;
        op.item_count = static_cast<std::uint32_t>(c.rows.size());
        op.items = c.rows.data();
        std::string real;
        const int rc = json_.op(real, guild, op);
        if (rc != ROSTER_OK) return rc;
        if (real.size() != total) {
            std::fprintf(stderr,
                         "roster-sim: naive: SYNC of chunk %u sized %llu from the cache, %zu "
                         "serialised (a member changed without an event?)\n",
                         c.k, static_cast<unsigned long long>(total), real.size());
            std::abort();
        }
    }
    *out = total;
    return ROSTER_OK;
}

int Naive::after_flush(const roster_guild* guild, const std::vector<std::uint64_t>& touched,
                       bool check) {
    std::uint32_t members = 0, online = 0;
    int rc = roster_list_counts(&members, &online, guild, list_);
    if (rc == ROSTER_OK) rc = read_groups(guild, groups_now_);
    if (rc != ROSTER_OK) return rc;
    const bool counts_changed =
        members != member_count_ || online != online_count_ || !same_groups(groups_, groups_now_);
    member_count_ = members;
    online_count_ = online;
    groups_.swap(groups_now_);

    // Chunks showing a member that had an event; forget those members' sizes.
    touched_chunks_.clear();
    for (std::uint64_t u : touched) {
        const std::uint64_t ord = ordinal_(u);
        if (ord < item_bytes_.size()) item_bytes_[ord] = 0;
        std::uint32_t index = 0;
        if (roster_list_index_of(&index, guild, list_, u) == ROSTER_OK)
            touched_chunks_.push_back(index / chunk_size_);
    }
    std::sort(touched_chunks_.begin(), touched_chunks_.end());

    for (Chunk& c : chunks_) {
        rc = read_chunk(guild, c.k, rows_);
        if (rc != ROSTER_OK) return rc;
        c.changed = !same_rows(rows_, c.rows) ||
                    std::binary_search(touched_chunks_.begin(), touched_chunks_.end(), c.k);
        if (!c.changed) continue;
        c.rows.swap(rows_);
        rc = sync_bytes(guild, c, check, &c.sync_bytes);
        if (rc != ROSTER_OK) return rc;
        ++chunks_changed;
    }

    scratch_.clear();
    FrameJson::frame_head(scratch_, list_, members, online, groups_.data(), groups_.size());
    const std::uint64_t head = scratch_.size() + FrameJson::frame_tail.size();
    for (const Set& s : sets_) {
        std::uint64_t changed = 0, set_rows = 0, set_bytes = head;
        for (std::uint32_t i : s.chunks) {
            if (!chunks_[i].changed) continue;
            set_bytes += chunks_[i].sync_bytes + (changed ? 1 : 0);
            set_rows += chunks_[i].rows.size();
            ++changed;
        }
        if (!changed && !counts_changed) continue;
        frames += s.sessions;
        ops += changed * s.sessions;
        rows += set_rows * s.sessions;
        bytes += set_bytes * s.sessions;
    }
    return ROSTER_OK;
}

}  // namespace sim
