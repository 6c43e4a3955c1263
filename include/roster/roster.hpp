// Header-only C++ RAII wrapper over the C API (roster.h).
//
// roster::Guild owns a roster_guild (move-only; destroyed with it). Calls
// throw roster::Error (carrying the status code) on failure; the guild is
// then unchanged, as with the C API, except for ROSTER_EFLUSH (the change
// was made, its frames come at the next flush: see roster.h, "When memory
// runs out"; Guild::flush() retries). Nothing here adds ABI: it compiles
// against roster.h only, so it works with any libroster of the same major
// version. Requires C++17.
//
// Frames reach a callable set with Guild::on_frame. It is handed the C
// frame itself (roster_frame, valid only during the call: copy what you
// keep, e.g. with roster::Frame::copy_of) and the sessions it is for. An
// exception thrown by the callable does not cross the C library: it is
// held, the rest of the flush goes on, and the Guild call that caused the
// flush rethrows it when the library returns (the first one, if several).
#ifndef ROSTER_ROSTER_HPP
#define ROSTER_ROSTER_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roster.h"

namespace roster {

class Error : public std::runtime_error {
public:
    explicit Error(int status)
        : std::runtime_error(roster_status_str(status)), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

inline void check(int status) {
    if (status != ROSTER_OK) throw Error(status);
}

enum class Presence : int {
    offline = ROSTER_OFFLINE,
    online = ROSTER_ONLINE,
    idle = ROSTER_IDLE,
    dnd = ROSTER_DND,
};

struct Overwrite {
    std::uint64_t id;
    bool allow;
};

struct ListRule {
    int everyone = ROSTER_OVERWRITE_NONE;  // ROSTER_OVERWRITE_*
    std::vector<Overwrite> roles;
    std::vector<Overwrite> members;
};

// One member of a bulk add (Guild::add_members).
struct MemberSpec {
    std::uint64_t id = 0;
    std::string name;
    std::vector<std::uint64_t> roles;
    Presence status = Presence::offline;
};

// The session ids a frame is for: a view of the library's array, valid
// only during the callback.
class Sessions {
public:
    Sessions(const std::uint64_t* ids, std::size_t n) noexcept : ids_(ids), n_(n) {}
    const std::uint64_t* begin() const noexcept { return ids_; }
    const std::uint64_t* end() const noexcept { return ids_ + n_; }
    std::size_t size() const noexcept { return n_; }
    std::uint64_t operator[](std::size_t i) const noexcept { return ids_[i]; }

private:
    const std::uint64_t* ids_;
    std::size_t n_;
};

// An owning copy of one op and of one frame, for keeping beyond the callback.
struct Op {
    std::uint32_t kind = ROSTER_OP_SYNC;  // ROSTER_OP_*
    std::uint32_t index = 0;
    std::uint32_t end = 0;
    std::vector<roster_row> items;
};

struct Frame {
    std::uint64_t list_id = 0;
    std::uint32_t member_count = 0;
    std::uint32_t online_count = 0;
    std::vector<roster_group> groups;
    std::vector<Op> ops;

    static Frame copy_of(const roster_frame& f) {
        Frame out;
        out.list_id = f.list_id;
        out.member_count = f.member_count;
        out.online_count = f.online_count;
        out.groups.assign(f.groups, f.groups + f.group_count);
        out.ops.reserve(f.op_count);
        for (std::size_t i = 0; i < f.op_count; ++i) {
            const roster_op& o = f.ops[i];
            out.ops.push_back(Op{o.kind, o.index, o.end,
                                 std::vector<roster_row>(o.items, o.items + o.item_count)});
        }
        return out;
    }
};

using FrameHandler = std::function<void(const roster_frame&, Sessions)>;

struct MemberInfo {
    std::uint64_t id = 0;
    std::string name;
    Presence status = Presence::offline;
    std::uint64_t group = 0;
    std::vector<std::uint64_t> roles;  // ascending
};

class Guild {
public:
    Guild() : Guild(nullptr) {}
    explicit Guild(const roster_config& config) : Guild(&config) {}
    // The callback state lives on the heap, so moving a Guild keeps the
    // pointer the library holds valid.
    Guild(Guild&& o) noexcept : g_(std::exchange(o.g_, nullptr)), cb_(std::move(o.cb_)) {}
    Guild& operator=(Guild&& o) noexcept {
        if (this != &o) {
            roster_guild_destroy(g_);
            g_ = std::exchange(o.g_, nullptr);
            cb_ = std::move(o.cb_);
        }
        return *this;
    }
    Guild(const Guild&) = delete;
    Guild& operator=(const Guild&) = delete;
    ~Guild() { roster_guild_destroy(g_); }

