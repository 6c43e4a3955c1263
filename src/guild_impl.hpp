// The guild's private state (guild.hpp has the contract): the per-list
// state and Guild::Impl with everything the public calls share (the member
// record is in member_record.hpp). Included by guild.cpp (settings, roles,
// lists, queries, invariants) and guild_members.cpp (member events) only.
#pragma once

#include "guild.hpp"
#include "grow.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <map>
#include <new>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/container/small_vector.hpp>

#include "id_table.hpp"
#include "member_record.hpp"
#include "pod_buffer.hpp"
#include "rank_btree.hpp"
#include "slab.hpp"
#include "text.hpp"

namespace roster {

namespace guild_detail {

// Group slots: a hoisted role's slot, or one of these, which no role slot
// can equal (upsert_role keeps slots below max_role_slots).
constexpr std::uint32_t g_online = max_role_slots;
constexpr std::uint32_t g_offline = g_online + 1;
static_assert(g_online >= ROSTER_MAX_ROLES, "role slots and group numbers must not meet");

// The hook of a member parked in a list: offline while OFFLINE is hidden
// (see ListState::parked).
constexpr std::uint32_t parked_leaf = nil_id - 1;

// A list without a membership bit in the member records (see Member::lists).
constexpr std::uint32_t no_bit = ~0u;
constexpr unsigned list_bits = 32;

}  // namespace guild_detail
using namespace guild_detail;

struct Role {
    std::uint64_t id = 0;
    std::int32_t position = 0;
    bool hoist = false, view = false, admin = false;
    bool live = false;
};

struct ListState;

// A group shown in a list and its number of members.
struct GroupSize {
    std::uint32_t group;
    std::uint32_t size;
};

struct TreeTraits {
    const Members* members;
    ListState* list;
    BTreeHook& hook(std::uint32_t slot) const;
    std::uint64_t prefix(std::uint32_t slot) const { return (*members)[slot].prefix; }
    bool less(std::uint32_t a, std::uint32_t b) const {
        const Member& x = (*members)[a];
        const Member& y = (*members)[b];
        int c = compare_member_keys(x, y);
        return c != 0 ? c < 0 : x.id < y.id;
    }
    // The trees' order given each member's prefix (known to the caller):
    // the prefix, then the full key. Every sort that builds or merges a
    // tree uses it.
    bool before(std::uint64_t pa, std::uint32_t a, std::uint64_t pb, std::uint32_t b) const {
        return pa != pb ? pa < pb : less(a, b);
    }
};

using Tree = RankBTree<TreeTraits>;

// Scratch memory of one bulk call (add_members, a snapshot load): one
// buffer that the call's phases use in turn (the id index's pairs, then
// each list's sorted runs). A phase reuses the pages an earlier one
// touched instead of mapping fresh ones: at 10M members the scratch is a
// few hundred MB, and on a virtual machine the first touch of a page (the
// kernel zeroing it, the host backing it) costs more than the writes.
// Nothing in it outlives a phase.
class LoadScratch {
public:
    // At least `bytes` bytes, aligned for any scalar; what an earlier phase
    // wrote there means nothing. May throw std::bad_alloc (the memory held
    // stays as it was).
    std::byte* at_least(std::size_t bytes) {
        mem_.grow(bytes);  // a mapping grows in place or moves its pages, uncopied
        return static_cast<std::byte*>(mem_.data());
    }

private:
    detail::SlabMemory mem_;
};

// Index of a group's tree in ListState::trees.
inline std::uint32_t tree_index(std::uint32_t g) {
    return g == g_online ? 0 : g == g_offline ? 1 : g + 2;
}
inline std::uint32_t group_of_index(std::uint32_t i) {
    return i == 0 ? g_online : i == 1 ? g_offline : i - 2;
}

struct ListState {
    std::uint64_t id = 0;
    Overwrite everyone = Overwrite::none;
    HashMap<std::uint64_t, bool> role_ow;    // role id -> allow
    HashMap<std::uint64_t, bool> member_ow;  // user id -> allow
    PodBuffer<BTreeHook> hooks;                 // by member slot
    Vec<Box<Tree>> trees;           // by tree_index(group)
    // The groups this list shows members in (size > 0), in display order
    // (Impl::group_before), with their sizes: a group's first row is a sum
    // over this short array, not a walk over its trees, and a section no
    // member of the list is in costs the list nothing (a new role touches
    // no list). Its capacity is kept at least trees.size() (see tree_for),
    // so that a group becoming non-empty never allocates.
    Vec<GroupSize> groups;
    std::uint32_t total = 0;                            // visible members
    // Offline members while OFFLINE is hidden (the guild has at least
    // offline_threshold members) are not filed in the OFFLINE tree, which
    // stays empty: no row shows them, and at a million members keeping 70%
    // of them sorted was most of the cost of presence events. Their hook is
    // parked_leaf. When OFFLINE shows again they are sorted into it at once.
    std::uint32_t parked = 0;
    std::uint32_t bit = no_bit;  // membership bit in Member::lists, if any
    Vec<RowEdit>* log = nullptr;
    // With a log attached: members whose rows changed content in place
    // (status within the group, touch, a rename that keeps the key), by
    // slot, since the log was attached or last taken. Their row index is
    // found when the flush asks for it (Guild::take_touched) instead of at
    // every event: for a status change that stays, that walk up the tree
    // was most of the event.
    Vec<std::uint32_t> touched;
};

inline BTreeHook& TreeTraits::hook(std::uint32_t slot) const { return list->hooks[slot]; }

struct Guild::Impl {
    GuildConfig cfg;
    Members members;  // by slot; id 0 = free
    IdTable by_id;    // user id -> slot
    std::uint32_t live = 0;
    std::uint32_t clock = 0;  // source of Member::rev stamps

    Vec<Role> roles;  // by slot
    Vec<std::uint32_t> free_roles;
    HashMap<std::uint64_t, std::uint32_t> role_slot;  // id -> slot

    // The role holder index: by role slot, the member slots holding it, so
    // that a role event touching k holders costs O(k log k), not a scan of
    // every member. A slot is appended when its member gains the role; a
    // member that loses the role (or leaves) only lowers the count, and its
    // entry goes stale: an entry counts only while its member holds the
    // role, and a slot may be listed twice (lost and gained again, or freed
    // and taken by a holder). A list is compacted (stale entries dropped,
    // sorted, duplicates dropped) in place when it is full or read, so it
    // holds at most twice its capacity's worth of work: appends never
    // allocate once room is reserved (reserve_holders) before an event
    // commits, and dropping never allocates. The lists are slab memory
    // (pod_buffer.hpp): a role most of 10M members hold has a list of
    // tens of MB, and the join that outgrows it must not stall copying it.
    struct Holders {
        PodBuffer<std::uint32_t> slots;
        std::uint32_t count = 0;  // distinct members holding the role
    };
    Vec<Holders> holders_of;  // parallel to roles

    Vec<Box<ListState>> lists;  // lists[0] is "everyone"
    HashMap<std::uint64_t, ListState*> list_by_id;  // all of lists
    std::uint32_t free_bits = ~0u;  // list membership bits not owned by a list
    unsigned logs = 0;              // lists with a log attached

    explicit Impl(const GuildConfig& c) : cfg(c) {
        auto everyone = make_box<ListState>();
        everyone->id = 0;
        everyone->bit = take_bit();
        list_by_id.emplace(0, everyone.get());
        lists.push_back(std::move(everyone));
    }
    ~Impl() {
        for (std::uint32_t s = 0; s < members.high_water(); ++s) {
            Member& m = members[s];
            if (m.id == 0) continue;
            drop_text(m);
            drop_roles(m);
        }
    }

