// fallthrough [ZONES...]: whether a plugin passes a query it has no answer for to the next
// plugin instead of answering NXDOMAIN (CoreDNS's plugin/pkg/fall): never, for every name,
// or for the names of some zones.
#pragma once

#include "core/corefile/corefile.h"
#include "plugins/pkg/zones.h"

namespace cxxdns {
class SetupContext;
}

namespace cxxdns::pkg {

class Fallthrough {
 public:
  // Off: the plugin answers what it has no data for.
  Fallthrough() = default;
  // From a `fallthrough [ZONES...]` line of a plugin's block.
  static Fallthrough parse(const SetupContext& sc, const corefile::Directive& line);
  static Fallthrough all();

  bool through(const dns::Name& qname) const {
    return mode_ == Mode::all || (mode_ == Mode::zones && zones_.contains(qname));
  }
  bool on() const { return mode_ != Mode::off; }
  // The zones it is limited to (none: every name, when on).
  const std::vector<std::string>& zones() const { return zones_.texts(); }

 private:
  enum class Mode : uint8_t { off, all, zones };
  Mode mode_ = Mode::off;
  Zones zones_;
};

}  // namespace cxxdns::pkg
