// The C API driver of fuzz_capi and fuzz_oom.
//
// Input layout (tests/fuzz/seeds.py writes inputs in it; any byte string is
// a valid input, this only decides how well a hand-made one aims):
//  - 13 bytes of guild configuration (small limits, chunks of 1..10 rows);
//  - then one step per call, read from the front: an op byte (kTable), in
//    fuzz_oom a gate byte (>= 128 arms an allocation failure, see
//    plan_gate), then the op's arguments;
//  - decisions made inside the frame callback (what to call from there)
//    are read from the back of the input, so that the front keeps its
//    meaning however many frames a call delivers.
//
// Oracles, after every call:
//  1. Engine::check_invariants on the guild (and on the twin below).
//  2. A call that returns an error (or a query) leaves every list's rows,
//     counts and groups, every member, every session's ranges and the
//     counts of members and sessions as they were, and delivers no frame;
//     a call inside the callback that must be refused returns EBUSY and
//     changes nothing either.
//  3. One replica client (examples/sim/replica.hpp) per (session, list) is
//     fed every frame: no INSERT/UPDATE/DELETE outside the session's ranges,
//     no SYNC outside them, no frame for a removed session, none outside a
//     flush, no second one for a session and list in one flush; after every
//     flush each subscribed range equals roster_list_rows, each member row
//     was sent no earlier than the member's data last changed, and an ended
//     subscription (unsubscribed, list removed) left none of its rows with
//     the client. Rows read from inside the callback equal the rows after
//     the call.
//  4. A twin guild gets the same changes, with the member events the other
//     way round: the guild's single calls reach the twin as one
//     roster_events_apply (or roster_members_add), its roster_events_apply
//     and roster_members_add as single calls. Statuses must agree, and at
//     every synchronisation every list and member must read the same.
// In fuzz_oom also: ENOMEM only when an allocation failed; then (2) holds.
// An allocation failure inside a flush: with the flush status of roster.h
// (ROSTER_HAVE_FLUSH_STATUS) the call returns ROSTER_EFLUSH, the change
// stands, and the replicas must be exact again after the next successful
// flush; without it, nothing excuses a stale replica.
#include "driver.hpp"

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "internal.hpp"
#include "replica.hpp"
#include "roster/roster.h"

// roster.h has ROSTER_EFLUSH and roster_guild_flush.
#define FUZZ_FLUSH_STATUS 1

namespace fuzz {

AllocGate gate;

namespace {

struct Pause {
    Pause() { ++gate.paused; }
    ~Pause() { --gate.paused; }
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;
};

// Inside the callback the driver runs paused; the calls it makes into the
// guild from there run unpaused, so that they can fail too.
struct Unpause {
    int saved;
    Unpause() : saved(gate.paused) { gate.paused = 0; }
    ~Unpause() { gate.paused = saved; }
    Unpause(const Unpause&) = delete;
    Unpause& operator=(const Unpause&) = delete;
};

// ---- reading the input ------------------------------------------------------

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
    bool empty() const { return n_ == 0; }
    std::uint8_t u8() {
        if (n_ == 0) return 0;
        --n_;
        return *p_++;
    }
    std::uint8_t back() {
        if (n_ == 0) return 0;
        --n_;
        return p_[n_];
    }
    std::uint16_t u16() {
        const std::uint16_t lo = u8();
        return static_cast<std::uint16_t>(lo | (u8() << 8));
    }
    std::uint32_t u32() {
        const std::uint32_t lo = u16();
        return lo | (std::uint32_t{u16()} << 16);
    }
    std::uint64_t u64() {
        const std::uint64_t lo = u32();
        return lo | (std::uint64_t{u32()} << 32);
    }
    std::string bytes(std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n && n_ > 0; ++i) s += static_cast<char>(u8());
        return s;
    }

private:
    const std::uint8_t* p_;
    std::size_t n_;
};

// ---- values -------------------------------------------------------------------

constexpr std::uint64_t kUsers = 24;    // user ids 1..24
constexpr std::uint64_t kRoles = 6;     // role ids 1..6
constexpr std::uint64_t kLists = 5;     // list ids 0..4
constexpr std::uint64_t kSessions = 5;  // session ids 1..5

// Bytes below this pick from the pool; the rest are boundary values.
constexpr std::uint8_t kPool = 232;

const std::uint64_t kBoundaryIds[] = {0,
                                      UINT64_MAX,
                                      ROSTER_GROUP_ONLINE,
                                      std::uint64_t{1} << 32,
                                      std::uint64_t{1} << 63,
                                      0xFFFFFFFFu,
                                      1000};

// A name or key: bytes, or a NULL pointer with a length.
struct Text {
    std::string bytes;
    bool null = false;
    std::size_t null_len = 0;
    const char* ptr() const { return null ? nullptr : bytes.data(); }
    std::size_t len() const { return null ? null_len : bytes.size(); }
};

const char* const kNames[] = {"Ann", "ann",  "bob",   "Cy",      "dave",    "Eve",
                              "fay", "Gus",  "hal",   "Ivy",     "jo",      "Kai",
                              "lu",  "Mo",   "\xc3\x89mile", "\xc3\xb6laf", "\xc3\x9f",
                              "\xe6\x97\xa5\xe6\x9c\xac"};
constexpr std::size_t kNameCount = sizeof kNames / sizeof kNames[0];

std::string hex(std::string_view s) {
    std::string out;
    char b[4];
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            std::snprintf(b, sizeof b, "\\%02x", c);
            out += b;
        }
    }
    return out;
}

bool valid_code(int rc) { return rc <= 0 && std::strcmp(roster_status_str(rc), "unknown status") != 0; }

// ---- the state a guild shows through the C API --------------------------------

struct Ids {
    std::set<std::uint64_t> lists, users, sessions;
};

// What a guild shows through the C API, as (tag, value) pairs: compared
// after most calls, so kept cheap; rendered as text only for a report.
struct Snap {
    std::vector<std::uint64_t> v;
    void add(char tag, std::uint64_t value) {
        v.push_back(static_cast<unsigned char>(tag));
        v.push_back(value);
    }
    friend bool operator==(const Snap&, const Snap&) = default;
};

// Tags that start a line of the text form.
bool line_tag(std::uint64_t t) { return t == 'L' || t == 'U' || t == 'S' || t == 'M'; }

std::uint64_t name_hash(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325u;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3u;
    return h ^ s.size();
}

// Every list's length, counts, groups and rows, every member's data (the
// name as a hash), and with sessions every session's ranges.
Snap snapshot(const roster_guild* g, const Ids& ids, bool sessions) {
    Pause pause;
    Snap out;
    out.v.reserve(512);
    std::uint32_t n = 0;
    out.add('M', static_cast<std::uint64_t>(roster_guild_member_count(&n, g)));
    out.add('m', n);
    roster_row rows[256];
    roster_group groups[16];
    for (std::uint64_t l : ids.lists) {
        std::uint32_t len = 0, mc = 0, oc = 0;
        const int rc = roster_list_length(&len, g, l);
        out.add('L', l);
        out.add('r', static_cast<std::uint64_t>(rc));
        if (rc != ROSTER_OK) continue;
        roster_list_counts(&mc, &oc, g, l);
        out.add('n', len);
        out.add('c', mc);
        out.add('o', oc);
        std::size_t count = 0;
        roster_list_groups(groups, 16, &count, g, l);
        for (std::size_t i = 0; i < std::min<std::size_t>(count, 16); ++i) {
            out.add('g', groups[i].id);
            out.add('k', groups[i].count);
        }
        count = 0;
        if (len) roster_list_rows(rows, 256, &count, g, l, 0, len - 1);
        out.add('#', count);
        for (std::size_t i = 0; i < std::min<std::size_t>(count, 256); ++i) {
            out.add('K', (std::uint64_t{rows[i].kind} << 32) | rows[i].count);
            out.add('G', rows[i].group);
            out.add('u', rows[i].user);
        }
    }
    for (std::uint64_t u : ids.users) {
        roster_member_info info{};
        std::uint64_t roles[8];
        std::size_t rn = 0;
        const int rc = roster_member_get(&info, roles, 8, &rn, g, u);
        out.add('U', u);
        out.add('r', static_cast<std::uint64_t>(rc));
        if (rc != ROSTER_OK) continue;
        out.add('N', name_hash(std::string_view(info.name, info.name_len)));
        out.add('s', static_cast<std::uint64_t>(info.status));
        out.add('G', info.group);
        for (std::size_t i = 0; i < std::min<std::size_t>(rn, 8); ++i) out.add('x', roles[i]);
    }
    if (sessions) {
        out.add('S', static_cast<std::uint64_t>(roster_guild_session_count(&n, g)));
        out.add('#', n);
        roster_range rs[16];
        for (std::uint64_t s : ids.sessions) {
            out.add('S', s);
            for (std::uint64_t l : ids.lists) {
                std::size_t count = 0;
                const int rc = roster_session_ranges(rs, 16, &count, g, s, l);
                if (rc != ROSTER_OK) {
                    out.add('r', static_cast<std::uint64_t>(rc));
                    break;
                }
                if (!count) continue;
                out.add('l', l);
                for (std::size_t i = 0; i < std::min<std::size_t>(count, 16); ++i) {
                    out.add('a', rs[i].start);
                    out.add('b', rs[i].end);
                }
            }
        }
    }
    return out;
}

// The line of each snapshot where they first differ, as text.
std::string first_difference(const Snap& a, const Snap& b) {
    std::size_t i = 0;
    while (i < a.v.size() && i < b.v.size() && a.v[i] == b.v[i]) ++i;
    i &= ~std::size_t{1};
    std::size_t from = i;
    while (from > 0 && !line_tag(a.v[from])) from -= 2;
    auto line = [&](const Snap& s) {
        std::string out;
        char buf[48];
        for (std::size_t k = from; k + 1 < s.v.size() && (k == from || !line_tag(s.v[k])); k += 2) {
            const std::int64_t value = static_cast<std::int64_t>(s.v[k + 1]);
            if (value >= -100 && value < 100000)
                std::snprintf(buf, sizeof buf, " %c=%lld", static_cast<char>(s.v[k]), static_cast<long long>(value));
            else
                std::snprintf(buf, sizeof buf, " %c=%llx", static_cast<char>(s.v[k]),
                              static_cast<unsigned long long>(s.v[k + 1]));
            out += buf;
        }
        return out.empty() ? std::string(" (nothing)") : out;
    };
    return "before:" + line(a) + "\n  after: " + line(b) +
           "\n  (M member count, L list: r status, n length, c/o counts, g/k groups, K/G/u rows;"
           " U member: N name hash, s status, G group, x roles; S session: l list, a-b ranges)";
}

// ---- member events, owned ------------------------------------------------------

struct OwnedEvent {
    roster_event ev{};
    Text name;
    std::vector<std::uint64_t> roles;
    bool roles_null = false;

    // ev with its pointers set to this object's storage.
    roster_event get() const {
        roster_event e = ev;
        e.name = name.ptr();
        e.name_len = name.len();
        e.roles = roles_null ? nullptr : (roles.empty() ? nullptr : roles.data());
        return e;
    }
};

// What the event's own call does.
int single_call(roster_guild* g, const roster_event& e) {
    switch (e.kind) {
    case ROSTER_EVENT_STATUS: return roster_member_set_status(g, e.user_id, e.status);
    case ROSTER_EVENT_NAME: return roster_member_set_name(g, e.user_id, e.name, e.name_len);
    case ROSTER_EVENT_ROLES: return roster_member_set_roles(g, e.user_id, e.roles, e.role_count);
    case ROSTER_EVENT_ADD_ROLE: return roster_member_add_role(g, e.user_id, e.role_id);
    case ROSTER_EVENT_REMOVE_ROLE: return roster_member_remove_role(g, e.user_id, e.role_id);
    case ROSTER_EVENT_TOUCH: return roster_member_touch(g, e.user_id);
    case ROSTER_EVENT_ADD:
        return roster_member_add(g, e.user_id, e.name, e.name_len, e.roles, e.role_count,
                                 e.status);
    case ROSTER_EVENT_UPSERT:
        return roster_member_upsert(g, e.user_id, e.name, e.name_len, e.roles, e.role_count,
                                    e.status);
    case ROSTER_EVENT_REMOVE: return roster_member_remove(g, e.user_id);
    default: return ROSTER_EINVAL;  // what roster_events_apply says of an unknown kind
    }
}

