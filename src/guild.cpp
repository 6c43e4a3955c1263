// The guild engine (see guild.hpp for the contract).
#include "guild.hpp"
#include "grow.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include <boost/container/small_vector.hpp>

#include "hash_index.hpp"
#include "rank_btree.hpp"
#include "text.hpp"

namespace roster {

namespace {

// Group slots: a hoisted role's slot, or one of these.
constexpr std::uint32_t g_online = 1u << 20;
constexpr std::uint32_t g_offline = g_online + 1;

}  // namespace

// A member's role slots, ascending; most members hold few roles, so two
// live inline and need no allocation of their own.
using RoleSlots = boost::container::small_vector<std::uint32_t, 2>;

struct Member {
    HashHook hook;
    std::uint64_t id = 0;
    std::uint32_t slot = 0;
    Status status = Status::offline;
    bool custom_key = false;
    std::uint32_t rev = 0;  // Row::rev
    std::uint32_t group = g_offline;
    std::uint32_t top = g_online;  // group when not offline (top hoisted role)
    std::uint64_t prefix = 0;      // first 8 bytes of the sort key, big-endian
    std::string name;
    std::unique_ptr<std::string> key;  // host sort key, only when custom_key
    RoleSlots roles;

    // The sort key: the host's bytes, or the name folded on the fly.
    std::string_view key_bytes() const { return custom_key ? std::string_view(*key) : name; }
    bool key_folds() const { return !custom_key; }
};

inline int compare_member_keys(const Member& x, const Member& y) {
    return compare_keys(x.key_bytes(), x.key_folds(), y.key_bytes(), y.key_folds());
}

struct Role {
    std::uint64_t id = 0;
    std::int32_t position = 0;
    bool hoist = false, view = false, admin = false;
    bool live = false;
};

struct ListState;

struct TreeTraits {
    const std::vector<std::unique_ptr<Member>>* members;
    ListState* list;
    BTreeHook& hook(std::uint32_t slot) const;
    std::uint64_t prefix(std::uint32_t slot) const { return (*members)[slot]->prefix; }
    bool less(std::uint32_t a, std::uint32_t b) const {
        const Member& x = *(*members)[a];
        const Member& y = *(*members)[b];
        int c = compare_member_keys(x, y);
        return c != 0 ? c < 0 : x.id < y.id;
    }
};

using Tree = RankBTree<TreeTraits>;

struct ListState {
    std::uint64_t id = 0;
    Overwrite everyone = Overwrite::none;
    std::unordered_map<std::uint64_t, bool> role_ow;    // role id -> allow
    std::unordered_map<std::uint64_t, bool> member_ow;  // user id -> allow
    std::vector<BTreeHook> hooks;                       // by member slot
    std::map<std::uint32_t, std::unique_ptr<Tree>> trees;  // by group slot
    std::uint32_t total = 0;                            // visible members
    std::vector<RowEdit>* log = nullptr;
};

BTreeHook& TreeTraits::hook(std::uint32_t slot) const { return list->hooks[slot]; }

using MemberIndex = HashIndex<Member, &Member::hook, &Member::id>;

struct Guild::Impl {
    GuildConfig cfg;
    std::vector<std::unique_ptr<Member>> members;  // by slot; null = free
    std::vector<std::uint32_t> free_slots;
    MemberIndex by_id;
    std::uint32_t live = 0;
    std::uint32_t clock = 0;  // source of Member::rev stamps

    std::vector<Role> roles;  // by slot
    std::vector<std::uint32_t> free_roles;
    std::unordered_map<std::uint64_t, std::uint32_t> role_slot;  // id -> slot
    std::vector<std::uint32_t> order;       // hoisted role slots, then online, offline
    std::vector<std::uint32_t> role_rank;   // by role slot: rank among hoisted (or ~0)

    std::vector<std::unique_ptr<ListState>> lists;  // lists[0] is "everyone"

    explicit Impl(const GuildConfig& c) : cfg(c) {
        auto everyone = std::make_unique<ListState>();
        everyone->id = 0;
        lists.push_back(std::move(everyone));
        rebuild_order();
    }
    ~Impl() { by_id.clear(); }

    // ---------------------------------------------------------- lookups --
    Member* find_member(std::uint64_t id) { return by_id.find(id); }
    const Member* find_member(std::uint64_t id) const { return by_id.find(id); }
    ListState* find_list(std::uint64_t id) const {
        for (const auto& l : lists)
            if (l->id == id) return l.get();
        return nullptr;
    }
    std::uint32_t find_role(std::uint64_t id) const {
        auto it = role_slot.find(id);
        return it == role_slot.end() ? ~0u : it->second;
    }
    std::uint64_t group_id(std::uint32_t g) const {
        if (g == g_online) return group_online;
        if (g == g_offline) return group_offline;
        return roles[g].id;
    }

