// The extern "C" layer over roster::Guild: argument checks the engine
// cannot do (null pointers, struct sizes, enum ranges), exception barrier
// (every exception becomes a status; nothing unwinds into C), and the
// conversion between C structs and engine types.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <vector>

#include "engine.hpp"
#include "frame_queue.hpp"
#include "internal.hpp"
#include "snapshot_io.hpp"
#include "roster/roster.h"

// The guild's heap (its allocator hooks and its byte count) comes first:
// the engine is made, used and destroyed with it bound (heap.hpp).
struct roster_guild {
    explicit roster_guild(const roster::Heap& h) : heap(h) {}
    mutable roster::Heap heap;
    roster::Box<roster::Engine> engine;
    roster::capi::FrameQueue queue;  // roster_guild_set_frame_queue
};

namespace roster::capi {

Engine& engine_of(roster_guild* guild) { return *guild->engine; }
const Engine& engine_of(const roster_guild* guild) { return *guild->engine; }

}  // namespace roster::capi

namespace {

int code(roster::Error e) { return static_cast<int>(e); }

template <class F>
int guarded(F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return ROSTER_ENOMEM;
    } catch (...) {
        return ROSTER_EINTERNAL;
    }
}

// A call on g: its heap bound for the whole call.
template <class F>
int guarded(const roster_guild* g, F&& f) noexcept {
    roster::heap::Scope bind(&g->heap);
    return guarded(std::forward<F>(f));
}

// A guild event: busy inside the frame callback, flushed outside a batch.
template <class F>
int mutate(roster_guild* g, F&& f) noexcept {
    return guarded(g, [&]() -> int { return code(g->engine->apply(f)); });
}

// A new guild whose memory comes from hooks: the guild object, then its
// engine made by make(heap) with the guild's heap bound. ENOMEM (nothing
// left behind) when either fails; make's other errors likewise.
template <class Make>
int new_guild(roster_guild** out, const roster_allocator& hooks, Make&& make) noexcept {
    roster::Heap first;
    first.hooks = hooks;
    roster::heap::Scope bind(&first);
    void* mem;
    try {
        mem = roster::heap::allocate(sizeof(roster_guild));
    } catch (...) {
        return ROSTER_ENOMEM;
    }
    auto* g = ::new (mem) roster_guild(first);
    int rc;
    {
        roster::heap::Scope own(&g->heap);
        rc = guarded([&]() -> int { return make(g); });
        if (rc != ROSTER_OK) g->engine.reset();
    }
    if (rc != ROSTER_OK) {
        g->~roster_guild();
        roster::heap::deallocate(mem, sizeof(roster_guild));
        return rc;
    }
    *out = g;
    return ROSTER_OK;
}

bool valid_status(int s) { return s >= ROSTER_OFFLINE && s <= ROSTER_DND; }

std::span<const std::uint64_t> ids(const uint64_t* p, size_t n) {
    return n ? std::span<const std::uint64_t>(p, n) : std::span<const std::uint64_t>();
}

std::string_view text(const char* p, size_t n) {
    return p ? std::string_view(p, n) : std::string_view();
}

// One member event, as roster_events_apply and the single calls apply it:
// the argument checks the engine cannot make, then the guild call.
int check_event(const roster_event& e) {
    switch (e.kind) {
    case ROSTER_EVENT_STATUS: return valid_status(e.status) ? ROSTER_OK : ROSTER_EINVAL;
    case ROSTER_EVENT_NAME: return e.name ? ROSTER_OK : ROSTER_EINVAL;
    case ROSTER_EVENT_ROLES: return e.role_count && !e.roles ? ROSTER_EINVAL : ROSTER_OK;
    case ROSTER_EVENT_ADD_ROLE:
    case ROSTER_EVENT_REMOVE_ROLE:
    case ROSTER_EVENT_TOUCH:
    case ROSTER_EVENT_REMOVE: return ROSTER_OK;
    case ROSTER_EVENT_ADD:
    case ROSTER_EVENT_UPSERT:
        return !e.name || (e.role_count && !e.roles) || !valid_status(e.status) ? ROSTER_EINVAL
                                                                                : ROSTER_OK;
    default: return ROSTER_EINVAL;
    }
}