// ---- the driver ------------------------------------------------------------------

enum Op : std::uint8_t {
    op_event,
    op_events_apply,
    op_members_add,
    op_sort_key,
    op_role_upsert,
    op_role_remove,
    op_roles_reorder,
    op_list_set,
    op_list_remove,
    op_everyone_view,
    op_offline_threshold,
    op_begin,
    op_commit,
    op_subscribe,
    op_unsubscribe,
    op_session_remove,
    op_query_rows,
    op_query_list,
    op_member_get,
    op_session_query,
    op_guild_query,
    op_set_callback,
    op_null_guild,
    op_create,
    op_flush,
    op_handoff,
    op_count
};

// Op byte -> op: every op once in order (so that byte k means op k), then
// extra weight for the calls that move the state most.
const Op kTable[] = {
    op_event,       op_events_apply, op_members_add,    op_sort_key,       op_role_upsert,
    op_role_remove, op_roles_reorder, op_list_set,      op_list_remove,    op_everyone_view,
    op_offline_threshold, op_begin,  op_commit,         op_subscribe,      op_unsubscribe,
    op_session_remove, op_query_rows, op_query_list,    op_member_get,     op_session_query,
    op_guild_query, op_set_callback, op_null_guild,     op_create,         op_flush,
    op_event,       op_event,        op_event,          op_event,          op_event,
    op_event,       op_subscribe,    op_subscribe,      op_events_apply,   op_members_add,
    op_list_set,    op_role_upsert,  op_begin,          op_commit,         op_query_rows,
    op_unsubscribe, op_handoff};
constexpr std::size_t kTableSize = sizeof kTable / sizeof kTable[0];
static_assert(op_count <= kTableSize);

const char* const kOpNames[] = {
    "event",     "events_apply", "members_add", "sort_key",     "role_upsert",
    "role_remove", "roles_reorder", "list_set", "list_remove",  "everyone_view",
    "offline_threshold", "begin", "commit",     "subscribe",    "unsubscribe",
    "session_remove", "query_rows", "query_list", "member_get", "session_query",
    "guild_query", "set_callback", "null_guild", "create",      "flush",
    "handoff"};
static_assert(sizeof kOpNames / sizeof kOpNames[0] == op_count);

class Driver {
public:
    Driver(const std::uint8_t* data, std::size_t size, bool oom) : in_(data, size), oom_(oom) {}
    ~Driver() {
        Pause pause;
        roster_guild_destroy(g_);
        roster_guild_destroy(twin_);
    }
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    void run();

private:
    using Subs = std::map<std::uint64_t, std::map<std::uint64_t, std::vector<roster_range>>>;
    using Key = std::pair<std::uint64_t, std::uint64_t>;  // session, list

    Input in_;
    const bool oom_;
    roster_config cfg_ = ROSTER_CONFIG_INIT;
    roster_guild* g_ = nullptr;
    roster_guild* twin_ = nullptr;
    Ids ids_;

    // The model: each session's normalised ranges per list.
    Subs subs_;
    std::map<Key, sim::Replica> replicas_;
    // Pairs whose frames were dropped (no callback): not checked until the
    // session has been without the list over a flush.
    std::set<Key> blind_;
    std::set<Key> seen_;  // pairs that got a frame in this flush
    // Subscriptions ended since the last check (unsubscribed, list removed),
    // with the ranges their client was last given: it must hold none of
    // those rows.
    std::map<Key, std::vector<roster_range>> dropped_;
    // Each pair's ranges as of its last frame: what its client holds. A
    // subscription made and dropped between two frames gave it nothing.
    std::map<Key, std::vector<roster_range>> delivered_;
    std::map<std::uint64_t, std::uint64_t> latest_;  // user -> stamp of last change
    std::uint64_t stamp_ = 0;
    bool callback_set_ = true;
    std::uint32_t depth_ = 0;

    // The current top-level call.
    Op op_ = op_event;
    bool expect_frames_ = false;
    bool in_callback_ = false;
    std::uint64_t frames_ = 0;
    struct SeenRows {
        std::uint64_t list;
        std::uint32_t start, end;
        int rc;
        std::vector<roster_row> rows;
    };
    std::vector<SeenRows> callback_rows_;
    bool stale_ = false;  // an EFLUSH left replicas behind
    bool stale_at_start_ = false;  // ... before the current call

    // Member events on their way to the twin, with the guild's statuses.
    struct Pending {
        OwnedEvent e;
        int expected;
    };
    std::vector<Pending> pending_;
    std::uint64_t twin_syncs_ = 0;

    // The last calls, for the report of a failure.
    std::deque<std::string> log_;
    std::string fired_;  // the call being checked had an allocation fail
    std::uint64_t calls_ = 0;

