// forward FROM TO... { except ZONES...; force_tcp; prefer_udp; expire DURATION;
// max_fails N; policy random|round_robin|sequential; health_check DURATION [no_rec]
// [domain FQDN]; max_concurrent N; next RCODE...; failover RCODE...;
// failfast_all_unhealthy_upstreams; resolver IP[:PORT]...; tls [CERT KEY CA];
// tls_servername NAME; doh_method GET|POST }, as CoreDNS's forward (plugin/forward/setup.go).
#include <sys/stat.h>

#include <algorithm>
#include <iterator>

#include "core/dns/name.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/forward/forward.h"
#include "plugins/forward/host_names.h"
#include "plugins/pkg/curl_library.h"

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
  o.upstreams.push_back(std::move(up));
}

// A host-name TO, resolved once the block's options (its `resolver`) are known; it goes
// where it was written among the TOs.
struct PendingHost {
  const Token* token;
  HostTarget target;
  size_t position;  // in o.upstreams
};

void parse_to(cxxdns::SetupContext& sc, const Token& t, ForwardOptions& o,
              std::vector<PendingHost>& hosts) {
  // A TO that names an existing file is a resolv.conf: its nameservers, port 53.
  if (t.text.find("://") == std::string::npos && is_file(t.text)) {
    std::vector<std::string> servers;
    if (!read_resolv_conf(t.text, servers)) sc.error(t, "cannot read '" + t.text + "'");
    if (servers.empty()) sc.error(t, "no nameservers found in '" + t.text + "'");
    for (auto& s : servers) add_upstream(sc, t, s, o);
    return;
  }
  Upstream as_address;
  HostTarget host;
  if (!parse_upstream(t.text, as_address).empty() && parse_host_target(t.text, host)) {
    hosts.push_back({&t, host, o.upstreams.size()});
    return;
  }
  add_upstream(sc, t, t.text, o);
}

// The addresses of the host-name TOs, as upstreams in their places.
void resolve_hosts(cxxdns::SetupContext& sc, const std::vector<PendingHost>& hosts,
                   ForwardOptions& o) {
  for (auto it = hosts.rbegin(); it != hosts.rend(); ++it) {
    std::string err;
    auto addresses = o.resolvers.empty() ? system_lookup(it->target.host, err)
                                         : dns_lookup(o.resolvers, it->target.host, err);
    if (addresses.empty()) {
      sc.error(*it->token, "cannot resolve '" + it->target.host + "': " + err);
    }
    ForwardOptions resolved;
    for (const auto& text : upstream_texts(it->target, addresses, o.tls_servername.empty())) {
      add_upstream(sc, *it->token, text, resolved);
    }
    auto at = o.upstreams.begin() + static_cast<long>(it->position);
    o.upstreams.insert(at, std::make_move_iterator(resolved.upstreams.begin()),
                       std::make_move_iterator(resolved.upstreams.end()));
  }
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

// RCODE... of `next` and `failover`.
std::vector<uint16_t> rcodes_arg(const SetupContext& sc, const Directive& line) {
  if (line.args.empty()) sc.arg_error(line.name);
  std::vector<uint16_t> out;
  for (const auto& a : line.args) {
    int rc = rcode_from_name(a.text);
    if (rc < 0) sc.error(a, a.text + " is not a valid rcode");
    out.push_back(static_cast<uint16_t>(rc));
  }
  return out;
}

// next RCODE...
void parse_next(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  auto codes = rcodes_arg(sc, line);
  o.next_rcodes.insert(o.next_rcodes.end(), codes.begin(), codes.end());
}

// failover RCODE...: an answer with one of these goes to the next upstream (NOERROR may not).
void parse_failover(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  auto codes = rcodes_arg(sc, line);
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] == 0) sc.error(line.args[i], "NoError cannot be used in failover");
  }
  o.failover_rcodes.insert(o.failover_rcodes.end(), codes.begin(), codes.end());
}

