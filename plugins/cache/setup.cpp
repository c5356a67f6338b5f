// cache [TTL] [ZONES...] { success|denial CAPACITY [TTL] [MINTTL]; prefetch AMOUNT [[DURATION]
// [PERCENTAGE%]]; serve_stale [DURATION] [immediate|verify]; servfail DURATION;
// disable success|denial [ZONES...]; keepttl }, as CoreDNS's cache.
#include <algorithm>
#include <charconv>
#include <iterator>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/cache/cache.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
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

void type_line(const SetupContext& sc, const Directive& line, TypeConfig& tc) {
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

void parse_success(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  type_line(sc, line, c.success);
}

void parse_denial(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  type_line(sc, line, c.denial);
}

// PERCENTAGE% of prefetch: 10% to 90%.
uint32_t prefetch_percentage_arg(const SetupContext& sc, const Token& t) {
  if (t.text.empty() || t.text.back() != '%') {
    std::string message = "last character of percentage should be `%`, but is: '";
    if (!t.text.empty()) message += t.text.back();
    message += "'";
    sc.error(t, message);
  }
  int64_t pct;
  if (!parse_int(std::string_view(t.text).substr(0, t.text.size() - 1), pct)) {
    sc.error(t, "strconv.Atoi: parsing \"" + t.text + "\": invalid syntax");
  }
  if (pct < 10 || pct > 90) {
    sc.error(t, "percentage should fall in range [10, 90]: " + std::to_string(pct));
  }
  return static_cast<uint32_t>(pct);
}

// prefetch AMOUNT [[DURATION] [PERCENTAGE%]]
void parse_prefetch(const SetupContext& sc, const Directive& line, CacheConfig& c) {
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
  if (line.args.size() > 2) c.prefetch_percentage = prefetch_percentage_arg(sc, line.args[2]);
}

StaleMode stale_mode_arg(const SetupContext& sc, const Token& m) {
  if (m.text == "immediate") return StaleMode::immediate;
  if (m.text == "verify") return StaleMode::verify;
  sc.error(m, "invalid value for serve_stale refresh mode: " + m.text);
}

// serve_stale [DURATION] [immediate|verify]
void parse_serve_stale(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.size() > 2) sc.arg_error(line.name);
  c.stale_ns = 3600ull * 1000000000ull;
  if (!line.args.empty()) {
    auto dur = sc.parse_duration(line.args[0]);
    if (dur.count() < 0) sc.error(line.args[0], "invalid negative duration for serve_stale");
    c.stale_ns = static_cast<uint64_t>(dur.count());
  }
  if (line.args.size() > 1) c.stale_mode = stale_mode_arg(sc, line.args[1]);
}

// servfail DURATION (5m at most)
void parse_servfail(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.size() != 1) sc.arg_error(line.name);
  auto dur = sc.parse_duration(line.args[0]);
  if (dur.count() < 0) sc.error(line.args[0], "invalid negative ttl for servfail");
  if (dur > std::chrono::minutes(5)) {
    sc.error(line.args[0], "caching SERVFAIL responses over 5 minutes is not permitted");
  }
  c.servfail_ttl =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(dur).count());
}

// disable success|denial [ZONES...]
void parse_disable(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (line.args.empty()) sc.arg_error(line.name);
  const Token& t = line.args[0];
  TypeConfig* tc = t.text == "success" ? &c.success : t.text == "denial" ? &c.denial : nullptr;
  if (!tc) sc.error(t, "cache type for disable must be success or denial: " + t.text);
  tc->disabled_zones = sc.zones_from(std::span<const Token>(line.args).subspan(1));
}

void parse_keepttl(const SetupContext& sc, const Directive& line, CacheConfig& c) {
  if (!line.args.empty()) sc.arg_error(line.name);
  c.keepttl = true;
}

// The options of the block, each parsed by its own function.
struct Option {
  std::string_view name;
  void (*parse)(const SetupContext&, const Directive&, CacheConfig&);
};
constexpr Option kOptions[] = {
    {"success", parse_success},         {"denial", parse_denial},     {"prefetch", parse_prefetch},
    {"serve_stale", parse_serve_stale}, {"servfail", parse_servfail}, {"disable", parse_disable},
    {"keepttl", parse_keepttl},
};

// cache [TTL] [ZONES...]: a first argument that is a number is the TTL of both types.
void parse_args(const SetupContext& sc, const Directive& d, CacheConfig& c) {
  std::span<const Token> args(d.args);
  int64_t ttl;
  if (!args.empty() && parse_int(args[0].text, ttl)) {
    if (ttl <= 0) sc.error(args[0], "cache TTL can not be zero or negative: " + args[0].text);
    c.success.max_ttl = c.denial.max_ttl = max_ttl_arg(sc, args[0]);
    args = args.subspan(1);
  }
  c.zones = sc.zones_from(args);
}

CacheConfig parse(const SetupContext& sc) {
  const auto& d = sc.only_one();
  CacheConfig c;
  parse_args(sc, d, c);
  for (const auto& line : d.block) {
    const auto* o = std::find_if(std::begin(kOptions), std::end(kOptions),
                                 [&](const Option& opt) { return opt.name == line.name.text; });
    if (o == std::end(kOptions)) sc.unknown_property(line.name);
    o->parse(sc, line, c);
  }
  return c;
}

}  // namespace

void cxxdns_register_cache(cxxdns::Registry& r) {
  r.add("cache", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    return std::make_unique<Cache>(parse(sc));
  });
}
