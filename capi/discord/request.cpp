// Requests in: a strict, bounded JSON reader for lazy-guild requests (op 14
// and op 37), with no document tree: the reader walks the text once for
// the top level and once more for "d" (whose meaning depends on "op",
// which may come after it). Everything it does not need is skipped, but
// still checked to be valid JSON (RFC 8259). Bounds: the text's size, the
// nesting depth, the channels and ranges kept (docs/discord.md §4).
#include <algorithm>
#include <new>

#include "internal.hpp"

namespace rdiscord {
namespace {

class Reader {
public:
    Reader(const char* s, std::size_t n) : s_(s), n_(n) {}

    std::size_t pos() const { return p_; }
    void seek(std::size_t p) { p_ = p; }

    void ws() {
        while (p_ < n_ && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r'))
            ++p_;
    }
    bool eat(char c) {
        ws();
        if (p_ < n_ && s_[p_] == c) {
            ++p_;
            return true;
        }
        return false;
    }
    bool peek(char c) {
        ws();
        return p_ < n_ && s_[p_] == c;
    }
    bool at_end() {
        ws();
        return p_ == n_;
    }

    // A string, decoded (escapes to UTF-8) into out when out is not null.
    int string(std::string* out) {
        if (!eat('"')) return ROSTER_EINVAL;
        while (p_ < n_) {
            const unsigned char c = static_cast<unsigned char>(s_[p_++]);
            if (c == '"') return ROSTER_OK;
            if (c < 0x20) return ROSTER_EINVAL;
            if (c != '\\') {
                if (out) out->push_back(char(c));
                continue;
            }
            if (p_ >= n_) return ROSTER_EINVAL;
            const char e = s_[p_++];
            char plain = 0;
            switch (e) {
                case '"': plain = '"'; break;
                case '\\': plain = '\\'; break;
                case '/': plain = '/'; break;
                case 'b': plain = '\b'; break;
                case 'f': plain = '\f'; break;
                case 'n': plain = '\n'; break;
                case 'r': plain = '\r'; break;
                case 't': plain = '\t'; break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!hex4(&cp)) return ROSTER_EINVAL;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return ROSTER_EINVAL;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        std::uint32_t lo = 0;
                        if (p_ + 2 > n_ || s_[p_] != '\\' || s_[p_ + 1] != 'u') return ROSTER_EINVAL;
                        p_ += 2;
                        if (!hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return ROSTER_EINVAL;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    if (out) utf8(out, cp);
                    continue;
                }
                default: return ROSTER_EINVAL;
            }
            if (out) out->push_back(plain);
        }
        return ROSTER_EINVAL;
    }

