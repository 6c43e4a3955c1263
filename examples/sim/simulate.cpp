// roster-sim's default mode: workload W2 of docs/benchmarks.md through the C API.
//
// Phases: create a guild (default config: offline members hidden from 1000
// members on), 20 hoisted roles, bulk-load N members in one batch; subscribe
// S sessions to list 0 in one batch; then E churn events (workload.hpp) in
// batches of K, each batch committed (flushed) by its last event.
//
// What is timed: each event call, plus the batch_begin before the first
// event of a batch and the commit after its last (the commit counts for the
// event that triggers it): the engine's work including frame computation
// and delivery to the callback, minus the time the callback itself spends
// (it serialises every frame to JSON, writes --frames-out, feeds --verify's
// replicas; it times itself and that time is subtracted). The naive
// strategy (naive.hpp) and --verify's checks run between flushes, outside
// the timed region.
#include "simulate.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <roster/roster.h>

#include "bytes.hpp"
#include "cli.hpp"
#include "fidelity.hpp"
#include "frame_json.hpp"
#include "naive.hpp"
#include "workload.hpp"

namespace sim {

namespace {

constexpr std::uint64_t list_id = 0;
constexpr std::uint32_t chunk_rows = 100;  // ROSTER_CONFIG_INIT's chunk_size

struct Options {
    std::uint64_t members = 100000;
    std::uint64_t sessions = 1000;
    std::uint64_t events = 500000;
    std::uint64_t flush_every = 1000;
    std::uint64_t seed = 1;
    std::uint64_t handoff_every = 0;  // batches; 0: never
    std::string frames_out;
    std::string csv;
    bool verify = false;
};

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

constexpr char workload_text[] =
    "Workload W2: 20 hoisted roles, 30% online; events 70% status, 10% name,\n"
    "10% roles, 5% join, 5% leave (examples/sim/workload.hpp has the details).\n"
    "Each session subscribes to [0,99] and one chunk k of the C chunks the\n"
    "list has after the load, k = max(1, floor(C^u)), u uniform in [0,1): a\n"
    "log-uniform depth, as many sessions in chunks 1-9 as in 10-99, 100-999.\n"
    "Prints a summary on stdout; its last line is\n"
    "W2 members= sessions= events= events_per_s= p50_ns= p99_ns=\n"
    "   ops_per_event= bytes_per_event= naive_bytes_per_event=\n"
    "(with --handoff-every, a HANDOFF line comes before it).\n";

void declare(cli::Parser& p, Options* o) {
    p.number("--members", &o->members, 1, 67108864, "members loaded before the churn");
    p.number("--sessions", &o->sessions, 0, 1048576, "sessions watching list 0");
    p.number("--events", &o->events, 0, UINT32_MAX, "churn events");
    p.number("--flush-every", &o->flush_every, 1, UINT32_MAX,
             "events per batch; the last one commits it");
    p.number("--seed", &o->seed, 0, UINT64_MAX,
             "workload seed: same seed, same events and frames");
    p.number("--handoff-every", &o->handoff_every, 0, UINT32_MAX,
             "every N batches, save the guild with its sessions, destroy it and go on\n"
             "                      with the one loaded from the bytes (a move to another\n"
             "                      node); reports the hand-off's time and snapshot size;\n"
             "                      no load may send a frame. 0: never");
    p.text("--frames-out", &o->frames_out, "FILE",
           "every frame as JSON Lines, one line per frame with the sessions it is\n"
           "                      for: {\"sessions\":[\"S\"...],\"id\":L,...} (after \"sessions\",\n"
           "                      the frame as `replay` prints it)");
    p.text("--csv", &o->csv, "FILE",
           "one row per flush of the churn, after a header line: time_s (wall-\n"
           "                      clock seconds since the churn began, the flush accounted),\n"
           "                      events, ops, rows, frames, bytes (JSON), naive_bytes\n"
           "                      (the naive strategy's JSON), flush_ns (the commit)");
    p.flag("--verify",
           &o->verify,
           "after every flush, each session's replica of its ranges must equal\n"
           "                      the list; exits 1 on any difference (slow)");
    p.epilogue(workload_text);
}

// Returns 0 (go on), 1 (printed help: exit 0) or 2 (usage error).
int parse_options(int argc, char** argv, Options* o) {
    cli::Parser p("roster-sim [sim]");
    declare(p, o);
    switch (p.parse(argc, argv)) {
    case cli::Parser::Result::ok: return 0;
    case cli::Parser::Result::help: return 1;
    case cli::Parser::Result::usage: break;
    }
    return 2;
}

// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t v) {
    const std::string digits = std::to_string(v);
    std::string s;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
        s += digits[i];
    }
    return s;
}

