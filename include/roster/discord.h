/**
 * @file discord.h
 * roster-discord: the Discord adapter of roster (docs/discord.md).
 *
 * A small library of its own, built and installed beside libroster
 * (pkg-config roster-discord): it turns what a Discord-style gateway knows
 * into roster calls, and roster's frames into what Discord clients read.
 *
 *  - List ids: a channel's permission overwrites and the guild's \@everyone
 *    VIEW_CHANNEL give the list id Discord clients compute ("everyone" or
 *    the MurmurHash3 of the overwrites) and the roster_list_rule that makes
 *    the engine's list hold exactly the members who may view the channel.
 *  - Frames out: a roster_frame written as a complete gateway dispatch
 *    (op 0, GUILD_MEMBER_LIST_UPDATE) into the caller's buffer, with the
 *    host's member and presence JSON spliced into member items.
 *  - Requests in: a client's lazy-guild request (op 14, or the bulk op 37)
 *    parsed and applied as roster_session_subscribe calls, all or nothing,
 *    refused (ROSTER_EACCESS) for a channel the session's user cannot view.
 *
 * Conventions are those of roster.h: every call that can fail returns a
 * roster_status (ROSTER_OK or a negative ROSTER_E* code), out-parameters
 * come first, user_data last, structs that may grow start with a size
 * field, and a call that fails changes nothing. C99; also compiles as C++.
 *
 * Thread-safety: roster_discord_murmur3_32, roster_discord_compute_list_id,
 * roster_discord_list_text and roster_discord_encode_frame touch no shared
 * state and may run on any thread (the encoder calls the host's callback on
 * the calling thread). A roster_discord context is used with its guild: by
 * one thread at a time, as the guild itself.
 */
#ifndef ROSTER_DISCORD_H
#define ROSTER_DISCORD_H

#include <stddef.h>
#include <stdint.h>

#include <roster/roster.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ROSTER_DISCORD_BUILDING) && defined(__GNUC__)
#define ROSTER_DISCORD_API __attribute__((visibility("default")))
#else
#define ROSTER_DISCORD_API
#endif

/* ---- Version ----------------------------------------------------------- */

#define ROSTER_DISCORD_VERSION_MAJOR 0 /**< the major version of this header */
#define ROSTER_DISCORD_VERSION_MINOR 1 /**< the minor version of this header */
#define ROSTER_DISCORD_VERSION_PATCH 0 /**< the patch version of this header */
/** major * 10000 + minor * 100 + patch */
#define ROSTER_DISCORD_VERSION_NUMBER                                           \
    (ROSTER_DISCORD_VERSION_MAJOR * 10000 + ROSTER_DISCORD_VERSION_MINOR * 100 + \
     ROSTER_DISCORD_VERSION_PATCH)

/** The version of the roster-discord library actually linked. */
ROSTER_DISCORD_API unsigned roster_discord_version_number(void);

/* ---- MurmurHash3 ----------------------------------------------------------- */

/** MurmurHash3, x86 32-bit variant, of len bytes (data may be NULL when len
 * is 0). Pure; never fails. */
ROSTER_DISCORD_API uint32_t roster_discord_murmur3_32(const void *data, size_t len,
                                                      uint32_t seed);

/* ---- List ids and rules (docs/discord.md §2) --------------------------------- */

#define ROSTER_DISCORD_OVERWRITE_ROLE 0u   /**< a role's overwrite (Discord type 0) */
#define ROSTER_DISCORD_OVERWRITE_MEMBER 1u /**< a member's overwrite (Discord type 1) */

/** One of a channel's permission overwrites, reduced to VIEW_CHANNEL. The
 * \@everyone overwrite is the role overwrite whose id is the guild's id. */
typedef struct roster_discord_overwrite {
    uint64_t id;   /**< role id (the guild id for \@everyone) or user id; not 0 */
    uint32_t type; /**< ROSTER_DISCORD_OVERWRITE_ROLE or _MEMBER */
    int32_t view;  /**< ROSTER_OVERWRITE_NONE (neither allows nor denies
                      VIEW_CHANNEL), _ALLOW or _DENY */
} roster_discord_overwrite;

/** At most this many overwrites per channel (a channel's 100 overwrites in
 * Discord; this bound only keeps the work of one call small). */
