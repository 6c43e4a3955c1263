// `roster-sim serve`: see serve.hpp and docs/serve.md.
//
// One io_context run by one thread: the listener, every HTTP and WebSocket
// connection, the churn timer and the guild (demo.hpp) all run there, one
// handler at a time; nothing is shared between threads.
#include "serve.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before Boost 1.74's asio/awaitable.hpp, which needs it in C++20
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "cli.hpp"
#include "demo.hpp"
#include "web_assets.hpp"

namespace sim {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Options {
    std::uint64_t port = 8080;
    DemoOptions demo;
};

void declare(cli::Parser& p, Options* o) {
    p.number("--port", &o->port, 0, 65535, "TCP port on 127.0.0.1 (0: any free port)");
    p.number("--members", &o->demo.members, 1, 1000000, "members of the demo guild");
    p.number("--rate", &o->demo.rate, 0, 100000,
             "churn events per second at the start (the page changes it)");
    p.number("--seed", &o->demo.seed, 0, UINT64_MAX, "the guild's and the churn's seed");
    p.epilogue(
        "Serves the demo page and a Discord-like gateway (/gateway) on 127.0.0.1,\n"
        "and prints the page's URL; runs until interrupted. docs/serve.md.\n");
}

constexpr std::size_t max_queued_bytes = 64u << 20;  // per WebSocket client

// name=value pairs of a query string (no percent-decoding: the endpoints
// take numbers and words only).
std::map<std::string, std::string> query_of(std::string_view target) {
    std::map<std::string, std::string> q;
    const std::size_t at = target.find('?');
    if (at == std::string_view::npos) return q;
    std::string_view rest = target.substr(at + 1);
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos)
            q[std::string(pair)] = "";
        else
            q[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
    return q;
}

class Server;

class WsSession : public std::enable_shared_from_this<WsSession> {
public:
    WsSession(tcp::socket&& socket, Server& server, std::uint64_t id)
        : ws_(std::move(socket)), server_(server), id_(id) {}
    void start(http::request<http::string_body> req);
    void send(std::string text);
    void close(int code);

private:
    void read();
    void write();
    void gone();

    websocket::stream<beast::tcp_stream> ws_;
    Server& server_;
    std::uint64_t id_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
    std::size_t queued_ = 0;
    bool closing_ = false, attached_ = false, overflow_ = false;
};

class Server {
public:
    Server(net::io_context& io, const Options& o)
        : acceptor_(io),
          timer_(io),
          demo_(o.demo, [this](std::uint64_t s, std::string text) { deliver(s, std::move(text)); }) {}

    bool start(std::uint16_t port, std::string* error);
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    http::response<http::string_body> handle(const http::request<http::string_body>& req);
    std::uint64_t next_id() { return ++last_id_; }
    void attach(std::uint64_t id, const std::shared_ptr<WsSession>& s) {
        clients_[id] = s;
        demo_.open_session(id);
    }
    void detach(std::uint64_t id) {
        if (clients_.erase(id)) demo_.close_session(id);
    }
    void message(std::uint64_t id, std::string_view text) {
        const int code = demo_.on_message(id, text);
        if (code == 0) return;
        auto it = clients_.find(id);
        if (it != clients_.end())
            if (auto s = it->second.lock()) s->close(code);
    }
    void stop() {
        acceptor_.close();
        timer_.cancel();
        // close() detaches the client: not while walking clients_.
        std::vector<std::shared_ptr<WsSession>> open;
        for (auto& [id, weak] : clients_)
            if (auto s = weak.lock()) open.push_back(std::move(s));
        for (auto& s : open) s->close(1001);
    }

private:
    void accept();
    void tick();
    void deliver(std::uint64_t session, std::string text) {
        auto it = clients_.find(session);
        if (it == clients_.end()) return;
        if (auto s = it->second.lock()) s->send(std::move(text));
    }

    tcp::acceptor acceptor_;
    net::steady_timer timer_;
    std::chrono::steady_clock::time_point last_tick_;
    Demo demo_;
    std::map<std::uint64_t, std::weak_ptr<WsSession>> clients_;
    std::uint64_t last_id_ = 0;
};

void WsSession::start(http::request<http::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(1u << 20);
    ws_.auto_fragment(false);  // one frame per message
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return;
        self->attached_ = true;
        self->server_.attach(self->id_, self);
        self->read();
    });
}