// A progress bar on stderr, only when stderr is a terminal.
class Progress {
public:
    Progress() : on_(::isatty(STDERR_FILENO) == 1) {}
    ~Progress() { done(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(const char* phase, std::uint64_t at, std::uint64_t total) {
        if (!on_) return;
        const std::uint64_t t = now_ns();
        if (t - last_ < 100000000 && at != total) return;  // 10 redraws a second
        last_ = t;
        constexpr int width = 40;
        const double f = total ? static_cast<double>(at) / static_cast<double>(total) : 1.0;
        const int fill = static_cast<int>(f * width);
        std::fprintf(stderr, "\r%-10s [%.*s%*s] %3d%% %s/%s", phase, fill,
                     "########################################", width - fill, "",
                     static_cast<int>(f * 100), grouped(at).c_str(), grouped(total).c_str());
        std::fflush(stderr);
        drawn_ = true;
    }
    void done() {
        if (!drawn_) return;
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        drawn_ = false;
    }

private:
    bool on_;
    bool drawn_ = false;
    std::uint64_t last_ = 0;
};

// Frames counted by phase.
struct Totals {
    std::uint64_t callbacks = 0;  // frames computed (one per callback)
    std::uint64_t frames = 0;     // deliveries: a frame for n sessions counts n
    std::uint64_t ops = 0;        // likewise
    std::uint64_t rows = 0;       // items (rows) in those ops, likewise
    std::uint64_t by_kind[5] = {};
    std::uint64_t bytes = 0;      // JSON bytes, likewise
};

std::uint64_t percentile(std::vector<std::uint32_t> v, double p) {
    if (v.empty()) return 0;
    const std::size_t k = static_cast<std::size_t>(
        std::ceil(p * static_cast<double>(v.size())) - 1.0);
    const std::size_t at = std::min(k, v.size() - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
    return v[at];
}

class Simulator {
public:
    explicit Simulator(const Options& o)
        : opt_(o), w2_(o.seed), naive_(list_id, chunk_rows, &W2::ordinal) {}
    ~Simulator() {
        roster_guild_destroy(guild_);
        if (out_) std::fclose(out_);
        if (csv_) std::fclose(csv_);
    }
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    int run();

private:
    Options opt_;
    W2 w2_;
    Naive naive_;
    std::unique_ptr<Fidelity> fidelity_;
    roster_guild* guild_ = nullptr;
    std::FILE* out_ = nullptr;  // --frames-out
    std::FILE* csv_ = nullptr;  // --csv
    Progress progress_;

    Totals setup_, churn_;
    Totals* counting_ = &setup_;
    std::uint64_t stamp_ = 0;    // flush number (--verify)
    std::uint64_t cb_ns_ = 0;    // time spent inside the callback
    std::string error_;          // first failure seen inside the callback
    std::string json_, line_;
    FrameJson frame_json_;
    std::vector<std::uint64_t> session_ids_;

    // Figures.
    double load_ms_ = 0, subscribe_ms_ = 0, subscribe_cb_ms_ = 0, naive_ms_ = 0, verify_ms_ = 0;
    std::uint32_t chunks_ = 0;  // chunks of list 0 after the load
    std::uint32_t threshold_ = 0;
    std::uint64_t loaded_online_ = 0;
    std::vector<std::uint32_t> event_ns_, flush_ns_;
    // --handoff-every: save with sessions, destroy, load, go on.
    std::vector<unsigned char> snapshot_;
    std::uint64_t handoffs_ = 0, snapshot_bytes_ = 0;
    std::vector<std::uint32_t> save_ns_, load_ns_, first_flush_ns_;
    bool after_handoff_ = false;  // the next flush is the first after one
    std::uint64_t timed_ns_ = 0, cb_churn_ns_ = 0, churn_wall_ns_ = 0, wall_ns_ = 0;

    static void on_frame(const roster_frame* frame, const std::uint64_t* sessions,
                         std::size_t session_count, void* self);
    void frame(const roster_frame& f, const std::uint64_t* sessions, std::size_t n);
    void write_frame(const std::uint64_t* sessions, std::size_t n);
    bool fail(const char* what, int rc);
    bool after_flush(const std::vector<std::uint64_t>& touched);
    bool open_output(const std::string& path, std::FILE** f);
    bool setup();
    bool load();
    bool subscribe();
    bool churn();
    bool handoff();
    void report() const;
    void report_handoff() const;
    void report_setup() const;
    void report_counts() const;
    void report_timing(double events_per_s, std::uint64_t p50, std::uint64_t p99) const;
};

bool Simulator::fail(const char* what, int rc) {
    std::fprintf(stderr, "roster-sim: %s: %s\n", what, roster_status_str(rc));
    return false;
}

void Simulator::on_frame(const roster_frame* frame, const std::uint64_t* sessions,
                         std::size_t session_count, void* self) {
    auto* s = static_cast<Simulator*>(self);
    const std::uint64_t t0 = now_ns();
    try {
        s->frame(*frame, sessions, session_count);
    } catch (const std::exception& e) {  // must not unwind through the library
        if (s->error_.empty()) s->error_ = std::string("frame callback: ") + e.what();
    }
    s->cb_ns_ += now_ns() - t0;
}

void Simulator::frame(const roster_frame& f, const std::uint64_t* sessions, std::size_t n) {
    Totals& t = *counting_;
    ++t.callbacks;
    t.frames += n;
    t.ops += f.op_count * n;
    for (std::size_t i = 0; i < f.op_count; ++i) {
        if (f.ops[i].kind < 5) t.by_kind[f.ops[i].kind] += n;
        t.rows += std::uint64_t{f.ops[i].item_count} * n;
    }
    json_.clear();
    const int rc = frame_json_.frame(json_, guild_, f);
    if (rc != ROSTER_OK && error_.empty())
        error_ = std::string("serialising a frame: roster_member_get: ") + roster_status_str(rc);
    t.bytes += json_.size() * n;
    if (out_) write_frame(sessions, n);
    if (fidelity_) {
        const std::string why = fidelity_->on_frame(guild_, f, json_, sessions, n, stamp_);
        if (!why.empty() && error_.empty())
            error_ = "flush " + std::to_string(stamp_) + ": " + why + "\n  frame: " + describe(f);
    }
}

// {"sessions":["S"...], then the frame's members.
void Simulator::write_frame(const std::uint64_t* sessions, std::size_t n) {
    line_ = "{\"sessions\":[";
    for (std::size_t i = 0; i < n; ++i) {
        if (i) line_ += ',';
        FrameJson::append_quoted_u64(line_, sessions[i]);
    }
    line_ += "],";
    line_.append(json_, 1);
    line_ += '\n';
    std::fwrite(line_.data(), 1, line_.size(), out_);
}

bool Simulator::setup() {
    roster_config config = ROSTER_CONFIG_INIT;  // offline_threshold 1000
    threshold_ = config.offline_threshold;
    int rc = roster_guild_create(&guild_, &config);
    if (rc != ROSTER_OK) return fail("roster_guild_create", rc);
    rc = roster_guild_set_frame_callback(guild_, &Simulator::on_frame, this);
    if (rc != ROSTER_OK) return fail("roster_guild_set_frame_callback", rc);
    for (std::uint32_t i = 0; i < W2::role_count; ++i) {
        const roster_role role = W2::role(i);
        rc = roster_role_upsert(guild_, &role);
        if (rc != ROSTER_OK) return fail("roster_role_upsert", rc);
    }
    if (!opt_.frames_out.empty() && !open_output(opt_.frames_out, &out_)) return false;
    if (!opt_.csv.empty()) {
        if (!open_output(opt_.csv, &csv_)) return false;
        std::fputs("time_s,events,ops,rows,frames,bytes,naive_bytes,flush_ns\n", csv_);
    }
    if (opt_.verify) fidelity_ = std::make_unique<Fidelity>(list_id, &W2::ordinal);
    return true;
}

bool Simulator::open_output(const std::string& path, std::FILE** f) {
    *f = std::fopen(path.c_str(), "wb");
    if (!*f) {
        std::fprintf(stderr, "roster-sim: %s: %s\n", path.c_str(), std::strerror(errno));
        return false;
    }
    std::setvbuf(*f, nullptr, _IOFBF, 1 << 20);
    return true;
}

// The N initial members in one roster_members_add (no session exists yet:
// no frames). Timed: the host's copy of the specs is made first.
bool Simulator::load() {
    std::vector<std::string> names;
    std::vector<std::array<std::uint64_t, 2>> roles;
    std::vector<roster_member_spec> specs;
    names.reserve(opt_.members);
    roles.reserve(opt_.members);
    specs.reserve(opt_.members);
    for (std::uint64_t i = 0; i < opt_.members; ++i) {
        const Event ev = w2_.join();
        names.emplace_back(ev.name, ev.name_len);
        roles.push_back({ev.roles[0], ev.roles[1]});
        specs.push_back(roster_member_spec{ev.user, nullptr, ev.name_len, nullptr, ev.role_count,
                                           ev.status});
        if ((i & 0xFFFF) == 0) progress_.update("load", i, opt_.members);
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
        specs[i].name = names[i].data();
        specs[i].roles = roles[i].data();
    }
    const std::uint64_t t0 = now_ns();
    int rc = roster_members_add(guild_, specs.data(), specs.size());
    if (rc != ROSTER_OK) return fail("roster_members_add", rc);
    ++stamp_;
    load_ms_ = static_cast<double>(now_ns() - t0) / 1e6;
    loaded_online_ = w2_.online();
    progress_.done();
    std::uint32_t rows = 0;
    rc = roster_list_length(&rows, guild_, list_id);
    if (rc != ROSTER_OK) return fail("roster_list_length", rc);
    chunks_ = (rows + chunk_rows - 1) / chunk_rows;
    return true;
}

// Sessions 1..S, each [0,99] plus a chunk at a log-uniform depth, in one
// batch. The choice has its own random stream: the events do not depend
// on S.
bool Simulator::subscribe() {
    Rng rng(opt_.seed ^ 0x5E5510115ull);
    const double c = std::max<double>(chunks_, 1.0);
    const std::uint64_t t0 = now_ns(), cb0 = cb_ns_;
    ++stamp_;
    int rc = roster_batch_begin(guild_);
    for (std::uint64_t s = 1; rc == ROSTER_OK && s <= opt_.sessions; ++s) {
        const auto k = std::max<std::uint32_t>(
            1, static_cast<std::uint32_t>(std::floor(std::pow(c, rng.unit()))));
        const roster_range ranges[2] = {{0, chunk_rows - 1},
                                        {k * chunk_rows, k * chunk_rows + chunk_rows - 1}};
        rc = roster_session_subscribe(guild_, s, list_id, ranges, 2);
        session_ids_.push_back(s);
    }
    if (rc != ROSTER_OK) return fail("roster_session_subscribe", rc);
    rc = roster_batch_commit(guild_);
    if (rc != ROSTER_OK) return fail("roster_batch_commit", rc);
    subscribe_cb_ms_ = static_cast<double>(cb_ns_ - cb0) / 1e6;
    subscribe_ms_ = static_cast<double>(now_ns() - t0) / 1e6 - subscribe_cb_ms_;
    if (!error_.empty()) {
        std::fprintf(stderr, "roster-sim: %s\n", error_.c_str());
        return false;
    }
    rc = naive_.init(guild_, session_ids_);
    if (rc != ROSTER_OK) return fail("reading the sessions' chunks", rc);
    return after_flush({});
}

// Between flushes, outside the timed region: the naive strategy, --verify.
bool Simulator::after_flush(const std::vector<std::uint64_t>& touched) {
    if (!error_.empty()) {
        std::fprintf(stderr, "roster-sim: %s\n", error_.c_str());
        return false;
    }
    const std::uint64_t t0 = now_ns();
    if (!touched.empty()) {
        const int rc = naive_.after_flush(guild_, touched, opt_.verify);
        if (rc != ROSTER_OK) return fail("naive strategy", rc);
    }
    const std::uint64_t t1 = now_ns();
    naive_ms_ += static_cast<double>(t1 - t0) / 1e6;
    if (!fidelity_) return true;
    const std::string why = fidelity_->check(guild_, session_ids_);
    verify_ms_ += static_cast<double>(now_ns() - t1) / 1e6;
    if (why.empty()) return true;
    std::fprintf(stderr, "roster-sim: fidelity failure after flush %llu: %s\n",
                 static_cast<unsigned long long>(stamp_), why.c_str());
    return false;
}

bool Simulator::churn() {
    counting_ = &churn_;
    event_ns_.reserve(opt_.events);
    flush_ns_.reserve(opt_.events / opt_.flush_every + 1);
    std::vector<std::uint64_t> touched;
    touched.reserve(opt_.flush_every);
    std::uint64_t pending = 0;
    Totals last = churn_;  // --csv: the counts at the previous flush
    std::uint64_t last_naive = naive_.bytes;
    const std::uint64_t wall0 = now_ns();
    for (std::uint64_t i = 0; i < opt_.events; ++i) {
        const Event ev = w2_.next();
        if (pending == 0) ++stamp_;
        touched.push_back(ev.user);
        if (fidelity_) fidelity_->touched(ev.user, stamp_);
        const bool flush = pending + 1 == opt_.flush_every || i + 1 == opt_.events;

        const std::uint64_t cb0 = cb_ns_;
        const std::uint64_t t0 = now_ns();
        int rc = pending == 0 ? roster_batch_begin(guild_) : ROSTER_OK;
        const int event_rc = rc == ROSTER_OK ? apply_event(guild_, ev) : rc;
        std::uint64_t tf = 0;
        if (flush && event_rc == ROSTER_OK) {
            tf = now_ns();
            rc = roster_batch_commit(guild_);
        }
        const std::uint64_t t1 = now_ns();

        if (event_rc != ROSTER_OK) return fail("event", event_rc);
        if (rc != ROSTER_OK) return fail("roster_batch_commit", rc);
        const std::uint64_t cb = cb_ns_ - cb0;
        const std::uint64_t ns = t1 - t0 - cb;
        timed_ns_ += ns;
        cb_churn_ns_ += cb;
        event_ns_.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(ns, UINT32_MAX)));
        pending = flush ? 0 : pending + 1;
        if (!flush) continue;
        flush_ns_.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(t1 - tf - cb, UINT32_MAX)));
        if (after_handoff_) {
            first_flush_ns_.push_back(flush_ns_.back());
            after_handoff_ = false;
        }
        if (!after_flush(touched)) return false;
        if (csv_) {
            std::fprintf(csv_, "%.6f,%zu,%llu,%llu,%llu,%llu,%llu,%u\n",
                         static_cast<double>(now_ns() - wall0) / 1e9, touched.size(),
                         static_cast<unsigned long long>(churn_.ops - last.ops),
                         static_cast<unsigned long long>(churn_.rows - last.rows),
                         static_cast<unsigned long long>(churn_.frames - last.frames),
                         static_cast<unsigned long long>(churn_.bytes - last.bytes),
                         static_cast<unsigned long long>(naive_.bytes - last_naive),
                         flush_ns_.back());
            last = churn_;
            last_naive = naive_.bytes;
        }
        touched.clear();
        if (opt_.handoff_every && flush_ns_.size() % opt_.handoff_every == 0 &&
            i + 1 < opt_.events && !handoff())
            return false;
        progress_.update("events", i + 1, opt_.events);
    }
    churn_wall_ns_ = now_ns() - wall0;
    progress_.done();
    return true;
}

