/* The BEAM NIF over roster's C API (include/roster/roster.h only): the
 * module Roster.NIF of the Elixir package in this folder. README.md here
 * documents every function, the terms it takes and returns, the frame
 * messages, which calls run on dirty schedulers, and the threading.
 *
 * Conventions kept by every function below:
 *  - it returns :ok, {:ok, Value} or {:error, Reason}; Reason is the lower-case
 *    name of a ROSTER_E* status (einval, enotfound, ...), badarg for a term
 *    of the wrong type or shape, closed for a guild closed before;
 *  - it never raises and never crashes the VM on any term;
 *  - the arguments are checked before the guild is touched, so a badarg
 *    leaves the guild unchanged (and roster itself leaves a guild unchanged
 *    on any error).
 *
 * A guild is a resource: the roster_guild, a mutex (a roster_guild is used
 * by one thread at a time, while a resource can be used from several
 * processes at once), the owner pid frames are sent to, and an environment
 * the frame messages are built in. Its destructor (the resource's last
 * reference dropped, by the GC or a process exit) destroys the guild. */
#include <erl_nif.h>
#include <roster/roster.h>

#include "terms.h"

#include <stdint.h>
#include <string.h>

typedef struct nif_guild {
    ErlNifMutex *lock;
    roster_guild *guild; /* NULL once closed */
    ErlNifPid owner;
    int has_owner;
    ErlNifEnv *call_env; /* the env of the NIF call in progress (frames) */
    ErlNifEnv *msg_env;  /* frame messages are built here, then sent */
} nif_guild;

static ErlNifResourceType *guild_type;
/* Guilds alive in this VM (created or loaded, not yet destroyed): for
 * tests of the resource's lifetime and for monitoring. Kept in the
 * library's private data, which a hot upgrade hands to the new library
 * with the resources it takes over. */
typedef struct live_count {
    ErlNifMutex *lock;
    long guilds;
} live_count;
static live_count *live;

/* ---- The resource -------------------------------------------------------- */

static void live_add(long delta) {
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
    msg = frame_message(g->msg_env, frame, sessions, session_count);
    /* A dead owner is no error: the frame is dropped. */
    (void)enif_send(g->call_env, &g->owner, g->msg_env, msg);
    enif_clear_env(g->msg_env);
}

/* The guild of argv[0], locked: returns NULL and sets *err (the term to
 * return) when it is not a guild or is closed. */
