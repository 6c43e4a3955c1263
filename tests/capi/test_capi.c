/* C API tests, in C: every call with bad input returns the documented
 * status and leaves the guild exactly as it was; good input does what the
 * header says. Exit status 0 = all passed. */
#include <roster/roster.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                    \
        }                                                                  \
    } while (0)

#define EXPECT(call, status)                                               \
    do {                                                                   \
        int got_ = (call);                                                 \
        if (got_ != (status)) {                                            \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %s\n", __FILE__, __LINE__, \
                    #call, got_, roster_status_str(got_), #status);        \
            ++failures;                                                    \
        }                                                                  \
    } while (0)

/* A printable snapshot of everything observable about lists 0 and 7. */
static void snapshot(const roster_guild *g, char *buf, size_t cap) {
    uint64_t lists[2] = {0, 7};
    size_t used = 0;
    uint32_t members = 0;
    int i;
    buf[0] = 0;
    roster_guild_member_count(&members, g);
    used += (size_t)snprintf(buf + used, cap - used, "n=%u;", members);
    for (i = 0; i < 2; ++i) {
        roster_row rows[256];
        size_t count = 0, k;
        uint32_t mc = 0, oc = 0;
        if (roster_list_counts(&mc, &oc, g, lists[i]) != ROSTER_OK) {
            used += (size_t)snprintf(buf + used, cap - used, "L%d:none;", i);
            continue;
        }
        roster_list_rows(rows, 256, &count, g, lists[i], 0, 100000);
        used += (size_t)snprintf(buf + used, cap - used, "L%d:%u/%u:", i, mc, oc);
        for (k = 0; k < count && k < 256 && used + 64 < cap; ++k)
            used += (size_t)snprintf(buf + used, cap - used, "%c%llu.%llu,",
                                     rows[k].kind == ROSTER_ROW_HEADER ? 'h' : 'm',
                                     (unsigned long long)rows[k].group,
                                     (unsigned long long)rows[k].user);
    }
}

static roster_guild *make_guild_of(uint32_t max_members) {
    roster_guild *g = NULL;
    roster_config cfg = ROSTER_CONFIG_INIT;
    roster_role hoisted = {10, 5, ROSTER_ROLE_HOIST};
    roster_role plain = {11, 1, ROSTER_ROLE_VIEW};
    uint64_t r10[1] = {10};
    roster_overwrite allow11 = {11, 1};
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    cfg.max_roles = 4;
    cfg.max_roles_per_member = 2;
    cfg.max_lists = 1;
    cfg.max_overwrites = 2;
    cfg.max_members = max_members;
    cfg.max_sort_key_bytes = 8;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    EXPECT(roster_role_upsert(g, &hoisted), ROSTER_OK);
    EXPECT(roster_role_upsert(g, &plain), ROSTER_OK);
    EXPECT(roster_member_add(g, 1, "ann", 3, r10, 1, ROSTER_ONLINE), ROSTER_OK);
    EXPECT(roster_member_add(g, 2, "bob", 3, NULL, 0, ROSTER_IDLE), ROSTER_OK);
    EXPECT(roster_member_add(g, 3, "cy", 2, NULL, 0, ROSTER_OFFLINE), ROSTER_OK);
    rule.everyone = ROSTER_OVERWRITE_DENY;
    rule.roles = &allow11;
    rule.role_count = 1;
    EXPECT(roster_list_set(g, 7, &rule), ROSTER_OK);
    return g;
}

static roster_guild *make_guild(void) { return make_guild_of(5); }

static void test_good_paths(void) {
    roster_guild *g = make_guild();
    roster_row rows[16];
    roster_group groups[8];
    size_t n = 0;
    uint32_t idx = 0, len = 0, mc = 0, oc = 0;
    uint64_t roles[4];
    roster_member_info info;
    uint64_t r11[1] = {11};

    EXPECT(roster_list_length(&len, g, 0), ROSTER_OK);
    CHECK(len == 6); /* [10] ann [online] bob [offline] cy */
    EXPECT(roster_list_rows(rows, 16, &n, g, 0, 0, 99), ROSTER_OK);
    CHECK(n == 6);
    CHECK(rows[0].kind == ROSTER_ROW_HEADER && rows[0].group == 10 && rows[0].count == 1);
    CHECK(rows[1].kind == ROSTER_ROW_MEMBER && rows[1].user == 1 && rows[1].group == 10);
    CHECK(rows[2].group == ROSTER_GROUP_ONLINE && rows[3].user == 2);
    CHECK(rows[4].group == ROSTER_GROUP_OFFLINE && rows[5].user == 3);
    EXPECT(roster_list_groups(groups, 8, &n, g, 0), ROSTER_OK);
    CHECK(n == 3 && groups[0].id == 10 && groups[2].count == 1);
    EXPECT(roster_list_counts(&mc, &oc, g, 0), ROSTER_OK);
    CHECK(mc == 3 && oc == 2);
    EXPECT(roster_list_index_of(&idx, g, 0, 2), ROSTER_OK);
    CHECK(idx == 3);
    /* List 7: @everyone denied, role 11 allowed: nobody yet. */
    EXPECT(roster_list_length(&len, g, 7), ROSTER_OK);
    CHECK(len == 0);
    EXPECT(roster_member_set_roles(g, 2, r11, 1), ROSTER_OK);
    EXPECT(roster_list_index_of(&idx, g, 7, 2), ROSTER_OK);
    CHECK(idx == 1);
    EXPECT(roster_list_index_of(&idx, g, 7, 1), ROSTER_ENOTFOUND);
    EXPECT(roster_member_get(&info, roles, 4, &n, g, 2), ROSTER_OK);
    CHECK(info.id == 2 && info.name_len == 3 && memcmp(info.name, "bob", 3) == 0);
    CHECK(info.status == ROSTER_IDLE && info.group == ROSTER_GROUP_ONLINE);
    CHECK(n == 1 && roles[0] == 11);
    /* Partial buffers report the total. */
    EXPECT(roster_list_rows(rows, 2, &n, g, 0, 0, 99), ROSTER_OK);
    CHECK(n == 6);
    EXPECT(roster_batch_begin(g), ROSTER_OK);
    EXPECT(roster_member_touch(g, 1), ROSTER_OK);
    EXPECT(roster_batch_commit(g), ROSTER_OK);
    EXPECT(roster_member_remove(g, 3), ROSTER_OK);
    EXPECT(roster_list_length(&len, g, 0), ROSTER_OK);
    CHECK(len == 4);
    EXPECT(roster_list_remove(g, 7), ROSTER_OK);
    EXPECT(roster_list_length(&len, g, 7), ROSTER_ENOTFOUND);
    roster_guild_destroy(g);
    roster_guild_destroy(NULL);
}

static void test_bad_input_leaves_guild_unchanged(void) {
    roster_guild *g = make_guild();
    char before[4096], after[4096];
    uint64_t unknown[1] = {999}, zero[1] = {0}, reserved[1] = {ROSTER_GROUP_ONLINE};
    uint64_t three[3] = {10, 11, 10};
    uint64_t ids2[2] = {10, 10};
    int32_t pos2[2] = {1, 2};
    roster_role role0 = {0, 1, 0}, badflags = {12, 1, 8}, res = {ROSTER_GROUP_OFFLINE, 1, 0};
    roster_role r12 = {12, 1, 0}, r13 = {13, 1, 0}, r14 = {14, 1, 0};
    roster_list_rule rule = ROSTER_LIST_RULE_INIT, small = ROSTER_LIST_RULE_INIT;
    roster_overwrite ows[3] = {{10, 1}, {11, 0}, {1, 1}}, zero_ow = {0, 1}, bad_allow = {10, 7};
    roster_row row;
    roster_member_info info;
    size_t n;
    uint32_t u;
    static const char long_name[130] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    snapshot(g, before, sizeof before);

    /* NULL guild / out-parameters. */
    EXPECT(roster_guild_create(NULL, NULL), ROSTER_EINVAL);
    EXPECT(roster_guild_set_everyone_view(NULL, 1), ROSTER_EINVAL);
    EXPECT(roster_guild_set_everyone_view(g, 2), ROSTER_EINVAL);
    EXPECT(roster_guild_set_offline_threshold(NULL, 5), ROSTER_EINVAL);
    EXPECT(roster_guild_member_count(NULL, g), ROSTER_EINVAL);
    EXPECT(roster_batch_begin(NULL), ROSTER_EINVAL);
    EXPECT(roster_batch_commit(g), ROSTER_EINVAL); /* no batch open */
    EXPECT(roster_role_upsert(g, NULL), ROSTER_EINVAL);
    EXPECT(roster_role_upsert(NULL, &r12), ROSTER_EINVAL);
    EXPECT(roster_role_remove(NULL, 10), ROSTER_EINVAL);
    EXPECT(roster_roles_reorder(g, NULL, pos2, 2), ROSTER_EINVAL);
    EXPECT(roster_member_add(NULL, 4, "d", 1, NULL, 0, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, NULL, 1, NULL, 0, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, "d", 1, NULL, 1, 1), ROSTER_EINVAL);
    EXPECT(roster_member_set_name(g, 1, NULL, 2), ROSTER_EINVAL);
    EXPECT(roster_member_set_roles(g, 1, NULL, 1), ROSTER_EINVAL);
    EXPECT(roster_member_get(NULL, NULL, 0, &n, g, 1), ROSTER_EINVAL);
    EXPECT(roster_member_get(&info, NULL, 3, &n, g, 1), ROSTER_EINVAL);
    EXPECT(roster_list_set(g, 7, NULL), ROSTER_EINVAL);
    EXPECT(roster_list_length(NULL, g, 0), ROSTER_EINVAL);
    EXPECT(roster_list_counts(&u, NULL, g, 0), ROSTER_EINVAL);
    EXPECT(roster_list_groups(NULL, 3, &n, g, 0), ROSTER_EINVAL);
    EXPECT(roster_list_groups(NULL, 0, NULL, g, 0), ROSTER_EINVAL);
    EXPECT(roster_list_rows(NULL, 1, &n, g, 0, 0, 5), ROSTER_EINVAL);
    EXPECT(roster_list_rows(&row, 1, &n, g, 0, 5, 4), ROSTER_EINVAL);
    EXPECT(roster_list_index_of(NULL, g, 0, 1), ROSTER_EINVAL);

    /* Bad ids, names, statuses. */
    EXPECT(roster_role_upsert(g, &role0), ROSTER_EINVAL);
    EXPECT(roster_role_upsert(g, &badflags), ROSTER_EINVAL);
    EXPECT(roster_role_upsert(g, &res), ROSTER_EINVAL);
    EXPECT(roster_role_remove(g, 999), ROSTER_ENOTFOUND);
    EXPECT(roster_role_remove(g, 0), ROSTER_EINVAL);
    EXPECT(roster_roles_reorder(g, ids2, pos2, 2), ROSTER_EINVAL); /* duplicate id */
    EXPECT(roster_roles_reorder(g, unknown, pos2, 1), ROSTER_ENOTFOUND);
    EXPECT(roster_member_add(g, 0, "z", 1, NULL, 0, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, "", 0, NULL, 0, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, long_name, 129, NULL, 0, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, "\xff", 1, NULL, 0, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, "\xe2\x82", 2, NULL, 0, 1), ROSTER_EINVAL); /* truncated */
    EXPECT(roster_member_add(g, 4, "\xed\xa0\x80", 3, NULL, 0, 1), ROSTER_EINVAL); /* surrogate */
    EXPECT(roster_member_add(g, 4, "d", 1, NULL, 0, 4), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, "d", 1, NULL, 0, -1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, "d", 1, unknown, 1, 1), ROSTER_ENOTFOUND);
    EXPECT(roster_member_add(g, 4, "d", 1, zero, 1, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 4, "d", 1, reserved, 1, 1), ROSTER_EINVAL);
    EXPECT(roster_member_add(g, 1, "dup", 3, NULL, 0, 1), ROSTER_EEXIST);
    EXPECT(roster_member_remove(g, 42), ROSTER_ENOTFOUND);
    EXPECT(roster_member_remove(g, 0), ROSTER_EINVAL);
    EXPECT(roster_member_set_status(g, 42, 1), ROSTER_ENOTFOUND);
    EXPECT(roster_member_set_status(g, 1, 9), ROSTER_EINVAL);
    EXPECT(roster_member_set_name(g, 1, "\xc0\xaf", 2), ROSTER_EINVAL); /* overlong */
    EXPECT(roster_member_set_name(g, 42, "x", 1), ROSTER_ENOTFOUND);
    EXPECT(roster_member_set_sort_key(g, 1, "", 0), ROSTER_EINVAL);
    EXPECT(roster_member_set_sort_key(g, 1, "123456789", 9), ROSTER_ELIMIT); /* > max 8 */
    EXPECT(roster_member_set_sort_key(g, 42, "k", 1), ROSTER_ENOTFOUND);
    EXPECT(roster_member_set_roles(g, 1, unknown, 1), ROSTER_ENOTFOUND);
    EXPECT(roster_member_add_role(g, 1, 999), ROSTER_ENOTFOUND);
    EXPECT(roster_member_add_role(g, 42, 10), ROSTER_ENOTFOUND);
    EXPECT(roster_member_remove_role(g, 1, 0), ROSTER_EINVAL);
    EXPECT(roster_member_touch(g, 42), ROSTER_ENOTFOUND);
    EXPECT(roster_member_get(&info, NULL, 0, &n, g, 42), ROSTER_ENOTFOUND);
    EXPECT(roster_list_set(g, 0, &rule), ROSTER_EINVAL);
    EXPECT(roster_list_remove(g, 0), ROSTER_EINVAL);
    EXPECT(roster_list_remove(g, 8), ROSTER_ENOTFOUND);
    EXPECT(roster_list_length(&u, g, 8), ROSTER_ENOTFOUND);
    EXPECT(roster_list_index_of(&u, g, 0, 42), ROSTER_ENOTFOUND);
    rule.everyone = 3;
    EXPECT(roster_list_set(g, 7, &rule), ROSTER_EINVAL);
    rule.everyone = ROSTER_OVERWRITE_NONE;
    rule.roles = &zero_ow;
    rule.role_count = 1;
    EXPECT(roster_list_set(g, 7, &rule), ROSTER_EINVAL);
    rule.roles = &bad_allow;
    EXPECT(roster_list_set(g, 7, &rule), ROSTER_EINVAL);
    small.size = 4;
    EXPECT(roster_list_set(g, 7, &small), ROSTER_EINVAL);

    /* Limits. */
    EXPECT(roster_member_set_roles(g, 1, three, 3), ROSTER_OK);
    snapshot(g, before, sizeof before); /* duplicates collapse: {10, 11} is allowed */
    EXPECT(roster_role_upsert(g, &r12), ROSTER_OK);
    EXPECT(roster_role_upsert(g, &r13), ROSTER_OK);
    EXPECT(roster_role_upsert(g, &r14), ROSTER_ELIMIT); /* max_roles 4 */
    {
        uint64_t r3[3] = {10, 11, 12};
        EXPECT(roster_member_set_roles(g, 2, r3, 3), ROSTER_ELIMIT); /* 2 per member */
    }
    EXPECT(roster_member_add_role(g, 1, 12), ROSTER_ELIMIT);
    EXPECT(roster_member_add(g, 4, "d", 1, NULL, 0, 1), ROSTER_OK);
    EXPECT(roster_member_add(g, 5, "e", 1, NULL, 0, 1), ROSTER_OK);
    EXPECT(roster_member_add(g, 6, "f", 1, NULL, 0, 1), ROSTER_ELIMIT); /* 5 members */
    rule.roles = ows;
    rule.role_count = 3;
    EXPECT(roster_list_set(g, 7, &rule), ROSTER_ELIMIT); /* 3 overwrites > 2 */
    rule.role_count = 0;
    EXPECT(roster_list_set(g, 8, &rule), ROSTER_ELIMIT); /* 1 list besides 0 */
    EXPECT(roster_member_remove(g, 4), ROSTER_OK);
    EXPECT(roster_member_remove(g, 5), ROSTER_OK);
    EXPECT(roster_role_remove(g, 12), ROSTER_OK);
    EXPECT(roster_role_remove(g, 13), ROSTER_OK);

    snapshot(g, after, sizeof after);
    if (strcmp(before, after) != 0) {
        fprintf(stderr, "guild changed by rejected calls:\n before %s\n after  %s\n", before, after);
        ++failures;
    }
    roster_guild_destroy(g);
}

/* ---- roster_members_add and roster_members_add_at: the first bad entry */

static roster_member_spec spec(uint64_t id, const char *name, const uint64_t *roles,
                               size_t role_count, int32_t status) {
    roster_member_spec m;
    memset(&m, 0, sizeof m);
    m.id = id;
    m.name = name;
    m.name_len = name ? strlen(name) : 1;
    m.roles = roles;
    m.role_count = role_count;
    m.status = status;
    return m;
}

/* Both calls return `status`; roster_members_add_at names entry `index`;
 * the guild is unchanged. */
static void expect_bulk_fails(roster_guild *g, const roster_member_spec *ms, size_t count,
                              int status, size_t index, int line) {
    char before[4096], after[4096];
    size_t at = 12345;
    int got;
    snapshot(g, before, sizeof before);
    got = roster_members_add(g, ms, count);
    if (got != status) {
        fprintf(stderr, "%s:%d: roster_members_add returned %d (%s), expected %d (%s)\n", __FILE__,
                line, got, roster_status_str(got), status, roster_status_str(status));
        ++failures;
    }
    got = roster_members_add_at(&at, g, ms, count);
    if (got != status || at != index) {
        fprintf(stderr, "%s:%d: roster_members_add_at returned %d (%s) at %lu, expected %d (%s) at %lu\n",
                __FILE__, line, got, roster_status_str(got), (unsigned long)at, status,
                roster_status_str(status), (unsigned long)index);
        ++failures;
    }
    snapshot(g, after, sizeof after);
    if (strcmp(before, after) != 0) {
        fprintf(stderr, "%s:%d: guild changed by a rejected bulk add:\n before %s\n after  %s\n",
                __FILE__, line, before, after);
        ++failures;
    }
}

#define BULK_FAILS(ms, status, index) \
    expect_bulk_fails(g, ms, sizeof ms / sizeof ms[0], status, index, __LINE__)

/* Each entry is checked as roster_member_add checks it (EINVAL first, then
 * its roles, then whether it exists, an id given earlier in the array
 * included), in array order: the first failing entry decides. */
static void test_members_add_first_failure(void) {
    roster_guild *g = make_guild_of(7); /* roles 10 (hoisted), 11; members 1-3 */
    uint64_t r10[1] = {10}, unknown[1] = {999}, three[3] = {10, 11, 12}, reserved[1] = {ROSTER_GROUP_ONLINE};
    roster_role r12 = {12, 1, 0};
    size_t at = 777;
    EXPECT(roster_role_upsert(g, &r12), ROSTER_OK);
    {   /* an unknown role before a NULL name, and after it */
        roster_member_spec a[3], b[3];
        a[0] = spec(20, "a", NULL, 0, ROSTER_ONLINE);
        a[1] = spec(21, "b", unknown, 1, ROSTER_ONLINE);
        a[2] = spec(22, NULL, NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_ENOTFOUND, 1);
        b[0] = a[0], b[1] = a[2], b[2] = a[1];
        BULK_FAILS(b, ROSTER_EINVAL, 1);
    }
    {   /* an existing member before a bad status, and after it */
        roster_member_spec a[2], b[2];
        a[0] = spec(1, "again", NULL, 0, ROSTER_ONLINE);
        a[1] = spec(21, "b", NULL, 0, 9);
        BULK_FAILS(a, ROSTER_EEXIST, 0);
        b[0] = a[1], b[1] = a[0];
        BULK_FAILS(b, ROSTER_EINVAL, 0);
    }
    {   /* an id given twice: the second is the bad one, before or after others */
        roster_member_spec a[3], b[3], c[4];
        a[0] = spec(20, "a", NULL, 0, ROSTER_ONLINE);
        a[1] = spec(20, "a2", NULL, 0, ROSTER_ONLINE);
        a[2] = spec(22, "c", NULL, 0, -1);
        BULK_FAILS(a, ROSTER_EEXIST, 1);
        b[0] = a[0], b[1] = a[2], b[2] = a[1];
        BULK_FAILS(b, ROSTER_EINVAL, 1);
        c[0] = spec(20, "a", NULL, 0, ROSTER_ONLINE);
        c[1] = spec(21, "b", NULL, 0, ROSTER_ONLINE);
        c[2] = spec(21, "b2", unknown, 1, ROSTER_ONLINE); /* its role is checked first */
        c[3] = spec(2, "old", NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(c, ROSTER_ENOTFOUND, 2);
        c[2] = spec(21, "b2", r10, 1, ROSTER_ONLINE);
        BULK_FAILS(c, ROSTER_EEXIST, 2);
    }
    {   /* roles NULL with a count; too many roles; a reserved role id; id 0;
         * an empty or invalid name (found by the engine, not the C layer) */
        roster_member_spec a[3];
        a[0] = spec(20, "a", NULL, 0, ROSTER_ONLINE);
        a[1] = spec(21, "b", NULL, 2, ROSTER_ONLINE);
        a[2] = spec(1, "old", NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_EINVAL, 1);
        a[1] = spec(21, "b", three, 3, ROSTER_ONLINE); /* max_roles_per_member 2 */
        a[2] = spec(22, NULL, NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_ELIMIT, 1);
        a[1] = spec(21, "b", reserved, 1, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_EINVAL, 1);
        a[0] = spec(0, "zero", NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_EINVAL, 0);
        a[0] = spec(20, "", NULL, 0, ROSTER_ONLINE);
        a[0].name_len = 0;
        a[1] = spec(1, "old", NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_EINVAL, 0);
        a[0] = spec(20, "\xff", NULL, 0, ROSTER_ONLINE);
        a[1] = spec(21, NULL, NULL, 0, ROSTER_ONLINE);
        a[2] = spec(22, "c", unknown, 1, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_EINVAL, 0);
        a[0] = spec(20, "a", NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_EINVAL, 1);
    }
    {   /* failures not about one entry: index = count */
        roster_member_spec a[5];
        a[0] = spec(20, "a", NULL, 0, ROSTER_ONLINE);
        a[1] = spec(21, "b", unknown, 1, ROSTER_ONLINE);
        a[2] = spec(22, "c", NULL, 0, ROSTER_ONLINE);
        a[3] = spec(23, "d", NULL, 0, ROSTER_ONLINE);
        a[4] = spec(24, "e", NULL, 0, ROSTER_ONLINE);
        BULK_FAILS(a, ROSTER_ELIMIT, 5); /* 3 + 5 > max_members 7, checked first */
        EXPECT(roster_members_add_at(&at, g, NULL, 2), ROSTER_EINVAL);
        CHECK(at == 2);
        at = 777;
        EXPECT(roster_members_add_at(&at, NULL, a, 2), ROSTER_EINVAL);
        CHECK(at == 2);
        EXPECT(roster_members_add_at(NULL, g, a + 1, 1), ROSTER_ENOTFOUND); /* index optional */
    }
    {   /* success: the index is not written */
        roster_member_spec a[2];
        roster_member_info info;
        uint32_t n = 0;
        a[0] = spec(20, "a", r10, 1, ROSTER_ONLINE);
        a[1] = spec(21, "b", NULL, 0, ROSTER_IDLE);
        at = 777;
        EXPECT(roster_members_add_at(&at, g, a, 2), ROSTER_OK);
        CHECK(at == 777);
        EXPECT(roster_guild_member_count(&n, g), ROSTER_OK);
        CHECK(n == 5);
        EXPECT(roster_member_get(&info, NULL, 0, NULL, g, 20), ROSTER_OK);
        CHECK(info.group == 10 && info.status == ROSTER_ONLINE);
        EXPECT(roster_members_add_at(&at, g, NULL, 0), ROSTER_OK); /* nothing to add */
    }
    roster_guild_destroy(g);
}

static void test_config_validation(void) {
    roster_guild *g = NULL;
    roster_config cfg = ROSTER_CONFIG_INIT;
    cfg.size = 8;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_EINVAL);
    CHECK(g == NULL);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.max_members = 0;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_EINVAL);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.everyone_view = 2;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_EINVAL);
    EXPECT(roster_guild_create(&g, NULL), ROSTER_OK);
    CHECK(g != NULL);
    roster_guild_destroy(g);
}