void WsSession::read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->gone();
        const std::string text = beast::buffers_to_string(self->buffer_.data());
        self->buffer_.consume(self->buffer_.size());
        self->server_.message(self->id_, text);
        if (!self->closing_) self->read();
    });
}

void WsSession::send(std::string text) {
    if (closing_ || overflow_) return;
    if (queued_ + text.size() > max_queued_bytes) {
        // A client that does not read. Closed after this handler: send()
        // may be called from inside the guild's frame callback.
        overflow_ = true;
        net::post(ws_.get_executor(), [self = shared_from_this()] { self->close(4008); });
        return;
    }
    queued_ += text.size();
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) write();
}

void WsSession::write() {
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->gone();
                        self->queued_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) self->write();
                    });
}

void WsSession::close(int code) {
    if (closing_) return;
    closing_ = true;
    gone();
    websocket::close_reason reason(static_cast<std::uint16_t>(code));
    // Any write in flight finishes (or fails) first; the close frame follows.
    net::post(ws_.get_executor(), [self = shared_from_this(), reason] {
        self->ws_.async_close(reason, [self](beast::error_code) {});
    });
}

void WsSession::gone() {
    if (!attached_) return;
    attached_ = false;
    server_.detach(id_);
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket&& socket, Server& server)
        : stream_(std::move(socket)), server_(server) {}
    void read() {
        req_ = {};
        stream_.expires_after(std::chrono::seconds(60));
        http::async_read(stream_, buffer_, req_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             self->on_read(ec);
                         });
    }

private:
    void on_read(beast::error_code ec) {
        if (ec) {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
            return;
        }
        if (websocket::is_upgrade(req_)) {
            if (req_.target() == "/gateway" || req_.target().starts_with("/gateway?")) {
                std::make_shared<WsSession>(stream_.release_socket(), server_, server_.next_id())
                    ->start(std::move(req_));
                return;
            }
        }
        res_ = std::make_shared<http::response<http::string_body>>(server_.handle(req_));
        http::async_write(stream_, *res_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return;
                              if (self->res_->need_eof()) {
                                  beast::error_code ignored;
                                  self->stream_.socket().shutdown(tcp::socket::shutdown_send,
                                                                  ignored);
                                  return;
                              }
                              self->read();
                          });
    }

    beast::tcp_stream stream_;
    Server& server_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> req_;
    std::shared_ptr<http::response<http::string_body>> res_;
};

bool Server::start(std::uint16_t port, std::string* error) {
    if (!demo_.init(error)) return false;
    beast::error_code ec;
    const tcp::endpoint ep(net::ip::make_address_v4("127.0.0.1"), port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        *error = "127.0.0.1:" + std::to_string(port) + ": " + ec.message();
        return false;
    }
    accept();
    last_tick_ = std::chrono::steady_clock::now();
    tick();
    return true;
}

void Server::accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
        if (ec == net::error::operation_aborted) return;
        if (!ec) std::make_shared<HttpSession>(std::move(s), *this)->read();
        accept();
    });
}

// The churn: every 50 ms, the events due since the last tick.
void Server::tick() {
    timer_.expires_after(std::chrono::milliseconds(50));
    timer_.async_wait([this](beast::error_code ec) {
        if (ec) return;
        const auto now = std::chrono::steady_clock::now();
        const double dt = std::chrono::duration<double>(now - last_tick_).count();
        last_tick_ = now;
        demo_.tick(dt);
        tick();
    });
}

http::response<http::string_body> text_response(http::status status, std::string_view type,
                                                std::string body, unsigned version,
                                                bool keep_alive) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "roster-sim");
    res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

bool to_u32(const std::map<std::string, std::string>& q, const char* key, std::uint32_t* out) {
    auto it = q.find(key);
    std::uint64_t v = 0;
    if (it == q.end() || !cli::parse_u64(it->second, &v) || v > UINT32_MAX) return false;
    *out = static_cast<std::uint32_t>(v);
    return true;
}

