// dnstap SOCKET [full] [WRITEBUFFER] [QUEUE] { identity IDENTITY; version VERSION;
// extra EXTRA; skipverify; message_types TYPES... }, as CoreDNS's dnstap. Each directive is a
// destination of its own.
#include <unistd.h>

#include <array>
#include <string_view>

#include "core/log/log.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/dnstap/dnstap.h"
#include "plugins/pkg/ip.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::corefile::Token;
using namespace cxxdns::plugins::dnstap;

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// unix:///path, /path, tcp://IP:PORT. CoreDNS also dials tls:// endpoints and host names.
Endpoint parse_endpoint(const SetupContext& sc, const Token& t) {
  Endpoint e;
  std::string_view s = t.text;
  if (s.starts_with("tls://")) {
    sc.error(t, "dnstap: tls:// endpoints are not supported by cxxdns (unix:// and tcp:// are)");
  }
  if (s.starts_with("tcp://")) {
    auto ep = cxxdns::pkg::IpEndpoint::parse(s.substr(6), 0);
    if (!ep || ep->port == 0) {
      sc.error(t,
               "dnstap: a tcp:// endpoint is IP:PORT (cxxdns does not resolve host names "
               "here): " +
                   t.text);
    }
    e.kind = Endpoint::Kind::tcp;
    e.address = ep->addr.text();
    e.port = std::to_string(ep->port);
    return e;
  }
  if (s.starts_with("unix://")) s.remove_prefix(7);
  if (s.empty()) sc.arg_error(t);
  e.path = std::string(s);
  return e;
}

// dnstap.proto's Message.Type names, by value.
constexpr std::array<std::string_view, 15> kTypeNames = {"",
                                                         "AUTH_QUERY",
                                                         "AUTH_RESPONSE",
                                                         "RESOLVER_QUERY",
                                                         "RESOLVER_RESPONSE",
                                                         "CLIENT_QUERY",
                                                         "CLIENT_RESPONSE",
                                                         "FORWARDER_QUERY",
                                                         "FORWARDER_RESPONSE",
                                                         "STUB_QUERY",
                                                         "STUB_RESPONSE",
                                                         "TOOL_QUERY",
                                                         "TOOL_RESPONSE",
                                                         "UPDATE_QUERY",
                                                         "UPDATE_RESPONSE"};

// As CoreDNS: an unknown name is warned about and skipped; none known means all.
uint32_t message_types(const Directive& line) {
  uint32_t bits = 0;
  for (const Token& a : line.args) {
    bool known = false;
    for (size_t v = 1; v < kTypeNames.size(); ++v) {
      if (a.text == kTypeNames[v]) {
        bits |= 1u << v;
        known = true;
      }
    }
    if (!known) cxxdns::log::warning("plugin/dnstap: Unknown message type: {}", a.text);
  }
  if (bits == 0) {
    cxxdns::log::warning(
        "plugin/dnstap: No valid message types specified, enabling all "
        "message types");
    bits = ~0u;
  }
  return bits;
}

void parse_block_line(const SetupContext& sc, const Directive& line, Tap& tap) {
  const std::string& key = line.name.text;
  if (key == "skipverify") {
    return;  // for tls:// endpoints only, which are refused above
  }
  if (key == "message_types") {
    if (line.args.empty()) sc.arg_error(line.name);
    tap.message_types = message_types(line);
    return;
  }
  std::string* value = key == "identity"  ? &tap.identity.identity
                       : key == "version" ? &tap.identity.version
                       : key == "extra"   ? &tap.identity.extra
                                          : nullptr;
  if (!value) sc.unknown_property(line.name);
  if (line.args.size() != 1) sc.arg_error(line.name);
  *value = line.args[0].text;
}

Tap parse_directive(const SetupContext& sc, const Directive& d) {
  if (d.args.empty() || d.args.size() > 4) sc.arg_error(d.name);
  Tap tap;
  tap.endpoint = parse_endpoint(sc, d.args[0]);
  tap.full = d.args.size() >= 2 && d.args[1].text == "full";
  // WRITEBUFFER (MB) and QUEUE (x10,000) tune CoreDNS's Go buffers; fstrm's are fixed here.
  for (size_t i = tap.full ? 2 : 1; i < d.args.size(); ++i) sc.parse_uint(d.args[i], 1, 1024);
  tap.identity.identity = host_name();
  tap.identity.version = "cxxdns-" CXXDNS_VERSION;
  for (const auto& line : d.block) parse_block_line(sc, line, tap);
  return tap;
}

}  // namespace

void cxxdns_register_dnstap(cxxdns::Registry& r) {
  r.add("dnstap", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<Tap> taps;
    for (const auto& d : sc.directives()) taps.push_back(parse_directive(sc, d));
    auto p = std::make_unique<Dnstap>(std::move(taps));
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