    // ---- reporting
    void note(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    [[noreturn]] void fail(const std::string& what);

    // ---- arguments
    std::uint64_t user_id();
    std::uint64_t role_id();
    std::uint64_t list_id();
    std::uint64_t session_id();
    std::uint64_t id_from(std::uint8_t b, std::uint64_t first, std::uint64_t pool);
    int status();
    Text name();
    void role_list(std::vector<std::uint64_t>* roles, bool* null);
    OwnedEvent event(std::uint32_t kind);
    std::uint32_t event_kind();

    // ---- calls
    void plan_gate();
    template <class F>
    int call(F&& f);
    void step();
    // query: the call must change nothing, whatever it returns.
    void after(int rc, bool unchanged_on_error, bool flushes, const Snap& before, bool query = false);
    void frame(const roster_frame* f, const std::uint64_t* sessions, std::size_t n);
    static void on_frame(const roster_frame* f, const std::uint64_t* sessions, std::size_t n,
                         void* self);
    void reenter(const roster_frame& f, const std::uint64_t* sessions, std::size_t n);
    void expect_busy(const char* what, int rc, const Snap& before);

    void do_event();
    void do_events_apply();
    void do_members_add();
    void do_sort_key();
    void do_role_upsert();
    void do_role_remove();
    void do_roles_reorder();
    void do_list_set();
    void do_list_remove();
    void do_everyone_view();
    void do_offline_threshold();
    void do_begin();
    void do_commit();
    void do_subscribe(bool unsubscribe);
    void do_session_remove();
    void do_query_rows();
    void do_query_list();
    void do_member_get();
    void do_session_query();
    void do_guild_query();
    void do_set_callback();
    void do_null_guild();
    void do_create();
    void do_flush();
    void do_handoff();

    // ---- oracles
    Snap snap() { return snapshot(g_, ids_, true); }
    // The state before a call: the one the last call was checked to leave,
    // when it was checked.
    Snap cache_;
    bool cache_valid_ = false;
    Snap before_call() { return cache_valid_ ? cache_ : snap(); }
    void invariants();
    void verify();
    void check_ranges(std::uint64_t s);
    void twin_mirror(const char* what, int rc, int twin_rc);
    template <class F>
    void mirror(const char* what, int rc, F&& twin_call);
    void twin_sync();
    void twin_compare();
    void touched(std::uint64_t user) { latest_[user] = stamp_; }
    // The member's data as roster_member_get shows it: when an event leaves
    // it as it was, a client need not be sent the row again.
    Snap member_text(std::uint64_t user) {
        Ids one;
        one.users.insert(user);
        Snap s = snapshot(g_, one, false);
        s.v.erase(s.v.begin(), s.v.begin() + 4);  // without the guild's member count
        return s;
    }
    void drop(std::uint64_t s, std::uint64_t l);
    void forget_session(std::uint64_t s);
    bool ok_or_flushed(int rc) const;
};

void Driver::note(const char* fmt, ...) {
    char b[240];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    log_.push_back(std::to_string(calls_) + ": " + b);
    if (log_.size() > 40) log_.pop_front();
}

void Driver::fail(const std::string& what) {
    gate.paused = 1;
    if (gate.failed) fired_ = "(an allocation has failed inside the call being made)\n";
    std::fprintf(stderr, "\n==== roster fuzz: oracle failed ====\n%s\n%s", what.c_str(), fired_.c_str());
    std::fprintf(stderr, "config: threshold %u view %u members %u roles %u per-member %u lists %u "
                         "overwrites %u key %u chunk %u ranges %u span %u session-lists %u "
                         "sessions %u tail-deletes %u\n",
                 cfg_.offline_threshold, cfg_.everyone_view, cfg_.max_members, cfg_.max_roles,
                 cfg_.max_roles_per_member, cfg_.max_lists, cfg_.max_overwrites,
                 cfg_.max_sort_key_bytes, cfg_.chunk_size, cfg_.max_ranges, cfg_.max_range_span,
                 cfg_.max_session_lists, cfg_.max_sessions, cfg_.tail_deletes);
    std::fprintf(stderr, "last calls (oldest first):\n");
    for (const std::string& l : log_) std::fprintf(stderr, "  %s\n", l.c_str());
    std::abort();
}

bool Driver::ok_or_flushed(int rc) const {
#ifdef FUZZ_FLUSH_STATUS
    if (rc == ROSTER_EFLUSH) return true;
#endif
    return rc == ROSTER_OK;
}

// ---- arguments ----------------------------------------------------------------------

std::uint64_t Driver::id_from(std::uint8_t b, std::uint64_t first, std::uint64_t pool) {
    if (b < kPool) return first + b % pool;
    const std::size_t k = (b - kPool) % 8;
    if (k < sizeof kBoundaryIds / sizeof kBoundaryIds[0]) return kBoundaryIds[k];
    return in_.u64();
}
std::uint64_t Driver::user_id() { return id_from(in_.u8(), 1, kUsers); }
std::uint64_t Driver::role_id() {
    const std::uint8_t b = in_.u8();
    if (b >= kPool && (b - kPool) % 8 == 6) return ROSTER_GROUP_OFFLINE;  // the other reserved id
    return id_from(b, 1, kRoles);
}
std::uint64_t Driver::list_id() { return id_from(in_.u8(), 0, kLists); }
std::uint64_t Driver::session_id() { return id_from(in_.u8(), 1, kSessions); }

int Driver::status() {
    const std::uint8_t b = in_.u8();
    if (b < 224) return b % 4;
    const int bad[] = {-1, 4, INT_MIN, INT_MAX, 255, -2, 100, 5};
    return bad[b % 8];
}

Text Driver::name() {
    const std::uint8_t b = in_.u8();
    Text t;
    if (b < 200) {
        t.bytes = kNames[b % kNameCount];
        return t;
    }
    switch ((b - 200) % 14) {
    case 0: break;  // empty
    case 1: t.null = true; break;
    case 2: t.null = true; t.null_len = 5; break;
    case 3: t.bytes = "\xff"; break;
    case 4: t.bytes = "ab\xc3"; break;                 // truncated sequence
    case 5: t.bytes = "\xc0\x80"; break;               // overlong NUL
    case 6: t.bytes = "\xed\xa0\x80"; break;           // surrogate
    case 7: t.bytes = "\xf4\x90\x80\x80"; break;       // past U+10FFFF
    case 8: t.bytes.assign(128, 'x'); break;           // the longest name
    case 9: t.bytes.assign(129, 'x'); break;           // one byte too long
    case 10: t.bytes.assign("a\0b", 3); break;
    case 11: t.bytes = in_.bytes(in_.u8() % 12); break;  // raw bytes
    case 12:
        for (int i = 0; i < 64; ++i) t.bytes += "\xc3\xa9";  // 128 bytes of 2-byte characters
        break;
    default: t.bytes.assign(127, 'x'); t.bytes += "\xc3"; break;  // split at the limit
    }
    return t;
}

void Driver::role_list(std::vector<std::uint64_t>* roles, bool* null) {
    roles->clear();
    *null = false;
    const std::uint8_t b = in_.u8() % 8;
    if (b == 7) {  // NULL with a count
        *null = true;
        roles->resize(1 + in_.u8() % 3);
        return;
    }
    if (b == 6) {  // one more distinct role than a member may hold
        for (std::uint64_t r = 1; r <= std::min<std::uint64_t>(cfg_.max_roles_per_member + 1, kRoles); ++r)
            roles->push_back(r);
        return;
    }
    for (std::uint8_t i = 0; i < b % 4; ++i) roles->push_back(role_id());
}

std::uint32_t Driver::event_kind() {
    const std::uint8_t b = in_.u8();
    if (b < 240) return 1 + b % 9;
    const std::uint32_t bad[] = {0, 10, UINT32_MAX, 0x80000001u};
    return bad[b % 4];
}

OwnedEvent Driver::event(std::uint32_t kind) {
    OwnedEvent o;
    o.ev.kind = kind;
    o.ev.user_id = user_id();
    switch (kind) {
    case ROSTER_EVENT_STATUS: o.ev.status = status(); break;
    case ROSTER_EVENT_NAME: o.name = name(); break;
    case ROSTER_EVENT_ROLES: role_list(&o.roles, &o.roles_null); break;
    case ROSTER_EVENT_ADD_ROLE:
    case ROSTER_EVENT_REMOVE_ROLE: o.ev.role_id = role_id(); break;
    case ROSTER_EVENT_TOUCH:
    case ROSTER_EVENT_REMOVE: break;
    case ROSTER_EVENT_ADD:
    case ROSTER_EVENT_UPSERT:
        o.name = name();
        role_list(&o.roles, &o.roles_null);
        o.ev.status = status();
        break;
    default:  // unknown kind: garbage everywhere
        o.ev.status = status();
        o.name = name();
        o.ev.role_id = role_id();
        break;
    }
    o.ev.role_count = o.roles.size();
    return o;
}

// ---- calls ------------------------------------------------------------------------

// fuzz_oom: whether the coming call gets an allocation failure, and where.
void Driver::plan_gate() {
    gate.countdown = -1;
    gate.sticky = false;
    gate.failed = false;
    if (!oom_) return;
    const std::uint8_t b = in_.u8();
    if (b < 128) return;
    long k = 1 + in_.u8();
    if (b % 4 == 3) k += 256L * in_.u8();
    gate.countdown = k;
    gate.sticky = b >= 224;
}

// Runs a call into the guild with the gate as planned (the gate stays
// planned for the calls made from inside the callback).
template <class F>
int Driver::call(F&& f) {
    const int saved = gate.paused;
    gate.paused = 0;
    const int rc = f();
    gate.paused = saved;
    return rc;
}

void Driver::on_frame(const roster_frame* f, const std::uint64_t* sessions, std::size_t n,
                      void* self) {
    static_cast<Driver*>(self)->frame(f, sessions, n);
}

void Driver::run() {
    Pause pause;
    // Configuration: small enough that every limit is reached.
    const std::uint32_t thresholds[] = {0, 1, 2, 3, 5, 8, 13, 1000};
    cfg_.offline_threshold = thresholds[in_.u8() % 8];
    cfg_.everyone_view = in_.u8() & 1;
    cfg_.max_members = 4 + in_.u8() % 40;
    cfg_.max_roles = 1 + in_.u8() % 8;
    cfg_.max_roles_per_member = 1 + in_.u8() % 4;
    cfg_.max_lists = in_.u8() % 5;
    cfg_.max_overwrites = in_.u8() % 6;
    cfg_.max_sort_key_bytes = 1 + in_.u8() % 16;
    cfg_.chunk_size = 1 + in_.u8() % 10;
    cfg_.max_ranges = 1 + in_.u8() % 4;
    cfg_.max_range_span = 1 + in_.u8() % 40;
    cfg_.max_session_lists = 1 + in_.u8() % 4;
    const std::uint8_t sessions_byte = in_.u8();
    cfg_.max_sessions = 1 + sessions_byte % 6u;
    // Tail deletes (docs/frames.md §10) from the same byte's top bit: no
    // byte more, so the committed inputs still decode to the same calls.
    cfg_.tail_deletes = sessions_byte >> 7u;
    if (roster_guild_create(&g_, &cfg_) != ROSTER_OK || roster_guild_create(&twin_, &cfg_) != ROSTER_OK)
        fail("guild_create failed on a valid configuration");
    if (roster_guild_set_frame_callback(g_, &Driver::on_frame, this) != ROSTER_OK)
        fail("set_frame_callback failed");
    for (std::uint64_t l = 0; l < kLists; ++l) ids_.lists.insert(l);
    for (std::uint64_t u = 1; u <= kUsers; ++u) ids_.users.insert(u);
    for (std::uint64_t s = 1; s <= kSessions; ++s) ids_.sessions.insert(s);

    while (!in_.empty() && calls_ < 3000) step();

    // Whatever a batch still holds is delivered and checked too.
    gate.countdown = -1;
    op_ = op_commit;
    while (depth_ > 0) {
        const Snap before = before_call();
        ++calls_;
        ++stamp_;
        expect_frames_ = depth_ == 1;
        frames_ = 0;
        callback_rows_.clear();
        seen_.clear();
        const int rc = call([&] { return roster_batch_commit(g_); });
        note("final commit -> %d", rc);
        if (rc != ROSTER_OK) fail("final commit failed");
        --depth_;
        after(rc, true, depth_ == 0, before);
    }
#ifdef FUZZ_FLUSH_STATUS
    if (stale_) {
        expect_frames_ = true;
        frames_ = 0;
        callback_rows_.clear();
        seen_.clear();
        ++stamp_;
        const Snap before = before_call();
        const int rc = call([&] { return roster_guild_flush(g_); });
        note("final flush -> %d", rc);
        if (rc != ROSTER_OK) fail("final roster_guild_flush failed without allocation failures");
        after(rc, true, true, before);
    }
#endif
    twin_sync();
}

void Driver::step() {
    fired_.clear();
    stale_at_start_ = stale_;
    op_ = kTable[in_.u8() % kTableSize];
    plan_gate();
    ++calls_;
    ++stamp_;
    frames_ = 0;
    callback_rows_.clear();
    seen_.clear();
    // Only a call that flushes may deliver frames: a change outside a batch,
    // or the outermost commit.
    switch (op_) {
    case op_event: case op_events_apply: case op_members_add: case op_sort_key:
    case op_role_upsert: case op_role_remove: case op_roles_reorder: case op_list_set:
    case op_list_remove: case op_everyone_view: case op_offline_threshold: case op_subscribe:
    case op_unsubscribe: case op_flush: case op_handoff:
        expect_frames_ = depth_ == 0;
        break;
    case op_commit: expect_frames_ = depth_ == 1; break;
    default: expect_frames_ = false; break;
    }
    switch (op_) {
    case op_event: do_event(); break;
    case op_events_apply: do_events_apply(); break;
    case op_members_add: do_members_add(); break;
    case op_sort_key: do_sort_key(); break;
    case op_role_upsert: do_role_upsert(); break;
    case op_role_remove: do_role_remove(); break;
    case op_roles_reorder: do_roles_reorder(); break;
    case op_list_set: do_list_set(); break;
    case op_list_remove: do_list_remove(); break;
    case op_everyone_view: do_everyone_view(); break;
    case op_offline_threshold: do_offline_threshold(); break;
    case op_begin: do_begin(); break;
    case op_commit: do_commit(); break;
    case op_subscribe: do_subscribe(false); break;
    case op_unsubscribe: do_subscribe(true); break;
    case op_session_remove: do_session_remove(); break;
    case op_query_rows: do_query_rows(); break;
    case op_query_list: do_query_list(); break;
    case op_member_get: do_member_get(); break;
    case op_session_query: do_session_query(); break;
    case op_guild_query: do_guild_query(); break;
    case op_set_callback: do_set_callback(); break;
    case op_null_guild: do_null_guild(); break;
    case op_create: do_create(); break;
    case op_flush: do_flush(); break;
    case op_handoff: do_handoff(); break;
    case op_count: break;
    }
}

// The checks every call ends with. unchanged_on_error: an error return
// means nothing changed. flushes: an OK return means a flush happened (a
// change outside a batch, or the outermost commit).
void Driver::after(int rc, bool unchanged_on_error, bool flushes, const Snap& before, bool query) {
    const bool fired = gate.failed;
    gate.countdown = -1;
    gate.sticky = false;
    gate.failed = false;
    const std::string op = kOpNames[op_];
    fired_ = fired ? "(an allocation failed inside this call, which returned " + std::string(roster_status_str(rc)) + ")\n"
                   : std::string();
    if (!valid_code(rc)) fail(op + ": returned " + std::to_string(rc) + ", not a roster_status");
    if (rc == ROSTER_EINTERNAL) fail(op + ": EINTERNAL");
    if (rc == ROSTER_ENOMEM && !fired) fail(op + ": ENOMEM without an allocation failure");
#ifdef FUZZ_FLUSH_STATUS
    if (rc == ROSTER_EFLUSH) {
        if (!fired) fail(op + ": EFLUSH without an allocation failure");
        stale_ = true;
    }
#endif
    invariants();
    cache_valid_ = false;
    if (query || (rc != ROSTER_OK && !ok_or_flushed(rc) && unchanged_on_error)) {
        if (frames_ != 0)
            fail(op + ": returned " + roster_status_str(rc) + " and delivered " +
                 std::to_string(frames_) + " frames");
        Snap now = snap();
        if (now != before)
            fail(op + (query ? ": a call that changes nothing" : ": returned " + std::string(roster_status_str(rc))) +
                 " changed the guild\n  " + first_difference(before, now));
        cache_ = std::move(now);  // the next call starts from here
        cache_valid_ = true;
    }
    // Rows read inside the callback are the rows of this flush: the call's
    // final state (nothing can change them from inside the callback).
    for (const SeenRows& s : callback_rows_) {
        std::vector<roster_row> rows(s.rows.size() + 1);
        std::size_t count = 0;
        const int r = roster_list_rows(rows.data(), rows.size(), &count, g_, s.list, s.start, s.end);
        rows.resize(std::min(count, rows.size()));
        bool same = r == s.rc && (r != ROSTER_OK || count == s.rows.size());
        for (std::size_t i = 0; same && r == ROSTER_OK && i < count; ++i)
            same = sim::describe(rows[i]) == sim::describe(s.rows[i]);
        if (!same)
            fail(op + ": rows " + std::to_string(s.start) + "-" + std::to_string(s.end) + " of list " +
                 std::to_string(s.list) + " read inside the callback differ from the rows after the call");
    }
    if (flushes && rc == ROSTER_OK && depth_ == 0) stale_ = false;
    if (depth_ == 0 && !stale_) verify();
}

void Driver::invariants() {
    Pause pause;
    std::string why;
    if (!roster::capi::engine_of(g_).check_invariants(&why))
        fail(std::string(kOpNames[op_]) + ": check_invariants: " + why);
    if (!roster::capi::engine_of(twin_).check_invariants(&why))
        fail(std::string(kOpNames[op_]) + ": check_invariants (twin): " + why);
}

// ---- the frame callback -------------------------------------------------------------

void Driver::frame(const roster_frame* f, const std::uint64_t* sessions, std::size_t n) {
    Pause pause;
    ++frames_;
    const std::string op = kOpNames[op_];  // short: no allocation
    if (in_callback_) fail(op + ": a frame delivered from inside the callback");
    if (!callback_set_) fail(op + ": a frame after the callback was cleared");
    if (!expect_frames_) fail(op + ": a frame outside a flush (inside a batch, or a call that does not flush)");
    if (!f) fail(op + ": frame NULL");
    if (n == 0 || !sessions) fail(op + ": a frame for no session");
    if ((f->op_count && !f->ops) || (f->group_count && !f->groups))
        fail(op + ": a frame with NULL arrays");
    // The frame as text, for reports only (the log keeps its size).
    auto text = [&] { return sim::describe(*f); };
    note("  frame list %llu, %zu sessions, %zu groups, %zu ops", static_cast<unsigned long long>(f->list_id), n,
         f->group_count, f->op_count);
    std::vector<std::uint64_t> ids(sessions, sessions + n);
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
        fail(op + ": a session named twice in one frame: " + text());
    for (std::uint64_t s : ids) {
        auto who = [&] { return op + ": session " + std::to_string(s) + ": "; };
        auto sit = subs_.find(s);
        if (sit == subs_.end()) fail(who() + "unknown or removed, got a frame: " + text());
        const Key key{s, f->list_id};
        if (!seen_.insert(key).second) fail(who() + "a second frame for the list in one flush: " + text());
        static const std::vector<roster_range> none;
        auto lit = sit->second.find(f->list_id);
        const std::vector<roster_range>& chunks = lit == sit->second.end() ? none : lit->second;
        delivered_[key] = chunks;
        for (std::size_t k = 0; k < f->op_count; ++k) {
            const roster_op& o = f->ops[k];
            if (o.kind != ROSTER_OP_SYNC) continue;
            const bool inside = std::any_of(chunks.begin(), chunks.end(), [&](const roster_range& r) {
                return r.start <= o.index && o.end <= r.end;
            });
            if (!inside) fail(who() + "a SYNC outside its ranges: " + text());
        }
        if (std::string d = sim::check_clipping(*f, chunks); !d.empty()) fail(who() + d + " in " + text());
        if (blind_.count(key)) continue;
        if (std::string d = replicas_[key].apply(*f, stamp_); !d.empty())
            fail(who() + "malformed frame: " + d + " in " + text());
    }
    in_callback_ = true;
    reenter(*f, sessions, n);
    in_callback_ = false;
}

void Driver::expect_busy(const char* what, int rc, const Snap& before) {
    note("  inside the callback: %s -> %d", what, rc);
    if (rc == ROSTER_ENOMEM && gate.failed) return;  // refused all the same
    if (rc != ROSTER_EBUSY)
        fail(std::string("inside the callback: ") + what + " returned " + roster_status_str(rc) +
             ", expected busy");
    const Snap now = snap();
    if (now != before)
        fail(std::string("inside the callback: ") + what + " was refused but changed the guild\n  " +
             first_difference(before, now));
}

// A call from inside the callback, chosen by the back of the input.
void Driver::reenter(const roster_frame& f, const std::uint64_t* sessions, std::size_t n) {
    const std::uint8_t r = in_.back() % 16;
    const std::uint64_t frames_before = frames_;
    switch (r) {
    case 6:
    case 12: {  // rows of the frame's list: checked against the rows after the call
        SeenRows s;
        s.list = f.list_id;
        s.start = r == 6 ? in_.back() % 32 : 0;
        s.end = r == 6 ? s.start + in_.back() % 16 : UINT32_MAX;
        std::uint32_t len = 0;
        roster_list_length(&len, g_, s.list);
        s.rows.resize(std::min<std::uint32_t>(len, 4096) + 1);
        std::size_t count = 0;
        s.rc = call([&] {
            return roster_list_rows(s.rows.data(), s.rows.size(), &count, g_, s.list, s.start, s.end);
        });
        if (s.rc == ROSTER_ENOMEM && gate.failed) break;
        s.rows.resize(s.rc == ROSTER_OK ? std::min(count, s.rows.size()) : 0);
        note("  inside the callback: rows %u-%u of list %llu -> %d (%zu rows)", s.start, s.end,
             static_cast<unsigned long long>(s.list), s.rc, count);
        callback_rows_.push_back(std::move(s));
        break;
    }
    case 7: {  // a session that gets a frame exists, and its ranges can be read
        for (std::size_t i = 0; i < n; ++i) {
            roster_range r[4];
            std::size_t count = 0;
            const int rc = call([&] { return roster_session_ranges(r, 4, &count, g_, sessions[i], f.list_id); });
            note("  inside the callback: session_ranges %llu -> %d", static_cast<unsigned long long>(sessions[i]), rc);
            if (rc != ROSTER_OK && !(rc == ROSTER_ENOMEM && gate.failed))
                fail("inside the callback: session_ranges of session " + std::to_string(sessions[i]) +
                     ", which got this frame, returned " + roster_status_str(rc));
        }
        break;
    }
    case 8: {  // remove a session: allowed, and it gets no more frames
        const std::uint64_t s = (in_.back() & 1) ? sessions[in_.back() % n] : 1 + in_.back() % kSessions;
        const int rc = call([&] { return roster_session_remove(g_, s); });
        note("  inside the callback: session_remove %llu -> %d", static_cast<unsigned long long>(s), rc);
        if (rc == ROSTER_ENOMEM && gate.failed) break;
        const int want = subs_.count(s) ? ROSTER_OK : ROSTER_ENOTFOUND;
        if (rc != want)
            fail("inside the callback: session_remove " + std::to_string(s) + " returned " +
                 roster_status_str(rc) + ", expected " + roster_status_str(want));
        if (rc == ROSTER_OK) forget_session(s);
        break;
    }
    case 9: {  // unsubscribe: allowed, its INVALIDATE comes before the flush ends
        const std::uint64_t s = (in_.back() & 1) ? sessions[0] : 1 + in_.back() % kSessions;
        const std::uint64_t l = (in_.back() & 1) ? f.list_id : in_.back() % kLists;
        const int rc = call([&] { return roster_session_subscribe(g_, s, l, nullptr, 0); });
        note("  inside the callback: unsubscribe %llu from %llu -> %d",
             static_cast<unsigned long long>(s), static_cast<unsigned long long>(l), rc);
        if (rc == ROSTER_ENOMEM && gate.failed) break;
        if (ok_or_flushed(rc)) {
            auto it = subs_.find(s);
            if (it != subs_.end() && it->second.count(l)) {
                drop(s, l);
                seen_.erase({s, l});
            }
        } else if (rc != ROSTER_ENOTFOUND) {
            fail("inside the callback: unsubscribe returned " + std::string(roster_status_str(rc)));
        }
        break;
    }
    case 10:
    case 11: {  // calls that change the guild or subscribe: refused
        const Snap before = snap();
        const roster_range range{0, 0};
        const roster_role role{1, 0, 0};
        roster_list_rule rule = ROSTER_LIST_RULE_INIT;
        const std::uint8_t which = r == 10 ? 0 : in_.back() % 17;
        int rc = 0;
        const char* what = "";
        call([&] {
            switch (which) {
            case 0: what = "subscribe"; rc = roster_session_subscribe(g_, 1, 0, &range, 1); break;
            case 1: what = "member_set_status"; rc = roster_member_set_status(g_, 1, ROSTER_IDLE); break;
            case 2: what = "member_touch"; rc = roster_member_touch(g_, 1); break;
            case 3: what = "member_add"; rc = roster_member_add(g_, 99, "x", 1, nullptr, 0, ROSTER_ONLINE); break;
            case 4: what = "member_remove"; rc = roster_member_remove(g_, 1); break;
            case 5: what = "role_upsert"; rc = roster_role_upsert(g_, &role); break;
            case 6: what = "role_remove"; rc = roster_role_remove(g_, 1); break;
            case 7: what = "list_set"; rc = roster_list_set(g_, 1, &rule); break;
            case 8: what = "list_remove"; rc = roster_list_remove(g_, 1); break;
            case 9: what = "everyone_view"; rc = roster_guild_set_everyone_view(g_, 1); break;
            case 10: what = "offline_threshold"; rc = roster_guild_set_offline_threshold(g_, 3); break;
            case 11: what = "batch_begin"; rc = roster_batch_begin(g_); break;
            case 12: what = "batch_commit"; rc = roster_batch_commit(g_); break;
            case 13: what = "set_frame_callback"; rc = roster_guild_set_frame_callback(g_, &Driver::on_frame, this); break;
            case 14: what = "events_apply"; rc = roster_events_apply(g_, nullptr, 0, sizeof(roster_event), nullptr); break;
            case 15: what = "members_add"; rc = roster_members_add(g_, nullptr, 0); break;
            default: what = "member_set_sort_key"; rc = roster_member_set_sort_key(g_, 1, nullptr, 0); break;
            }
            return rc;
        });
        expect_busy(what, rc, before);
        break;
    }
    case 13: {
#ifdef FUZZ_FLUSH_STATUS
        const Snap before = snap();
        const int rc = call([&] { return roster_guild_flush(g_); });
        expect_busy("guild_flush", rc, before);
#endif
        break;
    }
    default: break;
    }
    if (frames_ != frames_before) fail("a call from inside the callback delivered a frame");
}

// ---- the model against the guild ------------------------------------------------------

// The session's ranges for every list, against the model.
void Driver::check_ranges(std::uint64_t s) {
    const auto& lists = subs_.at(s);
    std::set<std::uint64_t> ls = ids_.lists;
    for (const auto& [l, chunks] : lists) ls.insert(l);
    for (std::uint64_t l : ls) {
        roster_range got[64];
        std::size_t count = 0;
        const int rc = roster_session_ranges(got, 64, &count, g_, s, l);
        static const std::vector<roster_range> none;
        auto it = lists.find(l);
        const std::vector<roster_range>& want = it == lists.end() ? none : it->second;
        bool same = rc == ROSTER_OK && count == want.size();
        for (std::size_t i = 0; same && i < count; ++i)
            same = got[i].start == want[i].start && got[i].end == want[i].end;
        if (!same) {
            std::string g, w;
            for (std::size_t i = 0; rc == ROSTER_OK && i < std::min<std::size_t>(count, 64); ++i)
                g += "[" + std::to_string(got[i].start) + "," + std::to_string(got[i].end) + "]";
            for (const roster_range& r : want)
                w += "[" + std::to_string(r.start) + "," + std::to_string(r.end) + "]";
            fail(std::string(kOpNames[op_]) + ": session " + std::to_string(s) + " list " +
                 std::to_string(l) + ": ranges " + (rc == ROSTER_OK ? g : roster_status_str(rc)) +
                 ", expected " + w);
        }
    }
}

// After a flush: every session as the model says, every replica exact.
void Driver::verify() {
    Pause pause;
    const std::string op = kOpNames[op_];
    // An ended subscription leaves the client holding none of its rows.
    for (const auto& [key, chunks] : dropped_) {
        auto sit = subs_.find(key.first);
        if ((sit != subs_.end() && sit->second.count(key.second)) || blind_.count(key)) continue;
        auto rit = replicas_.find(key);
        if (rit == replicas_.end()) continue;
        for (const roster_range& r : chunks)
            for (std::uint64_t i = r.start; i <= r.end && i < rit->second.size(); ++i)
                if (rit->second.at(i))
                    fail(op + ": session " + std::to_string(key.first) + " list " + std::to_string(key.second) +
                         ": unsubscribed from [" + std::to_string(r.start) + "," + std::to_string(r.end) +
                         "], but row " + std::to_string(i) + " was never invalidated");
        // Without tail deletes a row pushed past the last chunk may stay
        // (outside every range); with them the client knew only rows of its
        // chunks, and now knows none.
        if (cfg_.tail_deletes)
            for (std::uint64_t i = 0; i < rit->second.size(); ++i)
                if (rit->second.at(i))
                    fail(op + ": session " + std::to_string(key.first) + " list " + std::to_string(key.second) +
                         ": unsubscribed with tail deletes on, but still holds row " + std::to_string(i));
    }
    dropped_.clear();
    // A pair without a subscription over a flush starts afresh.
    for (auto it = replicas_.begin(); it != replicas_.end();) {
        auto sit = subs_.find(it->first.first);
        const bool held = sit != subs_.end() && sit->second.count(it->first.second);
        if (!held) {
            blind_.erase(it->first);
            delivered_.erase(it->first);
            it = replicas_.erase(it);
        } else {
            ++it;
        }
    }
    std::uint32_t count = 0;
    if (roster_guild_session_count(&count, g_) != ROSTER_OK || count != subs_.size())
        fail(op + ": session_count " + std::to_string(count) + ", expected " + std::to_string(subs_.size()));
    for (std::uint64_t s : ids_.sessions) {
        if (subs_.count(s)) continue;
        std::size_t n = 0;
        const int rc = roster_session_ranges(nullptr, 0, &n, g_, s, 0);
        const int want = s == 0 ? ROSTER_EINVAL : ROSTER_ENOTFOUND;
        if (rc != want)
            fail(op + ": session_ranges of session " + std::to_string(s) + ", which the model does not have, returned " +
                 roster_status_str(rc));
    }
    const sim::LatestFn latest = [this](std::uint64_t user) -> std::uint64_t {
        auto it = latest_.find(user);
        return it == latest_.end() ? 0 : it->second;
    };
    std::vector<roster_row> rows;
    std::vector<roster_group> groups(64);
    for (const auto& [s, lists] : subs_) {
        check_ranges(s);
        for (const auto& [l, chunks] : lists) {
            const Key key{s, l};
            if (blind_.count(key)) continue;
            auto who = [&] { return op + ": session " + std::to_string(key.first) + " list " + std::to_string(key.second) + ": "; };
            auto rit = replicas_.find(key);
            if (rit == replicas_.end()) fail(who() + "subscribed, but never got a frame");
            const sim::Replica& rep = rit->second;
            std::uint32_t mc = 0, oc = 0;
            std::size_t gn = 0;
            if (roster_list_counts(&mc, &oc, g_, l) != ROSTER_OK ||
                roster_list_groups(groups.data(), groups.size(), &gn, g_, l) != ROSTER_OK)
                fail(who() + "subscribed to a list the guild does not have");
            // (The replica's own checks word the report; they run when a
            // quicker comparison finds a difference.)
            const std::span<const roster_group> gs(groups.data(), std::min(gn, groups.size()));
            std::uint64_t length = 0;
            bool same = rep.member_count() == mc && rep.online_count() == oc && rep.groups().size() == gs.size();
            for (std::size_t i = 0; same && i < gs.size(); ++i) {
                same = rep.groups()[i].id == gs[i].id && rep.groups()[i].count == gs[i].count;
                length += gs[i].count + 1;
            }
            if (!same || rep.size() != length) fail(who() + rep.check_counts(mc, oc, gs));
            for (const roster_range& r : chunks) {
                std::uint32_t len = 0;
                roster_list_length(&len, g_, l);
                rows.resize(std::min<std::uint64_t>(len, std::uint64_t{r.end} - r.start + 1) + 1);
                std::size_t n = 0;
                if (roster_list_rows(rows.data(), rows.size(), &n, g_, l, r.start, r.end) != ROSTER_OK)
                    fail(who() + "list_rows failed");
                rows.resize(std::min(n, rows.size()));
                bool exact = true;
                for (std::size_t k = 0; exact && k < rows.size(); ++k) {
                    const sim::Cell* c = rep.at(std::size_t{r.start} + k);
                    exact = c && c->row.kind == rows[k].kind && c->row.group == rows[k].group &&
                            c->row.user == rows[k].user && c->row.count == rows[k].count &&
                            (rows[k].kind != ROSTER_ROW_MEMBER || c->stamp >= latest(rows[k].user));
                }
                if (!exact)
                    fail(who() + "range [" + std::to_string(r.start) + "," + std::to_string(r.end) + "] " +
                         rep.check_range(r, rows, latest));
            }
        }
    }
}

// A removed session: the model and its clients forget it (an id used
// again is a new session).
void Driver::forget_session(std::uint64_t s) {
    subs_.erase(s);
    for (auto it = replicas_.begin(); it != replicas_.end();)
        it = it->first.first == s ? replicas_.erase(it) : std::next(it);
    std::erase_if(blind_, [&](const Key& k) { return k.first == s; });
    std::erase_if(delivered_, [&](const auto& e) { return e.first.first == s; });
}

void Driver::drop(std::uint64_t s, std::uint64_t l) {
    auto it = subs_.find(s);
    if (it == subs_.end()) return;
    auto lit = it->second.find(l);
    if (lit == it->second.end()) return;
    // The rows its client was given are those of the ranges of its last
    // frame, not of ranges set since (they were never sent).
    auto& d = dropped_[{s, l}];
    if (auto dit = delivered_.find({s, l}); dit != delivered_.end())
        d.insert(d.end(), dit->second.begin(), dit->second.end());
    it->second.erase(lit);
}

// ---- the twin -----------------------------------------------------------------------------

// A change the guild made (or refused) is made on the twin with the same
// arguments, once the member events before it have reached the twin.
void Driver::twin_mirror(const char* what, int rc, int twin_rc) {
    int want = rc;
#ifdef FUZZ_FLUSH_STATUS
    if (want == ROSTER_EFLUSH) want = ROSTER_OK;
#endif
    if (twin_rc != want)
        fail(std::string(what) + ": the guild returned " + roster_status_str(rc) +
             ", the twin " + roster_status_str(twin_rc));
}

// The twin makes the change the guild made (or refuses it the same way),
// unless the guild ran out of memory (and so changed nothing).
template <class F>
void Driver::mirror(const char* what, int rc, F&& twin_call) {
    if (rc == ROSTER_ENOMEM) return;
    Pause pause;
    twin_mirror(what, rc, twin_call());
    twin_compare();
}

// The pending member events reach the twin in one call; then both must
// read the same.
void Driver::twin_sync() {
    if (pending_.empty()) return;
    Pause pause;
    std::set<std::uint64_t> ids;
    bool adds = pending_.size() >= 2;
    for (const Pending& p : pending_)
        adds = adds && p.e.ev.kind == ROSTER_EVENT_ADD && p.expected == ROSTER_OK &&
               ids.insert(p.e.ev.user_id).second;
    if (adds && (twin_syncs_++ & 1) == 0) {
        std::vector<roster_member_spec> specs;
        for (const Pending& p : pending_) {
            const roster_event e = p.e.get();
            specs.push_back({e.user_id, e.name, e.name_len, e.roles, e.role_count, e.status});
        }
        const int rc = roster_members_add(twin_, specs.data(), specs.size());
        note("twin: members_add of %zu -> %d", specs.size(), rc);
        if (rc != ROSTER_OK)
            fail("twin: roster_members_add of " + std::to_string(specs.size()) +
                 " members the guild added one at a time returned " + roster_status_str(rc));
    } else {
        std::vector<roster_event> evs;
        for (const Pending& p : pending_) evs.push_back(p.e.get());
        std::vector<int> st(evs.size(), 12345);
        const int rc = roster_events_apply(twin_, evs.data(), evs.size(), sizeof(roster_event), st.data());
        note("twin: events_apply of %zu -> %d", evs.size(), rc);
        int first = ROSTER_OK;
        for (std::size_t i = 0; i < evs.size(); ++i) {
            if (st[i] != pending_[i].expected)
                fail("twin: event " + std::to_string(i) + " of " + std::to_string(evs.size()) +
                     " (kind " + std::to_string(evs[i].kind) + ", user " + std::to_string(evs[i].user_id) +
                     ") returned " + roster_status_str(st[i]) + " from roster_events_apply, " +
                     roster_status_str(pending_[i].expected) + " from its own call");
            if (first == ROSTER_OK) first = st[i];
        }
        if (rc != first)
            fail("twin: roster_events_apply returned " + std::string(roster_status_str(rc)) +
                 ", its first failed event " + roster_status_str(first));
    }
    pending_.clear();
    twin_compare();
}

void Driver::twin_compare() {
    const Snap a = snapshot(g_, ids_, false), b = snapshot(twin_, ids_, false);
    if (a != b)
        fail("the twin (same events, the other way round) reads differently (before: the guild, after: the twin)\n  " +
             first_difference(a, b));
}

// ---- the calls -----------------------------------------------------------------------------

void Driver::do_event() {
    const OwnedEvent o = event(event_kind());
    const roster_event e = o.get();
    const Snap before = before_call();
    const Snap data = member_text(e.user_id);
    const int rc = call([&] { return single_call(g_, e); });
    note("event kind %u user %llu status %d name %s roles %zu%s role %llu -> %d", e.kind,
         static_cast<unsigned long long>(e.user_id), e.status,
         o.name.null ? "NULL" : hex(o.name.bytes).substr(0, 40).c_str(), e.role_count,
         o.roles_null ? " NULL" : "", static_cast<unsigned long long>(e.role_id), rc);
    if (ok_or_flushed(rc)) {
        if (e.kind == ROSTER_EVENT_TOUCH || member_text(e.user_id) != data) touched(e.user_id);
        if (e.kind == ROSTER_EVENT_ADD || e.kind == ROSTER_EVENT_UPSERT) ids_.users.insert(e.user_id);
    }
    if (rc != ROSTER_ENOMEM) {
        int want = rc;
#ifdef FUZZ_FLUSH_STATUS
        if (want == ROSTER_EFLUSH) want = ROSTER_OK;
#endif
        pending_.push_back({o, want});
        if (pending_.size() >= 16) twin_sync();
    }
    after(rc, true, true, before);
}

void Driver::do_events_apply() {
    const std::uint8_t shape = in_.u8();
    std::size_t count = shape % 10;
    const bool events_null = count == 9;
    if (events_null) count = 3;
    std::size_t size = sizeof(roster_event);
    switch ((shape >> 4) % 8) {
    case 6: size += 8; break;  // a caller built with a bigger struct
    case 7: {
        const std::size_t bad[] = {sizeof(roster_event) - 8, sizeof(roster_event) + 4, 0, 1};
        size = bad[in_.u8() % 4];
        break;
    }
    default: break;
    }
    // (fuzz_oom needs the statuses: without them an ENOMEM does not say
    // which events stand, and the twin could not follow.)
    const bool statuses_null = (shape & 0x80) && (shape & 0x08) && !oom_;
    std::vector<OwnedEvent> owned;
    for (std::size_t i = 0; i < count && !events_null; ++i) owned.push_back(event(event_kind()));
    // Laid out at the caller's stride.
    const std::size_t stride = std::max(size, sizeof(roster_event));
    std::vector<std::uint64_t> buf((stride * std::max<std::size_t>(count, 1) + 7) / 8 + 1, 0xA5A5A5A5A5A5A5A5u);
    for (std::size_t i = 0; i < owned.size(); ++i) {
        const roster_event e = owned[i].get();
        std::memcpy(reinterpret_cast<char*>(buf.data()) + i * stride, &e, sizeof e);
    }
    std::vector<int> st(count, 12345);
    const bool call_error = events_null || size < sizeof(roster_event) || size % alignof(roster_event) != 0;
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    std::map<std::uint64_t, Snap> data;
    for (const OwnedEvent& o : owned) data[o.ev.user_id] = member_text(o.ev.user_id);
    const roster_event* events = events_null ? nullptr : reinterpret_cast<const roster_event*>(buf.data());
    const int rc = call([&] {
        return roster_events_apply(g_, events, count, size, statuses_null ? nullptr : st.data());
    });
    note("events_apply count %zu size %zu%s%s -> %d", count, size, events_null ? " events NULL" : "",
         statuses_null ? " statuses NULL" : "", rc);
    for (std::size_t i = 0; i < owned.size() && !statuses_null; ++i)
        note("  event %zu: kind %u user %llu -> %d", i, owned[i].ev.kind,
             static_cast<unsigned long long>(owned[i].ev.user_id), st[i]);
    bool unchanged = true;
    // The call flushes (outside a batch) when at least one event applied;
    // without the statuses that is known only when all did.
    bool applied = statuses_null && !call_error && count > 0 && (rc == ROSTER_OK || rc == ROSTER_EFLUSH);
    if (call_error) {
        if (rc != ROSTER_EINVAL) fail("events_apply: a call error returned " + std::string(roster_status_str(rc)));
        for (int s : st)
            if (s != 12345) fail("events_apply: statuses written on a call error");
    } else if (rc != ROSTER_ENOMEM || !statuses_null) {
        int first = ROSTER_OK;
        for (std::size_t i = 0; i < count && !statuses_null; ++i) {
            if (!valid_code(st[i]) || st[i] == 12345) fail("events_apply: status " + std::to_string(i) + " not written");
            if (ok_or_flushed(st[i])) {
                unchanged = false;
                applied = true;
                if (owned[i].ev.kind == ROSTER_EVENT_TOUCH) touched(owned[i].ev.user_id);
                if (owned[i].ev.kind == ROSTER_EVENT_ADD || owned[i].ev.kind == ROSTER_EVENT_UPSERT)
                    ids_.users.insert(owned[i].ev.user_id);
            }
            if (first == ROSTER_OK) first = st[i];
        }
        if (statuses_null) unchanged = rc != ROSTER_OK && count == 1;
        for (const auto& [user, text] : data)
            if (member_text(user) != text) touched(user);
        bool agree = statuses_null || rc == first;
#ifdef FUZZ_FLUSH_STATUS
        // EFLUSH takes precedence over the events' own failures (roster.h).
        agree = agree || rc == ROSTER_EFLUSH;
#endif
        if (!agree)
            fail("events_apply returned " + std::string(roster_status_str(rc)) + ", its first failed event " +
                 roster_status_str(first));
        // The twin gets the same events one call at a time.
        Pause pause;
        for (std::size_t i = 0; i < owned.size(); ++i) {
            if (!statuses_null && st[i] == ROSTER_ENOMEM) continue;
            const int t = single_call(twin_, owned[i].get());
            if (!statuses_null) twin_mirror("events_apply (one event)", st[i], t);
        }
        twin_compare();
    }
    after(rc, unchanged, applied, before);
}

void Driver::do_members_add() {
    const std::uint8_t shape = in_.u8();
    std::size_t count = shape % 8;
    std::vector<OwnedEvent> owned;
    bool null = false;
    if (count == 7) {
        null = true;
        count = 2;
    } else if (count == 6) {  // one more fresh member than the guild may hold
        std::uint32_t n = 0;
        roster_guild_member_count(&n, g_);
        count = cfg_.max_members - std::min(n, cfg_.max_members) + 1;
        for (std::size_t i = 0; i < count; ++i) {
            OwnedEvent o;
            o.ev.kind = ROSTER_EVENT_ADD;
            o.ev.user_id = 1000 + i;
            o.name.bytes = kNames[i % kNameCount];
            o.ev.status = static_cast<int32_t>(i % 4);
            owned.push_back(o);
        }
    } else {
        for (std::size_t i = 0; i < count; ++i) owned.push_back(event(ROSTER_EVENT_ADD));
    }
    std::vector<roster_member_spec> specs;
    for (const OwnedEvent& o : owned) {
        const roster_event e = o.get();
        specs.push_back({e.user_id, e.name, e.name_len, e.roles, e.role_count, e.status});
    }
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_members_add(g_, null ? nullptr : specs.data(), count); });
    note("members_add count %zu%s -> %d", count, null ? " NULL" : "", rc);
    if (ok_or_flushed(rc)) {
        for (const OwnedEvent& o : owned) {
            touched(o.ev.user_id);
            ids_.users.insert(o.ev.user_id);
        }
        Pause pause;
        for (const OwnedEvent& o : owned) twin_mirror("members_add (one member)", ROSTER_OK, single_call(twin_, o.get()));
        twin_compare();
    }
    after(rc, true, true, before);
}

