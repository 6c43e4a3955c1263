// Randomized tests of roster::Guild against a reference model.
//
// The model (namespace-local `Model`) is deliberately naive: it stores roles,
// members (name, optional custom sort key, role set, status), list rules and
// the two guild settings, and after every event RECOMPUTES every list from
// scratch by the rules of docs/model.md §4–§8:
//   - visibility in list L (list 0 = everyone: all members): visible if any
//     role is admin; else v = everyone_view || any role has view; then L's
//     @everyone overwrite; then any denied role -> no; then any allowed role
//     -> yes; then the member's own overwrite;
//   - group: OFFLINE if offline; else the highest hoisted role (position
//     desc, then lower id); else ONLINE;
//   - group order: hoisted roles (position desc, id asc), ONLINE, OFFLINE;
//     empty groups absent; OFFLINE absent from every list while the guild
//     has >= offline_threshold members;
//   - inside a group: sort key bytes (unsigned lexicographic), then user id;
//     default key = name with ASCII A-Z folded to a-z;
//   - rows: header {group, count} then the members, per appearing group.
//
// After every event, for every list: list_length, counts, groups and all
// rows are compared with the model; row_at / index_of / partial rows() are
// spot-checked; member() is checked for the event's subjects and a few random
// ids; check_invariants() must pass. Every list has a change log attached and
// the log is verified: the previous rows, with the logged RowEdits applied
// (insert -> a 'fresh' placeholder, remove -> erase, update -> mark 'fresh',
// reset -> everything unknown) and then the rows take_touched() gives marked
// 'fresh', must have the new length and every row still 'known' must equal
// the new true row. Further contract checks on the logs:
//   - an event that is rejected (any error) appends no edit to any log;
//   - touch, a status change, a name change, replace=true and (with
//     kRoleChangeMustUpdate) a change of its role set, of a shown member, must
//     edit the member's (new) row: it must not be 'known' after applying the
//     log (the client must receive the member's latest data, docs/frames.md §6);
//   - a single-member event that does not flip the offline threshold costs
//     at most kMaxSingleEdits edits per list and never a reset (docs/frames.md §6,
//     "Economy");
//   - a removed list's log (kept alive by the test) never grows again.
//
// Runs (fixed seeds; std::mt19937_64, the event sequence of a seed does not
// depend on the compiler or on the check schedule): 24 tiny guilds (0-10
// members) x 4,000 events, 8 small (5-60) x 8,000, 4 with small GuildConfig
// limits x 6,000, 2 medium (150-400) x 8,000 and one large guild growing to
// ~5,000 members, 12,000 events: 212,000 events in all. About 22 s at -O2
// (gcc 12), about 105 s under clang ASan+UBSan -O2, on the dev machine.
// Roughly 7% of the events are rejected calls (errors checked).
//
// Large guilds (above Params::big_from members) use a lighter schedule:
// list 0 is still compared in full after every event, other lists every
// Params::deep_every events (their logs accumulate meanwhile and are then
// verified as one batch) and check_invariants() every Params::inv_every.
//
// Assumptions about unspecified details (documented here, kept lenient where
// the documentation does not decide):
//   - Error codes: unknown member/role/list -> not_found; id 0 as the subject
//     of a call, a bad name (empty, > 128 bytes, invalid UTF-8), an invalid
//     Status value, a reserved group id as a role id, list 0 for
//     set_list/remove_list, mismatched/duplicate reorder_roles spans ->
//     invalid; upsert_member(replace=false) of an existing member -> exists;
//     exceeding a GuildConfig limit (members, roles, roles per member, lists,
//     overwrites, sort key bytes) -> limit.
//   - Id 0 or a reserved id INSIDE a collection (role set, reorder list) or as
//     remove_role's argument may be reported as invalid or not_found.
//   - add_member_role of a role the member already has: ok (no-op) or exists;
//     remove_member_role of an existing role it does not have: ok (no-op) or
//     not_found. Either way nothing may change.
//   - upsert_member(replace=true) of an absent member: ok (adds it) or
//     not_found.
//   - set_list with a role overwrite naming a role that does not exist: ok or
//     not_found. The test never re-creates a role id once used, so such an
//     overwrite cannot matter for visibility.
//   - Member overwrites are part of the list's rule and may name users that
//     are not (or no longer) members; they apply when that user (re)joins.
//   - upsert_member(replace=true) is only used on members without a custom
//     sort key (whether it keeps or drops the key is not specified).
//   - Empty custom sort keys and duplicate ids inside one rule are not used.
//   - MemberView::group is the member's group by §2 (OFFLINE when offline,
//     whether or not the OFFLINE group is currently shown).
//   - A malformed rule (role overwrite id 0 or reserved, member overwrite id
//     0, an Overwrite value > 2) -> invalid.
//   - When two checks could fail at once (a bad name while at max_members,
//     say) either error is accepted; otherwise each rejected call has one
//     defect.
//   - Header rows are compared by group id only: a header whose count
//     changes need not get an update edit (counts travel in `groups`).
//   - rows()/groups() output vectors are cleared by the test before the call.
#include <doctest/doctest.h>

#include "guild.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using roster::Error;
using roster::GroupCount;
using roster::Guild;
using roster::GuildConfig;
using roster::IdOverwrite;
using roster::ListRule;
using roster::Overwrite;
using roster::RoleSpec;
using roster::Row;
using roster::RowEdit;
using roster::Status;
using u64 = std::uint64_t;
using u32 = std::uint32_t;

constexpr u64 kOnline = roster::group_online;
constexpr u64 kOffline = roster::group_offline;

// A single-member event may cost at most this many row edits per list
// (member remove + insert, two header updates, a header removed and one
// inserted, plus slack).
constexpr std::size_t kMaxSingleEdits = 8;
// Whether a role change of a shown member that does not move it must be an
// update of its row (its role list is member data the host serializes).
constexpr bool kRoleChangeMustUpdate = true;
// A sort key longer than GuildConfig::max_sort_key_bytes exceeds a limit.
// (The engine currently answers Error::invalid; see the report.)
constexpr Error kSortKeyTooLong = Error::limit;

std::uint64_t g_events_total = 0;

// ---------------------------------------------------------------- model

std::string fold_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Unsigned lexicographic byte order.
int key_cmp(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size());
    const int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
    if (c != 0) return c < 0 ? -1 : 1;
    if (a.size() == b.size()) return 0;
    return a.size() < b.size() ? -1 : 1;
}

struct MMember {
    std::string name;
    bool has_key = false;
    std::string key;   // custom key bytes when has_key
    std::string skey;  // effective sort key
    std::set<u64> roles;
    Status status = Status::online;
    void refresh_key() { skey = has_key ? key : fold_ascii(name); }
};

struct MRule {
    Overwrite everyone = Overwrite::none;
    std::map<u64, bool> roles;    // id -> allow
    std::map<u64, bool> members;  // id -> allow
};

struct View {
    roster::Vec<Row> rows;
    roster::Vec<GroupCount> groups;
    u32 member_count = 0;
    u32 online_count = 0;

    // Row index of a shown member, or -1.
    long long find(u64 uid) const {
        for (std::size_t i = 0; i < rows.size(); ++i)
            if (!rows[i].header() && rows[i].user == uid) return static_cast<long long>(i);
        return -1;
    }
};

struct Model {
    u32 offline_threshold = 1000;
    bool everyone_view = true;
    std::map<u64, RoleSpec> roles;
    std::map<u64, MMember> members;
    std::map<u64, MRule> lists;  // without list 0

    bool offline_shown() const { return members.size() < offline_threshold; }

    u64 group_of(const MMember& m) const {
        if (m.status == Status::offline) return kOffline;
        const RoleSpec* best = nullptr;
        for (u64 r : m.roles) {
            const RoleSpec& s = roles.at(r);
            if (!s.hoist) continue;
            if (!best || s.position > best->position ||
                (s.position == best->position && s.id < best->id))
                best = &s;
        }
        return best ? best->id : kOnline;
    }

    bool visible(u64 uid, const MMember& m, const MRule* rule) const {
        if (!rule) return true;  // list 0
        bool v = everyone_view;
        for (u64 r : m.roles) {
            const RoleSpec& s = roles.at(r);
            if (s.admin) return true;
            if (s.view) v = true;
        }
        if (rule->everyone == Overwrite::allow) v = true;
        if (rule->everyone == Overwrite::deny) v = false;
        bool any_deny = false, any_allow = false;
        for (u64 r : m.roles) {
            auto it = rule->roles.find(r);
            if (it == rule->roles.end()) continue;
            (it->second ? any_allow : any_deny) = true;
        }
        if (any_deny) v = false;
        if (any_allow) v = true;
        auto it = rule->members.find(uid);
        if (it != rule->members.end()) v = it->second;
        return v;
    }

