/* roster_guild_stats' memory_bytes against the process's RSS: a guild of
 * 1,000,000 members (names of several lengths, roles, two lists besides
 * "everyone") with 2,000 sessions subscribed over the three lists, built
 * through the C API; then the reported bytes must be within 10% of what
 * the process's resident memory grew by (after malloc_trim, so that freed
 * heap pages the allocator kept do not count as the guild's). Memory
 * sanitizers change what RSS means: under them the test reports itself
 * skipped (exit 77). Exit status 0 = passed. */
#include <roster/roster.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

#define MEMBERS 1000000u
#define SESSIONS 2000u

#ifndef UNDER_SANITIZER
/* Resident bytes now. */
static long long rss(void) {
    long pages = 0, resident = 0;
    FILE* f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return (long long)resident * sysconf(_SC_PAGESIZE);
}

static void no_frames(const roster_frame* f, const uint64_t* ids, size_t n, void* user) {
    (void)f, (void)ids, (void)n, (void)user;
}
#endif

int main(void) {
#ifdef UNDER_SANITIZER
    puts("SKIPPED: RSS is not the program's memory under a sanitizer");
    return 77;
#else
    const uint64_t role_ids[4] = {10, 11, 12, 13};
    roster_member_spec* specs = calloc(MEMBERS, sizeof *specs);
    char* names = malloc((size_t)MEMBERS * 48);
    if (!specs || !names) return 1;
    for (uint32_t i = 0; i < MEMBERS; ++i) {
        char* name = names + (size_t)i * 48;
        /* short names inline, one in eight long enough for a block */
        int len = snprintf(name, 48, i % 8 ? "u%u" : "a longer member name number %u", i + 1);
        specs[i].id = i + 1;
        specs[i].name = name;
        specs[i].name_len = (size_t)len;
        specs[i].roles = role_ids + i % 4;
        specs[i].role_count = i % 5 == 0 ? 4 - i % 4 : (i % 3 == 0);
        specs[i].status = (int)(i % 4);
    }
    malloc_trim(0);
    const long long before = rss();

    roster_guild* g = NULL;
    int rc = roster_guild_create(&g, NULL);
    const roster_role roles[4] = {{10, 5, ROSTER_ROLE_HOIST}, {11, 3, ROSTER_ROLE_HOIST},
                                  {12, 1, ROSTER_ROLE_VIEW}, {13, 0, 0}};
    for (int i = 0; rc == ROSTER_OK && i < 4; ++i) rc = roster_role_upsert(g, &roles[i]);
    if (rc == ROSTER_OK) rc = roster_members_add(g, specs, MEMBERS);
    roster_overwrite allow12[1] = {{12, 1}};
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    rule.everyone = ROSTER_OVERWRITE_DENY;
    rule.roles = allow12;
    rule.role_count = 1;
    if (rc == ROSTER_OK) rc = roster_list_set(g, 7, &rule);
    roster_list_rule all = ROSTER_LIST_RULE_INIT;
    if (rc == ROSTER_OK) rc = roster_list_set(g, 8, &all);
    if (rc == ROSTER_OK) rc = roster_guild_set_frame_callback(g, no_frames, NULL);
    for (uint64_t s = 1; rc == ROSTER_OK && s <= SESSIONS; ++s) {
        const uint64_t list = s % 3 == 0 ? 0 : s % 3 == 1 ? 7 : 8;
        const uint32_t at = (uint32_t)((s * 7919) % 200000);
        const roster_range r[2] = {{0, 99}, {at, at + 199}};
        rc = roster_session_subscribe(g, s, list, r, 2);
    }
    /* 20,000 status changes in batches of 100, each batch flushed */
    for (uint64_t k = 0; rc == ROSTER_OK && k < 20000; ++k) {
        if (k % 100 == 0) rc = roster_batch_begin(g);
        if (rc == ROSTER_OK)
            rc = roster_member_set_status(g, 1 + (k * 104729) % MEMBERS, (int)(k % 4));
        if (rc == ROSTER_OK && k % 100 == 99) rc = roster_batch_commit(g);
    }
    if (rc != ROSTER_OK) {
        fprintf(stderr, "building the guild: %s\n", roster_status_str(rc));
        return 1;
    }
    malloc_trim(0);
    const long long grown = rss() - before;  /* the specs were resident before too */
    free(specs);
    free(names);
    roster_stats st = ROSTER_STATS_INIT;
    if (roster_guild_stats(&st, g) != ROSTER_OK) return 1;
    const double ratio = (double)st.memory_bytes / (double)grown;
    printf("members %u, sessions %u: memory_bytes %llu, RSS grew by %lld bytes (ratio %.3f)\n",
           st.members, st.sessions, (unsigned long long)st.memory_bytes, grown, ratio);
    roster_guild_destroy(g);
    if (ratio < 0.90 || ratio > 1.10) {
        fprintf(stderr, "memory_bytes is not within 10%% of the RSS growth\n");
        return 1;
    }
    return 0;
#endif
}