roster::Error do_event(roster::Guild& x, const roster_event& e) {
    const auto status = static_cast<roster::Status>(e.status);
    switch (e.kind) {
    case ROSTER_EVENT_STATUS: return x.set_status(e.user_id, status);
    case ROSTER_EVENT_NAME: return x.set_name(e.user_id, text(e.name, e.name_len));
    case ROSTER_EVENT_ROLES: return x.set_roles(e.user_id, ids(e.roles, e.role_count));
    case ROSTER_EVENT_ADD_ROLE: return x.add_member_role(e.user_id, e.role_id);
    case ROSTER_EVENT_REMOVE_ROLE: return x.remove_member_role(e.user_id, e.role_id);
    case ROSTER_EVENT_TOUCH: return x.touch(e.user_id);
    case ROSTER_EVENT_REMOVE: return x.remove_member(e.user_id);
    case ROSTER_EVENT_ADD:
    case ROSTER_EVENT_UPSERT:
        return x.upsert_member(e.user_id, text(e.name, e.name_len), ids(e.roles, e.role_count),
                               status, e.kind == ROSTER_EVENT_UPSERT);
    default: return roster::Error::invalid;
    }
}

// A single-event call: checked, then applied (busy inside the callback,
// flushed outside a batch).
int single(roster_guild* g, const roster_event& e) {
    if (!g) return ROSTER_EINVAL;
    if (const int rc = check_event(e); rc != ROSTER_OK) return rc;
    return mutate(g, [&](roster::Guild& x) { return do_event(x, e); });
}

roster_event event(std::uint32_t kind, std::uint64_t user_id) {
    roster_event e{};
    e.kind = kind;
    e.user_id = user_id;
    return e;
}

// The limits as roster_guild_create accepts them: each within 1 (0 for
// max_lists and max_overwrites, where none is a meaningful limit) and its
// ROSTER_MAX_* bound, and no subscription able to hold more than
// ROSTER_MAX_SUBSCRIPTION_CHUNKS chunks (a range of max_span rows touches
// at most max_span / chunk + 2 of them). A later call must never be the
// first to find out that a limit cannot be honoured.
bool in_bounds(const roster::GuildConfig& c, const roster::SessionConfig& s) {
    auto within = [](std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
        return v >= lo && v <= hi;
    };
    if (!within(c.max_members, 1, ROSTER_MAX_MEMBERS) ||
        !within(c.max_roles, 1, ROSTER_MAX_ROLES) ||
        !within(c.max_roles_per_member, 1, ROSTER_MAX_ROLES_PER_MEMBER) ||
        !within(c.max_lists, 0, ROSTER_MAX_LISTS) ||
        !within(c.max_overwrites, 0, ROSTER_MAX_OVERWRITES) ||
        !within(c.max_sort_key_bytes, 1, ROSTER_MAX_SORT_KEY_BYTES))
        return false;
    if (!within(s.chunk, 1, ROSTER_MAX_CHUNK_SIZE) || !within(s.max_ranges, 1, ROSTER_MAX_RANGES) ||
        !within(s.max_span, 1, ROSTER_MAX_RANGE_SPAN) ||
        !within(s.max_lists, 1, ROSTER_MAX_SESSION_LISTS) ||
        !within(s.max_sessions, 1, ROSTER_MAX_SESSIONS))
        return false;
    const std::uint64_t chunks = std::uint64_t{s.max_ranges} * (s.max_span / s.chunk + 2);
    return chunks <= ROSTER_MAX_SUBSCRIPTION_CHUNKS;
}

