/* The C host: runs the scenario of examples/README.md through the C API and
 * prints every frame in the canonical line format. Plain C99. This output is
 * the reference every other host is compared with. */
#include <roster/roster.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints a group id: a role id, or online/offline. */
static void put_group(FILE *out, uint64_t id) {
    if (id == ROSTER_GROUP_ONLINE) {
        fputs("online", out);
    } else if (id == ROSTER_GROUP_OFFLINE) {
        fputs("offline", out);
    } else {
        fprintf(out, "%" PRIu64, id);
    }
}

static void put_item(FILE *out, const roster_row *row) {
    if (row->kind == ROSTER_ROW_HEADER) {
        fputs("H:", out);
        put_group(out, row->group);
        fprintf(out, ":%" PRIu32, row->count);
    } else {
        fprintf(out, "M:%" PRIu64 ":", row->user);
        put_group(out, row->group);
    }
}

static void put_op(FILE *out, const roster_op *op) {
    uint32_t i;
    switch (op->kind) {
    case ROSTER_OP_SYNC:
        fprintf(out, "SYNC:%" PRIu32 "-%" PRIu32 ":[", op->index, op->end);
        for (i = 0; i < op->item_count; ++i) {
            if (i > 0) fputc(',', out);
            put_item(out, &op->items[i]);
        }
        fputc(']', out);
        break;
    case ROSTER_OP_INSERT:
        fprintf(out, "INSERT:%" PRIu32 ":", op->index);
        put_item(out, &op->items[0]);
        break;
    case ROSTER_OP_UPDATE:
        fprintf(out, "UPDATE:%" PRIu32 ":", op->index);
        put_item(out, &op->items[0]);
        break;
    case ROSTER_OP_DELETE:
        fprintf(out, "DELETE:%" PRIu32, op->index);
        break;
    case ROSTER_OP_INVALIDATE:
        fprintf(out, "INVALIDATE:%" PRIu32 "-%" PRIu32, op->index, op->end);
        break;
    default:
        fprintf(out, "UNKNOWN%" PRIu32, op->kind);
        break;
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The frame callback. Everything it is handed is valid only during the call,
 * so the session ids are copied before they are sorted. */
static void on_frame(const roster_frame *frame, const uint64_t *sessions,
                     size_t session_count, void *user_data) {
    FILE *out = (FILE *)user_data;
    uint64_t *ids = malloc((session_count ? session_count : 1) * sizeof *ids);
    size_t i;
    if (ids == NULL) abort();
    if (session_count > 0) memcpy(ids, sessions, session_count * sizeof *ids);
    qsort(ids, session_count, sizeof *ids, cmp_u64);

    fprintf(out, "frame list=%" PRIu64 " sessions=", frame->list_id);
    for (i = 0; i < session_count; ++i) {
        fprintf(out, "%s%" PRIu64, i ? "," : "", ids[i]);
    }
    free(ids);
    fprintf(out, " members=%" PRIu32 " online=%" PRIu32 " groups=", frame->member_count,
            frame->online_count);
    if (frame->group_count == 0) fputc('-', out);
    for (i = 0; i < frame->group_count; ++i) {
        if (i > 0) fputc(',', out);
        put_group(out, frame->groups[i].id);
        fprintf(out, ":%" PRIu32, frame->groups[i].count);
    }
    fputs(" ops=", out);
    if (frame->op_count == 0) fputc('-', out);
    for (i = 0; i < frame->op_count; ++i) {
        if (i > 0) fputc(';', out);
        put_op(out, &frame->ops[i]);
    }
    fputc('\n', out);
}

/* Setup steps must succeed; a failure there is a broken library. */
static void must(int status, const char *what) {
    if (status != ROSTER_OK) {
        fprintf(stderr, "host-c: %s failed: %s\n", what, roster_status_str(status));
        exit(1);
    }
}

static int add_member(roster_guild *g, uint64_t id, const char *name, const uint64_t *roles,
                      size_t role_count, int status) {
    return roster_member_add(g, id, name, strlen(name), roles, role_count, status);
}

static int set_name(roster_guild *g, uint64_t id, const char *name) {
    return roster_member_set_name(g, id, name, strlen(name));
}

static int subscribe(roster_guild *g, uint64_t session, uint64_t list, const roster_range *ranges,
                     size_t count) {
    return roster_session_subscribe(g, session, list, ranges, count);
}

/* The stats line: only the deterministic fields (not memory_bytes, nor the
 * flush times). */
static void put_stats(FILE *out, const roster_guild *g) {
    roster_stats st = ROSTER_STATS_INIT;
    must(roster_guild_stats(&st, g), "roster_guild_stats");
    fprintf(out,
            "stats members=%" PRIu32 " lists=%" PRIu32 " sessions=%" PRIu32
            " subscriptions=%" PRIu64 " chunks_held=%" PRIu64 " flushes=%" PRIu64
            " frames=%" PRIu64 " deliveries=%" PRIu64 " ops=%" PRIu64 " rows=%" PRIu64 "\n",
            st.members, st.lists, st.sessions, st.subscriptions, st.chunks_held, st.flushes,
            st.frames, st.deliveries, st.ops, st.rows);
}

/* A growing byte buffer that a snapshot is written to (roster_write_fn). */
typedef struct bytes {
    unsigned char *data;
    size_t len, cap;
} bytes;

static int append(const void *data, size_t len, void *user_data) {
    bytes *b = (bytes *)user_data;
    if (len > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 4096;
        unsigned char *p;
        while (len > cap - b->len) {
            if (cap > (size_t)-1 / 2) return -1;
            cap *= 2;
        }
        p = realloc(b->data, cap);
        if (p == NULL) return -1; /* the save stops with ROSTER_EIO */
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int main(void) {
    FILE *out = stdout;
    roster_guild *g = NULL;
    roster_config config = ROSTER_CONFIG_INIT;
    static const int32_t positions[3] = {3, 2, 1};
    static const int statuses[4] = {ROSTER_ONLINE, ROSTER_IDLE, ROSTER_DND, ROSTER_OFFLINE};
    uint64_t r101[1] = {101}, r102[1] = {102}, r103[1] = {103}, r101_103[2] = {101, 103};
    uint64_t r102_103[2] = {102, 103};
    int i, n, s = 0;

    config.chunk_size = 10;
    config.max_range_span = 30;
    must(roster_guild_create(&g, &config), "roster_guild_create");
    must(roster_guild_set_frame_callback(g, on_frame, out), "roster_guild_set_frame_callback");

    fputs("# setup\n", out);
    /* 1. Roles. */
    for (i = 0; i < 3; ++i) {
        roster_role role;
        role.id = (uint64_t)(101 + i);
        role.position = positions[i];
        role.flags = ROSTER_ROLE_HOIST;
        must(roster_role_upsert(g, &role), "roster_role_upsert");
    }
    /* 2. Members. */
    for (i = 1; i <= 50; ++i) {
        char name[4];
        const uint64_t *roles = NULL;
        size_t role_count = 0;
        switch (i % 5) {
        case 0: roles = r101; role_count = 1; break;
        case 1: roles = r102; role_count = 1; break;
        case 2: roles = r103; role_count = 1; break;
        case 3: roles = r101_103; role_count = 2; break;
        default: break;
        }
        name[0] = 'm';
        name[1] = (char)('0' + i / 10);
        name[2] = (char)('0' + i % 10);
        name[3] = '\0';
        must(add_member(g, (uint64_t)(1000 + i), name, roles, role_count, statuses[i % 4]),
             "roster_member_add");
    }
    /* 3. List 7. */
    {
        roster_list_rule rule = ROSTER_LIST_RULE_INIT;
        roster_overwrite role_ow[1] = {{101, 1}};
        roster_overwrite member_ow[2] = {{1002, 1}, {1005, 0}};
        rule.everyone = ROSTER_OVERWRITE_DENY;
        rule.roles = role_ow;
        rule.role_count = 1;
        rule.members = member_ow;
        rule.member_count = 2;
        must(roster_list_set(g, 7, &rule), "roster_list_set");
    }
    /* 4. Sessions. */
    {
        roster_range a[1] = {{0, 9}};
        roster_range b[2] = {{25, 34}, {50, 59}};
        roster_range c[1] = {{0, 19}};
        must(subscribe(g, 1, 0, a, 1), "roster_session_subscribe");
        must(subscribe(g, 2, 0, a, 1), "roster_session_subscribe");
        must(subscribe(g, 3, 0, b, 2), "roster_session_subscribe");
        must(subscribe(g, 3, 7, c, 1), "roster_session_subscribe");
    }

    /* 5. The 30 events. */
    for (n = 1; n <= 30; ++n) {
        fprintf(out, "# %d\n", n);
        switch (n) {
        case 1: s = roster_member_set_status(g, 1001, ROSTER_OFFLINE); break;
        case 2: s = roster_member_set_status(g, 1004, ROSTER_ONLINE); break;
        case 3: s = set_name(g, 1010, "aaa"); break;
        case 4: s = set_name(g, 1020, "zzz"); break;
        case 5: s = roster_member_set_roles(g, 1003, r101, 1); break;
        case 6: s = roster_member_set_roles(g, 1015, NULL, 0); break;
        case 7: s = add_member(g, 1051, "m51", r102, 1, ROSTER_ONLINE); break;
        case 8: s = add_member(g, 1052, "b52", NULL, 0, ROSTER_IDLE); break;
        case 9: s = roster_member_remove(g, 1030); break;
        case 10: s = roster_member_remove(g, 1051); break;
        case 11: s = roster_member_touch(g, 1002); break;
        case 12: s = roster_member_set_status(g, 1008, ROSTER_IDLE); break;
        case 13: s = roster_member_add_role(g, 1012, 101); break;
        case 14: s = roster_member_remove_role(g, 1013, 103); break;
        case 15: s = roster_batch_begin(g); break;
        case 16: s = roster_member_set_status(g, 1016, ROSTER_OFFLINE); break;
        case 17: s = roster_member_set_status(g, 1017, ROSTER_ONLINE); break;
        case 18: s = set_name(g, 1018, "c18"); break;
        case 19: s = add_member(g, 1053, "m53", r101, 1, ROSTER_DND); break;
        case 20: s = roster_batch_commit(g); break;
        case 21: s = roster_member_set_status(g, 1040, ROSTER_OFFLINE); break;
        case 22: s = set_name(g, 1005, "a05"); break;
        case 23: s = roster_member_set_roles(g, 1025, r102_103, 2); break;
        case 24: s = roster_member_remove(g, 1005); break;
        case 25: {
            roster_range r[1] = {{10, 19}};
            s = subscribe(g, 2, 0, r, 1);
            break;
        }
        case 26: s = roster_member_set_status(g, 1036, ROSTER_ONLINE); break;
        case 27: s = roster_member_touch(g, 1040); break;
        case 28: s = subscribe(g, 3, 7, NULL, 0); break;
        case 29: s = roster_member_set_status(g, 1024, ROSTER_DND); break;
        case 30: s = roster_session_remove(g, 1); break;
        }
        fprintf(out, "= %d\n", s);
    }
    put_stats(out, g);

    /* 6. The hand-off: save with the sessions, destroy the guild, load it
     * back (the frame callback is not part of a snapshot: set it again). */
    {
        bytes snap = {NULL, 0, 0};
        must(roster_guild_save(g, ROSTER_SAVE_SESSIONS, append, &snap), "roster_guild_save");
        roster_guild_destroy(g);
        g = NULL;
        must(roster_guild_load_buffer(&g, &config, snap.data, snap.len),
             "roster_guild_load_buffer");
        free(snap.data);
        must(roster_guild_set_frame_callback(g, on_frame, out),
             "roster_guild_set_frame_callback");
    }
    fputs("# handoff\n", out);

    /* 7. More events, on the loaded guild. */
    for (n = 31; n <= 34; ++n) {
        fprintf(out, "# %d\n", n);
        switch (n) {
        case 31: s = roster_member_set_status(g, 1011, ROSTER_ONLINE); break;
        case 32: s = set_name(g, 1012, "aab"); break;
        case 33: s = roster_member_remove(g, 1013); break;
        case 34: {
            roster_range r[1] = {{0, 9}};
            s = subscribe(g, 4, 0, r, 1);
            break;
        }
        }
        fprintf(out, "= %d\n", s);
    }
    put_stats(out, g);
    roster_guild_destroy(g);
    if (fflush(out) != 0) return 1;
    return 0;
}