// resolver IP[:PORT]...: the DNS servers that resolve host-name TOs.
void parse_resolver(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  if (line.args.empty()) sc.arg_error(line.name);
  for (const auto& a : line.args) {
    Upstream u;
    if (a.text.find("://") != std::string::npos || !parse_upstream(a.text, u).empty()) {
      sc.error(a, "resolver: not an IP address or IP:PORT: '" + a.text + "'");
    }
    o.resolvers.push_back(a.text);
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

// doh_method GET|POST, for https:// upstreams (POST when not given).
void parse_doh_method(const SetupContext& sc, const Directive& line, ForwardOptions& o) {
  const Token& t = one_arg(sc, line);
  std::string m = t.text;
  std::transform(m.begin(), m.end(), m.begin(), ::toupper);
  if (m != "GET" && m != "POST") sc.error(t, "doh_method must be GET or POST, not " + t.text);
  o.doh_get = m == "GET";
}

// An https:// upstream's URL. With a server name (tls_servername) the URL names it, for SNI
// and the certificate check, and a CURLOPT_RESOLVE entry takes it to the address written.
void set_doh_target(Upstream& up, const std::string& servername) {
  const std::string host_port = up.to.substr(std::string_view("https://").size());
  if (servername.empty()) {
    up.doh_url = "https://" + host_port + up.doh_path;
    return;
  }
  const auto colon = host_port.rfind(':');
  const std::string port = host_port.substr(colon + 1);
  up.doh_url = "https://" + servername + ":" + port + up.doh_path;
  up.doh_resolve = servername + ":" + port + ":" + host_port.substr(0, colon);
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
    {"failover", parse_failover},
    {"resolver", parse_resolver},
    {"failfast_all_unhealthy_upstreams", parse_failfast},
    {"tls", parse_tls},
    {"tls_servername", parse_tls_servername},
    {"doh_method", parse_doh_method},
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
  std::vector<PendingHost> hosts;
  for (size_t i = 1; i < d.args.size(); ++i) parse_to(sc, d.args[i], o, hosts);
  for (const auto& line : d.block) parse_option(sc, line, o);
  resolve_hosts(sc, hosts, o);
  if (o.upstreams.size() > kMaxUpstreams) {
    sc.error(d.args.back(), "more than " + std::to_string(kMaxUpstreams) +
                                " TOs configured: " + std::to_string(o.upstreams.size()));
  }
  bool any_tls = false, any_https = false;
  for (auto& up : o.upstreams) {
    if (up->https) {
      any_https = true;
      set_doh_target(*up, o.tls_servername);
    }
    if (!up->tls) continue;
    any_tls = true;
    // A name in tls://IP%NAME is this upstream's own; tls_servername is for the others.
    if (up->tls_servername.empty()) up->tls_servername = o.tls_servername;
  }
  if (any_tls || any_https) {
    // The files are checked here, not at the first query; only tls:// connections use the
    // context (libcurl loads the files itself for https://).
    std::string err;
    SslCtxPtr ctx = make_tls_context(o.tls, err);
    if (!ctx) sc.error(d.name, "tls: " + err);
    if (any_tls) b->tls_ctx = std::move(ctx);
  }
  if (any_https) {
    std::string err;
    if (!cxxdns::pkg::curl_library(&err)) sc.error(d.name, "https upstreams: " + err);
    b->doh.get = o.doh_get;
    b->doh.tls = cxxdns::pkg::HttpTls(o.tls);
    b->doh.max_age_s =
        std::max<long>(1, long(std::chrono::duration_cast<std::chrono::seconds>(o.expire).count()));
  }
  return b;
}

}  // namespace

void cxxdns_register_forward(cxxdns::Registry& r) {
  r.add("forward", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<std::unique_ptr<Block>> blocks;
    for (const auto& d : sc.directives()) blocks.push_back(parse_directive(sc, d));
    auto p = std::make_unique<Forward>(std::move(blocks), sc.services().workers);
    const cxxdns::BlockConfig* block = &sc.block_config();
    sc.on_startup([p = p.get(), block](cxxdns::ControlInfo&) { p->find_tap(*block); });
    sc.on_worker_start([p = p.get()](cxxdns::WorkerInfo& w) { p->start_worker(w); });
    sc.on_worker_stop([p = p.get()](cxxdns::WorkerInfo& w) { p->stop_worker(w); });
    return p;
  });
}