    // ------------------------------------------------------------ groups --
    void rebuild_order() {
        order.clear();
        for (std::uint32_t r = 0; r < roles.size(); ++r)
            if (roles[r].live && roles[r].hoist) order.push_back(r);
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            if (roles[a].position != roles[b].position)
                return roles[a].position > roles[b].position;
            return roles[a].id < roles[b].id;
        });
        role_rank.assign(roles.size(), ~0u);
        for (std::uint32_t i = 0; i < order.size(); ++i) role_rank[order[i]] = i;
        order.push_back(g_online);
        order.push_back(g_offline);
    }

    std::uint32_t group_of(const Member& m) const {
        return m.status == Status::offline ? g_offline : m.top;
    }
    // The member's highest hoisted role, or online: its group when present.
    std::uint32_t top_of(const Member& m) const { return top_of(m.roles); }
    std::uint32_t top_of(const RoleSlots& role_slots) const {
        std::uint32_t best = g_online, best_rank = ~0u;
        for (std::uint32_t r : role_slots) {
            std::uint32_t rank = role_rank[r];
            if (rank < best_rank) {
                best_rank = rank;
                best = r;
            }
        }
        return best;
    }

    bool shown(std::uint32_t g) const { return g != g_offline || live < cfg.offline_threshold; }

    // ------------------------------------------------------- visibility --
    bool visible(const ListState& l, const Member& m) const {
        if (l.id == 0) return true;
        bool admin = false, view = false, deny = false, allow = false;
        for (std::uint32_t r : m.roles) {
            const Role& role = roles[r];
            admin |= role.admin;
            view |= role.view;
            auto it = l.role_ow.find(role.id);
            if (it != l.role_ow.end()) (it->second ? allow : deny) = true;
        }
        if (admin) return true;
        bool v = cfg.everyone_view || view;
        if (l.everyone == Overwrite::allow) v = true;
        if (l.everyone == Overwrite::deny) v = false;
        if (deny) v = false;
        if (allow) v = true;
        auto it = l.member_ow.find(m.id);
        if (it != l.member_ow.end()) v = it->second;
        return v;
    }

    // ---------------------------------------------------------- rows ----
    Tree* tree(const ListState& l, std::uint32_t g) const {
        auto it = l.trees.find(g);
        return it == l.trees.end() ? nullptr : it->second.get();
    }
    Tree& tree_for(ListState& l, std::uint32_t g) {
        auto it = l.trees.find(g);
        if (it != l.trees.end()) return *it->second;
        auto t = std::make_unique<Tree>(TreeTraits{&members, &l});
        Tree& ref = *t;
        l.trees.emplace(g, std::move(t));
        return ref;
    }
    std::uint32_t group_size(const ListState& l, std::uint32_t g) const {
        const Tree* t = tree(l, g);
        return t ? t->size() : 0;
    }
    // First row of group g (its header), counting groups that appear.
    std::uint32_t offset(const ListState& l, std::uint32_t g) const {
        std::uint32_t off = 0;
        for (std::uint32_t o : order) {
            if (o == g) break;
            std::uint32_t n = group_size(l, o);
            if (n && shown(o)) off += n + 1;
        }
        return off;
    }
    std::uint32_t length(const ListState& l) const {
        std::uint32_t len = 0;
        for (std::uint32_t o : order) {
            std::uint32_t n = group_size(l, o);
            if (n && shown(o)) len += n + 1;
        }
        return len;
    }
    bool in_list(const ListState& l, const Member& m) const {
        return m.slot < l.hooks.size() && l.hooks[m.slot].leaf != nil_id;
    }

    // Appends rows for `count` members of tree t from index `from`. The
    // member records are scattered, so their addresses are gathered first
    // and prefetched in two waves (slot table, then records): the misses
    // overlap instead of costing one round trip per row.
    void member_rows(const Tree& t, std::uint32_t from, std::uint32_t count, std::uint64_t gid,
                     std::vector<Row>* out) const {
        constexpr std::uint32_t batch = 32;
        std::uint32_t slots[batch];
        while (count > 0) {
            const std::uint32_t n = std::min(count, batch);
            std::uint32_t i = 0;
            t.for_range(from, n, [&](std::uint32_t slot) { slots[i++] = slot; });
            for (std::uint32_t j = 0; j < n; ++j) __builtin_prefetch(&members[slots[j]]);
            for (std::uint32_t j = 0; j < n; ++j) __builtin_prefetch(members[slots[j]].get());
            for (std::uint32_t j = 0; j < n; ++j) {
                const Member& m = *members[slots[j]];
                out->push_back(Row{false, gid, m.id, 0, m.rev});
            }
            from += n;
            count -= n;
        }
    }

    void log(ListState& l, RowEdit::Kind k, std::uint32_t index) {
        if (l.log) l.log->push_back(RowEdit{k, index});
    }

    // Removes m (in group m.group) from l, logging the rows that go.
    void unplace(ListState& l, const Member& m, bool quiet) {
        Tree& t = *tree(l, m.group);
        const bool rows = !quiet && l.log && shown(m.group);
        const std::uint32_t off = rows ? offset(l, m.group) : 0;
        const std::uint32_t idx = t.erase(m.slot);
        --l.total;
        if (rows) {
            log(l, RowEdit::Kind::remove, off + 1 + idx);
            if (t.empty()) log(l, RowEdit::Kind::remove, off);
        }
    }
    // Inserts m into its group's tree in l, logging the rows that come.
    void place(ListState& l, const Member& m, bool quiet) {
        if (l.hooks.size() <= m.slot) l.hooks.resize(members.size());
        Tree& t = tree_for(l, m.group);
        const bool was_empty = t.empty();
        const std::uint32_t idx = t.insert(m.slot);
        ++l.total;
        if (!quiet && l.log && shown(m.group)) {
            const std::uint32_t off = offset(l, m.group);
            if (was_empty) log(l, RowEdit::Kind::insert, off);
            log(l, RowEdit::Kind::insert, off + 1 + idx);
        }
    }
    void log_update(ListState& l, const Member& m) {
        if (!l.log || !shown(m.group)) return;
        const std::uint32_t idx = tree(l, m.group)->index_of(m.slot);
        log(l, RowEdit::Kind::update, offset(l, m.group) + 1 + idx);
    }
    void log_reset_all() {
        for (auto& l : lists) log(*l, RowEdit::Kind::reset, 0);
    }

    // --------------------------------------------- re-filing a member ----
    // A change to m is applied in three steps: take it out of every list it
    // is in (no key comparisons: erase works from the hook), mutate, then
    // put it back wherever it is now visible. Where it stays in place in a
    // list (same group, same key), it is updated instead of moved.
    struct Before {
        std::uint32_t group;
        std::string key;  // the old effective key, only when it may change
        boost::container::small_vector<char, 16> in;  // per list
    };
    // What a mutation may change, so unchanged parts cost nothing.
    enum Changes : unsigned { status_only = 0, key_may_change = 1, roles_may_change = 2 };

    Before take_out(Member& m, unsigned changes) {
        Before b{m.group, {}, {}};
        if (changes & key_may_change) b.key = effective_key(m);
        b.in.resize(lists.size());
        for (std::size_t i = 0; i < lists.size(); ++i) b.in[i] = in_list(*lists[i], m);
        return b;
    }
    static std::string effective_key(const Member& m) {
        return m.custom_key ? *m.key : fold_ascii(m.name);
    }
    void put_back(Member& m, const Before& b, unsigned changes, bool quiet) {
        const bool same_place =
            b.group == m.group &&
            (!(changes & key_may_change) ||
             compare_keys(b.key, false, m.key_bytes(), m.key_folds()) == 0);
        for (std::size_t i = 0; i < lists.size(); ++i) {
            ListState& l = *lists[i];
            const bool now = visible(l, m);
            if (b.in[i]) {
                if (same_place && now) {
                    if (!quiet) log_update(l, m);
                    continue;
                }
                // Moves: erase works from the hook, but the old group names
                // the tree and the offset of the old row.
                const std::uint32_t g = m.group;
                m.group = b.group;
                unplace(l, m, quiet);
                m.group = g;
            }
            if (now) place(l, m, quiet);
        }
    }

    // Allocation-failure safety for single-member events: everything such
    // an event can allocate is reserved here, before anything changes, so
    // the commit that follows cannot fail (std::bad_alloc from here leaves
    // the guild untouched). Covers: each list's hooks for `extra_slots` new
    // member slots, the target group's tree (created if missing, room for
    // one insert), and room for the edits one member can cause in a log.
    void prepare_member_event(std::uint32_t target_group, std::size_t extra_slots) {
        for (auto& lp : lists) {
            ListState& l = *lp;
            reserve_total(l.hooks, members.size() + extra_slots);
            tree_for(l, target_group).reserve_insert();
            if (l.log) reserve_more(*l.log, 5);  // 2 removes, 2 inserts, reset
        }
    }
    std::uint32_t group_for(Status status, std::uint32_t top) const {
        return status == Status::offline ? g_offline : top;
    }

    void refresh_key(Member& m) { m.prefix = key_prefix(m.key_bytes(), m.key_folds()); }
    void refresh_group(Member& m) {
        m.top = top_of(m);
        m.group = group_of(m);
    }

    // Generic "mutate one member" driver; the mutation must not fail. The
    // member stays in its trees during the mutation (erase needs only the
    // hook, and nothing compares keys meanwhile); where its place is the
    // same afterwards, lists get an update instead of a move.
    template <class F>
    void refile(Member& m, unsigned changes, F&& mutate) {
        Before b = take_out(m, changes);
        mutate(m);
        m.rev = ++clock;
        if (changes & key_may_change) refresh_key(m);
        if (changes & roles_may_change) m.top = top_of(m);
        m.group = group_of(m);
        put_back(m, b, changes, false);
    }

    // Applies `mutate` to the guild with the given members re-filed around
    // it (out before with the old state, in after with the new), every list
    // logging per-member edits unless `quiet` (then the caller logs resets).
    //
    // Members are taken out and put back in list order (group, then key):
    // consecutive erases and inserts then touch neighbouring leaves, which
    // stay in cache, instead of a random leaf each (a reorder moving 100k
    // members runs several times faster).
    template <class F>
    void refile_many(const std::vector<Member*>& affected, F&& mutate, bool quiet) {
        // (group, key prefix, member): sorted without touching the records
        // except on prefix ties.
        struct Place {
            std::uint32_t group;
            std::uint64_t prefix;
            Member* m;
        };
        std::vector<Place> ms(affected.size());  // may throw: nothing changed yet
        auto sort_places = [&] {
            for (std::size_t i = 0; i < ms.size(); ++i) {
                Member* m = ms[i].m;
                ms[i] = Place{m->group, m->prefix, m};
            }
            std::sort(ms.begin(), ms.end(), [](const Place& a, const Place& b) {
                if (a.group != b.group) return a.group < b.group;
                if (a.prefix != b.prefix) return a.prefix < b.prefix;
                const int c = compare_member_keys(*a.m, *b.m);
                return c != 0 ? c < 0 : a.m->id < b.m->id;
            });
        };
        for (std::size_t i = 0; i < ms.size(); ++i) ms[i].m = affected[i];
        sort_places();
        for (const Place& p : ms)
            for (auto& l : lists)
                if (in_list(*l, *p.m)) unplace(*l, *p.m, quiet);
        mutate();
        for (const Place& p : ms) refresh_group(*p.m);
        sort_places();
        for (const Place& p : ms)
            for (auto& l : lists)
                if (visible(*l, *p.m)) place(*l, *p.m, quiet);
    }

    // Membership of `ms` in every list except list 0 recomputed after a
    // change that cannot move anyone inside a list (groups and keys kept).
    void refilter(const std::vector<Member*>& ms) {
        for (std::size_t i = 1; i < lists.size(); ++i) refilter(*lists[i], ms);
    }
    void refilter(ListState& l, const std::vector<Member*>& ms) {
        for (Member* m : ms) {
            const bool was = in_list(l, *m);
            const bool now = visible(l, *m);
            if (was && !now) unplace(l, *m, false);
            if (!was && now) place(l, *m, false);
        }
    }

    // Placing many new members in l, in two steps. Prepare may allocate
    // and changes nothing visible: groups that are empty get a tree built
    // aside from a sorted run; the others get room reserved for their
    // inserts. Commit cannot fail: it swaps the built trees in and inserts
    // the rest. Logged as one reset.
    struct BulkPrepared {
        ListState* list = nullptr;
        std::vector<std::pair<std::uint32_t, std::unique_ptr<Tree>>> built;
        std::vector<Member*> inserts;
        bool changed = false;
    };
    BulkPrepared bulk_prepare(ListState& l, const std::vector<Member*>& ms) {
        BulkPrepared p;
        p.list = &l;
        l.hooks.resize(members.size());  // within the reserved capacity
        std::map<std::uint32_t, std::vector<std::pair<std::uint64_t, std::uint32_t>>> runs;
        for (Member* m : ms) {
            l.hooks[m->slot].leaf = nil_id;
            if (visible(l, *m)) runs[m->group].emplace_back(m->prefix, m->slot);
        }
        for (auto& [grp, run] : runs) {
            Tree& t = tree_for(l, grp);
            p.changed = p.changed || shown(grp);
            if (!t.empty()) {
                t.reserve_inserts(run.size());
                for (auto& [pfx, slot] : run) p.inserts.push_back(members[slot].get());
                continue;
            }
            TreeTraits tr{&members, &l};
            std::sort(run.begin(), run.end(), [&](const auto& a, const auto& b) {
                if (a.first != b.first) return a.first < b.first;
                return tr.less(a.second, b.second);
            });
            std::vector<std::uint32_t> ids(run.size());
            for (std::size_t i = 0; i < run.size(); ++i) ids[i] = run[i].second;
            auto fresh = std::make_unique<Tree>(tr);
            fresh->build(ids.data(), static_cast<std::uint32_t>(ids.size()));
            p.built.emplace_back(grp, std::move(fresh));
        }
        return p;
    }
    void bulk_commit(BulkPrepared& p) noexcept {
        ListState& l = *p.list;
        for (auto& [grp, fresh] : p.built) {
            l.total += fresh->size();
            l.trees.find(grp)->second.swap(fresh);  // the entry exists: tree_for
        }
        for (Member* m : p.inserts) place(l, *m, true);
        if (p.changed) log(l, RowEdit::Kind::reset, 0);
    }
    // Indexes a new record and gives it a slot (a freed one first); nullptr
    // (and nothing done) when its id is taken. Cannot fail once members and
    // by_id have room reserved for it.
    Member* link(std::unique_ptr<Member>& owned) {
        Member& m = *owned;
        if (!by_id.insert(m)) return nullptr;
        if (!free_slots.empty()) {
            m.slot = free_slots.back();
            free_slots.pop_back();
            members[m.slot] = std::move(owned);
        } else {
            m.slot = static_cast<std::uint32_t>(members.size());
            members.push_back(std::move(owned));
        }
        ++live;
        return &m;
    }

    // Undoes the linking step of add_members (cannot fail).
    void unlink_added(const std::vector<Member*>& added) noexcept {
        for (auto& l : lists)
            for (Member* m : added)
                if (m->slot < l->hooks.size()) l->hooks[m->slot].leaf = nil_id;
        for (auto it = added.rbegin(); it != added.rend(); ++it) {
            Member* m = *it;
            const std::uint32_t slot = m->slot;
            by_id.erase(*m);
            --live;
            if (slot + 1 == members.size()) {
                members.pop_back();
            } else {
                members[slot].reset();
                free_slots.push_back(slot);  // its capacity was there before
            }
        }
    }


    // ---------------------------------------------- bulk-event plans ----
    // Events that re-file many members reserve, before changing anything,
    // room for every insert each (list, group) tree will take and for every
    // edit each log will get. The plan is computed with the event's settings
    // applied tentatively (plain assignments that the caller restores), so
    // it sees the groups and visibility the event will produce.
    struct Plan {
        std::map<std::pair<ListState*, std::uint32_t>, std::uint64_t> inserts;
        std::map<ListState*, std::uint64_t> edits;
    };
    // Plans with the event's settings applied tentatively: apply() and
    // restore() are plain assignments that cannot fail; restore() runs on
    // every path, so planning (which may allocate) changes nothing.
    template <class Apply, class Restore, class Fill>
    Plan plan_with(Apply&& apply, Restore&& restore, Fill&& fill) {
        Plan plan;
        apply();
        try {
            fill(plan);
        } catch (...) {
            restore();
            throw;
        }
        restore();
        return plan;
    }
    // Affected members leave every list and come back where visible.
    void plan_refile(const std::vector<Member*>& ms, Plan& plan) {
        for (Member* m : ms) {
            const std::uint32_t grp = group_for(m->status, top_of(*m));
            for (auto& lp : lists) {
                ListState* l = lp.get();
                if (in_list(*l, *m)) plan.edits[l] += 2;
                if (visible(*l, *m)) {
                    ++plan.inserts[{l, grp}];
                    plan.edits[l] += 2;
                }
            }
        }
    }
    // Members whose visibility in l may change (groups and keys kept).
    void plan_refilter(ListState& l, const std::vector<Member*>& ms, Plan& plan) {
        for (Member* m : ms) {
            const bool was = in_list(l, *m), now = visible(l, *m);
            if (was != now) plan.edits[&l] += 2;
            if (!was && now) ++plan.inserts[{&l, m->group}];
        }
    }
    void reserve(const Plan& plan) {
        for (const auto& [key, k] : plan.inserts) tree_for(*key.first, key.second).reserve_inserts(k);
        for (auto& lp : lists)
            if (lp->log) {
                auto it = plan.edits.find(lp.get());
                reserve_more(*lp->log, (it == plan.edits.end() ? 0 : it->second) + 1);
            }
    }
    // Room to rebuild the group order without allocating.
    void reserve_order() {
        reserve_total(order, roles.size() + 2);
        reserve_total(role_rank, roles.size());
    }

    // Gives (add) or takes (!add) one role; a no-op when already so.
    Error change_member_role(std::uint64_t user_id, std::uint64_t role_id, bool add) {
        if (user_id == 0 || role_id == 0 || role_id >= group_online) return Error::invalid;
        Member* m = find_member(user_id);
        if (!m) return Error::not_found;
        const std::uint32_t r = find_role(role_id);
        if (r == ~0u) return Error::not_found;
        auto it = std::lower_bound(m->roles.begin(), m->roles.end(), r);
        const bool has = it != m->roles.end() && *it == r;
        if (has == add) return Error::ok;
        if (add && m->roles.size() >= cfg.max_roles_per_member) return Error::limit;
        RoleSlots roles = m->roles;
        const auto pos = roles.begin() + (it - m->roles.begin());
        if (add)
            roles.insert(pos, r);
        else
            roles.erase(pos);
        prepare_member_event(group_for(m->status, top_of(roles)), 0);
        refile(*m, roles_may_change, [&](Member& x) { x.roles = std::move(roles); });
        return Error::ok;
    }

    std::vector<Member*> holders(std::uint32_t role) {
        std::vector<Member*> out;
        for (auto& m : members)
            if (m && std::binary_search(m->roles.begin(), m->roles.end(), role))
                out.push_back(m.get());
        return out;
    }
    std::vector<Member*> all_members() {
        std::vector<Member*> out;
        out.reserve(live);
        for (auto& m : members)
            if (m) out.push_back(m.get());
        return out;
    }

    // Offline section shown/hidden flips with the member count: every list
    // changes wholesale.
    void after_count_change(bool offline_was_shown) {
        if (offline_was_shown != shown(g_offline)) log_reset_all();
    }

    // ---------------------------------------------------- validation ----
    Error check_role_ids(std::span<const std::uint64_t> ids,
                         RoleSlots* slots) const {
        slots->clear();
        for (std::uint64_t id : ids) {
            if (id == 0 || id >= group_online) return Error::invalid;
            std::uint32_t s = find_role(id);
            if (s == ~0u) return Error::not_found;
            slots->push_back(s);
        }
        std::sort(slots->begin(), slots->end());
        slots->erase(std::unique(slots->begin(), slots->end()), slots->end());
        if (slots->size() > cfg.max_roles_per_member) return Error::limit;
        return Error::ok;
    }
};

