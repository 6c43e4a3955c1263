// `roster-sim replay [FILE]`
//
// Input: JSON Lines, one event per line (FILE, or stdin when absent or "-").
// Ids are JSON strings of decimal digits or JSON integer numbers (no sign,
// fraction or exponent) that fit in a u64; anything else is an invalid
// argument. Objects must not carry keys other than those listed.
//
//   {"type":"config","offline_threshold":N,"everyone_view":B, ...}
//       only as the first non-empty line; also max_members, max_roles,
//       max_roles_per_member, max_guild_lists (lists besides list 0),
//       max_overwrites, max_sort_key_bytes, and for sessions chunk
//       (chunk_size), max_ranges, max_span (max_range_span),
//       max_lists (lists per session), max_sessions, tail_deletes (B:
//       a DELETE for every row leaving the end of the list, for clients
//       that do not resize; docs/frames.md §10)
//   {"type":"role","id":R,"position":P,"hoist":B,"view":B,"admin":B}
//   {"type":"role_remove","id":R}
//   {"type":"member","id":U,"name":S,"roles":[R...],"status":ST}
//   {"type":"member_remove","id":U}
//   {"type":"status","id":U,"status":ST}     ST: online|idle|dnd|offline
//   {"type":"name","id":U,"name":S}
//   {"type":"roles","id":U,"roles":[R...]}
//   {"type":"touch","id":U}
//   {"type":"list","id":L,"everyone":"allow"|"deny","overwrites":[
//        {"role":R,"allow":B} | {"member":U,"allow":B} ...]}
//   {"type":"list_remove","id":L}
//   {"type":"subscribe","session":S,"list":L,"ranges":[[A,B]...]}
//       replaces session S's ranges for list L (a subscribe with ranges
//       creates S); "ranges" is required, [] unsubscribes from L. A range is a
//       2-element array of JSON integer numbers that fit in a u32 (A > B is
//       passed as is: the engine swaps the ends)
//   {"type":"session_remove","session":S}
//   {"type":"begin"}  {"type":"commit"}
//   {"type":"dump","list":L}                 L may be "everyone" for list 0
//   {"type":"save","file":F,"sessions":B}    writes the guild's snapshot to
//       file F (a path; "sessions" true: with every session and what its
//       client holds; default false). Outside a batch only (invalid argument)
//   {"type":"load","file":F}                 replaces the guild by the one
//       loaded from F (the config line's limits apply; its settings come
//       from the snapshot). On an error (an unreadable file is "callback
//       failed") the current guild stays. Outside a batch only
//
// The guild is created by the config line, or with ROSTER_CONFIG_INIT just
// before the first other non-empty line. Empty (or all-whitespace) lines are
// skipped but counted.
//
// Output (written by FrameJson, frame_json.hpp): for a dump,
//   {"dump":"L","member_count":n,"online_count":n,"groups":[{"id":G,"count":n}...],
//    "rows":[ITEM...]}
// with ITEM one of {"group":{"id":G,"count":n}} or {"member":{"user":{"id":"U"},
// "nick":S,"roles":["R"...],"presence":{"status":ST}}} (one line, no
// whitespace; L is "everyone" for list 0, else the id as a string; G is a
// role id string, "online" or "offline"); for a rejected line,
// {"error":"<roster_status_str>","line":n}. Syntax, shape and type errors
// are ROSTER_EINVAL; others are the API's own code. A dump whose answers
// disagree (row count, a member row's group against roster_member_get) is
// reported as "internal error" instead.
//
// Frames: a frame callback is registered on the guild. Each frame the
// engine delivers is printed once per session it is for:
//   {"session":"S","id":"L","member_count":n,"online_count":n,
//    "groups":[{"id":G,"count":n}...],"ops":[OP...]}
// with OP one of {"op":"SYNC","range":[a,b],"items":[ITEM...]},
// {"op":"INSERT","index":i,"item":ITEM}, {"op":"UPDATE","index":i,"item":ITEM},
// {"op":"DELETE","index":i}, {"op":"INVALIDATE","range":[a,b]}. Member items
// carry the member's data as roster_member_get reports it inside the
// callback (the guild as of that flush).
//
// Order of the output of one input line (deterministic): first the line's
// own result (a dump, or an error), then the frames its flush delivered
// (every event outside a batch; the whole batch at the commit), grouped by
// session in ascending numeric session id; one session's frames keep their
// delivery order (ascending list id). A frame the tool cannot print
// faithfully (a member item roster_member_get does not confirm, an op of
// unknown kind, a missing item) is left out, and one
// {"error":"internal error","line":n} follows the frames of that line.
#include "replay.hpp"

