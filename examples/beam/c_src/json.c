/* Frames as JSON for the BEAM NIF's :json frame format: the payload of a
 * Discord GUILD_MEMBER_LIST_UPDATE, one line without whitespace:
 *
 *   {"id":L,"member_count":n,"online_count":n,"groups":[{"id":G,"count":n}...],
 *    "ops":[{"op":"SYNC","range":[s,e],"items":[ITEM...]}
 *          |{"op":"INSERT","index":i,"item":ITEM}
 *          |{"op":"UPDATE","index":i,"item":ITEM}
 *          |{"op":"DELETE","index":i}
 *          |{"op":"INVALIDATE","range":[s,e]}...]}
 *   ITEM: {"group":{"id":G,"count":n}}
 *       | {"member":{"user":{"id":"U"},"nick":S,"roles":["R"...],
 *          "presence":{"status":ST}}}
 *
 * L is "everyone" for list 0, else the list id as a string; G a role id as a
 * string, "online" or "offline"; ids are strings (Discord's snowflakes);
 * ST online|idle|dnd|offline. A member's nick, roles and status are read
 * with roster_member_get inside the frame callback, where queries see the
 * guild as of the flush. */
#include "json.h"

#include <stdio.h>
#include <string.h>

/* Appends len bytes; 0 when memory ran out (the buffer is kept). */
static int put(json_buf *b, const char *s, size_t len) {
    if (len > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;
        while (len > cap - b->len) {
            if (cap > (size_t)-1 / 2) return 0;
            cap *= 2;
        }
        p = enif_realloc(b->data, cap);
        if (p == NULL) return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, len);
    b->len += len;
    return 1;
}

static int puts_(json_buf *b, const char *s) { return put(b, s, strlen(s)); }

static int put_u64(json_buf *b, uint64_t v) {
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return put(b, digits + n, sizeof digits - n);
}

static int put_quoted_u64(json_buf *b, uint64_t v) {
    return puts_(b, "\"") && put_u64(b, v) && puts_(b, "\"");
}

static int put_group(json_buf *b, uint64_t id) {
    if (id == ROSTER_GROUP_ONLINE) return puts_(b, "\"online\"");
    if (id == ROSTER_GROUP_OFFLINE) return puts_(b, "\"offline\"");
    return put_quoted_u64(b, id);
}

/* A JSON string of UTF-8 bytes (roster keeps names valid UTF-8): quote,
 * backslash and control characters escaped, the rest as it is. */
static int put_string(json_buf *b, const char *s, size_t len) {
    size_t i, from = 0;
    if (!puts_(b, "\"")) return 0;
    for (i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20) {
            char esc[8];
            if (!put(b, s + from, i - from)) return 0;
            if (c == '"' || c == '\\') {
                esc[0] = '\\';
                esc[1] = (char)c;
                esc[2] = '\0';
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
            }
            if (!puts_(b, esc)) return 0;
            from = i + 1;
        }
    }
    return put(b, s + from, len - from) && puts_(b, "\"");
}

static const char *status_name(int status) {
    switch (status) {
    case ROSTER_ONLINE: return "online";
    case ROSTER_IDLE: return "idle";
    case ROSTER_DND: return "dnd";
    default: return "offline";
    }
}

/* A member item, with its data from the guild. */
static int put_member(json_buf *b, const roster_guild *guild, uint64_t user) {
    roster_member_info info;
    size_t count = 0, i;
    int s = roster_member_get(&info, b->roles, b->roles_cap, &count, guild, user);
    if (s == ROSTER_OK && count > b->roles_cap) {
        uint64_t *p = enif_realloc(b->roles, count * sizeof *p);
        if (p == NULL) return 0;
        b->roles = p;
        b->roles_cap = count;
        s = roster_member_get(&info, b->roles, b->roles_cap, &count, guild, user);
    }
    if (s != ROSTER_OK || count > b->roles_cap) return 0;
    if (!puts_(b, "{\"member\":{\"user\":{\"id\":") || !put_quoted_u64(b, user) ||
        !puts_(b, "},\"nick\":") || !put_string(b, info.name, info.name_len) ||
        !puts_(b, ",\"roles\":[")) {
        return 0;
    }
    for (i = 0; i < count; ++i) {
        if ((i > 0 && !puts_(b, ",")) || !put_quoted_u64(b, b->roles[i])) return 0;
    }
    return puts_(b, "],\"presence\":{\"status\":\"") && puts_(b, status_name(info.status)) &&
           puts_(b, "\"}}}");
}