/* ---- Sessions and frames ------------------------------------------------- */

#define REC_FRAMES 16
#define REC_OPS 8
#define REC_ITEMS 32

/* A copy of one frame: the callback's arrays live only during the call. */
typedef struct rec_frame {
    uint64_t list_id;
    uint32_t member_count, online_count;
    size_t group_count, op_count, session_count;
    roster_group groups[4];
    roster_op ops[REC_OPS]; /* items pointers are not kept */
    roster_row items[REC_ITEMS];
    size_t item_count;
    uint64_t sessions[4];
} rec_frame;

typedef struct recorder {
    roster_guild *guild;
    rec_frame frames[REC_FRAMES];
    size_t count;
    int try_busy;     /* call what is refused inside the callback */
    int busy_failed;  /* how many of those calls did not return EBUSY */
    int unsubscribe;  /* session to unsubscribe from list 0 inside the callback */
    int try_events;   /* call roster_events_apply inside the callback */
    int unsubscribe_always; /* session unsubscribed from list 0 at every frame */
    int unsub_on;     /* at the first frame for this session ... */
    int unsub_who;    /* ... this session is unsubscribed from list 0 (once) */
    size_t calls;     /* callback invocations, recorded or not */
    int try_flush;    /* call roster_guild_flush inside the callback */
    int remove;       /* session to remove inside the callback */
    uint32_t sessions_after_remove; /* roster_guild_session_count right after */
    int remove_failed; /* the removal, or the queries after it, said otherwise */
} recorder;