    View compute(u64 list_id) const {
        View v;
        const MRule* rule = list_id == 0 ? nullptr : &lists.at(list_id);
        roster::Vec<const RoleSpec*> hoisted;
        for (const auto& kv : roles)
            if (kv.second.hoist) hoisted.push_back(&kv.second);
        std::sort(hoisted.begin(), hoisted.end(), [](const RoleSpec* a, const RoleSpec* b) {
            if (a->position != b->position) return a->position > b->position;
            return a->id < b->id;
        });
        using Entry = std::pair<const std::string*, u64>;
        std::unordered_map<u64, roster::Vec<Entry>> buckets;
        const bool show_off = offline_shown();
        for (const auto& [uid, m] : members) {
            if (!visible(uid, m, rule)) continue;
            ++v.member_count;
            if (m.status != Status::offline)
                ++v.online_count;
            else if (!show_off)
                continue;
            buckets[group_of(m)].push_back(Entry{&m.skey, uid});
        }
        roster::Vec<u64> order;
        for (const RoleSpec* r : hoisted) order.push_back(r->id);
        order.push_back(kOnline);
        order.push_back(kOffline);
        for (u64 g : order) {
            auto it = buckets.find(g);
            if (it == buckets.end() || it->second.empty()) continue;
            auto& b = it->second;
            std::sort(b.begin(), b.end(), [](const Entry& x, const Entry& y) {
                const int c = key_cmp(*x.first, *y.first);
                if (c != 0) return c < 0;
                return x.second < y.second;
            });
            const auto n = static_cast<u32>(b.size());
            v.groups.push_back(GroupCount{g, n});
            v.rows.push_back(Row{g, 0, n, 0});
            for (const Entry& e : b) v.rows.push_back(Row{g, e.second, 0, 0});
        }
        return v;
    }
};

// ---------------------------------------------------------------- runner

struct Params {
    const char* name = "";
    u64 seed = 1;
    GuildConfig cfg{};
    u32 events = 1000;
    u32 size_lo = 0, size_hi = 10;  // member count target range
    double grow_weight = 25;        // weight of "add member" below the target
    u32 roles_max = 8;              // live roles the generator aims at (<= 30)
    u32 lists_max = 4;              // live lists besides list 0
    u32 list_ids = 0;               // 0: list ids from kListPool; else 1000..1000+n-1
    double list_weight = 1.2;       // weight of set_list among events
    u32 threshold_lo = 0, threshold_hi = 0;  // 0/0: default 1000 or near size
    u32 id_pool = 32;                        // distinct user ids used
    bool limits = false;  // events that exceed the (small) cfg limits
    u32 big_from = 1u << 30;
    u32 deep_every = 1;
    u32 inv_every = 1;
};

enum K : int {
    k_add_member,
    k_replace_member,
    k_remove_member,
    k_set_status,
    k_set_name,
    k_set_sort_key,
    k_set_roles,
    k_add_member_role,
    k_remove_member_role,
    k_touch,
    k_role_new,
    k_role_update,
    k_role_remove,
    k_role_reorder,
    k_list_set,
    k_list_remove,
    k_threshold,
    k_everyone_view,
    k_invalid,
    k_count
};

const char* const kNames[k_count] = {
    "add_member",   "replace_member", "remove_member",  "set_status",     "set_name",
    "set_sort_key", "set_roles",      "add_member_role", "remove_member_role", "touch",
    "role_new",     "role_update",    "role_remove",    "role_reorder",   "list_set",
    "list_remove",  "threshold",      "everyone_view",  "invalid"};

enum class Snap : std::uint8_t { known, fresh, unknown };
struct SnapRow {
    Snap st = Snap::unknown;
    Row row{};
};

struct ListState {
    std::unique_ptr<roster::Vec<RowEdit>> log;
    roster::Vec<SnapRow> snap;
    std::size_t before = 0;  // log size when the current event started
    bool fresh_list = true;  // no snapshot yet
};

struct Ev {
    int kind = 0;
    std::string desc;
    bool rejected = false;  // returned an error: nothing may change
    bool single = false;    // one member's data: O(1) edits per list
    roster::Vec<u64> must_update;
    roster::Vec<u64> subjects;
};

std::string hex(u64 v) {
    std::ostringstream os;
    os << "0x" << std::hex << v;
    return os.str();
}

std::string bytes_repr(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            static const char* d = "0123456789abcdef";
            out += "\\x";
            out += d[c >> 4];
            out += d[c & 15];
        }
    }
    return out + "\"";
}

const char* status_name(Status s) {
    switch (s) {
        case Status::offline: return "offline";
        case Status::online: return "online";
        case Status::idle: return "idle";
        case Status::dnd: return "dnd";
    }
    return "bad-status";
}

std::string ids_repr(const roster::Vec<u64>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s.append(i ? "," : "").append(hex(v[i]));
    return s + "]";
}

std::string row_repr(const Row& r) {
    if (r.header()) return "H{" + hex(r.group) + ",n=" + std::to_string(r.count) + "}";
    return "M{" + hex(r.user) + " in " + hex(r.group) + "}";
}

// Names that tie or nearly tie after ASCII folding, bytes between 'Z' and
// 'a', and multibyte UTF-8.
const char* const kNamePool[] = {
    "ann",   "Ann",     "ANN",      "aNn",        "ann ",       "an",
    "bob",   "Bob",     "BOB",      "zoë",        "Zoë",        "ZOË",
    "zoe",   "émile",   "Émile",    "emile",      "日本語",     "日本",
    "😀",    "😀😀",    "_under",   "[brk",       "`tick",      "a",
    "A",     "Z",       "z",        "~",          "0",          "Ω mega",
    "ß",     "SS",      "ss",       "\xC2\xA0nbsp", "Zed",      "zed"};
const char* const kUtf8Pieces[] = {"é", "Ë", "ß", "日", "本", "😀", "𝄞", "Ω", "\xC2\xA0", "ñ"};
const char* const kBadUtf8[] = {
    "\xFF",         ("a\x80" "b"),  "\xC0\xAF", "\xC1\xBF",         "\xE2\x82",
    "abc\xE2",      "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80",
    "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xC3\x28", "\xFE", "ok\xC3", "\x80"};
const u64 kListPool[] = {1, 2, 3, 42, u64{1} << 40, 0xFFFFFFFFFFFFFFFFull};

class Runner {
public:
    explicit Runner(const Params& p) : p_(p), rng_(p.seed), check_rng_(p.seed ^ 0x9E3779B97F4A7C15ull), g_(p.cfg) {
        m_.offline_threshold = p.cfg.offline_threshold;
        m_.everyone_view = p.cfg.everyone_view;
        // User ids: edge values and a spread of random 64-bit ones.
        std::set<u64> ids;
        for (u64 v : std::initializer_list<u64>{1, 2, 3, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFEull,
                                                u64{1} << 63})
            if (ids.size() < p.id_pool) ids.insert(v);
        u64 seq = 1000;
        while (ids.size() < p.id_pool) {
            if (rng_() % 3 == 0)
                ids.insert(seq += 1 + rng_() % 4);  // close ids (tie-breaks)
            else
                ids.insert((rng_() | 1));
        }
        pool_.assign(ids.begin(), ids.end());
        next_role_ = 100 + p.seed % 17;
        add_list_state(0);
        target_ = p.size_lo;
    }

    void run() {
        const auto t0 = std::chrono::steady_clock::now();
        for (u32 i = 0; i < p_.events; ++i) {
            step();
            max_lists_ = std::max<std::size_t>(max_lists_, m_.lists.size());
        }
        final_check();
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        g_events_total += n_;
        std::ostringstream os;
        os << p_.name << " seed " << p_.seed << ": " << n_ << " events (" << ok_ << " ok, "
           << rejected_ << " rejected), max members " << max_members_ << ", max roles "
           << max_roles_ << ", max lists " << max_lists_ << ", edits " << edits_ << ", resets " << resets_ << ", full list checks "
           << list_checks_ << ", offline flips " << flips_ << ", must-update checks " << update_checks_
           << ", " << secs << " s; suite total so far " << g_events_total;
        MESSAGE(os.str());
        std::ostringstream ks;
        ks << "  per kind:";
        for (int k = 0; k < k_count; ++k) ks << " " << kNames[k] << "=" << kind_count_[k];
        ks << "; results:";
        for (std::size_t c = 0; c < error_count_.size(); ++c)
            if (error_count_[c]) ks << " " << roster::error_name(static_cast<Error>(-static_cast<int>(c))) << "=" << error_count_[c];
        MESSAGE(ks.str());
    }

    std::size_t max_lists() const { return max_lists_; }

private:
    std::size_t max_lists_ = 0;

    // ------------------------------------------------------------ helpers
    void fail(const std::string& what) const {
        std::ostringstream os;
        os << what << "\n  [" << p_.name << " seed " << p_.seed << ", event #" << n_ << " "
           << kNames[ev_.kind] << ": " << ev_.desc << "; members " << m_.members.size()
           << ", roles " << m_.roles.size() << ", lists " << m_.lists.size() << ", threshold "
           << m_.offline_threshold << ", everyone_view " << m_.everyone_view << "]";
        FAIL(os.str());
    }

    Error expect(Error got, std::initializer_list<Error> allowed) {
        for (Error a : allowed) {
            if (got != a) continue;
            const int code = -static_cast<int>(got);
            if (code >= 0 && code < static_cast<int>(error_count_.size())) ++error_count_[code];
            return got;
        }
        std::string s = std::string("unexpected result ") + roster::error_name(got) + ", want";
        for (Error a : allowed) s += std::string(" ") + roster::error_name(a);
        fail(s);
        return got;
    }