// The configs of a roster_config (NULL: the defaults); EINVAL when
// roster_guild_create would refuse it.
int parse_config(const roster_config* config, roster::GuildConfig& c, roster::SessionConfig& sc,
                 roster_allocator& hooks) {
    hooks = roster_allocator{};
    if (config) {
        // Callers built against an older header pass a shorter struct: the
        // fields it lacks keep their defaults.
        if (config->size < offsetof(roster_config, chunk_size)) return ROSTER_EINVAL;
        if (config->everyone_view > 1) return ROSTER_EINVAL;
        c.offline_threshold = config->offline_threshold;
        c.everyone_view = config->everyone_view != 0;
        c.max_members = config->max_members;
        c.max_roles = config->max_roles;
        c.max_roles_per_member = config->max_roles_per_member;
        c.max_lists = config->max_lists;
        c.max_overwrites = config->max_overwrites;
        c.max_sort_key_bytes = config->max_sort_key_bytes;
        if (config->size >= offsetof(roster_config, reserved)) {
            sc.chunk = config->chunk_size;
            sc.max_ranges = config->max_ranges;
            sc.max_span = config->max_range_span;
            sc.max_lists = config->max_session_lists;
            sc.max_sessions = config->max_sessions;
        }
        // Each group of fields counts once the caller's struct holds all of
        // it (the allocator, then tail_deletes, both new in 0.2).
        if (config->size >= offsetof(roster_config, allocator) + sizeof(roster_allocator)) {
            const roster_allocator& a = config->allocator;
            if (config->reserved != 0 || !a.allocate != !a.deallocate ||
                (a.reallocate && !a.allocate))
                return ROSTER_EINVAL;
            hooks = a;
        }
        if (config->size >= offsetof(roster_config, tail_deletes) + sizeof(std::uint32_t)) {
            if (config->tail_deletes > 1) return ROSTER_EINVAL;
            sc.tail_deletes = config->tail_deletes != 0;
        }
        if (!in_bounds(c, sc)) return ROSTER_EINVAL;
    }
    return ROSTER_OK;
}

}  // namespace

extern "C" {

int roster_guild_create(roster_guild** out, const roster_config* config) {
    if (!out) return ROSTER_EINVAL;
    roster::GuildConfig c;
    roster::SessionConfig sc;
    roster_allocator hooks;
    if (const int rc = parse_config(config, c, sc, hooks); rc != ROSTER_OK) return rc;
    return new_guild(out, hooks, [&](roster_guild* g) -> int {
        g->engine = roster::make_box<roster::Engine>(c, sc);
        return ROSTER_OK;
    });
}

void roster_guild_destroy(roster_guild* guild) {
    if (!guild) return;
    {
        roster::heap::Scope bind(&guild->heap);
        guild->engine.reset();
        guild->queue = {};
    }
    roster::Heap last = guild->heap;  // the hooks that gave the guild object
    guild->~roster_guild();
    roster::heap::Scope bind(&last);
    roster::heap::deallocate(guild, sizeof(roster_guild));
}

int roster_guild_set_everyone_view(roster_guild* g, int view) {
    if (!g || (view != 0 && view != 1)) return ROSTER_EINVAL;
    return mutate(g, [&](roster::Guild& x) { return x.set_everyone_view(view != 0); });
}

int roster_guild_set_offline_threshold(roster_guild* g, uint32_t threshold) {
    if (!g) return ROSTER_EINVAL;
    return mutate(g, [&](roster::Guild& x) { return x.set_offline_threshold(threshold); });
}

int roster_guild_member_count(uint32_t* out, const roster_guild* g) {
    if (!out || !g) return ROSTER_EINVAL;
    *out = g->engine->guild().member_total();
    return ROSTER_OK;
}

int roster_batch_begin(roster_guild* g) {
    if (!g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int { return code(g->engine->begin()); });
}

int roster_batch_commit(roster_guild* g) {
    if (!g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int { return code(g->engine->commit()); });
}

int roster_guild_flush(roster_guild* g) {
    if (!g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int { return code(g->engine->flush_now()); });
}

int roster_role_upsert(roster_guild* g, const roster_role* role) {
    if (!g || !role) return ROSTER_EINVAL;
    if (role->flags & ~(ROSTER_ROLE_HOIST | ROSTER_ROLE_VIEW | ROSTER_ROLE_ADMIN))
        return ROSTER_EINVAL;
    roster::RoleSpec spec{role->id, role->position, (role->flags & ROSTER_ROLE_HOIST) != 0,
                          (role->flags & ROSTER_ROLE_VIEW) != 0,
                          (role->flags & ROSTER_ROLE_ADMIN) != 0};
    return mutate(g, [&](roster::Guild& x) { return x.upsert_role(spec); });
}

int roster_role_remove(roster_guild* g, uint64_t role_id) {
    if (!g) return ROSTER_EINVAL;
    return mutate(g, [&](roster::Guild& x) { return x.remove_role(role_id); });
}

int roster_roles_reorder(roster_guild* g, const uint64_t* role_ids, const int32_t* positions,
                         size_t count) {
    if (!g || (count && (!role_ids || !positions))) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        std::span<const std::int32_t> pos = count ? std::span<const std::int32_t>(positions, count)
                                                  : std::span<const std::int32_t>();
        return code(g->engine->apply(
            [&](roster::Guild& x) { return x.reorder_roles(ids(role_ids, count), pos); }));
    });
}

