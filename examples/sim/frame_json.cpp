// Frames as JSON: see frame_json.hpp.
#include "frame_json.hpp"

#include <charconv>

#include "fields.hpp"
#include "json.hpp"

namespace sim {

namespace {

void append_group_id(std::string& out, std::uint64_t g) {
    if (g == ROSTER_GROUP_ONLINE) {
        out += "\"online\"";
    } else if (g == ROSTER_GROUP_OFFLINE) {
        out += "\"offline\"";
    } else {
        FrameJson::append_quoted_u64(out, g);
    }
}

void append_group(std::string& out, std::uint64_t id, std::uint32_t count) {
    out += "{\"id\":";
    append_group_id(out, id);
    out += ",\"count\":";
    FrameJson::append_u64(out, count);
    out += '}';
}

void append_range(std::string& out, std::string_view op, std::uint32_t start, std::uint32_t end) {
    out += "{\"op\":\"";
    out += op;
    out += "\",\"range\":[";
    FrameJson::append_u64(out, start);
    out += ',';
    FrameJson::append_u64(out, end);
    out += ']';
}

}  // namespace

void FrameJson::append_u64(std::string& out, std::uint64_t v) {
    char buf[20];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void FrameJson::append_quoted_u64(std::string& out, std::uint64_t v) {
    out += '"';
    append_u64(out, v);
    out += '"';
}

void FrameJson::head(std::string& out, std::string_view key, std::uint64_t list_id,
                     std::uint32_t member_count, std::uint32_t online_count,
                     const roster_group* groups, std::size_t group_count,
                     std::string_view array) {
    out += "{\"";
    out += key;
    out += "\":";
    if (list_id == 0) {
        out += "\"everyone\"";
    } else {
        append_quoted_u64(out, list_id);
    }
    out += ",\"member_count\":";
    append_u64(out, member_count);
    out += ",\"online_count\":";
    append_u64(out, online_count);
    out += ",\"groups\":[";
    for (std::size_t i = 0; i < group_count; ++i) {
        if (i) out += ',';
        append_group(out, groups[i].id, groups[i].count);
    }
    out += "],\"";
    out += array;
    out += "\":[";
}

void FrameJson::frame_head(std::string& out, std::uint64_t list_id, std::uint32_t member_count,
                           std::uint32_t online_count, const roster_group* groups,
                           std::size_t group_count) {
    head(out, "id", list_id, member_count, online_count, groups, group_count, "ops");
}

void FrameJson::sync_head(std::string& out, std::uint32_t start, std::uint32_t end) {
    append_range(out, "SYNC", start, end);
    out += ",\"items\":[";
}

int FrameJson::frame(std::string& out, const roster_guild* guild, const roster_frame& f) {
    if ((f.group_count > 0 && !f.groups) || (f.op_count > 0 && !f.ops)) return ROSTER_EINTERNAL;
    frame_head(out, f.list_id, f.member_count, f.online_count, f.groups, f.group_count);
    for (std::size_t i = 0; i < f.op_count; ++i) {
        if (i) out += ',';
        const int rc = op(out, guild, f.ops[i]);
        if (rc != ROSTER_OK) return rc;
    }
    out += frame_tail;
    return ROSTER_OK;
}

int FrameJson::op(std::string& out, const roster_guild* guild, const roster_op& o) {
    int rc = ROSTER_OK;
    switch (o.kind) {
    case ROSTER_OP_SYNC:
        if (o.item_count > 0 && !o.items) return ROSTER_EINTERNAL;
        sync_head(out, o.index, o.end);
        for (std::uint32_t i = 0; i < o.item_count && rc == ROSTER_OK; ++i) {
            if (i) out += ',';
            rc = item(out, guild, o.items[i]);
        }
        out += sync_tail;
        return rc;
    case ROSTER_OP_INSERT:
    case ROSTER_OP_UPDATE:
        out += o.kind == ROSTER_OP_INSERT ? "{\"op\":\"INSERT\",\"index\":"
                                          : "{\"op\":\"UPDATE\",\"index\":";
        append_u64(out, o.index);
        out += ",\"item\":";
        if (o.item_count != 1 || !o.items) return ROSTER_EINTERNAL;
        rc = item(out, guild, o.items[0]);
        out += '}';
        return rc;
    case ROSTER_OP_DELETE:
        out += "{\"op\":\"DELETE\",\"index\":";
        append_u64(out, o.index);
        out += '}';
        return ROSTER_OK;
    case ROSTER_OP_INVALIDATE:
        append_range(out, "INVALIDATE", o.index, o.end);
        out += '}';
        return ROSTER_OK;
    default:
        return ROSTER_EINTERNAL;
    }
}

int FrameJson::item(std::string& out, const roster_guild* guild, const roster_row& row) {
    if (row.kind == ROSTER_ROW_HEADER) {
        out += "{\"group\":";
        append_group(out, row.group, row.count);
        out += '}';
        return ROSTER_OK;
    }
    if (strict_ && row.kind != ROSTER_ROW_MEMBER) return ROSTER_EINTERNAL;
    roster_member_info info{};
    std::size_t count = 0;
    int rc = roster_member_get(&info, roles_.data(), roles_.size(), &count, guild, row.user);
    if (rc == ROSTER_OK && count > roles_.size()) {
        roles_.resize(count);
        rc = roster_member_get(&info, roles_.data(), roles_.size(), &count, guild, row.user);
    }
    if (rc != ROSTER_OK) return rc;
    if (count > roles_.size()) return ROSTER_EINTERNAL;
    if (strict_ && (info.id != row.user || info.group != row.group)) return ROSTER_EINTERNAL;
    out += "{\"member\":{\"user\":{\"id\":";
    append_quoted_u64(out, row.user);
    out += "},\"nick\":";
    json::append_string(out, std::string_view(info.name, info.name_len));
    out += ",\"roles\":[";
    for (std::size_t i = 0; i < count; ++i) {
        if (i) out += ',';
        append_quoted_u64(out, roles_[i]);
    }
    out += "],\"presence\":{\"status\":\"";
    out += fields::status_name(info.status);
    out += "\"}}}";
    return ROSTER_OK;
}

}  // namespace sim
