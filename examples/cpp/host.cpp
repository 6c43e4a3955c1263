// The C++ host: the scenario of examples/README.md through roster.hpp (RAII,
// exceptions, a lambda as the frame callback), printing every frame in the
// canonical line format. Its output must equal the C host's byte for byte.
#include <roster/roster.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string group_name(std::uint64_t id) {
    if (id == ROSTER_GROUP_ONLINE) return "online";
    if (id == ROSTER_GROUP_OFFLINE) return "offline";
    return std::to_string(id);
}

std::string item(const roster_row& row) {
    std::ostringstream out;
    if (row.kind == ROSTER_ROW_HEADER) {
        out << "H:" << group_name(row.group) << ':' << row.count;
    } else {
        out << "M:" << row.user << ':' << group_name(row.group);
    }
    return out.str();
}

// Formats one op of a frame kept beyond the callback (roster::Op).
std::string op_text(const roster::Op& op) {
    std::ostringstream out;
    switch (op.kind) {
        case ROSTER_OP_SYNC: {
            out << "SYNC:" << op.index << '-' << op.end << ":[";
            for (std::size_t i = 0; i < op.items.size(); ++i) {
                out << (i ? "," : "") << item(op.items[i]);
            }
            out << ']';
            break;
        }
        case ROSTER_OP_INSERT: out << "INSERT:" << op.index << ':' << item(op.items.at(0)); break;
        case ROSTER_OP_UPDATE: out << "UPDATE:" << op.index << ':' << item(op.items.at(0)); break;
        case ROSTER_OP_DELETE: out << "DELETE:" << op.index; break;
        case ROSTER_OP_INVALIDATE: out << "INVALIDATE:" << op.index << '-' << op.end; break;
        default: out << "UNKNOWN" << op.kind; break;
    }
    return out.str();
}

std::string frame_line(const roster::Frame& f, std::vector<std::uint64_t> sessions) {
    std::sort(sessions.begin(), sessions.end());
    std::ostringstream out;
    out << "frame list=" << f.list_id << " sessions=";
    for (std::size_t i = 0; i < sessions.size(); ++i) out << (i ? "," : "") << sessions[i];
    out << " members=" << f.member_count << " online=" << f.online_count << " groups=";
    if (f.groups.empty()) out << '-';
    for (std::size_t i = 0; i < f.groups.size(); ++i) {
        out << (i ? "," : "") << group_name(f.groups[i].id) << ':' << f.groups[i].count;
    }
    out << " ops=";
    if (f.ops.empty()) out << '-';
    for (std::size_t i = 0; i < f.ops.size(); ++i) out << (i ? ";" : "") << op_text(f.ops[i]);
    return out.str();
}

// Runs one scenario call; a failure prints its status instead of 0.
int status_of(const std::function<void()>& call) {
    try {
        call();
        return ROSTER_OK;
    } catch (const roster::Error& e) {
        return e.status();
    }
}

// The stats line: only the deterministic fields (not memory_bytes, nor the
// flush times).
std::string stats_line(const roster_stats& s) {
    std::ostringstream out;
    out << "stats members=" << s.members << " lists=" << s.lists << " sessions=" << s.sessions
        << " subscriptions=" << s.subscriptions << " chunks_held=" << s.chunks_held
        << " flushes=" << s.flushes << " frames=" << s.frames << " deliveries=" << s.deliveries
        << " ops=" << s.ops << " rows=" << s.rows;
    return out.str();
}

// The frame handler of both guilds. The frame data is valid only during the
// callback: copy it (the lines are printed as they come, but a server would
// queue them).
void print_frame(const roster_frame& frame, roster::Sessions sessions) {
    std::vector<std::uint64_t> ids(sessions.begin(), sessions.end());
    std::cout << frame_line(roster::Frame::copy_of(frame), std::move(ids)) << '\n';
}

// Runs the events, numbered from first, printing `# n` and `= s` around each.
void run_events(const std::vector<std::function<void()>>& events, std::size_t first) {
    for (std::size_t n = 0; n < events.size(); ++n) {
        std::cout << "# " << first + n << '\n';
        int s = status_of(events[n]);
        std::cout << "= " << s << '\n';
    }
}

