// Allocation failure at every point of every session-related call, through
// the C API: subscribe (new session, new audience, changed ranges, a second
// list, unsubscribe), session removal, a batch commit that flushes many
// sessions, list removal with subscribers, a list re-created inside a batch,
// roster_events_apply, an offline-threshold flip, and removals and
// unsubscribes made from inside the frame callback.
//
// For each call, on a fresh guild every time, the 1st, 2nd, 3rd ...
// allocation fails until the call succeeds. After every failure:
//  - ENOMEM: every list, every session's ranges and the session count read
//    exactly as before, and no frame was delivered;
//  - EFLUSH: the change stands; roster_guild_flush then succeeds, and from
//    then on every session's replica holds the true rows (in two more
//    sweeps, one batch ends or moves every subscription instead, before
//    any other flush: no client keeps a row of its old ranges, and the new
//    ones are exact; in a third, the next flush fails too, at each of its
//    allocations in turn, and the one after it leaves every replica exact);
//  - the engine's invariants hold, and ordinary calls (events, a new
//    subscription, a removal) work and keep every replica exact.
// Run under ASan, a half-updated bookkeeping shows up as a memory error in
// those later calls if the checks above miss it. Its own program: it
// replaces the global operator new.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "internal.hpp"
#include "replica.hpp"
#include "roster/roster.h"

#include "countdown_new.hpp"

namespace {

const std::uint64_t kLists[] = {0, 7, 8};

// Frames through the frame queue (docs/frames.md §12) instead of the
// callback: the World takes and decodes them before every check.
bool g_queue = false;
// Every guild with roster_config.tail_deletes (docs/frames.md §10).
bool g_tail = false;
// After a call that returns EFLUSH, instead of the next flush coming from
// roster_guild_flush: every subscription ends, or moves (change_all).
// Or the next flush fails too, at every point in turn (fail_flush_again).
enum class AfterEflush { flush, end_all, move_all, fail_again };
AfterEflush g_after_eflush = AfterEflush::flush;

// Every guild's config: in hooks mode, with the failing hooks.
roster_config config() {
    roster_config c = ROSTER_CONFIG_INIT;
    c.tail_deletes = g_tail ? 1u : 0u;
    if (g_via_hooks) {
        c.allocator.allocate = hook_allocate;
        c.allocator.reallocate = hook_reallocate;
        c.allocator.deallocate = hook_deallocate;
    }
    return c;
}

// A guild, the frames it delivers applied to one replica per (session,
// list), and a hook that acts from inside the callback.
struct World {
    roster_guild* g = nullptr;
    std::map<std::pair<std::uint64_t, std::uint64_t>, sim::Replica> replicas;
    std::set<std::uint64_t> sessions;  // every session id the test used
    long frames = 0;
    std::uint64_t stamp = 0;
    std::function<void(const roster_frame&)> hook;
    const bool queued = g_queue;

    World() {
        ++alive;
        roster_config c = config();
        c.chunk_size = 4;
        c.max_range_span = 12;
        c.offline_threshold = 1000;
        REQUIRE(roster_guild_create(&g, &c) == ROSTER_OK);
        if (queued)
            REQUIRE(roster_guild_set_frame_queue(g, 1) == ROSTER_OK);
        else
            REQUIRE(roster_guild_set_frame_callback(g, on_frame, this) == ROSTER_OK);
    }
    ~World() {
        roster_guild_destroy(g);
        if (--alive == 0 && g_via_hooks) {
            // Every block the hooks gave is back; no memory came from
            // elsewhere; nothing went to the wrong free.
            CHECK(g_hook_live == 0);
            CHECK(g_stray_new == 0);
            CHECK(g_hook_bad_free == 0);
        }
    }
    static inline int alive = 0;
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    static void on_frame(const roster_frame* f, const uint64_t* ids, size_t n, void* self) {
        auto& w = *static_cast<World*>(self);
        {
            const Unarmed unarmed;
            ++w.frames;
            for (size_t i = 0; i < n; ++i) {
                const std::string bad = w.replicas[{ids[i], f->list_id}].apply(*f, ++w.stamp);
                CHECK_MESSAGE(bad.empty(), bad);
            }
        }
        if (w.hook) w.hook(*f);  // armed: its calls may fail too
    }