static int member_upsert(roster_guild* g, uint64_t user_id, const char* name, size_t name_len,
                         const uint64_t* roles, size_t role_count, int status, bool replace) {
    roster_event e = event(replace ? ROSTER_EVENT_UPSERT : ROSTER_EVENT_ADD, user_id);
    e.name = name;
    e.name_len = name_len;
    e.roles = roles;
    e.role_count = role_count;
    e.status = status;
    return single(g, e);
}

int roster_member_add(roster_guild* g, uint64_t user_id, const char* name, size_t name_len,
                      const uint64_t* roles, size_t role_count, int status) {
    return member_upsert(g, user_id, name, name_len, roles, role_count, status, false);
}

int roster_member_upsert(roster_guild* g, uint64_t user_id, const char* name, size_t name_len,
                         const uint64_t* roles, size_t role_count, int status) {
    return member_upsert(g, user_id, name, name_len, roles, role_count, status, true);
}

int roster_members_add_at(size_t* failed_index, roster_guild* g,
                          const roster_member_spec* members, size_t count) {
    std::size_t bad = count;  // not about one entry, unless the engine names one
    int rc = ROSTER_EINVAL;
    if (g && (!count || members)) {
        rc = guarded(g, [&]() -> int {
            // An entry the engine cannot be handed (NULL name, NULL roles
            // with a count, a status out of range) goes with an empty name,
            // which the engine refuses as invalid before anything else of
            // that entry: its checks, in array order, then find the first
            // bad entry whatever made it bad.
            // Each entry is read as the engine reaches it (no array of
            // converted specs: at 10M members that was ~0.5 GB written).
            auto at = [](const void* ctx, std::size_t i) {
                const roster_member_spec& m = static_cast<const roster_member_spec*>(ctx)[i];
                roster::Guild::MemberSpec spec;
                spec.id = m.id;
                if (m.name && (!m.role_count || m.roles) && valid_status(m.status))
                    spec = {m.id, text(m.name, m.name_len), ids(m.roles, m.role_count),
                            static_cast<roster::Status>(m.status)};
                return spec;
            };
            return code(g->engine->apply(
                [&](roster::Guild& x) { return x.add_members(count, at, members, &bad); }));
        });
    }
    if (rc != ROSTER_OK && failed_index) *failed_index = bad;
    return rc;
}

int roster_members_add(roster_guild* g, const roster_member_spec* members, size_t count) {
    return roster_members_add_at(nullptr, g, members, count);
}

int roster_member_remove(roster_guild* g, uint64_t user_id) {
    return single(g, event(ROSTER_EVENT_REMOVE, user_id));
}

int roster_member_set_status(roster_guild* g, uint64_t user_id, int status) {
    roster_event e = event(ROSTER_EVENT_STATUS, user_id);
    e.status = status;
    return single(g, e);
}

int roster_member_set_name(roster_guild* g, uint64_t user_id, const char* name, size_t name_len) {
    roster_event e = event(ROSTER_EVENT_NAME, user_id);
    e.name = name;
    e.name_len = name_len;
    return single(g, e);
}

int roster_member_set_sort_key(roster_guild* g, uint64_t user_id, const void* key, size_t key_len) {
    if (!g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        const auto* bytes = static_cast<const std::uint8_t*>(key);
        std::span<const std::uint8_t> k =
            key ? std::span<const std::uint8_t>(bytes, key_len) : std::span<const std::uint8_t>();
        return code(g->engine->apply(
            [&](roster::Guild& x) { return x.set_sort_key(user_id, key != nullptr, k); }));
    });
}

int roster_member_set_roles(roster_guild* g, uint64_t user_id, const uint64_t* roles,
                            size_t role_count) {
    roster_event e = event(ROSTER_EVENT_ROLES, user_id);
    e.roles = roles;
    e.role_count = role_count;
    return single(g, e);
}

