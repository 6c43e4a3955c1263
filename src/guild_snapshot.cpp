// Guild::save and Guild::load: the roles, members and lists sections of a
// snapshot (docs/snapshot.md has the byte layout).
//
// What is written is the guild as it is laid out, not a list of events to
// replay: role slots and member slots with their free lists (so that a
// loaded guild hands out the same slots next), the lists in their order
// with their membership bits, and every shown group's members in row
// order. Loading checks each of those against the rules the guild keeps
// (visibility, groups, the sort order) instead of recomputing them: the
// trees are built from the stored order in O(n), with one comparison per
// neighbouring pair, and any disagreement is corrupt.
#include <algorithm>
#include <string>
#include <vector>

#include "guild_impl.hpp"
#include "snapshot_io.hpp"

namespace roster {

namespace {

constexpr std::uint8_t role_hoist = 1, role_view = 2, role_admin = 4;

}  // namespace

// ===================================================================== save

void Guild::reserve_save(SaveScratch& overwrites) const {
    std::size_t most = 0;
    for (const auto& l : impl_->lists) most = std::max({most, l->role_ow.size(), l->member_ow.size()});
    overwrites.reserve(most);
}

void Guild::save(snapshot::Writer& w, SaveScratch& ows) const {
    const Impl& g = *impl_;

    w.begin(snapshot::s_roles);
    w.u32(g.clock);
    w.u32(static_cast<std::uint32_t>(g.roles.size()));
    for (const Role& r : g.roles) {
        // A free slot is written as zeros: the same guild always gives the
        // same bytes.
        w.u8(r.live);
        w.u64(r.live ? r.id : 0);
        w.i32(r.live ? r.position : 0);
        w.u8(r.live ? static_cast<std::uint8_t>((r.hoist ? role_hoist : 0) |
                                                (r.view ? role_view : 0) |
                                                (r.admin ? role_admin : 0))
                    : 0);
    }
    w.u32(static_cast<std::uint32_t>(g.free_roles.size()));
    for (std::uint32_t s : g.free_roles) w.u32(s);
    w.end();

    w.begin(snapshot::s_members);
    const std::uint32_t high = g.members.high_water();
    w.u32(high);
    w.u32(high - g.members.live());
    g.members.for_each_free([&](std::uint32_t s) { w.u32(s); });
    for (std::uint32_t s = 0; s < high; ++s) {
        const Member& m = g.members[s];
        if (m.id == 0) continue;
        w.u64(m.id);
        w.u32(m.rev);
        w.u8(static_cast<std::uint8_t>(m.status));
        const std::string_view name = name_of(m);
        w.u8(static_cast<std::uint8_t>(name.size()));
        w.bytes(name.data(), name.size());
        const bool custom = (m.flags & f_custom_key) != 0;
        w.u8(custom);
        if (custom) {
            const std::string_view key = custom_key_of(m);
            w.u32(static_cast<std::uint32_t>(key.size()));
            w.bytes(key.data(), key.size());
        }
        const auto held = roles_of(m);
        w.u32(static_cast<std::uint32_t>(held.size()));
        for (std::uint32_t r : held) w.u32(r);
    }
    w.end();

    w.begin(snapshot::s_lists);
    w.u32(static_cast<std::uint32_t>(g.lists.size()));
    auto write_overwrites = [&](const HashMap<std::uint64_t, bool>& m) {
        ows.assign(m.begin(), m.end());  // ascending: the same bytes every time
        std::sort(ows.begin(), ows.end());
        w.u32(static_cast<std::uint32_t>(ows.size()));
        for (auto [id, allow] : ows) {
            w.u64(id);
            w.u8(allow);
        }
    };
    for (const auto& lp : g.lists) {
        const ListState& l = *lp;
        w.u64(l.id);
        w.u32(l.bit);
        w.u8(static_cast<std::uint8_t>(l.everyone));
        write_overwrites(l.role_ow);
        write_overwrites(l.member_ow);
        // The groups that show members, in display order, each with its
        // members in row order. Parked members (offline while OFFLINE is
        // hidden) are in no group: the loader finds them.
        w.u32(static_cast<std::uint32_t>(l.groups.size()));
        for (const GroupSize& e : l.groups) {
            w.u64(g.group_id(e.group));
            w.u32(e.size);
            Impl::tree(l, e.group)->for_range(0, e.size, [&](std::uint32_t s) { w.u32(s); });
        }
    }
    w.end();
}

// ===================================================================== load

struct Guild::Loader {
    Impl& g;
    snapshot::Reader& r;