void Driver::do_sort_key() {
    const std::uint64_t user = user_id();
    const std::uint8_t b = in_.u8();
    std::string key;
    bool null = false;
    switch (b % 6) {
    case 0: null = true; break;  // back to the default
    case 1: break;                // empty: invalid
    case 2: key = in_.bytes(1 + in_.u8() % 20); break;
    case 3: key.assign(cfg_.max_sort_key_bytes + 1u, 'k'); break;
    default: {
        const std::string keys[] = {"a", "b", "zz", std::string(1, '\0'), "\xff\xff", "m"};
        key = keys[in_.u8() % 6];
        break;
    }
    }
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_member_set_sort_key(g_, user, null ? nullptr : key.data(), key.size()); });
    note("sort_key user %llu key %s -> %d", static_cast<unsigned long long>(user), null ? "NULL" : hex(key).c_str(), rc);
    if (ok_or_flushed(rc)) touched(user);
    mirror("sort_key", rc, [&] { return roster_member_set_sort_key(twin_, user, null ? nullptr : key.data(), key.size()); });
    after(rc, true, true, before);
}

void Driver::do_role_upsert() {
    const std::uint8_t b = in_.u8();
    roster_role role{};
    role.id = role_id();
    const std::uint8_t p = in_.u8();
    role.position = p < 250 ? static_cast<std::int32_t>(p % 16) - 4 : (p % 2 ? INT32_MAX : INT32_MIN);
    const std::uint8_t f = in_.u8();
    role.flags = f < 240 ? f % 8u : (f % 2 ? 8u : UINT32_MAX);
    const bool null = b == 255;
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_role_upsert(g_, null ? nullptr : &role); });
    note("role_upsert id %llu pos %d flags %u%s -> %d", static_cast<unsigned long long>(role.id), role.position,
         role.flags, null ? " NULL" : "", rc);
    mirror("role_upsert", rc, [&] { return roster_role_upsert(twin_, null ? nullptr : &role); });
    after(rc, true, true, before);
}

