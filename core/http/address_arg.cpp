#include "core/http/address_arg.h"

#include "core/http/server.h"

namespace cxxdns::http {

std::string address_arg(const SetupContext& sc, const corefile::Directive& d,
                        const std::string& fallback) {
  if (d.args.size() > 1) sc.arg_error(d.args[1]);
  if (d.args.empty()) return fallback;
  const std::string& addr = d.args[0].text;
  std::string host;
  uint16_t port;
  if (!split_host_port(addr, host, port)) {
    sc.error(d.args[0], "address " + addr + ": missing or bad port in address");
  }
  return addr;
}

}  // namespace cxxdns::http
