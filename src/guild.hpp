// The guild engine: roles, members, lists, sections, positions.
//
// One Guild is one chat guild (docs/model.md). It owns the order: for every
// list, which members are visible, in which group (section), at which row.
// Rows are global over the list: each group that appears is one header row
// followed by its members (§2).
//
// Layout: one 64-byte member record per user in a slab, named by its slot
// (names up to 24 bytes and up to two roles inline, longer data in one heap
// block the record owns), found through an open-addressing id -> slot table
// (id_table.hpp); per list, per group, a counted B+tree of member slots
// (rank_btree.hpp), and a 4-byte hook per member slot naming its leaf; in the
// record, one membership bit per list (the first 32 lists), so a change that
// keeps a member in place reads no hooks. Groups order is a small table, so
// reordering roles moves no entries. While OFFLINE is hidden (at least
// offline_threshold members) offline members are "parked": counted, but in
// no tree; they are sorted into the OFFLINE trees when it shows again.
//
// Errors: every mutator validates all of its input before changing
// anything; on any error the guild is unchanged. Allocation failure inside a
// mutation is turned into Error::no_memory by reserving what the mutation
// needs before it starts.
//
// Changes: when a list has a change log attached, every mutation appends the
// row-level edits that turn the list's previous rows into its new rows
// (RowEdit), in order, each index meaning the list as it stands after the
// previous edit. A member whose row changes content in place (a status
// change within its group, a touch, a rename that keeps its sort key) is
// not logged as an edit at the time: the guild remembers the member, and
// take_touched() gives the rows of all such members as the list stands when
// it is called (an update of the row at that position, after every edit).
// Sessions and frames (docs/frames.md) are built on these.
//
// Thread-safety: none; one thread at a time per guild.
#pragma once

#include <cstdint>
#include <type_traits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "heap.hpp"
#include "roster/roster.h"

namespace roster {

namespace snapshot {
class Writer;
class Reader;
}  // namespace snapshot

enum class Error : int {
    ok = 0,
    invalid = -1,
    not_found = -2,
    exists = -3,
    limit = -4,
    no_memory = -5,
    busy = -6,
    corrupt = -7,
    version = -8,
    internal = -9,
    flush_failed = -10,  // the change stands; its frames could not be built
    io = -11,            // a host's read or write callback failed
};

enum class Status : std::uint8_t { offline = 0, online = 1, idle = 2, dnd = 3 };

// Group ids: a hoisted role's id, or one of these two reserved values (which
// are therefore not valid role ids).
inline constexpr std::uint64_t group_online = 0xFFFFFFFFFFFFFFFEull;
inline constexpr std::uint64_t group_offline = 0xFFFFFFFFFFFFFFFFull;

// Role slots are below this whatever GuildConfig::max_roles says: the
// internal group numbers of online and offline lie above it. It is the
// bound roster_guild_create puts on max_roles.
inline constexpr std::uint32_t max_role_slots = ROSTER_MAX_ROLES;

struct GuildConfig {
    std::uint32_t offline_threshold = 1000;  // offline shown while members < this
    bool everyone_view = true;               // @everyone may VIEW the guild
    std::uint32_t max_members = 1u << 26;
    std::uint32_t max_roles = 1000;
    std::uint32_t max_roles_per_member = 256;
    std::uint32_t max_lists = 256;             // besides list 0
    std::uint32_t max_overwrites = 1000;       // per list, roles + members
    std::uint32_t max_sort_key_bytes = 256;
};

struct RoleSpec {
    std::uint64_t id = 0;
    std::int32_t position = 0;
    bool hoist = false;
    bool view = false;
    bool admin = false;
};

enum class Overwrite : std::uint8_t { none = 0, allow = 1, deny = 2 };

struct IdOverwrite {
    std::uint64_t id = 0;
    bool allow = false;
};

struct ListRule {
    Overwrite everyone = Overwrite::none;
    Vec<IdOverwrite> roles;
    Vec<IdOverwrite> members;
};

// A trivial type (no member initializers), so that vectors of rows copy
// as memory: write Row{} for an empty one, or list the fields. 24 bytes: a
// header is the row without a user (user ids are never 0).
struct Row {
    std::uint64_t group;  // the header's group, or the member's group
    std::uint64_t user;   // members only; 0 in a header
    std::uint32_t count;  // headers only: members in the group
    // Members only: a stamp that changes whenever the member's data changes
    // (any member event, or losing a role that is removed from the guild),
    // so a diff can tell which unmoved rows need an update.
    std::uint32_t rev;