static nif_guild *lock_guild(ErlNifEnv *env, ERL_NIF_TERM t, ERL_NIF_TERM *err) {
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

static void unlock_guild(nif_guild *g) {
    g->call_env = NULL;
    enif_mutex_unlock(g->lock);
}

/* Locks argv[0]'s guild or returns the error term from the calling NIF. */
#define LOCK(g)                                            \
    do {                                                   \
        ERL_NIF_TERM lock_err_;                            \
        (g) = lock_guild(env, argv[0], &lock_err_);        \
        if ((g) == NULL) return lock_err_;                 \
    } while (0)

/* A new resource holding guild (which it owns from now on), owned by the
 * calling process. */
static ERL_NIF_TERM wrap_guild(ErlNifEnv *env, roster_guild *guild) {
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

/* ---- Guild, batches ------------------------------------------------------ */

static ERL_NIF_TERM nif_new(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    roster_config config;
    roster_guild *guild = NULL;
    int s;
    (void)argc;
    if (!get_config(env, argv[0], &config)) return badarg(env);
    s = roster_guild_create(&guild, &config);
    if (s != ROSTER_OK) return status_term(env, s);
    return wrap_guild(env, guild);
}

static ERL_NIF_TERM nif_close(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    (void)argc;
    LOCK(g);
    roster_guild_destroy(g->guild);
    g->guild = NULL;
    live_add(-1);
    unlock_guild(g);
    return atom_ok;
}

static ERL_NIF_TERM nif_live_guilds(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    long n;
    (void)argc;
    (void)argv;
    enif_mutex_lock(live->lock);
    n = live->guilds;
    enif_mutex_unlock(live->lock);
    return ok_term(env, enif_make_long(env, n));
}

static ERL_NIF_TERM nif_version(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    const char *v = roster_version_string();
    ERL_NIF_TERM bin;
    unsigned char *p = enif_make_new_binary(env, strlen(v), &bin);
    (void)argc;
    (void)argv;
    memcpy(p, v, strlen(v));
    return ok_term(env, bin);
}

/* set_owner(guild, pid | nil): where frames go (nil: nowhere). */
static ERL_NIF_TERM nif_set_owner(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    ErlNifPid pid;
    int has;
    (void)argc;
    if (enif_is_identical(argv[1], atom_nil)) {
        has = 0;
    } else if (enif_get_local_pid(env, argv[1], &pid)) {
        has = 1;
    } else {
        return badarg(env);
    }
    LOCK(g);
    g->has_owner = has;
    if (has) g->owner = pid;
    unlock_guild(g);
    return atom_ok;
}

static ERL_NIF_TERM nif_set_everyone_view(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    int b, s;
    (void)argc;
    if (!get_bool(argv[1], &b)) return badarg(env);
    LOCK(g);
    s = roster_guild_set_everyone_view(g->guild, b);
    unlock_guild(g);
    return status_term(env, s);
}

static ERL_NIF_TERM nif_set_offline_threshold(ErlNifEnv *env, int argc,
                                              const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint32_t v;
    int s;
    (void)argc;
    if (!get_u32(env, argv[1], &v)) return badarg(env);
    LOCK(g);
    s = roster_guild_set_offline_threshold(g->guild, v);
    unlock_guild(g);
    return status_term(env, s);
}

/* A call of the guild alone (batch_begin, batch_commit, flush). */
static ERL_NIF_TERM guild_call(ErlNifEnv *env, const ERL_NIF_TERM argv[],
                               int (*fn)(roster_guild *)) {
    nif_guild *g;
    int s;
    LOCK(g);
    s = fn(g->guild);
    unlock_guild(g);
    return status_term(env, s);
}

static ERL_NIF_TERM nif_batch_begin(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return guild_call(env, argv, roster_batch_begin);
}

static ERL_NIF_TERM nif_batch_commit(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return guild_call(env, argv, roster_batch_commit);
}

static ERL_NIF_TERM nif_flush(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return guild_call(env, argv, roster_guild_flush);
}

static ERL_NIF_TERM nif_member_count(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint32_t n = 0;
    int s;
    (void)argc;
    LOCK(g);
    s = roster_guild_member_count(&n, g->guild);
    unlock_guild(g);
    return s == ROSTER_OK ? ok_term(env, enif_make_uint(env, n)) : status_term(env, s);
}

static ERL_NIF_TERM nif_session_count(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint32_t n = 0;
    int s;
    (void)argc;
    LOCK(g);
    s = roster_guild_session_count(&n, g->guild);
    unlock_guild(g);
    return s == ROSTER_OK ? ok_term(env, enif_make_uint(env, n)) : status_term(env, s);
}

/* ---- Roles --------------------------------------------------------------- */

/* role_upsert(guild, id, position, flags) */
static ERL_NIF_TERM nif_role_upsert(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    roster_role role;
    int s;
    (void)argc;
    if (!get_u64(env, argv[1], &role.id) || !get_i32(env, argv[2], &role.position) ||
        !get_role_flags(env, argv[3], &role.flags)) {
        return badarg(env);
    }
    LOCK(g);
    s = roster_role_upsert(g->guild, &role);
    unlock_guild(g);
    return status_term(env, s);
}

/* A call taking the guild and one id (role_remove, member_remove, ...). */
static ERL_NIF_TERM id_call(ErlNifEnv *env, const ERL_NIF_TERM argv[],
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

static ERL_NIF_TERM nif_role_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_role_remove);
}

/* roles_reorder(guild, [{id, position}]) */
static ERL_NIF_TERM nif_roles_reorder(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    unsigned len;
    uint64_t *ids = NULL;
    int32_t *positions = NULL;
    ERL_NIF_TERM list = argv[1], head;
    size_t i = 0;
    int s;
    (void)argc;
    if (!enif_get_list_length(env, list, &len)) return badarg(env);
    if (len > 0) {
        ids = enif_alloc(len * sizeof *ids);
        positions = enif_alloc(len * sizeof *positions);
        if (ids == NULL || positions == NULL) {
            enif_free(ids);
            enif_free(positions);
            return error_term(env, mk_atom(env, "enomem"));
        }
    }
    while (enif_get_list_cell(env, list, &head, &list)) {
        const ERL_NIF_TERM *t;
        int arity;
        if (!enif_get_tuple(env, head, &arity, &t) || arity != 2 || !get_u64(env, t[0], &ids[i]) ||
            !get_i32(env, t[1], &positions[i])) {
            enif_free(ids);
            enif_free(positions);
            return badarg(env);
        }
        ++i;
    }
    {
        ERL_NIF_TERM err;
        g = lock_guild(env, argv[0], &err);
        if (g == NULL) {
            enif_free(ids);
            enif_free(positions);
            return err;
        }
    }
    s = roster_roles_reorder(g->guild, ids, positions, len);
    unlock_guild(g);
    enif_free(ids);
    enif_free(positions);
    return status_term(env, s);
}

/* ---- Members ------------------------------------------------------------- */

static ERL_NIF_TERM member_add_or_upsert(ErlNifEnv *env, const ERL_NIF_TERM argv[], int upsert) {
    nif_guild *g;
    uint64_t id, *roles = NULL;
    size_t role_count = 0;
    ErlNifBinary name;
    int status, s;
    ERL_NIF_TERM err;
    if (!get_u64(env, argv[1], &id) || !enif_inspect_binary(env, argv[2], &name) ||
        !get_presence(argv[4], &status) || !get_u64_list(env, argv[3], &roles, &role_count)) {
        return badarg(env);
    }
    g = lock_guild(env, argv[0], &err);
    if (g == NULL) {
        enif_free(roles);
        return err;
    }
    s = (upsert ? roster_member_upsert : roster_member_add)(
        g->guild, id, (const char *)name.data, name.size, roles, role_count, status);
    unlock_guild(g);
    enif_free(roles);
    return status_term(env, s);
}

/* member_add(guild, id, name, roles, status) */
static ERL_NIF_TERM nif_member_add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return member_add_or_upsert(env, argv, 0);
}

