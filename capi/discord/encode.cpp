// Frames out: a roster_frame as one GUILD_MEMBER_LIST_UPDATE dispatch,
// written straight into the caller's buffer (docs/discord.md §5). The
// writer counts every byte and stores only those that fit, so one pass
// gives either the text or the size needed.
#include <cstring>

#include "internal.hpp"

namespace {

using rdiscord::format_u64;

struct Out {
    char* buf;
    std::size_t cap;
    std::size_t pos = 0;

    void put(const char* s, std::size_t n) {
        if (pos < cap && buf) {
            const std::size_t room = cap - pos;
            std::memcpy(buf + pos, s, n < room ? n : room);
        }
        pos += n;
    }
    void put(const char* s) { put(s, std::strlen(s)); }
    void num(std::uint64_t v) {
        char d[21];
        put(d, format_u64(d, v));
    }
    void quoted(std::uint64_t v) {
        put("\"", 1);
        num(v);
        put("\"", 1);
    }
};

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The text between an object's braces, or false when s is not "{...}"
// (with optional surrounding whitespace).
bool object_inner(const char* s, std::size_t n, const char** inner, std::size_t* inner_len) {
    if (!s) return false;
    std::size_t a = 0, b = n;
    while (a < b && space(s[a])) ++a;
    while (b > a && space(s[b - 1])) --b;
    if (b - a < 2 || s[a] != '{' || s[b - 1] != '}') return false;
    ++a;
    --b;
    while (a < b && space(s[a])) ++a;
    while (b > a && space(s[b - 1])) --b;
    *inner = s + a;
    *inner_len = b - a;
    return true;
}

void group_id(Out& o, std::uint64_t id) {
    if (id == ROSTER_GROUP_ONLINE)
        o.put("\"online\"");
    else if (id == ROSTER_GROUP_OFFLINE)
        o.put("\"offline\"");
    else
        o.quoted(id);
}

int item(Out& o, const roster_row& r, const roster_discord_encoder& e) {
    if (r.kind == ROSTER_ROW_HEADER) {
        o.put("{\"group\":{\"id\":");
        group_id(o, r.group);
        o.put(",\"count\":");
        o.num(r.count);
        o.put("}}");
        return ROSTER_OK;
    }
    if (r.kind != ROSTER_ROW_MEMBER) return ROSTER_EINVAL;
    const char *m = nullptr, *p = nullptr;
    std::size_t ml = 0, pl = 0;
    if (int s = e.member(&m, &ml, &p, &pl, r.user, e.user_data); s != ROSTER_OK) return s;
    const char *mi = nullptr, *pi = nullptr;
    std::size_t mil = 0, pil = 0;
    if (!object_inner(m, ml, &mi, &mil)) return ROSTER_EINVAL;
    if (p && !object_inner(p, pl, &pi, &pil)) return ROSTER_EINVAL;
    o.put("{\"member\":{");
    o.put(mi, mil);
    if (p) {
        if (mil) o.put(",");
        o.put("\"presence\":{");
        o.put(pi, pil);
        o.put("}");
    }
    o.put("}}");
    return ROSTER_OK;
}

int items(Out& o, const roster_op& op, const roster_discord_encoder& e) {
    if (op.item_count && !op.items) return ROSTER_EINVAL;
    for (std::uint32_t i = 0; i < op.item_count; ++i) {
        if (i) o.put(",");
        if (int s = item(o, op.items[i], e); s) return s;
    }
    return ROSTER_OK;
}

int encode(Out& o, const roster_frame& f, const roster_discord_encoder& e) {
    if ((f.group_count && !f.groups) || (f.op_count && !f.ops)) return ROSTER_EINVAL;
    char list_text[ROSTER_DISCORD_LIST_ID_MAX + 1];
    const char* list = e.list_id;
    if (!list) {
        roster_discord_list_text(list_text, f.list_id);
        list = list_text;
    }
    o.put("{\"op\":0,\"t\":\"GUILD_MEMBER_LIST_UPDATE\",\"s\":");
    o.num(e.seq);
    o.put(",\"d\":{\"guild_id\":");
    o.quoted(e.guild_id);
    o.put(",\"id\":\"");
    // The id text is the caller's: escape what JSON requires.
    for (const char* c = list; *c; ++c) {
        const unsigned char u = static_cast<unsigned char>(*c);
        if (u == '"' || u == '\\') {
            const char esc[2] = {'\\', *c};
            o.put(esc, 2);
        } else if (u < 0x20) {
            static const char hex[] = "0123456789abcdef";
            const char esc[6] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15]};
            o.put(esc, 6);
        } else {
            o.put(c, 1);
        }
    }
    o.put("\",\"member_count\":");
    o.num(f.member_count);
    o.put(",\"online_count\":");
    o.num(f.online_count);
    o.put(",\"groups\":[");
    for (std::size_t i = 0; i < f.group_count; ++i) {
        if (i) o.put(",");
        o.put("{\"id\":");
        group_id(o, f.groups[i].id);
        o.put(",\"count\":");
        o.num(f.groups[i].count);
        o.put("}");
    }
    o.put("],\"ops\":[");
    for (std::size_t i = 0; i < f.op_count; ++i) {
        const roster_op& op = f.ops[i];
        if (i) o.put(",");
        switch (op.kind) {
            case ROSTER_OP_SYNC:
            case ROSTER_OP_INVALIDATE:
                if (op.end < op.index) return ROSTER_EINVAL;
                o.put(op.kind == ROSTER_OP_SYNC ? "{\"op\":\"SYNC\",\"range\":["
                                                : "{\"op\":\"INVALIDATE\",\"range\":[");
                o.num(op.index);
                o.put(",");
                o.num(op.end);
                o.put("]");
                if (op.kind == ROSTER_OP_SYNC) {
                    o.put(",\"items\":[");
                    if (int s = items(o, op, e); s) return s;
                    o.put("]");
                }
                o.put("}");
                break;
            case ROSTER_OP_INSERT:
            case ROSTER_OP_UPDATE:
                if (op.item_count != 1 || !op.items) return ROSTER_EINVAL;
                o.put(op.kind == ROSTER_OP_INSERT ? "{\"op\":\"INSERT\",\"index\":"
                                                  : "{\"op\":\"UPDATE\",\"index\":");
                o.num(op.index);
                o.put(",\"item\":");
                if (int s = item(o, op.items[0], e); s) return s;
                o.put("}");
                break;
            case ROSTER_OP_DELETE:
                o.put("{\"op\":\"DELETE\",\"index\":");
                o.num(op.index);
                o.put("}");
                break;
            default: return ROSTER_EINVAL;
        }
    }
    o.put("]}}");
    return ROSTER_OK;
}

}  // namespace

extern "C" {

int roster_discord_encode_frame(size_t* len, char* buf, size_t cap, const roster_frame* frame,
                                const roster_discord_encoder* encoder) {
    if (!len || !frame || !encoder || (cap && !buf)) return ROSTER_EINVAL;
    if (encoder->size < sizeof(roster_discord_encoder) || encoder->reserved || !encoder->member)
        return ROSTER_EINVAL;
    Out o{buf, cap};
    if (int s = encode(o, *frame, *encoder); s) return s;
    *len = o.pos;
    return o.pos > cap ? ROSTER_ELIMIT : ROSTER_OK;
}

}  // extern "C"