    // Queue mode: takes the queued records and applies them as frames. Each
    // record must be whole: its size agrees with its counts and the buffer.
    void drain() {
        if (!queued) return;
        const Unarmed unarmed;
        const void* data = nullptr;
        size_t len = 0;
        REQUIRE(roster_guild_take_frames(&data, &len, g) == ROSTER_OK);
        const auto* p = static_cast<const unsigned char*>(data);
        size_t at = 0;
        while (at < len) {
            REQUIRE(len - at >= 40);
            std::uint64_t size = 0;
            std::uint32_t head[6];
            roster_frame f{};
            std::memcpy(&size, p + at, 8);
            std::memcpy(&f.list_id, p + at + 8, 8);
            std::memcpy(head, p + at + 16, sizeof head);
            f.member_count = head[0];
            f.online_count = head[1];
            const std::uint32_t S = head[2], G = head[3], O = head[4], R = head[5];
            REQUIRE(size == 40 + 8ull * S + 16ull * G + 16ull * O + 24ull * R);
            REQUIRE(size <= len - at);
            const unsigned char* q = p + at + 40;
            std::vector<std::uint64_t> ids(S);
            if (S) std::memcpy(ids.data(), q, 8ull * S);  // (an empty vector's data() may be NULL)
            q += 8ull * S;
            std::vector<roster_group> groups(G);
            for (auto& gr : groups) {
                std::memcpy(&gr.id, q, 8);
                std::memcpy(&gr.count, q + 8, 4);
                q += 16;
            }
            std::vector<roster_op> ops(O);
            std::vector<roster_row> rows(R);
            const unsigned char* items = q + 16ull * O;
            if (R) std::memcpy(rows.data(), items, 24ull * R);
            std::uint64_t used = 0;
            for (auto& op : ops) {
                std::uint32_t w4[4];
                std::memcpy(w4, q, sizeof w4);
                q += 16;
                op.kind = w4[0];
                op.index = w4[1];
                op.end = w4[2];
                op.item_count = w4[3];
                op.items = rows.data() + used;
                used += w4[3];
            }
            REQUIRE(used == R);
            f.groups = groups.data();
            f.group_count = G;
            f.ops = ops.data();
            f.op_count = O;
            on_frame(&f, ids.data(), S, this);
            at += size;
        }
    }

    // (An initializer list: building the ranges allocates nothing.)
    int subscribe(std::uint64_t s, std::uint64_t list, std::initializer_list<roster_range> ranges) {
        {
            const Unarmed unarmed;
            sessions.insert(s);
        }
        return roster_session_subscribe(g, s, list, ranges.size() ? ranges.begin() : nullptr,
                                        ranges.size());
    }
};

void add_members(World& w, std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t i = from; i <= to; ++i) {
        std::vector<std::uint64_t> roles;
        if (i % 3 == 0) roles.push_back(10);
        if (i % 4 == 0) roles.push_back(11);
        if (i % 5 == 0) roles.push_back(12);
        char name[32];
        std::snprintf(name, sizeof name, "member-%03llu", static_cast<unsigned long long>(i));
        REQUIRE(roster_member_add(w.g, i, name, std::strlen(name), roles.data(), roles.size(),
                                  static_cast<int>(i % 4)) == ROSTER_OK);
    }
}

// Roles, 40 members, lists 7 (role 12 only) and 8 (everyone), and twelve
// sessions over the three lists, some sharing their chunks.
void populate(World& w) {
    const roster_role roles[] = {{10, 5, ROSTER_ROLE_HOIST}, {11, 3, ROSTER_ROLE_HOIST},
                                 {12, 1, ROSTER_ROLE_VIEW}};
    for (const roster_role& r : roles) REQUIRE(roster_role_upsert(w.g, &r) == ROSTER_OK);
    add_members(w, 1, 40);
    roster_overwrite allow12[] = {{12, 1}};
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    rule.everyone = ROSTER_OVERWRITE_DENY;
    rule.roles = allow12;
    rule.role_count = 1;
    REQUIRE(roster_list_set(w.g, 7, &rule) == ROSTER_OK);
    roster_list_rule all = ROSTER_LIST_RULE_INIT;
    REQUIRE(roster_list_set(w.g, 8, &all) == ROSTER_OK);
    REQUIRE(roster_batch_begin(w.g) == ROSTER_OK);
    for (std::uint64_t s = 1; s <= 12; ++s) {
        const std::uint32_t at = static_cast<std::uint32_t>((s % 4) * 8);
        REQUIRE(w.subscribe(s, kLists[s % 3], {{0, 3}, {at, at + 5}}) == ROSTER_OK);
        if (s % 5 == 0) REQUIRE(w.subscribe(s, kLists[(s + 1) % 3], {{4, 9}}) == ROSTER_OK);
    }
    REQUIRE(roster_batch_commit(w.g) == ROSTER_OK);
}