#include <algorithm>
#include <map>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <roster/roster.h>

#include "bytes.hpp"
#include "fields.hpp"
#include "frame_json.hpp"
#include "json.hpp"

namespace sim {
namespace {

using json::Value;
using namespace fields;

// ---- reading lines -------------------------------------------------------

class LineReader {
public:
    explicit LineReader(std::FILE* in) : in_(in) {}

    // Next line without its '\n'. *overlong: it had more than max_line_bytes
    // bytes (line then holds only a prefix). False at end of input.
    bool next(std::string* line, bool* overlong) {
        line->clear();
        *overlong = false;
        bool any = false;
        for (;;) {
            if (pos_ == len_ && !fill()) return any;
            any = true;
            const char* start = buf_ + pos_;
            const void* nl = std::memchr(start, '\n', len_ - pos_);
            const std::size_t n =
                nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
            append(line, overlong, start, n);
            pos_ += n;
            if (nl) {
                ++pos_;
                return true;
            }
        }
    }

    bool failed() const { return std::ferror(in_) != 0; }

private:
    std::FILE* in_;
    char buf_[1 << 16];
    std::size_t pos_ = 0, len_ = 0;

    bool fill() {
        pos_ = 0;
        len_ = std::fread(buf_, 1, sizeof buf_, in_);
        return len_ > 0;
    }

    static void append(std::string* line, bool* overlong, const char* p, std::size_t n) {
        if (*overlong) return;
        if (line->size() + n > max_line_bytes) {
            *overlong = true;
            return;
        }
        line->append(p, n);
    }
};

void append_error(std::string& out, int status, std::uint64_t line) {
    out += "{\"error\":";
    json::append_string(out, roster_status_str(status));
    out += ",\"line\":";
    out += std::to_string(line);
    out += "}\n";
}

bool blank(std::string_view s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    return true;
}

const std::uint64_t* data_or_null(const std::vector<std::uint64_t>& v) {
    return v.empty() ? nullptr : v.data();
}

// ---- the replayer --------------------------------------------------------

class Replayer {
public:
    Replayer(std::FILE* out, bool memory_files) : file_(out), memory_files_(memory_files) {}
    ~Replayer() { roster_guild_destroy(guild_); }
    Replayer(const Replayer&) = delete;
    Replayer& operator=(const Replayer&) = delete;

    void line(std::string_view text, bool overlong, std::uint64_t number);
    bool flush();

private:
    using Handler = int (Replayer::*)(const Value&);
    struct Event {
        std::string_view type;
        Handler handler;
    };
    static const Event events_[];

    // One delivery of a frame to a session: frames_[frame] is the frame's
    // line (FrameJson's, then '\n'), printed after a "session" member.
    struct Delivery {
        std::uint64_t session;
        std::size_t frame;
    };

    std::FILE* file_;
    bool memory_files_;
    std::map<std::string, std::vector<unsigned char>> files_;  // memory_files_
    roster_config config_ = ROSTER_CONFIG_INIT;  // the guild's limits
    std::uint32_t depth_ = 0;                    // open batches
    roster_guild* guild_ = nullptr;
    bool config_allowed_ = true;
    bool write_failed_ = false;
    std::string out_;
    FrameJson json_{true};  // strict: checks rows against roster_member_get
    std::vector<std::uint64_t> ids_;          // scratch
    std::vector<roster_range> ranges_;        // scratch
    std::vector<fields::Range> read_ranges_;  // scratch
    // Frames delivered since the last input line's output was written.
    std::vector<std::string> frames_;
    std::vector<Delivery> deliveries_;
    bool frame_failed_ = false;  // a frame could not be printed faithfully

