#include "json.hpp"

#include <algorithm>

namespace sim::json {

const Value* Value::find(std::string_view key) const {
    for (const Member& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Parser {
public:
    Parser(std::string_view s, const Limits& limits) : s_(s), limits_(limits) {}

    bool document(Value* out) {
        if (s_.size() > limits_.max_length) return fail("input too long");
        skip_ws();
        if (!value(out, 0)) return false;
        skip_ws();
        if (pos_ != s_.size()) return fail("trailing characters");
        return true;
    }

    Error error() const { return {err_pos_, err_msg_}; }

private:
    std::string_view s_;
    const Limits& limits_;
    std::size_t pos_ = 0;
    std::size_t err_pos_ = 0;
    const char* err_msg_ = "";

    bool fail(const char* msg) {
        err_pos_ = pos_;
        err_msg_ = msg;
        return false;
    }
    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }

    void skip_ws() {
        while (!at_end()) {
            char c = s_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            ++pos_;
        }
    }

    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return fail("invalid literal");
        pos_ += word.size();
        return true;
    }

    bool value(Value* out, std::size_t depth) {
        if (at_end()) return fail("unexpected end of input");
        switch (s_[pos_]) {
        case '{': return object(out, depth + 1);
        case '[': return array(out, depth + 1);
        case '"': out->kind = Kind::string; return string(&out->text);
        case 't': out->kind = Kind::boolean; out->boolean = true; return literal("true");
        case 'f': out->kind = Kind::boolean; out->boolean = false; return literal("false");
        case 'n': out->kind = Kind::null; return literal("null");
        default:
            if (s_[pos_] == '-' || is_digit(s_[pos_])) {
                out->kind = Kind::number;
                return number(&out->text);
            }
            return fail("unexpected character");
        }
    }

    bool array(Value* out, std::size_t depth) {
        if (depth > limits_.max_depth) return fail("nesting too deep");
        out->kind = Kind::array;
        ++pos_;  // '['
        skip_ws();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            out->items.emplace_back();
            if (!value(&out->items.back(), depth)) return false;
            skip_ws();
            if (peek() == ',') {
                ++pos_;
                skip_ws();
            } else if (peek() == ']') {
                ++pos_;
                return true;
            } else {
                return fail(at_end() ? "unexpected end of input" : "expected ',' or ']'");
            }
        }
    }

    bool object(Value* out, std::size_t depth) {
        if (depth > limits_.max_depth) return fail("nesting too deep");
        out->kind = Kind::object;
        ++pos_;  // '{'
        skip_ws();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        for (;;) {
            if (peek() != '"') return fail(at_end() ? "unexpected end of input" : "expected key");
            out->members.emplace_back();
            Member& m = out->members.back();
            if (!string(&m.key)) return false;
            skip_ws();
            if (peek() != ':') return fail("expected ':'");
            ++pos_;
            skip_ws();
            if (!value(&m.value, depth)) return false;
            skip_ws();
            if (peek() == ',') {
                ++pos_;
                skip_ws();
            } else if (peek() == '}') {
                ++pos_;
                return unique_keys(*out);
            } else {
                return fail(at_end() ? "unexpected end of input" : "expected ',' or '}'");
            }
        }
    }

    bool unique_keys(const Value& obj) {
        if (obj.members.size() < 2) return true;
        std::vector<std::string_view> keys;
        keys.reserve(obj.members.size());
        for (const Member& m : obj.members) keys.push_back(m.key);
        std::sort(keys.begin(), keys.end());
        if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
            return fail("duplicate key");
        return true;
    }