static void record_frame(const roster_frame *f, const uint64_t *sessions, size_t n, void *user) {
    recorder *r = (recorder *)user;
    rec_frame *out;
    size_t i, k;
    ++r->calls;
    /* Unsubscribing again on every frame must not keep the flush going;
     * the cap only keeps a regression from hanging the test. */
    if (r->unsubscribe_always && r->calls < 1000 &&
        roster_session_subscribe(r->guild, (uint64_t)r->unsubscribe_always, 0, NULL, 0) != ROSTER_OK)
        ++r->busy_failed;
    if (r->try_flush && roster_guild_flush(r->guild) != ROSTER_EBUSY) ++r->busy_failed;
    if (r->unsub_on && n == 1 && sessions[0] == (uint64_t)r->unsub_on) {
        if (roster_session_subscribe(r->guild, (uint64_t)r->unsub_who, 0, NULL, 0) != ROSTER_OK)
            ++r->busy_failed;
        r->unsub_on = 0;
    }
    if (r->count == REC_FRAMES) return;
    out = &r->frames[r->count++];
    memset(out, 0, sizeof *out);
    out->list_id = f->list_id;
    out->member_count = f->member_count;
    out->online_count = f->online_count;
    out->group_count = f->group_count;
    out->op_count = f->op_count;
    out->session_count = n;
    for (i = 0; i < f->group_count && i < 4; ++i) out->groups[i] = f->groups[i];
    for (i = 0; i < n && i < 4; ++i) out->sessions[i] = sessions[i];
    for (i = 0; i < f->op_count && i < REC_OPS; ++i) {
        out->ops[i] = f->ops[i];
        out->ops[i].items = NULL;
        for (k = 0; k < f->ops[i].item_count && out->item_count < REC_ITEMS; ++k)
            out->items[out->item_count++] = f->ops[i].items[k];
    }
    if (r->try_busy) {
        roster_range range = {0, 4};
        uint32_t u = 0;
        if (roster_member_touch(r->guild, 1) != ROSTER_EBUSY) ++r->busy_failed;
        if (roster_member_add(r->guild, 50, "x", 1, NULL, 0, ROSTER_ONLINE) != ROSTER_EBUSY) ++r->busy_failed;
        {   /* EBUSY is not about an entry: the index is the count */
            roster_member_spec m;
            size_t at = 0;
            memset(&m, 0, sizeof m);
            m.id = 51;
            m.name = "y";
            m.name_len = 1;
            if (roster_members_add_at(&at, r->guild, &m, 1) != ROSTER_EBUSY || at != 1) ++r->busy_failed;
        }
        if (roster_session_subscribe(r->guild, 9, 0, &range, 1) != ROSTER_EBUSY) ++r->busy_failed;
        if (roster_batch_begin(r->guild) != ROSTER_EBUSY) ++r->busy_failed;
        if (roster_guild_set_frame_callback(r->guild, NULL, NULL) != ROSTER_EBUSY) ++r->busy_failed;
        /* Queries are allowed. */
        if (roster_guild_session_count(&u, r->guild) != ROSTER_OK) ++r->busy_failed;
    }
    if (r->try_events) {
        roster_event e;
        int st = 99;
        memset(&e, 0, sizeof e);
        e.kind = ROSTER_EVENT_TOUCH;
        e.user_id = 1;
        if (roster_events_apply(r->guild, &e, 1, sizeof e, &st) != ROSTER_EBUSY || st != 99)
            ++r->busy_failed;
    }
    if (r->remove) {
        roster_range got[2];
        size_t n = 0;
        if (roster_session_remove(r->guild, (uint64_t)r->remove) != ROSTER_OK) ++r->remove_failed;
        if (roster_guild_session_count(&r->sessions_after_remove, r->guild) != ROSTER_OK)
            ++r->remove_failed;
        if (roster_session_ranges(got, 2, &n, r->guild, (uint64_t)r->remove, 0) != ROSTER_ENOTFOUND)
            ++r->remove_failed;
        if (roster_session_remove(r->guild, (uint64_t)r->remove) != ROSTER_ENOTFOUND)
            ++r->remove_failed;
        r->remove = 0;
    }
    if (r->unsubscribe) {
        if (roster_session_subscribe(r->guild, (uint64_t)r->unsubscribe, 0, NULL, 0) != ROSTER_OK)
            ++r->busy_failed;
        r->unsubscribe = 0;
    }
}

static roster_guild *make_session_guild(recorder *rec) {
    roster_guild *g = NULL;
    roster_config cfg = ROSTER_CONFIG_INIT;
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    cfg.chunk_size = 5;
    cfg.max_ranges = 2;
    cfg.max_range_span = 10;
    cfg.max_session_lists = 2;
    cfg.max_sessions = 2;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (!g) return NULL;
    memset(rec, 0, sizeof *rec);
    rec->guild = g;
    EXPECT(roster_member_add(g, 1, "a", 1, NULL, 0, ROSTER_ONLINE), ROSTER_OK);
    EXPECT(roster_member_add(g, 2, "b", 1, NULL, 0, ROSTER_ONLINE), ROSTER_OK);
    EXPECT(roster_member_add(g, 3, "c", 1, NULL, 0, ROSTER_ONLINE), ROSTER_OK);
    EXPECT(roster_list_set(g, 7, &rule), ROSTER_OK);
    EXPECT(roster_list_set(g, 8, &rule), ROSTER_OK);
    EXPECT(roster_guild_set_frame_callback(g, record_frame, rec), ROSTER_OK);
    return g;
}