static ERL_NIF_TERM nif_member_upsert(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return member_add_or_upsert(env, argv, 1);
}

/* members_add(guild, [{id, name, roles, status}]): all or nothing. */
static ERL_NIF_TERM nif_members_add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    unsigned len;
    roster_member_spec *specs = NULL;
    uint64_t **role_arrays = NULL;
    ERL_NIF_TERM list = argv[1], head, result;
    size_t i = 0, j;
    int good = 1;
    (void)argc;
    if (!enif_get_list_length(env, list, &len)) return badarg(env);
    if (len > 0) {
        specs = enif_alloc(len * sizeof *specs);
        role_arrays = enif_alloc(len * sizeof *role_arrays);
        if (specs == NULL || role_arrays == NULL) {
            enif_free(specs);
            enif_free(role_arrays);
            return error_term(env, mk_atom(env, "enomem"));
        }
    }
    while (good && enif_get_list_cell(env, list, &head, &list)) {
        const ERL_NIF_TERM *t;
        int arity, status;
        ErlNifBinary name;
        roster_member_spec *m = &specs[i];
        uint64_t *roles = NULL;
        size_t role_count = 0;
        good = enif_get_tuple(env, head, &arity, &t) && arity == 4 && get_u64(env, t[0], &m->id) &&
               enif_inspect_binary(env, t[1], &name) && get_presence(t[3], &status) &&
               get_u64_list(env, t[2], &roles, &role_count);
        if (good) {
            m->name = (const char *)name.data;
            m->name_len = name.size;
            m->roles = roles;
            m->role_count = role_count;
            m->status = status;
            role_arrays[i] = roles;
            ++i;
        }
    }
    if (good) {
        g = lock_guild(env, argv[0], &result);
        if (g != NULL) {
            int s = roster_members_add(g->guild, specs, len);
            unlock_guild(g);
            result = status_term(env, s);
        }
    } else {
        result = badarg(env);
    }
    for (j = 0; j < i; ++j) enif_free(role_arrays[j]);
    enif_free(role_arrays);
    enif_free(specs);
    return result;
}

static ERL_NIF_TERM nif_member_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_member_remove);
}

static ERL_NIF_TERM nif_member_touch(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_member_touch);
}

/* member_set_status(guild, id, status) */
static ERL_NIF_TERM nif_member_set_status(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t id;
    int status, s;
    (void)argc;
    if (!get_u64(env, argv[1], &id) || !get_presence(argv[2], &status)) return badarg(env);
    LOCK(g);
    s = roster_member_set_status(g->guild, id, status);
    unlock_guild(g);
    return status_term(env, s);
}

