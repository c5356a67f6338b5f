// bufsize [SIZE]: SIZE 512..4096, default 1232, as CoreDNS's.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/bufsize/bufsize.h"

void cxxdns_register_bufsize(cxxdns::Registry& r) {
  r.add("bufsize", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    if (d.has_block) sc.error(d.name, "bufsize takes no block");
    if (d.args.size() > 1) sc.arg_error(d.args[1]);
    uint16_t size = 1232;
    if (!d.args.empty()) {
      size = static_cast<uint16_t>(sc.parse_uint(d.args[0], 512, 4096));
    }
    return std::make_unique<cxxdns::plugins::Bufsize>(size);
  });
}
