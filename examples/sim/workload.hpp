// The W2 workload of docs/benchmarks.md, as a host would produce it: a guild with 20
// hoisted roles and 30% of its members online, then a stream of presence
// churn (70% status, 10% name, 10% roles, 5% join, 5% leave).
//
// The generator keeps its own model of every member (status, roles) so that
// each event is a real change: a status event always changes the status, a
// role event always adds or removes one role, a leave names a member that is
// present. It never looks at the guild; the caller applies each event and
// treats any error as fatal. Everything is a function of the seed.
//
// Choices the benchmark text leaves open (documented in --help):
//  - ids look like Discord snowflakes (18 digits), so JSON sizes are real;
//  - names: 3-16 characters of [A-Za-z0-9_.], starting with a letter;
//  - roles: role i (1..20) has position i, all hoisted. A member has 0 roles
//    (40%), 1 (40%) or 2 distinct (20%); role i is drawn with weight 21 - i,
//    so the top sections are small and the lower ones large, as in a real
//    guild; 40% of the online members have no role and sit in ONLINE;
//  - statuses: 70% offline; the online 30% are online/idle/dnd 60/25/15;
//  - a status event is, with equal odds: an offline member coming online,
//    an online member going offline, or an online member switching between
//    online/idle/dnd (same section, so it shows as an UPDATE). The first two
//    balance, so the online share stays near 30%;
//  - a role event adds a role to a member with none, removes one from a
//    member with two, and either (50/50) for a member with one; the host
//    sends the member's whole new role set (roster_member_set_roles);
//  - a join is a new member drawn like the initial ones (so 30% online); a
//    leave removes a member picked uniformly among those present.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <roster/roster.h>

namespace sim {

// xoshiro256** seeded through splitmix64: fast and deterministic for a seed.
class Rng {
public:
    explicit Rng(std::uint64_t seed);
    std::uint64_t next();
    // Uniform in [0, bound) for 0 < bound < 2^32.
    std::uint32_t below(std::uint32_t bound) {
        return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
    }
    // Uniform in [0, 1).
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t s_[4];
};

struct Event {
    enum class Kind : std::uint8_t { status, name, roles, join, leave };
    Kind kind = Kind::status;
    std::uint64_t user = 0;
    std::int32_t status = ROSTER_OFFLINE;  // status, join
    const char* name = nullptr;            // name, join: valid until the next event
    std::size_t name_len = 0;
    std::uint64_t roles[2] = {0, 0};       // roles, join
    std::size_t role_count = 0;
};

// Applies ev to the guild through the C API; returns the status.
int apply_event(roster_guild* guild, const Event& ev);

class W2 {
public:
    static constexpr std::uint32_t role_count = 20;

    explicit W2(std::uint64_t seed);

    // The guild's roles (index 0..role_count-1).
    static roster_role role(std::uint32_t index);

    // A new member drawn like the initial ones (an Event of kind join).
    Event join();
    // The next churn event.
    Event next();

    std::uint64_t members() const { return online_.size() + offline_.size(); }
    std::uint64_t online() const { return online_.size(); }
    // Creation number of a member (0, 1, ...: dense, for per-member tables),
    // and how many were ever created.
    static std::uint64_t ordinal(std::uint64_t user_id);
    std::uint64_t created() const { return state_.size(); }
    // The user id of the member created as number `ordinal`.
    static std::uint64_t user_id(std::uint64_t ordinal);

private:
    struct Member {
        std::uint32_t where = 0;    // position in online_ or offline_
        std::uint8_t status = 0;    // roster_presence
        std::uint8_t roles[2] = {};  // role index + 1; 0 = none
    };

    Rng rng_;
    std::vector<Member> state_;          // by ordinal
    std::vector<std::uint32_t> online_;  // ordinals of members not offline
    std::vector<std::uint32_t> offline_;
    std::string name_;

    std::uint8_t draw_role();
    std::int32_t draw_online_status();
    void draw_name();
    void set_status(std::uint32_t ordinal, std::uint8_t status);
    void unlink(std::uint32_t ordinal);
    std::uint32_t any_member();
    Event status_event();
    Event name_event();
    Event roles_event();
    Event leave_event();
};

}  // namespace sim