/* member_set_name(guild, id, name) */
static ERL_NIF_TERM nif_member_set_name(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t id;
    ErlNifBinary name;
    int s;
    (void)argc;
    if (!get_u64(env, argv[1], &id) || !enif_inspect_binary(env, argv[2], &name)) {
        return badarg(env);
    }
    LOCK(g);
    s = roster_member_set_name(g->guild, id, (const char *)name.data, name.size);
    unlock_guild(g);
    return status_term(env, s);
}

/* member_set_sort_key(guild, id, key | nil) */
static ERL_NIF_TERM nif_member_set_sort_key(ErlNifEnv *env, int argc,
                                            const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t id;
    ErlNifBinary key;
    int s, reset;
    (void)argc;
    if (!get_u64(env, argv[1], &id)) return badarg(env);
    reset = enif_is_identical(argv[2], atom_nil);
    if (!reset && !enif_inspect_binary(env, argv[2], &key)) return badarg(env);
    LOCK(g);
    s = reset ? roster_member_set_sort_key(g->guild, id, NULL, 0)
              : roster_member_set_sort_key(g->guild, id, key.data, key.size);
    unlock_guild(g);
    return status_term(env, s);
}

/* member_set_roles(guild, id, roles) */
static ERL_NIF_TERM nif_member_set_roles(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t id, *roles = NULL;
    size_t count = 0;
    int s;
    ERL_NIF_TERM err;
    (void)argc;
    if (!get_u64(env, argv[1], &id) || !get_u64_list(env, argv[2], &roles, &count)) {
        return badarg(env);
    }
    g = lock_guild(env, argv[0], &err);
    if (g == NULL) {
        enif_free(roles);
        return err;
    }
    s = roster_member_set_roles(g->guild, id, roles, count);
    unlock_guild(g);
    enif_free(roles);
    return status_term(env, s);
}