static void test_sessions_good_paths(void) {
    static recorder rec;
    roster_guild *g = make_session_guild(&rec);
    roster_range r04 = {0, 4}, r40 = {4, 0}, got[4];
    size_t n = 0;
    uint32_t u = 0;
    const rec_frame *f;
    if (!g) return;

    /* A first subscription gets its rows: [online:3] 1 2 3. */
    EXPECT(roster_session_subscribe(g, 1, 0, &r04, 1), ROSTER_OK);
    CHECK(rec.count == 1);
    f = &rec.frames[0];
    CHECK(f->list_id == 0 && f->member_count == 3 && f->online_count == 3);
    CHECK(f->group_count == 1 && f->groups[0].id == ROSTER_GROUP_ONLINE && f->groups[0].count == 3);
    CHECK(f->session_count == 1 && f->sessions[0] == 1);
    CHECK(f->op_count == 1 && f->ops[0].kind == ROSTER_OP_SYNC && f->ops[0].index == 0 &&
          f->ops[0].end == 4 && f->ops[0].item_count == 4);
    CHECK(f->items[0].kind == ROSTER_ROW_HEADER && f->items[0].group == ROSTER_GROUP_ONLINE &&
          f->items[0].count == 3);
    CHECK(f->items[1].kind == ROSTER_ROW_MEMBER && f->items[1].user == 1 && f->items[3].user == 3);
    EXPECT(roster_session_ranges(got, 4, &n, g, 1, 0), ROSTER_OK);
    CHECK(n == 1 && got[0].start == 0 && got[0].end == 4);
    EXPECT(roster_session_ranges(NULL, 0, &n, g, 1, 0), ROSTER_OK); /* the count alone */
    CHECK(n == 1);
    EXPECT(roster_session_ranges(got, 4, &n, g, 1, 7), ROSTER_OK); /* not subscribed */
    CHECK(n == 0);
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 1);

    /* The same chunk with reversed ends: both sessions then share frames. */
    rec.count = 0;
    EXPECT(roster_session_subscribe(g, 2, 0, &r40, 1), ROSTER_OK);
    CHECK(rec.count == 1 && rec.frames[0].sessions[0] == 2);
    rec.count = 0;
    EXPECT(roster_member_touch(g, 2), ROSTER_OK);
    CHECK(rec.count == 1);
    f = &rec.frames[0];
    CHECK(f->session_count == 2 && f->sessions[0] + f->sessions[1] == 3);
    CHECK(f->op_count == 1 && f->ops[0].kind == ROSTER_OP_UPDATE && f->ops[0].index == 2 &&
          f->ops[0].end == 2 && f->ops[0].item_count == 1 && f->items[0].user == 2);

    /* Inside the callback: mutations, subscribes, batches and the callback
     * itself are busy; queries are not. */
    rec.count = 0;
    rec.try_busy = 1;
    EXPECT(roster_member_set_status(g, 3, ROSTER_DND), ROSTER_OK);
    rec.try_busy = 0;
    CHECK(rec.count == 1 && rec.busy_failed == 0);
    {
        roster_member_info info;
        EXPECT(roster_member_get(&info, NULL, 0, &n, g, 50), ROSTER_ENOTFOUND);
    }
    EXPECT(roster_session_ranges(got, 4, &n, g, 9, 0), ROSTER_ENOTFOUND);

    /* A batch is one frame at commit: [online:3] 2 3 4. */
    rec.count = 0;
    EXPECT(roster_batch_begin(g), ROSTER_OK);
    EXPECT(roster_member_add(g, 4, "d", 1, NULL, 0, ROSTER_ONLINE), ROSTER_OK);
    EXPECT(roster_member_remove(g, 1), ROSTER_OK);
    CHECK(rec.count == 0);
    EXPECT(roster_batch_commit(g), ROSTER_OK);
    CHECK(rec.count == 1);
    f = &rec.frames[0];
    CHECK(f->member_count == 3 && f->session_count == 2);
    CHECK(f->op_count == 2 && f->ops[0].kind == ROSTER_OP_DELETE && f->ops[0].index == 1 &&
          f->ops[1].kind == ROSTER_OP_INSERT && f->ops[1].index == 3 && f->items[0].user == 4);

    /* Unsubscribing from inside the callback: its INVALIDATE comes within
     * the same call. */
    rec.count = 0;
    rec.unsubscribe = 2;
    EXPECT(roster_member_touch(g, 3), ROSTER_OK);
    CHECK(rec.busy_failed == 0);
    CHECK(rec.count == 2);
    f = &rec.frames[1];
    CHECK(f->session_count == 1 && f->sessions[0] == 2 && f->op_count == 1 &&
          f->ops[0].kind == ROSTER_OP_INVALIDATE && f->ops[0].index == 0 && f->ops[0].end == 4);
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 2); /* still there, with no lists */
    EXPECT(roster_session_ranges(got, 4, &n, g, 2, 0), ROSTER_OK);
    CHECK(n == 0);

    /* Removed: no more frames for it. */
    EXPECT(roster_session_remove(g, 2), ROSTER_OK);
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 1);
    EXPECT(roster_session_remove(g, 2), ROSTER_ENOTFOUND);
    rec.count = 0;
    EXPECT(roster_member_touch(g, 2), ROSTER_OK);
    CHECK(rec.count == 1 && rec.frames[0].session_count == 1 && rec.frames[0].sessions[0] == 1);

    /* Without a callback frames are dropped; sessions stay consistent. */
    EXPECT(roster_guild_set_frame_callback(g, NULL, NULL), ROSTER_OK);
    rec.count = 0;
    EXPECT(roster_member_touch(g, 2), ROSTER_OK);
    CHECK(rec.count == 0);
    EXPECT(roster_session_remove(g, 1), ROSTER_OK);
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 0);
    roster_guild_destroy(g);
}

/* A session removed inside the callback is gone at once for every query,
 * the session count included, though the removal itself ends with the
 * delivery. */
static void test_session_count_in_callback(void) {
    static recorder rec;
    roster_guild *g = make_session_guild(&rec);
    roster_range r04 = {0, 4};
    uint32_t u = 0;
    if (!g) return;
    EXPECT(roster_session_subscribe(g, 1, 0, &r04, 1), ROSTER_OK);
    EXPECT(roster_session_subscribe(g, 2, 0, &r04, 1), ROSTER_OK);
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 2);
    rec.count = 0;
    rec.remove = 2;
    rec.sessions_after_remove = 99;
    EXPECT(roster_member_touch(g, 1), ROSTER_OK);
    CHECK(rec.count == 1 && rec.remove == 0 && rec.remove_failed == 0);
    CHECK(rec.sessions_after_remove == 1);
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 1);
    /* The slot it freed can be taken again (max_sessions is 2). */
    EXPECT(roster_session_subscribe(g, 3, 0, &r04, 1), ROSTER_OK);
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 2);
    roster_guild_destroy(g);
}

static void test_sessions_bad_input(void) {
    static recorder rec;
    roster_guild *g = make_session_guild(&rec);
    roster_range r04 = {0, 4}, three[3] = {{0, 1}, {5, 6}, {10, 11}}, wide = {0, 10}, wide_rev = {10, 0};
    roster_range exact = {0, 9}, huge = {0, 0xFFFFFFFFu}, got[4];
    size_t n = 0;
    uint32_t u = 0;
    if (!g) return;
    EXPECT(roster_session_subscribe(g, 1, 0, &r04, 1), ROSTER_OK);
    EXPECT(roster_session_subscribe(g, 1, 7, &exact, 1), ROSTER_OK); /* span == max */
    rec.count = 0;

    EXPECT(roster_guild_set_frame_callback(NULL, record_frame, &rec), ROSTER_EINVAL);
    EXPECT(roster_session_subscribe(NULL, 1, 0, &r04, 1), ROSTER_EINVAL);
    EXPECT(roster_session_subscribe(g, 0, 0, &r04, 1), ROSTER_EINVAL);
    EXPECT(roster_session_subscribe(g, 1, 0, NULL, 1), ROSTER_EINVAL);
    EXPECT(roster_session_subscribe(g, 1, 99, &r04, 1), ROSTER_ENOTFOUND);
    EXPECT(roster_session_subscribe(g, 2, 99, &r04, 1), ROSTER_ENOTFOUND);
    EXPECT(roster_session_subscribe(g, 1, 0, three, 3), ROSTER_ELIMIT);
    EXPECT(roster_session_subscribe(g, 1, 0, &wide, 1), ROSTER_ELIMIT);
    EXPECT(roster_session_subscribe(g, 1, 0, &wide_rev, 1), ROSTER_ELIMIT);
    EXPECT(roster_session_subscribe(g, 1, 0, &huge, 1), ROSTER_ELIMIT);
    EXPECT(roster_session_subscribe(g, 1, 8, &r04, 1), ROSTER_ELIMIT); /* a third list */
    EXPECT(roster_session_remove(NULL, 1), ROSTER_EINVAL);
    EXPECT(roster_session_remove(g, 0), ROSTER_EINVAL);
    EXPECT(roster_session_remove(g, 42), ROSTER_ENOTFOUND);
    EXPECT(roster_session_ranges(NULL, 1, &n, g, 1, 0), ROSTER_EINVAL);
    EXPECT(roster_session_ranges(got, 4, NULL, g, 1, 0), ROSTER_EINVAL);
    EXPECT(roster_session_ranges(got, 4, &n, NULL, 1, 0), ROSTER_EINVAL);
    EXPECT(roster_session_ranges(got, 4, &n, g, 42, 0), ROSTER_ENOTFOUND);
    EXPECT(roster_guild_session_count(NULL, g), ROSTER_EINVAL);
    EXPECT(roster_guild_session_count(&u, NULL), ROSTER_EINVAL);
    EXPECT(roster_batch_commit(g), ROSTER_EINVAL);
    CHECK(rec.count == 0);

    /* Sessions: the second is fine, a third is over max_sessions. */
    EXPECT(roster_session_subscribe(g, 2, 0, &r04, 1), ROSTER_OK);
    rec.count = 0;
    EXPECT(roster_session_subscribe(g, 3, 0, &r04, 1), ROSTER_ELIMIT);
    CHECK(rec.count == 0);

    /* Nothing the rejected calls attempted happened. */
    EXPECT(roster_guild_session_count(&u, g), ROSTER_OK);
    CHECK(u == 2);
    EXPECT(roster_session_ranges(got, 4, &n, g, 1, 0), ROSTER_OK);
    CHECK(n == 1 && got[0].start == 0 && got[0].end == 4);
    EXPECT(roster_session_ranges(got, 4, &n, g, 1, 7), ROSTER_OK);
    CHECK(n == 1 && got[0].start == 0 && got[0].end == 9);
    EXPECT(roster_session_ranges(got, 4, &n, g, 1, 8), ROSTER_OK);
    CHECK(n == 0);
    EXPECT(roster_session_ranges(got, 4, &n, g, 3, 0), ROSTER_ENOTFOUND);
    /* The callback was not replaced by the rejected call. */
    EXPECT(roster_member_touch(g, 1), ROSTER_OK);
    CHECK(rec.count == 2); /* list 0 (sessions 1 and 2) and list 7 (session 1) */
    roster_guild_destroy(g);
}

