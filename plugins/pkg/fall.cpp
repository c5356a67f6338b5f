#include "plugins/pkg/fall.h"

#include "core/plugin/setup.h"

namespace cxxdns::pkg {

Fallthrough Fallthrough::parse(const SetupContext& sc, const corefile::Directive& line) {
  Fallthrough f;
  if (line.args.empty()) {
    f.mode_ = Mode::all;
    return f;
  }
  f.mode_ = Mode::zones;
  f.zones_ = Zones(sc.zones_from(line.args));
  return f;
}

Fallthrough Fallthrough::all() {
  Fallthrough f;
  f.mode_ = Mode::all;
  return f;
}

}  // namespace cxxdns::pkg