    Error corrupt() { return r.fail(Error::corrupt); }
    Error limit() { return r.fail(Error::limit); }

    Error roles();
    Error members();
    Error lists();
    Error list(std::uint32_t index);
    Error overwrites(HashMap<std::uint64_t, bool>& out, std::uint32_t n);
    Error group(ListState& l, std::uint32_t* prev, Vec<std::uint32_t>& slots);
};

Error Guild::Loader::roles() {
    if (Error e = r.begin(snapshot::s_roles); e != Error::ok) return e;
    std::uint32_t clock = 0, n = 0;
    r.u32(&clock);
    r.u32(&n);
    if (!r.good()) return r.error();
    if (n > max_role_slots) return corrupt();
    g.clock = clock;
    g.roles.reserve(n);
    std::uint32_t live = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint8_t is_live = 0, flags = 0;
        std::uint64_t id = 0;
        std::int32_t position = 0;
        r.u8(&is_live);
        r.u64(&id);
        r.i32(&position);
        r.u8(&flags);
        if (!r.good()) return r.error();
        if (is_live > 1 || flags > (role_hoist | role_view | role_admin)) return corrupt();
        Role role;
        if (is_live) {
            if (id == 0 || id >= group_online) return corrupt();
            if (!g.role_slot.emplace(id, i).second) return corrupt();  // an id twice
            role = Role{id, position, (flags & role_hoist) != 0, (flags & role_view) != 0,
                        (flags & role_admin) != 0, true};
            ++live;
        } else if (id != 0 || position != 0 || flags != 0) {
            return corrupt();
        }
        g.roles.push_back(role);
    }
    if (live > std::min(g.cfg.max_roles, max_role_slots)) return limit();
    std::uint32_t nfree = 0;
    r.u32(&nfree);
    if (!r.good()) return r.error();
    if (nfree != n - live) return corrupt();  // every free slot once, no live one
    g.free_roles.reserve(nfree);
    Vec<bool> seen(n);
    for (std::uint32_t i = 0; i < nfree; ++i) {
        std::uint32_t s = 0;
        if (!r.u32(&s)) return r.error();
        if (s >= n || g.roles[s].live || seen[s]) return corrupt();
        seen[s] = true;
        g.free_roles.push_back(s);
    }
    return r.end();
}

