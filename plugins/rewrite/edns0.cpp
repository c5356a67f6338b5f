// rewrite edns0 local|nsid|subnet set|append|replace|unset ... [revert], as CoreDNS's
// edns0.go: `set` changes a matching option or adds one, `append` adds one when there is
// none, `replace` changes a matching one only, `unset` removes it.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "plugins/rewrite/match.h"

namespace cxxdns::plugins::rewrite {

namespace {

enum class Action { set, append, replace, unset };

bool parse_action(const std::string& word, Action& out) {
  if (word == "set") return out = Action::set, true;
  if (word == "append") return out = Action::append, true;
  if (word == "replace") return out = Action::replace, true;
  if (word == "unset") return out = Action::unset, true;
  return false;
}

// Go's strconv.ParseUint(s, 0, bits): decimal, 0x, 0o, 0b or 0-octal.
bool parse_code(const std::string& s, unsigned bits, uint64_t& out, std::string& error) {
  std::string_view v = s;
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] | 0x20) == 'x')
    base = 16, v.remove_prefix(2);
  else if (v.size() > 2 && v[0] == '0' && (v[1] | 0x20) == 'o')
    base = 8, v.remove_prefix(2);
  else if (v.size() > 2 && v[0] == '0' && (v[1] | 0x20) == 'b')
    base = 2, v.remove_prefix(2);
  else if (v.size() > 1 && v[0] == '0')
    base = 8, v.remove_prefix(1);
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out, base);
  if (v.empty() || ec == std::errc::invalid_argument || p != v.data() + v.size()) {
    error = "strconv.ParseUint: parsing \"" + s + "\": invalid syntax";
    return false;
  }
  if (ec == std::errc::result_out_of_range || (bits < 64 && out >> bits)) {
    error = "strconv.ParseUint: parsing \"" + s + "\": value out of range";
    return false;
  }
  return true;
}

bool decode_hex(std::string_view h, std::vector<uint8_t>& out, std::string& error) {
  if (h.size() % 2) return error = "encoding/hex: odd length hex string", false;
  out.clear();
  for (size_t i = 0; i < h.size(); i += 2) {
    uint8_t b = 0;
    auto [p, ec] = std::from_chars(h.data() + i, h.data() + i + 2, b, 16);
    if (ec != std::errc() || p != h.data() + i + 2) {
      const char bad = std::isxdigit(static_cast<unsigned char>(h[i])) ? h[i + 1] : h[i];
      error = std::string("encoding/hex: invalid byte: U+00") +
              "0123456789ABCDEF"[static_cast<unsigned char>(bad) >> 4] +
              "0123456789ABCDEF"[bad & 15] + " '" + bad + "'";
      return false;
    }
    out.push_back(b);
  }
  return true;
}

// The shared part: find the option with `code`, then act.
class OptionRule : public Rule {
 public:
  OptionRule(Mode mode, Action action, uint16_t code, bool revert)
      : Rule(mode), action_(action), code_(code), revert_(revert) {}

 protected:
  // Applies the action with the data `fill` makes (fill(existing or new option) -> false
  // to give up); CoreDNS's Rewrite of each EDNS0 rule.
  template <typename Fill>
  Applied act(Request& req, Fill&& fill) const {
    auto& opts = req.options();
    auto it = std::find_if(opts.begin(), opts.end(),
                           [&](const EdnsOption& o) { return o.code == code_; });
    const bool found = it != opts.end();
    Applied a;
    if (action_ == Action::unset) {
      if (!found) return a;
      opts.erase(it);
    } else if (found) {
      if (action_ == Action::append || !fill(*it, true)) return a;
    } else {
      if (action_ == Action::replace) return a;
      EdnsOption o;
      o.code = code_;
      if (!fill(o, false)) return a;
      opts.push_back(std::move(o));
    }
    a.result = Result::done;
    ResponseRule r;
    r.kind = revert_ ? ResponseRule::Kind::edns_revert : ResponseRule::Kind::edns_echo;
    r.option_code = code_;
    if (action_ != Action::unset) a.responses.push_back(r);
    return a;
  }