// The guild moves, as to another node: saved with its sessions, destroyed,
// loaded from the bytes into a new guild. Between flushes, outside the
// churn's timed region (the hand-off has figures of its own). No frame may
// be delivered by it: the sessions' clients must not notice (--verify then
// checks every replica against the loaded guild after the next flush).
bool Simulator::handoff() {
    const std::uint64_t callbacks = churn_.callbacks;
    snapshot_.clear();
    const std::uint64_t t0 = now_ns();
    int rc = roster_guild_save(guild_, ROSTER_SAVE_SESSIONS, append_bytes, &snapshot_);
    const std::uint64_t t1 = now_ns();
    if (rc != ROSTER_OK) return fail("roster_guild_save", rc);
    roster_guild_destroy(guild_);
    guild_ = nullptr;
    const roster_config config = ROSTER_CONFIG_INIT;
    const std::uint64_t t2 = now_ns();
    rc = roster_guild_load_buffer(&guild_, &config, snapshot_.data(), snapshot_.size());
    const std::uint64_t t3 = now_ns();
    if (rc != ROSTER_OK) return fail("roster_guild_load_buffer", rc);
    rc = roster_guild_set_frame_callback(guild_, &Simulator::on_frame, this);
    if (rc != ROSTER_OK) return fail("roster_guild_set_frame_callback", rc);
    if (churn_.callbacks != callbacks) {
        std::fprintf(stderr, "roster-sim: the hand-off delivered frames\n");
        return false;
    }
    ++handoffs_;
    snapshot_bytes_ = snapshot_.size();
    save_ns_.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(t1 - t0, UINT32_MAX)));
    load_ns_.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(t3 - t2, UINT32_MAX)));
    after_handoff_ = true;
    return true;
}

