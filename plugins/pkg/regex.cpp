#include "plugins/pkg/regex.h"

#include <re2/re2.h>

namespace cxxdns::pkg {

namespace {

// Go's regexp/syntax ErrorCode texts for RE2's codes.
const char* go_error_text(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case RE2::ErrorBadCharClass:
      return "invalid character class";
    case RE2::ErrorBadCharRange:
      return "invalid character class range";
    case RE2::ErrorMissingBracket:
      return "missing closing ]";
    case RE2::ErrorMissingParen:
      return "missing closing )";
    case RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return "regexp/syntax: internal error";
  }
}

}  // namespace

Regex::~Regex() = default;

std::unique_ptr<Regex> Regex::compile(std::string_view pattern, std::string* error) {
  RE2::Options opt;
  opt.set_log_errors(false);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), opt);
  if (!re->ok()) {
    if (error) {
      *error = std::string("error parsing regexp: ") + go_error_text(re->error_code()) + ": `" +
               re->error_arg() + "`";
    }
    return nullptr;
  }
  std::unique_ptr<Regex> r(new Regex());
  r->groups_ = re->NumberOfCapturingGroups();
  r->names_.assign(static_cast<size_t>(r->groups_) + 1, std::string());
  for (const auto& [index, name] : re->CapturingGroupNames()) {
    if (index >= 0 && index <= r->groups_) r->names_[static_cast<size_t>(index)] = name;
  }
  r->pattern_ = std::string(pattern);
  r->re_ = std::move(re);
  return r;
}

bool Regex::matches(std::string_view s) const {
  return re_->Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::UNANCHORED, nullptr, 0);
}

bool Regex::find_submatch(std::string_view s, std::vector<std::string_view>& out) const {
  constexpr int kInline = 16;
  const int n = groups_ + 1;
  re2::StringPiece inline_subs[kInline];
  std::vector<re2::StringPiece> heap_subs;
  re2::StringPiece* subs = inline_subs;
  if (n > kInline) {
    heap_subs.resize(static_cast<size_t>(n));
    subs = heap_subs.data();
  }
  if (!re_->Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::UNANCHORED, subs, n)) {
    return false;
  }
  out.clear();
  for (int i = 0; i < n; ++i) {
    out.emplace_back(subs[i].data() ? std::string_view(subs[i].data(), subs[i].size())
                                    : std::string_view());
  }
  return true;
}

}  // namespace cxxdns::pkg
