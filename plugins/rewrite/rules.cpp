// rewrite's rule words (CoreDNS's newRule) and the simple rules: type, class, ttl, rcode.
#include <algorithm>
#include <charconv>

#include "plugins/pkg/dns_names.h"
#include "plugins/rewrite/match.h"

namespace cxxdns::plugins::rewrite {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return s;
}

std::string normalize(const std::string& s) {
  std::string out = lower(s);
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  size_t i = 0;
  for (size_t j; (j = s.find(from, i)) != std::string::npos; i = j + from.size()) {
    out.append(s, i, j - i);
    out += to;
  }
  out.append(s, i, std::string::npos);
  return out;
}

std::string substitute_groups(std::string tmpl, const std::vector<std::string_view>& groups) {
  for (size_t i = 0; i < groups.size(); ++i) {
    tmpl = replace_all(std::move(tmpl), "{" + std::to_string(i) + "}", std::string(groups[i]));
  }
  return tmpl;
}

bool match_kind(const std::string& word, MatchKind& out) {
  static const std::pair<const char*, MatchKind> kKinds[] = {{"exact", MatchKind::exact},
                                                             {"prefix", MatchKind::prefix},
                                                             {"suffix", MatchKind::suffix},
                                                             {"substring", MatchKind::substring},
                                                             {"regex", MatchKind::regex}};
  for (const auto& [name, kind] : kKinds) {
    if (word == name) {
      out = kind;
      return true;
    }
  }
  return false;
}

bool NameMatcher::matches(std::string_view name) const {
  switch (kind) {
    case MatchKind::exact:
      return name == from;
    case MatchKind::prefix:
      return name.starts_with(from);
    case MatchKind::suffix:
      return name.ends_with(from);
    case MatchKind::substring:
      return name.find(from) != std::string_view::npos;
    default:
      return re->matches(name);
  }
}

bool name_matcher(const std::string& rule, const std::string& type, const std::string& name,
                  NameMatcher& out, std::string& error) {
  if (type.empty()) {
    out.from = normalize(name);
    return true;
  }
  if (!match_kind(lower(type), out.kind)) {
    error = rule + " rule supports only exact, prefix, suffix, substring, and regex name matching";
    return false;
  }
  if (out.kind != MatchKind::regex) {
    out.from = normalize(name);
    return true;
  }
  out.re = pkg::Regex::compile(name, nullptr);
  if (!out.re) error = "invalid regex pattern in a " + rule + " rule: " + name;
  return out.re != nullptr;
}

std::string StringRewriter::apply(const std::string& src) const {
  switch (kind) {
    case Kind::regex: {
      std::vector<std::string_view> groups;
      if (!re->find_submatch(src, groups)) return src;
      return substitute_groups(to, groups);
    }
    case Kind::remap:
      if (src == from) return to;
      if (src.size() > from.size() && src.ends_with(from) &&
          src[src.size() - from.size() - 1] == '.')
        return src.substr(0, src.size() - from.size()) + to;
      return src;
    default:
      if (src.ends_with(from)) return src.substr(0, src.size() - from.size()) + to;
      return src;
  }
}

namespace {

// A rule that changes nothing in the request, only the answer when the name matches.
class AnswerRule final : public Rule {
 public:
  AnswerRule(Mode mode, NameMatcher m, ResponseRule r)
      : Rule(mode), matcher_(std::move(m)), response_(std::move(r)) {}
  Applied apply(Request& req) const override {
    if (!matcher_.matches(req.name())) return {};
    return {Result::done, {response_}};
  }

 private:
  NameMatcher matcher_;
  ResponseRule response_;
};

class TypeOrClassRule final : public Rule {
 public:
  TypeOrClassRule(Mode mode, bool is_class, uint16_t from, uint16_t to)
      : Rule(mode), is_class_(is_class), from_(from), to_(to) {}
  Applied apply(Request& req) const override {
    if ((is_class_ ? req.qclass() : req.qtype()) != from_) return {};
    is_class_ ? req.set_class(to_) : req.set_type(to_);
    return {Result::done, {}};
  }

