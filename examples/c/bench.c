/* The host benchmark, C version: the reference the other hosts' benchmarks
 * are measured against (examples/README.md, "The host benchmark"). W2's
 * shape at 100,000 members and 1,000 sessions: status changes applied with
 * roster_events_apply, 1,000 per call (each call flushes), and a frame
 * callback that reads every op and every row of every frame into a
 * checksum, so that every host does the same work and proves it.
 * Usage: roster-host-bench-c [EVENTS]   (default 200000)
 * Prints one line: HOSTBENCH lang=c events=... seconds=... events_per_s=...
 * frames=... ops=... rows=... checksum=... */
#include <roster/roster.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MEMBERS 100000u
#define SESSIONS 1000u
#define BATCH 1000u

typedef struct {
    uint64_t frames, ops, rows, checksum;
} tally;

/* checksum: for every frame, list_id + member_count + online_count; for
 * every op, kind * 31 + index * 7 + end; for every row, user ^ group +
 * count; all summed modulo 2^64. */
static void on_frame(const roster_frame *f, const uint64_t *sessions, size_t n, void *user) {
    tally *t = (tally *)user;
    uint64_t sum = f->list_id + f->member_count + f->online_count;
    size_t i;
    uint32_t j;
    (void)sessions;
    (void)n;
    for (i = 0; i < f->op_count; ++i) {
        const roster_op *op = &f->ops[i];
        sum += (uint64_t)op->kind * 31u + (uint64_t)op->index * 7u + op->end;
        for (j = 0; j < op->item_count; ++j) {
            const roster_row *r = &op->items[j];
            sum += (r->user ^ r->group) + r->count;
        }
        t->rows += op->item_count;
    }
    t->ops += f->op_count;
    t->frames += 1;
    t->checksum += sum;
}

static uint64_t next(uint64_t *x) {
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x;
}

static void fail(const char *what, int rc) {
    fprintf(stderr, "%s: %s\n", what, roster_status_str(rc));
    exit(1);
}

int main(int argc, char **argv) {
    const uint64_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000u;
    roster_guild *g = NULL;
    roster_member_spec *specs = calloc(MEMBERS, sizeof *specs);
    char *names = malloc((size_t)MEMBERS * 16);
    uint64_t role_ids[10];
    roster_event *batch = calloc(BATCH, sizeof *batch);
    tally t = {0, 0, 0, 0};
    uint64_t x = 42, done = 0;
    uint32_t i;
    int rc;
    struct timespec t0, t1;
    double seconds;
    if (!specs || !names || !batch) return 1;
    if ((rc = roster_guild_create(&g, NULL)) != ROSTER_OK) fail("create", rc);
    for (i = 0; i < 10; ++i) {
        roster_role r;
        r.id = i + 1;
        r.position = (int32_t)(i + 1);
        r.flags = ROSTER_ROLE_HOIST;
        role_ids[i] = i + 1;
        if ((rc = roster_role_upsert(g, &r)) != ROSTER_OK) fail("role", rc);
    }
    for (i = 0; i < MEMBERS; ++i) {
        char *name = names + (size_t)i * 16;
        const int len = snprintf(name, 16, "m%" PRIu32, i + 1);
        specs[i].id = i + 1;
        specs[i].name = name;
        specs[i].name_len = (size_t)len;
        specs[i].roles = i % 3 == 0 ? &role_ids[i % 10] : NULL;
        specs[i].role_count = i % 3 == 0 ? 1 : 0;
        specs[i].status = i % 4 == 0 ? ROSTER_ONLINE : i % 4 == 1 ? ROSTER_IDLE : ROSTER_OFFLINE;
    }
    if ((rc = roster_members_add(g, specs, MEMBERS)) != ROSTER_OK) fail("members", rc);
    if ((rc = roster_guild_set_frame_callback(g, on_frame, &t)) != ROSTER_OK) fail("callback", rc);
    for (i = 1; i <= SESSIONS; ++i) {
        const uint32_t c = 1 + (uint32_t)(((uint64_t)i * 7919u) % (MEMBERS / 100 - 1));
        roster_range r[2];
        r[0].start = 0;
        r[0].end = 99;
        r[1].start = c * 100;
        r[1].end = c * 100 + 99;
        if ((rc = roster_session_subscribe(g, i, 0, r, 2)) != ROSTER_OK) fail("subscribe", rc);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (done < events) {
        const uint64_t n = events - done < BATCH ? events - done : BATCH;
        uint64_t k;
        for (k = 0; k < n; ++k) {
            const uint64_t v = next(&x);
            batch[k].kind = ROSTER_EVENT_STATUS;
            batch[k].user_id = 1 + (v >> 33) % MEMBERS;
            batch[k].status = (int32_t)((v >> 13) % 4);
        }
        rc = roster_events_apply(g, batch, (size_t)n, sizeof *batch, NULL);
        if (rc != ROSTER_OK) fail("events", rc);
        done += n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("HOSTBENCH lang=c events=%" PRIu64 " seconds=%.3f events_per_s=%.0f frames=%" PRIu64
           " ops=%" PRIu64 " rows=%" PRIu64 " checksum=%" PRIu64 "\n",
           events, seconds, (double)events / seconds, t.frames, t.ops, t.rows, t.checksum);
    roster_guild_destroy(g);
    free(specs);
    free(names);
    free(batch);
    return 0;
}