    int create(const roster_config& config);
    static void on_frame(const roster_frame* frame, const std::uint64_t* sessions,
                         std::size_t session_count, void* self);
    void frame(const roster_frame& f, const std::uint64_t* sessions, std::size_t session_count);
    void write_frames(std::uint64_t number);

    int apply(const Value& ev);
    int config(const Value& ev);
    int role(const Value& ev);
    int role_remove(const Value& ev);
    int member(const Value& ev);
    int member_remove(const Value& ev);
    int status(const Value& ev);
    int name(const Value& ev);
    int roles(const Value& ev);
    int touch(const Value& ev);
    int list(const Value& ev);
    int list_remove(const Value& ev);
    int subscribe(const Value& ev);
    int session_remove(const Value& ev);
    int begin(const Value& ev);
    int commit(const Value& ev);
    int dump(const Value& ev);
    int save(const Value& ev);
    int load(const Value& ev);

    int single_id(const Value& ev, std::uint64_t* id);
    int get_groups(std::vector<roster_group>* groups, std::uint64_t list);
    int append_rows(std::string& s, std::uint64_t list);
};

const Replayer::Event Replayer::events_[] = {
    {"role", &Replayer::role},
    {"role_remove", &Replayer::role_remove},
    {"member", &Replayer::member},
    {"member_remove", &Replayer::member_remove},
    {"status", &Replayer::status},
    {"name", &Replayer::name},
    {"roles", &Replayer::roles},
    {"touch", &Replayer::touch},
    {"list", &Replayer::list},
    {"list_remove", &Replayer::list_remove},
    {"subscribe", &Replayer::subscribe},
    {"session_remove", &Replayer::session_remove},
    {"begin", &Replayer::begin},
    {"commit", &Replayer::commit},
    {"dump", &Replayer::dump},
    {"save", &Replayer::save},
    {"load", &Replayer::load},
};

void Replayer::line(std::string_view text, bool overlong, std::uint64_t number) {
    if (!overlong && blank(text)) return;
    int rc = ROSTER_EINVAL;
    if (!overlong) {
        Value ev;
        if (json::parse(text, &ev, nullptr, json::Limits{64, max_line_bytes, false}))
            rc = apply(ev);
    }
    config_allowed_ = false;
    if (rc != ROSTER_OK) append_error(out_, rc, number);
    write_frames(number);
    if (out_.size() >= (1u << 16)) flush();
}

// The frames delivered while this line was applied, after the line's own
// output: by session id ascending, each session's in delivery order.
void Replayer::write_frames(std::uint64_t number) {
    std::stable_sort(deliveries_.begin(), deliveries_.end(),
                     [](const Delivery& a, const Delivery& b) { return a.session < b.session; });
    for (const Delivery& d : deliveries_) {
        out_ += "{\"session\":";
        FrameJson::append_quoted_u64(out_, d.session);
        out_ += ',';
        out_.append(frames_[d.frame], 1);  // the frame's members, without its '{'
    }
    if (frame_failed_) append_error(out_, ROSTER_EINTERNAL, number);
    deliveries_.clear();
    frames_.clear();
    frame_failed_ = false;
}

void Replayer::on_frame(const roster_frame* frame, const std::uint64_t* sessions,
                        std::size_t session_count, void* self) {
    Replayer* r = static_cast<Replayer*>(self);
    if (!frame || (session_count > 0 && !sessions)) {
        r->frame_failed_ = true;
        return;
    }
    try {
        r->frame(*frame, sessions, session_count);
    } catch (...) {  // std::bad_alloc: must not unwind through the library
        r->frame_failed_ = true;
    }
}

// Formats the frame once (its memory, and the member data it names, are
// valid only during the callback) and files it under each session.
void Replayer::frame(const roster_frame& f, const std::uint64_t* sessions,
                     std::size_t session_count) {
    std::string s;
    if (json_.frame(s, guild_, f) != ROSTER_OK) {  // not printed faithfully
        frame_failed_ = true;
        return;
    }
    s += '\n';
    const std::size_t index = frames_.size();
    frames_.push_back(std::move(s));
    for (std::size_t i = 0; i < session_count; ++i) deliveries_.push_back({sessions[i], index});
}

// Writes the pending output; after a failure, discards it (sticky).
bool Replayer::flush() {
    if (!write_failed_ && !out_.empty())
        write_failed_ = std::fwrite(out_.data(), 1, out_.size(), file_) != out_.size();
    if (!write_failed_) write_failed_ = std::fflush(file_) != 0;
    out_.clear();
    return !write_failed_;
}

int Replayer::apply(const Value& ev) {
    const std::string* type = get_string(ev.find("type"));
    if (!type) return ROSTER_EINVAL;
    if (*type == "config") return config_allowed_ ? config(ev) : ROSTER_EINVAL;
    for (const Event& e : events_) {
        if (e.type != *type) continue;
        if (!guild_) {
            const roster_config defaults = ROSTER_CONFIG_INIT;
            const int rc = create(defaults);
            if (rc != ROSTER_OK) return rc;
        }
        return (this->*e.handler)(ev);
    }
    return ROSTER_EINVAL;
}

// Creates the guild and registers the frame callback.
int Replayer::create(const roster_config& config) {
    roster_guild* g = nullptr;
    int rc = roster_guild_create(&g, &config);
    if (rc != ROSTER_OK) return rc;
    config_ = config;
    rc = roster_guild_set_frame_callback(g, &Replayer::on_frame, this);
    if (rc != ROSTER_OK) {
        roster_guild_destroy(g);
        return rc;
    }
    guild_ = g;
    return ROSTER_OK;
}

int Replayer::config(const Value& ev) {
    if (!only_keys(ev, {"type", "offline_threshold", "everyone_view", "max_members", "max_roles",
                        "max_roles_per_member", "max_guild_lists", "max_overwrites",
                        "max_sort_key_bytes", "chunk", "max_ranges", "max_span",
                        "max_lists", "max_sessions", "tail_deletes"}))
        return ROSTER_EINVAL;
    roster_config c = ROSTER_CONFIG_INIT;
    bool view = c.everyone_view != 0, tail = c.tail_deletes != 0;
    const bool ok = get_u32(ev.find("offline_threshold"), &c.offline_threshold) &&
                    get_bool(ev.find("everyone_view"), &view) &&
                    get_bool(ev.find("tail_deletes"), &tail) &&
                    get_u32(ev.find("max_members"), &c.max_members) &&
                    get_u32(ev.find("max_roles"), &c.max_roles) &&
                    get_u32(ev.find("max_roles_per_member"), &c.max_roles_per_member) &&
                    get_u32(ev.find("max_guild_lists"), &c.max_lists) &&
                    get_u32(ev.find("max_overwrites"), &c.max_overwrites) &&
                    get_u32(ev.find("max_sort_key_bytes"), &c.max_sort_key_bytes) &&
                    get_u32(ev.find("chunk"), &c.chunk_size) &&
                    get_u32(ev.find("max_ranges"), &c.max_ranges) &&
                    get_u32(ev.find("max_span"), &c.max_range_span) &&
                    get_u32(ev.find("max_lists"), &c.max_session_lists) &&
                    get_u32(ev.find("max_sessions"), &c.max_sessions);
    if (!ok) return ROSTER_EINVAL;
    c.everyone_view = view ? 1u : 0u;
    c.tail_deletes = tail ? 1u : 0u;
    return create(c);
}

int Replayer::role(const Value& ev) {
    if (!only_keys(ev, {"type", "id", "position", "hoist", "view", "admin"}))
        return ROSTER_EINVAL;
    roster_role r{};
    bool hoist = false, view = false, admin = false;
    const bool ok = get_id(ev.find("id"), &r.id) && get_i32(ev.find("position"), &r.position) &&
                    get_bool(ev.find("hoist"), &hoist) && get_bool(ev.find("view"), &view) &&
                    get_bool(ev.find("admin"), &admin);
    if (!ok) return ROSTER_EINVAL;
    r.flags = (hoist ? ROSTER_ROLE_HOIST : 0u) | (view ? ROSTER_ROLE_VIEW : 0u) |
              (admin ? ROSTER_ROLE_ADMIN : 0u);
    return roster_role_upsert(guild_, &r);
}

// Events of the form {"type":T,"id":ID}.
int Replayer::single_id(const Value& ev, std::uint64_t* id) {
    if (!only_keys(ev, {"type", "id"}) || !get_id(ev.find("id"), id)) return ROSTER_EINVAL;
    return ROSTER_OK;
}

int Replayer::role_remove(const Value& ev) {
    std::uint64_t id;
    const int rc = single_id(ev, &id);
    return rc != ROSTER_OK ? rc : roster_role_remove(guild_, id);
}

int Replayer::member(const Value& ev) {
    if (!only_keys(ev, {"type", "id", "name", "roles", "status"})) return ROSTER_EINVAL;
    std::uint64_t id;
    int st = ROSTER_OFFLINE;
    const std::string* nm = get_string(ev.find("name"));
    if (!get_id(ev.find("id"), &id) || !nm || !get_ids(ev.find("roles"), &ids_) ||
        !get_status(ev.find("status"), &st))
        return ROSTER_EINVAL;
    return roster_member_upsert(guild_, id, nm->data(), nm->size(), data_or_null(ids_),
                                ids_.size(), st);
}

int Replayer::member_remove(const Value& ev) {
    std::uint64_t id;
    const int rc = single_id(ev, &id);
    return rc != ROSTER_OK ? rc : roster_member_remove(guild_, id);
}

int Replayer::status(const Value& ev) {
    std::uint64_t id;
    int st = -1;
    if (!only_keys(ev, {"type", "id", "status"}) || !get_id(ev.find("id"), &id) ||
        !get_status(ev.find("status"), &st) || st < 0)
        return ROSTER_EINVAL;
    return roster_member_set_status(guild_, id, st);
}

int Replayer::name(const Value& ev) {
    std::uint64_t id;
    const std::string* nm = get_string(ev.find("name"));
    if (!only_keys(ev, {"type", "id", "name"}) || !get_id(ev.find("id"), &id) || !nm)
        return ROSTER_EINVAL;
    return roster_member_set_name(guild_, id, nm->data(), nm->size());
}

int Replayer::roles(const Value& ev) {
    std::uint64_t id;
    const Value* list = ev.find("roles");
    if (!only_keys(ev, {"type", "id", "roles"}) || !get_id(ev.find("id"), &id) || !list ||
        !get_ids(list, &ids_))
        return ROSTER_EINVAL;
    return roster_member_set_roles(guild_, id, data_or_null(ids_), ids_.size());
}

int Replayer::touch(const Value& ev) {
    std::uint64_t id;
    const int rc = single_id(ev, &id);
    return rc != ROSTER_OK ? rc : roster_member_touch(guild_, id);
}

// One {"role":R,"allow":B} or {"member":U,"allow":B}.
bool get_overwrite(const Value& v, std::vector<roster_overwrite>* roles,
                   std::vector<roster_overwrite>* members) {
    const Value* allow = v.find("allow");
    const Value* role = v.find("role");
    const Value* member = v.find("member");
    if (!v.is_object() || !only_keys(v, {"role", "member", "allow"}) || !allow ||
        !allow->is_bool() || (role != nullptr) == (member != nullptr))
        return false;
    roster_overwrite o{};
    o.allow = allow->boolean ? 1 : 0;
    if (!get_id(role ? role : member, &o.id)) return false;
    (role ? roles : members)->push_back(o);
    return true;
}

int Replayer::list(const Value& ev) {
    if (!only_keys(ev, {"type", "id", "everyone", "overwrites"})) return ROSTER_EINVAL;
    std::uint64_t id;
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    const Value* everyone = ev.find("everyone");
    const Value* ows = ev.find("overwrites");
    if (!get_list_id(ev.find("id"), &id) || (ows && !ows->is_array())) return ROSTER_EINVAL;
    if (everyone) {
        if (!everyone->is_string()) return ROSTER_EINVAL;
        if (everyone->text == "allow") {
            rule.everyone = ROSTER_OVERWRITE_ALLOW;
        } else if (everyone->text == "deny") {
            rule.everyone = ROSTER_OVERWRITE_DENY;
        } else {
            return ROSTER_EINVAL;
        }
    }
    std::vector<roster_overwrite> roles, members;
    if (ows)
        for (const Value& o : ows->items)
            if (!get_overwrite(o, &roles, &members)) return ROSTER_EINVAL;
    rule.roles = roles.empty() ? nullptr : roles.data();
    rule.role_count = roles.size();
    rule.members = members.empty() ? nullptr : members.data();
    rule.member_count = members.size();
    return roster_list_set(guild_, id, &rule);
}

int Replayer::list_remove(const Value& ev) {
    std::uint64_t id;
    if (!only_keys(ev, {"type", "id"}) || !get_list_id(ev.find("id"), &id)) return ROSTER_EINVAL;
    return roster_list_remove(guild_, id);
}

int Replayer::subscribe(const Value& ev) {
    std::uint64_t session, list;
    if (!only_keys(ev, {"type", "session", "list", "ranges"}) ||
        !get_id(ev.find("session"), &session) || !get_list_id(ev.find("list"), &list) ||
        !get_ranges(ev.find("ranges"), &read_ranges_))
        return ROSTER_EINVAL;
    ranges_.resize(read_ranges_.size());
    for (std::size_t i = 0; i < read_ranges_.size(); ++i)
        ranges_[i] = roster_range{read_ranges_[i].start, read_ranges_[i].end};
    const roster_range* ranges = ranges_.empty() ? nullptr : ranges_.data();
    return roster_session_subscribe(guild_, session, list, ranges, ranges_.size());
}

int Replayer::session_remove(const Value& ev) {
    std::uint64_t session;
    if (!only_keys(ev, {"type", "session"}) || !get_id(ev.find("session"), &session))
        return ROSTER_EINVAL;
    return roster_session_remove(guild_, session);
}

int Replayer::begin(const Value& ev) {
    if (!only_keys(ev, {"type"})) return ROSTER_EINVAL;
    const int rc = roster_batch_begin(guild_);
    if (rc == ROSTER_OK) ++depth_;
    return rc;
}

int Replayer::commit(const Value& ev) {
    if (!only_keys(ev, {"type"})) return ROSTER_EINVAL;
    const int rc = roster_batch_commit(guild_);
    if ((rc == ROSTER_OK || rc == ROSTER_EFLUSH) && depth_) --depth_;  // closed either way
    return rc;
}

namespace {

int write_file(const void* data, std::size_t len, void* user) {
    return std::fwrite(data, 1, len, static_cast<std::FILE*>(user)) == len ? 0 : 1;
}
int read_file(void* buf, std::size_t cap, std::size_t* got, void* user) {
    auto* f = static_cast<std::FILE*>(user);
    *got = std::fread(buf, 1, cap, f);
    return std::ferror(f) ? 1 : 0;
}

}  // namespace

int Replayer::save(const Value& ev) {
    const std::string* file = get_string(ev.find("file"));
    bool sessions = false;
    if (!only_keys(ev, {"type", "file", "sessions"}) || !file ||
        !get_bool(ev.find("sessions"), &sessions))
        return ROSTER_EINVAL;
    const std::uint32_t flags = sessions ? ROSTER_SAVE_SESSIONS : 0;
    if (memory_files_) {
        std::vector<unsigned char> bytes;
        const int rc = roster_guild_save(guild_, flags, sim::append_bytes, &bytes);
        if (rc == ROSTER_OK) files_[*file] = std::move(bytes);
        return rc;
    }
    if (depth_) return ROSTER_EINVAL;  // refused by the library too: the file stays as it was
    std::FILE* f = std::fopen(file->c_str(), "wb");
    if (!f) return ROSTER_EIO;
    int rc = roster_guild_save(guild_, flags, write_file, f);
    if (std::fclose(f) != 0 && rc == ROSTER_OK) rc = ROSTER_EIO;
    return rc;
}

int Replayer::load(const Value& ev) {
    const std::string* file = get_string(ev.find("file"));
    if (!only_keys(ev, {"type", "file"}) || !file) return ROSTER_EINVAL;
    if (depth_) return ROSTER_EINVAL;  // the open batch belongs to the current guild
    roster_guild* g = nullptr;
    int rc;
    if (memory_files_) {
        auto it = files_.find(*file);
        if (it == files_.end()) return ROSTER_EIO;
        rc = roster_guild_load_buffer(&g, &config_, it->second.data(), it->second.size());
    } else {
        std::FILE* f = std::fopen(file->c_str(), "rb");
        if (!f) return ROSTER_EIO;
        rc = roster_guild_load(&g, &config_, read_file, f);
        std::fclose(f);
    }
    if (rc != ROSTER_OK) return rc;
    rc = roster_guild_set_frame_callback(g, &Replayer::on_frame, this);
    if (rc != ROSTER_OK) {
        roster_guild_destroy(g);
        return rc;
    }
    roster_guild_destroy(guild_);
    guild_ = g;
    return ROSTER_OK;
}

int Replayer::dump(const Value& ev) {
    std::uint64_t list;
    if (!only_keys(ev, {"type", "list"}) || !get_list_id(ev.find("list"), &list))
        return ROSTER_EINVAL;
    std::uint32_t members = 0, online = 0;
    int rc = roster_list_counts(&members, &online, guild_, list);
    if (rc != ROSTER_OK) return rc;
    std::vector<roster_group> groups;
    if ((rc = get_groups(&groups, list)) != ROSTER_OK) return rc;
    std::string s;
    FrameJson::head(s, "dump", list, members, online, groups.data(), groups.size(), "rows");
    if ((rc = append_rows(s, list)) != ROSTER_OK) return rc;
    s += "]}\n";
    out_ += s;
    return ROSTER_OK;
}

// The list's groups, as many as roster_list_groups reports.
int Replayer::get_groups(std::vector<roster_group>* groups, std::uint64_t list) {
    groups->resize(8);
    std::size_t total = 0;
    int rc = roster_list_groups(groups->data(), groups->size(), &total, guild_, list);
    if (rc == ROSTER_OK && total > groups->size()) {
        groups->resize(total);
        rc = roster_list_groups(groups->data(), groups->size(), &total, guild_, list);
    }
    if (rc != ROSTER_OK) return rc;
    if (total > groups->size()) return ROSTER_EINTERNAL;
    groups->resize(total);
    return ROSTER_OK;
}

int Replayer::append_rows(std::string& s, std::uint64_t list) {
    std::uint32_t length = 0;
    int rc = roster_list_length(&length, guild_, list);
    if (rc != ROSTER_OK || length == 0) return rc;
    std::vector<roster_row> rows(length);
    std::size_t count = 0;
    rc = roster_list_rows(rows.data(), rows.size(), &count, guild_, list, 0, length - 1);
    if (rc != ROSTER_OK) return rc;
    if (count != length) return ROSTER_EINTERNAL;
    for (std::size_t i = 0; i < count; ++i) {
        if (i) s += ',';
        if ((rc = json_.item(s, guild_, rows[i])) != ROSTER_OK) return rc;
    }
    return ROSTER_OK;
}

}  // namespace

int replay_stream(std::FILE* in, std::FILE* out, bool memory_files) {
    Replayer r(out, memory_files);
    LineReader reader(in);
    std::string text;
    bool overlong = false;
    std::uint64_t number = 0;
    while (reader.next(&text, &overlong)) r.line(text, overlong, ++number);
    if (reader.failed()) {
        r.flush();
        std::fprintf(stderr, "roster-sim replay: read error\n");
        return 1;
    }
    if (!r.flush()) {
        std::fprintf(stderr, "roster-sim replay: write error\n");
        return 1;
    }
    return 0;
}

int replay_main(int argc, char** argv) {
    if (argc > 1) return 2;
    if (argc == 0 || std::strcmp(argv[0], "-") == 0) return replay_stream(stdin, stdout);
    if (argv[0][0] == '-') return 2;  // no options yet
    std::FILE* in = std::fopen(argv[0], "rb");
    if (!in) {
        std::fprintf(stderr, "roster-sim replay: %s: %s\n", argv[0], std::strerror(errno));
        return 1;
    }
    const int rc = replay_stream(in, stdout);
    std::fclose(in);
    return rc;
}

}  // namespace sim