    roster_guild* get() const noexcept { return g_; }

    // Sets the frame handler (an empty one clears it). Throws Error(EBUSY)
    // from inside a frame callback.
    void on_frame(FrameHandler handler) {
        if (!cb_) cb_ = std::make_unique<Callback>();
        check(roster_guild_set_frame_callback(g_, handler ? &Guild::trampoline : nullptr,
                                              handler ? cb_.get() : nullptr));
        cb_->fn = std::move(handler);
    }

    // The frame queue (roster_guild_set_frame_queue): frames are appended to
    // a buffer the library keeps instead of going to the handler, which this
    // clears (enable false: frames are dropped; those queued stay). Throws
    // Error(EBUSY) from inside a frame callback.
    void set_frame_queue(bool enable) {
        check(roster_guild_set_frame_queue(g_, enable ? 1 : 0));
        if (enable && cb_) cb_->fn = nullptr;
    }

    // Takes the queued frames (roster_guild_take_frames) and hands each, in
    // order, to handler as a roster_frame decoded from its record (the
    // layout of docs/frames.md §12; sessions and rows point into the taken
    // bytes, valid during the call). Returns how many. If handler throws,
    // the remaining frames are still handed over and the first exception is
    // rethrown at the end (the frames were taken either way). A malformed
    // record throws Error(ROSTER_EINTERNAL) before anything past it is read.
    std::size_t take_frames(const FrameHandler& handler) {
        const void* data = nullptr;
        std::size_t len = 0;
        check(roster_guild_take_frames(&data, &len, g_));
        const auto* p = static_cast<const unsigned char*>(data);
        std::vector<roster_group> groups;
        std::vector<roster_op> ops;
        std::exception_ptr error;
        std::size_t frames = 0;
        for (std::size_t at = 0; at < len; ++frames) {
            std::uint64_t size = 0;
            std::uint32_t head[6];
            roster_frame f{};
            if (len - at < 40) throw Error(ROSTER_EINTERNAL);
            std::memcpy(&size, p + at, 8);
            std::memcpy(&f.list_id, p + at + 8, 8);
            std::memcpy(head, p + at + 16, sizeof head);
            const std::uint64_t sessions = head[2], group_count = head[3], op_count = head[4],
                                rows = head[5];
            if (size != 40 + 8 * sessions + 16 * group_count + 16 * op_count + 24 * rows ||
                size > len - at)
                throw Error(ROSTER_EINTERNAL);
            const unsigned char* q = p + at + 40 + 8 * sessions;
            groups.resize(group_count);
            for (roster_group& g : groups) {
                std::memcpy(&g.id, q, 8);
                std::memcpy(&g.count, q + 8, 4);
                q += 16;
            }
            const auto* items = reinterpret_cast<const roster_row*>(q + 16 * op_count);
            ops.resize(op_count);
            std::uint64_t used = 0;
            for (roster_op& op : ops) {
                std::uint32_t w[4];
                std::memcpy(w, q, sizeof w);
                q += 16;
                if (w[3] > rows - used) throw Error(ROSTER_EINTERNAL);
                op.kind = w[0];
                op.index = w[1];
                op.end = w[2];
                op.item_count = w[3];
                op.items = items + used;
                used += w[3];
            }
            if (used != rows) throw Error(ROSTER_EINTERNAL);
            f.member_count = head[0];
            f.online_count = head[1];
            f.groups = groups.data();
            f.group_count = groups.size();
            f.ops = ops.data();
            f.op_count = ops.size();
            try {
                handler(f, Sessions(reinterpret_cast<const std::uint64_t*>(p + at + 40),
                                    static_cast<std::size_t>(sessions)));
            } catch (...) {
                if (!error) error = std::current_exception();
            }
            at += static_cast<std::size_t>(size);
        }
        if (error) std::rethrow_exception(error);
        return frames;
    }