    // A number by the JSON grammar; *value gets it when it is a
    // non-negative integer below 2^32 (*is_u32 says whether it was).
    int number(std::uint64_t* value, bool* is_u32) {
        ws();
        const std::size_t start = p_;
        bool integer = true, negative = false;
        if (p_ < n_ && s_[p_] == '-') {
            negative = true;
            ++p_;
        }
        if (p_ >= n_ || s_[p_] < '0' || s_[p_] > '9') return ROSTER_EINVAL;
        std::uint64_t v = 0;
        bool big = false;
        if (s_[p_] == '0') {
            ++p_;
        } else {
            while (p_ < n_ && s_[p_] >= '0' && s_[p_] <= '9') {
                v = v * 10 + std::uint64_t(s_[p_++] - '0');
                if (v > 0xffffffffu) big = true, v = 0x100000000u;
            }
        }
        if (p_ < n_ && s_[p_] == '.') {
            integer = false;
            ++p_;
            if (!digits()) return ROSTER_EINVAL;
        }
        if (p_ < n_ && (s_[p_] == 'e' || s_[p_] == 'E')) {
            integer = false;
            ++p_;
            if (p_ < n_ && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
            if (!digits()) return ROSTER_EINVAL;
        }
        (void)start;
        *is_u32 = integer && !negative && !big;
        *value = v;
        return ROSTER_OK;
    }

    // Any value, checked and skipped; depth counts the enclosing levels.
    int skip(unsigned depth) {
        ws();
        if (p_ >= n_) return ROSTER_EINVAL;
        const char c = s_[p_];
        if (c == '"') return string(nullptr);
        if (c == '{' || c == '[') {
            if (depth + 1 > ROSTER_DISCORD_MAX_REQUEST_DEPTH) return ROSTER_ELIMIT;
            ++p_;
            const char close = c == '{' ? '}' : ']';
            if (eat(close)) return ROSTER_OK;
            for (;;) {
                if (c == '{') {
                    if (int s = string(nullptr); s) return s;
                    if (!eat(':')) return ROSTER_EINVAL;
                }
                if (int s = skip(depth + 1); s) return s;
                if (eat(close)) return ROSTER_OK;
                if (!eat(',')) return ROSTER_EINVAL;
            }
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            std::uint64_t v;
            bool u;
            return number(&v, &u);
        }
        if (literal("true") || literal("false") || literal("null")) return ROSTER_OK;
        return ROSTER_EINVAL;
    }

private:
    bool digits() {
        const std::size_t b = p_;
        while (p_ < n_ && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
        return p_ > b;
    }
    bool literal(const char* w) {
        std::size_t k = 0;
        while (w[k]) ++k;
        if (n_ - p_ < k) return false;
        for (std::size_t i = 0; i < k; ++i)
            if (s_[p_ + i] != w[i]) return false;
        p_ += k;
        return true;
    }
    bool hex4(std::uint32_t* out) {
        if (n_ - p_ < 4) return false;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[p_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= std::uint32_t(c - '0');
            else if (c >= 'a' && c <= 'f') v |= std::uint32_t(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= std::uint32_t(c - 'A' + 10);
            else return false;
        }
        *out = v;
        return true;
    }
    static void utf8(std::string* out, std::uint32_t cp) {
        if (cp < 0x80) {
            out->push_back(char(cp));
        } else if (cp < 0x800) {
            out->push_back(char(0xC0 | (cp >> 6)));
            out->push_back(char(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out->push_back(char(0xE0 | (cp >> 12)));
            out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
            out->push_back(char(0x80 | (cp & 0x3F)));
        } else {
            out->push_back(char(0xF0 | (cp >> 18)));
            out->push_back(char(0x80 | ((cp >> 12) & 0x3F)));
            out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
            out->push_back(char(0x80 | (cp & 0x3F)));
        }
    }

    const char* s_;
    std::size_t n_;
    std::size_t p_ = 0;
};

// A snowflake: a non-empty string of ASCII digits, no leading zero, not 0,
// below 2^64.
bool snowflake(const std::string& s, std::uint64_t* out) {
    if (s.empty() || s.size() > 20 || s[0] == '0') return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const std::uint64_t d = std::uint64_t(c - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return v != 0;
}

// Walks an object's members: fn(key) reads the value at the reader (a
// status). Duplicate keys among those fn reports as kept (*seen) are
// refused by the callers themselves.
template <class Fn>
int object(Reader& r, unsigned depth, Fn&& fn) {
    if (depth + 1 > ROSTER_DISCORD_MAX_REQUEST_DEPTH) return ROSTER_ELIMIT;
    if (!r.eat('{')) return ROSTER_EINVAL;
    if (r.eat('}')) return ROSTER_OK;
    for (;;) {
        std::string key;
        if (int s = r.string(&key); s) return s;
        if (!r.eat(':')) return ROSTER_EINVAL;
        if (int s = fn(key, depth + 1); s) return s;
        if (r.eat('}')) return ROSTER_OK;
        if (!r.eat(',')) return ROSTER_EINVAL;
    }
}

// [[a,b],...]: ranges with 0 <= a <= b < 2^32.
int ranges(Reader& r, unsigned depth, std::vector<roster_range>* out) {
    if (depth + 2 > ROSTER_DISCORD_MAX_REQUEST_DEPTH) return ROSTER_ELIMIT;
    if (!r.eat('[')) return ROSTER_EINVAL;
    if (r.eat(']')) return ROSTER_OK;
    for (;;) {
        if (!r.eat('[')) return ROSTER_EINVAL;
        std::uint64_t a = 0, b = 0;
        bool ua = false, ub = false;
        if (int s = r.number(&a, &ua); s) return s;
        if (!r.eat(',')) return ROSTER_EINVAL;
        if (int s = r.number(&b, &ub); s) return s;
        if (!r.eat(']')) return ROSTER_EINVAL;
        if (!ua || !ub || b < a) return ROSTER_EINVAL;
        if (out->size() >= ROSTER_DISCORD_MAX_REQUEST_RANGES) return ROSTER_ELIMIT;
        out->push_back(roster_range{std::uint32_t(a), std::uint32_t(b)});
        if (r.eat(']')) return ROSTER_OK;
        if (!r.eat(',')) return ROSTER_EINVAL;
    }
}

// {"<channel id>": [[a,b],...], ...}; keep: whether to store them.
int channels(Reader& r, unsigned depth, bool keep, Request* out) {
    std::vector<std::uint64_t> seen;
    return object(r, depth, [&](const std::string& key, unsigned d) -> int {
        std::uint64_t id = 0;
        if (!snowflake(key, &id)) return ROSTER_EINVAL;
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) return ROSTER_EINVAL;
        if (seen.size() >= ROSTER_DISCORD_MAX_REQUEST_CHANNELS) return ROSTER_ELIMIT;
        seen.push_back(id);
        RequestChannel c;
        c.id = id;
        if (int s = ranges(r, d, &c.ranges); s) return s;
        if (keep) out->channels.push_back(std::move(c));
        return ROSTER_OK;
    });
}

// A guild's part: {"channels": {...}, ...anything else}.
int guild_part(Reader& r, unsigned depth, bool keep, Request* out) {
    bool had = false;
    return object(r, depth, [&](const std::string& key, unsigned d) -> int {
        if (key != "channels") return r.skip(d);
        if (had) return ROSTER_EINVAL;
        had = true;
        return channels(r, d, keep, out);
    });
}

int op14(Reader& r, std::uint64_t guild_id, Request* out) {
    // guild_id may come after channels: channels are read, and kept only
    // when guild_id turns out to be ours.
    bool had_guild = false, had_channels = false;
    std::uint64_t gid = 0;
    Request tmp;
    int s = object(r, 1, [&](const std::string& key, unsigned d) -> int {
        if (key == "guild_id") {
            if (had_guild) return ROSTER_EINVAL;
            had_guild = true;
            std::string v;
            if (int e = r.string(&v); e) return e;
            return snowflake(v, &gid) ? ROSTER_OK : ROSTER_EINVAL;
        }
        if (key == "channels") {
            if (had_channels) return ROSTER_EINVAL;
            had_channels = true;
            return channels(r, d, true, &tmp);
        }
        return r.skip(d);
    });
    if (s) return s;
    if (!had_guild) return ROSTER_EINVAL;
    out->guild_named = gid == guild_id;
    if (out->guild_named) out->channels = std::move(tmp.channels);
    return ROSTER_OK;
}

int op37(Reader& r, std::uint64_t guild_id, Request* out) {
    bool had = false;
    int s = object(r, 1, [&](const std::string& key, unsigned d) -> int {
        if (key != "subscriptions") return r.skip(d);
        if (had) return ROSTER_EINVAL;
        had = true;
        std::vector<std::uint64_t> seen;
        return object(r, d, [&](const std::string& g, unsigned d2) -> int {
            std::uint64_t gid = 0;
            if (!snowflake(g, &gid)) return ROSTER_EINVAL;
            if (std::find(seen.begin(), seen.end(), gid) != seen.end()) return ROSTER_EINVAL;
            if (seen.size() >= 1024) return ROSTER_ELIMIT;
            seen.push_back(gid);
            const bool ours = gid == guild_id;
            out->guild_named |= ours;
            return guild_part(r, d2, ours, out);
        });
    });
    if (s) return s;
    return had ? ROSTER_OK : ROSTER_EINVAL;
}

}  // namespace

int parse_request(Request* out, std::uint64_t guild_id, const char* json, std::size_t len) {
    if (len > ROSTER_DISCORD_MAX_REQUEST_BYTES) return ROSTER_ELIMIT;
    Reader r(json, len);
    bool had_op = false, had_d = false;
    std::uint64_t op = 0;
    std::size_t d_at = 0;
    int s = object(r, 0, [&](const std::string& key, unsigned d) -> int {
        if (key == "op") {
            if (had_op) return ROSTER_EINVAL;
            had_op = true;
            bool u = false;
            if (int e = r.number(&op, &u); e) return e;
            return u ? ROSTER_OK : ROSTER_EINVAL;
        }
        if (key == "d") {
            if (had_d) return ROSTER_EINVAL;
            had_d = true;
            r.ws();
            d_at = r.pos();
        }
        return r.skip(d);
    });
    if (s) return s;
    if (!r.at_end() || !had_op || !had_d) return ROSTER_EINVAL;
    if (op != 14 && op != 37) return ROSTER_EINVAL;
    out->op = std::uint32_t(op);
    r.seek(d_at);
    return op == 14 ? op14(r, guild_id, out) : op37(r, guild_id, out);
}

}  // namespace rdiscord
