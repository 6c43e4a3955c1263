// The W2 guild as roster-bench builds it (w2, snapshot): the same roles,
// members and sessions as roster-sim's default mode (examples/sim/
// workload.hpp), through the public C API: 20 hoisted roles, N members in
// one roster_members_add, then S sessions on list 0, each [0,99] plus one
// chunk at a log-uniform depth, subscribed in one batch.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <roster/roster.h>

#include "bench_util.hpp"
#include "workload.hpp"

namespace bench {

inline void check_rc(int rc, const char* what) {
    if (rc != ROSTER_OK) die(std::string(what) + ": " + roster_status_str(rc));
}

// What a counting frame callback (count_frame) was handed: frames, and
// the sessions, ops, rows and SYNC ops they were for (a frame for n
// sessions counts n times).
struct FrameCounts {
    std::uint64_t callbacks = 0, frames = 0, ops = 0, rows = 0, syncs = 0, deletes = 0;
};

inline void count_frame(const roster_frame* f, const std::uint64_t*, std::size_t n, void* user) {
    auto* c = static_cast<FrameCounts*>(user);
    ++c->callbacks;
    c->frames += n;
    c->ops += f->op_count * n;
    for (std::size_t i = 0; i < f->op_count; ++i) {
        c->rows += std::uint64_t{f->ops[i].item_count} * n;
        c->syncs += (f->ops[i].kind == ROSTER_OP_SYNC) * n;
        c->deletes += (f->ops[i].kind == ROSTER_OP_DELETE) * n;
    }
}

// The same event as sim::apply_event would make it, for roster_events_apply.
inline roster_event to_roster_event(const sim::Event& ev, const std::uint64_t* roles) {
    roster_event e{};
    e.user_id = ev.user;
    switch (ev.kind) {
    case sim::Event::Kind::status: e.kind = ROSTER_EVENT_STATUS; break;
    case sim::Event::Kind::name: e.kind = ROSTER_EVENT_NAME; break;
    case sim::Event::Kind::roles: e.kind = ROSTER_EVENT_ROLES; break;
    case sim::Event::Kind::join: e.kind = ROSTER_EVENT_ADD; break;
    case sim::Event::Kind::leave: e.kind = ROSTER_EVENT_REMOVE; break;
    }
    e.status = ev.status;
    e.name = ev.name;
    e.name_len = ev.name_len;
    e.roles = ev.role_count ? roles : nullptr;
    e.role_count = ev.role_count;
    return e;
}

// n members drawn with w2.join(), as specs for roster_members_add (the
// names and role arrays they point into are kept here).
struct W2Members {
    std::vector<std::string> names;
    std::vector<std::array<std::uint64_t, 2>> roles;
    std::vector<roster_member_spec> specs;

    void draw(sim::W2& w2, std::uint64_t n) {
        names.reserve(n);
        roles.reserve(n);
        specs.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            const sim::Event ev = w2.join();
            names.emplace_back(ev.name, ev.name_len);
            roles.push_back({ev.roles[0], ev.roles[1]});
            specs.push_back(roster_member_spec{ev.user, nullptr, ev.name_len, nullptr,
                                               ev.role_count, ev.status});
        }
        for (std::size_t i = 0; i < specs.size(); ++i) {
            specs[i].name = names[i].data();
            specs[i].roles = roles[i].data();
        }
    }
};

// The deep chunk of each session, exactly as roster-sim draws them (its own
// random stream): k = max(1, floor(C^u)) over the C chunks of a list of
// `rows` rows, u uniform in [0,1).
class DeepChunks {
public:
    DeepChunks(std::uint32_t rows, std::uint64_t seed)
        : chunks_(std::max<double>((rows + 99) / 100, 1.0)), rng_(seed ^ 0x5E5510115ull) {}
    std::uint32_t next() {
        return std::max<std::uint32_t>(
            1, static_cast<std::uint32_t>(std::floor(std::pow(chunks_, rng_.unit()))));
    }

private:
    double chunks_;
    sim::Rng rng_;
};

// The next batch of churn, drawn outside the timed region.
struct Batch {
    std::vector<sim::Event> events;
    std::vector<std::string> names;
    std::vector<roster_event> bulk;
    std::vector<std::array<std::uint64_t, 2>> roles;

    void draw(sim::W2& w2, std::uint64_t n, bool as_bulk) {
        events.clear();
        names.clear();
        names.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            sim::Event ev = w2.next();
            if (ev.name) {
                names.emplace_back(ev.name, ev.name_len);
                ev.name = names.back().data();
            }
            events.push_back(ev);
        }
        if (!as_bulk) return;
        bulk.clear();
        roles.clear();
        roles.reserve(n);
        for (const sim::Event& ev : events) {
            roles.push_back({ev.roles[0], ev.roles[1]});
            bulk.push_back(to_roster_event(ev, roles.back().data()));
        }
    }
};

struct W2Guild {
    roster_guild* guild = nullptr;
    std::vector<std::uint32_t> held;  // distinct deep chunks the sessions hold
    double subscribe_ms = 0;          // every session subscribing, in one batch
};

// w2 draws the members (and goes on drawing the churn afterwards); frames
// go to fn (with user). tail_deletes: roster_config.tail_deletes.
inline W2Guild make_w2_guild(sim::W2& w2, std::uint64_t members, std::uint64_t sessions,
                             std::uint64_t seed, roster_frame_fn fn, void* user,
                             bool tail_deletes = false) {
    W2Guild out;
    roster_guild*& g = out.guild;
    roster_config config = ROSTER_CONFIG_INIT;
    config.tail_deletes = tail_deletes ? 1u : 0u;
    check_rc(roster_guild_create(&g, &config), "roster_guild_create");
    check_rc(roster_guild_set_frame_callback(g, fn, user), "set_frame_callback");
    for (std::uint32_t i = 0; i < sim::W2::role_count; ++i) {
        const roster_role role = sim::W2::role(i);
        check_rc(roster_role_upsert(g, &role), "roster_role_upsert");
    }
    {
        W2Members m;
        m.draw(w2, members);
        check_rc(roster_members_add(g, m.specs.data(), m.specs.size()), "roster_members_add");
    }
    std::uint32_t rows = 0;
    check_rc(roster_list_length(&rows, g, 0), "roster_list_length");
    DeepChunks deep(rows, seed);
    const std::uint64_t sub0 = now_ns();
    check_rc(roster_batch_begin(g), "roster_batch_begin");
    for (std::uint64_t s = 1; s <= sessions; ++s) {
        const std::uint32_t k = deep.next();
        const roster_range ranges[2] = {{0, 99}, {k * 100, k * 100 + 99}};
        check_rc(roster_session_subscribe(g, s, 0, ranges, 2), "roster_session_subscribe");
        out.held.push_back(k);
    }
    check_rc(roster_batch_commit(g), "roster_batch_commit");
    out.subscribe_ms = static_cast<double>(now_ns() - sub0) / 1e6;
    std::sort(out.held.begin(), out.held.end());
    out.held.erase(std::unique(out.held.begin(), out.held.end()), out.held.end());
    return out;
}

}  // namespace bench