static void expect_rejected(const roster_config *cfg, int line) {
    roster_guild *g = NULL;
    const int got = roster_guild_create(&g, cfg);
    if (got != ROSTER_EINVAL || g != NULL) {
        fprintf(stderr, "%s:%d: roster_guild_create returned %d (%s), expected ROSTER_EINVAL\n",
                __FILE__, line, got, roster_status_str(got));
        ++failures;
    }
    roster_guild_destroy(g);
}

/* A growing byte buffer for snapshots. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
} buffer;
static int append_to(const void *data, size_t len, void *user) {
    buffer *b = (buffer *)user;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        unsigned char *p;
        while (cap < b->len + len) cap *= 2;
        p = (unsigned char *)realloc(b->data, cap);
        if (!p) return 1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

/* Counting hooks over malloc (roster_config.allocator). */
typedef struct {
    long allocs, reallocs, frees, fail_after; /* fail_after < 0: never fail */
} hook_count;
static void *count_alloc(size_t size, void *user) {
    hook_count *c = (hook_count *)user;
    if (c->fail_after >= 0 && c->allocs + c->reallocs >= c->fail_after) return NULL;
    ++c->allocs;
    return malloc(size);
}
static void *count_realloc(void *p, size_t size, void *user) {
    hook_count *c = (hook_count *)user;
    if (c->fail_after >= 0 && c->allocs + c->reallocs >= c->fail_after) return NULL;
    ++c->reallocs;
    return realloc(p, size);
}
static void count_free(void *p, void *user) {
    ++((hook_count *)user)->frees;
    free(p);
}

static void test_allocator_hooks(void) {
    roster_guild *g = NULL, *g2 = NULL;
    roster_config cfg = ROSTER_CONFIG_INIT;
    hook_count c = {0, 0, 0, -1}, c2 = {0, 0, 0, -1};
    const roster_range r = {0, 99};
    roster_stats st = ROSTER_STATS_INIT;
    buffer snap = {NULL, 0, 0};
    uint64_t i;
    cfg.allocator.allocate = count_alloc;
    cfg.allocator.reallocate = count_realloc;
    cfg.allocator.deallocate = count_free;
    cfg.allocator.user_data = &c;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (!g) return;
    CHECK(c.allocs > 0); /* the guild itself */
    for (i = 1; i <= 3000; ++i) {
        char name[40];
        const int len = snprintf(name, sizeof name, i % 5 ? "m%llu" : "a long member name %llu",
                                 (unsigned long long)i);
        EXPECT(roster_member_add(g, i, name, (size_t)len, NULL, 0, (int)(i % 4)), ROSTER_OK);
    }
    EXPECT(roster_session_subscribe(g, 1, 0, &r, 1), ROSTER_OK);
    EXPECT(roster_member_set_status(g, 7, ROSTER_DND), ROSTER_OK);
    EXPECT(roster_guild_stats(&st, g), ROSTER_OK);
    CHECK(st.memory_bytes > 3000 * 64);
    CHECK(c.reallocs > 0); /* the slabs grow in place */
    EXPECT(roster_guild_save(g, ROSTER_SAVE_SESSIONS, append_to, &snap), ROSTER_OK);
    /* A loaded guild's memory comes from the loader's hooks. */
    cfg.allocator.user_data = &c2;
    EXPECT(roster_guild_load_buffer(&g2, &cfg, snap.data, snap.len), ROSTER_OK);
    CHECK(c2.allocs > 0);
    roster_guild_destroy(g);
    CHECK(c.allocs == c.frees);
    if (g2) {
        EXPECT(roster_member_set_status(g2, 8, ROSTER_DND), ROSTER_OK);
        roster_guild_destroy(g2);
    }
    CHECK(c2.allocs == c2.frees);
    /* A failing hook: creation fails cleanly, nothing kept. */
    c.allocs = c.reallocs = c.frees = 0;
    c.fail_after = 1;
    cfg.allocator.user_data = &c;
    g = NULL;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_ENOMEM);
    CHECK(g == NULL && c.allocs == c.frees);
    c.allocs = c.reallocs = c.frees = 0;
    c.fail_after = 0;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_ENOMEM);
    CHECK(g == NULL && c.allocs == 0 && c.frees == 0);
    /* Incomplete hooks and a non-zero reserved field are refused. */
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.allocator.allocate = count_alloc;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.allocator.deallocate = count_free;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.reserved = 1;
    expect_rejected(&cfg, __LINE__);
    /* A config from before the allocator (0.1's size) still works, hooks or not. */
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.size = (uint32_t)offsetof(roster_config, reserved);
    cfg.reserved = 7; /* not part of that struct: not read */
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    roster_guild_destroy(g);
    free(snap.data);
}

static void test_session_config(void) {
    roster_guild *g = NULL;
    roster_config cfg = ROSTER_CONFIG_INIT;
    roster_range r = {0, 250}, got[2];
    size_t n = 0;
    /* A config from before the session fields keeps their defaults. */
    cfg.size = (uint32_t)offsetof(roster_config, chunk_size);
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (g) {
        EXPECT(roster_session_subscribe(g, 1, 0, &r, 1), ROSTER_OK);
        EXPECT(roster_session_ranges(got, 2, &n, g, 1, 0), ROSTER_OK);
        CHECK(n == 1 && got[0].start == 0 && got[0].end == 299); /* 100-row chunks */
        roster_guild_destroy(g);
        g = NULL;
    }
    /* A zero session limit is refused like any other zero limit. */
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.chunk_size = 0;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.max_ranges = 0;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.max_range_span = 0;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.max_session_lists = 0;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.max_sessions = 0;
    expect_rejected(&cfg, __LINE__);
}

static void expect_created(const roster_config *cfg, int line) {
    roster_guild *g = NULL;
    const int got = roster_guild_create(&g, cfg);
    if (got != ROSTER_OK || g == NULL) {
        fprintf(stderr, "%s:%d: roster_guild_create returned %d (%s), expected ROSTER_OK\n",
                __FILE__, line, got, roster_status_str(got));
        ++failures;
    }
    roster_guild_destroy(g);
}

/* Every field that sizes memory is accepted at its bound and refused one
 * above it; cfg is a config in which that bound is the only limit hit, and
 * field points into it. */
static void check_bound(const roster_config *cfg, uint32_t *field, uint32_t max, int line) {
    *field = max;
    expect_created(cfg, line);
    *field = max + 1;
    expect_rejected(cfg, line);
}

#define CHECK_BOUND(field, max)                           \
    do {                                                  \
        check_bound(&base, &base.field, max, __LINE__);   \
        base = (roster_config)ROSTER_CONFIG_INIT;         \
    } while (0)

static void test_config_bounds(void) {
    roster_config base = ROSTER_CONFIG_INIT, cfg;
    CHECK_BOUND(max_members, ROSTER_MAX_MEMBERS);
    CHECK_BOUND(max_roles, ROSTER_MAX_ROLES);
    CHECK_BOUND(max_roles_per_member, ROSTER_MAX_ROLES_PER_MEMBER);
    CHECK_BOUND(max_lists, ROSTER_MAX_LISTS);
    CHECK_BOUND(max_overwrites, ROSTER_MAX_OVERWRITES);
    CHECK_BOUND(max_sort_key_bytes, ROSTER_MAX_SORT_KEY_BYTES);
    CHECK_BOUND(chunk_size, ROSTER_MAX_CHUNK_SIZE);
    CHECK_BOUND(max_session_lists, ROSTER_MAX_SESSION_LISTS);
    CHECK_BOUND(max_sessions, ROSTER_MAX_SESSIONS);
    /* Ranges within one chunk each: 500 * (99 / 100 + 2) = 1000 chunks. */
    base.max_range_span = 99;
    CHECK_BOUND(max_ranges, ROSTER_MAX_RANGES);
    /* One range of 10,000-row chunks: 1 * (1,000,000 / 10,000 + 2) = 102. */
    base.chunk_size = ROSTER_MAX_CHUNK_SIZE;
    base.max_ranges = 1;
    CHECK_BOUND(max_range_span, ROSTER_MAX_RANGE_SPAN);

    /* Chunks per subscription: 3 * (33,199 / 100 + 2) = 999 is allowed,
     * 3 * (33,200 / 100 + 2) = 1002 is not; the other fields as bounded. */
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.max_range_span = 33199;
    expect_created(&cfg, __LINE__);
    cfg.max_range_span = 33200;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.chunk_size = 1;
    cfg.max_ranges = 1;
    cfg.max_range_span = ROSTER_MAX_SUBSCRIPTION_CHUNKS - 2; /* 998 + 2 chunks */
    expect_created(&cfg, __LINE__);
    cfg.max_range_span = ROSTER_MAX_SUBSCRIPTION_CHUNKS - 1;
    expect_rejected(&cfg, __LINE__);
    /* The review's cases: one subscribe building 4 billion chunk numbers,
     * and a chunk whose row cache could never be allocated. */
    cfg.max_range_span = 0xFFFFFFFFu;
    expect_rejected(&cfg, __LINE__);
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.chunk_size = 50000000u;
    expect_rejected(&cfg, __LINE__);
    /* A config from an older header: its guild fields are bounded too. */
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.size = (uint32_t)offsetof(roster_config, chunk_size);
    cfg.max_roles = ROSTER_MAX_ROLES + 1;
    expect_rejected(&cfg, __LINE__);
}

/* What the frames of test_max_chunk_guild said. */
typedef struct big_rec {
    size_t frames, ops, sessions;
    uint32_t member_count;
    roster_op first;      /* items not kept */
    uint64_t first_user;  /* the user of the first op's first member row */
} big_rec;

static void big_frame(const roster_frame *f, const uint64_t *sessions, size_t n, void *user) {
    big_rec *r = (big_rec *)user;
    size_t k;
    (void)sessions;
    ++r->frames;
    r->ops += f->op_count;
    r->sessions += n;
    r->member_count = f->member_count;
    if (f->op_count == 0) return;
    r->first = f->ops[0];
    r->first.items = NULL;
    r->first_user = 0;
    for (k = 0; k < f->ops[0].item_count && !r->first_user; ++k)
        r->first_user = f->ops[0].items[k].user;
}

/* A guild at the largest chunk size works: two chunks of 10,000 rows are
 * synced, and events reach them. */