    void set_everyone_view(bool view) { call(roster_guild_set_everyone_view(g_, view ? 1 : 0)); }
    void set_offline_threshold(std::uint32_t t) { call(roster_guild_set_offline_threshold(g_, t)); }
    std::uint32_t member_count() const {
        std::uint32_t n = 0;
        check(roster_guild_member_count(&n, g_));
        return n;
    }

    void batch_begin() { call(roster_batch_begin(g_)); }
    void batch_commit() { call(roster_batch_commit(g_)); }
    // Delivers what is not delivered yet (after an EFLUSH).
    void flush() { call(roster_guild_flush(g_)); }
    // Runs fn inside a batch: begin, fn(), commit. The batch is committed
    // (its frames delivered) even when fn throws; the exception then
    // propagates.
    template <class Fn>
    void batch(Fn&& fn) {
        batch_begin();
        try {
            std::forward<Fn>(fn)();
        } catch (...) {
            batch_commit();
            throw;
        }
        batch_commit();
    }

    void upsert_role(std::uint64_t id, std::int32_t position, std::uint32_t flags) {
        roster_role r{id, position, flags};
        call(roster_role_upsert(g_, &r));
    }
    void remove_role(std::uint64_t id) { call(roster_role_remove(g_, id)); }
    void reorder_roles(const std::vector<std::uint64_t>& ids,
                       const std::vector<std::int32_t>& positions) {
        if (ids.size() != positions.size()) throw Error(ROSTER_EINVAL);
        call(roster_roles_reorder(g_, ids.data(), positions.data(), ids.size()));
    }

    // Adds all the members or none (see roster_members_add).
    void add_members(const std::vector<MemberSpec>& members) {
        const std::vector<roster_member_spec> specs = specs_of(members);
        call(roster_members_add(g_, specs.data(), specs.size()));
    }
    // The same; when it throws, *failed_index (if not null) is the index of
    // the first failing member, or members.size() when the error is not
    // about one member (see roster_members_add_at).
    void add_members(const std::vector<MemberSpec>& members, std::size_t* failed_index) {
        const std::vector<roster_member_spec> specs = specs_of(members);
        call(roster_members_add_at(failed_index, g_, specs.data(), specs.size()));
    }
    void add_member(std::uint64_t id, std::string_view name,
                    const std::vector<std::uint64_t>& roles, Presence status) {
        call(roster_member_add(g_, id, name.data(), name.size(), roles.data(), roles.size(),
                                static_cast<int>(status)));
    }
    void upsert_member(std::uint64_t id, std::string_view name,
                       const std::vector<std::uint64_t>& roles, Presence status) {
        call(roster_member_upsert(g_, id, name.data(), name.size(), roles.data(), roles.size(),
                                   static_cast<int>(status)));
    }
    void remove_member(std::uint64_t id) { call(roster_member_remove(g_, id)); }
    void set_status(std::uint64_t id, Presence s) {
        call(roster_member_set_status(g_, id, static_cast<int>(s)));
    }
    void set_name(std::uint64_t id, std::string_view name) {
        call(roster_member_set_name(g_, id, name.data(), name.size()));
    }
    void set_sort_key(std::uint64_t id, std::string_view key) {
        call(roster_member_set_sort_key(g_, id, key.data(), key.size()));
    }
    void clear_sort_key(std::uint64_t id) { call(roster_member_set_sort_key(g_, id, nullptr, 0)); }
    void set_roles(std::uint64_t id, const std::vector<std::uint64_t>& roles) {
        call(roster_member_set_roles(g_, id, roles.data(), roles.size()));
    }
    void add_role(std::uint64_t id, std::uint64_t role) { call(roster_member_add_role(g_, id, role)); }
    void remove_role_from(std::uint64_t id, std::uint64_t role) {
        call(roster_member_remove_role(g_, id, role));
    }
    void touch(std::uint64_t id) { call(roster_member_touch(g_, id)); }