int Simulator::run() {
    const std::uint64_t t0 = now_ns();
    if (!setup() || !load() || !subscribe() || !churn()) return 1;
    if (out_ && (std::fflush(out_) != 0 || std::ferror(out_))) {
        std::fprintf(stderr, "roster-sim: %s: write error\n", opt_.frames_out.c_str());
        return 1;
    }
    if (csv_ && (std::fflush(csv_) != 0 || std::ferror(csv_))) {
        std::fprintf(stderr, "roster-sim: %s: write error\n", opt_.csv.c_str());
        return 1;
    }
    wall_ns_ = now_ns() - t0;
    report();
    return std::fflush(stdout) == 0 ? 0 : 1;
}

double per(std::uint64_t x, std::uint64_t n) {
    return n ? static_cast<double>(x) / static_cast<double>(n) : 0.0;
}

std::string ratio(double a, double b) {
    if (b <= 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * a / b);
    return buf;
}

// 28400528 -> "28.4 MB".
std::string megabytes(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return buf;
}

void Simulator::report_setup() const {
    std::printf("roster-sim: workload W2, seed %llu\n",
                static_cast<unsigned long long>(opt_.seed));
    std::printf("  guild       %s members, %u hoisted roles, %s online; offline hidden from "
                "%s members on\n",
                grouped(opt_.members).c_str(), W2::role_count, grouped(loaded_online_).c_str(),
                grouped(threshold_).c_str());
    std::printf("  load        %s members in one roster_members_add: %.1f ms (%.0f ns/member)\n",
                grouped(opt_.members).c_str(), load_ms_,
                load_ms_ * 1e6 / static_cast<double>(opt_.members));
    std::printf("  sessions    %s on list 0, each [0,99] + 1 chunk of %s (log-uniform depth);\n"
                "              %s chunks held, %s distinct subscriptions\n",
                grouped(opt_.sessions).c_str(), grouped(chunks_).c_str(),
                grouped(naive_.held_chunks()).c_str(), grouped(naive_.distinct_sets()).c_str());
    std::printf("  subscribe   one batch: %.1f ms + callback %.1f ms; %s frames, %s ops, %s JSON\n",
                subscribe_ms_, subscribe_cb_ms_, grouped(setup_.frames).c_str(),
                grouped(setup_.ops).c_str(), megabytes(setup_.bytes).c_str());
    std::uint32_t members = 0, online = 0, rows = 0;
    roster_list_counts(&members, &online, guild_, list_id);
    roster_list_length(&rows, guild_, list_id);
    std::printf("  events      %s in %s batches of %s; at the end %s members, %s online, %s rows\n",
                grouped(opt_.events).c_str(), grouped(flush_ns_.size()).c_str(),
                grouped(opt_.flush_every).c_str(), grouped(members).c_str(),
                grouped(online).c_str(), grouped(rows).c_str());
}