    u32 below(u64 n) { return n ? static_cast<u32>(rng_() % n) : 0; }
    // Checks draw from their own generator, so the event sequence of a seed
    // does not depend on the check schedule.
    u32 cbelow(u64 n) { return n ? static_cast<u32>(check_rng_() % n) : 0; }
    bool chance(u32 percent) { return below(100) < percent; }

    void add_list_state(u64 id) {
        ListState st;
        st.log = std::make_unique<roster::Vec<RowEdit>>();
        const Error e = g_.attach_log(id, st.log.get());
        if (e != Error::ok) fail("attach_log failed on list " + hex(id));
        ls_[id] = std::move(st);
    }

    void present_add(u64 uid) {
        present_pos_[uid] = present_.size();
        present_.push_back(uid);
    }
    void present_remove(u64 uid) {
        const std::size_t i = present_pos_.at(uid);
        present_pos_[present_.back()] = i;
        present_[i] = present_.back();
        present_.pop_back();
        present_pos_.erase(uid);
    }
    u64 pick_present() { return present_[below(present_.size())]; }
    // A pool id that is not a member, or 0 when none found.
    u64 pick_absent() {
        if (present_.size() >= pool_.size()) return 0;
        for (int t = 0; t < 64; ++t) {
            const u64 id = pool_[below(pool_.size())];
            if (!m_.members.count(id)) return id;
        }
        return 0;
    }
    // An id certainly not a member (pool or random).
    u64 unknown_user() {
        for (;;) {
            const u64 id = chance(50) ? pool_[below(pool_.size())] : (rng_() | 1);
            if (id != 0 && !m_.members.count(id)) return id;
        }
    }
    u64 unknown_role() {
        if (!removed_roles_.empty() && chance(50)) return removed_roles_[below(removed_roles_.size())];
        return next_role_ + 1000000 + below(1000);  // never handed out
    }
    u64 pick_role() {
        auto it = m_.roles.begin();
        std::advance(it, below(m_.roles.size()));
        return it->first;
    }
    u64 fresh_role_id() {
        u64 id;
        if (!used_roles_.count(1) && chance(10))
            id = 1;
        else if (!used_roles_.count(0xFFFFFFFFFFFFFFFDull) && chance(10))
            id = 0xFFFFFFFFFFFFFFFDull;  // largest valid role id
        else
            id = (next_role_ += 1 + below(3));
        used_roles_.insert(id);
        return id;
    }

    Status gen_status() {
        const u32 r = below(100);
        if (r < 30) return Status::offline;
        if (r < 70) return Status::online;
        if (r < 85) return Status::idle;
        return Status::dnd;
    }

    std::string gen_name() {
        const u32 r = below(20);
        if (r < 8) return kNamePool[below(std::size(kNamePool))];
        if (r < 10) {
            std::string s = kNamePool[below(std::size(kNamePool))];
            return s + std::to_string(below(3));
        }
        if (r < 14) {  // random ASCII, mixed case
            std::string s;
            const u32 n = 1 + below(6);
            for (u32 i = 0; i < n; ++i) {
                const u32 c = below(5);
                s += c < 2 ? static_cast<char>('a' + below(3)) : c < 4 ? static_cast<char>('A' + below(3))
                                                                       : "_[` ~"[below(5)];
            }
            return s;
        }
        if (r < 18) {  // mixed multibyte
            std::string s;
            const u32 n = 1 + below(5);
            for (u32 i = 0; i < n; ++i)
                s += chance(50) ? std::string(1, static_cast<char>('a' + below(3)))
                                : std::string(kUtf8Pieces[below(std::size(kUtf8Pieces))]);
            return s;
        }
        // Exactly 128 bytes (the maximum), multibyte inside.
        std::string s;
        while (s.size() < 120)
            s += chance(50) ? std::string(1, static_cast<char>('A' + below(3)))
                            : std::string(kUtf8Pieces[below(std::size(kUtf8Pieces))]);
        while (s.size() < 128) s += static_cast<char>('a' + below(3));
        return s;
    }

    std::string gen_bad_name() {
        switch (below(5)) {
            case 0: return std::string();
            case 1: return std::string(129, static_cast<char>('a' + below(3)));
            case 2: return std::string(127, 'b') + "é";  // 129 bytes, valid UTF-8
            case 3: {
                std::string s = kNamePool[below(std::size(kNamePool))];
                return s + kBadUtf8[below(std::size(kBadUtf8))];
            }
            default: return kBadUtf8[below(std::size(kBadUtf8))];
        }
    }

    std::string gen_key() {
        const u32 r = below(10);
        if (r < 2 && !present_.empty()) {  // tie with another member's key
            const MMember& o = m_.members.at(pick_present());
            std::string k = o.skey;
            if (chance(40)) k += '\0';
            if (!k.empty() && k.size() <= p_.cfg.max_sort_key_bytes) return k;
        }
        if (r == 2) {  // the maximum length
            std::string k(p_.cfg.max_sort_key_bytes, '\0');
            for (char& c : k) c = static_cast<char>(chance(50) ? 0xFF : 'a' + below(2));
            return k;
        }
        static const unsigned char alphabet[] = {0x00, 0x01, 'a', 'b', 'A', 0x7F, 0x80, 0xC3, 0xFE, 0xFF};
        std::string k;
        const u32 n = 1 + below(std::min<u32>(10, p_.cfg.max_sort_key_bytes));
        for (u32 i = 0; i < n; ++i) k += static_cast<char>(alphabet[below(std::size(alphabet))]);
        return k;
    }

    // Existing role ids, possibly with duplicates; at most max_distinct
    // distinct ids.
    roster::Vec<u64> gen_role_set(u32 max_distinct) {
        roster::Vec<u64> out;
        if (m_.roles.empty()) return out;
        const u32 k = std::min<u32>(below(5), max_distinct);
        for (u32 i = 0; i < k; ++i) out.push_back(pick_role());
        if (!out.empty() && chance(10)) out.push_back(out[0]);
        return out;
    }

    std::int32_t gen_position() {
        const u32 r = below(100);
        if (r < 50) return static_cast<std::int32_t>(below(4));  // many ties
        if (r < 80) return static_cast<std::int32_t>(below(26)) - 5;
        if (r < 85) return chance(50) ? INT32_MIN : INT32_MAX;
        return static_cast<std::int32_t>(static_cast<u32>(rng_()));
    }

    void member_apply_roles(MMember& m, const roster::Vec<u64>& roles) {
        m.roles.clear();
        m.roles.insert(roles.begin(), roles.end());
    }

    static std::set<u64> distinct(const roster::Vec<u64>& v) { return {v.begin(), v.end()}; }

    // ------------------------------------------------------------ events
    void step() {
        ev_ = Ev{};
        for (auto& kv : ls_) kv.second.before = kv.second.log->size();
        const bool off_before = m_.offline_shown();
        if (n_ % 300 == 0) target_ = p_.size_lo + below(p_.size_hi - p_.size_lo + 1);

        const auto size = static_cast<u32>(present_.size());
        const double has_m = size ? 1.0 : 0.0;
        const double has_r = m_.roles.empty() ? 0.0 : 1.0;
        std::array<double, k_count> w{};
        w[k_add_member] = pick_absent_possible() ? (size < target_ ? p_.grow_weight : 3.0) : 0.0;
        w[k_replace_member] = 3 * has_m;
        w[k_remove_member] = (size > target_ ? 25.0 : 3.0) * has_m;
        w[k_set_status] = 20 * has_m;
        w[k_set_name] = 6 * has_m;
        w[k_set_sort_key] = 4 * has_m;
        w[k_set_roles] = 4 * has_m;
        w[k_add_member_role] = 5 * has_m * has_r;
        w[k_remove_member_role] = 4 * has_m * has_r;
        w[k_touch] = 6 * has_m;
        w[k_role_new] = m_.roles.size() < p_.roles_max ? 2.0 : (p_.limits ? 0.3 : 0.0);
        w[k_role_update] = 2 * has_r;
        w[k_role_remove] = (m_.roles.size() > p_.roles_max / 2 ? 1.0 : 0.4) * has_r;
        w[k_role_reorder] = 1 * has_r;
        w[k_list_set] = p_.list_weight;
        w[k_list_remove] = m_.lists.empty() ? 0.0 : 0.6;
        w[k_threshold] = 0.6;
        w[k_everyone_view] = 0.5;
        w[k_invalid] = 5;
        std::discrete_distribution<int> dist(w.begin(), w.end());
        ev_.kind = dist(rng_);

        switch (ev_.kind) {
            case k_add_member: ev_add_member(); break;
            case k_replace_member: ev_replace_member(); break;
            case k_remove_member: ev_remove_member(); break;
            case k_set_status: ev_set_status(); break;
            case k_set_name: ev_set_name(); break;
            case k_set_sort_key: ev_set_sort_key(); break;
            case k_set_roles: ev_set_roles(); break;
            case k_add_member_role: ev_add_member_role(); break;
            case k_remove_member_role: ev_remove_member_role(); break;
            case k_touch: ev_touch(); break;
            case k_role_new: ev_role_new(); break;
            case k_role_update: ev_role_update(); break;
            case k_role_remove: ev_role_remove(); break;
            case k_role_reorder: ev_role_reorder(); break;
            case k_list_set: ev_list_set(); break;
            case k_list_remove: ev_list_remove(); break;
            case k_threshold: ev_threshold(); break;
            case k_everyone_view: ev_everyone_view(); break;
            default: ev_invalid(); break;
        }
        ++kind_count_[ev_.kind];
        ++n_;
        if (ev_.rejected)
            ++rejected_;
        else
            ++ok_;
        max_members_ = std::max<std::size_t>(max_members_, m_.members.size());
        max_roles_ = std::max<std::size_t>(max_roles_, m_.roles.size());
        verify(off_before != m_.offline_shown());
    }

