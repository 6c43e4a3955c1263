/* The frame queue of the BEAM NIF (docs/frames.md §12): with
 * set_frame_format(guild, :queue) the guild queues its frames, and after
 * each call that produced some the owner gets them all as one binary,
 * {:roster_frames, block} (one copy per call instead of one message built
 * per frame); frames_decode/1 turns a block into the frame messages that
 * :terms would have sent, made in the calling process.
 *
 * Large blocks (a batch that flushes thousands of sessions makes megabytes)
 * are copied into buffers the guild reuses: a fresh binary of that size is
 * fresh memory from the OS each call, and touching it the first time cost
 * more than the copy itself (page faults, then unmapping it at the
 * receiver's GC). Such a block is a resource binary; when the last
 * reference to it is collected, its buffer goes back to the guild's pool,
 * which keeps at most pool_max buffers (so at most pool_max times the
 * largest block per guild). The pool is shared by the guild and its blocks
 * and freed by whichever of them goes last. */
#include "guild.h"
#include "terms.h"

#include <string.h>

static ERL_NIF_TERM atom_roster_frames;
static ErlNifResourceType *block_type;

enum { pool_max = 4 };
/* Smaller blocks are ordinary binaries: ERTS keeps such memory warm. */
static const size_t pooled_from = (size_t)64 << 10;

struct block_pool {
    ErlNifMutex *lock;
    long refs; /* the guild (until its destructor) and each live block */
    int count;
    void *data[pool_max];
    size_t cap[pool_max];
};

typedef struct block {
    block_pool *pool;
    void *data;
    size_t cap;
} block;

static void pool_release(block_pool *p) {
    int last, i;
    enif_mutex_lock(p->lock);
    last = --p->refs == 0;
    enif_mutex_unlock(p->lock);
    if (!last) return;
    for (i = 0; i < p->count; ++i) enif_free(p->data[i]);
    enif_mutex_destroy(p->lock);
    enif_free(p);
}

void pool_drop(nif_guild *g) {
    if (g->pool != NULL) pool_release(g->pool);
    g->pool = NULL;
}

/* The guild's pool, made on first use; NULL when memory ran out. */
static block_pool *pool_of(nif_guild *g) {
    block_pool *p = g->pool;
    if (p != NULL) return p;
    p = enif_alloc(sizeof *p);
    if (p == NULL) return NULL;
    memset(p, 0, sizeof *p);
    p->lock = enif_mutex_create("roster_block_pool");
    if (p->lock == NULL) {
        enif_free(p);
        return NULL;
    }
    p->refs = 1;
    g->pool = p;
    return p;
}

/* A block's buffer goes back to its pool (or is freed when the pool is
 * full) when the binary's last reference is collected. */
static void block_dtor(ErlNifEnv *env, void *obj) {
    block *b = (block *)obj;
    block_pool *p = b->pool;
    (void)env;
    if (p == NULL) return;
    enif_mutex_lock(p->lock);
    if (b->data != NULL && p->count < pool_max) {
        p->data[p->count] = b->data;
        p->cap[p->count] = b->cap;
        ++p->count;
        b->data = NULL;
    }
    enif_mutex_unlock(p->lock);
    enif_free(b->data);
    pool_release(p);
}

int queue_init(ErlNifEnv *env) {
    atom_roster_frames = enif_make_atom(env, "roster_frames");
    block_type = enif_open_resource_type(env, NULL, "roster_frame_block", block_dtor,
                                         ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER, NULL);
    return block_type != NULL;
}

/* *bin: a binary of len bytes copied from data, its buffer from the
 * guild's pool; 0 when memory ran out. */
static int pooled_binary(nif_guild *g, const void *data, size_t len, ERL_NIF_TERM *bin) {
    block_pool *p = pool_of(g);
    block *b;
    if (p == NULL) return 0;
    b = enif_alloc_resource(block_type, sizeof *b);
    if (b == NULL) return 0;
    b->pool = NULL;
    b->data = NULL;
    b->cap = 0;
    enif_mutex_lock(p->lock);
    ++p->refs;
    b->pool = p;
    if (p->count > 0) { /* the last one returned: the warmest */
        --p->count;
        b->data = p->data[p->count];
        b->cap = p->cap[p->count];
    }
    enif_mutex_unlock(p->lock);
    if (b->cap < len) {
        enif_free(b->data);
        b->cap = len + len / 4; /* room for the next, slightly larger block */
        b->data = enif_alloc(b->cap);
        if (b->data == NULL) {
            b->cap = 0;
            enif_release_resource(b);
            return 0;
        }
    }
    memcpy(b->data, data, len);
    *bin = enif_make_resource_binary(g->msg_env, b, b->data, len);
    enif_release_resource(b); /* the binary holds it now */
    return 1;
}

void queue_send(nif_guild *g) {
    const void *data = NULL;
    size_t len = 0;
    ERL_NIF_TERM bin, msg;
    unsigned char *p;
    if (roster_guild_take_frames(&data, &len, g->guild) != ROSTER_OK || len == 0) return;
    if (!g->has_owner || g->call_env == NULL) return;
    if (len >= pooled_from) {
        if (!pooled_binary(g, data, len, &bin)) return; /* out of memory: frames dropped */
    } else {
        p = enif_make_new_binary(g->msg_env, len, &bin);
        if (p == NULL) return;
        memcpy(p, data, len);
    }
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