// Lists, sessions and their ranges, as text.
std::string state(const World& w) {
    const Unarmed unarmed;
    std::string out;
    char buf[96];
    for (std::uint64_t list : kLists) {
        std::uint32_t len = 0, mc = 0, oc = 0;
        if (roster_list_length(&len, w.g, list) != ROSTER_OK) {
            out += "none;";
            continue;
        }
        REQUIRE(roster_list_counts(&mc, &oc, w.g, list) == ROSTER_OK);
        std::vector<roster_row> rows(len);
        size_t n = 0;
        if (len) REQUIRE(roster_list_rows(rows.data(), len, &n, w.g, list, 0, len - 1) == ROSTER_OK);
        std::snprintf(buf, sizeof buf, "%u/%u:", mc, oc);
        out += buf;
        for (size_t i = 0; i < n; ++i) out += sim::describe(rows[i]) + ",";
        out += ';';
    }
    std::uint32_t count = 0;
    REQUIRE(roster_guild_session_count(&count, w.g) == ROSTER_OK);
    out += "sessions " + std::to_string(count) + ";";
    // Every id any scenario uses, whether it exists yet or not.
    for (std::uint64_t s : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 100, 101})
        for (std::uint64_t list : kLists) {
            roster_range rs[8];
            size_t n = 0;
            const int rc = roster_session_ranges(rs, 8, &n, w.g, s, list);
            std::snprintf(buf, sizeof buf, "s%llu/%llu:", static_cast<unsigned long long>(s),
                          static_cast<unsigned long long>(list));
            out += buf;
            if (rc != ROSTER_OK) {
                out += roster_status_str(rc);
                continue;
            }
            for (size_t i = 0; i < n && i < 8; ++i)
                out += std::to_string(rs[i].start) + "-" + std::to_string(rs[i].end) + " ";
        }
    return out;
}

// Every subscribed range of every session holds the true rows.
void check_replicas(World& w, const char* when) {
    w.drain();
    const Unarmed unarmed;
    INFO(when);
    std::string why;
    CHECK_MESSAGE(roster::capi::engine_of(static_cast<const roster_guild*>(w.g)).check_invariants(&why), why);
    for (std::uint64_t s : w.sessions)
        for (std::uint64_t list : kLists) {
            roster_range rs[8];
            size_t n = 0;
            if (roster_session_ranges(rs, 8, &n, w.g, s, list) != ROSTER_OK || n == 0) continue;
            std::uint32_t len = 0, mc = 0, oc = 0;
            REQUIRE(roster_list_length(&len, w.g, list) == ROSTER_OK);
            REQUIRE(roster_list_counts(&mc, &oc, w.g, list) == ROSTER_OK);
            const sim::Replica& rep = w.replicas[{s, list}];
            for (size_t i = 0; i < n; ++i) {
                std::vector<roster_row> truth(rs[i].end - rs[i].start + 1);
                size_t got = 0;
                REQUIRE(roster_list_rows(truth.data(), truth.size(), &got, w.g, list, rs[i].start,
                                         rs[i].end) == ROSTER_OK);
                truth.resize(got);
                const std::string bad = rep.check_range(rs[i], truth);
                CHECK_MESSAGE(bad.empty(), "session " << s << " list " << list << ": " << bad);
            }
            if (len) CHECK(rep.member_count() == mc);
        }
}

// Calls any host makes next: they must work on whatever the failure left.
void ordinary_calls(World& w) {
    const Unarmed unarmed;
    REQUIRE(roster_member_set_status(w.g, 9, ROSTER_ONLINE) == ROSTER_OK);
    REQUIRE(roster_member_set_name(w.g, 10, "aaa", 3) == ROSTER_OK);
    REQUIRE(roster_member_add_role(w.g, 11, 10) == ROSTER_OK);
    REQUIRE(w.subscribe(300, 0, {{0, 7}}) == ROSTER_OK);
    REQUIRE(w.subscribe(2, 8, {{8, 11}}) == ROSTER_OK);
    const int rm = roster_session_remove(w.g, 12);
    CHECK((rm == ROSTER_OK || rm == ROSTER_ENOTFOUND));
    REQUIRE(roster_member_remove(w.g, 13) == ROSTER_OK);
    check_replicas(w, "after ordinary calls");
}

