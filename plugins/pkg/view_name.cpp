#include "plugins/pkg/view_name.h"

#include "core/plugin/config.h"

namespace cxxdns::pkg {

std::string view_name_of(const BlockConfig& block) {
  const auto* v = dynamic_cast<const NamedView*>(find_plugin(block, "view"));
  return v ? v->view_name() : std::string();
}

}  // namespace cxxdns::pkg
