/* The host benchmark, C version: the reference the other hosts' benchmarks
 * are measured against (examples/README.md, "The host benchmark"). W2's
 * shape at 100,000 members and 1,000 sessions: status changes applied with
 * roster_events_apply, 1,000 per call (each call flushes), and a frame
 * callback that reads every op and every row of every frame into a
 * checksum, so that every host does the same work and proves it.
 * With "queue" as the second argument the frames come through the frame
 * queue instead (roster_guild_take_frames after each call, the records read
 * as docs/frames.md §12 lays them out): the same checksum, and the cost of
 * the queue itself in C.
 * Usage: roster-host-bench-c [EVENTS [queue]]   (default 200000, the callback)
 * Prints one line: HOSTBENCH lang=c events=... seconds=... events_per_s=...
 * frames=... ops=... rows=... checksum=... */
#include <roster/roster.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The same fold over the records of one take. */
static void on_records(const unsigned char *p, size_t len, tally *t) {
    size_t at = 0;
    while (at < len) {
        uint64_t size, list_id, sum;
        uint32_t h[6], i, j, row = 0;
        const unsigned char *ops, *rows;
        memcpy(&size, p + at, 8);
        memcpy(&list_id, p + at + 8, 8);
        memcpy(h, p + at + 16, sizeof h);
        sum = list_id + h[0] + h[1];
        ops = p + at + 40 + 8 * (size_t)h[2] + 16 * (size_t)h[3];
        rows = ops + 16 * (size_t)h[4];
        for (i = 0; i < h[4]; ++i) {
            uint32_t op[4];
            memcpy(op, ops + 16 * (size_t)i, sizeof op);
            sum += (uint64_t)op[0] * 31u + (uint64_t)op[1] * 7u + op[2];
            for (j = 0; j < op[3]; ++j, ++row) {
                roster_row r;
                memcpy(&r, rows + 24 * (size_t)row, sizeof r);
                sum += (r.user ^ r.group) + r.count;
            }
            t->rows += op[3];
        }
        t->ops += h[4];
        t->frames += 1;
        t->checksum += sum;
        at += (size_t)size;
    }
}

static void take(roster_guild *g, tally *t) {
    const void *data = NULL;
    size_t len = 0;
    if (roster_guild_take_frames(&data, &len, g) != ROSTER_OK) exit(1);
    on_records((const unsigned char *)data, len, t);
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
    const int queue = argc > 2 && strcmp(argv[2], "queue") == 0;
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
    if (queue)
        rc = roster_guild_set_frame_queue(g, 1);
    else
        rc = roster_guild_set_frame_callback(g, on_frame, &t);
    if (rc != ROSTER_OK) fail("callback", rc);
    for (i = 1; i <= SESSIONS; ++i) {
        const uint32_t c = 1 + (uint32_t)(((uint64_t)i * 7919u) % (MEMBERS / 100 - 1));
        roster_range r[2];
        r[0].start = 0;
        r[0].end = 99;
        r[1].start = c * 100;
        r[1].end = c * 100 + 99;
        if ((rc = roster_session_subscribe(g, i, 0, r, 2)) != ROSTER_OK) fail("subscribe", rc);
    }
    if (queue) take(g, &t);
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
        if (queue) take(g, &t);
        done += n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("HOSTBENCH lang=c%s events=%" PRIu64 " seconds=%.3f events_per_s=%.0f frames=%" PRIu64
           " ops=%" PRIu64 " rows=%" PRIu64 " checksum=%" PRIu64 "\n",
           queue ? "-queue" : "", events, seconds, (double)events / seconds, t.frames, t.ops, t.rows, t.checksum);
    roster_guild_destroy(g);
    free(specs);
    free(names);
    free(batch);
    return 0;
}