    // Many member events in one call (see roster_events_apply). An event
    // that fails does not stop the others and throws nothing: statuses (when
    // given) receives each one's status, and the first failure's is
    // returned (ROSTER_OK if none; ROSTER_EFLUSH if the events were applied
    // but their frames are late, see flush()). Throws when called inside the frame
    // handler (EBUSY), or rethrows a handler's exception.
    int apply_events(const std::vector<roster_event>& events, std::vector<int>* statuses = nullptr) {
        if (statuses) statuses->assign(events.size(), ROSTER_OK);
        const int rc = roster_events_apply(g_, events.data(), events.size(), sizeof(roster_event),
                                           statuses ? statuses->data() : nullptr);
        call(rc == ROSTER_EBUSY ? rc : ROSTER_OK);  // no single event is ever busy
        return rc;
    }

    MemberInfo member(std::uint64_t id) const {
        roster_member_info info{};
        std::size_t n = 0;
        check(roster_member_get(&info, nullptr, 0, &n, g_, id));
        MemberInfo m;
        m.roles.resize(n);
        check(roster_member_get(&info, m.roles.data(), n, &n, g_, id));
        m.id = info.id;
        m.name.assign(info.name, info.name_len);
        m.status = static_cast<Presence>(info.status);
        m.group = info.group;
        return m;
    }

    void set_list(std::uint64_t list_id, const ListRule& rule) {
        std::vector<roster_overwrite> roles, members;
        for (const Overwrite& o : rule.roles) roles.push_back({o.id, o.allow ? 1 : 0});
        for (const Overwrite& o : rule.members) members.push_back({o.id, o.allow ? 1 : 0});
        roster_list_rule r = ROSTER_LIST_RULE_INIT;
        r.everyone = rule.everyone;
        r.roles = roles.data();
        r.role_count = roles.size();
        r.members = members.data();
        r.member_count = members.size();
        call(roster_list_set(g_, list_id, &r));
    }
    void remove_list(std::uint64_t list_id) { call(roster_list_remove(g_, list_id)); }

    std::uint32_t length(std::uint64_t list_id) const {
        std::uint32_t n = 0;
        check(roster_list_length(&n, g_, list_id));
        return n;
    }
    std::pair<std::uint32_t, std::uint32_t> counts(std::uint64_t list_id) const {
        std::uint32_t m = 0, o = 0;
        check(roster_list_counts(&m, &o, g_, list_id));
        return {m, o};
    }
    std::vector<roster_group> groups(std::uint64_t list_id) const {
        std::size_t n = 0;
        check(roster_list_groups(nullptr, 0, &n, g_, list_id));
        std::vector<roster_group> out(n);
        check(roster_list_groups(out.data(), out.size(), &n, g_, list_id));
        out.resize(n);
        return out;
    }
    std::vector<roster_row> rows(std::uint64_t list_id, std::uint32_t start,
                                 std::uint32_t end) const {
        std::size_t n = 0;
        check(roster_list_rows(nullptr, 0, &n, g_, list_id, start, end));
        std::vector<roster_row> out(n);
        check(roster_list_rows(out.data(), out.size(), &n, g_, list_id, start, end));
        out.resize(n);
        return out;
    }
    // Row of a member shown in the list, or -1 when it is not shown.
    long long index_of(std::uint64_t list_id, std::uint64_t user_id) const {
        std::uint32_t i = 0;
        int s = roster_list_index_of(&i, g_, list_id, user_id);
        if (s == ROSTER_ENOTFOUND) return -1;
        check(s);
        return i;
    }

