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

#include "id_table.hpp"
#include "rank_btree.hpp"
#include "slab.hpp"
#include "text.hpp"

namespace roster {

namespace {

// Group slots: a hoisted role's slot, or one of these.
constexpr std::uint32_t g_online = 1u << 20;
constexpr std::uint32_t g_offline = g_online + 1;

// The hook of a member parked in a list: offline while OFFLINE is hidden
// (see ListState::parked).
constexpr std::uint32_t parked_leaf = nil_id - 1;

// A list without a membership bit in the member records (see Member::lists).
constexpr std::uint32_t no_bit = ~0u;
constexpr unsigned list_bits = 32;

// Names up to this many bytes live in the member record.
constexpr std::size_t name_inline = 24;

enum MemberFlags : std::uint8_t {
    f_text_heap = 1,   // name (and custom key) in a heap block
    f_custom_key = 2,  // the block also holds a host sort key
    f_roles_heap = 4,  // roles in a heap block
};

}  // namespace

// A member's role slots, ascending (validation and staging).
using RoleSlots = boost::container::small_vector<std::uint32_t, 2>;

// One member: 64 bytes, one cache line, in a slab named by 32-bit slots.
// Most members need nothing else: a name of up to 24 bytes and up to two
// roles are inline. A longer name, a host sort key or more roles live in a
// heap block that the record owns (the slab moves records by memcpy, so the
// record is trivially copyable and its blocks are freed by hand).
//  - text block: [u32 key length][name bytes][key bytes]
//  - roles block: [u32 count][role slots, ascending]
// A status change reads and writes this line only (plus the id table).
struct Member {
    std::uint32_t rev;    // Row::rev. First: a free slot holds the slab's link here
    std::uint32_t top;    // group when not offline: top hoisted role, or g_online
    std::uint64_t id;     // 0: the slot is free
    std::uint64_t prefix; // first 8 bytes of the sort key, big-endian
    std::uint32_t lists;  // bit b: in the list that owns bit b (ListState::bit)
    Status status;
    std::uint8_t flags;   // MemberFlags
    std::uint8_t name_len;
    std::uint8_t nroles;  // inline roles (when not f_roles_heap)
    union {
        std::uint32_t inl[2];
        std::uint32_t* heap;
    } roles;
    union {
        char inl[name_inline];
        char* heap;
    } text;
};
static_assert(sizeof(Member) == 64, "a member record is one cache line");

using Members = Slab<Member>;

namespace {

// A text block's name and key (layout above).
std::string_view block_name(const char* block, std::size_t name_len) {
    return {block + 4, name_len};
}
std::string_view block_key(const char* block, std::size_t name_len) {
    std::uint32_t n;
    std::memcpy(&n, block, 4);
    return {block + 4 + name_len, n};
}

std::string_view name_of(const Member& m) {
    return (m.flags & f_text_heap) ? block_name(m.text.heap, m.name_len)
                                   : std::string_view(m.text.inl, m.name_len);
}
std::string_view custom_key_of(const Member& m) { return block_key(m.text.heap, m.name_len); }
// The sort key: the host's bytes, or the name folded on the fly.
std::string_view key_bytes(const Member& m) {
    return (m.flags & f_custom_key) ? custom_key_of(m) : name_of(m);
}
bool key_folds(const Member& m) { return !(m.flags & f_custom_key); }

std::span<const std::uint32_t> roles_of(const Member& m) {
    if (m.flags & f_roles_heap) return {m.roles.heap + 1, m.roles.heap[0]};
    return {m.roles.inl, m.nroles};
}

inline int compare_member_keys(const Member& x, const Member& y) {
    return compare_keys(key_bytes(x), key_folds(x), key_bytes(y), key_folds(y));
}

// A member's text (name, optional host key) built aside: making it may
// throw; installing it into a record cannot, and frees the record's old
// block.
struct Text {
    char* block = nullptr;  // owned until installed
    std::uint8_t len = 0;
    bool custom = false;
    char inl[name_inline] = {};

