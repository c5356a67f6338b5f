// bind ADDRESS|INTERFACE ... [{ except ADDRESS... }]: the addresses the block listens on.
// It builds no handler: it only fills the block's listen addresses.
#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/pkg/interfaces.h"

namespace {

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// The addresses of a network interface, or none when there is no such interface (an IPv6
// link-local address needs a zone to bind: CoreDNS skips those too).
std::vector<std::string> interface_addresses(const std::string& ifname) {
  std::vector<std::string> out;
  for (const cxxdns::pkg::InterfaceAddress& i : cxxdns::pkg::interface_addresses()) {
    if (i.interface == ifname && !i.link_local) out.push_back(i.address.text());
  }
  return out;
}

// The addresses of one `bind` argument: itself when it is an IP address, else those of the
// interface it names.
void add_listen_address(const cxxdns::SetupContext& sc, const cxxdns::corefile::Token& a,
                        std::vector<std::string>& addrs) {
  if (is_ip(a.text)) {
    addrs.push_back(a.text);
    return;
  }
  auto ifaddrs = interface_addresses(a.text);
  if (ifaddrs.empty()) sc.error(a, "not a valid IP address or interface name: '" + a.text + "'");
  addrs.insert(addrs.end(), ifaddrs.begin(), ifaddrs.end());
}

// `except ADDRESS...`: addresses (IP only) not to listen on.
void parse_except(const cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& line,
                  std::vector<std::string>& except) {
  if (line.name.text != "except") sc.unknown_property(line.name);
  if (line.args.empty()) sc.arg_error(line.name);
  for (const auto& a : line.args) {
    if (!is_ip(a.text)) sc.error(a, "not a valid IP address: '" + a.text + "'");
    except.push_back(a.text);
  }
}

// Appends to `out` each address of `addrs` that is not in `except` nor already in `out`.
void add_bind_addresses(const std::vector<std::string>& addrs,
                        const std::vector<std::string>& except, std::vector<std::string>& out) {
  for (const auto& a : addrs) {
    if (std::find(except.begin(), except.end(), a) == except.end() &&
        std::find(out.begin(), out.end(), a) == out.end()) {
      out.push_back(a);
    }
  }
}

}  // namespace

void cxxdns_register_bind(cxxdns::Registry& r) {
  r.add("bind", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<std::string> addrs, except;
    for (const auto& d : sc.directives()) {
      if (d.args.empty()) sc.arg_error(d.name);
      for (const auto& a : d.args) add_listen_address(sc, a, addrs);
      for (const auto& line : d.block) parse_except(sc, line, except);
    }
    auto& out = sc.bind_addresses();
    add_bind_addresses(addrs, except, out);
    if (out.empty()) sc.error(sc.directives().front().name, "no address left to bind to");
    return nullptr;
  });
}
