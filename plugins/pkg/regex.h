// Regular expressions as CoreDNS's plugins write them: Go's regexp syntax, which is RE2's.
// So RE2 (Google's library, libre2-dev in Debian) compiles them: the same syntax (named
// groups `(?P<name>...)`, Perl classes, no backreferences or lookaround, which Go rejects
// too) and matching in time linear in the name, whatever the pattern: the names matched
// come from clients. A pattern Go rejects is rejected here with Go's message.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace cxxdns::pkg {

class Regex {
 public:
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Compiles `pattern` as regexp.Compile does (unanchored, leftmost-first). On bad syntax
  // returns null and sets `error` to Go's text: "error parsing regexp: missing closing ):
  // `(a`".
  static std::unique_ptr<Regex> compile(std::string_view pattern, std::string* error);

  // Whether the pattern matches somewhere in `s` (MatchString).
  bool matches(std::string_view s) const;
  // The leftmost match and its groups (FindStringSubmatch): out[0] the whole match, out[i]
  // group i ("" when it took no part). False, and `out` untouched, when nothing matches.
  bool find_submatch(std::string_view s, std::vector<std::string_view>& out) const;

  // Number of groups (NumSubexp) and their names by index (SubexpNames: [0] and unnamed
  // groups are "").
  int groups() const { return groups_; }
  const std::vector<std::string>& group_names() const { return names_; }
  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  std::unique_ptr<re2::RE2> re_;
  std::string pattern_;
  int groups_ = 0;
  std::vector<std::string> names_;
};

}  // namespace cxxdns::pkg