// Every session changes every subscription, in one batch: unsubscribes
// (`end`), or moves each range down by one chunk (keeping the chunks the
// ranges overlap). Whatever a failed flush before left its clients holding
// (the frames that went out and those that did not), each client then
// holds no row of its old ranges outside its new ones, and the rows of
// its new ranges exactly. (Rows an INSERT pushed out of its ranges it may
// keep: a client ignores rows outside its ranges.)
void change_all(World& w, bool end) {
    struct Change {
        std::vector<roster_range> had, now;
    };
    std::map<std::pair<std::uint64_t, std::uint64_t>, Change> changes;
    REQUIRE(roster_batch_begin(w.g) == ROSTER_OK);  // one flush, after all of them
    for (std::uint64_t s : w.sessions)
        for (std::uint64_t list : kLists) {
            roster_range rs[8];
            size_t n = 0;
            if (roster_session_ranges(rs, 8, &n, w.g, s, list) != ROSTER_OK || n == 0) continue;
            Change& c = changes[{s, list}];
            c.had.assign(rs, rs + std::min<size_t>(n, 8));
            if (!end)
                for (const roster_range& r : c.had) c.now.push_back({r.start + 4, r.end + 4});
            // A list the failed call removed is gone (ENOTFOUND), and its
            // subscriptions end at the commit's flush.
            std::uint32_t len = 0;
            const bool gone = roster_list_length(&len, w.g, list) == ROSTER_ENOTFOUND;
            const int rc = roster_session_subscribe(w.g, s, list, c.now.empty() ? nullptr : c.now.data(),
                                                    c.now.size());
            CHECK_MESSAGE(rc == (gone ? ROSTER_ENOTFOUND : ROSTER_OK), roster_status_str(rc));
        }
    CHECK(roster_batch_commit(w.g) == ROSTER_OK);
    w.drain();
    for (const auto& kv : changes) {  // (clang 14: no structured binding in the checks' lambdas)
        const std::pair<std::uint64_t, std::uint64_t> key = kv.first;
        const Change& c = kv.second;
        const sim::Replica& rep = w.replicas[key];
        for (const roster_range& r : c.had)
            for (std::uint32_t i = r.start; i <= r.end && i < rep.size(); ++i) {
                const bool kept = std::any_of(c.now.begin(), c.now.end(),
                                              [i](const roster_range& x) { return i >= x.start && i <= x.end; });
                if (!kept)
                    CHECK_MESSAGE(rep.at(i) == nullptr, "session " << key.first << " list " << key.second
                                                                   << " still holds row " << i);
            }
    }
    check_replicas(w, end ? "after every subscription ended" : "after every subscription moved");
}

struct Scenario {
    const char* name;
    std::function<void(World&)> prep;  // unarmed
    std::function<int(World&)> call;   // armed
    bool events = false;               // ENOMEM of one event does not fail the call
    std::function<void(World&)> after = nullptr;  // unarmed, after the call's own checks
};

// A fresh world brought to where sc's call is made: populated, every
// replica checked (in queue mode that drains the queue), sc's preparation
// done. Returns the state the call must leave on ENOMEM. Every sweep's world
// is made by this, so a call repeated on another world makes the same
// allocations.
std::string prepare(World& w, const Scenario& sc) {
    populate(w);
    check_replicas(w, "populated");
    if (sc.prep) sc.prep(w);
    return state(w);
}

// sc's call on w with allocation k failing; what it delivered is taken
// (queue mode) before any check.
Failing call_failing_at(World& w, const Scenario& sc, long k) {
    const Failing f = failing_at(k, [&] { return sc.call(w); });
    w.hook = nullptr;
    w.drain();
    return f;
}

// The call failed its flush at allocation k (EFLUSH). On fresh worlds
// brought to that point again, the next roster_guild_flush fails at its
// 1st, 2nd ... allocation until one succeeds. After each second failure
// (EFLUSH again, the frames still owed), one more flush succeeds and every
// client holds the true rows of its ranges. Returns the number of points.
long fail_flush_again(const Scenario& sc, long k) {
    for (long j = 1; j < 20000; ++j) {
        World w;
        prepare(w, sc);
        const int first = call_failing_at(w, sc, k).rc;
        INFO(std::string(sc.name) << ", allocation " << k << ", then the flush's allocation " << j);
        REQUIRE(first == ROSTER_EFLUSH);  // as in the sweep: the same call, the same allocations
        const Failing got = failing_at(j, [&] { return roster_guild_flush(w.g); });
        const int rc = got.rc;
        const bool failed = got.failed;
        w.drain();
        if (!failed) {
            CHECK(rc == ROSTER_OK);
            if (sc.after) sc.after(w);
            check_replicas(w, "the flush after a failed one");
            return j - 1;
        }
        CHECK_MESSAGE(rc == ROSTER_EFLUSH, roster_status_str(rc));
        CHECK(roster_guild_flush(w.g) == ROSTER_OK);
        if (sc.after) sc.after(w);
        check_replicas(w, "after two failed flushes");
        ordinary_calls(w);
    }
    FAIL("the flush never succeeded");
    return 0;
}