#define ROSTER_DISCORD_MAX_OVERWRITES 1000u

/** Bytes of the longest list id text with its terminator ("4294967295"). */
#define ROSTER_DISCORD_LIST_ID_MAX 11u

/** A channel's list id, as Discord clients compute it. */
typedef struct roster_discord_list_id {
    uint32_t everyone; /**< 1: the list id is "everyone" (hash 0) */
    uint32_t hash;     /**< else: MurmurHash3 (seed 0) of the overwrite string */
    uint64_t list;     /**< the roster list id: 0 for "everyone", else
                          2^32 + hash (a context may give another one to a
                          channel whose different overwrites hash alike:
                          k * 2^32 + hash, k >= 2) */
    char text[ROSTER_DISCORD_LIST_ID_MAX + 1]; /**< "everyone" or the hash in
                                                  decimal, NUL-terminated */
} roster_discord_list_id;

/** Computes a channel's list id, and optionally the roster_list_rule that
 * makes a roster list hold exactly the members who may view the channel
 * (with roles flagged as docs/discord.md §2 says: ROSTER_ROLE_VIEW for a
 * role whose guild permissions include VIEW_CHANNEL, ROSTER_ROLE_ADMIN for
 * ADMINISTRATOR).
 *
 * everyone_view: 1 when the guild's \@everyone role has VIEW_CHANNEL.
 * guild_id: the guild's id (the \@everyone overwrite's id; 0 when only the
 * id is wanted: no overwrite is then taken as \@everyone's).
 *
 * The id is "everyone" when everyone_view is 1 and no overwrite denies
 * VIEW_CHANNEL; otherwise, "allow:<id>" for each overwrite that allows it
 * and "deny:<id>" for each that denies it, sorted, joined with ",", hashed.
 * Overwrites with view NONE take no part.
 *
 * rule (may be NULL): filled to point into scratch, which must hold
 * overwrite_count entries (scratch_cap); rule->size must be set by the
 * caller (ROSTER_LIST_RULE_INIT). Errors: EINVAL (id or overwrites NULL
 * with a count, an id 0, a bad type or view, a member overwrite with the
 * guild's id, the same id twice, rule set with scratch too small or
 * rule->size too small), ELIMIT (more than ROSTER_DISCORD_MAX_OVERWRITES).
 * Nothing written on error. O(count log count). */
ROSTER_DISCORD_API int roster_discord_compute_list_id(roster_discord_list_id *id,
                                                      roster_list_rule *rule,
                                                      roster_overwrite *scratch,
                                                      size_t scratch_cap, uint64_t guild_id,
                                                      int everyone_view,
                                                      const roster_discord_overwrite *overwrites,
                                                      size_t overwrite_count);

/** The list id text of a roster list id made by this library: "everyone"
 * for 0, else the low 32 bits in decimal. Errors: EINVAL (NULL). */
ROSTER_DISCORD_API int roster_discord_list_text(char text[ROSTER_DISCORD_LIST_ID_MAX + 1],
                                                uint64_t list);

/* ---- The adapter context (docs/discord.md §3) --------------------------------
 *
 * A context sits beside one roster_guild (which it does not own) and keeps
 * the guild's channels: each channel's overwrites give its list; channels
 * whose list ids are equal share one roster list (made with roster_list_set
 * when its first channel comes, removed when its last one goes). Channels
 * that map to "everyone" use list 0. The guild's lists other than 0 belong
 * to the context: the host must not set or remove them itself. */

/** The adapter context (opaque). */
typedef struct roster_discord roster_discord;

/** Creates a context for guild (guild_id: the guild's Discord id, the
 * \@everyone role's id) and sets the guild's \@everyone VIEW to
 * everyone_view (0 or 1) with roster_guild_set_everyone_view. The guild
 * must outlive the context. Errors: EINVAL (NULL, guild_id 0, view not 0 or
 * 1), ENOMEM, and those of roster_guild_set_everyone_view. */
ROSTER_DISCORD_API int roster_discord_create(roster_discord **out, roster_guild *guild,
                                             uint64_t guild_id, int everyone_view);

/** Frees the context; the guild and its lists stay. NULL is accepted. */
ROSTER_DISCORD_API void roster_discord_destroy(roster_discord *ctx);