    // ---------------------------------------------------------- lookups --
    // The member's hook in list 0 (every member is in it) is requested
    // with its record, before the record's id is read: a move reads it
    // next, and this way the two misses overlap instead of following each
    // other.
    std::uint32_t find_slot(std::uint64_t id) const {
        return by_id.find(id, [this](std::uint32_t s) {
            prefetch_hook(s);
            return members[s].id;
        });
    }
    // Requests slot s's hook in list 0 (every member is in it): a move or
    // an index reads it right after the record.
    void prefetch_hook(std::uint32_t s) const {
        const auto& hooks = lists[0]->hooks;
        if (s < hooks.size()) __builtin_prefetch(&hooks[s]);
    }
    Member* find_member(std::uint64_t id) {
        const std::uint32_t s = find_slot(id);
        return s == nil_id ? nullptr : &members[s];
    }
    const Member* find_member(std::uint64_t id) const {
        const std::uint32_t s = find_slot(id);
        return s == nil_id ? nullptr : &members[s];
    }
    std::uint32_t slot_of(const Member& m) const {
        return static_cast<std::uint32_t>(&m - members.data());
    }
    // Few lists (most guilds; a flush looks its lists up several times) are
    // found sooner by a scan than by hashing; thousands are not.
    ListState* find_list(std::uint64_t id) const {
        constexpr std::size_t scanned = 8;
        if (lists.size() <= scanned) {
            for (const auto& l : lists)
                if (l->id == id) return l.get();
            return nullptr;
        }
        const auto it = list_by_id.find(id);
        return it == list_by_id.end() ? nullptr : it->second;
    }
    // Role id -> slot for the length of one call that looks up the roles of
    // many members (a bulk add): a direct-mapped cache in front of
    // role_slot, whose lookups (a division and a node per lookup) cost
    // more than the rest of checking a spec. Valid while no role changes.
    struct RoleCache {
        static constexpr std::size_t ways = 64;
        std::uint64_t ids[ways] = {};  // 0: empty (never a role id)
        std::uint32_t slots[ways];
    };
    std::uint32_t find_role(std::uint64_t id) const {
        auto it = role_slot.find(id);
        return it == role_slot.end() ? ~0u : it->second;
    }
    std::uint64_t group_id(std::uint32_t g) const {
        if (g == g_online) return group_online;
        if (g == g_offline) return group_offline;
        return roles[g].id;
    }
    std::uint32_t take_bit() {
        if (free_bits == 0) return no_bit;
        const std::uint32_t b = static_cast<std::uint32_t>(__builtin_ctz(free_bits));
        free_bits &= ~(1u << b);
        return b;
    }

    // ------------------------------------------------------------ groups --
    // Whether hoisted role a's section comes before b's.
    bool shown_before(std::uint32_t a, std::uint32_t b) const {
        if (roles[a].position != roles[b].position) return roles[a].position > roles[b].position;
        return roles[a].id < roles[b].id;
    }
    // Display order of groups: hoisted roles as shown_before says, then
    // online, then offline. No table of ranks is kept: a new hoisted role
    // takes its place without renumbering anything (creating one is O(1)
    // amortised however many sections exist), and a list is only told of a
    // section when one of its members enters it.
    bool group_before(std::uint32_t a, std::uint32_t b) const {
        if (a >= g_online || b >= g_online) return a < b;
        return shown_before(a, b);
    }
    // Role settings changed the order of sections: every list's groups
    // sorted again (in place, cannot fail).
    void resort_groups() noexcept {
        for (auto& l : lists) sort_groups(*l);
    }
    void sort_groups(ListState& l) const noexcept {
        std::sort(l.groups.begin(), l.groups.end(),
                  [&](const GroupSize& a, const GroupSize& b) { return group_before(a.group, b.group); });
    }
    // A new role has no holders, so no row changes and no list learns of
    // it: O(1) amortised, hoisted or not.
    Error create_role(const RoleSpec& spec) {
        if (role_slot.size() >= std::min(cfg.max_roles, max_role_slots)) return Error::limit;
        // Allocations first: room for the role and its index entry; then
        // nothing below can fail.
        const bool reuse = !free_roles.empty();
        const std::uint32_t slot =
            reuse ? free_roles.back() : static_cast<std::uint32_t>(roles.size());
        reserve_more(roles, 1);
        reserve_total(holders_of, roles.size() + 1);
        role_slot.emplace(spec.id, slot);  // may throw: nothing changed yet
        if (reuse) {
            free_roles.pop_back();
        } else {
            roles.emplace_back();
            holders_of.emplace_back();  // within capacity: cannot fail
        }
        roles[slot] = Role{spec.id, spec.position, spec.hoist, spec.view, spec.admin, true};
        return Error::ok;
    }
    // What is wrong with the group tables (each list's groups, the list
    // index), or nullptr: they are kept in step by hand, not rebuilt.
    const char* tables_fault() const {
        if (roles.size() > max_role_slots) return "role slots reach the group numbers";
        for (const auto& l : lists) {
            if (l->groups.capacity() < l->trees.size()) return "list groups: less room than trees";
            std::size_t shown_trees = 0;
            for (std::uint32_t i = 0; i < l->trees.size(); ++i)
                shown_trees += l->trees[i] && !l->trees[i]->empty();
            if (shown_trees != l->groups.size()) return "list groups: not one per non-empty tree";
            for (std::size_t i = 0; i < l->groups.size(); ++i) {
                const GroupSize& e = l->groups[i];
                if (e.size == 0 || e.size != group_size(*l, e.group)) return "list groups: wrong size";
                if (e.group < g_online && (e.group >= roles.size() || !roles[e.group].live))
                    return "list groups: a group of no role";
                if (i && !group_before(l->groups[i - 1].group, e.group)) return "list groups: unsorted";
            }
        }
        if (list_by_id.size() != lists.size()) return "list index: wrong size";
        for (const auto& l : lists) {
            const auto it = list_by_id.find(l->id);
            if (it == list_by_id.end() || it->second != l.get()) return "list index disagrees";
        }
        return nullptr;
    }
    // l.groups from the trees (room for them is kept with the trees).
    void resync_groups(ListState& l) const noexcept {
        l.groups.clear();
        for (std::uint32_t i = 0; i < l.trees.size(); ++i)
            if (l.trees[i] && !l.trees[i]->empty())
                l.groups.push_back(GroupSize{group_of_index(i), l.trees[i]->size()});
        sort_groups(l);
    }
    // Group g's tree t in l changed size.
    void note_size(ListState& l, std::uint32_t g, const Tree& t) const noexcept {
        auto& v = l.groups;
        auto it = v.end();
        if (g >= g_online) {
            // Online and offline (most moves) are the last entries.
            while (it != v.begin() && std::prev(it)->group >= g) --it;
        } else {
            it = std::lower_bound(v.begin(), v.end(), g, [&](const GroupSize& e, std::uint32_t x) {
                return group_before(e.group, x);
            });
        }
        const std::uint32_t n = t.size();
        if (it != v.end() && it->group == g) {
            if (n)
                it->size = n;
            else
                v.erase(it);
        } else if (n) {
            v.insert(it, GroupSize{g, n});  // within capacity (tree_for)
        }
    }

    static std::uint32_t group_for(Status status, std::uint32_t top) {
        return status == Status::offline ? g_offline : top;
    }
    static std::uint32_t group_of(const Member& m) { return group_for(m.status, m.top); }
    // The member's highest hoisted role, or online: its group when present.
    std::uint32_t top_of(const Member& m) const { return top_of(roles_of(m)); }
    std::uint32_t top_of(const RoleSlots& r) const {
        return top_of(std::span<const std::uint32_t>(r.data(), r.size()));
    }
    std::uint32_t top_of(std::span<const std::uint32_t> role_slots) const {
        std::uint32_t best = g_online;
        for (std::uint32_t r : role_slots) {
            const Role& role = roles[r];
            if (role.live && role.hoist && (best == g_online || shown_before(r, best))) best = r;
        }
        return best;
    }