 private:
  Action action_;
  uint16_t code_;
  bool revert_;
};

class LocalRule final : public OptionRule {
 public:
  LocalRule(Mode mode, Action action, uint16_t code, std::vector<uint8_t> data, bool revert)
      : OptionRule(mode, action, code, revert), data_(std::move(data)) {}
  Applied apply(Request& req) const override {
    return act(req, [&](EdnsOption& o, bool) {
      o.data = data_;
      return true;
    });
  }

 private:
  std::vector<uint8_t> data_;
};

// {qname}, {qtype}, {client_ip}, {client_port}, {protocol}, or a metadata label (which is
// never set: cxxdns has no metadata plugin).
class VariableRule final : public OptionRule {
 public:
  VariableRule(Mode mode, Action action, uint16_t code, std::string variable, bool revert)
      : OptionRule(mode, action, code, revert), variable_(std::move(variable)) {}
  Applied apply(Request& req) const override {
    std::vector<uint8_t> data;
    if (!value(req, data)) return {};  // CoreDNS: no data, nothing done
    return act(req, [&](EdnsOption& o, bool) {
      o.data = data;
      return true;
    });
  }

 private:
  bool value(Request& req, std::vector<uint8_t>& out) const {
    auto u16 = [&](uint16_t v) { out = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; };
    if (variable_ == "{qname}") {
      const std::string_view n = req.raw_name();
      out.assign(n.begin(), n.end());
    } else if (variable_ == "{qtype}") {
      u16(req.qtype());
    } else if (variable_ == "{client_ip}") {
      auto b = req.client().bytes();
      out.assign(b.begin(), b.end());
    } else if (variable_ == "{client_port}") {
      u16(req.client().port());
    } else if (variable_ == "{protocol}") {
      const std::string_view p = req.transport() == Transport::tcp ? "tcp" : "udp";
      out.assign(p.begin(), p.end());
    } else {
      return false;
    }
    return !out.empty();
  }

  std::string variable_;
};

class NsidRule final : public OptionRule {
 public:
  NsidRule(Mode mode, Action action, bool revert) : OptionRule(mode, action, 3, revert) {}
  Applied apply(Request& req) const override {
    return act(req, [](EdnsOption& o, bool) {
      o.data.clear();  // an empty NSID: the request for the server's
      return true;
    });
  }
};

// EDNS Client Subnet (RFC 7871) from the client's address, cut to the rule's lengths.
class SubnetRule final : public OptionRule {
 public:
  SubnetRule(Mode mode, Action action, uint8_t v4, uint8_t v6, bool revert)
      : OptionRule(mode, action, 8, revert), v4_(v4), v6_(v6) {}
  Applied apply(Request& req) const override {
    return act(req, [&](EdnsOption& o, bool found) { return fill(req, o, found); });
  }

 private:
  bool fill(Request& req, EdnsOption& o, bool found) const {
    auto addr = req.client().bytes();
    if (addr.size() != 4 && addr.size() != 16) return false;
    const bool v4 = addr.size() == 4;
    // An existing option keeps the shorter of its length and the rule's.
    uint8_t bits = v4 ? v4_ : v6_;
    if (found && o.data.size() >= 3 && o.data[2] < bits) bits = o.data[2];
    const size_t bytes = (bits + 7u) / 8u;
    o.data = {0, static_cast<uint8_t>(v4 ? 1 : 2), bits, 0};
    for (size_t i = 0; i < bytes; ++i) {
      const unsigned keep = bits >= (i + 1) * 8 ? 8 : bits - i * 8;
      o.data.push_back(static_cast<uint8_t>(addr[i] & (0xff00 >> keep)));
    }
    return true;
  }

  uint8_t v4_, v6_;
};

