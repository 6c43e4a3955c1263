// The guild engine (see guild.hpp for the contract): settings, roles,
// lists, queries and invariants; member events are in guild_members.cpp.
#include "guild_impl.hpp"

namespace roster {

Guild::Guild(const GuildConfig& config) : impl_(make_box<Impl>(config)) {}
Guild::~Guild() = default;

const GuildConfig& Guild::config() const { return impl_->cfg; }

Error Guild::set_everyone_view(bool view) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (g.cfg.everyone_view == view) return Error::ok;
        const Vec<std::uint32_t> all = g.all_members();
        g.reserve(g.plan_with([&] { g.cfg.everyone_view = view; },
                              [&] { g.cfg.everyone_view = !view; },
                              [&](Impl::Plan& plan) {
                                  for (std::size_t i = 1; i < g.lists.size(); ++i)
                                      g.plan_refilter(*g.lists[i], all, plan);
                              }));
        g.cfg.everyone_view = view;
        g.refilter(all);  // groups and keys do not depend on it
        return Error::ok;
    });
}

Error Guild::set_offline_threshold(std::uint32_t threshold) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        g.reserve(Impl::Plan{});  // room for the reset each log may get
        const bool was = g.shown(g_offline), will = g.live < threshold;
        Impl::Unpark unpark;
        if (!was && will) g.unpark_prepare(unpark, nil_id);
        g.cfg.offline_threshold = threshold;
        g.after_count_change(was, &unpark);
        return Error::ok;
    });
}

Error Guild::upsert_role(const RoleSpec& spec) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (spec.id == 0 || spec.id >= group_online) return Error::invalid;
        const std::uint32_t slot = g.find_role(spec.id);
        if (slot == ~0u) return g.create_role(spec);
        Role old = g.roles[slot];
        Role now{spec.id, spec.position, spec.hoist, spec.view, spec.admin, true};
        if (old.position == now.position && old.hoist == now.hoist && old.view == now.view &&
            old.admin == now.admin)
            return Error::ok;
        Vec<std::uint32_t> affected = g.holders(slot);
        const bool regroups = !(old.hoist == now.hoist && (old.position == now.position || !now.hoist));
        auto set_role = [&](const Role& r) {
            g.roles[slot] = r;
            g.resort_groups();
        };
        if (regroups && old.hoist && now.hoist) {
            // A hoisted role moving among hoisted roles reorders whole
            // sections: its holders are regrouped and every list is reset.
            g.regroup_many(affected, [&] { set_role(now); }, [&] { set_role(old); });
            g.log_reset_all();
            return Error::ok;
        }
        g.reserve(g.plan_with([&] { set_role(now); }, [&] { set_role(old); },
                              [&](Impl::Plan& plan) {
                                  if (regroups)
                                      g.plan_refile(affected, plan);
                                  else
                                      for (std::size_t i = 1; i < g.lists.size(); ++i)
                                          g.plan_refilter(*g.lists[i], affected, plan);
                              }));
        if (!regroups) {
            // Only view/admin (or a non-hoisted position): nobody changes group.
            g.roles[slot] = now;
            g.refilter(affected);
            return Error::ok;
        }
        // A hoist toggle moves only the holders (logged member by member).
        g.refile_many(affected, [&] {
            g.roles[slot] = now;
            g.resort_groups();
        }, false);
        return Error::ok;
    });
}

Error Guild::remove_role(std::uint64_t role_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (role_id == 0 || role_id >= group_online) return Error::invalid;
        std::uint32_t slot = g.find_role(role_id);
        if (slot == ~0u) return Error::not_found;
        Vec<std::uint32_t> affected = g.holders(slot);
        // Plan as if the role were already gone: a role with no effect (no
        // flags, an id no overwrite names) stands in for it.
        const Role old = g.roles[slot];
        auto set_role = [&](const Role& r) {
            g.roles[slot] = r;
            g.resort_groups();
        };
        reserve_more(g.free_roles, 1);
        g.reserve(g.plan_with([&] { set_role(Role{0, 0, false, false, false, true}); },
                              [&] { set_role(old); },
                              [&](Impl::Plan& plan) { g.plan_refile(affected, plan); }));
        g.refile_many(affected, [&] {
            for (std::uint32_t s : affected) {
                erase_role(g.members[s], slot);
                g.members[s].rev = ++g.clock;
            }
            g.roles[slot] = Role{};
            g.holders_of[slot].slots.clear();  // every holder lost it above
            g.holders_of[slot].count = 0;
            g.role_slot.erase(role_id);
            g.free_roles.push_back(slot);
            g.resort_groups();
        }, false);
        return Error::ok;
    });
}