void Simulator::report_counts() const {
    const std::uint64_t e = opt_.events;
    const Totals& t = churn_;
    std::printf("\n  per event           roster         naive   roster/naive\n");
    std::printf("  ops          %13.3f %13.3f %14s\n", per(t.ops, e), per(naive_.ops, e),
                ratio(per(t.ops, e), per(naive_.ops, e)).c_str());
    std::printf("  rows sent    %13.3f %13.3f %14s\n", per(t.rows, e), per(naive_.rows, e),
                ratio(per(t.rows, e), per(naive_.rows, e)).c_str());
    std::printf("  frames       %13.3f %13.3f %14s\n", per(t.frames, e), per(naive_.frames, e),
                ratio(per(t.frames, e), per(naive_.frames, e)).c_str());
    std::printf("  JSON bytes   %13.1f %13.1f %14s\n", per(t.bytes, e), per(naive_.bytes, e),
                ratio(per(t.bytes, e), per(naive_.bytes, e)).c_str());
    std::printf("  roster ops by kind: SYNC %.3f, INSERT %.3f, UPDATE %.3f, DELETE %.3f, "
                "INVALIDATE %.3f\n",
                per(t.by_kind[ROSTER_OP_SYNC], e), per(t.by_kind[ROSTER_OP_INSERT], e),
                per(t.by_kind[ROSTER_OP_UPDATE], e), per(t.by_kind[ROSTER_OP_DELETE], e),
                per(t.by_kind[ROSTER_OP_INVALIDATE], e));
    std::printf("  naive: %.1f of %s held chunks changed per flush\n",
                per(naive_.chunks_changed, flush_ns_.size()),
                grouped(naive_.held_chunks()).c_str());
}

