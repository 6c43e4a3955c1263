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
#include "guild.h"
#include "terms.h"

#include <stdint.h>
#include <string.h>

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

/* set_frame_format(guild, :terms | :json | :queue) */
static ERL_NIF_TERM nif_set_frame_format(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    int json = 0, queue = 0, s;
    (void)argc;
    if (enif_is_identical(argv[1], mk_atom(env, "terms"))) {
        json = 0;
    } else if (enif_is_identical(argv[1], mk_atom(env, "json"))) {
        json = 1;
    } else if (enif_is_identical(argv[1], mk_atom(env, "queue"))) {
        queue = 1;
    } else {
        return badarg(env);
    }
    LOCK(g);
    s = guild_set_queue(g, queue);
    if (s == ROSTER_OK) g->json = json;
    unlock_guild(g);
    return status_term(env, s);
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

/* What a snapshot of guild will take, from above for most guilds: the
 * binary is made that large at once, so that a large guild's save does
 * not copy what it wrote at every doubling (at 1M members that was most
 * of the save's time). Pages the save does not reach are never touched,
 * and the binary is cut to its length at the end; a snapshot larger than
 * this (long names, many roles) grows by doubling. */
static size_t save_estimate(const roster_guild *guild, int sessions) {
    uint32_t members = 0, session_count = 0;
    size_t estimate = 65536;
    if (roster_guild_member_count(&members, guild) == ROSTER_OK) estimate += (size_t)members * 64;
    if (sessions && roster_guild_session_count(&session_count, guild) == ROSTER_OK) {
        estimate += (size_t)session_count * 512;
    }
    return estimate;
}

/* save(guild, with_sessions) -> {:ok, binary} */
static ERL_NIF_TERM nif_save(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    snap_buf b;
    int sessions, s;
    (void)argc;
    if (!get_bool(argv[1], &sessions)) return badarg(env);
    {
        ERL_NIF_TERM err;
        g = lock_guild(env, argv[0], &err);
        if (g == NULL) return err;
    }
    /* an estimate the allocator refuses: start small and grow */
    if (!enif_alloc_binary(save_estimate(g->guild, sessions), &b.bin) &&
        !enif_alloc_binary(65536, &b.bin)) {
        unlock_guild(g);
        return error_term(env, mk_atom(env, "enomem"));
    }
    b.len = 0;
    s = roster_guild_save(g->guild, sessions ? ROSTER_SAVE_SESSIONS : 0u, snap_write, &b);
    unlock_guild(g);
    if (s != ROSTER_OK || !enif_realloc_binary(&b.bin, b.len)) {
        enif_release_binary(&b.bin);
        return status_term(env, s != ROSTER_OK ? s : ROSTER_ENOMEM);
    }
    return ok_term(env, enif_make_binary(env, &b.bin));
}

/* save_to: the snapshot sent in pieces to a local process while the save
 * writes it. */
typedef struct piece_sender {
    ErlNifEnv *env;     /* the call's: the pieces are sent by the caller */
    ErlNifEnv *msg_env; /* each piece's message, cleared after its send */
    ErlNifPid to;
    ERL_NIF_TERM tag;   /* in env */
    ErlNifBinary bin;   /* the piece being filled, when have_bin */
    int have_bin;
    int lost;           /* the receiver is gone */
    size_t len, piece, total;
} piece_sender;

/* Sends the piece filled so far (none when empty); -1 on failure. */
static int piece_send(piece_sender *p) {
    ERL_NIF_TERM bin, msg;
    if (!p->have_bin || p->len == 0) return 0;
    if (p->len < p->bin.size && !enif_realloc_binary(&p->bin, p->len)) return -1;
    bin = enif_make_binary(p->msg_env, &p->bin); /* the env owns it now */
    p->have_bin = 0;
    msg = enif_make_tuple3(p->msg_env, atom_roster_snapshot,
                           enif_make_copy(p->msg_env, p->tag), bin);
    if (!enif_send(p->env, &p->to, p->msg_env, msg)) {
        enif_clear_env(p->msg_env);
        p->lost = 1;
        return -1;
    }
    enif_clear_env(p->msg_env);
    p->total += p->len;
    p->len = 0;
    return 0;
}

static int piece_write(const void *data, size_t len, void *user_data) {
    piece_sender *p = (piece_sender *)user_data;
    const unsigned char *d = (const unsigned char *)data;
    while (len > 0) {
        size_t n;
        if (!p->have_bin) {
            if (!enif_alloc_binary(p->piece, &p->bin)) return -1;
            p->have_bin = 1;
            p->len = 0;
        }
        n = p->piece - p->len < len ? p->piece - p->len : len;
        memcpy(p->bin.data + p->len, d, n);
        p->len += n;
        d += n;
        len -= n;
        if (p->len == p->piece && piece_send(p) != 0) return -1;
    }
    return 0;
}

/* save_to(guild, with_sessions, pid, tag, piece_bytes) -> {:ok, bytes}:
 * the snapshot save/2 makes, sent to the local process pid as messages
 * {:roster_snapshot, tag, piece} of piece_bytes each (the last one
 * shorter) while the save writes it; bytes is their total. The caller
 * sends what ends the stream, if anything: these messages are sent by
 * the caller, so what it sends after the call comes after them.
 * {:error, :noproc} when pid is not alive (pieces may have been sent). */
static ERL_NIF_TERM nif_save_to(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_guild *g;
    piece_sender p;
    int sessions, s;
    unsigned long piece;
    (void)argc;
    memset(&p, 0, sizeof p);
    if (!get_bool(argv[1], &sessions) || !enif_get_local_pid(env, argv[2], &p.to) ||
        !enif_get_ulong(env, argv[4], &piece) || piece < 1 || piece > ((unsigned long)64 << 20)) {
        return badarg(env);
    }
    {
        ERL_NIF_TERM err;
        g = lock_guild(env, argv[0], &err);
        if (g == NULL) return err;
    }
    p.env = env;
    p.tag = argv[3];
    p.piece = piece;
    p.msg_env = enif_alloc_env();
    if (p.msg_env == NULL) {
        unlock_guild(g);
        return error_term(env, mk_atom(env, "enomem"));
    }
    s = roster_guild_save(g->guild, sessions ? ROSTER_SAVE_SESSIONS : 0u, piece_write, &p);
    unlock_guild(g);
    if (s == ROSTER_OK && piece_send(&p) != 0) s = ROSTER_ENOMEM;
    if (p.have_bin) enif_release_binary(&p.bin);
    enif_free_env(p.msg_env);
    if (p.lost) return error_term(env, mk_atom(env, "noproc"));
    if (s != ROSTER_OK) return status_term(env, s);
    return ok_term(env, enif_make_uint64(env, (ErlNifUInt64)p.total));
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

/* The resource types and the atoms; live is set before. */
static int open_types(ErlNifEnv *env) {
    if (!guild_open_type(env) || !stream_open_type(env) || !queue_init(env)) return 1;
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
    {"set_frame_format", 2, nif_set_frame_format, 0},
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
    {"save_to", 5, nif_save_to, DIRTY},
    {"load", 2, nif_load, DIRTY},
    {"load_stream_open", 1, nif_load_stream_open, 0},
    {"load_stream_feed", 2, nif_load_stream_feed, 0},
    {"load_stream_finish", 1, nif_load_stream_finish, ERL_NIF_DIRTY_JOB_IO_BOUND},
    {"frames_decode", 1, nif_frames_decode, 0},
    {"frames_decode_dirty", 1, nif_frames_decode, DIRTY},
};

ERL_NIF_INIT(Elixir.Roster.NIF, funcs, on_load, NULL, on_upgrade, NULL)
