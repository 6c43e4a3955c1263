/* C API tests, in C: every call with bad input returns the documented
 * status and leaves the guild exactly as it was; good input does what the
 * header says. Exit status 0 = all passed. */
#include <roster/roster.h>

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

static roster_guild *make_guild(void) {
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
    cfg.max_members = 5;
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

int main(void) {
    test_good_paths();
    test_bad_input_leaves_guild_unchanged();
    test_config_validation();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