void Simulator::report_timing(double events_per_s, std::uint64_t p50, std::uint64_t p99) const {
    std::printf("\n  events/s    %s (engine time %.3f s; frame callback %.3f s, excluded)\n",
                grouped(static_cast<std::uint64_t>(events_per_s)).c_str(),
                static_cast<double>(timed_ns_) / 1e9, static_cast<double>(cb_churn_ns_) / 1e9);
    std::printf("  ns/event    p50 %s, p99 %s, mean %s\n", grouped(p50).c_str(),
                grouped(p99).c_str(),
                grouped(static_cast<std::uint64_t>(per(timed_ns_, opt_.events))).c_str());
    std::printf("  flush       p50 %.1f us, p99 %.1f us (the commit; %.1f frames computed per "
                "flush)\n",
                static_cast<double>(percentile(flush_ns_, 0.50)) / 1e3,
                static_cast<double>(percentile(flush_ns_, 0.99)) / 1e3,
                per(churn_.callbacks, flush_ns_.size()));
    std::printf("  wall time   %.2f s: events %.2f s, of which naive strategy %.2f s",
                static_cast<double>(wall_ns_) / 1e9, static_cast<double>(churn_wall_ns_) / 1e9,
                naive_ms_ / 1e3);
    if (fidelity_) std::printf(", --verify %.2f s", verify_ms_ / 1e3);
    std::printf("\n");
    if (fidelity_)
        std::printf("  verify      ok: %s flushes, %s rows checked on %zu replicas\n",
                    grouped(stamp_).c_str(), grouped(fidelity_->rows_checked).c_str(),
                    fidelity_->replicas());
}

