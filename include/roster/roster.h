/**
 * @file roster.h
 * roster: member-list engine for chat guilds, with viewport diffs.
 *
 * This header is the whole contract: the only ABI of the library. It is C99
 * and also compiles as C++.
 *
 * Conventions
 *  - Every call that can fail returns an int status: ROSTER_OK (0) or one of
 *    the negative ROSTER_E* codes below. The codes are fixed forever: new
 *    ones may be added, none is ever renumbered or reused.
 *  - Out-parameters come first, user_data pointers last.
 *  - On any error, the object the call was given is unchanged. The one
 *    exception is ROSTER_EFLUSH, which says that the change was made but
 *    its frames were not all delivered (see "When memory runs out" below).
 *
 * Thread-safety: the version and status functions are pure and may be
 * called from any thread at any time; guild calls are described below.
 */
#ifndef ROSTER_ROSTER_H
#define ROSTER_ROSTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ROSTER_BUILDING) && defined(__GNUC__)
#define ROSTER_API __attribute__((visibility("default")))
#else
#define ROSTER_API
#endif

/* ---- Version ----------------------------------------------------------- */

#define ROSTER_VERSION_MAJOR 0 /**< the major version of this header */
#define ROSTER_VERSION_MINOR 1 /**< the minor version of this header */
#define ROSTER_VERSION_PATCH 0 /**< the patch version of this header */
/** major * 10000 + minor * 100 + patch */
#define ROSTER_VERSION_NUMBER \
    (ROSTER_VERSION_MAJOR * 10000 + ROSTER_VERSION_MINOR * 100 + ROSTER_VERSION_PATCH)
/** The version of this header as a string. */
#define ROSTER_VERSION_STRING "0.1.0"

/** The version of the library actually linked (compare with the macro to
 * detect a header/library mismatch). */
ROSTER_API unsigned roster_version_number(void);
/** Static string, e.g. "0.1.0". Never NULL; do not free. */
ROSTER_API const char *roster_version_string(void);

/* ---- Status codes -------------------------------------------------------- */

/** Status codes: what every call that can fail returns. */
typedef enum roster_status {
    ROSTER_OK = 0,
    ROSTER_EINVAL = -1,    /**< invalid argument (null pointer, bad UTF-8, id 0, ...) */
    ROSTER_ENOTFOUND = -2, /**< unknown id */
    ROSTER_EEXIST = -3,    /**< already exists */
    ROSTER_ELIMIT = -4,    /**< a configured limit would be exceeded */
    ROSTER_ENOMEM = -5,    /**< out of memory */
    ROSTER_EBUSY = -6,     /**< called from inside this guild's own frame callback */
    ROSTER_ECORRUPT = -7,  /**< damaged or truncated snapshot */
    ROSTER_EVERSION = -8,  /**< snapshot of an incompatible format version */
    ROSTER_EINTERNAL = -9, /**< a bug in roster; the guild is unchanged */
    ROSTER_EFLUSH = -10,   /**< the change was made, but memory ran out while its
                              frames were built or delivered: see below */
    ROSTER_EIO = -11,      /**< a host's snapshot read or write callback failed */
    ROSTER_EACCESS = -12   /**< refused: the user may not view what was asked
                              (the Discord adapter's requests; since 0.2) */
} roster_status;

/** Static, lower-case name of a status ("ok", "invalid argument", ...), or
 * "unknown status" for a value that is not a roster_status. Never NULL. */
ROSTER_API const char *roster_status_str(int status);

/* ---- Types and conventions for guilds -------------------------------------
 *
 * Ids are 64-bit unsigned integers; 0 is never valid. Two ids are reserved
 * as group ids (ROSTER_GROUP_ONLINE / ROSTER_GROUP_OFFLINE) and are not valid
 * role ids.
 *
 * Thread-safety: a roster_guild is used by one thread at a time (calls on
 * one guild must not overlap); distinct guilds are fully independent.
 *
 * Strings: display names are valid UTF-8 of 1..128 bytes, passed as pointer
 * + length (no terminator needed). The library copies what it keeps; the
 * caller's buffers may be reused as soon as a call returns.
 *
 * Complexity: n is the number of members, L the number of lists, G the
 * number of groups a list shows (those with members in it: at most the
 * hoisted roles + 2), r the roles of one member.
 */

/** A guild: its roles, members, lists and sessions (opaque). */
typedef struct roster_guild roster_guild;

#define ROSTER_GROUP_ONLINE UINT64_C(0xFFFFFFFFFFFFFFFE)  /**< the group id of ONLINE */
#define ROSTER_GROUP_OFFLINE UINT64_C(0xFFFFFFFFFFFFFFFF) /**< the group id of OFFLINE */

/** A member's status. */
typedef enum roster_presence {
    ROSTER_OFFLINE = 0, /**< also what a host sends for "invisible" */
    ROSTER_ONLINE = 1, /**< online */
    ROSTER_IDLE = 2,   /**< idle (away) */
    ROSTER_DND = 3     /**< do not disturb */
} roster_presence;

/** Hard upper bounds of the configuration: roster_guild_create refuses
 * (EINVAL) a config with a field above its bound. Each of these fields
 * sizes memory or work (a chunk's cached rows, the chunk list one subscribe
 * builds, per-list and per-member tables), so an unbounded value would make
 * a later call fail, or allocate without limit, instead of being refused. */
