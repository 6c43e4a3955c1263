// The demo guild and its gateway protocol: see demo.hpp and docs/serve.md.
// List ids, the channels' roster lists, the clients' op 14/37 requests and
// the GUILD_MEMBER_LIST_UPDATE dispatches all go through the Discord
// adapter (include/roster/discord.h); this file only supplies the member
// and presence JSON a host keeps, and the READY payload.
#include "demo.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>

#include <roster/discord.h>

#include "frame_json.hpp"
#include "json.hpp"

namespace sim {

namespace {

constexpr std::uint64_t channel_base = 100000000000001000ull;
constexpr std::uint64_t team_role = 200000000000000100ull;  // the demo user's role
constexpr std::uint64_t view_channel = 1u << 10;            // Discord's VIEW_CHANNEL bit

// The names of W2's roles by position (1 = lowest, most members).
constexpr const char* role_names[W2::role_count] = {
    "Lurkers",    "Visitors",  "Newcomers",  "Members",    "Regulars",
    "Supporters", "Organisers", "Helpers",   "Testers",    "Translators",
    "Streamers",  "Musicians", "Writers",    "Builders",   "Artists",
    "Veterans",   "Staff",     "Moderators", "Admins",     "Founders"};
constexpr const char* role_colors[W2::role_count] = {
    "#99aab5", "#a5b1c2", "#7bed9f", "#70a1ff", "#5352ed", "#ff6b81", "#eccc68",
    "#2ed573", "#1e90ff", "#ffa502", "#9b59b6", "#e84393", "#00cec9", "#fdcb6e",
    "#e17055", "#6c5ce7", "#00b894", "#0984e3", "#d63031", "#f1c40f"};

const char* status_name(std::int32_t s) {
    switch (s) {
    case ROSTER_ONLINE: return "online";
    case ROSTER_IDLE: return "idle";
    case ROSTER_DND: return "dnd";
    default: return "offline";
    }
}

void group_id(std::string& out, std::uint64_t g) {
    if (g == ROSTER_GROUP_ONLINE)
        out += "\"online\"";
    else if (g == ROSTER_GROUP_OFFLINE)
        out += "\"offline\"";
    else
        FrameJson::append_quoted_u64(out, g);
}

using Ow = DemoChannel::Overwrite;

// The demo's channels. #welcome shares #general's list ("everyone"), and
// #announcements has #staff's overwrites in another order: the same list
// id, so the same roster list. The demo user (role team_role) may view all
// but #admins.
std::vector<DemoChannel> make_channels() {
    const std::uint64_t g = Demo::guild_id;
    auto role = [](std::uint32_t position) { return W2::role(position - 1).id; };
    std::vector<DemoChannel> c(6);
    c[0] = {channel_base + 1, "general", "Every member: the list id is \"everyone\".", {}, "", 0};
    c[1] = {channel_base + 2, "welcome", "No overwrites either: it shares #general's list.", {}, "",
            0};
    c[2] = {channel_base + 3, "lounge", "Hidden from the Lurkers role (deny).",
            {{role(1), false, false}}, "", 0};
    c[3] = {channel_base + 4, "staff",
            "@everyone denied; Founders, Admins, Moderators, Staff and your team allowed.",
            {{g, false, false},
             {role(20), false, true},
             {role(19), false, true},
             {role(18), false, true},
             {role(17), false, true},
             {team_role, false, true}},
            "", 0};
    c[4] = {channel_base + 5, "announcements",
            "#staff's overwrites in another order: the same list id, one roster list.",
            {{team_role, false, true},
             {role(17), false, true},
             {role(18), false, true},
             {g, false, false},
             {role(19), false, true},
             {role(20), false, true}},
            "", 0};
    c[5] = {channel_base + 6, "admins",
            "@everyone denied; Founders and three members allowed. Not you: refused.",
            {{g, false, false},
             {role(20), false, true},
             {W2::user_id(0), true, true},
             {W2::user_id(1), true, true},
             {W2::user_id(2), true, true}},
            "", 0};
    return c;
}

}  // namespace

struct Demo::Adapter {
    roster_discord* ctx = nullptr;
    ~Adapter() { roster_discord_destroy(ctx); }
    // The member callback's buffers.
    std::string member, presence;
    std::vector<char> out;
    std::vector<std::uint64_t> roles = std::vector<std::uint64_t>(16);
};

Demo::Demo(const DemoOptions& o, SendFn send)
    : opt_(o), send_(std::move(send)), w2_(o.seed), rate_(o.rate),
      adapter_(std::make_unique<Adapter>()) {}

Demo::~Demo() {
    adapter_.reset();  // before the guild it refers to
    roster_guild_destroy(guild_);
}

bool Demo::init(std::string* error) {
    auto fail = [&](const char* what, int rc) {
        *error = std::string(what) + ": " + roster_status_str(rc);
        return false;
    };
    roster_config config = ROSTER_CONFIG_INIT;
    config.offline_threshold = 5000;  // offline members listed below 5,000 members
    int rc = roster_guild_create(&guild_, &config);
    if (rc != ROSTER_OK) return fail("roster_guild_create", rc);
    for (std::uint32_t i = 0; i < W2::role_count; ++i) {
        const roster_role r = W2::role(i);
        if ((rc = roster_role_upsert(guild_, &r)) != ROSTER_OK)
            return fail("roster_role_upsert", rc);
    }
    const roster_role team{team_role, 0, 0};
    if ((rc = roster_role_upsert(guild_, &team)) != ROSTER_OK)
        return fail("roster_role_upsert", rc);
    // The members: W2's initial ones, then the demo user.
    std::vector<std::string> names;
    std::vector<std::array<std::uint64_t, 2>> roles;
    std::vector<roster_member_spec> specs;
    names.reserve(opt_.members);
    roles.reserve(opt_.members);
    for (std::uint64_t i = 0; i < opt_.members; ++i) {
        const Event ev = w2_.join();
        names.emplace_back(ev.name, ev.name_len);
        roles.push_back({ev.roles[0], ev.roles[1]});
        specs.push_back({ev.user, nullptr, ev.name_len, nullptr, ev.role_count, ev.status});
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
        specs[i].name = names[i].data();
        specs[i].roles = roles[i].data();
    }
    static constexpr char you[] = "you";
    specs.push_back({user_id, you, sizeof you - 1, &team_role, 1, ROSTER_ONLINE});
    if ((rc = roster_members_add(guild_, specs.data(), specs.size())) != ROSTER_OK)
        return fail("roster_members_add", rc);

    if ((rc = roster_discord_create(&adapter_->ctx, guild_, guild_id, 1)) != ROSTER_OK)
        return fail("roster_discord_create", rc);
    channels_ = make_channels();
    for (DemoChannel& c : channels_) {
        std::vector<roster_discord_overwrite> ow;
        for (const Ow& o : c.overwrites)
            ow.push_back({o.id,
                          o.member ? ROSTER_DISCORD_OVERWRITE_MEMBER : ROSTER_DISCORD_OVERWRITE_ROLE,
                          o.allow_view ? ROSTER_OVERWRITE_ALLOW : ROSTER_OVERWRITE_DENY});
        rc = roster_discord_channel_set(adapter_->ctx, c.id, ow.data(), ow.size());
        if (rc != ROSTER_OK) return fail("roster_discord_channel_set", rc);
        roster_discord_list_id id{};
        rc = roster_discord_channel_list(&c.roster_list, &id, adapter_->ctx, c.id);
        if (rc != ROSTER_OK) return fail("roster_discord_channel_list", rc);
        c.list_id = id.text;
    }
    rc = roster_guild_set_frame_callback(guild_, &Demo::on_frame, this);
    if (rc != ROSTER_OK) return fail("roster_guild_set_frame_callback", rc);
    return true;
}

const DemoChannel* Demo::channel(std::uint64_t id) const {
    for (const DemoChannel& c : channels_)
        if (c.id == id) return &c;
    return nullptr;
}

void Demo::open_session(std::uint64_t session) {
    sessions_[session] = Session{};
    send_(session, "{\"op\":10,\"d\":{\"heartbeat_interval\":41250},\"s\":null,\"t\":null}");
}

void Demo::close_session(std::uint64_t session) {
    if (!sessions_.erase(session)) return;
    roster_discord_session_remove(adapter_->ctx, session);  // ENOTFOUND: never subscribed
    roster_session_remove(guild_, session);
}

int Demo::on_message(std::uint64_t session, std::string_view text) {
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return 0;
    Session& s = it->second;
    json::Value v;
    std::uint64_t op = 0;
    if (!json::parse(text, &v) || !v.is_object() || !v.find("op") ||
        !json::to_u64(*v.find("op"), &op))
        return 4002;  // decode error
    switch (op) {
    case 1:  // heartbeat
        send_(session, "{\"op\":11,\"d\":null,\"s\":null,\"t\":null}");
        return 0;
    case 2:  // identify
        if (s.identified) return 4005;
        s.identified = true;
        send_dispatch(session, "READY", ready(session));
        return 0;
    case 14:
    case 37:
        if (!s.identified) return 4003;
        request(session, text);
        return 0;
    default: return 4001;
    }
}

void Demo::send_dispatch(std::uint64_t session, std::string_view type, const std::string& d) {
    Session& s = sessions_[session];
    std::string out = "{\"op\":0,\"t\":\"";
    out += type;
    out += "\",\"s\":";
    FrameJson::append_u64(out, ++s.seq);
    out += ",\"d\":";
    out += d;
    out += '}';
    ++frames_;
    bytes_ += out.size();
    send_(session, std::move(out));
}

std::string Demo::ready(std::uint64_t session) const {
    std::string d = "{\"v\":10,\"session_id\":\"";
    FrameJson::append_u64(d, session);
    d += "\",\"user\":{\"id\":";
    FrameJson::append_quoted_u64(d, user_id);
    d += ",\"username\":\"you\"},\"guilds\":[{\"id\":";
    FrameJson::append_quoted_u64(d, guild_id);
    std::uint32_t members = 0;
    roster_guild_member_count(&members, guild_);
    d += ",\"name\":\"roster demo\",\"member_count\":";
    FrameJson::append_u64(d, members);
    d += ",\"roles\":[{\"id\":";
    FrameJson::append_quoted_u64(d, guild_id);
    d += ",\"name\":\"@everyone\",\"position\":0,\"hoist\":false,\"permissions\":\"1024\"},"
         "{\"id\":";
    FrameJson::append_quoted_u64(d, team_role);
    d += ",\"name\":\"Demo team\",\"position\":0,\"hoist\":false,\"permissions\":\"0\"}";
    for (std::uint32_t i = 0; i < W2::role_count; ++i) {
        const roster_role r = W2::role(i);
        d += ",{\"id\":";
        FrameJson::append_quoted_u64(d, r.id);
        d += ",\"name\":\"";
        d += role_names[i];
        d += "\",\"position\":";
        FrameJson::append_u64(d, static_cast<std::uint64_t>(r.position));
        d += ",\"hoist\":true,\"permissions\":\"0\",\"color\":\"";
        d += role_colors[i];
        d += "\"}";
    }
    d += "],\"channels\":[";
    for (std::size_t i = 0; i < channels_.size(); ++i) {
        const DemoChannel& c = channels_[i];
        if (i) d += ',';
        d += "{\"id\":";
        FrameJson::append_quoted_u64(d, c.id);
        d += ",\"type\":0,\"position\":";
        FrameJson::append_u64(d, i);
        d += ",\"name\":";
        json::append_string(d, c.name);
        d += ",\"topic\":";
        json::append_string(d, c.topic);
        d += ",\"member_list_id\":";
        json::append_string(d, c.list_id);
        d += ",\"permission_overwrites\":[";
        for (std::size_t k = 0; k < c.overwrites.size(); ++k) {
            const Ow& o = c.overwrites[k];
            if (k) d += ',';
            d += "{\"id\":";
            FrameJson::append_quoted_u64(d, o.id);
            d += o.member ? ",\"type\":1" : ",\"type\":0";
            d += o.allow_view ? ",\"allow\":\"1024\",\"deny\":\"0\"}"
                              : ",\"allow\":\"0\",\"deny\":\"1024\"}";
        }
        d += "]}";
    }
    d += "]}]}";
    static_assert(view_channel == 1024);
    return d;
}

void Demo::request(std::uint64_t session, std::string_view text) {
    roster_discord_request_info info = ROSTER_DISCORD_REQUEST_INFO_INIT;
    const int rc =
        roster_discord_request(&info, adapter_->ctx, session, user_id, text.data(), text.size());
    if (rc == ROSTER_OK || rc == ROSTER_EFLUSH) return;  // EFLUSH: the frames come later
    std::string d = "{\"guild_id\":";
    FrameJson::append_quoted_u64(d, guild_id);
    d += ",\"channel_id\":";
    if (info.failed_channel)
        FrameJson::append_quoted_u64(d, info.failed_channel);
    else
        d += "null";
    d += ",\"status\":";
    d += std::to_string(rc);
    d += ",\"reason\":";
    json::append_string(d, rc == ROSTER_EACCESS ? "you may not view this channel"
                                                : roster_status_str(rc));
    d += '}';
    send_dispatch(session, "ROSTER_REQUEST_REFUSED", d);
}

// {"user":{"id":"U","username":"NAME"},"roles":["R"...],"nick":null,...} and
// {"user":{"id":"U"},"status":"idle",...}, from the guild, as a host keeps
// them (the adapter splices them into member items).
int Demo::member_cb(const char** member, std::size_t* member_len, const char** presence,
                    std::size_t* presence_len, std::uint64_t user, void* self) {
    auto* d = static_cast<Demo*>(self);
    Adapter& a = *d->adapter_;
    roster_member_info info{};
    std::size_t nroles = 0;
    int rc = roster_member_get(&info, a.roles.data(), a.roles.size(), &nroles, d->guild_, user);
    if (rc == ROSTER_OK && nroles > a.roles.size()) {
        try {
            a.roles.resize(nroles);
        } catch (...) {
            return ROSTER_ENOMEM;
        }
        rc = roster_member_get(&info, a.roles.data(), a.roles.size(), &nroles, d->guild_, user);
    }
    if (rc != ROSTER_OK) return rc;
    try {
        std::string& m = a.member;
        m = "{\"user\":{\"id\":";
        FrameJson::append_quoted_u64(m, user);
        m += ",\"username\":";
        json::append_string(m, std::string_view(info.name, info.name_len));
        m += "},\"roles\":[";
        for (std::size_t i = 0; i < nroles; ++i) {
            if (i) m += ',';
            FrameJson::append_quoted_u64(m, a.roles[i]);
        }
        m += "],\"nick\":null,\"mute\":false,\"deaf\":false,"
             "\"joined_at\":\"2024-01-01T00:00:00.000000+00:00\"}";
        std::string& p = a.presence;
        p = "{\"user\":{\"id\":";
        FrameJson::append_quoted_u64(p, user);
        p += "},\"status\":\"";
        p += status_name(info.status);
        p += "\",\"client_status\":{},\"activities\":[]}";
    } catch (...) {
        return ROSTER_ENOMEM;
    }
    *member = a.member.data();
    *member_len = a.member.size();
    *presence = a.presence.data();
    *presence_len = a.presence.size();
    return ROSTER_OK;
}

// One dispatch per session: each has its own sequence number.
void Demo::frame(const roster_frame& f, const std::uint64_t* sessions, std::size_t n) {
    Adapter& a = *adapter_;
    for (std::size_t i = 0; i < n; ++i) {
        auto it = sessions_.find(sessions[i]);
        if (it == sessions_.end()) continue;
        roster_discord_encoder enc = ROSTER_DISCORD_ENCODER_INIT;
        enc.guild_id = guild_id;
        enc.seq = it->second.seq + 1;
        enc.member = &Demo::member_cb;
        enc.user_data = this;
        if (a.out.size() < 4096) a.out.resize(4096);
        std::size_t len = 0;
        int rc = roster_discord_encode_frame(&len, a.out.data(), a.out.size(), &f, &enc);
        if (rc == ROSTER_ELIMIT) {
            a.out.resize(len);
            rc = roster_discord_encode_frame(&len, a.out.data(), a.out.size(), &f, &enc);
        }
        if (rc != ROSTER_OK) {
            if (error_.empty())
                error_ = std::string("roster_discord_encode_frame: ") + roster_status_str(rc);
            continue;
        }
        ++it->second.seq;
        ++frames_;
        bytes_ += len;
        send_(sessions[i], std::string(a.out.data(), len));
    }
}

void Demo::on_frame(const roster_frame* frame, const std::uint64_t* sessions,
                    std::size_t session_count, void* self) {
    auto* d = static_cast<Demo*>(self);
    try {
        d->frame(*frame, sessions, session_count);
    } catch (const std::exception& e) {  // must not unwind through the library
        if (d->error_.empty()) d->error_ = e.what();
    }
}

void Demo::tick(double seconds) {
    if (!error_.empty()) {
        std::fprintf(stderr, "roster-sim serve: %s (churn paused)\n", error_.c_str());
        error_.clear();
        paused_ = true;
    }
    if (paused_ || rate_ == 0) {
        due_ = 0;
        return;
    }
    due_ += static_cast<double>(rate_) * std::min(seconds, 1.0);
    const auto n = static_cast<std::uint64_t>(due_);
    if (n == 0) return;
    due_ -= static_cast<double>(n);
    int rc = roster_batch_begin(guild_);
    for (std::uint64_t i = 0; rc == ROSTER_OK && i < n; ++i) {
        rc = apply_event(guild_, w2_.next());
        ++events_;
    }
    const int commit = roster_batch_commit(guild_);
    if (rc == ROSTER_OK) rc = commit;
    if (rc != ROSTER_OK && rc != ROSTER_EFLUSH && error_.empty())
        error_ = std::string("churn event: ") + roster_status_str(rc);
}

std::string Demo::state_json() const {
    std::uint32_t members = 0, sessions = 0;
    roster_guild_member_count(&members, guild_);
    roster_guild_session_count(&sessions, guild_);
    std::string s = "{\"rate\":" + std::to_string(rate_) +
                    ",\"paused\":" + (paused_ ? "true" : "false") +
                    ",\"events\":" + std::to_string(events_) +
                    ",\"members\":" + std::to_string(members) +
                    ",\"clients\":" + std::to_string(sessions_.size()) +
                    ",\"sessions\":" + std::to_string(sessions) +
                    ",\"dispatches\":" + std::to_string(frames_) +
                    ",\"bytes\":" + std::to_string(bytes_) + "}\n";
    return s;
}

std::string Demo::debug_rows(bool* found, std::uint64_t channel_id, std::uint32_t start,
                             std::uint32_t end, std::uint64_t session) const {
    const DemoChannel* c = channel(channel_id);
    *found = c != nullptr;
    if (!c) return {};
    const std::uint64_t list = c->roster_list;
    std::uint32_t length = 0, members = 0, online = 0;
    roster_list_length(&length, guild_, list);
    roster_list_counts(&members, &online, guild_, list);
    std::vector<roster_group> groups(64);
    std::size_t ngroups = 0;
    roster_list_groups(groups.data(), groups.size(), &ngroups, guild_, list);
    groups.resize(std::min(ngroups, groups.size()));
    std::vector<roster_row> rows(std::min<std::size_t>(end - start + 1u, length));
    std::size_t nrows = 0;
    if (!rows.empty())
        roster_list_rows(rows.data(), rows.size(), &nrows, guild_, list, start, end);
    rows.resize(std::min(nrows, rows.size()));

    std::string out = "{\"channel\":";
    FrameJson::append_quoted_u64(out, c->id);
    out += ",\"list_id\":";
    json::append_string(out, c->list_id);
    out += ",\"length\":" + std::to_string(length) + ",\"member_count\":" +
           std::to_string(members) + ",\"online_count\":" + std::to_string(online);
    if (session) {
        auto it = sessions_.find(session);
        out += ",\"seq\":";
        out += it == sessions_.end() ? "null" : std::to_string(it->second.seq);
    }
    out += ",\"groups\":[";
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (i) out += ',';
        out += "{\"id\":";
        group_id(out, groups[i].id);
        out += ",\"count\":" + std::to_string(groups[i].count) + "}";
    }
    out += "],\"rows\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const roster_row& r = rows[i];
        if (i) out += ',';
        out += "{\"index\":" + std::to_string(start + i);
        if (r.kind == ROSTER_ROW_HEADER) {
            out += ",\"kind\":\"header\",\"group\":";
            group_id(out, r.group);
            out += ",\"count\":" + std::to_string(r.count) + "}";
            continue;
        }
        roster_member_info info{};
        std::size_t nroles = 0;
        roster_member_get(&info, nullptr, 0, &nroles, guild_, r.user);
        out += ",\"kind\":\"member\",\"id\":";
        FrameJson::append_quoted_u64(out, r.user);
        out += ",\"name\":";
        json::append_string(out, std::string_view(info.name ? info.name : "", info.name_len));
        out += ",\"status\":\"";
        out += status_name(info.status);
        out += "\",\"group\":";
        group_id(out, r.group);
        out += '}';
    }
    out += "]}\n";
    return out;
}

}  // namespace sim
