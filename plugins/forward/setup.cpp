// forward FROM TO... { except ZONES...; force_tcp; prefer_udp; expire DURATION;
// max_fails N; policy random|round_robin|sequential; health_check DURATION [no_rec]
// [domain FQDN]; max_concurrent N; next RCODE...; failfast_all_unhealthy_upstreams;
// tls [CERT KEY CA]; tls_servername NAME }, as CoreDNS's forward (plugin/forward/setup.go).
#include <sys/stat.h>

#include <algorithm>
#include <iterator>

#include "core/dns/name.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/forward/forward.h"

namespace {

using namespace cxxdns::plugins::forward;
using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::corefile::Token;

bool is_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int rcode_from_name(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  static const char* kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                 "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  for (int i = 0; i < int(std::size(kNames)); ++i) {
    if (s == kNames[i]) return i;
  }
  if (s == "NOTIMPL") return 4;  // miekg/dns spelling
  return -1;
}

void add_upstream(cxxdns::SetupContext& sc, const Token& t, const std::string& text,
                  ForwardOptions& o) {
  auto up = std::make_unique<Upstream>();
  std::string err = parse_upstream(text, *up);
  if (!err.empty()) sc.error(t, err);
  up->duration = &cxxdns::metrics::Registry::global()
                      .histogram("coredns_forward_request_duration_seconds",
                                 "Histogram of the time each request took.", {"to"},
                                 cxxdns::metrics::exponential_buckets(0.00025, 2, 16))
                      .with({up->to});
  o.upstreams.push_back(std::move(up));
}

void parse_to(cxxdns::SetupContext& sc, const Token& t, ForwardOptions& o) {
  // A TO that names an existing file is a resolv.conf: its nameservers, port 53.
  if (t.text.find("://") == std::string::npos && is_file(t.text)) {
    std::vector<std::string> servers;
    if (!read_resolv_conf(t.text, servers)) sc.error(t, "cannot read '" + t.text + "'");
    if (servers.empty()) sc.error(t, "no nameservers found in '" + t.text + "'");
    for (auto& s : servers) add_upstream(sc, t, s, o);
    return;
  }
  add_upstream(sc, t, t.text, o);
}

// An option that takes no argument: an error at the first one given.
void no_args(const SetupContext& sc, const Directive& line) {
  if (!line.args.empty()) sc.arg_error(line.args.front());
}

// The one argument of an option that takes exactly one.
const Token& one_arg(const SetupContext& sc, const Directive& line) {
  if (line.args.size() != 1) sc.arg_error(line.name);
  return line.args[0];
}

// except ZONES...
void parse_except(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  if (line.args.empty()) sc.arg_error(line.name);
  auto zones = sc.zones_from(line.args);
  o.except.insert(o.except.end(), zones.begin(), zones.end());
}

void parse_force_tcp(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  no_args(sc, line);
  o.force_tcp = true;
}

void parse_prefer_udp(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  no_args(sc, line);
  o.prefer_udp = true;
}

// expire DURATION
void parse_expire(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  const Token& t = one_arg(sc, line);
  o.expire = sc.parse_duration(t);
  if (o.expire.count() < 0) sc.error(t, "expire can't be negative: " + t.text);
}

void parse_max_fails(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  o.max_fails = static_cast<uint32_t>(sc.parse_uint(one_arg(sc, line), 0, 1u << 30));
}

// policy random|round_robin|sequential
void parse_policy(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  const Token& t = one_arg(sc, line);
  if (t.text == "random")
    o.policy = Policy::random;
  else if (t.text == "round_robin")
    o.policy = Policy::round_robin;
  else if (t.text == "sequential")
    o.policy = Policy::sequential;
  else
    sc.error(t, "unknown policy '" + t.text + "'");
}

// The FQDN of `health_check ... domain FQDN`, canonical.
std::string health_check_domain_arg(const SetupContext& sc, const Token& t) {
  cxxdns::dns::Name n;
  if (!cxxdns::dns::from_text(t.text, n)) {
    sc.error(t, "health_check: invalid domain name " + t.text);
  }
  return cxxdns::dns::canonical(t.text);
}