int roster_member_add_role(roster_guild* g, uint64_t user_id, uint64_t role_id) {
    roster_event e = event(ROSTER_EVENT_ADD_ROLE, user_id);
    e.role_id = role_id;
    return single(g, e);
}

int roster_member_remove_role(roster_guild* g, uint64_t user_id, uint64_t role_id) {
    roster_event e = event(ROSTER_EVENT_REMOVE_ROLE, user_id);
    e.role_id = role_id;
    return single(g, e);
}

int roster_member_touch(roster_guild* g, uint64_t user_id) {
    return single(g, event(ROSTER_EVENT_TOUCH, user_id));
}

int roster_events_apply(roster_guild* g, const roster_event* events, size_t count,
                        size_t event_size, int* statuses) {
    if (!g || (count && !events) || event_size < sizeof(roster_event) ||
        event_size % alignof(roster_event) != 0)
        return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::Engine& en = *g->engine;
        if (const roster::Error e = en.begin(); e != roster::Error::ok) return code(e);
        const char* base = reinterpret_cast<const char*>(events);
        auto at = [&](size_t i) -> const roster_event& {
            return *reinterpret_cast<const roster_event*>(base + i * event_size);
        };
        // Look ahead: the id table's line for the event `lookup` on, then,
        // once it has arrived, the record of the event `record` on.
        constexpr size_t lookup = 6, record = 3;
        const roster::Guild& guild = en.guild();
        for (size_t i = 0; i < std::min(count, lookup); ++i) guild.prefetch_lookup(at(i).user_id);
        int first = ROSTER_OK;
        bool applied = false;
        for (size_t i = 0; i < count; ++i) {
            if (i + lookup < count) guild.prefetch_lookup(at(i + lookup).user_id);
            if (i + record < count) guild.prefetch_member(at(i + record).user_id);
            const roster_event& e = at(i);
            // Inside the batch opened above: nothing here flushes, and an
            // event that runs out of memory fails alone.
            int rc = check_event(e);
            if (rc == ROSTER_OK)
                rc = guarded([&]() -> int {
                    return code(en.apply([&](roster::Guild& x) { return do_event(x, e); }));
                });
            if (statuses) statuses[i] = rc;
            if (first == ROSTER_OK) first = rc;
            applied |= rc == ROSTER_OK;
        }
        const roster::Error flushed = en.commit_call(applied);
        return flushed != roster::Error::ok ? code(flushed) : first;
    });
}

int roster_member_get(roster_member_info* out, uint64_t* roles, size_t cap, size_t* role_count,
                      const roster_guild* g, uint64_t user_id) {
    if (!out || !g || (cap && !roles)) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::Guild::MemberView v;
        if (roster::Error e = g->engine->guild().member(user_id, &v); e != roster::Error::ok)
            return code(e);
        out->id = v.id;
        out->name = v.name.data();
        out->name_len = v.name.size();
        out->status = static_cast<int32_t>(v.status);
        out->group = v.group;
        for (size_t i = 0; i < v.roles.size() && i < cap; ++i) roles[i] = v.roles[i];
        if (role_count) *role_count = v.roles.size();
        return ROSTER_OK;
    });
}

int roster_list_set(roster_guild* g, uint64_t list_id, const roster_list_rule* rule) {
    if (!g || !rule || rule->size < sizeof(roster_list_rule)) return ROSTER_EINVAL;
    if (rule->everyone < ROSTER_OVERWRITE_NONE || rule->everyone > ROSTER_OVERWRITE_DENY)
        return ROSTER_EINVAL;
    if ((rule->role_count && !rule->roles) || (rule->member_count && !rule->members))
        return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::ListRule r;
        r.everyone = static_cast<roster::Overwrite>(rule->everyone);
        for (size_t i = 0; i < rule->role_count; ++i) {
            if (rule->roles[i].allow != 0 && rule->roles[i].allow != 1) return ROSTER_EINVAL;
            r.roles.push_back({rule->roles[i].id, rule->roles[i].allow != 0});
        }
        for (size_t i = 0; i < rule->member_count; ++i) {
            if (rule->members[i].allow != 0 && rule->members[i].allow != 1) return ROSTER_EINVAL;
            r.members.push_back({rule->members[i].id, rule->members[i].allow != 0});
        }
        return code(g->engine->apply([&](roster::Guild& x) { return x.set_list(list_id, r); }));
    });
}