static void test_max_chunk_guild(void) {
    enum { members = 10050 };
    static roster_member_spec specs[members];
    static char names[members][8];
    roster_config cfg = ROSTER_CONFIG_INIT;
    roster_guild *g = NULL;
    roster_range ranges[2] = {{0, 0}, {ROSTER_MAX_CHUNK_SIZE, ROSTER_MAX_CHUNK_SIZE + 5}}, got[2];
    big_rec rec;
    size_t i, n = 0;
    cfg.chunk_size = ROSTER_MAX_CHUNK_SIZE;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (!g) return;
    for (i = 0; i < members; ++i) {
        snprintf(names[i], sizeof names[i], "m%05u", (unsigned)i);
        specs[i].id = i + 1;
        specs[i].name = names[i];
        specs[i].name_len = 6;
        specs[i].status = ROSTER_ONLINE;
    }
    EXPECT(roster_members_add(g, specs, members), ROSTER_OK);
    memset(&rec, 0, sizeof rec);
    EXPECT(roster_guild_set_frame_callback(g, big_frame, &rec), ROSTER_OK);

    /* Rows: [online] m00000 (id 1, row 1) ... m10049 (id 10050, row 10050). */
    EXPECT(roster_session_subscribe(g, 1, 0, ranges, 2), ROSTER_OK);
    CHECK(rec.frames == 1 && rec.ops == 1 && rec.sessions == 1);
    CHECK(rec.member_count == members);
    CHECK(rec.first.kind == ROSTER_OP_SYNC && rec.first.index == 0 &&
          rec.first.end == 2 * ROSTER_MAX_CHUNK_SIZE - 1 && rec.first.item_count == members + 1);
    CHECK(rec.first_user == 1);
    EXPECT(roster_session_ranges(got, 2, &n, g, 1, 0), ROSTER_OK);
    CHECK(n == 1 && got[0].start == 0 && got[0].end == 2 * ROSTER_MAX_CHUNK_SIZE - 1);

    /* A member in the second chunk changes in place: one UPDATE. */
    memset(&rec, 0, sizeof rec);
    EXPECT(roster_member_touch(g, 10040), ROSTER_OK);
    CHECK(rec.frames == 1 && rec.ops == 1);
    CHECK(rec.first.kind == ROSTER_OP_UPDATE && rec.first.index == 10040 && rec.first_user == 10040);

    /* The first member leaves: every later row shifts, across the chunks. */
    memset(&rec, 0, sizeof rec);
    EXPECT(roster_member_remove(g, 1), ROSTER_OK);
    CHECK(rec.frames == 1 && rec.ops >= 1 && rec.member_count == members - 1);
    CHECK(rec.first.kind == ROSTER_OP_DELETE && rec.first.index == 1);
    roster_guild_destroy(g);
}

/* roster_events_apply: every kind, the same result as one call per event,
 * per-event statuses (a failing event changes nothing, the rest apply),
 * one frame for the whole array, and its own bad input. */
static roster_event ev(uint32_t kind, uint64_t user) {
    roster_event e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.user_id = user;
    return e;
}

static void test_events_apply(void) {
    static recorder rec;
    roster_guild *one = make_guild(), *bulk = make_guild();
    uint64_t r10[1] = {10}, r11[1] = {11};
    roster_event es[12];
    int st[12];
    size_t n = 0, i;
    char a[4096], b[4096];
    es[n] = ev(ROSTER_EVENT_STATUS, 2), es[n++].status = ROSTER_DND;
    es[n] = ev(ROSTER_EVENT_NAME, 3), es[n].name = "zed", es[n++].name_len = 3;
    es[n] = ev(ROSTER_EVENT_ROLES, 2), es[n].roles = r10, es[n++].role_count = 1;
    es[n] = ev(ROSTER_EVENT_ADD_ROLE, 3), es[n++].role_id = 11;
    es[n] = ev(ROSTER_EVENT_REMOVE_ROLE, 1), es[n++].role_id = 10;
    es[n] = ev(ROSTER_EVENT_TOUCH, 1), n++;
    es[n] = ev(ROSTER_EVENT_ADD, 4), es[n].name = "dee", es[n].name_len = 3, es[n].roles = r11,
    es[n].role_count = 1, es[n++].status = ROSTER_ONLINE;
    es[n] = ev(ROSTER_EVENT_UPSERT, 1), es[n].name = "ann2", es[n].name_len = 4,
    es[n++].status = ROSTER_IDLE;
    es[n] = ev(ROSTER_EVENT_REMOVE, 2), n++;
    /* The same events one call at a time. */
    EXPECT(roster_member_set_status(one, 2, ROSTER_DND), ROSTER_OK);
    EXPECT(roster_member_set_name(one, 3, "zed", 3), ROSTER_OK);
    EXPECT(roster_member_set_roles(one, 2, r10, 1), ROSTER_OK);
    EXPECT(roster_member_add_role(one, 3, 11), ROSTER_OK);
    EXPECT(roster_member_remove_role(one, 1, 10), ROSTER_OK);
    EXPECT(roster_member_touch(one, 1), ROSTER_OK);
    EXPECT(roster_member_add(one, 4, "dee", 3, r11, 1, ROSTER_ONLINE), ROSTER_OK);
    EXPECT(roster_member_upsert(one, 1, "ann2", 4, NULL, 0, ROSTER_IDLE), ROSTER_OK);
    EXPECT(roster_member_remove(one, 2), ROSTER_OK);
    for (i = 0; i < n; ++i) st[i] = 99;
    EXPECT(roster_events_apply(bulk, es, n, sizeof(roster_event), st), ROSTER_OK);
    for (i = 0; i < n; ++i) CHECK(st[i] == ROSTER_OK);
    snapshot(one, a, sizeof a);
    snapshot(bulk, b, sizeof b);
    CHECK(strcmp(a, b) == 0);

    /* Failures: each reports its own status and changes nothing; the
     * events around it apply; the call returns the first failure. */
    n = 0;
    es[n] = ev(ROSTER_EVENT_STATUS, 3), es[n++].status = ROSTER_ONLINE;
    es[n] = ev(ROSTER_EVENT_STATUS, 77), es[n++].status = ROSTER_ONLINE; /* unknown member */
    es[n] = ev(ROSTER_EVENT_STATUS, 3), es[n++].status = 9;             /* bad status */
    es[n] = ev(42, 3), n++;                                              /* unknown kind */
    es[n] = ev(ROSTER_EVENT_NAME, 3), n++;                               /* NULL name */
    es[n] = ev(ROSTER_EVENT_ADD, 4), es[n].name = "x", es[n].name_len = 1, n++; /* exists */
    es[n] = ev(ROSTER_EVENT_ADD_ROLE, 3), es[n++].role_id = 999;         /* unknown role */
    es[n] = ev(ROSTER_EVENT_TOUCH, 4), n++;
    EXPECT(roster_events_apply(bulk, es, n, sizeof(roster_event), st), ROSTER_ENOTFOUND);
    CHECK(st[0] == ROSTER_OK && st[1] == ROSTER_ENOTFOUND && st[2] == ROSTER_EINVAL);
    CHECK(st[3] == ROSTER_EINVAL && st[4] == ROSTER_EINVAL && st[5] == ROSTER_EEXIST);
    CHECK(st[6] == ROSTER_ENOTFOUND && st[7] == ROSTER_OK);
    EXPECT(roster_member_set_status(one, 3, ROSTER_ONLINE), ROSTER_OK);
    snapshot(one, a, sizeof a);
    snapshot(bulk, b, sizeof b);
    CHECK(strcmp(a, b) == 0);
    /* statuses may be NULL; count 0 is fine with events NULL. */
    EXPECT(roster_events_apply(bulk, es + 7, 1, sizeof(roster_event), NULL), ROSTER_OK);
    EXPECT(roster_events_apply(bulk, NULL, 0, sizeof(roster_event), NULL), ROSTER_OK);

    /* Bad calls: nothing applied, statuses not written. */
    st[0] = 99;
    es[0] = ev(ROSTER_EVENT_REMOVE, 4);
    snapshot(bulk, a, sizeof a);
    EXPECT(roster_events_apply(NULL, es, 1, sizeof(roster_event), st), ROSTER_EINVAL);
    EXPECT(roster_events_apply(bulk, NULL, 1, sizeof(roster_event), st), ROSTER_EINVAL);
    EXPECT(roster_events_apply(bulk, es, 1, sizeof(roster_event) - 8, st), ROSTER_EINVAL);
    EXPECT(roster_events_apply(bulk, es, 1, sizeof(roster_event) + 1, st), ROSTER_EINVAL);
    CHECK(st[0] == 99);
    snapshot(bulk, b, sizeof b);
    CHECK(strcmp(a, b) == 0);
    roster_guild_destroy(one);
    roster_guild_destroy(bulk);

    /* A larger element (a caller built against a future header whose
     * roster_event has grown) is read with its stride. */
    {
        struct wider {
            roster_event e;
            uint64_t future;
        } w[2];
        roster_guild *g = make_guild();
        memset(w, 0, sizeof w);
        w[0].e = ev(ROSTER_EVENT_STATUS, 1), w[0].e.status = ROSTER_DND;
        w[1].e = ev(ROSTER_EVENT_STATUS, 2), w[1].e.status = ROSTER_OFFLINE;
        EXPECT(roster_events_apply(g, &w[0].e, 2, sizeof w[0], st), ROSTER_OK);
        {
            roster_member_info info;
            EXPECT(roster_member_get(&info, NULL, 0, NULL, g, 2), ROSTER_OK);
            CHECK(info.status == ROSTER_OFFLINE);
        }
        roster_guild_destroy(g);
    }

    /* Sessions: one frame for the whole array; EBUSY inside the callback. */
    {
        roster_guild *g = make_session_guild(&rec);
        roster_range r = {0, 4};
        roster_event two[2];
        if (!g) return;
        EXPECT(roster_session_subscribe(g, 1, 0, &r, 1), ROSTER_OK);
        rec.count = 0;
        two[0] = ev(ROSTER_EVENT_STATUS, 1), two[0].status = ROSTER_DND;
        two[1] = ev(ROSTER_EVENT_TOUCH, 2);
        EXPECT(roster_events_apply(g, two, 2, sizeof(roster_event), NULL), ROSTER_OK);
        CHECK(rec.count == 1 && rec.frames[0].op_count == 2);
        rec.count = 0;
        rec.try_events = 1;
        EXPECT(roster_member_touch(g, 3), ROSTER_OK);
        rec.try_events = 0;
        CHECK(rec.count == 1 && rec.busy_failed == 0);
        roster_guild_destroy(g);
    }
}

/* roster_guild_flush: nothing pending gives no frame; refused inside a
 * batch and inside the callback. Unsubscribing the same session on every
 * frame ends with its INVALIDATE frame. */
