// nsid [DATA...]: the words of DATA joined with spaces, the host's name when none is given,
// as CoreDNS's nsid. Once per server block.
#include <unistd.h>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/nsid/nsid.h"

void cxxdns_register_nsid(cxxdns::Registry& r) {
  r.add("nsid", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    if (d.has_block) sc.error(d.name, "nsid takes no block");
    std::string data;
    for (const auto& a : d.args) data += (data.empty() ? "" : " ") + a.text;
    if (d.args.empty()) {
      char host[256] = {0};
      data = gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "localhost";
    }
    // An option carries at most 65535 bytes, and an answer holds less still.
    if (data.size() > 512) sc.error(d.args.front(), "nsid data longer than 512 bytes");
    return std::make_unique<cxxdns::plugins::Nsid>(std::move(data));
  });
}