http::response<http::string_body> Server::handle(const http::request<http::string_body>& req) {
    const unsigned v = req.version();
    const bool ka = req.keep_alive();
    auto error = [&](http::status s, std::string_view why) {
        std::string body = "{\"error\":\"";
        body += why;
        body += "\"}\n";
        return text_response(s, "application/json", body, v, ka);
    };
    if (req.method() != http::verb::get && req.method() != http::verb::post)
        return error(http::status::method_not_allowed, "GET or POST only");
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const auto q = query_of(target);
    if (path == "/api/state") return text_response(http::status::ok, "application/json",
                                                   demo_.state_json(), v, ka);
    if (path == "/api/churn") {
        std::uint64_t x = 0;
        if (auto it = q.find("rate"); it != q.end()) {
            if (!cli::parse_u64(it->second, &x) || x > 100000)
                return error(http::status::bad_request, "rate: a whole number in [0, 100000]");
            demo_.set_rate(x);
        }
        if (auto it = q.find("paused"); it != q.end()) {
            if (it->second != "0" && it->second != "1")
                return error(http::status::bad_request, "paused: 0 or 1");
            demo_.set_paused(it->second == "1");
        }
        return text_response(http::status::ok, "application/json", demo_.state_json(), v, ka);
    }
    if (path == "/debug/rows") {
        std::uint32_t start = 0, end = 0;
        std::uint64_t channel = 0, session = 0;
        auto c = q.find("channel");
        if (c == q.end() || !cli::parse_u64(c->second, &channel) || !to_u32(q, "start", &start) ||
            !to_u32(q, "end", &end) || end < start)
            return error(http::status::bad_request,
                         "needs channel=ID&start=A&end=B (whole numbers, A <= B)");
        if (auto s = q.find("session"); s != q.end() && !cli::parse_u64(s->second, &session))
            return error(http::status::bad_request, "session: a whole number");
        if (end - start > 100000)
            return error(http::status::bad_request, "at most 100001 rows at once");
        bool found = false;
        std::string body = demo_.debug_rows(&found, channel, start, end, session);
        if (!found) return error(http::status::not_found, "no such channel");
        return text_response(http::status::ok, "application/json", std::move(body), v, ka);
    }
    const WebAsset* asset = find_web_asset(path == "/" ? "/index.html" : path);
    if (!asset) return error(http::status::not_found, "not found");
    return text_response(http::status::ok, asset->type, std::string(asset->body), v, ka);
}

int parse_options(int argc, char** argv, Options* o) {
    cli::Parser p("roster-sim serve");
    declare(p, o);
    switch (p.parse(argc, argv)) {
    case cli::Parser::Result::ok: return 0;
    case cli::Parser::Result::help: return 1;
    case cli::Parser::Result::usage: break;
    }
    return 2;
}

}  // namespace

std::string serve_synopsis() {
    Options o;
    cli::Parser p("roster-sim serve");
    declare(p, &o);
    return p.synopsis();
}

std::string serve_help() {
    Options o;
    cli::Parser p("roster-sim serve");
    declare(p, &o);
    return p.options_help();
}

int serve_main(int argc, char** argv) {
    Options o;
    const int rc = parse_options(argc, argv, &o);
    if (rc != 0) return rc == 1 ? 0 : 2;
    net::io_context io(1);
    Server server(io, o);
    std::string error;
    if (!server.start(static_cast<std::uint16_t>(o.port), &error)) {
        std::fprintf(stderr, "roster-sim serve: %s\n", error.c_str());
        return 1;
    }
    net::signal_set signals(io, SIGINT, SIGTERM);
    net::steady_timer grace(io);
    signals.async_wait([&](beast::error_code, int) {
        server.stop();
        // The close frames go out; then whatever is left (an idle HTTP
        // keep-alive connection) is dropped.
        grace.expires_after(std::chrono::milliseconds(500));
        grace.async_wait([&io](beast::error_code) { io.stop(); });
    });
    std::printf("roster-sim serve: http://127.0.0.1:%u/ (Ctrl-C stops)\n",
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    io.run();
    return 0;
}

}  // namespace sim
