// roster-bench w3: subscribe latency and a large role reorder (docs/benchmarks.md, W3).
//
// A guild of N members (default 1,000,000): 16-byte names, 20 hoisted roles
// (one each) plus, for `movers` members (default 100,000), two more hoisted
// roles A (position 30) and B (position 29) held together; 30% online;
// offline hidden. S sessions (default 1,000) hold [0,99] plus one chunk.
// Measured, through roster::Engine with a sink that only counts:
//  - subscribe: a new session asks for [0,99] and a deep chunk nobody holds
//    yet (the call includes its flush: fetch, frame, delivery); p50 / p99;
//  - subscribe, cold: two chunks nobody holds (both fetched);
//  - reorder: swapping A and B moves every mover from A's section to B's,
//    in every session's view; the call includes the flush that re-sends the
//    held chunks. Median of R swaps.
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "engine.hpp"
#include "workloads.hpp"

namespace bench {
namespace {

struct W3Cfg {
    std::uint32_t n = 1000000;
    std::uint32_t movers = 100000;
    std::uint32_t sessions = 1000;
    std::uint32_t subscribes = 500;
    std::uint32_t rounds = 5;
    std::uint64_t seed = 0x5EED0033ull;
};

std::string name16(Rng& rng) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string s(16, ' ');
    for (char& c : s) c = alphabet[rng.below(62)];
    return s;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

void check(roster::Error e, const char* what) {
    if (e != roster::Error::ok) die(std::string(what) + " failed: " + roster::error_name(e));
}

int parse(int argc, char** argv, W3Cfg& cfg) {
    cli::Parser p("roster-bench w3");
    p.number("--n", &cfg.n, 1, 50000000, "members");
    p.number("--movers", &cfg.movers, 1, 50000000, "members holding the two swapped roles");
    p.number("--sessions", &cfg.sessions, 1, 50000000, "sessions holding [0,99] and one chunk");
    p.number("--subscribes", &cfg.subscribes, 1, 50000000, "new subscriptions timed");
    p.number("--rounds", &cfg.rounds, 1, 50000000, "role swaps, median reported");
    p.number("--seed", &cfg.seed, 0, UINT64_MAX, "RNG seed");
    if (const int rc = parse_options(p, argc, argv); rc >= 0) return rc;
    if (cfg.movers > cfg.n) cfg.movers = cfg.n;
    return -1;
}

}  // namespace

int run_w3(int argc, char** argv) {
    W3Cfg cfg;
    if (int rc = parse(argc, argv, cfg); rc >= 0) return rc;
    Rng rng(cfg.seed);
    roster::Engine e;
    std::uint64_t frames = 0, ops = 0;
    check(e.set_sink([&](const roster_frame& f, std::span<const std::uint64_t> ids) {
        frames += ids.size();
        ops += f.op_count * ids.size();
    }),
          "set_sink");

    constexpr std::uint64_t role_a = 1001, role_b = 1002;
    std::vector<std::string> names(cfg.n);
    std::vector<std::vector<std::uint64_t>> roles(cfg.n);
    std::vector<roster::Guild::MemberSpec> specs(cfg.n);
    std::uint32_t online = 0;
    for (std::uint32_t i = 0; i < cfg.n; ++i) {
        names[i] = name16(rng);
        roles[i] = {rng.below(20) + 1};
        if (rng.below(cfg.n) < cfg.movers) roles[i].insert(roles[i].end(), {role_a, role_b});
        const bool on = rng.below(10) < 3;
        online += on;
        specs[i] = {i + 1ull, names[i], roles[i], on ? roster::Status::online : roster::Status::offline};
    }
    // Movers (about `movers` of them, spread over the guild) are online, so
    // their moves show in the rows.
    std::uint32_t moving = 0;
    for (std::uint32_t i = 0; i < cfg.n; ++i) {
        if (roles[i].size() < 3) continue;
        ++moving;
        online += specs[i].status == roster::Status::offline;
        specs[i].status = roster::Status::online;
    }
    cfg.movers = moving;
    check(e.apply([&](roster::Guild& g) {
        for (std::uint64_t r = 1; r <= 20; ++r)
            check(g.upsert_role({r, static_cast<std::int32_t>(r), true, false, false}), "role");
        check(g.upsert_role({role_a, 30, true, false, false}), "role A");
        check(g.upsert_role({role_b, 29, true, false, false}), "role B");
        return g.add_members(specs);
    }),
          "load");
    std::uint32_t len = 0;
    check(e.guild().list_length(0, &len), "length");
    const std::uint32_t chunks = (len + 99) / 100;

    // Sessions: [0,99] plus a chunk biased to the top (as W2 does).
    for (std::uint32_t s = 1; s <= cfg.sessions; ++s) {
        const std::uint32_t k = 1 + std::min(chunks - 1, rng.below(40) * rng.below(40) / 10);
        const roster::Range r[] = {{0, 99}, {k * 100, k * 100 + 99}};
        check(e.subscribe(s, 0, r), "subscribe");
    }

    // Subscribe latency: deep chunks nobody holds, each used once.
    std::vector<std::uint32_t> deep;
    for (std::uint32_t k = chunks / 2; k < chunks && deep.size() < 2 * cfg.subscribes + 2; ++k)
        deep.push_back(k);
    if (deep.size() < 2 * cfg.subscribes + 2) die("list too short for the subscribes asked for");
    std::vector<double> warm, cold;
    std::uint64_t sid = 1000000000;
    std::size_t next_deep = 0;
    for (std::uint32_t i = 0; i < cfg.subscribes; ++i) {
        const std::uint32_t k = deep[next_deep++];
        const roster::Range r[] = {{0, 99}, {k * 100, k * 100 + 99}};
        std::uint64_t t0 = now_ns();
        check(e.subscribe(++sid, 0, r), "subscribe");
        warm.push_back(static_cast<double>(now_ns() - t0));
        check(e.remove_session(sid), "remove");
    }
    for (std::uint32_t i = 0; i < cfg.subscribes / 2; ++i) {
        const std::uint32_t k1 = deep[next_deep++], k2 = deep[next_deep++];
        const roster::Range r[] = {{k1 * 100, k1 * 100 + 99}, {k2 * 100, k2 * 100 + 99}};
        std::uint64_t t0 = now_ns();
        check(e.subscribe(++sid, 0, r), "subscribe");
        cold.push_back(static_cast<double>(now_ns() - t0));
        check(e.remove_session(sid), "remove");
    }

    // Reorder: swap A and B, back and forth; each moves every mover.
    std::vector<double> reorder;
    std::uint64_t reorder_ops = 0;
    for (std::uint32_t r = 0; r < cfg.rounds; ++r) {
        const std::uint64_t ids[] = {role_a, role_b};
        const std::int32_t pos[] = {r % 2 ? 30 : 29, r % 2 ? 29 : 30};
        const std::uint64_t ops0 = ops;
        std::uint64_t t0 = now_ns();
        check(e.apply([&](roster::Guild& g) { return g.reorder_roles(ids, pos); }), "reorder");
        reorder.push_back(static_cast<double>(now_ns() - t0) / 1e6);
        reorder_ops = ops - ops0;
    }
    std::string why;
    if (cfg.n <= 100000 && !e.check_invariants(&why)) die("invariants broken: " + why);

    std::printf("== w3  n=%u online=%u rows=%u sessions=%u movers=%u\n", cfg.n, online, len,
                cfg.sessions, cfg.movers);
    std::printf("subscribe [0,99] + deep chunk   p50 %8.0f ns   p99 %8.0f ns\n",
                percentile(warm, 0.5), percentile(warm, 0.99));
    std::printf("subscribe, two cold chunks      p50 %8.0f ns   p99 %8.0f ns\n",
                percentile(cold, 0.5), percentile(cold, 0.99));
    std::printf("reorder moving %u members       median %6.1f ms   (min %.1f, max %.1f; %" PRIu64
                " ops to %u sessions)\n",
                cfg.movers, median(reorder), min_of(reorder), max_of(reorder), reorder_ops,
                cfg.sessions);
    std::printf("W3 n=%u subscribe_p50_ns=%.0f subscribe_p99_ns=%.0f subscribe_cold_p50_ns=%.0f "
                "reorder_ms=%.1f movers=%u\n",
                cfg.n, percentile(warm, 0.5), percentile(warm, 0.99), percentile(cold, 0.5),
                median(reorder), cfg.movers);
    return 0;
}

}  // namespace bench