// Steps 1-5 of the scenario on a new guild, then its stats line; returns
// the guild's snapshot (with its sessions). The guild is destroyed on return.
std::vector<unsigned char> first_guild(const roster_config& config) {
    using roster::Presence;
    roster::Guild g(config);
    g.on_frame(print_frame);

    std::cout << "# setup\n";
    g.upsert_role(101, 3, ROSTER_ROLE_HOIST);
    g.upsert_role(102, 2, ROSTER_ROLE_HOIST);
    g.upsert_role(103, 1, ROSTER_ROLE_HOIST);
    const Presence statuses[4] = {Presence::online, Presence::idle, Presence::dnd,
                                  Presence::offline};
    const std::vector<std::uint64_t> by_five[5] = {{101}, {102}, {103}, {101, 103}, {}};
    for (int i = 1; i <= 50; ++i) {
        std::ostringstream name;
        name << 'm' << i / 10 << i % 10;
        g.add_member(1000 + i, name.str(), by_five[i % 5], statuses[i % 4]);
    }
    roster::ListRule rule;
    rule.everyone = ROSTER_OVERWRITE_DENY;
    rule.roles = {{101, true}};
    rule.members = {{1002, true}, {1005, false}};
    g.set_list(7, rule);
    g.subscribe(1, 0, {{0, 9}});
    g.subscribe(2, 0, {{0, 9}});
    g.subscribe(3, 0, {{25, 34}, {50, 59}});
    g.subscribe(3, 7, {{0, 19}});

    const std::vector<std::function<void()>> events = {
        [&] { g.set_status(1001, Presence::offline); },
        [&] { g.set_status(1004, Presence::online); },
        [&] { g.set_name(1010, "aaa"); },
        [&] { g.set_name(1020, "zzz"); },
        [&] { g.set_roles(1003, {101}); },
        [&] { g.set_roles(1015, {}); },
        [&] { g.add_member(1051, "m51", {102}, Presence::online); },
        [&] { g.add_member(1052, "b52", {}, Presence::idle); },
        [&] { g.remove_member(1030); },
        [&] { g.remove_member(1051); },
        [&] { g.touch(1002); },
        [&] { g.set_status(1008, Presence::idle); },
        [&] { g.add_role(1012, 101); },
        [&] { g.remove_role_from(1013, 103); },
        [&] { g.batch_begin(); },
        [&] { g.set_status(1016, Presence::offline); },
        [&] { g.set_status(1017, Presence::online); },
        [&] { g.set_name(1018, "c18"); },
        [&] { g.add_member(1053, "m53", {101}, Presence::dnd); },
        [&] { g.batch_commit(); },
        [&] { g.set_status(1040, Presence::offline); },
        [&] { g.set_name(1005, "a05"); },
        [&] { g.set_roles(1025, {102, 103}); },
        [&] { g.remove_member(1005); },
        [&] { g.subscribe(2, 0, {{10, 19}}); },
        [&] { g.set_status(1036, Presence::online); },
        [&] { g.touch(1040); },
        [&] { g.unsubscribe(3, 7); },
        [&] { g.set_status(1024, Presence::dnd); },
        [&] { g.remove_session(1); },
    };
    run_events(events, 1);
    std::cout << stats_line(g.stats()) << '\n';
    return g.save(ROSTER_SAVE_SESSIONS);
}

}  // namespace

int main() {
    using roster::Presence;
    try {
        roster_config config = ROSTER_CONFIG_INIT;
        config.chunk_size = 10;
        config.max_range_span = 30;
        const std::vector<unsigned char> snapshot = first_guild(config);

        // The hand-off: the original is gone; the loaded guild goes on (the
        // frame callback is not part of a snapshot: set it again).
        roster::Guild g = roster::Guild::load(snapshot, &config);
        g.on_frame(print_frame);
        std::cout << "# handoff\n";
        const std::vector<std::function<void()>> events = {
            [&] { g.set_status(1011, Presence::online); },
            [&] { g.set_name(1012, "aab"); },
            [&] { g.remove_member(1013); },
            [&] { g.subscribe(4, 0, {{0, 9}}); },
        };
        run_events(events, 31);
        std::cout << stats_line(g.stats()) << '\n';
    } catch (const roster::Error& e) {
        std::cerr << "host-cpp: " << e.what() << " (" << e.status() << ")\n";
        return 1;
    }
    std::cout.flush();
    return std::cout ? 0 : 1;
}
