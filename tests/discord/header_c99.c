/* Compiled with -std=c99 -pedantic -Werror: discord.h must be plain C99. */
#include <roster/discord.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    roster_discord_list_id id;
    roster_discord_overwrite ow = {123, ROSTER_DISCORD_OVERWRITE_ROLE, ROSTER_OVERWRITE_ALLOW};
    roster_discord_encoder enc = ROSTER_DISCORD_ENCODER_INIT;
    roster_discord_request_info info = ROSTER_DISCORD_REQUEST_INFO_INIT;
    (void)enc;
    (void)info;
    if (roster_discord_version_number() != ROSTER_DISCORD_VERSION_NUMBER) {
        fprintf(stderr, "header/library version mismatch\n");
        return 1;
    }
    if (roster_discord_compute_list_id(&id, NULL, NULL, 0, 1, 1, &ow, 1) != ROSTER_OK ||
        strcmp(id.text, "everyone") != 0) {
        fprintf(stderr, "list id wrong\n");
        return 1;
    }
    return 0;
}