    bool pick_absent_possible() const { return present_.size() < pool_.size(); }
    bool at_max_members() const { return m_.members.size() >= p_.cfg.max_members; }

    // Runs an upsert_member of a new member with valid data.
    void ev_add_member() {
        const u64 uid = pick_absent();
        if (uid == 0) {
            ev_.desc = "no absent id";
            return;
        }
        const std::string name = gen_name();
        const auto roles = gen_role_set(p_.cfg.max_roles_per_member);
        const Status st = gen_status();
        const bool replace = chance(10);
        ev_.desc = "upsert_member(" + hex(uid) + ", " + bytes_repr(name) + ", " + ids_repr(roles) +
                   ", " + status_name(st) + ", replace=" + (replace ? "true" : "false") + ")";
        ev_.subjects.push_back(uid);
        const Error e = g_.upsert_member(uid, name, roles, st, replace);
        const bool full = at_max_members();
        if (replace) {  // replace=true of an absent member: adds it, or not_found
            if (full)
                expect(e, {Error::limit, Error::not_found});
            else
                expect(e, {Error::ok, Error::not_found});
        } else {
            if (full)
                expect(e, {Error::limit});
            else
                expect(e, {Error::ok});
        }
        if (e != Error::ok) {
            ev_.rejected = true;
            return;
        }
        MMember m;
        m.name = name;
        m.status = st;
        member_apply_roles(m, roles);
        m.refresh_key();
        m_.members.emplace(uid, std::move(m));
        present_add(uid);
        ev_.single = true;
    }

    void ev_replace_member() {
        u64 uid = pick_present();
        for (int t = 0; t < 8 && m_.members.at(uid).has_key; ++t) uid = pick_present();
        MMember& m = m_.members.at(uid);
        if (m.has_key) {  // see the header: replace only members with the default key
            ev_.desc = "skipped (custom key)";
            return;
        }
        const std::string name = chance(20) ? m.name : gen_name();
        const auto roles = gen_role_set(p_.cfg.max_roles_per_member);
        const Status st = gen_status();
        ev_.desc = "upsert_member(" + hex(uid) + ", " + bytes_repr(name) + ", " + ids_repr(roles) +
                   ", " + status_name(st) + ", replace=true)";
        ev_.subjects.push_back(uid);
        const Error e = g_.upsert_member(uid, name, roles, st, true);
        expect(e, {Error::ok});
        m.name = name;
        m.status = st;
        member_apply_roles(m, roles);
        m.refresh_key();
        ev_.single = true;
        ev_.must_update.push_back(uid);
    }

    void ev_remove_member() {
        const u64 uid = pick_present();
        ev_.desc = "remove_member(" + hex(uid) + ")";
        ev_.subjects.push_back(uid);
        expect(g_.remove_member(uid), {Error::ok});
        m_.members.erase(uid);
        present_remove(uid);
        ev_.single = true;
    }

    void ev_set_status() {
        const u64 uid = pick_present();
        MMember& m = m_.members.at(uid);
        const Status st = gen_status();
        ev_.desc = "set_status(" + hex(uid) + ", " + status_name(m.status) + " -> " + status_name(st) + ")";
        ev_.subjects.push_back(uid);
        expect(g_.set_status(uid, st), {Error::ok});
        if (st != m.status) ev_.must_update.push_back(uid);
        m.status = st;
        ev_.single = true;
    }

    void ev_set_name() {
        const u64 uid = pick_present();
        MMember& m = m_.members.at(uid);
        std::string name = gen_name();
        if (chance(20)) name = fold_ascii(m.name) == m.name ? m.name : fold_ascii(m.name);  // same key
        ev_.desc = "set_name(" + hex(uid) + ", " + bytes_repr(m.name) + " -> " + bytes_repr(name) + ")";
        ev_.subjects.push_back(uid);
        expect(g_.set_name(uid, name), {Error::ok});
        if (name != m.name) ev_.must_update.push_back(uid);
        m.name = name;
        m.refresh_key();
        ev_.single = true;
    }