void Driver::do_role_remove() {
    const std::uint64_t id = role_id();
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_role_remove(g_, id); });
    note("role_remove %llu -> %d", static_cast<unsigned long long>(id), rc);
    mirror("role_remove", rc, [&] { return roster_role_remove(twin_, id); });
    after(rc, true, true, before);
}

void Driver::do_roles_reorder() {
    const std::uint8_t b = in_.u8();
    std::size_t count = b % 6;
    std::vector<std::uint64_t> ids;
    std::vector<std::int32_t> pos;
    for (std::size_t i = 0; i < count; ++i) {
        ids.push_back(role_id());
        pos.push_back(static_cast<std::int32_t>(in_.u8() % 16) - 4);
    }
    const bool ids_null = (b >> 4) == 15 && count;
    const bool pos_null = (b >> 4) == 14 && count;
    const std::uint64_t* ip = ids_null ? nullptr : ids.data();
    const std::int32_t* pp = pos_null ? nullptr : pos.data();
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_roles_reorder(g_, ip, pp, count); });
    note("roles_reorder count %zu%s%s -> %d", count, ids_null ? " ids NULL" : "", pos_null ? " positions NULL" : "", rc);
    mirror("roles_reorder", rc, [&] { return roster_roles_reorder(twin_, ip, pp, count); });
    after(rc, true, true, before);
}