static void test_flush_and_repeated_unsubscribe(void) {
    static recorder rec;
    roster_range r0 = {0, 4};
    roster_guild *g = make_session_guild(&rec);
    if (!g) return;
    EXPECT(roster_guild_flush(NULL), ROSTER_EINVAL);
    EXPECT(roster_session_subscribe(g, 1, 0, &r0, 1), ROSTER_OK);
    EXPECT(roster_session_subscribe(g, 2, 0, &r0, 1), ROSTER_OK);
    rec.count = rec.calls = 0;
    EXPECT(roster_guild_flush(g), ROSTER_OK);
    CHECK(rec.calls == 0);
    EXPECT(roster_batch_begin(g), ROSTER_OK);
    EXPECT(roster_member_touch(g, 1), ROSTER_OK);
    EXPECT(roster_guild_flush(g), ROSTER_EINVAL);
    CHECK(rec.calls == 0);
    rec.try_flush = 1;
    EXPECT(roster_batch_commit(g), ROSTER_OK);
    rec.try_flush = 0;
    CHECK(rec.calls == 1 && rec.busy_failed == 0);

    rec.count = rec.calls = 0;
    rec.unsubscribe_always = 2;
    EXPECT(roster_member_touch(g, 2), ROSTER_OK);
    rec.unsubscribe_always = 0;
    /* The touch's frame (sessions 1 and 2 share it), then session 2's
     * INVALIDATE. */
    CHECK(rec.calls == 2);
    CHECK(rec.busy_failed == 0);
    if (rec.count == 2) {
        CHECK(rec.frames[1].session_count == 1 && rec.frames[1].sessions[0] == 2);
        CHECK(rec.frames[1].op_count == 1 && rec.frames[1].ops[0].kind == ROSTER_OP_INVALIDATE);
    }
    CHECK(strcmp(roster_status_str(ROSTER_EFLUSH), "flush failed") == 0);
    roster_guild_destroy(g);
}

/* A session unsubscribed from inside the callback after its SYNC was
 * delivered (in that frame, or in a later session's frame of the same
 * flush) holds the rows the SYNC gave it: its INVALIDATE names them. */
static void test_unsubscribe_after_own_sync(void) {
    static recorder rec;
    roster_range r0 = {0, 4};
    size_t n = 9;
    uint32_t count = 9;
    roster_guild *g = make_session_guild(&rec);
    if (!g) return;
    rec.unsubscribe_always = 1;
    EXPECT(roster_session_subscribe(g, 1, 0, &r0, 1), ROSTER_OK);
    rec.unsubscribe_always = 0;
    CHECK(rec.busy_failed == 0);
    CHECK(rec.count == 2);
    if (rec.count == 2) {
        CHECK(rec.frames[0].op_count == 1 && rec.frames[0].ops[0].kind == ROSTER_OP_SYNC);
        CHECK(rec.frames[1].session_count == 1 && rec.frames[1].sessions[0] == 1);
        CHECK(rec.frames[1].op_count == 1 && rec.frames[1].ops[0].kind == ROSTER_OP_INVALIDATE &&
              rec.frames[1].ops[0].index == 0 && rec.frames[1].ops[0].end == 4);
    }
    EXPECT(roster_guild_session_count(&count, g), ROSTER_OK);
    CHECK(count == 1); /* still there, with no lists */

    /* Closed by another session's frame, after its own. */
    rec.count = rec.calls = 0;
    EXPECT(roster_batch_begin(g), ROSTER_OK);
    EXPECT(roster_session_subscribe(g, 1, 0, &r0, 1), ROSTER_OK);
    EXPECT(roster_session_subscribe(g, 2, 0, &r0, 1), ROSTER_OK);
    rec.unsub_on = 2;
    rec.unsub_who = 1;
    EXPECT(roster_batch_commit(g), ROSTER_OK);
    CHECK(rec.unsub_on == 0 && rec.busy_failed == 0);
    CHECK(rec.count == 3);
    if (rec.count == 3) {
        CHECK(rec.frames[0].sessions[0] == 1 && rec.frames[0].ops[0].kind == ROSTER_OP_SYNC);
        CHECK(rec.frames[1].sessions[0] == 2 && rec.frames[1].ops[0].kind == ROSTER_OP_SYNC);
        CHECK(rec.frames[2].session_count == 1 && rec.frames[2].sessions[0] == 1);
        CHECK(rec.frames[2].op_count == 1 && rec.frames[2].ops[0].kind == ROSTER_OP_INVALIDATE &&
              rec.frames[2].ops[0].index == 0 && rec.frames[2].ops[0].end == 4);
    }
    EXPECT(roster_session_ranges(NULL, 0, &n, g, 1, 0), ROSTER_OK);
    CHECK(n == 0);
    EXPECT(roster_session_ranges(NULL, 0, &n, g, 2, 0), ROSTER_OK);
    CHECK(n == 1);
    roster_guild_destroy(g);
}

/* roster_guild_stats: the frame, delivery, op and row counts equal what the
 * callback was handed; the sizes follow the guild. */
typedef struct counting {
    uint64_t frames, deliveries, ops, rows;
} counting;

static void count_frame(const roster_frame *f, const uint64_t *sessions, size_t n, void *user) {
    counting *c = (counting *)user;
    size_t i;
    (void)sessions;
    ++c->frames;
    c->deliveries += n;
    c->ops += f->op_count;
    for (i = 0; i < f->op_count; ++i) c->rows += f->ops[i].item_count;
}

static void test_stats(void) {
    roster_guild *g = NULL;
    roster_stats st = ROSTER_STATS_INIT;
    counting c = {0, 0, 0, 0};
    roster_range r = {0, 9};
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    uint64_t id;
    CHECK(roster_guild_create(&g, NULL) == ROSTER_OK);
    CHECK(roster_guild_stats(&st, g) == ROSTER_OK);
    CHECK(st.size == sizeof st && st.members == 0 && st.lists == 1 && st.sessions == 0);
    CHECK(st.frames == 0 && st.memory_bytes > 0);
    CHECK(roster_guild_set_frame_callback(g, count_frame, &c) == ROSTER_OK);
    for (id = 1; id <= 50; ++id) {
        char name[16];
        sprintf(name, "m%02u", (unsigned)id);
        CHECK(roster_member_add(g, id, name, strlen(name), NULL, 0, (int)(id % 4)) == ROSTER_OK);
    }
    CHECK(roster_list_set(g, 5, &rule) == ROSTER_OK);
    CHECK(roster_session_subscribe(g, 1, 0, &r, 1) == ROSTER_OK);
    CHECK(roster_session_subscribe(g, 2, 0, &r, 1) == ROSTER_OK);
    CHECK(roster_session_subscribe(g, 3, 5, &r, 1) == ROSTER_OK);
    for (id = 1; id <= 50; ++id) CHECK(roster_member_set_status(g, id, (int)((id + 1) % 4)) == ROSTER_OK);
    CHECK(roster_guild_stats(&st, g) == ROSTER_OK);
    CHECK(st.members == 50 && st.lists == 2 && st.sessions == 3);
    CHECK(st.subscriptions == 2); /* sessions 1 and 2 share one; 3 on list 5 */
    CHECK(st.chunks_held == 2);   /* chunk 0 of each list (chunk_size 100) */
    CHECK(c.frames > 0);
    CHECK(st.frames == c.frames && st.deliveries == c.deliveries);
    CHECK(st.ops == c.ops && st.rows == c.rows);
    CHECK(st.flushes >= 50 + 4 && st.max_flush_ns >= st.last_flush_ns && st.max_flush_ns > 0);
    st.size = 4; /* older than this version's struct */
    CHECK(roster_guild_stats(&st, g) == ROSTER_EINVAL);
    CHECK(roster_guild_stats(NULL, g) == ROSTER_EINVAL);
    st.size = sizeof st;
    CHECK(roster_guild_stats(&st, NULL) == ROSTER_EINVAL);
    roster_guild_destroy(g);
}


/* The frame queue: records in the layout of docs/frames.md §12, written
 * here from the callback's frames by an encoder of the test's own. */
typedef struct byte_log {
    unsigned char *data;
    size_t len, cap;
} byte_log;

static void log_put(byte_log *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n) cap *= 2;
        b->data = (unsigned char *)realloc(b->data, cap);
        if (!b->data) abort();
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void log_u32(byte_log *b, uint32_t v) { log_put(b, &v, 4); }
static void log_u64(byte_log *b, uint64_t v) { log_put(b, &v, 8); }

static void encode_frame(const roster_frame *f, const uint64_t *sessions, size_t n, void *user) {
    byte_log *b = (byte_log *)user;
    uint64_t rows = 0;
    size_t i;
    for (i = 0; i < f->op_count; ++i) rows += f->ops[i].item_count;
    log_u64(b, 40 + 8 * (uint64_t)n + 16 * (uint64_t)f->group_count + 16 * (uint64_t)f->op_count +
                   24 * rows);
    log_u64(b, f->list_id);
    log_u32(b, f->member_count);
    log_u32(b, f->online_count);
    log_u32(b, (uint32_t)n);
    log_u32(b, (uint32_t)f->group_count);
    log_u32(b, (uint32_t)f->op_count);
    log_u32(b, (uint32_t)rows);
    log_put(b, sessions, 8 * n);
    for (i = 0; i < f->group_count; ++i) {
        log_u64(b, f->groups[i].id);
        log_u32(b, f->groups[i].count);
        log_u32(b, 0);
    }
    for (i = 0; i < f->op_count; ++i) {
        log_u32(b, f->ops[i].kind);
        log_u32(b, f->ops[i].index);
        log_u32(b, f->ops[i].end);
        log_u32(b, (uint32_t)f->ops[i].item_count);
    }
    for (i = 0; i < f->op_count; ++i) {
        size_t k;
        for (k = 0; k < f->ops[i].item_count; ++k) {
            const roster_row *r = &f->ops[i].items[k];
            log_u32(b, r->kind);
            log_u32(b, r->count);
            log_u64(b, r->group);
            log_u64(b, r->user);
        }
    }
}

/* Drives one guild through a fixed script: members, two lists, sessions
 * on both, and churn with a flush after each call. */
static void queue_script(roster_guild *g, uint32_t step) {
    uint64_t id = 1 + (step * 7919u) % 60u;
    uint64_t role = 100 + step % 3;
    switch (step % 5) {
    case 0: EXPECT(roster_member_set_status(g, id, (int)(step % 4)), ROSTER_OK); break;
    case 1: EXPECT(roster_member_add_role(g, id, role), ROSTER_OK); break;
    case 2: EXPECT(roster_member_remove_role(g, id, role), ROSTER_OK); break;
    case 3: {
        char name[16];
        sprintf(name, "n%u", (unsigned)(step * 31 % 97));
        EXPECT(roster_member_set_name(g, id, name, strlen(name)), ROSTER_OK);
        break;
    }
    default: {
        roster_range r[2] = {{0, 9}, {20, 39}};
        r[1].start = step % 30;
        r[1].end = r[1].start + 19;
        EXPECT(roster_session_subscribe(g, 1 + step % 4, step % 2 ? 0 : 9, r, 2), ROSTER_OK);
    }
    }
}