    void ev_set_sort_key() {
        const u64 uid = pick_present();
        MMember& m = m_.members.at(uid);
        ev_.subjects.push_back(uid);
        ev_.single = true;
        if (chance(30)) {
            ev_.desc = "set_sort_key(" + hex(uid) + ", default)";
            expect(g_.set_sort_key(uid, false, {}), {Error::ok});
            m.has_key = false;
            m.key.clear();
            m.refresh_key();
            return;
        }
        const std::string key = gen_key();
        ev_.desc = "set_sort_key(" + hex(uid) + ", " + bytes_repr(key) + ")";
        const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(key.data()),
                                                  key.size());
        expect(g_.set_sort_key(uid, true, bytes), {Error::ok});
        m.has_key = true;
        m.key = key;
        m.refresh_key();
    }

    void ev_set_roles() {
        const u64 uid = pick_present();
        MMember& m = m_.members.at(uid);
        const auto roles = gen_role_set(p_.cfg.max_roles_per_member);
        ev_.desc = "set_roles(" + hex(uid) + ", " + ids_repr(roles) + ")";
        ev_.subjects.push_back(uid);
        expect(g_.set_roles(uid, roles), {Error::ok});
        const auto d = distinct(roles);
        if (kRoleChangeMustUpdate && d != m.roles) ev_.must_update.push_back(uid);
        m.roles = d;
        ev_.single = true;
    }

    void ev_add_member_role() {
        const u64 uid = pick_present();
        MMember& m = m_.members.at(uid);
        const u64 rid = pick_role();
        ev_.desc = "add_member_role(" + hex(uid) + ", " + hex(rid) + ")";
        ev_.subjects.push_back(uid);
        const Error e = g_.add_member_role(uid, rid);
        if (m.roles.count(rid)) {
            expect(e, {Error::ok, Error::exists});
            ev_.rejected = e != Error::ok;
            return;
        }
        if (m.roles.size() >= p_.cfg.max_roles_per_member) {
            expect(e, {Error::limit});
            ev_.rejected = true;
            return;
        }
        expect(e, {Error::ok});
        m.roles.insert(rid);
        if (kRoleChangeMustUpdate) ev_.must_update.push_back(uid);
        ev_.single = true;
    }

    void ev_remove_member_role() {
        const u64 uid = pick_present();
        MMember& m = m_.members.at(uid);
        u64 rid;
        if (!m.roles.empty() && chance(80)) {
            auto it = m.roles.begin();
            std::advance(it, below(m.roles.size()));
            rid = *it;
        } else {
            rid = pick_role();
        }
        ev_.desc = "remove_member_role(" + hex(uid) + ", " + hex(rid) + ")";
        ev_.subjects.push_back(uid);
        const Error e = g_.remove_member_role(uid, rid);
        if (!m.roles.count(rid)) {
            expect(e, {Error::ok, Error::not_found});
            ev_.rejected = e != Error::ok;
            return;
        }
        expect(e, {Error::ok});
        m.roles.erase(rid);
        if (kRoleChangeMustUpdate) ev_.must_update.push_back(uid);
        ev_.single = true;
    }

    void ev_touch() {
        const u64 uid = pick_present();
        ev_.desc = "touch(" + hex(uid) + ")";
        ev_.subjects.push_back(uid);
        expect(g_.touch(uid), {Error::ok});
        ev_.must_update.push_back(uid);
        ev_.single = true;
    }

    void ev_role_new() {
        RoleSpec r;
        r.position = gen_position();
        r.hoist = chance(50);
        r.view = chance(30);
        r.admin = chance(8);
        if (m_.roles.size() >= p_.cfg.max_roles) {
            r.id = next_role_ + 5000000;  // a valid, unused id; not consumed
            ev_.desc = "upsert_role(" + hex(r.id) + ") at max_roles";
            expect(g_.upsert_role(r), {Error::limit});
            ev_.rejected = true;
            return;
        }
        r.id = fresh_role_id();
        ev_.desc = "upsert_role(new " + hex(r.id) + ", pos " + std::to_string(r.position) +
                   ", hoist " + std::to_string(r.hoist) + ", view " + std::to_string(r.view) +
                   ", admin " + std::to_string(r.admin) + ")";
        expect(g_.upsert_role(r), {Error::ok});
        m_.roles[r.id] = r;
    }

    void ev_role_update() {
        const u64 rid = pick_role();
        RoleSpec r = m_.roles.at(rid);
        const u32 what = below(6);
        if (what == 0 || what == 5) {
            // Equal to another role's position, sometimes.
            r.position = chance(50) ? m_.roles.at(pick_role()).position : gen_position();
        }
        if (what == 1 || what == 5) r.hoist = !r.hoist;
        if (what == 2) r.view = !r.view;
        if (what == 3) r.admin = chance(30) ? !r.admin : false;
        // what == 4: unchanged (a no-op upsert)
        ev_.desc = "upsert_role(" + hex(rid) + ", pos " + std::to_string(r.position) + ", hoist " +
                   std::to_string(r.hoist) + ", view " + std::to_string(r.view) + ", admin " +
                   std::to_string(r.admin) + ")";
        expect(g_.upsert_role(r), {Error::ok});
        m_.roles[rid] = r;
    }

    void ev_role_remove() {
        const u64 rid = pick_role();
        ev_.desc = "remove_role(" + hex(rid) + ")";
        expect(g_.remove_role(rid), {Error::ok});
        m_.roles.erase(rid);
        for (auto& kv : m_.members) kv.second.roles.erase(rid);
        removed_roles_.push_back(rid);
    }

    void ev_role_reorder() {
        roster::Vec<u64> all;
        for (const auto& kv : m_.roles) all.push_back(kv.first);
        std::shuffle(all.begin(), all.end(), rng_);
        const u32 k = chance(10) ? 0 : 1 + below(all.size());
        all.resize(k);
        roster::Vec<std::int32_t> pos;
        for (u32 i = 0; i < k; ++i) pos.push_back(chance(60) ? static_cast<std::int32_t>(k - i) : gen_position());
        ev_.desc = "reorder_roles(" + ids_repr(all) + ")";
        expect(g_.reorder_roles(all, pos), {Error::ok});
        for (u32 i = 0; i < k; ++i) m_.roles[all[i]].position = pos[i];
    }

    ListRule gen_rule(std::size_t total, bool* has_unknown_role) {
        ListRule rule;
        const u32 e = below(3);
        rule.everyone = e == 0 ? Overwrite::none : e == 1 ? Overwrite::allow : Overwrite::deny;
        roster::Vec<u64> roles;
        for (const auto& kv : m_.roles) roles.push_back(kv.first);
        std::shuffle(roles.begin(), roles.end(), rng_);
        std::size_t nr = std::min<std::size_t>({roles.size(), below(4), total});
        *has_unknown_role = false;
        for (std::size_t i = 0; i < nr; ++i) rule.roles.push_back(IdOverwrite{roles[i], chance(50)});
        if (nr < total && chance(10)) {
            rule.roles.push_back(IdOverwrite{unknown_role(), chance(50)});
            *has_unknown_role = true;
            ++nr;
        }
        roster::Vec<u64> users = pool_;
        std::shuffle(users.begin(), users.end(), rng_);
        const std::size_t nm = std::min<std::size_t>(users.size(), total - nr);
        for (std::size_t i = 0; i < nm; ++i) rule.members.push_back(IdOverwrite{users[i], chance(50)});
        return rule;
    }

    static MRule to_model(const ListRule& r) {
        MRule m;
        m.everyone = r.everyone;
        for (const auto& o : r.roles) m.roles[o.id] = o.allow;
        for (const auto& o : r.members) m.members[o.id] = o.allow;
        return m;
    }

    static std::string rule_repr(const ListRule& r) {
        std::string s = "{everyone ";
        s += r.everyone == Overwrite::none    ? "none"
             : r.everyone == Overwrite::allow ? "allow"
             : r.everyone == Overwrite::deny  ? "deny"
                                              : std::to_string(static_cast<int>(r.everyone));
        s += ", roles";
        for (const auto& o : r.roles) s.append(" ").append(hex(o.id)).append(o.allow ? "+" : "-");
        s += ", members";
        for (const auto& o : r.members)
            s.append(" ").append(hex(o.id)).append(o.allow ? "+" : "-");
        return s + "}";
    }

    u64 pick_list_id() {
        if (p_.list_ids) return 1000 + below(p_.list_ids);
        return kListPool[below(std::size(kListPool))];
    }

    void ev_list_set() {
        u64 id = pick_list_id();
        const bool exists = m_.lists.count(id) != 0;
        bool at_limit = false;
        if (!exists && m_.lists.size() >= p_.lists_max) {
            if (p_.limits && m_.lists.size() >= p_.cfg.max_lists) {
                at_limit = true;
            } else {
                auto it = m_.lists.begin();
                std::advance(it, below(m_.lists.size()));
                id = it->first;
            }
        }
        // Overwrite count: small, or exactly at / above max_overwrites.
        std::size_t total = std::min<std::size_t>(below(7), p_.cfg.max_overwrites);
        bool over = false;
        if (p_.limits && chance(25)) {
            over = chance(50);
            total = p_.cfg.max_overwrites + (over ? 1 : 0);
        }
        bool unknown = false;
        ListRule rule = gen_rule(total, &unknown);
        if (rule.roles.size() + rule.members.size() < total) over = false;  // pool too small
        ev_.desc = "set_list(" + hex(id) + ", " + rule_repr(rule) + ")";
        const Error e = g_.set_list(id, rule);
        if (at_limit || over) {
            if (unknown)
                expect(e, {Error::limit, Error::not_found});
            else
                expect(e, {Error::limit});
        } else if (unknown) {
            expect(e, {Error::ok, Error::not_found});
        } else {
            expect(e, {Error::ok});
        }
        if (e != Error::ok) {
            ev_.rejected = true;
            return;
        }
        const bool created = !m_.lists.count(id);
        m_.lists[id] = to_model(rule);
        if (created) add_list_state(id);
    }

    void ev_list_remove() {
        auto it = m_.lists.begin();
        std::advance(it, below(m_.lists.size()));
        const u64 id = it->first;
        ev_.desc = "remove_list(" + hex(id) + ")";
        expect(g_.remove_list(id), {Error::ok});
        m_.lists.erase(id);
        auto st = ls_.find(id);
        grave_.push_back(std::move(st->second.log));
        grave_size_.push_back(grave_.back()->size());
        ls_.erase(st);
    }

    void ev_threshold() {
        u32 t;
        const auto size = static_cast<u32>(m_.members.size());
        if (p_.threshold_hi > 0 && chance(50))
            t = p_.threshold_lo + below(p_.threshold_hi - p_.threshold_lo + 1);
        else if (p_.threshold_hi == 0 && chance(50))
            t = 1000;
        else
            t = std::max<u32>(1, size + below(4) - 1);  // flips around the current size
        ev_.desc = "set_offline_threshold(" + std::to_string(t) + ")";
        expect(g_.set_offline_threshold(t), {Error::ok});
        m_.offline_threshold = t;
    }

    void ev_everyone_view() {
        const bool v = chance(50);
        ev_.desc = std::string("set_everyone_view(") + (v ? "true" : "false") + ")";
        expect(g_.set_everyone_view(v), {Error::ok});
        m_.everyone_view = v;
    }

    // Events that must fail and change nothing.
    void ev_invalid() {
        ev_.rejected = true;
        const bool has_m = !present_.empty();
        const bool has_r = !m_.roles.empty();
        const std::string name = gen_name();
        const u64 reserved = chance(50) ? kOnline : kOffline;
        switch (below(30)) {
            case 0: {
                const u64 u = unknown_user();
                ev_.desc = "remove_member(unknown " + hex(u) + ")";
                expect(g_.remove_member(u), {Error::not_found});
                break;
            }
            case 1:
                ev_.desc = "remove_member(0)";
                expect(g_.remove_member(0), {Error::invalid});
                break;
            case 2: {
                const u64 u = unknown_user();
                ev_.desc = "set_status(unknown " + hex(u) + ")";
                expect(g_.set_status(u, Status::online), {Error::not_found});
                break;
            }
            case 3:
                ev_.desc = "set_status(0)";
                expect(g_.set_status(0, Status::idle), {Error::invalid});
                break;
            case 4: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                const auto bad = static_cast<Status>(4 + below(250));
                ev_.desc = "set_status(" + hex(u) + ", bad status " + std::to_string(static_cast<int>(bad)) + ")";
                ev_.subjects.push_back(u);
                expect(g_.set_status(u, bad), {Error::invalid});
                break;
            }
            case 5: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                const std::string bad = gen_bad_name();
                ev_.desc = "set_name(" + hex(u) + ", bad " + bytes_repr(bad) + ")";
                ev_.subjects.push_back(u);
                expect(g_.set_name(u, bad), {Error::invalid});
                break;
            }
            case 6: {
                const u64 u = unknown_user();
                ev_.desc = "set_name(unknown " + hex(u) + ")";
                expect(g_.set_name(u, name), {Error::not_found});
                break;
            }
            case 7: {
                const u64 u = unknown_user();
                const std::string bad = gen_bad_name();
                ev_.desc = "upsert_member(new " + hex(u) + ", bad name " + bytes_repr(bad) + ")";
                ev_.subjects.push_back(u);
                // At max_members, which check comes first is not specified.
                if (at_max_members())
                    expect(g_.upsert_member(u, bad, {}, Status::online, false), {Error::invalid, Error::limit});
                else
                    expect(g_.upsert_member(u, bad, {}, Status::online, false), {Error::invalid});
                break;
            }
            case 8:
                ev_.desc = "upsert_member(0, ...)";
                if (at_max_members())
                    expect(g_.upsert_member(0, name, {}, Status::online, false), {Error::invalid, Error::limit});
                else
                    expect(g_.upsert_member(0, name, {}, Status::online, false), {Error::invalid});
                break;
            case 9: {
                const u64 u = unknown_user();
                roster::Vec<u64> roles = gen_role_set(p_.cfg.max_roles_per_member - 1);
                const u64 bad = unknown_role();
                roles.insert(roles.begin() + below(roles.size() + 1), bad);
                ev_.desc = "upsert_member(new " + hex(u) + ", unknown role in " + ids_repr(roles) + ")";
                ev_.subjects.push_back(u);
                if (at_max_members())
                    expect(g_.upsert_member(u, name, roles, Status::online, false), {Error::not_found, Error::limit});
                else
                    expect(g_.upsert_member(u, name, roles, Status::online, false), {Error::not_found});
                break;
            }
            case 10: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                ev_.desc = "upsert_member(existing " + hex(u) + ", replace=false)";
                ev_.subjects.push_back(u);
                const auto roles = gen_role_set(p_.cfg.max_roles_per_member);
                const Status st = gen_status();
                expect(g_.upsert_member(u, name, roles, st, false), {Error::exists});
                break;
            }
            case 11: {
                const u64 u = unknown_user();
                roster::Vec<u64> roles = gen_role_set(p_.cfg.max_roles_per_member - 1);
                roles.push_back(chance(50) ? 0 : reserved);
                ev_.desc = "upsert_member(new " + hex(u) + ", id 0/reserved in roles " + ids_repr(roles) + ")";
                ev_.subjects.push_back(u);
                expect(g_.upsert_member(u, name, roles, Status::online, false),
                       {Error::invalid, Error::not_found, at_max_members() ? Error::limit : Error::invalid});
                break;
            }
            case 12: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                roster::Vec<u64> roles = gen_role_set(p_.cfg.max_roles_per_member - 1);
                roles.push_back(unknown_role());
                ev_.desc = "set_roles(" + hex(u) + ", unknown role in " + ids_repr(roles) + ")";
                ev_.subjects.push_back(u);
                expect(g_.set_roles(u, roles), {Error::not_found});
                break;
            }
            case 13: {
                const u64 u = unknown_user();
                ev_.desc = "set_roles(unknown " + hex(u) + ")";
                expect(g_.set_roles(u, gen_role_set(p_.cfg.max_roles_per_member)), {Error::not_found});
                break;
            }
            case 14: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                const u64 r = unknown_role();
                ev_.desc = "add_member_role(" + hex(u) + ", unknown role " + hex(r) + ")";
                ev_.subjects.push_back(u);
                expect(g_.add_member_role(u, r), {Error::not_found});
                break;
            }
            case 15: {
                if (!has_r) return ev_unknown_list_queries();
                const u64 u = unknown_user();
                const u64 r = pick_role();
                ev_.desc = "add_member_role(unknown " + hex(u) + ", " + hex(r) + ")";
                expect(g_.add_member_role(u, r), {Error::not_found});
                break;
            }
            case 16: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                const u64 r = chance(50) ? 0 : reserved;
                ev_.desc = "add/remove_member_role(" + hex(u) + ", " + hex(r) + ")";
                ev_.subjects.push_back(u);
                if (chance(50))
                    expect(g_.add_member_role(u, r), {Error::invalid, Error::not_found});
                else
                    expect(g_.remove_member_role(u, r), {Error::invalid, Error::not_found});
                break;
            }
            case 17: {
                const u64 u = unknown_user();
                const u64 r = has_r ? pick_role() : unknown_role();
                ev_.desc = "remove_member_role(unknown " + hex(u) + ", " + hex(r) + ")";
                expect(g_.remove_member_role(u, r), {Error::not_found});
                break;
            }
            case 18: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                const u64 r = unknown_role();
                ev_.desc = "remove_member_role(" + hex(u) + ", unknown role " + hex(r) + ")";
                ev_.subjects.push_back(u);
                expect(g_.remove_member_role(u, r), {Error::not_found});
                break;
            }
            case 19: {
                const bool zero = chance(30);
                const u64 u = zero ? 0 : unknown_user();
                ev_.desc = "touch(" + hex(u) + ")";
                expect(g_.touch(u), {zero ? Error::invalid : Error::not_found});
                break;
            }
            case 20: {
                const u64 u = unknown_user();
                ev_.desc = "set_sort_key(unknown " + hex(u) + ")";
                const std::uint8_t k[] = {1, 2};
                expect(g_.set_sort_key(u, true, k), {Error::not_found});
                break;
            }
            case 21: {
                if (!has_m) return ev_unknown_list_queries();
                const u64 u = pick_present();
                roster::Vec<std::uint8_t> key(p_.cfg.max_sort_key_bytes + 1 + below(3), 0x61);
                ev_.desc = "set_sort_key(" + hex(u) + ", " + std::to_string(key.size()) + " bytes)";
                ev_.subjects.push_back(u);
                expect(g_.set_sort_key(u, true, key), {kSortKeyTooLong});
                break;
            }
            case 22: {
                RoleSpec r;
                r.id = chance(34) ? 0 : reserved;
                r.hoist = true;
                ev_.desc = "upsert_role(" + hex(r.id) + ")";
                expect(g_.upsert_role(r), {Error::invalid});
                break;
            }
            case 23: {
                const u32 c = below(3);
                const u64 r = c == 0 ? unknown_role() : c == 1 ? 0 : reserved;
                ev_.desc = "remove_role(" + hex(r) + ")";
                if (c == 0)
                    expect(g_.remove_role(r), {Error::not_found});
                else
                    expect(g_.remove_role(r), {Error::invalid, Error::not_found});
                break;
            }
            case 24: {
                if (!has_r) return ev_unknown_list_queries();
                roster::Vec<u64> ids;
                for (const auto& kv : m_.roles) ids.push_back(kv.first);
                std::shuffle(ids.begin(), ids.end(), rng_);
                ids.resize(1 + below(ids.size()));
                roster::Vec<std::int32_t> pos(ids.size(), 7);
                const u32 c = below(4);
                if (c == 3) {
                    ids.insert(ids.begin() + below(ids.size() + 1), chance(50) ? 0 : reserved);
                    pos.push_back(3);
                    ev_.desc = "reorder_roles(id 0/reserved in " + ids_repr(ids) + ")";
                    expect(g_.reorder_roles(ids, pos), {Error::invalid, Error::not_found});
                } else if (c == 0) {
                    pos.push_back(1);  // size mismatch
                    ev_.desc = "reorder_roles(size mismatch)";
                    expect(g_.reorder_roles(ids, pos), {Error::invalid});
                } else if (c == 1) {
                    ids.push_back(ids[below(ids.size())]);
                    pos.push_back(3);
                    ev_.desc = "reorder_roles(duplicate id " + ids_repr(ids) + ")";
                    expect(g_.reorder_roles(ids, pos), {Error::invalid});
                } else {
                    const u64 bad = unknown_role();
                    ids.insert(ids.begin() + below(ids.size() + 1), bad);
                    pos.push_back(3);
                    ev_.desc = "reorder_roles(unknown id " + ids_repr(ids) + ")";
                    expect(g_.reorder_roles(ids, pos), {Error::not_found});
                }
                break;
            }
            case 25: {
                const u32 c = below(3);
                if (c == 0) {
                    ev_.desc = "set_list(0)";
                    expect(g_.set_list(0, ListRule{}), {Error::invalid});
                } else if (c == 1) {
                    ev_.desc = "remove_list(0)";
                    expect(g_.remove_list(0), {Error::invalid});
                } else {
                    u64 id = 0;
                    for (u64 l : kListPool)
                        if (!m_.lists.count(l)) id = l;
                    if (id == 0) id = 777;
                    ev_.desc = "remove_list(unknown " + hex(id) + ")";
                    expect(g_.remove_list(id), {Error::not_found});
                }
                break;
            }
            case 26: {
                // Limits on members: add one at max_members, or too many
                // distinct roles for one member.
                if (m_.members.size() >= p_.cfg.max_members) {
                    const u64 u = unknown_user();
                    ev_.desc = "upsert_member(new " + hex(u) + ") at max_members";
                    expect(g_.upsert_member(u, name, {}, Status::online, false), {Error::limit});
                    break;
                }
                if (!has_m || m_.roles.size() <= p_.cfg.max_roles_per_member) return ev_unknown_list_queries();
                roster::Vec<u64> ids;
                for (const auto& kv : m_.roles) ids.push_back(kv.first);
                std::shuffle(ids.begin(), ids.end(), rng_);
                ids.resize(p_.cfg.max_roles_per_member + 1);
                const u64 u = pick_present();
                ev_.subjects.push_back(u);
                if (chance(50)) {
                    ev_.desc = "set_roles(" + hex(u) + ", " + std::to_string(ids.size()) + " roles)";
                    expect(g_.set_roles(u, ids), {Error::limit});
                } else {
                    ev_.desc = "upsert_member(" + hex(u) + ", replace, " + std::to_string(ids.size()) + " roles)";
                    expect(g_.upsert_member(u, name, ids, Status::online, true), {Error::limit});
                }
                break;
            }
            case 27: {
                // A malformed rule, on an existing list or on a new one while
                // below max_lists.
                u64 id = pick_list_id();
                if (!m_.lists.count(id) && m_.lists.size() >= p_.cfg.max_lists) id = m_.lists.begin()->first;
                bool unknown = false;
                ListRule rule = gen_rule(std::min<std::size_t>(3, p_.cfg.max_overwrites - 1), &unknown);
                const u32 c = below(3);
                if (c == 0) {
                    const IdOverwrite o{chance(50) ? u64{0} : reserved, true};
                    rule.roles.insert(rule.roles.begin() + below(rule.roles.size() + 1), o);
                } else if (c == 1) {
                    rule.members.insert(rule.members.begin() + below(rule.members.size() + 1), IdOverwrite{0, false});
                } else {
                    rule.everyone = static_cast<Overwrite>(3 + below(200));
                }
                ev_.desc = "set_list(" + hex(id) + ", malformed " + rule_repr(rule) + ")";
                if (unknown)
                    expect(g_.set_list(id, rule), {Error::invalid, Error::not_found});
                else
                    expect(g_.set_list(id, rule), {Error::invalid});
                break;
            }
            default: return ev_unknown_list_queries();
        }
    }

    // Calls on lists that do not exist (not events; nothing may change).
    void ev_unknown_list_queries() {
        ev_.rejected = true;
        u64 id = 0;
        for (u64 l : kListPool)
            if (!m_.lists.count(l)) id = l;
        if (id == 0) id = 999;
        ev_.desc = "queries on unknown list " + hex(id);
        roster::Vec<RowEdit> dummy;
        u32 a = 0, b = 0;
        Row r{};
        roster::Vec<GroupCount> gs;
        roster::Vec<Row> rs;
        expect(g_.attach_log(id, &dummy), {Error::not_found});
        expect(g_.list_length(id, &a), {Error::not_found});
        expect(g_.counts(id, &a, &b), {Error::not_found});
        expect(g_.groups(id, &gs), {Error::not_found});
        expect(g_.row_at(id, 0, &r), {Error::not_found});
        expect(g_.rows(id, 0, 10, &rs), {Error::not_found});
        expect(g_.index_of(id, present_.empty() ? 1 : pick_present(), &a), {Error::not_found});
        if (g_.has_list(id)) fail("has_list true for an unknown list");
    }

    // ------------------------------------------------------------ checks
    void verify(bool offline_flipped) {
        if (g_.member_total() != m_.members.size())
            fail("member_total " + std::to_string(g_.member_total()) + " != " +
                 std::to_string(m_.members.size()));
        const bool big = m_.members.size() > p_.big_from;
        const bool deep = !big || n_ % p_.deep_every == 0;
        if (offline_flipped) ++flips_;

        for (auto& [id, st] : ls_) {
            const std::size_t added = st.log->size() - st.before;
            bool reset = false;
            for (std::size_t i = st.before; i < st.log->size(); ++i)
                if ((*st.log)[i].kind == RowEdit::Kind::reset) reset = true;
            edits_ += added;
            resets_ += reset;
            if (ev_.rejected && added)
                fail("rejected event appended " + std::to_string(added) + " edits to list " + hex(id));
            if (ev_.single && !offline_flipped && (added > kMaxSingleEdits || reset))
                fail("single-member event cost " + std::to_string(added) + " edits" +
                     (reset ? " incl. a reset" : "") + " on list " + hex(id));
            if (id != 0 && !deep) continue;
            check_list(id, st);
        }
        for (std::size_t i = 0; i < grave_.size(); ++i)
            if (grave_[i]->size() != grave_size_[i]) fail("a removed list's log received edits");

        // Members: the subjects and a few random ids.
        for (u64 u : ev_.subjects) check_member(u);
        for (int i = 0; i < 2; ++i) check_member(pool_[cbelow(pool_.size())]);

        if (!big || n_ % p_.inv_every == 0) {
            std::string why;
            if (!g_.check_invariants(&why)) fail("check_invariants: " + why);
        }
    }

    void check_member(u64 uid) {
        Guild::MemberView mv{};
        const Error e = g_.member(uid, &mv);
        auto it = m_.members.find(uid);
        if (it == m_.members.end()) {
            if (e != Error::not_found) fail("member(" + hex(uid) + ") of a non-member: " + roster::error_name(e));
            return;
        }
        if (e != Error::ok) fail("member(" + hex(uid) + "): " + roster::error_name(e));
        const MMember& m = it->second;
        if (mv.id != uid) fail("member().id differs");
        if (mv.name != m.name) fail("member(" + hex(uid) + ").name " + bytes_repr(mv.name) + " != " + bytes_repr(m.name));
        if (mv.status != m.status) fail("member(" + hex(uid) + ").status differs");
        if (mv.group != m_.group_of(m))
            fail("member(" + hex(uid) + ").group " + hex(mv.group) + " != " + hex(m_.group_of(m)));
        const roster::Vec<u64> roles(m.roles.begin(), m.roles.end());
        if (mv.roles != roles) fail("member(" + hex(uid) + ").roles " + ids_repr(mv.roles) + " != " + ids_repr(roles));
    }

    static bool same_row(const Row& a, const Row& b) {
        if (a.header() != b.header() || a.group != b.group) return false;
        return a.header() ? a.count == b.count : a.user == b.user;
    }

    void check_list(u64 id, ListState& st) {
        ++list_checks_;
        const View v = m_.compute(id);
        const auto len = static_cast<u32>(v.rows.size());
        const std::string L = "list " + hex(id) + ": ";
        if (!g_.has_list(id)) fail(L + "has_list false");
        u32 got_len = 0;
        if (g_.list_length(id, &got_len) != Error::ok) fail(L + "list_length failed");
        if (got_len != len) fail(L + "length " + std::to_string(got_len) + " != " + std::to_string(len));
        u32 mc = 0, oc = 0;
        if (g_.counts(id, &mc, &oc) != Error::ok) fail(L + "counts failed");
        if (mc != v.member_count || oc != v.online_count)
            fail(L + "counts " + std::to_string(mc) + "/" + std::to_string(oc) + " != " +
                 std::to_string(v.member_count) + "/" + std::to_string(v.online_count));
        roster::Vec<GroupCount> gs;
        if (g_.groups(id, &gs) != Error::ok) fail(L + "groups failed");
        bool gs_ok = gs.size() == v.groups.size();
        for (std::size_t i = 0; gs_ok && i < gs.size(); ++i)
            gs_ok = gs[i].id == v.groups[i].id && gs[i].count == v.groups[i].count;
        if (!gs_ok) {
            std::string s = L + "groups differ: got";
            for (const auto& g : gs) s += " " + hex(g.id) + ":" + std::to_string(g.count);
            s += " want";
            for (const auto& g : v.groups) s += " " + hex(g.id) + ":" + std::to_string(g.count);
            fail(s);
        }
        roster::Vec<Row> rows;
        if (len > 0) {
            if (g_.rows(id, 0, len - 1, &rows) != Error::ok) fail(L + "rows failed");
            if (rows.size() != len) fail(L + "rows() returned " + std::to_string(rows.size()) + " rows");
            for (u32 i = 0; i < len; ++i)
                if (!same_row(rows[i], v.rows[i]))
                    fail(L + "row " + std::to_string(i) + " is " + row_repr(rows[i]) + ", want " +
                         row_repr(v.rows[i]));
            // A partial range, end possibly past the last row.
            const u32 a = cbelow(len);
            const u32 b = a + cbelow(len - a + 5);
            rows.clear();
            if (g_.rows(id, a, b, &rows) != Error::ok) fail(L + "partial rows failed");
            const u32 want = std::min(b, len - 1) - a + 1;
            if (rows.size() != want) fail(L + "partial rows() returned " + std::to_string(rows.size()));
            for (u32 i = 0; i < want; ++i)
                if (!same_row(rows[i], v.rows[a + i])) fail(L + "partial rows differ");
            for (int t = 0; t < 3; ++t) {
                const u32 i = cbelow(len);
                Row r{};
                if (g_.row_at(id, i, &r) != Error::ok || !same_row(r, v.rows[i]))
                    fail(L + "row_at(" + std::to_string(i) + ") differs");
            }
        }
        {
            Row r{};
            if (g_.row_at(id, len, &r) == Error::ok) fail(L + "row_at(length) succeeded");
        }
        // index_of: the subjects and a few random ids.
        roster::Vec<u64> probe = ev_.subjects;
        for (int t = 0; t < 3; ++t) probe.push_back(pool_[cbelow(pool_.size())]);
        if (len > 0) {
            const Row& r = v.rows[cbelow(len)];
            if (!r.header()) probe.push_back(r.user);
        }
        for (u64 u : probe) {
            const long long want = v.find(u);
            u32 got = 0;
            const Error e = g_.index_of(id, u, &got);
            if (want < 0) {
                if (e != Error::not_found)
                    fail(L + "index_of(" + hex(u) + ") of a member not shown: " + roster::error_name(e));
            } else if (e != Error::ok || got != static_cast<u32>(want)) {
                fail(L + "index_of(" + hex(u) + ") = " + roster::error_name(e) + " " + std::to_string(got) +
                     ", want " + std::to_string(want));
            }
        }
        check_log(id, st, v);
    }

    void check_log(u64 id, ListState& st, const View& v) {
        const std::string L = "list " + hex(id) + " change log: ";
        const auto len = v.rows.size();
        if (!st.fresh_list) {
            auto& snap = st.snap;
            bool reset = false;
            for (std::size_t k = 0; k < st.log->size(); ++k) {
                const RowEdit& e = (*st.log)[k];
                if (reset) continue;  // the length between edits is unknown after a reset
                const std::string at = "edit #" + std::to_string(k) + " index " + std::to_string(e.index) +
                                       " (rows " + std::to_string(snap.size()) + ")";
                switch (e.kind) {
                    case RowEdit::Kind::insert:
                        if (e.index > snap.size()) fail(L + "insert out of range, " + at);
                        snap.insert(snap.begin() + e.index, SnapRow{Snap::fresh, Row{}});
                        break;
                    case RowEdit::Kind::remove:
                        if (e.index >= snap.size()) fail(L + "remove out of range, " + at);
                        snap.erase(snap.begin() + e.index);
                        break;
                    case RowEdit::Kind::update:
                        if (e.index >= snap.size()) fail(L + "update out of range, " + at);
                        snap[e.index].st = Snap::fresh;
                        break;
                    case RowEdit::Kind::reset: reset = true; break;
                    default: fail(L + "bad edit kind, " + at);
                }
            }
            if (reset) snap.assign(len, SnapRow{Snap::unknown, Row{}});
            if (snap.size() != len)
                fail(L + "edits give " + std::to_string(snap.size()) + " rows, the list has " + std::to_string(len));
            // Rows changed in place: positions in the list as it is now.
            roster::Vec<std::uint32_t> touched;
            if (g_.take_touched(id, &touched) != Error::ok) fail(L + "take_touched failed");
            for (std::size_t k = 0; k < touched.size(); ++k) {
                if (touched[k] >= len || (k && touched[k] <= touched[k - 1]))
                    fail(L + "touched rows out of range or order");
                else if (!reset)
                    snap[touched[k]].st = Snap::fresh;
            }
            for (std::size_t i = 0; i < len; ++i) {
                if (snap[i].st != Snap::known) continue;
                const Row& a = snap[i].row;
                const Row& b = v.rows[i];
                const bool eq = a.header() == b.header() && a.group == b.group && (a.header() || a.user == b.user);
                if (!eq)
                    fail(L + "row " + std::to_string(i) + " was not edited but changed: " + row_repr(a) +
                         " -> " + row_repr(b));
            }
            for (u64 u : ev_.must_update) {
                const long long i = v.find(u);
                if (i >= 0) ++update_checks_;
                if (i >= 0 && snap[static_cast<std::size_t>(i)].st == Snap::known)
                    fail(L + "member " + hex(u) + " at row " + std::to_string(i) +
                         " changed data but its row got no edit");
            }
        }
        if (st.fresh_list) {  // its touched members, too, are before the snapshot
            roster::Vec<std::uint32_t> touched;
            g_.take_touched(id, &touched);
        }
        st.fresh_list = false;
        st.snap.resize(len);
        for (std::size_t i = 0; i < len; ++i) st.snap[i] = SnapRow{Snap::known, v.rows[i]};
        st.log->clear();
        st.before = 0;
    }

    void final_check() {
        ev_ = Ev{};
        ev_.kind = k_invalid;
        ev_.desc = "final check";
        for (auto& kv : ls_) kv.second.before = kv.second.log->size();
        for (auto& [id, st] : ls_) check_list(id, st);
        std::string why;
        if (!g_.check_invariants(&why)) fail("check_invariants: " + why);
        // Detach the logs; the guild must not use them any more.
        for (auto& kv : ls_) CHECK(g_.attach_log(kv.first, nullptr) == Error::ok);
    }

    Params p_;
    std::mt19937_64 rng_;
    std::mt19937_64 check_rng_;
    Guild g_;
    Model m_;
    std::map<u64, ListState> ls_;
    roster::Vec<std::unique_ptr<roster::Vec<RowEdit>>> grave_;
    roster::Vec<std::size_t> grave_size_;
    roster::Vec<u64> pool_, present_;
    std::unordered_map<u64, std::size_t> present_pos_;
    std::set<u64> used_roles_;
    roster::Vec<u64> removed_roles_;
    u64 next_role_ = 100;
    u32 target_ = 0;
    Ev ev_;
    u64 n_ = 0, ok_ = 0, rejected_ = 0, edits_ = 0, resets_ = 0, list_checks_ = 0;
    std::size_t max_members_ = 0, max_roles_ = 0;
    std::array<u64, k_count> kind_count_{};
    std::array<u64, 10> error_count_{};  // by -Error
    u64 flips_ = 0, update_checks_ = 0;
};

}  // namespace