/* A call taking the guild and two ids (member_add_role, member_remove_role). */
static ERL_NIF_TERM id2_call(ErlNifEnv *env, const ERL_NIF_TERM argv[],
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

static ERL_NIF_TERM nif_member_add_role(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id2_call(env, argv, roster_member_add_role);
}

static ERL_NIF_TERM nif_member_remove_role(ErlNifEnv *env, int argc,
                                           const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id2_call(env, argv, roster_member_remove_role);
}

/* member_get(guild, id) -> {:ok, %{id, name, status, group, roles}} */
static ERL_NIF_TERM nif_member_get(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t id, *roles = NULL;
    roster_member_info info;
    size_t count = 0;
    int s;
    ERL_NIF_TERM keys[5], values[5], map, result;
    (void)argc;
    if (!get_u64(env, argv[1], &id)) return badarg(env);
    LOCK(g);
    s = roster_member_get(&info, NULL, 0, &count, g->guild, id);
    if (s == ROSTER_OK && count > 0) {
        roles = enif_alloc(count * sizeof *roles);
        if (roles == NULL) {
            s = ROSTER_ENOMEM;
        } else {
            s = roster_member_get(&info, roles, count, &count, g->guild, id);
        }
    }
    if (s == ROSTER_OK) {
        unsigned char *p;
        ERL_NIF_TERM list = enif_make_list(env, 0);
        size_t i;
        for (i = count; i > 0; --i) {
            list = enif_make_list_cell(env, enif_make_uint64(env, (ErlNifUInt64)roles[i - 1]), list);
        }
        keys[0] = mk_atom(env, "id");
        values[0] = enif_make_uint64(env, (ErlNifUInt64)info.id);
        keys[1] = mk_atom(env, "name");
        p = enif_make_new_binary(env, info.name_len, &values[1]);
        memcpy(p, info.name, info.name_len);
        keys[2] = mk_atom(env, "status");
        values[2] = presence_atom(info.status);
        keys[3] = mk_atom(env, "group");
        values[3] = group_term(env, info.group);
        keys[4] = mk_atom(env, "roles");
        values[4] = list;
        enif_make_map_from_arrays(env, keys, values, 5, &map);
        result = ok_term(env, map);
    } else {
        result = status_term(env, s);
    }
    unlock_guild(g);
    enif_free(roles);
    return result;
}

/* ---- Events in bulk ------------------------------------------------------ */

/* events_apply(guild, events) -> {:ok, statuses} (one status atom per
 * event, in order) | {:error, reason} (the call itself failed: nothing was
 * applied; or eflush: applied, but the flush ran out of memory). */
static ERL_NIF_TERM nif_events_apply(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    unsigned len;
    roster_event *events = NULL;
    uint64_t **role_arrays = NULL;
    int *statuses = NULL;
    ERL_NIF_TERM list = argv[1], head, result;
    size_t i = 0, j;
    int good = 1;
    (void)argc;
    if (!enif_get_list_length(env, list, &len)) return badarg(env);
    if (len > 0) {
        events = enif_alloc(len * sizeof *events);
        role_arrays = enif_alloc(len * sizeof *role_arrays);
        statuses = enif_alloc(len * sizeof *statuses);
        if (events == NULL || role_arrays == NULL || statuses == NULL) {
            enif_free(events);
            enif_free(role_arrays);
            enif_free(statuses);
            return error_term(env, mk_atom(env, "enomem"));
        }
    }
    while (good && enif_get_list_cell(env, list, &head, &list)) {
        good = get_event(env, head, &events[i], &role_arrays[i]);
        if (good) ++i;
    }
    if (good) {
        g = lock_guild(env, argv[0], &result);
        if (g != NULL) {
            int s;
            /* 1 is no status: what the call did not write. */
            for (j = 0; j < len; ++j) statuses[j] = 1;
            s = roster_events_apply(g->guild, events, len, sizeof(roster_event), statuses);
            unlock_guild(g);
            if (s == ROSTER_EFLUSH || (s != ROSTER_OK && (len == 0 || statuses[0] == 1))) {
                result = status_term(env, s);
            } else {
                ERL_NIF_TERM out = enif_make_list(env, 0);
                for (j = len; j > 0; --j) {
                    out = enif_make_list_cell(env, status_atom(env, statuses[j - 1]), out);
                }
                result = ok_term(env, out);
            }
        }
    } else {
        result = badarg(env);
    }
    for (j = 0; j < i; ++j) enif_free(role_arrays[j]);
    if (!good && i < len) enif_free(role_arrays[i]); /* NULL: get_event freed or made none */
    enif_free(role_arrays);
    enif_free(events);
    enif_free(statuses);
    return result;
}

/* ---- Lists ---------------------------------------------------------------- */

/* list_set(guild, list_id, everyone, role_overwrites, member_overwrites) */
static ERL_NIF_TERM nif_list_set(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    roster_overwrite *roles = NULL, *members = NULL;
    uint64_t list_id;
    ERL_NIF_TERM result;
    (void)argc;
    if (!get_u64(env, argv[1], &list_id)) return badarg(env);
    if (enif_is_identical(argv[2], atom_none)) {
        rule.everyone = ROSTER_OVERWRITE_NONE;
    } else if (enif_is_identical(argv[2], atom_allow)) {
        rule.everyone = ROSTER_OVERWRITE_ALLOW;
    } else if (enif_is_identical(argv[2], atom_deny)) {
        rule.everyone = ROSTER_OVERWRITE_DENY;
    } else {
        return badarg(env);
    }
    if (!get_overwrites(env, argv[3], &roles, &rule.role_count)) return badarg(env);
    if (!get_overwrites(env, argv[4], &members, &rule.member_count)) {
        enif_free(roles);
        return badarg(env);
    }
    rule.roles = roles;
    rule.members = members;
    g = lock_guild(env, argv[0], &result);
    if (g != NULL) {
        int s = roster_list_set(g->guild, list_id, &rule);
        unlock_guild(g);
        result = status_term(env, s);
    }
    enif_free(roles);
    enif_free(members);
    return result;
}

static ERL_NIF_TERM nif_list_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_list_remove);
}

static ERL_NIF_TERM nif_list_length(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t list_id;
    uint32_t n = 0;
    int s;
    (void)argc;
    if (!get_u64(env, argv[1], &list_id)) return badarg(env);
    LOCK(g);
    s = roster_list_length(&n, g->guild, list_id);
    unlock_guild(g);
    return s == ROSTER_OK ? ok_term(env, enif_make_uint(env, n)) : status_term(env, s);
}

