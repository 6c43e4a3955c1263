// --verify: see fidelity.hpp.
#include "fidelity.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace sim {

Fidelity::Fidelity(std::uint64_t list_id, std::uint64_t (*ordinal)(std::uint64_t))
    : list_(list_id), ordinal_(ordinal) {}

Fidelity::~Fidelity() = default;

std::size_t Fidelity::replicas() const {
    std::size_t n = 0;
    for (const auto& s : pool_) n += s != nullptr;
    return n;
}

Fidelity::Shared* Fidelity::make_shared(const Replica& from) {
    auto s = std::make_unique<Shared>();
    s->replica = from;
    s->version = ++versions_;
    for (auto& slot : pool_)
        if (!slot) {
            slot = std::move(s);
            return slot.get();
        }
    pool_.push_back(std::move(s));
    return pool_.back().get();
}

void Fidelity::release(Shared* s) {
    if (--s->users > 0) return;
    for (auto& slot : pool_)
        if (slot.get() == s) slot.reset();
}

int Fidelity::session_ranges(const roster_guild* guild, std::uint64_t session) {
    std::size_t count = 0;
    ranges_.resize(std::max<std::size_t>(ranges_.size(), 8));
    int rc = roster_session_ranges(ranges_.data(), ranges_.size(), &count, guild, session, list_);
    if (rc == ROSTER_OK && count > ranges_.size()) {
        ranges_.resize(count);
        rc = roster_session_ranges(ranges_.data(), ranges_.size(), &count, guild, session, list_);
    }
    if (rc == ROSTER_OK) ranges_.resize(count);
    return rc;
}

void Fidelity::touched(std::uint64_t user_id, std::uint64_t stamp) {
    const std::uint64_t ord = ordinal_(user_id);
    if (ord >= latest_.size()) latest_.resize(ord + ord / 2 + 1024, 0);
    latest_[ord] = stamp;
}

void Fidelity::move_to(std::uint64_t session, Shared* from, Shared* to) {
    if (from) release(from);
    of_session_[session] = to;
    ++to->users;
}

std::string Fidelity::on_frame(const roster_guild* guild, const roster_frame& frame,
                               std::string_view text, const std::uint64_t* sessions,
                               std::size_t session_count, std::uint64_t stamp) {
    if (frame.list_id != list_)
        return "frame for list " + std::to_string(frame.list_id) + ", no session subscribes to it";
    // Clipping, against each session's ranges as of this frame.
    for (std::size_t i = 0; i < session_count; ++i) {
        const int rc = session_ranges(guild, sessions[i]);
        if (rc != ROSTER_OK)
            return "session " + std::to_string(sessions[i]) +
                   ": roster_session_ranges: " + roster_status_str(rc);
        const std::string why = check_clipping(frame, ranges_);
        if (!why.empty()) return "session " + std::to_string(sessions[i]) + ": " + why;
    }
    if (stamp != applied_stamp_) {
        applied_.clear();
        applied_stamp_ = stamp;
    }
    // Group the sessions by the replica they share now (nullptr: none yet).
    std::vector<std::pair<Shared*, std::uint64_t>> by(session_count);
    for (std::size_t i = 0; i < session_count; ++i) {
        const auto it = of_session_.find(sessions[i]);
        by[i] = {it == of_session_.end() ? nullptr : it->second, sessions[i]};
    }
    std::sort(by.begin(), by.end());
    for (std::size_t i = 0; i < by.size();) {
        std::size_t j = i;
        while (j < by.size() && by[j].first == by[i].first) ++j;
        Shared* from = by[i].first;
        auto key = std::make_pair(from ? from->version : 0, std::string(text));
        const auto done = applied_.find(key);
        if (done != applied_.end() && done->second.result->version == done->second.version &&
            done->second.result != from) {
            // The same frame met the same state earlier in this flush.
            for (std::size_t k = i; k < j; ++k) move_to(by[k].second, from, done->second.result);
            i = j;
            continue;
        }
        Shared* to = from;
        if (!from || from->users != j - i) {
            // Not all of its sessions get this frame: they part ways here.
            to = make_shared(from ? from->replica : Replica{});
            for (std::size_t k = i; k < j; ++k) move_to(by[k].second, from, to);
        }
        const std::string why = to->replica.apply(frame, stamp);
        if (!why.empty()) return "session " + std::to_string(by[i].second) + ": " + why;
        to->version = ++versions_;
        to->last = "flush " + std::to_string(stamp) + ": " + describe(frame);
        applied_[std::move(key)] = Applied{to, to->version};
        i = j;
    }
    return "";
}