#define ROSTER_MAX_MEMBERS 268435456u        /**< 2^28: 16 GiB of member records */
#define ROSTER_MAX_ROLES 65536u              /**< bound of max_roles */
#define ROSTER_MAX_ROLES_PER_MEMBER 65536u   /**< no member holds more than all roles */
#define ROSTER_MAX_LISTS 32768u              /**< bound of max_lists */
#define ROSTER_MAX_OVERWRITES 65536u         /**< bound of max_overwrites */
#define ROSTER_MAX_SORT_KEY_BYTES 4096u      /**< bound of max_sort_key_bytes */
#define ROSTER_MAX_CHUNK_SIZE 10000u         /**< bound of chunk_size */
#define ROSTER_MAX_RANGES 500u               /**< bound of max_ranges */
#define ROSTER_MAX_RANGE_SPAN 1000000u       /**< bound of max_range_span */
#define ROSTER_MAX_SESSION_LISTS 64u         /**< bound of max_session_lists */
#define ROSTER_MAX_SESSIONS 16777216u        /**< 2^24 */
/** And together: one subscription may hold at most this many chunks, where
 * a range of max_range_span rows touches at most max_range_span /
 * chunk_size + 2 of them: a config needs
 *   max_ranges * (max_range_span / chunk_size + 2) <= ROSTER_MAX_SUBSCRIPTION_CHUNKS
 * (the defaults: 3 * (300 / 100 + 2) = 15). */
#define ROSTER_MAX_SUBSCRIPTION_CHUNKS 1000u

/** A host's allocator (roster_config.allocator). When allocate is set,
 * every byte the guild holds comes from these functions: its members,
 * lists, trees, sessions, caches and scratch buffers, the large slabs
 * included, and the guild object itself; no memory of the guild comes from
 * anywhere else (a loaded guild's memory comes from the loader's config).
 * Unset (allocate NULL), the guild uses the C and C++ runtimes as before.
 *
 * - allocate(size, user): size bytes (size > 0), aligned for any type
 *   (alignof(max_align_t), as malloc); NULL when memory has run out, and the
 *   call that needed it returns ROSTER_ENOMEM (or ROSTER_EFLUSH: see "When
 *   memory runs out").
 * - reallocate(ptr, size, user): as realloc: ptr was returned by allocate or
 *   reallocate and is not NULL, size > 0; returns the moved or resized block
 *   with the contents kept, or NULL with ptr still valid and unchanged. May
 *   be NULL: the engine then allocates, copies and deallocates instead.
 * - deallocate(ptr, user): gives back a block (never NULL). Required when
 *   allocate is set.
 *
 * The functions are called only from inside calls on the guild (and from
 * roster_guild_destroy), on the calling thread, never concurrently for one
 * guild; they must not call roster. A guild's blocks all go back to its
 * deallocate by the end of roster_guild_destroy. */
typedef struct roster_allocator {
    void *(*allocate)(size_t size, void *user_data);           /**< malloc-like; NULL: unset */
    void *(*reallocate)(void *ptr, size_t size, void *user_data); /**< realloc-like, or NULL */
    void (*deallocate)(void *ptr, void *user_data);            /**< free-like */
    void *user_data;                                           /**< passed to all three */
} roster_allocator;

/** Guild configuration. Always initialise with ROSTER_CONFIG_INIT and then
 * change fields: `size` lets later versions add fields without breaking
 * callers built against this header. In parentheses: the default, then
 * the bound (the macros above). */
typedef struct roster_config {
    uint32_t size;                 /**< sizeof(roster_config) */
    uint32_t offline_threshold;    /**< offline shown while members < this (1000) */
    uint32_t everyone_view;        /**< 1: \@everyone may VIEW the guild (1; 0 or 1) */
    uint32_t max_members;          /**< (67,108,864; 1..ROSTER_MAX_MEMBERS) */
    uint32_t max_roles;            /**< roles in the guild (1000; 1..ROSTER_MAX_ROLES) */
    uint32_t max_roles_per_member; /**< (256; 1..ROSTER_MAX_ROLES_PER_MEMBER) */
    uint32_t max_lists;            /**< lists besides list 0 (256; 0..ROSTER_MAX_LISTS) */
    uint32_t max_overwrites;       /**< role + member overwrites per list
                                      (1000; 0..ROSTER_MAX_OVERWRITES) */
    uint32_t max_sort_key_bytes;   /**< host sort keys (256; 1..ROSTER_MAX_SORT_KEY_BYTES) */
    /* Sessions (docs/frames.md §1-§2). */
    uint32_t chunk_size;           /**< rows per chunk ranges are widened to
                                      (100; 1..ROSTER_MAX_CHUNK_SIZE) */
    uint32_t max_ranges;           /**< ranges per subscription (3; 1..ROSTER_MAX_RANGES,
                                      and ROSTER_MAX_SUBSCRIPTION_CHUNKS) */
    uint32_t max_range_span;       /**< rows one range may span before widening
                                      (300; 1..ROSTER_MAX_RANGE_SPAN, and
                                      ROSTER_MAX_SUBSCRIPTION_CHUNKS) */
    uint32_t max_session_lists;    /**< lists one session may subscribe to
                                      (5; 1..ROSTER_MAX_SESSION_LISTS) */
    uint32_t max_sessions;         /**< sessions in the guild (1,048,576; 1..ROSTER_MAX_SESSIONS) */
    uint32_t reserved;             /**< 0 */
    roster_allocator allocator;    /**< memory hooks (none: the C and C++ runtimes); since 0.2 */
    uint32_t tail_deletes;         /**< 1: a DELETE for every row that leaves the end of
                                      the list inside a held chunk, for clients that never
                                      resize their rows (docs/frames.md §10) (0; 0 or 1);
                                      since 0.2 */
} roster_config;