// Sweeps the allocation that fails over the whole call. Returns the number
// of failure points (with fail_again, of both failures).
long sweep(const Scenario& sc) {
    long again = 0;
    for (long k = 1; k < 20000; ++k) {
        World w;
        const std::string before = prepare(w, sc);
        const long frames_before = w.frames;
        const Failing got = call_failing_at(w, sc, k);
        const int rc = got.rc;
        const bool failed = got.failed;
        INFO(std::string(sc.name) << ", allocation " << k << ": " << std::string(roster_status_str(rc)));
        if (!failed) {
            CHECK(rc == ROSTER_OK);
            if (sc.after) sc.after(w);
            check_replicas(w, "succeeded");
            ordinary_calls(w);
            return k - 1 + again;
        }
        if (rc == ROSTER_ENOMEM && !sc.events) {
            const std::string after = state(w);
            std::size_t at = 0;
            while (at < after.size() && at < before.size() && after[at] == before[at]) ++at;
            CHECK_MESSAGE(after == before, "differs at: " << after.substr(at > 40 ? at - 40 : 0, 120)
                                                          << " | was: "
                                                          << before.substr(at > 40 ? at - 40 : 0, 120));
            CHECK(w.frames == frames_before);
        } else if (rc == ROSTER_EFLUSH &&
                   (g_after_eflush == AfterEflush::end_all || g_after_eflush == AfterEflush::move_all)) {
            change_all(w, g_after_eflush == AfterEflush::end_all);
        } else if (rc == ROSTER_EFLUSH) {
            if (g_after_eflush == AfterEflush::fail_again) again += fail_flush_again(sc, k);
            CHECK(roster_guild_flush(w.g) == ROSTER_OK);
        } else if (!sc.events) {
            FAIL_CHECK("a failed allocation gave " << roster_status_str(rc));
        } else {
            CHECK((rc == ROSTER_OK || rc == ROSTER_ENOMEM));
        }
        if (sc.after) sc.after(w);
        check_replicas(w, "after the failure");
        ordinary_calls(w);
    }
    FAIL("the call never succeeded");
    return 0;
}

roster_event status_event(std::uint64_t id, int st) {
    roster_event e{};
    e.kind = ROSTER_EVENT_STATUS;
    e.user_id = id;
    e.status = st;
    return e;
}

std::vector<Scenario> session_scenarios() {
    std::vector<Scenario> scenarios;
    scenarios.push_back({"subscribe a new session", nullptr,
                         [](World& w) { return w.subscribe(100, 0, {{0, 7}}); }});
    scenarios.push_back({"subscribe a new session to a new audience", nullptr,
                         [](World& w) { return w.subscribe(101, 8, {{8, 11}, {20, 23}}); }});
    scenarios.push_back({"change a session's ranges", nullptr,
                         [](World& w) { return w.subscribe(1, 7, {{12, 15}}); }});
    scenarios.push_back({"subscribe a session to a second list", nullptr,
                         [](World& w) { return w.subscribe(2, 8, {{0, 3}}); }});
    scenarios.push_back({"unsubscribe", nullptr, [](World& w) { return w.subscribe(3, 0, {}); }});
    scenarios.push_back(
        {"remove a session", nullptr, [](World& w) { return roster_session_remove(w.g, 4); }});
    scenarios.push_back({"commit a batch that flushes many sessions",
                         [](World& w) {
                             REQUIRE(roster_batch_begin(w.g) == ROSTER_OK);
                             for (std::uint64_t m = 1; m <= 40; m += 3)
                                 REQUIRE(roster_member_set_status(w.g, m, (m / 3) % 4) ==
                                         ROSTER_OK);
                             REQUIRE(roster_member_remove(w.g, 2) == ROSTER_OK);
                             add_members(w, 41, 44);
                             REQUIRE(w.subscribe(5, 0, {{4, 7}}) == ROSTER_OK);
                         },
                         [](World& w) { return roster_batch_commit(w.g); }});
    scenarios.push_back({"remove a list with subscribers", nullptr,
                         [](World& w) { return roster_list_remove(w.g, 7); }});
    scenarios.push_back({"subscribe to a list re-created inside a batch",
                         [](World& w) {
                             REQUIRE(roster_batch_begin(w.g) == ROSTER_OK);
                             REQUIRE(roster_list_remove(w.g, 7) == ROSTER_OK);
                             roster_list_rule all = ROSTER_LIST_RULE_INIT;
                             REQUIRE(roster_list_set(w.g, 7, &all) == ROSTER_OK);
                         },
                         [](World& w) { return w.subscribe(6, 7, {{0, 3}}); }, false,
                         [](World& w) { REQUIRE(roster_batch_commit(w.g) == ROSTER_OK); }});
    scenarios.push_back({"commit a re-created list's batch",
                         [](World& w) {
                             REQUIRE(roster_batch_begin(w.g) == ROSTER_OK);
                             REQUIRE(roster_list_remove(w.g, 7) == ROSTER_OK);
                             roster_list_rule all = ROSTER_LIST_RULE_INIT;
                             REQUIRE(roster_list_set(w.g, 7, &all) == ROSTER_OK);
                             REQUIRE(w.subscribe(6, 7, {{0, 3}}) == ROSTER_OK);
                         },
                         [](World& w) { return roster_batch_commit(w.g); }});
    scenarios.push_back({"events_apply with frames", nullptr,
                         [](World& w) {
                             Unarmed unarmed;  // the test's own vector
                             std::vector<roster_event> ev;
                             for (std::uint64_t m = 1; m <= 40; m += 2)
                                 ev.push_back(status_event(m, static_cast<int>((m + 1) % 4)));
                             roster_event add{};
                             add.kind = ROSTER_EVENT_ADD;
                             add.user_id = 77;
                             add.name = "zed";
                             add.name_len = 3;
                             add.status = ROSTER_ONLINE;
                             ev.push_back(add);
                             unarmed.rearm();
                             return roster_events_apply(w.g, ev.data(), ev.size(), sizeof ev[0],
                                                        nullptr);
                         },
                         true});
    scenarios.push_back({"cross the offline threshold", nullptr, [](World& w) {
                             return roster_guild_set_offline_threshold(w.g, 20);
                         }});
    scenarios.push_back({"remove and unsubscribe sessions inside the callback", nullptr,
                         [](World& w) {
                             {
                                 const Unarmed unarmed;
                                 w.hook = [&w](const roster_frame&) {
                                 roster_session_remove(w.g, 6);
                                 roster_session_subscribe(w.g, 7, 7, nullptr, 0);
                                 roster_session_subscribe(w.g, 8, 0, nullptr, 0);
                                 };
                             }
                             Unarmed unarmed;  // the test's own vector
                             std::vector<roster_event> ev;
                             for (std::uint64_t m = 1; m <= 40; m += 5)
                                 ev.push_back(status_event(m, static_cast<int>((m + 2) % 4)));
                             unarmed.rearm();
                             return roster_events_apply(w.g, ev.data(), ev.size(), sizeof ev[0],
                                                        nullptr);
                         },
                         true});
    return scenarios;
}