Error Guild::reorder_roles(std::span<const std::uint64_t> ids,
                           std::span<const std::int32_t> positions) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (ids.size() != positions.size()) return Error::invalid;
        Vec<std::uint32_t> slots;
        HashSet<std::uint32_t> seen;
        for (std::uint64_t id : ids) {
            if (id == 0 || id >= group_online) return Error::invalid;
            std::uint32_t s = g.find_role(id);
            if (s == ~0u) return Error::not_found;
            if (!seen.insert(s).second) return Error::invalid;
            slots.push_back(s);
        }
        Vec<std::int32_t> old_pos;
        for (std::uint32_t s : slots) old_pos.push_back(g.roles[s].position);
        auto set_positions = [&](std::span<const std::int32_t> pos) {
            for (std::size_t i = 0; i < slots.size(); ++i) g.roles[slots[i]].position = pos[i];
            g.resort_groups();
        };
        // Sections are a table, so a reorder moves only the members whose
        // top hoisted role changes: holders of a reordered hoisted role
        // whose top differs under the new positions. They are re-filed
        // silently; the lists reset.
        // The candidates are the holders of the reordered hoisted roles
        // (the holder index: O(holders), not a scan of every member).
        // regroup_many moves only those whose top role changes.
        g.regroup_many(g.hoisted_holders(slots), [&] { set_positions(positions); },
                       [&] { set_positions(old_pos); });
        g.log_reset_all();
        return Error::ok;
    });
}

Error Guild::set_list(std::uint64_t list_id, const ListRule& rule) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (list_id == 0) return Error::invalid;
        if (rule.roles.size() + rule.members.size() > g.cfg.max_overwrites) return Error::limit;
        if (static_cast<unsigned>(rule.everyone) > 2) return Error::invalid;
        for (const IdOverwrite& o : rule.roles)
            if (o.id == 0 || o.id >= group_online) return Error::invalid;
        for (const IdOverwrite& o : rule.members)
            if (o.id == 0) return Error::invalid;
        {
            // The same role or member named twice is ambiguous: rejected.
            HashSet<std::uint64_t> roles_seen, members_seen;
            for (const IdOverwrite& o : rule.roles)
                if (!roles_seen.insert(o.id).second) return Error::invalid;
            for (const IdOverwrite& o : rule.members)
                if (!members_seen.insert(o.id).second) return Error::invalid;
        }
        ListState* l = g.find_list(list_id);
        Box<ListState> fresh;  // a new list joins only at the end
        if (!l) {
            if (g.lists.size() - 1 >= g.cfg.max_lists) return Error::limit;
            fresh = make_box<ListState>();
            fresh->id = list_id;
            fresh->hooks.resize(g.members.high_water());
            l = fresh.get();
            reserve_more(g.lists, 1);
        }
        ListState& list = *l;
        // The new rule is built aside and swapped in (swaps cannot fail).
        Overwrite everyone = rule.everyone;
        HashMap<std::uint64_t, bool> role_ow, member_ow;
        for (const IdOverwrite& o : rule.roles) role_ow[o.id] = o.allow;
        for (const IdOverwrite& o : rule.members) member_ow[o.id] = o.allow;
        auto swap_rule = [&] {
            std::swap(list.everyone, everyone);
            list.role_ow.swap(role_ow);
            list.member_ow.swap(member_ow);
        };
        const Vec<std::uint32_t> all = g.all_members();
        g.reserve(g.plan_with(swap_rule, swap_rule,
                              [&](Impl::Plan& plan) { g.plan_refilter(list, all, plan); }),
                  false);  // keyed by list: covers a new list's trees too
        if (fresh) g.list_by_id.emplace(list_id, fresh.get());  // may throw: nothing changed yet
        swap_rule();
        if (fresh) {
            // A membership bit, when one is free, is stale from a removed
            // list: cleared before use.
            list.bit = g.take_bit();
            if (list.bit != no_bit)
                for (std::uint32_t s : all) Impl::mark(list, g.members[s], false);
            g.lists.push_back(std::move(fresh));  // capacity reserved above
        }
        g.refilter(list, all);
        return Error::ok;
    });
}

