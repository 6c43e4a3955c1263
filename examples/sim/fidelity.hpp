// --verify: every session's view of list 0, kept by a Replica (replica.hpp)
// from the frames it was sent, checked against the guild after every flush.
//
// Sessions that were sent exactly the same frames share one Replica, so
// thousands of sessions with a few hundred distinct subscriptions cost a few
// hundred replicas; each session is still checked on its own ranges. A
// frame for some but not all of a replica's sessions splits it; the same
// frame (equal JSON text) delivered within one flush, in separate callbacks,
// to sessions on the same replica state joins them again (subscribing
// sessions get separate but equal frames).
// Stamps are flush numbers: a member row must have been written by a frame
// of the flush of the member's latest event, or later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <roster/roster.h>

#include "replica.hpp"

namespace sim {

class Fidelity {
public:
    Fidelity(std::uint64_t list_id, std::uint64_t (*ordinal)(std::uint64_t user_id));
    ~Fidelity();
    Fidelity(const Fidelity&) = delete;
    Fidelity& operator=(const Fidelity&) = delete;

    // Inside the frame callback: checks clipping against each session's
    // ranges and applies the frame to its replica. text: the frame's JSON
    // (frame_json.hpp), which names everything the replica keeps. Returns ""
    // or what went wrong.
    std::string on_frame(const roster_guild* guild, const roster_frame& frame,
                         std::string_view text, const std::uint64_t* sessions,
                         std::size_t session_count, std::uint64_t stamp);

    // The member had an event that will be flushed with this stamp.
    void touched(std::uint64_t user_id, std::uint64_t stamp);

    // After a flush: each session's replica against the true rows of its
    // ranges (roster_session_ranges, roster_list_rows) and counts. Returns
    // "" or the first difference.
    std::string check(const roster_guild* guild, const std::vector<std::uint64_t>& sessions);

    std::size_t replicas() const;  // distinct replicas alive
    std::uint64_t rows_checked = 0;

private:
    struct Shared {
        Replica replica;
        std::size_t users = 0;      // sessions on it
        std::uint64_t version = 0;  // unique per replica state
        std::string last;           // the last frame applied, for reports
    };
    struct Applied {
        Shared* result;
        std::uint64_t version;  // of result, when it was recorded
    };

    std::uint64_t list_;
    std::uint64_t (*ordinal_)(std::uint64_t);
    std::unordered_map<std::uint64_t, Shared*> of_session_;
    std::vector<std::unique_ptr<Shared>> pool_;
    std::uint64_t versions_ = 0;
    // This flush: (replica version before, frame text) -> replica after.
    std::map<std::pair<std::uint64_t, std::string>, Applied> applied_;
    std::uint64_t applied_stamp_ = 0;
    std::vector<std::uint64_t> latest_;  // by member ordinal
    std::vector<roster_range> ranges_;
    std::vector<roster_row> rows_;
    std::vector<roster_group> groups_;

    int session_ranges(const roster_guild* guild, std::uint64_t session);
    Shared* make_shared(const Replica& from);
    void release(Shared* s);
    void move_to(std::uint64_t session, Shared* from, Shared* to);
    std::string failure(std::uint64_t session, const Shared* shared, const std::string& why) const;
};

}  // namespace sim
