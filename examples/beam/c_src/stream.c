/* A snapshot loaded while its bytes arrive (README.md here, "Hand-off"):
 * load_stream_open/1 starts a loader, a thread of its own running
 * roster_guild_load, whose read callback waits for the pieces that
 * load_stream_feed/2 hands it; load_stream_finish/1 says that the bytes
 * have ended and waits for the load. A hand-off ships a snapshot in pieces
 * and the new node loads each one as it comes, instead of loading only
 * once the last has come.
 *
 * The pieces are binaries kept by reference (enif_make_copy of a
 * reference-counted binary does not copy its bytes), in a queue under the
 * loader's mutex. A loader dropped before it finished (its process died,
 * or gave up) makes the read fail: the thread ends, what it loaded is
 * freed, and the destructor joins it. */
#include "guild.h"
#include "terms.h"

#include <string.h>

typedef struct piece {
    struct piece *next;
    ErlNifEnv *env; /* holds the binary */
    ErlNifBinary bin;
    size_t off; /* bytes of it already read */
} piece;

typedef struct loader {
    ErlNifMutex *lock;
    ErlNifCond *cond; /* a piece came, the bytes ended, or the load is over */
    piece *head, *tail;
    int ended;   /* finish was called: no more pieces */
    int aborted; /* dropped unfinished: the read fails */
    int done;    /* the load is over: status and guild set */
    int started; /* the thread was created and is not joined yet */
    int status;
    roster_guild *guild; /* the loaded guild until finish takes it */
    roster_config config;
    ErlNifTid tid;
} loader;

static ErlNifResourceType *loader_type;

static void piece_free(piece *p) {
    enif_free_env(p->env); /* and the binary's reference with it */
    enif_free(p);
}

static void pieces_free(loader *l) {
    while (l->head != NULL) {
        piece *p = l->head;
        l->head = p->next;
        piece_free(p);
    }
    l->tail = NULL;
}

/* roster_read_fn: the next bytes of the queue, waiting for them. */
static int read_pieces(void *buf, size_t cap, size_t *got, void *user_data) {
    loader *l = (loader *)user_data;
    size_t n = 0;
    enif_mutex_lock(l->lock);
    while (l->head == NULL && !l->ended && !l->aborted) enif_cond_wait(l->cond, l->lock);
    if (l->aborted) {
        enif_mutex_unlock(l->lock);
        return -1;
    }
    while (n < cap && l->head != NULL) {
        piece *p = l->head;
        size_t k = p->bin.size - p->off;
        if (k > cap - n) k = cap - n;
        memcpy((unsigned char *)buf + n, p->bin.data + p->off, k);
        n += k;
        p->off += k;
        if (p->off == p->bin.size) {
            l->head = p->next;
            if (l->head == NULL) l->tail = NULL;
            piece_free(p);
        }
    }
    enif_mutex_unlock(l->lock);
    *got = n; /* 0 only when the bytes have ended */
    return 0;
}

static void *load_thread(void *arg) {
    loader *l = (loader *)arg;
    roster_guild *guild = NULL;
    int s = roster_guild_load(&guild, &l->config, read_pieces, l);
    enif_mutex_lock(l->lock);
    l->status = s;
    l->guild = s == ROSTER_OK ? guild : NULL;
    l->done = 1;
    enif_cond_broadcast(l->cond);
    enif_mutex_unlock(l->lock);
    return NULL;
}

static void loader_dtor(ErlNifEnv *env, void *obj) {
    loader *l = (loader *)obj;
    (void)env;
    if (l->lock != NULL) {
        enif_mutex_lock(l->lock);
        l->aborted = 1;
        enif_cond_broadcast(l->cond);
        enif_mutex_unlock(l->lock);
    }
    if (l->started) (void)enif_thread_join(l->tid, NULL);
    if (l->guild != NULL) roster_guild_destroy(l->guild);
    pieces_free(l);
    if (l->cond != NULL) enif_cond_destroy(l->cond);
    if (l->lock != NULL) enif_mutex_destroy(l->lock);
}