 private:
  bool is_class_;
  uint16_t from_, to_;
};

// CoreDNS's isValidTTL: SECONDS, MIN-MAX, MIN- or -MAX.
bool parse_ttl_range(const std::string& v, uint32_t& min, uint32_t& max) {
  auto number = [](std::string_view s, uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size() && out <= UINT32_MAX;
  };
  const size_t dash = v.find('-');
  uint64_t lo = 0, hi = 0;
  if (dash == std::string::npos) {
    if (!number(v, lo)) return false;
    min = max = static_cast<uint32_t>(lo);
    return true;
  }
  const std::string_view a = std::string_view(v).substr(0, dash);
  const std::string_view b = std::string_view(v).substr(dash + 1);
  if (b.find('-') != std::string_view::npos || (a.empty() && b.empty())) return false;
  if (!a.empty() && !number(a, lo)) return false;
  hi = 2147483647;
  if (!b.empty() && !number(b, hi)) return false;
  if (lo > hi) return false;
  min = static_cast<uint32_t>(lo), max = static_cast<uint32_t>(hi);
  return true;
}

// CoreDNS's isValidRCode: a number up to 23 or a name (any case).
bool parse_rcode(const std::string& v, uint16_t& out) {
  unsigned n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (!v.empty() && ec == std::errc() && p == v.data() + v.size() && n <= 23) {
    out = static_cast<uint16_t>(n);
    return true;
  }
  std::string up = v;
  std::transform(up.begin(), up.end(), up.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
  return pkg::rcode_from_name(up, out);
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
  return s;
}

}  // namespace

std::unique_ptr<Rule> new_type_rule(Mode mode, const std::vector<std::string>& args,
                                    std::string& error) {
  uint16_t from = 0, to = 0;
  for (size_t i = 0; i < 2; ++i) {
    if (!pkg::type_from_name(upper(args[i]), i == 0 ? from : to)) {
      error = "invalid type \"" + upper(args[i]) + "\"";
      return nullptr;
    }
  }
  return std::make_unique<TypeOrClassRule>(mode, false, from, to);
}

std::unique_ptr<Rule> new_class_rule(Mode mode, const std::vector<std::string>& args,
                                     std::string& error) {
  uint16_t from = 0, to = 0;
  for (size_t i = 0; i < 2; ++i) {
    if (!pkg::class_from_name(upper(args[i]), i == 0 ? from : to)) {
      error = "invalid class \"" + upper(args[i]) + "\"";
      return nullptr;
    }
  }
  return std::make_unique<TypeOrClassRule>(mode, true, from, to);
}

std::unique_ptr<Rule> new_ttl_rule(Mode mode, const std::vector<std::string>& args,
                                   std::string& error) {
  if (args.size() < 2) {
    error = "too few (" + std::to_string(args.size()) + ") arguments for a ttl rule";
    return nullptr;
  }
  const std::string s = args.size() == 2 ? args[1] : args.size() == 3 ? args[2] : "";
  ResponseRule r;
  r.kind = ResponseRule::Kind::ttl;
  if (!parse_ttl_range(s, r.min_ttl, r.max_ttl)) {
    error = "invalid TTL '" + s + "' for a ttl rule";
    return nullptr;
  }
  if (args.size() > 3) return error = "many few arguments for a ttl rule", nullptr;  // sic
  NameMatcher m;
  const bool typed = args.size() == 3;
  if (!name_matcher("ttl", typed ? args[0] : "", typed ? args[1] : args[0], m, error))
    return nullptr;
  return std::make_unique<AnswerRule>(mode, std::move(m), r);
}

std::unique_ptr<Rule> new_rcode_rule(Mode mode, const std::vector<std::string>& args,
                                     std::string& error) {
  if (args.size() < 3) {
    error = "too few (" + std::to_string(args.size()) + ") arguments for a rcode rule";
    return nullptr;
  }
  const bool typed = args.size() == 4;
  const std::string from = args.size() == 3 ? args[1] : typed ? args[2] : "";
  const std::string to = args.size() == 3 ? args[2] : typed ? args[3] : "";
  ResponseRule r;
  r.kind = ResponseRule::Kind::rcode;
  if (!parse_rcode(from, r.old_rcode)) {
    error = "invalid matching RCODE '" + from + "' for a rcode rule";
    return nullptr;
  }
  if (!parse_rcode(to, r.new_rcode)) {
    error = "invalid replacement RCODE '" + to + "' for a rcode rule";
    return nullptr;
  }
  NameMatcher m;
  if (!name_matcher("rcode", typed ? args[0] : "", typed ? args[1] : args[0], m, error))
    return nullptr;
  return std::make_unique<AnswerRule>(mode, std::move(m), r);
}

std::unique_ptr<Rule> new_rule(const std::vector<std::string>& args, std::string& error) {
  if (args.empty()) return error = "no rule type specified for rewrite", nullptr;
  const std::string arg0 = lower(args[0]);
  Mode mode = Mode::stop;
  size_t start = 1;
  if (arg0 == "continue" || arg0 == "stop") {
    if (args.size() < 2) return error = arg0 + " rule must begin with a rule type", nullptr;
    mode = arg0 == "continue" ? Mode::go_on : Mode::stop;
    start = 2;
  }
  const std::string type = lower(args[start - 1]);
  const std::vector<std::string> rest(args.begin() + static_cast<ptrdiff_t>(start), args.end());
  if (type == "answer") return error = "response rewrites must begin with a name rule", nullptr;
  if (type == "name") return new_name_rule(mode, rest, error);
  if (type == "class" || type == "type") {
    if (rest.size() != 2) return error = type + " rules must have exactly two arguments", nullptr;
    return type == "class" ? new_class_rule(mode, rest, error) : new_type_rule(mode, rest, error);
  }
  if (type == "edns0") return new_edns0_rule(mode, rest, error);
  if (type == "ttl") return new_ttl_rule(mode, rest, error);
  if (type == "rcode") return new_rcode_rule(mode, rest, error);
  if (type == "cname") {
    return error =
               "cname rules are not supported by cxxdns yet (CNAME targets are not "
               "rewritten)",
           nullptr;
  }
  error = "invalid rule type \"" + args[0] + "\"";
  return nullptr;
}

}  // namespace cxxdns::plugins::rewrite
