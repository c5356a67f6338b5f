// bufsize [SIZE]: SIZE from 512 to 4096, 1232 when not given (DNS flag day 2020), as
// CoreDNS's bufsize. Like CoreDNS, only the first bufsize line of a block counts.
#include <charconv>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/bufsize/bufsize.h"

namespace {

constexpr uint16_t kDefaultSize = 1232;

uint16_t parse_size(cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& d) {
  if (d.args.empty()) return kDefaultSize;
  // Any bad value is CoreDNS's argument error (RFC 6891: 512 at least; 4096 at most here).
  if (d.args.size() > 1) sc.arg_error(d.args.back());
  const std::string& t = d.args[0].text;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || v < 512 || v > 4096) {
    sc.arg_error(d.args[0]);
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

void cxxdns_register_bufsize(cxxdns::Registry& r) {
  r.add("bufsize", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.directives().front();
    if (d.has_block) sc.error(d.name, "bufsize takes no block");
    return std::make_unique<cxxdns::plugins::Bufsize>(parse_size(sc, d));
  });
}
