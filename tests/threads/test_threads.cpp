// Distinct guilds are independent (roster.h): eight threads each run whole
// guild life cycles at once (create, roles, members one at a time and in
// bulk, lists, sessions, thousands of events, batches, roster_events_apply,
// frames received and read in the callback, destroy), one guild per thread.
//
// Every life cycle is a fixed scenario (seeded by its number) and yields a
// digest of every status returned, every frame delivered and the final rows
// of every list. The digests are computed once on this thread first; every
// thread must then reproduce each one exactly, whatever the others are doing
// at the time (threads run the scenarios in different orders). Built in
// every build; the ThreadSanitizer build (./test.sh --tsan) runs it to find
// data races on state shared between guilds.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "roster/roster.h"

namespace {

constexpr int kThreads = 8;
constexpr int kScenarios = 8;   // each thread runs every one
constexpr int kRepeats = 2;     // ... this many times over
constexpr int kSteps = 1500;    // events per scenario

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15u);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

// FNV-1a over everything a scenario observes.
struct Digest {
    std::uint64_t h = 0xcbf29ce484222325u;
    std::uint64_t frames = 0;
    int unexpected = 0;  // statuses that a correct engine never returns here
    void add(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            h ^= (v >> (8 * i)) & 0xff;
            h *= 0x100000001b3u;
        }
    }
    void status(int rc) {
        add(static_cast<std::uint64_t>(static_cast<std::int64_t>(rc)));
        if (rc == ROSTER_ENOMEM || rc == ROSTER_EINTERNAL || rc == ROSTER_EBUSY) ++unexpected;
    }
};

struct Context {
    roster_guild* guild = nullptr;
    Digest digest;
};

void on_frame(const roster_frame* f, const std::uint64_t* sessions, std::size_t n, void* user) {
    Context& c = *static_cast<Context*>(user);
    Digest& d = c.digest;
    ++d.frames;
    d.add(f->list_id);
    d.add(f->member_count);
    d.add(f->online_count);
    for (std::size_t i = 0; i < f->group_count; ++i) {
        d.add(f->groups[i].id);
        d.add(f->groups[i].count);
    }
    for (std::size_t i = 0; i < f->op_count; ++i) {
        const roster_op& op = f->ops[i];
        d.add(op.kind);
        d.add(op.index);
        d.add(op.end);
        for (std::uint32_t k = 0; k < op.item_count; ++k) {
            d.add(op.items[k].kind);
            d.add(op.items[k].group);
            d.add(op.items[k].user);
            d.add(op.items[k].count);
        }
    }
    // Sessions in ascending order: the order within a frame is not promised.
    std::vector<std::uint64_t> ids(sessions, sessions + n);
    std::sort(ids.begin(), ids.end());
    for (std::uint64_t s : ids) d.add(s);
    // Queries from inside the callback see this flush's rows.
    std::uint32_t len = 0;
    d.status(roster_list_length(&len, c.guild, f->list_id) == ROSTER_OK ? ROSTER_OK : 1);
    d.add(len);
}

const char* const kNames[] = {"ann", "Bob", "cy", "Dee", "eve", "Fay", "gus", "Hal",
                              "ivy", "Jo", "kai", "Lu", "mo", "Ned", "oz", "Pia"};

void add_rows(Digest& d, roster_guild* g, std::uint64_t list) {
    std::uint32_t len = 0;
    d.status(roster_list_length(&len, g, list));
    std::vector<roster_row> rows(len + 1);
    std::size_t n = 0;
    if (len) d.status(roster_list_rows(rows.data(), rows.size(), &n, g, list, 0, len - 1));
    for (std::size_t i = 0; i < n; ++i) {
        d.add(rows[i].kind);
        d.add(rows[i].group);
        d.add(rows[i].user);
        d.add(rows[i].count);
    }
}