// ===================================================================== API

namespace {

// std::bad_alloc becomes Error::no_memory. Single-member events (and role
// creation) reserve everything before changing anything, so for them the
// guild is then unchanged; see prepare_member_event.
template <class F>
Error no_memory_on_throw(F&& f) {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return Error::no_memory;
    }
}

}  // namespace

Guild::Guild(const GuildConfig& config) : impl_(std::make_unique<Impl>(config)) {}
Guild::~Guild() = default;

const GuildConfig& Guild::config() const { return impl_->cfg; }

Error Guild::set_everyone_view(bool view) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (g.cfg.everyone_view == view) return Error::ok;
        const std::vector<Member*> all = g.all_members();
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
        bool was = g.shown(g_offline);
        g.cfg.offline_threshold = threshold;
        g.after_count_change(was);
        return Error::ok;
    });
}

Error Guild::upsert_role(const RoleSpec& spec) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (spec.id == 0 || spec.id >= group_online) return Error::invalid;
        std::uint32_t slot = g.find_role(spec.id);
        if (slot == ~0u) {
            std::size_t live_roles = g.role_slot.size();
            if (live_roles >= g.cfg.max_roles) return Error::limit;
            // Allocations first: room for the role, its index entry and the
            // group tables; then nothing below can fail.
            const bool reuse = !g.free_roles.empty();
            slot = reuse ? g.free_roles.back() : static_cast<std::uint32_t>(g.roles.size());
            reserve_more(g.roles, 1);
            reserve_total(g.order, g.roles.size() + 3);
            reserve_total(g.role_rank, g.roles.size() + 1);
            g.role_slot.emplace(spec.id, slot);  // may throw: nothing changed yet
            if (reuse)
                g.free_roles.pop_back();
            else
                g.roles.emplace_back();
            g.roles[slot] = Role{spec.id, spec.position, spec.hoist, spec.view, spec.admin, true};
            g.rebuild_order();  // a new role has no members: no rows change
            return Error::ok;
        }
        Role old = g.roles[slot];
        Role now{spec.id, spec.position, spec.hoist, spec.view, spec.admin, true};
        if (old.position == now.position && old.hoist == now.hoist && old.view == now.view &&
            old.admin == now.admin)
            return Error::ok;
        std::vector<Member*> affected = g.holders(slot);
        const bool regroups = !(old.hoist == now.hoist && (old.position == now.position || !now.hoist));
        auto set_role = [&](const Role& r) {
            g.roles[slot] = r;
            g.rebuild_order();
        };
        g.reserve_order();
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
        // A hoisted role moving among hoisted roles reorders whole sections:
        // every list is reset. A hoist toggle moves only the holders.
        const bool reorders = old.hoist && now.hoist;
        g.refile_many(affected, [&] {
            g.roles[slot] = now;
            g.rebuild_order();
        }, reorders);
        if (reorders) g.log_reset_all();
        return Error::ok;
    });
}