    bool number(std::string* out) {
        const std::size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (is_digit(peek())) {
            while (is_digit(peek())) ++pos_;
        } else {
            return fail("invalid number");
        }
        if (peek() == '.') {
            ++pos_;
            if (!is_digit(peek())) return fail("invalid number");
            while (is_digit(peek())) ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!is_digit(peek())) return fail("invalid number");
            while (is_digit(peek())) ++pos_;
        }
        out->assign(s_.substr(start, pos_ - start));
        return true;
    }

    // Four hex digits at pos_ (after "\u").
    bool hex4(std::uint32_t* out) {
        if (s_.size() - pos_ < 4) return fail("truncated \\u escape");
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            const int h = hex_value(s_[pos_ + i]);
            if (h < 0) return fail("invalid \\u escape");
            v = v * 16 + static_cast<std::uint32_t>(h);
        }
        pos_ += 4;
        *out = v;
        return true;
    }

    // After "\u": one code point, joining a surrogate pair.
    bool unicode_escape(std::string* out) {
        std::uint32_t cp;
        if (!hex4(&cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") return fail("lone high surrogate");
            pos_ += 2;
            std::uint32_t lo;
            if (!hex4(&lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("lone high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8(*out, cp);
        return true;
    }

    bool escape_char(std::string* out) {
        if (at_end()) return fail("unterminated string");
        char c = s_[pos_++];
        switch (c) {
        case '"': *out += '"'; return true;
        case '\\': *out += '\\'; return true;
        case '/': *out += '/'; return true;
        case 'b': *out += '\b'; return true;
        case 'f': *out += '\f'; return true;
        case 'n': *out += '\n'; return true;
        case 'r': *out += '\r'; return true;
        case 't': *out += '\t'; return true;
        case 'u': return unicode_escape(out);
        default: --pos_; return fail("invalid escape");
        }
    }

    bool string(std::string* out) {
        ++pos_;  // opening quote
        const std::size_t start = pos_;
        for (;;) {
            if (at_end()) return fail("unterminated string");
            const auto c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"') break;
            if (c < 0x20) return fail("control character in string");
            if (c == '\\') {
                ++pos_;
                if (!escape_char(out)) return false;
            } else {
                *out += static_cast<char>(c);
                ++pos_;
            }
        }
        if (limits_.check_utf8 && !valid_utf8(std::string_view(s_).substr(start, pos_ - start))) {
            pos_ = start;
            return fail("invalid UTF-8 in string");
        }
        ++pos_;  // closing quote
        return true;
    }
};

// Digits of an integer literal without fraction or exponent, and its sign.
bool integer_digits(const Value& v, std::string_view* digits, bool* negative) {
    if (!v.is_number()) return false;
    std::string_view t = v.text;
    *negative = !t.empty() && t[0] == '-';
    if (*negative) t.remove_prefix(1);
    if (t.empty() || !std::all_of(t.begin(), t.end(), is_digit)) return false;
    *digits = t;
    return true;
}

// Accumulates decimal digits; false on overflow past max.
bool accumulate(std::string_view digits, std::uint64_t max, std::uint64_t* out) {
    std::uint64_t v = 0;
    for (char c : digits) {
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

}  // namespace

bool parse(std::string_view text, Value* out, Error* err, const Limits& limits) {
    *out = Value{};
    Parser p(text, limits);
    if (p.document(out)) return true;
    if (err) *err = p.error();
    return false;
}

bool to_u64(const Value& v, std::uint64_t* out) {
    std::string_view digits;
    bool negative;
    if (!integer_digits(v, &digits, &negative) || negative) return false;
    return accumulate(digits, UINT64_MAX, out);
}

bool to_i64(const Value& v, std::int64_t* out) {
    std::string_view digits;
    bool negative;
    if (!integer_digits(v, &digits, &negative)) return false;
    const std::uint64_t max = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    std::uint64_t mag;
    if (!accumulate(digits, max, &mag)) return false;
    if (!negative) {
        *out = static_cast<std::int64_t>(mag);
    } else if (mag == std::uint64_t{1} << 63) {
        *out = INT64_MIN;
    } else {
        *out = -static_cast<std::int64_t>(mag);
    }
    return true;
}

void escape(std::string& out, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else {
            out += ch;
        }
    }
}

void append_string(std::string& out, std::string_view s) {
    out += '"';
    escape(out, s);
    out += '"';
}

bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (end - p <= n) return false;
        if (p[1] < lo || p[1] > hi) return false;
        for (int k = 2; k <= n; ++k)
            if ((p[k] & 0xC0) != 0x80) return false;
        p += n + 1;
    }
    return true;
}

}  // namespace sim::json