int stream_open_type(ErlNifEnv *env) {
    loader_type = enif_open_resource_type(env, NULL, "roster_loader", loader_dtor,
                                          ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER, NULL);
    return loader_type != NULL;
}

/* load_stream_open(config) -> {:ok, loader} */
ERL_NIF_TERM nif_load_stream_open(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    loader *l;
    ERL_NIF_TERM term;
    roster_config config;
    (void)argc;
    if (!get_config(env, argv[0], &config)) return badarg(env);
    l = enif_alloc_resource(loader_type, sizeof *l);
    if (l == NULL) return error_term(env, mk_atom(env, "enomem"));
    memset(l, 0, sizeof *l);
    l->config = config;
    l->lock = enif_mutex_create("roster_loader");
    l->cond = enif_cond_create("roster_loader");
    if (l->lock == NULL || l->cond == NULL ||
        enif_thread_create("roster_loader", &l->tid, load_thread, l, NULL) != 0) {
        enif_release_resource(l); /* the destructor frees what was made */
        return error_term(env, mk_atom(env, "enomem"));
    }
    l->started = 1;
    term = enif_make_resource(env, l);
    enif_release_resource(l);
    return ok_term(env, term);
}

/* load_stream_feed(loader, binary) -> :ok | {:error, :einval} (finished) */
ERL_NIF_TERM nif_load_stream_feed(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    loader *l;
    piece *p;
    ERL_NIF_TERM kept;
    (void)argc;
    if (!enif_get_resource(env, argv[0], loader_type, (void **)&l) ||
        !enif_is_binary(env, argv[1])) {
        return badarg(env);
    }
    p = enif_alloc(sizeof *p);
    if (p == NULL) return error_term(env, mk_atom(env, "enomem"));
    p->next = NULL;
    p->off = 0;
    p->env = enif_alloc_env();
    if (p->env == NULL) {
        enif_free(p);
        return error_term(env, mk_atom(env, "enomem"));
    }
    kept = enif_make_copy(p->env, argv[1]);
    if (!enif_inspect_binary(p->env, kept, &p->bin)) {
        piece_free(p);
        return badarg(env);
    }
    enif_mutex_lock(l->lock);
    if (l->ended) {
        enif_mutex_unlock(l->lock);
        piece_free(p);
        return status_term(env, ROSTER_EINVAL);
    }
    if (p->bin.size > 0 && !l->done) {
        if (l->tail != NULL) {
            l->tail->next = p;
        } else {
            l->head = p;
        }
        l->tail = p;
        p = NULL;
        enif_cond_signal(l->cond);
    }
    enif_mutex_unlock(l->lock);
    if (p != NULL) piece_free(p); /* empty, or the load is over already (it failed) */
    return atom_ok;
}

/* load_stream_finish(loader) -> {:ok, guild} owned by the caller |
 * {:error, reason}; waits for the load (a dirty I/O call: it waits). */
ERL_NIF_TERM nif_load_stream_finish(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    loader *l;
    roster_guild *guild;
    int s, first;
    (void)argc;
    if (!enif_get_resource(env, argv[0], loader_type, (void **)&l)) return badarg(env);
    enif_mutex_lock(l->lock);
    first = !l->ended;
    l->ended = 1;
    enif_cond_broadcast(l->cond);
    while (!l->done) enif_cond_wait(l->cond, l->lock);
    s = l->status;
    guild = l->guild;
    l->guild = NULL;
    enif_mutex_unlock(l->lock);
    if (!first) return status_term(env, ROSTER_EINVAL); /* finished before */
    /* The thread has set done and is returning: joined now, not when the
     * loader is garbage collected. Only the first finish gets here, and
     * the destructor cannot run while this call holds the loader. */
    (void)enif_thread_join(l->tid, NULL);
    l->started = 0;
    if (s != ROSTER_OK) return status_term(env, s);
    return wrap_guild(env, guild);
}
