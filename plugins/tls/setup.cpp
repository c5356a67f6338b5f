// tls CERT KEY [CA] { client_auth nocert|request|require|verify_if_given|require_and_verify;
// keylog FILE },
// as CoreDNS's tls plugin: the certificate of the block's tls:// and https:// listeners. It
// builds no handler: it gives the block a TransportSecurity that the core's listeners use.
#include <memory>
#include <stdexcept>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/tls/server_tls.h"

namespace {

using cxxdns::plugins::tls::ClientAuth;

ClientAuth parse_client_auth(cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& line) {
  if (line.args.size() != 1) sc.arg_error(line.name);
  const std::string& v = line.args[0].text;
  if (v == "nocert") return ClientAuth::nocert;
  if (v == "request") return ClientAuth::request;
  if (v == "require") return ClientAuth::require;
  if (v == "verify_if_given") return ClientAuth::verify_if_given;
  if (v == "require_and_verify") return ClientAuth::require_and_verify;
  sc.error(line.args[0], "unknown authentication type '" + v + "'");
}

// tls CERT KEY [CA] { client_auth ...; keylog FILE }
cxxdns::plugins::tls::TlsOptions parse_line(cxxdns::SetupContext& sc,
                                            const cxxdns::corefile::Directive& d) {
  if (d.args.size() < 2 || d.args.size() > 3) sc.arg_error(d.name);
  cxxdns::plugins::tls::TlsOptions o;
  o.cert = d.args[0].text;
  o.key = d.args[1].text;
  if (d.args.size() == 3) o.ca = d.args[2].text;
  for (const auto& line : d.block) {
    if (line.name.text == "client_auth") {
      o.client_auth = parse_client_auth(sc, line);
    } else if (line.name.text == "keylog") {
      if (line.args.size() != 1) sc.arg_error(line.name);
      o.keylog = line.args[0].text;
    } else {
      sc.error(line.name, "unknown option '" + line.name.text + "'");
    }
  }
  return o;
}

}  // namespace

void cxxdns_register_tls(cxxdns::Registry& r) {
  r.add("tls", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    if (sc.transport_security()) {
      sc.error(sc.directives().front().name, "TLS already configured for this server instance");
    }
    // Each line replaces the one before, as CoreDNS's loop over its lines does.
    for (const auto& d : sc.directives()) {
      const cxxdns::plugins::tls::TlsOptions o = parse_line(sc, d);
      try {
        sc.transport_security() = std::make_shared<cxxdns::plugins::tls::ServerTls>(o);
      } catch (const std::runtime_error& e) {
        sc.error(d.args[0], e.what());
      }
    }
    return nullptr;
  });
}