/** The default configuration (roster_config's initialiser). */
#define ROSTER_CONFIG_INIT                                                               \
    { sizeof(roster_config), 1000u, 1u, 67108864u, 1000u, 256u, 256u, 1000u, 256u, 100u, \
      3u, 300u, 5u, 1048576u, 0u, { 0, 0, 0, 0 }, 0u }

/** Creates an empty guild (list 0, "everyone", exists from the start).
 * config may be NULL for the defaults. *out is set only on success. A
 * config from an older header (smaller size, without the session fields,
 * the allocator or tail_deletes) gets the session defaults, no allocator
 * hooks and no tail deletes.
 * Errors: EINVAL (out NULL, config->size too small, a zero limit other
 * than max_lists and max_overwrites, a field above its ROSTER_MAX_* bound,
 * ranges that could hold more than ROSTER_MAX_SUBSCRIPTION_CHUNKS chunks,
 * reserved not 0, allocator.allocate set without allocator.deallocate or
 * the other way round, tail_deletes above 1), ENOMEM. The guild is owned by the caller: roster_guild_destroy it. */
ROSTER_API int roster_guild_create(roster_guild **out, const roster_config *config);

/** Frees the guild and everything it holds. NULL is accepted. */
ROSTER_API void roster_guild_destroy(roster_guild *guild);

/** Guild-wide \@everyone VIEW setting (view: 0 or 1). O(n L). */
ROSTER_API int roster_guild_set_everyone_view(roster_guild *guild, int view);

/** The offline threshold (docs/model.md §7). Crossing it changes every list.
 * O(1). */
ROSTER_API int roster_guild_set_offline_threshold(roster_guild *guild, uint32_t threshold);

/** Number of members in the guild. Errors: EINVAL (NULL). */
ROSTER_API int roster_guild_member_count(uint32_t *out, const roster_guild *guild);

/* ---- Batches ---------------------------------------------------------------
 * Every call that changes the guild or a subscription is flushed when it
 * returns: frames for what it changed are delivered (see Sessions below)
 * before the call returns. Events between begin and commit form one batch
 * instead: each event still takes effect (and is validated) when it is
 * called, and the frames of the whole batch are delivered at the outermost
 * commit (batches nest). Errors: EINVAL (commit without begin), EBUSY
 * (inside the frame callback); the commit that flushes: EFLUSH (see below;
 * the batch is closed all the same). */
/** Opens a batch (or a nested level of one): see above. */
ROSTER_API int roster_batch_begin(roster_guild *guild);
/** Closes a batch level; the outermost commit delivers the batch's frames. */
ROSTER_API int roster_batch_commit(roster_guild *guild);

/* ---- When memory runs out ------------------------------------------------
 * A call that fails for lack of memory before it changed anything returns
 * ROSTER_ENOMEM and the guild, its sessions and their subscriptions are
 * exactly as before; no frame was delivered. This holds for every call,
 * subscriptions and session removal included.
 *
 * Memory can also run out after the change was made, while the flush at
 * the end of the call (or at the outermost roster_batch_commit) builds or
 * delivers frames. Then the call returns ROSTER_EFLUSH: the change stands
 * (do not repeat it), the guild is consistent, and some sessions may have
 * received this flush's frame while others have not. Nothing is lost: the
 * next flush that can allocate (the next call that flushes, or
 * roster_guild_flush) brings every session up to date. The sessions of the
 * list whose frames were being built when memory ran out get INVALIDATE +
 * SYNC of every chunk they hold (a session that had already received this
 * flush's frame may get its rows again); the frames of lists not reached
 * yet come as ordinary incremental ops. */

/** Flushes now: delivers the frames of everything not delivered yet. After
 * a ROSTER_EFLUSH this resynchronises the sessions without waiting for the
 * next event. Nothing to deliver: ROSTER_OK, no frame. Errors: EINVAL (NULL
 * guild, or inside a batch: the commit flushes), EBUSY (inside the frame
 * callback), EFLUSH (memory ran out again; the same holds). */
ROSTER_API int roster_guild_flush(roster_guild *guild);

/* ---- Roles ----------------------------------------------------------------- */

#define ROSTER_ROLE_HOIST 1u /**< members shown in the role's own section */
#define ROSTER_ROLE_VIEW 2u  /**< the role grants VIEW at guild level */
#define ROSTER_ROLE_ADMIN 4u /**< sees everything */

/** A role's settings (roster_role_upsert). */
typedef struct roster_role {
    uint64_t id;      /**< not 0, not a ROSTER_GROUP_* id */
    int32_t position; /**< higher is shown first */
    uint32_t flags;   /**< ROSTER_ROLE_* */
} roster_role;

/** Creates the role, or replaces the settings of an existing one. Holders
 * are re-sectioned (hoist, position) or re-filtered (view, admin).
 * Errors: EINVAL (NULL, id 0 or reserved, unknown flag bits), ELIMIT
 * (max_roles). A new role, hoisted or not: amortised O(1) (it has no
 * holders, and a list learns of a section when a member enters it).
 * O(n r + holders log n) for a change. */
ROSTER_API int roster_role_upsert(roster_guild *guild, const roster_role *role);

/** Removes the role from the guild and from every member holding it.
 * Errors: EINVAL, ENOTFOUND. */
ROSTER_API int roster_role_remove(roster_guild *guild, uint64_t role_id);

/** Sets the positions of many roles at once (ids distinct and existing).
 * Errors: EINVAL (NULL with count > 0, duplicate or zero id), ENOTFOUND. */
