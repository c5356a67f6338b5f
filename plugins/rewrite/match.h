// What rewrite's rules share: the ways a name matches (exact, prefix, suffix, substring,
// regex) and CoreDNS's normal form of the names they are written with.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/pkg/regex.h"
#include "plugins/rewrite/rules.h"

namespace cxxdns::plugins::rewrite {

enum class MatchKind { exact, prefix, suffix, substring, regex };
bool match_kind(const std::string& word, MatchKind& out);

// A name tested against a rule's FROM, which is normalized for all but regex.
struct NameMatcher {
  MatchKind kind = MatchKind::exact;
  std::string from;
  std::shared_ptr<const pkg::Regex> re;
  bool matches(std::string_view name) const;
};
// The matcher of a ttl or rcode rule (`rule`): [TYPE] NAME, TYPE empty for exact. False
// with CoreDNS's message on a bad TYPE or regex.
bool name_matcher(const std::string& rule, const std::string& type, const std::string& name,
                  NameMatcher& out, std::string& error);

std::string lower(std::string s);
// plugin.Name(s).Normalize(): lower case, fully qualified.
std::string normalize(const std::string& s);
std::string replace_all(std::string s, const std::string& from, const std::string& to);

// CoreDNS's isValidRegexPattern: `from` compiles and `to` uses no more {N} than it has groups.
std::shared_ptr<const pkg::Regex> valid_regex_pattern(const std::string& from,
                                                      const std::string& to, std::string& error);

std::unique_ptr<Rule> new_name_rule(Mode mode, const std::vector<std::string>& args,
                                    std::string& error);
std::unique_ptr<Rule> new_ttl_rule(Mode mode, const std::vector<std::string>& args,
                                   std::string& error);
std::unique_ptr<Rule> new_rcode_rule(Mode mode, const std::vector<std::string>& args,
                                     std::string& error);
std::unique_ptr<Rule> new_type_rule(Mode mode, const std::vector<std::string>& args,
                                    std::string& error);
std::unique_ptr<Rule> new_class_rule(Mode mode, const std::vector<std::string>& args,
                                     std::string& error);
std::unique_ptr<Rule> new_edns0_rule(Mode mode, const std::vector<std::string>& args,
                                     std::string& error);

}  // namespace cxxdns::plugins::rewrite
