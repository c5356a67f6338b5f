#include "core/plugin/setup.h"

#include <charconv>
#include <cmath>

#include "core/dns/name.h"
#include "core/plugin/config.h"

namespace cxxdns {

SetupContext::SetupContext(std::string_view plugin, std::span<const corefile::Directive> directives,
                           BlockConfig& block, Services& services, Lifecycle& lifecycle)
    : plugin_(plugin),
      directives_(directives),
      block_(block),
      services_(services),
      lifecycle_(lifecycle) {}

const corefile::Directive& SetupContext::only_one() const {
  if (directives_.size() > 1) {
    error(directives_[1].name, "this plugin can only be used once per Server Block");
  }
  return directives_.front();
}

const corefile::ServerBlock& SetupContext::block() const {
  return block_.source;
}

std::vector<std::string> SetupContext::zones() const {
  std::vector<std::string> out;
  for (auto& k : block_.source.keys) out.push_back(k.zone);
  return out;
}

std::vector<std::string>& SetupContext::bind_addresses() {
  return block_.bind_addresses;
}

std::shared_ptr<TransportSecurity>& SetupContext::transport_security() {
  return block_.security;
}

TcpTimeouts& SetupContext::tcp_timeouts() {
  return block_.tcp_timeouts;
}

void SetupContext::add_block_filter(BlockFilter f) {
  block_.filters.push_back(std::move(f));
}

void SetupContext::error(const corefile::Token& at, std::string_view message) const {
  throw SetupError("plugin/" + plugin_ + ": " + at.file + ":" + std::to_string(at.line) +
                   " - Error during parsing: " + std::string(message));
}

void SetupContext::arg_error(const corefile::Token& at) const {
  error(at, "Wrong argument count or unexpected line ending after '" + at.text + "'");
}

void SetupContext::unknown_property(const corefile::Token& at) const {
  error(at, "unknown property '" + at.text + "'");
}

std::vector<std::string> SetupContext::zones_from(std::span<const corefile::Token> args) const {
  if (args.empty()) return zones();
  std::vector<std::string> out;
  for (auto& t : args) {
    try {
      for (auto& k : corefile::normalize_key(t)) out.push_back(k.zone);
    } catch (const corefile::ParseError& e) {
      error(t, e.message());
    }
  }
  return out;
}

uint64_t SetupContext::parse_uint(const corefile::Token& t, uint64_t min, uint64_t max) const {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (ec != std::errc() || p != t.text.data() + t.text.size()) {
    error(t, "invalid number '" + t.text + "'");
  }
  if (v < min || v > max) {
    error(t, "value '" + t.text + "' out of range [" + std::to_string(min) + ", " +
                 std::to_string(max) + "]");
  }
  return v;
}

std::chrono::nanoseconds SetupContext::parse_duration(const corefile::Token& t) const {
  std::chrono::nanoseconds d;
  if (!parse_go_duration(t.text, d)) error(t, "invalid duration '" + t.text + "'");
  return d;
}

namespace {

// Nanoseconds in one unit of Go's time.ParseDuration; 0 for a unit it does not know.
double unit_ns(std::string_view unit) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
      {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  for (auto& [name, ns] : kUnits) {
    if (unit == name) return ns;
  }
  return 0;
}

// One "1.5h" of a duration, taken off the front of `s`, in nanoseconds; false on bad syntax.
bool take_term(std::string_view& s, double& ns) {
  auto is_num = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; };
  size_t i = 0;
  while (i < s.size() && is_num(s[i])) ++i;
  if (i == 0) return false;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + i, v);
  if (ec != std::errc() || p != s.data() + i) return false;
  s.remove_prefix(i);
  size_t u = 0;
  while (u < s.size() && !is_num(s[u])) ++u;
  const double scale = unit_ns(s.substr(0, u));
  s.remove_prefix(u);
  ns = v * scale;
  return scale != 0;
}

}  // namespace

bool parse_go_duration(std::string_view s, std::chrono::nanoseconds& out) {
  if (s == "0") {
    out = std::chrono::nanoseconds(0);
    return true;
  }
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  double total = 0;
  while (!s.empty()) {
    double ns = 0;
    if (!take_term(s, ns)) return false;
    total += ns;
  }
  out = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(negative ? -total : total)));
  return true;
}

}  // namespace cxxdns

namespace cxxdns {

std::string go_duration_string(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = static_cast<uint64_t>(ns < 0 ? -ns : ns);
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string s = std::to_string(v / unit);
    uint64_t rest = v % unit;
    if (rest) {
      std::string digits = std::to_string(rest + unit).substr(1);  // zero-padded
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      s += "." + digits;
    }
    return s;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + frac(u, 1000) + "\u00b5s";
  if (u < 1000000000) return sign + frac(u, 1000000) + "ms";
  uint64_t h = u / 3600000000000ull, rest = u % 3600000000000ull;
  uint64_t m = rest / 60000000000ull;
  uint64_t s_ns = rest % 60000000000ull;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += frac(s_ns, 1000000000) + "s";
  return out;
}

}  // namespace cxxdns