long sweep_all(const std::vector<Scenario>& scenarios) {
    long points = 0;
    for (const Scenario& sc : scenarios) {
        const auto t0 = std::chrono::steady_clock::now();
        const long n = sweep(sc);
        if (getenv("OOM_DEBUG"))
            fprintf(stderr, "%s: %.1f s\n", sc.name,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        MESSAGE(std::string(sc.name) << ": " << n << " failure points");
        points += n;
    }
    return points;
}

}  // namespace

TEST_SUITE("sessions_oom") {

// The sweeps of every session call in one mode: frames through the queue
// or the callback, tail deletes on or off, and what follows an EFLUSH. The
// mode is set for the sweep only (a failed check that ends a test case
// does not leave it set for the next). The queue has no callback, so the
// scenario that acts from inside it is left out there.
struct Mode {
    bool queue = false;
    bool tail = false;
    AfterEflush after = AfterEflush::flush;
};
long sweep_mode(Mode m) {
    struct Set {
        explicit Set(Mode x) {
            g_queue = x.queue;
            g_tail = x.tail;
            g_after_eflush = x.after;
        }
        ~Set() {
            g_queue = g_tail = false;
            g_after_eflush = AfterEflush::flush;
        }
    } set(m);
    std::vector<Scenario> scenarios;
    for (Scenario& sc : session_scenarios())
        if (!m.queue || std::string(sc.name).find("inside the callback") == std::string::npos)
            scenarios.push_back(std::move(sc));
    return sweep_all(scenarios);
}

TEST_CASE("every session call survives a failed allocation at every point") {
    CHECK(sweep_mode({}) > 200);  // the sweeps really failed allocations
}

// The frame queue: a flush that fails leaves only whole records (drain()
// checks each), and the frames still owed come at the next flush, so the
// replicas end exact, as with the callback.
TEST_CASE("with the frame queue, every session call survives a failed allocation") {
    CHECK(sweep_mode({.queue = true}) > 200);
}

// Tail deletes change which ops a flush builds (more DELETEs, chunks past
// the end first): the same sweeps, every guild with them on.
TEST_CASE("with tail deletes, every session call survives a failed allocation") {
    CHECK(sweep_mode({.tail = true}) > 200);
}

// A failed flush, then every subscription ends before another flush: no
// client may keep a row, whether or not its frame of the failed flush
// went out (fuzz_oom found one that did keep its rows).
TEST_CASE("after a failed flush, every subscription ended leaves no client a row") {
    CHECK(sweep_mode({.after = AfterEflush::end_all}) > 200);
}

// The same, with every subscription moved by a chunk: the chunks a client
// keeps, gets and drops after a failed flush.
TEST_CASE("after a failed flush, every subscription moved leaves every client exact") {
    CHECK(sweep_mode({.after = AfterEflush::move_all}) > 200);
}

// A failed flush, then the flush after it fails too, at each of its
// allocations in turn: the frames owed by both come at the third (every
// pair of points a guild of its own, ~13,000 of them); with the frame
// queue (a second failure while records of the first are owed) and with
// tail deletes too.
TEST_CASE("after a failed flush, a second failed flush at every point, then one that succeeds") {
    CHECK(sweep_mode({.after = AfterEflush::fail_again}) > 5000);
}

TEST_CASE("with the frame queue, a second failed flush at every point, then one that succeeds") {
    CHECK(sweep_mode({.queue = true, .after = AfterEflush::fail_again}) > 5000);
}

TEST_CASE("with tail deletes, a second failed flush at every point, then one that succeeds") {
    CHECK(sweep_mode({.tail = true, .after = AfterEflush::fail_again}) > 5000);
}

int append_bytes(const void* data, size_t len, void* user) {
    const Unarmed unarmed;  // the host's buffer is not the library's
    auto* b = static_cast<std::vector<unsigned char>*>(user);
    b->insert(b->end(), static_cast<const unsigned char*>(data),
              static_cast<const unsigned char*>(data) + len);
    return 0;
}

// A snapshot save and a load (docs/snapshot.md), with every allocation
// failing in turn: a failed save leaves the guild, its sessions and their
// replicas as they were; a failed load returns ENOMEM and leaks nothing
// (ASan); a load that succeeds gives a guild whose sessions go on exactly.
// roster_guild_save of w, with its sessions, into bytes while allocation
// k fails; `failed`: whether one did.
int save_failing_at(World& w, long k, std::vector<unsigned char>& bytes, bool& failed) {
    const Failing f =
        failing_at(k, [&] { return roster_guild_save(w.g, ROSTER_SAVE_SESSIONS, append_bytes, &bytes); });
    failed = f.failed;
    return f.rc;
}

TEST_CASE("snapshot save and load survive a failed allocation at every point") {
    std::vector<unsigned char> saved;
    long save_points = 0;
    for (long k = 1; k < 20000; ++k) {
        World w;
        populate(w);
        const std::string before = state(w);
        const long frames_before = w.frames;
        std::vector<unsigned char> bytes;
        bool failed = false;
        const int rc = save_failing_at(w, k, bytes, failed);
        INFO("save, allocation " << k << ": " << std::string(roster_status_str(rc)));
        CHECK(state(w) == before);
        CHECK(w.frames == frames_before);
        if (!failed) {
            REQUIRE(rc == ROSTER_OK);
            saved = bytes;
            save_points = k - 1;
            break;
        }
        CHECK(rc == ROSTER_ENOMEM);
        check_replicas(w, "after a failed save");
        ordinary_calls(w);
    }
    CHECK(save_points > 0);

    long load_points = 0;
    for (long k = 1; k < 20000; ++k) {
        World original;
        populate(original);
        roster_guild* g = nullptr;
        const roster_config c = config();
        const long live_before = g_hook_live;
        const Failing got =
            failing_at(k, [&] { return roster_guild_load_buffer(&g, &c, saved.data(), saved.size()); });
        const int rc = got.rc;
        const bool failed = got.failed;
        INFO("load, allocation " << k << ": " << roster_status_str(rc));
        if (failed) {
            CHECK(rc == ROSTER_ENOMEM);
            CHECK(g == nullptr);
            if (g_via_hooks) CHECK(g_hook_live == live_before);  // nothing leaked
            continue;
        }
        REQUIRE(rc == ROSTER_OK);
        load_points = k - 1;
        // The loaded guild in place of the original: the same state, and
        // the original's replicas stay exact through more calls.
        World loaded;
        roster_guild_destroy(loaded.g);
        loaded.g = g;
        REQUIRE(roster_guild_set_frame_callback(g, World::on_frame, &loaded) == ROSTER_OK);
        loaded.replicas = original.replicas;
        loaded.sessions = original.sessions;
        CHECK(state(loaded) == state(original));
        check_replicas(loaded, "loaded");
        ordinary_calls(loaded);
        break;
    }
    CHECK(load_points > 10);
    MESSAGE("save: " << save_points << " failure points, load: " << load_points);
}

// Calls f(w, k) on a populated world whose roster_list_remove of list 7
// failed its flush at allocation k, so that frames are owed; for k = 1,
// 2, ... until f returns false or the removal no longer fails. Returns how
// many such worlds there were.
template <class F>
long with_frames_owed(F f) {
    long worlds = 0;
    for (long k = 1; k < 20000; ++k) {
        World w;
        populate(w);
        const Failing got = failing_at(k, [&] { return roster_list_remove(w.g, 7); });
        const int rc = got.rc;
        const bool failed = got.failed;
        if (!failed) break;
        if (rc != ROSTER_EFLUSH) continue;
        ++worlds;
        if (!f(w, k)) break;
    }
    return worlds;
}

TEST_CASE("a save that owes frames: out of memory after its flush delivers nothing") {
    // Found by fuzz_oom: a save flushes first when frames are owed (here
    // after a failed flush), and then allocated what the writing needs. An
    // allocation failing there returned ENOMEM with the frames delivered.
    // Now everything the writing needs is allocated before the flush: at
    // every failure point the save either delivered nothing (ENOMEM), or
    // its flush failed again (EFLUSH), or it wrote the snapshot.
    long enomem = 0;
    const long owed = with_frames_owed([&](World& w, long k) {
        for (long j = 1; j < 20000; ++j) {
            const std::string before = state(w);
            const long frames = w.frames;
            std::vector<unsigned char> bytes;
            bool save_failed = false;
            const int rc = save_failing_at(w, j, bytes, save_failed);
            INFO("list_remove allocation " << k << ", save allocation " << j << ": "
                                           << std::string(roster_status_str(rc)));
            if (rc == ROSTER_ENOMEM) {
                ++enomem;
                CHECK(save_failed);
                CHECK(w.frames == frames);
                CHECK(state(w) == before);
                continue;  // still owed: the next save flushes again
            }
            if (rc == ROSTER_EFLUSH) {
                CHECK(save_failed);
                CHECK(bytes.empty());
                continue;
            }
            REQUIRE(rc == ROSTER_OK);
            CHECK_FALSE(save_failed);
            CHECK(w.frames > frames);
            check_replicas(w, "after the save");
            ordinary_calls(w);
            break;
        }
        return true;
    });
    CHECK(owed > 0);
    CHECK(enomem > 0);
}

TEST_CASE("after a failed flush, a call that fails delivers nothing; the next flush does") {
    // Found by fuzz_oom: roster_events_apply whose events all failed still
    // flushed, delivering what an earlier failed flush had left, and so a
    // call that returned an error changed the sessions.
    const long found = with_frames_owed([&](World& w, long k) {
        INFO("allocation " << k);
        const std::string before = state(w);
        const long frames = w.frames;
        roster_event ev[2] = {status_event(999, ROSTER_ONLINE), status_event(998, ROSTER_IDLE)};
        int st[2] = {0, 0};
        CHECK(roster_events_apply(w.g, ev, 2, sizeof ev[0], st) == ROSTER_ENOTFOUND);
        CHECK(st[0] == ROSTER_ENOTFOUND);
        CHECK(st[1] == ROSTER_ENOTFOUND);
        CHECK(roster_events_apply(w.g, ev, 0, sizeof ev[0], nullptr) == ROSTER_OK);
        CHECK(roster_member_set_status(w.g, 999, ROSTER_ONLINE) == ROSTER_ENOTFOUND);
        CHECK(state(w) == before);
        CHECK(w.frames == frames);
        CHECK(roster_guild_flush(w.g) == ROSTER_OK);
        CHECK(w.frames > frames);
        check_replicas(w, "after the flush");
        ordinary_calls(w);
        return false;  // one such world is enough
    });
    CHECK(found == 1);
}

TEST_CASE("a session a failed flush served, then changed before the next flush, keeps no old rows") {
    // Found by fuzz_oom: a subscribe whose flush failed after the session's
    // own frame had gone out (memory ran out settling it) left the engine
    // remembering what the session held before that frame. Unsubscribed,
    // moved or with its list removed before the next flush, the session
    // was sent INVALIDATE of those chunks, not of the rows the frame had
    // given it, and its client kept them for good.
    struct FollowUp {
        const char* name;
        std::function<void(World&)> call;
    };
    const FollowUp follow_ups[] = {
        {"unsubscribed", [](World& w) { REQUIRE(w.subscribe(100, 8, {}) == ROSTER_OK); }},
        {"moved", [](World& w) { REQUIRE(w.subscribe(100, 8, {{12, 15}}) == ROSTER_OK); }},
        {"its list removed",
         [](World& w) {
             REQUIRE(roster_list_remove(w.g, 8) == ROSTER_OK);
             roster_list_rule all = ROSTER_LIST_RULE_INIT;  // for ordinary_calls
             REQUIRE(roster_list_set(w.g, 8, &all) == ROSTER_OK);
         }},
    };
    for (const FollowUp& fu : follow_ups) {
        long served = 0;
        for (long k = 1; k < 20000; ++k) {
            World w;
            populate(w);
            const Failing got = failing_at(k, [&] { return w.subscribe(100, 8, {{0, 7}}); });
            const int rc = got.rc;
            const bool failed = got.failed;
            w.drain();
            if (!failed) break;
            const auto it = w.replicas.find({100, 8});
            if (rc != ROSTER_EFLUSH || it == w.replicas.end() || it->second.frames() == 0) continue;
            ++served;  // its frame went out, and then the flush failed
            INFO(std::string(fu.name) << ", allocation " << k);
            const sim::Replica& rep = it->second;
            REQUIRE(rep.at(0) != nullptr);  // the frame's rows
            fu.call(w);
            w.drain();
            for (std::uint32_t i = 0; i <= 7 && i < rep.size(); ++i)
                CHECK_MESSAGE(rep.at(i) == nullptr, "row " << i << " kept");
            check_replicas(w, "after the change");
            ordinary_calls(w);
        }
        INFO(std::string(fu.name));
        CHECK(served > 0);
    }
}

}  // TEST_SUITE
