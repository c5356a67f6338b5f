// cache [TTL] [ZONES...] { success|denial CAPACITY [TTL] [MINTTL]; prefetch AMOUNT [[DURATION]
// [PERCENTAGE%]]; serve_stale [DURATION] [immediate|verify]; servfail DURATION;
// disable success|denial [ZONES...]; keepttl; max_bytes SIZE }, as CoreDNS's cache (max_bytes
// is ours: a bound in bytes beside the bounds in entries).
#include <charconv>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/cache/cache.h"
#include "plugins/pkg/server_label.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Token;

using namespace cxxdns::plugins::cache;

bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int64_t int_arg(const SetupContext& sc, const Token& t) {
  int64_t v;
  if (!parse_int(t.text, v))
    sc.error(t, "strconv.Atoi: parsing \"" + t.text + "\": invalid syntax");
  return v;
}

uint32_t max_ttl_arg(const SetupContext& sc, const Token& t) {
  int64_t v = int_arg(sc, t);
  if (v <= 0) sc.error(t, "cache TTL can not be zero or negative: " + t.text);
  if (v > UINT32_MAX) sc.error(t, "cache TTL too large: " + t.text);
  return static_cast<uint32_t>(v);
}

void type_line(const SetupContext& sc, const cxxdns::corefile::Directive& line, TypeConfig& tc) {
  if (line.args.empty() || line.args.size() > 3) sc.arg_error(line.name);
  int64_t cap = int_arg(sc, line.args[0]);
  if (cap < 0) sc.error(line.args[0], "cache capacity can not be negative: " + line.args[0].text);
  tc.capacity = static_cast<size_t>(cap);
  if (line.args.size() > 1) tc.max_ttl = max_ttl_arg(sc, line.args[1]);
  if (line.args.size() > 2) {
    int64_t v = int_arg(sc, line.args[2]);
    if (v < 0) sc.error(line.args[2], "cache min TTL can not be negative: " + line.args[2].text);
    if (v > UINT32_MAX) sc.error(line.args[2], "cache min TTL too large: " + line.args[2].text);
    tc.min_ttl = static_cast<uint32_t>(v);
  }
}

// A size in bytes, with K, M or G (KiB, MiB, GiB): "64M".
size_t size_arg(const SetupContext& sc, const Token& t) {
  std::string_view v = t.text;
  size_t unit = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 'k':
      case 'K':
        unit = size_t(1) << 10;
        break;
      case 'm':
      case 'M':
        unit = size_t(1) << 20;
        break;
      case 'g':
      case 'G':
        unit = size_t(1) << 30;
        break;
      default:
        break;
    }
  }
  if (unit != 1) v.remove_suffix(1);
  int64_t n;
  if (!parse_int(v, n) || n < 0 || uint64_t(n) > (uint64_t(1) << 40) / unit) {
    sc.error(t,
             "invalid size '" + t.text + "': a number of bytes, with K, M or G for KiB, MiB, GiB");
  }
  return size_t(n) * unit;
}

using cxxdns::corefile::Directive;

// prefetch AMOUNT [[DURATION] [PERCENTAGE%]]
void prefetch_line(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.empty() || line.args.size() > 3) sc.arg_error(line.name);
  int64_t amount = int_arg(sc, line.args[0]);
  if (amount < 0 || amount > UINT32_MAX) {
    sc.error(line.args[0], "prefetch amount should be positive: " + line.args[0].text);
  }
  c.prefetch_amount = static_cast<uint32_t>(amount);
  if (line.args.size() > 1) {
    auto dur = sc.parse_duration(line.args[1]);
    if (dur.count() < 0) sc.error(line.args[1], "prefetch duration can not be negative");
    c.prefetch_duration_ns = static_cast<uint64_t>(dur.count());
  }
  if (line.args.size() < 3) return;
  const Token& t = line.args[2];
  if (t.text.empty() || t.text.back() != '%') {
    sc.error(t, "last character of percentage should be `%`, but is: '" +
                    (t.text.empty() ? std::string() : t.text.substr(t.text.size() - 1)) + "'");
  }
  int64_t pct;
  if (!parse_int(std::string_view(t.text).substr(0, t.text.size() - 1), pct)) {
    sc.error(t, "strconv.Atoi: parsing \"" + t.text + "\": invalid syntax");
  }
  if (pct < 10 || pct > 90) {
    sc.error(t, "percentage should fall in range [10, 90]: " + std::to_string(pct));
  }
  c.prefetch_percentage = static_cast<uint32_t>(pct);
}