    bool header() const { return user == 0; }
};
static_assert(std::is_trivial_v<Row> && sizeof(Row) == 24);

// Rows [start, start + count) of a list.
struct RowRun {
    std::uint32_t start;
    std::uint32_t count;
};

struct GroupCount {
    std::uint64_t id = 0;
    std::uint32_t count = 0;
};

// One row-level edit of a list (see "Changes" above).
struct RowEdit {
    enum class Kind : std::uint8_t { insert, remove, update, reset } kind;
    std::uint32_t index = 0;  // reset: unused (every row may have changed)
};

class Guild {
public:
    explicit Guild(const GuildConfig& config = GuildConfig{});
    ~Guild();
    Guild(const Guild&) = delete;
    Guild& operator=(const Guild&) = delete;

    const GuildConfig& config() const;

    // ---- guild settings
    Error set_everyone_view(bool view);
    Error set_offline_threshold(std::uint32_t threshold);

    // ---- roles
    // Creates the role or replaces its settings. Members holding it are
    // re-sectioned (hoist, position) and re-filtered (view, admin).
    Error upsert_role(const RoleSpec& role);
    // Removes the role from the guild and from every member holding it.
    Error remove_role(std::uint64_t role_id);
    // Sets many positions at once; ids must exist and be distinct.
    Error reorder_roles(std::span<const std::uint64_t> role_ids,
                        std::span<const std::int32_t> positions);

    // ---- members
    // Adds a member, or (replace = true) replaces an existing one's data.
    // name: valid UTF-8, 1–128 bytes. roles: existing role ids, duplicates
    // ignored.
    Error upsert_member(std::uint64_t user_id, std::string_view name,
                        std::span<const std::uint64_t> roles, Status status, bool replace);
    // Adds many new members at once: all or nothing. Validates every spec
    // (ids distinct and new, names, roles, limits) before changing anything;
    // empty groups are then built in O(k) from sorted runs instead of k
    // inserts, so loading a whole guild costs one sort per list. The error
    // is that of the first spec that fails (checked in order, each as
    // upsert_member checks a new member; an id given by an earlier spec
    // exists); on an error *failed (when given) receives its index, or
    // specs.size() when the error is not about one spec (limit of the
    // member total, no_memory).
    struct MemberSpec {
        std::uint64_t id = 0;
        std::string_view name;
        std::span<const std::uint64_t> roles;
        Status status = Status::offline;
    };
    Error add_members(std::span<const MemberSpec> specs, std::size_t* failed = nullptr);
    // The same with the specs read through `at` (at(ctx, i), i < count, in
    // order, once each): a host whose members are in its own layout (the C
    // API's) hands them over without a copied array of specs.
    using SpecAt = MemberSpec (*)(const void* ctx, std::size_t i);
    Error add_members(std::size_t count, SpecAt at, const void* ctx, std::size_t* failed = nullptr);
    Error remove_member(std::uint64_t user_id);
    Error set_status(std::uint64_t user_id, Status status);
    Error set_name(std::uint64_t user_id, std::string_view name);
    // A host-supplied sort key replacing the default (folded name); an empty
    // optional (has_key = false) restores the default.
    Error set_sort_key(std::uint64_t user_id, bool has_key, std::span<const std::uint8_t> key);
    Error set_roles(std::uint64_t user_id, std::span<const std::uint64_t> roles);
    Error add_member_role(std::uint64_t user_id, std::uint64_t role_id);
    Error remove_member_role(std::uint64_t user_id, std::uint64_t role_id);
    // The member's data changed without moving it: an update of its rows.
    Error touch(std::uint64_t user_id);

    // For a caller applying many events: requests what an event on user_id
    // reads first, in two steps issued a few events ahead of it: the id
    // table's line, then (when that has arrived) the member's record and its
    // hook in list 0. Hints only: they change nothing.
    void prefetch_lookup(std::uint64_t user_id) const;
    void prefetch_member(std::uint64_t user_id) const;

    // ---- lists (list 0, "everyone", always exists and cannot be changed)
    Error set_list(std::uint64_t list_id, const ListRule& rule);  // create or replace
    Error remove_list(std::uint64_t list_id);