void Simulator::report_handoff() const {
    if (!handoffs_) return;
    auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    std::uint64_t sum = 0;
    std::size_t n = std::min({save_ns_.size(), load_ns_.size(), first_flush_ns_.size()});
    std::vector<std::uint32_t> total(n);
    for (std::size_t i = 0; i < n; ++i) {
        total[i] = save_ns_[i] + load_ns_[i] + first_flush_ns_[i];
        sum += total[i];
    }
    std::printf("  hand-off    %s times (every %s batches, with sessions): snapshot %s;\n"
                "              save p50 %.1f ms, load p50 %.1f ms, first flush after p50 %.1f ms;\n"
                "              save + load + first flush: mean %.1f ms, max %.1f ms; no frame sent by a load\n",
                grouped(handoffs_).c_str(), grouped(opt_.handoff_every).c_str(),
                megabytes(snapshot_bytes_).c_str(), ms(percentile(save_ns_, 0.5)),
                ms(percentile(load_ns_, 0.5)), ms(percentile(first_flush_ns_, 0.5)),
                n ? ms(sum) / static_cast<double>(n) : 0.0, ms(percentile(total, 1.0)));
    std::printf("HANDOFF members=%llu sessions=%llu handoffs=%llu snapshot_bytes=%llu "
                "save_ms=%.2f load_ms=%.2f first_flush_ms=%.3f total_ms=%.2f\n",
                static_cast<unsigned long long>(opt_.members),
                static_cast<unsigned long long>(opt_.sessions),
                static_cast<unsigned long long>(handoffs_),
                static_cast<unsigned long long>(snapshot_bytes_), ms(percentile(save_ns_, 0.5)),
                ms(percentile(load_ns_, 0.5)), ms(percentile(first_flush_ns_, 0.5)),
                n ? ms(sum) / static_cast<double>(n) : 0.0);
}