int roster_list_remove(roster_guild* g, uint64_t list_id) {
    if (!g) return ROSTER_EINVAL;
    return mutate(g, [&](roster::Guild& x) { return x.remove_list(list_id); });
}

int roster_list_length(uint32_t* out, const roster_guild* g, uint64_t list_id) {
    if (!out || !g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int { return code(g->engine->guild().list_length(list_id, out)); });
}

int roster_list_counts(uint32_t* member_count, uint32_t* online_count, const roster_guild* g,
                       uint64_t list_id) {
    if (!member_count || !online_count || !g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        return code(g->engine->guild().counts(list_id, member_count, online_count));
    });
}

int roster_list_groups(roster_group* out, size_t cap, size_t* count, const roster_guild* g,
                       uint64_t list_id) {
    if ((cap && !out) || !count || !g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::Vec<roster::GroupCount> gs;
        if (roster::Error e = g->engine->guild().groups(list_id, &gs); e != roster::Error::ok)
            return code(e);
        for (size_t i = 0; i < gs.size() && i < cap; ++i)
            out[i] = roster_group{gs[i].id, gs[i].count};
        *count = gs.size();
        return ROSTER_OK;
    });
}

int roster_list_rows(roster_row* out, size_t cap, size_t* count, const roster_guild* g,
                     uint64_t list_id, uint32_t start, uint32_t end) {
    if ((cap && !out) || !count || !g || end < start) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::Vec<roster::Row> rows;
        if (roster::Error e = g->engine->guild().rows(list_id, start, end, &rows);
            e != roster::Error::ok)
            return code(e);
        for (size_t i = 0; i < rows.size() && i < cap; ++i) {
            const roster::Row& r = rows[i];
            out[i] = roster_row{r.header() ? ROSTER_ROW_HEADER : ROSTER_ROW_MEMBER, r.count, r.group,
                                r.user};
        }
        *count = rows.size();
        return ROSTER_OK;
    });
}

int roster_list_index_of(uint32_t* out, const roster_guild* g, uint64_t list_id, uint64_t user_id) {
    if (!out || !g) return ROSTER_EINVAL;
    return guarded(
        g, [&]() -> int { return code(g->engine->guild().index_of(list_id, user_id, out)); });
}

int roster_list_can_view(int* out, const roster_guild* g, uint64_t list_id, uint64_t user_id) {
    if (!out || !g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        bool v = false;
        if (roster::Error e = g->engine->guild().can_view(list_id, user_id, &v);
            e != roster::Error::ok)
            return code(e);
        *out = v ? 1 : 0;
        return ROSTER_OK;
    });
}

// ---- snapshots

}  // extern "C"

namespace {

struct WriteTo {
    roster_write_fn fn;
    void* user;
    static bool call(void* self, const void* data, std::size_t len) {
        auto* w = static_cast<WriteTo*>(self);
        return w->fn(data, len, w->user) == 0;
    }
};

struct ReadFrom {
    roster_read_fn fn;
    void* user;
    static bool call(void* self, void* buf, std::size_t cap, std::size_t* got) {
        auto* r = static_cast<ReadFrom*>(self);
        *got = 0;
        return r->fn(buf, cap, got, r->user) == 0 && *got <= cap;
    }
};

// A guild made from the snapshot r reads: the config gives the limits,
// the snapshot the settings.
int load(roster_guild** out, const roster_config* config, roster::snapshot::Reader& r) {
    if (!out) return ROSTER_EINVAL;
    roster::GuildConfig c;
    roster::SessionConfig sc;
    roster_allocator hooks;
    if (const int rc = parse_config(config, c, sc, hooks); rc != ROSTER_OK) return rc;
    return new_guild(out, hooks, [&](roster_guild* g) -> int {
        bool sessions = false;
        if (roster::Error e = roster::Engine::load_settings(r, &c, &sc, &sessions);
            e != roster::Error::ok)
            return code(e);
        if (sc.chunk > ROSTER_MAX_CHUNK_SIZE) return ROSTER_ECORRUPT;
        // The snapshot's chunk size with the host's range limits.
        if (!in_bounds(c, sc)) return ROSTER_ELIMIT;
        g->engine = roster::make_box<roster::Engine>(c, sc);
        return code(g->engine->load(r, sessions));
    });
}

}  // namespace

