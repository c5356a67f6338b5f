// Upstreams given by host name (`dns.example:53`, `tls://dns.quad9.net`), resolved once at
// startup as current CoreDNS does: through the `resolver` servers when the block names some
// (asked directly over UDP, A then AAAA), else through the system's resolver (getaddrinfo:
// /etc/hosts, then resolv.conf's servers). Every address found becomes an upstream; a tls://
// one verifies the certificate for the host name unless tls_servername says otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::plugins::forward {

struct HostTarget {
  std::string host;  // lower case, no trailing dot
  uint16_t port = 53;
  bool tls = false;
};

// A TO that names a host (with an optional dns:// or tls:// scheme and port); false for an
// address, a bad port or anything that is not a host name.
bool parse_host_target(std::string_view text, HostTarget& out);

// Addresses in text ("192.0.2.1", "2001:db8::1"), IPv4 first; empty with `err` set when the
// name has none or cannot be resolved.
using HostLookup =
    std::function<std::vector<std::string>(const std::string& host, std::string& err)>;
std::vector<std::string> system_lookup(const std::string& host, std::string& err);
// Asks `servers` ("IP", "IP:PORT", "[IPv6]:PORT") in turn, up to 2s each.
std::vector<std::string> dns_lookup(const std::vector<std::string>& servers,
                                    const std::string& host, std::string& err);
// For tests: what system_lookup asks instead of getaddrinfo (null: getaddrinfo again), so
// that no test depends on the machine's resolver.
void set_system_lookup(HostLookup f);

// The TO texts for `t` at `addresses` ("192.0.2.1:53", "tls://[2001:db8::1%NAME]:853").
std::vector<std::string> upstream_texts(const HostTarget& t,
                                        const std::vector<std::string>& addresses,
                                        bool name_for_tls);

}  // namespace cxxdns::plugins::forward
