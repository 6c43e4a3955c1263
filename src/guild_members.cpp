// The guild's member events (guild.hpp has the contract; guild_impl.hpp
// the state they share with the rest of the guild).
#include "guild_impl.hpp"

namespace roster {

Error Guild::upsert_member(std::uint64_t user_id, std::string_view name,
                           std::span<const std::uint64_t> roles, Status status, bool replace) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0 || !valid_name(name)) return Error::invalid;
        if (static_cast<unsigned>(status) > 3) return Error::invalid;
        RoleSlots slots;
        if (Error e = g.check_role_ids(roles, &slots); e != Error::ok) return e;
        if (Member* m = g.find_member(user_id)) {
            if (!replace) return Error::exists;
            Text text = renamed(*m, name);
            Roles staged(slots);
            g.reserve_holders(slots);
            g.prepare_member_event(g.group_for(status, g.top_of(slots)), 0);
            g.refile(*m, same_key(*m, text), [&](Member& x) {
                install_text(x, text);
                g.install_roles_indexed(x, staged);
                x.status = status;
            });
            return Error::ok;
        }
        if (g.live >= g.cfg.max_members) return Error::limit;
        const bool was = g.shown(g_offline);
        // Everything that can fail first: the record's storage, room in the
        // slab, the id table and every list.
        Text text(name, false, {});
        Roles staged(slots);
        const std::uint32_t top = g.top_of(slots);
        g.reserve_holders(slots);
        g.members.reserve_more(1);
        g.by_id.reserve(g.live + 1);
        g.prepare_member_event(g.group_for(status, top), 1);
        const std::uint32_t s = g.members.allocate();  // within capacity: cannot fail
        Member& m = g.members[s];
        m.id = user_id;
        m.status = status;
        m.rev = ++g.clock;
        m.top = top;
        install_text(m, text);
        g.install_roles_indexed(m, staged);
        g.refresh_key(m);
        g.by_id.insert(user_id, s, [&](std::uint32_t x) { return g.members[x].id; });
        ++g.live;
        for (auto& l : g.lists) {
            if (l->hooks.size() <= s) l->hooks.resize(g.members.high_water());
            l->hooks[s].leaf = nil_id;
            if (g.visible(*l, m)) g.place(*l, m, g.group_of(m), false);
        }
        g.after_count_change(was);
        return Error::ok;
    });
}

Error Guild::add_members(std::span<const MemberSpec> specs, std::size_t* failed) {
    return add_members(
        specs.size(), [](const void* ctx, std::size_t i) { return static_cast<const MemberSpec*>(ctx)[i]; },
        specs.data(), failed);
}

Error Guild::add_members(std::size_t count, SpecAt at, const void* ctx, std::size_t* failed) {
    std::size_t bad = count;  // not about one spec, unless one fails
    const Error e = no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (count > g.cfg.max_members - g.live) return Error::limit;
        // 1. Records are written into fresh slots while the specs are
        // checked, in order, up to the first refused; nothing indexes them
        // yet, so a failed allocation only has to release them.
        Vec<std::uint32_t> added;
        Error refused = Error::ok;
        try {
            added.reserve(count);
            g.members.reserve_more(static_cast<std::uint32_t>(count));  // <= max_members
            g.by_id.reserve(g.live + count);
            RoleSlots slots;
            Impl::RoleCache roles_seen;
            for (std::size_t i = 0; i < count && refused == Error::ok; ++i)
                if ((refused = g.write_record(at(ctx, i), slots, roles_seen, added)) != Error::ok) bad = i;
            for (auto& l : g.lists) {
                reserve_total(l->hooks, g.members.high_water());
                // a reset from the commit, and one more when the batch
                // hides OFFLINE (after_count_change)
                if (l->log) reserve_more(*l->log, 2);
            }
        } catch (...) {
            g.release_added(added);
            throw;
        }
        const bool was = g.shown(g_offline);
        // 2. Index the records (in their own pass: its misses in the id
        // table overlap). An id given twice is found here, at its second
        // spec, which comes before the spec step 1 refused, if any.
        std::size_t dup = 0;
        LoadScratch scratch;  // steps 2 and 3 use it in turn
        try {
            dup = g.index_added(added, scratch);
        } catch (...) {  // nothing indexed
            g.release_added(added);
            throw;
        }
        const bool twice = dup < added.size();
        if (twice || refused != Error::ok) {
            g.unlink_added(added, dup);
            g.release_added(added);
            if (!twice) return refused;
            bad = dup;
            return Error::exists;
        }
        // 3. Prepare every list (may fail: then unlink and rethrow), then
        // commit every list (cannot fail).
        Vec<Impl::BulkPrepared> prepared;
        try {
            prepared.reserve(g.lists.size());
            for (auto& l : g.lists) prepared.push_back(g.bulk_prepare(*l, added, scratch));
        } catch (...) {
            prepared.clear();
            g.unlink_added(added, added.size());
            g.release_added(added);
            throw;
        }
        for (auto& p : prepared) g.bulk_commit(p);
        g.after_count_change(was);
        return Error::ok;
    });
    if (e != Error::ok && failed) *failed = bad;
    return e;
}