/* list_counts(guild, list_id) -> {:ok, {member_count, online_count}} */
static ERL_NIF_TERM nif_list_counts(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t list_id;
    uint32_t members = 0, online = 0;
    int s;
    (void)argc;
    if (!get_u64(env, argv[1], &list_id)) return badarg(env);
    LOCK(g);
    s = roster_list_counts(&members, &online, g->guild, list_id);
    unlock_guild(g);
    if (s != ROSTER_OK) return status_term(env, s);
    return ok_term(env, enif_make_tuple2(env, enif_make_uint(env, members),
                                         enif_make_uint(env, online)));
}

/* list_groups(guild, list_id) -> {:ok, [{group, count}]} */
static ERL_NIF_TERM nif_list_groups(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t list_id;
    roster_group *groups = NULL;
    size_t count = 0;
    int s;
    ERL_NIF_TERM result;
    (void)argc;
    if (!get_u64(env, argv[1], &list_id)) return badarg(env);
    LOCK(g);
    s = roster_list_groups(NULL, 0, &count, g->guild, list_id);
    if (s == ROSTER_OK && count > 0) {
        groups = enif_alloc(count * sizeof *groups);
        s = groups == NULL ? ROSTER_ENOMEM
                           : roster_list_groups(groups, count, &count, g->guild, list_id);
    }
    result = s == ROSTER_OK ? ok_term(env, groups_term(env, groups, count)) : status_term(env, s);
    unlock_guild(g);
    enif_free(groups);
    return result;
}

/* list_rows(guild, list_id, start, end) -> {:ok, [row]} */
static ERL_NIF_TERM nif_list_rows(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t list_id;
    uint32_t start, end;
    roster_row *rows = NULL;
    size_t count = 0;
    int s;
    ERL_NIF_TERM result;
    (void)argc;
    if (!get_u64(env, argv[1], &list_id) || !get_u32(env, argv[2], &start) ||
        !get_u32(env, argv[3], &end)) {
        return badarg(env);
    }
    LOCK(g);
    s = roster_list_rows(NULL, 0, &count, g->guild, list_id, start, end);
    if (s == ROSTER_OK && count > 0) {
        rows = enif_alloc(count * sizeof *rows);
        s = rows == NULL ? ROSTER_ENOMEM
                         : roster_list_rows(rows, count, &count, g->guild, list_id, start, end);
    }
    result = s == ROSTER_OK ? ok_term(env, rows_term(env, rows, count)) : status_term(env, s);
    unlock_guild(g);
    enif_free(rows);
    return result;
}

/* list_index_of(guild, list_id, user_id) -> {:ok, row} */
static ERL_NIF_TERM nif_list_index_of(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t list_id, user;
    uint32_t row = 0;
    int s;
    (void)argc;
    if (!get_u64(env, argv[1], &list_id) || !get_u64(env, argv[2], &user)) return badarg(env);
    LOCK(g);
    s = roster_list_index_of(&row, g->guild, list_id, user);
    unlock_guild(g);
    return s == ROSTER_OK ? ok_term(env, enif_make_uint(env, row)) : status_term(env, s);
}

/* ---- Sessions ------------------------------------------------------------- */

/* session_subscribe(guild, session_id, list_id, [{start, end}]); [] unsubscribes. */
static ERL_NIF_TERM nif_session_subscribe(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t session, list_id;
    unsigned len;
    roster_range *ranges = NULL;
    ERL_NIF_TERM list = argv[3], head, result;
    size_t i = 0;
    (void)argc;
    if (!get_u64(env, argv[1], &session) || !get_u64(env, argv[2], &list_id) ||
        !enif_get_list_length(env, list, &len)) {
        return badarg(env);
    }
    if (len > 0) {
        ranges = enif_alloc(len * sizeof *ranges);
        if (ranges == NULL) return error_term(env, mk_atom(env, "enomem"));
    }
    while (enif_get_list_cell(env, list, &head, &list)) {
        const ERL_NIF_TERM *t;
        int arity;
        if (!enif_get_tuple(env, head, &arity, &t) || arity != 2 ||
            !get_u32(env, t[0], &ranges[i].start) || !get_u32(env, t[1], &ranges[i].end)) {
            enif_free(ranges);
            return badarg(env);
        }
        ++i;
    }
    g = lock_guild(env, argv[0], &result);
    if (g != NULL) {
        int s = roster_session_subscribe(g->guild, session, list_id, ranges, len);
        unlock_guild(g);
        result = status_term(env, s);
    }
    enif_free(ranges);
    return result;
}

static ERL_NIF_TERM nif_session_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_session_remove);
}