Error Guild::Loader::members() {
    if (Error e = r.begin(snapshot::s_members); e != Error::ok) return e;
    std::uint32_t high = 0, nfree = 0;
    r.u32(&high);
    r.u32(&nfree);
    if (!r.good()) return r.error();
    if (nfree > high || high > Members::max_ids) return corrupt();
    // The member count is known before anything is allocated for it; the
    // free slots must each be in the stream (4 bytes), so a damaged count
    // cannot make the loader reserve more than the limit plus the input.
    if (high - nfree > g.cfg.max_members) return limit();
    Vec<std::uint32_t> freed;
    freed.reserve(std::min<std::uint32_t>(nfree, 1u << 16));
    for (std::uint32_t i = 0; i < nfree; ++i) {
        std::uint32_t s = 0;
        if (!r.u32(&s)) return r.error();
        if (s >= high) return corrupt();
        freed.push_back(s);
    }
    Vec<std::uint32_t> free_sorted(freed);
    std::sort(free_sorted.begin(), free_sorted.end());
    if (std::adjacent_find(free_sorted.begin(), free_sorted.end()) != free_sorted.end())
        return corrupt();
    g.members.restore(high, freed.data(), nfree);
    Vec<std::uint32_t>().swap(freed);
    g.by_id.reserve(high - nfree);

    char name[128];
    Vec<char> key;  // a host sort key being read (the guild's heap, as all its scratch)
    RoleSlots slots;
    auto next_free = free_sorted.begin();
    for (std::uint32_t s = 0; s < high; ++s) {
        if (next_free != free_sorted.end() && *next_free == s) {
            ++next_free;
            continue;
        }
        std::uint64_t id = 0;
        std::uint32_t rev = 0, nroles = 0, klen = 0;
        std::uint8_t status = 0, nlen = 0, has_key = 0;
        r.u64(&id);
        r.u32(&rev);
        r.u8(&status);
        r.u8(&nlen);
        if (!r.good()) return r.error();
        if (id == 0 || status > 3 || nlen == 0 || nlen > sizeof name) return corrupt();
        r.bytes(name, nlen);
        r.u8(&has_key);
        if (!r.good()) return r.error();
        if (has_key > 1 || !valid_name(std::string_view(name, nlen))) return corrupt();
        if (has_key) {
            if (!r.u32(&klen)) return r.error();
            if (klen == 0 || klen > ROSTER_MAX_SORT_KEY_BYTES) return corrupt();
            if (klen > g.cfg.max_sort_key_bytes) return limit();
            key.resize(klen);
            if (!r.bytes(key.data(), klen)) return r.error();
        }
        if (!r.u32(&nroles)) return r.error();
        if (nroles > g.roles.size()) return corrupt();
        if (nroles > g.cfg.max_roles_per_member) return limit();
        slots.clear();
        for (std::uint32_t i = 0; i < nroles; ++i) {
            std::uint32_t slot = 0;
            if (!r.u32(&slot)) return r.error();
            // Existing roles, ascending: a role twice or one that does not
            // exist is damage.
            if (slot >= g.roles.size() || !g.roles[slot].live) return corrupt();
            if (!slots.empty() && slot <= slots.back()) return corrupt();
            slots.push_back(slot);
        }
        Text text(std::string_view(name, nlen), has_key != 0, std::string_view(key.data(), klen));
        Roles staged(slots);
        Member& m = g.members[s];
        m.id = id;  // from here the guild owns (and frees) the record's blocks
        m.rev = rev;
        m.status = static_cast<Status>(status);
        install_text(m, text);
        install_roles(m, staged);
        g.refresh_key(m);
        g.refresh_group(m);
    }
    if (Error e = r.end(); e != Error::ok) return e;
    // The id index, in a pass of its own and in the order of the table
    // (in slot order every insert was a cache miss into the table).
    const std::uint32_t live = high - nfree;
    bool unique = true;
    LoadScratch scratch;
    if (nfree == 0) {
        unique = g.index_in_table_order(
            live, [](std::size_t i) { return static_cast<std::uint32_t>(i); }, scratch);
    } else {
        Vec<std::uint32_t> slots;
        slots.reserve(live);
        for (std::uint32_t s = 0; s < high; ++s)
            if (g.members[s].id) slots.push_back(s);
        unique = g.index_in_table_order(live, [&](std::size_t i) { return slots[i]; }, scratch);
    }
    if (!unique) return corrupt();  // an id twice
    g.rebuild_holders();  // derived, not saved
    return Error::ok;
}

Error Guild::Loader::overwrites(HashMap<std::uint64_t, bool>& out, std::uint32_t n) {
    std::uint64_t prev = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint64_t id = 0;
        std::uint8_t allow = 0;
        r.u64(&id);
        r.u8(&allow);
        if (!r.good()) return r.error();
        // Ascending, so each id once; role ids exclude the group ids (the
        // member map takes any id but 0).
        if (id <= prev || allow > 1) return corrupt();
        prev = id;
        out.emplace(id, allow != 0);
    }
    return Error::ok;
}

// One group of list l: its id (after *prev in display order), size and
// members in row order, checked and built into its tree.
Error Guild::Loader::group(ListState& l, std::uint32_t* prev, Vec<std::uint32_t>& slots) {
    std::uint64_t gid = 0;
    std::uint32_t size = 0;
    r.u64(&gid);
    r.u32(&size);
    if (!r.good()) return r.error();
    std::uint32_t grp;
    if (gid == group_online) {
        grp = g_online;
    } else if (gid == group_offline) {
        grp = g_offline;
        if (!g.shown(g_offline)) return corrupt();  // its members are parked
    } else {
        grp = g.find_role(gid);
        if (grp == ~0u || !g.roles[grp].hoist) return corrupt();
    }
    if (*prev != ~0u && !g.group_before(*prev, grp)) return corrupt();
    *prev = grp;
    if (size == 0 || size > g.live - l.total) return corrupt();
    slots.clear();
    slots.reserve(size);
    const std::uint32_t high = g.members.high_water();
    TreeTraits order{&g.members, &l};
    for (std::uint32_t i = 0; i < size; ++i) {
        std::uint32_t s = 0;
        if (!r.u32(&s)) return r.error();
        if (s >= high) return corrupt();
        const Member& m = g.members[s];
        // A member of this group that the list shows, not filed yet (in an
        // earlier group), after the previous one in the list's order.
        if (m.id == 0 || l.hooks[s].leaf != nil_id || Impl::group_of(m) != grp ||
            !g.visible(l, m))
            return corrupt();
        if (i) {
            const std::uint32_t p = slots.back();
            const std::uint64_t a = order.prefix(p), b = m.prefix;
            if (a > b || (a == b && !order.less(p, s))) return corrupt();
        }
        slots.push_back(s);
    }
    Tree& t = g.tree_for(l, grp);
    t.build(slots.data(), size);  // sets the members' hooks
    l.total += size;
    return Error::ok;
}

