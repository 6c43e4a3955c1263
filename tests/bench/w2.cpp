// roster-bench w2: the whole engine under presence churn (docs/benchmarks.md, W2), the
// engine alone.
//
// The same guild, sessions and events as roster-sim's default mode
// (examples/sim/workload.hpp: 20 hoisted roles, 30% online, 70% status /
// 10% name / 10% roles / 5% join / 5% leave; each session holds [0,99] and
// one chunk at a log-uniform depth), driven through the public C API, with
// a frame callback that only counts what it is handed (docs/benchmarks.md
// §5: frame delivery is part of the measured work). roster-sim serialises every
// frame to JSON and runs the naive strategy between flushes, which is what
// a host would do but not what the engine costs; this is the figure of the
// engine.
//
// Timed: every batch as a whole (begin, its events, the commit with every
// frame computed and delivered). Reported: events/s over all batches, the
// flush (commit) p50 / p99, the events' share, ops / rows / frames per
// event. R rounds (a fresh guild each) give a median. With --csv FILE, every
// batch of every round as a row: round, batch, events, batch_ns (begin to
// the commit's return), flush_ns (the commit), ops, rows, frames.
//
// --tail-deletes runs with roster_config.tail_deletes; --tail-compare runs
// every round twice, without and with it (alternating which goes first),
// and reports both side by side: the cost of serving clients that do not
// resize (docs/frames.md §10).
#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <roster/roster.h>

#include "bench_util.hpp"
#include "w2_guild.hpp"
#include "workload.hpp"
#include "workloads.hpp"