bool trailing_revert(std::vector<std::string>& args, size_t base) {
  if (args.size() == base + 1 && lower(args.back()) == "revert") {
    args.pop_back();
    return true;
  }
  return false;
}

std::unique_ptr<Rule> local_rule(Mode mode, Action action, std::vector<std::string> args,
                                 std::string& error) {
  const bool revert = trailing_revert(args, action == Action::unset ? 3 : 4);
  if (args.size() != (action == Action::unset ? 3u : 4u)) {
    return error = "EDNS0 local rules require exactly three args", nullptr;
  }
  uint64_t code = 0;
  if (!parse_code(args[2], 16, code, error)) return nullptr;
  if (action == Action::unset) {
    return std::make_unique<LocalRule>(mode, action, static_cast<uint16_t>(code),
                                       std::vector<uint8_t>{}, revert);
  }
  const std::string& data = args[3];
  if (data.size() > 1 && data.front() == '{' && data.back() == '}') {
    if (data == "{server_ip}" || data == "{server_port}") {
      error = "variable " + data + " is not supported by cxxdns (the server's address)";
      return nullptr;
    }
    const bool known = data == "{qname}" || data == "{qtype}" || data == "{client_ip}" ||
                       data == "{client_port}" || data == "{protocol}";
    const size_t slash = data.find('/');
    if (!known && (slash == std::string::npos || slash < 2 || slash + 2 >= data.size())) {
      error = "unsupported variable name \"" + data + "\"";
      return nullptr;
    }
    return std::make_unique<VariableRule>(mode, action, static_cast<uint16_t>(code), data, revert);
  }
  std::vector<uint8_t> bytes(data.begin(), data.end());
  if (data.starts_with("0x") && !decode_hex(std::string_view(data).substr(2), bytes, error))
    return nullptr;
  return std::make_unique<LocalRule>(mode, action, static_cast<uint16_t>(code), std::move(bytes),
                                     revert);
}

std::unique_ptr<Rule> subnet_rule(Mode mode, Action action, std::vector<std::string> args,
                                  std::string& error) {
  if (action == Action::unset) {
    if (args.size() != 2) return error = "EDNS0 subnet rules require exactly three args", nullptr;
    return std::make_unique<SubnetRule>(mode, action, 0, 0, false);
  }
  const bool revert = trailing_revert(args, 4);
  if (args.size() != 4) return error = "EDNS0 subnet rules require exactly three args", nullptr;
  uint64_t v4 = 0, v6 = 0;
  if (!parse_code(args[2], 16, v4, error)) return nullptr;
  if (v4 > 32) return error = "invalid IPv4 bit mask length " + std::to_string(v4), nullptr;
  if (!parse_code(args[3], 16, v6, error)) return nullptr;
  if (v6 > 128) return error = "invalid IPv6 bit mask length " + std::to_string(v6), nullptr;
  return std::make_unique<SubnetRule>(mode, action, static_cast<uint8_t>(v4),
                                      static_cast<uint8_t>(v6), revert);
}

}  // namespace

std::unique_ptr<Rule> new_edns0_rule(Mode mode, const std::vector<std::string>& args,
                                     std::string& error) {
  if (args.size() < 2) return error = "too few arguments for an EDNS0 rule", nullptr;
  const std::string type = lower(args[0]);
  const std::string word = lower(args[1]);
  Action action;
  if (!parse_action(word, action)) return error = "invalid action: \"" + word + "\"", nullptr;
  if (type == "local") return local_rule(mode, action, args, error);
  if (type == "subnet") return subnet_rule(mode, action, args, error);
  if (type == "nsid") {
    std::vector<std::string> a = args;
    const bool revert = trailing_revert(a, 2);
    if (a.size() != 2) return error = "EDNS0 NSID rules do not accept args", nullptr;
    return std::make_unique<NsidRule>(mode, action, revert);
  }
  error = "invalid rule type \"" + type + "\"";
  return nullptr;
}

}  // namespace cxxdns::plugins::rewrite