void Driver::do_list_set() {
    const std::uint64_t id = list_id();
    const std::uint8_t b = in_.u8();
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    const std::int32_t everyone[] = {ROSTER_OVERWRITE_NONE, ROSTER_OVERWRITE_ALLOW, ROSTER_OVERWRITE_DENY,
                                     ROSTER_OVERWRITE_DENY, ROSTER_OVERWRITE_ALLOW, ROSTER_OVERWRITE_NONE,
                                     -1, 3};
    rule.everyone = everyone[b % 8];
    if ((b >> 3) % 8 == 7) rule.size = static_cast<std::uint32_t>(sizeof(roster_list_rule) - 1 - in_.u8() % 8);
    if ((b >> 3) % 8 == 6) rule.size = static_cast<std::uint32_t>(sizeof(roster_list_rule) + 8);
    std::vector<roster_overwrite> roles, members;
    const std::uint8_t c = in_.u8();
    const std::size_t nr = c % 5, nm = (c >> 3) % 5;
    auto allow = [&] {
        const std::uint8_t a = in_.u8();
        return a < 250 ? static_cast<std::int32_t>(a % 2) : (a % 2 ? 2 : -1);
    };
    for (std::size_t i = 0; i < nr; ++i) roles.push_back({role_id(), allow()});
    for (std::size_t i = 0; i < nm; ++i) members.push_back({user_id(), allow()});
    if (c >> 6 == 3) {  // one overwrite more than a list may have
        roles.clear();
        for (std::uint64_t r = 1; r <= cfg_.max_overwrites + 1u; ++r) roles.push_back({r, 1});
    }
    rule.roles = roles.empty() ? nullptr : roles.data();
    rule.role_count = roles.size();
    rule.members = members.empty() ? nullptr : members.data();
    rule.member_count = members.size();
    if ((b >> 6) == 3 && in_.u8() % 2) rule.roles = nullptr;  // NULL with a count
    const bool null = b == 0xff;
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_list_set(g_, id, null ? nullptr : &rule); });
    note("list_set %llu size %u everyone %d roles %zu%s members %zu%s -> %d", static_cast<unsigned long long>(id),
         rule.size, rule.everyone, rule.role_count, rule.roles ? "" : " NULL", rule.member_count,
         rule.members ? "" : " NULL", rc);
    if (ok_or_flushed(rc)) ids_.lists.insert(id);
    mirror("list_set", rc, [&] { return roster_list_set(twin_, id, null ? nullptr : &rule); });
    after(rc, true, true, before);
}

void Driver::do_list_remove() {
    const std::uint64_t id = list_id();
    // Subscriptions to the list end with it: the model drops them before the
    // call (its frames are judged by that), and takes them back on failure.
    const Subs saved = subs_;
    const auto saved_dropped = dropped_;
    for (const auto& entry : saved) drop(entry.first, id);
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_list_remove(g_, id); });
    note("list_remove %llu -> %d", static_cast<unsigned long long>(id), rc);
    if (!ok_or_flushed(rc)) {
        subs_ = saved;
        dropped_ = saved_dropped;
    }
    mirror("list_remove", rc, [&] { return roster_list_remove(twin_, id); });
    after(rc, true, true, before);
}

void Driver::do_everyone_view() {
    const int views[] = {0, 1, 0, 1, 0, 1, 2, -1};
    const int view = views[in_.u8() % 8];
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_guild_set_everyone_view(g_, view); });
    note("everyone_view %d -> %d", view, rc);
    mirror("everyone_view", rc, [&] { return roster_guild_set_everyone_view(twin_, view); });
    after(rc, true, true, before);
}

void Driver::do_offline_threshold() {
    const std::uint8_t b = in_.u8();
    const std::uint32_t values[] = {0, 1, 2, 3, 5, 8, 13, 21, 1000, UINT32_MAX};
    const std::uint32_t t = b < 250 ? values[b % 10] : in_.u32();
    twin_sync();  // the twin catches up first: the call below is compared on both
    const Snap before = before_call();
    const int rc = call([&] { return roster_guild_set_offline_threshold(g_, t); });
    note("offline_threshold %u -> %d", t, rc);
    mirror("offline_threshold", rc, [&] { return roster_guild_set_offline_threshold(twin_, t); });
    after(rc, true, true, before);
}

void Driver::do_begin() {
    const Snap before = before_call();
    const int rc = call([&] { return roster_batch_begin(g_); });
    note("batch_begin (depth %u) -> %d", depth_, rc);
    if (rc == ROSTER_OK) ++depth_;
    else if (rc != ROSTER_ENOMEM) fail("batch_begin returned " + std::string(roster_status_str(rc)));
    after(rc, true, false, before);
}

void Driver::do_commit() {
    const Snap before = before_call();
    const int rc = call([&] { return roster_batch_commit(g_); });
    note("batch_commit (depth %u) -> %d", depth_, rc);
    if (depth_ == 0) {
        if (rc != ROSTER_EINVAL) fail("batch_commit without begin returned " + std::string(roster_status_str(rc)));
    } else if (ok_or_flushed(rc)) {
        --depth_;
    } else if (rc != ROSTER_ENOMEM) {
        fail("batch_commit returned " + std::string(roster_status_str(rc)));
    }
    after(rc, true, true, before);
}

void Driver::do_subscribe(bool unsubscribe) {
    const std::uint64_t s = session_id();
    const std::uint64_t l = list_id();
    std::vector<roster_range> ranges;
    bool null = false;
    if (unsubscribe) {
        null = in_.u8() % 2;
    } else {
        const std::uint8_t b = in_.u8();
        std::size_t count = b % 5;
        if (count == 4) count = cfg_.max_ranges + 1;  // past the limit
        else count += 1;
        null = b >= 250;
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint8_t k = in_.u8() % 8;
            roster_range r{};
            switch (k) {
            case 4: r.start = in_.u8(); r.end = r.start + in_.u8() % (cfg_.max_range_span + 3); break;
            case 5: r.end = in_.u8() % 64; r.start = r.end + in_.u8() % (cfg_.max_range_span + 2); break;  // reversed
            case 6: r.end = UINT32_MAX; r.start = UINT32_MAX - in_.u8(); break;
            case 7: r.start = 0; r.end = UINT32_MAX; break;
            default: r.start = in_.u8() % 64; r.end = r.start + in_.u8() % (cfg_.max_range_span + 1); break;
            }
            ranges.push_back(r);
        }
    }
    // The model changes first: the call's own frames are judged by it.
    const Subs saved = subs_;
    const auto saved_dropped = dropped_;
    if (unsubscribe) {
        drop(s, l);
    } else {
        subs_[s][l] = sim::normalise_ranges(ranges, cfg_.chunk_size);
    }
    const Snap before = before_call();
    const roster_range dummy{0, 0};
    const roster_range* rp = null ? nullptr : (ranges.empty() ? &dummy : ranges.data());
    const int rc = call([&] { return roster_session_subscribe(g_, s, l, rp, ranges.size()); });
    std::string text;
    for (const roster_range& r : ranges) text += "[" + std::to_string(r.start) + "," + std::to_string(r.end) + "]";
    note("subscribe session %llu list %llu %s%s -> %d", static_cast<unsigned long long>(s),
         static_cast<unsigned long long>(l), text.c_str(), null ? " NULL" : "", rc);
    if (!ok_or_flushed(rc)) {
        subs_ = saved;
        dropped_ = saved_dropped;
    } else {
        ids_.sessions.insert(s);
        ids_.lists.insert(l);
        if (!callback_set_ && !unsubscribe) blind_.insert({s, l});
    }
    after(rc, true, true, before);
}