TEST_SUITE("guild_random") {

TEST_CASE("tiny guilds: 0-10 members, few roles, thresholds flipping") {
    for (u64 seed = 1; seed <= 24; ++seed) {
        Params p;
        p.name = "tiny";
        p.seed = 0x7100 + seed;
        p.events = 4000;
        p.size_lo = 0;
        p.size_hi = 10;
        p.roles_max = 6;
        p.lists_max = 4;
        p.threshold_lo = 2;
        p.threshold_hi = 12;
        p.id_pool = 16;
        p.cfg.offline_threshold = 2 + static_cast<u32>(seed % 10);
        p.cfg.everyone_view = seed % 3 != 0;
        Runner r(p);
        r.run();
    }
}

TEST_CASE("small guilds: 5-60 members, up to 30 roles, thresholds 5-60") {
    for (u64 seed = 1; seed <= 8; ++seed) {
        Params p;
        p.name = "small";
        p.seed = 0x5A11 + seed * 7919;
        p.events = 8000;
        p.size_lo = 5;
        p.size_hi = 60;
        p.roles_max = 30;
        p.lists_max = 4;
        p.threshold_lo = 5;
        p.threshold_hi = 60;
        p.id_pool = 96;
        p.cfg.offline_threshold = 5 + static_cast<u32>(seed * 7 % 56);
        Runner r(p);
        r.run();
    }
}

TEST_CASE("many lists: more lists than the members' membership bits (32)") {
    // Lists past the 31st (besides list 0) have no bit in the member
    // records and answer membership from their hooks; removed lists' bits
    // are reused, stale, by new lists.
    for (u64 seed = 1; seed <= 3; ++seed) {
        Params p;
        p.name = "many_lists";
        p.seed = 0x1157 + seed * 104729;
        p.events = 3000;
        p.size_lo = 5;
        p.size_hi = 40;
        p.roles_max = 12;
        p.lists_max = 45;
        p.list_ids = 60;
        p.list_weight = 6;
        p.threshold_lo = 5;
        p.threshold_hi = 40;
        p.id_pool = 64;
        p.cfg.offline_threshold = 20;
        Runner r(p);
        r.run();
        CHECK(r.max_lists() > 32);
    }
}

TEST_CASE("limits: small GuildConfig limits are enforced with Error::limit") {
    for (u64 seed = 1; seed <= 4; ++seed) {
        Params p;
        p.name = "limits";
        p.seed = 0x1111 + seed;
        p.events = 6000;
        p.cfg.max_members = 40;
        p.cfg.max_roles = 12;
        p.cfg.max_roles_per_member = 4;
        p.cfg.max_lists = 3;
        p.cfg.max_overwrites = 5;
        p.cfg.max_sort_key_bytes = 16;
        p.cfg.offline_threshold = 30;
        p.size_lo = 25;
        p.size_hi = 40;
        p.grow_weight = 40;
        p.roles_max = 12;
        p.lists_max = 3;
        p.limits = true;
        p.threshold_lo = 10;
        p.threshold_hi = 50;
        p.id_pool = 56;
        Runner r(p);
        r.run();
    }
}

TEST_CASE("medium guilds: 150-400 members") {
    for (u64 seed = 1; seed <= 2; ++seed) {
        Params p;
        p.name = "medium";
        p.seed = 0x3ED + seed;
        p.events = 8000;
        p.size_lo = 150;
        p.size_hi = 400;
        p.grow_weight = 60;
        p.roles_max = 30;
        p.lists_max = 4;
        p.threshold_lo = 150;
        p.threshold_hi = 400;
        p.id_pool = 500;
        p.cfg.offline_threshold = 300;
        Runner r(p);
        r.run();
    }
}

TEST_CASE("large guild: grows to ~5,000 members, default threshold crossed") {
    Params p;
    p.name = "large";
    p.seed = 0xB16;
    p.events = 12000;
    p.size_lo = 4800;
    p.size_hi = 5000;
    p.grow_weight = 250;
    p.roles_max = 30;
    p.lists_max = 3;
    p.id_pool = 5600;
    p.big_from = 1000;
    p.deep_every = 4;
    p.inv_every = 2;
    Runner r(p);
    r.run();
}

}  // TEST_SUITE