/* Touches every member: sessions holding the first chunks get frames. */
static void queue_churn(roster_guild *g) {
    uint64_t id;
    EXPECT(roster_batch_begin(g), ROSTER_OK);
    for (id = 1; id <= 60; ++id) EXPECT(roster_member_touch(g, id), ROSTER_OK);
    EXPECT(roster_batch_commit(g), ROSTER_OK);
}

static roster_guild *queue_guild(void) {
    roster_guild *g = NULL;
    roster_config cfg = ROSTER_CONFIG_INIT;
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    uint64_t id, role;
    cfg.chunk_size = 10;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (!g) return NULL;
    for (role = 100; role < 103; ++role) {
        roster_role r;
        r.id = role;
        r.position = (int32_t)(role - 99);
        r.flags = role == 102 ? 0 : ROSTER_ROLE_HOIST;
        EXPECT(roster_role_upsert(g, &r), ROSTER_OK);
    }
    for (id = 1; id <= 60; ++id) {
        char name[16];
        sprintf(name, "m%02u", (unsigned)id);
        EXPECT(roster_member_add(g, id, name, strlen(name), NULL, 0, (int)(id % 4)), ROSTER_OK);
    }
    {   /* list 9: holders of role 101 may not see it */
        roster_overwrite deny = {101, 0};
        rule.roles = &deny;
        rule.role_count = 1;
        EXPECT(roster_list_set(g, 9, &rule), ROSTER_OK);
    }
    return g;
}

static void test_frame_queue(void) {
    roster_guild *cb = queue_guild(), *q = queue_guild();
    byte_log want = {NULL, 0, 0}, got = {NULL, 0, 0};
    const void *data = NULL, *first = NULL;
    unsigned char *kept = NULL;
    size_t len = 1, kept_len = 0;
    uint32_t step;
    roster_stats before = ROSTER_STATS_INIT, after = ROSTER_STATS_INIT;
    counting c = {0, 0, 0, 0};
    if (!cb || !q) return;
    EXPECT(roster_guild_set_frame_callback(cb, encode_frame, &want), ROSTER_OK);
    EXPECT(roster_guild_set_frame_queue(q, 1), ROSTER_OK);
    /* Nothing queued yet: an empty take. */
    EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
    CHECK(len == 0);
    CHECK(roster_guild_stats(&before, q) == ROSTER_OK);
    for (step = 0; step < 200; ++step) {
        queue_script(cb, step);
        queue_script(q, step);
        if (step % 17 == 16) { /* take now and then: the records concatenate */
            EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
            CHECK(len % 8 == 0 && ((uintptr_t)data % 8) == 0);
            log_put(&got, data, len);
        }
    }
    CHECK(roster_guild_stats(&after, q) == ROSTER_OK);
    CHECK(after.memory_bytes > before.memory_bytes); /* the queue's buffers are counted */
    EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
    log_put(&got, data, len);
    CHECK(want.len > 1000);
    CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
    /* Every record's size walks the buffer exactly. */
    {
        size_t at = 0, records = 0;
        while (at + 8 <= got.len) {
            uint64_t size;
            memcpy(&size, got.data + at, 8);
            CHECK(size >= 40 && size % 8 == 0);
            if (size < 40) break;
            at += size;
            ++records;
        }
        CHECK(at == got.len && records > 50);
    }

    /* A take stays valid, unchanged, across flushes until the next take. */
    queue_churn(q);
    EXPECT(roster_guild_take_frames(&first, &len, q), ROSTER_OK);
    CHECK(len > 0);
    kept_len = len;
    kept = (unsigned char *)malloc(len ? len : 1);
    if (!kept) abort();
    memcpy(kept, first, len);
    for (step = 0; step < 40; ++step) queue_churn(q);
    CHECK(memcmp(first, kept, kept_len) == 0);
    EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
    CHECK(len > 0 && data != first);
    free(kept);

    /* Off: records not taken stay; new frames are dropped. */
    queue_churn(q);
    EXPECT(roster_guild_set_frame_queue(q, 0), ROSTER_OK);
    queue_churn(q);
    EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
    CHECK(len > 0);
    queue_churn(q);
    EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
    CHECK(len == 0);
    /* A callback replaces the queue, and the queue the callback. */
    EXPECT(roster_guild_set_frame_queue(q, 1), ROSTER_OK);
    EXPECT(roster_guild_set_frame_callback(q, count_frame, &c), ROSTER_OK);
    queue_churn(q);
    CHECK(c.frames > 0);
    EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
    CHECK(len == 0);
    c.frames = 0;
    EXPECT(roster_guild_set_frame_queue(q, 1), ROSTER_OK);
    queue_churn(q);
    CHECK(c.frames == 0);
    EXPECT(roster_guild_take_frames(&data, &len, q), ROSTER_OK);
    CHECK(len > 0);

    /* Bad calls. */
    EXPECT(roster_guild_set_frame_queue(NULL, 1), ROSTER_EINVAL);
    EXPECT(roster_guild_take_frames(NULL, &len, q), ROSTER_EINVAL);
    EXPECT(roster_guild_take_frames(&data, NULL, q), ROSTER_EINVAL);
    EXPECT(roster_guild_take_frames(&data, &len, NULL), ROSTER_EINVAL);
    free(want.data);
    free(got.data);
    roster_guild_destroy(cb);
    roster_guild_destroy(q); /* with records not taken: freed (ASan, the hooks test) */
}

/* Inside the frame callback the queue cannot be switched on. */
static int queue_busy_status = 0;
static void try_queue_in_callback(const roster_frame *f, const uint64_t *s, size_t n, void *user) {
    (void)f, (void)s, (void)n;
    queue_busy_status = roster_guild_set_frame_queue((roster_guild *)user, 1);
}

static void test_frame_queue_busy(void) {
    roster_guild *g = queue_guild();
    roster_range r = {0, 9};
    const void *data = NULL;
    size_t len = 1;
    if (!g) return;
    EXPECT(roster_guild_set_frame_callback(g, try_queue_in_callback, g), ROSTER_OK);
    EXPECT(roster_session_subscribe(g, 1, 0, &r, 1), ROSTER_OK);
    CHECK(queue_busy_status == ROSTER_EBUSY);
    EXPECT(roster_guild_take_frames(&data, &len, g), ROSTER_OK);
    CHECK(len == 0);
    roster_guild_destroy(g);
}

/* Counts a frame's DELETEs (tail deletes tests). */
static void count_deletes(const roster_frame *f, const uint64_t *sessions, size_t n, void *user) {
    size_t k;
    (void)sessions;
    (void)n;
    for (k = 0; k < f->op_count; ++k) *(size_t *)user += f->ops[k].kind == ROSTER_OP_DELETE;
}

/* A guild of 7 members, chunks of 5, one session holding rows 0..9; the
 * last member leaves: the DELETEs its frame carries (1 with tail deletes:
 * row 7 leaves the end of the list; 0 without). */
static size_t deletes_when_last_leaves(roster_guild *g) {
    const roster_range r = {0, 9};
    size_t deletes = 0;
    uint64_t i;
    for (i = 1; i <= 7; ++i) {
        char name[8];
        const int len = snprintf(name, sizeof name, "n%llu", (unsigned long long)i);
        EXPECT(roster_member_add(g, i, name, (size_t)len, NULL, 0, ROSTER_ONLINE), ROSTER_OK);
    }
    EXPECT(roster_session_subscribe(g, 1, 0, &r, 1), ROSTER_OK);
    EXPECT(roster_guild_set_frame_callback(g, count_deletes, &deletes), ROSTER_OK);
    EXPECT(roster_member_remove(g, 7), ROSTER_OK);
    EXPECT(roster_guild_set_frame_callback(g, NULL, NULL), ROSTER_OK);
    return deletes;
}

static void test_tail_deletes(void) {
    roster_guild *g = NULL, *g2 = NULL;
    roster_config cfg = ROSTER_CONFIG_INIT;
    hook_count c = {0, 0, 0, -1};
    buffer snap = {NULL, 0, 0};
    size_t deletes = 0;
    CHECK(cfg.tail_deletes == 0); /* off by default */
    cfg.tail_deletes = 2;
    expect_rejected(&cfg, __LINE__);
    cfg.tail_deletes = 0xFFFFFFFFu;
    expect_rejected(&cfg, __LINE__);
    cfg.tail_deletes = 1;
    cfg.chunk_size = 5;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (g) {
        CHECK(deletes_when_last_leaves(g) == 1);
        /* The snapshot carries the setting: the loader's config does not
         * turn it off. */
        EXPECT(roster_guild_save(g, ROSTER_SAVE_SESSIONS, append_to, &snap), ROSTER_OK);
        roster_guild_destroy(g);
        g = NULL;
        cfg = (roster_config)ROSTER_CONFIG_INIT;
        EXPECT(roster_guild_load_buffer(&g2, &cfg, snap.data, snap.len), ROSTER_OK);
        if (g2) {
            EXPECT(roster_guild_set_frame_callback(g2, count_deletes, &deletes), ROSTER_OK);
            EXPECT(roster_member_remove(g2, 6), ROSTER_OK); /* row 6, the last */
            CHECK(deletes == 1);
            roster_guild_destroy(g2);
        }
    }
    /* Without it: the row leaves at the bottom of the session's last chunk,
     * no DELETE (the client's resize drops it). */
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.chunk_size = 5;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (g) {
        CHECK(deletes_when_last_leaves(g) == 0);
        roster_guild_destroy(g);
        g = NULL;
    }
    /* A config of the size before tail_deletes: the field is not read
     * (off), and that struct's allocator hooks are still used. */
    cfg = (roster_config)ROSTER_CONFIG_INIT;
    cfg.size = (uint32_t)offsetof(roster_config, tail_deletes);
    cfg.chunk_size = 5;
    cfg.tail_deletes = 7;
    cfg.allocator.allocate = count_alloc;
    cfg.allocator.reallocate = count_realloc;
    cfg.allocator.deallocate = count_free;
    cfg.allocator.user_data = &c;
    EXPECT(roster_guild_create(&g, &cfg), ROSTER_OK);
    if (g) {
        CHECK(c.allocs > 0);
        CHECK(deletes_when_last_leaves(g) == 0);
        roster_guild_destroy(g);
        CHECK(c.allocs == c.frees);
    }
    free(snap.data);
}

int main(void) {
    test_good_paths();
    test_bad_input_leaves_guild_unchanged();
    test_members_add_first_failure();
    test_config_validation();
    test_sessions_good_paths();
    test_session_count_in_callback();
    test_sessions_bad_input();
    test_session_config();
    test_config_bounds();
    test_max_chunk_guild();
    test_events_apply();
    test_flush_and_repeated_unsubscribe();
    test_unsubscribe_after_own_sync();
    test_stats();
    test_allocator_hooks();
    test_frame_queue();
    test_frame_queue_busy();
    test_tail_deletes();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
