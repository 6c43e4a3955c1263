/* A program outside the project, built against an installed roster through
 * pkg-config only: it creates a guild, subscribes a session and checks the
 * frame it receives. */
#include <roster/roster.h>

#include <stdio.h>
#include <string.h>

static unsigned frames;
static unsigned synced;

static void on_frame(const roster_frame *frame, const uint64_t *sessions, size_t count,
                     void *user_data) {
    (void)sessions;
    (void)user_data;
    frames += (unsigned)count;
    if (frame->op_count == 1 && frame->ops[0].kind == ROSTER_OP_SYNC) {
        synced = frame->ops[0].item_count;
    }
}

int main(void) {
    roster_guild *g = NULL;
    roster_range range = {0, 99};
    if (roster_version_number() != ROSTER_VERSION_NUMBER) {
        fprintf(stderr, "header %s, library %s\n", ROSTER_VERSION_STRING,
                roster_version_string());
        return 1;
    }
    if (roster_guild_create(&g, NULL) != ROSTER_OK) return 1;
    if (roster_guild_set_frame_callback(g, on_frame, NULL) != ROSTER_OK) return 1;
    if (roster_member_add(g, 1, "ann", 3, NULL, 0, ROSTER_ONLINE) != ROSTER_OK) return 1;
    if (roster_session_subscribe(g, 9, 0, &range, 1) != ROSTER_OK) return 1;
    roster_guild_destroy(g);
    /* One frame: SYNC of the header "online" and ann. */
    if (frames != 1 || synced != 2) {
        fprintf(stderr, "frames %u, synced %u\n", frames, synced);
        return 1;
    }
    printf("consumer: roster %s works\n", roster_version_string());
    return 0;
}