Error Guild::Loader::list(std::uint32_t index) {
    std::uint64_t id = 0;
    std::uint32_t bit = 0, nroles = 0, nmembers = 0;
    std::uint8_t everyone = 0;
    r.u64(&id);
    r.u32(&bit);
    r.u8(&everyone);
    if (!r.good()) return r.error();
    if (everyone > 2 || (bit >= list_bits && bit != no_bit)) return corrupt();
    ListState* l;
    if (index == 0) {
        // List 0 is "everyone", made with the guild: no rule, the first bit.
        l = g.lists[0].get();
        if (id != 0 || bit != l->bit || everyone != 0) return corrupt();
    } else {
        if (id == 0 || g.list_by_id.count(id)) return corrupt();
        if (bit != no_bit) {
            if (!((g.free_bits >> bit) & 1u)) return corrupt();  // a bit two lists own
            g.free_bits &= ~(1u << bit);
        }
        auto fresh = make_box<ListState>();
        fresh->id = id;
        fresh->bit = bit;
        fresh->everyone = static_cast<Overwrite>(everyone);
        reserve_more(g.lists, 1);
        g.list_by_id.emplace(id, fresh.get());
        l = fresh.get();
        g.lists.push_back(std::move(fresh));  // reserved
    }
    ListState& ls = *l;
    if (!r.u32(&nroles)) return r.error();
    if (nroles > ROSTER_MAX_OVERWRITES) return corrupt();
    if (nroles > g.cfg.max_overwrites) return limit();
    if (Error e = overwrites(ls.role_ow, nroles); e != Error::ok) return e;
    if (!r.u32(&nmembers)) return r.error();
    if (nmembers > ROSTER_MAX_OVERWRITES) return corrupt();
    if (nroles + nmembers > g.cfg.max_overwrites) return limit();
    if (Error e = overwrites(ls.member_ow, nmembers); e != Error::ok) return e;
    if (index == 0 && (nroles || nmembers)) return corrupt();
    for (const auto& [rid, allow] : ls.role_ow)
        if (rid >= group_online) return corrupt();

    const std::uint32_t high = g.members.high_water();
    ls.hooks.assign(high, BTreeHook{});
    std::uint32_t ngroups = 0;
    if (!r.u32(&ngroups)) return r.error();
    if (ngroups > g.roles.size() + 2) return corrupt();
    std::uint32_t prev = ~0u;
    Vec<std::uint32_t> slots;
    for (std::uint32_t i = 0; i < ngroups; ++i)
        if (Error e = group(ls, &prev, slots); e != Error::ok) return e;
    // Every member the list shows is in a group, or parked (offline while
    // OFFLINE is hidden); membership bits follow.
    const bool offline_shown = g.shown(g_offline);
    for (std::uint32_t s = 0; s < high; ++s) {
        Member& m = g.members[s];
        if (m.id == 0) continue;
        if (ls.hooks[s].leaf != nil_id) {
            Impl::mark(ls, m, true);
            continue;
        }
        Impl::mark(ls, m, false);
        if (!g.visible(ls, m)) continue;
        if (m.status != Status::offline || offline_shown) return corrupt();  // left out
        ls.hooks[s].leaf = parked_leaf;
        Impl::mark(ls, m, true);
        ++ls.parked;
        ++ls.total;
    }
    g.resync_groups(ls);
    return Error::ok;
}

Error Guild::Loader::lists() {
    if (Error e = r.begin(snapshot::s_lists); e != Error::ok) return e;
    std::uint32_t n = 0;
    if (!r.u32(&n)) return r.error();
    if (n == 0 || n - 1 > ROSTER_MAX_LISTS) return corrupt();
    if (n - 1 > g.cfg.max_lists) return limit();
    for (std::uint32_t i = 0; i < n; ++i)
        if (Error e = list(i); e != Error::ok) return e;
    return r.end();
}

Error Guild::load(snapshot::Reader& r) {
    Impl& g = *impl_;
    if (g.live || g.members.high_water() || !g.roles.empty() || g.lists.size() != 1)
        return Error::internal;
    Loader in{g, r};
    return no_memory_on_throw([&]() -> Error {
        if (Error e = in.roles(); e != Error::ok) return e;
        if (Error e = in.members(); e != Error::ok) return e;
        return in.lists();
    });
}

}  // namespace roster