Error Guild::remove_list(std::uint64_t list_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (list_id == 0) return Error::invalid;
        ListState* l = g.find_list(list_id);
        if (!l) return Error::not_found;
        if (l->bit != no_bit) g.free_bits |= 1u << l->bit;
        if (l->log) --g.logs;
        g.list_by_id.erase(list_id);
        // Found by pointer: no list is read on the way.
        g.lists.erase(std::find_if(g.lists.begin(), g.lists.end(),
                                   [&](const auto& p) { return p.get() == l; }));
        return Error::ok;
    });
}

// ================================================================ queries

std::uint32_t Guild::member_total() const { return impl_->live; }

bool Guild::has_list(std::uint64_t list_id) const { return impl_->find_list(list_id) != nullptr; }

Error Guild::list_length(std::uint64_t list_id, std::uint32_t* out) const {
    if (!out) return Error::invalid;
    const ListState* l = impl_->find_list(list_id);
    if (!l) return Error::not_found;
    *out = impl_->length(*l);
    return Error::ok;
}

Error Guild::counts(std::uint64_t list_id, std::uint32_t* member_count,
                    std::uint32_t* online_count) const {
    if (!member_count || !online_count) return Error::invalid;
    const ListState* l = impl_->find_list(list_id);
    if (!l) return Error::not_found;
    *member_count = l->total;
    *online_count = l->total - impl_->group_size(*l, g_offline) - l->parked;
    return Error::ok;
}

Error Guild::groups(std::uint64_t list_id, Vec<GroupCount>* out) const {
    if (!out) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    out->clear();
    for (const GroupSize& e : l->groups)
        if (g.shown(e.group)) out->push_back(GroupCount{g.group_id(e.group), e.size});
    return Error::ok;
}

Error Guild::row_at(std::uint64_t list_id, std::uint32_t index, Row* out) const {
    if (!out) return Error::invalid;
    Vec<Row> one;
    if (Error e = rows(list_id, index, index, &one); e != Error::ok) return e;
    if (one.empty()) return Error::not_found;
    *out = one[0];
    return Error::ok;
}

Error Guild::rows(std::uint64_t list_id, std::uint32_t start, std::uint32_t end,
                  Vec<Row>* out) const {
    if (!out) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    out->clear();
    if (end < start) return Error::invalid;
    const std::uint32_t len = g.length(*l);
    if (start >= len) return Error::ok;
    const RowRun run{start, std::min(end, len - 1) - start + 1};
    out->resize(run.count);
    return rows_at(list_id, std::span<const RowRun>(&run, 1), out->data());
}

