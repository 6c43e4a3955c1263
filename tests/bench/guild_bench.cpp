// roster-bench guild: the engine at scale (issue 3 figures).
//
// A guild of N members (default 1,000,000): 16-byte names, 2 roles each out
// of 20 hoisted roles, 30% online (online/idle/dnd), one list (list 0),
// offline hidden (N >= the default threshold). Measured:
//  - bulk load of the N members (Guild::add_members), wall time;
//  - memory: resident bytes / N over the load, and the engine's own count;
//  - set_status that moves a member between sections (online <-> offline:
//    it leaves one group's tree and enters another's), ns/event;
//  - set_status that does not move it (online <-> idle, same group),
//    ns/event.
// Each status figure is the median of R rounds of K events over members
// picked at random (fixed seed), events applied one by one as a host would.
#include <array>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "cli.hpp"
#include "guild.hpp"
#include "workloads.hpp"

namespace bench {
namespace {

struct GuildCfg {
    std::uint32_t n = 1000000;
    std::uint32_t rounds = 5;
    std::uint32_t ops = 100000;
    std::uint64_t seed = 0x5EED0003ull;
};

std::string name_of(std::mt19937_64& rng) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string s(16, ' ');
    for (char& c : s) c = alphabet[rng() % 62];
    return s;
}

struct Loaded {
    double load_ms = 0, rss_per_member = 0, engine_per_member = 0;
    CpuMs load_cpu;  // the load's CPU time, split, and its page faults
};

Loaded load(roster::Guild& g, const GuildCfg& cfg, std::mt19937_64& rng,
            std::vector<std::uint64_t>& online, std::vector<std::uint64_t>& offline) {
    for (std::uint64_t r = 1; r <= 20; ++r)
        if (g.upsert_role({r, static_cast<std::int32_t>(r), true, false, false}) != roster::Error::ok)
            die("role upsert failed");
    std::vector<std::string> names(cfg.n);
    std::vector<std::array<std::uint64_t, 2>> roles(cfg.n);
    std::vector<roster::Guild::MemberSpec> specs(cfg.n);
    for (std::uint32_t i = 0; i < cfg.n; ++i) {
        names[i] = name_of(rng);
        roles[i] = {rng() % 20 + 1, rng() % 20 + 1};
        const std::uint64_t id = 100000000000ull + i * 7919ull;
        const unsigned dice = static_cast<unsigned>(rng() % 10);
        roster::Status st = dice < 2 ? roster::Status::online
                          : dice < 3 ? (dice % 2 ? roster::Status::idle : roster::Status::dnd)
                                     : roster::Status::offline;
        (st == roster::Status::offline ? offline : online).push_back(id);
        specs[i] = {id, names[i], roles[i], st};
    }
    trim_heap();
    const std::size_t rss0 = anon_rss_bytes();
    const CpuMs c0 = cpu_ms();
    const std::uint64_t t0 = now_ns();
    if (g.add_members(specs) != roster::Error::ok) die("bulk load failed");
    const std::uint64_t t1 = now_ns();
    const CpuMs load_cpu = cpu_ms() - c0;
    // Read before the inputs are freed: both readings include them, so the
    // difference is what the guild holds.
    trim_heap();  // the load's own temporaries are freed by now
    const std::size_t rss1 = anon_rss_bytes();
    Loaded out;
    out.load_ms = static_cast<double>(t1 - t0) / 1e6;
    out.load_cpu = load_cpu;
    out.rss_per_member = (static_cast<double>(rss1) - static_cast<double>(rss0)) / cfg.n;
    out.engine_per_member = static_cast<double>(g.memory_bytes()) / cfg.n;
    return out;
}

// Median ns/event of `rounds` rounds; each round flips `ops` random members
// from `from` to `to` status and back (both directions timed).
double time_status(roster::Guild& g, std::vector<std::uint64_t>& pool, roster::Status from,
                   roster::Status to, const GuildCfg& cfg, std::mt19937_64& rng) {
    std::vector<double> per_round;
    for (std::uint32_t r = 0; r < cfg.rounds; ++r) {
        std::vector<std::uint64_t> picks(cfg.ops / 2);
        for (auto& p : picks) p = pool[rng() % pool.size()];
        const std::uint64_t t0 = now_ns();
        for (std::uint64_t id : picks)
            if (g.set_status(id, to) != roster::Error::ok) die("set_status failed");
        for (std::uint64_t id : picks)
            if (g.set_status(id, from) != roster::Error::ok) die("set_status failed");
        const std::uint64_t t1 = now_ns();
        per_round.push_back(static_cast<double>(t1 - t0) / static_cast<double>(picks.size() * 2));
    }
    return median(per_round);
}

int parse(int argc, char** argv, GuildCfg& cfg) {
    cli::Parser p("roster-bench guild");
    p.number("--n", &cfg.n, 1, 50000000, "members");
    p.number("--rounds", &cfg.rounds, 1, 1000, "rounds, median reported");
    p.number("--ops", &cfg.ops, 1, 100000000, "status changes per round");
    p.number("--seed", &cfg.seed, 0, UINT64_MAX, "RNG seed");
    return parse_options(p, argc, argv);
}

}  // namespace

int run_guild(int argc, char** argv) {
    GuildCfg cfg;
    if (int rc = parse(argc, argv, cfg); rc >= 0) return rc;
    std::mt19937_64 rng(cfg.seed);
    roster::Guild g;
    std::vector<std::uint64_t> online, offline;
    const Loaded l = load(g, cfg, rng, online, offline);
    std::string why;
    if (cfg.n <= 100000 && !g.check_invariants(&why)) die("invariants broken after load: " + why);
    const double move_ns = time_status(g, online, roster::Status::online, roster::Status::offline, cfg, rng);
    const double stay_ns = time_status(g, online, roster::Status::online, roster::Status::idle, cfg, rng);
    if (cfg.n <= 100000 && !g.check_invariants(&why)) die("invariants broken after run: " + why);
    std::printf("== guild  n=%u  20 hoisted roles, 2 roles/member, 16-byte names, %zu online\n",
                cfg.n, online.size());
    std::printf("bulk load            %10.1f ms   (CPU: user %.1f ms, system %.1f ms; %.0f page faults)\n",
                l.load_ms, l.load_cpu.user, l.load_cpu.sys, l.load_cpu.faults);
    std::printf("memory (RSS)         %10.1f B/member   (engine's own count %.1f)\n",
                l.rss_per_member, l.engine_per_member);
    std::printf("status, moves        %10.1f ns/event   (online <-> offline)\n", move_ns);
    std::printf("status, stays        %10.1f ns/event   (online <-> idle)\n", stay_ns);
    std::printf("GUILD n=%u bulk_load_ms=%.1f mem_bytes_per_member=%.1f engine_bytes_per_member=%.1f "
                "status_move_ns=%.1f status_stay_ns=%.1f bulk_load_user_ms=%.1f bulk_load_sys_ms=%.1f\n",
                cfg.n, l.load_ms, l.rss_per_member, l.engine_per_member, move_ns, stay_ns, l.load_cpu.user,
                l.load_cpu.sys);
    return 0;
}

}  // namespace bench
