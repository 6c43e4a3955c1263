/* Frames as JSON (json.c): the :json frame format of the BEAM NIF. */
#ifndef ROSTER_NIF_JSON_H
#define ROSTER_NIF_JSON_H

#include <erl_nif.h>
#include <roster/roster.h>

#include <stddef.h>
#include <stdint.h>

/* A reusable buffer for the JSON text, and one for a member's roles. */
typedef struct json_buf {
    char *data;
    size_t len, cap;
    uint64_t *roles;
    size_t roles_cap;
} json_buf;

/* Writes the frame as JSON into b (from its start; b->len is its length).
 * Returns 0 when memory ran out or the guild did not answer for a member:
 * the text is then incomplete. */
int frame_json(json_buf *b, const roster_guild *guild, const roster_frame *frame);
void json_buf_free(json_buf *b);

#endif