    bool shown(std::uint32_t g) const { return g != g_offline || live < cfg.offline_threshold; }

    // ------------------------------------------------------- visibility --
    bool visible(const ListState& l, const Member& m) const {
        if (l.id == 0) return true;
        bool admin = false, view = false, deny = false, allow = false;
        for (std::uint32_t r : roles_of(m)) {
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
    static Tree* tree(const ListState& l, std::uint32_t g) {
        const std::uint32_t i = tree_index(g);
        return i < l.trees.size() ? l.trees[i].get() : nullptr;
    }
    Tree& tree_for(ListState& l, std::uint32_t g) {
        const std::uint32_t i = tree_index(g);
        if (i >= l.trees.size()) {
            const std::size_t n = std::max<std::size_t>(i + 1, roles.size() + 2);
            reserve_total(l.groups, n);  // a group per tree, never more
            l.trees.resize(n);
        }
        if (!l.trees[i]) l.trees[i] = make_box<Tree>(TreeTraits{&members, &l});
        return *l.trees[i];
    }
    static std::uint32_t group_size(const ListState& l, std::uint32_t g) {
        const Tree* t = tree(l, g);
        return t ? t->size() : 0;
    }
    // First row of group g (its header), counting groups that appear.
    // (Only OFFLINE, the last group, is ever hidden.)
    std::uint32_t offset(const ListState& l, std::uint32_t g) const {
        std::uint32_t off = 0;
        for (const GroupSize& e : l.groups) {
            if (!group_before(e.group, g)) break;
            off += e.size + 1;
        }
        return off;
    }
    std::uint32_t length(const ListState& l) const {
        std::uint32_t len = 0;
        for (const GroupSize& e : l.groups)
            if (e.group != g_offline || shown(g_offline)) len += e.size + 1;
        return len;
    }
    // Whether m is in l: its bit when l has one (no read of the hooks).
    bool in_list(const ListState& l, const Member& m) const {
        if (l.bit != no_bit) return (m.lists >> l.bit) & 1u;
        const std::uint32_t s = slot_of(m);
        return s < l.hooks.size() && l.hooks[s].leaf != nil_id;
    }
    static void mark(const ListState& l, Member& m, bool in) {
        if (l.bit == no_bit) return;
        if (in)
            m.lists |= 1u << l.bit;
        else
            m.lists &= ~(1u << l.bit);
    }

    void log(ListState& l, RowEdit::Kind k, std::uint32_t index) {
        if (l.log) l.log->push_back(RowEdit{k, index});
    }

    // Removes m (filed in group g) from l, logging the rows that go.
    void unplace(ListState& l, Member& m, std::uint32_t g, bool quiet) {
        const std::uint32_t s = slot_of(m);
        if (s < l.hooks.size() && l.hooks[s].leaf == parked_leaf) {
            l.hooks[s].leaf = nil_id;
            mark(l, m, false);
            --l.total;
            --l.parked;
            return;
        }
        Tree& t = *tree(l, g);
        const bool rows = !quiet && l.log && shown(g);
        const std::uint32_t off = rows ? offset(l, g) : 0;
        const std::uint32_t idx = t.erase(s);
        note_size(l, g, t);
        mark(l, m, false);
        --l.total;
        if (rows) {
            log(l, RowEdit::Kind::remove, off + 1 + idx);
            if (t.empty()) log(l, RowEdit::Kind::remove, off);
        }
    }
    // Inserts m into group g's tree in l, logging the rows that come.
    void place(ListState& l, Member& m, std::uint32_t g, bool quiet) {
        const std::uint32_t s = slot_of(m);
        if (l.hooks.size() <= s) l.hooks.resize(members.high_water());
        if (g == g_offline && !shown(g_offline)) {
            l.hooks[s].leaf = parked_leaf;
            mark(l, m, true);
            ++l.total;
            ++l.parked;
            return;
        }
        Tree& t = tree_for(l, g);
        const bool was_empty = t.empty();
        const std::uint32_t idx = t.insert(s);
        note_size(l, g, t);
        mark(l, m, true);
        ++l.total;
        if (!quiet && l.log && shown(g)) {
            const std::uint32_t off = offset(l, g);
            if (was_empty) log(l, RowEdit::Kind::insert, off);
            log(l, RowEdit::Kind::insert, off + 1 + idx);
        }
    }
    // m's row changed in place: remembered by slot (room reserved with
    // reserve_log), resolved to a row at the flush.
    void log_update(ListState& l, const Member& m) {
        if (!l.log || !shown(group_of(m))) return;
        l.touched.push_back(slot_of(m));
    }
    // Room for `edits` more edits in l's log and one touched member.
    static void reserve_log(ListState& l, std::size_t edits) {
        if (!l.log) return;
        reserve_more(*l.log, edits);
        reserve_more(l.touched, 1);
    }
    void log_reset_all() {
        for (auto& l : lists) log(*l, RowEdit::Kind::reset, 0);
    }

    // ------------------------------------- OFFLINE hidden and shown ----
    // OFFLINE became hidden: every list's offline members are parked and
    // its OFFLINE tree emptied. Cannot fail.
    void park_offline() noexcept {
        for (auto& lp : lists) {
            ListState& l = *lp;
            Tree* t = tree(l, g_offline);
            if (!t || t->empty()) continue;
            t->for_range(0, t->size(), [&](std::uint32_t s) { l.hooks[s].leaf = parked_leaf; });
            l.parked += t->size();
            t->clear();
            note_size(l, g_offline, *t);
        }
    }
    // OFFLINE is about to show: each list's parked members (but `except`,
    // a slot about to leave) sorted into a tree built aside. The trees set
    // the members' hooks as they are built; unpark_commit installs them,
    // and the destructor of an uncommitted plan parks the members again, so
    // a failure part way (std::bad_alloc) changes nothing.
    struct Unpark {
        struct List {
            ListState* list;
            Vec<std::uint32_t> slots;
            Box<Tree> tree;
        };
        Vec<List> built;
        ~Unpark() {
            for (List& b : built)
                for (std::uint32_t s : b.slots) b.list->hooks[s].leaf = parked_leaf;
        }
    };
    void unpark_prepare(Unpark& u, std::uint32_t except) {
        u.built.reserve(lists.size());
        for (auto& lp : lists) {
            ListState& l = *lp;
            if (l.parked == 0) continue;
            tree_for(l, g_offline);  // its slot in l.trees exists for the commit
            Vec<std::uint32_t> slots;
            slots.reserve(l.parked);
            for (std::uint32_t s = 0; s < l.hooks.size(); ++s)
                if (l.hooks[s].leaf == parked_leaf && s != except) slots.push_back(s);
            TreeTraits tr{&members, &l};
            std::sort(slots.begin(), slots.end(), [&](std::uint32_t a, std::uint32_t b) {
                return tr.before(members[a].prefix, a, members[b].prefix, b);
            });
            auto fresh = make_box<Tree>(tr);
            u.built.push_back({&l, std::move(slots), nullptr});  // capacity reserved
            Unpark::List& b = u.built.back();
            b.tree = std::move(fresh);
            b.tree->build(b.slots.data(), static_cast<std::uint32_t>(b.slots.size()));
        }
    }
    // Installs the trees (their members are unparked). Cannot fail.
    void unpark_commit(Unpark& u) noexcept {
        for (Unpark::List& b : u.built) {
            b.list->parked -= b.tree->size();
            b.list->trees[tree_index(g_offline)].swap(b.tree);  // the empty tree goes
            note_size(*b.list, g_offline, *tree(*b.list, g_offline));
        }
        u.built.clear();
    }

    // --------------------------------------------- re-filing a member ----
    // Allocation-failure safety for single-member events: everything such
    // an event can allocate is reserved here, before anything changes, so
    // the commit that follows cannot fail (std::bad_alloc from here leaves
    // the guild untouched). Covers: each list's hooks for `extra_slots` new
    // member slots, the target group's tree (created if missing, room for
    // one insert), and room for the edits one member can cause in a log.
    void prepare_member_event(std::uint32_t target_group, std::size_t extra_slots) {
        for (auto& lp : lists) {
            ListState& l = *lp;
            reserve_total(l.hooks, members.high_water() + extra_slots);
            tree_for(l, target_group).reserve_insert();
            reserve_log(l, 5);  // 2 removes, 2 inserts, reset
        }
    }

    // Requests the leaves holding m (filed in group g) in every list it is
    // in. A move calls this before looking for the new places: that
    // descent waits on inner nodes, and the old leaves' misses overlap
    // with it instead of following it.
    void prefetch_places(const Member& m, std::uint32_t g) const {
        const std::uint32_t s = slot_of(m);
        for (const auto& lp : lists)
            if (in_list(*lp, m))
                if (const Tree* t = tree(*lp, g)) t->prefetch_entry(s);
    }

    void refresh_key(Member& m) { m.prefix = key_prefix(key_bytes(m), key_folds(m)); }
    void refresh_group(Member& m) { m.top = top_of(m); }

    // Generic "mutate one member" driver; the mutation must not fail. The
    // member stays in its trees during the mutation (erase needs only the
    // hook, and nothing compares keys meanwhile), and its membership (bits
    // and hooks) still says where it was; where its place is the same
    // afterwards (same group and, unless `same_key` is false, same key),
    // lists get an update instead of a move.
    template <class F>
    void refile(Member& m, bool same_key, F&& mutate) {
        const std::uint32_t old_group = group_of(m);
        mutate(m);
        m.rev = ++clock;
        refresh_key(m);
        m.top = top_of(m);
        const std::uint32_t new_group = group_of(m);
        const bool same_place = same_key && old_group == new_group;
        if (!same_place) {  // the old leaves, then the new: their misses overlap
            prefetch_places(m, old_group);
            for (auto& lp : lists)
                if (const Tree* t = tree(*lp, new_group)) t->prefetch_insert(slot_of(m));
        }
        for (auto& lp : lists) {
            ListState& l = *lp;
            const bool now = visible(l, m);
            if (in_list(l, m)) {
                if (same_place && now) {
                    log_update(l, m);
                    continue;
                }
                unplace(l, m, old_group, false);
            }
            if (now) place(l, m, new_group, false);
        }
    }

    // Applies `mutate` to the guild with the given members re-filed around
    // it (out before with the old state, in after with the new), every list
    // logging per-member edits unless `quiet` (then the caller logs resets).
    //
    // Members are taken out and put back in list order (group, then key
    // prefix): consecutive erases and inserts then touch neighbouring
    // leaves, which stay in cache, instead of a random leaf each (a reorder
    // moving 100k members runs several times faster). The order is only for
    // locality, so it is sorted on integers (no record is read to break a
    // prefix tie), and since `mutate` changes groups but never keys (role
    // settings and role sets only), the order to put them back is the same
    // one regrouped: a stable counting sort by the new group.
    template <class F>
    void refile_many(const Vec<std::uint32_t>& affected, F&& mutate, bool quiet) {
        struct Place {
            std::uint32_t group;
            std::uint32_t slot;
            std::uint64_t prefix;
        };
        // Everything allocated first: nothing has changed yet.
        Vec<Place> ms(affected.size()), again(affected.size());
        Vec<std::uint32_t> bucket(roles.size() + 3, 0);
        for (std::size_t i = 0; i < ms.size(); ++i) {
            if (i + 8 < ms.size()) __builtin_prefetch(&members[affected[i + 8]]);
            const Member& m = members[affected[i]];
            ms[i] = Place{group_of(m), affected[i], m.prefix};
        }
        std::sort(ms.begin(), ms.end(), [](const Place& a, const Place& b) {
            if (a.group != b.group) return a.group < b.group;
            if (a.prefix != b.prefix) return a.prefix < b.prefix;
            return a.slot < b.slot;
        });
        for (const Place& p : ms)
            for (auto& l : lists)
                if (in_list(*l, members[p.slot])) unplace(*l, members[p.slot], p.group, quiet);
        mutate();
        for (std::size_t i = 0; i < ms.size(); ++i) {
            if (i + 8 < ms.size()) __builtin_prefetch(&members[ms[i + 8].slot]);
            Member& m = members[ms[i].slot];
            refresh_group(m);
            ms[i].group = group_of(m);
            ++bucket[tree_index(ms[i].group)];
        }
        std::uint32_t at = 0;  // bucket[i]: where group tree i's members start
        for (std::uint32_t& b : bucket) at += std::exchange(b, at);
        for (const Place& p : ms) again[bucket[tree_index(p.group)]++] = p;
        for (const Place& p : again)
            for (auto& l : lists)
                if (visible(*l, members[p.slot])) place(*l, members[p.slot], p.group, quiet);
    }

    // A change of role settings that moves members between groups without
    // changing a key (a reorder of hoisted roles, a hoisted role moved),
    // logged by the caller as resets. apply() sets the new settings and
    // restore() the old (plain assignments that cannot fail); candidates are
    // the members that may move (ascending slots). Unlike refile_many:
    //  - members whose group and memberships stay are left in place (a
    //    reorder's offline holders, holders whose top role is unchanged);
    //  - a (list, group) tree that many members leave or join is rebuilt
    //    from a merge of what stays and what comes, O(size + k) in sequential
    //    writes, instead of k erases and k inserts that each walk the tree
    //    (moving 100k members between two sections was ~0.85 us a member);
    //  - the moves are found in one read of each candidate.
    // Everything that may allocate (the moves, the rebuilt trees, room for
    // the remaining inserts and the logs' resets) happens before the
    // settings change; the commit cannot fail.
    static constexpr std::size_t regroup_flags_max = std::size_t{1} << 26;  // bytes
    template <class Apply, class Restore>
    void regroup_many(const Vec<std::uint32_t>& candidates, Apply&& apply, Restore&& restore) {
        struct Move {
            std::uint64_t prefix;
            std::uint32_t slot;
            std::uint32_t from, to;  // groups before and after
            std::uint32_t top;       // top role after
            std::size_t at;          // its flags: in[at + list index]
        };
        const std::size_t nl = lists.size();
        if (candidates.size() * nl > regroup_flags_max) {
            // The flags table would be too large (a role held by millions
            // in a guild of many lists): member by member, as refile_many.
            reserve(plan_with(apply, restore, [&](Plan& p) { plan_refile(candidates, p); }));
            refile_many(candidates, apply, true);
            return;
        }
        Vec<Move> mv;
        Vec<std::uint8_t> in;  // per move and list: bit 0 in the list before, bit 1 after
        mv.reserve(candidates.size());
        in.reserve(candidates.size() * nl);
        apply();
        try {
            for (std::size_t i = 0; i < candidates.size(); ++i) {
                if (i + 8 < candidates.size()) __builtin_prefetch(&members[candidates[i + 8]]);
                const std::uint32_t s = candidates[i];
                const Member& m = members[s];
                const std::uint32_t top = top_of(m);
                const std::uint32_t from = group_of(m), to = group_for(m.status, top);
                const std::size_t at = in.size();
                bool moves = false;
                for (auto& lp : lists) {
                    const bool was = in_list(*lp, m), now = visible(*lp, m);
                    in.push_back(static_cast<std::uint8_t>(was | now << 1));
                    moves = moves || was != now || (now && from != to);
                }
                if (!moves && top == m.top) {
                    in.resize(at);
                    continue;
                }
                mv.push_back(Move{m.prefix, s, from, to, top, at});
            }
        } catch (...) {
            restore();
            throw;
        }
        restore();
        // Key order (the trees' order: prefix, then the full key): every
        // group's leavers and joiners come out of it in their tree's order.
        const TreeTraits key{&members, nullptr};
        std::sort(mv.begin(), mv.end(),
                  [&](const Move& a, const Move& b) { return key.before(a.prefix, a.slot, b.prefix, b.slot); });
        const std::uint32_t ntrees = static_cast<std::uint32_t>(roles.size() + 2);
        // Per list, the moves that leave a tree (out) or join one (in), in
        // (tree, key) order by a stable counting sort: `order` gets them,
        // `start[t]..start[t+1]` is tree t's run. Needs no allocation once
        // the vectors have their sizes, which is why the commit sorts each
        // list's edges again (twice per list in all) instead of keeping
        // every list's order from the planning pass (memory per list).
        Vec<std::uint32_t> order(mv.size()), start(ntrees + 1);
        auto leaves = [&](const Move& x, std::size_t li) {
            const std::uint8_t f = in[x.at + li];
            return (f & 1) && !((f & 2) && x.from == x.to);
        };
        auto joins = [&](const Move& x, std::size_t li) {
            const std::uint8_t f = in[x.at + li];
            return (f & 2) && !((f & 1) && x.from == x.to);
        };
        auto sort_edges = [&](std::size_t li, bool out) noexcept {
            std::fill(start.begin(), start.end(), 0u);
            for (const Move& x : mv)
                if (out ? leaves(x, li) : joins(x, li)) ++start[tree_index(out ? x.from : x.to) + 1];
            for (std::uint32_t t = 0; t < ntrees; ++t) start[t + 1] += start[t];
            for (std::uint32_t i = 0; i < mv.size(); ++i) {  // start[t] advances; restored below
                const Move& x = mv[i];
                if (out ? leaves(x, li) : joins(x, li)) order[start[tree_index(out ? x.from : x.to)]++] = i;
            }
            for (std::uint32_t t = ntrees; t > 0; --t) start[t] = start[t - 1];
            start[0] = 0;
        };
        struct Rebuild {
            std::uint32_t list, tree;
            Box<Tree> fresh;
        };
        Vec<Rebuild> rebuilds;
        Vec<std::uint32_t> outs_start(ntrees + 1), outs(mv.size());
        Vec<std::uint32_t> ids;
        Vec<std::uint64_t> pfx;
        Vec<std::uint8_t> rebuilt(ntrees, 0);
        for (std::size_t li = 0; li < nl; ++li) {
            ListState& l = *lists[li];
            sort_edges(li, true);
            outs.swap(order);
            outs_start.swap(start);
            sort_edges(li, false);
            for (std::uint32_t t = 0; t < ntrees; ++t) {
                const std::uint32_t n_out = outs_start[t + 1] - outs_start[t];
                const std::uint32_t n_in = start[t + 1] - start[t];
                if (n_out == 0 && n_in == 0) continue;
                const std::uint32_t g = group_of_index(t);
                if (g == g_offline && !shown(g)) continue;  // parked: no tree
                const Tree* old = tree(l, g);
                const std::uint64_t size = old ? old->size() : 0;
                const std::uint64_t work = std::uint64_t{n_out} + n_in;
                if (work < 16 || work * 4 < size + n_in) {
                    if (n_in) tree_for(l, g).reserve_inserts(n_in);
                    continue;
                }
                // The merge of what stays (the old tree without its leavers,
                // which come in the same order) and the joiners.
                ids.clear();
                pfx.clear();
                ids.reserve(size - n_out + n_in);
                pfx.reserve(size - n_out + n_in);
                std::uint32_t o = outs_start[t], j = start[t];
                auto take_joiners_before = [&](std::uint32_t x, std::uint64_t px) {
                    for (; j < start[t + 1]; ++j) {
                        const Move& y = mv[order[j]];
                        if (!key.before(y.prefix, y.slot, px, x)) break;
                        ids.push_back(y.slot);
                        pfx.push_back(y.prefix);
                    }
                };
                if (old)
                    old->for_range(0, old->size(), [&](std::uint32_t x) {
                        if (o < outs_start[t + 1] && mv[outs[o]].slot == x) {
                            ++o;
                            return;
                        }
                        const std::uint64_t px = members[x].prefix;
                        take_joiners_before(x, px);
                        ids.push_back(x);
                        pfx.push_back(px);
                    });
                assert(o == outs_start[t + 1]);  // every leaver was met in the tree
                for (; j < start[t + 1]; ++j) {
                    ids.push_back(mv[order[j]].slot);
                    pfx.push_back(mv[order[j]].prefix);
                }
                tree_for(l, g);  // the slot for it exists before the commit
                auto fresh = make_box<Tree>(TreeTraits{&members, &l});
                fresh->build(ids.data(), pfx.data(), static_cast<std::uint32_t>(ids.size()), false);
                rebuilds.push_back(Rebuild{static_cast<std::uint32_t>(li), t, std::move(fresh)});
            }
        }
        reserve(Plan{});  // room for the reset each log gets
        // ---- commit: nothing below allocates or throws.
        apply();
        for (const Move& x : mv) members[x.slot].top = x.top;
        std::size_t next = 0;  // rebuilds are in list order
        for (std::size_t li = 0; li < nl; ++li) {
            ListState& l = *lists[li];
            const std::size_t first = next;
            for (; next < rebuilds.size() && rebuilds[next].list == li; ++next)
                rebuilt[rebuilds[next].tree] = 1;
            sort_edges(li, true);
            for (std::uint32_t e = 0; e < start[ntrees]; ++e) {
                const std::uint32_t i = order[e];
                const Move& x = mv[i];
                Member& m = members[x.slot];
                if (!rebuilt[tree_index(x.from)]) {
                    unplace(l, m, x.from, true);
                    continue;
                }
                l.hooks[x.slot].leaf = nil_id;  // joins elsewhere or nowhere
                mark(l, m, false);
                --l.total;
            }
            for (std::size_t r = first; r < next; ++r) {
                Rebuild& rb = rebuilds[r];
                const std::uint32_t g = group_of_index(rb.tree);
                l.trees[rb.tree].swap(rb.fresh);
                l.trees[rb.tree]->rehook();
                note_size(l, g, *l.trees[rb.tree]);
            }
            sort_edges(li, false);
            for (std::uint32_t e = 0; e < start[ntrees]; ++e) {
                const std::uint32_t i = order[e];
                const Move& x = mv[i];
                Member& m = members[x.slot];
                if (!rebuilt[tree_index(x.to)]) {
                    place(l, m, x.to, true);
                    continue;
                }
                mark(l, m, true);
                ++l.total;
            }
            for (std::size_t r = first; r < next; ++r) rebuilt[rebuilds[r].tree] = 0;
        }
    }

    // Membership of `ms` in every list except list 0 recomputed after a
    // change that cannot move anyone inside a list (groups and keys kept).
    void refilter(const Vec<std::uint32_t>& ms) {
        for (std::size_t i = 1; i < lists.size(); ++i) refilter(*lists[i], ms);
    }
    void refilter(ListState& l, const Vec<std::uint32_t>& ms) {
        for (std::uint32_t s : ms) {
            Member& m = members[s];
            const bool was = in_list(l, m);
            const bool now = visible(l, m);
            if (was && !now) unplace(l, m, group_of(m), false);
            if (!was && now) place(l, m, group_of(m), false);
        }
    }

    // Placing many new members in l, in two steps. Prepare may allocate
    // and changes nothing visible: groups that are empty get a tree built
    // aside from a sorted run; the others get room reserved for their
    // inserts. Commit cannot fail: it swaps the built trees in, marks their
    // members, and inserts the rest. Logged as one reset.
    struct BulkPrepared {
        ListState* list = nullptr;
        Vec<std::pair<std::uint32_t, Box<Tree>>> built;
        Vec<std::uint32_t> built_slots;  // members of the built trees
        Vec<std::uint32_t> inserts;
        Vec<std::uint32_t> parked;  // OFFLINE's, while it is hidden
        bool changed = false;
    };
    // A member of a run being sorted: its key prefix and slot.
    struct KeySlot {
        std::uint64_t prefix;
        std::uint32_t slot;
    };
    // `scratch` is the call's own (LoadScratch): its memory is reused by
    // every list and by the id index before them.
    BulkPrepared bulk_prepare(ListState& l, const Vec<std::uint32_t>& ms, LoadScratch& scratch) {
        BulkPrepared p;
        p.list = &l;
        l.hooks.resize(members.high_water());  // within the reserved capacity
        // The members by group, each group's run sized first (a count pass
        // over the records, which are read in slot order, costs less than
        // growing runs of millions and a map lookup per member). The runs
        // lie end to end in the scratch, followed by room for the slots
        // and prefixes of the largest run built aside, which a build takes
        // as two arrays.
        Vec<std::size_t> start(roles.size() + 3, 0);  // by tree_index, + 1
        for (std::uint32_t s : ms) {
            const Member& m = members[s];
            l.hooks[s].leaf = nil_id;
            if (visible(l, m)) ++start[tree_index(group_of(m)) + 1];
        }
        // Members of the OFFLINE group while it is hidden are parked, not
        // sorted: they go straight to the commit's list and take no room
        // in the runs (at 10M members they are most of the guild).
        const std::size_t off = tree_index(g_offline);
        const bool park = !shown(g_offline);
        if (park) {
            p.parked.reserve(start[off + 1]);
            start[off + 1] = 0;
        }
        // Only a group whose tree is built aside (an empty one) needs the
        // arrays of its slots and prefixes.
        auto built_aside = [&l](std::size_t ti) {
            return ti >= l.trees.size() || !l.trees[ti] || l.trees[ti]->empty();
        };
        std::size_t largest = 0;
        for (std::size_t t = 1; t < start.size(); ++t) {
            if (built_aside(t - 1)) largest = std::max(largest, start[t]);
            start[t] += start[t - 1];
        }
        const std::size_t shown_count = start.back();
        std::byte* base = scratch.at_least(shown_count * sizeof(KeySlot) + largest * (sizeof(std::uint64_t) +
                                                                                   sizeof(std::uint32_t)));
        KeySlot* runs = reinterpret_cast<KeySlot*>(base);
        auto* pfx = reinterpret_cast<std::uint64_t*>(base + shown_count * sizeof(KeySlot));
        auto* ids = reinterpret_cast<std::uint32_t*>(pfx + largest);
        {
            Vec<std::size_t> at(start.begin(), start.end() - 1);
            for (std::uint32_t s : ms) {
                const Member& m = members[s];
                if (!visible(l, m)) continue;
                const std::size_t ti = tree_index(group_of(m));
                if (park && ti == off)
                    p.parked.push_back(s);  // reserved
                else
                    runs[at[ti]++] = KeySlot{m.prefix, s};
            }
        }
        const std::size_t trees = start.size() - 1;
        // Members inserted at the commit, one by one (not built aside).
        auto insert_later = [&p](const KeySlot* run, std::size_t n) {
            reserve_more(p.inserts, n);
            for (std::size_t i = 0; i < n; ++i) p.inserts.push_back(run[i].slot);
        };
        // Roles' groups in slot order, then online, then offline.
        for (std::size_t k = 0; k < trees; ++k) {
            const std::size_t ti = k + 2 < trees ? k + 2 : k + 2 - trees;
            KeySlot* const run = runs + start[ti];
            const std::size_t n = start[ti + 1] - start[ti];
            if (n == 0) continue;
            const std::uint32_t grp = group_of_index(static_cast<std::uint32_t>(ti));
            const bool aside = built_aside(ti);
            Tree& t = tree_for(l, grp);
            p.changed = p.changed || shown(grp);
            if (!aside) {
                t.reserve_inserts(n);
                insert_later(run, n);
                continue;
            }
            TreeTraits tr{&members, &l};
            std::sort(run, run + n,
                      [&](const KeySlot& a, const KeySlot& b) { return tr.before(a.prefix, a.slot, b.prefix, b.slot); });
            for (std::size_t i = 0; i < n; ++i) {
                ids[i] = run[i].slot;
                pfx[i] = run[i].prefix;
            }
            auto fresh = make_box<Tree>(tr);
            fresh->build(ids, pfx, static_cast<std::uint32_t>(n), true);
            p.built_slots.insert(p.built_slots.end(), ids, ids + n);
            p.built.emplace_back(grp, std::move(fresh));
        }
        return p;
    }
    void bulk_commit(BulkPrepared& p) noexcept {
        ListState& l = *p.list;
        for (auto& [grp, fresh] : p.built) {
            l.total += fresh->size();
            l.trees[tree_index(grp)].swap(fresh);  // the entry exists: tree_for
        }
        for (std::uint32_t s : p.built_slots) mark(l, members[s], true);
        resync_groups(l);
        for (std::uint32_t s : p.inserts) place(l, members[s], group_of(members[s]), true);
        for (std::uint32_t s : p.parked) place(l, members[s], g_offline, true);
        if (p.changed) log(l, RowEdit::Kind::reset, 0);
    }

    // Frees a member's slot and storage (the member is in no list and not
    // indexed).
    void release(std::uint32_t s) noexcept {
        Member& m = members[s];
        drop_holder(roles_of(m));
        drop_text(m);
        drop_roles(m);
        m.id = 0;
        members.free(s);
    }

    // One spec of add_members, checked as upsert_member checks a new
    // member, and written into a fresh slot (appended to `added`) but not
    // indexed: an id given twice in the batch is found by index_added.
    // Room in the slab and in `added` is reserved by the caller; the
    // record's text may throw (nothing of this spec is kept then).
    Error write_record(const Guild::MemberSpec& spec, RoleSlots& slots, RoleCache& cache,
                       Vec<std::uint32_t>& added) {
        if (spec.id == 0 || !valid_name(spec.name) || static_cast<unsigned>(spec.status) > 3)
            return Error::invalid;
        if (Error e = check_role_ids(spec.roles, &slots, &cache); e != Error::ok) return e;
        // An id the guild has already is found by index_added, as one given
        // twice in the batch is: the first spec in order that is bad either
        // way is the one reported, and a lookup per member is saved.
        Text text(spec.name, false, {});
        Roles staged(slots);
        reserve_holders(slots);
        const std::uint32_t s = members.allocate();  // reserved: cannot fail
        added.push_back(s);                           // reserved
        Member& m = members[s];
        m.id = spec.id;
        m.status = spec.status;
        m.rev = ++clock;
        install_text(m, text);
        install_roles_indexed(m, staged);
        refresh_key(m);
        refresh_group(m);
        return Error::ok;
    }
    // Indexes the records of `added` in order, up to the first whose id is
    // indexed already (an earlier record's): returns its position, or
    // added.size(). A large batch's scratch may throw, with nothing
    // indexed; the inserts are within room the caller reserved.
    std::size_t index_added(const Vec<std::uint32_t>& added, LoadScratch& scratch) {
        auto id_of = [this](std::uint32_t x) { return members[x].id; };
        if (added.size() >= bulk_index_min &&
            index_in_table_order(added.size(), [&](std::size_t i) { return added[i]; }, scratch))
            return added.size();
        constexpr std::size_t ahead = 8;  // the table's misses overlap
        for (std::size_t i = 0; i < std::min(ahead, added.size()); ++i) by_id.prefetch(members[added[i]].id);
        for (std::size_t i = 0; i < added.size(); ++i) {
            if (i + ahead < added.size()) by_id.prefetch(members[added[i + ahead]].id);
            if (!by_id.insert(members[added[i]].id, added[i], id_of)) return i;
            ++live;
        }
        return added.size();
    }
    // Indexes n members in the order of the table, not theirs: the (id,
    // slot) pairs are counting-sorted by the top bits of their home
    // position, so that the inserts walk the table from one end to the
    // other (in the members' order every insert is a cache miss into a
    // table of up to hundreds of MB). 16,384 buckets: their write
    // positions stay in the L2 cache while the pairs are scattered, and one
    // bucket's inserts fall within 1/16,384 of the table (8 KB at 10M
    // members). slot_at(i) names the i-th member's slot. An id indexed
    // already (or twice among them) undoes the inserts and returns false.
    // Room in the table is reserved by the caller; the scratch may throw,
    // before anything is inserted.
    template <class SlotAt>
    bool index_in_table_order(std::size_t n, SlotAt&& slot_at, LoadScratch& scratch) {
        auto id_of = [this](std::uint32_t x) { return members[x].id; };
        // 12 bytes, not 16: at 10M members the scratch is the call's
        // largest temporary, and each page of it is a fresh one to touch.
        struct IdSlot {
            std::uint32_t lo, hi, slot;
            std::uint64_t id() const { return std::uint64_t{hi} << 32 | lo; }
        };
        const std::size_t cap = by_id.capacity();
        unsigned shift = 0;
        while ((cap >> shift) > (std::size_t{1} << 14)) ++shift;
        Vec<std::uint32_t> start((cap >> shift) + 1, 0);
        // The records are read twice, in the order given (for a load, slot
        // order: sequential), rather than their ids kept in a third array.
        auto* to = reinterpret_cast<IdSlot*>(scratch.at_least(n * sizeof(IdSlot)));
        for (std::size_t i = 0; i < n; ++i) ++start[(by_id.home_of(members[slot_at(i)].id) >> shift) + 1];
        for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t slot = slot_at(i);
            const std::uint64_t id = members[slot].id;
            to[start[by_id.home_of(id) >> shift]++] =
                IdSlot{static_cast<std::uint32_t>(id), static_cast<std::uint32_t>(id >> 32), slot};
        }
        for (std::size_t k = 0; k < n; ++k) {
            if (!by_id.insert(to[k].id(), to[k].slot, id_of)) {
                while (k-- > 0) by_id.erase(to[k].id(), to[k].slot);
                return false;
            }
        }
        live += static_cast<std::uint32_t>(n);
        return true;
    }
    // Batches from this size on are indexed in table order (then, on an id
    // indexed already, once more in their own order to find which comes
    // first).
    static constexpr std::size_t bulk_index_min = 4096;
    // Undoes index_added for the first n records of `added`, and unlinks
    // any hook a list gave them. Cannot fail.
    void unlink_added(const Vec<std::uint32_t>& added, std::size_t n) noexcept {
        for (auto& l : lists)
            for (std::size_t i = 0; i < n; ++i)
                if (added[i] < l->hooks.size()) l->hooks[added[i]].leaf = nil_id;
        for (std::size_t i = n; i-- > 0;) {
            by_id.erase(members[added[i]].id, added[i]);
            --live;
        }
    }
    // Frees the records of `added` (in no list, not indexed), last first so
    // that their slots are taken again in the same order.
    void release_added(Vec<std::uint32_t>& added) noexcept {
        for (auto it = added.rbegin(); it != added.rend(); ++it) release(*it);
        added.clear();
    }

    // ---------------------------------------------- bulk-event plans ----
    // Events that re-file many members reserve, before changing anything,
    // room for every insert each (list, group) tree will take and for every
    // edit each log will get. The plan is computed with the event's settings
    // applied tentatively (plain assignments that the caller restores), so
    // it sees the groups and visibility the event will produce.
    struct Plan {
        Map<std::pair<ListState*, std::uint32_t>, std::uint64_t> inserts;
        Map<ListState*, std::uint64_t> edits;
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
    void plan_refile(const Vec<std::uint32_t>& ms, Plan& plan) {
        for (std::uint32_t s : ms) {
            const Member& m = members[s];
            const std::uint32_t grp = group_for(m.status, top_of(m));
            for (auto& lp : lists) {
                ListState* l = lp.get();
                if (in_list(*l, m)) plan.edits[l] += 2;
                if (visible(*l, m)) {
                    ++plan.inserts[{l, grp}];
                    plan.edits[l] += 2;
                }
            }
        }
    }
    // Members whose visibility in l may change (groups and keys kept).
    void plan_refilter(ListState& l, const Vec<std::uint32_t>& ms, Plan& plan) {
        for (std::uint32_t s : ms) {
            const Member& m = members[s];
            const bool was = in_list(l, m), now = visible(l, m);
            if (was != now) plan.edits[&l] += 2;
            if (!was && now) ++plan.inserts[{&l, group_of(m)}];
        }
    }
    // Room for the plan's inserts, and in each log for its planned edits
    // plus a reset: in every log when the event may reset every list (a
    // change of the member count, or of the whole order), else only in the
    // logs of the lists the plan names (an event that changes one list
    // need not visit all of them).
    void reserve(const Plan& plan, bool every_log = true) {
        for (const auto& [key, k] : plan.inserts) tree_for(*key.first, key.second).reserve_inserts(k);
        if (!every_log) {
            for (const auto& [l, k] : plan.edits)
                if (l->log) reserve_more(*l->log, k + 1);
            return;
        }
        for (auto& lp : lists)
            if (lp->log) {
                auto it = plan.edits.find(lp.get());
                reserve_more(*lp->log, (it == plan.edits.end() ? 0 : it->second) + 1);
            }
    }

    // Gives (add) or takes (!add) one role; a no-op when already so.
    Error change_member_role(std::uint64_t user_id, std::uint64_t role_id, bool add) {
        if (user_id == 0 || role_id == 0 || role_id >= group_online) return Error::invalid;
        Member* m = find_member(user_id);
        if (!m) return Error::not_found;
        const std::uint32_t r = find_role(role_id);
        if (r == ~0u) return Error::not_found;
        const std::span<const std::uint32_t> held = roles_of(*m);
        auto it = std::lower_bound(held.begin(), held.end(), r);
        const bool has = it != held.end() && *it == r;
        if (has == add) return Error::ok;
        if (add && held.size() >= cfg.max_roles_per_member) return Error::limit;
        RoleSlots slots(held.begin(), held.end());
        const auto pos = slots.begin() + (it - held.begin());
        if (add)
            slots.insert(pos, r);
        else
            slots.erase(pos);
        Roles staged(slots);
        if (add) reserve_holders(r, 1);
        prepare_member_event(group_for(m->status, top_of(slots)), 0);
        refile(*m, true, [&](Member& x) { install_roles_indexed(x, staged); });
        return Error::ok;
    }

    // ------------------------------------------- role holder index ----
    static bool holds(const Member& m, std::uint32_t role) {
        if (m.id == 0) return false;
        const auto held = roles_of(m);
        return std::binary_search(held.begin(), held.end(), role);
    }
    // Drops role r's stale entries and duplicates; ascending afterwards.
    // In place: cannot fail.
    void compact_holders(std::uint32_t r) noexcept {
        PodBuffer<std::uint32_t>& v = holders_of[r].slots;
        if (v.size() == holders_of[r].count &&
            std::adjacent_find(v.begin(), v.end(), std::greater_equal<std::uint32_t>()) == v.end())
            return;  // exact already
        v.erase_from(std::remove_if(v.begin(), v.end(),
                                    [&](std::uint32_t s) { return !holds(members[s], r); }));
        std::sort(v.begin(), v.end());
        v.erase_from(std::unique(v.begin(), v.end()));
    }
    // Room for `extra` appends to role r's list: compacts it when full and
    // grows it when compacting would leave it more than half full. May
    // throw; what it changes is only the index's layout.
    void reserve_holders(std::uint32_t r, std::size_t extra) {
        PodBuffer<std::uint32_t>& v = holders_of[r].slots;
        if (v.size() + extra <= v.capacity()) return;
        compact_holders(r);
        if (2 * (v.size() + extra) > v.capacity()) reserve_total(v, 2 * (v.size() + extra));
    }
    void reserve_holders(const RoleSlots& rs) {
        for (std::uint32_t r : rs) reserve_holders(r, 1);
    }
    // A member at slot s now holds `now` where it held `old` (both
    // ascending): the roles it gained get an entry (room reserved), the
    // ones it lost a lower count. Cannot fail.
    void note_roles(std::uint32_t s, std::span<const std::uint32_t> old,
                    std::span<const std::uint32_t> now) noexcept {
        std::size_t i = 0, j = 0;
        while (i < old.size() || j < now.size()) {
            if (j == now.size() || (i < old.size() && old[i] < now[j])) {
                --holders_of[old[i++]].count;
            } else if (i == old.size() || now[j] < old[i]) {
                Holders& h = holders_of[now[j++]];
                h.slots.push_back(s);  // reserved: cannot allocate
                ++h.count;
            } else {
                ++i;
                ++j;
            }
        }
    }
    void drop_holder(std::span<const std::uint32_t> old) noexcept {
        for (std::uint32_t r : old) --holders_of[r].count;
    }
    // Installs staged roles in the member at slot s, keeping the index.
    // The index learns the change first, from the member's roles and the
    // staged ones, so that nothing is copied (a copy of more than two
    // roles would allocate, and this cannot fail).
    void install_roles_indexed(Member& m, Roles& staged) noexcept {
        note_roles(slot_of(m), roles_of(m), staged.view());
        install_roles(m, staged);
    }
    // Rebuilds the whole index from the member records (a loaded guild).
    void rebuild_holders() {
        holders_of.clear();
        holders_of.resize(roles.size());
        for (std::uint32_t s = 0; s < members.high_water(); ++s)
            if (members[s].id != 0)
                for (std::uint32_t r : roles_of(members[s])) ++holders_of[r].count;
        for (Holders& h : holders_of) h.slots.reserve(h.count);
        for (std::uint32_t s = 0; s < members.high_water(); ++s)
            if (members[s].id != 0)
                for (std::uint32_t r : roles_of(members[s])) holders_of[r].slots.push_back(s);
    }
    // The members holding any hoisted role of `role_slots`, ascending, once
    // each.
    Vec<std::uint32_t> hoisted_holders(std::span<const std::uint32_t> role_slots) {
    // Each list is ascending once compacted, so their union is merged
        // (pairwise, log m passes for m roles), not sorted.
        Vec<std::uint32_t> affected, merged;
        Vec<std::size_t> runs{0}, next_runs;
        std::size_t candidates = 0;
        for (std::uint32_t s : role_slots)
            if (roles[s].hoist) {
                compact_holders(s);
                candidates += holders_of[s].slots.size();
            }
        affected.reserve(candidates);
        for (std::uint32_t s : role_slots)
            if (roles[s].hoist && !holders_of[s].slots.empty()) {
                const auto& v = holders_of[s].slots;
                affected.insert(affected.end(), v.begin(), v.end());
                runs.push_back(affected.size());
            }
        if (runs.size() > 2) merged.resize(affected.size());
        while (runs.size() > 2) {  // runs: the bounds of the sorted runs
            next_runs.assign(1, 0);
            for (std::size_t i = 0; i + 1 < runs.size(); i += 2) {
                const auto a = affected.begin();
                const auto out = merged.begin() + static_cast<std::ptrdiff_t>(runs[i]);
                const auto lo = a + static_cast<std::ptrdiff_t>(runs[i]);
                const auto mid = a + static_cast<std::ptrdiff_t>(runs[i + 1]);
                if (i + 2 < runs.size()) {
                    std::merge(lo, mid, mid, a + static_cast<std::ptrdiff_t>(runs[i + 2]), out);
                    next_runs.push_back(runs[i + 2]);
                } else {
                    std::copy(lo, mid, out);
                    next_runs.push_back(runs[i + 1]);
                }
            }
            affected.swap(merged);
            runs.swap(next_runs);
        }
        affected.erase(std::unique(affected.begin(), affected.end()), affected.end());
        return affected;
    }
    // The members holding role r, ascending by slot.
    Vec<std::uint32_t> holders(std::uint32_t role) {
        compact_holders(role);
        const PodBuffer<std::uint32_t>& v = holders_of[role].slots;
        return Vec<std::uint32_t>(v.begin(), v.end());
    }
    // What is wrong with the holder index, or nullptr (against a scan).
    const char* holders_fault() const {
        if (holders_of.size() != roles.size()) return "holder index: not one list per role slot";
        Vec<std::uint32_t> count(roles.size(), 0);
        for (std::uint32_t s = 0; s < members.high_water(); ++s)
            if (members[s].id != 0)
                for (std::uint32_t r : roles_of(members[s])) ++count[r];
        Vec<std::uint32_t> seen;
        for (std::uint32_t r = 0; r < roles.size(); ++r) {
            const Holders& h = holders_of[r];
            if (!roles[r].live && (h.count != 0 || !h.slots.empty()))
                return "holder index: a free role slot has holders";
            if (h.count != count[r]) return "holder index: wrong count";
            seen.clear();
            for (std::uint32_t s : h.slots) {
                if (s >= members.high_water()) return "holder index: slot past the members";
                if (holds(members[s], r)) seen.push_back(s);
            }
            std::sort(seen.begin(), seen.end());
            seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
            if (seen.size() != count[r]) return "holder index: a holder is missing";
        }
        return nullptr;
    }
    Vec<std::uint32_t> all_members() const {
        Vec<std::uint32_t> out;
        out.reserve(live);
        for (std::uint32_t s = 0; s < members.high_water(); ++s)
            if (members[s].id != 0) out.push_back(s);
        return out;
    }

    // Offline section shown/hidden flips with the member count (or the
    // threshold): its members are parked or sorted in, and every list
    // changes wholesale. `unpark`: prepared (unpark_prepare) by a caller
    // whose change can show OFFLINE; installed here if it did.
    void after_count_change(bool offline_was_shown, Unpark* unpark = nullptr) {
        const bool now = shown(g_offline);
        if (offline_was_shown == now) return;
        if (now && unpark) unpark_commit(*unpark);
        if (!now) park_offline();
        log_reset_all();
    }

    // ---------------------------------------------------- validation ----
    std::uint32_t find_role(std::uint64_t id, RoleCache* cache) const {
        if (!cache) return find_role(id);
        const std::size_t h = (id * 0x9E3779B97F4A7C15ull) >> 58;  // top 6 bits: 64 ways
        if (cache->ids[h] == id) return cache->slots[h];
        const std::uint32_t s = find_role(id);
        if (s != ~0u) {
            cache->ids[h] = id;
            cache->slots[h] = s;
        }
        return s;
    }
    Error check_role_ids(std::span<const std::uint64_t> ids,
                         RoleSlots* slots, RoleCache* cache = nullptr) const {
        slots->clear();
        for (std::uint64_t id : ids) {
            if (id == 0 || id >= group_online) return Error::invalid;
            std::uint32_t s = find_role(id, cache);
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

namespace guild_detail {

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

}  // namespace guild_detail

}  // namespace roster
