// rewrite [continue|stop] name [exact|prefix|suffix|substring|regex] FROM TO
//   [answer auto | answer name FROM TO | answer value FROM TO]...
// as CoreDNS's name.go: FROM and TO are lower-cased and made fully qualified (but a regex's
// FROM); the answer is rewritten back by the answer rules, and for `exact` (always) or with
// `answer auto` by mapping the new name back to the asked one.
#include <algorithm>

#include "plugins/rewrite/match.h"
#include "plugins/rewrite/rules.h"

namespace cxxdns::plugins::rewrite {

namespace {

class NameRule final : public Rule {
 public:
  NameRule(Mode mode, MatchKind kind, std::string from, std::string to,
           std::shared_ptr<const pkg::Regex> re, bool auto_revert,
           std::vector<ResponseRule> answers)
      : Rule(mode),
        kind_(kind),
        from_(std::move(from)),
        to_(std::move(to)),
        re_(std::move(re)),
        auto_(auto_revert),
        answers_(std::move(answers)) {}

  Applied apply(Request& req) const override {
    const std::string asked(req.name());
    std::string renamed;
    if (!rename(asked, renamed)) return {};
    req.set_name(renamed);
    Applied a;
    a.result = Result::done;
    if (auto_) {
      // The new name (and its subdomains) back to the asked one, in names and in values.
      StringRewriter back{StringRewriter::Kind::remap, nullptr, renamed, asked};
      a.responses.push_back({ResponseRule::Kind::name, back});
      a.responses.push_back({ResponseRule::Kind::value, back});
    }
    a.responses.insert(a.responses.end(), answers_.begin(), answers_.end());
    return a;
  }

 private:
  bool rename(const std::string& name, std::string& out) const {
    switch (kind_) {
      case MatchKind::exact:
        if (name != from_) return false;
        out = to_;
        return true;
      case MatchKind::prefix:
        if (!name.starts_with(from_)) return false;
        out = to_ + name.substr(from_.size());
        return true;
      case MatchKind::suffix:
        if (!name.ends_with(from_)) return false;
        out = name.substr(0, name.size() - from_.size()) + to_;
        return true;
      case MatchKind::substring:
        if (name.find(from_) == std::string::npos) return false;
        out = replace_all(name, from_, to_);
        return true;
      default: {
        std::vector<std::string_view> groups;
        if (!re_->find_submatch(name, groups)) return false;
        out = substitute_groups(to_, groups);
        return true;
      }
    }
  }

  MatchKind kind_;
  std::string from_, to_;
  std::shared_ptr<const pkg::Regex> re_;
  bool auto_;
  std::vector<ResponseRule> answers_;
};

// CoreDNS's getSubExprUsage: how many of {0}..{100} `s` uses.
int sub_expressions_used(const std::string& s) {
  int n = 0;
  for (int i = 0; i <= 100; ++i) n += s.find("{" + std::to_string(i) + "}") != std::string::npos;
  return n;
}

}  // namespace

std::shared_ptr<const pkg::Regex> valid_regex_pattern(const std::string& from,
                                                      const std::string& to, std::string& error) {
  std::shared_ptr<const pkg::Regex> re = pkg::Regex::compile(from, nullptr);
  if (!re) {
    error = "invalid regex matching pattern: " + from;
    return nullptr;
  }
  if (sub_expressions_used(to) > re->groups()) {
    error = "the rewrite regex pattern (" + to +
            ") uses more subexpressions than its corresponding matching regex pattern (" + from +
            ")";
    return nullptr;
  }
  return re;
}

namespace {

// The parts of a message, joined without temporaries.
std::string message(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s += p;
  return s;
}

bool answer_rule(const std::string& match, const std::string& type, const std::string& from,
                 const std::string& to, std::vector<ResponseRule>& rules, std::string& error) {
  auto re = valid_regex_pattern(from, to, error);
  if (!re) {
    error = type + " answer rule for " + match + " rule: " + error;
    return false;
  }
  StringRewriter rw{StringRewriter::Kind::regex, re, from, normalize(to)};
  rules.push_back({type == "name" ? ResponseRule::Kind::name : ResponseRule::Kind::value, rw});
  return true;
}

// CoreDNS's parseAnswerRules: "answer auto", "answer name FROM TO", "answer value FROM TO"
// (the word "answer" may be left out after the first).
bool parse_answer_rules(const std::string& match, const std::vector<std::string>& args,
                        bool& auto_revert, std::vector<ResponseRule>& rules, std::string& error) {
  if (args.size() < 2) return error = "invalid arguments for " + match + " rule", false;
  size_t i = 0;
  std::string last;
  int name_rules = 0;
  while (i < args.size()) {
    if (last.empty() && args[i] != "answer") {
      error =
          "exceeded the number of arguments for a non-answer rule argument for " + match + " rule";
      return false;
    }
    if (args[i] == "answer") ++i;
    if (i == args.size())
      return error = "type missing for answer rule for " + match + " rule", false;
    last = args[i++];
    if (last == "auto") {
      auto_revert = true;
      continue;
    }
    if (last != "name" && last != "value") {
      error = message({"invalid type \"", last, "\" for answer rule for ", match, " rule"});
      return false;
    }
    if (args.size() - i < 2) {
      error = message({last, " answer rule for ", match, " rule: 2 arguments required"});
      return false;
    }
    if (!answer_rule(match, last, args[i], args[i + 1], rules, error)) return false;
    name_rules += last == "name";
    i += 2;
  }
  if (auto_revert && name_rules > 0) {
    error = "auto name answer rule cannot be combined with explicit name anwer rules";
    return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<Rule> new_name_rule(Mode mode, const std::vector<std::string>& args,
                                    std::string& error) {
  if (args.size() < 2) return error = "too few arguments for a name rule", nullptr;
  std::string match = "exact", from, to;
  if (args.size() == 2) {
    from = normalize(args[0]);
    to = normalize(args[1]);
  } else {
    match = lower(args[0]);
    from = match == "regex" ? args[1] : normalize(args[1]);
    to = match == "regex" ? args[2] : normalize(args[2]);
  }
  bool auto_revert = false;
  std::vector<ResponseRule> answers;
  if (args.size() > 3) {
    std::vector<std::string> rest(args.begin() + 3, args.end());
    if (!parse_answer_rules(match, rest, auto_revert, answers, error)) return nullptr;
  }
  MatchKind kind;
  if (!match_kind(match, kind)) {
    error =
        "name rule supports only exact, prefix, suffix, substring, and regex name matching, "
        "received: " +
        match;
    return nullptr;
  }
  std::shared_ptr<const pkg::Regex> re;
  if (kind == MatchKind::exact) {
    // CoreDNS compiles the exact rule's target as a pattern too (and fails where it fails).
    if (!valid_regex_pattern(to, from, error)) return nullptr;
    auto_revert = true;
  } else if (kind == MatchKind::regex) {
    re = valid_regex_pattern(from, to, error);
    if (!re) return nullptr;
    to = normalize(args[2]);
  } else if (kind == MatchKind::suffix && auto_revert) {
    // The suffix swapped back, rather than the whole name mapped.
    StringRewriter back{StringRewriter::Kind::suffix, nullptr, to, from};
    answers.insert(answers.begin(),
                   {{ResponseRule::Kind::name, back}, {ResponseRule::Kind::value, back}});
    auto_revert = false;
  }
  return std::make_unique<NameRule>(mode, kind, std::move(from), std::move(to), std::move(re),
                                    auto_revert, std::move(answers));
}

}  // namespace cxxdns::plugins::rewrite
