// W1 of docs/benchmarks.md: the ordered index alone.
//
// Three ordered indexes on the same keys, in one process, interleaved:
//  roster  the counted B+tree of src/rank_btree.hpp (what the engine uses)
//  avl     the rank-augmented AVL tree of src/rank_tree.hpp (the binary-tree
//          design, kept as the measured alternative)
//  pbds    the GNU pb_ds order-statistics red-black tree (the anchor)
// The ratio reported is roster / pbds.
//
// Method, per size N:
//  1. Generate N random keys (group 1..20, random hash, unique id).
//  2. Memory: warm the build paths on a few keys, trim the heap, read the
//     resident anonymous memory, then build roster, avl and pb_ds in turn by
//     inserting the keys, reading it after each. Each structure's
//     bytes/entry is its own delta / N (so none is charged for another;
//     pages freed by earlier sizes were handed back by
//     malloc_trim, so reuse does not hide them). The reading is the
//     "Anonymous:" RSS of /proc/self/smaps_rollup: exact, and blind to
//     shared-library code pages faulting in (see bench_util.hpp).
//  3. Per op, R rounds. Each round generates the op inputs once (members,
//     rows, keys), then times every side on them, the order rotating from
//     round to round. The clock is read around batches, never per op. Each
//     side returns the sum of the indices it reported; the sums must agree
//     (else abort). Reported: median over rounds of ns/op.
//  4. Inserts run in timed batches of B = max(1, min(1000, N/20)) followed by
//     untimed removal of what was inserted; removes run in timed batches
//     followed by untimed re-insertion, so the size stays within N..N+B.
//  5. The final contents of all sides are compared key by key.
//  6. Bulk build: RankBTree::build over ids sorted by key, on fresh slabs.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "cli.hpp"
#include "w1_sides.hpp"
#include "workloads.hpp"