Error Guild::remove_role(std::uint64_t role_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (role_id == 0 || role_id >= group_online) return Error::invalid;
        std::uint32_t slot = g.find_role(role_id);
        if (slot == ~0u) return Error::not_found;
        std::vector<Member*> affected = g.holders(slot);
        // Plan as if the role were already gone: a role with no effect (no
        // flags, an id no overwrite names) stands in for it.
        const Role old = g.roles[slot];
        auto set_role = [&](const Role& r) {
            g.roles[slot] = r;
            g.rebuild_order();
        };
        g.reserve_order();
        reserve_more(g.free_roles, 1);
        g.reserve(g.plan_with([&] { set_role(Role{0, 0, false, false, false, true}); },
                              [&] { set_role(old); },
                              [&](Impl::Plan& plan) { g.plan_refile(affected, plan); }));
        g.refile_many(affected, [&] {
            for (Member* m : affected) {
                m->roles.erase(std::find(m->roles.begin(), m->roles.end(), slot));
                m->rev = ++g.clock;
            }
            g.roles[slot] = Role{};
            g.role_slot.erase(role_id);
            g.free_roles.push_back(slot);
            g.rebuild_order();
        }, false);
        return Error::ok;
    });
}

Error Guild::reorder_roles(std::span<const std::uint64_t> ids,
                           std::span<const std::int32_t> positions) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (ids.size() != positions.size()) return Error::invalid;
        std::vector<std::uint32_t> slots;
        std::unordered_set<std::uint32_t> seen;
        for (std::uint64_t id : ids) {
            if (id == 0 || id >= group_online) return Error::invalid;
            std::uint32_t s = g.find_role(id);
            if (s == ~0u) return Error::not_found;
            if (!seen.insert(s).second) return Error::invalid;
            slots.push_back(s);
        }
        std::vector<std::int32_t> old_pos;
        for (std::uint32_t s : slots) old_pos.push_back(g.roles[s].position);
        auto set_positions = [&](std::span<const std::int32_t> pos) {
            for (std::size_t i = 0; i < slots.size(); ++i) g.roles[slots[i]].position = pos[i];
            g.rebuild_order();
        };
        g.reserve_order();
        // Sections are a table, so a reorder moves only the members whose
        // top hoisted role changes: holders of a reordered hoisted role
        // whose top differs under the new positions. They are re-filed
        // silently; the lists reset.
        std::vector<bool> moved_role(g.roles.size(), false);
        for (std::uint32_t s : slots) moved_role[s] = g.roles[s].hoist;
        std::vector<Member*> affected;
        set_positions(positions);  // tentatively; rebuild_order has room
        try {
            for (auto& m : g.members) {
                if (!m) continue;
                for (std::uint32_t r : m->roles)
                    if (moved_role[r]) {
                        if (g.top_of(*m) != m->top) affected.push_back(m.get());
                        break;
                    }
            }
        } catch (...) {
            set_positions(old_pos);
            throw;
        }
        set_positions(old_pos);
        g.reserve(g.plan_with([&] { set_positions(positions); }, [&] { set_positions(old_pos); },
                              [&](Impl::Plan& plan) { g.plan_refile(affected, plan); }));
        g.refile_many(affected, [&] { set_positions(positions); }, true);
        g.log_reset_all();
        return Error::ok;
    });
}

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
            std::string new_name(name);
            g.prepare_member_event(g.group_for(status, g.top_of(slots)), 0);
            g.refile(*m, Impl::key_may_change | Impl::roles_may_change, [&](Member& x) {
                x.name.swap(new_name);
                x.roles = std::move(slots);
                x.status = status;
            });
            return Error::ok;
        }
        if (g.live >= g.cfg.max_members) return Error::limit;
        bool was = g.shown(g_offline);
        // Everything that can fail first: the record, room in the slot table,
        // the hash index and every list.
        auto owned = std::make_unique<Member>();
        Member& m = *owned;
        m.id = user_id;
        m.name.assign(name);
        m.roles = std::move(slots);
        m.status = status;
        m.rev = ++g.clock;
        if (g.free_slots.empty()) reserve_more(g.members, 1);
        g.by_id.reserve(g.live + 1);
        g.prepare_member_event(g.group_for(status, g.top_of(m.roles)), 1);
        g.link(owned);  // the id was checked above: cannot be taken
        g.refresh_key(m);
        g.refresh_group(m);
        for (auto& l : g.lists) {
            if (l->hooks.size() <= m.slot) l->hooks.resize(g.members.size());
            l->hooks[m.slot].leaf = nil_id;
            if (g.visible(*l, m)) g.place(*l, m, false);
        }
        g.after_count_change(was);
        return Error::ok;
    });
}