ROSTER_API int roster_roles_reorder(roster_guild *guild, const uint64_t *role_ids,
                                    const int32_t *positions, size_t count);

/* ---- Members --------------------------------------------------------------- */

/** Adds a member. roles: role ids (may be NULL when role_count is 0;
 * duplicates ignored). status: a roster_presence.
 * Errors: EINVAL (id 0, bad name, bad status, NULL), ENOTFOUND (a role),
 * EEXIST (already a member), ELIMIT. O(r + L log n). */
ROSTER_API int roster_member_add(roster_guild *guild, uint64_t user_id, const char *name,
                                 size_t name_len, const uint64_t *roles, size_t role_count,
                                 int status);

/** Like roster_member_add, but replaces the data of an existing member. */
ROSTER_API int roster_member_upsert(roster_guild *guild, uint64_t user_id, const char *name,
                                    size_t name_len, const uint64_t *roles, size_t role_count,
                                    int status);

/** One new member of a bulk add. */
typedef struct roster_member_spec {
    uint64_t id;           /**< the user id, not 0 */
    const char *name;      /**< display name: UTF-8, name_len bytes */
    size_t name_len;       /**< 1..128 */
    const uint64_t *roles; /**< may be NULL when role_count is 0 */
    size_t role_count;     /**< entries of roles */
    int32_t status; /**< roster_presence */
} roster_member_spec;

/** Adds count new members at once, all or nothing. Loading a guild this way
 * costs one sort per list instead of count inserts. Each entry is checked
 * exactly as roster_member_add would check it, and an id given earlier in
 * the array counts as existing (EEXIST for the later entry); the status
 * returned is that of the first failing entry in array order. Errors not
 * about one entry: EINVAL (guild NULL, members NULL with count > 0),
 * ELIMIT (the guild would exceed max_members; checked before the entries),
 * ENOMEM, EBUSY. O(count log count) plus O(n) when the lists already hold
 * members. */
ROSTER_API int roster_members_add(roster_guild *guild, const roster_member_spec *members,
                                  size_t count);

/** roster_members_add, which on an error also writes to *failed_index (when
 * not NULL) the index of the first failing entry, or count when the error
 * is not about one entry. *failed_index is not written on success. */
ROSTER_API int roster_members_add_at(size_t *failed_index, roster_guild *guild,
                                     const roster_member_spec *members, size_t count);

/* Errors for the calls below: EINVAL (id 0 or bad argument), ENOTFOUND
 * (unknown member or role). Each is O(r + L log n). */

/** Removes the member from the guild and every list. */
ROSTER_API int roster_member_remove(roster_guild *guild, uint64_t user_id);
/** Sets the member's status (a roster_presence). */
ROSTER_API int roster_member_set_status(roster_guild *guild, uint64_t user_id, int status);
/** Renames the member (UTF-8, 1..128 bytes). */
ROSTER_API int roster_member_set_name(roster_guild *guild, uint64_t user_id, const char *name,
                                      size_t name_len);
/** A host sort key (bytes, 1..max_sort_key_bytes) replacing the default (the
 * name with ASCII A-Z folded to a-z); key NULL restores the default.
 * Errors also: EINVAL (empty key), ELIMIT (longer than max_sort_key_bytes). */
ROSTER_API int roster_member_set_sort_key(roster_guild *guild, uint64_t user_id,
                                          const void *key, size_t key_len);
/** Replaces the member's roles (duplicates ignored; roles may be NULL when
 * role_count is 0). Errors also: ELIMIT (max_roles_per_member). */
ROSTER_API int roster_member_set_roles(roster_guild *guild, uint64_t user_id,
                                       const uint64_t *roles, size_t role_count);
/** Gives the member one role (nothing when it has it). Errors also: ELIMIT. */
ROSTER_API int roster_member_add_role(roster_guild *guild, uint64_t user_id, uint64_t role_id);
/** Takes one role from the member (nothing when it does not have it). */
ROSTER_API int roster_member_remove_role(roster_guild *guild, uint64_t user_id,
                                         uint64_t role_id);
/** The member's data changed without moving it (avatar, activity, ...). */
ROSTER_API int roster_member_touch(roster_guild *guild, uint64_t user_id);

/* ---- Many member events in one call ---------------------------------------
 * For hosts that receive events in bursts (presence updates from a queue):
 * one call applies a whole array. Each event does exactly what its own call
 * does (the kinds below), with the same checks and errors; an event that
 * fails changes nothing, and the ones after it still apply. The frames of
 * the whole array are delivered once, when the call returns (or at the
 * commit of an enclosing batch). Faster than a call per event: while it
 * applies one event the engine requests the records of the next ones, so
 * their cache misses overlap; and an FFI host crosses into C once. */
#define ROSTER_EVENT_STATUS 1u      /**< status */
#define ROSTER_EVENT_NAME 2u        /**< name, name_len */
#define ROSTER_EVENT_ROLES 3u       /**< roles, role_count: the member's whole set */
#define ROSTER_EVENT_ADD_ROLE 4u    /**< role_id */
#define ROSTER_EVENT_REMOVE_ROLE 5u /**< role_id */
#define ROSTER_EVENT_TOUCH 6u       /**< (no field) */
#define ROSTER_EVENT_ADD 7u         /**< name, name_len, roles, role_count, status */
#define ROSTER_EVENT_UPSERT 8u      /**< as ADD; an existing member's data is replaced */
#define ROSTER_EVENT_REMOVE 9u      /**< (no field) */