// health_check DURATION [no_rec] [domain FQDN]
void parse_health_check(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  const auto& args = line.args;
  if (args.empty()) sc.arg_error(line.name);
  o.health_check = sc.parse_duration(args[0]);
  if (o.health_check.count() < 0) {
    sc.error(args[0], "health_check can't be negative: " + args[0].text);
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].text == "no_rec") {
      o.health_check_rd = false;
    } else if (args[i].text == "domain") {
      if (i + 1 >= args.size()) sc.arg_error(args[i]);
      ++i;
      o.health_check_domain = health_check_domain_arg(sc, args[i]);
    } else {
      sc.error(args[i], "health_check: unknown option " + args[i].text);
    }
  }
}

void parse_max_concurrent(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  o.max_concurrent = static_cast<uint32_t>(sc.parse_uint(one_arg(sc, line), 0, 1u << 30));
}

// next RCODE...
void parse_next(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  if (line.args.empty()) sc.arg_error(line.name);
  for (const auto& a : line.args) {
    int rc = rcode_from_name(a.text);
    if (rc < 0) sc.error(a, a.text + " is not a valid rcode");
    o.next_rcodes.push_back(static_cast<uint16_t>(rc));
  }
}

void parse_failfast(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  no_args(sc, line);
  o.failfast_all_unhealthy = true;
}

// tls [CERT KEY CA]
void parse_tls(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  if (line.args.size() > 3) sc.arg_error(line.args[3]);
  o.tls_set = true;
  for (const auto& a : line.args) {
    if (!is_file(a.text)) sc.error(a, "tls: cannot read '" + a.text + "'");
    o.tls.push_back(a.text);
  }
}

void parse_tls_servername(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  o.tls_servername = one_arg(sc, line).text;
}

// The options of the block, each parsed by its own function.
struct Option {
  std::string_view name;
  void (*parse)(const SetupContext&, const Directive&, ForwardOptions&);
};
constexpr Option kOptions[] = {
    {"except", parse_except},
    {"force_tcp", parse_force_tcp},
    {"prefer_udp", parse_prefer_udp},
    {"expire", parse_expire},
    {"max_fails", parse_max_fails},
    {"policy", parse_policy},
    {"health_check", parse_health_check},
    {"max_concurrent", parse_max_concurrent},
    {"next", parse_next},
    {"failfast_all_unhealthy_upstreams", parse_failfast},
    {"tls", parse_tls},
    {"tls_servername", parse_tls_servername},
};

void parse_option(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  const auto* opt = std::find_if(std::begin(kOptions), std::end(kOptions),
                                 [&](const Option& k) { return k.name == line.name.text; });
  if (opt == std::end(kOptions)) sc.unknown_property(line.name);
  opt->parse(sc, line, o);
}

std::unique_ptr<Block> parse_directive(cxxdns::SetupContext& sc, const Directive& d) {
  auto b = std::make_unique<Block>();
  ForwardOptions& o = b->opts;
  if (d.args.size() < 2) sc.arg_error(d.args.empty() ? d.name : d.args.back());
  // CIDR FROMs expand to several zones; only the first is used, as in CoreDNS.
  o.from = sc.zones_from(std::span(d.args).first(1)).front();
  for (size_t i = 1; i < d.args.size(); ++i) parse_to(sc, d.args[i], o);
  if (o.upstreams.size() > kMaxUpstreams) {
    sc.error(d.args.back(), "more than " + std::to_string(kMaxUpstreams) +
                                " TOs configured: " + std::to_string(o.upstreams.size()));
  }
  for (const auto& line : d.block) parse_option(sc, line, o);
  bool any_tls = false;
  for (auto& up : o.upstreams) {
    if (!up->tls) continue;
    any_tls = true;
    // A name in tls://IP%NAME is this upstream's own; tls_servername is for the others.
    if (up->tls_servername.empty()) up->tls_servername = o.tls_servername;
  }
  if (any_tls) {
    std::string err;
    b->tls_ctx = make_tls_context(o.tls, err);
    if (!b->tls_ctx) sc.error(d.name, "tls: " + err);
  }
  return b;
}

}  // namespace

void cxxdns_register_forward(cxxdns::Registry& r) {
  r.add("forward", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<std::unique_ptr<Block>> blocks;
    for (const auto& d : sc.directives()) blocks.push_back(parse_directive(sc, d));
    auto p = std::make_unique<Forward>(std::move(blocks), sc.services().workers);
    sc.on_worker_start([p = p.get()](cxxdns::WorkerInfo& w) { p->start_worker(w); });
    sc.on_worker_stop([p = p.get()](cxxdns::WorkerInfo& w) { p->stop_worker(w); });
    return p;
  });
}