Error Guild::add_members(std::span<const MemberSpec> specs) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (specs.size() > g.cfg.max_members - g.live) return Error::limit;
        // Validate everything first.
        std::vector<RoleSlots> slots(specs.size());
        // Duplicates inside the batch are found while linking (and undone).
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const MemberSpec& s = specs[i];
            if (s.id == 0 || !valid_name(s.name) || static_cast<unsigned>(s.status) > 3)
                return Error::invalid;
            if (Error e = g.check_role_ids(s.roles, &slots[i]); e != Error::ok) return e;
            if (g.find_member(s.id)) return Error::exists;
        }
        const bool was = g.shown(g_offline);
        // 1. What can fail and changes nothing: the records and capacities.
        std::vector<std::unique_ptr<Member>> fresh(specs.size());
        for (std::size_t i = 0; i < specs.size(); ++i) {
            fresh[i] = std::make_unique<Member>();
            Member& m = *fresh[i];
            m.id = specs[i].id;
            m.name.assign(specs[i].name);
            m.roles = std::move(slots[i]);
            m.status = specs[i].status;
            m.rev = ++g.clock;
            g.refresh_key(m);
            g.refresh_group(m);
        }
        const std::size_t reused = std::min(g.free_slots.size(), specs.size());
        const std::size_t new_size = g.members.size() + (specs.size() - reused);
        reserve_total(g.members, new_size);
        g.by_id.reserve(g.live + specs.size());
        for (auto& l : g.lists) {
            reserve_total(l->hooks, new_size);
            if (l->log) reserve_more(*l->log, 1);
        }
        std::vector<Member*> added;
        added.reserve(specs.size());
        // 2. Link the records (cannot fail now).
        for (auto& owned : fresh) {
            Member* m = g.link(owned);
            if (!m) {  // the same id twice in this batch
                g.unlink_added(added);
                return Error::exists;
            }
            added.push_back(m);
        }
        // 3. Prepare every list (may fail: then unlink and rethrow), then
        // commit every list (cannot fail).
        std::vector<Impl::BulkPrepared> prepared;
        try {
            prepared.reserve(g.lists.size());
            for (auto& l : g.lists) prepared.push_back(g.bulk_prepare(*l, added));
        } catch (...) {
            prepared.clear();
            g.unlink_added(added);
            throw;
        }
        for (auto& p : prepared) g.bulk_commit(p);
        if (was != g.shown(g_offline)) g.log_reset_all();
        return Error::ok;
    });
}

