// chaos [VERSION] [AUTHORS...], as CoreDNS's chaos: VERSION defaults to "cxxdns-<version>"
// (CoreDNS: "CoreDNS-<version>"), AUTHORS to the project's; several authors are kept once
// each, sorted. Every string is cut at 255 bytes. Only the first chaos line of a block counts.
#include <unistd.h>

#include <set>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/chaos/chaos.h"

namespace {

using cxxdns::plugins::trim255;

// What CoreDNS answers for hostname.bind and id.server: os.Hostname(), else "localhost".
std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

}  // namespace

void cxxdns_register_chaos(cxxdns::Registry& r) {
  r.add("chaos", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.directives().front();
    for (const auto& line : d.block) sc.unknown_property(line.name);
    std::string version = trim255("cxxdns-" CXXDNS_VERSION);
    std::vector<std::string> authors = {"cxxdns maintainers"};
    if (!d.args.empty()) version = trim255(d.args[0].text);
    if (d.args.size() > 1) {
      std::set<std::string> unique;
      for (size_t i = 1; i < d.args.size(); ++i) unique.insert(trim255(d.args[i].text));
      // One by one: g++ 12 -O3 warns (wrongly) on assign() from set iterators.
      authors.clear();
      for (const auto& a : unique) authors.push_back(a);
    }
    return std::make_unique<cxxdns::plugins::Chaos>(std::move(version), std::move(authors),
                                                    trim255(host_name()));
  });
}
