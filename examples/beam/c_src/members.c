/* The BEAM NIF's calls on roles and members, one at a time or in bulk
 * (members_add, events_apply). */
#include "guild.h"

#include "terms.h"

#include <string.h>

/* ---- Roles --------------------------------------------------------------- */

/* role_upsert(guild, id, position, flags) */
ERL_NIF_TERM nif_role_upsert(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
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


ERL_NIF_TERM nif_role_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_role_remove);
}

/* roles_reorder(guild, [{id, position}]) */
ERL_NIF_TERM nif_roles_reorder(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
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
ERL_NIF_TERM nif_member_add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return member_add_or_upsert(env, argv, 0);
}

ERL_NIF_TERM nif_member_upsert(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return member_add_or_upsert(env, argv, 1);
}

/* members_add(guild, [{id, name, roles, status}]): all or nothing. */
ERL_NIF_TERM nif_members_add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
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

ERL_NIF_TERM nif_member_remove(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_member_remove);
}

ERL_NIF_TERM nif_member_touch(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id_call(env, argv, roster_member_touch);
}

/* member_set_status(guild, id, status) */
ERL_NIF_TERM nif_member_set_status(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
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
ERL_NIF_TERM nif_member_set_name(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
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
ERL_NIF_TERM nif_member_set_sort_key(ErlNifEnv *env, int argc,
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
ERL_NIF_TERM nif_member_set_roles(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
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


ERL_NIF_TERM nif_member_add_role(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id2_call(env, argv, roster_member_add_role);
}

ERL_NIF_TERM nif_member_remove_role(ErlNifEnv *env, int argc,
                                           const ERL_NIF_TERM argv[]) {
    (void)argc;
    return id2_call(env, argv, roster_member_remove_role);
}

/* member_get(guild, id) -> {:ok, %{id, name, status, group, roles}} */
ERL_NIF_TERM nif_member_get(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    uint64_t id, *roles = NULL;
    roster_member_info info;
    size_t count = 0;
    int s;
    ERL_NIF_TERM values[5], map, result;
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
        values[0] = enif_make_uint64(env, (ErlNifUInt64)info.id);
        p = enif_make_new_binary(env, info.name_len, &values[1]);
        memcpy(p, info.name, info.name_len);
        values[2] = presence_atom(info.status);
        values[3] = group_term(env, info.group);
        values[4] = list;
        enif_make_map_from_arrays(env, member_keys, values, 5, &map);
        result = ok_term(env, map);
    } else {
        result = status_term(env, s);
    }
    unlock_guild(g);
    enif_free(roles);
    return result;
}

/* ---- Events in bulk ------------------------------------------------------ */

/* A hint that the event term t will be read soon: a batch's list comes to
 * the NIF cold more often than not (built long before, or received and
 * then left while other work ran), and walking it term by term waits on
 * one miss per event. A tuple is a pointer to its header with a tag in its
 * low bits; for any other term the address means nothing, and a prefetch
 * of a wrong address is a no-op, never a fault: correctness rests on the
 * NIF API alone (get_event reads and checks every term). */
static void prefetch_term(ERL_NIF_TERM t) {
#if defined(__GNUC__)
    __builtin_prefetch((const void *)(uintptr_t)(t & ~(ERL_NIF_TERM)7));
#else
    (void)t;
#endif
}

/* events_apply(guild, events) -> {:ok, statuses} (one status atom per
 * event, in order) | {:error, reason} (the call itself failed: nothing was
 * applied; or eflush: applied, but the flush ran out of memory). */
ERL_NIF_TERM nif_events_apply(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    unsigned len;
    roster_event *events = NULL;
    uint64_t **role_arrays = NULL;
    int *statuses = NULL;
    ERL_NIF_TERM *heads = NULL;
    ERL_NIF_TERM list = argv[1], head, result;
    size_t i = 0, j;
    int good = 1;
    (void)argc;
    if (!enif_get_list_length(env, list, &len)) return badarg(env);
    if (len > 0) {
        events = enif_alloc(len * sizeof *events);
        role_arrays = enif_alloc(len * sizeof *role_arrays);
        statuses = enif_alloc(len * sizeof *statuses);
        heads = enif_alloc(len * sizeof *heads);
        if (events == NULL || role_arrays == NULL || statuses == NULL || heads == NULL) {
            enif_free(events);
            enif_free(role_arrays);
            enif_free(statuses);
            enif_free(heads);
            return error_term(env, mk_atom(env, "enomem"));
        }
    }
    /* The list's cells, then the events: every tuple asked for first. */
    for (j = 0; enif_get_list_cell(env, list, &head, &list); ++j) {
        heads[j] = head;
        prefetch_term(head);
    }
    while (good && i < len) {
        good = get_event(env, heads[i], &events[i], &role_arrays[i]);
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
    enif_free(heads);
    return result;
}