extern "C" {

int roster_guild_save(roster_guild* g, uint32_t flags, roster_write_fn write, void* user_data) {
    if (!g || !write || (flags & ~uint32_t{ROSTER_SAVE_SESSIONS})) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        WriteTo to{write, user_data};
        roster::snapshot::Writer w(&WriteTo::call, &to);
        return code(g->engine->save(w, (flags & ROSTER_SAVE_SESSIONS) != 0));
    });
}

int roster_guild_load(roster_guild** out, const roster_config* config, roster_read_fn read,
                      void* user_data) {
    if (!read) return ROSTER_EINVAL;
    ReadFrom from{read, user_data};
    roster::snapshot::Reader r(&ReadFrom::call, &from);
    return load(out, config, r);
}

int roster_guild_load_buffer(roster_guild** out, const roster_config* config, const void* data,
                             size_t len) {
    if (!data && len) return ROSTER_EINVAL;
    roster::snapshot::Reader r(std::span<const unsigned char>(
        static_cast<const unsigned char*>(data), data ? len : 0));
    return load(out, config, r);
}

// ---- sessions

int roster_guild_set_frame_callback(roster_guild* g, roster_frame_fn fn, void* user_data) {
    if (!g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::FrameSink sink;
        if (fn)
            sink = [fn, user_data](const roster_frame& f, std::span<const std::uint64_t> ids) {
                fn(&f, ids.data(), ids.size(), user_data);
            };
        return code(g->engine->set_sink(std::move(sink)));
    });
}

int roster_guild_set_frame_queue(roster_guild* g, int enable) {
    if (!g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::FrameSink sink;
        if (enable)
            sink = [g](const roster_frame& f, std::span<const std::uint64_t> ids) {
                g->queue.append(f, ids);
            };
        return code(g->engine->set_sink(std::move(sink)));
    });
}

int roster_guild_take_frames(const void** data, size_t* len, roster_guild* g) {
    if (!data || !len || !g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        const auto block = g->queue.take();
        *data = block.data();
        *len = block.size();
        return ROSTER_OK;
    });
}

int roster_session_subscribe(roster_guild* g, uint64_t session_id, uint64_t list_id,
                             const roster_range* ranges, size_t range_count) {
    if (!g || (range_count && !ranges)) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        if (range_count > g->engine->session_config().max_ranges) return ROSTER_ELIMIT;
        roster::Vec<roster::Range> rs(range_count);
        for (size_t i = 0; i < range_count; ++i) rs[i] = {ranges[i].start, ranges[i].end};
        return code(g->engine->subscribe(session_id, list_id, rs));
    });
}

int roster_session_remove(roster_guild* g, uint64_t session_id) {
    if (!g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int { return code(g->engine->remove_session(session_id)); });
}

int roster_session_ranges(roster_range* out, size_t cap, size_t* count, const roster_guild* g,
                          uint64_t session_id, uint64_t list_id) {
    if ((cap && !out) || !count || !g) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster::Vec<roster::Range> rs;
        if (roster::Error e = g->engine->session_ranges(session_id, list_id, &rs);
            e != roster::Error::ok)
            return code(e);
        for (size_t i = 0; i < rs.size() && i < cap; ++i)
            out[i] = roster_range{rs[i].start, rs[i].end};
        *count = rs.size();
        return ROSTER_OK;
    });
}

int roster_guild_stats(roster_stats* out, const roster_guild* g) {
    if (!out || !g || out->size < sizeof(roster_stats)) return ROSTER_EINVAL;
    return guarded(g, [&]() -> int {
        roster_stats s = g->engine->stats(false);
        s.memory_bytes = g->heap.bytes;  // every byte the guild holds, counted by its heap
        std::memcpy(out, &s, sizeof s);  // a larger caller struct keeps its tail
        return ROSTER_OK;
    });
}

int roster_guild_session_count(uint32_t* out, const roster_guild* g) {
    if (!out || !g) return ROSTER_EINVAL;
    *out = static_cast<uint32_t>(g->engine->session_count());
    return ROSTER_OK;
}

}  // extern "C"