Error Guild::rows_at(std::uint64_t list_id, std::span<const RowRun> runs, Row* out) const {
    if (!out && !runs.empty()) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    // All of it checked first: on bad input nothing is written.
    std::uint64_t done = 0;  // end of the last run
    for (const RowRun& run : runs) {
        if (run.count == 0 || run.start < done) return Error::invalid;
        done = std::uint64_t{run.start} + run.count;
    }
    if (done > g.length(*l)) return Error::invalid;
    // Walks the runs: header(gid, n) for a group's header row, and
    // members(t, finger, i, k) for k member rows from index i of tree t.
    // False if the runs go past the groups shown (not after the check).
    auto walk = [&](auto&& header, auto&& members) {
        // The group holding the current row: its header row `first`, its
        // `n` members in tree t.
        std::size_t gi = 0;
        std::uint32_t first = 0, n = 0;
        const Tree* t = nullptr;
        std::uint64_t gid = 0;
        auto next_group = [&](std::uint32_t from) {
            for (; gi < l->groups.size(); ++gi) {
                const std::uint32_t o = l->groups[gi].group;
                const std::uint32_t size = l->groups[gi].size;
                if (!g.shown(o)) continue;
                t = g.tree(*l, o);
                n = size;
                first = from;
                gid = g.group_id(o);
                ++gi;
                return true;
            }
            return false;
        };
        if (!next_group(0)) return runs.empty();
        Tree::Finger finger;
        for (const RowRun& run : runs) {
            std::uint64_t p = run.start;
            const std::uint64_t end = p + run.count;
            while (p < end) {
                while (p > std::uint64_t{first} + n) {
                    if (!next_group(first + n + 1)) return false;
                    finger = Tree::Finger{};
                }
                if (p == first) {
                    header(gid, n);
                    ++p;
                    continue;
                }
                // Members p .. up to the group's end.
                const std::uint32_t k = static_cast<std::uint32_t>(
                    std::min<std::uint64_t>(end, std::uint64_t{first} + n + 1) - p);
                members(*t, finger, static_cast<std::uint32_t>(p - first - 1), k, gid);
                p += k;
            }
        }
        return true;
    };
    // First every run's leaves requested (they are cold: one miss per run
    // otherwise, each waited for in turn), then the rows read in batches:
    // their slots read from the leaves (each record requested as soon as
    // its slot is known), then the records read, so that the misses of a
    // batch are in flight together. Both requests are non-temporal: a
    // flush reads thousands of chunks' rows once each, and in L2 and L3
    // they would evict the tree's inner nodes, which every event reads (at
    // 10M members and 100k sessions this costs events 30-40 ns each).
    if (runs.size() > 1)
        walk([](std::uint64_t, std::uint32_t) {},
             [](const Tree& t, Tree::Finger& f, std::uint32_t i, std::uint32_t k, std::uint64_t) {
                 t.prefetch_rows(f, i, k);
             });
    constexpr std::size_t batch = 128;
    std::uint32_t slots[batch];
    Row* dst[batch];
    std::size_t pending = 0;
    auto drain = [&] {
        for (std::size_t i = 0; i < pending; ++i) {
            const Member& m = g.members[slots[i]];
            dst[i]->user = m.id;
            dst[i]->rev = m.rev;
        }
        pending = 0;
    };
    const bool whole = walk([&](std::uint64_t gid, std::uint32_t n) { *out++ = Row{gid, 0, n, 0}; },
                            [&](const Tree& t, Tree::Finger& f, std::uint32_t i, std::uint32_t k, std::uint64_t gid) {
                                t.for_rows(f, i, k, [&](std::uint32_t s) {
                                    __builtin_prefetch(&g.members[s], 0, 0);
                                    *out = Row{gid, 0, 0, 0};
                                    slots[pending] = s;
                                    dst[pending] = out++;
                                    if (++pending == batch) drain();
                                });
                            });
    if (!whole) return Error::invalid;
    drain();
    return Error::ok;
}

Error Guild::index_of(std::uint64_t list_id, std::uint64_t user_id, std::uint32_t* out) const {
    if (!out || user_id == 0) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    const Member* m = g.find_member(user_id);
    if (!m || !g.in_list(*l, *m)) return Error::not_found;
    const std::uint32_t grp = g.group_of(*m);
    if (!g.shown(grp)) return Error::not_found;
    *out = g.offset(*l, grp) + 1 + g.tree(*l, grp)->index_of(g.slot_of(*m));
    return Error::ok;
}

Error Guild::can_view(std::uint64_t list_id, std::uint64_t user_id, bool* out) const {
    if (!out || user_id == 0) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    const Member* m = g.find_member(user_id);
    *out = m && g.in_list(*l, *m);
    return Error::ok;
}

Error Guild::member(std::uint64_t user_id, MemberView* out) const {
    if (!out || user_id == 0) return Error::invalid;
    const Impl& g = *impl_;
    const Member* m = g.find_member(user_id);
    if (!m) return Error::not_found;
    out->id = m->id;
    out->name = name_of(*m);
    out->status = m->status;
    out->group = g.group_id(g.group_of(*m));
    out->roles.clear();
    for (std::uint32_t r : roles_of(*m)) out->roles.push_back(g.roles[r].id);
    std::sort(out->roles.begin(), out->roles.end());
    return Error::ok;
}

