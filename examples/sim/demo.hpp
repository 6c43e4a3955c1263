// The guild behind `roster-sim serve`, and the gateway protocol its clients
// speak (docs/serve.md). Everything here runs on the server's one I/O
// thread: the guild, its churn, the clients' messages and the debug
// endpoint, so a debug answer is consistent with the frames already queued
// for the clients.
//
// The guild: the W2 workload's members and 20 hoisted roles
// (workload.hpp), plus the demo user (who holds the non-hoisted role
// "Moderator") and a few channels with different permission overwrites;
// channels whose overwrites give the same Discord member list id share one
// roster list. The demo user can view every channel but #admins.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <roster/roster.h>

#include "workload.hpp"

namespace sim {

struct DemoOptions {
    std::uint64_t members = 3000;
    std::uint64_t seed = 1;
    std::uint64_t rate = 20;  // churn events per second
};

// One channel of the demo guild, with its VIEW_CHANNEL overwrites.
struct DemoChannel {
    struct Overwrite {
        std::uint64_t id;
        bool member;      // a member overwrite (else a role's; the guild id is @everyone's)
        bool allow_view;  // allows VIEW_CHANNEL (else denies it)
    };
    std::uint64_t id = 0;
    std::string name;
    std::string topic;
    std::vector<Overwrite> overwrites;
    std::string list_id;        // Discord's member list id
    std::uint64_t roster_list = 0;
};

class Demo {
public:
    // Sends one text message to a session's client (queued by the server).
    using SendFn = std::function<void(std::uint64_t session, std::string text)>;

    static constexpr std::uint64_t guild_id = 100000000000000001ull;
    static constexpr std::uint64_t user_id = 100000000000000042ull;  // the demo user

    Demo(const DemoOptions& o, SendFn send);
    ~Demo();
    Demo(const Demo&) = delete;
    Demo& operator=(const Demo&) = delete;

    // Builds the guild; false with *error set on failure.
    bool init(std::string* error);

    // A client connected (gets HELLO) / went away.
    void open_session(std::uint64_t session);
    void close_session(std::uint64_t session);
    // A text message from a client. Returns 0, or a gateway close code
    // (4001 unknown opcode, 4002 decode error, 4003 not authenticated, 4005
    // already authenticated) with which the server closes the connection.
    int on_message(std::uint64_t session, std::string_view text);

    // Applies the churn due after `seconds` more of wall time (none while
    // paused), in one batch.
    void tick(double seconds);

    // The HTTP side. JSON texts.
    std::string state_json() const;
    void set_rate(std::uint64_t rate) { rate_ = rate; }
    void set_paused(bool paused) { paused_ = paused; }
    // The true rows [start, end] of a channel's list; *found false for an
    // unknown channel. With session != 0 also "seq", the last sequence
    // number sent to that session.
    std::string debug_rows(bool* found, std::uint64_t channel, std::uint32_t start,
                           std::uint32_t end, std::uint64_t session) const;

    const std::vector<DemoChannel>& channels() const { return channels_; }

private:
    struct Session {
        std::uint64_t seq = 0;  // last "s" sent
        bool identified = false;
        std::uint64_t list = 0;     // the roster list it holds ranges of
        bool subscribed = false;
    };

    static void on_frame(const roster_frame* frame, const std::uint64_t* sessions,
                         std::size_t session_count, void* self);
    void frame(const roster_frame& f, const std::uint64_t* sessions, std::size_t n);
    void send_dispatch(std::uint64_t session, std::string_view type, const std::string& d);
    std::string ready(std::uint64_t session) const;
    void request(std::uint64_t session, std::string_view text);
    void refuse(std::uint64_t session, std::uint64_t channel, std::string_view reason);
    const DemoChannel* channel(std::uint64_t id) const;
    // The adapter's member callback (roster_discord_member_fn): the member
    // and presence JSON of a user, as a host keeps them.
    static int member_cb(const char** member, std::size_t* member_len, const char** presence,
                         std::size_t* presence_len, std::uint64_t user, void* self);

    DemoOptions opt_;
    SendFn send_;
    W2 w2_;
    roster_guild* guild_ = nullptr;
    std::vector<DemoChannel> channels_;
    std::map<std::uint64_t, Session> sessions_;
    std::uint64_t rate_;
    bool paused_ = false;
    double due_ = 0;  // churn events owed (fraction carried)
    std::uint64_t events_ = 0, frames_ = 0, bytes_ = 0;
    std::string error_;  // first failure inside the frame callback
    struct Adapter;
    std::unique_ptr<Adapter> adapter_;
};

}  // namespace sim