// ranges_ holds the session's ranges.
std::string Fidelity::failure(std::uint64_t session, const Shared* shared,
                              const std::string& why) const {
    std::string out = "session " + std::to_string(session) + ": " + why + "\n  its ranges:";
    for (const roster_range& r : ranges_)
        out += " [" + std::to_string(r.start) + "," + std::to_string(r.end) + "]";
    out += "\n  the last frame it was sent, " + shared->last;
    return out;
}

std::string Fidelity::check(const roster_guild* guild, const std::vector<std::uint64_t>& sessions) {
    std::uint32_t members = 0, online = 0;
    std::size_t group_count = 0;
    int rc = roster_list_counts(&members, &online, guild, list_);
    if (rc == ROSTER_OK) {
        groups_.resize(std::max<std::size_t>(groups_.size(), 32));
        rc = roster_list_groups(groups_.data(), groups_.size(), &group_count, guild, list_);
        if (rc == ROSTER_OK && group_count > groups_.size()) {
            groups_.resize(group_count);
            rc = roster_list_groups(groups_.data(), groups_.size(), &group_count, guild, list_);
        }
    }
    if (rc != ROSTER_OK) return std::string("reading the list: ") + roster_status_str(rc);
    groups_.resize(group_count);

    const LatestFn latest = [this](std::uint64_t user) -> std::uint64_t {
        const std::uint64_t ord = ordinal_(user);
        return ord < latest_.size() ? latest_[ord] : 0;
    };
    // True rows per distinct range, read once per check.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<roster_row>> truth;
    std::map<std::pair<const Shared*, std::pair<std::uint32_t, std::uint32_t>>, bool> done;
    std::map<const Shared*, bool> counted;
    for (std::uint64_t s : sessions) {
        rc = session_ranges(guild, s);
        if (rc != ROSTER_OK)
            return "session " + std::to_string(s) + ": roster_session_ranges: " +
                   roster_status_str(rc);
        if (ranges_.empty()) continue;
        const auto it = of_session_.find(s);
        if (it == of_session_.end())
            return "session " + std::to_string(s) + ": subscribed but never sent a frame";
        const Shared* shared = it->second;
        if (!counted[shared]) {
            counted[shared] = true;
            const std::string why = shared->replica.check_counts(members, online, groups_);
            if (!why.empty()) return failure(s, shared, why);
        }
        for (const roster_range& r : ranges_) {
            const auto key = std::make_pair(r.start, r.end);
            if (!done.emplace(std::make_pair(shared, key), true).second) continue;
            auto t = truth.find(key);
            if (t == truth.end()) {
                std::vector<roster_row> rows(static_cast<std::size_t>(r.end) - r.start + 1);
                std::size_t count = 0;
                rc = roster_list_rows(rows.data(), rows.size(), &count, guild, list_, r.start,
                                      r.end);
                if (rc != ROSTER_OK)
                    return std::string("roster_list_rows: ") + roster_status_str(rc);
                rows.resize(std::min(count, rows.size()));
                t = truth.emplace(key, std::move(rows)).first;
            }
            const std::string why = shared->replica.check_range(r, t->second, latest);
            if (!why.empty()) return failure(s, shared, why);
            rows_checked += t->second.size();
        }
    }
    return "";
}

}  // namespace sim