Error Guild::attach_log(std::uint64_t list_id, Vec<RowEdit>* log) {
    ListState* l = impl_->find_list(list_id);
    if (!l) return Error::not_found;
    impl_->logs += (log != nullptr) - (l->log != nullptr);
    l->log = log;
    l->touched.clear();
    return Error::ok;
}

Error Guild::take_touched(std::uint64_t list_id, Vec<std::uint32_t>* rows) {
    if (!rows) return Error::invalid;
    const Impl& g = *impl_;
    ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    rows->clear();
    rows->reserve(l->touched.size());  // may throw: nothing forgotten yet
    // Records and hooks requested first, then (once those have arrived)
    // the leaves, so that the misses of each kind overlap.
    for (std::uint32_t s : l->touched) {
        __builtin_prefetch(&g.members[s]);
        if (s < l->hooks.size()) __builtin_prefetch(&l->hooks[s]);
    }
    for (std::uint32_t s : l->touched) {
        const Member& m = g.members[s];
        if (m.id == 0 || s >= l->hooks.size() || l->hooks[s].leaf >= parked_leaf) continue;
        if (const Tree* t = Impl::tree(*l, Impl::group_of(m))) t->prefetch_entry(s);
    }
    for (std::uint32_t s : l->touched) {
        const Member& m = g.members[s];
        if (m.id == 0 || !g.in_list(*l, m)) continue;  // gone (a freed slot, or out of the list)
        const std::uint32_t grp = Impl::group_of(m);
        if (!g.shown(grp)) continue;
        rows->push_back(g.offset(*l, grp) + 1 + Impl::tree(*l, grp)->index_of(s));
    }
    std::sort(rows->begin(), rows->end());
    rows->erase(std::unique(rows->begin(), rows->end()), rows->end());
    l->touched.clear();
    return Error::ok;
}

void Guild::clear_touched(std::uint64_t list_id) noexcept {
    if (ListState* l = impl_->find_list(list_id)) l->touched.clear();
}

bool Guild::has_touched(std::uint64_t list_id) const {
    const ListState* l = impl_->find_list(list_id);
    return l && !l->touched.empty();
}

Vec<RowEdit>* Guild::attached_log(std::uint64_t list_id) const {
    const ListState* l = impl_->find_list(list_id);
    return l ? l->log : nullptr;
}

std::uint32_t Guild::list_count() const { return static_cast<std::uint32_t>(impl_->lists.size()); }

std::size_t Guild::memory_bytes() const {
    const Impl& g = *impl_;
    std::size_t bytes = g.members.memory_bytes() + g.by_id.memory_bytes();
    for (std::uint32_t s = 0; s < g.members.high_water(); ++s)
        if (g.members[s].id != 0) bytes += heap_bytes(g.members[s]);
    bytes += g.holders_of.capacity() * sizeof(Impl::Holders);
    for (const Impl::Holders& h : g.holders_of) bytes += h.slots.memory_bytes();
    for (const auto& l : g.lists) {
        bytes += sizeof(ListState) + l->hooks.memory_bytes() +
                 l->trees.capacity() * sizeof(void*);
        for (const auto& t : l->trees)
            if (t) bytes += sizeof(Tree) + t->memory_bytes();
    }
    return bytes;
}

// ============================================================= invariants