Error Guild::remove_member(std::uint64_t user_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0) return Error::invalid;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        reserve_more(g.free_slots, 1);
        g.prepare_member_event(m->group, 0);
        bool was = g.shown(g_offline);
        for (auto& l : g.lists)
            if (g.in_list(*l, *m)) g.unplace(*l, *m, false);
        g.by_id.erase(*m);
        --g.live;
        std::uint32_t slot = m->slot;
        g.members[slot].reset();
        g.free_slots.push_back(slot);
        g.after_count_change(was);
        return Error::ok;
    });
}

Error Guild::set_status(std::uint64_t user_id, Status status) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0 || static_cast<unsigned>(status) > 3) return Error::invalid;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        g.prepare_member_event(g.group_for(status, m->top), 0);
        g.refile(*m, Impl::status_only, [&](Member& x) { x.status = status; });
        return Error::ok;
    });
}

Error Guild::set_name(std::uint64_t user_id, std::string_view name) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0 || !valid_name(name)) return Error::invalid;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        std::string new_name(name);
        g.prepare_member_event(m->group, 0);
        g.refile(*m, Impl::key_may_change, [&](Member& x) { x.name.swap(new_name); });
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
        std::unique_ptr<std::string> new_key;
        if (has_key)
            new_key = std::make_unique<std::string>(reinterpret_cast<const char*>(key.data()),
                                                    key.size());
        g.prepare_member_event(m->group, 0);
        g.refile(*m, Impl::key_may_change, [&](Member& x) {
            x.custom_key = has_key;
            x.key.swap(new_key);
        });
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
        g.prepare_member_event(g.group_for(m->status, g.top_of(slots)), 0);
        g.refile(*m, Impl::roles_may_change, [&](Member& x) { x.roles = std::move(slots); });
        return Error::ok;
    });
}