void Driver::do_session_remove() {
    const std::uint64_t s = session_id();
    const Snap before = before_call();
    const int rc = call([&] { return roster_session_remove(g_, s); });
    note("session_remove %llu -> %d", static_cast<unsigned long long>(s), rc);
    const int want = s == 0 ? ROSTER_EINVAL : subs_.count(s) ? ROSTER_OK : ROSTER_ENOTFOUND;
    if (rc != want && rc != ROSTER_ENOMEM)
        fail("session_remove " + std::to_string(s) + " returned " + roster_status_str(rc) + ", expected " +
             roster_status_str(want));
    if (rc == ROSTER_OK) forget_session(s);
    after(rc, true, false, before);
}

// roster_list_rows with every kind of window and buffer, against a full read.
void Driver::do_query_rows() {
    const std::uint64_t l = list_id();
    const std::uint8_t b = in_.u8();
    std::uint32_t start = in_.u8() % 48, end = start + in_.u8() % 24;
    switch (b % 8) {
    case 5: std::swap(start, end); if (start == end) ++start; break;  // reversed: invalid
    case 6: end = UINT32_MAX; break;
    case 7: start = UINT32_MAX - in_.u8(); end = UINT32_MAX; break;
    default: break;
    }
    const std::size_t caps[] = {0, 1, 3, 8, 64, 64, 64, 64};
    const std::size_t cap = caps[(b >> 3) % 8];
    const bool out_null = (b >> 6) == 3 && cap > 0 && in_.u8() % 2;
    const bool count_null = (b >> 6) == 2 && in_.u8() % 4 == 0;
    std::vector<roster_row> out(64 + 1);
    const roster_row canary{77, 77, 77, 77};
    std::fill(out.begin(), out.end(), canary);
    std::size_t count = 999999;
    const Snap before = before_call();
    const int rc = call([&] {
        return roster_list_rows(out_null ? nullptr : out.data(), cap, count_null ? nullptr : &count, g_, l, start, end);
    });
    note("list_rows list %llu %u-%u cap %zu%s%s -> %d (%zu)", static_cast<unsigned long long>(l), start, end, cap,
         out_null ? " out NULL" : "", count_null ? " count NULL" : "", rc, count);
    std::uint32_t len = 0;
    const int lrc = roster_list_length(&len, g_, l);
    int want = lrc;
    if (out_null || count_null || end < start) want = ROSTER_EINVAL;
    if (rc != want && rc != ROSTER_ENOMEM)
        fail("list_rows returned " + std::string(roster_status_str(rc)) + ", expected " + roster_status_str(want));
    if (rc == ROSTER_OK) {
        const std::uint64_t total = start >= len ? 0 : std::min<std::uint64_t>(end, len - 1) - start + 1;
        if (count != total)
            fail("list_rows: count " + std::to_string(count) + ", expected " + std::to_string(total));
        std::vector<roster_row> all(len + 1);
        std::size_t n = 0;
        if (len) roster_list_rows(all.data(), all.size(), &n, g_, l, 0, len - 1);
        for (std::size_t i = 0; i < out.size(); ++i) {
            const bool written = i < std::min<std::uint64_t>(cap, total);
            const std::string got = sim::describe(out[i]);
            const std::string want_row = written ? sim::describe(all[start + i]) : sim::describe(canary);
            if (got != want_row || (!written && out[i].user != 77))
                fail("list_rows: entry " + std::to_string(i) + " is " + got + ", expected " + want_row);
        }
    }
    after(rc, true, false, before, true);
}

// Length, counts, groups and index_of agree with the rows.
void Driver::do_query_list() {
    const std::uint64_t l = list_id();
    const std::uint64_t u = user_id();
    const std::uint8_t b = in_.u8();
    const Snap before = before_call();
    std::uint32_t len = 0, mc = 0, oc = 0, index = 0;
    roster_group groups[64];
    std::size_t gn = 0;
    const std::size_t gcap = b % 4 == 0 ? 1 : 64;
    int rcs[4];
    call([&] {
        rcs[0] = roster_list_length(&len, g_, l);
        rcs[1] = roster_list_counts(&mc, &oc, g_, l);
        rcs[2] = roster_list_groups(groups, gcap, &gn, g_, l);
        rcs[3] = roster_list_index_of(&index, g_, l, u);
        return 0;
    });
    note("list queries list %llu user %llu -> %d %d %d %d", static_cast<unsigned long long>(l),
         static_cast<unsigned long long>(u), rcs[0], rcs[1], rcs[2], rcs[3]);
    for (int rc : rcs)
        if (!valid_code(rc) || rc == ROSTER_EINTERNAL || (rc == ROSTER_ENOMEM && !gate.failed))
            fail("list query returned " + std::to_string(rc));
    if (!gate.failed) {
        if (rcs[0] != rcs[1] || rcs[0] != rcs[2] ||
            (rcs[3] != ROSTER_OK && rcs[3] != ROSTER_ENOTFOUND && !(u == 0 && rcs[3] == ROSTER_EINVAL)))
            fail("list queries disagree on whether list " + std::to_string(l) + " exists");
        if (rcs[0] == ROSTER_OK) {
            std::uint64_t sum = 0, members = 0;
            for (std::size_t i = 0; i < std::min(gn, gcap); ++i) {
                sum += groups[i].count + 1;
                members += groups[i].count;
            }
            if (gcap >= gn && sum != len)
                fail("list " + std::to_string(l) + ": length " + std::to_string(len) + ", groups imply " + std::to_string(sum));
            if (oc > mc || members > mc)
                fail("list " + std::to_string(l) + ": counts " + std::to_string(mc) + "/" + std::to_string(oc) +
                     " with " + std::to_string(members) + " members shown");
            std::vector<roster_row> rows(len + 1);
            std::size_t n = 0;
            if (len) roster_list_rows(rows.data(), rows.size(), &n, g_, l, 0, len - 1);
            std::size_t at = n;
            for (std::size_t i = 0; i < n; ++i)
                if (rows[i].kind == ROSTER_ROW_MEMBER && rows[i].user == u) at = i;
            if (rcs[3] == ROSTER_OK && (at == n || at != index))
                fail("index_of user " + std::to_string(u) + " in list " + std::to_string(l) + " is " +
                     std::to_string(index) + ", the rows have it at " + (at == n ? "none" : std::to_string(at)));
            if (rcs[3] == ROSTER_ENOTFOUND && at != n)
                fail("index_of user " + std::to_string(u) + ": not found, the rows have it at " + std::to_string(at));
        }
    }
    after(ROSTER_OK, true, false, before, true);
}

void Driver::do_member_get() {
    const std::uint64_t u = user_id();
    const std::uint8_t b = in_.u8();
    const std::size_t caps[] = {0, 1, 2, 8};
    const std::size_t cap = caps[b % 4];
    const bool roles_null = (b >> 2) % 8 == 7 && cap > 0;
    const bool out_null = (b >> 5) == 7;
    const bool count_null = (b >> 5) == 6;
    roster_member_info info{};
    std::uint64_t roles[9];
    std::fill(std::begin(roles), std::end(roles), 0xC0FFEEu);
    std::size_t rn = 999;
    const Snap before = before_call();
    const int rc = call([&] {
        return roster_member_get(out_null ? nullptr : &info, roles_null ? nullptr : roles, cap,
                                 count_null ? nullptr : &rn, g_, u);
    });
    note("member_get %llu cap %zu -> %d", static_cast<unsigned long long>(u), cap, rc);
    if ((out_null || roles_null) && rc != ROSTER_EINVAL)
        fail("member_get with NULL out or roles returned " + std::string(roster_status_str(rc)));
    if (rc == ROSTER_OK) {
        if (info.id != u || info.status < 0 || info.status > 3 || !info.name || info.name_len == 0 || info.name_len > 128)
            fail("member_get " + std::to_string(u) + ": bad info");
        if (!count_null) {
            for (std::size_t i = 0; i < 9; ++i) {
                const bool written = i < std::min(cap, rn);
                if (!written && roles[i] != 0xC0FFEEu) fail("member_get wrote past cap");
                if (written && i && roles[i - 1] >= roles[i]) fail("member_get: roles not ascending");
            }
        }
        // Its row in list 0 shows the same group.
        std::uint32_t index = 0;
        if (roster_list_index_of(&index, g_, 0, u) == ROSTER_OK) {
            roster_row row{};
            std::size_t n = 0;
            roster_list_rows(&row, 1, &n, g_, 0, index, index);
            if (n != 1 || row.user != u || row.group != info.group)
                fail("member_get " + std::to_string(u) + ": group differs from its row in list 0");
        }
    }
    after(rc, true, false, before, true);
}

void Driver::do_session_query() {
    const std::uint64_t s = session_id();
    const std::uint64_t l = list_id();
    const std::uint8_t b = in_.u8();
    const std::size_t cap = b % 3;
    roster_range out[4];
    const roster_range canary{123, 456};
    std::fill(std::begin(out), std::end(out), canary);
    std::size_t count = 999;
    const bool null = (b >> 2) % 8 == 7 && cap > 0;
    const Snap before = before_call();
    const int rc = call([&] { return roster_session_ranges(null ? nullptr : out, cap, &count, g_, s, l); });
    note("session_ranges session %llu list %llu cap %zu -> %d (%zu)", static_cast<unsigned long long>(s),
         static_cast<unsigned long long>(l), cap, rc, count);
    if (rc != ROSTER_ENOMEM) {
        int want = s == 0 || null ? ROSTER_EINVAL : subs_.count(s) ? ROSTER_OK : ROSTER_ENOTFOUND;
        if (rc != want)
            fail("session_ranges returned " + std::string(roster_status_str(rc)) + ", expected " + roster_status_str(want));
        if (rc == ROSTER_OK && depth_ == 0) {
            const auto& lists = subs_.at(s);
            auto lit = lists.find(l);
            const std::size_t total = lit == lists.end() ? 0 : lit->second.size();
            if (count != total) fail("session_ranges: count " + std::to_string(count) + ", expected " + std::to_string(total));
            for (std::size_t i = 0; i < 4; ++i) {
                const bool written = i < std::min(cap, total);
                if (written && (out[i].start != lit->second[i].start || out[i].end != lit->second[i].end))
                    fail("session_ranges: wrong range");
                if (!written && (out[i].start != canary.start || out[i].end != canary.end))
                    fail("session_ranges wrote past cap");
            }
        }
    }
    after(rc, true, false, before, true);
}

void Driver::do_guild_query() {
    const int code = static_cast<int>(in_.u32());
    const Snap before = before_call();
    std::uint32_t members = 0, sessions = 0;
    int rcs[2];
    call([&] {
        rcs[0] = roster_guild_member_count(&members, g_);
        rcs[1] = roster_guild_session_count(&sessions, g_);
        return 0;
    });
    note("member_count -> %d %u, session_count -> %d %u", rcs[0], members, rcs[1], sessions);
    if (rcs[0] != ROSTER_OK || rcs[1] != ROSTER_OK) fail("guild counts failed");
    if (sessions != subs_.size()) fail("session_count " + std::to_string(sessions) + ", expected " + std::to_string(subs_.size()));
    std::uint32_t len = 0;
    roster_list_length(&len, g_, 0);
    std::size_t shown = 0;
    roster_group groups[64];
    roster_list_groups(groups, 64, &shown, g_, 0);
    std::uint64_t listed = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(shown, 64); ++i) listed += groups[i].count;
    if (listed > members) fail("list 0 shows more members than the guild has");
    if (roster_version_number() != ROSTER_VERSION_NUMBER ||
        std::strcmp(roster_version_string(), ROSTER_VERSION_STRING) != 0)
        fail("version mismatch");
    const char* s = roster_status_str(code);
    if (!s || !*s) fail("status_str returned nothing");
    for (int c = 0; c >= -9; --c)
        if (std::strcmp(roster_status_str(c), "unknown status") == 0) fail("status_str does not know " + std::to_string(c));
    after(ROSTER_OK, true, false, before, true);
}