    // ---- queries
    std::uint32_t member_total() const;  // members in the guild
    std::uint32_t list_count() const;    // lists, list 0 included
    bool has_list(std::uint64_t list_id) const;
    Error list_length(std::uint64_t list_id, std::uint32_t* out) const;
    Error counts(std::uint64_t list_id, std::uint32_t* member_count,
                 std::uint32_t* online_count) const;
    Error groups(std::uint64_t list_id, Vec<GroupCount>* out) const;
    Error row_at(std::uint64_t list_id, std::uint32_t index, Row* out) const;
    // Rows [start, end] that exist (end clipped to the list's last row).
    Error rows(std::uint64_t list_id, std::uint32_t start, std::uint32_t end,
               Vec<Row>* out) const;
    // The rows of `runs` (ascending, not overlapping, not empty, inside the
    // list) one after another into out: invalid otherwise (out is then
    // unspecified). For rows scattered over a list: one pass over the
    // groups, ascending seeks in their trees, and the member records
    // requested in batches so that their cache misses overlap. O(k) for k
    // rows in nearby runs, O(k log n) at worst.
    Error rows_at(std::uint64_t list_id, std::span<const RowRun> runs, Row* out) const;
    // Row of a member shown in the list; not_found when absent or hidden.
    Error index_of(std::uint64_t list_id, std::uint64_t user_id, std::uint32_t* out) const;
    // Whether the member is visible in the list (its rule, docs/model.md §4),
    // shown or hidden as offline; false for a user who is not a member.
    Error can_view(std::uint64_t list_id, std::uint64_t user_id, bool* out) const;

    // Member data, for hosts and serializers.
    struct MemberView {
        std::uint64_t id;
        std::string_view name;
        Status status;
        std::uint64_t group;
        Vec<std::uint64_t> roles;  // ascending id
    };
    Error member(std::uint64_t user_id, MemberView* out) const;

    // ---- change logs
    // Attach (or with nullptr detach) a log that receives the row edits of
    // list_id. The log is the caller's; it must outlive the attachment.
    Error attach_log(std::uint64_t list_id, Vec<RowEdit>* log);
    // The log attached to list_id (nullptr when none or no such list): a
    // list removed and created again starts without one.
    Vec<RowEdit>* attached_log(std::uint64_t list_id) const;
    // The rows, as the list stands now, of the members whose rows changed
    // content in place since the log was attached (or this was last
    // called), into *rows: ascending, distinct; members no longer shown in
    // the list are left out. Forgets them. Attaching or detaching a log
    // forgets them too, as does clear_touched. O(k log n) for k members.
    Error take_touched(std::uint64_t list_id, Vec<std::uint32_t>* rows);
    void clear_touched(std::uint64_t list_id) noexcept;
    // Whether the list has members whose rows changed in place since the
    // last take_touched (they change no log entry).
    bool has_touched(std::uint64_t list_id) const;

    // ---- snapshot (docs/snapshot.md)
    // Writes the roles, members and lists sections. The list order, member
    // slots, role slots and free lists are written as they are, so that a
    // loaded guild hands out the same slots and files members exactly as
    // this one would (the same later events give the same row edits).
    // `overwrites` is scratch for one list's overwrites, sorted: reserved
    // by reserve_save, so that writing allocates nothing.
    using SaveScratch = Vec<std::pair<std::uint64_t, bool>>;
    void reserve_save(SaveScratch& overwrites) const;
    void save(snapshot::Writer& w, SaveScratch& overwrites) const;
    // Reads those sections into this guild, which must be new (no member,
    // role or list but list 0); its config gives the limits (limit when the
    // snapshot exceeds one) and the settings. Every stored order is
    // checked, not recomputed: corrupt on any inconsistency. On an error
    // the guild is half-loaded and must be destroyed (it frees what it
    // holds).
    Error load(snapshot::Reader& r);

    // Bytes held by the engine's own structures (members, hash, lists,
    // trees), for the memory figures; excludes allocator overhead.
    std::size_t memory_bytes() const;

    // Full structural check (tests): trees, hooks, counts, visibility and
    // groups recomputed from scratch. O(n log n).
    bool check_invariants(std::string* why) const;

private:
    struct Impl;
    struct Loader;  // guild_snapshot.cpp
    Box<Impl> impl_;
};

const char* error_name(Error e);

}  // namespace roster