/* session_ranges(guild, session_id, list_id) -> {:ok, [{start, end}]} */
static ERL_NIF_TERM nif_session_ranges(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t session, list_id;
    roster_range *ranges = NULL;
    size_t count = 0, i;
    int s;
    ERL_NIF_TERM result;
    (void)argc;
    if (!get_u64(env, argv[1], &session) || !get_u64(env, argv[2], &list_id)) {
        return badarg(env);
    }
    LOCK(g);
    s = roster_session_ranges(NULL, 0, &count, g->guild, session, list_id);
    if (s == ROSTER_OK && count > 0) {
        ranges = enif_alloc(count * sizeof *ranges);
        s = ranges == NULL
                ? ROSTER_ENOMEM
                : roster_session_ranges(ranges, count, &count, g->guild, session, list_id);
    }
    if (s == ROSTER_OK) {
        ERL_NIF_TERM out = enif_make_list(env, 0);
        for (i = count; i > 0; --i) {
            out = enif_make_list_cell(env,
                                      enif_make_tuple2(env, enif_make_uint(env, ranges[i - 1].start),
                                                       enif_make_uint(env, ranges[i - 1].end)),
                                      out);
        }
        result = ok_term(env, out);
    } else {
        result = status_term(env, s);
    }
    unlock_guild(g);
    enif_free(ranges);
    return result;
}

/* ---- Statistics and snapshots -------------------------------------------- */

