/* Terms of the BEAM NIF: reading the arguments of the calls (ids, names,
 * statuses, lists of the documented shapes) and making the results and
 * the frame messages (README.md here, "Using it" and "Frames"). */
#include "terms.h"

#include <string.h>

ERL_NIF_TERM atom_ok, atom_error, atom_badarg, atom_closed, atom_nil, atom_true,
    atom_false, atom_online, atom_offline, atom_idle, atom_dnd, atom_invisible, atom_header,
    atom_member, atom_sync, atom_insert, atom_update, atom_delete, atom_invalidate,
    atom_roster_frame, atom_none, atom_allow, atom_deny, atom_hoist, atom_view, atom_admin,
    atom_unknown, atom_roster_snapshot;


/* ---- Terms -------------------------------------------------------------- */

ERL_NIF_TERM mk_atom(ErlNifEnv *env, const char *name) {
    ERL_NIF_TERM a;
    if (enif_make_existing_atom(env, name, &a, ERL_NIF_LATIN1)) return a;
    return enif_make_atom(env, name);
}

ERL_NIF_TERM error_term(ErlNifEnv *env, ERL_NIF_TERM reason) {
    return enif_make_tuple2(env, atom_error, reason);
}

ERL_NIF_TERM badarg(ErlNifEnv *env) { return error_term(env, atom_badarg); }

ERL_NIF_TERM ok_term(ErlNifEnv *env, ERL_NIF_TERM value) {
    return enif_make_tuple2(env, atom_ok, value);
}

/* The status names, in the order of -status; their atoms, made once when
 * the library loads (an atom looked up by name per call would hash the
 * name each time: events_apply returns one per event). */
static const char *const status_names[] = {"ok",       "einval",    "enotfound", "eexist",
                                           "elimit",   "enomem",    "ebusy",     "ecorrupt",
                                           "eversion", "einternal", "eflush",    "eio"};
#define STATUS_COUNT ((int)(sizeof status_names / sizeof status_names[0]))
static ERL_NIF_TERM status_atoms[STATUS_COUNT];

/* The status as an atom: ok, or the ROSTER_E* name in lower case. */
ERL_NIF_TERM status_atom(ErlNifEnv *env, int status) {
    (void)env;
    if (status <= 0 && -status < STATUS_COUNT) return status_atoms[-status];
    return atom_unknown;
}

/* :ok or {:error, status}. */
ERL_NIF_TERM status_term(ErlNifEnv *env, int status) {
    if (status == ROSTER_OK) return atom_ok;
    return error_term(env, status_atom(env, status));
}