/** One member event of roster_events_apply: kind says which fields it reads. */
typedef struct roster_event {
    uint32_t kind;         /**< ROSTER_EVENT_* */
    int32_t status;        /**< roster_presence: STATUS, ADD, UPSERT */
    uint64_t user_id;      /**< the member; every kind */
    const char *name;      /**< NAME, ADD, UPSERT */
    size_t name_len;       /**< bytes of name */
    const uint64_t *roles; /**< ROLES, ADD, UPSERT; may be NULL when role_count is 0 */
    size_t role_count;     /**< entries of roles */
    uint64_t role_id;      /**< ADD_ROLE, REMOVE_ROLE */
} roster_event;

/** Applies events[0..count) in order. event_size is sizeof(roster_event) as
 * the caller was built with (so that the struct can grow). statuses, when
 * not NULL, receives each event's status: what the event's own call would
 * return (EINVAL for an unknown kind). Returns ROSTER_OK when every event
 * succeeded, else the status of the first that failed. Errors of the call
 * itself (then nothing is applied and statuses is not written): EINVAL
 * (guild NULL, events NULL with count > 0, event_size smaller than this
 * header's roster_event or not a multiple of its alignment), EBUSY (inside
 * the frame callback). An event that runs out of memory gets ENOMEM and
 * changes nothing, like any failing event. EFLUSH when the events were
 * applied (see statuses) but the flush at the end ran out of memory: it
 * takes precedence over the events' own failures, since it concerns the
 * whole call. The events are one batch: the flush at the end (outside a
 * batch of the host's) runs when at least one event succeeded; when none
 * did, the call changed nothing and delivers nothing, as any failing call.
 * O(count) events, each at its own call's cost. */
ROSTER_API int roster_events_apply(roster_guild *guild, const roster_event *events,
                                   size_t count, size_t event_size, int *statuses);

/** A member's data (roster_member_get). */
typedef struct roster_member_info {
    uint64_t id;      /**< the user id */
    const char *name; /**< display name, name_len bytes, not terminated */
    size_t name_len;  /**< bytes of name */
    int32_t status; /**< roster_presence */
    uint64_t group; /**< its group: a role id or ROSTER_GROUP_* */
} roster_member_info;
/** A member's data. name points into the guild: valid until the next call
 * that changes the guild. Roles are written to roles[0..min(cap, count))
 * in ascending id order; *role_count receives the total.
 * Errors: EINVAL (NULL out, roles NULL with cap > 0), ENOTFOUND. */
ROSTER_API int roster_member_get(roster_member_info *out, uint64_t *roles, size_t cap,
                                 size_t *role_count, const roster_guild *guild,
                                 uint64_t user_id);

/* ---- Lists ------------------------------------------------------------------ */

#define ROSTER_OVERWRITE_NONE 0  /**< no overwrite for \@everyone */
#define ROSTER_OVERWRITE_ALLOW 1 /**< \@everyone may VIEW the list */
#define ROSTER_OVERWRITE_DENY 2  /**< \@everyone may not VIEW the list */

/** One overwrite of a list's rule. */
typedef struct roster_overwrite {
    uint64_t id;    /**< a role id (role overwrites) or user id (member overwrites) */
    int32_t allow;  /**< 1 allow VIEW, 0 deny VIEW */
} roster_overwrite;

/** Who may see a list (docs/model.md §4): \@everyone's overwrite, then role
 * overwrites, then member overwrites. Initialise with ROSTER_LIST_RULE_INIT. */
typedef struct roster_list_rule {
    uint32_t size;     /**< sizeof(roster_list_rule) */
    int32_t everyone;  /**< ROSTER_OVERWRITE_* for \@everyone */
    const roster_overwrite *roles;   /**< role overwrites (may be NULL when role_count is 0) */
    size_t role_count;               /**< entries of roles */
    const roster_overwrite *members; /**< member overwrites (may be NULL when member_count is 0) */
    size_t member_count;             /**< entries of members */
} roster_list_rule;

/** An empty rule (roster_list_rule's initialiser): everyone who may view the guild. */
#define ROSTER_LIST_RULE_INIT { sizeof(roster_list_rule), ROSTER_OVERWRITE_NONE, NULL, 0, NULL, 0 }

/** Creates list list_id with the rule, or replaces its rule. Members enter
 * and leave the list accordingly. List 0 ("everyone", every member) cannot
 * be changed. Errors: EINVAL (list 0, NULL, bad size or everyone value, id
 * 0 in an overwrite, the same role or member named twice), ELIMIT
 * (max_lists, max_overwrites). O(n r log n). */
ROSTER_API int roster_list_set(roster_guild *guild, uint64_t list_id,
                               const roster_list_rule *rule);
/** Errors: EINVAL (list 0), ENOTFOUND. */
ROSTER_API int roster_list_remove(roster_guild *guild, uint64_t list_id);

/* ---- Queries on a list -------------------------------------------------------
 * Rows are numbered from 0 over the whole list, headers included
 * (docs/model.md §5).
 * Errors for all: EINVAL (NULL), ENOTFOUND (unknown list). */

#define ROSTER_ROW_HEADER 0u /**< a group's header row */
#define ROSTER_ROW_MEMBER 1u /**< a member's row */

/** One row of a list: a group's header or a member. */
typedef struct roster_row {
    uint32_t kind;  /**< ROSTER_ROW_HEADER or ROSTER_ROW_MEMBER */
    uint32_t count; /**< header: members in its group; member: 0 */
    uint64_t group; /**< the group: a role id or ROSTER_GROUP_* */
    uint64_t user;  /**< member: its user id; header: 0 */
} roster_row;