static ERL_NIF_TERM nif_stats(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    roster_stats st = ROSTER_STATS_INIT;
    ERL_NIF_TERM keys[13], values[13], map;
    int s, n = 0;
    (void)argc;
    LOCK(g);
    s = roster_guild_stats(&st, g->guild);
    unlock_guild(g);
    if (s != ROSTER_OK) return status_term(env, s);
#define STAT(f)                                                  \
    keys[n] = mk_atom(env, #f);                                  \
    values[n] = enif_make_uint64(env, (ErlNifUInt64)st.f);       \
    ++n;
    STAT(members)
    STAT(lists)
    STAT(sessions)
    STAT(subscriptions)
    STAT(chunks_held)
    STAT(memory_bytes)
    STAT(flushes)
    STAT(frames)
    STAT(deliveries)
    STAT(ops)
    STAT(rows)
    STAT(last_flush_ns)
    STAT(max_flush_ns)
#undef STAT
    enif_make_map_from_arrays(env, keys, values, (unsigned)n, &map);
    return ok_term(env, map);
}

/* The snapshot is written into a binary that grows as it comes. */
typedef struct snap_buf {
    ErlNifBinary bin;
    size_t len;
} snap_buf;

static int snap_write(const void *data, size_t len, void *user_data) {
    snap_buf *b = (snap_buf *)user_data;
    if (len > b->bin.size - b->len) {
        size_t cap = b->bin.size;
        while (len > cap - b->len) {
            if (cap > (size_t)-1 / 2) return -1;
            cap *= 2;
        }
        if (!enif_realloc_binary(&b->bin, cap)) return -1;
    }
    memcpy(b->bin.data + b->len, data, len);
    b->len += len;
    return 0;
}

/* save(guild, with_sessions) -> {:ok, binary} */
static ERL_NIF_TERM nif_save(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    snap_buf b;
    int sessions, s;
    (void)argc;
    if (!get_bool(argv[1], &sessions)) return badarg(env);
    if (!enif_alloc_binary(65536, &b.bin)) return error_term(env, mk_atom(env, "enomem"));
    b.len = 0;
    {
        ERL_NIF_TERM err;
        g = lock_guild(env, argv[0], &err);
        if (g == NULL) {
            enif_release_binary(&b.bin);
            return err;
        }
    }
    s = roster_guild_save(g->guild, sessions ? ROSTER_SAVE_SESSIONS : 0u, snap_write, &b);
    unlock_guild(g);
    if (s != ROSTER_OK || !enif_realloc_binary(&b.bin, b.len)) {
        enif_release_binary(&b.bin);
        return status_term(env, s != ROSTER_OK ? s : ROSTER_ENOMEM);
    }
    return ok_term(env, enif_make_binary(env, &b.bin));
}

/* load(binary, config) -> {:ok, guild} owned by the caller */
static ERL_NIF_TERM nif_load(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    ErlNifBinary bin;
    roster_config config;
    roster_guild *guild = NULL;
    int s;
    (void)argc;
    if (!enif_inspect_binary(env, argv[0], &bin) || !get_config(env, argv[1], &config)) {
        return badarg(env);
    }
    s = roster_guild_load_buffer(&guild, &config, bin.data, bin.size);
    if (s != ROSTER_OK) return status_term(env, s);
    return wrap_guild(env, guild);
}

/* ---- Module ----------------------------------------------------------------- */

/* The resource type and the atoms; live is set before. */
static int open_types(ErlNifEnv *env) {
    guild_type = enif_open_resource_type(env, NULL, "roster_guild", guild_dtor,
                                         ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER, NULL);
    if (guild_type == NULL) return 1;
    terms_init(env);
    return 0;
}

static int on_load(ErlNifEnv *env, void **priv, ERL_NIF_TERM info) {
    (void)info;
    live = enif_alloc(sizeof *live);
    if (live == NULL) return 1;
    live->guilds = 0;
    live->lock = enif_mutex_create("roster_live_guilds");
    if (live->lock == NULL) {
        enif_free(live);
        return 1;
    }
    *priv = live;
    return open_types(env);
}

/* A new version of the library replaces a loaded one: it takes over the
 * guilds (the resource type) and the count of them. */
static int on_upgrade(ErlNifEnv *env, void **priv, void **old_priv, ERL_NIF_TERM info) {
    (void)info;
    live = (live_count *)*old_priv;
    *priv = live;
    return open_types(env);
}

#define DIRTY ERL_NIF_DIRTY_JOB_CPU_BOUND

/* Calls that can take longer than about a millisecond on a large guild run
 * on dirty CPU schedulers (README.md, "Schedulers"). */
static ErlNifFunc funcs[] = {
    {"new", 1, nif_new, 0},
    {"close", 1, nif_close, DIRTY},
    {"live_guilds", 0, nif_live_guilds, 0},
    {"version", 0, nif_version, 0},
    {"set_owner", 2, nif_set_owner, 0},
    {"set_everyone_view", 2, nif_set_everyone_view, DIRTY},
    {"set_offline_threshold", 2, nif_set_offline_threshold, DIRTY},
    {"member_count", 1, nif_member_count, 0},
    {"session_count", 1, nif_session_count, 0},
    {"batch_begin", 1, nif_batch_begin, 0},
    {"batch_commit", 1, nif_batch_commit, DIRTY},
    {"flush", 1, nif_flush, DIRTY},
    {"role_upsert", 4, nif_role_upsert, DIRTY},
    {"role_remove", 2, nif_role_remove, DIRTY},
    {"roles_reorder", 2, nif_roles_reorder, DIRTY},
    {"member_add", 5, nif_member_add, 0},
    {"member_upsert", 5, nif_member_upsert, 0},
    {"members_add", 2, nif_members_add, DIRTY},
    {"member_remove", 2, nif_member_remove, 0},
    {"member_set_status", 3, nif_member_set_status, 0},
    {"member_set_name", 3, nif_member_set_name, 0},
    {"member_set_sort_key", 3, nif_member_set_sort_key, 0},
    {"member_set_roles", 3, nif_member_set_roles, 0},
    {"member_add_role", 3, nif_member_add_role, 0},
    {"member_remove_role", 3, nif_member_remove_role, 0},
    {"member_touch", 2, nif_member_touch, 0},
    {"member_get", 2, nif_member_get, 0},
    {"events_apply", 2, nif_events_apply, DIRTY},
    {"list_set", 5, nif_list_set, DIRTY},
    {"list_remove", 2, nif_list_remove, DIRTY},
    {"list_length", 2, nif_list_length, 0},
    {"list_counts", 2, nif_list_counts, 0},
    {"list_groups", 2, nif_list_groups, 0},
    {"list_rows", 4, nif_list_rows, 0},
    {"list_index_of", 3, nif_list_index_of, 0},
    {"session_subscribe", 4, nif_session_subscribe, 0},
    {"session_remove", 2, nif_session_remove, 0},
    {"session_ranges", 3, nif_session_ranges, 0},
    {"stats", 1, nif_stats, 0},
    {"save", 2, nif_save, DIRTY},
    {"load", 2, nif_load, DIRTY},
};

ERL_NIF_INIT(Elixir.Roster.NIF, funcs, on_load, NULL, on_upgrade, NULL)
