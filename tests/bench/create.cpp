// roster-bench create: the cost of creating roles and lists, per creation.
//
// Through the C API, one call per creation (each includes its flush):
//  - roles: N roles (default 10,000, 20,000, 40,000) in an empty guild,
//    three ways: not hoisted (no section); hoisted at rising positions
//    (each new section sorts first, so the whole order shifts), and at
//    falling positions (each sorts last);
//  - lists: N lists (default 10,000, 20,000) in a guild of 5 members,
//    without sessions, and with a session holding rows of list 0 (so that a
//    change log exists while the lists are created).
// Each figure is the wall time of the N calls divided by N over R rounds (a
// fresh guild each): the median and the minimum. They differ most for lists:
// a new list's first section reserves its tree nodes (~7.6 KB of memory per
// list of 5 members), and until the allocator keeps freed pages (a few
// rounds into a process) faulting them in costs more than the engine's own
// work; the minimum is the warm heap.
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "cli.hpp"
#include "roster/roster.h"
#include "workloads.hpp"

namespace bench {
namespace {

struct CreateCfg {
    std::uint32_t roles = 40000;  // the largest size; also a quarter and half of it
    std::uint32_t lists = 20000;  // the largest size; also half of it
    std::uint32_t rounds = 5;
};

enum class RoleKind { plain, rising, falling };

const char* kind_name(RoleKind k) {
    return k == RoleKind::plain    ? "not hoisted"
           : k == RoleKind::rising ? "hoisted, rising"
                                   : "hoisted, falling";
}

void check(int rc, const char* what) {
    if (rc != ROSTER_OK) die(std::string(what) + " failed: " + roster_status_str(rc));
}

roster_guild* new_guild(std::uint32_t roles, std::uint32_t lists) {
    roster_config cfg = ROSTER_CONFIG_INIT;
    cfg.max_roles = roles;
    cfg.max_lists = lists;
    roster_guild* g = nullptr;
    check(roster_guild_create(&g, &cfg), "roster_guild_create");
    return g;
}

// Seconds for creating n roles of kind k; checks where the first and the
// last one sort.
double time_roles(std::uint32_t n, RoleKind k) {
    roster_guild* g = new_guild(n, 0);
    const std::uint32_t flags = k == RoleKind::plain ? 0 : ROSTER_ROLE_HOIST;
    const std::uint64_t t0 = now_ns();
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto pos = static_cast<std::int32_t>(k == RoleKind::falling ? n - i : i);
        const roster_role r{i + 1, pos, flags};
        check(roster_role_upsert(g, &r), "roster_role_upsert");
    }
    const double s = static_cast<double>(now_ns() - t0) * 1e-9;
    // A member holding the first and the last role: in the section of the
    // higher one, or online when neither is hoisted.
    const std::uint64_t held[2] = {1, n};
    check(roster_member_add(g, 1, "m", 1, held, 2, ROSTER_ONLINE), "roster_member_add");
    roster_member_info info;
    check(roster_member_get(&info, nullptr, 0, nullptr, g, 1), "roster_member_get");
    const std::uint64_t want = k == RoleKind::plain    ? ROSTER_GROUP_ONLINE
                               : k == RoleKind::rising ? n
                                                       : 1;
    if (info.group != want)
        die("create: a member holding the first and last role is in the wrong section");
    roster_guild_destroy(g);
    return s;
}

void noop_frame(const roster_frame*, const std::uint64_t*, size_t, void*) {}

// Seconds for creating n lists in a guild of 5 members (and a session on
// list 0 when `session`); checks the last list's members.
double time_lists(std::uint32_t n, bool session) {
    roster_guild* g = new_guild(1000, n);
    check(roster_guild_set_frame_callback(g, noop_frame, nullptr), "set_frame_callback");
    for (std::uint64_t id = 1; id <= 5; ++id)
        check(roster_member_add(g, id, "m", 1, nullptr, 0, ROSTER_ONLINE), "roster_member_add");
    if (session) {
        const roster_range r{0, 99};
        check(roster_session_subscribe(g, 1, 0, &r, 1), "roster_session_subscribe");
    }
    const roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    const std::uint64_t t0 = now_ns();
    for (std::uint32_t i = 0; i < n; ++i)
        check(roster_list_set(g, i + 1, &rule), "roster_list_set");
    const double s = static_cast<double>(now_ns() - t0) * 1e-9;
    std::uint32_t members = 0, online = 0;
    check(roster_list_counts(&members, &online, g, n), "roster_list_counts");
    if (members != 5) die("create: the last list does not hold the 5 members");
    roster_guild_destroy(g);
    return s;
}

struct Runs {
    double median, min;
};

template <class F>
Runs rounds_of(std::uint32_t rounds, F&& once) {
    std::vector<double> runs;
    for (std::uint32_t r = 0; r < rounds; ++r) runs.push_back(once());
    return Runs{median(runs), min_of(runs)};
}

void report(const char* what, std::uint32_t n, Runs s) {
    const double per = 1e9 / static_cast<double>(n);
    std::printf("  %-26s %6u: %9.0f ns each, min %9.0f  (%.3f s in all)\n", what, n,
                s.median * per, s.min * per, s.median);
}

int parse(int argc, char** argv, CreateCfg& cfg) {
    cli::Parser p("roster-bench create");
    p.number("--roles", &cfg.roles, 4, ROSTER_MAX_ROLES, "roles: N/4, N/2 and N are created");
    p.number("--lists", &cfg.lists, 2, ROSTER_MAX_LISTS, "lists: N/2 and N are created");
    p.number("--rounds", &cfg.rounds, 1, 1000, "rounds, median reported");
    return parse_options(p, argc, argv);
}

}  // namespace

int run_create(int argc, char** argv) {
    CreateCfg cfg;
    if (int rc = parse(argc, argv, cfg); rc >= 0) return rc;
    std::printf("create: roles and lists one call each, median and min of %u rounds\n",
                cfg.rounds);
    for (RoleKind k : {RoleKind::plain, RoleKind::rising, RoleKind::falling})
        for (std::uint32_t n : {cfg.roles / 4, cfg.roles / 2, cfg.roles}) {
            const std::string what = std::string("role, ") + kind_name(k);
            report(what.c_str(), n, rounds_of(cfg.rounds, [&] { return time_roles(n, k); }));
        }
    for (bool session : {false, true})
        for (std::uint32_t n : {cfg.lists / 2, cfg.lists})
            report(session ? "list, a session on list 0" : "list", n,
                   rounds_of(cfg.rounds, [&] { return time_lists(n, session); }));
    return 0;
}

}  // namespace bench