// One life cycle of one guild. Returns its digest.
Digest scenario(int number) {
    Rng rng{0x5EED0000u + static_cast<std::uint64_t>(number)};
    Context c;
    roster_config config = ROSTER_CONFIG_INIT;
    config.offline_threshold = 120 + static_cast<std::uint32_t>(number) * 5;
    config.chunk_size = 4 + static_cast<std::uint32_t>(number % 3) * 3;
    config.max_range_span = 40;
    if (roster_guild_create(&c.guild, &config) != ROSTER_OK) {
        c.digest.unexpected = 1000;
        return c.digest;
    }
    roster_guild* g = c.guild;
    Digest& d = c.digest;
    d.status(roster_guild_set_frame_callback(g, on_frame, &c));

    for (std::uint64_t r = 1; r <= 5; ++r) {
        const roster_role role{r, static_cast<std::int32_t>(r * 3 % 7),
                               r <= 2 ? ROSTER_ROLE_HOIST : (r == 3 ? ROSTER_ROLE_VIEW : 0u)};
        d.status(roster_role_upsert(g, &role));
    }
    // Half the members in bulk, half one at a time.
    const std::uint64_t members = 160;
    std::vector<std::vector<std::uint64_t>> roles(members + 1);
    std::vector<roster_member_spec> specs;
    for (std::uint64_t u = 1; u <= members; ++u) {
        if (rng.below(3) == 0) roles[u].push_back(1 + rng.below(5));
        if (rng.below(4) == 0) roles[u].push_back(1 + rng.below(5));
        const char* name = kNames[u % 16];
        const int status = static_cast<int>(rng.below(4));
        if (u <= members / 2) {
            specs.push_back({u, name, std::char_traits<char>::length(name),
                             roles[u].empty() ? nullptr : roles[u].data(), roles[u].size(), status});
        } else {
            d.status(roster_member_add(g, u, name, std::char_traits<char>::length(name),
                                       roles[u].empty() ? nullptr : roles[u].data(),
                                       roles[u].size(), status));
        }
    }
    d.status(roster_members_add(g, specs.data(), specs.size()));
    roster_overwrite allow2[] = {{2, 1}}, deny_some[] = {{7, 0}, {8, 0}};
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    rule.everyone = ROSTER_OVERWRITE_DENY;
    rule.roles = allow2;
    rule.role_count = 1;
    d.status(roster_list_set(g, 1, &rule));
    rule = ROSTER_LIST_RULE_INIT;
    rule.members = deny_some;
    rule.member_count = 2;
    d.status(roster_list_set(g, 2, &rule));

    auto subscribe = [&](std::uint64_t session) {
        const std::uint32_t start = static_cast<std::uint32_t>(rng.below(150));
        const roster_range r{start, start + static_cast<std::uint32_t>(rng.below(30))};
        d.status(roster_session_subscribe(g, session, rng.below(3), &r, 1));
    };
    for (std::uint64_t s = 1; s <= 8; ++s) subscribe(s);

    std::vector<bool> present(members + 1, true);
    for (int step = 0; step < kSteps; ++step) {
        const std::uint64_t u = 1 + rng.below(members);
        const std::uint64_t k = rng.below(100);
        if (k < 50) {
            d.status(roster_member_set_status(g, u, static_cast<int>(rng.below(4))));
        } else if (k < 58) {
            const char* name = kNames[rng.below(16)];
            d.status(roster_member_set_name(g, u, name, std::char_traits<char>::length(name)));
        } else if (k < 64) {
            const std::uint64_t r = 1 + rng.below(5);
            d.status(rng.below(2) ? roster_member_add_role(g, u, r) : roster_member_remove_role(g, u, r));
        } else if (k < 68) {
            d.status(roster_member_touch(g, u));
        } else if (k < 72) {
            if (present[u]) {
                d.status(roster_member_remove(g, u));
            } else {
                d.status(roster_member_add(g, u, "back", 4, nullptr, 0, ROSTER_ONLINE));
            }
            present[u] = !present[u];
        } else if (k < 80) {  // a batch of a few events
            d.status(roster_batch_begin(g));
            for (int i = 0; i < 6; ++i) {
                const std::uint64_t who = 1 + rng.below(members);
                d.status(roster_member_set_status(g, who, static_cast<int>(rng.below(4))));
            }
            d.status(roster_batch_commit(g));
        } else if (k < 88) {  // many events in one call
            roster_event ev[8] = {};
            int statuses[8];
            for (auto& e : ev) {
                e.kind = rng.below(2) ? ROSTER_EVENT_STATUS : ROSTER_EVENT_TOUCH;
                e.user_id = 1 + rng.below(members);
                e.status = static_cast<std::int32_t>(rng.below(4));
            }
            d.status(roster_events_apply(g, ev, 8, sizeof ev[0], statuses));
            for (int s : statuses) d.add(static_cast<std::uint64_t>(static_cast<std::int64_t>(s)));
        } else if (k < 94) {
            subscribe(1 + rng.below(10));
        } else if (k < 96) {
            d.status(roster_session_remove(g, 1 + rng.below(10)));
        } else if (k < 98) {
            d.status(roster_guild_set_offline_threshold(g, rng.below(2) ? 50 : 1000));
        } else {
            const roster_role role{3, static_cast<std::int32_t>(rng.below(9)),
                                   rng.below(2) ? ROSTER_ROLE_HOIST : ROSTER_ROLE_VIEW};
            d.status(roster_role_upsert(g, &role));
        }
    }
    for (std::uint64_t list = 0; list < 3; ++list) add_rows(d, g, list);
    std::uint32_t n = 0;
    d.status(roster_guild_session_count(&n, g));
    d.add(n);
    roster_guild_destroy(g);
    return d;
}

}  // namespace

int main() {
    std::vector<Digest> want;
    for (int i = 0; i < kScenarios; ++i) {
        want.push_back(scenario(i));
        if (want.back().unexpected || want.back().frames == 0) {
            std::fprintf(stderr, "scenario %d: %d unexpected statuses, %llu frames\n", i,
                         want.back().unexpected, static_cast<unsigned long long>(want.back().frames));
            return 1;
        }
    }
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([t, &want, &errors] {
            for (int rep = 0; rep < kRepeats; ++rep)
                for (int i = 0; i < kScenarios; ++i) {
                    const int s = (t + i * (rep + 1)) % kScenarios;
                    const Digest got = scenario(s);
                    if (got.h != want[s].h || got.frames != want[s].frames) {
                        errors[t] = "thread " + std::to_string(t) + ": scenario " + std::to_string(s) +
                                    " differs from its run alone (" + std::to_string(got.frames) + " frames, " +
                                    std::to_string(want[s].frames) + " alone)";
                        return;
                    }
                }
        });
    for (auto& th : threads) th.join();
    int failed = 0;
    for (const std::string& e : errors)
        if (!e.empty()) {
            std::fprintf(stderr, "%s\n", e.c_str());
            ++failed;
        }
    std::uint64_t frames = 0;
    for (const Digest& d : want) frames += d.frames;
    std::printf("%d threads x %d scenarios x %d: %s (%llu frames per pass)\n", kThreads, kScenarios, kRepeats,
                failed ? "MISMATCH" : "all digests equal", static_cast<unsigned long long>(frames));
    return failed ? 1 : 0;
}