Error Guild::add_member_role(std::uint64_t user_id, std::uint64_t role_id) {
    return no_memory_on_throw([&] { return impl_->change_member_role(user_id, role_id, true); });
}

Error Guild::remove_member_role(std::uint64_t user_id, std::uint64_t role_id) {
    return no_memory_on_throw([&] { return impl_->change_member_role(user_id, role_id, false); });
}

Error Guild::touch(std::uint64_t user_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (user_id == 0) return Error::invalid;
        Member* m = g.find_member(user_id);
        if (!m) return Error::not_found;
        for (auto& l : g.lists)
            if (l->log) reserve_more(*l->log, 1);
        m->rev = ++g.clock;
        for (auto& l : g.lists)
            if (g.in_list(*l, *m)) g.log_update(*l, *m);
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
            std::unordered_set<std::uint64_t> roles_seen, members_seen;
            for (const IdOverwrite& o : rule.roles)
                if (!roles_seen.insert(o.id).second) return Error::invalid;
            for (const IdOverwrite& o : rule.members)
                if (!members_seen.insert(o.id).second) return Error::invalid;
        }
        ListState* l = g.find_list(list_id);
        std::unique_ptr<ListState> fresh;  // a new list joins only at the end
        if (!l) {
            if (g.lists.size() - 1 >= g.cfg.max_lists) return Error::limit;
            fresh = std::make_unique<ListState>();
            fresh->id = list_id;
            fresh->hooks.resize(g.members.size());
            l = fresh.get();
            reserve_more(g.lists, 1);
        }
        ListState& list = *l;
        // The new rule is built aside and swapped in (swaps cannot fail).
        Overwrite everyone = rule.everyone;
        std::unordered_map<std::uint64_t, bool> role_ow, member_ow;
        for (const IdOverwrite& o : rule.roles) role_ow[o.id] = o.allow;
        for (const IdOverwrite& o : rule.members) member_ow[o.id] = o.allow;
        auto swap_rule = [&] {
            std::swap(list.everyone, everyone);
            list.role_ow.swap(role_ow);
            list.member_ow.swap(member_ow);
        };
        const std::vector<Member*> all = g.all_members();
        g.reserve(g.plan_with(swap_rule, swap_rule, [&](Impl::Plan& plan) {
            g.plan_refilter(list, all, plan);
        }));  // keyed by list: covers a new list's trees too
        swap_rule();
        if (fresh) g.lists.push_back(std::move(fresh));  // capacity reserved above
        g.refilter(list, all);
        return Error::ok;
    });
}

Error Guild::remove_list(std::uint64_t list_id) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (list_id == 0) return Error::invalid;
        for (std::size_t i = 1; i < g.lists.size(); ++i) {
            if (g.lists[i]->id == list_id) {
                g.lists.erase(g.lists.begin() + static_cast<std::ptrdiff_t>(i));
                return Error::ok;
            }
        }
        return Error::not_found;
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
    *online_count = l->total - impl_->group_size(*l, g_offline);
    return Error::ok;
}

Error Guild::groups(std::uint64_t list_id, std::vector<GroupCount>* out) const {
    if (!out) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    out->clear();
    for (std::uint32_t o : g.order) {
        std::uint32_t n = g.group_size(*l, o);
        if (n && g.shown(o)) out->push_back(GroupCount{g.group_id(o), n});
    }
    return Error::ok;
}