/** Creates the channel, or replaces its overwrites: the channel moves to
 * the list of its new list id (made when new; the old one removed when no
 * channel uses it any more: its subscribers get their last frame). Sessions
 * that subscribed to the channel through roster_discord_request and may
 * not view it any more are unsubscribed (see roster_discord_revalidate).
 * Errors: EINVAL (NULL, channel id 0, bad overwrites as
 * roster_discord_compute_list_id), ELIMIT (overwrites, or the guild's
 * max_lists / max_overwrites), ENOMEM, EBUSY; the channel is then as
 * before. */
ROSTER_DISCORD_API int roster_discord_channel_set(roster_discord *ctx, uint64_t channel_id,
                                                  const roster_discord_overwrite *overwrites,
                                                  size_t overwrite_count);

/** Removes the channel (its list goes when no other channel uses it: its
 * subscribers get their last frame). Errors: EINVAL, ENOTFOUND, EBUSY. */
ROSTER_DISCORD_API int roster_discord_channel_remove(roster_discord *ctx, uint64_t channel_id);

/** The channel's list: *list gets the roster list id and *id (when not NULL)
 * its list id. Errors: EINVAL (NULL ctx or list), ENOTFOUND. O(log channels). */
ROSTER_DISCORD_API int roster_discord_channel_list(uint64_t *list, roster_discord_list_id *id,
                                                   const roster_discord *ctx,
                                                   uint64_t channel_id);

/** Sets the guild's \@everyone VIEW_CHANNEL (roster_guild_set_everyone_view)
 * and moves every channel whose list id changes with it (to or from
 * "everyone"), then revalidates subscriptions. Errors: EINVAL, ELIMIT
 * (max_lists), ENOMEM, EBUSY; nothing changed. */
ROSTER_DISCORD_API int roster_discord_set_everyone_view(roster_discord *ctx, int view);

/** Whether user_id may view the channel now, by the engine's own rule for
 * the channel's list (roster_list_can_view): *out 1 or 0 (0 also for a user
 * who is not a member). Errors: EINVAL, ENOTFOUND (unknown channel). */
ROSTER_DISCORD_API int roster_discord_can_view(int *out, const roster_discord *ctx,
                                               uint64_t channel_id, uint64_t user_id);

/* ---- Requests in (docs/discord.md §4) ------------------------------------------ */

/** Bounds of one request; beyond them: ELIMIT (nothing subscribed). */
#define ROSTER_DISCORD_MAX_REQUEST_BYTES 65536u /**< bytes of the JSON text */
#define ROSTER_DISCORD_MAX_REQUEST_DEPTH 16u    /**< nested arrays and objects */
#define ROSTER_DISCORD_MAX_REQUEST_CHANNELS 64u /**< channels of this guild in one request */
#define ROSTER_DISCORD_MAX_REQUEST_RANGES 16u   /**< ranges of one channel */

/** What roster_discord_request did (optional out-parameter). */
typedef struct roster_discord_request_info {
    uint32_t size;           /**< sizeof(roster_discord_request_info) */
    uint32_t op;             /**< 14 or 37 (0 when not read) */
    uint32_t channels;       /**< channels of this guild the request named */
    uint32_t lists;          /**< lists subscribed (or unsubscribed) */
    uint64_t failed_channel; /**< the channel a refusal is about, else 0 */
} roster_discord_request_info;

/** roster_discord_request_info's initialiser. */
#define ROSTER_DISCORD_REQUEST_INFO_INIT { sizeof(roster_discord_request_info), 0, 0, 0, 0 }

/** Applies a client's lazy-guild request: op 14
 * {"op":14,"d":{"guild_id":"G","channels":{"C":[[0,99],...]},...}} or op 37
 * {"op":37,"d":{"subscriptions":{"G":{"channels":{"C":[[0,99]]},...},...}}}
 * (guilds other than the context's are ignored; unknown fields are
 * skipped). For each channel named, the session (session_id, whose user is
 * user_id) subscribes to the channel's list with the given ranges ([] for a
 * channel: unsubscribes from its list); channels sharing a list have their
 * ranges joined. All or nothing, as one batch: on any error no
 * subscription changed and no frame was sent.
 *
 * Errors: EINVAL (NULL, id 0, a session first used by another user,
 * malformed JSON, an op other than 14 or 37, a
 * missing field, an id that is not a decimal string of a non-zero 64-bit
 * value, a range that is not [start, end] with integers 0 <= start <= end
 * < 2^32), ENOTFOUND (the request names no channel of this guild, or an
 * unknown channel: info->failed_channel), ELIMIT (bounds above, or the
 * guild's max_ranges, max_range_span, max_session_lists, max_sessions),
 * ROSTER_EACCESS (user_id may not view a channel: info->failed_channel),
 * ENOMEM, EBUSY, EFLUSH (as roster_session_subscribe: subscribed, frames
 * owed). */
