/* The frame queue of the BEAM NIF (docs/frames.md §12): with
 * set_frame_format(guild, :queue) the guild queues its frames, and after
 * each call that produced some the owner gets them all as one binary,
 * {:roster_frames, block} (one copy per call instead of one message built
 * per frame); frames_decode/1 turns a block into the frame messages that
 * :terms would have sent, made in the calling process. */
#include "guild.h"
#include "terms.h"

#include <string.h>

static ERL_NIF_TERM atom_roster_frames;

void queue_init(ErlNifEnv *env) { atom_roster_frames = enif_make_atom(env, "roster_frames"); }

void queue_send(nif_guild *g) {
    const void *data = NULL;
    size_t len = 0;
    ERL_NIF_TERM bin, msg;
    unsigned char *p;
    if (roster_guild_take_frames(&data, &len, g->guild) != ROSTER_OK || len == 0) return;
    if (!g->has_owner || g->call_env == NULL) return;
    p = enif_make_new_binary(g->msg_env, len, &bin);
    if (p == NULL) return; /* out of memory: the frames are dropped */
    memcpy(p, data, len);
    msg = enif_make_tuple2(g->msg_env, atom_roster_frames, bin);
    (void)enif_send(g->call_env, &g->owner, g->msg_env, msg);
    enif_clear_env(g->msg_env);
}

static uint32_t rd32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t rd64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Scratch arrays, grown as records need (enif_alloc'ed). */
typedef struct scratch {
    uint64_t *sessions;
    size_t sessions_cap;
    roster_group *groups;
    size_t groups_cap;
    roster_op *ops;
    size_t ops_cap;
    roster_row *rows;
    size_t rows_cap;
    ERL_NIF_TERM *terms;
    size_t terms_cap;
} scratch;

static int grow(void **p, size_t *cap, size_t need, size_t size) {
    void *q;
    if (need <= *cap) return 1;
    if (need > SIZE_MAX / size / 2) return 0;
    q = enif_realloc(*p, need * 2 * size);
    if (q == NULL) return 0;
    *p = q;
    *cap = need * 2;
    return 1;
}

static void scratch_free(scratch *s) {
    enif_free(s->sessions);
    enif_free(s->groups);
    enif_free(s->ops);
    enif_free(s->rows);
    enif_free(s->terms);
}

/* One record at p (len bytes left): its message in *out and its size in
 * *size; 0 when it is malformed. */
static int decode_record(ErlNifEnv *env, const unsigned char *p, size_t len, scratch *s,
                         ERL_NIF_TERM *out, uint64_t *size) {
    roster_frame f;
    uint64_t need, rows_seen = 0;
    uint32_t sc, gc, oc, rc, i;
    const unsigned char *q;
    if (len < 40) return 0;
    *size = rd64(p);
    if (*size < 40 || *size > len || *size % 8 != 0) return 0;
    sc = rd32(p + 24);
    gc = rd32(p + 28);
    oc = rd32(p + 32);
    rc = rd32(p + 36);
    need = 40 + 8 * (uint64_t)sc + 16 * (uint64_t)gc + 16 * (uint64_t)oc + 24 * (uint64_t)rc;
    if (need != *size) return 0;
    if (!grow((void **)&s->sessions, &s->sessions_cap, sc + 1, sizeof *s->sessions) ||
        !grow((void **)&s->groups, &s->groups_cap, gc + 1, sizeof *s->groups) ||
        !grow((void **)&s->ops, &s->ops_cap, oc + 1, sizeof *s->ops) ||
        !grow((void **)&s->rows, &s->rows_cap, rc + 1, sizeof *s->rows))
        return 0;
    q = p + 40;
    for (i = 0; i < sc; ++i, q += 8) s->sessions[i] = rd64(q);
    for (i = 0; i < gc; ++i, q += 16) {
        s->groups[i].id = rd64(q);
        s->groups[i].count = rd32(q + 8);
    }
    for (i = 0; i < oc; ++i, q += 16) {
        roster_op *op = &s->ops[i];
        op->kind = rd32(q);
        op->index = rd32(q + 4);
        op->end = rd32(q + 8);
        op->item_count = rd32(q + 12);
        switch (op->kind) {
        case ROSTER_OP_SYNC: break;
        case ROSTER_OP_INSERT:
        case ROSTER_OP_UPDATE:
            if (op->item_count != 1) return 0;
            break;
        case ROSTER_OP_DELETE:
        case ROSTER_OP_INVALIDATE:
            if (op->item_count != 0) return 0;
            break;
        default: return 0;
        }
        if (op->item_count > rc - rows_seen) return 0;
        op->items = s->rows + rows_seen;
        rows_seen += op->item_count;
    }
    if (rows_seen != rc) return 0;
    for (i = 0; i < rc; ++i, q += 24) {
        roster_row *r = &s->rows[i];
        r->kind = rd32(q);
        r->count = rd32(q + 4);
        r->group = rd64(q + 8);
        r->user = rd64(q + 16);
        if (r->kind != ROSTER_ROW_HEADER && r->kind != ROSTER_ROW_MEMBER) return 0;
    }
    f.list_id = rd64(p + 8);
    f.member_count = rd32(p + 16);
    f.online_count = rd32(p + 20);
    f.groups = s->groups;
    f.group_count = gc;
    f.ops = s->ops;
    f.op_count = oc;
    *out = frame_message(env, &f, s->sessions, sc);
    return 1;
}

/* frames_decode(block) -> {:ok, [{:roster_frame, list_id, sessions, frame}]}
 * | {:error, :badarg} (not a binary, or not a block of whole records) */
ERL_NIF_TERM nif_frames_decode(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    ErlNifBinary bin;
    scratch s;
    size_t off = 0, n = 0;
    ERL_NIF_TERM list;
    (void)argc;
    if (!enif_inspect_binary(env, argv[0], &bin)) return badarg(env);
    memset(&s, 0, sizeof s);
    while (off < bin.size) {
        uint64_t size = 0;
        ERL_NIF_TERM t;
        if (!decode_record(env, bin.data + off, bin.size - off, &s, &t, &size) ||
            !grow((void **)&s.terms, &s.terms_cap, n + 1, sizeof *s.terms)) {
            scratch_free(&s);
            return badarg(env);
        }
        s.terms[n++] = t;
        off += (size_t)size;
    }
    list = enif_make_list_from_array(env, s.terms, (unsigned)n);
    scratch_free(&s);
    return ok_term(env, list);
}