    Text() = default;
    Text(const Text&) = delete;
    Text& operator=(const Text&) = delete;
    ~Text() { ::operator delete(block); }

    Text(std::string_view name, bool has_key, std::string_view key) {
        len = static_cast<std::uint8_t>(name.size());  // names are <= 128 bytes
        custom = has_key;
        if (!has_key && name.size() <= name_inline) {
            std::memcpy(inl, name.data(), name.size());
            return;
        }
        const std::uint32_t klen = has_key ? static_cast<std::uint32_t>(key.size()) : 0;
        block = static_cast<char*>(::operator new(4 + name.size() + klen));
        std::memcpy(block, &klen, 4);
        std::memcpy(block + 4, name.data(), name.size());
        if (klen) std::memcpy(block + 4 + name.size(), key.data(), klen);
    }

    std::string_view name() const {
        return block ? block_name(block, len) : std::string_view(inl, len);
    }
    std::string_view key() const { return custom ? block_key(block, len) : name(); }
};

// m's text with a new name; a host sort key, if m has one, stays.
Text renamed(const Member& m, std::string_view name) {
    const bool custom = m.flags & f_custom_key;
    return Text(name, custom, custom ? custom_key_of(m) : std::string_view{});
}
// Whether m's sort key is the same with text t (then it keeps its place).
bool same_key(const Member& m, const Text& t) {
    return compare_keys(key_bytes(m), key_folds(m), t.key(), !t.custom) == 0;
}

void drop_text(Member& m) noexcept {
    if (m.flags & f_text_heap) ::operator delete(m.text.heap);
    m.flags &= static_cast<std::uint8_t>(~(f_text_heap | f_custom_key));
}
void install_text(Member& m, Text& t) noexcept {
    drop_text(m);
    m.name_len = t.len;
    if (t.block) {
        m.text.heap = t.block;
        t.block = nullptr;
        m.flags |= f_text_heap;
        if (t.custom) m.flags |= f_custom_key;
    } else {
        std::memcpy(m.text.inl, t.inl, name_inline);
    }
}

// Role slots built aside, like Text.
struct Roles {
    std::uint32_t* block = nullptr;  // owned until installed
    std::uint8_t n = 0;
    std::uint32_t inl[2] = {};

    Roles() = default;
    Roles(const Roles&) = delete;
    Roles& operator=(const Roles&) = delete;
    ~Roles() { ::operator delete(block); }

    explicit Roles(const RoleSlots& r) : Roles(std::span<const std::uint32_t>(r.data(), r.size())) {}
    explicit Roles(std::span<const std::uint32_t> slots) {
        if (slots.size() <= 2) {
            n = static_cast<std::uint8_t>(slots.size());
            std::copy(slots.begin(), slots.end(), inl);
            return;
        }
        block = static_cast<std::uint32_t*>(::operator new((slots.size() + 1) * sizeof(std::uint32_t)));
        block[0] = static_cast<std::uint32_t>(slots.size());
        std::copy(slots.begin(), slots.end(), block + 1);
    }
};

void drop_roles(Member& m) noexcept {
    if (m.flags & f_roles_heap) ::operator delete(m.roles.heap);
    m.flags &= static_cast<std::uint8_t>(~f_roles_heap);
    m.nroles = 0;
}
void install_roles(Member& m, Roles& r) noexcept {
    drop_roles(m);
    if (r.block) {
        m.roles.heap = r.block;
        r.block = nullptr;
        m.flags |= f_roles_heap;
    } else {
        m.nroles = r.n;
        m.roles.inl[0] = r.inl[0];
        m.roles.inl[1] = r.inl[1];
    }
}
// Drops one role slot the member holds, in place (never allocates).
void erase_role(Member& m, std::uint32_t slot) noexcept {
    std::uint32_t* first;
    std::uint32_t* count_word = nullptr;
    std::uint32_t n;
    if (m.flags & f_roles_heap) {
        count_word = m.roles.heap;
        first = m.roles.heap + 1;
        n = m.roles.heap[0];
    } else {
        first = m.roles.inl;
        n = m.nroles;
    }
    std::uint32_t* end = first + n;
    std::uint32_t* it = std::find(first, end, slot);
    if (it == end) return;
    std::copy(it + 1, end, it);
    if (count_word)
        --*count_word;
    else
        --m.nroles;
}

std::size_t heap_bytes(const Member& m) {
    std::size_t b = 0;
    if (m.flags & f_text_heap) b += 4 + m.name_len + ((m.flags & f_custom_key) ? custom_key_of(m).size() : 0);
    if (m.flags & f_roles_heap) b += (m.roles.heap[0] + 1) * sizeof(std::uint32_t);
    return b;
}

}  // namespace

struct Role {
    std::uint64_t id = 0;
    std::int32_t position = 0;
    bool hoist = false, view = false, admin = false;
    bool live = false;
};

struct ListState;

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
};