namespace bench {
namespace {

struct W2Cfg {
    std::uint64_t members = 1000000;
    std::uint64_t sessions = 10000;
    std::uint64_t events = 200000;
    std::uint64_t flush_every = 1000;
    std::uint64_t rounds = 3;
    std::uint64_t seed = 1;
    bool bulk = false;  // each batch's events in one roster_events_apply
    std::string csv;    // the per-batch series, when given
    std::string dump;   // --dump FILE: the workload written there, nothing run
    bool tail = false;      // roster_config.tail_deletes
    bool compare = false;   // each round without and with tail deletes
};

void check(int rc, const char* what) { check_rc(rc, what); }

int parse(int argc, char** argv, W2Cfg& cfg) {
    cli::Parser p("roster-bench w2");
    p.number("--members", &cfg.members, 1, 100000000, "members");
    p.number("--sessions", &cfg.sessions, 1, 100000000, "sessions");
    p.number("--events", &cfg.events, 1, 100000000, "churn events");
    p.number("--flush-every", &cfg.flush_every, 1, 100000000, "events per batch");
    p.number("--rounds", &cfg.rounds, 1, 100000000, "rounds (a fresh guild each), median reported");
    p.number("--seed", &cfg.seed, 0, UINT64_MAX, "workload seed");
    p.flag("--bulk", &cfg.bulk, "each batch's events in one roster_events_apply call");
    p.text("--csv", &cfg.csv, "FILE",
           "every batch as a row: round,batch,events,batch_ns,flush_ns,ops,rows,frames");
    p.text("--dump", &cfg.dump, "FILE",
           "write the workload (roles, members, sessions, events) to FILE and exit");
    p.flag("--tail-deletes", &cfg.tail, "a DELETE for every row leaving the list's end");
    p.flag("--tail-compare", &cfg.compare, "each round without, then with, tail deletes");
    return parse_options(p, argc, argv);
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

struct Round {
    double events_per_s = 0, flush_p50_us = 0, flush_p99_us = 0, flush_mean_us = 0, event_ns = 0;
    double ops = 0, rows = 0, frames = 0, computed = 0, deletes = 0;
    std::uint32_t held = 0;
    double subscribe_ms = 0;  // every session subscribing, in one batch
};

// round: 1-based, for --csv; csv: null without it; tail: tail deletes on.
Round run_round(const W2Cfg& cfg, std::uint64_t round, std::FILE* csv, bool tail) {
    sim::W2 w2(cfg.seed);
    FrameCounts counts;
    W2Guild made =
        make_w2_guild(w2, cfg.members, cfg.sessions, cfg.seed, &count_frame, &counts, tail);
    roster_guild* g = made.guild;
    const std::vector<std::uint32_t>& held = made.held;
    const double subscribe_ms = made.subscribe_ms;

    // The events are drawn ahead of each batch, outside the timed region.
    counts = FrameCounts{};
    Batch batch;
    std::vector<double> flush_ns;
    std::uint64_t total_ns = 0, events_ns = 0;
    FrameCounts before;  // --csv: the counts at the previous commit
    for (std::uint64_t done = 0; done < cfg.events;) {
        const std::uint64_t n = std::min(cfg.flush_every, cfg.events - done);
        batch.draw(w2, n, cfg.bulk);
        const std::uint64_t t0 = now_ns();
        check(roster_batch_begin(g), "roster_batch_begin");
        if (cfg.bulk)
            check(roster_events_apply(g, batch.bulk.data(), batch.bulk.size(), sizeof(roster_event),
                                      nullptr),
                  "roster_events_apply");
        else
            for (const sim::Event& ev : batch.events) check(sim::apply_event(g, ev), "event");
        const std::uint64_t t1 = now_ns();
        check(roster_batch_commit(g), "roster_batch_commit");
        const std::uint64_t t2 = now_ns();
        total_ns += t2 - t0;
        events_ns += t1 - t0;
        flush_ns.push_back(static_cast<double>(t2 - t1));
        if (csv) {
            std::fprintf(csv, "%" PRIu64 ",%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                              ",%" PRIu64 "\n",
                         round, flush_ns.size(), n, t2 - t0, t2 - t1, counts.ops - before.ops,
                         counts.rows - before.rows, counts.frames - before.frames);
            before = counts;
        }
        done += n;
    }
    roster_guild_destroy(g);

    Round r;
    const double e = static_cast<double>(cfg.events);
    r.events_per_s = e * 1e9 / static_cast<double>(total_ns);
    r.flush_p50_us = pct(flush_ns, 0.5) / 1e3;
    r.flush_p99_us = pct(flush_ns, 0.99) / 1e3;
    double sum = 0;
    for (double x : flush_ns) sum += x;
    r.flush_mean_us = flush_ns.empty() ? 0 : sum / static_cast<double>(flush_ns.size()) / 1e3;
    r.event_ns = static_cast<double>(events_ns) / e;
    r.ops = static_cast<double>(counts.ops) / e;
    r.rows = static_cast<double>(counts.rows) / e;
    r.deletes = static_cast<double>(counts.deletes) / e;
    r.frames = static_cast<double>(counts.frames) / e;
    r.computed = static_cast<double>(counts.callbacks) / static_cast<double>(flush_ns.size());
    r.held = static_cast<std::uint32_t>(held.size());
    r.subscribe_ms = subscribe_ms;
    return r;
}

// --dump: the workload of a round, byte for byte what run_round feeds the
// engine, for another host (examples/beam/bench/) to replay. Little-endian:
//   "RW2D" u32 version(1)  u64 members sessions events flush_every seed
//   u32 roles, each: u64 id, i32 position, u32 flags
//   members, each: MEMBER = u64 id, u8 status, u8 role_count, u64 roles[],
//                  u16 name_len, name bytes
//   sessions, each: u64 id, u32 k (ranges [0,99] and [100k, 100k+99] of list 0)
//   events, each: u8 kind (0 status, 1 name, 2 roles, 3 join, 4 leave), MEMBER
// The guild is built (make_w2_guild) to learn the list's length, which the
// sessions' depths are drawn from, exactly as in a round.
class Dump {
public:
    explicit Dump(std::FILE* f) : f_(f) {}
    ~Dump() {
        if (f_) std::fclose(f_);
    }
    Dump(const Dump&) = delete;
    Dump& operator=(const Dump&) = delete;
    template <typename T> void put(T v) {
        unsigned char b[sizeof(T)];
        using U = std::make_unsigned_t<T>;
        U u = static_cast<U>(v);
        for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<unsigned char>(u >> (8 * i));
        write(b, sizeof b);
    }
    void write(const void* p, std::size_t n) {
        if (n && std::fwrite(p, 1, n, f_) != n) die("dump: write failed");
    }
    void member(const sim::Event& ev) {
        put<std::uint64_t>(ev.user);
        put<std::uint8_t>(static_cast<std::uint8_t>(ev.status));
        put<std::uint8_t>(static_cast<std::uint8_t>(ev.role_count));
        for (std::size_t i = 0; i < ev.role_count; ++i) put<std::uint64_t>(ev.roles[i]);
        if (ev.name_len > 0xFFFF) die("dump: name too long");
        put<std::uint16_t>(static_cast<std::uint16_t>(ev.name_len));
        write(ev.name, ev.name_len);
    }
    int close() {
        const int rc = std::fclose(f_);
        f_ = nullptr;
        if (rc != 0) die("dump: close failed");
        return 0;
    }

private:
    std::FILE* f_;
};

int dump_w2(const W2Cfg& cfg) {
    std::FILE* f = std::fopen(cfg.dump.c_str(), "wb");
    if (!f) {
        std::fprintf(stderr, "roster-bench w2: cannot write %s: %s\n", cfg.dump.c_str(),
                     std::strerror(errno));
        return 1;
    }
    Dump d(f);
    d.write("RW2D", 4);
    d.put<std::uint32_t>(1);
    for (std::uint64_t v : {cfg.members, cfg.sessions, cfg.events, cfg.flush_every, cfg.seed})
        d.put<std::uint64_t>(v);
    d.put<std::uint32_t>(sim::W2::role_count);
    for (std::uint32_t i = 0; i < sim::W2::role_count; ++i) {
        const roster_role r = sim::W2::role(i);
        d.put<std::uint64_t>(r.id);
        d.put<std::int32_t>(r.position);
        d.put<std::uint32_t>(r.flags);
    }
    // The guild of a round, for its list length (its own generator).
    std::uint32_t rows = 0;
    {
        sim::W2 w(cfg.seed);
        FrameCounts counts;
        W2Guild made = make_w2_guild(w, cfg.members, 1, cfg.seed, &count_frame, &counts);
        check(roster_list_length(&rows, made.guild, 0), "roster_list_length");
        roster_guild_destroy(made.guild);
    }
    sim::W2 w2(cfg.seed);
    for (std::uint64_t i = 0; i < cfg.members; ++i) d.member(w2.join());
    // The sessions as make_w2_guild draws them.
    DeepChunks deep(rows, cfg.seed);
    for (std::uint64_t s = 1; s <= cfg.sessions; ++s) {
        const std::uint32_t k = deep.next();
        d.put<std::uint64_t>(s);
        d.put<std::uint32_t>(k);
    }
    for (std::uint64_t i = 0; i < cfg.events; ++i) {
        const sim::Event ev = w2.next();
        d.put<std::uint8_t>(static_cast<std::uint8_t>(ev.kind));
        d.member(ev);
    }
    d.close();
    std::printf("w2 workload written to %s: members=%" PRIu64 " sessions=%" PRIu64
                " events=%" PRIu64 " flush_every=%" PRIu64 " seed=%" PRIu64 " (list rows %u)\n",
                cfg.dump.c_str(), cfg.members, cfg.sessions, cfg.events, cfg.flush_every, cfg.seed,
                rows);
    return 0;
}

void print_round(const char* tag, std::uint64_t i, const Round& r) {
    std::printf("round %" PRIu64 "%s: %9.0f events/s  flush p50 %7.1f us  p99 %7.1f us  "
                "mean %7.1f us  events %6.0f ns each  %.3f ops (%.3f DELETE) per event\n",
                i + 1, tag, r.events_per_s, r.flush_p50_us, r.flush_p99_us, r.flush_mean_us,
                r.event_ns, r.ops, r.deletes);
    std::fflush(stdout);
}

// --tail-compare: both settings in each round, side by side.
int run_compare(const W2Cfg& cfg) {
    std::printf("== w2 tail deletes off vs on  members=%" PRIu64 " sessions=%" PRIu64
                " events=%" PRIu64 " flush_every=%" PRIu64 " rounds=%" PRIu64 " (%s)\n",
                cfg.members, cfg.sessions, cfg.events, cfg.flush_every, cfg.rounds,
                cfg.bulk ? "each batch in one roster_events_apply" : "one call per event");
    std::vector<double> eps[2], fp50[2];
    Round last[2];
    for (std::uint64_t i = 0; i < cfg.rounds; ++i)
        for (int k = 0; k < 2; ++k) {
            const int tail = (i % 2 == 0) ? k : 1 - k;  // alternate which goes first
            last[tail] = run_round(cfg, i + 1, nullptr, tail != 0);
            eps[tail].push_back(last[tail].events_per_s);
            fp50[tail].push_back(last[tail].flush_p50_us);
            print_round(tail ? " tail on " : " tail off", i, last[tail]);
        }
    std::printf("W2TAIL mode=%s members=%" PRIu64 " sessions=%" PRIu64
                " off_events_per_s=%.0f on_events_per_s=%.0f off_flush_p50_us=%.1f"
                " on_flush_p50_us=%.1f off_ops_per_event=%.3f on_ops_per_event=%.3f"
                " off_deletes_per_event=%.3f on_deletes_per_event=%.3f\n",
                cfg.bulk ? "bulk" : "calls", cfg.members, cfg.sessions, median(eps[0]),
                median(eps[1]), median(fp50[0]), median(fp50[1]), last[0].ops, last[1].ops,
                last[0].deletes, last[1].deletes);
    return 0;
}

}  // namespace

int run_w2(int argc, char** argv) {
    W2Cfg cfg;
    if (int rc = parse(argc, argv, cfg); rc >= 0) return rc;
    if (!cfg.dump.empty()) return dump_w2(cfg);
    if (cfg.compare) return run_compare(cfg);
    std::printf("== w2  members=%" PRIu64 " sessions=%" PRIu64 " events=%" PRIu64
                " flush_every=%" PRIu64 " rounds=%" PRIu64 " (no-op frame callback; %s%s)\n",
                cfg.members, cfg.sessions, cfg.events, cfg.flush_every, cfg.rounds,
                cfg.bulk ? "each batch in one roster_events_apply" : "one call per event",
                cfg.tail ? "; tail deletes" : "");
    std::FILE* csv = nullptr;
    if (!cfg.csv.empty()) {
        csv = std::fopen(cfg.csv.c_str(), "w");
        if (!csv) die("cannot write " + cfg.csv);
        std::fputs("round,batch,events,batch_ns,flush_ns,ops,rows,frames\n", csv);
    }
    std::vector<double> eps, fp50, fp99, evns;
    Round last;
    for (std::uint64_t i = 0; i < cfg.rounds; ++i) {
        last = run_round(cfg, i + 1, csv, cfg.tail);
        eps.push_back(last.events_per_s);
        fp50.push_back(last.flush_p50_us);
        fp99.push_back(last.flush_p99_us);
        evns.push_back(last.event_ns);
        std::printf("round %" PRIu64 ": %9.0f events/s  flush p50 %7.1f us  p99 %7.1f us  "
                    "mean %7.1f us  events %6.0f ns each\n",
                    i + 1, last.events_per_s, last.flush_p50_us, last.flush_p99_us,
                    last.flush_mean_us, last.event_ns);
        std::fflush(stdout);
    }
    std::printf("per event: %.3f ops, %.3f rows, %.3f frames; %.1f frames computed per flush; "
                "%u chunks held (subscribing them all: %.1f ms)\n",
                last.ops, last.rows, last.frames, last.computed, last.held, last.subscribe_ms);
    std::printf("W2 mode=%s members=%" PRIu64 " sessions=%" PRIu64 " events_per_s=%.0f "
                "flush_p50_us=%.1f flush_p99_us=%.1f event_ns=%.0f ops_per_event=%.3f\n",
                cfg.bulk ? "bulk" : "calls", cfg.members, cfg.sessions, median(eps), median(fp50),
                median(fp99), median(evns), last.ops);
    if (csv && (std::fflush(csv) != 0 || std::ferror(csv) || std::fclose(csv) != 0))
        die("write error on " + cfg.csv);
    return 0;
}

}  // namespace bench
