#include "cli.hpp"

#include <algorithm>
#include <cstring>

namespace cli {

bool parse_u64(std::string_view s, std::uint64_t* out) {
    if (s.empty() || s.size() > 20) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return false;  // would pass UINT64_MAX
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

void Parser::number(std::string_view name, std::uint64_t* value, std::uint64_t min,
                    std::uint64_t max, std::string_view help) {
    options_.push_back({std::string(name), Kind::u64, value, min, max, "N", std::string(help),
                        std::to_string(*value)});
}

void Parser::number(std::string_view name, std::uint32_t* value, std::uint32_t min,
                    std::uint32_t max, std::string_view help) {
    options_.push_back({std::string(name), Kind::u32, value, min, max, "N", std::string(help),
                        std::to_string(*value)});
}

void Parser::flag(std::string_view name, bool* value, std::string_view help) {
    options_.push_back({std::string(name), Kind::flag, value, 0, 0, "", std::string(help), ""});
}

void Parser::text(std::string_view name, std::string* value, std::string_view metavar,
                  std::string_view help) {
    options_.push_back({std::string(name), Kind::text, value, 0, 0, std::string(metavar),
                        std::string(help), *value});
}

const Parser::Option* Parser::find(std::string_view name) const {
    for (const Option& o : options_)
        if (o.name == name) return &o;
    return nullptr;
}

void Parser::error(const std::string& what) const {
    std::fprintf(stderr, "%s: %s\n", name_.c_str(), what.c_str());
    std::fprintf(stderr, "usage: %s %s\n", name_.c_str(), synopsis().c_str());
}

bool Parser::assign(const Option& o, std::string_view value) {
    switch (o.kind) {
    case Kind::u64:
    case Kind::u32: {
        std::uint64_t v = 0;
        if (!parse_u64(value, &v) || v < o.min || v > o.max) {
            error(o.name + ": expected a whole number in [" + std::to_string(o.min) + ", " +
                  std::to_string(o.max) + "], got '" + std::string(value) + "'");
            return false;
        }
        if (o.kind == Kind::u64)
            *static_cast<std::uint64_t*>(o.target) = v;
        else
            *static_cast<std::uint32_t*>(o.target) = static_cast<std::uint32_t>(v);
        return true;
    }
    case Kind::text:
        if (value.empty()) {
            error(o.name + " needs a non-empty " + o.metavar);
            return false;
        }
        *static_cast<std::string*>(o.target) = std::string(value);
        return true;
    case Kind::flag: break;
    }
    return false;
}

Parser::Result Parser::parse(int argc, char** argv) {
    for (int i = 0; i < argc; ++i)
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::fputs(help().c_str(), stdout);
            return Result::help;
        }
    for (int i = 0; i < argc; ++i) {
        std::string_view arg = argv[i], value;
        const std::size_t eq = arg.find('=');
        const bool inline_value = arg.starts_with("--") && eq != std::string_view::npos;
        if (inline_value) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        const Option* o = arg.starts_with("--") ? find(arg) : nullptr;
        if (!o) {
            error(arg.starts_with("-") ? "unknown option '" + std::string(arg) + "'"
                                       : "unexpected argument '" + std::string(arg) + "'");
            return Result::usage;
        }
        if (o->kind == Kind::flag) {
            if (inline_value) {
                error(o->name + " takes no value");
                return Result::usage;
            }
            *static_cast<bool*>(o->target) = true;
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= argc) {
                error(o->name + " needs a value");
                return Result::usage;
            }
            value = argv[++i];
        }
        if (!assign(*o, value)) return Result::usage;
    }
    return Result::ok;
}

std::string Parser::synopsis() const {
    std::string s;
    for (const Option& o : options_) {
        if (!s.empty()) s += ' ';
        s += "[" + o.name + (o.kind == Kind::flag ? "" : " " + o.metavar) + "]";
    }
    return s;
}

std::string Parser::help() const { return "usage: " + name_ + " " + synopsis() + "\n" + options_help(); }

std::string Parser::options_help() const {
    std::string s;
    for (const Option& o : options_) {
        std::string left = "  " + o.name + (o.kind == Kind::flag ? "" : " " + o.metavar);
        if (left.size() < 22) left.resize(22, ' ');
        else left += "\n" + std::string(22, ' ');
        std::string line = left + o.help;
        if (o.kind == Kind::u64 || o.kind == Kind::u32)
            line += " (default " + o.fallback + "; " + std::to_string(o.min) + ".." +
                    std::to_string(o.max) + ")";
        else if (o.kind == Kind::text && !o.fallback.empty())
            line += " (default " + o.fallback + ")";
        s += line + "\n";
    }
    if (!epilogue_.empty()) s += epilogue_;
    return s;
}

}  // namespace cli