    // Sessions (docs/frames.md). subscribe replaces the session's subscription
    // to the list; no ranges unsubscribes.
    void subscribe(std::uint64_t session, std::uint64_t list_id,
                   const std::vector<roster_range>& ranges) {
        call(roster_session_subscribe(g_, session, list_id, ranges.data(), ranges.size()));
    }
    void subscribe(std::uint64_t session, std::uint64_t list_id,
                   std::initializer_list<roster_range> ranges) {
        call(roster_session_subscribe(g_, session, list_id, ranges.begin(), ranges.size()));
    }
    void unsubscribe(std::uint64_t session, std::uint64_t list_id) {
        call(roster_session_subscribe(g_, session, list_id, nullptr, 0));
    }
    void remove_session(std::uint64_t session) { call(roster_session_remove(g_, session)); }
    std::vector<roster_range> session_ranges(std::uint64_t session,
                                             std::uint64_t list_id) const {
        std::size_t n = 0;
        check(roster_session_ranges(nullptr, 0, &n, g_, session, list_id));
        std::vector<roster_range> out(n);
        check(roster_session_ranges(out.data(), out.size(), &n, g_, session, list_id));
        out.resize(n);
        return out;
    }
    std::uint32_t session_count() const {
        std::uint32_t n = 0;
        check(roster_guild_session_count(&n, g_));
        return n;
    }

    // Counters and sizes for monitoring (roster_guild_stats).
    roster_stats stats() const {
        roster_stats s = ROSTER_STATS_INIT;
        check(roster_guild_stats(&s, g_));
        return s;
    }

    // ---- snapshots (docs/snapshot.md)
    // The guild's snapshot (with sessions: ROSTER_SAVE_SESSIONS) in memory.
    std::vector<unsigned char> save(std::uint32_t flags = ROSTER_SAVE_SESSIONS) {
        std::vector<unsigned char> out;
        save(flags, [&](const void* data, std::size_t len) {
            const auto* p = static_cast<const unsigned char*>(data);
            out.insert(out.end(), p, p + len);
        });
        return out;
    }
    // Through sink(data, len), which may throw: the save stops and the
    // exception propagates (the guild is unchanged).
    template <class Sink>
    void save(std::uint32_t flags, Sink&& sink) {
        struct Ctx {
            Sink* sink;
            std::exception_ptr error;
        } ctx{&sink, nullptr};
        const int rc = roster_guild_save(
            g_, flags,
            [](const void* data, std::size_t len, void* user) -> int {
                auto* c = static_cast<Ctx*>(user);
                try {
                    (*c->sink)(data, len);
                    return 0;
                } catch (...) {
                    c->error = std::current_exception();
                    return -1;
                }
            },
            &ctx);
        if (ctx.error) std::rethrow_exception(ctx.error);
        call(rc);
    }
    // A guild loaded from a snapshot in memory; config gives the limits
    // (the settings come from the snapshot). Set on_frame on it.
    static Guild load(const void* data, std::size_t len, const roster_config* config = nullptr) {
        roster_guild* g = nullptr;
        check(roster_guild_load_buffer(&g, config, data, len));
        return Guild(g, adopt_tag{});
    }
    static Guild load(const std::vector<unsigned char>& bytes,
                      const roster_config* config = nullptr) {
        return load(bytes.data(), bytes.size(), config);
    }

private:
    struct adopt_tag {};
    Guild(roster_guild* g, adopt_tag) noexcept : g_(g) {}

    struct Callback {
        FrameHandler fn;
        std::exception_ptr error;  // the first exception a handler threw
    };

    explicit Guild(const roster_config* config) { check(roster_guild_create(&g_, config)); }

    static std::vector<roster_member_spec> specs_of(const std::vector<MemberSpec>& members) {
        std::vector<roster_member_spec> specs;
        specs.reserve(members.size());
        for (const MemberSpec& m : members) {
            specs.push_back({m.id, m.name.data(), m.name.size(), m.roles.data(), m.roles.size(),
                             static_cast<std::int32_t>(m.status)});
        }
        return specs;
    }

    static void trampoline(const roster_frame* frame, const std::uint64_t* sessions,
                           std::size_t count, void* user_data) noexcept {
        auto* cb = static_cast<Callback*>(user_data);
        if (!cb->fn) return;
        try {
            cb->fn(*frame, Sessions(sessions, count));
        } catch (...) {
            if (!cb->error) cb->error = std::current_exception();
        }
    }

    // Status of a call that may flush: a handler's exception comes first.
    void call(int status) {
        if (cb_ && cb_->error) std::rethrow_exception(std::exchange(cb_->error, nullptr));
        check(status);
    }

    roster_guild* g_ = nullptr;
    std::unique_ptr<Callback> cb_;
};

}  // namespace roster

#endif  // ROSTER_ROSTER_HPP