using Tree = RankBTree<TreeTraits>;

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
    std::unordered_map<std::uint64_t, bool> role_ow;    // role id -> allow
    std::unordered_map<std::uint64_t, bool> member_ow;  // user id -> allow
    std::vector<BTreeHook> hooks;                       // by member slot
    std::vector<std::unique_ptr<Tree>> trees;           // by tree_index(group)
    // Members per group, by the group's rank in Impl::order: a group's first
    // row is a sum over this short array, not a walk over its trees.
    std::vector<std::uint32_t> by_rank;
    std::uint32_t total = 0;                            // visible members
    // Offline members while OFFLINE is hidden (the guild has at least
    // offline_threshold members) are not filed in the OFFLINE tree, which
    // stays empty: no row shows them, and at a million members keeping 70%
    // of them sorted was most of the cost of presence events. Their hook is
    // parked_leaf. When OFFLINE shows again they are sorted into it at once.
    std::uint32_t parked = 0;
    std::uint32_t bit = no_bit;  // membership bit in Member::lists, if any
    std::vector<RowEdit>* log = nullptr;
};

BTreeHook& TreeTraits::hook(std::uint32_t slot) const { return list->hooks[slot]; }

struct Guild::Impl {
    GuildConfig cfg;
    Members members;  // by slot; id 0 = free
    IdTable by_id;    // user id -> slot
    std::uint32_t live = 0;
    std::uint32_t clock = 0;  // source of Member::rev stamps

    std::vector<Role> roles;  // by slot
    std::vector<std::uint32_t> free_roles;
    std::unordered_map<std::uint64_t, std::uint32_t> role_slot;  // id -> slot
    std::vector<std::uint32_t> order;       // hoisted role slots, then online, offline
    std::vector<std::uint32_t> role_rank;   // by role slot: rank among hoisted (or ~0)

    std::vector<std::unique_ptr<ListState>> lists;  // lists[0] is "everyone"
    std::uint32_t free_bits = ~0u;  // list membership bits not owned by a list
    unsigned logs = 0;              // lists with a log attached