/** A group (section) that appears in a list, and its number of members. */
typedef struct roster_group {
    uint64_t id; /**< a hoisted role's id or ROSTER_GROUP_* */
    uint32_t count; /**< members in it */
} roster_group;

/** Number of rows. O(G). */
ROSTER_API int roster_list_length(uint32_t *out, const roster_guild *guild, uint64_t list_id);
/** member_count: members visible in the list (shown or not); online_count:
 * those not offline. O(1). */
ROSTER_API int roster_list_counts(uint32_t *member_count, uint32_t *online_count,
                                  const roster_guild *guild, uint64_t list_id);
/** The groups that appear, in order: writes min(cap, total) entries, *count
 * receives the total. O(G). */
ROSTER_API int roster_list_groups(roster_group *out, size_t cap, size_t *count,
                                  const roster_guild *guild, uint64_t list_id);
/** Rows [start, end] that exist (end clipped to the last row; nothing when
 * start is past the end): writes min(cap, total), *count gets the total.
 * Errors also: EINVAL (end < start). O(G + log n + rows). */
ROSTER_API int roster_list_rows(roster_row *out, size_t cap, size_t *count,
                                const roster_guild *guild, uint64_t list_id, uint32_t start,
                                uint32_t end);
/** Row of a member shown in the list. ENOTFOUND when the member is unknown,
 * not visible in the list, or hidden (offline past the threshold).
 * O(G + log n). */
ROSTER_API int roster_list_index_of(uint32_t *out, const roster_guild *guild, uint64_t list_id,
                                    uint64_t user_id);

/** Whether the member may view the list, by the list's rule
 * (docs/model.md §4) as the engine itself applies it: *out 1 or 0. It
 * answers visibility, not presence on screen: a visible member hidden as
 * offline past the threshold still gets 1. List 0: 1 for every member. A
 * user who is not a member gets 0 (not an error). Errors: EINVAL (NULL,
 * user id 0), ENOTFOUND (unknown list). O(1). Since 0.2. */
ROSTER_API int roster_list_can_view(int *out, const roster_guild *guild, uint64_t list_id,
                                    uint64_t user_id);

/* ---- Sessions, subscriptions and frames (docs/frames.md) ---------------------
 *
 * A session is one connected client, named by a host-chosen id (not 0). It
 * subscribes to up to max_session_lists lists, each with up to max_ranges
 * row ranges. Ranges are normalised: reversed ends are swapped, each range
 * is widened to the chunk_size-row chunks it touches, duplicates merge.
 * Ranges past the end of a list are allowed; they fill as the list grows.
 *
 * After each flush (see Batches), every (session, list) with something new
 * gets exactly one frame: the list's counts, its complete groups array and
 * the ops that bring the rows the session holds up to date. A client that
 * applies ops in order as docs/frames.md §5 says (SYNC writes rows without
 * shifting; INSERT/DELETE shift later rows; INVALIDATE forgets a range;
 * afterwards the row array is resized to the sum of count + 1 over the
 * groups) always holds the true rows of every range it subscribes to.
 * Every INSERT, UPDATE and DELETE index lies inside one of the session's
 * ranges. Where ops would cost more than re-sending a chunk, the chunk gets
 * INVALIDATE + SYNC.
 *
 * Order of the ops in a frame: INVALIDATE of chunks the session no longer
 * holds; then, chunk by chunk in ascending order, the ops of the chunks it
 * keeps (each chunk's DELETEs from the bottom up, its INSERTs top down, then
 * its UPDATEs; a chunk's ops leave the rows below it where they were, but
 * for the last chunk the session holds of the list: a row that only leaves
 * at its bottom is not deleted, it is pushed past the range, where the
 * client holds nothing); then SYNC of the chunks it holds anew (consecutive
 * chunks as one range).
 *
 * Clients that never resize their row array (they ignore groups): with
 * roster_config.tail_deletes set, that exception goes, and every row that
 * leaves the end of the list inside a held chunk gets a DELETE: a chunk
 * now wholly past the end gets a DELETE of each row it held, and these
 * come before the ops of every kept chunk (the furthest down first). Such
 * a client then holds exactly the true rows of its ranges and no row past
 * the end of the list; a client that resizes is served by the same frames
 * (docs/frames.md §10).
 *
 * Sessions whose subscriptions to a list are identical share one frame: the
 * callback receives it once, with the ids of all the sessions it is for.
 *
 * Removing a list ends every subscription to it: each subscriber gets a
 * last frame (counts 0, no groups, INVALIDATE of what it held). A list
 * removed and created again inside one batch is a new list: subscriptions
 * to the old one end at the commit (INVALIDATE of what they held), and
 * subscriptions made after it was created again stand. */

/** A range of rows a session subscribes to. */
typedef struct roster_range {
    uint32_t start; /**< inclusive */
    uint32_t end;   /**< inclusive; may be below start (the ends are swapped) */
} roster_range;

#define ROSTER_OP_SYNC 0u       /**< rows [index, end], items = the rows that exist */
#define ROSTER_OP_INSERT 1u     /**< insert items[0] at index; later rows shift +1 */
#define ROSTER_OP_UPDATE 2u     /**< replace the row at index with items[0] */
#define ROSTER_OP_DELETE 3u     /**< remove the row at index; later rows shift -1 */
#define ROSTER_OP_INVALIDATE 4u /**< the session no longer holds rows [index, end] */