int get_u64(ErlNifEnv *env, ERL_NIF_TERM t, uint64_t *out) {
    ErlNifUInt64 v;
    if (!enif_get_uint64(env, t, &v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

int get_u32(ErlNifEnv *env, ERL_NIF_TERM t, uint32_t *out) {
    unsigned v;
    if (!enif_get_uint(env, t, &v)) return 0;
    *out = (uint32_t)v;
    return 1;
}

int get_i32(ErlNifEnv *env, ERL_NIF_TERM t, int32_t *out) {
    int v;
    if (!enif_get_int(env, t, &v)) return 0;
    *out = (int32_t)v;
    return 1;
}

int get_bool(ERL_NIF_TERM t, int *out) {
    if (enif_is_identical(t, atom_true)) {
        *out = 1;
    } else if (enif_is_identical(t, atom_false)) {
        *out = 0;
    } else {
        return 0;
    }
    return 1;
}

/* A status atom: online, idle, dnd, offline (invisible counts as offline). */
int get_presence(ERL_NIF_TERM t, int *out) {
    if (enif_is_identical(t, atom_online)) {
        *out = ROSTER_ONLINE;
    } else if (enif_is_identical(t, atom_idle)) {
        *out = ROSTER_IDLE;
    } else if (enif_is_identical(t, atom_dnd)) {
        *out = ROSTER_DND;
    } else if (enif_is_identical(t, atom_offline) || enif_is_identical(t, atom_invisible)) {
        *out = ROSTER_OFFLINE;
    } else {
        return 0;
    }
    return 1;
}

ERL_NIF_TERM presence_atom(int status) {
    switch (status) {
    case ROSTER_ONLINE: return atom_online;
    case ROSTER_IDLE: return atom_idle;
    case ROSTER_DND: return atom_dnd;
    default: return atom_offline;
    }
}

/* A group id: a role id, or the atoms online / offline. */
ERL_NIF_TERM group_term(ErlNifEnv *env, uint64_t id) {
    if (id == ROSTER_GROUP_ONLINE) return atom_online;
    if (id == ROSTER_GROUP_OFFLINE) return atom_offline;
    return enif_make_uint64(env, (ErlNifUInt64)id);
}

/* A row: {:header, group, count} or {:member, user_id, group}. */
ERL_NIF_TERM row_term(ErlNifEnv *env, const roster_row *row) {
    if (row->kind == ROSTER_ROW_HEADER) {
        return enif_make_tuple3(env, atom_header, group_term(env, row->group),
                                enif_make_uint(env, row->count));
    }
    return enif_make_tuple3(env, atom_member, enif_make_uint64(env, (ErlNifUInt64)row->user),
                            group_term(env, row->group));
}

ERL_NIF_TERM rows_term(ErlNifEnv *env, const roster_row *rows, size_t n) {
    ERL_NIF_TERM list = enif_make_list(env, 0);
    while (n > 0) {
        --n;
        list = enif_make_list_cell(env, row_term(env, &rows[n]), list);
    }
    return list;
}

ERL_NIF_TERM groups_term(ErlNifEnv *env, const roster_group *groups, size_t n) {
    ERL_NIF_TERM list = enif_make_list(env, 0);
    while (n > 0) {
        --n;
        list = enif_make_list_cell(
            env,
            enif_make_tuple2(env, group_term(env, groups[n].id),
                             enif_make_uint(env, groups[n].count)),
            list);
    }
    return list;
}

/* A list of ids (uint64): a fresh array in *out (enif_free it; NULL when
 * the list is empty). */
int get_u64_list(ErlNifEnv *env, ERL_NIF_TERM list, uint64_t **out, size_t *count) {
    unsigned len;
    ERL_NIF_TERM head;
    size_t i = 0;
    uint64_t *ids = NULL;
    if (!enif_get_list_length(env, list, &len)) return 0;
    if (len > 0) {
        ids = enif_alloc(len * sizeof *ids);
        if (ids == NULL) return 0;
    }
    while (enif_get_list_cell(env, list, &head, &list)) {
        if (!get_u64(env, head, &ids[i])) {
            enif_free(ids);
            return 0;
        }
        ++i;
    }
    *out = ids;
    *count = len;
    return 1;
}


/* ---- Configuration ------------------------------------------------------- */

/* One {key, value} of a config; 0 for an unknown key or a bad value. */
static int config_field(ErlNifEnv *env, roster_config *c, ERL_NIF_TERM key, ERL_NIF_TERM value) {
    char name[32];
    uint32_t v;
    int b;
    if (enif_get_atom(env, key, name, sizeof name, ERL_NIF_LATIN1) <= 0) return 0;
    if (strcmp(name, "everyone_view") == 0 && get_bool(value, &b)) {
        c->everyone_view = (uint32_t)b;
        return 1;
    }
    if (strcmp(name, "tail_deletes") == 0 && get_bool(value, &b)) {
        c->tail_deletes = (uint32_t)b;
        return 1;
    }
    if (!get_u32(env, value, &v)) return 0;
#define FIELD(f)                     \
    if (strcmp(name, #f) == 0) {     \
        c->f = v;                    \
        return 1;                    \
    }
    FIELD(offline_threshold)
    FIELD(everyone_view)
    FIELD(max_members)
    FIELD(max_roles)
    FIELD(max_roles_per_member)
    FIELD(max_lists)
    FIELD(max_overwrites)
    FIELD(max_sort_key_bytes)
    FIELD(chunk_size)
    FIELD(max_ranges)
    FIELD(max_range_span)
    FIELD(max_session_lists)
    FIELD(max_sessions)
    FIELD(tail_deletes)
#undef FIELD
    return 0;
}

/* A config: a map or a keyword list of the roster_config fields. */
int get_config(ErlNifEnv *env, ERL_NIF_TERM t, roster_config *c) {
    roster_config init = ROSTER_CONFIG_INIT;
    *c = init;
    if (enif_is_map(env, t)) {
        ErlNifMapIterator it;
        ERL_NIF_TERM k, v;
        int good = 1;
        if (!enif_map_iterator_create(env, t, &it, ERL_NIF_MAP_ITERATOR_FIRST)) return 0;
        while (good && enif_map_iterator_get_pair(env, &it, &k, &v)) {
            good = config_field(env, c, k, v);
            enif_map_iterator_next(env, &it);
        }
        enif_map_iterator_destroy(env, &it);
        return good;
    } else {
        ERL_NIF_TERM head;
        unsigned len;
        if (!enif_get_list_length(env, t, &len)) return 0;
        while (enif_get_list_cell(env, t, &head, &t)) {
            const ERL_NIF_TERM *kv;
            int arity;
            if (!enif_get_tuple(env, head, &arity, &kv) || arity != 2) return 0;
            if (!config_field(env, c, kv[0], kv[1])) return 0;
        }
        return 1;
    }
}


/* ---- Roles, events, overwrites ------------------------------------------ */

/* Role flags: a list of the atoms hoist, view, admin, or an integer. */
int get_role_flags(ErlNifEnv *env, ERL_NIF_TERM t, uint32_t *out) {
    ERL_NIF_TERM head;
    unsigned len;
    uint32_t flags = 0;
    if (get_u32(env, t, out)) return 1;
    if (!enif_get_list_length(env, t, &len)) return 0;
    while (enif_get_list_cell(env, t, &head, &t)) {
        if (enif_is_identical(head, atom_hoist)) {
            flags |= ROSTER_ROLE_HOIST;
        } else if (enif_is_identical(head, atom_view)) {
            flags |= ROSTER_ROLE_VIEW;
        } else if (enif_is_identical(head, atom_admin)) {
            flags |= ROSTER_ROLE_ADMIN;
        } else {
            return 0;
        }
    }
    *out = flags;
    return 1;
}


/* The kinds of event, by their atoms (made when the library loads): a
 * kind is found by identity, not by reading the atom's name. */
static ERL_NIF_TERM atom_ev_status, atom_ev_name, atom_ev_roles, atom_ev_add_role,
    atom_ev_remove_role, atom_ev_touch, atom_ev_remove, atom_ev_add, atom_ev_upsert;

/* One event term into *e; its roles (if any) into a fresh array *roles. */
int get_event(ErlNifEnv *env, ERL_NIF_TERM t, roster_event *e, uint64_t **roles) {
    const ERL_NIF_TERM *f;
    int arity, status;
    ERL_NIF_TERM kind;
    ErlNifBinary name;
    memset(e, 0, sizeof *e);
    *roles = NULL;
    if (!enif_get_tuple(env, t, &arity, &f) || arity < 2) return 0;
    kind = f[0];
    if (!get_u64(env, f[1], &e->user_id)) return 0;
    if (enif_is_identical(kind, atom_ev_status) && arity == 3 && get_presence(f[2], &status)) {
        e->kind = ROSTER_EVENT_STATUS;
        e->status = status;
    } else if (enif_is_identical(kind, atom_ev_name) && arity == 3 &&
               enif_inspect_binary(env, f[2], &name)) {
        e->kind = ROSTER_EVENT_NAME;
        e->name = (const char *)name.data;
        e->name_len = name.size;
    } else if (enif_is_identical(kind, atom_ev_roles) && arity == 3 &&
               get_u64_list(env, f[2], roles, &e->role_count)) {
        e->kind = ROSTER_EVENT_ROLES;
        e->roles = *roles;
    } else if (enif_is_identical(kind, atom_ev_add_role) && arity == 3 &&
               get_u64(env, f[2], &e->role_id)) {
        e->kind = ROSTER_EVENT_ADD_ROLE;
    } else if (enif_is_identical(kind, atom_ev_remove_role) && arity == 3 &&
               get_u64(env, f[2], &e->role_id)) {
        e->kind = ROSTER_EVENT_REMOVE_ROLE;
    } else if (enif_is_identical(kind, atom_ev_touch) && arity == 2) {
        e->kind = ROSTER_EVENT_TOUCH;
    } else if (enif_is_identical(kind, atom_ev_remove) && arity == 2) {
        e->kind = ROSTER_EVENT_REMOVE;
    } else if ((enif_is_identical(kind, atom_ev_add) || enif_is_identical(kind, atom_ev_upsert)) &&
               arity == 5 && enif_inspect_binary(env, f[2], &name) &&
               get_presence(f[4], &status) && get_u64_list(env, f[3], roles, &e->role_count)) {
        e->kind = enif_is_identical(kind, atom_ev_add) ? ROSTER_EVENT_ADD : ROSTER_EVENT_UPSERT;
        e->name = (const char *)name.data;
        e->name_len = name.size;
        e->roles = *roles;
        e->status = status;
    } else {
        return 0;
    }
    return 1;
}


/* Overwrites: a list of {id, :allow | :deny}. */
int get_overwrites(ErlNifEnv *env, ERL_NIF_TERM list, roster_overwrite **out,
                          size_t *count) {
    unsigned len;
    ERL_NIF_TERM head;
    roster_overwrite *o = NULL;
    size_t i = 0;
    if (!enif_get_list_length(env, list, &len)) return 0;
    if (len > 0) {
        o = enif_alloc(len * sizeof *o);
        if (o == NULL) return 0;
    }
    while (enif_get_list_cell(env, list, &head, &list)) {
        const ERL_NIF_TERM *t;
        int arity;
        if (!enif_get_tuple(env, head, &arity, &t) || arity != 2 || !get_u64(env, t[0], &o[i].id)) {
            enif_free(o);
            return 0;
        }
        if (enif_is_identical(t[1], atom_allow)) {
            o[i].allow = 1;
        } else if (enif_is_identical(t[1], atom_deny)) {
            o[i].allow = 0;
        } else {
            enif_free(o);
            return 0;
        }
        ++i;
    }
    *out = o;
    *count = len;
    return 1;
}


/* ---- Frames ---------------------------------------------------------------- */

static ERL_NIF_TERM op_term(ErlNifEnv *env, const roster_op *op) {
    ERL_NIF_TERM index = enif_make_uint(env, op->index);
    switch (op->kind) {
    case ROSTER_OP_SYNC:
        return enif_make_tuple4(env, atom_sync, index, enif_make_uint(env, op->end),
                                rows_term(env, op->items, op->item_count));
    case ROSTER_OP_INSERT:
        return enif_make_tuple3(env, atom_insert, index, row_term(env, &op->items[0]));
    case ROSTER_OP_UPDATE:
        return enif_make_tuple3(env, atom_update, index, row_term(env, &op->items[0]));
    case ROSTER_OP_DELETE:
        return enif_make_tuple2(env, atom_delete, index);
    case ROSTER_OP_INVALIDATE:
        return enif_make_tuple3(env, atom_invalidate, index, enif_make_uint(env, op->end));
    default:
        return enif_make_tuple2(env, atom_unknown, enif_make_uint(env, op->kind));
    }
}

/* The message {:roster_frame, list_id, sessions, frame} of one frame,
 * made in env (README.md, "Frames"). */
static ERL_NIF_TERM session_list(ErlNifEnv *env, const uint64_t *sessions, size_t n) {
    ERL_NIF_TERM ids = enif_make_list(env, 0);
    while (n > 0) {
        --n;
        ids = enif_make_list_cell(env, enif_make_uint64(env, (ErlNifUInt64)sessions[n]), ids);
    }
    return ids;
}

ERL_NIF_TERM frame_message_text(ErlNifEnv *env, const roster_frame *frame,
                                const uint64_t *sessions, size_t session_count, const char *text,
                                size_t len) {
    ERL_NIF_TERM bin;
    unsigned char *p = enif_make_new_binary(env, len, &bin);
    if (p == NULL) return frame_message(env, frame, sessions, session_count);
    memcpy(p, text, len);
    return enif_make_tuple4(env, atom_roster_frame,
                            enif_make_uint64(env, (ErlNifUInt64)frame->list_id),
                            session_list(env, sessions, session_count), bin);
}

/* The keys of a frame's map and of member_get's, made when the library
 * loads (not looked up by name per frame). */
static ERL_NIF_TERM frame_keys[5];
ERL_NIF_TERM member_keys[5];

ERL_NIF_TERM frame_message(ErlNifEnv *env, const roster_frame *frame, const uint64_t *sessions,
                           size_t session_count) {
    ERL_NIF_TERM ops = enif_make_list(env, 0), ids = session_list(env, sessions, session_count),
                 values[5], map;
    size_t i;
    for (i = frame->op_count; i > 0; --i) {
        ops = enif_make_list_cell(env, op_term(env, &frame->ops[i - 1]), ops);
    }
    values[0] = enif_make_uint64(env, (ErlNifUInt64)frame->list_id);
    values[1] = enif_make_uint(env, frame->member_count);
    values[2] = enif_make_uint(env, frame->online_count);
    values[3] = groups_term(env, frame->groups, frame->group_count);
    values[4] = ops;
    if (!enif_make_map_from_arrays(env, frame_keys, values, 5, &map)) {
        map = atom_error; /* cannot happen: the keys are distinct */
    }
    return enif_make_tuple4(env, atom_roster_frame, values[0], ids, map);
}

void terms_init(ErlNifEnv *env) {
    atom_ok = enif_make_atom(env, "ok");
    atom_error = enif_make_atom(env, "error");
    atom_badarg = enif_make_atom(env, "badarg");
    atom_closed = enif_make_atom(env, "closed");
    atom_roster_snapshot = enif_make_atom(env, "roster_snapshot");
    atom_nil = enif_make_atom(env, "nil");
    atom_true = enif_make_atom(env, "true");
    atom_false = enif_make_atom(env, "false");
    atom_online = enif_make_atom(env, "online");
    atom_offline = enif_make_atom(env, "offline");
    atom_idle = enif_make_atom(env, "idle");
    atom_dnd = enif_make_atom(env, "dnd");
    atom_invisible = enif_make_atom(env, "invisible");
    atom_header = enif_make_atom(env, "header");
    atom_member = enif_make_atom(env, "member");
    atom_sync = enif_make_atom(env, "sync");
    atom_insert = enif_make_atom(env, "insert");
    atom_update = enif_make_atom(env, "update");
    atom_delete = enif_make_atom(env, "delete");
    atom_invalidate = enif_make_atom(env, "invalidate");
    atom_roster_frame = enif_make_atom(env, "roster_frame");
    atom_none = enif_make_atom(env, "none");
    atom_allow = enif_make_atom(env, "allow");
    atom_deny = enif_make_atom(env, "deny");
    atom_hoist = enif_make_atom(env, "hoist");
    atom_view = enif_make_atom(env, "view");
    atom_admin = enif_make_atom(env, "admin");
    atom_unknown = enif_make_atom(env, "unknown");
    {
        static const char *const f[5] = {"list_id", "member_count", "online_count", "groups",
                                         "ops"};
        static const char *const m[5] = {"id", "name", "status", "group", "roles"};
        int i;
        for (i = 0; i < 5; ++i) {
            frame_keys[i] = enif_make_atom(env, f[i]);
            member_keys[i] = enif_make_atom(env, m[i]);
        }
    }
    atom_ev_status = enif_make_atom(env, "status");
    atom_ev_name = enif_make_atom(env, "name");
    atom_ev_roles = enif_make_atom(env, "roles");
    atom_ev_add_role = enif_make_atom(env, "add_role");
    atom_ev_remove_role = enif_make_atom(env, "remove_role");
    atom_ev_touch = enif_make_atom(env, "touch");
    atom_ev_remove = enif_make_atom(env, "remove");
    atom_ev_add = enif_make_atom(env, "add");
    atom_ev_upsert = enif_make_atom(env, "upsert");
    {
        int i;
        for (i = 0; i < STATUS_COUNT; ++i) status_atoms[i] = enif_make_atom(env, status_names[i]);
    }
}