bool Guild::check_invariants(std::string* why) const {
    std::string dummy;
    std::string& w = why ? *why : dummy;
    const Impl& g = *impl_;
    auto fail = [&](const std::string& msg) {
        w = msg;
        return false;
    };
    std::string tw;
    if (!g.by_id.check_invariants(&tw)) return fail("id table: " + tw);
    std::uint32_t live = 0;
    for (std::uint32_t s = 0; s < g.members.high_water(); ++s) {
        const Member& m = g.members[s];
        if (m.id == 0) continue;
        ++live;
        if (g.find_slot(m.id) != s) return fail("id table disagrees with slots");
        if ((m.flags & f_custom_key) && !(m.flags & f_text_heap)) return fail("custom key without a block");
        if (m.flags & ~(f_text_heap | f_custom_key | f_roles_heap)) return fail("unknown member flags");
        if (!(m.flags & f_roles_heap) && m.nroles > 2) return fail("inline role count above 2");
        if (!(m.flags & f_text_heap) && m.name_len > name_inline) return fail("long name inline");
        if (!valid_name(name_of(m))) return fail("member name invalid");
        if (m.prefix != key_prefix(key_bytes(m), key_folds(m))) return fail("key prefix stale");
        if (m.top != g.top_of(m)) return fail("member top role stale");
        if (static_cast<unsigned>(m.status) > 3) return fail("bad member status");
        const auto held = roles_of(m);
        if (std::adjacent_find(held.begin(), held.end(), std::greater_equal<std::uint32_t>()) != held.end())
            return fail("roles unsorted");
        for (std::uint32_t r : held)
            if (r >= g.roles.size() || !g.roles[r].live) return fail("member holds a dead role");
    }
    if (live != g.live || g.by_id.size() != live || g.members.live() != live)
        return fail("member count mismatch");
    if (const char* fault = g.tables_fault()) return fail(fault);
    if (const char* fault = g.holders_fault()) return fail(fault);
    unsigned logs = 0;
    std::uint32_t bits = 0;
    for (const auto& lp : g.lists) {
        const ListState& l = *lp;
        if (l.log) ++logs;
        if (l.bit != no_bit) {
            if (l.bit >= list_bits || (bits >> l.bit) & 1u || (g.free_bits >> l.bit) & 1u)
                return fail("list membership bit owned twice");
            bits |= 1u << l.bit;
        }
        std::uint32_t total = 0;
        for (std::uint32_t i = 0; i < l.trees.size(); ++i) {
            const Tree* t = l.trees[i].get();
            if (!t) continue;
            if (!t->check_invariants(&tw)) return fail("list tree: " + tw);
            total += t->size();
            for (std::uint32_t k = 0; k < t->size(); ++k) {
                const std::uint32_t s = t->at(k);
                if (s >= g.members.high_water() || g.members[s].id == 0 ||
                    Impl::group_of(g.members[s]) != group_of_index(i))
                    return fail("tree holds a member of another group");
            }
        }
        if (total + l.parked != l.total) return fail("list total mismatch");
        std::uint32_t parked = 0;
        for (std::uint32_t s = 0; s < g.members.high_water(); ++s) {
            const Member& m = g.members[s];
            const bool in = s < l.hooks.size() && l.hooks[s].leaf != nil_id;
            if (m.id == 0) {
                if (in) return fail("hook of a free slot is linked");
                continue;
            }
            const bool is_parked = in && l.hooks[s].leaf == parked_leaf;
            parked += is_parked;
            if (is_parked != (in && Impl::group_of(m) == g_offline && !g.shown(g_offline)))
                return fail("parked: a member is (not) parked where it should (not) be");
            if (l.bit != no_bit && ((m.lists >> l.bit) & 1u) != in)
                return fail("list membership bit disagrees with the hook");
            if (in != g.visible(l, m)) return fail("list membership disagrees with visibility");
        }
        if (parked != l.parked) return fail("parked count mismatch");
    }
    if (logs != g.logs) return fail("attached log count mismatch");
    for (const auto& lp : g.lists)
        if (!lp->log && !lp->touched.empty()) return fail("touched members without a log");
    return true;
}

const char* error_name(Error e) {
    switch (e) {
    case Error::ok: return "ok";
    case Error::invalid: return "invalid argument";
    case Error::not_found: return "not found";
    case Error::exists: return "already exists";
    case Error::limit: return "limit exceeded";
    case Error::no_memory: return "out of memory";
    case Error::busy: return "busy";
    case Error::corrupt: return "corrupt";
    case Error::version: return "incompatible version";
    case Error::internal: return "internal error";
    case Error::flush_failed: return "flush failed";
    case Error::io: return "callback failed";
    }
    return "unknown status";
}

}  // namespace roster