namespace bench {
namespace w1 {
namespace {

constexpr std::uint64_t default_seed = 0x5EED0001ull;
constexpr std::uint32_t default_sizes[] = {5000, 50000, 250000, 1000000};
constexpr std::uint32_t full_check_max_n = 50000;  // check_invariants is O(n log n)

struct Config {
    std::vector<std::uint32_t> sizes;
    std::uint32_t rounds = 5;
    std::uint64_t ops = 100000;  // per op kind, split over the rounds
    std::uint64_t seed = default_seed;
    std::string csv_path;     // --csv: every round's ns/op per side
    std::FILE* csv = nullptr;
};

enum class Op { index_of, at, ins_front, ins_back, ins_rand, remove, move };
constexpr Op all_ops[] = {Op::index_of, Op::at,     Op::ins_front, Op::ins_back,
                          Op::ins_rand, Op::remove, Op::move};

const char* op_name(Op op) {
    switch (op) {
    case Op::index_of: return "index_of";
    case Op::at: return "at";
    case Op::ins_front: return "ins_front";
    case Op::ins_back: return "ins_back";
    case Op::ins_rand: return "ins_rand";
    case Op::remove: return "remove";
    case Op::move: return "move";
    }
    return "?";
}

bool is_insert(Op op) { return op == Op::ins_front || op == Op::ins_back || op == Op::ins_rand; }

// A present member as the harness tracks it: roster handle and key.
struct Member {
    std::uint32_t slot;
    Key key;
};

// Everything that evolves identically for both sides over a size's run.
struct State {
    explicit State(std::uint64_t seed) : rng(seed) {}
    Rng rng;
    std::vector<Member> members;
    std::uint64_t next_id = 1;
    std::uint64_t front_hash = ~std::uint64_t{0};  // ins_front: decreasing
    std::uint64_t back_hash = 0;                   // ins_back: increasing
};

// One round's inputs of one op kind, shared by both sides.
struct Inputs {
    std::vector<std::uint32_t> slots;  // member handle (roster)
    std::vector<Key> keys;             // member key / key to insert
    std::vector<Key> new_keys;         // move: the member's new key
    std::vector<std::uint32_t> rows;   // at
    std::size_t count = 0;
    std::size_t batch = 1;
};

Key random_key(Rng& rng, std::uint64_t id) {
    return Key{1 + rng.below(20), rng.next(), id};
}

void pick_members(State& st, Inputs& in) {
    for (std::size_t i = 0; i < in.count; ++i) {
        const Member& m = st.members[st.rng.below(static_cast<std::uint32_t>(st.members.size()))];
        in.slots.push_back(m.slot);
        in.keys.push_back(m.key);
    }
}

// Distinct members per batch: a partial shuffle moves the chosen ones to
// the tail of st.members.
void pick_distinct_batches(State& st, Inputs& in) {
    std::size_t m = st.members.size();
    for (std::size_t b0 = 0; b0 < in.count; b0 += in.batch) {
        std::size_t len = std::min(in.batch, in.count - b0);
        for (std::size_t j = 0; j < len; ++j) {
            std::size_t pos = st.rng.below(static_cast<std::uint32_t>(m - j));
            std::swap(st.members[pos], st.members[m - 1 - j]);
            in.slots.push_back(st.members[m - 1 - j].slot);
            in.keys.push_back(st.members[m - 1 - j].key);
        }
    }
}

// Moves: a member may be picked twice in a round; its key is then the one
// the earlier move gave it, exactly as both sides will see it.
void pick_moves(State& st, Inputs& in) {
    for (std::size_t i = 0; i < in.count; ++i) {
        Member& m = st.members[st.rng.below(static_cast<std::uint32_t>(st.members.size()))];
        Key to = random_key(st.rng, m.key.id);
        in.slots.push_back(m.slot);
        in.keys.push_back(m.key);
        in.new_keys.push_back(to);
        m.key = to;
    }
}

Inputs make_inputs(Op op, State& st, std::size_t count, std::size_t batch, std::uint32_t n) {
    Inputs in;
    in.count = count;
    in.batch = batch;
    switch (op) {
    case Op::index_of: pick_members(st, in); break;
    case Op::at:
        for (std::size_t i = 0; i < count; ++i) in.rows.push_back(st.rng.below(n));
        break;
    case Op::ins_front:
        for (std::size_t i = 0; i < count; ++i)
            in.keys.push_back(Key{0, st.front_hash--, st.next_id++});
        break;
    case Op::ins_back:
        for (std::size_t i = 0; i < count; ++i)
            in.keys.push_back(Key{0xFFFFFFFFu, ++st.back_hash, st.next_id++});
        break;
    case Op::ins_rand:
        for (std::size_t i = 0; i < count; ++i) in.keys.push_back(random_key(st.rng, st.next_id++));
        break;
    case Op::remove: pick_distinct_batches(st, in); break;
    case Op::move: pick_moves(st, in); break;
    }
    return in;
}

// ------------------------------------------------------------ timed loops --

struct Timed {
    std::uint64_t ns = 0;
    std::uint64_t sum = 0;  // of the reported indices (or ids for `at`)
};

template <class Side>
Timed time_queries(Side& s, const Inputs& in, bool rows) {
    Timed r;
    std::uint64_t t0 = now_ns();
    if (rows) {
        for (std::size_t i = 0; i < in.count; ++i) r.sum += s.at(in.rows[i]);
    } else {
        for (std::size_t i = 0; i < in.count; ++i) r.sum += s.index_of(in.slots[i], in.keys[i]);
    }
    r.ns = now_ns() - t0;
    return r;
}

template <class Side>
Timed time_inserts(Side& s, const Inputs& in, std::vector<std::uint32_t>& handles) {
    Timed r;
    handles.resize(in.batch);
    for (std::size_t b0 = 0; b0 < in.count; b0 += in.batch) {
        std::size_t len = std::min(in.batch, in.count - b0);
        const Key* keys = in.keys.data() + b0;
        std::uint64_t t0 = now_ns();
        for (std::size_t i = 0; i < len; ++i) r.sum += s.insert(keys[i], handles[i]);
        r.ns += now_ns() - t0;
        for (std::size_t i = len; i-- > 0;) s.remove_inserted(handles[i], keys[i]);
        s.check_stable();
    }
    return r;
}

template <class Side>
Timed time_removes(Side& s, const Inputs& in) {
    Timed r;
    for (std::size_t b0 = 0; b0 < in.count; b0 += in.batch) {
        std::size_t len = std::min(in.batch, in.count - b0);
        const Key* keys = in.keys.data() + b0;
        const std::uint32_t* slots = in.slots.data() + b0;
        std::uint64_t t0 = now_ns();
        for (std::size_t i = 0; i < len; ++i) r.sum += s.erase(slots[i], keys[i]);
        r.ns += now_ns() - t0;
        for (std::size_t i = len; i-- > 0;) s.reinsert(slots[i], keys[i]);
        s.check_stable();
    }
    return r;
}

template <class Side>
Timed time_moves(Side& s, const Inputs& in) {
    Timed r;
    std::uint64_t t0 = now_ns();
    for (std::size_t i = 0; i < in.count; ++i)
        r.sum += s.move(in.slots[i], in.keys[i], in.new_keys[i]);
    r.ns = now_ns() - t0;
    return r;
}

template <class Side>
Timed time_op(Op op, Side& s, const Inputs& in, std::vector<std::uint32_t>& scratch) {
    switch (op) {
    case Op::index_of: return time_queries(s, in, false);
    case Op::at: return time_queries(s, in, true);
    case Op::remove: return time_removes(s, in);
    case Op::move: return time_moves(s, in);
    default: return time_inserts(s, in, scratch);
    }
}

// ----------------------------------------------------------------- rounds --

constexpr int n_sides = 3;  // roster, avl, pbds
constexpr const char* side_names[n_sides] = {RosterSide::name, AvlSide::name, PbdsSide::name};

struct Sides {
    RosterSide& roster;
    AvlSide& avl;
    PbdsSide& pbds;
};

struct OpResult {
    Op op;
    std::vector<double> ns[n_sides];  // ns/op per round, per side
    double med[n_sides] = {0, 0, 0};
};

struct SizeRun {
    std::uint32_t n;
    std::size_t batch;
    std::size_t per_round;
    std::uint64_t checksum = 0;
};

Timed time_side(int side, Op op, Sides& s, const Inputs& in, std::vector<std::uint32_t>& scratch) {
    switch (side) {
    case 0: return time_op(op, s.roster, in, scratch);
    case 1: return time_op(op, s.avl, in, scratch);
    default: return time_op(op, s.pbds, in, scratch);
    }
}

OpResult run_op(Op op, Sides& sides, State& st, SizeRun& run, const Config& cfg) {
    OpResult res{op, {}, {}};
    std::vector<std::uint32_t> scratch;
    std::size_t batch = (is_insert(op) || op == Op::remove) ? run.batch : run.per_round;
    for (std::uint32_t round = 0; round < cfg.rounds; ++round) {
        Inputs in = make_inputs(op, st, run.per_round, batch, run.n);
        Timed t[n_sides];
        for (int k = 0; k < n_sides; ++k) {
            int side = static_cast<int>((round + static_cast<std::uint32_t>(k)) % n_sides);
            t[side] = time_side(side, op, sides, in, scratch);
        }
        for (int k = 1; k < n_sides; ++k) {
            if (t[k].sum != t[0].sum)
                die(std::string("W1 ") + op_name(op) + " n=" + std::to_string(run.n) +
                    " round " + std::to_string(round) + ": roster reported index sum " +
                    std::to_string(t[0].sum) + " but " + side_names[k] + " " +
                    std::to_string(t[k].sum));
        }
        if (sides.roster.size() != run.n || sides.avl.size() != run.n || sides.pbds.size() != run.n)
            die(std::string("W1 ") + op_name(op) + ": structure size drifted from N");
        run.checksum = run.checksum * 31 + t[0].sum;
        for (int k = 0; k < n_sides; ++k)
            res.ns[k].push_back(static_cast<double>(t[k].ns) / static_cast<double>(in.count));
        if (cfg.csv)
            std::fprintf(cfg.csv, "%u,%s,%u,%.2f,%.2f,%.2f\n", run.n, op_name(op), round + 1,
                         res.ns[0].back(), res.ns[1].back(), res.ns[2].back());
    }
    for (int k = 0; k < n_sides; ++k) res.med[k] = median(res.ns[k]);
    return res;
}

// ------------------------------------------------------- build and memory --

struct BuildStats {
    double mem[n_sides] = {0, 0, 0};  // RSS delta bytes / N
    double ms[n_sides] = {0, 0, 0};   // build by N random inserts
};

std::vector<Key> random_keys(State& st, std::uint32_t n) {
    std::vector<Key> keys;
    keys.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) keys.push_back(random_key(st.rng, st.next_id++));
    return keys;
}

double per_entry(std::size_t after, std::size_t before, std::uint32_t n) {
    return (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(n);
}

// Runs every build path once on a few keys so that first-use allocations
// (e.g. malloc arena set-up) happen before the first memory reading.
void warm_build_paths(const std::vector<Key>& keys) {
    std::size_t n = std::min<std::size_t>(keys.size(), 256);
    RosterSide ros(static_cast<std::uint32_t>(n));
    AvlSide avl(static_cast<std::uint32_t>(n));
    PbdsSide pb;
    std::uint32_t slot = 0;
    for (std::size_t i = 0; i < n; ++i) {
        ros.insert(keys[i], slot);
        avl.insert(keys[i], slot);
        pb.build_insert(keys[i]);
    }
}

// Builds the sides from `keys` in turn, measuring RSS around each. The sides
// are freshly constructed and empty; constructors only reserve (mapped or
// malloc'ed pages are not resident until touched).
BuildStats build_all(const std::vector<Key>& keys, Sides& s, std::vector<Member>& members) {
    BuildStats b;
    std::uint32_t n = static_cast<std::uint32_t>(keys.size());
    members.resize(n);  // allocated before the first RSS reading
    warm_build_paths(keys);
    trim_heap();
    std::size_t rss[n_sides + 1];
    std::uint64_t t[n_sides + 1];
    rss[0] = anon_rss_bytes();
    t[0] = now_ns();
    for (std::uint32_t i = 0; i < n; ++i) {
        members[i].key = keys[i];
        s.roster.insert(keys[i], members[i].slot);
    }
    t[1] = now_ns();
    rss[1] = anon_rss_bytes();
    std::uint32_t avl_slot = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        s.avl.insert(keys[i], avl_slot);
        if (avl_slot != members[i].slot) die("avl and roster slots diverged");
    }
    t[2] = now_ns();
    rss[2] = anon_rss_bytes();
    for (const Key& k : keys) s.pbds.build_insert(k);
    t[3] = now_ns();
    rss[3] = anon_rss_bytes();
    for (int k = 0; k < n_sides; ++k) {
        b.mem[k] = per_entry(rss[k + 1], rss[k], n);
        b.ms[k] = static_cast<double>(t[k + 1] - t[k]) / 1e6;
    }
    return b;
}

// Every side must hold the same keys in the same order; the trees must also
// pass their own invariant checks at small sizes.
template <class Side>
void verify_side(const Side& side, const PbdsSide& pb, std::uint32_t n) {
    if (side.size() != pb.size()) die(std::string(Side::name) + ": final size differs");
    std::uint32_t slot = side.first();
    std::size_t row = 0;
    for (const Key& k : pb.tree()) {
        if (slot == roster::nil_id || !(side.key_of(slot) == k))
            die(std::string(Side::name) + ": final contents differ at row " + std::to_string(row));
        slot = side.next(slot);
        ++row;
    }
    if (slot != roster::nil_id) die(std::string(Side::name) + " holds more rows than pbds");
    std::string why;
    if (n <= full_check_max_n && !side.check_invariants(&why))
        die(std::string(Side::name) + " invariants broken after the run: " + why);
}

// ------------------------------------------------------------- bulk build --

struct BulkStats {
    double build_ns = 0;       // RankBTree::build, per entry (median)
    double sort_build_ns = 0;  // sorting the ids by key + build, per entry
};

// Spot-checks a bulk-built tree against the sorted ids it was built from.
void check_bulk(const RosterSide::Tree& tree, const std::vector<std::uint32_t>& ids) {
    std::uint32_t n = static_cast<std::uint32_t>(ids.size());
    if (tree.size() != n) die("bulk build: wrong size");
    std::uint32_t step = n / 97 + 1;
    for (std::uint32_t k = 0; k < n; k += step) {
        if (tree.at(k) != ids[k] || tree.index_of(ids[k]) != k) die("bulk build: wrong row");
    }
    std::string why;
    if (n <= full_check_max_n && !tree.check_invariants(&why))
        die("bulk build: invariants broken: " + why);
}

BulkStats bulk_build(const std::vector<Key>& keys, std::uint32_t rounds) {
    std::uint32_t n = static_cast<std::uint32_t>(keys.size());
    roster::Slab<Entry> slab;
    roster::Slab<roster::BTreeHook> hooks;
    slab.reserve(n);
    hooks.reserve(n);
    std::vector<std::uint32_t> unsorted(n), ids;
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t s = slab.allocate();
        hooks.allocate();
        slab[s].group = keys[i].group;
        slab[s].hash = keys[i].hash;
        slab[s].id = keys[i].id;
        unsorted[i] = s;
    }
    EntryTraits traits{slab.data(), hooks.data()};
    auto less = [&](std::uint32_t a, std::uint32_t b) { return traits.less(a, b); };
    std::vector<double> build, total;
    for (std::uint32_t r = 0; r < rounds; ++r) {
        ids = unsorted;
        std::uint64_t t0 = now_ns();
        std::sort(ids.begin(), ids.end(), less);
        std::uint64_t t1 = now_ns();
        RosterSide::Tree tree(traits);
        tree.build(ids.data(), n);
        std::uint64_t t2 = now_ns();
        check_bulk(tree, ids);
        build.push_back(static_cast<double>(t2 - t1) / n);
        total.push_back(static_cast<double>(t2 - t0) / n);
    }
    return BulkStats{median(build), median(total)};
}

// ----------------------------------------------------------------- report --

void print_table(const std::vector<OpResult>& res) {
    std::printf("%-10s %10s %10s %10s %7s %7s   %-15s %s\n", "op", "roster ns", "avl ns",
                "pbds ns", "r/pbds", "avl/pb", "roster min..max", "pbds min..max");
    for (const OpResult& r : res) {
        char rr[40], pr[40];
        std::snprintf(rr, sizeof rr, "%.0f..%.0f", min_of(r.ns[0]), max_of(r.ns[0]));
        std::snprintf(pr, sizeof pr, "%.0f..%.0f", min_of(r.ns[2]), max_of(r.ns[2]));
        std::printf("%-10s %10.1f %10.1f %10.1f %7.3f %7.3f   %-15s %s\n", op_name(r.op),
                    r.med[0], r.med[1], r.med[2], r.med[0] / r.med[2], r.med[1] / r.med[2], rr,
                    pr);
    }
}

struct MemReport {
    BuildStats build;
    std::size_t roster_bytes = 0, roster_index_bytes = 0;  // computed from capacities
};

void report(const SizeRun& run, const Config& cfg, const MemReport& mem,
            const std::vector<OpResult>& res, const BulkStats& bulk) {
    const std::uint32_t n = run.n;
    const double computed = static_cast<double>(mem.roster_bytes) / n;
    const double index = static_cast<double>(mem.roster_index_bytes) / n;
    std::printf("\n== W1  n=%u  rounds=%u  ops/round=%zu  batch=%zu  seed=%" PRIu64 "\n", n,
                cfg.rounds, run.per_round, run.batch, cfg.seed);
    std::printf("build by %u random inserts: roster %.1f ms, avl %.1f ms, pbds %.1f ms\n", n,
                mem.build.ms[0], mem.build.ms[1], mem.build.ms[2]);
    std::printf("memory (anonymous RSS delta / N, built in this order): roster %.1f, avl %.1f, "
                "pbds %.1f B/entry\n",
                mem.build.mem[0], mem.build.mem[1], mem.build.mem[2]);
    std::printf("roster computed: %.1f B/entry in all (keys %zu B + ordered index %.1f B: hook "
                "%zu B + tree nodes)\n",
                computed, sizeof(Entry), index, sizeof(roster::BTreeHook));
    print_table(res);
    std::printf("bulk_build: RankBTree::build %.1f ns/entry; sort ids + build %.1f ns/entry\n",
                bulk.build_ns, bulk.sort_build_ns);
    std::printf("checksum=%016" PRIx64 " (index sums agreed between all sides in every round)\n",
                run.checksum);
    for (const OpResult& r : res)
        std::printf("W1 n=%u op=%s roster_ns=%.1f pbds_ns=%.1f ratio=%.3f avl_ns=%.1f\n", n,
                    op_name(r.op), r.med[0], r.med[2], r.med[0] / r.med[2], r.med[1]);
    std::printf("W1 n=%u mem_bytes_per_entry=%.1f index_bytes_per_entry=%.1f "
                "avl_mem_bytes_per_entry=%.1f pbds_mem_bytes_per_entry=%.1f\n",
                n, mem.build.mem[0], index, mem.build.mem[1], mem.build.mem[2]);
    std::printf("W1 n=%u op=bulk_build roster_ns_per_entry=%.1f sort_and_build_ns_per_entry=%.1f\n",
                n, bulk.build_ns, bulk.sort_build_ns);
    std::fflush(stdout);
}

// ----------------------------------------------------------------- driver --

void run_size(std::uint32_t n, const Config& cfg) {
    SizeRun run{n, std::max<std::size_t>(1, std::min<std::size_t>(1000, n / 20)),
                std::max<std::size_t>(1, cfg.ops / cfg.rounds), 0};
    // Seeded per size, so `--n N` alone reproduces that size of a full run.
    State st(cfg.seed ^ (std::uint64_t{n} * 0x9E3779B97F4A7C15ull));
    std::vector<Key> keys = random_keys(st, n);
    std::vector<OpResult> results;
    MemReport mem;
    {
        const std::uint32_t cap = n + static_cast<std::uint32_t>(run.batch) + 64;
        RosterSide ros(cap);
        AvlSide avl(cap);
        PbdsSide pb;
        Sides sides{ros, avl, pb};
        mem.build = build_all(keys, sides, st.members);
        mem.roster_bytes = ros.bytes();
        mem.roster_index_bytes = ros.index_bytes();
        ros.check_stable();
        avl.check_stable();
        for (Op op : all_ops) results.push_back(run_op(op, sides, st, run, cfg));
        verify_side(ros, pb, n);
        verify_side(avl, pb, n);
    }
    st.members = std::vector<Member>();
    trim_heap();
    BulkStats bulk = bulk_build(keys, cfg.rounds);
    report(run, cfg, mem, results, bulk);
}

// Returns -1 when the run should go ahead, else the exit status.
int parse_args(int argc, char** argv, Config& cfg) {
    std::uint32_t n = 0;
    cli::Parser p("roster-bench w1");
    p.number("--n", &n, 0, 100000000, "one size only (0: 5000 50000 250000 1000000)");
    p.number("--rounds", &cfg.rounds, 1, 1000, "interleaved rounds per op, median reported");
    p.number("--ops", &cfg.ops, 1, 1000000000, "ops per op kind, split evenly over the rounds");
    p.number("--seed", &cfg.seed, 0, UINT64_MAX, "RNG seed");
    p.text("--csv", &cfg.csv_path, "FILE",
           "every round as a row: n,op,round,roster_ns,avl_ns,pbds_ns (ns per op)");
    if (const int rc = parse_options(p, argc, argv); rc >= 0) return rc;
    if (n) cfg.sizes.assign(1, n);
    if (cfg.sizes.empty()) cfg.sizes.assign(std::begin(default_sizes), std::end(default_sizes));
    return -1;
}

}  // namespace
}  // namespace w1

int run_w1(int argc, char** argv) {
    w1::Config cfg;
    int status = w1::parse_args(argc, argv, cfg);
    if (status >= 0) return status;
    if (!cfg.csv_path.empty()) {
        cfg.csv = std::fopen(cfg.csv_path.c_str(), "w");
        if (!cfg.csv) die("cannot write " + cfg.csv_path);
        std::fputs("n,op,round,roster_ns,avl_ns,pbds_ns\n", cfg.csv);
    }
    std::uint64_t t0 = now_ns();
    for (std::uint32_t n : cfg.sizes) w1::run_size(n, cfg);
    if (cfg.csv && (std::fflush(cfg.csv) != 0 || std::ferror(cfg.csv) || std::fclose(cfg.csv) != 0))
        die("write error on " + cfg.csv_path);
    std::printf("\ntotal wall time: %.1f s\n", static_cast<double>(now_ns() - t0) / 1e9);
    return 0;
}

}  // namespace bench