static int put_item(json_buf *b, const roster_guild *guild, const roster_row *row) {
    if (row->kind == ROSTER_ROW_HEADER) {
        return puts_(b, "{\"group\":{\"id\":") && put_group(b, row->group) &&
               puts_(b, ",\"count\":") && put_u64(b, row->count) && puts_(b, "}}");
    }
    return put_member(b, guild, row->user);
}

static int put_range(json_buf *b, const roster_op *op) {
    return puts_(b, ",\"range\":[") && put_u64(b, op->index) && puts_(b, ",") &&
           put_u64(b, op->end) && puts_(b, "]");
}

static int put_op(json_buf *b, const roster_guild *guild, const roster_op *op) {
    uint32_t i;
    switch (op->kind) {
    case ROSTER_OP_SYNC:
        if (!puts_(b, "{\"op\":\"SYNC\"") || !put_range(b, op) || !puts_(b, ",\"items\":[")) {
            return 0;
        }
        for (i = 0; i < op->item_count; ++i) {
            if ((i > 0 && !puts_(b, ",")) || !put_item(b, guild, &op->items[i])) return 0;
        }
        return puts_(b, "]}");
    case ROSTER_OP_INSERT:
    case ROSTER_OP_UPDATE:
        return puts_(b, op->kind == ROSTER_OP_INSERT ? "{\"op\":\"INSERT\",\"index\":"
                                                     : "{\"op\":\"UPDATE\",\"index\":") &&
               put_u64(b, op->index) && puts_(b, ",\"item\":") &&
               put_item(b, guild, &op->items[0]) && puts_(b, "}");
    case ROSTER_OP_DELETE:
        return puts_(b, "{\"op\":\"DELETE\",\"index\":") && put_u64(b, op->index) &&
               puts_(b, "}");
    case ROSTER_OP_INVALIDATE:
        return puts_(b, "{\"op\":\"INVALIDATE\"") && put_range(b, op) && puts_(b, "}");
    default:
        return 0;
    }
}

int frame_json(json_buf *b, const roster_guild *guild, const roster_frame *f) {
    size_t i;
    b->len = 0;
    if (!puts_(b, "{\"id\":")) return 0;
    if (f->list_id == 0 ? !puts_(b, "\"everyone\"") : !put_quoted_u64(b, f->list_id)) return 0;
    if (!puts_(b, ",\"member_count\":") || !put_u64(b, f->member_count) ||
        !puts_(b, ",\"online_count\":") || !put_u64(b, f->online_count) ||
        !puts_(b, ",\"groups\":[")) {
        return 0;
    }
    for (i = 0; i < f->group_count; ++i) {
        if ((i > 0 && !puts_(b, ",")) || !puts_(b, "{\"id\":") ||
            !put_group(b, f->groups[i].id) || !puts_(b, ",\"count\":") ||
            !put_u64(b, f->groups[i].count) || !puts_(b, "}")) {
            return 0;
        }
    }
    if (!puts_(b, "],\"ops\":[")) return 0;
    for (i = 0; i < f->op_count; ++i) {
        if ((i > 0 && !puts_(b, ",")) || !put_op(b, guild, &f->ops[i])) return 0;
    }
    return puts_(b, "]}");
}

void json_buf_free(json_buf *b) {
    enif_free(b->data);
    enif_free(b->roles);
    memset(b, 0, sizeof *b);
}
