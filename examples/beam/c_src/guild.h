/* The guild resource of the BEAM NIF (guild.c) and the calls made in
 * members.c. */
#ifndef ROSTER_NIF_GUILD_H
#define ROSTER_NIF_GUILD_H

#include <erl_nif.h>
#include <roster/roster.h>

#include <stdint.h>

#include "json.h"

typedef struct block_pool block_pool; /* queue.c */

typedef struct nif_guild {
    ErlNifMutex *lock;
    roster_guild *guild; /* NULL once closed */
    ErlNifPid owner;
    int has_owner;
    ErlNifEnv *call_env; /* the env of the NIF call in progress (frames) */
    ErlNifEnv *msg_env;  /* frame messages are built here, then sent */
    int json;            /* frames as JSON text (json.c) instead of terms */
    int queue;           /* frames queued, sent as one binary per call (queue.c) */
    json_buf text;       /* the JSON of the frame being sent */
    block_pool *pool;    /* buffers of large frame blocks (queue.c), or NULL */
} nif_guild;


/* Guilds alive in this VM (created or loaded, not yet destroyed): for
 * tests of the resource's lifetime and for monitoring. Kept in the
 * library's private data, which a hot upgrade hands to the new library
 * with the resources it takes over. */
typedef struct live_count {
    ErlNifMutex *lock;
    long guilds;
} live_count;
extern live_count *live;
void live_add(long delta);

/* Opens (or takes over) the resource type; 0 on failure. */
int guild_open_type(ErlNifEnv *env);
/* The guild of t, locked, with env as the env frames are sent from;
 * NULL with *err the term to return when t is no guild or is closed. */
nif_guild *lock_guild(ErlNifEnv *env, ERL_NIF_TERM t, ERL_NIF_TERM *err);
void unlock_guild(nif_guild *g);
/* Locks argv[0]'s guild or returns the error term from the calling NIF. */
#define LOCK(g)                                            \
    do {                                                   \
        ERL_NIF_TERM lock_err_;                            \
        (g) = lock_guild(env, argv[0], &lock_err_);        \
        if ((g) == NULL) return lock_err_;                 \
    } while (0)

/* {:ok, resource} owning guild (destroyed on failure), frames to the
 * calling process. */
ERL_NIF_TERM wrap_guild(ErlNifEnv *env, roster_guild *guild);
/* A call taking the guild and one id, or two ids: argv[1], argv[2]. */
ERL_NIF_TERM id_call(ErlNifEnv *env, const ERL_NIF_TERM argv[], int (*fn)(roster_guild *, uint64_t));
ERL_NIF_TERM id2_call(ErlNifEnv *env, const ERL_NIF_TERM argv[],
                      int (*fn)(roster_guild *, uint64_t, uint64_t));

/* Frames to the callback (queue 0) or to the queue (queue 1); a status. */
int guild_set_queue(nif_guild *g, int queue);

/* queue.c */
/* The atoms and the resource type of frame blocks; 0 on failure. */
int queue_init(ErlNifEnv *env);
/* The guild lets go of its block pool (its destructor). */
void pool_drop(nif_guild *g);
/* The frames queued by the call in progress, to the owner in one message. */
void queue_send(nif_guild *g);
ERL_NIF_TERM nif_frames_decode(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);

/* stream.c: a snapshot loaded while its pieces arrive. */
int stream_open_type(ErlNifEnv *env);
ERL_NIF_TERM nif_load_stream_open(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_load_stream_feed(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_load_stream_finish(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);

/* members.c */
ERL_NIF_TERM nif_role_upsert(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_role_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_roles_reorder(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_upsert(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_members_add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_touch(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_set_status(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_set_name(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_set_sort_key(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_set_roles(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_add_role(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_remove_role(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_member_get(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);
ERL_NIF_TERM nif_events_apply(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]);

#endif
