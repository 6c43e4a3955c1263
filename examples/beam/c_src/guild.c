/* The guild resource of the BEAM NIF: a roster_guild with its lock, its
 * owner and the environment its frame messages are made in; the count of
 * live guilds; the frame callback; the helpers every call uses. */
#include "guild.h"

#include "terms.h"

#include <string.h>

static ErlNifResourceType *guild_type;
live_count *live;

void live_add(long delta) {
    enif_mutex_lock(live->lock);
    live->guilds += delta;
    enif_mutex_unlock(live->lock);
}

static void guild_dtor(ErlNifEnv *env, void *obj) {
    nif_guild *g = (nif_guild *)obj;
    (void)env;
    if (g->guild != NULL) {
        roster_guild_destroy(g->guild);
        g->guild = NULL;
        live_add(-1);
    }
    json_buf_free(&g->text);
    pool_drop(g);
    if (g->msg_env != NULL) enif_free_env(g->msg_env);
    if (g->lock != NULL) enif_mutex_destroy(g->lock);
}

/* The frame callback: the frame is copied into terms in the guild's
 * message env and sent to the owner. It runs on the thread of the NIF call
 * that flushed (a scheduler thread, dirty or not), so the call's own env is
 * the caller env of enif_send. */
static void on_frame(const roster_frame *frame, const uint64_t *sessions, size_t session_count,
                     void *user_data) {
    nif_guild *g = (nif_guild *)user_data;
    ERL_NIF_TERM msg;
    if (!g->has_owner) return;
    /* JSON that cannot be made (memory ran out) comes as terms instead. */
    if (g->json && frame_json(&g->text, g->guild, frame)) {
        msg = frame_message_text(g->msg_env, frame, sessions, session_count, g->text.data,
                                 g->text.len);
    } else {
        msg = frame_message(g->msg_env, frame, sessions, session_count);
    }
    /* A dead owner is no error: the frame is dropped. */
    (void)enif_send(g->call_env, &g->owner, g->msg_env, msg);
    enif_clear_env(g->msg_env);
}

/* The guild of argv[0], locked: returns NULL and sets *err (the term to
 * return) when it is not a guild or is closed. */
nif_guild *lock_guild(ErlNifEnv *env, ERL_NIF_TERM t, ERL_NIF_TERM *err) {
    nif_guild *g;
    if (!enif_get_resource(env, t, guild_type, (void **)&g)) {
        *err = badarg(env);
        return NULL;
    }
    enif_mutex_lock(g->lock);
    if (g->guild == NULL) {
        enif_mutex_unlock(g->lock);
        *err = error_term(env, atom_closed);
        return NULL;
    }
    g->call_env = env;
    return g;
}

void unlock_guild(nif_guild *g) {
    if (g->queue && g->guild != NULL) queue_send(g);
    g->call_env = NULL;
    enif_mutex_unlock(g->lock);
}


/* A new resource holding guild (which it owns from now on), owned by the
 * calling process. */
ERL_NIF_TERM wrap_guild(ErlNifEnv *env, roster_guild *guild) {
    nif_guild *g = enif_alloc_resource(guild_type, sizeof *g);
    ERL_NIF_TERM term;
    if (g == NULL) {
        roster_guild_destroy(guild);
        return error_term(env, mk_atom(env, "enomem"));
    }
    memset(g, 0, sizeof *g);
    g->lock = enif_mutex_create("roster_guild");
    g->msg_env = enif_alloc_env();
    if (g->lock == NULL || g->msg_env == NULL) {
        roster_guild_destroy(guild);
        enif_release_resource(g); /* the destructor frees what was made */
        return error_term(env, mk_atom(env, "enomem"));
    }
    g->guild = guild;
    live_add(1);
    g->has_owner = enif_self(env, &g->owner) != NULL;
    if (roster_guild_set_frame_callback(guild, on_frame, g) != ROSTER_OK) {
        /* Cannot fail on a new guild outside a callback; keep it honest. */
        term = enif_make_resource(env, g);
        enif_release_resource(g);
        return error_term(env, atom_unknown);
    }
    term = enif_make_resource(env, g);
    enif_release_resource(g);
    return ok_term(env, term);
}

/* A call taking the guild and one id (role_remove, member_remove, ...). */
ERL_NIF_TERM id_call(ErlNifEnv *env, const ERL_NIF_TERM argv[],
                            int (*fn)(roster_guild *, uint64_t)) {
    nif_guild *g;
    uint64_t id;
    int s;
    if (!get_u64(env, argv[1], &id)) return badarg(env);
    LOCK(g);
    s = fn(g->guild, id);
    unlock_guild(g);
    return status_term(env, s);
}

/* A call taking the guild and two ids (member_add_role, member_remove_role). */
ERL_NIF_TERM id2_call(ErlNifEnv *env, const ERL_NIF_TERM argv[],
                             int (*fn)(roster_guild *, uint64_t, uint64_t)) {
    nif_guild *g;
    uint64_t a, b;
    int s;
    if (!get_u64(env, argv[1], &a) || !get_u64(env, argv[2], &b)) return badarg(env);
    LOCK(g);
    s = fn(g->guild, a, b);
    unlock_guild(g);
    return status_term(env, s);
}

int guild_set_queue(nif_guild *g, int queue) {
    int s = ROSTER_OK;
    if (queue == g->queue) return s;
    s = queue ? roster_guild_set_frame_queue(g->guild, 1)
              : roster_guild_set_frame_callback(g->guild, on_frame, g);
    if (s == ROSTER_OK) g->queue = queue;
    return s;
}

int guild_open_type(ErlNifEnv *env) {
    guild_type = enif_open_resource_type(env, NULL, "roster_guild", guild_dtor,
                                         ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER, NULL);
    return guild_type != NULL;
}