Error Guild::remove_member(std::uint64_t user_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0) return Error::invalid;
        const std::uint32_t s = g.find_slot(user_id);
        if (s == nil_id) return Error::not_found;
        Member& m = g.members[s];
        const std::uint32_t grp = g.group_of(m);
        g.prepare_member_event(grp, 0);
        const bool was = g.shown(g_offline);
        const bool shows = !was && g.live - 1 < g.cfg.offline_threshold;
        Impl::Unpark unpark;  // OFFLINE shows once this member is gone
        if (shows) g.unpark_prepare(unpark, s);
        for (auto& l : g.lists)
            if (g.in_list(*l, m)) g.unplace(*l, m, grp, false);
        g.by_id.erase(user_id, s);
        --g.live;
        g.release(s);
        g.after_count_change(was, &unpark);
        return Error::ok;
    });
}

// The hottest event (presence): a short path that reads the id table and
// the member's record and, when the member keeps its group and no list logs
// edits, writes the record and nothing else.
Error Guild::set_status(std::uint64_t user_id, Status status) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0 || static_cast<unsigned>(status) > 3) return Error::invalid;
        const std::uint32_t s = g.find_slot(user_id);
        if (s == nil_id) return Error::not_found;
        Member& m = g.members[s];
        const std::uint32_t old_group = g.group_of(m);
        const std::uint32_t new_group = g.group_for(status, m.top);
        if (old_group == new_group) {
            // Status does not decide visibility: the member stays where it
            // is in every list; lists with a log remember it as touched.
            // Without logs, only the record is written.
            if (g.logs)
                for (auto& l : g.lists)
                    Impl::reserve_log(*l, 1);
            m.status = status;
            m.rev = ++g.clock;
            if (g.logs)
                for (auto& l : g.lists)
                    if (l->log && g.in_list(*l, m)) g.log_update(*l, m);
            return Error::ok;
        }
        g.prefetch_places(m, old_group);
        for (auto& lp : g.lists) {
            ListState& l = *lp;
            if (!g.in_list(l, m)) continue;
            Tree& t = g.tree_for(l, new_group);
            t.reserve_insert();
            t.prefetch_insert(s);  // arrives while the old place is erased
            Impl::reserve_log(l, 4);  // 2 removes, 2 inserts
        }
        m.status = status;
        m.rev = ++g.clock;
        for (auto& lp : g.lists) {
            ListState& l = *lp;
            if (!g.in_list(l, m)) continue;
            g.unplace(l, m, old_group, false);
            g.place(l, m, new_group, false);
        }
        return Error::ok;
    });
}

Error Guild::set_name(std::uint64_t user_id, std::string_view name) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0 || !valid_name(name)) return Error::invalid;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        Text text = renamed(*m, name);
        g.prepare_member_event(g.group_of(*m), 0);
        g.refile(*m, same_key(*m, text), [&](Member& x) { install_text(x, text); });
        return Error::ok;
    });
}

Error Guild::set_sort_key(std::uint64_t user_id, bool has_key,
                          std::span<const std::uint8_t> key) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0) return Error::invalid;
        if (has_key && key.empty()) return Error::invalid;
        if (has_key && key.size() > g.cfg.max_sort_key_bytes) return Error::limit;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        const std::string_view bytes(reinterpret_cast<const char*>(key.data()), key.size());
        Text text(name_of(*m), has_key, bytes);
        g.prepare_member_event(g.group_of(*m), 0);
        g.refile(*m, same_key(*m, text), [&](Member& x) { install_text(x, text); });
        return Error::ok;
    });
}

Error Guild::set_roles(std::uint64_t user_id, std::span<const std::uint64_t> roles) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0) return Error::invalid;
        RoleSlots slots;
        if (Error e = g.check_role_ids(roles, &slots); e != Error::ok) return e;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        Roles staged(slots);
        g.reserve_holders(slots);
        g.prepare_member_event(g.group_for(m->status, g.top_of(slots)), 0);
        g.refile(*m, true, [&](Member& x) { g.install_roles_indexed(x, staged); });
        return Error::ok;
    });
}

Error Guild::add_member_role(std::uint64_t user_id, std::uint64_t role_id) {
    return no_memory_on_throw([&] { return impl_->change_member_role(user_id, role_id, true); });
}

Error Guild::remove_member_role(std::uint64_t user_id, std::uint64_t role_id) {
    return no_memory_on_throw([&] { return impl_->change_member_role(user_id, role_id, false); });
}

void Guild::prefetch_lookup(std::uint64_t user_id) const { impl_->by_id.prefetch(user_id); }

void Guild::prefetch_member(std::uint64_t user_id) const {
    const Impl& g = *impl_;
    const std::uint32_t s = g.by_id.peek(user_id);
    if (s == nil_id || s >= g.members.high_water()) return;
    __builtin_prefetch(&g.members[s]);
    g.prefetch_hook(s);
}

Error Guild::touch(std::uint64_t user_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0) return Error::invalid;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        for (auto& l : g.lists)
            Impl::reserve_log(*l, 1);
        m->rev = ++g.clock;
        for (auto& l : g.lists)
            if (g.in_list(*l, *m)) g.log_update(*l, *m);
        return Error::ok;
    });
}

}  // namespace roster