void Simulator::report() const {
    const std::uint64_t e = opt_.events;
    const double events_per_s =
        timed_ns_ ? static_cast<double>(e) * 1e9 / static_cast<double>(timed_ns_) : 0.0;
    const std::uint64_t p50 = percentile(event_ns_, 0.50), p99 = percentile(event_ns_, 0.99);
    report_setup();
    report_counts();
    report_timing(events_per_s, p50, p99);
    report_handoff();
    std::printf("W2 members=%llu sessions=%llu events=%llu events_per_s=%.0f p50_ns=%llu "
                "p99_ns=%llu ops_per_event=%.4f bytes_per_event=%.1f naive_bytes_per_event=%.1f\n",
                static_cast<unsigned long long>(opt_.members),
                static_cast<unsigned long long>(opt_.sessions), static_cast<unsigned long long>(e),
                events_per_s, static_cast<unsigned long long>(p50),
                static_cast<unsigned long long>(p99), per(churn_.ops, e), per(churn_.bytes, e),
                per(naive_.bytes, e));
}

}  // namespace

std::string simulate_synopsis() {
    Options o;
    cli::Parser p("roster-sim [sim]");
    declare(p, &o);
    return p.synopsis();
}

std::string simulate_help() {
    Options o;
    cli::Parser p("roster-sim [sim]");
    declare(p, &o);
    return p.options_help();
}

int simulate_main(int argc, char** argv) {
    Options o;
    const int rc = parse_options(argc, argv, &o);
    if (rc != 0) return rc == 1 ? 0 : 2;
    Simulator s(o);
    return s.run();
}

}  // namespace sim