Error Guild::row_at(std::uint64_t list_id, std::uint32_t index, Row* out) const {
    if (!out) return Error::invalid;
    std::vector<Row> one;
    if (Error e = rows(list_id, index, index, &one); e != Error::ok) return e;
    if (one.empty()) return Error::not_found;
    *out = one[0];
    return Error::ok;
}

Error Guild::rows(std::uint64_t list_id, std::uint32_t start, std::uint32_t end,
                  std::vector<Row>* out) const {
    if (!out) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    out->clear();
    if (end < start) return Error::invalid;
    std::uint32_t off = 0;
    for (std::uint32_t o : g.order) {
        const Tree* t = g.tree(*l, o);
        const std::uint32_t n = t ? t->size() : 0;
        if (!n || !g.shown(o)) continue;
        const std::uint32_t first = off, last = off + n;  // header, last member
        off = last + 1;
        if (last < start) continue;
        if (first > end) break;
        const std::uint64_t gid = g.group_id(o);
        if (start <= first) out->push_back(Row{true, gid, 0, n});
        const std::uint32_t from = std::max(start, first + 1) - (first + 1);
        const std::uint32_t to = std::min(end, last) - first;  // exclusive, in group
        if (from < to) g.member_rows(*t, from, to - from, gid, out);
    }
    return Error::ok;
}

Error Guild::index_of(std::uint64_t list_id, std::uint64_t user_id, std::uint32_t* out) const {
    if (!out || user_id == 0) return Error::invalid;
    const Impl& g = *impl_;
    const ListState* l = g.find_list(list_id);
    if (!l) return Error::not_found;
    const Member* m = g.find_member(user_id);
    if (!m || !g.in_list(*l, *m) || !g.shown(m->group)) return Error::not_found;
    *out = g.offset(*l, m->group) + 1 + g.tree(*l, m->group)->index_of(m->slot);
    return Error::ok;
}

Error Guild::member(std::uint64_t user_id, MemberView* out) const {
    if (!out || user_id == 0) return Error::invalid;
    const Impl& g = *impl_;
    const Member* m = g.find_member(user_id);
    if (!m) return Error::not_found;
    out->id = m->id;
    out->name = m->name;
    out->status = m->status;
    out->group = g.group_id(m->group);
    out->roles.clear();
    for (std::uint32_t r : m->roles) out->roles.push_back(g.roles[r].id);
    std::sort(out->roles.begin(), out->roles.end());
    return Error::ok;
}

Error Guild::attach_log(std::uint64_t list_id, std::vector<RowEdit>* log) {
    ListState* l = impl_->find_list(list_id);
    if (!l) return Error::not_found;
    l->log = log;
    return Error::ok;
}

std::vector<RowEdit>* Guild::attached_log(std::uint64_t list_id) const {
    const ListState* l = impl_->find_list(list_id);
    return l ? l->log : nullptr;
}

std::size_t Guild::memory_bytes() const {
    const Impl& g = *impl_;
    auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
    std::size_t bytes = g.members.capacity() * sizeof(void*) + g.by_id.memory_bytes();
    for (const auto& m : g.members) {
        if (!m) continue;
        bytes += sizeof(Member) + heap(m->name) +
                 (m->key ? sizeof(std::string) + heap(*m->key) : 0) +
                 (m->roles.capacity() > 2 ? m->roles.capacity() * sizeof(std::uint32_t) : 0);
    }
    for (const auto& l : g.lists) {
        bytes += sizeof(ListState) + l->hooks.capacity() * sizeof(BTreeHook);
        for (const auto& [grp, t] : l->trees) bytes += sizeof(Tree) + t->memory_bytes();
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
    std::uint32_t live = 0;
    for (std::uint32_t s = 0; s < g.members.size(); ++s) {
        const Member* m = g.members[s].get();
        if (!m) continue;
        ++live;
        if (m->slot != s) return fail("member slot mismatch");
        if (g.find_member(m->id) != m) return fail("hash index disagrees with slots");
        if (m->custom_key != (m->key != nullptr)) return fail("custom key flag disagrees");
        if (m->prefix != key_prefix(m->key_bytes(), m->key_folds())) return fail("key prefix stale");
        if (m->top != g.top_of(*m)) return fail("member top role stale");
        if (m->group != g.group_of(*m)) return fail("member group stale");
        if (!std::is_sorted(m->roles.begin(), m->roles.end())) return fail("roles unsorted");
        for (std::uint32_t r : m->roles)
            if (r >= g.roles.size() || !g.roles[r].live) return fail("member holds a dead role");
    }
    if (live != g.live || g.by_id.size() != live) return fail("member count mismatch");
    for (const auto& lp : g.lists) {
        const ListState& l = *lp;
        std::uint32_t total = 0;
        for (const auto& [grp, t] : l.trees) {
            std::string tw;
            if (!t->check_invariants(&tw)) return fail("list tree: " + tw);
            total += t->size();
            for (std::uint32_t k = 0; k < t->size(); ++k) {
                const Member* m = g.members[t->at(k)].get();
                if (!m || m->group != grp) return fail("tree holds a member of another group");
            }
        }
        if (total != l.total) return fail("list total mismatch");
        for (std::uint32_t s = 0; s < g.members.size(); ++s) {
            const Member* m = g.members[s].get();
            bool in = s < l.hooks.size() && l.hooks[s].leaf != nil_id;
            if (!m) {
                if (in) return fail("hook of a free slot is linked");
                continue;
            }
            if (in != g.visible(l, *m)) return fail("list membership disagrees with visibility");
        }
    }
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
    }
    return "unknown status";
}

}  // namespace roster
