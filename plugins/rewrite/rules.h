// rewrite's rules (CoreDNS's Rule and ResponseRule): a rule changes the request, and may
// leave response rules that change the answer on its way back.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plugins/pkg/regex.h"
#include "plugins/rewrite/request.h"

namespace cxxdns::plugins::rewrite {

// Rewrites a name (CoreDNS's stringRewriter): by regex and {N} groups, by mapping a name
// and its subdomains to another (remap), or by swapping a suffix.
struct StringRewriter {
  enum class Kind { regex, remap, suffix };
  Kind kind = Kind::remap;
  std::shared_ptr<const pkg::Regex> re;
  std::string from;  // remap: the name; suffix: the suffix
  std::string to;    // the replacement (regex: with {N})
  std::string apply(const std::string& src) const;
};

// What a rule leaves for the answer.
struct ResponseRule {
  // edns_echo: an option a rule set, shown back to the client in an answer that has no OPT
  // of its own (CoreDNS's server answers with the request's OPT); edns_revert: one a rule
  // set with `revert`, taken out of the answer again.
  enum class Kind { name, value, ttl, rcode, edns_echo, edns_revert };
  Kind kind = Kind::name;
  StringRewriter rewriter;            // name, value
  uint32_t min_ttl = 0, max_ttl = 0;  // ttl
  uint16_t old_rcode = 0, new_rcode = 0;
  uint16_t option_code = 0;  // edns_echo, edns_revert
};

enum class Result { ignored, done };
enum class Mode { stop, go_on };

struct Applied {
  Result result = Result::ignored;
  std::vector<ResponseRule> responses;
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual Applied apply(Request& req) const = 0;
  Mode mode() const { return mode_; }

 protected:
  explicit Rule(Mode m) : mode_(m) {}

 private:
  Mode mode_;
};

// Builds a rule from a rewrite directive's words (CoreDNS's newRule); false with CoreDNS's
// message on bad input.
std::unique_ptr<Rule> new_rule(const std::vector<std::string>& args, std::string& error);

// The {N} groups of `m` put into `tmpl` ({0} the whole match), as CoreDNS does.
std::string substitute_groups(std::string tmpl, const std::vector<std::string_view>& groups);

}  // namespace cxxdns::plugins::rewrite