void Driver::do_set_callback() {
    const std::uint8_t b = in_.u8() % 4;
    const Snap before = before_call();
    int rc;
    if (b == 0) {
        rc = call([&] { return roster_guild_set_frame_callback(g_, nullptr, nullptr); });
        note("set_frame_callback NULL -> %d", rc);
        if (rc == ROSTER_OK) {
            callback_set_ = false;
            for (const auto& [s, lists] : subs_)
                for (const auto& [l, chunks] : lists) blind_.insert({s, l});
            // An ended subscription whose INVALIDATE is still to come (inside
            // a batch) now gets it with no callback to see it.
            for (const auto& [key, chunks] : dropped_) blind_.insert(key);
        }
    } else if (b == 1) {
        rc = call([&] { return roster_guild_set_frame_callback(nullptr, &Driver::on_frame, this); });
        note("set_frame_callback guild NULL -> %d", rc);
        if (rc != ROSTER_EINVAL) fail("set_frame_callback(NULL guild) returned " + std::string(roster_status_str(rc)));
    } else {
        rc = call([&] { return roster_guild_set_frame_callback(g_, &Driver::on_frame, this); });
        note("set_frame_callback -> %d", rc);
        if (rc == ROSTER_OK) callback_set_ = true;
    }
    if (rc != ROSTER_OK && rc != ROSTER_ENOMEM && b != 1)
        fail("set_frame_callback returned " + std::string(roster_status_str(rc)));
    after(rc, true, false, before, true);
}

// Every call that takes a guild refuses a NULL one.
void Driver::do_null_guild() {
    const std::uint8_t which = in_.u8() % 36;
    roster_guild* const n = nullptr;
    const roster_role role{1, 0, 0};
    const roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    const roster_range range{0, 9};
    const roster_member_spec spec{1, "a", 1, nullptr, 0, ROSTER_ONLINE};
    const roster_event ev{ROSTER_EVENT_TOUCH, 0, 1, nullptr, 0, nullptr, 0, 0};
    const std::uint64_t id = 1;
    const std::int32_t pos = 1;
    std::uint32_t u32 = 0;
    std::size_t count = 0;
    roster_row row;
    roster_group group;
    roster_range rg;
    roster_member_info info;
    int st = 0;
    const Snap before = before_call();
    const int rc = call([&]() -> int {
        switch (which) {
        case 0: return roster_guild_set_everyone_view(n, 1);
        case 1: return roster_guild_set_offline_threshold(n, 5);
        case 2: return roster_guild_member_count(&u32, n);
        case 3: return roster_batch_begin(n);
        case 4: return roster_batch_commit(n);
        case 5: return roster_role_upsert(n, &role);
        case 6: return roster_role_remove(n, 1);
        case 7: return roster_roles_reorder(n, &id, &pos, 1);
        case 8: return roster_member_add(n, 1, "a", 1, nullptr, 0, ROSTER_ONLINE);
        case 9: return roster_member_upsert(n, 1, "a", 1, nullptr, 0, ROSTER_ONLINE);
        case 10: return roster_members_add(n, &spec, 1);
        case 11: return roster_member_remove(n, 1);
        case 12: return roster_member_set_status(n, 1, ROSTER_ONLINE);
        case 13: return roster_member_set_name(n, 1, "a", 1);
        case 14: return roster_member_set_sort_key(n, 1, "a", 1);
        case 15: return roster_member_set_roles(n, 1, &id, 1);
        case 16: return roster_member_add_role(n, 1, 1);
        case 17: return roster_member_remove_role(n, 1, 1);
        case 18: return roster_member_touch(n, 1);
        case 19: return roster_events_apply(n, &ev, 1, sizeof ev, &st);
        case 20: return roster_member_get(&info, nullptr, 0, &count, n, 1);
        case 21: return roster_list_set(n, 1, &rule);
        case 22: return roster_list_remove(n, 1);
        case 23: return roster_list_length(&u32, n, 0);
        case 24: return roster_list_counts(&u32, &u32, n, 0);
        case 25: return roster_list_groups(&group, 1, &count, n, 0);
        case 26: return roster_list_rows(&row, 1, &count, n, 0, 0, 9);
        case 27: return roster_list_index_of(&u32, n, 0, 1);
        case 28: return roster_guild_set_frame_callback(n, nullptr, nullptr);
        case 29: return roster_session_subscribe(n, 1, 0, &range, 1);
        case 30: return roster_session_remove(n, 1);
        case 31: return roster_session_ranges(&rg, 1, &count, n, 1, 0);
        case 32: return roster_guild_session_count(&u32, n);
        case 33: return roster_guild_create(nullptr, nullptr);
        case 34: roster_guild_destroy(nullptr); return ROSTER_EINVAL;
        default:
#ifdef FUZZ_FLUSH_STATUS
            return roster_guild_flush(n);
#else
            return ROSTER_EINVAL;
#endif
        }
    });
    note("NULL guild: call %u -> %d", which, rc);
    if (rc != ROSTER_EINVAL) fail("call " + std::to_string(which) + " with a NULL guild returned " + roster_status_str(rc));
    after(rc, true, false, before, true);
}

// roster_guild_create with the configurations it must refuse or accept.
void Driver::do_create() {
    const std::uint8_t b = in_.u8();
    roster_config c = ROSTER_CONFIG_INIT;
    c.chunk_size = 1 + in_.u8() % 10;
    int want = ROSTER_OK;
    bool null_out = false, null_config = false;
    switch (b % 6) {
    case 0: null_out = true; want = ROSTER_EINVAL; break;
    case 1: null_config = true; break;
    case 2: c.size = in_.u8() % static_cast<std::uint32_t>(offsetof(roster_config, chunk_size)); want = ROSTER_EINVAL; break;
    case 3:  // a caller built before the session fields: they are ignored
        c.size = static_cast<std::uint32_t>(offsetof(roster_config, chunk_size));
        c.chunk_size = 0;
        c.max_sessions = 0;
        break;
    case 4: {  // one zero limit
        std::uint32_t* limits[] = {&c.max_members, &c.max_roles, &c.max_roles_per_member, &c.max_sort_key_bytes,
                                   &c.chunk_size, &c.max_ranges, &c.max_range_span, &c.max_session_lists,
                                   &c.max_sessions};
        *limits[in_.u8() % 9] = 0;
        want = ROSTER_EINVAL;
        break;
    }
    default: c.max_lists = 0; break;  // the one limit that may be 0
    }
    roster_guild* g = nullptr;
    const Snap before = before_call();
    const int rc = call([&] { return roster_guild_create(null_out ? nullptr : &g, null_config ? nullptr : &c); });
    note("guild_create case %u -> %d", b % 6, rc);
    if (rc != want && rc != ROSTER_ENOMEM)
        fail("guild_create case " + std::to_string(b % 6) + " returned " + roster_status_str(rc) + ", expected " +
             roster_status_str(want));
    if (rc == ROSTER_OK) {
        Pause pause;
        if (!g) fail("guild_create returned OK without a guild");
        const roster_range r{0, 0};
        const int a = roster_member_add(g, 1, "a", 1, nullptr, 0, ROSTER_ONLINE);
        const int s = roster_session_subscribe(g, 1, 0, &r, 1);
        if (a != ROSTER_OK || s != ROSTER_OK) fail("a created guild refused its first member or session");
        std::string why;
        if (!roster::capi::engine_of(g).check_invariants(&why)) fail("created guild: " + why);
        roster_guild_destroy(g);
    } else if (g) {
        fail("guild_create failed but set *out");
    }
    after(rc, true, false, before, true);
}

void Driver::do_flush() {
#ifdef FUZZ_FLUSH_STATUS
    const Snap before = before_call();
    const int rc = call([&] { return roster_guild_flush(g_); });
    note("guild_flush (depth %u) -> %d", depth_, rc);
    if (depth_ > 0 && rc != ROSTER_EINVAL) fail("guild_flush inside a batch returned " + std::string(roster_status_str(rc)));
    if (depth_ == 0 && rc != ROSTER_OK && !(oom_ && (rc == ROSTER_EFLUSH || rc == ROSTER_ENOMEM)))
        fail("guild_flush returned " + std::string(roster_status_str(rc)));
    after(rc, true, true, before);
    if (rc == ROSTER_OK && depth_ == 0) {  // nothing is pending now: a second flush sends nothing
        frames_ = 0;
        const int again = call([&] { return roster_guild_flush(g_); });
        if (again != ROSTER_OK || frames_ != 0)
            fail("a second guild_flush returned " + std::string(roster_status_str(again)) + " with " +
                 std::to_string(frames_) + " frames");
    }
#else
    // Without roster_guild_flush: a plain check, reading no input, so that
    // the seeds mean the same in both builds.
    const Snap before = before_call();
    after(ROSTER_OK, true, false, before, true);
#endif
}

// The guild moves (docs/snapshot.md): saved with its sessions, destroyed,
// and the run goes on with the guild loaded from the bytes. Nothing may
// change for the host: the same rows, members, sessions and ranges, and
// every replica stays exact with the frames that follow; the load delivers
// no frame (the save may deliver frames still owed after an EFLUSH).
// Inside a batch the save is refused (EINVAL) and nothing moves.
void Driver::do_handoff() {
    const Snap before = before_call();
    std::vector<unsigned char> bytes;
    const roster_write_fn sink = [](const void* data, std::size_t len, void* user) -> int {
        Pause pause;  // the host's buffer
        auto* b = static_cast<std::vector<unsigned char>*>(user);
        b->insert(b->end(), static_cast<const unsigned char*>(data),
                  static_cast<const unsigned char*>(data) + len);
        return 0;
    };
    int rc = call([&] { return roster_guild_save(g_, ROSTER_SAVE_SESSIONS, sink, &bytes); });
    note("guild_save (depth %u) -> %d", depth_, rc);
    if (depth_ > 0 && rc != ROSTER_EINVAL)
        fail("guild_save inside a batch returned " + std::string(roster_status_str(rc)));
    if (depth_ == 0 && rc != ROSTER_OK && !(oom_ && (rc == ROSTER_EFLUSH || rc == ROSTER_ENOMEM)))
        fail("guild_save returned " + std::string(roster_status_str(rc)));
    if (rc == ROSTER_OK) {
        // What the load must reproduce: the guild as the save left it (its
        // flush may have delivered frames owed after an EFLUSH, and with
        // them ended subscriptions to a removed list), not as it was
        // before the call.
        Snap saved;
        {
            Pause pause;
            saved = snap();
        }
        roster_guild* loaded = nullptr;
        const auto frames = frames_;
        const int lrc = call([&] { return roster_guild_load_buffer(&loaded, &cfg_, bytes.data(), bytes.size()); });
        note("guild_load of %zu bytes -> %d", bytes.size(), lrc);
        if (frames_ != frames) fail("guild_load delivered frames");
        if (lrc == ROSTER_OK) {
            Pause pause;
            if (!loaded) fail("guild_load returned OK without a guild");
            // The callback is the host's to set again, as it was (a
            // snapshot does not hold it).
            if (callback_set_ && roster_guild_set_frame_callback(loaded, &Driver::on_frame, this) != ROSTER_OK)
                fail("set_frame_callback on a loaded guild failed");
            roster_guild_destroy(g_);
            g_ = loaded;
            Snap now = snap();
            if (now != saved) fail("handoff: the loaded guild differs\n  " + first_difference(saved, now));
        } else {
            if (loaded) fail("guild_load failed but set *out");
            if (!(oom_ && lrc == ROSTER_ENOMEM)) fail("guild_load of a saved guild returned " + std::string(roster_status_str(lrc)));
        }
    }
    after(rc, true, true, before);
}

}  // namespace

void run(const std::uint8_t* data, std::size_t size, bool oom) {
    gate = AllocGate{};
    Driver d(data, size, oom);
    d.run();
    gate = AllocGate{};
}

}  // namespace fuzz