// serve_stale [DURATION] [immediate|verify]
void serve_stale_line(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.size() > 2) sc.arg_error(line.name);
  c.stale_ns = 3600ull * 1000000000ull;
  if (!line.args.empty()) {
    auto dur = sc.parse_duration(line.args[0]);
    if (dur.count() < 0) sc.error(line.args[0], "invalid negative duration for serve_stale");
    c.stale_ns = static_cast<uint64_t>(dur.count());
  }
  if (line.args.size() < 2) return;
  const Token& m = line.args[1];
  if (m.text == "immediate")
    c.stale_mode = StaleMode::immediate;
  else if (m.text == "verify")
    c.stale_mode = StaleMode::verify;
  else
    sc.error(m, "invalid value for serve_stale refresh mode: " + m.text);
}

void servfail_line(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.size() != 1) sc.arg_error(line.name);
  auto dur = sc.parse_duration(line.args[0]);
  if (dur.count() < 0) sc.error(line.args[0], "invalid negative ttl for servfail");
  if (dur > std::chrono::minutes(5)) {
    sc.error(line.args[0], "caching SERVFAIL responses over 5 minutes is not permitted");
  }
  c.servfail_ttl =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(dur).count());
}

void disable_line(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.empty()) sc.arg_error(line.name);
  const Token& t = line.args[0];
  TypeConfig* tc = t.text == "success" ? &c.success : t.text == "denial" ? &c.denial : nullptr;
  if (!tc) sc.error(t, "cache type for disable must be success or denial: " + t.text);
  tc->disabled_zones = sc.zones_from(std::span<const Token>(line.args).subspan(1));
}

void max_bytes_line(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.size() != 1) sc.arg_error(line.name);
  c.max_bytes = size_arg(sc, line.args[0]);
  if (c.max_bytes < (size_t(64) << 10)) {
    sc.error(line.args[0], "max_bytes must be at least 64K: " + line.args[0].text);
  }
}

void block_line(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  const std::string& k = line.name.text;
  if (k == "success") {
    type_line(sc, line, c.success);
  } else if (k == "denial") {
    type_line(sc, line, c.denial);
  } else if (k == "prefetch") {
    prefetch_line(sc, line, c);
  } else if (k == "serve_stale") {
    serve_stale_line(sc, line, c);
  } else if (k == "servfail") {
    servfail_line(sc, line, c);
  } else if (k == "disable") {
    disable_line(sc, line, c);
  } else if (k == "max_bytes") {
    max_bytes_line(sc, line, c);
  } else if (k == "keepttl") {
    if (!line.args.empty()) sc.arg_error(line.name);
    c.keepttl = true;
  } else {
    sc.unknown_property(line.name);
  }
}

CacheConfig parse(SetupContext& sc) {
  const auto& d = sc.only_one();
  CacheConfig c;
  std::span<const Token> args(d.args);
  int64_t ttl;
  if (!args.empty() && parse_int(args[0].text, ttl)) {
    if (ttl <= 0) sc.error(args[0], "cache TTL can not be zero or negative: " + args[0].text);
    c.success.max_ttl = c.denial.max_ttl = max_ttl_arg(sc, args[0]);
    args = args.subspan(1);
  }
  c.zones = sc.zones_from(args);
  c.server_label = cxxdns::pkg::first_server_label(sc);
  for (const auto& line : d.block) block_line(sc, line, c);
  return c;
}

}  // namespace

void cxxdns_register_cache(cxxdns::Registry& r) {
  r.add("cache", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    return std::make_unique<Cache>(parse(sc));
  });
}