ROSTER_DISCORD_API int roster_discord_request(roster_discord_request_info *info,
                                              roster_discord *ctx, uint64_t session_id,
                                              uint64_t user_id, const char *json, size_t len);

/** Forgets a session's subscriptions as the context knows them (call it
 * beside roster_session_remove). Errors: EINVAL, ENOTFOUND. */
ROSTER_DISCORD_API int roster_discord_session_remove(roster_discord *ctx, uint64_t session_id);

/** Unsubscribes every session from each list it subscribed to through
 * roster_discord_request whose channel its user may no longer view (after
 * roles, role flags or overwrites changed: the host calls it after such
 * events; channel_set and set_everyone_view call it). *removed (may be
 * NULL) gets the number of subscriptions ended. Errors: EINVAL, ENOMEM,
 * EBUSY. */
ROSTER_DISCORD_API int roster_discord_revalidate(size_t *removed, roster_discord *ctx);

/* ---- Frames out (docs/discord.md §5) ------------------------------------------ */

/** The host's JSON for one member row: *member gets a JSON object (the
 * member: user, roles, nick, ...) of *member_len bytes, *presence (may be
 * left NULL: no "presence" field) a JSON object of *presence_len bytes. The
 * encoder splices them verbatim: {"member":{<member's fields>,"presence":
 * <presence>}}; it checks only that each is an object's text ({...}). The
 * buffers must stay valid until the next call of the callback. Returns
 * ROSTER_OK, or a status that stops the encoding (returned as is). */
typedef int (*roster_discord_member_fn)(const char **member, size_t *member_len,
                                        const char **presence, size_t *presence_len,
                                        uint64_t user_id, void *user_data);

/** How to encode frames (roster_discord_encode_frame). */
typedef struct roster_discord_encoder {
    uint32_t size;       /**< sizeof(roster_discord_encoder) */
    uint32_t reserved;   /**< 0 */
    uint64_t guild_id;   /**< written as "guild_id" */
    uint64_t seq;        /**< written as "s" */
    const char *list_id; /**< the "id" text; NULL: roster_discord_list_text(frame->list_id) */
    roster_discord_member_fn member; /**< the member rows' JSON; required */
    void *user_data;     /**< passed to member */
} roster_discord_encoder;

/** roster_discord_encoder's initialiser. */
#define ROSTER_DISCORD_ENCODER_INIT { sizeof(roster_discord_encoder), 0, 0, 0, NULL, NULL, NULL }

/** Writes the frame as one gateway dispatch:
 * {"op":0,"t":"GUILD_MEMBER_LIST_UPDATE","s":N,"d":{"guild_id":"G","id":"L",
 * "member_count":M,"online_count":O,"groups":[{"id":"..","count":N},...],
 * "ops":[...]}} (group ids: role ids as strings, "online", "offline"; ops
 * SYNC, INSERT, UPDATE, DELETE, INVALIDATE as docs/discord.md §5 shows).
 * No terminator is written. *len gets the bytes written, or with ELIMIT the
 * bytes needed: nothing is ever written past buf[cap - 1] (buf may be NULL
 * with cap 0 to measure). Errors: EINVAL (NULL len, frame or encoder,
 * encoder->size too small, member callback NULL, a member's JSON that is
 * not an object, a bad op or row kind), ELIMIT (cap too small; *len = the
 * size needed), or what the callback returned. O(bytes). */
ROSTER_DISCORD_API int roster_discord_encode_frame(size_t *len, char *buf, size_t cap,
                                                   const roster_frame *frame,
                                                   const roster_discord_encoder *encoder);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ROSTER_DISCORD_H */