/** One op of a frame (docs/frames.md §4). */
typedef struct roster_op {
    uint32_t kind;       /**< ROSTER_OP_* */
    uint32_t index;      /**< the row, or the first row of a SYNC/INVALIDATE range */
    uint32_t end;        /**< SYNC/INVALIDATE: last row of the range; others: index */
    uint32_t item_count; /**< SYNC: rows in items (fewer than the range at the
                            list's end); INSERT/UPDATE: 1; DELETE/INVALIDATE: 0 */
    const roster_row *items; /**< header rows and member rows, as roster_list_rows */
} roster_op;

/** What a session receives after a flush for one list (docs/frames.md §3). */
typedef struct roster_frame {
    uint64_t list_id;      /**< the list the frame is about */
    uint32_t member_count; /**< as roster_list_counts */
    uint32_t online_count; /**< as roster_list_counts */
    const roster_group *groups; /**< every group that appears, in order */
    size_t group_count;    /**< entries of groups */
    const roster_op *ops;  /**< the ops, in the order to apply them */
    size_t op_count; /**< may be 0: only the counts or groups changed */
} roster_frame;

/** Receives one frame for the sessions sessions[0..session_count). The frame,
 * its arrays and the session array are valid only during the call: copy
 * what you keep. Inside the callback, queries (roster_list_*,
 * roster_member_get, ...) see the guild as of this flush; calls that change
 * the guild or subscribe return EBUSY, except roster_session_remove and
 * unsubscribing (a subscribe with no ranges), which are allowed: a removed
 * session gets no further frames of this flush, and an unsubscribed one gets
 * its INVALIDATE frame before the flush ends. */
typedef void (*roster_frame_fn)(const roster_frame *frame, const uint64_t *sessions,
                                size_t session_count, void *user_data);

/** Sets (fn NULL: clears) the frame callback. Without a callback, frames are
 * computed and dropped, and sessions stay consistent. Errors: EINVAL
 * (NULL guild), EBUSY. O(1). */
ROSTER_API int roster_guild_set_frame_callback(roster_guild *guild, roster_frame_fn fn,
                                               void *user_data);

/** The frame queue: instead of a callback, the guild appends each frame of
 * a flush to a buffer it owns, as one record in a flat, documented layout
 * (docs/frames.md §12), and the host takes the buffer after its call. One
 * crossing of the language boundary per call instead of one per frame:
 * the way for hosts whose callbacks are slow (JNA, ctypes) or that must
 * copy frames out anyway (a BEAM NIF).
 *
 * enable non-zero: frames go to the queue (the frame callback, if any, is
 * cleared); 0: the queue is off (frames are dropped until a callback or the
 * queue is set again); records not yet taken stay to be taken either way.
 * The queue's memory comes from the guild's allocator and counts in
 * roster_stats.memory_bytes; it keeps its largest size. Errors: EINVAL
 * (NULL guild), EBUSY. O(1). */
ROSTER_API int roster_guild_set_frame_queue(roster_guild *guild, int enable);

/** Hands out the records queued since the last take (*len 0 when none) and
 * empties the queue. *data stays valid, and unchanged, until the next
 * roster_guild_take_frames or roster_guild_destroy of this guild; flushes
 * in between append to the other of the queue's two buffers. A flush that
 * fails (EFLUSH) leaves the records of the frames it delivered before the
 * failure, each complete; the frames still owed come at the next flush.
 * Errors: EINVAL (a NULL pointer). O(1). */
ROSTER_API int roster_guild_take_frames(const void **data, size_t *len, roster_guild *guild);

/** Subscribes the session (created on first use) to ranges of the list,
 * replacing its previous subscription to that list: at the flush, chunks no
 * longer held get INVALIDATE, new ones SYNC, kept ones only their changes.
 * range_count 0 unsubscribes from the list (the session itself stays until
 * roster_session_remove). Errors: EINVAL (NULL guild, session id 0, ranges NULL with a
 * count), ENOTFOUND (unknown list), ELIMIT (max_ranges, max_range_span,
 * max_session_lists, max_sessions), EBUSY, ENOMEM (nothing changed: no
 * session made, the old ranges stand), EFLUSH (the new ranges stand; the
 * frames come at the next flush). O(ranges + chunks) plus the flush. */
ROSTER_API int roster_session_subscribe(roster_guild *guild, uint64_t session_id,
                                        uint64_t list_id, const roster_range *ranges,
                                        size_t range_count);

/** Removes the session and all its subscriptions; it gets no more frames.
 * Allowed inside the frame callback. Errors: EINVAL, ENOTFOUND, ENOMEM
 * (only inside the callback, where the removal is recorded for the end of
 * delivery; the session stays). O(lists of the session). */
ROSTER_API int roster_session_remove(roster_guild *guild, uint64_t session_id);

/** The session's normalised ranges for a list (whole chunks, ascending,
 * adjacent chunks merged): writes min(cap, total), *count gets the total
 * (0 when not subscribed). Errors: EINVAL, ENOTFOUND (unknown session). */
ROSTER_API int roster_session_ranges(roster_range *out, size_t cap, size_t *count,
                                     const roster_guild *guild, uint64_t session_id,
                                     uint64_t list_id);

/** Number of sessions. A session removed inside the frame callback is not
 * counted from the moment roster_session_remove returns (as
 * roster_session_ranges then reports it unknown), though the engine frees
 * it when the delivery ends. O(1). Errors: EINVAL (NULL). */
ROSTER_API int roster_guild_session_count(uint32_t *out, const roster_guild *guild);

/* ---- Operator statistics ------------------------------------------------- */

