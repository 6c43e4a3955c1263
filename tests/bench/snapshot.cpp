// roster-bench snapshot: saving and loading a guild with its sessions
// (docs/snapshot.md), at W2's guild (w2_guild.hpp).
//
// Per round, a fresh guild of N members and S sessions takes E churn events
// (W2, batches of 1,000), then:
//  - save: roster_guild_save with ROSTER_SAVE_SESSIONS into memory the host
//    wrote beforehand (the callback only copies; the host's page faults are
//    not the engine's);
//  - load: roster_guild_load_buffer of those bytes (no frame may be
//    delivered: the loaded guild has no callback until the load returns,
//    and the first batch afterwards must not re-send what clients hold);
//  - the first flush after the load: one more W2 batch of 1,000 events on
//    the loaded guild, its commit timed;
//  - hand-off = save + load + that first commit.
// Reported: medians over R rounds, the snapshot's bytes per member, and of
// those the bytes of the names (the rest is the format's own cost).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <roster/roster.h>

#include "bench_util.hpp"
#include "w2_guild.hpp"
#include "workload.hpp"
#include "workloads.hpp"

namespace bench {
namespace {

struct SnapCfg {
    std::uint64_t members = 1000000;
    std::uint64_t sessions = 10000;
    std::uint64_t events = 20000;
    std::uint64_t rounds = 3;
    std::uint64_t seed = 1;
};

// The host's buffer: written (so its pages exist) before the save, which
// then only copies into it; the engine's time, not the host's page faults.
struct Buffer {
    std::vector<unsigned char> bytes;
    std::size_t used = 0;
};

int append(const void* data, std::size_t len, void* user) {
    auto* b = static_cast<Buffer*>(user);
    if (b->bytes.size() - b->used < len) b->bytes.resize(std::max(b->bytes.size() * 2, b->used + len));
    std::memcpy(b->bytes.data() + b->used, data, len);
    b->used += len;
    return 0;
}

int parse(int argc, char** argv, SnapCfg& cfg) {
    cli::Parser p("roster-bench snapshot");
    p.number("--members", &cfg.members, 1, 100000000, "members");
    p.number("--sessions", &cfg.sessions, 1, 100000000, "sessions");
    p.number("--events", &cfg.events, 1, 100000000, "churn events before the save");
    p.number("--rounds", &cfg.rounds, 1, 100000000, "rounds (a fresh guild each), medians reported");
    p.number("--seed", &cfg.seed, 0, UINT64_MAX, "workload seed");
    return parse_options(p, argc, argv);
}

// One W2 batch of n events, its commit timed (ns).
std::uint64_t batch(roster_guild* g, sim::W2& w2, std::uint64_t n) {
    Batch b;
    b.draw(w2, n, false);
    check_rc(roster_batch_begin(g), "roster_batch_begin");
    for (const sim::Event& ev : b.events) check_rc(sim::apply_event(g, ev), "event");
    const std::uint64_t t0 = now_ns();
    check_rc(roster_batch_commit(g), "roster_batch_commit");
    return now_ns() - t0;
}

struct Round {
    double save_ms = 0, load_ms = 0, first_flush_ms = 0, bytes_per_member = 0,
           name_bytes_per_member = 0;
    std::uint64_t bytes = 0, members = 0;
    std::uint64_t first_flush_syncs = 0, twin_syncs = 0;
};

Round run_round(const SnapCfg& cfg) {
    sim::W2 w2(cfg.seed);
    FrameCounts counts;
    W2Guild made = make_w2_guild(w2, cfg.members, cfg.sessions, cfg.seed, &count_frame, &counts);
    roster_guild* g = made.guild;
    for (std::uint64_t done = 0; done < cfg.events; done += 1000) batch(g, w2, 1000);

    Round r;
    std::uint32_t members = 0;
    check_rc(roster_guild_member_count(&members, g), "roster_guild_member_count");
    r.members = members;
    std::uint64_t name_bytes = 0;
    for (std::uint64_t o = 0; o < w2.created(); ++o) {
        roster_member_info info;
        if (roster_member_get(&info, nullptr, 0, nullptr, g, sim::W2::user_id(o)) == ROSTER_OK)
            name_bytes += info.name_len;
    }
    Buffer buffer;
    buffer.bytes.assign(static_cast<std::size_t>(members) * 48 + cfg.sessions * 64 + (1u << 20), 0);
    const std::uint64_t callbacks = counts.callbacks;
    std::uint64_t t0 = now_ns();
    check_rc(roster_guild_save(g, ROSTER_SAVE_SESSIONS, &append, &buffer), "roster_guild_save");
    r.save_ms = static_cast<double>(now_ns() - t0) / 1e6;
    std::vector<unsigned char>& bytes = buffer.bytes;
    bytes.resize(buffer.used);
    r.bytes = bytes.size();
    r.bytes_per_member = static_cast<double>(bytes.size()) / members;
    r.name_bytes_per_member = static_cast<double>(name_bytes) / members;

    // The original takes the next batch too (a twin of the same W2 stream),
    // so that the loaded guild's first flush can be compared with it.
    sim::W2 twin_stream = w2;
    FrameCounts twin;
    check_rc(roster_guild_set_frame_callback(g, &count_frame, &twin), "set_frame_callback");
    batch(g, twin_stream, 1000);
    roster_guild_destroy(g);

    roster_guild* loaded = nullptr;
    const roster_config config = ROSTER_CONFIG_INIT;
    t0 = now_ns();
    check_rc(roster_guild_load_buffer(&loaded, &config, bytes.data(), bytes.size()),
             "roster_guild_load_buffer");
    r.load_ms = static_cast<double>(now_ns() - t0) / 1e6;
    if (counts.callbacks != callbacks) die("the save or the load delivered a frame");
    FrameCounts after;
    check_rc(roster_guild_set_frame_callback(loaded, &count_frame, &after), "set_frame_callback");
    r.first_flush_ms = static_cast<double>(batch(loaded, w2, 1000)) / 1e6;
    if (after.callbacks != twin.callbacks || after.ops != twin.ops || after.syncs != twin.syncs)
        die("the loaded guild's first flush differs from the original's");
    r.first_flush_syncs = after.syncs;
    roster_guild_destroy(loaded);
    return r;
}

}  // namespace

int run_snapshot(int argc, char** argv) {
    SnapCfg cfg;
    if (int rc = parse(argc, argv, cfg); rc >= 0) return rc;
    std::printf("== snapshot  members=%" PRIu64 " sessions=%" PRIu64 " events=%" PRIu64
                " rounds=%" PRIu64 " (save with sessions into memory, load from it)\n",
                cfg.members, cfg.sessions, cfg.events, cfg.rounds);
    std::vector<double> save, load, first, total;
    Round last;
    for (std::uint64_t i = 0; i < cfg.rounds; ++i) {
        last = run_round(cfg);
        save.push_back(last.save_ms);
        load.push_back(last.load_ms);
        first.push_back(last.first_flush_ms);
        total.push_back(last.save_ms + last.load_ms + last.first_flush_ms);
        std::printf("round %" PRIu64 ": save %7.1f ms  load %7.1f ms  first flush after %6.2f ms "
                    "(%" PRIu64 " SYNC ops, as the original's)  hand-off %7.1f ms\n",
                    i + 1, last.save_ms, last.load_ms, last.first_flush_ms, last.first_flush_syncs,
                    total.back());
        std::fflush(stdout);
    }
    std::printf("snapshot: %" PRIu64 " bytes for %" PRIu64 " members: %.1f bytes per member, "
                "of which %.1f of names\n",
                last.bytes, last.members, last.bytes_per_member, last.name_bytes_per_member);
    std::printf("SNAPSHOT members=%" PRIu64 " sessions=%" PRIu64 " save_ms=%.1f load_ms=%.1f "
                "first_flush_ms=%.2f handoff_ms=%.1f bytes_per_member=%.1f "
                "name_bytes_per_member=%.1f\n",
                cfg.members, cfg.sessions, median(save), median(load), median(first),
                median(total), last.bytes_per_member, last.name_bytes_per_member);
    return 0;
}

}  // namespace bench