    explicit Impl(const GuildConfig& c) : cfg(c) {
        auto everyone = std::make_unique<ListState>();
        everyone->id = 0;
        everyone->bit = take_bit();
        lists.push_back(std::move(everyone));
        rebuild_order();
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
            const auto& hooks = lists[0]->hooks;
            if (s < hooks.size()) __builtin_prefetch(&hooks[s]);
            return members[s].id;
        });
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
    std::uint32_t take_bit() {
        if (free_bits == 0) return no_bit;
        const std::uint32_t b = static_cast<std::uint32_t>(__builtin_ctz(free_bits));
        free_bits &= ~(1u << b);
        return b;
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
        for (auto& l : lists) resync_ranks(*l);
    }
    // Rank of group g in order (g must be in it).
    std::uint32_t rank_of(std::uint32_t g) const {
        const std::uint32_t n = static_cast<std::uint32_t>(order.size());
        return g == g_online ? n - 2 : g == g_offline ? n - 1 : role_rank[g];
    }
    // l.by_rank from the trees; capacity for it is reserved with the order's.
    void resync_ranks(ListState& l) const noexcept {
        l.by_rank.assign(order.size(), 0);
        for (std::uint32_t r = 0; r < order.size(); ++r) l.by_rank[r] = group_size(l, order[r]);
    }
    void note_size(ListState& l, std::uint32_t g, const Tree& t) const noexcept {
        l.by_rank[rank_of(g)] = t.size();
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
        if (i >= l.trees.size()) l.trees.resize(std::max<std::size_t>(i + 1, roles.size() + 2));
        if (!l.trees[i]) l.trees[i] = std::make_unique<Tree>(TreeTraits{&members, &l});
        return *l.trees[i];
    }
    static std::uint32_t group_size(const ListState& l, std::uint32_t g) {
        const Tree* t = tree(l, g);
        return t ? t->size() : 0;
    }
    // First row of group g (its header), counting groups that appear.
    // (Only OFFLINE, the last group, is ever hidden.)
    std::uint32_t offset(const ListState& l, std::uint32_t g) const {
        const std::uint32_t* n = l.by_rank.data();
        std::uint32_t off = 0;
        for (std::uint32_t r = 0, end = rank_of(g); r < end; ++r) off += n[r] + (n[r] != 0);
        return off;
    }
    std::uint32_t length(const ListState& l) const {
        std::uint32_t len = offset(l, g_offline);
        const std::uint32_t n = l.by_rank.back();
        return len + (n && shown(g_offline) ? n + 1 : 0);
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

    // Appends rows for `count` members of tree t from index `from`. The
    // member records are scattered, so they are gathered first and
    // prefetched: the misses overlap instead of costing one round trip per
    // row.
    void member_rows(const Tree& t, std::uint32_t from, std::uint32_t count, std::uint64_t gid,
                     std::vector<Row>* out) const {
        constexpr std::uint32_t batch = 32;
        std::uint32_t slots[batch];
        while (count > 0) {
            const std::uint32_t n = std::min(count, batch);
            std::uint32_t i = 0;
            t.for_range(from, n, [&](std::uint32_t slot) { slots[i++] = slot; });
            for (std::uint32_t j = 0; j < n; ++j) __builtin_prefetch(&members[slots[j]]);
            for (std::uint32_t j = 0; j < n; ++j) {
                const Member& m = members[slots[j]];
                out->push_back(Row{gid, m.id, 0, m.rev});
            }
            from += n;
            count -= n;
        }
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
    void log_update(ListState& l, const Member& m) {
        const std::uint32_t g = group_of(m);
        if (!l.log || !shown(g)) return;
        const std::uint32_t idx = tree(l, g)->index_of(slot_of(m));
        log(l, RowEdit::Kind::update, offset(l, g) + 1 + idx);
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
            std::vector<std::uint32_t> slots;
            std::unique_ptr<Tree> tree;
        };
        std::vector<List> built;
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
            std::vector<std::uint32_t> slots;
            slots.reserve(l.parked);
            for (std::uint32_t s = 0; s < l.hooks.size(); ++s)
                if (l.hooks[s].leaf == parked_leaf && s != except) slots.push_back(s);
            TreeTraits tr{&members, &l};
            std::sort(slots.begin(), slots.end(), [&](std::uint32_t a, std::uint32_t b) {
                const std::uint64_t pa = members[a].prefix, pb = members[b].prefix;
                return pa != pb ? pa < pb : tr.less(a, b);
            });
            auto fresh = std::make_unique<Tree>(tr);
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
            if (l.log) reserve_more(*l.log, 5);  // 2 removes, 2 inserts, reset
        }
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
        if (!same_place)  // the new leaves arrive while the old places are erased
            for (auto& lp : lists)
                if (const Tree* t = tree(*lp, new_group)) t->prefetch_insert(slot_of(m));
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
    // Members are taken out and put back in list order (group, then key):
    // consecutive erases and inserts then touch neighbouring leaves, which
    // stay in cache, instead of a random leaf each (a reorder moving 100k
    // members runs several times faster).
    template <class F>
    void refile_many(const std::vector<std::uint32_t>& affected, F&& mutate, bool quiet) {
        // (group, key prefix, slot): sorted without touching the records
        // except on prefix ties.
        struct Place {
            std::uint32_t group;
            std::uint32_t slot;
            std::uint64_t prefix;
        };
        std::vector<Place> ms(affected.size());  // may throw: nothing changed yet
        auto sort_places = [&] {
            for (Place& p : ms) {
                const Member& m = members[p.slot];
                p.group = group_of(m);
                p.prefix = m.prefix;
            }
            std::sort(ms.begin(), ms.end(), [&](const Place& a, const Place& b) {
                if (a.group != b.group) return a.group < b.group;
                if (a.prefix != b.prefix) return a.prefix < b.prefix;
                const Member& x = members[a.slot];
                const Member& y = members[b.slot];
                const int c = compare_member_keys(x, y);
                return c != 0 ? c < 0 : x.id < y.id;
            });
        };
        for (std::size_t i = 0; i < ms.size(); ++i) ms[i].slot = affected[i];
        sort_places();
        for (const Place& p : ms)
            for (auto& l : lists)
                if (in_list(*l, members[p.slot])) unplace(*l, members[p.slot], p.group, quiet);
        mutate();
        for (const Place& p : ms) refresh_group(members[p.slot]);
        sort_places();
        for (const Place& p : ms)
            for (auto& l : lists)
                if (visible(*l, members[p.slot])) place(*l, members[p.slot], p.group, quiet);
    }

    // Membership of `ms` in every list except list 0 recomputed after a
    // change that cannot move anyone inside a list (groups and keys kept).
    void refilter(const std::vector<std::uint32_t>& ms) {
        for (std::size_t i = 1; i < lists.size(); ++i) refilter(*lists[i], ms);
    }
    void refilter(ListState& l, const std::vector<std::uint32_t>& ms) {
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
        std::vector<std::pair<std::uint32_t, std::unique_ptr<Tree>>> built;
        std::vector<std::uint32_t> built_slots;  // members of the built trees
        std::vector<std::uint32_t> inserts;
        bool changed = false;
    };
    BulkPrepared bulk_prepare(ListState& l, const std::vector<std::uint32_t>& ms) {
        BulkPrepared p;
        p.list = &l;
        l.hooks.resize(members.high_water());  // within the reserved capacity
        std::map<std::uint32_t, std::vector<std::pair<std::uint64_t, std::uint32_t>>> runs;
        for (std::uint32_t s : ms) {
            const Member& m = members[s];
            l.hooks[s].leaf = nil_id;
            if (visible(l, m)) runs[group_of(m)].emplace_back(m.prefix, s);
        }
        for (auto& [grp, run] : runs) {
            if (grp == g_offline && !shown(grp)) {  // parked by place()
                for (auto& pr : run) p.inserts.push_back(pr.second);
                continue;
            }
            Tree& t = tree_for(l, grp);
            p.changed = p.changed || shown(grp);
            if (!t.empty()) {
                t.reserve_inserts(run.size());
                for (auto& pr : run) p.inserts.push_back(pr.second);
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
            p.built_slots.insert(p.built_slots.end(), ids.begin(), ids.end());
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
        resync_ranks(l);
        for (std::uint32_t s : p.inserts) place(l, members[s], group_of(members[s]), true);
        if (p.changed) log(l, RowEdit::Kind::reset, 0);
    }

    // Frees a member's slot and storage (the member is in no list and not
    // indexed).
    void release(std::uint32_t s) noexcept {
        Member& m = members[s];
        drop_text(m);
        drop_roles(m);
        m.id = 0;
        members.free(s);
    }

    // Undoes the linking step of add_members (cannot fail).
    // The first n records of `added` were indexed.
    void unlink_added(const std::vector<std::uint32_t>& added, std::size_t n) noexcept {
        for (auto& l : lists)
            for (std::size_t i = 0; i < n; ++i)
                if (added[i] < l->hooks.size()) l->hooks[added[i]].leaf = nil_id;
        for (std::size_t i = n; i-- > 0;) {
            by_id.erase(members[added[i]].id, added[i]);
            --live;
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
    void plan_refile(const std::vector<std::uint32_t>& ms, Plan& plan) {
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
    void plan_refilter(ListState& l, const std::vector<std::uint32_t>& ms, Plan& plan) {
        for (std::uint32_t s : ms) {
            const Member& m = members[s];
            const bool was = in_list(l, m), now = visible(l, m);
            if (was != now) plan.edits[&l] += 2;
            if (!was && now) ++plan.inserts[{&l, group_of(m)}];
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
        for (auto& l : lists) reserve_total(l->by_rank, roles.size() + 2);
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
        prepare_member_event(group_for(m->status, top_of(slots)), 0);
        refile(*m, true, [&](Member& x) { install_roles(x, staged); });
        return Error::ok;
    }

    std::vector<std::uint32_t> holders(std::uint32_t role) const {
        std::vector<std::uint32_t> out;
        for (std::uint32_t s = 0; s < members.high_water(); ++s) {
            const Member& m = members[s];
            if (m.id == 0) continue;
            const auto held = roles_of(m);
            if (std::binary_search(held.begin(), held.end(), role)) out.push_back(s);
        }
        return out;
    }
    std::vector<std::uint32_t> all_members() const {
        std::vector<std::uint32_t> out;
        out.reserve(live);
        for (std::uint32_t s = 0; s < members.high_water(); ++s)
            if (members[s].id != 0) out.push_back(s);
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
        const std::vector<std::uint32_t> all = g.all_members();
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
        if (!was && will) g.unpark_commit(unpark);
        if (was && !will) g.park_offline();
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
            for (auto& l : g.lists) reserve_total(l->by_rank, g.roles.size() + 3);
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
        std::vector<std::uint32_t> affected = g.holders(slot);
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
        std::vector<std::uint32_t> affected = g.holders(slot);
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
            for (std::uint32_t s : affected) {
                erase_role(g.members[s], slot);
                g.members[s].rev = ++g.clock;
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
        std::vector<std::uint32_t> affected;
        set_positions(positions);  // tentatively; rebuild_order has room
        try {
            for (std::uint32_t s = 0; s < g.members.high_water(); ++s) {
                const Member& m = g.members[s];
                if (m.id == 0) continue;
                for (std::uint32_t r : roles_of(m))
                    if (moved_role[r]) {
                        if (g.top_of(m) != m.top) affected.push_back(s);
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
            Text text = renamed(*m, name);
            Roles staged(slots);
            g.prepare_member_event(g.group_for(status, g.top_of(slots)), 0);
            g.refile(*m, same_key(*m, text), [&](Member& x) {
                install_text(x, text);
                install_roles(x, staged);
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
        install_roles(m, staged);
        g.refresh_key(m);
        g.by_id.insert(user_id, s, [&](std::uint32_t x) { return g.members[x].id; });
        ++g.live;
        for (auto& l : g.lists) {
            if (l->hooks.size() <= s) l->hooks.resize(g.members.high_water());
            l->hooks[s].leaf = nil_id;
            if (g.visible(*l, m)) g.place(*l, m, g.group_of(m), false);
        }
        if (was && !g.shown(g_offline)) g.park_offline();
        g.after_count_change(was);
        return Error::ok;
    });
}

Error Guild::add_members(std::span<const MemberSpec> specs) {
    return no_memory_on_throw([&]() -> Error {
        Impl& g = *impl_;
        if (specs.size() > g.cfg.max_members - g.live) return Error::limit;
        // 1. Records are written into fresh slots while the specs are
        // validated; nothing indexes them yet, so an error (or a failed
        // allocation) only has to release them.
        std::vector<std::uint32_t> added;
        auto release_all = [&]() noexcept {
            for (auto it = added.rbegin(); it != added.rend(); ++it) g.release(*it);
            added.clear();
        };
        try {
            added.reserve(specs.size());
            g.members.reserve_more(static_cast<std::uint32_t>(specs.size()));  // <= max_members
            RoleSlots slots;
            for (const MemberSpec& spec : specs) {
                if (spec.id == 0 || !valid_name(spec.name) || static_cast<unsigned>(spec.status) > 3) {
                    release_all();
                    return Error::invalid;
                }
                if (Error e = g.check_role_ids(spec.roles, &slots); e != Error::ok) {
                    release_all();
                    return e;
                }
                if (g.find_slot(spec.id) != nil_id) {
                    release_all();
                    return Error::exists;
                }
                Text text(spec.name, false, {});
                Roles staged(slots);
                const std::uint32_t s = g.members.allocate();  // reserved: cannot fail
                added.push_back(s);
                Member& m = g.members[s];
                m.id = spec.id;
                m.status = spec.status;
                m.rev = ++g.clock;
                install_text(m, text);
                install_roles(m, staged);
                g.refresh_key(m);
                g.refresh_group(m);
            }
            g.by_id.reserve(g.live + specs.size());
            for (auto& l : g.lists) {
                reserve_total(l->hooks, g.members.high_water());
                if (l->log) reserve_more(*l->log, 1);
            }
        } catch (...) {
            release_all();
            throw;
        }
        const bool was = g.shown(g_offline);
        // 2. Index the records (cannot fail now); the same id twice in this
        // batch is found here.
        auto id_of = [&](std::uint32_t x) { return g.members[x].id; };
        for (std::size_t i = 0; i < added.size(); ++i) {
            if (!g.by_id.insert(g.members[added[i]].id, added[i], id_of)) {
                g.unlink_added(added, i);
                release_all();
                return Error::exists;
            }
            ++g.live;
        }
        // 3. Prepare every list (may fail: then unlink and rethrow), then
        // commit every list (cannot fail).
        std::vector<Impl::BulkPrepared> prepared;
        try {
            prepared.reserve(g.lists.size());
            for (auto& l : g.lists) prepared.push_back(g.bulk_prepare(*l, added));
        } catch (...) {
            prepared.clear();
            g.unlink_added(added, added.size());
            release_all();
            throw;
        }
        for (auto& p : prepared) g.bulk_commit(p);
        if (was && !g.shown(g_offline)) g.park_offline();
        if (was != g.shown(g_offline)) g.log_reset_all();
        return Error::ok;
    });
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
        if (shows) g.unpark_commit(unpark);
        g.after_count_change(was);
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
            // is in every list; lists with a log get an update. Without
            // logs, only the record is written.
            if (g.logs)
                for (auto& l : g.lists)
                    if (l->log) reserve_more(*l->log, 1);
            m.status = status;
            m.rev = ++g.clock;
            if (g.logs)
                for (auto& l : g.lists)
                    if (l->log && g.in_list(*l, m)) g.log_update(*l, m);
            return Error::ok;
        }
        for (auto& lp : g.lists) {
            ListState& l = *lp;
            if (!g.in_list(l, m)) continue;
            Tree& t = g.tree_for(l, new_group);
            t.reserve_insert();
            t.prefetch_insert(s);  // arrives while the old place is erased
            if (l.log) reserve_more(*l.log, 4);  // 2 removes, 2 inserts
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
        g.prepare_member_event(g.group_for(m->status, g.top_of(slots)), 0);
        g.refile(*m, true, [&](Member& x) { install_roles(x, staged); });
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
    const auto& hooks = g.lists[0]->hooks;
    if (s < hooks.size()) __builtin_prefetch(&hooks[s]);
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
            fresh->hooks.resize(g.members.high_water());
            reserve_total(fresh->by_rank, g.roles.size() + 2);
            fresh->by_rank.assign(g.order.size(), 0);
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
        const std::vector<std::uint32_t> all = g.all_members();
        g.reserve(g.plan_with(swap_rule, swap_rule, [&](Impl::Plan& plan) {
            g.plan_refilter(list, all, plan);
        }));  // keyed by list: covers a new list's trees too
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
        for (std::size_t i = 1; i < g.lists.size(); ++i) {
            if (g.lists[i]->id == list_id) {
                ListState& l = *g.lists[i];
                if (l.bit != no_bit) g.free_bits |= 1u << l.bit;
                if (l.log) --g.logs;
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
    *online_count = l->total - impl_->group_size(*l, g_offline) - l->parked;
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
        if (start <= first) out->push_back(Row{gid, 0, n, 0});
        const std::uint32_t from = std::max(start, first + 1) - (first + 1);
        const std::uint32_t to = std::min(end, last) - first;  // exclusive, in group
        if (from < to) g.member_rows(*t, from, to - from, gid, out);
    }
    return Error::ok;
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
    // The group holding the current row: its header row `first`, its `n`
    // members in tree t.
    std::size_t gi = 0;
    std::uint32_t first = 0, n = 0;
    const Tree* t = nullptr;
    std::uint64_t gid = 0;
    auto next_group = [&](std::uint32_t from) {
        for (; gi < g.order.size(); ++gi) {
            const std::uint32_t o = g.order[gi];
            const std::uint32_t size = l->by_rank[gi];
            if (!size || !g.shown(o)) continue;
            t = g.tree(*l, o);
            n = size;
            first = from;
            gid = g.group_id(o);
            ++gi;
            return true;
        }
        return false;
    };
    if (!next_group(0)) return runs.empty() ? Error::ok : Error::invalid;
    // Member rows in batches: their slots read from the leaves (each record
    // requested as soon as its slot is known), then the records read, so
    // that the misses of a batch are in flight together.
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
    Tree::Finger finger;
    for (const RowRun& run : runs) {
        std::uint64_t p = run.start;
        const std::uint64_t end = p + run.count;
        while (p < end) {
            while (p > std::uint64_t{first} + n) {
                if (!next_group(first + n + 1)) return Error::invalid;
                finger = Tree::Finger{};
            }
            if (p == first) {
                *out++ = Row{gid, 0, n, 0};
                ++p;
                continue;
            }
            // Members p .. up to the group's end.
            const std::uint32_t k = static_cast<std::uint32_t>(
                std::min<std::uint64_t>(end, std::uint64_t{first} + n + 1) - p);
            t->for_rows(finger, static_cast<std::uint32_t>(p - first - 1), k, [&](std::uint32_t s) {
                __builtin_prefetch(&g.members[s]);
                *out = Row{gid, 0, 0, 0};
                slots[pending] = s;
                dst[pending] = out++;
                if (++pending == batch) drain();
            });
            p += k;
        }
    }
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

Error Guild::attach_log(std::uint64_t list_id, std::vector<RowEdit>* log) {
    ListState* l = impl_->find_list(list_id);
    if (!l) return Error::not_found;
    impl_->logs += (log != nullptr) - (l->log != nullptr);
    l->log = log;
    return Error::ok;
}

std::vector<RowEdit>* Guild::attached_log(std::uint64_t list_id) const {
    const ListState* l = impl_->find_list(list_id);
    return l ? l->log : nullptr;
}

std::size_t Guild::memory_bytes() const {
    const Impl& g = *impl_;
    std::size_t bytes = g.members.memory_bytes() + g.by_id.memory_bytes();
    for (std::uint32_t s = 0; s < g.members.high_water(); ++s)
        if (g.members[s].id != 0) bytes += heap_bytes(g.members[s]);
    for (const auto& l : g.lists) {
        bytes += sizeof(ListState) + l->hooks.capacity() * sizeof(BTreeHook) +
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
        if (l.by_rank.size() != g.order.size()) return fail("group sizes by rank: wrong length");
        for (std::uint32_t r = 0; r < g.order.size(); ++r)
            if (l.by_rank[r] != Impl::group_size(l, g.order[r]))
                return fail("group sizes by rank disagree with the trees");
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