/** Counters and sizes of a guild, for monitoring (roster_guild_stats). The
 * caller sets size (initialise with ROSTER_STATS_INIT): later versions may
 * add fields at the end, and fill only what the caller's struct has. */
typedef struct roster_stats {
    uint32_t size;          /**< sizeof(roster_stats) as the caller was built with */
    uint32_t members;       /**< members in the guild */
    uint32_t lists;         /**< lists, list 0 included */
    uint32_t sessions;      /**< as roster_guild_session_count */
    uint64_t subscriptions; /**< distinct subscriptions: per list, the sets of sessions
                                 holding the same chunks (each gets one frame per flush) */
    uint64_t chunks_held;   /**< chunks some session holds, over all lists */
    uint64_t memory_bytes;  /**< bytes the guild holds, by its own accounting (not the RSS) */
    uint64_t flushes;       /**< flushes run since the guild was made */
    uint64_t frames;        /**< frames delivered: calls of the frame callback */
    uint64_t deliveries;    /**< frames x the sessions each was for */
    uint64_t ops;           /**< ops in the delivered frames (once per frame) */
    uint64_t rows;          /**< rows (items) in the delivered frames (once per frame) */
    uint64_t last_flush_ns; /**< the last flush's duration, the callback's time included */
    uint64_t max_flush_ns;  /**< the longest flush */
} roster_stats;

/** roster_stats' initialiser. */
#define ROSTER_STATS_INIT { sizeof(roster_stats), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Fills *out (its first out->size bytes). Counters count from the guild's
 * creation (a loaded guild starts at 0). Errors: EINVAL (NULL, or out->size
 * smaller than this version's first roster_stats). O(lists +
 * subscriptions): memory_bytes is counted as the guild allocates and frees
 * (the bytes it asked for, without the allocator's own overhead). */
ROSTER_API int roster_guild_stats(roster_stats *out, const roster_guild *guild);

/* ---- Snapshots (docs/snapshot.md) --------------------------------------------
 *
 * A guild can be written to bytes and loaded back, in another process or on
 * another machine: roles, members (names, sort keys, roles, status), lists
 * and their rules, and with ROSTER_SAVE_SESSIONS every session with its
 * subscriptions and what its client holds. The loaded guild is
 * indistinguishable from the original: every query answers the same, and
 * the same later events give byte-identical frames, delivered to the same
 * sessions in the same order. Loading sends no frame: a saved session goes
 * on receiving incremental ops as if nothing had happened (its client need
 * not know that the guild moved). Without ROSTER_SAVE_SESSIONS the loaded
 * guild has no sessions; clients subscribe again (and get SYNC).
 *
 * The format is versioned and checksummed: damaged or truncated bytes give
 * ECORRUPT, never a crash, and nothing is leaked. The frame callback is not
 * part of a snapshot: set it on the loaded guild. */

#define ROSTER_SAVE_SESSIONS 1u /**< also write sessions and what their clients hold */

/** Receives the next len bytes of a snapshot (len is at most a little over
 * 64 KiB). Returns 0 to go on; anything else stops the save (EIO). */
typedef int (*roster_write_fn)(const void *data, size_t len, void *user_data);

/** Fills buf with up to cap bytes of the snapshot and sets *got (0: the
 * bytes have ended). Returns 0 on success; anything else stops the load
 * (EIO). The loader asks for what it needs next, at most one block (a
 * little over 64 KiB) at a time, and keeps no more than that. */
typedef int (*roster_read_fn)(void *buf, size_t cap, size_t *got, void *user_data);

/** Writes the guild through write, in pieces: no second copy of the guild is
 * made. flags: 0 or ROSTER_SAVE_SESSIONS. Flushes first (what is written
 * is what the clients have been sent), so it may deliver frames still owed
 * after an EFLUSH; the guild is not changed. Errors: EINVAL (NULL guild or
 * write, unknown flags, inside a batch: commit it first), EBUSY (inside the
 * frame callback), EFLUSH (the flush ran out of memory; nothing written),
 * EIO (write returned non-zero; what was written is not a snapshot),
 * ENOMEM (nothing delivered, nothing written). O(n L + sessions). */
ROSTER_API int roster_guild_save(roster_guild *guild, uint32_t flags, roster_write_fn write,
                                 void *user_data);

/** Creates a guild from a snapshot read through read. config gives the
 * limits (NULL: the defaults) and is checked as roster_guild_create checks
 * it; the settings come from the snapshot (offline_threshold,
 * everyone_view, chunk_size and tail_deletes: the config's values of those
 * fields are not used). *out is set only on success; the frame callback is unset.
 * Every stored order is checked, not recomputed: O(n L) for n members and
 * L lists, plus the sessions' chunks.
 * Errors: EINVAL (out or read NULL, a config roster_guild_create refuses),
 * ECORRUPT (damaged or truncated bytes, or content that breaks a rule of
 * the guild even with valid checksums), EVERSION (a format this library
 * does not read), ELIMIT (the snapshot exceeds a limit of config: members,
 * roles, roles per member, lists, overwrites, sort key bytes, sessions,
 * lists per session, or a subscription wider than max_ranges and
 * max_range_span allow with the snapshot's chunk size), EIO (read failed),
 * ENOMEM. Nothing is leaked on any error. */
ROSTER_API int roster_guild_load(roster_guild **out, const roster_config *config,
                                 roster_read_fn read, void *user_data);

/** roster_guild_load from len bytes in memory (not kept after the call). */
ROSTER_API int roster_guild_load_buffer(roster_guild **out, const roster_config *config,
                                        const void *data, size_t len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /**< ROSTER_ROSTER_H */
